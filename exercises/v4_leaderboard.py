"""Version 4: leaderboards and ranking.

Scores in a sorted set ``board``: add points as players play, read the
top N, a player's rank, and pages of the board.
"""

from typing import Any, List, Optional, Tuple


def add_points(r: Any, board: str, player: str, points: float) -> float:
    """Adds ``points`` to ``player``'s score; the new score."""
    raise NotImplementedError("v4_leaderboard.add_points: write it (see the docstring)")


def top(r: Any, board: str, n: int) -> List[Tuple[str, float]]:
    """The ``n`` best players as ``(player, score)``, highest first."""
    raise NotImplementedError("v4_leaderboard.top: write it (see the docstring)")


def rank(r: Any, board: str, player: str) -> Optional[int]:
    """The player's 1-based position (1 = best), None if absent."""
    raise NotImplementedError("v4_leaderboard.rank: write it (see the docstring)")


def page(r: Any, board: str, number: int, size: int = 10) -> List[Tuple[int, str, float]]:
    """Page ``number`` (1-based) of ``size`` entries: ``(position, player,
    score)``."""
    raise NotImplementedError("v4_leaderboard.page: write it (see the docstring)")
