"""Scenario 2: real-time inventory tracking.

Stock per warehouse in a hash per product (``stock:<sku>``, field =
warehouse). Reservations never oversell, even with many concurrent buyers:
the check and the decrement run as one Lua script. When a warehouse's stock
falls to ``threshold`` or below, an alert is published on ``alerts`` and
kept in the ``alerts:log`` list.
"""

import json
from typing import Any, Dict

_RESERVE = """
local left = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local qty = tonumber(ARGV[2])
if left < qty then return -1 end
left = redis.call('HINCRBY', KEYS[1], ARGV[1], -qty)
if left <= tonumber(ARGV[3]) then
  local alert = cjson.encode({sku = ARGV[4], warehouse = ARGV[1], left = left})
  redis.call('RPUSH', KEYS[2], alert)
  redis.call('PUBLISH', 'alerts', alert)
end
return left
"""


def add_stock(r: Any, sku: str, warehouse: str, qty: int) -> int:
    """Receives ``qty`` units; the warehouse's new level."""
    return int(r.hincrby(f"stock:{sku}", warehouse, qty))


def reserve(r: Any, sku: str, warehouse: str, qty: int, threshold: int = 5) -> bool:
    """Takes ``qty`` units if that many are there (atomically); False
    otherwise. Raises a low-stock alert at ``threshold`` or below."""
    script = r.register_script(_RESERVE)
    left = script(keys=[f"stock:{sku}", "alerts:log"], args=[warehouse, qty, threshold, sku])
    return int(left) >= 0


def levels(r: Any, sku: str) -> Dict[str, int]:
    """Stock of ``sku`` per warehouse."""
    return {(w.decode() if isinstance(w, bytes) else w): int(n) for w, n in r.hgetall(f"stock:{sku}").items()}


def total(r: Any, sku: str) -> int:
    """Stock of ``sku`` over all warehouses."""
    return sum(levels(r, sku).values())


def alerts(r: Any) -> list:
    """The low-stock alerts so far, oldest first (dicts)."""
    return [json.loads(a) for a in r.lrange("alerts:log", 0, -1)]
