#!/usr/bin/env python3
"""redis-py's own test suite as an oracle for redcore.

Downloads the sdist of the installed redis-py version (it carries
``tests/``) into a cache directory, starts a redis-server (the oracle) and
a redcore server on free loopback ports, runs the chosen redis-py test
files once per backend, and prints every test whose outcome differs from
the oracle's. redis-py's tests run out of tree, from the unpacked sdist;
none are copied into this repository.

Backends:
- ``oracle``: redis-py's client on redis-server.
- ``server``: redis-py's client on ``python -m redcore serve``.
- ``server-8.0``: the same, with redis-py's version markers lifted to
  8.0.0, so the tests of the 7.2-8.0 commands redcore implements run too
  (their only oracle is redis-py's test of the documented behaviour).
- ``embedded`` / ``remote``: redis-py's fixtures build ``redcore.Redis``
  clients instead (on a ``memory://`` engine, or on redis-server).

A difference is a test that fails or errors on a backend but not on the
oracle. Differences listed in ``redis_py_suite_accepted.txt`` (backends,
test id pattern, reason) are reported but accepted; the exit status is 1
when any other remains, 77 when the sdist cannot be had (offline).

    python scripts/redis_py_suite.py                      # oracle vs server
    python scripts/redis_py_suite.py --backends oracle,server,embedded --asyncio
"""

from __future__ import annotations

import argparse
import concurrent.futures
import fnmatch
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from redcore._localhost import free_port, wait_ready

HERE = Path(__file__).resolve().parent
SKIPPED = 77

SYNC_FILES = [
    "tests/test_commands.py", "tests/test_pipeline.py", "tests/test_pubsub.py", "tests/test_lock.py",
    "tests/test_scripting.py", "tests/test_function.py", "tests/test_encoding.py", "tests/test_hash.py",
    "tests/test_monitor.py", "tests/test_keyspace_notifications.py",
]
ASYNC_FILES = [
    "tests/test_asyncio/test_commands.py", "tests/test_asyncio/test_pipeline.py",
    "tests/test_asyncio/test_pubsub.py", "tests/test_asyncio/test_lock.py",
    "tests/test_asyncio/test_scripting.py", "tests/test_asyncio/test_encoding.py",
    "tests/test_asyncio/test_hash.py", "tests/test_asyncio/test_monitor.py",
]
BACKENDS = ("oracle", "server", "server-8.0", "embedded", "remote")
# Cluster, module, TLS and replica tests need servers this script does not start.
MARKERS = "not onlycluster and not redismod and not ssl and not replica"
BAD = ("failed", "error")


def fetch_sdist(cache: Path) -> Optional[Path]:
    """The unpacked sdist of the installed redis-py, downloaded once."""
    version = metadata.version("redis")
    root = cache / f"redis-{version}"
    if (root / "tests" / "conftest.py").exists():
        return root
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
               f"redis=={version}", "-d", tmp]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        archives = list(Path(tmp).glob("redis-*.tar.gz"))
        if proc.returncode != 0 or not archives:
            print(f"redis_py_suite: skipped: cannot download the redis=={version} sdist (offline?): "
                  f"{proc.stderr.strip().splitlines()[-1:] or ''}")
            return None
        with tarfile.open(archives[0]) as tar:
            tar.extractall(cache, filter="data")
    return root if (root / "tests" / "conftest.py").exists() else None


def start_server(redcore: bool) -> Tuple[int, subprocess.Popen]:
    """A redis-server (or, with ``redcore``, a redcore server) on a free port."""
    port = free_port()
    if redcore:
        cmd = [sys.executable, "-m", "redcore", "serve", "--port", str(port)]
    else:
        redis_server = shutil.which("redis-server")
        if redis_server is None:
            raise SystemExit("redis_py_suite: redis-server not found (scripts/test.sh installs it)")
        cmd = [redis_server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(port, proc, what=cmd[0])
    except RuntimeError as e:
        proc.kill()
        raise SystemExit(f"redis_py_suite: {e}") from None
    except BaseException:
        proc.kill()
        raise
    return port, proc


def run_backend(backend: str, root: Path, files: List[str], out: Path, timeout: int) -> Dict[str, str]:
    """Runs the files on one backend, with a server of its own; {test id: outcome}."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    outcomes = out / f"{backend}.json"
    env["RPY_OUTCOMES"] = str(outcomes)
    port, server = start_server(redcore=backend.startswith("server"))
    if backend == "server-8.0":
        env["RPY_VERSION"] = "8.0.0"
    if backend in ("embedded", "remote"):
        env["RPY_CLIENT"] = backend
    cmd = [sys.executable, "-m", "pytest", *files, "-q", "-p", "no:cacheprovider", "-p", "no:redcore",
           "-p", "redis_py_suite_plugin", "-m", MARKERS, "-o", "addopts=", "-o", "log_cli=false",
           "-W", "ignore", f"--redis-url=redis://127.0.0.1:{port}/0"]
    try:
        with open(out / f"{backend}.log", "w") as log:
            subprocess.run(cmd, cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        print(f"redis_py_suite: {backend}: timed out after {timeout}s")
    finally:
        server.terminate()
        server.wait(timeout=10)
    if not outcomes.exists():
        raise SystemExit(f"redis_py_suite: {backend}: pytest wrote no results (see {out / (backend + '.log')})")
    return dict(json.loads(outcomes.read_text()))


def load_accepted(path: Path) -> List[Tuple[str, str, str]]:
    entries = []
    for line in path.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        backend, pattern, reason = (part.strip() for part in line.split("|", 2))
        entries.append((backend, pattern, reason))
    return entries


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--backends", default="oracle,server,server-8.0",
                    help=f"comma-separated, from {', '.join(BACKENDS)} (oracle is always run)")
    ap.add_argument("--asyncio", action="store_true", help="also run the asyncio test files")
    ap.add_argument("--files", nargs="*", help="redis-py test files (paths inside the sdist)")
    ap.add_argument("--cache-dir", default=os.environ.get("REDIS_PY_SUITE_CACHE",
                                                          str(Path.home() / ".cache" / "redcore-redis-py-suite")))
    ap.add_argument("--accepted", default=str(HERE / "redis_py_suite_accepted.txt"))
    ap.add_argument("--log-dir", help="keep each backend's pytest output (<backend>.log) here")
    ap.add_argument("--jobs", type=int, default=2, help="backends run at once")
    ap.add_argument("--timeout", type=int, default=900, help="seconds per backend")
    args = ap.parse_args(argv)

    backends = ["oracle"] + [b for b in args.backends.split(",") if b and b != "oracle"]
    for b in backends:
        if b not in BACKENDS:
            ap.error(f"unknown backend {b!r}")
    files = args.files or (SYNC_FILES + (ASYNC_FILES if args.asyncio else []))
    root = fetch_sdist(Path(args.cache_dir))
    if root is None:
        return SKIPPED
    accepted = load_accepted(Path(args.accepted))

    with tempfile.TemporaryDirectory(prefix="redis-py-suite-") as tmp, \
            concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        out = Path(args.log_dir or tmp)
        out.mkdir(parents=True, exist_ok=True)
        futures = {b: pool.submit(run_backend, b, root, files, out, args.timeout) for b in backends}
        results = {b: f.result() for b, f in futures.items()}

    oracle = results["oracle"]
    unexpected = 0
    used = set()
    for b in backends:
        res = results[b]
        counts: Dict[str, int] = {}
        for o in res.values():
            counts[o] = counts.get(o, 0) + 1
        print(f"{b}: " + ", ".join(f"{n} {o}" for o, n in sorted(counts.items())))
        if b == "oracle":
            continue
        for tid in sorted(set(res) | set(oracle)):
            mine, theirs = res.get(tid, "missing"), oracle.get(tid, "missing")
            if mine in BAD and theirs not in BAD:
                match = next((e for e in accepted if b in e[0].split(",") and fnmatch.fnmatchcase(tid, e[1])), None)
                if match is not None:
                    used.add(match)
                    print(f"  accepted  {b} {tid}: {mine} (oracle {theirs}): {match[2]}")
                else:
                    unexpected += 1
                    print(f"  DIFFERENT {b} {tid}: {mine} (oracle {theirs})")
            elif theirs in BAD and mine == "passed":
                print(f"  better    {b} {tid}: passed (oracle {theirs})")
    for e in accepted:
        if e not in used and set(e[0].split(",")) & set(backends):
            print(f"  unused accepted entry: {e[0]} | {e[1]}")
    print(f"redis_py_suite: {unexpected} unexpected difference(s)")
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
