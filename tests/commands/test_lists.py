"""List commands: every command, option and error on both backends."""

import pytest

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INT = "value is not an integer or out of range"
RANK_ZERO = (
    "RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
    "or use negative to start from the end of the list"
)
LONG_MIN = -(2**63)
LONG_MAX = 2**63 - 1


def err(r, fn, *args, **kwargs):
    """The text of the ResponseError ``fn`` raises."""
    with pytest.raises(r.exc.ResponseError) as e:
        fn(*args, **kwargs)
    return str(e.value)


def touches(r, key, fn):
    """True if running ``fn`` invalidates a WATCH on ``key``."""
    pipe = r.pipeline()
    pipe.watch(key)
    fn()
    pipe.multi()
    pipe.llen("unrelated")
    try:
        pipe.execute()
    except r.exc.WatchError:
        return True
    finally:
        pipe.reset()
    return False


# -- LPUSH / RPUSH / LPUSHX / RPUSHX -------------------------------------------------


def test_push_order_and_length(r):
    assert r.lpush("l", "a", "b", "c") == 3
    assert r.lrange("l", 0, -1) == [b"c", b"b", b"a"]
    assert r.rpush("l", "d", "e") == 5
    assert r.lrange("l", 0, -1) == [b"c", b"b", b"a", b"d", b"e"]
    assert r.rpush("n", 1, 2.5, b"\x00\xff") == 3
    assert r.lrange("n", 0, -1) == [b"1", b"2.5", b"\x00\xff"]


def test_pushx_only_on_existing_lists(r):
    assert r.lpushx("l", "a") == 0
    assert r.rpushx("l", "a", "b") == 0
    assert r.exists("l") == 0
    r.rpush("l", "m")
    assert r.lpushx("l", "a", "b") == 3
    assert r.rpushx("l", "y", "z") == 5
    assert r.lrange("l", 0, -1) == [b"b", b"a", b"m", b"y", b"z"]


def test_push_wrongtype(r):
    r.set("s", "v")
    for fn in (r.lpush, r.rpush, r.lpushx, r.rpushx):
        assert err(r, fn, "s", "a") == WRONGTYPE
    assert r.get("s") == b"v"


def test_push_arity(r):
    for cmd in ("LPUSH", "RPUSH", "LPUSHX", "RPUSHX"):
        assert err(r, r.execute_command, cmd, "l") == f"wrong number of arguments for '{cmd.lower()}' command"


def test_push_keeps_ttl_and_pop_to_empty_drops_it(r):
    r.rpush("l", "a")
    r.expire("l", 100)
    r.rpush("l", "b")
    r.lpushx("l", "c")
    assert 0 < r.ttl("l") <= 100
    r.lpop("l", 3)
    assert r.exists("l") == 0
    r.rpush("l", "x")
    assert r.ttl("l") == -1


def test_expired_list_is_missing(r):
    r.rpush("l", "a", "b")
    r.execute_command("PEXPIRE", "l", 1)
    import time

    time.sleep(0.01)
    assert r.rpushx("l", "c") == 0
    assert r.llen("l") == 0
    assert r.rpush("l", "c") == 1


# -- LPOP / RPOP ---------------------------------------------------------------------


def test_pop_single(r):
    r.rpush("l", "a", "b", "c")
    assert r.lpop("l") == b"a"
    assert r.rpop("l") == b"c"
    assert r.lpop("l") == b"b"
    assert r.exists("l") == 0
    assert r.lpop("l") is None
    assert r.rpop("l") is None


def test_pop_with_count(r):
    r.rpush("l", *"abcdef")
    assert r.lpop("l", 2) == [b"a", b"b"]
    assert r.rpop("l", 2) == [b"f", b"e"]
    assert r.rpop("l", 1) == [b"d"]
    assert r.lpop("l", 0) == []
    assert r.llen("l") == 1
    assert r.rpop("l", 100) == [b"c"]
    assert r.exists("l") == 0


def test_pop_count_on_missing_key_is_null(r):
    assert r.lpop("nope", 1) is None
    assert r.rpop("nope", 0) is None
    assert r.execute_command("LPOP", "nope", 5) is None


def test_pop_count_errors(r):
    r.rpush("l", "a")
    r.set("s", "v")
    assert err(r, r.lpop, "l", -1) == "value is out of range, must be positive"
    assert err(r, r.rpop, "l", "x") == "value is out of range, must be positive"
    # The count is checked before the key's type.
    assert err(r, r.lpop, "s", -1) == "value is out of range, must be positive"
    assert err(r, r.lpop, "s") == WRONGTYPE
    assert err(r, r.rpop, "s", 0) == WRONGTYPE
    assert err(r, r.execute_command, "LPOP", "l", 1, 2) == "wrong number of arguments for 'lpop' command"
    assert err(r, r.execute_command, "RPOP", "l", 1, 2) == "wrong number of arguments for 'rpop' command"
    assert r.lrange("l", 0, -1) == [b"a"]


def test_pop_huge_count(r):
    r.rpush("l", "a", "b")
    assert r.lpop("l", LONG_MAX) == [b"a", b"b"]


# -- LLEN / LRANGE -------------------------------------------------------------------


def test_llen(r):
    assert r.llen("l") == 0
    r.rpush("l", "a", "b")
    assert r.llen("l") == 2
    r.set("s", "v")
    assert err(r, r.llen, "s") == WRONGTYPE


@pytest.mark.parametrize(
    "start,end,expected",
    [
        (0, -1, "abcde"),
        (1, 3, "bcd"),
        (-2, -1, "de"),
        (-100, 1, "ab"),
        (3, 100, "de"),
        (4, 4, "e"),
        (5, 10, ""),
        (3, 1, ""),
        (-1, -3, ""),
        (LONG_MIN, LONG_MAX, "abcde"),
        (0, LONG_MIN, ""),
    ],
)
def test_lrange_ranges(r, start, end, expected):
    r.rpush("l", *"abcde")
    assert r.lrange("l", start, end) == [c.encode() for c in expected]


@pytest.mark.parametrize("protocol", [2, 3])
def test_lrange_big_lists_every_way_of_reading(make, protocol):
    """Long and binary elements, every range shape, inside MULTI/EXEC and
    from a script: the same reply everywhere (the server pre-encodes it)."""
    r = make(protocol=protocol)
    items = [b"", b"a", b"\r\n$3\r\n*1\r\n", bytes(range(256)), b"x" * 70_000, b"-1", b"12345678901234567890"]
    items += [b"e%d" % i for i in range(1000)]
    r.rpush("big", *items)
    assert r.lrange("big", 0, -1) == items
    for start, stop in [(0, 0), (5, 104), (-100, -1), (990, 5000), (-5000, 2), (3, 2), (2000, 3000)]:
        n = len(items)
        s = max(start + n if start < 0 else start, 0)
        e = min(stop + n if stop < 0 else stop, n - 1)
        assert r.lrange("big", start, stop) == items[s : e + 1]
    p = r.pipeline(transaction=True)
    p.lrange("big", 0, 2).lrange("missing", 0, -1).lrange("big", -2, -1)
    assert p.execute() == [items[:3], [], items[-2:]]
    assert r.eval("return redis.call('LRANGE', KEYS[1], 0, 3)", 1, "big") == items[:4]
    assert r.eval("return #redis.call('LRANGE', KEYS[1], 0, -1)", 1, "big") == len(items)


def test_lrange_errors(r):
    # Indexes are parsed before the key is looked up.
    assert err(r, r.lrange, "missing", "x", 1) == NOT_INT
    assert err(r, r.lrange, "missing", 0, "1.5") == NOT_INT
    assert r.lrange("missing", 0, -1) == []
    r.set("s", "v")
    assert err(r, r.lrange, "s", 0, -1) == WRONGTYPE


# -- LINDEX / LSET -------------------------------------------------------------------


def test_lindex(r):
    r.rpush("l", "a", "b", "c")
    assert r.lindex("l", 0) == b"a"
    assert r.lindex("l", 2) == b"c"
    assert r.lindex("l", -1) == b"c"
    assert r.lindex("l", -3) == b"a"
    assert r.lindex("l", 3) is None
    assert r.lindex("l", -4) is None
    assert r.lindex("l", LONG_MIN) is None
    assert r.lindex("l", LONG_MAX) is None


def test_lindex_lookup_before_index_parse(r):
    assert r.lindex("missing", "notanint") is None
    r.set("s", "v")
    assert err(r, r.lindex, "s", "notanint") == WRONGTYPE
    r.rpush("l", "a")
    assert err(r, r.lindex, "l", "notanint") == NOT_INT


def test_lset(r):
    r.rpush("l", "a", "b", "c")
    assert r.lset("l", 0, "x") is True
    assert r.lset("l", -1, "z") is True
    assert r.lrange("l", 0, -1) == [b"x", b"b", b"z"]
    assert err(r, r.lset, "l", 3, "q") == "index out of range"
    assert err(r, r.lset, "l", -4, "q") == "index out of range"
    assert err(r, r.lset, "l", "x", "q") == NOT_INT
    assert r.lrange("l", 0, -1) == [b"x", b"b", b"z"]


def test_lset_errors_order(r):
    assert err(r, r.lset, "missing", 0, "v") == "no such key"
    assert err(r, r.lset, "missing", "x", "v") == "no such key"
    r.set("s", "v")
    assert err(r, r.lset, "s", "x", "v") == WRONGTYPE


# -- LINSERT -------------------------------------------------------------------------


def test_linsert(r):
    r.rpush("l", "a", "c", "c")
    assert r.linsert("l", "BEFORE", "c", "b") == 4
    assert r.linsert("l", "after", "c", "d") == 5
    assert r.lrange("l", 0, -1) == [b"a", b"b", b"c", b"d", b"c"]
    assert r.linsert("l", "After", "c", "e") == 6
    assert r.lrange("l", 0, -1) == [b"a", b"b", b"c", b"e", b"d", b"c"]
    assert r.linsert("l", "BEFORE", "nope", "x") == -1
    assert r.linsert("missing", "BEFORE", "a", "x") == 0
    assert r.exists("missing") == 0


def test_linsert_errors(r):
    # The position keyword is checked before the key is looked up.
    assert err(r, r.linsert, "missing", "MIDDLE", "a", "b") == "syntax error"
    r.set("s", "v")
    assert err(r, r.linsert, "s", "MIDDLE", "a", "b") == "syntax error"
    assert err(r, r.linsert, "s", "BEFORE", "a", "b") == WRONGTYPE


# -- LREM ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "count,removed,left",
    [
        (0, 3, "bcd"),
        (1, 1, "bacad"),
        (2, 2, "bcad"),
        (-1, 1, "abacd"),
        (-2, 2, "abcd"),
        (10, 3, "bcd"),
        (-10, 3, "bcd"),
        (LONG_MIN, 3, "bcd"),
    ],
)
def test_lrem(r, count, removed, left):
    r.rpush("l", *"abacad")
    assert r.lrem("l", count, "a") == removed
    assert r.lrange("l", 0, -1) == [c.encode() for c in left]


def test_lrem_many_and_empty(r):
    r.rpush("l", *(["x", "y"] * 50))
    assert r.lrem("l", -30, "x") == 30
    assert r.llen("l") == 70
    assert r.lrange("l", 0, 3) == [b"x", b"y", b"x", b"y"]
    assert r.lrange("l", -4, -1) == [b"y", b"y", b"y", b"y"]
    r.rpush("e", "a", "a")
    assert r.lrem("e", 0, "a") == 2
    assert r.exists("e") == 0


def test_lrem_errors(r):
    assert r.lrem("missing", 0, "a") == 0
    assert err(r, r.lrem, "missing", "x", "a") == NOT_INT
    r.set("s", "v")
    assert err(r, r.lrem, "s", "x", "a") == NOT_INT
    assert err(r, r.lrem, "s", 0, "a") == WRONGTYPE


# -- LTRIM ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start,end,left",
    [
        (0, -1, "abcde"),
        (1, 3, "bcd"),
        (-2, -1, "de"),
        (-100, 0, "a"),
        (2, 100, "cde"),
        (LONG_MIN, LONG_MAX, "abcde"),
    ],
)
def test_ltrim(r, start, end, left):
    r.rpush("l", *"abcde")
    assert r.ltrim("l", start, end) is True
    assert r.lrange("l", 0, -1) == [c.encode() for c in left]


@pytest.mark.parametrize("start,end", [(3, 1), (5, 10), (-1, -2), (0, LONG_MIN)])
def test_ltrim_to_empty_deletes(r, start, end):
    r.rpush("l", *"abcde")
    r.expire("l", 100)
    assert r.ltrim("l", start, end) is True
    assert r.exists("l") == 0


def test_ltrim_errors(r):
    assert r.ltrim("missing", 0, 1) is True
    assert r.exists("missing") == 0
    assert err(r, r.ltrim, "missing", "a", 1) == NOT_INT
    r.set("s", "v")
    assert err(r, r.ltrim, "s", 0, "b") == NOT_INT
    assert err(r, r.ltrim, "s", 0, 1) == WRONGTYPE


# -- LPOS ----------------------------------------------------------------------------


def test_lpos_basic(r):
    r.rpush("l", *"abcacad")
    assert r.lpos("l", "a") == 0
    assert r.lpos("l", "d") == 6
    assert r.lpos("l", "z") is None
    assert r.lpos("l", "a", rank=2) == 3
    assert r.lpos("l", "a", rank=3) == 5
    assert r.lpos("l", "a", rank=4) is None
    assert r.lpos("l", "a", rank=-1) == 5
    assert r.lpos("l", "a", rank=-3) == 0
    assert r.lpos("l", "a", rank=-4) is None


def test_lpos_count_and_maxlen(r):
    r.rpush("l", *"abcacad")
    assert r.lpos("l", "a", count=0) == [0, 3, 5]
    assert r.lpos("l", "a", count=2) == [0, 3]
    assert r.lpos("l", "a", count=10) == [0, 3, 5]
    assert r.lpos("l", "a", rank=2, count=0) == [3, 5]
    assert r.lpos("l", "a", rank=2, count=1) == [3]
    assert r.lpos("l", "a", rank=-1, count=2) == [5, 3]
    assert r.lpos("l", "a", rank=-2, count=0) == [3, 0]
    assert r.lpos("l", "z", count=0) == []
    assert r.lpos("l", "a", maxlen=3) == 0
    assert r.lpos("l", "a", maxlen=3, count=0) == [0]
    assert r.lpos("l", "a", rank=2, maxlen=3) is None
    assert r.lpos("l", "a", rank=-1, maxlen=1) is None
    assert r.lpos("l", "a", rank=-1, maxlen=2, count=0) == [5]
    assert r.lpos("l", "a", maxlen=0, count=0) == [0, 3, 5]
    assert r.lpos("l", "a", rank=LONG_MAX) is None
    assert r.lpos("l", "a", rank=-LONG_MAX, count=0) == []


def test_lpos_rank_long_min(r):
    # Redis negates RANK in a C long, so LONG_MIN stays negative: it
    # searches from the tail, every match qualifies and COUNT never stops.
    r.rpush("l", *"abcacad")
    assert r.lpos("l", "a", rank=LONG_MIN) == 5
    assert r.lpos("l", "a", rank=LONG_MIN, count=1) == [5, 3, 0]
    assert r.lpos("l", "a", rank=LONG_MIN, count=1, maxlen=3) == [5]


def test_lpos_missing_key(r):
    assert r.lpos("missing", "a") is None
    assert r.lpos("missing", "a", count=1) == []
    assert r.lpos("missing", "a", count=0, rank=-1) == []


def test_lpos_errors(r):
    r.rpush("l", "a")
    r.set("s", "v")
    assert err(r, r.lpos, "l", "a", rank=0) == RANK_ZERO
    assert err(r, r.lpos, "l", "a", rank="x") == NOT_INT
    assert err(r, r.lpos, "l", "a", count=-1) == "COUNT can't be negative"
    assert err(r, r.lpos, "l", "a", count="x") == "COUNT can't be negative"
    assert err(r, r.lpos, "l", "a", maxlen=-1) == "MAXLEN can't be negative"
    assert err(r, r.lpos, "l", "a", maxlen="1.5") == "MAXLEN can't be negative"
    assert err(r, r.execute_command, "LPOS", "l", "a", "RANK") == "syntax error"
    assert err(r, r.execute_command, "LPOS", "l", "a", "FOO", 1) == "syntax error"
    assert err(r, r.execute_command, "LPOS", "l", "a", "COUNT", 1, "MAXLEN") == "syntax error"
    # Options are validated left to right, before the key is looked up.
    assert err(r, r.execute_command, "LPOS", "l", "a", "RANK", 0, "FOO") == RANK_ZERO
    assert err(r, r.lpos, "missing", "a", rank=0) == RANK_ZERO
    assert err(r, r.lpos, "s", "a", count=-1) == "COUNT can't be negative"
    assert err(r, r.lpos, "s", "a") == WRONGTYPE
    assert r.execute_command("LPOS", "l", "a", "rank", 1, "count", 1, "maxlen", 0) == [0]
    assert err(r, r.execute_command, "LPOS", "l", "a", "RANK", 0, "RANK", 1) == RANK_ZERO


def test_lpos_last_option_wins(r):
    r.rpush("l", *"aaa")
    assert r.execute_command("LPOS", "l", "a", "RANK", 1, "RANK", 2) == 1
    assert r.execute_command("LPOS", "l", "a", "COUNT", 1, "COUNT", 0) == [0, 1, 2]


# -- LMOVE / RPOPLPUSH ---------------------------------------------------------------


@pytest.mark.parametrize(
    "src,dest,moved,src_left,dst_after",
    [
        ("LEFT", "LEFT", b"a", "bc", "axy"),
        ("LEFT", "RIGHT", b"a", "bc", "xya"),
        ("RIGHT", "LEFT", b"c", "ab", "cxy"),
        ("RIGHT", "RIGHT", b"c", "ab", "xyc"),
    ],
)
def test_lmove_directions(r, src, dest, moved, src_left, dst_after):
    r.rpush("s", *"abc")
    r.rpush("d", *"xy")
    assert r.lmove("s", "d", src, dest) == moved
    assert r.lrange("s", 0, -1) == [c.encode() for c in src_left]
    assert r.lrange("d", 0, -1) == [c.encode() for c in dst_after]


def test_lmove_defaults_and_case(r):
    r.rpush("s", "a", "b")
    assert r.lmove("s", "d") == b"a"
    assert r.lrange("d", 0, -1) == [b"a"]
    assert r.lmove("s", "d", "right", "left") == b"b"
    assert r.lrange("d", 0, -1) == [b"b", b"a"]
    assert r.exists("s") == 0


def test_lmove_same_key_rotates(r):
    r.rpush("l", *"abc")
    assert r.lmove("l", "l", "LEFT", "RIGHT") == b"a"
    assert r.lrange("l", 0, -1) == [b"b", b"c", b"a"]
    assert r.lmove("l", "l", "RIGHT", "LEFT") == b"a"
    assert r.lrange("l", 0, -1) == [b"a", b"b", b"c"]
    assert r.lmove("l", "l", "LEFT", "LEFT") == b"a"
    assert r.lrange("l", 0, -1) == [b"a", b"b", b"c"]
    assert r.rpoplpush("l", "l") == b"c"
    assert r.lrange("l", 0, -1) == [b"c", b"a", b"b"]


def test_lmove_single_element_same_key_keeps_key_and_ttl(r):
    r.rpush("l", "a")
    r.expire("l", 100)
    assert r.lmove("l", "l", "LEFT", "RIGHT") == b"a"
    assert r.lrange("l", 0, -1) == [b"a"]
    assert 0 < r.ttl("l") <= 100
    assert r.rpoplpush("l", "l") == b"a"
    assert r.lrange("l", 0, -1) == [b"a"]


def test_lmove_to_new_key_has_no_ttl(r):
    r.rpush("s", "a", "b")
    r.expire("s", 100)
    r.lmove("s", "d")
    assert r.ttl("d") == -1
    assert r.ttl("s") > 0


def test_lmove_errors(r):
    r.set("str", "v")
    r.rpush("l", "a")
    # Direction keywords are checked before any key.
    assert err(r, r.lmove, "str", "str", "UP", "LEFT") == "syntax error"
    assert err(r, r.lmove, "l", "d", "LEFT", "DOWN") == "syntax error"
    # A missing source replies nil before the destination's type is checked.
    assert r.lmove("missing", "str") is None
    assert r.rpoplpush("missing", "str") is None
    assert err(r, r.lmove, "str", "l") == WRONGTYPE
    assert err(r, r.lmove, "l", "str") == WRONGTYPE
    assert err(r, r.rpoplpush, "l", "str") == WRONGTYPE
    assert r.lrange("l", 0, -1) == [b"a"]
    assert r.exists("missing") == 0


def test_rpoplpush(r):
    r.rpush("s", "a", "b")
    assert r.rpoplpush("s", "d") == b"b"
    assert r.rpoplpush("s", "d") == b"a"
    assert r.rpoplpush("s", "d") is None
    assert r.exists("s") == 0
    assert r.lrange("d", 0, -1) == [b"a", b"b"]


# -- LMPOP ---------------------------------------------------------------------------


def test_lmpop(r):
    r.rpush("b", *"abcde")
    r.rpush("c", "z")
    assert r.lmpop(3, "a", "b", "c", direction="LEFT") == [b"b", [b"a"]]
    assert r.lmpop(2, "a", "b", direction="RIGHT", count=2) == [b"b", [b"e", b"d"]]
    assert r.lmpop(1, "b", direction="left", count=10) == [b"b", [b"b", b"c"]]
    assert r.exists("b") == 0
    assert r.lmpop(2, "a", "b", direction="LEFT") is None
    assert r.lmpop(3, "a", "b", "c", direction="RIGHT", count=5) == [b"c", [b"z"]]
    assert r.exists("c") == 0


def test_lmpop_same_key_twice(r):
    r.rpush("a", "x", "y")
    assert r.lmpop(2, "a", "a", direction="LEFT", count=5) == [b"a", [b"x", b"y"]]


def test_lmpop_wrongtype_only_when_reached(r):
    r.set("s", "v")
    r.rpush("l", "a")
    assert r.lmpop(2, "l", "s", direction="LEFT") == [b"l", [b"a"]]
    assert err(r, r.lmpop, 3, "missing", "s", "l", direction="LEFT") == WRONGTYPE
    assert r.lmpop(1, "missing", direction="LEFT") is None


@pytest.mark.parametrize(
    "args,message",
    [
        ((0, "l", "LEFT"), "numkeys should be greater than 0"),
        ((-1, "l", "LEFT"), "numkeys should be greater than 0"),
        (("x", "l", "LEFT"), "numkeys should be greater than 0"),
        ((LONG_MAX, "l", "LEFT"), "syntax error"),
        ((2, "l", "LEFT"), "syntax error"),
        ((1, "l", "UP"), "syntax error"),
        ((1, "l", "LEFT", "COUNT"), "syntax error"),
        ((1, "l", "LEFT", "FOO", 1), "syntax error"),
        ((1, "l", "LEFT", "COUNT", 0), "count should be greater than 0"),
        ((1, "l", "LEFT", "COUNT", -1), "count should be greater than 0"),
        ((1, "l", "LEFT", "COUNT", "x"), "count should be greater than 0"),
        ((1, "l", "LEFT", "COUNT", 1, "COUNT", 2), "syntax error"),
        ((1, "s", "UP"), "syntax error"),
        ((1, "s", "LEFT", "COUNT", 0), "count should be greater than 0"),
    ],
)
def test_lmpop_errors(r, args, message):
    r.rpush("l", "a")
    r.set("s", "v")
    assert err(r, r.execute_command, "LMPOP", *args) == message
    assert r.lrange("l", 0, -1) == [b"a"]


def test_lmpop_arity(r):
    assert err(r, r.execute_command, "LMPOP", 1, "l") == "wrong number of arguments for 'lmpop' command"


# -- Types, decoding, transactions, WATCH --------------------------------------------


def test_decode_responses(rd):
    rd.rpush("l", "a", "b", "c")
    assert rd.lindex("l", 0) == "a"
    assert rd.lpop("l", 1) == ["a"]
    assert rd.lmove("l", "m") == "b"
    assert rd.lmpop(2, "x", "l", direction="LEFT") == ["l", ["c"]]
    assert rd.lset("m", 0, "z") is True
    assert rd.lrange("m", 0, -1) == ["z"]


def test_in_transaction(r):
    with r.pipeline() as p:
        p.rpush("l", "a", "b").lpushx("l", "c").linsert("l", "AFTER", "a", "x")
        p.lpos("l", "x").lset("l", 0, "z").ltrim("l", 0, 2).lrem("l", 0, "z")
        p.lmpop(1, "l", direction="RIGHT").lindex("l", 0).rpoplpush("l", "m")
        assert p.execute() == [2, 3, 4, 2, True, True, 1, [b"l", [b"x"]], b"a", b"a"]


def test_watch_signals(r):
    r.rpush("l", "a", "b")
    assert touches(r, "l", lambda: r.ltrim("l", 0, -1))  # even a no-op trim
    assert touches(r, "l", lambda: r.lset("l", 0, "a"))
    assert touches(r, "l", lambda: r.linsert("l", "BEFORE", "a", "z"))
    assert not touches(r, "l", lambda: r.linsert("l", "BEFORE", "nope", "z"))
    assert not touches(r, "l", lambda: r.lrem("l", 0, "nope"))
    assert touches(r, "l", lambda: r.lrem("l", 1, "z"))
    assert not touches(r, "l", lambda: r.lpop("l", 0))
    assert not touches(r, "n", lambda: r.lpushx("n", "a"))
    assert not touches(r, "n", lambda: r.lmove("n", "l"))
    assert touches(r, "m", lambda: r.lmove("l", "m"))
    assert touches(r, "l", lambda: r.lmove("l", "m"))
    assert not touches(r, "l", lambda: r.lpos("l", "a"))


# -- Long lists (many nodes, elements larger than a node) ---------------------------


def model_list(r, key, model):
    """Checks the list at ``key`` against ``model`` from both ends."""
    assert r.llen(key) == len(model)
    assert r.lrange(key, 0, -1) == model
    for i in (0, 1, len(model) // 3, len(model) // 2, len(model) - 2, -1, -len(model)):
        assert r.lindex(key, i) == model[i]


def test_long_list_across_nodes(r):
    # 8-byte elements: Redis cuts ~817 of them into an 8 KB node.
    model = [b"e%07d" % i for i in range(5000)]
    for i in range(0, 5000, 500):
        r.rpush("l", *model[i : i + 500])
    model_list(r, "l", model)
    # Ranges that start and end inside different nodes.
    for start, stop in [(810, 830), (100, 4000), (-900, -800), (4990, 6000), (1633, 1635)]:
        assert r.lrange("l", start, stop) == model[start : stop + 1 if stop != -1 else None]
    # A large element (over a node's 8 KB) in the middle of a full node,
    # then replaced by a small one, and small ones around it.
    big = b"B" * 20000
    r.lset("l", 2000, big)
    model[2000] = big
    assert r.linsert("l", "BEFORE", big, b"before") == 5001
    model.insert(2000, b"before")
    assert r.linsert("l", "AFTER", big, b"after") == 5002
    model.insert(2002, b"after")
    model_list(r, "l", model)
    assert r.lpos("l", big) == 2001
    r.lset("l", 2001, b"small")
    model[2001] = b"small"
    model_list(r, "l", model)
    # LINSERT into full nodes, by pivot.
    for pivot in (b"e0000817", b"e0004000", b"e0000000", b"e0004999"):
        r.linsert("l", "AFTER", pivot, b"ins")
        model.insert(model.index(pivot) + 1, b"ins")
    model_list(r, "l", model)


def test_long_list_removals_and_trims(r):
    model = [b"x" if i % 7 == 0 else b"y%d" % (i % 5) for i in range(6000)]
    r.rpush("l", *model)
    xs = [i for i, e in enumerate(model) if e == b"x"]
    assert r.lpos("l", b"x", rank=-3, count=4) == xs[::-1][2:6]
    assert r.lpos("l", b"x", rank=100) == xs[99]
    assert r.lpos("l", b"y1", count=0, maxlen=20) == [1, 6, 11, 16]
    assert r.lrem("l", -100, b"x") == 100
    for i in reversed(xs[-100:]):
        del model[i]
    assert r.lrem("l", 3, b"y2") == 3
    for _ in range(3):
        model.remove(b"y2")
    model_list(r, "l", model)
    assert r.lrem("l", 0, b"y3") == model.count(b"y3")
    model = [e for e in model if e != b"y3"]
    model_list(r, "l", model)
    assert r.ltrim("l", 1000, -1000)
    model = model[1000:-999]
    model_list(r, "l", model)
    assert r.lpop("l", 1500) == model[:1500]
    assert r.rpop("l", 10) == model[::-1][:10]
    model = model[1500:-10]
    model_list(r, "l", model)
    assert r.lrem("l", 0, b"x") == model.count(b"x")
    model = [e for e in model if e != b"x"]
    model_list(r, "l", model)


def test_queue_churn(r):
    # A job queue: LPUSH at one end, RPOP/BRPOPLPUSH-style moves at the other.
    model = []
    n = 0
    for round_ in range(30):
        batch = [b"job:%d" % (n + i) for i in range(300)]
        n += len(batch)
        for job in batch:
            r.lpush("q", job)
        model[:0] = batch[::-1]
        for _ in range(250 if round_ % 3 else 100):
            assert r.rpoplpush("q", "done") == model.pop()
    model_list(r, "q", model)
    assert r.llen("done") == n - len(model)


def test_lrange_decoded(rd):
    rd.rpush("l", "ä", "b", "ünï" * 50)
    assert rd.lrange("l", 0, -1) == ["ä", "b", "ünï" * 50]
    assert rd.lrange("l", -2, 5) == ["b", "ünï" * 50]
    rd.rpush("bad", b"ok", b"\xff\xfe")
    with pytest.raises(UnicodeDecodeError):
        rd.lrange("bad", 0, -1)
