"""Hash-field expiration (Redis 7.4: HEXPIRE, HPEXPIRE, HEXPIREAT,
HPEXPIREAT, HTTL, HPTTL, HEXPIRETIME, HPEXPIRETIME, HPERSIST) and HGETDEL,
HGETEX, HSETEX (Redis 8.0).

The local oracle is Redis 7.0, which has none of these commands, so these
tests run on the embedded engine only; the cases come from Redis's
documented examples and edge cases (reply codes, error texts, conditions,
keyspace events) and from Redis 7.4's own hash-field-expire tests.
"""

import datetime
import time

import pytest

from redcore.commands.hashes import HashDataPersistOptions
from support import encoding, error_of

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
FAR = 4102444800  # 2100-01-01, in seconds


@pytest.fixture(params=["embedded"])
def backend(request):
    """No oracle has these commands: embedded only."""
    return request.param


def now_ms():
    return int(time.time() * 1000)


def wait_for(cond, timeout=3.0):
    """Polls ``cond`` until true (the active sweep runs ``hz`` times a second)."""
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.02)
    return cond()


# -- HEXPIRE family: reply codes and conditions ---------------------------------------


def test_hexpire_documented_example(r):
    r.hset("mykey", mapping={"field1": "hello", "field2": "world"})
    assert r.hexpire("mykey", 10, "field1", "field2", "field3") == [1, 1, -2]
    ttls = r.httl("mykey", "field1", "field2", "field3")
    assert 9 <= ttls[0] <= 10 and 9 <= ttls[1] <= 10 and ttls[2] == -2


def test_missing_key_gives_minus_two_per_field(r):
    for cmd in ("HEXPIRE", "HPEXPIRE", "HEXPIREAT", "HPEXPIREAT"):
        assert r.execute_command(cmd, "nokey", 100, "FIELDS", 2, "a", "b") == [-2, -2]
    assert r.httl("nokey", "a") == [-2]
    assert r.hpttl("nokey", "a", "b") == [-2, -2]
    assert r.hexpiretime("nokey", "a") == [-2]
    assert r.hpexpiretime("nokey", "a") == [-2]
    assert r.hpersist("nokey", "a", "b") == [-2, -2]
    assert r.exists("nokey") == 0


def test_nx_xx_gt_lt(r):
    r.hset("h", mapping={"f1": 1, "f2": 2, "f3": 3})
    assert r.hpexpire("h", 100000, "f1", nx=True) == [1]
    assert r.hpexpire("h", 100000, "f1", "f2", nx=True) == [0, 1]
    assert r.hpexpire("h", 100000, "f1", "f3", xx=True) == [1, 0]
    r.delete("h")
    r.hset("h", mapping={"f1": 1, "f2": 2, "f3": 3})
    r.hpexpire("h", 100000, "f1")
    r.hpexpire("h", 200000, "f2")
    # A field without a TTL counts as never expiring: GT fails, LT holds.
    assert r.hpexpire("h", 150000, "f1", "f2", "f3", gt=True) == [1, 0, 0]
    assert r.hpexpire("h", 160000, "f1", "f2", "f3", lt=True) == [0, 1, 1]
    assert 140000 < r.hpttl("h", "f1")[0] <= 150000
    with pytest.raises(ValueError):
        r.hexpire("h", 10, "f1", nx=True, xx=True)


def test_deadline_in_the_past_deletes_fields(r):
    r.hset("h", mapping={"f1": 1, "f2": 2, "f4": 4})
    r.hexpire("h", 1000, "f4")
    past = (int(time.time()) - 1) * 1000
    # The condition is checked first: f4 has a TTL, so NX fails for it.
    assert r.hpexpireat("h", past, "f1", "f2", "f3", "f4", nx=True) == [2, 2, -2, 0]
    assert r.hkeys("h") == [b"f4"]
    assert r.hexpire("h", 0, "f4") == [2]
    assert r.exists("h") == 0
    r.hset("h", "a", 1)
    assert r.hexpireat("h", 1, "a") == [2]
    assert r.exists("h") == 0


def test_argument_errors(r):
    r.hset("h", "f1", "v1")
    assert error_of(r, "HEXPIRE", "h", -1, "FIELDS", 1, "f1") == "invalid expire time, must be >= 0"
    assert error_of(r, "HEXPIRE", "h", "x", "FIELDS", 1, "f1") == "value is not an integer or out of range"
    assert error_of(r, "HEXPIRE", "h", (1 << 48) // 1000, "FIELDS", 1, "f1") == (
        "invalid expire time in 'hexpire' command"
    )
    assert error_of(r, "HPEXPIRE", "h", 1 << 48, "FIELDS", 1, "f1") == (
        "invalid expire time in 'hpexpire' command"
    )
    assert error_of(r, "HPEXPIREAT", "h", (1 << 46) + 100, "FIELDS", 1, "f1") == (
        "invalid expire time in 'hpexpireat' command"
    )
    assert r.execute_command("HPEXPIREAT", "h", (1 << 46) - 1, "FIELDS", 1, "f1") == [1]
    assert error_of(r, "HPEXPIRE", "h", 1000, "NX", "FIELDS", 0, "f1") == (
        "Parameter `numFields` should be greater than 0"
    )
    assert error_of(r, "HPEXPIRE", "h", 1000, "FIELDS", 2, "f1", "f2", "f3") == (
        "The `numfields` parameter must match the number of arguments"
    )
    assert error_of(r, "HPEXPIRE", "h", 1000, "FIELDS", 4, "f1", "f2", "f3") == (
        "The `numfields` parameter must match the number of arguments"
    )
    assert error_of(r, "HPEXPIRE", "h", 1000, "XYZ", 1, "f1") == (
        "Mandatory argument FIELDS is missing or not at the right position"
    )
    assert error_of(r, "HPEXPIRE", "h", 1000, "FIELDS", 1) == "wrong number of arguments for 'hpexpire' command"
    for cmd in ("HTTL", "HPERSIST", "HGETDEL"):
        assert error_of(r, cmd, "h", "FIELDS", 0, "f1") == "Number of fields must be a positive integer"
        assert error_of(r, cmd, "h", "FIELDS", 1, "f1", "f2") == (
            "The `numfields` parameter must match the number of arguments"
        )
        assert error_of(r, cmd, "h", "NOPE", 1, "f1") == (
            "Mandatory argument FIELDS is missing or not at the right position"
        )
    r.set("s", "x")
    assert error_of(r, "HEXPIRE", "s", 10, "FIELDS", 1, "a") == WRONGTYPE
    assert error_of(r, "HTTL", "s", "FIELDS", 1, "a") == WRONGTYPE
    assert error_of(r, "HPERSIST", "s", "FIELDS", 1, "a") == WRONGTYPE
    assert error_of(r, "HGETDEL", "s", "FIELDS", 1, "a") == WRONGTYPE
    assert error_of(r, "HGETEX", "s", "FIELDS", 1, "a") == WRONGTYPE
    assert error_of(r, "HSETEX", "s", "FIELDS", 1, "a", "b") == WRONGTYPE


# -- HTTL family -------------------------------------------------------------------------


def test_httl_hpttl_and_expire_times(r):
    r.hset("h", mapping={"f1": 1, "f2": 2})
    assert r.httl("h", "f1", "f2", "nofield") == [-1, -1, -2]
    before = now_ms()
    r.hpexpire("h", 2000, "f1")
    after = now_ms()
    assert r.httl("h", "f1") == [2]  # rounded up, as Redis does
    assert 1000 < r.hpttl("h", "f1")[0] <= 2000
    (at_ms,) = r.hpexpiretime("h", "f1")
    assert before + 2000 <= at_ms <= after + 2000
    assert r.hexpiretime("h", "f1") == [(at_ms + 999) // 1000]
    r.hexpireat("h", FAR, "f2")
    assert r.hexpiretime("h", "f2") == [FAR]
    assert r.hpexpiretime("h", "f2") == [FAR * 1000]


def test_timedelta_and_datetime_arguments(r):
    r.hset("h", mapping={"a": 1, "b": 2, "c": 3, "d": 4})
    assert r.hexpire("h", datetime.timedelta(seconds=50), "a") == [1]
    assert r.hpexpire("h", datetime.timedelta(seconds=40), "b") == [1]
    when = datetime.datetime.fromtimestamp(FAR)
    assert r.hexpireat("h", when, "c") == [1]
    assert r.hpexpireat("h", when, "d") == [1]
    assert 49 <= r.httl("h", "a")[0] <= 50
    assert 39000 < r.hpttl("h", "b")[0] <= 40000
    assert r.hexpiretime("h", "c", "d") == [FAR, FAR]


# -- HPERSIST ------------------------------------------------------------------------------


def test_hpersist(r):
    r.hset("h", mapping={"f1": 1, "f2": 2})
    r.hexpire("h", 1000, "f1")
    assert r.hpersist("h", "f1", "nofield") == [1, -2]
    assert r.hpersist("h", "f1", "f2") == [-1, -1]
    assert r.httl("h", "f1", "f2") == [-1, -1]
    assert error_of(r, "HPERSIST", "h") == "wrong number of arguments for 'hpersist' command"
    assert error_of(r, "HPERSIST", "h", "FIELDS", 1) == "wrong number of arguments for 'hpersist' command"


def test_persisted_fields_outlive_their_old_ttl(r):
    r.hset("h", mapping={"f1": 1, "f2": 2})
    r.hpexpire("h", 300, "f1", "f2")
    assert r.hpersist("h", "f1", "f2") == [1, 1]
    time.sleep(0.4)
    assert r.hgetall("h") == {b"f1": b"1", b"f2": b"2"}


# -- time passing: lazy and active reclaim ----------------------------------------------


def test_expired_fields_are_invisible(r):
    r.hset("h", mapping={"a": 1, "b": 2, "c": 3})
    r.hpexpire("h", 20, "a", "b")
    time.sleep(0.05)
    assert r.hget("h", "a") is None
    assert r.hmget("h", "a", "b", "c") == [None, None, b"3"]
    assert r.hexists("h", "b") is False
    assert r.hstrlen("h", "b") == 0
    assert r.hgetall("h") == {b"c": b"3"}
    assert r.hkeys("h") == [b"c"]
    assert r.hvals("h") == [b"3"]
    assert r.hscan("h") == (0, {b"c": b"3"})
    assert r.hrandfield("h", 5) == [b"c"]
    assert r.httl("h", "a", "c") == [-2, -1]
    assert r.hlen("h") == 1


def test_reading_the_last_expired_field_deletes_the_key(r):
    r.hset("h", "a", 1)
    r.hpexpire("h", 10, "a")
    time.sleep(0.03)
    assert r.hget("h", "a") is None
    assert r.exists("h") == 0


def test_active_expiry_deletes_hashes_without_access(r):
    for i in range(20):
        r.hset(f"h{i}", mapping={"v": 1, "keep": 1} if i % 2 else {"v": 1})
        r.hpexpire(f"h{i}", 50, "v")
    # EXISTS and HLEN never reclaim fields: only the sweep can.
    assert wait_for(lambda: r.exists(*[f"h{i}" for i in range(0, 20, 2)]) == 0)
    assert wait_for(lambda: all(r.hlen(f"h{i}") == 1 for i in range(1, 20, 2)))
    assert r.hgetall("h1") == {b"keep": b"1"}


def test_big_hashes_expire_actively_too(r):
    r.hset("big", mapping={f"f{i}": i for i in range(600)})
    assert encoding(r, "big") == "hashtable"
    assert r.hpexpire("big", 300, *[f"f{i}" for i in range(600)]) == [1] * 600
    assert encoding(r, "big") == "hashtable"
    assert wait_for(lambda: r.exists("big") == 0)


def test_hset_clears_ttl_hincrby_keeps_it(r):
    r.hset("h", mapping={"f1": 10, "f2": 20, "f3": 30})
    r.hexpire("h", 100, "f1", "f2", "f3")
    assert r.hset("h", "f1", 11) == 0
    assert r.httl("h", "f1") == [-1]
    assert r.hincrby("h", "f2", 1) == 21
    assert r.hincrbyfloat("h", "f3", 0.5) == 30.5
    assert r.httl("h", "f2", "f3") == [100, 100]
    assert r.hsetnx("h", "f2", 0) == 0
    assert r.httl("h", "f2") == [100]


def test_hincrby_and_hsetnx_restart_an_expired_field(r):
    r.hset("h", mapping={"n": 10, "s": "x", "other": 1})
    r.hpexpire("h", 10, "n", "s")
    time.sleep(0.03)
    assert r.hincrby("h", "n", 1) == 1
    assert r.hsetnx("h", "s", "y") == 1
    assert r.httl("h", "n", "s") == [-1, -1]


def test_hdel_of_a_volatile_field_and_key_removal(r):
    r.hset("h", mapping={"a": 1, "b": 2})
    r.hexpire("h", 100, "a")
    assert r.hdel("h", "a") == 1
    assert r.httl("h", "a", "b") == [-2, -1]
    assert r.hdel("h", "b") == 1
    assert r.exists("h") == 0


# -- HGETDEL / HGETEX / HSETEX ------------------------------------------------------------


def test_hgetdel(r):
    r.hset("h", mapping={"f1": 1, "f2": 2, "f3": 3})
    assert r.hgetdel("h", "f2", "nofield", "f2") == [b"2", None, None]
    assert r.hgetall("h") == {b"f1": b"1", b"f3": b"3"}
    assert r.hgetdel("h", "f1", "f3") == [b"1", b"3"]
    assert r.exists("h") == 0
    assert r.hgetdel("h", "f1") == [None]
    with pytest.raises(r.exc.DataError):
        r.hgetdel("h")


def test_hgetex_sets_and_removes_ttls(r):
    r.hset("h", mapping={"f1": "a", "f2": "b", "f3": "c"})
    assert r.hgetex("h", "f1", "f2") == [b"a", b"b"]
    assert r.httl("h", "f1") == [-1]
    assert r.hgetex("h", "f1", "nofield", ex=60) == [b"a", None]
    assert r.httl("h", "f1") == [60]
    assert r.hgetex("h", "f2", px=50000) == [b"b"]
    assert 49000 < r.hpttl("h", "f2")[0] <= 50000
    assert r.hgetex("h", "f3", exat=FAR) == [b"c"]
    assert r.hexpiretime("h", "f3") == [FAR]
    assert r.hgetex("h", "f3", pxat=FAR * 1000 + 1) == [b"c"]
    assert r.hpexpiretime("h", "f3") == [FAR * 1000 + 1]
    assert r.hgetex("h", "f1", "f2", persist=True) == [b"a", b"b"]
    assert r.httl("h", "f1", "f2") == [-1, -1]
    # A deadline in the past deletes what was read; the last field takes the key.
    assert r.hgetex("h", "f1", "f2", "f3", exat=1) == [b"a", b"b", b"c"]
    assert r.exists("h") == 0
    assert r.hgetex("h", "f1", ex=10) == [None]
    with pytest.raises(r.exc.DataError):
        r.hgetex("h", "f1", ex=1, persist=True)
    with pytest.raises(r.exc.DataError):
        r.hgetex("h")


def test_hgetex_errors(r):
    r.hset("h", "f", "v")
    assert error_of(r, "HGETEX", "h", "EX", -1, "FIELDS", 1, "f") == "invalid expire time, must be >= 0"
    assert error_of(r, "HGETEX", "h", "EX", "x", "FIELDS", 1, "f") == "value is not an integer or out of range"
    assert error_of(r, "HGETEX", "h", "PX", 1 << 48, "FIELDS", 1, "f") == (
        "invalid expire time in 'hgetex' command"
    )
    assert error_of(r, "HGETEX", "h", "EX", 10, "NOPE", 1, "f") == (
        "Mandatory argument FIELDS is missing or not at the right position"
    )
    assert error_of(r, "HGETEX", "h", "PERSIST", "FIELDS", 2, "f") == (
        "The `numfields` parameter must match the number of arguments"
    )


def test_hsetex(r):
    assert r.hsetex("h", mapping={"f1": "a", "f2": "b"}, ex=60) == 1
    assert r.httl("h", "f1", "f2") == [60, 60]
    # FNX: only if none exists; FXX: only if all exist.
    assert r.hsetex("h", "f2", "x", data_persist_option=HashDataPersistOptions.FNX) == 0
    assert r.hsetex("h", "f3", "c", data_persist_option=HashDataPersistOptions.FNX) == 1
    assert r.hsetex("h", items=["f1", "A", "f4", "D"], data_persist_option=HashDataPersistOptions.FXX) == 0
    assert r.hsetex("h", "f1", "A", data_persist_option="FXX", keepttl=True) == 1
    assert r.hmget("h", "f1", "f2", "f3", "f4") == [b"A", b"b", b"c", None]
    assert r.httl("h", "f1", "f3") == [60, -1]
    # Without an expiry option the TTL goes, as with HSET.
    assert r.hsetex("h", "f2", "B") == 1
    assert r.httl("h", "f2") == [-1]
    assert r.hsetex("h", "f3", "C", px=30000) == 1
    assert 29000 < r.hpttl("h", "f3")[0] <= 30000
    assert r.hsetex("h", "f3", "C", exat=FAR) == 1
    assert r.hexpiretime("h", "f3") == [FAR]
    assert r.hsetex("h", "f3", "C", pxat=FAR * 1000) == 1
    assert r.hpexpiretime("h", "f3") == [FAR * 1000]
    # FXX on a missing key creates nothing.
    assert r.hsetex("nokey", "a", 1, data_persist_option=HashDataPersistOptions.FXX) == 0
    assert r.exists("nokey") == 0
    # A deadline already past: set, then deleted (the key too if emptied).
    assert r.hsetex("gone", "a", 1, ex=0) == 1
    assert r.exists("gone") == 0
    with pytest.raises(r.exc.DataError):
        r.hsetex("h")
    with pytest.raises(r.exc.DataError):
        r.hsetex("h", items=["a"])
    with pytest.raises(r.exc.DataError):
        r.hsetex("h", "a", 1, ex=1, keepttl=True)


def test_hsetex_errors(r):
    arity = "wrong number of arguments for 'hsetex' command"
    assert error_of(r, "HSETEX", "h", "FIELDS", 2, "a", "1") == arity
    assert error_of(r, "HSETEX", "h", "FIELDS", 1, "a", "1", "b") == arity
    assert error_of(r, "HSETEX", "h", "FIELDS", 0, "a", "1") == "invalid number of fields"
    assert error_of(r, "HSETEX", "h", "FNX", "FXX", "FIELDS", 1, "a", "1") == (
        "Only one of FXX or FNX arguments can be specified"
    )
    assert error_of(r, "HSETEX", "h", "EX", 10, "PX", 10, "FIELDS", 1, "a", "1") == (
        "Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified"
    )
    assert error_of(r, "HSETEX", "h", "KEEPTTL", "EX", 10, "FIELDS", 1, "a", "1") == (
        "Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified"
    )
    assert error_of(r, "HSETEX", "h", "EX", -5, "FIELDS", 1, "a", "1") == "invalid expire time, must be >= 0"
    assert error_of(r, "HSETEX", "h", "BOGUS", "FIELDS", 1, "a", "1") == "unknown argument: BOGUS"
    assert r.exists("h") == 0


# -- encodings, order, key operations -------------------------------------------------------


def test_object_encoding_listpackex_and_order(r):
    r.hset("h", mapping={"f1": 1, "f2": 2, "f3": 3, "f4": 4})
    assert encoding(r, "h") == "listpack"
    # Redis converts on the first HEXPIRE-family call, even one that sets nothing.
    assert r.hexpire("h", 100, "nofield") == [-2]
    assert encoding(r, "h") == "listpackex"
    # A listpackex keeps volatile fields first, by deadline.
    r.hexpire("h", 200, "f3")
    r.hexpire("h", 100, "f4")
    assert r.hkeys("h") == [b"f4", b"f3", b"f1", b"f2"]
    r.hpersist("h", "f4")
    assert r.hkeys("h") == [b"f3", b"f1", b"f2", b"f4"]
    r.config_set("hash-max-listpack-entries", 4)
    try:
        r.hset("h", "f5", 5)
        assert encoding(r, "h") == "hashtable"
        assert r.httl("h", "f3") == [200]
    finally:
        r.config_set("hash-max-listpack-entries", 512)


def test_rename_copy_move_keep_field_ttls(r):
    r.hset("h", mapping={"a": 1, "b": 2})
    r.hexpire("h", 100, "a")
    r.rename("h", "h2")
    assert r.exists("h") == 0
    assert r.httl("h2", "a", "b") == [100, -1]
    assert r.copy("h2", "h3") is True
    assert r.httl("h3", "a", "b") == [100, -1]
    assert r.hpersist("h3", "a") == [1]
    assert r.httl("h2", "a") == [100], "the copy is independent"
    assert r.move("h2", 1) is True
    r.select(1)
    assert r.httl("h2", "a") == [100]
    r.select(0)


def test_renamed_hash_still_expires_actively(r):
    r.hset("h", "a", 1)
    r.hpexpire("h", 300, "a")
    r.rename("h", "h2")
    r.hset("m", "a", 1)
    r.hpexpire("m", 300, "a")
    r.move("m", 2)
    assert wait_for(lambda: r.exists("h2") == 0)
    r.select(2)
    assert wait_for(lambda: r.exists("m") == 0)
    r.select(0)


def test_swapdb_and_flush_carry_the_field_index(r):
    r.hset("s", mapping={"a": 1, "b": 2})
    r.hpexpire("s", 300, "a")
    r.swapdb(0, 3)
    r.select(3)
    assert r.httl("s", "b") == [-1]
    assert wait_for(lambda: r.hkeys("s") == [b"b"] and r.hlen("s") == 1)
    r.hexpire("s", 100, "b")
    r.flushdb()
    assert r.exists("s") == 0
    r.hset("s", "x", 1)
    assert r.httl("s", "x") == [-1]
    r.select(0)


def test_dump_restore_keeps_field_ttls(r):
    r.hset("h", mapping={"a": 1, "b": 2, "c": 3})
    r.hexpireat("h", FAR, "a")
    r.hexpireat("h", FAR + 1, "b")
    payload = r.dump("h")
    r.delete("h")
    r.restore("h", 0, payload)
    assert r.hgetall("h") == {b"a": b"1", b"b": b"2", b"c": b"3"}
    assert r.hexpiretime("h", "a", "b", "c") == [FAR, FAR + 1, -1]
    # The same through a hashtable-encoded hash.
    r.hset("big", mapping={f"f{i}": i for i in range(600)})
    r.hexpireat("big", FAR, "f7")
    payload = r.dump("big")
    r.delete("big")
    r.restore("big", 0, payload)
    assert encoding(r, "big") == "hashtable"
    assert r.hlen("big") == 600
    assert r.hexpiretime("big", "f7", "f8") == [FAR, -1]
    # Hashes whose TTLs were all removed dump as before.
    r.hpersist("h", "a", "b")
    payload = r.dump("h")
    r.delete("h")
    r.restore("h", 0, payload)
    assert r.hexpiretime("h", "a", "b", "c") == [-1, -1, -1]


# -- keyspace notifications and WATCH -----------------------------------------------------


def events(p, n, timeout=1.0):
    out = []
    for _ in range(n):
        m = p.get_message(timeout=timeout)
        if m is not None:
            out.append(m["data"])
    return out


@pytest.fixture
def notify(make):
    c = make(decode_responses=True)
    c.config_set("notify-keyspace-events", "KA")
    p = c.pubsub(ignore_subscribe_messages=True)
    p.psubscribe("__keyspace@0__:*")
    p.get_message(timeout=1)
    yield c, p
    p.close()
    c.config_set("notify-keyspace-events", "")


def test_notifications_for_ttl_commands(notify):
    r, p = notify
    r.hset("h", mapping={"a": 1, "b": 2, "c": 3})
    r.hexpire("h", 100, "a", "b")
    r.hexpire("h", 100, "a", nx=True)  # nothing changes: no event
    r.hpersist("h", "a")
    r.hpersist("h", "c")  # nothing changes: no event
    r.hexpire("h", 0, "b")
    r.hgetdel("h", "a")
    r.hgetex("h", "c", ex=100)
    r.hgetex("h", "c", persist=True)
    r.hsetex("h", "d", 4, ex=100)
    r.hgetdel("h", "c", "d")
    assert events(p, 12) == [
        "hset", "hexpire", "hpersist", "hdel", "hdel", "hexpire", "hpersist",
        "hset", "hexpire", "hdel", "del",
    ]


def test_notifications_for_expiry(notify):
    r, p = notify
    r.hset("lazy", mapping={"a": 1, "b": 2})
    r.hpexpire("lazy", 10, "a")
    time.sleep(0.03)
    r.hget("lazy", "a")
    assert events(p, 3) == ["hset", "hexpire", "hexpired"]
    r.hset("active", "a", 1)
    r.hpexpire("active", 30, "a")
    assert events(p, 4, timeout=2) == ["hset", "hexpire", "hexpired", "del"]
    assert r.exists("active") == 0


def test_watch_sees_field_ttl_changes_and_expiry(r):
    def watch_then(key, action):
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

    r.hset("h", mapping={"a": 1, "b": 2})
    assert watch_then("h", lambda: r.httl("h", "a")) is True
    assert watch_then("h", lambda: r.hexpire("h", 100, "a")) is False
    assert watch_then("h", lambda: r.hpersist("h", "a")) is False
    assert watch_then("h", lambda: r.hpersist("h", "a")) is True
    r.hpexpire("h", 20, "a")

    def expire_and_read():
        time.sleep(0.05)
        r.hget("h", "a")

    assert watch_then("h", expire_and_read) is False


# -- decode_responses ------------------------------------------------------------------------


def test_decode_responses(rd):
    rd.hset("h", mapping={"a": "1", "b": "2"})
    assert rd.hexpire("h", 100, "a") == [1]
    assert rd.hgetex("h", "a", "b") == ["1", "2"]
    assert rd.hsetex("h", "c", "3", px=5000) == 1
    assert rd.hgetdel("h", "b", "zz") == ["2", None]
    assert rd.httl("h", "a", "c") == [100, 5]
    assert rd.hgetall("h") == {"a": "1", "c": "3"}


# -- the command table ------------------------------------------------------------------------


def test_command_info_matches_the_documentation(r):
    """Arity, flags, key positions and ACL categories from Redis's command
    reference (the 7.0 oracle cannot report these)."""
    rw = ([b"write", b"denyoom", b"fast"], [b"@write", b"@hash", b"@fast"])
    ro = ([b"readonly", b"fast"], [b"@read", b"@hash", b"@fast"])
    wf = ([b"write", b"fast"], [b"@write", b"@hash", b"@fast"])
    expected = {
        "hexpire": (-6, rw), "hpexpire": (-6, rw), "hexpireat": (-6, rw), "hpexpireat": (-6, rw),
        "httl": (-5, ro), "hpttl": (-5, ro), "hexpiretime": (-5, ro), "hpexpiretime": (-5, ro),
        "hpersist": (-5, wf), "hgetdel": (-5, wf), "hgetex": (-5, wf), "hsetex": (-6, rw),
    }
    infos = r.execute_command("COMMAND INFO", *expected)
    for entry, (name, (arity, (flags, cats))) in zip(infos, expected.items()):
        assert entry[:7] == [name.encode(), arity, flags, 1, 1, 1, cats], name


def test_pipeline_and_transaction(r):
    r.hset("h", mapping={"a": 1, "b": 2})
    with r.pipeline() as p:
        p.hexpire("h", 100, "a")
        p.httl("h", "a", "b")
        p.hgetdel("h", "b")
        p.hsetex("h", "c", 3, px=5000)
        assert p.execute() == [[1], [100, -1], [b"2"], 1]
    with r.pipeline(transaction=False) as p:
        p.hpersist("h", "a")
        p.hgetex("h", "a", "c", persist=True)
        assert p.execute() == [[1], [b"1", b"3"]]
    assert r.httl("h", "a", "c") == [-1, -1]
