"""Pub/sub and keyspace notifications, on both backends."""

import gc
import threading
import time

import pytest


def msgs(p, n, timeout=1.0):
    out = []
    for _ in range(n):
        m = p.get_message(timeout=timeout)
        if m is not None:
            out.append(m)
    return out


@pytest.fixture
def notify(make):
    """A client with notify-keyspace-events set by the test; reset after."""
    c = make(decode_responses=True)
    yield c
    c.config_set("notify-keyspace-events", "")


def test_subscribe_publish_and_messages(make):
    r = make()
    p = r.pubsub()
    p.subscribe("news", "sports")
    assert msgs(p, 2) == [
        {"type": "subscribe", "pattern": None, "channel": b"news", "data": 1},
        {"type": "subscribe", "pattern": None, "channel": b"sports", "data": 2},
    ]
    assert p.subscribed
    assert r.publish("news", "hello") == 1
    assert r.publish("nobody", "x") == 0
    assert p.get_message(timeout=1) == {"type": "message", "pattern": None, "channel": b"news", "data": b"hello"}
    assert p.get_message(timeout=0.05) is None
    p.close()


def test_patterns_and_decode(make):
    r = make(decode_responses=True)
    p = r.pubsub(ignore_subscribe_messages=True)
    p.psubscribe("user:*")
    assert p.get_message(timeout=1) is None  # the ignored confirmation
    other = make(decode_responses=True)
    assert other.publish("user:42", "login") == 1
    assert p.get_message(timeout=1) == {
        "type": "pmessage", "pattern": "user:*", "channel": "user:42", "data": "login"
    }
    assert other.pubsub_numpat() == 1
    # The encoder redis-py's PubSub decodes with, as the client's.
    assert p.encoder.decode_responses is True and p.encoder.decode(b"\xc3\xa9") == "\u00e9"
    p.close()


def test_unsubscribe_all_and_counts(make):
    r = make(decode_responses=True)
    p = r.pubsub()
    p.subscribe("a", "b")
    p.psubscribe("c*")
    msgs(p, 3)
    assert sorted(r.pubsub_channels()) == ["a", "b"]
    assert r.pubsub_numsub("a", "zz") == [("a", 1), ("zz", 0)]
    p.unsubscribe()
    got = msgs(p, 2)
    assert {m["channel"] for m in got} == {"a", "b"}
    assert sorted(m["data"] for m in got) == [1, 2]
    assert p.subscribed  # the pattern remains
    p.punsubscribe("c*")
    assert p.get_message(timeout=1) == {"type": "punsubscribe", "pattern": None, "channel": "c*", "data": 0}
    assert not p.subscribed
    assert r.pubsub_channels() == []
    p.close()


def test_handlers_and_listen(make):
    r = make(decode_responses=True)
    seen = []
    p = r.pubsub()
    p.subscribe(**{"jobs": seen.append})
    p.subscribe("plain")
    msgs(p, 2)
    r.publish("jobs", "1")
    r.publish("plain", "2")
    assert p.get_message(timeout=1) is None  # went to the handler
    assert seen[0]["data"] == "1"
    it = p.listen()
    assert next(it)["data"] == "2"
    p.close()


def test_handlers_given_as_redis_py_subscription_objects(make):
    # redis-py 8's positional Subscription(name, handler): binary names
    # that cannot be keyword arguments.
    from redis.typing import Subscription

    r = make()
    seen = []
    p = r.pubsub()
    p.subscribe(Subscription(b"\x80ch", seen.append), "plain")
    p.psubscribe(Subscription(b"\x81*", seen.append))
    msgs(p, 3)
    assert set(p.channels) == {b"\x80ch", b"plain"} and p.channels[b"\x80ch"] == seen.append
    r.publish(b"\x80ch", "1")
    r.publish(b"\x81x", "2")
    assert p.get_message(timeout=1) is None and p.get_message(timeout=1) is None
    assert [(m["channel"], m["data"]) for m in seen] == [(b"\x80ch", b"1"), (b"\x81x", b"2")]
    p.close()


def test_dropped_pubsub_leaves_its_channels(make):
    # A PubSub dropped without close() closes its connection when
    # collected, so the server no longer counts it as a subscriber.
    r = make()
    p = r.pubsub()
    p.subscribe("gone")
    msgs(p, 1)
    assert r.pubsub_numsub("gone") == [(b"gone", 1)]
    del p
    gc.collect()
    deadline = time.monotonic() + 5
    while r.pubsub_numsub("gone") != [(b"gone", 0)] and time.monotonic() < deadline:
        time.sleep(0.02)
    assert r.pubsub_numsub("gone") == [(b"gone", 0)]


def test_push_handler_func_takes_every_resp3_push(make):
    # RESP3 (the default): confirmations and messages go to the handler
    # and get_message() returns what it returns; RESP2 ignores it.
    got = []
    r = make()
    p = r.pubsub(push_handler_func=got.append)
    p.subscribe("foo")
    assert p.get_message(timeout=1) is None
    assert r.publish("foo", "m") == 1
    assert p.get_message(timeout=1) is None
    assert got == [[b"subscribe", b"foo", 1], [b"message", b"foo", b"m"]]
    p.close()
    r2 = make(protocol=2)
    p = r2.pubsub(push_handler_func=got.append)
    p.subscribe("foo")
    assert p.get_message(timeout=1)["type"] == "subscribe"
    assert len(got) == 2
    p.close()


def test_run_in_thread_delivers_to_handlers(make):
    r = make(decode_responses=True)
    got = threading.Event()
    box = []

    def handler(message):
        box.append(message["data"])
        got.set()

    p = r.pubsub()
    p.subscribe(events=handler)
    worker = p.run_in_thread(sleep_time=0.01)
    try:
        deadline = time.time() + 5
        while r.publish("events", "ping") == 0 and time.time() < deadline:
            time.sleep(0.01)
        assert got.wait(5)
        assert box[0] == "ping"
    finally:
        worker.stop()
        worker.join(5)
    assert not worker.is_alive()
    q = r.pubsub()
    q.subscribe("no-handler")
    try:
        with pytest.raises(r.exc.PubSubError):
            q.run_in_thread()
    finally:
        # Left subscribed, it would be on the session's server for the
        # next tests (test_redis_py_on_redcore_pools counts subscribers).
        q.close()


def test_ping_while_subscribed(make):
    r = make()
    p = r.pubsub()
    p.subscribe("x")
    p.get_message(timeout=1)
    p.ping()
    assert p.get_message(timeout=1) == {"type": "pong", "pattern": None, "channel": None, "data": b""}
    p.close()


def test_connection_can_read_tells_whether_a_message_waits(make):
    """redis-py's ``PubSub.connection.can_read(timeout)``, which Celery's
    result consumer polls before it reads; what it waited for stays to be
    read."""
    r = make()
    p = r.pubsub(ignore_subscribe_messages=True)
    p.subscribe("c")
    assert p.connection.can_read(timeout=1) is True  # the confirmation
    assert p.get_message(timeout=1) is None
    assert p.connection.can_read(timeout=0) is False
    t = time.perf_counter()
    assert p.connection.can_read(timeout=0.1) is False
    assert time.perf_counter() - t >= 0.09
    r.publish("c", "hi")
    assert p.connection.can_read(timeout=1) is True
    assert p.connection.can_read(timeout=0) is True
    assert p.get_message(timeout=0) == {"type": "message", "pattern": None, "channel": b"c", "data": b"hi"}
    assert p.connection.can_read(timeout=0) is False
    p.close()


def test_get_message_without_subscription_returns_none(make):
    p = make().pubsub()
    t = time.perf_counter()
    assert p.get_message(timeout=0.1) is None
    assert time.perf_counter() - t >= 0.09


def test_keyspace_notifications(notify):
    r = notify
    r.config_set("notify-keyspace-events", "KEA")
    p = r.pubsub(ignore_subscribe_messages=True)
    p.psubscribe("__key*@0__:*")
    p.get_message(timeout=1)
    r.set("k", "v")
    r.expire("k", 100)
    r.rpush("l", "a", "b")
    r.lpop("l")
    r.hset("h", "f", "v")
    r.sadd("s", "m")
    r.zadd("z", {"m": 1})
    r.incr("n")
    r.delete("k", "missing")
    got = [(m["channel"], m["data"]) for m in msgs(p, 18)]
    assert got == [
        ("__keyspace@0__:k", "set"), ("__keyevent@0__:set", "k"),
        ("__keyspace@0__:k", "expire"), ("__keyevent@0__:expire", "k"),
        ("__keyspace@0__:l", "rpush"), ("__keyevent@0__:rpush", "l"),
        ("__keyspace@0__:l", "lpop"), ("__keyevent@0__:lpop", "l"),
        ("__keyspace@0__:h", "hset"), ("__keyevent@0__:hset", "h"),
        ("__keyspace@0__:s", "sadd"), ("__keyevent@0__:sadd", "s"),
        ("__keyspace@0__:z", "zadd"), ("__keyevent@0__:zadd", "z"),
        ("__keyspace@0__:n", "incrby"), ("__keyevent@0__:incrby", "n"),
        ("__keyspace@0__:k", "del"), ("__keyevent@0__:del", "k"),
    ]
    p.close()


def test_expired_new_and_keymiss_events(notify):
    r = notify
    r.config_set("notify-keyspace-events", "Exnm")
    p = r.pubsub(ignore_subscribe_messages=True)
    p.psubscribe("__keyevent@0__:*")
    p.get_message(timeout=1)
    r.set("t", "v", px=20)
    time.sleep(0.1)
    assert r.get("t") is None
    got = [(m["channel"], m["data"]) for m in msgs(p, 3)]
    assert ("__keyevent@0__:new", "t") in got
    assert ("__keyevent@0__:expired", "t") in got
    assert ("__keyevent@0__:keymiss", "t") in got
    assert got.index(("__keyevent@0__:new", "t")) < got.index(("__keyevent@0__:expired", "t"))
    p.close()
