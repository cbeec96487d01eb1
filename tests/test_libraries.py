"""Libraries written for redis-py, run with a redcore client.

Each library is used the way its documentation shows, handed a redcore
client (or, for ``limits``, which takes a pool, the client's
``connection_pool``), on the embedded engine and on the remote client
against the session's redis-server: rq (enqueue, a ``SimpleWorker`` in
burst mode, results, the failed-job registry, a scheduled job), Flask-Session,
Flask-Caching, python-redis-lock and limits' Redis storage. The versions
are pinned in ``requirements-test.txt``.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
import warnings
from typing import Any, Iterator

import pytest
import redis_lock
from flask import Flask, session
from flask_caching import Cache
from flask_session import Session
from limits import parse, strategies
from limits.storage import RedisStorage
from rq import Queue, SimpleWorker
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry, FinishedJobRegistry

import redcore


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
