"""A reliable job queue: delayed jobs, visibility timeouts, retries and a
dead-letter list, built from lists, sorted sets and scripts.

A dequeued job moves atomically to a *processing* list and gets a
visibility deadline; if its consumer crashes and never acknowledges it,
the job goes back to the queue when the deadline passes. A job that keeps
failing ends up in the dead-letter list after ``max_retries`` retries.

    >>> import redcore
    >>> q = Queue(redcore.Redis(), "emails", visibility_timeout=30)
    >>> job_id = q.enqueue({"to": "ada@example.com"})
    >>> job = q.dequeue()
    >>> job.payload, job.attempts
    ({'to': 'ada@example.com'}, 1)
    >>> job.ack()
    True
    >>> q.stats()
    {'ready': 0, 'delayed': 0, 'in_flight': 0, 'dead': 0}

Keys (all in one cluster hash slot, tagged ``{name}``): ``:ready`` (list of
job ids, oldest at the right), ``:delayed`` (zset by due time),
``:processing`` (list), ``:inflight`` (zset by visibility deadline),
``:data`` (hash id -> payload), ``:attempts`` (hash id -> deliveries so
far) and ``:dead`` (list). Times come from the server's clock (``TIME``
inside the scripts), so clients' clocks need not agree.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

from .streams import WorkerThread, same_slot_key

logger = logging.getLogger(__name__)

_SUFFIXES = ("ready", "delayed", "processing", "inflight", "data", "attempts", "dead")

# Every script gets all seven keys, in _SUFFIXES order.
_LIB = """
local function now_ms()
    local t = redis.call('TIME')
    return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- delayed jobs that are due join the back of the queue, earliest first
local function promote(now, limit)
    local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, limit)
    for _, id in ipairs(due) do
        redis.call('ZREM', KEYS[2], id)
        redis.call('LPUSH', KEYS[1], id)
    end
    return #due
end
-- jobs past their visibility deadline go back to the front of the queue
-- (or to the dead list once out of attempts)
local function reap(now, limit, max_attempts)
    local expired = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now, 'LIMIT', 0, limit)
    local requeued = 0
    for _, id in ipairs(expired) do
        redis.call('ZREM', KEYS[4], id)
        if redis.call('LREM', KEYS[3], 1, id) > 0 then
            if tonumber(redis.call('HGET', KEYS[6], id) or '0') >= max_attempts then
                redis.call('LPUSH', KEYS[7], id)
            else
                redis.call('RPUSH', KEYS[1], id)
                requeued = requeued + 1
            end
        end
    end
    return requeued
end
local function claim(id, now, vt)
    local payload = redis.call('HGET', KEYS[5], id)
    if not payload then
        redis.call('LREM', KEYS[3], 1, id)
        return {'gone'}
    end
    redis.call('ZADD', KEYS[4], now + vt, id)
    return {'job', id, redis.call('HINCRBY', KEYS[6], id, 1), payload}
end
local function next_due(now)
    local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
    if #first == 0 then return {'empty'} end
    return {'wait', tonumber(first[2]) - now}
end
"""

_ENQUEUE = _LIB + """
if redis.call('HSETNX', KEYS[5], ARGV[1], ARGV[2]) == 0 then return 0 end
local delay = tonumber(ARGV[3])
if delay > 0 then
    redis.call('ZADD', KEYS[2], now_ms() + delay, ARGV[1])
else
    redis.call('LPUSH', KEYS[1], ARGV[1])
end
return 1
"""

# ARGV: visibility ms, max attempts, batch limit
_DEQUEUE = _LIB + """
local now = now_ms()
promote(now, tonumber(ARGV[3]))
reap(now, tonumber(ARGV[3]), tonumber(ARGV[2]))
local id = redis.call('LMOVE', KEYS[1], KEYS[3], 'RIGHT', 'LEFT')
if not id then return next_due(now) end
return claim(id, now, tonumber(ARGV[1]))
"""

# After BLMOVE put ARGV[1] in the processing list. ARGV: id, visibility ms
_CLAIM = _LIB + """
if not redis.call('LPOS', KEYS[3], ARGV[1]) then return {'gone'} end
return claim(ARGV[1], now_ms(), tonumber(ARGV[2]))
"""

# The attempts count doubles as the lease: only the latest delivery of a
# job may acknowledge, fail or extend it. ARGV: id, attempt
_ACK = _LIB + """
if redis.call('HGET', KEYS[6], ARGV[1]) ~= ARGV[2] then return 0 end
if redis.call('LREM', KEYS[3], 1, ARGV[1]) == 0 then
    -- already requeued after its deadline, but done: take it back out
    if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then return 0 end
end
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('HDEL', KEYS[5], ARGV[1])
redis.call('HDEL', KEYS[6], ARGV[1])
return 1
"""

# ARGV: id, attempt, retry (0/1), delay ms, max attempts
_FAIL = _LIB + """
if redis.call('HGET', KEYS[6], ARGV[1]) ~= ARGV[2] then return 'lost' end
if redis.call('LREM', KEYS[3], 1, ARGV[1]) == 0 then return 'lost' end
redis.call('ZREM', KEYS[4], ARGV[1])
if ARGV[3] == '1' and tonumber(ARGV[2]) < tonumber(ARGV[5]) then
    local delay = tonumber(ARGV[4])
    if delay > 0 then
        redis.call('ZADD', KEYS[2], now_ms() + delay, ARGV[1])
    else
        redis.call('LPUSH', KEYS[1], ARGV[1])
    end
    return 'retry'
end
redis.call('LPUSH', KEYS[7], ARGV[1])
return 'dead'
"""

# ARGV: id, attempt, new visibility ms from now
_EXTEND = _LIB + """
if redis.call('HGET', KEYS[6], ARGV[1]) ~= ARGV[2] then return 0 end
return redis.call('ZADD', KEYS[4], 'XX', 'CH', now_ms() + tonumber(ARGV[3]), ARGV[1])
"""

# ARGV: visibility ms, max attempts, limit. Jobs in the processing list with
# no deadline (a consumer died between BLMOVE and its claim) get one first.
_REQUEUE = _LIB + """
local now = now_ms()
local limit = tonumber(ARGV[3])
for _, id in ipairs(redis.call('LRANGE', KEYS[3], -limit, -1)) do
    if not redis.call('ZSCORE', KEYS[4], id) then
        redis.call('ZADD', KEYS[4], now + tonumber(ARGV[1]), id)
    end
end
return reap(now, limit, tonumber(ARGV[2]))
"""

_PROMOTE = _LIB + """
return promote(now_ms(), tonumber(ARGV[1]))
"""

# ARGV: ids to revive (all dead jobs when none)
_REQUEUE_DEAD = _LIB + """
local ids = ARGV
if #ids == 0 then ids = redis.call('LRANGE', KEYS[7], 0, -1) end
local moved = 0
for _, id in ipairs(ids) do
    if redis.call('LREM', KEYS[7], 0, id) > 0 then
        redis.call('HDEL', KEYS[6], id)
        redis.call('LPUSH', KEYS[1], id)
        moved = moved + 1
    end
end
return moved
"""

_PURGE_DEAD = _LIB + """
local ids = redis.call('LRANGE', KEYS[7], 0, -1)
for _, id in ipairs(ids) do
    redis.call('HDEL', KEYS[5], id)
    redis.call('HDEL', KEYS[6], id)
end
redis.call('DEL', KEYS[7])
return #ids
"""


def _text(value: Any) -> str:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


@dataclass
class Job:
    """A dequeued job; call :meth:`ack` when done or :meth:`fail`.

    ``attempts`` counts deliveries including this one; it also identifies
    this delivery, so a consumer whose visibility timeout passed (and whose
    job was handed to someone else) can no longer ack or fail it.

    >>> import redcore
    >>> q = Queue(redcore.Redis(), "resize", max_retries=1)
    >>> _ = q.enqueue({"w": 64})
    >>> job = q.dequeue()
    >>> job.extend(60), job.fail(), q.dequeue().attempts
    (True, 'retry', 2)
    """

    id: str
    payload: Any
    attempts: int
    queue: "Queue" = field(repr=False)
    raw: Any = field(default=None, repr=False)

    def ack(self) -> bool:
        """Marks the job done and deletes it; False if this delivery no
        longer owns it."""
        return self.queue._call("ack", self.id, self.attempts) == 1

    def fail(self, retry: bool = True, delay: Optional[float] = None) -> str:
        """Gives the job back: requeued (after ``delay`` seconds, default
        the queue's ``retry_delay``) while retries remain and ``retry`` is
        true, else dead-lettered. Returns ``"retry"``, ``"dead"`` or
        ``"lost"`` (this delivery no longer owns the job)."""
        delay = self.queue.retry_delay if delay is None else delay
        q = self.queue
        return _text(q._call("fail", self.id, self.attempts, int(bool(retry)), int(delay * 1000), q.max_attempts))

    def extend(self, seconds: float) -> bool:
        """Pushes the visibility deadline to ``seconds`` from now (for
        long jobs); False if the job is no longer owned."""
        return self.queue._call("extend", self.id, self.attempts, int(seconds * 1000)) == 1


class Queue:
    """A job queue stored under ``name``'s keys.

    Args:
        client: a redcore or redis-py client.
        name: the queue's name; its keys are ``{name}:ready`` and so on
            (a name with a hash tag keeps its own).
        visibility_timeout: seconds a dequeued job may stay unacknowledged
            before it is handed out again.
        max_retries: retries after the first attempt before a job is
            dead-lettered.
        retry_delay: default seconds before a failed job is retried.
        raw: store payloads as given (str/bytes/numbers) instead of JSON.
        max_block: the longest single blocking wait inside ``dequeue``, so
            delayed jobs and expired ones are noticed while waiting.

    >>> import redcore
    >>> q = Queue(redcore.Redis(), "reports", max_retries=0)
    >>> _ = q.enqueue("monthly")
    >>> q.dequeue(timeout=1).fail()
    'dead'
    >>> [j.payload for j in q.dead_jobs()]
    ['monthly']
    """

    def __init__(
        self,
        client: Any,
        name: str,
        visibility_timeout: float = 30,
        max_retries: int = 3,
        retry_delay: float = 0,
        raw: bool = False,
        max_block: float = 1.0,
        dumps: Callable[[Any], Any] = json.dumps,
        loads: Callable[[Any], Any] = json.loads,
    ) -> None:
        self.client = client
        self.name = _text(name)
        self.visibility_timeout = visibility_timeout
        self.max_retries = int(max_retries)
        self.retry_delay = retry_delay
        self.raw = raw
        self.max_block = max_block
        self.dumps = dumps
        self.loads = loads
        self.keys = [same_slot_key(self.name, ":" + s) for s in _SUFFIXES]
        (self.ready_key, self.delayed_key, self.processing_key, self.inflight_key,
         self.data_key, self.attempts_key, self.dead_key) = self.keys
        self.limit = 100
        self._scripts = {
            name: client.register_script(src)
            for name, src in (
                ("enqueue", _ENQUEUE), ("dequeue", _DEQUEUE), ("claim", _CLAIM), ("ack", _ACK), ("fail", _FAIL),
                ("extend", _EXTEND), ("requeue", _REQUEUE), ("promote", _PROMOTE),
                ("requeue_dead", _REQUEUE_DEAD), ("purge_dead", _PURGE_DEAD),
            )
        }

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{type(self).__name__} {self.name!r}>"

    @property
    def max_attempts(self) -> int:
        return self.max_retries + 1

    @property
    def _vt_ms(self) -> int:
        return max(1, int(self.visibility_timeout * 1000))

    def _call(self, script: str, *args: Any) -> Any:
        return self._scripts[script](keys=self.keys, args=list(args), client=self.client)

    # --- producing ------------------------------------------------------------

    def enqueue(self, payload: Any, delay: Optional[float] = None, job_id: Optional[str] = None) -> str:
        """Adds a job (available after ``delay`` seconds); returns its id.
        With ``job_id``, nothing is added while a job with that id is still
        in the queue in any state (ready, delayed, in flight or dead)."""
        job_id = job_id or uuid.uuid4().hex
        data = payload if self.raw else self.dumps(payload)
        self._call("enqueue", job_id, data, int((delay or 0) * 1000))
        return job_id

    # --- consuming ------------------------------------------------------------

    def dequeue(self, timeout: Optional[float] = 0) -> Optional[Job]:
        """The oldest ready job, or None if there is none within
        ``timeout`` seconds (0: don't wait; None: wait for ever). Due
        delayed jobs and expired in-flight ones are moved back to the queue
        first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            reply = self._call("dequeue", self._vt_ms, self.max_attempts, self.limit)
            kind = _text(reply[0])
            if kind == "job":
                return self._job(reply)
            if kind == "gone":
                continue
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return None
            waits = [w for w in (remaining, self.max_block) if w is not None]
            if kind == "wait":
                waits.append(int(reply[1]) / 1000)
            # BLMOVE's 0 means "for ever": never pass less than a millisecond.
            wait = max(0.001, min(waits))
            moved = self.client.blmove(self.ready_key, self.processing_key, round(wait, 3), "RIGHT", "LEFT")
            if moved is not None:
                reply = self._call("claim", moved, self._vt_ms)
                if _text(reply[0]) == "job":
                    return self._job(reply)

    def _job(self, reply: List[Any]) -> Job:
        raw = reply[3]
        payload = raw if self.raw else self.loads(raw)
        return Job(_text(reply[1]), payload, int(reply[2]), self, raw)

    # --- maintenance --------------------------------------------------------------

    def requeue_expired(self) -> int:
        """Puts jobs whose visibility timeout passed back at the front of the
        queue (dead-letters those out of attempts); returns how many were
        requeued. ``dequeue`` does this too; a :class:`Worker` also calls
        it periodically, which additionally recovers jobs whose consumer
        died between its blocking move and recording the deadline."""
        return int(self._call("requeue", self._vt_ms, self.max_attempts, self.limit))

    def promote_delayed(self) -> int:
        """Moves due delayed jobs to the queue; returns how many."""
        return int(self._call("promote", self.limit))

    def stats(self) -> Dict[str, int]:
        """Counts of ready, delayed, in-flight and dead jobs (one snapshot)."""
        pipe = self.client.pipeline(transaction=True)
        pipe.llen(self.ready_key).zcard(self.delayed_key).llen(self.processing_key).llen(self.dead_key)
        ready, delayed, in_flight, dead = pipe.execute()
        return {"ready": ready, "delayed": delayed, "in_flight": in_flight, "dead": dead}

    def dead_jobs(self, count: int = 100) -> List[Job]:
        """Up to ``count`` dead-lettered jobs, oldest first (their
        ``ack``/``fail`` do nothing)."""
        ids = self.client.lrange(self.dead_key, -count, -1)[::-1]
        if not ids:
            return []
        pipe = self.client.pipeline(transaction=True)
        pipe.hmget(self.data_key, ids).hmget(self.attempts_key, ids)
        payloads, attempts = pipe.execute()
        return [
            Job(_text(i), p if self.raw or p is None else self.loads(p), int(a or 0), self, p)
            for i, p, a in zip(ids, payloads, attempts)
        ]

    def requeue_dead(self, *job_ids: str) -> int:
        """Moves dead jobs (all, or the given ones) back to the queue with
        their attempts reset; returns how many."""
        return int(self._call("requeue_dead", *job_ids))

    def purge_dead(self) -> int:
        """Deletes every dead job; returns how many."""
        return int(self._call("purge_dead"))

    def clear(self) -> None:
        """Deletes the whole queue, jobs in every state included."""
        self.client.delete(*self.keys)


class Worker:
    """Runs ``handler(job)`` for each job: returning acknowledges the job,
    raising fails it (retried, then dead-lettered).

    Args:
        queue: the :class:`Queue`.
        handler: called with each :class:`Job`.
        poll_timeout: the longest wait for a job before checking for stop.
        reap_interval: seconds between :meth:`Queue.requeue_expired` calls
            (default: a third of the visibility timeout, at most 5).
        on_error: called with ``(exception, job)`` when the handler raises.

    >>> import redcore
    >>> q = Queue(redcore.Redis(), "thumbs")
    >>> _ = q.enqueue({"img": 1}); _ = q.enqueue({"img": 2})
    >>> done = []
    >>> Worker(q, lambda job: done.append(job.payload["img"])).run(burst=True)
    2
    >>> done
    [1, 2]
    """

    def __init__(
        self,
        queue: Queue,
        handler: Callable[[Job], Any],
        poll_timeout: float = 1.0,
        reap_interval: Optional[float] = None,
        on_error: Optional[Callable[[BaseException, Job], Any]] = None,
    ) -> None:
        self.queue = queue
        self.handler = handler
        self.poll_timeout = poll_timeout
        self.reap_interval = min(queue.visibility_timeout / 3, 5.0) if reap_interval is None else reap_interval
        self.on_error = on_error
        self._stop = threading.Event()
        self._last_reap = float("-inf")

    def work_one(self, timeout: Optional[float] = 0) -> bool:
        """Dequeues and handles one job; False if none came within
        ``timeout``."""
        now = time.monotonic()
        if now - self._last_reap >= self.reap_interval:
            self._last_reap = now
            self.queue.requeue_expired()
        job = self.queue.dequeue(timeout=timeout)
        if job is None:
            return False
        try:
            self.handler(job)
        except Exception as e:  # noqa: BLE001 - a handler's failure is data
            logger.warning("queue %r job %s failed (attempt %d)", self.queue.name, job.id, job.attempts, exc_info=True)
            if self.on_error is not None:
                try:
                    self.on_error(e, job)
                except Exception:  # noqa: BLE001
                    logger.exception("on_error callback failed")
            job.fail(retry=True)
        else:
            if not job.ack():
                logger.warning("queue %r job %s finished after its visibility timeout", self.queue.name, job.id)
        return True

    def run(
        self,
        stop_event: Optional[threading.Event] = None,
        max_jobs: Optional[int] = None,
        burst: bool = False,
        error_delay: float = 1.0,
    ) -> int:
        """Handles jobs until ``stop_event`` (or :meth:`stop`) is set, after
        ``max_jobs`` jobs, or with ``burst`` once the queue is empty.
        Returns the number of jobs handled. The job in hand is always
        finished; connection errors are logged and retried."""
        stop = stop_event if stop_event is not None else threading.Event()
        done = 0
        while not stop.is_set() and not self._stop.is_set() and (max_jobs is None or done < max_jobs):
            try:
                if self.work_one(timeout=0 if burst else self.poll_timeout):
                    done += 1
                elif burst:
                    break
            except Exception:  # noqa: BLE001 - keep the worker alive
                logger.exception("queue worker on %r failed", self.queue.name)
                self._stop.wait(error_delay)
        self._stop.clear()
        return done

    def stop(self) -> None:
        """Asks :meth:`run` to return after the current job."""
        self._stop.set()

    def run_in_thread(self, daemon: bool = True) -> WorkerThread:
        """Runs :meth:`run` in a new thread; ``thread.stop(timeout)`` ends it."""
        thread = WorkerThread(self.run, name=f"redcore-queue-{self.queue.name}", daemon=daemon)
        thread.start()
        return thread


__all__ = ["Job", "Queue", "Worker"]
