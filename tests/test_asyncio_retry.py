"""``retry=``, ``retry_on_error=`` and ``retry_on_timeout=`` on the
network :class:`redcore.asyncio.Redis`, honoured as redis.asyncio does.

The client talks to the oracle redis-server through a proxy in the test
that drops (or leaves unanswered) the first connections after reading
what the client sent, so each such attempt fails with its request's
reply lost. The number of connections the proxy saw is the number of
attempts; redis.asyncio, given the same policy, makes as many.
"""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator, List

import pytest
import pytest_asyncio
import redis
import redis.asyncio
import redis.asyncio.retry
import redis.backoff

import redcore
import redcore.asyncio
from redcore.asyncio.retry import Retry
from redcore.backoff import ConstantBackoff, NoBackoff

pytestmark = pytest.mark.asyncio


TRIGGER = b"retry:"


class DroppingProxy:
    """A TCP proxy to ``target_port`` that forwards everything except:

    - the next ``drop`` requests naming a ``retry:`` key: the connection is
      closed instead (the request never reaches the server, its reply is
      lost: to the client, as if the server died after reading it);
    - the next ``mute`` such requests: never forwarded nor answered;
    - the first data of the next ``drop_new`` connections (the handshake):
      the connection is closed before any command could be sent.

    ``seen`` counts the ``retry:`` requests that arrived (the attempts),
    ``connections`` the connections."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.drop = self.mute = self.drop_new = 0
        self.seen = self.connections = 0
        self._tasks: List["asyncio.Task[Any]"] = []
        self._writers: List[asyncio.StreamWriter] = []

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self.server.close()
        for w in self._writers:
            w.close()
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.append(writer)
        if self.drop_new > 0:
            self.drop_new -= 1
            await reader.read(65536)
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._writers.append(up_writer)

        async def requests() -> None:
            muted = False
            try:
                while data := await reader.read(65536):
                    if TRIGGER in data:
                        self.seen += 1
                        if self.drop > 0:
                            self.drop -= 1
                            break
                        if self.mute > 0:
                            self.mute -= 1
                            muted = True
                    if not muted:
                        up_writer.write(data)
                        await up_writer.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                up_writer.close()
                writer.close()

        async def replies() -> None:
            try:
                while data := await up_reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                writer.close()

        self._tasks += [asyncio.ensure_future(requests()), asyncio.ensure_future(replies())]


@pytest_asyncio.fixture
async def proxy(redis_server: Any) -> AsyncIterator[DroppingProxy]:
    p = DroppingProxy(redis_server.port)
    await p.start()
    yield p
    await p.stop()


def _client(kind: str, port: int, **kwargs: Any) -> Any:
    if kind == "redcore":
        return redcore.asyncio.Redis(port=port, **kwargs)
    retry = kwargs.get("retry")
    if retry is not None:
        # redis.asyncio's own Retry class, with the same policy.
        backoff = redis.backoff.ConstantBackoff(retry._backoff._backoff)
        kwargs["retry"] = redis.asyncio.retry.Retry(backoff, retry.get_retries())
    return redis.asyncio.Redis(port=port, **kwargs)


@pytest.mark.parametrize("kind", ["redcore", "redis-py"])
async def test_lost_replies_are_retried_up_to_the_configured_attempts(kind: str, proxy: DroppingProxy, redis_server: Any) -> None:
    redis_server.client().delete("retry:n")
    r = _client(kind, proxy.port, retry=Retry(ConstantBackoff(0.01), 3))
    # Two attempts lost, the third goes through: the command ran once.
    proxy.drop = 2
    assert await r.incr("retry:n") == 1
    assert proxy.seen == 3
    # More failures than retries: 1 + 3 attempts, then the error.
    proxy.drop = 10
    proxy.seen = 0
    with pytest.raises(redis.exceptions.ConnectionError):
        await r.incr("retry:n")
    assert proxy.seen == 4
    proxy.drop = 0
    assert await r.incr("retry:n") == 2
    assert redis_server.client().get("retry:n") == b"2"
    await r.aclose()


async def test_retry_on_error_alone_retries_once(proxy: DroppingProxy) -> None:
    # As the sync client: retry_on_error without retry= means one retry.
    r = redcore.asyncio.Redis(port=proxy.port, retry_on_error=[redis.exceptions.ConnectionError])
    proxy.drop = 1
    assert await r.get("retry:e") is None
    assert proxy.seen == 2
    proxy.drop = 2
    proxy.seen = 0
    with pytest.raises(redis.exceptions.ConnectionError):
        await r.get("retry:e")
    assert proxy.seen == 2
    await r.aclose()


@pytest.mark.filterwarnings("ignore:Call to '__init__' function with deprecated usage:DeprecationWarning")
@pytest.mark.parametrize("kind", ["redcore", "redis-py"])
async def test_retry_on_timeout(kind: str, proxy: DroppingProxy) -> None:
    r = _client(kind, proxy.port, socket_timeout=0.3, retry=Retry(NoBackoff(), 1), retry_on_timeout=True)
    proxy.mute = 1
    assert await r.get("retry:t") is None
    assert proxy.seen == 2
    await r.aclose()


async def test_without_retry_a_lost_reply_is_not_resent(proxy: DroppingProxy, redis_server: Any) -> None:
    # By default (as the sync client) a command whose reply was lost is
    # not sent again: INCR must not run twice behind the caller's back.
    redis_server.client().delete("retry:once")
    r = redcore.asyncio.Redis(port=proxy.port, socket_timeout=0.3)
    proxy.drop = 1
    with pytest.raises(redcore.ConnectionError):
        await r.incr("retry:once")
    assert proxy.seen == 1
    proxy.mute = 1
    with pytest.raises(redcore.TimeoutError):
        await r.incr("retry:once")
    assert proxy.seen == 2
    assert await r.incr("retry:once") == 1
    # What cannot have reached the server is retried: here the connection
    # drops during its handshake, twice.
    await r.connection_pool.disconnect()
    proxy.drop_new = 2
    proxy.connections = 0
    assert await r.incr("retry:once") == 2
    assert proxy.connections == 3
    await r.aclose()


async def test_pipelines_are_retried_whole(proxy: DroppingProxy, redis_server: Any) -> None:
    redis_server.client().delete("retry:p")
    r = redcore.asyncio.Redis(port=proxy.port, retry=Retry(NoBackoff(), 2), decode_responses=True)
    for transaction in (True, False):
        proxy.drop = 2
        proxy.seen = 0
        async with r.pipeline(transaction=transaction) as pipe:
            pipe.rpush("retry:p", "a").rpush("retry:p", "b").lrange("retry:p", 0, -1)
            results = await pipe.execute()
        assert proxy.seen == 3
        assert results[-1][-2:] == ["a", "b"]
    assert await r.lrange("retry:p", 0, -1) == ["a", "b", "a", "b"]
    await r.aclose()


async def test_server_killing_connections_between_commands(redis_server: Any) -> None:
    # CLIENT KILL between commands: the next command opens a new
    # connection (nothing was lost); with retry= a command whose
    # connection dies under it is sent again.
    r = redcore.asyncio.Redis(port=redis_server.port, retry=Retry(NoBackoff(), 3), client_name="retry-victim")
    killer = redis.Redis(port=redis_server.port)
    for i in range(5):
        assert await r.set("retry:k", i) is True
        assert killer.execute_command("CLIENT", "KILL", "ID", await r.client_id()) == 1
        await asyncio.sleep(0.01)
    assert await r.get("retry:k") == b"4"
    assert r.get_retry().get_retries() == 3
    # Killed while a blocking command waits: the retry resends it.
    blocked = asyncio.ensure_future(r.blpop(["retry:list"], timeout=5))
    await asyncio.sleep(0.2)
    victims = [c["id"] for c in killer.client_list() if c.get("cmd") == "blpop"]
    assert victims
    killer.execute_command("CLIENT", "KILL", "ID", victims[0])
    await asyncio.sleep(0.2)
    killer.rpush("retry:list", "x")
    assert await blocked == (b"retry:list", b"x")
    await r.aclose()


@pytest.mark.parametrize("kind", ["redcore", "redis-py"])
async def test_single_connection_client_retries_and_reconnects(kind: str, proxy: DroppingProxy, redis_server: Any) -> None:
    redis_server.client().delete("retry:single")
    r = _client(kind, proxy.port, single_connection_client=True, retry=Retry(ConstantBackoff(0.01), 3))
    assert await r.incr("retry:single") == 1
    # Two attempts lost, the third, on a new connection, goes through.
    proxy.drop = 2
    proxy.seen = proxy.connections = 0
    assert await r.incr("retry:single") == 2
    assert proxy.seen == 3 and proxy.connections == 2
    proxy.drop = 10
    proxy.seen = 0
    with pytest.raises(redis.exceptions.ConnectionError):
        await r.incr("retry:single")
    assert proxy.seen == 4
    proxy.drop = 0
    assert await r.incr("retry:single") == 3
    await r.aclose()


async def test_single_connection_client_without_retry_reopens(proxy: DroppingProxy, redis_server: Any) -> None:
    # A lost reply is not resent by default, but the next command opens a
    # new connection (the dead one is not kept).
    redis_server.client().delete("retry:single1")
    r = redcore.asyncio.Redis(port=proxy.port, single_connection_client=True)
    proxy.drop = 1
    with pytest.raises(redcore.ConnectionError):
        await r.incr("retry:single1")
    assert proxy.seen == 1
    assert await r.incr("retry:single1") == 1
    async with r.pipeline(transaction=True) as pipe:
        assert await pipe.incr("retry:single1").get("retry:single1").execute() == [2, b"2"]
    # Many tasks reopening it at once still make one connection.
    r._single.disconnect()
    assert await asyncio.gather(*(r.incr("retry:single1") for _ in range(20))) == list(range(3, 23))
    assert len(r.connection_pool._in_use) == 1
    await r.aclose()


async def test_watch_connection_retries_watch_and_raises_watch_error(proxy: DroppingProxy, redis_server: Any) -> None:
    redis_server.client().set("retry:w", 1)
    r = redcore.asyncio.Redis(port=proxy.port, retry=Retry(NoBackoff(), 2))
    async with r.pipeline() as pipe:
        # The WATCH itself is retried on a new connection.
        proxy.drop = 1
        assert await pipe.watch("retry:w") is True
        assert proxy.seen == 2
        # Once watching, a lost connection lost the WATCH: WatchError (as
        # redis.asyncio), never a silent retry on a new connection.
        proxy.drop = 1
        with pytest.raises(redis.exceptions.WatchError, match="ConnectionError occurred while watching"):
            await pipe.get("retry:w")
        assert await pipe.watch("retry:w") is True
        assert await pipe.get("retry:w") == b"1"
        pipe.multi()
        pipe.set("retry:w", 2)
        proxy.drop = 1
        with pytest.raises(redis.exceptions.WatchError):
            await pipe.execute()
    assert redis_server.client().get("retry:w") == b"1"

    # transaction() retries after such a WatchError and completes.
    async def bump(pipe: Any) -> None:
        value = int(await pipe.get("retry:w"))
        pipe.multi()
        pipe.set("retry:w", value + 10)

    proxy.drop = 1
    proxy.seen = 0
    assert await r.transaction(bump, "retry:w") == [True]
    assert redis_server.client().get("retry:w") == b"11"
    await r.aclose()


async def test_redis_asyncio_raises_watch_error_too(proxy: DroppingProxy, redis_server: Any) -> None:
    # The behaviour matched above, on redis.asyncio itself.
    redis_server.client().set("retry:w2", 1)
    r = redis.asyncio.Redis(port=proxy.port)
    async with r.pipeline() as pipe:
        await pipe.watch("retry:w2")
        proxy.drop = 1
        with pytest.raises(redis.exceptions.WatchError):
            await pipe.get("retry:w2")
    await r.aclose()
