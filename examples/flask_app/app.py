"""A Flask app with server-side sessions, rate limiting and cached views,
all on redcore: the embedded engine by default, a server with REDIS_URL.

    python examples/flask_app/app.py                          # embedded engine
    REDIS_URL=redis://localhost:6379/0 python examples/flask_app/app.py

Routes:
    POST /login          {"user": "ada"}: starts a session (new id on login)
    GET  /me             the session's user and its visit counter
    POST /logout         ends the session
    GET  /api/ping       at most 5 requests per minute per client address
    GET  /products/<id>  a slow lookup, cached for 60 s
    POST /products/<id>  {"price": ...}: updates it and drops the cached copy
"""

from __future__ import annotations

import os
import time
from typing import Any, Dict, Optional

from flask import Flask, jsonify, request, session

import redcore
from redcore.cache import cached
from redcore.contrib.flask import init_app, rotate_session
from redcore.ratelimit import FixedWindow
from redcore.ratelimit.flask import limit

# Stands for a database table.
PRODUCTS: Dict[int, Dict[str, Any]] = {1: {"id": 1, "name": "Keyboard", "price": 49.0}}


def create_app(url: Optional[str] = None, slow: float = 0.2) -> Flask:
    """The app, its data in the engine or server at ``url`` (default:
    ``REDIS_URL`` or the embedded ``memory://flask-example``)."""
    url = url or os.environ.get("REDIS_URL", "memory://flask-example")
    client = redcore.Redis.from_url(url)
    app = Flask(__name__)
    app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY", "dev only: set SECRET_KEY")
    init_app(app, client)  # sessions live in Redis; the cookie holds a signed id
    app.extensions["redis"] = client

    per_client = FixedWindow(client, "ratelimit:ping", limit=5, window=60)

    @cached(client, ttl=60, namespace="products")
    def load_product(product_id: int) -> Optional[Dict[str, Any]]:
        time.sleep(slow)  # the slow query the cache saves
        return PRODUCTS.get(product_id)

    @app.post("/login")
    def login() -> Any:
        user = (request.get_json(silent=True) or {}).get("user")
        if not user:
            return jsonify(error="user required"), 400
        rotate_session()  # a fresh session id on login defeats session fixation
        session["user"] = user
        session["visits"] = 0
        return jsonify(ok=True)

    @app.get("/me")
    def me() -> Any:
        if "user" not in session:
            return jsonify(error="not logged in"), 401
        session["visits"] += 1
        return jsonify(user=session["user"], visits=session["visits"])

    @app.post("/logout")
    def logout() -> Any:
        session.clear()  # deletes the server-side session and the cookie
        return jsonify(ok=True)

    @app.get("/api/ping")
    @limit(per_client)
    def ping() -> Any:
        return jsonify(pong=True)

    @app.get("/products/<int:product_id>")
    def product(product_id: int) -> Any:
        item = load_product(product_id)
        return (jsonify(item), 200) if item else (jsonify(error="no such product"), 404)

    @app.post("/products/<int:product_id>")
    def update_product(product_id: int) -> Any:
        PRODUCTS.setdefault(product_id, {"id": product_id, "name": f"item {product_id}", "price": 0.0})
        PRODUCTS[product_id].update(request.get_json(silent=True) or {})
        load_product.invalidate(product_id)
        return jsonify(PRODUCTS[product_id])

    return app


if __name__ == "__main__":
    create_app().run(port=int(os.environ.get("PORT", "5000")))
