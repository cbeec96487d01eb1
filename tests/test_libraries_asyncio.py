"""asyncio and web libraries written for redis-py, run with a redcore client.

The sibling of test_libraries.py for what FastAPI, Starlette and Django
Channels users reach for. Each library is used the way its documentation
shows, handed a ``redcore.asyncio.Redis`` (or its pool), on the embedded
engine and on the remote client against the session's redis-server:

- fastapi-limiter: ``RateLimiter`` dependencies over pyrate-limiter's
  ``RedisBucket`` (fastapi-limiter 0.2 delegates its storage to
  pyrate-limiter, which takes a sync or an asyncio client);
- fastapi-cache2: ``RedisBackend(client)`` behind ``@cache(expire=...)``;
- slowapi: limits' Redis storage on the client's ``connection_pool``
  (``storage_options``), its decorators, shared limits and headers, for
  each of limits' strategies (a sync client: slowapi is sync);
- aiocache: ``RedisCache`` and ``@cached`` with
  ``connection_pool_class=redcore.asyncio.ConnectionPool`` (aiocache wraps
  the pool in redis.asyncio's own ``Redis``);
- limits' asyncio storage, given a redcore asyncio pool (wrapped in
  redis.asyncio's ``Redis`` too);
- channels-redis: ``RedisChannelLayer`` and ``RedisPubSubChannelLayer`` with
  host entries naming redcore's connection class (it builds redis.asyncio's
  ``ConnectionPool`` from them, and the pub/sub layer runs redis.asyncio's
  own ``PubSub`` on its connections);
- aiohttp-session: ``RedisStorage(client)`` behind an aiohttp app's
  session middleware;
- cashews: ``cache.setup("redis://...", connection_pool_class=...)`` with
  redcore's asyncio pool (a ``redis://name/db`` URL and
  ``EmbeddedConnectionPool`` for the embedded engine; cashews wraps the
  pool in redis.asyncio's ``Redis``), including its client-side cache,
  which turns on CLIENT TRACKING on its PubSub's connection, redirected
  to that connection itself, before subscribing;
- Litestar: ``RedisStore(client)`` (get-and-renew and delete-all Lua
  scripts, namespaces) behind the response cache, server-side sessions
  and the rate limiter, and its channels plugin's pub/sub and stream
  backends (Lua publish scripts, redis.asyncio's ``PubSub``).

The versions are pinned in ``requirements-test.txt``.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import time
import uuid
from typing import Any, AsyncIterator, Dict, Iterator, List

import aiohttp_session
import httpx
import pytest
import pytest_asyncio
from aiocache import RedisCache, cached
from aiocache.lock import OptimisticLock, OptimisticLockError, RedLock
from aiohttp import web
from aiohttp.test_utils import TestClient as AiohttpTestClient
from aiohttp.test_utils import TestServer as AiohttpTestServer
from aiohttp_session.redis_storage import RedisStorage as AiohttpRedisStorage
from cashews import Cache as CashewsCache
from cashews.exceptions import RateLimitError
from channels.exceptions import ChannelFull
from channels_redis.core import RedisChannelLayer
from channels_redis.pubsub import RedisPubSubChannelLayer
from fastapi import Depends, FastAPI, Request, Response
from fastapi_cache import FastAPICache
from fastapi_cache.backends.redis import RedisBackend
from fastapi_cache.decorator import cache
from fastapi_limiter.depends import RateLimiter
from faststream.redis import ListSub, RedisBroker, StreamSub
from limits import parse
from litestar import Litestar
from litestar import Request as LitestarRequest
from litestar import get as litestar_get
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.redis import RedisChannelsPubSubBackend, RedisChannelsStreamBackend
from litestar.config.response_cache import ResponseCacheConfig
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.middleware.session.server_side import ServerSideSessionConfig
from litestar.stores.redis import RedisStore as LitestarRedisStore
from litestar.testing import AsyncTestClient as LitestarTestClient
from limits.aio import strategies as aio_strategies
from limits.aio.storage import RedisStorage as AsyncRedisStorage
from pyrate_limiter import BucketFactory, Duration, Limiter, Rate, RateItem
from pyrate_limiter.buckets.redis_bucket import RedisBucket
from slowapi import Limiter as SlowLimiter
from slowapi import _rate_limit_exceeded_handler
from slowapi.errors import RateLimitExceeded
from slowapi.util import get_remote_address

import redcore
import redcore.asyncio
from redcore.asyncio.embedded import EmbeddedConnectionPool

pytestmark = pytest.mark.asyncio


@pytest.fixture(params=["embedded", "remote"])
def client(request: pytest.FixtureRequest, redis_server: Any) -> Iterator[redcore.Redis]:
    """A sync redcore client on an empty dataset (for the libraries that
    are sync): a private embedded engine, or the session's redis-server."""
    if request.param == "embedded":
        c = redcore.Redis()
    else:
        redis_server.client().flushall()
        c = redcore.Redis(port=redis_server.port)
    yield c
    c.close()


@pytest_asyncio.fixture(params=["embedded", "remote"])
async def aclient(request: pytest.FixtureRequest, redis_server: Any) -> AsyncIterator[redcore.asyncio.Redis]:
    """A redcore.asyncio client on an empty dataset: a named embedded
    engine, or the session's redis-server."""
    engine = f"aiolibs-{uuid.uuid4().hex}"
    if request.param == "embedded":
        c = redcore.asyncio.Redis(name=engine)
    else:
        redis_server.client().flushall()
        c = redcore.asyncio.Redis(port=redis_server.port)
    yield c
    await c.aclose()
    redcore._redcore.forget_engine(engine)


def http(app: FastAPI, ip: str = "10.0.0.1") -> httpx.AsyncClient:
    """An httpx client calling ``app`` in process, from address ``ip``."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(ip, 1234)), base_url="http://test")


# -- fastapi-limiter (over pyrate-limiter's RedisBucket) ---------------------------------


class RedisBucketPerName(BucketFactory):
    """pyrate-limiter's per-name routing (its README's ``PerNameFactory``):
    one ``RedisBucket`` (a sorted set) per identifier that
    fastapi-limiter hands the limiter."""

    def __init__(self, client: Any, rates: List[Rate]) -> None:
        self.client = client
        self.rates = rates
        self.buckets: Dict[str, RedisBucket] = {}

    def wrap_item(self, name: str, weight: int = 1) -> RateItem:
        return RateItem(name, time.time_ns() // 1_000_000, weight=weight)

    async def get(self, item: RateItem) -> RedisBucket:
        if item.name not in self.buckets:
            bucket = await RedisBucket.init(self.rates, self.client, f"ratelimit:{item.name}")
            self.schedule_leak(bucket)
            self.buckets[item.name] = bucket
        return self.buckets[item.name]


async def test_fastapi_limiter_routes_and_clients(aclient: redcore.asyncio.Redis) -> None:
    factory = RedisBucketPerName(aclient, [Rate(2, Duration.SECOND * 5)])
    limiter = Limiter(factory)
    app = FastAPI()

    @app.get("/a", dependencies=[Depends(RateLimiter(limiter=limiter))])
    async def a() -> dict:
        return {"route": "a"}

    @app.get("/b", dependencies=[Depends(RateLimiter(limiter=limiter))])
    async def b() -> dict:
        return {"route": "b"}

    async def by_user(request: Request) -> str:
        return request.headers.get("X-User", "anonymous")

    @app.get("/user", dependencies=[Depends(RateLimiter(limiter=limiter, identifier=by_user))])
    async def user() -> dict:
        return {"route": "user"}

    try:
        async with http(app) as one, http(app, "10.0.0.2") as two:
            assert [(await one.get("/a")).status_code for _ in range(3)] == [200, 200, 429]
            assert (await one.get("/a")).json() == {"detail": "Too Many Requests"}
            # Another route and another client have limits of their own.
            assert [(await one.get("/b")).status_code for _ in range(3)] == [200, 200, 429]
            assert [(await two.get("/a")).status_code for _ in range(3)] == [200, 200, 429]
            # A custom identifier: per user, whatever the address.
            codes = [(await c.get("/user", headers={"X-User": "ann"})).status_code for c in (one, two, one)]
            assert codes == [200, 200, 429]
            assert (await two.get("/user", headers={"X-User": "bob"})).status_code == 200
        # The hits are in the client's database: a sorted set per identifier
        # (address and path, or the user), route and dependency.
        route = {r.path: i for i, r in enumerate(app.routes)}
        keys = sorted(k.decode() for k in await aclient.keys("ratelimit:*"))
        assert keys == sorted([
            f"ratelimit:10.0.0.1:/a:{route['/a']}:0", f"ratelimit:10.0.0.1:/b:{route['/b']}:0",
            f"ratelimit:10.0.0.2:/a:{route['/a']}:0", f"ratelimit:ann:{route['/user']}:0",
            f"ratelimit:bob:{route['/user']}:0",
        ])
        key_a = f"10.0.0.1:/a:{route['/a']}:0"
        assert await aclient.zcard(f"ratelimit:{key_a}") == 2
        bucket = factory.buckets[key_a]
        assert await bucket.count() == 2
        newest = await bucket.peek(0)
        assert newest is not None and isinstance(newest.timestamp, int)
        # A leak past the window empties the bucket; then requests pass again.
        assert await bucket.leak(time.time_ns() // 1_000_000 + 10_000) == 2
        async with http(app) as one:
            assert (await one.get("/a")).status_code == 200
        await bucket.flush()
        assert await aclient.exists(f"ratelimit:{key_a}") == 0
    finally:
        limiter.close()


# -- fastapi-cache2 ----------------------------------------------------------------------


@pytest.fixture
def fastapi_cache() -> Iterator[None]:
    """FastAPICache's settings are class-wide: reset them after the test."""
    FastAPICache.reset()
    yield
    FastAPICache.reset()


async def test_fastapi_cache_backend(aclient: redcore.asyncio.Redis, fastapi_cache: None) -> None:
    backend = RedisBackend(aclient)
    assert backend.is_cluster is False
    FastAPICache.init(backend, prefix="fc")
    app = FastAPI()
    calls: List[int] = []

    @app.get("/square/{n}")
    @cache(expire=60, namespace="math")
    async def square(n: int) -> Dict[str, int]:
        calls.append(n)
        return {"n": n, "square": n * n}

    @app.get("/sync")
    @cache(expire=1)
    def blocking() -> List[str]:
        calls.append(-1)
        return ["made", "in", "a", "thread"]

    async with http(app) as c:
        miss = await c.get("/square/7")
        assert miss.json() == {"n": 7, "square": 49} and miss.headers["X-FastAPI-Cache"] == "MISS"
        assert miss.headers["Cache-Control"] == "max-age=60"
        hit = await c.get("/square/7")
        assert hit.json() == {"n": 7, "square": 49} and hit.headers["X-FastAPI-Cache"] == "HIT"
        assert 0 < int(hit.headers["Cache-Control"].removeprefix("max-age=")) <= 60
        assert calls == [7]
        # The ETag of a hit answers If-None-Match with 304.
        assert (await c.get("/square/7", headers={"If-None-Match": hit.headers["ETag"]})).status_code == 304
        # Cache-Control: no-cache recomputes (and stores again).
        assert (await c.get("/square/7", headers={"Cache-Control": "no-cache"})).headers["X-FastAPI-Cache"] == "MISS"
        assert (await c.get("/square/8")).json()["square"] == 64
        assert calls == [7, 7, 8]
        assert (await c.get("/sync")).json() == ["made", "in", "a", "thread"]
        assert (await c.get("/sync")).headers["X-FastAPI-Cache"] == "HIT"
        assert calls == [7, 7, 8, -1]
        # The entries are plain strings with the route's expiry.
        keys = sorted(k.decode() for k in await aclient.keys("fc:*"))
        assert len(keys) == 3 and sum(k.startswith("fc:math:") for k in keys) == 2
        assert 0 < await aclient.ttl(keys[0]) <= 60
        ttl, value = await backend.get_with_ttl(keys[-1])
        assert isinstance(ttl, int) and isinstance(value, bytes)
        # clear(namespace) runs its Lua script (KEYS + DEL) on the server.
        await FastAPICache.clear(namespace="math")
        assert [k.decode() for k in await aclient.keys("fc:*")] == [k for k in keys if not k.startswith("fc:math:")]
        assert (await c.get("/square/7")).headers["X-FastAPI-Cache"] == "MISS"
        # (FastAPICache.clear(key=...) always has a namespace, the prefix:
        # the backend's own clear(key=...) deletes one entry.)
        sync_key = next(k for k in keys if not k.startswith("fc:math:"))
        assert await backend.clear(key=sync_key) == 1
        assert await backend.get(sync_key) is None


# -- slowapi (limits' Redis storage behind Starlette / FastAPI routes) --------------------


@pytest.mark.parametrize("strategy", ["fixed-window", "moving-window", "sliding-window-counter"])
async def test_slowapi_limits_and_headers(client: redcore.Redis, strategy: str) -> None:
    limiter = SlowLimiter(
        key_func=get_remote_address, storage_uri="redis://", strategy=strategy, headers_enabled=True,
        storage_options={"connection_pool": client.connection_pool}, key_prefix="slow",
    )
    app = FastAPI()
    app.state.limiter = limiter
    app.add_exception_handler(RateLimitExceeded, _rate_limit_exceeded_handler)  # type: ignore[arg-type]
    shared = limiter.shared_limit("3/minute", scope="shared")

    @app.get("/hello")
    @limiter.limit("2/minute")
    async def hello(request: Request, response: Response) -> Dict[str, str]:
        return {"hello": "world"}

    @app.get("/sync")
    @limiter.limit("1/minute")
    def blocking(request: Request, response: Response) -> Dict[str, str]:
        return {"made": "in a thread"}

    @app.get("/one")
    @shared
    async def one(request: Request, response: Response) -> str:
        return "one"

    @app.get("/two")
    @shared
    async def two(request: Request, response: Response) -> str:
        return "two"

    async with http(app) as c, http(app, "10.0.0.2") as other:
        first = await c.get("/hello")
        assert first.status_code == 200 and first.json() == {"hello": "world"}
        assert first.headers["X-RateLimit-Limit"] == "2" and first.headers["X-RateLimit-Remaining"] == "1"
        # Reset: when the window ends (an epoch time from the key's TTL
        # or the oldest hit), a minute at most from now.
        assert time.time() < float(first.headers["X-RateLimit-Reset"]) <= time.time() + 62
        second = await c.get("/hello")
        assert second.status_code == 200 and second.headers["X-RateLimit-Remaining"] == "0"
        third = await c.get("/hello")
        assert third.status_code == 429 and "2 per 1 minute" in third.text
        assert 0 <= int(third.headers["Retry-After"]) <= 61
        assert (await other.get("/hello")).status_code == 200
        assert [(await c.get("/sync")).status_code for _ in range(2)] == [200, 429]
        # A shared limit counts the routes of its scope together.
        assert [(await c.get(p)).status_code for p in ("/one", "/two", "/one", "/two")] == [200, 200, 200, 429]
    # The counters are in the client's database, under limits' prefix and
    # the limiter's key_prefix (the sliding window keeps two per limit).
    # (limits hash-tags the moving window's keys, and names the sliding
    # window's two per limit by window.)
    keys = {k.decode().replace("{", "").replace("}", "") for k in client.keys("*")}
    assert all(k.startswith("LIMITS:LIMITER/slow/") for k in keys), keys
    assert {"/".join(k.split("/")[2:4]) for k in keys} == {"10.0.0.1/", "10.0.0.2/", "10.0.0.1/shared"}
    limiter.reset()
    assert client.keys("*") == []


# -- aiocache ----------------------------------------------------------------------------


def pool_address(aclient: redcore.asyncio.Redis) -> Dict[str, Any]:
    """``endpoint`` and ``port`` of the client's server, for libraries that
    make their pool from them (an embedded engine: its ``memory://`` URL)."""
    kw = aclient.connection_pool.connection_kwargs
    return {"endpoint": kw["host"], "port": kw.get("port", 6379)}


@pytest.mark.filterwarnings("ignore:Call to deprecated:DeprecationWarning")  # aiocache's own call
async def test_aiocache_redis_cache(aclient: redcore.asyncio.Redis) -> None:
    # aiocache makes its pool from connection_pool_class and wraps it in
    # redis.asyncio's Redis: redcore's pool serves redis-py's client.
    cache = RedisCache(namespace="main", connection_pool_class=redcore.asyncio.ConnectionPool, **pool_address(aclient))
    try:
        assert await cache.set("a", {"x": [1, 2]}) is True
        assert await cache.get("a") == {"x": [1, 2]}
        assert await aclient.get("main:a") == b'{"x": [1, 2]}'
        assert await cache.get("missing", default="dflt") == "dflt"
        assert await cache.multi_set([("b", 1), ("c", "two")], ttl=10) is True
        assert await cache.multi_get(["a", "b", "c", "d"]) == [{"x": [1, 2]}, 1, "two", None]
        assert 0 < await aclient.ttl("main:b") <= 10
        with pytest.raises(ValueError, match="already exists"):
            await cache.add("a", 1)
        assert await cache.add("e", 5, ttl=0.5) is True and 0 < await aclient.pttl("main:e") <= 500
        assert await cache.exists("e") and not await cache.exists("zz")
        assert await cache.increment("counter", 3) == 3 and await cache.increment("counter") == 4
        with pytest.raises(TypeError, match="Value is not an integer"):
            await cache.increment("c")
        assert await cache.expire("a", 30) is True and 0 < await aclient.ttl("main:a") <= 30
        assert await cache.expire("a", 0) is True and await aclient.ttl("main:a") == -1
        assert await cache.delete("counter") == 1
        assert sorted(await cache.raw("keys", "main:*")) == ["main:a", "main:b", "main:c", "main:e"]
        # Locks: RedLock (SET NX + a release script), OptimisticLock (CAS script).
        async with RedLock(cache, "resource", lease=2):
            assert await cache.exists("resource-lock")
        assert not await cache.exists("resource-lock")
        async with OptimisticLock(cache, "a") as lock:
            await lock.cas({"x": "new"})
        assert await cache.get("a") == {"x": "new"}
        with pytest.raises(OptimisticLockError):
            async with OptimisticLock(cache, "a") as lock:
                await cache.set("a", "changed")
                await lock.cas("mine")
        assert await cache.clear() is True and await aclient.keys("main:*") == []
    finally:
        await cache.close()


@pytest.mark.filterwarnings("ignore:Call to deprecated:DeprecationWarning")
async def test_aiocache_cached_decorator(aclient: redcore.asyncio.Redis) -> None:
    calls: List[int] = []

    @cached(cache=RedisCache, ttl=10, namespace="fn", connection_pool_class=redcore.asyncio.ConnectionPool,
            **pool_address(aclient))
    async def slow_square(n: int) -> int:
        calls.append(n)
        return n * n

    try:
        assert [await slow_square(3), await slow_square(3), await slow_square(4)] == [9, 9, 16]
        assert calls == [3, 4]
        assert len(await aclient.keys("fn:*")) == 2
    finally:
        await slow_square.cache.close()


# -- limits' asyncio storage -------------------------------------------------------------


@pytest.mark.parametrize("strategy", [
    aio_strategies.FixedWindowRateLimiter,
    aio_strategies.MovingWindowRateLimiter,
    aio_strategies.SlidingWindowCounterRateLimiter,
])
async def test_limits_async_redis_storage(aclient: redcore.asyncio.Redis, strategy: Any) -> None:
    # limits' asyncio storage wraps the pool it is given in redis.asyncio's
    # Redis: an asyncio pool of redcore's on the client's server or engine.
    pool = redcore.asyncio.ConnectionPool(**aclient.connection_pool.connection_kwargs)
    storage = AsyncRedisStorage("async+redis://", implementation="redispy", connection_pool=pool)
    try:
        assert await storage.check() is True
        limiter = strategy(storage)
        item = parse("2/minute")
        assert [await limiter.hit(item, "user") for _ in range(3)] == [True, True, False]
        assert await limiter.test(item, "user") is False and await limiter.test(item, "other") is True
        stats = await limiter.get_window_stats(item, "user")
        # (The sliding window's reset is "now" when the hits are less than
        # a millisecond old: its TTL arithmetic then comes out at 0.)
        assert stats.remaining == 0 and time.time() - 1 < stats.reset_time <= time.time() + 61
        assert await aclient.keys("LIMITS:*")  # the state lives in redcore
        await limiter.clear(item, "user")
        assert await limiter.hit(item, "user") is True
        await storage.reset()
        assert await aclient.keys("LIMITS:*") == []
    finally:
        await pool.aclose()


# -- channels-redis ----------------------------------------------------------------------


def channel_host(aclient: redcore.asyncio.Redis) -> Dict[str, Any]:
    """A channels-redis host entry: connection arguments for redis.asyncio's
    pool, with redcore's connection class (the embedded engine's
    ``memory://`` host, or the server's address)."""
    kw = aclient.connection_pool.connection_kwargs
    if str(kw["host"]).startswith("memory://"):
        return {"host": kw["host"], "connection_class": redcore.asyncio.Connection}
    return {"address": f"redis://{kw['host']}:{kw['port']}/0", "connection_class": redcore.asyncio.Connection}


async def test_channels_redis_layer(aclient: redcore.asyncio.Redis) -> None:
    # channels-redis builds redis.asyncio's ConnectionPool from each host
    # entry; connection_class puts redcore's connections under it.
    layer = RedisChannelLayer(hosts=[channel_host(aclient)], prefix="cr", capacity=3, expiry=10)
    try:
        await layer.send("chat", {"type": "chat.message", "text": "hi", "n": 1})
        assert await layer.receive("chat") == {"type": "chat.message", "text": "hi", "n": 1}
        # A process-local channel; groups (a sorted set per group, a Lua
        # script that sends to every member).
        one, two = await layer.new_channel(), await layer.new_channel()
        assert one.startswith("specific.") and "!" in one
        await layer.group_add("room", one)
        await layer.group_add("room", two)
        assert await aclient.zcard("cr:group:room") == 2
        await layer.group_send("room", {"type": "room.hello"})
        assert await layer.receive(one) == {"type": "room.hello"}
        assert await layer.receive(two) == {"type": "room.hello"}
        await layer.group_discard("room", two)
        await layer.group_send("room", {"type": "room.bye"})
        assert await layer.receive(one) == {"type": "room.bye"}
        # A receive waits (BZPOPMIN) until a message comes.

        async def send_later() -> None:
            await asyncio.sleep(0.1)
            await layer.send("later", {"type": "late"})

        sender = asyncio.ensure_future(send_later())
        assert await asyncio.wait_for(layer.receive("later"), 3) == {"type": "late"}
        await sender
        # Capacity: a full channel refuses more.
        for i in range(3):
            await layer.send("full", {"type": "x", "i": i})
        with pytest.raises(ChannelFull):
            await layer.send("full", {"type": "x", "i": 3})
        assert await aclient.zcard("crfull") == 3 and 0 < await aclient.ttl("crfull") <= 10
        # flush deletes the layer's keys (a Lua script over KEYS).
        await layer.flush()
        assert await aclient.keys("cr*") == []
    finally:
        await layer.close_pools()


async def test_channels_redis_pubsub_layer(aclient: redcore.asyncio.Redis) -> None:
    # RedisPubSubChannelLayer runs redis.asyncio's own PubSub on the
    # connections of the host entry's connection_class: a receiver task
    # reads get_message(timeout=0.1) while other tasks subscribe.
    layer = RedisPubSubChannelLayer(hosts=[channel_host(aclient)], prefix="crps")
    try:
        one = await layer.new_channel()
        assert one.startswith("crpsspecific.")
        await layer.send(one, {"type": "chat.message", "text": "hi"})
        assert await asyncio.wait_for(layer.receive(one), 3) == {"type": "chat.message", "text": "hi"}
        # Groups: a pub/sub channel per group, fanned out in process.
        two = await layer.new_channel()
        await layer.group_add("room", one)
        await layer.group_add("room", two)
        assert await aclient.pubsub_numsub("crps__group__room") == [(b"crps__group__room", 1)]
        await layer.group_send("room", {"type": "room.hello", "n": 1})
        assert await asyncio.wait_for(layer.receive(one), 3) == {"type": "room.hello", "n": 1}
        assert await asyncio.wait_for(layer.receive(two), 3) == {"type": "room.hello", "n": 1}
        await layer.group_discard("room", one)
        await layer.group_send("room", {"type": "room.bye"})
        assert await asyncio.wait_for(layer.receive(two), 3) == {"type": "room.bye"}
        await layer.group_discard("room", two)
        for _ in range(100):
            if await aclient.pubsub_numsub("crps__group__room") == [(b"crps__group__room", 0)]:
                break
            await asyncio.sleep(0.02)
        assert await aclient.pubsub_numsub("crps__group__room") == [(b"crps__group__room", 0)]
        # A receive waits until a message comes; cancelled, it unsubscribes.

        async def send_later() -> None:
            await asyncio.sleep(0.1)
            await layer.send(one, {"type": "late"})

        sender = asyncio.ensure_future(send_later())
        assert await asyncio.wait_for(layer.receive(one), 3) == {"type": "late"}
        await sender
        waiting = asyncio.ensure_future(layer.receive("crps-gone"))
        await asyncio.sleep(0.2)
        assert await aclient.pubsub_numsub("crps-gone") == [(b"crps-gone", 1)]
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        # The UNSUBSCRIBE went out on the subscriber connection; a server
        # takes it after a moment.
        for _ in range(100):
            if await aclient.pubsub_numsub("crps-gone") == [(b"crps-gone", 0)]:
                break
            await asyncio.sleep(0.02)
        assert await aclient.pubsub_numsub("crps-gone") == [(b"crps-gone", 0)]
    finally:
        await layer.flush()


# -- aiohttp-session ---------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::aiohttp.web_exceptions.NotAppKeyWarning")
async def test_aiohttp_session_redis_storage(aclient: redcore.asyncio.Redis) -> None:
    """aiohttp-session's ``RedisStorage`` takes the client itself (it checks
    that it is a ``redis.asyncio.Redis``): a session counter kept across
    requests under the cookie's key, its ``max_age`` as the key's TTL, and
    ``invalidate()`` emptying it."""
    app = web.Application()
    aiohttp_session.setup(app, AiohttpRedisStorage(aclient, cookie_name="SID", max_age=300))

    async def visit(request: web.Request) -> web.Response:
        session = await aiohttp_session.get_session(request)
        session["visits"] = session.get("visits", 0) + 1
        return web.json_response({"visits": session["visits"]})

    async def logout(request: web.Request) -> web.Response:
        (await aiohttp_session.get_session(request)).invalidate()
        return web.Response(text="bye")

    app.router.add_get("/", visit)
    app.router.add_get("/logout", logout)
    async with AiohttpTestClient(AiohttpTestServer(app)) as browser:
        assert [await (await browser.get("/")).json() for _ in range(3)] == [{"visits": n} for n in (1, 2, 3)]
        keys = await aclient.keys("SID_*")
        assert len(keys) == 1
        sid = keys[0].decode()[len("SID_"):]
        assert browser.session.cookie_jar.filter_cookies(browser.make_url("/"))["SID"].value == sid
        stored = json.loads(await aclient.get(keys[0]))
        assert stored["session"] == {"visits": 3}
        assert 0 < await aclient.ttl(keys[0]) <= 300
        # invalidate() empties the stored session and clears the cookie, so
        # the next visit starts a new session under a new key.
        assert await (await browser.get("/logout")).text() == "bye"
        assert json.loads(await aclient.get(keys[0])).get("session", {}) == {}
        assert await (await browser.get("/")).json() == {"visits": 1}
        assert len(await aclient.keys("SID_*")) == 2


# -- cashews -----------------------------------------------------------------------------


@pytest.fixture(params=["embedded", "remote"])
def cashews_setup(request: pytest.FixtureRequest, redis_server: Any) -> Iterator[Dict[str, Any]]:
    """``cache.setup`` arguments: cashews takes a redis:// URL and a pool
    class. The embedded engine's pool names its engine by the URL's host."""
    engine = f"cashews-{uuid.uuid4().hex[:12]}"
    if request.param == "embedded":
        # RESP2: cashews reads invalidations as messages of __redis__:invalidate.
        yield {"settings_url": f"redis://{engine}/0?protocol=2", "connection_pool_class": EmbeddedConnectionPool}
    else:
        redis_server.client().flushall()
        yield {"settings_url": f"redis://127.0.0.1:{redis_server.port}/0?protocol=2",
               "connection_pool_class": redcore.asyncio.BlockingConnectionPool}
    redcore._redcore.forget_engine(engine)


@pytest.mark.parametrize("client_side", [False, True])
async def test_cashews_cache_locks_rate_limits_and_tags(cashews_setup: Dict[str, Any], client_side: bool) -> None:
    cache = CashewsCache()
    cache.setup(**cashews_setup, client_side=client_side, suppress=False)
    try:
        await cache.clear()
        calls: List[Any] = []

        @cache(ttl="10m", key="sq:{x}")
        async def square(x: int) -> int:
            calls.append(x)
            return x * x

        assert [await square(3), await square(3), await square(4)] == [9, 9, 16]
        assert calls == [3, 4]
        await cache.set("a", {"v": 1}, expire=60)
        assert await cache.get("a") == {"v": 1}
        assert 50 < await cache.get_expire("a") <= 60
        assert await cache.get_many("a", "b") == ({"v": 1}, None)
        await cache.set_many({"k1": 1, "k2": 2}, expire=30)
        assert sorted([k async for k in cache.scan("k*")]) == ["k1", "k2"]
        assert sorted([k async for k, _ in cache.get_match("k*")]) == ["k1", "k2"]
        await cache.delete_match("k*")
        assert await cache.get_many("k1", "k2") == (None, None)
        assert [await cache.incr("n"), await cache.incr("n", 5)] == [1, 6]
        await cache.delete("a")
        assert await cache.get("a") is None and not await cache.exists("a")
        # Locks.
        assert await cache.set_lock("lk", "me", expire=10) is True
        assert await cache.set_lock("lk", "you", expire=10) is False
        assert await cache.is_locked("lk")
        assert await cache.unlock("lk", "me")
        assert not await cache.is_locked("lk")

        @cache.rate_limit(limit=2, period="1m")
        async def limited() -> int:
            return 1

        @cache.slice_rate_limit(limit=2, period="1m")
        async def sliding() -> int:
            return 1

        for fn in (limited, sliding):
            assert [await fn(), await fn()] == [1, 1]
            with pytest.raises(RateLimitError):
                await fn()

        # Tags: deleting a tag drops the keys registered under it.
        @cache(ttl="1h", key="user:{uid}", tags=["u:{uid}"])
        async def user(uid: int) -> Dict[str, int]:
            calls.append(("user", uid))
            return {"id": uid}

        cache.register_tag("u:{uid}", "user:{uid}")
        await user(1)
        await user(1)
        await cache.delete_tags("u:1")
        await user(1)
        assert calls.count(("user", 1)) == 2
        if client_side:
            # Another process's cache (another client) changes a key: the
            # local copy is dropped, told by Redis through the tracking
            # redirect to the PubSub connection.
            await cache.set("shared", 1)
            assert await cache.get("shared") == 1
            other = CashewsCache()
            other.setup(**cashews_setup, client_side=True, suppress=False)
            try:
                await other.set("shared", 2)
                deadline = time.monotonic() + 3
                while await cache.get("shared") != 2 and time.monotonic() < deadline:
                    await asyncio.sleep(0.05)
                assert await cache.get("shared") == 2
            finally:
                await other.close()
    finally:
        await cache.close()


# -- Litestar ----------------------------------------------------------------------------


async def test_litestar_redis_store_cache_sessions_and_rate_limits(aclient: redcore.asyncio.Redis) -> None:
    store = LitestarRedisStore(aclient, namespace="app")
    await store.set("a", "1", expires_in=60)
    assert await store.get("a") == b"1" and 50 < await store.expires_in("a") <= 60
    # get with renew_for runs the get-and-renew script.
    assert await store.get("a", renew_for=datetime.timedelta(seconds=500)) == b"1"
    assert 490 < await store.expires_in("a") <= 500
    nested = store.with_namespace("sub")
    await nested.set("x", b"y")
    assert sorted(await aclient.keys("*")) == [b"app:a", b"app_sub:x"]
    assert await store.exists("a")
    await store.delete("a")
    assert not await store.exists("a")
    await nested.delete_all()
    assert await aclient.keys("*") == []

    calls: List[int] = []

    @litestar_get("/cached", cache=60)
    async def cached() -> Dict[str, int]:
        calls.append(1)
        return {"n": len(calls)}

    @litestar_get("/visit")
    async def visit(request: LitestarRequest) -> Dict[str, int]:
        request.session["n"] = request.session.get("n", 0) + 1
        return {"n": request.session["n"]}

    @litestar_get("/limited")
    async def limited() -> str:
        return "ok"

    # The app runs on the test client's own event loop: its stores get a
    # client of their own on the same data, closed on that loop.
    app_client = redcore.asyncio.Redis(**aclient.connection_pool.connection_kwargs)
    app = Litestar(
        [cached, visit, limited],
        stores={name: LitestarRedisStore(app_client, namespace=name) for name in ("response_cache", "sessions", "rate_limit")},
        middleware=[ServerSideSessionConfig().middleware,
                    RateLimitConfig(rate_limit=("minute", 3), exclude=["/cached", "/visit"]).middleware],
        response_cache_config=ResponseCacheConfig(store="response_cache"),
        on_shutdown=[app_client.aclose],
    )
    async with LitestarTestClient(app) as http_client:
        assert [(await http_client.get("/cached")).json() for _ in range(2)] == [{"n": 1}, {"n": 1}]
        assert [(await http_client.get("/visit")).json()["n"] for _ in range(3)] == [1, 2, 3]
        assert [(await http_client.get("/limited")).status_code for _ in range(4)] == [200, 200, 200, 429]
    namespaces = {k.decode().split(":", 1)[0] for k in await aclient.keys("*")}
    assert namespaces == {"response_cache", "sessions", "rate_limit"}


@pytest.mark.parametrize("backend", ["pubsub", "stream"])
async def test_litestar_channels_redis_backends(aclient: redcore.asyncio.Redis, backend: str) -> None:
    if backend == "pubsub":
        channels_backend: Any = RedisChannelsPubSubBackend(redis=aclient)
    else:
        channels_backend = RedisChannelsStreamBackend(redis=aclient, history=10, stream_ttl=60_000)
    plugin = ChannelsPlugin(backend=channels_backend, channels=["news", "sport"])
    async with plugin:
        subscriber = await plugin.subscribe(["news"])
        for data, channel in ((b"hello", "news"), (b"other", "sport"), (b"again", "news")):
            await plugin.wait_published(data, channel)
        got: List[bytes] = []

        async def take_two() -> None:
            async for event in subscriber.iter_events():
                got.append(event)
                if len(got) == 2:
                    break

        await asyncio.wait_for(take_two(), 5)
        assert got == [b"hello", b"again"]
        if backend == "stream":
            # A capped stream per channel, which expires.
            assert await channels_backend.get_history("news", 5) == [b"hello", b"again"]
            assert sorted(await aclient.keys("*")) == [b"LITESTAR_CHANNELS_NEWS", b"LITESTAR_CHANNELS_SPORT"]
            assert 0 < await aclient.pttl("LITESTAR_CHANNELS_NEWS") <= 60_000
        await plugin.unsubscribe(subscriber)


# -- FastStream --------------------------------------------------------------------------


async def test_faststream_redis_broker(aclient: redcore.asyncio.Redis) -> None:
    kw = aclient.connection_pool.connection_kwargs
    if str(kw["host"]).startswith("memory://"):
        broker = RedisBroker(host=kw["host"], connection_class=redcore.asyncio.Connection)
    else:
        broker = RedisBroker(f"redis://{kw['host']}:{kw['port']}/0", connection_class=redcore.asyncio.Connection)
    got: Dict[str, List[Any]] = {"channel": [], "list": [], "stream": [], "batch": []}

    @broker.subscriber("news")
    async def on_news(message: str) -> None:
        got["channel"].append(message)

    @broker.subscriber(list="jobs")
    async def on_job(message: Dict[str, int]) -> None:
        got["list"].append(message)

    @broker.subscriber(stream=StreamSub("events", group="workers", consumer="w1"))
    async def on_event(message: Dict[str, int]) -> None:
        got["stream"].append(message)

    @broker.subscriber(list=ListSub("bulk", batch=True, max_records=10))
    async def on_bulk(messages: List[int]) -> None:
        got["batch"].append(sorted(messages))

    @broker.subscriber("double")
    async def on_double(n: int) -> int:
        return n * 2

    async with broker:
        await broker.start()
        await broker.publish("hello", channel="news")
        await broker.publish({"n": 1}, list="jobs")
        await broker.publish({"e": 1}, stream="events")
        await broker.publish_batch(1, 2, 3, list="bulk")
        reply = await broker.request(21, channel="double", timeout=3)
        assert await reply.decode() == 42
        deadline = time.monotonic() + 5
        while not all(got.values()) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    assert got == {"channel": ["hello"], "list": [{"n": 1}], "stream": [{"e": 1}], "batch": [[1, 2, 3]]}
    # The stream's consumer group acknowledged what it handled.
    groups = await aclient.xinfo_groups("events")
    assert [(g["name"], g["pending"]) for g in groups] == [(b"workers", 0)]


# -- aiogram -----------------------------------------------------------------------------


async def test_aiogram_fsm_storage_and_event_isolation(aclient: redcore.asyncio.Redis) -> None:
    # Imported here: aiogram takes seconds to import (it builds the
    # Telegram API's models), which every test worker would pay otherwise.
    from aiogram.fsm.state import State, StatesGroup
    from aiogram.fsm.storage.base import StorageKey
    from aiogram.fsm.storage.redis import DefaultKeyBuilder, RedisEventIsolation
    from aiogram.fsm.storage.redis import RedisStorage as AiogramRedisStorage

    class SignUp(StatesGroup):
        """A bot's conversation states."""

        name = State()
        age = State()

    storage = AiogramRedisStorage(aclient, key_builder=DefaultKeyBuilder(with_bot_id=True), state_ttl=60, data_ttl=60)
    key = StorageKey(bot_id=1, chat_id=2, user_id=3)
    assert await storage.get_state(key) is None
    await storage.set_state(key, SignUp.name)
    assert await storage.get_state(key) == "SignUp:name"
    await storage.set_data(key, {"a": 1})
    assert await storage.update_data(key, {"b": 2}) == {"a": 1, "b": 2}
    assert await storage.get_data(key) == {"a": 1, "b": 2}
    assert sorted(await aclient.keys("*")) == [b"fsm:1:2:3:data", b"fsm:1:2:3:state"]
    assert 0 < await aclient.ttl("fsm:1:2:3:state") <= 60 and 0 < await aclient.ttl("fsm:1:2:3:data") <= 60
    # Clearing the state and the data deletes their keys.
    await storage.set_state(key, None)
    await storage.set_data(key, {})
    assert await aclient.keys("*") == []
    isolation = RedisEventIsolation(aclient)
    async with isolation.lock(key):
        assert await aclient.keys("*") == [b"fsm:2:3:lock"]
    assert await aclient.keys("*") == []
