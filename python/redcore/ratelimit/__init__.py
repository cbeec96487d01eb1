"""Rate limiters that run atomically on the server (one Lua script per
check), with the same code on the embedded engine, a redis-server through
redcore's client, or redis-py (including ``redis.asyncio``).

    >>> import redcore
    >>> from redcore.ratelimit import TokenBucket
    >>> r = redcore.Redis()
    >>> limiter = TokenBucket(r, "api:{user42}", rate=10, per=1.0, burst=20)
    >>> res = limiter.hit()
    >>> res.allowed, res.remaining, res.limit
    (True, 19, 20)

Algorithms: :class:`FixedWindow`, :class:`SlidingWindowLog`,
:class:`SlidingWindowCounter`, :class:`TokenBucket`, :class:`LeakyBucket`,
:class:`GCRA`. All share ``hit(cost=1)``, ``peek(cost=1)``, ``reset()``
and ``for_key(key)``, and return a :class:`RateLimitResult`.

Time comes from the server (``TIME``, microsecond resolution), never from
the client, so clients whose clocks disagree still share one limit. Durations
in results are whole microseconds converted to seconds. Every check reads
and writes a single key, so limiters work unchanged on a Redis Cluster.

Integrations: :func:`rate_limited` (plain functions),
``redcore.ratelimit.flask.limit``, ``redcore.ratelimit.django``
(``RateLimitMiddleware``, ``ratelimit``) and
``redcore.ratelimit.asgi.RateLimitMiddleware``; all answer 429 with the
``RateLimit-Limit``/``-Remaining``/``-Reset`` and ``Retry-After`` headers.
"""

from ._base import Limiter, RateLimitExceeded, RateLimitResult, join_key
from .decorators import rate_limited
from .limiters import GCRA, FixedWindow, LeakyBucket, SlidingWindowCounter, SlidingWindowLog, TokenBucket

__all__ = [
    "Limiter",
    "RateLimitResult",
    "RateLimitExceeded",
    "join_key",
    "rate_limited",
    "FixedWindow",
    "SlidingWindowLog",
    "SlidingWindowCounter",
    "TokenBucket",
    "LeakyBucket",
    "GCRA",
]
