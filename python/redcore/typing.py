"""Type aliases for the arguments of the command methods, under the names
redis-py's ``redis.typing`` gives them, so annotated code written for
redis-py (``from redis.typing import KeyT``) type-checks with only the
import changed::

    from redcore.typing import EncodableT, KeyT

    def remember(r: "redcore.Redis", key: KeyT, value: EncodableT) -> None:
        r.set(key, value, ex=60)
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Iterable, TypeVar, Union

if TYPE_CHECKING:
    from ._pubsub import Subscription

Number = Union[int, float]
"""A numeric argument."""

EncodedT = Union[bytes, bytearray, memoryview]
"""Bytes as they go on the wire."""

DecodedT = Union[str, int, float]
"""Values the client encodes (``str`` with the client's encoding, numbers as text)."""

EncodableT = Union[EncodedT, DecodedT]
"""Anything a value argument takes."""

_StringLike = Union[bytes, str, memoryview]

KeyT = _StringLike
"""A key name."""

PatternT = _StringLike
"""A glob-style pattern (SCAN MATCH, KEYS, PSUBSCRIBE...)."""

FieldT = EncodableT
"""A field of a hash, a stream entry or a geo member."""

KeysT = Union[KeyT, Iterable[KeyT]]
"""One key or several."""

ChannelT = _StringLike
"""A pub/sub channel name."""

AnyKeyT = TypeVar("AnyKeyT", bytes, str, memoryview)
AnyFieldT = TypeVar("AnyFieldT", bytes, str, memoryview)
AnyChannelT = TypeVar("AnyChannelT", bytes, str, memoryview)

PubSubHandler = Callable[[dict[str, Any]], Any]
"""A pub/sub message handler: called with each message dict."""

GroupT = _StringLike
"""A stream consumer group name."""

ConsumerT = _StringLike
"""A stream consumer name."""

StreamIdT = Union[int, _StringLike]
"""A stream entry ID (``"1700000000000-0"``, ``"$"``, ``">"``...)."""

ScriptTextT = _StringLike
"""Lua source text."""

TimeoutSecT = Union[int, float, _StringLike]
"""A blocking command's timeout in seconds."""

AbsExpiryT = Union[int, datetime]
"""An absolute expiry: a Unix time or a ``datetime``."""

ExpiryT = Union[int, timedelta]
"""A relative expiry: seconds (or milliseconds) or a ``timedelta``."""

ZScoreBoundT = Union[float, str]
"""A sorted-set score bound; a string allows ``"(1.5"``, ``"-inf"``, ``"+inf"``."""

BitfieldOffsetT = Union[int, str]
"""A BITFIELD offset; a string allows ``"#3"`` (in units of the type's width)."""

ResponseT = Union[Awaitable[Any], Any]
"""A command method's reply (awaitable on the asyncio client)."""

def __getattr__(name: str) -> Any:
    # Subscription lives with the pub/sub code (imported on first use).
    if name == "Subscription":
        from ._pubsub import Subscription

        return Subscription
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AnyChannelT", "AnyFieldT", "AnyKeyT", "PubSubHandler", "Subscription",
    "AbsExpiryT", "BitfieldOffsetT", "ChannelT", "ConsumerT", "DecodedT", "EncodableT", "EncodedT",
    "ExpiryT", "FieldT", "GroupT", "KeyT", "KeysT", "Number", "PatternT", "ResponseT", "ScriptTextT",
    "StreamIdT", "TimeoutSecT", "ZScoreBoundT",
]
