"""Leaderboards and rankings with sorted sets.

A sorted set keeps members ordered by score, so every leaderboard query is
one command: ``ZADD``/``ZINCRBY`` update a player's score in real time,
``ZREVRANGE`` reads the top N or any rank range (pagination),
``ZREVRANK``/``ZSCORE`` give a player's standing, ``ZREVRANGEBYSCORE``
and ``ZCOUNT`` query by score. A page many people read is cached for a few
seconds and dropped whenever a score changes.

``redcore.leaderboard.Leaderboard`` adds what raw sorted sets lack: ties
broken by who reached the score first (a plain sorted set orders equal
scores by member name), a "keep the best score" policy, neighbours of a
player, and version-checked cached pages.

    python examples/leaderboard.py
    python examples/leaderboard.py --url redis://localhost:6379/0
"""

from __future__ import annotations

import argparse
import json

import redcore as redis
from redcore.leaderboard import Leaderboard

CLIENT_OPTIONS = {"decode_responses": True}
PREFIX = "example:leaderboard"
BOARD = f"{PREFIX}:scores"
PAGE_SIZE = 5
QUERIES = {"count": 0}  # how often a page was read from the sorted set


def page(r: redis.Redis, number: int) -> list:
    """Page ``number`` (1-based): ``[(position, player, score), ...]``."""
    QUERIES["count"] += 1
    first = (number - 1) * PAGE_SIZE
    rows = r.zrevrange(BOARD, first, first + PAGE_SIZE - 1, withscores=True)
    return [(first + i + 1, player, int(score)) for i, (player, score) in enumerate(rows)]


def cached_page(r: redis.Redis, number: int) -> list:
    """``page`` through a short-lived cache entry (cache-aside)."""
    key = f"{PREFIX}:cache:page:{number}"
    hit = r.get(key)
    if hit is not None:
        return [tuple(row) for row in json.loads(hit)]
    rows = page(r, number)
    r.set(key, json.dumps(rows), ex=5)
    return rows


def add_points(r: redis.Redis, player: str, points: int) -> float:
    """A game event: bump the score and drop cached pages, atomically."""
    pipe = r.pipeline()  # MULTI/EXEC
    pipe.zincrby(BOARD, points, player)
    pipe.delete(*(f"{PREFIX}:cache:page:{n}" for n in range(1, 11)))
    return pipe.execute()[0]


def main(r: redis.Redis) -> None:
    for key in r.scan_iter(match=f"*{PREFIX}*"):  # start clean (re-runnable)
        r.delete(key)
    QUERIES["count"] = 0
    # 25 players with distinct scores 0..1000.
    r.zadd(BOARD, {f"player{i:02d}": (i * 37) % 101 * 10 for i in range(25)})
    assert r.zcard(BOARD) == 25

    top5 = r.zrevrange(BOARD, 0, 4, withscores=True)
    print("top 5:", ", ".join(f"{p} {int(s)}" for p, s in top5))
    assert [int(s) for _, s in top5] == sorted((int(s) for _, s in r.zrange(BOARD, 0, -1, withscores=True)), reverse=True)[:5]

    # Real-time updates: the last player jumps to first place.
    last = r.zrange(BOARD, 0, 0)[0]
    assert r.zrevrank(BOARD, last) == 24
    new_score = add_points(r, last, int(top5[0][1]) + 5)
    assert r.zrevrank(BOARD, last) == 0 and r.zscore(BOARD, last) == new_score
    print(f"{last} scored {new_score:.0f} and is now #{r.zrevrank(BOARD, last) + 1}")

    # Rank ranges and pagination.
    ranks_11_to_15 = r.zrevrange(BOARD, 10, 14)
    pages = [page(r, n) for n in range(1, 6)]
    assert [player for _, player, _ in pages[2]] == ranks_11_to_15
    everyone = [row for p in pages for row in p]
    assert [pos for pos, _, _ in everyone] == list(range(1, 26))
    assert [player for _, player, _ in everyone] == r.zrevrange(BOARD, 0, -1)
    assert page(r, 6) == []  # past the end
    # Score queries: everyone with 500..800 points, and how many there are.
    band = r.zrevrangebyscore(BOARD, 800, 500, withscores=True)
    assert len(band) == r.zcount(BOARD, 500, 800) and all(500 <= s <= 800 for _, s in band)

    # Cached pages: repeated reads hit Redis's copy until a score changes.
    QUERIES["count"] = 0
    first = cached_page(r, 1)
    assert cached_page(r, 1) == first and QUERIES["count"] == 1
    add_points(r, first[-1][1], 1000)  # #5 overtakes everyone
    assert cached_page(r, 1)[0][1] == first[-1][1] and QUERIES["count"] == 2
    print("page 1 (cached):", first)

    # --- redcore.leaderboard -------------------------------------------------------
    board = Leaderboard(r, f"{PREFIX}:arcade", policy="best")
    for player, score in [("ada", 300), ("bob", 500), ("cy", 300), ("dee", 450), ("eve", 120)]:
        board.submit(player, score)
    assert board.submit("bob", 200) is False  # not an improvement: kept 500
    assert board.submit("eve", 460) is True
    # ada and cy tie on 300: ada got there first, so ada ranks higher
    # (a plain sorted set would put "cy" first: ties go by member name).
    assert [(e.member, e.score) for e in board.top(3)] == [("bob", 500.0), ("eve", 460.0), ("dee", 450.0)]
    assert [e.member for e in board.page(2, per_page=3)] == ["ada", "cy"]
    assert [e.member for e in board.around("ada", 1)] == ["dee", "ada", "cy"]
    assert board.position("cy") == 5 and board.rank("bob") == 0
    board.increment("cy", 200)  # 500, reached after bob's 500
    assert [e.member for e in board.cached_top(2)] == ["bob", "cy"]
    assert board.cached_top(2) == board.top(2)
    for e in board.top(5):
        print(f"  {e.position}. {e.member:4s} {e.score:6.0f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Leaderboards with Redis sorted sets.")
    parser.add_argument("--url", default="memory://", help="memory:// (embedded) or redis://host:port/db")
    args = parser.parse_args()
    try:
        main(redis.Redis.from_url(args.url, **CLIENT_OPTIONS))
    except redis.ConnectionError as e:
        raise SystemExit(f"cannot reach Redis at {args.url}: {e}")
