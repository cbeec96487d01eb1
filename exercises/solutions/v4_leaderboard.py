"""Version 4: leaderboards and ranking.

Scores in a sorted set ``board``: add points as players play, read the
top N, a player's rank, and pages of the board.
"""

from typing import Any, List, Optional, Tuple


def _s(v: Any) -> str:
    return v.decode() if isinstance(v, bytes) else v


def add_points(r: Any, board: str, player: str, points: float) -> float:
    """Adds ``points`` to ``player``'s score; the new score."""
    return float(r.zincrby(board, points, player))


def top(r: Any, board: str, n: int) -> List[Tuple[str, float]]:
    """The ``n`` best players as ``(player, score)``, highest first."""
    return [(_s(p), s) for p, s in r.zrevrange(board, 0, n - 1, withscores=True)]


def rank(r: Any, board: str, player: str) -> Optional[int]:
    """The player's 1-based position (1 = best), None if absent."""
    pos = r.zrevrank(board, player)
    return None if pos is None else pos + 1


def page(r: Any, board: str, number: int, size: int = 10) -> List[Tuple[int, str, float]]:
    """Page ``number`` (1-based) of ``size`` entries: ``(position, player,
    score)``."""
    start = (number - 1) * size
    rows = r.zrevrange(board, start, start + size - 1, withscores=True)
    return [(start + i + 1, _s(p), s) for i, (p, s) in enumerate(rows)]
