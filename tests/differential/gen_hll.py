"""Random HyperLogLog commands: PFADD (single elements and bulk adds that
cross the sparse -> dense boundary), PFCOUNT of one or several keys,
PFMERGE, PFDEBUG, GET of the stored bytes (which must be identical), and
SET of hand-made HLL strings: valid sparse and dense ones (registers up to
63, cached cardinalities valid or stale) and corrupted ones.

Corrupted sparse bodies are cut or extended at opcode boundaries: an XZERO
opcode cut in half at the very end makes Redis read past the string, which
is not something two implementations can agree on byte for byte.
"""

from __future__ import annotations

import random
import struct
from typing import List

from . import Cmd

WEIGHT = 6


def _element(rng: random.Random) -> str:
    if rng.random() < 0.7:
        return str(rng.randrange(3000))
    return rng.choice(["", "a", "b", "\x00", "é", "x" * 40]) + str(rng.randrange(50))


def _header(rng: random.Random, encoding: int) -> bytes:
    card = rng.choice([0, 1, 7, 1000, 2**40])
    raw = bytearray(struct.pack("<Q", card))
    if rng.random() < 0.7:
        raw[7] |= 0x80
    return b"HYLL" + bytes([encoding, 0, 0, 0]) + bytes(raw)


def _opcodes(rng: random.Random) -> List[bytes]:
    """A random valid sparse body, as a list of opcodes."""
    ops: List[bytes] = []
    left = 16384
    while left:
        roll = rng.random()
        if roll < 0.3:
            n = min(left, rng.randint(1, 64))
            ops.append(bytes([n - 1]))
        elif roll < 0.5:
            n = min(left, rng.choice([65, 300, 4000, 16384]))
            ops.append(bytes([0x40 | ((n - 1) >> 8), (n - 1) & 0xFF]))
        else:
            n = min(left, rng.randint(1, 4))
            v = rng.choice([1, 1, 2, 3, 5, 31, 32])
            ops.append(bytes([0x80 | ((v - 1) << 2) | (n - 1)]))
        left -= n
    return ops


def _dense(rng: random.Random) -> bytes:
    pick = rng.choice([[0, 1, 2], [0, 0, 0, 1], [0, 51], [50, 51, 63], list(range(64))])
    out = bytearray(12288)
    for i in range(16384):
        v = rng.choice(pick)
        byte, bit = divmod(i * 6, 8)
        out[byte] |= (v << bit) & 0xFF
        if byte + 1 < len(out):
            out[byte + 1] |= v >> (8 - bit)
    return bytes(out)


def _crafted(rng: random.Random) -> bytes:
    """An HLL string: valid, or broken in one of the ways Redis detects."""
    roll = rng.random()
    if roll < 0.3:
        return _header(rng, 1) + b"".join(_opcodes(rng))
    if roll < 0.45:
        return _header(rng, 0) + _dense(rng)
    ops = _opcodes(rng)
    if roll < 0.55:
        ops = ops[: rng.randrange(len(ops))]  # runs end short
    elif roll < 0.65:
        ops.append(rng.choice([b"\x80", b"\x00", b"\x40\x00", b"\xfc"]))  # past the end
    elif roll < 0.72:
        ops[rng.randrange(len(ops))] = b"\x7f\xff"  # an overlong run
    elif roll < 0.78:
        return _header(rng, 0) + _dense(rng)[: rng.choice([0, 100, 12287])]  # wrong size
    elif roll < 0.84:
        return b"HYLX" + _header(rng, 1)[4:] + b"".join(ops)
    elif roll < 0.9:
        return _header(rng, rng.choice([2, 255])) + b"".join(ops)
    else:
        return _header(rng, 1)[: rng.randrange(16)]
    return _header(rng, 1) + b"".join(ops)


def generate(rng: random.Random, keys: List[str]) -> Cmd:
    k = rng.choice(keys)
    roll = rng.random()
    if roll < 0.25:
        n = rng.choice([0, 1, 1, 2, 5, 20])
        return ("PFADD", k, *[_element(rng) for _ in range(n)]), "exact"
    if roll < 0.31:
        start = rng.randrange(100_000)
        n = rng.choice([100, 800, 1500, 2500])
        return ("PFADD", k, *[f"bulk{i}" for i in range(start, start + n)]), "exact"
    if roll < 0.46:
        ks = rng.sample(keys, rng.choice([1, 1, 1, 2, 3]))
        return ("PFCOUNT", *ks), "exact"
    if roll < 0.56:
        ks = rng.sample(keys, rng.choice([1, 2, 3, 4]))
        return ("PFMERGE", *ks), "exact"
    if roll < 0.7:
        return ("GET", k), "exact"
    if roll < 0.8:
        sub = rng.choice(["ENCODING", "DECODE", "TODENSE", "todense", "decode", "BAD"])
        if rng.random() < 0.05:
            sub = "GETREG"
        return ("PFDEBUG", sub, k), "exact"
    if roll < 0.9:
        return ("SET", k, _crafted(rng)), "exact"
    if roll < 0.93:
        return ("OBJECT", "ENCODING", k), "exact"
    if roll < 0.96:
        return rng.choice([("PFADD",), ("PFCOUNT",), ("PFMERGE",), ("PFDEBUG", "ENCODING"),
                           ("PFDEBUG", "ENCODING", k, "x")]), "exact"
    return rng.choice([("DEL", k), ("DEL", k), ("SET", k, "not an hll"), ("RPUSH", k, "x")]), "exact"
