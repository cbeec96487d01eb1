"""Differential test: the same seeded random command sequences run on the
embedded engine and on the real redis-server; every reply must match.

Generators live in ``tests/differential/gen_*.py`` (one per command group).
"""

from __future__ import annotations

import importlib
import pkgutil
import random
from typing import Any, List

import pytest

from differential import normalize

import differential

GENERATORS = [
    importlib.import_module(f"differential.{m.name}")
    for m in pkgutil.iter_modules(differential.__path__)
    if m.name.startswith("gen_")
]

KEYS = [f"k{i}" for i in range(12)] + ["{tag}a", "{tag}b", "x:1", "x:2"]


def run(client: Any, args: tuple) -> Any:
    try:
        return client.execute_command(*args)
    except Exception as e:  # noqa: BLE001 - errors are replies to compare
        # Error replies, and the ValueError a callback raises on a reply it
        # cannot shape (raw ZADD INCR), must match too.
        return e


def sequence(seed: int, n: int) -> List[tuple]:
    rng = random.Random(seed)
    gens = [g for g in GENERATORS]
    weights = [g.WEIGHT for g in gens]
    out = []
    for _ in range(n):
        g = rng.choices(gens, weights)[0]
        out.append(g.generate(rng, KEYS))
    return out


# Several shorter sequences (more variety of starting points) and one long
# one of 10,000 commands (keys grow large and encodings convert).
# Each runs with redis-py's default protocol (RESP3 on the wire, legacy
# shapes) and with protocol=2; replies compare with their types.
@pytest.mark.parametrize("pair", [{}, {"protocol": 2}], ids=["default", "resp2"], indirect=True)
@pytest.mark.parametrize("seed,n", [(s, 2000) for s in range(6)] + [(1000, 10_000)])
def test_random_sequences_match_redis(pair, seed, n):
    if not GENERATORS:
        pytest.fail("no generators found")
    compare(pair["embedded"], pair["oracle"], seed, n)


def compare(ours: Any, oracle: Any, seed: int, n: int) -> None:
    """Runs sequence ``seed`` on both clients; every reply, then the final
    datasets of databases 0 and 1, must match."""
    for i, (args, norm) in enumerate(sequence(seed, n)):
        a = normalize(run(ours, args), norm)
        b = normalize(run(oracle, args), norm)
        assert a == b, f"seed {seed} step {i}: {args!r}\n  redcore: {a!r}\n  redis:   {b!r}"
    for db in range(2):
        for c in (ours, oracle):
            c.execute_command("SELECT", db)
        for key in KEYS:
            assert snapshot(ours, key) == snapshot(oracle, key), (seed, db, key)
    for c in (ours, oracle):
        c.execute_command("SELECT", 0)


# The same sequences over the wire: redis-py talking to redcore's server
# against redis-py talking to redis-server, in both protocols, so every
# reply also goes through the server's RESP2/RESP3 encoding.
@pytest.mark.parametrize("protocol", [3, 2])
@pytest.mark.parametrize("seed", [10, 11, 12])
def test_random_sequences_match_redis_over_the_server(redis_server, redcore_server, protocol, seed):
    from conftest import make_client

    ours = make_client("server", redis_server, rc_server=redcore_server, protocol=protocol)
    oracle = make_client("oracle", redis_server, protocol=protocol)
    for c in (ours, oracle):
        c.flushall()
    compare(ours, oracle, seed, 2000)
    for c in (ours, oracle):
        c.close()


def snapshot(client: Any, key: str) -> Any:
    """A comparable picture of one key: type, contents and whether it has a TTL."""
    kind = client.type(key)
    kind = kind.decode() if isinstance(kind, bytes) else kind
    contents: Any = None
    if kind == "string":
        contents = client.get(key)
    elif kind == "list":
        contents = client.lrange(key, 0, -1)
    elif kind == "hash":
        contents = sorted(client.hgetall(key).items())
    elif kind == "set":
        contents = sorted(client.smembers(key))
    elif kind == "zset":
        contents = client.zrange(key, 0, -1, withscores=True)
    has_ttl = client.ttl(key) >= 0
    return kind, contents, has_ttl
