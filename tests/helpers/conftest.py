"""The helpers also run on a real Redis Cluster (a ``cluster`` backend on
top of the suite's three): they must work unchanged there, with their keys
hash-tagged wherever a script or MULTI touches several at once."""

from __future__ import annotations

import uuid
from typing import Any, Callable, Iterator

import pytest

import redcore
from conftest import BACKENDS, RedisServer, make_client


@pytest.fixture(params=BACKENDS + ["cluster"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def make(backend: str, redis_server: RedisServer, request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    """``make(**kwargs)`` -> a client of the current backend on an empty
    dataset shared by the test's clients (see the suite's ``make``)."""
    made = []
    engine = f"test-{uuid.uuid4().hex}"
    cluster = request.getfixturevalue("cluster_servers") if backend == "cluster" else None
    rc_server = request.getfixturevalue("redcore_server") if backend == "server" else None

    def factory(**kwargs: Any) -> Any:
        if cluster is not None:
            c = redcore.RedisCluster(host="127.0.0.1", port=cluster.port, **kwargs)
            c.exc = redcore.exceptions
            c.backend = backend
        else:
            c = make_client(backend, redis_server, engine, rc_server, **kwargs)
        made.append(c)
        return c

    if backend in ("oracle", "remote"):
        redis_server.client().flushall()
    elif backend == "server":
        factory().flushall()
    if cluster is not None:
        factory().flushall()
    yield factory
    for c in made:
        c.close()
    redcore._redcore.forget_engine(engine)
