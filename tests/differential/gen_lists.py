"""Random list commands: pushes, pops, ranges, edits, searches and moves,
with valid and invalid indexes, counts, options and key types."""

from __future__ import annotations

import random
from typing import Any, Callable, Dict, List

from . import Cmd

WEIGHT = 10

ELEMENTS = ["a", "b", "c", "a", "1", "-1", "", "long-" + "x" * 40]
BAD_INTS = ["x", "1.5", "", " 1", "9223372036854775808", "-9223372036854775809", "0x10"]
EXTREMES = [2**63 - 1, -(2**63)]


def _elem(rng: random.Random) -> str:
    return rng.choice(ELEMENTS)


def _elems(rng: random.Random, most: int = 4) -> List[str]:
    return [_elem(rng) for _ in range(rng.randint(1, most))]


def _index(rng: random.Random) -> Any:
    """Mostly in-range indexes, sometimes far out, extreme or not integers."""
    roll = rng.random()
    if roll < 0.75:
        return rng.randint(-8, 8)
    if roll < 0.85:
        return rng.choice([-1000, 1000, 100, -100])
    if roll < 0.93:
        return rng.choice(EXTREMES)
    return rng.choice(BAD_INTS)


def _count(rng: random.Random) -> Any:
    """Counts: small, zero, negative, huge or malformed."""
    roll = rng.random()
    if roll < 0.7:
        return rng.randint(0, 6)
    if roll < 0.8:
        return rng.randint(-3, -1)
    if roll < 0.9:
        return rng.choice(EXTREMES + [1000])
    return rng.choice(BAD_INTS)


def _end(rng: random.Random) -> str:
    if rng.random() < 0.05:
        return rng.choice(["UP", "", "LEFTX"])
    return rng.choice(["LEFT", "RIGHT", "left", "Right"])


def _push(rng: random.Random, keys: List[str]) -> tuple:
    cmd = rng.choice(["LPUSH", "RPUSH", "LPUSH", "RPUSH", "LPUSHX", "RPUSHX"])
    return (cmd, rng.choice(keys), *_elems(rng, 5))


def _pop(rng: random.Random, keys: List[str]) -> tuple:
    cmd = rng.choice(["LPOP", "RPOP"])
    roll = rng.random()
    if roll < 0.45:
        return (cmd, rng.choice(keys))
    if roll < 0.97:
        return (cmd, rng.choice(keys), _count(rng))
    return (cmd, rng.choice(keys), 1, 2)


def _lrange(rng: random.Random, keys: List[str]) -> tuple:
    return ("LRANGE", rng.choice(keys), _index(rng), _index(rng))


def _ltrim(rng: random.Random, keys: List[str]) -> tuple:
    # Mostly gentle trims so lists survive long enough to be interesting.
    if rng.random() < 0.6:
        return ("LTRIM", rng.choice(keys), rng.randint(-8, 1), rng.randint(-1, 12))
    return ("LTRIM", rng.choice(keys), _index(rng), _index(rng))


def _lindex(rng: random.Random, keys: List[str]) -> tuple:
    return ("LINDEX", rng.choice(keys), _index(rng))


def _lset(rng: random.Random, keys: List[str]) -> tuple:
    return ("LSET", rng.choice(keys), _index(rng), _elem(rng))


def _linsert(rng: random.Random, keys: List[str]) -> tuple:
    where = rng.choice(["BEFORE", "AFTER", "before", "After"] * 5 + ["MIDDLE"])
    return ("LINSERT", rng.choice(keys), where, _elem(rng), _elem(rng))


def _lrem(rng: random.Random, keys: List[str]) -> tuple:
    roll = rng.random()
    count: Any = rng.randint(-3, 3) if roll < 0.85 else rng.choice(EXTREMES + BAD_INTS[:2])
    return ("LREM", rng.choice(keys), count, _elem(rng))


def _lpos(rng: random.Random, keys: List[str]) -> tuple:
    args: List[Any] = ["LPOS", rng.choice(keys), _elem(rng)]
    opts = ["RANK", "COUNT", "MAXLEN"]
    for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
        opt = rng.choice(opts)
        if opt == "RANK":
            roll = rng.random()
            val: Any = rng.choice([1, 2, 3, -1, -2, -3]) if roll < 0.8 else rng.choice([0, "x"] + EXTREMES)
        elif opt == "COUNT":
            val = rng.randint(0, 4) if rng.random() < 0.85 else rng.choice([-1, "x", 2**63 - 1])
        else:
            val = rng.randint(0, 5) if rng.random() < 0.85 else rng.choice([-1, "1.5", 2**63 - 1])
        args += [rng.choice([opt, opt.lower()]), val]
    if rng.random() < 0.04:
        args.append(rng.choice(["RANK", "FOO"]))
    return tuple(args)


def _lmove(rng: random.Random, keys: List[str]) -> tuple:
    src = rng.choice(keys)
    dst = src if rng.random() < 0.2 else rng.choice(keys)
    if rng.random() < 0.3:
        return ("RPOPLPUSH", src, dst)
    return ("LMOVE", src, dst, _end(rng), _end(rng))


def _lmpop(rng: random.Random, keys: List[str]) -> tuple:
    names = [rng.choice(keys) for _ in range(rng.randint(1, 3))]
    roll = rng.random()
    numkeys: Any = len(names)
    if roll < 0.08:
        numkeys = rng.choice([0, -1, "x", len(names) + 1, len(names) + 5, 2**63 - 1])
    elif roll < 0.12:
        numkeys = max(1, len(names) - 1)
    args: List[Any] = ["LMPOP", numkeys, *names, _end(rng)]
    roll = rng.random()
    if roll < 0.5:
        args += ["COUNT", rng.randint(1, 5)]
    elif roll < 0.6:
        args += ["COUNT", rng.choice([0, -1, "x", 2**63 - 1])]
    elif roll < 0.63:
        args += ["COUNT", 1, "COUNT", 2]
    elif roll < 0.65:
        args += ["COUNT"]
    return tuple(args)


def _llen(rng: random.Random, keys: List[str]) -> tuple:
    return ("LLEN", rng.choice(keys))


def _other_type(rng: random.Random, keys: List[str]) -> tuple:
    """Occasional strings and deletions so WRONGTYPE and missing keys occur
    even when this generator runs alone."""
    if rng.random() < 0.3:
        return ("SET", rng.choice(keys), _elem(rng))
    return ("DEL", rng.choice(keys))


_GENERATORS: Dict[Callable[[random.Random, List[str]], tuple], int] = {
    _push: 14,
    _pop: 7,
    _lrange: 6,
    _ltrim: 2,
    _lindex: 4,
    _lset: 3,
    _linsert: 4,
    _lrem: 3,
    _lpos: 6,
    _lmove: 5,
    _lmpop: 4,
    _llen: 2,
    _other_type: 2,
}


def generate(rng: random.Random, keys: List[str]) -> Cmd:
    gen = rng.choices(list(_GENERATORS), list(_GENERATORS.values()))[0]
    return gen(rng, keys), "exact"
