"""The append-only file: Redis 7's multi-part layout in ``dir``, reloaded
when an engine opens the directory again.

Covers the files a fresh directory gets (base RDB, first incremental file,
manifest), replay of every type after a restart, BGREWRITEAOF (new base and
incremental file, manifest swapped, old files gone), turning AOF on and off
at runtime with CONFIG SET, the CONFIG parameters and INFO fields, and the
loader's handling of truncated tails (``aof-load-truncated``), unfinished
MULTI blocks and corrupt files (an error naming the file and offset, never
a partial load).
"""

from __future__ import annotations

import gc
import os
import time
from pathlib import Path
from typing import Any

import pytest

import redcore
from aof_support import aof_config, manifest, parse_resp_commands, wait_for
from test_rdb_file import _fill, _snapshot


def _open(path: Path, **extra: str) -> Any:
    """A private engine on ``path`` (closed when the client goes)."""
    return redcore.Redis(config=aof_config(str(path), **extra))


def _state(r: Any) -> dict:
    """Every key of dbs 0 and 3. A consumer group's read counter (and the
    lag derived from it) is left out: Redis 7.0 propagates group reads as
    XCLAIM ... LASTID, which does not carry it, so Redis itself reloads
    its AOF with the counter unknown."""
    out = {}
    for db in (0, 3):
        snap = _snapshot(r, db)
        for key, (t, value, ttl) in snap.items():
            if t == b"stream":
                for g in value[1]:
                    g.pop("entries-read", None)
                    g.pop("lag", None)
        out[db] = snap
    return out


def _aofdir(path: Path) -> Path:
    return path / "appendonlydir"


def test_fresh_directory_gets_base_incr_and_manifest(tmp_path: Path) -> None:
    r = _open(tmp_path)
    d = _aofdir(tmp_path)
    assert manifest(d) == [("appendonly.aof.1.base.rdb", "b"), ("appendonly.aof.1.incr.aof", "i")]
    assert (d / "appendonly.aof.1.base.rdb").read_bytes().startswith(b"REDIS0010")
    r.set("k", "v")
    assert parse_resp_commands((d / "appendonly.aof.1.incr.aof").read_bytes()) == [
        [b"SELECT", b"0"],
        [b"SET", b"k", b"v"],
    ]
    del r  # the engine (and its directory lock) goes with its last client
    gc.collect()


def test_every_type_survives_a_restart(tmp_path: Path) -> None:
    r = _open(tmp_path)
    _fill(r)
    r.incrbyfloat("float", 2.5)
    r.spop("set")
    want = _state(r)
    del r  # the engine (and its directory lock) goes with its last client
    gc.collect()
    again = _open(tmp_path)
    assert _state(again) == want
    # And it keeps appending to the same files.
    again.set("after", "restart")
    del again  # the engine (and its directory lock) goes with its last client
    gc.collect()
    third = _open(tmp_path)
    assert third.get("after") == b"restart"
    assert third.dbsize() == len(want[0]) + 1
    del third  # the engine (and its directory lock) goes with its last client
    gc.collect()


def test_bgrewriteaof_swaps_in_a_new_base(tmp_path: Path) -> None:
    r = _open(tmp_path)
    for i in range(100):
        r.set(f"k{i}", i)
    assert r.bgrewriteaof() is True
    wait_for(lambda: r.info("persistence")["aof_rewrite_in_progress"] == 0)
    d = _aofdir(tmp_path)
    assert manifest(d) == [("appendonly.aof.2.base.rdb", "b"), ("appendonly.aof.2.incr.aof", "i")]
    assert sorted(os.listdir(d)) == [
        "appendonly.aof.2.base.rdb",
        "appendonly.aof.2.incr.aof",
        "appendonly.aof.manifest",
    ]
    r.set("later", "1")
    info = r.info("persistence")
    assert info["aof_rewrites"] == 1 and info["aof_last_bgrewrite_status"] == "ok"
    assert info["aof_base_size"] == (d / "appendonly.aof.2.base.rdb").stat().st_size
    del r  # the engine (and its directory lock) goes with its last client
    gc.collect()
    again = _open(tmp_path)
    assert again.dbsize() == 101 and again.get("k7") == b"7" and again.get("later") == b"1"
    del again  # the engine (and its directory lock) goes with its last client
    gc.collect()


def test_config_set_appendonly_writes_a_base_first(tmp_path: Path) -> None:
    r = redcore.Redis(config={"dir": str(tmp_path)})
    r.set("before", "1")
    assert not _aofdir(tmp_path).exists()
    assert r.config_set("appendonly", "yes") is True
    r.set("during", "2")
    wait_for(lambda: r.info("persistence")["aof_rewrite_in_progress"] == 0)
    assert r.info("persistence")["aof_enabled"] == 1
    d = _aofdir(tmp_path)
    rows = manifest(d)
    assert [kind for _, kind in rows] == ["b", "i"]
    r.set("after", "3")
    assert r.config_set("appendonly", "no") is True
    assert r.info("persistence")["aof_enabled"] == 0
    r.set("unlogged", "4")
    del r  # the engine (and its directory lock) goes with its last client
    gc.collect()
    again = _open(tmp_path)
    assert sorted(again.keys()) == [b"after", b"before", b"during"]
    del again  # the engine (and its directory lock) goes with its last client
    gc.collect()


def test_aof_parameters_read_and_set_like_redis(tmp_path: Path) -> None:
    r = _open(tmp_path, appendfsync="everysec")
    cfg = r.config_get("append*")
    assert cfg == {
        b"appendonly": b"yes",
        b"appendfilename": b"appendonly.aof",
        b"appenddirname": b"appendonlydir",
        b"appendfsync": b"everysec",
    } or cfg == {
        "appendonly": "yes",
        "appendfilename": "appendonly.aof",
        "appenddirname": "appendonlydir",
        "appendfsync": "everysec",
    }
    assert r.config_set("appendfsync", "always") is True
    assert r.config_get("appendfsync") in ({"appendfsync": "always"}, {b"appendfsync": b"always"})
    with pytest.raises(redcore.exceptions.ResponseError, match="immutable"):
        r.config_set("appenddirname", "other")
    assert r.config_get("aof-load-truncated") in ({"aof-load-truncated": "yes"}, {b"aof-load-truncated": b"yes"})
    assert r.config_set("aof-use-rdb-preamble", "yes") is True
    info = r.info("persistence")
    for field in ("aof_current_size", "aof_base_size", "aof_buffer_length", "aof_delayed_fsync"):
        assert field in info
    del r  # the engine (and its directory lock) goes with its last client
    gc.collect()


def _write_and_close(path: Path, n: int = 5) -> Path:
    r = _open(path)
    for i in range(n):
        r.set(f"k{i}", i)
    del r  # the engine (and its directory lock) goes with its last client
    gc.collect()
    return _aofdir(path) / "appendonly.aof.1.incr.aof"


def test_truncated_tail_loads_up_to_the_last_command(tmp_path: Path) -> None:
    incr = _write_and_close(tmp_path)
    whole = incr.stat().st_size
    with open(incr, "ab") as f:
        f.write(b"*3\r\n$3\r\nSET\r\n$2\r\nzz\r\n$5\r\nhal")
    r = _open(tmp_path)
    assert r.dbsize() == 5 and r.get("zz") is None
    assert incr.stat().st_size == whole  # cut back to the last whole command
    r.set("more", "1")
    del r  # the engine (and its directory lock) goes with its last client
    gc.collect()
    again = _open(tmp_path)
    assert again.dbsize() == 6
    del again  # the engine (and its directory lock) goes with its last client
    gc.collect()


def test_truncated_tail_is_an_error_with_aof_load_truncated_no(tmp_path: Path) -> None:
    incr = _write_and_close(tmp_path)
    whole = incr.stat().st_size
    tail = b"*2\r\n$3\r\nDEL"
    with open(incr, "ab") as f:
        f.write(tail)
    with pytest.raises(redcore.exceptions.ConnectionError) as e:
        _open(tmp_path, **{"aof-load-truncated": "no"})
    assert "appendonly.aof.1.incr.aof" in str(e.value)
    assert f"offset {whole}" in str(e.value)
    assert incr.stat().st_size == whole + len(tail)  # left as it was


def test_unfinished_multi_block_is_dropped(tmp_path: Path) -> None:
    incr = _write_and_close(tmp_path)
    whole = incr.stat().st_size
    with open(incr, "ab") as f:
        f.write(b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$1\r\n1\r\n")
    r = _open(tmp_path)
    assert r.get("x") is None and r.dbsize() == 5
    assert incr.stat().st_size == whole
    del r  # the engine (and its directory lock) goes with its last client
    gc.collect()


@pytest.mark.parametrize(
    "garbage, what",
    [
        (b"+OK\r\n", "expected '*'"),
        (b"*2\r\n$3\r\nFOO\r\n$1\r\nx\r\n", "unknown command 'FOO'"),
        (b"*2\r\n$3\r\nGET\r\n$9\r\nx\r\n$1\r\nz\r\n", "expected CRLF"),
    ],
)
def test_corrupt_file_is_an_error_and_nothing_loads(tmp_path: Path, garbage: bytes, what: str) -> None:
    incr = _write_and_close(tmp_path)
    whole = incr.stat().st_size
    with open(incr, "ab") as f:
        f.write(garbage + b"*3\r\n$3\r\nSET\r\n$1\r\ny\r\n$1\r\n1\r\n")
    with pytest.raises(redcore.exceptions.ConnectionError) as e:
        _open(tmp_path)
    msg = str(e.value)
    assert "appendonly.aof.1.incr.aof" in msg and what in msg
    offset = int(msg.split("at offset ")[1].split(":")[0])
    assert whole <= offset < whole + len(garbage)


def test_corrupt_base_and_manifest_are_errors(tmp_path: Path) -> None:
    _write_and_close(tmp_path)
    d = _aofdir(tmp_path)
    base = d / "appendonly.aof.1.base.rdb"
    data = bytearray(base.read_bytes())
    data[-3] ^= 0xFF  # checksum
    base.write_bytes(bytes(data))
    with pytest.raises(redcore.exceptions.ConnectionError, match="appendonly.aof.1.base.rdb"):
        _open(tmp_path)
    (d / "appendonly.aof.manifest").write_text("file x seq 1 type q\n")
    with pytest.raises(redcore.exceptions.ConnectionError, match="manifest"):
        _open(tmp_path)


def test_fuzzed_files_never_half_load(tmp_path: Path) -> None:
    """Random byte flips and cuts: either a clean error or a load that
    equals a prefix of the writes (the truncated-tail case)."""
    import random

    rng = random.Random(7)
    src = tmp_path / "src"
    src.mkdir()
    incr = _write_and_close(src, n=30)
    good = incr.read_bytes()
    for round_ in range(40):
        d = tmp_path / f"f{round_}"
        (d / "appendonlydir").mkdir(parents=True)
        for f in os.listdir(_aofdir(src)):
            (d / "appendonlydir" / f).write_bytes((_aofdir(src) / f).read_bytes())
        data = bytearray(good)
        if round_ % 2:
            data = data[: rng.randrange(len(data))]
        else:
            for _ in range(3):
                data[rng.randrange(len(data))] = rng.randrange(256)
        (d / "appendonlydir" / "appendonly.aof.1.incr.aof").write_bytes(bytes(data))
        try:
            r = _open(d)
        except redcore.exceptions.ConnectionError:
            continue
        n = r.dbsize()
        # A prefix of k0..k29, each with its own value.
        assert sorted(r.keys()) == sorted(f"k{i}".encode() for i in range(n)) or round_ % 2 == 0
        del r  # the engine (and its directory lock) goes with its last client
        gc.collect()


def test_expirations_reach_the_aof_as_deletions(tmp_path: Path) -> None:
    r = _open(tmp_path)
    r.set("gone", "v", px=1)
    time.sleep(0.05)
    wait_for(lambda: r.exists("gone") == 0)
    cmds = parse_resp_commands((_aofdir(tmp_path) / "appendonly.aof.1.incr.aof").read_bytes())
    assert cmds[-1] == [b"DEL", b"gone"]
    del r  # the engine (and its directory lock) goes with its last client
    gc.collect()


def test_blocked_pop_served_later_is_a_plain_pop(tmp_path: Path) -> None:
    import threading

    name = f"aof-block-{os.getpid()}"
    r = redcore.Redis(name=name, config=aof_config(str(tmp_path)))
    got = []
    t = threading.Thread(target=lambda: got.append(redcore.Redis(name=name).blpop(["bl"], 5)))
    t.start()
    wait_for(lambda: r.info("clients")["blocked_clients"] == 1)
    r.rpush("bl", "x")
    t.join()
    assert got == [(b"bl", b"x")]
    cmds = parse_resp_commands((_aofdir(tmp_path) / "appendonly.aof.1.incr.aof").read_bytes())
    assert cmds[-2:] == [[b"RPUSH", b"bl", b"x"], [b"LPOP", b"bl"]]
    r.config_set("appendonly", "no")


def test_key_expired_by_a_read_is_deleted_in_the_aof(tmp_path: Path) -> None:
    r = _open(tmp_path)
    r.set("short", "v", px=20)
    time.sleep(0.05)
    assert r.get("short") is None
    cmds = parse_resp_commands((_aofdir(tmp_path) / "appendonly.aof.1.incr.aof").read_bytes())
    assert cmds[-1] == [b"DEL", b"short"]
    del r  # the engine (and its directory lock) goes with its last client
    gc.collect()


@pytest.mark.parametrize("fsync", ["everysec", "no"])
def test_buffered_policies_reach_the_file_within_moments(tmp_path: Path, fsync: str) -> None:
    r = _open(tmp_path, appendfsync=fsync)
    r.set("k", "v")
    incr = _aofdir(tmp_path) / "appendonly.aof.1.incr.aof"
    wait_for(lambda: parse_resp_commands(incr.read_bytes())[-1:] == [[b"SET", b"k", b"v"]], timeout=2)
    del r  # the engine (and its directory lock) goes with its last client
    gc.collect()


def test_aof_is_rewritten_automatically_when_it_grows(tmp_path: Path) -> None:
    r = _open(tmp_path, **{"auto-aof-rewrite-min-size": "4kb", "auto-aof-rewrite-percentage": "100"})
    for i in range(50):
        r.set(f"k{i}", "x" * 10)
    time.sleep(0.3)
    assert r.info("persistence")["aof_rewrites"] == 0  # under the minimum size
    for i in range(200):
        r.set(f"k{i}", "x" * 40)
    wait_for(lambda: r.info("persistence")["aof_rewrites"] >= 1)
    wait_for(lambda: r.info("persistence")["aof_rewrite_in_progress"] == 0)
    assert manifest(_aofdir(tmp_path))[0][1] == "b"
    assert manifest(_aofdir(tmp_path))[0][0] != "appendonly.aof.1.base.rdb"
    del r  # the engine (and its directory lock) goes with its last client
    gc.collect()
    again = _open(tmp_path)
    assert again.dbsize() == 200 and again.get("k199") == b"x" * 40
    del again  # the engine (and its directory lock) goes with its last client
    gc.collect()


def test_evicted_keys_reach_the_aof_as_deletions(tmp_path: Path) -> None:
    r = _open(tmp_path, **{"maxmemory-policy": "allkeys-random"})
    r.config_set("maxmemory", r.info("memory")["used_memory"] + 300_000)
    for i in range(5000):
        r.set(f"key:{i}", "v" * 100)
    info = r.info("stats")
    assert info["evicted_keys"] > 0
    live = sorted(r.keys())
    cmds = parse_resp_commands((_aofdir(tmp_path) / "appendonly.aof.1.incr.aof").read_bytes())
    assert sum(1 for c in cmds if c[0] == b"DEL") == info["evicted_keys"]
    assert not any(c[0] in (b"MULTI", b"CONFIG") for c in cmds)
    del r  # the engine (and its directory lock) goes with its last client
    gc.collect()
    again = _open(tmp_path)
    assert sorted(again.keys()) == live
    del again  # the engine (and its directory lock) goes with its last client
    gc.collect()
