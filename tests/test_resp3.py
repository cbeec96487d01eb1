"""Raw replies per protocol: the same commands sent with ``execute_command``
to the embedded engine, redcore's network client and redis-py (the oracle,
both on the real redis-server) with ``protocol`` None (redis-py 8's default:
RESP3 on the wire, legacy shapes), 2 and 3, and with
``legacy_responses=False``, must give the same Python values, types
included (``1 == 1.0 == True`` would hide a float or a bool).
"""

from __future__ import annotations

from typing import Any, List

import pytest

from conftest import make_client

SETUP: List[tuple] = [
    ("SET", "s", "hello"),
    ("RPUSH", "l", "a", "b", "c"),
    ("HSET", "h", "f1", "v1", "f2", "2"),
    ("SADD", "set", "x", "y"),
    ("SADD", "set2", "y", "z"),
    ("ZADD", "z", 1, "a", 2.5, "b", 3, "c"),
    ("ZADD", "z2", 1, "a", 5, "d"),
    ("XADD", "st", "1-1", "f", "v"),
    ("XADD", "st", "2-1", "g", "w"),
    ("XGROUP", "CREATE", "st", "grp", "0"),
    ("PFADD", "hll", "a", "b"),
    ("HSET", "h1", "only", "1"),
    ("ZADD", "z1", 4, "m"),
    ("GEOADD", "geo", 13.361389, 38.115556, "Palermo", 15.087269, 37.502669, "Catania"),
]

COMMANDS: List[tuple] = [
    ("GET", "s"),
    ("GET", "missing"),
    ("STRLEN", "s"),
    ("INCRBYFLOAT", "n", "1.5"),
    ("INCR", "cnt"),
    ("APPEND", "s", "!"),
    ("GETRANGE", "s", 0, 2),
    ("MGET", "s", "missing"),
    ("SETNX", "s", "x"),
    ("SET", "s2", "v", "GET"),
    ("LRANGE", "l", 0, -1),
    ("LPOS", "l", "b"),
    ("LPOP", "l", 2),
    ("LLEN", "l"),
    ("HGETALL", "h"),
    ("HGETALL", "missing"),
    ("HMGET", "h", "f1", "nope"),
    ("HKEYS", "h"),
    ("HINCRBYFLOAT", "h", "f2", "0.5"),
    ("HEXISTS", "h", "f1"),
    ("HSTRLEN", "h", "f1"),
    ("HRANDFIELD", "h1", -2, "WITHVALUES"),
    ("SMEMBERS", "set"),
    ("SMEMBERS", "missing"),
    ("SISMEMBER", "set", "x"),
    ("SMISMEMBER", "set", "x", "q"),
    ("SINTER", "set", "set2"),
    ("SUNION", "set", "set2"),
    ("SDIFF", "set", "set2"),
    ("SCARD", "set"),
    ("ZRANGE", "z", 0, -1),
    ("ZRANGE", "z", 0, -1, "WITHSCORES"),
    ("ZRANGE", "z", "(1", "+inf", "BYSCORE", "WITHSCORES"),
    ("ZREVRANGE", "z", 0, 1, "WITHSCORES"),
    ("ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES"),
    ("ZREVRANGEBYSCORE", "z", "+inf", "-inf", "WITHSCORES"),
    ("ZSCORE", "z", "b"),
    ("ZSCORE", "z", "nope"),
    ("ZMSCORE", "z", "a", "nope"),
    ("ZINCRBY", "z", 1, "a"),
    ("ZADD", "z", "INCR", 1, "a"),
    ("ZADD", "z", "NX", "INCR", 1, "a"),
    ("ZADD", "z", 7, "e"),
    ("ZRANK", "z", "b"),
    ("ZCARD", "z"),
    ("ZCOUNT", "z", "-inf", "+inf"),
    ("ZUNION", 2, "z", "z2", "WITHSCORES"),
    ("ZINTER", 2, "z", "z2", "WITHSCORES"),
    ("ZDIFF", 2, "z", "z2", "WITHSCORES"),
    ("ZRANDMEMBER", "z1", -2, "WITHSCORES"),
    ("ZPOPMIN", "z"),
    ("ZPOPMAX", "z", 2),
    ("ZMPOP", 1, "z2", "MIN"),
    ("BZPOPMIN", "z", 1),
    ("BLPOP", "l", 1),
    ("ZSCAN", "z", 0),
    ("HSCAN", "h", 0),
    ("SSCAN", "set2", 0, "MATCH", "z"),
    ("XRANGE", "st", "-", "+"),
    ("XREVRANGE", "st", "+", "-", "COUNT", 1),
    ("XLEN", "st"),
    ("XREAD", "STREAMS", "st", "0"),
    ("XREAD", "COUNT", 1, "STREAMS", "st", "9-9"),
    ("XREADGROUP", "GROUP", "grp", "c1", "COUNT", 1, "STREAMS", "st", ">"),
    ("XPENDING", "st", "grp"),
    ("XINFO", "GROUPS", "st"),
    ("PFCOUNT", "hll"),
    ("GEODIST", "geo", "Palermo", "Catania"),
    ("GEOPOS", "geo", "Palermo", "nope"),
    ("GEOHASH", "geo", "Palermo"),
    ("GEOSEARCH", "geo", "FROMMEMBER", "Palermo", "BYRADIUS", 200, "km", "ASC", "WITHDIST"),
    ("EXISTS", "s", "l"),
    ("TYPE", "z"),
    ("TTL", "s"),
    ("EXPIRE", "s", 100),
    ("PERSIST", "s"),
    ("OBJECT", "ENCODING", "l"),
    ("DBSIZE",),
    ("ECHO", "hi"),
    ("PING",),
    ("LCS", "s", "s2"),
    ("CONFIG GET", "maxmemory"),
    ("CONFIG", "GET", "maxmemory"),
    ("EVAL", "return {1, 'two', 3.9}", 0),
    ("EVAL", "return redis.call('ZSCORE', KEYS[1], 'b')", 1, "z"),
    ("SORT", "l", "ALPHA"),
    ("RENAME", "s2", "s3"),
    ("DEL", "s3"),
    ("COMMAND", "COUNT"),
    ("COMMAND", "GETKEYS", "SET", "a", "b"),
    ("LCS", "s", "s", "IDX", "WITHMATCHLEN"),
    ("XINFO", "STREAM", "st"),
    ("XINFO STREAM", "st"),
    ("XINFO STREAM", "st", "FULL"),
    ("XCLAIM", "st", "grp", "c2", 0, "1-1"),
    ("XAUTOCLAIM", "st", "grp", "c3", 0, "0-0"),
    ("XPENDING", "st", "grp", "-", "+", 10),
    ("SINTERCARD", 2, "set", "set2"),
    ("LMPOP", 1, "l", "LEFT"),
    ("OBJECT", "FREQ", "s"),
    ("PUBSUB", "NUMSUB", "ch"),
    ("PUBSUB NUMSUB", "ch"),
    ("MEMORY", "USAGE", "missing"),
    ("CLIENT", "GETNAME"),
    ("GEORADIUS", "geo", 15, 37, 200, "km", "WITHDIST", "WITHCOORD", "ASC"),
    ("ZRANGESTORE", "zdst", "z", 0, -1),
    ("ZINTERCARD", 2, "z", "z2"),
    ("EVAL", "return redis.call('HGETALL', KEYS[1])", 1, "h"),
    ("EVAL", "redis.setresp(3) return redis.call('HGETALL', KEYS[1])", 1, "h"),
    ("EVAL", "redis.setresp(3) return redis.call('ZSCORE', KEYS[1], 'b')", 1, "z"),
    ("EVAL", "return {double=1.5}", 0),
    ("SCRIPT", "EXISTS", "abc"),
    ("DUMP", "missing"),
    ("TYPE", "st"),
    ("SET", "s", "v", "GET"),
]


#: Commands newer than the 7.0 oracle: compared with redis-py's shapes of
#: the same commands sent to redcore's RESP server instead.
NEWER: List[tuple] = [
    ("ZRANK", "z", "b", "WITHSCORE"),
    ("ZREVRANK", "z", "b", "WITHSCORE"),
    ("ZRANK", "z", "nope", "WITHSCORE"),
    ("XDELEX", "st", "ACKED", "IDS", 2, "1-1", "9-9"),
    ("XACKDEL", "st", "grp", "IDS", 1, "1-1"),
    ("LMOVEM", "l", "l2", "LEFT", "RIGHT", "COUNT", 2, "OBO"),
    ("LMOVEM", "l", "l2", "LEFT", "RIGHT", "EXACTLY", 5, "BULK"),
    ("BLMOVEM", "l", "l2", "LEFT", "RIGHT", 0.01, "EXACTLY", 5, "BULK"),
]


def typed(value: Any) -> Any:
    """A value with its types spelled out, so 1, 1.0 and True differ."""
    if isinstance(value, dict):
        return ("dict", sorted(((typed(k), typed(v)) for k, v in value.items()), key=repr))
    if isinstance(value, (set, frozenset)):
        return ("set", sorted((typed(v) for v in value), key=repr))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [typed(v) for v in value])
    if isinstance(value, Exception):
        return ("error", type(value).__name__, str(value))
    return (type(value).__name__, value)


def replies(client: Any, commands: List[tuple] = COMMANDS) -> List[Any]:
    for args in SETUP:
        client.execute_command(*args)
    out = []
    for args in commands:
        try:
            out.append((args, typed(client.execute_command(*args))))
        except Exception as e:  # noqa: BLE001 - errors are replies to compare
            out.append((args, typed(e)))
    return out


PROTOCOLS = [
    pytest.param({}, id="default"),
    pytest.param({"protocol": 2}, id="resp2"),
    pytest.param({"protocol": 3}, id="resp3"),
    pytest.param({"legacy_responses": False}, id="unified"),
    pytest.param({"protocol": 2, "legacy_responses": False}, id="resp2-unified"),
]


@pytest.mark.parametrize("kwargs", PROTOCOLS)
@pytest.mark.parametrize("backend", ["embedded", "remote"])
@pytest.mark.parametrize("decode", [False, True], ids=["bytes", "str"])
def test_raw_replies_match_redis_py(redis_server: Any, backend: str, kwargs: dict, decode: bool) -> None:
    redis_server.client().flushall()
    oracle = make_client("oracle", redis_server, decode_responses=decode, **kwargs)
    expected = replies(oracle)
    oracle.close()
    redis_server.client().flushall()
    client = make_client(backend, redis_server, decode_responses=decode, **kwargs)
    got = replies(client)
    client.close()
    diffs = [(args, g, e) for (args, g), (_, e) in zip(got, expected) if g != e]
    assert not diffs, "\n".join(f"{a!r}\n  redcore: {g!r}\n  redis:   {e!r}" for a, g, e in diffs)


@pytest.mark.parametrize("kwargs", PROTOCOLS)
def test_newer_commands_match_redis_py_on_redcores_server(
    redis_server: Any, redcore_server: Any, kwargs: dict
) -> None:
    """Commands the 7.0 oracle lacks: the embedded engine's Python values
    are the ones redis-py makes of redcore's server's replies."""
    remote = make_client("server", redis_server, rc_server=redcore_server, **kwargs)
    remote.flushall()
    expected = replies(remote, NEWER)
    remote.close()
    local = make_client("embedded", redis_server, **kwargs)
    got = replies(local, NEWER)
    local.close()
    diffs = [(args, g, e) for (args, g), (_, e) in zip(got, expected) if g != e]
    assert not diffs, "\n".join(f"{a!r}\n  redcore: {g!r}\n  redis-py: {e!r}" for a, g, e in diffs)
    # ...and they are replies, not the 7.0 arity errors.
    assert [g[0] for _, g in got[:2]] == ["list", "list"]


def test_hello_reports_the_protocol(make: Any) -> None:
    for kwargs, proto in (({}, 3), ({"protocol": 3}, 3)):
        reply = make(**kwargs).execute_command("HELLO")
        assert reply[b"proto"] == proto
        assert reply[b"server"] == b"redis"
    reply = make(protocol=2).execute_command("HELLO", 2)
    assert reply[reply.index(b"proto") + 1] == 2


def test_typed_methods_keep_the_classic_shapes(make: Any) -> None:
    for kwargs in ({}, {"protocol": 2}):
        r = make(**kwargs)
        r.flushdb()
        r.zadd("z", {"a": 1, "b": 2})
        assert r.zrange("z", 0, -1, withscores=True) == [(b"a", 1.0), (b"b", 2.0)]
        assert r.zrevrange("z", 0, -1, withscores=True) == [(b"b", 2.0), (b"a", 1.0)]
        assert r.zadd("z", {"a": 1}, incr=True) == 2.0
        assert r.zscore("z", "a") == 2.0
        r.hset("h", mapping={"f": "v"})
        assert r.hgetall("h") == {b"f": b"v"}
        r.sadd("s", "x")
        assert r.smembers("s") == {b"x"}
        assert r.zpopmin("z") == [(b"a", 2.0)]


def test_protocol_3_shapes(make: Any) -> None:
    r = make(protocol=3)
    r.zadd("z", {"a": 1, "b": 2})
    assert r.zrange("z", 0, -1, withscores=True) == [[b"a", 1.0], [b"b", 2.0]]
    assert r.zrevrange("z", 0, -1, withscores=True) == [[b"b", 2.0], [b"a", 1.0]]
    assert r.zpopmin("z") == [b"a", 1.0]


def test_bad_protocol_is_rejected(redis_server: Any) -> None:
    import redcore

    for kwargs in ({}, {"port": redis_server.port}):
        with pytest.raises(redcore.exceptions.ConnectionError, match="either 2 or 3"):
            redcore.Redis(protocol=4, **kwargs)


def test_from_url_protocol(redis_server: Any) -> None:
    import redcore

    redis_server.client().flushall()
    for url in ("memory://resp3-url?protocol=2", f"redis://127.0.0.1:{redis_server.port}?protocol=2"):
        r = redcore.Redis.from_url(url)
        r.zadd("z", {"a": 1})
        assert r.execute_command("ZRANGE", "z", 0, -1, "WITHSCORES") == [b"a", b"1"]
        r.delete("z")
        r.close()
    r = redcore.Redis.from_url("memory://resp3-url")
    r.zadd("z", {"a": 1})
    assert r.execute_command("ZRANGE", "z", 0, -1, "WITHSCORES") == [[b"a", 1.0]]


def test_push_messages_do_not_take_a_replys_place(redis_server: Any) -> None:
    """A RESP3 push (a client-tracking invalidation) arriving before a reply
    is handled out of band, as redis-py does: every command still gets its
    own reply."""
    import redcore

    redis_server.client().flushall()
    r = redcore.Redis(port=redis_server.port, single_connection_client=True)
    other = redcore.Redis(port=redis_server.port)
    assert r.execute_command("CLIENT", "TRACKING", "ON")
    r.set("tracked", "1")
    assert r.get("tracked") == b"1"
    other.set("tracked", "2")  # invalidates: a push to r's connection
    assert r.ping() is True
    assert r.get("tracked") == b"2"
    assert r.pipeline().get("tracked").set("tracked", "3").execute() == [b"2", True]
    r.close()


@pytest.mark.parametrize("kwargs", PROTOCOLS)
@pytest.mark.parametrize("backend", ["embedded", "remote"])
@pytest.mark.parametrize("transaction", [False, True], ids=["pipeline", "multi"])
def test_pipeline_replies_match_redis_py(redis_server: Any, backend: str, kwargs: dict, transaction: bool) -> None:
    def run(client: Any) -> Any:
        for args in SETUP:
            client.execute_command(*args)
        pipe = client.pipeline(transaction=transaction)
        for args in COMMANDS:
            if args[0] in ("BLPOP", "BZPOPMIN", "EVAL", "HELLO", "ZRANK", "ZREVRANK"):
                continue  # not allowed, or an error aborting the MULTI
            if args[0] in ("COMMAND", "XPENDING", "XINFO STREAM"):
                continue  # redis-py's callback raises: the whole pipeline would

            pipe.execute_command(*args)
        pipe.zrange("z", 0, -1, withscores=True).hgetall("h").zadd("z", {"q": 1}, incr=True)
        try:
            return [typed(x) for x in pipe.execute(raise_on_error=False)]
        except Exception as e:  # noqa: BLE001 - an aborted MULTI must abort alike
            return typed(e)

    redis_server.client().flushall()
    oracle = make_client("oracle", redis_server, **kwargs)
    expected = run(oracle)
    oracle.close()
    redis_server.client().flushall()
    client = make_client(backend, redis_server, **kwargs)
    got = run(client)
    client.close()
    assert isinstance(expected, list), expected
    assert got == expected
