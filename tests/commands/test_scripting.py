"""EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT *, register_script: replies,
conversions, errors, sandbox, atomicity and SCRIPT KILL, on both backends."""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time

import pytest

BUSY = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."


def sha(script: str) -> str:
    return hashlib.sha1(script.encode()).hexdigest()


def where(script: str, line: int = 1) -> str:
    """The context Redis 7.0 appends to a script's error."""
    return f" script: {sha(script)}, on @user_script:{line}."


def error_of(r, script, *args, numkeys=0):
    with pytest.raises(r.exc.ResponseError) as e:
        r.eval(script, numkeys, *args)
    return str(e.value)


# ---- basics -----------------------------------------------------------------


def test_eval_keys_and_argv(r):
    assert r.eval("return {KEYS[1], KEYS[2], ARGV[1], ARGV[2]}", 2, "a", "b", "c", "d") == [
        b"a",
        b"b",
        b"c",
        b"d",
    ]
    assert r.eval("return #KEYS + #ARGV", 0) == 0
    assert r.eval("KEYS[1] = 'x'; return KEYS[1]", 1, "k") == b"x"


def test_eval_calls_redis(r):
    r.set("mykey", "myval")
    assert r.eval("return redis.call('get', KEYS[1])", 1, "mykey") == b"myval"
    assert r.eval("return redis.call('GET', KEYS[1])", 1, "mykey") == b"myval"
    assert r.eval("redis.call('set', KEYS[1], ARGV[1]); return redis.call('get', KEYS[1])", 1, "k", 5) == b"5"


def test_numkeys_validation(r):
    assert error_of(r, "return 1", "a", numkeys=2) == "Number of keys can't be greater than number of args"
    assert error_of(r, "return 1", numkeys=-1) == "Number of keys can't be negative"
    with pytest.raises(r.exc.ResponseError) as e:
        r.execute_command("EVAL", "return 1", "x")
    assert str(e.value) == "value is not an integer or out of range"
    with pytest.raises(r.exc.ResponseError) as e:
        r.execute_command("EVAL", "return 1")
    assert str(e.value) == "wrong number of arguments for 'eval' command"


def test_decode_responses(rd):
    assert rd.eval("return {ARGV[1], 1, {ok='fine'}}", 0, "é") == ["é", 1, "fine"]


# ---- conversions --------------------------------------------------------------


@pytest.mark.parametrize(
    "script,expected",
    [
        ("return 'hello'", b"hello"),
        ("return 100.5", 100),
        ("return -3.7", -3),
        ("return 9007199254740993", 9007199254740992),
        ("return 0/0", -9223372036854775808),
        ("return 1e19", -9223372036854775808),
        ("return true", 1),
        ("return false", None),
        ("return nil", None),
        ("return {ok='fine'}", b"fine"),
        ("return {ok='a\\r\\nb'}", b"a  b"),
        ("return {1, 2, 3, 'ciao', {1, 2}}", [1, 2, 3, b"ciao", [1, 2]]),
        ("return {1, nil, 3}", [1]),
        ("return {false, true}", [None, 1]),
        ("return {ok=1}", []),
        ("return {err=1}", []),
        ("return {}", []),
        ("return _G", []),
        ("return {double=1.5}", b"1.5"),
        ("return {big_number='123'}", b"123"),
        ("return {map={a=1}}", [b"a", 1]),
        ("return {set={a=true}}", [b"a"]),
        ("return function() end", None),
        ("local a = {}; setmetatable(a, {__index=function() foo() end}) return a", []),
        ("redis.setresp(3) return false", 0),
        ("redis.setresp(3) return true", 1),
        ("redis.setresp(3) return {double=1.5}", b"1.5"),
        ("redis.setresp(3) return {verbatim_string={format='txt', string='hi'}}", b"hi"),
        ("return redis.status_reply('MY STATUS')", b"MY STATUS"),
    ],
)
def test_lua_to_redis(r2, script, expected):
    r = r2  # RESP2 raw reply shapes (protocol=2)
    assert r.eval(script, 0) == expected


def test_lua_error_tables(r):
    assert error_of(r, "return {err='ERR this is an error'}") == "this is an error"
    assert error_of(r, "return {err='boom'}") == "boom"
    assert error_of(r, "return {err='boom\\nx'}") == "boom x"
    assert error_of(r, "return redis.error_reply('MY_ERR custom msg')") == "MY_ERR custom msg"
    assert error_of(r, "return redis.error_reply('-X y')") == "X y"
    assert error_of(r, "return redis.error_reply(1)") == "wrong number or type of arguments"
    reply = r.eval("return {1, {err='inner'}}", 0)
    assert reply[0] == 1 and isinstance(reply[1], r.exc.ResponseError)
    assert str(reply[1]) == "inner"


def test_redis_to_lua(r):
    r.set("x", 0)
    assert r.eval("local v = redis.pcall('incr', KEYS[1]) return {type(v), v}", 1, "x") == [b"number", 1]
    r.set("s", "v")
    assert r.eval("local v = redis.call('get', KEYS[1]) return {type(v), v}", 1, "s") == [b"string", b"v"]
    r.rpush("l", "a", "b", "c")
    assert r.eval("local v = redis.call('lrange', KEYS[1], 0, -1) return {type(v), v[1], v[3], #v}", 1, "l") == [
        b"table",
        b"a",
        b"c",
        3,
    ]
    assert r.eval("local v = redis.call('set', 'k', 'v') return {type(v), v['ok']}", 0) == [b"table", b"OK"]
    assert r.eval("local v = redis.call('get', 'nokey') return {type(v), v == false}", 0) == [b"boolean", 1]
    assert r.eval("local v = redis.call('blmpop', 0.01, 1, 'nokey', 'left') return type(v)", 0) != b""
    r.set("str", "x")
    assert r.eval("local v = redis.pcall('incr', KEYS[1]) return {type(v), v['err']}", 1, "str") == [
        b"table",
        b"ERR value is not an integer or out of range",
    ]
    assert r.eval(
        "local t = redis.pcall('incr', 'str') local r = {} for k, v in pairs(t) do r[#r+1] = k .. '=' .. tostring(v) end"
        " table.sort(r) return r",
        0,
    ) == [b"err=ERR value is not an integer or out of range", b"ignore_error_stats_update=true"]


def test_numbers_passed_to_redis_call(r):
    assert r.eval("redis.call('set', 'k', 0.1) return redis.call('get', 'k')", 0) == b"0.10000000000000001"
    assert r.eval("redis.call('set', 'k', 9007199254740991) return redis.call('get', 'k')", 0) == b"9007199254740991"
    assert r.eval("redis.call('set', 'k', 1.5) return redis.call('get', 'k')", 0) == b"1.5"
    assert r.eval("redis.call('set', 'k', '12039611435714932082') return redis.call('get', 'k')", 0) == (
        b"12039611435714932082"
    )


def test_resp3_conversions(r2):
    r = r2  # RESP2 raw reply shapes (protocol=2)
    r.hset("h", "f", "v")
    assert r.eval("redis.setresp(3) local t = redis.call('hgetall', 'h') return {type(t.map), t.map.f}", 0) == [
        b"table",
        b"v",
    ]
    assert r.eval("redis.setresp(2) return redis.call('hgetall', 'h')", 0) == [b"f", b"v"]
    assert r.eval("redis.setresp(3) return redis.call('hgetall', 'h')", 0) == [b"f", b"v"]
    r.zadd("z", {"m": 1.5})
    assert r.eval("redis.setresp(3) local t = redis.call('zscore', 'z', 'm') return tostring(t.double)", 0) == b"1.5"
    assert r.eval("return redis.call('zscore', 'z', 'm')", 0) == b"1.5"
    assert r.eval("redis.setresp(3) return type(redis.call('get', 'nokey'))", 0) == b"nil"
    r.sadd("s", "a")
    assert r.eval("redis.setresp(3) local t = redis.call('smembers', 's') return tostring(t.set.a)", 0) == b"true"
    assert error_of(r, "return redis.setresp(4)") == "RESP version must be 2 or 3." + where("return redis.setresp(4)")
    assert error_of(r, "return redis.setresp()") == "redis.setresp() requires one argument." + where(
        "return redis.setresp()"
    )


# ---- errors -----------------------------------------------------------------


def test_redis_call_errors_carry_script_context(r):
    s = "return redis.call('nosuchcommand')"
    assert error_of(r, s) == "Unknown Redis command called from script" + where(s)
    s = "return redis.call('get', 'a', 'b')"
    assert error_of(r, s) == "Wrong number of args calling Redis command from script" + where(s)
    r.set("foo", "bar")
    s = "redis.call('lpush', KEYS[1], 'val')"
    assert error_of(r, s, "foo", numkeys=1) == (
        "WRONGTYPE Operation against a key holding the wrong kind of value" + where(s)
    )
    s = "return redis.call()"
    assert error_of(r, s) == "Please specify at least one argument for this redis lib call" + where(s)
    s = "return redis.call('get', {})"
    assert error_of(r, s) == "Lua redis lib command arguments must be strings or integers" + where(s)
    s = "return redis.call('select', 99)"
    assert error_of(r, s) == "DB index is out of range" + where(s)
    s = "\n\nreturn redis.call('nosuch')"
    assert error_of(r, s) == "Unknown Redis command called from script" + where(s, 3)


def test_commands_refused_in_scripts(r):
    for cmd in ("'blpop', 'x', 0", "'multi'", "'eval', 'return 1', 0", "'script', 'load', 'x'", "'subscribe', 'c'",
                "'config', 'get', 'maxmemory'", "'client', 'id'"):
        assert error_of(r, f"return redis.pcall({cmd})") == "This Redis command is not allowed from script"
    assert error_of(r, "return redis.pcall('config', 'nosuch')") == "Unknown Redis command called from script"
    assert error_of(r, "return redis.pcall('config')") == "Wrong number of args calling Redis command from script"


def test_stream_reads_refuse_block_in_scripts(r):
    r.xadd("s", {"f": "v"}, id="1-0")
    r.xgroup_create("s", "g", id="0")
    for cmd in ("'xread', 'BLOCK', '0', 'STREAMS', 's', '0'", "'XREAD', 'count', '1', 'block', 'x', 'streams', 's', '0'",
                "'XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '10', 'STREAMS', 's', '>'"):
        name = cmd.split(",")[0].strip("'")
        assert error_of(r, f"return redis.pcall({cmd})") == f"{name} command is not allowed with BLOCK option from scripts"
    # Without BLOCK they read as usual.
    assert r.eval("return #redis.call('xread', 'STREAMS', 's', '0')", 0) == 1


def test_pcall_returns_error_tables(r):
    assert error_of(r, "return redis.pcall('nosuch')") == "Unknown Redis command called from script"
    assert r.eval("local ok, e = pcall(redis.call, 'nosuch') return {tostring(ok), e}", 0) == [
        b"false",
        b"ERR Unknown Redis command called from script",
    ]
    assert r.eval("return {pcall(error, {err='x'})}", 0) == [None, b"x"]
    assert r.eval("local s, v = pcall(function() return 1 end) return 'status: ' .. tostring(s) .. ' ' .. v", 0) == (
        b"status: true 1"
    )
    assert r.eval("return {pcall(function() return 1, 2 end)}", 0) == [1, 1, 2]
    got = r.eval("local s, v = pcall(function() return foo end) return tostring(s) .. ' ' .. v", 0)
    assert got == b"false user_script:1: Script attempted to access nonexistent global variable 'foo'"


def test_runtime_errors(r):
    s = "error('boom')"
    assert error_of(r, s) == "user_script:1: boom" + where(s)
    s = "error({err='MY boom'})"
    assert error_of(r, s) == "MY boom" + where(s)
    s = "error()"
    assert error_of(r, s) == "nil" + where(s)
    s = "error(12)"
    assert error_of(r, s) == "user_script:1: 12" + where(s)
    s = "error({err=5})"
    assert error_of(r, s) == "5" + where(s)
    s = "local x = nil; return x + 1"
    assert error_of(r, s) == "user_script:1: attempt to perform arithmetic on local 'x' (a nil value)" + where(s)
    s = "local t = {}\nlocal function f() error('deep') end\nf()"
    assert error_of(r, s) == "user_script:2: deep" + where(s, 2)
    s = "return redis.sha1hex()"
    assert error_of(r, s) == "wrong number of arguments" + where(s)
    assert error_of(r, "return 'x") == (
        "Error compiling script (new function): user_script:1: unfinished string near '<eof>'"
    )


def test_shebang(r):
    assert r.eval("#!lua\nreturn 1", 0) == 1
    assert r.eval("#!lua flags=no-writes\nreturn redis.call('get', 'k')", 0) is None
    assert error_of(r, "#!not-lua\nreturn 1") == "Unexpected engine in script shebang: #!not-lua"
    assert error_of(r, "#!lua badger=data\nreturn 1") == "Unknown lua shebang option: badger=data"
    assert error_of(r, "#!lua flags=allow-oom,what?\nreturn 1") == "Unexpected flag in script shebang: what?"
    assert error_of(r, "#!lua") == "Invalid script shebang"
    s = "#!lua flags=no-writes\nredis.call('set', 'x', 1)"
    assert error_of(r, s) == "Write commands are not allowed from read-only scripts." + where(s, 2)
    with pytest.raises(r.exc.ResponseError) as e:
        r.eval_ro("#!lua\nreturn 1", 0)
    assert str(e.value) == "Can not execute a script with write flag using *_ro command."
    assert r.eval_ro("#!lua flags=no-writes\nreturn 2", 0) == 2


# ---- redis.* helpers ----------------------------------------------------------


def test_redis_helpers(r):
    assert r.eval("return redis.sha1hex('')", 0) == b"da39a3ee5e6b4b0d3255bfef95601890afd80709"
    assert r.eval("return redis.sha1hex('Pizza & Mandolino')", 0) == b"74822d82031af7493c20eefa13bd07ec4fada82f"
    assert r.eval("return redis.REDIS_VERSION", 0) == b"7.0.15"
    assert r.eval("return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}", 0) == [
        0,
        1,
        2,
        3,
    ]
    assert r.eval("return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_REPLICA, redis.REPL_SLAVE, redis.REPL_ALL}", 0) == [
        0,
        1,
        2,
        2,
        3,
    ]
    assert r.eval("return redis.log(redis.LOG_DEBUG, 'quiet')", 0) is None
    assert r.eval("redis.set_repl(redis.REPL_ALL) return redis.replicate_commands()", 0) == 1
    assert r.eval("return redis.breakpoint()", 0) is None
    assert r.eval("return redis.debug('x')", 0) is None
    assert r.eval("return redis.acl_check_cmd('get', 'x')", 0) == 1
    s = "return redis.log(5, 'x')"
    assert error_of(r, s) == "Invalid debug level." + where(s)
    s = "return redis.log(1)"
    assert error_of(r, s) == "redis.log() requires two arguments or more." + where(s)
    s = "redis.set_repl(12345)"
    assert error_of(r, s) == (
        "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE." + where(s)
    )


def test_math_random_is_seedable(r):
    script = "math.randomseed(ARGV[1]); return {tostring(math.random()), math.random(100), math.random(5, 10)}"
    assert r.eval(script, 0, 1) == [b"0.041630344484761", 46, 10]
    assert r.eval(script, 0, 10) == r.eval(script, 0, 10)
    assert r.eval(script, 0, 10) != r.eval(script, 0, 20)
    assert "interval is empty" in error_of(r, "return math.random(0)")


def test_libraries_available(r):
    assert r.eval("return table.concat(cjson.decode('[0.0, -5e3, -1, 0.3e-3, 1023.2, 0e10]'), ' ')", 0) == (
        b"0 -5000 -1 0.0003 1023.2 0"
    )
    assert r.eval("return string.format('%d %s %5.2f', 3, 'x', 1.5)", 0) == b"3 x  1.50"
    assert r.eval("return tostring(1/3)", 0) == b"0.33333333333333"
    assert r.eval("return {tonumber('0x10'), tonumber('  12  '), tonumber('z', 36)}", 0) == [16, 12, 35]
    assert r.eval("local t = {3, 1, 2} table.sort(t) return t", 0) == [1, 2, 3]
    assert r.eval("return coroutine.wrap(function() coroutine.yield(5) end)()", 0) == 5
    assert r.eval("return select('#', 1, 2, 3)", 0) == 3
    assert r.eval("return loadstring('return 5')()", 0) == 5
    assert r.eval("return _VERSION", 0) == b"Lua 5.1"
    names = r.eval("local t = {} for k in pairs(_G) do t[#t+1] = k end table.sort(t) return t", 0)
    assert names == [
        n.encode()
        for n in "_G _VERSION __redis__err__handler assert bit cjson cmsgpack collectgarbage coroutine error "
        "gcinfo getmetatable ipairs load loadstring math next pairs pcall rawequal rawget rawset redis select "
        "setmetatable string struct table tonumber tostring type unpack xpcall".split()
        + ["ARGV", "KEYS"]
    ] or names == sorted(
        n.encode()
        for n in "ARGV KEYS _G _VERSION __redis__err__handler assert bit cjson cmsgpack collectgarbage coroutine "
        "error gcinfo getmetatable ipairs load loadstring math next pairs pcall rawequal rawget rawset redis "
        "select setmetatable string struct table tonumber tostring type unpack xpcall".split()
    )


# ---- sandbox --------------------------------------------------------------------


@pytest.mark.parametrize(
    "script,message",
    [
        ("a = 10", "user_script:1: Attempt to modify a readonly table"),
        ("_G = {}", "user_script:1: Attempt to modify a readonly table"),
        ("redis = function() return 1 end", "user_script:1: Attempt to modify a readonly table"),
        ("redis.call = function() return 1 end", "user_script:1: Attempt to modify a readonly table"),
        ("cjson.encode = function() return 1 end", "user_script:1: Attempt to modify a readonly table"),
        ("cmsgpack.pack = function() return 1 end", "user_script:1: Attempt to modify a readonly table"),
        ("bit.lshift = function() return 1 end", "user_script:1: Attempt to modify a readonly table"),
        ("string.x = 1", "user_script:1: Attempt to modify a readonly table"),
        ("math.random = nil", "user_script:1: Attempt to modify a readonly table"),
        ("local g = getmetatable(_G); g.__index = {}", "user_script:1: Attempt to modify a readonly table"),
        ("getmetatable('').__index = {}", "user_script:1: Attempt to modify a readonly table"),
        ("setmetatable(_G, {})", "Attempt to modify a readonly table"),
        ("rawset(_G, 'a', 1)", "Attempt to modify a readonly table"),
        ("rawset(string, 'len', 1)", "Attempt to modify a readonly table"),
        ("table.insert(string, 1)", "Attempt to modify a readonly table"),
        ("local f = loadstring('y = 1') f()", None),
        ("return a", "user_script:1: Script attempted to access nonexistent global variable 'a'"),
        ("os.execute('true')", "user_script:1: Script attempted to access nonexistent global variable 'os'"),
        ("return os.clock()", "user_script:1: Script attempted to access nonexistent global variable 'os'"),
        ("io.open('/etc/passwd')", "user_script:1: Script attempted to access nonexistent global variable 'io'"),
        ("loadfile('some file')", "user_script:1: Script attempted to access nonexistent global variable 'loadfile'"),
        ("dofile('some file')", "user_script:1: Script attempted to access nonexistent global variable 'dofile'"),
        ("print('x')", "user_script:1: Script attempted to access nonexistent global variable 'print'"),
        ("require('os')", "user_script:1: Script attempted to access nonexistent global variable 'require'"),
        ("return package", "user_script:1: Script attempted to access nonexistent global variable 'package'"),
        ("return debug.getregistry()", "user_script:1: Script attempted to access nonexistent global variable 'debug'"),
        ("setfenv(1, {})", "user_script:1: Script attempted to access nonexistent global variable 'setfenv'"),
        ("return getfenv(1)", "user_script:1: Script attempted to access nonexistent global variable 'getfenv'"),
        ("return newproxy()", "user_script:1: Script attempted to access nonexistent global variable 'newproxy'"),
        ("return loadstring(string.dump(function() return 1 end))()", "user_script:1: attempt to call a nil value"),
    ],
)
def test_sandbox_escapes_are_refused(r, script, message):
    text = error_of(r, script)
    if message is None:
        assert "Attempt to modify a readonly table" in text
    else:
        assert text == message + where(script)


def test_sandbox_reads_still_work(r):
    assert r.eval("return rawget(_G, 'redis') ~= nil", 0) == 1
    assert r.eval("return next(string) ~= nil", 0) == 1
    assert r.eval("local n = 0 for k in pairs(math) do n = n + 1 end return n > 20", 0) == 1
    assert r.eval("return type(getmetatable(string))", 0) == b"nil"
    assert r.eval("return type(getmetatable(_G))", 0) == b"table"
    assert r.eval("return getmetatable('').__index == string", 0) == 1
    assert r.eval("return _G._G == _G", 0) == 1
    assert r.eval("return ('abc'):upper()", 0) == b"ABC"
    e = r.eval("local f, e = loadstring(string.dump(function() end)) return e", 0)
    assert e == b"[string \"\x1bLuaQ\"]:1: unexpected symbol near 'char(27)'"
    # User tables stay writable; changes to the sandbox do not leak.
    assert r.eval("local t = {} rawset(t, 'a', 1) setmetatable(t, {}) table.insert(t, 2) return {t.a, t[1]}", 0) == [
        1,
        2,
    ]


def test_globals_do_not_leak_between_scripts(r):
    error_of(r, "x = 1")
    assert error_of(r, "return x") == "user_script:1: Script attempted to access nonexistent global variable 'x'" + where(
        "return x"
    )


# ---- cjson / cmsgpack / bit / struct -------------------------------------------


@pytest.mark.parametrize(
    "script,expected",
    [
        ("return cjson.encode({1, 2, 3, {a=1}})", b'[1,2,3,{"a":1}]'),
        ("return cjson.encode({})", b"{}"),
        ("return cjson.encode({[1]=1, [3]=3})", b"[1,null,3]"),
        ("return cjson.encode({1.5, 0.1, 1e20, 123456789012345678, 1/3})", b"[1.5,0.1,1e+20,1.2345678901235e+17,0.33333333333333]"),
        ("return cjson.encode('a/b\"c\\\\\\n\\1')", b'"a\\/b\\"c\\\\\\n\\u0001"'),
        ("return cjson.encode(cjson.null)", b"null"),
        ("return cjson.encode({a={}, b={1}})", b'{"a":{},"b":[1]}'),
        ("return cjson.encode({[0]=1})", b'{"0":1}'),
        ("return cjson.decode('[1,2,null,\"x\"]')[3] == cjson.null", 1),
        ("return cjson.decode('{\"a\":[1,2,{\"b\":true}]}').a[3].b", 1),
        ("return cjson.decode('\"\\\\u00e9\"')", "é".encode()),
        ("return cjson.decode('0x10')", 16),
        ("return {cjson.encode_max_depth(), cjson.decode_max_depth(), cjson.encode_number_precision()}", [1000, 1000, 14]),
        ("return {cjson.encode_sparse_array()}", [None, 2, 10]),
        ("return cjson._NAME .. ' ' .. cjson._VERSION", b"cjson 2.1.0"),
    ],
)
def test_cjson(r, script, expected):
    assert r.eval(script, 0) == expected


@pytest.mark.parametrize(
    "script,message",
    [
        ("return cjson.encode({[1]=1, [20]=3})", "user_script:1: Cannot serialise table: excessively sparse array"),
        ("return cjson.encode(function() end)", "user_script:1: Cannot serialise function: type not supported"),
        ("return cjson.encode({[true]=1})", "user_script:1: Cannot serialise boolean: table key must be a number or string"),
        ("return cjson.encode(0/0)", "user_script:1: Cannot serialise number: must not be NaN or Inf"),
        ("return cjson.encode()", "user_script:1: bad argument #1 to 'encode' (expected 1 argument)"),
        ("local a = {} a[1] = a return cjson.encode(a)", "user_script:1: Cannot serialise, excessive nesting (1001)"),
        ("return cjson.decode('[1,2')", "user_script:1: Expected comma or array end but found T_END at character 5"),
        ("return cjson.decode('{\"a\" 1}')", "user_script:1: Expected colon but found T_NUMBER at character 6"),
        ("return cjson.decode('')", "user_script:1: Expected value but found T_END at character 1"),
        ("return cjson.decode('[1] x')", "user_script:1: Expected the end but found invalid token at character 5"),
        ("return cjson.decode('\"abc')", "user_script:1: Expected value but found unexpected end of string at character 5"),
        ("return cjson.decode('-')", "user_script:1: Expected value but found invalid number at character 1"),
        (
            "return cjson.decode(string.rep('[', 1001) .. string.rep(']', 1001))",
            "user_script:1: Found too many nested data structures (1001) at character 1001",
        ),
        ("return cjson.decode({})", "user_script:1: bad argument #1 to 'decode' (string expected, got table)"),
        ("return cjson.encode_number_precision(15)", "user_script:1: bad argument #1 to 'encode_number_precision' (expected integer between 1 and 14)"),
    ],
)
def test_cjson_errors(r, script, message):
    assert error_of(r, script) == message + where(script)


def test_cjson_settings_round_trip(r):
    script = """
        cjson.encode_max_depth(1)
        local ok = pcall(cjson.encode, {{1}})
        cjson.encode_max_depth(1000)
        cjson.encode_invalid_numbers(true)
        local nan = cjson.encode(0/0)
        cjson.encode_invalid_numbers(false)
        return {tostring(ok), nan}
    """
    assert r.eval(script, 0) == [b"false", b"nan"]


HEX = 'local function hex(s) local h = "" for i = 1, #s do h = h .. string.format("%02x", string.byte(s, i)) end return h end '


@pytest.mark.parametrize(
    "expr,expected",
    [
        ("cmsgpack.pack(0.1)", b"cb3fb999999999999a"),
        ("cmsgpack.pack(-1099511627776)", b"d3ffffff0000000000"),
        ("cmsgpack.pack(1, 127, 128, 65536, -1, -33, 0.5)", b"017fcc80ce00010000ffd0dfca3f000000"),
        ("cmsgpack.pack({})", b"90"),
        ("cmsgpack.pack({1, 2})", b"920102"),
        ("cmsgpack.pack({a=1})", b"81a16101"),
        ("cmsgpack.pack({[1]=1, [3]=3})", b"8201010303"),
        ("cmsgpack.pack(true, false, nil, '')", b"c3c2c0a0"),
        ("cmsgpack.pack(string.rep('x', 32)):sub(1, 3)", b"d92078"),
    ],
)
def test_cmsgpack_pack(r, expr, expected):
    assert r.eval(HEX + f"return hex({expr})", 0) == expected


def test_cmsgpack_unpack(r):
    assert r.eval("return {cmsgpack.unpack(cmsgpack.pack(1, 'a', {1, 2}))}", 0) == [1, b"a", [1, 2]]
    assert r.eval("return {cmsgpack.unpack_one(cmsgpack.pack(1, 2), 0)}", 0) == [1, 1]
    assert r.eval("return {cmsgpack.unpack_one(cmsgpack.pack(1, 2), 1)}", 0) == [-1, 2]
    assert r.eval("return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)}", 0) == [2, 1, 2]
    assert r.eval("return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 0)}", 0) == [1, 2, 3]
    assert r.eval("local t = cmsgpack.unpack(cmsgpack.pack({x={y='z'}})) return t.x.y", 0) == b"z"
    s = "return cmsgpack.unpack('\\196')"
    assert error_of(r, s) == "user_script:1: Bad data format in input." + where(s)
    s = "return cmsgpack.unpack('\\146\\1')"
    assert error_of(r, s) == "user_script:1: Missing bytes in input." + where(s)
    s = "return cmsgpack.pack()"
    assert error_of(r, s) == "user_script:1: bad argument #0 to 'pack' (MessagePack pack needs input.)" + where(s)


def test_bit(r):
    assert r.eval(
        "return {bit.tobit(0xffffffff), bit.band(0xff, 0x0f, 0x3), bit.bor(1, 2, 4, 8, 16, 32, 64, 128), bit.bxor(5, 3),"
        " bit.bnot(0), bit.lshift(1, 31), bit.rshift(-1, 28), bit.arshift(-16, 2), bit.rol(0x12345678, 8),"
        " bit.ror(0x12345678, 8), bit.bswap(0x12345678), bit.tobit(1.5), bit.tobit(2.5)}",
        0,
    ) == [-1, 3, 255, 6, -1, -2147483648, 15, -4, 878082066, 2014458966, 2018915346, 2, 2]
    assert r.eval("return {bit.tohex(255), bit.tohex(-1), bit.tohex(255, -4), bit.tohex(0x12345678, 3)}", 0) == [
        b"000000ff",
        b"ffffffff",
        b"00FF",
        b"678",
    ]
    s = "return bit.band('x')"
    assert error_of(r, s) == "user_script:1: bad argument #1 to 'band' (number expected, got string)" + where(s)


def test_struct(r):
    assert r.eval("return {struct.pack('>i4', 1), struct.pack('<H', 258), struct.pack('s', 'ab')}", 0) == [
        b"\x00\x00\x00\x01",
        b"\x02\x01",
        b"ab\x00",
    ]
    assert r.eval("return {struct.unpack('>i4', ARGV[1])}", 0, b"\x00\x00\x00\x01") == [1, 5]
    assert r.eval("return {struct.unpack('BBs', ARGV[1])}", 0, b"\x01\x02ab\x00xyz") == [1, 2, b"ab", 6]
    assert r.eval("return {struct.size('i4i8'), struct.size('!4bi4'), struct.size('<bxi4')}", 0) == [12, 8, 6]
    assert r.eval("return {struct.unpack('<l', struct.pack('<l', -2))}", 0) == [-2, 9]
    s = "return struct.pack('q', 1)"
    assert error_of(r, s) == "user_script:1: bad argument #1 to 'pack' (invalid format option 'q')" + where(s)
    s = "return struct.unpack('>i4', 'ab')"
    assert error_of(r, s) == "user_script:1: bad argument #2 to 'unpack' (data string too short)" + where(s)


# ---- EVALSHA / SCRIPT --------------------------------------------------------------


def test_evalsha_and_script_load(r):
    r.script_flush()
    body = "return 'loaded'"
    assert r.script_load(body) == "b534286061d4b9e4026607613b95c06c06015ae8"
    assert r.evalsha("b534286061d4b9e4026607613b95c06c06015ae8", 0) == b"loaded"
    assert r.evalsha("B534286061D4B9E4026607613B95C06C06015AE8", 0) == b"loaded"
    r.eval("return 1+1", 0)
    assert r.script_exists(sha("return 1+1"), "a27e7e8a43702b7046d4f6a7ccf5b60cef6b9bda") == [True, False]
    with pytest.raises(r.exc.NoScriptError) as e:
        r.evalsha("ffd632c7d33e571e9f24556ebed26c3479a87130", 0)
    assert str(e.value) == "No matching script. Please use EVAL."
    with pytest.raises(r.exc.NoScriptError):
        r.evalsha("NotValidShaSUM", 0)
    assert r.script_flush() is True
    assert r.script_exists(sha("return 1+1")) == [False]
    with pytest.raises(r.exc.NoScriptError):
        r.evalsha("b534286061d4b9e4026607613b95c06c06015ae8", 0)
    assert r.script_flush("ASYNC") is True
    assert r.script_flush("SYNC") is True
    with pytest.raises(r.exc.DataError):
        r.script_flush("LATER")
    with pytest.raises(r.exc.ResponseError) as e:
        r.execute_command("SCRIPT", "FLUSH", "LATER")
    assert str(e.value) == "SCRIPT FLUSH only support SYNC|ASYNC option"
    with pytest.raises(r.exc.ResponseError) as e:
        r.script_load("return 'x")
    assert str(e.value) == "Error compiling script (new function): user_script:1: unfinished string near '<eof>'"


def test_script_flush_resets_the_interpreter(r):
    r.execute_command("EVAL", "cjson.encode_number_precision(3) return 1", 0)
    assert r.eval("return cjson.encode(1/3)", 0) == b"0.333"
    r.script_flush()
    assert r.eval("return cjson.encode(1/3)", 0) == b"0.33333333333333"


def test_script_help_and_errors(r):
    help_lines = r.execute_command("SCRIPT", "HELP")
    assert help_lines[0] == b"SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert help_lines[-1] == b"    Prints this help."
    with pytest.raises(r.exc.ResponseError) as e:
        r.execute_command("SCRIPT", "NOSUCH")
    assert str(e.value) == "unknown subcommand 'NOSUCH'. Try SCRIPT HELP."
    with pytest.raises(r.exc.ResponseError) as e:
        r.script_kill()
    assert str(e.value) == "NOTBUSY No scripts in execution right now."


def test_command_getkeys(r):
    assert r.execute_command("COMMAND GETKEYS", "EVAL", "return 1", 2, "a", "b", "c") in (["a", "b"], [b"a", b"b"])
    assert r.execute_command("COMMAND GETKEYS", "EVALSHA_RO", "x" * 40, 1, "k") in (["k"], [b"k"])


# ---- read-only -------------------------------------------------------------------


def test_eval_ro(r):
    r.set("foo", "bar")
    assert r.eval_ro("return redis.call('get', KEYS[1])", 1, "foo") == b"bar"
    s = "redis.call('del', KEYS[1])"
    with pytest.raises(r.exc.ResponseError) as e:
        r.eval_ro(s, 1, "foo")
    assert str(e.value) == "Write commands are not allowed from read-only scripts." + where(s)
    assert r.eval_ro("local t = redis.pcall('set', 'x', 'y') return t['err']", 1, "x") == (
        b"ERR Write commands are not allowed from read-only scripts."
    )
    sha1 = r.script_load("return redis.call('get', KEYS[1])")
    assert r.evalsha_ro(sha1, 1, "foo") == b"bar"
    assert r.get("foo") == b"bar"


# ---- guides' scripts -------------------------------------------------------------

RATE_LIMIT = """
local current = redis.call('incr', KEYS[1])
if current == 1 then
    redis.call('expire', KEYS[1], ARGV[1])
end
if current > tonumber(ARGV[2]) then
    return 0
end
return 1
"""

RELEASE_LOCK = """
if redis.call("get", KEYS[1]) == ARGV[1] then
    return redis.call("del", KEYS[1])
else
    return 0
end
"""


def test_rate_limiter(r):
    allowed = [r.eval(RATE_LIMIT, 1, "rate:user1", 60, 3) for _ in range(5)]
    assert allowed == [1, 1, 1, 0, 0]
    assert 0 < r.ttl("rate:user1") <= 60
    assert r.get("rate:user1") == b"5"


def test_lock_release(r):
    r.set("lock", "token-1")
    assert r.eval(RELEASE_LOCK, 1, "lock", "other") == 0
    assert r.get("lock") == b"token-1"
    assert r.eval(RELEASE_LOCK, 1, "lock", "token-1") == 1
    assert r.exists("lock") == 0
    assert r.eval(RELEASE_LOCK, 1, "lock", "token-1") == 0


def test_decr_if_gt(r):
    script = """
        local current = redis.call('get', KEYS[1])
        if not current then return nil end
        if current > ARGV[1] then
            return redis.call('decr', KEYS[1])
        else
            return redis.call('get', KEYS[1])
        end
    """
    r.set("foo", 5)
    assert [r.eval(script, 1, "foo", 2) for _ in range(5)] == [4, 3, 2, b"2", b"2"]


def test_script_sees_a_frozen_clock(r):
    r.set("k", "v", px=1)
    time.sleep(0.01)
    assert r.eval("return redis.call('exists', KEYS[1])", 1, "k") == 0
    script = "redis.call('set', KEYS[1], 'v', 'PX', 1) local i = 0 while i < 3000000 do i = i + 1 end return redis.call('exists', KEYS[1])"
    assert r.eval(script, 1, "k2") == 1


def test_select_inside_script_does_not_affect_caller(r):
    r.set("mykey", "db0")
    assert r.eval("redis.call('select', 9) redis.call('set', 'mykey', 'db9') return redis.call('get', 'mykey')", 0) == b"db9"
    assert r.get("mykey") == b"db0"
    r.execute_command("SELECT", 9)
    assert r.get("mykey") == b"db9"
    r.execute_command("FLUSHDB")
    r.execute_command("SELECT", 0)


def test_many_arguments(r):
    assert r.eval("local t = {} for i = 1, 100 do t[i] = i end redis.call('rpush', 'l', unpack(t)) return redis.call('llen', 'l')", 0) == 100
    assert r.eval("local a = {} for i = 1, 7999 do a[i] = 1 end return redis.call('lpush', 'l2', unpack(a))", 0) == 7999


def test_script_in_transaction(r):
    pipe = r.pipeline(transaction=True)
    pipe.set("a", 1).eval("return redis.call('incr', KEYS[1])", 1, "a").get("a")
    assert pipe.execute() == [True, 2, b"2"]


# ---- atomicity -----------------------------------------------------------------


def test_scripts_are_atomic(make):
    clients = [make() for _ in range(8)]
    clients[0].set("counter", 0)
    script = "local v = tonumber(redis.call('get', KEYS[1])) redis.call('set', KEYS[1], v + 1) return v + 1"

    def work(c):
        for _ in range(50):
            c.eval(script, 1, "counter")

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert clients[0].get("counter") == b"400"


# ---- BUSY and SCRIPT KILL ---------------------------------------------------------


@pytest.fixture
def short_limit(make):
    admin = make()
    admin.config_set("lua-time-limit", 100)
    yield admin
    admin.config_set("lua-time-limit", 5000)


def run_in_thread(make, script):
    result = {}

    def target():
        c = make()
        try:
            result["reply"] = c.eval(script, 0)
        except Exception as e:  # noqa: BLE001 - recorded for the assertion
            result["error"] = e

    t = threading.Thread(target=target)
    t.start()
    return t, result


def wait_busy(r, deadline=15.0):
    end = time.time() + deadline
    while time.time() < end:
        try:
            r.ping()
        except r.exc.ResponseError as e:
            assert str(e) == BUSY
            return
        time.sleep(0.01)
    raise AssertionError("script never became busy")


def test_script_kill_stops_an_infinite_loop(make, short_limit):
    r = short_limit
    t, result = run_in_thread(make, "while true do end")
    wait_busy(r)
    with pytest.raises(r.exc.ResponseError) as e:
        r.get("x")
    assert str(e.value) == BUSY
    assert r.script_kill() is True
    t.join(30)
    assert not t.is_alive()
    assert str(result["error"]) == "Script killed by user with SCRIPT KILL..." + where("while true do end")
    assert r.ping() is True
    with pytest.raises(r.exc.ResponseError) as e:
        r.script_kill()
    assert str(e.value) == "NOTBUSY No scripts in execution right now."


def test_commands_redis_serves_while_busy(make, short_limit):
    """HELLO, AUTH, MULTI/DISCARD and WATCH/UNWATCH are served while a
    script is busy (a client can still connect, as redis-py 8 does with
    HELLO 3, and stop it); other commands get BUSY."""
    r = short_limit
    t, result = run_in_thread(make, "while true do end")
    try:
        wait_busy(r)
        c = make()
        hello = c.execute_command("HELLO", "2")
        assert dict(zip(hello[::2], hello[1::2]))[b"proto"] == 2
        with pytest.raises(c.exc.AuthenticationError) as e:
            c.execute_command("AUTH", "nosuchuser", "wrong")
        assert str(e.value) == "invalid username-password pair or user is disabled."
        if c.backend != "embedded":  # a plain embedded client keeps no MULTI between calls
            assert c.execute_command("MULTI") in (True, b"OK")
            assert c.execute_command("DISCARD") in (True, b"OK")
        assert c.execute_command("WATCH", "k") in (True, b"OK")
        assert c.execute_command("UNWATCH") in (True, b"OK")
        with pytest.raises(c.exc.ResponseError) as e:
            c.get("k")
        assert str(e.value) == BUSY
        assert c.script_kill() is True
    finally:
        with contextlib.suppress(Exception):
            r.script_kill()
        t.join(30)
    assert not t.is_alive()
    assert "killed by user" in str(result["error"])
    assert c.ping() is True


def test_busy_comes_after_the_lookup_arity_auth_and_acl_checks(make, short_limit):
    """While a script is busy, a command is still checked in Redis's order
    before it gets BUSY: its name, its arity, AUTH, the ACL. A client that
    has not authenticated cannot SCRIPT KILL. A pipeline's commands are
    answered one by one (SCRIPT KILL in it works). Inside MULTI, a command
    refused with BUSY aborts the transaction, and EXEC discards it."""
    admin = short_limit
    pw = "redcore-busy-pw"
    admin.config_set("requirepass", pw)
    t = None
    try:
        admin.acl_setuser("reader", enabled=True, passwords=[f"+{pw}"], commands=["+get"], keys=["*"])
        # (No socket timeout for the script's client: redis-py 8 would retry
        # its EVAL after 5 s. No retries for the stranger: redis-py retries
        # an AuthenticationError, a ConnectionError, with backoff.)
        t, result = run_in_thread(lambda: make(password=pw, socket_timeout=None), "while true do end")
        wait_busy(admin)
        stranger = make(protocol=2, retry=None)
        for command in (("SCRIPT", "KILL"), ("GET", "k"), ("FUNCTION", "STATS")):
            with pytest.raises(stranger.exc.AuthenticationError) as e:
                stranger.execute_command(*command)
            assert str(e.value) == "Authentication required."
        reader = make(protocol=2, username="reader", password=pw)
        with pytest.raises(reader.exc.NoPermissionError) as e:
            reader.script_kill()
        assert "has no permissions to run the 'script|kill' command" in str(e.value)
        with pytest.raises(reader.exc.ResponseError) as e:
            reader.get("k")
        assert str(e.value) == BUSY
        with pytest.raises(admin.exc.ResponseError) as e:
            admin.execute_command("NOSUCHCOMMAND", "x")
        assert str(e.value).startswith("unknown command 'NOSUCHCOMMAND'")
        with pytest.raises(admin.exc.ResponseError) as e:
            admin.execute_command("GET")
        assert str(e.value) == "wrong number of arguments for 'get' command"
        assert t.is_alive(), result
        if admin.backend != "embedded":  # a plain embedded client keeps no MULTI between calls
            tx = make(password=pw)
            assert tx.execute_command("MULTI") in (True, b"OK")
            with pytest.raises(tx.exc.ResponseError) as e:
                tx.execute_command("INCR", "n")
            assert str(e.value) == BUSY
            with pytest.raises(tx.exc.ExecAbortError) as e:
                tx.execute_command("EXEC")
            assert str(e.value) == "Transaction discarded because of: " + BUSY
        pipe = make(password=pw).pipeline(transaction=False)
        pipe.get("k")
        pipe.script_kill()
        replies = pipe.execute(raise_on_error=False)
        assert [str(x) if isinstance(x, Exception) else x for x in replies] == [BUSY, True]
        t.join(30)
        assert not t.is_alive()
        assert "killed by user" in str(result["error"])
        if admin.backend != "embedded":  # EXEC ended the transaction
            assert tx.execute_command("INCR", "n") == 1
    finally:
        with contextlib.suppress(Exception):
            admin.script_kill()
        if t is not None:
            t.join(30)
        admin.acl_deluser("reader")
        admin.config_set("requirepass", "")


def test_script_kill_despite_pcall(make, short_limit):
    r = short_limit
    script = "local f = function() while 1 do redis.call('ping') end end while 1 do pcall(f) end"
    t, result = run_in_thread(make, script)
    wait_busy(r)
    assert r.script_kill() is True
    t.join(30)
    assert not t.is_alive()
    assert "killed by user" in str(result["error"])


def test_script_that_wrote_is_unkillable(make, short_limit):
    r = short_limit
    # Writes, then spins for 0.4 s of real time (TIME is not frozen).
    script = """
        redis.call('set', 'x', 'y')
        local t = redis.call('time')
        local start = t[1] * 1000000 + t[2]
        while true do
            t = redis.call('time')
            if t[1] * 1000000 + t[2] - start > 400000 then break end
        end
        return 'done'
    """
    t, result = run_in_thread(make, script)
    wait_busy(r)
    with pytest.raises(r.exc.ResponseError) as e:
        r.script_kill()
    assert str(e.value) == (
        "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait "
        "the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."
    )
    t.join(30)
    assert result == {"reply": b"done"}
    assert r.get("x") == b"y"


# ---- register_script -------------------------------------------------------------


def test_register_script(r):
    r.script_flush()
    incr = r.register_script("return redis.call('incrby', KEYS[1], ARGV[1])")
    assert incr.sha == sha("return redis.call('incrby', KEYS[1], ARGV[1])")
    assert r.script_exists(incr.sha) == [False]
    assert incr(keys=["n"], args=[5]) == 5
    assert r.script_exists(incr.sha) == [True]
    assert incr(keys=["n"], args=[2]) == 7
    r.script_flush()
    assert incr(["n"], [1]) == 8
    no_args = r.register_script("return 'hi'")
    assert no_args() == b"hi"


def test_register_script_with_bytes_and_decode(rd):
    script = rd.register_script(b"return ARGV[1] .. '!'")
    assert script.sha == hashlib.sha1(b"return ARGV[1] .. '!'").hexdigest()
    assert script(args=["x"]) == "x!"


def test_register_script_on_other_client(make):
    a, b = make(), make()
    script = a.register_script("return KEYS[1]")
    assert script(keys=["k"], client=b) == b"k"


def test_register_script_on_single_connection_client(make):
    # A single-connection client is no pipeline: the script runs at once
    # (redis-py's Lock passes its client like this).
    a, b = make(), make(single_connection_client=True)
    script = a.register_script("return KEYS[1]")
    assert script(keys=["k"], client=b) == b"k"


@pytest.mark.parametrize("transaction", [True, False])
def test_register_script_in_pipeline(r, transaction):
    r.script_flush()
    incr = r.register_script("return redis.call('incrby', KEYS[1], ARGV[1])")
    pipe = r.pipeline(transaction=transaction)
    incr(keys=["n"], args=[3], client=pipe)
    pipe.get("n")
    incr(keys=["n"], args=[4], client=pipe)
    assert pipe.execute() == [3, b"3", 7]
    assert r.script_exists(incr.sha) == [True]
    # A second pipeline finds the script loaded already.
    incr(keys=["n"], args=[1], client=pipe)
    assert pipe.execute() == [8]


def test_script_errors_in_pipeline(r):
    pipe = r.pipeline(transaction=False)
    pipe.eval("return redis.call('nosuch')", 0).set("a", 1)
    result = pipe.execute(raise_on_error=False)
    assert isinstance(result[0], r.exc.ResponseError) and result[1] is True
    assert str(result[0]) == "Unknown Redis command called from script" + where("return redis.call('nosuch')")


def test_pipeline_while_busy(make, short_limit):
    r = short_limit
    t, result = run_in_thread(make, "while true do end")
    wait_busy(r)
    pipe = r.pipeline(transaction=False)
    pipe.get("a").set("b", 1)
    with pytest.raises(r.exc.ResponseError) as e:
        pipe.execute()
    assert BUSY in str(e.value)
    assert r.script_kill() is True
    t.join(30)
    assert "killed by user" in str(result["error"])
    assert r.get("b") is None
