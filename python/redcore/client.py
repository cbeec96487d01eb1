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

import time
import urllib.parse
from typing import Any, Callable, Dict, List, Optional, Union

from . import _redcore
from ._callbacks import CALLBACKS
from ._pubsub import PubSub
from .lock import Lock
from .commands import CoreCommands
from .connection import (
    DEFAULT_SOCKET_TIMEOUT,
    IGNORED_REDIS_ARGS,
    _UNSET,
    Connection,
    ConnectionPool,
    SSLConnection,
    UnixDomainSocketConnection,
    to_bool,
)
from .exceptions import DataError, RedisError, WatchError


def _parse_memory_url(url: str) -> Dict[str, Any]:
    """``memory://[name][/db][?decode_responses=true&encoding=...]``"""
    parsed = urllib.parse.urlparse(url)
    kwargs: Dict[str, Any] = {"name": urllib.parse.unquote(parsed.netloc or "")}
    path = parsed.path.strip("/")
    if path:
        try:
            kwargs["db"] = int(path)
        except ValueError as e:
            raise ValueError(f"Invalid database number in URL {url!r}") from e
    for key, values in urllib.parse.parse_qs(parsed.query).items():
        value = values[-1]
        if key == "db":
            kwargs["db"] = int(value)
        elif key == "decode_responses":
            kwargs["decode_responses"] = bool(to_bool(value))
        elif key in ("encoding", "encoding_errors"):
            kwargs[key] = value
    return kwargs


def _credential(value: Any, encoding: str) -> Optional[bytes]:
    """A username or password as the engine takes it (bytes), or None."""
    if value is None:
        return None
    return value.encode(encoding) if isinstance(value, str) else bytes(value)


class Redis(_redcore.Client, CoreCommands):
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

    Args:
        db: the database number (0-15).
        decode_responses: return ``str`` instead of ``bytes``.
        encoding, encoding_errors: how ``str`` values are encoded and
            replies decoded.
        name: the shared embedded engine to use.
        username, password: on the embedded engine too, the client
            authenticates with them on its first command (and again after
            CLIENT KILL), as redis-py does on connect.

    >>> r = Redis()
    >>> r.rpush("queue", "a", "b")
    2
    >>> r.lrange("queue", 0, -1)
    [b'a', b'b']
    """

    connection_pool: Optional[ConnectionPool]
    auto_close_connection_pool: bool

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
        *,
        name: Optional[str] = None,
        **kwargs: Any,
    ) -> "Redis":
        unknown = set(kwargs) - IGNORED_REDIS_ARGS
        if unknown:
            raise TypeError(f"Redis() got unexpected keyword arguments: {', '.join(sorted(unknown))}")
        if not isinstance(db, int) or isinstance(db, bool):
            raise DataError("db must be an int")
        remote = host is not None or port is not None or unix_socket_path is not None or connection_pool is not None
        if not remote:
            self: Redis = super().__new__(  # type: ignore[assignment]
                cls,
                name=name,
                db=db,
                decode_responses=decode_responses,
                encoding=encoding,
                encoding_errors=encoding_errors,
                callbacks=CALLBACKS,
                username=_credential(username, encoding),
                password=_credential(password, encoding),
            )
            self.connection_pool = None
            self.auto_close_connection_pool = False
            return self
        auto_close = connection_pool is None
        if connection_pool is None:
            conn_kwargs: Dict[str, Any] = {
                "db": db,
                "username": username,
                "password": password,
                "socket_timeout": socket_timeout,
                "encoding": encoding,
                "encoding_errors": encoding_errors,
                "decode_responses": decode_responses,
                "health_check_interval": health_check_interval,
                "client_name": client_name,
                "protocol": protocol,
            }
            if retry is not _UNSET:
                conn_kwargs["retry"] = retry
            if retry_on_error:
                conn_kwargs["retry_on_error"] = list(retry_on_error)
            if retry_on_timeout:
                conn_kwargs["retry_on_timeout"] = True
            conn_kwargs["_safe_retries"] = retry is _UNSET and not retry_on_error and not retry_on_timeout
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
                    conn_kwargs.update(
                        ssl_keyfile=ssl_keyfile,
                        ssl_certfile=ssl_certfile,
                        ssl_cert_reqs=ssl_cert_reqs,
                        ssl_ca_certs=ssl_ca_certs,
                        ssl_check_hostname=ssl_check_hostname,
                    )
            connection_pool = ConnectionPool(connection_class=connection_class, max_connections=max_connections, **conn_kwargs)
        enc, errors, decode = connection_pool.get_encoder()
        core = connection_pool._core
        self = super().__new__(  # type: ignore[assignment,no-redef]
            cls,
            db=core.db,
            decode_responses=bool(decode),
            encoding=enc,
            encoding_errors=errors,
            callbacks=CALLBACKS,
            remote=core,
            single_connection_client=single_connection_client,
        )
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
            params = _parse_memory_url(url)
            params.update(kwargs)
            return cls(**params)
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
        if self.connection_pool is not None:
            return f"<{type(self).__module__}.{type(self).__name__}({self.connection_pool!r})>"
        return f"<{type(self).__module__}.{type(self).__name__}(embedded db={self._db})>"

    def __enter__(self) -> "Redis":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Release resources: a remote client closes its single connection,
        and its pool's connections if it made the pool itself (nothing to
        do for the embedded engine)."""
        if self.connection_pool is not None:
            self._disconnect(self.auto_close_connection_pool)

    def get_connection_kwargs(self) -> Dict[str, Any]:
        """The connection arguments of a remote client's pool."""
        return {} if self.connection_pool is None else self.connection_pool.connection_kwargs

    def get_retry(self) -> Any:
        """The retry policy of a remote client's pool."""
        return None if self.connection_pool is None else self.connection_pool.get_retry()

    def set_response_callback(self, command: str, callback: Callable[..., Any]) -> None:
        """Set a custom response callback for ``command``."""
        self.response_callbacks[command.upper()] = callback

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
                    continue


StrictRedis = Redis


class Pipeline(_redcore.Client, CoreCommands):
    """Queues commands and runs them with :meth:`execute`, in order, in one
    batch (atomically inside MULTI/EXEC when ``transaction`` is true).
    Methods return the pipeline, so calls chain."""

    connection_pool: Optional[ConnectionPool]

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

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{type(self).__name__}(queued={len(self)})>"

    def __enter__(self) -> "Pipeline":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.reset()

    def __bool__(self) -> bool:
        # An empty pipeline is still a pipeline (redis-py code does `if pipe:`).
        return True

    def reset(self) -> None:
        """Forget queued commands and any WATCH."""
        self._reset_pipeline()
        self.watching = False
        self.explicit_transaction = False
        self.scripts = set()

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
        try:
            return self._run_pipeline(self.transaction or self.explicit_transaction, raise_on_error)
        finally:
            self.reset()

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


__all__ = ["Pipeline", "Redis", "StrictRedis", "from_url"]
