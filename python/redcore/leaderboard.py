"""Leaderboards on sorted sets, with ties ranked by who got there first.

    >>> import redcore
    >>> from redcore.leaderboard import Leaderboard
    >>> r = redcore.Redis(decode_responses=True)
    >>> board = Leaderboard(r, "arcade")
    >>> board.submit("ada", 300), board.submit("bob", 500), board.submit("cy", 300)
    (True, True, True)
    >>> board.submit("ada", 200)  # "best" policy: not an improvement
    False
    >>> [(e.member, e.score, e.position) for e in board.top(3)]
    [('bob', 500.0, 1), ('ada', 300.0, 2), ('cy', 300.0, 3)]
    >>> board.rank("cy"), board.position("cy")
    (2, 3)

Layout (every key carries the hash tag ``{<name>}``, or ``{<name>:<period>}``
for period boards, so a board lives in one cluster slot):

- ``…:scores``: the sorted set; the score is the player's score, the member
  is a 15-digit sequence prefix followed by the player's name;
- ``…:members``: a hash from the name to its current sorted-set member;
- ``…:seq``: the counter the prefixes come from; ``…:version``: bumped on
  every change (it invalidates cached top-N pages); ``…:top:<n>``.

Ties: Redis orders members with equal scores by their bytes, so the prefix
(the sequence number of the moment the player reached its current score,
inverted for higher-is-better boards) ranks whoever reached a score first
ahead. Scores are stored unchanged, so any double works: integers are exact
up to 2**53 and there is no bound tied to the tie-breaking; a board supports
10**15 score changes. Every multi-step change runs in one Lua script.
"""

from __future__ import annotations

import calendar
import datetime
import time
from typing import Any, List, NamedTuple, Optional, Tuple, Union

Number = Union[int, float]
When = Union[None, int, float, datetime.datetime]

_PREFIX = 15

# KEYS: scores, members, seq, version. ARGV: name, score (or increment),
# mode (best|latest|incr), reverse (1: higher is better), expiry kind
# ('', 'px', 'at') and its value (ms).
_SUBMIT = """
local old = redis.call('hget', KEYS[2], ARGV[1])
local cur = nil
if old then cur = tonumber(redis.call('zscore', KEYS[1], old)) end
local new = tonumber(ARGV[2])
if ARGV[3] == 'incr' then new = (cur or 0) + new end
if new ~= new then return redis.error_reply('ERR resulting score is not a number (NaN)') end
local changed = true
if cur then
    if ARGV[3] == 'best' then
        if (ARGV[4] == '1' and new <= cur) or (ARGV[4] == '0' and new >= cur) then changed = false end
    elseif new == cur then
        changed = false
    end
end
if changed then
    if old then redis.call('zrem', KEYS[1], old) end
    local seq = redis.call('incr', KEYS[3])
    if ARGV[4] == '1' then seq = 999999999999999 - seq end
    local member = string.format('%015.0f', seq) .. ARGV[1]
    redis.call('zadd', KEYS[1], string.format('%.17g', new), member)
    redis.call('hset', KEYS[2], ARGV[1], member)
    redis.call('incr', KEYS[4])
else
    new = cur
end
if ARGV[5] == 'px' then
    for i = 1, 4 do redis.call('pexpire', KEYS[i], ARGV[6]) end
elseif ARGV[5] == 'at' then
    for i = 1, 4 do redis.call('pexpireat', KEYS[i], ARGV[6]) end
end
return {changed and 1 or 0, string.format('%.17g', new)}
"""

# KEYS: scores, members. ARGV: name, reverse, n (-1: rank and score only).
# Returns false, or {rank, score, first rank, flat member/score list}.
_LOOKUP = """
local member = redis.call('hget', KEYS[2], ARGV[1])
if not member then return false end
local rank
if ARGV[2] == '1' then rank = redis.call('zrevrank', KEYS[1], member)
else rank = redis.call('zrank', KEYS[1], member) end
if not rank then return false end
local score = redis.call('zscore', KEYS[1], member)
local n = tonumber(ARGV[3])
if n < 0 then return {rank, score} end
local first = rank - n
if first < 0 then first = 0 end
local items
if ARGV[2] == '1' then items = redis.call('zrevrange', KEYS[1], first, rank + n, 'WITHSCORES')
else items = redis.call('zrange', KEYS[1], first, rank + n, 'WITHSCORES') end
return {rank, score, first, items}
"""

# KEYS: scores, members, version. ARGV: name.
_REMOVE = """
local member = redis.call('hget', KEYS[2], ARGV[1])
if not member then return 0 end
redis.call('zrem', KEYS[1], member)
redis.call('hdel', KEYS[2], ARGV[1])
redis.call('incr', KEYS[3])
return 1
"""


class Entry(NamedTuple):
    """One row of a leaderboard: ``position`` is 1-based."""

    member: Any
    score: float
    position: int


_PERIODS = ("hourly", "daily", "weekly", "monthly")


def _timestamp(when: When) -> float:
    if when is None:
        return time.time()
    if isinstance(when, datetime.datetime):
        if when.tzinfo is None:
            return calendar.timegm(when.timetuple()) + when.microsecond / 1e6
        return when.timestamp()
    return float(when)


def period_bounds(period: str, when: When = None) -> Tuple[str, float, float]:
    """``(label, start, end)`` (UTC epoch seconds) of the ``period``
    (``hourly``, ``daily``, ``weekly`` (ISO weeks, from Monday) or
    ``monthly``) containing ``when`` (naive datetimes are UTC).

    >>> period_bounds("daily", datetime.datetime(2024, 5, 17, 13, 30))[0]
    '2024-05-17'
    >>> period_bounds("weekly", datetime.datetime(2024, 5, 17))[0]
    '2024-W20'
    """
    ts = _timestamp(when)
    dt = datetime.datetime.fromtimestamp(ts, datetime.timezone.utc)
    if period == "hourly":
        start = dt.replace(minute=0, second=0, microsecond=0)
        end = start + datetime.timedelta(hours=1)
        label = start.strftime("%Y-%m-%dT%H")
    elif period == "daily":
        start = dt.replace(hour=0, minute=0, second=0, microsecond=0)
        end = start + datetime.timedelta(days=1)
        label = start.strftime("%Y-%m-%d")
    elif period == "weekly":
        start = dt.replace(hour=0, minute=0, second=0, microsecond=0) - datetime.timedelta(days=dt.weekday())
        end = start + datetime.timedelta(days=7)
        year, week, _ = start.isocalendar()
        label = f"{year}-W{week:02d}"
    elif period == "monthly":
        start = dt.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        end = (start + datetime.timedelta(days=32)).replace(day=1)
        label = start.strftime("%Y-%m")
    else:
        raise ValueError(f"period must be one of {_PERIODS}")
    return label, start.timestamp(), end.timestamp()


def _score_arg(score: Number) -> str:
    value = float(score)
    if value != value:
        raise ValueError("a leaderboard score cannot be NaN")
    return repr(score) if isinstance(score, int) and not isinstance(score, bool) else repr(value)


class Leaderboard:
    """A leaderboard named ``name``.

    Args:
        client: a redcore or redis-py client (with ``decode_responses=True``
            members come back as ``str``, otherwise as ``bytes``).
        name: the board's name (part of its keys).
        policy: ``"best"`` keeps each member's best score (higher or lower,
            per ``reverse``); ``"latest"`` keeps the last one submitted.
        reverse: True when a higher score is better.
        ttl: seconds the board lives after its last change (None: forever);
            for period boards, how long a board is kept after its period
            ends (default: one more period).
        period: ``"hourly"``, ``"daily"``, ``"weekly"`` or ``"monthly"``
            for boards that start afresh each period (UTC); the keys carry
            the period's label and expire on their own.
        at: with ``period``, a time inside the period to address (None:
            the current period at each call), e.g. to read yesterday's board.
        cache_ttl: how long :meth:`cached_top` pages may be reused (any
            change to the board invalidates them at once).

    Ranks: :meth:`rank` is 0-based like ``ZREVRANK``; :meth:`position` and
    :class:`Entry.position` are 1-based, for display.

    >>> import redcore
    >>> daily = Leaderboard(redcore.Redis(), "race", period="daily", reverse=False)
    >>> daily.submit("ada", 61.2)
    True
    >>> daily.score("ada")
    61.2
    """

    def __init__(
        self,
        client: Any,
        name: str,
        policy: str = "best",
        reverse: bool = True,
        ttl: Optional[Number] = None,
        period: Optional[str] = None,
        at: When = None,
        cache_ttl: Number = 5,
    ) -> None:
        if policy not in ("best", "latest"):
            raise ValueError("policy must be 'best' or 'latest'")
        if period is not None and period not in _PERIODS:
            raise ValueError(f"period must be one of {_PERIODS}")
        if ttl is not None and ttl <= 0:
            raise ValueError("ttl must be positive")
        self.client = client
        self.name = name
        self.policy = policy
        self.reverse = bool(reverse)
        self.ttl = ttl
        self.period = period
        self.at = at
        self.cache_ttl_ms = max(1, int(cache_ttl * 1000))
        self._submit = client.register_script(_SUBMIT)
        self._lookup = client.register_script(_LOOKUP)
        self._remove = client.register_script(_REMOVE)

    # --- keys ------------------------------------------------------------

    def _base(self) -> Tuple[str, Tuple[str, Any]]:
        """The hash-tagged key prefix and the expiry to apply on writes."""
        if self.period is None:
            expiry: Tuple[str, Any] = ("px", int(self.ttl * 1000)) if self.ttl else ("", 0)
            return "{" + self.name + "}", expiry
        label, start, end = period_bounds(self.period, self.at)
        keep = self.ttl if self.ttl else end - start
        return "{" + f"{self.name}:{label}" + "}", ("at", int((end + keep) * 1000))

    def keys(self) -> List[str]:
        """The board's keys: scores, members, seq, version."""
        base, _ = self._base()
        return [base + ":scores", base + ":members", base + ":seq", base + ":version"]

    # --- writes ------------------------------------------------------------

    def _change_call(self, member: Any, value: Number, mode: str) -> Any:
        """The submit script's call (its reply, or an awaitable of it)."""
        base, (kind, arg) = self._base()
        keys = [base + ":scores", base + ":members", base + ":seq", base + ":version"]
        args = [member, _score_arg(value), mode, "1" if self.reverse else "0", kind, arg]
        return self._submit(keys=keys, args=args, client=self.client)

    def _change(self, member: Any, value: Number, mode: str) -> Tuple[bool, float]:
        changed, score = self._change_call(member, value, mode)
        return bool(changed), float(score)

    def submit(self, member: Any, score: Number) -> bool:
        """Records ``score`` for ``member``; True if its stored score
        changed (with ``policy="best"``: the score was an improvement)."""
        return self._change(member, score, self.policy)[0]

    def increment(self, member: Any, by: Number = 1) -> float:
        """Adds ``by`` to ``member``'s score (from 0) and returns the new
        score; the tie-break time becomes now."""
        return self._change(member, by, "incr")[1]

    def _remove_call(self, member: Any) -> Any:
        base, _ = self._base()
        return self._remove(keys=[base + ":scores", base + ":members", base + ":version"], args=[member], client=self.client)

    def remove(self, member: Any) -> bool:
        """Removes ``member``; True if it was on the board."""
        return bool(self._remove_call(member))

    def _clear_pipe(self) -> Any:
        base, _ = self._base()
        pipe = self.client.pipeline(transaction=True)
        pipe.delete(base + ":scores", base + ":members")
        pipe.incr(base + ":version")
        return pipe

    def clear(self) -> None:
        """Removes every member."""
        self._clear_pipe().execute()

    # --- reads ---------------------------------------------------------------

    def _lookup_member(self, member: Any, n: int) -> Any:
        base, _ = self._base()
        return self._lookup(
            keys=[base + ":scores", base + ":members"], args=[member, "1" if self.reverse else "0", n], client=self.client
        )

    def rank(self, member: Any) -> Optional[int]:
        """0-based rank (0 = best), or None if absent."""
        return _rank_of(self._lookup_member(member, -1))

    def position(self, member: Any) -> Optional[int]:
        """1-based position (1 = best), or None if absent."""
        rank = self.rank(member)
        return None if rank is None else rank + 1

    def score(self, member: Any) -> Optional[float]:
        """``member``'s score, or None if absent."""
        return _score_of(self._lookup_member(member, -1))

    def around(self, member: Any, n: int = 5) -> List[Entry]:
        """Up to ``n`` entries on each side of ``member`` and ``member``
        itself, best first; [] if ``member`` is absent."""
        if n < 0:
            raise ValueError("n must be >= 0")
        return self._around_entries(self._lookup_member(member, n))

    def _around_entries(self, found: Any) -> List[Entry]:
        return self._entries(_pairs(found[3]), int(found[2])) if found else []

    def _entries(self, pairs: List[Tuple[Any, Any]], first_rank: int) -> List[Entry]:
        return [Entry(m[_PREFIX:], float(s), first_rank + i + 1) for i, (m, s) in enumerate(pairs)]

    def _range(self, start: int, stop: int) -> Any:
        base, _ = self._base()
        if self.reverse:
            return self.client.zrevrange(base + ":scores", start, stop, withscores=True)
        return self.client.zrange(base + ":scores", start, stop, withscores=True)

    def top(self, n: int = 10) -> List[Entry]:
        """The ``n`` best entries, best first."""
        if n <= 0:
            return []
        return self._entries(self._range(0, n - 1), 0)

    def page(self, page: int, per_page: int = 10) -> List[Entry]:
        """Page ``page`` (1-based) of ``per_page`` entries."""
        first = _first_of_page(page, per_page)
        return self._entries(self._range(first, first + per_page - 1), first)

    def range_by_score(self, min: Number, max: Number) -> List[Entry]:  # noqa: A002 - redis-py's names
        """Entries with ``min <= score <= max``, best first."""
        ahead, pairs = self._range_by_score_pipe(min, max).execute()
        return self._entries(pairs, int(ahead))

    def _range_by_score_pipe(self, min: Number, max: Number) -> Any:  # noqa: A002
        base, _ = self._base()
        key = base + ":scores"
        pipe = self.client.pipeline(transaction=True)
        if self.reverse:
            pipe.zcount(key, f"({_score_arg(max)}", "+inf")
            pipe.zrevrangebyscore(key, _score_arg(max), _score_arg(min), withscores=True)
        else:
            pipe.zcount(key, "-inf", f"({_score_arg(min)}")
            pipe.zrangebyscore(key, _score_arg(min), _score_arg(max), withscores=True)
        return pipe

    def count(self) -> int:
        """How many members the board has."""
        base, _ = self._base()
        return int(self.client.zcard(base + ":scores"))

    def cached_top(self, n: int = 10) -> List[Entry]:
        """:meth:`top` served from a copy kept for ``cache_ttl`` seconds,
        for pages many readers fetch. The copy records the board's version,
        and any change bumps the version, so a stale copy is never served."""
        if n <= 0:
            return []
        hit = self._from_copy(*self._copy_pipe(n).execute())
        if hit is not None:
            return hit
        version, pairs = self._fresh_pipe(n).execute()
        entries = self._entries(pairs, 0)
        self._store_copy_pipe(n, version, entries).execute()
        return entries

    def _copy_pipe(self, n: int) -> Any:
        """Reads the kept copy of the top ``n`` and the board's version."""
        base, _ = self._base()
        pipe = self.client.pipeline(transaction=True)
        pipe.lrange(f"{base}:top:{n}", 0, -1)
        pipe.get(base + ":version")
        return pipe

    @staticmethod
    def _from_copy(copy: List[Any], version: Any) -> Optional[List[Entry]]:
        """The copy's entries if it is of the current version, else None."""
        if copy and int(copy[0]) == int(version or 0):
            flat = copy[1:]
            return [Entry(flat[i], float(flat[i + 1]), i // 2 + 1) for i in range(0, len(flat), 2)]
        return None

    def _fresh_pipe(self, n: int) -> Any:
        """Reads the version and the top ``n`` together."""
        base, _ = self._base()
        pipe = self.client.pipeline(transaction=True)
        pipe.get(base + ":version")
        if self.reverse:
            pipe.zrevrange(base + ":scores", 0, n - 1, withscores=True)
        else:
            pipe.zrange(base + ":scores", 0, n - 1, withscores=True)
        return pipe

    def _store_copy_pipe(self, n: int, version: Any, entries: List[Entry]) -> Any:
        """Replaces the kept copy with ``entries`` (of ``version``)."""
        base, _ = self._base()
        cache_key = f"{base}:top:{n}"
        pipe = self.client.pipeline(transaction=True)
        pipe.delete(cache_key)
        row: List[Any] = [int(version or 0)]
        for e in entries:
            row += [e.member, repr(e.score)]
        pipe.rpush(cache_key, *row)
        pipe.pexpire(cache_key, self.cache_ttl_ms)
        return pipe


def _pairs(flat: List[Any]) -> List[Tuple[Any, Any]]:
    return [(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)]


def _rank_of(found: Any) -> Optional[int]:
    return None if not found else int(found[0])


def _score_of(found: Any) -> Optional[float]:
    return None if not found else float(found[1])


def _first_of_page(page: int, per_page: int) -> int:
    if page < 1 or per_page < 1:
        raise ValueError("page and per_page start at 1")
    return (page - 1) * per_page


class AsyncLeaderboard(Leaderboard):
    """:class:`Leaderboard` for an asyncio client (``redcore.asyncio.Redis``
    or ``redis.asyncio.Redis``): the same keys, scripts and arguments, and
    every method is a coroutine. Boards written by either kind read the
    same.

    >>> import asyncio, redcore.asyncio
    >>> async def main():
    ...     board = AsyncLeaderboard(redcore.asyncio.Redis(decode_responses=True), "arcade")
    ...     await board.submit("ada", 300)
    ...     await board.submit("bob", 500)
    ...     return [(e.member, e.position) for e in await board.top(2)]
    >>> asyncio.run(main())
    [('bob', 1), ('ada', 2)]
    """

    async def submit(self, member: Any, score: Number) -> bool:  # type: ignore[override]
        """Records ``score`` for ``member``; True if its stored score changed."""
        changed, _ = await self._change_call(member, score, self.policy)
        return bool(changed)

    async def increment(self, member: Any, by: Number = 1) -> float:  # type: ignore[override]
        """Adds ``by`` to ``member``'s score (from 0); returns the new score."""
        _, score = await self._change_call(member, by, "incr")
        return float(score)

    async def remove(self, member: Any) -> bool:  # type: ignore[override]
        """Removes ``member``; True if it was on the board."""
        return bool(await self._remove_call(member))

    async def clear(self) -> None:  # type: ignore[override]
        """Removes every member."""
        await self._clear_pipe().execute()

    async def rank(self, member: Any) -> Optional[int]:  # type: ignore[override]
        """0-based rank (0 = best), or None if absent."""
        return _rank_of(await self._lookup_member(member, -1))

    async def position(self, member: Any) -> Optional[int]:  # type: ignore[override]
        """1-based position (1 = best), or None if absent."""
        rank = await self.rank(member)
        return None if rank is None else rank + 1

    async def score(self, member: Any) -> Optional[float]:  # type: ignore[override]
        """``member``'s score, or None if absent."""
        return _score_of(await self._lookup_member(member, -1))

    async def around(self, member: Any, n: int = 5) -> List[Entry]:  # type: ignore[override]
        """Up to ``n`` entries on each side of ``member`` and ``member`` itself."""
        if n < 0:
            raise ValueError("n must be >= 0")
        return self._around_entries(await self._lookup_member(member, n))

    async def top(self, n: int = 10) -> List[Entry]:  # type: ignore[override]
        """The ``n`` best entries, best first."""
        if n <= 0:
            return []
        return self._entries(await self._range(0, n - 1), 0)

    async def page(self, page: int, per_page: int = 10) -> List[Entry]:  # type: ignore[override]
        """Page ``page`` (1-based) of ``per_page`` entries."""
        first = _first_of_page(page, per_page)
        return self._entries(await self._range(first, first + per_page - 1), first)

    async def range_by_score(self, min: Number, max: Number) -> List[Entry]:  # type: ignore[override]  # noqa: A002
        """Entries with ``min <= score <= max``, best first."""
        ahead, pairs = await self._range_by_score_pipe(min, max).execute()
        return self._entries(pairs, int(ahead))

    async def count(self) -> int:  # type: ignore[override]
        """How many members the board has."""
        base, _ = self._base()
        return int(await self.client.zcard(base + ":scores"))

    async def cached_top(self, n: int = 10) -> List[Entry]:  # type: ignore[override]
        """:meth:`Leaderboard.cached_top`: the top ``n`` from a copy kept
        for ``cache_ttl`` seconds (never a stale one)."""
        if n <= 0:
            return []
        hit = self._from_copy(*await self._copy_pipe(n).execute())
        if hit is not None:
            return hit
        version, pairs = await self._fresh_pipe(n).execute()
        entries = self._entries(pairs, 0)
        await self._store_copy_pipe(n, version, entries).execute()
        return entries


__all__ = ["AsyncLeaderboard", "Entry", "Leaderboard", "period_bounds"]
