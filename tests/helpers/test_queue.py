"""redcore.queue: the reliable job queue on every backend."""

from __future__ import annotations

import threading
import time

import pytest

from redcore.queue import Job, Queue, Worker
from redcore.streams import hash_tag


def wait_until(cond, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


EMPTY = {"ready": 0, "delayed": 0, "in_flight": 0, "dead": 0}


def test_keys_share_one_hash_tag(make):
    q = Queue(make(), "mail")
    assert q.keys[0] == "{mail}:ready" and {hash_tag(k) for k in q.keys} == {"mail"}
    q2 = Queue(make(), "{tenant7}:mail")
    assert q2.keys[0] == "{tenant7}:mail:ready" and {hash_tag(k) for k in q2.keys} == {"tenant7"}


def test_fifo_order_and_ack(make):
    q = Queue(make(), "jobs")
    ids = [q.enqueue({"n": i}) for i in range(10)]
    assert q.stats() == {**EMPTY, "ready": 10}
    jobs = [q.dequeue() for _ in range(10)]
    assert [j.id for j in jobs] == ids
    assert [j.payload for j in jobs] == [{"n": i} for i in range(10)]
    assert all(j.attempts == 1 for j in jobs)
    assert q.stats() == {**EMPTY, "in_flight": 10}
    assert q.dequeue() is None
    assert all(j.ack() for j in jobs)
    assert not jobs[0].ack()  # already done
    assert q.stats() == EMPTY
    assert make().exists(*q.keys) == 0  # nothing left behind


def test_enqueue_with_a_job_id_is_idempotent_while_pending(make):
    q = Queue(make(), "idem")
    assert q.enqueue("first", job_id="order-1") == "order-1"
    assert q.enqueue("second", job_id="order-1") == "order-1"
    assert q.stats() == {**EMPTY, "ready": 1}
    job = q.dequeue()
    assert (job.id, job.payload) == ("order-1", "first")
    q.enqueue("again", job_id="order-1", delay=5)
    assert q.stats() == {**EMPTY, "in_flight": 1}
    job.ack()
    q.enqueue("again", job_id="order-1")
    assert q.dequeue().payload == "again"


def test_payload_kinds_and_raw_mode(make):
    r = make()
    q = Queue(r, "p")
    for obj in ({"a": [1, None]}, [1, 2], "s", 3.5, None, True):
        q.enqueue(obj)
        assert q.dequeue().payload == obj
    raw = Queue(make(decode_responses=True), "raw", raw=True)
    raw.enqueue("plain text")
    raw.enqueue(b"\x00bytes".decode("latin-1"))
    assert raw.dequeue().payload == "plain text"
    assert raw.dequeue().payload == "\x00bytes"
    Queue(r, "rawb", raw=True).enqueue(b"\xff\x00")
    assert Queue(r, "rawb", raw=True).dequeue().payload == b"\xff\x00"


def test_dequeue_timeouts_and_blocking_wakeup(make):
    q = Queue(make(), "b")
    start = time.monotonic()
    assert q.dequeue(timeout=0) is None
    assert q.dequeue(timeout=0.1) is None
    assert 0.09 <= time.monotonic() - start < 0.9  # below max_block (1 s)
    producer = Queue(make(), "b")
    threading.Timer(0.1, lambda: producer.enqueue("late")).start()
    start = time.monotonic()
    job = q.dequeue(timeout=3)
    assert job is not None and job.payload == "late"
    assert time.monotonic() - start < 2.5
    assert q.stats()["in_flight"] == 1


def test_delayed_jobs_become_available_after_their_delay(make):
    q = Queue(make(), "d")
    t0 = time.monotonic()
    later = q.enqueue("later", delay=0.15)
    now = q.enqueue("now")
    assert q.stats() == {**EMPTY, "ready": 1, "delayed": 1}
    assert q.dequeue().id == now
    assert q.dequeue(timeout=0) is None
    job = q.dequeue(timeout=2)  # waits for the due time, not max_block
    elapsed = time.monotonic() - t0
    assert job.id == later and job.payload == "later"
    assert 0.14 <= elapsed < 1.0
    assert q.stats() == {**EMPTY, "in_flight": 2}


def test_due_delayed_jobs_keep_their_order(make):
    q = Queue(make(), "d2")
    ids = [q.enqueue(i, delay=0.05 + i * 0.01) for i in range(5)]
    time.sleep(0.15)
    assert q.promote_delayed() == 5
    assert [q.dequeue().id for _ in range(5)] == ids


def test_crashed_consumer_job_comes_back_after_visibility_timeout(make):
    q = Queue(make(), "v", visibility_timeout=0.15)
    job_id = q.enqueue({"task": 1})
    q.enqueue({"task": 2})
    crashed = Queue(make(), "v", visibility_timeout=0.15).dequeue()
    assert crashed.id == job_id
    second = q.dequeue()
    assert second.payload == {"task": 2} and q.dequeue() is None
    second.ack()
    time.sleep(0.2)
    again = q.dequeue()
    assert again.id == job_id and again.attempts == 2 and again.payload == {"task": 1}
    assert not crashed.ack() and crashed.fail() == "lost" and not crashed.extend(10)
    assert again.ack()
    assert q.stats() == EMPTY


def test_requeue_expired_and_orphans(make):
    r = make()
    q = Queue(r, "o", visibility_timeout=0.1)
    job_id = q.enqueue("x")
    q.dequeue()
    assert q.requeue_expired() == 0
    time.sleep(0.12)
    assert q.requeue_expired() == 1
    assert q.stats() == {**EMPTY, "ready": 1}
    # a consumer that died right after BLMOVE, before recording a deadline
    assert r.lmove(q.ready_key, q.processing_key, "RIGHT", "LEFT") == job_id.encode()
    assert q.requeue_expired() == 0  # given a deadline now
    time.sleep(0.12)
    assert q.requeue_expired() == 1
    job = q.dequeue()
    assert job.id == job_id and job.attempts == 2


def test_late_ack_of_a_requeued_job_still_completes_it(make):
    q = Queue(make(), "late", visibility_timeout=0.05)
    q.enqueue("x")
    job = q.dequeue()
    time.sleep(0.08)
    assert q.requeue_expired() == 1
    assert job.ack()  # nobody had it yet: done, not redelivered
    assert q.stats() == EMPTY and q.dequeue() is None


def test_extend_keeps_a_long_job_invisible(make):
    q = Queue(make(), "x", visibility_timeout=0.1)
    q.enqueue("long")
    job = q.dequeue()
    assert job.extend(5)
    time.sleep(0.15)
    assert q.dequeue() is None
    assert job.ack()


def test_retries_then_dead_letter(make):
    q = Queue(make(), "r", max_retries=2)
    job_id = q.enqueue({"pay": 10})
    outcomes = []
    for attempt in (1, 2, 3):
        job = q.dequeue()
        assert job.id == job_id and job.attempts == attempt
        outcomes.append(job.fail())
    assert outcomes == ["retry", "retry", "dead"]
    assert q.dequeue() is None
    assert q.stats() == {**EMPTY, "dead": 1}
    (dead,) = q.dead_jobs()
    assert (dead.id, dead.payload, dead.attempts) == (job_id, {"pay": 10}, 3)
    assert q.requeue_dead() == 1
    job = q.dequeue()
    assert job.id == job_id and job.attempts == 1
    assert job.fail(retry=False) == "dead"
    assert q.requeue_dead("nope") == 0
    assert q.purge_dead() == 1
    assert q.stats() == EMPTY and q.dead_jobs() == []


def test_retry_delay_puts_failed_job_in_delayed_set(make):
    q = Queue(make(), "rd", retry_delay=0.1)
    q.enqueue("x")
    assert q.dequeue().fail() == "retry"
    assert q.stats() == {**EMPTY, "delayed": 1}
    assert q.dequeue() is None
    job = q.dequeue(timeout=2)
    assert job.attempts == 2
    assert job.fail(delay=0) == "retry" and q.stats()["ready"] == 1


def test_expired_job_out_of_attempts_is_dead_lettered(make):
    q = Queue(make(), "e", visibility_timeout=0.05, max_retries=1)
    q.enqueue("poison")
    q.dequeue()
    time.sleep(0.07)
    assert q.dequeue().attempts == 2
    time.sleep(0.07)
    assert q.dequeue() is None
    assert q.stats() == {**EMPTY, "dead": 1}


def test_worker_loop_retries_failures_and_stops(make):
    q = Queue(make(), "w", max_retries=1)
    seen, errors = [], []

    def handler(job: Job) -> None:
        seen.append((job.payload, job.attempts))
        if job.payload == "bad":
            raise RuntimeError("nope")

    for p in ("a", "bad", "b"):
        q.enqueue(p)
    w = Worker(q, handler, poll_timeout=0.05, on_error=lambda e, j: errors.append(j.payload))
    t = w.run_in_thread()
    wait_until(lambda: q.stats() == {**EMPTY, "dead": 1})
    start = time.monotonic()
    assert t.stop(timeout=2) and time.monotonic() - start < 1.5
    assert seen == [("a", 1), ("bad", 1), ("b", 1), ("bad", 2)]
    assert errors == ["bad", "bad"]
    q.enqueue("c")
    assert Worker(q, handler).run(max_jobs=1) == 1


@pytest.mark.parametrize("shared_client", [False, True])
def test_worker_threads_process_each_job_exactly_once(make, shared_client):
    m, n = 300, 4
    producer = Queue(make(), "many")
    ids = [producer.enqueue(i) for i in range(m // 2)]
    handled = []
    lock = threading.Lock()

    def handler(job: Job) -> None:
        with lock:
            handled.append(job.id)

    client = make()
    workers = [Worker(Queue(client if shared_client else make(), "many"), handler, poll_timeout=0.05) for _ in range(n)]
    threads = [w.run_in_thread() for w in workers]
    ids += [producer.enqueue(i) for i in range(m // 2, m)]  # while they run
    wait_until(lambda: len(handled) >= m, timeout=20)
    assert all(t.stop(timeout=5) for t in threads)
    assert len(handled) == m and sorted(handled) == sorted(ids)
    assert producer.stats() == EMPTY
