"""``PubSub`` for :mod:`redcore.asyncio`: subscribe, then
``async for message in p.listen()`` or ``await p.get_message(timeout=...)``.

It drives the sync :class:`redcore.PubSub` of the same client (the same
message dicts, subscription bookkeeping and re-subscription after a
reconnect) and only reads it without waiting: between reads the task
sleeps on the loop, starting at 0.2 ms and backing off to 5 ms, so a
waiting subscriber never blocks the loop and hears a message within a
few milliseconds. Handlers may be coroutine functions; they are awaited.

    >>> import asyncio, redcore.asyncio
    >>> async def main():
    ...     r = redcore.asyncio.Redis(decode_responses=True)
    ...     async with r.pubsub(ignore_subscribe_messages=True) as p:
    ...         await p.subscribe("news")
    ...         await r.publish("news", "hello")
    ...         return (await p.get_message(timeout=1))["data"]
    >>> asyncio.run(main())
    'hello'
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any, AsyncIterator, Callable, Dict, List, Optional

from .._compat import adopt, redis_base
from .._pubsub import Subscription, _subscriptions
from ..exceptions import PubSubError

_FIRST_POLL = 0.0002
_MAX_POLL = 0.005


class PubSub(*redis_base("redis.asyncio.client", "PubSub")):  # type: ignore[misc]  # redis-py base when installed
    """Publish/subscribe with redis.asyncio's interface."""

    PUBLISH_MESSAGE_TYPES = ("message", "pmessage", "smessage")
    UNSUBSCRIBE_MESSAGE_TYPES = ("unsubscribe", "punsubscribe", "sunsubscribe")

    def __init__(self, client: Any, shard_hint: Any = None, ignore_subscribe_messages: bool = False, **kwargs: Any) -> None:
        self.client = client
        self.connection_pool = client.connection_pool
        self.shard_hint = shard_hint
        self.ignore_subscribe_messages = ignore_subscribe_messages
        self._p = client._sync.pubsub(ignore_subscribe_messages=ignore_subscribe_messages, **kwargs)
        # Handlers' results still to await (a coroutine function's call).
        self._handled: List[Any] = []

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

    async def reset(self) -> None:
        """``aclose()``."""
        self._p.reset()

    close = aclose

    def _wrap(self, subs: Dict[Any, Any]) -> Dict[Any, Any]:
        """Handlers run by the sync PubSub; their awaitables are kept for
        :meth:`get_message` to await."""
        out = {}
        for name, handler in subs.items():
            if handler is None:
                out[name] = None
                continue

            def run(message: Dict[str, Any], handler: Callable[..., Any] = handler) -> None:
                self._handled.append(handler(message))

            out[name] = run
        return out

    async def subscribe(self, *args: Any, **kwargs: Callable[..., Any]) -> None:
        """Subscribe to channels; keyword arguments map a channel to a
        handler (a function or a coroutine function)."""
        subs = self._wrap(_subscriptions(args, kwargs))
        self._p.subscribe(*(Subscription(k, v) for k, v in subs.items()))

    async def psubscribe(self, *args: Any, **kwargs: Callable[..., Any]) -> None:
        """Subscribe to glob patterns; keyword arguments map a pattern to a
        handler."""
        subs = self._wrap(_subscriptions(args, kwargs))
        self._p.psubscribe(*(Subscription(k, v) for k, v in subs.items()))

    async def ssubscribe(self, *args: Any, **kwargs: Callable[..., Any]) -> None:
        """Subscribe to shard channels."""
        subs = self._wrap(_subscriptions(args, kwargs))
        self._p.ssubscribe(*(Subscription(k, v) for k, v in subs.items()))

    async def unsubscribe(self, *args: Any) -> None:
        """Unsubscribe from channels (all when none are given)."""
        self._p.unsubscribe(*args)

    async def punsubscribe(self, *args: Any) -> None:
        """Unsubscribe from patterns (all when none are given)."""
        self._p.punsubscribe(*args)

    async def sunsubscribe(self, *args: Any) -> None:
        """Unsubscribe from shard channels (all when none are given)."""
        self._p.sunsubscribe(*args)

    async def ping(self, message: Optional[str] = None) -> None:
        """Sends PING; the pong arrives as a message."""
        self._p.ping(message)

    async def execute_command(self, *args: Any) -> None:
        """Sends a command on the subscriber connection."""
        self._p.execute_command(*args)

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
            if self._p.connection is not None:
                message = self._p.get_message(ignore_subscribe_messages, 0)
                if await self._run_handlers():
                    return None
                if message is not None:
                    return message
            if deadline is None:
                wait = step
            else:
                left = deadline - loop.time()
                if left <= 0:
                    return None
                wait = min(step, left)
            await asyncio.sleep(wait)
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
        while True:
            try:
                await self.get_message(ignore_subscribe_messages=True, timeout=poll_timeout)
            except asyncio.CancelledError:
                raise
            except BaseException as e:
                if exception_handler is None:
                    raise
                r = exception_handler(e, self)
                if inspect.isawaitable(r):
                    await r


adopt(PubSub)

__all__ = ["PubSub"]
