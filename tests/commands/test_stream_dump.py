"""DUMP and RESTORE of streams, on both backends and across them: round
trips for streams of many shapes, byte equality with redis-server, the
older (Redis 5/6) stream object type, and malformed payloads."""

import random
import struct

import pytest

from support import error_of, mutations, payload, rdb_len, rdb_str

# -- payload helpers ------------------------------------------------------------


def _backlen(n: int) -> bytes:
    if n < 128:
        return bytes([n])
    if n < 16383:
        return bytes([n >> 7, (n & 127) | 128])
    return bytes([n >> 14, ((n >> 7) & 127) | 128, (n & 127) | 128])


def _canonical_int(s: bytes):
    """The integer a listpack stores ``s`` as, if any (as ``lpAppend``)."""
    try:
        v = int(s)
    except ValueError:
        return None
    return v if str(v).encode() == s and -(2**63) <= v < 2**63 else None


def listpack(items, raw=False) -> bytes:
    """A listpack of ints (smallest encoding) and byte strings (stored as
    integers when they read as one, unless ``raw``)."""
    body = b""
    for it in items:
        if not raw and isinstance(it, bytes) and _canonical_int(it) is not None:
            it = _canonical_int(it)
        if isinstance(it, int):
            if 0 <= it <= 127:
                enc = bytes([it])
            elif -4096 <= it <= 4095:
                enc = struct.pack(">H", 0xC000 | (it & 0x1FFF))
            elif -32768 <= it <= 32767:
                enc = b"\xf1" + struct.pack("<h", it)
            elif -(2**31) <= it < 2**31:
                enc = b"\xf3" + struct.pack("<i", it)
            else:
                enc = b"\xf4" + struct.pack("<q", it)
        elif len(it) < 64:
            enc = bytes([0x80 | len(it)]) + it
        else:
            assert len(it) < 4096
            enc = bytes([0xE0 | (len(it) >> 8), len(it) & 0xFF]) + it
        body += enc + _backlen(len(enc))
    return struct.pack("<IH", 6 + len(body) + 1, len(items)) + body + b"\xff"


def node_items(master, fields, entries):
    """A node's listpack elements as Redis lays them out. ``entries`` are
    ``(ms, seq, {field: value}, deleted)``."""
    live = sum(1 for e in entries if not e[3])
    items = [live, len(entries) - live, len(fields), *fields, 0]
    for ms, seq, pairs, deleted in entries:
        same = list(pairs) == list(fields)
        items += [(1 if deleted else 0) | (2 if same else 0), ms - master[0], seq - master[1]]
        if not same:
            items.append(len(pairs))
        for f, v in pairs.items():
            if not same:
                items.append(f)
            items.append(v)
        items.append(len(pairs) + 3 if same else 2 * len(pairs) + 4)
    return items


def id_key(ms: int, seq: int) -> bytes:
    return struct.pack(">QQ", ms, seq)


def stream_object(nodes, length, last, first=(0, 0), maxdel=(0, 0), added=None, groups=(), v2=True, raw=False) -> bytes:
    """A stream object. ``nodes`` are ``(master, listpack items)``; ``groups``
    are ``(name, last_id, entries_read, pel, consumers)`` with ``pel`` a list
    of ``(id, time, count)`` and consumers ``(name, seen, [ids])``."""
    out = bytes([19 if v2 else 15]) + rdb_len(len(nodes))
    for master, items in nodes:
        out += rdb_str(id_key(*master)) + rdb_str(listpack(items, raw))
    out += rdb_len(length) + rdb_len(last[0]) + rdb_len(last[1])
    if v2:
        out += rdb_len(first[0]) + rdb_len(first[1]) + rdb_len(maxdel[0]) + rdb_len(maxdel[1])
        out += rdb_len(length if added is None else added)
    out += rdb_len(len(groups))
    for name, gid, read, pel, consumers in groups:
        out += rdb_str(name) + rdb_len(gid[0]) + rdb_len(gid[1])
        if v2:
            out += rdb_len(read)
        out += rdb_len(len(pel))
        for pid, t, count in pel:
            out += id_key(*pid) + struct.pack("<q", t) + rdb_len(count)
        out += rdb_len(len(consumers))
        for cname, seen, ids in consumers:
            out += rdb_str(cname) + struct.pack("<q", seen) + rdb_len(len(ids))
            for pid in ids:
                out += id_key(*pid)
    return out


def picture(r, key):
    """Everything observable about a stream."""
    return (
        r.type(key),
        r.execute_command("XINFO", "STREAM", key, "FULL"),
        r.execute_command("XRANGE", key, "-", "+"),
        r.execute_command("XREVRANGE", key, "+", "-"),
    )


# -- streams of many shapes --------------------------------------------------------


def _xadd_n(r, n, start=1, fields=None, key="s"):
    pipe = r.pipeline(transaction=False)
    for i in range(start, start + n):
        pipe.xadd(key, fields(i) if fields else {"f": i, "name": f"v{i}"}, id=f"{i}-0")
    pipe.execute()


def _deleted_all(r):
    _xadd_n(r, 5)
    r.xdel("s", *[f"{i}-0" for i in range(1, 6)])


def _xtrim_exact(r):
    _xadd_n(r, 150)
    r.xtrim("s", maxlen=30)


def _maxlen_approx(r):
    for i in range(1, 420):
        r.xadd("s", {"f": i}, id=f"{i}-1", maxlen=120, approximate=True)


def _minid(r):
    _xadd_n(r, 250)
    r.xtrim("s", minid="140-0", approximate=True)
    r.xtrim("s", minid="160-0")


def _many_fields(r):
    r.xadd("s", {f"field{i}": f"value{i}" for i in range(300)}, id="1-0")
    r.xadd("s", {f"field{i}": i * 1000 for i in range(300)}, id="2-0")


def _varying_fields(r):
    shapes = [{"a": 1}, {"a": 1, "b": 2}, {"b": 2, "a": 1}, {"x": "y"}, {"a": "other"}, {"1": "2", "3": "4"}]
    for i in range(1, 60):
        r.xadd("s", shapes[i % len(shapes)], id=f"{i}-{i % 3}")


def _values_of_every_encoding(r):
    values = [0, 127, 128, -1, -4096, 4096, -32768, 40000, -8388608, 2**31, -(2**63), 2**63 - 1,
              "01", "-0", "1.5", "", "x" * 63, "x" * 64, "y" * 4095, "z" * 4096, " 1", "+1"]
    for i, v in enumerate(values, 1):
        r.xadd("s", {"v": v, str(v)[:10]: "k"}, id=f"{i}-0")


def _large_values(r):
    r.xadd("s", {"big": "a" * 100_000}, id="1-0")
    r.xadd("s", {"big": bytes(range(256)) * 40}, id="2-0")
    r.xadd("s", {"small": "b"}, id="3-0")


def _deleted_inside_nodes(r):
    _xadd_n(r, 250)
    r.xdel("s", "3-0", "50-0", "100-0", "101-0", "249-0", "250-0", "999-0")


def _multiple_nodes(r):
    r.config_set("stream-node-max-entries", 7)
    _xadd_n(r, 40)
    r.config_set("stream-node-max-entries", 0)
    r.config_set("stream-node-max-bytes", 120)
    _xadd_n(r, 20, start=41)


def _big_ids(r):
    r.xadd("s", {"a": 1}, id="1-18446744073709551615")
    r.xadd("s", {"a": 2}, id="18446744073709551614-5")
    r.xadd("s", {"a": 3}, id="18446744073709551615-18446744073709551614")


def _groups_no_consumers(r):
    _xadd_n(r, 10)
    r.xgroup_create("s", "g0", id="0")
    r.xgroup_create("s", "g-dollar", id="$")
    r.xgroup_create("s", "123", id="5-0", entries_read=4)
    r.xgroup_create("s", "", id="7-0")
    r.xdel("s", "8-0")
    r.xgroup_create("s", "after-del", id="3-0")


def _xsetid_options(r):
    _xadd_n(r, 10)
    r.xdel("s", "4-0")
    r.execute_command("XSETID", "s", "100-5", "ENTRIESADDED", "1000", "MAXDELETEDID", "50-0")


def _empty_after_xsetid(r):
    _xadd_n(r, 3)
    r.xtrim("s", maxlen=0)
    r.execute_command("XSETID", "s", "1-0")


def _empty_mkstream(r):
    r.xgroup_create("s", "g", id="$", mkstream=True)


SHAPES = {
    "single": lambda r: r.xadd("s", {"a": "1"}, id="1-1"),
    "empty-after-xdel-all": _deleted_all,
    "empty-after-xtrim": lambda r: (_xadd_n(r, 10), r.xtrim("s", maxlen=0)),
    "empty-xsetid-back": _empty_after_xsetid,
    "empty-mkstream": _empty_mkstream,
    "xtrim-exact": _xtrim_exact,
    "maxlen-approx": _maxlen_approx,
    "minid": _minid,
    "many-fields": _many_fields,
    "varying-fields": _varying_fields,
    "value-encodings": _values_of_every_encoding,
    "large-values": _large_values,
    "deleted-inside-nodes": _deleted_inside_nodes,
    "multiple-nodes": _multiple_nodes,
    "big-ids": _big_ids,
    "groups-no-consumers": _groups_no_consumers,
    "xsetid-options": _xsetid_options,
}


def _with_consumers(r):
    """Groups with pending entries and consumers, some without any."""
    _xadd_n(r, 20)
    r.xgroup_create("s", "g", id="0")
    r.xgroup_create("s", "h", id="0", entries_read=3)
    r.xreadgroup("g", "alice", {"s": ">"}, count=5)
    r.xreadgroup("g", "bob", {"s": ">"}, count=3)
    r.xreadgroup("g", "carol", {"s": ">"}, count=2, noack=True)
    r.xgroup_createconsumer("s", "g", "idle")
    r.xack("s", "g", "2-0")
    r.xclaim("s", "g", "bob", 0, ["1-0"])
    r.xclaim("s", "g", "dave", 0, ["3-0"], idle=5000, retrycount=7)
    r.xreadgroup("h", "x", {"s": ">"}, count=1)
    r.xdel("s", "4-0", "6-0")
    r.xgroup_create("s", "unknown-read", id="5-0")


@pytest.mark.parametrize("name", sorted(SHAPES) + ["with-consumers"])
def test_roundtrip_keeps_everything(r, node_config, name):
    (SHAPES.get(name) or _with_consumers)(r)
    p = r.dump("s")
    assert p[0] == 19 and p[-10:-8] == b"\x0a\x00"
    assert r.restore("s2", 0, p) in (b"OK", "OK")
    assert picture(r, "s2") == picture(r, "s")
    assert r.dump("s2") == p


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_dump_bytes_equal_redis(pair, name):
    emb, ora = pair["embedded"], pair["oracle"]
    try:
        for c in (emb, ora):
            SHAPES[name](c)
        assert emb.dump("s") == ora.dump("s")
    finally:
        for c in (emb, ora):
            c.config_set("stream-node-max-entries", 100)
            c.config_set("stream-node-max-bytes", 4096)


@pytest.mark.parametrize("name", sorted(SHAPES) + ["with-consumers"])
def test_payloads_cross_both_ways(pair, name):
    emb, ora = pair["embedded"], pair["oracle"]
    try:
        for c in (emb, ora):
            (SHAPES.get(name) or _with_consumers)(c)
        for src, dst in ((ora, emb), (emb, ora)):
            p = src.dump("s")
            dst.restore("copy", 0, p)
            assert picture(dst, "copy") == picture(src, "s")
            # Re-dumping the restored copy gives the same bytes back.
            assert dst.dump("copy") == p
    finally:
        for c in (emb, ora):
            c.config_set("stream-node-max-entries", 100)
            c.config_set("stream-node-max-bytes", 4096)


CONTINUE = [
    ("XADD", "t", "18446744073709551000-*", "f", 1, "name", "same fields"),
    *[("XADD", "t", "MAXLEN", "~", 40, "18446744073709551001-*", "f", i) for i in range(30)],
    ("XDEL", "t", "18446744073709551001-3"),
    ("XTRIM", "t", "MINID", "~", "18446744073709551001-10"),
    ("XADD", "t", "18446744073709551002-0", "other", "fields"),
    ("XTRIM", "t", "MAXLEN", 5),
]


def _continue(r):
    """Writes whose effect depends on the restored node layout and counters."""
    out = []
    for cmd in CONTINUE:
        try:
            out.append(r.execute_command(*cmd))
        except r.exc.ResponseError as e:
            out.append(str(e))
    return out


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_writes_after_restore_match_redis(pair, name):
    emb, ora = pair["embedded"], pair["oracle"]
    try:
        for c in (emb, ora):
            SHAPES[name](c)  # the same history, so the node settings match
        p = ora.dump("s")
        replies = []
        for c in (emb, ora):
            c.restore("t", 0, p)
            replies.append(_continue(c))
        assert replies[0] == replies[1]
        assert picture(emb, "t") == picture(ora, "t")
        assert emb.dump("t") == ora.dump("t")
    finally:
        for c in (emb, ora):
            c.config_set("stream-node-max-entries", 100)
            c.config_set("stream-node-max-bytes", 4096)


def test_xadd_after_restore_continues_ids(r):
    r.xadd("s", {"a": 1}, id="5-3")
    r.execute_command("XSETID", "s", "7-9")
    r.restore("t", 0, r.dump("s"))
    assert r.xadd("t", {"a": 2}, id="7-*") == b"7-10"
    assert error_of(r, "XADD", "t", "7-9", "a", "1").startswith("The ID specified in XADD is equal or smaller")
    assert r.xinfo_stream("t")["entries-added"] == 2


def test_groups_work_after_restore(r):
    _with_consumers(r)
    r.restore("t", 0, r.dump("s"))
    before = r.xpending("t", "g")
    assert before["pending"] > 0
    assert r.xack("t", "g", "1-0", "3-0") == 2
    got = r.xreadgroup("g", "bob", {"t": "0"})
    # 6-0 was deleted while pending: it comes back without fields.
    assert got[0][1] == [(b"6-0", {}), (b"7-0", {b"f": b"7", b"name": b"v7"}), (b"8-0", {b"f": b"8", b"name": b"v8"})]
    got = r.xreadgroup("g", "alice", {"t": ">"}, count=2)
    assert [i for i, _ in got[0][1]] == [b"11-0", b"12-0"]
    info = {g["name"]: g for g in r.xinfo_groups("t")}
    assert (info[b"g"]["entries-read"], info[b"g"]["lag"]) == (12, 8)
    assert (info[b"h"]["entries-read"], info[b"h"]["lag"]) == (4, None)
    assert info[b"unknown-read"]["entries-read"] is None
    assert r.xgroup_delconsumer("t", "g", "alice") == 4
    # The original is untouched.
    assert r.xpending("s", "g") == before


# -- the Redis 5/6 stream object (type 15) ------------------------------------------


def _old(nodes, length, last, groups=()):
    return payload(stream_object(nodes, length, last, groups=groups, v2=False))


OLD = {
    "entries": _old(
        [((1, 0), node_items((1, 0), [b"f"], [(1, 0, {b"f": b"a"}, False), (2, 0, {b"f": b"b"}, True),
                                              (3, 5, {b"g": b"c", b"h": 7}, False)]))],
        2,
        (3, 5),
    ),
    "empty": _old([], 0, (9, 9)),
    "groups": _old(
        [((1, 0), node_items((1, 0), [b"f"], [(i, 0, {b"f": b"%d" % i}, False) for i in range(1, 6)]))],
        5,
        (5, 0),
        groups=[
            (b"at-first", (1, 0), 0, [], []),
            (b"before", (0, 0), 0, [], []),
            (b"middle", (3, 0), 0, [((1, 0), 1700000000000, 2)], [(b"c", 1700000000001, [(1, 0)])]),
            (b"last", (5, 0), 0, [], [(b"idle", 5, [])]),
        ],
    ),
}


@pytest.mark.parametrize("name", sorted(OLD))
def test_restore_redis6_streams(pair, name):
    emb, ora = pair["embedded"], pair["oracle"]
    for c in (emb, ora):
        c.restore("s", 0, OLD[name])
    assert picture(emb, "s") == picture(ora, "s")
    # Saved again in the 7.0 format, identically.
    assert emb.dump("s") == ora.dump("s")
    assert emb.dump("s")[0] == 19


def test_redis6_stream_counters(r):
    r.restore("s", 0, OLD["groups"])
    info = r.xinfo_stream("s", full=True)
    assert info["entries-added"] == 5 and info["max-deleted-entry-id"] == b"0-0"
    groups = {g["name"]: g["entries-read"] for g in info["groups"]}
    assert groups == {b"at-first": 1, b"before": 0, b"middle": None, b"last": 5}
    r.restore("e", 0, OLD["empty"])
    assert r.xinfo_stream("e")["recorded-first-entry-id"] == b"18446744073709551615-18446744073709551615"


# -- malformed payloads --------------------------------------------------------------

_GOOD_NODE = ((1, 0), node_items((1, 0), [b"f"], [(1, 0, {b"f": b"v"}, False), (2, 0, {b"f": b"w"}, False)]))


def _bad_lp_count():
    items = node_items((1, 0), [b"f"], [(1, 0, {b"f": b"v"}, False)])
    items[-1] = 9
    return stream_object([((1, 0), items)], 1, (1, 0))


def _bad_terminator():
    items = node_items((1, 0), [b"f"], [(1, 0, {b"f": b"v"}, False)])
    items[4] = 1
    return stream_object([((1, 0), items)], 1, (1, 0))


def _missing_entry():
    items = node_items((1, 0), [b"f"], [(1, 0, {b"f": b"v"}, False)])
    items[0] = 2
    return stream_object([((1, 0), items)], 2, (1, 0))


def _trailing_element():
    items = node_items((1, 0), [b"f"], [(1, 0, {b"f": b"v"}, False)]) + [b"extra"]
    return stream_object([((1, 0), items)], 1, (1, 0))


def _not_an_int_flag():
    items = node_items((1, 0), [b"f"], [(1, 0, {b"f": b"v"}, False)])
    items[5] = b"flags"
    return stream_object([((1, 0), items)], 1, (1, 0))


def _short_key():
    return b"\x13\x01" + rdb_str(b"\x00" * 15) + rdb_str(listpack(_GOOD_NODE[1])) + b"\x02\x02\x00\x01\x00\x00\x00\x02\x00"


def _broken_listpack():
    lp = bytearray(listpack(_GOOD_NODE[1]))
    lp[0] += 1
    return b"\x13\x01" + rdb_str(id_key(1, 0)) + rdb_str(bytes(lp)) + b"\x02\x02\x00\x01\x00\x00\x00\x02\x00"


BAD = {
    "key-not-16-bytes": _short_key(),
    "listpack-size-wrong": _broken_listpack(),
    "empty-listpack": b"\x13\x01" + rdb_str(id_key(1, 0)) + rdb_str(listpack([])) + b"\x00" * 9,
    "bad-lp-count": _bad_lp_count(),
    "bad-master-terminator": _bad_terminator(),
    "missing-entry": _missing_entry(),
    "trailing-element": _trailing_element(),
    "flags-not-integer": _not_an_int_flag(),
    "duplicate-node": stream_object([_GOOD_NODE, _GOOD_NODE], 4, (2, 0)),
    "length-without-nodes": stream_object([], 3, (2, 0)),
    "duplicate-group": stream_object(
        [_GOOD_NODE], 2, (2, 0), groups=[(b"g", (0, 0), 0, [], []), (b"g", (0, 0), 0, [], [])]
    ),
    "duplicate-pel-entry": stream_object(
        [_GOOD_NODE], 2, (2, 0), groups=[(b"g", (2, 0), 2, [((1, 0), 5, 1), ((1, 0), 5, 1)], [(b"c", 5, [(1, 0)])])]
    ),
    "consumer-pel-not-in-group": stream_object(
        [_GOOD_NODE], 2, (2, 0), groups=[(b"g", (2, 0), 2, [], [(b"c", 5, [(1, 0)])])]
    ),
    "duplicate-consumer": stream_object(
        [_GOOD_NODE], 2, (2, 0), groups=[(b"g", (2, 0), 2, [], [(b"c", 5, []), (b"c", 5, [])])]
    ),
    "truncated-groups": stream_object([_GOOD_NODE], 2, (2, 0), groups=[(b"g", (2, 0), 2, [], [])])[:-3],
}


@pytest.fixture
def sanitizing(make):
    """A client with deep payload sanitization on (redis-server's default is
    off, where it may accept or even crash on such input)."""
    r = make()
    old = None
    if r.backend != "embedded":
        old = r.config_get("sanitize-dump-payload")["sanitize-dump-payload"]
        r.config_set("sanitize-dump-payload", "yes")
    yield r
    if old is not None:
        r.config_set("sanitize-dump-payload", old)


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_stream_payloads(sanitizing, name):
    r = sanitizing
    r.set("keep", "me")
    assert error_of(r, "RESTORE", "s", 0, payload(BAD[name])) == "Bad data format"
    assert r.exists("s") == 0 and r.dbsize() == 1


def test_valid_crafted_payloads_load(sanitizing):
    # The helpers above build what Redis accepts, so the bad cases fail for
    # the reason they name.
    r = sanitizing
    r.restore("s", 0, payload(stream_object([_GOOD_NODE], 2, (2, 0), first=(1, 0), added=2)))
    assert r.xrange("s") == [(b"1-0", {b"f": b"v"}), (b"2-0", {b"f": b"w"})]
    # Integers stored as strings read as integers (counts, flags, deltas).
    items = [b"1", b"0", b"1", b"f", b"0", b"2", b"0", b"0", b"12", b"4"]
    r.restore("t", 0, payload(stream_object([((5, 5), items)], 1, (5, 5), raw=True)))
    assert r.xrange("t") == [(b"5-5", {b"f": b"12"})]
    r.xadd("t", {"f": 13}, id="6-0")
    r.xdel("t", "5-5")
    assert r.xinfo_stream("t")["radix-tree-keys"] == 1
    assert r.xrange("t") == [(b"6-0", {b"f": b"13"})]


# Payloads only redcore is checked on: ones Redis's own sanitization lets
# through although no Redis could have written them (redcore refuses them
# so the stream it builds stays consistent), and two that redis-server
# 7.0.15 rejects but then frees a pending entry twice while cleaning up
# (one of them crashes it).
INCONSISTENT = {
    "pel-entry-without-consumer": stream_object(
        [_GOOD_NODE], 2, (2, 0), groups=[(b"g", (2, 0), 2, [((1, 0), 5, 1)], [(b"c", 5, [])])]
    ),
    "duplicate-consumer-pel": stream_object(
        [_GOOD_NODE], 2, (2, 0), groups=[(b"g", (2, 0), 2, [((1, 0), 5, 1)], [(b"c", 5, [(1, 0), (1, 0)])])]
    ),
    "length-mismatch": stream_object([_GOOD_NODE], 5, (2, 0)),
    "counters-disagree": stream_object(
        [((1, 0), [1, 0, 1, b"f", 0, 2, 0, 0, b"v", 4, 2, 1, 0, b"w", 4])], 1, (2, 0)
    ),
    "ids-out-of-order": stream_object(
        [((1, 0), node_items((1, 0), [b"f"], [(2, 0, {b"f": b"v"}, False), (1, 5, {b"f": b"w"}, False)]))],
        2,
        (2, 0),
    ),
    "entry-before-master": stream_object(
        [((5, 0), node_items((5, 0), [b"f"], [(4, 0, {b"f": b"v"}, False)]))], 1, (5, 0)
    ),
    "entry-after-last-id": stream_object([_GOOD_NODE], 2, (1, 0)),
    "pel-entry-owned-twice": stream_object(
        [_GOOD_NODE], 2, (2, 0), groups=[(b"g", (2, 0), 2, [((1, 0), 5, 1)], [(b"a", 5, [(1, 0)]), (b"b", 5, [(1, 0)])])]
    ),
    "unknown-flag": stream_object(
        [((1, 0), [1, 0, 1, b"f", 0, 6, 0, 0, b"v", 4])], 1, (1, 0)
    ),
}


@pytest.mark.parametrize("name", sorted(INCONSISTENT))
def test_inconsistent_payloads_are_refused(pair, name):
    r = pair["embedded"]
    assert error_of(r, "RESTORE", "s", 0, payload(INCONSISTENT[name])) == "Bad data format"
    assert r.exists("s") == 0


# -- fuzzing ----------------------------------------------------------------------------


FUZZ_BASES = ["single", "varying-fields", "deleted-inside-nodes", "groups-no-consumers", "value-encodings"]


def test_fuzzed_stream_payloads_fail_cleanly(sanitizing):
    r = sanitizing
    bases = []
    for name in FUZZ_BASES:
        SHAPES[name](r)
        bases.append(r.dump("s"))
        r.delete("s")
    _with_consumers(r)
    bases.append(r.dump("s"))
    r.delete("s")
    bases.append(OLD["groups"])
    r.set("keep", "me")
    rng = random.Random(7)
    count = 0
    for base in bases:
        for p in mutations(rng, base, 300, cuts=(0.25, 0.75, 0.85)):
            count += 1
            try:
                r.restore("fz", 0, p)
            except r.exc.ResponseError as e:
                assert str(e) == "Bad data format", str(e)
                assert r.exists("fz") == 0
            else:
                r.delete("fz")
    assert count == 300 * len(bases)
    assert r.dbsize() == 1 and r.get("keep") == b"me"


def test_truncations_fail_cleanly(sanitizing):
    r = sanitizing
    _with_consumers(r)
    body = r.dump("s")[:-10]
    accepted = 0
    for cut in range(len(body)):
        # The footer is re-added, so a cut body may read on into it (as
        # Redis does); that rarely makes a valid stream.
        try:
            r.restore("t", 0, payload(body[:cut]))
        except r.exc.ResponseError as e:
            assert str(e) == "Bad data format"
            assert r.exists("t") == 0
        else:
            accepted += 1
            r.delete("t")
    assert accepted <= 2
