"""The client object itself: construction, URLs, sharing, threads, expiry."""

import threading
import time

import pytest

import redcore


def test_independent_instances_do_not_share():
    a, b = redcore.Redis(), redcore.Redis()
    a.set("k", "v")
    assert b.get("k") is None


def test_same_name_or_url_shares_data():
    a = redcore.Redis(name="test-shared-1")
    b = redcore.Redis.from_url("memory://test-shared-1")
    c = redcore.from_url("memory://test-shared-1/2?decode_responses=true")
    a.set("k", "v")
    assert b.get("k") == b"v"
    assert c.get("k") is None  # database 2
    c.set("k2", "x")
    assert c.get("k2") == "x"
    b.execute_command("SELECT", 2)
    assert b.get("k2") == b"x"


def test_strict_redis_alias_and_context_manager():
    assert redcore.StrictRedis is redcore.Redis
    with redcore.Redis() as r:
        assert r.ping() is True


def test_bad_db_and_url():
    with pytest.raises(redcore.ResponseError):
        redcore.Redis(db=16)
    with pytest.raises(ValueError):
        redcore.Redis.from_url("memory://x/notanumber")


def test_encoding_option():
    r = redcore.Redis(encoding="latin-1", decode_responses=True)
    r.set("k", "caf\xe9")
    assert r.execute_command("STRLEN", "k") == 4
    assert r.get("k") == "caf\xe9"


def test_delitem_and_getitem(r):
    r["k"] = "v"
    assert r["k"] == b"v"
    del r["k"]
    del r["k"]  # no error, like redis-py
    with pytest.raises(KeyError):
        r["k"]


def test_active_expiry_removes_keys_nobody_reads(r):
    for i in range(200):
        r.set(f"t{i}", "v", px=30)
    r.set("keep", "v")
    deadline = time.time() + 3
    while r.dbsize() > 1 and time.time() < deadline:
        time.sleep(0.05)
    assert r.dbsize() == 1


def test_threads_share_one_client_safely():
    r = redcore.Redis()
    n_threads, n = 8, 5000

    def work():
        for _ in range(n):
            r.incr("counter")
            r.rpush("log", "x")

    threads = [threading.Thread(target=work) for _ in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert r.get("counter") == str(n_threads * n).encode()
    assert r.llen("log") == n_threads * n


def test_response_callback_override():
    r = redcore.Redis()
    r.set_response_callback("GET", lambda resp, **kw: (resp or b"").upper())
    r.set("k", "v")
    assert r.execute_command("GET", "k") == b"V"


def test_pipeline_watch_multi(r):
    r.set("balance", 10)
    with r.pipeline() as pipe:
        pipe.watch("balance")
        current = int(pipe.get("balance"))
        pipe.multi()
        pipe.set("balance", current - 3)
        assert pipe.execute() == [True]
    assert r.get("balance") == b"7"


def test_pipeline_watch_conflict_raises_watch_error(r, make):
    other = make()
    r.set("balance", 10)
    with r.pipeline() as pipe:
        pipe.watch("balance")
        other.set("balance", 99)
        pipe.multi()
        pipe.set("balance", 1)
        with pytest.raises(r.exc.WatchError):
            pipe.execute()
    assert r.get("balance") == b"99"


def test_transaction_helper_retries(r, make):
    other = make()
    r.set("n", 0)
    attempts = []

    def bump(pipe):
        attempts.append(1)
        value = int(pipe.get("n"))
        if len(attempts) == 1:
            other.set("n", 100)  # conflicting write: first attempt aborts
        pipe.multi()
        pipe.set("n", value + 1)

    assert r.transaction(bump, "n") == [True]
    assert len(attempts) == 2
    assert r.get("n") == b"101"


def test_execabort_in_transaction(r):
    pipe = r.pipeline()
    pipe.set("a", 1)
    pipe.execute_command("NOSUCHCOMMAND")
    with pytest.raises(r.exc.ResponseError) as e:
        pipe.execute()
    assert "unknown command" in str(e.value)
    assert r.get("a") is None


def test_exec_queued_in_a_pipeline_is_an_error_not_a_crash(r):
    # EXEC inside the pipeline ends its transaction early; the replies no
    # longer line up with the commands, which must raise, not crash.
    p = r.pipeline()
    p.set("a", 1)
    p.execute_command("EXEC")
    p.execute_command("MULTI")
    p.execute_command("WATCH", "x")
    with pytest.raises(r.exc.RedisError):
        p.execute()


def test_pipeline_discard_and_close(r):
    pipe = r.pipeline()
    pipe.set("k", "v")
    pipe.discard()  # queued: DISCARD ends the transaction, EXEC then fails
    with pytest.raises(r.exc.ResponseError, match="EXEC without MULTI"):
        pipe.execute()
    assert r.get("k") is None
    pipe.set("k", "v")
    pipe.close()  # the same as reset()
    assert len(pipe) == 0
    assert pipe.execute() == []
    assert r.get("k") is None


@pytest.mark.parametrize("transaction", [True, False])
def test_pipeline_error_names_a_binary_argument(r, transaction):
    # The failing command is quoted as UTF-8 with replacement characters,
    # whatever its bytes (a msgpack payload here), not a UnicodeDecodeError.
    r.set("k", "v")
    pipe = r.pipeline(transaction=transaction)
    pipe.lpush("k", b"\x81\xa4name")
    with pytest.raises(r.exc.ResponseError) as e:
        pipe.execute()
    assert str(e.value).startswith("Command # 1 (LPUSH k \ufffd\ufffdname) of pipeline caused error: WRONGTYPE")


@pytest.mark.parametrize("transaction", [True, False])
def test_pipeline_mget_without_keys_is_an_empty_list(r, transaction):
    # Not sent (an arity error, or EXECABORT in a transaction): [] in place.
    for raise_on_error in (True, False):
        with r.pipeline(transaction=transaction) as pipe:
            pipe.set("a", 1).mget([]).set("c", 3)
            assert len(pipe) == 3
            assert pipe.execute(raise_on_error=raise_on_error) == [True, [], True]
    with r.pipeline(transaction=transaction) as pipe:
        pipe.mget([])
        assert pipe.execute() == [[]]


def test_watched_transaction_sends_no_unwatch_after_exec(r):
    # EXEC ends the WATCH; like redis-py, no UNWATCH follows it.
    def unwatches():
        return r.info("commandstats").get("cmdstat_unwatch", {}).get("calls", 0)

    r.set("a", 1)
    before = unwatches()
    with r.pipeline() as pipe:
        pipe.watch("a")
        pipe.multi()
        pipe.set("b", 2)
        assert pipe.execute() == [True]
    assert unwatches() == before


def test_failed_watch_leaves_the_pipeline_queueing(r):
    p = r.pipeline()
    with pytest.raises(r.exc.ResponseError):
        p.watch()  # WATCH without keys: wrong number of arguments
    p.set("k", 1)
    assert r.get("k") is None
    assert p.execute() == [True]
    assert r.get("k") == b"1"


def test_out_of_range_blocking_timeouts_are_refused(r):
    # Redis 7.0 converts the timeout to a long long: too large (or
    # infinite) comes out negative.
    for timeout in (1e20, "inf", "-inf", 9223372036854776):
        with pytest.raises(r.exc.ResponseError, match="timeout is negative"):
            r.execute_command("BLPOP", "k", timeout)
    with pytest.raises(r.exc.ResponseError, match="timeout is not a float or out of range"):
        r.execute_command("BLPOP", "k", "nan")


@pytest.mark.parametrize("backend", ["embedded", "oracle"])
def test_watch_on_a_plain_client_warns_like_redis_py(backend, redis_server):
    import redis

    r = redcore.Redis() if backend == "embedded" else redis.Redis(port=redis_server.port)
    with pytest.warns(DeprecationWarning, match="Call WATCH from a Pipeline object"):
        assert r.watch("k") is None
    with pytest.warns(DeprecationWarning, match="Call UNWATCH from a Pipeline object"):
        assert r.unwatch() is None
    # The pipeline's own WATCH still works.
    with r.pipeline() as pipe:
        assert pipe.watch("k") is True
