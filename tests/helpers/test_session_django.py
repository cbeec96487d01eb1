"""redcore.contrib.django (session engine and cache backend) end to end
through Django's test client, on the embedded engine (memory://) and on the
real server (redis://) through redcore's client.

Django can be configured once per process: this module configures it if
nobody has, and every test applies its own settings with override_settings.
"""

from __future__ import annotations

import itertools
import sys
import threading
import time
import uuid
from types import SimpleNamespace

import pytest

from support import configure_django

configure_django()

from django.contrib.sessions.backends.base import CreateError, UpdateError  # noqa: E402
from django.core.cache import caches  # noqa: E402
from django.core.exceptions import ImproperlyConfigured  # noqa: E402
from django.http import HttpResponse, JsonResponse  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.urls import path  # noqa: E402
from django.views.decorators.cache import cache_page  # noqa: E402

import redcore  # noqa: E402
from redcore.contrib.django import reset_clients  # noqa: E402
from redcore.contrib.django.cache import RedcoreCache  # noqa: E402
from redcore.contrib.django.session import SessionStore  # noqa: E402

SESSION_PREFIX = "djs:"


# --- views ------------------------------------------------------------------


def count(request):
    request.session["n"] = request.session.get("n", 0) + 1
    return HttpResponse(str(request.session["n"]))


def login(request):
    request.session.cycle_key()  # what django.contrib.auth.login does
    request.session["user"] = request.GET["u"]
    return HttpResponse("ok")


def whoami(request):
    return HttpResponse(request.session.get("user", "anonymous"))


def logout(request):
    request.session.flush()
    return HttpResponse("bye")


def set_value(request, key, value):
    request.session[key] = value
    return HttpResponse("ok")


def dump(request):
    return JsonResponse(dict(request.session.items()))


def set_expiry(request, seconds):
    request.session.set_expiry(seconds)
    request.session["e"] = seconds
    return HttpResponse("ok")


_rendered = itertools.count(1)


@cache_page(60)
def cached(request):
    return HttpResponse(f"render {next(_rendered)}")


urlpatterns = [
    path("count", count),
    path("login", login),
    path("whoami", whoami),
    path("logout", logout),
    path("set/<str:key>/<str:value>", set_value),
    path("dump", dump),
    path("expiry/<int:seconds>", set_expiry),
    path("cached", cached),
]


# --- fixtures ---------------------------------------------------------------


@pytest.fixture(params=["memory", "redis"])
def location(request, redis_server):
    if request.param == "memory":
        name = f"django-{uuid.uuid4().hex}"
        yield f"memory://{name}"
        redcore._redcore.forget_engine(name)
    else:
        url = f"redis://127.0.0.1:{redis_server.port}/1"
        with redcore.Redis.from_url(url) as c:
            c.flushdb()
        yield url


@pytest.fixture
def dj(location):
    cache_conf = {
        "BACKEND": "redcore.contrib.django.cache.RedcoreCache",
        "LOCATION": location,
        "KEY_PREFIX": "site",
        "TIMEOUT": 300,
    }
    with override_settings(
        ROOT_URLCONF=__name__,
        MIDDLEWARE=["django.contrib.sessions.middleware.SessionMiddleware"],
        SESSION_ENGINE="redcore.contrib.django.session",
        SESSION_SAVE_EVERY_REQUEST=False,
        SESSION_COOKIE_AGE=600,
        REDCORE_SESSION={"URL": location, "PREFIX": SESSION_PREFIX},
        CACHES={
            "default": cache_conf,
            "other": {**cache_conf, "KEY_PREFIX": "other", "VERSION": 3},
            "forever": {**cache_conf, "KEY_PREFIX": "forever", "TIMEOUT": None},
        },
    ):
        raw = redcore.Redis.from_url(location)
        yield SimpleNamespace(raw=raw, location=location)
        raw.close()
    reset_clients()


def session_keys(raw):
    return sorted(k.decode() for k in raw.keys(SESSION_PREFIX + "*"))


def sid_of(client):
    morsel = client.cookies.get("sessionid")
    return morsel.value if morsel is not None and morsel.value else None


# --- session engine through the test client ---------------------------------


def test_session_persists_across_requests(dj):
    c = Client()
    assert [c.get("/count").content for _ in range(3)] == [b"1", b"2", b"3"]
    sid = sid_of(c)
    assert session_keys(dj.raw) == [SESSION_PREFIX + sid]
    assert dj.raw.hget(SESSION_PREFIX + sid, "n") == b"3"
    assert 590 <= dj.raw.ttl(SESSION_PREFIX + sid) <= 600


def test_reading_only_does_not_create_a_session(dj):
    c = Client()
    resp = c.get("/whoami")
    assert resp.content == b"anonymous"
    assert "sessionid" not in resp.cookies
    assert session_keys(dj.raw) == []


def test_cycle_key_on_login(dj):
    c = Client()
    c.get("/set/cart/book")
    before = sid_of(c)
    c.get("/login?u=ada")
    after = sid_of(c)
    assert after != before
    assert session_keys(dj.raw) == [SESSION_PREFIX + after]
    assert c.get("/dump").json() == {"cart": "book", "user": "ada"}
    attacker = Client()
    attacker.cookies["sessionid"] = before
    assert attacker.get("/whoami").content == b"anonymous"


def test_login_without_prior_session(dj):
    c = Client()
    c.get("/login?u=bob")
    assert c.get("/whoami").content == b"bob"
    assert session_keys(dj.raw) == [SESSION_PREFIX + sid_of(c)]


def test_logout_flushes(dj):
    c = Client()
    c.get("/login?u=ada")
    sid = sid_of(c)
    c.get("/logout")
    assert session_keys(dj.raw) == []
    assert sid_of(c) is None
    other = Client()
    other.cookies["sessionid"] = sid
    assert other.get("/whoami").content == b"anonymous"


def test_set_expiry_sets_ttl_and_expired_sessions_are_gone(dj):
    c = Client()
    c.get("/expiry/5")
    key = SESSION_PREFIX + sid_of(c)
    assert 4000 < dj.raw.pttl(key) <= 5000
    dj.raw.pexpire(key, 1)
    time.sleep(0.01)
    assert c.get("/whoami").content == b"anonymous"
    assert c.get("/count").content == b"1"  # a fresh session
    assert sid_of(c) != key[len(SESSION_PREFIX):]


def test_session_deleted_mid_request_is_interrupted_not_resurrected(dj):
    c = Client()
    c.get("/count")
    sid = sid_of(c)
    dj.raw.delete(SESSION_PREFIX + sid)
    store = SessionStore(sid)
    assert store.load() == {}  # a vanished session loads empty, without a key
    resumed = SessionStore(sid)
    resumed._session_cache = {"n": 5}
    resumed._redcore_stored = {"n": b"4"}
    with pytest.raises(UpdateError):
        resumed.save()
    assert session_keys(dj.raw) == []


def test_save_every_request_refreshes_ttl(dj):
    with override_settings(SESSION_SAVE_EVERY_REQUEST=True):
        c = Client()
        c.get("/count")
        key = SESSION_PREFIX + sid_of(c)
        dj.raw.pexpire(key, 50_000)
        c.get("/whoami")
        assert dj.raw.pttl(key) > 590_000


# --- session engine API -------------------------------------------------------


def test_store_api(dj):
    s = SessionStore()
    s["a"] = 1
    s.create()
    key = s.session_key
    assert len(key) == 43 and s.exists(key)
    assert SessionStore(key).load() == {"a": 1}
    # must_create on an existing key fails; on a fresh key it creates.
    dup = SessionStore(key)
    dup._session_cache = {"x": 1}
    with pytest.raises(CreateError):
        dup.save(must_create=True)
    fresh = SessionStore("f" * 32)
    fresh._session_cache = {"b": 2}  # unloaded: keeps the key it was given
    fresh.save(must_create=True)
    assert SessionStore("f" * 32)["b"] == 2
    fresh.delete()
    assert not fresh.exists("f" * 32)
    SessionStore.clear_expired()
    assert not s.exists("") and not s.exists(None)


def test_concurrent_saves_of_different_keys_both_win(dj):
    # Switch threads often so the embedded engine's fast calls interleave.
    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        _concurrent_saves(dj)
    finally:
        sys.setswitchinterval(old_interval)


def _concurrent_saves(dj):
    s = SessionStore()
    s["start"] = 0
    s.save()
    key = s.session_key
    barrier = threading.Barrier(2, timeout=30)
    errors = []

    def worker(tag):
        try:
            barrier.wait()
            for i in range(25):
                mine = SessionStore(key)
                mine[f"{tag}{i}"] = i
                mine.save()
        except Exception as e:  # pragma: no cover
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(t,)) for t in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(SessionStore(key).load()) == 51


def test_cycle_key_keeps_unsaved_changes(dj):
    s = SessionStore()
    s["a"] = 1
    s.save()
    old = s.session_key
    s["b"] = 2
    s.cycle_key()
    s.save()
    assert s.session_key != old and not s.exists(old)
    assert SessionStore(s.session_key).load() == {"a": 1, "b": 2}


# --- cache backend ------------------------------------------------------------


def test_cache_is_configured_like_django_redis(dj):
    cache = caches["default"]
    assert isinstance(cache, RedcoreCache)
    cache.set("k", {"v": [1, 2]})
    assert cache.get("k") == {"v": [1, 2]}
    assert dj.raw.exists("site:1:k") == 1
    assert 299 <= dj.raw.ttl("site:1:k") <= 300
    assert caches["other"].make_key("k") == "other:3:k"


def test_cache_basic_operations(dj):
    cache = caches["default"]
    assert cache.get("missing") is None
    assert cache.get("missing", "dflt") == "dflt"
    assert cache.add("a", 1) is True
    assert cache.add("a", 2) is False
    assert cache.get("a") == 1
    assert cache.has_key("a") and not cache.has_key("zz")
    assert cache.delete("a") is True
    assert cache.delete("a") is False
    cache.set("n", 10)
    assert cache.incr("n") == 11
    assert cache.incr("n", 5) == 16
    assert cache.decr("n", 20) == -4
    with pytest.raises(ValueError, match="Key 'nope' not found"):
        cache.incr("nope")
    assert cache.get_or_set("g", lambda: "made") == "made"
    assert cache.get_or_set("g", "other") == "made"
    cache.set("t", True)
    assert cache.get("t") is True  # bools stay bools
    cache.set("big", 2**70)
    assert cache.get("big") == 2**70


def test_cache_many(dj):
    cache = caches["default"]
    assert cache.set_many({"a": 1, "b": "two", "c": [3]}) == []
    assert cache.get_many(["a", "b", "c", "d"]) == {"a": 1, "b": "two", "c": [3]}
    assert cache.get_many([]) == {}
    cache.delete_many(["a", "c", "zz"])
    assert cache.get_many(["a", "b", "c"]) == {"b": "two"}
    cache.set_many({"x": 1, "y": 2}, timeout=None)
    assert dj.raw.ttl("site:1:x") == -1


def test_cache_timeouts(dj):
    cache = caches["default"]
    cache.set("forever", 1, timeout=None)
    assert dj.raw.ttl("site:1:forever") == -1
    cache.set("zero", 1, timeout=0)
    assert cache.get("zero") is None and not dj.raw.exists("site:1:zero")
    cache.set("gone", 1)
    cache.set("gone", 2, timeout=0)  # overwriting with 0 deletes
    assert cache.get("gone") is None
    cache.set("neg", 1, timeout=-5)
    assert not cache.has_key("neg")
    assert cache.add("zero-add", 1, timeout=0) is True
    assert not cache.has_key("zero-add")
    cache.set("short", 1, timeout=0.2)
    assert 0 < dj.raw.pttl("site:1:short") <= 200
    time.sleep(0.25)
    assert cache.get("short") is None
    assert caches["forever"].set("f", 1) is None
    assert dj.raw.ttl("forever:1:f") == -1


def test_cache_touch(dj):
    cache = caches["default"]
    cache.set("k", 1, timeout=10)
    assert cache.touch("k", 100) is True
    assert 99 <= dj.raw.ttl("site:1:k") <= 100
    assert cache.touch("k", None) is True
    assert dj.raw.ttl("site:1:k") == -1
    assert cache.touch("k", None) is True  # already persistent: still there
    assert cache.touch("missing", 10) is False
    assert cache.touch("missing", None) is False
    assert cache.touch("k", 0) is True and not cache.has_key("k")


def test_cache_versions_and_prefixes(dj):
    cache = caches["default"]
    cache.set("v", "one", version=1)
    cache.set("v", "two", version=2)
    assert cache.get("v") == "one" and cache.get("v", version=2) == "two"
    assert cache.incr_version("v") == 2
    assert cache.get("v", version=2) == "one"
    caches["other"].set("v", "other")
    assert cache.get("v", version=3) is None
    assert caches["other"].get("v") == "other"


def test_cache_clear_only_touches_its_prefix(dj):
    cache, other = caches["default"], caches["other"]
    cache.set_many({f"k{i}": i for i in range(2500)})
    other.set("keep", 1)
    dj.raw.set("unrelated", "x")
    dj.raw.set("site-ish:1:k", "x")  # shares the prefix's first letters only
    assert cache.clear() is True
    assert cache.get_many([f"k{i}" for i in range(2500)]) == {}
    assert other.get("keep") == 1
    assert dj.raw.get("unrelated") == b"x" and dj.raw.get("site-ish:1:k") == b"x"


def test_cache_clear_escapes_glob_characters(dj, location):
    conf = {"BACKEND": "redcore.contrib.django.cache.RedcoreCache", "LOCATION": location, "KEY_PREFIX": "a*"}
    with override_settings(CACHES={"default": conf}):
        cache = caches["default"]
        cache.set("k", 1)
        dj.raw.set("abc:1:k", "x")
        cache.clear()
        assert cache.get("k") is None and dj.raw.get("abc:1:k") == b"x"


def _custom_key(key, key_prefix, version):
    return f"custom/{key_prefix}/{key}"


def test_cache_clear_with_custom_key_function_needs_a_pattern(dj, location):
    conf = {"BACKEND": "redcore.contrib.django.cache.RedcoreCache", "LOCATION": location,
            "KEY_PREFIX": "p", "KEY_FUNCTION": _custom_key}
    with override_settings(CACHES={"default": conf}):
        cache = caches["default"]
        cache.set("k", 1)
        assert dj.raw.get("custom/p/k") is not None
        with pytest.raises(ImproperlyConfigured):
            cache.clear()
        assert cache.get("k") == 1
    conf["OPTIONS"] = {"CLEAR_PATTERN": "custom/p/*"}
    with override_settings(CACHES={"default": conf}):
        cache = caches["default"]
        dj.raw.set("custom/q/k", "x")
        assert cache.clear() is True
        assert cache.get("k") is None and dj.raw.get("custom/q/k") == b"x"


def test_concurrent_incr_is_atomic(dj):
    caches["default"].set("hits", 0)
    barrier = threading.Barrier(4, timeout=30)

    def worker():
        cache = caches["default"]  # a per-thread instance, sharing the client
        barrier.wait()
        for _ in range(50):
            cache.incr("hits")

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert caches["default"].get("hits") == 200


def test_cache_page(dj):
    c = Client()
    first = c.get("/cached").content
    assert c.get("/cached").content == first
    assert any(k.startswith(b"site:1:views.decorators.cache") for k in dj.raw.keys("*"))
    caches["default"].clear()
    assert c.get("/cached").content != first


def test_session_engine_can_share_a_cache_client(dj):
    with override_settings(REDCORE_SESSION={"CACHE": "default", "PREFIX": "shared:"}):
        s = SessionStore()
        s["a"] = 1
        s.save()
        assert dj.raw.exists("shared:" + s.session_key) == 1
        assert SessionStore(s.session_key)["a"] == 1


def test_async_api(dj):
    import asyncio

    async def scenario():
        s = SessionStore()
        await s.aset("a", 1)
        await s.asave()
        old = s.session_key
        await s.acycle_key()
        await s.asave()
        loaded = SessionStore(s.session_key)
        cache = caches["default"]
        await cache.aset("k", [1])
        return old, s.session_key, await loaded.aget("a"), await cache.aget("k"), await s.aexists(old)

    old, new, value, cached_value, old_exists = asyncio.run(scenario())
    assert old != new and value == 1 and cached_value == [1] and not old_exists


def test_missing_configuration(dj):
    with override_settings(REDCORE_SESSION={}):
        with pytest.raises(ValueError, match="REDCORE_SESSION"):
            SessionStore().exists("x" * 32)
