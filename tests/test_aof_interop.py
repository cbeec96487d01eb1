"""AOF directories move between redcore and redis-server 7.0 both ways.

A directory redcore wrote (a base RDB, incremental files after a rewrite,
every type, TTLs, two databases) passes ``redis-check-aof`` and loads into
redis-server 7.0 started on it with ``appendonly yes`` with the same data;
a directory redis-server wrote (with an RDB or a RESP base) loads into
redcore with the same data.
"""

from __future__ import annotations

import gc
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

import redcore
from aof_support import aof_config, manifest, wait_for
from conftest import RedisServer
from test_aof import _state
from test_rdb_file import _fill


def _check_aof(path: Path) -> None:
    tool = shutil.which("redis-check-aof") or "/usr/bin/redis-check-aof"
    out = subprocess.run(
        [tool, str(path / "appendonlydir" / "appendonly.aof.manifest")],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "is valid" in out.stdout, out.stdout


def test_redcore_directory_loads_in_redis_server(tmp_path: Path) -> None:
    r = redcore.Redis(config=aof_config(str(tmp_path)))
    r.set("early", "1", ex=1000)
    r.bgrewriteaof()
    wait_for(lambda: r.info("persistence")["aof_rewrite_in_progress"] == 0)
    _fill(r)
    r.incrbyfloat("float", 1.25)
    r.hincrbyfloat("hf", "x", 0.5)
    r.spop("set")
    r.blpop(["list"], 1)
    r.eval("redis.call('set', KEYS[1], 'a'); redis.call('append', KEYS[1], 'b')", 1, "scripted")
    p = r.pipeline(transaction=True)
    p.incr("tx")
    p.incr("tx")
    p.execute()
    want = _state(r)
    r.config_set("appendonly", "no")
    del r
    gc.collect()
    assert [kind for _, kind in manifest(tmp_path / "appendonlydir")] == ["b", "i"]
    _check_aof(tmp_path)
    server = RedisServer(extra=("--dir", str(tmp_path), "--appendonly", "yes"))
    try:
        assert _state(server.client()) == want
    finally:
        server.stop()


@pytest.mark.parametrize("preamble", ["yes", "no"])
def test_redis_server_directory_loads_in_redcore(tmp_path: Path, preamble: str) -> None:
    server = RedisServer(
        extra=("--dir", str(tmp_path), "--appendonly", "yes", "--aof-use-rdb-preamble", preamble)
    )
    try:
        c = server.client()
        c.set("before-rewrite", "1")
        c.bgrewriteaof()
        wait_for(lambda: c.info("persistence")["aof_rewrite_in_progress"] == 0)
        _fill(c)
        c.incrbyfloat("float", 1.25)
        c.spop("set")
        c.pexpire("before-rewrite", 500_000)
        want = _state(c)
    finally:
        server.stop()  # SIGTERM: redis-server flushes its AOF
    base = [name for name, kind in manifest(tmp_path / "appendonlydir") if kind == "b"]
    assert base and base[0].endswith(".base.rdb" if preamble == "yes" else ".base.aof")
    r = redcore.Redis(config=aof_config(str(tmp_path)))
    try:
        assert _state(r) == want
    finally:
        r.config_set("appendonly", "no")
