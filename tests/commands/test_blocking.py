"""Blocking list and sorted-set pops, served across threads."""

import time

import pytest

from support import in_thread, wait_blocked


def test_blpop_returns_at_once_when_data_exists(r):
    r.rpush("b", "x", "y")
    assert r.blpop(["a", "b"], timeout=1) == (b"b", b"x")
    assert r.brpop("b", timeout=1) == (b"b", b"y")
    assert r.exists("b") == 0


def test_blpop_times_out_with_none(r):
    t = time.perf_counter()
    assert r.blpop(["empty1", "empty2"], timeout=0.2) is None
    assert time.perf_counter() - t >= 0.18
    assert r.brpoplpush("empty1", "x", timeout=0.1) is None
    assert r.bzpopmin("empty1", timeout=0.1) is None


def test_blpop_is_served_by_a_push_from_another_client(make):
    waiter, pusher = make(), make()
    result = in_thread(lambda: waiter.blpop(["q1", "q2"], timeout=5))
    wait_blocked(pusher)
    t = time.perf_counter()
    pusher.rpush("q2", "job")
    value, _ = result()
    assert value == (b"q2", b"job")
    assert time.perf_counter() - t < 1.0
    assert pusher.exists("q2") == 0


def test_waiters_are_served_in_the_order_they_blocked(make):
    pusher = make()
    results = []
    for i in range(3):
        c = make()
        results.append(in_thread(lambda c=c: c.blpop("fifo", timeout=5)))
        wait_blocked(pusher, i + 1)
    pusher.rpush("fifo", "a", "b", "c")
    assert [res()[0] for res in results] == [(b"fifo", b"a"), (b"fifo", b"b"), (b"fifo", b"c")]


def test_blmove_and_brpoplpush_serve_and_move(make):
    waiter, pusher = make(), make()
    result = in_thread(lambda: waiter.blmove("src", "dst", 5, "RIGHT", "LEFT"))
    wait_blocked(pusher)
    pusher.rpush("src", "1", "2")
    assert result()[0] == b"2"
    assert pusher.lrange("dst", 0, -1) == [b"2"]
    assert pusher.brpoplpush("src", "dst", timeout=1) == b"1"
    assert pusher.lrange("dst", 0, -1) == [b"1", b"2"]


def test_blmpop(make):
    waiter, pusher = make(), make()
    assert pusher.blmpop(0.1, 2, "x", "y", direction="LEFT") is None
    result = in_thread(lambda: waiter.blmpop(5, 2, "x", "y", direction="RIGHT", count=2))
    wait_blocked(pusher)
    pusher.rpush("y", "a", "b", "c")
    assert result()[0] == [b"y", [b"c", b"b"]]


def test_bzpopmin_bzpopmax_bzmpop(make):
    waiter, pusher = make(), make()
    pusher.zadd("z", {"a": 1, "b": 2, "c": 3})
    assert pusher.bzpopmin("z", timeout=1) == (b"z", b"a", 1.0)
    assert pusher.bzpopmax(["none", "z"], timeout=1) == (b"z", b"c", 3.0)
    result = in_thread(lambda: waiter.bzpopmax(["w"], timeout=5))
    wait_blocked(pusher)
    pusher.zadd("w", {"m": 5, "n": 7})
    assert result()[0] == (b"w", b"n", 7.0)
    assert pusher.bzmpop(1, 1, ["w"], min=True) == [b"w", [[b"m", b"5"]]]
    with pytest.raises(pusher.exc.DataError):
        pusher.bzmpop(1, 1, ["w"])


def test_blocking_errors(r):
    r.set("s", "v")
    with pytest.raises(r.exc.ResponseError, match="WRONGTYPE"):
        r.blpop("s", timeout=1)
    with pytest.raises(r.exc.ResponseError) as e:
        r.blpop("x", timeout=-1)
    assert str(e.value) == "timeout is negative"
    with pytest.raises(r.exc.ResponseError) as e:
        r.execute_command("BLPOP", "x", "abc")
    assert str(e.value) == "timeout is not a float or out of range"
    with pytest.raises(r.exc.ResponseError) as e:
        r.execute_command("BLMPOP", 1, 0, "x", "LEFT")
    assert str(e.value) == "numkeys should be greater than 0"


def test_blocking_commands_do_not_block_inside_multi(r):
    with r.pipeline() as pipe:
        pipe.blpop("nothing", timeout=0)
        pipe.bzpopmin("nothing", timeout=0)
        assert pipe.execute() == [None, None]


def test_wrong_type_data_keeps_the_client_blocked(make):
    waiter, other = make(), make()
    result = in_thread(lambda: waiter.blpop("k", timeout=0.5))
    wait_blocked(other)
    other.set("k", "a string")
    value, elapsed = result()
    assert value is None and elapsed >= 0.45


def test_other_threads_run_while_a_client_is_blocked(make):
    waiter = make()
    result = in_thread(lambda: waiter.blpop("never", timeout=0.5))
    count = 0
    t = time.perf_counter()
    while time.perf_counter() - t < 0.3:
        count += 1
    assert count > 10_000  # the blocked call does not hold the GIL
    assert result()[0] is None
