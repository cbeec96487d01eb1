"""The nodes of a Redis Cluster and its slot map: :class:`ClusterNode`
and :class:`NodesManager` (redis-py's names), which discovers the map with
CLUSTER SHARDS (CLUSTER SLOTS on older servers), keeps one connection pool
per node across refreshes, and hands every change to the Rust router that
:class:`~redcore.cluster.RedisCluster` sends commands through. Also the
routing of keyless commands (which nodes redis-py sends them to, and how
their replies combine).
"""

from __future__ import annotations

import random
import socket
import threading
from enum import Enum
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Set, Tuple, Union

from . import _redcore
from .client import Redis
from .connection import ConnectionPool
from .exceptions import ConnectionError, RedisClusterException, ResponseError, SlotNotCoveredError, TimeoutError
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


# Where keyless commands go and how several nodes' replies combine: the
# command table's cluster columns (redis-py's node flags and result
# callbacks). A name is ``NAME`` or ``NAME SUB``; anything not listed goes
# to the default node, and commands with keys to their slot's node.
_COMBINERS: Dict[str, Callable[[Dict[str, Any]], Any]] = {
    "all_true": lambda r: all(r.values()),
    "sum": lambda r: sum(r.values()),
    "concat": lambda r: [k for v in r.values() for k in v],
    "last": lambda r: list(r.values()).pop(),
    "all_true_per_index": lambda r: [all(k) for k in zip(*r.values())],
}


def _routes() -> Tuple[Dict[str, FrozenSet[str]], Dict[str, Callable[[Dict[str, Any]], Any]]]:
    """The command table's routing: {node flag: names}, {name: combiner}."""
    nodes: Dict[str, Set[str]] = {}
    results: Dict[str, Callable[[Dict[str, Any]], Any]] = {}
    for row in _redcore.command_table():
        name = row["name"].replace("|", " ").upper()
        if row["cluster_nodes"] is not None:
            nodes.setdefault(row["cluster_nodes"], set()).add(name)
        if row["cluster_combine"] is not None:
            results[name] = _COMBINERS[row["cluster_combine"]]
    return {k: frozenset(v) for k, v in nodes.items()}, results


_ROUTES, _RESULTS = _routes()
# Commands a replica may serve (the table's ``readonly`` flag): where
# ``read_from_replicas`` lets them go.
_READ_ONLY = frozenset(row["name"].replace("|", " ").upper() for row in _redcore.command_table() if "readonly" in row["flags"])
_PRIMARIES = _ROUTES.get("primaries", frozenset())
_ALL_NODES = _ROUTES.get("all_nodes", frozenset())
_RANDOM = _ROUTES.get("random", frozenset())
_SLOT_ID = _ROUTES.get("slot_id", frozenset())


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
        self._shards: Dict[str, Tuple[int, List[ClusterNode]]] = {}
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
        # For MOVED: each installed shard by its primary's name, with the
        # router's index of it.
        shards: Dict[str, Tuple[int, List[ClusterNode]]] = {}
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
                    assert members is not None
                    shards[key[0]] = (shard_ids[key], members)
        pools = [self.nodes_cache[n].redis_connection.connection_pool._core for n in names]  # type: ignore[union-attr]
        default = index.get(self.default_node.name, 0) if self.default_node else 0
        self.router._set_topology(pools, shard_list, ranges, default)
        self._shards = shards

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
            known = self._shards.get(target.name)
            if known is not None:
                # The usual case: a slot moved to another shard's primary.
                self.slots_cache[slot] = known[1]
                self.router._move_slot(slot, known[0])
                return
            current = self.slots_cache.get(slot) or []
            if target in current:
                # A replica of the slot was promoted.
                current[0].server_type = REPLICA
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
