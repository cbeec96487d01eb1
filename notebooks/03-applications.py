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
# # Chapter 3 — Redis in applications
#
# Caching, sessions, rate limiting, job queues, real-time analytics (with a
# chart) and leaderboards: first as the guide writes them with redis-py
# (only the import changed), then with redcore's ready-made helpers.

# %%
import json
import os
import time

import redcore as redis  # was: import redis

URL = os.environ.get("REDIS_URL", "memory://chapter3")
r = redis.Redis.from_url(URL)  # bytes replies, as redis-py's default
r.flushdb()

# %load_ext redcore
# %redis_connect $URL

# %% [markdown]
# ## 1. A cache with expiration
#
# The guide's cache-aside example. (Its `redis.Redis(host='localhost',
# port=6379, db=0)` is the client `r` made above: leave out the address and
# the client runs embedded.)

# %%
user_id = 101
cache_key = f"user:{user_id}"


def profile() -> str:
    # Try cache
    cached = r.get(cache_key)
    if cached:
        print("From cache:", json.loads(cached))
        return "cache"
    else:
        # Simulate DB fetch
        user_data = {"id": user_id, "name": "Shubhendu"}
        r.setex(cache_key, 300, json.dumps(user_data))  # TTL = 5 mins
        print("From DB:", user_data)
        return "db"


assert [profile(), profile()] == ["db", "cache"]
assert 295 <= r.ttl(cache_key) <= 300

# %% [markdown]
# `redcore.cache.cached` does the same for any function, with stampede
# protection and invalidation:

# %%
from redcore.cache import cached

calls = []


@cached(r, ttl=300)
def load_product(product_id: int) -> dict:
    calls.append(product_id)  # stands for a slow database query
    return {"id": product_id, "price": 9.99}


assert load_product(7) == load_product(7) == {"id": 7, "price": 9.99}
assert calls == [7]
load_product.invalidate(7)  # the product changed: drop the cached copy
load_product(7)
assert calls == [7, 7]

# %% [markdown]
# ## 2. Session storage
#
# A session is a hash with a TTL. `redcore.session.SessionStore` adds random
# ids, sliding expiry and id rotation on login. Flask and Django use it
# through `redcore.contrib.flask` and `redcore.contrib.django` (see
# `examples/`); Flask-Session's `SESSION_REDIS` accepts a redcore client as it
# is.

# %%
from redcore.session import SessionStore

store = SessionStore(r, ttl=1800)
sid = store.create({"username": "shubhendu"})
store.update(sid, cart=[1, 2])
assert store.get(sid) == {"username": "shubhendu", "cart": [1, 2]}
new_sid = store.rotate(sid)  # after login: the old id stops working
assert store.get(sid) is None and store.get(new_sid)["username"] == "shubhendu"

# %% [markdown]
# The guide's Flask-Session setup works as written with a redcore client
# (`pip install flask flask-session`; the cell says so when they are
# missing):

# %%
try:
    from flask import Flask, session
    from flask_session import Session
except ImportError:
    print("pip install flask flask-session to run this cell")
else:
    app = Flask(__name__)
    app.config['SESSION_TYPE'] = 'redis'
    app.config['SESSION_REDIS'] = redis.Redis.from_url(URL)  # was: redis.Redis(host='localhost', port=6379)
    app.secret_key = "notebook"
    Session(app)

    @app.route('/')
    def home():
        session['username'] = 'shubhendu'
        return "Session set!"

    with app.test_client() as browser:
        assert browser.get("/").text == "Session set!"
    print([k.decode() for k in r.scan_iter(match="session:*")])

# %% [markdown]
# ## 3. Rate limiting
#
# The guide's fixed-window limiter, as written:

# %%
from time import time  # noqa: F811 (the guide's import)


def allow_request(ip, limit=5, window=60):
    key = f"rate_limit:{ip}"
    current = r.get(key)

    if current and int(current) >= limit:
        return False

    pipe = r.pipeline()
    pipe.incr(key, 1)
    pipe.expire(key, window)
    pipe.execute()
    return True


assert [allow_request("1.2.3.4") for _ in range(7)] == [True] * 5 + [False] * 2

# %% [markdown]
# Two clients reading before they write can both pass the check. The
# limiters in `redcore.ratelimit` decide in one atomic script; a token bucket
# allows bursts and refills at a steady rate:

# %%
from redcore.ratelimit import TokenBucket

bucket = TokenBucket(r, "api:{user42}", rate=10, per=1.0, burst=3)
results = [bucket.hit().allowed for _ in range(5)]
assert results == [True, True, True, False, False]
bucket.hit().retry_after

# %% [markdown]
# ## 4. Job queues
#
# The simplest queue is a list: producers `LPUSH`, workers `BRPOP`. Celery and
# RQ use Redis as their broker the same way (RQ accepts a redcore client:
# `Queue(connection=redcore.Redis(...))`).

# %%
# %%redis
LPUSH task:email job1 job2
BRPOP task:email 0
LLEN task:email

# %% [markdown]
# The guide's RQ example, with `from redis import Redis` changed to
# `from redcore import Redis` (`pip install rq`). A worker imports the job's
# function by name, so it must live in a module (RQ refuses functions defined
# in a notebook); `operator.add` stands for the guide's `say_hello`. A
# `SimpleWorker` runs the job in this process; in production `rq worker`
# runs it in another one, against a server.

# %%
import operator

try:
    from rq import Queue as RQQueue, SimpleWorker
except ImportError:
    print("pip install rq to run this cell")
else:
    from redcore import Redis  # was: from redis import Redis

    q = RQQueue(connection=Redis.from_url(URL))  # the guide: Queue(connection=Redis())
    job = q.enqueue(operator.add, 2, 3)
    SimpleWorker([q], connection=q.connection).work(burst=True)
    assert job.get_status() == "finished" and job.return_value() == 5

# %% [markdown]
# `redcore.queue.Queue` adds what a real worker needs: a job that is never
# acknowledged (its worker crashed) comes back, and one that keeps failing
# goes to a dead-letter list.

# %%
from redcore.queue import Queue

q = Queue(r, "emails", visibility_timeout=30, max_retries=1)
q.enqueue({"to": "ada@example.com"})
job = q.dequeue()
assert job.fail() == "retry"  # first delivery failed: retried
job = q.dequeue()
assert job.attempts == 2
assert job.fail() == "dead"  # out of retries: dead letter
assert q.stats() == {"ready": 0, "delayed": 0, "in_flight": 0, "dead": 1}

# %% [markdown]
# ## 5. Real-time analytics
#
# Counters are atomic, so every web worker can `INCR` the same key:

# %%
r.incr("homepage:views")
r.incrby("product:42:likes", 1)

# %% [markdown]
# Per-minute buckets, unique visitors (HyperLogLog: 12 KB for millions of
# visitors) and the most viewed pages, from a simulated hour of traffic:

# %%
import random

from redcore.analytics import Counter, TopK, UniqueCounter

rng = random.Random(7)
start = int(time()) // 3600 * 3600
views = Counter(r, "views", bucket="minute")
visitors = UniqueCounter(r, "visitors", bucket="minute")
pages = TopK(r, "pages", k=3)
for minute in range(60):
    load = 8 + int(8 * abs(((minute % 30) - 15) / 15))  # a wave of traffic
    for _ in range(load):
        at = start + minute * 60 + rng.randrange(60)
        views.incr(at=at)
        visitors.add(f"user{rng.randrange(300)}", at=at)
        pages.add(rng.choice(["/", "/", "/", "/pricing", "/docs", "/blog"]))
series = views.series(start, start + 3599)
assert len(series) == 60 and sum(c for _, c in series) == views.total(start, start + 3599)
print("unique visitors this hour:", visitors.count(start, start + 3599))
[(page.decode(), score) for page, score in pages.top()]

# %%
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(8, 3))
ax.plot([(s - start) // 60 for s, _ in series], [c for _, c in series], marker=".")
ax.set_xlabel("minute")
ax.set_ylabel("page views")
ax.set_title("Page views per minute")
plt.show()

# %% [markdown]
# ## 6. Leaderboards
#
# A sorted set keeps players ordered by score; the guide's example:

# %%
r.zadd("game:leaderboard", {"alice": 1000, "bob": 1200})
top_players = r.zrevrange("game:leaderboard", 0, 2, withscores=True)
assert top_players == [(b"bob", 1200.0), (b"alice", 1000.0)]

# %%
# %%redis
ZADD leaderboard 500 "alice" 800 "bob" 300 "charlie"
ZREVRANGE leaderboard 0 2 WITHSCORES

# %% [markdown]
# `redcore.leaderboard.Leaderboard` breaks ties by who got there first, keeps
# only a player's best score and pages through ranks:

# %%
from redcore.leaderboard import Leaderboard

board = Leaderboard(redis.Redis.from_url(URL, decode_responses=True), "arcade")
for player, score in [("ada", 300), ("bob", 500), ("cy", 300), ("ada", 200)]:
    board.submit(player, score)
[(e.position, e.member, e.score) for e in board.top(3)]

# %% [markdown]
# ## Interview questions, checked

# %%
# Caching: SETEX, then read before hitting the database (section 1).
# Rate limiter: INCR + EXPIRE per window (section 3).
# Sessions: fast, in memory, with TTLs (section 2).
# Leaderboards: sorted sets, ZADD + ZREVRANGE:
assert r.zrevrange("leaderboard", 0, 0) == [b"bob"]
print("chapter 3 checks passed")
