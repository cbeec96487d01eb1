# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Chapter 5 — Redis for interviews & production
#
# Design patterns, how Redis compares with other tools, its limits, memory,
# security and monitoring, and the interview questions, each answered by a
# small check that runs.

# %%
import os
import shutil
import socket
import subprocess
import tempfile
import time

import redcore as redis  # was: import redis

URL = os.environ.get("REDIS_URL", "memory://chapter5")
r = redis.Redis.from_url(URL, decode_responses=True)
r.flushdb()

# %load_ext redcore
# %redis_connect $URL

# %% [markdown]
# ## 1. Interview questions, as runnable checks
#
# **Q1. What is Redis and how does it work?** An in-memory store of data
# structures, one command at a time, each command atomic.

# %%
r.set("k", "v")
r.rpush("l", 1, 2)
r.hset("h", "f", "v")
assert (r.type("k"), r.type("l"), r.type("h")) == ("string", "list", "hash")

# %% [markdown]
# **Q2. How is Redis different from Memcached?** Rich types, persistence,
# pub/sub, replication and scripting; Memcached stores opaque strings.

# %%
assert r.eval("return redis.call('LLEN', KEYS[1])", 1, "l") == 2  # scripting
assert r.publish("events", "x") == 0  # pub/sub exists (nobody listens here)

# %% [markdown]
# **Q3. How do you implement a rate limiter?** `INCR` + `EXPIRE` for a fixed
# window; a token or leaky bucket in a Lua script for smooth limits.

# %%
def fixed_window(ip: str, limit: int = 3, window: int = 60) -> bool:
    key = f"api:ip:{ip}"
    with r.pipeline() as pipe:  # MULTI/EXEC: both or neither
        count, _ = pipe.incr(key).expire(key, window, nx=True).execute()
    return count <= limit


assert [fixed_window("123") for _ in range(5)] == [True, True, True, False, False]
assert 0 < r.ttl("api:ip:123") <= 60

# %% [markdown]
# **Q4. What are the persistence options?** RDB snapshots, the AOF log, and
# both (hybrid). (Chapter 4 writes a real `dump.rdb`.)

# %%
cfg = r.config_get("save")
assert "save" in cfg
cfg

# %% [markdown]
# **Q5. How do transactions work?** `MULTI`...`EXEC` runs the queued commands
# as one atomic step; `WATCH` aborts it if a watched key changed.

# %%
# %%redis
WATCH balance
MULTI
SET balance 10
INCR balance
EXEC
GET balance

# %%
with r.pipeline() as pipe:
    pipe.watch("balance")
    r.set("balance", 0)  # another client writes in between
    pipe.multi()
    pipe.incr("balance")
    try:
        pipe.execute()
        raise AssertionError("EXEC should have been aborted")
    except redis.WatchError:
        pass
assert r.get("balance") == "0"

# %% [markdown]
# **Q6. What happens at `maxmemory`?** The `maxmemory-policy` decides:
# `noeviction` refuses writes with an OOM error, `allkeys-lru` evicts the least
# recently used keys, `volatile-ttl` those closest to expiring, and so on.
# Shown on a local redis-server when one is installed (and
# `REDCORE_TUTORIAL_SERVERS` is not `0`):

# %%
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


local = None
if shutil.which("redis-server") and os.environ.get("REDCORE_TUTORIAL_SERVERS") != "0":
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="redcore-chapter5-")
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--dir", workdir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    local = redis.Redis(port=port, decode_responses=True)
    for _ in range(200):
        try:
            local.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.025)
    local.config_set("maxmemory", "2mb")
    local.config_set("maxmemory-policy", "allkeys-lru")
    for i in range(5000):
        local.set(f"page:{i}", "x" * 1000)
    evicted = local.info("stats")["evicted_keys"]
    print("keys kept:", local.dbsize(), "| evicted:", evicted)
    assert evicted > 0
    local.config_set("maxmemory-policy", "noeviction")
    try:
        local.set("one-more", "x" * 100_000)
    except redis.OutOfMemoryError as e:
        print("noeviction refuses the write:", e)
else:
    print("redis-server is not installed: skipped")

# %% [markdown]
# **Q7. How does Redis stay available?** Replicas plus Sentinel for
# failover, or Cluster for sharding (chapter 4 starts both locally).
#
# **From chapter 4:** a cluster has 16,384 hash slots: a key's slot is the
# CRC16 (XMODEM) of the key, or of its `{tag}` part, modulo 16,384. In a few
# lines of Python:

# %%
def key_slot(key: str) -> int:
    data = key.encode()
    start = data.find(b"{")
    if start >= 0:
        end = data.find(b"}", start + 1)
        if end > start + 1:
            data = data[start + 1:end]
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc % 16384


assert key_slot("foo") == 12182  # the value redis-cli's CLUSTER KEYSLOT foo gives
assert key_slot("user:{42}:cart") == key_slot("user:{42}:profile")  # one tag, one slot

# %% [markdown]
# ## 2. Use cases & design patterns

# %%
# %%redis
SETEX user:123:name 300 "Shubhendu"
INCR api:ip:9
EXPIRE api:ip:9 60
LPUSH task:email job1 job2
BRPOP task:email 0
ZADD leaderboard 2000 "Alice" 1500 "Bob"
ZRANGE leaderboard 0 10 WITHSCORES
PUBLISH order_events "order_placed"

# %% [markdown]
# A pattern the guide mentions in passing: a **distributed lock**, so only one
# worker at a time runs a job. redis-py's `Lock` (SET NX PX plus a token):

# %%
lock = r.lock("locks:nightly-report", timeout=10)
assert lock.acquire(blocking=False)
assert not r.lock("locks:nightly-report", timeout=10).acquire(blocking=False)  # taken
lock.release()

# %% [markdown]
# ## 3. Redis vs Memcached vs RabbitMQ vs Kafka
#
# | | Redis | Memcached | RabbitMQ | Kafka |
# | --- | --- | --- | --- | --- |
# | Purpose | cache / store | cache | message queue | distributed log |
# | Durability | RDB / AOF | no | persistent | highly durable |
# | Replay | streams (not pub/sub) | no | no (once acked) | yes |
#
# Pub/sub forgets; a stream remembers and replays from any ID:

# %%
r.xadd("audit", {"event": "login"}, id="1-0")
r.xadd("audit", {"event": "logout"}, id="2-0")
assert [e["event"] for _, e in r.xrange("audit", min="1-0")] == ["login", "logout"]

# %% [markdown]
# ## 4. Limitations and their mitigations
#
# | Limitation | Mitigation |
# | --- | --- |
# | data must fit in RAM | persistence + eviction, compact encodings |
# | one thread runs commands | no O(n) commands on big keys (SCAN, not KEYS); Cluster |
# | pub/sub is fire-and-forget | streams |
# | no rollback | Lua scripts for all-or-nothing logic |
# | multi-key commands need one slot in Cluster | hash tags |
#
# `SCAN` walks the keyspace in small steps instead of blocking on `KEYS *`:

# %%
r.mset({f"product:{i}": i for i in range(500)})
seen = set(r.scan_iter(match="product:*", count=100))
assert len(seen) == 500

# %% [markdown]
# ## 5. Production tips: memory, performance, monitoring, security
#
# **Memory.** Small hashes, lists, sets and sorted sets use compact encodings
# (listpack, intset); they convert to hash tables as they grow. Integers and
# short values are cheaper than big blobs.

# %%
r.hset("small", mapping={"a": 1, "b": 2})
r.hset("big", mapping={f"f{i}": i for i in range(1000)})
r.sadd("ints", 1, 2, 3)
encodings = {k: r.object("encoding", k) for k in ["small", "big", "ints"]}
assert encodings == {"small": "listpack", "big": "hashtable", "ints": "intset"}
print(encodings, "| bytes used by 'big':", r.memory_usage("big"))

# %% [markdown]
# **Performance.** Pipelines send many commands in one round trip (the
# guide's snippet), which matters most over a network:

# %%
pipe = r.pipeline()
pipe.set("a", 1)
pipe.set("b", 2)
pipe.execute()

start = time.perf_counter()
with r.pipeline(transaction=False) as p:
    for i in range(1000):
        p.incr("hits")
    p.execute()
print(f"1000 INCRs in one pipeline: {(time.perf_counter() - start) * 1000:.1f} ms")
assert r.get("hits") == "1000"

# %% [markdown]
# **Monitoring.** `INFO`, `SLOWLOG` and `LATENCY` show what the server is
# doing.

# %%
r.config_set("slowlog-log-slower-than", 0)  # log every command, for the demo
r.slowlog_reset()
r.get("a")
entry = r.slowlog_get(1)[0]
print(entry["command"].decode(), "took", entry["duration"], "µs")  # redis-py gives the command as bytes
r.config_set("slowlog-log-slower-than", 10000)
{k: v for k, v in r.info("server").items() if k in ("redis_version", "redis_mode")}

# %% [markdown]
# **Security.** `requirepass` or ACL users; `protected-mode yes`; TLS for
# anything that leaves the machine. An ACL user that may only `GET`
# (`ACL SETUSER reader on >readerpass ~* +GET`):

# %%
r.acl_setuser("reader", enabled=True, passwords=["+readerpass"], keys=["*"], commands=["+get"], reset=True)
reader = redis.Redis.from_url(URL, decode_responses=True, username="reader", password="readerpass")
assert reader.get("a") == "1"
try:
    reader.set("a", 2)
    raise AssertionError("reader may not SET")
except redis.NoPermissionError as e:
    print("refused:", e)
r.acl_deluser("reader")

# %% [markdown]
# `requirepass` on a local server: a client without the password is refused.

# %%
if local is not None:
    local.config_set("requirepass", "s3cret")
    try:
        redis.Redis(port=port).ping()
    except redis.AuthenticationError as e:
        print("no password:", e)
    assert redis.Redis(port=port, password="s3cret").ping()
    proc.terminate()
    proc.wait(10)
    shutil.rmtree(workdir, ignore_errors=True)
else:
    print("redis-server is not installed: skipped")

# %% [markdown]
# ## 6. Architectures
#
# ```
# [Client] -> [API server] -> [Redis cache] -> [Database]      cache-aside
# [Client] -> [Web app] -> [Redis] -> [worker]                 task queue
# [Sentinel x3] watch [master] --replication--> [replica]      high availability
# [node 1: slots 0-5460] [node 2: 5461-10922] [node 3: 10923-16383]   cluster
# ```
#
# redcore adds one more: the **embedded** engine, for tests, notebooks,
# command-line tools and the edge, with the same client code that later
# points at a server or a cluster.

# %%
print("chapter 5 checks passed")
