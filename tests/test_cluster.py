"""RedisCluster on a real 3-master / 3-replica Redis Cluster (Debian's
redis-server, started once per session by ``cluster_servers``).

Every key type's commands are routed by slot and checked against where
the server says the slot lives, and their replies compared with redis-py's
RedisCluster on the same cluster (the oracle). Also: multi-key splitting
and CROSSSLOT, pipelines, scan_iter, pub/sub and sharded pub/sub, node
selection (``target_nodes``), reading from replicas, ``address_remap``,
and MOVED / ASK handled on a stale map. The fault tests (resharding under
load, failovers) are in ``test_cluster_faults.py`` (marked ``long``).
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Dict, List

import pytest
import redis
import redis.cluster

import redcore
from redcore import exceptions as exc
from redcore.cluster import ClusterNode, LoadBalancingStrategy, RedisCluster
from redcore.keyspace_notifications import KeyspaceChannel
from cluster_support import Forwarder, cli


@pytest.fixture(scope="module")
def rc(cluster_servers: Any) -> Any:
    client = RedisCluster(host="127.0.0.1", port=cluster_servers.port)
    yield client
    client.close()


@pytest.fixture(scope="module")
def oracle(cluster_servers: Any) -> Any:
    client = redis.cluster.RedisCluster(host="127.0.0.1", port=cluster_servers.port)
    yield client
    client.close()


@pytest.fixture(autouse=True)
def _empty(rc: Any) -> None:
    rc.flushall()


def owner_client(cluster: Any, key: Any) -> redis.Redis:
    """A plain redis-py client of the master serving ``key``'s slot."""
    slot = int(cli(cluster.port, "CLUSTER", "KEYSLOT", key if isinstance(key, str) else key.decode()))
    return redis.Redis(port=cluster.owner(slot))


KEYS = ["foo", "bar", "{user:1}:name", "{user:1}:mail", "user:2", "a{}b", "x{{y}}z", "ünïcode", "k:123", "zzz"]


def test_key_slot_matches_the_server(rc: Any, oracle: Any, cluster_servers: Any) -> None:
    for key in KEYS + ["", "{}", "{", "}{a}", "a" * 300]:
        expected = int(cli(cluster_servers.port, "CLUSTER", "KEYSLOT", key))
        assert rc.keyslot(key) == expected == oracle.keyslot(key), key
        assert redcore._redcore.key_slot(key.encode()) == expected
    assert rc.keyslot(b"\xff\x00") == oracle.keyslot(b"\xff\x00")
    assert rc.keyslot(12) == oracle.keyslot(12)
    assert rc.cluster_keyslot("foo") == 12182


def test_command_keys_come_from_the_key_specs() -> None:
    ck = redcore._redcore.command_keys
    assert ck([b"MSET", b"a", b"1", b"b", b"2"]) == [b"a", b"b"]
    assert ck([b"EVALSHA", b"sha", b"2", b"k1", b"k2", b"arg"]) == [b"k1", b"k2"]
    assert ck([b"XREADGROUP", b"GROUP", b"g", b"c", b"STREAMS", b"s1", b"s2", b">", b">"]) == [b"s1", b"s2"]
    assert ck([b"ZUNIONSTORE", b"d", b"2", b"a", b"b"]) == [b"d", b"a", b"b"]
    assert ck([b"OBJECT", b"ENCODING", b"k"]) == [b"k"]
    assert ck([b"PING"]) == []


# (name, writes, reads): each runs with a key and returns a value.
Op = Callable[[Any, str], Any]
TYPES: List[tuple] = [
    ("string", [lambda c, k: c.set(k, "v1"), lambda c, k: c.append(k, "x"), lambda c, k: c.setrange(k, 0, "w")],
     [lambda c, k: c.get(k), lambda c, k: c.strlen(k), lambda c, k: c.getrange(k, 0, 1)]),
    ("counter", [lambda c, k: c.incr(k), lambda c, k: c.incrby(k, 5), lambda c, k: c.incrbyfloat(k, 0.5)],
     [lambda c, k: c.get(k)]),
    ("hash", [lambda c, k: c.hset(k, mapping={"a": 1, "b": 2}), lambda c, k: c.hincrby(k, "a", 3)],
     [lambda c, k: c.hgetall(k), lambda c, k: c.hget(k, "a"), lambda c, k: c.hmget(k, ["a", "zz"]), lambda c, k: c.hlen(k)]),
    ("list", [lambda c, k: c.rpush(k, 1, 2, 3), lambda c, k: c.lpush(k, 0), lambda c, k: c.lpop(k)],
     [lambda c, k: c.lrange(k, 0, -1), lambda c, k: c.llen(k), lambda c, k: c.lindex(k, 1)]),
    ("set", [lambda c, k: c.sadd(k, "a", "b", "c"), lambda c, k: c.srem(k, "b")],
     [lambda c, k: c.smembers(k), lambda c, k: c.scard(k), lambda c, k: c.sismember(k, "a")]),
    ("zset", [lambda c, k: c.zadd(k, {"a": 1, "b": 2.5}), lambda c, k: c.zincrby(k, 2, "a")],
     [lambda c, k: c.zrange(k, 0, -1, withscores=True), lambda c, k: c.zscore(k, "a"), lambda c, k: c.zrank(k, "b"),
      lambda c, k: c.zrevrange(k, 0, 0)]),
    ("stream", [lambda c, k: c.xadd(k, {"f": "v"}, id="1-1"), lambda c, k: c.xadd(k, {"g": "w"}, id="2-1")],
     [lambda c, k: c.xlen(k), lambda c, k: c.xrange(k), lambda c, k: c.xrevrange(k, count=1)]),
    ("hll", [lambda c, k: c.pfadd(k, "a", "b", "c")], [lambda c, k: c.pfcount(k)]),
    ("bitmap", [lambda c, k: c.setbit(k, 7, 1), lambda c, k: c.setbit(k, 100, 1)],
     [lambda c, k: c.bitcount(k), lambda c, k: c.getbit(k, 7), lambda c, k: c.bitpos(k, 1)]),
    ("geo", [lambda c, k: c.geoadd(k, [13.361389, 38.115556, "Palermo", 15.087269, 37.502669, "Catania"])],
     [lambda c, k: c.geodist(k, "Palermo", "Catania", unit="km"), lambda c, k: c.geohash(k, "Palermo")]),
    ("generic", [lambda c, k: c.set(k, "v"), lambda c, k: c.expire(k, 100), lambda c, k: c.persist(k)],
     [lambda c, k: c.type(k), lambda c, k: c.ttl(k), lambda c, k: c.exists(k), lambda c, k: c.object("encoding", k)]),
]


@pytest.mark.parametrize("name,writes,reads", TYPES, ids=[t[0] for t in TYPES])
def test_every_key_type_is_routed_to_its_slot(name: str, writes: List[Op], reads: List[Op], rc: Any, oracle: Any, cluster_servers: Any) -> None:
    keys = [f"{name}:{k}" for k in KEYS]
    ours = [[op(rc, k) for op in writes] + [op(rc, k) for op in reads] for k in keys]
    for k in keys:
        # The key lives on its slot's master.
        assert owner_client(cluster_servers, k).exists(k) == 1, k
    oracle.flushall()
    theirs = [[op(oracle, k) for op in writes] + [op(oracle, k) for op in reads] for k in keys]
    assert ours == theirs


def test_multi_key_commands_split_per_slot(rc: Any, oracle: Any) -> None:
    keys = [f"m{i}" for i in range(40)]
    for client in (rc, oracle):
        client.flushall()
        assert client.mset_nonatomic({k: i for i, k in enumerate(keys)}) is not None
        assert client.mget_nonatomic(keys + ["missing"]) == [str(i).encode() for i in range(40)] + [None]
        assert client.exists(*keys, "missing", keys[0]) == 41
        assert client.touch(*keys[:10]) == 10
        assert client.delete(*keys[:20]) == 20
        assert client.unlink(*keys[20:30], "missing") == 10
        assert client.exists(*keys) == 10
    # Keys of one slot keep MGET / MSET atomic.
    assert rc.mset({"{t}a": 1, "{t}b": 2}) is True
    assert rc.mget("{t}a", "{t}b", "{t}c") == [b"1", b"2", None]


def test_keys_in_several_slots_raise_where_redis_py_does_not_split(rc: Any, oracle: Any) -> None:
    for client in (rc, oracle):
        for call in (lambda c: c.mget("a", "b"), lambda c: c.sunionstore("a", "b", "c"), lambda c: c.rename("a", "b"),
                     lambda c: c.eval("return 1", 2, "a", "b")):
            with pytest.raises(redis.exceptions.RedisClusterException, match="all keys must map to the same key slot"):
                call(client)
    # The server's own CROSSSLOT, when a node is asked directly.
    node = rc.get_node_from_key("a")
    with pytest.raises(exc.ClusterCrossSlotError, match="don't hash to the same slot"):
        rc.execute_command("MGET", "a", "b", target_nodes=node)


def test_keyless_commands_and_target_nodes(rc: Any, oracle: Any, cluster_servers: Any) -> None:
    for i in range(30):
        rc.set(f"n{i}", i)
    assert rc.dbsize() == 30
    assert rc.ping() is True
    assert sorted(rc.keys("n1*")) == sorted(f"n1{c}".encode() for c in ["", *map(str, range(10))])
    primaries = rc.get_primaries()
    assert len(primaries) == 3 and len(rc.get_replicas()) == 3 and len(rc.get_nodes()) == 6
    per_node = rc.dbsize(target_nodes=RedisCluster.PRIMARIES)
    assert per_node == 30
    node = primaries[0]
    assert rc.get_node(host=node.host, port=node.port) is node
    assert rc.get_node(node_name=node.name) is node
    assert rc.dbsize(target_nodes=node) == redis.Redis(port=node.port).dbsize()
    infos = rc.info(target_nodes=RedisCluster.ALL_NODES)
    assert set(infos) == {n.name for n in rc.get_nodes()}
    assert rc.cluster_info()["cluster_state"] == "ok"
    assert rc.script_load("return 7") == rc.script_load("return 7")
    assert rc.eval("return 7", 0) == 7
    # CLUSTER commands naming a slot go to the node serving it.
    rc.set("foo", 1)
    assert rc.cluster_countkeysinslot(rc.keyslot("foo")) == 1
    assert rc.cluster_get_keys_in_slot(rc.keyslot("foo"), 10) == oracle.cluster_get_keys_in_slot(rc.keyslot("foo"), 10)
    assert rc.cluster_countkeysinslot(rc.keyslot("foo")) == oracle.cluster_countkeysinslot(rc.keyslot("foo"))
    assert rc.cluster_save_config(target_nodes=node) is True
    assert len(rc.cluster_links(node)) == 2 * (len(rc.get_nodes()) - 1)
    theirs = oracle.get_node(host=node.host, port=node.port)
    assert rc.cluster_myid(node) == oracle.cluster_myid(theirs)
    assert rc.get_default_node().server_type == "primary"
    assert rc.set_default_node(primaries[1]) and rc.get_default_node() is primaries[1]


def test_pipeline_grouped_per_node_keeps_order(rc: Any, oracle: Any) -> None:
    def run(client: Any) -> List[Any]:
        client.flushall()
        pipe = client.pipeline()
        for i in range(300):
            pipe.set(f"p{i}", i).incr(f"c{i % 7}").get(f"p{i}")
        pipe.rpush("{l}list", 1, 2).lrange("{l}list", 0, -1).hset("h", "f", "v").hgetall("h")
        return pipe.execute()

    assert run(rc) == run(oracle)
    pipe = rc.pipeline()
    pipe.set("s", "text").incr("s").get("s")
    out = pipe.execute(raise_on_error=False)
    assert out[0] is True and isinstance(out[1], exc.ResponseError) and out[2] == b"text"
    with pytest.raises(exc.ResponseError, match="not an integer"):
        rc.pipeline().set("s", "text").incr("s").execute()
    assert rc.pipeline().execute() == []


def test_pipeline_transactions_in_one_slot(rc: Any) -> None:
    with rc.pipeline(transaction=True) as pipe:
        assert pipe.set("{acct}a", 10).incrby("{acct}a", 5).set("{acct}b", 1).execute() == [True, 15, True]
    with pytest.raises(exc.CrossSlotTransactionError):
        rc.pipeline(transaction=True).set("a", 1).set("b", 2).execute()

    def move(pipe: Any) -> None:
        balance = int(pipe.get("{acct}a"))
        pipe.multi()
        pipe.set("{acct}a", balance - 3)
        pipe.incrby("{acct}b", 3)

    assert rc.transaction(move, "{acct}a") == [True, 4]
    assert rc.mget("{acct}a", "{acct}b") == [b"12", b"4"]


@pytest.mark.parametrize("which", ["rc", "oracle"])
def test_watching_more_keys_of_the_slot_keeps_the_first(which: str, request: pytest.FixtureRequest) -> None:
    """A second WATCH (same slot) adds keys on the watching connection:
    a change to the first key still fails the transaction; a key of
    another slot is refused."""
    client = request.getfixturevalue(which)
    client.set("{w}a", 1)
    with client.pipeline(transaction=True) as pipe:
        pipe.watch("{w}a")
        pipe.watch("{w}b")
        with pytest.raises(redis.exceptions.CrossSlotTransactionError):
            pipe.watch("elsewhere")
        client.set("{w}a", 5)
        pipe.multi()
        pipe.incr("{w}a")
        with pytest.raises(redis.exceptions.WatchError):
            pipe.execute()
    assert client.get("{w}a") == b"5"
    assert client.get_random_primary_node().server_type == "primary"
    assert client.get_random_primary_or_all_nodes("GET").server_type == "primary"


def test_scan_iter_covers_every_node(rc: Any, oracle: Any) -> None:
    keys = {f"scan:{i}".encode() for i in range(300)}
    rc.mset_nonatomic({k: 1 for k in keys})
    rc.set("other", 1)
    assert set(rc.scan_iter(match="scan:*", count=50)) == keys
    assert set(oracle.scan_iter(match="scan:*")) == keys
    assert len(list(rc.scan_iter())) == 301
    rc.hset("hash-typed", "f", 1)
    assert list(rc.scan_iter(_type="hash")) == [b"hash-typed"]


def _wait_message(p: Any, timeout: float = 5) -> Any:
    deadline = time.time() + timeout
    while time.time() < deadline:
        m = p.get_message(timeout=0.5, ignore_subscribe_messages=True)
        if m is not None:
            return m
    return None


def test_pubsub_and_sharded_pubsub(rc: Any) -> None:
    p = rc.pubsub()
    p.subscribe("news")
    assert p.get_message(timeout=5)["type"] == "subscribe"
    # PUBLISH reaches every node over the cluster bus; its count is the
    # receiving node's own subscribers.
    assert rc.publish("news", "hello") in (0, 1)
    m = _wait_message(p)
    assert m["type"] == "message" and m["channel"] == b"news" and m["data"] == b"hello"
    p.close()
    # Shard channels on every master: each is subscribed on its slot's node.
    channels = ["sc:a", "sc:b", "sc:c", "sc:d", "sc:e", "sc:f"]
    assert len({rc.get_node_from_key(c).name for c in channels}) == 3
    sp = rc.pubsub()
    sp.ssubscribe(*channels)
    confirmed = 0
    deadline = time.time() + 5
    while confirmed < len(channels) and time.time() < deadline:
        m = sp.get_message(timeout=0.5)
        if m and m["type"] == "ssubscribe":
            confirmed += 1
    assert confirmed == len(channels)
    for c in channels:
        assert rc.spublish(c, f"to {c}") == 1
    got = {}
    for _ in channels:
        m = _wait_message(sp)
        assert m is not None and m["type"] == "smessage"
        got[m["channel"].decode()] = m["data"].decode()
    assert got == {c: f"to {c}" for c in channels}
    sp.close()


def _notified_keys(ksn: Any, want: int, timeout: float = 10) -> List[str]:
    keys: List[str] = []
    deadline = time.time() + timeout
    while len(keys) < want and time.time() < deadline:
        n = ksn.get_message(timeout=0.5)
        if n is not None:
            keys.append(n.key)
    return keys


@pytest.mark.parametrize("which", ["redcore", "redis-py"])
def test_cluster_keyspace_notifications_cover_every_primary(which: str, rc: Any, oracle: Any, cluster_servers: Any) -> None:
    """Each primary publishes the events of its own keys: the cluster
    object subscribes on all of them. redis-py's class on redis-py's
    cluster client is the reference."""
    from redis.keyspace_notifications import ClusterKeyspaceNotifications as Theirs

    client = rc if which == "redcore" else oracle
    rc.config_set("notify-keyspace-events", "KEA", target_nodes=RedisCluster.ALL_NODES)
    keys = [f"app:{i}" for i in range(12)]
    assert len({rc.get_node_from_key(k).name for k in keys}) == 3
    ksn = client.keyspace_notifications(key_prefix="app:")
    assert isinstance(ksn, Theirs) if which == "redis-py" else isinstance(ksn, redcore.ClusterKeyspaceNotifications)
    try:
        ksn.subscribe_keyevent("set")
        assert ksn.subscribed
        for k in ["other", *keys]:
            rc.set(k, 1)
        got = _notified_keys(ksn, len(keys))
        assert sorted(got) == sorted(k[len("app:"):] for k in keys)  # "other" lacks the prefix
        # Patterns and handlers; a handler takes the notifications.
        seen: List[Any] = []
        ksn.subscribe_keyspace("app:*", handler=seen.append)
        for k in keys[:6]:
            rc.delete(k)
        deadline = time.time() + 10
        while len([n for n in seen if n.event_type == "del"]) < 6 and time.time() < deadline:
            assert ksn.get_message(timeout=0.2) is None
        assert sorted(n.key for n in seen if n.event_type == "del") == sorted(k[4:] for k in keys[:6])
        # A broken primary connection: the next read refreshes the
        # subscriptions, and every primary publishes to us again.
        ksn.unsubscribe(KeyspaceChannel("app:*"))
        victim = rc.get_node_from_key(keys[0])
        redis.Redis(host=victim.host, port=victim.port).client_kill_filter(_type="pubsub")
        deadline = time.time() + 10
        got = []
        while len(got) < len(keys) and time.time() < deadline:
            for k in keys:
                rc.set(k, 2)
            got = sorted(set(_notified_keys(ksn, len(keys), timeout=2)))
        assert got == sorted(k[4:] for k in keys)
        if which == "redcore":
            ksn.refresh_subscriptions()  # nothing changed: a no-op
            assert len(ksn._node_pubsubs) == 3
    finally:
        ksn.close()
        rc.config_set("notify-keyspace-events", "", target_nodes=RedisCluster.ALL_NODES)
    assert not ksn.subscribed and ksn.get_message(timeout=0.1) is None


def test_read_from_replicas(cluster_servers: Any) -> None:
    client = RedisCluster(host="127.0.0.1", port=cluster_servers.port,
                          load_balancing_strategy=LoadBalancingStrategy.ROUND_ROBIN_REPLICAS)
    try:
        client.set("rr", "value")
        replica_ports = [n.port for n in client.get_replicas()]

        def gets() -> int:
            total = 0
            for port in replica_ports:
                stats = redis.Redis(port=port).info("commandstats")
                total += stats.get("cmdstat_get", {}).get("calls", 0)
            return total

        before = gets()
        deadline = time.time() + 5
        while client.get("rr") != b"value" and time.time() < deadline:
            time.sleep(0.01)
        for _ in range(10):
            assert client.get("rr") == b"value"
        assert gets() - before >= 10
        # Writes still go to the primary.
        assert client.incr("rr:count") == 1
    finally:
        client.close()


def test_address_remap_routes_through_the_mapped_addresses(cluster_servers: Any) -> None:
    fwd = Forwarder(cluster_servers.ports)
    seen = set()

    def remap(address: tuple) -> tuple:
        seen.add(address)
        return "127.0.0.1", fwd.port_for(address[1])

    try:
        client = RedisCluster(host="127.0.0.1", port=fwd.port_for(cluster_servers.port), address_remap=remap)
        for i in range(50):
            client.set(f"remap:{i}", i)
        assert client.mget_nonatomic([f"remap:{i}" for i in range(50)]) == [str(i).encode() for i in range(50)]
        assert {p for _, p in seen} == set(cluster_servers.ports)
        assert {n.port for n in client.get_nodes()} == {fwd.port_for(p) for p in cluster_servers.ports}
        assert fwd.connections >= 3
        client.close()
    finally:
        fwd.stop()


def test_stale_map_is_fixed_by_moved(rc: Any, cluster_servers: Any) -> None:
    slot = rc.keyslot("moved-key")
    right = rc.nodes_manager.slots_cache[slot]
    wrong = next(shard for shard in rc.nodes_manager.slots_cache.values() if shard[0] != right[0])
    rc.nodes_manager.slots_cache[slot] = wrong
    rc.nodes_manager._install()
    calls = []
    original = rc.nodes_manager._moved
    rc.nodes_manager._moved = lambda *a: (calls.append(a), original(*a))[1]
    try:
        assert rc.set("moved-key", 1) is True
        assert rc.get("moved-key") == b"1"
    finally:
        del rc.nodes_manager._moved
    assert calls and calls[0][0] == slot
    assert rc.nodes_manager.slots_cache[slot][0] == right[0]


def test_ask_during_a_migration_is_followed(rc: Any, cluster_servers: Any) -> None:
    key = "ask-key"
    slot = rc.keyslot(key)
    source = cluster_servers.owner(slot)
    target = next(p for p in cluster_servers.masters() if p != source)
    src_id, dst_id = cluster_servers.node_id(source), cluster_servers.node_id(target)
    assert cli(target, "CLUSTER", "SETSLOT", str(slot), "IMPORTING", src_id) == "OK"
    assert cli(source, "CLUSTER", "SETSLOT", str(slot), "MIGRATING", dst_id) == "OK"
    asks = []
    original = rc.nodes_manager._node_index
    rc.nodes_manager._node_index = lambda *a: (asks.append(a), original(*a))[1]
    try:
        # The key is not on the source: the source answers ASK, and the
        # client writes it on the importing node after ASKING.
        assert rc.set(key, "moved") is True
        assert asks and asks[0][1] == target
        assert rc.get(key) == b"moved"
    finally:
        del rc.nodes_manager._node_index
        pipe = redis.Redis(port=target).pipeline(transaction=False)
        pipe.execute_command("ASKING")
        pipe.delete(key)
        pipe.execute()
        for port in (source, target):
            cli(port, "CLUSTER", "SETSLOT", str(slot), "NODE", src_id)


def test_connection_kwargs_reach_every_node(cluster_servers: Any) -> None:
    client = RedisCluster(host="127.0.0.1", port=cluster_servers.port, decode_responses=True, client_name="rc-test")
    try:
        client.set("dec", "value")
        assert client.get("dec") == "value"
        node = client.get_node_from_key("dec")
        assert client.client_getname(target_nodes=node) == "rc-test"
    finally:
        client.close()


def test_from_url_and_startup_nodes(cluster_servers: Any) -> None:
    a = RedisCluster.from_url(f"redis://127.0.0.1:{cluster_servers.port}/0")
    b = redcore.RedisCluster(startup_nodes=[ClusterNode("localhost", 1), ClusterNode("127.0.0.1", cluster_servers.ports[2])])
    try:
        assert a.set("url", 1) and b.get("url") == b"1"
        assert len(a.get_nodes()) == len(b.get_nodes()) == 6
    finally:
        a.close()
        b.close()
    with pytest.raises(redis.exceptions.RedisClusterException):
        RedisCluster()
    with pytest.raises(redis.exceptions.RedisClusterException):
        RedisCluster(host="127.0.0.1", port=cluster_servers.port, db=1)


def test_type_compatibility(rc: Any) -> None:
    assert isinstance(rc, redis.cluster.RedisCluster)
    assert isinstance(rc.pipeline(), redis.client.Pipeline)
    assert isinstance(rc.pubsub(), redis.cluster.ClusterPubSub)
    with pytest.raises(redis.exceptions.RedisClusterException):
        rc.pipeline().delete("a", "b")
    assert isinstance(rc.get_nodes()[0], ClusterNode)
    assert bool(rc)
    assert repr(rc).startswith("RedisCluster<")


def test_refreshing_the_map_reuses_the_node_pools(rc: Any) -> None:
    # redis-py #3917: every refresh leaked the old pools' connections.
    for i in range(30):
        rc.set(f"leak:{i}", i)
    pools = {name: pool for name, pool in rc.nodes_manager._pools.items()}
    before = sum(p.get_connection_count() for p in pools.values())
    for _ in range(20):
        rc.nodes_manager.initialize()
        rc.get("leak:1")
    assert rc.nodes_manager._pools == pools
    assert sum(p.get_connection_count() for p in pools.values()) <= before + len(pools)


def test_threads_share_one_cluster_client(rc: Any) -> None:
    errors: List[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(200):
                rc.incr(f"thr:{i % 20}")
                rc.get(f"thr:{n}:{i}")
        except BaseException as e:  # noqa: BLE001 - collected and checked
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sum(int(v) for v in rc.mget_nonatomic([f"thr:{i}" for i in range(20)])) == 800
