"""Server and connection commands: PING/ECHO/TIME, INFO, CONFIG, COMMAND,
CLIENT. Dual-backend tests run on the embedded engine and the real server;
the ``pair`` tests compare the two directly (COMMAND INFO of every command
we have, CONFIG defaults)."""

import time

import pytest
from support import NEWER_THAN_7_0

#: Settings whose value depends on how the server was started.
ENVIRONMENT = {"port", "bind", "dir", "save", "daemonize", "pidfile", "logfile", "appendonly", "supervised"}


def err(r, fn, *args, **kwargs):
    with pytest.raises(r.exc.ResponseError) as e:
        fn(*args, **kwargs)
    return str(e.value)


@pytest.fixture
def cfg(r):
    """``r``, with every setting a test changes restored afterwards (the
    oracle server is shared by the whole session)."""
    saved = r.config_get("*")
    yield r
    now = r.config_get("*")
    for name, value in saved.items():
        if now.get(name) != value:
            try:
                r.config_set(name, value)
            except r.exc.ResponseError:
                pass


def raw(r, *args):
    """A reply without the response callback (INFO text, HELP lists)."""
    r.set_response_callback(args[0], lambda x, **kw: x)
    try:
        return r.execute_command(*args)
    finally:
        r.response_callbacks.pop(args[0], None)


# -- connection ---------------------------------------------------------------


def test_ping_echo_time(r):
    assert r.ping() is True
    # redis-py's PING callback compares the reply with PONG.
    assert r.execute_command("PING", "hello") is False
    assert raw(r, "PING", "hello") == b"hello"
    assert err(r, r.execute_command, "PING", "a", "b") == "wrong number of arguments for 'ping' command"
    assert r.echo("x y") == b"x y"
    assert r.echo(b"\x00\xff") == b"\x00\xff"
    secs, micros = r.time()
    assert abs(secs - time.time()) < 5 and 0 <= micros < 1_000_000


def test_client_name_and_id(r):
    assert r.client_getname() is None
    assert r.client_setname("worker-1") is True
    assert r.client_getname() == "worker-1"
    assert err(r, r.client_setname, "has space") == (
        "Client names cannot contain spaces, newlines or special characters."
    )
    assert isinstance(r.client_id(), int)
    info = r.client_info()
    assert info["name"] == "worker-1" and info["db"] == 0 and info["id"] == r.client_id()
    assert info["cmd"] == "client|info"
    clients = r.client_list()
    assert any(c["name"] == "worker-1" for c in clients)
    assert r.client_list(_type="replica") == []
    assert r.client_setname("") is True
    assert r.client_getname() is None
    with pytest.raises(r.exc.DataError):
        r.client_list(_type="bogus")


# -- INFO ------------------------------------------------------------------------


SECTIONS = [b"# Server", b"# Clients", b"# Memory", b"# Persistence", b"# Stats", b"# Replication", b"# CPU"]


def headers(text):
    return [line for line in text.split(b"\r\n") if line.startswith(b"#")]


def test_info_default_sections(r):
    text = raw(r, "INFO")
    h = headers(text)
    assert h[: len(SECTIONS)] == SECTIONS
    assert h[-2:] == [b"# Cluster", b"# Keyspace"]
    assert b"# Commandstats" not in h
    assert text.endswith(b"\r\n")
    assert headers(raw(r, "INFO", "default")) == h


def test_info_all_and_selected_sections(r):
    assert b"# Commandstats" in headers(raw(r, "INFO", "all"))
    assert b"# Commandstats" in headers(raw(r, "INFO", "everything"))
    assert headers(raw(r, "INFO", "keyspace", "SERVER")) == [b"# Server", b"# Keyspace"]
    assert headers(raw(r, "INFO", "cpu")) == [b"# CPU"]
    assert raw(r, "INFO", "nosuchsection") == b""


def test_info_fields(r):
    r.set("a", 1)
    r.set("b", 2, ex=1000)
    info = r.info()
    assert info["redis_version"] == "7.0.15"
    for field in (
        "uptime_in_seconds",
        "connected_clients",
        "used_memory",
        "maxmemory",
        "total_commands_processed",
        "keyspace_hits",
        "keyspace_misses",
        "expired_keys",
        "evicted_keys",
    ):
        assert isinstance(info[field], int), field
    assert info["connected_clients"] >= 1
    assert info["used_memory_human"][-1] in "BKMG"
    assert info["maxmemory_policy"] == "noeviction"
    assert info["role"] == "master"
    assert info["cluster_enabled"] == 0
    assert info["db0"] == {"keys": 2, "expires": 1, "avg_ttl": info["db0"]["avg_ttl"]}
    assert "db1" not in info
    assert r.info("keyspace") == {"db0": info["db0"]}


def test_info_counters(r):
    before = r.info("stats")
    r.set("k", 1)
    r.get("k")
    r.get("k")
    r.get("missing")
    after = r.info("stats")
    assert after["keyspace_hits"] - before["keyspace_hits"] == 2
    assert after["keyspace_misses"] - before["keyspace_misses"] == 1
    assert after["total_commands_processed"] > before["total_commands_processed"]
    r.set("gone", 1, px=20)
    time.sleep(0.05)
    assert r.get("gone") is None
    assert r.info("stats")["expired_keys"] >= before["expired_keys"] + 1


def test_config_resetstat(r):
    r.get("missing")
    assert r.config_resetstat() is True
    stats = r.info("stats")
    assert stats["keyspace_misses"] == 0 and stats["keyspace_hits"] == 0
    assert stats["expired_keys"] == 0


def test_info_commandstats_errorstats_latencystats(r):
    """INFO commandstats counts each command's calls, and the calls it
    refused (a wrong number of arguments) or that failed (an error reply:
    directly, inside EXEC, inside a script); errorstats counts error
    replies by code, a script's error passed on from redis.call once."""
    r.set("a", 1)
    assert r.config_resetstat() is True
    assert r.info("errorstats") == {}
    assert r.info("stats")["total_error_replies"] == 0
    r.set("a", 1)
    assert r.get("a") == b"1"
    with pytest.raises(r.exc.ResponseError, match="^WRONGTYPE"):
        r.lpush("a", "x")
    with pytest.raises(r.exc.ResponseError, match="^wrong number of arguments"):
        r.execute_command("GET")
    with pytest.raises(r.exc.ResponseError, match="^unknown command"):
        r.execute_command("NOSUCHCOMMAND", "x")
    with pytest.raises(r.exc.ResponseError, match="^value is not an integer"):
        r.execute_command("INCRBY", "a", "x")
    pipe = r.pipeline()
    pipe.incr("a").lpush("a", "x")
    with pytest.raises(r.exc.ResponseError, match="WRONGTYPE"):
        pipe.execute()
    with pytest.raises(r.exc.ResponseError, match="^WRONGTYPE"):
        r.eval("return redis.call('lpush', KEYS[1], 1)", 1, "a")
    with pytest.raises(r.exc.ResponseError, match="^MY oops"):
        r.eval("return redis.error_reply('MY oops')", 0)
    stats = r.info("commandstats")
    counts = {
        name: (v["calls"], v["rejected_calls"], v["failed_calls"])
        for name, v in stats.items()
        if name.split("_", 1)[1] in ("set", "get", "lpush", "incrby", "multi", "exec", "eval")
    }
    assert counts == {
        "cmdstat_set": (1, 0, 0),
        "cmdstat_get": (1, 1, 0),
        "cmdstat_lpush": (3, 0, 3),
        "cmdstat_incrby": (2, 0, 1),  # redis-py's incr() sends INCRBY
        "cmdstat_multi": (1, 0, 0),
        "cmdstat_exec": (1, 0, 0),
        "cmdstat_eval": (2, 0, 2),
    }
    assert stats["cmdstat_config|resetstat"]["calls"] == 1
    get = stats["cmdstat_get"]
    assert get["usec_per_call"] == pytest.approx(get["usec"] / get["calls"], abs=0.01)
    assert r.info("errorstats") == {
        "errorstat_ERR": {"count": 3},
        "errorstat_MY": {"count": 1},
        "errorstat_WRONGTYPE": {"count": 3},
    }
    assert r.info("stats")["total_error_replies"] == 7
    latency = r.info("latencystats")["latency_percentiles_usec_set"]
    assert set(latency) == {"p50", "p99", "p99.9"}
    assert 0 < latency["p50"] <= latency["p99"] <= latency["p99.9"]
    r.config_set("latency-tracking-info-percentiles", "50 90")
    try:
        assert set(r.info("latencystats")["latency_percentiles_usec_set"]) == {"p50", "p90"}
    finally:
        r.config_set("latency-tracking-info-percentiles", "50 99 99.9")
    r.config_resetstat()
    assert "cmdstat_lpush" not in r.info("commandstats")
    assert r.info("errorstats") == {}
    assert "latency_percentiles_usec_lpush" not in r.info("latencystats")


def test_info_fields_exist_in_redis(pair):
    """Every INFO field we report is one Redis 7.0 reports, with a value of
    the same Python type after redis-py's parsing."""
    ours = pair["embedded"].info("everything")
    theirs = pair["oracle"].info("everything")
    assert set(ours) - set(theirs) == {"redcore_version"}
    wrong = {k: (ours[k], theirs[k]) for k in ours if k in theirs and type(ours[k]) is not type(theirs[k])}
    assert wrong == {}


def test_info_decoded(rd):
    assert rd.info("server")["redis_version"] == "7.0.15"


# -- CONFIG GET / SET ---------------------------------------------------------------


def test_config_get(cfg):
    r = cfg
    assert r.config_get("maxmemory") == {"maxmemory": "0"}
    assert r.config_get("MAXMEMORY") == {"MAXMEMORY": "0"}
    assert r.config_get("hash-max-ziplist-entries") == {"hash-max-ziplist-entries": "512"}
    assert r.config_get("nosuch") == {}
    assert set(r.config_get("maxmemory*")) == {
        "maxmemory",
        "maxmemory-policy",
        "maxmemory-samples",
        "maxmemory-eviction-tenacity",
        "maxmemory-clients",
    }
    assert set(r.config_get("*ZIPLIST*")) == {
        "hash-max-ziplist-entries",
        "hash-max-ziplist-value",
        "zset-max-ziplist-entries",
        "zset-max-ziplist-value",
        "list-max-ziplist-size",
    }
    both = r.config_get("maxmemory", "timeout", "maxmemory")
    assert both == {"maxmemory": "0", "timeout": "0"}
    assert set(r.config_get("MAXMEMORY", "maxmem*y")) == {"MAXMEMORY", "maxmemory-policy", "maxmemory-eviction-tenacity"}
    # Hidden settings need their exact name.
    assert r.config_get("use-exit-on-panic") == {"use-exit-on-panic": "no"}
    assert "use-exit-on-panic" not in r.config_get("use-exit-on-pani*")
    assert err(r, r.execute_command, "CONFIG", "GET") == "wrong number of arguments for 'config|get' command"


def test_config_set_types(cfg):
    r = cfg
    assert r.config_set("maxmemory", "1gb") is True
    assert r.config_get("maxmemory") == {"maxmemory": "1073741824"}
    assert r.config_set("maxmemory", "10k") is True
    assert r.config_get("maxmemory")["maxmemory"] == "10000"
    assert r.config_set("maxmemory", 0) is True
    assert r.config_set("hz", 20) is True
    assert r.config_get("hz") == {"hz": "20"}
    assert r.config_set("activerehashing", "NO") is True
    assert r.config_get("activerehashing") == {"activerehashing": "no"}
    assert r.config_set("maxmemory-policy", "ALLKEYS-LRU") is True
    assert r.config_get("maxmemory-policy") == {"maxmemory-policy": "allkeys-lru"}
    assert r.config_set("maxmemory-clients", "50%") is True
    assert r.config_get("maxmemory-clients") == {"maxmemory-clients": "50%"}
    assert r.config_set("slowlog-log-slower-than", -1) is True
    assert r.config_set("list-max-ziplist-size", -3) is True
    assert r.config_get("list-max-listpack-size") == {"list-max-listpack-size": "-3"}
    assert r.config_set("save", "100 10 20 5") is True
    assert r.config_get("save") == {"save": "100 10 20 5"}
    assert r.config_set("save", "") is True
    assert r.config_get("save") == {"save": ""}
    assert r.config_set("notify-keyspace-events", "KEA") is True
    assert r.config_get("notify-keyspace-events") == {"notify-keyspace-events": "AKE"}
    assert r.config_set("notify-keyspace-events", "Egxn") is True
    assert r.config_get("notify-keyspace-events") == {"notify-keyspace-events": "gxnE"}
    assert r.config_set("notify-keyspace-events", "") is True
    assert r.config_set("client-output-buffer-limit", "pubsub 64mb 16mb 90") is True
    assert r.config_get("client-output-buffer-limit") == {
        "client-output-buffer-limit": "normal 0 0 0 slave 268435456 67108864 60 pubsub 67108864 16777216 90"
    }
    assert r.config_set("oom-score-adj", "relative") is True
    assert r.config_get("oom-score-adj") == {"oom-score-adj": "yes"}
    assert r.config_set("shutdown-on-sigint", "now default save") is True
    assert r.config_get("shutdown-on-sigint") == {"shutdown-on-sigint": "save now"}
    assert err(r, r.config_set, "shutdown-on-sigint", "save nosave") == (
        "CONFIG SET failed (possibly related to argument 'shutdown-on-sigint') - "
        "shutdown options SAVE and NOSAVE can't be used simultaneously"
    )
    assert r.config_set("latency-tracking-info-percentiles", "50 99.5") is True
    assert r.config_get("latency-tracking-info-percentiles") == {"latency-tracking-info-percentiles": "50 99.5"}


def test_config_set_many_is_atomic(cfg):
    r = cfg
    assert r.config_set("maxmemory", "5mb", "hash-max-listpack-entries", 100) is True
    assert r.config_get("maxmemory", "hash-max-listpack-entries") == {
        "maxmemory": "5242880",
        "hash-max-listpack-entries": "100",
    }
    e = err(r, r.config_set, "maxmemory", "7mb", "hz", "fast")
    assert e == "CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer"
    assert r.config_get("maxmemory") == {"maxmemory": "5242880"}
    # A setting and its alias are separate names: no duplicate error.
    assert r.config_set("hash-max-listpack-entries", 1, "hash-max-ziplist-entries", 2) is True
    assert r.config_get("hash-max-listpack-entries") == {"hash-max-listpack-entries": "2"}


def test_config_set_errors(cfg):
    r = cfg
    prefix = "CONFIG SET failed (possibly related to argument "
    cases = [
        (("foo", 1), "Unknown option or number of arguments for CONFIG SET - 'foo'"),
        (("maxmemory", 1, "foo", 2), "Unknown option or number of arguments for CONFIG SET - 'foo'"),
        (("databases", 3, "foo", 1), prefix + "'databases') - can't set immutable config"),
        (("foo", 1, "databases", 3), "Unknown option or number of arguments for CONFIG SET - 'foo'"),
        (("hz", "x", "foo", 1), "Unknown option or number of arguments for CONFIG SET - 'foo'"),
        (("maxmemory", 1, "MAXMEMORY", 2), prefix + "'MAXMEMORY') - duplicate parameter"),
        (("databases", 3), prefix + "'databases') - can't set immutable config"),
        (("dir", "/tmp"), prefix + "'dir') - can't set protected config"),
        (("maxmemory", -1), prefix + "'maxmemory') - argument must be a memory value"),
        (("maxmemory", "1x"), prefix + "'maxmemory') - argument must be a memory value"),
        (("hz", -1), prefix + "'hz') - argument must be between 0 and 2147483647 inclusive"),
        (("maxclients", 0), prefix + "'maxclients') - argument must be between 1 and 4294967295 inclusive"),
        (("hash-max-ziplist-entries", -1), prefix + "'hash-max-ziplist-entries') - argument must be between 0 and 9223372036854775807 inclusive"),
        (("appendonly", "maybe"), prefix + "'appendonly') - argument must be 'yes' or 'no'"),
        (
            ("maxmemory-policy", "foo"),
            prefix + "'maxmemory-policy') - argument(s) must be one of the following: volatile-lru, "
            "volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction",
        ),
        (("notify-keyspace-events", "Q"), prefix + "'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'."),
        (("save", "1 2 3"), prefix + "'save') - Invalid save parameters"),
        (("save", "0 5"), prefix + "'save') - Invalid save parameters"),
        (("maxmemory-clients", "200%"), prefix + "'maxmemory-clients') - percentage argument must be less or equal to 100"),
        (("proto-max-bulk-len", 10), prefix + "'proto-max-bulk-len') - argument must be between 1048576 and 9223372036854775807 inclusive"),
        (("client-output-buffer-limit", "master 1 1 1"), prefix + "'client-output-buffer-limit') - Invalid client class specified in buffer limit configuration."),
    ]
    for args, expected in cases:
        assert err(r, r.config_set, *args) == expected, args
    assert err(r, r.execute_command, "CONFIG", "SET", "maxmemory", 1, "hz") == "syntax error"
    assert err(r, r.execute_command, "CONFIG", "SET", "maxmemory") == "wrong number of arguments for 'config|set' command"


def test_config_rewrite_help_and_unknown(r):
    assert err(r, r.config_rewrite) == "The server is running without a config file"
    help_lines = raw(r, "CONFIG", "HELP")
    assert help_lines[0] == b"CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert help_lines[-2:] == [b"HELP", b"    Prints this help."]
    assert err(r, r.execute_command, "CONFIG", "NOPE") == "unknown subcommand 'NOPE'. Try CONFIG HELP."


def test_encoding_limits_follow_config(cfg):
    r = cfg
    r.config_set("hash-max-listpack-entries", 2)
    r.hset("h", mapping={"a": 1, "b": 2})
    assert r.object("encoding", "h") == b"listpack"
    r.hset("h", "c", 3)
    assert r.object("encoding", "h") == b"hashtable"


def test_object_freq_and_idletime_under_lfu(cfg):
    r = cfg
    r.set("k", "v")
    r.config_set("maxmemory-policy", "allkeys-lfu")
    assert isinstance(r.object("freq", "k"), int)
    assert err(r, r.object, "idletime", "k").startswith("An LFU maxmemory policy is selected, idle time not tracked.")


def test_config_defaults_match_redis(pair):
    ours = pair["embedded"].config_get("*")
    theirs = pair["oracle"].config_get("*")
    assert set(ours) <= set(theirs), set(ours) - set(theirs)
    diff = {k: (ours[k], theirs[k]) for k in ours if k not in ENVIRONMENT and ours[k] != theirs[k]}
    assert diff == {}


# -- COMMAND ----------------------------------------------------------------------------


def test_command_info_shape(r):
    info = r.execute_command("COMMAND INFO", "get", "config|get", "nosuchcommand")
    assert info[2] is None
    get = info[0]
    assert get[:7] == [b"get", 2, [b"readonly", b"fast"], 1, 1, 1, [b"@read", b"@string", b"@fast"]]
    assert info[1][:7] == [b"config|get", -3, [b"admin", b"noscript", b"loading", b"stale"], 0, 0, 0,
                           [b"@admin", b"@slow", b"@dangerous"]]
    config = r.execute_command("COMMAND INFO", "CONFIG")[0]
    assert config[:7] == [b"config", -2, [], 0, 0, 0, [b"@slow"]]
    assert {sub[0] for sub in config[9]} >= {b"config|get", b"config|set", b"config|resetstat"}


def test_command_dict(r):
    cmds = r.command()
    assert cmds["get"]["arity"] == 2 and cmds["get"]["flags"] == ["readonly", "fast"]
    assert cmds["keys"]["acl_categories"] == ["@keyspace", "@read", "@slow", "@dangerous"]
    assert isinstance(r.command_count(), int) and r.command_count() == len(cmds)
    with pytest.raises(NotImplementedError):
        r.command_info()


def test_command_list(r):
    names = r.command_list()
    assert b"get" in names and b"config|get" in names and b"object|encoding" in names
    ttls = [n for n in r.command_list(pattern="*ttl") if n.decode() not in NEWER_THAN_7_0]
    assert sorted(ttls) == [b"pttl", b"ttl"]
    assert sorted(r.command_list(pattern="OBJECT|ENC*")) == [b"object|encoding"]
    keyspace = r.command_list(category="keyspace")
    assert b"del" in keyspace and b"get" not in keyspace
    assert r.command_list(category="nosuchcategory") == []
    assert r.command_list(module="nosuchmodule") == []
    assert err(r, r.execute_command, "COMMAND", "LIST", "FILTERBY", "nope", "x") == "syntax error"
    assert err(r, r.execute_command, "COMMAND", "LIST", "FILTERBY", "pattern") == "syntax error"


def test_command_getkeys(r):
    assert r.command_getkeys("GET", "k") == ["k"]
    assert r.command_getkeys("MSET", "a", 1, "b", 2) == ["a", "b"]
    assert r.command_getkeys("RENAME", "a", "b") == ["a", "b"]
    assert r.command_getkeys("OBJECT", "ENCODING", "k") == ["k"]
    assert err(r, r.command_getkeys, "NOSUCH", "x") == "Invalid command specified"
    assert err(r, r.command_getkeys, "PING", "x") == "The command has no key arguments"
    assert err(r, r.command_getkeys, "GET", "a", "b") == "Invalid number of arguments specified for command"
    assert err(r, r.command_getkeys, "CONFIG", "NOPE") == "Invalid command specified"
    assert err(r, r.execute_command, "COMMAND", "GETKEYS", "GET") == (
        "wrong number of arguments for 'command|getkeys' command"
    )


def test_command_help_and_errors(r):
    help_lines = raw(r, "COMMAND", "HELP")
    assert help_lines[0] == b"COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert err(r, r.execute_command, "COMMAND", "NOPE") == "unknown subcommand 'NOPE'. Try COMMAND HELP."
    assert err(r, r.execute_command, "COMMAND", "COUNT", "x") == (
        "wrong number of arguments for 'command|count' command"
    )


def _infos(client, names):
    client.set_response_callback("COMMAND", lambda x, **kw: x)
    try:
        return client.execute_command("COMMAND", "INFO", *names)
    finally:
        client.response_callbacks.pop("COMMAND", None)


def _canon(x):
    """A reply part with bytes decoded and sets ordered, for comparison."""
    if isinstance(x, bytes):
        return x.decode()
    if isinstance(x, dict):
        return {_canon(k): _canon(v) for k, v in x.items()}
    if isinstance(x, (set, frozenset)):
        return sorted(_canon(v) for v in x)
    if isinstance(x, (list, tuple)):
        return [_canon(v) for v in x]
    return x


def _summary(entry):
    """name, arity, flags, first/last/step, ACL categories, tips and key
    specifications of an entry."""
    text = lambda items: [x.decode() if isinstance(x, bytes) else x for x in items]  # noqa: E731
    name = entry[0].decode()
    return (
        name, entry[1], text(entry[2]), entry[3], entry[4], entry[5], text(entry[6]),
        _canon(entry[7]), _canon(entry[8]),
    )




#: Commands whose COMMAND INFO row changed after Redis 7.0, so the 7.0
#: oracle reports the old one: name -> (what changed, the 7.0 value, ours).
#: Only that field is excused; everything else must still match.
CHANGED_AFTER_7_0 = {
    # Redis 7.2 added ZRANK/ZREVRANK's optional WITHSCORE: arity 3 -> -3.
    "zrank": ("arity", 3, -3),
    "zrevrank": ("arity", 3, -3),
}


def _allow_newer(name, ours, theirs):
    """``ours`` with the documented post-7.0 change put back to the 7.0
    value, once we check that ours carries the newer value."""
    if name not in CHANGED_AFTER_7_0:
        return ours
    field, old, new = CHANGED_AFTER_7_0[name]
    assert field == "arity" and ours[1] == new and theirs[1] == old, (name, ours[1], theirs[1])
    return (ours[0], old) + ours[2:]


def test_command_info_matches_redis_for_every_command(pair):
    """Every command (and subcommand) in our table must report what the
    real server reports. Lists all mismatches at once."""
    emb, ora = pair["embedded"], pair["oracle"]
    ours = _infos(emb, [])
    names = [e[0].decode() for e in ours]
    theirs = dict(zip(names, _infos(ora, names)))
    problems = []
    for entry in ours:
        name = entry[0].decode()
        real = theirs[name]
        if real is None and name in NEWER_THAN_7_0:
            continue
        if real is None:
            if name not in NEWER_THAN_7_0:
                problems.append(f"{name}: not a Redis 7.0 command")
            continue
        if _allow_newer(name, _summary(entry), _summary(real)) != _summary(real):
            problems.append(f"{name}:\n    ours  {_summary(entry)}\n    redis {_summary(real)}")
        real_subs = {s[0].decode(): s for s in real[9]}
        for sub in entry[9]:
            sub_name = sub[0].decode()
            if sub_name not in real_subs and sub_name in NEWER_THAN_7_0:
                continue
            if sub_name not in real_subs:
                problems.append(f"{sub_name}: not a Redis 7.0 subcommand")
            elif _summary(sub) != _summary(real_subs[sub_name]):
                problems.append(
                    f"{sub_name}:\n    ours  {_summary(sub)}\n    redis {_summary(real_subs[sub_name])}"
                )
    assert not problems, "COMMAND INFO mismatches:\n" + "\n".join(problems)
