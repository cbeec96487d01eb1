"""BullMQ for Python, a job queue written for redis-py, on redcore.

BullMQ keeps its queues in Redis and moves jobs between their states with
about fifty Lua scripts (``EVALSHA`` with ``cmsgpack``, ``cjson``, sorted
sets, streams and ``BZPOPMIN`` on a marker key), names its connections with
``CLIENT SETNAME`` and counts its workers with ``CLIENT LIST``. It builds
``redis.asyncio`` clients from a URL or a dict of options, or takes a
``redis.asyncio.Redis`` the caller built. So every test runs four times:

- ``embedded``: a ``redcore.asyncio.Redis`` on a ``memory://`` engine
  (BullMQ checks that it is a ``redis.asyncio.Redis``, which a redcore
  client is where redis-py is installed);
- ``embedded-pool``: redis-py's ``redis.asyncio.Redis`` on a redcore
  ``memory://`` pool;
- ``server``: the URL of the session's redcore server;
- ``oracle``: the URL of the session's redis-server;

and expects the same outcome from each. The version is pinned in
``requirements-test.txt``.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any, AsyncIterator, Callable, Dict, List, Tuple

import pytest
import redis
import redis.asyncio
from bullmq import FlowProducer, Job, Queue, QueueEvents, Worker

import redcore
import redcore.asyncio

pytestmark = pytest.mark.asyncio


@pytest.fixture(params=["embedded", "embedded-pool", "server", "oracle"])
def connection(request: pytest.FixtureRequest, redis_server: Any) -> Callable[[], Any]:
    """``connection()``: what to pass as BullMQ's ``connection`` option
    (a new client on the embedded engine, or a server's URL), on an
    empty dataset."""
    if request.param.startswith("embedded"):
        url = f"memory://bullmq-{uuid.uuid4().hex}"
        request.addfinalizer(lambda: redcore._redcore.forget_engine(url[len("memory://"):]))

        def embedded() -> Any:
            if request.param == "embedded":
                return redcore.asyncio.Redis.from_url(url, decode_responses=True)
            pool = redcore.asyncio.ConnectionPool.from_url(url, decode_responses=True)
            return redis.asyncio.Redis(connection_pool=pool)

        return embedded
    if request.param == "server":
        port = request.getfixturevalue("redcore_server").port
    else:
        port = redis_server.port
    with redis.Redis(port=port) as admin:
        admin.flushall()
    url = f"redis://127.0.0.1:{port}/0"
    return lambda: url


def queue_name() -> str:
    return f"q{uuid.uuid4().hex[:10]}"


@contextlib.asynccontextmanager
async def working(name: str, connection: Callable[[], Any], process: Callable[..., Any]) -> AsyncIterator[Worker]:
    """A worker running ``process`` on queue ``name`` until the block ends."""
    worker = Worker(name, process, {"connection": connection()})
    try:
        yield worker
    finally:
        await close_worker(worker)


async def close_worker(worker: Worker) -> None:
    """``worker.close()``, which waits for the worker's pending tasks.

    With redis-py 8.1, bullmq 3.4.4 now and then loses the cancellation of
    its idle ``BZPOPMIN`` wait: the blocking connection is dropped, the wait
    keeps reading from it, and ``close()`` waits forever (seen on
    redis-server as often as on redcore, in bullmq's own flow tests too).
    Cancelling the wait once more lets ``close()`` finish."""
    closing = asyncio.ensure_future(worker.close())
    for _ in range(5):
        done, _pending = await asyncio.wait({closing}, timeout=3)
        if done:
            closing.result()
            return
        for task in [worker.waiting, *worker.processing]:
            if task is not None and not task.done():
                task.cancel()
    raise AssertionError("the worker did not close")


async def until(check: Callable[[], Any], timeout: float = 15) -> None:
    """Waits until ``check()`` (a value, or an awaitable of one) is true."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def counts_are(queue: Queue, **expected: int) -> bool:
    """Whether ``queue`` holds ``expected`` jobs in each named state."""
    return bool(await queue.getJobCounts(*expected) == expected)


STATES = ["active", "completed", "delayed", "failed", "prioritized", "waiting", "waiting-children"]


async def test_jobs_results_retries_delays_and_priorities(connection: Callable[[], Any]) -> None:
    name = queue_name()
    queue = Queue(name, {"connection": connection()})
    try:
        flaky = await queue.add("flaky", {"n": 1}, {"attempts": 3})
        doomed = await queue.add("doomed", {"n": 2}, {"attempts": 2})
        urgent = await queue.add("urgent", {"n": 3}, {"priority": 1})
        later = await queue.add("later", {"n": 4}, {"delay": 300})
        assert [flaky.id, doomed.id, urgent.id, later.id] == ["1", "2", "3", "4"]
        assert await counts_are(queue, waiting=2, prioritized=1, delayed=1, active=0)
        assert await queue.getJobState(later.id) == "delayed"

        seen: List[Tuple[str, int]] = []

        async def process(job: Job, token: str) -> Dict[str, Any]:
            seen.append((job.name, job.attemptsMade))
            if job.name == "flaky" and job.attemptsMade < 2:
                raise ValueError(f"not yet {job.attemptsMade}")
            if job.name == "doomed":
                raise RuntimeError("never")
            await job.updateProgress(100)
            return {"double": job.data["n"] * 2}

        async with working(name, connection, process):
            await until(lambda: counts_are(queue, completed=3, failed=1))

        # Each job's first try comes in the order the queue promises: the
        # waiting jobs as added, then the prioritized one, the delayed one
        # once its time has come.
        assert [job for job, attempt in seen if attempt == 0] == ["flaky", "doomed", "urgent", "later"]
        assert sorted(seen) == sorted(
            [("flaky", 0), ("flaky", 1), ("flaky", 2), ("doomed", 0), ("doomed", 1), ("urgent", 0), ("later", 0)]
        )
        done = await Job.fromId(queue, flaky.id)
        assert (done.returnvalue, done.attemptsMade, done.progress) == ({"double": 2}, 3, 100)
        failed = await Job.fromId(queue, doomed.id)
        assert (failed.attemptsMade, failed.failedReason) == (2, "never")
        assert "RuntimeError: never" in failed.stacktrace[-1]
        assert await queue.getJobState(doomed.id) == "failed"
        assert sorted(j.id for j in await queue.getJobs(["completed"])) == ["1", "3", "4"]

        # A failed job retried by hand waits to run again.
        await failed.retry()
        assert await queue.getJobState(doomed.id) == "waiting"
        await queue.obliterate(force=True)
        assert await queue.getJobCounts() == dict.fromkeys(STATES, 0)
    finally:
        await queue.close()


async def test_flow_parents_wait_for_their_children(connection: Callable[[], Any]) -> None:
    """A FlowProducer's parent runs only once its children have completed,
    and reads their results (one queue for both, one worker)."""
    name = queue_name()
    flows = FlowProducer({"connection": connection()})
    queue = Queue(name, {"connection": connection()})
    try:
        tree = await flows.add({
            "name": "sum", "queueName": name, "data": {},
            "children": [
                {"name": "part", "queueName": name, "data": {"n": 20}},
                {"name": "part", "queueName": name, "data": {"n": 22}},
            ],
        })
        parent = tree["job"]
        assert len(tree["children"]) == 2
        assert await queue.getJobState(parent.id) == "waiting-children"
        assert await counts_are(queue, **{"waiting": 2, "waiting-children": 1})

        order: List[str] = []

        async def process(job: Job, token: str) -> int:
            order.append(job.name)
            if job.name == "part":
                return int(job.data["n"])
            return sum((await job.getChildrenValues()).values())

        async with working(name, connection, process):
            await until(lambda: counts_are(queue, completed=3))
        assert order == ["part", "part", "sum"]
        assert (await Job.fromId(queue, parent.id)).returnvalue == 42
    finally:
        await flows.close()
        await queue.close()


async def test_events_progress_pause_logs_and_workers(connection: Callable[[], Any]) -> None:
    """QueueEvents reads the queue's event stream (XREAD BLOCK); progress,
    logs, pause and resume, deduplication, bulk adds, and the worker count
    (CLIENT SETNAME, CLIENT LIST)."""
    name = queue_name()
    queue = Queue(name, {"connection": connection()})
    events = QueueEvents(name, {"connection": connection(), "lastEventId": "0"})
    got: Dict[str, List[Dict[str, Any]]] = {}
    for kind in ("added", "deduplicated", "waiting", "active", "progress", "completed", "paused", "resumed"):
        events.on(kind, lambda args, _id, kind=kind: got.setdefault(kind, []).append(args))
    try:
        await queue.pause()
        assert await queue.isPaused()
        first = await queue.add("report", {"n": 1}, {"deduplication": {"id": "daily"}})
        again = await queue.add("report", {"n": 2}, {"deduplication": {"id": "daily"}})
        assert again.id == first.id == "1"
        assert await queue.getDeduplicationJobId("daily") == "1"
        bulk = await queue.addBulk([{"name": "report", "data": {"n": n}} for n in (3, 4)])
        assert [j.id for j in bulk] == ["3", "4"]
        assert await counts_are(queue, waiting=3, active=0)

        async def process(job: Job, token: str) -> int:
            await job.updateProgress({"step": job.data["n"]})
            await job.log(f"ran {job.data['n']}")
            return int(job.data["n"]) * 10

        async with working(name, connection, process):
            await until(queue.get_workers_count)
            assert await counts_are(queue, waiting=3, completed=0)  # still paused
            await queue.resume()
            assert not await queue.isPaused()
            await until(lambda: counts_are(queue, completed=3))
        await until(lambda: len(got.get("completed", [])) == 3)

        ids = ["1", "3", "4"]
        assert got["added"] == [{"jobId": i, "name": "report"} for i in ids]
        assert got["deduplicated"] == [{"jobId": "1", "deduplicationId": "daily", "deduplicatedJobId": "2"}]
        assert got["waiting"] == [{"jobId": i} for i in ids]
        assert got["active"] == [{"jobId": i, "prev": "waiting"} for i in ids]
        assert got["progress"] == [{"jobId": i, "data": {"step": int(i)}} for i in ids]
        assert got["completed"] == [{"jobId": i, "returnvalue": int(i) * 10, "prev": "active"} for i in ids]
        assert got["paused"] == got["resumed"] == [{}]
        assert await queue.getJobLogs("1") == {"logs": ["ran 1"], "count": 1}
        assert (await Job.fromId(queue, "4")).progress == {"step": 4}
    finally:
        await events.close()
        await queue.close()


async def test_job_scheduler_repeats_up_to_its_limit(connection: Callable[[], Any]) -> None:
    """A job scheduler (``every`` with a ``limit``) adds each next iteration
    as a delayed job when the worker takes the current one."""
    name = queue_name()
    queue = Queue(name, {"connection": connection()})
    try:
        first = await queue.upsertJobScheduler("tick", {"every": 150, "limit": 3}, "tick", {"x": 1})
        assert (first.name, first.data) == ("tick", {"x": 1})
        assert await queue.getJobState(first.id) == "waiting"
        assert [(s["key"], s["every"], s["limit"]) for s in await queue.getJobSchedulers()] == [("tick", 150, 3)]
        assert await queue.getJobSchedulersCount() == 1

        seen: List[Dict[str, Any]] = []

        async def process(job: Job, token: str) -> int:
            seen.append(job.data)
            return len(seen)

        async with working(name, connection, process):
            await until(lambda: counts_are(queue, completed=3))
        assert seen == [{"x": 1}] * 3
        scheduler = await queue.getJobScheduler("tick")
        assert (scheduler["iterationCount"], scheduler["template"]) == (3, {"data": {"x": 1}})
        assert await counts_are(queue, delayed=0, waiting=0)
    finally:
        await queue.close()
