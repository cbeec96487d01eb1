"""Argument helpers shared by the command mixins."""

from __future__ import annotations

import datetime
from typing import Any, Iterable, List, Optional

from ..exceptions import DataError


def list_or_args(keys: Any, args: Optional[Iterable[Any]]) -> List[Any]:
    """redis-py's ``list_or_args``: one key or an iterable of keys, plus
    the extra positional ones."""
    try:
        iter(keys)
        # str and bytes are iterable, but name a single key.
        if isinstance(keys, (bytes, str, bytearray, memoryview)):
            keys = [keys]
        else:
            keys = list(keys)
    except TypeError:
        keys = [keys]
    if args:
        keys.extend(args)
    return keys


def expire_flags(
    ex: Any,
    px: Any,
    exat: Any,
    pxat: Any,
) -> List[Any]:
    """The EX/PX/EXAT/PXAT arguments redis-py builds (same checks and
    DataError texts)."""
    if ex is not None:
        if isinstance(ex, datetime.timedelta):
            return ["EX", int(ex.total_seconds())]
        if isinstance(ex, int):
            return ["EX", ex]
        if isinstance(ex, str) and ex.isdigit():
            return ["EX", int(ex)]
        raise DataError("ex must be datetime.timedelta or int")
    if px is not None:
        if isinstance(px, datetime.timedelta):
            return ["PX", int(px.total_seconds() * 1000)]
        if isinstance(px, int):
            return ["PX", px]
        raise DataError("px must be datetime.timedelta or int")
    if exat is not None:
        if isinstance(exat, datetime.datetime):
            exat = int(exat.timestamp())
        return ["EXAT", exat]
    if pxat is not None:
        if isinstance(pxat, datetime.datetime):
            pxat = int(pxat.timestamp() * 1000)
        return ["PXAT", pxat]
    return []
