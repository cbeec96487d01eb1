"""``PubSub`` for :mod:`redcore.asyncio`: subscribe, then
``async for message in p.listen()`` or ``await p.get_message(timeout=...)``.

It drives the :class:`redcore.PubSub` logic (the same message dicts and
subscription bookkeeping) and only reads without waiting, so a waiting
subscriber never blocks the loop; it wakes the moment something arrives:
on the embedded engine every delivery writes a byte to a socket the loop
watches; on a server the subscriber connection is an asyncio protocol
(:class:`~redcore.asyncio.connection.PubSubConnection`) that queues what
it reads. A dropped server connection is reopened, with every
subscription restored, on the next call. Handlers may be coroutine
functions; they are awaited.

    >>> import asyncio, redcore.asyncio
    >>> async def main():
    ...     r = redcore.asyncio.Redis(decode_responses=True)
    ...     async with r.pubsub(ignore_subscribe_messages=True) as p:
    ...         await p.subscribe("news")
    ...         await p.get_message(timeout=1)  # the confirmation: None
    ...         await r.publish("news", "hello")
    ...         return (await p.get_message(timeout=1))["data"]
    >>> asyncio.run(main())
    'hello'
"""

from __future__ import annotations

import asyncio
import inspect
import socket
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, List, Optional, Set

from .. import _redcore
from .._compat import adopt, redis_base
from .._pubsub import PubSub as _SyncPubSub
from .._pubsub import Subscription, _subscriptions
from ..exceptions import PubSubError
from .connection import PubSubConnection
from .retry import connect_retrying

_FIRST_POLL = 0.0002
_MAX_POLL = 0.005


async def open_subscriber(pool: Any) -> PubSubConnection:
    """A new subscriber connection of ``pool`` (opening is retried as the
    pool's retry policy says: see :func:`connect_retrying`)."""

    async def connect() -> PubSubConnection:
        conn = PubSubConnection(pool)
        await conn.connect()
        return conn

    conn, _ = await connect_retrying(pool, connect)
    track = getattr(pool, "_track_subscriber", None)
    if track is not None:
        track(conn)
    return conn


async def read_loop(
    owner: Any, read: Callable[[], Awaitable[Any]], exception_handler: Optional[Callable[..., Any]],
    keep_going: Callable[[], bool] = lambda: True,
) -> None:
    """The ``run()`` of a subscriber (:class:`PubSub`, keyspace
    notifications): awaits ``read()`` (which runs the handlers) while
    ``keep_going()``, until cancelled. An error goes to
    ``exception_handler(error, owner)`` (awaited when it returns an
    awaitable) when given, else ends the loop."""
    while keep_going():
        try:
            await read()
        except asyncio.CancelledError:
            raise
        except BaseException as e:
            if exception_handler is None:
                raise
            result = exception_handler(e, owner)
            if inspect.isawaitable(result):
                await result


class SubscriberWaker:
    """How a task waits for a subscriber connection (pub/sub or MONITOR)
    to receive something, without blocking the loop: :meth:`event` is an
    :class:`asyncio.Event` set on each arrival. A server connection
    (:class:`~redcore.asyncio.connection.PubSubConnection`) has its own;
    an embedded one (``_redcore.Subscriber``) writes a byte to a socket
    pair whose reading end the loop watches."""

    def __init__(self) -> None:
        # Socket pair, event, loop, and the connection that writes to it.
        self._socks: Optional[Any] = None
        self._event: Optional[asyncio.Event] = None
        self._notified: Any = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None

    def event(self, conn: Any) -> Optional[asyncio.Event]:
        """The event for ``conn`` (None for a connection of neither kind)."""
        if not isinstance(conn, _redcore.Subscriber):
            # A server connection (or a cluster's set of them) has its own.
            event = getattr(conn, "event", None)
            return event if isinstance(event, asyncio.Event) else None
        loop = asyncio.get_running_loop()
        if self._socks is not None and self._loop is not loop:
            self.close()
        if self._socks is None:
            rsock, wsock = socket.socketpair()
            rsock.setblocking(False)
            wsock.setblocking(False)
            self._socks, self._loop, self._event = (rsock, wsock), loop, asyncio.Event()
            loop.add_reader(rsock.fileno(), self._on_wakeup)
        if conn is not self._notified:
            conn.notify(self._socks[1].fileno())
            self._notified = conn
        return self._event

    def _on_wakeup(self) -> None:
        assert self._socks is not None and self._event is not None
        try:
            while self._socks[0].recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        self._event.set()

    def close(self) -> None:
        """Stops watching (the connection itself is left alone)."""
        if self._socks is not None:
            rsock, wsock = self._socks
            if self._loop is not None and not self._loop.is_closed():
                self._loop.remove_reader(rsock.fileno())
            rsock.close()
            wsock.close()
        self._socks = self._event = self._notified = self._loop = None


class PubSub(*redis_base("redis.asyncio.client", "PubSub")):  # type: ignore[misc]  # redis-py base when installed
    """Publish/subscribe with redis.asyncio's interface."""

    PUBLISH_MESSAGE_TYPES = ("message", "pmessage", "smessage")
    UNSUBSCRIBE_MESSAGE_TYPES = ("unsubscribe", "punsubscribe", "sunsubscribe")
    HEALTH_CHECK_MESSAGE = _SyncPubSub.HEALTH_CHECK_MESSAGE

    def __init__(self, client: Any, shard_hint: Any = None, ignore_subscribe_messages: bool = False, **kwargs: Any) -> None:
        self.client = client
        self.connection_pool = client.connection_pool
        self.shard_hint = shard_hint
        self.ignore_subscribe_messages = ignore_subscribe_messages
        self._pool = client._pool
        if self._pool is None:
            self._p = client._sync.pubsub(ignore_subscribe_messages=ignore_subscribe_messages, **kwargs)
        else:
            # The PubSub logic over this object's asyncio connection.
            self._conn: Optional[PubSubConnection] = None
            self._p = _SyncPubSub(_ConnectionSource(self, client), ignore_subscribe_messages=ignore_subscribe_messages, **kwargs)
        # Handlers' results still to await (a coroutine function's call).
        self._handled: List[Any] = []
        self._waker = SubscriberWaker()

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{type(self).__name__}>"

    async def __aenter__(self) -> "PubSub":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    @property
    def channels(self) -> Dict[Any, Any]:
        """Subscribed channels -> handler (None for none)."""
        return self._p.channels

    @property
    def patterns(self) -> Dict[Any, Any]:
        """Subscribed patterns -> handler."""
        return self._p.patterns

    @property
    def shard_channels(self) -> Dict[Any, Any]:
        """Subscribed shard channels -> handler."""
        return self._p.shard_channels

    @property
    def pending_unsubscribe_channels(self) -> Set[Any]:
        """Channels unsubscribed from whose confirmation has not been read."""
        return self._p.pending_unsubscribe_channels

    @property
    def pending_unsubscribe_patterns(self) -> Set[Any]:
        """Patterns unsubscribed from whose confirmation has not been read."""
        return self._p.pending_unsubscribe_patterns

    @property
    def pending_unsubscribe_shard_channels(self) -> Set[Any]:
        """Shard channels unsubscribed from, not yet confirmed."""
        return self._p.pending_unsubscribe_shard_channels

    @property
    def encoder(self) -> Any:
        """What names and messages are encoded and decoded with."""
        return self._p.encoder

    @property
    def push_handler_func(self) -> Optional[Callable[..., Any]]:
        """Called with each RESP3 push read (its result stands for it)."""
        return self._p.push_handler_func

    @push_handler_func.setter
    def push_handler_func(self, func: Optional[Callable[..., Any]]) -> None:
        self._p.push_handler_func = func

    @property
    def subscribed(self) -> bool:
        """True while subscribed to anything."""
        return self._p.subscribed

    @property
    def connection(self) -> Any:
        """The subscriber connection (None before the first subscribe)."""
        return self._p.connection

    async def aclose(self) -> None:
        """Unsubscribes from everything and closes the connection."""
        self._p.reset()
        self._close_wakeup()

    async def reset(self) -> None:
        """``aclose()``."""
        await self.aclose()

    def _close_wakeup(self) -> None:
        self._waker.close()

    def _wakeup(self) -> Optional[asyncio.Event]:
        """The event set when the subscriber connection receives something."""
        return self._waker.event(self._p.connection)

    close = aclose

    def _wrap(self, subs: Dict[Any, Any]) -> Dict[Any, Any]:
        """Handlers run by the sync PubSub; their awaitables are kept for
        :meth:`get_message` to await."""
        out: Dict[Any, Any] = {}
        for name, handler in subs.items():
            if handler is None:
                out[name] = None
                continue

            def run(message: Dict[str, Any], handler: Callable[..., Any] = handler) -> None:
                self._handled.append(handler(message))

            out[name] = run
        return out

    async def _connected(self) -> None:
        """Opens (or reopens, re-subscribing) the server connection."""
        if self._pool is None:
            return
        conn = self._conn
        if conn is not None and not conn._closed:
            return
        conn = await self._open()
        self._conn = conn
        if self._p.connection is not None:
            # A reconnection: restore the subscriptions.
            self._p.connection = conn
            self._p.on_connect()

    async def _open(self) -> PubSubConnection:
        assert self._pool is not None
        return await open_subscriber(self._pool)

    async def subscribe(self, *args: Any, **kwargs: Callable[..., Any]) -> None:
        """Subscribe to channels; keyword arguments map a channel to a
        handler (a function or a coroutine function)."""
        await self._connected()
        subs = self._wrap(_subscriptions(args, kwargs))
        self._p.subscribe(*(Subscription(k, v) for k, v in subs.items()))

    async def psubscribe(self, *args: Any, **kwargs: Callable[..., Any]) -> None:
        """Subscribe to glob patterns; keyword arguments map a pattern to a
        handler."""
        await self._connected()
        subs = self._wrap(_subscriptions(args, kwargs))
        self._p.psubscribe(*(Subscription(k, v) for k, v in subs.items()))

    async def ssubscribe(self, *args: Any, **kwargs: Callable[..., Any]) -> None:
        """Subscribe to shard channels."""
        await self._connected()
        subs = self._wrap(_subscriptions(args, kwargs))
        self._p.ssubscribe(*(Subscription(k, v) for k, v in subs.items()))

    async def unsubscribe(self, *args: Any) -> None:
        """Unsubscribe from channels (all when none are given)."""
        await self._connected()
        self._p.unsubscribe(*args)

    async def punsubscribe(self, *args: Any) -> None:
        """Unsubscribe from patterns (all when none are given)."""
        await self._connected()
        self._p.punsubscribe(*args)

    async def sunsubscribe(self, *args: Any) -> None:
        """Unsubscribe from shard channels (all when none are given)."""
        await self._connected()
        self._p.sunsubscribe(*args)

    async def ping(self, message: Optional[str] = None) -> None:
        """Sends PING; the pong arrives as a message."""
        await self._connected()
        self._p.ping(message)

    async def execute_command(self, *args: Any) -> None:
        """Sends a command on the subscriber connection; its reply arrives
        in order with the messages (:meth:`parse_response` reads it)."""
        await self._connected()
        self._p.execute_command(*args)

    async def connect(self) -> None:
        """Opens the subscriber connection (the first command opens it too)."""
        await self._connected()
        with self._p._lock:
            self._p._open_connection()

    async def on_connect(self, connection: Any = None) -> None:
        """Subscribes again to every channel, pattern and shard channel
        (what a reconnection does by itself)."""
        self._p.on_connect(connection)

    async def check_health(self) -> None:
        """Nothing to do: a dropped server connection is reopened, with its
        subscriptions, on the next call."""

    async def parse_response(self, block: bool = True, timeout: float = 0) -> Any:
        """The next raw reply or message, as the server sent it: waits for
        one when ``block``, else up to ``timeout`` seconds (then None)."""
        if self._p.connection is None:
            raise RuntimeError("pubsub connection not set: did you forget to call subscribe() or psubscribe()?")
        loop = asyncio.get_running_loop()
        deadline = None if block else loop.time() + timeout
        step = _FIRST_POLL
        while True:
            await self._connected()
            conn = self._p.connection
            event = self._wakeup()
            if event is not None:
                event.clear()
            if conn.pending():
                return self._p.parse_response(block=False, timeout=0)
            if not await self._pause(event, deadline, step):
                return None
            step = min(step * 2, _MAX_POLL)

    async def handle_message(self, response: Any, ignore_subscribe_messages: bool = False) -> Optional[Dict[str, Any]]:
        """A raw reply (from :meth:`parse_response`) as a message dict,
        keeping the subscriptions up to date; a message for a channel with
        a handler goes to the handler (awaited) and gives None."""
        message = self._p.handle_message(response, ignore_subscribe_messages)
        await self._run_handlers()
        return message

    async def _pause(self, event: Optional[asyncio.Event], deadline: Optional[float], step: float) -> bool:
        """Waits until ``event`` is set (or ``step`` seconds when there is no
        event to wait on), at most until ``deadline`` (loop time; None: no
        limit); False when the deadline has passed."""
        loop = asyncio.get_running_loop()
        left = None if deadline is None else deadline - loop.time()
        if left is not None and left <= 0:
            return False
        if event is None:
            await asyncio.sleep(step if left is None else min(step, left))
            return True
        try:
            await asyncio.wait_for(event.wait(), left)
        except asyncio.TimeoutError:
            return False
        return True

    async def _run_handlers(self) -> bool:
        ran = bool(self._handled)
        while self._handled:
            result = self._handled.pop(0)
            if inspect.isawaitable(result):
                await result
        return ran

    async def get_message(self, ignore_subscribe_messages: bool = False, timeout: Optional[float] = 0.0) -> Optional[Dict[str, Any]]:
        """The next message, or None if none arrives within ``timeout``
        seconds (None: wait for one). A message that went to its handler
        also returns None."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        step = _FIRST_POLL
        while True:
            event = None
            if self._pool is not None and self._p.connection is not None:
                await self._connected()
            conn = self._p.connection
            if conn is not None:
                event = self._wakeup()
                if event is not None:
                    event.clear()
                queued = conn.pending()
                message = self._p.get_message(ignore_subscribe_messages, 0)
                if await self._run_handlers():
                    return None
                if message is not None or queued:
                    # A message, or a reply read and ignored (redis-py
                    # returns None for that too).
                    return message
            if not await self._pause(event, deadline, step):
                return None
            if event is None:
                step = min(step * 2, _MAX_POLL)

    get_sharded_message = get_message

    async def listen(self) -> AsyncIterator[Dict[str, Any]]:
        """Yields messages while subscribed."""
        while self.subscribed:
            message = await self.get_message(timeout=None)
            if message is not None:
                yield message

    async def run(self, *, exception_handler: Optional[Callable[..., Any]] = None, poll_timeout: float = 1.0) -> None:
        """Reads messages, passing each to its channel's handler, until
        cancelled. Every subscription needs a handler. An exception goes to
        ``exception_handler(exc, pubsub)`` (awaited if it is a coroutine
        function) when given, else propagates."""
        for name, handler in {**self.channels, **self.patterns}.items():
            if handler is None:
                raise PubSubError(f"Channel: '{name}' has no handler registered")
        await read_loop(self, lambda: self.get_message(ignore_subscribe_messages=True, timeout=poll_timeout), exception_handler)


class _ConnectionSource:
    """What the PubSub logic asks of its client: settings, and the
    connection to use (the async PubSub's, opened beforehand)."""

    def __init__(self, owner: PubSub, client: Any) -> None:
        self._owner = owner
        self._decode_responses = client._decode_responses
        self._encoding = client._encoding
        self.connection_pool = client.connection_pool

    def _subscriber(self) -> Any:
        conn = self._owner._conn
        if conn is None:
            raise PubSubError("not connected")
        return conn


adopt(PubSub)

__all__ = ["PubSub"]
