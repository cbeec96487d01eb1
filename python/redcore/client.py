"""The client: :class:`Redis` (alias :class:`StrictRedis`) and :class:`Pipeline`.

``Redis()`` with no address runs an embedded engine inside this process::

    >>> import redcore
    >>> r = redcore.Redis(decode_responses=True)
    >>> r.set("greeting", "hello")
    True
    >>> r.get("greeting")
    'hello'
    >>> with r.pipeline() as pipe:
    ...     pipe.incr("hits").incr("hits").execute()
    [1, 2]
"""

from __future__ import annotations

import atexit
import logging
import time
import warnings
import weakref
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Union

from . import _redcore
from ._callbacks import callbacks_for
from ._pubsub import PubSub, PubSubWorkerThread
from .lock import Lock
from .commands import CoreCommands
from .commands._util import list_or_args
from ._compat import adopt, redis_base
from .connection import (
    DEFAULT_SOCKET_TIMEOUT,
    HONOURED_REDIS_ARGS,
    IGNORED_REDIS_ARGS,
    _UNSET,
    Connection,
    ConnectionPool,
    EmbeddedConnection,
    EmbeddedConnectionPool,
    Encoder,
    foreign_pool_kwargs,
    SSLConnection,
    UnixDomainSocketConnection,
    parse_memory_url,
    persistence_config,
    credential,
    embedded_lib_info,
    is_engine_host,
    startup_config,
)
from ._csc import caching_class, check_protocol as check_cache_protocol
from .exceptions import ConnectionError, DataError, RedisError, ResponseError, WatchError

# Honoured arguments that mean something to an embedded engine too.
_EMBEDDED_EXTRA = frozenset({"credential_provider", "lib_name", "lib_version", "driver_info"})
# Client-side caching (redcore._csc): a pool's setting.
_CACHE_ARGS = ("cache", "cache_config")

if TYPE_CHECKING:
    from .keyspace_notifications import KeyspaceNotifications


def _check_protocol(protocol: Any) -> Optional[int]:
    """redis-py's validation of ``protocol`` (None: RESP3, its default)."""
    if protocol is None:
        return None
    try:
        p = int(protocol)
    except ValueError:
        raise ConnectionError("protocol must be an integer") from None
    if p not in (2, 3):
        raise ConnectionError("protocol must be either 2 or 3")
    return p


def _shape_response(callbacks: Any, encoder: Any, protocol: Optional[int], command_name: Any, response: Any, options: Dict[str, Any]) -> Any:
    """``response``, read by hand for ``command_name``, shaped by the
    client's response callback for that name, as its methods return it
    (``parse_response``'s second half; ``options`` loses redis-py's
    ``EMPTY_RESPONSE`` and ``keys``)."""
    options.pop("EMPTY_RESPONSE", None)
    options.pop("keys", None)
    name = command_name.decode() if isinstance(command_name, bytes) else str(command_name)
    callback = callbacks.get(name.upper())
    if callback is None:
        return response
    if isinstance(callback, int):  # a Native shape, applied in the core
        return _redcore._reshape(
            response, int(callback), options, encoder.decode_responses, encoder.encoding, encoder.encoding_errors,
            protocol != 2,
        )
    return callback(response, **options)


class Redis(_redcore.Client, CoreCommands, *redis_base("redis.client", "Redis")):  # type: ignore[misc]  # redis-py base when installed
    """A Redis client with redis-py's API.

    With no ``host``, ``port``, ``unix_socket_path`` or ``connection_pool``
    it runs on an embedded engine in this process: ``Redis()`` gets a
    private engine; ``Redis(name="cache")`` (or ``from_url("memory://cache")``)
    shares one engine with every other client opened under that name, like
    clients of one server.

    With an address it talks RESP to a Redis or Valkey server through a
    connection pool in the Rust core, with the same methods and return
    types. It takes redis-py's arguments (``host``, ``port``, ``db``,
    ``username``, ``password``, ``socket_timeout``, ``ssl_*``,
    ``unix_socket_path``, ``connection_pool``, ``protocol``...).

    Retries: by default a request is retried (redis-py's default policy:
    10 times, exponential backoff with jitter) only when it cannot have
    reached the server: the connection could not be opened, or the write
    failed before the request left. A pooled connection the server closed
    (a restart, an idle timeout) is detected before use and replaced. A
    command whose reply was lost after sending raises ``ConnectionError``
    or ``TimeoutError``, so a non-idempotent write (INCR, LPUSH) is never
    applied twice behind your back. Passing ``retry=``,
    ``retry_on_error=`` or ``retry_on_timeout=True`` asks for redis-py's
    behaviour: those requests are retried too.

    Blocking commands (BLPOP, BZPOPMIN, XREAD BLOCK, WAIT...) wait their own
    timeout on top of ``socket_timeout``, so a block longer than the
    socket timeout returns its result instead of raising ``TimeoutError``.

    With redis-py installed, a redcore client is also a ``redis.Redis``
    (``isinstance`` holds) and its errors are also ``redis.exceptions``
    classes; nothing of redis-py runs on it.

    Args:
        db: the database number (0-15).
        decode_responses: return ``str`` instead of ``bytes``.
        encoding, encoding_errors: how ``str`` values are encoded and
            replies decoded.
        name: the shared embedded engine to use.
        config: settings for a new embedded engine, as redis-server takes
            them on its command line (immutable and protected ones too):
            ``Redis(config={"dir": "/data", "enable-debug-command": "yes"})``.
            A named engine that already exists keeps its settings.
        dir, dbfilename, appendonly, appenddirname, appendfsync, save,
        maxmemory, maxmemory_policy, maxmemory_samples: the same settings
            as keyword arguments (``save=[(60, 1000)]``, ``appendonly=True``).
            An engine started with a ``dir`` owns that directory (a second
            engine on it, in any process, raises ``ConnectionError``) and
            loads the ``dump.rdb`` found there; a corrupt file raises
            ``ConnectionError`` naming the file and the byte offset.
        username, password: on the embedded engine too, the client
            authenticates with them on its first command (and again after
            CLIENT KILL), as redis-py does on connect.

    >>> r = Redis()
    >>> r.rpush("queue", "a", "b")
    2
    >>> r.lrange("queue", 0, -1)
    [b'a', b'b']
    """

    connection_pool: ConnectionPool
    auto_close_connection_pool: bool
    _protocol: Optional[int]
    _legacy_responses: bool

    def __new__(
        cls,
        host: Optional[str] = None,
        port: Optional[int] = None,
        db: int = 0,
        password: Optional[str] = None,
        socket_timeout: Optional[float] = DEFAULT_SOCKET_TIMEOUT,
        socket_connect_timeout: Optional[float] = DEFAULT_SOCKET_TIMEOUT,
        socket_read_size: int = 32768,
        socket_keepalive: Optional[bool] = True,
        socket_keepalive_options: Any = _UNSET,
        connection_pool: Optional[ConnectionPool] = None,
        unix_socket_path: Optional[str] = None,
        encoding: str = "utf-8",
        encoding_errors: str = "strict",
        decode_responses: bool = False,
        retry_on_timeout: bool = False,
        retry: Any = _UNSET,
        retry_on_error: Optional[List[type]] = None,
        ssl: bool = False,
        ssl_keyfile: Optional[str] = None,
        ssl_certfile: Optional[str] = None,
        ssl_cert_reqs: Any = "required",
        ssl_ca_certs: Optional[str] = None,
        ssl_check_hostname: bool = True,
        max_connections: Optional[int] = None,
        single_connection_client: bool = False,
        health_check_interval: float = 0,
        client_name: Optional[str] = None,
        username: Optional[str] = None,
        protocol: Optional[int] = None,
        legacy_responses: bool = True,
        *,
        name: Optional[str] = None,
        config: Optional[Dict[str, Any]] = None,
        dir: Optional[str] = None,  # noqa: A002 - redis.conf's name
        dbfilename: Optional[str] = None,
        appendonly: Optional[bool] = None,
        appenddirname: Optional[str] = None,
        appendfsync: Optional[str] = None,
        save: Optional[Any] = None,
        maxmemory: Optional[Any] = None,
        maxmemory_policy: Optional[str] = None,
        maxmemory_samples: Optional[int] = None,
        **kwargs: Any,
    ) -> "Redis":
        config = persistence_config(config, {
            "dir": dir, "dbfilename": dbfilename, "appendonly": appendonly,
            "appenddirname": appenddirname, "appendfsync": appendfsync, "save": save,
            "maxmemory": maxmemory, "maxmemory_policy": maxmemory_policy,
            "maxmemory_samples": maxmemory_samples,
        })
        unknown = set(kwargs) - IGNORED_REDIS_ARGS - HONOURED_REDIS_ARGS
        if unknown:
            raise TypeError(f"Redis() got unexpected keyword arguments: {', '.join(sorted(unknown))}")
        if not isinstance(db, int) or isinstance(db, bool):
            raise DataError("db must be an int")
        protocol = _check_protocol(protocol)
        remote = (host is not None and not is_engine_host(host)) or port is not None or unix_socket_path is not None
        if config is not None and (remote or connection_pool is not None):
            raise TypeError("config= sets up an embedded engine; a server takes CONFIG SET")
        auto_close = connection_pool is None
        if connection_pool is None and not remote:
            connection_pool = EmbeddedConnectionPool(
                host=host, name=name, db=db, decode_responses=decode_responses, encoding=encoding,
                encoding_errors=encoding_errors, protocol=protocol,
                legacy_responses=legacy_responses, config=config,
                username=username, password=password, client_name=client_name,
                **{k: v for k, v in kwargs.items() if k in _EMBEDDED_EXTRA or (k in _CACHE_ARGS and v is not None)},
            )
        elif connection_pool is None:
            connection_pool = _remote_pool(
                host, port, unix_socket_path, max_connections, retry, retry_on_error, retry_on_timeout,
                db=db, username=username, password=password, socket_timeout=socket_timeout,
                socket_connect_timeout=socket_connect_timeout, socket_keepalive=socket_keepalive,
                socket_keepalive_options=socket_keepalive_options, encoding=encoding,
                encoding_errors=encoding_errors, decode_responses=decode_responses,
                health_check_interval=health_check_interval, client_name=client_name, protocol=protocol,
                legacy_responses=legacy_responses,
                ssl=ssl, ssl_keyfile=ssl_keyfile, ssl_certfile=ssl_certfile, ssl_cert_reqs=ssl_cert_reqs,
                ssl_ca_certs=ssl_ca_certs, ssl_check_hostname=ssl_check_hostname,
                **{k: v for k, v in kwargs.items() if k in HONOURED_REDIS_ARGS or k in _CACHE_ARGS},
            )
        else:
            connection_pool = _own_pool(connection_pool)
            if kwargs.get("cache") or kwargs.get("cache_config"):
                # As redis-py: the pool's protocol must allow it; the
                # cache is the pool's own (if it has one).
                check_cache_protocol(connection_pool.get_protocol())
        enc = connection_pool.get_encoder()
        pool_kwargs = connection_pool.connection_kwargs
        protocol = _check_protocol(pool_kwargs.get("protocol"))
        legacy = bool(pool_kwargs.get("legacy_responses", True))
        if isinstance(connection_pool, EmbeddedConnectionPool):
            self: Redis = super().__new__(  # type: ignore[assignment]
                cls,
                name=connection_pool.name,
                config=startup_config(connection_pool.connection_kwargs.get("config")),
                db=connection_pool.connection_kwargs["db"],
                decode_responses=enc.decode_responses,
                encoding=enc.encoding,
                encoding_errors=enc.encoding_errors,
                callbacks=callbacks_for(protocol, legacy),
                protocol=protocol,
                username=credential(connection_pool.connection_kwargs.get("username"), enc.encoding),
                password=credential(connection_pool.connection_kwargs.get("password"), enc.encoding),
                credential_provider=connection_pool.connection_kwargs.get("credential_provider"),
                lib_name=embedded_lib_info(connection_pool.connection_kwargs, enc.encoding)[0],
                lib_version=embedded_lib_info(connection_pool.connection_kwargs, enc.encoding)[1],
                client_name=credential(connection_pool.connection_kwargs.get("client_name"), enc.encoding),
                # One connection's state (MULTI, WATCH, SELECT) kept between
                # calls: a pipeline core that runs each command at once.
                pipeline=bool(single_connection_client),
            )
            if single_connection_client:
                self._set_immediate(True)
            if "dir" in (connection_pool.connection_kwargs.get("config") or {}):
                _save_at_exit(connection_pool.name, self)
        else:
            if getattr(connection_pool, "client_side_cache", None) is not None:
                cls = caching_class(cls)
            self = super().__new__(  # type: ignore[assignment,no-redef]
                cls,
                db=connection_pool._core.db,
                decode_responses=enc.decode_responses,
                encoding=enc.encoding,
                encoding_errors=enc.encoding_errors,
                callbacks=callbacks_for(protocol, legacy),
                remote=connection_pool._core,
                single_connection_client=single_connection_client,
            )
        self._protocol = protocol
        self._legacy_responses = legacy
        self.connection_pool = connection_pool
        self.auto_close_connection_pool = auto_close
        return self

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Everything is set up in __new__ (the Rust base is immutable).
        pass

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> "Redis":
        """A client from a URL: ``redis://[[user]:password@]host[:port][/db]``,
        ``rediss://`` (TLS), ``unix://[[user]:password@]/path[?db=N]``, with
        redis-py's query parameters (``db``, ``socket_timeout``,
        ``decode_responses``, ``health_check_interval``, ``ssl_cert_reqs``,
        ...), or ``memory://[name][/db]`` for the shared embedded engine
        ``name`` (query parameters ``db``, ``decode_responses``,
        ``encoding``).

        >>> a = Redis.from_url("memory://doctest-shared")
        >>> b = Redis.from_url("memory://doctest-shared")
        >>> a.set("k", 1) and b.get("k")
        b'1'
        """
        scheme = url.split("://", 1)[0].lower() if "://" in url else ""
        if scheme == "memory":
            # What the URL gives wins over kwargs, as redis-py's from_url
            # has it for redis:// URLs.
            return cls(**{**kwargs, **parse_memory_url(url)})
        single_connection_client = kwargs.pop("single_connection_client", False)
        pool = ConnectionPool.from_url(url, **kwargs)
        single_connection_client = pool.connection_kwargs.pop("single_connection_client", single_connection_client)
        client = cls(connection_pool=pool, single_connection_client=bool(single_connection_client))
        client.auto_close_connection_pool = True
        return client

    @classmethod
    def from_pool(cls, connection_pool: ConnectionPool) -> "Redis":
        """A client that owns ``connection_pool`` (closing the client
        closes the pool)."""
        client = cls(connection_pool=connection_pool)
        client.auto_close_connection_pool = True
        return client

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{type(self).__name__}({self.connection_pool!r})>"

    def __getitem__(self, name: Any) -> Any:
        """``r[name]``: the value at ``name``; ``KeyError`` if missing."""
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __setitem__(self, name: Any, value: Any) -> None:
        """``r[name] = value``: SET."""
        self.set(name, value)

    def __delitem__(self, name: Any) -> None:
        """``del r[name]``: DEL."""
        self.delete(name)

    def __contains__(self, name: Any) -> bool:
        """``name in r``: EXISTS."""
        return bool(self.exists(name))

    def __enter__(self) -> "Redis":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Release resources: a remote client closes its single connection,
        and its pool's connections if it made the pool itself (with
        ``auto_close_connection_pool``). An embedded engine's data stays."""
        self._disconnect(False)
        if self.auto_close_connection_pool:
            self.connection_pool.disconnect()

    def client(self) -> "Redis":
        """A client on the same pool with a connection of its own
        (redis-py's ``single_connection_client``)."""
        return type(self)(connection_pool=self.connection_pool, single_connection_client=True)

    def get_encoder(self) -> Encoder:
        """The :class:`~redcore.connection.Encoder` this client's pool uses."""
        return self.connection_pool.get_encoder()

    def get_connection_kwargs(self) -> Dict[str, Any]:
        """The connection arguments of this client's pool; for an embedded
        client they name its engine (``Redis(**kwargs)`` reaches it)."""
        return self.connection_pool.connection_kwargs

    def get_retry(self) -> Any:
        """The retry policy of this client's pool."""
        return self.connection_pool.get_retry()

    def set_retry(self, retry: Any) -> None:
        """Uses ``retry`` for this client's pool, and so for every client
        already made on it."""
        self.connection_pool.set_retry(retry)

    def set_response_callback(self, command: str, callback: Callable[..., Any]) -> None:
        """Set a custom response callback for ``command``: every method
        sending it (the Rust ones included) returns
        ``callback(response, **options)``.

        >>> r = Redis()
        >>> r.set_response_callback("GET", lambda v: v and v.decode().upper())
        >>> r.set("k", "v") and r.get("k")
        'V'
        """
        self.response_callbacks[command.upper()] = callback

    def get_protocol(self) -> Optional[int]:
        """The ``protocol`` the client was made with (None: redis-py 8's
        default, RESP3 on the wire with the classic reply shapes)."""
        return self._protocol

    def load_external_module(self, funcname: str, func: Any) -> None:
        """Attach ``func`` to this client as attribute ``funcname``: how
        redis-py users plug in a module's command namespace
        (``r.load_external_module("foo", FooCommands)`` then
        ``r.foo(...)``)."""
        setattr(self, funcname, func)

    def parse_response(self, connection: Any, command_name: Any, **options: Any) -> Any:
        """Read the next reply from ``connection`` (one from
        ``connection_pool.get_connection()``, after its ``send_command``)
        and shape it with this client's response callback for
        ``command_name``, as the client's own methods would return it.
        An error reply raises, unless ``options`` has redis-py's
        ``EMPTY_RESPONSE`` (the value returned instead); ``NEVER_DECODE``
        leaves it undecoded."""
        try:
            if options.pop("NEVER_DECODE", False):
                response = connection.read_response(disable_decoding=True)
            else:
                response = connection.read_response()
        except ResponseError:
            if "EMPTY_RESPONSE" in options:
                return options["EMPTY_RESPONSE"]
            raise
        return _shape_response(self.response_callbacks, self.get_encoder(), self._protocol, command_name, response, options)

    def keyspace_notifications(
        self, key_prefix: Union[str, bytes, None] = None, ignore_subscribe_messages: bool = True
    ) -> "KeyspaceNotifications":
        """A :class:`~redcore.keyspace_notifications.KeyspaceNotifications`
        on this client: subscribe to keyspace/keyevent channels and read
        :class:`~redcore.keyspace_notifications.KeyNotification` objects.
        Only keys starting with ``key_prefix`` are kept (with the prefix
        removed). The events must be enabled (``notify-keyspace-events``).

        >>> r = Redis()
        >>> r.config_set("notify-keyspace-events", "Kg$")
        True
        >>> with r.keyspace_notifications() as ksn:
        ...     ksn.subscribe_keyspace("greeting")
        ...     ksn.get_message(timeout=1)  # the subscribe confirmation: None
        ...     r.set("greeting", "hi")
        ...     ksn.get_message(timeout=1).event_type
        True
        'set'
        """
        from .keyspace_notifications import KeyspaceNotifications

        return KeyspaceNotifications(self, key_prefix=key_prefix, ignore_subscribe_messages=ignore_subscribe_messages)

    def get_cache(self) -> Any:
        """The client-side cache of this client's pool (made from
        ``cache_config=``, or the ``cache=`` given), or None without one.

        On a server (RESP3, as redis-py requires), the read-only commands
        the cache allows are answered from it after the first fetch, and
        the server's invalidation messages remove changed keys (see
        :mod:`redcore.cache`); pipelines and transactions bypass it.

        On the embedded engine the arguments are accepted and checked the
        same way, and this returns the cache, but it stays empty: reads
        are in-process (a cached copy would be slower than the engine and
        would need invalidating), so every read sees the current value.

        >>> from redcore.cache import CacheConfig
        >>> Redis(cache_config=CacheConfig(max_size=100)).get_cache().config.get_max_size()
        100
        """
        return getattr(self.connection_pool, "cache", None)

    def lock(
        self,
        name: Any,
        timeout: Optional[float] = None,
        sleep: float = 0.1,
        blocking: bool = True,
        blocking_timeout: Optional[float] = None,
        lock_class: Any = None,
        thread_local: bool = True,
        raise_on_release_error: bool = True,
        auto_renew: bool = False,
        fencing: bool = False,
    ) -> Lock:
        """A :class:`~redcore.lock.Lock` on key ``name`` (redis-py's
        arguments, plus ``auto_renew`` and ``fencing``).

        >>> r = Redis()
        >>> with r.lock("job:42", timeout=5, blocking_timeout=1):
        ...     r.set("job:42:state", "running")
        True
        """
        cls = Lock if lock_class is None else lock_class
        extra = {"auto_renew": auto_renew, "fencing": fencing} if cls is Lock else {}
        return cls(
            self,
            name,
            timeout=timeout,
            sleep=sleep,
            blocking=blocking,
            blocking_timeout=blocking_timeout,
            thread_local=thread_local,
            raise_on_release_error=raise_on_release_error,
            **extra,
        )

    def pubsub(self, **kwargs: Any) -> PubSub:
        """A :class:`PubSub` object to subscribe to channels and patterns.

        >>> r = Redis()
        >>> p = r.pubsub()
        >>> p.subscribe("events")
        >>> p.get_message(timeout=1)["type"]
        'subscribe'
        """
        return PubSub(self, **kwargs)

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> "Pipeline":
        """A pipeline: commands are queued and sent with ``execute()``.
        With ``transaction`` (the default) they run atomically in
        MULTI/EXEC.

        >>> r = Redis()
        >>> pipe = r.pipeline(transaction=False)
        >>> pipe.set("a", 1).get("a").execute()
        [True, b'1']
        """
        return Pipeline(self, transaction, shard_hint)

    def watch(self, *names: Any) -> None:
        """Warns, as redis-py does: WATCH belongs on a :class:`Pipeline`
        (``pipe.watch(...)``), where the watched connection lives until
        EXEC. A plain client sends nothing."""
        warnings.warn(DeprecationWarning("Call WATCH from a Pipeline object"))

    def unwatch(self) -> None:
        """Warns, as redis-py does: UNWATCH belongs on a :class:`Pipeline`."""
        warnings.warn(DeprecationWarning("Call UNWATCH from a Pipeline object"))

    def transaction(
        self,
        func: Callable[["Pipeline"], Any],
        *watches: Any,
        shard_hint: Any = None,
        value_from_callable: bool = False,
        watch_delay: Optional[float] = None,
    ) -> Any:
        """Run ``func(pipe)`` with ``watches`` WATCHed, retrying on
        :class:`WatchError`, and return the EXEC results (or ``func``'s
        value with ``value_from_callable``)."""
        with self.pipeline(True, shard_hint) as pipe:
            return _run_transaction(pipe, func, watches, value_from_callable, watch_delay)


StrictRedis = Redis


def _run_transaction(
    pipe: Any,
    func: Callable[[Any], Any],
    watches: Any,
    value_from_callable: bool,
    watch_delay: Optional[float],
) -> Any:
    """redis-py's ``transaction`` loop on a transactional ``pipe``: WATCH
    ``watches``, ``func(pipe)``, EXEC; again (after ``watch_delay``
    seconds) while a watched key changed. The EXEC results, or ``func``'s
    value with ``value_from_callable``."""
    while True:
        try:
            if watches:
                pipe.watch(*watches)
            func_value = func(pipe)
            exec_value = pipe.execute()
            return func_value if value_from_callable else exec_value
        except WatchError:
            if watch_delay is not None and watch_delay > 0:
                time.sleep(watch_delay)


def _remote_pool(
    host: Optional[str],
    port: Optional[int],
    unix_socket_path: Optional[str],
    max_connections: Optional[int],
    retry: Any,
    retry_on_error: Optional[List[type]],
    retry_on_timeout: bool,
    *,
    ssl: bool,
    socket_connect_timeout: Any,
    socket_keepalive: Any,
    socket_keepalive_options: Any,
    **conn_kwargs: Any,
) -> ConnectionPool:
    """The pool ``Redis(host=..., ...)`` makes for itself."""
    if retry is not _UNSET:
        conn_kwargs["retry"] = retry
    if retry_on_error:
        conn_kwargs["retry_on_error"] = list(retry_on_error)
    if retry_on_timeout:
        conn_kwargs["retry_on_timeout"] = True
    conn_kwargs["_safe_retries"] = retry is _UNSET and not retry_on_error and not retry_on_timeout
    ssl_names = ("ssl_keyfile", "ssl_certfile", "ssl_cert_reqs", "ssl_ca_certs", "ssl_check_hostname")
    ssl_kwargs = {k: conn_kwargs.pop(k) for k in ssl_names}
    ssl_kwargs.update({k: conn_kwargs.pop(k) for k in list(conn_kwargs) if k.startswith("ssl_")})
    connection_class: type = Connection
    if unix_socket_path is not None:
        conn_kwargs["path"] = unix_socket_path
        connection_class = UnixDomainSocketConnection
    else:
        conn_kwargs.update(
            host=host if host is not None else "localhost",
            port=port if port is not None else 6379,
            socket_connect_timeout=socket_connect_timeout,
            socket_keepalive=socket_keepalive,
        )
        if socket_keepalive_options is not _UNSET:
            conn_kwargs["socket_keepalive_options"] = socket_keepalive_options
        if ssl:
            connection_class = SSLConnection
            conn_kwargs.update(ssl_kwargs)
    return ConnectionPool(connection_class=connection_class, max_connections=max_connections, **conn_kwargs)


_CONNECTION_CLASSES = {c.__name__: c for c in (Connection, SSLConnection, UnixDomainSocketConnection, EmbeddedConnection)}


# Clients of engines that own a directory, by engine name: at interpreter
# exit each such engine with save points saves once, as redis-server does on
# SIGTERM / SHUTDOWN, so a restarted process finds the latest data.
_EXIT_SAVES: Dict[str, "weakref.WeakSet[Any]"] = {}


def _save_at_exit(name: str, client: Any) -> None:
    if not _EXIT_SAVES:
        atexit.register(_exit_saves)
    _EXIT_SAVES.setdefault(name, weakref.WeakSet()).add(client)


def _exit_saves() -> None:
    for name, clients in list(_EXIT_SAVES.items()):
        client = next(iter(clients), None)
        if client is None:
            continue
        try:
            rules = next(iter(client.config_get("save").values()), "")
            if rules:
                client.save()
        except Exception as e:  # noqa: BLE001 - exit must go on; say why
            logging.getLogger("redcore.persist").error("saving engine %r at exit failed: %s", name, e)


def _own_pool(pool: Any) -> ConnectionPool:
    """``pool`` itself, or a redcore pool with the same settings when it is
    another library's (redis-py's ``ConnectionPool(connection_class=...,
    **kwargs)``, as rq builds for its scheduler)."""
    if isinstance(pool, ConnectionPool):
        return pool
    kwargs = foreign_pool_kwargs(pool)
    given = getattr(pool, "connection_class", Connection)
    connection_class = next(
        (c for k in getattr(given, "__mro__", ()) if (c := _CONNECTION_CLASSES.get(k.__name__)) is not None), Connection
    )
    if issubclass(connection_class, EmbeddedConnection):
        return EmbeddedConnectionPool(**kwargs)
    max_connections = getattr(pool, "max_connections", None)
    return ConnectionPool(connection_class=connection_class, max_connections=max_connections, **kwargs)


class Pipeline(_redcore.Client, CoreCommands, *redis_base("redis.client", "Pipeline")):  # type: ignore[misc]  # redis-py base when installed
    """Queues commands and runs them with :meth:`execute`, in order, in one
    batch (atomically inside MULTI/EXEC when ``transaction`` is true).
    Methods return the pipeline, so calls chain."""

    connection_pool: ConnectionPool

    def __new__(cls, client: Redis, transaction: bool = True, shard_hint: Any = None) -> "Pipeline":
        self: Pipeline = super().__new__(cls, parent=client, pipeline=True)  # type: ignore[assignment]
        self.connection_pool = client.connection_pool
        return self

    def __init__(self, client: Redis, transaction: bool = True, shard_hint: Any = None) -> None:
        self.client = client
        self.transaction = transaction
        self.shard_hint = shard_hint
        self.watching = False
        self.explicit_transaction = False
        # Scripts called on this pipeline (Script.__call__ adds them);
        # execute() loads the missing ones first.
        self.scripts: set = set()
        # Replies of commands never sent, by position in execute()'s result:
        # redis-py answers MGET with no keys [] without sending it.
        self._local: Dict[int, Any] = {}

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{type(self).__name__}(queued={len(self)})>"

    def __enter__(self) -> "Pipeline":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.reset()

    def __len__(self) -> int:
        """The number of queued commands."""
        return self._queued_len() + len(self._local)

    def __bool__(self) -> bool:
        # An empty pipeline is still a pipeline (redis-py code does `if pipe:`).
        return True

    def reset(self) -> None:
        """Forget queued commands and any WATCH."""
        self._reset_pipeline()
        self.watching = False
        self.explicit_transaction = False
        self.scripts = set()
        self._local = {}

    def mget(self, keys: Any, *args: Any) -> Any:
        """Queue MGET; with no keys its reply is [] and nothing is sent."""
        queueing = not self.watching or self.explicit_transaction
        if queueing and not list_or_args(keys, args):
            self._local[len(self)] = []
            return self
        return super().mget(keys, *args)

    def close(self) -> None:
        """Same as :meth:`reset` (redis-py's ``Pipeline.close``, for
        ``contextlib.closing``)."""
        self.reset()

    def discard(self) -> None:
        """Queue DISCARD: inside the transaction it drops the commands
        queued before it, and :meth:`execute` raises (EXEC without MULTI)."""
        self.execute_command("DISCARD")

    def multi(self) -> None:
        """Start queueing for a transaction after ``watch()``."""
        if self.explicit_transaction:
            raise RedisError("Cannot issue nested calls to MULTI")
        if len(self):
            raise RedisError("Commands without an initial WATCH have already been issued")
        self.explicit_transaction = True
        self._set_immediate(False)

    def watch(self, *names: Any) -> bool:
        """WATCH ``names``; until :meth:`multi`, commands run immediately."""
        if self.explicit_transaction:
            raise RedisError("Cannot issue a WATCH after a MULTI")
        self._set_immediate(True)
        try:
            result = self.execute_command("WATCH", *names)
        except BaseException:
            # Nothing is watched: commands are queued again, as before.
            if not self.watching:
                self._set_immediate(False)
            raise
        self.watching = True
        return result

    def unwatch(self) -> bool:
        """Forget WATCHed keys."""
        if self.watching:
            result = self.execute_command("UNWATCH")
            self.watching = False
            self._set_immediate(False)
            return result
        return True

    def execute(self, raise_on_error: bool = True) -> List[Any]:
        """Run the queued commands and return their replies in order. An
        error reply raises (the first one, annotated with its command)
        unless ``raise_on_error`` is false, in which case it is returned in
        its place. A transaction whose WATCHed key changed raises
        :class:`WatchError`."""
        if not len(self) and not self.watching:
            return []
        if self.scripts:
            self.load_scripts()
        local = self._local
        try:
            if self._queued_len() or self.watching:
                results = self._run_pipeline(self.transaction or self.explicit_transaction, raise_on_error)
            else:
                results = []
        finally:
            self.reset()
        for at in sorted(local):
            results.insert(at, local[at])
        return results

    def load_scripts(self) -> None:
        """Load the scripts called on this pipeline that the engine does
        not know yet, so their queued EVALSHAs succeed."""
        scripts = list(self.scripts)
        shas = [s.sha for s in scripts]
        exists = self.client.script_exists(*shas)
        if not all(exists):
            for s, exist in zip(scripts, exists):
                if not exist:
                    s.sha = self.client.script_load(s.script)


def from_url(url: str, **kwargs: Any) -> Redis:
    """``Redis.from_url``."""
    return Redis.from_url(url, **kwargs)


adopt(Redis)
adopt(Pipeline)


# Classes redis.client also offers, loaded on first use (PEP 562).
_LAZY = {"Monitor": "monitor", "Script": "_script"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"{__package__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Lock", "Monitor", "Pipeline", "PubSub", "PubSubWorkerThread", "Redis", "Script", "StrictRedis", "from_url"]
