"""String commands: GET/SET and variants, counters, APPEND, ranges, LCS.

Every test runs on the embedded engine and on the real redis-server.
"""

from __future__ import annotations

import datetime
import time

import pytest

from support import encoding
from support import error_of as err

INVALID_SET = "invalid expire time in 'set' command"
NOT_INT = "value is not an integer or out of range"
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


# --------------------------------------------------------------------- SET


def test_set_options_expiry(r):
    assert r.set("k", "v", ex=100) is True
    assert 99 <= r.ttl("k") <= 100
    assert r.set("k", "v", px=100_000) is True
    assert 99_000 <= r.execute_command("PTTL", "k") <= 100_000
    at = int(time.time()) + 100
    assert r.set("k", "v", exat=at) is True
    assert 98 <= r.ttl("k") <= 100
    assert r.set("k", "v", pxat=at * 1000) is True
    assert 98 <= r.ttl("k") <= 100
    assert r.set("k", "v", ex=datetime.timedelta(seconds=50)) is True
    assert 49 <= r.ttl("k") <= 50
    assert r.set("k", "v", px=datetime.timedelta(seconds=50)) is True
    assert 49 <= r.ttl("k") <= 50
    assert r.set("k", "v", exat=datetime.datetime.now() + datetime.timedelta(seconds=70)) is True
    assert 68 <= r.ttl("k") <= 70
    assert r.set("k", "v", ex="30") is True
    assert 29 <= r.ttl("k") <= 30
    # A plain SET clears the TTL; KEEPTTL keeps it.
    r.set("k", "v", ex=100)
    assert r.set("k", "w", keepttl=True) is True
    assert 99 <= r.ttl("k") <= 100
    assert r.get("k") == b"w"
    r.set("k", "x")
    assert r.ttl("k") == -1
    # KEEPTTL on a missing key sets no TTL.
    assert r.set("fresh", "v", keepttl=True) is True
    assert r.ttl("fresh") == -1


def test_set_repeated_expiry_option_uses_the_last(r):
    assert r.execute_command("SET", "k", "v", "EX", "10", "EX", "200")
    assert 199 <= r.ttl("k") <= 200
    assert r.execute_command("SET", "k", "v", "px", "5000", "PX", "9000")
    assert 8 <= r.ttl("k") <= 9


def test_set_expiry_in_the_past_sets_then_expires(r):
    assert r.execute_command("SET", "k", "v", "EXAT", "1") is True
    assert r.exists("k") == 0
    r.set("k", "old")
    assert r.set("k", "v", pxat=1, get=True) == b"old"
    assert r.get("k") is None


@pytest.mark.parametrize(
    "opts, msg",
    [
        (("EX", "0"), INVALID_SET),
        (("EX", "-1"), INVALID_SET),
        (("PX", "0"), INVALID_SET),
        (("EXAT", "0"), INVALID_SET),
        (("PXAT", "-5"), INVALID_SET),
        (("EX", "abc"), NOT_INT),
        (("EX", "1.5"), NOT_INT),
        (("EX", " 1"), NOT_INT),
        (("EX", "99999999999999999999"), NOT_INT),
        (("EX", str(2**63 // 1000 + 1)), INVALID_SET),
        (("EX", str(2**63 // 1000)), INVALID_SET),
        (("PX", str(2**63 - 1)), INVALID_SET),
        (("NX", "XX"), "syntax error"),
        (("XX", "NX"), "syntax error"),
        (("KEEPTTL", "EX", "1"), "syntax error"),
        (("EX", "1", "KEEPTTL"), "syntax error"),
        (("EX", "1", "PX", "1"), "syntax error"),
        (("PXAT", "1", "EXAT", "1"), "syntax error"),
        (("EX",), "syntax error"),
        (("PERSIST",), "syntax error"),
        (("FOO",), "syntax error"),
        (("EX", "abc", "NX", "XX"), "syntax error"),
    ],
)
def test_set_option_errors(r, opts, msg):
    r.set("k", "orig")
    assert err(r, "SET", "k", "v", *opts) == msg
    assert r.get("k") == b"orig"
    assert r.ttl("k") == -1


def test_set_huge_absolute_expiry_is_accepted(r):
    assert r.execute_command("SET", "k", "v", "EXAT", str(2**63 // 1000)) is True
    assert r.ttl("k") > 10**15


def test_set_plain_forms(r):
    r["k"] = "v"
    assert r.get("k") == b"v"
    assert r.set("k", 7) is True
    assert r.get("k") == b"7"
    assert r.set(b"\x00k", b"\xff") is True
    assert r.get(b"\x00k") == b"\xff"
    pipe = r.pipeline(transaction=False)
    pipe.set("a", 1).set("b", "2", nx=True).set("a", 3, get=True).getdel("b").append("a", "x")
    assert pipe.execute() == [True, True, b"1", b"2", 2]


def test_set_nx_xx(r):
    assert r.set("k", "1", xx=True) is None
    assert r.exists("k") == 0
    assert r.set("k", "1", nx=True) is True
    assert r.set("k", "2", nx=True) is None
    assert r.get("k") == b"1"
    assert r.set("k", "3", xx=True) is True
    assert r.get("k") == b"3"
    assert r.execute_command("SET", "k", "4", "nx", "NX") is None
    assert r.execute_command("SET", "k", "4", "xx", "XX") is True
    assert r.setnx("k", "5") is False
    assert r.setnx("new", "5") is True
    assert r.get("new") == b"5"


def test_set_get_option(r):
    assert r.set("k", "1", get=True) is None
    assert r.set("k", "2", get=True) == b"1"
    assert r.get("k") == b"2"
    # NX + GET on an existing key answers the old value and stores nothing.
    assert r.set("k", "3", nx=True, get=True) == b"2"
    assert r.get("k") == b"2"
    assert r.set("missing", "3", xx=True, get=True) is None
    assert r.exists("missing") == 0
    assert r.execute_command("SET", "k", "4", "GET", "GET", get=True) == b"2"


def test_set_reply_without_get_option_flag(r):
    # redis-py's SET callback is `response and response == "OK"` unless
    # told get=True: a falsy old value passes through, "OK" reads as True.
    r.set("k", "")
    assert r.execute_command("SET", "k", "OK", "GET") == b""
    assert r.execute_command("SET", "k", "x", "GET") is True
    assert r.execute_command("SET", "k", "y", "GET") is False
    assert r.execute_command("SET", "new", "y", "GET") is None


def test_set_overwrites_other_types_but_get_option_does_not(r):
    r.rpush("l", "a")
    assert err(r, "SET", "l", "v", "GET") == WRONGTYPE
    assert r.execute_command("TYPE", "l") == b"list"
    # Expiry errors come before the type check.
    assert err(r, "SET", "l", "v", "GET", "EX", "0") == INVALID_SET
    assert r.set("l", "v") is True
    assert r.get("l") == b"v"


def test_set_python_argument_checks(r):
    with pytest.raises(r.exc.DataError):
        r.set("k", "v", ex=1, px=1)
    with pytest.raises(r.exc.DataError):
        r.set("k", "v", ex=1, keepttl=True)
    with pytest.raises(r.exc.DataError):
        r.set("k", "v", nx=True, xx=True)
    with pytest.raises(r.exc.DataError, match="ex must be datetime.timedelta or int"):
        r.set("k", "v", ex=1.5)
    with pytest.raises(r.exc.DataError, match="px must be datetime.timedelta or int"):
        r.set("k", "v", px="10")
    # Huge Python ints go to the server, which rejects them.
    with pytest.raises(r.exc.ResponseError, match="not an integer"):
        r.set("k", "v", ex=2**64)
    with pytest.raises(r.exc.ResponseError, match="invalid expire"):
        r.set("k", "v", ex=0)
    assert r.set("k", "v", ex="010") is True
    assert 9 <= r.ttl("k") <= 10
    assert r.exists("k") == 1


def test_set_on_expired_key_with_nx(r):
    r.set("k", "v", px=1)
    time.sleep(0.01)
    assert r.set("k", "w", nx=True) is True
    assert r.get("k") == b"w"
    assert r.ttl("k") == -1
    r.set("k", "v", px=1)
    time.sleep(0.01)
    assert r.set("k", "w", xx=True) is None
    assert r.exists("k") == 0


def test_setex_psetex(r):
    assert r.setex("k", 100, "v") is True
    assert 99 <= r.ttl("k") <= 100
    assert r.setex("k", datetime.timedelta(seconds=20), "v") is True
    assert 19 <= r.ttl("k") <= 20
    assert r.psetex("k", 50_000, "w") is True
    assert 49 <= r.ttl("k") <= 50
    assert r.psetex("k", datetime.timedelta(milliseconds=30_500), "w") is True
    assert 29 <= r.ttl("k") <= 31
    assert r.get("k") == b"w"
    assert err(r, "SETEX", "k", "0", "v") == "invalid expire time in 'setex' command"
    assert err(r, "SETEX", "k", "-3", "v") == "invalid expire time in 'setex' command"
    assert err(r, "PSETEX", "k", "0", "v") == "invalid expire time in 'psetex' command"
    assert err(r, "SETEX", "k", "x", "v") == NOT_INT
    assert err(r, "SETEX", "k", "1") == "wrong number of arguments for 'setex' command"
    r.rpush("l", "a")
    assert r.setex("l", 10, "v") is True
    assert r.get("l") == b"v"


# ----------------------------------------------------------- GET variants


def test_get_and_mget(r):
    r.set("a", "1")
    r.rpush("l", "x")
    assert r.get("a") == b"1"
    assert err(r, "GET", "l") == WRONGTYPE
    assert r.mget("a", "l", "missing") == [b"1", None, None]
    assert r.mget(["a", "a"]) == [b"1", b"1"]
    assert err(r, "MGET") == "wrong number of arguments for 'mget' command"


def test_mget_no_keys_is_empty_list(r):
    # redis-py answers [] for no keys instead of sending MGET; so does
    # execute_command given its EMPTY_RESPONSE option for an error reply.
    assert r.mget([]) == []
    assert r.execute_command("MGET", EMPTY_RESPONSE=[]) == []
    assert r.execute_command("GET", "k", EMPTY_RESPONSE=[]) is None
    with pytest.raises(r.exc.ResponseError):
        r.execute_command("MGET")


def test_getset(r):
    assert r.getset("k", "1") is None
    r.expire("k", 100)
    assert r.getset("k", "2") == b"1"
    assert r.ttl("k") == -1
    r.rpush("l", "x")
    assert err(r, "GETSET", "l", "v") == WRONGTYPE
    assert r.execute_command("TYPE", "l") == b"list"


def test_getdel(r):
    r.set("k", "v")
    assert r.getdel("k") == b"v"
    assert r.exists("k") == 0
    assert r.getdel("k") is None
    r.rpush("l", "x")
    assert err(r, "GETDEL", "l") == WRONGTYPE
    assert r.exists("l") == 1


def test_getex(r):
    r.set("k", "v")
    assert r.getex("k") == b"v"
    assert r.ttl("k") == -1
    assert r.getex("k", ex=100) == b"v"
    assert 99 <= r.ttl("k") <= 100
    assert r.getex("k", px=50_000) == b"v"
    assert 49 <= r.ttl("k") <= 50
    assert r.getex("k", exat=int(time.time()) + 30) == b"v"
    assert 28 <= r.ttl("k") <= 30
    assert r.getex("k", pxat=int(time.time() * 1000) + 40_000) == b"v"
    assert 38 <= r.ttl("k") <= 40
    assert r.getex("k", ex=datetime.timedelta(seconds=20)) == b"v"
    assert 19 <= r.ttl("k") <= 20
    assert r.getex("k", exat=datetime.datetime.now() + datetime.timedelta(seconds=60)) == b"v"
    assert 58 <= r.ttl("k") <= 60
    assert r.getex("k", persist=True) == b"v"
    assert r.ttl("k") == -1
    assert r.getex("k", persist=True) == b"v"
    assert r.getex("missing", ex=10) is None
    assert r.exists("missing") == 0


def test_getex_absolute_time_in_the_past_deletes(r):
    r.set("k", "v")
    assert r.getex("k", exat=1) == b"v"
    assert r.exists("k") == 0
    r.set("k", "v")
    assert r.getex("k", pxat=int(time.time() * 1000) - 10) == b"v"
    assert r.exists("k") == 0


def test_getex_errors(r):
    r.set("k", "v")
    invalid = "invalid expire time in 'getex' command"
    assert err(r, "GETEX", "k", "EX", "0") == invalid
    assert err(r, "GETEX", "k", "PXAT", "-1") == invalid
    assert err(r, "GETEX", "k", "EX", "abc") == NOT_INT
    assert err(r, "GETEX", "k", "EX", "1", "PX", "1") == "syntax error"
    assert err(r, "GETEX", "k", "PERSIST", "EX", "1") == "syntax error"
    assert err(r, "GETEX", "k", "EX", "1", "PERSIST") == "syntax error"
    assert err(r, "GETEX", "k", "KEEPTTL") == "syntax error"
    assert err(r, "GETEX", "k", "NX") == "syntax error"
    assert err(r, "GETEX", "k", "GET") == "syntax error"
    assert err(r, "GETEX", "k", "EX") == "syntax error"
    assert r.ttl("k") == -1
    # A missing key answers nil before the expiry is validated.
    assert r.execute_command("GETEX", "missing", "EX", "abc") is None
    assert err(r, "GETEX", "missing", "FOO") == "syntax error"
    r.rpush("l", "x")
    assert err(r, "GETEX", "l", "EX", "0") == WRONGTYPE
    assert r.execute_command("GETEX", "k", "EX", "10", "ex", "100") == b"v"
    assert 99 <= r.ttl("k") <= 100
    with pytest.raises(r.exc.DataError, match="mutually exclusive"):
        r.getex("k", ex=1, persist=True)
    with pytest.raises(r.exc.DataError, match="ex must be"):
        r.getex("k", ex=1.5)


# ------------------------------------------------------------- MSET(NX)


def test_mset_msetnx(r):
    assert r.mset({"a": "1", "b": "2"}) is True
    assert r.mget("a", "b") == [b"1", b"2"]
    assert r.msetnx({"b": "x", "c": "3"}) is False
    assert r.exists("c") == 0
    assert r.msetnx({"c": "3", "d": "4"}) is True
    assert r.mget("c", "d") == [b"3", b"4"]
    assert err(r, "MSET", "a") == "wrong number of arguments for 'mset' command"
    assert err(r, "MSET", "a", "1", "b") == "wrong number of arguments for 'mset' command"
    assert err(r, "MSETNX", "a", "1", "b") == "wrong number of arguments for 'msetnx' command"
    r.expire("a", 100)
    r.rpush("l", "x")
    assert r.mset({"a": "9", "l": "v"}) is True
    assert r.ttl("a") == -1
    assert r.get("l") == b"v"
    # The same key twice: the last value wins.
    assert r.execute_command("MSETNX", "e", "1", "e", "2") == 1
    assert r.get("e") == b"2"


# -------------------------------------------------------------- counters


def test_incr_family(r):
    assert r.incr("n") == 1
    assert r.incr("n", 10) == 11
    assert r.incrby("n", -20) == -9
    assert r.decr("n") == -10
    assert r.decr("n", 5) == -15
    assert r.decrby("n", -15) == 0
    assert r.get("n") == b"0"
    assert r.decr("m") == -1


@pytest.mark.parametrize("value", ["abc", "1.5", " 1", "1 ", "+1", "01", "-0", "1e5", "", "99999999999999999999"])
def test_incr_rejects_non_integers(r, value):
    r.set("k", value)
    assert err(r, "INCR", "k") == NOT_INT
    assert r.get("k") == value.encode()


def test_incr_overflow_and_argument_errors(r):
    r.set("k", str(2**63 - 1))
    assert err(r, "INCR", "k") == "increment or decrement would overflow"
    r.set("k", str(-(2**63)))
    assert err(r, "DECR", "k") == "increment or decrement would overflow"
    assert r.incrby("k", 2**63 - 1) == -1
    assert err(r, "DECRBY", "k", str(-(2**63))) == "decrement would overflow"
    assert err(r, "INCRBY", "k", "1.0") == NOT_INT
    assert err(r, "INCRBY", "k", str(2**63)) == NOT_INT
    r.rpush("l", "x")
    assert err(r, "INCR", "l") == WRONGTYPE
    # The increment is parsed before the key's type is checked.
    assert err(r, "INCRBY", "l", "x") == NOT_INT
    assert err(r, "DECRBY", "l", str(-(2**63))) == "decrement would overflow"


def test_incr_keeps_ttl(r):
    r.set("k", "5", ex=100)
    assert r.incr("k") == 6
    assert 99 <= r.ttl("k") <= 100
    assert r.incrbyfloat("k", 0.5) == 6.5
    assert 99 <= r.ttl("k") <= 100
    assert r.append("k", "0") == 4
    assert 99 <= r.ttl("k") <= 100
    assert r.setrange("k", 0, "7") == 4
    assert 99 <= r.ttl("k") <= 100


@pytest.mark.parametrize(
    "start, incr, expected",
    [
        (None, "1", b"1"),
        (None, "1.5", b"1.5"),
        ("10.50", "0.1", b"10.6"),
        ("5.0e3", "2.0e2", b"5200"),
        ("1e5", "1", b"100001"),
        ("0", "0.1", b"0.1"),
        ("3", "-3", b"0"),
        ("1.1", "2.2", b"3.3"),
        ("1", "1e-20", b"1"),
        ("inf", "1", None),
        ("1e5000", "1", None),
        ("17179869184", "1.5", b"17179869185.5"),
        ("-0.0", "0", b"0"),
        ("1", "0x10", b"17"),
        (None, "1e30", b"1000000000000000000024696061952"),
        (None, "-7.25", b"-7.25"),
    ],
)
def test_incrbyfloat_results(r, start, incr, expected):
    if start is not None:
        r.set("f", start)
    if expected is None:
        with pytest.raises(r.exc.ResponseError):
            r.execute_command("INCRBYFLOAT", "f", incr)
        assert r.get("f") == start.encode()
    else:
        r.execute_command("INCRBYFLOAT", "f", incr)
        assert r.get("f") == expected


def test_incrbyfloat_python_and_errors(r):
    assert r.incrbyfloat("f") == 1.0
    assert r.incrbyfloat("f", 2.5) == 3.5
    assert isinstance(r.incrbyfloat("f", 0), float)
    r.set("s", "abc")
    assert err(r, "INCRBYFLOAT", "s", "1") == "value is not a valid float"
    assert err(r, "INCRBYFLOAT", "f", "abc") == "value is not a valid float"
    assert err(r, "INCRBYFLOAT", "f", "") == "value is not a valid float"
    assert err(r, "INCRBYFLOAT", "f", "inf") == "increment would produce NaN or Infinity"
    assert err(r, "INCRBYFLOAT", "f", "nan") == "value is not a valid float"
    # Long double range: twice DBL_MAX is still finite.
    r.set("big", "1e308")
    r.incrbyfloat("big", "1e308")
    assert r.get("big").startswith(b"19999999999999999999337")
    assert r.get("f") == b"3.5"
    r.rpush("l", "x")
    assert err(r, "INCRBYFLOAT", "l", "abc") == WRONGTYPE


# ------------------------------------------------------------ APPEND etc.


def test_append_and_strlen(r):
    assert r.append("k", "hello") == 5
    assert r.append("k", " world") == 11
    assert r.get("k") == b"hello world"
    assert r.append("k", "") == 11
    assert r.strlen("k") == 11
    assert r.strlen("missing") == 0
    r.set("n", 12345)
    assert r.strlen("n") == 5
    assert r.append("n", 6) == 6
    assert r.incr("n") == 123457
    r.rpush("l", "x")
    assert err(r, "APPEND", "l", "x") == WRONGTYPE
    assert err(r, "STRLEN", "l") == WRONGTYPE
    assert r.append("e", "") == 0
    assert r.exists("e") == 1


def test_append_many_times(r):
    for _ in range(2000):
        r.append("k", "ab")
    assert r.strlen("k") == 4000
    assert r.getrange("k", -4, -1) == b"abab"


def test_getrange_and_substr(r):
    r.set("k", "Hello World")
    assert r.getrange("k", 0, 4) == b"Hello"
    assert r.getrange("k", -5, -1) == b"World"
    assert r.getrange("k", 0, -1) == b"Hello World"
    assert r.getrange("k", 0, -100) == b"H"
    assert r.getrange("k", -100, -200) == b""
    assert r.getrange("k", -100, 2) == b"Hel"
    assert r.getrange("k", 5, 3) == b""
    assert r.getrange("k", 20, 30) == b""
    assert r.getrange("k", 6, 1000) == b"World"
    assert r.getrange("k", -1, -1) == b"d"
    assert r.getrange("missing", 0, -1) == b""
    assert r.substr("k", 6) == b"World"
    assert r.substr("k", 0, 1) == b"He"
    r.set("n", 12345)
    assert r.getrange("n", 1, 2) == b"23"
    r.set("e", "")
    assert r.getrange("e", 0, -1) == b""
    assert r.getrange("e", -1, 0) == b""
    big = str(2**63 - 1)
    assert r.execute_command("GETRANGE", "k", "-" + big, big) == b"Hello World"
    assert err(r, "GETRANGE", "k", "a", "1") == NOT_INT
    assert err(r, "GETRANGE", "k", "0", str(2**63)) == NOT_INT
    r.rpush("l", "x")
    assert err(r, "GETRANGE", "l", "0", "1") == WRONGTYPE
    assert err(r, "SUBSTR", "l", "x", "1") == NOT_INT
    assert err(r, "SUBSTR", "k", "1") == "wrong number of arguments for 'substr' command"


def test_getrange_decoded(rd):
    rd.set("k", "héllo")
    assert rd.getrange("k", 0, 0) == "h"
    assert rd.substr("k", 3) == "llo"


def test_setrange(r):
    assert r.setrange("k", 0, "Hello") == 5
    assert r.setrange("k", 1, "a") == 5
    assert r.get("k") == b"Hallo"
    assert r.setrange("k", 7, "!") == 8
    assert r.get("k") == b"Hallo\x00\x00!"
    assert r.setrange("pad", 3, "x") == 4
    assert r.get("pad") == b"\x00\x00\x00x"
    assert r.setrange("k", 2, "") == 8
    # Nothing to write on a missing key: no key is created.
    assert r.setrange("none", 10, "") == 0
    assert r.exists("none") == 0
    assert r.setrange("none", 2**62, "") == 0
    r.set("n", 1234)
    assert r.setrange("n", 1, "9") == 4
    assert r.incr("n") == 1935


def test_setrange_errors(r):
    r.set("k", "v")
    assert err(r, "SETRANGE", "k", "-1", "x") == "offset is out of range"
    assert err(r, "SETRANGE", "k", "x", "x") == NOT_INT
    assert err(r, "SETRANGE", "k", str(2**63), "x") == NOT_INT
    too_long = "string exceeds maximum allowed size (proto-max-bulk-len)"
    assert err(r, "SETRANGE", "k", str(512 * 1024 * 1024), "x") == too_long
    assert err(r, "SETRANGE", "new", str(2**63 - 1), "x") == too_long
    assert r.exists("new") == 0
    assert r.setrange("k", 2**62, "") == 1
    r.rpush("l", "x")
    assert err(r, "SETRANGE", "l", "0", "x") == WRONGTYPE
    assert err(r, "SETRANGE", "l", "0", "") == WRONGTYPE
    assert err(r, "SETRANGE", "l", "-1", "x") == "offset is out of range"
    assert r.get("k") == b"v"


# ------------------------------------------------------------------- LCS


def test_lcs_basic(r):
    r.mset({"a": "ohmytext", "b": "mynewtext"})
    assert r.lcs("a", "b") == b"mytext"
    assert r.lcs("a", "b", len=True) == 6
    assert r.lcs("a", "missing") == b""
    assert r.lcs("missing", "missing", len=True) == 0
    assert r.lcs("a", "a") == b"ohmytext"


def test_lcs_idx(r):
    r.mset({"a": "ohmytext", "b": "mynewtext"})
    assert r.lcs("a", "b", idx=True) == [
        b"matches", [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], b"len", 6,
    ]
    assert r.lcs("a", "b", idx=True, minmatchlen=4) == [b"matches", [[[4, 7], [5, 8]]], b"len", 6]
    assert r.lcs("a", "b", idx=True, withmatchlen=True) == [
        b"matches", [[[4, 7], [5, 8], 4], [[2, 3], [0, 1], 2]], b"len", 6,
    ]
    assert r.execute_command("LCS", "a", "b", "IDX", "MINMATCHLEN", "-5") == [
        b"matches", [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], b"len", 6,
    ]
    assert r.execute_command("LCS", "a", "missing", "IDX") == [b"matches", [], b"len", 0]
    r.mset({"x": "abcabcabc", "y": "cbacbacba"})
    assert r.lcs("x", "y") == r.lcs("x", "y")  # deterministic
    assert r.lcs("x", "y", idx=True, withmatchlen=True)[3] == len(r.lcs("x", "y"))


def test_lcs_decoded(rd):
    rd.mset({"a": "ohmytext", "b": "mynewtext"})
    assert rd.lcs("a", "b") == "mytext"
    assert rd.lcs("a", "b", idx=True)[0] == "matches"


def test_lcs_errors(r):
    r.mset({"a": "abc", "b": "abd"})
    r.rpush("l", "x")
    not_strings = "The specified keys must contain string values"
    assert err(r, "LCS", "a", "l") == not_strings
    assert err(r, "LCS", "l", "missing", "BADOPT") == not_strings
    assert err(r, "LCS", "a", "b", "BADOPT") == "syntax error"
    assert err(r, "LCS", "a", "b", "MINMATCHLEN") == "syntax error"
    assert err(r, "LCS", "a", "b", "MINMATCHLEN", "x") == NOT_INT
    both = "If you want both the length and indexes, please just use IDX."
    assert err(r, "LCS", "a", "b", "LEN", "IDX") == both
    assert err(r, "LCS", "a", "b", "IDX", "LEN", "FOO") == "syntax error"
    assert err(r, "LCS", "a") == "wrong number of arguments for 'lcs' command"


def test_lcs_table_limit(r):
    r.set("a", "x" * 12000)
    r.set("b", "y" * 12000)
    assert err(r, "LCS", "a", "b") == (
        "Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
    )


def test_lcs_larger_strings(r):
    a = "".join("acgt"[(i * 7 + i // 3) % 4] for i in range(300))
    b = "".join("acgt"[(i * 5 + i // 2) % 4] for i in range(250))
    r.mset({"a": a, "b": b})
    common = r.lcs("a", "b")
    assert r.lcs("a", "b", len=True) == len(common)
    assert len(common) == _lcs_len(a, b)
    reply = r.lcs("a", "b", idx=True, withmatchlen=True, minmatchlen=2)
    assert all(m[2] >= 2 for m in reply[1])


def _lcs_len(a: str, b: str) -> int:
    prev = [0] * (len(b) + 1)
    for ca in a:
        row = [0]
        for j, cb in enumerate(b):
            row.append(prev[j] + 1 if ca == cb else max(prev[j + 1], row[j]))
        prev = row
    return prev[-1]


# ------------------------------------------------------------- encodings


def test_string_encodings(r):
    r.set("int", "12345")
    assert encoding(r, "int") == "int"
    r.set("emb", "x" * 44)
    assert encoding(r, "emb") == "embstr"
    r.set("raw", "x" * 45)
    assert encoding(r, "raw") == "raw"
    r.set("long", "1" * 21)
    assert encoding(r, "long") == "embstr"
    r.set("lead", "012")
    assert encoding(r, "lead") == "embstr"
    r.append("int", "6")
    assert encoding(r, "int") == "raw"
    assert r.incr("int") == 123457
    assert encoding(r, "int") == "int"
    r.append("new", "5")
    assert encoding(r, "new") == "int"
    r.incrbyfloat("f", 3)
    assert r.get("f") == b"3"
    assert encoding(r, "f") == "embstr"
    r.setrange("sr", 0, "1")
    assert encoding(r, "sr") == "raw"
    r.set("sr2", "1")
    r.setrange("sr2", 0, "")
    assert encoding(r, "sr2") == "int"
    r.setrange("sr2", 0, "2")
    assert encoding(r, "sr2") == "raw"
    r.set("e", "abc")
    r.append("e", "")
    assert encoding(r, "e") == "raw"
    r.incrbyfloat("bigf", "1e50")
    assert encoding(r, "bigf") == "raw"


# ----------------------------------------------------------- transactions


def test_watch_sees_string_writes(r):
    r.set("k", "1")
    with r.pipeline() as pipe:
        pipe.watch("k")
        r.append("k", "2")
        pipe.multi()
        pipe.get("k")
        with pytest.raises(r.exc.WatchError):
            pipe.execute()
    with r.pipeline() as pipe:
        pipe.watch("k")
        r.setrange("k", 0, "")  # no change, no signal
        r.getex("k")
        pipe.multi()
        pipe.get("k")
        assert pipe.execute() == [b"12"]
