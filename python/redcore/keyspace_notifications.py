"""Keyspace notifications as objects: redis-py 8.1's
``redis.keyspace_notifications`` API on redcore's :class:`~redcore.PubSub`,
for the embedded engine and for a server alike.

Redis publishes an event on ``__keyspace@<db>__:<key>`` (the message is the
event, ``set``, ``del``...) and on ``__keyevent@<db>__:<event>`` (the
message is the key) when ``notify-keyspace-events`` enables them.
:class:`KeyspaceNotifications` subscribes to those channels (patterns are
recognised and PSUBSCRIBEd) and turns each message into a
:class:`KeyNotification` with ``key``, ``event_type``, ``database``,
``channel``, ``is_keyspace``, ``data`` and ``subkeys``::

    >>> import redcore
    >>> r = redcore.Redis()
    >>> r.config_set("notify-keyspace-events", "KEA")
    True
    >>> ksn = r.keyspace_notifications(key_prefix="user:")
    >>> ksn.subscribe_keyspace("user:*")
    >>> ksn.get_message(timeout=1) is None  # the subscribe confirmation
    True
    >>> r.set("user:1", "ada")
    True
    >>> n = ksn.get_message(timeout=1)
    >>> n.key, n.event_type, n.database, n.is_keyspace
    ('1', 'set', 0, True)
    >>> ksn.close()

The subkey channels (``__subkeyspace@``, ``__subkeyevent@``,
``__subkeyspaceitem@``, ``__subkeyspaceevent@``: per hash field) are newer
than Redis 7.0: the classes and the parsing are here so code written for
redis-py runs, but neither Redis 7.0 nor the embedded engine publishes on
them.

In a cluster each primary publishes the events of its own keys only:
:class:`ClusterKeyspaceNotifications` (``RedisCluster.keyspace_notifications()``)
subscribes on every primary, reads them in turn, and follows the cluster
when primaries change.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, ClassVar, Dict, Iterator, List, Literal, Optional, Tuple, TypeVar, Union

from ._callbacks import _str
from ._pubsub import _ReaderThread
from .exceptions import ConnectionError, RedisError

logger = logging.getLogger(__name__)


def _text(value: Any) -> str:
    """``value`` as str (bytes decoded as UTF-8, bad bytes replaced)."""
    return str(_str(value))


class EventType:
    """Names of common notification events, as Redis spells them (any
    string works as an event; these are for convenience)."""

    # strings
    SET = "set"
    SETEX = "setex"
    SETNX = "setnx"
    SETRANGE = "setrange"
    INCR = "incr"
    INCRBY = "incrby"
    INCRBYFLOAT = "incrbyfloat"
    DECR = "decr"
    DECRBY = "decrby"
    APPEND = "append"
    GETEX = "getex"
    GETDEL = "getdel"
    SETIFGT = "setifgt"
    SETIFLT = "setiflt"
    SETIFEQ = "setifeq"
    SETIFNE = "setifne"
    # keys
    DEL = "del"
    UNLINK = "unlink"
    RENAME = "rename"
    RENAME_FROM = "rename_from"
    RENAME_TO = "rename_to"
    COPY_TO = "copy_to"
    MOVE = "move"
    RESTORE = "restore"
    NEW = "new"
    SORTSTORE = "sortstore"
    # expiry and eviction
    EXPIRE = "expire"
    EXPIREAT = "expireat"
    PEXPIRE = "pexpire"
    PEXPIREAT = "pexpireat"
    EXPIRED = "expired"
    PERSIST = "persist"
    EVICTED = "evicted"
    # lists
    LPUSH = "lpush"
    RPUSH = "rpush"
    LPOP = "lpop"
    RPOP = "rpop"
    LINSERT = "linsert"
    LSET = "lset"
    LTRIM = "ltrim"
    LMOVE = "lmove"
    BLPOP = "blpop"
    BRPOP = "brpop"
    BLMOVE = "blmove"
    # sets
    SADD = "sadd"
    SREM = "srem"
    SPOP = "spop"
    SMOVE = "smove"
    SINTERSTORE = "sinterstore"
    SUNIONSTORE = "sunionstore"
    SDIFFSTORE = "sdiffstore"
    # sorted sets
    ZADD = "zadd"
    ZINCRBY = "zincrby"
    ZREM = "zrem"
    ZREMRANGEBYRANK = "zremrangebyrank"
    ZREMRANGEBYSCORE = "zremrangebyscore"
    ZREMRANGEBYLEX = "zremrangebylex"
    ZPOPMIN = "zpopmin"
    ZPOPMAX = "zpopmax"
    BZPOPMIN = "bzpopmin"
    BZPOPMAX = "bzpopmax"
    ZINTERSTORE = "zinterstore"
    ZUNIONSTORE = "zunionstore"
    ZDIFFSTORE = "zdiffstore"
    ZRANGESTORE = "zrangestore"
    # hashes
    HSET = "hset"
    HSETNX = "hsetnx"
    HDEL = "hdel"
    HINCRBY = "hincrby"
    HINCRBYFLOAT = "hincrbyfloat"
    # streams
    XADD = "xadd"
    XTRIM = "xtrim"
    XDEL = "xdel"
    XGROUP_CREATE = "xgroup-create"
    XGROUP_CREATECONSUMER = "xgroup-createconsumer"
    XGROUP_DELCONSUMER = "xgroup-delconsumer"
    XGROUP_DESTROY = "xgroup-destroy"
    XGROUP_SETID = "xgroup-setid"
    XSETID = "xsetid"
    XCLAIM = "xclaim"
    XAUTOCLAIM = "xautoclaim"
    XREADGROUP = "xreadgroup"


# -- channels -----------------------------------------------------------------


def _is_pattern(channel: Any) -> bool:
    """Whether ``channel`` (a str, bytes or channel object) is a glob
    pattern for PSUBSCRIBE: an unescaped ``*`` or ``?``, or a ``[`` closed
    by an unescaped ``]`` (a lone ``[`` is literal)."""
    text = str(channel) if isinstance(channel, _Channel) else _text(channel)
    escaped = False
    open_bracket = False
    for ch in text:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch in "*?" or (ch == "]" and open_bracket):
            return True
        elif ch == "[":
            open_bracket = True
    return False


class _Channel:
    """A notification channel: ``PREFIX<db>__:<body>``. Usable wherever a
    channel name is (``str()`` gives it); equal to that string."""

    PREFIX: ClassVar[str] = ""
    # The constructor arguments (besides db), in order, and how they make
    # the part after ``__:``.
    _FIELDS: ClassVar[Tuple[str, ...]] = ()
    _BODY: ClassVar[str] = ""

    db: int

    def _parts(self) -> Tuple[str, ...]:
        return tuple(getattr(self, f) for f in self._FIELDS)

    @property
    def _channel_str(self) -> str:
        body = self._BODY.format(**{f: getattr(self, f) for f in self._FIELDS})
        return f"{self.PREFIX}{self.db}__:{body}"

    @property
    def is_pattern(self) -> bool:
        """True when a part has glob wildcards (PSUBSCRIBE is used)."""
        return any(_is_pattern(p) for p in self._parts())

    def __str__(self) -> str:
        return self._channel_str

    def __repr__(self) -> str:
        args = ", ".join(repr(p) for p in self._parts())
        return f"{type(self).__name__}({args}, db={self.db})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return self._channel_str == other
        if type(other) is type(self):
            return self._channel_str == str(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._channel_str)


class _KeyChannel(_Channel):
    """A channel named by a key (or a key pattern)."""

    _FIELDS = ("key_or_pattern",)
    _BODY = "{key_or_pattern}"

    def __init__(self, key_or_pattern: str, db: int = 0) -> None:
        self.key_or_pattern = key_or_pattern
        self.db = db


class _EventChannel(_Channel):
    """A channel named by an event (or an event pattern)."""

    _FIELDS = ("event",)
    _BODY = "{event}"

    def __init__(self, event: str, db: int = 0) -> None:
        self.event = event
        self.db = db

    @classmethod
    def all_events(cls: "type[_E]", db: int = 0) -> "_E":
        """Every event of database ``db`` (the pattern ``*``)."""
        return cls("*", db=db)


_E = TypeVar("_E", bound=_EventChannel)


class KeyspaceChannel(_KeyChannel):
    """``__keyspace@<db>__:<key_or_pattern>``: events on keys.

    >>> str(KeyspaceChannel("user:*"))
    '__keyspace@0__:user:*'
    """

    PREFIX = "__keyspace@"


class KeyeventChannel(_EventChannel):
    """``__keyevent@<db>__:<event>``: keys touched by an event.

    >>> str(KeyeventChannel(EventType.EXPIRED, db=2))
    '__keyevent@2__:expired'
    """

    PREFIX = "__keyevent@"


class SubkeyspaceChannel(_KeyChannel):
    """``__subkeyspace@<db>__:<key>``: per-field events of a key (newer
    than Redis 7.0); messages are ``<event>|<len>:<field>[,...]``."""

    PREFIX = "__subkeyspace@"


class SubkeyeventChannel(_EventChannel):
    """``__subkeyevent@<db>__:<event>`` (newer than Redis 7.0); messages
    are ``<len>:<key>|<len>:<field>[,...]``."""

    PREFIX = "__subkeyevent@"


class SubkeyspaceitemChannel(_Channel):
    """``__subkeyspaceitem@<db>__:<key>\\n<field>`` (newer than Redis
    7.0); messages are the event."""

    PREFIX = "__subkeyspaceitem@"
    _FIELDS = ("key_or_pattern", "subkey_or_pattern")
    _BODY = "{key_or_pattern}\n{subkey_or_pattern}"

    def __init__(self, key_or_pattern: str, subkey_or_pattern: str, db: int = 0) -> None:
        self.key_or_pattern = key_or_pattern
        self.subkey_or_pattern = subkey_or_pattern
        self.db = db


class SubkeyspaceeventChannel(_Channel):
    """``__subkeyspaceevent@<db>__:<event>|<key>`` (newer than Redis 7.0);
    messages are ``<len>:<field>[,...]``."""

    PREFIX = "__subkeyspaceevent@"
    _FIELDS = ("event", "key_or_pattern")
    _BODY = "{event}|{key_or_pattern}"

    def __init__(self, event: str, key_or_pattern: str, db: int = 0) -> None:
        self.event = event
        self.key_or_pattern = key_or_pattern
        self.db = db


ChannelT = Union[
    str, bytes, KeyspaceChannel, KeyeventChannel, SubkeyspaceChannel, SubkeyeventChannel,
    SubkeyspaceitemChannel, SubkeyspaceeventChannel,
]


class ChannelType(Enum):
    """The kind of a notification channel (see :func:`get_channel_type`)."""

    KEYSPACE = "keyspace"
    KEYEVENT = "keyevent"
    SUBKEYSPACE = "subkeyspace"
    SUBKEYEVENT = "subkeyevent"
    SUBKEYSPACEITEM = "subkeyspaceitem"
    SUBKEYSPACEEVENT = "subkeyspaceevent"


def get_channel_type(channel: Union[str, bytes]) -> Optional[ChannelType]:
    """The :class:`ChannelType` of a channel name, or None for a channel
    that is not a notification channel.

    >>> get_channel_type(b"__keyevent@0__:del")
    <ChannelType.KEYEVENT: 'keyevent'>
    >>> get_channel_type("news") is None
    True
    """
    text = _text(channel)
    for kind in ChannelType:
        if text.startswith(f"__{kind.value}@"):
            return kind
    return None


# kind, database ("*" in a pattern), rest of the channel
_CHANNEL_RE = re.compile(r"^__(keyspace|keyevent|subkeyspace|subkeyevent|subkeyspaceitem|subkeyspaceevent)@(\d+|\*)__:(.+)$", re.DOTALL)


# -- notifications ------------------------------------------------------------


def _length_prefixed(text: str) -> Tuple[List[str], str]:
    """Reads ``<len>:<item>[,<len>:<item>...]`` from the start of
    ``text``; returns the items and what follows the last one."""
    items: List[str] = []
    pos = 0
    while pos < len(text):
        colon = text.index(":", pos)
        size = int(text[pos:colon])
        items.append(text[colon + 1:colon + 1 + size])
        pos = colon + 1 + size
        if text.startswith(",", pos):
            pos += 1
        else:
            break
    return items, text[pos:]


def _split(kind: str, rest: str, data: str) -> Tuple[str, str, bool, List[str]]:
    """(key, event, is_keyspace, subkeys) of a notification of ``kind``
    published on ``...__:<rest>`` with message ``data``."""
    if kind == "keyspace":
        return rest, data, True, []
    if kind == "keyevent":
        return data, rest, False, []
    if kind == "subkeyspace":
        event, _, fields = data.partition("|")
        return rest, event, True, _length_prefixed(fields)[0]
    if kind == "subkeyevent":
        keys, tail = _length_prefixed(data)  # the key, then "|<fields>"
        if len(keys) != 1 or not tail.startswith("|"):
            raise ValueError(data)
        return keys[0], rest, False, _length_prefixed(tail[1:])[0]
    if kind == "subkeyspaceitem":
        key, subkey = rest.split("\n", 1)
        return key, data, True, [subkey]
    event, key = rest.split("|", 1)  # subkeyspaceevent
    return key, event, False, _length_prefixed(data)[0]


@dataclass
class KeyNotification:
    """One keyspace/keyevent (or subkey) notification.

    Attributes:
        key: the key (with the ``key_prefix`` it was read with removed).
        event_type: the event, a plain str (compare with :class:`EventType`).
        database: the database number (-1 when the channel has ``*``).
        channel: the channel it came on.
        is_keyspace: True for ``__keyspace@``-style channels (the message
            is the event), False for ``__keyevent@``-style ones (the
            message is the key).
        data: the message itself.
        subkeys: the hash fields of a subkey notification, else [].
    """

    key: str
    event_type: str
    database: int
    channel: str
    is_keyspace: bool
    data: str
    subkeys: List[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.subkeys is None:  # given explicitly
            self.subkeys = []

    @classmethod
    def from_message(cls, message: Optional[Dict[str, Any]], key_prefix: Union[str, bytes, None] = None) -> Optional["KeyNotification"]:
        """The notification in a pub/sub message dict (``message`` or
        ``pmessage``), or None for anything else, or when the key does not
        start with ``key_prefix``."""
        if not message or message.get("type") not in ("message", "pmessage"):
            return None
        channel, data = message.get("channel"), message.get("data")
        if channel is None or data is None:
            return None
        return cls.try_parse(channel, data, key_prefix)

    @classmethod
    def try_parse(cls, channel: Union[str, bytes], data: Union[str, bytes], key_prefix: Union[str, bytes, None] = None) -> Optional["KeyNotification"]:
        """The notification published on ``channel`` with message ``data``;
        None when the channel is not a notification channel, the message
        is malformed, or the key lacks ``key_prefix`` (which is removed
        from the key otherwise).

        >>> n = KeyNotification.try_parse(b"__keyevent@3__:expired", b"session:9", "session:")
        >>> n.key, n.event_type, n.database, n.is_keyspace
        ('9', 'expired', 3, False)
        """
        channel_text, data_text = _text(channel), _text(data)
        match = _CHANNEL_RE.match(channel_text)
        if match is None:
            return None
        kind, db, rest = match.groups()
        try:
            key, event, is_keyspace, subkeys = _split(kind, rest, data_text)
        except ValueError:
            return None
        if key_prefix:
            prefix = _text(key_prefix)
            if not key.startswith(prefix):
                return None
            key = key[len(prefix):]
        return cls(
            key=key, event_type=event, database=-1 if db == "*" else int(db), channel=channel_text,
            is_keyspace=is_keyspace, data=data_text, subkeys=subkeys,
        )

    def key_starts_with(self, prefix: Union[str, bytes]) -> bool:
        """Whether :attr:`key` starts with ``prefix``."""
        return self.key.startswith(_text(prefix))


SyncHandlerT = Callable[[KeyNotification], None]


# -- the subscriber -------------------------------------------------------------


class KeyspaceNotificationsInterface(ABC):
    """What a keyspace notification subscriber offers (redis-py's
    interface, shared with its cluster variant)."""

    @abstractmethod
    def subscribe(self, *channels: ChannelT, handler: Optional[SyncHandlerT] = None) -> None: ...

    @abstractmethod
    def unsubscribe(self, *channels: ChannelT) -> None: ...

    @abstractmethod
    def subscribe_keyspace(self, key_or_pattern: str, db: int = 0, handler: Optional[SyncHandlerT] = None) -> None: ...

    @abstractmethod
    def subscribe_keyevent(self, event: str, db: int = 0, handler: Optional[SyncHandlerT] = None) -> None: ...

    @abstractmethod
    def subscribe_subkeyspace(self, key_or_pattern: str, db: int = 0, handler: Optional[SyncHandlerT] = None) -> None: ...

    @abstractmethod
    def subscribe_subkeyevent(self, event: str, db: int = 0, handler: Optional[SyncHandlerT] = None) -> None: ...

    @abstractmethod
    def subscribe_subkeyspaceitem(self, key_or_pattern: str, subkey_or_pattern: str, db: int = 0, handler: Optional[SyncHandlerT] = None) -> None: ...

    @abstractmethod
    def subscribe_subkeyspaceevent(self, event: str, key_or_pattern: str, db: int = 0, handler: Optional[SyncHandlerT] = None) -> None: ...

    @abstractmethod
    def get_message(self, ignore_subscribe_messages: Optional[bool] = None, timeout: float = 0.0) -> Optional[KeyNotification]: ...

    @abstractmethod
    def listen(self) -> Iterator[KeyNotification]: ...

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def __enter__(self) -> Any: ...

    @abstractmethod
    def __exit__(self, _exc_type: Any, _exc_val: Any, _exc_tb: Any) -> Any: ...

    @property
    @abstractmethod
    def subscribed(self) -> bool: ...

    @abstractmethod
    def run_in_thread(self, poll_timeout: float = 0.0, daemon: bool = False, exception_handler: Optional[Callable[..., None]] = None) -> "KeyspaceWorkerThread": ...


class _SubscriberBase:
    """What the sync and asyncio subscribers share: their settings, and
    the channels asked for sorted into PSUBSCRIBE patterns and SUBSCRIBE
    names, each mapped to the pub/sub handler that wraps the user's."""

    def __init__(self, key_prefix: Union[str, bytes, None] = None, ignore_subscribe_messages: bool = True) -> None:
        self.key_prefix = key_prefix
        self.ignore_subscribe_messages = ignore_subscribe_messages
        self._closed = False

    def _handler_for(self, handler: Optional[Callable[[KeyNotification], Any]]) -> Optional[Callable[[Dict[str, Any]], Any]]:
        """A pub/sub message handler that calls ``handler`` with the
        notification (messages that are not one are dropped). It returns
        what ``handler`` returns: an asyncio PubSub awaits a coroutine
        function's result."""
        if handler is None:
            return None
        prefix = self.key_prefix

        def on_message(message: Dict[str, Any]) -> Any:
            notification = KeyNotification.from_message(message, key_prefix=prefix)
            if notification is None:
                return None
            return handler(notification)

        return on_message

    @staticmethod
    def _sort(channels: Tuple[ChannelT, ...]) -> Tuple[List[str], List[str]]:
        """(patterns, exact channel names) among ``channels``."""
        patterns: List[str] = []
        exact: List[str] = []
        for channel in channels:
            name = str(channel) if isinstance(channel, _Channel) else _text(channel)
            (patterns if _is_pattern(channel) else exact).append(name)
        return patterns, exact

    def _subscriptions(self, channels: Tuple[ChannelT, ...], handler: Optional[Callable[[KeyNotification], Any]]) -> Tuple[Dict[str, Any], Dict[str, Any]]:
        """(pattern -> pub/sub handler, channel -> pub/sub handler) for
        subscribing to ``channels`` with ``handler``."""
        on_message = self._handler_for(handler)
        patterns, exact = self._sort(channels)
        return dict.fromkeys(patterns, on_message), dict.fromkeys(exact, on_message)


def _missing_handler(channels: Dict[Any, Any], patterns: Dict[Any, Any]) -> Optional[str]:
    """The error text for the first subscription without a handler."""
    for kind, subs in (("Channel", channels), ("Pattern", patterns)):
        for name, handler in subs.items():
            if handler is None:
                return f"{kind} '{_text(name)}' has no handler registered"
    return None


class _ClusterRegistry:
    """The bookkeeping of a cluster subscriber (sync and asyncio): what
    every primary must be subscribed to (name -> pub/sub handler), kept
    here so that a primary that appears or reconnects is subscribed
    again, and each primary's PubSub by node name."""

    _closed: bool

    def _init_registry(self) -> None:
        self._subscribed_patterns: Dict[str, Any] = {}
        self._subscribed_channels: Dict[str, Any] = {}
        self._node_pubsubs: Dict[str, Any] = {}
        self._poll_index = 0

    @property
    def subscribed(self) -> bool:
        """True while open with at least one subscription."""
        return not self._closed and bool(self._subscribed_patterns or self._subscribed_channels)

    def _validate_all_handlers(self) -> None:
        error = _missing_handler(self._subscribed_channels, self._subscribed_patterns)
        if error is not None:
            raise RedisError(error)

    def _track(self, patterns: Dict[str, Any], exact_channels: Dict[str, Any]) -> None:
        self._subscribed_patterns.update(patterns)
        self._subscribed_channels.update(exact_channels)

    def _untrack(self, patterns: List[str], exact_channels: List[str]) -> None:
        for name in patterns:
            self._subscribed_patterns.pop(name, None)
        for name in exact_channels:
            self._subscribed_channels.pop(name, None)

    def _forget(self) -> None:
        self._subscribed_patterns.clear()
        self._subscribed_channels.clear()


class AbstractKeyspaceNotifications(_SubscriberBase, KeyspaceNotificationsInterface):
    """The subscription logic; subclasses say how to (un)subscribe and how
    to read messages."""

    def subscribe(self, *channels: ChannelT, handler: Optional[SyncHandlerT] = None) -> None:
        """Subscribe to ``channels`` (names or channel objects); patterns
        are PSUBSCRIBEd. With ``handler``, their notifications go to it
        (``handler(notification)``) instead of :meth:`get_message`."""
        self._execute_subscribe(*self._subscriptions(channels, handler))

    def unsubscribe(self, *channels: ChannelT) -> None:
        """Unsubscribe from ``channels`` (patterns are PUNSUBSCRIBEd)."""
        patterns, exact = self._sort(channels)
        self._execute_unsubscribe(patterns, exact)

    @abstractmethod
    def _execute_subscribe(self, patterns: Dict[str, Any], exact_channels: Dict[str, Any]) -> None: ...

    @abstractmethod
    def _execute_unsubscribe(self, patterns: List[str], exact_channels: List[str]) -> None: ...

    @abstractmethod
    def _validate_all_handlers(self) -> None: ...

    def subscribe_keyspace(self, key_or_pattern: str, db: int = 0, handler: Optional[SyncHandlerT] = None) -> None:
        """Subscribe to the events of keys ``key_or_pattern`` in ``db``."""
        self.subscribe(KeyspaceChannel(key_or_pattern, db=db), handler=handler)

    def subscribe_keyevent(self, event: str, db: int = 0, handler: Optional[SyncHandlerT] = None) -> None:
        """Subscribe to the keys touched by ``event`` (a pattern too) in ``db``."""
        self.subscribe(KeyeventChannel(event, db=db), handler=handler)

    def subscribe_subkeyspace(self, key_or_pattern: str, db: int = 0, handler: Optional[SyncHandlerT] = None) -> None:
        """Subscribe to per-field events of keys ``key_or_pattern``."""
        self.subscribe(SubkeyspaceChannel(key_or_pattern, db=db), handler=handler)

    def subscribe_subkeyevent(self, event: str, db: int = 0, handler: Optional[SyncHandlerT] = None) -> None:
        """Subscribe to the keys and fields touched by ``event``."""
        self.subscribe(SubkeyeventChannel(event, db=db), handler=handler)

    def subscribe_subkeyspaceitem(self, key_or_pattern: str, subkey_or_pattern: str, db: int = 0, handler: Optional[SyncHandlerT] = None) -> None:
        """Subscribe to the events of one field of a key."""
        self.subscribe(SubkeyspaceitemChannel(key_or_pattern, subkey_or_pattern, db=db), handler=handler)

    def subscribe_subkeyspaceevent(self, event: str, key_or_pattern: str, db: int = 0, handler: Optional[SyncHandlerT] = None) -> None:
        """Subscribe to the fields of a key touched by ``event``."""
        self.subscribe(SubkeyspaceeventChannel(event, key_or_pattern, db=db), handler=handler)

    def __enter__(self) -> Any:
        return self

    def __exit__(self, _exc_type: Any, _exc_val: Any, _exc_tb: Any) -> Literal[False]:
        self.close()
        return False

    def run_in_thread(self, poll_timeout: float = 0.0, daemon: bool = False, exception_handler: Optional[Callable[..., None]] = None) -> "KeyspaceWorkerThread":
        """Start a thread that reads messages (so handlers run) until its
        ``stop()``; then it closes this object. Every subscription needs a
        handler (else :class:`~redcore.exceptions.RedisError`). An error
        in the thread goes to ``exception_handler(error, self, thread)``
        when given. Prefer a positive ``poll_timeout``: 0 busy-waits."""
        self._validate_all_handlers()
        thread = KeyspaceWorkerThread(self, poll_timeout, daemon=daemon, exception_handler=exception_handler)
        thread.start()
        return thread


class KeyspaceWorkerThread(_ReaderThread):
    """The thread of :meth:`AbstractKeyspaceNotifications.run_in_thread`;
    ``stop()`` asks it to finish (it closes the notifications object)."""

    def __init__(self, notifications: KeyspaceNotificationsInterface, poll_timeout: float, daemon: bool = False, exception_handler: Optional[Callable[..., None]] = None) -> None:
        super().__init__(notifications, poll_timeout, daemon=daemon, exception_handler=exception_handler)
        self.notifications = notifications
        self.poll_timeout = poll_timeout


class KeyspaceNotifications(AbstractKeyspaceNotifications):
    """Keyspace notifications of one client (embedded or a server), read
    from one :class:`~redcore.PubSub`.

    ``key_prefix`` keeps only the keys that start with it, and removes it
    from :attr:`KeyNotification.key`. The server must publish the events:
    ``config_set("notify-keyspace-events", "KEA")`` or similar.
    """

    def __init__(self, redis_client: Any, key_prefix: Union[str, bytes, None] = None, ignore_subscribe_messages: bool = True) -> None:
        super().__init__(key_prefix, ignore_subscribe_messages)
        self.redis = redis_client
        # Confirmations are filtered per call (get_message's argument).
        self._pubsub = redis_client.pubsub(ignore_subscribe_messages=False)

    def _execute_subscribe(self, patterns: Dict[str, Any], exact_channels: Dict[str, Any]) -> None:
        # name -> handler (or None) as keyword arguments: any str is a
        # valid key in **kwargs, so channel names need not be identifiers.
        if patterns:
            self._pubsub.psubscribe(**patterns)
        if exact_channels:
            self._pubsub.subscribe(**exact_channels)

    def _execute_unsubscribe(self, patterns: List[str], exact_channels: List[str]) -> None:
        if patterns:
            self._pubsub.punsubscribe(*patterns)
        if exact_channels:
            self._pubsub.unsubscribe(*exact_channels)

    def get_message(self, ignore_subscribe_messages: Optional[bool] = None, timeout: float = 0.0) -> Optional[KeyNotification]:
        """The next notification, waiting up to ``timeout`` seconds; None
        when there is none, when the message is not a notification (a
        subscribe confirmation...), when its key lacks ``key_prefix``, or
        when a handler took it."""
        if self._closed:
            return None
        if ignore_subscribe_messages is None:
            ignore_subscribe_messages = self.ignore_subscribe_messages
        message = self._pubsub.get_message(ignore_subscribe_messages=ignore_subscribe_messages, timeout=timeout)
        return KeyNotification.from_message(message, key_prefix=self.key_prefix)

    def listen(self) -> Iterator[KeyNotification]:
        """Yield notifications as they come, while subscribed."""
        while self.subscribed:
            notification = self.get_message(timeout=1.0)
            if notification is not None:
                yield notification

    @property
    def subscribed(self) -> bool:
        """True while open with at least one subscription."""
        return not self._closed and bool(self._pubsub.subscribed)

    def _validate_all_handlers(self) -> None:
        error = _missing_handler(self._pubsub.channels, self._pubsub.patterns)
        if error is not None:
            raise RedisError(error)

    def close(self) -> None:
        """Unsubscribe and release the pub/sub connection."""
        self._closed = True
        try:
            self._pubsub.close()
        except Exception:
            pass


class ClusterKeyspaceNotifications(_ClusterRegistry, AbstractKeyspaceNotifications):
    """Keyspace notifications of a whole :class:`~redcore.RedisCluster`.

    Redis Cluster does not forward keyspace events between nodes, so this
    holds one :class:`~redcore.PubSub` per primary, each subscribed to the
    same channels and patterns, and :meth:`get_message` reads them in turn.
    The subscriptions are kept here too, so a primary that appears (a
    failover, a new shard) or whose connection broke is subscribed again
    by :meth:`refresh_subscriptions`, which a read error calls itself.
    ``notify-keyspace-events`` must be set on every node.
    """

    def __init__(self, redis_cluster: Any, key_prefix: Union[str, bytes, None] = None, ignore_subscribe_messages: bool = True) -> None:
        super().__init__(key_prefix, ignore_subscribe_messages)
        self.cluster = redis_cluster
        self._init_registry()
        self._refresh_lock = threading.Lock()

    def _drop_node(self, name: str) -> None:
        """Forgets a primary's PubSub, closing its connection."""
        pubsub = self._node_pubsubs.pop(name, None)
        if pubsub is not None:
            try:
                pubsub.close()
            except Exception:
                pass

    def _pubsub_of(self, node: Any) -> Tuple[Any, bool]:
        """(the primary's PubSub, True when it was just made)."""
        pubsub = self._node_pubsubs.get(node.name)
        if pubsub is not None:
            return pubsub, False
        # Confirmations are filtered per call (get_message's argument).
        pubsub = self.cluster.get_redis_connection(node).pubsub(ignore_subscribe_messages=False)
        self._node_pubsubs[node.name] = pubsub
        return pubsub, True

    @staticmethod
    def _send(pubsub: Any, patterns: Dict[str, Any], channels: Dict[str, Any]) -> None:
        if patterns:
            pubsub.psubscribe(**patterns)
        if channels:
            pubsub.subscribe(**channels)

    def _execute_subscribe(self, patterns: Dict[str, Any], exact_channels: Dict[str, Any]) -> None:
        if not patterns and not exact_channels:
            return
        failed = []
        for node in self.cluster.get_primaries():
            pubsub, new = self._pubsub_of(node)
            try:
                if new:  # catch up with the earlier subscriptions first
                    self._send(pubsub, self._subscribed_patterns, self._subscribed_channels)
                self._send(pubsub, patterns, exact_channels)
            except Exception:
                self._drop_node(node.name)
                failed.append(node.name)
        self._track(patterns, exact_channels)
        if failed:
            logger.warning("could not subscribe on %s; the next refresh will retry", ", ".join(failed))

    def _execute_unsubscribe(self, patterns: List[str], exact_channels: List[str]) -> None:
        self._untrack(patterns, exact_channels)
        for node_name, pubsub in list(self._node_pubsubs.items()):
            try:
                if patterns:
                    pubsub.punsubscribe(*patterns)
                if exact_channels:
                    pubsub.unsubscribe(*exact_channels)
            except Exception:
                self._drop_node(node_name)

    def _read(self, pubsub: Any, ignore: bool, timeout: float) -> Tuple[Optional[KeyNotification], bool]:
        """(a notification from ``pubsub`` or None, False if it failed)."""
        try:
            message = pubsub.get_message(ignore_subscribe_messages=ignore, timeout=timeout)
        except (ConnectionError, RedisError, OSError):
            return None, False
        return KeyNotification.from_message(message, key_prefix=self.key_prefix), True

    def get_message(self, ignore_subscribe_messages: Optional[bool] = None, timeout: float = 0.0) -> Optional[KeyNotification]:
        """The next notification from any primary, waiting up to
        ``timeout`` seconds in all (0: one look at each primary); None when
        there is none or a handler took it. A primary whose connection
        fails is dropped and the subscriptions are refreshed."""
        if self._closed:
            return None
        if not self._node_pubsubs:
            if timeout > 0:
                time.sleep(timeout)
            return None
        ignore = self.ignore_subscribe_messages if ignore_subscribe_messages is None else ignore_subscribe_messages
        if timeout == 0.0:
            failed = False
            found = None
            for pubsub in list(self._node_pubsubs.values()):
                found, ok = self._read(pubsub, ignore, 0.0)
                failed = failed or not ok
                if found is not None:
                    break
            if failed:
                self._refresh_after_error()
            return found
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pubsubs = list(self._node_pubsubs.values())
            if not pubsubs:
                return None
            self._poll_index %= len(pubsubs)
            pubsub = pubsubs[self._poll_index]
            self._poll_index += 1
            # Short turns, so that no primary waits behind another.
            turn = min(0.1, timeout / len(pubsubs), max(deadline - time.monotonic(), 0.0))
            found, ok = self._read(pubsub, ignore, turn)
            if not ok:
                self._refresh_after_error()
            elif found is not None:
                return found
        return None

    def listen(self) -> Iterator[KeyNotification]:
        """Yield notifications from every primary as they come, while subscribed."""
        while self.subscribed:
            notification = self.get_message(timeout=1.0)
            if notification is not None:
                yield notification

    def _refresh_after_error(self) -> None:
        self._poll_index = 0
        try:
            self.refresh_subscriptions()
        except Exception:
            logger.warning("refreshing the cluster's subscriptions failed; the next error retries", exc_info=True)

    def refresh_subscriptions(self) -> None:
        """Follows the cluster: drops the PubSubs of nodes that are no longer
        primaries or whose connection broke, and subscribes every primary
        without one to all the current channels and patterns. Raises
        :class:`~redcore.exceptions.ConnectionError` naming the primaries it
        could not subscribe (after trying them all)."""
        with self._refresh_lock:
            primaries = {node.name: node for node in self.cluster.get_primaries()}
            for name, pubsub in list(self._node_pubsubs.items()):
                connection = getattr(pubsub, "connection", None)
                if name not in primaries or connection is None or not getattr(connection, "is_connected", True):
                    self._drop_node(name)
            failed = []
            for name, node in primaries.items():
                if name in self._node_pubsubs:
                    continue
                pubsub, _ = self._pubsub_of(node)
                try:
                    self._send(pubsub, self._subscribed_patterns, self._subscribed_channels)
                except Exception:
                    self._drop_node(name)
                    failed.append(name)
            if failed:
                raise ConnectionError(f"Failed to subscribe to cluster nodes: {', '.join(failed)}")

    def close(self) -> None:
        """Closes every primary's pub/sub connection and forgets the
        subscriptions."""
        self._closed = True
        for name in list(self._node_pubsubs):
            self._drop_node(name)
        self._forget()


__all__ = [
    "AbstractKeyspaceNotifications",
    "ChannelT",
    "ChannelType",
    "ClusterKeyspaceNotifications",
    "EventType",
    "KeyNotification",
    "KeyeventChannel",
    "KeyspaceChannel",
    "KeyspaceNotifications",
    "KeyspaceNotificationsInterface",
    "KeyspaceWorkerThread",
    "SubkeyeventChannel",
    "SubkeyspaceChannel",
    "SubkeyspaceeventChannel",
    "SubkeyspaceitemChannel",
    "SyncHandlerT",
    "get_channel_type",
]
