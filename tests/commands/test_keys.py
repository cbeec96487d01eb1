"""Generic key commands: DEL/UNLINK/EXISTS/TYPE/RENAME/COPY/MOVE/TOUCH,
KEYS/SCAN/RANDOMKEY, the EXPIRE family, PERSIST and OBJECT. Every test runs
on the embedded engine and on the real redis-server."""

import datetime
import time

import pytest


def err(r, fn, *args, **kwargs):
    """The ResponseError text ``fn`` raises."""
    with pytest.raises(r.exc.ResponseError) as e:
        fn(*args, **kwargs)
    return str(e.value)


def seed(r):
    r.set("s", "v")
    r.rpush("l", "a", "b")
    r.hset("h", "f", "v")
    r.sadd("st", 1, 2)


# -- DEL / UNLINK / EXISTS / TYPE / TOUCH ------------------------------------


def test_del_and_unlink_count_existing_keys(r):
    seed(r)
    assert r.delete("s", "l", "missing") == 2
    assert r.unlink("h", "h", "missing") == 1
    assert r.delete("missing") == 0
    assert r.keys() == [b"st"]


def test_exists_counts_repeats(r):
    r.set("a", 1)
    assert r.exists("a", "a", "b") == 2
    assert r.exists("b") == 0
    assert "a" in r
    assert "b" not in r


def test_type_of_each_kind(r):
    seed(r)
    assert [r.type(k) for k in ("s", "l", "h", "st", "none")] == [b"string", b"list", b"hash", b"set", b"none"]


def test_type_decoded(rd):
    rd.set("s", "v")
    assert rd.type("s") == "string"


def test_touch_counts_existing(r):
    r.set("a", 1)
    r.set("b", 2)
    assert r.touch("a", "b", "c", "a") == 3
    assert r.touch("zzz") == 0


def test_getitem_raises_keyerror(r):
    r["k"] = "v"
    assert r["k"] == b"v"
    with pytest.raises(KeyError):
        r["missing"]


# -- RENAME / RENAMENX --------------------------------------------------------


def test_rename_moves_value_and_ttl(r):
    r.set("a", 1, ex=1000)
    assert r.rename("a", "b") is True
    assert r.get("a") is None and r.get("b") == b"1"
    assert 990 <= r.ttl("b") <= 1000


def test_rename_replaces_destination_and_its_ttl(r):
    r.set("a", 1)
    r.set("b", 2, ex=1000)
    r.rename("a", "b")
    assert r.get("b") == b"1"
    assert r.ttl("b") == -1
    r.rpush("l", "x")
    r.rename("l", "b")
    assert r.type("b") == b"list"


def test_rename_errors_and_same_key(r):
    assert err(r, r.rename, "nope", "x") == "no such key"
    assert err(r, r.renamenx, "nope", "x") == "no such key"
    assert err(r, r.rename, "nope", "nope") == "no such key"
    r.set("a", 1, ex=1000)
    assert r.rename("a", "a") is True
    assert r.get("a") == b"1" and r.ttl("a") > 0
    assert r.renamenx("a", "a") is False


def test_renamenx(r):
    r.set("a", 1)
    r.set("b", 2)
    assert r.renamenx("a", "b") is False
    assert r.get("a") == b"1"
    assert r.renamenx("a", "c") is True
    assert r.get("c") == b"1" and r.exists("a") == 0


# -- COPY / MOVE --------------------------------------------------------------


def test_copy_keeps_value_ttl_and_encoding(r):
    r.sadd("ints", 1, 2, 3)
    r.hset("h", mapping={"a": "1"})
    r.set("s", "x" * 50, ex=1000)
    assert r.copy("ints", "ints2") is True
    assert r.copy("h", "h2") is True
    assert r.copy("s", "s2") is True
    assert r.smembers("ints2") == {b"1", b"2", b"3"}
    assert r.object("encoding", "ints2") == b"intset"
    assert r.object("encoding", "h2") == b"listpack"
    assert r.object("encoding", "s2") == b"raw"
    assert 990 <= r.ttl("s2") <= 1000
    # The copy is independent of the original.
    r.sadd("ints2", 4)
    assert r.smembers("ints") == {b"1", b"2", b"3"}


def test_copy_existing_destination_and_replace(r):
    r.set("a", 1)
    r.rpush("b", "x")
    assert r.copy("a", "b") is False
    assert r.type("b") == b"list"
    assert r.copy("a", "b", replace=True) is True
    assert r.get("b") == b"1"
    assert r.copy("missing", "c") is False


def test_copy_to_other_db(r):
    r.select(1)
    r.set("b", "old")
    r.select(0)
    r.set("a", "v", ex=1000)
    assert r.copy("a", "a", destination_db=1) is True
    assert r.copy("a", "b", destination_db=1) is False
    assert r.copy("a", "b", destination_db=1, replace=True) is True
    r.select(1)
    assert r.get("a") == b"v" and r.ttl("a") > 0
    assert r.get("b") == b"v"


def test_copy_errors(r):
    r.set("a", 1)
    assert err(r, r.copy, "a", "a") == "source and destination objects are the same"
    assert err(r, r.execute_command, "COPY", "a", "b", "DB", "x") == "value is not an integer or out of range"
    assert err(r, r.execute_command, "COPY", "a", "b", "DB", "99") == "DB index is out of range"
    assert err(r, r.execute_command, "COPY", "a", "b", "DB", "-1") == "DB index is out of range"
    assert (
        err(r, r.execute_command, "COPY", "a", "b", "DB", "3000000000")
        == "value is out of range, value must between -2147483648 and 2147483647"
    )
    assert err(r, r.execute_command, "COPY", "a", "b", "DB") == "syntax error"
    assert err(r, r.execute_command, "COPY", "a", "b", "NOPE") == "syntax error"
    # Same key in another database is fine.
    assert r.execute_command("COPY", "a", "a", "DB", "1") == 1


def test_move_between_dbs_keeps_ttl(r):
    r.set("k", "v", ex=1000)
    assert r.move("k", 1) is True
    assert r.exists("k") == 0
    r.set("k", "other")
    assert r.move("k", 1) is False
    assert r.get("k") == b"other"
    assert r.move("missing", 1) is False
    r.select(1)
    assert r.get("k") == b"v" and 990 <= r.ttl("k") <= 1000


def test_move_errors(r):
    r.set("k", 1)
    assert err(r, r.move, "k", 0) == "source and destination objects are the same"
    assert err(r, r.move, "k", 16) == "DB index is out of range"
    assert err(r, r.move, "k", "x") == "value is not an integer or out of range"
    # The index is validated before the key is looked at.
    assert err(r, r.move, "missing", 0) == "source and destination objects are the same"


# -- KEYS / SCAN / RANDOMKEY ---------------------------------------------------


def test_keys_patterns(r):
    for k in ("one", "two", "three", "four", "t?x"):
        r.set(k, 1)
    assert sorted(r.keys()) == [b"four", b"one", b"t?x", b"three", b"two"]
    assert sorted(r.keys("t*")) == [b"t?x", b"three", b"two"]
    assert sorted(r.keys("t??")) == [b"t?x", b"two"]
    assert r.keys("t\\?x") == [b"t?x"]
    assert sorted(r.keys("[ot]*")) == [b"one", b"t?x", b"three", b"two"]
    assert r.keys("nomatch*") == []


def test_keys_star_includes_the_empty_key(r):
    r.set("", "empty")
    r.set("a", 1)
    assert sorted(r.keys("*")) == [b"", b"a"]
    assert r.keys("**") == [b"a"]
    assert sorted(r.scan_iter(match="*")) == [b"", b"a"]


def test_keys_and_scan_skip_expired(r):
    r.set("live", 1)
    r.set("dying", 1, px=30)
    time.sleep(0.08)
    assert r.keys() == [b"live"]
    assert list(r.scan_iter()) == [b"live"]
    assert r.exists("dying") == 0


def test_scan_returns_every_key(r):
    keys = {f"key:{i}".encode() for i in range(500)}
    r.mset({k: 1 for k in keys})
    seen = []
    cursor = 0
    while True:
        cursor, batch = r.scan(cursor, count=37)
        assert isinstance(cursor, int)
        seen.extend(batch)
        if cursor == 0:
            break
    assert set(seen) == keys


def test_scan_sees_stable_keys_despite_deletions(r):
    r.mset({f"k{i}": 1 for i in range(300)})
    seen = set()
    cursor = 0
    deleted = 0
    while True:
        cursor, batch = r.scan(cursor, count=20)
        seen.update(batch)
        # Delete keys from the upper half while scanning.
        r.delete(f"k{150 + deleted}")
        deleted += 1
        if cursor == 0:
            break
    assert {f"k{i}".encode() for i in range(150)} <= seen


def test_scan_match_count_type(r):
    seed(r)
    r.set("s2", "v")
    assert sorted(r.scan_iter(match="s*")) == [b"s", b"s2", b"st"]
    assert sorted(r.scan_iter(_type="string")) == [b"s", b"s2"]
    assert sorted(r.scan_iter(_type="STRING", match="*2")) == [b"s2"]
    assert list(r.scan_iter(_type="zset")) == []
    assert sorted(r.scan_iter(count=1)) == [b"h", b"l", b"s", b"s2", b"st"]


def test_scan_errors(r):
    assert err(r, r.scan, "x") == "invalid cursor"
    assert err(r, r.scan, " 1") == "invalid cursor"
    assert err(r, r.scan, "18446744073709551616") == "invalid cursor"
    assert err(r, r.scan, 0, count=0) == "syntax error"
    assert err(r, r.scan, 0, count="x") == "value is not an integer or out of range"
    assert err(r, r.execute_command, "SCAN", 0, "MATCH") == "syntax error"
    assert err(r, r.execute_command, "SCAN", 0, "FOO", "bar") == "syntax error"
    assert r.scan(0) == (0, [])
    # The cursor is read as a C string: a NUL byte ends it, as in HSCAN,
    # SSCAN and ZSCAN (one parser for all four).
    assert r.execute_command("SCAN", b"0\x00junk") == (0, [])
    r.zadd("z", {"m": 1})
    for args in (("HSCAN", "z"), ("SSCAN", "z"), ("ZSCAN", "z")):
        assert err(r, r.execute_command, *args, "x") == "invalid cursor"
    assert r.execute_command("ZSCAN", "z", b"0\x00junk") == (0, [(b"m", 1.0)])


def test_randomkey(r):
    assert r.randomkey() is None
    r.mset({"a": 1, "b": 2})
    for _ in range(10):
        assert r.randomkey() in (b"a", b"b")


# -- EXPIRE family ---------------------------------------------------------------


def test_expire_and_ttl(r):
    assert r.ttl("k") == -2 and r.pttl("k") == -2
    r.set("k", 1)
    assert r.ttl("k") == -1 and r.pttl("k") == -1
    assert r.expire("k", 1000) is True
    assert 999 <= r.ttl("k") <= 1000
    assert 998_000 < r.pttl("k") <= 1_000_000
    assert r.expire("missing", 1000) is False


def test_pexpire_and_timedelta(r):
    r.set("k", 1)
    assert r.pexpire("k", 1_000_000) is True
    assert 999 <= r.ttl("k") <= 1000
    assert r.pexpire("k", datetime.timedelta(seconds=2000)) is True
    assert 1999 <= r.ttl("k") <= 2000
    assert r.expire("k", datetime.timedelta(seconds=3000)) is True
    assert 2999 <= r.ttl("k") <= 3000


def test_expireat_and_expiretime(r):
    r.set("k", 1)
    at = int(time.time()) + 5000
    assert r.expireat("k", at) is True
    assert r.expiretime("k") == at
    assert r.pexpiretime("k") == at * 1000
    assert r.pexpireat("k", at * 1000 + 1234) is True
    assert r.pexpiretime("k") == at * 1000 + 1234
    assert r.expiretime("k") == at + 1  # rounded to the nearest second
    dt = datetime.datetime.now() + datetime.timedelta(seconds=4000)
    assert r.expireat("k", dt) is True
    assert r.expiretime("k") == int(dt.timestamp())
    assert r.pexpireat("k", dt) is True
    assert r.pexpiretime("k") == int(dt.timestamp() * 1000)
    assert r.expiretime("missing") == -2 and r.pexpiretime("missing") == -2
    r.set("p", 1)
    assert r.expiretime("p") == -1 and r.pexpiretime("p") == -1


def test_expire_in_the_past_deletes(r):
    r.set("a", 1)
    r.set("b", 1)
    r.set("c", 1)
    assert r.expire("a", -1) is True
    assert r.pexpire("b", 0) is True
    assert r.expireat("c", 1) is True
    assert r.exists("a", "b", "c") == 0


def test_expire_conditions(r):
    r.set("k", 1)
    assert r.expire("k", 1000, xx=True) is False
    assert r.expire("k", 1000, gt=True) is False
    assert r.expire("k", 1000, lt=True) is True
    assert r.expire("k", 2000, nx=True) is False
    assert r.expire("k", 500, gt=True) is False
    assert r.expire("k", 2000, gt=True) is True
    assert r.expire("k", 3000, lt=True) is False
    assert r.expire("k", 1500, lt=True) is True
    assert r.expire("k", 1500, xx=True) is True
    assert r.expire("k", 1600, xx=True, gt=True) is True
    r.set("n", 1)
    assert r.expire("n", 1000, nx=True) is True


def test_expire_errors(r):
    r.set("k", 1)
    incompatible = "NX and XX, GT or LT options at the same time are not compatible"
    assert err(r, r.expire, "k", 10, nx=True, xx=True) == incompatible
    assert err(r, r.expire, "k", 10, nx=True, gt=True) == incompatible
    assert err(r, r.expire, "k", 10, gt=True, lt=True) == "GT and LT options at the same time are not compatible"
    assert err(r, r.execute_command, "EXPIRE", "k", 10, "foo") == "Unsupported option foo"
    assert err(r, r.execute_command, "EXPIRE", "k", "x") == "value is not an integer or out of range"
    # Options are checked before the number.
    assert err(r, r.execute_command, "EXPIRE", "k", "x", "bad") == "Unsupported option bad"
    assert err(r, r.expire, "k", 2**62) == "invalid expire time in 'expire' command"
    assert err(r, r.pexpire, "k", 2**63 - 1) == "invalid expire time in 'pexpire' command"
    assert err(r, r.expireat, "k", 2**62) == "invalid expire time in 'expireat' command"
    assert r.pexpireat("k", 2**63 - 1) is True
    assert r.ttl("k") > 0


def test_persist(r):
    r.set("k", 1, ex=1000)
    assert r.persist("k") is True
    assert r.ttl("k") == -1
    assert r.persist("k") is False
    assert r.persist("missing") is False


def test_set_after_expire_clears_ttl(r):
    r.set("k", 1, ex=1000)
    r.set("k", 2)
    assert r.ttl("k") == -1


# -- OBJECT --------------------------------------------------------------------


def test_object_encoding(r):
    r.set("int", 123)
    r.set("emb", "hello")
    r.set("raw", "x" * 45)
    r.set("app", "a")
    r.execute_command("APPEND", "app", "b")
    r.rpush("l", 1)
    r.sadd("is", 1, 2)
    r.sadd("hs", "a")
    r.hset("h", "f", "v")
    r.hset("big", "f", "v" * 65)
    enc = {k: r.object("encoding", k) for k in ("int", "emb", "raw", "app", "l", "is", "hs", "h", "big")}
    assert enc == {
        "int": b"int",
        "emb": b"embstr",
        "raw": b"raw",
        "app": b"raw",
        "l": b"quicklist",
        "is": b"intset",
        "hs": b"hashtable",
        "h": b"listpack",
        "big": b"hashtable",
    }
    assert r.object("encoding", "missing") is None


def test_object_refcount_idletime_freq(r):
    r.set("shared", 100)
    r.set("big", 123456)
    r.set("s", "text")
    assert r.object("refcount", "shared") == 2147483647
    assert r.object("refcount", "big") == 1
    assert r.object("refcount", "s") == 1
    assert r.object("refcount", "missing") is None
    assert r.object("idletime", "s") in (0, 1)
    assert r.object("idletime", "missing") is None
    assert err(r, r.object, "freq", "s").startswith("An LFU maxmemory policy is not selected")
    assert r.object("freq", "missing") is None


def test_object_errors_and_help(r):
    r.set("k", 1)
    assert err(r, r.execute_command, "OBJECT", "ENCODING") == "wrong number of arguments for 'object|encoding' command"
    assert err(r, r.execute_command, "OBJECT", "ENCODING", "k", "x") == (
        "wrong number of arguments for 'object|encoding' command"
    )
    assert err(r, r.execute_command, "OBJECT", "NOPE", "k") == "unknown subcommand 'NOPE'. Try OBJECT HELP."
    assert err(r, r.execute_command, "OBJECT") == "wrong number of arguments for 'object' command"
    help_lines = r.execute_command("OBJECT", "HELP")
    assert help_lines[0] == b"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert help_lines[-2:] == [b"HELP", b"    Prints this help."]
    assert b"ENCODING <key>" in help_lines


# -- DBSIZE / FLUSHDB / FLUSHALL / SWAPDB / SELECT --------------------------------


def test_dbsize_and_flushdb(r):
    r.select(1)
    r.set("c", 3)
    r.select(0)
    r.mset({"a": 1, "b": 2})
    assert r.dbsize() == 2
    assert r.flushdb() is True
    assert r.dbsize() == 0
    r.select(1)
    assert r.dbsize() == 1
    assert r.flushdb(asynchronous=True) is True
    assert r.dbsize() == 0
    assert r.execute_command("FLUSHDB", "SYNC") is True
    assert err(r, r.execute_command, "FLUSHDB", "LATER") == "syntax error"
    assert err(r, r.execute_command, "FLUSHDB", "ASYNC", "SYNC") == "syntax error"


def test_flushall(r):
    r.set("a", 1)
    r.select(1)
    r.set("b", 1)
    assert r.flushall() is True
    assert r.dbsize() == 0
    r.select(0)
    assert r.dbsize() == 0
    assert r.flushall(asynchronous=True) is True
    assert err(r, r.execute_command, "FLUSHALL", "X") == "syntax error"


def test_swapdb(r):
    r.set("a", 0, ex=1000)
    r.select(1)
    r.set("b", 1)
    assert r.swapdb(0, 1) is True
    assert r.keys() == [b"a"] and r.ttl("a") > 0
    r.select(0)
    assert r.keys() == [b"b"]
    assert r.swapdb(1, 1) is True
    assert err(r, r.swapdb, "x", 1) == "invalid first DB index"
    assert err(r, r.swapdb, 0, "y") == "invalid second DB index"
    assert err(r, r.swapdb, 0, 3000000000) == "invalid second DB index"
    assert err(r, r.swapdb, 0, 16) == "DB index is out of range"
    assert err(r, r.swapdb, -1, 0) == "DB index is out of range"


def test_select(r):
    r.set("a", 0)
    assert r.select(1) is True
    assert r.get("a") is None
    r.set("b", 1)
    assert r.select(0) is True
    assert r.get("a") == b"0" and r.get("b") is None
    assert err(r, r.select, 16) == "DB index is out of range"
    assert err(r, r.select, -1) == "DB index is out of range"
    assert err(r, r.select, "x") == "value is not an integer or out of range"
    assert err(r, r.select, 2**31) == "value is out of range, value must between -2147483648 and 2147483647"


def test_keys_in_transaction_pipeline(r):
    with r.pipeline() as p:
        p.set("a", 1).rename("a", "b").type("b").exists("a", "b").keys()
        assert p.execute() == [True, True, b"string", 1, [b"b"]]


def _watch_then(r, key, action):
    """Runs ``action`` between WATCH ``key`` and EXEC; True if EXEC ran."""
    with r.pipeline() as p:
        p.watch(key)
        action()
        p.multi()
        p.set("marker", 1)
        try:
            p.execute()
            return True
        except r.exc.WatchError:
            return False


def test_flush_invalidates_only_existing_watched_keys(r):
    r.set("present", 1)
    assert _watch_then(r, "missing", r.flushdb) is True
    r.set("present", 1)
    assert _watch_then(r, "present", r.flushdb) is False
    r.set("present", 1)
    assert _watch_then(r, "present", r.flushall) is False


def test_swapdb_invalidates_watched_keys_present_in_either_db(r):
    r.select(1)
    r.set("only1", 1)
    r.select(0)
    r.set("only0", 1)
    assert _watch_then(r, "only1", lambda: r.swapdb(0, 1)) is False
    assert _watch_then(r, "only0", lambda: r.swapdb(0, 1)) is False
    assert _watch_then(r, "neither", lambda: r.swapdb(0, 1)) is True


def test_rename_and_move_invalidate_watches(r):
    r.set("a", 1)
    assert _watch_then(r, "b", lambda: r.rename("a", "b")) is False
    assert _watch_then(r, "b", lambda: r.move("b", 1)) is False


def test_object_freq_counts_accesses_under_lfu(make):
    r = make()
    r.config_set("maxmemory-policy", "allkeys-lfu")
    try:
        r.set("hot", "v")
        r.set("cold", "v")
        assert r.object("freq", "cold") == 5
        for _ in range(300):
            r.get("hot")
        assert r.object("freq", "hot") > 6
        assert r.object("freq", "cold") == 5  # OBJECT itself is not an access
        with pytest.raises(r.exc.ResponseError, match="LFU maxmemory policy is selected"):
            r.object("idletime", "hot")
    finally:
        r.config_set("maxmemory-policy", "noeviction")
    with pytest.raises(r.exc.ResponseError, match="LFU maxmemory policy is not selected"):
        r.object("freq", "hot")
