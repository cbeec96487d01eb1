"""DUMP, RESTORE and MEMORY, on the embedded engine and on the real server,
plus payload exchange between the two."""

import random
import struct
import time

import pytest

from support import error_of, mutations, payload, rdb_len, rdb_str

# -- payload helpers ------------------------------------------------------------


def ziplist(items) -> bytes:
    """A ziplist as Redis 6 and older wrote them."""
    body = b""
    prev = 0
    tail = 10
    for it in items:
        tail = 10 + len(body)
        head = bytes([prev]) if prev < 254 else b"\xfe" + struct.pack("<I", prev)
        if isinstance(it, int):
            if 0 <= it <= 12:
                enc = bytes([0xF1 + it])
            elif -128 <= it <= 127:
                enc = b"\xfe" + struct.pack("<b", it)
            elif -32768 <= it <= 32767:
                enc = b"\xc0" + struct.pack("<h", it)
            elif -(2**31) <= it < 2**31:
                enc = b"\xd0" + struct.pack("<i", it)
            else:
                enc = b"\xe0" + struct.pack("<q", it)
        else:
            assert len(it) < 64
            enc = bytes([len(it)]) + it
        entry = head + enc
        body += entry
        prev = len(entry)
    total = 10 + len(body) + 1
    return struct.pack("<IIH", total, tail, len(items)) + body + b"\xff"


def zipmap(pairs) -> bytes:
    body = bytes([len(pairs)])
    for f, v in pairs:
        body += bytes([len(f)]) + f + bytes([len(v), 0]) + v
    return body + b"\xff"


def intset(values, width) -> bytes:
    fmt = {2: "<h", 4: "<i", 8: "<q"}[width]
    return struct.pack("<II", width, len(values)) + b"".join(struct.pack(fmt, v) for v in sorted(values))


def encoding(r, key):
    enc = r.object("encoding", key)
    return enc.decode() if isinstance(enc, bytes) else enc


def contents(r, key):
    kind = r.type(key)
    kind = kind.decode() if isinstance(kind, bytes) else kind
    if kind == "string":
        return kind, r.get(key)
    if kind == "list":
        return kind, r.lrange(key, 0, -1)
    if kind == "set":
        return kind, sorted(r.smembers(key))
    if kind == "hash":
        return kind, sorted(r.hgetall(key).items())
    if kind == "zset":
        return kind, r.zrange(key, 0, -1, withscores=True)
    return kind, None


# -- one value of every type and encoding ---------------------------------------

SAMPLES = {
    "str-short": lambda r: r.set("k", "hello"),
    "str-empty": lambda r: r.set("k", ""),
    "str-int8": lambda r: r.set("k", "-12"),
    "str-int32": lambda r: r.set("k", "2000000000"),
    "str-int64": lambda r: r.set("k", "-9223372036854775808"),
    "str-not-canonical-int": lambda r: r.set("k", "007"),
    "str-lzf": lambda r: r.set("k", "abc" * 40),
    "str-incompressible": lambda r: r.set("k", bytes(range(256))),
    "str-raw-appended": lambda r: r.append("k", "12"),
    "list-small": lambda r: r.rpush("k", "a", "1", "-2000", "x" * 100, 2**40),
    "list-multi-node": lambda r: r.rpush("k", *[f"element-{i}" for i in range(3000)]),
    "list-big-element": lambda r: r.rpush("k", "y" * 9000, "z"),
    "set-intset16": lambda r: r.sadd("k", 1, 2, 3, -5),
    "set-intset32": lambda r: r.sadd("k", 70000, 1),
    "set-intset64": lambda r: r.sadd("k", 2**40, 5),
    "set-hashtable": lambda r: r.sadd("k", "a", "b", "c"),
    "set-big-intset": lambda r: r.sadd("k", *range(600)),
    "hash-listpack": lambda r: r.hset("k", mapping={"f": "v", "n": 12, "neg": -3, "long": "x" * 60}),
    "hash-hashtable": lambda r: r.hset("k", mapping={f"f{i}": f"v{i}" for i in range(200)}),
    "hash-long-value": lambda r: r.hset("k", "f", "v" * 100),
    "zset-listpack": lambda r: r.zadd("k", {"a": 1, "b": 2.5, "c": -3, "d": 1e20, "e": float("inf"), "f": 0.1}),
    "zset-skiplist": lambda r: r.zadd("k", {f"m{i}": i / 7 for i in range(300)}),
    "zset-long-member": lambda r: r.zadd("k", {"x" * 100: 1, "y": -0.5}),
}

#: Values whose DUMP bytes depend on hash table iteration order.
DICT_ORDER = {"set-hashtable", "set-big-intset", "hash-hashtable"}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_dump_restore_roundtrip(r, name):
    SAMPLES[name](r)
    p = r.dump("k")
    assert isinstance(p, bytes) and p[-10:-8] == b"\x0a\x00"
    assert r.restore("k2", 0, p) in (b"OK", "OK")
    assert contents(r, "k2") == contents(r, "k")
    assert encoding(r, "k2") == encoding(r, "k")
    assert r.ttl("k2") == -1


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_payloads_cross_between_redcore_and_redis(pair, name):
    emb, ora = pair["embedded"], pair["oracle"]
    SAMPLES[name](emb)
    SAMPLES[name](ora)
    pe, po = emb.dump("k"), ora.dump("k")
    if name not in DICT_ORDER:
        assert pe == po
    emb.restore("from_redis", 0, po)
    ora.restore("from_redcore", 0, pe)
    assert contents(emb, "from_redis") == contents(ora, "k")
    assert contents(ora, "from_redcore") == contents(emb, "k")
    assert encoding(emb, "from_redis") == encoding(ora, "k")
    assert encoding(ora, "from_redcore") == encoding(emb, "k")


# -- older encodings --------------------------------------------------------------

LEGACY = {
    # type 1: a plain list of strings
    "list-plain": (b"\x01" + rdb_len(3) + rdb_str(b"a") + b"\xc0\x05" + rdb_str(b"ccc"), "quicklist"),
    # type 10: a ziplist with every integer encoding
    "list-ziplist": (b"\x0a" + rdb_str(ziplist([b"a", 7, -100, 300, 70000, 2**40])), "quicklist"),
    # type 14: quicklist of ziplists
    "list-quicklist-v1": (
        b"\x0e" + rdb_len(2) + rdb_str(ziplist([b"x", 1])) + rdb_str(ziplist([b"y", b"zz"])),
        "quicklist",
    ),
    # type 18 with a plain (container 1) node
    "list-quicklist-plain-node": (b"\x12" + rdb_len(1) + b"\x01" + rdb_str(b"big"), "quicklist"),
    # type 2: a set of strings that are all integers -> intset
    "set-plain-ints": (b"\x02" + rdb_len(3) + b"\xc0\x01" + rdb_str(b"2") + rdb_str(b"-3"), "intset"),
    "set-plain-mixed": (b"\x02" + rdb_len(2) + rdb_str(b"1") + rdb_str(b"a"), "hashtable"),
    # type 11 in a wider encoding than needed
    "set-intset-wide": (b"\x0b" + rdb_str(intset([1, 2, 3], 8)), "intset"),
    # type 3: sorted set with scores as text
    "zset-text-scores": (
        b"\x03" + rdb_len(3) + rdb_str(b"a") + b"\x031.5" + rdb_str(b"b") + b"\xfe" + rdb_str(b"c") + b"\x02-2",
        "listpack",
    ),
    # type 5 with few members converts to listpack
    "zset-binary-small": (
        b"\x05" + rdb_len(2) + rdb_str(b"a") + struct.pack("<d", 2.0) + rdb_str(b"b") + struct.pack("<d", 1.0),
        "listpack",
    ),
    # type 12: a ziplist of member/score pairs
    "zset-ziplist": (b"\x0c" + rdb_str(ziplist([b"a", 1, b"b", b"2.5"])), "listpack"),
    # type 4: small hash of strings -> listpack
    "hash-plain": (b"\x04" + rdb_len(2) + rdb_str(b"f") + rdb_str(b"v") + rdb_str(b"g") + b"\xc0\x07", "listpack"),
    # type 9: a zipmap (Redis 2.4)
    "hash-zipmap": (b"\x09" + rdb_str(zipmap([(b"f", b"v"), (b"n", b"123")])), "listpack"),
    # type 13: a ziplist of field/value pairs
    "hash-ziplist": (b"\x0d" + rdb_str(ziplist([b"f", b"v", b"n", 5])), "listpack"),
}


@pytest.mark.parametrize("name", sorted(LEGACY))
def test_restore_older_encodings(pair, name):
    body, enc = LEGACY[name]
    p = payload(body)
    values = []
    for r in (pair["embedded"], pair["oracle"]):
        r.restore("k", 0, p)
        assert encoding(r, "k") == enc
        values.append(contents(r, "k"))
    assert values[0] == values[1]


def test_restore_older_rdb_versions(r):
    p = payload(b"\x00" + rdb_str(b"v"), version=6)
    r.restore("k", 0, p)
    assert r.get("k") == b"v"
    assert error_of(r, "RESTORE", "k2", 0, payload(b"\x00" + rdb_str(b"v"), version=11)) == (
        "DUMP payload version or checksum are wrong"
    )


def test_restore_ignores_bytes_after_the_object(r):
    # Redis reads the object from the start and never checks where it ends.
    r.restore("k", 0, payload(b"\x00" + rdb_str(b"v") + b"trailing junk"))
    assert r.get("k") == b"v"


@pytest.mark.parametrize(
    "body",
    [
        b"",  # no type byte (the footer is read as one)
        b"\x08" + rdb_str(b"x"),  # type 8 does not exist
        b"\x00\xc3\x05\x0a" + b"\x00" * 5,  # LZF that expands wrongly
        b"\x01\x00",  # empty list
        b"\x02\x00",  # empty set
        b"\x02\x02" + rdb_str(b"a") + rdb_str(b"a"),  # duplicate member
        b"\x04\x02" + rdb_str(b"f") + rdb_str(b"v") + rdb_str(b"f") + rdb_str(b"w"),  # duplicate field
        b"\x05\x01" + rdb_str(b"a") + struct.pack("<d", float("nan")),  # NaN score
        b"\x0b" + rdb_str(struct.pack("<IIhh", 2, 2, 3, 1)),  # unsorted intset
        b"\x0b" + rdb_str(struct.pack("<II", 2, 0)),  # empty intset
        b"\x10" + rdb_str(b"\x07\x00\x00\x00\x00\x00\xff"),  # empty hash listpack
        b"\x11" + rdb_str(b"\x0b\x00\x00\x00\x01\x00\x81a\x02\xff"),  # odd zset listpack
        b"\x12\x01\x03" + rdb_str(b"x"),  # bad quicklist container
        b"\x12\x01\x02" + rdb_str(b"\x07\x00\x00\x00\x05\x00\xff"),  # listpack count mismatch
        b"\x0d" + rdb_str(ziplist([b"f", b"v", b"f", b"w"])),  # duplicate field in ziplist
        b"\x0c" + rdb_str(ziplist([b"a"])),  # odd ziplist zset
    ],
)
def test_restore_bad_data(make, body):
    # redcore always validates payloads deeply; redis-server does when
    # sanitize-dump-payload is on (without it, it accepts some of these).
    r = make()
    old = r.config_get("sanitize-dump-payload")["sanitize-dump-payload"]
    r.config_set("sanitize-dump-payload", "yes")
    try:
        assert error_of(r, "RESTORE", "k", 0, payload(body)) == "Bad data format"
        assert r.exists("k") == 0
    finally:
        r.config_set("sanitize-dump-payload", old)


# -- RESTORE options and errors -------------------------------------------------------


def test_dump_missing_key(r):
    assert r.dump("missing") is None


def test_restore_errors(r):
    r.set("k", "v")
    p = r.dump("k")
    assert error_of(r, "RESTORE", "k", 0, p) == "BUSYKEY Target key name already exists."
    assert error_of(r, "RESTORE", "k2", -1, p) == "Invalid TTL value, must be >= 0"
    assert error_of(r, "RESTORE", "k2", "x", p) == "value is not an integer or out of range"
    assert error_of(r, "RESTORE", "k2", 0, p[:-1] + bytes([p[-1] ^ 1])) == (
        "DUMP payload version or checksum are wrong"
    )
    assert error_of(r, "RESTORE", "k2", 0, b"short") == "DUMP payload version or checksum are wrong"
    assert error_of(r, "RESTORE", "k2", 0, p, "FOO") == "syntax error"
    assert error_of(r, "RESTORE", "k2", 0, p, "IDLETIME") == "syntax error"
    assert error_of(r, "RESTORE", "k2", 0, p, "IDLETIME", -1) == "Invalid IDLETIME value, must be >= 0"
    assert error_of(r, "RESTORE", "k2", 0, p, "IDLETIME", "x") == "value is not an integer or out of range"
    assert error_of(r, "RESTORE", "k2", 0, p, "FREQ", 256) == "Invalid FREQ value, must be >= 0 and <= 255"
    assert error_of(r, "RESTORE", "k2", 0, p, "FREQ", 1, "IDLETIME", 1) == "syntax error"
    assert error_of(r, "RESTORE", "k2", 0, p, "IDLETIME", 1, "FREQ", 1) == "syntax error"
    # Option errors come before BUSYKEY, BUSYKEY before the TTL check.
    assert error_of(r, "RESTORE", "k", 0, p, "FOO") == "syntax error"
    assert error_of(r, "RESTORE", "k", -1, p) == "BUSYKEY Target key name already exists."
    assert error_of(r, "RESTORE", "k2", -1, b"junk") == "Invalid TTL value, must be >= 0"
    assert error_of(r, "RESTORE", "k") == "wrong number of arguments for 'restore' command"
    assert r.exists("k2") == 0


def test_restore_replace_and_ttl(r):
    r.set("k", "v")
    p = r.dump("k")
    r.rpush("l", "x")
    assert r.restore("l", 100000, p, replace=True) in (b"OK", "OK")
    assert r.get("l") == b"v"
    assert 99000 < r.pttl("l") <= 100000
    at = int(time.time() * 1000) + 50000
    r.restore("a", at, p, absttl=True)
    assert 40000 < r.pttl("a") <= 50000
    # A deadline in the past: OK, and nothing is created...
    r.restore("past", 1, p, absttl=True)
    assert r.exists("past") == 0
    # ...and with REPLACE the old key is deleted.
    r.restore("l", 1, p, absttl=True, replace=True)
    assert r.exists("l") == 0
    # A TTL so large that adding the time wraps is a deadline in the past.
    r.execute_command("RESTORE", "huge", 2**63 - 1, p)
    assert r.exists("huge") == 0
    # ABSTTL 0 means no TTL.
    r.restore("z", 0, p, absttl=True)
    assert r.ttl("z") == -1
    r.set("e", "x", px=100000)
    r.restore("e", 0, p, replace=True)
    assert r.ttl("e") == -1


def test_restore_idletime(r):
    r.set("k", "v")
    p = r.dump("k")
    r.restore("k2", 0, p, idletime=1000)
    assert 1000 <= r.object("idletime", "k2") <= 1002
    r.restore("k3", 0, p, idletime=0)
    assert r.object("idletime", "k3") <= 2
    r.get("k2")
    assert r.object("idletime", "k2") <= 2


def test_restore_huge_idletime_wraps_like_redis(pair):
    emb, ora = pair["embedded"], pair["oracle"]
    ora.set("k", "v")
    p = ora.dump("k")
    for idle in (10**7, 2**24 + 5, 10**12):
        got = []
        for r in (emb, ora):
            r.restore("i", 0, p, idletime=idle, replace=True)
            got.append(r.object("idletime", "i"))
        assert abs(got[0] - got[1]) <= 2, (idle, got)


def test_restore_freq_under_lfu(make):
    r = make()
    r.set("k", "v")
    p = r.dump("k")
    old = r.config_get("maxmemory-policy")["maxmemory-policy"]
    try:
        r.config_set("maxmemory-policy", "allkeys-lfu")
        r.restore("f", 0, p, frequency=100)
        assert r.object("freq", "f") == 100
        r.restore("g", 0, p, idletime=5)
        assert error_of(r, "OBJECT", "IDLETIME", "g").startswith("An LFU maxmemory policy is selected")
    finally:
        r.config_set("maxmemory-policy", old)
    # FREQ is ignored without an LFU policy.
    r.restore("h", 0, p, frequency=7)
    assert r.object("idletime", "h") <= 2


def test_restore_then_modify(r):
    r.zadd("z", {"a": 1, "b": 2})
    r.restore("z2", 0, r.dump("z"))
    r.zadd("z2", {"c": 0})
    assert r.zrange("z2", 0, -1) == [b"c", b"a", b"b"]
    r.hset("h", mapping={"a": 1})
    r.restore("h2", 0, r.dump("h"))
    r.hset("h2", "b", 2)
    assert r.hgetall("h2") == {b"a": b"1", b"b": b"2"}
    r.sadd("s", 3, 1)
    r.restore("s2", 0, r.dump("s"))
    r.sadd("s2", "x")
    assert encoding(r, "s2") == "hashtable"


def test_restored_encodings_follow_config(make):
    r = make()
    r.hset("h", mapping={f"f{i}": i for i in range(10)})
    r.zadd("z", {f"m{i}": i for i in range(10)})
    r.sadd("s", *range(10))
    ph, pz, ps = r.dump("h"), r.dump("z"), r.dump("s")
    saved = {k: r.config_get(k)[k] for k in ("hash-max-listpack-entries", "zset-max-listpack-entries", "set-max-intset-entries")}
    try:
        for k in saved:
            r.config_set(k, 4)
        r.restore("h2", 0, ph)
        r.restore("z2", 0, pz)
        r.restore("s2", 0, ps)
        assert encoding(r, "h2") == "hashtable"
        assert encoding(r, "z2") == "skiplist"
        assert encoding(r, "s2") == "hashtable"
    finally:
        for k, v in saved.items():
            r.config_set(k, v)


def test_restore_event_and_watch(make):
    r = make()
    r.set("k", "v")
    p = r.dump("k")
    w = r.pipeline()
    w.watch("k2")
    r.restore("k2", 0, p)
    w.multi()
    w.set("x", 1)
    with pytest.raises(r.exc.WatchError):
        w.execute()


# -- fuzzing ----------------------------------------------------------------------------


def test_fuzzed_payloads_fail_cleanly(make):
    r = make()
    bases = []
    for name in sorted(SAMPLES):
        SAMPLES[name](r)
        bases.append(r.dump("k"))
        r.delete("k")
    r.set("keep", "me")
    sanitize = None
    if r.backend != "embedded":
        # Without deep sanitization redis-server itself may crash on such input.
        sanitize = r.config_get("sanitize-dump-payload")["sanitize-dump-payload"]
        r.config_set("sanitize-dump-payload", "yes")
    try:
        rng = random.Random(20240607)
        count = 0
        for base in bases:
            for p in mutations(rng, base, 150):
                count += 1
                try:
                    r.restore("fz", 0, p)
                except r.exc.ResponseError as e:
                    assert str(e) in ("Bad data format", "DUMP payload version or checksum are wrong"), str(e)
                    assert r.exists("fz") == 0
                else:
                    r.delete("fz")
        assert count > 3000
        assert r.dbsize() == 1 and r.get("keep") == b"me"
    finally:
        if sanitize is not None:
            r.config_set("sanitize-dump-payload", sanitize)


def test_truncated_payloads(r):
    r.rpush("l", *range(100))
    p = r.dump("l")
    for cut in range(len(p)):
        with pytest.raises(r.exc.ResponseError):
            r.restore("t", 0, p[:cut])
    assert r.exists("t") == 0


# -- MEMORY ---------------------------------------------------------------------------------


def test_memory_usage(r):
    assert r.memory_usage("missing") is None
    r.set("small", "x")
    r.set("big", "x" * 10000)
    assert 0 < r.memory_usage("small") < r.memory_usage("big")
    r.rpush("l", *range(10))
    n1 = r.memory_usage("l")
    r.rpush("l", *range(1000))
    assert r.memory_usage("l") > n1
    assert r.memory_usage("l", samples=0) > 0
    r.hset("h", mapping={f"f{i}": "v" * 50 for i in range(300)})
    r.zadd("z", {f"m{i}": i for i in range(300)})
    r.sadd("s", *[f"m{i}" for i in range(300)])
    for k in ("h", "z", "s"):
        assert r.memory_usage(k) > r.memory_usage("small")
    assert error_of(r, "MEMORY", "USAGE", "l", "SAMPLES", -1) == "syntax error"
    assert error_of(r, "MEMORY", "USAGE", "l", "SAMPLES", "x") == "value is not an integer or out of range"
    assert error_of(r, "MEMORY", "USAGE", "l", "FOO") == "syntax error"
    assert error_of(r, "MEMORY", "USAGE", "l", "SAMPLES") == "syntax error"
    assert error_of(r, "MEMORY", "USAGE") == "wrong number of arguments for 'memory|usage' command"


def test_memory_container(r):
    assert r.memory_purge() is True
    help_lines = r.execute_command("MEMORY", "HELP")
    assert help_lines[0].startswith(b"MEMORY <subcommand>")
    assert b"USAGE <key> [SAMPLES <count>]" in help_lines
    assert error_of(r, "MEMORY", "FOO") == "unknown subcommand 'FOO'. Try MEMORY HELP."
    assert error_of(r, "MEMORY") == "wrong number of arguments for 'memory' command"
    assert isinstance(r.memory_malloc_stats(), bytes)
    with pytest.raises(NotImplementedError):
        r.memory_doctor()


def test_memory_stats_and_doctor(r2):
    r = r2  # RESP2 raw reply shapes (protocol=2)
    r.set("k", "v")
    r.set("t", "v", ex=100)
    stats = r.memory_stats()
    for field in ("peak.allocated", "total.allocated", "keys.count", "dataset.bytes", "fragmentation"):
        assert field in stats, field
    assert stats["keys.count"] == 2
    assert set(stats["db.0"]) == {
        "overhead.hashtable.main",
        "overhead.hashtable.expires",
        "overhead.hashtable.slot-to-keys",
    }
    assert isinstance(stats["dataset.percentage"], str)
    assert isinstance(r.execute_command("MEMORY", "DOCTOR"), bytes)
