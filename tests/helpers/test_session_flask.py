"""redcore.contrib.flask end to end through Flask's test client, on every
backend."""

from __future__ import annotations

import sys
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

import flask
from flask import Flask, session

from redcore.contrib.flask import RedcoreSessionInterface, init_app, rotate_session  # noqa: E402
from redcore.session import SessionStore  # noqa: E402

PREFIX = "fs:"


def build_app(client, **options):
    app = Flask(__name__)
    app.config.update(SECRET_KEY="test-secret", TESTING=True)
    config = options.pop("config", {})
    app.config.update(config)
    init_app(app, client, prefix=PREFIX, **options)

    @app.post("/login/<user>")
    def login(user):
        rotate_session()
        session["user"] = user
        if flask.request.args.get("permanent"):
            session.permanent = True
        return "ok"

    @app.get("/me")
    def me():
        return session.get("user", "anonymous")

    @app.get("/dump")
    def dump():
        return flask.jsonify({k: v for k, v in session.items()})

    @app.post("/set/<key>/<value>")
    def set_value(key, value):
        session[key] = value
        return "ok"

    @app.post("/append/<value>")
    def append(value):
        session.setdefault("items", [])
        session["items"].append(value)  # nested change: no modified flag
        return "ok"

    @app.post("/logout")
    def logout():
        session.clear()
        return "bye"

    @app.get("/nothing")
    def nothing():
        return "nothing"

    return app


def sid_of(client, name="session"):
    cookie = client.get_cookie(name)
    return None if cookie is None else cookie.value


def keys(client):
    return sorted(k.decode() if isinstance(k, bytes) else k for k in client.keys(PREFIX + "*"))


def test_login_flow_sets_data(make):
    r = make()
    app = build_app(r)
    with app.test_client() as c:
        assert c.get("/me").text == "anonymous"
        assert sid_of(c) is None
        assert keys(r) == []
        resp = c.post("/login/ada")
        assert resp.text == "ok"
        sid = sid_of(c)
        assert SessionStore.valid_id(sid)
        assert keys(r) == [PREFIX + sid]
        assert c.get("/me").text == "ada"
        assert r.hget(PREFIX + sid, "user") == b'"ada"'


def test_login_rotates_id_and_old_id_stops_working(make):
    r = make()
    app = build_app(r)
    with app.test_client() as c:
        c.post("/set/cart/book")
        before = sid_of(c)
        c.post("/login/ada")
        after = sid_of(c)
        assert before != after
        assert keys(r) == [PREFIX + after]
        assert c.get("/dump").json == {"cart": "book", "user": "ada"}
    # An attacker who planted `before` gets nothing.
    with app.test_client() as attacker:
        attacker.set_cookie("session", before)
        assert attacker.get("/me").text == "anonymous"
        assert attacker.get("/dump").json == {}


def test_logout_deletes_session_and_cookie(make):
    r = make()
    app = build_app(r)
    with app.test_client() as c:
        c.post("/login/ada")
        sid = sid_of(c)
        resp = c.post("/logout")
        assert "session=;" in resp.headers["Set-Cookie"]
        assert sid_of(c) is None
        assert keys(r) == []
        c.set_cookie("session", sid)
        assert c.get("/me").text == "anonymous"


def test_unmodified_and_empty_sessions_do_not_write(make):
    r = make()
    app = build_app(r)
    with app.test_client() as c:
        resp = c.get("/me")
        assert "Set-Cookie" not in resp.headers
        assert keys(r) == []
        c.post("/set/a/1")
        sid = sid_of(c)
        r.hset(PREFIX + sid, "probe", b'"x"')  # an unknown field stays untouched
        resp = c.get("/nothing")
        assert "Set-Cookie" not in resp.headers  # not permanent: nothing to refresh
        assert r.hget(PREFIX + sid, "probe") == b'"x"'


def test_nested_change_is_saved_without_modified_flag(make):
    app = build_app(make())
    with app.test_client() as c:
        c.post("/append/a")
        c.post("/append/b")
        assert c.get("/dump").json == {"items": ["a", "b"]}


def test_idle_expiry(make):
    r = make()
    app = build_app(r, ttl=timedelta(milliseconds=300))
    with app.test_client() as c:
        c.post("/login/ada")
        sid = sid_of(c)
        for _ in range(3):
            time.sleep(0.15)
            assert c.get("/me").text == "ada"  # each request resets the TTL
        time.sleep(0.4)
        assert r.exists(PREFIX + sid) == 0
        assert c.get("/me").text == "anonymous"
        # The stale cookie is dropped.
        assert sid_of(c) is None


def test_expiry_without_refresh_each_request(make):
    r = make()
    app = build_app(r, ttl=0.3, config={"SESSION_REFRESH_EACH_REQUEST": False})
    with app.test_client() as c:
        c.post("/login/ada")
        time.sleep(0.15)
        assert c.get("/me").text == "ada"
        time.sleep(0.2)
        assert c.get("/me").text == "anonymous"


def test_permanent_session_lifetime(make):
    r = make()
    app = build_app(r, ttl=60, config={"PERMANENT_SESSION_LIFETIME": timedelta(hours=2)})
    with app.test_client() as c:
        c.post("/login/ada?permanent=1")
        sid = sid_of(c)
        assert 7190 <= r.ttl(PREFIX + sid) <= 7200
        expires = c.get_cookie("session").expires
        assert abs((expires - datetime.now(timezone.utc)) - timedelta(hours=2)) < timedelta(minutes=1)
        # Permanent + refresh each request: every response re-sends the cookie.
        assert "Set-Cookie" in c.get("/me").headers
        c.post("/login/bob")  # a later login keeps the session permanent
        assert c.get("/dump").json["_permanent"] is True
        assert 7190 <= r.ttl(PREFIX + sid_of(c)) <= 7200
    with app.test_client() as c:
        c.post("/login/eve")
        assert 50 < r.ttl(PREFIX + sid_of(c)) <= 60  # non-permanent: the interface's ttl
        assert c.get_cookie("session").expires is None


def test_cookie_follows_flask_settings(make):
    app = build_app(
        make(),
        config={
            "SESSION_COOKIE_NAME": "sid",
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SECURE": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_PATH": "/app",
            "SESSION_COOKIE_DOMAIN": "example.com",
        },
    )
    with app.test_client() as c:
        header = c.post("/login/ada").headers["Set-Cookie"]
        assert header.startswith("sid=")
        for part in ("HttpOnly", "Secure", "SameSite=Lax", "Path=/app", "Domain=example.com"):
            assert part in header
        assert "Expires" not in header


def test_signed_cookie(make):
    r = make()
    app = build_app(r, signed=True)
    with app.test_client() as c:
        c.post("/login/ada")
        value = sid_of(c)
        sid, _, signature = value.rpartition(".")
        assert keys(r) == [PREFIX + sid] and signature
        assert c.get("/me").text == "ada"
    with app.test_client() as forger:
        forger.set_cookie("session", sid)  # the bare id is refused
        assert forger.get("/me").text == "anonymous"
        forger.set_cookie("session", sid + ".AAAA")
        assert forger.get("/me").text == "anonymous"
    app.config["SECRET_KEY_FALLBACKS"] = ["test-secret"]
    app.config["SECRET_KEY"] = "rotated-secret"
    with app.test_client() as c:
        c.set_cookie("session", value)
        assert c.get("/me").text == "ada"


def test_signed_without_secret_key_gives_null_session(make):
    app = build_app(make(), signed=True)
    app.config["SECRET_KEY"] = None
    with app.test_client() as c:
        assert c.get("/me").text == "anonymous"
        with pytest.raises(RuntimeError, match="secret key"):
            c.post("/set/a/1")


def test_concurrent_requests_changing_different_keys_both_win(make):
    r = make()
    app = build_app(r)
    with app.test_client() as c:
        c.post("/set/start/1")
        sid = sid_of(c)
    barrier = threading.Barrier(2, timeout=30)
    errors = []

    def worker(tag):
        try:
            with app.test_client() as wc:
                wc.set_cookie("session", sid)
                barrier.wait()
                for i in range(30):
                    assert wc.post(f"/set/{tag}{i}/{i}").status_code == 200
        except Exception as e:  # pragma: no cover
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(t,)) for t in "ab"]
    # Switch threads often so the embedded engine's fast calls interleave.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert not errors
    data = SessionStore(r, prefix=PREFIX).get_raw(sid)
    assert len(data) == 61


def test_session_deleted_during_request_is_not_resurrected(make):
    r = make()
    app = build_app(r)

    @app.post("/slow")
    def slow():
        session["x"] = 1
        r.delete(PREFIX + session.sid)  # a logout elsewhere, mid-request
        return "ok"

    with app.test_client() as c:
        c.post("/login/ada")
        c.post("/slow")
        assert keys(r) == []
        assert c.get("/me").text == "anonymous"


def test_values_round_trip_through_tagged_json(make):
    app = build_app(make())
    stamp = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)

    @app.post("/rich")
    def rich():
        session["when"] = stamp
        session["pair"] = (1, 2)
        session["raw"] = b"\x00\x01"
        return "ok"

    @app.get("/rich")
    def read_rich():
        assert session["when"] == stamp
        assert session["pair"] == (1, 2)
        assert session["raw"] == b"\x00\x01"
        return "ok"

    with app.test_client() as c:
        c.post("/rich")
        assert c.get("/rich").text == "ok"


def test_init_app_from_config(redis_server):
    app = Flask(__name__)
    app.config.update(
        REDCORE_SESSION_URL=f"redis://127.0.0.1:{redis_server.port}/3",
        REDCORE_SESSION_PREFIX="cfg:",
        SECRET_KEY="k",
    )
    interface = init_app(app)
    assert isinstance(app.session_interface, RedcoreSessionInterface)
    assert interface.store.prefix == "cfg:"

    @app.post("/x")
    def x():
        session["a"] = 1
        return "ok"

    with app.test_client() as c:
        c.post("/x")
        sid = sid_of(c)
    assert redis_server.client(db=3).exists("cfg:" + sid) == 1
    redis_server.client(db=3).flushdb()
    with pytest.raises(ValueError):
        init_app(Flask(__name__))
