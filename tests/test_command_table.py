"""The command table is the one list of command names: every name the
Python side uses (response callbacks of every protocol, the Rust methods)
resolves in it, or, for commands redcore does not run yet but redis-py has a
callback for, in the real server's COMMAND list."""

from __future__ import annotations

from typing import Any, Set

from redcore import _callbacks, _redcore


def _names(table: Any) -> Set[str]:
    return {row["name"] for row in table}


def _resolves(name: str, names: Set[str]) -> bool:
    parts = name.lower().split()
    return "|".join(parts[:2]) in names or parts[0] in names


def test_callback_names_resolve(redis_server: Any) -> None:
    ours = _names(_redcore.command_table())
    server = {_str(n) for n in redis_server.client().command()}
    server |= {f"{_str(n)}|{_str(s[0]).split('|')[-1]}" for n, info in redis_server.client().command().items()
               for s in info.get("subcommands", []) or []}
    tables = list(_callbacks.TABLES.values())
    # SENTINEL exists only on Redis Sentinel: tests/test_sentinel_commands.py
    # sends each of these to a real redis-sentinel.
    sentinel_only = {n for t in tables for n in t if n.split()[0] == "SENTINEL"}
    unknown = sorted({n for t in tables for n in t if not _resolves(n, ours) and not _resolves(n, server)} - sentinel_only)
    assert not unknown, unknown


def test_rust_methods_commands_are_in_the_table() -> None:
    import redcore

    ours = _names(_redcore.command_table())
    r = redcore.Redis()
    # Each Rust method's command (as its callback name) is in the table.
    fast = _redcore.fast_commands()
    assert "GET" in fast and "HGETALL" in fast
    for name in fast:
        assert name.lower() in ours, name
        r.set_response_callback(name, lambda resp, **kw: "seen")
    assert r.get("k") == "seen"
    assert r.zrevrange("z", 0, -1) == "seen"


def test_table_facts() -> None:
    table = {row["name"]: row for row in _redcore.command_table()}
    assert table["blpop"]["timeout"] == "last"
    assert table["xread"]["timeout"] == "keyword_ms:block"
    assert "runs_script" in table["eval"]["traits"]
    assert "subscribed_ok" in table["ping"]["traits"]
    # The commands that put a connection in subscribed mode; the low-level
    # connections read them from the table to keep their replies apart.
    subscribes = {name for name, row in table.items() if "subscribes" in row["traits"]}
    assert subscribes == {"subscribe", "psubscribe", "ssubscribe"}
    from redcore.connection import _SUBSCRIBE_COMMANDS

    assert _SUBSCRIBE_COMMANDS == {b"SUBSCRIBE", b"PSUBSCRIBE", b"SSUBSCRIBE"}
    # The server runs these on their own, never in a run of pipelined
    # commands under one engine lock (src/server/conn.rs `plain`).
    alone = {name for name, row in table.items() if "alone" in row["traits"]}
    for name in ("quit", "reset", "hello", "auth", "monitor", "client|kill", "client|pause",
                 "client|tracking", "shutdown", "wait", "info", "acl|setuser", "config|set",
                 "debug"):
        assert name in alone, name
    assert not alone & {"get", "set", "client|list", "client|setname", "ping", "multi", "exec"}
    for row in table.values():
        assert ("blocking" in row["flags"]) == (row["timeout"] is not None), row["name"]


def test_native_shapes_come_from_rust() -> None:
    assert {n.name: n.value for n in _callbacks.Native} == dict(_redcore.native_shapes())


def _str(x: Any) -> str:
    return x.decode() if isinstance(x, bytes) else str(x)


def test_cluster_routing_comes_from_the_table() -> None:
    from redcore import _cluster_nodes as cn

    # The lists _cluster_nodes kept by hand before the table's cluster
    # columns (redis-py's node flags and result callbacks).
    old_primaries = {
        "FLUSHALL", "FLUSHDB", "FUNCTION DELETE", "FUNCTION FLUSH", "FUNCTION LIST", "FUNCTION LOAD",
        "FUNCTION RESTORE", "SCAN", "SCRIPT EXISTS", "SCRIPT FLUSH", "SCRIPT LOAD", "KEYS", "DBSIZE",
    }
    old_all_nodes = {
        "PING", "CONFIG SET", "CONFIG REWRITE", "CONFIG RESETSTAT", "CLIENT SETNAME", "BGSAVE", "SLOWLOG RESET",
        "SAVE", "MEMORY PURGE", "CLIENT PAUSE", "CLIENT UNPAUSE", "SCRIPT KILL",
    }
    old_random = {"FUNCTION DUMP", "RANDOMKEY", "CLUSTER NODES", "CLUSTER SLOTS", "CLUSTER SHARDS", "CLUSTER INFO"}
    old_slot_id = {
        "CLUSTER COUNTKEYSINSLOT", "CLUSTER DELSLOTS", "CLUSTER DELSLOTSRANGE", "CLUSTER GETKEYSINSLOT", "CLUSTER SETSLOT",
    }
    assert cn._PRIMARIES == old_primaries
    assert cn._ALL_NODES == old_all_nodes
    assert cn._RANDOM == old_random
    assert cn._SLOT_ID == old_slot_id
    all_true = {
        "PING", "CONFIG SET", "CONFIG REWRITE", "CONFIG RESETSTAT", "CLIENT SETNAME", "BGSAVE", "SAVE",
        "SLOWLOG RESET", "MEMORY PURGE", "CLIENT PAUSE", "CLIENT UNPAUSE", "FLUSHALL", "FLUSHDB", "SCRIPT FLUSH",
    }
    assert set(cn._RESULTS) == all_true | {"DBSIZE", "KEYS", "SCRIPT LOAD", "SCRIPT EXISTS"}
    for name in all_true:
        assert cn._RESULTS[name]({"a": True, "b": b"OK"}) is True
        assert cn._RESULTS[name]({"a": True, "b": False}) is False
    assert cn._RESULTS["DBSIZE"]({"a": 2, "b": 3}) == 5
    assert cn._RESULTS["KEYS"]({"a": [b"x"], "b": [b"y", b"z"]}) == [b"x", b"y", b"z"]
    assert cn._RESULTS["SCRIPT LOAD"]({"a": "sha", "b": "sha"}) == "sha"
    assert cn._RESULTS["SCRIPT EXISTS"]({"a": [True, True, False], "b": [True, False, False]}) == [True, False, False]
    # Every routed name is a row of the table.
    ours = _names(_redcore.command_table())
    for name in old_primaries | old_all_nodes | old_random | old_slot_id:
        assert name.lower().replace(" ", "|") in ours, name


def test_resp3_pair_replies_come_from_the_table() -> None:
    # remote.rs kept a list of commands whose RESP3 reply is [member,
    # score] pairs, flattened back for the RESP2 shapes; the reply column
    # replaced it: exactly these rows have a legacy shape that flattens
    # pairs.
    old_paired = {
        "zrange", "zrangebyscore", "zrevrange", "zrevrangebyscore", "zrandmember", "hrandfield",
        "zunion", "zinter", "zdiff", "zpopmin", "zpopmax",
    }
    flattening = {"SCORE_PAIRS", "ZPOP_PAIRS", "zset_pairs_flat_legacy", "hrandfield_legacy"}
    derived = {row["name"] for row in _redcore.command_table() if row["reply"]["default"] in flattening}
    assert derived == old_paired
