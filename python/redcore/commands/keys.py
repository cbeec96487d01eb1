"""KeyCommands: redis-py's generic key methods (names, signatures, return
types). ``delete``, ``exists``, ``expire`` and ``ttl`` are implemented in
Rust on the client class."""

from __future__ import annotations

import datetime
from typing import Any, Iterator, List, Optional, Tuple, Union

KeyT = Union[bytes, str, memoryview]
PatternT = Union[bytes, str]
ExpiryT = Union[int, datetime.timedelta]
AbsExpiryT = Union[int, datetime.datetime]


def _expire_options(nx: bool, xx: bool, gt: bool, lt: bool) -> List[str]:
    return [name for name, on in (("NX", nx), ("XX", xx), ("GT", gt), ("LT", lt)) if on]


class KeyCommands:
    """Mixin; relies on ``execute_command``."""

    execute_command: Any
    get: Any
    exists: Any

    def __getitem__(self, name: KeyT) -> Any:
        """``r[name]``: the value at ``name``; raises KeyError if missing.

        >>> r = Redis()
        >>> r["k"] = "v"
        >>> r["k"]
        b'v'
        """
        value = self.get(name)
        if value is not None:
            return value
        raise KeyError(name)

    def __contains__(self, name: KeyT) -> Any:
        """``name in r``: whether the key exists (redis-py's alias of
        ``exists``)."""
        return self.exists(name)

    def type(self, name: KeyT) -> Any:
        """The type of the value at ``name`` (``b'none'`` when missing).

        >>> r = Redis()
        >>> r.rpush("l", 1) and r.type("l")
        b'list'
        """
        return self.execute_command("TYPE", name)

    def unlink(self, *names: KeyT) -> int:
        """Delete ``names`` (memory is reclaimed lazily); returns how many
        existed."""
        return self.execute_command("UNLINK", *names)

    def touch(self, *args: KeyT) -> int:
        """Update the access time of keys; returns how many exist."""
        return self.execute_command("TOUCH", *args)

    def rename(self, src: KeyT, dst: KeyT) -> bool:
        """Rename ``src`` to ``dst``, replacing ``dst`` and keeping the TTL.

        >>> r = Redis()
        >>> r.set("a", 1) and r.rename("a", "b")
        True
        """
        return self.execute_command("RENAME", src, dst)

    def renamenx(self, src: KeyT, dst: KeyT) -> bool:
        """Rename ``src`` to ``dst`` only if ``dst`` does not exist."""
        return self.execute_command("RENAMENX", src, dst)

    def copy(
        self,
        source: str,
        destination: str,
        destination_db: Optional[str] = None,
        replace: bool = False,
    ) -> bool:
        """Copy ``source`` to ``destination`` (optionally in database
        ``destination_db``); an existing destination is only overwritten
        with ``replace``.

        >>> r = Redis()
        >>> r.set("a", 1) and r.copy("a", "b"), r.get("b")
        (True, b'1')
        """
        params: List[Any] = [source, destination]
        if destination_db is not None:
            params.extend(["DB", destination_db])
        if replace:
            params.append("REPLACE")
        return self.execute_command("COPY", *params)

    def move(self, name: KeyT, db: int) -> bool:
        """Move ``name`` to database ``db`` (it must not exist there)."""
        return self.execute_command("MOVE", name, db)

    def keys(self, pattern: PatternT = "*", **kwargs: Any) -> List[Any]:
        """Keys matching the glob ``pattern``.

        >>> r = Redis()
        >>> r.mset({"a1": 1, "a2": 2, "b": 3}) and sorted(r.keys("a*"))
        [b'a1', b'a2']
        """
        return self.execute_command("KEYS", pattern, **kwargs)

    def scan(
        self,
        cursor: int = 0,
        match: Optional[PatternT] = None,
        count: Optional[int] = None,
        _type: Optional[str] = None,
        **kwargs: Any,
    ) -> Tuple[int, List[Any]]:
        """One SCAN step: ``(next_cursor, keys)``; iteration ends when the
        cursor comes back as 0.

        >>> r = Redis()
        >>> r.set("k", 1) and r.scan(0)
        (0, [b'k'])
        """
        pieces: List[Any] = [cursor]
        if match is not None:
            pieces.extend([b"MATCH", match])
        if count is not None:
            pieces.extend([b"COUNT", count])
        if _type is not None:
            pieces.extend([b"TYPE", _type])
        return self.execute_command("SCAN", *pieces, **kwargs)

    def scan_iter(
        self,
        match: Optional[PatternT] = None,
        count: Optional[int] = None,
        _type: Optional[str] = None,
        **kwargs: Any,
    ) -> Iterator[Any]:
        """Iterate over every key with SCAN (each key present for the whole
        iteration is returned at least once).

        >>> r = Redis()
        >>> r.mset({"a": 1, "b": 2}) and sorted(r.scan_iter())
        [b'a', b'b']
        """
        cursor: Any = "0"
        while cursor != 0:
            cursor, data = self.scan(cursor=cursor, match=match, count=count, _type=_type, **kwargs)
            yield from data

    def randomkey(self, **kwargs: Any) -> Any:
        """A random key, or None when the database is empty."""
        return self.execute_command("RANDOMKEY", **kwargs)

    def pexpire(
        self,
        name: KeyT,
        time: ExpiryT,
        nx: bool = False,
        xx: bool = False,
        gt: bool = False,
        lt: bool = False,
    ) -> bool:
        """Expire ``name`` in ``time`` milliseconds (int or timedelta), with
        the NX / XX / GT / LT conditions."""
        if isinstance(time, datetime.timedelta):
            time = int(time.total_seconds() * 1000)
        return self.execute_command("PEXPIRE", name, time, *_expire_options(nx, xx, gt, lt))

    def expireat(
        self,
        name: KeyT,
        when: AbsExpiryT,
        nx: bool = False,
        xx: bool = False,
        gt: bool = False,
        lt: bool = False,
    ) -> bool:
        """Expire ``name`` at unix time ``when`` (seconds, or a datetime)."""
        if isinstance(when, datetime.datetime):
            when = int(when.timestamp())
        return self.execute_command("EXPIREAT", name, when, *_expire_options(nx, xx, gt, lt))

    def pexpireat(
        self,
        name: KeyT,
        when: AbsExpiryT,
        nx: bool = False,
        xx: bool = False,
        gt: bool = False,
        lt: bool = False,
    ) -> bool:
        """Expire ``name`` at unix time ``when`` (milliseconds, or a
        datetime)."""
        if isinstance(when, datetime.datetime):
            when = int(when.timestamp() * 1000)
        return self.execute_command("PEXPIREAT", name, when, *_expire_options(nx, xx, gt, lt))

    def pttl(self, name: KeyT) -> int:
        """Milliseconds until ``name`` expires (-1: no TTL, -2: missing)."""
        return self.execute_command("PTTL", name)

    def expiretime(self, key: str) -> int:
        """The unix time in seconds at which ``key`` expires (-1: no TTL,
        -2: missing)."""
        return self.execute_command("EXPIRETIME", key)

    def pexpiretime(self, key: str) -> int:
        """The unix time in milliseconds at which ``key`` expires."""
        return self.execute_command("PEXPIRETIME", key)

    def persist(self, name: KeyT) -> bool:
        """Remove the TTL of ``name``; True if it had one.

        >>> r = Redis()
        >>> r.set("k", 1, ex=100) and r.persist("k"), r.ttl("k")
        (True, -1)
        """
        return self.execute_command("PERSIST", name)

    def object(self, infotype: str, key: KeyT, **kwargs: Any) -> Any:
        """OBJECT ``infotype`` (``encoding``, ``refcount``, ``idletime``,
        ``freq``) of ``key``.

        >>> r = Redis()
        >>> r.set("n", 12) and r.object("encoding", "n")
        b'int'
        """
        return self.execute_command("OBJECT", infotype, key, infotype=infotype, **kwargs)


__all__ = ["KeyCommands"]
