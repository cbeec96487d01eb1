"""Writes reach the AOF as Redis 7.0 propagates them.

The same commands run on an embedded engine with ``appendonly yes`` and on
a real redis-server 7.0 with ``appendonly yes``; the incremental AOF files
of both, read back as commands (timestamps masked), must be equal: relative
TTLs made absolute, INCRBYFLOAT as SET, SPOP as SREM, blocking pops as
plain pops, consumer-group reads as XCLAIM / XGROUP SETID, scripts and
MULTI/EXEC as MULTI...EXEC blocks, SELECT when the database changes, and
no-op writes left out. Deletions made outside any command (the active
expiry sweep, evictions) are one DEL or UNLINK each, without MULTI/EXEC.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import pytest
import redis

import redcore
from aof_support import aof_config, fresh_name, incr_commands, normalize
from conftest import RedisServer


def _script(c: Any, db2: Any) -> None:
    x = c.execute_command
    now = int(time.time())
    x("SET", "k", "v", "EX", "100")
    x("SET", "k2", "v", "PX", "100000")
    x("SET", "k5", "v", "EXAT", str(now + 500))
    x("SET", "k6", "v", "PXAT", str(now * 1000 + 500000))
    x("SETEX", "k3", "100", "v")
    x("PSETEX", "k4", "100000", "v")
    x("SET", "plain", "v")
    x("SET", "plain", "w", "NX")  # no-op: not propagated
    x("DEL", "missing")  # no-op
    x("SET", "kk", "v", "KEEPTTL", "GET")
    x("EXPIRE", "k", "200")
    x("PEXPIRE", "k", "250000", "GT")
    x("PEXPIRE", "k", "1000", "GT")  # not greater: no-op
    x("EXPIREAT", "k", str(now + 3000))
    x("EXPIRE", "nokey", "10")  # no-op
    x("EXPIRE", "plain", "-1")  # deleted: DEL
    x("GETEX", "k2", "EX", "50")
    x("GETEX", "k2", "PERSIST")
    x("GETEX", "k2")  # no-op
    x("GETDEL", "k3")
    x("INCRBYFLOAT", "f", "1.5")
    x("INCRBYFLOAT", "f", "0.1")
    x("HINCRBYFLOAT", "h", "x", "2.5")
    x("SADD", "s", "a")
    x("SPOP", "s")
    x("SADD", "s2", "a", "b", "c", "d")
    x("SPOP", "s2", "10")  # empties the set: DEL
    x("RPUSH", "l", "a", "b", "c", "d", "e")
    x("BLPOP", "l", "1")
    x("BRPOP", "l", "1")
    x("LMPOP", "1", "l", "LEFT", "COUNT", "2")
    x("BLPOP", "nolist", "0.01")  # times out: nothing
    x("RPUSH", "l2", "a", "b", "c")
    x("BLMOVE", "l2", "l3", "LEFT", "RIGHT", "1")
    x("BRPOPLPUSH", "l2", "l3", "1")
    x("BLMPOP", "1", "1", "l3", "RIGHT", "COUNT", "5")
    x("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d")
    x("BZPOPMIN", "z", "1")
    x("BZPOPMAX", "z", "1")
    x("ZMPOP", "1", "z", "MAX", "COUNT", "1")
    x("BZMPOP", "1", "1", "z", "MIN")
    p = c.pipeline(transaction=True)
    p.set("m1", 1)
    p.incr("m1")
    p.get("m1")
    p.execute()
    p = c.pipeline(transaction=True)
    p.set("m2", 1)
    p.get("m2")
    p.execute()
    x("EVAL", "redis.call('set', KEYS[1], '1'); redis.call('incr', KEYS[1])", "1", "ek")
    x("EVAL", "redis.call('set', KEYS[1], '1')", "1", "ek2")
    x("EVAL", "return redis.call('get', KEYS[1])", "1", "ek2")  # read-only
    db2.set("in2", "v")
    x("SET", "back0", "v")
    x("XADD", "st", "*", "a", "1")
    x("XADD", "st", "*", "a", "2")
    x("XGROUP", "CREATE", "st", "g", "0")
    x("XREADGROUP", "GROUP", "g", "c1", "COUNT", "1", "STREAMS", "st", ">")
    x("XREADGROUP", "GROUP", "g", "c1", "NOACK", "STREAMS", "st", ">")
    x("XADD", "st", "MAXLEN", "=", "5", "*", "a", "3")
    x("XTRIM", "st", "MAXLEN", "10")
    x("HSET", "hh", "a", "1", "b", "2")
    x("HDEL", "hh", "zz")  # no-op
    x("LPUSH", "q", "1")
    x("LREM", "q", "0", "9")  # no-op
    x("XADD", "st2", "1-1", "a", "1")
    x("XADD", "st2", "1-2", "a", "2")
    x("XADD", "st2", "1-3", "a", "3")
    x("XGROUP", "CREATE", "st2", "g", "0")
    x("XREADGROUP", "GROUP", "g", "c1", "STREAMS", "st2", ">")
    x("XCLAIM", "st2", "g", "c2", "0", "1-1")
    x("XDEL", "st2", "1-2")
    x("XAUTOCLAIM", "st2", "g", "c3", "0", "0")
    x("XREADGROUP", "GROUP", "g", "c3", "STREAMS", "st2", "0")
    x("XACK", "st2", "g", "1-3")
    x("XADD", "st3", "1-1", "a", "1")
    x("XADD", "st3", "1-2", "a", "2")
    x("XGROUP", "CREATE", "st3", "g", "0")
    x("XREADGROUP", "GROUP", "g", "c1", "STREAMS", "st3", ">")
    x("XDEL", "st3", "1-1")
    x("XCLAIM", "st3", "g", "c2", "0", "1-1", "1-2")
    for i in range(300):
        x("XADD", "big", "*", "n", str(i))
    x("XTRIM", "big", "MAXLEN", "~", "10")
    x("XADD", "big", "MAXLEN", "~", "5", "*", "n", "x")
    x("SET", "dumped", "payload")
    payload = x("DUMP", "dumped")
    x("RESTORE", "restored", "100000", payload)
    x("RESTORE", "restored2", "0", payload)
    # Lazy expiry only: the active sweep would race with the sleeps.
    x("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    x("SET", "short", "v", "PX", "1")
    time.sleep(0.01)
    x("GET", "short")  # expired on access: DEL
    x("SET", "short2", "v", "PX", "1")
    time.sleep(0.01)
    x("SET", "short2", "w")  # expired, then written
    # The same through the typed method (the embedded fast path for a
    # plain SET), in this db and another one.
    x("SET", "short4", "v", "PX", "1")
    time.sleep(0.01)
    c.set("short4", "w")  # expired, then written
    c.set("typed", "v")
    db2.set("typed2", "v")
    c.set("typed", "w")
    x("CONFIG", "SET", "lazyfree-lazy-expire", "yes")
    x("SET", "short3", "v", "PX", "1")
    time.sleep(0.01)
    x("EXISTS", "short3")  # expired on access: UNLINK
    x("EXPIRE", "back0", "0")  # deleted at once: UNLINK
    x("CONFIG", "SET", "lazyfree-lazy-expire", "no")
    x("DEBUG", "SET-ACTIVE-EXPIRE", "1")
    x("RPUSH", "tosort", "3", "1", "2")
    x("SORT", "tosort", "STORE", "sorted")
    x("SWAPDB", "0", "3")
    x("SWAPDB", "0", "3")
    x("MOVE", "sorted", "4")
    x("COPY", "tosort", "copied", "DB", "5")
    lib = "#!lua name=aoflib\nredis.register_function('setboth', function(keys, args) redis.call('set', keys[1], args[1]); return redis.call('set', keys[2], args[1]) end)"
    x("FUNCTION", "LOAD", lib)
    x("FCALL", "setboth", "2", "fa", "fb", "1")
    x("FUNCTION", "DELETE", "aoflib")
    x("FLUSHDB")


def _oracle_run(tmp: str) -> List[List[str]]:
    server = RedisServer(extra=("--appendonly", "yes", "--appendfsync", "always", "--dir", tmp, "--enable-debug-command", "yes"))
    try:
        c = redis.Redis(port=server.port)
        c.execute_command("FLUSHALL")
        before = len(incr_commands(Path(tmp) / "appendonlydir"))
        _script(c, redis.Redis(port=server.port, db=2))
        cmds = incr_commands(Path(tmp) / "appendonlydir")[before:]
    finally:
        server.stop()
    return normalize(cmds)


def _embedded_run(tmp: str) -> List[List[str]]:
    name = fresh_name("aof-prop")
    c = redcore.Redis(name=name, config=aof_config(tmp, **{"enable-debug-command": "yes"}))
    c.execute_command("FLUSHALL")
    before = len(incr_commands(Path(tmp) / "appendonlydir"))
    _script(c, redcore.Redis(name=name, db=2))
    cmds = incr_commands(Path(tmp) / "appendonlydir")[before:]
    redcore.Redis(name=name).config_set("appendonly", "no")
    return normalize(cmds)


def test_writes_propagate_as_redis_7_0_propagates_them() -> None:
    with tempfile.TemporaryDirectory(prefix="aof-prop-o-") as o, tempfile.TemporaryDirectory(
        prefix="aof-prop-e-"
    ) as e:
        want = _oracle_run(o)
        got = _embedded_run(e)
    assert got == want


def _by_db(cmds: List[List[str]]) -> List[Tuple[int, Tuple[str, ...]]]:
    """Each command with the database it ran on (SELECTs folded in)."""
    db = 0
    out = []
    for cmd in cmds:
        if cmd[0] == "SELECT":
            db = int(cmd[1])
        else:
            out.append((db, tuple(cmd)))
    return out


def _both(script: Callable[[Any, Callable[[int], Any]], None], **config: str) -> Dict[str, List[List[str]]]:
    """The AOF commands ``script(client, client_on_db)`` leaves on
    redis-server 7.0 and on the embedded engine, both with appendonly yes
    (appendfsync always) and ``config``."""
    out: Dict[str, List[List[str]]] = {}
    with tempfile.TemporaryDirectory(prefix="aof-bg-o-") as tmp:
        extra: Tuple[str, ...] = ("--appendonly", "yes", "--appendfsync", "always", "--dir", tmp)
        for k, v in config.items():
            extra += (f"--{k}", v)
        server = RedisServer(extra=extra)
        try:
            c = redis.Redis(port=server.port)
            before = len(incr_commands(Path(tmp) / "appendonlydir"))
            script(c, lambda db: redis.Redis(port=server.port, db=db))
            out["redis"] = normalize(incr_commands(Path(tmp) / "appendonlydir")[before:])
        finally:
            server.stop()
    with tempfile.TemporaryDirectory(prefix="aof-bg-e-") as tmp:
        name = fresh_name("aof-bg")
        c = redcore.Redis(name=name, config=aof_config(tmp, **config))
        try:
            before = len(incr_commands(Path(tmp) / "appendonlydir"))
            script(c, lambda db: redcore.Redis(name=name, db=db))
            out["redcore"] = normalize(incr_commands(Path(tmp) / "appendonlydir")[before:])
        finally:
            c.config_set("appendonly", "no")
            redcore._redcore.forget_engine(name)
    return out


def _wait_empty(*clients: Any) -> None:
    """Waits until the background sweep has deleted every key (DBSIZE
    counts expired keys until they are deleted; nothing here reads them)."""
    deadline = time.time() + 10
    while any(c.dbsize() for c in clients):
        assert time.time() < deadline, "the active expiry did not delete the keys"
        time.sleep(0.02)


def _expiry_script(c: Any, on_db: Callable[[int], Any]) -> None:
    db3 = on_db(3)
    c.set("stays", "1")
    for i in range(40):
        c.set(f"e{i}", "v", px=60)
    for i in range(10):
        db3.set(f"f{i}", "v", px=60)
    _wait_empty(db3)
    while c.dbsize() > 1:
        time.sleep(0.02)
    c.config_set("lazyfree-lazy-expire", "yes")
    for i in range(20):
        c.set(f"u{i}", "v", px=60)
    while c.dbsize() > 1:
        time.sleep(0.02)
    c.config_set("lazyfree-lazy-expire", "no")
    c.set("done", "1")


def test_background_expirations_are_single_deletes_as_in_redis_7_0() -> None:
    """Keys that the active expiry sweep deletes reach the AOF as one DEL
    (UNLINK under lazyfree-lazy-expire) each, never in MULTI/EXEC; which
    sweep cycle takes which key is timing, so the deletions are compared
    as a set of (database, command)."""
    got = _both(_expiry_script)
    for name, cmds in got.items():
        names = [cmd[0] for cmd in cmds]
        assert "MULTI" not in names and "EXEC" not in names, (name, cmds)
        assert names.count("DEL") == 50 and names.count("UNLINK") == 20, (name, cmds)
        assert cmds[-1] == ["SET", "done", "1"], name
    assert sorted(_by_db(got["redcore"])) == sorted(_by_db(got["redis"]))
    # The writes themselves keep their order.
    writes = lambda cmds: [c for c in _by_db(cmds) if c[1][0] == "SET"]
    assert writes(got["redcore"]) == writes(got["redis"])


def _eviction_script(c: Any, on_db: Callable[[int], Any]) -> None:
    db1 = on_db(1)
    c.set("plain", "1")
    c.set("a", "v", ex=100)
    db1.set("d", "v", ex=150)
    c.set("b", "v", ex=200)
    c.set("c", "v", ex=300)
    # Memory can never get under one byte: every key with a TTL goes, by
    # nearest deadline (volatile-ttl samples them all), then writes are
    # refused; plain keys stay.
    c.config_set("maxmemory", "1")
    assert c.get("plain") == b"1"
    with pytest.raises(redis.ResponseError):
        c.set("refused", "1")
    c.config_set("maxmemory", "0")
    c.set("g", "v", ex=100)
    c.set("h", "v", ex=50)
    c.config_set("lazyfree-lazy-eviction", "yes")
    c.config_set("maxmemory", "1")
    assert c.get("plain") == b"1"
    c.config_set("maxmemory", "0")
    c.config_set("lazyfree-lazy-eviction", "no")
    c.set("done", "1")


def test_evictions_are_single_deletes_as_in_redis_7_0() -> None:
    """Evicted keys reach the AOF as one DEL (UNLINK under
    lazyfree-lazy-eviction) each, in eviction order, never in MULTI/EXEC."""
    got = _both(_eviction_script, **{"maxmemory-policy": "volatile-ttl"})
    assert "MULTI" not in [cmd[0] for cmd in got["redis"]]
    assert _by_db(got["redcore"]) == _by_db(got["redis"])
    dels = [c for c in _by_db(got["redis"]) if c[1][0] in ("DEL", "UNLINK")]
    assert dels == [
        (0, ("DEL", "a")),
        (1, ("DEL", "d")),
        (0, ("DEL", "b")),
        (0, ("DEL", "c")),
        (0, ("UNLINK", "h")),
        (0, ("UNLINK", "g")),
    ]


def _bulk_eviction_script(c: Any, on_db: Callable[[int], Any]) -> None:
    c.config_set("maxmemory", str(c.info("memory")["used_memory"] + 100_000))
    p = c.pipeline(transaction=False)
    for i in range(400):
        p.set(f"k{i}", "x" * 1000)
    p.execute()
    evicted = c.info("stats")["evicted_keys"]
    assert evicted > 100
    c.config_set("maxmemory", "0")
    c.set("evicted", str(evicted))


def test_bulk_evictions_are_one_delete_per_evicted_key() -> None:
    """A write stream over maxmemory (allkeys-random): each eviction is a
    DEL of its own, as many as INFO's evicted_keys, on both engines."""
    got = _both(_bulk_eviction_script, **{"maxmemory-policy": "allkeys-random"})
    for name, cmds in got.items():
        names = [cmd[0] for cmd in cmds]
        assert "MULTI" not in names, name
        assert cmds[-1][:2] == ["SET", "evicted"], name
        dels = [cmd for cmd in cmds if cmd[0] == "DEL"]
        assert len(dels) == int(cmds[-1][2]), name
        assert all(len(d) == 2 and d[1].startswith("k") for d in dels), name
        assert names.count("SET") == 401, name
