"""redcore.asyncio.sentinel on the real Sentinel deployment of
test_sentinel_client.py (a master, two replicas, three ``redis-sentinel``
processes; one deployment per test session, ``sentinel_group``).

Discovery is compared with redis.asyncio.sentinel's. Failover handling is
tested quickly with a stand-in Sentinel manager that names a replica or a
dead address first (READONLY and connection errors re-ask Sentinel,
redis-py #3874; a switch loses no pool slot, #4187), and for real with
``SENTINEL FAILOVER`` while an async writer and subscribers (async and
sync) run (marked ``long``).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, AsyncIterator, List, Tuple

import pytest
import pytest_asyncio
import redis
import redis.asyncio.sentinel

import redcore
import redcore.asyncio
import redcore.sentinel
from redcore.asyncio.connection import BlockingConnectionPool
from redcore.asyncio.sentinel import (
    MasterNotFoundError,
    Sentinel,
    SentinelConnectionPool,
    SentinelManagedConnection,
    SlaveNotFoundError,
)
from cluster_support import LocalSentinel, free_ports, wait_for

pytestmark = pytest.mark.asyncio


@pytest.fixture
def group(sentinel_group: LocalSentinel) -> LocalSentinel:
    return sentinel_group


@pytest_asyncio.fixture
async def sentinel(group: LocalSentinel) -> AsyncIterator[Sentinel]:
    s = Sentinel(group.sentinels, socket_timeout=1)
    yield s
    await s.aclose()


async def test_discovery_matches_redis_asyncio(group: LocalSentinel, sentinel: Sentinel) -> None:
    theirs = redis.asyncio.sentinel.Sentinel(group.sentinels, socket_timeout=1)
    master = await sentinel.discover_master(group.service)
    assert master == await theirs.discover_master(group.service)
    assert master[1] == group.current_master()
    mine = sorted(await sentinel.discover_slaves(group.service))
    assert mine == sorted(await theirs.discover_slaves(group.service))
    assert len(mine) == 2
    with pytest.raises(MasterNotFoundError, match="No master found for 'nosuch'") as caught:
        await sentinel.discover_master("nosuch")
    # The async error is also the sync one and redis.asyncio's.
    assert isinstance(caught.value, redcore.sentinel.MasterNotFoundError)
    assert isinstance(caught.value, redis.asyncio.sentinel.MasterNotFoundError)
    assert isinstance(caught.value, redcore.ConnectionError)
    assert await sentinel.discover_slaves("nosuch") == []
    assert repr(sentinel).startswith("<redcore.asyncio.sentinel.Sentinel(sentinels=[127.0.0.1:")
    assert isinstance(sentinel, redis.asyncio.sentinel.Sentinel)
    assert await sentinel.sentinel_master(group.service) is True
    assert await theirs.sentinel_master(group.service) is True
    assert len(await sentinel.execute_command("PING", return_responses=True)) == 3
    await theirs.aclose()


async def test_master_and_replica_clients(group: LocalSentinel, sentinel: Sentinel) -> None:
    master = sentinel.master_for(group.service, socket_timeout=2, decode_responses=True)
    pool = master.connection_pool
    assert isinstance(master, redcore.asyncio.Redis)
    assert isinstance(pool, SentinelConnectionPool)
    assert isinstance(pool, redis.asyncio.sentinel.SentinelConnectionPool)
    assert repr(pool).endswith("(service=mymaster(master))>")
    assert await master.set("asentinel:k", "v") is True
    assert pool.master_address == await sentinel.discover_master(group.service)
    assert await pool.get_master_address() == pool.master_address
    conn = await pool.get_connection()
    assert isinstance(conn, SentinelManagedConnection)
    assert isinstance(conn, redis.asyncio.sentinel.SentinelManagedConnection)
    assert conn.address == pool.master_address and pool.owns_connection(conn)
    await pool.release(conn)
    async with master.pipeline() as pipe:
        assert await pipe.incr("asentinel:n").incr("asentinel:n").execute() == [1, 2]
    # Pub/sub goes to the master Sentinel names, not the placeholder address.
    p = master.pubsub(ignore_subscribe_messages=True)
    await p.subscribe("asentinel:news")
    await p.get_message(timeout=1)
    assert await master.publish("asentinel:news", "hi") == 1
    message = await p.get_message(timeout=2)
    assert message is not None and message["data"] == "hi"
    await p.aclose()

    replica = sentinel.slave_for(group.service, socket_timeout=2, decode_responses=True)
    deadline = time.monotonic() + 10
    while await replica.get("asentinel:k") != "v":
        assert time.monotonic() < deadline, "replication"
        await asyncio.sleep(0.05)
    assert (await replica.info("replication"))["role"] == "slave"
    with pytest.raises(redcore.ReadOnlyError):
        await replica.set("asentinel:k", "w")
    # A replica pool does not follow the master: the refusal is the answer.
    await master.aclose()
    await replica.aclose()
    with pytest.raises(SlaveNotFoundError):
        async for _ in SentinelConnectionPool("nosuch", sentinel, is_master=False).rotate_slaves():
            pass


class _Scripted:
    """A stand-in Sentinel manager answering from a list of addresses (the
    last one repeats); counts the questions."""

    def __init__(self, addresses: List[Tuple[str, int]]) -> None:
        self.addresses = list(addresses)
        self.asked = 0

    async def discover_master(self, service_name: str) -> Tuple[str, int]:
        self.asked += 1
        return self.addresses.pop(0) if len(self.addresses) > 1 else self.addresses[0]

    async def discover_slaves(self, service_name: str) -> List[Tuple[str, int]]:
        return []


async def test_readonly_reply_reasks_sentinel_and_retries(group: LocalSentinel) -> None:
    # The manager first names a replica (a stale view during a failover):
    # the write is refused with READONLY, the pool drops the connection,
    # asks again and the write lands on the master, once.
    replica, master = ("127.0.0.1", group.replica_ports[0]), ("127.0.0.1", group.current_master())
    manager = _Scripted([replica, master])
    pool = SentinelConnectionPool(group.service, manager)  # type: ignore[arg-type]
    client = redcore.asyncio.Redis(connection_pool=pool)
    await client.delete("aro:counter")
    assert manager.asked == 2
    assert await client.incr("aro:counter") == 1
    assert redis.Redis(port=master[1]).get("aro:counter") == b"1"
    for transaction in (False, True):
        manager.addresses = [replica, master]
        await pool.disconnect()
        async with client.pipeline(transaction=transaction) as pipe:
            assert await pipe.incr("aro:counter").incr("aro:counter").execute() == ([2, 3] if not transaction else [4, 5])
    assert redis.Redis(port=master[1]).get("aro:counter") == b"5"
    await client.aclose()


async def test_connection_error_reasks_sentinel(group: LocalSentinel) -> None:
    dead = ("127.0.0.1", free_ports(1)[0])
    master = ("127.0.0.1", group.current_master())
    manager = _Scripted([dead, dead, master])
    client = redcore.asyncio.Redis(connection_pool=SentinelConnectionPool(group.service, manager))  # type: ignore[arg-type]
    assert await client.set("ace:k", 1) is True
    assert manager.asked == 3
    await client.aclose()
    # With retries off, the first failure is the answer.
    manager = _Scripted([dead, master])
    pool = SentinelConnectionPool(group.service, manager, retry=redcore.asyncio.retry.Retry(redcore.backoff.NoBackoff(), 0))  # type: ignore[arg-type]
    client = redcore.asyncio.Redis(connection_pool=pool)
    with pytest.raises(redcore.ConnectionError):
        await client.set("ace:k", 2)
    assert manager.asked == 1
    await client.aclose()


async def test_master_switches_lose_no_pool_slot(group: LocalSentinel) -> None:
    # One connection of its own allowed: a connection to a master that is
    # no longer the master must give its slot back when released (#4187).
    replica, master = ("127.0.0.1", group.replica_ports[1]), ("127.0.0.1", group.current_master())
    manager = _Scripted([master])

    class Pool(SentinelConnectionPool, BlockingConnectionPool):  # type: ignore[misc]
        pass

    pool = Pool(group.service, manager, max_connections=1, timeout=1)  # type: ignore[arg-type]
    client = redcore.asyncio.Redis(connection_pool=pool)
    for i in range(10):
        manager.addresses = [master]
        async with client.pipeline() as pipe:
            # WATCH holds a connection of its own (the pool's only one).
            await pipe.watch(f"aslot:{i}")
            # Meanwhile Sentinel names another master.
            manager.addresses = [replica]
            assert await pool.get_master_address() == replica
            pipe.multi()
            pipe.set(f"aslot:{i}", i)
            assert await pipe.execute() == [True]
        assert not pool._in_use and not pool._idle  # closed, not pooled
    manager.addresses = [master]
    assert await pool.get_master_address() == master
    assert await client.set("aslot:end", 1) is True
    await client.aclose()


async def _wait_async(what: str, check: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if await check():
                return
        except Exception:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


@pytest.mark.long
async def test_async_client_follows_a_sentinel_failover(group: LocalSentinel) -> None:
    """``SENTINEL FAILOVER`` while an async writer runs: the writer goes
    on on the new master, losing no acknowledged write beyond what
    asynchronous replication allows; async and sync subscribers of
    ``master_for`` clients re-subscribe on the new master."""
    old = group.wait_settled()
    sentinel = Sentinel(group.sentinels, socket_timeout=1)
    master = sentinel.master_for(group.service, socket_timeout=1)
    sync_sentinel = redcore.sentinel.Sentinel(group.sentinels, socket_timeout=1)
    sync_master = sync_sentinel.master_for(group.service, socket_timeout=1)
    await master.delete("afailover:log")
    sub = master.pubsub(ignore_subscribe_messages=True)
    await sub.subscribe("afailover:news")
    sync_sub = sync_master.pubsub(ignore_subscribe_messages=True)
    sync_sub.subscribe("afailover:news")
    await _wait_async("subscribers", lambda: master.publish("afailover:news", "before"), timeout=5)
    assert redis.Redis(port=old).pubsub_numsub("afailover:news")[0][1] == 2

    acked: List[Tuple[float, int]] = []
    errors: List[BaseException] = []
    stop = asyncio.Event()

    async def writer() -> None:
        i = 0
        while not stop.is_set():
            i += 1
            try:
                await master.rpush("afailover:log", i)
                acked.append((time.monotonic(), i))
            except (redcore.ConnectionError, redcore.TimeoutError) as e:
                errors.append(e)
            await asyncio.sleep(0.002)

    task = asyncio.create_task(writer())
    await asyncio.sleep(0.5)
    started = time.monotonic()
    assert redis.Redis(port=group.sentinel_ports[0]).execute_command("SENTINEL", "FAILOVER", group.service)
    await _wait_async("a new master", lambda: asyncio.to_thread(lambda: group.current_master() != old))
    switched = time.monotonic()
    new = group.current_master()
    await asyncio.sleep(1.5)
    stop.set()
    await task
    stored = {int(x) for x in redis.Redis(port=new).lrange("afailover:log", 0, -1)}
    after = [i for at, i in acked if at > switched + 0.5]
    assert len(after) > 50, "the client did not go on writing on the new master"
    lost = {i for at, i in acked if i not in stored}
    assert all(started <= at <= switched + 0.5 for at, i in acked if i in lost), (len(lost), len(acked))
    assert not errors, errors[:3]
    assert master.connection_pool.master_address == ("127.0.0.1", new)

    # Both subscribers moved to the new master and hear what it publishes.
    async def async_heard() -> bool:
        await master.publish("afailover:news", "after")
        for _ in range(5):
            m = await sub.get_message(timeout=0.1)
            if m is not None and m["data"] == b"after":
                return True
        return False

    def sync_heard() -> bool:
        sync_master.publish("afailover:news", "after")
        for _ in range(5):
            m = sync_sub.get_message(timeout=0.1)
            if m is not None and m["data"] == b"after":
                return True
        return False

    await _wait_async("the async subscriber on the new master", async_heard, timeout=15)
    await _wait_async("the sync subscriber on the new master", lambda: asyncio.to_thread(sync_heard), timeout=15)
    assert redis.Redis(port=new).pubsub_numsub("afailover:news")[0][1] == 2
    await sub.aclose()
    sync_sub.close()
    sync_master.close()
    sync_sentinel.close()
    await master.aclose()
    await sentinel.aclose()
    group.wait_settled()


async def test_subscriber_moves_with_the_master(group: LocalSentinel) -> None:
    # As for the sync client: a switch makes the PubSub's connection
    # reconnect where Sentinel now points, and re-subscribe there (a
    # replica stands in for the new master; publishes on the master reach
    # its subscribers through replication).
    master, replica = ("127.0.0.1", group.current_master()), ("127.0.0.1", group.replica_ports[0])
    manager = _Scripted([master])
    pool = SentinelConnectionPool(group.service, manager)  # type: ignore[arg-type]
    client = redcore.asyncio.Redis(connection_pool=pool)
    p = client.pubsub(ignore_subscribe_messages=True)
    await p.subscribe("amoving:news")
    await p.get_message(timeout=1)

    def numsub(port: int) -> int:
        return redis.Redis(port=port).pubsub_numsub("amoving:news")[0][1]

    assert numsub(master[1]) == 1 and numsub(replica[1]) == 0
    manager.addresses = [replica]
    pool._switched(master, replica)
    await p.get_message(timeout=0.2)  # reconnects and re-subscribes
    await _wait_async("the subscriber on the new address", lambda: asyncio.to_thread(lambda: numsub(replica[1]) == 1 and numsub(master[1]) == 0), timeout=5)
    assert redis.Redis(port=master[1]).publish("amoving:news", "hello") == 0

    async def heard() -> bool:
        m = await p.get_message(timeout=0.2)
        return m is not None and m["data"] == b"hello"

    await _wait_async("a message through the new connection", heard, timeout=5)
    await p.aclose()
    await client.aclose()
