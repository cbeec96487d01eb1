"""Scenario 2: real-time inventory tracking.

Stock per warehouse in a hash per product (``stock:<sku>``, field =
warehouse). Reservations never oversell, even with many concurrent buyers:
the check and the decrement run as one Lua script. When a warehouse's stock
falls to ``threshold`` or below, an alert is published on ``alerts`` and
kept in the ``alerts:log`` list.
"""

import json
from typing import Any, Dict


def add_stock(r: Any, sku: str, warehouse: str, qty: int) -> int:
    """Receives ``qty`` units; the warehouse's new level."""
    raise NotImplementedError("s2_inventory.add_stock: write it (see the docstring)")


def reserve(r: Any, sku: str, warehouse: str, qty: int, threshold: int = 5) -> bool:
    """Takes ``qty`` units if that many are there (atomically); False
    otherwise. Raises a low-stock alert at ``threshold`` or below."""
    raise NotImplementedError("s2_inventory.reserve: write it (see the docstring)")


def levels(r: Any, sku: str) -> Dict[str, int]:
    """Stock of ``sku`` per warehouse."""
    raise NotImplementedError("s2_inventory.levels: write it (see the docstring)")


def total(r: Any, sku: str) -> int:
    """Stock of ``sku`` over all warehouses."""
    raise NotImplementedError("s2_inventory.total: write it (see the docstring)")


def alerts(r: Any) -> list:
    """The low-stock alerts so far, oldest first (dicts)."""
    raise NotImplementedError("s2_inventory.alerts: write it (see the docstring)")
