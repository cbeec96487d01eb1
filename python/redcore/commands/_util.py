"""Argument helpers shared by the command mixins.

redis-py's argument rules are written once, in Rust, where the fast
methods (``set``, ``mget``, ``hmget``...) apply them; the Python methods
call the same functions, so both paths give the same arguments and the
same ``DataError`` texts.
"""

from __future__ import annotations

from typing import Any, Iterable, List, Optional

from .._redcore import expire_flags as _expire_flags
from .._redcore import list_or_args as _list_or_args


def list_or_args(keys: Any, args: Optional[Iterable[Any]]) -> List[Any]:
    """redis-py's ``list_or_args``: one key or an iterable of keys, plus
    the extra positional ones."""
    return _list_or_args(keys, args)


def expire_flags(ex: Any, px: Any, exat: Any, pxat: Any) -> List[Any]:
    """The EX/PX/EXAT/PXAT arguments redis-py builds (same checks and
    DataError texts): ``[]`` or ``[keyword, value]``."""
    return _expire_flags(ex, px, exat, pxat)
