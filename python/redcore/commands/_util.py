"""Argument helpers shared by the command mixins."""

from __future__ import annotations

from typing import Any, Iterable, List, Optional


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
