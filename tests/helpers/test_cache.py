"""redcore.cache on every backend (embedded, redcore -> server, redis-py ->
server), plus the Rust MessagePack serializer."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import math
import random
import subprocess
import sys
import threading
import time
from typing import Any, List

import pytest

from redcore import _redcore
from redcore.cache import JsonSerializer, MsgpackSerializer, PickleSerializer, cached, invalidate_tags
from redcore.exceptions import DataError


def _lock_key(fn: Any, *args: Any) -> str:
    return fn.key(*args).replace("}:", "}#lock:", 1)


# --- basics ---------------------------------------------------------------


def test_hit_miss_and_stats(make: Any) -> None:
    r = make()
    calls: List[int] = []

    @cached(r, ttl=60)
    def square(x: int) -> int:
        calls.append(x)
        return x * x

    assert square(3) == 9
    assert square(3) == 9
    assert square(4) == 16
    assert calls == [3, 4]
    assert square.stats() == {"hits": 1, "misses": 2, "computations": 2, "stale_hits": 0, "refreshes": 0}
    assert square.stats(reset=True)["hits"] == 1
    assert square.stats() == dict.fromkeys(square.stats(), 0)
    assert 59_000 < r.pttl(square.key(3)) <= 60_000


def test_keys_are_stable_and_bind_arguments(make: Any) -> None:
    r = make()
    calls: List[Any] = []

    @cached(r, ttl=60)
    def f(a: Any, b: Any = 2, *rest: Any, **kw: Any) -> Any:
        calls.append((a, b, rest, kw))
        return [a, b]

    assert f.key(1) == f.key(a=1) == f.key(1, 2) == f.key(1, b=2)
    assert f.key(1) != f.key(1, 3) != f.key(1, 2, 3)
    assert f.key({"x": 1, "y": 2}) == f.key({"y": 2, "x": 1})
    assert f.key({1, 2, 3}) == f.key({3, 2, 1})
    assert f.key(1) != f.key(1.0) != f.key("1") != f.key(True)
    assert f.key((1, 2)) != f.key([1, 2])
    assert f.key(1, z=1) != f.key(1, z=2)
    assert f.key(1).startswith("{cache}:" + __name__ + ".test_keys_are_stable_and_bind_arguments.<locals>.f:")
    f(1)
    f(a=1, b=2)
    assert len(calls) == 1
    with pytest.raises(TypeError, match="cannot derive a cache key"):
        f(object())


class Color(enum.Enum):
    RED = 1


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Account:
    def __init__(self, ident: int) -> None:
        self.ident = ident

    def __cache_key__(self) -> Any:
        return self.ident


def test_key_of_rich_arguments(make: Any) -> None:
    import datetime
    import decimal

    r = make()

    @cached(r, ttl=60)
    def f(x: Any) -> int:
        return 1

    assert f.key(Color.RED) != f.key(1)
    assert f.key(Point(1, 2)) == f.key(Point(1, 2)) != f.key(Point(2, 1))
    assert f.key(Account(5)) == f.key(Account(5)) != f.key(Account(6))
    assert f.key(datetime.date(2024, 1, 2)) != f.key(datetime.date(2024, 1, 3))
    assert f.key(decimal.Decimal("1.10")) != f.key(decimal.Decimal("1.1"))
    assert f(Account(5)) == 1


def test_key_is_the_same_in_another_process() -> None:
    code = (
        "from redcore._cache_util import KeyMaker\n"
        "def price(sku, qty=1, **opts): pass\n"
        "price.__module__ = 'shop'\n"
        "print(KeyMaker(price)((['a', 1.5, {'k': (1, None)}], ), {'flag': True}))\n"
    )
    out = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout for _ in range(2)]
    assert out[0] == out[1]
    assert out[0].startswith("shop.price:") and len(out[0].strip()) == len("shop.price:") + 32


def test_key_option_and_ignore(make: Any) -> None:
    r = make()

    @cached(r, ttl=60, key="user:{uid}:{lang}", namespace="app")
    def user(uid: int, lang: str = "en") -> str:
        return f"{uid}-{lang}"

    @cached(r, ttl=60, key=lambda uid, **_: f"u{uid}")
    def other(uid: int, verbose: bool = False) -> int:
        return uid

    class Repo:
        @cached(r, ttl=60, ignore=("self",))
        def load(self, n: int) -> int:
            return n * 2

    assert user(7) == "7-en"
    assert user.key(7) == "{app}:user:7:en"
    assert r.get("{app}:user:7:en") is not None
    assert other.key(3, verbose=True) == "{cache}:u3"
    assert Repo().load(2) == 4 and Repo().load(2) == 4
    assert Repo.load.stats()["hits"] == 1
    with pytest.raises(ValueError, match="ignore="):
        cached(r, ignore=("nope",))(lambda x: x)


def test_invalidate_refresh_set(make: Any) -> None:
    r = make()
    source = {"a": 1}

    @cached(r, ttl=60)
    def get(name: str) -> Any:
        return source.get(name)

    assert get("a") == 1
    source["a"] = 2
    assert get("a") == 1
    assert get.invalidate("a") is True
    assert get.invalidate("a") is False
    assert get("a") == 2
    source["a"] = 3
    assert get.refresh("a") == 3
    assert get("a") == 3
    assert get.set(10, "a") is True
    assert get("a") == 10
    assert r.get(get.key("a")).startswith(b"v")


def test_none_is_cached_only_when_asked(make: Any) -> None:
    r = make()
    calls: List[str] = []

    @cached(r, ttl=60)
    def plain(x: str) -> None:
        calls.append("plain")

    @cached(r, ttl=60, cache_none=True)
    def sentinel(x: str) -> None:
        calls.append("sentinel")

    for _ in range(3):
        assert plain("k") is None
        assert sentinel("k") is None
    assert calls.count("plain") == 3 and calls.count("sentinel") == 1
    assert r.get(sentinel.key("k")) == b"n"
    assert r.exists(plain.key("k"), _lock_key(plain, "k")) == 0
    # Storing None without cache_none drops the old entry.
    assert plain.set(1, "k") is True and plain("k") == 1
    assert plain.set(None, "k") is False
    assert r.exists(plain.key("k")) == 0
    plain.set(2, "k")
    assert plain.refresh("k") is None and r.exists(plain.key("k")) == 0


def test_tags(make: Any) -> None:
    r = make()
    calls: List[str] = []

    @cached(r, ttl=60, tags=lambda uid: [f"user:{uid}", "users"])
    def profile(uid: int) -> dict:
        calls.append(f"p{uid}")
        return {"id": uid}

    @cached(r, ttl=30, tags=["users"])
    def count() -> int:
        calls.append("count")
        return 2

    profile(1), profile(2), count()
    assert 59_000 < r.pttl("{cache}#tag:users") <= 60_000
    assert invalidate_tags(r, "user:1") == 1
    profile(1), profile(2), count()
    assert calls == ["p1", "p2", "count", "p1"]
    assert invalidate_tags(r, "users", "user:2") == 3
    assert r.keys("{cache}#tag:*") == [b"{cache}#tag:user:1"]  # profile(1) was re-cached since
    profile(2), count()
    assert calls[-2:] == ["p2", "count"]
    assert invalidate_tags(r, "nothing") == 0
    assert invalidate_tags(r) == 0
    assert invalidate_tags(r, "users", namespace="other") == 0
    # Everything a cache writes shares the namespace's hash tag.
    assert all(k.startswith(b"{cache}") for k in r.keys("*"))


def test_tag_sets_of_unexpiring_entries_persist(make: Any) -> None:
    r = make()

    @cached(r, ttl=None, tags=["t"])
    def forever() -> int:
        return 1

    @cached(r, ttl=5, tags=["t"])
    def short() -> int:
        return 2

    short()
    assert r.pttl("{cache}#tag:t") > 0
    forever()
    assert r.pttl("{cache}#tag:t") == -1 and r.pttl(forever.key()) == -1
    short.invalidate()
    short()
    assert r.pttl("{cache}#tag:t") == -1


@pytest.mark.parametrize("serializer", ["msgpack", "json", "pickle", "custom"])
def test_serializers(make: Any, serializer: Any) -> None:
    r = make()

    class Upper:
        def dumps(self, obj: Any) -> bytes:
            return str(obj).upper().encode()

        def loads(self, data: bytes) -> Any:
            return data.decode()

    chosen = Upper() if serializer == "custom" else serializer

    @cached(r, ttl=60, serializer=chosen)
    def value() -> Any:
        return {"k": [1, 2.5, "é"]}

    first, second = value(), value()
    if serializer == "custom":
        assert second == "{'K': [1, 2.5, 'É']}"
    else:
        assert first == second == {"k": [1, 2.5, "é"]}
    assert value.stats()["hits"] == 1


def test_bad_configuration(make: Any) -> None:
    r = make()
    with pytest.raises(ValueError, match="decode_responses"):
        cached(make(decode_responses=True))(lambda: 1)
    with pytest.raises(ValueError, match="unknown serializer"):
        cached(r, serializer="yaml")(lambda: 1)
    with pytest.raises(TypeError):
        cached(r, serializer=object())(lambda: 1)
    with pytest.raises(ValueError):
        cached(r, stampede="nope")(lambda: 1)
    with pytest.raises(ValueError):
        cached(r, ttl=None, stampede="stale")(lambda: 1)
    with pytest.raises(ValueError):
        cached(r, ttl=10, refresh_ahead=10)(lambda: 1)


def test_unserializable_result_raises_and_frees_the_lock(make: Any) -> None:
    r = make()

    @cached(r, ttl=60)
    def bad() -> Any:
        return {1, 2}

    with pytest.raises(DataError, match="'set'"):
        bad()
    assert r.exists(_lock_key(bad)) == 0


def test_exception_releases_the_lock(make: Any) -> None:
    r = make()
    attempts: List[int] = []

    @cached(r, ttl=60, lock_timeout=30)
    def flaky() -> int:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("boom")
        return 5

    with pytest.raises(RuntimeError):
        flaky()
    assert r.exists(_lock_key(flaky)) == 0
    started = time.monotonic()
    assert flaky() == 5
    assert time.monotonic() - started < 1


def test_unreadable_entry_is_recomputed(make: Any) -> None:
    r = make()

    @cached(r, ttl=60)
    def f() -> int:
        return 3

    r.set(f.key(), b"garbage")
    assert f() == 3
    assert f() == 3
    assert f.stats()["computations"] == 1


# --- stampede protection ---------------------------------------------------


def test_50_threads_on_a_cold_key_compute_once(make: Any) -> None:
    r = make()
    calls: List[int] = []

    @cached(r, ttl=60)
    def slow(x: int) -> int:
        calls.append(x)
        time.sleep(0.1)
        return x + 1

    barrier = threading.Barrier(50, timeout=30)
    results: List[int] = []

    def worker() -> None:
        barrier.wait()
        results.append(slow(41))

    threads = [threading.Thread(target=worker) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [42] * 50
    assert calls == [41]
    stats = slow.stats()
    assert stats["computations"] == 1 and stats["hits"] + stats["misses"] == 50


def test_waiters_give_up_after_lock_timeout(make: Any) -> None:
    r = make()

    @cached(r, ttl=60, lock_timeout=0.15)
    def f() -> int:
        return 1

    r.set(_lock_key(f), "someone-else", px=5000)
    started = time.monotonic()
    assert f() == 1
    assert 0.1 < time.monotonic() - started < 2
    # The other holder still owns the computation: nothing was stored.
    assert r.get(f.key()) is None


def test_invalidation_voids_a_running_computation(make: Any) -> None:
    r = make()
    entered, release = threading.Event(), threading.Event()
    version = {"v": 1}

    @cached(r, ttl=60)
    def read() -> int:
        seen = version["v"]
        entered.set()
        release.wait(5)
        return seen

    out: List[int] = []
    t = threading.Thread(target=lambda: out.append(read()))
    t.start()
    assert entered.wait(5)
    version["v"] = 2
    assert read.invalidate() is False
    release.set()
    t.join()
    assert out == [1]
    assert r.get(read.key()) is None
    entered.clear()
    assert read() == 2


def test_stale_mode_serves_the_old_value_while_one_recomputes(make: Any) -> None:
    r = make()
    counter = {"n": 0}

    @cached(r, ttl=0.1, stampede="stale", stale_ttl=30)
    def now() -> int:
        counter["n"] += 1
        return counter["n"]

    assert now() == 1
    assert 29_000 < r.pttl(now.key()) <= 30_100
    time.sleep(0.15)
    # Someone else is recomputing: we get the stale value at once.
    r.set(_lock_key(now), "other", px=5000)
    assert now() == 1
    assert now.stats()["stale_hits"] == 1
    r.delete(_lock_key(now))
    # We are the one who recomputes.
    assert now() == 2
    assert now() == 2
    assert now.stats()["computations"] == 2


def test_refresh_ahead_refreshes_in_the_background(make: Any) -> None:
    r = make()
    counter = {"n": 0}
    done = threading.Event()

    @cached(r, ttl=1.0, refresh_ahead=0.8)
    def value() -> int:
        counter["n"] += 1
        if counter["n"] == 2:
            done.set()
        return counter["n"]

    assert value() == 1
    time.sleep(0.25)
    assert value() == 1  # near expiry: still the current value...
    assert done.wait(5)  # ...while a thread recomputes
    deadline = time.monotonic() + 5
    while value() != 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert value.stats()["refreshes"] == 1
    assert r.pttl(value.key()) > 600


# --- async -----------------------------------------------------------------


def test_async_functions(make: Any) -> None:
    r = make()
    calls: List[int] = []

    @cached(r, ttl=60)
    async def fetch(x: int) -> int:
        calls.append(x)
        await asyncio.sleep(0.05)
        return x * 10

    async def main() -> List[int]:
        results = await asyncio.gather(*(fetch(1) for _ in range(20)))
        assert await fetch(1) == 10
        assert await fetch.refresh(1) == 10
        return list(results)

    assert asyncio.run(main()) == [10] * 20
    assert calls == [1, 1]
    assert fetch.stats()["computations"] == 2


def test_async_refresh_ahead_and_writer(make: Any) -> None:
    r = make()
    store = {"k": 1}

    @cached(r, ttl=1.0, refresh_ahead=0.8)
    async def load(name: str) -> int:
        return store[name]

    @load.writer
    async def save(value: int, name: str) -> None:
        store[name] = value

    async def main() -> None:
        assert await load("k") == 1
        store["k"] = 2
        await asyncio.sleep(0.25)
        assert await load("k") == 1
        for _ in range(100):
            await asyncio.sleep(0.01)
            if await load("k") == 2:
                break
        assert await load("k") == 2
        await save(5, "k")
        assert store["k"] == 5 and await load("k") == 5

    asyncio.run(main())
    assert load.stats()["refreshes"] == 1


def test_write_through(make: Any) -> None:
    r = make()
    db = {1: "ada"}

    @cached(r, ttl=60, key="user:{uid}")
    def user(uid: int) -> str:
        return db[uid]

    @user.writer
    def save(name: str, uid: int) -> str:
        if name == "":
            raise ValueError("empty")
        db[uid] = name
        return "saved"

    assert user(1) == "ada"
    assert save("grace", 1) == "saved"
    assert db[1] == "grace" and r.get("{cache}:user:1") == b"v" + _redcore.msgpack_dumps("grace")
    assert user(1) == "grace" and user.stats()["computations"] == 1
    with pytest.raises(ValueError):
        save("", 1)
    assert r.get("{cache}:user:1") is None


# --- MessagePack ---------------------------------------------------------------

KNOWN = [
    (None, b"\xc0"),
    (True, b"\xc3"),
    (False, b"\xc2"),
    (0, b"\x00"),
    (127, b"\x7f"),
    (128, b"\xcc\x80"),
    (65535, b"\xcd\xff\xff"),
    (65536, b"\xce\x00\x01\x00\x00"),
    (2**64 - 1, b"\xcf" + b"\xff" * 8),
    (-1, b"\xff"),
    (-32, b"\xe0"),
    (-33, b"\xd0\xdf"),
    (-129, b"\xd1\xff\x7f"),
    (-(2**63), b"\xd3\x80" + b"\x00" * 7),
    (1.5, b"\xcb\x3f\xf8" + b"\x00" * 6),
    (float("inf"), b"\xcb\x7f\xf0" + b"\x00" * 6),
    ("", b"\xa0"),
    ("abc", b"\xa3abc"),
    ("x" * 32, b"\xd9\x20" + b"x" * 32),
    ("x" * 256, b"\xda\x01\x00" + b"x" * 256),
    ("é", b"\xa2\xc3\xa9"),
    (b"", b"\xc4\x00"),
    (b"\x00\xff", b"\xc4\x02\x00\xff"),
    ([], b"\x90"),
    ([1, [2]], b"\x92\x01\x91\x02"),
    (list(range(16)), b"\xdc\x00\x10" + bytes(range(16))),
    ({}, b"\x80"),
    ({"a": 1, "b": None}, b"\x82\xa1a\x01\xa1b\xc0"),
    ({1: b"x"}, b"\x81\x01\xc4\x01x"),
    (2**64, b"\xc7\x09\x01\x01" + b"\x00" * 8),
    (-(2**63) - 1, b"\xc7\x09\x01\xff\x7f" + b"\xff" * 7),
]


@pytest.mark.parametrize("value,packed", KNOWN, ids=[repr(v)[:20] for v, _ in KNOWN])
def test_msgpack_matches_the_msgpack_format(value: Any, packed: bytes) -> None:
    assert _redcore.msgpack_dumps(value) == packed
    assert _redcore.msgpack_loads(packed) == value


def test_msgpack_reads_what_other_writers_produce() -> None:
    # Formats our writer does not choose but other writers may.
    assert _redcore.msgpack_loads(b"\xca\x3f\xc0\x00\x00") == 1.5  # float 32
    assert _redcore.msgpack_loads(b"\xd0\x05") == 5  # int 8 for a positive
    assert _redcore.msgpack_loads(b"\xcd\x00\x01") == 1  # uint 16 for a small one
    assert _redcore.msgpack_loads(b"\xdd\x00\x00\x00\x01\xc3") == [True]  # array 32
    assert _redcore.msgpack_loads(b"\xde\x00\x01\xa1k\x90") == {"k": []}  # map 16
    assert _redcore.msgpack_loads(b"\xa2\xff\xfe") == b"\xff\xfe"  # str with bad UTF-8 -> bytes


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    kinds = ["none", "bool", "int", "bigint", "float", "str", "bytes"]
    if depth < 4:
        kinds += ["list", "tuple", "dict"]
    kind = rng.choice(kinds)
    if kind == "none":
        return None
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "int":
        return rng.choice([rng.randint(-40, 300), rng.randint(-(2**63), 2**64 - 1), rng.randint(-(2**31), 2**32)])
    if kind == "bigint":
        return rng.choice([1, -1]) * rng.randint(2**64, 2**200)
    if kind == "float":
        return rng.choice([rng.uniform(-1e300, 1e300), rng.random(), float("inf"), float("-inf"), -0.0, 5e-324])
    if kind == "str":
        return "".join(chr(rng.choice([rng.randint(32, 126), rng.randint(0xA0, 0xD7FF), rng.randint(0x10000, 0x10FFFF)])) for _ in range(rng.randint(0, 40)))
    if kind == "bytes":
        return bytes(rng.randint(0, 255) for _ in range(rng.randint(0, 300)))
    if kind in ("list", "tuple"):
        items = [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 6))]
        return items if kind == "list" else tuple(items)
    keys = [rng.choice([rng.randint(-5, 5), "k" + str(rng.randint(0, 99)), b"b" + bytes([rng.randint(0, 255)]), None, 1.5, False])
            for _ in range(rng.randint(0, 6))]
    return {k: _random_value(rng, depth + 1) for k in keys}


def _as_loaded(value: Any) -> Any:
    """What a round trip gives back: tuples as lists."""
    if isinstance(value, (list, tuple)):
        return [_as_loaded(v) for v in value]
    if isinstance(value, dict):
        return {k: _as_loaded(v) for k, v in value.items()}
    return value


def test_msgpack_round_trips_random_values() -> None:
    rng = random.Random(20240611)
    for _ in range(400):
        value = _random_value(rng)
        assert _redcore.msgpack_loads(_redcore.msgpack_dumps(value)) == _as_loaded(value)
    nan = _redcore.msgpack_loads(_redcore.msgpack_dumps([float("nan")]))[0]
    assert math.isnan(nan)
    assert math.copysign(1, _redcore.msgpack_loads(_redcore.msgpack_dumps(-0.0))) == -1
    deep: Any = "leaf"
    for _ in range(200):
        deep = [deep, {"k": deep}] if _ < 3 else [deep]
    assert _redcore.msgpack_loads(_redcore.msgpack_dumps(deep)) == deep
    assert _redcore.msgpack_loads(_redcore.msgpack_dumps(bytearray(b"ab"))) == b"ab"
    assert _redcore.msgpack_loads(memoryview(_redcore.msgpack_dumps(memoryview(b"cd")))) == b"cd"


def test_msgpack_errors() -> None:
    class Thing:
        pass

    for value, name in [({1}, "'set'"), (Thing(), "'Thing'"), ([1, {"a": object()}], "'object'"), ({(1,): 2}, "dict key of type 'tuple'")]:
        with pytest.raises(DataError, match=name):
            _redcore.msgpack_dumps(value)
    with pytest.raises(DataError, match="surrogates"):
        _redcore.msgpack_dumps("\ud800")
    loop: List[Any] = []
    loop.append(loop)
    with pytest.raises(DataError, match="nesting"):
        _redcore.msgpack_dumps(loop)
    for bad in [b"", b"\x92\x01", b"\xc1", b"\xc0\xc0", b"\xd4\x05\x00", b"\x81\x91\x01\x02", b"\x91" * 600 + b"\xc0"]:
        with pytest.raises(DataError):
            _redcore.msgpack_loads(bad)
    with pytest.raises(TypeError):
        _redcore.msgpack_loads("text")


def test_serializer_objects() -> None:
    assert MsgpackSerializer().loads(MsgpackSerializer().dumps((1, "a"))) == [1, "a"]
    assert JsonSerializer().dumps({"a": [1]}) == b'{"a":[1]}'
    assert PickleSerializer().loads(PickleSerializer().dumps({1, 2})) == {1, 2}
