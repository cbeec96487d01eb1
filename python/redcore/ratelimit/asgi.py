"""ASGI integration: :class:`RateLimitMiddleware` wraps any ASGI app
(Starlette, FastAPI, Django's ASGI handler, Quart...).

    >>> import redcore
    >>> from redcore.ratelimit import GCRA
    >>> async def app(scope, receive, send):
    ...     await send({"type": "http.response.start", "status": 200, "headers": []})
    ...     await send({"type": "http.response.body", "body": b"ok"})
    >>> limited = RateLimitMiddleware(app, GCRA(redcore.Redis(), "api", rate=10, per=1.0))
"""

from __future__ import annotations

import inspect
from typing import Any, Awaitable, Callable, Dict, List, MutableMapping, Optional, Tuple

from ._base import LimiterSource, RateLimitResult, resolve_limiter

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def client_addr(scope: Scope) -> Optional[str]:
    """The default key: the client's host from ``scope["client"]``.

    >>> client_addr({"type": "http", "client": ("1.2.3.4", 5000)})
    '1.2.3.4'
    """
    client = scope.get("client")
    return client[0] if client else None


def _header_pairs(result: RateLimitResult) -> List[Tuple[bytes, bytes]]:
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in result.headers().items()]


class RateLimitMiddleware:
    """Checks a limiter for every HTTP request; answers 429 (with
    ``RateLimit-*`` and ``Retry-After`` headers) when over the limit, and
    adds the ``RateLimit-*`` headers to admitted responses. Other scope
    types (lifespan, websocket) pass through.

    Args:
        app: the ASGI app to protect.
        limiter_factory: a limiter (used per key as
            ``limiter.for_key("<its key>:<key>")``) or a factory called with
            the key that returns a limiter.
        key_func: ``key_func(scope)`` (may be async) gives the key, None to
            let the request through; default: the client's host. Pass
            ``key_func=None`` for one limit shared by all callers.
        cost: units each request takes.
        on_limited: an ASGI app called as ``on_limited(scope, receive, send,
            result)`` instead of the default 429 answer (headers are added
            to its ``http.response.start`` too).

    With a blocking client (redcore's, or ``redis.Redis``) each check runs
    on the event loop: instant on the embedded engine, one round trip on a
    server; with an asyncio client (``redcore.asyncio.Redis``,
    ``redis.asyncio.Redis``) each check is awaited and never blocks the
    loop.

    >>> import redcore
    >>> from redcore.ratelimit import FixedWindow
    >>> async def app(scope, receive, send): ...
    >>> mw = RateLimitMiddleware(app, lambda ip: FixedWindow(redcore.Redis(), f"ip:{ip}", limit=100, window=60))
    """

    def __init__(
        self,
        app: ASGIApp,
        limiter_factory: LimiterSource,
        key_func: Optional[Callable[[Scope], Any]] = client_addr,
        cost: int = 1,
        on_limited: Optional[Callable[..., Awaitable[None]]] = None,
        headers: bool = True,
    ) -> None:
        self.app = app
        self.source = limiter_factory
        self.key_func = key_func
        self.cost = cost
        self.on_limited = on_limited
        self.headers = headers

    async def _limiter(self, scope: Scope) -> Any:
        if self.key_func is None:
            return resolve_limiter(self.source, None, False)
        key = self.key_func(scope)
        if inspect.isawaitable(key):
            key = await key
        return None if key is None else resolve_limiter(self.source, key, True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limiter = await self._limiter(scope)
        if limiter is None:
            await self.app(scope, receive, send)
            return
        result: RateLimitResult = await limiter.ahit(self.cost)
        extra = _header_pairs(result)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = dict(message)
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        if result.allowed:
            await self.app(scope, receive, send_with_headers if self.headers else send)
        elif self.on_limited is not None:
            await self.on_limited(scope, receive, send_with_headers, result)
        else:
            await self._too_many_requests(send, extra)

    @staticmethod
    async def _too_many_requests(send: Send, extra: List[Tuple[bytes, bytes]]) -> None:
        body = b"Too Many Requests\n"
        start: Dict[str, Any] = {
            "type": "http.response.start",
            "status": 429,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                        (b"content-length", str(len(body)).encode())] + extra,
        }
        await send(start)
        await send({"type": "http.response.body", "body": body})


__all__ = ["RateLimitMiddleware", "client_addr"]
