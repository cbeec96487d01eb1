"""pytest plugin for scripts/redis_py_suite.py, loaded into redis-py's own
test suite with ``-p redis_py_suite_plugin`` (run out of tree, from the
unpacked redis sdist). Driven by environment variables:

- ``RPY_OUTCOMES``: write ``{nodeid: outcome}`` there as JSON at the end
  (outcome: passed, failed, error, skipped, xfailed or xpassed).
- ``RPY_VERSION``: the server version redis-py's tests believe they talk to
  (their ``skip_if_server_version_lt`` markers), so tests of commands newer
  than the reported 7.0 run too.
- ``RPY_CLIENT``: ``embedded`` or ``remote`` swaps the client that
  redis-py's ``_get_client`` builds for a ``redcore.Redis`` (on a
  ``memory://`` engine, or on ``--redis-url``).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, Callable, Dict
from urllib.parse import urlsplit

import pytest

_RANK = {"passed": 0, "skipped": 1, "xfailed": 1, "xpassed": 1, "failed": 2, "error": 3}
_outcomes: Dict[str, str] = {}


def _outcome(report: Any) -> str:
    if hasattr(report, "wasxfail"):
        return "xfailed" if report.skipped else "xpassed"
    if report.when != "call" and report.failed:
        return "error"
    return str(report.outcome)


def pytest_runtest_logreport(report: Any) -> None:
    o = _outcome(report)
    old = _outcomes.get(report.nodeid)
    if old is None or _RANK[o] > _RANK[old] or (report.when == "call" and old == "passed"):
        _outcomes[report.nodeid] = o


def pytest_sessionfinish(session: Any) -> None:
    path = os.environ.get("RPY_OUTCOMES")
    if path:
        with open(path, "w") as f:
            json.dump(_outcomes, f, indent=0, sort_keys=True)


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: Any) -> None:
    version = os.environ.get("RPY_VERSION")
    conftest = sys.modules.get("tests.conftest")
    if version and conftest is not None:
        conftest.REDIS_INFO["version"] = version


def _redcore_get_client(orig: Callable[..., Any]) -> Callable[..., Any]:
    import redcore

    def _get_client(cls: Any, request: Any, single_connection_client: bool = True, flushdb: bool = True,
                    from_url: Any = None, **kwargs: Any) -> Any:
        # Only plain clients on the test server: clusters, TLS and other
        # URLs keep redis-py's client.
        if from_url is not None or kwargs.get("ssl") or getattr(cls, "__name__", "") != "Redis" \
                or "asyncio" in getattr(cls, "__module__", ""):
            return orig(cls, request, single_connection_client=single_connection_client, flushdb=flushdb,
                        from_url=from_url, **kwargs)
        kwargs.pop("connection_class", None)
        protocol = request.config.getoption("--protocol")
        if protocol and kwargs.get("protocol") is None:
            kwargs["protocol"] = int(protocol)
        # As in redis-py's conftest, keyword arguments (db=1) win over the URL.
        if os.environ.get("RPY_CLIENT") == "embedded":
            url = "memory://redis-py-suite"
        else:
            parts = urlsplit(request.config.getoption("--redis-url"))
            url = f"{parts.scheme}://{parts.netloc}"
            kwargs.setdefault("db", int(parts.path.strip("/") or 0))
        client = redcore.Redis.from_url(url, **kwargs)
        if single_connection_client:
            client = client.client()

        def teardown() -> None:
            if flushdb:
                client.flushdb()
            client.close()

        request.addfinalizer(teardown)
        return client

    return _get_client


def pytest_collection_finish(session: Any) -> None:
    if os.environ.get("RPY_CLIENT") not in ("embedded", "remote"):
        return
    conftest = sys.modules.get("tests.conftest")
    if conftest is None:
        return
    orig = conftest._get_client
    new = _redcore_get_client(orig)
    # The fixtures call conftest's global; test modules imported their own.
    for name, mod in list(sys.modules.items()):
        if (name == "tests" or name.startswith("tests.")) and getattr(mod, "_get_client", None) is orig:
            mod._get_client = new
