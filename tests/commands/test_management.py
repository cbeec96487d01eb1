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
from support import NEWER_THAN_7_0, error_of

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


def test_bgrewriteaof_reply(r: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
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
    # As in Redis 7.0, a failed SAVE leaves the status alone: only
    # background saves report errors (test_misconf.py checks both against
    # redis-server).
    assert r.info("persistence")["rdb_last_bgsave_status"] == "ok"
    r.bgsave()
    deadline = time.time() + 10
    while r.info("persistence")["rdb_last_bgsave_status"] != "err":
        assert time.time() < deadline
        time.sleep(0.01)


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
    assert error_of(r, "LOLWUT", "VERSION", "5", "1", "x") == "value is not an integer or out of range"


@pytest.mark.parametrize(
    "args", [("1", "1", "1"), ("10", "4", "2"), ("33", "8", "1"), ("0", "0", "0", "9"), ("2000", "2", "2"), ("7", "200", "2")]
)
def test_lolwut_5_draws_schotter(r: Any, redis_server: Any, args: tuple) -> None:
    """The first two rows of squares are not randomized: the art must be
    the server's, dot for dot."""
    art = r.lolwut(5, *args)
    assert art.endswith(b"\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. 7.0.15\n")
    assert art == redis_server.client().execute_command("LOLWUT", "VERSION", 5, *args)


@pytest.mark.parametrize("args", [("5", "1"), ("1", "1"), ("0", "0"), ("3000", "1")])
def test_lolwut_6_one_row_is_all_sky(r: Any, redis_server: Any, args: tuple) -> None:
    """With one row no building rises: the art is exact."""
    assert r.lolwut(6, *args) == redis_server.client().execute_command("LOLWUT", "VERSION", 6, *args)


def test_lolwut_6_skyline(r: Any) -> None:
    import re

    art = r.lolwut(6, 40, 10).decode()
    lines = art.split("\n")
    assert len(lines) == 10 + 3
    cell = r"\x1b\[0;(30;40|90;100|37;47|97;107)m \x1b\[0m"
    assert all(re.fullmatch(f"(?:{cell}){{40}}", line) for line in lines[:10])
    assert "30;40" in lines[9]  # the front row of buildings reaches the ground
    assert lines[10] == "Dedicated to the 8 bit game developers of past and present."
    assert lines[11] == "Original 8 bit image from Plaguemon by hikikomori. Redis ver. 7.0.15"
    assert error_of(r, "LOLWUT", "VERSION", "6", "x") == "value is not an integer or out of range"


def test_lolwut_5_default_size(r: Any) -> None:
    art = r.lolwut(5).decode()
    lines = art.split("\n")
    assert len(lines[0]) == 66 and all(0x2800 <= ord(ch) <= 0x28FF for ch in lines[0])
    assert lines[-2].startswith("Georg Nees")



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
    r.get("key")
    r.hget("h", "f")
    assert [e["command"] for e in _entries_of(r, b"get")] in ([b"GET key"], [b"get key"])
    assert len(_entries_of(r, b"hget")) == 1
    assert entry["client_name"] == b"slowpoke"
    assert isinstance(entry["duration"], int) and entry["duration"] >= 0
    assert abs(entry["start_time"] - time.time()) < 5
    assert r.slowlog_len() >= 1
    assert len(r.slowlog_get(1)) == 1
    raw = r.execute_command("SLOWLOG", "GET", 1)
    assert len(raw[0]) == 6
    assert r.slowlog_reset() is True
    assert r.slowlog_len() in (0, 1)  # Redis logs the RESET itself


def test_slowlog_records_commands_of_transactions_and_scripts(slowlog: Any) -> None:
    r = slowlog
    with r.pipeline() as p:
        p.set("in-multi", 1).get("in-multi").execute()
    r.eval("return redis.call('set', 'in-script', 1)", 0)
    names = [e["command"].split(b" ")[:2] for e in r.slowlog_get(-1)]
    lowered = [[a.lower() for a in n] for n in names]
    assert [b"set", b"in-multi"] in lowered and [b"get", b"in-multi"] in lowered
    assert [b"set", b"in-script"] in lowered
    assert [b"exec"] not in [n[:1] for n in lowered]  # EXEC itself skips the slow log


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


def test_latency_histogram(r2: Any) -> None:
    r = r2  # the raw reply's RESP2 shape is checked here
    r.set("a", 1)
    r.set("b", 2)
    r.get("a")
    assert r.execute_command("LATENCY", "HISTOGRAM", "get")[0] == b"get"
    raw = r.execute_command("LATENCY", "HISTOGRAM", "set", "nosuchcommand")
    assert raw[0] == b"set"
    detail = dict(zip(raw[1][::2], raw[1][1::2]))
    assert detail[b"calls"] >= 2
    buckets = detail[b"histogram_usec"]
    assert buckets[-1] == detail[b"calls"]  # cumulative
    if r.backend not in ("oracle", "server"):  # redis-py leaves latency_histogram() out
        hist = r.latency_histogram("set", "config|get")
        assert set(hist) <= {"set", "config|get"}
        assert hist["set"]["calls"] >= 2
        assert list(hist["set"]["histogram_usec"].values())[-1] == hist["set"]["calls"]


def test_latency_monitor_records_slow_commands(embedded: Any) -> None:
    r = embedded
    # A threshold well above what a loaded machine adds to a fast command.
    r.config_set("latency-monitor-threshold", 25)
    r.execute_command("WAIT", 1, 60)  # blocked time does not count...
    assert r.latency_latest() == []
    r.eval("local t = redis.call('TIME') local s = t[1] * 1e6 + t[2] "
           "repeat t = redis.call('TIME') until t[1] * 1e6 + t[2] - s > 50000", 0)
    latest = {e[0]: e for e in r.latency_latest()}
    [event, when, last, worst] = latest[b"command"]
    assert last >= 50 and worst >= last
    assert abs(when - time.time()) < 5
    assert r.latency_history("command") == [[when, last]]
    graph = r.latency_graph("command")
    assert graph.startswith(b"command - high ")
    assert r.latency_doctor().startswith(b"Dave, I have observed latency spikes")
    assert r.latency_reset("command") == 1
    r.latency_reset()
    assert r.latency_latest() == []
    assert r.latency_doctor().startswith(b"Dave, no latency spike was observed")


# -- COMMAND DOCS / GETKEYSANDFLAGS -------------------------------------------------

DOC_FIELDS = (
    "summary", "since", "group", "complexity", "doc_flags", "deprecated_since", "replaced_by", "history", "arguments",
)


def _docs(client: Any, *names: str) -> dict:
    from redcore._callbacks import parse_command_docs

    client.response_callbacks.pop("COMMAND", None)
    return parse_command_docs(client.execute_command("COMMAND", "DOCS", *names))


def _doc_fields(doc: dict) -> dict:
    out = {k: doc[k] for k in DOC_FIELDS if k in doc}
    if "doc_flags" in out:
        out["doc_flags"] = sorted(out["doc_flags"])
    out["subcommands"] = {k: _doc_fields(v) for k, v in doc.get("subcommands", {}).items()}
    return out


def test_command_docs_match_redis_for_every_command(pair: Any) -> None:
    """Summary, since, group, complexity, flags, deprecation, history and
    argument trees of every command and subcommand in the table are Redis
    7.0's."""
    ours = _docs(pair["embedded"])
    theirs = _docs(pair["oracle"], *ours)
    problems = []
    for name, doc in ours.items():
        if name in NEWER_THAN_7_0:
            assert doc["since"] > b"7.0.0" and name not in theirs
            continue
        real = dict(theirs[name])
        newer = {k: v for k, v in doc.get("subcommands", {}).items() if k in NEWER_THAN_7_0}
        if newer:  # Redis 7.2 subcommands (CLIENT SETINFO / NO-TOUCH)
            assert all(v["since"] > b"7.0.0" for v in newer.values())
            doc = {**doc, "subcommands": {k: v for k, v in doc["subcommands"].items() if k not in newer}}
        if "subcommands" in real:  # only the subcommands the engine has
            real["subcommands"] = {k: v for k, v in real["subcommands"].items() if k in doc.get("subcommands", {})}
        if _doc_fields(doc) != _doc_fields(real):
            problems.append(name)
    assert not problems, problems


def test_command_docs_method(rd: Any) -> None:
    if rd.backend in ("oracle", "server"):
        pytest.skip("redis-py leaves command_docs() out")
    docs = rd.command_docs("get", "nosuchcommand", "config|get")
    assert set(docs) == {"get", "config|get"}
    assert docs["get"]["summary"] == "Get the value of a key"
    assert docs["get"]["group"] == "string"
    assert len(rd.command_docs()) == rd.command_count()


@pytest.mark.parametrize(
    "line",
    [
        "SET k v", "SET k v GET", "GET k", "SORT k STORE d", "SORT k BY x GET y", "LMOVE a b LEFT RIGHT",
        "XREAD STREAMS a b 0 0", "EVAL s 2 a b c", "ZUNIONSTORE d 2 a b", "GEORADIUS k 0 0 1 m STORE d",
        "MSET a 1 b 2", "BITFIELD k GET u8 0", "BITFIELD k SET u8 0 1", "XREADGROUP GROUP g c STREAMS a 0",
        "OBJECT ENCODING k", "MEMORY USAGE k", "LMPOP 2 a b LEFT", "BLMPOP 0 2 a b LEFT", "ZADD k 1 a",
        "DEL a b", "RENAME a b", "COPY a b", "SMOVE a b m", "MIGRATE h 1 \"\" 0 5 KEYS a b",
    ],
)
def test_getkeysandflags_match_redis(r: Any, line: str) -> None:
    args = [a.strip('"') for a in line.split()]
    got = r.command_getkeysandflags(*args)
    keys = [k for k, _ in got]
    assert keys == [k.encode() if isinstance(k, str) else k for k in r.command_getkeys(*args)] or keys
    assert got == EXPECTED_KEYS_AND_FLAGS[line]


EXPECTED_KEYS_AND_FLAGS = {
    "SET k v": [[b"k", [b"OW", b"update"]]],
    "SET k v GET": [[b"k", [b"RW", b"access", b"update"]]],
    "GET k": [[b"k", [b"RO", b"access"]]],
    "SORT k STORE d": [[b"k", [b"RO", b"access"]], [b"d", [b"OW", b"update"]]],
    "SORT k BY x GET y": [[b"k", [b"RO", b"access"]]],
    "LMOVE a b LEFT RIGHT": [[b"a", [b"RW", b"access", b"delete"]], [b"b", [b"RW", b"insert"]]],
    "XREAD STREAMS a b 0 0": [[b"a", [b"RO", b"access"]], [b"b", [b"RO", b"access"]]],
    "EVAL s 2 a b c": [[b"a", [b"RW", b"access", b"update"]], [b"b", [b"RW", b"access", b"update"]]],
    "ZUNIONSTORE d 2 a b": [[b"d", [b"OW", b"update"]], [b"a", [b"RO", b"access"]], [b"b", [b"RO", b"access"]]],
    "GEORADIUS k 0 0 1 m STORE d": [[b"k", [b"RO", b"access"]], [b"d", [b"OW", b"update"]]],
    "MSET a 1 b 2": [[b"a", [b"OW", b"update"]], [b"b", [b"OW", b"update"]]],
    "BITFIELD k GET u8 0": [[b"k", [b"RO", b"access"]]],
    "BITFIELD k SET u8 0 1": [[b"k", [b"RW", b"access", b"update"]]],
    "XREADGROUP GROUP g c STREAMS a 0": [[b"a", [b"RO", b"access"]]],
    "OBJECT ENCODING k": [[b"k", [b"RO"]]],
    "MEMORY USAGE k": [[b"k", [b"RO"]]],
    "LMPOP 2 a b LEFT": [[b"a", [b"RW", b"access", b"delete"]], [b"b", [b"RW", b"access", b"delete"]]],
    "BLMPOP 0 2 a b LEFT": [[b"a", [b"RW", b"access", b"delete"]], [b"b", [b"RW", b"access", b"delete"]]],
    "ZADD k 1 a": [[b"k", [b"RW", b"update"]]],
    "DEL a b": [[b"a", [b"RM", b"delete"]], [b"b", [b"RM", b"delete"]]],
    "RENAME a b": [[b"a", [b"RW", b"access", b"delete"]], [b"b", [b"OW", b"update"]]],
    "COPY a b": [[b"a", [b"RO", b"access"]], [b"b", [b"OW", b"update"]]],
    "SMOVE a b m": [[b"a", [b"RW", b"access", b"delete"]], [b"b", [b"RW", b"insert"]]],
    "MIGRATE h 1 \"\" 0 5 KEYS a b": [[b"a", [b"RW", b"access", b"delete"]], [b"b", [b"RW", b"access", b"delete"]]],
}


def test_getkeysandflags_errors(r: Any) -> None:
    assert error_of(r, "COMMAND", "GETKEYSANDFLAGS", "nosuch", "x") == "Invalid command specified"
    assert error_of(r, "COMMAND", "GETKEYSANDFLAGS", "ping", "x") == "The command has no key arguments"
    assert error_of(r, "COMMAND", "GETKEYSANDFLAGS", "get") == (
        "wrong number of arguments for 'command|getkeysandflags' command"
    )
    assert error_of(r, "COMMAND", "GETKEYSANDFLAGS", "get", "a", "b") == (
        "Invalid number of arguments specified for command"
    )


# -- MIGRATE ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def target() -> Iterator[Any]:
    """A private redis-server to migrate into."""
    from conftest import RedisServer

    server = RedisServer(extra=("--enable-debug-command", "yes", "--enable-protected-configs", "yes"))
    yield server
    server.stop()


@pytest.fixture
def dest(target: Any) -> Any:
    c = target.client()
    c.flushall()
    return c


def test_migrate_moves_keys(r: Any, target: Any, dest: Any) -> None:
    r.set("a", "1")
    r.rpush("b", "x", "y")
    r.set("t", "v", ex=1000)
    assert r.migrate("127.0.0.1", target.port, ["a", "b", "t", "missing"], 0, 1000) in (b"OK", "OK")
    assert r.exists("a", "b", "t") == 0
    assert dest.get("a") == b"1"
    assert dest.lrange("b", 0, -1) == [b"x", b"y"]
    assert 990 <= dest.ttl("t") <= 1000
    assert r.migrate("127.0.0.1", target.port, ["a"], 0, 1000) in (b"NOKEY", "NOKEY")


def test_migrate_copy_replace_and_errors(r: Any, target: Any, dest: Any) -> None:
    r.set("k", "new")
    dest.set("k", "old")
    with pytest.raises(r.exc.ResponseError) as e:
        r.migrate("127.0.0.1", target.port, "k", 0, 1000, copy=True)
    assert str(e.value) == "Target instance replied with error: BUSYKEY Target key name already exists."
    assert r.get("k") == b"new"
    r.migrate("127.0.0.1", target.port, "k", 0, 1000, copy=True, replace=True)
    assert r.get("k") == b"new" and dest.get("k") == b"new"
    r.execute_command("MIGRATE", "127.0.0.1", target.port, "k", 1, 1000, "REPLACE")
    assert r.exists("k") == 0 and dest.execute_command("SELECT", 1) and dest.get("k") == b"new"
    r.set("k", "v")
    assert error_of(r, "MIGRATE", "127.0.0.1", target.port, "k", 99, 1000) == (
        "Target instance replied with error: ERR DB index is out of range"
    )
    assert error_of(r, "MIGRATE", "127.0.0.1", target.port, "k", 0, 1000, "AUTH", "pw").startswith(
        "Target instance replied with error: ERR AUTH <password> called without any password"
    )
    assert error_of(r, "MIGRATE", "127.0.0.1", target.port, "k", 0, 1000, "AUTH2", "u", "pw") == (
        "Target instance replied with error: WRONGPASS invalid username-password pair or user is disabled."
    )
    assert error_of(r, "MIGRATE", "127.0.0.1", target.port, "k", 0, 1000, "KEYS", "a") == (
        "When using MIGRATE KEYS option, the key argument must be set to the empty string"
    )
    assert error_of(r, "MIGRATE", "127.0.0.1", target.port, "k", "x", 1000) == "value is not an integer or out of range"
    assert error_of(r, "MIGRATE", "127.0.0.1", target.port, "k", 0, 1000, "AUTH") == "syntax error"
    assert error_of(r, "MIGRATE", "127.0.0.1", target.port, "k", 0, 1000, "bogus") == "syntax error"
    with pytest.raises(r.exc.DataError):
        r.migrate("127.0.0.1", target.port, [], 0, 1000)


def test_migrate_to_nowhere(r: Any) -> None:
    from conftest import _free_port

    r.set("k", "v")
    with pytest.raises(r.exc.ResponseError) as e:
        r.execute_command("MIGRATE", "127.0.0.1", _free_port(), "k", 0, 200)
    assert str(e.value).startswith("IOERR error or timeout")
    assert r.get("k") == b"v"


# -- DEBUG and startup settings ------------------------------------------------------


def test_debug_is_off_by_default(r: Any) -> None:
    with pytest.raises(r.exc.ResponseError, match="DEBUG command not allowed"):
        r.debug_object("k")
    assert error_of(r, "DEBUG", "HELP").startswith("DEBUG command not allowed.")
    assert r.config_get("enable-debug-command") == {b"enable-debug-command": b"no"} or r.config_get(
        "enable-debug-command"
    ) == {"enable-debug-command": "no"}


@pytest.fixture(params=["embedded", "server"])
def dbg(request: Any, target: Any, dest: Any) -> Any:
    """A client with DEBUG enabled: an embedded engine configured at
    creation, or the private server started with the same setting."""
    if request.param == "server":
        dest.exc = __import__("redis").exceptions
        return dest
    c = redcore.Redis(config={"enable-debug-command": "yes"})
    c.exc = redcore.exceptions
    return c


def test_debug_subset(dbg: Any) -> None:
    r = dbg
    r.set("k", "hello")
    info = r.debug_object("k")
    assert info["type"] == "Value" and info["encoding"] == "embstr"
    assert info["serializedlength"] == 6 and info["refcount"] == 1
    r.rpush("l", "a", "b")
    assert r.debug_object("l")["encoding"] == "quicklist"
    assert error_of(r, "DEBUG", "OBJECT", "nokey") == "no such key"
    assert r.execute_command("DEBUG", "SLEEP", 0) in (b"OK", "OK")
    t = time.perf_counter()
    r.execute_command("DEBUG", "SLEEP", "0.05")
    assert time.perf_counter() - t >= 0.045
    assert r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", 1) in (b"OK", "OK")
    assert error_of(r, "DEBUG", "ERROR", "foo bar") == "foo bar"


def test_debug_object_list_nodes(dbg: Any) -> None:
    # Short strings are cut into quicklist nodes as Redis cuts them: 817
    # eight-byte elements fill an 8 KB node, from either end.
    r = dbg
    for n in (3, 817, 818, 2000):
        r.delete("l", "m")
        r.rpush("l", *[b"x" * 8] * n)
        r.lpush("m", *[b"x" * 8] * n)
        nodes = -(-n // 817)
        for key in ("l", "m"):
            info = r.debug_object(key)
            assert int(info["ql_nodes"]) == nodes
            assert int(info["ql_uncompressed_size"]) == 10 * n + 7 * nodes
            assert info["serializedlength"] == r.debug_object("l")["serializedlength"]
    assert r.execute_command("DEBUG", "POPULATE", 3) in (b"OK", "OK")
    r.execute_command("DEBUG", "POPULATE", 2, "p", 5)
    assert r.mget("key:0", "key:2", "p:1") == [b"value:0", b"value:2", b"value"]
    assert error_of(r, "DEBUG", "POPULATE", -1) == "value is out of range, must be positive"
    # DEBUG PROTOCOL as a RESP2 client sees it (a RESP3 client gets typed
    # values, a push, and an attribute redis-py cannot parse).
    if isinstance(r, redcore.Redis):
        p2 = redcore.Redis(config={"enable-debug-command": "yes"}, protocol=2)
    else:
        p2 = __import__("redis").Redis(port=r.connection_pool.connection_kwargs["port"], protocol=2)
    p2.exc = r.exc
    for kind, value in [("string", b"Hello World"), ("integer", 12345), ("null", None), ("array", [0, 1, 2]),
                        ("set", [0, 1, 2]), ("map", [0, 0, 1, 1, 2, 0]), ("true", 1), ("false", 0),
                        ("verbatim", b"This is a verbatim\nstring"), ("double", b"3.141"),
                        ("attrib", b"Some real reply following the attribute")]:
        assert p2.execute_command("DEBUG", "PROTOCOL", kind) == value, kind
    assert error_of(p2, "DEBUG", "PROTOCOL", "push") == "RESP2 is not supported by this command"
    assert error_of(p2, "DEBUG", "PROTOCOL", "foo").startswith("Wrong protocol type name.")
    assert error_of(r, "DEBUG", "JMAP") == "unknown subcommand or wrong number of arguments for 'JMAP'. Try DEBUG HELP."
    assert error_of(r, "DEBUG") == "wrong number of arguments for 'debug' command"


def test_debug_crashers_are_errors_embedded() -> None:
    r = redcore.Redis(config={"enable-debug-command": "local"})
    with pytest.raises(redcore.exceptions.ResponseError, match="would end the Python process"):
        r.execute_command("DEBUG", "SEGFAULT")
    with pytest.raises(NotImplementedError, match="intentionally not implemented"):
        r.debug_segfault()  # as redis-py's: the client never sends it
    for sub in ("PANIC", "ASSERT", "OOM", "RESTART", "CRASH-AND-RECOVER"):
        with pytest.raises(redcore.exceptions.ResponseError, match="not supported"):
            r.execute_command("DEBUG", sub)
    assert r.ping()
    help_lines = r.execute_command("DEBUG", "HELP")
    assert help_lines[0].startswith(b"DEBUG <subcommand>") and b"OBJECT <key>" in help_lines


def test_startup_config(tmp_path: Any) -> None:
    r = redcore.Redis(config={"dir": str(tmp_path), "dbfilename": "snap.rdb", "databases": 4}, decode_responses=True)
    assert r.config_get("dir") == {"dir": str(tmp_path.resolve())}
    r.set("k", "v")
    r.save()
    assert (tmp_path / "snap.rdb").exists()
    with pytest.raises(redcore.exceptions.ResponseError, match="DB index is out of range"):
        r.select(4)
    with pytest.raises(redcore.exceptions.DataError, match="No such file or directory"):
        redcore.Redis(config={"dir": str(tmp_path / "missing")})
    with pytest.raises(TypeError):
        redcore.Redis(port=1, config={"hz": 5})


def test_dir_and_dbfilename_are_protected(r: Any) -> None:
    assert error_of(r, "CONFIG", "SET", "dir", "/tmp") == (
        "CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"
    )
    assert error_of(r, "CONFIG", "SET", "dbfilename", "x.rdb") == (
        "CONFIG SET failed (possibly related to argument 'dbfilename') - can't set protected config"
    )


@pytest.fixture(params=["embedded", "server"])
def protected_ok(request: Any, target: Any, dest: Any, tmp_path: Any) -> Iterator[Any]:
    if request.param == "server":
        dest.exc = __import__("redis").exceptions
        old = dest.config_get("dir")["dir"]
        yield dest
        dest.config_set("dir", old)
        dest.config_set("dbfilename", "dump.rdb")
        return
    c = redcore.Redis(config={"enable-protected-configs": "yes"})
    c.exc = redcore.exceptions
    yield c


def test_dir_and_dbfilename_validation(protected_ok: Any, tmp_path: Any) -> None:
    r = protected_ok
    prefix = "CONFIG SET failed (possibly related to argument '{}') - "
    assert error_of(r, "CONFIG", "SET", "dir", str(tmp_path / "missing")) == prefix.format("dir") + "No such file or directory"
    (tmp_path / "file").write_text("x")
    assert error_of(r, "CONFIG", "SET", "dir", str(tmp_path / "file")) == prefix.format("dir") + "Not a directory"
    assert error_of(r, "CONFIG", "SET", "dbfilename", "a/b.rdb") == (
        prefix.format("dbfilename") + "dbfilename can't be a path, just a filename"
    )
    assert r.config_set("dir", str(tmp_path)) is True
    assert r.config_set("dbfilename", "other.rdb") is True
    assert r.config_get("dir")["dir"] in (str(tmp_path.resolve()), str(tmp_path.resolve()).encode())
    r.set("k", "v")
    r.save()
    assert (tmp_path / "other.rdb").exists()


def test_latency_monitor_matches_redis(dbg: Any) -> None:
    """The same slow command (DEBUG SLEEP) gives the same LATEST, HISTORY,
    GRAPH and DOCTOR shapes on the engine and on redis-server."""
    import re

    r = dbg
    r.config_set("latency-monitor-threshold", 10)
    try:
        r.latency_reset()
        assert r.execute_command("LATENCY", "DOCTOR").startswith(b"Dave, no latency spike was observed")
        r.execute_command("DEBUG", "SLEEP", "0.03")
        [[event, when, last, worst]] = r.latency_latest()
        assert event == b"command" and 30 <= last <= 200 and worst == last
        assert r.latency_history("command") == [[when, last]]
        graph = r.execute_command("LATENCY", "GRAPH", "command").decode()
        lines = graph.split("\n")
        assert re.fullmatch(r"command - high (\d+) ms, low \1 ms \(all time high \1 ms\)", lines[0])
        assert lines[1] == "-" * 80
        assert lines[2:7] == [" ", " ", " ", "_", " "]
        assert re.fullmatch(r"\d", lines[7]) and lines[8] == "s" and lines[9] == ""
        doctor = r.execute_command("LATENCY", "DOCTOR").decode()
        doctor = re.sub(r"\d+ms", "Nms", doctor)
        assert doctor == (
            "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, "
            "do you Dave?\n\n1. command: 1 latency spikes (average Nms, mean deviation Nms, period 1.00 sec). "
            "Worst all time event Nms.\n\nI have a few advices for you:\n\n"
            "- Check your Slow Log to understand what are the commands you are running which are too slow to "
            "execute. Please check https://redis.io/commands/slowlog for more information.\n"
            "- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. "
            "If you have very large objects that are often deleted, expired, or evicted, try to fragment those "
            "objects into multiple smaller objects.\n"
        )
        old = r.config_get("slowlog-log-slower-than")
        r.config_set("slowlog-log-slower-than", -1)
        assert "Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than 10000'" in (
            r.execute_command("LATENCY", "DOCTOR").decode()
        )
        r.config_set("slowlog-log-slower-than", 20000)
        assert "Please use 'CONFIG SET slowlog-log-slower-than 10000'.\n" in r.execute_command("LATENCY", "DOCTOR").decode()
        r.config_set("slowlog-log-slower-than", list(old.values())[0])
        assert r.latency_reset("command", "nosuch") == 1
        assert r.latency_latest() == []
    finally:
        r.config_set("latency-monitor-threshold", 0)


@pytest.mark.parametrize("client", ["remote", "oracle"])
def test_shutdown_of_a_server_returns_none(client: str) -> None:
    """A server closes the connection on SHUTDOWN: redis-py counts that as
    success, and so does redcore's network client."""
    from conftest import RedisServer

    server = RedisServer()
    try:
        c = redcore.Redis(port=server.port) if client == "remote" else server.client()
        assert c.shutdown(nosave=True) is None
        server.proc.wait(10)
        assert server.proc.returncode is not None
    finally:
        server.stop()
