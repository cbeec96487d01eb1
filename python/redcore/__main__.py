"""``python -m redcore``: a guided tour of the embedded engine.

    python -m redcore tour      # strings, TTLs, lists, hashes, sets, a leaderboard
    python -m redcore cli [URL] # a redis-cli-like prompt (redcore._cli_repl)
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import List, Optional


def tour() -> int:
    """Runs the Redis tutorial's first steps on the embedded engine."""
    import redcore

    r = redcore.Redis(decode_responses=True)

    def show(label: str, value: object) -> None:
        print(f"  {label:<44} -> {value!r}")

    print(f"redcore {redcore.__version__}: embedded engine, no server needed\n")

    print("Strings and counters")
    show("SET greeting 'hello'", r.set("greeting", "hello"))
    show("GET greeting", r.get("greeting"))
    show("INCR page:views (x3)", [r.incr("page:views") for _ in range(3)][-1])
    show("INCRBY page:views 10", r.incrby("page:views", 10))

    print("\nExpiring keys (TTL)")
    show("SET session:42 'alice' EX 60", r.set("session:42", "alice", ex=60))
    show("TTL session:42", r.ttl("session:42"))
    show("SET otp '123456' PX 100", r.set("otp", "123456", px=100))
    time.sleep(0.15)
    show("GET otp (after 150 ms)", r.get("otp"))

    print("\nLists: a job queue")
    show("RPUSH jobs email resize report", r.rpush("jobs", "email", "resize", "report"))
    show("LRANGE jobs 0 -1", r.lrange("jobs", 0, -1))
    show("LPOP jobs", r.lpop("jobs"))
    show("LLEN jobs", r.llen("jobs"))

    print("\nHashes: a user profile")
    show("HSET user:1 name/city/visits", r.hset("user:1", mapping={"name": "Ada", "city": "London", "visits": 1}))
    show("HINCRBY user:1 visits 1", r.hincrby("user:1", "visits", 1))
    show("HGET user:1 city", r.hget("user:1", "city"))
    show("HGETALL user:1", r.hgetall("user:1"))

    print("\nSets: tags")
    show("SADD post:1:tags redis python rust", r.sadd("post:1:tags", "redis", "python", "rust"))
    show("SISMEMBER post:1:tags python", r.sismember("post:1:tags", "python"))
    show("SMEMBERS post:1:tags", sorted(r.smembers("post:1:tags")))

    print("\nSorted sets: a leaderboard")
    show("ZADD scores ada:30 bob:10 cy:20", r.zadd("scores", {"ada": 30, "bob": 10, "cy": 20}))
    show("ZINCRBY scores 25 bob", r.zincrby("scores", 25, "bob"))
    show("ZREVRANGE scores 0 2 WITHSCORES", r.zrevrange("scores", 0, 2, withscores=True))
    show("ZREVRANK scores ada (0 = top)", r.zrevrank("scores", "ada"))
    show("ZSCORE scores cy", r.zscore("scores", "cy"))

    print("\nPipelines and transactions")
    with r.pipeline() as pipe:
        show("MULTI INCR a; INCR a; GET a EXEC", pipe.incr("a").incr("a").get("a").execute())
    print("\nDone. Same code runs against a real server with redcore.Redis(host=..., port=...).")
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m redcore", description="redcore command line")
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("tour", help="a short tour of the embedded engine")
    from . import _cli_repl

    _cli_repl.add_parser(sub)
    args = ap.parse_args(argv)
    if args.command == "tour":
        return tour()
    if args.command == "cli":
        return _cli_repl.run(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
