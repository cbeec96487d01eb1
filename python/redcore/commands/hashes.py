"""HashCommands (redis-py method names and signatures).

``hget``, ``hset``, ``hgetall``, ``hincrby`` and ``hmget`` are defined in
Rust on the client class (``src/python/methods.rs``). Hash-field
expiration (Redis 7.4: ``hexpire`` ... ``hpersist``) and ``hgetdel`` /
``hgetex`` / ``hsetex`` (Redis 8.0) follow redis-py 8.1's signatures.
"""

from __future__ import annotations

import datetime
from enum import Enum
from typing import Any, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from ..exceptions import DataError
from ._util import expire_flags


class HashDataPersistOptions(Enum):
    """HSETEX's field condition (redis-py's enum of the same name)."""

    #: Set the fields only if none of them exists.
    FNX = "FNX"
    #: Set the fields only if all of them exist.
    FXX = "FXX"


def _condition(nx: bool, xx: bool, gt: bool, lt: bool) -> List[str]:
    """The NX | XX | GT | LT token of the HEXPIRE family (at most one)."""
    if sum((bool(nx), bool(xx), bool(gt), bool(lt))) > 1:
        raise ValueError("Only one of 'nx', 'xx', 'gt', 'lt' can be specified.")
    return [tok for tok, on in (("NX", nx), ("XX", xx), ("GT", gt), ("LT", lt)) if on]




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

    # -- hash-field expiration (Redis 7.4) -----------------------------------

    def _field_ttl(
        self, command: str, name: Any, when: int, fields: Tuple[Any, ...], nx: bool, xx: bool, gt: bool, lt: bool
    ) -> List[int]:
        """HEXPIRE and its three siblings: ``command name when [NX|XX|GT|LT]
        FIELDS n field...``."""
        cond = _condition(nx, xx, gt, lt)
        return self.execute_command(command, name, when, *cond, "FIELDS", len(fields), *fields)

    def _field_read(self, command: str, key: Any, fields: Tuple[Any, ...]) -> List[int]:
        """HTTL, HPTTL, HEXPIRETIME, HPEXPIRETIME: ``command key FIELDS n
        field...``, read-only."""
        return self.execute_command(command, key, "FIELDS", len(fields), *fields, keys=[key])

    def hexpire(
        self,
        name: Any,
        seconds: Union[int, datetime.timedelta],
        *fields: Any,
        nx: bool = False,
        xx: bool = False,
        gt: bool = False,
        lt: bool = False,
    ) -> List[int]:
        """Give ``fields`` of hash ``name`` a TTL of ``seconds``. Per field:
        -2 no such field, 0 condition not met, 1 set, 2 deleted (TTL 0).

        >>> r.hset("h", mapping={"a": 1})
        1
        >>> r.hexpire("h", 60, "a", "zz")
        [1, -2]
        """
        if isinstance(seconds, datetime.timedelta):
            seconds = int(seconds.total_seconds())
        return self._field_ttl("HEXPIRE", name, seconds, fields, nx, xx, gt, lt)

    def hpexpire(
        self,
        name: Any,
        milliseconds: Union[int, datetime.timedelta],
        *fields: Any,
        nx: bool = False,
        xx: bool = False,
        gt: bool = False,
        lt: bool = False,
    ) -> List[int]:
        """Like :meth:`hexpire` with a TTL in milliseconds.

        >>> r.hset("h", mapping={"a": 1})
        1
        >>> r.hpexpire("h", 60000, "a", nx=True)
        [1]
        """
        if isinstance(milliseconds, datetime.timedelta):
            milliseconds = int(milliseconds.total_seconds() * 1000)
        return self._field_ttl("HPEXPIRE", name, milliseconds, fields, nx, xx, gt, lt)

    def hexpireat(
        self,
        name: Any,
        unix_time_seconds: Union[int, datetime.datetime],
        *fields: Any,
        nx: bool = False,
        xx: bool = False,
        gt: bool = False,
        lt: bool = False,
    ) -> List[int]:
        """Make ``fields`` expire at a unix time in seconds (a time in the
        past deletes them: code 2).

        >>> r.hset("h", mapping={"a": 1})
        1
        >>> r.hexpireat("h", 1, "a")
        [2]
        """
        if isinstance(unix_time_seconds, datetime.datetime):
            unix_time_seconds = int(unix_time_seconds.timestamp())
        return self._field_ttl("HEXPIREAT", name, unix_time_seconds, fields, nx, xx, gt, lt)

    def hpexpireat(
        self,
        name: Any,
        unix_time_milliseconds: Union[int, datetime.datetime],
        *fields: Any,
        nx: bool = False,
        xx: bool = False,
        gt: bool = False,
        lt: bool = False,
    ) -> List[int]:
        """Make ``fields`` expire at a unix time in milliseconds.

        >>> r.hset("h", mapping={"a": 1})
        1
        >>> r.hpexpireat("h", 4102444800000, "a")
        [1]
        """
        if isinstance(unix_time_milliseconds, datetime.datetime):
            unix_time_milliseconds = int(unix_time_milliseconds.timestamp() * 1000)
        return self._field_ttl("HPEXPIREAT", name, unix_time_milliseconds, fields, nx, xx, gt, lt)

    def hpersist(self, name: Any, *fields: Any) -> List[int]:
        """Remove the TTL of ``fields``. Per field: -2 no such field, -1 no
        TTL, 1 removed.

        >>> r.hset("h", mapping={"a": 1, "b": 2})
        2
        >>> r.hexpire("h", 60, "a")
        [1]
        >>> r.hpersist("h", "a", "b", "zz")
        [1, -1, -2]
        """
        return self.execute_command("HPERSIST", name, "FIELDS", len(fields), *fields)

    def hexpiretime(self, key: Any, *fields: Any) -> List[int]:
        """The unix time (seconds) at which each field expires; -1 without
        a TTL, -2 for a missing field.

        >>> r.hset("h", mapping={"a": 1})
        1
        >>> r.hexpireat("h", 4102444800, "a")
        [1]
        >>> r.hexpiretime("h", "a")
        [4102444800]
        """
        return self._field_read("HEXPIRETIME", key, fields)

    def hpexpiretime(self, key: Any, *fields: Any) -> List[int]:
        """Like :meth:`hexpiretime` in milliseconds.

        >>> r.hset("h", mapping={"a": 1})
        1
        >>> r.hpexpiretime("h", "a", "zz")
        [-1, -2]
        """
        return self._field_read("HPEXPIRETIME", key, fields)

    def httl(self, key: Any, *fields: Any) -> List[int]:
        """The remaining TTL of each field in seconds; -1 without a TTL,
        -2 for a missing field.

        >>> r.hset("h", mapping={"a": 1})
        1
        >>> r.hexpire("h", 60, "a")
        [1]
        >>> r.httl("h", "a")
        [60]
        """
        return self._field_read("HTTL", key, fields)

    def hpttl(self, key: Any, *fields: Any) -> List[int]:
        """Like :meth:`httl` in milliseconds.

        >>> r.hset("h", mapping={"a": 1})
        1
        >>> r.hpttl("h", "a")
        [-1]
        """
        return self._field_read("HPTTL", key, fields)

    # -- HGETDEL / HGETEX / HSETEX (Redis 8.0) --------------------------------

    def hgetdel(self, name: Any, *keys: Any) -> List[Any]:
        """Return the values of ``keys`` (None if missing) and delete those
        fields; the hash goes when its last field does.

        >>> r.hset("h", mapping={"a": 1, "b": 2})
        2
        >>> r.hgetdel("h", "a", "zz")
        [b'1', None]
        """
        if len(keys) == 0:
            raise DataError("'hgetdel' should have at least one key provided")
        return self.execute_command("HGETDEL", name, "FIELDS", len(keys), *keys)

    def hgetex(
        self,
        name: Any,
        *keys: Any,
        ex: Optional[Union[int, datetime.timedelta]] = None,
        px: Optional[Union[int, datetime.timedelta]] = None,
        exat: Optional[Union[int, datetime.datetime]] = None,
        pxat: Optional[Union[int, datetime.datetime]] = None,
        persist: bool = False,
    ) -> List[Any]:
        """Return the values of ``keys`` and optionally set (``ex``, ``px``,
        ``exat``, ``pxat``) or remove (``persist``) their TTL.

        >>> r.hset("h", mapping={"a": 1})
        1
        >>> r.hgetex("h", "a", ex=60), r.httl("h", "a")
        ([b'1'], [60])
        """
        if not keys:
            raise DataError("'hgetex' should have at least one key provided")
        chosen = (ex is not None, px is not None, exat is not None, pxat is not None, persist)
        if sum(bool(c) for c in chosen) > 1:
            raise DataError("``ex``, ``px``, ``exat``, ``pxat``, and ``persist`` are mutually exclusive.")
        options = expire_flags(ex, px, exat, pxat)
        if persist:
            options.append("PERSIST")
        return self.execute_command("HGETEX", name, *options, "FIELDS", len(keys), *keys)

    def hsetex(
        self,
        name: Any,
        key: Any = None,
        value: Any = None,
        mapping: Optional[Mapping[Any, Any]] = None,
        items: Optional[Sequence[Any]] = None,
        ex: Optional[Union[int, datetime.timedelta]] = None,
        px: Optional[Union[int, datetime.timedelta]] = None,
        exat: Optional[Union[int, datetime.datetime]] = None,
        pxat: Optional[Union[int, datetime.datetime]] = None,
        data_persist_option: Optional[Any] = None,
        keepttl: bool = False,
    ) -> int:
        """Set fields of hash ``name`` (``key``/``value``, ``mapping``,
        ``items``) with an optional TTL (``ex``, ``px``, ``exat``, ``pxat``)
        or keeping theirs (``keepttl``). ``data_persist_option`` is
        :class:`HashDataPersistOptions` ``FNX`` (none may exist) or ``FXX``
        (all must exist). Returns 1 if the fields were set, else 0.

        >>> r.hsetex("h", "a", 1, ex=60)
        1
        >>> r.hsetex("h", "a", 2, data_persist_option=HashDataPersistOptions.FNX)
        0
        """
        if key is None and not mapping and not items:
            raise DataError("'hsetex' with no key value pairs")
        if items and len(items) % 2 != 0:
            raise DataError(
                "'hsetex' with odd number of items. 'items' must contain a list of key/value pairs."
            )
        chosen = (ex is not None, px is not None, exat is not None, pxat is not None, keepttl)
        if sum(bool(c) for c in chosen) > 1:
            raise DataError("``ex``, ``px``, ``exat``, ``pxat``, and ``keepttl`` are mutually exclusive.")
        options = expire_flags(ex, px, exat, pxat)
        if data_persist_option:
            options.append(getattr(data_persist_option, "value", data_persist_option))
        if keepttl:
            options.append("KEEPTTL")
        pieces: List[Any] = []
        if items:
            pieces.extend(items)
        if key is not None:
            pieces.extend((key, value))
        if mapping:
            for pair in mapping.items():
                pieces.extend(pair)
        return self.execute_command("HSETEX", name, *options, "FIELDS", len(pieces) // 2, *pieces)
