"""redis-py's own clients on redcore's pools: ``redis.Redis`` /
``redis.asyncio.Redis(connection_pool=<redcore pool>)``, as libraries build
them on a pool the user hands over (Django's RedisCache ``pool_class``,
huey, walrus, saq, channels-redis's ``connection_class``...).

redis-py then drives redcore's connections through its low-level
interface (``send_command``, ``can_read``, ``read_response(timeout=...)``,
connect callbacks): here its ``PubSub`` (sync and asyncio) and
``read_response(disable_decoding=True)``.

Every test runs on three pools: redcore's embedded engine
(``memory://``), redcore's remote pool against the session's
redis-server, and redis-py's own pool against that server (the oracle),
and expects the same answers from each.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from typing import Any, Callable, Dict, Iterator, List

import pytest
import redis
import redis.asyncio

import redcore
import redcore.asyncio

POOLS = ["embedded", "remote", "oracle"]


def _name() -> str:
    return uuid.uuid4().hex[:12]


@pytest.fixture(params=POOLS)
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def make_pool(kind: str, redis_server: Any) -> Iterator[Callable[..., Any]]:
    """``make_pool(**connection_kwargs)``: a sync pool of the kind under
    test (each call on the same engine or server)."""
    engine = f"pyps-{_name()}"
    pools: List[Any] = []

    def factory(**kw: Any) -> Any:
        if kind == "embedded":
            pool = redcore.ConnectionPool.from_url(f"memory://{engine}", **kw)
        elif kind == "remote":
            pool = redcore.ConnectionPool(port=redis_server.port, **kw)
        else:
            pool = redis.ConnectionPool(port=redis_server.port, **kw)
        pools.append(pool)
        return pool

    yield factory
    for pool in pools:
        pool.disconnect()
    redcore._redcore.forget_engine(engine)


@pytest.fixture
def make_apool(kind: str, redis_server: Any) -> Iterator[Callable[..., Any]]:
    """The asyncio twin of ``make_pool``."""
    engine = f"apyps-{_name()}"

    def factory(**kw: Any) -> Any:
        if kind == "embedded":
            return redcore.asyncio.ConnectionPool.from_url(f"memory://{engine}", **kw)
        if kind == "remote":
            return redcore.asyncio.ConnectionPool(port=redis_server.port, **kw)
        return redis.asyncio.ConnectionPool(port=redis_server.port, **kw)

    yield factory
    redcore._redcore.forget_engine(engine)


def wait_for(check: Callable[[], Any], timeout: float = 3.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.01)


def msg(type_: str, channel: Any, data: Any, pattern: Any = None) -> Dict[str, Any]:
    return {"type": type_, "pattern": pattern, "channel": channel, "data": data}


def text(value: str, decode: bool) -> Any:
    return value if decode else value.encode()


# -- sync PubSub -------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("decode", [False, True])
def test_subscribe_and_get_message(make_pool: Callable[..., Any], decode: bool, protocol: int) -> None:
    pool = make_pool(decode_responses=decode, protocol=protocol)
    r = redis.Redis(connection_pool=pool)
    ch = f"ch-{_name()}"
    ps = r.pubsub()
    try:
        assert ps.get_message() is None  # not subscribed yet
        ps.subscribe(ch)
        assert ps.subscribed
        assert ps.get_message(timeout=2) == msg("subscribe", text(ch, decode), 1)
        assert ps.get_message() is None
        assert ps.get_message(timeout=0.05) is None
        assert r.publish(ch, "hello") == 1
        assert ps.get_message(timeout=2) == msg("message", text(ch, decode), text("hello", decode))
        # Plain commands on the same pool go on as before.
        r.set(f"k-{ch}", "v")
        assert r.get(f"k-{ch}") == text("v", decode)
    finally:
        ps.close()


def setup_before_subscribing(name: str, prefix: str) -> List[List[Any]]:
    """What a PubSub's connection is told before it subscribes: a name, a
    database, and CLIENT TRACKING redirected to itself (cashews'
    client-side cache does this), the CLIENT ID coming first."""
    return [["CLIENT", "SETNAME", name], ["SELECT", 5], ["CLIENT", "ID"]], [
        "CLIENT", "TRACKING", "on", "REDIRECT", None, "BCAST", "PREFIX", prefix]


def check_subscribed_connection(clients: List[Dict[str, Any]], name: str, cid: int) -> None:
    """The subscribed connection is the one the commands went to."""
    mine = [c for c in clients if c["name"] == name]
    assert [(c["id"], c["flags"], c["db"], c["sub"], c["redir"]) for c in mine] == [
        (str(cid), "PtB", "5", "1", str(cid))]


@pytest.mark.parametrize("protocol", [2, 3])
def test_subscribing_keeps_the_connection(make_pool: Callable[..., Any], protocol: int) -> None:
    # A connection that subscribes stays the same connection: its name,
    # database, id and CLIENT TRACKING carry on into pub/sub mode.
    r = redis.Redis(connection_pool=make_pool(protocol=protocol))
    name, prefix = f"sub-{_name()}", f"p{_name()}:"
    ps = r.pubsub()
    try:
        setup, tracking = setup_before_subscribing(name, prefix)
        for command in setup:
            ps.execute_command(*command)
            cid = ps.parse_response()
        tracking[4] = cid
        ps.execute_command(*tracking)
        assert ps.parse_response() == b"OK"
        ps.subscribe("__redis__:invalidate")
        assert ps.get_message(timeout=2)["type"] == "subscribe"
        check_subscribed_connection(r.client_list(), name, cid)
        r.set(f"{prefix}1", "x")
        if protocol == 2:
            assert ps.get_message(timeout=2) == msg("message", b"__redis__:invalidate", [f"{prefix}1".encode()])
        else:
            # An `invalidate` push: redis-py's PubSub has no handler for it.
            assert ps.get_message(timeout=0.3) is None
    finally:
        ps.close()


@pytest.mark.parametrize("protocol", [2, 3])
def test_patterns_and_shard_channels(make_pool: Callable[..., Any], protocol: int) -> None:
    r = redis.Redis(connection_pool=make_pool(protocol=protocol))
    base = _name()
    ps = r.pubsub(ignore_subscribe_messages=True)
    try:
        ps.psubscribe(f"news.{base}.*")
        ps.ssubscribe(f"shard-{base}")
        assert ps.get_message(timeout=1) is None  # confirmations skipped
        assert ps.get_message(timeout=1) is None
        assert r.publish(f"news.{base}.tech", "p1") == 1
        assert ps.get_message(timeout=2) == msg(
            "pmessage", f"news.{base}.tech".encode(), b"p1", pattern=f"news.{base}.*".encode()
        )
        assert r.spublish(f"shard-{base}", "s1") == 1
        assert ps.get_sharded_message(timeout=2) == msg("smessage", f"shard-{base}".encode(), b"s1")
        ps.punsubscribe()
        ps.sunsubscribe(f"shard-{base}")
        assert ps.get_message(timeout=1) is None
        assert ps.get_message(timeout=1) is None
        assert not ps.subscribed
    finally:
        ps.close()


def test_unsubscribe(make_pool: Callable[..., Any]) -> None:
    r = redis.Redis(connection_pool=make_pool(decode_responses=True))
    a, b = f"a-{_name()}", f"b-{_name()}"
    ps = r.pubsub()
    try:
        ps.subscribe(a, b)
        got = [ps.get_message(timeout=2) for _ in range(2)]
        assert got == [msg("subscribe", a, 1), msg("subscribe", b, 2)]
        ps.unsubscribe(a)
        assert ps.get_message(timeout=2) == msg("unsubscribe", a, 1)
        assert ps.subscribed and list(ps.channels) == [b]
        assert r.publish(a, "lost") == 0
        ps.unsubscribe()
        assert ps.get_message(timeout=2) == msg("unsubscribe", b, 0)
        assert not ps.subscribed and ps.channels == {}
        assert ps.get_message(timeout=0.05) is None
        # Subscribing again on the same connection works.
        ps.subscribe(a)
        assert ps.get_message(timeout=2) == msg("subscribe", a, 1)
    finally:
        ps.close()


def test_listen(make_pool: Callable[..., Any]) -> None:
    r = redis.Redis(connection_pool=make_pool())
    ch = f"ch-{_name()}"
    ps = r.pubsub()
    try:
        ps.subscribe(ch)

        def publish() -> None:
            time.sleep(0.1)
            for i in range(3):
                r.publish(ch, f"m{i}")

        t = threading.Thread(target=publish)
        got = []
        for message in ps.listen():
            got.append((message["type"], message["data"]))
            if len(got) == 1:  # subscribed: publish now
                t.start()
            if len(got) == 4:
                break
        t.join()
        assert got == [("subscribe", 1), ("message", b"m0"), ("message", b"m1"), ("message", b"m2")]
    finally:
        ps.close()


def test_handlers(make_pool: Callable[..., Any]) -> None:
    r = redis.Redis(connection_pool=make_pool(decode_responses=True))
    base = _name()
    seen: List[Dict[str, Any]] = []
    ps = r.pubsub(ignore_subscribe_messages=True)
    try:
        ps.subscribe(**{f"h-{base}": seen.append})
        ps.psubscribe(**{f"p-{base}-*": seen.append})
        ps.subscribe(f"plain-{base}")
        for _ in range(3):
            assert ps.get_message(timeout=1) is None
        r.publish(f"h-{base}", "one")
        r.publish(f"p-{base}-x", "two")
        r.publish(f"plain-{base}", "three")
        # Handled messages are not returned.
        assert ps.get_message(timeout=2) is None
        assert ps.get_message(timeout=2) is None
        assert ps.get_message(timeout=2) == msg("message", f"plain-{base}", "three")
        assert seen == [msg("message", f"h-{base}", "one"), msg("pmessage", f"p-{base}-x", "two", pattern=f"p-{base}-*")]
    finally:
        ps.close()


def test_run_in_thread(make_pool: Callable[..., Any]) -> None:
    pool = make_pool()
    r = redis.Redis(connection_pool=pool)
    ch = f"ch-{_name()}"
    seen: List[Any] = []
    ps = r.pubsub()
    ps.subscribe(**{ch: lambda m: seen.append(m["data"])})
    with pytest.raises(redis.exceptions.PubSubError):
        bare = r.pubsub()
        bare.subscribe(f"nohandler-{ch}")
        try:
            bare.run_in_thread()
        finally:
            bare.close()
    thread = ps.run_in_thread(sleep_time=0.05, daemon=True)
    try:
        assert wait_for(lambda: r.pubsub_numsub(ch)[0][1] == 1)
        for i in range(3):
            r.publish(ch, f"m{i}")
        assert wait_for(lambda: len(seen) == 3)
        assert seen == [b"m0", b"m1", b"m2"]
    finally:
        thread.stop()
        thread.join(5)
    assert not thread.is_alive()
    # Stopping closed the subscription.
    assert wait_for(lambda: r.pubsub_numsub(ch)[0][1] == 0)


@pytest.mark.parametrize("protocol", [2, 3])
def test_pubsub_ping(make_pool: Callable[..., Any], protocol: int) -> None:
    r = redis.Redis(connection_pool=make_pool(protocol=protocol))
    ch = f"ch-{_name()}"
    ps = r.pubsub()
    try:
        ps.subscribe(ch)
        assert ps.get_message(timeout=2)["type"] == "subscribe"
        ps.ping()
        assert ps.get_message(timeout=2) == {"type": "pong", "pattern": None, "channel": None, "data": b""}
        ps.ping("hi")
        assert ps.get_message(timeout=2) == {"type": "pong", "pattern": None, "channel": None, "data": b"hi"}
    finally:
        ps.close()


def test_push_handler(make_pool: Callable[..., Any]) -> None:
    # push_handler_func: RESP3 pushes (confirmations, messages) go to the
    # function instead of get_message; replies (the pong) do not.
    r = redis.Redis(connection_pool=make_pool(protocol=3))
    ch = f"ch-{_name()}"
    pushed: List[Any] = []
    ps = r.pubsub(push_handler_func=pushed.append)
    try:
        ps.subscribe(ch)
        assert ps.get_message(timeout=2) is None
        r.publish(ch, "hi")
        assert wait_for(lambda: ps.get_message(timeout=0.1) is None and len(pushed) == 2)
        assert pushed == [[b"subscribe", ch.encode(), 1], [b"message", ch.encode(), b"hi"]]
        ps.ping()
        assert ps.get_message(timeout=2) == {"type": "pong", "pattern": None, "channel": None, "data": b""}
    finally:
        ps.close()


def test_health_check(make_pool: Callable[..., Any]) -> None:
    # health_check_interval: a quiet subscriber pings the server; the
    # answers are never handed to the reader.
    r = redis.Redis(connection_pool=make_pool(health_check_interval=1))
    ch = f"ch-{_name()}"
    ps = r.pubsub()
    try:
        ps.subscribe(ch)
        assert ps.get_message(timeout=2)["type"] == "subscribe"
        assert ps.connection.health_check_interval == 1
        time.sleep(1.1)
        assert ps.get_message(timeout=0.3) is None  # sends the PING, eats the pong
        r.publish(ch, "after")
        assert ps.get_message(timeout=2) == msg("message", ch.encode(), b"after")
        assert ps.get_message(timeout=0.1) is None
    finally:
        ps.close()


def test_connection_released(make_pool: Callable[..., Any]) -> None:
    # Closing the PubSub gives its connection back, out of pub/sub mode:
    # the next user of the pool runs plain commands on it.
    pool = make_pool()
    r = redis.Redis(connection_pool=pool)
    ch = f"ch-{_name()}"
    with r.pubsub() as ps:
        ps.subscribe(ch)
        assert ps.get_message(timeout=2)["type"] == "subscribe"
        assert r.pubsub_numsub(ch) == [(ch.encode(), 1)]
    assert wait_for(lambda: r.pubsub_numsub(ch) == [(ch.encode(), 0)])
    conn = pool.get_connection()
    try:
        conn.send_command("PING")
        assert conn.read_response() == b"PONG"
    finally:
        pool.release(conn)


@pytest.mark.parametrize("protocol", [2, 3])
def test_disable_decoding(make_pool: Callable[..., Any], protocol: int) -> None:
    pool = make_pool(decode_responses=True, protocol=protocol)
    r = redis.Redis(connection_pool=pool)
    key = f"k-{_name()}"
    conn = pool.get_connection()
    try:
        conn.send_command("SET", key, "v")
        assert conn.read_response() == "OK"
        conn.send_command("GET", key)
        conn.send_command("GET", key)
        conn.send_command("HSET", f"h{key}", "f", "x")
        conn.send_command("HGETALL", f"h{key}")
        assert conn.read_response(disable_decoding=True) == b"v"
        assert conn.read_response() == "v"
        assert conn.read_response() == 1
        hgetall = conn.read_response(disable_decoding=True)
        assert hgetall == ({b"f": b"x"} if protocol == 3 else [b"f", b"x"])
    finally:
        pool.release(conn)
    # redis-py reads DUMP's reply with read_response(disable_decoding=True):
    # not text, it would not decode.
    raw = redis.Redis(connection_pool=make_pool(protocol=protocol))
    assert r.dump(key) == raw.dump(key)
    assert isinstance(r.dump(key), bytes)
    # Pub/sub replies too.
    ps = r.pubsub()
    try:
        ps.subscribe(key)
        assert ps.connection.can_read(timeout=2)
        assert ps.connection.read_response(disable_decoding=True, timeout=2, push_request=True) == [b"subscribe", key.encode(), 1]
    finally:
        ps.close()


@pytest.mark.parametrize("protocol", [2, 3])
def test_read_response_passes_over_pushes(make_pool: Callable[..., Any], protocol: int) -> None:
    """``read_response()`` returns the reply of the next command: RESP3
    pushes that arrived before it (an invalidation of a key this
    connection tracks, a published message) go to their handlers (the
    pub/sub one takes the message); ``push_request=True`` returns them.
    Under RESP2 a message is a reply like any other."""
    pool = make_pool(protocol=protocol)
    r = redis.Redis(connection_pool=pool)
    key, ch = f"k-{_name()}", f"ch-{_name()}"
    r.set(key, "v")
    conn = pool.get_connection()
    pushed: List[Any] = []
    try:
        conn.send_command("SUBSCRIBE", ch)
        assert conn.read_response(push_request=True) == [b"subscribe", ch.encode(), 1]
        conn._parser.set_pubsub_push_handler(pushed.append)
        if protocol == 3:
            # (RESP3 allows any command on a subscribed connection.)
            conn.send_command("CLIENT", "TRACKING", "ON")
            assert conn.read_response() == b"OK"
            conn.send_command("GET", key)
            assert conn.read_response() == b"v"
            r.set(key, "w")  # an invalidation push for conn
        r.publish(ch, "m")
        conn.send_command("PING")
        if protocol == 3:
            assert conn.read_response() == b"PONG"
            assert pushed == [[b"message", ch.encode(), b"m"]]
            conn.send_command("GET", key)
            assert conn.read_response() == b"w"
            invalidated: List[Any] = []
            conn._parser.set_invalidation_push_handler(invalidated.append)
            r.set(key, "x")
            r.publish(ch, "n")
            assert conn.read_response(push_request=True) is None  # the handlers' values
            assert conn.read_response(push_request=True) is None
            assert invalidated == [[b"invalidate", [key.encode()]]]
            assert pushed[-1] == [b"message", ch.encode(), b"n"]
            conn.send_command("CLIENT", "TRACKING", "OFF")
            assert conn.read_response() == b"OK"
        else:
            assert conn.read_response() == [b"message", ch.encode(), b"m"]
            assert conn.read_response() == [b"pong", b""]
            assert pushed == []
    finally:
        conn.disconnect()
        pool.release(conn)


@pytest.mark.asyncio
@pytest.mark.parametrize("protocol", [2, 3])
async def test_async_read_response_passes_over_pushes(make_apool: Callable[..., Any], protocol: int) -> None:
    """The asyncio twin of :func:`test_read_response_passes_over_pushes`
    (redis.asyncio's push handler is a coroutine function)."""
    pool = make_apool(protocol=protocol)
    r = redis.asyncio.Redis(connection_pool=pool)
    key, ch = f"k-{_name()}", f"ch-{_name()}"
    await r.set(key, "v")
    conn = await pool.get_connection()
    pushed: List[Any] = []

    async def handler(message: Any) -> Any:
        pushed.append(message)
        return message

    try:
        await conn.send_command("SUBSCRIBE", ch)
        assert await conn.read_response(push_request=True) == [b"subscribe", ch.encode(), 1]
        conn._parser.set_pubsub_push_handler(handler)
        if protocol == 3:
            await conn.send_command("CLIENT", "TRACKING", "ON")
            assert await conn.read_response() == b"OK"
            await conn.send_command("GET", key)
            assert await conn.read_response() == b"v"
            await r.set(key, "w")
        await r.publish(ch, "m")
        await conn.send_command("PING")
        if protocol == 3:
            assert await conn.read_response(timeout=5) == b"PONG"
            assert pushed == [[b"message", ch.encode(), b"m"]]
            await conn.send_command("CLIENT", "TRACKING", "OFF")
            assert await conn.read_response(timeout=5) == b"OK"
        else:
            assert await conn.read_response(timeout=5) == [b"message", ch.encode(), b"m"]
            assert await conn.read_response(timeout=5) == [b"pong", b""]
            assert pushed == []
    finally:
        await conn.disconnect()
        await pool.release(conn)
        await r.aclose()
        await pool.disconnect()


def _kill_subscribers(port: int) -> int:
    admin = redis.Redis(port=port)
    killed = 0
    for client in admin.client_list(_type="pubsub"):
        killed += admin.client_kill_filter(_id=client["id"])
    return killed


@pytest.mark.parametrize("kind", ["remote", "oracle"])  # an engine in process never drops
def test_reconnect_resubscribes(kind: str, make_pool: Callable[..., Any], redis_server: Any) -> None:
    redis_server.client().flushall()
    r = redis.Redis(connection_pool=make_pool())
    ch = f"ch-{_name()}"
    ps = r.pubsub()
    try:
        ps.subscribe(ch)
        assert ps.get_message(timeout=2)["type"] == "subscribe"
        assert wait_for(lambda: _kill_subscribers(redis_server.port)) == 1
        # The read that finds the connection gone reconnects and
        # re-subscribes (the connect callback); without a retry policy it
        # then raises, and the next read has the new confirmation.
        with pytest.raises(redis.exceptions.ConnectionError):
            ps.get_message(timeout=2)
        assert ps.get_message(timeout=2) == msg("subscribe", ch.encode(), 1)
        assert r.publish(ch, "back") == 1
        assert ps.get_message(timeout=2) == msg("message", ch.encode(), b"back")
    finally:
        ps.close()


# -- redis.asyncio's PubSub --------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("decode", [False, True])
async def test_async_subscribe_and_get_message(make_apool: Callable[..., Any], decode: bool, protocol: int) -> None:
    pool = make_apool(decode_responses=decode, protocol=protocol)
    r = redis.asyncio.Redis(connection_pool=pool)
    ch = f"ch-{_name()}"
    ps = r.pubsub()
    try:
        await ps.subscribe(ch)
        assert ps.subscribed
        assert await ps.get_message(timeout=2) == msg("subscribe", text(ch, decode), 1)
        assert await ps.get_message() is None
        assert await ps.get_message(timeout=0.05) is None
        assert await r.publish(ch, "hello") == 1
        assert await ps.get_message(timeout=2) == msg("message", text(ch, decode), text("hello", decode))
        await r.set(f"k-{ch}", "v")
        assert await r.get(f"k-{ch}") == text("v", decode)
    finally:
        await ps.aclose()
        await pool.disconnect()


@pytest.mark.asyncio
@pytest.mark.parametrize("protocol", [2, 3])
async def test_async_subscribing_keeps_the_connection(make_apool: Callable[..., Any], protocol: int) -> None:
    pool = make_apool(protocol=protocol)
    r = redis.asyncio.Redis(connection_pool=pool)
    name, prefix = f"sub-{_name()}", f"p{_name()}:"
    ps = r.pubsub()
    try:
        setup, tracking = setup_before_subscribing(name, prefix)
        for command in setup:
            await ps.execute_command(*command)
            cid = await ps.parse_response()
        tracking[4] = cid
        await ps.execute_command(*tracking)
        assert await ps.parse_response() == b"OK"
        await ps.subscribe("__redis__:invalidate")
        assert (await ps.get_message(timeout=2))["type"] == "subscribe"
        check_subscribed_connection(await r.client_list(), name, cid)
        await r.set(f"{prefix}1", "x")
        if protocol == 2:
            assert await ps.get_message(timeout=2) == msg("message", b"__redis__:invalidate", [f"{prefix}1".encode()])
        else:
            assert await ps.get_message(timeout=0.3) is None
    finally:
        await ps.aclose()
        await pool.disconnect()


@pytest.mark.asyncio
@pytest.mark.parametrize("protocol", [2, 3])
async def test_async_patterns_shards_unsubscribe(make_apool: Callable[..., Any], protocol: int) -> None:
    pool = make_apool(protocol=protocol, decode_responses=True)
    r = redis.asyncio.Redis(connection_pool=pool)
    base = _name()
    ps = r.pubsub()
    try:
        await ps.psubscribe(f"news.{base}.*")
        await ps.ssubscribe(f"shard-{base}")
        await ps.subscribe(f"plain-{base}")
        got = [await ps.get_message(timeout=2) for _ in range(3)]
        assert [(m["type"], m["data"]) for m in got] == [("psubscribe", 1), ("ssubscribe", 1), ("subscribe", 2)]
        await r.publish(f"news.{base}.x", "p")
        await r.spublish(f"shard-{base}", "s")
        assert await ps.get_message(timeout=2) == msg("pmessage", f"news.{base}.x", "p", pattern=f"news.{base}.*")
        assert await ps.get_message(timeout=2) == msg("smessage", f"shard-{base}", "s")
        await ps.unsubscribe(f"plain-{base}")
        assert await ps.get_message(timeout=2) == msg("unsubscribe", f"plain-{base}", 1)
        await ps.punsubscribe()
        await ps.sunsubscribe()
        got = [await ps.get_message(timeout=2) for _ in range(2)]
        assert [(m["type"], m["data"]) for m in got] == [("punsubscribe", 0), ("sunsubscribe", 0)]
        assert not ps.subscribed
    finally:
        await ps.aclose()
        await pool.disconnect()


@pytest.mark.asyncio
async def test_async_listen_handlers_ping(make_apool: Callable[..., Any]) -> None:
    pool = make_apool()
    r = redis.asyncio.Redis(connection_pool=pool)
    base = _name()
    seen: List[Any] = []

    async def handler(message: Dict[str, Any]) -> None:
        seen.append(message["data"])

    ps = r.pubsub()
    try:
        await ps.subscribe(f"plain-{base}", **{f"h-{base}": handler})

        async def publish() -> None:
            await asyncio.sleep(0.05)
            await r.publish(f"h-{base}", "handled")
            await r.publish(f"plain-{base}", "m1")

        got = []
        async for message in ps.listen():
            got.append((message["type"], message["data"]))
            if len(got) == 2:  # subscribed: publish now
                task = asyncio.ensure_future(publish())
            if len(got) == 3:
                break
        await task
        assert got == [("subscribe", 1), ("subscribe", 2), ("message", b"m1")]
        assert seen == [b"handled"]
        await ps.ping("hi")
        assert await ps.get_message(timeout=2) == {"type": "pong", "pattern": None, "channel": None, "data": b"hi"}
    finally:
        await ps.aclose()
        await pool.disconnect()


@pytest.mark.asyncio
async def test_async_run(make_apool: Callable[..., Any]) -> None:
    # PubSub.run(): redis.asyncio's run_in_thread, a task calling the
    # handlers until cancelled.
    pool = make_apool(decode_responses=True)
    r = redis.asyncio.Redis(connection_pool=pool)
    base = _name()
    seen: List[Any] = []

    async def handler(message: Dict[str, Any]) -> None:
        seen.append((message["type"], message["data"]))

    ps = r.pubsub()
    try:
        await ps.subscribe(**{f"c-{base}": handler})
        await ps.psubscribe(**{f"p-{base}-*": handler})
        task = asyncio.ensure_future(ps.run(poll_timeout=0.05))
        for _ in range(100):
            if await r.pubsub_numsub(f"c-{base}") == [(f"c-{base}", 1)] and await r.pubsub_numpat() >= 1:
                break
            await asyncio.sleep(0.02)
        await r.publish(f"c-{base}", "one")
        await r.publish(f"p-{base}-x", "two")
        for _ in range(100):
            if len(seen) == 2:
                break
            await asyncio.sleep(0.02)
        assert seen == [("message", "one"), ("pmessage", "two")]
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    finally:
        await ps.aclose()
        await pool.disconnect()


@pytest.mark.asyncio
async def test_async_get_message_waits(make_apool: Callable[..., Any]) -> None:
    # A waiting get_message does not block the loop, and wakes when the
    # message arrives (not at its timeout).
    pool = make_apool(decode_responses=True)
    r = redis.asyncio.Redis(connection_pool=pool)
    ch = f"ch-{_name()}"
    ps = r.pubsub(ignore_subscribe_messages=True)
    try:
        await ps.subscribe(ch)
        assert await ps.get_message(timeout=1) is None

        async def publish() -> None:
            await asyncio.sleep(0.2)
            await r.publish(ch, "late")

        task = asyncio.ensure_future(publish())
        start = time.monotonic()
        assert await ps.get_message(timeout=5) == msg("message", ch, "late")
        assert time.monotonic() - start < 2
        await task
        # A waiting read cancelled leaves the connection usable.
        reader = asyncio.ensure_future(ps.get_message(timeout=None))
        await asyncio.sleep(0.05)
        reader.cancel()
        with pytest.raises(asyncio.CancelledError):
            await reader
        await r.publish(ch, "next")
        assert await ps.get_message(timeout=2) == msg("message", ch, "next")
    finally:
        await ps.aclose()
        await pool.disconnect()


@pytest.mark.asyncio
async def test_async_push_handler(make_apool: Callable[..., Any]) -> None:
    pool = make_apool(protocol=3, decode_responses=True)
    r = redis.asyncio.Redis(connection_pool=pool)
    ch = f"ch-{_name()}"
    pushed: List[Any] = []

    async def handler(push: Any) -> None:  # redis.asyncio awaits it
        pushed.append(push)

    ps = r.pubsub(push_handler_func=handler)
    try:
        await ps.subscribe(ch)
        assert await ps.get_message(timeout=2) is None
        await r.publish(ch, "hi")
        assert await ps.get_message(timeout=2) is None
        assert pushed == [["subscribe", ch, 1], ["message", ch, "hi"]]
    finally:
        await ps.aclose()
        await pool.disconnect()


@pytest.mark.asyncio
async def test_async_health_check(make_apool: Callable[..., Any]) -> None:
    pool = make_apool(health_check_interval=1)
    r = redis.asyncio.Redis(connection_pool=pool)
    ch = f"ch-{_name()}"
    ps = r.pubsub()
    try:
        await ps.subscribe(ch)
        assert (await ps.get_message(timeout=2))["type"] == "subscribe"
        await asyncio.sleep(1.1)
        assert await ps.get_message(timeout=0.3) is None
        await r.publish(ch, "after")
        assert await ps.get_message(timeout=2) == msg("message", ch.encode(), b"after")
    finally:
        await ps.aclose()
        await pool.disconnect()


@pytest.mark.asyncio
@pytest.mark.parametrize("protocol", [2, 3])
async def test_async_disable_decoding(make_apool: Callable[..., Any], protocol: int) -> None:
    pool = make_apool(decode_responses=True, protocol=protocol)
    r = redis.asyncio.Redis(connection_pool=pool)
    key = f"k-{_name()}"
    conn = await pool.get_connection()
    try:
        await conn.send_command("SET", key, "v")
        assert await conn.read_response() == "OK"
        await conn.send_command("GET", key)
        await conn.send_command("GET", key)
        assert await conn.read_response(disable_decoding=True) == b"v"
        assert await conn.read_response() == "v"
    finally:
        await pool.release(conn)
    raw = redis.asyncio.Redis(connection_pool=make_apool(protocol=protocol))
    assert await r.dump(key) == await raw.dump(key)
    assert isinstance(await r.dump(key), bytes)
    await raw.aclose()
    ps = r.pubsub()
    try:
        await ps.subscribe(key)
        got = await ps.connection.read_response(disable_decoding=True, timeout=2, push_request=True)
        assert got == [b"subscribe", key.encode(), 1]
    finally:
        await ps.aclose()
        await pool.disconnect()


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", ["remote", "oracle"])
async def test_async_reconnect_resubscribes(kind: str, make_apool: Callable[..., Any], redis_server: Any) -> None:
    pool = make_apool()
    r = redis.asyncio.Redis(connection_pool=pool)
    ch = f"ch-{_name()}"
    ps = r.pubsub()
    try:
        await ps.subscribe(ch)
        assert (await ps.get_message(timeout=2))["type"] == "subscribe"
        assert _kill_subscribers(redis_server.port) == 1
        with pytest.raises(redis.exceptions.ConnectionError):
            await ps.get_message(timeout=2)
        assert await ps.get_message(timeout=2) == msg("subscribe", ch.encode(), 1)
        assert await r.publish(ch, "back") == 1
        assert await ps.get_message(timeout=2) == msg("message", ch.encode(), b"back")
    finally:
        await ps.aclose()
        await pool.disconnect()
