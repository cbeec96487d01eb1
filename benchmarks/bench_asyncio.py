"""Benchmark redcore.asyncio against redis.asyncio (+hiredis when
installed) on one redis-server, fakeredis's ``FakeAsyncRedis``, and
redcore's own embedded sync call, in one run; print ratios.

Rows (issue 12):

- sequential awaited GET (network): redcore vs redis.asyncio (>= 1.3x);
- 1,000 concurrent GETs via ``asyncio.gather`` (>= 3x);
- 100 tasks x 1,000 SETs (>= 3x; ``--quick`` makes it 100 x 100);
- one 10,000-command pipeline (>= 5x);
- embedded awaited GET vs ``FakeAsyncRedis`` (>= 100x) and vs the embedded
  sync call (within 3x).

redis.asyncio runs with a pool of up to 1,000 connections (it needs one
per concurrently waiting task; its default of 100 raises
MaxConnectionsError in the 1,000-task row); the best of three runs lets
it reuse them. Figures are operations per second, best
of three runs.

Run ``bash benchmarks/run.sh`` (it runs this after bench.py), or with the
packages installed: ``python benchmarks/bench_asyncio.py --port 6379``.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import sys
import time
from typing import Any, Awaitable, Callable, Dict, List, Optional

from bench import fmt

VALUE = b"x" * 32


async def best_rate(fn: Callable[[], Awaitable[int]], repeat: int = 3) -> float:
    """Ops per second of the fastest of ``repeat`` runs (fn returns its op count)."""
    best = 0.0
    for _ in range(repeat):
        t = time.perf_counter()
        n = await fn()
        best = max(best, n / (time.perf_counter() - t))
    return best


def sync_rate(fn: Callable[[], int], repeat: int = 3) -> float:
    best = 0.0
    for _ in range(repeat):
        t = time.perf_counter()
        n = fn()
        best = max(best, n / (time.perf_counter() - t))
    return best


async def seq_get(r: Any, n: int) -> int:
    get = r.get
    for _ in range(n):
        await get("bench:k")
    return n


async def gather_get(r: Any, n: int) -> int:
    await asyncio.gather(*(r.get("bench:k") for _ in range(n)))
    return n


async def tasks_set(r: Any, tasks: int, each: int) -> int:
    async def one(t: int) -> None:
        key = f"bench:t{t}"
        for _ in range(each):
            await r.set(key, VALUE)

    await asyncio.gather(*(one(t) for t in range(tasks)))
    return tasks * each


async def pipeline(r: Any, n: int) -> int:
    async with r.pipeline(transaction=False) as p:
        for i in range(n):
            p.set(f"bench:p{i % 100}", VALUE)
        await p.execute()
    return n


async def network_rows(port: int, scale: Dict[str, int]) -> List[List[Any]]:
    import redis.asyncio as ra

    import redcore.asyncio as rca

    ours = rca.Redis(port=port)
    # redis.asyncio needs a connection per concurrently waiting task; its
    # default pool stops at 100, so it gets room for the 1,000-task rows.
    theirs = ra.Redis(port=port, max_connections=1000)
    await ours.set("bench:k", VALUE)
    rows = []
    cases = [
        ("sequential GET", lambda r: seq_get(r, scale["seq"]), 1.3),
        ("1,000 concurrent GETs (gather)", lambda r: gather_get(r, 1000), 3.0),
        (f"100 tasks x {scale['each']} SETs", lambda r: tasks_set(r, 100, scale["each"]), 3.0),
        (f"{scale['pipe']:,}-command pipeline", lambda r: pipeline(r, scale["pipe"]), 5.0),
    ]
    for name, case, target in cases:
        a = await best_rate(lambda: case(ours))
        b = await best_rate(lambda: case(theirs))
        rows.append([name, fmt(a), fmt(b), f"{a / b:.1f}x", f">= {target}x"])
    await ours.aclose()
    await theirs.aclose()
    return rows


async def embedded_rows(scale: Dict[str, int]) -> List[List[Any]]:
    import redcore
    import redcore.asyncio as rca

    ours = rca.Redis()
    await ours.set("bench:k", VALUE)
    a = await best_rate(lambda: seq_get(ours, scale["emb"]))
    sync = redcore.Redis()
    sync.set("bench:k", VALUE)

    def sync_get() -> int:
        get = sync.get
        for _ in range(scale["emb"]):
            get("bench:k")
        return scale["emb"]

    s = sync_rate(sync_get)
    rows = [["embedded awaited GET vs embedded sync GET", fmt(a), fmt(s), f"{a / s:.2f}x", ">= 0.33x"]]
    try:
        from fakeredis import FakeAsyncRedis
    except ImportError:
        rows.append(["embedded awaited GET vs FakeAsyncRedis", fmt(a), "not installed", "-", ">= 100x"])
    else:
        fake = FakeAsyncRedis()
        await fake.set("bench:k", VALUE)
        f = await best_rate(lambda: seq_get(fake, max(100, scale["emb"] // 50)))
        rows.append(["embedded awaited GET vs FakeAsyncRedis", fmt(a), fmt(f), f"{a / f:.0f}x", ">= 100x"])
    return rows


def table(rows: List[List[Any]], markdown: bool) -> str:
    head = ["row", "redcore.asyncio", "baseline", "ratio", "target"]
    if markdown:
        out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
        return "\n".join(out)
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(r, widths)) for r in [head, *rows])


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True, help="a redis-server on 127.0.0.1")
    ap.add_argument("--quick", action="store_true", help="small counts (a smoke run)")
    ap.add_argument("--markdown", action="store_true")
    args, _ = ap.parse_known_args(argv)  # run.sh passes every script the same flags
    scale = (
        {"seq": 200, "each": 20, "pipe": 1000, "emb": 2000}
        if args.quick
        else {"seq": 20000, "each": 1000, "pipe": 10000, "emb": 200000}
    )
    try:
        import hiredis  # noqa: F401

        parser = "hiredis"
    except ImportError:
        parser = "pure-Python parser (hiredis not installed)"
    print(f"# redcore.asyncio vs redis.asyncio ({parser}), Python {platform.python_version()}")
    rows = asyncio.run(network_rows(args.port, scale))
    rows += asyncio.run(embedded_rows(scale))
    print(table(rows, args.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
