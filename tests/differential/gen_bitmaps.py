"""Random bitmap commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP,
BITFIELD and BITFIELD_RO with valid and invalid arguments.

Write offsets stay small (a few KB of string at most): Redis really
allocates up to the offset, and both servers must do the same work.
"""

from __future__ import annotations

import random
from typing import Any, List

from . import Cmd

WEIGHT = 8

BAD_INTS = ["x", "1.5", "", " 1", "9223372036854775808", "0x10", "-0"]
BAD_OFFSETS = ["-1", "x", "#3", "4294967296", "1.0", ""]
UNITS = ["BIT", "BYTE", "bit", "byte"]
BAD_UNITS = ["BITS", "WORD", ""]


def _key(rng: random.Random, keys: List[str]) -> str:
    """Mostly a few keys, so bitmaps build up there; any key now and then."""
    return rng.choice(keys[3:7]) if rng.random() < 0.8 else rng.choice(keys)


def _offset(rng: random.Random, small: bool = True) -> Any:
    roll = rng.random()
    if roll < 0.04:
        return rng.choice(BAD_OFFSETS)
    if roll < 0.15 and not small:
        return rng.choice([10**6, 2**31, 4294967295])
    return rng.randrange(64) if rng.random() < 0.7 else rng.randrange(4000)


def _index(rng: random.Random) -> Any:
    if rng.random() < 0.04:
        return rng.choice(BAD_INTS)
    return rng.choice([0, 1, 2, -1, -2, -3, 5, 10, -10, 100, -100, 7, 15, 16, 63, 64, -64,
                       rng.randint(-200, 200), 2**62, -(2**62)])


def _unit(rng: random.Random) -> str:
    return rng.choice(BAD_UNITS) if rng.random() < 0.05 else rng.choice(UNITS)


def _setbit(rng: random.Random, keys: List[str]) -> tuple:
    value = rng.choice(["0", "1", "1", "0", "2", "-1", "x"] if rng.random() < 0.1 else ["0", "1"])
    return ("SETBIT", _key(rng, keys), _offset(rng), value)


def _getbit(rng: random.Random, keys: List[str]) -> tuple:
    return ("GETBIT", _key(rng, keys), _offset(rng, small=False))


def _bitcount(rng: random.Random, keys: List[str]) -> tuple:
    args: List[Any] = ["BITCOUNT", _key(rng, keys)]
    roll = rng.random()
    if roll < 0.2:
        return tuple(args)
    if roll < 0.25:
        return (*args, _index(rng))  # a lone start
    args += [_index(rng), _index(rng)]
    if rng.random() < 0.5:
        args.append(_unit(rng))
    if rng.random() < 0.03:
        args.append("extra")
    return tuple(args)


def _bitpos(rng: random.Random, keys: List[str]) -> tuple:
    bit = rng.choice(["0", "1"] * 10 + ["2", "x", "-1"])
    args: List[Any] = ["BITPOS", _key(rng, keys), bit]
    n = rng.choice([0, 1, 2, 3, 3, 4])
    if n >= 1:
        args.append(_index(rng))
    if n >= 2:
        args.append(_index(rng))
    if n >= 3:
        args.append(_unit(rng))
    if n >= 4:
        args.append("extra")
    return tuple(args)


def _bitop(rng: random.Random, keys: List[str]) -> tuple:
    op = rng.choice(["AND", "OR", "XOR", "NOT", "and", "not", "xor"] * 5 + ["NAND", "ANDX"])
    n = 1 if op.upper() == "NOT" and rng.random() < 0.85 else rng.randint(1, 4)
    return ("BITOP", op, _key(rng, keys), *(_key(rng, keys) for _ in range(n)))


def _field_type(rng: random.Random) -> str:
    if rng.random() < 0.05:
        return rng.choice(["u64", "i65", "i0", "u", "I8", "x8", "u-1", "8", ""])
    if rng.random() < 0.5:
        return "i" + str(rng.choice([1, 2, 3, 4, 7, 8, 16, 31, 32, 63, 64, rng.randint(1, 64)]))
    return "u" + str(rng.choice([1, 2, 3, 4, 7, 8, 16, 31, 32, 63, rng.randint(1, 63)]))


def _field_offset(rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.04:
        return rng.choice(["-1", "x", "#-1", "##1", "#x", "4294967296", "#9223372036854775807"])
    if roll < 0.3:
        return "#" + str(rng.randrange(40))
    return rng.randrange(300)


def _field_value(rng: random.Random) -> Any:
    if rng.random() < 0.04:
        return rng.choice(BAD_INTS)
    return rng.choice([0, 1, -1, 127, 128, -128, 255, 256, 2**31, -(2**31), 2**63 - 1, -(2**63),
                       2**62, rng.randint(-1000, 1000), rng.randint(-(2**40), 2**40)])


def _bitfield_ops(rng: random.Random, read_only: bool) -> List[Any]:
    ops: List[Any] = []
    for _ in range(rng.choice([0, 1, 1, 2, 3, 4])):
        roll = rng.random()
        if roll < 0.15 and not read_only:
            ops += ["OVERFLOW", rng.choice(["WRAP", "SAT", "FAIL", "wrap", "sat", "fail"] * 4 + ["MAYBE"])]
        elif roll < 0.5 or (read_only and roll < 0.95):
            ops += ["GET", _field_type(rng), _field_offset(rng)]
        elif roll < 0.97:
            ops += [rng.choice(["SET", "INCRBY", "set", "incrby"]), _field_type(rng), _field_offset(rng), _field_value(rng)]
        else:
            ops += rng.choice([["GET", "u8"], ["SET", "u8", 0], ["FOO"], ["OVERFLOW"]])
    return ops


def _bitfield(rng: random.Random, keys: List[str]) -> tuple:
    return ("BITFIELD", _key(rng, keys), *_bitfield_ops(rng, False))


def _bitfield_ro(rng: random.Random, keys: List[str]) -> tuple:
    return ("BITFIELD_RO", _key(rng, keys), *_bitfield_ops(rng, rng.random() < 0.9))


_GENERATORS = [
    (_setbit, 5),
    (_getbit, 3),
    (_bitcount, 4),
    (_bitpos, 4),
    (_bitop, 3),
    (_bitfield, 5),
    (_bitfield_ro, 2),
]


def generate(rng: random.Random, keys: List[str]) -> Cmd:
    gen = rng.choices([g for g, _ in _GENERATORS], [w for _, w in _GENERATORS])[0]
    return gen(rng, keys), "exact"
