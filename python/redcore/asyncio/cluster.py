"""``RedisCluster`` for asyncio (redis.asyncio.cluster's API), over the
sync :class:`redcore.cluster.RedisCluster`.

A command whose keys map to one slot runs on the event loop: it is
encoded by the sync command method (on a recorder, as in
:class:`redcore.asyncio.Redis`), and sent on a pipelined connection of
the node the sync client would pick (the slot's primary, or a replica for
a read with ``read_from_replicas`` / ``load_balancing_strategy``): a
:class:`redcore.asyncio.ConnectionPool` per node, the same
loop-integrated connections, so concurrent tasks' commands to a node
share one write. A pipeline (``transaction=False``) is encoded by the
sync cluster pipeline, grouped per node as it groups it, and each node's
part is sent on the loop, all nodes at once.

Everything else (keyless and multi-node commands, cross-slot splits,
blocking commands, ``target_nodes=``, transactions) runs the sync
client's method of the same name on a worker thread of the client's own
pool, without the GIL while it waits; so does a command the node answers
with a redirection (MOVED, ASK, TRYAGAIN, CLUSTERDOWN: it was not
applied) or a connection error: the sync client follows it, refreshing
the slot map, and retries. After ``await pipe.watch(...)`` a
transactional pipeline holds the sync cluster pipeline that WATCHes (and
its node's connection) until it is reset: its commands run on threads.

Pub/sub (:class:`ClusterPubSub`) reads loop connections of its own: one
to the node of its channels and patterns, one per node of a sharded
channel.

    >>> import asyncio
    >>> from redcore.asyncio.cluster import RedisCluster
    >>> async def main():  # doctest: +SKIP
    ...     async with RedisCluster(host="127.0.0.1", port=7000) as rc:
    ...         await rc.set("k", "v")
    ...         return await rc.mget_nonatomic(["k", "missing"])
    >>> asyncio.run(main())  # doctest: +SKIP
    [b'v', None]
"""

from __future__ import annotations

import asyncio
import functools
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Dict, List, Optional, Set, Tuple, Union

from .. import client as _sync_client
from .. import cluster as _sync_cluster
from .._cluster_nodes import REPLICA, _text
from .._compat import adopt, redis_base
from .._pubsub import _subscriptions
from ..cluster import ClusterNode
from ..connection import Encoder, parse_url
from ..exceptions import (
    AskError, ClusterDownError, ConnectionError, DataError, RedisClusterException, RedisError, ResponseError, TimeoutError,
    TryAgainError,
)
from ..retry import Retry
from .client import _NOT_COMMANDS as _CLIENT_NOT_COMMANDS
from .client import Script, _scan_iter, run_transaction, warn_unwatch, warn_watch
from .connection import ConnectionPool
from .pubsub import PubSub, open_subscriber

if TYPE_CHECKING:
    from .keyspace_notifications import AsyncClusterKeyspaceNotifications
    from .lock import Lock

_Sync = _sync_cluster.RedisCluster
_SyncRedis = _sync_client.Redis

# What makes the sync client take over a command sent on the loop: it
# was not applied (a redirection), or the node is in doubt.
_HAND_OVER = (AskError, TryAgainError, ClusterDownError, ConnectionError, TimeoutError)
# A pipeline's reply that sends its command to the sync client (MOVED is
# an AskError).
_REDIRECTED = (AskError, TryAgainError, ClusterDownError)

# Methods of the sync client that are not one command each: the
# single-server client's, and the cluster's node methods.
_NOT_COMMANDS = _CLIENT_NOT_COMMANDS | frozenset({
    "get_node", "get_nodes", "get_primaries", "get_replicas", "get_random_node", "get_node_from_key",
    "get_default_node", "set_default_node", "replace_default_node", "keyslot", "get_redis_connection",
    "disconnect_connection_pools", "get_random_primary_node", "get_random_primary_or_all_nodes",
})

# Commands that always run through the sync client: RESET would reset a
# loop connection that other tasks' commands share (its protocol too).
_ON_THREAD = frozenset({"reset"})


def _command_names() -> List[str]:
    names: Set[str] = set()
    for klass in _Sync.__mro__:
        if not klass.__module__.startswith("redcore"):
            continue
        for name, value in vars(klass).items():
            if not name.startswith("_") and callable(value) and not isinstance(value, (classmethod, staticmethod, type)):
                names.add(name)
    return sorted(names - _NOT_COMMANDS)


def _command(name: str) -> Callable[..., Any]:
    doc = getattr(_Sync, name).__doc__
    # The single-server client's method, when the cluster client uses it
    # unchanged: it records the command for the loop path.
    record = getattr(_Sync, name) if getattr(_Sync, name) is getattr(_SyncRedis, name, None) and name not in _ON_THREAD else None

    async def method(self: "RedisCluster", *args: Any, **kwargs: Any) -> Any:
        client = self._sync or await self.initialize()
        if record is not None and self._recorder is not None and "target_nodes" not in kwargs:
            record(self._recorder, *args, **kwargs)
            batch = self._recorder._take_batch()
            pool = self._node_pool(batch.node(client.nodes_manager.router)) if not batch.blocking else None
            if pool is not None:
                conn = pool._shared_conn()
                try:
                    if conn is None:
                        conn = await pool._get_shared()
                    return await conn.send(batch)
                except _HAND_OVER:
                    pass
        return await self._run(getattr(client, name), *args, **kwargs)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = doc
    return method


class RedisCluster(*redis_base("redis.asyncio.cluster", "RedisCluster")):  # type: ignore[misc]  # redis-py base when installed
    """An asyncio Redis Cluster client: the sync client's arguments
    (``host``, ``port``, ``startup_nodes``, ``url``, ``address_remap``,
    ``load_balancing_strategy``, connection arguments...); the cluster is
    discovered on the first command or ``await rc.initialize()``.
    ``max_workers`` bounds the commands in flight at once (default 32)."""

    PRIMARIES = _Sync.PRIMARIES
    REPLICAS = _Sync.REPLICAS
    ALL_NODES = _Sync.ALL_NODES
    RANDOM = _Sync.RANDOM
    DEFAULT_NODE = _Sync.DEFAULT_NODE
    NODE_FLAGS = _Sync.NODE_FLAGS
    node_flags = _Sync.NODE_FLAGS
    RedisClusterRequestTTL = _Sync.RedisClusterRequestTTL
    ERRORS_ALLOW_RETRY = _Sync.ERRORS_ALLOW_RETRY

    def __init__(self, host: Optional[str] = None, port: int = 6379, startup_nodes: Optional[List[ClusterNode]] = None,
                 *, max_workers: int = 32, **kwargs: Any) -> None:
        self._args: Tuple[Any, ...] = (host, port, startup_nodes)
        if kwargs.get("retry") is None:
            # Made here, so that ``rc.retry`` is the client's policy before
            # the cluster is discovered too.
            kwargs["retry"] = _sync_cluster._default_cluster_retry(kwargs.pop("cluster_error_retry_attempts", 3))
        self._kwargs = kwargs
        self._sync: Optional[_sync_cluster.RedisCluster] = None
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="redcore-cluster")
        self._init_lock: Optional[asyncio.Lock] = None
        # The loop path (see the module docstring): a recorder, and one
        # asyncio pool per primary, by node name.
        self._recorder: Any = None
        self._pools: Dict[Tuple[str, bool], ConnectionPool] = {}

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> "RedisCluster":
        return cls(url=url, **kwargs)

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{type(self).__name__}({self._sync!r})>"

    async def _run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    async def initialize(self) -> _sync_cluster.RedisCluster:
        """Discovers the cluster (once); returns the sync client."""
        if self._sync is not None:
            return self._sync
        if self._init_lock is None:
            self._init_lock = asyncio.Lock()
        async with self._init_lock:
            if self._sync is None:
                host, port, startup = self._args
                client = await self._run(_Sync, host=host, port=port, startup_nodes=startup, **self._kwargs)
                node = client.get_default_node() or client.get_primaries()[0]
                recorder = _sync_client.Pipeline(client.get_redis_connection(node), transaction=False)
                # One dict: a callback set on either shapes both paths' replies.
                recorder.response_callbacks = client.response_callbacks
                self._recorder = recorder
                self._sync = client
        assert self._sync is not None
        return self._sync

    def _node_pool(self, index: Optional[int]) -> Optional[ConnectionPool]:
        """The asyncio pool of the node the router knows as ``index``
        (None: no such node). A replica's connections send READONLY."""
        if index is None or self._sync is None:
            return None
        manager = self._sync.nodes_manager
        names = list(manager.nodes_cache)
        if index >= len(names):
            return None
        node = manager.nodes_cache.get(names[index])
        if node is None:
            return None
        return self._pool_of(node)

    def _pool_of(self, node: ClusterNode) -> ConnectionPool:
        """The asyncio pool of ``node`` (after initialize)."""
        readonly = node.server_type == REPLICA
        pool = self._pools.get((node.name, readonly))
        if pool is None:
            sync_pool = self._client.get_redis_connection(node).connection_pool
            kwargs = dict(sync_pool.connection_kwargs)
            kwargs["readonly"] = readonly
            pool = self._pools[(node.name, readonly)] = ConnectionPool(connection_class=sync_pool.connection_class, **kwargs)
        return pool

    def keyspace_notifications(
        self, key_prefix: Union[str, bytes, None] = None, ignore_subscribe_messages: bool = True,
    ) -> "AsyncClusterKeyspaceNotifications":
        """An :class:`~redcore.asyncio.keyspace_notifications.AsyncClusterKeyspaceNotifications`:
        keyspace notifications of every primary (each publishes the events
        of its own keys). ``notify-keyspace-events`` must be set on every
        node."""
        from .keyspace_notifications import AsyncClusterKeyspaceNotifications

        return AsyncClusterKeyspaceNotifications(self, key_prefix=key_prefix, ignore_subscribe_messages=ignore_subscribe_messages)

    def __await__(self) -> Any:
        return self.initialize().__await__()

    async def __aenter__(self) -> "RedisCluster":
        await self.initialize()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Closes every node's connections and the worker threads."""
        pools, self._pools = self._pools, {}
        self._recorder = None
        for pool in pools.values():
            await pool.disconnect()
        if self._sync is not None:
            self._sync.close()
        self._executor.shutdown(wait=False)

    close = aclose

    @property
    def _client(self) -> _sync_cluster.RedisCluster:
        if self._sync is None:
            raise RuntimeError("the cluster is not initialized yet: await rc.initialize() (or any command) first")
        return self._sync

    async def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        """The sync client's ``execute_command`` (``target_nodes=`` too)."""
        client = await self.initialize()
        return await self._run(client.execute_command, *args, **kwargs)

    # -- nodes (after initialize) -------------------------------------------

    def get_nodes(self) -> List[ClusterNode]:
        return self._client.get_nodes()

    def get_primaries(self) -> List[ClusterNode]:
        return self._client.get_primaries()

    def get_replicas(self) -> List[ClusterNode]:
        return self._client.get_replicas()

    def get_random_node(self) -> ClusterNode:
        return self._client.get_random_node()

    def get_node(self, host: Optional[str] = None, port: Optional[int] = None, node_name: Optional[str] = None) -> Optional[ClusterNode]:
        return self._client.get_node(host, port, node_name)

    def get_node_from_key(self, key: Any, replica: bool = False) -> Optional[ClusterNode]:
        return self._client.get_node_from_key(key, replica)

    def get_default_node(self) -> Optional[ClusterNode]:
        return self._client.get_default_node()

    def set_default_node(self, node: Optional[ClusterNode]) -> bool:
        return self._client.set_default_node(node)

    def keyslot(self, key: Any) -> int:
        return _sync_cluster.key_slot(key, self.encoder.encoding)

    def digest_local(self, value: Any) -> Any:
        """DIGEST's value for ``value``, computed here (not awaited, as in
        redis-py; see the sync :meth:`redcore.Redis.digest_local`)."""
        return _Sync.digest_local(self, value)

    def get_encoder(self) -> Encoder:
        return self.encoder

    def set_response_callback(self, command: str, callback: Callable[..., Any]) -> None:
        self._client.set_response_callback(command, callback)

    # -- settings (redis-py's attributes) -------------------------------------

    def _setting(self, name: str, default: Any) -> Any:
        """A client setting as given (a URL's query too), before the
        cluster is discovered."""
        url = self._kwargs.get("url")
        if url is not None:
            value = parse_url(url).get(name)
            if value is not None:
                return value
        return self._kwargs.get(name, default)

    @property
    def nodes_manager(self) -> Any:
        """The :class:`~redcore.cluster.NodesManager` (after initialize)."""
        return self._client.nodes_manager

    @property
    def encoder(self) -> Encoder:
        if self._sync is not None:
            return self._sync.encoder
        return Encoder(self._setting("encoding", "utf-8"), self._setting("encoding_errors", "strict"), bool(self._setting("decode_responses", False)))

    @property
    def _encoding(self) -> Tuple[str, str]:
        enc = self.encoder
        return enc.encoding, enc.encoding_errors

    @property
    def retry(self) -> Retry:
        """The cluster's retry policy (connection errors, CLUSTERDOWN)."""
        return self._sync.retry if self._sync is not None else self._kwargs["retry"]

    def get_retry(self) -> Retry:
        return self.retry

    def set_retry(self, retry: Retry) -> None:
        self._kwargs["retry"] = retry
        if self._sync is not None:
            self._sync.set_retry(retry)

    @property
    def read_from_replicas(self) -> bool:
        if self._sync is not None:
            return self._sync.read_from_replicas
        return bool(self._kwargs.get("read_from_replicas", False))

    @property
    def reinitialize_steps(self) -> int:
        if self._sync is not None:
            return self._sync.reinitialize_steps
        return int(self._kwargs.get("reinitialize_steps", 5))

    @property
    def connection_kwargs(self) -> Dict[str, Any]:
        """The connection arguments of every node (after initialize)."""
        return self._client.get_connection_kwargs()

    def get_connection_kwargs(self) -> Dict[str, Any]:
        return self.connection_kwargs

    @property
    def response_callbacks(self) -> Any:
        """Command name -> response callback, for every command of this
        client (after initialize)."""
        return self._client.response_callbacks

    def replace_default_node(self, target_node: Optional[ClusterNode] = None) -> None:
        """Sends keyless commands to ``target_node`` (None: another
        primary, at random) from now on."""
        self._client.replace_default_node(target_node)

    def get_random_primary_node(self) -> ClusterNode:
        return self._client.get_random_primary_node()

    def get_random_primary_or_all_nodes(self, command_name: str) -> ClusterNode:
        return self._client.get_random_primary_or_all_nodes(command_name)

    # -- objects on this client -------------------------------------------------

    def lock(
        self, name: Any, timeout: Optional[float] = None, sleep: float = 0.1, blocking: bool = True,
        blocking_timeout: Optional[float] = None, lock_class: Any = None, thread_local: bool = True,
        raise_on_release_error: bool = True,
    ) -> "Lock":
        """A :class:`~redcore.asyncio.lock.Lock` on key ``name`` (its
        scripts run on the node of that key)."""
        from .lock import Lock

        cls = Lock if lock_class is None else lock_class
        return cls(self, name, timeout=timeout, sleep=sleep, blocking=blocking, blocking_timeout=blocking_timeout,
                   thread_local=thread_local, raise_on_release_error=raise_on_release_error)

    def register_script(self, script: Any) -> Script:
        """A callable :class:`~redcore.asyncio.client.Script`: ``await
        script(keys=..., args=...)`` runs EVALSHA on the node of its keys,
        loading the script when that node lacks it."""
        return Script(self, script)

    def pubsub(self, node: Optional[ClusterNode] = None, host: Optional[str] = None, port: Optional[int] = None, **kwargs: Any) -> "ClusterPubSub":
        """A :class:`ClusterPubSub`: channels and patterns on one node
        (``node``, or ``host`` and ``port``; by default the node of the
        first channel's slot), each sharded channel on its slot's node."""
        return ClusterPubSub(self, node=node, host=host, port=port, **kwargs)

    async def transaction(
        self, func: Callable[["ClusterPipeline"], Any], *watches: Any, shard_hint: Any = None,
        value_from_callable: bool = False, watch_delay: Optional[float] = None,
    ) -> Any:
        """Runs ``func(pipe)`` (a coroutine function or a plain one) in a
        MULTI/EXEC on the node of ``watches``' slot, with them WATCHed,
        retrying while a watched key changes; returns the EXEC results (or
        ``func``'s value with ``value_from_callable``)."""
        async with self.pipeline(True, shard_hint) as pipe:
            return await run_transaction(pipe, func, watches, value_from_callable, watch_delay)

    watch = warn_watch
    unwatch = warn_unwatch

    # -- iteration, pipelines -------------------------------------------------

    async def scan_iter(self, match: Any = None, count: Optional[int] = None, _type: Optional[str] = None, **kwargs: Any) -> AsyncIterator[Any]:
        """Every key of every primary."""
        client = await self.initialize()
        for node in client.get_primaries():
            conn = client.get_redis_connection(node)
            cursor: Any = 0
            while True:
                cursor, keys = await self._run(conn.scan, cursor, match=match, count=count, _type=_type, **kwargs)
                for key in keys:
                    yield key
                if cursor == 0:
                    break

    sscan_iter = _scan_iter("sscan", False)
    hscan_iter = _scan_iter("hscan", True)
    zscan_iter = _scan_iter("zscan", False)

    def pipeline(self, transaction: Optional[bool] = None, shard_hint: Any = None) -> "ClusterPipeline":
        """A pipeline: commands are queued, then sent per node (all nodes at
        once) by ``await pipe.execute()``; with ``transaction``, in
        MULTI/EXEC on the node of their one slot."""
        if shard_hint:
            raise RedisClusterException("shard_hint is deprecated in cluster mode")
        return ClusterPipeline(self, bool(transaction))


class ClusterPipeline:
    """Queues commands and runs them with ``await execute()`` through the
    sync cluster pipeline (grouped per node, sent in parallel).

    With ``transaction``, :meth:`watch` WATCHes keys of one slot on that
    slot's node, and until :meth:`multi` commands run at once there and
    are awaited (``await pipe.get(key)``); ``execute()`` then runs the
    queued commands in MULTI/EXEC on that connection, raising WatchError
    if a watched key changed."""

    def __init__(self, cluster: RedisCluster, transaction: bool = False) -> None:
        self._cluster = cluster
        self._transaction = transaction
        self._queue: List[Tuple[str, Tuple[Any, ...], Dict[str, Any]]] = []
        # After watch(): the sync cluster pipeline holding the WATCH (and
        # its node's connection); commands run on it on a worker thread.
        self._watched: Optional[_sync_cluster.ClusterPipeline] = None
        self._watching = False
        self._explicit = False

    def __len__(self) -> int:
        return len(self._queue)

    def __bool__(self) -> bool:
        return True

    def __await__(self) -> Any:
        async def itself() -> "ClusterPipeline":
            await self._cluster.initialize()
            return self

        return itself().__await__()

    async def __aenter__(self) -> "ClusterPipeline":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.reset()

    async def reset(self) -> None:
        """Forgets the queued commands; after a WATCH, UNWATCHes and gives
        the node's connection back."""
        self._queue = []
        self._explicit = self._watching = False
        watched, self._watched = self._watched, None
        if watched is not None:
            await self._cluster._run(watched.reset)

    def _immediate(self) -> bool:
        return self._watching and not self._explicit

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or not callable(getattr(_Sync, name, None)) or name in _NOT_COMMANDS - {"execute_command"}:
            raise AttributeError(name)

        def queue(*args: Any, **kwargs: Any) -> Any:
            if self._immediate():
                # WATCHing: the command runs now, on the watched connection.
                assert self._watched is not None
                return self._cluster._run(getattr(self._watched, name), *args, **kwargs)
            self._queue.append((name, args, kwargs))
            return self

        return queue

    def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        return self.__getattr__("execute_command")(*args, **kwargs)

    def digest_local(self, value: Any) -> Any:
        """DIGEST's value for ``value``, computed here (not queued)."""
        return self._cluster.digest_local(value)

    def _transactional(self, method: str) -> None:
        if not self._transaction:
            raise RedisClusterException(f"method {method}() is not supported outside of transactional context")

    async def watch(self, *names: Any) -> bool:
        """WATCHes ``names`` (keys of one slot) on their node; until
        :meth:`multi`, commands run at once on that connection."""
        self._transactional("watch")
        if self._explicit:
            raise RedisError("Cannot issue a WATCH after a MULTI")
        client = await self._cluster.initialize()
        if self._watched is None:
            self._watched = client.pipeline(True)
        result = await self._cluster._run(self._watched.watch, *names)
        self._watching = True
        return result

    async def unwatch(self) -> bool:
        """Forgets the WATCHed keys."""
        self._transactional("unwatch")
        if self._watched is None or not self._watching:
            return True
        result = await self._cluster._run(self._watched.unwatch)
        self._watching = False
        return result

    def multi(self) -> None:
        """Starts queueing the transaction after :meth:`watch`."""
        self._transactional("multi")
        if self._explicit:
            raise RedisError("Cannot issue nested calls to MULTI")
        if self._queue:
            raise RedisError("Commands without an initial WATCH have already been issued")
        self._explicit = True

    async def discard(self) -> None:
        """Drops the queued transaction (and the WATCH)."""
        self._transactional("discard")
        await self.reset()

    def _exec_watched(self, queued: List[Tuple[str, Tuple[Any, ...], Dict[str, Any]]], raise_on_error: bool) -> List[Any]:
        pipe = self._watched
        assert pipe is not None
        pipe.multi()
        for name, args, kwargs in queued:
            getattr(pipe, name)(*args, **kwargs)
        return pipe.execute(raise_on_error)

    async def execute(self, raise_on_error: bool = True) -> List[Any]:
        """Runs the queued commands; replies in order. Without
        ``transaction`` they go out on the loop, each node's part in one
        write and all nodes at once; commands answered with a redirection
        (or cut off by a connection error) are then run by the sync
        cluster pipeline, which follows it. An error reply raises unless
        ``raise_on_error`` is false (then it is returned in its place)."""
        if self._watched is not None:
            queued, self._queue = self._queue, []
            try:
                return await self._cluster._run(self._exec_watched, queued, raise_on_error)
            finally:
                await self.reset()
        if not self._queue:
            return []
        client = await self._cluster.initialize()
        queued, self._queue = self._queue, []
        if not self._transaction:
            done = await self._on_loop(client, queued, raise_on_error)
            if done is not None:
                return done
        return await self._cluster._run(self._on_thread, client, queued, raise_on_error)

    def _on_thread(self, client: _Sync, queued: List[Tuple[str, Tuple[Any, ...], Dict[str, Any]]], raise_on_error: bool) -> List[Any]:
        pipe = client.pipeline(transaction=self._transaction)
        for name, args, kwargs in queued:
            getattr(pipe, name)(*args, **kwargs)
        return pipe.execute(raise_on_error)

    async def _on_loop(self, client: _Sync, queued: List[Tuple[str, Tuple[Any, ...], Dict[str, Any]]], raise_on_error: bool) -> Optional[List[Any]]:
        """Runs a pipeline on the loop (see :meth:`execute`); None when it
        cannot (a blocking command, ``target_nodes=``, an uncovered slot):
        the caller runs it on a thread."""
        cluster = self._cluster
        # The sync cluster pipeline encodes the commands (and refuses what
        # it refuses when queueing); it never sends them here.
        recorder = client.pipeline(transaction=False)
        for name, args, kwargs in queued:
            if "target_nodes" in kwargs:
                return None
            getattr(recorder, name)(*args, **kwargs)
        batch = recorder._take_batch()
        if batch.blocking:
            return None
        groups = batch.split(client.nodes_manager.router)
        if groups is None:
            return None
        pools = []
        for index, _, _ in groups:
            pool = cluster._node_pool(index)
            if pool is None:
                return None
            pools.append(pool)

        async def send(pool: ConnectionPool, part: Any) -> List[Any]:
            conn = pool._shared_conn() or await pool._get_shared()
            return await conn.send(part, pipeline=True, raise_on_error=False)

        results = await asyncio.gather(*(send(pool, part) for pool, (_, part, _) in zip(pools, groups)), return_exceptions=True)
        out: List[Any] = [None] * len(queued)
        later: List[int] = []
        for (_, _, positions), result in zip(groups, results):
            if isinstance(result, BaseException):
                if not isinstance(result, (ConnectionError, TimeoutError)):
                    raise result
                later.extend(positions)
                continue
            for i, value in zip(positions, result):
                if isinstance(value, _REDIRECTED):
                    later.append(i)
                else:
                    out[i] = value
        if later:
            # Not applied (a redirection) or in doubt (the connection
            # failed): the sync cluster pipeline follows, refreshing the map.
            later.sort()
            again = await cluster._run(self._on_thread, client, [queued[i] for i in later], False)
            for i, value in zip(later, again):
                out[i] = value
        if raise_on_error:
            for i, value in enumerate(out):
                if isinstance(value, ResponseError):
                    batch.annotate(value, i)
                    raise value
        return out


class _ClusterSubscriber:
    """The connection of a :class:`ClusterPubSub`, in the shape the
    :class:`redcore.PubSub` logic drives (``send``, ``read``, ``pending``,
    ``close``): SUBSCRIBE / PSUBSCRIBE on one node's connection, each
    sharded channel's command on the connection to its slot's node
    (opened beforehand, :meth:`open_shards`); reads take from each in
    turn. Every connection sets one ``event`` when something arrives."""

    def __init__(self, cluster: RedisCluster, main: Any) -> None:
        self.cluster = cluster
        self.main = main
        self.shards: Dict[str, Any] = {}
        self.event = asyncio.Event()
        main.event = self.event
        self._next = 0

    def _all(self) -> List[Any]:
        return [self.main, *self.shards.values()]

    @property
    def _closed(self) -> bool:
        # One dropped connection: the PubSub reopens them all, re-subscribing.
        return any(c._closed for c in self._all())

    @property
    def is_connected(self) -> bool:
        return not self._closed

    async def open_shards(self, channels: Any) -> None:
        """Opens the connections to the nodes of ``channels``' slots."""
        for channel in channels:
            node = self.cluster.get_node_from_key(channel)
            assert node is not None
            if node.name not in self.shards:
                conn = await open_subscriber(self.cluster._pool_of(node))
                conn.event = self.event
                self.shards[node.name] = conn

    def send(self, *args: Any) -> None:
        command = _text(args[0]).upper()
        if command not in ("SSUBSCRIBE", "SUNSUBSCRIBE"):
            self.main.send(*args)
            return
        if len(args) == 1:
            for conn in self.shards.values():
                conn.send(*args)
            return
        # One command per slot: a node refuses channels of several slots.
        groups: Dict[int, Tuple[Any, List[Any]]] = {}
        for channel in args[1:]:
            node = self.cluster.get_node_from_key(channel)
            assert node is not None
            groups.setdefault(self.cluster.keyslot(channel), (self.shards[node.name], []))[1].append(channel)
        for conn, channels in groups.values():
            conn.send(command, *channels)

    def read(self, timeout: Optional[float] = 0) -> Any:
        """The next reply or message of any connection, or None (never waits)."""
        conns = self._all()
        for i in range(len(conns)):
            item = conns[(self._next + i) % len(conns)].read(0)
            if item is not None:
                self._next = (self._next + i + 1) % len(conns)
                return item
        return None

    def pending(self) -> int:
        return sum(c.pending() for c in self._all())

    def close(self) -> None:
        for conn in self._all():
            conn.close()


class _ClusterSettings:
    """What :class:`~redcore.asyncio.PubSub` reads from its client, for a
    cluster: the encoding; ``_pool`` only says "not the embedded engine"
    (:meth:`ClusterPubSub._open` opens the connections)."""

    connection_pool = None

    def __init__(self, cluster: RedisCluster) -> None:
        enc = cluster.encoder
        self._pool = cluster
        self._decode_responses = enc.decode_responses
        self._encoding = (enc.encoding, enc.encoding_errors)


class ClusterPubSub(PubSub, *redis_base("redis.asyncio.cluster", "ClusterPubSub")):  # type: ignore[misc]
    """Pub/sub on a cluster with redis.asyncio's interface: channels and
    patterns on one node (messages are broadcast to every node), sharded
    channels (SSUBSCRIBE) on the node serving each channel's slot. The
    node is ``node`` (or ``host`` and ``port``), else the node of the
    first channel subscribed (the default node for a pattern). A dropped
    connection is reopened, with every subscription, on the next call."""

    def __init__(self, redis_cluster: RedisCluster, node: Optional[ClusterNode] = None, host: Optional[str] = None,
                 port: Optional[int] = None, **kwargs: Any) -> None:
        self.cluster = redis_cluster
        self.node = node
        if node is None and (host is None) != (port is None):
            raise DataError("Specify both host and port")
        self._address = (host, port) if node is None and host is not None else None
        self._first: Any = None
        if self._address is not None and redis_cluster._sync is not None:
            self._resolve_address()
        super().__init__(_ClusterSettings(redis_cluster), **kwargs)
        self.client = redis_cluster

    def _resolve_address(self) -> None:
        assert self._address is not None
        host, port = self._address
        node = self.cluster.get_node(host=host, port=port)
        if node is None:
            raise RedisClusterException(f"Node {host}:{port} doesn't exist in the cluster")
        self.node, self._address = node, None

    def get_pubsub_node(self) -> Optional[ClusterNode]:
        """The node of the channels and patterns (None until chosen)."""
        return self.node

    def _hint(self, command: str, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> None:
        """Remembers the first channel: its slot's node is the pub/sub node
        when none was given."""
        if self._first is None and command in ("SUBSCRIBE", "SSUBSCRIBE"):
            names = list(_subscriptions(args, kwargs))
            if names:
                self._first = names[0]

    async def _open(self) -> Any:
        cluster = self.cluster
        await cluster.initialize()
        if self._address is not None:
            self._resolve_address()
        if self.node is None:
            self.node = cluster.get_node_from_key(self._first) if self._first is not None else cluster.get_default_node()
        assert self.node is not None
        old = self._conn
        if old is not None:
            old.close()
        conn = _ClusterSubscriber(cluster, await open_subscriber(cluster._pool_of(self.node)))
        # A reconnection re-subscribes the sharded channels too.
        await conn.open_shards(self._p.shard_channels)
        return conn

    async def subscribe(self, *args: Any, **kwargs: Callable[..., Any]) -> None:
        self._hint("SUBSCRIBE", args, kwargs)
        await super().subscribe(*args, **kwargs)

    async def ssubscribe(self, *args: Any, **kwargs: Callable[..., Any]) -> None:
        """Subscribe to sharded channels, each on its slot's node."""
        self._hint("SSUBSCRIBE", args, kwargs)
        await self._connected()
        await self._conn.open_shards(_subscriptions(args, kwargs))
        await super().ssubscribe(*args, **kwargs)

    async def sunsubscribe(self, *args: Any) -> None:
        """Unsubscribe from sharded channels (all when none are given)."""
        await self._connected()
        await self._conn.open_shards(args)
        await super().sunsubscribe(*args)

    async def get_sharded_message(self, ignore_subscribe_messages: bool = False, timeout: Optional[float] = 0.0,
                                  target_node: Optional[ClusterNode] = None) -> Optional[Dict[str, Any]]:
        """The next message (of any node), as :meth:`get_message`."""
        return await self.get_message(ignore_subscribe_messages, timeout)


for _name in _command_names():
    if not hasattr(RedisCluster, _name) or _name not in vars(RedisCluster):
        setattr(RedisCluster, _name, _command(_name))

adopt(RedisCluster)
adopt(ClusterPubSub)


__all__ = ["ClusterNode", "ClusterPipeline", "ClusterPubSub", "RedisCluster"]
