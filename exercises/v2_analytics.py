"""Version 2: real-time analytics.

Ingest page visits; count views per page in a sorted set (``views``) and
unique visitors in a HyperLogLog per page (``visitors:<page>``) and
overall (``visitors``).
"""

from typing import Any, List, Tuple


def record_visit(r: Any, page: str, user: str) -> None:
    """Counts one view of ``page`` by ``user`` (one round trip)."""
    raise NotImplementedError("v2_analytics.record_visit: write it (see the docstring)")


def top_pages(r: Any, n: int) -> List[Tuple[str, int]]:
    """The ``n`` most viewed pages as ``(page, views)``, most first."""
    raise NotImplementedError("v2_analytics.top_pages: write it (see the docstring)")


def unique_visitors(r: Any, page: str = "") -> int:
    """Distinct visitors of ``page`` (of the whole site when empty)."""
    raise NotImplementedError("v2_analytics.unique_visitors: write it (see the docstring)")
