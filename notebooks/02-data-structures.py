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
# # Chapter 2 — Data structures & commands in depth
#
# TTLs, atomic operations and transactions, pub/sub, and streams. Runs on the
# embedded engine, or on the server named by `REDIS_URL` when it is set.

# %%
import os
import threading
import time

import redcore as redis  # was: import redis

URL = os.environ.get("REDIS_URL", "memory://chapter2")
r = redis.Redis.from_url(URL, decode_responses=True)
r.flushdb()

# %load_ext redcore
# %redis_connect $URL

# %% [markdown]
# ## 1. The data types and their real-world uses
#
# **String**: cached values, counters, flags, tokens.

# %%
# %%redis
SET user:active:123 true
INCR pageviews:home
APPEND greeting "hello"
APPEND greeting " world"
GET greeting

# %% [markdown]
# **List** (ordered, duplicates allowed): task queues, chat history, logs.

# %%
# %%redis
LPUSH logs "user_login_123"
RPUSH logs "user_logout_123"
LRANGE logs 0 -1
RPOP logs

# %% [markdown]
# **Set** (unordered, unique): unique visitors, tags. Set algebra is built in.

# %%
# %%redis
SADD online_users user1 user2 user3
SISMEMBER online_users user1
SREM online_users user3
SADD admins user1 user9
SINTER online_users admins

# %% [markdown]
# **Hash**: objects such as profiles or product metadata.

# %%
# %%redis
HSET user:123 name "Shubhendu" age 27
HINCRBY user:123 age 1
HDEL user:123 nickname
HGETALL user:123

# %% [markdown]
# **Sorted set**: leaderboards, priority queues, rankings. Members are unique,
# ordered by score (a float).

# %%
# %%redis
ZADD leaderboard 120 "Alice"
ZADD leaderboard 300 "Bob"
ZINCRBY leaderboard 200 "Alice"
ZRANGE leaderboard 0 -1 WITHSCORES
ZRANK leaderboard Alice

# %% [markdown]
# *Set or sorted set?* A set only knows membership; a sorted set also keeps a
# score per member and answers range and rank queries in O(log n).

# %%
r.zadd("posts:popular", {"post:1": 10, "post:2": 42, "post:3": 7})
assert r.zrevrange("posts:popular", 0, 1) == ["post:2", "post:1"]
assert r.zrangebyscore("posts:popular", 8, 50) == ["post:1", "post:2"]

# %% [markdown]
# ## 2. TTL and expiry
#
# `EXPIRE` gives a key a time to live; `TTL` reads what is left (`-1`: no
# expiry, `-2`: no such key); `PERSIST` removes the expiry.

# %%
# %%redis
SET session:123 "user_abc"
EXPIRE session:123 3600
TTL session:123
PERSIST session:123
TTL session:123
TTL no-such-key

# %%
r.set("reset-token", "abc", px=100)  # a password-reset link, valid 100 ms
assert r.get("reset-token") == "abc"
time.sleep(0.15)
assert r.get("reset-token") is None  # gone: expired keys are never returned
assert r.ttl("reset-token") == -2

# %% [markdown]
# ## 3. Atomic operations & transactions
#
# Every command is atomic: ten threads incrementing one counter never lose an
# update, without any lock in the application.

# %%
r.delete("login_attempts:ip:192.168.1.1")


def hammer() -> None:
    c = redis.Redis.from_url(URL)
    for _ in range(200):
        c.incr("login_attempts:ip:192.168.1.1")


threads = [threading.Thread(target=hammer) for _ in range(10)]
for t in threads:
    t.start()
for t in threads:
    t.join()
assert r.get("login_attempts:ip:192.168.1.1") == "2000"

# %% [markdown]
# `MULTI` queues commands and `EXEC` runs them as one atomic step; `DISCARD`
# drops the queue.

# %%
# %%redis
MULTI
SET a 10
INCR a
EXEC
MULTI
SET a 100
DISCARD
GET a

# %% [markdown]
# `WATCH` is optimistic locking: if a watched key changes between `WATCH` and
# `EXEC`, the transaction is not applied and redis-py raises `WatchError`; the
# usual loop retries. Here another client changes the balance once, in the
# middle of the first attempt.

# %%
r.set("balance", 150)
other = redis.Redis.from_url(URL)
attempts = 0
with r.pipeline() as pipe:
    while True:
        attempts += 1
        try:
            pipe.watch("balance")
            val = int(pipe.get("balance"))
            if attempts == 1:
                other.incrby("balance", 50)  # a concurrent deposit
            if val > 100:
                pipe.multi()
                pipe.decrby("balance", 100)
                pipe.execute()
            break
        except redis.WatchError:
            continue
assert attempts == 2 and r.get("balance") == "100"

# %% [markdown]
# ## 4. Pub/Sub
#
# A subscriber listens on channels; `PUBLISH` returns how many subscribers got
# the message. Messages are fire-and-forget: nobody listening, nothing kept.

# %%
p = r.pubsub()
p.subscribe("news", "updates")
assert r.publish("news", "New feature released!") == 1
assert r.publish("nobody-listens", "lost") == 0
received = []
deadline = time.time() + 5
while len(received) < 1 and time.time() < deadline:
    m = p.get_message(ignore_subscribe_messages=True, timeout=0.5)
    if m:
        received.append((m["channel"], m["data"]))
p.close()
received

# %% [markdown]
# A list, by contrast, keeps messages until someone takes them.

# %%
r.lpush("queue:email", "job1")
assert r.brpop("queue:email", timeout=1) == ("queue:email", "job1")

# %% [markdown]
# ## 5. Streams
#
# An append-only log with IDs, range reads and consumer groups that share
# the work and acknowledge it.

# %%
# %%redis
XADD mystream 1-1 sensor_id 23 temperature 68.5
XADD mystream 2-1 sensor_id 24 temperature 70.1
XRANGE mystream - +
XGROUP CREATE mystream workers 0
XREADGROUP GROUP workers alice COUNT 1 STREAMS mystream >
XPENDING mystream workers

# %%
entries = r.xreadgroup("workers", "bob", {"mystream": ">"}, count=10)
[(sid, data)] = entries[0][1]
r.xack("mystream", "workers", sid)
assert data == {"sensor_id": "24", "temperature": "70.1"}
assert r.xpending("mystream", "workers")["pending"] == 1  # alice's entry

# %% [markdown]
# ## Interview questions, checked

# %%
# Q: What data types does Redis support?
r.setbit("bits", 7, 1)
r.pfadd("visitors", "a", "b", "a")
assert r.pfcount("visitors") == 2
assert {r.type(k) for k in ["greeting", "logs", "online_users", "user:123", "leaderboard", "mystream"]} == {
    "string", "list", "set", "hash", "zset", "stream"}
# Q: What is WATCH for? Optimistic locking (see the balance example above).
# Q: Pub/Sub or streams? Pub/Sub is transient; a stream keeps entries for replay:
assert len(r.xrange("mystream")) == 2
# Q: Is Redis suitable for queueing? Yes: LPUSH + BRPOP.
print("chapter 2 checks passed")
