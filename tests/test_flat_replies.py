"""Replies that are one array of bulk strings and nulls (MGET, HMGET,
LRANGE, KEYS, SMEMBERS, ZRANGE): the network client builds them straight
from its read buffer (src/resp/flat.rs, ``build_flat`` in
src/python/reply.rs). Every backend must give the same answers for random
data, whatever the protocol, decoding and callbacks; the faults at the end
(a reply cut short, a stalled server, Ctrl-C) are the network client's own.
"""

from __future__ import annotations

import random
import signal
import socket
import threading
import time
from typing import Any, Callable, Dict, List, Optional

import pytest

import redcore
from support import Interrupt, ScriptedServer, alarm

# (protocol, decode_responses)
MODES = [(2, False), (2, True), (3, False), (3, True), (None, False)]


def _value(rng: random.Random, text: bool) -> bytes:
    """Empty, short, with CRLF inside, or large enough to span socket reads."""
    kind = rng.randrange(10)
    if kind == 0:
        return b""
    n = rng.choice([1, 5, 17, 300]) if kind < 9 else rng.randrange(70_000, 200_000)
    if text:
        chars = "ab\r\nçé€ \x00z"
        return "".join(rng.choice(chars) for _ in range(n)).encode()
    return bytes(rng.getrandbits(8) for _ in range(min(n, 300))) * max(1, n // 300)


def _out(v: Optional[bytes], decode: bool) -> Any:
    return v.decode() if (decode and v is not None) else v


@pytest.mark.parametrize("protocol,decode", MODES)
def test_random_flat_replies(make: Callable[..., Any], protocol: Optional[int], decode: bool) -> None:
    r = make(protocol=protocol, decode_responses=decode)
    rng = random.Random(f"{protocol}-{decode}")
    data: Dict[bytes, bytes] = {}
    for i in range(60):
        data[b"k:%d" % i] = _value(rng, decode)
    r.mset(data)
    names = list(data) + [b"missing:%d" % i for i in range(5)]
    rng.shuffle(names)
    assert r.mget(names) == [_out(data.get(k), decode) for k in names]
    assert r.mget(["missing"]) == [None]
    assert sorted(r.keys("k:*")) == sorted(_out(k, decode) for k in data)
    assert r.keys("nothing:*") == []

    fields = {b"f%d" % i: data[b"k:%d" % i] for i in range(30)}
    r.hset("h", mapping=fields)
    asked = list(fields) + [b"nofield"]
    rng.shuffle(asked)
    assert r.hmget("h", asked) == [_out(fields.get(f), decode) for f in asked]
    assert r.hmget("nohash", ["a", "b"]) == [None, None]
    assert r.hgetall("h") == {_out(f, decode): _out(v, decode) for f, v in fields.items()}
    assert r.execute_command("HGETALL", "h") == r.hgetall("h")
    assert r.hgetall("nohash") == {}

    items = [data[b"k:%d" % i] for i in range(40)]
    r.rpush("l", *items)
    assert r.lrange("l", 0, -1) == [_out(v, decode) for v in items]
    assert r.lrange("l", 5, 9) == [_out(v, decode) for v in items[5:10]]
    assert r.lrange("l", 50, 60) == []
    assert r.lrange("nolist", 0, -1) == []

    members = set(items)
    r.sadd("s", *members)
    assert r.smembers("s") == {_out(v, decode) for v in members}
    assert r.smembers("noset") == set()

    scores = {v: float(i) for i, v in enumerate(items)}
    r.zadd("z", scores)
    ranked = sorted(scores, key=lambda m: (scores[m], m))
    assert r.zrange("z", 0, -1) == [_out(m, decode) for m in ranked]
    # With scores the reply is pairs (nested on RESP3): the frame path.
    assert [(m, s) for m, s in r.zrange("z", 0, 2, withscores=True)] == [
        (_out(m, decode), scores[m]) for m in ranked[:3]
    ]
    # A reply of another shape than bulk strings, and an error.
    assert r.execute_command("MGET", "k:1") == [_out(data[b"k:1"], decode)]
    with pytest.raises(r.exc.ResponseError, match="^WRONGTYPE"):
        r.lrange("k:1", 0, -1)
    with pytest.raises(r.exc.ResponseError, match="^WRONGTYPE"):
        r.smembers("l")
    # Pipelines read the same replies.
    with r.pipeline() as pipe:
        pipe.mget(names[:10]).lrange("l", 0, 3).smembers("s").hmget("h", asked[:3])
        got = pipe.execute()
    assert got == [
        [_out(data.get(k), decode) for k in names[:10]],
        [_out(v, decode) for v in items[:4]],
        {_out(v, decode) for v in members},
        [_out(fields.get(f), decode) for f in asked[:3]],
    ]


@pytest.mark.parametrize("protocol", [2, 3])
def test_a_hundred_thousand_elements(make: Callable[..., Any], protocol: int) -> None:
    r = make(protocol=protocol)
    values = [b"%d" % i if i % 7 else b"" for i in range(100_000)]
    keys = [b"n:%d" % i for i in range(100_000)]
    for i in range(0, len(keys), 10_000):
        r.mset(dict(zip(keys[i : i + 10_000], values[i : i + 10_000])))
    asked = keys + [b"absent"]
    assert r.mget(asked) == values + [None]
    r.rpush("big", *values)
    assert r.lrange("big", 0, -1) == values
    assert r.lrange("big", 0, -1) == values  # the connection is in step


@pytest.mark.parametrize("protocol,decode", MODES)
def test_response_callbacks_get_the_raw_list(make: Callable[..., Any], protocol: Optional[int], decode: bool) -> None:
    r = make(protocol=protocol, decode_responses=decode)
    r.mset({"a": "1", "b": "\r\n"})
    r.rpush("l", "x", "", "y")
    seen: List[Any] = []

    def mine(response: Any, **options: Any) -> Any:
        seen.append((type(response), response, options))
        return ("mine", response)

    r.set_response_callback("MGET", mine)
    r.set_response_callback("LRANGE", mine)
    a, b, x, y, empty = (_out(v, decode) for v in (b"1", b"\r\n", b"x", b"y", b""))
    assert r.mget("a", "nope", "b") == ("mine", [a, None, b])
    assert r.lrange("l", 0, -1) == ("mine", [x, empty, y])
    assert r.execute_command("LRANGE", "l", 0, 0) == ("mine", [x])
    assert [t for t, _, _ in seen] == [list, list, list]
    with pytest.raises(r.exc.ResponseError, match="^WRONGTYPE"):
        r.lrange("a", 0, -1)
    assert len(seen) == 3
    # A map (RESP3) or a flat list (RESP2) as the parser reads it.
    r.hset("h", mapping={"f": "v", "g": ""})
    r.sadd("s", "m")
    r.set_response_callback("HGETALL", lambda response, **options: type(response).__name__)
    r.set_response_callback("SMEMBERS", lambda response, **options: (type(response).__name__, response))
    assert r.hgetall("h") == ("list" if protocol == 2 else "dict")
    assert r.smembers("s") == ("list", [_out(b"m", decode)])
    # NEVER_DECODE keeps bytes even with decode_responses.
    r.set_response_callback("MGET", lambda response, **options: response)
    assert r.execute_command("MGET", "a", "b", NEVER_DECODE=True) == [b"1", b"\r\n"]


def test_undecodable_values_raise_and_keep_the_connection(make: Callable[..., Any]) -> None:
    r = make(decode_responses=True)
    raw = make()
    raw.set("bad", b"\xff\xfe")
    raw.set("good", b"ok")
    with pytest.raises(UnicodeDecodeError):
        r.mget("good", "bad")
    assert r.mget("good") == ["ok"]
    assert r.get("good") == "ok"


# -- faults while a flat reply is read (network client only) ----------------------


FULL = b"*3\r\n$1\r\na\r\n$-1\r\n$3\r\nb\r\n\r\n"


@pytest.fixture
def scripted() -> Any:
    made: List[ScriptedServer] = []

    def factory(reply: Callable[[int], List[Any]]) -> ScriptedServer:
        s = ScriptedServer(reply)
        made.append(s)
        return s

    yield factory
    for s in made:
        s.close()


def test_reply_in_many_pieces(scripted: Any) -> None:
    srv = scripted(lambda i: [FULL[j : j + 1] for j in range(len(FULL))])
    r = redcore.Redis(port=srv.port, protocol=2)
    assert r.mget("a", "x", "b") == [b"a", None, b"b\r\n"]
    assert r.mget("a", "x", "b") == [b"a", None, b"b\r\n"]


def test_connection_lost_mid_reply(scripted: Any) -> None:
    srv = scripted(lambda i: [FULL[:12], None] if i == 1 else [FULL])
    r = redcore.Redis(port=srv.port, protocol=2)
    with pytest.raises(redcore.exceptions.ConnectionError, match="Connection closed by server."):
        r.mget("a", "x", "b")
    assert r.mget("a", "x", "b") == [b"a", None, b"b\r\n"]


def test_timeout_mid_reply_drops_the_connection(scripted: Any) -> None:
    srv = scripted(lambda i: [FULL[:12], 0.6, FULL[12:]] if i == 1 else [FULL])
    r = redcore.Redis(port=srv.port, protocol=2, socket_timeout=0.2)
    with pytest.raises(redcore.exceptions.TimeoutError, match="Timeout reading from socket"):
        r.mget("a", "x", "b")
    time.sleep(0.6)  # the rest reached the old socket, which nobody reads
    assert r.mget("a", "x", "b") == [b"a", None, b"b\r\n"]


def test_protocol_error_mid_reply(scripted: Any) -> None:
    bad = b"*2\r\n$1\r\na\r\n$x\r\n"
    srv = scripted(lambda i: [bad])
    r = redcore.Redis(port=srv.port, protocol=2)
    with pytest.raises(redcore.exceptions.InvalidResponse) as direct:
        r.mget("a", "b")
    with pytest.raises(redcore.exceptions.InvalidResponse) as framed:
        r.pipeline(transaction=False).mget("a", "b").execute()
    assert str(direct.value) == str(framed.value)


def test_interrupt_mid_reply_never_leaks_it(scripted: Any) -> None:
    other = b"*1\r\n$5\r\nfresh\r\n"
    srv = scripted(lambda i: [FULL[:12], 0.4, FULL[12:]] if i == 1 else [other])
    r = redcore.Redis(port=srv.port, protocol=2, single_connection_client=True)

    with alarm(0.1), pytest.raises(Interrupt):
        r.mget("a", "x", "b")
    time.sleep(0.4)
    assert r.mget("a") == [b"fresh"]


def test_signal_without_exception_resumes_the_read(scripted: Any) -> None:
    srv = scripted(lambda i: [FULL[:12], 0.3, FULL[12:]])
    r = redcore.Redis(port=srv.port, protocol=2)
    calls = []
    with alarm(0.1, lambda signum, frame: calls.append(signum)):
        assert r.mget("a", "x", "b") == [b"a", None, b"b\r\n"]
    assert calls == [signal.SIGALRM]
    assert srv.conns == 1
