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
# # Chapter 4 — Persistence, replication, Sentinel, Cluster, Lua and streams
#
# Persistence writes real files, here from the embedded engine. Replication,
# Sentinel and Cluster are about several server processes: those cells start
# local `redis-server` / `redis-sentinel` processes on free loopback ports when
# the programs are installed (Debian: `apt install redis-server
# redis-sentinel redis-tools`), talk to them with the same redcore client,
# and stop them at the end; without the programs (or with the environment
# variable `REDCORE_TUTORIAL_SERVERS=0`) they say so and skip.

# %%
import atexit
import os
import shutil
import socket
import subprocess
import tempfile
import time

import redcore as redis  # was: import redis

URL = os.environ.get("REDIS_URL", "memory://chapter4")
r = redis.Redis.from_url(URL, decode_responses=True)
r.flushdb()
WORK = tempfile.mkdtemp(prefix="redcore-chapter4-")
PROCS: list = []


def free_port() -> int:
    """A free loopback port below 55536: a cluster node also listens on
    port + 10000 (its cluster bus)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port < 55536:
            return port


def stop_all() -> None:
    for p in PROCS:
        p.terminate()
    for p in PROCS:
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
    PROCS.clear()


atexit.register(stop_all)


def start(program: str, *args: str, port: int = 0) -> redis.Redis:
    """Starts `program` on a free loopback port; returns a client of it."""
    port = port or free_port()
    workdir = tempfile.mkdtemp(dir=WORK)
    cmd = [program, "--port", str(port), "--bind", "127.0.0.1", "--dir", workdir, "--save", "", *args]
    PROCS.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    client = redis.Redis(port=port, decode_responses=True)
    for _ in range(200):
        try:
            client.ping()
            return client
        except redis.ConnectionError:
            time.sleep(0.025)
    raise RuntimeError(f"{program} did not start")


# REDCORE_TUTORIAL_SERVERS=0 skips the cells that start local servers.
HAVE_SERVER = shutil.which("redis-server") is not None and os.environ.get("REDCORE_TUTORIAL_SERVERS") != "0"
print("local redis-server:", HAVE_SERVER, "| redis-sentinel:", shutil.which("redis-sentinel") is not None)

# %load_ext redcore
# %redis_connect $URL

# %% [markdown]
# ## 1. Persistence: RDB snapshots
#
# `SAVE` writes a point-in-time snapshot (`dump.rdb`); `BGSAVE` does it in the
# background. The embedded engine writes Redis's own RDB format to its `dir`,
# so the file can be checked with `redis-check-rdb` and loaded by a real
# server. `save 60 1000` ("snapshot when 1,000 keys changed within 60 s") is
# `config={"save": "60 1000"}`.

# %%
data_dir = os.path.join(WORK, "embedded")
os.makedirs(data_dir)
db = redis.Redis(config={"dir": data_dir, "save": "60 1000"}, decode_responses=True)
db.hset("user:1", mapping={"name": "Ada", "city": "London"})
db.zadd("scores", {"ada": 30, "bob": 10})
db.rpush("jobs", "email", "resize")
assert db.save()
rdb_path = os.path.join(data_dir, "dump.rdb")
print(rdb_path, os.path.getsize(rdb_path), "bytes")
db.lastsave()

# %%
if shutil.which("redis-check-rdb"):
    check = subprocess.run(["redis-check-rdb", rdb_path], capture_output=True, text=True)
    print(next(line for line in check.stdout.splitlines() if "RDB looks OK" in line))
    assert check.returncode == 0
else:
    print("redis-check-rdb is not installed: skipped")

# %% [markdown]
# A real server restarted on that directory loads the snapshot:

# %%
if HAVE_SERVER:
    port = free_port()
    PROCS.append(subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", data_dir, "--save", ""],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    restored = redis.Redis(port=port, decode_responses=True)
    for _ in range(200):
        try:
            restored.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.025)
    assert restored.hgetall("user:1") == {"name": "Ada", "city": "London"}
    assert restored.zrange("scores", 0, -1, withscores=True) == [("bob", 10.0), ("ada", 30.0)]
    print("redis-server loaded the embedded engine's snapshot:", restored.dbsize(), "keys")
else:
    print("redis-server is not installed: skipped")

# %% [markdown]
# ## AOF and hybrid mode
#
# The append-only file logs every write and is replayed at startup
# (`appendonly yes`, `appendfsync everysec`); with `aof-use-rdb-preamble yes`
# (the default, "hybrid") its base is an RDB snapshot. Shown on a local
# server (the embedded engine's AOF is redcore's persistence work in
# progress).

# %%
if HAVE_SERVER:
    aof = start("redis-server", "--appendonly", "yes", "--appendfsync", "everysec")
    aof.set("visits", 1)
    aof.incr("visits")
    aof_dir = os.path.join(aof.config_get("dir")["dir"], "appendonlydir")
    time.sleep(0.2)
    print(sorted(os.listdir(aof_dir)))
    assert aof.config_get("aof-use-rdb-preamble")["aof-use-rdb-preamble"] == "yes"
else:
    print("redis-server is not installed: skipped")

# %% [markdown]
# ## 2. Replication
#
# A replica (`replicaof <master-ip> <master-port>`) copies everything the
# master writes, asynchronously. `WAIT 1 1000` blocks until one replica has
# acknowledged the writes so far.

# %%
if HAVE_SERVER:
    master = start("redis-server")
    master_port = master.connection_pool.connection_kwargs["port"]
    replica = start("redis-server", "--replicaof", "127.0.0.1", str(master_port))
    for _ in range(200):
        if replica.info("replication")["master_link_status"] == "up":
            break
        time.sleep(0.025)
    master.set("greeting", "hello")
    master.rpush("events", "a", "b")
    assert master.wait(1, 1000) == 1
    assert replica.get("greeting") == "hello" and replica.lrange("events", 0, -1) == ["a", "b"]
    print("master role:", master.execute_command("ROLE")[0], "| replica role:", replica.execute_command("ROLE")[0])
    try:
        replica.set("x", 1)
    except redis.ReadOnlyError as e:
        print("writes on a replica are refused:", e)
else:
    print("redis-server is not installed: skipped")

# %% [markdown]
# ## 3. Sentinel
#
# Sentinels watch a master (`sentinel monitor mymaster 127.0.0.1 6379 2`: the
# last number is the quorum), promote a replica when it fails, and tell
# clients where the master is now.

# %%
if HAVE_SERVER and shutil.which("redis-sentinel"):
    conf = os.path.join(WORK, "sentinel.conf")
    with open(conf, "w") as f:
        f.write(f"sentinel monitor mymaster 127.0.0.1 {master_port} 1\n")
        f.write("sentinel down-after-milliseconds mymaster 1000\n")
    s_port = free_port()
    PROCS.append(subprocess.Popen(["redis-sentinel", conf, "--port", str(s_port), "--bind", "127.0.0.1"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    sentinel = redis.Redis(port=s_port, decode_responses=True)
    for _ in range(200):
        try:
            sentinel.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.025)
    addr = sentinel.sentinel_get_master_addr_by_name("mymaster")
    print("Sentinel says the master is at", addr)
    assert int(addr[1]) == master_port
else:
    print("redis-server / redis-sentinel are not installed: skipped")

# %% [markdown]
# ## 4. Cluster
#
# A cluster splits the keyspace into 16,384 hash slots (CRC16 of the key, or
# of its `{tag}` part) spread over masters. Three `--cluster-enabled yes`
# servers joined by `redis-cli --cluster create`:

# %%
if HAVE_SERVER and shutil.which("redis-cli"):
    nodes = [start("redis-server", "--cluster-enabled", "yes", "--cluster-node-timeout", "5000",
                   "--cluster-config-file", f"nodes-{i}.conf") for i in range(3)]
    ports = [n.connection_pool.connection_kwargs["port"] for n in nodes]
    subprocess.run(["redis-cli", "--cluster", "create", *[f"127.0.0.1:{p}" for p in ports],
                    "--cluster-replicas", "0", "--cluster-yes"], check=True, capture_output=True, timeout=60)
    for _ in range(400):
        if all("cluster_state:ok" in str(n.execute_command("CLUSTER", "INFO")) for n in nodes):
            break
        time.sleep(0.025)
    keyslot = lambda key: nodes[0].execute_command("CLUSTER", "KEYSLOT", key)  # noqa: E731
    assert keyslot("user:{42}:profile") == keyslot("user:{42}:cart")  # one tag, one slot
    slot = keyslot("user:1")
    owner = None
    for node in nodes:
        try:
            node.set("user:1", "Ada")  # only the slot's owner accepts it
            owner = node
        except redis.ResponseError as e:
            print("a node that does not own the slot redirects:", e)
    assert owner is not None and owner.get("user:1") == "Ada"
    print("slot", slot, "lives on port", owner.connection_pool.connection_kwargs["port"])
else:
    print("redis-server / redis-cli are not installed: skipped")

# %% [markdown]
# ## 5. Lua scripts
#
# A script runs atomically on the server: read, decide and write in one step,
# with nothing interleaved. A transfer that never overdraws:

# %%
transfer = r.register_script("""
local balance = tonumber(redis.call('GET', KEYS[1]) or '0')
local amount = tonumber(ARGV[1])
if balance < amount then
  return redis.error_reply('insufficient funds')
end
redis.call('DECRBY', KEYS[1], amount)
return redis.call('INCRBY', KEYS[2], amount)
""")
r.set("acct:{a}", 100)
assert transfer(keys=["acct:{a}", "acct:{b}"], args=[60]) == 60
try:
    transfer(keys=["acct:{a}", "acct:{b}"], args=[60])
except redis.ResponseError as e:
    print("refused:", e)
assert r.get("acct:{a}") == "40"

# %%
# %%redis
EVAL "return redis.call('INCRBY', KEYS[1], ARGV[1])" 1 counter 5
SCRIPT LOAD "return 'hello from Lua'"

# %% [markdown]
# ## 6. Streams with consumer groups
#
# Workers of one group share a stream's entries; an entry stays pending until
# it is acknowledged, and a crashed worker's entries can be claimed by
# another.

# %%
for i in range(4):
    r.xadd("orders", {"order": i})
r.xgroup_create("orders", "billing", id="0")
a = r.xreadgroup("billing", "worker-a", {"orders": ">"}, count=2)[0][1]
b = r.xreadgroup("billing", "worker-b", {"orders": ">"}, count=2)[0][1]
r.xack("orders", "billing", *[sid for sid, _ in b])  # worker-a crashes without acking
claimed = r.xautoclaim("orders", "billing", "worker-b", min_idle_time=0)[1]
assert [sid for sid, _ in claimed] == [sid for sid, _ in a]
r.xack("orders", "billing", *[sid for sid, _ in claimed])
assert r.xpending("orders", "billing")["pending"] == 0

# %% [markdown]
# ## Interview questions, checked
#
# *RDB or AOF?* RDB is a compact snapshot (fast restarts, may lose the last
# minutes); AOF logs every write (more durable, bigger). *What is Sentinel
# for?* Monitoring and automatic failover (section 3). *How does Cluster
# shard?* 16,384 hash slots spread over masters (section 4). *How do you
# secure Redis?* Passwords and ACL users, protected mode, TLS (chapter 5).
# *Which eviction policies exist?*

# %%
assert os.path.getsize(rdb_path) > 0  # a snapshot on disk (section 1)
policies = ["noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random",
            "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"]
for policy in policies:
    db.config_set("maxmemory-policy", policy)
    assert db.config_get("maxmemory-policy") == {"maxmemory-policy": policy}
try:
    db.config_set("maxmemory-policy", "most-recently-used")
except redis.ResponseError as e:
    print("not a policy:", e)

# %%
stop_all()
shutil.rmtree(WORK, ignore_errors=True)
print("chapter 4 done: local servers stopped")
