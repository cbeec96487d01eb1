"""``python -m redcore cli`` (python/redcore/_cli_repl.py): the same input
piped into Debian's redis-cli (talking to the test redis-server) and into
redcore's cli (on its embedded engine, and on the same server) prints the
same bytes, in raw mode (stdout not a terminal, redis-cli's default then)
and with ``--no-raw`` (the terminal format)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, List

import pytest

from redcore import _cli_repl as cli

REDIS_CLI = shutil.which("redis-cli")

SCRIPT = r"""PING
PING hello
SET a 1
GET a
GET missing
INCR n
INCRBYFLOAT f 1.5
FOO bar
RPUSH l a "b c" "x\ny" '\n' "\x01\xff"
LRANGE l 0 -1
LRANGE nothing 0 -1
TYPE l
LPUSH a x
HSET h f v g w
HGETALL h
ZADD z 1.5 a 2 b 3 c 4 d 5 e 6 f 7 g 8 h 9 i 10 j
ZRANGE z 0 -1 WITHSCORES
SET q "unbalanced
MULTI
INCR n
SET k OK
GET k
TYPE k
LPUSH k bad
EXEC
EVAL "return {1, {2, 'x', {}}, false, 'last'}" 0
EVALSHA 0000000000000000000000000000000000000000 0
XADD s 1-1 f v
XRANGE s - +
CONFIG SET maxmemory-policy allkeys-lru
SET k2 v GET
DBSIZE
SMISMEMBER nos a b
"""


def redcore_cli(*args: str, stdin: str = "") -> bytes:
    proc = subprocess.run([sys.executable, "-m", "redcore", "cli", *args], input=stdin.encode(),
                          capture_output=True, timeout=60)
    assert proc.stderr == b"", proc.stderr
    return proc.stdout


def redis_cli(server: Any, *args: str, stdin: str = "") -> bytes:
    server.client().flushall()
    proc = subprocess.run([str(REDIS_CLI), "-p", str(server.port), *args], input=stdin.encode(),
                          capture_output=True, timeout=60)
    return proc.stdout


needs_redis_cli = pytest.mark.skipif(REDIS_CLI is None, reason="redis-cli (redis-tools) is not installed")


@needs_redis_cli
@pytest.mark.parametrize("mode", [[], ["--no-raw"]], ids=["raw", "tty"])
def test_piped_input_matches_redis_cli(redis_server: Any, mode: List[str]) -> None:
    expected = redis_cli(redis_server, *mode, stdin=SCRIPT)
    assert redcore_cli(*mode, stdin=SCRIPT) == expected
    redis_server.client().flushall()
    assert redcore_cli(f"redis://127.0.0.1:{redis_server.port}", *mode, stdin=SCRIPT) == expected


# Commands whose replies are statuses (printed unquoted in the terminal
# format): the cli learns which from the command table's reply column.
STATUS_SCRIPT = r"""SET a 1
HMSET h f v
SETEX e 100 v
PSETEX p 100000 v
MSET m1 1 m2 2
RENAME m1 m3
RPUSH l a b
LSET l 0 x
LTRIM l 0 0
TYPE l
TYPE h
TYPE nothing
SELECT 0
SWAPDB 0 0
PFADD hl a
PFMERGE hl2 hl
XADD s 1-1 f v
XGROUP CREATE s g 0
XGROUP SETID s g 0
XSETID s 1-1
CLIENT SETNAME cli
CLIENT NO-EVICT off
CLIENT PAUSE 1
CLIENT UNPAUSE
CLIENT TRACKING off
CONFIG SET maxmemory-policy noeviction
CONFIG RESETSTAT
SCRIPT FLUSH
FUNCTION FLUSH
WATCH a
UNWATCH
MULTI
SET a 2
TYPE a
DISCARD
MULTI
TYPE a
HMSET h g w
LTRIM l 0 0
EXEC
ACL SETUSER cliuser
ACL LOG RESET
ACL DELUSER cliuser
SLOWLOG RESET
MEMORY PURGE
GET a
HGET h f
FLUSHDB
RESET
FLUSHALL
"""


@needs_redis_cli
@pytest.mark.parametrize("mode", [[], ["--no-raw"]], ids=["raw", "tty"])
def test_status_replies_print_as_redis_cli(redis_server: Any, mode: List[str]) -> None:
    expected = redis_cli(redis_server, *mode, stdin=STATUS_SCRIPT)
    if mode:
        assert b"\nOK\n" in expected and b"\nhash\n" in expected and b'"1"' in expected
    assert redcore_cli(*mode, stdin=STATUS_SCRIPT) == expected
    redis_server.client().flushall()
    assert redcore_cli(f"redis://127.0.0.1:{redis_server.port}", *mode, stdin=STATUS_SCRIPT) == expected


@needs_redis_cli
@pytest.mark.parametrize("mode", [[], ["--no-raw"]], ids=["raw", "tty"])
def test_one_shot_command_and_eval(redis_server: Any, tmp_path: Path, mode: List[str]) -> None:
    script = tmp_path / "s.lua"
    script.write_text("redis.call('SET', KEYS[1], ARGV[1])\nreturn {KEYS[1], KEYS[2], ARGV[1], ARGV[2], #KEYS, #ARGV}\n")
    for args in (["--eval", str(script), "k1", "k2", ",", "a1", "a2"], ["--eval", str(script), "k1", "k2,", "a1"],
                 ["RPUSH", "l", "a", "b"], ["GET", "missing"], ["HGETALL", "missing"]):
        expected = redis_cli(redis_server, *mode, *args)
        assert redcore_cli(*mode, *args) == expected, args


def test_memory_url_reaches_a_named_engine() -> None:
    out = redcore_cli("memory://cli-test", stdin="SET a 1\nGET a\n")
    assert out == b"OK\n1\n"


def test_error_exit_status() -> None:
    proc = subprocess.run([sys.executable, "-m", "redcore", "cli", "FOO"], capture_output=True)
    assert proc.returncode == 1 and proc.stdout.startswith(b"ERR unknown command 'FOO'")


@pytest.mark.parametrize("line,args", [
    ('SET k "a b"', ["SET", "k", "a b"]),
    (r'SET k "\x41\n\"q\""', ["SET", "k", 'A\n"q"']),
    ("SET k 'it\\'s' x", ["SET", "k", "it's", "x"]),
    ("  GET   k  ", ["GET", "k"]),
    ('SET k ""', ["SET", "k", ""]),
])
def test_split_args(line: str, args: List[str]) -> None:
    assert cli.split_args(line) == args


@pytest.mark.parametrize("line", ['GET "a', "GET 'a", 'GET "a"b'])
def test_split_args_refuses_what_redis_cli_refuses(line: str) -> None:
    with pytest.raises(cli.CliError):
        cli.split_args(line)


HELP_COMMANDS = ["set", "get", "lpush", "zadd", "zunionstore", "xadd", "xreadgroup", "sort", "migrate",
                 "bitfield", "georadius", "client kill", "config get", "object encoding", "eval"]


@needs_redis_cli
@pytest.mark.parametrize("command", HELP_COMMANDS)
def test_help_matches_redis_cli(redis_server: Any, command: str) -> None:
    proc = subprocess.run([str(REDIS_CLI), "-p", str(redis_server.port), "help", *command.split()],
                          capture_output=True, text=True, timeout=30)
    expected = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout).replace("\r\n", "\n")
    assert cli.Session().help_text(command) == expected


def test_hints_and_help_come_from_command_docs() -> None:
    s = cli.Session()
    assert s.hint("set") == "SET key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]"
    assert s.hint("lpush") == "LPUSH key element [element ...]"
    assert s.hint("nosuchcommand") is None
    text = s.help_text("get")
    assert "GET key" in text and "summary: Get the value of a key" in text and "group: string" in text
    out = redcore_cli(stdin="help incr\nquit\nGET never-reached\n")
    assert b"INCR key" in out and b"never-reached" not in out


def test_interactive_prompt_with_history(tmp_path: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    env = {**os.environ, "HOME": str(tmp_path), "TERM": "dumb"}
    child = pexpect.spawn(sys.executable, ["-m", "redcore", "cli", "memory://"], env=env, timeout=20, encoding="utf-8")
    child.expect_exact("redcore(embedded)> ")
    child.sendline("INCR visits")
    child.expect_exact("(integer) 1")
    child.send("ZUNIONST\t")  # Tab completes the command name
    child.expect_exact("ZUNIONSTORE ")
    child.send("\t")  # and then shows its syntax
    child.expect_exact("ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]]")
    child.send("\x15")  # Ctrl-U: clear the line
    child.sendline("MULTI")
    child.expect_exact("redcore(embedded)(TX)> ")
    child.sendline("DISCARD")
    child.sendline("quit")
    child.expect(pexpect.EOF)
    history = (tmp_path / ".redcore_cli_history").read_text()
    assert "INCR visits" in history
