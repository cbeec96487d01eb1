"""ListCommands (redis-py method names and signatures).

LPUSH, RPUSH, LPOP, RPOP, LRANGE and LLEN are defined in Rust on the
client class; this mixin adds the rest of the non-blocking list commands.
"""

from __future__ import annotations

from typing import Any, List, Optional, Union

from ..exceptions import DataError
from ._util import list_or_args


class ListCommands:
    """Mixin; relies on ``execute_command``."""

    execute_command: Any

    def lindex(self, name: Any, index: int) -> Optional[Union[bytes, str]]:
        """Return the item of list ``name`` at ``index`` (negative counts
        from the end), or None.

        >>> r.rpush("l", "a", "b"); r.lindex("l", -1)
        b'b'
        """
        return self.execute_command("LINDEX", name, index, keys=[name])

    def linsert(self, name: Any, where: str, refvalue: Any, value: Any) -> int:
        """Insert ``value`` before or after (``where``) the first ``refvalue``
        in list ``name``. Returns the new length, -1 if ``refvalue`` is not
        in the list, 0 if the list does not exist.

        >>> r.rpush("l", "a", "c"); r.linsert("l", "BEFORE", "c", "b")
        3
        """
        return self.execute_command("LINSERT", name, where, refvalue, value)

    def lmove(self, first_list: Any, second_list: Any, src: str = "LEFT", dest: str = "RIGHT") -> Optional[Union[bytes, str]]:
        """Pop an element from the ``src`` end of ``first_list`` and push it
        on the ``dest`` end of ``second_list``; returns it (None if
        ``first_list`` is empty).

        >>> r.rpush("a", "x"); r.lmove("a", "b", "LEFT", "RIGHT")
        b'x'
        """
        return self.execute_command("LMOVE", first_list, second_list, src, dest)

    def lmpop(self, num_keys: int, *args: Any, direction: str, count: Optional[int] = 1) -> Optional[List[Any]]:
        """Pop up to ``count`` elements from the ``direction`` end of the
        first non-empty list among the keys; returns ``[key, [elements]]``
        or None.

        >>> r.rpush("b", 1, 2, 3); r.lmpop(2, "a", "b", direction="LEFT", count=2)
        [b'b', [b'1', b'2']]
        """
        cmd_args: List[Any] = [num_keys, *args, direction]
        if count != 1:
            cmd_args.extend(["COUNT", count])
        return self.execute_command("LMPOP", *cmd_args)

    def lpos(
        self,
        name: Any,
        value: Any,
        rank: Optional[int] = None,
        count: Optional[int] = None,
        maxlen: Optional[int] = None,
    ) -> Union[int, List[int], None]:
        """Position of ``value`` in list ``name``: the ``rank``-th match
        (negative searches from the tail), up to ``count`` positions as a
        list (0 = all), scanning at most ``maxlen`` elements (0 = all).

        >>> r.rpush("l", "a", "b", "a"); r.lpos("l", "a", rank=-1)
        2
        """
        pieces: List[Any] = [name, value]
        if rank is not None:
            pieces.extend(["RANK", rank])
        if count is not None:
            pieces.extend(["COUNT", count])
        if maxlen is not None:
            pieces.extend(["MAXLEN", maxlen])
        return self.execute_command("LPOS", *pieces, keys=[name])

    def lpushx(self, name: Any, *values: Any) -> int:
        """Push ``values`` onto the head of list ``name`` if it exists;
        returns the new length (0 if it does not exist).

        >>> r.lpushx("missing", "a")
        0
        """
        return self.execute_command("LPUSHX", name, *values)

    def rpushx(self, name: Any, *values: Any) -> int:
        """Push ``values`` onto the tail of list ``name`` if it exists;
        returns the new length (0 if it does not exist).

        >>> r.rpush("l", "a"); r.rpushx("l", "b")
        2
        """
        return self.execute_command("RPUSHX", name, *values)

    def lrem(self, name: Any, count: int, value: Any) -> int:
        """Remove the first ``count`` occurrences of ``value`` from list
        ``name`` (from the tail when negative, all when 0); returns how
        many were removed.

        >>> r.rpush("l", "a", "b", "a"); r.lrem("l", 0, "a")
        2
        """
        return self.execute_command("LREM", name, count, value)

    def lset(self, name: Any, index: int, value: Any) -> bool:
        """Set the element at ``index`` of list ``name`` to ``value``.

        >>> r.rpush("l", "a"); r.lset("l", 0, "b")
        True
        """
        return self.execute_command("LSET", name, index, value)

    def ltrim(self, name: Any, start: int, end: int) -> bool:
        """Trim list ``name`` to the elements between ``start`` and ``end``
        inclusive (negative indexes count from the end).

        >>> r.rpush("l", "a", "b", "c"); r.ltrim("l", 0, 1)
        True
        """
        return self.execute_command("LTRIM", name, start, end)

    def rpoplpush(self, src: Any, dst: Any) -> Optional[Union[bytes, str]]:
        """Pop the tail of ``src`` and push it onto the head of ``dst``;
        returns the element (None if ``src`` is empty).

        >>> r.rpush("a", "x"); r.rpoplpush("a", "b")
        b'x'
        """
        return self.execute_command("RPOPLPUSH", src, dst)

    # --- blocking pops -------------------------------------------------

    def blpop(self, keys: Any, timeout: Optional[float] = 0) -> Any:
        """Pop the first element of the first non-empty list in ``keys``,
        waiting up to ``timeout`` seconds (0 = forever) for one to appear.
        Returns ``(key, value)`` or None on timeout.

        >>> r.rpush("jobs", "a"); r.blpop(["jobs"], timeout=1)
        (b'jobs', b'a')
        """
        args = list_or_args(keys, None)
        args.append(0 if timeout is None else timeout)
        return self.execute_command("BLPOP", *args)

    def brpop(self, keys: Any, timeout: Optional[float] = 0) -> Any:
        """Like :meth:`blpop`, popping from the tail."""
        args = list_or_args(keys, None)
        args.append(0 if timeout is None else timeout)
        return self.execute_command("BRPOP", *args)

    def blmove(self, first_list: Any, second_list: Any, timeout: float, src: str = "LEFT", dest: str = "RIGHT") -> Any:
        """Blocking :meth:`lmove`: waits up to ``timeout`` seconds for an
        element in ``first_list``."""
        return self.execute_command("BLMOVE", first_list, second_list, src, dest, timeout)

    def lmovem(
        self,
        first_list: Any,
        second_list: Any,
        src: str = "LEFT",
        dest: str = "RIGHT",
        count: Optional[int] = None,
        mode: Optional[str] = None,
        ordering: Optional[str] = None,
    ) -> Any:
        """Move up to ``count`` elements (``mode="EXACTLY"``: all of them or
        none) from ``first_list`` to ``second_list`` and return them as they
        now lie in the destination. ``ordering`` ``"OBO"`` pushes each as it
        is popped, ``"BULK"`` keeps the batch's order. Without ``count`` it
        is :meth:`lmove` with a one-element list for a reply.

        >>> r.rpush("src", 1, 2, 3, 4)
        4
        >>> r.lmovem("src", "dst", "LEFT", "LEFT", count=2, ordering="OBO")
        [b'2', b'1']
        """
        return self.execute_command("LMOVEM", *_lmovem_args(first_list, second_list, src, dest, None, count, mode, ordering))

    def blmovem(
        self,
        first_list: Any,
        second_list: Any,
        timeout: float,
        src: str = "LEFT",
        dest: str = "RIGHT",
        count: Optional[int] = None,
        mode: Optional[str] = None,
        ordering: Optional[str] = None,
    ) -> Any:
        """Blocking :meth:`lmovem`: waits up to ``timeout`` seconds (0:
        for ever) while ``first_list`` is empty or, with
        ``mode="EXACTLY"``, shorter than ``count``; None on timeout."""
        args = _lmovem_args(first_list, second_list, src, dest, timeout, count, mode, ordering)
        return self.execute_command("BLMOVEM", *args)

    def brpoplpush(self, src: Any, dst: Any, timeout: Optional[float] = 0) -> Any:
        """Blocking :meth:`rpoplpush`."""
        return self.execute_command("BRPOPLPUSH", src, dst, 0 if timeout is None else timeout)

    def blmpop(self, timeout: float, numkeys: int, *args: Any, direction: str, count: Optional[int] = 1) -> Any:
        """Blocking :meth:`lmpop`: ``[key, [elements]]`` or None on timeout."""
        return self.execute_command("BLMPOP", timeout, numkeys, *args, direction, "COUNT", count)


def _lmovem_args(
    first_list: Any, second_list: Any, src: str, dest: str, timeout: Optional[float],
    count: Optional[int], mode: Optional[str], ordering: Optional[str],
) -> List[Any]:
    """LMOVEM / BLMOVEM's arguments, checked as redis-py checks them."""
    if count is None:
        if mode is not None or ordering is not None:
            raise DataError("``count`` is required when ``mode`` or ``ordering`` is set")
    elif ordering is None:
        raise DataError("``ordering`` (OBO or BULK) is required when ``count`` is set")
    pieces: List[Any] = [first_list, second_list, src, dest]
    if timeout is not None:
        pieces.append(timeout)
    if count is not None:
        pieces.extend([mode or "COUNT", count, ordering])
    return pieces
