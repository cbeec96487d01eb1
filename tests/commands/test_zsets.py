"""Sorted set commands: every test runs on the embedded engine and on the
real redis-server (see conftest.py) and must pass on both."""

from __future__ import annotations

import time

import pytest

from support import encoding


def err(r, fn, *args, **kwargs) -> str:
    """The ResponseError text ``fn`` raises."""
    with pytest.raises(r.exc.ResponseError) as e:
        fn(*args, **kwargs)
    return str(e.value)


# --- ZADD / ZINCRBY -------------------------------------------------------


def test_zadd_basic_and_update(r):
    assert r.zadd("z", {"a": 1, "b": 2}) == 2
    assert r.zadd("z", {"a": 3, "c": 0}) == 1
    assert r.zrange("z", 0, -1, withscores=True) == [(b"c", 0.0), (b"b", 2.0), (b"a", 3.0)]
    assert r.zcard("z") == 3


def test_zadd_options(r):
    r.zadd("z", {"a": 5})
    assert r.zadd("z", {"a": 1, "b": 1}, nx=True) == 1
    assert r.zscore("z", "a") == 5.0
    assert r.zadd("z", {"a": 7, "c": 1}, xx=True) == 0
    assert r.zscore("z", "a") == 7.0 and r.zscore("z", "c") is None
    assert r.zadd("z", {"a": 6, "b": 9}, gt=True, ch=True) == 1
    assert r.zscore("z", "a") == 7.0 and r.zscore("z", "b") == 9.0
    assert r.zadd("z", {"a": 2, "b": 10}, lt=True, ch=True) == 1
    assert r.zscore("z", "a") == 2.0
    assert r.zadd("z", {"a": 2, "b": 3, "d": 1}, ch=True) == 2
    # GT still adds new members; XX + GT only touches existing ones.
    assert r.zadd("z", {"new": 1}, gt=True) == 1
    assert r.zadd("z", {"new2": 1, "a": 100}, xx=True, gt=True, ch=True) == 1
    assert r.zscore("z", "new2") is None


def test_zadd_incr(r):
    assert r.zadd("z", {"a": 1.5}, incr=True) == 1.5
    assert r.zadd("z", {"a": 1}, incr=True) == 2.5
    assert r.zadd("z", {"a": 1}, incr=True, nx=True) is None
    assert r.zadd("z", {"b": 1}, incr=True, xx=True) is None
    assert r.zadd("z", {"a": 1}, incr=True, gt=True) == 3.5
    assert r.zadd("z", {"a": -1}, incr=True, gt=True) is None
    assert r.zadd("z", {"a": -1}, incr=True, lt=True) == 2.5
    assert r.execute_command("ZADD", "z", "INCR", "1", "a", as_score=True) == 3.5
    assert r.execute_command("ZADD", "z", "XX", "INCR", "1", "zz") is None
    assert not r.exists("missing") and r.zadd("missing", {"a": 1}, xx=True) == 0
    assert not r.exists("missing")


def test_zadd_errors(r):
    r.zadd("z", {"a": 1})
    assert err(r, r.execute_command, "ZADD", "z", "NX", "XX", "1", "a") == (
        "XX and NX options at the same time are not compatible"
    )
    for opts in (("GT", "LT"), ("NX", "GT"), ("LT", "NX")):
        assert err(r, r.execute_command, "ZADD", "z", *opts, "1", "a") == (
            "GT, LT, and/or NX options at the same time are not compatible"
        )
    assert err(r, r.execute_command, "ZADD", "z", "INCR", "1", "a", "2", "b") == (
        "INCR option supports a single increment-element pair"
    )
    assert err(r, r.execute_command, "ZADD", "z", "1", "a", "2") == "syntax error"
    assert err(r, r.execute_command, "ZADD", "z", "NX", "1") == "syntax error"
    # The syntax check comes before the option conflicts.
    assert err(r, r.execute_command, "ZADD", "z", "NX", "XX", "1") == "syntax error"
    for bad in ("abc", "nan", "1e400", "", " 1", "1 "):
        assert err(r, r.execute_command, "ZADD", "z", bad, "a") == "value is not a valid float"
    # Every score is checked before anything is added.
    assert err(r, r.execute_command, "ZADD", "z", "1", "x", "bad", "y") == "value is not a valid float"
    assert r.zscore("z", "x") is None
    r.execute_command("ZADD", "z", "INCR", "inf", "a", as_score=True)
    assert err(r, r.execute_command, "ZADD", "z", "INCR", "-inf", "a") == (
        "resulting score is not a number (NaN)"
    )
    assert err(r, r.zincrby, "z", "-inf", "a") == "resulting score is not a number (NaN)"
    r.set("s", "v")
    assert err(r, r.zadd, "s", {"a": 1}).startswith("WRONGTYPE")
    # Parse errors win over WRONGTYPE.
    assert err(r, r.execute_command, "ZADD", "s", "x", "a") == "value is not a valid float"
    assert err(r, r.execute_command, "ZADD", "z") == "wrong number of arguments for 'zadd' command"


def test_zadd_accepted_score_syntax(r):
    scores = {"a": "1e3", "b": "-.5", "c": "+inf", "d": "-inf", "e": "0x10", "f": "1E-2"}
    for m, s in scores.items():
        r.execute_command("ZADD", "z", s, m)
    assert r.zrange("z", 0, -1, withscores=True) == [
        (b"d", float("-inf")), (b"b", -0.5), (b"f", 0.01), (b"e", 16.0),
        (b"a", 1000.0), (b"c", float("inf")),
    ]


def test_zincrby(r):
    assert r.zincrby("z", 2, "a") == 2.0
    assert r.zincrby("z", -0.5, "a") == 1.5
    assert r.zincrby("z", "inf", "a") == float("inf")
    assert err(r, r.zincrby, "z", "abc", "a") == "value is not a valid float"
    # ZINCRBY goes through ZADD's option parser.
    assert err(r, r.execute_command, "ZINCRBY", "z", "nx", "a") == "syntax error"
    assert r.execute_command("ZINCRBY", "z", "1", "nx") == 1.0
    r.set("s", "v")
    assert err(r, r.zincrby, "s", 1, "a").startswith("WRONGTYPE")


def test_scores_are_formatted_like_redis(r):
    r.zadd("z", {"a": 0.1, "b": 1e17, "c": 1 / 3, "d": 2**63, "e": -1.5e-300})
    assert r.zrange("z", 0, -1, withscores=True, score_cast_func=bytes) == [
        (b"e", b"-1.5000000000000001e-300"), (b"a", b"0.10000000000000001"),
        (b"c", b"0.33333333333333331"), (b"b", b"1e+17"), (b"d", b"9.2233720368547758e+18"),
    ]
    assert r.execute_command("ZSCORE", "z", "a") == 0.1


def test_negative_zero(r):
    # A listpack stores integral scores as integers, losing the sign of -0;
    # a skiplist keeps it.
    r.execute_command("ZADD", "small", "-0", "a")
    assert r.zrange("small", 0, -1, withscores=True, score_cast_func=bytes) == [(b"a", b"0")]
    assert r.execute_command("ZADD", "small", "INCR", "-0", "b") == 0.0
    r.zadd("big", {f"m{i}": i + 1 for i in range(130)})
    r.execute_command("ZADD", "big", "-0", "z")
    assert r.zrange("big", 0, 0, withscores=True, score_cast_func=bytes) == [(b"z", b"-0")]
    # Updating to a score that compares equal changes nothing.
    r.execute_command("ZADD", "big", "0", "z")
    assert r.zscore("big", "z") == 0.0
    assert r.zrange("big", 0, 0, withscores=True, score_cast_func=bytes) == [(b"z", b"-0")]


def test_ties_order_by_member_bytes(r):
    r.zadd("z", {"b": 1, "a": 1, "B": 1, "ab": 1, "\xff": 1, "": 1})
    assert r.zrange("z", 0, -1) == [b"", b"B", b"a", b"ab", b"b", "\xff".encode()]


# --- reads ------------------------------------------------------------------


def test_zscore_zmscore_zcard(r):
    r.zadd("z", {"a": 1, "b": 2})
    assert r.zscore("z", "a") == 1.0
    assert r.zscore("z", "x") is None
    assert r.zscore("missing", "a") is None
    assert r.zmscore("z", ["a", "x", "b"]) == [1.0, None, 2.0]
    assert r.zmscore("missing", ["a"]) == [None]
    assert r.zcard("z") == 2 and r.zcard("missing") == 0
    with pytest.raises(r.exc.DataError):
        r.zmscore("z", [])
    r.set("s", "v")
    for fn, args in ((r.zscore, ("s", "a")), (r.zmscore, ("s", ["a"])), (r.zcard, ("s",))):
        assert err(r, fn, *args).startswith("WRONGTYPE")


def test_zrank_zrevrank(r):
    r.zadd("z", {"a": 1, "b": 2, "c": 3})
    assert [r.zrank("z", m) for m in "abc"] == [0, 1, 2]
    assert [r.zrevrank("z", m) for m in "abc"] == [2, 1, 0]
    assert r.zrank("z", "x") is None and r.zrevrank("missing", "x") is None
    # WITHSCORE arrived in Redis 7.2: the 7.0 oracle refuses it, the
    # embedded engine follows 7.2 (test_newer_commands.py has the rest).
    if r.backend in ("oracle", "remote"):
        assert err(r, r.zrank, "z", "a", withscore=True) == (
            "wrong number of arguments for 'zrank' command"
        )
    else:
        assert r.zrank("z", "b", withscore=True) == [1, 2.0]
        assert r.zrevrank("z", "b", withscore=True) == [1, 2.0]


def test_zcount_zlexcount(r):
    r.zadd("z", {"a": 1, "b": 2, "c": 3, "d": 4})
    assert r.zcount("z", 2, 3) == 2
    assert r.zcount("z", "(2", "+inf") == 2
    assert r.zcount("z", "-inf", "(1") == 0
    assert r.zcount("z", 3, 2) == 0
    assert r.zcount("missing", 0, 1) == 0
    assert err(r, r.zcount, "z", "x", 1) == "min or max is not a float"
    assert err(r, r.zcount, "z", 1, "nan") == "min or max is not a float"
    r.zadd("lex", {m: 0 for m in "abcde"})
    assert r.zlexcount("lex", "-", "+") == 5
    assert r.zlexcount("lex", "[b", "(d") == 2
    assert r.zlexcount("lex", "(b", "[b") == 0
    assert r.zlexcount("lex", "+", "-") == 0
    assert err(r, r.zlexcount, "lex", "b", "+") == "min or max not valid string range item"
    assert err(r, r.zlexcount, "lex", "-x", "+") == "min or max not valid string range item"


def test_score_bounds_use_strtod(r):
    r.zadd("z", {"a": 1, "b": 2, "c": 3})
    # Range bounds accept what C's strtod does, unlike ZADD scores.
    assert r.zcount("z", " 2", "0x3") == 2
    assert r.zcount("z", "(", "+Infinity") == 3
    assert r.zcount("z", "", "1") == 1
    assert err(r, r.zcount, "z", "1x", "2") == "min or max is not a float"


# --- ranges -----------------------------------------------------------------


@pytest.fixture
def z5(r):
    r.zadd("z", {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5})
    return r


def test_zrange_by_rank(z5):
    r = z5
    assert r.zrange("z", 0, -1) == [b"a", b"b", b"c", b"d", b"e"]
    assert r.zrange("z", -2, 100) == [b"d", b"e"]
    assert r.zrange("z", 3, 1) == []
    assert r.zrange("z", 10, 20) == []
    assert r.zrange("z", -100, 0) == [b"a"]
    assert r.zrange("z", 0, 1, desc=True, withscores=True) == [(b"e", 5.0), (b"d", 4.0)]
    assert r.zrevrange("z", 1, 2) == [b"d", b"c"]
    assert r.zrange("missing", 0, -1) == []
    assert err(r, r.zrange, "z", "x", 1) == "value is not an integer or out of range"


def test_zrange_byscore(z5):
    r = z5
    assert r.zrange("z", 2, 4, byscore=True) == [b"b", b"c", b"d"]
    assert r.zrange("z", "(2", "+inf", byscore=True, offset=1, num=2) == [b"d", b"e"]
    assert r.zrange("z", 4, 2, byscore=True, desc=True, withscores=True) == [
        (b"d", 4.0), (b"c", 3.0), (b"b", 2.0)
    ]
    assert r.zrange("z", "-inf", "inf", byscore=True, offset=0, num=-1) == [b"a", b"b", b"c", b"d", b"e"]
    assert r.zrange("z", "-inf", "inf", byscore=True, offset=-1, num=10) == []
    assert r.zrange("z", "-inf", "inf", byscore=True, offset=5, num=10) == []
    assert r.zrange("z", "-inf", "inf", byscore=True, offset=1, num=0) == []
    assert r.zrangebyscore("z", 2, 3, withscores=True) == [(b"b", 2.0), (b"c", 3.0)]
    assert r.zrangebyscore("z", "-inf", "+inf", start=3, num=5) == [b"d", b"e"]
    assert r.zrevrangebyscore("z", "(5", 3) == [b"d", b"c"]
    assert r.zrevrangebyscore("z", "+inf", "-inf", start=1, num=1, withscores=True) == [(b"d", 4.0)]
    assert r.zrangebyscore("z", 3, 2) == []
    assert r.zrangebyscore("z", "(3", "(3") == []
    assert err(r, r.zrangebyscore, "z", "a", 1) == "min or max is not a float"


def test_zrange_bylex(r):
    r.zadd("z", {m: 0 for m in ("a", "b", "c", "d", "e")})
    assert r.zrange("z", "[b", "(d", bylex=True) == [b"b", b"c"]
    assert r.zrange("z", "+", "[c", bylex=True, desc=True) == [b"e", b"d", b"c"]
    assert r.zrange("z", "-", "+", bylex=True, offset=1, num=2) == [b"b", b"c"]
    assert r.zrangebylex("z", "-", "[c") == [b"a", b"b", b"c"]
    assert r.zrangebylex("z", "(a", "+", start=1, num=2) == [b"c", b"d"]
    assert r.zrevrangebylex("z", "[d", "(a") == [b"d", b"c", b"b"]
    assert r.zrevrangebylex("z", "+", "-", start=1, num=1) == [b"d"]
    assert r.zrangebylex("z", "-", "-") == [] and r.zrangebylex("z", "+", "+") == []
    assert r.zrangebylex("z", "[c", "[b") == []
    assert err(r, r.zrangebylex, "z", "a", "+") == "min or max not valid string range item"


def test_zrange_bylex_mixed_scores_small_set(r):
    # Lex ranges over mixed scores are unspecified, but a small (listpack)
    # set gives a deterministic answer from its linear scan.
    r.zadd("z", {"b": 1, "a": 2, "d": 3, "c": 4})
    assert r.zrangebylex("z", "[a", "+") == [b"b", b"a", b"d", b"c"]
    assert r.zrangebylex("z", "-", "[b") == [b"b", b"a"]
    assert r.zrangebylex("z", "(b", "+") == [b"d", b"c"]
    assert r.zrevrangebylex("z", "[c", "-") == [b"c", b"d", b"a", b"b"]
    assert r.zrevrangebylex("z", "(c", "-") == [b"a", b"b"]
    assert r.zrevrangebylex("z", "(c", "-", start=1, num=5) == [b"b"]
    assert r.zlexcount("z", "[a", "[b") == 2
    assert r.zremrangebylex("z", "(a", "[b") == 2
    assert r.zrange("z", 0, -1) == [b"d", b"c"]


def test_zrange_option_errors(z5):
    r = z5
    ex = r.execute_command
    assert err(r, ex, "ZRANGE", "z", 0, -1, "LIMIT", 0, 1) == (
        "syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
    )
    # Redis compares the count against its "no LIMIT" value.
    assert ex("ZRANGE", "z", 0, 1, "LIMIT", 5, -1) == [b"a", b"b"]
    assert err(r, ex, "ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES") == (
        "syntax error, WITHSCORES not supported in combination with BYLEX"
    )
    assert err(r, ex, "ZRANGE", "z", 0, 1, "BYSCORE", "BYLEX") == "syntax error"
    assert err(r, ex, "ZRANGE", "z", 0, 1, "REV", "REV") == "syntax error"
    assert err(r, ex, "ZRANGE", "z", 0, 1, "LIMIT", 1) == "syntax error"
    assert err(r, ex, "ZRANGE", "z", 0, 1, "BYSCORE", "LIMIT", "x", 1) == (
        "value is not an integer or out of range"
    )
    assert err(r, ex, "ZREVRANGE", "z", 0, 1, "REV") == "syntax error"
    assert err(r, ex, "ZREVRANGE", "z", 0, 1, "LIMIT", 0, 1) == (
        "syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
    )
    assert err(r, ex, "ZRANGEBYSCORE", "z", 0, 1, "BYLEX") == "syntax error"
    assert err(r, ex, "ZRANGEBYLEX", "z", "-", "+", "WITHSCORES") == (
        "syntax error, WITHSCORES not supported in combination with BYLEX"
    )
    # Option errors come before range errors, which come before WRONGTYPE.
    r.set("s", "v")
    assert err(r, ex, "ZRANGE", "s", "x", 1, "FOO") == "syntax error"
    assert err(r, ex, "ZRANGE", "s", "x", 1) == "value is not an integer or out of range"
    assert err(r, ex, "ZRANGE", "s", 0, 1).startswith("WRONGTYPE")
    assert err(r, ex, "ZRANGE", "z") == "wrong number of arguments for 'zrange' command"


def test_zrange_redis_py_data_errors(r):
    with pytest.raises(r.exc.DataError):
        r.zrange("z", 0, 1, byscore=True, bylex=True)
    with pytest.raises(r.exc.DataError):
        r.zrange("z", 0, 1, byscore=True, offset=1)
    with pytest.raises(r.exc.DataError):
        r.zrange("z", "-", "+", bylex=True, withscores=True)
    with pytest.raises(r.exc.DataError):
        r.zrangebyscore("z", 0, 1, start=1)
    with pytest.raises(r.exc.DataError):
        r.zrevrangebylex("z", "+", "-", num=1)


def test_raw_withscores_replies(r2):
    # Without the withscores option, redis-py (protocol 2) hands back the
    # flat [member, score-text, ...] reply.
    r = r2
    r.zadd("z", {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5})
    ex = r.execute_command
    assert ex("ZRANGE", "z", 0, 1, "WITHSCORES") == [b"a", b"1", b"b", b"2"]
    assert ex("ZREVRANGEBYSCORE", "z", "+inf", 4, "WITHSCORES") == [b"e", b"5", b"d", b"4"]
    assert ex("ZUNION", 1, "z", "WITHSCORES")[:2] == [b"a", b"1"]
    assert ex("ZDIFF", 1, "z", "WITHSCORES")[-2:] == [b"e", b"5"]
    assert ex("ZRANDMEMBER", "z", 10, "WITHSCORES")[:4] == [b"e", b"5", b"d", b"4"]
    assert ex("ZRANGE", "z", 0, 1) == [b"a", b"b"]
    assert ex("ZPOPMIN", "z") == [(b"a", 1.0)]
    assert ex("ZMPOP", 1, "z", "MIN") == [b"z", [[b"b", b"2"]]]
    assert ex("ZSCAN", "z", 0) == (0, [(b"c", 3.0), (b"d", 4.0), (b"e", 5.0)])


def test_decode_responses(make):
    rd = make(decode_responses=True, protocol=2)
    rd.zadd("z", {"a": 1, "b": 2.5})
    assert rd.zrange("z", 0, -1, withscores=True) == [("a", 1.0), ("b", 2.5)]
    # Custom casts see the score's text, decoded like every other string.
    assert rd.zrange("z", 0, -1, withscores=True, score_cast_func=lambda s: s) == [
        ("a", "1"), ("b", "2.5")
    ]
    assert rd.zrangebyscore("z", 0, 5, withscores=True, score_cast_func=int) == [("a", 1), ("b", 2)]
    assert rd.zrevrange("z", 0, 0, withscores=True, score_cast_func=str) == [("b", "2.5")]
    assert rd.zdiff(["z"], withscores=True) == ["a", "1", "b", "2.5"]
    assert rd.zrandmember("z", 5, withscores=True) == ["b", "2.5", "a", "1"]
    assert rd.zscan("z", score_cast_func=lambda s: s) == (0, [("a", "1"), ("b", "2.5")])
    assert rd.execute_command("ZRANGE", "z", 0, -1, "WITHSCORES") == ["a", "1", "b", "2.5"]
    assert rd.zpopmax("z") == [("b", 2.5)]
    assert rd.zmpop(1, ["z"], max=True) == ["z", [["a", "1"]]]


def test_score_cast_func(r):
    r.zadd("z", {"a": 1, "b": 2.5})
    assert r.zrange("z", 0, -1, withscores=True, score_cast_func=int) == [(b"a", 1), (b"b", 2)]
    assert r.zrange("z", 0, -1, withscores=True, score_cast_func=str) == [
        (b"a", "b'1'"), (b"b", "b'2.5'")
    ]
    assert r.zunion(["z"], withscores=True, score_cast_func=int) == [(b"a", 1), (b"b", 2)]
    assert r.zscan("z", score_cast_func=int) == (0, [(b"a", 1), (b"b", 2)])
    assert list(r.zscan_iter("z", score_cast_func=str)) == [(b"a", "b'1'"), (b"b", "b'2.5'")]


# --- ZRANGESTORE --------------------------------------------------------------


def test_zrangestore(z5):
    r = z5
    assert r.zrangestore("dst", "z", 1, 2) == 2
    assert r.zrange("dst", 0, -1, withscores=True) == [(b"b", 2.0), (b"c", 3.0)]
    assert r.zrangestore("dst", "z", "(3", "inf", byscore=True, desc=False, offset=1, num=5) == 1
    assert r.zrange("dst", 0, -1) == [b"e"]
    assert r.zrangestore("dst", "z", "+", "[c", bylex=True, desc=True) == 3
    assert r.zrange("dst", 0, -1) == [b"c", b"d", b"e"]
    r.expire("dst", 100)
    assert r.zrangestore("dst", "z", 0, 0) == 1
    assert r.ttl("dst") == -1
    # An empty result deletes the destination.
    assert r.zrangestore("dst", "z", 10, 20) == 0
    assert not r.exists("dst")
    r.set("dst", "x")
    assert r.zrangestore("dst", "missing", 0, -1) == 0
    assert not r.exists("dst")
    assert r.zrangestore("z", "z", 0, 1) == 2
    assert r.zrange("z", 0, -1) == [b"a", b"b"]
    ex = r.execute_command
    assert err(r, ex, "ZRANGESTORE", "d", "z", 0, 1, "WITHSCORES") == "syntax error"
    r.set("s", "v")
    r.zadd("keep", {"k": 1})
    assert err(r, ex, "ZRANGESTORE", "keep", "s", 0, 1).startswith("WRONGTYPE")
    assert r.zrange("keep", 0, -1) == [b"k"]


# --- removal ------------------------------------------------------------------


def test_zrem(r):
    r.zadd("z", {"a": 1, "b": 2, "c": 3})
    assert r.zrem("z", "a", "x", "a") == 1
    assert r.zrem("missing", "a") == 0
    assert r.zrem("z", "b", "c", "d") == 2
    assert not r.exists("z")
    r.set("s", "v")
    assert err(r, r.zrem, "s", "a").startswith("WRONGTYPE")


def test_zremrangebyrank(z5):
    r = z5
    assert r.zremrangebyrank("z", -2, -1) == 2
    assert r.zremrangebyrank("z", 5, 10) == 0
    assert r.zremrangebyrank("z", 1, 0) == 0
    assert r.zrange("z", 0, -1) == [b"a", b"b", b"c"]
    assert r.zremrangebyrank("z", 0, 100) == 3
    assert not r.exists("z")
    assert r.zremrangebyrank("missing", 0, 1) == 0
    assert err(r, r.zremrangebyrank, "z", "a", 1) == "value is not an integer or out of range"


def test_zremrangebyscore_and_bylex(z5):
    r = z5
    assert r.zremrangebyscore("z", "(1", 3) == 2
    assert r.zremrangebyscore("z", 10, 0) == 0
    assert r.zrange("z", 0, -1) == [b"a", b"d", b"e"]
    assert err(r, r.zremrangebyscore, "z", "x", 1) == "min or max is not a float"
    r.zadd("lex", {m: 0 for m in "abcde"})
    assert r.zremrangebylex("lex", "[b", "(d") == 2
    assert r.zremrangebylex("lex", "-", "+") == 3
    assert not r.exists("lex")
    assert err(r, r.zremrangebylex, "z", "x", "+") == "min or max not valid string range item"
    r.set("s", "v")
    assert err(r, r.zremrangebyscore, "s", 0, 1).startswith("WRONGTYPE")
    # The range is validated before the key is looked up.
    assert err(r, r.zremrangebyscore, "s", "x", 1) == "min or max is not a float"


# --- pops ---------------------------------------------------------------------


def test_zpopmin_zpopmax(z5):
    r = z5
    assert r.zpopmin("z") == [(b"a", 1.0)]
    assert r.zpopmax("z", 2) == [(b"e", 5.0), (b"d", 4.0)]
    assert r.zpopmin("z", 0) == []
    assert r.zpopmin("z", 10) == [(b"b", 2.0), (b"c", 3.0)]
    assert not r.exists("z")
    assert r.zpopmin("z") == [] and r.zpopmax("missing", 3) == []
    ex = r.execute_command
    assert err(r, ex, "ZPOPMIN", "z", -1) == "value is out of range, must be positive"
    assert err(r, ex, "ZPOPMIN", "z", "x") == "value is out of range, must be positive"
    assert err(r, ex, "ZPOPMAX", "z", 1, 2) == "syntax error"
    r.set("s", "v")
    assert err(r, r.zpopmin, "s").startswith("WRONGTYPE")
    assert err(r, r.zpopmin, "s", 0).startswith("WRONGTYPE")


def test_zmpop(r):
    r.zadd("z1", {"a": 1, "b": 2, "c": 3})
    assert r.zmpop(2, ["missing", "z1"], min=True) == [b"z1", [[b"a", b"1"]]]
    assert r.zmpop(1, ["z1"], max=True, count=5) == [b"z1", [[b"c", b"3"], [b"b", b"2"]]]
    assert not r.exists("z1")
    assert r.zmpop(2, ["z1", "missing"], min=True) is None
    with pytest.raises(r.exc.DataError):
        r.zmpop(1, ["z1"], min=True, max=True)
    ex = r.execute_command
    assert err(r, ex, "ZMPOP", 0, "z1", "MIN") == "numkeys should be greater than 0"
    assert err(r, ex, "ZMPOP", "x", "z1", "MIN") == "numkeys should be greater than 0"
    assert err(r, ex, "ZMPOP", 2, "z1", "MIN") == "syntax error"
    assert err(r, ex, "ZMPOP", 1, "z1", "MIDDLE") == "syntax error"
    assert err(r, ex, "ZMPOP", 1, "z1", "MIN", "COUNT", 0) == "count should be greater than 0"
    assert err(r, ex, "ZMPOP", 1, "z1", "MIN", "COUNT", "x") == "count should be greater than 0"
    assert err(r, ex, "ZMPOP", 1, "z1", "MIN", "COUNT", 1, "COUNT", 1) == "syntax error"
    assert err(r, ex, "ZMPOP", 1, "z1", "MIN", "COUNT") == "syntax error"
    r.set("s", "v")
    r.zadd("z2", {"x": 1})
    # The first existing key decides; a wrong type there is an error.
    assert err(r, ex, "ZMPOP", 2, "s", "z2", "MIN").startswith("WRONGTYPE")
    assert ex("ZMPOP", 2, "z2", "s", "MIN") == [b"z2", [[b"x", b"1"]]]


# --- ZRANDMEMBER ----------------------------------------------------------------


def test_zrandmember(r):
    members = {"a": 1, "b": 2, "c": 3, "d": 4}
    r.zadd("z", members)
    assert r.zrandmember("z") in {m.encode() for m in members}
    assert r.zrandmember("missing") is None
    assert r.zrandmember("missing", 3) == []
    picks = r.zrandmember("z", 3)
    assert len(picks) == 3 == len(set(picks))
    assert len(r.zrandmember("z", -10)) == 10
    assert set(r.zrandmember("z", -10)) <= set(r.zrange("z", 0, -1))
    assert r.zrandmember("z", 0) == []
    # Asking for at least the whole set returns it, highest first.
    assert r.zrandmember("z", 4) == [b"d", b"c", b"b", b"a"]
    assert r.zrandmember("z", 100, withscores=True) == [
        b"d", b"4", b"c", b"3", b"b", b"2", b"a", b"1"
    ]
    pairs = r.zrandmember("z", -5, withscores=True)
    assert len(pairs) == 10
    for m, s in zip(pairs[::2], pairs[1::2]):
        assert float(s) == members[m.decode()]
    ex = r.execute_command
    assert err(r, ex, "ZRANDMEMBER", "z", "x") == "value is not an integer or out of range"
    assert err(r, ex, "ZRANDMEMBER", "z", 1, "FOO") == "syntax error"
    assert err(r, ex, "ZRANDMEMBER", "z", 1, "WITHSCORES", "x") == "syntax error"
    assert err(r, ex, "ZRANDMEMBER", "z", -(2**63)) == (
        "value is out of range, value must between -9223372036854775807 and 9223372036854775807"
    )
    assert err(r, ex, "ZRANDMEMBER", "z", 2**62, "WITHSCORES") == "value is out of range"
    r.set("s", "v")
    assert err(r, r.zrandmember, "s").startswith("WRONGTYPE")
    assert err(r, r.zrandmember, "s", 0).startswith("WRONGTYPE")


def test_zrandmember_big_set(r):
    r.zadd("z", {f"m{i}": i for i in range(300)})
    for count in (5, 150, 299):
        picks = r.zrandmember("z", count)
        assert len(set(picks)) == count
    pairs = r.zrandmember("z", 3, withscores=True)
    for m, s in zip(pairs[::2], pairs[1::2]):
        assert int(m[1:]) == float(s)


# --- set algebra ----------------------------------------------------------------


@pytest.fixture
def two(r):
    r.zadd("a", {"x": 1, "y": 2, "z": 3})
    r.zadd("b", {"y": 10, "z": 20, "w": 30})
    return r


def test_zunion_zinter_zdiff(two):
    r = two
    assert r.zunion(["a", "b"], withscores=True) == [
        (b"x", 1.0), (b"y", 12.0), (b"z", 23.0), (b"w", 30.0)
    ]
    assert r.zunion({"a": 2, "b": -1}, aggregate="MIN", withscores=True) == [
        (b"w", -30.0), (b"z", -20.0), (b"y", -10.0), (b"x", 2.0)
    ]
    assert r.zinter(["a", "b"], aggregate="max", withscores=True) == [(b"y", 10.0), (b"z", 20.0)]
    assert r.zinter(["a", "b"]) == [b"y", b"z"]
    assert r.zinter(["a", "missing"]) == []
    assert r.zdiff(["a", "b"]) == [b"x"]
    assert r.zdiff(["b", "a"], withscores=True) == [b"w", b"30"]
    assert r.zdiff(["a", "a"]) == []
    assert r.zunion(["missing"]) == []


def test_store_variants(two):
    r = two
    assert r.zunionstore("u", ["a", "b"]) == 4
    assert r.zrange("u", 0, -1, withscores=True) == [(b"x", 1.0), (b"y", 12.0), (b"z", 23.0), (b"w", 30.0)]
    assert r.zinterstore("i", {"a": 10, "b": 1}, aggregate="SUM") == 2
    assert r.zrange("i", 0, -1, withscores=True) == [(b"y", 30.0), (b"z", 50.0)]
    assert r.zdiffstore("d", ["a", "b"]) == 1
    assert r.zrange("d", 0, -1, withscores=True) == [(b"x", 1.0)]
    r.expire("d", 100)
    assert r.zdiffstore("d", ["b", "a"]) == 1
    assert r.ttl("d") == -1
    # Empty results delete the destination, whatever its type.
    r.set("i", "string")
    assert r.zinterstore("i", ["a", "missing"]) == 0
    assert not r.exists("i")
    assert r.zdiffstore("d", ["a", "a"]) == 0
    assert not r.exists("d")
    # The destination may be an input.
    assert r.zunionstore("a", ["a", "b"], aggregate="max") == 4
    assert r.zrange("a", 0, -1, withscores=True) == [(b"x", 1.0), (b"y", 10.0), (b"z", 20.0), (b"w", 30.0)]


def test_sets_count_as_score_one(r):
    r.sadd("s", "x", "y", "1")
    r.zadd("z", {"x": 5, "q": 2})
    assert r.zunion(["s", "z"], withscores=True) == [
        (b"1", 1.0), (b"y", 1.0), (b"q", 2.0), (b"x", 6.0)
    ]
    assert r.zinter(["z", "s"], withscores=True) == [(b"x", 6.0)]
    assert r.zdiff(["s", "z"], withscores=True) == [b"1", b"1", b"y", b"1"]
    assert r.zintercard(2, ["s", "z"]) == 1
    assert r.zinterstore("out", ["s", "s"]) == 3
    assert r.zrange("out", 0, -1, withscores=True) == [(b"1", 2.0), (b"x", 2.0), (b"y", 2.0)]


def test_infinities_and_nan_in_aggregation(r2):
    r = r2  # RESP2 raw reply shapes (protocol=2)
    r.zadd("p", {"m": float("inf"), "n": 0, "o": 1})
    r.zadd("q", {"m": float("-inf"), "n": float("inf"), "o": 2})
    # inf + -inf is NaN, which Redis stores as 0.
    assert r.zunion(["p", "q"], withscores=True) == [
        (b"m", 0.0), (b"o", 3.0), (b"n", float("inf"))
    ]
    assert r.zinter(["p", "q"], withscores=True) == [(b"m", 0.0), (b"o", 3.0), (b"n", float("inf"))]
    # A zero weight times infinity is NaN, also 0.
    assert r.zunion({"p": 0, "q": 1}, withscores=True) == [
        (b"m", float("-inf")), (b"o", 2.0), (b"n", float("inf"))
    ]
    assert r.execute_command("ZUNION", 2, "p", "q", "WEIGHTS", 0, 0, "WITHSCORES") == [
        b"m", b"0", b"n", b"0", b"o", b"0"
    ]
    assert r.execute_command(
        "ZINTER", 2, "p", "q", "WEIGHTS", 1, 0, "AGGREGATE", "MIN", "WITHSCORES"
    ) == [b"n", b"0", b"o", b"0", b"m", b"inf"]
    assert r.execute_command("ZUNION", 1, "p", "WEIGHTS", "-inf", "WITHSCORES") == [
        b"m", b"-inf", b"o", b"-inf", b"n", b"0"
    ]


def test_negative_zero_in_store_results(r2):
    r = r2  # RESP2 raw reply shapes (protocol=2)
    r.zadd("p", {"a": 0})
    # Weight -1 makes -0: kept in replies (and skiplists), lost in listpacks.
    assert r.execute_command("ZUNION", 1, "p", "WEIGHTS", -1, "WITHSCORES") == [b"a", b"-0"]
    assert r.zunion({"p": -1}, withscores=True, score_cast_func=bytes) == [(b"a", b"-0")]
    r.zunionstore("out", {"p": -1})
    assert r.zrange("out", 0, -1, withscores=True, score_cast_func=bytes) == [(b"a", b"0")]


def test_setop_errors(r2):
    r = r2
    r.zadd("a", {"x": 1, "y": 2, "z": 3})
    r.zadd("b", {"y": 10, "z": 20, "w": 30})
    ex = r.execute_command
    assert err(r, ex, "ZUNION", 0, "a") == "at least 1 input key is needed for 'zunion' command"
    assert err(r, ex, "ZINTERSTORE", "d", 0, "a") == (
        "at least 1 input key is needed for 'zinterstore' command"
    )
    assert err(r, ex, "ZDIFF", -1, "a") == "at least 1 input key is needed for 'zdiff' command"
    assert err(r, ex, "ZUNION", "x", "a") == "value is not an integer or out of range"
    assert err(r, ex, "ZUNION", 3, "a", "b") == "syntax error"
    assert err(r, ex, "ZUNION", 2, "a", "b", "WEIGHTS", 1) == "syntax error"
    assert err(r, ex, "ZUNION", 2, "a", "b", "WEIGHTS", 1, "x") == "weight value is not a float"
    assert err(r, ex, "ZUNION", 1, "a", "AGGREGATE", "avg") == "syntax error"
    assert err(r, ex, "ZUNION", 1, "a", "AGGREGATE", "count") == "syntax error"
    assert err(r, ex, "ZUNION", 1, "a", "AGGREGATE") == "syntax error"
    assert err(r, ex, "ZDIFF", 1, "a", "WEIGHTS", 2) == "syntax error"
    assert err(r, ex, "ZDIFF", 1, "a", "AGGREGATE", "SUM") == "syntax error"
    assert err(r, ex, "ZUNIONSTORE", "d", 1, "a", "WITHSCORES") == "syntax error"
    assert err(r, ex, "ZINTERCARD", 1, "a", "WITHSCORES") == "syntax error"
    assert err(r, ex, "ZINTERCARD", 1, "a", "WEIGHTS", 1) == "syntax error"
    r.set("s", "v")
    # Key types are checked before the options.
    assert err(r, ex, "ZUNION", 2, "a", "s", "BOGUS").startswith("WRONGTYPE")
    assert err(r, ex, "ZDIFFSTORE", "d", 2, "a", "s").startswith("WRONGTYPE")
    r.rpush("l", "x")
    assert err(r, ex, "ZINTER", 1, "l").startswith("WRONGTYPE")
    # Options may repeat; the last one wins.
    assert ex("ZUNION", 1, "a", "WEIGHTS", 2, "WEIGHTS", 3, "AGGREGATE", "MIN", "WITHSCORES")[:2] == [b"x", b"3"]
    with pytest.raises(r.exc.DataError):
        r.zunion(["a"], aggregate="avg")


def test_zintercard(two):
    r = two
    assert r.zintercard(2, ["a", "b"]) == 2
    assert r.zintercard(2, ["a", "b"], limit=1) == 1
    assert r.zintercard(2, ["a", "b"], limit=10) == 2
    assert r.zintercard(1, ["missing"]) == 0
    ex = r.execute_command
    assert err(r, ex, "ZINTERCARD", 2, "a", "b", "LIMIT", -1) == "LIMIT can't be negative"
    assert err(r, ex, "ZINTERCARD", 2, "a", "b", "LIMIT", "x") == "LIMIT can't be negative"
    assert err(r, ex, "ZINTERCARD", 0, "a") == "at least 1 input key is needed for 'zintercard' command"


# --- ZSCAN ----------------------------------------------------------------------


def test_zscan_small(r):
    r.zadd("z", {"b": 2, "a": 1.5, "c": 3})
    assert r.zscan("z") == (0, [(b"a", 1.5), (b"b", 2.0), (b"c", 3.0)])
    assert r.zscan("z", match="[ab]", count=1) == (0, [(b"a", 1.5), (b"b", 2.0)])
    assert r.zscan("missing") == (0, [])
    ex = r.execute_command
    assert err(r, ex, "ZSCAN", "z", "x") == "invalid cursor"
    assert err(r, ex, "ZSCAN", "z", " 1") == "invalid cursor"
    assert err(r, ex, "ZSCAN", "z", 0, "COUNT", 0) == "syntax error"
    assert err(r, ex, "ZSCAN", "z", 0, "COUNT", "x") == "value is not an integer or out of range"
    assert err(r, ex, "ZSCAN", "z", 0, "TYPE", "zset") == "syntax error"
    assert err(r, ex, "ZSCAN", "z", 0, "MATCH") == "syntax error"
    # Missing keys are answered before the options are parsed.
    assert ex("ZSCAN", "missing", 0, "COUNT", 0) == (0, [])
    r.set("s", "v")
    assert err(r, r.zscan, "s").startswith("WRONGTYPE")


def test_zscan_listpack_scores_are_stored_text(r):
    # A listpack keeps integral scores as integers, so ZSCAN shows them
    # without an exponent; ZSCORE formats the double.
    r.zadd("z", {"a": 1e17})
    assert r.zscan("z", score_cast_func=bytes) == (0, [(b"a", b"100000000000000000")])
    assert r.zrange("z", 0, -1, withscores=True, score_cast_func=bytes) == [(b"a", b"1e+17")]


def test_zscan_big_set_visits_everything(r):
    members = {f"m{i}": i for i in range(500)}
    r.zadd("z", members)
    seen = {}
    cursor = 0
    while True:
        cursor, items = r.zscan("z", cursor, count=20)
        seen.update(items)
        if cursor == 0:
            break
    assert seen == {m.encode(): float(s) for m, s in members.items()}
    assert dict(r.zscan_iter("z", match="m1?")) == {f"m1{i}".encode(): float(10 + i) for i in range(10)}


# --- encodings, TTLs, transactions ---------------------------------------------


def test_encodings(r):
    r.zadd("small", {"a": 1})
    assert encoding(r, "small") == "listpack"
    r.zadd("many", {f"m{i}": i for i in range(128)})
    assert encoding(r, "many") == "listpack"
    r.zadd("many", {"one-more": 0})
    assert encoding(r, "many") == "skiplist"
    r.zremrangebyrank("many", 0, -3)
    assert encoding(r, "many") == "skiplist"
    r.zadd("long", {"x" * 65: 1})
    assert encoding(r, "long") == "skiplist"
    r.zadd("long2", {"x" * 64: 1})
    assert encoding(r, "long2") == "listpack"
    # Store results are converted back when small enough.
    assert r.zunionstore("u", ["many"]) == 2
    assert encoding(r, "u") == "listpack"
    r.zrangestore("rs", "many", 0, -1)
    assert encoding(r, "rs") == "listpack"
    r.zadd("big", {f"m{i}": i for i in range(200)})
    r.zrangestore("rs", "big", 0, 127)
    assert encoding(r, "rs") == "listpack"
    r.zrangestore("rs", "big", 0, 128)
    assert encoding(r, "rs") == "skiplist"
    r.zrangestore("rs", "big", "-inf", "inf", byscore=True)
    assert encoding(r, "rs") == "skiplist"
    r.zinterstore("i", ["big", "big"])
    assert encoding(r, "i") == "skiplist"


def test_ttl_is_kept_by_changes(r):
    r.zadd("z", {"a": 1, "b": 2})
    r.expire("z", 100)
    r.zadd("z", {"c": 3})
    r.zincrby("z", 1, "a")
    r.zrem("z", "c")
    r.zpopmin("z")
    assert 0 < r.ttl("z") <= 100


def test_expired_keys_are_missing(r):
    r.zadd("z", {"a": 1})
    r.zadd("src", {"x": 1})
    r.execute_command("PEXPIRE", "z", 30)
    r.execute_command("PEXPIRE", "src", 30)
    time.sleep(0.1)
    assert r.zcard("z") == 0
    assert r.zunionstore("u", ["src", "missing"]) == 0
    assert r.zadd("z", {"b": 2}) == 1
    assert r.zrange("z", 0, -1) == [b"b"]
    assert r.ttl("z") == -1


def test_pipeline_and_transaction_shapes(r):
    r.zadd("z", {"a": 1, "b": 2})
    pipe = r.pipeline()
    pipe.zrange("z", 0, -1, withscores=True).zpopmax("z").zscore("z", "a").zmpop(1, ["z"], min=True)
    assert pipe.execute() == [[(b"a", 1.0), (b"b", 2.0)], [(b"b", 2.0)], 1.0, [b"z", [[b"a", b"1"]]]]


def test_wrongtype_everywhere(r):
    r.set("s", "v")
    calls = [
        (r.zcount, ("s", 0, 1)), (r.zlexcount, ("s", "-", "+")), (r.zrank, ("s", "a")),
        (r.zrevrank, ("s", "a")), (r.zrangebylex, ("s", "-", "+")),
        (r.zrevrangebyscore, ("s", 1, 0)), (r.zremrangebyrank, ("s", 0, 1)),
        (r.zremrangebylex, ("s", "-", "+")), (r.zpopmax, ("s",)), (r.zintercard, (1, ["s"])),
        (r.zunionstore, ("d", ["s"])), (r.zrevrange, ("s", 0, 1)),
    ]
    for fn, args in calls:
        assert err(r, fn, *args).startswith("WRONGTYPE"), fn.__name__


def test_big_set_queries_match_a_model(r):
    """Skiplist-encoded sets against a sorted-list model: ranks, score and
    lex ranges with LIMIT, counts and removals."""
    import random

    rng = random.Random(7)
    scores = {f"m{i:03d}": rng.randint(0, 20) for i in range(300)}
    r.zadd("z", scores)
    model = sorted(scores.items(), key=lambda kv: (kv[1], kv[0]))
    names = [m.encode() for m, _ in model]
    for _ in range(40):
        lo, hi = sorted(rng.sample(range(-2, 23), 2))
        offset, count = rng.randint(0, 320), rng.choice([-1, 0, 1, 5, 50, 400])
        sel = [m.encode() for m, s in model if lo <= s <= hi]
        want = sel[offset:] if count < 0 else sel[offset:offset + count]
        assert r.zrangebyscore("z", lo, hi, start=offset, num=count) == want
        rev = sel[::-1]
        want = rev[offset:] if count < 0 else rev[offset:offset + count]
        assert r.zrevrangebyscore("z", hi, lo, start=offset, num=count) == want
        assert r.zcount("z", f"({lo}", hi) == len([1 for _, s in model if lo < s <= hi])
        i, j = rng.randint(-320, 320), rng.randint(-320, 320)
        assert r.zrange("z", i, j) == names[slice(*_redis_range(i, j, 300))]
        m = rng.choice(names)
        assert r.zrank("z", m) == names.index(m)
        assert r.zrevrank("z", m) == 299 - names.index(m)

    lex = sorted(f"w{rng.randint(0, 10**6):07d}" for _ in range(250))
    lex = sorted(set(lex))
    r.zadd("lex", {m: 0 for m in lex})
    blex = [m.encode() for m in lex]
    for _ in range(40):
        a, b = sorted(rng.sample(lex, 2))
        offset, count = rng.randint(0, 260), rng.choice([-1, 1, 7, 300])
        sel = [m for m in blex if a.encode() < m <= b.encode()]
        want = sel[offset:] if count < 0 else sel[offset:offset + count]
        assert r.zrangebylex("lex", f"({a}", f"[{b}", start=offset, num=count) == want
        rev = sel[::-1]
        want = rev[offset:] if count < 0 else rev[offset:offset + count]
        assert r.zrevrangebylex("lex", f"[{b}", f"({a}", start=offset, num=count) == want
        assert r.zlexcount("lex", f"({a}", f"[{b}") == len(sel)
    a, b = lex[10], lex[200]
    assert r.zremrangebylex("lex", f"[{a}", f"({b}") == 190
    assert r.zcard("lex") == len(lex) - 190
    assert r.zremrangebyscore("z", 5, 10) == len([1 for _, s in model if 5 <= s <= 10])
    n = r.zcard("z")
    assert r.zremrangebyrank("z", 10, -10) == n - 19
    assert r.zcard("z") == 19


def _redis_range(start, end, n):
    if start < 0:
        start = max(n + start, 0)
    if end < 0:
        end = n + end
    if start > end or start >= n:
        return (0, 0)
    return (start, min(end, n - 1) + 1)


def test_zrevrange_withscores_every_way_of_asking(r, make):
    # Int bounds take the embedded engine's frame-free path; string bounds,
    # a cast, a callback or RESP3 take the general one: all answer alike.
    r.zadd("z", {b"\xff\x00m": float("inf"), "a": -1.5, "b": 0, "c": 2 ** 53, "d": -float("inf")})
    top = [(b"\xff\x00m", float("inf")), (b"c", 2.0 ** 53), (b"b", 0.0), (b"a", -1.5),
           (b"d", -float("inf"))]
    assert r.zrevrange("z", 0, -1, withscores=True) == top
    assert r.zrevrange("z", "0", "-1", withscores=True) == top
    assert r.zrevrange("z", 1, 2, withscores=True) == top[1:3]
    assert r.zrevrange("z", -2, -1, withscores=True) == top[-2:]
    assert r.zrevrange("z", -100, 100, withscores=True) == top
    assert r.zrevrange("z", 3, 1, withscores=True) == []
    assert r.zrevrange("z", 5, 9, withscores=True) == []
    assert r.zrevrange("z", 2 ** 63 - 1, -(2 ** 63), withscores=True) == []
    assert r.zrevrange("missing", 0, -1, withscores=True) == []
    assert r.zrevrange("z", 1, 1, withscores=True, score_cast_func=str) == [(b"c", "b'9007199254740992'")]
    r.set("s", "x")
    assert "WRONGTYPE" in err(r, r.zrevrange, "s", 0, -1, withscores=True)
    r.set_response_callback("ZREVRANGE", lambda resp, **kw: ("seen", len(resp)))
    assert r.zrevrange("z", 0, 1, withscores=True)[0] == "seen"
    rd = make(decode_responses=True, protocol=2)
    rd.zadd("y", {"é": 1, "b": 2})
    assert rd.zrevrange("y", 0, -1, withscores=True) == [("b", 2.0), ("é", 1.0)]
    r3 = make(protocol=3)
    r3.zadd("w", {"a": 1, "b": 2})
    assert r3.zrevrange("w", 0, -1, withscores=True) == r3.zrevrange("w", "0", "-1", withscores=True)
