"""Connection pools for remote servers, with redis-py's interface.

``ConnectionPool(**connection_kwargs)`` holds connections to one server;
``Redis(connection_pool=pool)`` clients share it. ``BlockingConnectionPool``
waits for a free connection instead of failing when ``max_connections``
are in use. The sockets, the pool and the protocol live in the Rust core;
these classes hold the settings.

    >>> from redcore.connection import ConnectionPool, parse_url
    >>> parse_url("redis://user:secret@localhost:6380/2?socket_timeout=1.5")
    {'socket_timeout': 1.5, 'username': 'user', 'password': 'secret', 'host': 'localhost', 'port': 6380, 'db': 2}
"""

from __future__ import annotations

import copy
import socket as _socket
from typing import Any, Dict, Optional, Type
from urllib.parse import parse_qs, unquote, urlparse

from . import _redcore
from .backoff import ExponentialWithJitterBackoff, NoBackoff
from .exceptions import TimeoutError
from .retry import Retry

DEFAULT_SOCKET_TIMEOUT = 5.0
DEFAULT_RETRY_COUNT = 10


def default_retry() -> Retry:
    """The retry policy of a client made with default settings (redis-py's
    default object: 10 retries, exponential backoff with jitter, 10 ms
    base, 1 s cap)."""
    return Retry(ExponentialWithJitterBackoff(base=0.01, cap=1), DEFAULT_RETRY_COUNT)


class Connection:
    """Marker for a TCP connection (``connection_class`` argument)."""


class SSLConnection(Connection):
    """Marker for a TLS connection."""


class UnixDomainSocketConnection(Connection):
    """Marker for a Unix socket connection."""


FALSE_STRINGS = ("0", "F", "FALSE", "N", "NO")


def to_bool(value: Any) -> Optional[bool]:
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.upper() in FALSE_STRINGS:
        return False
    return bool(value)


URL_QUERY_ARGUMENT_PARSERS: Dict[str, Any] = {
    "db": int,
    "socket_timeout": float,
    "socket_connect_timeout": float,
    "socket_read_size": int,
    "socket_keepalive": to_bool,
    "retry_on_timeout": to_bool,
    "retry_on_error": list,
    "max_connections": int,
    "health_check_interval": int,
    "ssl_check_hostname": to_bool,
    "timeout": float,
    "protocol": int,
    "legacy_responses": to_bool,
    "decode_responses": to_bool,
    "single_connection_client": to_bool,
}


def parse_url(url: str) -> Dict[str, Any]:
    """Connection keyword arguments from a ``redis://``, ``rediss://`` or
    ``unix://`` URL, with redis-py's rules."""
    if not (url.startswith("redis://") or url.startswith("rediss://") or url.startswith("unix://")):
        raise ValueError("Redis URL must specify one of the following schemes (redis://, rediss://, unix://)")
    parsed = urlparse(url)
    kwargs: Dict[str, Any] = {}
    for name, values in parse_qs(parsed.query).items():
        if not values:
            continue
        value = values[0]
        parser = URL_QUERY_ARGUMENT_PARSERS.get(name)
        if parser:
            try:
                kwargs[name] = parser(value)
            except (TypeError, ValueError):
                raise ValueError(f"Invalid value for '{name}' in connection URL.")
        else:
            kwargs[name] = value
    if parsed.username:
        kwargs["username"] = unquote(parsed.username)
    if parsed.password:
        kwargs["password"] = unquote(parsed.password)
    if parsed.scheme == "unix":
        if parsed.path:
            kwargs["path"] = unquote(parsed.path)
        kwargs["connection_class"] = UnixDomainSocketConnection
    else:
        if parsed.hostname:
            kwargs["host"] = unquote(parsed.hostname)
        if parsed.port:
            kwargs["port"] = int(parsed.port)
        if parsed.path and "db" not in kwargs:
            try:
                kwargs["db"] = int(unquote(parsed.path).replace("/", ""))
            except (AttributeError, ValueError):
                pass
        if parsed.scheme == "rediss":
            kwargs["connection_class"] = SSLConnection
    return kwargs


_CERT_REQS = {0: "none", 1: "optional", 2: "required"}


def _cert_reqs(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, str):
        return value
    return _CERT_REQS.get(int(value), "required")


def _keepalive_options(options: Any) -> Dict[str, Any]:
    """redis-py's ``socket_keepalive_options`` ({socket.TCP_KEEPIDLE: 30,
    ...}) as the core's named settings; unset means redis-py's defaults."""
    if options is None:
        return {}
    if options is _UNSET:
        return {"keepalive_idle": 30.0, "keepalive_interval": 5.0, "keepalive_count": 3}
    names = {
        getattr(_socket, "TCP_KEEPIDLE", None): "keepalive_idle",
        getattr(_socket, "TCP_KEEPINTVL", None): "keepalive_interval",
        getattr(_socket, "TCP_KEEPCNT", None): "keepalive_count",
    }
    out: Dict[str, Any] = {}
    for opt, value in dict(options).items():
        name = names.get(opt)
        if name is not None:
            out[name] = int(value) if name == "keepalive_count" else float(value)
    return out


_UNSET = object()

# redis-py arguments accepted and ignored: features redcore does without.
IGNORED_REDIS_ARGS = frozenset({
    "lib_name", "lib_version", "driver_info", "redis_connect_func", "credential_provider",
    "cache", "cache_config", "event_dispatcher", "maint_notifications_config",
    "oss_cluster_maint_notifications_handler", "ssl_include_verify_flags", "ssl_exclude_verify_flags",
    "ssl_ca_path", "ssl_ca_data", "ssl_password", "ssl_validate_ocsp", "ssl_validate_ocsp_stapled",
    "ssl_ocsp_context", "ssl_ocsp_expected_cert", "ssl_min_version", "ssl_ciphers",
})

# Connection arguments the pool does not pass to its core: the above, and
# the ones the client or the pool itself handles.
_IGNORED = IGNORED_REDIS_ARGS | {
    "socket_read_size", "socket_type", "parser_class", "encoder_class",
    "decode_responses", "encoding", "encoding_errors", "single_connection_client", "legacy_responses",
    "timeout", "queue_class",
}


def _to_bytes(value: Any, encoding: str) -> Optional[bytes]:
    if value is None:
        return None
    if isinstance(value, str):
        return value.encode(encoding)
    return bytes(value)


class ConnectionPool:
    """A thread-safe pool of connections to one server.

    Accepts redis-py's connection arguments (``host``, ``port``, ``db``,
    ``username``, ``password``, ``socket_timeout``, ``ssl_*``, ``retry``,
    ...). When ``max_connections`` are in use, getting another raises
    :class:`~redcore.exceptions.MaxConnectionsError`.
    """

    _blocking = False
    #: How long a blocking pool waits for a free connection.
    timeout: Optional[float] = None

    def __init__(self, connection_class: Type[Connection] = Connection, max_connections: Optional[int] = None, **connection_kwargs: Any) -> None:
        max_connections = max_connections or 2**31
        if not isinstance(max_connections, int) or max_connections < 0:
            raise ValueError('"max_connections" must be a positive integer')
        self._safe_retries = bool(connection_kwargs.pop("_safe_retries", False))
        self.connection_class = connection_class
        self.connection_kwargs = connection_kwargs
        self.max_connections = max_connections
        self._core = self._make_core()

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> "ConnectionPool":
        """A pool from a ``redis://``, ``rediss://`` or ``unix://`` URL;
        query parameters and ``kwargs`` set connection arguments."""
        url_options = parse_url(url)
        if "connection_class" in kwargs:
            url_options["connection_class"] = kwargs["connection_class"]
        kwargs.update(url_options)
        return cls(**kwargs)

    def __repr__(self) -> str:
        kw = self.connection_kwargs
        where = kw.get("path") or f"{kw.get('host', 'localhost')}:{kw.get('port', 6379)}"
        return f"<{type(self).__module__}.{type(self).__name__}({where} db={kw.get('db', 0)})>"

    def _retry(self) -> tuple:
        """(retry object or None, whether the user asked for retries)."""
        kw = self.connection_kwargs
        retry = kw.get("retry")
        errors = list(kw.get("retry_on_error") or [])
        if kw.get("retry_on_timeout"):
            errors.append(TimeoutError)
        if self._safe_retries and not errors:
            return (retry if retry is not None else default_retry()), False
        if retry is None and not errors:
            return Retry(NoBackoff(), 0), False
        retry = Retry(NoBackoff(), 1) if retry is None else copy.deepcopy(retry)
        if errors:
            retry.update_supported_errors(errors)
        return retry, True

    def _make_core(self) -> Any:
        kw = dict(self.connection_kwargs)
        for name in list(kw):
            if name in _IGNORED:
                kw.pop(name)
        encoding = self.connection_kwargs.get("encoding", "utf-8")
        retry, explicit = self._retry()
        kw.pop("retry", None)
        kw.pop("retry_on_error", None)
        kw.pop("retry_on_timeout", None)
        cls = self.connection_class
        path = kw.pop("path", None) or kw.pop("unix_socket_path", None)
        if isinstance(cls, type) and issubclass(cls, UnixDomainSocketConnection) or path is not None:
            kw["unix_socket_path"] = path or ""
            for name in ("host", "port", "socket_keepalive", "socket_keepalive_options", "socket_connect_timeout"):
                kw.pop(name, None)
        if isinstance(cls, type) and issubclass(cls, SSLConnection):
            kw["ssl"] = True
        if "ssl_cert_reqs" in kw:
            kw["ssl_cert_reqs"] = _cert_reqs(kw["ssl_cert_reqs"])
        kw.update(_keepalive_options(kw.pop("socket_keepalive_options", _UNSET)))
        if kw.get("socket_keepalive") is None and "socket_keepalive" in kw:
            kw["socket_keepalive"] = False
        kw.setdefault("socket_timeout", DEFAULT_SOCKET_TIMEOUT)
        kw.setdefault("socket_connect_timeout", kw["socket_timeout"])
        for name in ("username", "password", "client_name"):
            if name in kw:
                kw[name] = _to_bytes(kw[name], encoding)
        if kw.get("protocol") is None:
            kw.pop("protocol", None)
        else:
            kw["protocol"] = int(kw["protocol"])
        if kw.get("health_check_interval") is None:
            kw.pop("health_check_interval", None)
        if "port" in kw:
            kw["port"] = int(kw["port"])
        if "db" in kw:
            kw["db"] = int(kw["db"])
        unknown = set(kw) - _CORE_ARGS
        if unknown:
            raise TypeError(f"unexpected connection arguments: {', '.join(sorted(unknown))}")
        return _redcore.RemotePool(
            max_connections=self.max_connections,
            blocking=self._blocking,
            blocking_timeout=self.timeout,
            retry=retry,
            explicit_retry=explicit,
            **kw,
        )

    def get_protocol(self) -> Any:
        """The RESP version connections use (None: redcore's default, 2)."""
        return self.connection_kwargs.get("protocol")

    def get_encoder(self) -> Any:
        """(encoding, errors, decode_responses) of this pool's clients."""
        kw = self.connection_kwargs
        return (kw.get("encoding", "utf-8"), kw.get("encoding_errors", "strict"), kw.get("decode_responses", False))

    def set_retry(self, retry: Retry) -> None:
        """Uses ``retry`` for connections made from now on."""
        self.connection_kwargs["retry"] = retry
        self._safe_retries = False
        self.reset()

    def get_retry(self) -> Any:
        return self._core.retry

    def reset(self) -> None:
        """Forgets every connection and starts afresh with the current
        settings (clients made earlier keep the old pool's connections)."""
        self._core.disconnect()
        self._core = self._make_core()

    def disconnect(self, inuse_connections: bool = True) -> None:
        """Closes idle connections now; busy ones are closed when returned."""
        self._core.disconnect()

    def close(self) -> None:
        """Same as :meth:`disconnect`."""
        self.disconnect()

    def get_connection_count(self) -> int:
        """Connections open (idle and in use)."""
        return self._core._counts()[0]


_CORE_ARGS = {
    "host", "port", "unix_socket_path", "db", "username", "password", "socket_timeout",
    "socket_connect_timeout", "socket_keepalive", "keepalive_idle", "keepalive_interval",
    "keepalive_count", "client_name", "protocol", "health_check_interval", "ssl",
    "ssl_ca_certs", "ssl_certfile", "ssl_keyfile", "ssl_cert_reqs", "ssl_check_hostname",
}


class BlockingConnectionPool(ConnectionPool):
    """A pool that waits up to ``timeout`` seconds (None: forever) for a
    free connection when ``max_connections`` are in use, then raises
    ``ConnectionError("No connection available.")``."""

    _blocking = True

    def __init__(self, max_connections: int = 50, timeout: Optional[float] = 20, connection_class: Type[Connection] = Connection, queue_class: Any = None, **connection_kwargs: Any) -> None:
        self.timeout = timeout
        self.queue_class = queue_class
        super().__init__(connection_class, max_connections, **connection_kwargs)


__all__ = [
    "BlockingConnectionPool",
    "Connection",
    "ConnectionPool",
    "SSLConnection",
    "UnixDomainSocketConnection",
    "parse_url",
]
