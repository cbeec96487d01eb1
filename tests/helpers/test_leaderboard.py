"""redcore.leaderboard on every backend."""

from __future__ import annotations

import datetime
import random
import threading
import time
from typing import Any, Dict, List, Tuple

import pytest

from redcore.leaderboard import Entry, Leaderboard, period_bounds


def rows(entries: List[Entry]) -> List[Tuple[Any, float, int]]:
    return [(e.member, e.score, e.position) for e in entries]


def test_best_policy_higher_is_better(make: Any) -> None:
    r = make(decode_responses=True)
    board = Leaderboard(r, "game")
    assert board.submit("ada", 10) is True
    assert board.submit("bob", 30) is True
    assert board.submit("ada", 5) is False
    assert board.submit("ada", 10) is False
    assert board.submit("ada", 20) is True
    assert rows(board.top()) == [("bob", 30.0, 1), ("ada", 20.0, 2)]
    assert board.score("ada") == 20.0 and board.score("nobody") is None
    assert board.rank("bob") == 0 and board.position("bob") == 1
    assert board.rank("nobody") is None and board.position("nobody") is None
    assert board.count() == 2


def test_best_policy_lower_is_better_and_latest(make: Any) -> None:
    r = make(decode_responses=True)
    race = Leaderboard(r, "race", reverse=False)
    race.submit("ada", 61.5)
    race.submit("bob", 59.25)
    assert race.submit("ada", 62) is False
    assert race.submit("ada", 58) is True
    assert rows(race.top()) == [("ada", 58.0, 1), ("bob", 59.25, 2)]
    latest = Leaderboard(r, "mood", policy="latest")
    latest.submit("ada", 9)
    assert latest.submit("ada", 2) is True
    assert latest.submit("ada", 2) is False
    assert latest.score("ada") == 2.0
    with pytest.raises(ValueError):
        Leaderboard(r, "x", policy="worst")
    with pytest.raises(ValueError):
        race.submit("ada", float("nan"))


def test_ties_rank_whoever_reached_the_score_first(make: Any) -> None:
    r = make(decode_responses=True)
    for reverse in (True, False):
        board = Leaderboard(r, f"ties-{reverse}", reverse=reverse)
        for name in ["cy", "ada", "bob", "dan"]:
            board.submit(name, 10)
        assert [e.member for e in board.top()] == ["cy", "ada", "bob", "dan"]
        board.submit("cy", 10)  # the same score again keeps cy's place
        assert board.top(1)[0].member == "cy"
        board.submit("ada", 11 if reverse else 9)
        assert [e.member for e in board.top()] == ["ada", "cy", "bob", "dan"]
    latest = Leaderboard(r, "ties-latest", policy="latest")
    latest.submit("a", 5)
    latest.submit("b", 5)
    latest.submit("a", 4)
    latest.submit("a", 5)  # reached 5 again, after b
    assert [e.member for e in latest.top()] == ["b", "a"]


def test_increment(make: Any) -> None:
    r = make()
    board = Leaderboard(r, "points")
    assert board.increment("ada", 5) == 5.0
    assert board.increment("bob", 5) == 5.0
    assert board.increment("ada", 0) == 5.0
    assert rows(board.top()) == [(b"ada", 5.0, 1), (b"bob", 5.0, 2)]
    assert board.increment("ada", -1.5) == 3.5
    assert board.increment("ada", 1.5) == 5.0  # reached 5 again, after bob
    assert [e.member for e in board.top()] == [b"bob", b"ada"]


def test_scores_are_exact(make: Any) -> None:
    r = make(decode_responses=True)
    board = Leaderboard(r, "big")
    board.submit("a", 2**53 - 2)
    board.submit("b", 2**53 - 1)
    board.submit("c", -(2**53) + 1)
    board.submit("d", 0.1)
    board.submit("e", float("inf"))
    assert rows(board.top()) == [("e", float("inf"), 1), ("b", 2**53 - 1, 2), ("a", 2**53 - 2, 3), ("d", 0.1, 4), ("c", -(2**53) + 1, 5)]
    assert board.score("d") == 0.1
    assert rows(board.range_by_score(0, float("inf"))) == rows(board.top(4))


def test_around_page_and_range(make: Any) -> None:
    r = make(decode_responses=True)
    board = Leaderboard(r, "ladder")
    for i in range(10):
        board.submit(f"p{i}", i * 10)  # p9 is first
    assert rows(board.around("p9", 2)) == [("p9", 90.0, 1), ("p8", 80.0, 2), ("p7", 70.0, 3)]
    assert [e.position for e in board.around("p5", 1)] == [4, 5, 6]
    assert rows(board.around("p0", 0)) == [("p0", 0.0, 10)]
    assert board.around("nobody") == []
    with pytest.raises(ValueError):
        board.around("p1", -1)
    assert [e.member for e in board.page(1, 4)] == ["p9", "p8", "p7", "p6"]
    assert [(e.member, e.position) for e in board.page(3, 4)] == [("p1", 9), ("p0", 10)]
    assert board.page(4, 4) == []
    with pytest.raises(ValueError):
        board.page(0)
    assert rows(board.range_by_score(25, 50)) == [("p5", 50.0, 5), ("p4", 40.0, 6), ("p3", 30.0, 7)]
    assert board.range_by_score(1000, 2000) == []
    low = Leaderboard(r, "golf", reverse=False)
    for i in range(5):
        low.submit(f"g{i}", 70 + i)
    assert rows(low.range_by_score(71, 72)) == [("g1", 71.0, 2), ("g2", 72.0, 3)]
    assert [e.member for e in low.around("g0", 1)] == ["g0", "g1"]
    assert board.top(0) == []


def test_remove_and_clear(make: Any) -> None:
    r = make()
    board = Leaderboard(r, "temp")
    board.submit("a", 1)
    board.submit("b", 2)
    assert board.remove("a") is True
    assert board.remove("a") is False
    assert board.count() == 1 and board.rank("a") is None
    board.submit("a", 1)
    assert board.position("a") == 2
    board.clear()
    assert board.count() == 0 and board.top() == [] and board.score("b") is None


def test_cached_top(make: Any) -> None:
    r = make(decode_responses=True)
    board = Leaderboard(r, "hot", cache_ttl=30)
    assert board.cached_top(2) == []
    board.submit("a", 1)
    board.submit("b", 2)
    board.submit("c", 3)
    assert board.cached_top(2) == board.top(2)
    assert 0 < r.pttl("{hot}:top:2") <= 30_000
    # Served from the copy while nothing changes...
    version = r.get("{hot}:version")
    r.delete("{hot}:top:2")
    r.rpush("{hot}:top:2", version, "fake", "9.5")
    assert rows(board.cached_top(2)) == [("fake", 9.5, 1)]
    # ...and rebuilt as soon as the board changes.
    board.submit("d", 0)
    assert rows(board.cached_top(2)) == [("c", 3.0, 1), ("b", 2.0, 2)]
    board.remove("c")
    assert [e.member for e in board.cached_top(2)] == ["b", "a"]


def test_ttl_and_period_boards(make: Any) -> None:
    r = make()
    board = Leaderboard(r, "session", ttl=60)
    board.submit("a", 1)
    assert all(55_000 < r.pttl(k) <= 60_000 for k in board.keys())
    day = datetime.datetime.now(datetime.timezone.utc)
    yesterday = day - datetime.timedelta(days=1)
    today_board = Leaderboard(r, "daily", period="daily")
    old_board = Leaderboard(r, "daily", period="daily", at=yesterday)
    today_board.submit("a", 5)
    old_board.submit("b", 7)
    assert [e.member for e in today_board.top()] == [b"a"]
    assert [e.member for e in old_board.top()] == [b"b"]
    label, start, end = period_bounds("daily", day)
    assert today_board.keys()[0] == "{daily:" + label + "}:scores"
    # Kept for one more period after the period ends.
    expected = (end + 86400 - time.time()) * 1000
    assert abs(r.pttl(today_board.keys()[0]) - expected) < 5000
    weekly = Leaderboard(r, "w", period="weekly", ttl=3600, at=datetime.datetime(2024, 5, 15))
    weekly.submit("a", 1)
    assert weekly.keys()[0] == "{w:2024-W20}:scores"
    assert r.exists(weekly.keys()[0]) == 0  # ended long ago: expired at once


def test_period_bounds() -> None:
    when = datetime.datetime(2024, 2, 29, 23, 59, 59)
    assert period_bounds("hourly", when)[0] == "2024-02-29T23"
    label, start, end = period_bounds("daily", when)
    assert (label, end - start) == ("2024-02-29", 86400)
    label, start, end = period_bounds("weekly", when)
    assert label == "2024-W09" and datetime.datetime.fromtimestamp(start, datetime.timezone.utc).weekday() == 0
    label, start, end = period_bounds("monthly", when)
    assert label == "2024-02" and end - start == 29 * 86400
    assert period_bounds("monthly", datetime.datetime(2024, 12, 31))[0] == "2024-12"
    aware = datetime.datetime(2024, 3, 1, 0, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
    assert period_bounds("daily", aware)[0] == "2024-02-29"
    with pytest.raises(ValueError):
        period_bounds("yearly")


def test_bytes_members(make: Any) -> None:
    r = make()
    board = Leaderboard(r, "bin")
    board.submit(b"\xff\x00name", 3)
    assert rows(board.top()) == [(b"\xff\x00name", 3.0, 1)]
    assert board.rank(b"\xff\x00name") == 0


def test_eight_threads_feeding_a_leaderboard_get_the_right_ranks(make: Any) -> None:
    r = make(decode_responses=True)
    board = Leaderboard(r, "busy")
    points = Leaderboard(r, "points")
    # member -> [(score, started, finished)] for each submission that improved it
    improvements: Dict[str, List[Tuple[int, float, float]]] = {}
    submitted: Dict[str, int] = {}
    guard = threading.Lock()
    barrier = threading.Barrier(8, timeout=30)

    def feed(t: int) -> None:
        client = make(decode_responses=True)
        mine = Leaderboard(client, "busy")
        pts = Leaderboard(client, "points")
        rng = random.Random(t)
        barrier.wait()
        for i in range(60):
            member = f"m{rng.randrange(30)}"
            score = rng.randrange(12)
            started = time.monotonic()
            changed = mine.submit(member, score)
            finished = time.monotonic()
            pts.increment(f"p{i % 5}", 1)
            with guard:
                submitted[member] = max(submitted.get(member, -1), score)
                if changed:
                    improvements.setdefault(member, []).append((score, started, finished))

    threads = [threading.Thread(target=feed, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    entries = board.top(100)
    assert len(entries) == board.count() == len(submitted)
    assert {e.member: e.score for e in entries} == {m: float(s) for m, s in submitted.items()}
    assert [e.position for e in entries] == list(range(1, len(entries) + 1))
    assert all(a.score >= b.score for a, b in zip(entries, entries[1:]))
    for e in entries:
        assert board.rank(e.member) == e.position - 1
    # Equal scores: a member whose best score was set strictly before
    # another's (by wall-clock intervals) must rank ahead of it.
    reached = {m: next(iv for iv in reversed(ivs) if iv[0] == submitted[m]) for m, ivs in improvements.items()}
    position = {e.member: e.position for e in entries}
    for a in reached:
        for b in reached:
            if a != b and submitted[a] == submitted[b] and reached[a][2] < reached[b][1]:
                assert position[a] < position[b], (a, b)
    assert {e.member: e.score for e in points.top()} == {f"p{i}": 96.0 for i in range(5)}
