"""Time-bucketed analytics: counters, unique counts (HyperLogLog) and top-K.

    >>> import redcore, time
    >>> from redcore.analytics import Counter, UniqueCounter, TopK
    >>> r = redcore.Redis()
    >>> hits = Counter(r, "hits", bucket="minute")
    >>> now = int(time.time()) // 60 * 60
    >>> hits.incr(at=now), hits.incr(at=now + 10), hits.incr(5, at=now + 130)
    (1, 2, 5)
    >>> [count for start, count in hits.series(now - 60, now + 180)]
    [0, 2, 0, 5, 0]

Each bucket is its own key, ``{<name>}:<bucket start>`` (epoch seconds,
UTC-aligned), expiring ``retention`` seconds after its bucket ends (EXPIREAT,
set in the same MULTI/EXEC as the write). All of one series' keys share the
hash tag ``{<name>}``, so the multi-key reads (MGET, PFCOUNT, PFMERGE,
ZUNIONSTORE) work on a Redis Cluster. Times are epoch seconds or
``datetime`` objects (naive ones are UTC).
"""

from __future__ import annotations

import calendar
import datetime
import time
import uuid
from typing import Any, List, Optional, Tuple, Union

Number = Union[int, float]
When = Union[None, int, float, datetime.datetime]

_BUCKETS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800}
# The most buckets one read may span (MGET / PFCOUNT arguments).
MAX_BUCKETS = 100_000
_CHUNK = 1000


def _timestamp(when: When) -> float:
    if when is None:
        return time.time()
    if isinstance(when, datetime.datetime):
        if when.tzinfo is None:
            return calendar.timegm(when.timetuple()) + when.microsecond / 1e6
        return when.timestamp()
    return float(when)


class _Series:
    """Bucket arithmetic and keys shared by the three classes."""

    def __init__(self, client: Any, name: str, bucket: Union[str, int], retention: Optional[Number]) -> None:
        if isinstance(bucket, str):
            if bucket not in _BUCKETS:
                raise ValueError(f"bucket must be one of {sorted(_BUCKETS)} or a number of seconds")
            size = _BUCKETS[bucket]
        else:
            size = int(bucket)
            if size <= 0 or size != bucket:
                raise ValueError("bucket must be a positive whole number of seconds")
        if retention is not None and retention <= 0:
            raise ValueError("retention must be positive")
        self.client = client
        self.name = name
        self.size = size
        self.retention = float(retention) if retention is not None else float(size * 1000)
        self.tag = "{" + name + "}"

    def start_of(self, when: When) -> int:
        ts = _timestamp(when)
        return int(ts // self.size) * self.size

    def key(self, start: int) -> str:
        return f"{self.tag}:{start}"

    def expire_at(self, start: int) -> int:
        """When a bucket's key expires: ``retention`` after the bucket ends."""
        return int(start + self.size + self.retention)

    def starts(self, start: When, end: When) -> List[int]:
        """Bucket starts from the one holding ``start`` to the one holding
        ``end``, inclusive."""
        first, last = self.start_of(start), self.start_of(end)
        if last < first:
            return []
        count = (last - first) // self.size + 1
        if count > MAX_BUCKETS:
            raise ValueError(f"the range spans {count} buckets (at most {MAX_BUCKETS})")
        return list(range(first, last + 1, self.size))


def _number(raw: Any) -> Number:
    if raw is None:
        return 0
    text = raw.decode() if isinstance(raw, bytes) else raw
    try:
        return int(text)
    except ValueError:
        return float(text)


class Counter:
    """A counter per time bucket.

    Args:
        client: a redcore or redis-py client.
        name: the series name (its keys are ``{name}:<bucket start>``).
        bucket: ``"second"``, ``"minute"``, ``"hour"``, ``"day"``, ``"week"``
            or a number of seconds.
        retention: seconds a bucket is kept after it ends (default: 1,000
            buckets' worth).

    >>> import redcore
    >>> c = Counter(redcore.Redis(), "signups", bucket="day")
    >>> c.incr(), c.incr(2.5)
    (1, 3.5)
    >>> c.get()
    3.5
    """

    def __init__(self, client: Any, name: str, bucket: Union[str, int] = "minute", retention: Optional[Number] = None) -> None:
        self._s = _Series(client, name, bucket, retention)

    def incr(self, by: Number = 1, at: When = None) -> Number:
        """Adds ``by`` (an int, or a float: INCRBYFLOAT) to the bucket
        holding ``at`` (default: now); returns the bucket's new count."""
        s = self._s
        start = s.start_of(at)
        key = s.key(start)
        pipe = s.client.pipeline(transaction=True)
        if isinstance(by, float):
            pipe.incrbyfloat(key, by)
        else:
            pipe.incrby(key, by)
        pipe.expireat(key, s.expire_at(start))
        value, _ = pipe.execute()
        return value

    def get(self, at: When = None) -> Number:
        """The count of the bucket holding ``at`` (default: now)."""
        s = self._s
        return _number(s.client.get(s.key(s.start_of(at))))

    def series(self, start: When, end: When) -> List[Tuple[int, Number]]:
        """``[(bucket start, count), ...]`` for every bucket from the one
        holding ``start`` to the one holding ``end``, zeros included."""
        s = self._s
        starts = s.starts(start, end)
        values: List[Any] = []
        for i in range(0, len(starts), _CHUNK):
            values += s.client.mget([s.key(b) for b in starts[i : i + _CHUNK]])
        return [(b, _number(v)) for b, v in zip(starts, values)]

    def total(self, start: When, end: When) -> Number:
        """The sum of :meth:`series`."""
        return sum(v for _, v in self.series(start, end))


class UniqueCounter:
    """Distinct items per time bucket, counted with HyperLogLog (about 0.8%
    standard error, 12 KB per bucket at most).

    >>> import redcore
    >>> visitors = UniqueCounter(redcore.Redis(), "visitors", bucket="hour")
    >>> visitors.add("ada", "bob"), visitors.add("ada")
    (True, False)
    >>> visitors.count()
    2
    """

    def __init__(self, client: Any, name: str, bucket: Union[str, int] = "day", retention: Optional[Number] = None) -> None:
        self._s = _Series(client, name, bucket, retention)

    def add(self, *items: Any, at: When = None) -> bool:
        """Adds ``items`` to the bucket holding ``at``; True if the bucket's
        estimate changed."""
        s = self._s
        start = s.start_of(at)
        key = s.key(start)
        pipe = s.client.pipeline(transaction=True)
        pipe.pfadd(key, *items)
        pipe.expireat(key, s.expire_at(start))
        changed, _ = pipe.execute()
        return bool(changed)

    def count(self, start: When = None, end: When = None) -> int:
        """Distinct items over the buckets from ``start`` to ``end``
        (default: the current bucket; ``end`` defaults to ``start``). Up to
        1,000 buckets take one PFCOUNT; longer ranges are PFMERGEd into a
        temporary key first."""
        s = self._s
        starts = s.starts(start, start if end is None else end)
        keys = [s.key(b) for b in starts]
        if not keys:
            return 0
        if len(keys) <= _CHUNK:
            return int(s.client.pfcount(*keys))
        temp = f"{s.tag}:tmp:{uuid.uuid4().hex}"
        try:
            for i in range(0, len(keys), _CHUNK):
                pipe = s.client.pipeline(transaction=True)
                pipe.pfmerge(temp, *keys[i : i + _CHUNK])
                pipe.pexpire(temp, 60_000)
                pipe.execute()
            return int(s.client.pfcount(temp))
        finally:
            s.client.delete(temp)

    def series(self, start: When, end: When) -> List[Tuple[int, int]]:
        """``[(bucket start, distinct count), ...]`` per bucket, zeros
        included."""
        s = self._s
        starts = s.starts(start, end)
        out: List[Tuple[int, int]] = []
        for i in range(0, len(starts), _CHUNK):
            pipe = s.client.pipeline(transaction=False)
            for b in starts[i : i + _CHUNK]:
                pipe.pfcount(s.key(b))
            out += [(b, int(n)) for b, n in zip(starts[i : i + _CHUNK], pipe.execute())]
        return out


class TopK:
    """The ``k`` most frequent items, counted in a sorted set (exactly),
    either all-time or per time bucket.

    Args:
        client: a redcore or redis-py client.
        name: the key name (``{name}:all``, or ``{name}:<bucket start>``).
        k: how many items :meth:`top` returns.
        bucket: None for one all-time set, or a bucket as for
            :class:`Counter` to count per period and query time ranges.
        retention: seconds a bucket is kept after it ends (with ``bucket``).
        capacity: the most items kept per set: past it, the least frequent
            are dropped, which bounds memory but makes counts of items that
            come and go approximate (None: keep every item).

    >>> import redcore
    >>> pages = TopK(redcore.Redis(decode_responses=True), "pages", k=2)
    >>> for p in ["/", "/a", "/", "/b", "/"]:
    ...     _ = pages.add(p)
    >>> pages.top()
    [('/', 3.0), ('/b', 1.0)]
    """

    def __init__(
        self,
        client: Any,
        name: str,
        k: int = 10,
        bucket: Union[None, str, int] = None,
        retention: Optional[Number] = None,
        capacity: Optional[int] = None,
    ) -> None:
        if k <= 0:
            raise ValueError("k must be positive")
        if capacity is not None and capacity < k:
            raise ValueError("capacity must be at least k")
        self.client = client
        self.name = name
        self.k = k
        self.capacity = capacity
        self._s = None if bucket is None else _Series(client, name, bucket, retention)
        self.tag = "{" + name + "}"

    def add(self, item: Any, by: Number = 1, at: When = None) -> float:
        """Counts ``item`` ``by`` times (in the bucket holding ``at``);
        returns its new count there."""
        pipe = self.client.pipeline(transaction=True)
        if self._s is None:
            key = self.tag + ":all"
            pipe.zincrby(key, by, item)
        else:
            start = self._s.start_of(at)
            key = self._s.key(start)
            pipe.zincrby(key, by, item)
            pipe.expireat(key, self._s.expire_at(start))
        if self.capacity is not None:
            pipe.zremrangebyrank(key, 0, -(self.capacity + 1))
        return float(pipe.execute()[0])

    def top(self, start: When = None, end: When = None, k: Optional[int] = None) -> List[Tuple[Any, float]]:
        """``[(item, count), ...]``, most frequent first (ties: by item,
        descending, as ZREVRANGE orders them). With buckets, over the
        buckets from ``start`` to ``end`` (default: the current bucket;
        ``end`` defaults to ``start``), summed with ZUNIONSTORE."""
        k = self.k if k is None else k
        if self._s is None:
            return self.client.zrevrange(self.tag + ":all", 0, k - 1, withscores=True)
        s = self._s
        keys = [s.key(b) for b in s.starts(start, start if end is None else end)]
        if not keys:
            return []
        if len(keys) == 1:
            return self.client.zrevrange(keys[0], 0, k - 1, withscores=True)
        temp = f"{self.tag}:tmp:{uuid.uuid4().hex}"
        pipe = self.client.pipeline(transaction=True)
        pipe.zunionstore(temp, keys)
        pipe.zrevrange(temp, 0, k - 1, withscores=True)
        pipe.delete(temp)
        return pipe.execute()[1]

    def count(self, item: Any, at: When = None) -> float:
        """``item``'s count (in the bucket holding ``at``); 0 if absent."""
        key = self.tag + ":all" if self._s is None else self._s.key(self._s.start_of(at))
        score = self.client.zscore(key, item)
        return 0.0 if score is None else float(score)


def bucket_keys(name: str, bucket: Union[str, int], start: When, end: When) -> List[str]:
    """The keys of ``name``'s buckets from ``start`` to ``end`` (for custom
    multi-key commands).

    >>> bucket_keys("hits", "hour", 0, 7200)
    ['{hits}:0', '{hits}:3600', '{hits}:7200']
    """
    s = _Series(None, name, bucket, None)
    return [s.key(b) for b in s.starts(start, end)]


__all__ = ["Counter", "MAX_BUCKETS", "TopK", "UniqueCounter", "bucket_keys"]
