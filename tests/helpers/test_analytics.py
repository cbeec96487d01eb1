"""redcore.analytics on every backend."""

from __future__ import annotations

import datetime
import threading
import time
from typing import Any

import pytest

from redcore.analytics import MAX_BUCKETS, Counter, TopK, UniqueCounter, bucket_keys

# Recent times, so buckets are within their retention.
NOW = int(time.time()) // 86400 * 86400
HOUR = 3600


def test_counter_buckets_and_series(make: Any) -> None:
    r = make()
    c = Counter(r, "hits", bucket="hour")
    assert c.incr(at=NOW + 10) == 1
    assert c.incr(at=NOW + HOUR - 1) == 2
    assert c.incr(5, at=NOW + 2 * HOUR + 30) == 5
    assert c.series(NOW - HOUR, NOW + 3 * HOUR) == [
        (NOW - HOUR, 0), (NOW, 2), (NOW + HOUR, 0), (NOW + 2 * HOUR, 5), (NOW + 3 * HOUR, 0)
    ]
    assert c.total(NOW, NOW + 3 * HOUR) == 7
    assert c.get(at=NOW + 5) == 2 and c.get(at=NOW - 5) == 0
    assert c.series(NOW + HOUR, NOW) == []
    assert sorted(r.keys("*")) == sorted([f"{{hits}}:{NOW}".encode(), f"{{hits}}:{NOW + 2 * HOUR}".encode()])


def test_counter_retention_and_custom_buckets(make: Any) -> None:
    r = make()
    c = Counter(r, "ticks", bucket=10, retention=120)
    start = int(time.time()) // 10 * 10
    c.incr(at=start + 3)
    # Expires 120 s after its bucket ends.
    assert abs(r.ttl(f"{{ticks}}:{start}") - (start + 10 + 120 - time.time())) <= 2
    c.incr(2.5, at=start + 4)
    assert c.get(at=start) == 3.5
    assert [n for _, n in c.series(start - 10, start + 10)] == [0, 3.5, 0]
    old = Counter(r, "old", bucket="minute", retention=60)
    old.incr(at=time.time() - 7200)  # long past its retention: gone at once
    assert r.keys("{old}*") == []
    with pytest.raises(ValueError):
        Counter(r, "x", bucket="fortnight")
    with pytest.raises(ValueError):
        Counter(r, "x", bucket=1.5)
    with pytest.raises(ValueError):
        Counter(r, "x", retention=0)
    with pytest.raises(ValueError):
        Counter(r, "x", bucket=1).series(0, MAX_BUCKETS * 2)


def test_counter_datetimes_and_default_time(make: Any) -> None:
    r = make()
    c = Counter(r, "days", bucket="day")
    today = datetime.datetime.fromtimestamp(NOW, datetime.timezone.utc)
    naive = today.replace(tzinfo=None) + datetime.timedelta(hours=23)
    c.incr(at=naive)
    c.incr(at=today.astimezone(datetime.timezone(datetime.timedelta(hours=-5))))
    c.incr()
    assert c.series(today, today) == [(NOW, 3 if int(time.time()) // 86400 * 86400 == NOW else 2)]


def test_counter_concurrent_increments(make: Any) -> None:
    r = make()
    c = Counter(r, "busy", bucket="minute")
    at = int(time.time())

    def worker() -> None:
        mine = Counter(make(), "busy", bucket="minute")
        for _ in range(50):
            mine.incr(at=at)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert c.get(at=at) == 200


def test_unique_counter(make: Any) -> None:
    r = make(decode_responses=True)
    u = UniqueCounter(r, "visitors", bucket="hour")
    # Hours well before the current one, so the "now" below counts alone
    # at any time of day (from the start of today, the second hour is the
    # current one from 01:00 to 02:00 UTC).
    T = int(time.time()) // HOUR * HOUR - 10 * HOUR
    assert u.add("ada", "bob", at=T) is True
    assert u.add("ada", at=T + 60) is False
    assert u.add("ada", "cy", at=T + HOUR) is True
    assert u.count(T) == 2
    assert u.count(T, T + HOUR) == 3  # a union, not a sum
    assert u.count(T + 5 * HOUR) == 0
    assert u.series(T, T + 2 * HOUR) == [(T, 2), (T + HOUR, 2), (T + 2 * HOUR, 0)]
    assert u.count(T + HOUR, T) == 0
    assert 0 < r.ttl(f"{{visitors}}:{T}")
    u.add("now")
    assert u.count() == 1
    many = UniqueCounter(r, "many")
    many.add(*range(1000), at=NOW)
    assert 980 <= many.count(NOW) <= 1020


def test_unique_counter_long_ranges_merge(make: Any) -> None:
    r = make()
    u = UniqueCounter(r, "fine", bucket=1, retention=3600)
    start = int(time.time()) - 1500
    u.add("a", "b", at=start)
    u.add("b", "c", at=start + 700)
    u.add("d", at=start + 1499)
    assert u.count(start, start + 1499) == 4  # 1,500 buckets: PFMERGE path
    assert u.count(start, start + 999) == 3  # 1,000 buckets: one PFCOUNT
    assert r.keys("{fine}:tmp:*") == []


def test_topk(make: Any) -> None:
    r = make(decode_responses=True)
    top = TopK(r, "pages", k=2)
    for page in ["/", "/a", "/", "/b", "/", "/a"]:
        top.add(page)
    assert top.add("/b", by=0.5) == 1.5
    assert top.top() == [("/", 3.0), ("/a", 2.0)]
    assert top.top(k=5) == [("/", 3.0), ("/a", 2.0), ("/b", 1.5)]
    assert top.count("/") == 3.0 and top.count("/zzz") == 0.0
    with pytest.raises(ValueError):
        TopK(r, "x", k=0)
    with pytest.raises(ValueError):
        TopK(r, "x", k=5, capacity=2)


def test_topk_buckets_and_capacity(make: Any) -> None:
    r = make(decode_responses=True)
    top = TopK(r, "searches", k=3, bucket="hour")
    top.add("redis", at=NOW)
    top.add("lua", by=2, at=NOW)
    top.add("redis", by=3, at=NOW + HOUR)
    top.add("rust", at=NOW + HOUR)
    assert top.top(NOW) == [("lua", 2.0), ("redis", 1.0)]
    assert top.top(NOW, NOW + HOUR) == [("redis", 4.0), ("lua", 2.0), ("rust", 1.0)]
    assert top.top(NOW + 9 * HOUR) == []
    assert top.count("redis", at=NOW + HOUR) == 3.0
    assert r.ttl(f"{{searches}}:{NOW}") > 0
    assert r.keys("{searches}:tmp:*") == []
    capped = TopK(r, "capped", k=2, capacity=3)
    for item, n in [("a", 5), ("b", 4), ("c", 3), ("d", 1)]:
        capped.add(item, by=n)
    assert r.zcard("{capped}:all") == 3
    assert capped.top() == [("a", 5.0), ("b", 4.0)]


def test_bucket_keys() -> None:
    assert bucket_keys("hits", "hour", 0, 7200) == ["{hits}:0", "{hits}:3600", "{hits}:7200"]
    assert bucket_keys("hits", 60, 59, 61) == ["{hits}:0", "{hits}:60"]
