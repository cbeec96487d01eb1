"""The six limiters. Each check is one Lua script on one key, timed by the
server's clock (``TIME``, microseconds), so clients with skewed clocks
agree and no check can race another. Every script replies
``{allowed, remaining, reset_after_us, retry_after_us}``; state that would
be indistinguishable from "never used" expires on its own (PEXPIRE).

Windows (fixed, sliding log, sliding counter) start at a key's first hit,
not at wall-clock boundaries, so limits for many keys don't all roll over
at the same instant.
"""

from __future__ import annotations

from typing import Any, List

from ._base import Limiter

_FIXED_WINDOW = """
local limit, win = tonumber(ARGV[3]), tonumber(ARGV[4])
local st = redis.call('HMGET', KEYS[1], 's', 'c')
local start, count = tonumber(st[1]), tonumber(st[2]) or 0
if not start or now >= start + win then start, count = now, 0 end
local allowed = count + cost <= limit
if allowed and write then
    count = count + cost
    redis.call('HSET', KEYS[1], 's', int(start), 'c', int(count))
    redis.call('PEXPIRE', KEYS[1], ttl_ms(start + win - now))
end
local reset = 0
if count > 0 then reset = start + win - now end
return {allowed and 1 or 0, limit - count, math.ceil(reset), math.ceil(reset)}
"""

# One sorted-set member per admitted unit, scored by its time. Scores grow
# strictly per key (a hit in the same microsecond as the last one is stamped
# 1 us later), so "<stamp>:<n>" members never collide.
_SLIDING_LOG = """
local limit, win = tonumber(ARGV[3]), tonumber(ARGV[4])
local key = KEYS[1]
local edge = '(' .. int(now - win)
local count = redis.call('ZCOUNT', key, edge, '+inf')
local allowed = count + cost <= limit
local newest = nil
local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
if count > 0 then newest = tonumber(last[2]) end
if allowed and write then
    local stamp = now
    if last[2] and tonumber(last[2]) >= stamp then stamp = tonumber(last[2]) + 1 end
    redis.call('ZREMRANGEBYSCORE', key, '-inf', int(now - win))
    local s = int(stamp)
    local batch = {}
    for i = 1, cost do
        batch[#batch + 1] = s
        batch[#batch + 1] = s .. ':' .. i
        if #batch >= 1000 or i == cost then
            redis.call('ZADD', key, unpack(batch))
            batch = {}
        end
    end
    count = count + cost
    newest = stamp
    redis.call('PEXPIRE', key, ttl_ms(stamp + win - now))
end
local reset, retry = 0, 0
if newest then reset = newest + win - now end
if not allowed then
    local k = count + cost - limit
    local nth = redis.call('ZRANGEBYSCORE', key, edge, '+inf', 'WITHSCORES', 'LIMIT', k - 1, 1)
    retry = tonumber(nth[2]) + win - now
end
return {allowed and 1 or 0, limit - count, math.ceil(reset), math.ceil(retry)}
"""

# Estimated usage = previous window's count * the part of it still inside
# the sliding window + the current window's count.
_SLIDING_COUNTER = """
local limit, win = tonumber(ARGV[3]), tonumber(ARGV[4])
local st = redis.call('HMGET', KEYS[1], 's', 'c', 'p')
local start, cur, prev = tonumber(st[1]), tonumber(st[2]) or 0, tonumber(st[3]) or 0
if not start then
    start, cur, prev = now, 0, 0
else
    local n = math.floor((now - start) / win)
    if n >= 1 then
        if n == 1 then prev = cur else prev = 0 end
        cur = 0
        start = start + n * win
    end
end
local weight = 1 - (now - start) / win
local est = prev * weight + cur
local allowed = est + cost <= limit
local retry = 0
if allowed and write then
    cur = cur + cost
    est = est + cost
    redis.call('HSET', KEYS[1], 's', int(start), 'c', int(cur), 'p', int(prev))
    redis.call('PEXPIRE', KEYS[1], ttl_ms(start + 2 * win - now))
elseif not allowed then
    if cur + cost <= limit then
        retry = start + (1 - (limit - cur - cost) / prev) * win - now
    else
        retry = start + (2 - (limit - cost) / cur) * win - now
    end
    retry = retry + 1
end
local reset = 0
if cur > 0 then reset = start + 2 * win - now elseif prev > 0 then reset = start + win - now end
return {allowed and 1 or 0, math.floor(limit - est + 1e-9), math.ceil(reset), math.ceil(retry)}
"""

_TOKEN_BUCKET = """
local cap, rate = tonumber(ARGV[3]), tonumber(ARGV[4])
local st = redis.call('HMGET', KEYS[1], 't', 'ts')
local tokens = tonumber(st[1])
if not tokens then
    tokens = cap
else
    tokens = math.min(cap, tokens + math.max(0, now - tonumber(st[2])) * rate)
end
local allowed = tokens >= cost
local retry = 0
if allowed and write then
    tokens = tokens - cost
    redis.call('HSET', KEYS[1], 't', num(tokens), 'ts', int(now))
    redis.call('PEXPIRE', KEYS[1], ttl_ms((cap - tokens) / rate))
elseif not allowed then
    retry = (cost - tokens) / rate + 1
end
return {allowed and 1 or 0, math.floor(tokens + 1e-9), math.ceil((cap - tokens) / rate), math.ceil(retry)}
"""

_LEAKY_BUCKET = """
local cap, rate = tonumber(ARGV[3]), tonumber(ARGV[4])
local st = redis.call('HMGET', KEYS[1], 'l', 'ts')
local level = tonumber(st[1])
if not level then
    level = 0
else
    level = math.max(0, level - math.max(0, now - tonumber(st[2])) * rate)
end
local allowed = level + cost <= cap
local retry = 0
if allowed and write then
    level = level + cost
    redis.call('HSET', KEYS[1], 'l', num(level), 'ts', int(now))
    redis.call('PEXPIRE', KEYS[1], ttl_ms(level / rate))
elseif not allowed then
    retry = (level + cost - cap) / rate + 1
end
return {allowed and 1 or 0, math.floor(cap - level + 1e-9), math.ceil(level / rate), math.ceil(retry)}
"""

# GCRA keeps one number, the theoretical arrival time (TAT): when the
# limiter would be empty again if no more requests came. The arithmetic
# uses "ahead" = TAT - now, small enough to keep sub-microsecond precision
# (1 us of slack absorbs the rounding of the stored TAT).
_GCRA = """
local burst, interval = tonumber(ARGV[3]), tonumber(ARGV[4])
local ahead = math.max(0, (tonumber(redis.call('GET', KEYS[1])) or now) - now)
local after = ahead + cost * interval
local allowed = after - burst * interval < 1
local retry = 0
if allowed and write then
    ahead = after
    redis.call('SET', KEYS[1], num(now + ahead), 'PX', ttl_ms(ahead))
elseif not allowed then
    retry = after - burst * interval + 1
end
local remaining = math.floor((burst * interval - ahead) / interval + 1e-6)
return {allowed and 1 or 0, remaining, math.ceil(ahead), math.ceil(retry)}
"""


def _positive(name: str, value: float) -> float:
    if not value > 0:
        raise ValueError(f"{name} must be positive, not {value!r}")
    return value


def _count(name: str, value: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive int, not {value!r}")
    return value


def _us(seconds: float) -> int:
    return max(1, round(seconds * 1_000_000))


class _WindowLimiter(Limiter):
    """At most ``limit`` units per ``window`` seconds; the scripts take the
    limit and the window in microseconds."""

    def __init__(self, client: Any, key: Any, limit: int, window: float) -> None:
        self.limit = _count("limit", limit)
        self.window = _positive("window", window)
        super().__init__(client, key)

    def _args(self) -> List[Any]:
        return [self.limit, _us(self.window)]


class _RateLimiter(Limiter):
    """``rate`` units per ``per`` seconds, up to ``limit`` at once (the
    size argument, named by each limiter; default ``rate``); the bucket
    scripts take the limit and the rate per microsecond."""

    def _init_rate(self, client: Any, key: Any, rate: float, per: float, size_name: str, size: int) -> None:
        self.rate = _positive("rate", rate)
        self.per = _positive("per", per)
        self.limit = _count(size_name, size or max(1, int(rate)))
        super().__init__(client, key)

    def _args(self) -> List[Any]:
        return [self.limit, repr(self.rate / self.per / 1_000_000)]


class FixedWindow(_WindowLimiter):
    """At most ``limit`` units per ``window`` seconds; the window opens at
    the first hit and the count starts over when it closes. Cheapest, but
    allows up to twice the limit across a window boundary.

    >>> import redcore
    >>> lim = FixedWindow(redcore.Redis(), "login:{alice}", limit=3, window=60)
    >>> res = lim.hit(); res.allowed, res.remaining, res.reset_after <= 60
    (True, 2, True)
    """

    SCRIPT = _FIXED_WINDOW


class SlidingWindowLog(_WindowLimiter):
    """At most ``limit`` units in any ``window`` seconds, exactly: every
    admitted unit is logged with its time in a sorted set (memory grows with
    ``limit``).

    >>> import redcore
    >>> lim = SlidingWindowLog(redcore.Redis(), "search:{bob}", limit=2, window=1.0)
    >>> [lim.hit().allowed for _ in range(3)]
    [True, True, False]
    """

    SCRIPT = _SLIDING_LOG


class SlidingWindowCounter(_WindowLimiter):
    """At most ``limit`` units in any ``window`` seconds, approximately: the
    previous window's count is weighted by how much of it the sliding window
    still covers. Constant memory (three numbers per key).

    >>> import redcore
    >>> lim = SlidingWindowCounter(redcore.Redis(), "api:{carol}", limit=10, window=60)
    >>> lim.hit(4).remaining
    6
    """

    SCRIPT = _SLIDING_COUNTER


class TokenBucket(_RateLimiter):
    """A bucket of ``burst`` tokens (default ``rate``), refilled at ``rate``
    tokens per ``per`` seconds; a hit takes ``cost`` tokens.

    >>> import redcore
    >>> lim = TokenBucket(redcore.Redis(), "api:{user42}", rate=10, per=1.0, burst=20)
    >>> res = lim.hit(5); res.remaining, res.limit
    (15, 20)
    """

    SCRIPT = _TOKEN_BUCKET

    def __init__(self, client: Any, key: Any, rate: float, per: float = 1.0, burst: int = 0) -> None:
        self._init_rate(client, key, rate, per, "burst", burst)


class LeakyBucket(_RateLimiter):
    """A bucket holding at most ``capacity`` units that leaks ``rate`` units
    per ``per`` seconds; a hit pours ``cost`` units in, if they fit (the
    "leaky bucket as a meter").

    >>> import redcore
    >>> lim = LeakyBucket(redcore.Redis(), "upload:{dave}", rate=2, per=1.0, capacity=4)
    >>> [lim.hit().allowed for _ in range(5)]
    [True, True, True, True, False]
    """

    SCRIPT = _LEAKY_BUCKET

    def __init__(self, client: Any, key: Any, rate: float, per: float = 1.0, capacity: int = 0) -> None:
        self._init_rate(client, key, rate, per, "capacity", capacity)


class GCRA(_RateLimiter):
    """The generic cell rate algorithm: ``rate`` requests per ``per``
    seconds, evenly spaced, with bursts of up to ``burst`` (default
    ``rate``). Behaves like a token bucket but stores a single number.

    >>> import redcore
    >>> lim = GCRA(redcore.Redis(), "sms:{erin}", rate=1, per=60, burst=2)
    >>> [lim.hit().allowed for _ in range(3)]
    [True, True, False]
    """

    SCRIPT = _GCRA

    def __init__(self, client: Any, key: Any, rate: float, per: float = 1.0, burst: int = 0) -> None:
        self._init_rate(client, key, rate, per, "burst", burst)

    def _args(self) -> List[Any]:
        return [self.limit, repr(self.per / self.rate * 1_000_000)]


__all__ = ["FixedWindow", "SlidingWindowLog", "SlidingWindowCounter", "TokenBucket", "LeakyBucket", "GCRA"]
