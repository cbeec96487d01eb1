"""RDB persistence of the embedded engine: opening a directory, loading
what redis-server 7.0 wrote (and the other way round), corrupt files,
one owner per directory, DEBUG RELOAD, INFO fields, logging, restarts.

Interop runs against the Debian redis-server 7.0 the conftest uses; the
writer's own checks (every type into redis-server, redis-check-rdb) are in
``test_rdb_file.py``.
"""

from __future__ import annotations

import gc
import logging
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

import redcore

from conftest import RedisServer
from test_rdb_file import _fill, _snapshot

LIB = "#!lua name=mylib\nredis.register_function('answer', function() return 42 end)"


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    d = tmp_path / "data"
    d.mkdir()
    yield d


def _engine(d: Path, **kw: Any) -> Any:
    """A private engine that owns ``d`` (debug commands on)."""
    gc.collect()  # engines dropped by _release() let go of their directory
    config = {"enable-debug-command": "yes", **kw.pop("config", {})}
    return redcore.Redis(dir=str(d), config=config, **kw)


def _release(r: Any) -> None:  # noqa: returns None to rebind the caller's name
    """Unregisters a private engine: once the caller drops its client
    (``r = _release(r)``) the engine and its directory lock go."""
    redcore._redcore.forget_engine(r.connection_pool.name)
    r.close()


def _server_on(d: Path, *extra: str) -> RedisServer:
    return RedisServer(extra=("--dir", str(d), "--enable-debug-command", "yes", *extra))


def _every_db(r: Any) -> dict:
    return {db: _snapshot(r, db) for db in (0, 3)}


def _assert_same(got: dict, want: dict) -> None:
    """Same keys, types and values; expiry deadlines (PEXPIRETIME, ms)
    within 10 s: two datasets filled one after the other get relative
    TTLs a little apart."""
    assert {db: set(keys) for db, keys in got.items()} == {db: set(keys) for db, keys in want.items()}
    for db, keys in want.items():
        for key, (t, value, ttl) in keys.items():
            g = got[db][key]
            assert g[:2] == (t, value), (db, key)
            assert (g[2] == -1) == (ttl == -1) and abs(g[2] - ttl) <= 10_000, (db, key, g[2], ttl)


def _encodings(r: Any) -> dict:
    return {k: r.object("encoding", k) for k in r.keys("*")}


def test_redis_server_file_opens_in_redcore(data_dir: Path) -> None:
    """redis-server SAVE -> redcore opens the directory: same keys, types,
    values, TTLs, databases, encodings and FUNCTION libraries."""
    server = _server_on(data_dir)
    try:
        src = server.client()
        _fill(src)
        src.hset("hll-holder", "x", "1")
        src.pfadd("hll", *[f"e{i}" for i in range(50)])
        src.pfadd("densehll", *[f"e{i}" for i in range(5000)])
        src.function_load(LIB)
        for db in range(16):
            src.select(db)
            src.set(f"db{db}", db)
        src.select(0)
        want_pf = src.pfcount("densehll")  # (caches the count in the value)
        want = _every_db(src)
        want_enc = _encodings(src)
        assert src.save()
    finally:
        server.stop()  # removes the server's own temp dir, not data_dir
    r = _engine(data_dir)
    try:
        _assert_same(_every_db(r), want)
        assert _encodings(r) == want_enc
        assert r.pfcount("densehll") == want_pf
        assert r.fcall("answer", 0) == 42
        for db in range(16):
            r.select(db)
            assert r.get(f"db{db}") == str(db).encode()
        r.select(0)
        info = r.info("persistence")
        assert info["rdb_last_load_keys_loaded"] == sum(r.info("keyspace")[f"db{i}"]["keys"] for i in range(16) if f"db{i}" in r.info("keyspace"))
    finally:
        r = _release(r)


def test_redcore_file_loads_in_redis_server_with_functions_and_16_dbs(data_dir: Path) -> None:
    r = _engine(data_dir)
    _fill(r)
    r.pfadd("hll", *[f"e{i}" for i in range(50)])
    r.pfadd("densehll", *[f"e{i}" for i in range(5000)])
    want_pf = (r.pfcount("hll"), r.pfcount("densehll"))
    r.function_load(LIB)
    for db in range(16):
        r.select(db)
        r.set(f"db{db}", db, ex=1000 + db)
    # The file keeps each expiry as an absolute time in milliseconds.
    deadlines = []
    for db in range(16):
        r.select(db)
        deadlines.append(r.pexpiretime(f"db{db}"))
    r.select(0)
    want = _every_db(r)
    assert r.save()
    check = subprocess.run(
        [shutil.which("redis-check-rdb") or "/usr/bin/redis-check-rdb", str(data_dir / "dump.rdb")],
        capture_output=True, text=True,
    )
    assert check.returncode == 0 and "RDB looks OK" in check.stdout, check.stdout
    r = _release(r)
    server = _server_on(data_dir)
    try:
        c = server.client()
        _assert_same(_every_db(c), want)
        assert (c.pfcount("hll"), c.pfcount("densehll")) == want_pf
        assert c.fcall("answer", 0) == 42
        for db in range(16):
            c.select(db)
            assert c.get(f"db{db}") == str(db).encode()
            assert c.pexpiretime(f"db{db}") == deadlines[db]
        c.select(0)
        # redis-server's own DEBUG RELOAD keeps it all.
        assert c.execute_command("DEBUG", "RELOAD")
        _assert_same(_every_db(c), want)
    finally:
        server.stop()


def test_reopen_keeps_data_ttls_functions_and_info(data_dir: Path) -> None:
    r = _engine(data_dir)
    _fill(r)
    r.function_load(LIB)
    want = _every_db(r)
    # Saved while alive, past its deadline when the file is loaded.
    r.set("short", "v", px=800)
    r.save()
    r = _release(r)
    time.sleep(0.9)
    r = _engine(data_dir)
    try:
        _assert_same(_every_db(r), want)
        assert r.fcall("answer", 0) == 42
        info = r.info("persistence")
        assert info["rdb_last_load_keys_expired"] == 1
        assert info["rdb_last_load_keys_loaded"] == r.dbsize() + 2  # db 3 holds two
    finally:
        r = _release(r)


def test_debug_reload_saves_and_loads_back(data_dir: Path) -> None:
    r = _engine(data_dir)
    try:
        _fill(r)
        r.function_load(LIB)
        want = _every_db(r)
        assert r.execute_command("DEBUG", "RELOAD") in (b"OK", "OK", True)
        _assert_same(_every_db(r), want)
        assert r.fcall("answer", 0) == 42
        # NOSAVE: the file as it is, so a change since is undone.
        r.set("later", 1)
        r.execute_command("DEBUG", "RELOAD", "NOSAVE")
        assert r.exists("later") == 0
        # NOFLUSH keeps other keys; a duplicate is an error without MERGE.
        r.set("extra", 1)
        with pytest.raises(redcore.exceptions.ResponseError, match="Error trying to load the RDB dump"):
            r.execute_command("DEBUG", "RELOAD", "NOSAVE", "NOFLUSH")
        r.delete("int")
        r.execute_command("DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE")
        assert r.get("int") == b"12345" and r.get("extra") == b"1"
        with pytest.raises(redcore.exceptions.ResponseError, match="only supports the MERGE, NOFLUSH and NOSAVE"):
            r.execute_command("DEBUG", "RELOAD", "BOGUS")
    finally:
        r = _release(r)


def test_debug_reload_matches_redis_server(data_dir: Path, tmp_path: Path) -> None:
    """The same data through DEBUG RELOAD on both: same snapshot after."""
    server = RedisServer(extra=("--enable-debug-command", "yes"))
    r = _engine(data_dir)
    try:
        c = server.client()
        for client in (c, r):
            _fill(client)
            client.execute_command("DEBUG", "RELOAD")
        _assert_same(_every_db(r), _every_db(c))
        assert _encodings(r) == _encodings(c)
    finally:
        server.stop()
        r = _release(r)


def _corrupt_cases(good: bytes) -> list:
    flipped = bytearray(good)
    flipped[len(good) // 2] ^= 0xFF
    return [
        ("truncated-header", good[:5]),
        ("truncated-body", good[: len(good) // 2]),
        ("no-checksum", good[:-8]),
        ("flipped", bytes(flipped)),
        ("bad-checksum", good[:-1] + bytes([good[-1] ^ 1])),
    ]


def test_corrupt_or_truncated_file_is_an_error_naming_file_and_offset(data_dir: Path) -> None:
    r = _engine(data_dir)
    _fill(r)
    r.save()
    r = _release(r)
    path = data_dir / "dump.rdb"
    good = path.read_bytes()
    for name, data in _corrupt_cases(good):
        path.write_bytes(data)
        with pytest.raises(redcore.exceptions.ConnectionError) as e:
            _engine(data_dir)
        text = str(e.value)
        assert str(path) in text and "byte offset" in text, (name, text)
    # Nothing half-loaded, nothing locked: the good file opens whole.
    path.write_bytes(good)
    r = _engine(data_dir)
    try:
        assert r.dbsize() > 10
    finally:
        r = _release(r)


@pytest.mark.long
def test_every_truncation_of_a_file_fails_cleanly(data_dir: Path) -> None:
    r = _engine(data_dir)
    _fill(r)
    r.save()
    r = _release(r)
    path = data_dir / "dump.rdb"
    good = path.read_bytes()
    for cut in range(0, len(good), max(1, len(good) // 400)):
        path.write_bytes(good[:cut])
        with pytest.raises(redcore.exceptions.ConnectionError, match="byte offset"):
            _engine(data_dir)


def _child(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60)


def test_one_owner_per_directory(data_dir: Path) -> None:
    r = _engine(data_dir)
    try:
        with pytest.raises(redcore.exceptions.ConnectionError, match="already in use"):
            redcore.Redis(dir=str(data_dir), name="rdb-second-owner")
        out = _child(f"""
            import redcore
            try:
                redcore.Redis(dir={str(data_dir)!r})
            except redcore.exceptions.ConnectionError as e:
                print("refused:", e)
        """)
        assert "refused:" in out.stdout and f"pid {os.getpid()}" in out.stdout, out.stdout + out.stderr
    finally:
        r = _release(r)
    # Freed with the engine.
    r = _engine(data_dir)
    r = _release(r)


def test_url_and_keyword_settings(data_dir: Path) -> None:
    url = f"memory://rdb-url-test?dir={data_dir}&dbfilename=snap.rdb&save=60+1000+300+10&appendfsync=always&maxmemory=10mb&maxmemory-policy=allkeys-lru"
    r = redcore.Redis.from_url(url, decode_responses=True)
    try:
        assert r.config_get("dbfilename") == {"dbfilename": "snap.rdb"}
        assert r.config_get("save") == {"save": "60 1000 300 10"}
        assert r.config_get("appendfsync") == {"appendfsync": "always"}
        assert r.config_get("maxmemory") == {"maxmemory": str(10 << 20)}
        assert r.config_get("maxmemory-policy") == {"maxmemory-policy": "allkeys-lru"}
        r.set("k", "v")
        r.save()
        assert (data_dir / "snap.rdb").exists()
    finally:
        redcore._redcore.forget_engine("rdb-url-test")
        r = _release(r)
    sub = data_dir / "made"
    k = redcore.Redis(dir=sub, save=[(900, 1), (300, 10)], maxmemory_samples=7, appendonly=False, decode_responses=True)
    try:
        assert sub.is_dir()
        assert k.config_get("save") == {"save": "900 1 300 10"}
        assert k.config_get("maxmemory-samples") == {"maxmemory-samples": "7"}
        assert k.config_get("appendonly") == {"appendonly": "no"}
    finally:
        k = _release(k)


def test_load_is_logged_under_redcore_loggers(data_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    r = _engine(data_dir)
    r.set("k", "v")
    r.save()
    r = _release(r)
    with caplog.at_level(logging.DEBUG, logger="redcore"):
        r = _engine(data_dir)
        deadline = time.time() + 5
        while not any("loaded RDB file" in m.getMessage() for m in caplog.records):
            assert time.time() < deadline, [m.getMessage() for m in caplog.records]
            time.sleep(0.02)
        names = {m.name for m in caplog.records}
        assert all(n.startswith("redcore.") for n in names), names
        r.save()
        deadline = time.time() + 5
        while not any("saved RDB file" in m.getMessage() for m in caplog.records):
            assert time.time() < deadline
            time.sleep(0.02)
    r = _release(r)


_APP = """
import sys
import redcore
from redcore.session import SessionStore
from redcore.cache import cached

r = redcore.Redis(name="app", dir=sys.argv[1], save=[(3600, 1)], decode_responses=False)
store = SessionStore(r, prefix="s:", ttl=3600)
calls = []

@cached(r, ttl=3600)
def square(n):
    calls.append(n)
    return n * n

if sys.argv[2] == "write":
    sid = store.create({"user": "ada"})
    print(sid, square(12))
else:
    print(store.get(sys.argv[3]), square(12), len(calls))
"""


def test_session_store_and_cache_survive_a_restart(data_dir: Path) -> None:
    """A process keeps sessions and cached results in a persistent named
    engine; with save points it saves at exit, and the next process finds
    them (the cached function is not called again)."""
    first = subprocess.run([sys.executable, "-c", _APP, str(data_dir), "write"], capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    sid, value = first.stdout.split()
    assert value == "144"
    second = subprocess.run([sys.executable, "-c", _APP, str(data_dir), "read", sid], capture_output=True, text=True, timeout=60)
    assert second.returncode == 0, second.stderr
    assert second.stdout.split() == ["{'user':", "'ada'}", "144", "0"]


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "redcore", *args], capture_output=True, text=True, timeout=120)


def test_cli_check_info_load_save(data_dir: Path, tmp_path: Path) -> None:
    """``python -m redcore check|info|load|save``: a redis-server's data
    saved to a file, the file checked, described and loaded into redcore."""
    server = RedisServer()
    try:
        src = server.client()
        _fill(src)
        src.function_load(LIB)
        want = _every_db(src)
        out = tmp_path / "copy.rdb"
        done = _cli("save", str(out), "--url", f"redis://127.0.0.1:{server.port}")
        assert done.returncode == 0, done.stderr
        check = _cli("check", str(out))
        assert check.returncode == 0 and "RDB looks OK" in check.stdout, check.stderr
        info = _cli("info", str(out))
        assert "db3: keys=2" in info.stdout and "type.stream: 1" in info.stdout and "function_libraries: 1" in info.stdout
        # The file into redcore's engine on a directory, then saved there.
        url = f"memory://rdb-cli-load?dir={data_dir}"
        done = _cli("load", str(out), "--url", url)
        assert done.returncode == 0, done.stderr
        src.flushall()
        # ...and back into the server, with --replace over what is there.
        src.set("int", "other")
        assert _cli("load", str(out), "--url", f"redis://127.0.0.1:{server.port}", "--replace").returncode == 0
        _assert_same(_every_db(src), want)
    finally:
        server.stop()
    r = _engine(data_dir)
    try:
        _assert_same(_every_db(r), want)
        assert r.fcall("answer", 0) == 42
    finally:
        r = _release(r)
    bad = tmp_path / "bad.rdb"
    bad.write_bytes(out.read_bytes()[:-3])
    check = _cli("check", str(bad))
    assert check.returncode == 1 and str(bad) in check.stderr and "byte offset" in check.stderr


@pytest.mark.parametrize("extra", [
    ("--list-compress-depth", "1", "--list-max-listpack-size", "4"),
    ("--rdbcompression", "no", "--rdbchecksum", "no"),
    ("--hash-max-listpack-entries", "1", "--zset-max-listpack-entries", "1", "--set-max-intset-entries", "2"),
], ids=["compressed-quicklist", "no-compression-no-checksum", "big-encodings"])
def test_redis_server_variants_open_in_redcore(data_dir: Path, extra: tuple) -> None:
    """Files written under other settings: LZF-compressed quicklist nodes,
    no string compression and a zero checksum, hashtable/skiplist types."""
    server = _server_on(data_dir, *extra)
    try:
        src = server.client()
        _fill(src)
        src.rpush("l4", *[f"item-{i}" * 5 for i in range(50)])
        want = _every_db(src)
        assert src.save()
    finally:
        server.stop()
    r = _engine(data_dir)
    try:
        _assert_same(_every_db(r), want)
    finally:
        r = _release(r)
