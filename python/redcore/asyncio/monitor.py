"""``redcore.asyncio.Redis.monitor()``: redis.asyncio's ``Monitor``, the
commands every client of the engine (or server) runs, awaited one at a
time, on a connection of its own.

The lines are parsed as the sync :class:`redcore.monitor.Monitor` parses
them; waiting for the next one never blocks the loop (the connection
wakes it, as a :class:`~redcore.asyncio.PubSub` subscriber's does).

    >>> import asyncio, redcore.asyncio
    >>> async def main():
    ...     r = redcore.asyncio.Redis(name="amonitor-doc")
    ...     async with r.monitor() as m:
    ...         await redcore.asyncio.Redis(name="amonitor-doc").set("k", "v")
    ...         return (await m.next_command())["command"]
    >>> asyncio.run(main())
    'SET k v'
"""

from __future__ import annotations

from typing import Any, AsyncIterator, Dict, Optional

from ..exceptions import ConnectionError, RedisError
from ..monitor import check_started, parse_line
from .pubsub import SubscriberWaker, open_subscriber


class Monitor:
    """A MONITOR stream: ``async with r.monitor() as m``, then
    ``await m.next_command()`` or ``async for command in m.listen()``.
    Leaving the ``async with`` block closes its connection."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.connection_pool = client.connection_pool
        # The monitor's own connection (None until connect()).
        self.connection: Optional[Any] = None
        self._started = False
        self._waker = SubscriberWaker()

    async def connect(self) -> None:
        """Opens the monitor's connection (``async with`` does, and starts
        MONITOR on it)."""
        if self.connection is None:
            pool = self._client._pool
            self.connection = self._client._sync._subscriber() if pool is None else await open_subscriber(pool)

    async def __aenter__(self) -> "Monitor":
        await self.connect()
        assert self.connection is not None
        self.connection.send("MONITOR")
        check_started(await self._read())
        self._started = True
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Closes the connection (the server stops sending to it)."""
        conn, self.connection = self.connection, None
        self._started = False
        self._waker.close()
        if conn is not None:
            conn.close()

    async def _read(self) -> Any:
        """The next line the connection receives, waiting for it."""
        conn = self.connection
        if conn is None:
            raise RedisError("use the Monitor as an async context manager (async with r.monitor() as m: ...)")
        while True:
            event = self._waker.event(conn)
            assert event is not None
            event.clear()
            item = conn.read(0)
            if item is not None:
                return item
            if getattr(conn, "_closed", False):
                raise getattr(conn, "_lost_exc", None) or ConnectionError("Connection closed by server.")
            await event.wait()

    async def next_command(self) -> Dict[str, Any]:
        """The next command: ``time``, ``db``, ``client_address``,
        ``client_port``, ``client_type`` and ``command`` (its arguments
        joined by spaces). Waits until one runs."""
        if not self._started:
            raise RedisError("use the Monitor as an async context manager (async with r.monitor() as m: ...)")
        return parse_line(await self._read())

    async def listen(self) -> AsyncIterator[Dict[str, Any]]:
        """Every command, as :meth:`next_command` returns them."""
        while True:
            yield await self.next_command()


__all__ = ["Monitor"]
