"""Response callbacks: how each command's reply is shaped for Python.

As in redis-py 8, the table depends on the protocol and
``legacy_responses`` (:func:`callbacks_for`): the default (``protocol=None``,
RESP3 on the wire) converts RESP3 replies back to the classic ("legacy")
shapes for the commands redis-py has a callback for, ``protocol=2`` and
``protocol=3`` select redis-py's RESP2 and RESP3 tables, and
``legacy_responses=False`` its "unified" ones. Entries are either a
:class:`Native` code, handled in Rust on the hot path, or a Python
callable invoked as ``callback(response, **options)`` like redis-py's
response callbacks.

Which command gets which callback is not decided here: it is a column of
the command table (``_redcore.command_table()``'s ``reply``), and the
tables (:data:`TABLES`) are built from it at import. This module holds the
callbacks themselves, in group sections (``# -- group: ... --``). Those
shared by every protocol accept both the RESP2 form of a reply (flat
lists, numbers as bytes) and the RESP3 form (dicts, floats).
"""

from __future__ import annotations

import datetime
from enum import IntEnum
from typing import Any, Callable, Dict, List, Optional, Union

from . import _redcore


# The native shapes are declared once, in Rust (``src/python/reply.rs``):
# ``Native.BOOL`` etc. are the codes the Rust conversion understands.
def _native_enum() -> Any:
    return IntEnum("Native", dict(_redcore.native_shapes()))


Native: Any = _native_enum()


class CallbackDict(dict):
    """``response_callbacks``: a dict with upper-case keys, looked up
    case-insensitively like redis-py's ``CaseInsensitiveDict``. Every change
    is reported to the clients using it, so the Rust methods notice a new
    callback at once while paying nothing when there is none."""

    __slots__ = ("_watch",)

    def __init__(self, data: Any = ()) -> None:
        super().__init__()
        self._watch = _redcore.CallbackWatch()
        self.update(data)

    def __getitem__(self, key: str) -> Any:
        return super().__getitem__(key.upper())

    def __contains__(self, key: object) -> bool:
        return super().__contains__(key.upper() if isinstance(key, str) else key)

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.upper(), default)

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key.upper(), value)
        self._watch.bump()

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key.upper())
        self._watch.bump()

    def pop(self, key: str, *default: Any) -> Any:
        value = super().pop(key.upper(), *default)
        self._watch.bump()
        return value

    def popitem(self) -> Any:
        item = super().popitem()
        self._watch.bump()
        return item

    def setdefault(self, key: str, default: Any = None) -> Any:
        value = super().setdefault(key.upper(), default)
        self._watch.bump()
        return value

    def update(self, data: Any = (), **kwargs: Any) -> None:  # type: ignore[override]
        items = data.items() if hasattr(data, "items") else data
        for key, value in items:
            super().__setitem__(key.upper(), value)
        for key, value in kwargs.items():
            super().__setitem__(key.upper(), value)
        self._watch.bump()

    def clear(self) -> None:
        super().clear()
        self._watch.bump()

    def copy(self) -> "CallbackDict":
        return CallbackDict(self)

    def __reduce__(self) -> Any:
        # copy, deepcopy and pickle make a new dict with its own watch.
        return (CallbackDict, (dict(self),))

    def __repr__(self) -> str:
        return f"CallbackDict({dict.__repr__(self)})"


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


def _command_details(response: Any, flags: Callable[[Any], Any], categories: Callable[[Any], Any]) -> Dict[str, Any]:
    """COMMAND / COMMAND INFO -> {name: details}, with ``flags`` and
    ``categories`` shaping those two fields (they differ per protocol)."""
    commands: Dict[str, Any] = {}
    for command in response:
        if command is None:
            continue
        name = _str(command[0])
        details: Dict[str, Any] = {
            "name": name,
            "arity": int(command[1]),
            "flags": flags(command[2]),
            "first_key_pos": command[3],
            "last_key_pos": command[4],
            "step_count": command[5],
        }
        if len(command) > 6:
            details["acl_categories"] = categories(command[6])
        if len(command) > 7:
            details["tips"] = command[7]
            details["key_specifications"] = command[8]
            details["subcommands"] = command[9]
        commands[name] = details
    return commands


def parse_command(response: Any, **options: Any) -> Dict[str, Any]:
    """COMMAND / COMMAND INFO -> {name: details}."""
    return _command_details(response, lambda fs: [_str(f) for f in fs], lambda cs: [_str(c) for c in cs])


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
    """PUBSUB NUMSUB -> [(channel, count), ...] (a RESP3 map too)."""
    if isinstance(response, dict):
        return list(response.items())
    return list(zip(response[0::2], response[1::2]))


def parse_object(response: Any, infotype: str = "", **options: Any) -> Any:
    """OBJECT ... -> int for IDLETIME/REFCOUNT/FREQ, else as sent."""
    if infotype.lower() in ("idletime", "refcount", "freq") and response is not None:
        return int(response)
    return response


def _memory_stats(response: Any, flat_value: Callable[[Any], Any]) -> Dict[str, Any]:
    """MEMORY STATS -> dict (str keys), with the per-database entries as
    nested dicts; the values of a flat (RESP2) list go through
    ``flat_value``, a map's (RESP3) stay as sent."""

    def pairs(items: Any) -> Dict[str, Any]:
        if isinstance(items, dict):
            return {_str(k): v for k, v in items.items()}
        return {_str(k): flat_value(v) for k, v in zip(items[::2], items[1::2])}

    stats = pairs(response)
    for key, value in stats.items():
        if key.startswith("db.") and isinstance(value, (list, dict)):
            stats[key] = pairs(value)
    return stats


def parse_memory_stats(response: Any, **options: Any) -> Dict[str, Any]:
    """MEMORY STATS -> dict (str keys), with the per-database entries as
    nested dicts."""
    return _memory_stats(response, _str)


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
    data: List[Any] = []
    for r in response:
        if r is None:
            data.append((None, None))
        elif "claim_min_idle_time" in options:
            data.append((r[0], _pairs_to_dict(r[1]), *r[2:]))
        else:
            data.append((r[0], _pairs_to_dict(r[1])))
    return data


def parse_xread(response: Any, **options: Any) -> Any:
    """XREAD / XREADGROUP -> [[stream, entries], ...] ([] on timeout); a
    RESP3 map of streams gives the same list."""
    if not response:
        return []
    if isinstance(response, dict):
        return [[k, parse_stream_list(v, **options)] for k, v in response.items()]
    return [[r[0], parse_stream_list(r[1], **options)] for r in response]


def parse_xread_resp3(response: Any, **options: Any) -> Any:
    """XREAD / XREADGROUP with ``protocol=3`` -> {stream: [entries]}."""
    if response is None:
        return {}
    return {k: [parse_stream_list(v, **options)] for k, v in response.items()}


def parse_xread_unified(response: Any, **options: Any) -> Any:
    """XREAD / XREADGROUP, unified shape -> {stream: entries}."""
    if not response:
        return {}
    items = response.items() if isinstance(response, dict) else response
    return {k: parse_stream_list(v, **options) for k, v in items}


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


def _str_keys(response: Any) -> Dict[str, Any]:
    """A RESP3 map (dict) or RESP2 flat pair list -> dict with str keys."""
    if isinstance(response, dict):
        return {_str(k): v for k, v in response.items()}
    return _pairs_to_dict(response, decode_keys=True)


def parse_xinfo_stream(response: Any, **options: Any) -> Dict[str, Any]:
    """XINFO STREAM [FULL] -> dict with str keys; entries as (id, dict)."""
    data = _str_keys(response)
    if not options.get("full", False):
        # As redis-py: a FULL reply read without full=True lacks
        # "last-entry" and raises KeyError.
        for edge in ("first-entry", "last-entry"):
            entry = data.get(edge) if edge == "first-entry" else data[edge]
            if entry is not None and entry[0] is not None:
                data[edge] = (entry[0], _pairs_to_dict(entry[1]))
    else:
        data["entries"] = {_id: _pairs_to_dict(entry) for _id, entry in data["entries"]}
        groups = data["groups"]
        if groups and isinstance(groups[0], dict):
            # RESP3: the groups (and their consumers) stay as sent.
            data["groups"] = [_str_keys(g) for g in groups]
        else:
            groups = [_pairs_to_dict(g, decode_keys=True) for g in groups]
            for g in groups:
                if g["consumers"] and g["consumers"][0] is not None:
                    g["consumers"] = [_pairs_to_dict(c, decode_keys=True) for c in g["consumers"]]
            data["groups"] = groups
    return data


def parse_list_of_dicts(response: Any, **options: Any) -> List[Dict[str, Any]]:
    """XINFO GROUPS / CONSUMERS -> one dict (str keys) per item."""
    return [_str_keys(item) for item in response]


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



# -- end group: streams -----------------------------------------------------
# -- group: acl + connection ------------------------------------------------


def _str_list(response: Any, **options: Any) -> Any:
    return [_str(x) for x in response] if isinstance(response, list) else response


def _acl_flat_pairs(response: Any) -> List[Any]:
    """A map reply as RESP2's flat [k, v, ...] list (keys as str)."""
    if isinstance(response, dict):
        return [x for k, v in response.items() for x in (_str(k), v)]
    return [_str(x) if i % 2 == 0 else x for i, x in enumerate(response)]


def _pairs_dict(response: Any) -> Dict[str, Any]:
    flat = _acl_flat_pairs(response)
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
    data["selectors"] = [[_str(x) for x in _acl_flat_pairs(s)] for s in data.get("selectors", [])]
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
    return _acl_flat_pairs(response)



# -- end group: acl + connection --------------------------------------------

# -- group: functions -------------------------------------------------------


def _flat_pairs(item: Any) -> Any:
    if isinstance(item, dict):
        return [x for kv in item.items() for x in kv]
    return item


def parse_function_list(response: Any, **options: Any) -> Any:
    """FUNCTION LIST as redis-py's default shape: each library (and each of
    its functions) a flat ``[key, value, ...]`` list, whether the reply came
    as RESP2 arrays or RESP3 maps."""
    if response is None:
        return None
    result = []
    for lib in response:
        flat = _flat_pairs(lib)
        if isinstance(lib, dict):
            flat = []
            for key, value in lib.items():
                flat.append(key)
                if key in (b"functions", "functions"):
                    value = [_flat_pairs(f) for f in value]
                flat.append(value)
        result.append(flat)
    return result



# -- end group: functions ---------------------------------------------------

# -- group: sentinel --------------------------------------------------------

# Fields of a sentinel's master/replica/sentinel state that redis-py
# returns as int (the others stay str).
_SENTINEL_INT_FIELDS = frozenset((
    "can-failover-its-master", "config-epoch", "down-after-milliseconds", "failover-timeout",
    "info-refresh", "last-hello-message", "last-ok-ping-reply", "last-ping-reply",
    "last-ping-sent", "master-link-down-time", "master-port", "num-other-sentinels",
    "num-slaves", "o-down-time", "pending-commands", "parallel-syncs", "port", "quorum",
    "role-reported-time", "s-down-time", "slave-priority", "slave-repl-offset",
    "voted-leader-epoch",
))

# Derived booleans: key -> the flag that sets it.
_SENTINEL_FLAG_BOOLS = (
    ("is_master", "master"), ("is_slave", "slave"), ("is_sdown", "s_down"),
    ("is_odown", "o_down"), ("is_sentinel", "sentinel"), ("is_disconnected", "disconnected"),
    ("is_master_down", "master_down"),
)


def _sentinel_state(item: Any) -> Dict[str, Any]:
    """One master/replica/sentinel state, a flat ``[field, value, ...]``
    list (RESP2) or a map (RESP3), as a dict of str (ints for the numeric
    fields, kept as text when not a number) plus the flag booleans."""
    pairs = item.items() if isinstance(item, dict) else zip(item[::2], item[1::2])
    state: Dict[str, Any] = {}
    for key, value in pairs:
        key, value = _str(key), _str(value)
        if key in _SENTINEL_INT_FIELDS:
            try:
                value = int(value)
            except (TypeError, ValueError):
                pass
        state[key] = value
    flags = set(str(state.get("flags", "")).split(","))
    for name, flag in _SENTINEL_FLAG_BOOLS:
        state[name] = flag in flags
    return state


def parse_sentinel_master(response: Any, **options: Any) -> Dict[str, Any]:
    """SENTINEL MASTER -> the master's state dict."""
    return _sentinel_state(response)


def parse_sentinel_masters(response: Any, **options: Any) -> Dict[str, Dict[str, Any]]:
    """SENTINEL MASTERS -> {name: state}."""
    states = (_sentinel_state(item) for item in response)
    return {state["name"]: state for state in states}


def parse_sentinel_list(response: Any, **options: Any) -> List[Dict[str, Any]]:
    """SENTINEL SLAVES / REPLICAS / SENTINELS -> [state, ...]."""
    return [_sentinel_state(item) for item in response]


def parse_sentinel_get_master(response: Any, **options: Any) -> Any:
    """SENTINEL GET-MASTER-ADDR-BY-NAME -> (host, int port), or None."""
    if not response:
        return None
    return (response[0], int(response[1]))



# -- end group: sentinel ----------------------------------------------------

# -- group: management (persistence, replication, cluster, modules, monitor) --


def parse_slowlog_get(response: Any, **options: Any) -> List[Dict[str, Any]]:
    """SLOWLOG GET -> one dict per entry; ``command`` is the arguments
    joined by spaces."""
    sep: Any = " " if options.get("decode_responses", False) else b" "
    entries = []
    for item in response:
        entry: Dict[str, Any] = {"id": item[0], "start_time": int(item[1]), "duration": int(item[2])}
        entry["command"] = sep.join(item[3])
        if len(item) >= 6:
            entry["client_address"] = item[4]
            entry["client_name"] = item[5]
        entries.append(entry)
    return entries


def _as_dict(value: Any) -> Dict[Any, Any]:
    """A RESP3 map, or its RESP2 flat-list form, as a dict."""
    if isinstance(value, dict):
        return value
    return dict(zip(value[::2], value[1::2]))


def parse_latency_histogram(response: Any, **options: Any) -> Dict[str, Any]:
    """LATENCY HISTOGRAM -> {command: {"calls": n, "histogram_usec": {µs: count}}}."""
    out: Dict[str, Any] = {}
    for name, detail in _as_dict(response).items():
        d = {_str(k): v for k, v in _as_dict(detail).items()}
        d["histogram_usec"] = {int(k): int(v) for k, v in _as_dict(d.get("histogram_usec", [])).items()}
        out[_str(name)] = d
    return out


def parse_module_list(response: Any, **options: Any) -> List[Dict[Any, Any]]:
    """MODULE LIST -> one dict per module."""
    return [_as_dict(m) for m in response]


def parse_cluster_info(response: Any, **options: Any) -> Dict[str, str]:
    """CLUSTER INFO -> {field: value}."""
    return dict(line.split(":", 1) for line in _str(response).splitlines() if ":" in line)


def parse_command_docs(response: Any, **options: Any) -> Dict[str, Any]:
    """COMMAND DOCS -> {name: {field: value}}, subcommands nested alike."""

    def one(doc: Any) -> Dict[str, Any]:
        d = {_str(k): v for k, v in _as_dict(doc).items()}
        if "subcommands" in d:
            d["subcommands"] = {_str(k): one(v) for k, v in _as_dict(d["subcommands"]).items()}
        return d

    return {_str(k): one(v) for k, v in _as_dict(response).items()}


def parse_debug_object(response: Any, **options: Any) -> Dict[str, Any]:
    """DEBUG OBJECT -> {"type": ..., field: value}, counts as int."""
    text = "type:" + _str(response)
    info: Dict[str, Any] = dict(item.split(":", 1) for item in text.split() if ":" in item)
    for field in ("refcount", "serializedlength", "lru", "lru_seconds_idle"):
        if field in info:
            info[field] = int(info[field])
    return info



# -- end group: management ----------------------------------------------------

Callback = Union[int, Callable[..., Any]]


# -- shapes of the protocol overlays ------------------------------------------


def _identity(response: Any, **options: Any) -> Any:
    return response


def _score_bytes(value: Any) -> Any:
    """A score as the bytes a RESP2 connection would have received."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, bool):
        return b"1" if value else b"0"
    return format(float(value), ".17g").encode()


def _cast(options: Dict[str, Any], lenient: bool = True) -> Callable[[Any], Any]:
    """score_cast_func; when ``lenient``, a cast rejecting the text gets
    ``float(text)`` instead (redis-py's rule for RESP2 scores)."""
    cast = options.get("score_cast_func", float)
    if cast is float or not lenient:
        return cast

    def safe(x: Any) -> Any:
        try:
            return cast(x)
        except (ValueError, TypeError):
            return cast(float(x))

    return safe


def _pairs(response: Any) -> List[Any]:
    """Nested [[member, score], ...] or flat [member, score, ...] -> pairs."""
    if response and isinstance(response[0], list):
        return [tuple(p) for p in response]
    it = iter(response)
    return list(zip(it, it))


def zset_pairs_resp3(response: Any, **options: Any) -> Any:
    """WITHSCORES with ``protocol=3`` / unified: [[member, score], ...]."""
    if not response or not options.get("withscores"):
        return response
    cast = _cast(options, lenient=False)
    return [[m, cast(s)] for m, s in _pairs(response)]


def zset_pairs_unified(response: Any, **options: Any) -> Any:
    """WITHSCORES, unified shape on RESP2: [[member, cast(float)], ...]."""
    if not response or not options.get("withscores"):
        return response
    cast = _cast(options)
    return [[m, cast(float(s))] for m, s in _pairs(response)]


def zset_pairs_flat_legacy(response: Any, **options: Any) -> Any:
    """ZDIFF / ZRANDMEMBER WITHSCORES, legacy shape: the flat RESP2 list
    [member, score-bytes, ...]."""
    if not response or not options.get("withscores"):
        return response
    if not isinstance(response[0], list):
        return response
    return [x for m, sc in response for x in (m, _score_bytes(sc))]


def zpop_unified(response: Any, **options: Any) -> Any:
    """ZPOPMIN / ZPOPMAX, unified shape: [[member, score], ...]."""
    if not response:
        return response
    cast = _cast(options)
    return [[m, cast(float(sc))] for m, sc in _pairs(response)]


def zpop_resp3_unified(response: Any, **options: Any) -> Any:
    """ZPOPMIN / ZPOPMAX on RESP3, unified shape."""
    if not response:
        return response
    cast = _cast(options, lenient=False)
    return [[m, cast(sc)] for m, sc in _pairs(response)]


def rank_score_resp3(response: Any, **options: Any) -> Any:
    """ZRANK / ZREVRANK WITHSCORE with ``protocol=3``: [rank, score]."""
    if not response or not options.get("withscore"):
        return response
    return [response[0], _cast(options, lenient=False)(response[1])]


def rank_score_unified(response: Any, **options: Any) -> Any:
    """ZRANK / ZREVRANK WITHSCORE, unified shape on RESP2."""
    if not response or not options.get("withscore"):
        return response
    return [response[0], _cast(options)(float(response[1]))]


def bzpop_unified(response: Any, **options: Any) -> Any:
    """BZPOPMIN / BZPOPMAX, unified shape: [key, member, score]."""
    if not response:
        return None
    return [response[0], response[1], float(response[2])]


def zmpop_legacy(response: Any, **options: Any) -> Any:
    """ZMPOP / BZMPOP on RESP3, legacy shape: scores as RESP2 bytes."""
    if not response:
        return response
    return [response[0], [[m, _score_bytes(sc)] for m, sc in response[1]]]


def zmpop_unified(response: Any, **options: Any) -> Any:
    """ZMPOP / BZMPOP, unified shape: float scores."""
    if not response:
        return response
    return [response[0], [[m, float(sc)] for m, sc in response[1]]]


def zscan_unified(response: Any, **options: Any) -> Any:
    """ZSCAN, unified shape: (cursor, [[member, score], ...])."""
    cursor, items = response
    cast = _cast(options)
    return int(cursor), [[m, cast(float(sc))] for m, sc in _pairs(items)]


def hrandfield_legacy(response: Any, **options: Any) -> Any:
    """HRANDFIELD WITHVALUES on RESP3, legacy shape: flat [f, v, ...]."""
    if not response or not options.get("withvalues") or not isinstance(response[0], list):
        return response
    return [x for pair in response for x in pair]


def hrandfield_unified(response: Any, **options: Any) -> Any:
    """HRANDFIELD WITHVALUES, unified shape: [[f, v], ...]."""
    if not response or not options.get("withvalues") or isinstance(response[0], list):
        return response
    it = iter(response)
    return [[f, v] for f, v in zip(it, it)]


def geopos_unified(response: Any, **options: Any) -> List[Any]:
    """GEOPOS, unified shape: [[lon, lat] | None, ...]."""
    return [[float(ll[0]), float(ll[1])] if ll is not None else None for ll in response]


def lcs_legacy(response: Any, **options: Any) -> Any:
    """LCS IDX on RESP3, legacy shape: the flat RESP2 list."""
    if not isinstance(response, dict):
        return response
    return [x for kv in response.items() for x in kv]


def lcs_unified(response: Any, **options: Any) -> Any:
    """LCS IDX, unified shape: a dict with str keys."""
    if isinstance(response, list):
        it = iter(response)
        return {_str(k): v for k, v in zip(it, it)}
    if isinstance(response, dict):
        return {_str(k): v for k, v in response.items()}
    return response


def config_get_resp3(response: Any, **options: Any) -> Dict[Any, Any]:
    """CONFIG GET on RESP3 -> {str: str}."""
    if not response:
        return {}
    return {_str(k) if k is not None else None: _str(v) if v is not None else None for k, v in response.items()}


def parse_memory_stats_unified(response: Any, **options: Any) -> Dict[str, Any]:
    """MEMORY STATS, unified shape: str keys, values as sent."""
    return _memory_stats(response, lambda v: v)


def parse_command_resp3(response: Any, **options: Any) -> Dict[str, Any]:
    """COMMAND / COMMAND INFO with ``protocol=3``: flags as sets, categories
    as sent."""
    return _command_details(response, lambda fs: {_str(f) for f in fs}, lambda cs: cs)


def parse_command_unified(response: Any, **options: Any) -> Dict[str, Any]:
    """COMMAND / COMMAND INFO, unified shape: flags and categories as sets."""
    commands = parse_command(response)
    for details in commands.values():
        details["flags"] = set(details["flags"])
        if "acl_categories" in details:
            details["acl_categories"] = set(details["acl_categories"])
    return commands


def parse_geosearch_unified(response: Any, **options: Any) -> Any:
    """GEOSEARCH / GEORADIUS*, unified shape (the same as the legacy one)."""
    return parse_geosearch_generic(response, **options)


def block_pop_unified(response: Any, **options: Any) -> Any:
    """BLPOP / BRPOP, unified shape on RESP2: the reply, None on timeout."""
    return response or None


# -- the tables ------------------------------------------------------------------
#
# Which callback a command gets is a column of the command table (Rust,
# ``src/commands/replies.rs`` and the rows): a native shape's name or the
# name of a function above, per profile. The tables are built from it once.

#: The client profiles, by (protocol, legacy_responses) as redis-py 8 picks
#: its tables: ``protocol=None`` speaks RESP3 with the legacy shapes.
PROFILES = ("resp2", "default", "resp3", "resp2_unified", "resp3_unified")


def _resolve(shape: str) -> Callback:
    """A shape name of the command table -> a Native code or a function of
    this module."""
    if shape in Native.__members__:
        return Native[shape]
    func = globals().get(shape)
    if shape.isupper() or not callable(func):
        raise ValueError(f"the command table names an unknown reply shape: {shape!r}")
    return func


def _tables() -> Dict[str, Dict[str, Callback]]:
    tables: Dict[str, Dict[str, Callback]] = {p: {} for p in PROFILES}
    for row in [*_redcore.command_table(), *_redcore.client_only_replies()]:
        key = " ".join(row["name"].split("|")).upper()
        for profile, shape in row["reply"].items():
            if shape is not None:
                tables[profile][key] = _resolve(shape)
    return tables


#: Every profile's default callbacks: {profile: {COMMAND: callback}}.
TABLES: Dict[str, Dict[str, Callback]] = _tables()

#: The entries every profile shares.
CALLBACKS: Dict[str, Callback] = {
    k: v for k, v in TABLES["resp2"].items() if all(TABLES[p].get(k) is v for p in PROFILES)
}


def profile_of(protocol: Optional[int] = None, legacy_responses: bool = True) -> str:
    """The profile (a key of :data:`TABLES`) redis-py 8 picks for
    ``protocol`` and ``legacy_responses``."""
    three = protocol is None or int(protocol) == 3
    if legacy_responses:
        return "default" if protocol is None else "resp3" if three else "resp2"
    return "resp3_unified" if three else "resp2_unified"


def callbacks_for(protocol: Optional[int] = None, legacy_responses: bool = True) -> CallbackDict:
    """A fresh ``response_callbacks`` table for a client, selected as
    redis-py 8 selects it from ``protocol`` and ``legacy_responses``."""
    return CallbackDict(TABLES[profile_of(protocol, legacy_responses)])


__all__ = ["CALLBACKS", "TABLES", "CallbackDict", "Native", "callbacks_for", "parse_info", "parse_command"]
