"""StringCommands (redis-py method names and signatures).

GET, SET, MGET, MSET and the INCR/DECR family are written in Rust on the
base client; this mixin adds the rest of the string commands.
"""

from __future__ import annotations

import datetime
from enum import Enum
from typing import Any, List, Mapping, Optional, Union

from .._redcore import xxh3_digest
from ..exceptions import DataError
from ._util import expire_flags

KeyT = Union[bytes, str, memoryview]
EncodableT = Union[bytes, bytearray, memoryview, str, int, float]
ExpiryT = Union[int, datetime.timedelta]
AbsExpiryT = Union[int, datetime.datetime]




class DataPersistOptions(Enum):
    """MSETEX's condition (redis-py's enum of the same name)."""

    #: Set the keys only if none of them exists.
    NX = "NX"
    #: Set the keys only if all of them exist.
    XX = "XX"


def _one_at_most(*chosen: Any) -> bool:
    return sum(1 for c in chosen if c) <= 1


class StringCommands:
    """Mixin; relies on ``execute_command``."""

    execute_command: Any
    connection_pool: Any

    def delex(
        self,
        name: KeyT,
        ifeq: Optional[Union[bytes, str]] = None,
        ifne: Optional[Union[bytes, str]] = None,
        ifdeq: Optional[str] = None,
        ifdne: Optional[str] = None,
    ) -> int:
        """Delete ``name``, if given only when its value equals ``ifeq`` /
        differs from ``ifne``, or its digest (see :meth:`digest`) equals
        ``ifdeq`` / differs from ``ifdne``; 1 if it was deleted (Redis 8.4).

        >>> r.set("lock", "token"); r.delex("lock", ifeq="other"), r.delex("lock", ifeq="token")
        (0, 1)
        """
        if not _one_at_most(ifeq is not None, ifne is not None, ifdeq is not None, ifdne is not None):
            raise ValueError("Only one of IFEQ/IFNE/IFDEQ/IFDNE may be specified")
        pieces: List[Any] = ["DELEX", name]
        for word, value in (("IFEQ", ifeq), ("IFNE", ifne), ("IFDEQ", ifdeq), ("IFDNE", ifdne)):
            if value is not None:
                pieces += [word, value]
                break
        return self.execute_command(*pieces)

    def digest(self, name: KeyT) -> Optional[Union[bytes, str]]:
        """The XXH3 digest of the string at ``name`` as 16 hex digits, or
        None if the key is missing (Redis 8.4).

        >>> r.set("key1", "Hello world"); r.digest("key1")
        b'b6acb9d84a38ff74'
        """
        return self.execute_command("DIGEST", name)

    def digest_local(self, value: Union[bytes, str]) -> Union[bytes, str]:
        """The digest :meth:`digest` would return for ``value`` (``str`` as
        UTF-8), computed here without a round trip; ``str`` with
        ``decode_responses``, ``bytes`` otherwise. redis-py needs the
        ``xxhash`` package for this; redcore computes it in its core.

        >>> r.digest_local("Hello world")
        b'b6acb9d84a38ff74'
        """
        hexdigest = xxh3_digest(value)
        # Pipelines have no get_encoder of their own: their pool's.
        get_encoder = getattr(self, "get_encoder", None)
        encoder = get_encoder() if get_encoder is not None else self.connection_pool.get_encoder()
        if encoder.decode_responses:
            return hexdigest
        return hexdigest.encode()

    def increx(
        self,
        name: KeyT,
        *,
        byfloat: Optional[EncodableT] = None,
        byint: Optional[EncodableT] = None,
        lbound: Optional[EncodableT] = None,
        ubound: Optional[EncodableT] = None,
        saturate: bool = False,
        ex: Optional[ExpiryT] = None,
        px: Optional[ExpiryT] = None,
        exat: Optional[AbsExpiryT] = None,
        pxat: Optional[AbsExpiryT] = None,
        persist: bool = False,
        enx: bool = False,
    ) -> List[Any]:
        """Add ``byint`` (or ``byfloat``; 1 by default) to the number at
        ``name`` and return ``[new value, increment applied]`` (Redis 8.8).
        A result outside ``lbound``/``ubound`` (or the type's range) is
        refused (``[current, 0]``) or, with ``saturate``, capped at the
        bound. ``ex``/``px``/``exat``/``pxat`` set the expiry (only if it
        has none, with ``enx``); ``persist`` removes it.

        >>> r.set("hits", 99); r.increx("hits", ubound=100), r.increx("hits", ubound=100)
        ([100, 1], [100, 0])
        """
        if not _one_at_most(byfloat is not None, byint is not None):
            raise DataError("``byfloat`` and ``byint`` are mutually exclusive.")
        if not _one_at_most(ex is not None, px is not None, exat is not None, pxat is not None, persist):
            raise DataError("``ex``, ``px``, ``exat``, ``pxat``, and ``persist`` are mutually exclusive.")
        if enx and ex is None and px is None and exat is None and pxat is None:
            raise DataError("``enx`` requires one of ``ex``, ``px``, ``exat``, or ``pxat``.")
        pieces: List[Any] = [name]
        if byfloat is not None:
            pieces += ["BYFLOAT", byfloat]
        elif byint is not None:
            pieces += ["BYINT", byint]
        if lbound is not None:
            pieces += ["LBOUND", lbound]
        if ubound is not None:
            pieces += ["UBOUND", ubound]
        if saturate:
            pieces.append("SATURATE")
        pieces += expire_flags(ex, px, exat, pxat)
        if persist:
            pieces.append("PERSIST")
        if enx:
            pieces.append("ENX")
        return self.execute_command("INCREX", *pieces)

    def msetex(
        self,
        mapping: Mapping[Any, EncodableT],
        data_persist_option: Optional[DataPersistOptions] = None,
        ex: Optional[ExpiryT] = None,
        px: Optional[ExpiryT] = None,
        exat: Optional[AbsExpiryT] = None,
        pxat: Optional[AbsExpiryT] = None,
        keepttl: bool = False,
    ) -> int:
        """Set every key/value of ``mapping`` with one shared expiry
        (``ex``/``px``/``exat``/``pxat``, or ``keepttl``), only if none
        (:attr:`DataPersistOptions.NX`) or all (``XX``) of the keys exist
        when ``data_persist_option`` says so; 1 if it set them (Redis 8.4).

        >>> r.msetex({"a": 1, "b": 2}, ex=60)
        1
        """
        if not _one_at_most(ex is not None, px is not None, exat is not None, pxat is not None, keepttl):
            raise DataError("``ex``, ``px``, ``exat``, ``pxat``, and ``keepttl`` are mutually exclusive.")
        options: List[Any] = []
        if data_persist_option:
            options.append(getattr(data_persist_option, "value", data_persist_option))
        options += expire_flags(ex, px, exat, pxat)
        if keepttl:
            options.append("KEEPTTL")
        pieces: List[Any] = ["MSETEX", len(mapping)]
        for pair in mapping.items():
            pieces.extend(pair)
        return self.execute_command(*pieces, *options)

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
