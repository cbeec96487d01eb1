"""Libraries written for redis-py that take a ``redis://`` URL, run against
redcore's server exactly as against redis-server.

The sibling of test_libraries*.py for libraries that build their own
redis-py clients from a URL (so the way to use redcore with them is its
server, ``python -m redcore serve`` / ``redcore.Server``). Every test runs
twice: on the session's redcore server (conftest's ``redcore_server``,
flushed) and on the session's redis-server (the oracle), expecting the same
outcome.

- Celery with kombu's Redis broker and Celery's Redis result backend: an
  in-thread worker (``celery.contrib.testing.worker.start_worker``, which
  pings it through the broadcast mailbox first) runs tasks sent by the
  test; results, failures, retries, countdown/ETA, groups, chords, chains,
  ``revoke`` and ``inspect`` (the pidbox's fanout over PUBLISH and its reply
  queue), and kombu's own queues: unacked messages restored after the
  visibility timeout (the ``unacked`` hash and ``unacked_index`` sorted
  set), priority steps and the global key prefix. One test runs on
  ``python -m redcore serve`` started as its own process, as deployed;
  one gives the result backend redcore's client (a ``RedisBackend`` whose
  ``redis`` module is redcore: its result consumer polls the pub/sub
  connection's ``can_read``).
- celery-redbeat (it takes a URL): beat schedule entries stored in Redis,
  the scheduler's distributed lock (redis-py's ``Lock`` with redbeat's
  own extend script in place of ``lua_extend``), due entries sent to the
  broker, ticks that extend the lock.
- python-socketio's ``RedisManager`` and ``AsyncRedisManager``: a
  write-only manager (another process's emitter) emits to a room, and a
  server's manager receives it over Redis pub/sub and sends it to the
  client in that room; with redis-py and with redcore's client in its
  place (socketio takes a URL, not a client).
- rq-scheduler (it takes a client: redis-py's on both servers, and
  redcore's on both and on the embedded engine): jobs scheduled at a time,
  in a delay, repeating and by cron, moved to the queue by a burst run and
  run by an rq worker.
- saq (it takes a ``redis.asyncio`` client: the same four, and redcore's
  on the embedded engine): an asyncio worker applies jobs, failures,
  scheduled jobs, ``map`` and aborts; the queue's ``info``.
- taskiq-redis (URLs only): the list, stream and pub/sub brokers with the
  Redis result backend and an in-process receiver, and the list schedule
  source.

The versions are pinned in ``requirements-test.txt``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import json
import logging
import subprocess
import sys
import threading
import time
import uuid
from types import SimpleNamespace
from typing import Any, AsyncIterator, Iterator, List, Tuple

import pytest
import redis
import socketio
from celery import Celery, chain, chord, group
from celery.schedules import schedule
from celery.backends.redis import RedisBackend
from celery.contrib.testing import tasks as _testing_tasks  # noqa: F401  (celery.ping, for start_worker's check)
from celery.contrib.testing.worker import start_worker
from celery.exceptions import TaskRevokedError
from celery.result import GroupResult
from kombu import Connection
from redbeat import RedBeatScheduler, RedBeatSchedulerEntry
from redbeat.schedulers import acquire_distributed_beat_lock
from rq import Queue as RqQueue
from rq import SimpleWorker
from rq_scheduler import Scheduler
from saq import Queue as SaqQueue
from saq import Worker as SaqWorker
from saq.job import Status as SaqStatus
from saq.queue.base import JobError as SaqJobError
from saq.queue.redis import RedisQueue
from taskiq import ScheduledTask
from taskiq.api import run_receiver_task
from taskiq_redis import ListQueueBroker, ListRedisScheduleSource, PubSubBroker, RedisAsyncResultBackend, RedisStreamBroker

import redcore
import redcore.asyncio
from conftest import _free_port

# Celery's result backend still calls redis-py's deprecated SETEX.
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated setex:DeprecationWarning")


@pytest.fixture(params=["server", "oracle"])
def url(request: pytest.FixtureRequest, redis_server: Any) -> str:
    """``redis://`` URL of database 0 of redcore's server or of redis-server,
    flushed."""
    if request.param == "server":
        port = request.getfixturevalue("redcore_server").port
    else:
        port = redis_server.port
    redis.Redis(port=port).flushall()
    return f"redis://127.0.0.1:{port}/0"


@pytest.fixture
def client(url: str) -> Iterator[redis.Redis]:
    """A redis-py client on ``url``, to look at what a library stored."""
    c = redis.Redis.from_url(url)
    yield c
    c.close()


# -- Celery -------------------------------------------------------------------------------


class Flaky(Exception):
    """What a task raises to be retried."""


class RedcoreResultBackend(RedisBackend):
    """Celery's Redis result backend on redcore's client: the backend builds
    its pool and client from the module in its ``redis`` attribute."""

    redis = redcore


def celery_app(url: str, backend: str = "", **conf: Any) -> Celery:
    """A Celery app with its broker and result backend on ``url`` (the
    backend's own URL, if given), and the tasks the tests send."""
    app = Celery(f"t{uuid.uuid4().hex[:8]}", broker=url, backend=backend or url, set_as_current=False)
    app.conf.update(
        broker_connection_retry_on_startup=False,
        result_extended=True,
        worker_hijack_root_logger=False,
        **conf,
    )

    @app.task(name=f"{app.main}.add")
    def add(x: int, y: int) -> int:
        return x + y

    @app.task(name=f"{app.main}.total")
    def total(xs: List[int]) -> int:
        return sum(xs)

    @app.task(name=f"{app.main}.fail")
    def fail(text: str) -> None:
        raise ValueError(text)

    @app.task(name=f"{app.main}.flaky", bind=True, max_retries=3)
    def flaky(self: Any, succeed_on: int) -> int:
        if self.request.retries < succeed_on:
            raise self.retry(exc=Flaky(self.request.retries), countdown=0.1)
        return self.request.retries

    @app.task(name=f"{app.main}.stamp")
    def stamp() -> float:
        return time.time()

    return app


def task(app: Celery, name: str) -> Any:
    """``app``'s task ``name`` (task names carry the app's name: Celery warns
    when two apps register different callables under one name)."""
    return app.tasks[f"{app.main}.{name}"]


@pytest.fixture
def app(url: str) -> Iterator[Celery]:
    a = celery_app(url)
    yield a
    a.close()


@pytest.fixture
def worker(app: Celery) -> Iterator[Any]:
    """A worker thread (the solo pool) consuming ``app``'s default queue;
    ``start_worker`` waits until it answers a ``celery.ping`` task."""
    with start_worker(app, pool="solo", loglevel="WARNING", shutdown_timeout=10) as w:
        yield w


def test_celery_tasks_results_and_failures(app: Celery, worker: Any, client: redis.Redis) -> None:
    res = task(app, "add").delay(2, 3)
    assert res.get(timeout=10) == 5
    assert res.state == "SUCCESS" and res.successful() and res.result == 5
    # result_extended: the backend stored the task's name and arguments.
    again = app.AsyncResult(res.id)
    assert again.name == f"{app.main}.add" and again.args == [2, 3] and again.get(timeout=1) == 5
    assert client.exists(f"celery-task-meta-{res.id}") == 1
    assert 0 < client.ttl(f"celery-task-meta-{res.id}") <= 86400  # result_expires: one day

    bad = task(app, "fail").delay("boom")
    with pytest.raises(ValueError, match="boom"):
        bad.get(timeout=10)
    assert bad.state == "FAILURE" and isinstance(bad.result, ValueError)
    assert "raise ValueError(text)" in bad.traceback
    assert bad.get(timeout=1, propagate=False).args == ("boom",)

    many = [task(app, "add").delay(i, i) for i in range(20)]
    assert [m.get(timeout=10) for m in many] == [2 * i for i in range(20)]
    # Every message was acked: nothing left in the queue or unacked. The
    # worker acks after it stores the result, so the last ack may trail it.
    deadline = time.time() + 10
    while client.zcard("unacked_index") and time.time() < deadline:
        time.sleep(0.02)
    assert client.llen("celery") == 0 and client.zcard("unacked_index") == 0


def test_celery_retries_countdown_and_eta(app: Celery, worker: Any) -> None:
    assert task(app, "flaky").delay(2).get(timeout=10) == 2
    gave_up = task(app, "flaky").delay(10)
    with pytest.raises(Flaky):
        gave_up.get(timeout=10)
    assert gave_up.state == "FAILURE"

    sent = time.time()
    later = task(app, "stamp").apply_async(countdown=1)
    at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=1)
    eta = task(app, "stamp").apply_async(eta=at)
    assert later.get(timeout=10) >= sent + 1
    assert eta.get(timeout=10) >= at.timestamp()


def test_celery_group_chord_and_chain(app: Celery, worker: Any) -> None:
    add, total = task(app, "add"), task(app, "total")
    assert group(add.s(i, i) for i in range(6))().get(timeout=10) == [0, 2, 4, 6, 8, 10]
    assert chord((add.s(i, 1) for i in range(6)), total.s())().get(timeout=10) == 21
    assert chain(add.s(1, 2), add.s(10), add.s(100))().get(timeout=10) == 113


def test_celery_revoke_and_inspect(app: Celery, worker: Any) -> None:
    name = worker.hostname
    assert app.control.ping(destination=[name], timeout=5) == [{name: {"ok": "pong"}}]
    res = task(app, "stamp").apply_async(countdown=30)
    inspect = app.control.inspect(destination=[name], timeout=5)
    deadline = time.time() + 10
    while True:
        scheduled = (inspect.scheduled() or {}).get(name, [])
        if scheduled or time.time() > deadline:
            break
        time.sleep(0.1)
    assert [s["request"]["id"] for s in scheduled] == [res.id]
    app.control.revoke(res.id)
    with pytest.raises(TaskRevokedError):
        res.get(timeout=10)
    assert res.state == "REVOKED"
    # (The worker's revoked set is process-wide: earlier tests' ids may be there too.)
    assert res.id in (inspect.revoked() or {}).get(name, [])


def test_celery_events_saved_groups_forget_and_purge(url: str, client: redis.Redis) -> None:
    app = celery_app(url, worker_send_task_events=True, task_send_sent_event=True)
    seen: List[str] = []
    listening = threading.Event()
    receivers: List[Any] = []

    def receive() -> None:
        # A monitor (flower, ``celery events``): task events arrive over the
        # celeryev fanout exchange, that is PUBLISH and PSUBSCRIBE.
        with app.connection_for_read() as conn:
            recv = app.events.Receiver(conn, handlers={"*": lambda event: seen.append(event["type"])})
            receivers.append(recv)
            listening.set()
            recv.capture(limit=None, timeout=None, wakeup=False)  # until should_stop

    monitor = threading.Thread(target=receive)
    monitor.start()
    try:
        assert listening.wait(10)
        with start_worker(app, pool="solo", loglevel="WARNING", shutdown_timeout=10) as w:
            res = task(app, "add").delay(1, 2)
            assert res.get(timeout=10) == 3
            saved = group(task(app, "add").s(i, i) for i in range(3))()
            saved.save()
            restored = GroupResult.restore(saved.id, app=app)
            assert restored is not None and restored.get(timeout=10) == [0, 2, 4]
            assert restored.join_native(timeout=10) == [0, 2, 4]  # one MGET
            res.forget()
            assert client.exists(f"celery-task-meta-{res.id}") == 0
            assert app.control.rate_limit(task(app, "add").name, "100/m", destination=[w.hostname], reply=True, timeout=5) == [
                {w.hostname: {"ok": "new rate limit set successfully"}}
            ]
        # With no worker: queued tasks are dropped by purge.
        for i in range(3):
            task(app, "add").delay(i, i)
        assert client.llen("celery") == 3
        assert app.control.purge() == 3 and client.llen("celery") == 0
    finally:
        for recv in receivers:
            recv.should_stop = True
        monitor.join(10)
        app.close()
    assert {"task-sent", "task-received", "task-started", "task-succeeded"} <= set(seen)


def test_celery_result_backend_on_redcores_client(url: str, client: redis.Redis) -> None:
    # "module:Class+URL" names a backend class for a URL.
    app = celery_app(url, backend=f"{__name__}:RedcoreResultBackend+{url}")
    try:
        assert isinstance(app.backend.client, redcore.Redis)
        with start_worker(app, pool="solo", loglevel="WARNING", shutdown_timeout=10):
            res = task(app, "add").delay(2, 3)
            assert res.get(timeout=10) == 5 and app.AsyncResult(res.id).args == [2, 3]
            with pytest.raises(ValueError, match="boom"):
                task(app, "fail").delay("boom").get(timeout=10)
            assert chord((task(app, "add").s(i, 1) for i in range(4)), task(app, "total").s())().get(timeout=10) == 10
            assert group(task(app, "add").s(i, i) for i in range(3))().get(timeout=10) == [0, 2, 4]
        assert client.exists(f"celery-task-meta-{res.id}") == 1
    finally:
        app.close()


@pytest.fixture
def served() -> Iterator[str]:
    """``python -m redcore serve`` in a process of its own, as deployed:
    the URL of its database 0."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "redcore", "serve", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 30
        while True:
            try:
                if redis.Redis(port=port, socket_timeout=1).ping():
                    break
            except redis.exceptions.ConnectionError:
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError("python -m redcore serve did not start") from None
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)


def test_celery_on_python_m_redcore_serve(served: str) -> None:
    app = celery_app(served)
    try:
        with start_worker(app, pool="solo", loglevel="WARNING", shutdown_timeout=10):
            assert task(app, "add").delay(2, 3).get(timeout=10) == 5
            with pytest.raises(ValueError, match="boom"):
                task(app, "fail").delay("boom").get(timeout=10)
            assert chord((task(app, "add").s(i, 1) for i in range(4)), task(app, "total").s())().get(timeout=10) == 10
    finally:
        app.close()


def test_kombu_unacked_messages_come_back_after_the_visibility_timeout(url: str, client: redis.Redis) -> None:
    options = {"visibility_timeout": 1}
    crashed = Connection(url, transport_options=options)
    try:
        q = crashed.SimpleQueue("jobs")
        q.put({"n": 1})
        q.put({"n": 2})
        first = q.get(timeout=5)
        assert first.payload == {"n": 1}
        # Taken, not acked: the message waits in the unacked hash, indexed by
        # delivery time in the unacked_index sorted set.
        assert client.hlen("unacked") == 1 and client.zcard("unacked_index") == 1
        assert client.llen("jobs") == 1

        with Connection(url, transport_options=options) as other:
            oq = other.SimpleQueue("jobs")
            second = oq.get(timeout=5)
            assert second.payload == {"n": 2}
            second.ack()
            time.sleep(1.2)
            # What a worker does at start and now and then: older than the
            # visibility timeout, the first message goes back to its queue.
            other.default_channel.qos.restore_visible(num=10)
            assert client.hlen("unacked") == 0 and client.zcard("unacked_index") == 0
            again = oq.get(timeout=5)
            assert again.payload == {"n": 1}
            again.ack()
            oq.close()
        assert client.llen("jobs") == 0 and client.hlen("unacked") == 0
    finally:
        crashed.release()
    assert client.llen("jobs") == 0


def test_kombu_priority_steps_and_global_key_prefix(url: str, client: redis.Redis) -> None:
    options = {"global_keyprefix": "app1:", "priority_steps": [0, 3, 6, 9], "sep": ":"}
    with Connection(url, transport_options=options) as conn:
        q = conn.SimpleQueue("work")
        q.put("low", priority=9)
        q.put("mid", priority=3)
        q.put("high", priority=0)
        # Each priority step has its own list (the highest, 0, the bare name).
        assert sorted(client.keys("*")) == [b"app1:_kombu.binding.work", b"app1:_kombu.binding_permanent.work", b"app1:work", b"app1:work:3", b"app1:work:9"]
        got = []
        for _ in range(3):
            m = q.get(timeout=5)
            got.append(m.payload)
            m.ack()
        assert got == ["high", "mid", "low"]
        q.close()
    assert client.keys("app1:work*") == []


def test_celery_with_a_prefixed_broker_and_a_threads_pool(url: str, client: redis.Redis) -> None:
    app = celery_app(url, broker_transport_options={"global_keyprefix": "q:"}, result_backend_transport_options={"global_keyprefix": "r:"})
    try:
        with start_worker(app, pool="threads", concurrency=2, loglevel="WARNING", shutdown_timeout=10):
            results = [task(app, "add").delay(i, 1) for i in range(10)]
            assert [r.get(timeout=10) for r in results] == list(range(1, 11))
        assert all(k.startswith((b"q:", b"r:", b"_kombu")) for k in client.keys("*"))
        assert client.exists(f"r:celery-task-meta-{results[0].id}") == 1
    finally:
        app.close()


def test_celery_redbeat_scheduler(url: str, client: redis.Redis) -> None:
    app = celery_app(url, redbeat_redis_url=url, redbeat_key_prefix="rb:", redbeat_lock_timeout=5,
                     beat_max_loop_interval=1)
    add = f"{app.main}.add"
    try:
        every = RedBeatSchedulerEntry("every-second", add, schedule(datetime.timedelta(seconds=1)), args=[1, 2], app=app)
        every.save()
        hourly = RedBeatSchedulerEntry("hourly", add, schedule(datetime.timedelta(hours=1)), args=[0, 0], app=app)
        hourly.save()
        assert client.zrange("rb::schedule", 0, -1) == [b"rb:every-second", b"rb:hourly"]
        loaded = RedBeatSchedulerEntry.from_key("rb:every-second", app=app)
        assert (loaded.name, loaded.task, loaded.args) == ("every-second", add, [1, 2])
        scheduler = RedBeatScheduler(app=app)
        # What beat does at startup (its beat_init signal): take the lock.
        acquire_distributed_beat_lock(sender=SimpleNamespace(scheduler=scheduler))
        assert 0 < client.pttl("rb::lock") <= 5000
        deadline = time.monotonic() + 2.5
        while time.monotonic() < deadline:
            time.sleep(min(scheduler.tick(), 0.1))
        # A tick extends the lock to its timeout (not by it).
        client.pexpire("rb::lock", 1000)
        scheduler.tick()
        assert 4000 < client.pttl("rb::lock") <= 5000
        sent = [json.loads(m)["headers"]["task"] for m in client.lrange("celery", 0, -1)]
        assert 1 <= len(sent) <= 4 and set(sent) == {add}
        assert "last_run_at" in json.loads(client.hget("rb:every-second", "meta"))
        hourly.delete()
        assert client.exists("rb:hourly") == 0 and client.zscore("rb::schedule", "rb:hourly") is None
        scheduler.close()
        assert client.exists("rb::lock") == 0
    finally:
        app.close()


# -- python-socketio ----------------------------------------------------------------------


def _sent(packets: List[Tuple[str, Any]]) -> List[Tuple[str, str]]:
    return [(sid, pkt.data) for sid, pkt in packets]


@pytest.fixture(params=["redis-py", "redcore"])
def sio_redis(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Which client library the managers use: redis-py, or redcore's network
    client in its place (what ``import redcore as redis`` gives a program;
    socketio looks the module up when it connects)."""
    if request.param == "redcore":
        monkeypatch.setattr(socketio.redis_manager, "redis", redcore)
        monkeypatch.setattr(socketio.async_redis_manager, "aioredis", redcore.asyncio)
    return request.param


class StoppableRedisManager(socketio.RedisManager):
    """socketio's RedisManager whose listening thread ends when told (the
    library's own thread runs for the life of the process)."""

    stopping = False

    def _listen(self) -> Iterator[Any]:
        for message in super()._listen():
            if self.stopping:
                return
            yield message


def test_socketio_redis_manager(url: str, client: redis.Redis, sio_redis: str) -> None:
    channel = f"sio-{uuid.uuid4().hex[:8]}"
    mgr = StoppableRedisManager(url, channel=channel)
    sio = socketio.Server(client_manager=mgr, async_mode="threading", logger=logging.getLogger("sio"))
    sent: List[Tuple[str, Any]] = []
    sent_any = threading.Event()

    def send_packet(eio_sid: str, pkt: Any) -> None:
        sent.append((eio_sid, pkt))
        sent_any.set()

    sio._send_eio_packet = send_packet  # type: ignore[method-assign]
    mgr.initialize()  # subscribes, in its background thread
    sid_a = mgr.connect("eio-a", "/")
    mgr.connect("eio-b", "/")
    sio.enter_room(sid_a, "room1")
    try:
        deadline = time.time() + 10
        while client.pubsub_numsub(channel)[0][1] < 1 and time.time() < deadline:
            time.sleep(0.02)
        assert client.pubsub_numsub(channel) == [(channel.encode(), 1)]
        assert isinstance(mgr.redis, redcore.Redis) == (sio_redis == "redcore")

        # Another process's emitter: write-only, it only publishes.
        emitter = socketio.RedisManager(url, channel=channel, write_only=True)
        emitter.emit("news", {"n": 1}, room="room1", namespace="/")
        assert sent_any.wait(10)
        assert _sent(sent) == [("eio-a", '2["news",{"n":1}]')]
        sent.clear()
        sent_any.clear()
        emitter.emit("all", "x", namespace="/")
        deadline = time.time() + 10
        while len(sent) < 2 and time.time() < deadline:
            time.sleep(0.02)
        assert sorted(_sent(sent)) == [("eio-a", '2["all","x"]'), ("eio-b", '2["all","x"]')]
        emitter.redis.close()
    finally:
        mgr.stopping = True
        client.publish(channel, "{}")
        mgr.thread.join(10)
        mgr.pubsub.close()
        mgr.redis.close()
    assert not mgr.thread.is_alive()


@pytest.mark.asyncio
async def test_socketio_async_redis_manager(url: str, client: redis.Redis, sio_redis: str) -> None:
    channel = f"sio-{uuid.uuid4().hex[:8]}"
    mgr = socketio.AsyncRedisManager(url, channel=channel)
    sio = socketio.AsyncServer(client_manager=mgr, async_mode="asgi", logger=logging.getLogger("sio"))
    sent: List[Tuple[str, Any]] = []

    async def send_packet(eio_sid: str, pkt: Any) -> None:
        sent.append((eio_sid, pkt))

    sio._send_eio_packet = send_packet  # type: ignore[method-assign]
    mgr.initialize()
    sid_a = await mgr.connect("eio-a", "/")
    await mgr.connect("eio-b", "/")
    await sio.enter_room(sid_a, "room1")
    emitter = socketio.AsyncRedisManager(url, channel=channel, write_only=True)
    try:
        for _ in range(500):
            if client.pubsub_numsub(channel)[0][1] == 1:
                break
            await asyncio.sleep(0.02)
        assert client.pubsub_numsub(channel) == [(channel.encode(), 1)]
        assert isinstance(mgr.redis, redcore.asyncio.Redis) == (sio_redis == "redcore")
        await emitter.emit("news", {"n": 1}, room="room1", namespace="/")
        for _ in range(500):
            if sent:
                break
            await asyncio.sleep(0.02)
        assert _sent(sent) == [("eio-a", '2["news",{"n":1}]')]
        sent.clear()
        await emitter.emit("all", "x", namespace="/")
        for _ in range(500):
            if len(sent) == 2:
                break
            await asyncio.sleep(0.02)
        assert sorted(_sent(sent)) == [("eio-a", '2["all","x"]'), ("eio-b", '2["all","x"]')]
    finally:
        mgr.thread.cancel()
        await asyncio.gather(mgr.thread, return_exceptions=True)
        await mgr.pubsub.aclose()
        await mgr.redis.aclose()
        await emitter.redis.aclose()


# -- rq-scheduler -------------------------------------------------------------------------


def add(x: int, y: int) -> int:
    """An rq job (found by its import path, ``test_libraries_server.add``)."""
    return x + y


CLIENTS = [("redis-py", "server"), ("redis-py", "oracle"), ("redcore", "embedded"), ("redcore", "server"), ("redcore", "oracle")]


@pytest.fixture(params=CLIENTS, ids=["-".join(c) for c in CLIENTS])
def where(request: pytest.FixtureRequest, redis_server: Any) -> Iterator[Tuple[str, str]]:
    """(client library, place) for libraries that take a client: redis-py
    or redcore's client, on redcore's server, redis-server, or (redcore's
    only) a fresh embedded engine, yielded as (library, URL)."""
    lib, place = request.param
    if place == "embedded":
        name = f"libs-server-{uuid.uuid4().hex}"
        yield lib, f"memory://{name}"
        redcore._redcore.forget_engine(name)
        return
    port = request.getfixturevalue("redcore_server").port if place == "server" else redis_server.port
    redis.Redis(port=port).flushall()
    yield lib, f"redis://127.0.0.1:{port}/0"


@pytest.fixture
def sync_client(where: Tuple[str, str]) -> Iterator[Any]:
    lib, url = where
    c = (redis.Redis if lib == "redis-py" else redcore.Redis).from_url(url)
    yield c
    c.close()


def test_rq_scheduler(sync_client: Any) -> None:
    conn = sync_client
    queue = RqQueue("default", connection=conn)
    scheduler = Scheduler(queue=queue, connection=conn, interval=1)
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)  # rq-scheduler's naive UTC
    due = scheduler.enqueue_at(now - datetime.timedelta(seconds=2), add, 1, 2)
    later = scheduler.enqueue_in(datetime.timedelta(hours=1), add, 3, 4)
    repeating = scheduler.schedule(now - datetime.timedelta(seconds=1), add, args=[5, 6], interval=60, repeat=2)
    yearly = scheduler.cron("0 0 1 1 *", add, args=[7, 8])
    dropped = scheduler.enqueue_in(datetime.timedelta(hours=2), add, 0, 0)
    assert scheduler.count() == 5 and due in scheduler and dropped in scheduler
    assert [j.id for j in scheduler.get_jobs(until=now)] == [due.id, repeating.id]
    assert [j.id for j in scheduler.get_jobs()] == [due.id, repeating.id, later.id, dropped.id, yearly.id]
    scheduler.cancel(dropped)
    assert dropped not in scheduler and scheduler.count() == 4
    scheduler.change_execution_time(later, now + datetime.timedelta(hours=3))
    times = {j.id: t for j, t in scheduler.get_jobs(with_times=True)}
    assert times[later.id] == now.replace(microsecond=0) + datetime.timedelta(hours=3)

    scheduler.run(burst=True)  # moves the due jobs to their queue
    assert queue.count == 2 and scheduler.count() == 3  # the repeating job is scheduled again
    assert SimpleWorker([queue], connection=conn).work(burst=True) is True
    assert queue.fetch_job(due.id).return_value() == 3
    assert queue.fetch_job(repeating.id).return_value() == 11
    assert queue.fetch_job(repeating.id).meta["repeat"] == 1  # one run left
    assert conn.exists(scheduler.scheduler_lock_key) == 0


# -- saq ----------------------------------------------------------------------------------


async def saq_add(ctx: Any, *, x: int, y: int) -> int:
    return x + y


async def saq_fail(ctx: Any) -> None:
    raise ValueError("boom")


async def saq_slow(ctx: Any) -> None:
    await asyncio.sleep(10)


@contextlib.asynccontextmanager
async def saq_worker(where: Tuple[str, str]) -> AsyncIterator[Any]:
    """A saq queue on ``where`` with a worker running its jobs."""
    lib, url = where
    if lib == "redis-py":
        queue = SaqQueue.from_url(url, name="jobs")
    else:
        queue = RedisQueue(redcore.asyncio.Redis.from_url(url), name="jobs")
    await queue.connect()
    worker = SaqWorker(queue, functions=[saq_add, saq_fail, saq_slow], concurrency=2, timers={"schedule": 1, "abort": 1})
    running = asyncio.create_task(worker.start())
    try:
        # The worker sweeps the queue as it starts, and would abort ("swept")
        # a job it sees in the active list before its status is: wait for that.
        for _ in range(500):
            if await queue.redis.exists(queue.namespace("sweep")):
                break
            await asyncio.sleep(0.01)
        yield queue, worker
    finally:
        await worker.stop()
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await queue.disconnect()


@pytest.mark.asyncio
async def test_saq_queue_and_worker(where: Tuple[str, str]) -> None:
    async with saq_worker(where) as (queue, worker):
        info = await queue.info(jobs=True)  # nothing yet: an MGET of no keys
        assert (info["queued"], info["active"], info["jobs"]) == (0, 0, [])
        assert await queue.apply("saq_add", x=1, y=2, timeout=10) == 3
        with pytest.raises(SaqJobError, match="boom"):
            await queue.apply("saq_fail", timeout=10)
        info = await queue.info(jobs=True)
        assert list(info["workers"]) == [worker.id] and info["queued"] == info["active"] == 0


@pytest.mark.long
@pytest.mark.asyncio
async def test_saq_scheduled_and_aborted_jobs_and_map(where: Tuple[str, str]) -> None:
    async with saq_worker(where) as (queue, _):
        assert await queue.map("saq_add", [{"x": i, "y": i} for i in range(4)], timeout=10) == [0, 2, 4, 6]
        when = time.time() + 0.3
        job = await queue.enqueue("saq_add", x=2, y=2, scheduled=when)
        assert job is not None
        await job.refresh(until_complete=10)
        assert job.status == SaqStatus.COMPLETE and job.result == 4 and job.started >= when * 1000
        slow = await queue.enqueue("saq_slow")
        assert slow is not None
        deadline = time.time() + 10
        while (await queue.job(slow.key)).status != SaqStatus.ACTIVE and time.time() < deadline:  # type: ignore[union-attr]
            await asyncio.sleep(0.02)
        info = await queue.info(jobs=True)
        assert info["active"] == 1 and [j["key"] for j in info["jobs"]] == [slow.key]
        await slow.abort("enough")
        await slow.refresh(until_complete=10)
        assert slow.status == SaqStatus.ABORTED and slow.error == "enough"


# -- taskiq-redis -------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("broker_class", [ListQueueBroker, RedisStreamBroker, PubSubBroker])
async def test_taskiq_brokers_and_result_backend(url: str, client: redis.Redis, broker_class: Any) -> None:
    broker = broker_class(url).with_result_backend(RedisAsyncResultBackend(url, result_ex_time=60))

    @broker.task(task_name="add")
    async def add_task(x: int, y: int) -> int:
        return x + y

    @broker.task(task_name="fail")
    async def fail_task() -> None:
        raise ValueError("boom")

    await broker.startup()
    receiver = asyncio.create_task(run_receiver_task(broker))
    try:
        if broker_class is PubSubBroker:  # messages sent before it subscribes are lost
            for _ in range(500):
                if client.pubsub_numsub("taskiq")[0][1] == 1:
                    break
                await asyncio.sleep(0.01)
        sent = await add_task.kiq(1, 2)
        result = await sent.wait_result(timeout=10)
        assert result.return_value == 3 and not result.is_err
        assert 0 < client.ttl(sent.task_id) <= 60
        failed = await (await fail_task.kiq()).wait_result(timeout=10)
        assert failed.is_err and repr(failed.error) == "ValueError('boom')"
        many = [await add_task.kiq(i, i) for i in range(10)]
        assert [(await m.wait_result(timeout=10)).return_value for m in many] == [2 * i for i in range(10)]
    finally:
        receiver.cancel()
        await asyncio.gather(receiver, return_exceptions=True)
        await broker.shutdown()


@pytest.mark.asyncio
async def test_taskiq_list_schedule_source(url: str) -> None:
    source = ListRedisScheduleSource(url)
    await source.startup()
    try:
        at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=5)
        once = ScheduledTask(task_name="add", labels={}, args=[1, 2], kwargs={}, time=at)
        nightly = ScheduledTask(task_name="add", labels={}, args=[3, 4], kwargs={}, cron="0 0 * * *")
        await source.add_schedule(once)
        await source.add_schedule(nightly)
        # Due now: the cron schedules (time ones only at their minute).
        assert [s.schedule_id for s in await source.get_schedules()] == [nightly.schedule_id]
        await source.delete_schedule(nightly.schedule_id)
        assert await source.get_schedules() == []
    finally:
        await source.shutdown()
