"""User session management (scenario 1).

Data model: one hash per session, ``example:sessions:session:<id>``, with
one field per attribute (user id, name, timestamps, a JSON cart), so a
request can read the whole session in one ``HGETALL`` and update a single
attribute with ``HSET``/``HINCRBY`` without rewriting (or racing on) the
rest. The session id is 256 random bits: the only thing the browser keeps.
A set per user, ``example:sessions:user:<uid>``, indexes their sessions for
"log out everywhere".

Expiry: every access runs ``EXPIRE`` in the same MULTI/EXEC as the read, a
*sliding* idle timeout; Redis deletes idle sessions itself.

Distribution: every app server talks to the same Redis (or a cluster: each
session is a single key), so any server can serve any request: no sticky
sessions. ``redcore.session.SessionStore`` implements this model with id
rotation on login and safe concurrent updates.

    python examples/sessions.py
    python examples/sessions.py --url redis://localhost:6379/0
"""

from __future__ import annotations

import argparse
import json
import secrets
import threading
import time

import redcore as redis
from redcore.session import SessionStore

CLIENT_OPTIONS = {"decode_responses": True}
PREFIX = "example:sessions"
TTL_MS = 30 * 60 * 1000  # 30 minutes of inactivity


def create_session(r: redis.Redis, user_id: int, name: str, ttl_ms: int = TTL_MS) -> str:
    sid = secrets.token_urlsafe(32)
    key, index = f"{PREFIX}:session:{sid}", f"{PREFIX}:user:{user_id}"
    now = str(time.time())
    pipe = r.pipeline()  # MULTI/EXEC: the session never exists without its TTL
    pipe.hset(key, mapping={"user_id": user_id, "name": name, "created": now, "seen": now, "cart": "[]", "views": 0})
    pipe.pexpire(key, ttl_ms)
    pipe.sadd(index, sid)
    pipe.pexpire(index, ttl_ms)
    pipe.execute()
    return sid


def load_session(r: redis.Redis, sid: str, ttl_ms: int = TTL_MS):
    """The session as a dict (None if expired or unknown); slides the TTL."""
    key = f"{PREFIX}:session:{sid}"
    pipe = r.pipeline()
    pipe.hgetall(key)
    pipe.pexpire(key, ttl_ms)  # a no-op (0) when the key is gone
    data, _ = pipe.execute()
    if not data:
        return None
    data["cart"] = json.loads(data["cart"])
    return data


def logout_everywhere(r: redis.Redis, user_id: int) -> int:
    """Deletes every session of the user; returns how many were live."""
    index = f"{PREFIX}:user:{user_id}"
    keys = [f"{PREFIX}:session:{s}" for s in r.smembers(index)]
    live = r.delete(*keys) if keys else 0  # ids of expired sessions count 0
    r.delete(index)
    return live


def main(r: redis.Redis) -> None:
    for key in r.scan_iter(match=f"*{PREFIX}*"):  # start clean (re-runnable)
        r.delete(key)

    # --- the data model with raw commands ------------------------------------------
    sid = create_session(r, 42, "ada")
    session = load_session(r, sid)
    assert session["name"] == "ada" and session["cart"] == [] and session["user_id"] == "42"
    r.hset(f"{PREFIX}:session:{sid}", "cart", json.dumps(["book", "pen"]))  # one field only
    assert load_session(r, sid)["cart"] == ["book", "pen"]
    assert 0 < r.pttl(f"{PREFIX}:session:{sid}") <= TTL_MS

    # Concurrent requests of one session (8 threads x 25): per-field commands
    # are atomic, so no update is lost and no field is overwritten.
    def request(n: int) -> None:
        for _ in range(25):
            r.hincrby(f"{PREFIX}:session:{sid}", "views", 1)
        r.hset(f"{PREFIX}:session:{sid}", f"tab:{n}", "open")

    threads = [threading.Thread(target=request, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    session = load_session(r, sid)
    assert session["views"] == "200" and all(session[f"tab:{n}"] == "open" for n in range(8))
    print(f"session {sid[:8]}...: {len(session)} fields, views={session['views']}")

    # Sliding expiry: every access resets the idle timeout ...
    key = f"{PREFIX}:session:{sid}"
    time.sleep(0.05)
    before = r.pttl(key)
    load_session(r, sid)
    assert r.pttl(key) > before
    # ... and Redis deletes a session left idle longer than that by itself.
    short = create_session(r, 7, "bob", ttl_ms=100)
    assert load_session(r, short, ttl_ms=100)["name"] == "bob"
    deadline = time.monotonic() + 5
    while r.exists(f"{PREFIX}:session:{short}") and time.monotonic() < deadline:
        time.sleep(0.02)  # (EXISTS does not slide the TTL)
    assert load_session(r, short) is None
    print("idle session expired after its sliding TTL")

    second = create_session(r, 42, "ada")  # ada logs in on another device
    assert logout_everywhere(r, 42) == 2
    assert load_session(r, sid) is None and load_session(r, second) is None

    # --- redcore.session.SessionStore -----------------------------------------------
    # Two "app servers" configured alike share the sessions through Redis.
    server_a = SessionStore(r, prefix=f"{PREFIX}:store:", ttl=1800)
    server_b = SessionStore(r, prefix=f"{PREFIX}:store:", ttl=1800)
    sid = server_a.create({"cart": []})
    assert server_b.get(sid) == {"cart": []}
    sid = server_b.rotate(sid)  # new id at login: defeats session fixation
    server_a.update(sid, user={"id": 42, "name": "ada"})

    def add_item(n: int) -> None:  # concurrent updates of different keys
        (server_a if n % 2 else server_b).update(sid, **{f"item{n}": n})

    threads = [threading.Thread(target=add_item, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    data = server_a.get(sid)
    assert data["user"]["name"] == "ada" and all(data[f"item{n}"] == n for n in range(6))
    assert 1790 < server_a.ttl(sid) <= 1800
    assert server_a.get("forged-cookie-value") is None
    assert server_b.delete(sid) and server_a.get(sid) is None
    print("SessionStore:", sorted(data))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Session storage in Redis hashes.")
    parser.add_argument("--url", default="memory://", help="memory:// (embedded) or redis://host:port/db")
    args = parser.parse_args()
    try:
        main(redis.Redis.from_url(args.url, **CLIENT_OPTIONS))
    except redis.ConnectionError as e:
        raise SystemExit(f"cannot reach Redis at {args.url}: {e}")
