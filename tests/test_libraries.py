"""Libraries written for redis-py, run with a redcore client.

Each library is used the way its documentation shows, handed a redcore
client (or, for ``limits``, which takes a pool, the client's
``connection_pool``), on the embedded engine and on the remote client
against the session's redis-server: rq (enqueue, a ``SimpleWorker`` in
burst mode, results, the failed-job registry, a scheduled job), Flask-Session,
Flask-Caching, python-redis-lock, limits' Redis storage, dramatiq (its
broker's Lua dispatch script, a worker, retries, results, delays, the
maintenance that recovers a dead worker's messages, rate limiters and a
barrier), django-redis (which builds its own redcore clients from
``CONNECTION_POOL_CLASS`` and ``REDIS_CLIENT_CLASS``: ``memory://`` or
``redis://`` LOCATIONs, one or sharded) and
pottery (containers, Redlock, NextID, caches). The versions are pinned in
``requirements-test.txt``.
"""

from __future__ import annotations

import threading
import time
import uuid
import warnings
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Iterator

import dramatiq
import pytest
import redis_lock
from dramatiq.brokers.redis import MAINTENANCE_SCALE, RedisBroker
from dramatiq.rate_limits import Barrier, BucketRateLimiter, ConcurrentRateLimiter, RateLimitExceeded, WindowRateLimiter
from dramatiq.rate_limits.backends import RedisBackend as RateLimiterBackend
from dramatiq.results import ResultFailure, ResultMissing, Results
from dramatiq.results.backends import RedisBackend
from flask import Flask, session
from flask_caching import Cache
from flask_session import Session
from limits import parse, strategies
from limits.storage import RedisStorage
from pottery import (
    BloomFilter, CachedOrderedDict, HyperLogLog, NextID, RedisCounter, RedisDeque, RedisDict, RedisList,
    RedisSet, RedisSimpleQueue, Redlock, ReleaseUnlockedLock, redis_cache, synchronize,
)
from rq import Queue, SimpleWorker
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry, FinishedJobRegistry

import redcore
from support import configure_django


@pytest.fixture(params=["embedded", "remote"])
def client(request: pytest.FixtureRequest, redis_server: Any) -> Iterator[redcore.Redis]:
    """A redcore client on an empty dataset: a private embedded engine, or
    the session's redis-server."""
    if request.param == "embedded":
        c = redcore.Redis()
    else:
        redis_server.client().flushall()
        c = redcore.Redis(port=redis_server.port, protocol=2)
    yield c
    c.close()


# -- rq ---------------------------------------------------------------------------------


def add(a: int, b: int) -> int:
    """An rq job (found by its import path, ``test_libraries.add``)."""
    return a + b


def fail(message: str) -> None:
    raise ValueError(message)


def test_rq_enqueue_work_and_results(client: redcore.Redis) -> None:
    queue = Queue("default", connection=client)  # an empty database is fine
    assert queue.connection is client
    ok = queue.enqueue(add, 2, 3)
    bad = queue.enqueue(fail, "boom")
    assert len(queue) == 2 and ok.get_status() == JobStatus.QUEUED
    worker = SimpleWorker([queue], connection=client)
    assert worker.work(burst=True) is True
    assert len(queue) == 0
    assert ok.get_status() == JobStatus.FINISHED and ok.return_value() == 5
    assert Job.fetch(ok.id, connection=client).return_value() == 5
    assert ok.latest_result().return_value == 5
    assert ok.id in FinishedJobRegistry(queue=queue).get_job_ids()
    assert bad.get_status() == JobStatus.FAILED
    failed = FailedJobRegistry(queue=queue)
    assert failed.get_job_ids() == [bad.id]
    assert "ValueError: boom" in Job.fetch(bad.id, connection=client).latest_result().exc_string
    failed.requeue(bad.id)
    assert bad.id in queue.get_job_ids() and failed.get_job_ids() == []


def test_rq_scheduled_job_with_scheduler(client: redcore.Redis) -> None:
    # rq's scheduler rebuilds the connection from its class, pool class and
    # connection_kwargs, over redis-py's ConnectionPool.
    queue = Queue("default", connection=client)
    job = queue.enqueue_in(timedelta(seconds=0), add, 20, 22)
    assert job.get_status() == JobStatus.SCHEDULED
    assert SimpleWorker([queue], connection=client).work(burst=True, with_scheduler=True) is True
    assert job.get_status() == JobStatus.FINISHED and job.return_value() == 42


def test_rq_queue_from_rebuilt_connection(client: redcore.Redis) -> None:
    # rq compares and rebuilds connections from connection_kwargs.
    queue = Queue("q", connection=client)
    job = queue.enqueue(add, 1, 1)
    again = type(client)(**client.connection_pool.connection_kwargs)
    assert Queue("q", connection=again).get_job_ids() == [job.id]
    assert FailedJobRegistry(queue=queue) == FailedJobRegistry(queue=Queue("q", connection=again))


# -- Flask-Session ----------------------------------------------------------------------


def test_flask_session(client: redcore.Redis) -> None:
    app = Flask(__name__)
    app.config.update(SESSION_TYPE="redis", SESSION_REDIS=client, SECRET_KEY="test")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "No valid Redis instance provided"
        Session(app)
    assert app.session_interface.client is client

    @app.route("/count")
    def count() -> str:
        session["n"] = session.get("n", 0) + 1
        return str(session["n"])

    browser = app.test_client()
    assert [browser.get("/count").text for _ in range(3)] == ["1", "2", "3"]
    keys = client.keys("session:*")
    assert len(keys) == 1 and 0 < client.ttl(keys[0]) <= 31 * 24 * 3600
    assert app.test_client().get("/count").text == "1"  # a new browser, a new session
    assert len(client.keys("session:*")) == 2


# -- Flask-Caching ----------------------------------------------------------------------


def test_flask_caching(client: redcore.Redis) -> None:
    app = Flask(__name__)
    cache = Cache(app, config={"CACHE_TYPE": "RedisCache", "CACHE_REDIS_HOST": client, "CACHE_KEY_PREFIX": "fc:"})
    calls = []

    @cache.memoize(timeout=30)
    def square(x: int) -> int:
        calls.append(x)
        return x * x

    with app.app_context():
        assert (square(3), square(3), square(4)) == (9, 9, 16)
        assert calls == [3, 4]
        assert cache.set("k", {"a": [1, 2]}, timeout=60) is True
        assert cache.get("k") == {"a": [1, 2]} and cache.get("missing") is None
        assert 0 < client.ttl("fc:k") <= 60
        assert cache.cache.inc("hits") == 1 and cache.cache.inc("hits", 5) == 6
        assert cache.get_many("k", "missing") == [{"a": [1, 2]}, None]
        assert cache.delete("k") is True and cache.get("k") is None
        cache.delete_memoized(square, 3)
        square(3)
        assert calls == [3, 4, 3]
        assert cache.clear() is True
        assert client.keys("fc:*") == []


# -- python-redis-lock --------------------------------------------------------------------


def test_python_redis_lock(client: redcore.Redis) -> None:
    lock = redis_lock.Lock(client, "resource", expire=5)  # strict: isinstance(StrictRedis)
    assert lock.acquire(blocking=False) is True
    assert lock.locked() and client.exists("lock:resource") == 1
    rival = redis_lock.Lock(client, "resource", expire=5)
    assert rival.acquire(blocking=False) is False
    lock.extend(20)
    assert 5 < client.ttl("lock:resource") <= 20
    got = []
    waiter = threading.Thread(target=lambda: got.append(rival.acquire(timeout=5)))
    waiter.start()
    time.sleep(0.2)
    lock.release()  # signals the waiter (BLPOP on the signal list)
    waiter.join(10)
    assert got == [True] and rival.get_owner_id() == rival.id
    rival.release()
    with pytest.raises(redis_lock.NotAcquired):
        rival.release()
    with redis_lock.Lock(client, "renewed", expire=1, auto_renewal=True):
        time.sleep(1.3)
        assert client.exists("lock:renewed") == 1  # still held: renewed
    redis_lock.Lock(client, "left").acquire()
    redis_lock.reset_all(client)
    assert client.keys("lock:*") == []


# -- limits -------------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", [
    strategies.FixedWindowRateLimiter,
    strategies.MovingWindowRateLimiter,
    strategies.SlidingWindowCounterRateLimiter,
])
def test_limits_redis_storage(client: redcore.Redis, strategy: Any) -> None:
    storage = RedisStorage("redis://", connection_pool=client.connection_pool)
    assert storage.check() is True
    limiter = strategy(storage)
    item = parse("2/minute")
    assert [limiter.hit(item, "user") for _ in range(3)] == [True, True, False]
    assert limiter.test(item, "user") is False and limiter.test(item, "other") is True
    assert limiter.get_window_stats(item, "user").remaining == 0
    assert client.keys("LIMITS:*")  # the state lives in redcore
    limiter.clear(item, "user")
    assert limiter.hit(item, "user") is True
    storage.reset()
    assert client.keys("LIMITS:*") == []


# -- dramatiq -----------------------------------------------------------------------------


def test_dramatiq_worker_retries_results_and_delays(client: redcore.Redis) -> None:
    # Maintenance on every call: the dispatch script's long branch (dead
    # workers, expired dead letters) runs too, not one call in a thousand.
    broker = RedisBroker(client=client, namespace="dq", maintenance_chance=MAINTENANCE_SCALE)
    assert broker.client is client
    backend = RedisBackend(client=client)
    broker.add_middleware(Results(backend=backend))
    attempts: list = []

    @dramatiq.actor(broker=broker, store_results=True)
    def total(a: int, b: int) -> int:
        return a + b

    @dramatiq.actor(broker=broker, max_retries=3, min_backoff=10, max_backoff=50)
    def flaky() -> None:
        attempts.append(time.monotonic())
        if len(attempts) < 3:
            raise ValueError("not yet")

    @dramatiq.actor(broker=broker, store_results=True, max_retries=0)
    def broken() -> None:
        raise ValueError("boom")

    sent = [total.send(i, i) for i in range(5)]
    assert broker.do_qsize("default") == 5  # the script's qsize: messages waiting
    worker = dramatiq.Worker(broker, worker_timeout=50, worker_threads=2)
    worker.start()
    try:
        flaky.send()
        bad = broken.send()
        delayed = total.send_with_options(args=(20, 22), delay=200)
        assert [m.get_result(backend=backend, block=True, timeout=5000) for m in sent] == [0, 2, 4, 6, 8]
        assert delayed.get_result(backend=backend, block=True, timeout=5000) == 42
        with pytest.raises(ResultFailure, match="boom"):
            bad.get_result(backend=backend, block=True, timeout=5000)
        broker.join("default", timeout=10_000)
        worker.join()
        assert len(attempts) == 3  # two failures, retried after a backoff
    finally:
        worker.stop()
    assert client.zcard("dq:default.XQ") == 1  # the failed message, dead-lettered
    assert client.llen("dq:default") == 0 and client.hlen("dq:default.msgs") == 0
    with pytest.raises(ResultMissing):
        total.message(1, 1).get_result(backend=backend)  # never sent
    broker.flush_all()
    assert client.keys("dq:default*") == []


def test_dramatiq_maintenance_recovers_a_dead_workers_messages(client: redcore.Redis) -> None:
    gone = RedisBroker(client=client, namespace="dm")

    @dramatiq.actor(broker=gone, max_retries=0)
    def job(n: int) -> None:
        pass

    for n in range(3):
        job.send(n)
    consumer = gone.consume("default", prefetch=3, timeout=50)
    taken = [next(consumer) for _ in range(3)]  # fetched, then the worker dies
    consumer.nack(taken[0])  # dead-lettered first
    assert client.scard(f"dm:__acks__.{gone.broker_id}.default") == 2
    assert client.zcard("dm:default.XQ") == 1
    time.sleep(0.05)
    # A later broker's maintenance: heartbeats older than 20 ms are dead
    # workers, whose unacked messages go back on the queue; dead letters
    # older than 20 ms are dropped.
    survivor = RedisBroker(
        client=client, namespace="dm", maintenance_chance=MAINTENANCE_SCALE, heartbeat_timeout=20, dead_message_ttl=20,
    )
    survivor.declare_queue("default")
    assert survivor.do_qsize("default") == 2
    requeued = sorted(client.lrange("dm:default", 0, -1))
    assert requeued == sorted(m.options["redis_message_id"].encode() for m in taken[1:])
    assert client.zcard("dm:default.XQ") == 0 and client.hlen("dm:default.XQ.msgs") == 0
    assert client.zscore("dm:__heartbeats__", gone.broker_id) is None
    assert client.keys("dm:__acks__.*") == []
    again = survivor.consume("default", prefetch=2, timeout=50)
    assert sorted(next(again).args[0] for _ in range(2)) == [1, 2]


def test_dramatiq_rate_limiters_and_barrier(client: redcore.Redis) -> None:
    # The Redis rate-limiter backend: SET NX PX, and WATCH/MULTI loops that
    # retry on redis.WatchError, contended by threads sharing the client.
    backend = RateLimiterBackend(client=client)
    mutex = ConcurrentRateLimiter(backend, "cr", limit=2, ttl=5000)
    inside, peak, counts = [0], [0], {"done": 0, "exceeded": 0}
    guard = threading.Lock()

    def work() -> None:
        for _ in range(15):
            try:
                with mutex.acquire():
                    with guard:
                        inside[0] += 1
                        peak[0] = max(peak[0], inside[0])
                    time.sleep(0.001)
                    with guard:
                        inside[0] -= 1
                        counts["done"] += 1
            except RateLimitExceeded:
                with guard:
                    counts["exceeded"] += 1

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert peak[0] <= 2 and counts["done"] > 0 and counts["done"] + counts["exceeded"] == 60
    assert client.get("cr") == b"0"

    def granted(limiter: Any, attempts: int) -> int:
        ok = 0
        for _ in range(attempts):
            with limiter.acquire(raise_on_failure=False) as acquired:
                ok += bool(acquired)
        return ok

    assert granted(WindowRateLimiter(backend, "win", limit=5, window=1), 8) == 5
    assert granted(BucketRateLimiter(backend, "bucket", limit=3, bucket=1000), 5) == 3

    barrier = Barrier(backend, "barrier", ttl=5000)
    assert barrier.create(parties=3) is True and barrier.create(parties=3) is False
    cleared: list = []
    waiters = [threading.Thread(target=lambda: cleared.append(barrier.wait(timeout=2000))) for _ in range(2)]
    for t in waiters:
        t.start()
    time.sleep(0.1)
    assert barrier.wait(timeout=2000) is True  # the last party clears it
    for t in waiters:
        t.join(5)
    assert cleared == [True, True]


def test_dramatiq_lua_stack_probe(client: redcore.Redis) -> None:
    # The broker sizes its batches by the largest unpack() the Lua stack
    # takes (maxstack.lua doubles until unpack fails): 7992 on Redis's Lua 5.1.
    broker = RedisBroker(client=client)
    assert broker.scripts["maxstack"]() == 7992


# -- django-redis -------------------------------------------------------------------------


@pytest.fixture(params=["embedded", "remote"])
def django_redis_server(request: pytest.FixtureRequest, redis_server: Any) -> Iterator[str]:
    """Where django-redis's LOCATIONs point, without the db: a fresh shared
    embedded engine (``memory://name``), or the session's redis-server."""
    if request.param == "embedded":
        yield f"memory://django-redis-{uuid.uuid4().hex}"
    else:
        redis_server.client().flushall()
        yield f"redis://127.0.0.1:{redis_server.port}"


@pytest.fixture
def django_redis_location(django_redis_server: str) -> str:
    return f"{django_redis_server}/0"


@dataclass(frozen=True)
class Point:
    """A pickled cache value."""

    x: int
    y: int


def test_django_redis_cache(django_redis_location: str) -> None:
    configure_django()
    from django.core.cache import caches
    from django.test import override_settings

    conf = {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": django_redis_location,
        "KEY_PREFIX": "dj",
        "TIMEOUT": 60,
        "OPTIONS": {
            # django-redis builds its pool with CONNECTION_POOL_CLASS.from_url
            # and its clients with REDIS_CLIENT_CLASS(connection_pool=...).
            "CONNECTION_POOL_CLASS": "redcore.ConnectionPool",
            "REDIS_CLIENT_CLASS": "redcore.Redis",
        },
    }
    with override_settings(CACHES={"default": conf}):
        cache = caches["default"]
        raw = cache.client.get_client()
        assert type(raw) is redcore.Redis
        direct = redcore.Redis.from_url(django_redis_location)
        try:
            _exercise_django_redis(cache, raw, direct)
        finally:
            cache.clear()
            direct.close()


def test_django_redis_sets_hashes_and_sorted_sets(django_redis_location: str) -> None:
    # django-redis's own methods for the other types pickle members too.
    configure_django()
    from django.core.cache import caches
    from django.test import override_settings

    conf = {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": django_redis_location,
        "OPTIONS": {"CONNECTION_POOL_CLASS": "redcore.ConnectionPool", "REDIS_CLIENT_CLASS": "redcore.Redis"},
    }
    with override_settings(CACHES={"default": conf}):
        cache = caches["default"]
        try:
            assert cache.sadd("tags", "a", "b", Point(0, 0)) == 3 and cache.scard("tags") == 3
            assert cache.smembers("tags") == {"a", "b", Point(0, 0)}
            assert cache.sismember("tags", Point(0, 0)) and cache.smismember("tags", "a", "z") == [True, False]
            assert cache.sadd("more", "b", "c") == 2
            assert cache.sinter("tags", "more") == {"b"} and cache.sdiff("tags", "more") == {"a", Point(0, 0)}
            assert cache.sunionstore("all", "tags", "more") == 4 and cache.scard("all") == 4
            assert cache.sscan("all") == {"a", "b", "c", Point(0, 0)}
            assert cache.smove("more", "tags", "c") and cache.srem("tags", "a", "b") == 2
            assert cache.spop("more") == "b" and cache.spop("more") is None

            assert cache.hset("h", "f1", {"v": 1}) == 1 and cache.hset("h", mapping={"f2": 2, "f3": [3]}) == 2
            assert cache.hlen("h") == 3 and sorted(cache.hkeys("h")) == ["f1", "f2", "f3"]
            assert cache.hexists("h", "f2") and cache.hdel("h", "f2") == 1 and not cache.hexists("h", "f2")

            assert cache.zadd("board", {"ann": 3, "bob": 1, Point(1, 1): 2}) == 3
            assert cache.zrange("board", 0, -1) == ["bob", Point(1, 1), "ann"]
            assert cache.zrevrange("board", 0, 0, withscores=True) == [("ann", 3.0)]
            assert cache.zincrby("board", 5, "bob") == 6.0 and cache.zscore("board", "bob") == 6.0
            assert cache.zrank("board", "ann") == 1 and cache.zcount("board", 2, 10) == 3
            assert cache.zrangebyscore("board", 2, 4) == [Point(1, 1), "ann"]
            assert cache.zrevrangebyscore("board", "+inf", "-inf", start=0, num=1) == ["bob"]
            assert cache.zpopmin("board") == (Point(1, 1), 2.0) and cache.zpopmax("board", 1) == [("bob", 6.0)]
            assert cache.zremrangebyscore("board", 0, 10) == 1 and cache.zcard("board") == 0
        finally:
            cache.clear()


@pytest.mark.filterwarnings("ignore:.* on sharded client should not specify client")  # django-redis's own calls
def test_django_redis_sharded_client(django_redis_server: str) -> None:
    # ShardClient spreads keys over its LOCATIONs (here two databases) by a
    # hash ring, with one redcore client for each.
    configure_django()
    from django.core.cache import caches
    from django.test import override_settings

    shards = [f"{django_redis_server}/1", f"{django_redis_server}/2"]
    conf = {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": shards,
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.ShardClient",
            "CONNECTION_POOL_CLASS": "redcore.ConnectionPool",
            "REDIS_CLIENT_CLASS": "redcore.Redis",
            "COMPRESSOR": "django_redis.compressors.zlib.ZlibCompressor",
        },
    }
    with override_settings(CACHES={"default": conf}):
        cache = caches["default"]
        try:
            cache.set_many({f"k{i}": {"i": i, "pad": "x" * 200} for i in range(20)})
            assert [cache.get(f"k{i}")["i"] for i in range(20)] == list(range(20))
            sizes = [redcore.Redis.from_url(url).dbsize() for url in shards]
            assert sum(sizes) == 20 and min(sizes) > 0
            assert cache.incr("n", ignore_key_check=True) == 1 and cache.decr("n") == 0
            assert len(cache.keys("k*")) == 20 and cache.delete_pattern("k1*") == 11
        finally:
            cache.clear()


def _exercise_django_redis(cache: Any, raw: redcore.Redis, direct: redcore.Redis) -> None:
    assert cache.set("point", Point(1, 2)) is True
    assert cache.get("point") == Point(1, 2) and cache.get("nothing", "dflt") == "dflt"
    assert direct.exists("dj:1:point") == 1  # the same engine or server, by URL
    assert 0 < cache.ttl("point") <= 60
    assert cache.add("point", "other") is False and cache.add("fresh", 1) is True
    assert cache.set("n", 10) and cache.incr("n") == 11 and cache.decr("n", 5) == 6
    assert direct.get("dj:1:n") == b"6"  # integers are stored unpickled, for INCRBY
    with pytest.raises(ValueError):
        cache.incr("missing")
    assert cache.incr("missing", ignore_key_check=True) == 1
    cache.set_many({"a": 1, "b": [2], "c": "three"}, timeout=30)
    assert cache.get_many(["a", "b", "c", "zz"]) == {"a": 1, "b": [2], "c": "three"}
    assert cache.has_key("a") and not cache.has_key("zz")
    assert cache.delete_many(["a", "b"]) == 2 and cache.get_many(["a", "b"]) == {}
    assert cache.set("forever", "x", timeout=None) and cache.ttl("forever") is None
    assert cache.expire("forever", 100) and 0 < cache.ttl("forever") <= 100
    assert cache.pexpire("forever", 5000) and 0 < cache.pttl("forever") <= 5000
    assert cache.persist("forever") and cache.ttl("forever") is None
    assert cache.touch("forever", 20) and 0 < cache.ttl("forever") <= 20
    assert cache.touch("nothing", 20) is False
    assert cache.set("short", "gone", timeout=0.2)
    time.sleep(0.3)
    assert cache.get("short") is None and cache.ttl("short") == 0
    cache.set("zero", 1, timeout=0)  # Django: expires at once
    assert cache.get("zero") is None
    for i in range(30):
        cache.set(f"item:{i}", i)
    assert sorted(cache.keys("item:*"), key=lambda k: int(k.split(":")[1])) == [f"item:{i}" for i in range(30)]
    assert sum(1 for _ in cache.iter_keys("item:*", itersize=7)) == 30
    assert cache.delete_pattern("item:1*", itersize=5) == 11  # 1 and 10..19
    assert len(cache.keys("item:*")) == 19
    assert cache.set("v", "one", version=2) and cache.get("v", version=2) == "one" and cache.get("v") is None
    with cache.lock("resource", timeout=5):
        assert direct.exists("dj:1:resource") == 1
        assert cache.lock("resource", blocking=False).acquire() is False
    assert direct.exists("dj:1:resource") == 0
    assert cache.delete("c") is True and cache.get("c") is None
    cache.clear()
    assert direct.dbsize() == 0 and raw.dbsize() == 0


# -- pottery ------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::pottery.InefficientAccessWarning")
def test_pottery_containers(client: redcore.Redis) -> None:
    tel = RedisDict({"jane": 4098, "jack": 4139}, redis=client, key="tel")
    tel["guido"] = 4127
    assert tel.to_dict() == {"jane": 4098, "jack": 4139, "guido": 4127} and len(tel) == 3
    del tel["jack"]
    assert "jack" not in tel and sorted(tel) == ["guido", "jane"]
    assert client.type("tel") == b"hash"

    squares = RedisList([1, 4, 9, 16, 25], redis=client, key="squares")
    squares.append(36)
    squares.insert(0, 0)
    assert squares[1] == 1 and squares[-1] == 36 and squares[2:4] == [4, 9]
    squares[0] = -1
    assert squares.pop() == 36 and squares.to_list() == [-1, 1, 4, 9, 16, 25]
    assert squares.index(9) == 3 and squares.count(4) == 1
    del squares[0]
    assert len(squares) == 5 and client.llen("squares") == 5

    fruits = RedisSet({"apple", "pear"}, redis=client, key="fruits")
    fruits.add("plum")
    assert fruits.issuperset({"apple"}) and "pear" in fruits and len(fruits) == 3
    fruits.discard("apple")
    assert fruits.to_set() == {"pear", "plum"}
    assert fruits.isdisjoint({"kiwi"}) and not fruits.isdisjoint({"plum", "fig"})

    words = RedisCounter("abracadabra", redis=client, key="letters")
    assert words["a"] == 5 and words.most_common(2) == [("a", 5), ("b", 2)]
    words.update("aaa")
    words.subtract({"b": 2})
    assert words["a"] == 8 and "b" not in words.to_dict() or words["b"] == 0

    line = RedisDeque([1, 2, 3], redis=client, key="line", maxlen=4)
    line.appendleft(0)
    line.append(4)  # maxlen: 0 falls off the left
    assert list(line) == [1, 2, 3, 4]
    line.rotate(1)
    assert list(line) == [4, 1, 2, 3] and line.popleft() == 4 and line.pop() == 3

    visitors = HyperLogLog({"ann", "bob"}, redis=client, key="visitors")
    visitors.update({"bob", "cy"})
    assert len(visitors) == 3 and "ann" in visitors and "zed" not in visitors

    seen = BloomFilter({"a", "b"}, num_elements=100, false_positives=0.01, redis=client, key="seen")
    seen.add("c")
    assert "a" in seen and "c" in seen and "z" not in seen
    assert 2 <= len(seen) <= 3  # an estimate from the number of bits set
    assert client.type("seen") == b"string"


def test_pottery_redlock_and_cache(client: redcore.Redis) -> None:
    lock = Redlock(key="printer", masters={client}, auto_release_time=2)
    assert lock.acquire() is True and 0 < lock.locked() <= 2  # seconds left
    rival = Redlock(key="printer", masters={client}, auto_release_time=2)
    assert rival.acquire(blocking=False) is False and rival.locked() == 0
    lock.extend()
    assert 1 < lock.locked() <= 2
    lock.release()
    assert lock.locked() == 0 and rival.acquire(timeout=1) is True
    rival.release()
    with pytest.raises(ReleaseUnlockedLock):
        rival.release()
    with Redlock(key="printer", masters={client}, auto_release_time=0.3) as held:
        assert held.locked() > 0
    short = Redlock(key="brief", masters={client}, auto_release_time=0.2)
    assert short.acquire()
    time.sleep(0.3)
    assert short.locked() == 0  # released by expiry

    calls = []

    @redis_cache(redis=client, key="expensive", timeout=30)
    def expensive(n: int) -> list:
        calls.append(n)
        return [n, n * n]

    assert (expensive(3), expensive(3), expensive(4)) == ([3, 9], [3, 9], [4, 16])
    assert calls == [3, 4] and expensive.cache_info().hits == 1
    assert client.hlen("expensive") == 2 and 0 < client.ttl("expensive") <= 30
    expensive.cache_clear()
    assert client.exists("expensive") == 0
    assert expensive(3) == [3, 9] and calls == [3, 4, 3]


def test_pottery_ids_queue_and_cached_dict(client: redcore.Redis) -> None:
    ids, other = NextID(key="tweet-ids", masters={client}), NextID(key="tweet-ids", masters={client})
    assert (next(ids), next(other), next(ids)) == (1, 2, 3)
    ids.reset()
    assert next(other) == 1

    jobs = RedisSimpleQueue(redis=client, key="jobs")
    jobs.put({"n": 1})
    jobs.put_nowait([2])
    assert jobs.qsize() == 2 and client.xlen("jobs") == 2
    assert jobs.get() == {"n": 1} and jobs.get_nowait() == [2] and jobs.empty()

    first = CachedOrderedDict(redis_client=client, redis_key="docs", dict_keys=("d1", "d2"))
    assert sorted(first.misses()) == ["d1", "d2"]
    first["d1"] = "doc one"  # hydrated, and written through to Redis
    second = CachedOrderedDict(redis_client=client, redis_key="docs", dict_keys=("d2", "d1"))
    assert list(second) == ["d2", "d1"] and second["d1"] == "doc one" and list(second.misses()) == ["d2"]
    assert client.hlen("docs") == 1 and 0 < client.ttl("docs")

    order = []

    @synchronize(key="one-at-a-time", masters={client}, auto_release_time=2)
    def critical(n: int) -> None:
        order.append(("in", n))
        time.sleep(0.05)
        order.append(("out", n))

    threads = [threading.Thread(target=critical, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(order) == 4 and order[0][1] == order[1][1] and order[2][1] == order[3][1]
