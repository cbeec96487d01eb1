"""redcore.asyncio's keyspace notifications, monitor, parse_response and
reset, and its module exports, against redis.asyncio's.

Each behaviour runs on ``embedded`` (redcore.asyncio on the in-process
engine), ``remote`` (redcore.asyncio -> redis-server) and ``oracle``
(redis.asyncio and its own classes -> redis-server), expecting the same
answers; the cluster class runs on the session's real cluster, with
redis-py's on redis.asyncio's cluster client as the reference.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from typing import Any, AsyncIterator, Callable, List, Tuple

import pytest
import pytest_asyncio
import redis
import redis.asyncio
import redis.asyncio.cluster
import redis.asyncio.keyspace_notifications as theirs_async
import redis.keyspace_notifications as theirs

import redcore
import redcore.asyncio
import redcore.asyncio.keyspace_notifications as ours_async
import redcore.keyspace_notifications as ours
from redcore._compat import _Absent
from test_asyncio import ABACKENDS, make_async

@pytest_asyncio.fixture(params=ABACKENDS)
async def amake(request: Any, redis_server: Any) -> AsyncIterator[Callable[..., Any]]:
    """``amake(**kwargs)``: an async client of the backend, all on one
    empty dataset, with every keyspace and keyevent notification on (the
    setting is restored)."""
    engine = f"aksn-{request.node.name}-{time.monotonic_ns()}"
    made: List[Any] = []
    if request.param != "embedded":
        redis_server.client().flushall()

    def factory(**kwargs: Any) -> Any:
        c = make_async(request.param, redis_server, engine, **kwargs)
        made.append(c)
        return c

    admin = factory()
    old = (await admin.config_get("notify-keyspace-events"))["notify-keyspace-events"]
    await admin.config_set("notify-keyspace-events", "KEA")
    yield factory
    await admin.config_set("notify-keyspace-events", old)
    for c in made:
        await c.aclose()
    redcore._redcore.forget_engine(engine)


def mod(client: Any) -> Any:
    """The sync module whose channel classes go with ``client``."""
    return theirs if client.backend == "oracle" else ours


def fields(n: Any) -> Tuple[Any, ...]:
    return (n.key, n.event_type, n.database, n.channel, n.is_keyspace, n.data, n.subkeys)


async def collect(ksn: Any, count: int, timeout: float = 5) -> List[Any]:
    """The next ``count`` notifications (None results skipped)."""
    got: List[Any] = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        n = await ksn.get_message(timeout=0.2)
        if n is not None:
            got.append(n)
    return got


async def until(predicate: Callable[[], Any], timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def unsubscribed_everywhere(r: Any, channel: str) -> None:
    """Waits until the server has taken an unsubscription (it travels on
    the subscriber's connection, the next writes on another)."""
    deadline = time.monotonic() + 5
    while ((await r.pubsub_numsub(channel))[0][1] or await r.pubsub_numpat()) and time.monotonic() < deadline:
        await asyncio.sleep(0.01)


# -- AsyncKeyspaceNotifications --------------------------------------------------


@pytest.mark.asyncio
async def test_keyspace_with_key_prefix(amake: Callable[..., Any]) -> None:
    r = amake()
    ksn = r.keyspace_notifications(key_prefix="user:")
    expected_class = theirs_async.AsyncKeyspaceNotifications if r.backend == "oracle" else ours_async.AsyncKeyspaceNotifications
    assert type(ksn) is expected_class
    async with ksn:
        await ksn.subscribe_keyspace("user:*")
        await ksn.subscribe_keyspace("other")  # an exact channel, filtered out by the prefix
        assert ksn.subscribed
        assert await ksn.get_message(timeout=1) is None  # confirmations are dropped
        await r.set("user:1", "ada")
        await r.set("other", "x")
        await r.hset("user:2", "name", "bob")
        await r.delete("user:1")
        got = await collect(ksn, 3)
    assert [fields(n) for n in got] == [
        ("1", "set", 0, "__keyspace@0__:user:1", True, "set", []),
        ("2", "hset", 0, "__keyspace@0__:user:2", True, "hset", []),
        ("1", "del", 0, "__keyspace@0__:user:1", True, "del", []),
    ]
    # Closed by the async with block.
    assert not ksn.subscribed and await ksn.get_message(timeout=0.1) is None


@pytest.mark.asyncio
async def test_keyevent_channels_and_unsubscribe(amake: Callable[..., Any]) -> None:
    r = amake(decode_responses=True)
    m = mod(r)
    ksn = r.keyspace_notifications()
    await ksn.subscribe(m.KeyeventChannel(m.EventType.LPUSH), "__keyevent@0__:zadd", b"__keyevent@0__:in*")
    await r.lpush("queue", "a")
    await r.zadd("board", {"ann": 1})
    await r.incrby("hits", 2)
    got = await collect(ksn, 3)
    assert [(n.key, n.event_type, n.is_keyspace, n.data, n.channel) for n in got] == [
        ("queue", "lpush", False, "queue", "__keyevent@0__:lpush"),
        ("board", "zadd", False, "board", "__keyevent@0__:zadd"),
        ("hits", "incrby", False, "hits", "__keyevent@0__:incrby"),
    ]
    await ksn.unsubscribe("__keyevent@0__:zadd", b"__keyevent@0__:in*")
    await unsubscribed_everywhere(r, "__keyevent@0__:zadd")
    await r.zadd("board", {"bo": 2})
    await r.incr("hits")
    await r.lpush("queue", "b")
    assert [(n.key, n.event_type) for n in await collect(ksn, 1)] == [("queue", "lpush")]
    assert await ksn.get_message(timeout=0.2) is None
    await ksn.unsubscribe(m.KeyeventChannel("lpush"))
    assert await collect(ksn, 1, timeout=0.5) == [] and not ksn.subscribed
    await ksn.aclose()


@pytest.mark.asyncio
async def test_all_events_of_another_database(amake: Callable[..., Any]) -> None:
    r = amake(db=1)
    ksn = r.keyspace_notifications(ignore_subscribe_messages=False)
    await ksn.subscribe(mod(r).KeyeventChannel.all_events(db=1))
    # Confirmations are not notifications: None even when not ignored.
    assert await ksn.get_message(timeout=1) is None
    assert await ksn.get_message(ignore_subscribe_messages=True, timeout=0.05) is None
    await r.set("k", "1")
    await r.expire("k", 100)
    await r.rename("k", "k2")
    got = await collect(ksn, 4)
    assert [(n.key, n.event_type, n.database) for n in got] == [
        ("k", "set", 1), ("k", "expire", 1), ("k", "rename_from", 1), ("k2", "rename_to", 1),
    ]
    await ksn.aclose()


@pytest.mark.asyncio
async def test_sync_and_async_handlers_with_run(amake: Callable[..., Any]) -> None:
    r = amake()
    seen: List[Tuple[str, str, str]] = []

    def on_sync(n: Any) -> None:
        seen.append(("sync", n.key, n.event_type))

    async def on_async(n: Any) -> None:
        await asyncio.sleep(0)
        seen.append(("async", n.key, n.event_type))

    ksn = r.keyspace_notifications(key_prefix=b"job:")
    await ksn.subscribe_keyspace("job:*", handler=on_sync)
    await ksn.subscribe_keyevent("del", handler=on_async)
    await ksn.subscribe_keyevent("expire")  # no handler: run() drops these
    task = asyncio.create_task(ksn.run(poll_timeout=0.05))
    try:
        await r.set("job:1", "queued")
        await r.set("unrelated", "x")
        await r.expire("unrelated", 100)
        await r.delete("job:1")
        await until(lambda: len(seen) == 3)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert seen == [("sync", "1", "set"), ("sync", "1", "del"), ("async", "1", "del")]
    # A handler's notifications do not come out of get_message.
    await r.set("job:2", "x")
    await r.expire("job:2", 50)
    assert [(n.key, n.event_type) for n in await collect(ksn, 1)] == [("2", "expire")]
    assert seen[3:] == [("sync", "2", "set"), ("sync", "2", "expire")]
    await ksn.aclose()


@pytest.mark.asyncio
async def test_run_passes_errors_to_the_exception_handler_and_ends_unsubscribed(amake: Callable[..., Any]) -> None:
    r = amake()
    seen: List[str] = []
    errors: List[Any] = []

    def handler(n: Any) -> None:
        if n.key == "bad":
            raise ValueError("bad key")
        seen.append(n.key)

    async def on_error(error: BaseException, ksn: Any) -> None:
        errors.append((type(error), str(error), ksn))

    ksn = r.keyspace_notifications()
    await ksn.subscribe_keyevent("set", handler=handler)
    task = asyncio.create_task(ksn.run(poll_timeout=0.05, exception_handler=on_error))
    await r.set("bad", 1)
    await r.set("good", 1)
    await until(lambda: seen == ["good"])
    assert errors == [(ValueError, "bad key", ksn)]
    # Without subscriptions, run() returns.
    await ksn.unsubscribe(mod(r).KeyeventChannel("set"))
    await asyncio.wait_for(task, 5)
    assert not ksn.subscribed
    # Without an exception handler the error ends run().
    await ksn.subscribe_keyevent("set", handler=handler)
    task = asyncio.create_task(ksn.run(poll_timeout=0.05))
    await asyncio.sleep(0.05)
    await r.set("bad", 2)
    with pytest.raises(ValueError, match="bad key"):
        await asyncio.wait_for(task, 5)
    await ksn.aclose()


@pytest.mark.asyncio
async def test_listen_and_subkey_subscriptions(amake: Callable[..., Any]) -> None:
    r = amake()
    ksn = r.keyspace_notifications()
    await ksn.subscribe_keyevent("append")
    # Nothing publishes on the subkey channels (newer than Redis 7.0);
    # subscribing works and counts.
    await ksn.subscribe_subkeyspace("h")
    await ksn.subscribe_subkeyevent("hset")
    await ksn.subscribe_subkeyspaceitem("h", "f*")
    await ksn.subscribe_subkeyspaceevent("hset", "h")
    await r.append("s", "a")
    await r.hset("h", "f", 1)
    await r.append("t", "b")
    stream = ksn.listen()
    assert [(await stream.__anext__()).key, (await stream.__anext__()).key] == ["s", "t"]
    await ksn.aclose()
    assert [n async for n in stream] == []


# -- the cluster class ---------------------------------------------------------


@pytest.mark.parametrize("which", ["redcore", "redis-py"])
def test_cluster_keyspace_notifications_cover_every_primary(which: str, cluster_servers: Any) -> None:
    """Each primary publishes the events of its own keys: the cluster
    object subscribes on all of them and waits on all at once."""
    from redcore.asyncio.cluster import RedisCluster

    async def main() -> None:
        cls = RedisCluster if which == "redcore" else redis.asyncio.cluster.RedisCluster
        async with cls(host="127.0.0.1", port=cluster_servers.port) as rc:
            await rc.config_set("notify-keyspace-events", "KEA", target_nodes=RedisCluster.ALL_NODES)
            keys = [f"app:{i}" for i in range(12)]
            assert len({rc.get_node_from_key(k).name for k in keys}) == 3
            ksn = rc.keyspace_notifications(key_prefix="app:")
            want = ours_async.AsyncClusterKeyspaceNotifications if which == "redcore" else theirs_async.AsyncClusterKeyspaceNotifications
            assert type(ksn) is want
            try:
                await ksn.subscribe_keyevent("set")
                assert ksn.subscribed
                for k in ["other", *keys]:
                    await rc.set(k, 1)
                got = [n.key for n in await collect(ksn, len(keys), timeout=10)]
                assert sorted(got) == sorted(k[4:] for k in keys)  # "other" lacks the prefix
                # A wait wakes on whichever primary publishes.
                started = time.monotonic()
                reader = asyncio.create_task(ksn.get_message(timeout=5))
                await asyncio.sleep(0.05)
                await rc.set(keys[-1], 3)
                n = await reader
                assert n is not None and n.key == keys[-1][4:] and time.monotonic() - started < 2
                # Patterns and handlers (an async one); a handler takes them.
                seen: List[Any] = []

                async def on_del(n: Any) -> None:
                    seen.append(n)

                await ksn.subscribe_keyspace("app:*", handler=on_del)
                for k in keys[:6]:
                    await rc.delete(k)
                deadline = time.monotonic() + 10
                while len([n for n in seen if n.event_type == "del"]) < 6 and time.monotonic() < deadline:
                    assert await ksn.get_message(timeout=0.2) is None
                assert sorted(n.key for n in seen if n.event_type == "del") == sorted(k[4:] for k in keys[:6])
                # A broken primary connection: reading goes on, and every
                # primary publishes to us again.
                await ksn.unsubscribe(ours.KeyspaceChannel("app:*"))
                victim = rc.get_node_from_key(keys[0])
                redis.Redis(host=victim.host, port=victim.port).client_kill_filter(_type="pubsub")
                deadline = time.monotonic() + 10
                got = []
                while len(got) < len(keys) and time.monotonic() < deadline:
                    for k in keys:
                        await rc.set(k, 2)
                    got = sorted({n.key for n in await collect(ksn, len(keys), timeout=2)})
                assert got == sorted(k[4:] for k in keys)
                if which == "redcore":
                    await ksn.refresh_subscriptions()  # nothing changed: a no-op
                    assert len(ksn._node_pubsubs) == 3
            finally:
                await ksn.aclose()
                await rc.config_set("notify-keyspace-events", "", target_nodes=RedisCluster.ALL_NODES)
            assert not ksn.subscribed and await ksn.get_message(timeout=0.1) is None

    asyncio.run(main())


# -- monitor(), parse_response(), reset() ----------------------------------------


@pytest.mark.asyncio
async def test_monitor(amake: Callable[..., Any]) -> None:
    r = amake()
    other = amake(decode_responses=True)
    await other.ping()  # its connection is open before MONITOR starts
    async with r.monitor() as m:
        # next_command waits without blocking the loop: the command that
        # it sees is sent while it waits.
        async def later() -> None:
            await asyncio.sleep(0.05)
            await other.set("mon", 'a "quoted" value')

        writer = asyncio.create_task(later())
        seen = []
        async for cmd in m.listen():
            seen.append(cmd)
            if "mon" in cmd["command"]:
                break
        await writer
        cmd = seen[-1]
        assert cmd["command"] == 'SET mon a "quoted" value'
        assert cmd["db"] == 0 and isinstance(cmd["time"], float)
        if r.backend != "embedded":
            assert cmd["client_type"] == "tcp" and cmd["client_address"] == "127.0.0.1" and cmd["client_port"].isdigit()
        await other.get("mon")
        nxt = await asyncio.wait_for(m.next_command(), 5)
        assert nxt["command"] == "GET mon"
    assert await other.get("mon") == 'a "quoted" value'


@pytest.mark.asyncio
async def test_monitor_connection_killed(amake: Callable[..., Any]) -> None:
    r = amake()
    if r.backend == "embedded":
        pytest.skip("an embedded monitor has no connection to kill")
    admin = amake()
    await admin.ping()  # its connection is open before MONITOR starts
    async with r.monitor() as m:
        monitors = [c for c in await admin.client_list() if "O" in c["flags"]]
        assert len(monitors) == 1
        await admin.client_kill_filter(_id=monitors[0]["id"])
        seen = []
        with pytest.raises(r.exc.ConnectionError):
            while len(seen) < 10:  # the CLIENT commands themselves come first
                seen.append((await asyncio.wait_for(m.next_command(), 5))["command"])
        assert all(c.startswith("CLIENT") for c in seen), seen


@pytest.mark.asyncio
async def test_monitor_needs_its_context(amake: Callable[..., Any]) -> None:
    r = amake()
    if r.backend == "oracle":
        pytest.skip("redis.asyncio's Monitor waits for ever there")
    with pytest.raises(redcore.exceptions.RedisError, match="context manager"):
        await r.monitor().next_command()


@pytest.mark.asyncio
async def test_parse_response(amake: Callable[..., Any]) -> None:
    r = amake()
    await r.hset("h", mapping={"a": 1})
    await r.set("s", "x")
    pool = r.connection_pool
    conn = await pool.get_connection()
    try:
        await conn.send_command("HGETALL", "h")
        assert await r.parse_response(conn, "HGETALL") == {b"a": b"1"}
        await conn.send_command("GET", "s")
        assert await r.parse_response(conn, b"GET") == b"x"
        await conn.send_command("LPUSH", "s", "y")
        assert await r.parse_response(conn, "LPUSH", EMPTY_RESPONSE=[]) == []
        await conn.send_command("LPUSH", "s", "y")
        with pytest.raises(r.exc.ResponseError, match="WRONGTYPE"):
            await r.parse_response(conn, "LPUSH")
        r.set_response_callback("GET", lambda v, **kw: (v, sorted(kw)))
        await conn.send_command("GET", "s")
        assert await r.parse_response(conn, "GET", keys=["s"], extra=1) == (b"x", ["extra"])
    finally:
        await pool.release(conn)


@pytest.mark.asyncio
async def test_reset(amake: Callable[..., Any]) -> None:
    r = amake()
    assert await r.reset() in (b"RESET", "RESET")
    await r.set("k", "v")
    assert await r.get("k") == b"v"


# -- the module's names ---------------------------------------------------------


def test_every_name_of_redis_asyncio_is_in_redcore_asyncio() -> None:
    missing = [name for name in redis.asyncio.__all__ if not hasattr(redcore.asyncio, name)]
    assert missing == []
    assert set(redis.asyncio.__all__) <= set(redcore.asyncio.__all__)
    for name in redis.asyncio.__all__:
        theirs_obj = getattr(redis.asyncio, name)
        if isinstance(theirs_obj, type) and issubclass(theirs_obj, BaseException):
            # redcore's own class, the one its clients raise, and redis-py's too.
            assert getattr(redcore.asyncio, name) is getattr(redcore.exceptions, name)
            assert issubclass(getattr(redcore.asyncio, name), theirs_obj)
    assert redcore.asyncio.Subscription is redcore.Subscription
    assert redcore.asyncio.default_backoff is redcore.default_backoff
    assert redcore.asyncio.AsyncKeyspaceNotifications is ours_async.AsyncKeyspaceNotifications


def _own(cls: type, name: str) -> bool:
    """``cls`` has ``name`` from redcore's own classes (not a stand-in)."""
    owner = next((k for k in cls.__mro__ if name in vars(k)), None)
    return owner is not None and owner.__module__.startswith("redcore") and not isinstance(vars(owner)[name], _Absent)


def test_asyncio_clients_have_the_methods_of_this_task() -> None:
    for name in ("keyspace_notifications", "monitor", "parse_response", "reset"):
        assert _own(redcore.asyncio.Redis, name), name
    # Made at once (no await), as redis.asyncio's; the others are awaited.
    for name in ("keyspace_notifications", "monitor"):
        assert not inspect.iscoroutinefunction(getattr(redcore.asyncio.Redis, name)), name
    for name in ("parse_response", "reset"):
        assert inspect.iscoroutinefunction(getattr(redcore.asyncio.Redis, name)), name
    assert _own(redcore.asyncio.RedisCluster, "keyspace_notifications")
    for cls, ref in (
        (ours_async.AsyncKeyspaceNotifications, theirs_async.AsyncKeyspaceNotifications),
        (ours_async.AsyncClusterKeyspaceNotifications, theirs_async.AsyncClusterKeyspaceNotifications),
    ):
        public = [n for n in dir(ref) if not n.startswith("_") or n in ("__aenter__", "__aexit__")]
        for name in public:
            assert hasattr(cls, name), (cls, name)
            if callable(getattr(ref, name)):
                mine, want = getattr(cls, name), getattr(ref, name)
                assert list(inspect.signature(mine).parameters) == list(inspect.signature(want).parameters), name
                assert inspect.iscoroutinefunction(mine) == inspect.iscoroutinefunction(want), name
                assert inspect.isasyncgenfunction(mine) == inspect.isasyncgenfunction(want), name
    assert sorted(ours_async.AsyncKeyspaceNotificationsInterface.__abstractmethods__) == sorted(
        theirs_async.AsyncKeyspaceNotificationsInterface.__abstractmethods__
    )


def test_docstring_examples() -> None:
    import doctest

    import redcore.asyncio.monitor
    import redcore.monitor

    for module in (ours_async, redcore.asyncio.monitor, ours, redcore.monitor):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0, module
