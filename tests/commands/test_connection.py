"""Connection commands: CLIENT LIST / KILL / PAUSE / UNPAUSE / UNBLOCK /
REPLY / NO-EVICT / GETREDIR / TRACKINGINFO, HELLO, RESET and QUIT. Every
client handle, pipeline and pub/sub object of an embedded engine is one of
its connections, so these run on all three backends; the server's CLIENT
LIST also shows the test harness's connections, so tests look only at
their own clients. Tests that pause the shared server unpause it in a
finalizer."""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Iterator

import pytest


def err(exc: type, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
    with pytest.raises(exc) as e:
        fn(*args, **kwargs)
    return str(e.value)


@pytest.fixture
def unpaused(make: Callable[..., Any], backend: str, redis_server: Any) -> Iterator[Callable[..., Any]]:
    """``make``; the server is unpaused afterwards."""
    yield make
    if backend != "embedded":
        admin = redis_server.client()
        admin.client_unpause()
        admin.close()


def ids_in(r: Any) -> set:
    return {int(c["id"]) for c in r.client_list()}


def test_client_list_multi_mem_counts_the_queued_commands(make):
    """multi-mem: the queued commands' argument bytes plus 8 per argument,
    as Redis 7.0 counts them; gone with the transaction."""
    a = make(decode_responses=True, single_connection_client=True)
    b = make(decode_responses=True)
    a.client_setname("tx")

    def seen():
        e = next(c for c in b.client_list() if c["name"] == "tx")
        return e["multi"], e["multi-mem"]

    assert seen() == ("-1", "0")
    a.execute_command("MULTI")
    a.execute_command("SET", "foo", "bar")
    a.execute_command("RPUSH", "list", "a", "bb", "ccc")
    assert seen() == ("2", str((3 + 3 + 3) + 3 * 8 + (5 + 4 + 1 + 2 + 3) + 5 * 8))
    a.execute_command("EXEC")
    assert seen() == ("-1", "0")
    a.execute_command("MULTI")
    a.execute_command("SET", "foo", "bar")
    a.execute_command("DISCARD")
    assert seen() == ("-1", "0")


def test_client_list_sees_every_client_of_the_engine(make):
    a = make(decode_responses=True)
    b = make(decode_responses=True)
    b.client_setname("bee")
    a_id, b_id = a.client_id(), b.client_id()
    listed = {int(c["id"]): c for c in a.client_list()}
    assert {a_id, b_id} <= set(listed)
    assert listed[b_id]["name"] == "bee"
    assert listed[a_id]["cmd"] == "client|list"
    assert listed[b_id]["user"] == "default"
    mine = a.client_list(client_id=[b_id])
    assert [int(c["id"]) for c in mine] == [b_id]
    assert b_id in {int(c["id"]) for c in a.client_list(_type="normal")}
    assert a.client_info()["id"] == a_id


def test_client_name_argument_names_the_connections(make):
    """client_name=: the client's connections send CLIENT SETNAME on
    connect (its pipelines', and those of redis-py's Redis over its pool:
    huey, Django's RedisCache and walrus wrap a redcore pool so)."""
    import redis

    r = make(decode_responses=True, client_name="worker-1")
    assert r.client_getname() == "worker-1" and r.client_info()["name"] == "worker-1"
    pipe = r.pipeline()
    pipe.client_getname()
    assert pipe.execute() == ["worker-1"]
    assert redis.Redis(connection_pool=r.connection_pool).client_getname() == "worker-1"
    viewer = make(decode_responses=True)
    assert viewer.client_getname() is None
    assert "worker-1" in {c["name"] for c in viewer.client_list()}
    # A reconnection (after CLIENT KILL) is named again; a rename lasts
    # until then.
    r.client_setname("renamed")
    assert r.client_getname() == "renamed"
    assert viewer.client_kill_filter(_id=r.client_id()) == 1
    assert r.client_getname() == "worker-1"
    assert make(client_name="").client_getname() is None  # an empty name sets none
    with pytest.raises(r.exc.ResponseError, match="^Client names cannot contain spaces, newlines or special characters.$"):
        make(client_name="two words").ping()


def test_pubsub_clients_are_listed_with_their_counts(make):
    a = make(decode_responses=True)
    p = a.pubsub()
    p.subscribe("ch1", "ch2")
    p.psubscribe("p*")
    assert p.get_message(timeout=1)["type"] == "subscribe"
    subs = [c for c in a.client_list(_type="pubsub") if c["sub"] == "2"]
    assert len(subs) == 1 and subs[0]["psub"] == "1"
    p.close()


def test_client_kill_by_id_reconnects_the_victim(make):
    a = make()
    b = make()
    b.set("k", "v")
    b_id = b.client_id()
    assert a.client_kill_filter(_id=b_id) == 1
    assert b_id not in ids_in(a)
    # The victim's next command runs on a fresh connection.
    assert b.get("k") == b"v"
    assert b.client_id() != b_id
    assert a.client_kill_filter(_id=b_id) == 0


def test_client_kill_by_address_and_filters(make):
    a = make(decode_responses=True)
    b = make(decode_responses=True)
    b_addr = b.client_info()["addr"]
    assert a.client_kill(b_addr) is True
    assert err(a.exc.ResponseError, a.client_kill, "1.2.3.4:5") == "No such client"
    # SKIPME defaults to yes: killing "every normal client" spares the caller.
    b.ping()
    b_id = b.client_id()
    assert a.client_kill_filter(_id=b_id, _type="normal") == 1
    a_id = a.client_id()
    assert a.client_kill_filter(_id=a_id) == 0
    assert err(a.exc.ResponseError, a.execute_command, "CLIENT", "KILL", "ID", "abc") == (
        "client-id should be greater than 0"
    )
    assert err(a.exc.ResponseError, a.execute_command, "CLIENT", "KILL", "TYPE", "foo") == (
        "Unknown client type 'foo'"
    )
    assert err(a.exc.ResponseError, a.execute_command, "CLIENT", "KILL", "USER", "nosuch") == (
        "No such user 'nosuch'"
    )
    assert err(a.exc.ResponseError, a.execute_command, "CLIENT", "KILL", "SKIPME", "maybe") == "syntax error"


def test_client_kill_of_itself(make, backend):
    if backend == "remote":
        pytest.skip("redcore's remote pool may reuse the killed socket before it sees the close (a race)")
    a = make()
    a_id = a.client_id()
    assert a.client_kill_filter(_id=a_id, skipme=False) == 1
    assert a.ping() is True and a.client_id() != a_id


def test_client_kill_by_user(make, backend, redis_server):
    a = make(decode_responses=True)
    try:
        a.acl_setuser("redcore-kill", enabled=True, nopass=True, commands=["+@all"], keys=["*"])
        b = make(decode_responses=True, username="redcore-kill", password="x")
        b_id = b.client_id()
        assert a.client_kill_filter(user="redcore-kill") == 1
        assert b.client_id() != b_id
    finally:
        a.acl_deluser("redcore-kill")


def test_killed_client_loses_its_transaction_state(make):
    a = make()
    b = make()
    with b.pipeline() as pipe:
        pipe.watch("k")
        victim = pipe.client_id()
        assert a.client_kill_filter(_id=victim) == 1
        pipe.multi()
        pipe.set("k", "v")
        # The WATCH went with the old connection: the transaction fails.
        with pytest.raises(b.exc.WatchError):
            pipe.execute()
    assert a.get("k") is None


def test_client_unblock(make):
    a = make()
    b = make()
    b_id = b.client_id()
    results = []

    def block() -> None:
        try:
            results.append(b.blpop("q", timeout=10))
        except Exception as e:  # noqa: BLE001 - the error is the result
            results.append(e)

    for error, check in ((False, lambda x: x is None), (True, lambda x: "UNBLOCKED" in str(x))):
        results.clear()
        t = threading.Thread(target=block)
        t.start()
        deadline = time.time() + 5
        while not any(c.get("flags", "") == "b" or c.get("cmd") == "blpop" and int(c["id"]) == b_id
                      for c in a.client_list()) and time.time() < deadline:
            time.sleep(0.01)
        time.sleep(0.05)
        assert a.client_unblock(b_id, error=error) is True
        t.join(5)
        assert check(results[0]), results
    assert a.client_unblock(b_id) is False
    assert err(a.exc.ResponseError, a.execute_command, "CLIENT", "UNBLOCK", b_id, "foo") == (
        "CLIENT UNBLOCK reason should be TIMEOUT or ERROR"
    )


def test_client_pause_write(unpaused):
    a = unpaused()
    b = unpaused()
    assert a.client_pause(1000, all=False) is True
    start = time.time()
    assert b.get("k") is None  # reads go on
    assert time.time() - start < 0.7
    b.set("k", "v")  # writes wait for the pause to end
    assert time.time() - start >= 0.95
    assert a.client_pause(5000, all=False) is True
    done = []
    t = threading.Thread(target=lambda: done.append(b.set("k", "w")))
    t.start()
    time.sleep(0.1)
    assert not done
    assert a.client_unpause() in (True, b"OK")
    t.join(5)
    assert done == [True]
    assert err(a.exc.ResponseError, a.execute_command, "CLIENT", "PAUSE", "abc") == (
        "timeout is not an integer or out of range"
    )
    assert err(a.exc.ResponseError, a.execute_command, "CLIENT", "PAUSE", "-1") == "timeout is negative"
    assert err(a.exc.ResponseError, a.execute_command, "CLIENT", "PAUSE", "10", "foo") == (
        "CLIENT PAUSE mode must be WRITE or ALL"
    )


def test_no_evict_getredir_trackinginfo(make):
    r = make(decode_responses=True)
    assert r.client_no_evict("ON") == "OK"
    assert "e" in r.client_info()["flags"]
    assert r.client_no_evict("OFF") == "OK"
    assert err(r.exc.ResponseError, r.client_no_evict, "maybe") == "syntax error"
    assert r.client_getredir() == -1
    assert r.client_trackinginfo() == ["flags", ["off"], "redirect", -1, "prefixes", []]


def test_redis_7_2_subcommands_are_unknown(make, backend):
    """redis-server 7.0 lacks them; redcore's engine (embedded, or behind
    the redcore server) has them (tested in test_client_setinfo.py)."""
    if backend in ("embedded", "server"):
        pytest.skip("redcore's engine has Redis 7.2's CLIENT SETINFO and NO-TOUCH")
    r = make()
    assert err(r.exc.ResponseError, r.client_setinfo, "lib-name", "x").lower().startswith(
        "unknown subcommand 'setinfo'"
    )
    assert err(r.exc.ResponseError, r.client_no_touch, "ON").lower().startswith("unknown subcommand 'no-touch'")


def test_hello(make):
    r = make()
    reply = r.execute_command("HELLO", "2", "SETNAME", "greeter")
    fields = dict(zip(reply[::2], reply[1::2]))
    assert fields[b"server"] == b"redis" and fields[b"proto"] == 2
    assert fields[b"id"] == r.client_id()
    assert r.client_getname() in ("greeter", b"greeter")
    assert err(r.exc.ResponseError, r.execute_command, "HELLO", "4") == "NOPROTO unsupported protocol version"
    assert err(r.exc.ResponseError, r.execute_command, "HELLO", "abc") == (
        "Protocol version is not an integer or out of range"
    )
    with pytest.raises(NotImplementedError):
        r.hello()


def test_hello_3_switches_the_embedded_client_to_resp3(make, backend):
    if backend != "embedded":
        pytest.skip("a RESP2 redis-py connection cannot read RESP3 replies")
    r = make()
    r.execute_command("HELLO", "3")
    assert r.client_info()["resp"] == "3"


def test_reset_and_quit(make):
    r = make(decode_responses=True)
    r.client_setname("before")
    assert r.reset() == "RESET"
    assert r.client_getname() is None
    assert r.acl_whoami() == "default"
    old = r.client_id()
    assert r.quit() in (True, "OK")
    assert r.ping() is True
    assert r.client_id() != old


def test_client_reply_off_and_skip(make, backend):
    """No reply comes after CLIENT REPLY OFF / SKIP: a redis-py client times
    out (``socket_timeout``) and drops the connection, and its next command
    runs on a new connection with replies on. The embedded engine shows the
    same, raising at once instead of waiting."""
    if backend == "oracle":
        import redis

        retry = redis.retry.Retry(redis.backoff.NoBackoff(), 0)
    else:
        from redcore.backoff import NoBackoff
        from redcore.retry import Retry

        retry = Retry(NoBackoff(), 0)
    r = make(socket_timeout=0.3, retry=retry)
    assert r.client_reply("ON") == b"OK"
    before = r.client_id()
    with pytest.raises(r.exc.TimeoutError):
        r.client_reply("OFF")
    assert r.set("k", "v") is True
    assert r.get("k") == b"v"
    assert r.client_id() != before
    with pytest.raises(r.exc.TimeoutError):
        r.execute_command("CLIENT", "REPLY", "SKIP")
    assert r.get("k") == b"v"
    assert err(r.exc.ResponseError, r.execute_command, "CLIENT", "REPLY", "maybe") == "syntax error"


def test_monitor_sees_every_client(make):
    r = make()
    other = make()
    with r.monitor() as m:
        other.set("k", 'a "q"')
        other.select(2)
        other.get("k")
        other.eval("return redis.call('get', KEYS[1])", 1, "k")
        pipe = other.pipeline()
        pipe.incrby("n", 1)
        pipe.execute()
        # (A new network connection's own HELLO 3 handshake is left out.)
        seen = []
        while len(seen) < 8:
            c = m.next_command()
            if not c["command"].startswith("HELLO"):
                seen.append(c)
    commands = [c["command"] for c in seen]
    assert commands == [
        'SET k a "q"',
        "SELECT 2",
        "GET k",
        "EVAL return redis.call('get', KEYS[1]) 1 k",
        "get k",
        "MULTI",
        "INCRBY n 1",
        "EXEC",
    ]
    assert [c["db"] for c in seen[:3]] == [0, 2, 2]
    assert seen[4]["client_type"] == "lua"
    assert seen[0]["client_type"] == "tcp" and isinstance(seen[0]["time"], float)
    assert seen[0]["client_port"] == seen[1]["client_port"]


@pytest.fixture
def untracked(make: Callable[..., Any], backend: str, redis_server: Any) -> Iterator[Callable[..., Any]]:
    """``make``; the clients it made stop tracking afterwards."""
    made = []

    def factory(**kwargs: Any) -> Any:
        # RESP2 clients: invalidations reach them through a REDIRECT to a
        # subscriber of __redis__:invalidate (RESP3 clients get pushes).
        kwargs.setdefault("protocol", 2)
        c = make(**kwargs)
        made.append(c)
        return c

    yield factory
    for c in made:
        try:
            c.client_tracking_off()
        except Exception:  # noqa: BLE001 - a closed client tracks nothing
            pass


def _invalidation(p: Any, wait: float = 2.0) -> Any:
    deadline = time.time() + wait
    while time.time() < deadline:
        m = p.get_message(timeout=0.1)
        if m and m["type"] == "message":
            return m
    return None


def _invalidation_sink(untracked: Callable[..., Any], r: Any) -> Any:
    """A subscriber of __redis__:invalidate on another client, and its
    client id (what ``r`` redirects its invalidations to)."""
    p = untracked().pubsub()
    p.subscribe("__redis__:invalidate")
    assert p.get_message(timeout=1)["type"] == "subscribe"
    sink_id = int([c for c in r.client_list(_type="pubsub") if c["sub"] == "1"][-1]["id"])
    return p, sink_id


def test_tracking_redirect_to_a_subscriber(untracked):
    r = untracked()
    p, sink_id = _invalidation_sink(untracked, r)
    r.set("k", "v")
    assert r.client_tracking_on(clientid=sink_id) in (True, b"OK")
    assert r.client_getredir() == sink_id
    info = r.client_trackinginfo()
    assert info[0] == "flags" and info[1] == [b"on"] and info[3] == sink_id
    assert r.get("k") == b"v"
    writer = untracked()
    writer.set("k", "w")
    msg = _invalidation(p)
    assert msg is not None and msg["channel"] == b"__redis__:invalidate"
    assert msg["data"] == [b"k"]
    # Told once: the key must be read again to be tracked again.
    writer.set("k", "x")
    assert _invalidation(p, 0.3) is None
    writer.flushdb()
    assert _invalidation(p)["data"] is None
    assert r.client_tracking_off() in (True, b"OK")
    assert r.client_getredir() == -1
    p.close()


def test_tracking_bcast_and_errors(untracked):
    r = untracked()
    p, sink_id = _invalidation_sink(untracked, r)
    r.client_tracking_on(clientid=sink_id, bcast=True, prefix=["user:"], noloop=True)
    info = r.client_trackinginfo()
    assert info[1] == [b"on", b"bcast", b"noloop"] and info[5] == [b"user:"]
    untracked().set("user:1", "a")
    assert _invalidation(p)["data"] == [b"user:1"]
    untracked().set("other", "a")
    r.set("user:2", "a")  # NOLOOP: its own writes are not reported
    assert _invalidation(p, 0.3) is None
    assert "switch BCAST mode" in err(r.exc.ResponseError, r.client_tracking_on, clientid=sink_id)
    r.client_tracking_off()
    assert err(r.exc.ResponseError, r.client_tracking_on, clientid=999999) == (
        "The client ID you want redirect to does not exist"
    )
    assert err(r.exc.ResponseError, r.client_tracking_on, optin=True, optout=True) == (
        "You can't specify both OPTIN mode and OPTOUT mode"
    )
    assert err(r.exc.ResponseError, r.execute_command, "CLIENT", "CACHING", "YES").startswith(
        "CLIENT CACHING can be called only when the client is in tracking mode"
    )
    p.close()


def test_client_list_shows_tracking_and_its_redirect(untracked):
    r = untracked()
    p, sink_id = _invalidation_sink(untracked, r)
    me = r.client_id()
    r.client_tracking_on(clientid=sink_id, bcast=True, prefix=["t:"])
    mine = r.client_info()
    assert (mine["flags"], mine["redir"]) == ("tB", str(sink_id))
    other = untracked()
    other.client_tracking_on(optin=True)
    theirs = other.client_info()
    assert (theirs["flags"], theirs["redir"]) == ("t", "0")
    p.close()
    # The target is gone: the next invalidation finds its redirect broken.
    other.set("t:1", "x")
    deadline = time.time() + 2
    while "R" not in r.client_info()["flags"] and time.time() < deadline:
        time.sleep(0.02)
    assert r.client_info()["flags"] == "tRB"
    assert [c["flags"] for c in r.client_list() if c["id"] == str(me)] == ["tRB"]
    r.client_tracking_off()
    other.client_tracking_off()
    assert (r.client_info()["flags"], r.client_info()["redir"]) == ("N", "-1")


def test_resp3_pubsub_tracking_itself_reads_no_invalidation(untracked):
    # A RESP3 connection tracking for itself gets `invalidate` pushes;
    # redis-py's PubSub has no invalidation handler and reads past them.
    c = untracked(protocol=3)
    p = c.pubsub()
    p.execute_command("CLIENT", "ID")
    cid = p.parse_response()
    p.execute_command("CLIENT", "TRACKING", "on", "REDIRECT", cid, "BCAST", "PREFIX", "s:")
    assert p.parse_response() in (b"OK", "OK")
    p.subscribe("news")
    assert p.get_message(timeout=1)["type"] == "subscribe"
    untracked().set("s:1", "x")
    assert p.get_message(timeout=0.3) is None
    c.publish("news", "hi")
    deadline = time.time() + 2
    message = None
    while message is None and time.time() < deadline:
        message = p.get_message(timeout=0.1)
    assert message is not None and (message["type"], message["data"]) == ("message", b"hi")
    p.close()
