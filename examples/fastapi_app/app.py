"""A FastAPI app on redcore.asyncio: a cached endpoint, rate limiting as
ASGI middleware, server-side sessions and a leaderboard. Every Redis call
is awaited, so none blocks the event loop; the embedded engine by default,
a server with REDIS_URL.

    uvicorn --factory examples.fastapi_app.app:create_app           # embedded engine
    REDIS_URL=redis://localhost:6379/0 uvicorn --factory examples.fastapi_app.app:create_app

Routes:
    POST /login                {"user": "ada"}: starts a session (cookie ``sid``)
    GET  /me                   the session's user and its visit counter
    POST /logout               ends the session
    GET  /api/products/{id}    a slow lookup, cached for 60 s
    PUT  /api/products/{id}    {"price": ...}: updates it, writing through the cache
    POST /api/scores           {"score": ...}: the session's user submits a score
    GET  /api/leaderboard      the top players
Every /api/ route: at most ``rate`` requests per minute per client address.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import Any, AsyncIterator, Dict, Optional

from fastapi import Cookie, FastAPI, HTTPException, Response

import redcore.asyncio
from redcore.cache import cached
from redcore.leaderboard import AsyncLeaderboard
from redcore.ratelimit import GCRA
from redcore.ratelimit.asgi import RateLimitMiddleware, client_addr
from redcore.session import AsyncSessionStore


def create_app(url: Optional[str] = None, slow: float = 0.2, rate: int = 30) -> FastAPI:
    """The app, its data in the engine or server at ``url`` (default:
    ``REDIS_URL`` or the embedded ``memory://fastapi-example``).
    ``slow``: seconds a product lookup takes; ``rate``: /api/ requests
    per minute per client."""
    url = url or os.environ.get("REDIS_URL", "memory://fastapi-example")
    client = redcore.asyncio.from_url(url)
    text_client = redcore.asyncio.from_url(url, decode_responses=True)
    sessions = AsyncSessionStore(client, ttl=3600)
    board = AsyncLeaderboard(text_client, "game")
    # Stands for a database table.
    products: Dict[int, Dict[str, Any]] = {1: {"id": 1, "name": "Keyboard", "price": 49.0}}

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await client.aclose()
        await text_client.aclose()

    app = FastAPI(title="redcore FastAPI example", lifespan=lifespan)
    app.state.redis = client
    app.state.clients = (client, text_client)
    app.state.lookups = 0

    def api_only(scope: Any) -> Optional[str]:
        return client_addr(scope) if scope["path"].startswith("/api/") else None

    app.add_middleware(RateLimitMiddleware, limiter_factory=GCRA(client, "rl:api", rate=rate, per=60, burst=rate), key_func=api_only)

    @cached(client, ttl=60, key="product:{pid}")
    async def load_product(pid: int) -> Optional[Dict[str, Any]]:
        app.state.lookups += 1
        await asyncio.sleep(slow)  # a slow query: concurrent misses wait for one
        return products.get(pid)

    @load_product.writer  # type: ignore[attr-defined]
    async def save_product(product: Dict[str, Any], pid: int) -> None:
        products[pid] = product

    async def current_session(sid: Optional[str]) -> Dict[str, Any]:
        data = await sessions.get(sid) if sid else None
        if data is None:
            raise HTTPException(status_code=401, detail="not logged in")
        return data

    @app.post("/login")
    async def login(body: Dict[str, str], response: Response, sid: Optional[str] = Cookie(None)) -> Dict[str, bool]:
        if sid and await sessions.exists(sid):
            # A new id on login: an id planted before it is worthless after.
            sid = await sessions.rotate(sid)
            await sessions.update(sid, user=body["user"], visits=0)  # type: ignore[arg-type]
        else:
            sid = await sessions.create({"user": body["user"], "visits": 0})
        response.set_cookie("sid", sid, httponly=True, samesite="lax")  # type: ignore[arg-type]
        return {"ok": True}

    @app.get("/me")
    async def me(sid: Optional[str] = Cookie(None)) -> Dict[str, Any]:
        data = await current_session(sid)
        visits = data["visits"] + 1
        await sessions.update(sid, visits=visits)  # type: ignore[arg-type]
        return {"user": data["user"], "visits": visits}

    @app.post("/logout")
    async def logout(response: Response, sid: Optional[str] = Cookie(None)) -> Dict[str, bool]:
        if sid:
            await sessions.delete(sid)
        response.delete_cookie("sid")
        return {"ok": True}

    @app.get("/api/products/{pid}")
    async def get_product(pid: int) -> Dict[str, Any]:
        product = await load_product(pid)
        if product is None:
            raise HTTPException(status_code=404, detail="no such product")
        return product

    @app.put("/api/products/{pid}")
    async def put_product(pid: int, body: Dict[str, float]) -> Dict[str, Any]:
        product = await load_product(pid)
        if product is None:
            raise HTTPException(status_code=404, detail="no such product")
        updated = {**product, "price": body["price"]}
        await save_product(updated, pid)
        return updated

    @app.post("/api/scores")
    async def post_score(body: Dict[str, float], sid: Optional[str] = Cookie(None)) -> Dict[str, Any]:
        data = await current_session(sid)
        improved = await board.submit(data["user"], body["score"])
        return {"improved": improved, "position": await board.position(data["user"])}

    @app.get("/api/leaderboard")
    async def leaderboard(n: int = 10) -> Any:
        return [{"player": e.member, "score": e.score, "position": e.position} for e in await board.cached_top(n)]

    return app
