"""Django libraries that need the ORM, run with redcore: django-cacheops
(querysets cached by Lua scripts, invalidated when a saved row matches)
and django-defender (failed logins counted and blocked in Redis).

Django allows one configuration per process and these libraries need a
database and their apps installed, so each scenario runs in a process of
its own (``django_orm/run.py``) and prints what it saw. It runs with a
redcore ``memory://`` pool (embedded), a redcore pool on the session's
redis-server (remote), and redis-py's own pool there (oracle); all must
see the same. The library gets the pool through its documented setting:
``CACHEOPS_REDIS={"connection_pool": ...}`` (cacheops wraps it in
redis-py's ``Redis``), and ``DEFENDER_REDIS_NAME`` naming a django-redis
cache with ``CONNECTION_POOL_CLASS = "redcore.ConnectionPool"``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from typing import Any, Dict

import pytest

import redcore

HERE = os.path.dirname(os.path.abspath(__file__))

# What cacheops shows: (result, SQL queries run). A cached queryset runs
# none; a saved row invalidates only the querysets it matches.
CACHEOPS: Dict[str, Any] = {
    "first": [["p0", "p2", "p4"], 1],
    "cached": [["p0", "p2", "p4"], 0],
    "after_matching_insert": [["p0", "p2", "p4", "p5"], 1],
    "after_other_insert": [["p0", "p2", "p4", "p5"], 0],
    "get": [["p1", 1], ["p1", 0]],
    "after_update": [["p0", "p1", "p2", "p4", "p5"], 1],
    "count": [[7, 1], [7, 0]],
    "cached_as": [["p0", "p1", "p2", "p3", "p4", "p5", "p6"], ["p0", "p1", "p2", "p3", "p4", "p5", "p6"], 1],
    "conj_ttls": True,
    "after_invalidate_model": 1,
    "after_invalidate_all": 0,
}

EXPECTED: Dict[str, Dict[str, Any]] = {
    "cacheops": CACHEOPS,
    "cacheops-insideout": CACHEOPS,
    "defender": {
        "checks": [True, True, False],
        "attempts": 3,
        "locked": ["b'blocked'", None],
        "blocked": [["ann"], ["10.0.0.1"]],
        "block_ttl": True,
        "lockout_status": 200,
        "stored": [["Ann", False]],
        "after_unblock": [None, 0],
        "success_resets": [True, 0],
        "keys_left": [],
    },
}


@pytest.mark.parametrize("kind", ["embedded", "remote", "oracle"])
@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_django_orm_library(scenario: str, kind: str, redis_server: Any) -> None:
    engine = f"django-orm-{uuid.uuid4().hex}"
    if kind == "embedded":
        url = f"memory://{engine}/0"
    else:
        redis_server.client().flushall()
        url = f"redis://127.0.0.1:{redis_server.port}/0"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([HERE, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "django_orm.run", scenario, kind, url], cwd=HERE, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    pool = seen.pop("pool", None)
    assert seen == EXPECTED[scenario]
    if scenario == "defender":
        # The cache's client is on the pool of the kind under test.
        assert pool == ("redis" if kind == "oracle" else "redcore")
    redcore._redcore.forget_engine(engine)
