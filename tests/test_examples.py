"""The scripts in examples/ run, and their own assertions hold, on the
embedded engine and on redcore's network client against a real
redis-server (the session's oracle server from conftest.py).

Each example module has ``main(client)`` and ``CLIENT_OPTIONS`` (the
keyword arguments its ``__main__`` block passes to ``Redis.from_url``);
``main`` asserts its own invariants, so running it is the test.
"""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

import redcore

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
NAMES = [
    "caching",
    "realtime_analytics",
    "pubsub_messaging",
    "leaderboard",
    "sessions",
    "inventory",
    "collaborative_editing",
]


def load(name: str) -> Any:
    """Imports examples/<name>.py as a module (examples/ is not a package)."""
    spec = importlib.util.spec_from_file_location(f"redcore_example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_example_is_tested() -> None:
    assert sorted(p.stem for p in EXAMPLES.glob("*.py")) == sorted(NAMES)


@pytest.fixture(params=["embedded", "remote"])
def make_client(request: pytest.FixtureRequest, redis_server: Any) -> Iterator[Callable[..., Any]]:
    """``make_client(**kwargs)`` -> a client on an empty dataset: a private
    embedded engine, or redcore's network client on the flushed oracle
    server."""
    made = []
    engine = f"examples-{uuid.uuid4().hex}"

    def factory(**kwargs: Any) -> Any:
        if request.param == "embedded":
            c = redcore.Redis(name=engine, **kwargs)
        else:
            c = redcore.Redis(port=redis_server.port, **kwargs)
        made.append(c)
        return c

    if request.param == "remote":
        redis_server.client().flushall()
    yield factory
    for c in made:
        c.close()
    redcore._redcore.forget_engine(engine)


@pytest.mark.parametrize("name", NAMES)
def test_example_main(name: str, make_client: Callable[..., Any], capsys: pytest.CaptureFixture) -> None:
    module = load(name)
    r = make_client(**module.CLIENT_OPTIONS)
    started = time.perf_counter()
    module.main(r)
    elapsed = time.perf_counter() - started
    assert capsys.readouterr().out.strip(), "the example prints what it did"
    # Examples clean up their own keys first, so a second run on the same
    # data (a persistent server) passes too.
    module.main(r)
    assert elapsed < 10, f"{name} took {elapsed:.1f}s"


def run_script(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_script_runs_as_main_on_the_embedded_engine() -> None:
    done = run_script("examples/caching.py")
    assert done.returncode == 0, done.stderr
    assert "cache-aside" in done.stdout


def test_script_runs_as_main_against_a_server(redis_server: Any) -> None:
    redis_server.client().flushall()
    done = run_script("examples/leaderboard.py", "--url", f"redis://127.0.0.1:{redis_server.port}/0")
    assert done.returncode == 0, done.stderr
    assert "top 5:" in done.stdout


def test_script_reports_an_unreachable_server() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket closes
    done = run_script("examples/caching.py", "--url", f"redis://127.0.0.1:{port}/0")
    assert done.returncode != 0
    assert "cannot reach Redis" in done.stderr
