"""redcore's RedisCluster against redis-py's on the same Redis Cluster, in
one run, with the ratios the cluster issue asks for:

- MGET of 1,000 keys spread over every node (``mget_nonatomic``): >= 2x
- a 10,000-command pipeline (SETs over every node): >= 3x
- sequential GET: >= 1.3x

By default the script starts its own 3-master cluster (Debian's
redis-server and redis-cli, loopback ports, removed afterwards); pass
``--port`` to use a running cluster instead. ``bash benchmarks/run.sh``
runs it in release mode with the other benchmarks; ``--quick`` is a smoke
run with small sizes.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any, Callable, Dict, List

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))

TARGETS = {"sequential GET": 1.3, "MGET 1,000 keys": 2.0, "pipeline 10,000": 3.0}


def best_rate(fn: Callable[[], int], repeat: int = 3) -> float:
    """Operations per second of the fastest of ``repeat`` runs."""
    best = 0.0
    for _ in range(repeat):
        t = time.perf_counter()
        n = fn()
        best = max(best, n / (time.perf_counter() - t))
    return best


def bench(client: Any, n_get: int, n_mget: int, mget_size: int, pipe_size: int, n_pipe: int) -> Dict[str, float]:
    keys = [f"bench:{i}" for i in range(max(mget_size, pipe_size, 1000))]
    client.mset_nonatomic({k: b"x" * 32 for k in keys})
    get = client.get
    out: Dict[str, float] = {}

    def gets() -> int:
        for i in range(n_get):
            get(keys[i % 1000])
        return n_get

    def mgets() -> int:
        batch = keys[:mget_size]
        for _ in range(n_mget):
            client.mget_nonatomic(batch)
        return n_mget

    def pipes() -> int:
        batch = keys[:pipe_size]
        for _ in range(n_pipe):
            pipe = client.pipeline(transaction=False)
            for k in batch:
                pipe.set(k, b"y")
            pipe.execute()
        return n_pipe

    out["sequential GET"] = best_rate(gets)
    out["MGET 1,000 keys"] = best_rate(mgets)
    out["pipeline 10,000"] = best_rate(pipes)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, help="a node of a running cluster (default: start one)")
    ap.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = ap.parse_args()

    import redis
    import redis.cluster

    import redcore

    cluster = None
    port = args.port
    if port is None:
        from cluster_support import LocalCluster

        cluster = LocalCluster(masters=3, replicas=0)
        port = cluster.port
    try:
        if args.quick:
            sizes = dict(n_get=2000, n_mget=3, mget_size=1000, pipe_size=1000, n_pipe=2)
        else:
            sizes = dict(n_get=20000, n_mget=100, mget_size=1000, pipe_size=10000, n_pipe=5)
        ours = redcore.RedisCluster(host="127.0.0.1", port=port, protocol=2)
        theirs = redis.cluster.RedisCluster(host="127.0.0.1", port=port, protocol=2)
        rows: List[tuple] = []
        r_ours = bench(ours, **sizes)
        r_theirs = bench(theirs, **sizes)
        for name, target in TARGETS.items():
            ratio = r_ours[name] / r_theirs[name]
            rows.append((name, r_ours[name], r_theirs[name], ratio, target))
        ours.close()
        theirs.close()
    finally:
        if cluster is not None:
            cluster.stop()
    unit = "ops/s (batches/s for MGET and pipeline)"
    if args.markdown:
        print(f"| cluster, {unit} | redcore | redis-py | ratio | target |")
        print("|---|---:|---:|---:|---:|")
        for name, a, b, ratio, target in rows:
            print(f"| {name} | {a:,.0f} | {b:,.0f} | {ratio:.2f}x | >= {target}x |")
    else:
        print(f"RedisCluster, {unit}")
        for name, a, b, ratio, target in rows:
            flag = "ok" if ratio >= target else "BELOW TARGET"
            print(f"{name:18} redcore {a:12,.1f}  redis-py {b:12,.1f}  {ratio:5.2f}x (target {target}x) {flag}")


if __name__ == "__main__":
    main()
