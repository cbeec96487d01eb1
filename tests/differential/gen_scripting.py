"""Random scripting commands: EVAL / EVALSHA / EVAL_RO / EVALSHA_RO over a
pool of scripts (reads, writes, conversions, errors), SCRIPT LOAD / EXISTS /
FLUSH, with valid and invalid numkeys and shas.

The script cache outlives a test on the real server but not on a fresh
embedded engine, so every sequence gets its own pool: the bodies carry a
tag drawn once per sequence, and no script of an earlier sequence is ever
asked for again.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from typing import Any, List, Tuple

from . import Cmd

WEIGHT = 4

# (body, numkeys it expects, number of ARGV, norm)
SCRIPTS: List[Tuple[str, int, int, str]] = [
    ("return redis.call('get', KEYS[1])", 1, 0, "exact"),
    ("return redis.call('set', KEYS[1], ARGV[1])", 1, 1, "exact"),
    ("return redis.call('incrby', KEYS[1], ARGV[1])", 1, 1, "exact"),
    ("return redis.pcall('lpush', KEYS[1], ARGV[1])", 1, 1, "exact"),
    ("return redis.call('hset', KEYS[1], ARGV[1], ARGV[2])", 1, 2, "exact"),
    ("return redis.call('lrange', KEYS[1], 0, -1)", 1, 0, "exact"),
    ("return redis.call('smembers', KEYS[1])", 1, 0, "sorted"),
    ("redis.setresp(3) return redis.call('hgetall', KEYS[1])", 1, 0, "sorted_pairs"),
    ("return redis.call('type', KEYS[1])", 1, 0, "exact"),
    ("return {KEYS[1], ARGV[1], #KEYS, #ARGV}", 1, 1, "exact"),
    ("return {redis.call('exists', KEYS[1]), redis.call('exists', KEYS[2])}", 2, 0, "exact"),
    ("return redis.call('nosuch')", 0, 0, "exact"),
    ("return redis.call('incr', KEYS[1], 'extra')", 1, 0, "exact"),
    ("error(ARGV[1])", 0, 1, "exact"),
    ("return redis.error_reply(ARGV[1])", 0, 1, "exact"),
    ("return {ok = ARGV[1]}", 0, 1, "exact"),
    ("return tonumber(ARGV[1])", 0, 1, "exact"),
    ("return cjson.encode({KEYS[1], tonumber(ARGV[1]) or ARGV[1]})", 1, 1, "exact"),
    ("local t = redis.pcall('incr', KEYS[1]) if type(t) == 'table' then return t.err end return t", 1, 0, "exact"),
    (
        "local c = redis.call('incr', KEYS[1]) if c == 1 then redis.call('expire', KEYS[1], 1000) end"
        " return c > tonumber(ARGV[1]) and 0 or 1",
        1,
        1,
        "exact",
    ),
    (
        "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end",
        1,
        1,
        "exact",
    ),
    ("a = 1", 0, 0, "exact"),
    ("return x", 0, 0, "exact"),
    ("return 'x", 0, 0, "exact"),
]

ARGS = ["1", "5", "-3", "v", "", "x y", "1.5", "9223372036854775807", "abc", "0"]

_state: dict = {"rng": None, "tag": ""}


def _pool(rng: random.Random) -> str:
    """This sequence's tag (a new one whenever a new sequence starts)."""
    if _state["rng"] is not rng:
        _state["rng"] = rng
        _state["tag"] = uuid.uuid4().hex
    return _state["tag"]


def _body(rng: random.Random) -> Tuple[str, int, int, str]:
    body, nkeys, nargs, norm = rng.choice(SCRIPTS)
    return f"{body} --{_pool(rng)}", nkeys, nargs, norm


def _numkeys(rng: random.Random, want: int, available: int) -> Any:
    roll = rng.random()
    if roll < 0.05:
        return rng.choice(["-1", "x", str(available + 1), "1.5"])
    return want


def generate(rng: random.Random, keys: List[str]) -> Cmd:
    roll = rng.random()
    body, nkeys, nargs, norm = _body(rng)
    key_args = [rng.choice(keys) for _ in range(nkeys)]
    argv = [rng.choice(ARGS) for _ in range(nargs)]
    if rng.random() < 0.05:
        argv.append(rng.choice(ARGS))
    rest = key_args + argv
    numkeys = _numkeys(rng, nkeys, len(rest))
    sha = hashlib.sha1(body.encode()).hexdigest()
    if roll < 0.45:
        return ("EVAL", body, numkeys, *rest), norm
    if roll < 0.65:
        which = sha if rng.random() < 0.9 else rng.choice(["0" * 40, "abc", sha.upper()])
        return ("EVALSHA", which, numkeys, *rest), norm
    if roll < 0.72:
        return ("EVAL_RO", body, numkeys, *rest), norm
    if roll < 0.77:
        return ("EVALSHA_RO", sha, numkeys, *rest), norm
    if roll < 0.87:
        return ("SCRIPT", "LOAD", body), "exact"
    if roll < 0.95:
        shas = [hashlib.sha1(_body(rng)[0].encode()).hexdigest() for _ in range(rng.randint(1, 3))]
        return ("SCRIPT", "EXISTS", *shas), "exact"
    if roll < 0.98:
        return ("SCRIPT", "FLUSH", *rng.choice([[], ["SYNC"], ["ASYNC"], ["LATER"]])), "exact"
    return ("SCRIPT", rng.choice(["KILL", "NOSUCH"])), "exact"
