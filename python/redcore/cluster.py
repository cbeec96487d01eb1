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
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

from . import _redcore
from ._callbacks import callbacks_for
from ._compat import adopt, redis_base
from ._pubsub import PubSub
from .backoff import ExponentialWithJitterBackoff, NoBackoff
from .client import Pipeline, Redis, _check_protocol, _run_transaction
from .commands import CoreCommands
from .connection import Encoder, SSLConnection, parse_url
from .exceptions import ClusterDownError, ConnectionError, DataError, RedisClusterException, RedisError, SlotNotCoveredError, TimeoutError
from .lock import Lock
from .retry import Retry

if TYPE_CHECKING:
    from .keyspace_notifications import ClusterKeyspaceNotifications

from ._cluster_nodes import (
    _ALL_NODES,
    _PRIMARIES,
    _RANDOM,
    _READ_ONLY,
    _RESULTS,
    _SLOT_ID,
    _STRATEGY_CODES,
    PRIMARY,
    REDIS_CLUSTER_HASH_SLOTS,
    REPLICA,
    SLOT_ID,
    ClusterNode,
    LoadBalancingStrategy,
    NodesManager,
    _text,
    get_node_name,
    key_slot,
)


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
    # What the cluster retries (after reloading the slot map).
    ERRORS_ALLOW_RETRY = (ConnectionError, TimeoutError, ClusterDownError, SlotNotCoveredError)

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

    def keyspace_notifications(
        self, key_prefix: Union[str, bytes, None] = None, ignore_subscribe_messages: bool = True
    ) -> "ClusterKeyspaceNotifications":
        """A :class:`~redcore.keyspace_notifications.ClusterKeyspaceNotifications`
        subscribed on every primary of the cluster (each publishes only the
        events of its own keys). ``notify-keyspace-events`` must be set on
        every node."""
        from .keyspace_notifications import ClusterKeyspaceNotifications

        return ClusterKeyspaceNotifications(self, key_prefix=key_prefix, ignore_subscribe_messages=ignore_subscribe_messages)

    def get_node(self, host: Optional[str] = None, port: Optional[int] = None, node_name: Optional[str] = None) -> Optional[ClusterNode]:
        return self.nodes_manager.get_node(host, port, node_name)

    def get_primaries(self) -> List[ClusterNode]:
        return self.nodes_manager.get_nodes_by_server_type(PRIMARY)

    def get_replicas(self) -> List[ClusterNode]:
        return self.nodes_manager.get_nodes_by_server_type(REPLICA)

    def get_random_node(self) -> ClusterNode:
        return random.choice(list(self.nodes_manager.nodes_cache.values()))

    def get_random_primary_node(self) -> ClusterNode:
        """A primary, at random."""
        return random.choice(self.get_primaries())

    def get_random_primary_or_all_nodes(self, command_name: str) -> ClusterNode:
        """Any node at random for a read-only command when reading from
        replicas, else a random primary."""
        if self.read_from_replicas and str(command_name).upper() in _READ_ONLY:
            return self.get_random_node()
        return self.get_random_primary_node()

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
            if full in _SLOT_ID:
                # The slot is the first argument after the (sub)command.
                at = 1 if " " in _text(args[0]) else 2
                nodes = self.nodes_manager.slots_cache.get(int(args[at])) if len(args) > at else None
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


    def cluster_addslots(self, target_node: Any, *slots: Any) -> Any:
        """CLUSTER ADDSLOTS on ``target_node``."""
        return self.execute_command("CLUSTER ADDSLOTS", *slots, target_nodes=target_node)

    def cluster_addslotsrange(self, target_node: Any, *slots: Any) -> Any:
        """CLUSTER ADDSLOTSRANGE start end [start end ...] on ``target_node``."""
        return self.execute_command("CLUSTER ADDSLOTSRANGE", *slots, target_nodes=target_node)

    def cluster_delslots(self, *slots: Any) -> List[Any]:
        """CLUSTER DELSLOTS, each slot on the node serving it."""
        return [self.execute_command("CLUSTER DELSLOTS", slot) for slot in slots]

    def cluster_delslotsrange(self, *slots: Any) -> Any:
        """CLUSTER DELSLOTSRANGE start end [...] on the default node."""
        return self.execute_command("CLUSTER DELSLOTSRANGE", *slots, target_nodes=self.DEFAULT_NODE)

    def cluster_links(self, target_node: Any) -> Any:
        """CLUSTER LINKS of ``target_node``."""
        return self.execute_command("CLUSTER LINKS", target_nodes=target_node)

    def cluster_meet(self, host: str, port: int, target_nodes: Any = None) -> Any:
        """CLUSTER MEET host port (on the default node unless ``target_nodes``)."""
        return self.execute_command("CLUSTER MEET", host, port, target_nodes=target_nodes or self.DEFAULT_NODE)

    def cluster_myshardid(self, target_nodes: Any = None) -> Any:
        """CLUSTER MYSHARDID (Redis 7.2+) as a str."""
        reply = self.execute_command("CLUSTER MYSHARDID", target_nodes=target_nodes or self.DEFAULT_NODE)
        return reply.decode() if isinstance(reply, bytes) else reply

    def cluster_replicate(self, target_nodes: Any, node_id: str) -> Any:
        """CLUSTER REPLICATE node_id on ``target_nodes``."""
        return self.execute_command("CLUSTER REPLICATE", node_id, target_nodes=target_nodes)

    def cluster_reset(self, soft: bool = True, target_nodes: Any = None) -> Any:
        """CLUSTER RESET SOFT|HARD."""
        return self.execute_command("CLUSTER RESET", b"SOFT" if soft else b"HARD", target_nodes=target_nodes or self.DEFAULT_NODE)

    def cluster_save_config(self, target_nodes: Any = None) -> Any:
        """CLUSTER SAVECONFIG."""
        return self.execute_command("CLUSTER SAVECONFIG", target_nodes=target_nodes or self.DEFAULT_NODE)

    def cluster_set_config_epoch(self, epoch: int, target_nodes: Any = None) -> Any:
        """CLUSTER SET-CONFIG-EPOCH epoch."""
        return self.execute_command("CLUSTER SET-CONFIG-EPOCH", epoch, target_nodes=target_nodes or self.DEFAULT_NODE)

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
        """CLUSTER GETKEYSINSLOT on the node serving ``slot``."""
        return self.execute_command("CLUSTER GETKEYSINSLOT", slot, num_keys)

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
        with self.pipeline(True) as pipe:
            return _run_transaction(pipe, func, watches, kwargs.get("value_from_callable", False), kwargs.get("watch_delay"))

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
        self._watch_key: Any = None

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
        watched = self._watch_pipe
        if len(slots) != 1 or (watched is not None and slots != {self._cluster.keyslot(self._watch_key)}):
            from .exceptions import CrossSlotTransactionError

            raise CrossSlotTransactionError("Cannot watch or send commands on different slots")
        if watched is not None:
            # More keys of the same slot, on the connection already watching.
            return watched.watch(*names)
        node = self._cluster.get_node_from_key(names[0])
        assert node is not None
        self._watch_key = names[0]
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
    "PRIMARY",
    "REDIS_CLUSTER_HASH_SLOTS",
    "REPLICA",
    "SLOT_ID",
    "ClusterNode",
    "ClusterPipeline",
    "ClusterPubSub",
    "LoadBalancingStrategy",
    "NodesManager",
    "RedisCluster",
    "get_node_name",
    "key_slot",
]
