"""StringCommands (redis-py method names and signatures).

GET, SET, MGET, MSET and the INCR/DECR family are written in Rust on the
base client; this mixin adds the rest of the string commands.
"""

from __future__ import annotations

import datetime
from typing import Any, List, Mapping, Optional, Union

from ..exceptions import DataError
from ._util import expire_flags

KeyT = Union[bytes, str, memoryview]
EncodableT = Union[bytes, bytearray, memoryview, str, int, float]
ExpiryT = Union[int, datetime.timedelta]
AbsExpiryT = Union[int, datetime.datetime]




class StringCommands:
    """Mixin; relies on ``execute_command``."""

    execute_command: Any

    def append(self, key: KeyT, value: EncodableT) -> int:
        """Append ``value`` to the string at ``key`` (creating it if
        missing) and return the new length.

        >>> r.append("greeting", "hello")
        5
        """
        return self.execute_command("APPEND", key, value)

    def getdel(self, name: KeyT) -> Optional[bytes]:
        """Return the string at ``name`` and delete the key.

        >>> r.set("k", "v"); r.getdel("k")
        b'v'
        """
        return self.execute_command("GETDEL", name)

    def getex(
        self,
        name: KeyT,
        ex: Optional[ExpiryT] = None,
        px: Optional[ExpiryT] = None,
        exat: Optional[AbsExpiryT] = None,
        pxat: Optional[AbsExpiryT] = None,
        persist: bool = False,
    ) -> Optional[bytes]:
        """Return the string at ``name``, optionally setting its expiry
        (``ex``/``px`` as int or timedelta, ``exat``/``pxat`` as int or
        datetime) or removing it (``persist``).

        >>> r.set("k", "v"); r.getex("k", ex=60)
        b'v'
        """
        chosen = (ex is not None, px is not None, exat is not None, pxat is not None, persist)
        if sum(bool(c) for c in chosen) > 1:
            raise DataError(
                "``ex``, ``px``, ``exat``, ``pxat``, and ``persist`` are mutually exclusive."
            )
        pieces = expire_flags(ex, px, exat, pxat)
        if persist:
            pieces.append("PERSIST")
        return self.execute_command("GETEX", name, *pieces)

    def getrange(self, key: KeyT, start: int, end: int) -> bytes:
        """Return the bytes of ``key`` from ``start`` to ``end`` inclusive
        (negative offsets count from the end).

        >>> r.set("k", "hello"); r.getrange("k", 1, -2)
        b'ell'
        """
        return self.execute_command("GETRANGE", key, start, end, keys=[key])

    def substr(self, name: KeyT, start: int, end: int = -1) -> bytes:
        """GETRANGE under its old name, with ``end`` defaulting to -1.

        >>> r.set("k", "hello"); r.substr("k", 1)
        b'ello'
        """
        return self.execute_command("SUBSTR", name, start, end, keys=[name])

    def getset(self, name: KeyT, value: EncodableT) -> Optional[bytes]:
        """Set ``name`` to ``value`` and return the old value (deprecated in
        Redis in favour of ``set(..., get=True)``).

        >>> r.getset("k", "new")
        """
        return self.execute_command("GETSET", name, value)

    def incrbyfloat(self, name: KeyT, amount: float = 1.0) -> float:
        """Add the float ``amount`` to the value at ``name``.

        >>> r.incrbyfloat("f", 0.5)
        0.5
        """
        return self.execute_command("INCRBYFLOAT", name, amount)

    def msetnx(self, mapping: Mapping[Any, EncodableT]) -> bool:
        """Set every key/value of ``mapping`` if none of the keys exist;
        True if it did.

        >>> r.msetnx({"a": 1, "b": 2})
        True
        """
        items: List[Any] = []
        for pair in mapping.items():
            items.extend(pair)
        return self.execute_command("MSETNX", *items)

    def psetex(self, name: KeyT, time_ms: ExpiryT, value: EncodableT) -> bool:
        """Set ``name`` to ``value`` expiring in ``time_ms`` milliseconds
        (int or timedelta).

        >>> r.psetex("k", 1500, "v")
        True
        """
        if isinstance(time_ms, datetime.timedelta):
            time_ms = int(time_ms.total_seconds() * 1000)
        return self.execute_command("PSETEX", name, time_ms, value)

    def setex(self, name: KeyT, time: ExpiryT, value: EncodableT) -> bool:
        """Set ``name`` to ``value`` expiring in ``time`` seconds (int or
        timedelta).

        >>> r.setex("k", 60, "v")
        True
        """
        if isinstance(time, datetime.timedelta):
            time = int(time.total_seconds())
        return self.execute_command("SETEX", name, time, value)

    def setnx(self, name: KeyT, value: EncodableT) -> bool:
        """Set ``name`` to ``value`` if it does not exist; True if it did.

        >>> r.setnx("k", "v")
        True
        """
        return self.execute_command("SETNX", name, value)

    def setrange(self, name: KeyT, offset: int, value: EncodableT) -> int:
        """Overwrite the string at ``name`` from ``offset`` with ``value``,
        zero-padding as needed; return the new length.

        >>> r.setrange("k", 3, "x")
        4
        """
        return self.execute_command("SETRANGE", name, offset, value)

    def strlen(self, name: KeyT) -> int:
        """Return the length of the string at ``name`` (0 if missing).

        >>> r.set("k", "hello"); r.strlen("k")
        5
        """
        return self.execute_command("STRLEN", name, keys=[name])

    def lcs(
        self,
        key1: str,
        key2: str,
        len: Optional[bool] = False,
        idx: Optional[bool] = False,
        minmatchlen: Optional[int] = 0,
        withmatchlen: Optional[bool] = False,
    ) -> Union[bytes, int, list]:
        """The longest common subsequence of the strings at ``key1`` and
        ``key2``; its length with ``len``; the matching ranges with ``idx``
        (filtered by ``minmatchlen``, each with its length if
        ``withmatchlen``).

        >>> r.mset({"a": "ohmytext", "b": "mynewtext"}); r.lcs("a", "b")
        b'mytext'
        """
        pieces: List[Any] = [key1, key2]
        if len:
            pieces.append("LEN")
        if idx:
            pieces.append("IDX")
        if minmatchlen is not None and minmatchlen != 0:
            pieces.extend(["MINMATCHLEN", minmatchlen])
        if withmatchlen:
            pieces.append("WITHMATCHLEN")
        return self.execute_command("LCS", *pieces, keys=[key1, key2])
