"""Django integration: :class:`RateLimitMiddleware` (one limit for every
request) and the :func:`ratelimit` view decorator.

The middleware reads ``settings.REDCORE_RATELIMIT``, a dict with
``"LIMITER"`` (a limiter, or a factory called with the key; either may be
given as a dotted path), ``"KEY"`` (a function of the request returning the
key, or None to exempt the request; default: ``REMOTE_ADDR``) and
``"COST"`` (default 1). Subclasses may set ``limiter``, ``key_func`` and
``cost`` as class attributes instead.

    >>> import redcore
    >>> from redcore.ratelimit import TokenBucket
    >>> REDCORE_RATELIMIT = {  # in settings.py
    ...     "LIMITER": TokenBucket(redcore.Redis(), "site", rate=50, per=1.0),
    ...     "KEY": lambda request: request.META.get("REMOTE_ADDR"),
    ... }
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Optional, TypeVar

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string

from ._base import LimiterSource, RateLimitResult, resolve_limiter

F = TypeVar("F", bound=Callable[..., Any])


def remote_addr(request: HttpRequest) -> Optional[str]:
    """The default key: ``request.META["REMOTE_ADDR"]``.

    >>> from types import SimpleNamespace
    >>> remote_addr(SimpleNamespace(META={"REMOTE_ADDR": "10.0.0.1"}))
    '10.0.0.1'
    """
    return request.META.get("REMOTE_ADDR")


def too_many_requests(request: HttpRequest, result: RateLimitResult) -> HttpResponse:
    """The default 429 answer (the headers are added by the caller).

    >>> too_many_requests(request, result).status_code  # doctest: +SKIP
    429
    """
    return HttpResponse("Too Many Requests\n", status=429, content_type="text/plain")


def _apply(response: Any, result: RateLimitResult) -> Any:
    for name, value in result.headers().items():
        response[name] = value
    return response


class _Checker:
    """The per-request logic the decorator and the middleware share."""

    def __init__(self, source: LimiterSource, key: Optional[Callable[[HttpRequest], Any]], cost: int,
                 on_limited: Callable[[HttpRequest, RateLimitResult], Any]) -> None:
        self.source, self.key, self.cost, self.on_limited = source, key, cost, on_limited

    def limiter(self, request: HttpRequest) -> Any:
        if self.key is None:
            return resolve_limiter(self.source, None, False)
        k = self.key(request)
        return None if k is None else resolve_limiter(self.source, k, True)

    def run(self, request: HttpRequest, call: Callable[[], Any]) -> Any:
        limiter = self.limiter(request)
        if limiter is None:
            return call()
        result = limiter.hit(self.cost)
        return _apply(self.on_limited(request, result) if not result.allowed else call(), result)

    async def arun(self, request: HttpRequest, call: Callable[[], Any]) -> Any:
        limiter = self.limiter(request)
        if limiter is None:
            return await call()
        result = await limiter.ahit(self.cost)
        return _apply(self.on_limited(request, result) if not result.allowed else await call(), result)


def ratelimit(
    limiter_or_factory: LimiterSource,
    key: Optional[Callable[[HttpRequest], Any]] = remote_addr,
    cost: int = 1,
    on_limited: Callable[[HttpRequest, RateLimitResult], Any] = too_many_requests,
) -> Callable[[F], F]:
    """Rate-limits a Django view (function views; ``method_decorator`` for
    class-based ones; async views too). Limited requests get
    ``on_limited(request, result)`` (default: a plain 429); every checked
    response gets the ``RateLimit-*`` headers, limited ones ``Retry-After``.
    ``key(request)`` gives the key (None exempts the request); pass
    ``key=None`` for one limit shared by all callers.

    >>> import redcore
    >>> from redcore.ratelimit import FixedWindow
    >>> @ratelimit(FixedWindow(redcore.Redis(), "report", limit=5, window=60))
    ... def report(request):
    ...     return HttpResponse("ok")
    """
    checker = _Checker(limiter_or_factory, key, cost, on_limited)

    def decorate(view: F) -> F:
        if iscoroutinefunction(view):

            @functools.wraps(view)
            async def async_view(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
                return await checker.arun(request, lambda: view(request, *args, **kwargs))

            return async_view  # type: ignore[return-value]

        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            return checker.run(request, lambda: view(request, *args, **kwargs))

        return wrapped  # type: ignore[return-value]

    return decorate


def _load(value: Any) -> Any:
    return import_string(value) if isinstance(value, str) else value


class RateLimitMiddleware:
    """Applies one limiter to every request; see the module docstring for
    the settings. Works in sync and async stacks.

    >>> RateLimitMiddleware.sync_capable, RateLimitMiddleware.async_capable
    (True, True)
    """

    sync_capable = True
    async_capable = True
    limiter: Optional[LimiterSource] = None
    key_func: Optional[Callable[[HttpRequest], Any]] = None
    cost: Optional[int] = None

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        conf = getattr(settings, "REDCORE_RATELIMIT", {}) or {}
        source = type(self).limiter if type(self).limiter is not None else _load(conf.get("LIMITER"))
        if source is None:
            raise ImproperlyConfigured("RateLimitMiddleware needs settings.REDCORE_RATELIMIT['LIMITER']")
        key = type(self).key_func or _load(conf.get("KEY")) or remote_addr
        cost = self.cost if self.cost is not None else int(conf.get("COST", 1))
        self.checker = _Checker(source, key, cost, too_many_requests)
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if iscoroutinefunction(self):
            return self.__acall__(request)
        return self.checker.run(request, lambda: self.get_response(request))

    async def __acall__(self, request: HttpRequest) -> Any:
        return await self.checker.arun(request, lambda: self.get_response(request))


__all__ = ["RateLimitMiddleware", "ratelimit", "remote_addr", "too_many_requests"]
