"""``Redis.keyspace_notifications()`` and ``redcore.keyspace_notifications``:
redis-py 8.1's API, on the embedded engine, on redcore's network client and
on redis-py itself (the oracle) against redis-server. ``notify-keyspace-events``
is set by the fixture and restored after each test.

The subkey channels (``__subkeyspace@``...) are newer than Redis 7.0 and
nothing publishes on them here: their parsing is checked against redis-py's
own ``KeyNotification`` on the documented message formats.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Iterator, List, Tuple

import pytest
import redis.keyspace_notifications as theirs

import redcore
import redcore.keyspace_notifications as ours


@pytest.fixture
def notify(make: Callable[..., Any]) -> Iterator[Callable[..., Any]]:
    """``notify(**kwargs)`` -> a client of the current backend, with every
    keyspace and keyevent notification on; the setting is restored."""
    admin = make()
    old = admin.config_get("notify-keyspace-events")["notify-keyspace-events"]
    admin.config_set("notify-keyspace-events", "KEA")
    yield make
    admin.config_set("notify-keyspace-events", old)


def fields(n: Any) -> Tuple[Any, ...]:
    return (n.key, n.event_type, n.database, n.channel, n.is_keyspace, n.data, n.subkeys)


def collect(ksn: Any, count: int, timeout: float = 5) -> List[Any]:
    """The next ``count`` notifications (None results skipped)."""
    got: List[Any] = []
    deadline = time.time() + timeout
    while len(got) < count and time.time() < deadline:
        n = ksn.get_message(timeout=0.2)
        if n is not None:
            got.append(n)
    return got


def test_keyspace_with_key_prefix(notify: Callable[..., Any]) -> None:
    r = notify()
    with r.keyspace_notifications(key_prefix="user:") as ksn:
        ksn.subscribe_keyspace("user:*")
        ksn.subscribe_keyspace("other")  # an exact channel, filtered out by the prefix
        assert ksn.subscribed
        assert ksn.get_message(timeout=1) is None  # confirmations are dropped
        r.set("user:1", "ada")
        r.set("other", "x")
        r.hset("user:2", "name", "bob")
        r.delete("user:1")
        got = collect(ksn, 3)
    assert [fields(n) for n in got] == [
        ("1", "set", 0, "__keyspace@0__:user:1", True, "set", []),
        ("2", "hset", 0, "__keyspace@0__:user:2", True, "hset", []),
        ("1", "del", 0, "__keyspace@0__:user:1", True, "del", []),
    ]
    assert all(n.key_starts_with("") and type(n).__name__ == "KeyNotification" for n in got)
    assert not ksn.subscribed and ksn.get_message() is None  # closed by the with block


def test_keyevent_channels(notify: Callable[..., Any]) -> None:
    r = notify(decode_responses=True)
    mod = ours if r.backend != "oracle" else theirs
    ksn = r.keyspace_notifications()
    ksn.subscribe(mod.KeyeventChannel(mod.EventType.LPUSH), "__keyevent@0__:zadd", b"__keyevent@0__:in*")
    r.lpush("queue", "a")
    r.zadd("board", {"ann": 1})
    r.incrby("hits", 2)
    got = collect(ksn, 3)
    assert [(n.key, n.event_type, n.is_keyspace, n.data, n.channel) for n in got] == [
        ("queue", "lpush", False, "queue", "__keyevent@0__:lpush"),
        ("board", "zadd", False, "board", "__keyevent@0__:zadd"),
        ("hits", "incrby", False, "hits", "__keyevent@0__:incrby"),
    ]
    ksn.unsubscribe("__keyevent@0__:zadd", b"__keyevent@0__:in*")
    # The unsubscription travels on the subscriber's connection and the
    # writes below on another: wait until the server has taken it.
    deadline = time.time() + 5
    while (r.pubsub_numsub("__keyevent@0__:zadd")[0][1] or r.pubsub_numpat()) and time.time() < deadline:
        time.sleep(0.01)
    r.zadd("board", {"bo": 2})
    r.incr("hits")
    r.lpush("queue", "b")
    assert [(n.key, n.event_type) for n in collect(ksn, 1)] == [("queue", "lpush")]
    assert ksn.get_message(timeout=0.2) is None
    ksn.unsubscribe(mod.KeyeventChannel("lpush"))
    assert collect(ksn, 1, timeout=0.5) == [] and not ksn.subscribed
    ksn.close()


def test_all_events_and_other_database(notify: Callable[..., Any]) -> None:
    r = notify(db=1)
    mod = ours if r.backend != "oracle" else theirs
    ksn = r.keyspace_notifications(ignore_subscribe_messages=False)
    ksn.subscribe(mod.KeyeventChannel.all_events(db=1))
    # Confirmations are not notifications: None even when not ignored.
    assert ksn.get_message(timeout=1) is None
    r.set("k", "1")
    r.expire("k", 100)
    r.rename("k", "k2")
    got = collect(ksn, 4)
    assert [(n.key, n.event_type, n.database) for n in got] == [
        ("k", "set", 1), ("k", "expire", 1), ("k", "rename_from", 1), ("k2", "rename_to", 1),
    ]
    ksn.close()


def test_handler_and_run_in_thread(notify: Callable[..., Any]) -> None:
    r = notify()
    seen: List[Tuple[str, str]] = []
    done = threading.Event()

    def on_event(n: Any) -> None:
        seen.append((n.key, n.event_type))
        if len(seen) == 2:
            done.set()

    ksn = r.keyspace_notifications(key_prefix=b"job:")
    ksn.subscribe_keyspace("job:*", handler=on_event)
    thread = ksn.run_in_thread(poll_timeout=0.05, daemon=True)
    try:
        r.set("job:1", "queued")
        r.set("unrelated", "x")
        r.sadd("job:2", "a")
        assert done.wait(5)
    finally:
        thread.stop()
        thread.join(5)
    assert seen == [("1", "set"), ("2", "sadd")]
    assert not thread.is_alive() and not ksn.subscribed  # the thread closed it


def test_handlers_are_required_for_a_thread(notify: Callable[..., Any]) -> None:
    r = notify()
    ksn = r.keyspace_notifications()
    ksn.subscribe_keyspace("a", handler=lambda n: None)
    ksn.subscribe_keyevent("del")
    with pytest.raises(r.exc.RedisError, match="has no handler registered"):
        ksn.run_in_thread(poll_timeout=0.05)
    # A handler's notifications do not come out of get_message.
    r.set("a", 1)
    r.delete("a")
    assert [(n.key, n.event_type) for n in collect(ksn, 1)] == [("a", "del")]
    ksn.close()


def test_listen(notify: Callable[..., Any]) -> None:
    r = notify()
    ksn = r.keyspace_notifications()
    ksn.subscribe_keyevent("append")
    r.append("s", "a")
    r.append("t", "b")
    stream = ksn.listen()
    assert [next(stream).key, next(stream).key] == ["s", "t"]
    ksn.close()
    assert list(stream) == []


# -- the module's pure parts, against redis-py's ------------------------------

MESSAGES = [
    ("__keyspace@0__:user:1", "set"),
    (b"__keyspace@12__:a:b:c", b"del"),
    ("__keyevent@3__:expired", "session:9"),
    ("__keyevent@*__:set", "k"),
    ("__subkeyspace@0__:h", "hset|1:a,2:bc"),
    ("__subkeyevent@0__:hdel", "3:key|1:f,3:g:h"),
    ("__subkeyspaceitem@0__:h\nfield", "hexpired"),
    ("__subkeyspaceevent@2__:hset|my:hash", "2:f1,2:f2"),
    ("news", "hello"),
    ("__keyspace@x__:k", "set"),
    ("__keyspace@0__:", "set"),
]


@pytest.mark.parametrize("channel, data", MESSAGES)
@pytest.mark.parametrize("prefix", [None, "user:", b"h", "my:"])
def test_parsing_matches_redis_py(channel: Any, data: Any, prefix: Any) -> None:
    mine = ours.KeyNotification.try_parse(channel, data, prefix)
    want = theirs.KeyNotification.try_parse(channel, data, prefix)
    assert (mine and fields(mine)) == (want and fields(want))
    kind = theirs.get_channel_type(channel)
    assert ours.get_channel_type(channel) == (kind and ours.ChannelType(kind.value))
    message = {"type": "pmessage", "pattern": None, "channel": channel, "data": data}
    mine_msg = ours.KeyNotification.from_message(message, prefix)
    assert (mine_msg and fields(mine_msg)) == (mine and fields(mine))
    assert ours.KeyNotification.from_message({**message, "type": "subscribe"}) is None
    assert ours.KeyNotification.from_message(None) is None


def test_channels_match_redis_py() -> None:
    pairs = [
        (ours.KeyspaceChannel("user:*", db=2), theirs.KeyspaceChannel("user:*", db=2)),
        (ours.KeyspaceChannel("my[key"), theirs.KeyspaceChannel("my[key")),
        (ours.KeyspaceChannel("a\\*b"), theirs.KeyspaceChannel("a\\*b")),
        (ours.KeyeventChannel("set"), theirs.KeyeventChannel("set")),
        (ours.KeyeventChannel.all_events(db=5), theirs.KeyeventChannel.all_events(db=5)),
        (ours.SubkeyspaceChannel("h"), theirs.SubkeyspaceChannel("h")),
        (ours.SubkeyeventChannel.all_events(), theirs.SubkeyeventChannel.all_events()),
        (ours.SubkeyspaceitemChannel("h", "f?"), theirs.SubkeyspaceitemChannel("h", "f?")),
        (ours.SubkeyspaceeventChannel("hset", "h[ab]"), theirs.SubkeyspaceeventChannel("hset", "h[ab]")),
    ]
    for mine, want in pairs:
        assert (str(mine), repr(mine), mine.is_pattern) == (str(want), repr(want), want.is_pattern)
        assert mine == str(want) and hash(mine) == hash(str(want)) and mine == type(mine)(*mine._parts(), db=mine.db)
        assert mine != ours.KeyspaceChannel("zzz")
    assert ours.KeyeventChannel("set") != ours.KeyspaceChannel("set")


def test_names_match_redis_py() -> None:
    def constants(cls: type) -> dict:
        return {k: v for k, v in vars(cls).items() if k.isupper()}

    assert constants(ours.EventType) == constants(theirs.EventType)
    assert [c.name for c in ours.ChannelType] == [c.name for c in theirs.ChannelType]
    public = {n for n, v in vars(theirs).items() if not n.startswith("_") and getattr(v, "__module__", None) == theirs.__name__}
    assert public <= set(dir(ours))
    for name in public & set(ours.__all__):
        assert getattr(redcore, name, getattr(ours, name)) is getattr(ours, name)
    assert isinstance(redcore.Redis().keyspace_notifications(), redcore.KeyspaceNotifications)
