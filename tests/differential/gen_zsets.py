"""Random sorted-set commands for the differential test.

Members come from a small pool of short names, so every sorted set stays
a listpack on both servers: that keeps ZSCAN replies (whole set, in order)
and lex ranges over mixed scores (a linear scan in a listpack, but a
descent whose path depends on random node levels in a skip list)
deterministic. Skip-list behaviour is covered by tests/commands.
"""

from __future__ import annotations

import random
from typing import Any, List

from . import Cmd

WEIGHT = 10

MEMBERS = [
    "a", "b", "c", "d", "e", "f", "aa", "ab", "ba", "bb", "A", "Z", "",
    "1", "2", "10", "-1", "007", "3.5", "x:1", "m" * 64, "\xe9t\xe9",
]
SCORES = [
    "0", "1", "2", "3", "-1", "1.5", "-2.25", "0.1", "-0", "+0", "10", "1e17",
    "100", "1e300", "-1e300", "inf", "-inf", "+inf", "9007199254740993", "4611686018427387904",
    ".5", "5.", "0x10", "1E-3",
]
BAD_SCORES = ["abc", "nan", "", " 1", "1e400", "1.5x", "inf1", "--1"]
SCORE_BOUNDS = [
    "-inf", "+inf", "inf", "0", "1", "2", "(1", "(0", "(2", "1.5", "(1.5", "-1", "(-1",
    "1e300", "(inf", "(-inf", "3", "(3", "10", "-0", "(-0", "",
]
BAD_SCORE_BOUNDS = ["abc", "nan", "(nan", "[1", "1x", "((1"]
LEX_BOUNDS = ["-", "+", "[a", "(a", "[b", "(b", "[aa", "(ab", "[c", "(f", "[", "(", "[1", "(10", "[Z", "[zz"]
BAD_LEX_BOUNDS = ["a", "-a", "+b", "1", "]a"]
WEIGHTS = ["1", "2", "-1", "0", "0.5", "-0.5", "3", "inf", "-inf", "1e300"]
BAD_WEIGHTS = ["abc", "nan", "", "1e400"]
INTS = ["0", "1", "2", "3", "-1", "-2", "-3", "5", "10", "-10", "100", "-100"]
BAD_INTS = ["x", "1.5", "", "99999999999999999999"]


def _pick(rng: random.Random, good: List[str], bad: List[str], p_bad: float = 0.05) -> str:
    return rng.choice(bad) if rng.random() < p_bad else rng.choice(good)


def _score(rng: random.Random) -> str:
    return _pick(rng, SCORES, BAD_SCORES, 0.04)


def _sbound(rng: random.Random) -> str:
    return _pick(rng, SCORE_BOUNDS, BAD_SCORE_BOUNDS)


def _lbound(rng: random.Random) -> str:
    return _pick(rng, LEX_BOUNDS, BAD_LEX_BOUNDS)


def _int(rng: random.Random) -> str:
    return _pick(rng, INTS, BAD_INTS, 0.03)


def _members(rng: random.Random, n: int) -> List[str]:
    return [rng.choice(MEMBERS) for _ in range(n)]


def _case(rng: random.Random, word: str) -> str:
    return word.lower() if rng.random() < 0.3 else word


def _limit(rng: random.Random) -> List[str]:
    offset = _pick(rng, ["0", "0", "1", "2", "3", "-1", "10"], BAD_INTS, 0.03)
    count = _pick(rng, ["1", "2", "3", "5", "-1", "-5", "0", "100"], BAD_INTS, 0.03)
    return ["LIMIT", offset, count]


def _score_key(bound: str) -> float:
    try:
        return float(bound.lstrip("(") or "0")
    except ValueError:
        return 0.0


def _lex_key(bound: str) -> tuple:
    return (0, "") if bound == "-" else (2, "") if bound == "+" else (1, bound[1:])


def _ordered(rng: random.Random, a: str, b: str, key: Any, rev: bool) -> List[str]:
    """Mostly min <= max (max first for the reverse forms), sometimes as
    drawn, so empty and inverted ranges still come up."""
    if rng.random() < 0.75:
        a, b = sorted((a, b), key=key)
        if rev:
            a, b = b, a
    return [a, b]


def _zadd(rng: random.Random, key: str) -> Cmd:
    opts = [o for o in ("NX", "XX", "GT", "LT", "CH", "INCR") if rng.random() < 0.15]
    rng.shuffle(opts)
    # INCR mostly with the single pair it allows.
    pairs = 1 if "INCR" in opts and rng.random() < 0.9 else rng.randint(1, 5)
    args: List[Any] = ["ZADD", key, *(_case(rng, o) for o in opts)]
    # Often one score for all, which is what lex ranges are meant for.
    same = rng.choice(["0", "1"]) if rng.random() < 0.3 else None
    for m in _members(rng, pairs):
        args += [same or _score(rng), m]
    if rng.random() < 0.03:
        args.append(rng.choice(MEMBERS))  # odd argument count
    return tuple(args), "exact"


def _range_opts(rng: random.Random, kind: str, store: bool) -> List[str]:
    opts: List[List[str]] = []
    if kind != "rank" or rng.random() < 0.05:
        if kind == "score" or (kind == "rank" and rng.random() < 0.5):
            opts.append(["BYSCORE"])
        else:
            opts.append(["BYLEX"])
    if rng.random() < 0.4:
        opts.append(["REV"])
    if rng.random() < 0.4 and (kind != "rank" or rng.random() < 0.1):
        opts.append(_limit(rng))
    if not store and rng.random() < 0.4 and (kind != "lex" or rng.random() < 0.1):
        opts.append(["WITHSCORES"])
    if rng.random() < 0.03:
        opts.append([rng.choice(["BYSCORE", "REV", "FOO", "LIMIT"])])
    rng.shuffle(opts)
    return [_case(rng, w) for o in opts for w in o]


def _bounds(rng: random.Random, kind: str, rev: bool = False) -> List[str]:
    if kind == "score":
        return _ordered(rng, _sbound(rng), _sbound(rng), _score_key, rev)
    if kind == "lex":
        return _ordered(rng, _lbound(rng), _lbound(rng), _lex_key, rev)
    start = _pick(rng, ["0", "0", "1", "2", "-1", "-2", "-3", "5", "-100"], BAD_INTS, 0.03)
    end = _pick(rng, ["-1", "-1", "0", "1", "2", "3", "-2", "10", "100"], BAD_INTS, 0.03)
    return [start, end]


def _setop(rng: random.Random, keys: List[str], cmd: str) -> Cmd:
    store = cmd.endswith("STORE")
    n = rng.randint(1, 4)
    numkeys = str(n) if rng.random() < 0.95 else rng.choice(["0", "-1", "x", str(n + 2)])
    args: List[Any] = [cmd]
    if store:
        args.append(rng.choice(keys))
    args += [numkeys, *(rng.choice(keys) for _ in range(n))]
    algebra = cmd not in ("ZDIFF", "ZDIFFSTORE", "ZINTERCARD")
    if cmd == "ZINTERCARD":
        if rng.random() < 0.5:
            args += ["LIMIT", _pick(rng, ["0", "1", "2", "5"], ["-1", "x"], 0.1)]
    else:
        if (algebra or rng.random() < 0.05) and rng.random() < 0.4:
            count = n if rng.random() < 0.95 else n - 1
            args += ["WEIGHTS", *(_pick(rng, WEIGHTS, BAD_WEIGHTS, 0.03) for _ in range(count))]
        if (algebra or rng.random() < 0.05) and rng.random() < 0.4:
            args += ["AGGREGATE", _pick(rng, ["SUM", "MIN", "MAX", "sum", "min", "max"], ["AVG", "COUNT"])]
        if (not store or rng.random() < 0.05) and rng.random() < 0.5:
            args.append(_case(rng, "WITHSCORES"))
    return tuple(args), "exact"


def generate(rng: random.Random, keys: List[str]) -> Cmd:
    key = rng.choice(keys)
    r = rng.random() * 100
    if r < 18:
        return _zadd(rng, key)
    if r < 22:
        return ("ZINCRBY", key, _score(rng), rng.choice(MEMBERS)), "exact"
    if r < 26:
        return ("ZREM", key, *_members(rng, rng.randint(1, 3))), "exact"
    if r < 30:
        cmd = rng.choice(["ZSCORE", "ZRANK", "ZREVRANK"])
        # WITHSCORE (Redis 7.2) has no 7.0 oracle: the draw stays, so the
        # seeds keep their sequences, but the option is not sent
        # (commands/test_newer_commands.py covers it).
        _ = cmd != "ZSCORE" and rng.random() < 0.05
        return (cmd, key, rng.choice(MEMBERS)), "exact"
    if r < 32:
        return ("ZMSCORE", key, *_members(rng, rng.randint(1, 4))), "exact"
    if r < 34:
        return ("ZCARD", key), "exact"
    if r < 37:
        return ("ZCOUNT", key, *_bounds(rng, "score")), "exact"
    if r < 40:
        return ("ZLEXCOUNT", key, *_bounds(rng, "lex")), "exact"
    if r < 52:
        kind = rng.choice(["rank", "rank", "score", "lex"])
        opts = _range_opts(rng, kind, False)
        rev = any(o.upper() == "REV" for o in opts)
        return ("ZRANGE", key, *_bounds(rng, kind, rev), *opts), "exact"
    if r < 60:
        cmd, kind = rng.choice([
            ("ZREVRANGE", "rank"), ("ZRANGEBYSCORE", "score"), ("ZREVRANGEBYSCORE", "score"),
            ("ZRANGEBYLEX", "lex"), ("ZREVRANGEBYLEX", "lex"),
        ])
        opts: List[str] = []
        if rng.random() < 0.4 and (kind != "lex" or rng.random() < 0.1):
            opts.append("WITHSCORES")
        if rng.random() < 0.4 and (kind != "rank" or rng.random() < 0.1):
            opts += _limit(rng)
        return (cmd, key, *_bounds(rng, kind, cmd.startswith("ZREV")), *opts), "exact"
    if r < 64:
        kind = rng.choice(["rank", "score", "lex"])
        dst = rng.choice(keys)
        opts = _range_opts(rng, kind, True)
        rev = any(o.upper() == "REV" for o in opts)
        return ("ZRANGESTORE", dst, key, *_bounds(rng, kind, rev), *opts), "exact"
    if r < 68:
        cmd, kind = rng.choice([
            ("ZREMRANGEBYRANK", "rank"), ("ZREMRANGEBYSCORE", "score"), ("ZREMRANGEBYLEX", "lex"),
        ])
        return (cmd, key, *_bounds(rng, kind)), "exact"
    if r < 73:
        cmd = rng.choice(["ZPOPMIN", "ZPOPMAX"])
        count = [] if rng.random() < 0.4 else [_pick(rng, ["0", "1", "2", "3", "10"], ["-1", "x"], 0.05)]
        return (cmd, key, *count), "exact"
    if r < 76:
        n = rng.randint(1, 3)
        args: List[Any] = ["ZMPOP", str(n) if rng.random() < 0.95 else rng.choice(["0", "x", "5"])]
        args += [rng.choice(keys) for _ in range(n)]
        args.append(_pick(rng, ["MIN", "MAX", "min", "max"], ["MID"], 0.05))
        if rng.random() < 0.5:
            args += ["COUNT", _pick(rng, ["1", "2", "5", "100"], ["0", "-1", "x"], 0.1)]
        return tuple(args), "exact"
    if r < 88:
        cmd = rng.choice(["ZUNION", "ZINTER", "ZDIFF", "ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE", "ZINTERCARD"])
        return _setop(rng, keys, cmd)
    if r < 92:
        if rng.random() < 0.2:
            # The one random member can be any of them: compare only its type.
            return ("ZRANDMEMBER", key), "type"
        count = _pick(rng, ["0", "1", "2", "3", "-1", "-3", "-8", "5", "30"], ["x"], 0.05)
        extra = [_case(rng, "WITHSCORES")] if rng.random() < 0.4 else []
        return ("ZRANDMEMBER", key, count, *extra), "len"
    if r < 96:
        args = ["ZSCAN", key, "0"]
        if rng.random() < 0.3:
            args += ["MATCH", rng.choice(["*", "a*", "?", "[ab]*", "*1*", "x:*"])]
        if rng.random() < 0.3:
            args += ["COUNT", _pick(rng, ["1000", "100000"], ["0", "x"], 0.1)]
        # Other groups' commands can grow a set into a skiplist, whose
        # cursor is implementation-specific: compare finished scans only.
        return tuple(args), "scan"
    if r < 97.8:
        # Plain sets are valid inputs to the set algebra.
        return ("SADD", key, *_members(rng, rng.randint(1, 3))), "exact"
    if r < 98.3:
        return ("SET", key, rng.choice(MEMBERS)), "exact"
    return ("DEL", key), "exact"
