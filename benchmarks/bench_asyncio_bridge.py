"""What a thread-hop future bridge costs per awaited call, next to
redcore.asyncio's loop-integrated connection: sequential GETs.

The bridge stands in for pyo3-async-runtimes + tokio, where the I/O runs
on a runtime thread and the result comes back to the loop through
``call_soon_threadsafe``: here a Python thread does the socket I/O for
each request and completes the future the same way. (The stand-in holds
the GIL while parsing, which a tokio thread would not; the hop itself,
a cross-thread wake-up of the loop per call, is the same.) redcore.asyncio
instead writes from the loop's own callback and parses replies in Rust
inside ``data_received``: no thread, no wake-up.

    python benchmarks/bench_asyncio_bridge.py --port 6379
"""

from __future__ import annotations

import argparse
import asyncio
import queue
import socket
import threading
import time
from typing import Any, List, Optional

GET = b"*2\r\n$3\r\nGET\r\n$12\r\nbridge:key:0\r\n"


def _io_thread(requests: "queue.SimpleQueue[Any]", sock: socket.socket, loop: asyncio.AbstractEventLoop) -> None:
    reader = sock.makefile("rb")
    while True:
        item = requests.get()
        if item is None:
            return
        fut, payload = item
        sock.sendall(payload)
        line = reader.readline()
        data = reader.read(int(line[1:]) + 2)[:-2] if line.startswith(b"$") and line != b"$-1\r\n" else None
        loop.call_soon_threadsafe(fut.set_result, data)


async def bridged(port: int, n: int) -> float:
    loop = asyncio.get_running_loop()
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    requests: "queue.SimpleQueue[Any]" = queue.SimpleQueue()
    threading.Thread(target=_io_thread, args=(requests, sock, loop), daemon=True).start()
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(n):
            fut = loop.create_future()
            requests.put((fut, GET))
            await fut
        best = min(best, (time.perf_counter() - start) / n)
    requests.put(None)
    return best


async def integrated(port: int, n: int) -> float:
    import redcore.asyncio

    r = redcore.asyncio.Redis(port=port)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(n):
            await r.get("bridge:key:0")
        best = min(best, (time.perf_counter() - start) / n)
    await r.aclose()
    return best


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("-n", type=int, default=5000)
    args, _ = ap.parse_known_args(argv)
    hop = asyncio.run(bridged(args.port, args.n))
    direct = asyncio.run(integrated(args.port, args.n))
    print(f"thread-hop bridge: {hop * 1e6:.1f} us per awaited GET")
    print(f"loop-integrated:   {direct * 1e6:.1f} us per awaited GET ({hop / direct:.1f}x faster)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
