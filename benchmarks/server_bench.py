"""redis-benchmark against redcore's server and redis-server 7.0, in one run.

    python benchmarks/server_bench.py                 # -n 500000, as in RESULTS.md
    python benchmarks/server_bench.py -n 2000         # a quick smoke run
    python benchmarks/server_bench.py --markdown      # a table for RESULTS.md

Each server runs in its own process on a free loopback port (redcore via
``python -m redcore serve``, so the benchmark measures the server, not this
script); both are driven with ``-t set,get,incr,lpush,lpop,sadd,hset,zadd,
lrange_100`` at ``-c 50`` and at ``-c 50 -P 16``. Each test runs on its own,
on one server and then the other (which goes first alternates), for
``--rounds`` rounds; the best round of each server counts, so a burst of
load from elsewhere on the machine does not decide a row. ``--pin`` puts
both servers on the first CPU and redis-benchmark on the others. Rows print
requests/s for each server and the ratio redcore / redis-server (target: at
least 1.0x), and the CPU time each server process used per request (user +
system, from /proc: the kernel's share of a request included), which other
load barely moves; then each server's resident memory (VmRSS) after the
run. redis-server is single-threaded; redcore uses ``--threads`` worker
threads (the server's default unless ``--threads`` is given: 1 on a
machine with up to 2 CPUs, else 2; the table says how many ran).
Run it on a release build (``maturin develop --release``): a debug build
measures the compiler's work, not the server's.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import subprocess
import sys
import tempfile
from typing import Callable, Dict, List, Optional, Set, Tuple

from redcore._localhost import free_port, wait_ready

TESTS = "set,get,incr,lpush,lpop,sadd,hset,zadd,lrange_100"


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def pinned(cpus: Optional[Set[int]]) -> Optional[Callable[[], None]]:
    """A ``preexec_fn`` that pins the child (and every thread it starts)
    to ``cpus``; None when not pinning."""
    if not cpus:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


def start_redis(port: int, workdir: str, cpus: Optional[Set[int]] = None) -> subprocess.Popen:
    exe = shutil.which("redis-server") or "/usr/bin/redis-server"
    args = [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", workdir]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=pinned(cpus))


def start_redcore(port: int, threads: Optional[int], cpus: Optional[Set[int]] = None) -> subprocess.Popen:
    args = [sys.executable, "-m", "redcore", "serve", "--port", str(port)]
    if threads is not None:
        args += ["--threads", str(threads)]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=pinned(cpus))


def worker_threads(port: int) -> str:
    """The redcore server's worker threads, as CONFIG GET io-threads
    reports them."""
    exe = shutil.which("redis-cli") or "/usr/bin/redis-cli"
    out = subprocess.run([exe, "-p", str(port), "config", "get", "io-threads"],
                         capture_output=True, text=True, timeout=30).stdout.split()
    return out[1] if len(out) == 2 else "?"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench(port: int, n: int, clients: int, pipeline: int, tests: str = TESTS,
          cpus: Optional[Set[int]] = None) -> Dict[str, float]:
    """requests/s per test, from redis-benchmark's CSV output."""
    exe = shutil.which("redis-benchmark") or "/usr/bin/redis-benchmark"
    args = [exe, "-h", "127.0.0.1", "-p", str(port), "-t", tests, "-n", str(n), "-c", str(clients),
            "-P", str(pipeline), "--csv", "-q"]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=3600,
                         preexec_fn=pinned(cpus)).stdout
    rows: Dict[str, float] = {}
    for rec in csv.reader(io.StringIO(out)):
        if len(rec) >= 2 and rec[0] != "test":
            try:
                rows[rec[0]] = float(rec[1])
            except ValueError:
                pass
    return rows


def cpu_ratio(ours: float, base: float) -> str:
    """redis-server's CPU per request over redcore's (above 1: redcore
    uses less); "-" when a run was too short for the clock's ticks."""
    return f"{base / ours:.2f}x" if ours > 0 and base > 0 else "-"


def human(v: float) -> str:
    return f"{v / 1e6:.2f}M" if v >= 1e6 else f"{v / 1e3:.1f}k"


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=500_000, help="requests per test (default 500000)")
    ap.add_argument("-c", type=int, default=50, help="parallel connections (default 50)")
    ap.add_argument("--threads", type=int, default=None,
                    help="redcore server worker threads (default: the server's own default)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds per test; the best counts (default 3)")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    ap.add_argument("--pin", action="store_true",
                    help="pin both servers (all their threads) to the first CPU and redis-benchmark "
                         "to the others, so neither server's rows depend on where the scheduler "
                         "moved it (needs 2 or more CPUs)")
    args = ap.parse_args(argv)
    cpus = sorted(os.sched_getaffinity(0))
    server_cpus: Optional[Set[int]] = None
    bench_cpus: Optional[Set[int]] = None
    if args.pin:
        if len(cpus) < 2:
            ap.error("--pin needs 2 or more CPUs")
        server_cpus, bench_cpus = {cpus[0]}, set(cpus[1:])

    workdir = tempfile.mkdtemp(prefix="redcore-bench-")
    rp, cp = free_port(), free_port()
    redis_proc = start_redis(rp, workdir, server_cpus)
    redcore_proc = start_redcore(cp, args.threads, server_cpus)
    # (mode, row) -> [best redcore rps, best redis rps, least redcore CPU
    # µs/request, least redis CPU µs/request]
    best: Dict[Tuple[str, str], List[float]] = {}
    try:
        wait_ready(rp, redis_proc)
        wait_ready(cp, redcore_proc)
        threads = worker_threads(cp)
        servers = [(0, cp, redcore_proc), (1, rp, redis_proc)]
        for rnd in range(max(1, args.rounds)):
            for pipeline in (1, 16):
                mode = f"-c {args.c}" + (f" -P {pipeline}" if pipeline > 1 else "")
                for test in TESTS.split(","):
                    order = servers if rnd % 2 == 0 else servers[::-1]
                    for which, port, proc in order:
                        cpu0 = cpu_seconds(proc.pid)
                        rows = bench(port, args.n, args.c, pipeline, test, bench_cpus)
                        # The CPU of every row the test printed (LRANGE's
                        # LPUSH fill included), per request.
                        per_req = (cpu_seconds(proc.pid) - cpu0) / (args.n * max(1, len(rows))) * 1e6
                        for row, rps in rows.items():
                            entry = best.setdefault((mode, row), [0.0, 0.0, float("inf"), float("inf")])
                            entry[which] = max(entry[which], rps)
                            entry[2 + which] = min(entry[2 + which], per_req)
        mem = (rss_mb(redcore_proc.pid), rss_mb(redis_proc.pid))
    finally:
        for p in (redis_proc, redcore_proc):
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(workdir, ignore_errors=True)

    results = [(mode, row, v[0], v[1], v[2], v[3]) for (mode, row), v in best.items()]
    if args.markdown:
        print(f"redis-benchmark -n {args.n}, best of {args.rounds} rounds; redcore server: "
              f"{threads} worker threads, redis-server 7.0: 1 thread"
              + (f"; servers pinned to CPU {cpus[0]}, redis-benchmark to the others" if args.pin else "")
              + "\n")
        print("| mode | test | redcore | redis-server | ratio | CPU µs/req redcore | redis-server | ratio |")
        print("|------|------|---------|--------------|-------|--------------------|--------------|-------|")
        for mode, test, ours, base, ocpu, bcpu in results:
            print(f"| {mode} | {test} | {human(ours)} | {human(base)} | {ours / base:.2f}x "
                  f"| {ocpu:.2f} | {bcpu:.2f} | {cpu_ratio(ocpu, bcpu)} |")
        print(f"\nMemory after the run (VmRSS): redcore {mem[0]:.1f} MB, redis-server {mem[1]:.1f} MB")
    else:
        print(f"{'mode':<12} {'test':<24} {'redcore':>10} {'redis':>10} {'ratio':>7}   CPU µs/req: redcore  redis  ratio")
        for mode, test, ours, base, ocpu, bcpu in results:
            print(f"{mode:<12} {test[:24]:<24} {human(ours):>10} {human(base):>10} {ours / base:>6.2f}x"
                  f"   {ocpu:>17.2f} {bcpu:>6.2f} {cpu_ratio(ocpu, bcpu):>6}")
        print(f"memory after: redcore {mem[0]:.1f} MB, redis-server {mem[1]:.1f} MB "
              f"(redcore {threads} worker threads, redis-server 1 thread)")
    worst = min((o / b for _, _, o, b, _, _ in results if b), default=0.0)
    return 0 if results and worst > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
