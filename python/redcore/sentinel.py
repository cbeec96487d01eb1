"""Redis Sentinel: :class:`Sentinel`, ``master_for`` / ``slave_for``, with
redis-py's API.

A client from :meth:`Sentinel.master_for` asks Sentinel for the master's
address every time its pool opens a connection, so after a failover the
next connection goes to the new master. The pool also drops its
connections (and re-asks Sentinel) when the old master answers
``READONLY`` because it has become a replica, and retries the refused
command there: a refused write was not applied, so this cannot run it
twice. A connection error is retried (with the pool's ``retry``) when the
command cannot have reached the server, and each retry asks Sentinel
again, so a client follows a failover instead of retrying a dead address.
A pub/sub connection of a master client reconnects where Sentinel points
(on a dropped connection, a new master address or ``+switch-master``) and
re-subscribes there. The logic shared with :mod:`redcore.asyncio.sentinel`
lives in ``redcore._sentinel_base``.

    >>> sentinel = Sentinel([("localhost", 26379)], socket_timeout=0.5)  # doctest: +SKIP
    >>> master = sentinel.master_for("mymaster")  # doctest: +SKIP
    >>> master.set("k", "v")  # doctest: +SKIP
    True
"""

from __future__ import annotations

import random
import threading
import weakref
from typing import Any, Iterator, List, Optional, Tuple, Type

from ._sentinel_base import SentinelBase, SentinelPoolBase, not_found_message
from .client import Redis
from .commands.sentinel import SentinelCommands
from ._compat import adopt, redis_base
from .connection import Connection, ConnectionPool, SSLConnection
from .exceptions import ConnectionError, ResponseError, TimeoutError


class MasterNotFoundError(ConnectionError, *redis_base("redis.sentinel", "MasterNotFoundError")):  # type: ignore[misc]
    """No Sentinel knows a healthy master for the service."""


class SlaveNotFoundError(ConnectionError, *redis_base("redis.sentinel", "SlaveNotFoundError")):  # type: ignore[misc]
    """No replica (nor master) is available for the service."""


class SentinelManagedConnection(Connection, *redis_base("redis.sentinel", "SentinelManagedConnection")):  # type: ignore[misc]
    """A connection of a :class:`SentinelConnectionPool` (its address comes
    from Sentinel)."""


class SentinelManagedSSLConnection(SentinelManagedConnection, SSLConnection):  # type: ignore[misc]
    """A TLS connection of a :class:`SentinelConnectionPool`."""


def _resolver(pool: "SentinelConnectionPool") -> Any:
    """The callable the Rust pool calls for each new connection's address.
    It holds the pool weakly: the pool owns the Rust core that holds it."""
    ref = weakref.ref(pool)

    def resolve() -> Tuple[str, int]:
        p = ref()
        if p is None:
            raise ConnectionError("the connection pool is gone")
        if p.is_master:
            host, port = p.get_master_address()
        else:
            host, port = p._next_replica()
        return str(host), int(port)

    return resolve


class SentinelConnectionPool(SentinelPoolBase, ConnectionPool, *redis_base("redis.sentinel", "SentinelConnectionPool")):  # type: ignore[misc]
    """A pool whose connections go where Sentinel says: the master of
    ``service_name`` (``is_master=True``) or its replicas in turn."""

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
        self._subscribers: "weakref.WeakSet[Any]" = weakref.WeakSet()
        super().__init__(**kwargs)

    def _make_core(self) -> Any:
        core = super()._make_core()
        core._set_resolver(_resolver(self), self.is_master)
        return core

    def reset(self) -> None:
        self._forget_addresses()
        self.disconnect()

    def _track_subscriber(self, subscriber: Any) -> None:
        """Remembers a pub/sub connection of this pool's clients: a master
        pool makes it reconnect (to the new master) on a failover."""
        if self.is_master and hasattr(subscriber, "reconnect"):
            self._subscribers.add(subscriber)

    def _switch_drop(self) -> None:
        self.disconnect()
        # Subscribers reconnect (asking Sentinel) and re-subscribe.
        for sub in list(self._subscribers):
            sub.reconnect()

    def get_master_address(self) -> Tuple[str, int]:
        """Asks Sentinel for the master; a new address closes the idle
        connections to the old one."""
        return self._settle_master(self.sentinel_manager.discover_master(self.service_name))

    def rotate_slaves(self) -> Iterator[Tuple[str, int]]:
        """The replicas in round-robin order, then the master as a fallback."""
        yield from self._round_robin(self.sentinel_manager.discover_slaves(self.service_name))
        try:
            yield self.get_master_address()
        except MasterNotFoundError:
            pass
        raise SlaveNotFoundError(not_found_message("slave", self.service_name))

    rotate_replicas = rotate_slaves

    def _next_replica(self) -> Tuple[str, int]:
        for address in self.rotate_slaves():
            return address
        raise SlaveNotFoundError(not_found_message("slave", self.service_name))  # pragma: no cover


class Sentinel(SentinelBase, SentinelCommands, *redis_base("redis.sentinel", "Sentinel")):  # type: ignore[misc]
    """A group of Sentinels watching one or more services.

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
        self._watch_lock = threading.Lock()
        self._watcher: Optional[threading.Thread] = None
        self._closed = threading.Event()

    def _watch(self, pool: "SentinelConnectionPool") -> None:
        """Drops ``pool``'s connections the moment a Sentinel announces a
        new master for its service (``+switch-master``), so writes stop
        going to the old master at once instead of when it is demoted
        seconds later (what it accepted meanwhile would be lost)."""
        with self._watch_lock:
            self._watched.add(pool)
            if self._watcher is None or not self._watcher.is_alive():
                self._closed.clear()
                self._watcher = threading.Thread(target=self._listen, name="redcore-sentinel-watch", daemon=True)
                self._watcher.start()

    def _listen(self) -> None:
        subs = []
        for sentinel in self.sentinels:
            try:
                p = sentinel.pubsub(ignore_subscribe_messages=True)
                p.subscribe("+switch-master")
                subs.append(p)
            except (ConnectionError, TimeoutError):
                continue
        try:
            while subs and not self._closed.is_set() and len(self._watched):
                for p in subs:
                    try:
                        message = p.get_message(timeout=0.05)
                    except (ConnectionError, TimeoutError):
                        continue
                    if message and message.get("type") == "message":
                        self._announce_switch(message["data"])
        finally:
            for p in subs:
                p.close()

    def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        """Runs a command on every Sentinel (``once=True``: on one at
        random); True if every reply is truthy, or the replies with
        ``return_responses=True``."""
        once = bool(kwargs.pop("once", False))
        return_responses = bool(kwargs.pop("return_responses", False))
        if once:
            response = random.choice(self.sentinels).execute_command(*args, **kwargs)
            return [response] if return_responses else bool(response)
        responses = [s.execute_command(*args, **kwargs) for s in self.sentinels]
        return responses if return_responses else all(responses)

    def close(self) -> None:
        """Closes the Sentinel clients (not the clients of ``master_for``)."""
        self._closed.set()
        if self._watcher is not None and self._watcher is not threading.current_thread():
            self._watcher.join(timeout=2)
        first: Optional[BaseException] = None
        for s in self.sentinels:
            try:
                s.close()
            except Exception as e:  # noqa: BLE001 - re-raised below
                first = first or e
        if first is not None:
            raise first

    def __enter__(self) -> "Sentinel":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def discover_master(self, service_name: str) -> Tuple[str, int]:
        """``(host, port)`` of the service's master from the first Sentinel
        that knows a healthy one (moved to the front of the list)."""
        errors: List[str] = []
        for i, sentinel in enumerate(self.sentinels):
            try:
                masters = sentinel.sentinel_masters()
            except (ConnectionError, TimeoutError) as e:
                errors.append(f"{sentinel} - {e!r}")
                continue
            address = self._trusted_master(masters, service_name, i)
            if address is not None:
                return address
        raise MasterNotFoundError(not_found_message("master", service_name, errors))

    def discover_slaves(self, service_name: str) -> List[Tuple[str, int]]:
        """The healthy replicas of the service, from the first Sentinel
        that lists any."""
        for sentinel in self.sentinels:
            try:
                slaves = sentinel.sentinel_slaves(service_name)
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
        self._watch(pool)
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

__all__ = [
    "MasterNotFoundError",
    "Sentinel",
    "SentinelConnectionPool",
    "SentinelManagedConnection",
    "SentinelManagedSSLConnection",
    "SlaveNotFoundError",
]
