"""Response callbacks: how each command's reply is shaped for Python.

These follow redis-py's default ("legacy") reply shapes, so code written
for redis-py sees the same types. Entries are either a :class:`Native`
code, handled in Rust on the hot path, or a Python callable invoked as
``callback(response, **options)`` like redis-py's response callbacks.
"""

from __future__ import annotations

import datetime
from enum import IntEnum
from typing import Any, Callable, Dict, List, Union


class Native(IntEnum):
    """Reply shapes implemented in Rust (``src/python/reply.rs``)."""

    RAW = 0
    BOOL = 1
    OK = 2
    FLOAT = 3
    SET = 4
    DICT = 5
    SCORE_PAIRS = 6
    ZPOP_PAIRS = 7
    SCAN = 8
    HSCAN = 9
    ZSCAN = 10
    PING = 11
    SET_RESULT = 12
    ZADD = 13
    RANK_SCORE = 14
    FLOAT_LIST = 15
    BLOCK_POP = 16
    BZPOP = 17
    TIME = 18
    STR = 19
    STR_LIST = 20
    BOOL_LIST = 21
    STR_DICT = 22
    TRUE = 23


def _str(value: Any) -> Any:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value


def parse_info(response: Any) -> Dict[str, Any]:
    """INFO text -> dict, with numbers converted and ``k=v,..`` lines as
    nested dicts (redis-py's shape)."""

    def value_of(value: str) -> Any:
        if "," not in value and "=" not in value:
            try:
                return float(value) if "." in value else int(value)
            except ValueError:
                return value
        if "=" not in value:
            return [value_of(v) for v in value.split(",") if v]
        sub: Dict[str, Any] = {}
        for item in value.split(","):
            if not item:
                continue
            if "=" in item:
                k, v = item.rsplit("=", 1)
                sub[k] = value_of(v)
            else:
                sub[item] = True
        return sub

    info: Dict[str, Any] = {}
    for line in _str(response).splitlines():
        if not line or line.startswith("#"):
            continue
        if ":" in line:
            key, value = line.split(":", 1)
            if key == "cmdstat_host":
                key, value = line.rsplit(":", 1)
            if key == "module":
                info.setdefault("modules", []).append(value_of(value))
            else:
                info[key] = value_of(value)
        else:
            info.setdefault("__raw__", []).append(line)
    return info


def parse_command(response: Any, **options: Any) -> Dict[str, Any]:
    """COMMAND / COMMAND INFO -> {name: details}."""
    commands: Dict[str, Any] = {}
    for command in response:
        if command is None:
            continue
        name = _str(command[0])
        details: Dict[str, Any] = {
            "name": name,
            "arity": int(command[1]),
            "flags": [_str(f) for f in command[2]],
            "first_key_pos": command[3],
            "last_key_pos": command[4],
            "step_count": command[5],
        }
        if len(command) > 6:
            details["acl_categories"] = [_str(c) for c in command[6]]
        if len(command) > 7:
            details["tips"] = command[7]
            details["key_specifications"] = command[8]
            details["subcommands"] = command[9]
        commands[name] = details
    return commands


def timestamp_to_datetime(response: Any) -> Any:
    """LASTSAVE -> datetime."""
    if not response:
        return None
    try:
        return datetime.datetime.fromtimestamp(int(response))
    except ValueError:
        return None


def sort_return_tuples(response: Any, **options: Any) -> Any:
    """SORT with ``groups`` -> list of n-tuples."""
    if not response or not options.get("groups"):
        return response
    n = options["groups"]
    return list(zip(*[response[i::n] for i in range(n)]))


def parse_pubsub_numsub(response: Any, **options: Any) -> List[Any]:
    """PUBSUB NUMSUB -> [(channel, count), ...]."""
    return list(zip(response[0::2], response[1::2]))


def parse_object(response: Any, infotype: str = "", **options: Any) -> Any:
    """OBJECT ... -> int for IDLETIME/REFCOUNT/FREQ, else as sent."""
    if infotype.lower() in ("idletime", "refcount", "freq") and response is not None:
        return int(response)
    return response


def parse_memory_stats(response: Any, **options: Any) -> Dict[str, Any]:
    """MEMORY STATS -> dict (str keys), with the per-database entries as
    nested dicts."""

    def pairs(items: Any) -> Dict[str, Any]:
        return {_str(k): _str(v) for k, v in zip(items[::2], items[1::2])}

    stats = pairs(response)
    for key, value in stats.items():
        if key.startswith("db.") and isinstance(value, list):
            stats[key] = pairs(value)
    return stats


# -- group: keys + server/connection ---------------------------------------


def parse_client_info(response: Any, **options: Any) -> Dict[str, Any]:
    """CLIENT INFO -> {field: value}, with redis-py's integer fields as int."""
    info: Dict[str, Any] = {}
    for item in _str(response).strip().split():
        key, value = item.split("=", 1)
        info[key] = value
    for key in ("id", "age", "idle", "db", "sub", "psub", "multi", "qbuf", "qbuf-free",
                "obl", "argv-mem", "oll", "omem", "tot-mem"):
        if key in info:
            info[key] = int(info[key])
    return info


def parse_client_list(response: Any, **options: Any) -> List[Dict[str, str]]:
    """CLIENT LIST -> one {field: value} dict (all str) per client."""
    clients = []
    for line in _str(response).splitlines():
        client: Dict[str, str] = {}
        last = None
        for token in line.split(" "):
            if "=" in token:
                last, value = token.split("=", 1)
                client[last] = value
            elif last is not None:
                client[last] += " " + token
        if client:
            clients.append(client)
    return clients


_KEYS_SERVER_CALLBACKS: Dict[str, Any] = {
    "CLIENT INFO": parse_client_info,
    "CLIENT LIST": parse_client_list,
}

# -- end group: keys + server/connection -----------------------------------


# -- group: bitmaps + geo ----------------------------------------------------


def parse_geopos(response: Any, **options: Any) -> List[Any]:
    """GEOPOS -> [(lon, lat) | None, ...]."""
    return [(float(ll[0]), float(ll[1])) if ll is not None else None for ll in response]


def parse_geosearch_generic(response: Any, **options: Any) -> Any:
    """GEORADIUS / GEORADIUSBYMEMBER / GEOSEARCH with the method's options:
    plain members, or ``[member, dist?, hash?, (lon, lat)?]`` lists with
    floats and ints (redis-py's shape). Raw ``execute_command`` calls and
    STORE variants get the reply as sent."""
    if "store" not in options or "store_dist" not in options:
        return response
    if options["store"] or options["store_dist"]:
        return response
    items = response if isinstance(response, list) else [response]
    wanted = [o for o in ("withdist", "withhash", "withcoord") if options.get(o)]
    if not wanted:
        return items
    cast: Dict[str, Callable[[Any], Any]] = {
        "withdist": float,
        "withhash": int,
        "withcoord": lambda ll: (float(ll[0]), float(ll[1])),
    }
    funcs: List[Callable[[Any], Any]] = [lambda x: x] + [cast[o] for o in wanted]
    return [[f(v) for f, v in zip(funcs, item)] for item in items]


_BITMAP_GEO_CALLBACKS: Dict[str, Any] = {
    "GEOPOS": parse_geopos,
    "GEORADIUS": parse_geosearch_generic,
    "GEORADIUSBYMEMBER": parse_geosearch_generic,
    "GEOSEARCH": parse_geosearch_generic,
}

# -- end group: bitmaps + geo ------------------------------------------------
# -- group: streams ---------------------------------------------------------


def _pairs_to_dict(response: Any, decode_keys: bool = False) -> Dict[Any, Any]:
    # Same operations as redis-py's pairs_to_dict, so malformed replies
    # (raw JUSTID lists through a callback) fail with the same TypeError.
    if response is None:
        return {}
    if decode_keys:
        return dict(zip(map(_str, response[::2]), response[1::2]))
    it = iter(response)
    return dict(zip(it, it))


def parse_stream_list(response: Any, **options: Any) -> Any:
    """XRANGE-style entries -> [(id, {field: value}), ...]; an entry gone
    from the stream (a deleted pending one) becomes (None, None)."""
    if response is None:
        return None
    data = []
    for r in response:
        if r is None:
            data.append((None, None))
        elif "claim_min_idle_time" in options:
            data.append((r[0], _pairs_to_dict(r[1]), *r[2:]))
        else:
            data.append((r[0], _pairs_to_dict(r[1])))
    return data


def parse_xread(response: Any, **options: Any) -> Any:
    """XREAD / XREADGROUP -> [[stream, entries], ...] ([] on timeout)."""
    if response is None:
        return []
    return [[r[0], parse_stream_list(r[1], **options)] for r in response]


def parse_xclaim(response: Any, **options: Any) -> Any:
    """XCLAIM -> entries, or the bare IDs with JUSTID."""
    if options.get("parse_justid", False):
        return response
    return parse_stream_list(response)


def parse_xautoclaim(response: Any, **options: Any) -> Any:
    """XAUTOCLAIM -> [next-id, entries, deleted-ids], or just the claimed
    IDs with JUSTID."""
    if options.get("parse_justid", False):
        return response[1]
    response[1] = parse_stream_list(response[1])
    return response


def parse_xinfo_stream(response: Any, **options: Any) -> Dict[str, Any]:
    """XINFO STREAM [FULL] -> dict with str keys; entries as (id, dict)."""
    data = _pairs_to_dict(response, decode_keys=True)
    if not options.get("full", False):
        for edge in ("first-entry", "last-entry"):
            entry = data.get(edge)
            if entry is not None and entry[0] is not None:
                data[edge] = (entry[0], _pairs_to_dict(entry[1]))
    else:
        data["entries"] = {_id: _pairs_to_dict(entry) for _id, entry in data["entries"]}
        groups = [_pairs_to_dict(g, decode_keys=True) for g in data["groups"]]
        for g in groups:
            if g["consumers"] and g["consumers"][0] is not None:
                g["consumers"] = [_pairs_to_dict(c, decode_keys=True) for c in g["consumers"]]
        data["groups"] = groups
    return data


def parse_list_of_dicts(response: Any, **options: Any) -> List[Dict[str, Any]]:
    """XINFO GROUPS / CONSUMERS -> one dict (str keys) per item."""
    return [_pairs_to_dict(item, decode_keys=True) for item in response]


def parse_xpending_range(response: Any) -> List[Dict[str, Any]]:
    """XPENDING with a range -> one dict per pending entry."""
    k = ("message_id", "consumer", "time_since_delivered", "times_delivered")
    return [dict(zip(k, r)) for r in response]


def parse_xpending(response: Any, **options: Any) -> Any:
    """XPENDING summary -> {pending, min, max, consumers}."""
    if options.get("parse_detail", False):
        return parse_xpending_range(response)
    consumers = [{"name": n, "pending": int(p)} for n, p in response[3] or []]
    return {
        "pending": response[0],
        "min": response[1],
        "max": response[2],
        "consumers": consumers,
    }


_STREAM_CALLBACKS: Dict[str, Any] = {
    "XREAD": parse_xread,
    "XREADGROUP": parse_xread,
    "XRANGE": parse_stream_list,
    "XREVRANGE": parse_stream_list,
    "XAUTOCLAIM": parse_xautoclaim,
    "XCLAIM": parse_xclaim,
    "XGROUP CREATE": Native.OK,
    "XGROUP DESTROY": Native.BOOL,
    "XGROUP SETID": Native.OK,
    "XINFO STREAM": parse_xinfo_stream,
    "XINFO CONSUMERS": parse_list_of_dicts,
    "XINFO GROUPS": parse_list_of_dicts,
    "XPENDING": parse_xpending,
}

# -- end group: streams -----------------------------------------------------
# -- group: acl + connection ------------------------------------------------


def _str_list(response: Any, **options: Any) -> Any:
    return [_str(x) for x in response] if isinstance(response, list) else response


def _flat_pairs(response: Any) -> List[Any]:
    """A map reply as RESP2's flat [k, v, ...] list (keys as str)."""
    if isinstance(response, dict):
        return [x for k, v in response.items() for x in (_str(k), v)]
    return [_str(x) if i % 2 == 0 else x for i, x in enumerate(response)]


def _pairs_dict(response: Any) -> Dict[str, Any]:
    flat = _flat_pairs(response)
    return dict(zip(flat[::2], flat[1::2]))


def parse_acl_getuser(response: Any, **options: Any) -> Any:
    """ACL GETUSER -> redis-py's dict: flags, passwords, commands and
    categories split, keys and channels as lists, selectors as flat lists,
    ``enabled``."""
    if response is None:
        return None
    data = _pairs_dict(response)
    data["flags"] = [_str(f) for f in data["flags"]]
    data["passwords"] = [_str(p) for p in data["passwords"]]
    for field in ("keys", "channels"):
        value = data.get(field)
        if isinstance(value, (bytes, str)):
            data[field] = [] if not value else _str(value).split(" ")
    data["selectors"] = [[_str(x) for x in _flat_pairs(s)] for s in data.get("selectors", [])]
    rules = _str(data["commands"]).split(" ")
    data["commands"] = [r for r in rules if "@" not in r]
    data["categories"] = [r for r in rules if "@" in r]
    data["enabled"] = "on" in data["flags"]
    return data


def parse_acl_log(response: Any, **options: Any) -> Any:
    """ACL LOG -> list of dicts with ``client-info`` parsed and
    ``age-seconds`` a float; ACL LOG RESET -> True."""
    if not isinstance(response, list):
        return _str(response) == "OK"
    entries = []
    for entry in response:
        data = {k: _str(v) for k, v in _pairs_dict(entry).items()}
        data["client-info"] = parse_client_info(data.get("client-info", ""))
        data["age-seconds"] = float(data["age-seconds"])
        entries.append(data)
    return entries


def parse_client_kill(response: Any, **options: Any) -> Any:
    """CLIENT KILL: the number killed (filters) or True (``ip:port``)."""
    return response if isinstance(response, int) else _str(response) == "OK"


def parse_trackinginfo(response: Any, **options: Any) -> List[Any]:
    """CLIENT TRACKINGINFO -> redis-py's flat list with str names."""
    return _flat_pairs(response)


_ACL_CONNECTION_CALLBACKS: Dict[str, Any] = {
    "ACL CAT": _str_list,
    "ACL HELP": _str_list,
    "ACL LIST": _str_list,
    "ACL USERS": _str_list,
    "ACL GENPASS": _str,
    "ACL WHOAMI": _str,
    "ACL GETUSER": parse_acl_getuser,
    "ACL LOG": parse_acl_log,
    "ACL LOAD": Native.OK,
    "ACL SAVE": Native.OK,
    "ACL SETUSER": Native.OK,
    "CLIENT KILL": parse_client_kill,
    "CLIENT PAUSE": Native.OK,
    "CLIENT UNBLOCK": Native.BOOL,
    "CLIENT TRACKINGINFO": parse_trackinginfo,
    "RESET": _str,
}

# -- end group: acl + connection --------------------------------------------

Callback = Union[Native, Callable[..., Any]]


def _keys(names: str, cb: Callback) -> Dict[str, Callback]:
    return {name: cb for name in names.split()}


CALLBACKS: Dict[str, Callback] = {
    **_keys(
        "AUTH COPY EXPIRE EXPIREAT HEXISTS HMSET MOVE MSETNX PERSIST PSETEX "
        "PEXPIRE PEXPIREAT RENAMENX SETEX SETNX SMOVE",
        Native.BOOL,
    ),
    **_keys("HINCRBYFLOAT INCRBYFLOAT ZINCRBY ZSCORE GEODIST", Native.FLOAT),
    **_keys(
        "ASKING FLUSHALL FLUSHDB LSET LTRIM MSET PFMERGE READONLY READWRITE "
        "RENAME SAVE SELECT SHUTDOWN SLAVEOF REPLICAOF SWAPDB WATCH UNWATCH",
        Native.OK,
    ),
    **_keys("SDIFF SINTER SMEMBERS SUNION", Native.SET),
    **_keys(
        "ZINTER ZRANGE ZRANGEBYSCORE ZREVRANGE ZREVRANGEBYSCORE ZUNION",
        Native.SCORE_PAIRS,
    ),
    **_keys("ZPOPMAX ZPOPMIN", Native.ZPOP_PAIRS),
    **_keys("ZRANK ZREVRANK", Native.RANK_SCORE),
    **_keys("BGREWRITEAOF BGSAVE", Native.TRUE),
    **_keys("BLPOP BRPOP", Native.BLOCK_POP),
    **_keys("BZPOPMAX BZPOPMIN", Native.BZPOP),
    **_keys("SCAN SSCAN", Native.SCAN),
    "HSCAN": Native.HSCAN,
    "ZSCAN": Native.ZSCAN,
    "HGETALL": Native.DICT,
    "PING": Native.PING,
    "SET": Native.SET_RESULT,
    "ZADD": Native.ZADD,
    "ZMSCORE": Native.FLOAT_LIST,
    "TIME": Native.TIME,
    "CONFIG GET": Native.STR_DICT,
    "CONFIG SET": Native.OK,
    "CONFIG RESETSTAT": Native.OK,
    "CONFIG REWRITE": Native.OK,
    "CLIENT SETNAME": Native.OK,
    "CLIENT GETNAME": Native.STR,
    "SCRIPT EXISTS": Native.BOOL_LIST,
    "SCRIPT FLUSH": Native.OK,
    "SCRIPT KILL": Native.OK,
    "SCRIPT LOAD": Native.STR,
    "COMMAND GETKEYS": Native.STR_LIST,
    "GEOHASH": Native.STR_LIST,
    "INFO": parse_info,
    "COMMAND": parse_command,
    "LASTSAVE": timestamp_to_datetime,
    "SORT": sort_return_tuples,
    "PUBSUB NUMSUB": parse_pubsub_numsub,
    "PUBSUB SHARDNUMSUB": parse_pubsub_numsub,
    "OBJECT": parse_object,
    # --- sort/dump group ---
    "MEMORY PURGE": Native.OK,
    "MEMORY STATS": parse_memory_stats,
    # --- end sort/dump group ---
    **_KEYS_SERVER_CALLBACKS,
    **_BITMAP_GEO_CALLBACKS,
    **_STREAM_CALLBACKS,
    **_ACL_CONNECTION_CALLBACKS,
}


__all__ = ["CALLBACKS", "Native", "parse_info", "parse_command"]
