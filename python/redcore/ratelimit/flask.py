"""Flask integration: the :func:`limit` route decorator.

    >>> import flask, redcore
    >>> from redcore.ratelimit import FixedWindow
    >>> from redcore.ratelimit.flask import limit
    >>> app = flask.Flask(__name__)
    >>> per_ip = FixedWindow(redcore.Redis(), "hello", limit=1, window=60)
    >>> @app.route("/hello")
    ... @limit(per_ip)
    ... def hello():
    ...     return "hi"
    >>> client = app.test_client()
    >>> client.get("/hello").status_code, client.get("/hello").status_code
    (200, 429)
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, Optional, TypeVar

from flask import Response, make_response, request

from ._base import LimiterSource, RateLimitResult, resolve_limiter

F = TypeVar("F", bound=Callable[..., Any])


def remote_addr() -> Optional[str]:
    """The default key: the client's address (``request.remote_addr``).

    >>> import flask
    >>> with flask.Flask(__name__).test_request_context(environ_base={"REMOTE_ADDR": "10.0.0.1"}):
    ...     remote_addr()
    '10.0.0.1'
    """
    return request.remote_addr


def too_many_requests(result: RateLimitResult) -> Response:
    """The default 429 answer (the headers are added by :func:`limit`).

    >>> too_many_requests(RateLimitResult(False, 1, 0, 5.0, 5.0)).status_code
    429
    """
    return Response("Too Many Requests\n", status=429, mimetype="text/plain")


def limit(
    limiter_or_factory: LimiterSource,
    key: Optional[Callable[[], Any]] = remote_addr,
    cost: int = 1,
    on_limited: Callable[[RateLimitResult], Any] = too_many_requests,
    headers: bool = True,
) -> Callable[[F], F]:
    """Rate-limits a Flask view. Put it below ``@app.route``.

    Args:
        limiter_or_factory: a limiter (used per key as
            ``limiter.for_key("<its key>:<key>")``) or a factory called with
            the key that returns a limiter.
        key: called with no arguments inside the request; returns the key
            (default: the client's address), or None to exempt the request.
            Pass ``key=None`` for one limit shared by all callers.
        cost: units each request takes.
        on_limited: builds the response for a limited request from the
            :class:`RateLimitResult` (default: a plain 429).
        headers: add ``RateLimit-*`` headers to admitted responses too
            (limited responses always get them, plus ``Retry-After``).

    >>> import flask, redcore
    >>> from redcore.ratelimit import TokenBucket
    >>> app, r = flask.Flask(__name__), redcore.Redis()
    >>> @app.route("/search")
    ... @limit(lambda ip: TokenBucket(r, f"search:{ip}", rate=5, per=1.0))
    ... def search():
    ...     return "results"
    >>> app.test_client().get("/search").headers["RateLimit-Remaining"]
    '4'
    """
    keyed = key is not None

    def check() -> Optional[RateLimitResult]:
        k = key() if key is not None else None
        if keyed and k is None:
            return None
        return resolve_limiter(limiter_or_factory, k, keyed).hit(cost)

    def finish(result: Optional[RateLimitResult], rv: Any, limited: bool) -> Any:
        if result is None or not (headers or limited):
            return rv
        response = make_response(rv)
        if limited and response.status_code == 200:
            response.status_code = 429
        response.headers.update(result.headers())
        return response

    def decorate(view: F) -> F:
        if inspect.iscoroutinefunction(view):

            @functools.wraps(view)
            async def async_view(*args: Any, **kwargs: Any) -> Any:
                result = check()
                if result is not None and not result.allowed:
                    return finish(result, on_limited(result), True)
                return finish(result, await view(*args, **kwargs), False)

            return async_view  # type: ignore[return-value]

        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            result = check()
            if result is not None and not result.allowed:
                return finish(result, on_limited(result), True)
            return finish(result, view(*args, **kwargs), False)

        return wrapped  # type: ignore[return-value]

    return decorate


__all__ = ["limit", "remote_addr", "too_many_requests"]
