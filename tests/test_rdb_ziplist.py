"""A ziplist-era RDB file (version 9, as Redis 5 and 6 wrote them) opens in
redcore: hashes and sorted sets as ziplists (RDB types 13 and 12), a list as
a quicklist of ziplist nodes (type 14), sets as intsets (type 11), strings
plain and integer-encoded, TTLs in milliseconds and in seconds, an expired
key, two databases, and the trailing CRC-64.

The file is built here byte by byte from the RDB and ziplist formats (each
byte group is documented where it is made), so the test does not depend on
an old redis-server. The same file is also opened by redis-server 7.0 (which
still reads version 9 and converts the ziplists as it loads): both must see
the same keys, types, values, TTLs and encodings.
"""

from __future__ import annotations

import struct
import time
from pathlib import Path
from typing import Any, Dict, List, Tuple, Union

import pytest

from conftest import RedisServer
from test_persistence_rdb import _engine, _release

Item = Union[bytes, int]

# --- CRC-64 (Jones polynomial, reflected, init 0): Redis's RDB checksum ----


def _crc64_table() -> List[int]:
    poly = 0x95AC9329AC4BC9B5  # 0xad93d23594c935a9 with its bits reversed
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc64_table()


def crc64(data: bytes) -> int:
    crc = 0
    for b in data:
        crc = _CRC_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc


def test_crc64_matches_redis_test_vector() -> None:
    # Redis's crc64.c self-test: crc64(0, "123456789") == 0xe9c6d914c4b8d9ca.
    assert crc64(b"123456789") == 0xE9C6D914C4B8D9CA


# --- RDB primitives -------------------------------------------------------


def rdb_len(n: int) -> bytes:
    """An RDB length: 00xxxxxx (6 bits), 01xxxxxx xxxxxxxx (14 bits, big
    endian), or 0x80 then a 32-bit big-endian length."""
    if n < 1 << 6:
        return bytes([n])
    if n < 1 << 14:
        return bytes([0x40 | (n >> 8), n & 0xFF])
    return b"\x80" + struct.pack(">I", n)


def rdb_str(s: bytes) -> bytes:
    """A plain RDB string: its length, then the bytes."""
    return rdb_len(len(s)) + s


def rdb_int8_str(v: int) -> bytes:
    """An integer-encoded RDB string: 0xC0 (11 000000: encoded, int8) then
    the byte."""
    return b"\xc0" + struct.pack("<b", v)


def rdb_int32_str(v: int) -> bytes:
    """0xC2 (11 000010: encoded, int32) then 4 little-endian bytes."""
    return b"\xc2" + struct.pack("<i", v)


# --- ziplists ---------------------------------------------------------------


def zl_entry(prevlen: int, item: Item) -> bytes:
    """One ziplist entry: <prevlen> <encoding> <data>.

    prevlen: 1 byte when the previous entry is shorter than 254 bytes, else
    0xFE and 4 little-endian bytes. Encoding: strings 00pppppp (length up to
    63) or 01pppppp qqqqqqqq (14-bit big-endian length); integers 1111xxxx
    (0..12 held in the encoding byte itself, as xxxx - 1), 0xFE int8, 0xC0
    int16, 0xF0 int24, 0xD0 int32, 0xE0 int64, all little endian."""
    prev = bytes([prevlen]) if prevlen < 254 else b"\xfe" + struct.pack("<I", prevlen)
    if isinstance(item, bytes):
        n = len(item)
        if n <= 63:
            return prev + bytes([n]) + item
        assert n < 1 << 14
        return prev + bytes([0x40 | (n >> 8), n & 0xFF]) + item
    if 0 <= item <= 12:
        return prev + bytes([0xF1 + item])
    if -(2**7) <= item < 2**7:
        return prev + b"\xfe" + struct.pack("<b", item)
    if -(2**15) <= item < 2**15:
        return prev + b"\xc0" + struct.pack("<h", item)
    if -(2**23) <= item < 2**23:
        return prev + b"\xf0" + struct.pack("<i", item)[:3]
    if -(2**31) <= item < 2**31:
        return prev + b"\xd0" + struct.pack("<i", item)
    return prev + b"\xe0" + struct.pack("<q", item)


def ziplist(items: List[Item]) -> bytes:
    """A whole ziplist: zlbytes (u32 LE, the total size), zltail (u32 LE,
    offset of the last entry), zllen (u16 LE, the entry count), the
    entries, and the 0xFF end marker."""
    body = b""
    prevlen = 0
    tail = 10
    for item in items:
        tail = 10 + len(body)
        e = zl_entry(prevlen, item)
        body += e
        prevlen = len(e)
    total = 10 + len(body) + 1
    return struct.pack("<IIH", total, tail, len(items)) + body + b"\xff"


def intset(encoding: int, values: List[int]) -> bytes:
    """An intset: encoding (u32 LE: 2, 4 or 8 bytes per member), length
    (u32 LE), then the members sorted ascending, little endian."""
    fmt = {2: "<h", 4: "<i", 8: "<q"}[encoding]
    return struct.pack("<II", encoding, len(values)) + b"".join(struct.pack(fmt, v) for v in sorted(values))


# --- the file ---------------------------------------------------------------

OP_AUX, OP_RESIZEDB, OP_EXPIRETIME_MS, OP_EXPIRETIME, OP_SELECTDB, OP_EOF = 0xFA, 0xFB, 0xFC, 0xFD, 0xFE, 0xFF
T_STRING, T_SET_INTSET, T_ZSET_ZIPLIST, T_HASH_ZIPLIST, T_LIST_QUICKLIST = 0, 11, 12, 13, 14

LONG = b"L" * 300  # a ziplist entry over 254 bytes: the next prevlen takes 5 bytes


def build_file(now_ms: int) -> bytes:
    def record(t: int, key: bytes, value: bytes) -> bytes:
        # <type byte> <key as an RDB string> <value>
        return bytes([t]) + rdb_str(key) + value

    out = b"REDIS0009"  # magic and 4-digit version
    # Aux fields: 0xFA <name> <value>; redis-bits and ctime integer-encoded.
    out += bytes([OP_AUX]) + rdb_str(b"redis-ver") + rdb_str(b"5.0.14")
    out += bytes([OP_AUX]) + rdb_str(b"redis-bits") + rdb_int8_str(64)
    out += bytes([OP_AUX]) + rdb_str(b"ctime") + rdb_int32_str(now_ms // 1000)
    # Database 0: 0xFE <db>, then 0xFB <hash table size> <expires size>.
    out += bytes([OP_SELECTDB]) + rdb_len(0)
    out += bytes([OP_RESIZEDB]) + rdb_len(12) + rdb_len(3)
    out += record(T_STRING, b"str", rdb_str(b"hello"))
    out += record(T_STRING, b"counter", rdb_int8_str(42))
    # Hash as a ziplist: field, value, field, value...
    hz = ziplist([b"name", b"redcore", b"visits", 7, b"big", 1000, b"neg", -70000])
    out += record(T_HASH_ZIPLIST, b"hz", rdb_str(hz))
    # A hash whose long value makes the next entry's prevlen 5 bytes; over
    # hash-max-listpack-value, so loaders convert it to a hash table.
    hbig = ziplist([b"long", LONG, b"after", b"x"])
    out += record(T_HASH_ZIPLIST, b"hbig", rdb_str(hbig))
    # Sorted set as a ziplist: member, score (integers or text), sorted by score.
    zz = ziplist([b"c", -3, b"a", 1, b"b", b"2.5", b"d", 1 << 40])
    out += record(T_ZSET_ZIPLIST, b"zz", rdb_str(zz))
    # List as a quicklist: node count, then each node a ziplist string.
    node1 = ziplist([b"x", b"y", 5, 100_000])
    node2 = ziplist([1 << 30, 1 << 40, b"z", LONG, b"end"])
    out += record(T_LIST_QUICKLIST, b"lq", rdb_len(2) + rdb_str(node1) + rdb_str(node2))
    # Sets as intsets, 16-bit and 64-bit members.
    out += record(T_SET_INTSET, b"is16", rdb_str(intset(2, [300, -5, 3])))
    out += record(T_SET_INTSET, b"is64", rdb_str(intset(8, [1, 1 << 40, -(1 << 35)])))
    # TTLs: 0xFC + 8-byte LE unix ms, 0xFD + 4-byte LE unix seconds.
    out += bytes([OP_EXPIRETIME_MS]) + struct.pack("<q", now_ms + 1_000_000)
    out += record(T_STRING, b"ttl_ms", rdb_str(b"soon"))
    out += bytes([OP_EXPIRETIME]) + struct.pack("<i", now_ms // 1000 + 2_000)
    out += record(T_HASH_ZIPLIST, b"ttl_s", rdb_str(ziplist([b"f", b"v"])))
    # Already expired: loaders drop it.
    out += bytes([OP_EXPIRETIME_MS]) + struct.pack("<q", now_ms - 60_000)
    out += record(T_STRING, b"gone", rdb_str(b"old"))
    # Database 2.
    out += bytes([OP_SELECTDB]) + rdb_len(2)
    out += bytes([OP_RESIZEDB]) + rdb_len(1) + rdb_len(0)
    out += record(T_LIST_QUICKLIST, b"db2list", rdb_len(1) + rdb_str(ziplist([b"only"])))
    # End: 0xFF, then the CRC-64 of everything before it, little endian.
    out += bytes([OP_EOF])
    return out + struct.pack("<Q", crc64(out))


EXPECTED: Dict[int, Dict[bytes, Tuple[bytes, Any]]] = {
    0: {
        b"str": (b"string", b"hello"),
        b"counter": (b"string", b"42"),
        b"hz": (b"hash", {b"name": b"redcore", b"visits": b"7", b"big": b"1000", b"neg": b"-70000"}),
        b"hbig": (b"hash", {b"long": LONG, b"after": b"x"}),
        b"zz": (b"zset", [(b"c", -3.0), (b"a", 1.0), (b"b", 2.5), (b"d", float(1 << 40))]),
        b"lq": (b"list", [b"x", b"y", b"5", b"100000", str(1 << 30).encode(), str(1 << 40).encode(), b"z", LONG, b"end"]),
        b"is16": (b"set", {b"-5", b"3", b"300"}),
        b"is64": (b"set", {b"1", str(1 << 40).encode(), str(-(1 << 35)).encode()}),
        b"ttl_ms": (b"string", b"soon"),
        b"ttl_s": (b"hash", {b"f": b"v"}),
    },
    2: {b"db2list": (b"list", [b"only"])},
}


def _read(r: Any) -> Dict[int, Dict[bytes, Any]]:
    """Per database: key -> (type, value, encoding, TTL in ms or -1)."""
    out: Dict[int, Dict[bytes, Any]] = {}
    for db in (0, 2):
        r.select(db)
        keys: Dict[bytes, Any] = {}
        for key in r.keys("*"):
            t = r.type(key)
            if t == b"string":
                v: Any = r.get(key)
            elif t == b"hash":
                v = r.hgetall(key)
            elif t == b"zset":
                v = r.zrange(key, 0, -1, withscores=True)
            elif t == b"list":
                v = r.lrange(key, 0, -1)
            else:
                v = r.smembers(key)
            keys[key] = (t, v, r.object("encoding", key), r.pttl(key))
        out[db] = keys
    r.select(0)
    return out


def _check(got: Dict[int, Dict[bytes, Any]], now_ms: int) -> None:
    for db, keys in EXPECTED.items():
        assert set(got[db]) == set(keys), db
        for key, (t, v) in keys.items():
            assert got[db][key][:2] == (t, v), key
    ttl = {k: got[0][k][3] for k in got[0]}
    elapsed = int(time.time() * 1000) - now_ms
    assert 1_000_000 - elapsed - 2_000 <= ttl[b"ttl_ms"] <= 1_000_000
    assert 2_000_000 - elapsed - 3_000 <= ttl[b"ttl_s"] <= 2_000_000
    assert all(ttl[k] == -1 for k in ttl if k not in (b"ttl_ms", b"ttl_s"))
    assert got[2][b"db2list"][3] == -1


def test_ziplist_era_file_loads_with_contents_ttls_and_types(tmp_path: Path) -> None:
    d = tmp_path / "data"
    d.mkdir()
    now_ms = int(time.time() * 1000)
    (d / "dump.rdb").write_bytes(build_file(now_ms))
    r = _engine(d)
    try:
        mine = _read(r)
        info = r.info("persistence")
        assert info["rdb_last_load_keys_loaded"] == 11
        assert info["rdb_last_load_keys_expired"] == 1
    finally:
        r = _release(r)
    _check(mine, now_ms)
    # The oracle: redis-server 7.0 opens the same file.
    server = RedisServer(extra=("--dir", str(d)))
    try:
        theirs = _read(server.client())
    finally:
        server.stop()
    _check(theirs, now_ms)
    for db in (0, 2):
        for key in EXPECTED[db]:
            assert mine[db][key][2] == theirs[db][key][2], (key, mine[db][key][2], theirs[db][key][2])


@pytest.mark.parametrize("at", [9, 40, 200, -9, -1])
def test_ziplist_era_file_with_a_flipped_byte_is_refused(tmp_path: Path, at: int) -> None:
    """A changed byte (in the header, a ziplist, or the checksum itself)
    fails the load with an error; nothing is half-loaded."""
    d = tmp_path / "data"
    d.mkdir()
    data = bytearray(build_file(int(time.time() * 1000)))
    data[at] ^= 0x5A
    (d / "dump.rdb").write_bytes(bytes(data))
    with pytest.raises(Exception) as e:
        _engine(d)
    assert "dump.rdb" in str(e.value)
