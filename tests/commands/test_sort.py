"""SORT and SORT_RO, on the embedded engine and on the real server."""

import pytest

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_DOUBLE = "One or more scores can't be converted into double"


def error_of(r, *args):
    with pytest.raises(r.exc.ResponseError) as e:
        r.execute_command(*args)
    return str(e.value)


def sort(r, *args):
    return r.execute_command("SORT", *args)


def b(*items):
    return [x if x is None else str(x).encode() for x in items]


@pytest.fixture
def data(r):
    """A list, a set, an intset and a sorted set, plus weight keys."""
    r.rpush("l", 3, 1, 2, 10, -1, "1.5", "1e2")
    r.sadd("s", "b", "c", "a", "d")
    r.sadd("i", 5, 3, 9, 1)
    r.zadd("z", {"c": 1, "b": 2, "a": 3, "d": 0})
    r.mset({"w_a": 3, "w_b": 1, "w_c": 2, "w_d": -4})
    for m, v in (("a", "x"), ("b", "z"), ("c", "y")):
        r.hset(f"h_{m}", mapping={"f": v, "n": ord(v)})
    return r


# -- plain sorts --------------------------------------------------------------


def test_numeric_sort_of_each_type(data):
    r = data
    assert sort(r, "l") == b(-1, 1, "1.5", 2, 3, 10, "1e2")
    assert sort(r, "l", "DESC") == b("1e2", 10, 3, 2, "1.5", 1, -1)
    assert sort(r, "i") == b(1, 3, 5, 9)
    assert error_of(r, "SORT", "s") == NOT_DOUBLE
    assert error_of(r, "SORT", "z") == NOT_DOUBLE


def test_alpha_sort(data):
    r = data
    assert sort(r, "s", "ALPHA") == b("a", "b", "c", "d")
    assert sort(r, "z", "ALPHA", "DESC") == b("d", "c", "b", "a")
    assert sort(r, "l", "ALPHA") == b(-1, 1, "1.5", 10, "1e2", 2, 3)
    assert r.sort("s", alpha=True, desc=True) == b("d", "c", "b", "a")


def test_alpha_compares_bytes_up_to_nul(r):
    # C.UTF-8 collation is code point (byte) order; strcoll stops at NUL.
    r.rpush("l", "b", "\u00e9", "a", "B", "", "f")
    assert sort(r, "l", "ALPHA") == [b"", b"B", b"a", b"b", b"f", "\u00e9".encode()]
    r.rpush("n", "a\x00z", "a\x00b", "a")
    # All three compare equal as C strings: a stable sort keeps list order.
    assert sort(r, "n", "ALPHA") == [b"a\x00z", b"a\x00b", b"a"]
    # With STORE the comparison is binary.
    assert sort(r, "n", "ALPHA", "STORE", "d") == 3
    assert r.lrange("d", 0, -1) == [b"a", b"a\x00b", b"a\x00z"]


def test_equal_scores_are_ordered_by_element(r):
    r.rpush("l", "b", "01", "1", "a1", "1.0", " 1")
    r.rpush("m", "2", "1", "3")
    r.mset({"w_1": 5, "w_2": 5, "w_3": 5})
    # "a1" is not a number; take it out to sort numerically.
    r.lrem("l", 0, "a1")
    r.lrem("l", 0, "b")
    assert sort(r, "l") == [b" 1", b"01", b"1", b"1.0"]
    assert sort(r, "l", "DESC") == [b"1.0", b"1", b"01", b" 1"]
    assert sort(r, "m", "BY", "w_*") == b(1, 2, 3)
    assert sort(r, "m", "BY", "w_*", "DESC") == b(3, 2, 1)


def reset_errno(r):
    """Redis checks errno after strtod without clearing it, so a range
    error makes its later numeric sorts fail until a command that clears
    errno runs (any SCAN cursor parse does). redcore has no such state."""
    r.execute_command("SCAN", 0, "COUNT", 1)


def test_score_conversion(r):
    r.rpush("ok", "", " 7", "0x10", "-inf", "inf", "1e308", "-0", "2.5")
    assert sort(r, "ok") == [b"-inf", b"", b"-0", b"2.5", b" 7", b"0x10", b"1e308", b"inf"]
    for bad in ("7 ", "abc", "nan", "1e400", "1e-400", "   ", "1e-310"):
        r.delete("bad")
        r.rpush("bad", "1", bad)
        assert error_of(r, "SORT", "bad") == NOT_DOUBLE, bad
        reset_errno(r)
    r.delete("bad")
    r.rpush("bad", "1\x00junk", "0")
    assert sort(r, "bad") == [b"0", b"1\x00junk"]


def test_missing_and_wrong_type(r):
    assert sort(r, "missing") == []
    assert sort(r, "missing", "STORE", "d") == 0
    r.set("str", "x")
    assert error_of(r, "SORT", "str") == WRONGTYPE
    r.hset("h", "f", "v")
    assert error_of(r, "SORT_RO", "h") == WRONGTYPE


# -- LIMIT --------------------------------------------------------------------


@pytest.mark.parametrize(
    "offset,count,expected",
    [
        (0, 3, [-1, 1, "1.5"]),
        (2, 2, ["1.5", 2]),
        (5, 100, [10, "1e2"]),
        (-5, 2, [-1, 1]),
        (0, 0, []),
        (7, 1, []),
        (100, 1, []),
        (3, -1, [2, 3, 10, "1e2"]),
        (3, -100, [2, 3, 10, "1e2"]),
        (6, 1, ["1e2"]),
    ],
)
def test_limit(data, offset, count, expected):
    assert sort(data, "l", "LIMIT", offset, count) == b(*expected)


def test_limit_errors(data):
    r = data
    assert error_of(r, "SORT", "l", "LIMIT", "x", "1") == "value is not an integer or out of range"
    assert error_of(r, "SORT", "l", "LIMIT", "0", "1.5") == "value is not an integer or out of range"
    assert error_of(r, "SORT", "l", "LIMIT", "0") == "syntax error"
    # Syntax is checked before the key's type.
    r.set("str", "x")
    assert error_of(r, "SORT", "str", "LIMIT", "x", "1") == "value is not an integer or out of range"
    assert error_of(r, "SORT", "str", "FOO") == "syntax error"


# -- BY -----------------------------------------------------------------------


def test_by_string_and_hash_keys(data):
    r = data
    assert sort(r, "s", "BY", "w_*") == b("d", "b", "c", "a")
    assert sort(r, "s", "BY", "h_*->f", "ALPHA") == b("d", "a", "c", "b")
    assert sort(r, "s", "BY", "h_*->n") == b("d", "a", "c", "b")
    # Missing weights count as 0 (numeric) or sort first (ALPHA).
    r.delete("w_b")
    assert sort(r, "s", "BY", "w_*") == b("d", "b", "c", "a")
    assert sort(r, "z", "BY", "h_*->f", "ALPHA", "DESC") == b("b", "c", "a", "d")


def test_by_wrong_types_count_as_missing(data):
    r = data
    # A hash where a string is expected, and a string where a hash is.
    assert sort(r, "s", "BY", "h_*") == b("a", "b", "c", "d")
    assert sort(r, "s", "BY", "w_*->f") == b("a", "b", "c", "d")


def test_by_non_numeric_weight_is_an_error(data):
    r = data
    assert error_of(r, "SORT", "s", "BY", "h_*->f") == NOT_DOUBLE


def test_by_with_limit(data):
    r = data
    assert sort(r, "s", "BY", "w_*", "LIMIT", 1, 2) == b("b", "c")
    assert sort(r, "s", "BY", "w_*", "DESC", "LIMIT", 0, 1) == b("a")


def test_by_pattern_substitutes_first_star_only(r):
    r.rpush("l", "a", "b")
    r.set("k_a_*", 2)
    r.set("k_b_*", 1)
    assert sort(r, "l", "BY", "k_*_*") == b("b", "a")
    r.hset("x->y_a", "f", 5)
    r.hset("x->y_b", "f", 3)
    # "->" before the star is part of the key name.
    assert sort(r, "l", "BY", "x->y_*->f") == b("b", "a")
    # A trailing "->" with no field is part of the key name too.
    r.set("t_a->", 9)
    r.set("t_b->", 8)
    assert sort(r, "l", "BY", "t_*->") == b("b", "a")


def test_alpha_by_ties_keep_list_order(r):
    # Equal (or missing) weights: a full sort is stable...
    r.rpush("l", *"gfedcba")
    assert sort(r, "l", "BY", "nokey_*", "ALPHA") == b(*"gfedcba")
    # ...and with LIMIT Redis's partial quicksort decides.
    r.rpush("m", *[f"e{i}" for i in range(50)])
    for m in range(0, 50, 3):
        r.set(f"w_e{m}", "same")
    got = sort(r, "m", "BY", "w_*", "ALPHA", "LIMIT", 10, 5)
    assert len(got) == 5


def test_alpha_by_ties_with_limit_match_redis(r):
    r.rpush("m", *[f"e{i}" for i in range(12)])
    for m in range(12):
        r.set(f"w_e{m}", "ab"[m % 2])
    assert sort(r, "m", "BY", "w_*", "ALPHA", "LIMIT", 0, 3) == b("e0", "e2", "e4")
    assert sort(r, "m", "BY", "w_*", "ALPHA", "LIMIT", 4, 4) == b("e8", "e10", "e9", "e1")
    r.rpush("n", *[f"e{i}" for i in range(60)])
    for m in range(60):
        r.set(f"v_e{m}", "xyz"[m % 3])
    full = sort(r, "n", "BY", "v_*", "ALPHA")
    assert full[:3] == b("e0", "e3", "e6")
    assert sort(r, "n", "BY", "v_*", "ALPHA", "LIMIT", 19, 3) == b("e42", "e52", "e1")


# -- BY nosort ----------------------------------------------------------------


def test_nosort_keeps_native_order(data):
    r = data
    assert sort(r, "l", "BY", "nosort") == b(3, 1, 2, 10, -1, "1.5", "1e2")
    assert sort(r, "l", "BY", "nosort", "DESC") == b("1e2", "1.5", -1, 10, 2, 1, 3)
    assert sort(r, "l", "BY", "nosort", "LIMIT", 1, 2) == b(1, 2)
    assert sort(r, "l", "BY", "nosort", "DESC", "LIMIT", 1, 2) == b("1.5", -1)
    assert sort(r, "z", "BY", "nosort") == b("d", "c", "b", "a")
    assert sort(r, "z", "BY", "nosort", "DESC") == b("a", "b", "c", "d")
    assert sort(r, "z", "BY", "nosort", "LIMIT", 1, 2) == b("c", "b")
    assert sort(r, "z", "BY", "nosort", "DESC", "LIMIT", 1, 2) == b("b", "c")
    assert sort(r, "z", "BY", "nosort", "LIMIT", 3, 10) == b("a")
    assert sort(r, "z", "BY", "nosort", "LIMIT", 4, 10) == []


def test_nosort_on_sets(data):
    r = data
    # An intset iterates in ascending order; DESC does not apply.
    assert sort(r, "i", "BY", "nosort") == b(1, 3, 5, 9)
    assert sort(r, "i", "BY", "nosort", "DESC") == b(1, 3, 5, 9)
    assert sort(r, "i", "BY", "nosort", "LIMIT", 1, 2) == b(3, 5)
    # A hashtable set has no defined order.
    assert sorted(sort(r, "s", "BY", "nosort")) == b("a", "b", "c", "d")
    # With STORE a set is sorted anyway (bytewise), even with DESC.
    assert sort(r, "s", "BY", "nosort", "STORE", "d") == 4
    assert r.lrange("d", 0, -1) == b("a", "b", "c", "d")
    assert sort(r, "i", "BY", "nosort", "DESC", "STORE", "d") == 4
    assert r.lrange("d", 0, -1) == b(9, 5, 3, 1)


def test_constant_by_pattern_is_nosort_even_if_later_by_has_star(data):
    r = data
    assert sort(r, "l", "BY", "constant", "BY", "w_*") == b(3, 1, 2, 10, -1, "1.5", "1e2")


# -- GET ----------------------------------------------------------------------


def test_get_patterns(data):
    r = data
    assert sort(r, "s", "BY", "w_*", "GET", "#", "GET", "w_*") == b("d", -4, "b", 1, "c", 2, "a", 3)
    assert sort(r, "s", "ALPHA", "GET", "h_*->f") == b("x", "z", "y", None)
    assert sort(r, "s", "ALPHA", "GET", "nostar") == [None] * 4
    assert sort(r, "s", "ALPHA", "GET", "h_*->") == [None] * 4
    assert sort(r, "s", "ALPHA", "LIMIT", 1, 1, "GET", "#", "GET", "w_*", "GET", "h_*->n") == b("b", 1, 122)


def test_get_with_groups(data):
    r = data
    got = r.sort("s", by="w_*", get=["#", "w_*"], groups=True)
    assert got == [(b"d", b"-4"), (b"b", b"1"), (b"c", b"2"), (b"a", b"3")]
    assert r.sort("s", by="w_*", get="w_*") == b(-4, 1, 2, 3)
    with pytest.raises(r.exc.DataError):
        r.sort("s", get="#", groups=True)
    with pytest.raises(r.exc.DataError):
        r.sort("s", get=["#"], groups=True)
    with pytest.raises(r.exc.DataError):
        r.sort("s", groups=True)
    with pytest.raises(r.exc.DataError):
        r.sort("s", start=1)


def test_decoded_client(rd):
    rd.rpush("l", "b", "a")
    assert rd.sort("l", alpha=True) == ["a", "b"]
    assert rd.sort("l", alpha=True, start=1, num=1) == ["b"]
    assert rd.sort_ro("l", alpha=True, desc=True) == ["b", "a"]


# -- STORE --------------------------------------------------------------------


def test_store(data):
    r = data
    r.set("d", "old")
    r.expire("d", 100)
    assert sort(r, "i", "STORE", "d") == 4
    assert r.type("d") == b"list"
    assert r.ttl("d") == -1
    assert r.lrange("d", 0, -1) == b(1, 3, 5, 9)
    assert sort(r, "s", "ALPHA", "GET", "w_*", "GET", "h_*->f", "STORE", "d") == 8
    assert r.lrange("d", 0, -1) == b(3, "x", 1, "z", 2, "y", -4, "")
    # An empty result deletes the destination.
    assert sort(r, "s", "ALPHA", "LIMIT", 0, 0, "STORE", "d") == 0
    assert r.exists("d") == 0
    assert r.sort("l", start=0, num=2, store="d") == 2
    assert r.lrange("d", 0, -1) == b(-1, 1)
    # The last STORE wins; the source may be the destination.
    assert sort(r, "l", "STORE", "x", "STORE", "l") == 7
    assert r.exists("x") == 0
    assert r.lrange("l", 0, -1) == b(-1, 1, "1.5", 2, 3, 10, "1e2")


def test_sort_ro(data):
    r = data
    assert r.execute_command("SORT_RO", "l", "LIMIT", 0, 2) == b(-1, 1)
    assert r.execute_command("SORT_RO", "s", "BY", "w_*", "GET", "#") == b("d", "b", "c", "a")
    assert error_of(r, "SORT_RO", "l", "STORE", "d") == "syntax error"
    assert r.sort_ro("z", alpha=True, start=0, num=2) == b("a", "b")


def test_sort_converts_listpack_zsets_to_skiplist(r):
    r.zadd("z", {"a": 1, "b": 2})
    assert r.object("encoding", "z") == b"listpack"
    assert sort(r, "z", "ALPHA") == b("a", "b")
    assert r.object("encoding", "z") == b"skiplist"
    r.zadd("y", {"a": 1})
    r.execute_command("SORT_RO", "y", "BY", "nosort")
    assert r.object("encoding", "y") == b"skiplist"


def test_syntax_errors(data):
    r = data
    for args in (("BY",), ("GET",), ("STORE",), ("LIMIT", 1), ("FOO",), ("ALPHA", "BAR")):
        assert error_of(r, "SORT", "l", *args) == "syntax error", args
    assert error_of(r, "SORT") == "wrong number of arguments for 'sort' command"


def test_expired_weights_are_missing(r):
    r.rpush("l", "a", "b")
    r.set("w_a", 5, px=1)
    r.set("w_b", 3)
    import time

    time.sleep(0.01)
    assert sort(r, "l", "BY", "w_*") == b("a", "b")
    assert sort(r, "l", "BY", "w_*", "GET", "w_*") == [None, b"3"]


def test_keyspace_event_and_watch(make):
    r = make()
    r.rpush("l", 2, 1)
    p = r.pipeline()
    p.watch("d")
    r.execute_command("SORT", "l", "STORE", "d")
    p.multi()
    p.set("x", 1)
    with pytest.raises(r.exc.WatchError):
        p.execute()


def test_command_getkeys(r):
    keys = r.execute_command("COMMAND GETKEYS", "SORT", "k", "LIMIT", 0, 1, "STORE", "d", "GET", "x")
    assert [k.decode() if isinstance(k, bytes) else k for k in keys] == ["k", "d"]
    keys = r.execute_command("COMMAND GETKEYS", "SORT_RO", "k", "BY", "x")
    assert [k.decode() if isinstance(k, bytes) else k for k in keys] == ["k"]
