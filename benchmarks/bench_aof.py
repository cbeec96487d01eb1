"""SET throughput of the embedded engine with the AOF off, ``appendfsync
everysec`` and ``appendfsync always`` (issue 10's target: everysec within
20% of off; always reported).

Each mode gets a fresh directory and engine; ``n`` SETs of small keys
(``key:N`` -> ``value:N``) are timed, best of ``--repeat`` runs.

    python benchmarks/bench_aof.py [-n 200000] [--always-n 5000] [--markdown]
"""

from __future__ import annotations

import argparse
import gc
import shutil
import sys
import tempfile
import time
from typing import Dict, List, Optional

import redcore


def _one_run(mode: str, n: int) -> float:
    path = tempfile.mkdtemp(prefix="redcore-bench-aof-")
    try:
        config: Dict[str, str] = {"dir": path}
        if mode != "off":
            config.update(appendonly="yes", appendfsync=mode)
        r = redcore.Redis(config=config)
        set_ = r.set
        start = time.perf_counter()
        for i in range(n):
            set_(f"key:{i}", f"value:{i}")
        elapsed = time.perf_counter() - start
        if mode != "off":
            r.config_set("appendonly", "no")
        del r, set_
        gc.collect()
        return n / elapsed
    finally:
        shutil.rmtree(path, ignore_errors=True)


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, help="ignored (run.sh passes it to every script)")
    ap.add_argument("-n", type=int, default=200_000, help="SETs per run (off, everysec)")
    ap.add_argument("--always-n", type=int, default=5_000, help="SETs per run with always")
    ap.add_argument("--repeat", type=int, default=3, help="runs per mode (best is kept)")
    ap.add_argument("--markdown", action="store_true", help="print a markdown table")
    args = ap.parse_args(argv)
    rates = {}
    for mode in ("off", "everysec", "always"):
        n = args.always_n if mode == "always" else args.n
        rates[mode] = max(_one_run(mode, n) for _ in range(args.repeat))
    rows = [("appendonly", "SET ops/s", "vs off")]
    for mode, rate in rates.items():
        rows.append((mode, f"{rate:,.0f}", f"{rate / rates['off']:.0%}"))
    sep = " | " if args.markdown else "  "
    for i, cells in enumerate(rows):
        print(("| " + sep.join(cells) + " |") if args.markdown else sep.join(f"{c:>12}" for c in cells))
        if args.markdown and i == 0:
            print("|" + "---|" * len(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
