"""maxmemory: memory accounting (INFO memory, MEMORY USAGE / STATS /
DOCTOR), eviction by each of the eight policies, and the OOM error.

Behaviour that the oracle can be driven to (``noeviction`` with a tiny
limit: which commands are refused, in scripts and transactions too; the
names and types of the INFO and MEMORY STATS fields) runs on every backend.
Eviction by policy runs on the embedded engine, configured at startup with
``config={"maxmemory": ..., "maxmemory-policy": ...}``: the figures differ
by implementation, the rules do not.
"""

import hashlib
import random
import time
from typing import Any, Dict, Iterator

import pytest

import redcore

OOM = "command not allowed when used memory > 'maxmemory'."

# Redis reports about 865K for an empty server; the embedded engine uses
# the same baseline, so a 2MB limit leaves ~1.1MB for data.
LIMIT = 2 * 1024 * 1024


@pytest.fixture
def full(r: Any) -> Iterator[Any]:
    """``r`` with one key and ``maxmemory`` 1 byte under ``noeviction``;
    the server's settings are restored afterwards (it is shared)."""
    r.set("a", "1")
    r.config_set("maxmemory-policy", "noeviction")
    r.config_set("maxmemory", 1)
    try:
        yield r
    finally:
        r.config_set("maxmemory", 0)


def oom_text(r: Any, f: Any) -> str:
    with pytest.raises(r.exc.OutOfMemoryError) as e:
        f()
    return str(e.value)


def test_noeviction_refuses_growing_commands_only(full: Any) -> None:
    r = full
    assert oom_text(r, lambda: r.set("b", "2")) == OOM
    assert oom_text(r, lambda: r.incr("a")) == OOM
    assert oom_text(r, lambda: r.rpush("l", 1)) == OOM
    assert r.get("a") == b"1"
    assert r.exists("a") == 1
    assert r.expire("a", 100) is True
    assert r.delete("a") == 1
    stats = r.info("stats")
    assert isinstance(stats["evicted_keys"], int)
    assert isinstance(stats["expired_keys"], int)


def test_transactions_and_scripts_under_oom(full: Any) -> None:
    r = full
    pipe = r.pipeline(transaction=True)
    pipe.set("m", 1)
    pipe.get("m")
    assert OOM in oom_text(r, pipe.execute)
    # A script without a shebang runs; its first growing command fails.
    text = oom_text(r, lambda: r.eval("return redis.call('set','x','1')", 0))
    assert text.startswith(OOM + " script: ")
    assert r.eval("return redis.call('get','a')", 0) == b"1"
    reply = r.eval("local e = redis.pcall('set','x','1') return e['err']", 0)
    assert reply == b"OOM " + OOM.encode()
    # Declared flags: refused up front unless allow-oom or no-writes.
    assert oom_text(r, lambda: r.eval("#!lua\nreturn redis.call('get','x')", 0)) == OOM
    assert r.eval("#!lua flags=no-writes\nreturn redis.call('get','a')", 0) == b"1"
    assert r.eval("#!lua flags=allow-oom\nreturn redis.call('set','x','1')", 0) == b"OK"


def test_functions_under_oom(full: Any) -> None:
    r = full
    r.config_set("maxmemory", 0)
    r.function_load(
        "#!lua name=mmlib\n"
        "redis.register_function('mmset', function(k, a) return redis.call('set', k[1], a[1]) end)\n"
        "redis.register_function{function_name='mmoom', callback=function(k, a)"
        " return redis.call('set', k[1], a[1]) end, flags={'allow-oom'}}\n"
        "redis.register_function{function_name='mmget', callback=function(k, a)"
        " return redis.call('get', k[1]) end, flags={'no-writes'}}\n",
        replace=True,
    )
    try:
        r.config_set("maxmemory", 1)
        assert oom_text(r, lambda: r.fcall("mmset", 1, "f", "v")) == OOM
        assert r.fcall("mmoom", 1, "f", "v") == b"OK"
        assert r.fcall("mmget", 1, "f") == b"v"
    finally:
        r.config_set("maxmemory", 0)
        r.function_delete("mmlib")


def test_scripts_are_judged_by_their_declared_flags_under_oom(make: Any) -> None:
    """Redis 7.0 takes a script's or function's declared flags as the
    command's: without allow-oom or no-writes it is refused up front with
    the OOM error, whichever command runs it (EVALSHA, EVAL_RO, FCALL_RO
    too); one queued in MULTI before its script was loaded is refused as
    EXEC runs it, with the scripts' own OOM text."""
    r = make()
    one = make(single_connection_client=True)
    r.script_flush()  # the oracle is shared: no script is known yet
    r.set("a", "1")
    sha = r.script_load("#!lua\nreturn redis.call('set', KEYS[1], '2')")
    late = "#!lua\nreturn redis.call('get', KEYS[1])"
    r.function_load(
        "#!lua name=oomflags\n"
        "redis.register_function('ofw', function(k, a) return redis.call('get', k[1]) end)\n"
        "redis.register_function{function_name='ofr', callback=function(k, a)"
        " return redis.call('get', k[1]) end, flags={'no-writes'}}\n",
        replace=True,
    )
    assert one.execute_command("MULTI") in (b"OK", True)
    assert one.execute_command("EVALSHA", hashlib.sha1(late.encode()).hexdigest(), 1, "a") == b"QUEUED"
    assert one.execute_command("EVAL", "#!lua flags=no-writes\nreturn 7", 0) == b"QUEUED"
    r.script_load(late)
    r.config_set("maxmemory-policy", "noeviction")
    r.config_set("maxmemory", 1)
    try:
        assert oom_text(r, lambda: r.evalsha(sha, 1, "a")) == OOM
        assert oom_text(r, lambda: r.evalsha_ro(sha, 1, "a")) == OOM
        assert oom_text(r, lambda: r.eval_ro("#!lua\nreturn 1", 0)) == OOM
        assert oom_text(r, lambda: r.fcall_ro("ofw", 1, "a")) == OOM
        assert r.fcall_ro("ofr", 1, "a") == b"1"
        assert r.evalsha_ro(r.script_load("#!lua flags=no-writes\nreturn 3"), 0) == 3
        refused, ran = one.execute_command("EXEC")
        assert isinstance(refused, Exception), refused
        assert "allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'" in str(refused)
        assert ran == 7
        assert r.get("a") == b"1"
    finally:
        r.config_set("maxmemory", 0)
        r.function_delete("oomflags")
        one.close()


def test_info_memory_and_memory_stats_fields_match_the_oracle(pair: Dict[str, Any]) -> None:
    shapes = {}
    for name, c in pair.items():
        c.set("k", "v")
        c.set("t", "v", ex=100)
        c.rpush("l", *range(10))
        memory = c.info("memory")
        stats = c.memory_stats()
        shapes[name] = (
            {k: type(v) for k, v in memory.items()},
            {k: type(v) for k, v in stats.items()},
        )
        assert memory["used_memory"] > memory["used_memory_startup"] > 0
        assert memory["maxmemory"] == 0
        assert memory["maxmemory_policy"] == "noeviction"
        assert stats["keys.count"] == 3
        assert set(stats["db.0"]) == {
            "overhead.hashtable.main",
            "overhead.hashtable.expires",
            "overhead.hashtable.slot-to-keys",
        }
        assert c.memory_usage("k") > 0
        assert c.memory_usage("missing") is None
        text = c.execute_command("MEMORY", "DOCTOR")
        assert isinstance(text, (bytes, str)) and len(text) > 0
        assert isinstance(c.execute_command("MEMORY", "MALLOC-STATS"), (bytes, str))
    emb, ora = shapes["embedded"], shapes["oracle"]
    assert emb[0] == ora[0]
    assert emb[1] == ora[1]


def test_info_memory_reports_the_limit_and_policy(r: Any) -> None:
    r.config_set("maxmemory", "100mb")
    r.config_set("maxmemory-policy", "allkeys-lru")
    try:
        info = r.info("memory")
        assert info["maxmemory"] == 100 * 1024 * 1024
        assert info["maxmemory_human"] == "100.00M"
        assert info["maxmemory_policy"] == "allkeys-lru"
    finally:
        r.config_set("maxmemory", 0)
        r.config_set("maxmemory-policy", "noeviction")


# -- embedded engine: accounting ------------------------------------------------


def embedded(**config: Any) -> Any:
    return redcore.Redis(config=config)


def used(r: Any) -> int:
    return int(r.info("memory")["used_memory"])


def test_used_memory_follows_the_data() -> None:
    r = embedded()
    base = used(r)
    pipe = r.pipeline(transaction=False)
    for i in range(5000):
        pipe.set(f"key:{i}", f"value:{i}")
    pipe.execute()
    grown = used(r) - base
    # About 90 bytes a key (slot, index share, inline key and value).
    assert 50 * 5000 < grown < 200 * 5000, grown
    r.hset("h", mapping={f"f{i}": "x" * 100 for i in range(1000)})
    with_hash = used(r)
    assert with_hash - base - grown > 1000 * 100
    assert r.memory_usage("h") > 1000 * 100
    assert r.memory_usage("h", samples=0) > 1000 * 100
    r.delete("h")
    assert used(r) == base + grown
    r.flushall()
    assert used(r) == base
    peak = r.info("memory")["used_memory_peak"]
    assert peak >= with_hash


# -- embedded engine: eviction ----------------------------------------------------

ALLKEYS = ["allkeys-lru", "allkeys-lfu", "allkeys-random"]
VOLATILE = ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"]


def stream(r: Any, total_bytes: int, ttl: Any = None, prefix: str = "s") -> int:
    """Writes ``total_bytes`` of 100-byte values (as new keys), checking that
    used memory stays under the limit; returns how many keys were written."""
    limit = r.info("memory")["maxmemory"]
    n = total_bytes // 100
    pipe = r.pipeline(transaction=False)
    for i in range(n):
        pipe.set(f"{prefix}:{i}", "x" * 100, ex=ttl)
        if i % 500 == 499:
            pipe.execute()
            assert used(r) <= limit
    pipe.execute()
    assert used(r) <= limit
    return n


@pytest.mark.parametrize("policy", ALLKEYS)
def test_allkeys_policies_keep_memory_under_the_limit(policy: str) -> None:
    r = embedded(maxmemory=LIMIT, **{"maxmemory-policy": policy})
    n = stream(r, 10 * LIMIT)
    evicted = r.info("stats")["evicted_keys"]
    assert evicted > n // 2
    assert r.dbsize() + evicted == n


@pytest.mark.parametrize("policy", VOLATILE)
def test_volatile_policies_only_evict_keys_with_a_ttl(policy: str) -> None:
    r = embedded(maxmemory=LIMIT, **{"maxmemory-policy": policy})
    for i in range(100):
        r.set(f"keep:{i}", "y" * 100)
    n = stream(r, 10 * LIMIT, ttl=3600)
    assert all(r.exists(f"keep:{i}") for i in range(100))
    assert r.info("stats")["evicted_keys"] > n // 2
    # With nothing volatile left to evict, writes fail.
    r.config_set("maxmemory", r.info("memory")["used_memory_startup"] + 1000)
    assert r.dbsize() == 100
    with pytest.raises(redcore.exceptions.OutOfMemoryError):
        r.set("more", "z")


def test_volatile_ttl_evicts_the_nearest_deadline_first() -> None:
    r = embedded(maxmemory=LIMIT, **{"maxmemory-policy": "volatile-ttl"})
    n = LIMIT * 3 // 100
    pipe = r.pipeline(transaction=False)
    order = list(range(n))
    random.shuffle(order)
    for i in order:
        # Key i expires after 10000 + i seconds: low i first.
        pipe.set(f"t:{i}", "x" * 100, ex=10_000 + i)
    pipe.execute()
    kept = [int(k.split(b":")[1]) for k in r.keys("t:*")]
    assert 0 < len(kept) < n
    # Survivors are the far deadlines: sampling approximates the order.
    assert sum(kept) / len(kept) > n * 0.6
    assert sum(1 for i in kept if i < n // 4) < len(kept) // 10


def hot_set_survivors(policy: str, seconds: float = 0) -> int:
    """Streams new keys while reading a hot set of 50 keys after every
    batch; returns how many hot keys survive. With ``seconds`` 0 it writes
    10x the limit at full speed; otherwise it writes 1KB values at ~300
    keys a second for that long, so that the cache spans a few seconds
    (the LRU clock counts seconds)."""
    r = embedded(maxmemory=LIMIT, **{"maxmemory-policy": policy})
    hot = [f"hot:{i}" for i in range(50)]
    for k in hot:
        r.set(k, "h" * 100)
    size, batch, pause = (1000, 30, 0.1) if seconds else (100, 200, 0.0)
    start, i, written = time.monotonic(), 0, 0
    pipe = r.pipeline(transaction=False)
    while (written < 10 * LIMIT) if not seconds else (time.monotonic() - start < seconds):
        for _ in range(batch):
            pipe.set(f"cold:{i}", "c" * size)
            i += 1
        pipe.execute()
        written += batch * size
        r.mget(hot)
        time.sleep(pause)
    assert r.info("stats")["evicted_keys"] > 0
    return sum(r.exists(k) for k in hot)


def test_lfu_keeps_a_hot_set() -> None:
    lfu = hot_set_survivors("allkeys-lfu")
    rnd = hot_set_survivors("allkeys-random")
    assert lfu >= 45 and lfu > rnd + 10, (lfu, rnd)


def lru_phases(policy: str) -> int:
    """Fills the cache with cold keys, lets a second pass, reads a hot set
    of 50 keys, then writes new keys worth 80% of the cold ones; returns
    how many hot keys survive."""
    r = embedded(maxmemory=LIMIT, **{"maxmemory-policy": policy})
    hot = [f"hot:{i}" for i in range(50)]
    for k in hot:
        r.set(k, "h" * 100)
    pipe = r.pipeline(transaction=False)
    cold = 0
    while used(r) < LIMIT * 0.9:
        for _ in range(100):
            pipe.set(f"cold:{cold}", "c" * 100)
            cold += 1
        pipe.execute()
    assert r.info("stats")["evicted_keys"] == 0
    # The LRU clock counts seconds, as Redis's does.
    time.sleep(1.1)
    r.mget(hot)
    for i in range(cold * 9 // 10):
        pipe.set(f"new:{i}", "n" * 100)
    pipe.execute()
    assert r.info("stats")["evicted_keys"] > cold // 2
    return sum(r.exists(k) for k in hot)


def test_lru_keeps_a_hot_set_better_than_random() -> None:
    lru = lru_phases("allkeys-lru")
    rnd = lru_phases("allkeys-random")
    assert lru >= 45 and lru > rnd + 10, (lru, rnd)


@pytest.mark.long
def test_lru_keeps_a_hot_set_long() -> None:
    lru = hot_set_survivors("allkeys-lru", 10)
    rnd = hot_set_survivors("allkeys-random", 10)
    assert lru >= 45 and lru > rnd + 25, (lru, rnd)


def test_config_set_lower_maxmemory_evicts_at_once() -> None:
    r = embedded(**{"maxmemory-policy": "allkeys-random"})
    pipe = r.pipeline(transaction=False)
    for i in range(2000):
        pipe.set(f"k:{i}", "x" * 500)
    pipe.execute()
    target = (used(r) + r.info("memory")["used_memory_startup"]) // 2
    r.config_set("maxmemory", target)
    assert used(r) <= target
    assert r.dbsize() < 1200
    assert r.info("stats")["evicted_keys"] + r.dbsize() == 2000


def test_evictions_raise_the_evicted_event() -> None:
    r = embedded(**{"maxmemory-policy": "allkeys-random", "notify-keyspace-events": "Ee"})
    p = r.pubsub()
    p.subscribe("__keyevent@0__:evicted")
    assert p.get_message(timeout=1)["type"] == "subscribe"
    for i in range(200):
        r.set(f"k:{i}", "x" * 500)
    r.config_set("maxmemory", used(r) - 20_000)
    evicted = r.info("stats")["evicted_keys"]
    assert evicted > 0
    got = []
    while True:
        m = p.get_message(timeout=0.5)
        if m is None:
            break
        got.append(m["data"])
    assert len(got) == evicted
    assert all(r.exists(k) == 0 for k in got)
    p.close()


def test_default_policy_is_noeviction_with_a_limit() -> None:
    r = embedded(maxmemory=LIMIT)
    with pytest.raises(redcore.exceptions.OutOfMemoryError, match="maxmemory"):
        stream(r, 10 * LIMIT)
    assert r.info("stats")["evicted_keys"] == 0
    assert r.get("s:0") == b"x" * 100


# -- embedded engine: eviction warnings in the log --------------------------------


def _evict_records(caplog: Any, *texts: str) -> list:
    return [
        m
        for m in caplog.records
        if m.name == "redcore.engine.evict" and all(t in m.getMessage() for t in texts)
    ]


def test_eviction_warnings_are_logged_and_rate_limited(caplog: Any) -> None:
    """Evictions and eviction coming up short (then OOM) are logged as
    warnings under ``redcore.engine.evict``, at most one of each kind per
    10 s, so a write storm over the limit gives one line, not thousands."""
    import logging

    with caplog.at_level(logging.WARNING, logger="redcore"):
        r = embedded(**{"maxmemory": LIMIT, "maxmemory-policy": "allkeys-random"})
        stream(r, 3 * LIMIT)  # ~60,000 writes, most of them evicting
        assert r.info("stats")["evicted_keys"] > 10_000
        deadline = time.time() + 5
        # Other tests' engines may still log meanwhile: only this one's
        # policy counts.
        while not _evict_records(caplog, "keys evicted", "maxmemory-policy allkeys-random"):
            assert time.time() < deadline, [m.getMessage() for m in caplog.records]
            time.sleep(0.02)
        evicted = _evict_records(caplog, "keys evicted", "maxmemory-policy allkeys-random")
        assert 1 <= len(evicted) <= 3, [m.getMessage() for m in evicted]
        assert evicted[0].levelno == logging.WARNING
        assert "allkeys-random" in evicted[0].getMessage()
        # Nothing evictable left under volatile-lru (no key has a TTL).
        r.config_set("maxmemory-policy", "volatile-lru")
        refused = 0
        for i in range(500):
            try:
                r.set(f"more:{i}", "x" * 100)
            except redcore.exceptions.ResponseError as e:
                assert str(e) == OOM
                refused += 1
        assert refused > 450, refused
        while not _evict_records(caplog, "volatile-lru found no key it may evict"):
            assert time.time() < deadline + 5
            time.sleep(0.02)
        time.sleep(0.2)
        stuck = _evict_records(caplog, "volatile-lru found no key it may evict")
        assert len(stuck) == 1, [m.getMessage() for m in stuck]
        assert "volatile-lru found no key it may evict" in stuck[0].getMessage()
