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
the slot map, and retries.

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
from .._compat import adopt, redis_base
from .._cluster_nodes import REPLICA
from ..cluster import ClusterNode
from ..exceptions import AskError, ClusterDownError, ConnectionError, ResponseError, TimeoutError, TryAgainError
from .connection import ConnectionPool

if TYPE_CHECKING:
    from .keyspace_notifications import AsyncClusterKeyspaceNotifications

_Sync = _sync_cluster.RedisCluster
_SyncRedis = _sync_client.Redis

# What makes the sync client take over a command sent on the loop: it
# was not applied (a redirection), or the node is in doubt.
_HAND_OVER = (AskError, TryAgainError, ClusterDownError, ConnectionError, TimeoutError)
# A pipeline's reply that sends its command to the sync client (MOVED is
# an AskError).
_REDIRECTED = (AskError, TryAgainError, ClusterDownError)

# Methods of the sync client that are not one command each.
_NOT_COMMANDS = frozenset({
    "client", "close", "execute", "execute_command", "from_pool", "from_url", "get_cache", "get_connection_kwargs",
    "get_encoder", "get_protocol", "get_retry", "hscan_iter", "keyspace_notifications", "load_external_module",
    "load_scripts", "lock", "monitor", "multi", "parse_response", "pipeline", "pubsub", "register_script", "reset",
    "scan_iter", "set_response_callback", "set_retry", "sscan_iter", "transaction", "unwatch", "watch", "zscan_iter",
    "get_node", "get_nodes", "get_primaries", "get_replicas", "get_random_node", "get_node_from_key",
    "get_default_node", "set_default_node", "replace_default_node", "keyslot", "get_redis_connection",
    "disconnect_connection_pools",
})


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
    record = getattr(_Sync, name) if getattr(_Sync, name) is getattr(_SyncRedis, name, None) else None

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

    def __init__(self, host: Optional[str] = None, port: int = 6379, startup_nodes: Optional[List[ClusterNode]] = None,
                 *, max_workers: int = 32, **kwargs: Any) -> None:
        self._args: Tuple[Any, ...] = (host, port, startup_nodes)
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
                self._recorder = _sync_client.Pipeline(client.get_redis_connection(node), transaction=False)
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
        return _sync_cluster.key_slot(key, self._kwargs.get("encoding", "utf-8"))

    def get_encoder(self) -> Any:
        return self._client.get_encoder()

    def set_response_callback(self, command: str, callback: Callable[..., Any]) -> None:
        self._client.set_response_callback(command, callback)
        if self._recorder is not None:
            self._recorder.response_callbacks[command.upper()] = callback

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

    def pipeline(self, transaction: Optional[bool] = None, shard_hint: Any = None) -> "ClusterPipeline":
        """A pipeline: commands are queued, then sent per node (all nodes at
        once) by ``await pipe.execute()``."""
        return ClusterPipeline(self, bool(transaction))


class ClusterPipeline:
    """Queues commands and runs them with ``await execute()`` through the
    sync cluster pipeline (grouped per node, sent in parallel)."""

    def __init__(self, cluster: RedisCluster, transaction: bool = False) -> None:
        self._cluster = cluster
        self._transaction = transaction
        self._queue: List[Tuple[str, Tuple[Any, ...], Dict[str, Any]]] = []

    def __len__(self) -> int:
        return len(self._queue)

    def __bool__(self) -> bool:
        return True

    async def __aenter__(self) -> "ClusterPipeline":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.reset()

    def reset(self) -> None:
        self._queue = []

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or not callable(getattr(_Sync, name, None)) or name in _NOT_COMMANDS - {"execute_command"}:
            raise AttributeError(name)

        def queue(*args: Any, **kwargs: Any) -> "ClusterPipeline":
            self._queue.append((name, args, kwargs))
            return self

        return queue

    def execute_command(self, *args: Any, **kwargs: Any) -> "ClusterPipeline":
        self._queue.append(("execute_command", args, kwargs))
        return self

    async def execute(self, raise_on_error: bool = True) -> List[Any]:
        """Runs the queued commands; replies in order. Without
        ``transaction`` they go out on the loop, each node's part in one
        write and all nodes at once; commands answered with a redirection
        (or cut off by a connection error) are then run by the sync
        cluster pipeline, which follows it. An error reply raises unless
        ``raise_on_error`` is false (then it is returned in its place)."""
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


for _name in _command_names():
    if not hasattr(RedisCluster, _name) or _name not in vars(RedisCluster):
        setattr(RedisCluster, _name, _command(_name))

adopt(RedisCluster)


__all__ = ["ClusterNode", "ClusterPipeline", "RedisCluster"]
