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
# # Chapter 1 — Introduction to Redis & core concepts
#
# Redis is an in-memory key-value store whose values are data structures:
# strings, lists, sets, hashes and sorted sets. It is used as a database, a
# cache, a message broker and a job-queue backend.
#
# This notebook follows chapter 1 of *Redis from Scratch*. Every cell runs on
# **redcore**'s embedded engine, inside this Python process: no server, no
# Docker. Set the environment variable `REDIS_URL` (say
# `redis://localhost:6379/0`) before starting Jupyter and the very same cells
# run against that server instead (its database is flushed first).

# %% [markdown]
# ## Installing Redis
#
# The guide installs a server with Docker (`docker run -p 6379:6379 redis`),
# apt or Homebrew. With redcore, `pip install redcore` is the whole
# installation: the engine is part of the package. The only change to
# redis-py code is the import line.

# %%
import os

import redcore as redis  # was: import redis

URL = os.environ.get("REDIS_URL", "memory://chapter1")
r = redis.Redis.from_url(URL, decode_responses=True)
r.flushdb()
r.ping()

# %% [markdown]
# ## Key-value store and in-memory engine
#
# A key names a value; `SET` stores it, `GET` reads it back. Everything lives
# in RAM, which is why a read takes microseconds.

# %%
r.set("name", "shubhendu")
assert r.get("name") == "shubhendu"
r.set("session:1234", "user_id_001", ex=3600)  # expires in one hour
r.incrby("login_attempts:ip:123", 1)
r.ttl("session:1234")

# %% [markdown]
# ## The Redis CLI and basic operations
#
# The guide types commands into `redis-cli`. `%load_ext redcore` gives the same
# syntax in a notebook: `%redis` runs one line, `%%redis` a whole cell, and the
# replies look as in redis-cli. (From a terminal, `python -m redcore cli` is a
# redis-cli of its own for the embedded engine or any server.)

# %%
# %load_ext redcore
# %redis_connect $URL

# %%
# %redis PING

# %%
# %%redis
SET name "Redis"
GET name
EXPIRE name 10
TTL name
INCR counter
DECR counter
DEL name

# %% [markdown]
# ## Core data types
#
# ### 1. String (binary-safe)

# %%
# %%redis
SET user:1:name "Alice"
GET user:1:name
INCR page_views

# %% [markdown]
# ### 2. List (a linked list: push and pop at both ends)

# %%
# %%redis
LPUSH tasks "Task1" "Task2"
RPUSH tasks "Task3"
LRANGE tasks 0 -1
LPOP tasks

# %% [markdown]
# ### 3. Set (unordered, unique members)

# %%
# %%redis
SADD users "alice" "bob"
SISMEMBER users "bob"
SMEMBERS users

# %% [markdown]
# ### 4. Hash (field-value pairs)
#
# `HGETALL` shows as a table in a notebook.

# %%
# %%redis
HMSET user:1 name "Alice" age 30
HGET user:1 name
HGETALL user:1

# %% [markdown]
# ### 5. Sorted set (members ordered by score)

# %%
# %%redis
ZADD leaderboard 100 "Alice" 200 "Bob"
ZRANGE leaderboard 0 -1 WITHSCORES
ZREVRANGE leaderboard 0 0

# %% [markdown]
# The same operations from Python, with redis-py's method names and return
# types:

# %%
assert r.lrange("tasks", 0, -1) == ["Task1", "Task3"]
assert r.sismember("users", "bob")
assert r.hgetall("user:1") == {"name": "Alice", "age": "30"}
assert r.zrevrange("leaderboard", 0, 0) == ["Bob"]
r.zrange("leaderboard", 0, -1, withscores=True)

# %% [markdown]
# ## Summary
#
# | Type | Good for | Commands |
# | --- | --- | --- |
# | String | caching, counters, flags | SET, GET, INCR |
# | List | queues, logs | LPUSH, RPOP, LRANGE |
# | Set | unique items, tags | SADD, SISMEMBER |
# | Hash | objects | HSET, HGET, HGETALL |
# | Sorted set | rankings | ZADD, ZRANGE |
#
# ## Interview questions, checked
#
# *Why is Redis fast?* Data is in RAM; one command is one small in-memory
# operation. *Can Redis be a database?* Yes, with persistence (chapter 4).

# %%
for kind, key in [("string", "user:1:name"), ("list", "tasks"), ("set", "users"), ("hash", "user:1"), ("zset", "leaderboard")]:
    assert r.type(key) == kind, (key, r.type(key))
print("every core type checked")
