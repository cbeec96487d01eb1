"""Random stream commands for the differential test.

IDs are explicit: each sequence keeps a logical clock (stored on its
``rng``) that new XADD IDs mostly move forward, so streams grow, while
older and malformed IDs exercise the errors. ``*`` is never used: its IDs
come from each server's clock and would make later replies differ.
Nothing blocks (no BLOCK), idle-time filters are 0 or huge, and replies
that carry times (XINFO CONSUMERS, XPENDING with a range, XINFO STREAM
FULL) are compared by length or type only. Some values are 1 KB, so nodes
fill by bytes and approximate trimming hits node boundaries.
"""

from __future__ import annotations

import random
from typing import List

from . import Cmd

WEIGHT = 10

FIELDS = ["f", "g", "h", "1", ""]
VALUES = ["1", "v", "", "12345", "-7", "0", "x" * 70, "y" * 1000, "3.5"]
GROUPS = ["g1", "g2", "g3"]
CONSUMERS = ["c1", "c2", "c3", ""]
BAD_IDS = ["x", "1-x", "-1", "1-", "", "18446744073709551616", "1--1"]
SPECIAL_IDS = ["0", "0-0", "0-1", "18446744073709551615-18446744073709551615", "+", "-"]


def _key(rng: random.Random, keys: List[str]) -> str:
    """Mostly this group's four keys, sometimes any key (WRONGTYPE)."""
    home = keys[8:12] or keys
    return rng.choice(home if rng.random() < 0.85 else keys)


def _clock(rng: random.Random) -> List[int]:
    clock = getattr(rng, "_stream_clock", None)
    if clock is None:
        clock = [1]
        rng._stream_clock = clock  # type: ignore[attr-defined]
    return clock


def _new_id(rng: random.Random) -> str:
    clock = _clock(rng)
    clock[0] += rng.choice([0, 1, 1, 1, 2, 3, 50])
    ms = clock[0]
    form = rng.random()
    if form < 0.6:
        return f"{ms}-{rng.choice([0, 0, 1, 2])}"
    if form < 0.8:
        return f"{ms}-*"
    return str(ms)


def _old_id(rng: random.Random) -> str:
    ms = rng.randint(0, _clock(rng)[0] + 1)
    return rng.choice([f"{ms}-0", f"{ms}-1", str(ms), f"{ms}-2"])


def _id(rng: random.Random) -> str:
    """An ID for reads, deletes and acks: mostly existing-ish."""
    r = rng.random()
    if r < 0.8:
        return _old_id(rng)
    if r < 0.9:
        return rng.choice(SPECIAL_IDS)
    return rng.choice(BAD_IDS)


def _bound(rng: random.Random, low: bool) -> str:
    r = rng.random()
    if r < 0.25:
        return "-" if low else "+"
    if r < 0.4:
        return "(" + _old_id(rng)
    if r < 0.45:
        return rng.choice(BAD_IDS + ["(", "(-", "(+", "(0-0"])
    return _old_id(rng)


def _count(rng: random.Random) -> str:
    return rng.choice(["1", "2", "3", "10", "0", "-1", "x", "100"])


def _trim(rng: random.Random) -> List[str]:
    strategy = rng.choice(["MAXLEN", "MAXLEN", "MINID"])
    out = [strategy]
    mode = rng.choice(["", "=", "~", "~"])
    if mode:
        out.append(mode)
    if strategy == "MAXLEN":
        out.append(rng.choice(["0", "1", "3", "5", "8", "10", "20", "20", "50", "-1", "x"]))
    else:
        out.append(_id(rng))
    if rng.random() < 0.2:
        out += ["LIMIT", rng.choice(["0", "1", "4", "100", "-1"])]
    return out


def _xadd(rng: random.Random, k: str) -> Cmd:
    args = ["XADD", k]
    if rng.random() < 0.1:
        args.append("NOMKSTREAM")
    if rng.random() < 0.15:
        args += _trim(rng)
    r = rng.random()
    args.append(_new_id(rng) if r < 0.85 else _old_id(rng) if r < 0.95 else rng.choice(BAD_IDS + ["0-0"]))
    pairs = rng.choice([1, 1, 2, 3])
    for _ in range(pairs):
        args += [rng.choice(FIELDS), rng.choice(VALUES)]
    if rng.random() < 0.03:
        args.pop()
    return tuple(args), "exact"


def _xgroup(rng: random.Random, k: str) -> Cmd:
    sub = rng.choice(["CREATE"] * 5 + ["SETID", "DESTROY", "CREATECONSUMER", "DELCONSUMER"])
    if rng.random() < 0.02:
        sub = "HELP"
    g = rng.choice(GROUPS)
    if sub == "HELP":
        return ("XGROUP", "HELP"), "exact"
    if sub in ("CREATE", "SETID"):
        args = ["XGROUP", sub, k, g, rng.choice(["$", "0", _old_id(rng), _old_id(rng), rng.choice(BAD_IDS + ["-", "+"])])]
        if sub == "CREATE" and rng.random() < 0.5:
            args.append("MKSTREAM")
        if rng.random() < 0.2:
            args += ["ENTRIESREAD", rng.choice(["0", "1", "3", "-1", "-2", "x", "100"])]
        return tuple(args), "exact"
    if sub == "DESTROY":
        return ("XGROUP", sub, k, g), "exact"
    return ("XGROUP", sub, k, g, rng.choice(CONSUMERS)), "exact"


def _xreadgroup(rng: random.Random, keys: List[str], k: str) -> Cmd:
    args = ["XREADGROUP", "GROUP", rng.choice(GROUPS), rng.choice(CONSUMERS)]
    if rng.random() < 0.5:
        args += ["COUNT", _count(rng)]
    if rng.random() < 0.15:
        args.append("NOACK")
    streams = [k] if rng.random() < 0.8 else [k, _key(rng, keys)]
    ids = [rng.choice([">"] * 6 + ["0", "0", _old_id(rng), "$", rng.choice(BAD_IDS)]) for _ in streams]
    return tuple(args + ["STREAMS", *streams, *ids]), "exact"


def _xclaim(rng: random.Random, k: str) -> Cmd:
    args = ["XCLAIM", k, rng.choice(GROUPS), rng.choice(CONSUMERS), rng.choice(["0", "0", "0", "3600000", "x", "-5"])]
    args += [_id(rng) for _ in range(rng.randint(1, 3))]
    for _ in range(rng.randint(0, 2)):
        args += rng.choice([
            ["JUSTID"], ["JUSTID"], ["FORCE"], ["RETRYCOUNT", rng.choice(["0", "5", "-1", "x"])],
            ["IDLE", rng.choice(["0", "1000", "x"])], ["TIME", rng.choice(["0", "1", "-5"])],
            ["LASTID", _id(rng)], ["BOGUS"],
        ])
    return tuple(args), "exact"


def generate(rng: random.Random, keys: List[str]) -> Cmd:
    k = _key(rng, keys)
    g, c = rng.choice(GROUPS), rng.choice(CONSUMERS)
    r = rng.random()
    if r < 0.32:
        return _xadd(rng, k)
    if r < 0.40:
        cmd = rng.choice(["XRANGE", "XREVRANGE"])
        lo, hi = _bound(rng, True), _bound(rng, False)
        args = [cmd, k, *((hi, lo) if cmd == "XREVRANGE" else (lo, hi))]
        if rng.random() < 0.4:
            args += ["COUNT", _count(rng)]
        return tuple(args), "exact"
    if r < 0.43:
        return ("XLEN", k), "exact"
    if r < 0.49:
        return ("XDEL", k, *[_id(rng) for _ in range(rng.randint(1, 3))]), "exact"
    if r < 0.52:
        return ("XTRIM", k, *_trim(rng)), "exact"
    if r < 0.64:
        return _xgroup(rng, k)
    if r < 0.73:
        return _xreadgroup(rng, keys, k)
    if r < 0.76:
        args = ["XREAD"]
        if rng.random() < 0.4:
            args += ["COUNT", _count(rng)]
        streams = [k] if rng.random() < 0.7 else [k, _key(rng, keys)]
        return tuple(args + ["STREAMS", *streams, *[rng.choice(["0", "$", _old_id(rng), ">"]) for _ in streams]]), "exact"
    if r < 0.81:
        return ("XACK", k, g, *[_id(rng) for _ in range(rng.randint(1, 3))]), "exact"
    if r < 0.84:
        return ("XPENDING", k, g), "exact"
    if r < 0.86:
        args = ["XPENDING", k, g]
        if rng.random() < 0.3:
            args += ["IDLE", rng.choice(["0", "999999999999999"])]
        args += [_bound(rng, True), _bound(rng, False), _count(rng)]
        if rng.random() < 0.4:
            args.append(c)
        return tuple(args), "len"
    if r < 0.90:
        return _xclaim(rng, k)
    if r < 0.93:
        args = ["XAUTOCLAIM", k, g, c, rng.choice(["0", "0", "3600000", "x"]), _bound(rng, True)]
        if rng.random() < 0.5:
            args += ["COUNT", rng.choice(["1", "2", "5", "0", "x"])]
        if rng.random() < 0.4:
            args.append("JUSTID")
        return tuple(args), "exact"
    if r < 0.955:
        return ("XINFO", "GROUPS", k), "exact"
    if r < 0.975:
        return ("XINFO", "STREAM", k), "exact"
    if r < 0.98:
        return ("XINFO", "STREAM", k, "FULL", "COUNT", _count(rng)), "type"
    if r < 0.985:
        return ("XINFO", "CONSUMERS", k, g), "len"
    args = ["XSETID", k, rng.choice([_new_id(rng), _old_id(rng), rng.choice(BAD_IDS)])]
    if rng.random() < 0.3:
        args += ["ENTRIESADDED", rng.choice(["0", "5", "1000", "-1"])]
    if rng.random() < 0.3:
        args += ["MAXDELETEDID", _old_id(rng)]
    return tuple(args), "exact"
