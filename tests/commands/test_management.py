"""Server administration commands on every backend: persistence replies,
replication as a lone master answers it, cluster support disabled,
modules, SLOWLOG and LATENCY, and the redis-py methods over them.

Commands that would disturb the shared oracle server (SHUTDOWN, REPLICAOF
host port, PSYNC/SYNC, long waits) run on the embedded engine only; so does
WAITAOF, which is newer than the 7.0 oracle (tested against the Redis 7.2
documentation: numlocal needs appendonly, otherwise ``[0, 0]``).
"""

from __future__ import annotations

import datetime
import time
from typing import Any, Iterator

import pytest

import redcore
from support import error_of

CLUSTER_OFF = "This instance has cluster support disabled"


@pytest.fixture
def embedded(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """An embedded client whose ``dir`` (the working directory) is a temp dir."""
    monkeypatch.chdir(tmp_path)
    c = redcore.Redis()
    c.exc = redcore.exceptions
    return c


def _wait_bgsave(r: Any) -> None:
    deadline = time.time() + 10
    while r.info("persistence")["rdb_bgsave_in_progress"]:
        assert time.time() < deadline
        time.sleep(0.01)


# -- persistence ----------------------------------------------------------------


def test_save_bgsave_lastsave(r: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    r.set("k", "v")
    _wait_bgsave(r)
    assert r.save() is True
    assert isinstance(r.lastsave(), datetime.datetime)
    assert abs(r.lastsave().timestamp() - time.time()) < 5
    assert r.bgsave() is True
    _wait_bgsave(r)
    assert r.info("persistence")["rdb_last_bgsave_status"] == "ok"
    assert error_of(r, "SAVE", "x") == "wrong number of arguments for 'save' command"
    assert error_of(r, "BGSAVE", "foo") == "syntax error"


def test_bgsave_while_running_is_refused(embedded: Any) -> None:
    embedded.set("k", "v")
    embedded.bgsave()
    # Either still running (refused) or already done (started again).
    try:
        assert embedded.execute_command("BGSAVE") == b"Background saving started"
    except embedded.exc.ResponseError as e:
        assert str(e) == "Background save already in progress"
    _wait_bgsave(embedded)


def test_save_not_allowed_in_multi(r: Any) -> None:
    with pytest.raises(r.exc.ResponseError) as e:
        with r.pipeline() as p:
            p.save()
            p.execute()
    assert "not allowed" in str(e.value) or "EXECABORT" in str(e.value)


def test_bgrewriteaof_reply(r: Any) -> None:
    _wait_bgsave(r)
    assert r.bgrewriteaof() is True
    deadline = time.time() + 10
    while r.info("persistence")["aof_rewrite_in_progress"]:
        assert time.time() < deadline
        time.sleep(0.01)
    assert r.info("persistence")["aof_last_bgrewrite_status"] == "ok"


def test_save_fails_when_dir_is_gone(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    r = redcore.Redis()
    gone.rmdir()
    with pytest.raises(redcore.exceptions.ResponseError):
        r.save()
    assert r.info("persistence")["rdb_last_bgsave_status"] == "err"


# -- shutdown ---------------------------------------------------------------------


def test_shutdown_restarts_the_embedded_engine(embedded: Any, tmp_path: Any) -> None:
    embedded.set("k", "v")
    assert embedded.shutdown(nosave=True) is None
    assert embedded.dbsize() == 0  # nothing was saved: a restart starts empty
    embedded.set("k", "v")
    assert embedded.shutdown(save=True) is None
    assert (tmp_path / "dump.rdb").exists()
    assert embedded.get("k") == b"v"  # saved, so the restart keeps it
    with pytest.raises(redcore.exceptions.DataError):
        embedded.shutdown(save=True, nosave=True)


def test_shutdown_argument_errors(embedded: Any) -> None:
    assert error_of(embedded, "SHUTDOWN", "foo") == "syntax error"
    assert error_of(embedded, "SHUTDOWN", "SAVE", "NOSAVE") == "syntax error"
    assert error_of(embedded, "SHUTDOWN", "ABORT") == "No shutdown in progress."


def test_shutdown_abort_on_server(r: Any) -> None:
    assert error_of(r, "SHUTDOWN", "ABORT") == "No shutdown in progress."
    assert error_of(r, "SHUTDOWN", "foo") == "syntax error"


# -- replication ------------------------------------------------------------------


def test_role_and_wait(r: Any) -> None:
    role = r.role()
    assert role[0] == b"master"
    assert r.wait(0, 0) == 0
    assert r.wait(1, 10) == 0
    assert error_of(r, "WAIT", "x", "0") == "value is not an integer or out of range"
    assert error_of(r, "WAIT", "0", "x") == "timeout is not an integer or out of range"
    assert error_of(r, "WAIT", "0", "-1") == "timeout is negative"


def test_wait_blocks_for_its_timeout(embedded: Any) -> None:
    t = time.perf_counter()
    assert embedded.wait(1, 100) == 0
    assert time.perf_counter() - t >= 0.09


def test_replicaof_no_one(r: Any) -> None:
    assert r.replicaof("NO", "ONE") in (b"OK", "OK", True)
    assert r.slaveof() is True
    assert r.execute_command("REPLICAOF", "no", "one") in (b"OK", True)


def test_replicaof_a_master_is_refused_embedded(embedded: Any) -> None:
    with pytest.raises(redcore.exceptions.ResponseError, match="cannot be a replica"):
        embedded.replicaof("127.0.0.1", 6379)
    with pytest.raises(redcore.exceptions.ResponseError, match="cannot be a replica"):
        embedded.slaveof("127.0.0.1", 6379)
    assert embedded.role()[0] == b"master"


def test_failover_without_replicas(r: Any) -> None:
    assert error_of(r, "FAILOVER") == "FAILOVER requires connected replicas."
    assert error_of(r, "FAILOVER", "TIMEOUT", "10") == "FAILOVER requires connected replicas."
    assert error_of(r, "FAILOVER", "TO", "127.0.0.1", "1") == "FAILOVER requires connected replicas."
    assert error_of(r, "FAILOVER", "ABORT") == "No failover in progress."
    assert error_of(r, "FAILOVER", "ABORT", "TIMEOUT", "5") == "syntax error"
    assert error_of(r, "FAILOVER", "FORCE", "FORCE") == "syntax error"
    assert error_of(r, "FAILOVER", "TO", "h", "x") == "value is not an integer or out of range"
    assert error_of(r, "FAILOVER", "TIMEOUT", "0") == "FAILOVER timeout must be greater than 0"
    assert error_of(r, "FAILOVER", "bogus") == "syntax error"


def test_failover_method_embedded(embedded: Any) -> None:
    with pytest.raises(redcore.exceptions.ResponseError, match="requires connected replicas"):
        embedded.failover()
    with pytest.raises(redcore.exceptions.ResponseError, match="No failover in progress"):
        embedded.failover(abort=True)


def test_replconf(r: Any) -> None:
    assert r.execute_command("REPLCONF") in (b"OK", True)
    assert r.execute_command("REPLCONF", "listening-port", "1") in (b"OK", True)
    assert error_of(r, "REPLCONF", "foo", "bar") == "Unrecognized REPLCONF option: foo"
    assert error_of(r, "REPLCONF", "listening-port") == "syntax error"


def test_sync_and_psync_embedded(embedded: Any) -> None:
    embedded.set("k", "v")
    payload = embedded.sync()
    assert payload.startswith(b"REDIS0010") and b"k" in payload
    reply = embedded.psync("?", -1)
    head, replid, offset = reply.split()
    assert head == b"FULLRESYNC" and len(replid) == 40 and offset == b"0"
    assert embedded.psync("?", -1) == reply


def test_waitaof_embedded(embedded: Any) -> None:
    """Redis 7.2's WAITAOF: with appendonly off numlocal must be 0."""
    assert embedded.waitaof(0, 0, 0) == [0, 0]
    with pytest.raises(redcore.exceptions.ResponseError, match="appendonly is disabled"):
        embedded.waitaof(1, 0, 0)
    t = time.perf_counter()
    assert embedded.waitaof(0, 1, 50) == [0, 0]
    assert time.perf_counter() - t >= 0.04


# -- cluster ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("INFO",), ("KEYSLOT", "foo"), ("HELP",), ("MYID",), ("NODES",), ("SLOTS",), ("SHARDS",),
        ("LINKS",), ("COUNTKEYSINSLOT", "1"), ("GETKEYSINSLOT", "1", "1"), ("ADDSLOTS", "1"),
        ("RESET",), ("FLUSHSLOTS",), ("SETSLOT", "1", "STABLE"), ("REPLICAS", "x"), ("SAVECONFIG",),
    ],
)
def test_cluster_is_disabled(r: Any, args: tuple) -> None:
    assert error_of(r, "CLUSTER", *args) == CLUSTER_OFF


def test_cluster_errors_and_methods(r: Any) -> None:
    assert error_of(r, "CLUSTER", "foo") == "unknown subcommand 'foo'. Try CLUSTER HELP."
    assert error_of(r, "CLUSTER") == "wrong number of arguments for 'cluster' command"
    assert error_of(r, "CLUSTER", "KEYSLOT") == "wrong number of arguments for 'cluster|keyslot' command"
    for method in (r.readonly, r.readwrite):
        with pytest.raises(r.exc.ResponseError, match=CLUSTER_OFF):
            method()
    with pytest.raises(r.exc.ResponseError, match=CLUSTER_OFF):
        r.execute_command("ASKING")
    with pytest.raises(r.exc.ResponseError, match=CLUSTER_OFF):
        r.cluster("info")
    with pytest.raises(r.exc.ResponseError, match=CLUSTER_OFF):
        r.cluster("keyslot", "foo")


# -- modules ----------------------------------------------------------------------


def test_modules(r: Any) -> None:
    assert r.module_list() == []
    disabled = "MODULE command not allowed"
    with pytest.raises(r.exc.ResponseError, match=disabled):
        r.module_load("/nonexistent.so")
    with pytest.raises(r.exc.ResponseError, match=disabled):
        r.module_loadex("/nonexistent.so", options=["a", "b"])
    with pytest.raises(r.exc.ResponseError, match=disabled):
        r.module_unload("foo")
    help_lines = r.execute_command("MODULE", "HELP")
    assert help_lines[0].startswith(b"MODULE <subcommand>")
    assert b"UNLOAD <name>" in help_lines


# -- misc -------------------------------------------------------------------------


def test_restore_asking(r: Any) -> None:
    r.set("src", "value")
    payload = r.dump("src")
    assert r.execute_command("RESTORE-ASKING", "dst", 0, payload) in (b"OK", True)
    assert r.get("dst") == b"value"
    assert error_of(r, "RESTORE-ASKING", "k", "0", "x") == "DUMP payload version or checksum are wrong"
    assert error_of(r, "RESTORE-ASKING", "dst", "0", payload) == "BUSYKEY Target key name already exists."


def test_lolwut(r: Any) -> None:
    assert r.lolwut() == b"Redis ver. 7.0.15\n"
    assert r.lolwut(1) == b"Redis ver. 7.0.15\n"
    assert r.execute_command("LOLWUT", "foo") == b"Redis ver. 7.0.15\n"
    assert error_of(r, "LOLWUT", "VERSION", "x") == "value is not an integer or out of range"


def test_stralgo_was_removed(r: Any) -> None:
    with pytest.raises(r.exc.ResponseError, match="(?i)unknown command 'stralgo'"):
        r.stralgo("LCS", "ohmytext", "mynewtext")
    with pytest.raises(r.exc.DataError):
        r.stralgo("LCS", "a", "b", len=True, idx=True)


# -- slow log -----------------------------------------------------------------------


@pytest.fixture
def slowlog(r: Any) -> Iterator[Any]:
    """Logs every command; the settings are restored afterwards."""
    old = r.config_get("slowlog-*")
    r.config_set("slowlog-log-slower-than", 0)
    r.slowlog_reset()
    yield r
    r.config_set("slowlog-log-slower-than", old["slowlog-log-slower-than"])
    r.config_set("slowlog-max-len", old["slowlog-max-len"])
    r.slowlog_reset()


def _entries_of(r: Any, name: bytes) -> list:
    return [e for e in r.slowlog_get(-1) if e["command"].split(b" ")[0].lower() == name]


def test_slowlog_records_commands(slowlog: Any) -> None:
    r = slowlog
    r.client_setname("slowpoke")
    r.set("key", "value")
    [entry] = _entries_of(r, b"set")
    assert entry["command"].lower() == b"set key value"
    assert entry["client_name"] == b"slowpoke"
    assert isinstance(entry["duration"], int) and entry["duration"] >= 0
    assert abs(entry["start_time"] - time.time()) < 5
    assert r.slowlog_len() >= 1
    assert len(r.slowlog_get(1)) == 1
    raw = r.execute_command("SLOWLOG", "GET", 1)
    assert len(raw[0]) == 6
    assert r.slowlog_reset() is True
    assert r.slowlog_len() in (0, 1)  # Redis logs the RESET itself


def test_slowlog_trims_arguments(slowlog: Any) -> None:
    r = slowlog
    r.rpush("l", *range(40))
    [entry] = _entries_of(r, b"rpush")
    args = entry["command"].split(b" ", 31)
    assert [a.lower() for a in args[:3]] == [b"rpush", b"l", b"0"]
    assert args[-1] == b"... (11 more arguments)"
    r.set("big", "x" * 200)
    [entry] = _entries_of(r, b"set")
    assert entry["command"].lower() == b"set big " + b"x" * 128 + b"... (72 more bytes)"


def test_slowlog_max_len_and_threshold(slowlog: Any) -> None:
    r = slowlog
    r.config_set("slowlog-max-len", 3)
    for i in range(10):
        r.set(f"k{i}", i)
    assert r.slowlog_len() == 3
    r.config_set("slowlog-log-slower-than", -1)
    r.slowlog_reset()
    r.set("k", 1)
    assert r.slowlog_len() == 0


def test_slowlog_errors(r: Any) -> None:
    assert error_of(r, "SLOWLOG", "GET", "x") == "count should be greater than or equal to -1"
    assert error_of(r, "SLOWLOG", "GET", "-2") == "count should be greater than or equal to -1"
    assert error_of(r, "SLOWLOG", "foo") == "unknown subcommand 'foo'. Try SLOWLOG HELP."
    help_lines = r.execute_command("SLOWLOG", "HELP")
    assert help_lines[0] == b"SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert len(help_lines) == 12


def test_slowlog_get_decoded(make: Any) -> None:
    rd = make(decode_responses=True)
    old = rd.config_get("slowlog-log-slower-than")["slowlog-log-slower-than"]
    rd.config_set("slowlog-log-slower-than", 0)
    try:
        rd.set("dk", "dv")
        entry = [e for e in rd.slowlog_get(-1) if e["command"].lower().startswith(b"set")][0]
        assert entry["command"].lower() == b"set dk dv"
    finally:
        rd.config_set("slowlog-log-slower-than", old)
        rd.slowlog_reset()


# -- latency ------------------------------------------------------------------------


def test_latency_with_monitoring_off(r: Any) -> None:
    r.latency_reset()
    assert r.latency_latest() == []
    assert r.latency_history("command") == []
    assert r.latency_reset() == 0
    assert r.latency_reset("a", "b") == 0
    doctor = r.execute_command("LATENCY", "DOCTOR")
    assert doctor.startswith(b"I'm sorry, Dave, I can't do that. Latency monitoring is disabled")
    assert error_of(r, "LATENCY", "GRAPH", "command") == "No samples available for event 'command'"
    assert error_of(r, "LATENCY", "foo") == "unknown subcommand 'foo'. Try LATENCY HELP."


def test_latency_histogram(r: Any) -> None:
    r.set("a", 1)
    r.set("b", 2)
    raw = r.execute_command("LATENCY", "HISTOGRAM", "set", "nosuchcommand")
    assert raw[0] == b"set"
    detail = dict(zip(raw[1][::2], raw[1][1::2]))
    assert detail[b"calls"] >= 2
    buckets = detail[b"histogram_usec"]
    assert buckets[-1] == detail[b"calls"]  # cumulative
    if r.backend != "oracle":
        hist = r.latency_histogram("set", "config|get")
        assert set(hist) <= {"set", "config|get"}
        assert hist["set"]["calls"] >= 2
        assert list(hist["set"]["histogram_usec"].values())[-1] == hist["set"]["calls"]


def test_latency_monitor_records_slow_commands(embedded: Any) -> None:
    r = embedded
    r.config_set("latency-monitor-threshold", 1)
    r.execute_command("WAIT", 1, 20)  # blocked time does not count...
    assert r.latency_latest() == []
    r.eval("local t = redis.call('TIME') local s = t[1] * 1e6 + t[2] "
           "repeat t = redis.call('TIME') until t[1] * 1e6 + t[2] - s > 5000", 0)
    [[event, when, last, worst]] = r.latency_latest()
    assert event == b"command" and last >= 5 and worst >= last
    assert abs(when - time.time()) < 5
    assert r.latency_history("command") == [[when, last]]
    graph = r.latency_graph("command")
    assert graph.startswith(b"command - high ")
    assert r.latency_doctor().startswith(b"Dave, I have observed latency spikes")
    assert r.latency_reset("command") == 1
    assert r.latency_latest() == []
    assert r.latency_doctor().startswith(b"Dave, no latency spike was observed")
