"""redis-benchmark against redcore's server and redis-server 7.0, in one run.

    python benchmarks/server_bench.py                 # -n 500000, as in RESULTS.md
    python benchmarks/server_bench.py -n 2000         # a quick smoke run
    python benchmarks/server_bench.py --markdown      # a table for RESULTS.md

Each server runs in its own process on a free loopback port (redcore via
``python -m redcore serve``, so the benchmark measures the server, not this
script); both are driven with ``-t set,get,incr,lpush,lpop,sadd,hset,zadd,
lrange_100`` at ``-c 50`` and at ``-c 50 -P 16``. Rows print requests/s for
each server and the ratio redcore / redis-server (target: at least 1.0x),
then each server's resident memory (VmRSS) after the run. redis-server is
single-threaded; redcore uses ``--threads`` worker threads (default 2).
Run it on a release build (``maturin develop --release``): a debug build
measures the compiler's work, not the server's.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional, Tuple

TESTS = "set,get,incr,lpush,lpop,sadd,hset,zadd,lrange_100"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not start")


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def start_redis(port: int, workdir: str) -> subprocess.Popen:
    exe = shutil.which("redis-server") or "/usr/bin/redis-server"
    args = [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", workdir]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start_redcore(port: int, threads: int) -> subprocess.Popen:
    args = [sys.executable, "-m", "redcore", "serve", "--port", str(port), "--threads", str(threads)]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def bench(port: int, n: int, clients: int, pipeline: int) -> Dict[str, float]:
    """requests/s per test, from redis-benchmark's CSV output."""
    exe = shutil.which("redis-benchmark") or "/usr/bin/redis-benchmark"
    args = [exe, "-h", "127.0.0.1", "-p", str(port), "-t", TESTS, "-n", str(n), "-c", str(clients),
            "-P", str(pipeline), "--csv", "-q"]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=3600).stdout
    rows: Dict[str, float] = {}
    for rec in csv.reader(io.StringIO(out)):
        if len(rec) >= 2 and rec[0] != "test":
            try:
                rows[rec[0]] = float(rec[1])
            except ValueError:
                pass
    return rows


def human(v: float) -> str:
    return f"{v / 1e6:.2f}M" if v >= 1e6 else f"{v / 1e3:.1f}k"


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=500_000, help="requests per test (default 500000)")
    ap.add_argument("-c", type=int, default=50, help="parallel connections (default 50)")
    ap.add_argument("--threads", type=int, default=2, help="redcore server worker threads (default 2)")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = ap.parse_args(argv)

    workdir = tempfile.mkdtemp(prefix="redcore-bench-")
    rp, cp = free_port(), free_port()
    redis_proc = start_redis(rp, workdir)
    redcore_proc = start_redcore(cp, args.threads)
    results: List[Tuple[str, str, float, float]] = []
    try:
        wait_ready(rp, redis_proc)
        wait_ready(cp, redcore_proc)
        for pipeline in (1, 16):
            mode = f"-c {args.c}" + (f" -P {pipeline}" if pipeline > 1 else "")
            theirs = bench(rp, args.n, args.c, pipeline)
            ours = bench(cp, args.n, args.c, pipeline)
            for test, base in theirs.items():
                results.append((mode, test, ours.get(test, 0.0), base))
        mem = (rss_mb(redcore_proc.pid), rss_mb(redis_proc.pid))
    finally:
        for p in (redis_proc, redcore_proc):
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(workdir, ignore_errors=True)

    if args.markdown:
        print(f"redis-benchmark -n {args.n}; redcore server: {args.threads} worker threads, "
              "redis-server 7.0: 1 thread\n")
        print("| mode | test | redcore | redis-server | ratio |")
        print("|------|------|---------|--------------|-------|")
        for mode, test, ours, base in results:
            print(f"| {mode} | {test} | {human(ours)} | {human(base)} | {ours / base:.2f}x |")
        print(f"\nMemory after the run (VmRSS): redcore {mem[0]:.1f} MB, redis-server {mem[1]:.1f} MB")
    else:
        print(f"{'mode':<12} {'test':<24} {'redcore':>10} {'redis':>10} {'ratio':>7}")
        for mode, test, ours, base in results:
            print(f"{mode:<12} {test:<24} {human(ours):>10} {human(base):>10} {ours / base:>6.2f}x")
        print(f"memory after: redcore {mem[0]:.1f} MB, redis-server {mem[1]:.1f} MB "
              f"(redcore {args.threads} worker threads, redis-server 1 thread)")
    worst = min((o / b for _, _, o, b in results if b), default=0.0)
    return 0 if results and worst > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
