"""asyncio pools and connections on an embedded engine, for code that
drives connections itself: redis.asyncio's ``Redis(connection_pool=...)``,
a library's ``connection_pool_class`` (aiocache), a ``connection_class``
for redis.asyncio's own pool (channels-redis's host entries).
``redcore.asyncio.ConnectionPool(host="memory://name")`` and
``ConnectionPool.from_url("memory://name")`` make an
:class:`EmbeddedConnectionPool`.

    >>> import asyncio, redis.asyncio, redcore.asyncio
    >>> async def main():
    ...     pool = redcore.asyncio.ConnectionPool(host="memory://embedded-docs")
    ...     r = redis.asyncio.Redis(connection_pool=pool)
    ...     await r.rpush("q", "job")
    ...     return await r.blpop(["q"], timeout=1)
    >>> asyncio.run(main())
    (b'q', b'job')
"""

from __future__ import annotations

import asyncio
import math
import socket
from typing import Any, List, Optional, Set, Tuple

from .. import _redcore
from .. import connection as _sync_connection
from .._compat import adopt, redis_base
from ..connection import decode_reply, speaks_resp3
from ..exceptions import ConnectionError, MaxConnectionsError, TimeoutError
from ._lowlevel import _DONE, Signal, _Done, _LowLevel, _encode_command
from .connection import wait_pending


class EmbeddedConnection(_LowLevel):
    """A connection of an :class:`EmbeddedConnectionPool`: a session on the
    embedded engine with its own state (database, MULTI, WATCH).
    ``send_command`` runs the command at once, in the calling task; a
    blocking command that must wait (BLPOP, BZPOPMIN...) is awaited by
    ``read_response`` while the loop runs on."""

    def __init__(self, pool: Optional["EmbeddedConnectionPool"] = None, **connection_kwargs: Any) -> None:
        if pool is None:
            # Made from connection arguments (redis.asyncio's pools do).
            pool = EmbeddedConnectionPool(**connection_kwargs)
        self.pool = pool
        self._conn: Any = None
        # In pub/sub mode: the wake-up of the engine's subscriber (socket
        # pair, event, loop), set up by the first read that must wait.
        self._wake: Optional[Tuple[Any, Any, Signal, asyncio.AbstractEventLoop]] = None
        self._init_low_level()

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{type(self).__name__}({self.pool!r})>"

    @property
    def is_connected(self) -> bool:
        return self._conn is not None

    async def connect(self) -> None:
        """Opens the session (a no-op when open)."""
        if self._conn is None:
            conn = self.pool._sync.get_connection()
            # A blocked command comes back as a _redcore.Pending to await.
            conn._client._set_async(True)
            self._conn = conn
            await self._connected()

    def disconnect(self, *args: Any, **kwargs: Any) -> _Done:
        """Closes the session (replies not read are dropped). Returns a
        finished awaitable (redis.asyncio's ``await conn.disconnect()``)."""
        conn, self._conn = self._conn, None
        self._close_wakeup()
        if conn is not None:
            for reply in conn._replies:
                if isinstance(reply, _redcore.Pending):
                    reply.cancel()
            conn.disconnect()
            self.pool._sync.release(conn)
        return _DONE

    async def send_command(self, *args: Any, **kwargs: Any) -> None:
        """Runs a command; its reply waits for :meth:`read_response`. A
        SUBSCRIBE, PSUBSCRIBE or SSUBSCRIBE puts the connection in pub/sub
        mode (see :class:`redcore.connection.Connection`)."""
        await self.connect()
        self._conn.send_command(*_encode_command(self.encoder, args))

    async def read_response(self, disable_decoding: bool = False, timeout: Optional[float] = None, *,
                            disconnect_on_error: bool = True, push_request: bool = False) -> Any:
        """The oldest reply not read yet; an error reply raises. Replies
        are decoded as the pool's ``decode_responses`` says, unless
        ``disable_decoding``. In pub/sub mode it waits (without blocking
        the loop) for the next reply or message; after ``timeout``
        seconds (``math.inf`` or None: no limit) it returns None."""
        conn = self._conn
        if conn is None:
            raise ConnectionError("No reply to read: no command was sent on this connection.")
        while True:
            if conn._sub is not None and not conn._replies:
                limit = None if timeout is None or timeout == math.inf else timeout
                if not await self._wait_subscriber(conn, limit):
                    return None
            reply, push = conn._read_reply(timeout=0)
            if push_request or not (push and speaks_resp3(self.get_protocol())):
                break
            # A push not asked for (a message, an invalidation): to its
            # handler, and on to the next reply, as redis.asyncio does.
            self._read_done()
            await self._pushed(reply if disable_decoding or not self.encoder.decode_responses else decode_reply(self.encoder, reply), push)
        if isinstance(reply, _redcore.Pending):
            if timeout is None or timeout == math.inf:
                reply = await wait_pending(reply)
            else:
                try:
                    reply = await asyncio.wait_for(wait_pending(reply), timeout)
                except asyncio.TimeoutError:
                    raise TimeoutError("Timeout reading from the embedded engine") from None
        self._read_done()
        if not disable_decoding and self.encoder.decode_responses:
            reply = decode_reply(self.encoder, reply)
        if push_request and conn._sub is not None:
            return await self._pushed(reply, push)
        return reply

    async def _wait_subscriber(self, conn: Any, timeout: Optional[float]) -> bool:
        """Waits up to ``timeout`` seconds (None: no limit) for the
        engine's subscriber to have something to read; False if nothing
        came."""
        if conn.can_read(0):
            return True
        loop = asyncio.get_running_loop()
        signal = self._wakeup(conn._sub, loop)
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            # The wake-up comes from a loop callback: nothing arrives
            # between this check and the wait.
            if conn.can_read(0):
                return True
            if self._conn is not conn:
                raise ConnectionError("Connection closed by client.")
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0 or not await signal.wait(left):
                return conn.can_read(0)

    def _wakeup(self, sub: Any, loop: asyncio.AbstractEventLoop) -> Signal:
        """The event set when the engine delivers to ``sub`` (it writes a
        byte to a socket this loop watches)."""
        if self._wake is not None and self._wake[3] is not loop:
            self._close_wakeup()
        if self._wake is None:
            rsock, wsock = socket.socketpair()
            rsock.setblocking(False)
            wsock.setblocking(False)
            signal = Signal()

            def readable() -> None:
                try:
                    while rsock.recv(4096):
                        pass
                except (BlockingIOError, InterruptedError):
                    pass
                signal.set()

            loop.add_reader(rsock.fileno(), readable)
            sub.notify(wsock.fileno())
            self._wake = (rsock, wsock, signal, loop)
        return self._wake[2]

    def _close_wakeup(self) -> None:
        wake, self._wake = self._wake, None
        if wake is None:
            return
        rsock, wsock, signal, loop = wake
        if not loop.is_closed():
            loop.remove_reader(rsock.fileno())
        rsock.close()
        wsock.close()
        signal.set()  # a reader still waiting finds the connection closed

    async def can_read(self) -> bool:
        """True when a reply is waiting to be read."""
        return self._conn is not None and self._conn.can_read(0)

    @property
    def _unread(self) -> int:
        """Replies not read (any, in pub/sub mode: never reused)."""
        if self._conn is None:
            return 0
        return len(self._conn._replies) + len(self._conn._peeked) + (self._conn._sub is not None)


class EmbeddedConnectionPool(*redis_base("redis.asyncio.connection", "ConnectionPool")):  # type: ignore[misc]  # redis-py base when installed
    """An asyncio pool of connections to an embedded engine, for code that
    drives connections itself (redis.asyncio's ``Redis(connection_pool=)``,
    a library's ``connection_pool_class``). ``ConnectionPool`` with a
    ``memory://`` host, or ``ConnectionPool.from_url("memory://name")``,
    makes one. Its ``connection_kwargs`` are those of
    :class:`redcore.connection.EmbeddedConnectionPool` (``host`` is the
    engine's ``memory://`` URL), and ``redcore.asyncio.Redis(connection_pool=pool)``
    runs on its engine."""

    def __init__(self, connection_class: Any = None, max_connections: Optional[int] = None, **connection_kwargs: Any) -> None:
        self._sync = _sync_connection.EmbeddedConnectionPool(max_connections=max_connections, **connection_kwargs)
        self.connection_class = connection_class or EmbeddedConnection
        self.connection_kwargs = self._sync.connection_kwargs
        self.max_connections = self._sync.max_connections
        self._in_use: Set[EmbeddedConnection] = set()
        self._idle: List[EmbeddedConnection] = []

    @classmethod
    def _over(cls, sync_pool: Any) -> "EmbeddedConnectionPool":
        """The asyncio face of an existing sync embedded pool (an embedded
        ``redcore.asyncio.Redis``'s ``connection_pool``): same engine,
        database and settings."""
        pool = cls.__new__(cls)
        pool._sync = sync_pool
        pool.connection_class = EmbeddedConnection
        pool.connection_kwargs = sync_pool.connection_kwargs
        pool.max_connections = sync_pool.max_connections
        pool._in_use = set()
        pool._idle = []
        return pool

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> "EmbeddedConnectionPool":
        """A pool from a ``memory://[name][/db]`` URL (what it gives wins
        over ``kwargs``, as for redis:// URLs). For a library that takes a
        pool class and only ``redis://`` URLs (cashews),
        ``redis://name/db`` names the engine by its host."""
        return cls(**{**kwargs, **_sync_connection.parse_memory_url(url)})

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{type(self).__name__}(memory://{self.name} db={self.connection_kwargs['db']})>"

    @property
    def name(self) -> str:
        """The engine's name."""
        return self._sync.name

    def get_encoder(self) -> Any:
        return self._sync.get_encoder()

    def get_protocol(self) -> Any:
        return self._sync.get_protocol()

    def get_retry(self) -> Any:
        return self._sync.get_retry()

    def set_retry(self, retry: Any) -> None:
        self._sync.set_retry(retry)

    async def get_connection(self, command_name: Any = None, *keys: Any, **options: Any) -> EmbeddedConnection:
        """A connection of the caller's own until :meth:`release`."""
        conn = self._idle.pop() if self._idle else None
        if conn is None:
            if len(self._in_use) >= self.max_connections:
                raise MaxConnectionsError("Too many connections")
            conn = EmbeddedConnection(self)
        self._in_use.add(conn)
        await conn.connect()
        return conn

    async def release(self, connection: EmbeddedConnection) -> None:
        """Gives back a connection; one with replies not read is closed."""
        if connection not in self._in_use:
            return
        self._in_use.discard(connection)
        if connection.is_connected and not connection._unread:
            self._idle.append(connection)
        else:
            connection.disconnect()

    def owns_connection(self, connection: Any) -> bool:
        return getattr(connection, "pool", None) is self

    async def disconnect(self, inuse_connections: bool = True) -> None:
        """Closes the idle connections (and those in use, by default); the
        data stays in the engine."""
        for c in self._idle:
            c.disconnect()
        self._idle.clear()
        if inuse_connections:
            for c in list(self._in_use):
                c.disconnect()

    async def aclose(self) -> None:
        """``disconnect()``."""
        await self.disconnect()

    def reset(self) -> None:
        """Forgets every connection (closing them)."""
        for c in [*self._idle, *self._in_use]:
            c.disconnect()
        self._idle.clear()
        self._in_use.clear()

    def get_connection_count(self) -> int:
        """Connections handed out or idle."""
        return len(self._idle) + len(self._in_use)


adopt(EmbeddedConnectionPool)

__all__ = ["EmbeddedConnection", "EmbeddedConnectionPool"]
