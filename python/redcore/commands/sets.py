"""SetCommands (redis-py method names and signatures).

``sadd``, ``srem``, ``smembers``, ``sismember`` and ``scard`` are defined in
Rust on the client class (``src/python/methods.rs``).
"""

from __future__ import annotations

from ._util import list_or_args as _list_or_args

from typing import Any, Iterable, Iterator, List, Optional, Set


class SetCommands:
    """Mixin; relies on ``execute_command``."""

    execute_command: Any

    def sdiff(self, keys: Any, *args: Any) -> Set[Any]:
        """Members of the first set that are in none of the others.

        >>> r.sadd("a", 1, 2, 3), r.sadd("b", 2)
        (3, 1)
        >>> r.sdiff("a", "b")
        {b'1', b'3'}
        """
        args = _list_or_args(keys, args)
        return self.execute_command("SDIFF", *args, keys=args)

    def sdiffstore(self, dest: Any, keys: Any, *args: Any) -> int:
        """Store ``sdiff(keys, *args)`` at ``dest``; returns its size.

        >>> r.sadd("a", 1, 2), r.sdiffstore("d", ["a", "missing"])
        (2, 2)
        """
        args = _list_or_args(keys, args)
        return self.execute_command("SDIFFSTORE", dest, *args)

    def sinter(self, keys: Any, *args: Any) -> Set[Any]:
        """Members present in every one of the sets.

        >>> r.sadd("a", 1, 2), r.sadd("b", 2, 3)
        (2, 2)
        >>> r.sinter(["a", "b"])
        {b'2'}
        """
        args = _list_or_args(keys, args)
        return self.execute_command("SINTER", *args, keys=args)

    def sintercard(self, numkeys: int, keys: List[Any], limit: int = 0) -> int:
        """The size of the intersection of ``keys``, counting at most
        ``limit`` members (0: no limit).

        >>> r.sadd("a", 1, 2, 3), r.sadd("b", 1, 2, 3)
        (3, 3)
        >>> r.sintercard(2, ["a", "b"], limit=2)
        2
        """
        args = [numkeys, *keys, "LIMIT", limit]
        return self.execute_command("SINTERCARD", *args, keys=keys)

    def sinterstore(self, dest: Any, keys: Any, *args: Any) -> int:
        """Store ``sinter(keys, *args)`` at ``dest``; returns its size.

        >>> r.sadd("a", 1, 2), r.sadd("b", 2), r.sinterstore("d", "a", "b")
        (2, 1, 1)
        """
        args = _list_or_args(keys, args)
        return self.execute_command("SINTERSTORE", dest, *args)

    def smismember(self, name: Any, values: Any, *args: Any) -> List[int]:
        """For each value, 1 if it is a member of set ``name``, else 0.

        >>> r.sadd("s", "a")
        1
        >>> r.smismember("s", ["a", "b"])
        [1, 0]
        """
        args = _list_or_args(values, args)
        return self.execute_command("SMISMEMBER", name, *args, keys=[name])

    def smove(self, src: Any, dst: Any, value: Any) -> bool:
        """Move ``value`` from set ``src`` to set ``dst`` atomically.

        >>> r.sadd("a", "x")
        1
        >>> r.smove("a", "b", "x"), r.smembers("b")
        (True, {b'x'})
        """
        return self.execute_command("SMOVE", src, dst, value)

    def spop(self, name: Any, count: Optional[int] = None) -> Any:
        """Remove and return a random member (or a list of ``count``
        distinct members) of set ``name``.

        >>> r.sadd("s", 1)
        1
        >>> r.spop("s"), r.spop("s", 3)
        (b'1', [])
        """
        args = (count is not None) and [count] or []
        return self.execute_command("SPOP", name, *args)

    def srandmember(self, name: Any, number: Optional[int] = None) -> Any:
        """A random member of set ``name``; with ``number``, a list of that
        many distinct members (or, if negative, possibly repeated ones).

        >>> r.sadd("s", 1)
        1
        >>> r.srandmember("s"), r.srandmember("s", -2)
        (b'1', [b'1', b'1'])
        """
        args = (number is not None) and [number] or []
        return self.execute_command("SRANDMEMBER", name, *args)

    def sunion(self, keys: Any, *args: Any) -> Set[Any]:
        """Members of any of the sets.

        >>> r.sadd("a", 1), r.sadd("b", 2)
        (1, 1)
        >>> r.sunion("a", "b")
        {b'1', b'2'}
        """
        args = _list_or_args(keys, args)
        return self.execute_command("SUNION", *args, keys=args)

    def sunionstore(self, dest: Any, keys: Any, *args: Any) -> int:
        """Store ``sunion(keys, *args)`` at ``dest``; returns its size.

        >>> r.sadd("a", 1), r.sadd("b", 2), r.sunionstore("d", "a", "b")
        (1, 1, 2)
        """
        args = _list_or_args(keys, args)
        return self.execute_command("SUNIONSTORE", dest, *args)

    def sdiffcard(self, numkeys: int, keys: List[Any], limit: int = 0) -> int:
        """SDIFFCARD (a Redis 8 command; Redis 7.0 reports it unknown)."""
        args = [numkeys, *keys, "LIMIT", limit]
        return self.execute_command("SDIFFCARD", *args, keys=keys)

    def sunioncard(self, numkeys: int, keys: List[Any], limit: int = 0, approx: bool = False) -> int:
        """SUNIONCARD (a Redis 8 command; Redis 7.0 reports it unknown)."""
        pieces: List[Any] = [numkeys, *keys]
        if approx:
            pieces.append("APPROX")
        pieces.extend(["LIMIT", limit])
        return self.execute_command("SUNIONCARD", *pieces, keys=keys)

    def sscan(self, name: Any, cursor: int = 0, match: Any = None, count: Optional[int] = None) -> Any:
        """One SSCAN step: ``(next_cursor, [members])``.

        >>> r.sadd("s", 2, 1)
        2
        >>> r.sscan("s")
        (0, [b'1', b'2'])
        """
        pieces: List[Any] = [name, cursor]
        if match is not None:
            pieces.extend([b"MATCH", match])
        if count is not None:
            pieces.extend([b"COUNT", count])
        return self.execute_command("SSCAN", *pieces)

    def sscan_iter(self, name: Any, match: Any = None, count: Optional[int] = None) -> Iterator[Any]:
        """Iterate over the members of set ``name`` with SSCAN.

        >>> r.sadd("s", 1)
        1
        >>> list(r.sscan_iter("s"))
        [b'1']
        """
        cursor: Any = "0"
        while cursor != 0:
            cursor, data = self.sscan(name, cursor=cursor, match=match, count=count)
            yield from data
