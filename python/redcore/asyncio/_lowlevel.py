"""redis.asyncio's low-level connection interface, shared by redcore's
asyncio connections to a server (:class:`redcore.asyncio.Connection`) and
to an embedded engine (:class:`redcore.asyncio.embedded.EmbeddedConnection`),
so that code driving connections itself (redis.asyncio's own ``Redis``,
``Pipeline`` and ``Lock``) runs on redcore's pools."""

from __future__ import annotations

import asyncio
import inspect
import os
from typing import Any, Awaitable, Callable, List, Tuple

from ..backoff import NoBackoff
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


def _changes_state(args: Tuple[Any, ...]) -> bool:
    first = args[0] if args else b""
    if isinstance(first, str):
        first = first.encode("utf-8", "replace")
    return bytes(first).split(b" ", 1)[0].upper() in _STATE_COMMANDS


def _encode_command(encoder: Any, args: Tuple[Any, ...]) -> List[bytes]:
    """A command's arguments as bytes, as redis-py packs them: a command
    name with spaces ("CLIENT SETNAME") is several words."""
    if not args:
        return []
    head = [bytes(w) for w in bytes(encoder.encode(args[0])).split()]
    return head + [bytes(encoder.encode(a)) for a in args[1:]]


def _retrieve(fut: "asyncio.Future[Any]") -> None:
    """Marks a dropped reply's error as seen (no "never retrieved" log)."""
    if not fut.cancelled():
        fut.exception()


class _LowLevel:
    """redis.asyncio's low-level connection interface (what its ``Redis``,
    ``Pipeline`` and ``Lock`` drive): ``await send_command(*args)`` sends
    a command, and ``await read_response()`` returns the oldest reply not
    read yet (an error reply raises), as the server sent it; the caller
    shapes it (redis.asyncio applies its response callbacks). Replies
    are decoded as the pool's ``decode_responses`` says. Commands run in
    order; the connection keeps its state (SELECT, MULTI, WATCH)."""

    health_check_interval = 0
    pool: Any
    # Each transport's: queues one command (its reply for read_response).
    send_command: Callable[..., Awaitable[None]]

    def _init_low_level(self) -> None:
        self.pid = os.getpid()
        # Retries are the pool's business (a handed-out connection never
        # resends by itself).
        self.retry = Retry(NoBackoff(), 0)
        self._connect_callbacks: List[Any] = []

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

    def register_connect_callback(self, callback: Any) -> None:
        """``callback(connection)`` (awaited when it returns an awaitable)
        runs after each :meth:`connect`."""
        if callback not in self._connect_callbacks:
            self._connect_callbacks.append(callback)

    def deregister_connect_callback(self, callback: Any) -> None:
        if callback in self._connect_callbacks:
            self._connect_callbacks.remove(callback)

    async def _run_connect_callbacks(self) -> None:
        for callback in list(self._connect_callbacks):
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
