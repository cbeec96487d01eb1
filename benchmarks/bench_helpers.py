"""Benchmark redcore's helper modules: one rate-limiter check per algorithm
(``limiter.hit()``), and the ``redcore.cache`` hit path when that module is
present.

Columns: the helper on the embedded engine, on a local redis-server through
redcore's client and through redis-py, and the ``limits`` library (its
redis storage, via redis-py on the same server) where it has the same
algorithm. Every check is admitted (the limits are far above the number of
calls), so all contenders do the same work: one Lua script call per check
(``limits``'s ``hit`` returns only a bool and times its moving window with the
client's clock; redcore's limiters return remaining/reset/retry and use the
server's). Figures are checks per second, best of three runs.

Run ``bash benchmarks/run.sh`` (it runs this after bench.py), or with the
packages installed: ``python benchmarks/bench_helpers.py --port 6379``.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from typing import Any, Callable, Dict, List, Optional

from bench import best_rate, fmt

BIG = 10**9  # a limit no run reaches


def limiter_rows() -> Dict[str, Callable[[Any, str], Any]]:
    from redcore.ratelimit import GCRA, FixedWindow, LeakyBucket, SlidingWindowCounter, SlidingWindowLog, TokenBucket

    return {
        "fixed window": lambda c, k: FixedWindow(c, k, limit=BIG, window=3600),
        "sliding log": lambda c, k: SlidingWindowLog(c, k, limit=BIG, window=3600),
        "sliding counter": lambda c, k: SlidingWindowCounter(c, k, limit=BIG, window=3600),
        "token bucket": lambda c, k: TokenBucket(c, k, rate=BIG, per=3600),
        "leaky bucket": lambda c, k: LeakyBucket(c, k, rate=BIG, per=3600),
        "GCRA": lambda c, k: GCRA(c, k, rate=BIG, per=3600),
    }


def limits_rows(port: int) -> Dict[str, Callable[[], int]]:
    """The ``limits`` library's counterparts, keyed like limiter_rows."""
    try:
        import limits
        from limits import storage, strategies
    except ImportError:
        print("limits not installed: skipping its column", file=sys.stderr)
        return {}
    store = storage.RedisStorage(f"redis://127.0.0.1:{port}")
    item = limits.RateLimitItemPerHour(BIG)
    out: Dict[str, Any] = {}
    for row, cls in (
        ("fixed window", strategies.FixedWindowRateLimiter),
        ("sliding log", strategies.MovingWindowRateLimiter),
        ("sliding counter", strategies.SlidingWindowCounterRateLimiter),
    ):
        out[row] = (cls(store), item)
    return out


def run_checks(hit: Callable[[], Any], n: int) -> float:
    def loop() -> int:
        for _ in range(n):
            hit()
        return n

    return best_rate(loop)


def cache_rate(client: Any, n: int) -> Optional[float]:
    try:
        from redcore.cache import cached
    except ImportError:
        return None
    client.flushall()

    @cached(client, ttl=3600)
    def square(x: int) -> int:
        return x * x

    square(12)  # the miss that fills the entry
    return run_checks(lambda: square(12), n)


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, help="local redis-server port")
    ap.add_argument("-n", type=int, default=20_000, help="checks per run on the embedded engine")
    ap.add_argument("--net-n", type=int, default=5_000, help="checks per run over the network")
    ap.add_argument("--markdown", action="store_true", help="print a markdown table")
    args = ap.parse_args(argv)

    import redcore

    clients: Dict[str, Any] = {"redcore embedded": (redcore.Redis(), args.n)}
    lim_rows: Dict[str, Any] = {}
    if args.port:
        import redis

        hiredis = "hiredis" if redis.utils.HIREDIS_AVAILABLE else "no hiredis"
        clients["redcore client"] = (redcore.Redis(port=args.port, protocol=2), args.net_n)
        clients[f"redis-py ({hiredis})"] = (redis.Redis(port=args.port, protocol=2), args.net_n)
        lim_rows = limits_rows(args.port)
    columns = list(clients) + (["limits 5.8 (redis-py)"] if lim_rows else [])

    table: Dict[str, Dict[str, str]] = {}
    for row, build in limiter_rows().items():
        cells: Dict[str, str] = {}
        for name, (client, n) in clients.items():
            print(f"{row}: {name} ...", file=sys.stderr)
            client.flushall()
            cells[name] = fmt(run_checks(build(client, "bench:{user}").hit, n))
        if lim_rows:
            if row in lim_rows:
                strategy, item = lim_rows[row]
                cells[columns[-1]] = fmt(run_checks(lambda: strategy.hit(item, "user"), args.net_n))
            else:
                cells[columns[-1]] = "-"
        table[f"ratelimit: {row}"] = cells

    cache_cells: Dict[str, str] = {}
    for name, (client, n) in clients.items():
        rate = cache_rate(client, n)
        if rate is None:
            print("redcore.cache missing: skipping the cache row", file=sys.stderr)
            break
        cache_cells[name] = fmt(rate)
    if cache_cells:
        if lim_rows:
            cache_cells[columns[-1]] = "-"
        table["cache: hit (@cached)"] = cache_cells

    sep = " | " if args.markdown else "  "
    lines = [["check"] + columns] + [[row] + [cells.get(c, "-") for c in columns] for row, cells in table.items()]
    widths = [max(len(l[i]) for l in lines) for i in range(len(lines[0]))]
    print(f"\nhelpers: python {platform.python_version()}, {platform.machine()}; checks/s\n")
    for i, l in enumerate(lines):
        cells = [c.ljust(widths[j]) for j, c in enumerate(l)]
        print(("| " + sep.join(cells) + " |") if args.markdown else sep.join(cells))
        if args.markdown and i == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return 0


if __name__ == "__main__":
    sys.exit(main())
