"""The helpers' async twins on redcore.asyncio clients: ``@cached`` on
``async def`` functions, the rate limiters (and their ASGI middleware),
:class:`AsyncSessionStore`, :class:`AsyncLeaderboard`, :class:`AsyncBus`,
:class:`AsyncStreamWorker` / :class:`AsyncStreamProducer`, and the FastAPI
example app (examples/fastapi_app) through httpx's ASGI transport.

Each test runs on ``embedded`` (redcore.asyncio on the in-process engine),
``remote`` (redcore.asyncio -> the test redis-server) and ``oracle``
(redis.asyncio -> the test redis-server: the helpers take either client);
where a test mixes in a blocking client it is the same library's sync
client on the same data.
"""

from __future__ import annotations

import asyncio
import importlib.util
import math
import uuid
from pathlib import Path
from typing import Any, AsyncIterator, Callable, List

import pytest
import pytest_asyncio
import redis
import redis.asyncio

import redcore
import redcore.asyncio
from redcore.cache import cached, invalidate_tags
from redcore.leaderboard import AsyncLeaderboard, Leaderboard
from redcore.pubsub import AsyncBus, Message
from redcore.ratelimit import GCRA, FixedWindow, LeakyBucket, SlidingWindowCounter, SlidingWindowLog, TokenBucket, rate_limited
from redcore.ratelimit.asgi import RateLimitMiddleware
from redcore.session import AsyncSessionStore, SessionStore
from redcore.streams import AsyncStreamProducer, AsyncStreamWorker, StreamWorker

pytestmark = pytest.mark.asyncio

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest_asyncio.fixture(params=["embedded", "remote", "oracle"])
async def env(request: Any, redis_server: Any) -> AsyncIterator[Any]:
    """``env.aclient(**kw)`` / ``env.client(**kw)``: async and sync clients
    on one dataset, empty at the start; ``env.url`` its address."""
    engine = f"ahelpers-{uuid.uuid4().hex}"
    made: List[Any] = []
    if request.param != "embedded":
        redis_server.client().flushall()

    class Env:
        backend = request.param
        url = f"memory://{engine}" if request.param == "embedded" else f"redis://127.0.0.1:{redis_server.port}/0"

        def aclient(self, **kwargs: Any) -> Any:
            if request.param == "embedded":
                c = redcore.asyncio.Redis(name=engine, **kwargs)
            elif request.param == "remote":
                c = redcore.asyncio.Redis(port=redis_server.port, **kwargs)
            else:
                c = redis.asyncio.Redis(port=redis_server.port, **kwargs)
            made.append(c)
            return c

        def client(self, **kwargs: Any) -> Any:
            if request.param == "embedded":
                return redcore.Redis(name=engine, **kwargs)
            if request.param == "remote":
                return redcore.Redis(port=redis_server.port, **kwargs)
            return redis.Redis(port=redis_server.port, **kwargs)

    yield Env()
    for c in made:
        await c.aclose()
    redcore._redcore.forget_engine(engine)


class Ticker:
    """Counts loop iterations in the background: a check that awaited
    waits really let other tasks run."""

    def __init__(self) -> None:
        self.ticks = 0
        self.task: Any = None

    async def run(self) -> None:
        while True:
            self.ticks += 1
            await asyncio.sleep(0.001)

    def __enter__(self) -> "Ticker":
        self.task = asyncio.get_running_loop().create_task(self.run())
        return self

    def __exit__(self, *exc: Any) -> None:
        self.task.cancel()


# --- @cached ----------------------------------------------------------------


async def test_cached_hits_misses_and_key(env: Any) -> None:
    r = env.aclient()
    calls: List[int] = []

    @cached(r, ttl=60, key="sq:{x}")
    async def square(x: int) -> int:
        calls.append(x)
        return x * x

    assert await square(4) == 16
    assert await square(4) == 16
    assert await square(5) == 25
    assert calls == [4, 5]
    assert square.key(4) == "{cache}:sq:4"
    assert await r.exists("{cache}:sq:4") == 1
    assert 59_000 < await r.pttl("{cache}:sq:4") <= 60_000
    assert square.stats() == {"hits": 1, "misses": 2, "computations": 2, "stale_hits": 0, "refreshes": 0}


async def test_cached_stampede_computes_once_without_blocking_the_loop(env: Any) -> None:
    r = env.aclient()
    calls: List[int] = []

    @cached(r, ttl=60)
    async def slow(x: int) -> int:
        calls.append(x)
        await asyncio.sleep(0.15)
        return x + 1

    with Ticker() as ticker:
        results = await asyncio.gather(*(slow(1) for _ in range(25)))
    assert results == [2] * 25
    assert calls == [1]
    # The 24 waiters polled with asyncio.sleep: the loop kept running.
    assert ticker.ticks >= 20
    assert slow.stats()["computations"] == 1


async def test_cached_ttl_expiry_and_none(env: Any) -> None:
    r = env.aclient()
    calls: List[str] = []

    @cached(r, ttl=0.2)
    async def value(name: str) -> Any:
        calls.append(name)
        return None if name == "none" else len(calls)

    assert await value("a") == 1
    assert await value("a") == 1
    await asyncio.sleep(0.3)
    assert await value("a") == 2  # expired: recomputed
    assert await value("none") is None
    assert await value("none") is None  # None is not cached by default
    assert calls == ["a", "a", "none", "none"]

    @cached(r, ttl=60, cache_none=True, namespace="n2")
    async def nothing() -> None:
        calls.append("nothing")

    assert await nothing() is None and await nothing() is None
    assert calls.count("nothing") == 1


async def test_cached_invalidate_set_refresh_and_writer(env: Any) -> None:
    r = env.aclient()
    users = {1: "ada"}

    @cached(r, ttl=60, key="user:{uid}")
    async def user(uid: int) -> Any:
        return users.get(uid)

    @user.writer
    async def save_user(name: str, uid: int) -> None:
        users[uid] = name

    assert await user(1) == "ada"
    users[1] = "grace"
    assert await user(1) == "ada"
    assert await user.invalidate(1) is True
    assert await user.invalidate(1) is False
    assert await user(1) == "grace"
    assert await user.set("linus", 1) is True
    assert await user(1) == "linus"
    assert await user.refresh(1) == "grace"
    assert await user(1) == "grace"
    await save_user("barbara", 1)
    assert users[1] == "barbara" and await user(1) == "barbara"

    @user.writer
    async def failing(name: str, uid: int) -> None:
        raise RuntimeError("backing store down")

    with pytest.raises(RuntimeError):
        await failing("x", 1)
    assert await r.exists(user.key(1)) == 0  # invalidated


async def test_invalidate_tags_is_awaitable(env: Any) -> None:
    r = env.aclient()
    calls: List[int] = []

    @cached(r, ttl=60, tags=lambda uid: [f"user:{uid}"])
    async def profile(uid: int) -> dict:
        calls.append(uid)
        return {"id": uid}

    @cached(r, ttl=60, tags=lambda uid: [f"user:{uid}"])
    async def posts(uid: int) -> list:
        calls.append(-uid)
        return [uid]

    await profile(7), await posts(7), await profile(8)
    assert await invalidate_tags(r, "user:7") == 2
    assert await invalidate_tags(r, "user:7") == 0
    assert await invalidate_tags(r) == 0
    await profile(7), await posts(7), await profile(8)
    assert calls == [7, -7, 8, 7, -7]


async def test_cached_invalidation_voids_a_running_computation(env: Any) -> None:
    r = env.aclient()
    source = {"v": 1}
    started = asyncio.Event()

    @cached(r, ttl=60, key="doc")
    async def doc() -> int:
        value = source["v"]
        started.set()
        await asyncio.sleep(0.1)
        return value

    task = asyncio.create_task(doc())
    await started.wait()
    source["v"] = 2
    await doc.invalidate()
    assert await task == 1  # the caller gets its value...
    assert await doc() == 2  # ...but it was not stored


async def test_cached_stale_while_revalidate(env: Any) -> None:
    r = env.aclient()
    version = {"n": 1}

    @cached(r, ttl=0.2, stampede="stale", stale_ttl=5)
    async def page() -> int:
        await asyncio.sleep(0.1)
        return version["n"]

    assert await page() == 1
    version["n"] = 2
    await asyncio.sleep(0.3)
    results = await asyncio.gather(*(page() for _ in range(5)))
    assert sorted(results) == [1, 1, 1, 1, 2]  # one recomputed, the rest got the stale value at once
    assert page.stats()["stale_hits"] == 4
    assert await page() == 2


async def test_cached_refresh_ahead_runs_as_a_task(env: Any) -> None:
    r = env.aclient()
    store = {"k": 1}

    @cached(r, ttl=1.0, refresh_ahead=0.8)
    async def load(name: str) -> int:
        return store[name]

    assert await load("k") == 1
    store["k"] = 2
    await asyncio.sleep(0.25)
    assert await load("k") == 1  # near expiry: current value, refresh in the background
    for _ in range(100):
        await asyncio.sleep(0.01)
        if await load("k") == 2:
            break
    assert await load("k") == 2
    assert load.stats()["refreshes"] == 1
    assert await r.pttl(load.key("k")) > 600


async def test_cached_shares_entries_with_the_sync_client(env: Any) -> None:
    r = env.aclient()
    sync = env.client()

    @cached(sync, ttl=60, key="shared:{x}")
    def sync_fn(x: int) -> list:
        return [x, "sync"]

    @cached(r, ttl=60, key="shared:{x}")
    async def async_fn(x: int) -> list:
        return [x, "async"]

    assert sync_fn(1) == [1, "sync"]
    assert await async_fn(1) == [1, "sync"]
    assert await async_fn(2) == [2, "async"]
    assert sync_fn(2) == [2, "async"]


async def test_cached_errors(env: Any) -> None:
    r = env.aclient()
    with pytest.raises(TypeError, match="async def"):

        @cached(r, ttl=60)
        def plain() -> int:
            return 1

    with pytest.raises(ValueError, match="decode_responses"):
        cached(env.aclient(decode_responses=True), ttl=60)(plain_async)

    attempts: List[int] = []

    @cached(r, ttl=60)
    async def boom() -> int:
        attempts.append(1)
        raise KeyError("x")

    for _ in range(2):
        with pytest.raises(KeyError):
            await boom()
    assert len(attempts) == 2  # the lock was released: the next caller computes at once
    assert await r.keys("*lock*") == []


async def plain_async() -> int:
    return 1


# --- rate limiting ------------------------------------------------------------


LIMITERS: List[Callable[[Any, str], Any]] = [
    lambda c, k: FixedWindow(c, k, limit=3, window=60),
    lambda c, k: SlidingWindowLog(c, k, limit=3, window=60),
    lambda c, k: SlidingWindowCounter(c, k, limit=3, window=60),
    lambda c, k: TokenBucket(c, k, rate=3, per=60),
    lambda c, k: LeakyBucket(c, k, rate=3, per=60),
    lambda c, k: GCRA(c, k, rate=3, per=60, burst=3),
]


@pytest.mark.parametrize("make", LIMITERS, ids=["fixed", "log", "counter", "token", "leaky", "gcra"])
async def test_limiters_with_an_async_client(env: Any, make: Any) -> None:
    r = env.aclient()
    limiter = make(r, "rl:{u1}")
    assert (await limiter.peek()).remaining == 3
    results = [await limiter.hit() for _ in range(4)]
    assert [res.allowed for res in results] == [True, True, True, False]
    assert results[-1].retry_after > 0
    assert (await limiter.ahit()).allowed is False
    assert (await limiter.apeek()).allowed is False
    assert await limiter.reset() == 1
    assert (await limiter.hit(2)).remaining == 1
    # The same state through the blocking client.
    assert make(env.client(), "rl:{u1}").peek().remaining == 1


async def test_rate_limited_decorator_with_an_async_client(env: Any) -> None:
    r = env.aclient()

    @rate_limited(FixedWindow(r, "greet", limit=2, window=60), key=lambda name: name, on_limited=lambda *a, **kw: "slow down")
    async def greet(name: str) -> str:
        return f"hi {name}"

    assert [await greet("ada") for _ in range(3)] == ["hi ada", "hi ada", "slow down"]
    assert await greet("bob") == "hi bob"


async def test_asgi_middleware_awaits_the_async_client(env: Any) -> None:
    r = env.aclient()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    mw = RateLimitMiddleware(app, GCRA(r, "api", rate=2, per=60, burst=2))
    seen: List[Any] = []

    async def call(ip: str) -> None:
        async def receive() -> Any:
            return {"type": "http.request"}

        async def send(message: Any) -> None:
            if message["type"] == "http.response.start":
                seen.append((ip, message["status"], dict(message["headers"]).get(b"ratelimit-remaining")))

        await mw({"type": "http", "client": (ip, 1), "headers": []}, receive, send)

    with Ticker():
        await asyncio.gather(*(call("1.1.1.1") for _ in range(3)), call("2.2.2.2"))
    statuses = sorted(s for ip, s, _ in seen if ip == "1.1.1.1")
    assert statuses == [200, 200, 429]
    assert ("2.2.2.2", 200, b"1") in seen
    assert await r.exists("api:1.1.1.1") == 1


# --- sessions -------------------------------------------------------------------


async def test_async_session_store(env: Any) -> None:
    r = env.aclient()
    store = AsyncSessionStore(r, ttl=60)
    sid = await store.create({"user": "ada"})
    assert await store.exists(sid) is True
    assert await store.get(sid) == {"user": "ada"}
    assert await store.update(sid, {"cart": [1]}, theme="dark") is True
    assert await store.get(sid) == {"user": "ada", "cart": [1], "theme": "dark"}
    assert await store.discard(sid, "theme") is True
    assert await store.get(sid) == {"user": "ada", "cart": [1]}
    assert 59 < await store.ttl(sid) <= 60
    assert await store.touch(sid, ttl=None) is True
    assert await store.ttl(sid) == math.inf
    assert await store.replace(sid, {"only": 1}) is True
    assert await store.get(sid) == {"only": 1}
    new = await store.rotate(sid)
    assert new is not None and new != sid
    assert await store.get(sid) is None and await store.get(new) == {"only": 1}
    # Unknown, forged and deleted sessions.
    assert await store.update(sid, x=1) is False
    assert await r.exists(store.key(sid)) == 0  # no marker-less leftover
    assert await store.get("../etc") is None and await store.exists("no") is False
    assert await store.rotate(sid) is None and await store.touch(sid) is False
    assert await store.replace(sid, {}) is False and await store.ttl(sid) is None
    assert await store.delete(new) is True and await store.delete(new) is False
    # create_as (a framework's own id) under WATCH.
    assert await store.create_as("d" * 32, {"a": 1}) is True
    assert await store.create_as("d" * 32, {}) is False
    with pytest.raises(ValueError):
        await store.create_as("bad id", {})


async def test_async_session_store_sliding_and_sync_interop(env: Any) -> None:
    r = env.aclient()
    store = AsyncSessionStore(r, ttl=60, prefix="s:")
    sync_store = SessionStore(env.client(), ttl=60, prefix="s:")
    sid = sync_store.create({"n": 1})
    await r.pexpire(f"s:{sid}", 5000)
    assert await store.get(sid) == {"n": 1}
    assert await r.pttl(f"s:{sid}") > 50_000  # the read slid the TTL
    fixed = AsyncSessionStore(r, ttl=60, prefix="s:", sliding=False)
    await r.pexpire(f"s:{sid}", 5000)
    assert await fixed.update(sid, n=2) is True
    assert await r.pttl(f"s:{sid}") <= 5000
    assert sync_store.get(sid) == {"n": 2}
    # Concurrent updates of different keys both land.
    await asyncio.gather(*(store.update(sid, **{f"k{i}": i}) for i in range(10)))
    assert len(await store.get(sid)) == 11


# --- leaderboards ---------------------------------------------------------------


async def test_async_leaderboard(env: Any) -> None:
    r = env.aclient(decode_responses=True)
    board = AsyncLeaderboard(r, "arcade")
    assert await board.submit("ada", 300) is True
    assert await board.submit("bob", 500) is True
    assert await board.submit("cy", 300) is True
    assert await board.submit("ada", 200) is False
    assert [(e.member, e.score, e.position) for e in await board.top(3)] == [("bob", 500.0, 1), ("ada", 300.0, 2), ("cy", 300.0, 3)]
    assert (await board.rank("cy"), await board.position("cy"), await board.score("cy")) == (2, 3, 300.0)
    assert await board.rank("nobody") is None and await board.score("nobody") is None
    assert await board.increment("cy", 250) == 550.0
    assert [e.member for e in await board.around("ada", 1)] == ["bob", "ada"]
    assert [e.member for e in await board.page(2, 2)] == ["ada"]
    assert [e.member for e in await board.range_by_score(300, 520)] == ["bob", "ada"]
    assert await board.count() == 3
    assert [e.member for e in await board.cached_top(2)] == ["cy", "bob"]
    assert [e.member for e in await board.cached_top(2)] == ["cy", "bob"]  # from the copy
    await board.submit("ada", 900)
    assert [e.member for e in await board.cached_top(2)] == ["ada", "cy"]  # the change voided the copy
    # The sync class reads the same board.
    assert [e.member for e in Leaderboard(env.client(decode_responses=True), "arcade").top(3)] == ["ada", "cy", "bob"]
    assert await board.remove("bob") is True and await board.remove("bob") is False
    await board.clear()
    assert await board.count() == 0 and await board.around("ada") == []
    with pytest.raises(ValueError):
        await board.page(0)


# --- pub/sub bus -------------------------------------------------------------------


async def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.005)


async def test_async_bus_handlers(env: Any) -> None:
    r = env.aclient()
    errors: List[Any] = []
    bus = AsyncBus(r, on_error=lambda exc, msg: errors.append((type(exc).__name__, msg.channel)))
    got: List[Any] = []

    @bus.on("orders")
    async def on_order(order: Any, channel: str) -> None:
        await asyncio.sleep(0)
        got.append(("async", channel, order["id"]))

    @bus.on_pattern("audit.*")
    def on_audit(data: Any, channel: str) -> None:
        got.append(("sync", channel, data))

    @bus.on("raw", raw=True)
    def on_raw(data: Any, channel: str) -> None:
        got.append(("raw", channel, data))

    @bus.on("bad")
    def bad(data: Any, channel: str) -> None:
        raise RuntimeError("handler bug")

    async with bus:
        assert bus.running
        assert await bus.publish("orders", {"id": 7}) == 1
        assert await bus.publish("audit.login", ["ada"]) == 1
        assert await bus.publish("raw", b"bytes!", raw=True) == 1
        await bus.publish("bad", 1)
        await r.publish("orders", "not json")
        await bus.publish("orders", {"id": 8})
        await wait_for(lambda: len(got) == 4)
        # A handler added while running subscribes on the listener's next turn.
        late: List[Any] = []
        bus.add_handler("late", lambda data, channel: late.append(data))
        await wait_for(lambda: "late" in bus._handlers["channel"] and bus._changes.empty())
        for _ in range(200):
            if await bus.publish("late", "x") == 1:
                break
            await asyncio.sleep(0.01)
        await wait_for(lambda: late == ["x"])
        bus.remove_handler("late")
        await wait_for(lambda: bus._changes.empty())
    assert not bus.running
    assert got == [("async", "orders", 7), ("sync", "audit.login", ["ada"]), ("raw", "raw", b"bytes!"), ("async", "orders", 8)]
    assert ("RuntimeError", "bad") in errors and ("JSONDecodeError", "orders") in errors
    assert await r.pubsub_numsub("orders") == [(b"orders", 0)]
    with pytest.raises(TypeError):
        with bus:  # type: ignore[attr-defined]
            pass


async def test_async_bus_iteration(env: Any) -> None:
    r = env.aclient()
    bus = AsyncBus(r)
    seen: List[Message] = []

    async def consume() -> None:
        async for msg in bus.aiter("news", patterns=["alerts.*"]):
            seen.append(msg)
            if len(seen) == 2:
                break

    task = asyncio.create_task(consume())
    for _ in range(500):
        if await r.pubsub_numpat() == 1 and (await r.pubsub_numsub("news"))[0][1] == 1:
            break
        await asyncio.sleep(0.01)
    await bus.publish("news", {"h": 1})
    await bus.publish("alerts.fire", "hot")
    await asyncio.wait_for(task, 5)
    assert [(m.channel, m.data, m.pattern) for m in seen] == [("news", {"h": 1}, None), ("alerts.fire", "hot", "alerts.*")]
    for _ in range(500):  # break closed the iterator's subscription
        if await r.pubsub_numpat() == 0:
            break
        await asyncio.sleep(0.01)
    assert await r.pubsub_numpat() == 0
    with pytest.raises(ValueError):
        async for _ in bus.aiter():
            pass


# --- streams ---------------------------------------------------------------------


async def test_async_stream_worker_round_trip(env: Any) -> None:
    r = env.aclient(decode_responses=True)
    producer = AsyncStreamProducer(r, "{orders}")
    ids = await producer.send_many([{"sku": "A1", "qty": 2}, ["nested", {"ok": True}]])
    assert len(ids) == 2
    await producer.send_json({"sku": "B2"})
    seen: List[Any] = []

    async def handle(msg: Any) -> None:
        await asyncio.sleep(0)
        seen.append(msg.data)

    worker = AsyncStreamWorker(r, "{orders}", "billing", "w1", handle, block_ms=50)
    assert await worker.process_once() == 3
    assert seen == [{"sku": "A1", "qty": "2"}, ["nested", {"ok": True}], {"sku": "B2"}]
    assert (await worker.pending())["pending"] == 0
    assert await worker.process_once(block_ms=20) == 0
    with pytest.raises(TypeError):
        worker.run_in_thread()


async def test_async_stream_worker_retries_and_dead_letters(env: Any) -> None:
    r = env.aclient(decode_responses=True)
    await AsyncStreamProducer(r, "{jobs}").send({"n": "1"})
    attempts: List[int] = []
    errors: List[str] = []

    def flaky(msg: Any) -> None:  # a plain function works too
        attempts.append(msg.deliveries)
        raise RuntimeError("down")

    worker = AsyncStreamWorker(
        r, "{jobs}", "g", "w1", flaky, block_ms=10, max_retries=2, backoff=0.05,
        on_error=lambda exc, msg: errors.append(str(exc)),
    )
    for _ in range(200):
        await worker.process_once(block_ms=10)
        if await worker.dead_letters():
            break
        await asyncio.sleep(0.01)
    assert attempts == [1, 2, 3]
    assert errors == ["down"] * 3
    (dead_id, fields), = await worker.dead_letters()
    assert fields["n"] == "1" and fields["dlq:deliveries"] == "3" and fields["dlq:group"] == "g"
    assert (await worker.pending())["pending"] == 0
    # The sync worker reads the same group state.
    assert StreamWorker(env.client(decode_responses=True), "{jobs}", "g", "w2", print).pending()["pending"] == 0


async def test_async_stream_worker_runs_as_a_task(env: Any) -> None:
    r = env.aclient(decode_responses=True)
    seen: List[str] = []
    worker = AsyncStreamWorker(r, "{feed}", "g", None, lambda m: seen.append(m.data["v"]), block_ms=50)
    task = asyncio.create_task(worker.run())
    producer = AsyncStreamProducer(r, "{feed}")
    with Ticker() as ticker:
        for i in range(5):
            await producer.send({"v": str(i)})
        await wait_for(lambda: len(seen) == 5)
    assert seen == ["0", "1", "2", "3", "4"]
    assert ticker.ticks > 0
    worker.stop()
    await asyncio.wait_for(task, 2)


# --- the FastAPI example ----------------------------------------------------------


def fastapi_app(url: str, **kwargs: Any) -> Any:
    spec = importlib.util.spec_from_file_location(f"fastapi_example_{uuid.uuid4().hex}", EXAMPLES / "fastapi_app" / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.create_app(url, **kwargs)


async def test_fastapi_example(env: Any) -> None:
    httpx = pytest.importorskip("httpx")
    app = fastapi_app(env.url, slow=0.1, rate=20)
    transport = httpx.ASGITransport(app=app, client=("10.0.0.1", 1234))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        # Sessions.
        assert (await c.get("/me")).status_code == 401
        assert (await c.post("/login", json={"user": "ada"})).json() == {"ok": True}
        first_sid = c.cookies["sid"]
        assert (await c.get("/me")).json() == {"user": "ada", "visits": 1}
        assert (await c.get("/me")).json() == {"user": "ada", "visits": 2}
        assert (await c.post("/login", json={"user": "ada"})).status_code == 200
        assert c.cookies["sid"] != first_sid  # rotated on login
        # The cached endpoint: concurrent misses run one lookup.
        responses = await asyncio.gather(*(c.get("/api/products/1") for _ in range(5)))
        assert {r.json()["price"] for r in responses} == {49.0}
        assert app.state.lookups == 1
        assert (await c.put("/api/products/1", json={"price": 45.0})).json()["price"] == 45.0
        assert (await c.get("/api/products/1")).json()["price"] == 45.0
        assert app.state.lookups == 1  # the PUT read the cached copy and wrote through the cache
        assert (await c.get("/api/products/9")).status_code == 404
        # The leaderboard.
        assert (await c.post("/api/scores", json={"score": 120})).json() == {"improved": True, "position": 1}
        assert (await c.post("/api/scores", json={"score": 100})).json() == {"improved": False, "position": 1}
        board = await c.get("/api/leaderboard")
        assert board.json() == [{"player": "ada", "score": 120.0, "position": 1}]
        assert int(board.headers["ratelimit-remaining"]) < 20
        # The rate limit (per client address, /api/ only).
        statuses = [(await c.get("/api/leaderboard")).status_code for _ in range(20)]
        assert 429 in statuses and statuses.index(429) > 0
        limited = await c.get("/api/leaderboard")
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        assert (await c.get("/me")).status_code == 200  # not under /api/
        assert (await c.post("/logout")).status_code == 200
        assert (await c.get("/me")).status_code == 401
    other = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("10.0.0.2", 1)), base_url="http://test")
    async with other:
        assert (await other.get("/api/leaderboard")).status_code == 200  # another address, its own limit
    for client in app.state.clients:
        await client.aclose()
