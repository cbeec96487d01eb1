"""The web examples: examples/flask_app (sessions, rate limiting, cached
views) through Flask's test client, on the embedded engine and on the test
redis-server; examples/django_project (session engine, cache backend,
cache_page, rate limiting) through its own ``manage.py test``."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def flask_app(url: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"flask_example_{uuid.uuid4().hex}", EXAMPLES / "flask_app" / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.create_app(url, slow=0.2)


@pytest.fixture(params=["embedded", "server"])
def app_url(request: pytest.FixtureRequest, redis_server: Any) -> Any:
    if request.param == "embedded":
        yield f"memory://flask-{uuid.uuid4().hex}"
    else:
        redis_server.client().flushall()
        yield f"redis://127.0.0.1:{redis_server.port}/0"


def test_flask_sessions(app_url: str) -> None:
    app = flask_app(app_url)
    with app.test_client() as c:
        assert c.get("/me").status_code == 401
        assert c.post("/login", json={"user": "ada"}).json == {"ok": True}
        assert c.get("/me").json == {"user": "ada", "visits": 1}
        assert c.get("/me").json == {"user": "ada", "visits": 2}
        client = app.extensions["redis"]
        assert len(client.keys("session:*")) == 1  # the data is in Redis, the cookie holds an id
        c.post("/logout")
        assert c.get("/me").status_code == 401
        assert client.keys("session:*") == []


def test_flask_rate_limit(app_url: str) -> None:
    app = flask_app(app_url)
    with app.test_client() as c:
        codes = [c.get("/api/ping").status_code for _ in range(7)]
        assert codes == [200] * 5 + [429] * 2
        limited = c.get("/api/ping")
        assert limited.headers["RateLimit-Remaining"] == "0" and int(limited.headers["Retry-After"]) > 0


def test_flask_cached_view(app_url: str) -> None:
    app = flask_app(app_url)
    with app.test_client() as c:
        t0 = time.perf_counter()
        assert c.get("/products/1").json["name"] == "Keyboard"
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        assert c.get("/products/1").json["name"] == "Keyboard"
        second = time.perf_counter() - t0
        assert first >= 0.2 > second, (first, second)
        assert c.post("/products/1", json={"price": 39.0}).json["price"] == 39.0
        assert c.get("/products/1").json["price"] == 39.0  # the update dropped the cached copy
        assert c.get("/products/99").status_code == 404


@pytest.mark.parametrize("backend", ["embedded", "server"])
def test_django_project(backend: str, redis_server: Any) -> None:
    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    if backend == "server":
        redis_server.client(db=1).flushdb()
        env["REDIS_URL"] = f"redis://127.0.0.1:{redis_server.port}/1"
    else:
        env.pop("REDIS_URL", None)
    proc = subprocess.run([sys.executable, str(EXAMPLES / "django_project" / "manage.py"), "test", "shop", "-v", "2"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Ran 4 tests" in proc.stderr and "OK" in proc.stderr
