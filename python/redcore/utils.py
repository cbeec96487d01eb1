"""Small helpers redis-py keeps in ``redis.utils``, for code that imports
them from there (``from redis.utils import str_if_bytes``)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, Iterator, List, Mapping, Union

from ._redcore import __version__

if TYPE_CHECKING:
    from .client import Pipeline, Redis


def from_url(url: str, **kwargs: Any) -> "Redis":
    """A client for ``url`` (``redis://``, ``rediss://``, ``unix://`` or
    ``memory://``): ``Redis.from_url(url, **kwargs)``."""
    from .client import Redis

    return Redis.from_url(url, **kwargs)


@contextmanager
def pipeline(redis_obj: Any) -> Iterator["Pipeline"]:
    """A pipeline of ``redis_obj`` that runs when the ``with`` block ends
    without an error."""
    p = redis_obj.pipeline()
    yield p
    p.execute()


def str_if_bytes(value: Union[str, bytes]) -> str:
    """``bytes`` decoded as UTF-8 (bad bytes replaced); anything else as is."""
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value


def safe_str(value: Any) -> str:
    """``str(value)``, with bytes decoded as :func:`str_if_bytes` does."""
    return str(str_if_bytes(value))


def dict_merge(*dicts: Mapping[str, Any]) -> Dict[str, Any]:
    """One dict with the items of all of ``dicts`` (later ones win)."""
    merged: Dict[str, Any] = {}
    for d in dicts:
        merged.update(d)
    return merged


def list_keys_to_dict(key_list: Iterable[Any], callback: Callable[..., Any]) -> Dict[Any, Callable[..., Any]]:
    """``{key: callback}`` for every key (a response-callback table)."""
    return dict.fromkeys(key_list, callback)


def merge_result(command: Any, res: Mapping[Any, Iterable[Any]]) -> List[Any]:
    """The distinct items of every node's reply in ``res`` (node -> reply),
    as one list (a command sent to every node of a cluster)."""
    return list({value for reply in res.values() for value in reply})


def get_lib_version() -> str:
    """This library's version (what ``CLIENT SETINFO LIB-VER`` sends)."""
    return __version__


__all__ = [
    "dict_merge", "from_url", "get_lib_version", "list_keys_to_dict", "merge_result", "pipeline",
    "safe_str", "str_if_bytes",
]
