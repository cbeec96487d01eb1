"""The web examples: examples/flask_app (sessions, rate limiting, cached
views) through Flask's test client, on the embedded engine and on the test
redis-server; examples/django_project (session engine, cache backend,
cache_page, rate limiting) through its own ``manage.py test``;
examples/dashboard (real-time analytics page) through its JSON API and,
rendered by its JavaScript, in headless Chromium (Debian's
chromium-headless-shell, which scripts/test.sh installs)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import threading
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


def dashboard_app(url: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"dashboard_example_{uuid.uuid4().hex}", EXAMPLES / "dashboard" / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.create_app(url)


def test_dashboard_stats(app_url: str) -> None:
    app = dashboard_app(app_url)
    with app.test_client() as c:
        for page, visitor in [("/", "ada"), ("/docs", "ada"), ("/docs", "bob"), ("/pricing", "cy")]:
            assert c.post("/track", json={"page": page, "visitor": visitor}).json == {"ok": True}
        assert c.post("/track", json={"page": "/"}).status_code == 400
        stats = c.get("/api/stats").json
        assert stats["views"] == 4 and stats["uniques"] == 3
        assert stats["top"][0] == ["/docs", 2]
        assert sum(n for _, n in stats["series"]) == 4


BROWSER = shutil.which("chromium-headless-shell") or shutil.which("chromium")


@pytest.mark.skipif(BROWSER is None, reason="no headless Chromium (scripts/test.sh installs chromium-headless-shell)")
def test_dashboard_page_in_a_headless_browser(tmp_path: Path) -> None:
    """The page's JavaScript fetches /api/stats and draws the tiles, the
    chart and the table: checked in the DOM a real browser built."""
    from werkzeug.serving import make_server

    app = dashboard_app(f"memory://dashboard-{uuid.uuid4().hex}")
    track = app.extensions["track"]
    for i in range(7):
        track("/pricing", f"v{i}")
    for i in range(3):
        track("/blog", f"v{i}")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        proc = subprocess.run(
            [str(BROWSER), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             f"--user-data-dir={tmp_path}", "--virtual-time-budget=5000", "--dump-dom",
             f"http://127.0.0.1:{server.server_port}/"],
            capture_output=True, text=True, timeout=90,
        )
    finally:
        server.shutdown()
    dom = proc.stdout
    assert '<b id="views">10</b>' in dom, proc.stderr[-2000:]
    assert '<b id="uniques">7</b>' in dom
    assert '<tr class="page"><td>/pricing</td><td>7</td></tr><tr class="page"><td>/blog</td><td>3</td></tr>' in dom
    assert dom.count("<rect ") >= 1 and "updated " in dom
