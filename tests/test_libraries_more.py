"""More libraries written for redis-py, run with redcore, the sibling of
test_libraries.py and test_libraries_asyncio.py.

Each library is used the way its documentation shows and handed a redcore
pool or client through one of its documented settings, on the embedded
engine and on the remote client against the session's redis-server:

- Django's own cache backend, ``django.core.cache.backends.redis.RedisCache``
  with ``OPTIONS={"pool_class": "redcore.ConnectionPool"}`` (it wraps the
  pool it builds from LOCATION in redis-py's ``Redis``), and the cache
  session engine on it;
- huey: ``RedisHuey`` / ``RedisExpireHuey`` / ``PriorityRedisHuey`` given
  ``connection_pool=`` (tasks run by ``huey.execute`` and by a consumer with
  thread workers, results, retries, schedules, periodic tasks, locks);
- walrus: ``Database(connection_pool=...)`` (containers, models, the cache
  decorator, rate limiters, autocomplete, the Bloom filter, streams);
- django-rq: ``RQ_QUEUES`` entries with ``USE_REDIS_CACHE`` naming a
  django-redis cache whose clients are redcore's, a burst worker and the
  ``rqworker`` command;
- Flask-Limiter: limits' Redis storage on the client's pool
  (``storage_options={"connection_pool": ...}``);
- arq: ``ArqRedis(pool)`` over a ``redcore.asyncio`` pool (it is
  redis.asyncio's ``Redis``), a ``Worker(redis_pool=...)`` in burst mode;
- dogpile.cache: its ``dogpile.cache.redis`` backend given
  ``arguments={"connection_pool": ...}`` (its decorators, get/set of many
  keys, and the distributed lock);
- python-redis-cache: ``RedisCache(redis_client=...)`` given a redcore
  client (its Lua script keeps a bounded sorted set of cached keys);
- Beaker: the ``ext:redis`` cache and session backends, whose ``url``
  may be a client (caches, decorators, invalidation, its lock taken with
  SET NX and released in a WATCH transaction, sessions);
- APScheduler 3: ``RedisJobStore(connection_pool=...)`` behind a
  ``BackgroundScheduler`` (interval and date jobs, pause, resume, modify,
  remove, and jobs found again by a new scheduler on the same store);
- throttled-py: its Redis store with ``CONNECTION_POOL_CLASS`` /
  ``REDIS_CLIENT_CLASS`` naming redcore's (and a ``memory://`` server for
  the embedded engine), sync and asyncio: fixed window, sliding window,
  token bucket, leaky bucket and GCRA, each a Lua script;
- redlock-py: ``Redlock([{"connection_pool": ...}])``.

Left out: walrus's ``listener`` (pub/sub) and ``stream_log`` (MONITOR read
from a raw pool connection), which need a pool connection that streams
replies (redis-py's PubSub over redcore connections, under way elsewhere).
The versions are pinned in ``requirements-test.txt``.
"""

from __future__ import annotations

import asyncio
import datetime
import signal
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List

import pytest
import pytest_asyncio
import redis
from apscheduler.jobstores.redis import RedisJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from arq.connections import ArqRedis
from beaker.cache import CacheManager
from beaker.session import Session as BeakerSession
from beaker.util import parse_cache_config_options
from arq.jobs import JobStatus
from arq.worker import Retry, Worker
from dogpile.cache import make_region
from dogpile.cache.api import NO_VALUE
from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from huey import PriorityRedisHuey, RedisExpireHuey, RedisHuey, crontab
from huey.exceptions import ResultTimeout, TaskException
from redlock import Redlock
from throttled import RateLimiterType, Throttled, rate_limiter
from throttled import store as throttled_store
from throttled.exceptions import LimitedError
from throttled.asyncio import Throttled as AsyncThrottled
from throttled.asyncio import store as async_throttled_store
from redis_cache import RedisCache as PythonRedisCache
from walrus import Database, IntegerField, JSONField, Model, SetField, TextField
from walrus.rate_limit import RateLimitException

import redcore
import redcore.asyncio
from support import configure_django


@pytest.fixture(params=["embedded", "remote"])
def server(request: pytest.FixtureRequest, redis_server: Any) -> Iterator[str]:
    """Where the libraries connect, without a database: a fresh named
    embedded engine (``memory://name``), or the session's redis-server,
    flushed."""
    if request.param == "embedded":
        name = f"libs-more-{uuid.uuid4().hex}"
        yield f"memory://{name}"
        redcore._redcore.forget_engine(name)
    else:
        redis_server.client().flushall()
        yield f"redis://127.0.0.1:{redis_server.port}"


@pytest.fixture
def url(server: str) -> str:
    """``server``'s database 0."""
    return f"{server}/0"


@pytest.fixture
def client(url: str) -> Iterator[redcore.Redis]:
    """A redcore client on ``url``, to look at what a library stored."""
    c = redcore.Redis.from_url(url)
    yield c
    c.close()


# -- Django's RedisCache ------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    """A pickled cache value."""

    x: int
    y: int


def django_redis_cache(url: str, **options: Any) -> dict:
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": "dj",
        "TIMEOUT": 60,
        "OPTIONS": {"pool_class": "redcore.ConnectionPool", **options},
    }


def test_django_builtin_redis_cache(url: str, client: redcore.Redis) -> None:
    configure_django()
    from django.core.cache import caches
    from django.test import override_settings

    with override_settings(CACHES={"default": django_redis_cache(url)}):
        cache = caches["default"]
        # Django builds the pool with pool_class.from_url(LOCATION, parser_class=...)
        # and wraps it in redis-py's Redis.
        raw = cache._cache.get_client()
        assert type(raw) is redis.Redis and isinstance(raw.connection_pool, redcore.ConnectionPool)
        assert cache.set("point", Point(1, 2)) is None and cache.get("point") == Point(1, 2)
        assert client.exists("dj:1:point") == 1 and 0 < client.ttl("dj:1:point") <= 60
        assert cache.get("missing", "dflt") == "dflt"
        assert cache.add("point", "other") is False and cache.add("fresh", 1) is True
        cache.set("n", 10)
        assert cache.incr("n") == 11 and cache.decr("n", 5) == 6
        assert client.get("dj:1:n") == b"6"  # integers are stored unpickled, for INCRBY
        with pytest.raises(ValueError):
            cache.incr("nothing")
        assert cache.set_many({"a": 1, "b": [2], "c": "three"}, timeout=30) == []
        assert cache.get_many(["a", "b", "c", "zz"]) == {"a": 1, "b": [2], "c": "three"}
        assert 0 < client.ttl("dj:1:b") <= 30
        assert cache.has_key("a") and not cache.has_key("zz")
        cache.delete_many(["a", "b"])
        assert cache.get_many(["a", "b", "c"]) == {"c": "three"}
        assert cache.delete("c") is True and cache.delete("c") is False
        cache.set("forever", "x", timeout=None)
        assert client.ttl("dj:1:forever") == -1
        assert cache.touch("forever", 100) is True and 0 < client.ttl("dj:1:forever") <= 100
        assert cache.touch("forever", None) is True and client.ttl("dj:1:forever") == -1
        assert cache.touch("nothing", 10) is False
        cache.set("zero", 1, timeout=0)  # Django: expires at once
        assert cache.get("zero") is None and client.exists("dj:1:zero") == 0
        assert cache.add("zero", 1, timeout=0) is True and client.exists("dj:1:zero") == 0
        assert cache.get_or_set("lazy", lambda: [1, 2]) == [1, 2] and cache.get("lazy") == [1, 2]
        cache.set("v", "one", version=2)
        assert cache.get("v", version=2) == "one" and cache.get("v") is None
        assert cache.incr_version("v", version=2) == 3 and cache.get("v", version=3) == "one"
        cache.clear()  # FLUSHDB, as Django documents
        assert client.dbsize() == 0


def test_django_builtin_redis_cache_blocking_pool_and_sessions(server: str, client: redcore.Redis) -> None:
    configure_django()
    from django.contrib.sessions.backends.cache import SessionStore
    from django.core.cache import caches
    from django.test import override_settings

    # OPTIONS are the pool's arguments: another database, a blocking pool.
    conf = django_redis_cache(server, pool_class="redcore.BlockingConnectionPool", db=3, max_connections=4, timeout=2)
    with override_settings(CACHES={"default": conf}, SESSION_ENGINE="django.contrib.sessions.backends.cache",
                           SESSION_COOKIE_AGE=100):
        pool = caches["default"]._cache.get_client().connection_pool
        assert isinstance(pool, redcore.ConnectionPool) and pool.connection_kwargs["db"] == 3
        db3 = redcore.Redis.from_url(f"{server}/3")
        try:
            store = SessionStore()
            store["user"] = 42
            store.save()
            key = store.session_key
            assert key and SessionStore(session_key=key)["user"] == 42 and SessionStore().exists(key)
            (stored,) = db3.keys("dj:1:django.contrib.sessions.cache*")
            assert 0 < db3.ttl(stored) <= 100 and client.dbsize() == 0  # in database 3 only
            again = SessionStore(session_key=key)
            again.cycle_key()
            assert again.session_key != key and not SessionStore().exists(key)
            assert SessionStore(session_key=again.session_key)["user"] == 42
            again.flush()
            assert db3.dbsize() == 0
        finally:
            db3.close()


# -- huey ---------------------------------------------------------------------------------


def run_pending(huey: Any, timestamp: Any = None) -> int:
    """What a consumer's worker does with each queued task."""
    ran = 0
    while (task := huey.dequeue()) is not None:
        huey.execute(task, timestamp)
        ran += 1
    return ran


def test_huey_tasks_results_retries_schedules_and_locks(url: str, client: redcore.Redis) -> None:
    pool = redcore.ConnectionPool.from_url(url)
    huey = RedisHuey("app", connection_pool=pool, utc=True, read_timeout=0.05)  # BRPOP's timeout
    assert huey.storage.pool is pool
    attempts: List[int] = []
    ticks: List[str] = []

    @huey.task()
    def add(a: int, b: int) -> int:
        return a + b

    @huey.task(retries=2, retry_delay=0)
    def flaky() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise ValueError("not yet")
        return "done"

    @huey.task()
    def broken() -> None:
        raise KeyError("boom")

    @huey.task()
    @huey.lock_task("report")
    def report() -> str:
        return "written"

    @huey.periodic_task(crontab(minute="*"))
    def tick() -> None:
        ticks.append("tick")

    total, retried, failed, locked = add(2, 3), flaky(), broken(), report()
    later = add.schedule((20, 22), delay=3600)
    assert huey.pending_count() == 5 and client.llen("huey.redis.app") == 5
    assert run_pending(huey) == 7  # flaky twice more, re-enqueued by its retries
    assert total() == 5 and retried() == "done" and locked() == "written" and len(attempts) == 3
    with pytest.raises(TaskException, match="boom"):
        failed.get()
    # The delayed task went to the schedule (a sorted set); the schedule
    # script pops it once it is due.
    assert huey.scheduled_count() == 1 and client.zcard("huey.schedule.app") == 1
    due = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) + datetime.timedelta(hours=2)
    assert huey.read_schedule(due - datetime.timedelta(hours=1, minutes=30)) == []
    (task,) = huey.read_schedule(due)
    huey.execute(task, due)
    assert later() == 42 and huey.scheduled_count() == 0
    for task in huey.read_periodic(datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)):
        huey.execute(task)
    assert ticks == ["tick"]
    # A held lock: the task fails with TaskLockedException, unretried.
    with huey.lock_task("report"):
        assert client.hexists("huey.results.app", "app.lock.report")
        held = report()
        run_pending(huey)
        with pytest.raises(TaskException, match="unable to acquire lock report"):
            held.get()
    assert not client.hexists("huey.results.app", "app.lock.report")
    # Revoked tasks are skipped by the worker.
    skipped = add(1, 1)
    skipped.revoke()  # once: the worker skips it and drops the revocation
    assert skipped.is_revoked()
    run_pending(huey)
    assert skipped() is None and not skipped.is_revoked()
    huey.flush()
    assert client.keys("huey.*") == []
    pool.disconnect()


def test_huey_consumer_notify_and_priorities(url: str, client: redcore.Redis) -> None:
    # Results announced on a list (BLPOP in result.get(blocking=True)), and
    # stored as strings with an expiry (RedisExpireHuey).
    pool = redcore.ConnectionPool.from_url(url)
    huey = RedisExpireHuey("exp", connection_pool=pool, notify_result=True, expire_time=60, read_timeout=0.1)

    @huey.task()
    def square(n: int) -> int:
        return n * n

    @huey.task()
    def pause() -> None:
        time.sleep(5)

    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    consumer = huey.create_consumer(workers=2, worker_type="thread", periodic=False, initial_delay=0.01)
    consumer.start()  # workers block in BRPOP on the shared pool
    try:
        results = [square(n) for n in range(6)]
        assert [r.get(blocking=True, timeout=5) for r in results] == [0, 1, 4, 9, 16, 25]
    finally:
        consumer.stop(graceful=True)
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    stored = square(7)
    run_pending(huey)
    assert stored(preserve=True) == 49 and 0 < client.ttl(b"huey.r.exp." + stored.id.encode()) <= 60
    waiting = pause()  # never run: its result times out
    with pytest.raises(ResultTimeout):
        waiting.get(blocking=True, timeout=0.2)
    huey.flush()

    # PriorityRedisHuey queues in a sorted set: higher priority first.
    prio = PriorityRedisHuey("prio", connection_pool=pool, read_timeout=0.1)

    @prio.task()
    def echo(x: str) -> str:
        return x

    for name, priority in (("low", 0), ("high", 10), ("mid", 5), ("low2", 0)):
        echo(name, priority=priority)
    assert client.type("huey.redis.prio") == b"zset"
    order = []
    while (task := prio.dequeue()) is not None:
        order.append(prio.execute(task))
    assert order == ["high", "mid", "low", "low2"]
    prio.flush()
    pool.disconnect()


# -- walrus -------------------------------------------------------------------------------


@pytest.fixture
def walrus_db(client: redcore.Redis) -> Database:
    """walrus's Database (redis-py's Redis) on the client's pool."""
    return Database(connection_pool=client.connection_pool)


def test_walrus_containers(walrus_db: Database, client: redcore.Redis) -> None:
    h = walrus_db.Hash("h")
    h.update(a=1, b=2)
    h["c"] = "x"
    assert h.as_dict() == {b"a": b"1", b"b": b"2", b"c": b"x"} and len(h) == 3 and "a" in h
    assert h.incr("a", 5) == 6 and client.hget("h", "a") == b"6"
    s, other = walrus_db.Set("s"), walrus_db.Set("s2")
    s.add("a", "b", "c")
    other.add("b", "z")
    assert (s & other) == {b"b"} and (s | other) == {b"a", b"b", b"c", b"z"} and (s - other) == {b"a", b"c"}
    z = walrus_db.ZSet("z")
    z.add({"a": 1, "b": 2, "c": 3})
    assert z[:] == [b"a", b"b", b"c"] and z[:"b"] == [b"a"] and z.rank("c") == 2 and z.score("b") == 2.0
    assert z.range_by_score(2, 3, with_scores=True) == [(b"b", 2.0), (b"c", 3.0)]
    assert z.incr("a", 5) == 6.0 and z.popmin(1) == [(b"b", 2.0)]
    lst = walrus_db.List("l")
    lst.extend([1, 2, 3])
    lst.prepend(0)
    assert lst[:] == [b"0", b"1", b"2", b"3"] and lst[-1] == b"3" and lst.popright() == b"3" and len(lst) == 3
    hll = walrus_db.HyperLogLog("hll")
    hll.add("a", "b", "a")
    assert len(hll) == 2
    arr = walrus_db.Array("arr")  # a Lua-backed array on a hash
    arr.extend(["x", "y", "z"])
    assert arr[1] == b"y" and len(arr) == 3 and arr.pop() == b"z"
    assert walrus_db.bit_field("bits").incrby("u8", 0, 5).incrby("u8", 0, 300).execute() == [5, 49]
    assert walrus_db.cas("cas", "a", "b") == 0  # a Lua script's 0 / 1
    client.set("cas", "abc")
    assert walrus_db.cas("cas", "abc", "new") == 1 and client.get("cas") == b"new"
    with walrus_db.atomic():
        walrus_db.set("x", 1)
        walrus_db.incr("x")
    assert client.get("x") == b"2"
    stream = walrus_db.Stream("st")
    first = stream.add({"a": 1}, id="1-1")
    assert first == b"1-1" and stream.range() == [(b"1-1", {b"a": b"1"})]
    group = walrus_db.consumer_group("grp", ["st"])
    group.create()
    stream.add({"a": 2}, id="2-1")
    read = group.read(count=10)
    assert [(k, [m[0] for m in v]) for k, v in read] == [(b"st", [b"1-1", b"2-1"])]
    assert group.st.ack(b"1-1") == 1 and len(group.st.pending()) == 1


@pytest.mark.filterwarnings("ignore:Call to deprecated setex:DeprecationWarning")  # walrus's own call
def test_walrus_cache_rate_limits_autocomplete_and_bloom(walrus_db: Database, client: redcore.Redis) -> None:
    cache = walrus_db.cache(name="c")
    calls: List[int] = []

    @cache.cached(timeout=10)
    def square(n: int) -> int:
        calls.append(n)
        return n * n

    assert (square(3), square(3), square(4)) == (9, 9, 16) and calls == [3, 4]
    square.bust(3)
    assert square(3) == 9 and calls == [3, 4, 3]
    assert cache.set("k", {"a": 1}, 5) and cache.get("k") == {"a": 1} and 0 < client.ttl("c:k") <= 5
    assert cache.get_many(["k", "zz"]) == {"k": {"a": 1}}
    cache.set_many({"m": 1, "n": 2})
    assert cache.delete_many(["m", "n"]) == 2 and cache.incr("hits") == 1
    assert cache.flush() and client.keys("c:*") == []

    for limiter in (walrus_db.rate_limit("rl", limit=2, per=60), walrus_db.rate_limit_lua("rll", limit=2, per=60)):
        assert [limiter.limit("u") for _ in range(3)] == [False, False, True]
        assert limiter.limit("other") is False

        @limiter.rate_limited(lambda *a: "fn")
        def hello() -> str:
            return "hi"

        assert [hello(), hello()] == ["hi", "hi"]
        with pytest.raises(RateLimitException):
            hello()

    ac = walrus_db.autocomplete(namespace="ac")
    ac.store("python programming")
    ac.store("pythonic code")
    ac.store("ruby gems")
    assert sorted(ac.search("pyth")) == ["python programming", "pythonic code"] and list(ac.search("zz")) == []
    ac.remove("pythonic code")
    assert list(ac.search("pyth")) == ["python programming"]

    bloom = walrus_db.bloom_filter("bf", size=1024)
    for word in ("apple", "pear"):
        bloom.add(word)
    assert "apple" in bloom and "pear" in bloom and "plum" not in bloom
    assert client.type("bf") == b"string"

    counter = walrus_db.counter("hits")
    counter.incr()
    counter += 5
    assert counter.value() == 6

    lock = walrus_db.lock("res", ttl=1000)
    assert lock.acquire(block=False) is True and walrus_db.lock("res", ttl=1000).acquire(block=False) is False
    assert lock.release() is True and walrus_db.lock("res").acquire(block=False) is True


def test_walrus_models(walrus_db: Database, client: redcore.Redis) -> None:
    class User(Model):
        __database__ = walrus_db
        __namespace__ = "app"
        username = TextField(primary_key=True)
        age = IntegerField(index=True)
        bio = TextField(fts=True)
        tags = SetField()
        meta = JSONField()

    for i, name in enumerate(["ann", "bob", "cy", "dee"]):
        user = User.create(username=name, age=20 + 5 * i, meta={"i": i},
                           bio=f"{name} likes python" if i % 2 == 0 else f"{name} writes go")
        user.tags.add(f"t{i}")
    assert User.count() == 4 and sorted(u.username for u in User.all()) == ["ann", "bob", "cy", "dee"]
    assert sorted(u.username for u in User.query(User.age >= 30)) == ["cy", "dee"]
    assert sorted(u.username for u in User.query((User.age < 25) | (User.age > 30))) == ["ann", "dee"]
    assert [u.username for u in User.query(order_by=User.age.desc())] == ["dee", "cy", "bob", "ann"]
    assert sorted(u.username for u in User.query(User.bio.match("python"))) == ["ann", "cy"]
    bob = User.load("bob")
    assert bob.meta == {"i": 1} and bob.tags.members() == {b"t1"} and User.get(User.age == 30).username == "cy"
    bob.delete()
    assert User.count() == 3 and client.keys("app:user:*bob*") == []


# -- django-rq ----------------------------------------------------------------------------


def add(a: int, b: int) -> int:
    """A django-rq job (found by its import path)."""
    return a + b


def multiply(a: int, b: int) -> int:
    return a * b


def test_django_rq(url: str, client: redcore.Redis) -> None:
    configure_django()
    import django_rq
    from django.core.management import call_command
    from django.test import override_settings
    from django_rq.management.commands.rqworker import Command as RQWorker
    from django_rq.utils import get_statistics
    from rq import SimpleWorker
    from rq.job import JobStatus as RQStatus

    # USE_REDIS_CACHE: the queues use the django-redis cache's client,
    # redcore's (REDIS_CLIENT_CLASS).
    caches = {"rq": {
        "BACKEND": "django_redis.cache.RedisCache", "LOCATION": url,
        "OPTIONS": {"CONNECTION_POOL_CLASS": "redcore.ConnectionPool", "REDIS_CLIENT_CLASS": "redcore.Redis"},
    }}
    queues = {"default": {"USE_REDIS_CACHE": "rq"}, "high": {"USE_REDIS_CACHE": "rq"}}
    with override_settings(CACHES=caches, RQ_QUEUES=queues, RQ={"COMMIT_MODE": "auto"}):
        queue = django_rq.get_queue("default")
        assert type(queue.connection) is redcore.Redis
        job = queue.enqueue(add, 1, 2)
        other = django_rq.enqueue(add, 3, 4)

        urgent = django_rq.job("high")(multiply).delay(6, 7)
        assert len(queue) == 2 and client.llen("rq:queue:high") == 1 and job.get_status() == RQStatus.QUEUED
        worker = django_rq.get_worker("default", "high", worker_class=SimpleWorker)
        assert worker.work(burst=True) is True
        assert (job.return_value(), other.return_value(), urgent.return_value()) == (3, 7, 42)
        stats = {q["name"]: q for q in get_statistics()["queues"]}
        assert stats["default"]["finished_jobs"] == 2 and stats["high"]["finished_jobs"] == 1
        last = queue.enqueue(add, 5, 5)
        call_command(RQWorker(), "default", burst=True, worker_class="rq.SimpleWorker", verbosity=0)
        assert last.return_value() == 10 and len(queue) == 0


# -- Flask-Limiter ------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", ["fixed-window", "moving-window", "sliding-window-counter"])
def test_flask_limiter(client: redcore.Redis, strategy: str) -> None:
    app = Flask(__name__)
    limiter = Limiter(
        get_remote_address, app=app, storage_uri="redis://", strategy=strategy, headers_enabled=True,
        storage_options={"connection_pool": client.connection_pool}, default_limits=["3 per minute"],
    )

    @app.route("/limited")
    @limiter.limit("2/minute")
    def limited() -> str:
        return "ok"

    @app.route("/default")
    def default() -> str:
        return "ok"

    @app.route("/free")
    @limiter.exempt
    def free() -> str:
        return "ok"

    browser = app.test_client()
    first = browser.get("/limited")
    assert first.status_code == 200 and first.headers["X-RateLimit-Remaining"] == "1"
    assert [browser.get("/limited").status_code for _ in range(2)] == [200, 429]
    assert 0 <= int(browser.get("/limited").headers["Retry-After"]) <= 61
    assert [browser.get("/default").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert [browser.get("/free").status_code for _ in range(4)] == [200] * 4
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.0.0.2"
    assert other.get("/limited").status_code == 200
    keys = {k.decode().replace("{", "").replace("}", "") for k in client.keys("LIMITS:*")}
    assert {k.split("/")[1] for k in keys} == {"127.0.0.1", "10.0.0.2"}
    limiter.reset()
    assert client.keys("*") == []


# -- arq (asyncio) --------------------------------------------------------------------------


async def arq_add(ctx: dict, a: int, b: int) -> int:
    return a + b


async def arq_flaky(ctx: dict) -> str:
    ctx["tries"].append(ctx["job_try"])
    if ctx["job_try"] < 3:
        raise Retry(defer=0.01)
    return "done"


async def arq_broken(ctx: dict) -> None:
    raise ValueError("boom")


@pytest_asyncio.fixture
async def arq_redis(url: str) -> Any:
    """arq's client, redis.asyncio's Redis, on a redcore.asyncio pool."""
    redis_ = ArqRedis(redcore.asyncio.ConnectionPool.from_url(url))
    yield redis_
    await redis_.aclose()
    await redis_.connection_pool.disconnect()


@pytest.mark.asyncio
@pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")  # arq's own call
async def test_arq_enqueue_worker_results_and_deferred_jobs(arq_redis: ArqRedis, client: redcore.Redis) -> None:
    job = await arq_redis.enqueue_job("arq_add", 2, 3)
    assert await arq_redis.enqueue_job("arq_add", 1, 1, _job_id=job.job_id) is None  # one job per id
    flaky = await arq_redis.enqueue_job("arq_flaky")
    broken = await arq_redis.enqueue_job("arq_broken")
    deferred = await arq_redis.enqueue_job("arq_add", 20, 22, _defer_by=0.3)
    assert await job.status() == JobStatus.queued and await deferred.status() == JobStatus.deferred
    # (queued by enqueue time, ties by job id)
    assert sorted(j.function for j in await arq_redis.queued_jobs()) == ["arq_add", "arq_add", "arq_broken", "arq_flaky"]
    assert client.zcard("arq:queue") == 4
    tries: List[int] = []
    worker = Worker(
        functions=[arq_add, arq_flaky, arq_broken], redis_pool=arq_redis, burst=True, poll_delay=0.05,
        handle_signals=False, ctx={"tries": tries},
    )
    started = time.monotonic()
    await worker.main()  # burst: returns when the queue (deferred job included) is done
    assert time.monotonic() - started >= 0.25
    assert (worker.jobs_complete, worker.jobs_failed, worker.jobs_retried) == (3, 1, 2)
    assert await job.result(timeout=2) == 5 and await deferred.result(timeout=2) == 42
    assert await flaky.result(timeout=2) == "done" and tries == [1, 2, 3]
    with pytest.raises(ValueError, match="boom"):
        await broken.result(timeout=2)
    info = await job.result_info()
    assert info is not None and info.success and info.result == 5 and info.job_try == 1
    assert await job.status() == JobStatus.complete and len(await arq_redis.all_job_results()) == 4
    assert client.zcard("arq:queue") == 0 and client.exists(f"arq:result:{job.job_id}") == 1
    await worker.close()


async def arq_slow(ctx: dict) -> int:
    await asyncio.sleep(10)
    return 1


@pytest.mark.asyncio
@pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")
async def test_arq_abort_and_health_check(arq_redis: ArqRedis) -> None:
    slow = await arq_redis.enqueue_job("arq_slow")
    worker = Worker(functions=[arq_slow], redis_pool=arq_redis, poll_delay=0.05, handle_signals=False,
                    allow_abort_jobs=True, health_check_interval=0.1)
    running = asyncio.ensure_future(worker.main())
    try:
        for _ in range(100):
            if await slow.status() == JobStatus.in_progress:
                break
            await asyncio.sleep(0.02)
        assert await slow.status() == JobStatus.in_progress
        assert await slow.abort(timeout=3) is True  # a sorted set the worker polls
        health = await arq_redis.get(worker.health_check_key)
        assert health is not None and b"j_ongoing=0" in health
    finally:
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
        await worker.close()


# -- dogpile.cache ------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:Call to deprecated setex:DeprecationWarning")
def test_dogpile_cache_redis_backend(url: str, client: redcore.Redis) -> None:
    """dogpile.cache's ``dogpile.cache.redis`` backend given a redcore pool
    (``arguments={"connection_pool": ...}``: it wraps it in redis-py's
    ``StrictRedis``): the decorators, invalidation, get/set of many keys
    (MGET, a pipeline of SETEX), and the distributed dogpile lock (redis-py's
    ``Lock``), which lets one of several threads create a missing value."""
    region = make_region(key_mangler=lambda key: f"dp:{key}").configure(
        "dogpile.cache.redis",
        expiration_time=60,
        arguments={
            "connection_pool": redcore.ConnectionPool.from_url(url),
            "redis_expiration_time": 120,
            "distributed_lock": True,
            "thread_local_lock": False,
            "lock_timeout": 10,
        },
    )
    calls: List[Any] = []

    @region.cache_on_arguments(namespace="sq")
    def square(x: int) -> int:
        calls.append(x)
        return x * x

    @region.cache_multi_on_arguments(namespace="cube")
    def cubes(*xs: int) -> List[int]:
        calls.append(xs)
        return [x ** 3 for x in xs]

    assert [square(3), square(3), square(4)] == [9, 9, 16]
    square.invalidate(3)
    assert square(3) == 9
    assert cubes(1, 2) == [1, 8] and cubes(2, 3) == [8, 27]
    assert calls == [3, 4, 3, (1, 2), (3,)]
    square_keys = sorted(k for k in client.keys("dp:*") if b"square" in k)
    assert len(square_keys) == 2 and all(b"|sq|" in k for k in square_keys)
    assert 0 < client.ttl(square_keys[0]) <= 120
    assert region.get_multi(["nothing", "more"]) == [NO_VALUE, NO_VALUE]

    created: List[int] = []

    def slow_value() -> str:
        created.append(1)
        time.sleep(0.3)
        return "made once"

    with ThreadPoolExecutor(4) as threads:
        got = list(threads.map(lambda _: region.get_or_create("shared", slow_value), range(4)))
    assert got == ["made once"] * 4 and created == [1]
    assert client.exists("dp:shared") and not client.exists("_lock" + "dp:shared")
    region.delete("shared")
    assert region.get("shared") is NO_VALUE and not client.exists("dp:shared")


# -- python-redis-cache ------------------------------------------------------------------


def test_python_redis_cache(client: redcore.Redis) -> None:
    cache = PythonRedisCache(redis_client=client)
    calls: List[Any] = []

    @cache.cache(ttl=60, limit=3)
    def add(a: int, b: int = 1) -> Dict[str, int]:
        calls.append((a, b))
        return {"sum": a + b}

    # Positional and keyword arguments make one key.
    assert [add(1), add(1), add(a=1, b=1), add(2, 3)] == [{"sum": 2}, {"sum": 2}, {"sum": 2}, {"sum": 5}]
    assert calls == [(1, 1), (2, 3)]
    for i in range(5):
        add(10 + i)
    # `limit`: the script keeps the newest three keys and drops the others.
    keys_key = add.instance.keys_key
    assert client.zcard(keys_key) == 3
    kept = [k.decode() for k in client.zrange(keys_key, 0, -1)]
    assert kept == [add.instance.get_key([10 + i], {}) for i in (2, 3, 4)]
    assert client.exists(add.instance.get_key([2, 3], {})) == 0
    assert 0 < client.ttl(kept[0]) <= 60
    add.invalidate(13)
    assert client.zcard(keys_key) == 2
    assert cache.mget({"fn": add, "args": [14]}, {"fn": add, "args": [99]}) == [{"sum": 15}, {"sum": 100}]
    assert calls[-1] == (99, 1)
    add.invalidate_all()
    assert client.keys(f"{add.get_full_prefix()}*") == []


# -- Beaker ------------------------------------------------------------------------------


def test_beaker_redis_cache_and_sessions(client: redcore.Redis, tmp_path: Any) -> None:
    options = {"cache.type": "ext:redis", "cache.url": client, "cache.expire": 60, "cache.lock_dir": str(tmp_path)}
    manager = CacheManager(**parse_cache_config_options(options))
    calls: List[int] = []

    @manager.cache("squares", expire=60)
    def square(x: int) -> int:
        calls.append(x)
        return x * x

    assert [square(3), square(3), square(4)] == [9, 9, 16]
    manager.invalidate(square, "squares", 3)
    assert square(3) == 9 and calls == [3, 4, 3]
    things = manager.get_cache("things", expire=30)
    things.put("a", {"v": 1})
    assert things.get("a") == {"v": 1} and "a" in things
    assert 0 < client.ttl("beaker_cache:things:a") <= 30
    # A missing value made by createfunc under Beaker's Redis lock.
    assert things.get("made", createfunc=lambda: "once") == "once"
    assert things.get("made") == "once"
    assert client.keys("beaker_lock:*") == []
    things.remove_value("a")
    assert "a" not in things
    things.clear()
    assert client.keys("beaker_cache:things:*") == []

    session = BeakerSession({}, type="ext:redis", url=client, timeout=300)
    session["user"] = "ann"
    session.save()
    again = BeakerSession({}, id=session.id, type="ext:redis", url=client, timeout=300)
    assert again["user"] == "ann"
    stored = f"beaker_cache:{session.id}:session"
    assert client.keys(f"beaker_cache:{session.id}:*") == [stored.encode()]
    assert client.ttl(stored) >= 300
    again.invalidate()
    assert "user" not in again


# -- APScheduler -------------------------------------------------------------------------

# What the scheduled job saw (APScheduler stores the job's function by
# reference, so it is a module-level function).
APS_TICKS: List[str] = []


def aps_tick(label: str) -> None:
    APS_TICKS.append(label)


def test_apscheduler_redis_job_store(url: str, client: redcore.Redis) -> None:
    pool = redcore.ConnectionPool.from_url(url)

    def scheduler() -> BackgroundScheduler:
        store = RedisJobStore(connection_pool=pool, jobs_key="aps:jobs", run_times_key="aps:times")
        return BackgroundScheduler(jobstores={"default": store}, timezone="UTC")

    APS_TICKS.clear()
    first = scheduler()
    first.start()
    try:
        first.add_job(aps_tick, "interval", seconds=0.2, id="ticker", args=["tick"])
        later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
        first.add_job(aps_tick, "date", run_date=later, id="later", args=["later"])
        # Jobs are pickled in a hash; their next run times are a sorted set.
        assert sorted(client.hkeys("aps:jobs")) == [b"later", b"ticker"]
        assert [m for m, _ in client.zrange("aps:times", 0, -1, withscores=True)] == [b"ticker", b"later"]
        assert abs(client.zscore("aps:times", "later") - later.timestamp()) < 1
        deadline = time.monotonic() + 5
        while len(APS_TICKS) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert APS_TICKS[:3] == ["tick"] * 3
        first.pause_job("ticker")
        assert client.zscore("aps:times", "ticker") is None
        paused_at = len(APS_TICKS)
        time.sleep(0.5)
        assert len(APS_TICKS) - paused_at <= 1
        first.modify_job("later", args=["changed"])
        first.resume_job("ticker")
        assert client.zscore("aps:times", "ticker") is not None
        first.remove_job("ticker")
        assert client.hkeys("aps:jobs") == [b"later"]
    finally:
        first.shutdown(wait=True)
    # Another scheduler (another process, after a restart) finds the job.
    second = scheduler()
    second.start(paused=True)
    try:
        assert [(j.id, list(j.args)) for j in second.get_jobs()] == [("later", ["changed"])]
        second.remove_all_jobs()
        assert client.exists("aps:jobs", "aps:times") == 0
    finally:
        second.shutdown()


# -- throttled-py ------------------------------------------------------------------------


def throttled_options() -> Dict[str, str]:
    return {"CONNECTION_POOL_CLASS": "redcore.ConnectionPool", "REDIS_CLIENT_CLASS": "redcore.Redis"}


# Five requests against a quota of three a minute: three pass, counting
# down, then two are refused. The same for every algorithm.
THROTTLED_RUN = [(False, 2), (False, 1), (False, 0), (True, 0), (True, 0)]


def test_throttled_py_rate_limiters(url: str, client: redcore.Redis) -> None:
    store = throttled_store.RedisStore(server=url, options=throttled_options())
    assert isinstance(store._backend.get_client(), redcore.Redis)
    for kind in RateLimiterType:
        limiter = Throttled(key=f"k-{kind.value}", using=kind.value, quota=rate_limiter.per_min(3, burst=3), store=store)
        results = [limiter.limit(f"k-{kind.value}") for _ in range(5)]
        assert [(r.limited, r.state.remaining) for r in results] == THROTTLED_RUN, kind
        assert 0 < results[-1].state.retry_after <= 60, kind
        assert limiter.peek(f"k-{kind.value}").remaining == 0
    assert client.dbsize() > 0

    calls: List[int] = []

    @Throttled(key="/ping", quota=rate_limiter.per_sec(2, burst=2), store=store)
    def ping(n: int) -> int:
        calls.append(n)
        return n

    assert [ping(1), ping(2)] == [1, 2]
    with pytest.raises(LimitedError):
        ping(3)
    assert calls == [1, 2]


@pytest.mark.asyncio
async def test_throttled_py_asyncio_rate_limiters(url: str) -> None:
    store = async_throttled_store.RedisStore(server=url, options={
        "CONNECTION_POOL_CLASS": "redcore.asyncio.ConnectionPool", "REDIS_CLIENT_CLASS": "redcore.asyncio.Redis"})
    assert isinstance(store._backend.get_client(), redcore.asyncio.Redis)
    for kind in RateLimiterType:
        limiter = AsyncThrottled(key=f"a-{kind.value}", using=kind.value, quota=rate_limiter.per_min(3, burst=3), store=store)
        results = [await limiter.limit(f"a-{kind.value}") for _ in range(5)]
        assert [(r.limited, r.state.remaining) for r in results] == THROTTLED_RUN, kind


# -- redlock-py --------------------------------------------------------------------------


def test_redlock_py(url: str, client: redcore.Redis) -> None:
    manager = Redlock([{"connection_pool": redcore.ConnectionPool.from_url(url)}], retry_count=2, retry_delay=0.05)
    lock = manager.lock("resource", 1000)
    assert lock and 900 < lock.validity <= 1000
    assert client.get("resource") == lock.key and 0 < client.pttl("resource") <= 1000
    assert manager.lock("resource", 1000) is False
    manager.unlock(lock)
    assert client.exists("resource") == 0
    again = manager.lock("resource", 1000)
    assert again and again.key != lock.key
    # Unlocking with a stale key (a lock that expired and was retaken)
    # leaves the new holder's lock alone: the Lua script checks the key.
    manager.unlock(lock)
    assert client.get("resource") == again.key
