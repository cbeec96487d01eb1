"""Redis Sentinel for :mod:`redcore.asyncio`: :class:`Sentinel`,
``master_for`` / ``slave_for``, with redis.asyncio.sentinel's API.

The logic is :mod:`redcore.sentinel`'s (shared through
``redcore._sentinel_base``); only the I/O awaits:

- every connection a :meth:`Sentinel.master_for` client opens asks
  Sentinel for the master's address, so after a failover the next
  connection goes to the new master;
- a command that cannot have reached the server (its connection could
  not be opened) is retried with the pool's retry policy, each attempt
  asking Sentinel again (redis-py #3874);
- a READONLY reply (the old master was demoted) drops the pool's
  connections, and the refused command is sent again to the master
  Sentinel names (it was not applied, so it cannot run twice);
- a ``+switch-master`` announcement, heard by a task subscribed on the
  Sentinels while a master client is in use, drops the connections at
  once, pub/sub ones included: a :class:`~redcore.asyncio.PubSub` then
  re-subscribes on the new master;
- a connection to the old master is closed, not pooled, when it is
  given back, so a switch never costs a pool slot (redis-py #4187).

    >>> sentinel = Sentinel([("localhost", 26379)], socket_timeout=0.5)  # doctest: +SKIP
    >>> master = sentinel.master_for("mymaster")  # doctest: +SKIP
    >>> await master.set("k", "v")  # doctest: +SKIP
    True
"""

from __future__ import annotations

import asyncio
import random
import weakref
from typing import Any, AsyncIterator, List, Optional, Tuple, Type

from .. import sentinel as _sync
from .._compat import adopt, redis_base
from .._sentinel_base import SentinelBase, SentinelPoolBase, not_found_message
from ..commands.sentinel import SentinelCommands
from ..exceptions import ConnectionError, ResponseError, TimeoutError
from .client import Redis
from .connection import Connection, ConnectionPool, SSLConnection


class MasterNotFoundError(_sync.MasterNotFoundError, *redis_base("redis.asyncio.sentinel", "MasterNotFoundError")):  # type: ignore[misc]
    """No Sentinel knows a healthy master for the service."""


class SlaveNotFoundError(_sync.SlaveNotFoundError, *redis_base("redis.asyncio.sentinel", "SlaveNotFoundError")):  # type: ignore[misc]
    """No replica (nor master) is available for the service."""


class SentinelManagedConnection(Connection, *redis_base("redis.asyncio.sentinel", "SentinelManagedConnection")):  # type: ignore[misc]
    """A connection of a :class:`SentinelConnectionPool`: it connects where
    Sentinel says."""

    def __init__(self, pool: "SentinelConnectionPool") -> None:
        super().__init__(pool)
        self.connection_pool = pool

    def __repr__(self) -> str:
        where = "" if self.address is None else f",host={self.address[0]},port={self.address[1]}"
        return f"<{type(self).__module__}.{type(self).__name__}(service={self.pool.service_name}{where})>"  # type: ignore[attr-defined]

    async def connect_to(self, address: Tuple[str, int]) -> None:
        """Opens the connection to ``address`` and runs the handshake."""
        await self._open((str(address[0]), int(address[1])))
        await self._handshake(self.pool.connection_kwargs)


class SentinelManagedSSLConnection(SentinelManagedConnection, SSLConnection):  # type: ignore[misc]
    """A TLS connection of a :class:`SentinelConnectionPool`."""


class SentinelConnectionPool(SentinelPoolBase, ConnectionPool, *redis_base("redis.asyncio.sentinel", "SentinelConnectionPool")):  # type: ignore[misc]
    """A pool whose connections go where Sentinel says: the master of
    ``service_name`` (``is_master=True``) or its replicas in turn."""

    _connection_type = SentinelManagedConnection

    def __init__(self, service_name: str, sentinel_manager: "Sentinel", **kwargs: Any) -> None:
        ssl = kwargs.pop("ssl", False)
        kwargs.setdefault("connection_class", SentinelManagedSSLConnection if ssl else SentinelManagedConnection)
        # Without a retry of the user's, a command that cannot have reached
        # the server (the connection could not be opened) is retried, and
        # each attempt asks Sentinel again (redis-py #3874).
        kwargs.setdefault(
            "_safe_retries",
            "retry" not in kwargs and not kwargs.get("retry_on_error") and not kwargs.get("retry_on_timeout"),
        )
        self._init_pool(service_name, sentinel_manager, kwargs)
        self._subscribers: "weakref.WeakSet[Connection]" = weakref.WeakSet()
        super().__init__(**kwargs)

    @property
    def _follows_master(self) -> bool:  # type: ignore[override]  # a READONLY reply means: reconnect
        return self.is_master

    def reset(self) -> None:
        """Forgets the addresses learnt from Sentinel and every connection."""
        self._forget_addresses()
        super().reset()

    def _drop_connections(self) -> None:
        super()._drop_connections()
        # A PubSub notices its dropped connection and re-subscribes on a
        # new one (at the address Sentinel gives then).
        for conn in list(self._subscribers):
            conn.disconnect()

    def _switch_drop(self) -> None:
        self._drop_connections()

    def _track_subscriber(self, conn: Connection) -> None:
        """Remembers a pub/sub connection of the pool's clients, to move
        it to the new master on a failover."""
        if self.is_master:
            self._subscribers.add(conn)

    async def _connect_address(self) -> Optional[Tuple[str, int]]:
        if self.is_master:
            watch = getattr(self.sentinel_manager, "_watch", None)
            if watch is not None:
                watch(self)
            return await self.get_master_address()
        async for address in self.rotate_slaves():
            return (str(address[0]), int(address[1]))
        raise SlaveNotFoundError(not_found_message("slave", self.service_name))  # pragma: no cover

    async def get_master_address(self) -> Tuple[str, int]:
        """Asks Sentinel for the master; a new address closes the
        connections to the old one."""
        return self._settle_master(await self.sentinel_manager.discover_master(self.service_name))

    async def rotate_slaves(self) -> AsyncIterator[Tuple[str, int]]:
        """The replicas in round-robin order, then the master as a fallback."""
        for address in self._round_robin(await self.sentinel_manager.discover_slaves(self.service_name)):
            yield address
        try:
            yield await self.get_master_address()
        except MasterNotFoundError:
            pass
        raise SlaveNotFoundError(not_found_message("slave", self.service_name))

    rotate_replicas = rotate_slaves

    def owns_connection(self, connection: Any) -> bool:
        """True if ``connection`` goes to the master Sentinel last named
        (always for a replica pool)."""
        return SentinelPoolBase.owns_connection(self, connection)


class Sentinel(SentinelBase, SentinelCommands, *redis_base("redis.asyncio.sentinel", "Sentinel")):  # type: ignore[misc]
    """A group of Sentinels watching one or more services (asyncio).

    Args:
        sentinels: ``[(host, port), ...]`` of the Sentinels.
        min_other_sentinels: a master is trusted only from a Sentinel that
            sees at least this many others.
        sentinel_kwargs: connection arguments for the Sentinels (default:
            the ``socket_*`` ones of ``connection_kwargs``).
        force_master_ip: use this address instead of the one announced.
        connection_kwargs: connection arguments for the masters and replicas.
    """

    _sentinel_client = Redis

    def _init_watch(self) -> None:
        self._listeners: List["asyncio.Task[None]"] = []

    # -- +switch-master --------------------------------------------------

    def _watch(self, pool: SentinelConnectionPool) -> None:
        """Drops ``pool``'s connections the moment a Sentinel announces a
        new master for its service (``+switch-master``): one task per
        Sentinel, on the running loop, listens while master pools live."""
        self._watched.add(pool)
        loop = asyncio.get_running_loop()
        self._listeners = [t for t in self._listeners if not t.done() and t.get_loop() is loop]
        if not self._listeners:
            self._listeners = [loop.create_task(self._listen(s)) for s in self.sentinels]

    async def _listen(self, sentinel: Redis) -> None:
        p = sentinel.pubsub(ignore_subscribe_messages=True)
        try:
            while len(self._watched):
                try:
                    if not p.subscribed:
                        await p.subscribe("+switch-master")
                    message = await p.get_message(timeout=1.0)
                except (ConnectionError, TimeoutError, OSError):
                    # That Sentinel is down: try it again later.
                    await p.aclose()
                    p = sentinel.pubsub(ignore_subscribe_messages=True)
                    await asyncio.sleep(1.0)
                    continue
                if message and message.get("type") == "message":
                    self._announce_switch(message["data"])
        finally:
            await p.aclose()

    # -- commands ----------------------------------------------------------

    async def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        """Runs a command on every Sentinel (``once=True``: on one at
        random); True if every reply is truthy, or the replies with
        ``return_responses=True``."""
        once = bool(kwargs.pop("once", False))
        return_responses = bool(kwargs.pop("return_responses", False))
        if once:
            response = await random.choice(self.sentinels).execute_command(*args, **kwargs)
            return [response] if return_responses else bool(response)
        responses = await asyncio.gather(*(s.execute_command(*args, **kwargs) for s in self.sentinels))
        return list(responses) if return_responses else all(responses)

    async def aclose(self) -> None:
        """Closes the Sentinel clients (not the clients of ``master_for``)."""
        listeners, self._listeners = self._listeners, []
        for t in listeners:
            t.cancel()
        for t in listeners:
            try:
                await t
            except BaseException:  # noqa: BLE001 - cancelled or failed: it is gone
                pass
        for s in self.sentinels:
            await s.aclose()

    async def __aenter__(self) -> "Sentinel":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    async def discover_master(self, service_name: str) -> Tuple[str, int]:
        """``(host, port)`` of the service's master from the first Sentinel
        that knows a healthy one (moved to the front of the list)."""
        errors: List[str] = []
        for i, sentinel in enumerate(self.sentinels):
            try:
                masters = await sentinel.sentinel_masters()
            except (ConnectionError, TimeoutError) as e:
                errors.append(f"{sentinel} - {e!r}")
                continue
            address = self._trusted_master(masters, service_name, i)
            if address is not None:
                return address
        raise MasterNotFoundError(not_found_message("master", service_name, errors))

    async def discover_slaves(self, service_name: str) -> List[Tuple[str, int]]:
        """The healthy replicas of the service, from the first Sentinel
        that lists any."""
        for sentinel in self.sentinels:
            try:
                slaves = await sentinel.sentinel_slaves(service_name)
            except (ConnectionError, ResponseError, TimeoutError):
                continue
            alive = self.filter_slaves(slaves)
            if alive:
                return alive
        return []

    discover_replicas = discover_slaves

    def master_for(
        self,
        service_name: str,
        redis_class: Type[Redis] = Redis,
        connection_pool_class: Type[SentinelConnectionPool] = SentinelConnectionPool,
        **kwargs: Any,
    ) -> Redis:
        """A client of the service's master (following failovers)."""
        pool = connection_pool_class(service_name, self, **self._pool_kwargs(kwargs, True))
        return redis_class.from_pool(pool)

    def slave_for(
        self,
        service_name: str,
        redis_class: Type[Redis] = Redis,
        connection_pool_class: Type[SentinelConnectionPool] = SentinelConnectionPool,
        **kwargs: Any,
    ) -> Redis:
        """A client of the service's replicas (round robin, falling back to
        the master)."""
        return redis_class.from_pool(connection_pool_class(service_name, self, **self._pool_kwargs(kwargs, False)))

    replica_for = slave_for


adopt(Sentinel)
adopt(SentinelConnectionPool)
adopt(SentinelManagedConnection)

__all__ = [
    "MasterNotFoundError",
    "Sentinel",
    "SentinelConnectionPool",
    "SentinelManagedConnection",
    "SentinelManagedSSLConnection",
    "SlaveNotFoundError",
]
