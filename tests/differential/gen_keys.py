"""Generic key commands for the differential test: DEL/UNLINK/EXISTS/TYPE/
TOUCH, RENAME/RENAMENX/COPY/MOVE (between databases 0 and 1), KEYS, the
EXPIRE family, TTL queries, PERSIST, OBJECT, DBSIZE, SELECT and SWAPDB, plus
seeding with values of every type the engine has.

Timing rules: relative TTLs are at least 1000 s and are never compared with
GT/LT against each other (two servers set them a few microseconds apart);
GT/LT use absolute times far beyond any relative TTL, so every comparison
has the same outcome on both servers. TTL-style queries (TTL, PTTL,
EXPIRETIME of a relative deadline) drift with the clock, so they are
compared by type only; the replies of the EXPIRE commands themselves, and
PERSIST, are exact. Times in the past delete the key at once.
"""

from __future__ import annotations

import random
import time
from typing import List

from . import Cmd

WEIGHT = 10

#: Absolute deadlines (seconds) well past any relative TTL used here.
_BASE = int(time.time()) + 10 * 365 * 86400
_ABS_SECONDS = [_BASE + i * 1000 for i in range(5)]
_RELATIVE = [1000, 2000, 5000, 86400]


def _has_command(name: str) -> bool:
    """True if the embedded engine implements ``name`` (groups merge over
    time; seed only with commands that exist)."""
    try:
        import redcore

        r = redcore.Redis()
        r.set_response_callback("COMMAND", lambda x, **kw: x)
        return r.execute_command("COMMAND", "INFO", name)[0] is not None
    except Exception:  # noqa: BLE001 - any failure means "not available"
        return False


_HAS_ZADD = _has_command("zadd")


def _value(rng: random.Random) -> str:
    return rng.choice(
        [
            str(rng.randint(0, 20)),
            str(rng.randint(-(10**12), 10**12)),
            rng.choice(["a", "hello", "x y"]),
            "v" * rng.choice([10, 44, 45, 70]),
        ]
    )


def _seed(rng: random.Random, key: str) -> Cmd:
    kind = rng.choice(["set", "list", "hash", "set_int", "set_str"] + (["zset"] if _HAS_ZADD else []))
    if kind == "set":
        return ("SET", key, _value(rng)), "exact"
    if kind == "list":
        return ("RPUSH", key, *[_value(rng) for _ in range(rng.randint(1, 3))]), "exact"
    if kind == "hash":
        fields: List[str] = []
        for i in range(rng.randint(1, 3)):
            fields += [f"f{rng.randint(0, 4)}", _value(rng)]
        return ("HSET", key, *fields), "exact"
    if kind == "set_int":
        return ("SADD", key, *[str(rng.randint(0, 9)) for _ in range(rng.randint(1, 3))]), "exact"
    if kind == "set_str":
        return ("SADD", key, *[rng.choice(["a", "b", "c", "1"]) for _ in range(rng.randint(1, 3))]), "exact"
    pairs: List[str] = []
    for _ in range(rng.randint(1, 3)):
        pairs += [str(rng.randint(0, 5)), rng.choice(["m1", "m2", "m3"])]
    return ("ZADD", key, *pairs), "exact"


def _expire(rng: random.Random, key: str) -> Cmd:
    roll = rng.random()
    if roll < 0.3:
        cmd = rng.choice(["EXPIRE", "PEXPIRE"])
        secs = rng.choice(_RELATIVE)
        amount = secs if cmd == "EXPIRE" else secs * 1000 + rng.randint(0, 999)
        opts = rng.choice([[], [], ["NX"], ["XX"]])
        return (cmd, key, amount, *opts), "exact"
    if roll < 0.6:
        cmd = rng.choice(["EXPIREAT", "PEXPIREAT"])
        at = rng.choice(_ABS_SECONDS)
        when = at if cmd == "EXPIREAT" else at * 1000 + rng.randint(0, 999)
        opts = rng.choice([[], ["NX"], ["XX"], ["GT"], ["LT"], ["XX", "GT"], ["LT", "XX"]])
        return (cmd, key, when, *opts), "exact"
    if roll < 0.75:
        # In the past: the key is deleted (if it exists and the condition holds).
        cmd, when = rng.choice([("EXPIRE", -1), ("PEXPIRE", 0), ("EXPIREAT", 1), ("PEXPIREAT", 1000)])
        return (cmd, key, when, *rng.choice([[], ["XX"], ["LT"]])), "exact"
    # Invalid arguments.
    return rng.choice(
        [
            ("EXPIRE", key, 100, "NX", "XX"),
            ("EXPIRE", key, 100, "GT", "LT"),
            ("PEXPIRE", key, 100, "NX", "GT"),
            ("EXPIRE", key, 100, "SOMETIMES"),
            ("EXPIRE", key, "soon"),
            ("EXPIRE", key, 2**62),
            ("EXPIREAT", key, -(2**62)),
            ("PEXPIRE", key, 2**63 - 1),
            ("EXPIRE", key),
        ]
    ), "exact"


def generate(rng: random.Random, keys: List[str]) -> Cmd:
    key = rng.choice(keys)
    other = rng.choice(keys)
    roll = rng.random()
    if roll < 0.22:
        return _seed(rng, key)
    if roll < 0.36:
        return _expire(rng, key)
    choice = rng.randrange(24)
    if choice == 0:
        return (rng.choice(["DEL", "UNLINK"]), *rng.sample(keys, rng.randint(1, 3))), "exact"
    if choice == 1:
        return ("EXISTS", key, *rng.choices(keys, k=rng.randint(0, 2))), "exact"
    if choice == 2:
        return ("TYPE", key), "exact"
    if choice == 3:
        return ("TOUCH", *rng.sample(keys, rng.randint(1, 3))), "exact"
    if choice == 4:
        return (rng.choice(["RENAME", "RENAMENX"]), key, rng.choice([other, key])), "exact"
    if choice == 5:
        opts = rng.choice([[], ["REPLACE"], ["DB", "1"], ["DB", "0"], ["DB", "1", "REPLACE"], ["DB", "16"], ["DB", "x"], ["FOO"]])
        return ("COPY", key, rng.choice([other, key]), *opts), "exact"
    if choice == 6:
        return ("MOVE", key, rng.choice(["0", "1", "1", "16", "-1", "one"])), "exact"
    if choice == 7:
        pattern = rng.choice(["*", "k*", "k1?", "{tag}*", "x:[12]", "*a", "nomatch", "k[0-3]", "\\{*"])
        return ("KEYS", pattern), "sorted"
    if choice == 8:
        return (rng.choice(["TTL", "PTTL"]), key), "type"
    if choice == 9:
        return (rng.choice(["EXPIRETIME", "PEXPIRETIME"]), key), "type"
    if choice == 10:
        return ("PERSIST", key), "exact"
    if choice == 11:
        return ("OBJECT", "ENCODING", key), "exact"
    if choice == 12:
        sub = rng.choice(["FREQ", "NOPE", "ENCODING"])
        extra = [] if sub != "ENCODING" else [key]
        return ("OBJECT", sub, key, *extra), "exact"
    if choice == 13:
        return ("OBJECT", "IDLETIME", key), "type"
    if choice == 14:
        return ("DBSIZE",), "exact"
    if choice in (15, 16):
        return ("SELECT", rng.choice(["0", "1", "0", "1", "16", "x"])), "exact"
    if choice == 17:
        return ("SWAPDB", rng.choice(["0", "1"]), rng.choice(["0", "1", "99", "z"])), "exact"
    if choice == 18:
        return ("RANDOMKEY",), "type"
    if choice == 19:
        args = rng.choice(
            [
                ["x"],
                ["0", "COUNT", "0"],
                ["0", "COUNT", "many"],
                ["0", "MATCH"],
                ["0", "BOGUS", "1"],
                ["-"],
            ]
        )
        return ("SCAN", *args), "exact"
    if choice == 20:
        return ("SCAN", "0", "COUNT", "1000", "MATCH", rng.choice(["*", "k*"])), "type"
    if choice == 21 and rng.random() < 0.1:
        return (rng.choice(["FLUSHDB", "FLUSHALL"]),), "exact"
    if choice == 22:
        return ("TYPE", other), "exact"
    return ("OBJECT", "ENCODING", key), "exact"
