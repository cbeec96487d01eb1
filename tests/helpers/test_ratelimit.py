"""redcore.ratelimit: the six limiters and @rate_limited, on every backend."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any, Callable, Dict

import pytest

from redcore.ratelimit import (
    GCRA,
    FixedWindow,
    LeakyBucket,
    Limiter,
    RateLimitExceeded,
    RateLimitResult,
    SlidingWindowCounter,
    SlidingWindowLog,
    TokenBucket,
    rate_limited,
)

# Builders with "limit" units available at once; ``period`` seconds is the
# window, or the time a bucket takes to refill/drain completely.
BUILDERS: Dict[str, Callable[..., Limiter]] = {
    "fixed": lambda c, k, limit, period: FixedWindow(c, k, limit=limit, window=period),
    "log": lambda c, k, limit, period: SlidingWindowLog(c, k, limit=limit, window=period),
    "counter": lambda c, k, limit, period: SlidingWindowCounter(c, k, limit=limit, window=period),
    "token": lambda c, k, limit, period: TokenBucket(c, k, rate=limit, per=period, burst=limit),
    "leaky": lambda c, k, limit, period: LeakyBucket(c, k, rate=limit, per=period, capacity=limit),
    "gcra": lambda c, k, limit, period: GCRA(c, k, rate=limit, per=period, burst=limit),
}
WINDOWED = ("fixed", "log", "counter")
ALGOS = list(BUILDERS)


@pytest.fixture(params=ALGOS)
def algo(request: pytest.FixtureRequest) -> str:
    return request.param


def build(make: Callable[..., Any], algo: str, limit: int = 5, period: float = 3600.0, key: str = "rl:{user}", **kw: Any) -> Limiter:
    return BUILDERS[algo](make(**kw), key, limit, period)


# --- common behaviour --------------------------------------------------------


def test_admits_limit_then_denies(make, algo):
    lim = build(make, algo)
    results = [lim.hit() for _ in range(7)]
    assert [r.allowed for r in results] == [True] * 5 + [False] * 2
    assert [r.remaining for r in results] == [4, 3, 2, 1, 0, 0, 0]
    assert all(r.limit == 5 for r in results)
    assert all(r.retry_after == 0 for r in results[:5])
    denied = results[-1]
    assert not denied and isinstance(denied, RateLimitResult)
    assert 0 < denied.retry_after <= 7200  # the counter waits into the next window
    assert 0 < denied.reset_after <= 7200


def test_reset_after_and_retry_after_values(make, algo):
    lim = build(make, algo, limit=4, period=100.0)
    first = lim.hit()
    if algo in WINDOWED:
        # the window opened with this hit (the counter decays over a second one)
        expect = 200.0 if algo == "counter" else 100.0
        assert expect - 0.5 < first.reset_after <= expect
    else:
        assert 24.5 < first.reset_after <= 25.0  # one unit refills/drains in 25 s
    lim.hit(3)
    denied = lim.hit()
    assert not denied.allowed
    expected_retry = {"fixed": 100.0, "log": 100.0, "counter": 125.0, "token": 25.0, "leaky": 25.0, "gcra": 25.0}[algo]
    assert expected_retry - 0.5 < denied.retry_after <= expected_retry + 0.001
    assert denied.reset_after >= denied.retry_after


def test_cost_greater_than_one(make, algo):
    lim = build(make, algo, limit=5)
    a = lim.hit(3)
    assert a.allowed and a.remaining == 2
    b = lim.hit(3)
    assert not b.allowed and b.remaining == 2 and b.retry_after > 0
    c = lim.hit(2)
    assert c.allowed and c.remaining == 0
    assert not lim.hit(1).allowed


def test_invalid_cost(make, algo):
    lim = build(make, algo, limit=5)
    for bad in (6, -1, 1.5, True):
        with pytest.raises(ValueError):
            lim.hit(bad)
    assert lim.peek().remaining == 5


def test_invalid_parameters(make):
    c = make()
    with pytest.raises(ValueError):
        FixedWindow(c, "k", limit=0, window=1)
    with pytest.raises(ValueError):
        SlidingWindowLog(c, "k", limit=3, window=0)
    with pytest.raises(ValueError):
        TokenBucket(c, "k", rate=-1)
    with pytest.raises(ValueError):
        GCRA(c, "k", rate=1, per=0)


def test_peek_does_not_consume(make, algo):
    lim = build(make, algo, limit=3)
    fresh = lim.peek()
    assert fresh.allowed and fresh.remaining == 3 and fresh.reset_after == 0
    assert not make().exists(lim.key)  # peeking creates nothing
    lim.hit(2)
    for _ in range(3):
        p = lim.peek()
        assert p.allowed and p.remaining == 1 and p.retry_after == 0
    assert not lim.peek(2).allowed and lim.peek(2).retry_after > 0
    lim.hit()
    p = lim.peek()
    assert not p.allowed and p.remaining == 0 and p.retry_after > 0
    assert lim.peek(0).allowed


def test_reset(make, algo):
    lim = build(make, algo, limit=2)
    lim.hit(2)
    assert not lim.hit().allowed
    lim.reset()
    assert not make().exists(lim.key)
    assert lim.hit().remaining == 1


def test_keys_are_independent(make, algo):
    lim = build(make, algo, limit=1)
    other = lim.for_key("rl:{other}")
    assert lim.hit().allowed and not lim.hit().allowed
    assert other.hit().allowed
    assert other.key == "rl:{other}" and lim.key == "rl:{user}"


def test_state_expires_when_idle(make, algo):
    lim = build(make, algo, limit=4, period=10.0)
    r = make()
    lim.hit()
    pttl = r.pttl(lim.key)
    bound = {"fixed": 10_000, "log": 10_000, "counter": 20_000}.get(algo, 2_500)  # buckets: one unit
    assert 0 < pttl <= bound + 1
    assert len(r.keys("*")) == 1  # one key per limiter


def test_denied_hit_changes_nothing(make, algo):
    lim = build(make, algo, limit=2)
    lim.hit(2)
    r = make()
    before = r.dump(lim.key)
    for _ in range(3):
        lim.hit()
    assert r.dump(lim.key) == before


def test_decode_responses_and_bytes_keys(make, algo):
    lim = build(make, algo, limit=2, key=b"rl:{bytes}", decode_responses=True)
    assert lim.hit().remaining == 1
    assert lim.for_key(b"rl:{b2}").hit().remaining == 1


def test_uses_server_clock(make):
    r = make()
    lim = FixedWindow(r, "rl:{clock}", limit=2, window=60)
    lim.hit()
    seconds, micros = r.time()
    start = int(r.hget(lim.key, "s"))
    assert 0 <= seconds * 1_000_000 + micros - start < 5_000_000


# --- behaviour over time ----------------------------------------------------
# Periods of 0.2 * U seconds: U stretches every time of these tests, so that
# a loaded machine's scheduling delays (up to ~0.1 * U) do not move a hit
# into another window.
U = 4


def test_fixed_window_over_time(make):
    lim = FixedWindow(make(), "fw:{t}", limit=3, window=0.2 * U)
    assert [lim.hit().allowed for _ in range(3)] == [True] * 3
    denied = lim.hit()
    assert not denied.allowed and 0.05 * U < denied.retry_after <= 0.2 * U
    assert denied.retry_after == denied.reset_after
    time.sleep(denied.retry_after + 0.01)
    fresh = lim.hit()
    assert fresh.allowed and fresh.remaining == 2 and fresh.reset_after > 0.15 * U


def test_sliding_log_over_time(make):
    lim = SlidingWindowLog(make(), "sl:{t}", limit=2, window=0.2 * U)
    assert lim.hit().allowed
    time.sleep(0.1 * U)
    assert lim.hit().allowed
    denied = lim.hit()
    # the first hit leaves the window 0.2 * U s after it was made, the second later
    assert not denied.allowed and 0 < denied.retry_after <= 0.12 * U
    assert denied.reset_after > denied.retry_after + 0.05 * U
    time.sleep(denied.retry_after + 0.01)
    ok = lim.hit()
    assert ok.allowed and ok.remaining == 0
    again = lim.hit()
    # the second hit's turn to leave: less than a whole window away
    assert not again.allowed and 0 < again.retry_after < 0.18 * U


def test_sliding_counter_over_time(make):
    lim = SlidingWindowCounter(make(), "sc:{t}", limit=4, window=0.2 * U)
    assert all(lim.hit().allowed for _ in range(4))
    denied = lim.hit()
    # 4 in this window: in the next one the estimate is 4*(1-x) + 1 <= 4 at x = 1/4
    assert not denied.allowed and 0.15 * U < denied.retry_after <= 0.25 * U
    assert 0.3 * U < denied.reset_after <= 0.4 * U
    time.sleep(denied.retry_after + 0.01)
    ok = lim.hit()
    assert ok.allowed and ok.remaining == 0  # the estimate is just below 4
    time.sleep(0.4 * U)
    assert lim.hit().remaining == 3  # both windows fell out


@pytest.mark.parametrize("algo", ["token", "leaky", "gcra"])
def test_buckets_over_time(make, algo):
    # 2 units, one every 0.1 * U s
    lim = BUILDERS[algo](make(), f"b:{{{algo}}}", 2, 0.2 * U)
    assert lim.hit().allowed and lim.hit().allowed
    denied = lim.hit()
    assert not denied.allowed and 0.03 * U < denied.retry_after <= 0.1 * U
    assert 0.1 * U < denied.reset_after <= 0.2 * U
    time.sleep(denied.retry_after + 0.01)
    ok = lim.hit()
    assert ok.allowed and ok.remaining <= 1
    time.sleep(0.21 * U)
    full = lim.peek()
    assert full.remaining == 2 and full.reset_after == 0


# --- concurrency -------------------------------------------------------------


def test_exactly_limit_admitted_from_8_threads(make, algo):
    lim = build(make, algo, limit=100, key="rl:{hot}")
    limiters = [build(make, algo, limit=100, key="rl:{hot}") for _ in range(8)]  # a client each
    admitted = [0] * 8
    barrier = threading.Barrier(8, timeout=30)
    errors = []

    def worker(i: int) -> None:
        try:
            barrier.wait()
            for _ in range(50):
                if limiters[i].hit().allowed:
                    admitted[i] += 1
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sum(admitted) == 100
    assert lim.peek().remaining == 0


# --- @rate_limited -----------------------------------------------------------


def test_rate_limited_raises(make):
    lim = FixedWindow(make(), "dec:{a}", limit=2, window=60)

    @rate_limited(lim)
    def work(x: int) -> int:
        return x * 2

    assert work(1) == 2 and work(2) == 4
    with pytest.raises(RateLimitExceeded) as info:
        work(3)
    assert info.value.result.remaining == 0 and info.value.retry_after > 0
    assert work.__name__ == "work"


def test_rate_limited_per_key_and_callback(make):
    lim = TokenBucket(make(), "dec", rate=1, per=60)
    seen = []

    @rate_limited(lim, key=lambda user, **kw: user, on_limited=lambda res, user, **kw: seen.append(res) or "busy")
    def act(user: Any, flag: bool = False) -> str:
        return f"done {user}"

    assert act("ann") == "done ann"
    assert act("ann", flag=True) == "busy"
    assert act("bob") == "done bob"
    assert act(None) == "done None"  # a None key is not limited
    assert act(None) == "done None"
    assert len(seen) == 1 and not seen[0].allowed
    assert make().exists("dec:ann", "dec:bob") == 2


def test_rate_limited_with_factory(make):
    c = make()
    made = []

    def factory(key: str) -> Limiter:
        made.append(key)
        return GCRA(c, f"f:{{{key}}}", rate=1, per=60)

    @rate_limited(factory, key=lambda who: who, on_limited=lambda res, who: None)
    def ping(who: str) -> str:
        return "pong"

    assert [ping("x"), ping("x"), ping("y")] == ["pong", None, "pong"]
    assert made == ["x", "x", "y"]


def test_rate_limited_async(make):
    lim = SlidingWindowLog(make(), "dec:{async}", limit=1, window=60)

    async def on_limited(res: RateLimitResult, n: int) -> str:
        return "limited"

    @rate_limited(lim, on_limited=on_limited)
    async def handler(n: int) -> int:
        await asyncio.sleep(0)
        return n

    @rate_limited(lim.for_key("dec:{async2}"))
    async def strict() -> str:
        return "ok"

    async def main() -> list:
        out = [await handler(1), await handler(2), await strict()]
        with pytest.raises(RateLimitExceeded):
            await strict()
        return out

    assert asyncio.run(main()) == [1, "limited", "ok"]


def test_asyncio_client(redis_server):
    import redis.asyncio

    async def main() -> list:
        client = redis.asyncio.Redis(port=redis_server.port)
        try:
            await client.flushall()
            lim = TokenBucket(client, "rl:{aio}", rate=2, per=60)
            out = [await lim.ahit(), await lim.hit(), await lim.hit(), await lim.apeek()]
            await lim.reset()
            out.append(await lim.hit())
            return out
        finally:
            await client.aclose()

    a, b, c, p, after = asyncio.run(main())
    assert [a.allowed, b.allowed, c.allowed, p.allowed, after.allowed] == [True, True, False, False, True]
    assert after.remaining == 1
