"""Set commands, on the embedded engine and on the real server."""

import pytest

from support import encoding, error_of

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


def members(n, prefix=""):
    return [f"{prefix}{i}" for i in range(n)]


# -- SADD / SREM / SMEMBERS / SISMEMBER / SMISMEMBER / SCARD -----------------


def test_sadd_srem_scard(r):
    assert r.sadd("s", "a", "b", "a") == 2
    assert r.sadd("s", "b") == 0
    assert r.scard("s") == 2
    assert r.srem("s", "a", "zz", "a") == 1
    assert r.srem("missing", "a") == 0
    assert r.smembers("s") == {b"b"}
    assert r.scard("missing") == 0
    assert error_of(r, "SADD", "s") == "wrong number of arguments for 'sadd' command"


def test_srem_of_last_member_deletes_the_key(r):
    r.sadd("s", "a", "b")
    r.expire("s", 100)
    assert r.srem("s", "a", "b", "c") == 2
    assert r.exists("s") == 0
    r.sadd("s", "a")
    assert r.ttl("s") == -1


def test_membership(r):
    r.sadd("s", "a", 1)
    assert r.sismember("s", "a") == 1
    assert r.sismember("s", "b") == 0
    assert r.sismember("missing", "a") == 0
    assert r.smismember("s", ["a", "b", "1"]) == [1, 0, 1]
    assert r.smismember("s", "a", "b") == [1, 0]
    assert r.smismember("missing", ["a", "b"]) == [0, 0]
    assert r.smembers("missing") == set()


def test_wrong_type(r):
    r.set("str", "x")
    for args in (
        ("SADD", "str", "a"), ("SREM", "str", "a"), ("SMEMBERS", "str"), ("SISMEMBER", "str", "a"),
        ("SMISMEMBER", "str", "a"), ("SCARD", "str"), ("SPOP", "str"), ("SPOP", "str", "2"),
        ("SRANDMEMBER", "str"), ("SRANDMEMBER", "str", "2"), ("SSCAN", "str", "0"),
        ("SINTER", "str"), ("SUNION", "str"), ("SDIFF", "str"), ("SINTERCARD", "1", "str"),
    ):
        assert error_of(r, *args) == WRONGTYPE, args


def test_decode_responses(rd):
    rd.sadd("s", "é", "b")
    assert rd.smembers("s") == {"é", "b"}
    assert sorted(rd.sscan("s")[1]) == ["b", "é"]
    assert rd.sinter("s") == {"é", "b"}
    assert sorted(rd.srandmember("s", 5)) == ["b", "é"]


# -- Encodings and order -------------------------------------------------------


def test_intset_lists_ascending(r):
    r.sadd("s", 10, -5, 3, 200, 0)
    assert encoding(r, "s") == "intset"
    ordered = [b"-5", b"0", b"3", b"10", b"200"]
    assert r.sscan("s") == (0, ordered)
    assert r.srandmember("s", 10) == ordered
    assert r.srandmember("s", 5) == ordered
    assert r.execute_command("SMEMBERS", "s") == {b"-5", b"0", b"3", b"10", b"200"}


def test_intset_conversions(r):
    r.sadd("s", *range(512))
    assert encoding(r, "s") == "intset"
    r.sadd("s", 512)
    assert encoding(r, "s") == "hashtable"
    r.sadd("t", 1, 2)
    r.sadd("t", "01")  # not a canonical integer
    assert encoding(r, "t") == "hashtable"
    r.srem("t", "01")
    assert encoding(r, "t") == "hashtable"  # never converts back
    for first, enc in (("1", "intset"), ("-9223372036854775808", "intset"), ("9223372036854775808", "hashtable"),
                       ("+1", "hashtable"), (" 1", "hashtable"), ("1.0", "hashtable"), ("-0", "hashtable")):
        r.delete("u")
        r.sadd("u", first)
        assert encoding(r, "u") == enc, first


# -- SPOP -------------------------------------------------------------------------


def test_spop_single(r):
    assert r.spop("missing") is None
    r.sadd("s", "a", "b")
    got = {r.spop("s"), r.spop("s")}
    assert got == {b"a", b"b"}
    assert r.exists("s") == 0


def test_spop_count(r):
    r.sadd("s", *members(20))
    got = r.spop("s", 5)
    assert isinstance(got, list) and len(got) == 5 and len(set(got)) == 5
    assert r.scard("s") == 15
    assert not set(got) & r.smembers("s")
    rest = r.spop("s", 100)
    assert len(rest) == 15
    assert set(got) | set(rest) == {m.encode() for m in members(20)}
    assert r.exists("s") == 0
    assert r.spop("missing", 3) == []
    r.sadd("s", "a")
    assert r.spop("s", 0) == []
    assert r.scard("s") == 1


def test_spop_whole_intset_is_ascending(r):
    r.sadd("s", 5, 3, 9, -1)
    r.expire("s", 100)
    assert r.spop("s", 4) == [b"-1", b"3", b"5", b"9"]
    assert r.exists("s") == 0
    # A hashtable of integers is listed as the intset a union would build.
    r.sadd("t", "x", 3, 1, 2)
    r.srem("t", "x")
    assert r.spop("t", 10) == [b"1", b"2", b"3"]


def test_spop_of_most_members_reencodes_the_rest(r):
    r.sadd("s", "x", *range(1, 12))
    r.srem("s", "x")
    assert encoding(r, "s") == "hashtable"
    r.spop("s", 10)  # Redis rebuilds the set from the one survivor
    assert encoding(r, "s") == "intset"
    r.sadd("t", "x", *range(1, 30))
    r.srem("t", "x")
    r.spop("t", 2)  # a few removals leave it as it was
    assert encoding(r, "t") == "hashtable"


def test_spop_errors(r):
    r.sadd("s", "a")
    for bad in ("-1", "x", "1.5"):
        assert error_of(r, "SPOP", "s", bad) == "value is out of range, must be positive"
    assert error_of(r, "SPOP", "s", "1", "2") == "syntax error"
    assert error_of(r, "SPOP", "missing", "x") == "value is out of range, must be positive"
    r.set("str", "x")
    assert error_of(r, "SPOP", "str", "x") == "value is out of range, must be positive"


# -- SRANDMEMBER ------------------------------------------------------------------


@pytest.mark.parametrize("size", [3, 100, 700])
def test_srandmember_counts(r, size):
    all_members = {m.encode() for m in members(size, "m")}
    r.sadd("s", *all_members)
    assert r.srandmember("s") in all_members
    got = r.srandmember("s", 2)
    assert len(got) == 2 and len(set(got)) == 2 and set(got) <= all_members
    got = r.srandmember("s", size - 1)
    assert len(set(got)) == size - 1 and set(got) <= all_members
    assert sorted(r.srandmember("s", size + 10)) == sorted(all_members)
    got = r.srandmember("s", -(size + 10))
    assert len(got) == size + 10 and set(got) <= all_members
    assert r.srandmember("s", 0) == []
    assert r.scard("s") == size


def test_srandmember_errors(r):
    assert r.srandmember("missing") is None
    assert r.srandmember("missing", 5) == []
    assert r.srandmember("missing", -5) == []
    r.sadd("s", "a")
    assert error_of(r, "SRANDMEMBER", "s", "x") == "value is not an integer or out of range"
    assert error_of(r, "SRANDMEMBER", "s", "1", "2") == "syntax error"
    assert error_of(r, "SRANDMEMBER", "s", "-9223372036854775808") == (
        "value is out of range, value must between -9223372036854775807 and 9223372036854775807"
    )
    assert r.srandmember("s", 2**63 - 1) == [b"a"]


# -- SMOVE --------------------------------------------------------------------------


def test_smove(r):
    r.sadd("a", "x", "y")
    assert r.smove("a", "b", "x") is True
    assert r.smembers("a") == {b"y"} and r.smembers("b") == {b"x"}
    assert r.smove("a", "b", "zz") is False
    assert r.smove("missing", "b", "x") is False
    r.sadd("b", "y")
    assert r.smove("a", "b", "y") is True  # already in b: still moved
    assert r.exists("a") == 0
    assert r.smembers("b") == {b"x", b"y"}


def test_smove_same_key_and_encodings(r):
    r.sadd("a", 1, 2)
    assert r.smove("a", "a", 1) is True
    assert r.smove("a", "a", 3) is False
    assert r.smembers("a") == {b"1", b"2"}
    assert r.smove("a", "n", 1) is True
    assert encoding(r, "n") == "intset"
    r.sadd("a", "x")
    assert r.smove("a", "n", "x") is True
    assert encoding(r, "n") == "hashtable"
    r.sadd("a", "w")
    assert r.smove("a", "m", "w") is True
    assert encoding(r, "m") == "hashtable"


def test_smove_type_checks(r):
    r.set("str", "x")
    r.sadd("a", "x")
    assert error_of(r, "SMOVE", "str", "a", "x") == WRONGTYPE
    assert error_of(r, "SMOVE", "a", "str", "x") == WRONGTYPE
    assert r.smembers("a") == {b"x"}
    # A missing source answers 0 before the destination is checked.
    assert r.smove("missing", "str", "x") is False


# -- SINTER / SUNION / SDIFF ----------------------------------------------------


def test_set_algebra(r):
    r.sadd("a", "1", "2", "3", "x")
    r.sadd("b", "2", "3", "4", "x", "y")
    r.sadd("c", "3", "x", "z")
    assert r.sinter("a", "b") == {b"2", b"3", b"x"}
    assert r.sinter(["a", "b", "c"]) == {b"3", b"x"}
    assert r.sunion("a", "c") == {b"1", b"2", b"3", b"x", b"z"}
    assert r.sdiff("a", "b") == {b"1"}
    assert r.sdiff(["b", "a", "c"]) == {b"4", b"y"}
    assert r.sinter("a") == {b"1", b"2", b"3", b"x"}
    assert r.sinter("a", "missing") == set()
    assert r.sunion("missing", "a") == r.smembers("a")
    assert r.sdiff("missing", "a") == set()
    assert r.sdiff("a", "missing") == r.smembers("a")
    assert r.sdiff("a", "b", "a") == set()
    assert r.sinter("a", "a") == r.smembers("a")


def test_algebra_type_checks_every_key(r):
    r.set("str", "x")
    r.sadd("a", 1)
    # Even when an earlier key is missing and the result must be empty.
    for cmd in ("SINTER", "SUNION", "SDIFF"):
        assert error_of(r, cmd, "missing", "str") == WRONGTYPE
        assert error_of(r, cmd, "a", "str") == WRONGTYPE
    assert error_of(r, "SINTERSTORE", "d", "missing", "str") == WRONGTYPE
    assert error_of(r, "SDIFFSTORE", "d", "missing", "str") == WRONGTYPE
    assert error_of(r, "SINTERCARD", "2", "missing", "str") == WRONGTYPE
    # The destination's type does not matter.
    assert r.sunionstore("str", "a") == 1
    assert r.smembers("str") == {b"1"}


def test_results_of_integers_are_ascending(r):
    r.sadd("a", 9, 3, 7, 1, 5)
    r.sadd("b", 11, 7, 3, 1, 9, 13)
    assert r.execute_command("SINTER", "b", "a") == {b"1", b"3", b"7", b"9"}
    assert r.sscan("a") == (0, [b"1", b"3", b"5", b"7", b"9"])
    r.sunionstore("u", "a", "b")
    r.sinterstore("i", "a", "b")
    r.sdiffstore("d", "b", "a")
    assert [encoding(r, k) for k in ("u", "i", "d")] == ["intset"] * 3
    assert r.sscan("u") == (0, [b"1", b"3", b"5", b"7", b"9", b"11", b"13"])
    assert r.sscan("i") == (0, [b"1", b"3", b"7", b"9"])
    assert r.sscan("d") == (0, [b"11", b"13"])


def test_store_encodings(r):
    r.sadd("ints", 1, 2, 3)
    r.sadd("mixed", 1, 2, "x")
    assert r.sinterstore("d", "ints", "mixed") == 2
    assert encoding(r, "d") == "intset"
    assert r.sunionstore("d", "ints", "mixed") == 4
    assert encoding(r, "d") == "hashtable"
    # SDIFF subtracting one small set from a big one copies the whole first
    # set first, so a non-integer there leaves a hashtable behind.
    r.sadd("big", "x", *range(1, 8))
    r.sadd("one", "x")
    r.sadd("other", 1)
    assert r.sdiffstore("d", "big", "one", "other") == 6
    assert encoding(r, "d") == "hashtable"
    # ...while testing each member keeps the intset.
    assert r.sdiffstore("d", "big", "one") == 7
    assert encoding(r, "d") == "intset"
    r.sadd("many", *range(600))
    assert r.sinterstore("d", "many", "many") == 600
    assert encoding(r, "d") == "hashtable"


def test_store_replaces_and_deletes(r):
    r.sadd("a", "x", "y")
    r.set("d", "old")
    r.expire("d", 100)
    assert r.sinterstore("d", "a", "a") == 2
    assert r.ttl("d") == -1
    assert r.execute_command("TYPE", "d") == b"set"
    assert r.sinterstore("d", "a", "missing") == 0
    assert r.exists("d") == 0
    r.set("d", "old")
    assert r.sdiffstore("d", "a", "a") == 0
    assert r.exists("d") == 0
    r.set("d", "old")
    assert r.sunionstore("d", "missing") == 0
    assert r.exists("d") == 0
    # The destination may be one of the sources.
    r.sadd("b", "z")
    assert r.sunionstore("a", "a", "b") == 3
    assert r.smembers("a") == {b"x", b"y", b"z"}
    assert r.sdiffstore("a", "a", "b") == 2
    assert r.smembers("a") == {b"x", b"y"}


def test_algebra_arity(r):
    for cmd in ("SINTER", "SUNION", "SDIFF"):
        assert error_of(r, cmd) == f"wrong number of arguments for '{cmd.lower()}' command"
    for cmd in ("SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"):
        assert error_of(r, cmd, "d") == f"wrong number of arguments for '{cmd.lower()}' command"


# -- SINTERCARD -------------------------------------------------------------------


def test_sintercard(r):
    r.sadd("a", *range(10))
    r.sadd("b", *range(5, 20))
    assert r.sintercard(2, ["a", "b"]) == 5
    assert r.sintercard(2, ["a", "b"], limit=3) == 3
    assert r.sintercard(2, ["a", "b"], limit=100) == 5
    assert r.sintercard(1, ["a"]) == 10
    assert r.sintercard(2, ["a", "missing"]) == 0
    assert r.execute_command("SINTERCARD", "2", "a", "b") == 5
    assert r.execute_command("SINTERCARD", "2", "a", "b", "LIMIT", "1", "limit", "0") == 5
    # Arguments after numkeys keys are options, not keys.
    assert error_of(r, "SINTERCARD", "1", "a", "b") == "syntax error"


def test_sintercard_errors(r):
    r.sadd("a", 1)
    for bad in ("0", "-1", "x"):
        assert error_of(r, "SINTERCARD", bad, "a") == "numkeys should be greater than 0"
    assert error_of(r, "SINTERCARD", "2", "a") == "Number of keys can't be greater than number of args"
    for bad in ("-1", "x"):
        assert error_of(r, "SINTERCARD", "1", "a", "LIMIT", bad) == "LIMIT can't be negative"
    assert error_of(r, "SINTERCARD", "1", "a", "LIMIT") == "syntax error"
    assert error_of(r, "SINTERCARD", "1") == "wrong number of arguments for 'sintercard' command"


# -- SSCAN ------------------------------------------------------------------------


def test_sscan(r):
    r.sadd("s", "b", "a", "ab")
    cursor, got = r.sscan("s", match="a*")
    assert cursor == 0 and sorted(got) == [b"a", b"ab"]
    assert r.sscan("missing") == (0, [])
    assert sorted(r.sscan_iter("s")) == [b"a", b"ab", b"b"]


def test_sscan_big_set(r):
    all_members = {m.encode() for m in members(1000, "m")}
    r.sadd("s", *all_members)
    assert set(r.sscan_iter("s", count=13)) == all_members
    calls, cursor, seen = 0, 0, set()
    while True:
        cursor, part = r.sscan("s", cursor=cursor, match="m1*", count=100)
        seen.update(part)
        calls += 1
        if cursor == 0:
            break
    assert calls > 1
    assert seen == {m for m in all_members if m.startswith(b"m1")}
    # Big intsets are hashtables too.
    r.sadd("i", *range(600))
    assert set(r.sscan_iter("i", count=50)) == {str(i).encode() for i in range(600)}


def test_sscan_errors(r):
    r.sadd("s", 1)
    assert error_of(r, "SSCAN", "s", "x") == "invalid cursor"
    assert error_of(r, "SSCAN", "s", "0", "COUNT", "0") == "syntax error"
    assert error_of(r, "SSCAN", "s", "0", "COUNT", "-5") == "syntax error"
    assert error_of(r, "SSCAN", "s", "0", "MATCH") == "syntax error"
    assert r.execute_command("SSCAN", "missing", "0", "BAD") == (0, [])
    assert r.execute_command("SSCAN", "s", "0", "MATCH", "*", "COUNT", "1") == (0, [b"1"])


# -- Transactions -------------------------------------------------------------------


def test_set_commands_in_a_transaction(r):
    with r.pipeline() as pipe:
        pipe.sadd("a", 1, 2, 3).smove("a", "b", 2).sinter("a", "b").sunion("a", "b")
        pipe.smismember("a", [1, 2]).sintercard(2, ["a", "b"]).spop("a", 10)
        assert pipe.execute() == [3, True, set(), {b"1", b"2", b"3"}, [1, 0], 0, [b"1", b"3"]]
    assert r.exists("a") == 0


def test_noop_writes_do_not_break_watch(r):
    r.sadd("s", "a")
    with r.pipeline() as pipe:
        pipe.watch("s")
        r.sadd("s", "a")
        r.srem("s", "zz")
        r.smove("s", "t", "zz")
        pipe.multi()
        pipe.scard("s")
        assert pipe.execute() == [1]
