"""Writes reach the AOF as Redis 7.0 propagates them.

The same commands run on an embedded engine with ``appendonly yes`` and on
a real redis-server 7.0 with ``appendonly yes``; the incremental AOF files
of both, read back as commands (timestamps masked), must be equal: relative
TTLs made absolute, INCRBYFLOAT as SET, SPOP as SREM, blocking pops as
plain pops, consumer-group reads as XCLAIM / XGROUP SETID, scripts and
MULTI/EXEC as MULTI...EXEC blocks, SELECT when the database changes, and
no-op writes left out.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any, Callable, List

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
