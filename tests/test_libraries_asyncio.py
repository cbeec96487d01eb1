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
  each of limits' strategies (a sync client: slowapi is sync).

The versions are pinned in ``requirements-test.txt``.
"""

from __future__ import annotations

import time
import uuid
from typing import Any, AsyncIterator, Dict, Iterator, List

import httpx
import pytest
import pytest_asyncio
from fastapi import Depends, FastAPI, Request, Response
from fastapi_cache import FastAPICache
from fastapi_cache.backends.redis import RedisBackend
from fastapi_cache.decorator import cache
from fastapi_limiter.depends import RateLimiter
from pyrate_limiter import BucketFactory, Duration, Limiter, Rate, RateItem
from pyrate_limiter.buckets.redis_bucket import RedisBucket
from slowapi import Limiter as SlowLimiter
from slowapi import _rate_limit_exceeded_handler
from slowapi.errors import RateLimitExceeded
from slowapi.util import get_remote_address

import redcore
import redcore.asyncio

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
