"""Stream commands, on both backends: entries, trimming, reads (blocking
included), consumer groups, claiming, XINFO, events and concurrency."""

import threading
import time

import pytest

from support import in_thread, wait_blocked

INVALID_ID = "Invalid stream ID specified as stream command argument"


def raw(r, *args):
    return r.execute_command(*args)


def fill(r, key, n, start=1):
    """Entries start-0 .. start+n-1-0, field f = the number."""
    pipe = r.pipeline(transaction=False)
    for i in range(start, start + n):
        pipe.xadd(key, {"f": i}, id=f"{i}-0")
    pipe.execute()


# -- XADD ----------------------------------------------------------------------


def test_xadd_explicit_ids_and_replies(r):
    assert r.xadd("s", {"a": 1, "b": "x"}, id="1-1") == b"1-1"
    assert r.xadd("s", {"a": 2}, id="1-*") == b"1-2"
    assert r.xadd("s", {"a": 3}, id="2") == b"2-0"
    assert r.xadd("s", {"a": 4}, id="2-*") == b"2-1"
    assert r.xadd("s", {"a": 5}, id="5-*") == b"5-0"
    assert r.xlen("s") == 5
    assert r.xrange("s", count=2) == [(b"1-1", {b"a": b"1", b"b": b"x"}), (b"1-2", {b"a": b"2"})]
    assert r.type("s") == b"stream"
    assert raw(r, "OBJECT", "ENCODING", "s") == b"stream"


def test_xadd_auto_ids_grow(r):
    ids = [r.xadd("s", {"i": i}) for i in range(50)]
    parsed = [tuple(map(int, i.split(b"-"))) for i in ids]
    assert parsed == sorted(parsed) and len(set(parsed)) == 50
    assert abs(parsed[0][0] - time.time() * 1000) < 60_000
    # A far-future explicit ID: * then continues its millisecond.
    r.xadd("s", {"x": 1}, id="99999999999999-5")
    assert r.xadd("s", {"x": 2}) == b"99999999999999-6"


def test_xadd_id_errors(r):
    r.xadd("s", {"a": 1}, id="5-5")
    for bad in ("5-5", "5-4", "4-*", "4"):
        with pytest.raises(r.exc.ResponseError, match="equal or smaller than the target stream top item"):
            r.xadd("s", {"a": 1}, id=bad)
    with pytest.raises(r.exc.ResponseError, match="must be greater than 0-0"):
        r.xadd("new", {"a": 1}, id="0-0")
    assert r.exists("new") == 0
    assert r.xadd("new", {"a": 1}, id="0-*") == b"0-1"
    for bad in ("-", "+", "x", "1-x", "-1", "1--1", "1-", "18446744073709551616", ""):
        with pytest.raises(r.exc.ResponseError, match=INVALID_ID):
            r.xadd("s", {"a": 1}, id=bad)
    r.xadd("m", {"a": 1}, id="7-18446744073709551615")
    with pytest.raises(r.exc.ResponseError, match="Elements are too large to be stored"):
        r.xadd("m", {"a": 1}, id="7-*")
    assert r.xadd("m", {"a": 1}, id="8-*") == b"8-0"
    r.xadd("top", {"a": 1}, id="18446744073709551615-18446744073709551615")
    with pytest.raises(r.exc.ResponseError, match="exhausted the last possible ID"):
        r.xadd("top", {"a": 1})


def test_xadd_lenient_id_syntax(r):
    # Redis reads each part with strtoull when the strict parse fails.
    assert raw(r, "XADD", "s", " 7-+3", "a", "1") == b"7-3"
    assert raw(r, "XADD", "s", "008-0", "a", "1") == b"8-0"
    assert raw(r, "XADD", "s", "9--01", "a", "1") == b"9-18446744073709551615"


def test_xadd_arity_and_options(r):
    with pytest.raises(r.exc.ResponseError, match="wrong number of arguments for 'xadd'"):
        raw(r, "XADD", "s", "*", "a", "1", "b")
    with pytest.raises(r.exc.ResponseError, match="wrong number of arguments for 'xadd'"):
        raw(r, "XADD", "s", "MAXLEN", "5", "NOMKSTREAM")
    assert r.xadd("s", {"a": 1}, nomkstream=True) is None
    assert r.exists("s") == 0
    r.xadd("s", {"a": 1}, id="1-0")
    assert r.xadd("s", {"a": 2}, id="2-0", nomkstream=True) == b"2-0"
    errors = {
        ("MAXLEN", "-1"): "The MAXLEN argument must be >= 0.",
        ("MAXLEN", "x"): "value is not an integer or out of range",
        ("MAXLEN", "~", "x"): "value is not an integer or out of range",
        ("MAXLEN", "1", "MINID", "1"): "MAXLEN and MINID options at the same time are not compatible",
        ("MINID", "x"): INVALID_ID,
        ("MINID", "-"): INVALID_ID,
        ("LIMIT", "5"): "LIMIT cannot be used without specifying a trimming strategy",
        ("LIMIT", "0"): "LIMIT cannot be used without the special ~ option",
        ("MAXLEN", "1", "LIMIT", "5"): "LIMIT cannot be used without the special ~ option",
        ("MAXLEN", "~", "1", "LIMIT", "-1"): "The LIMIT argument must be >= 0.",
        ("MAXLEN",): "value is not an integer or out of range",
    }
    for opts, msg in errors.items():
        with pytest.raises(r.exc.ResponseError, match=msg):
            raw(r, "XADD", "s", *opts, "*", "a", "1")
    r.set("str", "x")
    with pytest.raises(r.exc.ResponseError, match="WRONGTYPE"):
        r.xadd("str", {"a": 1})
    with pytest.raises(r.exc.ResponseError, match="must be greater than 0-0"):
        r.xadd("str", {"a": 1}, id="0-0")


def test_xadd_python_argument_checks(r):
    with pytest.raises(r.exc.DataError):
        r.xadd("s", {})
    with pytest.raises(r.exc.DataError):
        r.xadd("s", {"a": 1}, maxlen=1, minid="1")
    with pytest.raises(r.exc.DataError):
        r.xadd("s", {"a": 1}, maxlen=-1)
    with pytest.raises(r.exc.DataError):
        r.xadd("s", {"a": 1}, ref_policy="NOPE")
    with pytest.raises(r.exc.DataError):
        r.xtrim("s")
    with pytest.raises(r.exc.DataError):
        r.xrange("s", count=0)
    with pytest.raises(r.exc.DataError):
        r.xread({"s": 0}, count=0)
    with pytest.raises(r.exc.DataError):
        r.xreadgroup("g", "c", {})
    with pytest.raises(r.exc.DataError):
        r.xclaim("s", "g", "c", -1, ["1-0"])
    with pytest.raises(r.exc.DataError):
        r.xclaim("s", "g", "c", 0, [])
    with pytest.raises(r.exc.DataError):
        r.xpending_range("s", "g", None, None, None, consumername="c")
    with pytest.raises(r.exc.DataError):
        r.xautoclaim("s", "g", "c", -5)


# -- trimming ----------------------------------------------------------------


def test_exact_trimming(r):
    fill(r, "s", 10)
    assert r.xadd("s", {"f": 11}, id="11-0", maxlen=5, approximate=False) == b"11-0"
    assert [e[0] for e in r.xrange("s")] == [b"7-0", b"8-0", b"9-0", b"10-0", b"11-0"]
    assert r.xtrim("s", minid="9", approximate=False) == 2
    assert r.xtrim("s", minid="9", approximate=False) == 0
    assert raw(r, "XTRIM", "s", "MAXLEN", "=", "1") == 2
    assert r.xrange("s") == [(b"11-0", {b"f": b"11"})]
    assert r.xtrim("s", maxlen=0, approximate=False) == 1
    assert r.exists("s") == 1 and r.xlen("s") == 0
    assert r.xtrim("missing", maxlen=0) == 0
    assert raw(r, "XADD", "s", "MAXLEN", "0", "*", "a", "1")
    assert r.xlen("s") == 0


def test_approximate_trimming_removes_whole_nodes(r):
    # 100 entries per node: MAXLEN ~ only drops nodes that fit entirely.
    fill(r, "s", 250)
    assert r.xtrim("s", maxlen=120) == 100
    assert r.xlen("s") == 150
    assert r.xtrim("s", maxlen=120) == 0
    assert r.xadd("s", {"f": 1}, id="251-0", maxlen=10) == b"251-0"
    assert r.xlen("s") == 51
    assert r.xrange("s", count=1)[0][0] == b"201-0"
    fill(r, "t", 300)
    assert r.xtrim("t", minid="250") == 200
    assert r.xtrim("t", minid="250", approximate=False) == 49
    fill(r, "u", 500)
    assert r.xtrim("u", maxlen=0, limit=200) == 200
    assert raw(r, "XTRIM", "u", "MAXLEN", "~", "0", "LIMIT", "0") == 300


def test_approximate_trimming_follows_node_byte_limits(r):
    # 1000-byte values: a node closes after four entries (4096 bytes).
    for i in range(1, 21):
        r.xadd("s", {"v": "x" * 1000}, id=f"{i}-0")
    info = r.xinfo_stream("s")
    assert info["radix-tree-keys"] == 5
    assert r.xtrim("s", maxlen=10) == 8
    assert r.xlen("s") == 12


def test_node_settings_change_trimming(node_config):
    r = node_config
    r.config_set("stream-node-max-entries", 10)
    fill(r, "s", 95)
    assert r.xinfo_stream("s")["radix-tree-keys"] == 10
    assert r.xtrim("s", maxlen=33) == 60
    r.config_set("stream-node-max-entries", 0)
    r.config_set("stream-node-max-bytes", 200)
    fill(r, "b", 40)
    assert r.xinfo_stream("b")["radix-tree-keys"] == 3
    assert r.xtrim("b", maxlen=5) == 18


def test_deleted_entries_still_fill_nodes(r):
    fill(r, "s", 100)
    r.xdel("s", *[f"{i}-0" for i in range(2, 100)])
    fill(r, "s", 10, start=101)
    info = r.xinfo_stream("s")
    assert (info["length"], info["radix-tree-keys"]) == (12, 2)
    assert r.xtrim("s", maxlen=10) == 2


def test_xtrim_errors(r):
    fill(r, "s", 3)
    errors = {
        ("LIMIT", "0"): "XTRIM must be called with a trimming strategy",
        ("NOMKSTREAM", "1"): "syntax error",
        ("MAXLEN", "1", "2"): "syntax error",
        ("MAXLEN", "~"): "value is not an integer or out of range",
        ("FOO", "1"): "syntax error",
        ("NOMKSTREAM", "MAXLEN", "1"): "syntax error",
        ("LIMIT", "10"): "LIMIT cannot be used without specifying a trimming strategy",
        ("MAXLEN", "1", "LIMIT", "10"): "LIMIT cannot be used without the special ~ option",
        ("MINID", "+"): INVALID_ID,
    }
    for opts, msg in errors.items():
        with pytest.raises(r.exc.ResponseError, match=msg):
            raw(r, "XTRIM", "s", *opts)
    r.set("str", "x")
    with pytest.raises(r.exc.ResponseError, match="WRONGTYPE"):
        r.xtrim("str", maxlen=1)


# -- XRANGE / XREVRANGE / XLEN / XDEL -----------------------------------------


def test_xrange_bounds(r):
    for ms, seq in [(1, 0), (1, 1), (2, 0), (2, 5), (3, 0)]:
        r.xadd("s", {"v": f"{ms}.{seq}"}, id=f"{ms}-{seq}")
    ids = lambda rows: [e[0] for e in rows]  # noqa: E731
    assert ids(r.xrange("s")) == [b"1-0", b"1-1", b"2-0", b"2-5", b"3-0"]
    assert ids(r.xrange("s", "2", "2")) == [b"2-0", b"2-5"]
    assert ids(r.xrange("s", "(1-1", "(3-0")) == [b"2-0", b"2-5"]
    assert ids(r.xrange("s", "(1", "+")) == [b"1-1", b"2-0", b"2-5", b"3-0"]
    assert ids(r.xrange("s", "2-1", "+", count=1)) == [b"2-5"]
    assert ids(r.xrevrange("s")) == [b"3-0", b"2-5", b"2-0", b"1-1", b"1-0"]
    assert ids(r.xrevrange("s", "(3-0", "1-1", count=2)) == [b"2-5", b"2-0"]
    assert r.xrange("s", "3", "1") == []
    assert r.xrange("missing") == []
    assert raw(r, "XRANGE", "s", "-", "+", "COUNT", "0") is None
    assert raw(r, "XRANGE", "missing", "-", "+", "COUNT", "0") == []
    assert raw(r, "XREVRANGE", "s", "+", "-", "COUNT", "-3") is None
    assert raw(r, "XRANGE", "s", "-", "+", "COUNT", "2", "COUNT", "1") == [(b"1-0", {b"v": b"1.0"})]


def test_xrange_errors(r):
    r.xadd("s", {"a": 1}, id="1-0")
    with pytest.raises(r.exc.ResponseError, match="invalid start ID for the interval"):
        r.xrange("s", "(18446744073709551615-18446744073709551615")
    with pytest.raises(r.exc.ResponseError, match="invalid end ID for the interval"):
        r.xrange("s", "-", "(0-0")
    for lo, hi in [("(-", "+"), ("-", "(+"), ("x", "+"), ("(", "+")]:
        with pytest.raises(r.exc.ResponseError, match=INVALID_ID):
            r.xrange("s", lo, hi)
    with pytest.raises(r.exc.ResponseError, match="syntax error"):
        raw(r, "XRANGE", "s", "-", "+", "COUNT")
    with pytest.raises(r.exc.ResponseError, match="value is not an integer"):
        raw(r, "XRANGE", "s", "-", "+", "COUNT", "x")
    r.set("str", "x")
    for cmd in ("XRANGE", "XREVRANGE"):
        with pytest.raises(r.exc.ResponseError, match="WRONGTYPE"):
            raw(r, cmd, "str", "+", "-")
    with pytest.raises(r.exc.ResponseError, match="WRONGTYPE"):
        r.xlen("str")


def test_xdel_updates_first_entry_and_keeps_empty_streams(r):
    fill(r, "s", 5)
    assert r.xdel("s", "1-0", "3-0", "9-0", "1-0") == 2
    info = r.xinfo_stream("s")
    assert info["recorded-first-entry-id"] == b"2-0"
    assert info["max-deleted-entry-id"] == b"3-0"
    assert r.xdel("s", "2-0", "4-0", "5-0") == 3
    info = r.xinfo_stream("s")
    assert (info["length"], info["first-entry"], info["last-entry"]) == (0, None, None)
    assert info["last-generated-id"] == b"5-0"
    assert info["recorded-first-entry-id"] == b"0-0"
    assert r.exists("s") == 1
    assert r.xdel("missing", "1-0") == 0
    with pytest.raises(r.exc.ResponseError, match=INVALID_ID):
        r.xdel("s", "1-0", "bad")
    r.set("str", "x")
    with pytest.raises(r.exc.ResponseError, match="WRONGTYPE"):
        r.xdel("str", "bad")


def test_xsetid(r):
    fill(r, "s", 3)
    assert raw(r, "XSETID", "s", "10-0") == b"OK"
    assert r.xadd("s", {"a": 1}, id="10-*") == b"10-1"
    errors = {
        ("s", "5-0"): "smaller than the target stream top item",
        ("s", "20-0", "ENTRIESADDED", "1"): "entries_added specified in XSETID is smaller than the target stream length",
        ("s", "20-0", "ENTRIESADDED", "-1"): "entries_added must be positive",
        ("s", "20-0", "MAXDELETEDID", "30-0"): "smaller than the provided max_deleted_entry_id",
        ("s", "20-0", "FOO"): "syntax error",
        ("s", "+"): INVALID_ID,
        ("missing", "1-0"): "no such key",
    }
    for args, msg in errors.items():
        with pytest.raises(r.exc.ResponseError, match=msg):
            raw(r, "XSETID", *args)
    assert raw(r, "XSETID", "s", "20-0", "ENTRIESADDED", "50", "MAXDELETEDID", "15-0") == b"OK"
    info = r.xinfo_stream("s")
    assert (info["last-generated-id"], info["entries-added"], info["max-deleted-entry-id"]) == (
        b"20-0", 50, b"15-0")
    # An empty stream may move its last ID back.
    r.xtrim("s", maxlen=0, approximate=False)
    assert raw(r, "XSETID", "s", "2-0") == b"OK"
    assert r.xadd("s", {"a": 1}, id="3-0") == b"3-0"


# -- XREAD -------------------------------------------------------------------


def test_xread_sync(r):
    fill(r, "a", 3)
    fill(r, "b", 2, start=10)
    assert r.xread({"a": 0, "b": "10-0"}) == [
        [b"a", [(b"1-0", {b"f": b"1"}), (b"2-0", {b"f": b"2"}), (b"3-0", {b"f": b"3"})]],
        [b"b", [(b"11-0", {b"f": b"11"})]],
    ]
    assert r.xread({"a": "1", "missing": 0, "b": "$"}, count=1) == [[b"a", [(b"2-0", {b"f": b"2"})]]]
    assert r.xread({"a": "$"}) == []
    assert r.xread({"a": "3-0"}, block=50) == []
    assert raw(r, "XREAD", "STREAMS", "a", "2") == [[b"a", [(b"3-0", {b"f": b"3"})]]]


def test_xread_errors(r):
    fill(r, "a", 1)
    errors = {
        ("COUNT", "1", "STREAMS", "a"): "Unbalanced XREAD list of streams",
        ("STREAMS", "a", ">"): "The > ID can be specified only when calling XREADGROUP",
        ("GROUP", "g", "c", "STREAMS", "a", "0"): "The GROUP option is only supported by XREADGROUP",
        ("NOACK", "STREAMS", "a", "0"): "The NOACK option is only supported by XREADGROUP",
        ("COUNT", "x", "STREAMS", "a", "0"): "value is not an integer or out of range",
        ("BLOCK", "x", "STREAMS", "a", "0"): "timeout is not an integer or out of range",
        ("BLOCK", "-1", "STREAMS", "a", "0"): "timeout is negative",
        ("FOO", "STREAMS", "a", "0"): "syntax error",
        ("COUNT", "1", "a", "0"): "syntax error",
        ("STREAMS", "a", "-"): INVALID_ID,
    }
    for args, msg in errors.items():
        with pytest.raises(r.exc.ResponseError, match=msg):
            raw(r, "XREAD", *args)
    r.set("str", "x")
    with pytest.raises(r.exc.ResponseError, match="WRONGTYPE"):
        r.xread({"a": 0, "str": 0})


def test_xread_block_is_served_by_xadd(make):
    reader, writer = make(), make()
    fill(writer, "s", 2)
    result = in_thread(lambda: reader.xread({"other": "$", "s": "$"}, block=5000))
    wait_blocked(writer)
    writer.xadd("s", {"new": 1}, id="5-0")
    value, elapsed = result()
    assert value == [[b"s", [(b"5-0", {b"new": b"1"})]]]
    assert elapsed < 2


def test_xread_block_forever_and_on_missing_key(make):
    reader, writer = make(), make()
    result = in_thread(lambda: reader.xread({"fresh": "$"}, block=0))
    wait_blocked(writer)
    writer.set("unrelated", "x")
    writer.xadd("fresh", {"a": 1}, id="1-0")
    assert result()[0] == [[b"fresh", [(b"1-0", {b"a": b"1"})]]]


def test_xread_block_times_out_with_empty_list(r):
    t = time.perf_counter()
    assert r.xread({"s": "$"}, block=150) == []
    assert raw(r, "XREAD", "BLOCK", "50", "STREAMS", "s", "$") == []
    assert time.perf_counter() - t >= 0.18


def test_blocking_reads_in_a_transaction_do_not_block(r):
    pipe = r.pipeline()
    pipe.xread({"s": "$"}, block=0)
    pipe.xgroup_create("s", "g", mkstream=True)
    pipe.xreadgroup("g", "c", {"s": ">"}, block=0)
    assert pipe.execute() == [[], True, []]


# -- consumer groups -----------------------------------------------------------


def test_xgroup_create_setid_destroy(r):
    with pytest.raises(r.exc.ResponseError, match="requires the key to exist"):
        r.xgroup_create("s", "g")
    assert r.xgroup_create("s", "g", mkstream=True) is True
    with pytest.raises(r.exc.ResponseError, match="BUSYGROUP Consumer Group name already exists"):
        r.xgroup_create("s", "g", mkstream=True)
    fill(r, "s", 3)
    assert r.xgroup_create("s", "g2", id="$", entries_read=3)
    assert r.xgroup_setid("s", "g", "2-0") is True
    assert r.xgroup_setid("s", "g", "$", entries_read=3)
    groups = r.xinfo_groups("s")
    assert [(g["name"], g["last-delivered-id"], g["entries-read"], g["lag"]) for g in groups] == [
        (b"g", b"3-0", 3, 0), (b"g2", b"3-0", 3, 0)]
    assert r.xgroup_destroy("s", "g2") is True
    assert r.xgroup_destroy("s", "g2") is False
    errors = {
        ("CREATE", "s", "g3", "0", "ENTRIESREAD", "-2"): "value for ENTRIESREAD must be positive or -1",
        ("CREATE", "s", "g3", "0", "ENTRIESREAD", "x"): "value is not an integer",
        ("CREATE", "s", "g3", "0", "FOO"): "unknown subcommand or wrong number of arguments for 'CREATE'. Try XGROUP HELP.",
        ("create", "s", "g3", "0", "MKSTREAM", "MKSTREAM", "MKSTREAM", "MKSTREAM"): "wrong number of arguments for 'create'",
        ("CREATE", "s", "g3", "-"): INVALID_ID,
        ("SETID", "s", "g", "0", "MKSTREAM"): "unknown subcommand or wrong number of arguments for 'SETID'",
        ("SETID", "s", "nog", "bad"): "NOGROUP No such consumer group 'nog' for key name 's'",
        ("SETID", "s", "g", "bad"): INVALID_ID,
        ("DESTROY", "missing", "g"): "requires the key to exist",
        ("CREATECONSUMER", "s", "nog", "c"): "NOGROUP No such consumer group 'nog' for key name 's'",
        ("DELCONSUMER", "s", "nog", "c"): "NOGROUP",
        ("FOO", "s", "g"): "unknown subcommand 'FOO'. Try XGROUP HELP.",
        ("CREATE", "s"): "wrong number of arguments for 'xgroup|create' command",
    }
    for args, msg in errors.items():
        with pytest.raises(r.exc.ResponseError, match=msg):
            raw(r, "XGROUP", *args)
    assert raw(r, "XGROUP", "SETID", "s", "g", "-") == b"OK"
    assert r.xinfo_groups("s")[0]["last-delivered-id"] == b"0-0"
    r.set("str", "x")
    with pytest.raises(r.exc.ResponseError, match="WRONGTYPE"):
        r.xgroup_create("str", "g", mkstream=True)


def test_xgroup_help_and_xinfo_help(r):
    lines = raw(r, "XGROUP", "HELP")
    assert lines[0] == b"XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert b"SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]" in lines
    assert lines[-2:] == [b"HELP", b"    Prints this help."]
    lines = raw(r, "XINFO", "HELP")
    assert lines[0] == b"XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert len(lines) == 9
    with pytest.raises(r.exc.ResponseError, match="wrong number of arguments for 'xinfo|help'"):
        raw(r, "XINFO", "HELP", "x")


def test_consumers_create_and_delete(r):
    r.xgroup_create("s", "g", id="0", mkstream=True)
    assert r.xgroup_createconsumer("s", "g", "alice") == 1
    assert r.xgroup_createconsumer("s", "g", "alice") == 0
    fill(r, "s", 3)
    r.xreadgroup("g", "bob", {"s": ">"}, count=2)
    names = [c["name"] for c in r.xinfo_consumers("s", "g")]
    assert names == [b"alice", b"bob"]
    assert r.xgroup_delconsumer("s", "g", "bob") == 2
    assert r.xgroup_delconsumer("s", "g", "bob") == 0
    assert r.xpending("s", "g")["pending"] == 0


def test_xreadgroup_new_and_history(r):
    fill(r, "s", 4)
    r.xgroup_create("s", "g", id="0")
    assert r.xreadgroup("g", "alice", {"s": ">"}, count=2) == [
        [b"s", [(b"1-0", {b"f": b"1"}), (b"2-0", {b"f": b"2"})]]]
    assert r.xreadgroup("g", "bob", {"s": ">"}) == [
        [b"s", [(b"3-0", {b"f": b"3"}), (b"4-0", {b"f": b"4"})]]]
    assert r.xreadgroup("g", "bob", {"s": ">"}) == []
    # History: the consumer's own pending entries after the given ID.
    assert r.xreadgroup("g", "alice", {"s": "0"}) == [
        [b"s", [(b"1-0", {b"f": b"1"}), (b"2-0", {b"f": b"2"})]]]
    assert r.xreadgroup("g", "alice", {"s": "1-0"}, count=5) == [[b"s", [(b"2-0", {b"f": b"2"})]]]
    assert r.xreadgroup("g", "carol", {"s": "0"}) == [[b"s", []]]
    # A pending entry deleted from the stream comes back without fields.
    r.xdel("s", "1-0")
    assert r.xreadgroup("g", "alice", {"s": "0"}) == [
        [b"s", [(b"1-0", {}), (b"2-0", {b"f": b"2"})]]]
    pel = r.xpending_range("s", "g", "-", "+", 10)
    assert [(p["message_id"], p["consumer"], p["times_delivered"]) for p in pel] == [
        (b"1-0", b"alice", 2), (b"2-0", b"alice", 4), (b"3-0", b"bob", 1), (b"4-0", b"bob", 1)]
    assert [c["name"] for c in r.xinfo_consumers("s", "g")] == [b"alice", b"bob", b"carol"]


def test_xreadgroup_noack_and_multiple_streams(r):
    fill(r, "a", 2)
    fill(r, "b", 2)
    r.xgroup_create("a", "g", id="0")
    r.xgroup_create("b", "g", id="1-0")
    got = r.xreadgroup("g", "c", {"a": ">", "b": ">"}, noack=True)
    assert got == [[b"a", [(b"1-0", {b"f": b"1"}), (b"2-0", {b"f": b"2"})]], [b"b", [(b"2-0", {b"f": b"2"})]]]
    assert r.xpending("a", "g")["pending"] == 0
    assert r.xinfo_groups("a")[0]["last-delivered-id"] == b"2-0"


def test_xreadgroup_errors(r):
    fill(r, "s", 1)
    r.xgroup_create("s", "g", id="0")
    errors = {
        ("GROUP", "g", "c", "STREAMS", "s", "$"): "ID is meaningless in the context of XREADGROUP",
        ("GROUP", "nog", "c", "STREAMS", "s", ">"):
            "NOGROUP No such key 's' or consumer group 'nog' in XREADGROUP with GROUP option",
        ("GROUP", "g", "c", "STREAMS", "missing", ">"): "NOGROUP No such key 'missing'",
        ("GROUP", "g", "c", "STREAMS", "s", "x"): INVALID_ID,
        ("GROUP", "g", "c", "COUNT", "1", "STREAMS", "s"): "Unbalanced XREAD list of streams",
        ("GROUP", "g", "STREAMS", "s", ">", "x"): "syntax error",
        ("COUNT", "1", "STREAMS", "s", ">", "x", "y"): "Missing GROUP option for XREADGROUP",
    }
    for args, msg in errors.items():
        with pytest.raises(r.exc.ResponseError, match=msg):
            raw(r, "XREADGROUP", *args)
    r.set("str", "x")
    with pytest.raises(r.exc.ResponseError, match="WRONGTYPE"):
        r.xreadgroup("g", "c", {"str": ">"})


def test_xreadgroup_block_is_served_by_xadd(make):
    reader, writer = make(), make()
    writer.xgroup_create("s", "g", mkstream=True)
    result = in_thread(lambda: reader.xreadgroup("g", "c", {"s": ">"}, block=5000))
    wait_blocked(writer)
    writer.xadd("s", {"a": 1}, id="1-0")
    assert result()[0] == [[b"s", [(b"1-0", {b"a": b"1"})]]]
    assert writer.xpending("s", "g")["consumers"] == [{"name": b"c", "pending": 1}]


def test_blocked_group_readers_fail_when_key_or_group_goes(make):
    w = make()
    for key in ("d", "e"):
        w.xgroup_create(key, "g", mkstream=True)
    gone_key = in_thread(lambda: make().xreadgroup("g", "c", {"d": ">"}, block=5000))
    gone_group = in_thread(lambda: make().xreadgroup("g", "c", {"e": ">"}, block=5000))
    wait_blocked(w, 2)
    w.delete("d")
    w.xgroup_destroy("e", "g")
    err, _ = gone_key()
    assert isinstance(err, w.exc.ResponseError)
    assert str(err) == "UNBLOCKED the stream key no longer exists"
    err, _ = gone_group()
    assert str(err) == "NOGROUP the consumer group this client was blocked on no longer exists"


def test_xack_and_xpending(r):
    fill(r, "s", 5)
    r.xgroup_create("s", "g", id="0")
    assert r.xpending("s", "g") == {"pending": 0, "min": None, "max": None, "consumers": []}
    r.xreadgroup("g", "alice", {"s": ">"}, count=3)
    r.xreadgroup("g", "bob", {"s": ">"})
    assert r.xpending("s", "g") == {
        "pending": 5, "min": b"1-0", "max": b"5-0",
        "consumers": [{"name": b"alice", "pending": 3}, {"name": b"bob", "pending": 2}],
    }
    assert r.xack("s", "g", "1-0", "2-0", "9-0", "1-0") == 2
    assert r.xack("s", "nog", "1-0") == 0
    assert r.xack("missing", "g", "bad") == 0
    with pytest.raises(r.exc.ResponseError, match=INVALID_ID):
        r.xack("s", "g", "3-0", "bad")
    assert r.xpending("s", "g")["pending"] == 3
    rows = r.xpending_range("s", "g", "-", "+", 10)
    assert [(x["message_id"], x["consumer"], x["times_delivered"]) for x in rows] == [
        (b"3-0", b"alice", 1), (b"4-0", b"bob", 1), (b"5-0", b"bob", 1)]
    assert all(0 <= x["time_since_delivered"] < 5000 for x in rows)
    assert [x["message_id"] for x in r.xpending_range("s", "g", "(3-0", "+", 1)] == [b"4-0"]
    assert [x["message_id"] for x in r.xpending_range("s", "g", "-", "+", 10, "alice")] == [b"3-0"]
    assert r.xpending_range("s", "g", "-", "+", 10, "nobody") == []
    assert r.xpending_range("s", "g", "-", "+", 10, idle=100000) == []
    assert len(r.xpending_range("s", "g", "-", "+", 10, idle=0)) == 3
    errors = {
        ("s", "g", "-"): "syntax error",
        ("s", "g", "IDLE", "5", "-", "+"): "syntax error",
        ("s", "g", "IDLE", "x", "-", "+", "5"): "value is not an integer",
        ("s", "g", "-", "+", "x"): "value is not an integer",
        ("s", "g", "x", "+", "5"): INVALID_ID,
        ("s", "nog"): "NOGROUP No such key 's' or consumer group 'nog'",
        ("missing", "g"): "NOGROUP No such key 'missing' or consumer group 'g'",
    }
    for args, msg in errors.items():
        with pytest.raises(r.exc.ResponseError, match=msg):
            raw(r, "XPENDING", *args)


def test_xclaim(r):
    fill(r, "s", 4)
    r.xgroup_create("s", "g", id="0")
    r.xreadgroup("g", "alice", {"s": ">"}, count=3)
    assert r.xclaim("s", "g", "bob", 0, ["1-0", "9-0"]) == [(b"1-0", {b"f": b"1"})]
    assert r.xclaim("s", "g", "bob", 3_600_000, ["2-0"]) == []
    assert r.xclaim("s", "g", "bob", 0, ["2-0", "3-0"], justid=True, retrycount=7) == [b"2-0", b"3-0"]
    rows = {x["message_id"]: x for x in r.xpending_range("s", "g", "-", "+", 10)}
    assert (rows[b"1-0"]["consumer"], rows[b"1-0"]["times_delivered"]) == (b"bob", 2)
    assert rows[b"2-0"]["times_delivered"] == 7
    # JUSTID does not count a delivery; IDLE backdates it.
    r.xclaim("s", "g", "carol", 0, ["1-0"], justid=True, idle=60_000)
    row = r.xpending_range("s", "g", "1-0", "1-0", 1)[0]
    assert (row["consumer"], row["times_delivered"]) == (b"carol", 2)
    assert row["time_since_delivered"] >= 60_000
    # FORCE creates a pending entry for an existing, undelivered entry.
    assert r.xclaim("s", "g", "dave", 0, ["4-0", "99-0"], force=True, justid=True) == [b"4-0"]
    assert r.xpending_range("s", "g", "4-0", "4-0", 1)[0]["times_delivered"] == 1
    # Claiming an entry deleted from the stream drops it from the PEL.
    r.xdel("s", "3-0")
    assert r.xclaim("s", "g", "bob", 0, ["3-0"]) == []
    assert r.xpending("s", "g")["pending"] == 3
    assert raw(r, "XCLAIM", "s", "g", "bob", "0", "2-0", "LASTID", "50-0") == [(b"2-0", {b"f": b"2"})]
    assert r.xinfo_groups("s")[0]["last-delivered-id"] == b"50-0"
    errors = {
        ("s", "nog", "c", "x", "1-0"): "NOGROUP No such key 's' or consumer group 'nog'",
        ("s", "g", "c", "x", "1-0"): "Invalid min-idle-time argument for XCLAIM",
        ("s", "g", "c", "0", "1-0", "IDLE", "x"): "Invalid IDLE option argument for XCLAIM",
        ("s", "g", "c", "0", "1-0", "TIME", "x"): "Invalid TIME option argument for XCLAIM",
        ("s", "g", "c", "0", "1-0", "RETRYCOUNT", "x"): "Invalid RETRYCOUNT option argument for XCLAIM",
        ("s", "g", "c", "0", "1-0", "LASTID", "x"): INVALID_ID,
        ("s", "g", "c", "0", "1-0", "FOO"): "Unrecognized XCLAIM option 'FOO'",
        ("s", "g", "c", "0", "1-0", "JUSTID", "2-0"): "Unrecognized XCLAIM option '2-0'",
        ("s", "g", "c", "0", "1-0", "IDLE"): "Unrecognized XCLAIM option 'IDLE'",
    }
    for args, msg in errors.items():
        with pytest.raises(r.exc.ResponseError, match=msg):
            raw(r, "XCLAIM", *args)


def test_xautoclaim(r):
    fill(r, "s", 6)
    r.xgroup_create("s", "g", id="0")
    r.xreadgroup("g", "alice", {"s": ">"})
    r.xdel("s", "2-0", "5-0")
    nxt, claimed, deleted = r.xautoclaim("s", "g", "bob", 0, count=3)
    assert (nxt, deleted) == (b"4-0", [b"2-0"])
    assert claimed == [(b"1-0", {b"f": b"1"}), (b"3-0", {b"f": b"3"})]
    assert r.xautoclaim("s", "g", "bob", 0, "4-0", justid=True) == [b"4-0", b"6-0"]
    assert raw(r, "XAUTOCLAIM", "s", "g", "carol", "0", "(4-0") == [b"0-0", [(b"6-0", {b"f": b"6"})], []]
    assert r.xautoclaim("s", "g", "dave", 3_600_000) == [b"0-0", [], []]
    assert [c["name"] for c in r.xinfo_consumers("s", "g")] == [b"alice", b"bob", b"carol"]
    assert r.xpending("s", "g")["consumers"] == [
        {"name": b"bob", "pending": 3}, {"name": b"carol", "pending": 1}]
    errors = {
        ("s", "g", "c", "x", "0"): "Invalid min-idle-time argument for XAUTOCLAIM",
        ("s", "g", "c", "0", "x"): INVALID_ID,
        ("s", "g", "c", "0", "(18446744073709551615-18446744073709551615"): "invalid start ID for the interval",
        ("s", "g", "c", "0", "0", "COUNT", "0"): "COUNT must be > 0",
        ("s", "g", "c", "0", "0", "COUNT", "576460752303423487"): "Insufficient memory, failed allocating",
        ("s", "g", "c", "0", "0", "COUNT", "576460752303423488"): "COUNT must be > 0",
        ("s", "g", "c", "0", "0", "COUNT", "x"): "COUNT must be > 0",
        ("s", "g", "c", "0", "0", "COUNT"): "syntax error",
        ("s", "g", "c", "0", "0", "FOO"): "syntax error",
        ("s", "nog", "c", "0", "0"): "NOGROUP No such key 's' or consumer group 'nog'",
    }
    for args, msg in errors.items():
        with pytest.raises(r.exc.ResponseError, match=msg):
            raw(r, "XAUTOCLAIM", *args)


def test_dead_consumer_entries_are_autoclaimed_by_another(make):
    r = make()
    fill(r, "jobs", 5)
    r.xgroup_create("jobs", "workers", id="0")
    doomed = make()
    got = doomed.xreadgroup("workers", "doomed", {"jobs": ">"}, count=3)
    assert len(got[0][1]) == 3
    doomed.close()  # dies without acknowledging
    time.sleep(0.05)
    survivor = make()
    survivor.xreadgroup("workers", "survivor", {"jobs": ">"})
    nxt, claimed, deleted = survivor.xautoclaim("jobs", "workers", "survivor", 40)
    assert [c[0] for c in claimed] == [b"1-0", b"2-0", b"3-0"]
    assert (nxt, deleted) == (b"0-0", [])
    assert survivor.xack("jobs", "workers", *[c[0] for c in claimed]) == 3
    assert survivor.xpending("jobs", "workers")["consumers"] == [{"name": b"survivor", "pending": 2}]


# -- XINFO -------------------------------------------------------------------


def test_xinfo_stream(r2):
    r = r2  # RESP2 raw reply shapes (protocol=2)
    r.xadd("s", {"a": 1}, id="1-0")
    r.xadd("s", {"b": 2, "c": 3}, id="2-0")
    r.xgroup_create("s", "g", id="0")
    info = r.xinfo_stream("s")
    assert info == {
        "length": 2, "radix-tree-keys": 1, "radix-tree-nodes": 2,
        "last-generated-id": b"2-0", "max-deleted-entry-id": b"0-0", "entries-added": 2,
        "recorded-first-entry-id": b"1-0", "groups": 1,
        "first-entry": (b"1-0", {b"a": b"1"}), "last-entry": (b"2-0", {b"b": b"2", b"c": b"3"}),
    }
    r.xreadgroup("g", "c", {"s": ">"}, count=1)
    full = r.xinfo_stream("s", full=True)
    assert full["entries"] == {b"1-0": {b"a": b"1"}, b"2-0": {b"b": b"2", b"c": b"3"}}
    (group,) = full["groups"]
    assert (group["name"], group["last-delivered-id"], group["entries-read"], group["lag"]) == (
        b"g", b"1-0", 1, 1)
    assert group["pel-count"] == 1 and group["pending"][0][:2] == [b"1-0", b"c"]
    (consumer,) = group["consumers"]
    assert (consumer["name"], consumer["pel-count"], len(consumer["pending"])) == (b"c", 1, 1)
    assert abs(consumer["seen-time"] - time.time() * 1000) < 60_000
    raw_full = raw(r, "XINFO", "STREAM", "s", "FULL", "COUNT", "1")
    assert raw_full[raw_full.index(b"entries") + 1] == [[b"1-0", [b"a", b"1"]]]
    for args, msg in {
        ("s", "FULL", "COUNT"): "unknown subcommand or wrong number of arguments for 'STREAM'",
        ("s", "FOO"): "unknown subcommand or wrong number of arguments",
        ("s", "FULL", "FOO", "1"): "unknown subcommand or wrong number of arguments",
        ("s", "FULL", "COUNT", "x"): "value is not an integer",
        ("missing",): "no such key",
        ("missing", "FOO"): "no such key",
    }.items():
        with pytest.raises(r.exc.ResponseError, match=msg):
            raw(r, "XINFO", "STREAM", *args)
    r.set("str", "x")
    with pytest.raises(r.exc.ResponseError, match="WRONGTYPE"):
        r.xinfo_stream("str")


def test_xinfo_radix_tree_nodes(r):
    r.xadd("s", {"a": 1}, id="1-0")
    assert r.xinfo_stream("s")["radix-tree-nodes"] == 2
    fill(r, "s", 300, start=2)
    info = r.xinfo_stream("s")
    assert (info["radix-tree-keys"], info["radix-tree-nodes"]) == (4, 11)
    r.xtrim("s", maxlen=0)
    info = r.xinfo_stream("s")
    assert (info["radix-tree-keys"], info["radix-tree-nodes"]) == (0, 1)


def test_group_lag_and_entries_read(r):
    fill(r, "s", 5)
    r.xgroup_create("s", "g", id="0")
    r.xgroup_create("s", "mid", id="3-0")
    lag = lambda: {g["name"]: (g["entries-read"], g["lag"]) for g in r.xinfo_groups("s")}  # noqa: E731
    assert lag() == {b"g": (None, 5), b"mid": (None, None)}
    r.xreadgroup("g", "c", {"s": ">"}, count=2)
    assert lag()[b"g"] == (2, 3)
    # A deletion after the group's position makes the lag unknown...
    r.xdel("s", "4-0")
    assert lag() == {b"g": (2, None), b"mid": (None, None)}
    # ...until the group reads past it.
    r.xreadgroup("g", "c", {"s": ">"})
    r.xreadgroup("mid", "c", {"s": ">"})
    assert lag() == {b"g": (5, 0), b"mid": (5, 0)}
    r.xadd("s", {"f": 6}, id="6-0")
    assert lag() == {b"g": (5, 1), b"mid": (5, 1)}
    # Rewound behind a deletion: neither counter is known.
    r.xgroup_setid("s", "g", "0")
    assert lag()[b"g"] == (None, None)
    r.xgroup_create("s", "fresh", id="0", entries_read=0)
    assert lag()[b"fresh"] == (0, None)
    r.xadd("e", {"a": 1}, id="1-0")
    r.xdel("e", "1-0")
    r.xgroup_create("e", "g", id="0")
    assert [(g["entries-read"], g["lag"]) for g in r.xinfo_groups("e")] == [(None, 0)]
    assert r.xinfo_groups("e") == r.xinfo_groups("e")
    with pytest.raises(r.exc.ResponseError, match="no such key"):
        r.xinfo_groups("missing")
    with pytest.raises(r.exc.ResponseError, match="NOGROUP No such consumer group 'x' for key name 's'"):
        r.xinfo_consumers("s", "x")


def test_xinfo_consumers_idle(r):
    r.xgroup_create("s", "g", mkstream=True)
    r.xgroup_createconsumer("s", "g", "c")
    time.sleep(0.05)
    (c,) = r.xinfo_consumers("s", "g")
    assert c["name"] == b"c" and c["pending"] == 0 and 40 <= c["idle"] < 5000


def test_decoded_replies(rd):
    rd.xadd("s", {"k": "v"}, id="1-0")
    rd.xgroup_create("s", "g", id="0")
    assert rd.xrange("s") == [("1-0", {"k": "v"})]
    assert rd.xreadgroup("g", "c", {"s": ">"}) == [["s", [("1-0", {"k": "v"})]]]
    assert rd.xinfo_stream("s")["first-entry"] == ("1-0", {"k": "v"})
    assert rd.xpending("s", "g")["consumers"] == [{"name": "c", "pending": 1}]
    assert rd.xinfo_groups("s")[0]["name"] == "g"


# -- events, WATCH, types -----------------------------------------------------


def test_keyspace_events(make):
    r = make(decode_responses=True)
    r.config_set("notify-keyspace-events", "Etn")
    try:
        p = r.pubsub(ignore_subscribe_messages=True)
        p.psubscribe("__keyevent@0__:*")
        p.get_message(timeout=1)
        r.xadd("s", {"a": 1}, id="1-0")
        r.xadd("s", {"a": 2}, id="2-0", maxlen=0, approximate=False)
        r.xadd("s", {"a": 3}, id="3-0")
        r.xdel("s", "3-0", "7-0")
        r.xdel("s", "7-0")
        r.xtrim("s", maxlen=0, approximate=False)
        r.xgroup_create("s", "g", id="0")
        r.xgroup_setid("s", "g", "0")
        r.xgroup_createconsumer("s", "g", "c")
        r.xgroup_delconsumer("s", "g", "c")
        raw(r, "XSETID", "s", "9-0")
        r.xadd("s", {"a": 1}, id="10-0")
        r.xreadgroup("g", "reader", {"s": ">"})
        r.xclaim("s", "g", "claimer", 0, ["10-0"])
        r.xgroup_destroy("s", "g")
        r.xgroup_create("fresh", "g", mkstream=True)
        got = []
        while (m := p.get_message(timeout=0.2)) is not None:
            got.append((m["channel"].split(":", 1)[1], m["data"]))
        assert got == [
            ("new", "s"), ("xadd", "s"), ("xadd", "s"), ("xtrim", "s"), ("xadd", "s"),
            ("xdel", "s"), ("xgroup-create", "s"), ("xgroup-setid", "s"),
            ("xgroup-createconsumer", "s"), ("xgroup-delconsumer", "s"), ("xsetid", "s"),
            ("xadd", "s"), ("xgroup-createconsumer", "s"), ("xgroup-createconsumer", "s"),
            ("xgroup-destroy", "s"), ("new", "fresh"), ("xgroup-create", "fresh"),
        ]
        p.close()
    finally:
        r.config_set("notify-keyspace-events", "")


def test_only_entry_changes_invalidate_watch(make):
    r, other = make(), make()
    r.xadd("s", {"a": 1}, id="1-0")
    other.xgroup_create("s", "g", id="0")

    def watched(change):
        with r.pipeline() as p:
            p.watch("s")
            change()
            p.multi()
            p.xlen("s")
            try:
                return p.execute()
            except r.exc.WatchError:
                return "aborted"

    assert watched(lambda: other.xreadgroup("g", "c", {"s": ">"})) == [1]
    assert watched(lambda: other.xack("s", "g", "1-0")) == [1]
    assert watched(lambda: other.xgroup_setid("s", "g", "0")) == [1]
    assert watched(lambda: other.xadd("s", {"a": 2}, id="2-0")) == "aborted"
    assert watched(lambda: other.xdel("s", "2-0")) == "aborted"


def test_wrongtype_everywhere(r):
    r.set("str", "x")
    calls = [
        lambda: r.xack("str", "g", "1-0"),
        lambda: r.xpending("str", "g"),
        lambda: r.xclaim("str", "g", "c", 0, ["1-0"]),
        lambda: r.xautoclaim("str", "g", "c", 0),
        lambda: r.xinfo_groups("str"),
        lambda: r.xinfo_consumers("str", "g"),
        lambda: r.xgroup_setid("str", "g", "0"),
        lambda: raw(r, "XSETID", "str", "1-0"),
    ]
    for call in calls:
        with pytest.raises(r.exc.ResponseError, match="WRONGTYPE"):
            call()
    r.xadd("s", {"a": 1})
    with pytest.raises(r.exc.ResponseError, match="WRONGTYPE"):
        r.lpush("s", "x")


def test_copy_and_rename_keep_groups(r):
    fill(r, "s", 3)
    r.xgroup_create("s", "g", id="0")
    r.xreadgroup("g", "c", {"s": ">"}, count=2)
    assert r.copy("s", "t") is True
    r.rename("s", "u")
    for key in ("t", "u"):
        assert r.xlen(key) == 3
        assert r.xpending(key, "g")["pending"] == 2
        assert r.xinfo_groups(key)[0]["last-delivered-id"] == b"2-0"
    r.xack("t", "g", "1-0")
    assert r.xpending("u", "g")["pending"] == 2


# -- concurrency -----------------------------------------------------------------


def test_producer_and_three_consumers_ack_everything_exactly_once(make):
    total, batch = 100_000, 1000
    admin = make()
    admin.xgroup_create("work", "grp", mkstream=True)
    acked = [[] for _ in range(3)]
    done = threading.Event()
    errors = []

    def produce():
        c = make()
        try:
            for start in range(0, total, batch):
                pipe = c.pipeline(transaction=False)
                for i in range(start, start + batch):
                    pipe.xadd("work", {"n": i})
                pipe.execute()
        except Exception as e:  # noqa: BLE001
            errors.append(e)
        finally:
            done.set()

    def consume(slot):
        c = make()
        try:
            while True:
                got = c.xreadgroup("grp", f"c{slot}", {"work": ">"}, count=100, block=100)
                if not got:
                    if done.is_set() and c.xinfo_groups("work")[0]["lag"] == 0:
                        return
                    continue
                ids = [entry[0] for entry in got[0][1]]
                c.xack("work", "grp", *ids)
                acked[slot].extend(ids)
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=consume, args=(i,)) for i in range(3)]
    threads.append(threading.Thread(target=produce))
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert time.perf_counter() - t0 < 30
    everything = [i for part in acked for i in part]
    assert len(everything) == total
    assert len(set(everything)) == total
    assert admin.xlen("work") == total
    assert admin.xpending("work", "grp")["pending"] == 0
    assert all(part for part in acked), "every consumer got work"
