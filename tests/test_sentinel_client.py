"""redcore.sentinel on a real Sentinel deployment: a master, two replicas
and three ``redis-sentinel`` processes (Debian's) watching ``mymaster``,
started once for this module.

Discovery is compared with redis-py's Sentinel. The failover handling is
tested two ways: quickly, with a pool whose Sentinel manager hands out a
replica's or a dead address first (the client must re-ask on READONLY and
on connection errors, redis-py #3874 / #3310, without losing a pool slot,
#4187); and for real, with ``SENTINEL FAILOVER`` while a writer runs
(marked ``long``).
"""

from __future__ import annotations

import threading
import time
from typing import Any, Iterator, List, Tuple

import pytest
import redis
import redis.sentinel

import redcore
from redcore.connection import BlockingConnectionPool
from redcore.sentinel import MasterNotFoundError, Sentinel, SentinelConnectionPool, SlaveNotFoundError
from cluster_support import LocalSentinel, free_ports, wait_for


@pytest.fixture
def group(sentinel_group: LocalSentinel) -> LocalSentinel:
    return sentinel_group


@pytest.fixture
def sentinel(group: LocalSentinel) -> Iterator[Sentinel]:
    s = Sentinel(group.sentinels, socket_timeout=1)
    yield s
    s.close()


def test_discovery_matches_redis_py(group: LocalSentinel, sentinel: Sentinel) -> None:
    theirs = redis.sentinel.Sentinel(group.sentinels, socket_timeout=1)
    master = sentinel.discover_master(group.service)
    assert master == theirs.discover_master(group.service)
    assert master[1] == group.current_master()
    assert sorted(sentinel.discover_slaves(group.service)) == sorted(theirs.discover_slaves(group.service))
    assert len(sentinel.discover_slaves(group.service)) == 2
    with pytest.raises(MasterNotFoundError, match="No master found for 'nosuch'"):
        sentinel.discover_master("nosuch")
    with pytest.raises(redis.sentinel.MasterNotFoundError):
        sentinel.discover_master("nosuch")
    assert sentinel.discover_slaves("nosuch") == []
    assert repr(sentinel).startswith("<redcore.sentinel.Sentinel(sentinels=[127.0.0.1:")
    assert isinstance(sentinel, redis.sentinel.Sentinel)
    assert sentinel.sentinel_master(group.service) is theirs.sentinel_master(group.service) is True
    theirs.close()


def test_master_and_replica_clients(group: LocalSentinel, sentinel: Sentinel) -> None:
    master = sentinel.master_for(group.service, socket_timeout=2, decode_responses=True)
    assert isinstance(master, redcore.Redis)
    assert isinstance(master.connection_pool, SentinelConnectionPool)
    assert isinstance(master.connection_pool, redis.sentinel.SentinelConnectionPool)
    assert repr(master.connection_pool).endswith("(service=mymaster(master))>")
    assert master.set("sentinel:k", "v") is True
    assert master.connection_pool.master_address == sentinel.discover_master(group.service)
    # Pub/sub goes to the master Sentinel names, not the pool's placeholder address.
    p = master.pubsub(ignore_subscribe_messages=True)
    p.subscribe("sentinel:news")
    wait_for("subscription", lambda: master.publish("sentinel:news", "hi") == 1, timeout=5)
    got = [p.get_message(timeout=1) for _ in range(3)]
    assert any(m and m["data"] == "hi" for m in got), got
    p.close()
    replica = sentinel.slave_for(group.service, socket_timeout=2, decode_responses=True)
    wait_for("replication", lambda: replica.get("sentinel:k") == "v", timeout=10)
    assert replica.info("replication")["role"] == "slave"
    with pytest.raises(redcore.ReadOnlyError):
        replica.set("sentinel:k", "w")
    master.close()
    replica.close()
    with pytest.raises(SlaveNotFoundError):
        next(iter(SentinelConnectionPool("nosuch", sentinel, is_master=False).rotate_slaves()))


class _Scripted:
    """A stand-in Sentinel manager answering from a list of addresses (the
    last one repeats); counts the questions."""

    def __init__(self, addresses: List[Tuple[str, int]]) -> None:
        self.addresses = list(addresses)
        self.asked = 0

    def discover_master(self, service_name: str) -> Tuple[str, int]:
        self.asked += 1
        return self.addresses.pop(0) if len(self.addresses) > 1 else self.addresses[0]

    def discover_slaves(self, service_name: str) -> List[Tuple[str, int]]:
        return []


def test_readonly_reply_reasks_sentinel_and_retries(group: LocalSentinel) -> None:
    # The manager first names a replica (a stale view during a failover):
    # the write is refused with READONLY, the pool drops the connection,
    # asks again and the write lands on the master, once.
    replica, master = ("127.0.0.1", group.replica_ports[0]), ("127.0.0.1", group.current_master())
    manager = _Scripted([replica, master])
    client = redcore.Redis(connection_pool=SentinelConnectionPool(group.service, manager))  # type: ignore[arg-type]
    client.delete("ro:counter")
    assert client.incr("ro:counter") == 1
    assert manager.asked == 2
    assert redis.Redis(port=master[1]).get("ro:counter") == b"1"
    pipe = client.pipeline()
    manager.addresses = [replica, master]
    client.connection_pool.disconnect()
    assert pipe.incr("ro:counter").incr("ro:counter").execute() == [2, 3]
    client.close()


def test_connection_error_reasks_sentinel(group: LocalSentinel) -> None:
    dead = ("127.0.0.1", free_ports(1)[0])
    master = ("127.0.0.1", group.current_master())
    manager = _Scripted([dead, dead, master])
    client = redcore.Redis(connection_pool=SentinelConnectionPool(group.service, manager))  # type: ignore[arg-type]
    assert client.set("ce:k", 1) is True
    assert manager.asked == 3
    client.close()


def test_master_switches_lose_no_pool_slot(group: LocalSentinel) -> None:
    # One connection allowed: every switch must give its slot back (#4187).
    replica, master = ("127.0.0.1", group.replica_ports[1]), ("127.0.0.1", group.current_master())
    manager = _Scripted([master])

    class Pool(SentinelConnectionPool, BlockingConnectionPool):  # type: ignore[misc]
        pass

    pool = Pool(group.service, manager, max_connections=1, timeout=1)  # type: ignore[arg-type]
    client = redcore.Redis(connection_pool=pool)
    for i in range(10):
        manager.addresses = [replica, master]
        pool.disconnect()
        assert client.set(f"slot:{i}", i) is True
    assert pool.get_connection_count() <= 1
    client.close()


@pytest.mark.long
def test_sentinel_failover_is_followed_without_losing_acknowledged_writes(group: LocalSentinel, sentinel: Sentinel) -> None:
    master = sentinel.master_for(group.service, socket_timeout=1)
    old = group.current_master()
    acked: List[Tuple[float, int]] = []
    errors: List[BaseException] = []
    stop = threading.Event()

    def writer() -> None:
        i = 0
        while not stop.is_set():
            i += 1
            try:
                master.rpush("failover:log", i)
                acked.append((time.monotonic(), i))
            except (redcore.ConnectionError, redcore.TimeoutError) as e:
                errors.append(e)
            time.sleep(0.002)

    t = threading.Thread(target=writer)
    t.start()
    time.sleep(0.5)
    started = time.monotonic()
    assert redis.Redis(port=group.sentinel_ports[0]).execute_command("SENTINEL", "FAILOVER", group.service)
    wait_for("a new master", lambda: group.current_master() != old, timeout=30)
    switched = time.monotonic()
    new = group.current_master()
    time.sleep(1.5)
    stop.set()
    t.join()
    stored = {int(x) for x in redis.Redis(port=new).lrange("failover:log", 0, -1)}
    after = [i for at, i in acked if at > switched + 0.5]
    assert len(after) > 50, "the client did not go on writing on the new master"
    # Everything acknowledged before the failover, and once the client
    # heard of the new master, is on the new master; only writes the old
    # master acknowledged while the replica was being promoted can be lost
    # (Redis's asynchronous replication).
    lost = {i for at, i in acked if i not in stored}
    lost_at = sorted((round(at - started, 2), i) for at, i in acked if i in lost)
    assert all(started <= at <= switched + 0.5 for at, i in acked if i in lost), (round(switched - started, 2), len(lost), lost_at[:3], lost_at[-3:], len(acked))
    assert not errors, errors[:3]
    master.close()


def test_subscriber_moves_with_the_master(group: LocalSentinel) -> None:
    # A switch announced for the pool (what +switch-master does) makes its
    # pub/sub connection reconnect where Sentinel now points, and
    # re-subscribe there (a replica stands in for the new master here:
    # publishes on the master reach its subscribers through replication).
    master, replica = ("127.0.0.1", group.current_master()), ("127.0.0.1", group.replica_ports[0])
    manager = _Scripted([master])
    client = redcore.Redis(connection_pool=SentinelConnectionPool(group.service, manager))  # type: ignore[arg-type]
    p = client.pubsub(ignore_subscribe_messages=True)
    p.subscribe("moving:news")
    p.get_message(timeout=1)
    numsub = lambda port: redis.Redis(port=port).pubsub_numsub("moving:news")[0][1]  # noqa: E731
    assert numsub(master[1]) == 1 and numsub(replica[1]) == 0
    manager.addresses = [replica]
    client.connection_pool._switched(master, replica)
    p.get_message(timeout=0.2)  # reconnects and re-subscribes
    wait_for("the subscriber on the new address", lambda: numsub(replica[1]) == 1 and numsub(master[1]) == 0, timeout=5)
    assert redis.Redis(port=master[1]).publish("moving:news", "hello") == 0

    def heard() -> bool:
        m = p.get_message(timeout=0.2)
        return m is not None and m["data"] == b"hello"

    wait_for("a message through the new connection", heard, timeout=5)
    p.close()
    client.close()
