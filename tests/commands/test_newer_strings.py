"""String commands newer than the Redis 7.0 oracle: DIGEST, DELEX, SET's
IFEQ / IFNE / IFDEQ / IFDNE and MSETEX (Redis 8.4), and INCREX (8.8).

Redis 7.0 does not know them, so these tests run on the embedded engine
and, through redis-py, on redcore's own server (the ``server`` backend):
the same calls must give the same replies on both. The cases are the
documented examples (redis.io's command pages) and the documented error
texts and edge cases (Redis's own tests of these commands).
"""

import asyncio
import datetime
import gc
import time

import pytest
import redis
from redis.commands.core import DataPersistOptions

import redcore
import redcore.asyncio
from support import error_of


@pytest.fixture(params=["embedded", "server"])
def backend(request):
    """No local oracle has these commands: the embedded engine, and
    redcore's server through redis-py."""
    return request.param


# redis-py warns that these methods are experimental.
pytestmark = [
    pytest.mark.filterwarnings("ignore:Call to experimental"),
    pytest.mark.filterwarnings("ignore:Call to .set. method with experimental"),
]

# Redis's own test value whose digest has leading zeros.
ZEROS = "v8lf0c11xh8ymlqztfd3eeq16kfn4sspw7fqmnuuq3k3t75em5wdizgcdw7uc26nnf961u2jkfzkjytls2kwlj7626sd"


def other_digest(d):
    """A well-formed digest that is not ``d``."""
    return format((int(d, 16) + 1) % 2**64, "016x")


# -- DIGEST ---------------------------------------------------------------


def test_digest_documented_example(r):
    r.set("key1", "Hello world")
    assert r.digest("key1") == b"b6acb9d84a38ff74"
    # 16 digits always, leading zeros kept.
    r.set("foo", ZEROS)
    assert r.digest("foo") == b"00006c38adf31777"
    assert r.digest("nosuch") is None


def test_digest_of_every_string_encoding(r):
    for value in ("", "12345", "-999", "x" * 100, "\x00\x01\xff", "Hello 世界"):
        r.set("k", value)
        d = r.digest("k").decode()
        assert len(d) == 16 and int(d, 16) >= 0
        r.set("copy", value)
        assert r.digest("copy").decode() == d
    r.set("a", "value1")
    r.set("b", "value2")
    assert r.digest("a") != r.digest("b")


def test_digest_wrong_type_and_arity(r):
    r.lpush("l", "x")
    r.hset("h", "f", "v")
    for key in ("l", "h"):
        assert error_of(r, "DIGEST", key).startswith("WRONGTYPE")
    assert error_of(r, "DIGEST") == "wrong number of arguments for 'digest' command"
    assert error_of(r, "DIGEST", "a", "b") == "wrong number of arguments for 'digest' command"


def test_digest_local_matches_digest():
    # redcore computes it in its core (redis-py needs the xxhash package).
    for decode in (False, True):
        r = redcore.Redis(decode_responses=decode)
        for value in (b"", b"abc", "Hello world", "Hello 世界", ZEROS):
            r.set("k", value)
            assert r.digest_local(value) == r.digest("k")
    r = redcore.Redis()
    assert r.digest_local("Hello world") == b"b6acb9d84a38ff74"
    # A pipeline computes it at once; so do the asyncio clients (no await).
    with r.pipeline() as p:
        assert p.digest_local("Hello world") == b"b6acb9d84a38ff74"
    ar = redcore.asyncio.Redis(decode_responses=True)
    assert ar.digest_local("Hello world") == "b6acb9d84a38ff74"
    assert ar.pipeline().digest_local(b"Hello world") == "b6acb9d84a38ff74"
    asyncio.run(ar.aclose())


# -- DELEX ----------------------------------------------------------------


def test_delex_without_condition_deletes_any_type(r):
    r.set("s", "v")
    r.lpush("l", "x")
    assert r.delex("s") == 1
    assert r.delex("l") == 1
    assert r.delex("s") == 0
    assert r.exists("s", "l") == 0


def test_delex_by_value(r):
    r.set("k", "hello")
    assert r.delex("k", ifeq="world") == 0
    assert r.delex("k", ifne="hello") == 0
    assert r.get("k") == b"hello"
    assert r.delex("k", ifeq="hello") == 1
    r.set("k", "hello")
    assert r.delex("k", ifne="world") == 1
    # Integer-encoded and empty values compare as their text.
    r.set("n", 12345)
    assert r.delex("n", ifeq="12345") == 1
    r.set("e", "")
    assert r.delex("e", ifeq="") == 1
    # A missing key is never deleted.
    for kw in ("ifeq", "ifne"):
        assert r.delex("nosuch", **{kw: "x"}) == 0


def test_delex_by_digest(r):
    r.set("k", "hello")
    d = r.digest("k").decode()
    assert r.delex("k", ifdeq=other_digest(d)) == 0
    assert r.delex("k", ifdne=d) == 0
    # Either case.
    assert r.delex("k", ifdne=d.upper()) == 0
    assert r.delex("k", ifdeq=d.upper()) == 1
    r.set("k", "hello")
    assert r.delex("k", ifdne=other_digest(d)) == 1
    # A digest computed client-side works as well.
    r.set("z", ZEROS)
    assert r.delex("z", ifdeq="00006c38adf31777") == 1


def test_delex_errors(r):
    r.set("k", "hello")
    for bad in ("", "6c38adf31777", "0" * 17, "zz" * 8):
        assert error_of(r, "DELEX", "k", "IFDEQ", bad) == "must be exactly 16 hexadecimal characters"
        assert error_of(r, "DELEX", "k", "IFDNE", bad) == "must be exactly 16 hexadecimal characters"
    # Not checked when there is no value to compare.
    assert r.execute_command("DELEX", "nosuch", "IFDEQ", "1234567890") == 0
    r.lpush("l", "x")
    for cond in ("IFEQ", "IFNE", "IFDEQ", "IFDNE"):
        assert error_of(r, "DELEX", "l", cond, "0" * 16).startswith("WRONGTYPE")
    assert r.exists("l") == 1
    # The argument count is checked before anything else.
    assert error_of(r, "DELEX", "nosuch", "IFEQ") == "wrong number of arguments for 'delex' command"
    assert error_of(r, "DELEX", "k", "IFEQ", "a", "b") == "wrong number of arguments for 'delex' command"
    assert error_of(r, "DELEX", "k", "IF", "hello") == "Invalid condition"
    assert r.get("k") == b"hello"
    with pytest.raises(ValueError):
        r.delex("k", ifeq="a", ifne="b")


# -- SET IFEQ / IFNE / IFDEQ / IFDNE ---------------------------------------


@pytest.mark.parametrize(
    "cond, matches, on_missing",
    [("ifeq", True, False), ("ifne", False, True), ("ifdeq", True, False), ("ifdne", False, True)],
)
def test_set_conditions(r, cond, matches, on_missing):
    digest = cond.startswith("ifd")
    r.set("k", "hello")
    same = r.digest("k").decode() if digest else "hello"
    other = other_digest(same) if digest else "different"
    # The condition holds: set, and GET replies with the old value.
    assert r.set("k", "world", **{cond: same if matches else other}) is True
    assert r.get("k") == b"world"
    # It does not: nothing changes; nil, or the old value with GET.
    r.set("k", "hello")
    assert r.set("k", "world", **{cond: other if matches else same}) is None
    assert r.set("k", "world", get=True, **{cond: other if matches else same}) == b"hello"
    assert r.get("k") == b"hello"
    assert r.set("k", "world", get=True, **{cond: same if matches else other}) == b"hello"
    assert r.get("k") == b"world"
    # A missing key: IFEQ / IFDEQ do not create it, IFNE / IFDNE do.
    r.delete("k")
    reply = r.set("k", "new", **{cond: "1234567890abcdef"})
    assert reply is (True if on_missing else None)
    assert r.exists("k") == int(on_missing)
    r.delete("k")
    assert r.set("k", "new", get=True, **{cond: "1234567890abcdef"}) is None
    assert r.exists("k") == int(on_missing)


def test_set_conditions_with_expiry_and_case(r):
    r.set("k", "hello", ex=1000)
    assert r.set("k", "world", ifeq="hello", ex=10) is True
    assert 5 < r.ttl("k") <= 10
    # Without an expiry option the TTL goes, as with any SET.
    assert r.set("k", "again", ifne="x") is True
    assert r.ttl("k") == -1
    assert r.set("k", "kept", ifeq="again", keepttl=True) is True
    # Options in any case.
    assert r.execute_command("SET", "k", "v", "IfEq", "kept") in (b"OK", "OK", True)
    assert r.get("k") == b"v"
    # A failed condition leaves the TTL too.
    r.set("t", "v", ex=100)
    assert r.set("t", "w", ifeq="nope", ex=5) is None
    assert r.ttl("t") > 50


def test_set_condition_errors(r):
    r.set("k", "hello")
    d = r.digest("k").decode()
    for bad in ("", d[1:], "0" + d):
        assert error_of(r, "SET", "k", "new", "IFDEQ", bad) == "must be exactly 16 hexadecimal characters"
        assert error_of(r, "SET", "k", "new", "IFDNE", bad) == "must be exactly 16 hexadecimal characters"
    r.lpush("l", "x")
    for cond in ("IFEQ", "IFNE", "IFDEQ", "IFDNE"):
        assert error_of(r, "SET", "l", "v", cond, "x").startswith("WRONGTYPE")
    assert r.type("l") == b"list"
    # One condition at most.
    for args in (("NX", "IFEQ", "a"), ("IFEQ", "a", "XX"), ("IFEQ", "a", "IFNE", "b"), ("IFDEQ",)):
        assert error_of(r, "SET", "k", "v", *args) == "syntax error"
    with pytest.raises(r.exc.DataError):
        r.set("k", "v", nx=True, ifeq="a")
    assert r.get("k") == b"hello"


# -- MSETEX ---------------------------------------------------------------


def test_msetex(r):
    assert r.msetex({"a": 1, "b": "two"}) == 1
    assert r.mget("a", "b") == [b"1", b"two"]
    assert r.ttl("a") == -1
    assert r.msetex({"a": 1, "b": 2}, ex=100) == 1
    assert 90 < r.ttl("a") <= 100 and 90 < r.ttl("b") <= 100
    assert r.msetex({"a": 3}, px=50_000) == 1
    assert 40 < r.ttl("a") <= 50
    at = int(time.time()) + 200
    assert r.msetex({"a": 4}, exat=at) == 1
    assert 190 < r.ttl("a") <= 200
    assert r.msetex({"a": 5}, pxat=datetime.datetime.now() + datetime.timedelta(seconds=300)) == 1
    assert 290 < r.ttl("a") <= 300
    assert r.msetex({"a": 6}, keepttl=True) == 1
    assert 290 < r.ttl("a") <= 300 and r.get("a") == b"6"


def test_msetex_conditions(r):
    r.set("old", "x")
    nx, xx = DataPersistOptions.NX, DataPersistOptions.XX
    assert r.msetex({"new1": 1, "new2": 2}, data_persist_option=nx, ex=10) == 1
    assert r.msetex({"old": 1, "new3": 2}, data_persist_option=nx) == 0
    assert r.msetex({"old": 1, "new3": 2}, data_persist_option=xx) == 0
    assert r.exists("new3") == 0 and r.get("old") == b"x"
    assert r.msetex({"old": "y", "new1": "z"}, data_persist_option=xx) == 1
    assert r.mget("old", "new1") == [b"y", b"z"]
    # Options in any order, after the pairs.
    assert r.execute_command("MSETEX", 1, "f", "v", "EX", 30, "NX") == 1
    assert 0 < r.ttl("f") <= 30


def test_msetex_errors(r):
    assert error_of(r, "MSETEX") == "wrong number of arguments for 'msetex' command"
    assert error_of(r, "MSETEX", "k", "v", "EX", 10) == "invalid numkeys value"
    for n in (0, -1, 2147483648):
        assert error_of(r, "MSETEX", n, "k", "v") == "invalid numkeys value"
    assert error_of(r, "MSETEX", 2, "k", "v", "k2") == "wrong number of key-value pairs"
    assert error_of(r, "MSETEX", 2147483647, "k", "v", "EX", 10) == "wrong number of key-value pairs"
    for opts in (("FOO",), ("NX", "XX"), ("EX", 10, "PX", 5000), ("KEEPTTL", "EX", 10), ("EX",)):
        assert error_of(r, "MSETEX", 1, "k", "v", *opts) == "syntax error"
    assert error_of(r, "MSETEX", 1, "k", "v", "EX", 0) == "invalid expire time in 'msetex' command"
    assert r.exists("k") == 0
    with pytest.raises(r.exc.DataError):
        r.msetex({"a": 1}, ex=10, keepttl=True)


# -- INCREX ---------------------------------------------------------------


def test_increx_documented_examples(r):
    assert r.increx("mykey") == [1, 1]
    assert r.increx("mykey") == [2, 1]
    r.set("mykey", 100)
    assert r.increx("mykey", byint=5) == [105, 5]
    assert r.increx("mykey", byint=-10) == [95, -10]
    r.set("mykey", 1.5)
    assert [float(v) for v in r.increx("mykey", byfloat=0.25)] == [1.75, 0.25]
    r.delete("mykey")
    assert r.increx("mykey", byint=1, ex=100) == [1, 1]
    assert 0 < r.ttl("mykey") <= 100
    r.set("mykey", 10)
    assert r.increx("mykey", byint=1, ex=100, enx=True) == [11, 1]
    assert 0 < r.ttl("mykey") <= 100
    r.set("mykey", 10, ex=500)
    assert r.increx("mykey", byint=1, ex=10, enx=True) == [11, 1]
    assert r.ttl("mykey") > 400
    r.set("mykey", 5, ex=1000)
    assert r.increx("mykey", byint=1, persist=True) == [6, 1]
    assert r.ttl("mykey") == -1
    r.set("mykey", 99)
    assert r.increx("mykey", byint=5, ubound=100) == [99, 0]
    r.set("mykey", 99)
    assert r.increx("mykey", byint=5, ubound=100, saturate=True) == [100, 1]


def test_increx_bounds_and_saturation(r):
    r.set("k", 10, ex=500)
    # Refused: nothing changes, the TTL stays and no expiry is applied.
    assert r.increx("k", byint=5, ubound=12, ex=60) == [10, 0]
    assert r.get("k") == b"10" and r.ttl("k") > 400
    # Saturated: the bound, the delta that reached it, and the expiry.
    assert r.increx("k", byint=5, ubound=12, saturate=True, ex=60) == [12, 2]
    assert 0 < r.ttl("k") <= 60
    # A value already outside the bounds is brought to them.
    r.set("k", 50)
    assert r.increx("k", byint=5, ubound=30) == [50, 0]
    assert r.increx("k", byint=5, ubound=30, saturate=True) == [30, -20]
    assert r.increx("k", byint=-25, lbound=0, ubound=30) == [5, -25]
    # Type limits count as bounds.
    top = 2**63 - 1
    r.set("k", top - 1)
    assert r.increx("k", byint=2) == [top - 1, 0]
    assert r.increx("k", byint=2, saturate=True) == [top, 1]
    r.set("k", -(2**63) + 7)
    assert r.increx("k", byint=-10, saturate=True) == [-(2**63), -7]
    # A missing key is created only when the result is accepted.
    assert r.increx("new", byint=15, ubound=10) == [0, 0]
    assert r.exists("new") == 0
    assert r.increx("new", lbound=5, saturate=True) == [5, 5]
    assert r.get("new") == b"5"


def test_increx_floats(r):
    r.set("f", 10)
    assert [float(v) for v in r.increx("f", byfloat=5.5, ubound=12.5)] == [10, 0]
    assert [float(v) for v in r.increx("f", byfloat=5.5, ubound=12.5, saturate=True)] == [12.5, 2.5]
    assert r.get("f") == b"12.5"
    assert [float(v) for v in r.increx("f", byfloat=-100, lbound=-5.5, saturate=True)] == [-5.5, -18]
    # Infinite bounds are allowed in float mode.
    assert [float(v) for v in r.increx("f", byfloat=1, ubound="inf")] == [-4.5, 1]
    # The stored text is INCRBYFLOAT's, and never -0.
    r.delete("z")
    r.increx("z", byfloat=1 / 41)
    r.increx("z", byfloat=-1 / 41)
    assert r.get("z") == b"0"


def test_increx_reply_types(make):
    """Integers in integer mode; doubles (RESP3) or bulk strings (RESP2)
    in float mode, as redis-py hands them back without a callback."""
    r3, r2 = make(protocol=3), make(protocol=2)
    assert r3.increx("i", byint=5) == [5, 5]
    assert r3.increx("f", byfloat=2.5) == [2.5, 2.5]
    assert r2.increx("f", byfloat=2.5) == [b"5", b"2.5"]
    assert r2.increx("nosuch", byfloat=1, ubound=0) == [b"0", b"0"]
    assert r3.increx("nosuch", byfloat=1, ubound=0) == [0.0, 0.0]


def test_increx_expiry_options(r):
    r.set("k", 10)
    assert r.increx("k", px=100_000) == [11, 1]
    assert 90_000 < r.pttl("k") <= 100_000
    assert r.increx("k", exat=int(time.time()) + 100) == [12, 1]
    assert 90 < r.ttl("k") <= 100
    # Without an option the TTL stays.
    assert r.increx("k") == [13, 1]
    assert 90 < r.ttl("k") <= 100
    # A deadline already past deletes the key, but the reply is computed.
    assert r.increx("k", exat=1) == [14, 1]
    assert r.exists("k") == 0
    assert r.increx("k", pxat=1) == [1, 1]
    assert r.exists("k") == 0
    # ...unless ENX keeps an existing deadline.
    r.set("k", 10, ex=500)
    assert r.increx("k", exat=1, enx=True) == [11, 1]
    assert r.ttl("k") > 400


def test_increx_errors(r):
    r.set("k", 10)
    for args in (
        ("BYINT", 1, "BYFLOAT", 1.5), ("BYINT", 1, "BYINT", 2), ("LBOUND", 0, "LBOUND", 1),
        ("SATURATE", "SATURATE"), ("EX", 10, "PX", 5000), ("EX", 10, "PERSIST"), ("PERSIST", "ENX"),
        ("ENX", "PERSIST"), ("PERSIST", "PERSIST"), ("FOO",), ("BYINT",), ("LBOUND",), ("SAT",),
    ):
        assert error_of(r, "INCREX", "k", *args) == "syntax error", args
    assert error_of(r, "INCREX", "k", "ENX") == "ENX flag requires an expiration"
    assert error_of(r, "INCREX", "k", "BYINT", "abc") == "Increment is not an integer or out of range"
    assert error_of(r, "INCREX", "k", "BYINT", "1.5") == "Increment is not an integer or out of range"
    assert error_of(r, "INCREX", "k", "BYFLOAT", "abc") == "Increment is not a valid float"
    assert error_of(r, "INCREX", "k", "BYFLOAT", "nan") == "Increment is not a valid float"
    assert error_of(r, "INCREX", "k", "BYFLOAT", "+inf") == "BYFLOAT increment cannot be Infinity"
    assert error_of(r, "INCREX", "k", "UBOUND", "12.5") == "UBOUND is not an integer or out of range"
    assert error_of(r, "INCREX", "k", "LBOUND", "inf") == "LBOUND is not an integer or out of range"
    assert error_of(r, "INCREX", "k", "BYFLOAT", 1, "UBOUND", "abc") == "UBOUND is not a valid float"
    assert error_of(r, "INCREX", "k", "LBOUND", 10, "UBOUND", 5) == "LBOUND can't be greater than UBOUND"
    assert error_of(r, "INCREX", "k", "BYFLOAT", 1, "LBOUND", "inf") == "LBOUND can't be greater than UBOUND"
    assert error_of(r, "INCREX", "k", "EX", 0) == "invalid expire time in 'increx' command"
    r.set("k", 9223372036854775800)
    assert error_of(r, "INCREX", "k", "BYINT", 1, "SATURATE", "UBOUND", -(2**63)) == (
        "applied increment would overflow"
    )
    r.set("k", 10)
    assert error_of(r, "INCREX", "k", "BYFLOAT", 1, "LBOUND", "inf", "UBOUND", "inf", "SATURATE") == (
        "applied increment would be Infinity"
    )
    r.set("s", "abc")
    assert error_of(r, "INCREX", "s") == "value is not an integer or out of range"
    assert error_of(r, "INCREX", "s", "BYFLOAT", 1) == "value is not a valid float"
    r.set("s", "inf")
    assert error_of(r, "INCREX", "s", "BYFLOAT", 1) == "value cannot be Infinity"
    r.rpush("l", "a")
    assert error_of(r, "INCREX", "l", "EXAT", 1).startswith("WRONGTYPE")
    assert r.exists("l") == 1
    assert error_of(r, "INCREX") == "wrong number of arguments for 'increx' command"
    for kwargs in ({"byfloat": 1.0, "byint": 1}, {"ex": 10, "px": 10}, {"enx": True}, {"ex": 0, "px": 1}):
        with pytest.raises(r.exc.DataError):
            r.increx("k", **kwargs)


# -- MULTI, notifications and the server ------------------------------------


def test_in_a_transaction(r):
    r.set("k", "v")
    d = r.digest("k")
    with r.pipeline(transaction=True) as p:
        p.digest("k").set("k", "w", ifeq="v").delex("k", ifne="v")
        p.msetex({"a": 1, "b": 2}, ex=10).increx("a", byint=2, ubound=2, saturate=True)
        assert p.execute() == [d, True, 1, 1, [2, 1]]
    assert r.exists("k") == 0 and r.get("a") == b"2"


def events(p, n, timeout=1.0):
    out = []
    deadline = time.time() + timeout
    while len(out) < n and time.time() < deadline:
        m = p.get_message(timeout=0.1)
        if m is not None:
            out.append(m["data"])
    return out


def test_keyspace_notifications(make):
    c = make(decode_responses=True)
    c.config_set("notify-keyspace-events", "KA")
    p = c.pubsub(ignore_subscribe_messages=True)
    p.psubscribe("__keyspace@0__:*")
    p.get_message(timeout=1)
    try:
        c.set("k", 10, ex=100)
        c.increx("k", byint=1, persist=True)
        c.increx("k", byfloat=0.5, ex=100)
        c.increx("k", byfloat=1, ubound=0)  # refused: no event
        c.set("k", "v", ifeq="nope")  # not set: no event
        c.set("k", "v", ifne="nope")
        c.delex("k", ifeq="other")  # not deleted: no event
        c.delex("k", ifdeq=c.digest("k"))
        c.msetex({"m": 1}, px=1000)
        c.increx("m", exat=1)
        assert events(p, 11) == [
            "set", "expire", "incrby", "persist", "incrbyfloat", "expire", "set", "del",
            "set", "expire", "del",
        ]
    finally:
        p.close()
        c.config_set("notify-keyspace-events", "")


@pytest.mark.parametrize("protocol", [2, 3])
def test_server_replies_like_the_engine(redcore_server, protocol):
    """The same raw calls through redcore's RESP server (redis-py as the
    client) and on the embedded engine give the same replies."""
    calls = [
        ("SET", "s", "Hello world"), ("DIGEST", "s"), ("DIGEST", "none"),
        ("SET", "s", "x", "IFDEQ", "B6ACB9D84A38FF74", "GET"), ("SET", "s", "y", "IFEQ", "z"),
        ("DELEX", "s", "IFNE", "x"), ("DELEX", "s", "IFEQ", "x"), ("DELEX", "s", "IFDEQ", "123"),
        ("MSETEX", 2, "a", 1, "b", 2, "NX", "PX", 100000), ("MSETEX", 1, "a", 1, "NX"),
        ("INCREX", "a", "BYINT", 5, "UBOUND", 3, "SATURATE"), ("INCREX", "f", "BYFLOAT", "0.1"),
        ("INCREX", "f", "BYFLOAT", "0.2", "LBOUND", 0, "UBOUND", 1), ("INCREX", "f", "UBOUND", 0),
        ("INCREX", "g", "BYFLOAT", 1, "UBOUND", 0), ("GET", "f"), ("INCREX", "a", "ENX"),
        ("LPUSH", "l", "x"), ("DIGEST", "l"), ("DELEX", "l", "IFEQ", "x"), ("DELEX", "l"),
    ]

    def run(client):
        out = []
        for call in calls:
            try:
                out.append(client.execute_command(*call))
            except (redis.exceptions.ResponseError, redcore.exceptions.ResponseError) as e:
                out.append(("error", str(e)))
        return out

    served = redis.Redis(port=redcore_server.port, protocol=protocol, driver_info=None)
    served.flushall()
    embedded = redcore.Redis(protocol=protocol)
    try:
        assert run(served) == run(embedded)
    finally:
        served.flushall()
        served.close()


def test_aof_propagation_and_replay(tmp_path):
    """What they write to the AOF replays to the same data, on engines
    that do not know them too: DELEX as DEL, MSETEX and INCREX with
    absolute deadlines, INCREX's result as a SET, SET's IF* left out."""
    from aof_support import aof_config, fresh_name, incr_commands, normalize

    name = fresh_name("newer-strings")
    r = redcore.Redis(name=name, config=aof_config(str(tmp_path)))
    x = r.execute_command
    x("SET", "s", "v")
    x("SET", "s", "w", "IFEQ", "v", "GET")
    x("SET", "s", "u", "IFEQ", "ex", "EX", 100)  # condition fails: nothing
    x("SET", "s", "ex", "IFNE", "get", "EX", 100)
    x("DELEX", "s", "IFEQ", "nope")  # nothing
    x("DELEX", "s", "IFEQ", "ex")
    x("MSETEX", 2, "a", 1, "b", 2, "EX", 100)
    x("MSETEX", 1, "a", 3, "KEEPTTL", "XX")
    x("MSETEX", 1, "a", 3, "NX")  # nothing
    x("INCREX", "a", "BYINT", 5)
    x("INCREX", "a", "BYINT", 5, "UBOUND", 0)  # refused: nothing
    x("INCREX", "a", "PERSIST")
    x("INCREX", "f", "BYFLOAT", "0.1", "PX", 100000)
    x("INCREX", "b", "EXAT", 1)
    want = [
        ["SET", "s", "v"],
        ["SET", "s", "w"],
        ["SET", "s", "ex", "PXAT", "<ts>"],
        ["DEL", "s"],
        ["MSETEX", "2", "a", "1", "b", "2", "PXAT", "<ts>"],
        ["MSETEX", "1", "a", "3", "KEEPTTL"],
        ["SET", "a", "8", "KEEPTTL"],
        ["SET", "a", "9"],
        ["SET", "f", "0.1", "PXAT", "<ts>"],
        ["DEL", "b"],
    ]
    got = normalize(incr_commands(tmp_path / "appendonlydir"))
    assert [c for c in got if c[0] != "SELECT"] == want
    state = {k: (r.get(k), r.pttl(k) > 0) for k in ("s", "a", "b", "f")}
    del r, x  # the engine (and its directory lock) goes with its last client
    redcore._redcore.forget_engine(name)
    gc.collect()
    # A new engine on the same directory replays the file.
    again = redcore.Redis(config=aof_config(str(tmp_path)))
    try:
        assert {k: (again.get(k), again.pttl(k) > 0) for k in ("s", "a", "b", "f")} == state
    finally:
        again.config_set("appendonly", "no")


def test_asyncio_client_and_pipeline():
    async def main():
        r = redcore.asyncio.Redis()
        try:
            assert await r.increx("x", byint=3, ex=10) == [3, 3]
            assert await r.msetex({"a": 1}, ex=5) == 1
            assert await r.digest("a") == r.digest_local("1")
            assert await r.set("a", 2, ifeq="1") is True
            p = r.pipeline()
            p.increx("x").delex("a", ifeq="2").digest("a")
            assert await p.execute() == [[4, 1], 1, None]
        finally:
            await r.aclose()

    asyncio.run(main())
