"""Hash-field TTLs reach the AOF with absolute deadlines, as Redis 7.4+
propagates them, so a replay later restores the same deadlines.

HEXPIRE / HPEXPIRE / HEXPIREAT go in as ``HPEXPIREAT key ms [cond] FIELDS n
field...`` naming only the fields whose deadline was set, a field that a
deadline already past deleted as ``HDEL key field``; HSETEX EX/PX/EXAT as
HSETEX ... PXAT ms; HGETEX as HPEXPIREAT, HPERSIST or HDEL; fields that
expire on access (or in the active sweep) as ``HDEL key field``.

No local oracle: the redis-server the tests start is 7.0, which has no
hash-field TTLs, so the forms are those of Redis's t_hash.c (7.4 for the
HEXPIRE family, 8.0 for HSETEX / HGETEX) and its documentation.
"""

from __future__ import annotations

import gc
import time
from pathlib import Path
from typing import Any, List

import redcore
from aof_support import aof_config, incr_commands, wait_for


def _open(path: Path) -> Any:
    return redcore.Redis(config=aof_config(str(path)))


def _close(r: Any) -> None:
    """Turns AOF off; the caller drops its client (``r = _close(r)``) and
    the engine, with its directory lock, goes."""
    r.config_set("appendonly", "no")
    r.close()


def _cmds(path: Path) -> List[List[bytes]]:
    return [a for a in incr_commands(path / "appendonlydir") if a[0] not in (b"SELECT", b"MULTI", b"EXEC")]


def test_field_ttls_are_propagated_as_absolute_deadlines_and_replay(tmp_path: Path) -> None:
    r = _open(tmp_path)
    x = r.execute_command
    x("HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5", "f", "6")
    before = int(time.time() * 1000)
    assert x("HEXPIRE", "h", "100", "FIELDS", "1", "a") == [1]
    assert x("HPEXPIRE", "h", "200000", "NX", "FIELDS", "2", "b", "missing") == [1, -2]
    assert x("HPEXPIRE", "h", "300000", "NX", "FIELDS", "1", "b") == [0]  # not met: nothing
    assert x("HEXPIRE", "h", "0", "FIELDS", "1", "c") == [2]  # deleted at once
    assert x("HEXPIREAT", "h", str(before // 1000 + 400), "FIELDS", "1", "f") == [1]
    assert x("HSETEX", "h2", "EX", "300", "FIELDS", "1", "k", "v") == 1
    assert x("HSETEX", "h3", "PX", "0", "FIELDS", "1", "k", "v") == 1  # set and deleted
    assert x("HGETEX", "h", "PX", "500000", "FIELDS", "2", "d", "nope") == [b"4", None]
    assert x("HGETEX", "h", "EX", "600", "FIELDS", "1", "e") == [b"5"]
    assert x("HGETEX", "h", "PERSIST", "FIELDS", "1", "e") == [b"5"]
    after = int(time.time() * 1000)
    want = {f: x("HPEXPIRETIME", "h", "FIELDS", "1", f)[0] for f in ("a", "b", "d", "e", "f")}
    want_h2 = x("HPEXPIRETIME", "h2", "FIELDS", "1", "k")[0]
    cmds = _cmds(tmp_path)
    r = x = _close(r)
    gc.collect()

    def at(argv: List[bytes], rel_ms: int) -> None:
        # The deadline is the relative time from a moment of the run.
        assert before + rel_ms <= int(argv[2]) <= after + rel_ms, (argv, rel_ms)

    assert cmds[0][0] == b"HSET"
    assert cmds[1][:1] + cmds[1][3:] == [b"HPEXPIREAT", b"FIELDS", b"1", b"a"]
    at(cmds[1], 100_000)
    assert cmds[2][:1] + cmds[2][3:] == [b"HPEXPIREAT", b"NX", b"FIELDS", b"1", b"b"]
    at(cmds[2], 200_000)
    assert cmds[3] == [b"HDEL", b"h", b"c"]
    assert cmds[4] == [b"HPEXPIREAT", b"h", str((before // 1000 + 400) * 1000).encode(), b"FIELDS", b"1", b"f"]
    assert cmds[5][:3] == [b"HSETEX", b"h2", b"PXAT"] and cmds[5][4:] == [b"FIELDS", b"1", b"k", b"v"]
    assert before + 300_000 <= int(cmds[5][3]) <= after + 300_000
    assert cmds[6] == [b"HDEL", b"h3", b"k"]
    assert cmds[7][:1] + cmds[7][3:] == [b"HPEXPIREAT", b"FIELDS", b"1", b"d"]
    at(cmds[7], 500_000)
    assert cmds[8][:1] + cmds[8][3:] == [b"HPEXPIREAT", b"FIELDS", b"1", b"e"]
    assert cmds[9] == [b"HPERSIST", b"h", b"FIELDS", b"1", b"e"]
    assert len(cmds) == 10, cmds[10:]

    # A replay a second later restores the same deadlines.
    time.sleep(1.1)
    r = _open(tmp_path)
    try:
        x = r.execute_command
        assert {f: x("HPEXPIRETIME", "h", "FIELDS", "1", f)[0] for f in want} == want
        assert want["e"] == -1
        assert x("HPEXPIRETIME", "h2", "FIELDS", "1", "k") == [want_h2]
        assert x("HPTTL", "h", "FIELDS", "1", "a")[0] <= 100_000 - 1000
        assert r.exists("h3") == 0
        assert r.hgetall("h") == {b"a": b"1", b"b": b"2", b"d": b"4", b"e": b"5", b"f": b"6"}
    finally:
        r = _close(r)


def test_fields_expiring_on_access_and_in_the_sweep_are_propagated_as_hdel(tmp_path: Path) -> None:
    r = _open(tmp_path)
    x = r.execute_command
    x("HSET", "h", "gone", "1", "stays", "2")
    x("HPEXPIRE", "h", "50", "FIELDS", "1", "gone")
    x("HSET", "swept", "a", "1", "b", "2")
    x("HPEXPIRE", "swept", "50", "FIELDS", "1", "a")
    x("HSET", "counter", "n", "5", "m", "1")
    x("HPEXPIRE", "counter", "50", "FIELDS", "1", "n")
    # Lazy expiry on read: HGET finds the field past its deadline. The
    # sweep may reclaim it first: either way, one HDEL.
    time.sleep(0.2)
    assert r.hget("h", "gone") is None
    # Lazy expiry inside a write: the lapsed field starts again from 0,
    # its HDEL goes before the write.
    assert r.hincrby("counter", "n", 1) == 1
    wait_for(lambda: [b"HDEL", b"swept", b"a"] in _cmds(tmp_path))
    cmds = _cmds(tmp_path)
    assert cmds.count([b"HDEL", b"h", b"gone"]) == 1
    assert cmds.count([b"HDEL", b"swept", b"a"]) == 1
    assert cmds.count([b"HDEL", b"counter", b"n"]) == 1
    assert cmds.index([b"HDEL", b"counter", b"n"]) < cmds.index([b"HINCRBY", b"counter", b"n", b"1"])
    r = x = _close(r)
    gc.collect()
    r = _open(tmp_path)
    try:
        assert r.hgetall("h") == {b"stays": b"2"}
        assert r.hgetall("swept") == {b"b": b"2"}
        assert r.hgetall("counter") == {b"n": b"1", b"m": b"1"}
    finally:
        r = _close(r)
