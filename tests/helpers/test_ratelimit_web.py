"""redcore.ratelimit's web integrations end to end, on every backend: Flask's
test client, Django's test clients (sync and async), and ASGI driven by a
hand-written harness.

Django can be configured once per process: this module configures it only
if nobody has, and each test applies its own settings (URLconf included)
with override_settings.
"""

from __future__ import annotations

import asyncio
import sys
import types
import uuid
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest

import flask

from support import configure_django

configure_django()

from django.http import HttpResponse  # noqa: E402
from django.test import AsyncClient, Client, override_settings  # noqa: E402
from django.urls import path  # noqa: E402

from redcore.ratelimit import GCRA, FixedWindow, Limiter, RateLimitResult, SlidingWindowLog, TokenBucket  # noqa: E402
from redcore.ratelimit import asgi as rl_asgi  # noqa: E402
from redcore.ratelimit import django as rl_django  # noqa: E402
from redcore.ratelimit.flask import limit  # noqa: E402

urlpatterns: List[Any] = []  # in case Django was configured by this module

HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")


def assert_limited_headers(headers: Any, limit_: int) -> None:
    assert headers["RateLimit-Limit"] == str(limit_)
    assert headers["RateLimit-Remaining"] == "0"
    assert int(headers["RateLimit-Reset"]) >= 1
    assert int(headers["Retry-After"]) >= 1


# --- Flask -------------------------------------------------------------------


def test_flask_limit_per_client_address(make):
    app = flask.Flask(__name__)
    lim = FixedWindow(make(), "web", limit=2, window=60)

    @app.route("/hello")
    @limit(lim)
    def hello():
        return "hi"

    client = app.test_client()
    first, second, third = (client.get("/hello") for _ in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (200, 200, 429)
    assert first.text == "hi" and third.text == "Too Many Requests\n"
    assert first.headers["RateLimit-Limit"] == "2" and first.headers["RateLimit-Remaining"] == "1"
    assert first.headers["RateLimit-Reset"] == "60" and "Retry-After" not in first.headers
    assert_limited_headers(third.headers, 2)
    assert int(third.headers["Retry-After"]) == 60
    other = app.test_client().get("/hello", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200
    assert make().exists("web:127.0.0.1", "web:10.0.0.9") == 2


def test_flask_factory_custom_key_exemption_and_response(make):
    app = flask.Flask(__name__)
    c = make()

    def by_token() -> Optional[str]:
        return flask.request.headers.get("X-Token")  # no token: not limited

    @app.route("/api")
    @limit(lambda tok: TokenBucket(c, f"tok:{{{tok}}}", rate=1, per=60), key=by_token,
           on_limited=lambda res: (flask.jsonify(error="slow down", retry=res.retry_after), 503), headers=False)
    def api():
        return {"ok": True}

    client = app.test_client()
    ok = client.get("/api", headers={"X-Token": "a"})
    assert ok.status_code == 200 and ok.json == {"ok": True} and "RateLimit-Limit" not in ok.headers
    busy = client.get("/api", headers={"X-Token": "a"})
    assert busy.status_code == 503 and busy.json["error"] == "slow down" and busy.json["retry"] > 50
    assert_limited_headers(busy.headers, 1)
    assert all(client.get("/api").status_code == 200 for _ in range(3))


def test_flask_shared_limit_and_async_view(make):
    app = flask.Flask(__name__)
    lim = GCRA(make(), "shared", rate=1, per=60)

    @app.route("/slow")
    @limit(lim, key=None)
    async def slow():
        await asyncio.sleep(0)
        return "done"

    assert app.test_client().get("/slow").status_code == 200
    r = app.test_client().get("/slow", environ_base={"REMOTE_ADDR": "10.1.1.1"})
    assert r.status_code == 429 and r.headers["RateLimit-Limit"] == "1"


# --- Django ------------------------------------------------------------------


def urlconf(*patterns: Any) -> str:
    """A fresh URLconf module holding ``patterns``; returns its name."""
    name = f"rl_urls_{uuid.uuid4().hex}"
    module = types.ModuleType(name)
    module.urlpatterns = list(patterns)  # type: ignore[attr-defined]
    sys.modules[name] = module
    return name


def plain_view(request):
    return HttpResponse("ok")


def test_django_view_decorator(make):
    lim = SlidingWindowLog(make(), "dj", limit=2, window=60)
    view = rl_django.ratelimit(lim)(plain_view)
    by_user = rl_django.ratelimit(lambda user: FixedWindow(lim.client, f"user:{{{user}}}", limit=1, window=60),
                                  key=lambda request: request.GET.get("u"))(plain_view)
    with override_settings(ROOT_URLCONF=urlconf(path("v/", view), path("u/", by_user))):
        client = Client()
        responses = [client.get("/v/") for _ in range(3)]
        assert [r.status_code for r in responses] == [200, 200, 429]
        assert responses[0]["RateLimit-Remaining"] == "1" and responses[0]["RateLimit-Limit"] == "2"
        assert "Retry-After" not in responses[0]
        assert_limited_headers(responses[2], 2)
        assert responses[2].content == b"Too Many Requests\n"
        assert Client(REMOTE_ADDR="10.9.9.9").get("/v/").status_code == 200
        assert [client.get("/u/?u=ann").status_code for _ in range(2)] == [200, 429]
        assert client.get("/u/?u=bob").status_code == 200
        assert all(client.get("/u/").status_code == 200 for _ in range(3))  # no user: exempt
    assert make().exists("dj:127.0.0.1", "dj:10.9.9.9", "user:{ann}") == 3


FACTORY: Optional[Callable[[Any], Limiter]] = None  # set by a test; named by its dotted path


def test_django_middleware_from_settings(make):
    global FACTORY
    c = make()
    FACTORY = lambda ip: FixedWindow(c, f"mw:{{{ip}}}", limit=3, window=60)  # noqa: E731
    conf = {"LIMITER": f"{__name__}.FACTORY", "KEY": lambda request: request.META.get("HTTP_X_CLIENT"), "COST": 2}
    with override_settings(ROOT_URLCONF=urlconf(path("p/", plain_view)),
                           MIDDLEWARE=["redcore.ratelimit.django.RateLimitMiddleware"], REDCORE_RATELIMIT=conf):
        client = Client(HTTP_X_CLIENT="alpha")
        first, second = client.get("/p/"), client.get("/p/")
        assert (first.status_code, second.status_code) == (200, 429)  # cost 2 of 3
        assert first["RateLimit-Remaining"] == "1"
        assert second["RateLimit-Remaining"] == "1" and int(second["Retry-After"]) == 60
        assert Client(HTTP_X_CLIENT="beta").get("/p/").status_code == 200
        assert Client().get("/p/").status_code == 200  # no header: exempt
        assert Client().get("/p/").status_code == 200
    assert sorted(c.keys("mw:*")) == [b"mw:{alpha}", b"mw:{beta}"]


def test_django_middleware_subclass_and_misconfiguration(make):
    from django.core.exceptions import ImproperlyConfigured

    class Strict(rl_django.RateLimitMiddleware):
        limiter = TokenBucket(make(), "strict", rate=1, per=60)

    with pytest.raises(ImproperlyConfigured):
        rl_django.RateLimitMiddleware(plain_view)
    mw = Strict(plain_view)
    from django.test import RequestFactory

    rf = RequestFactory()
    assert mw(rf.get("/")).status_code == 200
    denied = mw(rf.get("/"))
    assert denied.status_code == 429 and denied["Retry-After"] == "60"


def test_django_async_view_and_async_middleware(make):
    lim = TokenBucket(make(), "adj", rate=2, per=60)

    @rl_django.ratelimit(lim)
    async def async_view(request):
        return HttpResponse("async ok")

    conf = {"LIMITER": TokenBucket(lim.client, "amw", rate=1, per=60)}
    with override_settings(ROOT_URLCONF=urlconf(path("a/", async_view), path("p/", plain_view)),
                           MIDDLEWARE=["redcore.ratelimit.django.RateLimitMiddleware"], REDCORE_RATELIMIT=conf):

        async def run() -> List[Any]:
            client = AsyncClient()
            return [await client.get("/a/"), await client.get("/a/")]

        ok, limited = asyncio.run(run())
    assert ok.status_code == 200 and ok.content == b"async ok"
    # the middleware (limit 1) stopped the second request before the view's limiter (limit 2)
    assert limited.status_code == 429 and limited["RateLimit-Limit"] == "1"
    assert lim.for_key("adj:127.0.0.1").peek().remaining == 1 and make().exists("amw:127.0.0.1", "adj:127.0.0.1") == 2


# --- ASGI --------------------------------------------------------------------


async def asgi_call(app: Any, path_: str = "/", client: Optional[Tuple[str, int]] = ("1.2.3.4", 5000),
                    headers: Optional[List[Tuple[bytes, bytes]]] = None) -> Tuple[int, Dict[str, str], bytes]:
    """Sends one HTTP request to ``app`` the way a server would and returns
    (status, headers, body) from the messages it sends back."""
    scope = {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
        "method": "GET", "scheme": "http", "path": path_, "raw_path": path_.encode(), "query_string": b"",
        "root_path": "", "headers": [(b"host", b"testserver")] + (headers or []),
        "client": client, "server": ("testserver", 80),
    }
    sent: List[Dict[str, Any]] = []
    requested = False

    async def receive() -> Dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.disconnect"}

    async def send(message: Dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    assert sent and sent[0]["type"] == "http.response.start"
    assert all(m["type"] == "http.response.body" for m in sent[1:])
    names = [k for k, _ in sent[0]["headers"]]
    assert len(names) == len(set(names))
    hdrs = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in sent[0]["headers"]}
    return sent[0]["status"], hdrs, b"".join(m.get("body", b"") for m in sent[1:])


async def hello_app(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await receive()
        await send({"type": "lifespan.startup.complete"})
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"hello", "more_body": True})
    await send({"type": "http.response.body", "body": b"!"})


def test_asgi_middleware(make):
    c = make()
    mw = rl_asgi.RateLimitMiddleware(hello_app, lambda ip: FixedWindow(c, f"asgi:{{{ip}}}", limit=2, window=60))

    async def run() -> List[Any]:
        return [await asgi_call(mw) for _ in range(3)] + [await asgi_call(mw, client=("5.6.7.8", 1))]

    (s1, h1, b1), (s2, h2, _), (s3, h3, b3), (s4, _, _) = asyncio.run(run())
    assert (s1, s2, s3, s4) == (200, 200, 429, 200)
    assert b1 == b"hello!" and h1["content-type"] == "text/plain"
    assert h1["ratelimit-limit"] == "2" and h1["ratelimit-remaining"] == "1" and h1["ratelimit-reset"] == "60"
    assert "retry-after" not in h1 and h2["ratelimit-remaining"] == "0"
    assert b3 == b"Too Many Requests\n" and h3["content-length"] == str(len(b3))
    assert h3["ratelimit-remaining"] == "0" and h3["retry-after"] == "60" and h3["ratelimit-limit"] == "2"
    assert c.exists("asgi:{1.2.3.4}", "asgi:{5.6.7.8}") == 2


def test_asgi_shared_async_key_exemption_and_passthrough(make):
    c = make()
    shared = rl_asgi.RateLimitMiddleware(hello_app, GCRA(c, "all", rate=1, per=60), key_func=None, headers=False)

    async def api_key(scope: Any) -> Optional[str]:
        return dict(scope["headers"]).get(b"x-key", b"").decode() or None

    seen: List[RateLimitResult] = []

    async def custom(scope: Any, receive: Any, send: Any, result: RateLimitResult) -> None:
        seen.append(result)
        await send({"type": "http.response.start", "status": 503, "headers": []})
        await send({"type": "http.response.body", "body": b"later"})

    keyed = rl_asgi.RateLimitMiddleware(hello_app, SlidingWindowLog(c, "k", limit=1, window=60), key_func=api_key,
                                        on_limited=custom)

    async def run() -> List[Any]:
        out = [await asgi_call(shared), await asgi_call(shared, client=None)]
        out += [await asgi_call(keyed, headers=[(b"x-key", b"z")]) for _ in range(2)]
        out += [await asgi_call(keyed) for _ in range(2)]
        sent: List[Any] = []
        queue = [{"type": "lifespan.startup"}]

        async def receive() -> Any:
            return queue.pop(0)

        async def send(m: Any) -> None:
            sent.append(m)

        await keyed({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
        return out + [sent]

    a, b, z1, z2, n1, n2, lifespan = asyncio.run(run())
    assert a[0] == 200 and "ratelimit-limit" not in a[1]
    assert b[0] == 429 and b[1]["retry-after"] == "60"
    assert z1[0] == 200 and z1[1]["ratelimit-limit"] == "1"
    assert z2[0] == 503 and z2[2] == b"later" and z2[1]["retry-after"] == "60" and len(seen) == 1
    assert n1[0] == n2[0] == 200 and "ratelimit-limit" not in n1[1]
    assert lifespan == [{"type": "lifespan.startup.complete"}]
    assert sorted(c.keys("*")) == [b"all", b"k:z"]
