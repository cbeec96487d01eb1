"""redcore's pytest plugin: a fresh Redis for every test, with no server.

Installed with redcore and on by default (entry point ``pytest11``; turn it
off with ``-p no:redcore``). A test asks for a fixture::

    def test_counter(redis):
        redis.incr("hits")
        assert redis.get("hits") == b"1"

Fixtures
    ``redis`` / ``redcore_client``
        a ``redcore.Redis`` on an empty embedded engine of its own: no
        server, no database-number ceiling, nothing shared between tests or
        between pytest-xdist workers.
    ``redcore_factory``
        ``redcore_factory(**kwargs)`` -> more clients on that same dataset
        (``decode_responses=True``, ``protocol=2``...).
    ``redis_url``
        a URL naming that dataset (``memory://<name>``), for code that builds
        its own client with ``Redis.from_url`` (``redcore.Redis.from_url``
        opens it; so does anything that passes it to redcore).
    ``redcore_async_client``
        the ``redcore.asyncio`` twin on that dataset, where redcore has it
        (skipped otherwise).
    ``redcore_server``
        a redcore server (``python -m redcore serve``) on a free loopback
        port, for code that needs a ``redis://`` URL; skipped where this
        redcore has no server.
    ``redisdb``, ``redis_proc``, ``redis_nooproc``
        pytest-redis's names: ``redisdb`` is a client cleaned after each test
        (here the per-test engine), ``redis_proc`` a ``redis-server`` process
        started for the session on a free port (skipped when there is no
        ``redis-server`` on PATH), ``redis_nooproc`` the already running
        server given with ``--redcore-url`` (skipped without it). Both
        process fixtures have pytest-redis's ``host``, ``port``,
        ``unixsocket``, ``dbnum`` and ``version`` attributes and ``url``.

Options
    ``--redcore-url=redis://host:port/db`` (or ini ``redcore_url``) runs the
    same tests against that server: the client fixtures connect there and
    the database is flushed before each test (pytest-xdist worker ``gwN``
    uses database ``db + N`` so workers do not flush each other's data).

Marker
    ``@pytest.mark.redcore_backends`` runs the test once per backend:
    ``embedded``, and ``server`` when ``--redcore-url`` is given.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from typing import Any, Callable, Iterator, List, Optional
from urllib.parse import urlparse, urlunparse

import pytest

from ._localhost import free_port, tie_to_parent

EMBEDDED = "embedded"
SERVER = "server"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("redcore", "redcore fixtures (redis, redis_url, redisdb...)")
    group.addoption(
        "--redcore-url",
        dest="redcore_url",
        default=None,
        help="run the redis fixtures against this server (redis://, rediss://, unix://) "
        "instead of a per-test embedded engine; its database is flushed before each test",
    )
    parser.addini("redcore_url", "default for --redcore-url", default="")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "redcore_backends: run this test once per redcore backend "
        "(embedded, and the --redcore-url server when given)",
    )


def server_url(config: pytest.Config) -> Optional[str]:
    """The ``--redcore-url`` (or ini ``redcore_url``) value, or None."""
    return config.getoption("redcore_url") or config.getini("redcore_url") or None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.definition.get_closest_marker("redcore_backends") is None:
        return
    if "redcore_backend" not in metafunc.fixturenames:
        return
    backends = [EMBEDDED] + ([SERVER] if server_url(metafunc.config) else [])
    metafunc.parametrize("redcore_backend", backends, indirect=True)


def _worker_url(url: str) -> str:
    """Under pytest-xdist, worker ``gwN`` gets database ``db + N`` of the
    server, so that the per-test FLUSHDB of one worker spares the others."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw") or not url.startswith(("redis://", "rediss://")):
        return url
    parts = urlparse(url)
    db = int(parts.path.strip("/") or 0) + int(worker[2:])
    return urlunparse(parts._replace(path=f"/{db}"))


@pytest.fixture
def redcore_backend(request: pytest.FixtureRequest) -> str:
    """The backend the client fixtures use in this test: ``embedded`` or
    ``server`` (``--redcore-url``)."""
    param = getattr(request, "param", None)
    if param is not None:
        return str(param)
    return SERVER if server_url(request.config) else EMBEDDED


@pytest.fixture
def redis_url(request: pytest.FixtureRequest, redcore_backend: str) -> Iterator[str]:
    """A URL for this test's dataset: ``memory://<unique name>`` (an empty
    embedded engine, dropped after the test) or the ``--redcore-url``
    server's, flushed before the test."""
    import redcore

    if redcore_backend == SERVER:
        url = _worker_url(str(server_url(request.config)))
        with redcore.Redis.from_url(url) as admin:
            admin.flushdb()
        yield url
        return
    name = f"pytest-{uuid.uuid4().hex}"
    yield f"memory://{name}"
    redcore._redcore.forget_engine(name)


@pytest.fixture
def redcore_factory(redis_url: str) -> Iterator[Callable[..., Any]]:
    """``redcore_factory(**kwargs)`` -> a new ``redcore.Redis`` on this
    test's dataset; every client it made is closed after the test."""
    import redcore

    made: List[Any] = []

    def factory(**kwargs: Any) -> Any:
        client = redcore.Redis.from_url(redis_url, **kwargs)
        made.append(client)
        return client

    yield factory
    for client in made:
        client.close()


@pytest.fixture
def redcore_client(redcore_factory: Callable[..., Any]) -> Any:
    """A ``redcore.Redis`` on an empty dataset of this test's own."""
    return redcore_factory()


@pytest.fixture
def redis(redcore_client: Any) -> Any:
    """``redcore_client`` under the name tests for redis-py code use."""
    return redcore_client


@pytest.fixture
def redisdb(redcore_client: Any) -> Any:
    """pytest-redis's ``redisdb``: a client whose data is gone after the test."""
    return redcore_client


@pytest.fixture
def redcore_async_client(redis_url: str) -> Any:
    """``redcore.asyncio.Redis`` on this test's dataset (skipped where this
    redcore has no asyncio client)."""
    aio = pytest.importorskip("redcore.asyncio", reason="this redcore has no redcore.asyncio")
    return aio.Redis.from_url(redis_url)


def _wait_ping(url: str, proc: Optional[subprocess.Popen] = None, timeout: float = 20.0) -> None:
    import redcore

    deadline = time.monotonic() + timeout
    while True:
        try:
            with redcore.Redis.from_url(url, socket_timeout=1) as c:
                if c.ping():
                    return
        except redcore.exceptions.ConnectionError:
            if (proc is not None and proc.poll() is not None) or time.monotonic() > deadline:
                raise RuntimeError(f"no server answered at {url}") from None
            time.sleep(0.05)


class ServerInfo:
    """Where a server is, with pytest-redis's attribute names."""

    def __init__(self, url: str, version: str = "", proc: Optional[subprocess.Popen] = None) -> None:
        parts = urlparse(url)
        self.url = url
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 6379
        self.unixsocket = parts.path if parts.scheme == "unix" else None
        self.dbnum = int(parts.path.strip("/") or 0) if parts.scheme != "unix" else 0
        self.version = version
        self.proc = proc

    def running(self) -> bool:
        return self.proc is None or self.proc.poll() is None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url}>"


def _start_server(argv: List[str], port: int) -> Iterator[ServerInfo]:
    proc = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=tie_to_parent()
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        _wait_ping(url, proc)
        import redcore

        with redcore.Redis.from_url(url, decode_responses=True) as c:
            version = str(c.info("server").get("redis_version", ""))
        yield ServerInfo(url, version, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def redis_proc() -> Iterator[ServerInfo]:
    """pytest-redis's ``redis_proc``: a ``redis-server`` started for the
    session on a free loopback port (no persistence), stopped at the end."""
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.skip("redis_proc needs redis-server on PATH")
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="redcore-pytest-")
    try:
        yield from _start_server(
            [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", workdir],
            port,
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_nooproc(request: pytest.FixtureRequest) -> ServerInfo:
    """pytest-redis's ``redis_nooproc``: the server already running at
    ``--redcore-url`` (nothing is started; skipped without the option)."""
    url = server_url(request.config)
    if not url:
        pytest.skip("redis_nooproc needs --redcore-url")
    _wait_ping(url, timeout=5)
    return ServerInfo(url)


@pytest.fixture(scope="session")
def redcore_server() -> Iterator[ServerInfo]:
    """A redcore server (``python -m redcore serve``) on a free loopback
    port for the session; skipped where this redcore has no server."""
    import redcore

    if not hasattr(redcore, "Server"):
        pytest.skip("this redcore has no server (python -m redcore serve)")
    port = free_port()
    yield from _start_server([sys.executable, "-m", "redcore", "serve", "--port", str(port)], port)
