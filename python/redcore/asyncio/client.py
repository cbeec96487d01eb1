"""The asyncio client: :class:`Redis` and :class:`Pipeline`.

There is one command layer: every command method here runs the sync
client's method of the same name (the Rust hot methods and the Python
mixins alike), so arguments, callbacks and return types are the sync
client's. What differs is where the command runs:

- embedded (no address): inline, in the calling task: the awaited call
  completes without a thread hop. A blocking command that must wait
  (BLPOP, XREAD BLOCK...) comes back as a ``_redcore.Pending``; the task
  awaits it while the loop runs on, and the engine wakes the loop when
  data arrives (see :func:`redcore.asyncio.connection.wait_pending`).
- network: the sync method queues its encoded command on a *recorder*
  (a sync pipeline that never sends), and the command is handed to a
  connection of the :class:`~redcore.asyncio.ConnectionPool`.

    >>> import asyncio, redcore.asyncio
    >>> async def main():
    ...     r = redcore.asyncio.Redis(decode_responses=True)
    ...     await r.set("greeting", "hello")
    ...     return await r.get("greeting")
    >>> asyncio.run(main())
    'hello'
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import warnings
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Dict, List, Optional, Set, Tuple, Union

from .. import _csc, _redcore
from .. import client as _sync_client
from .. import connection as _sync_connection
from .._compat import adopt, redis_base
from ..commands._util import list_or_args
from ..exceptions import ConnectionError, NoScriptError, ReadOnlyError, RedisError, ResponseError, TimeoutError, WatchError
from .connection import ConnectionPool, Connection, wait_pending
from .embedded import EmbeddedConnectionPool
from .retry import connect_retrying, retry_allows, sleep_backoff

if TYPE_CHECKING:
    from .keyspace_notifications import AsyncKeyspaceNotifications
    from .monitor import Monitor
    from .pubsub import PubSub

_Pending = _redcore.Pending

_SyncRedis = _sync_client.Redis
_SyncPipeline = _sync_client.Pipeline

# Methods of the sync client that are not one command each: the async
# classes define their own.
_NOT_COMMANDS = frozenset({
    "client", "close", "digest_local", "execute", "execute_command", "from_pool", "from_url", "get_cache", "get_connection_kwargs",
    "get_encoder", "get_protocol", "get_retry", "hscan_iter", "keyspace_notifications", "load_external_module",
    "load_scripts", "lock", "monitor", "multi", "parse_response", "pipeline", "pubsub", "register_script",
    "scan_iter", "set_response_callback", "set_retry", "sscan_iter", "transaction", "unwatch", "watch", "zscan_iter",
})


def _command_names() -> List[str]:
    """The command methods of the sync client (redcore's own classes)."""
    names: Set[str] = set()
    for klass in _SyncRedis.__mro__:
        if not klass.__module__.startswith("redcore"):
            continue
        for name, value in vars(klass).items():
            if not name.startswith("_") and callable(value) and not isinstance(value, (classmethod, staticmethod, type)):
                names.add(name)
    return sorted(names - _NOT_COMMANDS)


async def _ready(value: Any) -> Any:
    """An embedded call's value (awaited if the command blocked)."""
    if value.__class__ is _Pending:
        return await wait_pending(value)
    return value


def _signature_code(fn: Any) -> Tuple[str, str, Dict[str, Any]]:
    """The parameter list of ``fn`` (without its first, the client) as
    source, the matching call arguments, and the defaults they refer to:
    a wrapper with the same signature passes arguments on positionally,
    which is cheaper than forwarding ``*args, **kwargs``."""
    params = list(inspect.signature(fn).parameters.values())[1:]
    defs: List[str] = []
    call: List[str] = []
    defaults: Dict[str, Any] = {}
    star = False
    for i, p in enumerate(params):
        default = ""
        if p.default is not inspect.Parameter.empty:
            defaults[f"__d{i}"] = p.default
            default = f"=__d{i}"
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            defs.append(p.name + default)
            call.append(p.name)
        elif p.kind is p.VAR_POSITIONAL:
            star = True
            defs.append("*" + p.name)
            call.append("*" + p.name)
        elif p.kind is p.KEYWORD_ONLY:
            if not star:
                star = True
                defs.append("*")
            defs.append(p.name + default)
            call.append(f"{p.name}={p.name}")
        else:
            defs.append("**" + p.name)
            call.append("**" + p.name)
    if any(p.kind is p.POSITIONAL_ONLY for p in params):
        last = max(i for i, p in enumerate(params) if p.kind is p.POSITIONAL_ONLY)
        defs.insert(last + 1, "/")
    return ", ".join(["self", *defs]), ", ".join(["self._core", *call]), defaults


_CLIENT_TEMPLATE = """
async def {name}({params}):
    value = __fn({call})
    if self._pool is None:
        # Ran inline; a blocked command comes back as a Pending.
        if value.__class__ is __Pending:
            return await __wait(value)
        return value
    return await self._send(self._core._take_batch())
"""

_PIPELINE_TEMPLATE = """
def {name}({params}):
    return self._queued(__fn({call}))
"""


def _make_command(name: str, template: str, sync: type = _SyncRedis) -> Callable[..., Any]:
    """A method named ``name`` that runs the method of that name of
    ``sync`` (the class of ``self._core``: the sync client or pipeline; see
    the module docstring) on ``self._core``, with its signature."""
    fn = getattr(sync, name)
    params, call, namespace = _signature_code(fn)
    namespace.update(__fn=fn, __Pending=_Pending, __wait=wait_pending)
    exec(template.format(name=name, params=params, call=call), namespace)  # noqa: S102 - our own template
    method = namespace[name]
    method.__doc__ = fn.__doc__
    return method


_mget = _make_command("mget", _CLIENT_TEMPLATE)


def _scan_iter(scan: str, pairs: bool) -> Callable[..., AsyncIterator[Any]]:
    async def scan_iter(self: Any, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        cursor: Any = "0"
        while cursor != 0:
            cursor, data = await getattr(self, scan)(*args, cursor=cursor, **kwargs)
            if pairs and isinstance(data, dict):
                for item in data.items():
                    yield item
            else:
                for item in data:
                    yield item

    scan_iter.__name__ = scan_iter.__qualname__ = f"{scan}_iter"
    scan_iter.__doc__ = f"An async iterator over {scan.upper()}'s results."
    return scan_iter


async def run_transaction(
    pipe: Any, func: Callable[[Any], Any], watches: Tuple[Any, ...], value_from_callable: bool, watch_delay: Optional[float],
) -> Any:
    """The loop of ``transaction()`` (a client's or a cluster's) on a
    transactional ``pipe``: WATCH ``watches``, run ``func(pipe)`` (awaited
    when it returns an awaitable), EXEC; again after a WatchError."""
    while True:
        try:
            if watches:
                await pipe.watch(*watches)
            func_value = func(pipe)
            if inspect.isawaitable(func_value):
                func_value = await func_value
            exec_value = await pipe.execute()
            return func_value if value_from_callable else exec_value
        except WatchError:
            if watch_delay is not None and watch_delay > 0:
                await asyncio.sleep(watch_delay)
            continue


async def warn_watch(self: Any, *names: Any) -> None:
    """Warns, as redis-py does: WATCH belongs on a pipeline."""
    warnings.warn(DeprecationWarning("Call WATCH from a Pipeline object"))


async def warn_unwatch(self: Any) -> None:
    """Warns, as redis-py does: UNWATCH belongs on a pipeline."""
    warnings.warn(DeprecationWarning("Call UNWATCH from a Pipeline object"))


class Redis(*redis_base("redis.asyncio.client", "Redis")):  # type: ignore[misc]  # redis-py base when installed
    """An asyncio Redis client with redis.asyncio's API.

    Without ``host``, ``port``, ``unix_socket_path`` or
    ``connection_pool`` it runs on an embedded engine in this process
    (``name=`` shares one with every client, sync or async, opened under
    that name). With an address it talks RESP to a server through a
    :class:`~redcore.asyncio.ConnectionPool`: concurrent commands of all
    tasks are pipelined on one shared connection.

    Takes the sync :class:`redcore.Redis`'s arguments.
    """

    _pool: Optional[ConnectionPool]

    def __init__(
        self,
        host: Optional[str] = None,
        port: Optional[int] = None,
        db: int = 0,
        password: Optional[str] = None,
        *,
        unix_socket_path: Optional[str] = None,
        connection_pool: Any = None,
        single_connection_client: bool = False,
        auto_close_connection_pool: Optional[bool] = None,
        max_connections: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        self.single_connection_client = single_connection_client
        self._single: Optional[Connection] = None
        self._opening_single: Optional["asyncio.Future[Connection]"] = None
        kwargs.update(db=db, password=password)
        remote = (host is not None and not _sync_connection.is_engine_host(host)) or port is not None or unix_socket_path is not None
        if isinstance(connection_pool, EmbeddedConnectionPool):
            # Its engine, through the sync pool it wraps.
            connection_pool = connection_pool._sync
        if connection_pool is not None and not isinstance(
            connection_pool, (ConnectionPool, _sync_connection.EmbeddedConnectionPool)
        ):
            # Another library's pool (redis.asyncio's, redcore's sync one):
            # a pool of ours with its settings.
            connection_pool = ConnectionPool(
                connection_class=getattr(connection_pool, "connection_class", None),
                max_connections=getattr(connection_pool, "max_connections", None),
                **_sync_connection.foreign_pool_kwargs(connection_pool),
            )
        if isinstance(connection_pool, ConnectionPool) or (remote and connection_pool is None):
            if connection_pool is None:
                sync = _SyncRedis(host=host, port=port, unix_socket_path=unix_socket_path, **kwargs)
                sync_pool = sync.connection_pool
                # The cache cache_config= made (the pool keeps it apart
                # from its connection arguments).
                cache = {"cache": sync_pool.cache} if getattr(sync_pool, "cache", None) is not None else {}
                connection_pool = ConnectionPool(
                    connection_class=sync_pool.connection_class, max_connections=max_connections,
                    _safe_retries=sync_pool._safe_retries, **sync_pool.connection_kwargs, **cache,
                )
                sync.close()
                auto_close = True
            else:
                auto_close = False
            self._pool = connection_pool
            self._sync = _SyncRedis(connection_pool=connection_pool._sync)
            if connection_pool._sync.client_side_cache is not None:
                # Client-side caching: cacheable commands are answered
                # by the pool's cache (see AsyncCachingClient).
                self.__class__ = _async_caching_class(type(self))
                self._core = _caching_recorder()(self._sync, transaction=False)
            else:
                self._core = _SyncPipeline(self._sync, transaction=False)
            # This client's (db, client name): its commands run with them
            # on whichever connection they take (see Connection.send).
            self._state = connection_pool._default_state
        else:
            self._pool = None
            self._sync = self._core = _SyncRedis(
                host=host, port=port, unix_socket_path=unix_socket_path, connection_pool=connection_pool,
                single_connection_client=single_connection_client, **kwargs,
            )
            self._core._set_async(True)
            # An asyncio pool over the engine (code written for
            # redis.asyncio awaits its methods, or builds clients on it).
            connection_pool = EmbeddedConnectionPool._over(self._core.connection_pool)
            auto_close = False
            self._state = None
        self.connection_pool = connection_pool
        self.auto_close_connection_pool = auto_close if auto_close_connection_pool is None else auto_close_connection_pool

    @classmethod
    def from_url(cls, url: str, single_connection_client: bool = False, auto_close_connection_pool: Optional[bool] = None, **kwargs: Any) -> "Redis":
        """A client from a URL: ``redis://``, ``rediss://``, ``unix://``
        (a server) or ``memory://[name][/db]`` (a shared embedded engine)."""
        if url.split("://", 1)[0].lower() == "memory":
            # The URL wins over kwargs, as for redis:// URLs.
            params = {**kwargs, **_sync_connection.parse_memory_url(url)}
            return cls(single_connection_client=single_connection_client, **params)
        pool = ConnectionPool.from_url(url, **kwargs)
        client = cls(connection_pool=pool, single_connection_client=single_connection_client)
        client.auto_close_connection_pool = True if auto_close_connection_pool is None else auto_close_connection_pool
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

    def __bool__(self) -> bool:
        return True

    def __await__(self) -> Any:
        return self.initialize().__await__()

    async def initialize(self) -> "Redis":
        """Opens the single connection of a ``single_connection_client``."""
        if self._pool is not None and self.single_connection_client and self._single is None:
            await self._open_single()
        return self

    async def __aenter__(self) -> "Redis":
        return await self.initialize()

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    async def aclose(self, close_connection_pool: Optional[bool] = None) -> None:
        """Releases the single connection, and closes the pool if the
        client made it (or ``close_connection_pool``)."""
        if self._single is not None and self._pool is not None:
            conn, self._single = self._single, None
            await self._pool.release(conn)
        close = self.auto_close_connection_pool if close_connection_pool is None else close_connection_pool
        if close:
            if self._pool is not None:
                await self._pool.disconnect()
            else:
                self._core.close()

    async def close(self, close_connection_pool: Optional[bool] = None) -> None:
        """Deprecated alias of :meth:`aclose`, as in redis.asyncio."""
        await self.aclose(close_connection_pool)

    async def mget(self, keys: Any, *args: Any) -> List[Any]:
        """Return a list of values ordered identically to ``keys``; no keys
        give an empty list, as in redis-py (the commands of a remote client
        are recorded, so the sync method cannot answer this by itself)."""
        keys = list_or_args(keys, args)
        if not keys:
            return []
        return await _mget(self, keys)

    # -- plumbing ------------------------------------------------------------

    async def _send(self, batch: Any) -> Any:
        """Sends one recorded command on the shared connection (a blocking
        one on a connection of its own)."""
        pool = self._pool
        assert pool is not None
        if self._single is not None or self.single_connection_client:
            return await self._send_single(batch, {"state": self._state})
        if batch.blocking:
            return await _on_own_connection(pool, batch, state=self._state)
        conn = pool._shared_conn()
        if conn is None or pool._resend:
            return await _send_retrying(pool, batch, {"state": self._state})
        return await conn.send(batch, state=self._state)

    async def _send_single(self, batch: Any, send: Dict[str, Any]) -> Any:
        """Sends ``batch`` on the single connection of a
        ``single_connection_client``, reopening it when the server dropped
        it, and retrying as :func:`_send_retrying` says (the sync client's
        rules: what cannot have been sent always, a lost reply only with
        the user's ``retry=``)."""
        pool = self._pool
        assert pool is not None
        retry, explicit = pool._retry_policy
        failures = 0
        while True:
            spare = batch.copy() if explicit else None
            sent = False
            try:
                conn = self._single
                if conn is None or conn._closed:
                    self._single = None
                    if conn is not None:
                        await pool.release(conn)
                    conn = await self._open_single()
                fut = conn.send(batch, **send)
                sent = True
                return await fut
            except (ConnectionError, TimeoutError) as e:
                failures += 1
                if retry is None or (sent and spare is None) or not retry_allows(retry, e, failures):
                    raise
                if sent:
                    batch = spare
                await sleep_backoff(retry, failures)

    async def _open_single(self) -> Connection:
        """Opens the single connection, once even when many tasks ask at
        the same time."""
        opening = self._opening_single
        if opening is not None:
            return await asyncio.shield(opening)
        assert self._pool is not None
        self._opening_single = fut = asyncio.get_running_loop().create_future()
        try:
            conn = await self._pool.get_connection()
        except BaseException as e:
            fut.set_exception(e)
            fut.exception()  # retrieved: no "never retrieved" warning
            raise
        finally:
            self._opening_single = None
        self._single = conn
        fut.set_result(conn)
        return conn

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        """Runs a command given as arguments; the reply is shaped by the
        response callback registered for its name."""
        value = self._core.execute_command(*args, **options)
        if self._pool is None:
            return await _ready(value)
        result = await self._send(self._core._take_batch())
        if args:
            self._track_state(args)
        return result

    def _track_state(self, args: Tuple[Any, ...]) -> None:
        """After a successful SELECT or CLIENT SETNAME sent as arguments:
        the client's state changes, as :meth:`select` does; after QUIT its
        connection is left to close."""
        words = [a.decode("utf-8", "replace") if isinstance(a, bytes) else str(a) for a in args[:3]]
        head = " ".join(words).upper().split()
        if head[:1] == ["SELECT"] and len(args) > 1:
            self._state = (int(args[-1]), self._state[1])
        elif head[:2] == ["CLIENT", "SETNAME"]:
            self._state = (self._state[0], args[-1] or None)
        elif head[:1] == ["QUIT"]:
            # The server closes the connection after QUIT's reply: the next
            # command must open a new one, not race that close.
            if self._single is not None:
                self._single.retire()
            elif self._pool is not None:
                self._pool._retire_shared()

    async def quit(self, **kwargs: Any) -> Any:
        """QUIT: the server closes this client's connection; the next
        command opens a new one."""
        return await self.execute_command("QUIT", **kwargs)

    async def select(self, index: int, **kwargs: Any) -> bool:
        """SELECT ``index`` for this client: its later commands (pipelines,
        transactions and blocking commands too) run in database ``index``,
        also when it shares its connection with other clients of the pool
        (they keep theirs: each connection is switched back and forth as
        needed)."""
        result = await self.execute_command("SELECT", index, **kwargs)
        return result

    async def client_setname(self, name: Any) -> bool:
        """CLIENT SETNAME for this client: the connection carries ``name``
        while it runs this client's commands, also when it is shared with
        other clients of the pool (they keep theirs)."""
        return await self.execute_command("CLIENT SETNAME", name)

    @property
    def response_callbacks(self) -> Any:
        """The per-client response callbacks (command name -> callable)."""
        return self._core.response_callbacks

    @response_callbacks.setter
    def response_callbacks(self, value: Any) -> None:
        self._core.response_callbacks = value

    def set_response_callback(self, command: str, callback: Callable[..., Any]) -> None:
        """Set a custom response callback for ``command``."""
        self._core.response_callbacks[command.upper()] = callback

    def get_retry(self) -> Any:
        """The retry policy of this client's pool (None: none)."""
        if self._pool is None:
            return self._sync.get_retry()
        return self._pool.get_retry()

    def set_retry(self, retry: Any) -> None:
        """Uses ``retry`` for this client's pool, and so for every client
        of the pool (a command whose reply was lost is then retried too)."""
        if self._pool is None:
            self._sync.set_retry(retry)
        else:
            self._pool.set_retry(retry)

    def get_cache(self) -> Any:
        """The client-side cache of this client's pool, or None (see the
        sync :meth:`redcore.Redis.get_cache`)."""
        return self._sync.get_cache()

    def get_encoder(self) -> Any:
        """The :class:`~redcore.connection.Encoder` of this client."""
        return self.connection_pool.get_encoder()

    def digest_local(self, value: Any) -> Any:
        """DIGEST's value for ``value``, computed here (not awaited, as in
        redis-py; see the sync :meth:`redcore.Redis.digest_local`)."""
        return _SyncRedis.digest_local(self, value)

    def get_connection_kwargs(self) -> Dict[str, Any]:
        """The connection arguments of this client's pool."""
        return self.connection_pool.connection_kwargs

    def get_protocol(self) -> Optional[int]:
        """The ``protocol`` the client was made with."""
        return self._sync.get_protocol()

    @property
    def _decode_responses(self) -> bool:
        return bool(self._core._decode_responses)

    @property
    def _encoding(self) -> Any:
        return self._core._encoding

    # -- objects on this client ---------------------------------------------

    def client(self) -> "Redis":
        """A client on the same pool with a connection of its own."""
        return type(self)(connection_pool=self.connection_pool, single_connection_client=True)

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> "Pipeline":
        """A :class:`Pipeline` (atomic in MULTI/EXEC with ``transaction``)."""
        return Pipeline(self, transaction, shard_hint)

    async def transaction(
        self, func: Callable[["Pipeline"], Any], *watches: Any, shard_hint: Any = None,
        value_from_callable: bool = False, watch_delay: Optional[float] = None,
    ) -> Any:
        """Runs ``func(pipe)`` (a coroutine function or a plain one) with
        ``watches`` WATCHed, retrying on WatchError; returns the EXEC
        results (or ``func``'s value with ``value_from_callable``)."""
        async with self.pipeline(True, shard_hint) as pipe:
            return await run_transaction(pipe, func, watches, value_from_callable, watch_delay)

    def pubsub(self, **kwargs: Any) -> "PubSub":
        """A :class:`~redcore.asyncio.PubSub` on this client."""
        from .pubsub import PubSub

        return PubSub(self, **kwargs)

    def keyspace_notifications(
        self, key_prefix: Union[str, bytes, None] = None, ignore_subscribe_messages: bool = True,
    ) -> "AsyncKeyspaceNotifications":
        """An :class:`~redcore.asyncio.keyspace_notifications.AsyncKeyspaceNotifications`
        on this client: ``await ksn.subscribe_keyspace(...)``, then read
        :class:`~redcore.keyspace_notifications.KeyNotification` objects.
        Only keys starting with ``key_prefix`` are kept (with the prefix
        removed). The events must be enabled (``notify-keyspace-events``)."""
        from .keyspace_notifications import AsyncKeyspaceNotifications

        return AsyncKeyspaceNotifications(self, key_prefix=key_prefix, ignore_subscribe_messages=ignore_subscribe_messages)

    def monitor(self) -> "Monitor":
        """A :class:`~redcore.asyncio.monitor.Monitor` of every command the
        engine's (or server's) clients run: ``async with r.monitor() as m``."""
        from .monitor import Monitor

        return Monitor(self)

    async def parse_response(self, connection: Any, command_name: Any, **options: Any) -> Any:
        """Reads the next reply from ``connection`` (one from
        ``await connection_pool.get_connection()``, after its
        ``send_command``) and shapes it with this client's response
        callback for ``command_name``, as the client's own methods return
        it. An error reply raises, unless ``options`` has redis-py's
        ``EMPTY_RESPONSE`` (the value returned instead); ``NEVER_DECODE``
        leaves it undecoded."""
        try:
            if options.pop("NEVER_DECODE", False):
                response = await connection.read_response(disable_decoding=True)
            else:
                response = await connection.read_response()
        except ResponseError:
            if "EMPTY_RESPONSE" in options:
                return options["EMPTY_RESPONSE"]
            raise
        value = _sync_client._shape_response(
            self.response_callbacks, self.get_encoder(), self._sync._protocol, command_name, response, options,
        )
        return await value if inspect.isawaitable(value) else value

    def lock(
        self, name: Any, timeout: Optional[float] = None, sleep: float = 0.1, blocking: bool = True,
        blocking_timeout: Optional[float] = None, lock_class: Any = None, thread_local: bool = True,
        raise_on_release_error: bool = True,
    ) -> Any:
        """A :class:`~redcore.asyncio.lock.Lock` on key ``name``."""
        from .lock import Lock

        cls = Lock if lock_class is None else lock_class
        return cls(self, name, timeout=timeout, sleep=sleep, blocking=blocking, blocking_timeout=blocking_timeout,
                   thread_local=thread_local, raise_on_release_error=raise_on_release_error)

    def register_script(self, script: Any) -> "Script":
        """A callable :class:`Script`: ``await script(keys=..., args=...)``
        runs EVALSHA, loading the script when the server lacks it."""
        return Script(self, script)

    watch = warn_watch
    unwatch = warn_unwatch

    scan_iter = _scan_iter("scan", False)
    sscan_iter = _scan_iter("sscan", False)
    hscan_iter = _scan_iter("hscan", True)
    zscan_iter = _scan_iter("zscan", False)


def _refused_by_replica(result: Any, send: Dict[str, Any]) -> bool:
    """True if a pipeline's replies (``raise_on_error=False``) include a
    READONLY refusal."""
    return bool(send.get("pipeline")) and isinstance(result, list) and any(isinstance(r, ReadOnlyError) for r in result)


async def _send_retrying(pool: ConnectionPool, batch: Any, send: Dict[str, Any]) -> Any:
    """Sends ``batch`` on the pool's shared connection, retrying as the
    pool's policy says (the sync client's rules):

    - a failure before the command left (the connection could not be
      opened) is retried with the pool's retry policy, each attempt
      opening a new connection (a Sentinel pool asks Sentinel again);
    - a command whose reply was lost (the connection dropped, a timeout)
      is sent again only when the user asked for retries (``retry=``,
      ``retry_on_error=``, ``retry_on_timeout=``), as redis.asyncio does;
    - a pool following a master (Sentinel) that hears READONLY (the server
      became a replica) drops its connections and sends the command
      again: the refused command was not applied.
    """
    retry, explicit = pool._retry_policy
    failures = 0
    refusals = 0
    while True:
        spare = batch.copy() if pool._resend else None
        sent = False
        try:
            conn = pool._shared_conn() or await pool._get_shared()
            fut = conn.send(batch, **send)
            sent = True
            result = await fut
            if not (pool._follows_master and _refused_by_replica(result, send)):
                return result
            error: BaseException = ReadOnlyError("READONLY You can't write against a read only replica.")
        except ReadOnlyError as e:
            if not pool._follows_master:
                raise
            error = e
        except (ConnectionError, TimeoutError) as e:
            failures += 1
            if retry is None or not (explicit or not sent) or (sent and spare is None):
                raise
            if not retry_allows(retry, e, failures):
                raise
            if sent:
                batch = spare
            await sleep_backoff(retry, failures)
            continue
        # Refused by a replica: follow the master.
        refusals += 1
        if refusals > 20 or spare is None:
            raise error
        pool._drop_connections()
        if refusals > 1:
            await asyncio.sleep(0.05 * min(refusals - 1, 10))
        batch = spare


async def _on_own_connection(pool: ConnectionPool, batch: Any, **send: Any) -> Any:
    """Runs ``batch`` on a connection of its own (a blocking command). If
    the wait is cancelled the connection is closed: it would still owe the
    blocked reply. Failures are retried as :func:`_send_retrying` says."""
    retry, explicit = pool._retry_policy
    failures = 0
    while True:
        spare = batch.copy() if explicit else None
        conn, failures = await connect_retrying(pool, pool.get_connection, failures)
        # The command blocks as long as it asks; the server answers when its
        # block timeout ends, so socket_timeout does not apply here.
        conn.timeout = None
        try:
            result = await conn.send(batch, **send)
        except (ConnectionError, TimeoutError) as e:
            conn.disconnect()
            await pool.release(conn)
            failures += 1
            if spare is None or retry is None or not retry_allows(retry, e, failures):
                raise
            batch = spare
            await sleep_backoff(retry, failures)
            continue
        except BaseException:
            conn.disconnect()
            await pool.release(conn)
            raise
        await pool.release(conn)
        return result


StrictRedis = Redis


class Pipeline(Redis, *redis_base("redis.asyncio.client", "Pipeline")):  # type: ignore[misc]  # redis-py base when installed
    """Commands queued and run with ``await pipe.execute()`` (in MULTI/EXEC
    with ``transaction``). Command methods return the pipeline, so calls
    chain; after :meth:`watch` and until :meth:`multi` they run at once
    and are awaited.

    >>> import asyncio, redcore.asyncio
    >>> async def main():
    ...     r = redcore.asyncio.Redis()
    ...     async with r.pipeline() as pipe:
    ...         return await pipe.incr("n").incr("n").execute()
    >>> asyncio.run(main())
    [1, 2]
    """

    def __init__(self, client: Redis, transaction: bool = True, shard_hint: Any = None) -> None:
        self.client = client  # type: ignore[method-assign,assignment]  # redis-py's attribute
        self.connection_pool = client.connection_pool
        self.auto_close_connection_pool = False
        self.single_connection_client = False
        self._single = None
        self._pool = client._pool
        self._sync = client._sync
        self.transaction = transaction  # type: ignore[method-assign,assignment]  # redis-py's attribute
        self.shard_hint = shard_hint
        self.watching = False
        self.explicit_transaction = False
        self.scripts: Set["Script"] = set()
        self._conn: Optional[Connection] = None
        self._core = _SyncPipeline(client._sync, transaction)
        if self._pool is None:
            self._core._set_async(True)

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{type(self).__name__}(queued={len(self)})>"

    def __len__(self) -> int:
        return len(self._core)

    def __bool__(self) -> bool:
        return True

    def __await__(self) -> Any:
        async def itself() -> "Pipeline":
            return self

        return itself().__await__()

    async def __aenter__(self) -> "Pipeline":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.reset()

    def _immediate(self) -> bool:
        return self.watching and not self.explicit_transaction

    @property  # type: ignore[override]
    def _state(self) -> Any:
        # The client's (db, client name), as it is when the pipeline runs.
        return self.client._state

    def _queued(self, value: Any) -> Any:
        """What a command method returns once the sync pipeline took the
        command: the pipeline while queueing; while WATCHing, the awaitable
        reply (run inline, or sent on the WATCH connection)."""
        if not self._immediate():
            return self
        if self._pool is None:
            return _ready(value)
        return self._send_watched(self._core._take_batch())

    async def _send_watched(self, batch: Any, **send: Any) -> Any:
        """Sends ``batch`` on the connection holding the WATCH. If that
        connection fails, the server forgot the WATCH: WatchError, as in
        redis.asyncio (retry the transaction), and the next :meth:`watch`
        takes a new connection."""
        conn = self._conn
        assert conn is not None and self._pool is not None
        try:
            return await conn.send(batch, state=self._state, **send)
        except (ConnectionError, TimeoutError) as e:
            if not self.watching:
                raise
            self._conn = None
            self.watching = False
            conn.disconnect()
            await self._pool.release(conn)
            raise WatchError(f"A {type(e).__name__} occurred while watching one or more keys") from e

    def execute_command(self, *args: Any, **options: Any) -> Any:  # type: ignore[override]
        """Queues a command (runs it, awaitable, while WATCHing)."""
        return self._queued(self._core.execute_command(*args, **options))

    async def watch(self, *names: Any) -> bool:  # type: ignore[override]
        """WATCH ``names``; until :meth:`multi`, commands run immediately
        (on a connection this pipeline holds until reset)."""
        if self.explicit_transaction:
            raise RedisError("Cannot issue a WATCH after a MULTI")
        if self._pool is None:
            result = self._core.watch(*names)
            self.watching = True
            return result
        _redcore.Client.execute_command(self._core, "WATCH", *names)
        batch = self._core._take_batch()
        if self._conn is not None and self.watching:
            return await self._send_watched(batch)
        result = await self._first_watch(batch)
        self.watching = True
        return result

    async def _first_watch(self, batch: Any) -> Any:
        """The first WATCH, on a connection the pipeline then holds. A
        connection error is retried on a new connection as the pool's
        retry policy says (nothing is watched yet, and WATCH changes no
        data, so sending it again is safe)."""
        pool = self._pool
        assert pool is not None
        retry = pool._retry_policy[0]
        failures = 0
        while True:
            spare = batch.copy()
            try:
                if self._conn is None or self._conn._closed:
                    if self._conn is not None:
                        conn, self._conn = self._conn, None
                        await pool.release(conn)
                    self._conn = await pool.get_connection()
                return await self._conn.send(batch, state=self._state)
            except (ConnectionError, TimeoutError) as e:
                failures += 1
                if retry is None or not retry_allows(retry, e, failures):
                    raise
                batch = spare
                await sleep_backoff(retry, failures)

    async def unwatch(self) -> bool:  # type: ignore[override]
        """Forget WATCHed keys."""
        if not self.watching:
            return True
        if self._pool is None:
            result = self._core.unwatch()
        else:
            assert self._conn is not None
            _redcore.Client.execute_command(self._core, "UNWATCH")
            result = await self._send_watched(self._core._take_batch())
        self.watching = False
        return result

    def multi(self) -> None:
        """Start queueing the transaction after :meth:`watch`."""
        if self.explicit_transaction:
            raise RedisError("Cannot issue nested calls to MULTI")
        if len(self):
            raise RedisError("Commands without an initial WATCH have already been issued")
        if self._pool is None:
            self._core.multi()
        self.explicit_transaction = True

    @property
    def is_transaction(self) -> bool:
        """redis.asyncio's name for ``transaction``."""
        return bool(self.transaction)

    async def discard(self) -> None:
        """Queue DISCARD: inside the transaction it drops the commands
        queued before it, and :meth:`execute` raises (EXEC without MULTI)."""
        await self.execute_command("DISCARD")

    async def reset(self) -> None:
        """Forget queued commands, UNWATCH and give back the connection."""
        conn, self._conn = self._conn, None
        try:
            if self._pool is None:
                self._core.reset()
            else:
                self._core._reset_pipeline()
                if conn is not None and self.watching and conn.is_connected:
                    try:
                        await conn.send_raw("UNWATCH")
                    except ConnectionError:
                        pass
        finally:
            self.watching = False
            self.explicit_transaction = False
            self.scripts = set()
            if conn is not None and self._pool is not None:
                await self._pool.release(conn)

    async def aclose(self, close_connection_pool: Optional[bool] = None) -> None:
        """``reset()``."""
        await self.reset()

    async def load_scripts(self) -> None:
        """Loads the scripts called on this pipeline that the server lacks."""
        scripts = list(self.scripts)
        shas = [s.sha for s in scripts]
        client: Any = self.client
        exists = await client.script_exists(*shas)
        for s, exist in zip(scripts, exists):
            if not exist:
                s.sha = await client.script_load(s.script)

    async def execute(self, raise_on_error: bool = True) -> List[Any]:
        """Runs the queued commands; their replies in order. An error reply
        raises unless ``raise_on_error`` is false; a changed WATCHed key
        raises WatchError."""
        if not len(self) and not self.watching:
            return []
        if self.scripts:
            await self.load_scripts()
        try:
            if self._pool is None:
                return self._core.execute(raise_on_error)
            # Replies the pipeline knows without sending (an MGET of no
            # keys), put in place as the sync pipeline does.
            local = self._core._local
            results = await self._send_queued(raise_on_error)
            for at in sorted(local):
                results.insert(at, local[at])
            return results
        finally:
            await self.reset()

    async def _send_queued(self, raise_on_error: bool) -> List[Any]:
        """Sends the queued commands to the server; their replies."""
        transaction = bool(self.transaction) or self.explicit_transaction
        batch = self._core._take_batch()
        if not len(batch) and not transaction:
            return []
        send: Dict[str, Any] = {"pipeline": True, "transaction": transaction, "raise_on_error": raise_on_error}
        if self._conn is not None:
            return await self._send_watched(batch, **send)
        send["state"] = self._state
        if batch.blocking and not transaction:
            return await _on_own_connection(self._pool, batch, **send)
        conn = self._pool._shared_conn()
        if conn is None or self._pool._resend:
            return await _send_retrying(self._pool, batch, send)
        return await conn.send(batch, **send)


class Script:
    """A Lua script registered with :meth:`Redis.register_script`:
    ``await script(keys=[...], args=[...], client=None)`` runs EVALSHA,
    loading the script first when the server does not know it."""

    def __init__(self, registered_client: Any, script: Any) -> None:
        self.registered_client = registered_client
        self.script = script
        if isinstance(script, str):
            encoding, errors = registered_client._encoding
            script = script.encode(encoding, errors)
        self.sha = hashlib.sha1(script).hexdigest()

    async def __call__(self, keys: Optional[Any] = None, args: Optional[Any] = None, client: Any = None) -> Any:
        keys = keys or []
        args = args or []
        if client is None:
            client = self.registered_client
        all_args = tuple(keys) + tuple(args)
        if isinstance(client, Pipeline):
            client.scripts.add(self)
            return client.evalsha(self.sha, len(keys), *all_args)
        try:
            return await client.evalsha(self.sha, len(keys), *all_args)
        except NoScriptError:
            self.sha = await client.script_load(self.script)
            return await client.evalsha(self.sha, len(keys), *all_args)

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{type(self).__name__}(sha={self.sha})>"


for _name in _command_names():
    if _name not in vars(Redis):
        setattr(Redis, _name, _make_command(_name, _CLIENT_TEMPLATE))
    if _name not in vars(Pipeline):
        setattr(Pipeline, _name, _make_command(_name, _PIPELINE_TEMPLATE, _SyncPipeline))
del _name

adopt(Redis)
adopt(Pipeline)


class AsyncCachingClient:
    """Mixed into a client class whose pool has a client-side cache (see
    :mod:`redcore._csc`): a cacheable command the recorder noted is
    answered from the cache, or fetched with tracking on the shared
    connection and stored. Cache hits and the invalidation connection's
    reads (a ``poll``, then frames already arrived) run in the calling
    task without awaiting; its first connection is opened synchronously."""

    async def _send(self, batch: Any) -> Any:
        noted = self._core.take_cacheable()  # type: ignore[attr-defined]
        csc = self.connection_pool._sync.client_side_cache  # type: ignore[attr-defined]
        if noted is None or len(batch) != 1 or self.single_connection_client or not csc.allowed(noted[0]):  # type: ignore[attr-defined]
            return await super()._send(batch)  # type: ignore[misc]
        name, args, keys, options = noted
        begun = csc.begin(name, args, keys)
        if begun is None:
            return await super()._send(batch)  # type: ignore[misc]
        if begun[0] == "hit":
            return self._shape(name, begun[1], options)
        fetch = begun[1]
        try:
            tracked = csc.tracking_batch(fetch.redirect, args)
            pool = self._pool  # type: ignore[attr-defined]
            send = {"pipeline": True, "transaction": False, "raise_on_error": False, "state": self._state}  # type: ignore[attr-defined]
            conn = pool._shared_conn()
            if conn is None or pool._resend:
                replies = await _send_retrying(pool, tracked, send)
            else:
                replies = await conn.send(tracked, **send)
            raw = _csc.check_pair(*replies)
        except BaseException:
            csc.abandon(fetch)
            raise
        csc.finish(fetch, raw)
        return self._shape(name, raw, options)

    def _shape(self, name: str, raw: Any, options: Dict[str, Any]) -> Any:
        sync = self._sync  # type: ignore[attr-defined]
        return _sync_client._shape_response(self.response_callbacks, sync.get_encoder(), sync._protocol, name, raw, dict(options))  # type: ignore[attr-defined]


def _cached_fast(name: str) -> Callable[..., Any]:
    """The async method for a Rust fast path of a cacheable command: the
    sync caching client's version (through ``execute_command``, which the
    recorder notes)."""
    fn = getattr(_csc.CachingClient, name)

    async def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        fn(self._core, *args, **kwargs)
        return await self._send(self._core._take_batch())

    method.__name__ = method.__qualname__ = name
    method.__doc__ = getattr(_SyncRedis, name).__doc__
    return method


for _name in _csc.CACHED_FAST_METHODS:
    setattr(AsyncCachingClient, _name, _cached_fast(_name))
del _name

_ASYNC_CACHING: Dict[type, type] = {}
_RECORDER: List[type] = []


def _async_caching_class(cls: type) -> type:
    if issubclass(cls, AsyncCachingClient):
        return cls
    made = _ASYNC_CACHING.get(cls)
    if made is None:
        made = _ASYNC_CACHING[cls] = type(cls.__name__, (AsyncCachingClient, cls), {"__module__": cls.__module__, "__qualname__": cls.__qualname__})
    return made


def _caching_recorder() -> type:
    if not _RECORDER:
        _RECORDER.append(type("Pipeline", (_csc.CachingRecorder, _SyncPipeline), {"__module__": _SyncPipeline.__module__}))
    return _RECORDER[0]


def from_url(url: str, **kwargs: Any) -> Redis:
    """``Redis.from_url``."""
    return Redis.from_url(url, **kwargs)


# Classes redis.asyncio.client also offers, loaded on first use so that
# importing this module stays light (PEP 562).
_LAZY = {"PubSub": "pubsub", "Monitor": "monitor", "Lock": "lock"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"{__package__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Lock", "Monitor", "Pipeline", "PubSub", "Redis", "Script", "StrictRedis", "from_url"]
