"""Version 2: real-time analytics.

Ingest page visits; count views per page in a sorted set (``views``) and
unique visitors in a HyperLogLog per page (``visitors:<page>``) and
overall (``visitors``).
"""

from typing import Any, List, Tuple


def record_visit(r: Any, page: str, user: str) -> None:
    """Counts one view of ``page`` by ``user`` (one round trip)."""
    with r.pipeline() as pipe:
        pipe.zincrby("views", 1, page)
        pipe.pfadd(f"visitors:{page}", user)
        pipe.pfadd("visitors", user)
        pipe.execute()


def top_pages(r: Any, n: int) -> List[Tuple[str, int]]:
    """The ``n`` most viewed pages as ``(page, views)``, most first."""
    return [(p.decode() if isinstance(p, bytes) else p, int(s)) for p, s in r.zrevrange("views", 0, n - 1, withscores=True)]


def unique_visitors(r: Any, page: str = "") -> int:
    """Distinct visitors of ``page`` (of the whole site when empty)."""
    return int(r.pfcount(f"visitors:{page}" if page else "visitors"))
