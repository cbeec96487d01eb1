"""Keyspace notifications for asyncio: redis-py 8.1's
``redis.asyncio.keyspace_notifications`` API on
:class:`redcore.asyncio.PubSub`, for the embedded engine, a server and a
cluster.

The notifications, channels and event names are the sync module's
(:mod:`redcore.keyspace_notifications`: :class:`KeyNotification`,
:class:`KeyspaceChannel`, :class:`EventType`...); here the subscribing
and reading are awaited, ``listen()`` is an async iterator, ``run()`` a
coroutine to start as a task, and a handler may be a coroutine function
(it is awaited)::

    >>> import asyncio, redcore.asyncio
    >>> async def main():
    ...     r = redcore.asyncio.Redis()
    ...     await r.config_set("notify-keyspace-events", "KEA")
    ...     async with r.keyspace_notifications(key_prefix="user:") as ksn:
    ...         await ksn.subscribe_keyspace("user:*")
    ...         await ksn.get_message(timeout=1)  # the confirmation: None
    ...         await r.set("user:1", "ada")
    ...         n = await ksn.get_message(timeout=1)
    ...         return n.key, n.event_type
    >>> asyncio.run(main())
    ('1', 'set')

In a cluster each primary publishes the events of its own keys only:
:class:`AsyncClusterKeyspaceNotifications`
(``RedisCluster.keyspace_notifications()``) subscribes on every primary,
waits on all of them at once, and follows the cluster when primaries
change.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, List, Literal, Optional, Tuple, Union

from ..exceptions import ConnectionError, RedisError
from .client import Redis
from .pubsub import read_loop
from ..keyspace_notifications import (
    ChannelT,
    KeyeventChannel,
    KeyNotification,
    KeyspaceChannel,
    SubkeyeventChannel,
    SubkeyspaceChannel,
    SubkeyspaceeventChannel,
    SubkeyspaceitemChannel,
    _ClusterRegistry,
    _SubscriberBase,
)

logger = logging.getLogger(__name__)

# A handler: a function or a coroutine function of the notification.
AsyncHandlerT = Callable[[KeyNotification], Union[None, Awaitable[None]]]


class AsyncKeyspaceNotificationsInterface(ABC):
    """What an asyncio keyspace notification subscriber offers (redis-py's
    interface, shared with its cluster variant)."""

    @abstractmethod
    async def subscribe(self, *channels: ChannelT, handler: Optional[AsyncHandlerT] = None) -> None: ...

    @abstractmethod
    async def unsubscribe(self, *channels: ChannelT) -> None: ...

    @abstractmethod
    async def subscribe_keyspace(self, key_or_pattern: str, db: int = 0, handler: Optional[AsyncHandlerT] = None) -> None: ...

    @abstractmethod
    async def subscribe_keyevent(self, event: str, db: int = 0, handler: Optional[AsyncHandlerT] = None) -> None: ...

    @abstractmethod
    async def subscribe_subkeyspace(self, key_or_pattern: str, db: int = 0, handler: Optional[AsyncHandlerT] = None) -> None: ...

    @abstractmethod
    async def subscribe_subkeyevent(self, event: str, db: int = 0, handler: Optional[AsyncHandlerT] = None) -> None: ...

    @abstractmethod
    async def subscribe_subkeyspaceitem(self, key_or_pattern: str, subkey_or_pattern: str, db: int = 0, handler: Optional[AsyncHandlerT] = None) -> None: ...

    @abstractmethod
    async def subscribe_subkeyspaceevent(self, event: str, key_or_pattern: str, db: int = 0, handler: Optional[AsyncHandlerT] = None) -> None: ...

    @abstractmethod
    async def get_message(self, ignore_subscribe_messages: Optional[bool] = None, timeout: float = 0.0) -> Optional[KeyNotification]: ...

    @abstractmethod
    def listen(self) -> AsyncIterator[KeyNotification]: ...

    @abstractmethod
    async def aclose(self) -> None: ...

    @abstractmethod
    async def __aenter__(self) -> Any: ...

    @abstractmethod
    async def __aexit__(self, _exc_type: Any, _exc_val: Any, _exc_tb: Any) -> Any: ...

    @property
    @abstractmethod
    def subscribed(self) -> bool: ...

    @abstractmethod
    async def run(self, poll_timeout: float = 1.0, exception_handler: Optional[Callable[..., Any]] = None) -> None: ...


class AbstractAsyncKeyspaceNotifications(_SubscriberBase, AsyncKeyspaceNotificationsInterface):
    """The subscription logic; subclasses say how to (un)subscribe and how
    to read messages."""

    async def subscribe(self, *channels: ChannelT, handler: Optional[AsyncHandlerT] = None) -> None:
        """Subscribe to ``channels`` (names or channel objects); patterns
        are PSUBSCRIBEd. With ``handler`` (a function or a coroutine
        function, awaited), their notifications go to it instead of
        :meth:`get_message`. A plain function runs on the loop: keep it
        short."""
        await self._execute_subscribe(*self._subscriptions(channels, handler))

    async def unsubscribe(self, *channels: ChannelT) -> None:
        """Unsubscribe from ``channels`` (patterns are PUNSUBSCRIBEd)."""
        patterns, exact = self._sort(channels)
        await self._execute_unsubscribe(patterns, exact)

    @abstractmethod
    async def _execute_subscribe(self, patterns: Dict[str, Any], exact_channels: Dict[str, Any]) -> None: ...

    @abstractmethod
    async def _execute_unsubscribe(self, patterns: List[str], exact_channels: List[str]) -> None: ...

    async def subscribe_keyspace(self, key_or_pattern: str, db: int = 0, handler: Optional[AsyncHandlerT] = None) -> None:
        """Subscribe to the events of keys ``key_or_pattern`` in ``db``."""
        await self.subscribe(KeyspaceChannel(key_or_pattern, db=db), handler=handler)

    async def subscribe_keyevent(self, event: str, db: int = 0, handler: Optional[AsyncHandlerT] = None) -> None:
        """Subscribe to the keys touched by ``event`` (a pattern too) in ``db``."""
        await self.subscribe(KeyeventChannel(event, db=db), handler=handler)

    async def subscribe_subkeyspace(self, key_or_pattern: str, db: int = 0, handler: Optional[AsyncHandlerT] = None) -> None:
        """Subscribe to per-field events of keys ``key_or_pattern``."""
        await self.subscribe(SubkeyspaceChannel(key_or_pattern, db=db), handler=handler)

    async def subscribe_subkeyevent(self, event: str, db: int = 0, handler: Optional[AsyncHandlerT] = None) -> None:
        """Subscribe to the keys and fields touched by ``event``."""
        await self.subscribe(SubkeyeventChannel(event, db=db), handler=handler)

    async def subscribe_subkeyspaceitem(self, key_or_pattern: str, subkey_or_pattern: str, db: int = 0, handler: Optional[AsyncHandlerT] = None) -> None:
        """Subscribe to the events of one field of a key."""
        await self.subscribe(SubkeyspaceitemChannel(key_or_pattern, subkey_or_pattern, db=db), handler=handler)

    async def subscribe_subkeyspaceevent(self, event: str, key_or_pattern: str, db: int = 0, handler: Optional[AsyncHandlerT] = None) -> None:
        """Subscribe to the fields of a key touched by ``event``."""
        await self.subscribe(SubkeyspaceeventChannel(event, key_or_pattern, db=db), handler=handler)

    async def __aenter__(self) -> Any:
        return self

    async def __aexit__(self, _exc_type: Any, _exc_val: Any, _exc_tb: Any) -> Literal[False]:
        await self.aclose()
        return False

    async def listen(self) -> AsyncIterator[KeyNotification]:
        """Yield notifications as they come, while subscribed."""
        while self.subscribed:
            notification = await self.get_message(timeout=1.0)
            if notification is not None:
                yield notification

    async def run(self, poll_timeout: float = 1.0, exception_handler: Optional[Callable[..., Any]] = None) -> None:
        """Read notifications, so that the handlers run, while subscribed
        (start it with ``asyncio.create_task``; cancel it to stop). A
        notification of a subscription without a handler is dropped. An
        error goes to ``exception_handler(error, self)`` (awaited when it
        returns an awaitable) when given, else ends the loop."""
        await read_loop(self, lambda: self.get_message(timeout=poll_timeout), exception_handler, lambda: self.subscribed)


class AsyncKeyspaceNotifications(AbstractAsyncKeyspaceNotifications):
    """Keyspace notifications of one :class:`redcore.asyncio.Redis`
    (embedded or a server), read from one :class:`~redcore.asyncio.PubSub`.

    ``key_prefix`` keeps only the keys that start with it, and removes it
    from :attr:`KeyNotification.key`. The server must publish the events:
    ``await r.config_set("notify-keyspace-events", "KEA")`` or similar.
    """

    def __init__(self, redis_client: Any, key_prefix: Union[str, bytes, None] = None, ignore_subscribe_messages: bool = True) -> None:
        super().__init__(key_prefix, ignore_subscribe_messages)
        self.redis = redis_client
        # Confirmations are filtered per call (get_message's argument).
        self._pubsub = redis_client.pubsub(ignore_subscribe_messages=False)

    async def _execute_subscribe(self, patterns: Dict[str, Any], exact_channels: Dict[str, Any]) -> None:
        # name -> handler as keyword arguments: any str is a valid key in
        # **kwargs, so channel names need not be identifiers.
        if patterns:
            await self._pubsub.psubscribe(**patterns)
        if exact_channels:
            await self._pubsub.subscribe(**exact_channels)

    async def _execute_unsubscribe(self, patterns: List[str], exact_channels: List[str]) -> None:
        if patterns:
            await self._pubsub.punsubscribe(*patterns)
        if exact_channels:
            await self._pubsub.unsubscribe(*exact_channels)

    async def get_message(self, ignore_subscribe_messages: Optional[bool] = None, timeout: Optional[float] = 0.0) -> Optional[KeyNotification]:
        """The next notification, waiting up to ``timeout`` seconds (None:
        until one comes); None when there is none, when the message is not
        a notification (a subscribe confirmation...), when its key lacks
        ``key_prefix``, or when a handler took it."""
        if self._closed:
            return None
        if ignore_subscribe_messages is None:
            ignore_subscribe_messages = self.ignore_subscribe_messages
        message = await self._pubsub.get_message(ignore_subscribe_messages=ignore_subscribe_messages, timeout=timeout)
        return KeyNotification.from_message(message, key_prefix=self.key_prefix)

    @property
    def subscribed(self) -> bool:
        """True while open with at least one subscription."""
        return not self._closed and bool(self._pubsub.subscribed)

    async def aclose(self) -> None:
        """Unsubscribe and release the pub/sub connection."""
        self._closed = True
        try:
            await self._pubsub.aclose()
        except Exception:
            pass


class AsyncClusterKeyspaceNotifications(_ClusterRegistry, AbstractAsyncKeyspaceNotifications):
    """Keyspace notifications of a whole :class:`redcore.asyncio.RedisCluster`.

    Redis Cluster does not forward keyspace events between nodes, so this
    holds one :class:`~redcore.asyncio.PubSub` per primary, each subscribed
    to the same channels and patterns; :meth:`get_message` looks at each
    in turn and then waits on all of them at once. The subscriptions are
    kept here too, so a primary that appears (a failover, a new shard) or
    that cannot be reached is subscribed again by
    :meth:`refresh_subscriptions`, which a read error calls itself (a
    dropped connection to a live primary is reopened, and re-subscribed,
    by its PubSub). ``notify-keyspace-events`` must be set on every node.
    """

    def __init__(self, redis_cluster: Any, key_prefix: Union[str, bytes, None] = None, ignore_subscribe_messages: bool = True) -> None:
        super().__init__(key_prefix, ignore_subscribe_messages)
        self.cluster = redis_cluster
        self._init_registry()
        self._refresh_lock = asyncio.Lock()

    async def _drop_node(self, name: str) -> None:
        """Forgets a primary's PubSub, closing its connection."""
        pubsub = self._node_pubsubs.pop(name, None)
        if pubsub is not None:
            try:
                await pubsub.aclose()
            except Exception:
                pass

    def _pubsub_of(self, node: Any) -> Tuple[Any, bool]:
        """(the primary's PubSub, True when it was just made)."""
        pubsub = self._node_pubsubs.get(node.name)
        if pubsub is not None:
            return pubsub, False
        # A client on the cluster's pool of that node; its PubSub opens a
        # connection of its own. Confirmations are filtered per call.
        pubsub = Redis(connection_pool=self.cluster._pool_of(node)).pubsub(ignore_subscribe_messages=False)
        self._node_pubsubs[node.name] = pubsub
        return pubsub, True

    @staticmethod
    async def _send(pubsub: Any, patterns: Dict[str, Any], channels: Dict[str, Any]) -> None:
        if patterns:
            await pubsub.psubscribe(**patterns)
        if channels:
            await pubsub.subscribe(**channels)

    async def _primaries(self) -> List[Any]:
        await self.cluster.initialize()
        return list(self.cluster.get_primaries())

    async def _execute_subscribe(self, patterns: Dict[str, Any], exact_channels: Dict[str, Any]) -> None:
        if not patterns and not exact_channels:
            return
        failed = []
        for node in await self._primaries():
            pubsub, new = self._pubsub_of(node)
            try:
                if new:  # catch up with the earlier subscriptions first
                    await self._send(pubsub, self._subscribed_patterns, self._subscribed_channels)
                await self._send(pubsub, patterns, exact_channels)
            except Exception:
                await self._drop_node(node.name)
                failed.append(node.name)
        self._track(patterns, exact_channels)
        if failed:
            logger.warning("could not subscribe on %s; the next refresh will retry", ", ".join(failed))

    async def _execute_unsubscribe(self, patterns: List[str], exact_channels: List[str]) -> None:
        self._untrack(patterns, exact_channels)
        for node_name, pubsub in list(self._node_pubsubs.items()):
            try:
                if patterns:
                    await pubsub.punsubscribe(*patterns)
                if exact_channels:
                    await pubsub.unsubscribe(*exact_channels)
            except Exception:
                await self._drop_node(node_name)

    async def _sweep(self, ignore: bool) -> Tuple[Optional[KeyNotification], bool]:
        """One look at every primary, starting after the one that gave the
        last notification (so that none waits behind a busy one): (a
        notification or None, True if a primary failed)."""
        pubsubs = list(self._node_pubsubs.values())
        failed = False
        for i in range(len(pubsubs)):
            pubsub = pubsubs[(self._poll_index + i) % len(pubsubs)]
            try:
                message = await pubsub.get_message(ignore_subscribe_messages=ignore, timeout=0.0)
            except (ConnectionError, RedisError, OSError):
                failed = True
                continue
            notification = KeyNotification.from_message(message, key_prefix=self.key_prefix)
            if notification is not None:
                self._poll_index = (self._poll_index + i + 1) % len(pubsubs)
                return notification, failed
        return None, failed

    async def _wait_any(self, timeout: Optional[float]) -> None:
        """Until a primary's connection receives something (or drops), or
        ``timeout`` seconds pass."""
        events = [e for e in (p._wakeup() for p in self._node_pubsubs.values() if p.connection is not None) if e is not None]
        if not events:
            await asyncio.sleep(0.05 if timeout is None else min(timeout, 0.05))
            return
        waiters = [asyncio.ensure_future(e.wait()) for e in events]
        try:
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waiters:
                w.cancel()

    def _queued(self) -> bool:
        """Whether a primary's connection holds something not read yet."""
        for pubsub in self._node_pubsubs.values():
            conn = pubsub.connection
            if conn is not None and conn.pending():
                return True
        return False

    async def get_message(self, ignore_subscribe_messages: Optional[bool] = None, timeout: Optional[float] = 0.0) -> Optional[KeyNotification]:
        """The next notification from any primary, waiting up to
        ``timeout`` seconds (0: one look at each primary; None: until one
        comes); None when there is none or a handler took it. A primary
        that fails is dropped and the subscriptions are refreshed."""
        if self._closed:
            return None
        ignore = self.ignore_subscribe_messages if ignore_subscribe_messages is None else ignore_subscribe_messages
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            left = None if deadline is None else deadline - loop.time()
            if not self._node_pubsubs:
                # Nothing to read (every primary failed): wait out the
                # timeout, so that a reading loop does not spin.
                if left is None or left > 0:
                    await asyncio.sleep(1.0 if left is None else left)
                return None
            found, failed = await self._sweep(ignore)
            if failed:
                await self._refresh_after_error()
            if found is not None:
                return found
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                return None
            if not self._queued():
                await self._wait_any(left)

    async def _refresh_after_error(self) -> None:
        self._poll_index = 0
        try:
            await self.refresh_subscriptions()
        except Exception:
            logger.warning("refreshing the cluster's subscriptions failed; the next error retries", exc_info=True)

    async def refresh_subscriptions(self) -> None:
        """Follows the cluster: drops the PubSubs of nodes that are no longer
        primaries or whose connection is closed, and subscribes every
        primary without one to all the current channels and patterns.
        Raises :class:`~redcore.exceptions.ConnectionError` naming the
        primaries it could not subscribe (after trying them all)."""
        async with self._refresh_lock:
            primaries = {node.name: node for node in await self._primaries()}
            for name, pubsub in list(self._node_pubsubs.items()):
                connection = pubsub.connection
                if name not in primaries or connection is None or not connection.is_connected:
                    await self._drop_node(name)
            failed = []
            for name, node in primaries.items():
                if name in self._node_pubsubs:
                    continue
                pubsub, _ = self._pubsub_of(node)
                try:
                    await self._send(pubsub, self._subscribed_patterns, self._subscribed_channels)
                except Exception:
                    await self._drop_node(name)
                    failed.append(name)
            if failed:
                raise ConnectionError(f"Failed to subscribe to cluster nodes: {', '.join(failed)}")

    async def aclose(self) -> None:
        """Closes every primary's pub/sub connection and forgets the
        subscriptions."""
        self._closed = True
        for name in list(self._node_pubsubs):
            await self._drop_node(name)
        self._forget()


__all__ = [
    "AbstractAsyncKeyspaceNotifications",
    "AsyncClusterKeyspaceNotifications",
    "AsyncHandlerT",
    "AsyncKeyspaceNotifications",
    "AsyncKeyspaceNotificationsInterface",
]
