"""redis.asyncio's low-level connection interface, shared by redcore's
asyncio connections to a server (:class:`redcore.asyncio.Connection`) and
to an embedded engine (:class:`redcore.asyncio.embedded.EmbeddedConnection`),
so that code driving connections itself (redis.asyncio's own ``Redis``,
``Pipeline`` and ``Lock``) runs on redcore's pools."""

from __future__ import annotations

import asyncio
import inspect
import os
from typing import Any, Awaitable, Callable, List, Optional, Tuple

from ..backoff import NoBackoff
from ..connection import _SUBSCRIBE_COMMANDS, ConnectCallbacks, PushHandlers, _command_name
from .retry import Retry


class _Done:
    """A finished awaitable: what ``disconnect()`` returns. It closes at
    once (redcore's own code calls it without ``await``), and code written
    for redis.asyncio, which awaits ``conn.disconnect()``, finds nothing
    left to wait for."""

    __slots__ = ()

    def __await__(self) -> Any:
        return iter(())


_DONE = _Done()

# Commands after which a connection's database or name may differ from
# what it recorded (see Connection.state).
_STATE_COMMANDS = frozenset({b"SELECT", b"CLIENT", b"HELLO", b"RESET"})

# read_response's "nothing arrived in time".
_NOTHING = object()


def _changes_state(args: Tuple[Any, ...]) -> bool:
    return _command_name(args) in _STATE_COMMANDS


def is_subscribe(args: Tuple[Any, ...]) -> bool:
    """Whether the command puts a connection in pub/sub mode."""
    return _command_name(args) in _SUBSCRIBE_COMMANDS


def _encode_command(encoder: Any, args: Tuple[Any, ...]) -> List[bytes]:
    """A command's arguments as bytes, as redis-py packs them: a command
    name with spaces ("CLIENT SETNAME") is several words."""
    if not args:
        return []
    head = [bytes(w) for w in bytes(encoder.encode(args[0])).split()]
    return head + [bytes(encoder.encode(a)) for a in args[1:]]


class Signal:
    """Wakes the tasks waiting for something to read. Unlike
    ``asyncio.wait_for(event.wait(), t)`` a waiter is a bare future, so a
    cancelled reader leaves at once (no inner task to cancel and wait for,
    which Python 3.11's ``wait_for`` can hang on). Set only from the
    loop's callbacks: check, then wait, and nothing is missed."""

    __slots__ = ("_waiters",)

    def __init__(self) -> None:
        self._waiters: List["asyncio.Future[bool]"] = []

    def set(self) -> None:
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(True)

    async def wait(self, timeout: Optional[float]) -> bool:
        """True when woken, False after ``timeout`` seconds (None: no limit)."""
        loop = asyncio.get_running_loop()
        fut: "asyncio.Future[bool]" = loop.create_future()
        self._waiters.append(fut)
        handle = None if timeout is None else loop.call_later(max(0.0, timeout), _expire, fut)
        try:
            return await fut
        finally:
            if handle is not None:
                handle.cancel()
            if fut in self._waiters:
                self._waiters.remove(fut)


def _expire(fut: "asyncio.Future[bool]") -> None:
    if not fut.done():
        fut.set_result(False)


def _retrieve(fut: "asyncio.Future[Any]") -> None:
    """Marks a dropped reply's error as seen (no "never retrieved" log)."""
    if not fut.cancelled():
        fut.exception()


class _LowLevel(ConnectCallbacks):
    """redis.asyncio's low-level connection interface (what its ``Redis``,
    ``Pipeline`` and ``Lock`` drive): ``await send_command(*args)`` sends
    a command, and ``await read_response()`` returns the oldest reply not
    read yet (an error reply raises), as the server sent it; the caller
    shapes it (redis.asyncio applies its response callbacks). Replies
    are decoded as the pool's ``decode_responses`` says, unless
    ``read_response(disable_decoding=True)``. Commands run in order; the
    connection keeps its state (SELECT, MULTI, WATCH). A SUBSCRIBE puts
    it in pub/sub mode, and connect callbacks re-subscribe after a
    reconnection: redis.asyncio's ``PubSub`` runs on it."""

    pool: Any
    # Each transport's: queues one command (its reply for read_response).
    send_command: Callable[..., Awaitable[None]]

    def _init_low_level(self) -> None:
        self.pid = os.getpid()
        # Retries are the pool's business (a handed-out connection never
        # resends by itself).
        self.retry = Retry(NoBackoff(), 0)
        self._connect_callbacks: List[Any] = []
        # redis.asyncio's PubSub pings a quiet subscriber connection every
        # health_check_interval seconds (when this loop time has passed).
        self.next_health_check = -1.0
        self._parser = PushHandlers()

    @property
    def health_check_interval(self) -> int:
        return int(self.pool.connection_kwargs.get("health_check_interval") or 0)

    @property
    def credential_provider(self) -> Any:
        return self.pool.connection_kwargs.get("credential_provider")

    async def _pushed(self, reply: Any, push: bool) -> Any:
        """A reply read in pub/sub mode (a push frame when ``push``),
        through its handler when it is a RESP3 push (see
        :class:`~redcore.connection.PushHandlers`; redis.asyncio's
        handlers are coroutine functions, awaited)."""
        result = self._parser.pushed(reply, self.get_protocol(), push)
        if inspect.isawaitable(result):
            result = await result
        return result

    def _read_done(self) -> None:
        """After a reply was read: the next health check is due later."""
        interval = self.health_check_interval
        if interval:
            self.next_health_check = asyncio.get_running_loop().time() + interval

    @property
    def db(self) -> int:
        return int(self.pool.connection_kwargs.get("db", 0) or 0)

    @property
    def encoder(self) -> Any:
        return self.pool.get_encoder()

    def get_protocol(self) -> Any:
        return self.pool.connection_kwargs.get("protocol")

    def set_retry(self, retry: Any) -> None:
        self.retry = retry

    def should_reconnect(self) -> bool:
        """False: a dropped connection is replaced by the pool."""
        return False

    async def _connected(self) -> None:
        """After each (re)connection: the next health check is due one
        interval from now; the connect callbacks run."""
        self._read_done()
        await self._run_connect_callbacks()

    async def _run_connect_callbacks(self) -> None:
        for ref in list(self._connect_callbacks):
            callback = ref()
            if callback is None:
                continue
            done = callback(self)
            if inspect.isawaitable(done):
                await done

    def pack_command(self, *args: Any) -> List[Tuple[Any, ...]]:
        """One command, in the form :meth:`send_packed_command` takes."""
        return [args]

    def pack_commands(self, commands: Any) -> List[Tuple[Any, ...]]:
        """Several commands, in the form :meth:`send_packed_command` takes."""
        return [tuple(c) for c in commands]

    async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        for args in command:
            await self.send_command(*args)

    async def re_auth(self) -> None:
        """Nothing to do: redis.asyncio re-authenticates a released
        connection with a token a streaming credential provider handed it
        (``set_re_auth_token``); redcore's connections take their
        credentials from the pool's ``credential_provider`` when they open,
        and no token is ever pending on them."""

    async def can_read_destructive(self) -> bool:
        """redis-py 7's name of ``can_read()``."""
        return bool(await self.can_read())  # type: ignore[attr-defined]

    async def check_health(self) -> None:
        """Health checks are the pool's (``health_check_interval``)."""
