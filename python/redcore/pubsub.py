"""Pub/sub helpers: a :class:`Bus` dispatching JSON messages to handlers.

The client-level :class:`PubSub` (redis-py's interface) is re-exported
here; :class:`Bus` (alias :class:`Subscriber`) builds on it:

- handlers registered per channel or glob pattern with decorators;
- ``publish`` encodes JSON and handlers get the decoded object plus the
  channel name (or the payload untouched in raw mode);
- a background listener thread that survives handler errors (logged, and
  passed to an optional ``on_error`` callback) and stops promptly;
- ``async for`` iteration for asyncio code.

    >>> import redcore, time
    >>> bus = Bus(redcore.Redis())
    >>> got = []
    >>> @bus.on("orders")
    ... def on_order(order, channel):
    ...     got.append((channel, order["id"]))
    >>> bus.start()  # doctest: +ELLIPSIS
    <redcore.pubsub.Bus ...>
    >>> bus.publish("orders", {"id": 7})
    1
    >>> time.sleep(0.1); bus.stop()
    True
    >>> got
    [('orders', 7)]

Pub/sub delivers to whoever is subscribed *now*, at most once: a message
published while a listener is down is lost. Use :mod:`redcore.streams` or
:mod:`redcore.queue` when every message must be processed.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import queue
import threading
import weakref
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ._pubsub import PubSub, PubSubWorkerThread, Subscription

logger = logging.getLogger(__name__)

Handler = Callable[[Any, str], Any]
ErrorCallback = Callable[[BaseException, "Message"], Any]

_CHANNEL, _PATTERN = "channel", "pattern"
_SUBSCRIBE = {_CHANNEL: "subscribe", _PATTERN: "psubscribe"}
_UNSUBSCRIBE = {_CHANNEL: "unsubscribe", _PATTERN: "punsubscribe"}


def _text(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", errors="replace")
    return value


@dataclass(frozen=True)
class Message:
    """A received message: ``channel`` it was published on, ``data``
    (decoded JSON, or the raw payload in raw mode), the matching
    ``pattern`` for pattern subscriptions, and the ``raw`` payload.

    >>> Message("orders", {"id": 1}).channel
    'orders'
    """

    channel: str
    data: Any
    pattern: Optional[str] = None
    raw: Any = None


@dataclass(frozen=True)
class _Entry:
    handler: Handler
    raw: bool


class Bus:
    """JSON pub/sub with handlers, a listener thread and async iteration.

    Args:
        client: a redcore or redis-py client.
        raw: default for handlers and iterators: pass payloads as the
            client returns them instead of decoding JSON.
        dumps, loads: the JSON codec (``json.dumps`` / ``json.loads``).
        on_error: called as ``on_error(exception, message)`` when a handler
            raises or a payload is not valid JSON.
        poll_interval: how often the listener checks for ``stop()`` and
            new subscriptions, in seconds.

    >>> import redcore
    >>> bus = Bus(redcore.Redis(), raw=True)
    >>> bus.on_pattern("audit.*")(lambda data, channel: None)  # doctest: +ELLIPSIS
    <function <lambda> at ...>
    """

    def __init__(
        self,
        client: Any,
        *,
        raw: bool = False,
        dumps: Callable[[Any], str] = json.dumps,
        loads: Callable[[Any], Any] = json.loads,
        on_error: Optional[ErrorCallback] = None,
        poll_interval: float = 0.05,
    ) -> None:
        self.client = client
        self.raw = raw
        self.dumps = dumps
        self.loads = loads
        self.on_error = on_error
        self.poll_interval = poll_interval
        self._handlers: Dict[str, Dict[str, List[_Entry]]] = {_CHANNEL: {}, _PATTERN: {}}
        self._lock = threading.Lock()
        self._changes: "queue.Queue[Tuple[str, str, List[str]]]" = queue.Queue()
        self._confirm: Dict[Tuple[str, str], List[threading.Event]] = {}
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._active = False  # the listener takes subscription requests
        self._iterators: "weakref.WeakSet[AsyncSubscription]" = weakref.WeakSet()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<{type(self).__module__}.{type(self).__name__} {state}>"

    # --- handlers -----------------------------------------------------------

    def on(self, *channels: str, raw: Optional[bool] = None) -> Callable[[Handler], Handler]:
        """Decorator: call the function as ``fn(data, channel)`` for
        messages on ``channels``."""

        def register(fn: Handler) -> Handler:
            for channel in channels:
                self.add_handler(channel, fn, raw=raw)
            return fn

        return register

    def on_pattern(self, *patterns: str, raw: Optional[bool] = None) -> Callable[[Handler], Handler]:
        """Decorator: call the function as ``fn(data, channel)`` for
        messages on channels matching the glob ``patterns``."""

        def register(fn: Handler) -> Handler:
            for pattern in patterns:
                self.add_handler(pattern, fn, pattern=True, raw=raw)
            return fn

        return register

    def add_handler(
        self, name: str, handler: Handler, *, pattern: bool = False, raw: Optional[bool] = None, timeout: float = 5.0
    ) -> None:
        """Registers ``handler`` for a channel (or a pattern). While the
        listener runs, returns once the new subscription is active (waiting
        at most ``timeout`` seconds)."""
        kind = _PATTERN if pattern else _CHANNEL
        name = _text(name)
        with self._lock:
            entries = self._handlers[kind].setdefault(name, [])
            entries.append(_Entry(handler, self.raw if raw is None else raw))
            new = len(entries) == 1 and self._active
        if new:
            for event in self._request(kind, [name]):
                event.wait(timeout)

    def remove_handler(self, name: str, handler: Optional[Handler] = None, *, pattern: bool = False) -> None:
        """Removes ``handler`` (every handler when None) from a channel or
        pattern; the last one removed unsubscribes."""
        kind = _PATTERN if pattern else _CHANNEL
        name = _text(name)
        with self._lock:
            entries = self._handlers[kind].get(name, [])
            entries[:] = [] if handler is None else [e for e in entries if e.handler is not handler]
            gone = not entries and self._handlers[kind].pop(name, None) is not None and self._active
        if gone:
            self._changes.put((_UNSUBSCRIBE[kind], kind, [name]))

    def _request(self, kind: str, names: List[str]) -> List[threading.Event]:
        """Queues a subscription for the listener thread; the events are
        set when the server confirms each name."""
        events = []
        with self._lock:
            for name in names:
                event = threading.Event()
                self._confirm.setdefault((kind, name), []).append(event)
                events.append(event)
        self._changes.put((_SUBSCRIBE[kind], kind, names))
        return events

    # --- publishing -----------------------------------------------------------

    def publish(self, channel: str, obj: Any, raw: Optional[bool] = None) -> int:
        """Publishes ``obj`` as JSON (as-is with ``raw``); returns how many
        subscribers received it."""
        raw = self.raw if raw is None else raw
        return self.client.publish(channel, obj if raw else self.dumps(obj))

    # --- the listener thread ----------------------------------------------------

    @property
    def running(self) -> bool:
        """True while the listener thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self, daemon: bool = True, timeout: float = 5.0) -> "Bus":
        """Starts the listener thread; returns once every registered
        channel and pattern is subscribed (``TimeoutError`` after
        ``timeout`` seconds)."""
        if self._thread is not None and self._thread.is_alive():
            if not self._stop.is_set():
                return self
            self._thread.join(timeout)  # a stop() still under way
        self._stop.clear()
        self._changes = queue.Queue()
        with self._lock:
            self._active = True
            channels, patterns = list(self._handlers[_CHANNEL]), list(self._handlers[_PATTERN])
        events = (self._request(_CHANNEL, channels) if channels else []) + (
            self._request(_PATTERN, patterns) if patterns else []
        )
        self._thread = threading.Thread(target=self._listen, name="redcore-bus", daemon=daemon)
        self._thread.start()
        for event in events:
            if not event.wait(timeout):
                self.stop()
                raise TimeoutError("the bus's subscriptions were not confirmed in time")
        return self

    def stop(self, timeout: Optional[float] = 1.0) -> bool:
        """Stops the listener (and async iterators of this bus): it
        unsubscribes and closes its connection. Waits up to ``timeout``
        seconds; returns True once the thread has exited."""
        self._stop.set()
        for it in list(self._iterators):
            it.close()
        thread = self._thread
        if thread is None:
            return True
        if thread is not threading.current_thread():
            thread.join(timeout)
        return not thread.is_alive()

    def __enter__(self) -> "Bus":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def _listen(self) -> None:
        pubsub = self.client.pubsub()
        try:
            while not self._stop.is_set():
                try:
                    self._apply_changes(pubsub)
                    message = pubsub.get_message(timeout=self.poll_interval)
                except Exception as e:  # noqa: BLE001 - connection trouble: retry
                    if self._stop.is_set():
                        break
                    logger.warning("bus listener: %r; retrying", e)
                    self._stop.wait(max(self.poll_interval, 0.5))
                    continue
                if message is not None:
                    self._dispatch(message)
        finally:
            _shutdown(pubsub)
            with self._lock:
                self._active = False
                self._confirm.clear()

    def _apply_changes(self, pubsub: Any) -> None:
        while True:
            try:
                change = self._changes.get_nowait()
            except queue.Empty:
                return
            try:
                getattr(pubsub, change[0])(*change[2])
            except Exception:
                self._changes.put(change)  # retried after the connection recovers
                raise

    def _dispatch(self, message: Dict[str, Any]) -> None:
        kind = _text(message.get("type"))
        if kind in ("subscribe", "psubscribe"):
            key = (_CHANNEL if kind == "subscribe" else _PATTERN, _text(message["channel"]))
            with self._lock:
                events = self._confirm.pop(key, [])
            for event in events:
                event.set()
            return
        for handler, data, msg in self._route(message):
            try:
                handler(data, msg.channel)
            except Exception as e:  # noqa: BLE001 - one bad message must not stop the bus
                self._handler_failed(handler, e, msg)

    def _route(self, message: Dict[str, Any]) -> List[Tuple[Handler, Any, Message]]:
        """The handler calls a (p)message makes: ``(handler, data,
        message)`` each; a payload that is not JSON is reported here and
        reaches only raw handlers."""
        kind = _text(message.get("type"))
        if kind == "message":
            name, sub_kind = _text(message["channel"]), _CHANNEL
        elif kind == "pmessage":
            name, sub_kind = _text(message["pattern"]), _PATTERN
        else:
            return []
        with self._lock:
            entries = list(self._handlers[sub_kind].get(name, ()))
        channel = _text(message["channel"])
        payload = message["data"]
        pattern = name if sub_kind == _PATTERN else None
        decoded: Any = _UNSET
        if any(not e.raw for e in entries):
            try:
                decoded = self.loads(payload)
            except Exception as e:  # noqa: BLE001 - reported once, raw handlers still run
                logger.warning("bus: a message on %r is not valid JSON", channel)
                self._report(e, Message(channel, payload, pattern, payload))
        calls = []
        for entry in entries:
            data = payload if entry.raw else decoded
            if data is not _UNSET:
                calls.append((entry.handler, data, Message(channel, data, pattern, payload)))
        return calls

    def _handler_failed(self, handler: Handler, exc: BaseException, msg: Message) -> None:
        name_of = getattr(handler, "__name__", handler)
        logger.error("bus handler %r failed on channel %r", name_of, msg.channel, exc_info=exc)
        self._report(exc, msg)

    def _report(self, exc: BaseException, msg: Message) -> None:
        if self.on_error is not None:
            try:
                self.on_error(exc, msg)
            except Exception:  # noqa: BLE001
                logger.exception("bus on_error callback failed")

    # --- asyncio ------------------------------------------------------------------

    def aiter(self, *channels: str, patterns: Sequence[str] = (), raw: Optional[bool] = None) -> "AsyncSubscription":
        """An async iterator of :class:`Message` on ``channels`` and
        ``patterns`` (default: every channel and pattern with a handler),
        with its own connection.

        >>> import asyncio, redcore
        >>> bus = Bus(redcore.Redis())
        >>> async def first():
        ...     async with bus.aiter("news") as messages:
        ...         bus.publish("news", [1, 2])
        ...         async for m in messages:
        ...             return m.data
        >>> asyncio.run(first())
        [1, 2]
        """
        if not channels and not patterns:
            with self._lock:
                channels, patterns = tuple(self._handlers[_CHANNEL]), tuple(self._handlers[_PATTERN])
        if not channels and not patterns:
            raise ValueError("aiter() needs channels or patterns (or registered handlers)")
        raw = self.raw if raw is None else raw
        it = AsyncSubscription(self, [_text(c) for c in channels], [_text(p) for p in patterns], raw)
        self._iterators.add(it)
        return it


Subscriber = Bus

_UNSET: Any = object()
_END: Any = object()


def _shutdown(pubsub: Any) -> None:
    """Unsubscribes and closes, ignoring a connection already gone."""
    if getattr(pubsub, "connection", None) is None:
        return  # never subscribed: nothing to undo
    for command in ("unsubscribe", "punsubscribe"):
        try:
            getattr(pubsub, command)()
        except Exception:  # noqa: BLE001
            pass
    try:
        pubsub.close()
    except Exception:  # noqa: BLE001
        pass


class AsyncSubscription:
    """What :meth:`Bus.aiter` returns: an async iterator of
    :class:`Message`, fed by a reader thread with its own connection.

    Subscribing happens on first use, or up front with ``await start()`` /
    ``async with``. Cancelling a task blocked in ``__anext__`` closes the
    subscription (as it would an async generator); for a bounded wait that
    keeps it open use ``await sub.get(timeout)``. ``aclose()``/``close()``
    end it.

    >>> import asyncio, redcore
    >>> bus = Bus(redcore.Redis())
    >>> async def quiet():
    ...     async with bus.aiter("nothing") as sub:
    ...         return await sub.get(timeout=0.05)
    >>> asyncio.run(quiet()) is None
    True
    """

    def __init__(self, bus: Bus, channels: List[str], patterns: List[str], raw: bool) -> None:
        self.bus = bus
        self.channels = channels
        self.patterns = patterns
        self.raw = raw
        self._stop = threading.Event()
        self._queue: Optional[asyncio.Queue] = None
        self._ready: Optional[asyncio.Future] = None
        self._thread: Optional[threading.Thread] = None

    async def start(self) -> "AsyncSubscription":
        """Subscribes; returns once the server has confirmed."""
        if self._stop.is_set():
            raise RuntimeError("subscription closed")
        if self._ready is None:
            loop = asyncio.get_running_loop()
            self._queue = asyncio.Queue()
            self._ready = loop.create_future()
            self._thread = threading.Thread(
                target=self._read, args=(loop, self._queue, self._ready), name="redcore-bus-aiter", daemon=True
            )
            self._thread.start()
        try:
            await asyncio.shield(self._ready)
        except asyncio.CancelledError:
            self.close()
            raise
        return self

    def __aiter__(self) -> "AsyncSubscription":
        return self

    async def __anext__(self) -> Message:
        if self._stop.is_set() and (self._queue is None or self._queue.empty()):
            raise StopAsyncIteration
        await self.start()
        assert self._queue is not None
        try:
            item = await self._queue.get()
        except asyncio.CancelledError:
            self.close()
            raise
        if item is _END:
            raise StopAsyncIteration
        if isinstance(item, BaseException):
            raise item
        return item

    async def get(self, timeout: Optional[float] = None) -> Optional[Message]:
        """The next message, or None if none arrives within ``timeout``
        seconds (or the subscription is closed)."""
        await self.start()
        assert self._queue is not None
        try:
            item = await asyncio.wait_for(self._queue.get(), timeout)
        except asyncio.TimeoutError:
            return None
        if item is _END:
            return None
        if isinstance(item, BaseException):
            raise item
        return item

    def close(self) -> None:
        """Stops the reader thread (it unsubscribes and closes)."""
        self._stop.set()

    async def aclose(self) -> None:
        """Closes and waits for the reader thread to finish."""
        self.close()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 2.0)

    async def __aenter__(self) -> "AsyncSubscription":
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    def __del__(self) -> None:
        self._stop.set()

    def _read(self, loop: asyncio.AbstractEventLoop, out: asyncio.Queue, ready: asyncio.Future) -> None:
        bus = self.bus
        pubsub = bus.client.pubsub()

        def post(item: Any) -> bool:
            try:
                loop.call_soon_threadsafe(out.put_nowait, item)
                return True
            except RuntimeError:  # the event loop is closed
                return False

        def settle(error: Optional[BaseException]) -> None:
            if not ready.done():
                if error is None:
                    ready.set_result(None)
                else:
                    ready.set_exception(error)

        waiting = {(_CHANNEL, c) for c in self.channels} | {(_PATTERN, p) for p in self.patterns}
        try:
            if self.channels:
                pubsub.subscribe(*self.channels)
            if self.patterns:
                pubsub.psubscribe(*self.patterns)
            while not self._stop.is_set():
                message = pubsub.get_message(timeout=bus.poll_interval)
                if message is None:
                    continue
                kind = _text(message.get("type"))
                if kind in ("subscribe", "psubscribe"):
                    waiting.discard((_CHANNEL if kind == "subscribe" else _PATTERN, _text(message["channel"])))
                    if not waiting:
                        loop.call_soon_threadsafe(settle, None)
                    continue
                if kind not in ("message", "pmessage"):
                    continue
                msg = self._convert(message)
                if msg is not None and not post(msg):
                    break
        except Exception as e:  # noqa: BLE001 - handed to the consumer
            if not self._stop.is_set():
                try:
                    loop.call_soon_threadsafe(settle, e)
                    post(e)
                except RuntimeError:
                    pass
        finally:
            _shutdown(pubsub)
            try:
                loop.call_soon_threadsafe(settle, None)
                post(_END)
            except RuntimeError:
                pass

    def _convert(self, message: Dict[str, Any]) -> Optional[Message]:
        return _to_message(self.bus, message, self.raw)


def _to_message(bus: Bus, message: Dict[str, Any], raw: bool) -> Optional[Message]:
    """An iterator's :class:`Message` for a (p)message; None (reported to
    the bus) for a payload that is not JSON."""
    channel = _text(message["channel"])
    pattern = _text(message["pattern"]) if _text(message.get("type")) == "pmessage" else None
    payload = message["data"]
    if raw:
        return Message(channel, payload, pattern, payload)
    try:
        return Message(channel, bus.loads(payload), pattern, payload)
    except Exception as e:  # noqa: BLE001 - skip what is not JSON
        logger.warning("bus: dropped a non-JSON message on %r", channel)
        bus._report(e, Message(channel, payload, pattern, payload))
        return None


class AsyncBus(Bus):
    """:class:`Bus` for an asyncio client (``redcore.asyncio.Redis`` or
    ``redis.asyncio.Redis``): the same handlers, JSON codec and error
    reporting, with the listener as a task on the running loop instead of
    a thread. Handlers may be plain functions or coroutine functions
    (awaited one message at a time, in order); ``publish``, ``start`` and
    ``stop`` are coroutines, and ``async with bus:`` runs the listener.

    >>> import asyncio, redcore.asyncio
    >>> async def main():
    ...     bus = AsyncBus(redcore.asyncio.Redis())
    ...     got = asyncio.Queue()
    ...     @bus.on("orders")
    ...     async def on_order(order, channel):
    ...         await got.put(order["id"])
    ...     async with bus:
    ...         await bus.publish("orders", {"id": 7})
    ...         return await got.get()
    >>> asyncio.run(main())
    7
    """

    def __init__(self, client: Any, **kwargs: Any) -> None:
        super().__init__(client, **kwargs)
        self._task: Optional["asyncio.Task[None]"] = None

    def _request(self, kind: str, names: List[str]) -> List[threading.Event]:
        # The listener task subscribes on its next turn; a later publish
        # from this process follows the SUBSCRIBE on the wire.
        self._changes.put((_SUBSCRIBE[kind], kind, names))
        return []

    async def publish(self, channel: str, obj: Any, raw: Optional[bool] = None) -> int:  # type: ignore[override]
        """Publishes ``obj`` as JSON (as-is with ``raw``); returns how many
        subscribers received it."""
        raw = self.raw if raw is None else raw
        return int(await self.client.publish(channel, obj if raw else self.dumps(obj)))

    @property
    def running(self) -> bool:
        """True while the listener task runs."""
        return self._task is not None and not self._task.done()

    async def start(self) -> "AsyncBus":  # type: ignore[override]
        """Subscribes every registered channel and pattern, then starts
        the listener task."""
        if self.running:
            return self
        self._stop.clear()
        self._changes = queue.Queue()
        pubsub = self.client.pubsub()
        with self._lock:
            self._active = True
            channels, patterns = list(self._handlers[_CHANNEL]), list(self._handlers[_PATTERN])
        try:
            if channels:
                await pubsub.subscribe(*channels)
            if patterns:
                await pubsub.psubscribe(*patterns)
        except BaseException:
            with self._lock:
                self._active = False
            await pubsub.aclose()
            raise
        self._task = asyncio.get_running_loop().create_task(self._alisten(pubsub), name="redcore-async-bus")
        return self

    async def stop(self) -> bool:  # type: ignore[override]
        """Stops the listener (it unsubscribes and closes its connection)
        and waits for it; True once it has ended."""
        self._stop.set()
        task = self._task
        if task is not None and task is not asyncio.current_task():
            await asyncio.wait({task})
        return task is None or task.done()

    async def __aenter__(self) -> "AsyncBus":
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()

    def __enter__(self) -> "AsyncBus":
        raise TypeError("an AsyncBus runs with 'async with'")

    async def _alisten(self, pubsub: Any) -> None:
        try:
            while not self._stop.is_set():
                try:
                    while not self._changes.empty():
                        change = self._changes.get_nowait()
                        try:
                            await getattr(pubsub, change[0])(*change[2])
                        except Exception:
                            self._changes.put(change)  # retried after the connection recovers
                            raise
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=self.poll_interval)
                except Exception as e:  # noqa: BLE001 - connection trouble: retry
                    if self._stop.is_set():
                        break
                    logger.warning("bus listener: %r; retrying", e)
                    await asyncio.sleep(max(self.poll_interval, 0.5))
                    continue
                if message is not None:
                    await self._adispatch(message)
        finally:
            with self._lock:
                self._active = False
            try:
                await pubsub.aclose()
            except Exception:  # noqa: BLE001 - closing a broken connection
                logger.debug("bus: closing the listener's connection failed", exc_info=True)

    async def _adispatch(self, message: Dict[str, Any]) -> None:
        for handler, data, msg in self._route(message):
            try:
                result = handler(data, msg.channel)
                if inspect.isawaitable(result):
                    await result
            except Exception as e:  # noqa: BLE001 - one bad message must not stop the bus
                self._handler_failed(handler, e, msg)

    def aiter(self, *channels: str, patterns: Sequence[str] = (), raw: Optional[bool] = None) -> Any:  # type: ignore[override]
        """An async iterator of :class:`Message` on ``channels`` and
        ``patterns`` (default: every channel and pattern with a handler),
        on a pub/sub connection of its own; ``break`` (or closing the
        iterator) unsubscribes."""
        with self._lock:
            if not channels and not patterns:
                channels, patterns = tuple(self._handlers[_CHANNEL]), tuple(self._handlers[_PATTERN])
        return self._aiter([_text(c) for c in channels], [_text(p) for p in patterns], self.raw if raw is None else raw)

    async def _aiter(self, channels: List[str], patterns: List[str], raw: bool) -> Any:
        if not channels and not patterns:
            raise ValueError("nothing to iterate over: name channels or patterns, or register handlers")
        pubsub = self.client.pubsub()
        try:
            if channels:
                await pubsub.subscribe(*channels)
            if patterns:
                await pubsub.psubscribe(*patterns)
            while not self._stop.is_set():
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=self.poll_interval)
                if message is None or _text(message.get("type")) not in ("message", "pmessage"):
                    continue
                msg = _to_message(self, message, raw)
                if msg is not None:
                    yield msg
        finally:
            await pubsub.aclose()


__all__ = ["AsyncBus", "AsyncSubscription", "Bus", "Message", "PubSub", "PubSubWorkerThread", "Subscriber", "Subscription"]
