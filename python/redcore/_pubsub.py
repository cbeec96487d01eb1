"""``PubSub``: subscribe to channels and patterns, read messages.

The same class serves every backend; it talks to a *connection* object
with two calls, ``send(*args)`` and ``read(timeout)``, which the embedded
engine (``_redcore.Subscriber``) and a network connection both provide.

    >>> import redcore
    >>> r = redcore.Redis(decode_responses=True)
    >>> p = r.pubsub(ignore_subscribe_messages=True)
    >>> p.subscribe("news")
    >>> r.publish("news", "hello")
    1
    >>> p.get_message(timeout=1)["data"]
    'hello'
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, Mapping, Optional, Union

from ._callbacks import _str
from .commands._util import list_or_args
from .connection import Encoder
from .exceptions import PubSubError
from ._compat import adopt, redis_base, weak_call

Handler = Callable[[Dict[str, Any]], Any]


@dataclass(frozen=True)
class Subscription:
    """A channel or pattern with an optional handler (redis-py's type)."""

    name: Any
    handler: Optional[Handler] = None


# redis-py's own Subscription (redis.typing) is taken too, as redis-py
# code passes it.
_SUBSCRIPTION_TYPES = (Subscription, *redis_base("redis.typing", "Subscription"))


def _subscriptions(args: tuple, kwargs: Mapping[str, Handler]) -> Dict[Any, Optional[Handler]]:
    names = list_or_args(args[0], args[1:]) if args else []
    out: Dict[Any, Optional[Handler]] = {}
    for name in names:
        if isinstance(name, _SUBSCRIPTION_TYPES):
            out[name.name] = name.handler
        else:
            out[name] = None
    out.update(kwargs)
    return out


def _as_args(subs: Mapping[Any, Optional[Handler]]) -> list:
    return [name if handler is None else Subscription(name, handler) for name, handler in subs.items()]


class PubSub(*redis_base("redis.client", "PubSub")):  # type: ignore[misc]  # redis-py base when installed
    """Publish/subscribe support, with redis-py's interface.

    Messages are dicts ``{"type", "pattern", "channel", "data"}``; a channel
    or pattern subscribed with a handler (``subscribe(news=fn)``) has its
    messages passed to the handler instead of returned.
    """

    PUBLISH_MESSAGE_TYPES = ("message", "pmessage", "smessage")
    UNSUBSCRIBE_MESSAGE_TYPES = ("unsubscribe", "punsubscribe", "sunsubscribe")
    HEALTH_CHECK_MESSAGE = "redis-py-health-check"

    def __init__(
        self,
        client: Any,
        shard_hint: Any = None,
        ignore_subscribe_messages: bool = False,
        push_handler_func: Optional[Callable[..., Any]] = None,
        **kwargs: Any,
    ) -> None:
        self.client = client
        self.connection_pool = getattr(client, "connection_pool", None)
        self.shard_hint = shard_hint
        self.ignore_subscribe_messages = ignore_subscribe_messages
        self.push_handler_func = push_handler_func
        self.connection: Any = None
        self.subscribed_event = threading.Event()
        self._lock = threading.RLock()
        self._decode = bool(client._decode_responses)
        self._encoding = client._encoding
        # What redis-py's PubSub decodes names with (``encoder.decode``).
        self.encoder = Encoder(*self._encoding, self._decode)
        self.reset()

    def __enter__(self) -> "PubSub":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.reset()

    def __del__(self) -> None:
        try:
            self.reset()
        except Exception:
            pass

    def reset(self) -> None:
        """Closes the connection and forgets every subscription."""
        with self._lock:
            if self.connection is not None:
                self.connection.close()
                self.connection = None
        self.channels: Dict[Any, Optional[Handler]] = {}
        self.patterns: Dict[Any, Optional[Handler]] = {}
        self.shard_channels: Dict[Any, Optional[Handler]] = {}
        self.pending_unsubscribe_channels: set = set()
        self.pending_unsubscribe_patterns: set = set()
        self.pending_unsubscribe_shard_channels: set = set()
        self.subscribed_event.clear()

    def close(self) -> None:
        """Same as :meth:`reset`."""
        self.reset()

    def on_connect(self, connection: Any = None) -> None:
        """Re-subscribes after a reconnection."""
        self.pending_unsubscribe_channels.clear()
        self.pending_unsubscribe_patterns.clear()
        self.pending_unsubscribe_shard_channels.clear()
        if self.channels:
            self.subscribe(*_as_args(self.channels))
        if self.patterns:
            self.psubscribe(*_as_args(self.patterns))
        if self.shard_channels:
            self.ssubscribe(*_as_args(self.shard_channels))

    @property
    def subscribed(self) -> bool:
        """True while subscribed to any channel, pattern or shard channel."""
        return self.subscribed_event.is_set()

    def execute_command(self, *args: Any) -> None:
        """Sends a command on the pub/sub connection; its reply arrives as a
        message (do not read it here: it could be a published message)."""
        with self._lock:
            self._open_connection().send(*args)

    def _open_connection(self) -> Any:
        """The pub/sub connection, opened on first use (under ``_lock``)."""
        if self.connection is None:
            self.connection = self.client._subscriber()
            if hasattr(self.connection, "on_connect"):
                # A network connection that drops reconnects by itself
                # and calls this to restore the subscriptions. Held
                # weakly: a PubSub dropped without close() must still be
                # collected (and its connection closed), and the Rust
                # connection cannot take part in a garbage cycle.
                self.connection.on_connect = weak_call(self.on_connect)
            track = getattr(self.connection_pool, "_track_subscriber", None)
            if track is not None:
                # A Sentinel master pool moves it on a failover.
                track(self.connection)
        return self.connection

    def _key(self, name: Any) -> Any:
        """A channel name as replies show it (bytes, or str when decoding)."""
        if isinstance(name, str):
            name = name.encode(*self._encoding)
        elif isinstance(name, (bytearray, memoryview)):
            name = bytes(name)
        elif isinstance(name, (int, float)) and not isinstance(name, bool):
            name = repr(name).encode()
        if self._decode and isinstance(name, bytes):
            return name.decode(*self._encoding)
        return name

    def _normalize(self, subs: Mapping[Any, Any]) -> Dict[Any, Any]:
        return {self._key(k): v for k, v in subs.items()}

    def _subscribe(self, command: str, store: Dict[Any, Any], pending: set, args: tuple, kwargs: Mapping[str, Handler]) -> None:
        new = _subscriptions(args, kwargs)
        self.execute_command(command, *new.keys())
        new = self._normalize(new)
        store.update(new)
        self.subscribed_event.set()
        pending.difference_update(new)

    def subscribe(self, *args: Any, **kwargs: Handler) -> None:
        """Subscribe to channels; keyword arguments map a channel to a handler."""
        self._subscribe("SUBSCRIBE", self.channels, self.pending_unsubscribe_channels, args, kwargs)

    def psubscribe(self, *args: Any, **kwargs: Handler) -> None:
        """Subscribe to glob patterns; keyword arguments map a pattern to a handler."""
        self._subscribe("PSUBSCRIBE", self.patterns, self.pending_unsubscribe_patterns, args, kwargs)

    def ssubscribe(self, *args: Any, target_node: Any = None, **kwargs: Handler) -> None:
        """Subscribe to shard channels."""
        self._subscribe("SSUBSCRIBE", self.shard_channels, self.pending_unsubscribe_shard_channels, args, kwargs)

    def _unsubscribe(self, command: str, store: Dict[Any, Any], pending: set, args: tuple) -> None:
        if args:
            names = list_or_args(args[0], args[1:])
            pending.update(self._normalize(dict.fromkeys(names)))
        else:
            names = []
            pending.update(store)
        self.execute_command(command, *names)

    def unsubscribe(self, *args: Any) -> None:
        """Unsubscribe from channels (all of them when none are given)."""
        self._unsubscribe("UNSUBSCRIBE", self.channels, self.pending_unsubscribe_channels, args)

    def punsubscribe(self, *args: Any) -> None:
        """Unsubscribe from patterns (all of them when none are given)."""
        self._unsubscribe("PUNSUBSCRIBE", self.patterns, self.pending_unsubscribe_patterns, args)

    def sunsubscribe(self, *args: Any, target_node: Any = None) -> None:
        """Unsubscribe from shard channels (all of them when none are given)."""
        self._unsubscribe("SUNSUBSCRIBE", self.shard_channels, self.pending_unsubscribe_shard_channels, args)

    def ping(self, message: Optional[str] = None) -> None:
        """Sends PING; the pong arrives as a ``{"type": "pong"}`` message."""
        self.execute_command("PING", *(() if message is None else (message,)))

    def check_health(self) -> None:
        """Nothing to do: an embedded subscriber has no socket, and a
        network one notices a dropped connection on its next read and
        reconnects (re-subscribing) by itself."""

    def parse_response(self, block: bool = True, timeout: float = 0) -> Any:
        """The next raw reply or message (None if none within ``timeout``)."""
        conn = self.connection  # read once: another thread may reset()
        if conn is None:
            raise RuntimeError("pubsub connection not set: did you forget to call subscribe() or psubscribe()?")
        return self._read(conn, None if block else timeout)

    def _read(self, conn: Any, timeout: Optional[float]) -> Any:
        """The next reply; over RESP3 a push (every subscription reply and
        message) goes through ``push_handler_func`` when one was given, and
        what it returns stands for the push, as in redis-py."""
        response = conn.read(timeout)
        if isinstance(response, list) and getattr(self.client, "_protocol", None) != 2:
            if len(response) == 2 and response[0] in (b"invalidate", "invalidate"):
                # A RESP3 CLIENT TRACKING invalidation: redis-py's parser
                # hands it to an invalidation handler, which a PubSub has
                # not, and reads on (the read gives nothing).
                return None
            if self.push_handler_func is not None:
                return self.push_handler_func(response)
        return response

    def listen(self) -> Iterator[Dict[str, Any]]:
        """Yields messages while subscribed (blocking)."""
        while self.subscribed:
            message = self.handle_message(self.parse_response(block=True))
            if message is not None:
                yield message

    def get_message(self, ignore_subscribe_messages: bool = False, timeout: Optional[float] = 0.0) -> Optional[Dict[str, Any]]:
        """The next message, or None if none arrives within ``timeout``
        seconds (None waits forever)."""
        if not self.subscribed:
            start = time.monotonic()
            if not self.subscribed_event.wait(timeout):
                return None
            if timeout is not None:
                timeout = max(0.0, timeout - (time.monotonic() - start))
        conn = self.connection  # read once: another thread may reset()
        if conn is None:
            return None
        response = self._read(conn, None if timeout is None else timeout or 0)
        if response is None:
            return None
        return self.handle_message(response, ignore_subscribe_messages)

    get_sharded_message = get_message

    def handle_message(self, response: Any, ignore_subscribe_messages: bool = False) -> Optional[Dict[str, Any]]:
        """Turns a raw reply into a message dict, updating subscriptions;
        calls the channel's handler instead when it has one."""
        if response is None:
            return None
        if isinstance(response, (bytes, str)):
            pong = b"PONG" if isinstance(response, bytes) else "PONG"
            empty = b"" if isinstance(response, bytes) else ""
            response = ["pong", response if response != pong else empty]
        kind = _str(response[0])
        if kind == "pmessage":
            message = {"type": kind, "pattern": response[1], "channel": response[2], "data": response[3]}
        elif kind == "pong":
            message = {"type": kind, "pattern": None, "channel": None, "data": response[1]}
        else:
            message = {"type": kind, "pattern": None, "channel": response[1], "data": response[2]}

        if kind in self.UNSUBSCRIBE_MESSAGE_TYPES:
            store, pending = {
                "unsubscribe": (self.channels, self.pending_unsubscribe_channels),
                "punsubscribe": (self.patterns, self.pending_unsubscribe_patterns),
                "sunsubscribe": (self.shard_channels, self.pending_unsubscribe_shard_channels),
            }[kind]
            name = response[1]
            if name in pending:
                pending.remove(name)
                store.pop(name, None)
            if not self.channels and not self.patterns and not self.shard_channels:
                self.subscribed_event.clear()

        if kind in self.PUBLISH_MESSAGE_TYPES:
            if kind == "pmessage":
                handler = self.patterns.get(message["pattern"])
            elif kind == "smessage":
                handler = self.shard_channels.get(message["channel"])
            else:
                handler = self.channels.get(message["channel"])
            if handler:
                handler(message)
                return None
        elif kind != "pong":
            if ignore_subscribe_messages or self.ignore_subscribe_messages:
                return None
        return message

    def run_in_thread(
        self,
        sleep_time: float = 0.0,
        daemon: bool = False,
        exception_handler: Optional[Callable[[BaseException, "PubSub", "PubSubWorkerThread"], None]] = None,
        pubsub: Optional["PubSub"] = None,
        sharded_pubsub: bool = False,
    ) -> "PubSubWorkerThread":
        """Runs a thread that dispatches messages to handlers; every
        subscription must have a handler."""
        for kind, subs in (("Channel", self.channels), ("Pattern", self.patterns), ("Shard Channel", self.shard_channels)):
            for name, handler in subs.items():
                if handler is None:
                    raise PubSubError(f"{kind}: '{name}' has no handler registered")
        thread = PubSubWorkerThread(self if pubsub is None else pubsub, sleep_time, daemon, exception_handler, sharded_pubsub)
        thread.start()
        return thread


class _ReaderThread(threading.Thread):
    """A thread that reads messages from a subscription object (so its
    handlers run) until :meth:`stop`, then closes it. An error goes to
    ``exception_handler(error, source, thread)`` when one is given, else
    ends the thread. Subclasses name the source and the read timeout."""

    def __init__(
        self,
        source: Any,
        timeout: float,
        daemon: bool = False,
        exception_handler: Optional[Callable[..., None]] = None,
    ) -> None:
        super().__init__(daemon=daemon)
        self._source = source
        self._read_timeout = timeout
        self.exception_handler = exception_handler
        self._running = threading.Event()

    def run(self) -> None:
        if self._running.is_set():
            return
        self._running.set()
        while self._running.is_set():
            try:
                self._source.get_message(ignore_subscribe_messages=True, timeout=self._read_timeout)
            except BaseException as e:  # noqa: BLE001 - handed to the user's handler
                if self.exception_handler is None:
                    raise
                self.exception_handler(e, self._source, self)
        self._source.close()

    def stop(self) -> None:
        """Asks the thread to exit; it closes its source when it does."""
        self._running.clear()


class PubSubWorkerThread(_ReaderThread):
    """The thread :meth:`PubSub.run_in_thread` starts; ``stop()`` ends it
    and closes the subscription."""

    def __init__(
        self,
        pubsub: PubSub,
        sleep_time: float,
        daemon: bool = False,
        exception_handler: Optional[Callable[..., None]] = None,
        sharded_pubsub: bool = False,
    ) -> None:
        # A zero sleep would spin; a short read timeout keeps stop() prompt.
        sleep_time = sleep_time if sleep_time > 0 else 0.05
        super().__init__(pubsub, sleep_time, daemon=daemon, exception_handler=exception_handler)
        self.pubsub = pubsub
        self.sleep_time = sleep_time
        self.sharded_pubsub = sharded_pubsub


adopt(PubSub)


__all__ = ["PubSub", "PubSubWorkerThread", "Subscription"]
