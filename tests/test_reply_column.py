"""The reply-shape column of the command table: every command names its
redis-py response callback per client profile in Rust
(``src/commands/replies.rs`` and the rows), ``_redcore.command_table()``
exports it, and ``redcore._callbacks`` builds every default
``response_callbacks`` from it.

``SNAPSHOT`` is the mapping as it was when it lived in
``_callbacks.py`` (before the move), for each profile: moving it must not
change a single entry. (The one lambda of the old tables, RESP2-unified
BLPOP/BRPOP's ``lambda r: r or None``, is now the named function
``block_pop_unified``.)"""

from __future__ import annotations

from typing import Any, Dict, Tuple, Union

import pytest

import redcore
from redcore import _callbacks, _redcore


def _expand(by_shape: Dict[str, Union[str, Tuple[str, ...]]]) -> Dict[str, str]:
    out: Dict[str, str] = {}
    for shape, names in by_shape.items():
        for name in ("".join(names) if isinstance(names, tuple) else names).split("|"):
            out[name] = shape
    return out


#: The entries every profile has.
COMMON: Dict[str, str] = _expand({
    "BOOL": (
        "AUTH|CLIENT UNBLOCK|COPY|EXPIRE|EXPIREAT|HEXISTS|HMSET|MODULE LOAD|MODULE UNLOAD|MOVE|"
        "MSETNX|PERSIST|PEXPIRE|PEXPIREAT|PSETEX|RENAMENX|SETEX|SETNX|SMOVE|XGROUP DESTROY"
    ),
    "BOOL_LIST": "SCRIPT EXISTS",
    "FLOAT": "GEODIST|HINCRBYFLOAT|INCRBYFLOAT",
    "HSCAN": "HSCAN",
    "OK": (
        "ACL LOAD|ACL SAVE|ACL SETUSER|ASKING|CLIENT PAUSE|CLIENT SETNAME|CLUSTER ADDSLOTS|"
        "CLUSTER ADDSLOTSRANGE|CLUSTER DELSLOTS|CLUSTER DELSLOTSRANGE|CLUSTER FAILOVER|"
        "CLUSTER FORGET|CLUSTER MEET|CLUSTER REPLICATE|CLUSTER RESET|CLUSTER SAVECONFIG|"
        "CLUSTER SET-CONFIG-EPOCH|CLUSTER SETSLOT|CONFIG RESETSTAT|CONFIG SET|FLUSHALL|FLUSHDB|"
        "FUNCTION DELETE|FUNCTION FLUSH|FUNCTION RESTORE|LSET|LTRIM|MEMORY PURGE|MSET|PFMERGE|QUIT|"
        "READONLY|READWRITE|RENAME|SAVE|SCRIPT FLUSH|SCRIPT KILL|SELECT|SENTINEL CKQUORUM|"
        "SENTINEL FAILOVER|SENTINEL FLUSHCONFIG|SENTINEL MONITOR|SENTINEL REMOVE|SENTINEL RESET|"
        "SENTINEL SET|SHUTDOWN|SLAVEOF|SLOWLOG RESET|SWAPDB|UNWATCH|WATCH|XGROUP CREATE|"
        "XGROUP SETID"
    ),
    "PING": "PING",
    "SCAN": "SCAN|SSCAN",
    "SET": "SDIFF|SINTER|SMEMBERS|SUNION",
    "SET_RESULT": "SET",
    "STR": "SCRIPT LOAD",
    "STR_LIST": "CLUSTER GETKEYSINSLOT",
    "TIME": "TIME",
    "_str": "ACL GENPASS|ACL WHOAMI",
    "_str_list": "ACL CAT|ACL HELP|ACL LIST|ACL USERS",
    "parse_acl_getuser": "ACL GETUSER",
    "parse_acl_log": "ACL LOG",
    "parse_client_info": "CLIENT INFO",
    "parse_client_kill": "CLIENT KILL",
    "parse_client_list": "CLIENT LIST",
    "parse_cluster_info": "CLUSTER INFO",
    "parse_command_docs": "COMMAND DOCS",
    "parse_debug_object": "DEBUG OBJECT",
    "parse_function_list": "FUNCTION LIST",
    "parse_info": "INFO",
    "parse_latency_histogram": "LATENCY HISTOGRAM",
    "parse_list_of_dicts": "XINFO CONSUMERS|XINFO GROUPS",
    "parse_module_list": "MODULE LIST",
    "parse_object": "OBJECT",
    "parse_pubsub_numsub": "PUBSUB NUMSUB|PUBSUB SHARDNUMSUB",
    "parse_sentinel_get_master": "SENTINEL GET-MASTER-ADDR-BY-NAME",
    "parse_sentinel_list": "SENTINEL SENTINELS|SENTINEL SLAVES",
    "parse_sentinel_master": "SENTINEL MASTER",
    "parse_sentinel_masters": "SENTINEL MASTERS",
    "parse_slowlog_get": "SLOWLOG GET",
    "parse_stream_list": "XRANGE|XREVRANGE",
    "parse_trackinginfo": "CLIENT TRACKINGINFO",
    "parse_xautoclaim": "XAUTOCLAIM",
    "parse_xclaim": "XCLAIM",
    "parse_xinfo_stream": "XINFO STREAM",
    "parse_xpending": "XPENDING",
    "sort_return_tuples": "SORT",
    "timestamp_to_datetime": "LASTSAVE",
})

#: Each profile's entries beyond COMMON.
PROFILE_ONLY: Dict[str, Dict[str, str]] = {
    "default": _expand({
        "BLOCK_POP": "BLPOP|BRPOP",
        "BZPOP": "BZPOPMAX|BZPOPMIN",
        "RANK_SCORE": "ZRANK|ZREVRANK",
        "SCORE_PAIRS": "ZINTER|ZRANGE|ZRANGEBYSCORE|ZREVRANGE|ZREVRANGEBYSCORE|ZUNION",
        "STR": "CLIENT GETNAME|RESET",
        "STR_DICT": "CONFIG GET",
        "STR_LIST": "COMMAND GETKEYS|GEOHASH",
        "TRUE": "BGREWRITEAOF|BGSAVE",
        "ZPOP_PAIRS": "ZPOPMAX|ZPOPMIN",
        "ZSCAN": "ZSCAN",
        "hrandfield_legacy": "HRANDFIELD",
        "lcs_legacy": "LCS",
        "parse_command": "COMMAND",
        "parse_geopos": "GEOPOS",
        "parse_geosearch_generic": "GEORADIUS|GEORADIUSBYMEMBER|GEOSEARCH",
        "parse_memory_stats_unified": "MEMORY STATS",
        "parse_xread": "XREAD|XREADGROUP",
        "zmpop_legacy": "BZMPOP|ZMPOP",
        "zset_pairs_flat_legacy": "ZDIFF|ZRANDMEMBER",
    }),
    "resp2": _expand({
        "BLOCK_POP": "BLPOP|BRPOP",
        "BZPOP": "BZPOPMAX|BZPOPMIN",
        "DICT": "HGETALL",
        "FLOAT": "ZINCRBY|ZSCORE",
        "FLOAT_LIST": "ZMSCORE",
        "RANK_SCORE": "ZRANK|ZREVRANK",
        "SCORE_PAIRS": "ZINTER|ZRANGE|ZRANGEBYSCORE|ZREVRANGE|ZREVRANGEBYSCORE|ZUNION",
        "STR": "CLIENT GETNAME|RESET",
        "STR_DICT": "CONFIG GET",
        "STR_LIST": "COMMAND GETKEYS|GEOHASH",
        "TRUE": "BGREWRITEAOF|BGSAVE",
        "ZADD": "ZADD",
        "ZPOP_PAIRS": "ZPOPMAX|ZPOPMIN",
        "ZSCAN": "ZSCAN",
        "parse_command": "COMMAND",
        "parse_geopos": "GEOPOS",
        "parse_geosearch_generic": "GEORADIUS|GEORADIUSBYMEMBER|GEOSEARCH",
        "parse_memory_stats": "MEMORY STATS",
        "parse_xread": "XREAD|XREADGROUP",
    }),
    "resp2_unified": _expand({
        "DICT": "HGETALL",
        "FLOAT": "ZINCRBY|ZSCORE",
        "FLOAT_LIST": "ZMSCORE",
        "STR": "CLIENT GETNAME|RESET",
        "STR_DICT": "CONFIG GET",
        "STR_LIST": "GEOHASH",
        "TRUE": "BGREWRITEAOF|BGSAVE",
        "ZADD": "ZADD",
        "_identity": "COMMAND GETKEYS",
        "block_pop_unified": "BLPOP|BRPOP",
        "bzpop_unified": "BZPOPMAX|BZPOPMIN",
        "geopos_unified": "GEOPOS",
        "hrandfield_unified": "HRANDFIELD",
        "lcs_unified": "LCS",
        "parse_command_unified": "COMMAND",
        "parse_geosearch_unified": "GEORADIUS|GEORADIUSBYMEMBER|GEOSEARCH",
        "parse_memory_stats_unified": "MEMORY STATS",
        "parse_xread_unified": "XREAD|XREADGROUP",
        "rank_score_unified": "ZRANK|ZREVRANK",
        "zmpop_unified": "BZMPOP|ZMPOP",
        "zpop_unified": "ZPOPMAX|ZPOPMIN",
        "zscan_unified": "ZSCAN",
        "zset_pairs_unified": "ZDIFF|ZINTER|ZRANDMEMBER|ZRANGE|ZRANGEBYSCORE|ZREVRANGE|ZREVRANGEBYSCORE|ZUNION",
    }),
    "resp3": _expand({
        "RAW": "HGETALL|ZINTER|ZPOPMAX|ZPOPMIN",
        "ZSCAN": "ZSCAN",
        "_str": "RESET",
        "config_get_resp3": "CONFIG GET",
        "parse_command_resp3": "COMMAND",
        "parse_geosearch_generic": "GEORADIUS|GEORADIUSBYMEMBER|GEOSEARCH",
        "parse_memory_stats_unified": "MEMORY STATS",
        "parse_xread_resp3": "XREAD|XREADGROUP",
        "rank_score_resp3": "ZRANK|ZREVRANK",
        "zset_pairs_resp3": "ZRANGE|ZRANGEBYSCORE|ZREVRANGE|ZREVRANGEBYSCORE|ZUNION",
    }),
    "resp3_unified": _expand({
        "RAW": "HGETALL",
        "STR": "CLIENT GETNAME|RESET",
        "STR_LIST": "GEOHASH",
        "bzpop_unified": "BZPOPMAX|BZPOPMIN",
        "config_get_resp3": "CONFIG GET",
        "lcs_unified": "LCS",
        "parse_command_unified": "COMMAND",
        "parse_geosearch_unified": "GEORADIUS|GEORADIUSBYMEMBER|GEOSEARCH",
        "parse_memory_stats_unified": "MEMORY STATS",
        "parse_xread_unified": "XREAD|XREADGROUP",
        "rank_score_resp3": "ZRANK|ZREVRANK",
        "zpop_resp3_unified": "ZPOPMAX|ZPOPMIN",
        "zscan_unified": "ZSCAN",
        "zset_pairs_resp3": "ZDIFF|ZINTER|ZRANDMEMBER|ZRANGE|ZRANGEBYSCORE|ZREVRANGE|ZREVRANGEBYSCORE|ZUNION",
    }),
}

SNAPSHOT: Dict[str, Dict[str, str]] = {p: {**COMMON, **extra} for p, extra in PROFILE_ONLY.items()}


#: (protocol, legacy_responses) of each profile.
PROFILES = {
    "resp2": (2, True),
    "default": (None, True),
    "resp3": (3, True),
    "resp2_unified": (2, False),
    "resp3_unified": (None, False),
}


def _shape_name(value: Any) -> str:
    if isinstance(value, int):
        return _callbacks.Native(value).name
    assert getattr(_callbacks, value.__name__) is value, value
    return str(value.__name__)


def _rows() -> list:
    return list(_redcore.command_table()) + list(_redcore.client_only_replies())


def test_every_shape_name_resolves() -> None:
    natives = set(_callbacks.Native.__members__)
    seen = 0
    for row in _rows():
        assert set(row["reply"]) == set(PROFILES), row["name"]
        for profile, shape in row["reply"].items():
            if shape is None:
                continue
            seen += 1
            if shape.isupper():
                assert shape in natives, (row["name"], profile, shape)
            else:
                assert callable(getattr(_callbacks, shape, None)), (row["name"], profile, shape)
    assert seen > 700


def test_unknown_shape_name_is_refused() -> None:
    with pytest.raises(ValueError, match="no_such_parser"):
        _callbacks._resolve("no_such_parser")
    with pytest.raises(ValueError, match="NO_SUCH_NATIVE"):
        _callbacks._resolve("NO_SUCH_NATIVE")


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_default_callbacks_unchanged(profile: str) -> None:
    protocol, legacy = PROFILES[profile]
    table = _callbacks.callbacks_for(protocol, legacy_responses=legacy)
    assert {k: _shape_name(v) for k, v in table.items()} == SNAPSHOT[profile]
    if profile == "resp3_unified":
        assert dict(_callbacks.callbacks_for(3, legacy_responses=False)) == dict(table)


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_clients_get_the_column(profile: str) -> None:
    protocol, legacy = PROFILES[profile]
    r = redcore.Redis(protocol=protocol, legacy_responses=legacy)
    assert {k: _shape_name(v) for k, v in r.response_callbacks.items()} == SNAPSHOT[profile]


def test_rust_methods_take_their_shapes_from_the_column() -> None:
    # The Rust methods' commands (the Fast enum) are table rows; each
    # client's callbacks for them are the column's shapes, read once.
    rows = {row["name"]: row for row in _redcore.command_table()}
    for profile, (protocol, legacy) in PROFILES.items():
        r = redcore.Redis(protocol=protocol, legacy_responses=legacy)
        for name in _redcore.fast_commands():
            shape = rows[name.lower()]["reply"][profile]
            got = r.response_callbacks.get(name)
            assert (None if got is None else _shape_name(got)) == shape, (profile, name)
    r = redcore.Redis(protocol=2)
    r.hset("h", "f", "1")
    r.sadd("s", "a")
    assert r.hgetall("h") == {b"f": b"1"} and r.smembers("s") == {b"a"}
    assert r.zadd("z", {"a": 1.5}) == 1 and r.zscore("z", "a") == 1.5
