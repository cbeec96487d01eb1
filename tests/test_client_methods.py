"""Client methods that are not Redis commands: ``parse_response`` on pool
connections, ``load_external_module`` and ``get_cache``, on every backend
(embedded, remote, and redis-py as the oracle)."""

from __future__ import annotations

import datetime
import time
from typing import Any, Iterator

import pytest


@pytest.fixture
def conn(r: Any) -> Iterator[Any]:
    """A connection of ``r``'s pool, given back after the test."""
    c = r.connection_pool.get_connection()
    yield c
    r.connection_pool.release(c)


def run(r: Any, conn: Any, *args: Any, **options: Any) -> Any:
    """What ``execute_command`` does, by hand: send, then parse."""
    conn.send_command(*args)
    return r.parse_response(conn, args[0], **options)


def test_parse_response_shapes_like_the_methods(r: Any, conn: Any) -> None:
    assert run(r, conn, "SET", "k", "v") is True
    assert run(r, conn, "GET", "k") == b"v"
    assert run(r, conn, "ZADD", "z", 1, "a", 2.5, "b") == 2
    assert run(r, conn, "ZRANGE", "z", 0, -1, "WITHSCORES", withscores=True) == [(b"a", 1.0), (b"b", 2.5)]
    assert run(r, conn, "ZRANGE", "z", 0, -1) == [b"a", b"b"]
    assert run(r, conn, "ZRANGE", "z", 0, 0, "WITHSCORES", withscores=True, score_cast_func=int) == [(b"a", 1)]
    assert run(r, conn, "ZSCORE", "z", "b") == 2.5
    assert run(r, conn, "HSET", "h", "f", "1", "g", "2") == 2
    assert run(r, conn, "HGETALL", "h") == {b"f": b"1", b"g": b"2"}
    assert run(r, conn, "SADD", "s", "x", "y") == 2
    assert run(r, conn, "SMEMBERS", "s") == {b"x", b"y"}
    assert run(r, conn, "EXPIRE", "k", 100) is True
    assert run(r, conn, "EXISTS", "k", "nope") == 1
    assert run(r, conn, "MGET", "k", "nope") == [b"v", None]
    # A Python callback (INFO) and a raw reply with no callback (ECHO).
    assert run(r, conn, "INFO", "server")["redis_version"]
    assert run(r, conn, "ECHO", "hi") == b"hi"
    # The same as the methods return.
    assert run(r, conn, "ZRANGE", "z", 0, -1, "WITHSCORES", withscores=True) == r.zrange("z", 0, -1, withscores=True)
    assert run(r, conn, "HGETALL", "h") == r.hgetall("h")


def test_parse_response_in_order_and_pipelined(r: Any, conn: Any) -> None:
    conn.send_command("SET", "a", "1")
    conn.send_command("INCR", "a")
    conn.send_command("ZADD", "z", 3, "m")
    assert r.parse_response(conn, "SET") is True
    assert r.parse_response(conn, "INCR") == 2
    assert r.parse_response(conn, "ZADD") == 1
    # The connection keeps its state: a transaction by hand.
    conn.send_command("MULTI")
    conn.send_command("INCR", "a")
    conn.send_command("EXEC")
    assert r.parse_response(conn, "MULTI") in (b"OK", "OK", True)
    assert r.parse_response(conn, "INCR") in (b"QUEUED", "QUEUED")
    assert r.parse_response(conn, "EXEC") == [3]


def test_parse_response_errors(r: Any, conn: Any) -> None:
    conn.send_command("SET", "k", "v")
    r.parse_response(conn, "SET")
    conn.send_command("LPOP", "k")
    with pytest.raises(r.exc.ResponseError, match="WRONGTYPE"):
        r.parse_response(conn, "LPOP")
    # redis-py's EMPTY_RESPONSE option: returned instead of raising.
    conn.send_command("LPOP", "k")
    assert r.parse_response(conn, "LPOP", EMPTY_RESPONSE=[]) == []
    # The connection is still usable afterwards.
    conn.send_command("GET", "k")
    assert r.parse_response(conn, "GET") == b"v"


def test_parse_response_decoding(rd: Any) -> None:
    c = rd.connection_pool.get_connection()
    try:
        c.send_command("ZADD", "z", 1, "é")
        assert rd.parse_response(c, "ZADD") == 1
        c.send_command("ZRANGE", "z", 0, -1, "WITHSCORES")
        assert rd.parse_response(c, "ZRANGE", withscores=True) == [("é", 1.0)]
        c.send_command("HSET", "h", "f", "v")
        rd.parse_response(c, "HSET")
        c.send_command("HGETALL", "h")
        assert rd.parse_response(c, "HGETALL") == {"f": "v"}
    finally:
        rd.connection_pool.release(c)


def test_parse_response_custom_callback(r: Any, conn: Any) -> None:
    r.set_response_callback("ECHO", lambda response, **options: (response, sorted(options)))
    conn.send_command("ECHO", "v")
    assert r.parse_response(conn, "ECHO", opt=1) == (b"v", ["opt"])
    assert r.execute_command("ECHO", "v") == (b"v", [])


class CounterCommands:
    """A stand-in for a module's command namespace (as redis-py's
    ``r.json()`` is), built on the client it is given."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def bump(self, key: str) -> int:
        return self.client.execute_command("INCRBY", key, 5)


def test_load_external_module(r: Any) -> None:
    assert r.load_external_module("counter", lambda: CounterCommands(r)) is None
    assert r.counter().bump("n") == 5
    assert r.counter().bump("n") == 10
    # Only this client gets the attribute.
    assert not hasattr(type(r), "counter")
    r.load_external_module("answer", 42)
    assert r.answer == 42


def test_get_cache(r: Any) -> None:
    # No client-side cache configured (redcore has none): None, as redis-py.
    assert r.get_cache() is None


@pytest.mark.parametrize(
    "expiry",
    [
        lambda: {"ex": 100},
        lambda: {"ex": "100"},
        lambda: {"ex": datetime.timedelta(seconds=100)},
        lambda: {"px": 100_000},
        lambda: {"px": datetime.timedelta(milliseconds=100_000)},
        lambda: {"exat": datetime.datetime.now() + datetime.timedelta(seconds=100)},
        lambda: {"pxat": int(time.time() * 1000) + 100_000},
    ],
    ids=["ex", "ex-str", "ex-timedelta", "px", "px-timedelta", "exat-datetime", "pxat"],
)
def test_set_and_getex_read_expiry_arguments_alike(r: Any, expiry: Any) -> None:
    """``set`` (a Rust fast method) and ``getex`` (a Python one) apply
    redis-py's expiry rules the same way."""
    expiry = expiry()  # absolute times are taken when the test runs
    assert r.set("a", "v", **expiry) is True
    r.set("b", "v")
    assert r.getex("b", **expiry) == b"v"
    assert 98 <= r.ttl("a") <= 100 and 98 <= r.ttl("b") <= 100


@pytest.mark.parametrize("bad", [{"ex": 1.5}, {"px": "100"}, {"ex": [1]}])
def test_set_and_getex_reject_bad_expiry_alike(r: Any, bad: Any) -> None:
    with pytest.raises(r.exc.DataError) as by_set:
        r.set("k", "v", **bad)
    with pytest.raises(r.exc.DataError) as by_getex:
        r.getex("k", **bad)
    assert str(by_set.value) == str(by_getex.value)


def test_mget_and_hmget_take_keys_the_same_ways(r: Any) -> None:
    r.mset({"a": 1, "b": 2})
    r.hset("h", mapping={"a": 1, "b": 2})
    for keys, args in [("a", ("b",)), (["a", "b"], ()), (("a",), ("b",)), ({"a": 0, "b": 0}, ())]:
        assert r.mget(keys, *args) == [b"1", b"2"]
        assert r.hmget("h", keys, *args) == [b"1", b"2"]
    # a Python-side method with the same rule
    assert r.exists(*["a", "b"]) == 2
    assert r.sinter(["x", "y"]) == set()


def test_mget_of_no_keys_is_an_empty_list(r: Any) -> None:
    """redis-py answers MGET of no keys with ``[]`` (the server's arity
    error becomes its EMPTY_RESPONSE); saq's ``Queue.info`` relies on it."""
    r.set("a", 1)
    assert r.mget([]) == [] and r.mget(()) == [] and r.mget(k for k in []) == []
    assert r.mget(k for k in ["a", "b"]) == [b"1", None]
    with pytest.raises(r.exc.ResponseError, match="wrong number of arguments for 'mget' command"):
        r.execute_command("MGET")


def test_plain_set_is_seen_by_everything_that_watches_writes(make: Any) -> None:
    """A plain ``set()`` (a fast path on the embedded engine) reaches
    WATCH, keyspace events, MONITOR, client tracking, blocked readers'
    neighbours and the change counters exactly as the general path does."""
    r, other = make(), make()
    import redis as redis_py

    # WATCH: another client's plain SET aborts the transaction.
    with r.pipeline() as p:
        p.watch("w")
        other.set("w", "1")
        p.multi()
        p.get("w")
        with pytest.raises(redis_py.WatchError):
            p.execute()
    # Change counters move with each write.
    before = r.info("persistence")["rdb_changes_since_last_save"]
    other.set("c", "1")
    other.set("c", "2")
    assert r.info("persistence")["rdb_changes_since_last_save"] - before == 2
    # Keyspace events.
    r.config_set("notify-keyspace-events", "KEA")
    try:
        sub = make().pubsub()
        sub.psubscribe("__keyspace@0__:ev")
        assert sub.get_message(timeout=1)["type"] == "psubscribe"
        other.set("ev", "x")
        msg = sub.get_message(timeout=1)
        assert msg is not None and msg["data"] == b"set"
        sub.close()
    finally:
        r.config_set("notify-keyspace-events", "")
    # MONITOR sees the SET.
    with make().monitor() as m:
        other.set("mon", "1")
        seen = []
        for cmd in m.listen():
            seen.append(cmd["command"])
            if "mon" in cmd["command"]:
                break
        assert any(c.startswith("SET") and "mon" in c for c in seen)
    assert r.get("w") == b"1" and r.get("c") == b"2" and r.get("ev") == b"x"
