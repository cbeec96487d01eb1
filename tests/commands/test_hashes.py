"""Hash commands, on the embedded engine and on the real server."""

import pytest

from support import encoding, error_of

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


# -- HSET / HMSET / HSETNX / HGET / HMGET ----------------------------------


def test_hset_counts_new_fields_only(r):
    assert r.hset("h", "a", "1") == 1
    assert r.hset("h", mapping={"a": "2", "b": "3"}) == 1
    assert r.hset("h", items=["c", 4, "d", 5.5]) == 2
    assert r.hgetall("h") == {b"a": b"2", b"b": b"3", b"c": b"4", b"d": b"5.5"}
    assert r.execute_command("HSET", "h", "a", "x", "a", "y") == 0
    assert r.hget("h", "a") == b"y"


def test_hset_errors(r):
    assert error_of(r, "HSET", "h", "a") == "wrong number of arguments for 'hset' command"
    assert error_of(r, "HSET", "h", "a", "1", "b") == "wrong number of arguments for 'hset' command"
    r.set("s", "x")
    assert error_of(r, "HSET", "s", "a", "1") == WRONGTYPE
    with pytest.raises(r.exc.DataError):
        r.hset("h")


def test_hmset_replies_ok_and_warns(r):
    with pytest.warns(DeprecationWarning, match=r"Call to deprecated hmset\. \(Use 'hset' instead\.\)"):
        assert r.hmset("h", {"a": 1, "b": 2}) is True
    assert r.hgetall("h") == {b"a": b"1", b"b": b"2"}
    assert r.execute_command("HMSET", "h", "a", "3") is True
    assert error_of(r, "HMSET", "h", "a", "1", "b") == "wrong number of arguments for 'hmset' command"
    with pytest.warns(DeprecationWarning), pytest.raises(r.exc.DataError):
        r.hmset("h", {})


def test_hsetnx(r):
    assert r.hsetnx("h", "a", 1) == 1
    assert r.hsetnx("h", "a", 2) == 0
    assert r.hget("h", "a") == b"1"
    r.set("s", "x")
    assert error_of(r, "HSETNX", "s", "a", "1") == WRONGTYPE


def test_hget_hmget(r):
    r.hset("h", mapping={"a": 1, "b": 2})
    assert r.hget("h", "a") == b"1"
    assert r.hget("h", "zz") is None
    assert r.hget("missing", "a") is None
    assert r.hmget("h", ["a", "zz", "b"]) == [b"1", None, b"2"]
    assert r.hmget("h", "a", "b") == [b"1", b"2"]
    assert r.hmget("missing", "a", "b") == [None, None]
    r.set("s", "x")
    assert error_of(r, "HGET", "s", "a") == WRONGTYPE
    assert error_of(r, "HMGET", "s", "a") == WRONGTYPE
    assert error_of(r, "HMGET", "h") == "wrong number of arguments for 'hmget' command"


def test_binary_fields_and_values(r):
    r.hset("h", b"\x00\xff", b"\r\n\x00")
    assert r.hget("h", b"\x00\xff") == b"\r\n\x00"
    assert r.hstrlen("h", b"\x00\xff") == 3


def test_decode_responses(rd):
    rd.hset("h", mapping={"é": "ü", "b": "2"})
    assert rd.hgetall("h") == {"é": "ü", "b": "2"}
    assert rd.hkeys("h") == ["é", "b"]
    assert rd.hvals("h") == ["ü", "2"]
    assert rd.hscan("h") == (0, {"é": "ü", "b": "2"})
    assert rd.hrandfield("h", 5, withvalues=True) == ["é", "ü", "b", "2"]


# -- HGETALL / HKEYS / HVALS / order ----------------------------------------


def test_small_hashes_keep_insertion_order(r):
    r.hset("h", mapping={"c": 1, "a": 2, "b": 3})
    r.hdel("h", "a")
    r.hset("h", "a", 4)
    r.hset("h", "c", 5)  # updates keep their place
    assert list(r.hgetall("h").items()) == [(b"c", b"5"), (b"b", b"3"), (b"a", b"4")]
    assert r.hkeys("h") == [b"c", b"b", b"a"]
    assert r.hvals("h") == [b"5", b"3", b"4"]
    assert encoding(r, "h") == "listpack"


def test_missing_and_wrong_type_reads(r):
    assert r.hgetall("missing") == {}
    assert r.hkeys("missing") == []
    assert r.hvals("missing") == []
    assert r.hlen("missing") == 0
    assert r.hstrlen("missing", "a") == 0
    assert r.hexists("missing", "a") is False
    r.rpush("l", 1)
    for cmd in ("HGETALL", "HKEYS", "HVALS", "HLEN"):
        assert error_of(r, cmd, "l") == WRONGTYPE
    for cmd in ("HEXISTS", "HSTRLEN"):
        assert error_of(r, cmd, "l", "a") == WRONGTYPE


def test_big_hash_contents(r):
    mapping = {f"f{i}": i for i in range(600)}
    r.hset("h", mapping=mapping)
    assert encoding(r, "h") == "hashtable"
    assert r.hlen("h") == 600
    assert r.hgetall("h") == {k.encode(): str(v).encode() for k, v in mapping.items()}
    assert sorted(r.hkeys("h")) == sorted(k.encode() for k in mapping)
    assert r.hdel("h", *[f"f{i}" for i in range(0, 600, 2)]) == 300
    assert r.hlen("h") == 300
    assert r.hget("h", "f1") == b"1" and r.hget("h", "f0") is None


# -- HDEL / HEXISTS / HLEN / HSTRLEN ----------------------------------------


def test_hdel(r):
    r.hset("h", mapping={"a": 1, "b": 2, "c": 3})
    assert r.hdel("h", "a", "a", "zz") == 1
    assert r.hdel("missing", "a") == 0
    assert r.hlen("h") == 2
    assert r.hexists("h", "b") is True
    assert r.hexists("h", "a") is False
    r.set("s", "x")
    assert error_of(r, "HDEL", "s", "a") == WRONGTYPE


def test_hdel_of_last_field_deletes_the_key_and_its_ttl(r):
    r.hset("h", "a", 1)
    r.expire("h", 100)
    assert r.hdel("h", "a", "b") == 1
    assert r.exists("h") == 0
    r.hset("h", "a", 1)
    assert r.ttl("h") == -1


def test_hset_keeps_ttl(r):
    r.hset("h", "a", 1)
    r.expire("h", 100)
    r.hset("h", "b", 2)
    r.hincrby("h", "c", 1)
    assert 0 < r.ttl("h") <= 100


def test_hstrlen(r):
    r.hset("h", mapping={"a": "hello", "n": 12345, "e": ""})
    assert r.hstrlen("h", "a") == 5
    assert r.hstrlen("h", "n") == 5
    assert r.hstrlen("h", "e") == 0
    assert r.hstrlen("h", "zz") == 0


# -- HINCRBY / HINCRBYFLOAT --------------------------------------------------


def test_hincrby(r):
    assert r.hincrby("h", "n") == 1
    assert r.hincrby("h", "n", 10) == 11
    assert r.hincrby("h", "n", -20) == -9
    assert r.hget("h", "n") == b"-9"
    r.hset("h", "big", 2**63 - 2)
    assert r.hincrby("h", "big", 1) == 2**63 - 1
    with pytest.raises(r.exc.ResponseError, match="^increment or decrement would overflow$"):
        r.hincrby("h", "big", 1)
    r.hset("h", "neg", -(2**63))
    with pytest.raises(r.exc.ResponseError, match="^increment or decrement would overflow$"):
        r.hincrby("h", "neg", -1)


def test_hincrby_errors(r):
    r.hset("h", mapping={"s": "abc", "sp": " 1", "z": "01", "f": "1.5"})
    for field in ("s", "sp", "z", "f"):
        assert error_of(r, "HINCRBY", "h", field, "1") == "hash value is not an integer"
    assert error_of(r, "HINCRBY", "h", "n", "1.5") == "value is not an integer or out of range"
    assert error_of(r, "HINCRBY", "h", "n", "9223372036854775808") == "value is not an integer or out of range"
    r.set("str", "x")
    assert error_of(r, "HINCRBY", "str", "n", "1") == WRONGTYPE
    # The increment is parsed before the type check.
    assert error_of(r, "HINCRBY", "str", "n", "x") == "value is not an integer or out of range"
    assert r.exists("nokey") == 0


def test_hincrbyfloat(r):
    assert r.hincrbyfloat("h", "f") == 1.0
    assert r.hincrbyfloat("h", "f", 0.5) == 1.5
    assert r.hget("h", "f") == b"1.5"
    assert r.execute_command("HINCRBYFLOAT", "h", "f", "1e2") == 101.5
    r.hset("h", "i", 10)
    assert r.hincrbyfloat("h", "i", 0.1) == 10.1
    assert r.hget("h", "i") == b"10.1"
    r.hset("h", "x", "3.0")
    assert r.hincrbyfloat("h", "x", 1) == 4.0
    assert r.hget("h", "x") == b"4"


def test_hincrbyfloat_errors(r):
    r.hset("h", mapping={"s": "abc", "big": "1e4932"})
    assert error_of(r, "HINCRBYFLOAT", "h", "s", "1") == "hash value is not a float"
    assert error_of(r, "HINCRBYFLOAT", "h", "n", "abc") == "value is not a valid float"
    assert error_of(r, "HINCRBYFLOAT", "h", "n", "inf") == "value is NaN or Infinity"
    assert error_of(r, "HINCRBYFLOAT", "h", "big", "1e4932") == "increment would produce NaN or Infinity"
    assert r.hget("h", "big") == b"1e4932"
    r.set("str", "x")
    assert error_of(r, "HINCRBYFLOAT", "str", "n", "1") == WRONGTYPE
    # Both increment checks come before the type check.
    assert error_of(r, "HINCRBYFLOAT", "str", "n", "x") == "value is not a valid float"
    assert error_of(r, "HINCRBYFLOAT", "str", "n", "-inf") == "value is NaN or Infinity"


# -- Encodings ---------------------------------------------------------------


def test_listpack_to_hashtable_by_entry_count(r):
    # Without a config file Redis 7.0 allows 512 entries (redis.conf says 128).
    r.hset("h", mapping={f"f{i}": i for i in range(512)})
    assert encoding(r, "h") == "listpack"
    r.hset("h", "f0", "again")
    assert encoding(r, "h") == "listpack"
    r.hset("h", "f512", 1)
    assert encoding(r, "h") == "hashtable"
    r.hdel("h", *[f"f{i}" for i in range(100)])
    assert encoding(r, "h") == "hashtable"  # never converts back


def test_listpack_to_hashtable_by_length(r):
    r.hset("a", "f", "x" * 64)
    r.hset("b", "f" * 64, "x")
    assert encoding(r, "a") == encoding(r, "b") == "listpack"
    r.hset("c", "f", "x" * 65)
    r.hset("d", "f" * 65, "x")
    r.hincrby("e", "f" * 65, 1)
    assert encoding(r, "c") == encoding(r, "d") == encoding(r, "e") == "hashtable"
    # A long value computed by HINCRBYFLOAT converts too.
    r.hincrbyfloat("g", "f", 1e100)
    assert encoding(r, "g") == "hashtable"
    # HSETNX that sets nothing converts nothing.
    r.hset("n", "f", 1)
    assert r.hsetnx("n", "f", "x" * 100) == 0
    assert encoding(r, "n") == "listpack"


# -- HRANDFIELD --------------------------------------------------------------


def test_hrandfield_single(r):
    assert r.hrandfield("missing") is None
    r.hset("h", mapping={"a": 1, "b": 2})
    assert r.hrandfield("h") in (b"a", b"b")


@pytest.mark.parametrize("size", [3, 200, 600])
def test_hrandfield_counts(r, size):
    fields = {f"f{i}".encode(): str(i).encode() for i in range(size)}
    r.hset("h", mapping=fields)
    got = r.hrandfield("h", 2)
    assert len(got) == 2 and len(set(got)) == 2 and set(got) <= set(fields)
    assert sorted(r.hrandfield("h", size + 5)) == sorted(fields)
    assert sorted(r.hrandfield("h", size)) == sorted(fields)
    got = r.hrandfield("h", -(size + 5))
    assert len(got) == size + 5 and set(got) <= set(fields)
    got = r.hrandfield("h", 2, withvalues=True)
    assert len(got) == 4
    assert all(fields[f] == v for f, v in zip(got[::2], got[1::2]))
    got = r.hrandfield("h", -3, withvalues=True)
    assert len(got) == 6 and all(fields[f] == v for f, v in zip(got[::2], got[1::2]))
    assert r.hrandfield("h", 0) == []
    assert r.hrandfield("h", 0, withvalues=True) == []


def test_hrandfield_whole_small_hash_in_order(r):
    r.hset("h", mapping={"c": 1, "a": 2, "b": 3})
    assert r.hrandfield("h", 10) == [b"c", b"a", b"b"]
    assert r.hrandfield("h", 3, withvalues=True) == [b"c", b"1", b"a", b"2", b"b", b"3"]


def test_hrandfield_errors(r):
    assert r.hrandfield("missing", 3) == []
    assert r.hrandfield("missing", -3, withvalues=True) == []
    r.hset("h", "a", 1)
    assert error_of(r, "HRANDFIELD", "h", "x") == "value is not an integer or out of range"
    assert error_of(r, "HRANDFIELD", "h", "1", "withvalue") == "syntax error"
    assert error_of(r, "HRANDFIELD", "h", "1", "withvalues", "x") == "syntax error"
    assert error_of(r, "HRANDFIELD", "h", "-9223372036854775808") == (
        "value is out of range, value must between -9223372036854775807 and 9223372036854775807"
    )
    assert error_of(r, "HRANDFIELD", "h", str(-(2**62) - 1), "WITHVALUES") == "value is out of range"
    assert error_of(r, "HRANDFIELD", "h", str(2**62), "withvalues") == "value is out of range"
    # The syntax check comes after the count is parsed.
    assert error_of(r, "HRANDFIELD", "h", "x", "foo") == "value is not an integer or out of range"
    r.set("s", "x")
    assert error_of(r, "HRANDFIELD", "s") == WRONGTYPE
    assert error_of(r, "HRANDFIELD", "s", "3") == WRONGTYPE
    # Count checks come before the type check.
    assert error_of(r, "HRANDFIELD", "s", str(2**62), "WITHVALUES") == "value is out of range"


# -- HSCAN -------------------------------------------------------------------


def test_hscan_small_hash_in_one_call(r):
    r.hset("h", mapping={"b": 1, "a": 2, "ab": 3})
    assert r.hscan("h") == (0, {b"b": b"1", b"a": b"2", b"ab": b"3"})
    assert r.execute_command("HSCAN", "h", "0") == (0, {b"b": b"1", b"a": b"2", b"ab": b"3"})
    # The cursor and COUNT are ignored for a listpack.
    assert r.hscan("h", cursor=12345, count=1) == (0, {b"b": b"1", b"a": b"2", b"ab": b"3"})
    assert r.hscan("h", match="a*") == (0, {b"a": b"2", b"ab": b"3"})
    assert r.hscan("missing") == (0, {})
    assert list(r.hscan_iter("h", match="a*")) == [(b"a", b"2"), (b"ab", b"3")]


def test_hscan_big_hash_iterates_everything(r):
    fields = {f"f{i}".encode(): str(i).encode() for i in range(1000)}
    r.hset("h", mapping=fields)
    assert encoding(r, "h") == "hashtable"
    assert dict(r.hscan_iter("h", count=7)) == fields
    seen = {}
    cursor = 0
    calls = 0
    while True:
        cursor, part = r.hscan("h", cursor=cursor, match="f1*", count=50)
        seen.update(part)
        calls += 1
        if cursor == 0:
            break
    assert calls > 1
    assert seen == {k: v for k, v in fields.items() if k.startswith(b"f1")}


def test_hscan_errors(r, backend):
    r.hset("h", "a", 1)
    for bad in ("x", " 0", "1.5", "18446744073709551616"):
        assert error_of(r, "HSCAN", "h", bad) == "invalid cursor"
    assert error_of(r, "HSCAN", "h", "0", "COUNT", "0") == "syntax error"
    assert error_of(r, "HSCAN", "h", "0", "COUNT", "x") == "value is not an integer or out of range"
    assert error_of(r, "HSCAN", "h", "0", "MATCH") == "syntax error"
    assert error_of(r, "HSCAN", "h", "0", "FOO", "bar") == "syntax error"
    if backend in ("remote", "oracle"):
        # Redis 7.0 has no NOVALUES (7.4 added it: commands/test_newer_options.py).
        assert error_of(r, "HSCAN", "h", "0", "NOVALUES") == "syntax error"
        with pytest.raises(r.exc.ResponseError):
            r.hscan("h", no_values=True)
    else:
        assert r.hscan("h", no_values=True) == (0, [b"a"])
    # The cursor is checked first; options only once the key is found.
    assert error_of(r, "HSCAN", "missing", "x") == "invalid cursor"
    assert r.execute_command("HSCAN", "missing", "0", "COUNT", "0") == (0, {})
    r.set("s", "x")
    assert error_of(r, "HSCAN", "s", "0", "COUNT", "0") == WRONGTYPE


def test_hscan_odd_cursors_are_accepted(r):
    r.hset("h", "a", 1)
    for ok in ("+0", "-1", "", "007"):
        assert r.execute_command("HSCAN", "h", ok) == (0, {b"a": b"1"})


# -- Transactions and WATCH --------------------------------------------------


def test_hash_commands_in_a_transaction(r):
    with r.pipeline() as pipe:
        pipe.hset("h", "a", 1).hsetnx("h", "a", 2).hincrby("h", "a", 5)
        pipe.hincrbyfloat("h", "f", 1.5).hexists("h", "a").hgetall("h").hdel("h", "a", "f")
        assert pipe.execute() == [1, 0, 6, 1.5, True, {b"a": b"6", b"f": b"1.5"}, 2]
    assert r.exists("h") == 0


def test_noop_hdel_does_not_break_watch(r):
    r.hset("h", "a", 1)
    with r.pipeline() as pipe:
        pipe.watch("h")
        r.hdel("h", "zz")
        pipe.multi()
        pipe.hget("h", "a")
        assert pipe.execute() == [b"1"]
    with r.pipeline() as pipe:
        pipe.watch("h")
        r.hset("h", "a", 1)  # same value, still a write
        pipe.multi()
        pipe.hget("h", "a")
        with pytest.raises(r.exc.WatchError):
            pipe.execute()
