"""Connection pools, with redis-py's interface.

``ConnectionPool(**connection_kwargs)`` holds connections to one server;
``Redis(connection_pool=pool)`` clients share it. ``BlockingConnectionPool``
waits for a free connection instead of failing when ``max_connections``
are in use. The sockets, the pool and the protocol live in the Rust core;
these classes hold the settings.

An embedded client's pool is an :class:`EmbeddedConnectionPool`: its
``connection_kwargs`` name the engine, so a client rebuilt from them (as
rq and Celery do for their workers) reaches the same data, also for the
private engine of a plain ``Redis()``::

    >>> import redcore
    >>> r = redcore.Redis()
    >>> r.set("k", "v")
    True
    >>> redcore.Redis(**r.connection_pool.connection_kwargs).get("k")
    b'v'

Connections from ``get_connection()`` have redis-py's low-level interface
(``send_command``, ``read_response``...), so code that drives connections
itself, redis-py's own ``Redis`` included, runs on redcore's pools; a
SUBSCRIBE puts a connection in pub/sub mode, as on a socket, and connect
callbacks re-subscribe after a reconnection, so redis-py's ``PubSub`` runs
on them too.

    >>> from redcore.connection import ConnectionPool, parse_url
    >>> parse_url("redis://user:secret@localhost:6380/2?socket_timeout=1.5")
    {'socket_timeout': 1.5, 'username': 'user', 'password': 'secret', 'host': 'localhost', 'port': 6380, 'db': 2}
"""

from __future__ import annotations

import collections
import copy
import inspect
import itertools
import os
import socket as _socket
import ssl as _ssl
import threading
import time
import weakref
from typing import Any, Deque, Dict, List, Optional, Set, Tuple, Type
from urllib.parse import parse_qs, quote, unquote, urlparse

from . import _redcore
from ._compat import adopt, redis_base, weak_call
from ._config import startup_config
from ._csc import ClientSideCache, make_cache
from .backoff import ExponentialWithJitterBackoff, NoBackoff
from .exceptions import ConnectionError, DataError, RedisError, ResponseError, TimeoutError
from .retry import Retry

DEFAULT_SOCKET_TIMEOUT = 5.0
DEFAULT_RETRY_COUNT = 10


def default_retry() -> Retry:
    """The retry policy of a client made with default settings (redis-py's
    default object: 10 retries, exponential backoff with jitter, 10 ms
    base, 1 s cap)."""
    return Retry(ExponentialWithJitterBackoff(base=0.01, cap=1), DEFAULT_RETRY_COUNT)


class Encoder:
    """Encodes arguments to bytes and decodes replies, with a client's
    ``encoding``, ``encoding_errors`` and ``decode_responses`` (redis-py's
    ``get_encoder()``).

    >>> Encoder("utf-8", "strict", True).encode(1.5)
    b'1.5'
    """

    __slots__ = ("encoding", "encoding_errors", "decode_responses")

    def __init__(self, encoding: str = "utf-8", encoding_errors: str = "strict", decode_responses: bool = False) -> None:
        self.encoding = encoding
        self.encoding_errors = encoding_errors
        self.decode_responses = decode_responses

    def encode(self, value: Any) -> Any:
        """``value`` as bytes (bytes-like values pass through)."""
        if isinstance(value, (bytes, bytearray, memoryview)):
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise DataError(f"Invalid input of type: '{type(value).__name__}'. Convert to a bytes, string, int or float first.")
        if isinstance(value, float):
            return _redcore._float_repr(value).encode()
        if isinstance(value, int):
            return str(int(value)).encode()
        return value.encode(self.encoding, self.encoding_errors)

    def decode(self, value: Any, force: bool = False) -> Any:
        """``value`` as ``str`` when decoding replies (or ``force``)."""
        if self.decode_responses or force:
            if isinstance(value, memoryview):
                value = value.tobytes()
            if isinstance(value, (bytes, bytearray)):
                return bytes(value).decode(self.encoding, self.encoding_errors)
        return value


# read_response's "nothing arrived" and "no timeout given" markers.
_NOTHING = object()
_UNSET_TIMEOUT: Any = object()
# The commands that put a connection in pub/sub mode (the command table's
# ``subscribes`` trait), upper-case as ``_command_name`` gives them.
_SUBSCRIBE_COMMANDS = frozenset(
    row["name"].upper().encode() for row in _redcore.command_table() if "subscribes" in row["traits"]
)


class ConnectCallbacks:
    """The connect callbacks of a connection: ``callback(connection)`` runs
    after each (re)connection (awaited on asyncio connections when it
    returns an awaitable), which is how redis-py's ``PubSub`` re-subscribes.
    A bound method is held weakly, so the connection does not keep its
    owner alive."""

    _connect_callbacks: List[Any]

    def register_connect_callback(self, callback: Any) -> None:
        ref = _callback_ref(callback)
        if ref not in self._connect_callbacks:
            self._connect_callbacks.append(ref)

    def deregister_connect_callback(self, callback: Any) -> None:
        ref = _callback_ref(callback)
        if ref in self._connect_callbacks:
            self._connect_callbacks.remove(ref)

    def clear_connect_callbacks(self) -> None:
        self._connect_callbacks = []


class Connection(ConnectCallbacks, *redis_base("redis.connection", "Connection")):  # type: ignore[misc]  # redis-py base when installed
    """One connection of a pool, with redis-py's low-level interface:
    ``send_command(*args)`` runs a command and ``read_response()`` returns
    its reply (or raises its error), in order. ``send_packed_command`` takes
    what ``pack_command``/``pack_commands`` return. The connection keeps its
    state between commands (SELECT, MULTI, WATCH), as a socket to a server
    would.

    As a pool's ``connection_class`` it also picks the transport: TCP
    (``Connection``), TLS (:class:`SSLConnection`), a Unix socket
    (:class:`UnixDomainSocketConnection`) or the embedded engine
    (:class:`EmbeddedConnection`).
    """

    def __init__(self, pool: Optional["ConnectionPool"] = None, **connection_kwargs: Any) -> None:
        if pool is None:
            pool = _pool_class_for(type(self))(connection_class=type(self), **connection_kwargs)
        self._pool = pool
        self.pid = os.getpid()
        self.encoder = pool.get_encoder()
        self.db = pool.connection_kwargs.get("db", 0)
        # The pool's core already retries what is safe to retry.
        self.retry = Retry(NoBackoff(), 0)
        self._client: Any = None
        self._replies: Deque[Any] = collections.deque()
        # Pub/sub mode (see send_command): the subscriber connection that
        # carries every command and reply from the first SUBSCRIBE on, and
        # what can_read() took from it before read_response() asked, each
        # as (reply, whether it came as a RESP3 push frame).
        self._sub: Any = None
        self._peeked: Deque[Tuple[Any, bool]] = collections.deque()
        self._connect_callbacks: List[Any] = []
        kw = pool.connection_kwargs
        # redis-py's PubSub pings a quiet subscriber connection this often.
        self.health_check_interval = int(kw.get("health_check_interval") or 0)
        self.next_health_check = 0.0
        self._parser = PushHandlers()

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{type(self).__name__}({self._pool!r})>"

    def __del__(self) -> None:
        try:
            self.disconnect()
        except Exception:
            pass

    @property
    def is_connected(self) -> bool:
        return self._client is not None

    @property
    def socket_timeout(self) -> Optional[float]:
        """How long a read waits (None: forever)."""
        kw = self._pool.connection_kwargs
        return kw.get("socket_timeout", None if isinstance(self, EmbeddedConnection) else DEFAULT_SOCKET_TIMEOUT)

    @property
    def credential_provider(self) -> Any:
        return self._pool.connection_kwargs.get("credential_provider")

    def connect(self) -> None:
        """Opens the connection (a no-op when open), then runs the
        callbacks of :meth:`register_connect_callback`."""
        if self._client is None:
            self._client = self._pool._open()
            if self.health_check_interval:
                self.next_health_check = time.monotonic() + self.health_check_interval
            self._run_connect_callbacks()

    def on_connect(self) -> None:
        self.connect()

    def _run_connect_callbacks(self) -> None:
        for ref in list(self._connect_callbacks):
            callback = ref()
            if callback is not None:
                callback(self)

    def disconnect(self, *args: Any, **kwargs: Any) -> None:
        """Closes the connection; replies not read are dropped (and the
        subscriptions, in pub/sub mode)."""
        client, self._client = self._client, None
        sub, self._sub = self._sub, None
        self._replies.clear()
        self._peeked.clear()
        if sub is not None:
            sub.close()
        if client is not None:
            self._pool._close(client)

    def check_health(self) -> None:
        """Health checks are the core's (``health_check_interval``)."""

    def should_reconnect(self) -> bool:
        """False: the core replaces broken connections itself."""
        return False

    def set_retry(self, retry: Any) -> None:
        self.retry = retry

    def get_protocol(self) -> Any:
        return self._pool.get_protocol()

    def pack_command(self, *args: Any) -> List[tuple]:
        """One command, in the form ``send_packed_command`` takes."""
        return [args]

    def pack_commands(self, commands: Any) -> List[tuple]:
        """Several commands, in the form ``send_packed_command`` takes."""
        return [tuple(c) for c in commands]

    def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        for args in command:
            self.send_command(*args)

    def send_command(self, *args: Any, **kwargs: Any) -> None:
        """Runs a command; its reply waits for :meth:`read_response`.

        A SUBSCRIBE, PSUBSCRIBE or SSUBSCRIBE puts the connection in
        pub/sub mode, as it does a socket: from then on commands go to a
        subscriber connection (the embedded engine's, or a dedicated socket
        to the server) and their replies, like the messages, arrive in
        order through :meth:`can_read` / :meth:`read_response`."""
        self.connect()
        if self._sub is None and _command_name(args) in _SUBSCRIBE_COMMANDS:
            self._sub = self._client._subscriber(True)
            if hasattr(self._sub, "on_connect"):
                # A server subscriber that reconnects by itself (the
                # pool's retry policy allows it) re-subscribes through
                # the callbacks, as after connect().
                self._sub.on_connect = weak_call(self._run_connect_callbacks)
        if self._sub is not None:
            self._send_to_subscriber(args)
            return
        try:
            reply = self._client.execute_command(*args)
        except ResponseError as e:
            reply = e
        except (ConnectionError, TimeoutError):
            self.disconnect()
            raise
        self._replies.append(reply)

    def _send_to_subscriber(self, args: Tuple[Any, ...]) -> None:
        sub = self._sub
        try:
            sub.send(*args)
        except ResponseError as e:
            # The embedded engine answers an error at once; it is read in
            # its turn when nothing arrived before it (else it raises now).
            if self._peeked or sub.pending():
                raise
            self._peeked.append((e, False))
        except (ConnectionError, TimeoutError):
            self.disconnect()
            raise

    def _read_subscriber(self, timeout: Optional[float]) -> Any:
        """The next reply or message of the subscriber connection (an
        error reply as its exception) and whether it came as a RESP3 push
        frame, or ``_NOTHING`` after ``timeout`` seconds (None: no limit)."""
        sub = self._sub
        try:
            item = sub.read(timeout)
        except ResponseError as e:
            return e, False
        except (ConnectionError, TimeoutError):
            self.disconnect()
            raise
        return _NOTHING if item is None else (item, bool(sub.last_push))

    def can_read(self, timeout: Optional[float] = 0) -> bool:
        """True when a reply is waiting; in pub/sub mode, waits up to
        ``timeout`` seconds (None: forever) for one to arrive."""
        if self._replies or self._peeked:
            return True
        if self._sub is None:
            return False
        item = self._read_subscriber(timeout)
        if item is _NOTHING:
            return False
        self._peeked.append(item)
        return True

    def can_read_destructive(self) -> bool:
        """Whether a reply is waiting, without waiting."""
        return self.can_read(0)

    def read_response(self, disable_decoding: bool = False, *, timeout: Any = _UNSET_TIMEOUT,
                      disconnect_on_error: bool = True, push_request: bool = False) -> Any:
        """The oldest reply not read yet; an error reply is raised.
        Replies are decoded as the pool's ``decode_responses`` says, unless
        ``disable_decoding``. In pub/sub mode it waits for the next reply
        or message up to ``timeout`` seconds (None: forever; by default
        the pool's ``socket_timeout``), then raises ``TimeoutError``. A
        RESP3 push (a message, an invalidation) is returned only with
        ``push_request``; otherwise it goes to its handler and the next
        reply is returned, as redis-py does."""
        while True:
            reply, push = self._read_reply(timeout, disconnect_on_error)
            if not disable_decoding and self.encoder.decode_responses:
                reply = decode_reply(self.encoder, reply)
            if push_request and self._sub is not None:
                return self._parser.pushed(reply, self.get_protocol(), push)
            if not (push and speaks_resp3(self.get_protocol())):
                return reply
            self._parser.pushed(reply, self.get_protocol(), push)

    def _read_reply(self, timeout: Any = _UNSET_TIMEOUT, disconnect_on_error: bool = True) -> Tuple[Any, bool]:
        """The oldest reply not read yet (an error reply raised) and
        whether it came as a RESP3 push frame (see :meth:`read_response`)."""
        if self._replies:
            reply, push = self._replies.popleft(), False
        elif self._peeked:
            reply, push = self._peeked.popleft()
        elif self._sub is not None:
            wait = self.socket_timeout if timeout is _UNSET_TIMEOUT else timeout
            got = self._read_subscriber(wait)
            if got is _NOTHING:
                if disconnect_on_error:
                    self.disconnect()
                raise TimeoutError(f"Timeout reading from {self._pool!r}")
            reply, push = got
        else:
            raise ConnectionError("No reply to read: no command was sent on this connection.")
        if self.health_check_interval:
            self.next_health_check = time.monotonic() + self.health_check_interval
        if isinstance(reply, ResponseError):
            raise reply
        return reply, push


def _command_name(args: Tuple[Any, ...]) -> bytes:
    first = args[0] if args else b""
    if isinstance(first, str):
        first = first.encode("utf-8", "replace")
    elif not isinstance(first, bytes):
        return b""
    return first.split(b" ", 1)[0].upper()


def _callback_ref(callback: Any) -> Any:
    """A weak reference to a bound method, or a strong one (a callable
    returning the callback) to anything else; equal for equal callbacks."""
    if inspect.ismethod(callback):
        return weakref.WeakMethod(callback)
    return _StrongRef(callback)


def speaks_resp3(protocol: Any) -> bool:
    """Whether a connection made with ``protocol`` reads RESP3 pushes (None:
    redis-py's default, RESP3). The embedded engine hands pub/sub messages
    over as push frames whatever the protocol; under RESP2 they are
    replies like any other, as on a RESP2 socket."""
    return str(protocol or 3) == "3"


class PushHandlers:
    """A connection's ``_parser`` as redis-py's connections use it: RESP3
    push frames go to ``set_invalidation_push_handler(func)``'s function
    (client-tracking invalidations; none: they are dropped) or to
    ``set_pubsub_push_handler(func)``'s (everything else: subscription
    confirmations, messages; none: the push as it is), whose return value
    is what ``read_response(push_request=True)`` returns."""

    __slots__ = ("pubsub_push_handler_func", "invalidation_push_handler_func")

    def __init__(self) -> None:
        self.pubsub_push_handler_func: Any = None
        self.invalidation_push_handler_func: Any = None

    def set_pubsub_push_handler(self, func: Any) -> None:
        self.pubsub_push_handler_func = func

    def set_invalidation_push_handler(self, func: Any) -> None:
        self.invalidation_push_handler_func = func

    def pushed(self, reply: Any, protocol: Any, push: bool) -> Any:
        """``reply`` (a push frame when ``push``) through its handler, as
        ``read_response(push_request=True)`` returns it; anything but a
        RESP3 push is returned as it is."""
        if not (push and speaks_resp3(protocol)) or not isinstance(reply, list) or not reply:
            return reply
        kind = reply[0]
        if isinstance(kind, bytes):
            kind = kind.decode("utf-8", "replace")
        if kind == "invalidate":
            func = self.invalidation_push_handler_func
            return None if func is None else func(reply)
        func = self.pubsub_push_handler_func
        return reply if func is None else func(reply)


class _StrongRef:
    __slots__ = ("callback",)

    def __init__(self, callback: Any) -> None:
        self.callback = callback

    def __call__(self) -> Any:
        return self.callback

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _StrongRef) and other.callback == self.callback

    def __hash__(self) -> int:
        return hash(self.callback)


def decode_reply(encoder: Any, reply: Any) -> Any:
    """``reply`` (as read, undecoded) with its strings decoded by
    ``encoder``, as redis-py's parsers decode: bulk and simple strings,
    inside arrays and maps too."""
    if isinstance(reply, bytes):
        return reply.decode(encoder.encoding, encoder.encoding_errors)
    if isinstance(reply, list):
        return [decode_reply(encoder, item) for item in reply]
    if isinstance(reply, dict):
        return {decode_reply(encoder, k): decode_reply(encoder, v) for k, v in reply.items()}
    return reply


class SSLConnection(Connection):
    """A TLS connection (``connection_class`` for ``rediss://``)."""


class UnixDomainSocketConnection(Connection):
    """A Unix socket connection (``connection_class`` for ``unix://``)."""


class EmbeddedConnection(Connection):
    """A connection to an embedded engine (``connection_class`` of an
    :class:`EmbeddedConnectionPool`)."""


FALSE_STRINGS = ("0", "F", "FALSE", "N", "NO")


def to_bool(value: Any) -> Optional[bool]:
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.upper() in FALSE_STRINGS:
        return False
    return bool(value)


def _verify_flag_list(value: Any) -> List[int]:
    """``ssl_*_verify_flags``: a list of ``ssl.VerifyFlags`` (or ints), one
    flag, or the text of a URL query (``VERIFY_X509_STRICT, ...``)."""
    if value is None:
        return []
    if isinstance(value, str):
        names = [n.strip() for n in value.replace("[", "").replace("]", "").split(",") if n.strip()]
        for name in names:
            if not hasattr(_ssl.VerifyFlags, name):
                raise ValueError(f"Invalid ssl verify flag: {name}")
        return [int(getattr(_ssl.VerifyFlags, n)) for n in names]
    if isinstance(value, int):
        return [int(value)]
    return [int(v) for v in value]


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
    "ssl_include_verify_flags": _verify_flag_list,
    "ssl_exclude_verify_flags": _verify_flag_list,
    "ssl_validate_ocsp": to_bool,
    "ssl_validate_ocsp_stapled": to_bool,
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


def foreign_pool_kwargs(pool: Any) -> Dict[str, Any]:
    """The connection arguments of another library's pool, to build a
    redcore pool with: its ``connection_kwargs`` without the ones left
    unset (redis-py 8 keeps a bare ``object()`` sentinel there, e.g. for
    ``socket_keepalive_options``)."""
    kwargs = getattr(pool, "connection_kwargs", None) or {}
    return {k: v for k, v in kwargs.items() if type(v) is not object}


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
# redis_connect_func: a hook on redis-py's own Connection objects;
# cache / cache_config: client-side caching, which pools to a server
# honour (redcore._csc) and an embedded engine does without (its reads
# are in-process already);
# event_dispatcher, maint_notifications_*: redis-py's internal events and
# Redis Enterprise maintenance notices.
IGNORED_REDIS_ARGS = frozenset({
    "redis_connect_func",
    "cache", "cache_config", "event_dispatcher", "maint_notifications_config",
    "oss_cluster_maint_notifications_handler",
    # Runtime state redis-py's pools keep in connection_kwargs.
    "maint_notifications_pool_handler", "himport_registry", "orig_host_address",
    "orig_socket_timeout", "orig_socket_connect_timeout",
})

# redis-py's OpenSSL verification knobs (see :func:`tls_verify_options`):
# honoured where rustls can, refused at construction where it cannot.
TLS_VERIFY_ARGS = frozenset({
    "ssl_include_verify_flags", "ssl_exclude_verify_flags",
    "ssl_validate_ocsp", "ssl_validate_ocsp_stapled", "ssl_ocsp_context", "ssl_ocsp_expected_cert",
})

# redis-py arguments ``Redis()`` takes through ``**kwargs`` and honours:
# credentials asked at each connection, CLIENT SETINFO on connect, and TLS
# settings (what rustls cannot do raises, see ``src/client/tls.rs``).
HONOURED_REDIS_ARGS = frozenset({
    "credential_provider", "lib_name", "lib_version", "driver_info",
    "ssl_ca_path", "ssl_ca_data", "ssl_min_version", "ssl_ciphers", "ssl_password",
}) | TLS_VERIFY_ARGS

# ssl.VerifyFlags rustls (webpki) always applies: asking for them is
# honoured, asking to turn them off cannot be.
_ALWAYS_VERIFIED = {
    int(_ssl.VERIFY_X509_STRICT): "rustls always checks certificates strictly",
    int(_ssl.VERIFY_X509_TRUSTED_FIRST): "rustls always builds the chain from the trusted certificates",
    int(_ssl.VERIFY_X509_PARTIAL_CHAIN): "rustls trusts every certificate of the trust store as an anchor",
}
_CRL_LEAF = int(_ssl.VERIFY_CRL_CHECK_LEAF)
_CRL_CHAIN = int(_ssl.VERIFY_CRL_CHECK_CHAIN)


def _flag_name(bits: int) -> str:
    name = next((f.name for f in _ssl.VerifyFlags if int(f) == bits), None)
    return f"ssl.{name}" if name else hex(bits)


def tls_verify_options(kw: Dict[str, Any]) -> Optional[str]:
    """Takes redis-py's OpenSSL verification options out of ``kw`` and
    returns the CRL check they ask for (None, ``"leaf"`` or ``"chain"``).

    ``ssl_include_verify_flags`` / ``ssl_exclude_verify_flags`` are
    applied in that order, as redis-py does to its ``SSLContext``: the CRL
    checks are honoured (CRLs from the CA file, directory or data), strict
    checking, trusted-first and partial chains are what rustls always does;
    turning those off, proxy certificates and OCSP (``ssl_validate_ocsp``,
    ``ssl_validate_ocsp_stapled``, ``ssl_ocsp_context``,
    ``ssl_ocsp_expected_cert``) raise :class:`RedisError` here instead of
    being ignored."""
    include = _verify_flag_list(kw.pop("ssl_include_verify_flags", None))
    exclude = _verify_flag_list(kw.pop("ssl_exclude_verify_flags", None))
    ocsp = {n: kw.pop(n, None) for n in ("ssl_validate_ocsp", "ssl_validate_ocsp_stapled", "ssl_ocsp_context", "ssl_ocsp_expected_cert")}
    for name, value in ocsp.items():
        if value is not None and value is not False:
            raise RedisError(
                f"{name} cannot be honoured: redcore's TLS (rustls) does no OCSP checks "
                "(neither OCSP responder queries nor stapled responses); use CRLs "
                "(ssl_include_verify_flags=[ssl.VERIFY_CRL_CHECK_LEAF]) for revocation"
            )
    for flag in exclude:
        for bit, why in _ALWAYS_VERIFIED.items():
            if flag & bit:
                raise RedisError(f"ssl_exclude_verify_flags: {_flag_name(bit)} cannot be turned off: {why}")
    flags = 0
    for flag in include:
        flags |= flag
    for flag in exclude:
        flags &= ~flag
    known = _CRL_CHAIN | _CRL_LEAF | sum(_ALWAYS_VERIFIED)
    if flags & int(_ssl.VERIFY_ALLOW_PROXY_CERTS):
        raise RedisError("ssl_include_verify_flags: ssl.VERIFY_ALLOW_PROXY_CERTS cannot be honoured: rustls does not accept proxy certificates")
    if flags & ~known:
        raise RedisError(f"ssl_include_verify_flags: {_flag_name(flags & ~known)} cannot be honoured by redcore's TLS (rustls)")
    if flags & _CRL_CHAIN == _CRL_CHAIN:
        return "chain"
    if flags & _CRL_LEAF:
        return "leaf"
    return None


def lib_info(lib_name: Any = _UNSET, lib_version: Any = _UNSET, driver_info: Any = _UNSET) -> Tuple[Optional[str], Optional[str]]:
    """The (LIB-NAME, LIB-VER) a connection sends with CLIENT SETINFO, as
    redis-py resolves them: ``driver_info`` (a redis-py ``DriverInfo`` or
    any object with ``formatted_name`` and ``lib_version``; None sends
    nothing) wins over ``lib_name`` / ``lib_version``; unset ones default
    to ``"redcore"`` and its version."""
    if driver_info is not _UNSET:
        if driver_info is None:
            return None, None
        return getattr(driver_info, "formatted_name", None), getattr(driver_info, "lib_version", None)
    if lib_name is None and lib_version is None:
        return None, None
    return ("redcore" if lib_name is _UNSET else lib_name), (_redcore.__version__ if lib_version is _UNSET else lib_version)


def embedded_lib_info(kw: Dict[str, Any], encoding: str) -> Tuple[Optional[bytes], Optional[bytes]]:
    """The CLIENT SETINFO values an embedded client starts with: only
    those the user gave (``lib_name``, ``lib_version`` or ``driver_info``),
    so that by default CLIENT LIST shows the lines of Redis 7.0."""
    if not any(k in kw for k in ("lib_name", "lib_version", "driver_info")):
        return None, None
    name, version = lib_info(kw.get("lib_name", _UNSET), kw.get("lib_version", _UNSET), kw.get("driver_info", _UNSET))
    return _to_bytes(name, encoding), _to_bytes(version, encoding)


def _tls_version_name(value: Any) -> str:
    """``ssl.TLSVersion.TLSv1_2`` (or its name or number) as a name."""
    name = getattr(value, "name", None)
    return str(name if name is not None else value)


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


class ConnectionPool(*redis_base("redis.connection", "ConnectionPool")):  # type: ignore[misc]  # redis-py base when installed
    """A thread-safe pool of connections to one server.

    Accepts redis-py's connection arguments (``host``, ``port``, ``db``,
    ``username``, ``password``, ``socket_timeout``, ``ssl_*``, ``retry``,
    ...). When ``max_connections`` are in use, getting another raises
    :class:`~redcore.exceptions.MaxConnectionsError`. ``get_connection()``
    and ``release()`` hand out :class:`Connection` objects for code that
    drives connections itself.
    """

    _blocking = False
    #: How long a blocking pool waits for a free connection.
    timeout: Optional[float] = None

    def __init__(self, connection_class: Type[Connection] = Connection, max_connections: Optional[int] = None, **connection_kwargs: Any) -> None:
        max_connections = max_connections or 2**31
        if not isinstance(max_connections, int) or max_connections < 0:
            raise ValueError('"max_connections" must be a positive integer')
        self._safe_retries = bool(connection_kwargs.pop("_safe_retries", False))
        # Client-side caching (redis-py's ``cache`` / ``cache_config``):
        # the pool's clients answer cacheable reads from ``cache``.
        self.cache = make_cache(connection_kwargs.pop("cache", None), connection_kwargs.pop("cache_config", None),
                                connection_kwargs.get("protocol"))
        self.connection_class = connection_class
        self.connection_kwargs = connection_kwargs
        self.max_connections = max_connections
        self._lock = threading.Lock()
        self._available: List[Connection] = []
        self._in_use: Set[Connection] = set()
        self._core = self._make_core()
        self.client_side_cache = ClientSideCache(self, self.cache) if self.cache is not None else None

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> "ConnectionPool":
        """A pool from a ``redis://``, ``rediss://`` or ``unix://`` URL;
        query parameters and ``kwargs`` set connection arguments (what the
        URL gives wins, as in redis-py). A ``memory://[name][/db]`` URL
        gives an :class:`EmbeddedConnectionPool`."""
        if url.lower().startswith("memory://"):
            return EmbeddedConnectionPool(**{**kwargs, **parse_memory_url(url)})
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
        if kw.get("ssl"):
            crl_check = tls_verify_options(kw)
            if crl_check is not None:
                kw["ssl_crl_check"] = crl_check
        else:  # as redis-py, TLS options mean nothing without TLS
            for name in TLS_VERIFY_ARGS:
                kw.pop(name, None)
        if "ssl_cert_reqs" in kw:
            kw["ssl_cert_reqs"] = _cert_reqs(kw["ssl_cert_reqs"])
        lib_name, lib_version = lib_info(kw.pop("lib_name", _UNSET), kw.pop("lib_version", _UNSET), kw.pop("driver_info", _UNSET))
        kw["lib_name"], kw["lib_version"] = _to_bytes(lib_name, encoding), _to_bytes(lib_version, encoding)
        # rustls cannot decrypt a key: an encrypted key file raises, with or
        # without a password, so the password has nothing to do.
        kw.pop("ssl_password", None)
        for name in ("credential_provider", "ssl_ca_path", "ssl_ca_data", "ssl_min_version", "ssl_ciphers"):
            if kw.get(name, 0) is None:
                kw.pop(name)
        if isinstance(kw.get("ssl_ca_data"), str):
            kw["ssl_ca_data"] = kw["ssl_ca_data"].encode("ascii")
        if "ssl_min_version" in kw:
            kw["ssl_min_version"] = _tls_version_name(kw["ssl_min_version"])
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

    def get_encoder(self) -> Encoder:
        """The :class:`Encoder` of this pool's clients."""
        kw = self.connection_kwargs
        return Encoder(kw.get("encoding", "utf-8"), kw.get("encoding_errors", "strict"), bool(kw.get("decode_responses", False)))

    def set_retry(self, retry: Retry) -> None:
        """Uses ``retry`` from now on, for clients already made on this
        pool too (with it, a request whose reply was lost is retried)."""
        self.connection_kwargs["retry"] = retry
        self._safe_retries = False
        self._core._set_retry(*self._retry())

    def get_retry(self) -> Any:
        return self._core.retry

    def reset(self) -> None:
        """Forgets every connection and starts afresh with the current
        settings (clients made earlier keep the old pool's connections)."""
        self._drop_connections(True)
        self._core.disconnect()
        self._core = self._make_core()
        if self.client_side_cache is not None:
            self.client_side_cache.close()

    def disconnect(self, inuse_connections: bool = True) -> None:
        """Closes idle connections now; busy ones are closed when returned
        (or now too, with ``inuse_connections``)."""
        self._drop_connections(inuse_connections)
        self._core.disconnect()
        if self.client_side_cache is not None:
            self.client_side_cache.close()

    def close(self) -> None:
        """Same as :meth:`disconnect`."""
        self.disconnect()

    def __enter__(self) -> "ConnectionPool":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.disconnect()

    def make_connection(self) -> Connection:
        """A new connection (not counted as in use)."""
        cls = self.connection_class if isinstance(self.connection_class, type) and issubclass(self.connection_class, Connection) else Connection
        return cls(pool=self)

    def get_connection(self, command_name: Any = None, *keys: Any, **options: Any) -> Connection:
        """A connection for this thread's exclusive use until
        :meth:`release`; it keeps its state (SELECT, MULTI, WATCH)."""
        with self._lock:
            conn = self._available.pop() if self._available else None
            if conn is not None:
                self._in_use.add(conn)
        if conn is None:
            conn = self.make_connection()
            with self._lock:
                self._in_use.add(conn)
        try:
            conn.connect()
        except BaseException:
            self.release(conn)
            raise
        return conn

    def release(self, connection: Connection) -> None:
        """Gives back a connection from :meth:`get_connection`."""
        with self._lock:
            if connection not in self._in_use:
                return
            self._in_use.discard(connection)
            reusable = connection.is_connected and connection._sub is None
            if reusable:
                self._available.append(connection)
        if not reusable:
            # A connection in pub/sub mode is not handed out again.
            connection.disconnect()

    def owns_connection(self, connection: Connection) -> bool:
        return getattr(connection, "_pool", None) is self

    def _drop_connections(self, inuse: bool) -> None:
        with self._lock:
            conns = list(self._available) + (list(self._in_use) if inuse else [])
            self._available.clear()
        for conn in conns:
            conn.disconnect()

    def _open(self) -> Any:
        """The client behind one connection: raw replies, one socket
        kept for its lifetime."""
        kw = self.connection_kwargs
        return _redcore.Client(
            remote=self._core,
            single_connection_client=True,
            db=self._core.db,
            # Replies stay bytes until read_response (which may be asked
            # not to decode them).
            decode_responses=False,
            encoding=kw.get("encoding", "utf-8"),
            encoding_errors=kw.get("encoding_errors", "strict"),
        )

    def _close(self, client: Any) -> None:
        client._disconnect(False)

    def get_connection_count(self) -> int:
        """Connections open (idle and in use)."""
        return self._core._counts()[0]


_CORE_ARGS = {
    "host", "port", "unix_socket_path", "db", "username", "password", "socket_timeout",
    "socket_connect_timeout", "socket_keepalive", "keepalive_idle", "keepalive_interval",
    "keepalive_count", "client_name", "protocol", "health_check_interval", "ssl",
    "ssl_ca_certs", "ssl_certfile", "ssl_keyfile", "ssl_cert_reqs", "ssl_check_hostname",
    "credential_provider", "lib_name", "lib_version", "ssl_ca_path", "ssl_ca_data", "ssl_min_version",
    "ssl_ciphers", "ssl_crl_check",
    "readonly",
}


class BlockingConnectionPool(ConnectionPool, *redis_base("redis.connection", "BlockingConnectionPool")):  # type: ignore[misc]  # redis-py base when installed
    """A pool that waits up to ``timeout`` seconds (None: forever) for a
    free connection when ``max_connections`` are in use, then raises
    ``ConnectionError("No connection available.")``."""

    _blocking = True

    def __init__(self, max_connections: int = 50, timeout: Optional[float] = 20, connection_class: Type[Connection] = Connection, queue_class: Any = None, **connection_kwargs: Any) -> None:
        self.timeout = timeout
        self.queue_class = queue_class
        super().__init__(connection_class, max_connections, **connection_kwargs)


_PRIVATE_IDS = itertools.count(1)
# Private engine name -> its token; the token lives as long as a pool on
# that engine, and its death drops the name (the data lives on while a
# client holds the engine).
_PRIVATE: "weakref.WeakValueDictionary[str, _EngineToken]" = weakref.WeakValueDictionary()


class _EngineToken:
    """Keeps a private engine's name registered while pools use it."""

    def __init__(self, name: str) -> None:
        self.name = name
        # At exit the engine goes with the process anyway.
        weakref.finalize(self, _redcore.forget_engine, name).atexit = False


def engine_host(name: str) -> str:
    """The ``host`` in an embedded pool's ``connection_kwargs``: the
    engine's ``memory://`` URL. redis-py's TCP pools always carry a host and
    libraries read it (pottery keys its pipelines by host, port and db), so
    an embedded pool has one too, unique to its engine; no server's hostname
    has ``://`` in it, so ``Redis(host=...)`` knows it for an engine."""
    return "memory://" + quote(name, safe="")


def is_engine_host(host: Any) -> bool:
    """Whether ``host`` names an embedded engine (see :func:`engine_host`)."""
    return isinstance(host, str) and host.lower().startswith("memory://")


def parse_memory_url(url: str) -> Dict[str, Any]:
    """``memory://[name][/db][?decode_responses=true&encoding=...&protocol=2]`` as
    :class:`EmbeddedConnectionPool` arguments; persistence parameters
    (``dir``, ``dbfilename``, ``appendonly``, ``save=60+1000``, ``maxmemory``,
    ...) become the engine's startup ``config``. A URL of another scheme
    (``redis://name:6379/0``, from a library that takes only those and a
    pool class) names the engine by its host."""
    parsed = urlparse(url)
    persistence: Dict[str, Any] = {}
    name = unquote(parsed.netloc or "") if parsed.scheme.lower() == "memory" else parsed.hostname or ""
    kwargs: Dict[str, Any] = {"name": name}
    path = parsed.path.strip("/")
    if path:
        try:
            kwargs["db"] = int(path)
        except ValueError as e:
            raise ValueError(f"Invalid database number in URL {url!r}") from e
    for key, values in parse_qs(parsed.query).items():
        value = values[-1]
        if key == "db":
            kwargs["db"] = int(value)
        elif key == "decode_responses":
            kwargs["decode_responses"] = bool(to_bool(value))
        elif key in ("encoding", "encoding_errors"):
            kwargs[key] = value
        elif key == "protocol":
            kwargs["protocol"] = int(value)
        elif key == "legacy_responses":
            kwargs["legacy_responses"] = bool(to_bool(value))
        elif key in PERSISTENCE_ARGS or key.replace("-", "_") in PERSISTENCE_ARGS:
            persistence[key.replace("-", "_")] = value
    if persistence:
        kwargs["config"] = persistence_config(None, persistence)
    return kwargs


def credential(value: Any, encoding: str) -> Optional[bytes]:
    """A username, password or client name as the engine takes it (bytes),
    or None."""
    if value is None:
        return None
    return value.encode(encoding) if isinstance(value, str) else bytes(value)


# Persistence and memory settings that ``Redis(...)`` and ``memory://`` URLs
# take as arguments (``maxmemory_policy`` is the setting ``maxmemory-policy``).
PERSISTENCE_ARGS = (
    "dir", "dbfilename", "appendonly", "appenddirname", "appendfsync", "save",
    "maxmemory", "maxmemory_policy", "maxmemory_samples",
)


def save_rules_text(save: Any) -> str:
    """``[(60, 1000), (300, 10)]`` -> ``"60 1000 300 10"`` (``[]``: no
    snapshots); text is passed through."""
    if isinstance(save, bytes):
        return save.decode()
    if isinstance(save, str):
        return save
    return " ".join(f"{int(seconds)} {int(changes)}" for seconds, changes in save)


def persistence_config(config: Optional[Dict[str, Any]], options: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """Folds ``Redis(dir=..., appendonly=True, save=[(60, 1000)], ...)``
    arguments (``None``: not given) into the engine's startup ``config``.
    A ``dir`` given this way is created if missing; an engine started with
    a ``dir`` owns it (a lock file) and loads the RDB file found there."""
    given = {k: v for k, v in options.items() if v is not None}
    if not given:
        return config
    merged = dict(config or {})
    for key, value in given.items():
        if key == "save":
            value = save_rules_text(value)
        elif key == "dir":
            value = os.path.abspath(os.fspath(value))
            os.makedirs(value, exist_ok=True)
        merged[key.replace("_", "-")] = value
    return merged


_EMBEDDED_ARGS = frozenset({
    "name", "db", "decode_responses", "encoding", "encoding_errors", "protocol", "legacy_responses", "config",
    "credential_provider", "lib_name", "lib_version", "driver_info", "client_name",
})

# Connection arguments that mean nothing in-process (except ``username`` and
# ``password``, which the engine's ACL checks): accepted and kept in
# ``connection_kwargs``, so settings written for a server work on an
# embedded pool (rq's worker sets ``socket_timeout`` there).
_NO_EFFECT_IN_PROCESS = IGNORED_REDIS_ARGS | TLS_VERIFY_ARGS | {
    "ssl_ca_path", "ssl_ca_data", "ssl_min_version", "ssl_ciphers", "ssl_password",
    "username", "password", "socket_timeout", "socket_connect_timeout", "socket_keepalive",
    "socket_keepalive_options", "socket_read_size", "socket_type", "retry", "retry_on_timeout",
    "retry_on_error", "health_check_interval", "single_connection_client",
    "parser_class", "encoder_class", "timeout", "queue_class",
}


class EmbeddedConnectionPool(ConnectionPool):
    """The pool of an embedded client: its ``connection_kwargs`` (``name``,
    ``db``, ``decode_responses``, ``encoding``, ``encoding_errors``, and
    ``host``, the engine's ``memory://`` URL) name the engine, and
    ``Redis(**connection_kwargs)`` or ``Redis(connection_pool=pool)`` reach it.

    ``name=None`` makes a private engine (that of a plain ``Redis()``); it
    gets a generated name so clients rebuilt from ``connection_kwargs``
    share it, and the name is dropped once no pool uses it.
    ``get_connection()`` hands out connections to the engine, each with its
    own state (selected database, MULTI, WATCH).
    """

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> "EmbeddedConnectionPool":
        """A pool from a ``memory://[name][/db]`` URL (what it gives wins
        over ``kwargs``, as for redis:// URLs). For a library that takes a
        pool class and only ``redis://`` URLs, ``redis://name/db`` names the
        engine by its host."""
        return cls(**{**kwargs, **parse_memory_url(url)})

    def __init__(self, connection_class: Type[Connection] = None, max_connections: Optional[int] = None, **connection_kwargs: Any) -> None:  # type: ignore[assignment]
        host = connection_kwargs.pop("host", None)
        if is_engine_host(host):
            # Code that makes its pool from a host and a port (aiocache,
            # redis-py's own defaults) passes one with a memory:// host:
            # an engine has none.
            connection_kwargs.pop("port", None)
        unknown = set(connection_kwargs) - _EMBEDDED_ARGS - _NO_EFFECT_IN_PROCESS
        if host is not None and not is_engine_host(host):
            unknown.add("host")
        if unknown:
            raise TypeError(f"unexpected connection arguments for an embedded engine: {', '.join(sorted(unknown))}")
        name = connection_kwargs.get("name")
        if host is not None:
            named = parse_memory_url(host)["name"]
            if name is not None and name != named:
                raise TypeError(f"host {host!r} names another engine than name={name!r}")
            name = connection_kwargs["name"] = named
        token = _PRIVATE.get(name) if name is not None else None
        if name is None:
            name = f"<private engine {next(_PRIVATE_IDS)} of process {os.getpid()}>"
            token = _EngineToken(name)
            _PRIVATE[name] = token
        self._token = token
        db = connection_kwargs.get("db", 0)
        if not isinstance(db, int) or isinstance(db, bool):
            raise DataError("db must be an int")
        self.connection_class = connection_class or EmbeddedConnection
        self.connection_kwargs = {
            **connection_kwargs,
            "host": engine_host(name),
            "name": name,
            "db": db,
            "decode_responses": bool(connection_kwargs.get("decode_responses", False)),
            "encoding": connection_kwargs.get("encoding", "utf-8"),
            "encoding_errors": connection_kwargs.get("encoding_errors", "strict"),
        }
        if self.connection_kwargs.get("protocol") is None:
            self.connection_kwargs.pop("protocol", None)
        # Accepted and checked as on a server (redis-py's RESP3 rule), but
        # never filled: reads are in-process and always current, so a copy
        # in Python would only be slower (see Redis.get_cache).
        self.cache = make_cache(connection_kwargs.get("cache"), connection_kwargs.get("cache_config"),
                                connection_kwargs.get("protocol"))
        self.client_side_cache = None
        self.max_connections = max_connections or 2**31
        self._safe_retries = False
        self._retry_policy: Any = None
        self._lock = threading.Lock()
        self._available = []
        self._in_use = set()
        self._core = None

    @property
    def name(self) -> str:
        """The engine's name (generated for a private engine)."""
        return str(self.connection_kwargs["name"])

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{type(self).__name__}(memory://{self.name} db={self.connection_kwargs['db']})>"

    def get_protocol(self) -> Any:
        return self.connection_kwargs.get("protocol")

    def set_retry(self, retry: Retry) -> None:
        """Kept for ``get_retry()``: an in-process call never fails with a
        connection error, so nothing is retried."""
        self._retry_policy = retry

    def get_retry(self) -> Any:
        return self._retry_policy

    def reset(self) -> None:
        """Closes every connection."""
        self._drop_connections(True)

    def disconnect(self, inuse_connections: bool = True) -> None:
        """Closes idle connections (and busy ones with
        ``inuse_connections``); the data stays in the engine."""
        self._drop_connections(inuse_connections)

    def get_connection_count(self) -> int:
        """Connections handed out or idle."""
        with self._lock:
            return len(self._available) + len(self._in_use)

    def _open(self) -> Any:
        kw = self.connection_kwargs
        client = _redcore.Client(
            name=self.name,
            db=kw["db"],
            # Replies stay bytes until read_response decodes them.
            decode_responses=False,
            encoding=kw["encoding"],
            encoding_errors=kw["encoding_errors"],
            pipeline=True,
            protocol=kw.get("protocol"),
            config=startup_config(kw.get("config")),
            username=credential(kw.get("username"), kw["encoding"]),
            password=credential(kw.get("password"), kw["encoding"]),
            credential_provider=kw.get("credential_provider"),
            lib_name=embedded_lib_info(kw, kw["encoding"])[0],
            lib_version=embedded_lib_info(kw, kw["encoding"])[1],
            client_name=credential(kw.get("client_name"), kw["encoding"]),
        )
        # A pipeline running each command at once keeps its client state
        # (database, MULTI, WATCH) between commands, as a connection does.
        client._set_immediate(True)
        return client

    def _close(self, client: Any) -> None:
        client._reset_pipeline()


def _pool_class_for(connection_class: type) -> type:
    return EmbeddedConnectionPool if issubclass(connection_class, EmbeddedConnection) else ConnectionPool


for _cls in (Connection, SSLConnection, UnixDomainSocketConnection, EmbeddedConnection, ConnectionPool, BlockingConnectionPool, EmbeddedConnectionPool):
    adopt(_cls)


__all__ = [
    "BlockingConnectionPool",
    "Connection",
    "ConnectionPool",
    "EmbeddedConnection",
    "EmbeddedConnectionPool",
    "Encoder",
    "SSLConnection",
    "UnixDomainSocketConnection",
    "parse_url",
]
