"""BitmapCommands (redis-py method names and signatures).

SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, and BITFIELD through redis-py's
:class:`BitFieldOperation` builder.
"""

from __future__ import annotations

from typing import Any, List, Optional, Tuple, Union

from ..exceptions import DataError

KeyT = Union[bytes, str, memoryview]
EncodableT = Union[bytes, bytearray, memoryview, str, int, float]
BitfieldOffsetT = Union[int, str]


class BitFieldOperation:
    """Builds one BITFIELD command from chained operations, like redis-py's
    class of the same name.

    >>> import redcore
    >>> r = redcore.Redis()
    >>> r.bitfield("bf").set("u8", 0, 200).incrby("u8", 0, 100).execute()
    [0, 44]
    >>> r.bitfield("bf", default_overflow="SAT").incrby("u8", 0, 300).execute()
    [255]
    """

    def __init__(self, client: Any, key: KeyT, default_overflow: Optional[str] = None) -> None:
        self.client = client
        self.key = key
        self._default_overflow = default_overflow
        self.operations: List[Tuple[Any, ...]] = []
        self._last_overflow = "WRAP"
        self.reset()

    def reset(self) -> None:
        """Forget the queued operations (back to the state after creation)."""
        self.operations = []
        self._last_overflow = "WRAP"
        self.overflow(self._default_overflow or self._last_overflow)

    def overflow(self, overflow: str) -> "BitFieldOperation":
        """Set the overflow policy (WRAP, SAT or FAIL) for the following
        INCRBY / SET operations; emitted only when it changes."""
        overflow = overflow.upper()
        if overflow != self._last_overflow:
            self._last_overflow = overflow
            self.operations.append(("OVERFLOW", overflow))
        return self

    def incrby(
        self,
        fmt: str,
        offset: BitfieldOffsetT,
        increment: int,
        overflow: Optional[str] = None,
    ) -> "BitFieldOperation":
        """Add ``increment`` to the field ``fmt`` (``u8``, ``i16``...) at
        ``offset`` (``'#n'`` means n field widths)."""
        if overflow is not None:
            self.overflow(overflow)
        self.operations.append(("INCRBY", fmt, offset, increment))
        return self

    def get(self, fmt: str, offset: BitfieldOffsetT) -> "BitFieldOperation":
        """Read the field ``fmt`` at ``offset``."""
        self.operations.append(("GET", fmt, offset))
        return self

    def set(self, fmt: str, offset: BitfieldOffsetT, value: int) -> "BitFieldOperation":
        """Write ``value`` to the field ``fmt`` at ``offset`` (replies with
        the old value)."""
        self.operations.append(("SET", fmt, offset, value))
        return self

    @property
    def command(self) -> List[Any]:
        """The BITFIELD command the queued operations make."""
        cmd: List[Any] = ["BITFIELD", self.key]
        for ops in self.operations:
            cmd.extend(ops)
        return cmd

    def execute(self) -> Any:
        """Run the operations in one BITFIELD command and return the list of
        replies (``None`` where OVERFLOW FAIL refused a change); on a
        pipeline the command is queued instead."""
        command = self.command
        self.reset()
        return self.client.execute_command(*command)


class BitmapCommands:
    """Mixin; relies on ``execute_command``."""

    execute_command: Any

    def setbit(self, name: KeyT, offset: int, value: int) -> int:
        """Set the bit at ``offset`` to ``value`` (truthy -> 1) and return
        the bit's previous value.

        >>> import redcore
        >>> r = redcore.Redis()
        >>> r.setbit("b", 7, 1), r.get("b")
        (0, b'\\x01')
        """
        value = value and 1 or 0
        return self.execute_command("SETBIT", name, offset, value)

    def getbit(self, name: KeyT, offset: int) -> int:
        """The bit at ``offset`` (0 past the end or for a missing key).

        >>> import redcore
        >>> r = redcore.Redis()
        >>> r.set("b", "A") and r.getbit("b", 1)
        1
        """
        return self.execute_command("GETBIT", name, offset, keys=[name])

    def bitcount(
        self,
        key: KeyT,
        start: Optional[int] = None,
        end: Optional[int] = None,
        mode: Optional[str] = None,
    ) -> int:
        """Count the set bits, optionally within ``start``..``end`` (bytes,
        or bits with ``mode="BIT"``).

        >>> import redcore
        >>> r = redcore.Redis()
        >>> r.set("s", "foobar") and r.bitcount("s"), r.bitcount("s", 1, 1)
        (26, 6)
        """
        params: List[Any] = [key]
        if start is not None and end is not None:
            params.append(start)
            params.append(end)
        elif (start is not None and end is None) or (end is not None and start is None):
            raise DataError("Both start and end must be specified")
        if mode is not None:
            params.append(mode)
        return self.execute_command("BITCOUNT", *params, keys=[key])

    def bitfield(self, key: KeyT, default_overflow: Optional[str] = None) -> BitFieldOperation:
        """A :class:`BitFieldOperation` builder for ``key``.

        >>> import redcore
        >>> r = redcore.Redis()
        >>> r.bitfield("k").set("i8", "#1", -3).get("u8", 8).execute()
        [0, 253]
        """
        return BitFieldOperation(self, key, default_overflow=default_overflow)

    def bitfield_ro(
        self,
        key: KeyT,
        encoding: str,
        offset: BitfieldOffsetT,
        items: Optional[List[Tuple[str, BitfieldOffsetT]]] = None,
    ) -> List[int]:
        """BITFIELD_RO: read the field ``encoding`` at ``offset`` and each
        ``(encoding, offset)`` of ``items``.

        >>> import redcore
        >>> r = redcore.Redis()
        >>> r.set("k", "\\x01\\x02") and r.bitfield_ro("k", "u8", 0, [("u8", 8)])
        [1, 2]
        """
        params: List[Any] = [key, "GET", encoding, offset]
        for enc, off in items or []:
            params.extend(["GET", enc, off])
        return self.execute_command("BITFIELD_RO", *params, keys=[key])

    def bitop(self, operation: str, dest: KeyT, *keys: KeyT) -> int:
        """Store ``operation`` (AND, OR, XOR, NOT) of ``keys`` in ``dest``
        and return the result's length.

        >>> import redcore
        >>> r = redcore.Redis()
        >>> r.set("a", "ab") and r.bitop("NOT", "n", "a"), r.get("n")
        (2, b'\\x9e\\x9d')
        """
        return self.execute_command("BITOP", operation, dest, *keys)

    def bitpos(
        self,
        key: KeyT,
        bit: int,
        start: Optional[int] = None,
        end: Optional[int] = None,
        mode: Optional[str] = None,
    ) -> int:
        """The position of the first ``bit`` (0 or 1), optionally within
        ``start``..``end`` (bytes, or bits with ``mode="BIT"``).

        >>> import redcore
        >>> r = redcore.Redis()
        >>> r.set("k", "\\x0f") and r.bitpos("k", 1), r.bitpos("k", 0, 0)
        (4, 0)
        """
        if bit not in (0, 1):
            raise DataError("bit must be 0 or 1")
        params: List[Any] = [key, bit]
        if start is not None:
            params.append(start)
        if start is not None and end is not None:
            params.append(end)
        elif start is None and end is not None:
            raise DataError("start argument is not set, when end is specified")
        if mode is not None:
            params.append(mode)
        return self.execute_command("BITPOS", *params, keys=[key])


__all__ = ["BitFieldOperation", "BitmapCommands"]
