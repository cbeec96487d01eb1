"""Memory per key: redcore's embedded engine against redis-server.

Loads N small string keys (``key:N`` -> ``value:N``, 1,000,000 by default)
into a fresh redcore engine (in a child process, so nothing else in the
process has touched the allocator) and into a fresh redis-server started
for the run, and prints bytes per key for both: process RSS growth, and
growth of INFO ``used_memory`` (each engine's own accounting), plus the
ratio redcore / redis-server (target: 1.0 or less).

``bash benchmarks/run.sh`` runs it after the other benchmarks; alone:
``python benchmarks/bench_memory.py [-n 1000000] [--markdown]``
(``--port`` is accepted and ignored: the script starts its own server, as
a server that held other data would not show its growth).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict

from redcore._localhost import free_port

BATCH = 10_000


def rss_of(pid: int) -> int:
    """Resident set size of process ``pid`` in bytes."""
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGESIZE")


def load(client: Any, n: int) -> None:
    """SET key:i value:i for i < n, in pipelines of BATCH commands."""
    pipe = client.pipeline(transaction=False)
    for i in range(n):
        pipe.set(f"key:{i}", f"value:{i}")
        if i % BATCH == BATCH - 1:
            pipe.execute()
    pipe.execute()


def measure_embedded(n: int) -> Dict[str, float]:
    """Runs in the child process: load into a private engine, measure."""
    import redcore

    r = redcore.Redis()
    r.set("warm", "up")
    gc.collect()
    rss0, used0 = rss_of(os.getpid()), r.info("memory")["used_memory"]
    load(r, n)
    gc.collect()
    rss1, used1 = rss_of(os.getpid()), r.info("memory")["used_memory"]
    assert r.dbsize() == n + 1
    return {"rss": (rss1 - rss0) / n, "used": (used1 - used0) / n}


def measure_redis_server(n: int) -> Dict[str, float]:
    """Starts a fresh redis-server, loads into it, measures, stops it."""
    import redis

    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server missing")
    port, workdir = free_port(), tempfile.mkdtemp(prefix="bench-memory-")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", workdir],
        stdout=subprocess.DEVNULL,
    )
    try:
        r = redis.Redis(port=port)
        for _ in range(200):
            try:
                r.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        r.set("warm", "up")
        rss0, used0 = rss_of(proc.pid), r.info("memory")["used_memory"]
        load(r, n)
        rss1, used1 = rss_of(proc.pid), r.info("memory")["used_memory"]
        assert r.dbsize() == n + 1
        return {"rss": (rss1 - rss0) / n, "used": (used1 - used0) / n}
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=1_000_000, help="keys to load")
    ap.add_argument("--markdown", action="store_true", help="print a markdown table")
    ap.add_argument("--port", type=int, help="ignored (a fresh server is started)")
    ap.add_argument("--child-embedded", action="store_true", help=argparse.SUPPRESS)
    args, _ = ap.parse_known_args()  # run.sh passes the other scripts' options too
    if args.child_embedded:
        print(json.dumps(measure_embedded(args.n)))
        return
    out = subprocess.run(
        [sys.executable, __file__, "--child-embedded", "-n", str(args.n)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    emb = json.loads(out.strip().splitlines()[-1])
    srv = measure_redis_server(args.n)
    rows = [
        ("RSS growth", emb["rss"], srv["rss"]),
        ("used_memory growth", emb["used"], srv["used"]),
    ]
    title = f"bytes per key, {args.n:,} keys `key:N` -> `value:N`"
    if args.markdown:
        print(f"\n{title}\n")
        print("| measure            | redcore embedded | redis-server | ratio |")
        print("|--------------------|------------------|--------------|-------|")
        for name, a, b in rows:
            print(f"| {name:<18} | {a:>16.1f} | {b:>12.1f} | {a / b:>5.2f} |")
    else:
        print(title)
        print(f"{'':<20}{'redcore':>10}{'redis':>10}{'ratio':>8}")
        for name, a, b in rows:
            print(f"{name:<20}{a:>10.1f}{b:>10.1f}{a / b:>8.2f}")


if __name__ == "__main__":
    main()
