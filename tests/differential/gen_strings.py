"""Random string commands: SET and its options, the GET variants, counters,
APPEND, ranges and LCS, with valid and invalid arguments.

TTLs are either far in the future or already past, so replies never depend
on how fast the two servers run.
"""

from __future__ import annotations

import random
from typing import Any, Callable, Dict, List

from . import Cmd

WEIGHT = 12

VALUES = [
    "v", "hello", "", "0", "1", "-1", "42", "007", "-0", " 1", "1 ", "+1", "1.5",
    "-2.25", "1e5", "5.0e3", "0x10", "inf", "nan", "3.0", "10.50",
    "9223372036854775807", "-9223372036854775808", "9223372036854775808",
    "ohmytext", "mynewtext", "x" * 44, "y" * 45, "ab" * 30, "\x00\xff",
]
BAD_INTS = ["x", "1.5", "", " 1", "9223372036854775808", "-9223372036854775809", "0x10", "1e3"]
FAR_FUTURE_S = 4102444800  # 2100-01-01
FAR_FUTURE_MS = FAR_FUTURE_S * 1000


def _value(rng: random.Random) -> str:
    if rng.random() < 0.15:
        return str(rng.randint(-1000, 1000))
    return rng.choice(VALUES)


def _bad_or(rng: random.Random, good: Any, p: float = 0.1) -> Any:
    return rng.choice(BAD_INTS) if rng.random() < p else good


def _expiry(rng: random.Random) -> List[Any]:
    """One expiry option: far away, already past, or invalid."""
    kind = rng.choice(["EX", "PX", "EXAT", "PXAT", "ex", "pxat"])
    roll = rng.random()
    if roll < 0.15:
        return [kind, rng.choice(["0", "-1", "abc", "1.5", str(2**63 - 1), str(2**63 // 1000 + 1)])]
    if roll < 0.3 and kind.upper() in ("EXAT", "PXAT"):
        return [kind, rng.choice([1, 1000, 1_600_000_000])]
    if kind.upper() == "EX":
        return [kind, rng.randint(10_000, 10**8)]
    if kind.upper() == "PX":
        return [kind, rng.randint(10**7, 10**11)]
    if kind.upper() == "EXAT":
        return [kind, FAR_FUTURE_S + rng.randint(0, 1000)]
    return [kind, FAR_FUTURE_MS + rng.randint(0, 10**6)]


def _set(rng: random.Random, keys: List[str]) -> tuple:
    opts: List[Any] = []
    for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
        roll = rng.random()
        if roll < 0.2:
            opts.append(rng.choice(["NX", "XX", "nx"]))
        elif roll < 0.35:
            opts.append("GET")
        elif roll < 0.45:
            opts.append("KEEPTTL")
        elif roll < 0.9:
            opts.extend(_expiry(rng))
        else:
            opts.append(rng.choice(["PERSIST", "FOO", "EX"]))
    return ("SET", rng.choice(keys), _value(rng), *opts)


def _getex(rng: random.Random, keys: List[str]) -> tuple:
    opts: List[Any] = []
    for _ in range(rng.choice([0, 1, 1, 2])):
        roll = rng.random()
        if roll < 0.25:
            opts.append("PERSIST")
        elif roll < 0.9:
            opts.extend(_expiry(rng))
        else:
            opts.append(rng.choice(["KEEPTTL", "NX", "GET"]))
    return ("GETEX", rng.choice(keys), *opts)


def _setex(rng: random.Random, keys: List[str]) -> tuple:
    cmd = rng.choice(["SETEX", "PSETEX"])
    ttl = rng.randint(10**7, 10**9) if rng.random() < 0.8 else rng.choice(["0", "-5", "x", str(2**63 - 1)])
    return (cmd, rng.choice(keys), ttl, _value(rng))


def _mset(rng: random.Random, keys: List[str]) -> tuple:
    cmd = rng.choice(["MSET", "MSETNX"])
    args: List[Any] = []
    for _ in range(rng.randint(1, 3)):
        args += [rng.choice(keys), _value(rng)]
    if rng.random() < 0.05:
        args.pop()
    return (cmd, *args)


def _incr(rng: random.Random, keys: List[str]) -> tuple:
    key = rng.choice(keys)
    cmd = rng.choice(["INCR", "DECR", "INCRBY", "DECRBY"])
    if cmd in ("INCR", "DECR"):
        return (cmd, key)
    roll = rng.random()
    if roll < 0.8:
        by: Any = rng.randint(-1000, 1000)
    elif roll < 0.9:
        by = rng.choice([2**63 - 1, -(2**63), 2**62])
    else:
        by = rng.choice(BAD_INTS)
    return (cmd, key, by)


def _incrbyfloat(rng: random.Random, keys: List[str]) -> tuple:
    roll = rng.random()
    if roll < 0.6:
        by: Any = rng.choice(["0.1", "1", "-1.5", "2.5e2", "1e-5", "3", "-0.0", "17.25"])
    elif roll < 0.8:
        by = str(rng.randint(-100, 100))
    else:
        by = rng.choice(["abc", "", "inf", "-inf", "nan", "1e308", "0x1p4", " 1"])
    return ("INCRBYFLOAT", rng.choice(keys), by)


def _range_index(rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.8:
        return rng.randint(-70, 70)
    if roll < 0.9:
        return rng.choice([2**63 - 1, -(2**63), 1000, -1000])
    return rng.choice(BAD_INTS)


def _getrange(rng: random.Random, keys: List[str]) -> tuple:
    cmd = rng.choice(["GETRANGE", "SUBSTR"])
    return (cmd, rng.choice(keys), _range_index(rng), _range_index(rng))


def _setrange(rng: random.Random, keys: List[str]) -> tuple:
    roll = rng.random()
    if roll < 0.8:
        offset: Any = rng.randint(0, 70)
    elif roll < 0.9:
        # Past proto-max-bulk-len (an error), never just under it.
        offset = rng.choice([-1, 536870912, 2**63 - 1])
    else:
        offset = rng.choice(BAD_INTS)
    value = "" if rng.random() < 0.15 else _value(rng)
    return ("SETRANGE", rng.choice(keys), offset, value)


def _lcs(rng: random.Random, keys: List[str]) -> tuple:
    opts: List[Any] = []
    for _ in range(rng.choice([0, 0, 1, 2, 3])):
        roll = rng.random()
        if roll < 0.25:
            opts.append("IDX")
        elif roll < 0.45:
            opts.append("LEN")
        elif roll < 0.65:
            opts.append("WITHMATCHLEN")
        elif roll < 0.9:
            opts += ["MINMATCHLEN", _bad_or(rng, rng.randint(-2, 5))]
        else:
            opts.append(rng.choice(["FOO", "MINMATCHLEN"]))
    return ("LCS", rng.choice(keys), rng.choice(keys), *opts)


def _simple(cmd: str) -> Callable[[random.Random, List[str]], tuple]:
    return lambda rng, keys: (cmd, rng.choice(keys))


def _with_value(cmd: str) -> Callable[[random.Random, List[str]], tuple]:
    return lambda rng, keys: (cmd, rng.choice(keys), _value(rng))


GENERATORS: Dict[Callable[[random.Random, List[str]], tuple], int] = {
    _set: 12,
    _simple("GET"): 6,
    _with_value("SETNX"): 2,
    _setex: 2,
    _with_value("GETSET"): 2,
    _simple("GETDEL"): 2,
    _getex: 3,
    lambda rng, keys: ("MGET", *rng.sample(keys, rng.randint(1, 4))): 2,
    _mset: 3,
    _incr: 5,
    _incrbyfloat: 4,
    _with_value("APPEND"): 4,
    _simple("STRLEN"): 2,
    _getrange: 4,
    _setrange: 4,
    _lcs: 3,
}


def generate(rng: random.Random, keys: List[str]) -> Cmd:
    gen = rng.choices(list(GENERATORS), list(GENERATORS.values()))[0]
    return gen(rng, keys), "exact"
