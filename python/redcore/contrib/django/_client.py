"""Clients shared by every cache instance and session of a process.

Django builds cache backends per thread and session stores per request;
each of those opening its own connection pool would multiply connections,
so clients are made once per configuration and kept here.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Dict, Mapping, Optional, Tuple, Union

from django.utils.module_loading import import_string

_clients: Dict[Tuple[str, str, str], Any] = {}
_lock = threading.Lock()

Factory = Union[str, Callable[..., Any], None]


def _default_factory(url: str, **kwargs: Any) -> Any:
    import redcore

    return redcore.Redis.from_url(url, **kwargs)


def client_for(url: Optional[str], client_kwargs: Optional[Mapping[str, Any]] = None, factory: Factory = None) -> Any:
    """The process-wide client for ``url`` (``redis://``, ``rediss://``,
    ``unix://`` or ``memory://name``) made by ``factory`` (a callable or
    dotted path; default ``redcore.Redis.from_url``) with
    ``client_kwargs``. A factory without a URL is called with the
    keyword arguments alone.

    >>> client_for("memory://shared-doc") is client_for("memory://shared-doc")
    True
    """
    kwargs = dict(client_kwargs or {})
    made_by: Callable[..., Any] = (
        _default_factory if factory is None else import_string(factory) if isinstance(factory, str) else factory
    )
    if url is None and factory is None:
        raise ValueError("redcore: configure a URL (or LOCATION) or a CLIENT_FACTORY")
    key = (url or "", repr(sorted(kwargs.items())), repr(made_by))
    with _lock:
        client = _clients.get(key)
        if client is None:
            client = made_by(url, **kwargs) if url is not None else made_by(**kwargs)
            _clients[key] = client
        return client


def reset_clients() -> None:
    """Closes and forgets every shared client (tests, or after fork).

    >>> reset_clients()
    """
    with _lock:
        clients = list(_clients.values())
        _clients.clear()
    for client in clients:
        close = getattr(client, "close", None)
        if close is not None:
            close()
