"""Real-time inventory tracking across warehouses (scenario 2).

Data model:

- ``example:inventory:stock:<warehouse>``: a hash, SKU -> units on hand
  (``HGETALL`` lists a warehouse, ``HGET`` per warehouse totals a SKU);
- ``example:inventory:thresholds``: a hash, SKU -> low-stock threshold;
- ``example:inventory:low``: a set of ``<warehouse>:<sku>`` currently low;
- ``example:inventory:alerts``: the pub/sub channel low-stock alerts go to.

Selling must never oversell, even with many concurrent buyers. Two ways:

1. optimistic locking: ``WATCH`` the warehouse hash, read the stock, and
   decrement in ``MULTI``/``EXEC``; if another client changed the hash in
   between, EXEC fails and ``r.transaction`` retries;
2. a Lua script: check, decrement and alert in one atomic server-side step.

Either way the alert is published in the same atomic step as the
decrement that crosses the threshold, so it is sent exactly once.

    python examples/inventory.py
    python examples/inventory.py --url redis://localhost:6379/0
"""

from __future__ import annotations

import argparse
import json
import threading
import time

import redcore as redis

CLIENT_OPTIONS = {"decode_responses": True}
PREFIX = "example:inventory"
THRESHOLDS, LOW, ALERTS = f"{PREFIX}:thresholds", f"{PREFIX}:low", f"{PREFIX}:alerts"

# KEYS: stock hash, thresholds, low set. ARGV: sku, qty, warehouse, channel.
RESERVE_LUA = """
local available = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local qty = tonumber(ARGV[2])
if available < qty then return -1 end
local left = redis.call('HINCRBY', KEYS[1], ARGV[1], -qty)
local threshold = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if available >= threshold and left < threshold then
    redis.call('SADD', KEYS[3], ARGV[3] .. ':' .. ARGV[1])
    redis.call('PUBLISH', ARGV[4], cjson.encode({warehouse = ARGV[3], sku = ARGV[1], left = left}))
end
return left
"""


def stock_key(warehouse: str) -> str:
    return f"{PREFIX}:stock:{warehouse}"


def reserve_watch(r: redis.Redis, warehouse: str, sku: str, qty: int) -> bool:
    """Takes ``qty`` units if available (WATCH/MULTI/EXEC); True on success."""
    key = stock_key(warehouse)

    def attempt(pipe) -> bool:  # runs with ``key`` WATCHed; retried on conflict
        available = int(pipe.hget(key, sku) or 0)
        threshold = int(pipe.hget(THRESHOLDS, sku) or 0)
        if available < qty:
            return False
        pipe.multi()
        pipe.hincrby(key, sku, -qty)
        if available >= threshold > available - qty:  # this sale crosses it
            pipe.sadd(LOW, f"{warehouse}:{sku}")
            pipe.publish(ALERTS, json.dumps({"warehouse": warehouse, "sku": sku, "left": available - qty}))
        return True

    return r.transaction(attempt, key, value_from_callable=True)


def restock(r: redis.Redis, warehouse: str, sku: str, qty: int) -> int:
    left = r.hincrby(stock_key(warehouse), sku, qty)
    if left >= int(r.hget(THRESHOLDS, sku) or 0):
        r.srem(LOW, f"{warehouse}:{sku}")
    return left


def total_stock(r: redis.Redis, sku: str, warehouses) -> int:
    pipe = r.pipeline(transaction=False)  # one round trip for all warehouses
    for w in warehouses:
        pipe.hget(stock_key(w), sku)
    return sum(int(n or 0) for n in pipe.execute())


def buyers(n: int, attempts: int, buy) -> int:
    """``n`` threads each trying ``attempts`` purchases; returns successes."""
    sold = []

    def shop() -> None:
        sold.extend(1 for _ in range(attempts) if buy())

    threads = [threading.Thread(target=shop) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(sold)


def main(r: redis.Redis) -> None:
    for key in r.scan_iter(match=f"*{PREFIX}*"):  # start clean (re-runnable)
        r.delete(key)
    warehouses = ["berlin", "paris"]
    r.hset(stock_key("berlin"), mapping={"widget": 50, "gadget": 12})
    r.hset(stock_key("paris"), mapping={"widget": 20, "gadget": 30})
    r.hset(THRESHOLDS, mapping={"widget": 10, "gadget": 5})

    alerts = []
    p = r.pubsub(ignore_subscribe_messages=True)
    p.subscribe(**{ALERTS: lambda m: alerts.append(json.loads(m["data"]))})
    listener = p.run_in_thread(sleep_time=0.01, daemon=True)
    try:
        deadline = time.monotonic() + 5
        while r.pubsub_numsub(ALERTS)[0][1] < 1 and time.monotonic() < deadline:
            time.sleep(0.005)  # wait until the subscription is registered

        # 8 buyers x 10 attempts for 50 widgets in Berlin, with WATCH.
        sold = buyers(8, 10, lambda: reserve_watch(r, "berlin", "widget", 1))
        assert sold == 50 and r.hget(stock_key("berlin"), "widget") == "0", sold
        # 8 buyers x 10 attempts for 30 gadgets in Paris, with the Lua script.
        reserve = r.register_script(RESERVE_LUA)
        keys = [stock_key("paris"), THRESHOLDS, LOW]
        sold = buyers(8, 10, lambda: reserve(keys=keys, args=["gadget", 1, "paris", ALERTS]) >= 0)
        assert sold == 30 and r.hget(stock_key("paris"), "gadget") == "0", sold
        assert r.smembers(LOW) == {"berlin:widget", "paris:gadget"}

        # Restocking clears the low flag; a big order crosses the threshold again.
        assert restock(r, "berlin", "widget", 40) == 40 and r.smembers(LOW) == {"paris:gadget"}
        assert reserve_watch(r, "berlin", "widget", 35) and not reserve_watch(r, "berlin", "widget", 6)
        deadline = time.monotonic() + 5
        while len(alerts) < 3 and time.monotonic() < deadline:
            time.sleep(0.005)
    finally:
        listener.stop()
        listener.join(timeout=2)
    assert not listener.is_alive()

    # Exactly one alert per threshold crossing, none for sales that did not cross.
    assert sorted((a["warehouse"], a["sku"], a["left"]) for a in alerts) == [
        ("berlin", "widget", 5), ("berlin", "widget", 9), ("paris", "gadget", 4)
    ], alerts
    assert total_stock(r, "widget", warehouses) == 25 and total_stock(r, "gadget", warehouses) == 12
    for w in warehouses:
        print(f"{w:7s}", dict(sorted(r.hgetall(stock_key(w)).items())))
    print("low stock:", sorted(r.smembers(LOW)), "| alerts:", alerts)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Inventory tracking with atomic updates and alerts.")
    parser.add_argument("--url", default="memory://", help="memory:// (embedded) or redis://host:port/db")
    args = parser.parse_args()
    try:
        main(redis.Redis.from_url(args.url, **CLIENT_OPTIONS))
    except redis.ConnectionError as e:
        raise SystemExit(f"cannot reach Redis at {args.url}: {e}")
