"""``@rate_limited``: rate-limit calls of a plain function, sync or async."""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, Optional, TypeVar

from ._base import LimiterSource, RateLimitExceeded, RateLimitResult, resolve_limiter

F = TypeVar("F", bound=Callable[..., Any])


def rate_limited(
    limiter_or_factory: LimiterSource,
    key: Optional[Callable[..., Any]] = None,
    cost: int = 1,
    on_limited: Optional[Callable[..., Any]] = None,
) -> Callable[[F], F]:
    """Checks a limiter before every call of the decorated function.

    Args:
        limiter_or_factory: a limiter (shared by all calls, or per key as
            ``limiter.for_key("<its key>:<key>")`` when ``key`` is given), or
            a factory called with the key (with no argument when ``key`` is
            None) that returns a limiter.
        key: called with the function's arguments; returns the key that
            calls are counted under, or None to let the call through
            unchecked.
        cost: units each call takes.
        on_limited: called as ``on_limited(result, *args, **kwargs)`` when
            a call is over the limit; its return value (awaited, for async
            functions, if awaitable) is returned instead of calling the
            function. Without it :class:`RateLimitExceeded` is raised.

    For ``async def`` functions the wrapper is async too, and an asyncio
    client (``redis.asyncio``) is awaited.

    >>> import redcore
    >>> from redcore.ratelimit import FixedWindow
    >>> lim = FixedWindow(redcore.Redis(), "greet", limit=1, window=60)
    >>> @rate_limited(lim, key=lambda name: name, on_limited=lambda res, name: "slow down")
    ... def greet(name):
    ...     return "hi " + name
    >>> greet("ann"), greet("ann"), greet("bob")
    ('hi ann', 'slow down', 'hi bob')
    """
    keyed = key is not None

    def limiter_for(args: Any, kwargs: Any) -> Any:
        k = key(*args, **kwargs) if key is not None else None
        if keyed and k is None:
            return None
        return resolve_limiter(limiter_or_factory, k, keyed)

    def decorate(fn: F) -> F:
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                limiter = limiter_for(args, kwargs)
                if limiter is not None:
                    result: RateLimitResult = await limiter.ahit(cost)
                    if not result.allowed:
                        if on_limited is None:
                            raise RateLimitExceeded(result)
                        out = on_limited(result, *args, **kwargs)
                        return await out if inspect.isawaitable(out) else out
                return await fn(*args, **kwargs)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            limiter = limiter_for(args, kwargs)
            if limiter is not None:
                result = limiter.hit(cost)
                if not result.allowed:
                    if on_limited is None:
                        raise RateLimitExceeded(result)
                    return on_limited(result, *args, **kwargs)
            return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


__all__ = ["rate_limited"]
