"""The pieces every limiter shares: the result type, the exception, and the
base class that runs a limiter's Lua script and reads its reply."""

from __future__ import annotations

import abc
import copy
import inspect
import math
from dataclasses import dataclass
from typing import Any, Awaitable, Dict, List, Optional

# Scripts report durations in whole microseconds (TIME's precision).
_US = 1_000_000.0

# Shared by every script: the server's clock in microseconds. A double holds
# epoch microseconds exactly (they stay below 2**53 until the year 2255).
# Replicating a script by its effects lets TIME precede writes: always so
# since Redis 7, the default since 5; older servers must be asked.
LUA_PRELUDE = """
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local cost = tonumber(ARGV[1])
local write = ARGV[2] == '1' and cost > 0
local function num(x) return string.format('%.17g', x) end
local function int(x) return string.format('%d', x) end
local function ttl_ms(us) return int(math.max(1, math.ceil(us / 1000))) end
"""


@dataclass(frozen=True)
class RateLimitResult:
    """The outcome of one check.

    Attributes:
        allowed: whether the request is admitted (for ``peek``: whether a
            hit of that cost would be).
        limit: the most the limiter admits at once (window limit, bucket
            capacity, burst).
        remaining: how many more units could be taken right now.
        reset_after: seconds until the limiter is back to its full,
            untouched state (0 when it already is).
        retry_after: seconds until a request of this cost would be
            admitted; 0 when allowed.

    >>> res = RateLimitResult(True, 10, 9, 1.0, 0.0)
    >>> bool(res), res.headers()["RateLimit-Remaining"]
    (True, '9')
    """

    allowed: bool
    limit: int
    remaining: int
    reset_after: float
    retry_after: float

    def __bool__(self) -> bool:
        return self.allowed

    def headers(self) -> Dict[str, str]:
        """The standard response headers for this result: ``RateLimit-Limit``,
        ``RateLimit-Remaining``, ``RateLimit-Reset`` (IETF draft, whole
        seconds, rounded up) and, when denied, ``Retry-After`` (whole
        seconds, at least 1).

        >>> RateLimitResult(False, 5, 0, 0.4, 0.2).headers()["Retry-After"]
        '1'
        """
        out = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(math.ceil(self.reset_after)),
        }
        if not self.allowed:
            out["Retry-After"] = str(max(1, math.ceil(self.retry_after)))
        return out


class RateLimitExceeded(Exception):
    """Raised by :func:`rate_limited` when a call is over its limit; the
    check's :class:`RateLimitResult` is in ``result``.

    >>> err = RateLimitExceeded(RateLimitResult(False, 1, 0, 1.0, 1.0))
    >>> err.retry_after
    1.0
    """

    def __init__(self, result: RateLimitResult) -> None:
        super().__init__(f"rate limit exceeded; retry after {result.retry_after:.3f}s")
        self.result = result

    @property
    def retry_after(self) -> float:
        return self.result.retry_after


def _parse(raw: Any, limit: int) -> RateLimitResult:
    allowed, remaining, reset_us, retry_us = (int(x) for x in raw)
    return RateLimitResult(
        allowed=bool(allowed),
        limit=limit,
        remaining=max(0, remaining),
        reset_after=max(0, reset_us) / _US,
        retry_after=0.0 if allowed else max(1, retry_us) / _US,
    )


async def _await_parse(pending: Awaitable[Any], limit: int) -> RateLimitResult:
    return _parse(await pending, limit)


class Limiter(abc.ABC):
    """Base class: one limiter state under one key, changed by one Lua
    script (so each check is atomic, and touches only that key, so it works
    on a cluster). Subclasses give the script and its parameters.

    With an asyncio client (``redis.asyncio.Redis``) ``hit``/``peek``/
    ``reset`` return awaitables; ``ahit``/``apeek`` work with either kind.

    >>> import redcore
    >>> from redcore.ratelimit import FixedWindow
    >>> limiter = FixedWindow(redcore.Redis(), "api:{user42}", limit=2, window=60)
    >>> [limiter.hit().allowed for _ in range(3)]
    [True, True, False]
    """

    SCRIPT = ""
    limit: int

    def __init__(self, client: Any, key: Any) -> None:
        self.client = client
        self.key = key
        self._script = client.register_script(LUA_PRELUDE + self.SCRIPT)

    @abc.abstractmethod
    def _args(self) -> List[Any]:
        """The script's ARGV after the common ones: the limiter's parameters."""

    def _check_cost(self, cost: int) -> int:
        if not isinstance(cost, int) or isinstance(cost, bool) or cost < 0:
            raise ValueError(f"cost must be a non-negative int, not {cost!r}")
        if cost > self.limit:
            raise ValueError(f"cost {cost} exceeds the limit {self.limit}: it could never be admitted")
        return cost

    def _run(self, cost: int, write: bool) -> Any:
        raw = self._script(keys=[self.key], args=[self._check_cost(cost), 1 if write else 0, *self._args()])
        if inspect.isawaitable(raw):
            return _await_parse(raw, self.limit)
        return _parse(raw, self.limit)

    def hit(self, cost: int = 1) -> RateLimitResult:
        """Takes ``cost`` units if they are available (all or nothing); a
        denied hit takes nothing.

        >>> import redcore
        >>> from redcore.ratelimit import TokenBucket
        >>> TokenBucket(redcore.Redis(), "k", rate=5, per=1.0).hit(3).remaining
        2
        """
        return self._run(cost, True)  # type: ignore[no-any-return]

    def peek(self, cost: int = 1) -> RateLimitResult:
        """Reports the state without taking anything: ``allowed`` says
        whether ``hit(cost)`` would pass, ``remaining`` what is available.

        >>> import redcore
        >>> from redcore.ratelimit import GCRA
        >>> GCRA(redcore.Redis(), "k", rate=5, per=1.0).peek().remaining
        5
        """
        return self._run(cost, False)  # type: ignore[no-any-return]

    async def ahit(self, cost: int = 1) -> RateLimitResult:
        """``hit`` for async code, with an asyncio or a blocking client."""
        res: Any = self.hit(cost)
        return await res if inspect.isawaitable(res) else res  # type: ignore[no-any-return]

    async def apeek(self, cost: int = 1) -> RateLimitResult:
        """``peek`` for async code, with an asyncio or a blocking client."""
        res: Any = self.peek(cost)
        return await res if inspect.isawaitable(res) else res  # type: ignore[no-any-return]

    def reset(self) -> Any:
        """Forgets all usage: the limiter is back to full.

        >>> import redcore
        >>> from redcore.ratelimit import FixedWindow
        >>> lim = FixedWindow(redcore.Redis(), "k", limit=1, window=60)
        >>> lim.hit().allowed, lim.hit().allowed, lim.reset(), lim.hit().allowed
        (True, False, 1, True)
        """
        return self.client.delete(self.key)

    def for_key(self, key: Any) -> "Limiter":
        """A limiter with the same settings (and client) under another key.

        >>> import redcore
        >>> from redcore.ratelimit import FixedWindow
        >>> FixedWindow(redcore.Redis(), "a", limit=1, window=1).for_key("b").key
        'b'
        """
        other = copy.copy(self)
        other.key = key
        return other

    def __repr__(self) -> str:
        return f"<{type(self).__name__} key={self.key!r} limit={self.limit}>"


def join_key(base: Any, suffix: Any) -> Any:
    """``base:suffix``, keeping ``base``'s type (str or bytes).

    >>> join_key("api", 42), join_key(b"api", "u")
    ('api:42', b'api:u')
    """
    if isinstance(base, bytes):
        tail = suffix if isinstance(suffix, bytes) else str(suffix).encode()
        return base + b":" + tail
    if isinstance(suffix, bytes):
        suffix = suffix.decode("utf-8", "replace")
    return f"{base}:{suffix}"


# A Limiter, or a factory returning one (typed loosely: any object with
# hit()/for_key() counts as a limiter).
LimiterSource = Any


def resolve_limiter(source: LimiterSource, key: Optional[Any], keyed: bool) -> Limiter:
    """The limiter for one check: ``source`` itself when it is a limiter
    (``for_key(base:key)`` when a key function gave ``key``), or
    ``source(key)`` / ``source()`` when it is a factory. ``keyed`` says
    whether a key function was in play."""
    if hasattr(source, "hit") and hasattr(source, "for_key"):
        return source.for_key(join_key(source.key, key)) if keyed else source  # type: ignore[no-any-return]
    return source(key) if keyed else source()  # type: ignore[no-any-return]
