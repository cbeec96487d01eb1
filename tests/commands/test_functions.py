"""Redis 7.0 Functions: FUNCTION LOAD / LIST / DELETE / FLUSH / DUMP /
RESTORE / KILL / STATS and FCALL / FCALL_RO, on every backend (the oracle's
libraries are flushed before and after each test: the server is shared).
Dump payloads are exchanged between the embedded engine and redis-server in
both directions."""

import hashlib
import threading
import time

import pytest

BUSY_FUNCTION = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
BUSY_EVAL = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."

LIB = """#!lua name=mylib
local function get(key)
    return redis.call('get', key)
end
redis.register_function('myset', function(keys, args)
    return redis.call('set', keys[1], args[1])
end)
redis.register_function('myget', function(keys, args) return get(keys[1]) end)
redis.register_function{
    function_name='ro_get',
    callback=function(keys, args) return get(keys[1]) end,
    flags={'no-writes'},
    description='reads a key',
}
redis.register_function{
    function_name='ro_set',
    callback=function(keys, args) return redis.call('set', keys[1], 'x') end,
    flags={'no-writes', 'allow-oom'},
}
redis.register_function('echo', function(keys, args) return {keys, args} end)
"""


@pytest.fixture
def fr(make):
    """A client whose server has no libraries, before and after the test."""
    c = make()
    c.function_flush()
    yield c
    c.config_set("lua-time-limit", 5000)
    c.function_flush()


def lib(name, *functions):
    body = "".join(f"redis.register_function('{f}', function(keys, args) return '{f}' end)\n" for f in functions)
    return f"#!lua name={name}\n{body}"


def listing(reply):
    """FUNCTION LIST as {library: {field: value}}, functions sorted (the
    server's order is its hash table's)."""
    out = {}
    for entry in reply:
        d = dict(zip(entry[::2], entry[1::2]))
        funcs = []
        for f in d[b"functions"]:
            fd = dict(zip(f[::2], f[1::2]))
            fd[b"flags"] = sorted(fd[b"flags"])
            funcs.append(fd)
        d[b"functions"] = sorted(funcs, key=lambda f: f[b"name"])
        out[d.pop(b"library_name")] = d
    return out


def error_of(r, *args):
    with pytest.raises(r.exc.ResponseError) as e:
        r.execute_command(*args)
    return str(e.value)


# ---- FUNCTION LOAD and FCALL -----------------------------------------------------


def test_load_and_call(fr):
    r = fr
    assert r.function_load(LIB) == b"mylib"
    assert r.fcall("myset", 1, "k", "v") == b"OK"
    assert r.fcall("myget", 1, "k") == b"v"
    assert r.fcall("MYGET", 1, "k") == b"v"  # function names ignore case
    assert r.fcall("echo", 2, "a", "b", "c", 4) == [[b"a", b"b"], [b"c", b"4"]]
    assert r.fcall("echo", 0) == [[], []]
    assert r.fcall_ro("ro_get", 1, "k") == b"v"


def test_list_shape(fr):
    r = fr
    r.function_load(LIB)
    r.function_load(lib("other", "o1"))
    got = listing(r.function_list())
    assert set(got) == {b"mylib", b"other"}
    assert got[b"mylib"][b"engine"] == b"LUA"
    assert b"library_code" not in got[b"mylib"]
    funcs = {f[b"name"]: f for f in got[b"mylib"][b"functions"]}
    assert funcs[b"ro_get"] == {b"name": b"ro_get", b"description": b"reads a key", b"flags": [b"no-writes"]}
    assert funcs[b"ro_set"][b"flags"] == [b"allow-oom", b"no-writes"]
    assert funcs[b"myset"] == {b"name": b"myset", b"description": None, b"flags": []}
    only = listing(r.function_list(library="MY*", withcode=True))
    assert list(only) == [b"mylib"]
    assert only[b"mylib"][b"library_code"] == LIB.encode()
    assert r.function_list(library="nomatch") == []


def test_list_argument_errors(fr):
    r = fr
    assert error_of(r, "FUNCTION", "LIST", "LIBRARYNAME") == "library name argument was not given"
    assert error_of(r, "FUNCTION", "LIST", "WITHCODE", "withcode") == "Unknown argument withcode"
    assert error_of(r, "FUNCTION", "LIST", "libraryname", "a", "LIBRARYNAME", "b") == "Unknown argument LIBRARYNAME"
    assert error_of(r, "FUNCTION", "LIST", "foo") == "Unknown argument foo"


def test_replace(fr):
    r = fr
    r.function_load(lib("l1", "f1"))
    with pytest.raises(r.exc.ResponseError) as e:
        r.function_load(lib("l1", "f1"))
    assert str(e.value) == "Library 'l1' already exists"
    assert r.function_load(lib("l1", "f2"), replace=True) == b"l1"
    assert r.fcall("f2", 0) == b"f2"
    assert error_of(r, "FCALL", "f1", 0) == "Function not found"
    # A failed replace keeps the old library.
    with pytest.raises(r.exc.ResponseError):
        r.function_load("#!lua name=l1\nerror('x')", replace=True)
    assert r.fcall("f2", 0) == b"f2"
    assert r.execute_command("FUNCTION", "LOAD", "REPLACE", "replace", lib("l1", "f3")) == b"l1"
    assert error_of(r, "FUNCTION", "LOAD", "foo", lib("l1", "f3")) == "Unknown option given: foo"


def test_function_names_clash_across_libraries(fr):
    r = fr
    r.function_load(lib("l1", "f1"))
    with pytest.raises(r.exc.ResponseError) as e:
        r.function_load(lib("l2", "F1"))
    assert str(e.value) == "Function F1 already exists"
    # Library names are case-sensitive.
    assert r.function_load(lib("L1", "g")) == b"L1"
    assert {x for x in listing(r.function_list())} == {b"l1", b"L1"}


LOAD_ERRORS = [
    ("return 1", "Missing library metadata"),
    ("#!lua", "Invalid library metadata"),
    ("#!lua name=a name=b\n", "Invalid metadata value, name argument was given multiple times"),
    ("#!lua foo=bar\n", "Invalid metadata value given: foo=bar"),
    ("#!lua\nreturn 1", "Library name was not given"),
    ("#!luax name=x\nreturn 1", "Engine 'luax' not found"),
    (
        "#!lua name=a-b\nreturn 1",
        "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long",
    ),
    ("#!LUA name=x\nreturn 1", "No functions registered"),
    (
        "#!lua name=x\nredis.register_function('f', function() end)\nredis.register_function('f', function() end)",
        "Error registering functions: ERR Function already exists in the library",
    ),
    (
        "#!lua name=x\nredis.register_function('f-g', function() end)",
        "Error registering functions: ERR Library names can only contain letters, numbers, or underscores(_) "
        "and must be at least one character long",
    ),
    (
        "#!lua name=x\nredis.register_function(1)",
        "Error registering functions: ERR calling redis.register_function with a single argument is only "
        "applicable to Lua table (representing named arguments).",
    ),
    (
        "#!lua name=x\nredis.register_function()",
        "Error registering functions: ERR wrong number of arguments to redis.register_function",
    ),
    (
        "#!lua name=x\nredis.register_function({})",
        "Error registering functions: ERR redis.register_function must get a function name argument",
    ),
    (
        "#!lua name=x\nredis.register_function({function_name='f', callback=function() end, flags={'bad'}})",
        "Error registering functions: ERR unknown flag given",
    ),
    (
        "#!lua name=x\nredis.register_function({function_name='f', callback=function() end, foo=1})",
        "Error registering functions: ERR unknown argument given to redis.register_function",
    ),
    (
        "#!lua name=x\nredis.register_function({function_name='f'})",
        "Error registering functions: ERR redis.register_function must get a callback argument",
    ),
    (
        "#!lua name=x\nredis.register_function({function_name='f', callback=1})",
        "Error registering functions: ERR callback argument given to redis.register_function must be a function",
    ),
    (
        "#!lua name=x\nredis.register_function({function_name='f', callback=function() end, flags=1})",
        "Error registering functions: ERR flags argument to redis.register_function must be a table "
        "representing function flags",
    ),
    (
        "#!lua name=x\nredis.register_function({function_name={}, callback=function() end})",
        "Error registering functions: ERR function_name argument given to redis.register_function must be a string",
    ),
    (
        "#!lua name=x\nredis.register_function({function_name='f', description={}, callback=function() end})",
        "Error registering functions: ERR description argument given to redis.register_function must be a string",
    ),
    (
        "#!lua name=x\nredis.register_function(1, 2)",
        "Error registering functions: ERR second argument to redis.register_function must be a function",
    ),
    (
        "#!lua name=x\nredis.register_function({}, function() end)",
        "Error registering functions: ERR first argument to redis.register_function must be a string",
    ),
    # The load-time sandbox: only `redis` with register_function and log.
    (
        "#!lua name=x\nredis.call('ping')",
        "Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'call'",
    ),
    (
        "#!lua name=x\nlocal a = string.len('x')",
        "Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable "
        "'string'",
    ),
    (
        "#!lua name=x\nredis.log(redis.LOG_DEBUG, 'hi') redis.setresp(3)",
        "Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable "
        "'setresp'",
    ),
    ("#!lua name=x\nfoo = 1", "Error registering functions: ERR user_function:2: Attempt to modify a readonly table"),
    ("#!lua name=x\nredis.register_function('f', function() end", "Error compiling function: user_function:2: ')' expected near '<eof>'"),
]


@pytest.mark.parametrize("code,message", LOAD_ERRORS)
def test_load_errors(fr, code, message):
    r = fr
    with pytest.raises(r.exc.ResponseError) as e:
        r.function_load(code)
    assert str(e.value) == message
    assert r.function_list() == []


def test_load_timeout(fr):
    r = fr
    with pytest.raises(r.exc.ResponseError) as e:
        r.function_load("#!lua name=x\nwhile true do end")
    assert str(e.value) == "Error registering functions: ERR FUNCTION LOAD timeout"


def test_load_time_api(fr):
    r = fr
    code = (
        "#!lua name=v\nlocal v = redis.REDIS_VERSION .. ' ' .. redis.REDIS_VERSION_NUM .. ' ' .. redis.LOG_WARNING\n"
        "local t = {}\nt.a = 1\n"
        "redis.register_function{function_name='v', callback=function() return v .. t.a end, flags={'NO-WRITES'}}"
    )
    r.function_load(code)
    assert r.fcall("v", 0) == f"7.0.15 {(7 << 16) | 15} 31".encode()
    assert listing(r.function_list())[b"v"][b"functions"][0][b"flags"] == [b"no-writes"]


def test_fcall_argument_errors(fr):
    r = fr
    r.function_load(LIB)
    assert error_of(r, "FCALL", "nope", 0) == "Function not found"
    assert error_of(r, "FCALL", "myget", "x") == "Bad number of keys provided"
    assert error_of(r, "FCALL", "myget", 2, "k") == "Number of keys can't be greater than number of args"
    assert error_of(r, "FCALL", "myget", -1) == "Number of keys can't be negative"
    assert error_of(r, "FCALL", "myget") == "wrong number of arguments for 'fcall' command"


def test_flags_and_read_only(fr):
    r = fr
    r.function_load(LIB)
    assert error_of(r, "FCALL_RO", "myset", 1, "k", "v") == (
        "Can not execute a script with write flag using *_ro command."
    )
    msg = "Write commands are not allowed from read-only scripts. script: ro_set, on @user_function:17."
    assert error_of(r, "FCALL", "ro_set", 1, "k") == msg
    assert error_of(r, "FCALL_RO", "ro_set", 1, "k") == msg
    assert r.exists("k") == 0


ERRORS_LIB = """#!lua name=errs
redis.register_function('e1', function(keys, args) error('boom') end)
redis.register_function('e2', function(keys, args) error({err='MYERR boom'}) end)
redis.register_function('e3', function(keys, args) return redis.call('nosuch') end)
redis.register_function('e4', function(keys, args) return redis.pcall('nosuch') end)
redis.register_function('e5', function(keys, args) return KEYS end)
redis.register_function('e6', function(keys, args) x = 1 end)
redis.register_function('e7', function(keys, args) return redis.error_reply('MY bad') end)
redis.register_function('e8', function(keys, args) return redis.call('fcall', 'e1', 0) end)
redis.register_function('e9', function(keys, args) return redis.call('function', 'list') end)
redis.register_function('e10', function(keys, args) error() end)
redis.register_function('e11', function(keys, args) return redis.pcall('incr', keys[1]) end)
"""


@pytest.mark.parametrize(
    "name,message",
    [
        ("e1", "user_function:2: boom script: e1, on @user_function:2."),
        ("e2", "MYERR boom script: e2, on @user_function:3."),
        ("e3", "Unknown Redis command called from script script: e3, on @user_function:4."),
        ("e4", "Unknown Redis command called from script"),
        ("e5", "user_function:6: Script attempted to access nonexistent global variable 'KEYS' script: e5, on @user_function:6."),
        ("e6", "user_function:7: Attempt to modify a readonly table script: e6, on @user_function:7."),
        ("e7", "MY bad"),
        ("e8", "This Redis command is not allowed from script script: e8, on @user_function:9."),
        ("e9", "This Redis command is not allowed from script script: e9, on @user_function:10."),
        ("e10", "nil script: e10, on @user_function:11."),
        ("e11", "value is not an integer or out of range"),
    ],
)
def test_errors_inside_functions(fr, name, message):
    r = fr
    r.function_load(ERRORS_LIB)
    r.set("k", "notanumber")
    assert error_of(r, "FCALL", name, 1, "k") == message


def test_runtime_environment(fr):
    r = fr
    code = """#!lua name=env
redis.register_function('libs', function(keys, args)
    return string.format('%d', 5) .. cjson.encode({1}) .. redis.REDIS_VERSION
end)
redis.register_function('resp3', function(keys, args)
    redis.setresp(3)
    return redis.call('hgetall', keys[1])
end)
redis.register_function('nil', function() return redis.register_function end)
"""
    r.function_load(code)
    r.hset("h", "a", "1")
    assert r.fcall("libs", 0) == b"5[1]7.0.15"
    # A RESP3 map (redis.setresp(3)) reaches RESP3 clients (redis-py 8 default) as a dict.
    assert r.fcall("resp3", 1, "h") == {b"a": b"1"}
    assert r.fcall("nil", 0) is None


def test_delete_and_flush(fr):
    r = fr
    r.function_load(lib("l1", "f1"))
    r.function_load(lib("l2", "f2"))
    assert r.function_delete("l1") is True
    assert error_of(r, "FCALL", "f1", 0) == "Function not found"
    with pytest.raises(r.exc.ResponseError) as e:
        r.function_delete("l1")
    assert str(e.value) == "Library not found"
    # The name is free again.
    r.function_load(lib("l3", "f1"))
    assert r.function_flush("ASYNC") is True
    assert r.function_list() == []
    assert error_of(r, "FUNCTION", "FLUSH", "x") == "FUNCTION FLUSH only supports SYNC|ASYNC option"
    assert error_of(r, "FUNCTION", "FLUSH", "a", "b") == (
        "unknown subcommand or wrong number of arguments for 'FLUSH'. Try FUNCTION HELP."
    )


def test_flushall_keeps_functions(fr):
    r = fr
    r.function_load(lib("l1", "f1"))
    r.flushall()
    assert r.fcall("f1", 0) == b"f1"
    r.script_flush()
    assert r.fcall("f1", 0) == b"f1"


def test_multi_and_pipeline(fr):
    r = fr
    r.function_load(LIB)
    p = r.pipeline(transaction=True)
    p.fcall("myset", 1, "k", "v")
    p.fcall_ro("ro_get", 1, "k")
    p.function_list(library="none")
    assert p.execute() == [b"OK", b"v", []]
    p = r.pipeline(transaction=False)
    p.function_load(lib("l2", "f2"))
    p.fcall("f2", 0)
    p.function_delete("l2")
    assert p.execute() == [b"l2", b"f2", True]


# ---- DUMP / RESTORE -------------------------------------------------------------


def test_dump_restore_round_trip(fr):
    r = fr
    r.function_load(LIB)
    r.function_load(lib("l2", "f2"))
    payload = r.function_dump()
    assert isinstance(payload, bytes)
    r.function_flush()
    assert r.function_restore(payload) is True
    assert r.fcall("f2", 0) == b"f2"
    assert set(listing(r.function_list(withcode=True))) == {b"mylib", b"l2"}
    with pytest.raises(r.exc.ResponseError) as e:
        r.function_restore(payload)
    assert str(e.value) in ("Library mylib already exists", "Library l2 already exists")
    assert r.function_restore(payload, "REPLACE") is True
    r.function_load(lib("l3", "f3"))
    assert r.function_restore(payload, "FLUSH") is True
    assert error_of(r, "FCALL", "f3", 0) == "Function not found"
    # Empty payload: nothing but the footer.
    r.function_flush()
    empty = r.function_dump()
    assert len(empty) == 10
    assert r.function_restore(empty, "FLUSH") is True


def test_restore_errors(fr):
    r = fr
    r.function_load(lib("l1", "f1"))
    payload = r.function_dump()
    r.function_flush()
    r.function_load(lib("other", "f1"))
    with pytest.raises(r.exc.ResponseError) as e:
        r.function_restore(payload, "REPLACE")
    assert str(e.value) == "Function f1 already exists"
    assert r.fcall("f1", 0) == b"f1"
    bad = payload[:-1] + bytes([payload[-1] ^ 1])
    assert error_of(r, "FUNCTION", "RESTORE", bad) == "DUMP payload version or checksum are wrong"
    assert error_of(r, "FUNCTION", "RESTORE", "x") == "DUMP payload version or checksum are wrong"
    assert error_of(r, "FUNCTION", "RESTORE", payload, "x") == (
        "Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE."
    )
    r.set("k", "v")
    assert error_of(r, "FUNCTION", "RESTORE", r.dump("k")) == "given type is not a function"


def crc64(data):
    """Redis's CRC-64 (Jones polynomial, reflected), for hand-made payloads."""
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x95AC9329AC4BC9B5 if crc & 1 else 0)
    return crc


def payload_of(body):
    body += b"\x0a\x00"  # RDB version 10
    return body + crc64(body).to_bytes(8, "little")


def rdb_str(b):
    return bytes([len(b)]) + b


PRE_GA_CODE = b"redis.register_function('pg', function() return 'pg' end)"


@pytest.mark.parametrize(
    "body,message",
    [
        (b"\xf5", "Failed loading library payload"),
        (b"\xf5\x05ab", "Missing library metadata"),  # runs into the footer, as in Redis
        (b"\x00\x01a", "given type is not a function"),
        (b"\xf5\x0e#!lua name=a\nx", "Error compiling function: user_function:2: '=' expected near '<eof>'"),
        (b"\xf6", "Failed loading library name"),
        (b"\xf6" + rdb_str(b"plib"), "Failed loading engine name"),
        (b"\xf6" + rdb_str(b"plib") + rdb_str(b"LUA") + b"\x00", "Failed loading library blob"),
    ],
)
def test_restore_hand_made_payload_errors(fr, body, message):
    r = fr
    assert error_of(r, "FUNCTION", "RESTORE", payload_of(body)) == message
    assert r.function_list() == []


def test_restore_hand_made_payloads(fr):
    r = fr
    code = b"#!lua name=a\nredis.register_function('fa', function(keys, args) return 1 end)"
    one = payload_of(b"\xf5\x40" + bytes([len(code)]) + code)
    r.function_load(code.decode())
    assert r.function_dump() == one
    r.function_flush()
    assert r.function_restore(payload_of(b"")) is True
    # The release candidates' format: name, engine, description, body.
    for desc in (b"\x00", b"\x01" + rdb_str(b"desc")):
        pre_ga = payload_of(b"\xf6" + rdb_str(b"plib") + rdb_str(b"LUA") + desc + rdb_str(PRE_GA_CODE))
        assert r.function_restore(pre_ga, "FLUSH") is True
        assert r.fcall("pg", 0) == b"pg"
        got = listing(r.function_list(withcode=True))[b"plib"]
        assert got[b"library_code"] == b"#!LUA name=plib\n" + PRE_GA_CODE
        assert got[b"functions"] == [{b"name": b"pg", b"description": None, b"flags": []}]


def _flush_both(*clients):
    for c in clients:
        c.function_flush()


def test_payloads_cross_between_engine_and_server(pair):
    emb, ora = pair["embedded"], pair["oracle"]
    try:
        _flush_both(emb, ora)
        # One library (a dump is then deterministic): byte-equal, and long
        # enough that its code is LZF-compressed.
        for c in (emb, ora):
            c.function_load(LIB)
        assert emb.function_dump() == ora.function_dump()
        # Server -> engine and engine -> server with several libraries.
        ora.function_load(lib("l2", "f2"))
        emb.function_load(lib("l3", "f3"))
        from_server, from_engine = ora.function_dump(), emb.function_dump()
        _flush_both(emb, ora)
        assert emb.function_restore(from_server) is True
        assert ora.function_restore(from_engine) is True
        assert emb.fcall("f2", 0) == b"f2"
        assert ora.fcall("f3", 0) == b"f3"
        assert listing(emb.function_list(withcode=True))[b"mylib"] == listing(ora.function_list(withcode=True))[b"mylib"]
        # Uncompressed too.
        for c in (emb, ora):
            c.config_set("rdbcompression", "no")
            c.function_flush()
            c.function_load(LIB)
        assert emb.function_dump() == ora.function_dump()
    finally:
        for c in (emb, ora):
            c.config_set("rdbcompression", "yes")
        _flush_both(emb, ora)


# ---- STATS, KILL and BUSY -------------------------------------------------------


def stats(r):
    s = r.function_stats()
    if isinstance(s, list):
        s = dict(zip(s[::2], s[1::2]))
        engines = dict(zip(s[b"engines"][::2], s[b"engines"][1::2]))
        s[b"engines"] = {k: dict(zip(v[::2], v[1::2])) for k, v in engines.items()}
        if s[b"running_script"] is not None:
            s[b"running_script"] = dict(zip(s[b"running_script"][::2], s[b"running_script"][1::2]))
    return s


def test_stats_idle(fr):
    r = fr
    r.function_load(LIB)
    r.function_load(lib("l2", "f2", "g2"))
    assert stats(r) == {
        b"running_script": None,
        b"engines": {b"LUA": {b"libraries_count": 2, b"functions_count": 7}},
    }
    with pytest.raises(r.exc.ResponseError) as e:
        r.function_kill()
    assert str(e.value) == "NOTBUSY No scripts in execution right now."


def test_help(fr):
    r = fr
    lines = r.execute_command("FUNCTION", "HELP")
    assert lines[0] == b"FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert b"RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]" in lines
    assert lines[-1] == b"    Prints this help."


LOOP = "#!lua name=loop\nredis.register_function('loop', function(keys, args)\n    while true do end\nend)"


def run_in_thread(make, *command):
    result = {}

    def target():
        c = make()
        try:
            result["reply"] = c.execute_command(*command)
        except Exception as e:  # noqa: BLE001 - recorded for the assertion
            result["error"] = e

    t = threading.Thread(target=target)
    t.start()
    return t, result


def wait_busy(r, text, deadline=15.0):
    end = time.time() + deadline
    while time.time() < end:
        try:
            r.ping()
        except r.exc.ResponseError as e:
            assert str(e) == text
            return
        time.sleep(0.01)
    raise AssertionError("function never became busy")


def test_function_kill_stops_a_looping_function(make, fr):
    r = fr
    r.function_load(LOOP)
    r.config_set("lua-time-limit", 100)
    t, result = run_in_thread(make, "FCALL", "loop", 1, "somekey")
    wait_busy(r, BUSY_FUNCTION)
    with pytest.raises(r.exc.ResponseError) as e:
        r.script_kill()
    assert str(e.value) == BUSY_FUNCTION
    s = stats(r)
    assert s[b"running_script"][b"name"] == b"loop"
    assert s[b"running_script"][b"command"] == [b"FCALL", b"loop", b"1", b"somekey"]
    assert s[b"running_script"][b"duration_ms"] >= 100
    assert s[b"engines"] == {b"LUA": {b"libraries_count": 1, b"functions_count": 1}}
    assert r.function_kill() == b"OK"
    t.join(30)
    assert not t.is_alive()
    assert str(result["error"]) == "Script killed by user with SCRIPT KILL... script: loop, on @user_function:3."
    assert r.ping() is True


def test_function_kill_refused_for_eval(make, fr):
    r = fr
    r.config_set("lua-time-limit", 100)
    t, result = run_in_thread(make, "EVAL", "while true do end", 0)
    wait_busy(r, BUSY_EVAL)
    for call in (r.function_kill, r.function_stats):
        with pytest.raises(r.exc.ResponseError) as e:
            call()
        assert str(e.value) == BUSY_EVAL
    assert r.script_kill() is True
    t.join(30)
    assert "killed by user" in str(result["error"])


def test_function_that_wrote_is_unkillable(make, fr):
    r = fr
    code = (
        "#!lua name=w\nredis.register_function('w', function(keys, args)\n"
        "    redis.call('set', keys[1], 'x')\n"
        "    local n = 0\n"
        "    for i = 1, 60000000 do n = n + 1 end\n"
        "    return n\nend)"
    )
    r.function_load(code)
    r.config_set("lua-time-limit", 100)
    t, result = run_in_thread(make, "FCALL", "w", 1, "k")
    wait_busy(r, BUSY_FUNCTION)
    with pytest.raises(r.exc.ResponseError) as e:
        r.function_kill()
    assert str(e.value).startswith("UNKILLABLE Sorry the script already executed write commands")
    t.join(60)
    assert result == {"reply": 60000000}
    assert r.get("k") == b"x"


def test_info_counts(fr):
    r = fr
    r.function_load(LIB)
    r.function_load(lib("l2", "f2"))
    mem = r.info("memory")
    assert (mem["number_of_functions"], mem["number_of_libraries"]) == (6, 2)
    r.function_delete("l2")
    mem = r.info("memory")
    assert (mem["number_of_functions"], mem["number_of_libraries"]) == (5, 1)


def test_keys_of_fcall(fr):
    r = fr
    assert r.command_getkeys("FCALL", "f", 2, "a", "b", "c") == ["a", "b"]
    assert r.command_getkeys("FCALL_RO", "f", 1, "a", "b") == ["a"]


def test_fcall_from_eval_is_refused(fr):
    r = fr
    r.function_load(lib("l1", "f1"))
    script = "return redis.call('fcall', 'f1', 0)"
    sha = hashlib.sha1(script.encode()).hexdigest()
    assert error_of(r, "EVAL", script, 0) == (
        f"This Redis command is not allowed from script script: {sha}, on @user_script:1."
    )


METHODS = [
    "function_load", "function_delete", "function_flush", "function_list", "function_dump",
    "function_restore", "function_kill", "function_stats", "fcall", "fcall_ro",
]


@pytest.mark.parametrize("name", METHODS)
def test_method_signatures_match_redis_py(name):
    import inspect

    import redis

    import redcore

    def shape(f):
        return [(p.name, p.kind, p.default) for p in inspect.signature(f).parameters.values()]

    assert shape(getattr(redcore.Redis, name)) == shape(getattr(redis.Redis, name))


def test_decoded_client(make, fr):
    rd = make(decode_responses=True)
    assert rd.function_load(lib("l1", "f1")) == "l1"
    assert rd.fcall("f1", 0) == "f1"
    payload = rd.function_dump()
    assert isinstance(payload, bytes)
    assert rd.function_restore(payload, "REPLACE") is True
    assert rd.function_list()[0][:4] == ["library_name", "l1", "engine", "LUA"]


def test_redis_api_inside_functions(fr):
    r = fr
    code = """#!lua name=api
redis.register_function('arity', function(keys, args) return redis.call('get') end)
redis.register_function('status', function(keys, args) return redis.status_reply('PONG') end)
redis.register_function('caught', function(keys, args) local ok, e = pcall(redis.call, 'incr', keys[1]) return e end)
redis.register_function('selects', function(keys, args)
    redis.call('select', 1)
    redis.call('set', keys[1], 'in1')
    return redis.call('get', keys[1])
end)
redis.register_function('types', function(keys, args) return {1, 2.5, true, false, 'x', {ok='fine'}} end)
"""
    r.function_load(code)
    r.set("k", "str")
    assert error_of(r, "FCALL", "arity", 0) == (
        "Wrong number of args calling Redis command from script script: arity, on @user_function:2."
    )
    assert r.fcall("status", 0) == b"PONG"
    assert r.fcall("caught", 1, "k") == b"ERR value is not an integer or out of range"
    assert r.fcall("selects", 1, "k") == b"in1"
    assert r.get("k") == b"str"  # the caller's database is unchanged
    assert r.fcall("types", 0) == [1, 2, 1, None, b"x", b"fine"]
