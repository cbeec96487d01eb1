"""RDB SAVE and start-up load: redcore's embedded engine against
redis-server, for 1,000,000 small string keys (``key:N`` -> ``value:N``,
made by DEBUG POPULATE on both sides).

SAVE is timed as the command's round trip. Load is the time from opening
the directory (``Redis(dir=...)``) / starting ``redis-server --dir ...``
until the data is served, minus the same start on an empty directory (so
process start-up is not counted as loading). Prints seconds and the
redcore / redis-server ratio (below 1: redcore faster).

Run by ``bash benchmarks/run.sh`` (release build), or on its own:
``python benchmarks/bench_rdb.py [--keys N] [--markdown]``.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import subprocess
import tempfile
import time
from typing import Any, Callable, List, Tuple

import redcore
from redcore._localhost import free_port


class Server:
    """A redis-server on ``dir``, started and waited for."""

    def __init__(self, directory: str) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", directory, "--enable-debug-command", "yes"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        self.client = redcore.Redis(port=self.port, protocol=2)
        deadline = time.time() + 120
        while True:
            try:
                if self.client.ping() and not int(self.client.info("persistence")["loading"]):
                    return
            except redcore.exceptions.ConnectionError:
                pass
            except redcore.exceptions.BusyLoadingError:
                pass
            if time.time() > deadline or self.proc.poll() is not None:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.002)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


def timed(fn: Callable[[], Any]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def best(fn: Callable[[], float], repeat: int) -> float:
    return min(fn() for _ in range(repeat))


def redcore_side(keys: int, repeat: int) -> Tuple[float, float]:
    work = tempfile.mkdtemp(prefix="bench-rdb-redcore-")
    empty = tempfile.mkdtemp(prefix="bench-rdb-empty-")
    try:
        r = redcore.Redis(dir=work, config={"enable-debug-command": "yes"})
        r.execute_command("DEBUG", "POPULATE", keys)
        save = best(lambda: timed(r.save), repeat)
        r.close()
        del r
        gc.collect()

        def open_on(d: str, expect: int) -> float:
            gc.collect()
            t = time.perf_counter()
            c = redcore.Redis(dir=d)
            n = c.dbsize()
            dt = time.perf_counter() - t
            assert n == expect, (n, expect)
            redcore._redcore.forget_engine(c.connection_pool.name)
            c.close()
            return dt

        base = best(lambda: open_on(empty, 0), repeat)
        load = best(lambda: open_on(work, keys), repeat) - base
        return save, load
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(empty, ignore_errors=True)


def server_side(keys: int, repeat: int) -> Tuple[float, float]:
    work = tempfile.mkdtemp(prefix="bench-rdb-server-")
    empty = tempfile.mkdtemp(prefix="bench-rdb-empty-")
    try:
        s = Server(work)
        s.client.execute_command("DEBUG", "POPULATE", keys)
        save = best(lambda: timed(s.client.save), repeat)
        s.stop()

        def start_on(d: str, expect: int) -> float:
            t = time.perf_counter()
            srv = Server(d)
            dt = time.perf_counter() - t
            n = srv.client.dbsize()
            srv.stop()
            assert n == expect, (n, expect)
            return dt

        base = best(lambda: start_on(empty, 0), repeat)
        load = best(lambda: start_on(work, keys), repeat) - base
        return save, load
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(empty, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--port", help="ignored (run.sh passes it to every script)")
    args = ap.parse_args()
    rc_save, rc_load = redcore_side(args.keys, args.repeat)
    rs_save, rs_load = server_side(args.keys, args.repeat)
    rows: List[Tuple[str, float, float]] = [
        (f"SAVE ({args.keys:,} keys)", rc_save, rs_save),
        (f"start-up load ({args.keys:,} keys)", rc_load, rs_load),
    ]
    if args.markdown:
        print("| RDB | redcore (s) | redis-server (s) | ratio |")
        print("|---|---:|---:|---:|")
        for name, a, b in rows:
            print(f"| {name} | {a:.3f} | {b:.3f} | {a / b:.2f}x |")
    else:
        print(f"{'RDB':<32} {'redcore s':>10} {'redis s':>10} {'ratio':>7}")
        for name, a, b in rows:
            print(f"{name:<32} {a:>10.3f} {b:>10.3f} {a / b:>6.2f}x")
    print(f"(ratio = redcore / redis-server; below 1 means redcore is faster; pid {os.getpid()})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
