"""Real-time analytics on a stream of page views.

A synthetic feed of page-view events (timestamp, visitor, page) is ingested
into Redis, batching the writes of each event in one pipeline:

- unique visitors: a HyperLogLog per minute and one for the whole period
  (``PFADD`` / ``PFCOUNT``; about 12 KB each, ~0.8% error, however many
  visitors there are);
- top pages: a sorted set scored by views (``ZINCRBY`` / ``ZREVRANGE``);
- views per minute: one counter key per minute (``INCR`` + ``EXPIRE``).

Then the same metrics through ``redcore.analytics`` (``Counter``,
``UniqueCounter``, ``TopK``), and a small text dashboard is printed.

    python examples/realtime_analytics.py
    python examples/realtime_analytics.py --url redis://localhost:6379/0
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter as PyCounter

import redcore as redis
from redcore.analytics import Counter, TopK, UniqueCounter

CLIENT_OPTIONS = {"decode_responses": True}
PREFIX = "example:analytics"
PAGES = ["/", "/pricing", "/docs", "/blog", "/signup", "/about"]
WEIGHTS = [40, 15, 20, 12, 8, 5]
MINUTES = 5


def synthetic_events(start: int, n: int = 3000, seed: int = 7) -> list:
    """``n`` page views spread over ``MINUTES`` minutes from ``start``."""
    rng = random.Random(seed)
    events = []
    for i in range(n):
        ts = start + i * (MINUTES * 60) // n
        events.append((ts, f"visitor-{rng.randrange(800)}", rng.choices(PAGES, WEIGHTS)[0]))
    return events


def ingest(r: redis.Redis, events: list) -> None:
    """The raw-command pipeline: a few commands per event, sent in batches."""
    pipe = r.pipeline(transaction=False)
    for i, (ts, visitor, page) in enumerate(events, 1):
        minute = ts // 60 * 60
        pipe.pfadd(f"{PREFIX}:uniques:all", visitor)
        pipe.pfadd(f"{PREFIX}:uniques:{minute}", visitor)
        pipe.zincrby(f"{PREFIX}:pages", 1, page)
        pipe.incr(f"{PREFIX}:views:{minute}")
        pipe.expire(f"{PREFIX}:views:{minute}", 24 * 3600)  # keep a day of counters
        if i % 500 == 0:  # one round trip per 500 events
            pipe.execute()
    pipe.execute()


def main(r: redis.Redis) -> dict:
    for key in r.scan_iter(match=f"*{PREFIX}*"):  # start clean (re-runnable)
        r.delete(key)
    start = int(time.time()) // 60 * 60 - MINUTES * 60  # the last 5 whole minutes
    events = synthetic_events(start)
    exact_visitors = len({v for _, v, _ in events})
    exact_pages = PyCounter(p for _, _, p in events)
    minutes = [start + 60 * m for m in range(MINUTES)]

    # --- raw commands -------------------------------------------------------------
    ingest(r, events)
    uniques = r.pfcount(f"{PREFIX}:uniques:all")
    assert abs(uniques - exact_visitors) <= 0.02 * exact_visitors, (uniques, exact_visitors)
    # PFCOUNT over several keys counts the union: visitors of the first two minutes.
    first_two = len({v for ts, v, _ in events if ts < start + 120})
    assert abs(r.pfcount(*(f"{PREFIX}:uniques:{m}" for m in minutes[:2])) - first_two) <= 0.02 * first_two
    top = r.zrevrange(f"{PREFIX}:pages", 0, 2, withscores=True)
    assert [(p, int(s)) for p, s in top] == exact_pages.most_common(3)
    per_minute = [int(v or 0) for v in r.mget([f"{PREFIX}:views:{m}" for m in minutes])]
    assert sum(per_minute) == len(events)

    # --- the same with redcore.analytics ----------------------------------------------
    views = Counter(r, f"{PREFIX}:h:views", bucket="minute")
    visitors = UniqueCounter(r, f"{PREFIX}:h:visitors", bucket="minute")
    pages = TopK(r, f"{PREFIX}:h:pages", k=3)
    for ts, visitor, page in events:
        views.incr(at=ts)
        visitors.add(visitor, at=ts)
        pages.add(page)
    assert [c for _, c in views.series(minutes[0], minutes[-1])] == per_minute
    raw_union = r.pfcount(*(f"{PREFIX}:uniques:{m}" for m in minutes))
    assert visitors.count(minutes[0], minutes[-1]) == raw_union  # same HLLs, same estimate
    assert pages.top() == top

    # --- dashboard --------------------------------------------------------------------
    print(f"page views: {len(events)}   unique visitors: ~{uniques} (exact {exact_visitors})")
    print("views per minute:")
    for (m, count), (_, distinct) in zip(views.series(minutes[0], minutes[-1]), visitors.series(minutes[0], minutes[-1])):
        bar = "#" * (count // 20)
        print(f"  {time.strftime('%H:%M', time.gmtime(m))} UTC {count:5d} {bar} ({distinct} visitors)")
    print("top pages:")
    for rank, (page, score) in enumerate(pages.top(k=len(PAGES)), 1):
        print(f"  {rank}. {page:10s} {int(score):5d}")
    return {"views": len(events), "uniques": uniques, "top": top}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Real-time analytics with HyperLogLog and sorted sets.")
    parser.add_argument("--url", default="memory://", help="memory:// (embedded) or redis://host:port/db")
    args = parser.parse_args()
    try:
        main(redis.Redis.from_url(args.url, **CLIENT_OPTIONS))
    except redis.ConnectionError as e:
        raise SystemExit(f"cannot reach Redis at {args.url}: {e}")
