"""HashCommands (redis-py method names and signatures).

``hget``, ``hset``, ``hgetall``, ``hincrby`` and ``hmget`` are defined in
Rust on the client class (``src/python/methods.rs``).
"""

from __future__ import annotations

from typing import Any, Iterator, List, Mapping, Optional, Union

from ..exceptions import DataError


def _warn_deprecated(name: str, reason: str, version: str) -> None:
    import warnings

    # The text and stack level of redis-py's ``deprecated_function``.
    warnings.warn(
        f"Call to deprecated {name}. ({reason}) -- Deprecated since version {version}.",
        category=DeprecationWarning,
        stacklevel=3,
    )


class HashCommands:
    """Mixin; relies on ``execute_command``."""

    execute_command: Any

    def hdel(self, name: Any, *keys: Any) -> int:
        """Delete ``keys`` from hash ``name``; returns how many existed.

        >>> r.hset("h", mapping={"a": 1, "b": 2})
        2
        >>> r.hdel("h", "a", "zz")
        1
        """
        return self.execute_command("HDEL", name, *keys)

    def hexists(self, name: Any, key: Any) -> bool:
        """True if ``key`` is a field of hash ``name``.

        >>> r.hset("h", "a", 1)
        1
        >>> r.hexists("h", "a"), r.hexists("h", "b")
        (True, False)
        """
        return self.execute_command("HEXISTS", name, key, keys=[name])

    def hincrbyfloat(self, name: Any, key: Any, amount: float = 1.0) -> float:
        """Increment field ``key`` of hash ``name`` by the float ``amount``.

        >>> r.hincrbyfloat("h", "f", 1.5)
        1.5
        """
        return self.execute_command("HINCRBYFLOAT", name, key, amount)

    def hkeys(self, name: Any) -> List[Any]:
        """The field names of hash ``name`` (insertion order while small).

        >>> r.hset("h", mapping={"b": 1, "a": 2})
        2
        >>> r.hkeys("h")
        [b'b', b'a']
        """
        return self.execute_command("HKEYS", name, keys=[name])

    def hlen(self, name: Any) -> int:
        """The number of fields in hash ``name``.

        >>> r.hset("h", mapping={"a": 1, "b": 2})
        2
        >>> r.hlen("h")
        2
        """
        return self.execute_command("HLEN", name, keys=[name])

    def hsetnx(self, name: Any, key: Any, value: Any) -> int:
        """Set field ``key`` to ``value`` unless it exists; 1 if it was set.

        >>> r.hsetnx("h", "a", 1), r.hsetnx("h", "a", 2)
        (1, 0)
        """
        return self.execute_command("HSETNX", name, key, value)

    def hmset(self, name: Any, mapping: Mapping[Any, Any]) -> bool:
        """Set every field of ``mapping`` in hash ``name`` (deprecated: use
        ``hset(name, mapping=...)``).

        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     r.hmset("h", {"a": 1})
        True
        """
        _warn_deprecated("hmset", "Use 'hset' instead.", "4.0.0")
        if not mapping:
            raise DataError("'hmset' with 'mapping' of length 0")
        items: List[Any] = []
        for pair in mapping.items():
            items.extend(pair)
        return self.execute_command("HMSET", name, *items)

    def hvals(self, name: Any) -> List[Any]:
        """The values of hash ``name`` (insertion order while small).

        >>> r.hset("h", mapping={"a": 1, "b": 2})
        2
        >>> r.hvals("h")
        [b'1', b'2']
        """
        return self.execute_command("HVALS", name, keys=[name])

    def hstrlen(self, name: Any, key: Any) -> int:
        """The length in bytes of the value of field ``key`` (0 if missing).

        >>> r.hset("h", "a", "hello")
        1
        >>> r.hstrlen("h", "a")
        5
        """
        return self.execute_command("HSTRLEN", name, key, keys=[name])

    def hrandfield(self, key: Any, count: Optional[int] = None, withvalues: bool = False) -> Any:
        """Random fields of hash ``key``. Without ``count``: one field (or
        None). A positive ``count`` gives distinct fields, a negative one
        may repeat; ``withvalues`` interleaves the values (a flat list).

        >>> r.hset("h", "a", 1)
        1
        >>> r.hrandfield("h"), r.hrandfield("h", -2, withvalues=True)
        (b'a', [b'a', b'1', b'a', b'1'])
        """
        params: List[Any] = []
        if count is not None:
            params.append(count)
        if withvalues:
            params.append("WITHVALUES")
        return self.execute_command("HRANDFIELD", key, *params, withvalues=withvalues)

    def hscan(
        self,
        name: Any,
        cursor: int = 0,
        match: Any = None,
        count: Optional[int] = None,
        no_values: Optional[bool] = None,
    ) -> Any:
        """One HSCAN step: ``(next_cursor, {field: value})``, or a list of
        fields with ``no_values`` (which Redis 7.0 rejects as a syntax
        error, as it does any ``no_values`` that is not None).

        >>> r.hset("h", mapping={"a": 1})
        1
        >>> r.hscan("h")
        (0, {b'a': b'1'})
        """
        pieces: List[Any] = [name, cursor]
        if match is not None:
            pieces.extend([b"MATCH", match])
        if count is not None:
            pieces.extend([b"COUNT", count])
        if no_values is not None:
            pieces.extend([b"NOVALUES"])
        return self.execute_command("HSCAN", *pieces, no_values=no_values)

    def hscan_iter(
        self,
        name: Any,
        match: Any = None,
        count: Optional[int] = None,
        no_values: Union[bool, None] = None,
    ) -> Iterator[Any]:
        """Iterate over hash ``name`` with HSCAN, yielding (field, value)
        pairs (or fields with ``no_values``).

        >>> r.hset("h", mapping={"a": 1})
        1
        >>> list(r.hscan_iter("h"))
        [(b'a', b'1')]
        """
        cursor: Any = "0"
        while cursor != 0:
            cursor, data = self.hscan(name, cursor=cursor, match=match, count=count, no_values=no_values)
            if no_values:
                yield from data
            else:
                yield from data.items()
