"""Pub/sub messaging, and reliable messaging with streams.

Part 1, pub/sub: one channel per topic (``example:pubsub:orders``,
``...:payments``, ``...:shipping``). A listener thread dispatches each
message to its topic's handler; a pattern subscription (``PSUBSCRIBE``)
feeds an audit log of every topic. Handlers validate the JSON payload and
log malformed messages instead of crashing the listener. Pub/sub is
fire-and-forget: a message published while nobody listens is gone.

Part 2, at-least-once delivery with a stream and a consumer group: a
message stays *pending* until a consumer acknowledges it (``XACK``), so
work held by a consumer that crashed is claimed by another one
(``XAUTOCLAIM``). ``redcore.streams.StreamWorker`` packages this with
retries and a dead-letter stream for messages that keep failing.

    python examples/pubsub_messaging.py
    python examples/pubsub_messaging.py --url redis://localhost:6379/0
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections import Counter, defaultdict

import redcore as redis
from redcore.pubsub import Bus
from redcore.streams import StreamProducer, StreamWorker

CLIENT_OPTIONS = {"decode_responses": True}
PREFIX = "example:pubsub"
TOPICS = ("orders", "payments", "shipping")
log = logging.getLogger("example.pubsub")


def wait_for(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(0.005)


def pubsub_part(r: redis.Redis) -> None:
    received = defaultdict(list)
    rejected, audit = [], []

    def on_event(message: dict) -> None:
        topic = message["channel"].rsplit(":", 1)[1]
        try:
            event = json.loads(message["data"])
        except json.JSONDecodeError:
            log.warning("dropping malformed message on %s: %r", message["channel"], message["data"])
            rejected.append(message["data"])
            return
        received[topic].append(event)

    p = r.pubsub(ignore_subscribe_messages=True)
    p.psubscribe(**{f"{PREFIX}:*": lambda m: audit.append(m["channel"])})
    p.subscribe(**{f"{PREFIX}:{t}": on_event for t in TOPICS})
    listener = p.run_in_thread(sleep_time=0.01, daemon=True)
    try:
        # Subscribing is asynchronous: wait until the server has registered it
        # (the PSUBSCRIBE, sent first on the same connection, is done by then).
        wait_for(lambda: all(n == 1 for _, n in r.pubsub_numsub(*(f"{PREFIX}:{t}" for t in TOPICS))))
        for seq in range(30):
            topic = TOPICS[seq % 3]
            # Each message reaches our client twice: channel and pattern subscription.
            assert r.publish(f"{PREFIX}:{topic}", json.dumps({"seq": seq, "topic": topic})) == 2
        r.publish(f"{PREFIX}:orders", "{not json")  # an error scenario
        wait_for(lambda: len(audit) == 31 and sum(map(len, received.values())) + len(rejected) == 31)
    finally:
        listener.stop()  # always shut the listener down ...
        listener.join(timeout=2)  # ... and wait for it
    assert not listener.is_alive()
    for topic in TOPICS:  # each channel delivers in publish order
        assert [e["seq"] for e in received[topic]] == list(range(TOPICS.index(topic), 30, 3))
    assert rejected == ["{not json"]
    # Once the listener is gone, a message is simply dropped (at-most-once).
    wait_for(lambda: r.pubsub_numsub(f"{PREFIX}:orders")[0][1] == 0)
    assert r.publish(f"{PREFIX}:orders", json.dumps({"seq": 99})) == 0
    print(f"pub/sub: {sum(map(len, received.values()))} events on {len(TOPICS)} topics, "
          f"{len(rejected)} rejected, {len(audit)} audited")

    # The same with redcore.pubsub.Bus: JSON both ways, handlers by decorator.
    bus = Bus(r)
    got = []

    @bus.on(f"{PREFIX}:orders")
    def on_order(order: dict, channel: str) -> None:
        got.append(order["id"])

    with bus:  # starts the listener thread, and stops it on exit
        for i in range(3):
            bus.publish(f"{PREFIX}:orders", {"id": i})
        wait_for(lambda: len(got) == 3)
    assert got == [0, 1, 2] and not bus.running


def streams_part(r: redis.Redis) -> None:
    stream, group = f"{PREFIX}:tasks", "resizers"
    r.xgroup_create(stream, group, id="0", mkstream=True)
    for i in range(6):
        r.xadd(stream, {"task": f"resize-{i}"})

    # worker-a takes three tasks, acknowledges one, then "crashes".
    [(_, taken)] = r.xreadgroup(group, "worker-a", {stream: ">"}, count=3)
    r.xack(stream, group, taken[0][0])
    assert r.xpending(stream, group)["pending"] == 2  # kept, not lost

    # worker-b handles the new tasks, then claims worker-a's abandoned ones.
    done = [taken[0][1]["task"]]
    [(_, fresh)] = r.xreadgroup(group, "worker-b", {stream: ">"}, count=10)
    for msg_id, fields in fresh:
        done.append(fields["task"])
        r.xack(stream, group, msg_id)  # acknowledge only once the work is done
    # A real worker would claim only messages idle for a while (min_idle_time).
    claimed = r.xautoclaim(stream, group, "worker-b", min_idle_time=0, start_id="0-0")[1]
    for msg_id, fields in claimed:
        done.append(fields["task"])
        r.xack(stream, group, msg_id)
    assert sorted(done) == [f"resize-{i}" for i in range(6)]
    assert r.xpending(stream, group)["pending"] == 0
    print(f"streams: {len(done)} tasks done, {len(claimed)} recovered from a crashed consumer")

    # redcore.streams: retries with backoff and a dead-letter stream.
    attempts = Counter()
    handled = []

    def handle(msg) -> None:
        job = msg.data["job"]
        attempts[job] += 1
        if job == "flaky" and attempts[job] == 1:
            raise RuntimeError("transient failure")  # works on the retry
        if job == "poison":
            raise ValueError("cannot process this one")  # always fails
        handled.append(job)

    StreamProducer(r, f"{PREFIX}:jobs").send_many([{"job": "a"}, {"job": "flaky"}, {"job": "poison"}, {"job": "b"}])
    worker = StreamWorker(r, f"{PREFIX}:jobs", "billing", "w1", handle, max_retries=2, backoff=0)
    while worker.process_once(block_ms=0):  # or worker.run_in_thread() in a service
        pass
    assert sorted(handled) == ["a", "b", "flaky"] and attempts["poison"] == 3
    assert worker.pending()["pending"] == 0
    [(_, dead)] = worker.dead_letters()
    assert dead["job"] == "poison" and dead["dlq:deliveries"] == "3"
    print(f"stream worker: handled {sorted(handled)}, dead-lettered {dead['job']!r} after 3 attempts")


def main(r: redis.Redis) -> None:
    for key in r.scan_iter(match=f"*{PREFIX}*"):  # start clean (re-runnable)
        r.delete(key)
    pubsub_part(r)
    streams_part(r)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Pub/sub and stream messaging with Redis.")
    parser.add_argument("--url", default="memory://", help="memory:// (embedded) or redis://host:port/db")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # StreamWorker logs each failed attempt with a traceback; show only dead letters.
    logging.getLogger("redcore.streams").setLevel(logging.ERROR)
    try:
        main(redis.Redis.from_url(args.url, **CLIENT_OPTIONS))
    except redis.ConnectionError as e:
        raise SystemExit(f"cannot reach Redis at {args.url}: {e}")
