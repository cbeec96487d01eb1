"""redcore.asyncio under cancellation and connection loss.

Tasks are cancelled at random points while their commands are in flight
(``asyncio.wait_for`` timeouts, ``task.cancel()``); every reply read
afterwards must be the right one (redis-py #2665 is the bug to beat). A
connection the server drops is replaced on the next command.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest

import redcore
import redcore.asyncio
from redcore.asyncio.retry import Retry
from redcore.backoff import NoBackoff

pytestmark = pytest.mark.asyncio


def _client(backend: str, redis_server: Any, **kwargs: Any) -> Any:
    if backend == "remote":
        return redcore.asyncio.Redis(port=redis_server.port, **kwargs)
    return redcore.asyncio.Redis(**kwargs)


async def _cancel_storm(r: Any, rounds: int, seed: int) -> None:
    rng = random.Random(seed)
    n = 50
    await r.mset({f"k{i}": i for i in range(n)})

    async def worker(i: int) -> None:
        for _ in range(rounds):
            try:
                if rng.random() < 0.3:
                    async with r.pipeline(transaction=rng.random() < 0.5) as p:
                        p.get(f"k{i}").incr("counter").get(f"k{i}")
                        res = await asyncio.wait_for(p.execute(), rng.uniform(0, 0.002))
                    assert res[0] == res[2] == str(i).encode(), res
                else:
                    v = await asyncio.wait_for(r.get(f"k{i}"), rng.uniform(0, 0.001))
                    assert v == str(i).encode(), (i, v)
            except asyncio.TimeoutError:
                pass

    tasks = [asyncio.create_task(worker(i)) for i in range(n)]
    # Cancel some tasks outright, mid-flight.
    await asyncio.sleep(0.005)
    for t in rng.sample(tasks, 10):
        t.cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    for res in results:
        assert res is None or isinstance(res, asyncio.CancelledError), res
    # Every later reply is the right one.
    for i in range(n):
        assert await r.get(f"k{i}") == str(i).encode()
    got = await asyncio.gather(*(r.get(f"k{i}") for i in range(n)))
    assert got == [str(i).encode() for i in range(n)]


@pytest.mark.parametrize("backend", ["embedded", "remote"])
async def test_cancel_at_random_points(backend: str, redis_server: Any) -> None:
    if backend == "remote":
        redis_server.client().flushall()
    r = _client(backend, redis_server)
    await _cancel_storm(r, rounds=20, seed=7)
    await r.aclose()


@pytest.mark.long
@pytest.mark.parametrize("backend", ["embedded", "remote"])
async def test_cancel_at_random_points_long(backend: str, redis_server: Any) -> None:
    if backend == "remote":
        redis_server.client().flushall()
    r = _client(backend, redis_server)
    for seed in range(20):
        await _cancel_storm(r, rounds=50, seed=seed)
    await r.aclose()


async def test_cancelled_blocking_command_frees_its_connection(redis_server: Any) -> None:
    redis_server.client().flushall()
    r = _client("remote", redis_server, max_connections=2)
    for _ in range(5):
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(r.blpop(["q"], timeout=0), 0.02)
    # No connection stays blocked on the server nor counted as in use.
    await asyncio.sleep(0.05)
    assert r.connection_pool._in_use == set()
    await r.rpush("q", "x")
    assert await r.blpop(["q"], timeout=1) == (b"q", b"x")
    await r.aclose()


async def test_reconnect_after_server_drops_connection(redis_server: Any) -> None:
    r = _client("remote", redis_server)
    await r.set("k", "v")
    killer = redis_server.client()
    assert killer.client_kill_filter(_type="normal", skipme=True) >= 1
    await asyncio.sleep(0.05)
    assert await r.get("k") == b"v"
    # A command in flight when the connection drops raises ConnectionError;
    # the next one reconnects.
    pending = asyncio.create_task(r.blpop(["nothing"], timeout=0))
    await asyncio.sleep(0.05)
    killer.client_kill_filter(_type="normal", skipme=True)
    with pytest.raises(redcore.exceptions.ConnectionError):
        await pending
    assert await r.get("k") == b"v"
    await r.aclose()


async def test_connection_refused_is_connection_error() -> None:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    r = redcore.asyncio.Redis(port=port)
    with pytest.raises(redcore.exceptions.ConnectionError):
        await r.get("k")


async def test_socket_timeout_on_a_silent_server() -> None:
    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.read(4096):
            pass

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    # No retries: by default a handshake that times out is retried (the
    # command was not sent yet), as the sync client does.
    r = redcore.asyncio.Redis(port=port, socket_timeout=0.2, retry=Retry(NoBackoff(), 0))
    loop = asyncio.get_running_loop()
    start = loop.time()
    with pytest.raises(redcore.exceptions.TimeoutError):
        await r.get("k")
    assert 0.15 < loop.time() - start < 2
    await r.aclose()
    server.close()
    await server.wait_closed()


async def test_blocking_command_outlasts_socket_timeout(redis_server: Any) -> None:
    r = _client("remote", redis_server, socket_timeout=0.1)
    assert await r.blpop(["nothing-here"], timeout=0.3) is None
    assert await r.ping() is True
    await r.aclose()


async def test_pubsub_resubscribes_after_server_drops_connection(redis_server: Any) -> None:
    r = _client("remote", redis_server, decode_responses=True)
    p = r.pubsub(ignore_subscribe_messages=True)
    await p.subscribe("news")
    await p.psubscribe("n*")
    assert await p.get_message(timeout=1) is None  # confirmations
    assert await p.get_message(timeout=1) is None
    # (>= 1: a pub/sub connection another test left open may go too)
    assert redis_server.client().client_kill_filter(_type="pubsub") >= 1
    await asyncio.sleep(0.05)
    # The next read reconnects and subscribes again.
    for _ in range(3):
        await p.get_message(timeout=0.1)
    assert await r.publish("news", "back") == 2
    got = [await p.get_message(timeout=1), await p.get_message(timeout=1)]
    assert sorted(m["type"] for m in got) == ["message", "pmessage"]
    await p.aclose()
    await r.aclose()
