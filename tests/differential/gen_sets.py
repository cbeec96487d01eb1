"""Random set commands for the differential test.

Members mix canonical integers (intset material), non-canonical ones and
words, so encodings change back and forth between keys. SPOP only ever
asks for more members than any set here has (or for none), and random
picks are compared by size or type; SSCAN of a hashtable has no defined
order, so scans use a MATCH that selects at most one member.
"""

from __future__ import annotations

import random
from typing import List

from . import Cmd

WEIGHT = 10

INTS = ["0", "1", "2", "3", "5", "8", "13", "-1", "-21", "100", "9223372036854775807", "-9223372036854775808"]
ODD = ["01", "+1", " 2", "-0", "1.0", "9223372036854775808", ""]
WORDS = ["a", "b", "c", "abc", "x:1", "\u00e9"]
COUNTS = ["0", "1", "2", "3", "-1", "-3", "50", "-50", "x", "1.5", "-9223372036854775808", "9223372036854775807"]
# Cursors a hashtable scan could start from (any other value is one only
# Redis's own dictScan can interpret), plus invalid ones.
CURSORS = ["0", "0", "0", "00", "+0", "x", " 0", "", "-"]


def _member(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.55:
        return rng.choice(INTS)
    if roll < 0.7:
        return rng.choice(ODD)
    return rng.choice(WORDS)


def _key(rng: random.Random, keys: List[str]) -> str:
    """Mostly keys of this group's half of the keyspace, so that most
    commands find a value of their type; sometimes any key."""
    home = keys[: len(keys) // 2]
    return rng.choice(home if home and rng.random() < 0.8 else keys)


def _members(rng: random.Random, lo: int = 1, hi: int = 5) -> List[str]:
    return [_member(rng) for _ in range(rng.randint(lo, hi))]


def _keys(rng: random.Random, keys: List[str], lo: int = 1, hi: int = 4) -> List[str]:
    return [_key(rng, keys) for _ in range(rng.randint(lo, hi))]


def _sscan(rng: random.Random, k: str) -> Cmd:
    cursor = rng.choice(CURSORS)
    roll = rng.random()
    if roll < 0.6:
        # A COUNT above any set's size makes both servers finish in one call.
        return ("SSCAN", k, cursor, "MATCH", _member(rng), "COUNT", "100000"), "exact"
    if roll < 0.8:
        bad = rng.choice([["COUNT", "0"], ["COUNT", "x"], ["MATCH"], ["FOO", "1"], ["COUNT", "-2"]])
        return ("SSCAN", k, cursor, *bad), "exact"
    # A whole scan lists a hashtable in no defined order: only errors and
    # the reply's shape are compared.
    return ("SSCAN", k, "0", "COUNT", "100000"), "type"


def generate(rng: random.Random, keys: List[str]) -> Cmd:
    k = _key(rng, keys)
    m = _member(rng)
    roll = rng.random()
    if roll < 0.17:
        return ("SADD", k, *_members(rng)), "exact"
    if roll < 0.24:
        return ("SREM", k, *_members(rng)), "exact"
    if roll < 0.29:
        return (rng.choice(["SMEMBERS", "SCARD"]), k), "exact"
    if roll < 0.33:
        return ("SISMEMBER", k, m), "exact"
    if roll < 0.36:
        return ("SMISMEMBER", k, *_members(rng)), "exact"
    if roll < 0.4:
        return ("SMOVE", k, _key(rng, keys), m), "exact"
    if roll < 0.46:
        op = rng.choice(["SINTER", "SUNION", "SDIFF"])
        return (op, *_keys(rng, keys)), "exact"
    if roll < 0.53:
        op = rng.choice(["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"])
        return (op, _key(rng, keys), *_keys(rng, keys)), "exact"
    if roll < 0.58:
        ks = _keys(rng, keys)
        n = str(len(ks) + rng.choice([0, 0, 0, 1, -len(ks)]))
        opts = rng.choice([[], [], ["LIMIT", rng.choice(["0", "1", "2", "-1", "x"])], ["LIMIT"], ["BAD"]])
        return ("SINTERCARD", n, *ks, *opts), "exact"
    if roll < 0.63:
        # Only forms whose effect is not random: all members, or none.
        count = rng.choice(["100000", "100000", "0", "-1", "x", "1.5"])
        extra = ["2"] if rng.random() < 0.05 else []
        return ("SPOP", k, count, *extra), "sorted"
    if roll < 0.66:
        return ("SRANDMEMBER", k), "type"
    if roll < 0.72:
        extra = ["2"] if rng.random() < 0.05 else []
        return ("SRANDMEMBER", k, rng.choice(COUNTS), *extra), "len"
    if roll < 0.8:
        return _sscan(rng, k)
    if roll < 0.84:
        return ("OBJECT", "ENCODING", k), "exact"
    if roll < 0.88:
        # Wrong arity.
        return rng.choice([("SADD", k), ("SMOVE", k, m), ("SINTER",), ("SINTERSTORE", k), ("SINTERCARD", "1")]), "exact"
    if roll < 0.93:
        # Make another type collide with sets now and then.
        # (Deleting more often than not, or the other types pile up.)
        return rng.choice([("SET", k, m), ("HSET", k, "f", m), ("DEL", k), ("DEL", k), ("DEL", k)]), "exact"
    if roll < 0.97:
        # Grow an intset past set-max-intset-entries now and then.
        start = rng.randint(0, 600)
        return ("SADD", k, *[str(i) for i in range(start, start + rng.randint(50, 520))]), "exact"
    return ("SRANDMEMBER", k, "100000"), "sorted"
