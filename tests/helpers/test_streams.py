"""redcore.streams: at-least-once stream processing on every backend."""

from __future__ import annotations

import threading
import time

import pytest

from redcore.streams import StreamMessage, StreamProducer, StreamWorker, hash_tag, same_slot_key

S = "{orders}"


class Crash(BaseException):
    """Simulates a worker process dying: not an Exception, so the worker
    does not treat it as a handler failure."""


def drain(worker: StreamWorker, until, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not until():
        assert time.monotonic() < deadline, "timed out"
        worker.process_once(block_ms=20)


def test_producer_encodes_fields_and_json(make):
    r = make(decode_responses=True)
    p = StreamProducer(r, S)
    p.send({"sku": "A1", "qty": 2})
    p.send({"nested": {"a": [1, 2]}, "ok": True})
    p.send([1, "two", None])
    p.send_json({"flat": "but json"})
    ids = p.send_many([{"n": 1}, {"n": 2}])
    assert len(ids) == 2 and ids[0] < ids[1]
    seen = []
    w = StreamWorker(r, S, "g", "c", seen.append)
    assert w.process_once() == 6
    assert [m.data for m in seen] == [
        {"sku": "A1", "qty": "2"},
        {"nested": {"a": [1, 2]}, "ok": True},
        [1, "two", None],
        {"flat": "but json"},
        {"n": "1"},
        {"n": "2"},
    ]
    assert all(m.deliveries == 1 and m.stream == S for m in seen)


def test_maxlen_caps_the_stream(make):
    r = make()
    p = StreamProducer(r, S, maxlen=5, approximate=False)
    for i in range(20):
        p.send({"i": i})
    assert r.xlen(S) == 5


def test_bytes_client_message_data(make):
    r = make()
    StreamProducer(r, S).send({"a": "b"})
    StreamProducer(r, S).send({"x": [1]})
    seen = []
    StreamWorker(r, S, "g", "c", seen.append).process_once()
    assert seen[0].data == {b"a": b"b"}
    assert seen[1].data == {"x": [1]}


def test_every_message_handled_exactly_once(make):
    r = make()
    sent = StreamProducer(r, S).send_many({"i": i} for i in range(45))
    handled = []
    w = StreamWorker(r, S, "g", "w1", lambda m: handled.append(m.id), batch=7)
    drain(w, lambda: len(handled) >= 45)
    assert w.process_once(block_ms=10) == 0
    assert handled == sent
    assert w.pending()["pending"] == 0
    assert r.xlen(w.dead_letter) == 0


def test_group_created_with_mkstream_and_existing_group_reused(make):
    r = make()
    w = StreamWorker(r, S, "g", "w1", lambda m: None)
    w.ensure_group()
    assert r.exists(S) == 1
    StreamWorker(r, S, "g", "w2", lambda m: None).ensure_group()  # BUSYGROUP is fine
    assert [g["name"] for g in r.xinfo_groups(S)] == [b"g"]


def test_failing_handler_retried_with_backoff_then_dead_lettered(make):
    r = make()
    StreamProducer(r, S).send({"order": "42"})
    attempts = []
    errors = []

    def handler(m: StreamMessage) -> None:
        attempts.append((time.monotonic(), m.deliveries))
        raise ValueError("payment service down")

    w = StreamWorker(
        r, S, "g", "w1", handler, max_retries=2, backoff=0.05, on_error=lambda e, m: errors.append((e, m.id))
    )
    drain(w, lambda: r.xlen(w.dead_letter) == 1)
    assert [d for _, d in attempts] == [1, 2, 3]
    assert attempts[1][0] - attempts[0][0] >= 0.045  # backoff 0.05 s
    assert attempts[2][0] - attempts[1][0] >= 0.095  # then doubled
    assert len(errors) == 3 and isinstance(errors[0][0], ValueError)
    ((dead_id, fields),) = w.dead_letters()
    assert fields[b"order"] == b"42"
    assert fields[b"dlq:stream"] == S.encode() and fields[b"dlq:group"] == b"g"
    assert fields[b"dlq:deliveries"] == b"3" and b"payment service down" in fields[b"dlq:error"]
    assert w.pending()["pending"] == 0
    for _ in range(3):
        w.process_once(block_ms=10)
    assert len(attempts) == 3 and r.xlen(w.dead_letter) == 1


def test_transient_failure_succeeds_on_retry(make):
    r = make()
    StreamProducer(r, S).send({"x": "1"})
    calls = []

    def flaky(m: StreamMessage) -> None:
        calls.append(m.deliveries)
        if m.deliveries < 3:
            raise RuntimeError("try again")

    w = StreamWorker(r, S, "g", "w1", flaky, max_retries=5, backoff=lambda n: 0.01)
    drain(w, lambda: len(calls) == 3 and w.pending()["pending"] == 0)
    assert calls == [1, 2, 3]
    assert r.xlen(w.dead_letter) == 0


def test_dead_worker_messages_claimed_by_another(make):
    r = make()
    sent = StreamProducer(r, S).send_many({"i": i} for i in range(6))
    handled = []

    def dies_mid_batch(m: StreamMessage) -> None:
        if len(handled) == 2:
            raise Crash()
        handled.append(("a", m.id, m.deliveries))

    a = StreamWorker(make(), S, "g", "a", dies_mid_batch, batch=10, claim_idle_ms=150)
    with pytest.raises(Crash):
        a.process_once()
    assert r.xpending(S, "g")["pending"] == 4  # read, never acknowledged

    b = StreamWorker(make(), S, "g", "b", lambda m: handled.append(("b", m.id, m.deliveries)), claim_idle_ms=150)
    assert b.process_once(block_ms=10) == 0  # not idle long enough yet
    time.sleep(0.2)
    drain(b, lambda: len(handled) == 6)
    assert sorted(i for _, i, _ in handled) == sent
    assert [(who, d) for who, _, d in handled[2:]] == [("b", 2)] * 4
    assert r.xpending(S, "g")["pending"] == 0


def test_message_abandoned_after_its_last_attempt_is_dead_lettered(make):
    r = make()
    r.xgroup_create(S, "g", "0", mkstream=True)
    msg_id = StreamProducer(r, S).send({"poison": "1"})
    r.xreadgroup("g", "ghost", {S: ">"})
    for _ in range(2):  # two more deliveries that "crashed the worker"
        r.xclaim(S, "g", "ghost", 0, [msg_id])
    calls = []
    w = StreamWorker(r, S, "g", "w", calls.append, max_retries=2, claim_idle_ms=50)
    time.sleep(0.08)
    drain(w, lambda: r.xlen(w.dead_letter) == 1)
    assert calls == []  # never handed to the handler again
    ((_, fields),) = w.dead_letters()
    assert fields[b"dlq:id"] == msg_id.encode() and fields[b"dlq:deliveries"] == b"4"
    assert r.xpending(S, "g")["pending"] == 0


def test_several_workers_share_the_load_without_duplicates(make):
    r = make()
    n = 240
    handled = []
    lock = threading.Lock()

    def handler_for(name):
        def handle(m: StreamMessage) -> None:
            time.sleep(0.0005)
            with lock:
                handled.append((name, m.id))

        return handle

    workers = [StreamWorker(make(), S, "g", f"w{i}", handler_for(f"w{i}"), batch=5, block_ms=50) for i in range(4)]
    workers[0].ensure_group()
    threads = [w.run_in_thread() for w in workers]
    sent = StreamProducer(r, S).send_many({"i": i} for i in range(n))
    deadline = time.monotonic() + 15
    while len(handled) < n and time.monotonic() < deadline:
        time.sleep(0.02)
    assert all(t.stop(timeout=5) for t in threads)
    ids = [i for _, i in handled]
    assert len(ids) == n and sorted(ids) == sorted(sent)
    assert len({who for who, _ in handled}) >= 2
    assert r.xpending(S, "g")["pending"] == 0


def test_stop_ends_the_loop_promptly(make):
    w = StreamWorker(make(), S, "g", "w", lambda m: None, block_ms=100)
    t = w.run_in_thread()
    time.sleep(0.05)
    start = time.monotonic()
    assert t.stop(timeout=2)
    assert time.monotonic() - start < 1.0
    # run() with a caller's event, from this thread
    ev = threading.Event()
    threading.Timer(0.1, ev.set).start()
    start = time.monotonic()
    w.run(ev)
    assert time.monotonic() - start < 1.0


def test_recreates_a_deleted_stream_and_group(make):
    r = make()
    seen = []
    w = StreamWorker(r, S, "g", "w", lambda m: seen.append(m.data))
    w.process_once(block_ms=10)
    r.delete(S)
    assert w.process_once(block_ms=10) == 0
    StreamProducer(r, S).send({"a": "1"})
    drain(w, lambda: seen)
    assert seen == [{b"a": b"1"}]


def test_dead_letter_key_must_share_the_hash_tag(make):
    r = make()
    assert StreamWorker(r, "orders", "g", "w", print).dead_letter == "{orders}:dead"
    assert StreamWorker(r, "{orders}:in", "g", "w", print).dead_letter == "{orders}:in:dead"
    assert StreamWorker(r, S, "g", "w", print, dead_letter="{orders}:failed").dead_letter == "{orders}:failed"
    with pytest.raises(ValueError, match="hash tag"):
        StreamWorker(r, S, "g", "w", print, dead_letter="orders:dead")
    assert hash_tag("{a}b{c}") == "a" and hash_tag("{}a") == "{}a"
    with pytest.raises(ValueError):
        same_slot_key("{}x", ":dead")
