"""Atomicity under threads: every command and every transaction is atomic."""

import threading

import pytest


def run_threads(n, target):
    errors = []

    def wrapped(i):
        try:
            target(i)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=wrapped, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]


def test_eight_threads_increment_one_key(make):
    clients = [make() for _ in range(8)]
    per_thread = 50_000

    def work(i):
        incr = clients[i].incr
        for _ in range(per_thread):
            incr("counter")

    run_threads(8, work)
    assert int(clients[0].get("counter")) == 8 * per_thread


def test_watch_based_transfers_keep_the_total(make):
    setup = make()
    setup.mset({"acct:a": 1000, "acct:b": 1000})
    clients = [make() for _ in range(8)]
    transfers = 200
    retries = []

    def transfer(pipe, src, dst, amount):
        src_balance = int(pipe.get(src))
        dst_balance = int(pipe.get(dst))
        pipe.multi()
        pipe.set(src, src_balance - amount)
        pipe.set(dst, dst_balance + amount)

    def work(i):
        r = clients[i]
        for j in range(transfers):
            src, dst = ("acct:a", "acct:b") if (i + j) % 2 else ("acct:b", "acct:a")
            attempts = []

            def fn(pipe):
                attempts.append(1)
                transfer(pipe, src, dst, 1 + (i + j) % 7)

            r.transaction(fn, src, dst)
            retries.append(len(attempts) - 1)

    run_threads(8, work)
    total = int(setup.get("acct:a")) + int(setup.get("acct:b"))
    assert total == 2000


def test_queue_time_error_aborts_the_whole_transaction(r):
    pipe = r.pipeline()
    pipe.set("a", 1)
    pipe.execute_command("SET", "b")  # wrong arity: rejected when queued
    pipe.set("c", 3)
    with pytest.raises(r.exc.ResponseError) as e:
        pipe.execute()
    assert "wrong number of arguments for 'set' command" in str(e.value)
    assert r.exists("a", "b", "c") == 0


def test_runtime_error_inside_exec_does_not_stop_the_rest(r):
    r.set("s", "text")
    pipe = r.pipeline()
    pipe.set("a", 1).lpush("s", "x").incr("a")
    res = pipe.execute(raise_on_error=False)
    assert res[0] is True and res[2] == 2
    assert isinstance(res[1], r.exc.ResponseError)
    assert str(res[1]).endswith("WRONGTYPE Operation against a key holding the wrong kind of value")
    pipe.set("a", 1).lpush("s", "x").incr("a")
    with pytest.raises(r.exc.ResponseError) as e:
        pipe.execute()
    assert str(e.value).startswith("Command # 2 (LPUSH s x) of pipeline caused error: WRONGTYPE")


def test_discard_and_unwatch(r):
    with r.pipeline() as pipe:
        pipe.watch("w")
        pipe.multi()
        pipe.set("w", 1)
        pipe.reset()
    assert r.get("w") is None
    pipe = r.pipeline()
    pipe.watch("w")
    assert pipe.unwatch() is True
    pipe.multi()
    pipe.set("w", 2)
    assert pipe.execute() == [True]
