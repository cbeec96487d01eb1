"""Commands and options newer than the Redis 7.0 oracle: ZRANK/ZREVRANK
WITHSCORE (Redis 7.2); XDELEX, XACKDEL and the KEEPREF / DELREF / ACKED
reference policies of XADD and XTRIM (Redis 8.2); LMOVEM and BLMOVEM
(Redis 8.10).

Redis 7.0 knows none of them, so there is no oracle: every test runs on
the embedded engine and, through redis-py, on redcore's RESP server
(``server``), and both must give the same replies. The cases are the
documented examples (redis.io's XACKDEL, XDELEX, XTRIM, LMOVEM and BLMOVEM
pages) and their documented edge cases and error texts.
"""

import time

import pytest

from support import error_of, in_thread, wait_blocked


@pytest.fixture(params=["embedded", "server"])
def backend(request):
    """No local oracle has these commands: the engine, and the same engine
    behind redcore's RESP server."""
    return request.param


def events(r, action):
    """The keyevent notifications (``event``, ``key``) ``action`` causes."""
    r.config_set("notify-keyspace-events", "KEA")
    p = r.pubsub(ignore_subscribe_messages=True)
    try:
        p.psubscribe("__keyevent@0__:*")
        p.get_message(timeout=1)
        action()
        got = []
        while (m := p.get_message(timeout=0.2)) is not None:
            got.append((m["channel"].split(b":", 1)[1].decode(), m["data"].decode()))
        return got
    finally:
        p.close()
        r.config_set("notify-keyspace-events", "")


# -- ZRANK / ZREVRANK WITHSCORE (7.2) -------------------------------------------------


def test_zrank_withscore(r):
    r.zadd("myzset", {"one": 1, "two": 2, "three": 3})
    assert r.zrank("myzset", "three") == 2
    assert r.zrank("myzset", "three", withscore=True) == [2, 3.0]
    assert r.zrevrank("myzset", "one", withscore=True) == [2, 1.0]
    assert r.zrank("myzset", "four", withscore=True) is None
    assert r.zrevrank("nosuch", "x", withscore=True) is None
    # Any case of the option.
    assert r.execute_command("ZRANK", "myzset", "two", "withScore", withscore=True) == [1, 2.0]
    assert error_of(r, "ZRANK", "myzset", "two", "WITHSCORES") == "syntax error"
    assert error_of(r, "ZREVRANK", "myzset", "two", "WITHSCORE", "x") == (
        "wrong number of arguments for 'zrevrank' command"
    )
    r.set("str", "x")
    assert error_of(r, "ZRANK", "str", "a", "WITHSCORE").startswith("WRONGTYPE")


# -- XDELEX (8.2) ---------------------------------------------------------------------


@pytest.fixture
def grouped(r):
    """Stream ``s`` with 1-0..4-0, group ``g`` that was delivered 1-0 and
    2-0 (both pending for consumer ``c``), group ``h`` created at 0."""
    for i in range(1, 5):
        r.xadd("s", {"f": i}, id=f"{i}-0")
    r.xgroup_create("s", "g", id="0")
    r.xgroup_create("s", "h", id="$")
    r.xreadgroup("g", "c", {"s": ">"}, count=2)
    return r


def test_xdelex_keepref_is_xdel(grouped):
    r = grouped
    assert r.xdelex("s", "1-0", "9-0") == [1, -1]
    assert r.execute_command("XDELEX", "s", "IDS", "1", "3-0") == [1]
    assert r.xlen("s") == 2
    # KEEPREF leaves the dangling reference pending.
    assert r.xpending("s", "g")["pending"] == 2
    assert r.xinfo_stream("s")["max-deleted-entry-id"] == b"3-0"


def test_xdelex_delref_removes_references(grouped):
    r = grouped
    assert r.xdelex("s", "1-0", ref_policy="DELREF") == [1]
    assert r.xpending_range("s", "g", "-", "+", 10) == [
        {"message_id": b"2-0", "consumer": b"c", "time_since_delivered": pytest.approx(0, abs=5000),
         "times_delivered": 1},
    ]
    # Dangling references go even when the entry is gone already.
    assert r.xdel("s", "2-0") == 1
    assert r.xpending("s", "g")["pending"] == 1
    assert r.xdelex("s", "2-0", ref_policy="DELREF") == [-1]
    assert r.xpending("s", "g")["pending"] == 0
    assert r.xinfo_consumers("s", "g")[0]["pending"] == 0


def test_xdelex_acked_keeps_what_a_group_needs(grouped):
    r = grouped
    # 1-0 and 2-0 are pending in g; 3-0 and 4-0 not yet delivered to g.
    assert r.xdelex("s", "1-0", "3-0", "9-0", ref_policy="ACKED") == [2, 2, 2]
    assert r.xlen("s") == 4
    r.xack("s", "g", "1-0")
    assert r.xdelex("s", "1-0", ref_policy="ACKED") == [1]
    r.xreadgroup("g", "c", {"s": ">"})
    r.xack("s", "g", "2-0", "3-0", "4-0")
    # An ID past a group's last delivered one counts as needed whether or
    # not it exists (the reference check comes before the lookup); one
    # every group has read is just missing.
    assert r.xdelex("s", "2-0", "3-0", "9-0", "0-5", ref_policy="ACKED") == [1, 1, 2, -1]
    assert r.xlen("s") == 1
    # Without groups nothing holds entries back.
    r.xadd("plain", {"f": 1}, id="1-0")
    assert r.xdelex("plain", "1-0", ref_policy="ACKED") == [1]


def test_xdelex_missing_key_and_errors(r):
    assert r.xdelex("nosuch", "1-0", "2-0") == [-1, -1]
    r.xadd("s", {"f": 1}, id="1-0")
    assert error_of(r, "XDELEX", "s", "IDS", "0", "1-0") == "Number of IDs must be a positive integer"
    assert error_of(r, "XDELEX", "s", "IDS", "x", "1-0") == "Number of IDs must be a positive integer"
    assert error_of(r, "XDELEX", "s", "IDS", "3", "1-0", "2-0") == (
        "The `numids` parameter must match the number of arguments"
    )
    assert error_of(r, "XDELEX", "s", "BOGUS", "IDS", "1", "1-0") == "syntax error"
    assert error_of(r, "XDELEX", "s", "IDS", "1", "nope") == (
        "Invalid stream ID specified as stream command argument"
    )
    assert error_of(r, "XDELEX", "s", "IDS", "1") == "wrong number of arguments for 'xdelex' command"
    r.set("str", "x")
    assert error_of(r, "XDELEX", "str", "IDS", "1", "1-0").startswith("WRONGTYPE")
    # Nothing was deleted by the failed calls; the policy may follow IDS.
    assert r.xlen("s") == 1
    assert r.execute_command("XDELEX", "s", "IDS", "1", "1-0", "delref") == [1]


# -- XACKDEL (8.2) --------------------------------------------------------------------


def test_xackdel_documented_example(r):
    r.xadd("mystream", {"field1": "value1"}, id="1755870377536-0")
    r.xadd("mystream", {"field2": "value2"}, id="1755870387045-0")
    r.xgroup_create("mystream", "mygroup", id="0")
    r.xreadgroup("mygroup", "consumer1", {"mystream": ">"}, count=2)
    assert r.xpending("mystream", "mygroup")["pending"] == 2
    assert r.xackdel("mystream", "mygroup", "1755870377536-0", "1755870387045-0",
                     ref_policy="KEEPREF") == [1, 1]
    assert r.xpending("mystream", "mygroup")["pending"] == 0
    assert r.xrange("mystream") == []


def test_xackdel_policies_across_groups(r):
    r.xadd("s", {"a": 1}, id="1-1")
    r.xadd("s", {"a": 2}, id="1-2")
    r.xgroup_create("s", "g1", id="0")
    r.xgroup_create("s", "g2", id="0")
    r.xreadgroup("g1", "c", {"s": ">"})
    r.xreadgroup("g2", "c", {"s": ">"})
    # ACKED: acknowledged in g1, kept while g2 still has it pending.
    assert r.xackdel("s", "g1", "1-1", ref_policy="ACKED") == [2]
    assert r.xlen("s") == 2 and r.xpending("s", "g1")["pending"] == 1
    assert r.xackdel("s", "g2", "1-1", ref_policy="ACKED") == [1]
    assert r.xlen("s") == 1
    # Not pending (any more) in the group: -1, nothing deleted.
    assert r.xackdel("s", "g1", "1-1", "9-9") == [-1, -1]
    # DELREF: deleted, and g2's reference goes too.
    assert r.xackdel("s", "g1", "1-2", ref_policy="DELREF") == [1]
    assert r.xlen("s") == 0
    assert r.xpending("s", "g2")["pending"] == 0


def test_xackdel_missing_key_group_and_errors(r):
    assert r.xackdel("nosuch", "g", "1-0") == [-1]
    r.xadd("s", {"a": 1}, id="1-1")
    assert r.xackdel("s", "nogroup", "1-1", "1-2") == [-1, -1]
    assert r.xlen("s") == 1
    assert error_of(r, "XACKDEL", "s", "g", "IDS", "0", "1-1") == "Number of IDs must be a positive integer"
    assert error_of(r, "XACKDEL", "s", "g", "IDS", "3", "1-1") == (
        "The `numids` parameter must match the number of arguments"
    )
    assert error_of(r, "XACKDEL", "s", "g", "BOGUS", "IDS", "1", "1-1") == "syntax error"
    assert error_of(r, "XACKDEL", "s", "g", "IDS", "1", "not-an-id") == (
        "Invalid stream ID specified as stream command argument"
    )
    assert error_of(r, "XACKDEL", "s", "g", "IDS", "1") == (
        "wrong number of arguments for 'xackdel' command"
    )
    r.set("str", "x")
    assert error_of(r, "XACKDEL", "str", "g", "IDS", "1", "1-1").startswith("WRONGTYPE")


def test_xdelex_xackdel_in_multi_and_events(r):
    r.xadd("s", {"a": 1}, id="1-1")
    r.xadd("s", {"a": 2}, id="1-2")
    r.xgroup_create("s", "g", id="0")
    r.xreadgroup("g", "c", {"s": ">"})
    pipe = r.pipeline(transaction=True)
    pipe.xackdel("s", "g", "1-1").xdelex("s", "1-2", "7-7", ref_policy="ACKED")
    assert pipe.execute() == [[1], [2, 2]]
    got = events(r, lambda: (r.xdelex("s", "1-2", ref_policy="DELREF"),
                             r.xdelex("s", "1-2"), r.xackdel("s", "g", "1-2")))
    # One xdel event for the deletion; nothing when nothing was deleted.
    assert got == [("xdel", "s")]


# -- XADD / XTRIM reference policies (8.2) ------------------------------------------------


def test_xtrim_policies(r):
    for i in range(1, 6):
        r.xadd("s", {"f": i}, id=f"{i}-0")
    r.xgroup_create("s", "g", id="0")
    r.xreadgroup("g", "c", {"s": ">"}, count=2)  # 1-0, 2-0 pending
    r.xack("s", "g", "1-0")
    # ACKED only trims what every group read and acknowledged: 1-0.
    assert r.xtrim("s", maxlen=2, approximate=False, ref_policy="ACKED") == 1
    assert [e[0] for e in r.xrange("s")] == [b"2-0", b"3-0", b"4-0", b"5-0"]
    assert r.xpending("s", "g")["pending"] == 1
    # KEEPREF (the default) trims anyway and leaves 2-0 pending.
    assert r.xtrim("s", minid="3-0", approximate=False, ref_policy="KEEPREF") == 1
    assert r.xpending("s", "g")["pending"] == 1
    # DELREF trims and drops the references.
    r.xreadgroup("g", "c", {"s": ">"}, count=1)  # 3-0 pending too
    assert r.xtrim("s", maxlen=2, approximate=False, ref_policy="DELREF") == 1
    assert [e[0] for e in r.xrange("s")] == [b"4-0", b"5-0"]
    assert [p["message_id"] for p in r.xpending_range("s", "g", "-", "+", 10)] == [b"2-0"]
    # Options in any case, after LIMIT too.
    assert r.execute_command("XTRIM", "s", "MAXLEN", "~", "0", "LIMIT", "10", "acked") == 0


def test_xtrim_acked_skips_needed_entries_and_goes_on(r):
    for i in range(1, 6):
        r.xadd("s", {"f": i}, id=f"{i}-0")
    r.xgroup_create("s", "g", id="0")
    r.xreadgroup("g", "c", {"s": ">"})
    r.xack("s", "g", "1-0", "3-0", "4-0", "5-0")  # 2-0 stays pending
    assert r.xtrim("s", maxlen=2, approximate=False, ref_policy="ACKED") == 3
    assert [e[0] for e in r.xrange("s")] == [b"2-0", b"5-0"]
    # The hole behind the first entry counts as a deletion.
    assert r.xinfo_stream("s")["max-deleted-entry-id"] == b"4-0"
    # A needed entry past the threshold: MAXLEN may stay above it.
    assert r.xtrim("s", maxlen=0, approximate=False, ref_policy="ACKED") == 1
    assert r.xlen("s") == 1


def test_xadd_with_policies(r):
    r.xadd("s", {"f": 1}, id="1-0")
    r.xadd("s", {"f": 2}, id="2-0")
    r.xgroup_create("s", "g", id="0")
    r.xreadgroup("g", "c", {"s": ">"}, count=1)  # 1-0 pending
    assert r.xadd("s", {"f": 3}, id="3-0", maxlen=1, approximate=False, ref_policy="ACKED") == b"3-0"
    # 1-0 is pending and 2-0, 3-0 not delivered yet: nothing could go.
    assert r.xlen("s") == 3
    assert r.xadd("s", {"f": 4}, id="4-0", maxlen=1, approximate=False, ref_policy="DELREF") == b"4-0"
    assert [e[0] for e in r.xrange("s")] == [b"4-0"]
    assert r.xpending("s", "g")["pending"] == 0
    # The policy word is no ID; a policy without trimming does nothing.
    assert r.execute_command("XADD", "s", "KEEPREF", "5-0", "f", "5") == b"5-0"
    assert r.xlen("s") == 2


# -- LMOVEM / BLMOVEM (8.10) ------------------------------------------------------------


def test_lmovem_documented_examples(r):
    r.rpush("mylist", 1, 2, 3, 4)
    assert r.lmovem("mylist", "myotherlist", "LEFT", "LEFT", count=2, ordering="OBO") == [b"2", b"1"]
    assert r.lrange("mylist", 0, -1) == [b"3", b"4"]
    assert r.lrange("myotherlist", 0, -1) == [b"2", b"1"]
    assert r.lmovem("mylist", "myotherlist", "LEFT", "LEFT", count=5, mode="EXACTLY", ordering="BULK") is None
    r.rpush("somelist", "a", "b", "c")
    assert r.lmovem("somelist", "somelist", "LEFT", "LEFT", count=2, mode="EXACTLY",
                    ordering="OBO") == [b"b", b"a"]
    assert r.lrange("somelist", 0, -1) == [b"b", b"a", b"c"]


@pytest.mark.parametrize(
    "src, dest, ordering, moved, left",
    [
        ("LEFT", "LEFT", "OBO", ["3", "2", "1"], ["4", "5"]),
        ("LEFT", "LEFT", "BULK", ["1", "2", "3"], ["4", "5"]),
        ("LEFT", "RIGHT", "OBO", ["1", "2", "3"], ["4", "5"]),
        ("RIGHT", "RIGHT", "OBO", ["5", "4", "3"], ["1", "2"]),
        ("RIGHT", "RIGHT", "BULK", ["3", "4", "5"], ["1", "2"]),
        ("RIGHT", "LEFT", "OBO", ["3", "4", "5"], ["1", "2"]),
    ],
)
def test_lmovem_orderings(r, src, dest, ordering, moved, left):
    r.rpush("src", 1, 2, 3, 4, 5)
    r.rpush("dst", "x")
    moved = [m.encode() for m in moved]
    assert r.lmovem("src", "dst", src, dest, count=3, ordering=ordering) == moved
    assert r.lrange("src", 0, -1) == [v.encode() for v in left]
    expected = moved + [b"x"] if dest == "LEFT" else [b"x"] + moved
    assert r.lrange("dst", 0, -1) == expected


def test_lmovem_edge_cases(r):
    # Without the block it is LMOVE with an array reply.
    r.rpush("src", "a", "b", "c")
    assert r.lmovem("src", "dst", "LEFT", "RIGHT") == [b"a"]
    # COUNT moves what there is and deletes the emptied source.
    assert r.lmovem("src", "dst", "LEFT", "RIGHT", count=100, ordering="BULK") == [b"b", b"c"]
    assert r.exists("src") == 0
    assert r.lrange("dst", 0, -1) == [b"a", b"b", b"c"]
    # A missing source: an empty array, nil with EXACTLY; nothing created.
    assert r.lmovem("nosuch", "other", "LEFT", "RIGHT") == []
    assert r.lmovem("nosuch", "other", "LEFT", "RIGHT", count=5, ordering="BULK") == []
    assert r.lmovem("nosuch", "other", "LEFT", "RIGHT", count=1, mode="EXACTLY", ordering="BULK") is None
    assert r.exists("other") == 0
    # BULK onto the same list is a rotation that keeps order.
    r.rpush("k", 1, 2, 3, 4)
    assert r.lmovem("k", "k", "LEFT", "RIGHT", count=2, ordering="BULK") == [b"1", b"2"]
    assert r.lrange("k", 0, -1) == [b"3", b"4", b"1", b"2"]


def test_lmovem_errors(r):
    r.rpush("src", "a", "b", "c")
    for args in (("COUNT", "0", "BULK"), ("EXACTLY", "0", "BULK"), ("COUNT", "-1", "BULK"),
                 ("COUNT", "a", "BULK")):
        assert error_of(r, "LMOVEM", "src", "dst", "LEFT", "RIGHT", *args) == "count should be greater than 0"
    assert error_of(r, "LMOVEM", "src", "dst", "LEFT") == "wrong number of arguments for 'lmovem' command"
    for args in (("LEFT", "RIGHT", "COUNT", "2"), ("LEFT", "RIGHT", "COUNT", "2", "OBO", "extra"),
                 ("LEFT", "RIGHT", "BAD", "2", "OBO"), ("LEFT", "RIGHT", "COUNT", "2", "BADORDER"),
                 ("BADWHERE", "RIGHT", "COUNT", "2", "OBO"), ("LEFT", "BADWHERE")):
        assert error_of(r, "LMOVEM", "src", "dst", *args) == "syntax error", args
    r.set("s", "foo")
    assert error_of(r, "LMOVEM", "s", "d", "LEFT", "RIGHT").startswith("WRONGTYPE")
    r.set("d", "foo")
    assert error_of(r, "LMOVEM", "src", "d", "LEFT", "RIGHT", "COUNT", "2", "BULK").startswith("WRONGTYPE")
    # Nothing left the source on the destination's type error.
    assert r.lrange("src", 0, -1) == [b"a", b"b", b"c"]
    assert error_of(r, "BLMOVEM", "src", "dst", "LEFT", "RIGHT", "x") == "timeout is not a float or out of range"
    assert error_of(r, "BLMOVEM", "src", "dst", "LEFT", "RIGHT", "-1") == "timeout is negative"


def test_lmovem_events(r):
    r.rpush("src", 1, 2, 3)
    got = events(r, lambda: (r.lmovem("src", "dst", "LEFT", "RIGHT", count=2, ordering="OBO"),
                             r.lmovem("src", "dst", "RIGHT", "LEFT", count=5, ordering="BULK"),
                             r.lmovem("src", "dst", "RIGHT", "LEFT")))
    assert got == [("rpush", "dst"), ("lpop", "src"), ("lpush", "dst"), ("rpop", "src"), ("del", "src")]


def test_blmovem_serves_at_once_times_out_and_does_not_block_in_multi(r):
    r.rpush("src", 1, 2, 3)
    assert r.blmovem("src", "dst", 0, "LEFT", "RIGHT", count=2, ordering="BULK") == [b"1", b"2"]
    assert r.lrange("dst", 0, -1) == [b"1", b"2"]
    t = time.perf_counter()
    assert r.blmovem("src", "dst", 0.2, "LEFT", "RIGHT", count=3, mode="EXACTLY", ordering="BULK") is None
    assert time.perf_counter() - t >= 0.18
    assert r.lrange("src", 0, -1) == [b"3"]
    pipe = r.pipeline(transaction=True)
    pipe.blmovem("src", "dst", 0, "LEFT", "RIGHT", count=3, mode="EXACTLY", ordering="BULK")
    pipe.blmovem("empty", "dst", 0, "LEFT", "RIGHT")
    pipe.blmovem("src", "dst", 0, "LEFT", "RIGHT", count=3, ordering="BULK")
    assert pipe.execute() == [None, None, [b"3"]]


def test_blmovem_count_wakes_on_first_push(make):
    waiter, pusher = make(), make()
    result = in_thread(lambda: waiter.blmovem("src", "dst", 5, "LEFT", "RIGHT", count=5, ordering="BULK"))
    wait_blocked(pusher)
    pusher.rpush("src", "a", "b")
    assert result()[0] == [b"a", b"b"]
    assert pusher.lrange("dst", 0, -1) == [b"a", b"b"]


def test_blmovem_exactly_waits_until_the_source_is_long_enough(make):
    waiter, pusher = make(), make()
    result = in_thread(lambda: waiter.blmovem("src", "dst", 5, "LEFT", "RIGHT", count=3, mode="EXACTLY",
                                              ordering="BULK"))
    wait_blocked(pusher)
    pusher.rpush("src", 1, 2)
    time.sleep(0.05)
    # Not enough yet: still blocked, nothing moved.
    assert pusher.info("clients")["blocked_clients"] == 1
    assert pusher.lrange("src", 0, -1) == [b"1", b"2"] and pusher.exists("dst") == 0
    # LINSERT grows it to three: served, atomically.
    pusher.linsert("src", "BEFORE", 1, 0)
    assert result()[0] == [b"0", b"1", b"2"]
    assert pusher.lrange("dst", 0, -1) == [b"0", b"1", b"2"]
    assert pusher.exists("src") == 0


def test_blmovem_times_out_while_blocked(make):
    waiter, pusher = make(), make()
    result = in_thread(lambda: waiter.blmovem("src", "dst", 0.3, "LEFT", "RIGHT", count=2, mode="EXACTLY",
                                              ordering="OBO"))
    wait_blocked(pusher)
    pusher.rpush("src", "only")
    value, elapsed = result()
    assert value is None and elapsed >= 0.25
    assert pusher.lrange("src", 0, -1) == [b"only"]


# -- the same replies over the RESP server -------------------------------------------------


def test_raw_replies_match_between_engine_and_server(redcore_server):
    """The same command lines, raw (no redis-py reply callbacks), give the
    same frames in process and over redcore's RESP server, RESP2 and RESP3."""
    import redis

    import redcore

    script = [
        ("ZADD", "z", "1", "a", "2", "b"), ("ZRANK", "z", "b", "WITHSCORE"),
        ("ZREVRANK", "z", "x", "WITHSCORE"),
        ("XADD", "s", "1-1", "f", "1"), ("XADD", "s", "1-2", "f", "2"), ("XGROUP", "CREATE", "s", "g", "0"),
        ("XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "s", ">"),
        ("XDELEX", "s", "ACKED", "IDS", "2", "1-1", "1-2"), ("XACKDEL", "s", "g", "ACKED", "IDS", "1", "1-1"),
        ("XADD", "s", "DELREF", "MAXLEN", "0", "2-0", "f", "3"), ("XTRIM", "s", "MAXLEN", "0", "ACKED"),
        ("RPUSH", "l", "1", "2", "3"), ("LMOVEM", "l", "m", "LEFT", "LEFT", "COUNT", "2", "OBO"),
        ("LMOVEM", "l", "m", "LEFT", "LEFT", "EXACTLY", "2", "BULK"),
        ("BLMOVEM", "l", "m", "RIGHT", "RIGHT", "0", "EXACTLY", "1", "BULK"),
        ("BLMOVEM", "l", "m", "RIGHT", "RIGHT", "0.05"), ("LMOVEM", "nosuch", "m", "LEFT", "LEFT"),
    ]
    for protocol in (2, 3):
        local = redcore.Redis(protocol=protocol)
        remote = redis.Redis(port=redcore_server.port, protocol=protocol, driver_info=None)
        remote.flushall()
        for client in (local, remote):
            client.response_callbacks.clear()
        try:
            assert [local.execute_command(*c) for c in script] == [remote.execute_command(*c) for c in script]
        finally:
            local.close()
            remote.close()


# -- persistence -------------------------------------------------------------------------


def test_aof_replays_the_new_commands(tmp_path):
    """The AOF carries the new commands (BLMOVEM as the LMOVEM that moves
    the same elements, XADD's policy word kept apart from its ID) and a
    restart rebuilds the same data."""
    import gc

    import redcore
    from aof_support import aof_config, parse_resp_commands

    def state(c):
        pending = [(p["message_id"], p["consumer"], p["times_delivered"])
                   for p in c.xpending_range("s", "g", "-", "+", 10)]
        return c.lrange("dst", 0, -1), c.lrange("src", 0, -1), c.xrange("s"), pending

    r = redcore.Redis(config=aof_config(str(tmp_path)))
    r.rpush("src", *range(6))
    r.lmovem("src", "dst", "RIGHT", "LEFT", count=2, ordering="OBO")
    r.blmovem("src", "dst", 0, "LEFT", "LEFT", count=2, mode="EXACTLY", ordering="BULK")
    for i in range(1, 6):
        r.xadd("s", {"f": i}, id=f"{i}-0")
    r.xgroup_create("s", "g", id="0")
    r.xreadgroup("g", "c", {"s": ">"}, count=3)
    r.xackdel("s", "g", "1-0", ref_policy="ACKED")
    r.xadd("s", {"f": 6}, id="6-0", maxlen=2, approximate=False, ref_policy="ACKED")
    r.xdelex("s", "3-0", ref_policy="DELREF")
    before = state(r)
    commands = parse_resp_commands((tmp_path / "appendonlydir" / "appendonly.aof.1.incr.aof").read_bytes())
    assert [b"LMOVEM", b"src", b"dst", b"LEFT", b"LEFT", b"EXACTLY", b"2", b"BULK"] in commands
    del r  # the engine (and its directory lock) goes with its last client
    gc.collect()
    again = redcore.Redis(config=aof_config(str(tmp_path)))
    assert state(again) == before
