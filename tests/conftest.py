"""Test setup: a real redis-server (the oracle) on a free loopback port, and
fixtures that run every behaviour test on each backend.

Backends:
- ``embedded``: ``redcore.Redis()``, the in-process engine.
- ``remote``: redcore's network client (``redcore.Redis(port=...)``)
  talking to the same redis-server as the oracle.
- ``oracle``: redis-py talking to the real ``redis-server``.
- ``server``: redis-py talking to redcore's own server (``redcore.Server``,
  started once in the test process, flushed before each test like the
  oracle).

Every backend runs with redis-py 8's default protocol (``protocol=None``:
RESP3 on the wire, the classic reply shapes for typed methods, RESP3 values
for raw ``execute_command`` replies of commands without a callback); pass
``protocol=2`` or ``3`` (or ``legacy_responses=False``) to ``make`` for the
others.

A test written against the ``r`` fixture runs once per backend and must
pass on all of them: its expectations are Redis's behaviour, so any difference is
a redcore bug. ``r.exc`` is the backend's exceptions module, so tests can
write ``pytest.raises(r.exc.ResponseError)``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from typing import Any, Callable, Dict, Iterator

import pytest
import redis

import redcore
from redcore._localhost import free_port, tie_to_parent, wait_ready

BACKENDS = ["embedded", "remote", "oracle", "server"]


_free_port = free_port  # the name the test modules import


def _find_redis_server() -> str:
    path = shutil.which("redis-server") or ("/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None)
    if path is None:
        pytest.exit("redis-server not found: run scripts/test.sh, which installs it", returncode=3)
    return path


class RedisServer:
    """A redis-server process owned by the test session."""

    def __init__(self, extra: tuple = ()) -> None:
        self.port = _free_port()
        self.dir = tempfile.mkdtemp(prefix="redcore-oracle-")
        self.proc = subprocess.Popen(
            [
                _find_redis_server(),
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", self.dir,
                "--daemonize", "no",
                *extra,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=tie_to_parent(),
        )
        wait_ready(self.port, self.proc, timeout=20, what="redis-server")

    def client(self, **kwargs: Any) -> redis.Redis:
        return redis.Redis(port=self.port, **kwargs)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redcore_server() -> Iterator[redcore.Server]:
    """redcore's server in this process, on a free loopback port."""
    srv = redcore.Server(port=0, name="conftest-server")
    yield srv
    srv.stop()


def make_client(backend: str, server: RedisServer, engine: str = "", rc_server: Any = None, **kwargs: Any) -> Any:
    """A client of ``backend``; embedded clients given the same ``engine``
    name share data, like two connections to one server."""
    if backend == "embedded":
        c = redcore.Redis(name=engine or None, **kwargs)
        c.exc = redcore.exceptions
    elif backend == "remote":
        c = redcore.Redis(port=server.port, **kwargs)
        c.exc = redcore.exceptions
    elif backend == "server":
        # redcore's engine has Redis 7.2's CLIENT SETINFO, which redis-py
        # sends on connect; without it the server answers as the 7.0 oracle
        # (no lib-name in CLIENT LIST, no ACL denial logged for it).
        kwargs.setdefault("driver_info", None)
        c = redis.Redis(port=rc_server.port, **kwargs)
        c.exc = redis.exceptions
    else:
        c = server.client(**kwargs)
        c.exc = redis.exceptions
    c.backend = backend
    return c


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def make(backend: str, redis_server: RedisServer, request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    """``make(**kwargs)`` -> a client of the current backend. All clients made
    in one test share one dataset (one embedded engine, or the server, flushed
    before the test)."""
    made = []
    engine = f"test-{uuid.uuid4().hex}"

    rc_server = request.getfixturevalue("redcore_server") if backend == "server" else None

    def factory(**kwargs: Any) -> Any:
        c = make_client(backend, redis_server, engine, rc_server, **kwargs)
        made.append(c)
        return c

    if backend in ("oracle", "remote"):
        redis_server.client().flushall()
    elif backend == "server":
        redis.Redis(port=rc_server.port).flushall()
    yield factory
    for c in made:
        c.close()
    redcore._redcore.forget_engine(engine)


@pytest.fixture
def r(make: Callable[..., Any]) -> Any:
    """A client on an empty dataset, for each backend."""
    return make()


@pytest.fixture
def r2(make: Callable[..., Any]) -> Any:
    """Like ``r`` with ``protocol=2``: for tests of RESP2's raw replies."""
    return make(protocol=2)


@pytest.fixture
def rd(make: Callable[..., Any]) -> Any:
    """Like ``r`` with ``decode_responses=True``."""
    return make(decode_responses=True)


@pytest.fixture
def node_config(make: Callable[..., Any]) -> Iterator[Any]:
    """A client; the stream node settings a test changes are restored."""
    c = make()
    yield c
    c.config_set("stream-node-max-entries", 100)
    c.config_set("stream-node-max-bytes", 4096)


@pytest.fixture
def pair(request: pytest.FixtureRequest, redis_server: RedisServer) -> Iterator[Dict[str, Any]]:
    """One embedded client and one oracle client on empty datasets, for
    tests that compare replies directly. Parametrize it indirectly with a
    dict of client arguments (``{"protocol": 2}``) to change both."""
    kwargs = getattr(request, "param", None) or {}
    redis_server.client().flushall()
    yield {
        "embedded": make_client("embedded", redis_server, **kwargs),
        "oracle": make_client("oracle", redis_server, **kwargs),
    }


# -- Redis Cluster (tests/cluster_support.py) --

@pytest.fixture(scope="session")
def cluster_servers() -> Iterator[Any]:
    """A real 3-master / 3-replica Redis Cluster (six redis-server
    processes on loopback ports), started once per session."""
    from cluster_support import LocalCluster

    cluster = LocalCluster()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def sentinel_group() -> Iterator[Any]:
    """A master, two replicas and three Sentinels watching ``mymaster``
    (real processes), started once per session."""
    from cluster_support import LocalSentinel

    deployment = LocalSentinel()
    yield deployment
    deployment.stop()
