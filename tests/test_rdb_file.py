"""SAVE / BGSAVE write RDB files that Redis 7.0 itself loads.

The embedded engine saves every data type (in both of each type's
encodings), TTLs and several databases; a fresh ``redis-server`` started on
that file must hold the same keys with the same types, values and TTLs,
and ``redis-check-rdb`` must accept the file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any, Dict

import pytest

import redcore

from conftest import RedisServer


def _fill(r: Any) -> None:
    """Every type, small (compact encoding) and large, with and without TTLs."""
    r.set("int", 12345)
    r.set("neg", -7)
    r.set("bigint", 2**62)
    r.set("embstr", "hello")
    r.set("raw", "x" * 100)
    r.set("compressible", "abc" * 200)
    r.set("binary", bytes(range(256)))
    r.append("appended", "grown")
    r.set("ttl", "v", px=500_000)
    r.rpush("list", *[f"e{i}" for i in range(10)])
    r.rpush("biglist", *[str(i) * 20 for i in range(2000)])
    r.hset("hash", mapping={"a": "1", "b": "two"})
    r.hset("bighash", mapping={f"f{i}": "v" * 70 for i in range(600)})
    r.sadd("intset", 1, 2, 3, -100, 2**40)
    r.sadd("set", "a", "b", "c")
    r.sadd("bigintset", *range(1000))
    r.zadd("zset", {"a": 1, "b": 2.5, "c": -3})
    r.zadd("bigzset", {f"m{i}": i / 7 for i in range(300)})
    r.expire("bigzset", 100_000)
    r.xadd("stream", {"f": "v"}, id="1-1")
    r.xadd("stream", {"f": "w", "g": "x"}, id="2-0")
    r.xadd("stream", {"f": "z"}, id="3-5")
    r.xgroup_create("stream", "grp", id="0")
    r.xreadgroup("grp", "alice", {"stream": ">"}, count=2)
    r.xgroup_create("stream", "grp2", id="$")
    r.select(3)
    r.set("in-db3", "yes")
    r.lpush("list-db3", "x")
    r.expireat("list-db3", int(time.time()) + 3600)
    r.select(0)


def _snapshot(r: Any, db: int) -> Dict[bytes, Any]:
    """Type, value and expiry deadline (PEXPIRETIME) of every key of ``db``."""
    r.select(db)
    out: Dict[bytes, Any] = {}
    for key in r.keys("*"):
        t = r.type(key)
        if t == b"string":
            value: Any = r.get(key)
        elif t == b"list":
            value = r.lrange(key, 0, -1)
        elif t == b"hash":
            value = r.hgetall(key)
        elif t == b"set":
            value = r.smembers(key)
        elif t == b"zset":
            value = r.zrange(key, 0, -1, withscores=True)
        else:
            groups = r.xinfo_groups(key)
            pending = [r.xpending_range(key, g["name"], "-", "+", 10) for g in groups]
            for p in pending:
                for entry in p:
                    entry.pop("time_since_delivered", None)
            value = (r.xrange(key), groups, pending, r.xinfo_stream(key)["last-generated-id"])
        # The absolute deadline (milliseconds), which RDB and AOF files
        # keep exactly; a TTL would move between two snapshots.
        out[key] = (t, value, r.pexpiretime(key))
    r.select(0)
    return out


@pytest.fixture
def rdb_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The embedded engine's ``dir`` is the working directory (Redis
    chdirs to its ``dir``), so tests save into a temp directory."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _load_in_redis(path: Path) -> RedisServer:
    return RedisServer(extra=("--dir", str(path.parent), "--dbfilename", path.name))


@pytest.mark.parametrize("how", ["save", "bgsave"])
def test_saved_file_loads_in_redis_server(rdb_dir: Path, how: str) -> None:
    r = redcore.Redis()
    _fill(r)
    before = r.lastsave()
    if how == "save":
        assert r.save() is True
    else:
        assert r.bgsave() is True
        deadline = time.time() + 10
        while r.info("persistence")["rdb_bgsave_in_progress"]:
            assert time.time() < deadline
            time.sleep(0.01)
    info = r.info("persistence")
    assert info["rdb_changes_since_last_save"] == 0
    assert info["rdb_last_bgsave_status"] == "ok"
    assert r.lastsave() >= before
    path = rdb_dir / "dump.rdb"
    assert path.read_bytes().startswith(b"REDIS0010")
    assert not [p for p in os.listdir(rdb_dir) if p.startswith("temp-")]

    check = subprocess.run(
        [shutil.which("redis-check-rdb") or "/usr/bin/redis-check-rdb", str(path)],
        capture_output=True, text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "RDB looks OK" in check.stdout

    server = _load_in_redis(path)
    try:
        loaded = server.client()
        for db in (0, 3):
            assert _snapshot(loaded, db) == _snapshot(r, db), db
        assert loaded.dbsize() == r.dbsize()
        assert loaded.object("encoding", "intset") == b"intset"
        assert loaded.object("encoding", "bighash") == b"hashtable"
    finally:
        server.stop()


def test_save_follows_dbfilename_and_counts_changes(rdb_dir: Path) -> None:
    r = redcore.Redis(decode_responses=True)
    r.set("a", 1)
    r.set("b", 2)
    assert r.info("persistence")["rdb_changes_since_last_save"] == 2
    assert r.config_get("dir") == {"dir": str(rdb_dir.resolve())}
    assert r.config_get("dbfilename") == {"dbfilename": "dump.rdb"}
    r.save()
    assert (rdb_dir / "dump.rdb").exists()
    assert r.info("persistence")["rdb_changes_since_last_save"] == 0
    r.delete("a")
    assert r.info("persistence")["rdb_changes_since_last_save"] == 1


def test_empty_dataset_saves_a_valid_file(rdb_dir: Path) -> None:
    r = redcore.Redis()
    r.save()
    server = _load_in_redis(rdb_dir / "dump.rdb")
    try:
        assert server.client().dbsize() == 0
    finally:
        server.stop()


def test_bgrewriteaof_writes_a_base_file_and_manifest(rdb_dir: Path) -> None:
    """Redis 7.0 rewrites the AOF even with appendonly off: a base RDB
    (aof-base set) under appenddirname, and a manifest naming it."""
    r = redcore.Redis()
    r.set("k", "v")
    assert r.bgrewriteaof() is True
    d = rdb_dir / "appendonlydir"
    assert (d / "appendonly.aof.manifest").read_text() == "file appendonly.aof.1.base.rdb seq 1 type b\n"
    base = (d / "appendonly.aof.1.base.rdb").read_bytes()
    assert base.startswith(b"REDIS0010") and b"aof-base\xc0\x01" in base
    r.bgrewriteaof()
    assert sorted(os.listdir(d)) == ["appendonly.aof.2.base.rdb", "appendonly.aof.manifest"]
    assert (d / "appendonly.aof.manifest").read_text() == "file appendonly.aof.2.base.rdb seq 2 type b\n"


def test_save_rules_trigger_background_saves(tmp_path: Path) -> None:
    """``save 1 2``: two changes and more than a second since the last
    save start a background save, as Redis's cron does."""
    r = redcore.Redis(config={"dir": str(tmp_path), "save": "1 2"})
    r.set("a", 1)
    time.sleep(1.5)
    assert not (tmp_path / "dump.rdb").exists()  # one change is not enough
    r.set("b", 2)
    deadline = time.time() + 5
    while not (tmp_path / "dump.rdb").exists():
        assert time.time() < deadline
        time.sleep(0.05)
    _wait = time.time() + 5
    while r.info("persistence")["rdb_changes_since_last_save"]:
        assert time.time() < _wait
        time.sleep(0.05)
    assert r.info("persistence")["rdb_saves"] >= 1


@pytest.mark.parametrize("policy", ["allkeys-lru", "allkeys-lfu"])
def test_access_data_is_saved_under_lru_and_lfu_policies(rdb_dir: Path, policy: str) -> None:
    """Under an LRU policy each key's idle time is saved, under LFU its
    access counter, and redis-server reads them back."""
    r = redcore.Redis(config={"maxmemory-policy": policy})
    r.set("k", "v")
    if policy.endswith("lru"):
        r.restore("old", 0, r.dump("k"), idletime=1000)
    else:
        r.restore("old", 0, r.dump("k"), frequency=100)
    r.save()
    path = rdb_dir / "dump.rdb"
    server = RedisServer(extra=("--dir", str(rdb_dir), "--dbfilename", path.name, "--maxmemory-policy", policy))
    try:
        loaded = server.client()
        if policy.endswith("lru"):
            assert 1000 <= loaded.object("idletime", "old") <= 1005
            assert loaded.object("idletime", "k") <= 5
        else:
            assert loaded.object("freq", "old") == 100
            assert loaded.object("freq", "k") == r.object("freq", "k")
    finally:
        server.stop()
