"""redcore.asyncio: the behaviour suite's core, awaited, on every backend.

Each test runs on ``embedded`` (redcore.asyncio on the in-process engine),
``remote`` (redcore.asyncio -> redis-server) and ``oracle``
(redis.asyncio -> redis-server) and expects the same answers.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, AsyncIterator

import pytest
import pytest_asyncio
import redis
import redis.asyncio

import redcore
import redcore.asyncio

pytestmark = pytest.mark.asyncio

ABACKENDS = ["embedded", "remote", "oracle"]


def make_async(backend: str, server: Any, engine: str, **kwargs: Any) -> Any:
    if backend == "embedded":
        c = redcore.asyncio.Redis(name=engine, **kwargs)
        c.exc = redcore.exceptions
    elif backend == "remote":
        c = redcore.asyncio.Redis(port=server.port, **kwargs)
        c.exc = redcore.exceptions
    else:
        c = redis.asyncio.Redis(port=server.port, **kwargs)
        c.exc = redis.exceptions
    c.backend = backend
    return c


@pytest_asyncio.fixture(params=ABACKENDS)
async def amake(request: Any, redis_server: Any) -> AsyncIterator[Any]:
    """``amake(**kwargs)``: an async client of the backend; all share one
    dataset, empty at the start."""
    engine = f"atest-{uuid.uuid4().hex}"
    made = []
    if request.param != "embedded":
        redis_server.client().flushall()

    def factory(**kwargs: Any) -> Any:
        c = make_async(request.param, redis_server, engine, **kwargs)
        made.append(c)
        return c

    yield factory
    for c in made:
        await c.aclose()
    redcore._redcore.forget_engine(engine)


@pytest_asyncio.fixture
async def ar(amake: Any) -> Any:
    return amake()


@pytest_asyncio.fixture
async def ard(amake: Any) -> Any:
    return amake(decode_responses=True)


# -- data types -----------------------------------------------------------------

async def test_strings(ar: Any) -> None:
    assert await ar.set("k", "v") is True
    assert await ar.get("k") == b"v"
    assert await ar.get("missing") is None
    assert await ar.incr("n") == 1
    assert await ar.incrby("n", 5) == 6
    assert await ar.incrbyfloat("f", 1.5) == 1.5
    assert await ar.mset({"a": 1, "b": 2}) is True
    assert await ar.mget("a", "b", "c") == [b"1", b"2", None]
    assert await ar.mget([]) == [] and await ar.mget(k for k in ["a"]) == [b"1"]  # redis-py: [] for no keys
    assert await ar.set("k", "w", nx=True) is None
    assert await ar.set("k", "w", get=True) == b"v"
    assert await ar.append("k", "x") == 2
    assert await ar.strlen("k") == 2
    assert await ar.set("t", "v", ex=100) is True
    assert 0 < await ar.ttl("t") <= 100
    assert await ar.exists("k", "a", "zz") == 2
    assert await ar.delete("k", "a") == 2
    await ar.set("word", "abc")
    with pytest.raises(ar.exc.ResponseError, match="not an integer"):
        await ar.incr("word")


async def test_decoded(ard: Any) -> None:
    await ard.set("k", "v")
    assert await ard.get("k") == "v"
    await ard.hset("h", mapping={"a": "1"})
    assert await ard.hgetall("h") == {"a": "1"}


async def test_hashes(ar: Any) -> None:
    assert await ar.hset("h", "a", 1) == 1
    assert await ar.hset("h", mapping={"b": 2, "c": 3}) == 2
    assert await ar.hget("h", "a") == b"1"
    assert await ar.hgetall("h") == {b"a": b"1", b"b": b"2", b"c": b"3"}
    assert await ar.hmget("h", ["a", "x"]) == [b"1", None]
    assert await ar.hincrby("h", "a", 2) == 3
    assert await ar.hincrbyfloat("h", "a", 0.5) == 3.5
    assert sorted(await ar.hkeys("h")) == [b"a", b"b", b"c"]
    assert await ar.hlen("h") == 3
    assert await ar.hexists("h", "b") == 1
    assert await ar.hdel("h", "b", "zz") == 1
    items = {k: v async for k, v in ar.hscan_iter("h")}
    assert items == {b"a": b"3.5", b"c": b"3"}


async def test_lists(ar: Any) -> None:
    assert await ar.rpush("l", "a", "b", "c") == 3
    assert await ar.lpush("l", "z") == 4
    assert await ar.lrange("l", 0, -1) == [b"z", b"a", b"b", b"c"]
    assert await ar.lpop("l") == b"z"
    assert await ar.rpop("l", 2) == [b"c", b"b"]
    assert await ar.llen("l") == 1
    assert await ar.lindex("l", 0) == b"a"
    await ar.set("s", "x")
    with pytest.raises(ar.exc.ResponseError, match="WRONGTYPE"):
        await ar.lpush("s", "a")


async def test_sets(ar: Any) -> None:
    assert await ar.sadd("s", "a", "b", "c") == 3
    assert await ar.smembers("s") == {b"a", b"b", b"c"}
    assert await ar.sismember("s", "a") == 1
    assert await ar.srem("s", "a") == 1
    await ar.sadd("t", "b", "x")
    assert await ar.sinter("s", "t") == {b"b"}
    assert await ar.scard("s") == 2
    assert sorted([m async for m in ar.sscan_iter("s")]) == [b"b", b"c"]


async def test_zsets(ar: Any) -> None:
    assert await ar.zadd("z", {"a": 1, "b": 2, "c": 3}) == 3
    assert await ar.zrange("z", 0, -1, withscores=True) == [(b"a", 1.0), (b"b", 2.0), (b"c", 3.0)]
    assert await ar.zscore("z", "b") == 2.0
    assert await ar.zincrby("z", 5, "a") == 6.0
    assert await ar.zrank("z", "a") == 2
    assert await ar.zpopmin("z") == [(b"b", 2.0)]
    assert await ar.zcard("z") == 2
    assert await ar.zrevrange("z", 0, 0) == [b"a"]


async def test_streams(ar: Any) -> None:
    i1 = await ar.xadd("s", {"f": "v"}, id="1-1")
    assert i1 == b"1-1"
    await ar.xadd("s", {"f": "w"}, id="2-1")
    assert await ar.xlen("s") == 2
    assert await ar.xrange("s") == [(b"1-1", {b"f": b"v"}), (b"2-1", {b"f": b"w"})]
    assert await ar.xgroup_create("s", "g", id="0") is True
    got = await ar.xreadgroup("g", "c", {"s": ">"}, count=1)
    assert got in ([[b"s", [(b"1-1", {b"f": b"v"})]]], {b"s": [[(b"1-1", {b"f": b"v"})]]})
    assert await ar.xack("s", "g", "1-1") == 1


async def test_errors_and_execute_command(ar: Any) -> None:
    assert await ar.execute_command("SET", "k", "v") is True
    assert await ar.execute_command("GET", "k") == b"v"
    with pytest.raises(ar.exc.ResponseError, match="unknown command"):
        await ar.execute_command("NOSUCHCOMMAND")
    assert await ar.ping() is True


async def test_scan_iter(ar: Any) -> None:
    await ar.mset({f"key:{i}": i for i in range(30)})
    keys = sorted([k async for k in ar.scan_iter(match="key:*", count=7)])
    assert keys == sorted(f"key:{i}".encode() for i in range(30))


# -- pipelines and transactions ---------------------------------------------

@pytest.mark.parametrize("transaction", [True, False])
async def test_pipeline_mget_without_keys_is_an_empty_list(ar: Any, transaction: bool) -> None:
    # As the sync pipeline: not sent (an arity error, or EXECABORT in a
    # transaction), [] in its place.
    async with ar.pipeline(transaction=transaction) as pipe:
        pipe.set("a", 1).mget([]).set("c", 3)
        assert len(pipe) == 3
        assert await pipe.execute() == [True, [], True]
    async with ar.pipeline(transaction=transaction) as pipe:
        pipe.mget([])
        assert await pipe.execute() == [[]]


async def test_pipeline(ar: Any) -> None:
    async with ar.pipeline(transaction=False) as p:
        p.set("a", 1).incr("a").get("a")
        assert len(p) == 3
        assert await p.execute() == [True, 2, b"2"]
    async with ar.pipeline() as p:
        p.incr("n").incr("n").lpush("a", 1)
        with pytest.raises(ar.exc.ResponseError, match="WRONGTYPE"):
            await p.execute()
    assert await ar.get("n") == b"2"
    async with ar.pipeline() as p:
        p.incr("n").lpush("a", 1)
        res = await p.execute(raise_on_error=False)
        assert res[0] == 3 and isinstance(res[1], ar.exc.ResponseError)
    async with ar.pipeline() as p:
        assert await p.execute() == []


async def test_pipeline_is_transaction(ar: Any) -> None:
    assert ar.pipeline().is_transaction is True
    assert ar.pipeline(transaction=False).is_transaction is False


async def test_pipeline_discard(ar: Any) -> None:
    # DISCARD inside the transaction drops what was queued before it; the
    # commands after it run on their own, and EXEC then has no MULTI.
    async with ar.pipeline() as p:
        p.set("a", 1)
        await p.discard()
        p.set("b", 2)
        with pytest.raises(ar.exc.ResponseError, match="EXEC without MULTI"):
            await p.execute()
    assert [await ar.get("a"), await ar.get("b")] == [None, b"2"]
    async with ar.pipeline(transaction=False) as p:
        p.set("c", 3)
        await p.discard()
        with pytest.raises(ar.exc.ResponseError, match="DISCARD without MULTI"):
            await p.execute()
    assert await ar.get("c") == b"3"


async def test_watch(amake: Any) -> None:
    ar, other = amake(), amake()
    await ar.set("k", 1)
    async with ar.pipeline() as p:
        await p.watch("k")
        v = int(await p.get("k"))
        p.multi()
        p.set("k", v + 1)
        assert await p.execute() == [True]
    assert await ar.get("k") == b"2"
    async with ar.pipeline() as p:
        await p.watch("k")
        await other.set("k", 100)
        p.multi()
        p.set("k", 5)
        with pytest.raises(ar.exc.WatchError):
            await p.execute()
    assert await ar.get("k") == b"100"


async def test_transaction_helper(ar: Any) -> None:
    await ar.set("c", 1)

    async def bump(pipe: Any) -> None:
        v = int(await pipe.get("c"))
        pipe.multi()
        pipe.set("c", v * 10)

    assert await ar.transaction(bump, "c") == [True]
    assert await ar.get("c") == b"10"


# -- blocking ----------------------------------------------------------------------

async def test_blocking_pop_wakes_on_push(amake: Any) -> None:
    ar, pusher = amake(), amake()
    task = asyncio.create_task(ar.blpop(["q"], timeout=5))
    await asyncio.sleep(0.05)
    assert not task.done()
    # The loop is free while the task waits.
    assert await pusher.rpush("q", "x") == 1
    assert await asyncio.wait_for(task, 5) == (b"q", b"x")
    assert await ar.blpop(["q"], timeout=0.1) is None


async def test_blocking_family(amake: Any) -> None:
    ar, other = amake(), amake()
    t1 = asyncio.create_task(ar.brpoplpush("src", "dst", timeout=5))
    t2 = asyncio.create_task(amake().bzpopmin(["z"], timeout=5))
    t3 = asyncio.create_task(amake().xread({"s": "$"}, block=5000))
    await asyncio.sleep(0.05)
    await other.rpush("src", "v")
    await other.zadd("z", {"m": 2})
    await other.xadd("s", {"f": "1"}, id="5-1")
    assert await asyncio.wait_for(t1, 5) == b"v"
    assert await asyncio.wait_for(t2, 5) == (b"z", b"m", 2.0)
    got = await asyncio.wait_for(t3, 5)
    assert got in ([[b"s", [(b"5-1", {b"f": b"1"})]]], {b"s": [[(b"5-1", {b"f": b"1"})]]})
    assert await ar.lrange("dst", 0, -1) == [b"v"]


async def test_blocking_timeouts(amake: Any) -> None:
    ar = amake()
    loop = asyncio.get_running_loop()
    start = loop.time()
    assert await ar.bzpopmax(["z"], timeout=0.1) is None
    assert await ar.brpop(["l"], timeout=0.1) is None
    assert await ar.xread({"s": "0-0"}, block=100) in ([], {}, None)
    assert loop.time() - start >= 0.25


async def test_xreadgroup_block_wakes(amake: Any) -> None:
    ar, other = amake(), amake()
    await ar.xgroup_create("s", "g", id="$", mkstream=True)
    task = asyncio.create_task(ar.xreadgroup("g", "c", {"s": ">"}, block=5000))
    await asyncio.sleep(0.05)
    await other.xadd("s", {"a": "1"}, id="7-1")
    got = await asyncio.wait_for(task, 5)
    assert got in ([[b"s", [(b"7-1", {b"a": b"1"})]]], {b"s": [[(b"7-1", {b"a": b"1"})]]})


async def test_blocking_cancel_leaves_nothing_blocked(amake: Any) -> None:
    ar, other = amake(), amake()
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(ar.blpop(["q"], timeout=0), 0.1)
    task = asyncio.create_task(ar.bzpopmin(["z"], timeout=0))
    await asyncio.sleep(0.02)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0.05)
    assert (await other.info("clients"))["blocked_clients"] == 0
    # Nobody is left waiting on the key: the push stays in the list.
    await other.rpush("q", "kept")
    await asyncio.sleep(0.05)
    assert await other.lrange("q", 0, -1) == [b"kept"]
    assert await ar.get("nothing") is None


# -- pub/sub ------------------------------------------------------------------------

async def test_pubsub(amake: Any) -> None:
    ar = amake(decode_responses=True)
    p = ar.pubsub()
    await p.subscribe("news")
    m = await p.get_message(timeout=1)
    assert m == {"type": "subscribe", "pattern": None, "channel": "news", "data": 1}
    assert await p.get_message(timeout=0.01) is None
    assert await ar.publish("news", "hello") == 1
    m = await p.get_message(ignore_subscribe_messages=True, timeout=1)
    assert m["data"] == "hello"
    await p.psubscribe("n*")
    await ar.publish("news", "again")
    got = []

    async def read_three() -> None:
        async for m in p.listen():
            got.append(m["type"])
            if len(got) == 3:
                break

    await asyncio.wait_for(read_three(), 5)
    assert got == ["psubscribe", "message", "pmessage"]
    await p.aclose()


async def test_pubsub_run_with_async_handler(amake: Any) -> None:
    ar = amake(decode_responses=True)
    seen: asyncio.Queue = asyncio.Queue()

    async def handler(message: Any) -> None:
        await seen.put(message["data"])

    p = ar.pubsub()
    await p.subscribe(jobs=handler)
    runner = asyncio.create_task(p.run(poll_timeout=0.1))
    await asyncio.sleep(0.05)
    await ar.publish("jobs", "one")
    assert await asyncio.wait_for(seen.get(), 2) == "one"
    runner.cancel()
    with pytest.raises(asyncio.CancelledError):
        await runner
    await p.aclose()


async def test_pubsub_low_level_reads(amake: Any) -> None:
    # What cashews' client-side cache does on redis.asyncio's PubSub: a
    # command and its raw reply before subscribing (CLIENT ID, CLIENT
    # TRACKING redirected to this very connection), then raw reads turned
    # into messages with handle_message.
    ar = amake(protocol=2)
    p = ar.pubsub()
    with pytest.raises(RuntimeError, match="pubsub connection not set"):
        await p.parse_response(block=False)
    await p.connect()
    await p.check_health()
    await p.execute_command("CLIENT", "ID")
    cid = await p.parse_response()
    assert isinstance(cid, int)
    await p.execute_command("CLIENT", "TRACKING", "on", "REDIRECT", cid, "BCAST", "PREFIX", "cs:")
    assert await p.parse_response(block=False, timeout=1) == b"OK"
    assert await p.parse_response(block=False, timeout=0.05) is None
    await p.subscribe("__redis__:invalidate")
    assert await p.handle_message(await p.parse_response()) == {
        "type": "subscribe", "pattern": None, "channel": b"__redis__:invalidate", "data": 1}
    await amake(protocol=2).set("cs:k", "v")
    raw = await asyncio.wait_for(p.parse_response(), 2)
    assert raw == [b"message", b"__redis__:invalidate", [b"cs:k"]]
    assert (await p.handle_message(raw))["data"] == [b"cs:k"]
    seen = []
    await p.subscribe(news=seen.append)
    await p.parse_response()
    await ar.publish("news", "hi")
    assert await p.handle_message(await asyncio.wait_for(p.parse_response(), 2)) is None
    assert [m["data"] for m in seen] == [b"hi"]
    assert p.HEALTH_CHECK_MESSAGE == "redis-py-health-check"
    # The bookkeeping Litestar's channels backend reads.
    assert p.encoder.decode_responses is False and p.shard_channels == {}
    await p.unsubscribe("news")
    assert p.pending_unsubscribe_channels == {b"news"}
    message = await p.handle_message(await asyncio.wait_for(p.parse_response(), 2))
    assert message["type"] == "unsubscribe" and p.pending_unsubscribe_channels == set()
    assert set(p.channels) == {b"__redis__:invalidate"}
    await p.aclose()


# -- scripts and locks ------------------------------------------------------------

async def test_register_script(ar: Any) -> None:
    incr = ar.register_script("return redis.call('incrby', KEYS[1], ARGV[1])")
    assert await incr(keys=["n"], args=[5]) == 5
    await ar.script_flush()
    assert await incr(keys=["n"], args=[1]) == 6
    async with ar.pipeline() as p:
        await incr(keys=["n"], args=[10], client=p)
        p.get("n")
        assert await p.execute() == [16, b"16"]


async def test_lock(amake: Any) -> None:
    ar = amake()
    lock = ar.lock("L", timeout=5)
    assert await lock.acquire(blocking=False) is True
    other = amake().lock("L", timeout=5)
    assert await other.acquire(blocking=False) is False
    assert await lock.owned() is True
    assert await lock.extend(5) is True
    await lock.release()
    assert await lock.locked() is False
    async with ar.lock("L", blocking_timeout=1) as held:
        assert await held.locked() is True
    with pytest.raises(ar.exc.LockError):
        await lock.release()


# -- concurrency -------------------------------------------------------------------

async def test_gather_many(ar: Any) -> None:
    await ar.mset({f"k{i}": i for i in range(90)})
    got = await asyncio.gather(*(ar.get(f"k{i}") for i in range(90)))
    assert got == [str(i).encode() for i in range(90)]
    got = await asyncio.gather(*(ar.incr("c") for _ in range(90)))
    assert sorted(got) == list(range(1, 91))


async def test_types(ar: Any) -> None:
    if ar.backend == "oracle":
        return
    assert isinstance(ar, redis.asyncio.Redis)
    assert isinstance(ar.pipeline(), redis.asyncio.client.Pipeline)
    assert isinstance(ar.pubsub(), redis.asyncio.client.PubSub)
    assert isinstance(ar.lock("x"), redis.asyncio.lock.Lock)


async def test_pubsub_waiting_reader_wakes_on_publish(amake: Any) -> None:
    ar = amake()
    p = ar.pubsub(ignore_subscribe_messages=True)
    await p.subscribe("ch")
    loop = asyncio.get_running_loop()
    # The subscribe confirmation is read (and ignored: None) first.
    assert await p.get_message(timeout=1) is None
    reader = asyncio.create_task(p.get_message(timeout=None))
    await asyncio.sleep(0.05)
    assert not reader.done()
    start = loop.time()
    await amake().publish("ch", "x")
    message = await asyncio.wait_for(reader, 2)
    assert message["data"] == b"x"
    assert loop.time() - start < 0.5
    await p.aclose()


async def test_from_url_and_pools(amake: Any, redis_server: Any) -> None:
    ar = amake()
    if ar.backend == "embedded":
        engine = f"atest-url-{uuid.uuid4().hex}"
        a = redcore.asyncio.from_url(f"memory://{engine}")
        b = redcore.asyncio.Redis.from_url(f"memory://{engine}", decode_responses=True)
        await a.set("k", "v")
        assert await b.get("k") == "v"
        # The sync client of the same name sees the same engine.
        assert redcore.Redis(name=engine).get("k") == b"v"
        redcore._redcore.forget_engine(engine)
        return
    mod = redcore.asyncio if ar.backend == "remote" else redis.asyncio
    c = mod.from_url(f"redis://127.0.0.1:{redis_server.port}/2", decode_responses=True)
    await c.set("k", "in db 2")
    assert await c.get("k") == "in db 2"
    assert await ar.get("k") is None
    await c.flushdb()
    await c.aclose()
    pool = mod.BlockingConnectionPool(port=redis_server.port, max_connections=2, timeout=1)
    d = mod.Redis(connection_pool=pool)
    results = await asyncio.gather(*(d.blpop([f"none{i}"], timeout=0.1) for i in range(4)))
    assert results == [None] * 4
    await d.aclose()
    await pool.disconnect()


async def test_pool_types(amake: Any, redis_server: Any) -> None:
    if amake().backend == "oracle":
        return
    pool = redcore.asyncio.ConnectionPool(port=redis_server.port)
    assert isinstance(pool, redis.asyncio.ConnectionPool)
    assert isinstance(redcore.asyncio.BlockingConnectionPool(port=redis_server.port), redis.asyncio.BlockingConnectionPool)
    assert pool.connection_kwargs["port"] == redis_server.port


async def test_docstring_examples() -> None:
    import doctest

    import redcore.asyncio.client
    import redcore.asyncio.connection
    import redcore.asyncio.embedded
    import redcore.asyncio.lock
    import redcore.asyncio.pubsub

    # The examples call asyncio.run(): run them off this test's loop.
    mods = (redcore.asyncio, redcore.asyncio.client, redcore.asyncio.connection, redcore.asyncio.embedded,
            redcore.asyncio.lock, redcore.asyncio.pubsub)
    for mod in mods:
        result = await asyncio.to_thread(doctest.testmod, mod)
        assert result.failed == 0 and result.attempted > 0, mod


async def test_resp2_and_single_connection(amake: Any) -> None:
    r2 = amake(protocol=2)
    await r2.zadd("z", {"a": 1.5})
    assert await r2.zrange("z", 0, -1, withscores=True) == [(b"a", 1.5)]
    assert await r2.hgetall("missing") == {}
    single = amake(single_connection_client=True)
    await single.set("k", "v")
    assert await single.get("k") == b"v"
    assert await single.client_setname("me") is True
    assert await single.client_getname() == "me"
    async with amake() as ctx:
        assert await ctx.get("k") == b"v"


async def test_pool_of_another_library(redis_server: Any) -> None:
    redis_server.client().flushall()
    foreign = redis.asyncio.ConnectionPool(port=redis_server.port, db=3)
    r = redcore.asyncio.Redis(connection_pool=foreign)
    await r.set("k", "v")
    assert redis_server.client(db=3).get("k") == b"v"
    assert isinstance(r.connection_pool, redcore.asyncio.ConnectionPool)
    await r.aclose()
    await r.connection_pool.disconnect()
    positional = redcore.asyncio.Redis("127.0.0.1", redis_server.port, 3)
    assert await positional.get("k") == b"v"
    await positional.aclose()
    redis_server.client(db=3).flushdb()


async def test_rate_limit_middleware_with_an_async_client(amake: Any) -> None:
    """The ASGI middleware awaits an asyncio client's checks (the loop is
    never blocked on a server round trip)."""
    from redcore.ratelimit import FixedWindow
    from redcore.ratelimit.asgi import RateLimitMiddleware

    ar = amake()
    if ar.backend == "oracle":
        return  # the helper's own tests cover redis-py clients

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    mw = RateLimitMiddleware(app, FixedWindow(ar, "api", limit=2, window=60))
    statuses = []

    async def call() -> None:
        async def receive() -> Any:
            return {"type": "http.request"}

        async def send(message: Any) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        await mw({"type": "http", "client": ("1.2.3.4", 1), "headers": []}, receive, send)

    for _ in range(3):
        await call()
    assert statuses == [200, 200, 429]
    assert await FixedWindow(ar, "other", limit=1, window=60).ahit() is not None


# -- redis.asyncio's Redis on redcore's asyncio pools -----------------------------------

@pytest_asyncio.fixture(params=ABACKENDS)
async def apool(request: Any, redis_server: Any) -> AsyncIterator[Any]:
    """An asyncio pool: redcore's on an embedded engine (``memory://``
    host) or on the test redis-server, or redis.asyncio's (the oracle).
    ``apool.other()`` is a redcore client on the same data."""
    engine = f"apool-{uuid.uuid4().hex}"
    if request.param == "embedded":
        pool = redcore.asyncio.ConnectionPool(host=f"memory://{engine}")
        assert isinstance(pool, redcore.asyncio.embedded.EmbeddedConnectionPool)
        pool.other = lambda: redcore.asyncio.Redis(name=engine)
    else:
        redis_server.client().flushall()
        module = redcore.asyncio if request.param == "remote" else redis.asyncio
        pool = module.ConnectionPool(port=redis_server.port)
        pool.other = lambda: redcore.asyncio.Redis(port=redis_server.port)
    pool.backend = request.param
    yield pool
    await pool.aclose()
    redcore._redcore.forget_engine(engine)


async def test_redis_py_client_on_a_redcore_pool(apool: Any) -> None:
    """redis.asyncio's ``Redis(connection_pool=...)`` (what aiocache and
    limits' asyncio storage build) drives the pool's connections through
    their low-level interface: commands, errors, pipelines, scripts,
    blocking commands."""
    r = redis.asyncio.Redis(connection_pool=apool)
    other = apool.other()
    assert await r.set("k", "v") is True and await r.get("k") == b"v"
    assert await other.get("k") == b"v"  # the same server, or the same engine
    assert await r.hset("h", mapping={"a": 1}) == 1 and await r.hgetall("h") == {b"a": b"1"}
    assert await r.zadd("z", {"a": 1, "b": 2}) == 2
    assert await r.zrange("z", 0, -1, withscores=True, score_cast_func=int) == [(b"a", 1), (b"b", 2)]
    with pytest.raises(redis.exceptions.ResponseError, match="not an integer"):
        await r.incr("k")
    async with r.pipeline(transaction=True) as pipe:
        assert await pipe.incr("n").incr("n").get("n").execute() == [1, 2, b"2"]
    async with r.pipeline(transaction=False) as pipe:
        result = await pipe.set("a", 1).lpush("k", 1).get("a").execute(raise_on_error=False)
        assert result[0] is True and isinstance(result[1], redis.exceptions.ResponseError) and result[2] == b"1"
    assert await r.eval("return redis.call('GET', KEYS[1])", 1, "k") == b"v"
    sha = await r.script_load("return ARGV[1]")
    assert await r.evalsha(sha, 0, "x") == b"x"
    # A blocking command waits without blocking the loop; data from
    # another client wakes it.
    assert await r.bzpopmin("nothing", timeout=0.1) is None

    async def push() -> None:
        await asyncio.sleep(0.05)
        await other.zadd("q", {"m": 3})

    pusher = asyncio.ensure_future(push())
    assert await r.bzpopmin("q", timeout=2) == (b"q", b"m", 3.0)
    await pusher
    await other.aclose()
    await r.aclose()


async def test_pool_connections_low_level(apool: Any) -> None:
    """``get_connection()``'s connections: ``send_command`` /
    ``read_response`` in order, error replies raised, their own state
    (SELECT, WATCH/MULTI), ``await disconnect()``."""
    conn = await apool.get_connection()
    await conn.send_command("SET", "k", "v")
    await conn.send_command("GET", "k")
    await conn.send_command("INCR", "k")
    await conn.send_command("CLIENT SETNAME", "low-level")  # a name in two words
    assert await conn.read_response() in (b"OK", "OK")
    assert await conn.read_response() == b"v"
    with pytest.raises(redis.exceptions.ResponseError, match="not an integer"):
        await conn.read_response()
    assert await conn.read_response() in (b"OK", "OK")
    await conn.send_packed_command(conn.pack_commands([("SELECT", 1), ("SET", "k", "db1"), ("SELECT", 0)]))
    assert [await conn.read_response() for _ in range(3)] == [b"OK", b"OK", b"OK"]
    assert await conn.can_read() is False
    await apool.release(conn)
    other = apool.other()
    assert await other.get("k") == b"v"
    await other.select(1)
    assert await other.get("k") == b"db1"
    await other.aclose()
    conn = await apool.get_connection()
    await conn.disconnect()
    await apool.release(conn)


async def test_connection_pool_serves_redis_asyncio_clients(amake: Any) -> None:
    """``client.connection_pool`` is an asyncio pool on every backend (the
    embedded engine's too): redis.asyncio clients built on it reach the
    same data, and its methods are awaited as redis.asyncio's."""
    a = amake()
    await a.set("k", "v")
    pool = a.connection_pool
    other = redis.asyncio.Redis(connection_pool=pool)
    assert await other.get("k") == b"v"
    assert await other.rpush("l", "x") == 1 and await a.lpop("l") == b"x"
    conn = await pool.get_connection()
    await conn.send_command("GET", "k")
    assert await conn.read_response() == b"v"
    await pool.release(conn)
    await pool.disconnect()
    assert await a.get("k") == b"v"  # the client goes on after its pool disconnected
    again = redcore.asyncio.Redis(connection_pool=pool)
    assert await again.get("k") == b"v"
    await again.aclose()


async def test_pool_connection_select_leaves_redcore_clients_in_their_db(redis_server: Any, amake: Any) -> None:
    """A SELECT sent on one of a redcore pool's connections does not move
    the redcore clients that later run on that connection."""
    a = amake()
    if a.backend == "oracle":
        return  # redis.asyncio's clients run in whatever database a connection is in
    pool = a.connection_pool
    if isinstance(pool, redcore.connection.EmbeddedConnectionPool):
        pool = redcore.asyncio.ConnectionPool(**pool.connection_kwargs)
    b = redcore.asyncio.Redis(connection_pool=pool)
    conn = await pool.get_connection()
    await conn.send_command("SELECT", 2)
    assert await conn.read_response() == b"OK"
    await pool.release(conn)
    await a.rpush("l", "x")
    assert await b.blpop("l", timeout=1) == (b"l", b"x")  # on the released connection
    assert await b.set("k", "v") and await a.get("k") == b"v"
    await b.aclose()


async def test_embedded_pool_from_host_and_port() -> None:
    """Code that makes a pool from a host and a port (aiocache) reaches an
    engine given its ``memory://`` URL; the port means nothing there."""
    engine = f"hostport-{uuid.uuid4().hex}"
    pool = redcore.connection.EmbeddedConnectionPool(host=f"memory://{engine}", port=6379, socket_connect_timeout=None)
    assert "port" not in pool.connection_kwargs
    redcore.Redis(name=engine).set("k", "v")
    assert redcore.Redis(**pool.connection_kwargs).get("k") == b"v"
    assert redcore.Redis(connection_pool=pool).get("k") == b"v"
    apool = redcore.asyncio.ConnectionPool.from_url(f"memory://{engine}")
    assert isinstance(apool, redcore.asyncio.embedded.EmbeddedConnectionPool)
    assert apool.connection_kwargs["host"] == f"memory://{engine}"
    assert await redcore.asyncio.Redis(connection_pool=apool).get("k") == b"v"
    redcore._redcore.forget_engine(engine)


@pytest.mark.parametrize("backend", ABACKENDS)
async def test_redcore_connection_class_in_a_redis_py_pool(backend: str, redis_server: Any) -> None:
    """redis.asyncio's own ConnectionPool makes its connections from
    ``connection_class(**connection_kwargs)`` (channels-redis passes one in
    its host entries): redcore's Connection, made so, reaches the server
    or, with a ``memory://`` host, the engine; the pool reconnects a
    closed one."""
    engine = f"cls-{uuid.uuid4().hex}"
    if backend == "embedded":
        kwargs: dict = {"host": f"memory://{engine}", "connection_class": redcore.asyncio.Connection}
        other = redcore.asyncio.Redis(name=engine)
    else:
        redis_server.client().flushall()
        kwargs = {"host": "127.0.0.1", "port": redis_server.port}
        if backend == "remote":
            kwargs["connection_class"] = redcore.asyncio.Connection
        other = redcore.asyncio.Redis(port=redis_server.port)
    pool = redis.asyncio.ConnectionPool(**kwargs)
    r = redis.asyncio.Redis(connection_pool=pool)
    assert await r.set("k", "v") is True and await other.get("k") == b"v"
    conn = await pool.get_connection()
    if backend == "embedded":
        assert isinstance(conn, redcore.asyncio.embedded.EmbeddedConnection)
    elif backend == "remote":
        assert isinstance(conn, redcore.asyncio.Connection)
    await conn.disconnect()
    await pool.release(conn)
    # The pool hands the closed connection out again: connect() reopens it.
    assert await r.incr("n") == 1 and await r.get("n") == b"1"
    async with r.pipeline() as pipe:
        assert await pipe.set("a", 1).get("a").execute() == [True, b"1"]
    assert await r.blpop(["nothing"], timeout=0.1) is None
    await r.aclose()
    await pool.aclose()
    await other.aclose()
    redcore._redcore.forget_engine(engine)


@pytest.mark.parametrize("single", [False, True])
async def test_commands_after_quit(amake: Any, single: bool) -> None:
    """QUIT closes the connection: the next command runs on a new one, on
    every backend (redis.asyncio retries onto one)."""
    r = amake(single_connection_client=single)
    await r.set("k", "v")
    for _ in range(5):
        assert await r.quit() in (True, "OK", b"OK")
        assert await r.get("k") == b"v"


async def test_quit_retires_the_connection_the_server_will_close() -> None:
    """A server slow to close after QUIT: the next command still goes to a
    new connection (sent on the old one, it would be lost with it)."""
    from support import ScriptedServer

    srv = ScriptedServer(lambda i: [b"*0\r\n"])  # +OK to everything; never closes
    try:
        for n, single in enumerate([False, True]):
            r = redcore.asyncio.Redis(port=srv.port, protocol=2, single_connection_client=single)
            assert await r.set("k", "v") is True
            assert await r.quit() is True
            assert await r.set("k", "v") is True
            assert srv.conns == 2 * n + 2
            await r.aclose()
    finally:
        srv.close()
