"""HyperLogLog commands: PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST.

HLLs are plain strings, so besides replies the tests compare the stored
bytes (GET) with what redis-server stores: they must be identical, and an
HLL written by one server must load into the other.
"""

from __future__ import annotations

import math
import random
import struct
import time
from typing import Any, Iterator, List

import pytest

NOT_HLL = "WRONGTYPE Key is not a valid HyperLogLog string value."
CORRUPT = "INVALIDOBJ Corrupted HLL object detected"
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"

#: A new HLL as PFADD creates it: sparse, one XZERO:16384, stale cache.
EMPTY = b"HYLL\x01" + b"\x00" * 10 + b"\x80" + b"\x7f\xff"


def header(encoding: int = 1, card: int = 0, stale: bool = True) -> bytes:
    card_bytes = bytearray(struct.pack("<Q", card))
    if stale:
        card_bytes[7] |= 0x80
    return b"HYLL" + bytes([encoding, 0, 0, 0]) + bytes(card_bytes)


def xzero(n: int) -> bytes:
    return bytes([0x40 | ((n - 1) >> 8), (n - 1) & 0xFF])


def zero(n: int) -> bytes:
    return bytes([n - 1])


def val(value: int, n: int) -> bytes:
    return bytes([0x80 | ((value - 1) << 2) | (n - 1)])


def dense(regs: List[int], card: int = 0, stale: bool = True) -> bytes:
    """A dense HLL string holding ``regs`` (16384 values 0..63)."""
    out = bytearray(12288)
    for i, v in enumerate(regs):
        byte, bit = divmod(i * 6, 8)
        out[byte] |= (v << bit) & 0xFF
        if byte + 1 < len(out):
            out[byte + 1] |= v >> (8 - bit)
    return header(0, card, stale) + bytes(out)


def error_of(fn: Any, *args: Any) -> str:
    try:
        fn(*args)
    except Exception as e:  # noqa: BLE001 - the message is what is compared
        return str(e)
    raise AssertionError("no error raised")


# -- PFADD -------------------------------------------------------------------


def test_pfadd_creates_a_sparse_string(r):
    assert r.pfadd("h", "a", "b", "c") == 1
    assert r.type("h") == b"string"
    assert r.execute_command("OBJECT", "ENCODING", "h") == b"raw"
    assert r.get("h") == header() + xzero(8436) + val(1, 1) + xzero(4274) + val(2, 1) + xzero(
        3068
    ) + val(1, 1) + xzero(603)
    assert r.execute_command("PFDEBUG", "ENCODING", "h") == b"sparse"


def test_pfadd_reports_register_changes_only(r):
    assert r.pfadd("h", "a") == 1
    assert r.pfadd("h", "a") == 0
    assert r.pfadd("h", "a", "a", "a") == 0
    assert r.pfadd("h", "b", "a") == 1


def test_pfadd_without_elements(r):
    # A new key is created (and counts as an update); an existing one is not.
    assert r.pfadd("h") == 1
    assert r.get("h") == EMPTY
    assert r.pfadd("h") == 0
    assert r.pfcount("h") == 0
    assert r.get("h") == EMPTY[:15] + b"\x00" + EMPTY[16:]
    # No change keeps the freshly cached cardinality valid.
    assert r.pfadd("h", "x") == 1
    assert r.get("h")[15] & 0x80


def test_pfadd_binary_and_numeric_elements(r):
    assert r.pfadd("h", b"\x00\xff", 1, 2.5, "") == 1
    assert r.pfcount("h") == 4


def test_pfadd_wrong_types(r):
    r.rpush("l", "x")
    assert error_of(r.pfadd, "l", "a") == WRONGTYPE
    for value in ("hello", "12345", "HYLL", "x" * 100):
        r.set("s", value)
        assert error_of(r.pfadd, "s", "a") == NOT_HLL
        assert error_of(r.pfadd, "s") == NOT_HLL
        assert r.get("s") == value.encode()


def test_pfadd_keeps_ttl(r):
    r.pfadd("h", "a")
    r.expire("h", 100)
    r.pfadd("h", "b", "c")
    assert 0 < r.ttl("h") <= 100
    r.pfmerge("h", "h")
    assert 0 < r.ttl("h") <= 100


def test_wrong_arity(r):
    for cmd in (("PFADD",), ("PFCOUNT",), ("PFMERGE",), ("PFDEBUG", "GETREG"),
                ("PFDEBUG", "GETREG", "k", "x"), ("PFSELFTEST", "x")):
        msg = error_of(r.execute_command, *cmd)
        assert msg == f"wrong number of arguments for '{cmd[0].lower()}' command"


# -- PFCOUNT -----------------------------------------------------------------


def test_pfcount_missing_keys(r):
    assert r.pfcount("nosuch") == 0
    assert r.pfcount("nosuch", "other") == 0
    assert r.exists("nosuch") == 0


def test_pfcount_small_sets_are_exact(r):
    for i in range(1, 101):
        r.pfadd("h", f"element-{i}")
        assert r.pfcount("h") == i


def test_pfcount_caches_the_cardinality_in_the_header(r):
    r.pfadd("h", *range(100))
    before = r.get("h")
    assert before[15] & 0x80  # stale after PFADD
    assert r.pfcount("h") == 100
    after = r.get("h")
    assert after[8:16] == struct.pack("<Q", 100)
    assert after[16:] == before[16:]
    assert r.pfcount("h") == 100
    assert r.get("h") == after


def test_pfcount_trusts_a_valid_cache(r):
    # Redis returns a valid cached value without looking at the registers.
    r.set("h", header(card=12345, stale=False) + xzero(16384))
    assert r.pfcount("h") == 12345
    # Stale: recomputed from the registers and written back.
    r.set("h", header(card=12345) + xzero(16384))
    assert r.pfcount("h") == 0
    assert r.get("h") == header(card=0, stale=False) + xzero(16384)


def test_pfcount_of_several_keys_is_the_union_and_changes_nothing(r):
    r.pfadd("a", *range(0, 60))
    r.pfadd("b", *range(40, 100))
    r.pfadd("c", *range(0, 2000))
    before = [r.get(k) for k in "abc"]
    assert r.pfcount("a", "b") == 100
    assert r.pfcount("a", "b", "missing") == 100
    assert r.pfcount("a", "a") == 60
    assert r.pfcount("a", "c") == r.pfcount("c", "b")
    assert [r.get(k) for k in "abc"] == before


def test_pfcount_wrong_types(r):
    r.pfadd("h", "a")
    r.rpush("l", "x")
    r.set("s", "not an hll")
    assert error_of(r.pfcount, "l") == WRONGTYPE
    assert error_of(r.pfcount, "s") == NOT_HLL
    assert error_of(r.pfcount, "h", "s") == NOT_HLL
    assert error_of(r.pfcount, "missing", "l", "s") == WRONGTYPE


def test_object_encoding_becomes_raw_when_an_hll_is_touched(r):
    hll = header() + xzero(16384)
    r.set("h", hll)
    assert r.execute_command("OBJECT", "ENCODING", "h") == b"embstr"
    assert r.pfcount("h", "missing") == 0
    assert r.execute_command("OBJECT", "ENCODING", "h") == b"embstr"
    assert r.pfcount("h") == 0
    assert r.execute_command("OBJECT", "ENCODING", "h") == b"raw"
    r.set("h", hll)
    r.execute_command("PFDEBUG", "ENCODING", "h")
    assert r.execute_command("OBJECT", "ENCODING", "h") == b"raw"


# -- PFMERGE -----------------------------------------------------------------


def test_pfmerge_into_a_new_key(r):
    r.pfadd("a", "x", "y")
    r.pfadd("b", "y", "z")
    assert r.pfmerge("u", "a", "b") is True
    assert r.pfcount("u") == 3
    assert r.execute_command("PFDEBUG", "ENCODING", "u") == b"sparse"
    assert r.pfmerge("e", "missing") is True
    assert r.get("e") == EMPTY
    assert r.pfmerge("only") is True
    assert r.get("only") == EMPTY


def test_pfmerge_includes_the_destination(r):
    r.pfadd("d", *range(10))
    r.pfadd("s", *range(10, 20))
    assert r.pfmerge("d", "s") is True
    assert r.pfcount("d") == 20
    # Merging a key into itself changes no register but marks the cache stale.
    r.pfcount("d")
    cached = r.get("d")
    assert r.pfmerge("d") is True
    assert r.get("d") == cached[:15] + bytes([cached[15] | 0x80]) + cached[16:]


def test_pfmerge_goes_dense_when_any_input_is_dense(r):
    r.pfadd("big", *range(5000))
    r.pfadd("small", "a")
    assert r.execute_command("PFDEBUG", "ENCODING", "big") == b"dense"
    r.pfmerge("u", "small", "big")
    assert r.execute_command("PFDEBUG", "ENCODING", "u") == b"dense"
    assert r.pfcount("u") == r.pfcount("small", "big")
    r.pfmerge("small", "small")
    assert r.execute_command("PFDEBUG", "ENCODING", "small") == b"sparse"


def test_pfmerge_wrong_types(r):
    r.pfadd("h", "a")
    r.set("s", "text")
    r.rpush("l", "x")
    assert error_of(r.pfmerge, "s", "h") == NOT_HLL
    assert error_of(r.pfmerge, "l", "h") == WRONGTYPE
    assert error_of(r.pfmerge, "d", "h", "s") == NOT_HLL
    assert error_of(r.pfmerge, "d", "h", "l") == WRONGTYPE
    assert r.exists("d") == 0
    assert r.get("s") == b"text"


# -- Encodings ---------------------------------------------------------------


def test_sparse_to_dense_promotion_boundary(r):
    pipe = r.pipeline(transaction=False)
    for i in range(1683):
        pipe.pfadd("h", f"e{i}")
    pipe.execute()
    assert len(r.get("h")) == 3000
    assert r.execute_command("PFDEBUG", "ENCODING", "h") == b"sparse"
    assert r.pfadd("h", "e1683") == 1
    assert len(r.get("h")) == 12304
    assert r.execute_command("PFDEBUG", "ENCODING", "h") == b"dense"


def test_hll_sparse_max_bytes_setting(make):
    r = make()
    try:
        assert r.config_set("hll-sparse-max-bytes", 30) is True
        assert r.config_get("hll-sparse-max-bytes") == {"hll-sparse-max-bytes": "30"}
        r.pfadd("h", "a", "b")
        assert r.execute_command("PFDEBUG", "ENCODING", "h") == b"sparse"
        r.pfadd("h", "c", "d", "e")
        assert r.execute_command("PFDEBUG", "ENCODING", "h") == b"dense"
        r.config_set("hll-sparse-max-bytes", 0)
        r.pfadd("z")
        assert r.execute_command("PFDEBUG", "ENCODING", "z") == b"sparse"
        r.pfadd("z", "a")
        assert r.execute_command("PFDEBUG", "ENCODING", "z") == b"dense"
    finally:
        r.config_set("hll-sparse-max-bytes", 3000)


def test_sparse_runs_of_high_registers(r):
    # VAL runs up to the sparse maximum (value 32, length 4).
    body = val(32, 4) * 4096
    r.set("h", header() + body)
    card = r.pfcount("h")
    regs = r.execute_command("PFDEBUG", "GETREG", "h")
    assert regs == [32] * 16384
    assert r.execute_command("PFDEBUG", "ENCODING", "h") == b"dense"
    assert r.pfcount("h") == card
    r.set("h", header() + val(32, 4) + xzero(16380))
    assert r.pfadd("h", "a") == 1
    assert r.execute_command("PFDEBUG", "DECODE", "h").startswith(b"v:32,4 Z:")


def test_dense_registers_beyond_the_estimator_range(r):
    # Registers above 51 are ignored; overflowing estimates come back as
    # Redis's (uint64)llround() of them, 2^63, shown as a negative integer.
    r.set("d", dense([63] * 16384))
    assert r.pfcount("d") == -(2**63)
    assert r.get("d")[8:16] == b"\x00" * 7 + b"\x80"  # still "stale"
    r.set("d", dense([51] * 8000 + [0] * 8384))
    assert r.pfcount("d") == 12712
    r.set("d", dense([50] * 16384))
    assert r.pfcount("d") == -(2**63)
    r.set("d", dense([0, 51, 1, 2] * 4096))
    assert r.pfcount("d") == r.pfcount("d", "missing")


# -- Corrupted values --------------------------------------------------------


def test_invalid_headers_are_not_hlls(r):
    good = header() + xzero(16384)
    for bad in (
        b"",
        good[:15],
        b"HYLX" + good[4:],
        good[:4] + b"\x02" + good[5:],
        good[:4] + b"\xff" + good[5:],
        dense([0] * 16384)[:-1],
        dense([0] * 16384) + b"\x00",
    ):
        r.set("x", bad)
        assert error_of(r.pfcount, "x") == NOT_HLL
        assert error_of(r.pfadd, "x", "a") == NOT_HLL
        assert error_of(r.pfmerge, "d", "x") == NOT_HLL
        assert error_of(r.execute_command, "PFDEBUG", "ENCODING", "x") == NOT_HLL
        assert r.get("x") == bad


def test_corrupted_sparse_bodies(r):
    cases = [
        header() + xzero(16383),  # one register short
        header() + xzero(8000),  # truncated
        header() + xzero(16384) + val(1, 1),  # opcodes past the last register
        header() + xzero(16384) + zero(1),
        header() + xzero(16380) + val(5, 4) + val(5, 1),
        header(),  # no opcodes at all
        header() + xzero(16384) * 2,
    ]
    for bad in cases:
        r.set("x", bad)
        assert error_of(r.pfcount, "x") == CORRUPT
        assert error_of(r.pfcount, "x", "missing") == CORRUPT
        assert error_of(r.pfmerge, "d", "x") == CORRUPT
        assert error_of(r.execute_command, "PFDEBUG", "TODENSE", "x") == CORRUPT
        assert error_of(r.execute_command, "PFDEBUG", "GETREG", "x") == CORRUPT
        assert r.execute_command("PFDEBUG", "ENCODING", "x") == b"sparse"
    assert r.exists("d") == 0
    # A valid cached cardinality hides the corruption from a one-key PFCOUNT.
    r.set("x", header(card=7, stale=False) + xzero(100))
    assert r.pfcount("x") == 7


def test_pfadd_on_corrupted_sparse_body(r):
    # Elements landing inside the runs are added; one past them fails, and
    # the changes made before it are kept (without a cache update).
    r.set("x", header(card=3, stale=False) + xzero(9000))
    assert r.pfadd("x", "c") == 1  # register 8436
    assert r.get("x") == header(card=3) + xzero(8436) + val(1, 1) + xzero(563)
    assert error_of(r.pfadd, "x", "a") == CORRUPT  # register 12711
    r.set("x", header() + xzero(9000))
    assert error_of(r.pfadd, "x", "c", "a") == CORRUPT
    assert r.get("x") == header() + xzero(8436) + val(1, 1) + xzero(563)
    assert error_of(r.pfcount, "x") == CORRUPT


# -- PFDEBUG / PFSELFTEST ----------------------------------------------------


def test_pfdebug(r):
    assert error_of(r.execute_command, "PFDEBUG", "GETREG", "nosuch") == (
        "The specified key does not exist"
    )
    assert error_of(r.execute_command, "PFDEBUG", "nosuchsub", "nosuch") == (
        "The specified key does not exist"
    )
    r.pfadd("h", "a", "b")
    assert error_of(r.execute_command, "PFDEBUG", "Nope", "h") == (
        "Unknown PFDEBUG subcommand 'Nope'"
    )
    assert r.execute_command("PFDEBUG", "decode", "h") == b"Z:12711 v:2,1 Z:3068 v:1,1 Z:603"
    assert r.execute_command("PFDEBUG", "ENCODING", "h") == b"sparse"
    before = r.get("h")
    assert r.execute_command("PFDEBUG", "TODENSE", "h") == 1
    assert r.execute_command("PFDEBUG", "TODENSE", "h") == 0
    after = r.get("h")
    assert len(after) == 12304 and after[:4] == b"HYLL" and after[4] == 0
    assert after[5:16] == before[5:16]
    assert error_of(r.execute_command, "PFDEBUG", "DECODE", "h") == "HLL encoding is not sparse"
    regs = r.execute_command("PFDEBUG", "GETREG", "h")
    assert len(regs) == 16384 and sum(regs) == 3
    assert regs[12711] == 2 and regs[15780] == 1
    # GETREG converts a sparse HLL to dense for good.
    r.pfadd("s", "a")
    r.execute_command("PFDEBUG", "GETREG", "s")
    assert r.execute_command("PFDEBUG", "ENCODING", "s") == b"dense"
    r.set("t", "text")
    assert error_of(r.execute_command, "PFDEBUG", "GETREG", "t") == NOT_HLL


def test_pfdebug_decode_of_every_opcode(r):
    r.set("h", header() + zero(64) + val(3, 2) + zero(1) + xzero(16317))
    assert r.execute_command("PFDEBUG", "DECODE", "h") == b"z:64 v:3,2 z:1 Z:16317"
    r.set("h", header())
    assert r.execute_command("PFDEBUG", "DECODE", "h") == b""


def test_pfselftest(r):
    assert r.execute_command("PFSELFTEST") == b"OK"


# -- Transactions and WATCH --------------------------------------------------


def test_cache_update_counts_as_a_modification_for_watch(make):
    r, other = make(), make()
    r.pfadd("h", "a")
    with r.pipeline() as pipe:
        pipe.watch("h")
        other.pfcount("h")  # writes the cached cardinality
        pipe.multi()
        pipe.get("h")
        with pytest.raises(r.exc.WatchError):
            pipe.execute()
    with r.pipeline() as pipe:
        pipe.watch("h")
        other.pfcount("h")  # cache already valid: nothing written
        other.pfadd("h", "a")  # no register changed
        pipe.multi()
        pipe.get("h")
        assert pipe.execute() == [r.get("h")]


def test_commands_in_multi(r):
    with r.pipeline() as pipe:
        pipe.pfadd("a", "x").pfadd("b", "y").pfmerge("c", "a", "b").pfcount("c")
        assert pipe.execute() == [1, 1, True, 2]


# -- Both servers at once ----------------------------------------------------


def _log_uniform_sizes(rng: random.Random) -> List[int]:
    """1,000 set sizes from 1 to 1,000,000, log-uniform within two bands so
    the total stays bounded: 975 over 1..10,000 and 24 over 10,000..1,000,000,
    plus one of exactly 1,000,000 (6.9 million elements in all)."""
    def spread(lo: float, hi: float) -> int:
        return int(math.exp(rng.uniform(math.log(lo), math.log(hi))))

    sizes = [spread(1, 10_000) for _ in range(975)]
    sizes += [spread(10_000, 1_000_000) for _ in range(24)] + [1_000_000]
    rng.shuffle(sizes)
    return sizes


def _elements(n: int, tag: int) -> Iterator[List[bytes]]:
    """The elements of set ``tag`` in PFADD-sized chunks."""
    chunk = 5_000
    for start in range(0, n, chunk):
        yield [b"%d:%d" % (tag, i) for i in range(start, min(n, start + chunk))]


def _fill(client: Any, sizes: List[int], tags: List[int]) -> None:
    pipe = client.pipeline(transaction=False)
    queued = 0
    for key, (n, tag) in enumerate(zip(sizes, tags)):
        for part in _elements(n, tag):
            pipe.execute_command("PFADD", f"set:{key}", *part)
            queued += len(part)
            if queued >= 50_000:
                pipe.execute()
                queued = 0
    pipe.execute()


def _read(client: Any, keys: List[str], count_first: bool) -> List[Any]:
    pipe = client.pipeline(transaction=False)
    for key in keys:
        if count_first:
            pipe.pfcount(key)
        pipe.get(key)
    return pipe.execute()


def test_thousand_random_sets_match_redis(pair):
    """1,000 random sets of 1 to 1,000,000 elements: PFCOUNT and the stored
    bytes equal redis-server's on every one, before and after the cached
    cardinality is written, and for the union of neighbours."""
    emb, ora = pair["embedded"], pair["oracle"]
    rng = random.Random(20240601)
    sizes = _log_uniform_sizes(rng)
    tags = [rng.randrange(1 << 30) for _ in sizes]
    started = time.time()
    for c in (emb, ora):
        _fill(c, sizes, tags)
    keys = [f"set:{i}" for i in range(len(sizes))]
    assert _read(emb, keys, False) == _read(ora, keys, False)
    got, want = _read(emb, keys, True), _read(ora, keys, True)
    for i, n in enumerate(sizes):
        count, raw = got[2 * i], got[2 * i + 1]
        assert (count, raw) == (want[2 * i], want[2 * i + 1]), (i, n)
        assert abs(count - n) <= max(1, 0.05 * n), (n, count)
    unions = [rng.sample(keys, 3) for _ in range(50)]
    for c_keys in unions:
        assert emb.pfcount(*c_keys) == ora.pfcount(*c_keys)
    emb.pfmerge("all", *keys[:100])
    ora.pfmerge("all", *keys[:100])
    assert emb.get("all") == ora.get("all")
    assert time.time() - started < 120


def test_cross_loading_both_ways(pair):
    """HLL strings written by either server load into the other: same
    count, and further PFADDs give the same bytes on both."""
    emb, ora = pair["embedded"], pair["oracle"]
    rng = random.Random(7)
    sizes = [0, 1, 5, 50, 300, 1000, 1500, 2500, 10_000, 100_000]
    for n in sizes:
        src, dst = (emb, ora) if n % 2 else (ora, emb)
        src.pfadd(f"orig:{n}", *[f"{n}-{i}" for i in range(n)])
        blob = src.get(f"orig:{n}")
        dst.set(f"copy:{n}", blob)
        src.set(f"copy:{n}", blob)
        for c in (emb, ora):
            assert c.pfcount(f"copy:{n}") == src.pfcount(f"orig:{n}")
        more = [f"more-{rng.random()}" for _ in range(rng.choice([1, 100, 3000]))]
        assert emb.pfadd(f"copy:{n}", *more) == ora.pfadd(f"copy:{n}", *more)
        assert emb.get(f"copy:{n}") == ora.get(f"copy:{n}")
        assert emb.pfcount(f"copy:{n}") == ora.pfcount(f"copy:{n}")
        assert emb.get(f"copy:{n}") == ora.get(f"copy:{n}")
    # Merges across loaded copies agree too.
    copies = [f"copy:{n}" for n in sizes]
    for c in (emb, ora):
        c.pfmerge("merged", *copies)
    assert emb.get("merged") == ora.get("merged")


def test_random_operations_match_redis(pair):
    """Mixed PFADD / PFMERGE / PFCOUNT / PFDEBUG on a few keys, comparing
    every reply and the stored bytes after every step."""
    emb, ora = pair["embedded"], pair["oracle"]
    rng = random.Random(99)
    keys = ["h0", "h1", "h2", "h3"]

    def run(c: Any, args: tuple) -> Any:
        try:
            return c.execute_command(*args)
        except Exception as e:  # noqa: BLE001
            return str(e)

    for step in range(1500):
        roll = rng.random()
        if roll < 0.5:
            n = rng.choice([0, 1, 3, 20, 200])
            args: tuple = ("PFADD", rng.choice(keys), *[rng.randrange(20_000) for _ in range(n)])
        elif roll < 0.65:
            args = ("PFMERGE", *rng.sample(keys, rng.randint(1, 3)))
        elif roll < 0.85:
            args = ("PFCOUNT", *rng.sample(keys + ["none"], rng.randint(1, 3)))
        elif roll < 0.95:
            args = ("PFDEBUG", rng.choice(["ENCODING", "DECODE", "TODENSE"]), rng.choice(keys))
        else:
            args = ("DEL", rng.choice(keys))
        assert run(emb, args) == run(ora, args), (step, args[:3])
        key = args[2] if args[0] == "PFDEBUG" else args[1]
        assert emb.get(key) == ora.get(key), (step, args[:3])
