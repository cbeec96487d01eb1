"""redcore.lock: redis-py's Lock semantics, plus auto-renewal and fencing."""

import threading
import time

import pytest

from redcore.lock import Lock, fence_key


def test_acquire_release_and_ownership(make):
    r = make()
    lock = r.lock("res", timeout=5)
    assert lock.acquire(blocking=False)
    assert lock.locked() and lock.owned()
    other = make().lock("res", timeout=5)
    assert not other.acquire(blocking=False)
    assert not other.owned()
    lock.release()
    assert not lock.locked()
    assert other.acquire(blocking=False)
    other.release()


def test_release_of_a_lost_lock_raises(make):
    r = make()
    lock = r.lock("res", timeout=0.05)
    assert lock.acquire()
    time.sleep(0.1)  # expired
    taker = make().lock("res", timeout=5)
    assert taker.acquire(blocking=False)
    with pytest.raises(r.exc.LockNotOwnedError if hasattr(r.exc, "LockNotOwnedError") else Exception):
        lock.release()
    assert taker.owned()
    taker.release()
    with pytest.raises(Exception, match="not owned or is already unlocked"):
        taker.release()


def test_blocking_timeout_and_context_manager(make):
    r = make()
    holder = r.lock("res", timeout=5)
    holder.acquire()
    t = time.perf_counter()
    with pytest.raises(Exception, match="Unable to acquire lock"):
        with make().lock("res", blocking_timeout=0.2, sleep=0.05):
            pass
    assert time.perf_counter() - t < 1.0
    holder.release()
    with r.lock("res", timeout=5) as held:
        assert held.owned()
    assert not r.lock("res").locked()


def test_extend_and_reacquire(make):
    r = make()
    lock = r.lock("res", timeout=1)
    lock.acquire()
    assert lock.extend(10)
    assert r.pttl("res") > 9000
    assert lock.extend(2, replace_ttl=True)
    assert r.pttl("res") <= 2000
    assert lock.reacquire()
    assert 500 < r.pttl("res") <= 1000
    lock.release()
    with pytest.raises(Exception, match="Cannot extend an unlocked lock"):
        lock.extend(1)
    with pytest.raises(Exception, match="no timeout"):
        nt = r.lock("other")
        nt.acquire()
        nt.extend(1)


def test_only_one_thread_holds_the_lock(make):
    clients = [make() for _ in range(6)]
    inside = []
    overlap = []

    def worker(c):
        for _ in range(10):
            with c.lock("mutex", timeout=5, sleep=0.001):
                inside.append(1)
                if len(inside) > 1:
                    overlap.append(1)
                time.sleep(0.001)
                inside.pop()

    threads = [threading.Thread(target=worker, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not overlap


def test_auto_renewal_keeps_the_lock_alive(make):
    r = make()
    # The extras work with any client, redis-py's included.
    lock = Lock(r, "renewed", timeout=0.3, auto_renew=True)
    assert lock.acquire()
    time.sleep(0.8)  # well past the timeout: renewal kept it
    assert lock.owned()
    lock.release()
    assert not lock.locked()
    time.sleep(0.15)  # the renewal thread stopped: nothing recreates the key
    assert not r.exists("renewed")


def test_fencing_tokens_grow_with_every_acquisition(make):
    r = make()
    seen = []
    for _ in range(3):
        lock = Lock(r, "fenced", timeout=5, fencing=True)
        assert lock.acquire()
        seen.append(lock.fencing_token)
        lock.release()
    assert seen == sorted(seen) and len(set(seen)) == 3
    held = Lock(r, "fenced", timeout=5, fencing=True)
    held.acquire()
    blocked = Lock(make(), "fenced", timeout=5, fencing=True)
    assert not blocked.acquire(blocking=False)
    assert blocked.fencing_token is None
    held.release()


def test_fence_key_shares_the_lock_slot():
    assert fence_key("orders") == "{orders}:fence"
    assert fence_key("{user1}:lock") == "{user1}:lock:fence"
    assert fence_key(b"x") == b"{x}:fence"
