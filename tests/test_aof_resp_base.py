"""``aof-use-rdb-preamble no``: a rewrite writes the AOF base as RESP
commands (``appendonly.aof.N.base.aof``), as Redis's rewriteAppendOnlyFile
does, instead of an RDB.

The base named ``type b`` in the manifest holds commands that rebuild every
key: SET, RPUSH / SADD / ZADD / HMSET in batches of at most 64 items
(AOF_REWRITE_ITEMS_PER_CMD), XADD / XSETID / XGROUP CREATE /
XGROUP CREATECONSUMER / XCLAIM for streams, PEXPIREAT for TTLs and a
SELECT per database. redcore loads it back; redis-server 7.0 started on the
directory loads it with the same data, and ``redis-check-aof`` accepts it.
The commands are compared, key by key, with the base redis-server 7.0
writes for the same data.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

import redcore
from aof_support import aof_config, manifest, parse_resp_commands, wait_for
from conftest import RedisServer
from test_aof import _state
from test_aof_interop import _check_aof
from test_rdb_file import _fill

ITEMS_PER_CMD = 64
LIB = "#!lua name=mylib\nredis.register_function('answer', function() return 42 end)"


def _fill_more(c: Any) -> None:
    _fill(c)
    c.xadd("empty-stream", {"f": "v"}, id="5-5")
    c.xdel("empty-stream", "5-5")
    c.xgroup_create("empty-stream", "g", id="0")
    c.xgroup_createconsumer("stream", "grp", "idle-consumer")
    c.zadd("inf", {"lo": float("-inf"), "hi": float("inf"), "tiny": 1e-300})
    c.rpush("ttl-list", "a", "b")
    c.pexpire("ttl-list", 900_000)


def _base(aofdir: Path) -> Tuple[str, bytes]:
    names = [name for name, kind in manifest(aofdir) if kind == "b"]
    assert len(names) == 1, manifest(aofdir)
    return names[0], (aofdir / names[0]).read_bytes()


def _by_key(cmds: List[List[bytes]]) -> Dict[Tuple[int, bytes], List[List[bytes]]]:
    """The commands of a base grouped by (database, key), in order."""
    out: Dict[Tuple[int, bytes], List[List[bytes]]] = defaultdict(list)
    db = 0
    for argv in cmds:
        name = argv[0].upper()
        if name == b"SELECT":
            db = int(argv[1])
            continue
        key = argv[2] if name in (b"XGROUP",) else argv[1]
        out[(db, key)].append(argv)
    return out


def _shape(argv: List[bytes]) -> Tuple[Any, ...]:
    """What must match between two writers: the command, its arity and the
    options it uses (not values that depend on time or hash order)."""
    name = argv[0].upper()
    if name in (b"PEXPIREAT", b"XCLAIM"):
        return (name, len(argv), tuple(a for a in argv if a.isalpha() and a.isupper()))
    return (name, len(argv))


def test_rewrite_without_preamble_writes_a_resp_base(tmp_path: Path) -> None:
    mine = tmp_path / "redcore"
    mine.mkdir()
    r = redcore.Redis(config=aof_config(str(mine), **{"aof-use-rdb-preamble": "no"}))
    _fill_more(r)
    r.function_load(LIB)
    r.bgrewriteaof()
    wait_for(lambda: r.info("persistence")["aof_rewrite_in_progress"] == 0)
    assert r.info("persistence")["aof_last_bgrewrite_status"] == "ok"
    r.set("after-rewrite", "1")
    want = _state(r)
    r.config_set("appendonly", "no")
    del r
    gc.collect()
    aofdir = mine / "appendonlydir"
    name, data = _base(aofdir)
    assert name.endswith(".base.aof") and not data.startswith(b"REDIS")
    assert [kind for _, kind in manifest(aofdir)] == ["b", "i"]
    cmds = parse_resp_commands(data)
    # FUNCTION libraries first, then the databases.
    assert cmds[0] == [b"FUNCTION", b"LOAD", LIB.encode()]
    assert cmds[1] == [b"SELECT", b"0"]
    names = {argv[0] for argv in cmds}
    assert {b"SET", b"RPUSH", b"SADD", b"ZADD", b"HMSET", b"XADD", b"XSETID", b"XGROUP", b"XCLAIM", b"PEXPIREAT"} <= names
    # Variadic commands carry at most 64 items: biglist (2000 items) is
    # 31 commands of 64 and one of 16.
    pushes = [argv for argv in cmds if argv[0] == b"RPUSH" and argv[1] == b"biglist"]
    assert [len(a) - 2 for a in pushes] == [ITEMS_PER_CMD] * 31 + [16]
    hm = [argv for argv in cmds if argv[0] == b"HMSET" and argv[1] == b"bighash"]
    assert max(len(a) - 2 for a in hm) == 2 * ITEMS_PER_CMD and sum(len(a) - 2 for a in hm) == 1200
    # The TTL comes after the key, as an absolute deadline.
    i = next(i for i, a in enumerate(cmds) if a[:2] == [b"ZADD", b"bigzset"])
    ttl = next(a for a in cmds[i:] if a[0] == b"PEXPIREAT")
    assert ttl[1] == b"bigzset" and int(ttl[2]) > 1_600_000_000_000
    _check_aof(mine)
    # redcore reads it back...
    r = redcore.Redis(config=aof_config(str(mine)))
    try:
        assert _state(r) == want
        assert r.fcall("answer", 0) == 42
    finally:
        r.config_set("appendonly", "no")
        del r
        gc.collect()
    # ...and so does redis-server 7.0.
    server = RedisServer(extra=("--dir", str(mine), "--appendonly", "yes"))
    try:
        assert _state(server.client()) == want
        assert server.client().fcall("answer", 0) == 42
    finally:
        server.stop()


def test_resp_base_matches_redis_servers_key_by_key(tmp_path: Path) -> None:
    """The same data rewritten by redis-server 7.0 and by redcore: per key,
    the same commands (name, arity, options) in the same order."""
    theirs_dir = tmp_path / "redis"
    theirs_dir.mkdir()
    server = RedisServer(extra=("--dir", str(theirs_dir), "--appendonly", "yes", "--aof-use-rdb-preamble", "no"))
    try:
        c = server.client()
        _fill_more(c)
        c.bgrewriteaof()
        wait_for(lambda: c.info("persistence")["aof_rewrite_in_progress"] == 0)
    finally:
        server.stop()
    mine_dir = tmp_path / "redcore"
    mine_dir.mkdir()
    r = redcore.Redis(config=aof_config(str(mine_dir), **{"aof-use-rdb-preamble": "no"}))
    _fill_more(r)
    r.bgrewriteaof()
    wait_for(lambda: r.info("persistence")["aof_rewrite_in_progress"] == 0)
    r.config_set("appendonly", "no")
    del r
    gc.collect()
    theirs = _by_key(parse_resp_commands(_base(theirs_dir / "appendonlydir")[1]))
    mine = _by_key(parse_resp_commands(_base(mine_dir / "appendonlydir")[1]))
    assert set(mine) == set(theirs)
    for key in theirs:
        assert [_shape(a) for a in mine[key]] == [_shape(a) for a in theirs[key]], key
        # Ordered types carry the same arguments.
        if theirs[key][0][0] in (b"RPUSH", b"XADD", b"SET", b"XSETID"):
            def timeless(cmds: List[List[bytes]]) -> List[List[bytes]]:
                # Deadlines and delivery times differ between two runs.
                return [
                    [b"<t>" if i and a[i - 1] == b"TIME" else x for i, x in enumerate(a)]
                    for a in cmds
                    if a[0] != b"PEXPIREAT"
                ]

            assert timeless(mine[key]) == timeless(theirs[key]), key
        # Unordered ones the same members.
        if theirs[key][0][0] in (b"SADD", b"HMSET", b"ZADD"):
            def members(cmds: List[List[bytes]]) -> List[bytes]:
                return sorted(x for a in cmds if a[0] == cmds[0][0] for x in a[2:])

            assert members(mine[key]) == members(theirs[key]), key


def test_resp_base_is_written_when_aof_is_turned_on_and_by_bgrewriteaof_when_off(tmp_path: Path) -> None:
    r = redcore.Redis(dir=str(tmp_path), config={"aof-use-rdb-preamble": "no"})
    try:
        r.set("a", "1")
        r.sadd("s", *range(100))
        # AOF off: BGREWRITEAOF writes a base and a manifest naming it.
        r.bgrewriteaof()
        name, data = _base(tmp_path / "appendonlydir")
        assert name == "appendonly.aof.1.base.aof"
        cmds = parse_resp_commands(data)
        assert [a for a in cmds if a[0] == b"SADD"][0][:2] == [b"SADD", b"s"]
        assert sorted(int(x) for a in cmds if a[0] == b"SADD" for x in a[2:]) == list(range(100))
        # Turning AOF on writes a new base.
        r.config_set("appendonly", "yes")
        wait_for(lambda: r.info("persistence")["aof_rewrite_in_progress"] == 0)
        name, data = _base(tmp_path / "appendonlydir")
        assert name == "appendonly.aof.2.base.aof"
        assert [b"SET", b"a", b"1"] in parse_resp_commands(data)
    finally:
        r.config_set("appendonly", "no")
        redcore._redcore.forget_engine(r.connection_pool.name)


@pytest.mark.parametrize("preamble", ["yes", "no"])
def test_function_libraries_survive_a_rewrite(tmp_path: Path, preamble: str) -> None:
    """The base holds the FUNCTION libraries (an RDB base as FUNCTION2
    records, a RESP one as FUNCTION LOAD): after a rewrite drops the
    incremental file that loaded them, a reload still has them."""
    r = redcore.Redis(config=aof_config(str(tmp_path), **{"aof-use-rdb-preamble": preamble}))
    r.function_load(LIB)
    r.bgrewriteaof()
    wait_for(lambda: r.info("persistence")["aof_rewrite_in_progress"] == 0)
    r.config_set("appendonly", "no")
    del r
    gc.collect()
    r = redcore.Redis(config=aof_config(str(tmp_path)))
    try:
        assert r.fcall("answer", 0) == 42
    finally:
        r.config_set("appendonly", "no")
