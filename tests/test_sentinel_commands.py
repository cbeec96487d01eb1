"""SentinelCommands (``sentinel_*`` methods) against a real Redis Sentinel.

A module fixture starts a master ``redis-server``, one replica of it and
one ``redis-sentinel`` (Debian's package) monitoring the master as
``mymaster``. Each method runs on redcore's network client and on
redis-py, both with redis-py's default protocol (RESP3 on the wire, legacy
reply shapes) and with ``protocol=2`` (and redcore with ``protocol=3``
against redis-py's default), and must return the same thing
(fields that change with time, such as ``last-ping-reply``, are compared by
type). The callbacks are also checked directly on RESP3 maps, the form
embedded clients hand them. On a plain server and on the embedded engine
the commands fail with ``unknown command 'SENTINEL'``.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
import warnings
from typing import Any, Callable, Dict, Iterator, List, Tuple

import pytest
import redis
from redis._parsers import helpers as redis_helpers

import redcore
from redcore._localhost import tie_to_parent
from redcore import _callbacks
from conftest import RedisServer, _free_port

MASTER = "mymaster"


def _wait(what: str, check: Callable[[], Any], timeout: float = 20) -> None:
    deadline = time.time() + timeout
    while True:
        try:
            if check():
                return
        except redis.exceptions.ConnectionError:
            pass
        if time.time() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.05)


class SentinelGroup:
    """A master, its replica and a sentinel monitoring them, on loopback
    ports, owned by this module."""

    def __init__(self) -> None:
        self.master = RedisServer()
        self.replica = RedisServer(("--replicaof", "127.0.0.1", str(self.master.port)))
        self.sentinel_proc = None
        self.dir = tempfile.mkdtemp(prefix="redcore-sentinel-")
        try:
            _wait("the replica to sync", lambda: self.replica.client().info("replication")["master_link_status"] == "up")
            self.port = _free_port()
            conf = f"{self.dir}/sentinel.conf"
            with open(conf, "w") as f:
                f.write(
                    f"port {self.port}\nbind 127.0.0.1\ndir {self.dir}\n"
                    f"sentinel monitor {MASTER} 127.0.0.1 {self.master.port} 1\n"
                    f"sentinel down-after-milliseconds {MASTER} 60000\n"
                )
            sentinel = shutil.which("redis-sentinel")
            if sentinel is None:
                pytest.skip("redis-sentinel not found: run scripts/test.sh, which installs it")
            self.sentinel_proc = subprocess.Popen(
                [sentinel, conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=tie_to_parent()
            )
            probe = redis.Redis(port=self.port, protocol=2, socket_timeout=1)
            # The sentinel learns of the replica from the master's INFO.
            _wait("the sentinel to see the replica", lambda: probe.sentinel_master(MASTER)["num-slaves"] == 1)
            # ...and then asks the replica's own INFO (its master-port).
            _wait(
                "the sentinel to query the replica",
                lambda: probe.sentinel_slaves(MASTER)[0]["master-port"] == self.master.port,
            )
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        if self.sentinel_proc is not None:
            self.sentinel_proc.terminate()
            try:
                self.sentinel_proc.wait(10)
            except subprocess.TimeoutExpired:
                self.sentinel_proc.kill()
        self.replica.stop()
        self.master.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def group() -> Iterator[SentinelGroup]:
    g = SentinelGroup()
    yield g
    g.stop()


# (redcore's protocol, redis-py's protocol); None is the client's default.
# redcore returns redis-py's default (legacy) shapes whatever the wire
# protocol, so its RESP3 connection is compared with redis-py's default.
PROTOCOLS = {"default-protocol": (None, None), "protocol=2": (2, 2), "redcore-protocol=3": (3, None)}


@pytest.fixture(params=list(PROTOCOLS))
def clients(request: pytest.FixtureRequest, group: SentinelGroup) -> Iterator[Tuple[Any, Any]]:
    """(redcore client, redis-py client) on the sentinel."""
    mine, want = PROTOCOLS[request.param]
    ours = redcore.Redis(port=group.port, **({"protocol": mine} if mine else {}))
    theirs = redis.Redis(port=group.port, **({"protocol": want} if want else {}))
    yield ours, theirs
    ours.close()
    theirs.close()


# Fields whose values move with time: compared by type only.
VOLATILE = ("last-", "info-refresh", "role-reported-time", "slave-repl-offset", "master-link-down-time", "link-pending-commands")


def stable(state: Dict[str, Any]) -> Dict[str, Any]:
    return {k: (type(v) if k.startswith(VOLATILE) else v) for k, v in state.items()}


def test_masters_and_master(clients: Tuple[Any, Any], group: SentinelGroup) -> None:
    ours, theirs = clients
    mine = ours.sentinel_master(MASTER)
    assert stable(mine) == stable(theirs.sentinel_master(MASTER))
    assert mine["port"] == group.master.port and mine["flags"] == "master"
    assert mine["is_master"] is True and mine["is_slave"] is False and mine["num-slaves"] == 1
    assert stable(ours.sentinel_master(MASTER, return_responses=True)) == stable(mine)
    masters = ours.sentinel_masters()
    assert list(masters) == [MASTER]
    assert {k: stable(v) for k, v in masters.items()} == {k: stable(v) for k, v in theirs.sentinel_masters().items()}


def test_get_master_addr_by_name(clients: Tuple[Any, Any], group: SentinelGroup) -> None:
    ours, theirs = clients
    addr = ours.sentinel_get_master_addr_by_name(MASTER)
    assert addr == theirs.sentinel_get_master_addr_by_name(MASTER) == (b"127.0.0.1", group.master.port)
    assert ours.sentinel_get_master_addr_by_name(MASTER, return_responses=True) == addr
    assert ours.sentinel_get_master_addr_by_name("nope") is None
    assert theirs.sentinel_get_master_addr_by_name("nope") is None


def test_decoded_address(group: SentinelGroup) -> None:
    ours = redcore.Redis(port=group.port, decode_responses=True)
    theirs = redis.Redis(port=group.port, decode_responses=True)
    assert ours.sentinel_get_master_addr_by_name(MASTER) == theirs.sentinel_get_master_addr_by_name(MASTER)
    assert ours.sentinel_get_master_addr_by_name(MASTER) == ("127.0.0.1", group.master.port)
    assert stable(ours.sentinel_master(MASTER)) == stable(theirs.sentinel_master(MASTER))


def test_slaves_and_sentinels(clients: Tuple[Any, Any], group: SentinelGroup) -> None:
    ours, theirs = clients
    slaves = ours.sentinel_slaves(MASTER)
    assert [stable(s) for s in slaves] == [stable(s) for s in theirs.sentinel_slaves(MASTER)]
    (replica,) = slaves
    assert replica["port"] == group.replica.port and replica["master-port"] == group.master.port
    assert replica["flags"] == "slave" and replica["is_slave"] is True and replica["is_master"] is False
    # One sentinel: it lists no others.
    assert ours.sentinel_sentinels(MASTER) == theirs.sentinel_sentinels(MASTER) == []
    assert ours.sentinel_sentinels(MASTER, return_responses=True) == []


def test_ckquorum_flushconfig_reset(clients: Tuple[Any, Any]) -> None:
    ours, theirs = clients
    # CKQUORUM answers "OK <explanation>": not a bare OK, so False in redis-py.
    assert ours.sentinel_ckquorum(MASTER) is theirs.sentinel_ckquorum(MASTER) is False
    assert ours.sentinel_flushconfig() is theirs.sentinel_flushconfig() is True
    # RESET answers the number of masters reset (none match here).
    assert ours.sentinel_reset("no-such-*") is theirs.sentinel_reset("no-such-*") is False


def test_monitor_set_remove(clients: Tuple[Any, Any], group: SentinelGroup) -> None:
    for client in clients:
        assert client.sentinel_monitor("other", "127.0.0.1", group.master.port, 1) is True
        assert client.sentinel_set("other", "quorum", 2) is True
        assert client.sentinel_master("other")["quorum"] == 2
        assert client.sentinel_remove("other") is True
        assert "other" not in client.sentinel_masters()


@pytest.mark.parametrize(
    "method, args",
    [
        ("sentinel_master", ("nope",)),
        ("sentinel_slaves", ("nope",)),
        ("sentinel_sentinels", ("nope",)),
        ("sentinel_ckquorum", ("nope",)),
        ("sentinel_failover", ("nope",)),
        ("sentinel_remove", ("nope",)),
        ("sentinel_set", ("nope", "quorum", 2)),
        ("sentinel_set", (MASTER, "no-such-option", 2)),
        ("sentinel_monitor", (MASTER, "127.0.0.1", 1, 1)),
        ("sentinel_monitor", ("x", "127.0.0.1", "notaport", 1)),
    ],
)
def test_errors(clients: Tuple[Any, Any], method: str, args: tuple) -> None:
    ours, theirs = clients
    with pytest.raises(redis.exceptions.ResponseError) as expected:
        getattr(theirs, method)(*args)
    with pytest.raises(redcore.exceptions.ResponseError) as got:
        getattr(ours, method)(*args)
    assert str(got.value) == str(expected.value)


def test_sentinel_is_deprecated(clients: Tuple[Any, Any]) -> None:
    for client in clients:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert client.sentinel("masters") is None
        assert [w.category for w in caught] == [DeprecationWarning]
        assert str(caught[0].message) == "Use the individual sentinel_* methods"


def _as_resp3(flat: List[Any]) -> Dict[Any, Any]:
    return dict(zip(flat[::2], flat[1::2]))


def test_callbacks_take_resp2_and_resp3_forms(group: SentinelGroup) -> None:
    """The callbacks give redis-py's legacy shapes from flat lists (RESP2)
    and from maps (RESP3, as embedded clients will hand them)."""
    raw = redis.Redis(port=group.port, protocol=2)
    master = raw.execute_command("SENTINEL", "MASTER", MASTER)
    slaves = raw.execute_command("SENTINEL", "SLAVES", MASTER)
    # A sentinel's own state, as SENTINEL SENTINELS lists another one.
    peer = [b"name", b"abc", b"ip", b"127.0.0.1", b"port", b"26380", b"runid", b"abc",
            b"flags", b"sentinel,disconnected", b"last-hello-message", b"12",
            b"voted-leader-epoch", b"0", b"link-pending-commands", b"0"]
    assert _callbacks.parse_sentinel_master(master) == redis_helpers.parse_sentinel_master(master)
    assert _callbacks.parse_sentinel_master(_as_resp3(master)) == redis_helpers.parse_sentinel_master(master)
    assert _callbacks.parse_sentinel_masters([master]) == redis_helpers.parse_sentinel_masters([master])
    assert _callbacks.parse_sentinel_masters([_as_resp3(master)]) == redis_helpers.parse_sentinel_masters([master])
    for items in (slaves, [peer]):
        want = redis_helpers.parse_sentinel_slaves_and_sentinels(items)
        assert _callbacks.parse_sentinel_list(items) == want
        assert _callbacks.parse_sentinel_list([_as_resp3(i) for i in items]) == want
    state = _callbacks.parse_sentinel_list([peer])[0]
    assert state["is_sentinel"] and state["is_disconnected"] and not state["is_master"]
    assert state["port"] == 26380 and state["flags"] == "sentinel,disconnected"
    # A numeric field that is not a number stays text, as in redis-py.
    odd = [b"name", b"m", b"flags", b"master", b"quorum", b"many"]
    assert _callbacks.parse_sentinel_master(odd) == redis_helpers.parse_sentinel_master(odd)


# Every sentinel method with arguments, for the plain-server checks.
CALLS = [
    ("sentinel_get_master_addr_by_name", (MASTER,)),
    ("sentinel_master", (MASTER,)),
    ("sentinel_masters", ()),
    ("sentinel_monitor", ("x", "127.0.0.1", 6379, 1)),
    ("sentinel_remove", ("x",)),
    ("sentinel_sentinels", (MASTER,)),
    ("sentinel_set", (MASTER, "quorum", 1)),
    ("sentinel_slaves", (MASTER,)),
    ("sentinel_reset", ("*",)),
    ("sentinel_failover", (MASTER,)),
    ("sentinel_ckquorum", (MASTER,)),
    ("sentinel_flushconfig", ()),
]


@pytest.mark.parametrize("method, args", CALLS, ids=[c[0] for c in CALLS])
def test_plain_server_and_embedded_refuse(method: str, args: tuple, redis_server: Any) -> None:
    """Not a sentinel: the embedded engine answers as redis-server does."""
    oracle = redis_server.client()
    with pytest.raises(redis.exceptions.ResponseError) as expected:
        getattr(oracle, method)(*args)
    assert str(expected.value).startswith("unknown command 'SENTINEL', with args beginning with: ")
    for client in (redcore.Redis(), redcore.Redis(port=redis_server.port)):
        with pytest.raises(redcore.exceptions.ResponseError) as got:
            getattr(client, method)(*args)
        assert str(got.value) == str(expected.value)


def test_failover(group: SentinelGroup) -> None:
    """Last (it changes the group): a forced failover starts (True) and a
    second one, while it runs, fails the same way on both clients."""
    ours, theirs = redcore.Redis(port=group.port), redis.Redis(port=group.port)
    assert ours.sentinel_failover(MASTER) is True
    with pytest.raises(redis.exceptions.ResponseError) as expected:
        theirs.sentinel_failover(MASTER)
    with pytest.raises(redcore.exceptions.ResponseError) as got:
        ours.sentinel_failover(MASTER)
    assert str(got.value) == str(expected.value)
    _wait(
        "the replica to be promoted",
        lambda: ours.sentinel_get_master_addr_by_name(MASTER) == (b"127.0.0.1", group.replica.port),
    )
    assert theirs.sentinel_get_master_addr_by_name(MASTER) == (b"127.0.0.1", group.replica.port)
