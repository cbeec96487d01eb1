"""One "web worker" process for tests/test_redcore_server.py: it reaches a
redcore server over TCP, as each of a gunicorn app's workers would, and
uses redcore's helpers (sessions, a rate limiter, a lock) on the data the
other worker processes share. It prints one JSON line with what it saw.

    python redcore_server_worker.py URL CLIENT JOB [ARG]

CLIENT is ``redcore`` (redcore's network client) or ``redis-py``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any, Dict

import redis

import redcore
from redcore.lock import Lock
from redcore.ratelimit import FixedWindow
from redcore.session import SessionStore


def login(r: Any, _arg: str) -> Dict[str, Any]:
    """Creates a session, as the worker that handled a login would."""
    store = SessionStore(r, ttl=600)
    sid = store.create({"user": "ada", "login_pid": os.getpid()})
    return {"sid": sid}


def request(r: Any, sid: str) -> Dict[str, Any]:
    """Waits with the other workers for the start signal, then reads the
    session another process wrote, updates its own field of it, and takes
    its share of a rate limit and of a lock-protected counter."""
    r.rpush("workers:ready", os.getpid())
    # BLPOP across processes: the test releases every worker at once.
    assert r.blpop(["workers:go"], timeout=30) is not None
    store = SessionStore(r, ttl=600)
    session = store.get(sid)
    store.update(sid, **{f"seen_by_{os.getpid()}": True})
    limiter = FixedWindow(r, "api:shared", limit=50, window=60)
    allowed = sum(limiter.hit().allowed for _ in range(30))
    most_holders = 0
    for _ in range(15):
        with Lock(r, "counter:lock", timeout=10, sleep=0.005, blocking_timeout=30):
            # A read-modify-write that loses updates unless the lock is
            # exclusive across processes.
            most_holders = max(most_holders, r.incr("counter:holders"))
            value = int(r.get("counter") or 0)
            time.sleep(0.002)
            r.set("counter", value + 1)
            r.decr("counter:holders")
    return {"pid": os.getpid(), "session": session, "allowed": allowed, "most_holders": most_holders}


def main() -> None:
    url, kind, job = sys.argv[1:4]
    arg = sys.argv[4] if len(sys.argv) > 4 else ""
    r = redcore.Redis.from_url(url) if kind == "redcore" else redis.Redis.from_url(url)
    out = {"login": login, "request": request}[job](r, arg)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
