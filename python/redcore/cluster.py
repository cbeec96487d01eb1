"""Redis Cluster: :class:`RedisCluster`, with redis-py's API.

The client finds the cluster's slot map from any startup node (CLUSTER
SHARDS, or CLUSTER SLOTS on servers without it) and sends every command
straight to the node serving its keys' slot. The slot comes from the
command table's key specs in the Rust core (``_redcore.key_slot``), and
so do the redirections: ``MOVED`` updates the map and retries, ``ASK``
retries once on the importing node after ``ASKING``, ``TRYAGAIN`` and
``CLUSTERDOWN`` wait and retry, a connection error refreshes the map and
retries with the cluster's ``retry`` backoff.

Multi-key commands whose keys live in different slots are split per slot
where redis-py splits them (``delete``, ``exists``, ``unlink``, ``touch``,
``mget_nonatomic``, ``mset_nonatomic``); elsewhere keys in several slots
raise :class:`~redcore.exceptions.RedisClusterException`, as redis-py
does. Pipelines are grouped per node and sent to all nodes at once.

    >>> rc = RedisCluster(host="127.0.0.1", port=7000)  # doctest: +SKIP
    >>> rc.set("{user:1}:name", "ada")  # doctest: +SKIP
    True
    >>> rc.mget_nonatomic(["a", "b", "c"])  # doctest: +SKIP
    [None, None, None]
"""

from __future__ import annotations

import random
import socket
import threading
import time
from enum import Enum
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

from . import _redcore
from ._callbacks import callbacks_for
from ._compat import adopt, redis_base
from ._pubsub import PubSub
from .backoff import ExponentialWithJitterBackoff, NoBackoff
from .client import Pipeline, Redis, _check_protocol
from .commands import CoreCommands
from .connection import ConnectionPool, Encoder, SSLConnection, parse_url
from .exceptions import (
    ClusterError,
    ConnectionError,
    DataError,
    RedisClusterException,
    RedisError,
    ResponseError,
    TimeoutError,
)
from .lock import Lock
from .retry import Retry

REDIS_CLUSTER_HASH_SLOTS = 16384
PRIMARY = "primary"
REPLICA = "replica"
SLOT_ID = "slot-id"


def get_node_name(host: str, port: Union[str, int]) -> str:
    """``host:port``, the name redis-py gives a node."""
    return f"{host}:{port}"


def key_slot(key: Union[str, bytes], encoding: str = "utf-8") -> int:
    """The hash slot of ``key``."""
    if isinstance(key, str):
        key = key.encode(encoding)
    elif isinstance(key, (int, float)) and not isinstance(key, bool):
        key = repr(key).encode()
    return _redcore.key_slot(bytes(key))


class LoadBalancingStrategy(Enum):
    """Where read-only commands go when reading from replicas."""

    ROUND_ROBIN = "round_robin"
    ROUND_ROBIN_REPLICAS = "round_robin_replicas"
    RANDOM = "random"
    RANDOM_REPLICA = "random_replica"


# The router's codes for the strategies (0 is "primaries only").
_STRATEGY_CODES = {
    LoadBalancingStrategy.ROUND_ROBIN: 1,
    LoadBalancingStrategy.ROUND_ROBIN_REPLICAS: 2,
    LoadBalancingStrategy.RANDOM_REPLICA: 3,
    LoadBalancingStrategy.RANDOM: 4,
}


class ClusterNode:
    """One node of the cluster: its address, role and client."""

    def __init__(self, host: str, port: Union[str, int], server_type: Optional[str] = None, redis_connection: Optional[Redis] = None) -> None:
        if host == "localhost":
            host = socket.gethostbyname(host)
        self.host = host
        self.port = int(port)
        self.name = get_node_name(host, self.port)
        self.server_type = server_type
        self.redis_connection = redis_connection

    def __repr__(self) -> str:
        return f"[host={self.host},port={self.port},name={self.name},server_type={self.server_type},redis_connection={self.redis_connection}]"

    def __eq__(self, obj: object) -> bool:
        return isinstance(obj, ClusterNode) and obj.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)


# Where keyless commands go (redis-py's defaults; anything else goes to the
# default node, and commands with keys to their slot's node).
_PRIMARIES = frozenset({
    "FLUSHALL", "FLUSHDB", "FUNCTION DELETE", "FUNCTION FLUSH", "FUNCTION LIST", "FUNCTION LOAD",
    "FUNCTION RESTORE", "SCAN", "SCRIPT EXISTS", "SCRIPT FLUSH", "SCRIPT LOAD", "KEYS", "DBSIZE",
})
_ALL_NODES = frozenset({
    "PING", "CONFIG SET", "CONFIG REWRITE", "CONFIG RESETSTAT", "CLIENT SETNAME", "BGSAVE", "SLOWLOG RESET",
    "SAVE", "MEMORY PURGE", "CLIENT PAUSE", "CLIENT UNPAUSE", "SCRIPT KILL",
})
_RANDOM = frozenset({"FUNCTION DUMP", "RANDOMKEY", "CLUSTER NODES", "CLUSTER SLOTS", "CLUSTER SHARDS", "CLUSTER INFO"})
_SLOT_ID = frozenset({
    "CLUSTER COUNTKEYSINSLOT", "CLUSTER DELSLOTS", "CLUSTER DELSLOTSRANGE", "CLUSTER GETKEYSINSLOT", "CLUSTER SETSLOT",
})
# Combining per-node replies into one (redis-py's RESULT_CALLBACKS).
_RESULTS: Dict[str, Callable[[Dict[str, Any]], Any]] = {
    "PING": lambda r: all(r.values()),
    "CONFIG SET": lambda r: all(r.values()),
    "CONFIG REWRITE": lambda r: all(r.values()),
    "CONFIG RESETSTAT": lambda r: all(r.values()),
    "CLIENT SETNAME": lambda r: all(r.values()),
    "BGSAVE": lambda r: all(r.values()),
    "SAVE": lambda r: all(r.values()),
    "SLOWLOG RESET": lambda r: all(r.values()),
    "MEMORY PURGE": lambda r: all(r.values()),
    "CLIENT PAUSE": lambda r: all(r.values()),
    "CLIENT UNPAUSE": lambda r: all(r.values()),
    "FLUSHALL": lambda r: all(r.values()),
    "FLUSHDB": lambda r: all(r.values()),
    "SCRIPT FLUSH": lambda r: all(r.values()),
    "DBSIZE": lambda r: sum(r.values()),
    "KEYS": lambda r: [k for v in r.values() for k in v],
    "SCRIPT LOAD": lambda r: list(r.values()).pop(),
    "SCRIPT EXISTS": lambda r: [all(k) for k in zip(*r.values())],
}


def _field(d: Any, name: str) -> Any:
    """A field of a CLUSTER SHARDS map (dict, or flat list of pairs), with
    str or bytes keys."""
    if isinstance(d, dict):
        for k in (name, name.encode()):
            if k in d:
                return d[k]
        return None
    items = list(d)
    for i in range(0, len(items) - 1, 2):
        k = items[i]
        if (k.decode() if isinstance(k, bytes) else k) == name:
            return items[i + 1]
    return None


def _text(v: Any) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


class NodesManager:
    """The cluster's nodes and slot map (redis-py's ``NodesManager``),
    kept in step with the Rust router: every change installs a new
    topology there. One connection pool per node, reused across
    refreshes, so refreshing never leaks connections."""

    def __init__(
        self,
        startup_nodes: List[ClusterNode],
        connection_kwargs: Dict[str, Any],
        *,
        require_full_coverage: bool = True,
        dynamic_startup_nodes: bool = True,
        address_remap: Optional[Callable[[Tuple[str, int]], Tuple[str, int]]] = None,
        reinitialize_steps: int = 5,
        retry: Optional[Retry] = None,
    ) -> None:
        self.connection_kwargs = connection_kwargs
        self.require_full_coverage = require_full_coverage
        self._dynamic_startup_nodes = dynamic_startup_nodes
        self.address_remap = address_remap
        self.reinitialize_steps = reinitialize_steps
        self.reinitialize_counter = 0
        self.startup_nodes: Dict[str, ClusterNode] = {}
        self.nodes_cache: Dict[str, ClusterNode] = {}
        self.slots_cache: Dict[int, List[ClusterNode]] = {}
        self.default_node: Optional[ClusterNode] = None
        self._pools: Dict[str, ConnectionPool] = {}
        self._lock = threading.RLock()
        self.router = _redcore.ClusterRouter(self, retry)
        for node in startup_nodes:
            node = self._node(node.host, node.port, node.server_type, remap=False)
            self.startup_nodes[node.name] = node
        self.initialize()

    # -- nodes --------------------------------------------------------------

    def remap_host_port(self, host: str, port: int) -> Tuple[str, int]:
        """The address to connect to for an announced one (``address_remap``)."""
        if self.address_remap is None:
            return host, port
        return self.address_remap((host, port))

    def _node(self, host: str, port: int, server_type: Optional[str] = None, remap: bool = True) -> ClusterNode:
        """The node at ``host:port`` (an announced address is remapped
        first), made with its pool on first sight."""
        if remap:
            host, port = self.remap_host_port(host, int(port))
        if host == "localhost":
            host = socket.gethostbyname(host)
        name = get_node_name(host, port)
        node = self.nodes_cache.get(name) or self.startup_nodes.get(name)
        if node is None:
            node = ClusterNode(host, port, server_type)
        if server_type is not None:
            node.server_type = server_type
        if node.redis_connection is None:
            pool = self._pools.get(name)
            if pool is None:
                kw = dict(self.connection_kwargs)
                kw.update(host=host, port=port, readonly=server_type == REPLICA)
                pool = ConnectionPool(**kw)
                self._pools[name] = pool
            node.redis_connection = Redis(connection_pool=pool)
        return node

    def get_node(self, host: Optional[str] = None, port: Optional[int] = None, node_name: Optional[str] = None) -> Optional[ClusterNode]:
        """A known node by address or name."""
        if host is not None and port is not None:
            if host == "localhost":
                host = socket.gethostbyname(host)
            node_name = get_node_name(host, port)
        return self.nodes_cache.get(node_name) if node_name else None

    def get_nodes_by_server_type(self, server_type: str) -> List[ClusterNode]:
        return [n for n in self.nodes_cache.values() if n.server_type == server_type]

    def get_node_from_slot(self, slot: int, read_from_replicas: bool = False) -> ClusterNode:
        """The node serving ``slot`` (its primary)."""
        nodes = self.slots_cache.get(slot)
        if not nodes:
            from .exceptions import SlotNotCoveredError

            raise SlotNotCoveredError(f'Slot "{slot}" not covered by the cluster. "require_full_coverage={self.require_full_coverage}"')
        if read_from_replicas and len(nodes) > 1:
            return random.choice(nodes[1:])
        return nodes[0]

    # -- discovery ----------------------------------------------------------

    def _discover(self, node: ClusterNode) -> Tuple[List[Tuple[int, int]], List[List[ClusterNode]]]:
        """(slot ranges, shards) as ``node`` sees the cluster: CLUSTER
        SHARDS, or CLUSTER SLOTS on an older server."""
        conn = node.redis_connection
        assert conn is not None
        ranges: List[Tuple[int, int]] = []
        shards: List[List[ClusterNode]] = []
        try:
            reply = conn.execute_command("CLUSTER SHARDS")
        except ResponseError:
            reply = None
        if reply is not None:
            for shard in reply:
                slots = list(_field(shard, "slots") or [])
                members: List[ClusterNode] = []
                for raw in _field(shard, "nodes") or []:
                    if _text(_field(raw, "health") or "online") == "fail":
                        continue
                    host = _text(_field(raw, "endpoint") or _field(raw, "ip") or "")
                    if host in ("", "?"):
                        host = _text(_field(raw, "ip") or node.host)
                    port = _field(raw, "port") or _field(raw, "tls-port")
                    role = PRIMARY if _text(_field(raw, "role")) == "master" else REPLICA
                    member = self._node(host, int(port), role)
                    if role == PRIMARY:
                        members.insert(0, member)
                    else:
                        members.append(member)
                if not slots or not members or members[0].server_type != PRIMARY:
                    continue
                for i in range(0, len(slots) - 1, 2):
                    ranges.append((int(slots[i]), int(slots[i + 1])))
                    shards.append(members)
            return ranges, shards
        for entry in conn.execute_command("CLUSTER SLOTS", NEVER_DECODE=True):
            start, end, primary, *replicas = entry
            members = []
            for i, addr in enumerate([primary, *replicas]):
                host = _text(addr[0]) or node.host
                members.append(self._node(host, int(addr[1]), PRIMARY if i == 0 else REPLICA))
            ranges.append((int(start), int(end)))
            shards.append(members)
        return ranges, shards

    def initialize(self) -> None:
        """Loads the slot map from the first startup (or known) node that
        answers, and installs it in the router."""
        with self._lock:
            self.reinitialize_counter = 0
            candidates = list(self.startup_nodes.values()) + [
                n for n in self.nodes_cache.values() if n.name not in self.startup_nodes
            ]
            errors: List[str] = []
            for node in candidates:
                try:
                    ranges, shards = self._discover(node)
                except (ConnectionError, TimeoutError, ResponseError) as e:
                    errors.append(f"{node.name}: {e}")
                    continue
                if not ranges:
                    errors.append(f"{node.name}: no slots")
                    continue
                covered = sum(e - s + 1 for s, e in ranges)
                if self.require_full_coverage and covered < REDIS_CLUSTER_HASH_SLOTS:
                    errors.append(f"{node.name}: {covered} slots covered")
                    continue
                self._apply(ranges, shards)
                return
            raise RedisClusterException(
                "Redis Cluster cannot be connected. Please provide at least one reachable node: "
                + "; ".join(errors)
            )

    def _apply(self, ranges: List[Tuple[int, int]], shards: List[List[ClusterNode]]) -> None:
        nodes: Dict[str, ClusterNode] = {}
        slots: Dict[int, List[ClusterNode]] = {}
        for (start, end), members in zip(ranges, shards):
            for m in members:
                nodes[m.name] = m
            for s in range(start, end + 1):
                slots[s] = members
        self.nodes_cache = nodes
        self.slots_cache = slots
        if self._dynamic_startup_nodes:
            self.startup_nodes.update({n.name: n for n in nodes.values() if n.server_type == PRIMARY})
        if self.default_node is None or self.default_node.name not in nodes or self.default_node.server_type != PRIMARY:
            self.default_node = next(n for n in nodes.values() if n.server_type == PRIMARY)
        self._install()

    def _install(self) -> None:
        """Hands the current map to the router."""
        names = list(self.nodes_cache)
        index = {n: i for i, n in enumerate(names)}
        shard_ids: Dict[Tuple[str, ...], int] = {}
        shard_list: List[List[int]] = []
        ranges: List[Tuple[int, int, int]] = []
        start = None
        current = None
        for slot in range(REDIS_CLUSTER_HASH_SLOTS + 1):
            members = self.slots_cache.get(slot) if slot < REDIS_CLUSTER_HASH_SLOTS else None
            key = tuple(m.name for m in members) if members else None
            if key != current:
                if current is not None and start is not None:
                    ranges.append((start, slot - 1, shard_ids[current]))
                current = key
                start = slot
                if key is not None and key not in shard_ids:
                    shard_ids[key] = len(shard_list)
                    shard_list.append([index[n] for n in key])
        pools = [self.nodes_cache[n].redis_connection.connection_pool._core for n in names]  # type: ignore[union-attr]
        default = index.get(self.default_node.name, 0) if self.default_node else 0
        self.router._set_topology(pools, shard_list, ranges, default)

    # -- called by the router ---------------------------------------------

    def _moved(self, slot: int, host: str, port: int) -> None:
        """A MOVED reply: the slot now lives at ``host:port``. The map is
        reloaded every ``reinitialize_steps`` MOVEDs; in between only that
        slot moves (to a known shard's primary, a promoted replica, or a
        new node)."""
        with self._lock:
            self.reinitialize_counter += 1
            if self.reinitialize_steps and self.reinitialize_counter % self.reinitialize_steps == 0:
                try:
                    self.initialize()
                    return
                except RedisClusterException:
                    pass
            target = self._node(host, port, PRIMARY)
            current = self.slots_cache.get(slot) or []
            shard = next((m for m in self.slots_cache.values() if m and m[0] == target), None)
            if shard is None:
                if target in current:
                    # A replica of the slot was promoted.
                    old = current[0]
                    old.server_type = REPLICA
                    shard = [target] + [m for m in current if m != target]
                else:
                    shard = [target]
                self.nodes_cache[target.name] = target
            self.slots_cache[slot] = shard
            self._install()

    def _node_index(self, host: str, port: int) -> int:
        """The router's index of ``host:port`` (an ASK target), adding the
        node if it is new."""
        with self._lock:
            node = self._node(host, port)
            if node.name not in self.nodes_cache:
                if node.server_type is None:
                    node.server_type = PRIMARY
                self.nodes_cache[node.name] = node
                self._install()
            return list(self.nodes_cache).index(node.name)

    def _connection_failed(self, index: int) -> None:
        """A node did not answer: reload the map (a failover may have
        promoted a replica); keep the old one if no node answers."""
        with self._lock:
            try:
                self.initialize()
            except RedisClusterException:
                pass

    def _refresh(self) -> None:
        self._connection_failed(-1)

    def close(self) -> None:
        for pool in self._pools.values():
            pool.disconnect()


def _default_cluster_retry(attempts: int) -> Retry:
    return Retry(ExponentialWithJitterBackoff(base=0.05, cap=1), attempts)


class RedisCluster(_redcore.Client, CoreCommands, *redis_base("redis.cluster", "RedisCluster")):  # type: ignore[misc,override]  # redis-py base when installed
    """A Redis Cluster client with redis-py's API (see the module docs).

    Args:
        host, port: a startup node (or give ``startup_nodes``, or ``url``).
        startup_nodes: :class:`ClusterNode` objects to discover the cluster from.
        retry: the cluster-level :class:`~redcore.retry.Retry` for connection
            errors and ``CLUSTERDOWN`` (default: ``cluster_error_retry_attempts``
            attempts with exponential backoff); each attempt reloads the map.
        require_full_coverage: refuse a map that leaves slots unserved.
        reinitialize_steps: reload the whole map every this many MOVEDs.
        read_from_replicas, load_balancing_strategy: send read-only
            commands to replicas too (:class:`LoadBalancingStrategy`).
        address_remap: ``(host, port) -> (host, port)`` applied to every
            address the cluster announces (NAT, port forwarding).
        Other keyword arguments are connection arguments (``password``,
        ``socket_timeout``, ``ssl``, ``decode_responses``...) for every node.
    """

    RedisClusterRequestTTL = 16
    PRIMARIES = "primaries"
    REPLICAS = "replicas"
    ALL_NODES = "all"
    RANDOM = "random"
    DEFAULT_NODE = "default-node"
    NODE_FLAGS = {PRIMARIES, REPLICAS, ALL_NODES, RANDOM, DEFAULT_NODE}

    nodes_manager: NodesManager

    def __new__(
        cls,
        host: Optional[str] = None,
        port: int = 6379,
        startup_nodes: Optional[List[ClusterNode]] = None,
        cluster_error_retry_attempts: int = 3,
        retry: Optional[Retry] = None,
        require_full_coverage: bool = True,
        reinitialize_steps: int = 5,
        read_from_replicas: bool = False,
        load_balancing_strategy: Optional[LoadBalancingStrategy] = None,
        dynamic_startup_nodes: bool = True,
        url: Optional[str] = None,
        address_remap: Optional[Callable[[Tuple[str, int]], Tuple[str, int]]] = None,
        **kwargs: Any,
    ) -> "RedisCluster":
        if kwargs.pop("db", 0) not in (0, "0"):
            raise RedisClusterException("Argument 'db' must be 0 or None in cluster mode")
        for name in ("cache", "cache_config", "event_dispatcher", "policy_resolver", "maint_notifications_config"):
            if kwargs.pop(name, None) is not None:
                raise RedisClusterException(f"Argument {name!r} is not supported by redcore's cluster client")
        startup = list(startup_nodes or [])
        if url is not None:
            opts = parse_url(url)
            if "path" in opts:
                raise RedisClusterException("RedisCluster does not currently support Unix Domain Socket connections")
            if opts.pop("db", 0) not in (0, "0"):
                raise RedisClusterException("A ``db`` querystring option can only be 0 in cluster mode")
            if opts.pop("connection_class", None) is SSLConnection:
                opts["ssl"] = True
            kwargs.update(opts)
            host = kwargs.pop("host", host)
            port = int(kwargs.pop("port", port))
        if host is not None:
            startup.append(ClusterNode(host, port))
        elif not startup:
            raise RedisClusterException(
                "RedisCluster requires at least one node to discover the cluster. Please provide one of the following:\n"
                "1. host and port, for example:\n RedisCluster(host='localhost', port=6379)\n"
                "2. list of startup nodes, for example:\n RedisCluster(startup_nodes=[ClusterNode('localhost', 6379),"
                " ClusterNode('localhost', 6378)])"
            )
        protocol = _check_protocol(kwargs.get("protocol"))
        legacy = bool(kwargs.get("legacy_responses", True))
        if retry is None:
            retry = _default_cluster_retry(cluster_error_retry_attempts)
        conn_kwargs = dict(kwargs)
        conn_kwargs.pop("host", None)
        conn_kwargs.pop("port", None)
        if conn_kwargs.pop("ssl", False):
            conn_kwargs["connection_class"] = SSLConnection
        # Node pools do not retry on their own: the cluster retries after
        # reloading the map, which a dead node's retries would only delay.
        conn_kwargs["retry"] = Retry(NoBackoff(), 0)
        manager = NodesManager(
            startup, conn_kwargs, require_full_coverage=require_full_coverage,
            dynamic_startup_nodes=dynamic_startup_nodes, address_remap=address_remap,
            reinitialize_steps=reinitialize_steps, retry=retry,
        )
        enc = Encoder(kwargs.get("encoding", "utf-8"), kwargs.get("encoding_errors", "strict"), bool(kwargs.get("decode_responses", False)))
        self: RedisCluster = super().__new__(  # type: ignore[assignment]
            cls,
            decode_responses=enc.decode_responses,
            encoding=enc.encoding,
            encoding_errors=enc.encoding_errors,
            callbacks=callbacks_for(protocol, legacy),
            protocol=protocol,
            cluster=manager.router,
        )
        if load_balancing_strategy is None and read_from_replicas:
            load_balancing_strategy = LoadBalancingStrategy.ROUND_ROBIN
        manager.router._set_strategy(_STRATEGY_CODES.get(load_balancing_strategy, 0) if load_balancing_strategy else 0)
        self.nodes_manager = manager
        self.retry = retry
        self.read_from_replicas = read_from_replicas
        self.load_balancing_strategy = load_balancing_strategy
        self.reinitialize_steps = reinitialize_steps
        self.encoder = enc
        self.user_on_connect_func = None
        self.cluster_response_callbacks = {}
        self._protocol = protocol
        self._legacy_responses = legacy
        self._lock = threading.RLock()
        for node in manager.nodes_cache.values():
            self._share_callbacks(node)
        return self

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> "RedisCluster":
        """A cluster client from a ``redis://`` or ``rediss://`` URL naming
        one startup node."""
        return cls(url=url, **kwargs)

    def __repr__(self) -> str:
        servers = list({n.name for n in self.get_nodes()})
        servers.sort()
        return f"{type(self).__name__}<{', '.join(servers)}>"

    def __enter__(self) -> "RedisCluster":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        pass

    def close(self) -> None:
        """Closes every node's connections."""
        self.nodes_manager.close()

    def disconnect_connection_pools(self) -> None:
        self.nodes_manager.close()

    # -- nodes ------------------------------------------------------------------

    def _share_callbacks(self, node: ClusterNode) -> None:
        conn = node.redis_connection
        if conn is not None and conn.response_callbacks is not self.response_callbacks:
            conn.response_callbacks = self.response_callbacks

    def get_redis_connection(self, node: ClusterNode) -> Redis:
        """The client of ``node``."""
        if node.redis_connection is None:
            node = self.nodes_manager._node(node.host, node.port, node.server_type)
        self._share_callbacks(node)
        return node.redis_connection  # type: ignore[return-value]

    def get_node(self, host: Optional[str] = None, port: Optional[int] = None, node_name: Optional[str] = None) -> Optional[ClusterNode]:
        return self.nodes_manager.get_node(host, port, node_name)

    def get_primaries(self) -> List[ClusterNode]:
        return self.nodes_manager.get_nodes_by_server_type(PRIMARY)

    def get_replicas(self) -> List[ClusterNode]:
        return self.nodes_manager.get_nodes_by_server_type(REPLICA)

    def get_random_node(self) -> ClusterNode:
        return random.choice(list(self.nodes_manager.nodes_cache.values()))

    def get_nodes(self) -> List[ClusterNode]:
        return list(self.nodes_manager.nodes_cache.values())

    def get_node_from_key(self, key: Any, replica: bool = False) -> Optional[ClusterNode]:
        """The node serving ``key`` (a replica of it with ``replica``)."""
        slot = self.keyslot(key)
        nodes = self.nodes_manager.slots_cache.get(slot)
        if not nodes:
            from .exceptions import SlotNotCoveredError

            raise SlotNotCoveredError(f'Slot "{slot}" is not covered by the cluster.')
        if replica:
            return nodes[1] if len(nodes) > 1 else None
        return nodes[0]

    def get_default_node(self) -> Optional[ClusterNode]:
        return self.nodes_manager.default_node

    def set_default_node(self, node: Optional[ClusterNode]) -> bool:
        """Sends keyless commands to ``node`` from now on."""
        if node is None or self.get_node(node_name=node.name) is None:
            return False
        self.nodes_manager.default_node = node
        self.nodes_manager._install()
        return True

    def replace_default_node(self, target_node: Optional[ClusterNode] = None) -> None:
        if target_node is None:
            others = [n for n in self.get_primaries() if n != self.get_default_node()]
            if not others:
                return
            target_node = random.choice(others)
        self.set_default_node(target_node)

    def keyslot(self, key: Any) -> int:
        """The hash slot of ``key``."""
        return key_slot(key, self.encoder.encoding)

    def get_encoder(self) -> Encoder:
        return self.encoder

    def get_connection_kwargs(self) -> Dict[str, Any]:
        return self.nodes_manager.connection_kwargs

    def get_retry(self) -> Retry:
        return self.retry

    def set_retry(self, retry: Retry) -> None:
        self.retry = retry
        self.nodes_manager.router._set_retry(retry)

    def set_response_callback(self, command: str, callback: Callable[..., Any]) -> None:
        self.response_callbacks[command.upper()] = callback

    def get_protocol(self) -> Optional[int]:
        return self._protocol

    def load_external_module(self, funcname: str, func: Any) -> None:
        setattr(self, funcname, func)

    # -- commands -----------------------------------------------------------

    def _target_nodes(self, target: Any) -> List[ClusterNode]:
        if isinstance(target, str):
            if target == self.PRIMARIES:
                return self.get_primaries()
            if target == self.REPLICAS:
                return self.get_replicas()
            if target == self.ALL_NODES:
                return self.get_nodes()
            if target == self.RANDOM:
                return [self.get_random_node()]
            if target == self.DEFAULT_NODE:
                node = self.get_default_node()
                return [node] if node else []
            raise TypeError(f"target_nodes type can be one of the following: node_flag (PRIMARIES, REPLICAS, RANDOM, ALL_NODES), ClusterNode, list<ClusterNode>, or dict<any, ClusterNode>. The passed type is {type(target)}")
        if isinstance(target, ClusterNode):
            return [target]
        if isinstance(target, dict):
            return list(target.values())
        if isinstance(target, (list, tuple)):
            return list(target)
        raise TypeError(f"target_nodes type can be one of the following: node_flag (PRIMARIES, REPLICAS, RANDOM, ALL_NODES), ClusterNode, list<ClusterNode>, or dict<any, ClusterNode>. The passed type is {type(target)}")

    def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        """Runs a command: on ``target_nodes`` when given (a node, a list
        or dict of nodes, or ``PRIMARIES`` / ``REPLICAS`` / ``ALL_NODES`` /
        ``RANDOM`` / ``DEFAULT_NODE``), on the nodes redis-py sends that
        keyless command to, else on the node of its keys' slot. Several
        nodes' replies are combined as redis-py combines them, or returned
        as ``{node_name: reply}``."""
        target = kwargs.pop("target_nodes", None)
        flag = kwargs.pop("nodes_flag", None)
        name = _text(args[0]).upper() if args else ""
        if " " not in name and len(args) > 1 and isinstance(args[1], (str, bytes)):
            full = f"{name} {_text(args[1]).upper()}"
        else:
            full = name
        if target is None and flag is None:
            if full in _SLOT_ID and len(args) > 2:
                nodes = self.nodes_manager.slots_cache.get(int(args[2]))
                target = nodes[0] if nodes else None
            elif full in _PRIMARIES or name in _PRIMARIES:
                flag = self.PRIMARIES
            elif full in _ALL_NODES or name in _ALL_NODES:
                flag = self.ALL_NODES
            elif full in _RANDOM or name in _RANDOM:
                flag = self.RANDOM
            if target is None and flag is None:
                return super().execute_command(*args, **kwargs)
        nodes = self._target_nodes(target if target is not None else flag)
        if not nodes:
            raise RedisClusterException(f"No targets were found to execute {args} command on")
        results = {}
        for node in nodes:
            results[node.name] = self.get_redis_connection(node).execute_command(*args, **kwargs)
        if len(results) == 1 and target is not None and not isinstance(target, (list, dict, str)):
            return next(iter(results.values()))
        combine = _RESULTS.get(full) or _RESULTS.get(name)
        if combine is not None:
            return combine(results)
        if len(results) == 1:
            return next(iter(results.values()))
        return results

    # Commands whose keys are split per slot, as redis-py splits them.

    def _split_by_slot(self, keys: Iterable[Any]) -> Dict[int, List[Any]]:
        slots: Dict[int, List[Any]] = {}
        for key in keys:
            slots.setdefault(self.keyslot(key), []).append(key)
        return slots

    def _per_slot(self, command: str, keys: Sequence[Any]) -> int:
        slots = self._split_by_slot(keys)
        if len(slots) == 1:
            return int(super().execute_command(command, *keys))
        pipe = self.pipeline(transaction=False)
        for group in slots.values():
            pipe.execute_command(command, *group)
        return sum(int(n) for n in pipe.execute())

    def delete(self, *keys: Any) -> int:
        """DEL; keys in several slots are deleted slot by slot (not atomic)."""
        return self._per_slot("DEL", keys)

    def exists(self, *keys: Any) -> int:
        """EXISTS, counted slot by slot."""
        return self._per_slot("EXISTS", keys)

    def unlink(self, *keys: Any) -> int:
        """UNLINK, slot by slot."""
        return self._per_slot("UNLINK", keys)

    def touch(self, *keys: Any) -> int:
        """TOUCH, slot by slot."""
        return self._per_slot("TOUCH", keys)

    def mget_nonatomic(self, keys: Any, *args: Any) -> List[Any]:
        """MGET of keys in any slots: one MGET per slot, all nodes at once;
        values in the order of ``keys``."""
        from .commands._util import list_or_args

        keys = list_or_args(keys, args)
        slots = self._split_by_slot(keys)
        pipe = self.pipeline(transaction=False)
        for group in slots.values():
            pipe.execute_command("MGET", *group)
        found: Dict[Any, Any] = {}
        for group, values in zip(slots.values(), pipe.execute()):
            found.update(zip(group, values))
        return [found[k] for k in keys]

    def mset_nonatomic(self, mapping: Dict[Any, Any]) -> List[bool]:
        """MSET of keys in any slots: one MSET per slot."""
        slots: Dict[int, List[Any]] = {}
        for k, v in mapping.items():
            slots.setdefault(self.keyslot(k), []).extend((k, v))
        pipe = self.pipeline(transaction=False)
        for pairs in slots.values():
            pipe.execute_command("MSET", *pairs)
        return pipe.execute()

    def scan_iter(self, match: Any = None, count: Optional[int] = None, _type: Optional[str] = None, **kwargs: Any) -> Iterator[Any]:
        """Every key of every primary (SCAN on each in turn)."""
        for node in self.get_primaries():
            conn = self.get_redis_connection(node)
            yield from conn.scan_iter(match=match, count=count, _type=_type, **kwargs)

    def scan(self, cursor: Any = 0, match: Any = None, count: Optional[int] = None, _type: Optional[str] = None, **kwargs: Any) -> Any:
        """SCAN on every primary: ``({node_name: cursor}, keys)``; pass the
        cursors dict back to continue."""
        target = kwargs.pop("target_nodes", None)
        nodes = self._target_nodes(target) if target is not None else self.get_primaries()
        cursors: Dict[str, int] = {}
        keys: List[Any] = []
        for node in nodes:
            start = cursor.get(node.name, 0) if isinstance(cursor, dict) else cursor
            if isinstance(cursor, dict) and node.name in cursor and cursor[node.name] == 0:
                cursors[node.name] = 0
                continue
            c, found = self.get_redis_connection(node).scan(start, match=match, count=count, _type=_type, **kwargs)
            cursors[node.name] = c
            keys.extend(found)
        return cursors, keys

    def publish(self, channel: Any, message: Any, **kwargs: Any) -> int:
        """PUBLISH on the node of ``channel``'s slot, where
        :class:`ClusterPubSub` subscribes by default: the message reaches
        every node's subscribers, and the count is that node's (the
        subscribers made through this client)."""
        if "target_nodes" not in kwargs:
            kwargs["target_nodes"] = self.get_node_from_key(channel)
        return self.execute_command("PUBLISH", channel, message, **kwargs)

    def cluster_keyslot(self, key: Any) -> int:
        """The slot of ``key``, as CLUSTER KEYSLOT computes it (locally)."""
        return self.keyslot(key)

    def cluster_shards(self, target_nodes: Any = None) -> Any:
        return self.execute_command("CLUSTER SHARDS", target_nodes=target_nodes or self.RANDOM)

    def cluster_slots(self, target_nodes: Any = None) -> Any:
        return self.execute_command("CLUSTER SLOTS", target_nodes=target_nodes or self.RANDOM)

    def cluster_nodes(self) -> Any:
        return self.execute_command("CLUSTER NODES", target_nodes=self.RANDOM)

    def cluster_info(self, target_nodes: Any = None) -> Any:
        return self.execute_command("CLUSTER INFO", target_nodes=target_nodes or self.RANDOM)

    def cluster_myid(self, target_node: Any) -> Any:
        return self.execute_command("CLUSTER MYID", target_nodes=target_node)

    def cluster_countkeysinslot(self, slot_id: int) -> int:
        return self.execute_command("CLUSTER COUNTKEYSINSLOT", slot_id)

    def cluster_getkeysinslot(self, slot_id: int, num_keys: int) -> Any:
        return self.execute_command("CLUSTER GETKEYSINSLOT", slot_id, num_keys)

    def cluster_countkeysinslot_node(self, slot_id: int) -> int:  # pragma: no cover - alias kept small
        return self.cluster_countkeysinslot(slot_id)

    def cluster_failover(self, target_node: Any, option: Optional[str] = None) -> Any:
        """CLUSTER FAILOVER [FORCE|TAKEOVER] on ``target_node`` (a replica)."""
        args = ["CLUSTER FAILOVER"] + ([option] if option else [])
        if option and option.upper() not in ("FORCE", "TAKEOVER"):
            raise RedisError(f"Invalid option for CLUSTER FAILOVER command: {option}")
        return self.execute_command(*args, target_nodes=target_node)

    def cluster_setslot(self, target_node: Any, node_id: str, slot_id: int, state: str) -> Any:
        """CLUSTER SETSLOT slot IMPORTING|MIGRATING|NODE node_id on ``target_node``."""
        if state.upper() in ("IMPORTING", "NODE", "MIGRATING"):
            return self.execute_command("CLUSTER SETSLOT", slot_id, state, node_id, target_nodes=target_node)
        if state.upper() == "STABLE":
            raise RedisError('For "stable" state please use cluster_setslot_stable')
        raise RedisError(f"Invalid slot state: {state}")

    def cluster_setslot_stable(self, slot_id: int) -> Any:
        return self.execute_command("CLUSTER SETSLOT", slot_id, "STABLE")

    def cluster_replicas(self, node_id: str, target_nodes: Any = None) -> Any:
        return self.execute_command("CLUSTER REPLICAS", node_id, target_nodes=target_nodes or self.RANDOM)

    def cluster_count_failure_report(self, node_id: str) -> Any:
        return self.execute_command("CLUSTER COUNT-FAILURE-REPORTS", node_id)

    def cluster_get_keys_in_slot(self, slot: int, num_keys: int) -> Any:
        return self.cluster_getkeysinslot(slot, num_keys)

    def readonly(self, target_nodes: Any = None, **kwargs: Any) -> Any:  # type: ignore[override]
        """READONLY on replicas (redis-py turns on reading from replicas)."""
        if target_nodes in (None, self.REPLICAS):
            self.read_from_replicas = True
            if self.load_balancing_strategy is None:
                self.nodes_manager.router._set_strategy(1)
        return self.execute_command("READONLY", target_nodes=target_nodes or self.REPLICAS)

    def readwrite(self, target_nodes: Any = None, **kwargs: Any) -> Any:  # type: ignore[override]
        self.read_from_replicas = False
        self.nodes_manager.router._set_strategy(0)
        return self.execute_command("READWRITE", target_nodes=target_nodes or self.REPLICAS)

    # -- objects ------------------------------------------------------------

    def pipeline(self, transaction: Any = None, shard_hint: Any = None) -> "ClusterPipeline":
        """A pipeline grouped per node (``transaction=True``: MULTI/EXEC,
        every key in one slot)."""
        if shard_hint:
            raise RedisClusterException("shard_hint is deprecated in cluster mode")
        return ClusterPipeline(self, bool(transaction))

    def pubsub(self, node: Optional[ClusterNode] = None, host: Optional[str] = None, port: Optional[int] = None, **kwargs: Any) -> "ClusterPubSub":
        """A :class:`ClusterPubSub` (sharded channels go to their slot's node)."""
        return ClusterPubSub(self, node=node, host=host, port=port, **kwargs)

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
    ) -> Lock:
        cls = Lock if lock_class is None else lock_class
        return cls(self, name, timeout=timeout, sleep=sleep, blocking=blocking, blocking_timeout=blocking_timeout,
                   thread_local=thread_local, raise_on_release_error=raise_on_release_error)

    def transaction(self, func: Callable[["ClusterPipeline"], Any], *watches: Any, **kwargs: Any) -> Any:
        """Runs ``func(pipe)`` in a MULTI/EXEC on the node of ``watches``'
        slot, retrying while a watched key changes."""
        from .exceptions import WatchError

        value_from_callable = kwargs.get("value_from_callable", False)
        watch_delay = kwargs.get("watch_delay")
        with self.pipeline(True) as pipe:
            while True:
                try:
                    if watches:
                        pipe.watch(*watches)
                    value = func(pipe)
                    result = pipe.execute()
                    return value if value_from_callable else result
                except WatchError:
                    if watch_delay:
                        time.sleep(watch_delay)

    def monitor(self, target_node: Any = None) -> Any:
        node = target_node or self.get_default_node()
        assert node is not None
        return self.get_redis_connection(node).monitor()


class ClusterPipeline(Pipeline):
    """A cluster pipeline (with redis-py installed, also a
    ``redis.client.Pipeline``: redis-py's ClusterPipeline derives from its
    RedisCluster, which cannot share an MRO with a redcore pipeline).
    Commands are grouped by node and every group is
    sent at once, each on its own thread without the GIL. With
    ``transaction``, all keys must hash to one slot and the commands run
    in MULTI/EXEC there; ``watch()`` holds that node's connection."""

    def __new__(cls, client: RedisCluster, transaction: bool = False, shard_hint: Any = None) -> "ClusterPipeline":
        self: ClusterPipeline = _redcore.Client.__new__(cls, parent=client, pipeline=True)  # type: ignore[assignment]
        return self

    def __init__(self, client: RedisCluster, transaction: bool = False, shard_hint: Any = None) -> None:
        super().__init__(client, transaction, shard_hint)  # type: ignore[arg-type]
        self._cluster = client
        self._watch_pipe: Optional[Pipeline] = None

    def reset(self) -> None:
        super().reset()
        pipe = getattr(self, "_watch_pipe", None)
        if pipe is not None:
            pipe.reset()
            self._watch_pipe = None

    def watch(self, *names: Any) -> bool:
        """WATCH ``names`` (one slot) on their node; the transaction then
        runs on that node's connection."""
        slots = {self._cluster.keyslot(n) for n in names}
        if len(slots) != 1:
            from .exceptions import CrossSlotTransactionError

            raise CrossSlotTransactionError("Cannot watch or send commands on different slots")
        node = self._cluster.get_node_from_key(names[0])
        assert node is not None
        self._watch_pipe = self._cluster.get_redis_connection(node).pipeline(True)
        self.watching = True
        return self._watch_pipe.watch(*names)

    def unwatch(self) -> bool:
        if self._watch_pipe is not None:
            return self._watch_pipe.unwatch()
        return True

    def multi(self) -> None:
        if self._watch_pipe is not None:
            self._watch_pipe.multi()
            self.explicit_transaction = True
            return
        super().multi()

    def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        if self._watch_pipe is not None:
            result = self._watch_pipe.execute_command(*args, **kwargs)
            return self if result is self._watch_pipe else result
        return super().execute_command(*args, **kwargs)

    def __getattribute__(self, name: str) -> Any:
        # While WATCHing, commands (the Rust ones too) go to the watched
        # node's pipeline.
        pipe = object.__getattribute__(self, "__dict__").get("_watch_pipe")
        if pipe is not None and not name.startswith("_") and name not in _PIPE_OWN:
            attr = getattr(pipe, name, None)
            if attr is not None and callable(attr):
                def call(*a: Any, **k: Any) -> Any:
                    result = attr(*a, **k)
                    return self if result is pipe else result
                return call
        return object.__getattribute__(self, name)

    def execute(self, raise_on_error: bool = True) -> List[Any]:
        if self._watch_pipe is not None:
            try:
                return self._watch_pipe.execute(raise_on_error)
            finally:
                self.reset()
        return super().execute(raise_on_error)

    # As in redis-py, a pipeline does not split DEL / UNLINK per slot:
    # keys of several slots are refused when queued.
    def _one_slot(self, names: Sequence[Any], what: str) -> None:
        if len({self._cluster.keyslot(n) for n in names}) > 1:
            raise RedisClusterException(f"{what} multiple keys is not implemented in pipeline command")

    def delete(self, *names: Any) -> "ClusterPipeline":
        self._one_slot(names, "deleting")
        return self.execute_command("DEL", *names)

    def unlink(self, *names: Any) -> "ClusterPipeline":
        self._one_slot(names, "unlinking")
        return self.execute_command("UNLINK", *names)


_PIPE_OWN = frozenset({"execute", "reset", "watch", "unwatch", "multi", "client", "transaction", "watching", "explicit_transaction", "scripts", "shard_hint", "load_scripts"})


class _ClusterSubscriber:
    """The connection of a :class:`ClusterPubSub`: SUBSCRIBE / PSUBSCRIBE
    on one node, each sharded channel on its slot's node; reads poll them
    all."""

    def __init__(self, cluster: RedisCluster, node: ClusterNode) -> None:
        self.cluster = cluster
        self.main = cluster.get_redis_connection(node)._subscriber()
        self.shards: Dict[str, Any] = {}
        self.on_connect: Any = None
        self._next = 0

    def _shard(self, channel: Any) -> Any:
        node = self.cluster.get_node_from_key(channel)
        assert node is not None
        sub = self.shards.get(node.name)
        if sub is None:
            sub = self.cluster.get_redis_connection(node)._subscriber()
            self.shards[node.name] = sub
        return sub

    def send(self, *args: Any) -> None:
        command = _text(args[0]).upper()
        if command in ("SSUBSCRIBE", "SUNSUBSCRIBE"):
            if len(args) == 1:
                for sub in self.shards.values():
                    sub.send(*args)
                return
            # One command per slot: a node refuses channels of several slots.
            groups: Dict[int, Tuple[Any, List[Any]]] = {}
            for channel in args[1:]:
                sub = self._shard(channel)
                groups.setdefault(self.cluster.keyslot(channel), (sub, []))[1].append(channel)
            for sub, channels in groups.values():
                sub.send(command, *channels)
            return
        self.main.send(*args)

    def read(self, timeout: Optional[float]) -> Any:
        subs = [self.main, *self.shards.values()]
        if len(subs) == 1:
            return self.main.read(timeout)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            for i in range(len(subs)):
                sub = subs[(self._next + i) % len(subs)]
                msg = sub.read(0)
                if msg is not None:
                    self._next = (self._next + i + 1) % len(subs)
                    return msg
            if deadline is not None and time.monotonic() >= deadline:
                return None
            time.sleep(0.001)

    def close(self) -> None:
        self.main.close()
        for sub in self.shards.values():
            sub.close()


class ClusterPubSub(PubSub, *redis_base("redis.cluster", "ClusterPubSub")):  # type: ignore[misc]
    """Pub/sub on a cluster: channels and patterns on one node (messages
    are broadcast to every node), sharded channels (SSUBSCRIBE) on the
    node serving each channel's slot."""

    def __init__(self, redis_cluster: RedisCluster, node: Optional[ClusterNode] = None, host: Optional[str] = None, port: Optional[int] = None, **kwargs: Any) -> None:
        if node is None and host is not None and port is not None:
            node = redis_cluster.get_node(host=host, port=port)
            if node is None:
                raise DataError(f"Node {host}:{port} doesn't exist in the cluster")
        self.cluster = redis_cluster
        self.node = node
        super().__init__(redis_cluster, **kwargs)

    def get_pubsub_node(self) -> Optional[ClusterNode]:
        return self.node

    def execute_command(self, *args: Any) -> None:
        with self._lock:
            if self.connection is None:
                node = self.node
                if node is None:
                    command = _text(args[0]).upper()
                    if len(args) > 1 and command in ("SUBSCRIBE", "SSUBSCRIBE"):
                        node = self.cluster.get_node_from_key(args[1])
                    else:
                        node = self.cluster.get_default_node()
                    self.node = node
                assert node is not None
                self.connection = _ClusterSubscriber(self.cluster, node)
            self.connection.send(*args)


adopt(RedisCluster)
adopt(ClusterPipeline)
adopt(ClusterPubSub)


__all__ = [
    "ClusterNode",
    "ClusterPipeline",
    "ClusterPubSub",
    "LoadBalancingStrategy",
    "NodesManager",
    "RedisCluster",
    "get_node_name",
    "key_slot",
]
