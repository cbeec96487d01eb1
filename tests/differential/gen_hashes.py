"""Random hash commands for the differential test.

Fields and values stay short and hashes small, so every hash remains a
listpack and its field order (insertion order) is comparable exactly.
Random picks are compared by size or type only.
"""

from __future__ import annotations

import random
from typing import List

from . import Cmd

WEIGHT = 10

FIELDS = [f"f{i}" for i in range(8)] + ["", "F", "long-field-name"]
VALUES = [
    "0", "1", "-3", "10", "007", " 1", "1.5", "-0.25", "1e3", "abc", "",
    "9223372036854775807", "-9223372036854775808", "9223372036854775808", "inf",
]
INT_INCRS = ["1", "-1", "5", "-100", "0", "9223372036854775807", "-9223372036854775808",
             "9223372036854775808", "x", "1.5", " 1", ""]
FLOAT_INCRS = ["1", "-1", "0.5", "-2.25", "1e2", "3", "+1.5", ".5", "inf", "-inf", "nan", "x", "", "0x10"]
COUNTS = ["0", "1", "2", "3", "-1", "-3", "20", "-20", "x", "1.5", "-9223372036854775808", "9223372036854775807"]
# Out of range with WITHVALUES only: without it Redis would really try to
# reply with 2^62 fields.
HUGE = ["4611686018427387904", "-4611686018427387904"]
CURSORS = ["0", "0", "0", "7", "-1", "+0", "x", " 0", ""]
PATTERNS = ["*", "f*", "f[0-3]", "?", "*1*", "F", "", "\\f*"]


def _fields(rng: random.Random, lo: int = 1, hi: int = 4) -> List[str]:
    return [rng.choice(FIELDS) for _ in range(rng.randint(lo, hi))]


def _scan_opts(rng: random.Random) -> List[str]:
    opts: List[str] = []
    for _ in range(rng.choice([0, 0, 1, 2])):
        kind = rng.random()
        if kind < 0.45:
            opts += ["MATCH", rng.choice(PATTERNS)]
        elif kind < 0.9:
            # No small counts: whether a hashtable scan finishes in one
            # call below its size is implementation-specific.
            opts += ["COUNT", rng.choice(["1000", "100000", "0", "-1", "x"])]
        else:
            # (NOVALUES is Redis 7.4's, past the 7.0 oracle: not generated.)
            opts += rng.choice([["VALUES"], ["MATCH"], ["TYPE", "hash"]])
    return opts


def _key(rng: random.Random, keys: List[str]) -> str:
    """Mostly keys of this group's half of the keyspace, so that most
    commands find a value of their type; sometimes any key."""
    home = keys[len(keys) // 2 :]
    return rng.choice(home if home and rng.random() < 0.8 else keys)


def generate(rng: random.Random, keys: List[str]) -> Cmd:
    k = _key(rng, keys)
    f = rng.choice(FIELDS)
    v = rng.choice(VALUES)
    roll = rng.random()
    if roll < 0.16:
        pairs: List[str] = []
        for field in _fields(rng):
            pairs += [field, rng.choice(VALUES)]
        if rng.random() < 0.05:
            pairs.pop()  # odd argument count
        return ("HSET", k, *pairs), "exact"
    if roll < 0.2:
        return ("HMSET", k, f, v, *rng.choice([[], [rng.choice(FIELDS), v], ["odd"]])), "exact"
    if roll < 0.25:
        return ("HSETNX", k, f, v), "exact"
    if roll < 0.31:
        return ("HGET", k, f), "exact"
    if roll < 0.35:
        return ("HMGET", k, *_fields(rng)), "exact"
    if roll < 0.4:
        # Hashtable-encoded hashes (long values, many fields) have no
        # defined order, so compare contents.
        cmd = rng.choice(["HGETALL", "HKEYS", "HVALS", "HLEN"])
        norm = {"HGETALL": "sorted_pairs", "HKEYS": "sorted", "HVALS": "sorted"}.get(cmd, "exact")
        return (cmd, k), norm
    if roll < 0.47:
        return ("HDEL", k, *_fields(rng)), "exact"
    if roll < 0.51:
        return (rng.choice(["HEXISTS", "HSTRLEN"]), k, f), "exact"
    if roll < 0.59:
        return ("HINCRBY", k, f, rng.choice(INT_INCRS)), "exact"
    if roll < 0.66:
        return ("HINCRBYFLOAT", k, f, rng.choice(FLOAT_INCRS)), "exact"
    if roll < 0.7:
        return ("HRANDFIELD", k), "type"
    if roll < 0.77:
        count = rng.choice(COUNTS)
        if rng.random() < 0.35:
            count = rng.choice(COUNTS + HUGE)
            # A flat list on RESP2, pairs on RESP3: compare the type only.
            extra = rng.choice([["WITHVALUES"], ["withvalues"], ["WITHVALUE"], ["WITHVALUES", "x"]])
            return ("HRANDFIELD", k, count, *extra), "type"
        return ("HRANDFIELD", k, count), "len"
    if roll < 0.85:
        cursor = rng.choice(CURSORS)
        # A nonzero cursor not returned by the server means something only
        # to that server's hashtable layout; compare the reply's type.
        norm = "type" if cursor in ("7", "-1") else "scan"
        return ("HSCAN", k, cursor, *_scan_opts(rng)), norm
    if roll < 0.88:
        return ("OBJECT", "ENCODING", k), "exact"
    if roll < 0.92:
        # Wrong arity.
        return rng.choice([("HSET", k, f), ("HGET", k), ("HDEL", k), ("HLEN", k, f), ("HSCAN", k)]), "exact"
    if roll < 0.96:
        # Make another type collide with hashes now and then.
        # (Deleting more often than not, or the other types pile up.)
        return rng.choice([("SET", k, v), ("SADD", k, v), ("DEL", k), ("DEL", k), ("DEL", k)]), "exact"
    return ("HSET", k, *[x for i in range(rng.randint(5, 30)) for x in (f"g{i}", str(i))]), "exact"
