"""HyperLogLogCommands (redis-py method names and signatures)."""

from __future__ import annotations

from typing import Any


class HyperLogLogCommands:
    """Mixin; relies on ``execute_command``."""

    execute_command: Any

    def pfadd(self, name: Any, *values: Any) -> int:
        """Add ``values`` to the HyperLogLog at ``name`` (created if missing);
        1 if its estimate may have changed, else 0.

        >>> r.pfadd("hll", "a", "b", "c")
        1
        >>> r.pfadd("hll", "a")
        0
        """
        return self.execute_command("PFADD", name, *values)

    def pfcount(self, *sources: Any) -> int:
        """Estimated cardinality of one HyperLogLog, or of the union of
        several (missing keys count as empty).

        >>> r.pfadd("a", "x", "y"), r.pfadd("b", "y", "z")
        (1, 1)
        >>> r.pfcount("a"), r.pfcount("a", "b")
        (2, 3)
        """
        return self.execute_command("PFCOUNT", *sources)

    def pfmerge(self, dest: Any, *sources: Any) -> bool:
        """Store at ``dest`` the union of ``dest`` itself and ``sources``.

        >>> r.pfadd("a", "x"), r.pfadd("b", "y")
        (1, 1)
        >>> r.pfmerge("u", "a", "b"), r.pfcount("u")
        (True, 2)
        """
        return self.execute_command("PFMERGE", dest, *sources)
