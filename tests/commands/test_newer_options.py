"""Options newer than the Redis 7.0 oracle on commands it has: HSCAN's
NOVALUES and XREAD's ``+`` ID (Redis 7.4), and BITOP's DIFF, DIFF1, ANDOR
and ONE (Redis 8.2).

Redis 7.0 rejects them all, so these tests run on the embedded engine
only; the cases are the documented examples (the bitmap data-type page's
A, B and C keys; HSCAN's and XREAD's pages; redis-py's stream notebook)
and the documented error texts and edge cases.
"""

import pytest

from support import error_of


@pytest.fixture(params=["embedded"])
def backend(request):
    """No local oracle has these options: embedded only."""
    return request.param


def bits(r, key):
    return format(int.from_bytes(r.get(key), "big"), "08b")


@pytest.fixture
def abc(r):
    """The documentation's three bitmaps: A = 11011000, B = 00011001,
    C = 01101100 (bit 0 is the leftmost)."""
    for key, offsets in {"A": (0, 1, 3, 4), "B": (3, 4, 7), "C": (1, 2, 4, 5)}.items():
        for offset in offsets:
            r.setbit(key, offset, 1)
    return r


@pytest.mark.parametrize(
    "op, expected",
    [
        ("AND", "00001000"),
        ("OR", "11111101"),
        ("XOR", "10101101"),
        # X and none of the Ys.
        ("DIFF", "10000000"),
        # One or more Ys and not X.
        ("DIFF1", "00100101"),
        # X and one or more Ys.
        ("ANDOR", "01011000"),
        # Set in exactly one source.
        ("ONE", "10100101"),
    ],
)
def test_bitop_operations_on_the_documented_bitmaps(abc, op, expected):
    assert abc.bitop(op, "R", "A", "B", "C") == 1
    assert bits(abc, "R") == expected
    # Any case, as Redis parses it.
    assert abc.bitop(op.lower(), "R2", "A", "B", "C") == 1
    assert bits(abc, "R2") == expected


def test_bitop_new_operations_pad_shorter_sources_with_zeros(r):
    r.set("x", b"\xff")
    r.set("y", b"\x0f\xf0\x01")
    assert r.bitop("DIFF", "d", "x", "y") == 3
    assert r.get("d") == b"\xf0\x00\x00"
    assert r.bitop("DIFF1", "d", "x", "y") == 3
    assert r.get("d") == b"\x00\xf0\x01"
    assert r.bitop("ANDOR", "d", "x", "y") == 3
    assert r.get("d") == b"\x0f\x00\x00"
    assert r.bitop("ONE", "d", "x", "y") == 3
    assert r.get("d") == b"\xf0\xf0\x01"
    # A missing X reads as zeros too.
    assert r.bitop("DIFF1", "d", "nosuch", "y") == 3
    assert r.get("d") == b"\x0f\xf0\x01"
    # ONE of a single source is that source; of a key with itself, nothing.
    assert r.bitop("ONE", "d", "y") == 3
    assert r.get("d") == b"\x0f\xf0\x01"
    assert r.bitop("ONE", "d", "y", "y") == 3
    assert r.get("d") == b"\x00\x00\x00"


def test_bitop_new_operations_errors(r):
    r.set("x", b"\xff")
    for op in ("DIFF", "diff1", "AndOr"):
        assert error_of(r, "BITOP", op, "d", "x") == (
            f"BITOP {op.upper()} must be called with at least two source keys."
        )
    assert error_of(r, "BITOP", "NOT", "d", "x", "x") == (
        "BITOP NOT must be called with a single source key."
    )
    assert error_of(r, "BITOP", "NAND", "d", "x", "x") == "syntax error"
    r.lpush("l", 1)
    assert error_of(r, "BITOP", "ONE", "d", "x", "l").startswith("WRONGTYPE")
    # Nothing was written by the failed calls.
    assert r.exists("d") == 0
    # Every source missing: the destination is deleted, the reply is 0.
    r.set("d", "old")
    assert r.bitop("DIFF", "d", "nosuch1", "nosuch2") == 0
    assert r.exists("d") == 0


def test_hscan_novalues_documented_example(r):
    r.hset("myhash", mapping={"a": 1, "b": 2})
    assert r.hscan("myhash", 0) == (0, {b"a": b"1", b"b": b"2"})
    cursor, fields = r.hscan("myhash", 0, no_values=True)
    assert cursor == 0 and sorted(fields) == [b"a", b"b"]
    assert r.hscan("myhash", 0, match="a*", no_values=True) == (0, [b"a"])
    assert sorted(r.hscan_iter("myhash", no_values=True)) == [b"a", b"b"]
    # A missing key scans as empty whatever the options.
    assert r.hscan("nosuch", 0, no_values=True) == (0, [])


def test_hscan_novalues_on_a_large_hash_visits_every_field_once(r):
    fields = {f"f{i}": i for i in range(1000)}
    r.hset("big", mapping=fields)
    seen = list(r.hscan_iter("big", count=37, no_values=True))
    assert sorted(seen) == sorted(f.encode() for f in fields)


def test_novalues_is_hscan_only(r):
    r.sadd("s", 1)
    r.zadd("z", {"m": 1})
    r.set("k", 1)
    for args in (("SSCAN", "s", 0), ("ZSCAN", "z", 0), ("SCAN", 0)):
        assert error_of(r, *args, "NOVALUES") == "syntax error"


def test_xread_plus_reads_the_last_entry(r):
    for i in range(3):
        r.xadd("s", {"v": i}, id=f"1-{i + 1}")
    r.xadd("t", {"w": 9}, id="5-0")
    assert r.xread({"s": "+"}) == [[b"s", [(b"1-3", {b"v": b"2"})]]]
    # COUNT does not widen it: only entries after the one before the last.
    assert r.xread({"s": "+"}, count=10) == [[b"s", [(b"1-3", {b"v": b"2"})]]]
    assert r.xread({"s": "+", "t": "+"}, count=1) == [
        [b"s", [(b"1-3", {b"v": b"2"})]],
        [b"t", [(b"5-0", {b"w": b"9"})]],
    ]
    # With BLOCK it answers at once when there is a last entry.
    assert r.xread({"s": "+"}, block=0) == [[b"s", [(b"1-3", {b"v": b"2"})]]]


def test_xread_plus_edge_cases(r):
    # A missing stream reads from 0-0: nothing.
    assert r.xread({"nosuch": "+"}) == r.xread({"nosuch": "0-0"})
    # The last ID is the last one generated: once that entry is deleted,
    # nothing is after the ID before it.
    r.xadd("s", {"v": 1}, id="1-1")
    r.xadd("s", {"v": 2}, id="1-2")
    r.xdel("s", "1-2")
    assert r.xread({"s": "+"}) == r.xread({"s": "$"})
    # An empty stream whose last ID is 0-0 has no ID before it.
    r.xgroup_create("empty", "g", id="0", mkstream=True)
    assert error_of(r, "XREAD", "STREAMS", "empty", "+") == "the stream last element ID is 0-0"
    # XREADGROUP has no use for it.
    r.xgroup_create("s", "g", id="0")
    assert error_of(r, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "+") == (
        "The + ID is meaningless in the context of XREADGROUP: you want to read the history "
        "of this consumer by specifying a proper ID, or use the > ID to get new messages. "
        "The + ID would just return an empty result set."
    )
