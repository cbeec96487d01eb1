"""Bitmap commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and
BITFIELD_RO. Every test runs on the embedded engine and on the real
redis-server.
"""

from __future__ import annotations

import random

import pytest

BAD_OFFSET = "bit offset is not an integer or out of range"
BAD_TYPE = "Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
NOT_INT = "value is not an integer or out of range"
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


def err(r, *args):
    """The error text a command fails with."""
    with pytest.raises(r.exc.ResponseError) as e:
        r.execute_command(*args)
    return str(e.value)


def encoding(r, key):
    enc = r.execute_command("OBJECT", "ENCODING", key)
    return enc.decode() if isinstance(enc, bytes) else enc


# ------------------------------------------------------------ SETBIT/GETBIT


def test_setbit_grows_with_zero_bytes_and_returns_old_bit(r):
    assert r.setbit("b", 7, 1) == 0
    assert r.get("b") == b"\x01"
    assert r.setbit("b", 7, 0) == 1
    assert r.setbit("b", 20, 1) == 0
    assert r.get("b") == b"\x00\x00\x08"
    assert r.setbit("b", 20, True) == 1
    assert r.getbit("b", 20) == 1
    assert r.getbit("b", 21) == 0
    assert r.getbit("b", 10**6) == 0
    assert r.getbit("missing", 0) == 0
    assert r.exists("missing") == 0


def test_setbit_value_and_offset_errors(r):
    assert err(r, "SETBIT", "b", "-1", "1") == BAD_OFFSET
    assert err(r, "SETBIT", "b", "x", "1") == BAD_OFFSET
    assert err(r, "SETBIT", "b", "#1", "1") == BAD_OFFSET
    assert err(r, "SETBIT", "b", "4294967296", "1") == BAD_OFFSET
    # The offset is checked before the value.
    assert err(r, "SETBIT", "b", "4294967296", "x") == BAD_OFFSET
    assert err(r, "SETBIT", "b", "0", "2") == "bit is not an integer or out of range"
    assert err(r, "SETBIT", "b", "0", "-1") == "bit is not an integer or out of range"
    assert err(r, "SETBIT", "b", "0", "x") == "bit is not an integer or out of range"
    assert err(r, "GETBIT", "b", "-1") == BAD_OFFSET
    assert err(r, "GETBIT", "b", "4294967296") == BAD_OFFSET
    assert r.exists("b") == 0


def test_bit_commands_on_wrong_type(r):
    r.rpush("l", "a")
    for args in (
        ("SETBIT", "l", 0, 1),
        ("GETBIT", "l", 0),
        ("BITCOUNT", "l"),
        ("BITPOS", "l", 1),
        ("BITOP", "AND", "d", "l"),
        ("BITFIELD", "l", "GET", "u8", 0),
        ("BITFIELD_RO", "l", "GET", "u8", 0),
        ("BITFIELD", "l", "SET", "u8", 0, 1),
    ):
        assert err(r, *args) == WRONGTYPE, args
    # Argument errors are found before the type.
    assert err(r, "SETBIT", "l", "-1", "1") == BAD_OFFSET
    assert err(r, "BITFIELD", "l", "GET", "u64", 0) == BAD_TYPE


def test_bit_writes_make_strings_raw(r):
    r.set("n", 123)
    assert encoding(r, "n") == "int"
    assert r.setbit("n", 0, 0) == 0
    assert encoding(r, "n") == "raw"
    assert r.get("n") == b"123"
    r.set("e", "abc")
    assert r.bitfield("e").get("u8", 0).execute() == [97]
    assert encoding(r, "e") == "embstr"
    r.setbit("new", 0, 1)
    assert encoding(r, "new") == "raw"


def test_setbit_keeps_ttl(r):
    r.set("b", "a", ex=100)
    r.setbit("b", 0, 1)
    assert 99 <= r.ttl("b") <= 100


def test_getbit_reads_integer_strings_as_text(r):
    r.set("n", 1)  # "1" = 0x31
    assert [r.getbit("n", i) for i in range(8)] == [0, 0, 1, 1, 0, 0, 0, 1]


# -------------------------------------------------------------- BITCOUNT


def test_bitcount_ranges(r):
    r.set("s", "foobar")
    assert r.bitcount("s") == 26
    assert r.bitcount("s", 0, 0) == 4
    assert r.bitcount("s", 1, 1) == 6
    assert r.bitcount("s", -2, -1) == 7
    assert r.bitcount("s", 0, -100) == 4
    assert r.bitcount("s", -100, 100) == 26
    assert r.bitcount("s", 4, 2) == 0
    assert r.bitcount("s", 10, 20) == 0
    assert r.bitcount("s", 5, 30, "BIT") == 17
    assert r.bitcount("s", 5, 30, "bit") == 17
    assert r.bitcount("s", 1, 1, "BYTE") == 6
    assert r.bitcount("s", -7, -2, "BIT") == 4
    assert r.bitcount("s", 0, 1000, "BIT") == 26
    assert r.bitcount("missing") == 0


def test_bitcount_syntax_rules(r):
    r.set("s", "foobar")
    # A lone start is a syntax error, but only once the key exists.
    assert err(r, "BITCOUNT", "s", "0") == "syntax error"
    assert r.execute_command("BITCOUNT", "missing", "0") == 0
    assert err(r, "BITCOUNT", "s", "0", "1", "BIT", "x") == "syntax error"
    assert err(r, "BITCOUNT", "s", "0", "1", "WORD") == "syntax error"
    assert err(r, "BITCOUNT", "s", "x", "1") == NOT_INT
    assert err(r, "BITCOUNT", "s", "0", "1.5") == NOT_INT
    # Two negative indexes in the wrong order answer 0 before the unit is read.
    assert r.execute_command("BITCOUNT", "s", "-1", "-2", "WORD") == 0
    r.set("empty", "")
    assert r.bitcount("empty") == 0
    assert r.bitcount("empty", 0, -1) == 0


def test_bitcount_large_string(r):
    data = bytes(random.Random(3).randrange(256) for _ in range(10_000))
    r.set("big", data)
    expected = sum(bin(b).count("1") for b in data)
    assert r.bitcount("big") == expected
    assert r.bitcount("big", 17, 9001) == sum(bin(b).count("1") for b in data[17:9002])
    bits = "".join(f"{b:08b}" for b in data)
    assert r.bitcount("big", 13, 70001, "BIT") == bits[13:70002].count("1")


# ---------------------------------------------------------------- BITPOS


def test_bitpos_basics(r):
    r.set("k", b"\xff\xf0\x00")
    assert r.bitpos("k", 0) == 12
    assert r.bitpos("k", 1) == 0
    assert r.bitpos("k", 1, 2) == -1
    assert r.bitpos("k", 0, 1) == 12
    assert r.bitpos("k", 1, 1, -1) == 8
    assert r.bitpos("k", 1, 7, 15, "BIT") == 7
    assert r.bitpos("k", 0, 7, 15, "BIT") == 12
    assert r.bitpos("k", 1, 12, 23, "bit") == -1
    assert r.bitpos("k", 0, -3, -1, "BYTE") == 12


def test_bitpos_clear_bit_past_the_end(r):
    r.set("ones", b"\xff\xff\xff")
    # With no end given the string counts as zero-padded on the right...
    assert r.bitpos("ones", 0) == 24
    assert r.bitpos("ones", 0, 1) == 24
    assert r.bitpos("ones", 0, -1) == 24
    # ...but not with an explicit end.
    assert r.bitpos("ones", 0, 0, -1) == -1
    assert r.bitpos("ones", 0, 0, 23, "BIT") == -1
    assert r.bitpos("ones", 1, 100) == -1
    assert r.bitpos("ones", 0, 100) == -1


def test_bitpos_missing_and_empty(r):
    assert r.bitpos("missing", 0) == 0
    assert r.bitpos("missing", 1) == -1
    # A missing key answers before the range is parsed.
    assert r.execute_command("BITPOS", "missing", "0", "x", "y", "z", "w") == 0
    r.set("empty", "")
    assert r.bitpos("empty", 0) == -1
    assert r.bitpos("empty", 1) == -1
    assert r.bitpos("empty", 0, 0) == -1


def test_bitpos_errors(r):
    r.set("k", "a")
    assert err(r, "BITPOS", "k", "2") == "The bit argument must be 1 or 0."
    assert err(r, "BITPOS", "missing", "2") == "The bit argument must be 1 or 0."
    assert err(r, "BITPOS", "k", "x") == NOT_INT
    assert err(r, "BITPOS", "k", "1", "x") == NOT_INT
    assert err(r, "BITPOS", "k", "1", "0", "x") == NOT_INT
    assert err(r, "BITPOS", "k", "1", "0", "1", "WORD") == "syntax error"
    # The unit is checked before the end.
    assert err(r, "BITPOS", "k", "1", "0", "x", "WORD") == "syntax error"
    assert err(r, "BITPOS", "k", "1", "0", "1", "BIT", "x") == "syntax error"
    with pytest.raises(r.exc.DataError):
        r.bitpos("k", 2)
    with pytest.raises(r.exc.DataError):
        r.bitpos("k", 1, end=3)


def test_bitpos_matches_a_model(r):
    rng = random.Random(11)
    data = bytes(rng.choice([0, 255, rng.randrange(256)]) for _ in range(64))
    r.set("k", data)
    bits = "".join(f"{b:08b}" for b in data)
    for _ in range(100):
        s, e = rng.randrange(-600, 600), rng.randrange(-600, 600)
        bit = rng.randint(0, 1)
        lo = max(0, s + 512 if s < 0 else s)
        hi = min(511, max(0, e + 512 if e < 0 else e))
        seg = bits[lo : hi + 1] if lo <= hi else ""
        want = (lo + seg.index(str(bit))) if str(bit) in seg else -1
        assert r.bitpos("k", bit, s, e, "BIT") == want, (bit, s, e)


# ----------------------------------------------------------------- BITOP


def test_bitop_operations(r):
    r.set("a", b"\xf0\x0f\xaa")
    r.set("b", b"\xff\x00")
    assert r.bitop("AND", "d", "a", "b") == 3
    assert r.get("d") == b"\xf0\x00\x00"
    assert r.bitop("or", "d", "a", "b") == 3
    assert r.get("d") == b"\xff\x0f\xaa"
    assert r.bitop("XOR", "d", "a", "b", "a") == 3
    assert r.get("d") == b"\xff\x00\x00"
    assert r.bitop("NOT", "d", "a") == 3
    assert r.get("d") == b"\x0f\xf0\x55"
    # Missing keys are empty strings; the result is as long as the longest.
    assert r.bitop("OR", "d", "missing", "b") == 2
    assert r.get("d") == b"\xff\x00"
    assert r.bitop("AND", "d", "a", "missing") == 3
    assert r.get("d") == b"\x00\x00\x00"
    assert encoding(r, "d") == "raw"


def test_bitop_empty_result_deletes_destination(r):
    r.set("d", "x", ex=100)
    assert r.bitop("AND", "d", "m1", "m2") == 0
    assert r.exists("d") == 0
    r.set("e", "")
    r.set("d", "x")
    assert r.bitop("NOT", "d", "e") == 0
    assert r.exists("d") == 0


def test_bitop_replaces_destination_and_its_ttl(r):
    r.set("a", "x")
    r.rpush("d", "list")
    r.expire("d", 100)
    assert r.bitop("OR", "d", "a") == 1
    assert r.get("d") == b"x"
    assert r.ttl("d") == -1
    assert r.bitop("OR", "a", "a", "d") == 1


def test_bitop_errors(r):
    r.set("a", "x")
    assert err(r, "BITOP", "NOT", "d", "a", "a") == "BITOP NOT must be called with a single source key."
    assert err(r, "BITOP", "NAND", "d", "a") == "syntax error"
    assert err(r, "BITOP", "NAND", "d", "a", "a") == "syntax error"
    r.rpush("l", "x")
    assert err(r, "BITOP", "AND", "d", "a", "l") == WRONGTYPE
    assert r.exists("d") == 0
    assert err(r, "BITOP", "AND", "d") == "wrong number of arguments for 'bitop' command"


# -------------------------------------------------------------- BITFIELD


def test_bitfield_builder(r):
    bf = r.bitfield("k")
    assert bf.set("u8", 0, 200).incrby("u8", 0, 100).get("u8", 0).execute() == [0, 44, 44]
    assert r.bitfield("k", default_overflow="SAT").incrby("u8", 0, 300).execute() == [255]
    ops = r.bitfield("k").overflow("fail").incrby("u8", 0, 1).incrby("i8", "#1", -200).set("u2", 0, 1)
    assert ops.command == ["BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", 0, 1, "INCRBY", "i8", "#1", -200, "SET", "u2", 0, 1]
    assert ops.execute() == [None, None, 3]
    assert ops.operations == []
    assert r.bitfield("k").incrby("u4", 4, 20, overflow="WRAP").get("i4", 4).execute() == [3, 3]
    assert r.bitfield("fresh").execute() == []


def test_bitfield_types_and_offsets(r):
    assert r.execute_command("BITFIELD", "k", "SET", "i64", "0", "-1", "GET", "u63", "1", "GET", "i1", "0") == [0, 2**63 - 1, -1]
    assert r.get("k") == b"\xff" * 8
    assert r.execute_command("BITFIELD", "k", "SET", "u4", "#2", "5", "GET", "u8", "8") == [15, 0x5F]
    assert r.execute_command("BITFIELD", "k", "GET", "u8", "60", "GET", "i16", "#100") == [0xF0, 0]
    assert err(r, "BITFIELD", "k", "GET", "U8", "0") == BAD_TYPE
    assert err(r, "BITFIELD", "k", "GET", "u64", "0") == BAD_TYPE
    assert err(r, "BITFIELD", "k", "GET", "i65", "0") == BAD_TYPE
    assert err(r, "BITFIELD", "k", "GET", "i0", "0") == BAD_TYPE
    assert err(r, "BITFIELD", "k", "GET", "u", "0") == BAD_TYPE
    assert err(r, "BITFIELD", "k", "GET", "u8", "-1") == BAD_OFFSET
    assert err(r, "BITFIELD", "k", "GET", "u8", "#-1") == BAD_OFFSET
    assert err(r, "BITFIELD", "k", "GET", "u8", "##1") == BAD_OFFSET
    assert err(r, "BITFIELD", "k", "GET", "u8", "4294967296") == BAD_OFFSET
    assert err(r, "BITFIELD", "k", "GET", "u8", "#536870912") == BAD_OFFSET
    assert err(r, "BITFIELD", "k", "SET", "u8", "0", "x") == NOT_INT
    assert err(r, "BITFIELD", "k", "INCRBY", "u8", "0", "1.5") == NOT_INT


def test_bitfield_syntax(r):
    assert err(r, "BITFIELD", "k", "GET", "u8") == "syntax error"
    assert err(r, "BITFIELD", "k", "SET", "u8", "0") == "syntax error"
    assert err(r, "BITFIELD", "k", "FOO") == "syntax error"
    assert err(r, "BITFIELD", "k", "OVERFLOW") == "syntax error"
    assert err(r, "BITFIELD", "k", "OVERFLOW", "MAYBE") == "Invalid OVERFLOW type specified"
    # Errors come from the arguments in order; nothing runs.
    assert err(r, "BITFIELD", "k", "SET", "u8", "0", "1", "GET", "x8", "0") == BAD_TYPE
    assert r.exists("k") == 0
    assert r.execute_command("BITFIELD", "k", "OVERFLOW", "SAT") == []
    assert r.execute_command("BITFIELD", "k") == []
    assert r.exists("k") == 0


def test_bitfield_overflow_policies(r):
    def run(*args):
        return r.execute_command("BITFIELD", "k", *args)

    assert run("SET", "i8", "0", "127", "INCRBY", "i8", "0", "1") == [0, -128]
    assert run("OVERFLOW", "SAT", "INCRBY", "i8", "0", "-1000") == [-128]
    assert run("OVERFLOW", "SAT", "INCRBY", "i8", "0", "1000") == [127]
    assert run("OVERFLOW", "FAIL", "INCRBY", "i8", "0", "1", "GET", "i8", "0") == [None, 127]
    assert run("OVERFLOW", "WRAP", "SET", "u8", "0", "-1", "GET", "u8", "0") == [127, 255]
    assert run("OVERFLOW", "SAT", "SET", "u8", "0", "300", "GET", "u8", "0") == [255, 255]
    assert run("OVERFLOW", "SAT", "SET", "u8", "0", "-5", "GET", "u8", "0") == [255, 255]
    assert run("OVERFLOW", "FAIL", "SET", "u8", "0", "256", "SET", "u8", "0", "255") == [None, 255]
    assert run("OVERFLOW", "SAT", "SET", "i4", "0", "100", "SET", "i4", "0", "-100", "GET", "i4", "0") == [-1, 7, -8]
    assert run("INCRBY", "u2", "0", "-1", "OVERFLOW", "SAT", "INCRBY", "u2", "0", "-10") == [1, 0]
    i64max = str(2**63 - 1)
    assert run("SET", "i64", "0", "0", "SET", "i64", "0", i64max, "INCRBY", "i64", "0", "1")[1:] == [0, -(2**63)]
    assert run("OVERFLOW", "SAT", "INCRBY", "i64", "0", "-1") == [-(2**63)]
    assert run("OVERFLOW", "SAT", "SET", "i64", "0", "0", "INCRBY", "i64", "0", "-9223372036854775808", "INCRBY", "i64", "0", "-1") == [-(2**63), -(2**63), -(2**63)]
    reply = run("OVERFLOW", "FAIL", "SET", "u63", "0", "0", "INCRBY", "u63", "0", i64max, "INCRBY", "u63", "0", "1")
    assert reply[1:] == [2**63 - 1, None]


def test_bitfield_matches_a_model(r):
    rng = random.Random(7)
    model = bytearray()

    def get(buf, off, bits, signed):
        v = 0
        for i in range(bits):
            o = off + i
            byte = buf[o >> 3] if (o >> 3) < len(buf) else 0
            v = (v << 1) | ((byte >> (7 - (o & 7))) & 1)
        if signed and v >> (bits - 1):
            v -= 1 << bits
        return v

    def put(buf, off, bits, value):
        need = (off + bits - 1) // 8 + 1
        if len(buf) < need:
            buf.extend(b"\x00" * (need - len(buf)))
        for i in range(bits):
            o = off + i
            bit = (value >> (bits - 1 - i)) & 1
            if bit:
                buf[o >> 3] |= 0x80 >> (o & 7)
            else:
                buf[o >> 3] &= ~(0x80 >> (o & 7)) & 0xFF

    for _ in range(300):
        signed = rng.random() < 0.5
        bits = rng.randint(1, 64 if signed else 63)
        fmt = ("i" if signed else "u") + str(bits)
        off = rng.randrange(200)
        lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
        if rng.random() < 0.5:
            value = rng.randint(lo, hi)
            assert r.bitfield("m").set(fmt, off, value).execute() == [get(model, off, bits, signed)]
            put(model, off, bits, value)
        else:
            incr = rng.randint(-(2**20), 2**20)
            old = get(model, off, bits, signed)
            new = old + incr
            if signed:
                new = ((new - lo) % (1 << bits)) + lo
            else:
                new %= 1 << bits
            assert r.bitfield("m").incrby(fmt, off, incr).execute() == [new]
            put(model, off, bits, new)
        assert r.get("m") == bytes(model)


def test_bitfield_ro(r):
    r.set("k", b"\x01\x02\xff")
    assert r.bitfield_ro("k", "u8", 0) == [1]
    assert r.bitfield_ro("k", "u8", 8, items=[("i8", 16), ("u4", "#5"), ("i16", 20)]) == [2, -1, 15, -4096]
    assert r.bitfield_ro("missing", "i8", 0) == [0]
    assert err(r, "BITFIELD_RO", "k", "SET", "u8", "0", "1") == "BITFIELD_RO only supports the GET subcommand"
    assert err(r, "BITFIELD_RO", "k", "INCRBY", "u8", "0", "1") == "BITFIELD_RO only supports the GET subcommand"
    assert err(r, "BITFIELD_RO", "k", "GET", "u64", "0") == BAD_TYPE
    assert r.execute_command("BITFIELD_RO", "k") == []
    assert r.execute_command("BITFIELD_RO", "k", "OVERFLOW", "FAIL", "GET", "u8", "0") == [1]
    assert r.get("k") == b"\x01\x02\xff"


def test_bitfield_in_pipeline(r):
    pipe = r.pipeline()
    pipe.bitfield("k").set("u8", 0, 7).get("u8", 0).execute()
    pipe.setbit("k", 0, 1)
    pipe.bitcount("k")
    assert pipe.execute() == [[0, 7], 0, 4]


def test_decoded_client(rd):
    rd.setbit("b", 1, 1)
    assert rd.get("b") == "@"
    assert rd.bitcount("b") == 1
    assert rd.bitop("NOT", "n", "b") == 1
    assert rd.bitfield("b").get("u8", 0).execute() == [64]


def test_watch_sees_bit_changes(make):
    r = make()
    other = make()
    r.set("k", "a")
    with r.pipeline() as pipe:
        pipe.watch("k")
        other.setbit("k", 1, 1)  # already 1: no change, no signal
        pipe.multi()
        pipe.get("k")
        assert pipe.execute() == [b"a"]
    with r.pipeline() as pipe:
        pipe.watch("k")
        other.setbit("k", 0, 1)
        pipe.multi()
        pipe.get("k")
        with pytest.raises(r.exc.WatchError):
            pipe.execute()
