"""MISCONF: when the disk refuses a save or an AOF write, writes are
refused with Redis's own error until persisting works again.

Each scenario runs against redcore's embedded engine and against
redis-server 7.0 (the oracle) with the same steps, and both must answer
the same. A directory is made unwritable with chmod; when the tests run as
root (chmod does not stop root), the directory is replaced by a plain file
instead, which no user can write into.
"""

from __future__ import annotations

import gc
import hashlib
import os
import shutil
import time
from pathlib import Path
from typing import Any, Callable, Iterator, List, Tuple

import pytest
import redis
import redis.backoff
import redis.retry

import redcore
from aof_support import wait_for
from conftest import RedisServer

BGSAVE_ERR = (
    "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist "
    "to disk. Commands that may modify the data set are disabled, because this instance is "
    "configured to report errors during writes if RDB snapshotting fails "
    "(stop-writes-on-bgsave-error option). Please check the Redis logs for details about the "
    "RDB error."
)


def _unwritable(d: Path) -> None:
    """Makes ``d`` a place no file can be created in."""
    if os.geteuid() != 0:
        d.chmod(0o500)
        probe = d / "probe"
        try:
            probe.write_text("x")
        except OSError:
            return
        probe.unlink()
    shutil.rmtree(d)
    d.write_text("a file where the data directory was")


def _backends(tmp_path: Path) -> Iterator[Tuple[str, Any, Path, Callable[[], None]]]:
    """(name, client, data dir, stop) for redcore and then redis-server."""
    d = tmp_path / "redcore"
    d.mkdir()
    gc.collect()
    r = redcore.Redis(dir=str(d), config={"enable-protected-configs": "yes"})
    yield "redcore", r, d, lambda: redcore._redcore.forget_engine(r.connection_pool.name)
    d = tmp_path / "redis"
    d.mkdir()
    server = RedisServer(extra=("--dir", str(d), "--enable-protected-configs", "yes"))
    yield "redis", server.client(), d, server.stop


def _err(fn: Callable[[], Any]) -> str:
    with pytest.raises(redis.ResponseError) as e:
        fn()
    return str(e.value)


def _bgsave_done(c: Any) -> Callable[[], bool]:
    return lambda: c.info("persistence")["rdb_bgsave_in_progress"] == 0


def _rdb_scenario(c: Any, d: Path, spare: Path) -> List[Any]:
    """The steps of the RDB scenario; returns what each observed."""
    seen: List[Any] = []
    c.config_set("save", "3600 1")
    assert c.set("k", "v")
    _unwritable(d)
    # A failed foreground SAVE is an error but does not stop writes.
    seen.append(_err(c.save))
    seen.append(c.info("persistence")["rdb_last_bgsave_status"])
    seen.append(c.set("after-save", "1"))
    # A failed BGSAVE does.
    c.bgsave()
    wait_for(lambda: c.info("persistence")["rdb_last_bgsave_status"] == "err")
    wait_for(_bgsave_done(c))
    seen.append(_err(lambda: c.set("k2", "v")))
    seen.append(_err(lambda: c.incr("n")))
    seen.append(_err(c.ping))
    seen.append(_err(lambda: c.eval("return redis.call('set', KEYS[1], 'x')", 1, "scripted")))
    seen.append(c.eval("return redis.call('get', KEYS[1])", 1, "k"))
    seen.append(c.get("k"))  # reads keep working
    seen.append(c.exists("k"))
    p = c.pipeline(transaction=True)
    p.set("in-multi", "1")
    with pytest.raises(redis.RedisError) as e:
        p.execute()
    seen.append(str(e.value))
    seen.append(c.exists("in-multi"))
    # stop-writes-on-bgsave-error no lets writes through.
    c.config_set("stop-writes-on-bgsave-error", "no")
    seen.append(c.set("allowed", "1"))
    c.config_set("stop-writes-on-bgsave-error", "yes")
    seen.append(_err(lambda: c.set("k3", "v")))
    # Without save points the failure does not matter either.
    c.config_set("save", "")
    seen.append(c.set("no-save-points", "1"))
    c.config_set("save", "3600 1")
    seen.append(_err(lambda: c.delete("k")))
    # A later save that succeeds lifts the refusal.
    c.config_set("dir", str(spare))
    c.bgsave()
    wait_for(lambda: c.info("persistence")["rdb_last_bgsave_status"] == "ok")
    wait_for(_bgsave_done(c))
    seen.append(c.set("k4", "v"))
    seen.append(c.ping())
    seen.append((spare / "dump.rdb").exists())
    return seen


def test_failed_bgsave_refuses_writes_until_a_save_succeeds(tmp_path: Path) -> None:
    results = {}
    for name, c, d, stop in _backends(tmp_path):
        spare = tmp_path / f"{name}-spare"
        spare.mkdir()
        try:
            results[name] = _rdb_scenario(c, d, spare)
        finally:
            stop()
    assert results["redcore"] == results["redis"]
    assert results["redis"][3] == BGSAVE_ERR, results["redis"]


def _aof_on_dev_full(d: Path, device: str = "/dev/full") -> None:
    """Points the (empty) last incremental AOF file of ``d`` at /dev/full,
    whose writes fail with ENOSPC (or at ``device``: /dev/null takes
    writes, but its fsync fails with EINVAL)."""
    aofdir = d / "appendonlydir"
    rows = [line.split() for line in (aofdir / "appendonly.aof.manifest").read_text().splitlines()]
    last = [r[1] for r in rows if r[5] == "i"][-1]
    assert (aofdir / last).stat().st_size == 0
    (aofdir / last).unlink()
    (aofdir / last).symlink_to(device)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_failed_aof_write_refuses_writes_until_a_write_succeeds(tmp_path: Path) -> None:
    """An AOF whose writes fail (a file on /dev/full: ENOSPC) reports
    aof_last_write_status:err and refuses writes with "MISCONF Errors
    writing to the AOF file: No space left on device"; a rewrite moves the
    writes to a new file, and once a write succeeds writes are accepted."""
    results = {}
    for name in ("redcore", "redis"):
        d = tmp_path / name
        d.mkdir()
        # A directory whose base holds the data and whose incremental file is empty.
        if name == "redcore":
            gc.collect()
            r = redcore.Redis(dir=str(d), appendonly=True, appendfsync="everysec")
            r.set("k", "v")
            r.bgrewriteaof()
            wait_for(lambda: r.info("persistence")["aof_rewrite_in_progress"] == 0)
            redcore._redcore.forget_engine(r.connection_pool.name)
            r.close()
            del r
            gc.collect()
        else:
            server = RedisServer(extra=("--dir", str(d), "--appendonly", "yes"))
            c = server.client()
            c.set("k", "v")
            c.bgrewriteaof()
            wait_for(lambda: c.info("persistence")["aof_rewrite_in_progress"] == 0)
            server.stop()
        _aof_on_dev_full(d)
        seen: List[Any] = []
        if name == "redcore":
            c = redcore.Redis(dir=str(d), appendonly=True, appendfsync="everysec")
            stop: Callable[[], None] = lambda: redcore._redcore.forget_engine(c.connection_pool.name)
        else:
            server = RedisServer(extra=("--dir", str(d), "--appendonly", "yes", "--appendfsync", "everysec"))
            c = server.client()
            stop = server.stop
        try:
            seen.append(c.get("k"))
            one = _queue_late_scripts(c, function=False)
            seen.append(c.set("k2", "v"))  # accepted: the write to the file comes after
            wait_for(lambda: c.info("persistence")["aof_last_write_status"] == "err")
            seen.append(_err(lambda: c.set("k3", "v")))
            seen.append(_err(c.ping))
            seen.append(c.get("k2"))
            # Scripts that may write are refused up front; one queued
            # before its flags were known, as EXEC runs it.
            seen.append(_err(lambda: c.eval(WRITE_SCRIPT, 1, "s")))
            seen.append(c.eval("#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])", 1, "k"))
            seen.append(_replies(one.execute_command("EXEC")))
            one.close()
            c.bgrewriteaof()
            wait_for(lambda: c.info("persistence")["aof_rewrite_in_progress"] == 0)
            wait_for(lambda: c.info("persistence")["aof_last_write_status"] == "ok")
            seen.append(c.set("k4", "v"))
            seen.append(c.ping())
        finally:
            stop()
        results[name] = seen
    assert results["redcore"] == results["redis"]
    assert results["redis"][2] == "MISCONF Errors writing to the AOF file: No space left on device"
    assert results["redis"][5] == results["redis"][2]
    assert results["redis"][7] == [
        "MISCONF Redis is configured to persist data to AOF, but it's currently unable to "
        "persist to disk. Writable scripts are blocked. Use 'no-writes' flag for read only "
        "scripts. AOF error: No space left on device"
    ]


WRITE_SCRIPT = "#!lua\nreturn redis.call('set', KEYS[1], 'x')"
LATE_SCRIPT = "#!lua\nreturn redis.call('set', KEYS[1], 'late')"
SCRIPT_LIB = (
    "#!lua name=misconflib\n"
    "redis.register_function('mcw', function(k, a) return redis.call('set', k[1], 'x') end)\n"
    "redis.register_function{function_name='mcr', callback=function(k, a)"
    " return redis.call('get', k[1]) end, flags={'no-writes'}}\n"
    "redis.register_function{function_name='mco', callback=function(k, a)"
    " return redis.call('set', k[1], 'x') end, flags={'allow-oom'}}\n"
)
LATE_LIB = (
    "#!lua name=misconflate\n"
    "redis.register_function('mclate', function(k, a) return redis.call('set', k[1], 'late') end)\n"
)


def _replies(reply: Any) -> Any:
    """An EXEC reply with its error elements as their texts."""
    return [str(x) if isinstance(x, Exception) else x for x in reply]


def _queue_late_scripts(c: Any, function: bool = True) -> Any:
    """A connection in MULTI with an EVALSHA (and an FCALL) queued before
    their script and function exist (so their flags are not known when
    they are queued), which are then loaded."""
    one = type(c)(connection_pool=c.connection_pool, single_connection_client=True)
    assert one.execute_command("MULTI") in (b"OK", "OK", True)
    one.execute_command("EVALSHA", hashlib.sha1(LATE_SCRIPT.encode()).hexdigest(), 1, "late")
    if function:
        one.execute_command("FCALL", "mclate", 1, "late2")
    c.script_load(LATE_SCRIPT)
    if function:
        c.function_load(LATE_LIB)
    return one


def _scripts_scenario(c: Any, d: Path) -> List[Any]:
    """Scripts and functions while a failed BGSAVE refuses writes."""
    seen: List[Any] = []
    c.config_set("save", "3600 1")
    c.set("k", "v")
    sha = c.script_load(WRITE_SCRIPT)
    c.function_load(SCRIPT_LIB)
    one = _queue_late_scripts(c)
    two = type(c)(connection_pool=c.connection_pool, single_connection_client=True)
    _unwritable(d)
    c.bgsave()
    wait_for(lambda: c.info("persistence")["rdb_last_bgsave_status"] == "err")
    wait_for(_bgsave_done(c))
    # Declared flags without no-writes: refused before they run, with the
    # error any write gets (allow-oom does not imply no-writes).
    seen.append(_err(lambda: c.eval(WRITE_SCRIPT, 1, "s")))
    seen.append(_err(lambda: c.eval("#!lua flags=allow-oom\nreturn 1", 0)))
    seen.append(_err(lambda: c.eval("#!lua\nreturn redis.call('get', KEYS[1])", 1, "k")))
    seen.append(_err(lambda: c.evalsha(sha, 1, "s")))
    seen.append(_err(lambda: c.evalsha(sha.upper(), 1, "s")))
    seen.append(_err(lambda: c.eval_ro("#!lua\nreturn 1", 0)))
    seen.append(_err(lambda: c.fcall("mcw", 1, "s")))
    seen.append(_err(lambda: c.fcall("mco", 1, "s")))
    seen.append(_err(lambda: c.fcall_ro("mcw", 1, "s")))
    # no-writes scripts and functions run.
    seen.append(c.eval("#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])", 1, "k"))
    seen.append(c.eval_ro("#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])", 1, "k"))
    seen.append(c.fcall("mcr", 1, "k"))
    seen.append(c.fcall_ro("mcr", 1, "k"))
    # A script without a shebang runs until its first write.
    seen.append(c.eval("return redis.call('get', KEYS[1])", 1, "k"))
    # Refused as it is queued: the transaction is discarded.
    two.execute_command("MULTI")
    seen.append(_err(lambda: two.execute_command("EVAL", WRITE_SCRIPT, 1, "s")))
    seen.append(_err(lambda: two.execute_command("EXEC")))
    # Queued before their flags were known: EXEC runs them, and each is
    # refused as it is about to run, with the scripts' own MISCONF text.
    seen.append(_replies(one.execute_command("EXEC")))
    seen.append(c.exists("s", "late", "late2"))
    one.close()
    two.close()
    return seen


def test_scripts_that_may_write_are_refused_under_misconf(tmp_path: Path) -> None:
    """Redis 7.0 judges EVAL/EVALSHA/FCALL (and the _RO forms) of a script
    or function with declared flags by those flags: unless it declares
    no-writes it is a write, refused up front while the disk refuses
    writes; one queued before its flags were known is refused when EXEC
    runs it, with the 'Writable scripts are blocked' text."""
    results = {}
    for name, c, d, stop in _backends(tmp_path):
        try:
            results[name] = _scripts_scenario(c, d)
        finally:
            stop()
    assert results["redcore"] == results["redis"]
    want = results["redis"]
    assert want[0] == BGSAVE_ERR
    assert want[-2] == [
        "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to "
        "persist to disk. Writable scripts are blocked. Use 'no-writes' flag for read only scripts."
    ] * 2, want


ENOSPC_MISCONF = "MISCONF Errors writing to the AOF file: No space left on device"


def _always_on_dev_full(d: Path, device: str = "/dev/full", fsync: str = "always") -> redcore.Redis:
    """An engine with appendfsync always on directory ``d`` (holding "k"),
    whose incremental AOF file is /dev/full (or ``device``)."""
    gc.collect()
    r = redcore.Redis(dir=str(d), appendonly=True, appendfsync=fsync)
    r.set("k", "v")
    r.bgrewriteaof()
    wait_for(lambda: r.info("persistence")["aof_rewrite_in_progress"] == 0)
    redcore._redcore.forget_engine(r.connection_pool.name)
    r.close()
    del r
    gc.collect()
    _aof_on_dev_full(d, device)
    return redcore.Redis(dir=str(d), appendonly=True, appendfsync=fsync)


def _redis_on_dev_null(d: Path, fsync: str) -> RedisServer:
    """redis-server with appendfsync ``fsync`` on directory ``d`` (holding
    "k"), whose incremental AOF file is /dev/null."""
    server = RedisServer(extra=("--dir", str(d), "--appendonly", "yes"))
    c = server.client()
    c.set("k", "v")
    c.bgrewriteaof()
    wait_for(lambda: c.info("persistence")["aof_rewrite_in_progress"] == 0)
    server.stop()
    _aof_on_dev_full(d, "/dev/null")
    return RedisServer(extra=("--dir", str(d), "--appendonly", "yes", "--appendfsync", fsync))


EINVAL_MISCONF = "MISCONF Errors writing to the AOF file: Invalid argument"


def _accepts_writes(c: Any) -> bool:
    try:
        return c.ping() is True
    except redis.ResponseError:
        return False


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="needs /dev/null")
def test_failed_fsync_under_appendfsync_always_is_not_acknowledged(tmp_path: Path) -> None:
    """An AOF file that takes writes but not fsyncs (/dev/null: EINVAL).
    Under appendfsync always redis-server exits at the first write; the
    embedded engine answers that write, and every later one, with the
    MISCONF error (reads go on) until a rewrite moves the AOF to a file
    that can be synced, as for a failed write."""
    d = tmp_path / "redis"
    d.mkdir()
    server = _redis_on_dev_null(d, "always")
    try:
        once = server.client(retry=redis.retry.Retry(redis.backoff.NoBackoff(), 0))
        with pytest.raises(redis.ConnectionError):
            once.set("k2", "v")
        assert server.proc.wait(10) == 1
    finally:
        server.stop()
    e = tmp_path / "redcore"
    e.mkdir()
    _fsync_always_scenario(e)
    gc.collect()
    c = redcore.Redis(dir=str(e), appendonly=True, appendfsync="always")
    try:
        # What went to /dev/null before the rewrite is in its base.
        assert c.mget("k", "k2", "k5") == [b"v", b"v", b"v"]
    finally:
        _close(c)


def _fsync_always_scenario(e: Path) -> None:
    c = _always_on_dev_full(e, "/dev/null")
    try:
        assert c.get("k") == b"v"
        assert _err(lambda: c.set("k2", "v")) == EINVAL_MISCONF
        assert _err(lambda: c.set("k3", "v")) == EINVAL_MISCONF
        assert _err(c.ping) == EINVAL_MISCONF
        p = c.pipeline(transaction=False)
        p.set("k4", "v")
        p.get("k")
        got = p.execute(raise_on_error=False)
        assert str(got[0]) == EINVAL_MISCONF and got[1] == b"v"
        # A while later (the background thread retries the fsync) it still
        # refuses: nothing reached the disk.
        time.sleep(1.2)
        assert _err(lambda: c.set("k3", "v")) == EINVAL_MISCONF
        c.bgrewriteaof()
        wait_for(lambda: c.info("persistence")["aof_rewrite_in_progress"] == 0)
        wait_for(lambda: _accepts_writes(c))
        assert c.set("k5", "v") is True
        # INFO's aof_last_write_status is about writes, as in Redis.
        assert c.info("persistence")["aof_last_write_status"] == "ok"
    finally:
        _close(c)


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="needs /dev/null")
def test_fsync_einval_under_everysec_is_not_an_error_as_in_redis(tmp_path: Path) -> None:
    """Under appendfsync everysec redis-server's background fsync takes
    EINVAL (and EBADF) for "nothing to sync", not a disk failure: writes
    go on and INFO says ok. So does the embedded engine."""
    results = {}
    for name in ("redcore", "redis"):
        d = tmp_path / name
        d.mkdir()
        if name == "redcore":
            c: Any = _always_on_dev_full(d, "/dev/null", fsync="everysec")
            stop: Callable[[], None] = lambda: _close(c)
        else:
            server = _redis_on_dev_null(d, "everysec")
            c = server.client()
            stop = server.stop
        try:
            seen: List[Any] = [c.set("k2", "v")]
            # Past a background fsync (once a second).
            time.sleep(2.5)
            seen.append(c.info("persistence")["aof_last_write_status"])
            seen.append(c.set("k3", "v"))
            seen.append(c.mget("k", "k2", "k3"))
        finally:
            stop()
        results[name] = seen
    assert results["redcore"] == results["redis"] == [True, "ok", True, [b"v", b"v", b"v"]]


def _close(c: redcore.Redis) -> None:
    redcore._redcore.forget_engine(c.connection_pool.name)
    c.close()
    gc.collect()


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_failed_write_under_appendfsync_always_is_not_acknowledged(tmp_path: Path) -> None:
    """Under appendfsync always redis-server exits when an AOF write
    fails; the embedded engine lives in the user's process, so it stays up
    but acknowledges no write that is not on disk: the write that met the
    failure gets the MISCONF error instead of OK, every later write too
    (reads go on), until a rewrite moves the AOF to a file that takes
    writes. What was acknowledged is there after a restart."""
    d = tmp_path / "always"
    d.mkdir()
    _always_scenario(d)
    gc.collect()
    c = redcore.Redis(dir=str(d), appendonly=True, appendfsync="always")
    try:
        assert c.mget("k", "k2", "k3", "k5") == [b"v", b"v", None, b"v"]
    finally:
        _close(c)


def _always_scenario(d: Path) -> None:
    c = _always_on_dev_full(d)
    try:
        assert c.get("k") == b"v"
        assert _err(lambda: c.set("k2", "v")) == ENOSPC_MISCONF
        assert c.info("persistence")["aof_last_write_status"] == "err"
        assert _err(lambda: c.set("k3", "v")) == ENOSPC_MISCONF
        assert _err(lambda: c.incr("n")) == ENOSPC_MISCONF
        assert _err(c.ping) == ENOSPC_MISCONF
        p = c.pipeline(transaction=False)
        p.set("k4", "v")
        p.get("k")
        got = p.execute(raise_on_error=False)
        assert str(got[0]) == ENOSPC_MISCONF and got[1] == b"v"
        # Not acknowledged is not undone: the change is in memory (and
        # reaches the file once it takes writes), as after a lost reply.
        assert c.get("k2") == b"v" and c.exists("k3", "k4") == 0
        c.bgrewriteaof()
        wait_for(lambda: c.info("persistence")["aof_rewrite_in_progress"] == 0)
        wait_for(lambda: c.info("persistence")["aof_last_write_status"] == "ok")
        assert c.set("k5", "v") is True
        assert c.ping() is True
    finally:
        _close(c)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_failed_write_under_appendfsync_always_in_a_pipeline(tmp_path: Path) -> None:
    """A pipeline fsyncs once at its end under appendfsync always: when
    that write fails, none of its writes is acknowledged (its reads keep
    their replies), and neither is a transaction's EXEC."""
    d = tmp_path / "pipe"
    d.mkdir()
    c = _always_on_dev_full(d)
    try:
        p = c.pipeline(transaction=False)
        p.set("a", "1")
        p.get("k")
        p.incr("n")
        got = p.execute(raise_on_error=False)
        assert [str(x) for x in got] == [ENOSPC_MISCONF, "b'v'", ENOSPC_MISCONF]
        assert c.info("persistence")["aof_last_write_status"] == "err"
    finally:
        _close(c)
    e = tmp_path / "multi"
    e.mkdir()
    c = _always_on_dev_full(e)
    try:
        p = c.pipeline(transaction=True)
        p.set("a", "1")
        p.get("k")
        with pytest.raises(redis.ResponseError) as err:
            p.execute()
        assert ENOSPC_MISCONF in str(err.value)
    finally:
        _close(c)
