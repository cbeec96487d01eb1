"""Caching frequent queries (cache-aside) with Redis.

An "expensive query" (a fake database lookup that sleeps) is cached in Redis:

1. by hand, with plain redis-py commands: results are serialized to JSON and
   stored with ``SET key value EX ttl``; a read tries ``GET`` first and only
   runs the query on a miss; an update of the underlying data deletes the
   cached entry (invalidation), so the next read sees fresh data;
2. with redcore's ``@cached`` decorator, which does the same bookkeeping
   and adds tags (invalidate groups of entries) and stampede protection
   (many concurrent misses run the query once).

Run it on the embedded engine, or against a real server:

    python examples/caching.py
    python examples/caching.py --url redis://localhost:6379/0
"""

from __future__ import annotations

import argparse
import json
import threading
import time

import redcore as redis
from redcore.cache import cached, invalidate_tags

# @cached stores binary entries, so this example's client returns bytes.
CLIENT_OPTIONS: dict = {}
PREFIX = "example:caching"
TTL = 60  # seconds a cached result stays fresh

# The "database": products and a counter of how often it was queried.
PRODUCTS = {}
DB_CALLS = {"count": 0}


def reset_database() -> None:
    PRODUCTS.clear()
    PRODUCTS.update({
        1: {"id": 1, "name": "keyboard", "category": "input", "price": 49.0},
        2: {"id": 2, "name": "mouse", "category": "input", "price": 19.5},
        3: {"id": 3, "name": "monitor", "category": "display", "price": 199.0},
    })
    DB_CALLS["count"] = 0


def query_category(category: str) -> list:
    """The slow query we want to avoid repeating."""
    DB_CALLS["count"] += 1
    time.sleep(0.05)  # pretend this is a heavy SQL query
    return sorted((p for p in PRODUCTS.values() if p["category"] == category), key=lambda p: p["id"])


# --- 1. cache-aside by hand -------------------------------------------------


def products_in(r: redis.Redis, category: str) -> list:
    key = f"{PREFIX}:category:{category}"
    raw = r.get(key)  # 1. try the cache
    if raw is not None:
        return json.loads(raw)  # hit: deserialize
    result = query_category(category)  # 2. miss: run the query
    r.set(key, json.dumps(result), ex=TTL)  # 3. store it with a TTL
    return result


def update_price(r: redis.Redis, product_id: int, price: float) -> None:
    """Write to the database first, then invalidate the affected entry."""
    PRODUCTS[product_id]["price"] = price
    r.delete(f"{PREFIX}:category:{PRODUCTS[product_id]['category']}")


def main(r: redis.Redis) -> None:
    for key in r.scan_iter(match=f"*{PREFIX}*"):  # start clean (re-runnable)
        r.delete(key)
    reset_database()

    first = products_in(r, "input")  # miss: queries the database
    again = products_in(r, "input")  # hit: served from Redis
    assert first == again and DB_CALLS["count"] == 1
    assert 0 < r.ttl(f"{PREFIX}:category:input") <= TTL
    print(f"cache-aside: 2 reads, {DB_CALLS['count']} query; entry expires in {r.ttl(f'{PREFIX}:category:input')}s")

    update_price(r, 2, 17.0)  # the data changed: the entry is dropped
    fresh = products_in(r, "input")
    assert [p["price"] for p in fresh] == [49.0, 17.0] and DB_CALLS["count"] == 2
    print("after an update the next read re-queries and sees price", fresh[1]["price"])

    # Entries expire on their own too: here with a 100 ms TTL.
    r.set(f"{PREFIX}:short", json.dumps([1, 2]), px=100)
    time.sleep(0.25)
    assert r.get(f"{PREFIX}:short") is None

    # --- 2. the same with redcore.cache.cached --------------------------------
    reset_database()

    @cached(r, ttl=TTL, namespace=PREFIX, serializer="json", key="product:{product_id}",
            tags=lambda product_id: [f"category:{PRODUCTS[product_id]['category']}"])
    def product(product_id: int) -> dict:
        DB_CALLS["count"] += 1
        time.sleep(0.05)
        return dict(PRODUCTS[product_id])

    # Eight threads miss at once; the stampede lock lets only one query.
    results = []
    threads = [threading.Thread(target=lambda: results.append(product(3))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 8 and all(p["price"] == 199.0 for p in results)
    assert DB_CALLS["count"] == 1, DB_CALLS
    print(f"@cached: 8 concurrent cold reads -> {DB_CALLS['count']} query; key {product.key(3)!r}")

    PRODUCTS[3]["price"] = 179.0
    assert product(3)["price"] == 199.0  # still cached (stale until invalidated)
    assert product.invalidate(3) is True  # invalidate one entry ...
    assert product(3)["price"] == 179.0

    product(1), product(2)  # ... or every entry tagged with a category
    assert invalidate_tags(r, "category:input", namespace=PREFIX) == 2
    calls = DB_CALLS["count"]
    product(1), product(2)
    assert DB_CALLS["count"] == calls + 2
    print("stats:", product.stats())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Cache-aside caching with Redis.")
    parser.add_argument("--url", default="memory://", help="memory:// (embedded) or redis://host:port/db")
    args = parser.parse_args()
    try:
        main(redis.Redis.from_url(args.url, **CLIENT_OPTIONS))
    except redis.ConnectionError as e:
        raise SystemExit(f"cannot reach Redis at {args.url}: {e}")
