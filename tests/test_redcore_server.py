"""redcore's RESP server (``redcore.Server``, ``python -m redcore serve``):
redis-cli and redis-py talk to it, it shares its engine with in-process
clients, and it survives abuse (garbage, huge headers, connection storms,
subscribers that never read, very slow clients) with its memory bounded.

The behaviour suite runs on the server too (the ``server`` backend of the
``r`` fixture); this module covers what is specific to serving sockets.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid
from typing import Any, Iterator, List
from pathlib import Path

import pytest
import redis
from conftest import RedisServer, _free_port

import redcore
from test_remote import certs  # noqa: F401  (a fixture: a CA, server and client certificates)


def rss_mb() -> float:
    """This process's resident memory (the server runs inside it)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def cli(port: int, *args: str, stdin: str = "") -> str:
    out = subprocess.run(
        ["redis-cli", "-p", str(port), *args], input=stdin, capture_output=True, text=True, timeout=30
    )
    return out.stdout


def raw(port: int, data: bytes, wait: float = 0.3) -> bytes:
    """Sends ``data`` on a fresh socket; everything read until the server
    closes or ``wait`` passes in silence."""
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(data)
        s.settimeout(wait)
        got = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
        except socket.timeout:
            pass
        return got


def closed_by_server(s: socket.socket, timeout: float = 5.0) -> bool:
    """True if the server closes ``s`` (reads to EOF) within ``timeout``."""
    s.settimeout(timeout)
    try:
        while True:
            if not s.recv(65536):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


@pytest.fixture
def srv() -> Iterator[redcore.Server]:
    """A private server (its own engine, shared with in-process clients
    under a unique name) on a free port."""
    s = redcore.Server(port=0, name=f"srv-{uuid.uuid4().hex}")
    yield s
    s.stop()
    redcore._redcore.forget_engine(s.name)


@pytest.fixture
def client(srv: redcore.Server) -> Iterator[redis.Redis]:
    c = redis.Redis(port=srv.port, socket_timeout=10)
    yield c
    c.close()


# -- talking to it -----------------------------------------------------------


def test_redis_cli_and_in_process_clients_share_the_engine(srv: redcore.Server) -> None:
    assert cli(srv.port, "SET", "greeting", "hello") == "OK\n"
    assert cli(srv.port, "GET", "greeting") == "hello\n"
    local = redcore.Redis(name=srv.name)
    assert local.get("greeting") == b"hello"
    local.rpush("l", "a", "b", "c")
    assert cli(srv.port, "LRANGE", "l", "0", "-1") == "a\nb\nc\n"
    # redis-cli reading commands from stdin, as in scripts.
    assert cli(srv.port, stdin="INCR n\nINCR n\nGET n\n") == "1\n2\n2\n"
    assert srv.url == f"redis://127.0.0.1:{srv.port}"
    assert redcore.Redis.from_url(srv.url).get("greeting") == b"hello"


def test_worker_threads_default_to_the_machine_and_show_as_io_threads(srv: redcore.Server, client: redis.Redis) -> None:
    """One worker thread on a machine with up to 2 CPUs, else two; an
    explicit count is kept. CONFIG GET io-threads tells which, and the
    engine's own setting comes back when the server stops."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    assert client.config_get("io-threads") == {"io-threads": str(1 if cpus <= 2 else 2)}
    name = f"threads-{uuid.uuid4().hex}"
    three = redcore.Server(port=0, name=name, threads=3)
    try:
        c = redis.Redis(port=three.port)
        assert c.config_get("io-threads") == {"io-threads": "3"}
        assert c.incr("n") == 1
        c.close()
    finally:
        three.stop()
    assert redcore.Redis(name=name).config_get("io-threads") == {"io-threads": "1"}
    redcore._redcore.forget_engine(name)


def test_inline_commands_and_pipelining_over_a_raw_socket(srv: redcore.Server) -> None:
    got = raw(srv.port, b'PING\r\nSET k "a b"\r\nGET k\nECHO \'x y\'\r\n\r\nDBSIZE\r\n')
    assert got == b"+PONG\r\n+OK\r\n$3\r\na b\r\n$3\r\nx y\r\n:1\r\n"
    many = b"".join(b"*2\r\n$4\r\nINCR\r\n$1\r\nc\r\n" for _ in range(1000))
    got = raw(srv.port, many + b"*2\r\n$3\r\nGET\r\n$1\r\nc\r\n")
    assert got.endswith(b":1000\r\n$4\r\n1000\r\n")
    assert got.count(b"\r\n") == 1002


def test_redis_py_pipeline_multi_watch(client: redis.Redis) -> None:
    with client.pipeline(transaction=False) as p:
        for i in range(100):
            p.set(f"k{i}", i)
        p.mget("k0", "k99")
        assert p.execute()[-1] == [b"0", b"99"]
    with client.pipeline() as p:
        p.incr("c").incr("c").get("c")
        assert p.execute() == [1, 2, b"2"]
    other = redis.Redis(port=client.connection_pool.connection_kwargs["port"])
    with client.pipeline() as p:
        p.watch("c")
        other.set("c", 10)
        p.multi()
        p.incr("c")
        with pytest.raises(redis.exceptions.WatchError):
            p.execute()


def test_blpop_woken_by_another_connection(srv: redcore.Server, client: redis.Redis) -> None:
    local = redcore.Redis(name=srv.name)
    threading.Timer(0.2, lambda: redis.Redis(port=srv.port).rpush("q", "job")).start()
    t = time.time()
    assert client.blpop(["q"], timeout=5) == (b"q", b"job")
    assert 0.1 < time.time() - t < 3
    # Woken by an in-process client of the same engine.
    threading.Timer(0.2, lambda: local.rpush("q2", "x")).start()
    assert client.blpop(["q2"], timeout=5) == (b"q2", b"x")
    # Timeout, and other connections keep being served meanwhile.
    blocked = threading.Thread(target=lambda: client.blpop(["never"], timeout=1))
    blocked.start()
    time.sleep(0.1)
    assert redis.Redis(port=srv.port).ping()
    blocked.join()
    assert client.blpop(["never"], timeout=0.2) is None


def test_pubsub_resp2_and_resp3(srv: redcore.Server) -> None:
    for protocol in (2, 3):
        sub = redis.Redis(port=srv.port, protocol=protocol).pubsub()
        sub.subscribe("news")
        sub.psubscribe("n*")
        assert sub.get_message(timeout=1)["type"] == "subscribe"
        assert sub.get_message(timeout=1)["type"] == "psubscribe"
        assert redcore.Redis(name=srv.name).publish("news", "hi") == 2
        got = [sub.get_message(timeout=1) for _ in range(2)]
        assert sorted(m["type"] for m in got) == ["message", "pmessage"]
        assert all(m["data"] == b"hi" for m in got)
        sub.close()


def test_hello_3_auth_and_acl_users() -> None:
    with redcore.Server(port=0, requirepass="s3cret") as s:
        with pytest.raises(redis.exceptions.AuthenticationError):
            redis.Redis(port=s.port).ping()
        r = redis.Redis(port=s.port, password="s3cret", protocol=3)
        assert r.execute_command("HELLO", "3", "AUTH", "default", "s3cret")[b"proto"] == 3
        r.acl_setuser("alice", enabled=True, passwords=["+pw"], keys=["a:*"], commands=["+get", "+set"])
        alice = redis.Redis(port=s.port, username="alice", password="pw")
        assert alice.set("a:1", "x")
        with pytest.raises(redis.exceptions.NoPermissionError):
            alice.set("b:1", "x")
        assert cli(s.port, "-a", "s3cret", "--no-auth-warning", "GET", "a:1") == "x\n"
        assert "NOAUTH" in cli(s.port, "GET", "a:1")
        # An unauthenticated client may not announce big requests.
        assert raw(s.port, b"*20\r\n") == b"-ERR Protocol error: unauthenticated multibulk length\r\n"


def test_unix_socket(tmp_path: Any) -> None:
    path = str(tmp_path / "redcore.sock")
    with redcore.Server(port=None, unixsocket=path) as s:
        assert s.url == f"unix://{path}"
        r = redis.Redis(unix_socket_path=path)
        assert r.set("k", "v") and r.get("k") == b"v"
        assert subprocess.run(["redis-cli", "-s", path, "PING"], capture_output=True, text=True).stdout == "PONG\n"
    assert not os.path.exists(path)


def test_quit_reset_monitor_client_commands(srv: redcore.Server, client: redis.Redis) -> None:
    assert raw(srv.port, b"PING\r\nQUIT\r\nPING\r\n") == b"+PONG\r\n+OK\r\n"
    assert raw(srv.port, b"SELECT 2\r\nCLIENT SETNAME x\r\nRESET\r\nCLIENT GETNAME\r\n") == (
        b"+OK\r\n+OK\r\n+RESET\r\n$-1\r\n"
    )
    client.client_setname("main")
    names = [c["name"] for c in client.client_list()]
    assert "main" in names
    assert client.client_id() == client.client_info()["id"]
    with client.monitor() as m:
        redis.Redis(port=srv.port).set("watched", "1")
        for _ in range(5):
            cmd = m.next_command()
            if cmd["command"].startswith("SET"):
                break
        assert cmd["command"] == "SET watched 1"


BUSY = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."


@pytest.mark.parametrize("which", ["redcore-1-thread", "redcore-2-threads", "redis-server"])
def test_clients_that_connect_during_a_busy_script_can_kill_it(which: str, redis_server: RedisServer) -> None:
    """A script that never ends holds the server; clients that connect
    meanwhile (redis-cli's way to stop it) are served: BUSY for a read,
    SCRIPT KILL stops the script, and a client that came and went while it
    ran is gone from CLIENT LIST. The same on redis-server and on redcore's
    server with one worker thread (the default on small machines, a
    current-thread runtime) or two."""
    srv = None
    if which == "redis-server":
        port = redis_server.port
    else:
        srv = redcore.Server(port=0, name=f"busy-{uuid.uuid4().hex}", threads=1 if "1" in which else 2)
        port = srv.port
    admin = redis.Redis(port=port, socket_timeout=10)
    admin.config_set("lua-time-limit", 100)
    before = admin.info("stats")["total_connections_received"]
    opened = 1  # the script's connection, then each one below
    result: dict = {}

    def loop() -> None:
        c = redis.Redis(port=port, socket_timeout=30)
        try:
            result["reply"] = c.eval("while true do end", 0)
        except redis.ResponseError as e:
            result["error"] = str(e)
        finally:
            c.close()

    t = threading.Thread(target=loop)
    try:
        t.start()
        deadline = time.time() + 15
        while True:
            fresh = redis.Redis(port=port, socket_timeout=10)
            opened += 1
            try:
                fresh.ping()
            except redis.ResponseError as e:
                assert str(e) == BUSY
                break
            finally:
                fresh.close()
            assert time.time() < deadline, "the script never became busy"
            time.sleep(0.01)
        # A raw connection comes, is refused a read, and goes; another
        # comes and goes without a word.
        with socket.create_connection(("127.0.0.1", port)) as s:
            gone = "%s:%d" % s.getsockname()[:2]
            s.sendall(_resp("GET", "k"))
            assert _read_until(s, b"\r\n") == b"-" + BUSY.encode() + b"\r\n"
        socket.create_connection(("127.0.0.1", port)).close()
        killer = redis.Redis(port=port, socket_timeout=10)
        opened += 3
        with pytest.raises(redis.ResponseError, match="^BUSY "):
            killer.get("k")
        assert killer.script_kill() is True
        t.join(30)
        assert not t.is_alive()
        assert result["error"].startswith("Script killed by user with SCRIPT KILL...")
        assert killer.ping() is True
        deadline = time.time() + 5
        while any(c["addr"] == gone for c in killer.client_list()):
            assert time.time() < deadline, "the closed connection stayed in CLIENT LIST"
            time.sleep(0.01)
        # Every connection counts, those that came and went while the
        # script ran too.
        assert killer.info("stats")["total_connections_received"] == before + opened
        killer.close()
    finally:
        with contextlib.suppress(redis.RedisError):
            redis.Redis(port=port, socket_timeout=5).script_kill()
        t.join(30)
        admin.config_set("lua-time-limit", 5000)
        admin.close()
        if srv is not None:
            srv.stop()
            redcore._redcore.forget_engine(srv.name)


def test_client_kill_closes_the_socket(srv: redcore.Server, client: redis.Redis) -> None:
    victim = socket.create_connection(("127.0.0.1", srv.port))
    victim.sendall(b"CLIENT ID\r\n")
    vid = int(victim.recv(100)[1:-2])
    assert client.client_kill_filter(_id=vid) == 1
    assert closed_by_server(victim)
    # Killed from an in-process client of the engine, too.
    victim = socket.create_connection(("127.0.0.1", srv.port))
    victim.sendall(b"CLIENT ID\r\n")
    vid = int(victim.recv(100)[1:-2])
    redcore.Redis(name=srv.name).client_kill_filter(_id=vid)
    assert closed_by_server(victim)


def test_client_pause_waits_without_stalling_reads(srv: redcore.Server, client: redis.Redis) -> None:
    client.client_pause(500, all=False)
    writer = redis.Redis(port=srv.port)
    t = time.time()
    done: List[float] = []
    th = threading.Thread(target=lambda: (writer.set("p", 1), done.append(time.time() - t)))
    th.start()
    time.sleep(0.1)
    assert redis.Redis(port=srv.port).get("nothing") is None  # reads go on
    th.join()
    assert done and done[0] >= 0.35


def test_info_counts_connections_and_bytes(srv: redcore.Server, client: redis.Redis) -> None:
    before = client.info()
    extra = [redis.Redis(port=srv.port) for _ in range(3)]
    for c in extra:
        c.set("x", "y" * 1000)
    info = client.info()
    assert info["connected_clients"] == before["connected_clients"] + 3
    assert info["total_connections_received"] >= before["total_connections_received"] + 3
    assert info["total_net_input_bytes"] >= before["total_net_input_bytes"] + 3000
    assert info["total_net_output_bytes"] > before["total_net_output_bytes"]
    for c in extra:
        c.close()
    deadline = time.time() + 3
    while client.info("clients")["connected_clients"] != before["connected_clients"] and time.time() < deadline:
        time.sleep(0.05)
    assert client.info("clients")["connected_clients"] == before["connected_clients"]


def test_shutdown_stops_the_server(srv: redcore.Server, client: redis.Redis) -> None:
    client.set("k", "v")
    with pytest.raises(redis.exceptions.ResponseError, match="syntax error"):
        client.execute_command("SHUTDOWN", "BOGUS")
    client.shutdown(nosave=True)
    assert srv.wait(5)
    assert not srv.running
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", srv.port), timeout=1)


def test_port_taken_is_a_clear_error(srv: redcore.Server) -> None:
    with pytest.raises(OSError, match=f"127.0.0.1:{srv.port}.*Address already in use"):
        redcore.Server(port=srv.port)


# -- limits --------------------------------------------------------------------


def test_maxclients_and_idle_timeout(srv: redcore.Server, client: redis.Redis) -> None:
    client.ping()
    client.config_set("maxclients", 3)
    time.sleep(0.7)  # the server reads its limits a few times a second
    held = [socket.create_connection(("127.0.0.1", srv.port)) for _ in range(2)]
    assert raw(srv.port, b"") == b"-ERR max number of clients reached\r\n"
    for s in held:
        s.close()
    client.config_set("maxclients", 10000)
    client.config_set("timeout", 1)
    time.sleep(0.7)
    idle = socket.create_connection(("127.0.0.1", srv.port))
    idle.sendall(b"PING\r\n")
    assert closed_by_server(idle, timeout=5)
    client.config_set("timeout", 0)


def test_protocol_errors_close_only_that_client(srv: redcore.Server, client: redis.Redis) -> None:
    cases = [
        (b"*1\r\n$4294967296\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
        (b"*3000000000\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
        (b"*1\r\nfoo\r\n", b"-ERR Protocol error: expected '$', got 'f'\r\n"),
        (b'SET k "unbalanced\r\n', b"-ERR Protocol error: unbalanced quotes in request\r\n"),
        (b"PING\r\n*x\r\n", b"+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n"),
    ]
    for data, want in cases:
        assert raw(srv.port, data, wait=2) == want
    client.config_set("proto-max-bulk-len", 1024 * 1024)
    time.sleep(0.7)
    assert raw(srv.port, b"*1\r\n$2000000\r\n", wait=2) == b"-ERR Protocol error: invalid bulk length\r\n"
    client.config_set("proto-max-bulk-len", 512 * 1024 * 1024)
    assert client.ping()


def test_garbage_and_huge_headers_keep_memory_bounded(srv: redcore.Server, client: redis.Redis) -> None:
    rng = __import__("random").Random(7)
    base = rss_mb()
    for _ in range(200):
        blob = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 300)))
        raw(srv.port, blob, wait=0.01)
    # A 1M-element multibulk header with nothing behind it, and a 4 GB
    # bulk header: neither allocates what it announces.
    held = []
    for _ in range(20):
        s = socket.create_connection(("127.0.0.1", srv.port))
        s.sendall(b"*1000000\r\n$3\r\nSET\r\n")
        held.append(s)
    assert raw(srv.port, b"*2\r\n$4\r\nECHO\r\n$4000000000\r\n") == b"-ERR Protocol error: invalid bulk length\r\n"
    assert client.ping() and client.set("still", "ok")
    assert rss_mb() - base < 100
    for s in held:
        s.close()


def listen_overflows() -> int:
    """The kernel's count of connections dropped from full listen queues."""
    lines = Path("/proc/net/netstat").read_text().splitlines()
    for names, values in zip(lines[::2], lines[1::2]):
        if names.startswith("TcpExt:"):
            return int(dict(zip(names.split(), values.split()))["ListenOverflows"])
    return 0


def test_ten_thousand_connections_opened_and_dropped(srv: redcore.Server, client: redis.Redis) -> None:
    base = rss_mb()
    overflows = listen_overflows()
    for i in range(10_000):
        s = socket.create_connection(("127.0.0.1", srv.port))
        if i % 2:
            s.sendall(b"PING\r\n")
        s.close()
    # The last connections may still wait in the listen queue when the
    # loop ends (the clients' handshakes do not wait for accept): wait
    # until the server has taken them all and closed them again. A
    # connection the kernel dropped from a full queue never reaches any
    # server; the kernel counts those in ListenOverflows.
    def settled() -> bool:
        received = client.info("stats")["total_connections_received"]
        lost = listen_overflows() - overflows
        return client.info("clients")["connected_clients"] == 1 and received >= 10_001 - lost

    deadline = time.time() + 30
    while not settled() and time.time() < deadline:
        time.sleep(0.05)
    assert client.info("clients")["connected_clients"] == 1
    assert client.info("stats")["total_connections_received"] >= 10_001 - (listen_overflows() - overflows)
    assert len(client.client_list()) == 1
    assert rss_mb() - base < 100


def test_subscriber_that_never_reads_is_disconnected(srv: redcore.Server, client: redis.Redis) -> None:
    client.config_set("client-output-buffer-limit", "pubsub 1mb 256kb 1")
    time.sleep(0.7)
    base = rss_mb()
    lazy = socket.create_connection(("127.0.0.1", srv.port))
    lazy.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    lazy.sendall(b"SUBSCRIBE firehose\r\n")
    time.sleep(0.2)
    payload = b"x" * 10_000
    receivers = 1
    for _ in range(2000):
        receivers = client.publish("firehose", payload)
        if receivers == 0:
            break
    assert receivers == 0, "the subscriber was not dropped"
    assert client.pubsub_numsub("firehose") == [(b"firehose", 0)]
    # The server closed it (reading the backlog to EOF through a 4 KB
    # window would take minutes): it left the client list.
    deadline = time.time() + 5
    while len(client.client_list()) > 1 and time.time() < deadline:
        time.sleep(0.05)
    assert len(client.client_list()) == 1
    lazy.close()
    assert client.ping()
    assert rss_mb() - base < 100


def test_one_byte_per_second_client_does_not_stall_others(srv: redcore.Server, client: redis.Redis) -> None:
    slow = socket.create_connection(("127.0.0.1", srv.port))
    request = b"*3\r\n$3\r\nSET\r\n$4\r\nslow\r\n$1\r\n1\r\n"
    answered = []
    for i, byte in enumerate(request[:4]):
        slow.sendall(bytes([byte]))
        t = time.time()
        assert client.incr("others") == i + 1
        answered.append(time.time() - t)
        time.sleep(1 if i == 0 else 0.2)
    assert max(answered) < 0.5
    slow.sendall(request[4:])
    slow.settimeout(5)
    assert slow.recv(100) == b"+OK\r\n"
    assert client.get("slow") == b"1"


# -- the command line ------------------------------------------------------------


def test_serve_command_line_saves_on_sigterm(tmp_path: Any) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "redcore", "serve", "--port", "0", "--dir", str(tmp_path), "--save", "3600", "1",
         "--requirepass", "pw"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = proc.stdout.readline()
        assert "ready to accept connections" in line, line + proc.stderr.read()
        port = int(line.strip().rsplit(":", 1)[1])
        r = redis.Redis(port=port, password="pw")
        r.set("persisted", "yes")
        assert r.config_get("save") == {"save": "3600 1"} or r.config_get("save") == {b"save": b"3600 1"}
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert (tmp_path / "dump.rdb").exists()
    # Port taken: a clear message and a failing status.
    with redcore.Server(port=0) as s:
        out = subprocess.run([sys.executable, "-m", "redcore", "serve", "--port", str(s.port)],
                             capture_output=True, text=True, timeout=30)
        assert out.returncode == 1 and "Address already in use" in out.stderr


def _outside_address() -> str:
    """This machine's address on a non-loopback interface, if it has one."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("10.255.255.255", 1))  # no packet is sent
        return s.getsockname()[0]
    except OSError:
        return ""
    finally:
        s.close()


def test_protected_mode_refuses_outside_clients_without_a_password() -> None:
    ip = _outside_address()
    if not ip or ip.startswith("127."):
        pytest.skip("no non-loopback interface")
    with redcore.Server(port=0, bind="0.0.0.0") as s:
        with socket.create_connection((ip, s.port)) as c:
            c.settimeout(2)
            got = c.recv(4096)
        assert got.startswith(b"-DENIED Redis is running in protected mode")
        assert cli(s.port, "PING") == "PONG\n"  # loopback is fine
        assert redis.Redis(port=s.port).info("stats")["rejected_connections"] == 1
        redis.Redis(port=s.port).config_set("requirepass", "pw")
        with socket.create_connection((ip, s.port)) as c:
            c.sendall(b"AUTH pw\r\nPING\r\n")
            c.settimeout(2)
            time.sleep(0.2)
            assert c.recv(4096) == b"+OK\r\n+PONG\r\n"


# -- CLIENT LIST / INFO / KILL with server and embedded clients ----------------


def _by_name(entries: List[dict], name: str) -> dict:
    found = [e for e in entries if e["name"] == name]
    assert len(found) == 1, entries
    return found[0]


def test_client_list_shows_sockets_and_embedded_clients_alike(tmp_path: Any, redis_server: Any) -> None:
    path = str(tmp_path / "redcore.sock")
    name = f"srv-{uuid.uuid4().hex}"
    with redcore.Server(port=0, unixsocket=path, name=name) as srv:
        local = redcore.Redis(name=name)
        local.client_setname("emb")
        tcp = socket.create_connection(("127.0.0.1", srv.port))
        tcp.sendall(b"CLIENT SETNAME tcp\r\n")
        assert tcp.recv(100) == b"+OK\r\n"
        unix = redis.Redis(unix_socket_path=path, client_name="unix", driver_info=None)
        viewer = redis.Redis(port=srv.port, client_name="viewer", driver_info=None)
        assert unix.ping() is True
        # redis-py's parse_client_list reads every line, from either side.
        for entries in (viewer.client_list(), local.client_list(), unix.client_list()):
            e = _by_name(entries, "tcp")
            assert e["addr"] == "127.0.0.1:%d" % tcp.getsockname()[1]
            assert e["laddr"] == f"127.0.0.1:{srv.port}"
            assert int(e["fd"]) > 0 and e["flags"] == "N"
            e = _by_name(entries, "unix")
            assert e["addr"] == e["laddr"] == f"{path}:0"
            assert int(e["fd"]) > 0 and e["flags"] == "U"
            e = _by_name(entries, "emb")
            assert e["addr"] == f"embedded:{local.client_id()}"
            assert e["laddr"] == "embedded:0" and e["fd"] == "-1"
        # The same fields as redis-server 7.0's lines, in the same order.
        oracle = redis_server.client()
        assert list(_by_name(viewer.client_list(), "unix")) == list(oracle.client_info())
        assert list(viewer.client_info()) == list(oracle.client_info())
        assert unix.client_info()["addr"] == f"{path}:0"
        assert local.client_info()["laddr"] == "embedded:0"
        # MONITOR names each kind as redis-server would (unix:<path> for
        # Unix sockets), in the shape redis-py's Monitor parses.
        with viewer.monitor() as m:
            unix.set("from-unix", 1)
            tcp.sendall(b"SET from-tcp 1\r\n")
            assert tcp.recv(100) == b"+OK\r\n"
            local.set("from-embedded", 1)
            seen = {}
            while len(seen) < 3:
                cmd = m.next_command()
                if cmd["command"].startswith("SET from-"):
                    seen[cmd["command"].split()[1]] = cmd
        assert seen["from-unix"]["client_type"] == "unix"
        assert seen["from-unix"]["client_port"] == path
        assert seen["from-tcp"]["client_address"] == "127.0.0.1"
        assert seen["from-tcp"]["client_port"] == str(tcp.getsockname()[1])
        assert (seen["from-embedded"]["client_address"], seen["from-embedded"]["client_port"]) == (
            "embedded", str(local.client_id()))


def test_client_kill_by_addr_and_laddr_reaches_both_kinds(tmp_path: Any) -> None:
    path = str(tmp_path / "redcore.sock")
    name = f"srv-{uuid.uuid4().hex}"
    with redcore.Server(port=0, unixsocket=path, name=name) as srv:
        local = redcore.Redis(name=name)
        other = redcore.Redis(name=name)
        other.client_setname("other")
        viewer = redis.Redis(port=srv.port, driver_info=None)
        viewer.ping()
        # A server connection, killed by the address it sees itself at.
        tcp = socket.create_connection(("127.0.0.1", srv.port))
        tcp.sendall(b"PING\r\n")  # accepted and registered before the kill
        assert tcp.recv(100) == b"+PONG\r\n"
        assert local.client_kill_filter(addr="127.0.0.1:%d" % tcp.getsockname()[1]) == 1
        assert closed_by_server(tcp)
        tcp = socket.create_connection(("127.0.0.1", srv.port))
        tcp.sendall(b"PING\r\n")
        assert tcp.recv(100) == b"+PONG\r\n"
        assert local.client_kill("127.0.0.1:%d" % tcp.getsockname()[1]) is True  # the old syntax
        assert closed_by_server(tcp)
        # An embedded client, killed over the socket by its addr: its next
        # command runs on a fresh connection (a new id), as redis-py's would.
        old_id = other.client_id()
        assert viewer.client_kill_filter(addr=f"embedded:{old_id}") == 1
        assert str(old_id) not in [e["id"] for e in viewer.client_list()]
        assert other.ping() is True and other.client_id() != old_id
        with pytest.raises(redis.ResponseError, match="No such client"):
            viewer.client_kill(f"embedded:{old_id}")
        # LADDR picks a listener: every Unix socket client, every TCP
        # client of the port, or the embedded clients.
        u1 = redis.Redis(unix_socket_path=path)
        u2 = redis.Redis(unix_socket_path=path)
        u1.ping(), u2.ping()
        assert local.client_kill_filter(laddr=f"{path}:0") == 2
        assert len(viewer.client_list()) == 3  # viewer, local, other
        assert viewer.client_kill_filter(laddr="embedded:0") == 2
        assert [e["laddr"] for e in viewer.client_list()] == [f"127.0.0.1:{srv.port}"]
        assert local.client_kill_filter(laddr=f"127.0.0.1:{srv.port}", skipme=False) == 1
        assert [e["laddr"] for e in local.client_list()] == ["embedded:0"]


def test_client_list_ipv6_addresses_as_redis_server() -> None:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback")
    with redcore.Server(port=0, bind=["127.0.0.1", "::1"]) as srv:
        with socket.create_connection(("::1", srv.port)) as s6:
            s6.sendall(b"CLIENT SETNAME six\r\n")
            assert s6.recv(100) == b"+OK\r\n"
            viewer = redis.Redis(port=srv.port, driver_info=None)
            e = _by_name(viewer.client_list(), "six")
            # redis-server brackets IPv6 addresses: [::1]:port.
            assert (e["addr"], e["laddr"]) == (f"[::1]:{s6.getsockname()[1]}", f"[::1]:{srv.port}")
            assert viewer.client_kill_filter(addr=e["addr"]) == 1
            assert closed_by_server(s6)


# -- several processes sharing one server ------------------------------------------


WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "redcore_server_worker.py")


def test_worker_processes_share_sessions_limits_and_locks(srv: redcore.Server) -> None:
    """Four worker processes (two on redcore's client, two on redis-py), as
    a gunicorn app's workers: a session one process wrote is read by the
    others, a rate limit is counted across them, a lock excludes them."""

    def worker(kind: str, job: str, arg: str = "") -> "subprocess.Popen[str]":
        return subprocess.Popen([sys.executable, WORKER, srv.url, kind, job, arg],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def result(p: "subprocess.Popen[str]") -> dict:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        return json.loads(out)

    login = worker("redcore", "login")
    sid = result(login)["sid"]
    workers = [worker(kind, "request", sid) for kind in ("redcore", "redis-py", "redcore", "redis-py")]
    local = redcore.Redis(name=srv.name)
    try:
        for _ in workers:
            assert local.blpop("workers:ready", timeout=60) is not None
        local.rpush("workers:go", *["go"] * len(workers))
        results = [result(p) for p in workers]
    finally:
        for p in workers:
            if p.poll() is None:
                p.kill()
    pids = {r["pid"] for r in results}
    assert len(pids) == 4 and login.pid not in pids
    for r in results:
        assert r["session"]["user"] == "ada" and r["session"]["login_pid"] == login.pid
    # Every worker's update landed in the one session, seen in-process too.
    from redcore.session import SessionStore

    session = SessionStore(local).get(sid)
    assert session is not None
    assert {k for k in session if k.startswith("seen_by_")} == {f"seen_by_{p}" for p in pids}
    # 4 x 30 hits against a limit of 50: exactly 50 allowed in all.
    assert sum(r["allowed"] for r in results) == 50
    # 4 x 15 lock-protected read-modify-writes: none lost, never two holders.
    assert int(local.get("counter")) == 60
    assert max(r["most_holders"] for r in results) == 1


# -- TLS ----------------------------------------------------------------------------


def _tls_kwargs(certs: str, client_cert: bool = True) -> dict:
    kw = dict(ssl=True, ssl_ca_certs=os.path.join(certs, "ca.crt"))
    if client_cert:
        kw.update(ssl_certfile=os.path.join(certs, "client.crt"), ssl_keyfile=os.path.join(certs, "client.key"))
    return kw


def _tls_cli(certs: str, port: int, *args: str, client_cert: bool = True) -> "subprocess.CompletedProcess[str]":
    cmd = ["redis-cli", "-h", "127.0.0.1", "-p", str(port), "--tls", "--cacert", os.path.join(certs, "ca.crt")]
    if client_cert:
        cmd += ["--cert", os.path.join(certs, "client.crt"), "--key", os.path.join(certs, "client.key")]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=30)


@pytest.fixture
def tls_srv(certs: str) -> Iterator[redcore.Server]:  # noqa: F811
    """Plain and TLS ports at once; client certificates required (Redis's
    default ``tls-auth-clients yes``)."""
    s = redcore.Server(
        port=0, name=f"srv-{uuid.uuid4().hex}", tls_port=0,
        tls_cert_file=os.path.join(certs, "server.crt"), tls_key_file=os.path.join(certs, "server.key"),
        tls_ca_cert_file=os.path.join(certs, "ca.crt"),
    )
    yield s
    s.stop()
    redcore._redcore.forget_engine(s.name)


def test_tls_port_serves_redis_py_redcore_and_redis_cli(certs: str, tls_srv: redcore.Server) -> None:  # noqa: F811
    assert tls_srv.tls_port not in (None, tls_srv.port)
    assert tls_srv.tls_url == f"rediss://127.0.0.1:{tls_srv.tls_port}"
    rp = redis.Redis(port=tls_srv.tls_port, driver_info=None, **_tls_kwargs(certs))
    assert rp.set("k", "v") is True and rp.get("k") == b"v"
    assert rp.pipeline().incr("n").incr("n").execute() == [1, 2]
    rc = redcore.Redis(host="localhost", port=tls_srv.tls_port, protocol=3, **_tls_kwargs(certs))
    assert rc.get("k") == b"v"
    # A big value crosses many TLS records both ways.
    big = os.urandom(3 << 20)
    rc.set("big", big)
    assert rp.get("big") == big
    # Pub/sub over TLS: the pushes are flushed out of the record layer.
    p = rc.pubsub()
    p.subscribe("news")
    assert p.get_message(timeout=5)["type"] == "subscribe"
    assert rp.publish("news", "hello") == 1
    assert p.get_message(timeout=5)["data"] == b"hello"
    p.close()
    # redis-cli built with TLS (Debian's).
    out = _tls_cli(certs, tls_srv.tls_port, "GET", "k")
    assert out.stdout == "v\n", out.stderr
    assert _tls_cli(certs, tls_srv.tls_port, "INCR", "n").stdout == "3\n"
    # The plain port serves the same engine, and so do in-process clients.
    assert redis.Redis(port=tls_srv.port).get("n") == b"3"
    assert redcore.Redis(name=tls_srv.name).get("k") == b"v"
    # CLIENT LIST tells the TLS port's clients by laddr; KILL LADDR picks them.
    tls_laddr = f"127.0.0.1:{tls_srv.tls_port}"
    assert rp.client_info()["laddr"] == tls_laddr
    plain = redis.Redis(port=tls_srv.port, driver_info=None)
    assert plain.client_kill_filter(laddr=tls_laddr) == 2  # rp and rc
    assert plain.ping() is True


def test_tls_client_certificates_and_plain_clients_on_the_tls_port(certs: str, tls_srv: redcore.Server) -> None:  # noqa: F811
    ok = redis.Redis(port=tls_srv.tls_port, **_tls_kwargs(certs))
    assert ok.ping() is True
    # tls-auth-clients yes: no client certificate, no connection.
    no_cert = redis.Redis(port=tls_srv.tls_port, retry=None, **_tls_kwargs(certs, client_cert=False))
    with pytest.raises(redis.ConnectionError):
        no_cert.ping()
    assert _tls_cli(certs, tls_srv.tls_port, "PING", client_cert=False).stdout != "PONG\n"
    # A certificate the CA did not sign is refused too.
    own = os.path.join(certs, "self-signed")
    if not os.path.exists(own + ".crt"):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", own + ".key",
                        "-out", own + ".crt", "-days", "2", "-subj", "/CN=stranger"], check=True, capture_output=True)
    stranger = redis.Redis(port=tls_srv.tls_port, retry=None, ssl=True, ssl_ca_certs=os.path.join(certs, "ca.crt"),
                           ssl_certfile=own + ".crt", ssl_keyfile=own + ".key")
    with pytest.raises(redis.ConnectionError):
        stranger.ping()
    # A plain-TCP client on the TLS port is disconnected; the others are
    # served before and after.
    with socket.create_connection(("127.0.0.1", tls_srv.tls_port)) as s:
        s.sendall(b"*1\r\n$4\r\nPING\r\n")
        assert closed_by_server(s)
    assert raw(tls_srv.tls_port, b"PING\r\n") != b"+PONG\r\n"
    assert ok.ping() is True
    assert cli(tls_srv.port, "PING") == "PONG\n"
    # One that connects and never handshakes does not hold anyone up.
    with socket.create_connection(("127.0.0.1", tls_srv.tls_port)):
        assert ok.set("still", "served") is True
        assert redcore.Redis(port=tls_srv.tls_port, **_tls_kwargs(certs)).get("still") == b"served"


def test_tls_only_and_optional_or_no_client_auth(certs: str) -> None:  # noqa: F811
    cert, key, ca = (os.path.join(certs, f) for f in ("server.crt", "server.key", "ca.crt"))
    with redcore.Server(port=None, tls_port=0, tls_cert_file=cert, tls_key_file=key, tls_ca_cert_file=ca,
                        tls_auth_clients="optional") as s:
        assert s.port is None and s.url == f"rediss://127.0.0.1:{s.tls_port}"
        assert redis.Redis(port=s.tls_port, **_tls_kwargs(certs, client_cert=False)).ping() is True
        assert redis.Redis(port=s.tls_port, **_tls_kwargs(certs)).ping() is True
        assert redcore.Redis.from_url(s.url, ssl_ca_certs=ca).ping() is True
        assert _tls_cli(certs, s.tls_port, "PING", client_cert=False).stdout == "PONG\n"
    # No CA at all: only with tls_auth_clients="no", as redis-server.
    with redcore.Server(port=None, tls_port=0, tls_cert_file=cert, tls_key_file=key, tls_auth_clients=False) as s:
        assert redis.Redis(port=s.tls_port, **_tls_kwargs(certs, client_cert=False)).ping() is True


def test_bad_tls_settings_fail_at_start_up(certs: str) -> None:  # noqa: F811
    cert, key, ca = (os.path.join(certs, f) for f in ("server.crt", "server.key", "ca.crt"))
    missing = os.path.join(certs, "missing.crt")
    cases = [
        (dict(tls_cert_file=missing, tls_key_file=key, tls_ca_cert_file=ca), f"Failed to load certificate: .*{missing}"),
        (dict(tls_cert_file=cert, tls_key_file=missing, tls_ca_cert_file=ca), f"Failed to load private key: .*{missing}"),
        (dict(tls_cert_file=cert, tls_key_file=key, tls_ca_cert_file=missing), "Failed to configure CA certificate"),
        (dict(tls_cert_file=cert, tls_key_file=key), "Either tls-ca-cert-file or tls-ca-cert-dir must be specified"),
        (dict(tls_key_file=key, tls_ca_cert_file=ca), "No tls-cert-file configured!"),
        (dict(tls_cert_file=cert, tls_key_file=os.path.join(certs, "client.key"), tls_ca_cert_file=ca),
         "Failed to load private key: .*does not match"),
        (dict(tls_cert_file=cert, tls_key_file=key, tls_ca_cert_file=ca, tls_auth_clients="maybe"),
         "must be one of the following: no, yes, optional"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValueError, match=message):
            redcore.Server(port=0, tls_port=0, **kwargs)
    # The command line says so and exits with status 1.
    out = subprocess.run([sys.executable, "-m", "redcore", "serve", "--port", "0", "--tls-port", "0",
                          "--tls-cert-file", missing, "--tls-key-file", key, "--tls-ca-cert-file", ca],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert out.stderr.startswith("redcore-server: Failed to load certificate: ") and missing in out.stderr


def test_serve_command_line_tls_only(certs: str) -> None:  # noqa: F811
    from conftest import _free_port

    tls_port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "redcore", "serve", "--port", "0", "--tls-port", str(tls_port),
         "--tls-cert-file", os.path.join(certs, "server.crt"), "--tls-key-file", os.path.join(certs, "server.key"),
         "--tls-ca-cert-file", os.path.join(certs, "ca.crt")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = proc.stdout.readline()
        # Only the TLS port: --port 0 with --tls-port serves no plain port.
        assert line.strip().endswith(f"on 127.0.0.1:{tls_port} (TLS)"), line + proc.stderr.read()
        assert _tls_cli(certs, tls_port, "SET", "via", "cli").stdout == "OK\n"
        assert redis.Redis(port=tls_port, **_tls_kwargs(certs)).get("via") == b"cli"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_pipelined_runs_answer_byte_for_byte_as_redis_server(srv: redcore.Server, redis_server: Any) -> None:
    """A long pipeline mixing commands the server runs back to back under
    one lock with ones it runs on their own (blocking pops, CLIENT REPLY,
    errors, MULTI/EXEC, SELECT, unknown commands) gets the same bytes, in
    the same order, from redcore's server as from redis-server."""
    key = f"pipe-{uuid.uuid4().hex}"

    def cmd(*args: Any) -> bytes:
        parts = [str(a).encode() for a in args]
        return b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)

    script = [cmd("SELECT", 3)]
    for i in range(600):
        script.append(cmd("RPUSH", key, i))
        if i % 50 == 7:
            script += [cmd("BLPOP", key, 0), cmd("LLEN", key), cmd("NOSUCH", i), cmd("INCR", key)]
        if i % 97 == 3:
            script += [cmd("CLIENT", "REPLY", "SKIP"), cmd("SET", f"{key}:s", i), cmd("GET", f"{key}:s")]
        if i % 131 == 5:
            script += [cmd("MULTI"), cmd("LPOP", key), cmd("PING", i), cmd("EXEC")]
    script += [cmd("LRANGE", key, 0, 5), cmd("DEL", key, f"{key}:s"), cmd("SELECT", 0), cmd("PING")]
    data = b"".join(script)
    redis.Redis(port=srv.port).flushall()
    redis_server.client().flushall()
    got = raw(srv.port, data, wait=1.0)
    want = raw(redis_server.port, data, wait=1.0)
    assert got == want
    assert got.endswith(b"+PONG\r\n")
# -- what CONFIG GET and CLIENT LIST show of the server ----------------------------


SERVED = ["port", "tls-port", "unixsocket", "bind", "tls-cert-file", "tls-key-file", "tls-ca-cert-file",
          "tls-auth-clients", "maxclients", "timeout"]


def _settings(r: Any, names: List[str]) -> dict:
    got: dict = {}
    for name in names:
        got.update(r.config_get(name))
    return got


def test_config_get_shows_what_the_server_serves(tmp_path: Any, redis_server: Any, certs: str) -> None:  # noqa: F811
    cert, key, ca = (os.path.join(certs, f) for f in ("server.crt", "server.key", "ca.crt"))
    path = str(tmp_path / "redcore.sock")
    name = f"srv-{uuid.uuid4().hex}"
    local = redcore.Redis(name=name)
    # No server: an engine that listens nowhere reads as redis-server
    # started with --port 0, and with Redis's TLS defaults.
    idle = {"port": "0", "tls-port": "0", "unixsocket": "", "bind": "127.0.0.1", "tls-cert-file": "",
            "tls-key-file": "", "tls-ca-cert-file": "", "tls-auth-clients": "yes", "maxclients": "10000", "timeout": "0"}
    assert _settings(local, SERVED) == idle
    local.config_set("timeout", 300)
    with redcore.Server(port=0, unixsocket=path, name=name, tls_port=0, tls_cert_file=cert, tls_key_file=key,
                        tls_ca_cert_file=ca, tls_auth_clients="optional") as srv:
        over = redis.Redis(port=srv.port, driver_info=None)
        served = {"port": str(srv.port), "tls-port": str(srv.tls_port), "unixsocket": path, "bind": "127.0.0.1",
                  "tls-cert-file": cert, "tls-key-file": key, "tls-ca-cert-file": ca, "tls-auth-clients": "optional",
                  "maxclients": "10000", "timeout": "300"}
        assert _settings(over, SERVED) == served
        assert _settings(local, SERVED) == served
        # The oracle answers the same names in the same formats.
        oracle = redis_server.client()
        theirs = _settings(oracle, SERVED)
        assert set(theirs) == set(served)
        assert theirs["port"] == str(redis_server.port) and theirs["bind"] == served["bind"]
        assert theirs["tls-port"] == "0" and theirs["tls-auth-clients"] == "yes"
        # Listener settings are immutable here: Redis's error text, the
        # oracle's for unixsocket (immutable in Redis too).
        for setting, value in (("unixsocket", "/tmp/elsewhere.sock"), ("port", "7000"), ("bind", "0.0.0.0"),
                               ("tls-port", "7001"), ("tls-cert-file", cert), ("tls-auth-clients", "no")):
            for r in (over, local) + ((oracle,) if setting == "unixsocket" else ()):
                with pytest.raises(redis.ResponseError) as e:
                    r.config_set(setting, value)
                assert str(e.value) == f"CONFIG SET failed (possibly related to argument '{setting}') - can't set immutable config"
        # timeout and maxclients stay live settings, as in Redis.
        assert over.config_set("timeout", 100) is True and local.config_get("timeout") == {"timeout": "100"}
        assert over.config_set("maxclients", 500) is True and over.config_get("maxclients") == {"maxclients": "500"}
        over.close()
    # Stopped: the engine serves nothing and reads as before.
    assert _settings(local, ["port", "tls-port", "unixsocket", "tls-cert-file"]) == {
        "port": "0", "tls-port": "0", "unixsocket": "", "tls-cert-file": ""}
    redcore._redcore.forget_engine(name)


@contextlib.contextmanager
def _both_with_open_files_limit(tmp_path: Any, soft: int, hard: int) -> Iterator[tuple]:
    """(redcore port, redis-server port) of a ``python -m redcore serve``
    and a redis-server started with the open files limit (soft, hard)."""
    import resource

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    ours_port, theirs_port = _free_port(), _free_port()
    ours = subprocess.Popen([sys.executable, "-m", "redcore", "serve", "--port", str(ours_port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=limit)
    theirs = subprocess.Popen(["redis-server", "--port", str(theirs_port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no", "--dir", str(tmp_path)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=limit)
    try:
        assert "ready" in ours.stdout.readline()
        deadline = time.time() + 20
        while True:
            try:
                redis.Redis(port=theirs_port).ping()
                break
            except redis.ConnectionError:
                assert time.time() < deadline
                time.sleep(0.05)
        yield ours_port, theirs_port
    finally:
        for p in (ours, theirs):
            p.terminate()
            p.wait(20)


def test_maxclients_fits_the_open_files_limit_as_redis_server(tmp_path: Any) -> None:
    with _both_with_open_files_limit(tmp_path, 256, 256) as (ours_port, theirs_port):
        # 256 descriptors, 32 kept for the server itself: 224 clients.
        expected = redis.Redis(port=theirs_port).config_get("maxclients")
        assert expected == {"maxclients": "224"}
        assert redis.Redis(port=ours_port).config_get("maxclients") == expected


def _outcome(fn: Any) -> Any:
    try:
        return fn()
    except redis.ResponseError as e:
        return str(e)


def test_config_set_maxclients_past_the_open_files_limit_as_redis_server(tmp_path: Any) -> None:
    """CONFIG SET maxclients raises the open files limit as redis-server
    does (in steps of 16 down from what it needs, to what the kernel
    allows); when that is not enough the whole CONFIG SET is refused with
    redis-server's error naming the maxclients that fits, which is then
    accepted."""
    import re

    try:
        with open("/proc/sys/fs/nr_open") as f:
            nr_open = int(f.read())
    except OSError:
        pytest.skip("needs Linux's fs.nr_open")
    refused = re.compile(
        r"CONFIG SET failed \(possibly related to argument 'maxclients'\) - The operating system is not able "
        r"to handle the specified number of clients, try with (\d+)$")
    seen = {}
    with _both_with_open_files_limit(tmp_path, 256, 2048) as ports:
        for port in ports:
            c = redis.Redis(port=port, decode_responses=True)
            steps: List[Any] = [c.config_get("maxclients")]
            steps.append(c.config_set("maxclients", 100))
            # Beyond the hard limit (unless the server may raise it), and
            # beyond what the kernel allows any process.
            for asked in (3000, nr_open + 1000):
                steps.append(_outcome(lambda: c.execute_command(
                    "CONFIG", "SET", "hz", "50", "maxclients", str(asked))))
                steps.append(c.config_get("maxclients"))
                steps.append(c.config_get("hz"))
            m = refused.match(steps[-3])
            assert m, steps
            steps.append(c.config_set("maxclients", m.group(1)))
            steps.append(c.config_get("maxclients"))
            seen[port] = steps
        ours, theirs = (seen[p] for p in ports)
        assert ours == theirs
        assert theirs[1] is True and theirs[3] == theirs[6] == {"maxclients": "100"}
        assert theirs[4] == theirs[7] == {"hz": "10"}
        assert theirs[8] is True and theirs[9] == {"maxclients": m.group(1)}


def test_client_list_shows_unread_input_and_unsent_output(srv: redcore.Server, client: redis.Redis,
                                                          redis_server: Any) -> None:
    oracle = redis_server.client()
    # A half-sent command: its bytes wait in the query buffer and its
    # complete arguments count as argv-mem, as on redis-server.
    for port, viewer in ((srv.port, client), (redis_server.port, oracle)):
        with socket.create_connection(("127.0.0.1", port)) as half:
            half.sendall(b"CLIENT SETNAME half\r\n")
            assert half.recv(100) == b"+OK\r\n"
            half.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100")
            time.sleep(0.2)
            e = _by_name(viewer.client_list(), "half")
            assert (e["qbuf"], e["argv-mem"], e["omem"]) == ("4", "4", "0"), (port, e)
            assert int(e["qbuf-free"]) > 0 and int(e["tot-mem"]) > 0
            # The command completes; the buffer is empty again.
            half.sendall(b"\r\n" + b"v" * 100 + b"\r\n")
            assert half.recv(100) == b"+OK\r\n"
            e = _by_name(viewer.client_list(), "half")
            assert (e["qbuf"], e["argv-mem"]) == ("0", "0"), (port, e)
    # A MONITOR client has flag O, as on redis-server.
    for port, viewer in ((srv.port, client), (redis_server.port, oracle)):
        with socket.create_connection(("127.0.0.1", port)) as mon:
            mon.sendall(b"CLIENT SETNAME mon\r\nMONITOR\r\n")
            got = b""
            while got.count(b"+OK\r\n") < 2:
                got += mon.recv(100)
            assert _by_name(viewer.client_list(), "mon")["flags"] == "O"
    # A subscriber that does not read: what it has not taken grows in the
    # reply buffer (obl) and then in blocks (oll, omem).
    lazy = socket.create_connection(("127.0.0.1", srv.port))
    lazy.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    lazy.sendall(b"CLIENT SETNAME lazy\r\nSUBSCRIBE firehose\r\n")
    time.sleep(0.2)
    payload = b"x" * 10_000
    first = _by_name(client.client_list(), "lazy")
    for _ in range(100):
        for _ in range(20):
            assert client.publish("firehose", payload) == 1
        first = _by_name(client.client_list(), "lazy")
        if int(first["omem"]) > 0:
            break
    assert int(first["omem"]) > 0 and first["obl"] == "16384" and first["events"] == "rw", first
    for _ in range(50):
        client.publish("firehose", payload)
    later = _by_name(client.client_list(), "lazy")
    assert int(later["omem"]) >= int(first["omem"]) + 400_000, (first, later)
    assert int(later["oll"]) > int(first["oll"]) and int(later["tot-mem"]) > int(later["omem"])
    lazy.close()


def test_client_list_shows_the_reply_buffer_and_multi_mem(srv: redcore.Server, client: redis.Redis,
                                                          redis_server: Any) -> None:
    """rbs and rbp: the reply buffer's size and its peak use (a 508-byte
    reply went through it); multi-mem: what the queued commands' arguments
    take, as on redis-server."""
    oracle = redis_server.client()
    for port, viewer in ((srv.port, client), (redis_server.port, oracle)):
        viewer.set("big", "x" * 500)
        with socket.create_connection(("127.0.0.1", port)) as tx:
            def ask(data: bytes, reply: int) -> bytes:
                tx.sendall(data)
                got = b""
                while len(got) < reply:
                    got += tx.recv(reply - len(got))
                return got

            ask(b"CLIENT SETNAME tx\r\n", 5)
            assert ask(b"GET big\r\n", 508).startswith(b"$500\r\n")
            e = _by_name(viewer.client_list(), "tx")
            assert int(e["rbp"]) >= 508 and int(e["rbs"]) >= int(e["rbp"]), (port, e)
            assert (e["multi"], e["multi-mem"]) == ("-1", "0"), (port, e)
            queued = b"+OK\r\n+QUEUED\r\n+QUEUED\r\n"
            assert ask(b"MULTI\r\nSET foo bar\r\nSET foo " + b"y" * 100 + b"\r\n", len(queued)) == queued
            e = _by_name(viewer.client_list(), "tx")
            # Each command: its arguments' bytes and 8 per argument.
            assert (e["flags"], e["multi"], e["multi-mem"]) == ("x", "2", str(9 + 24 + 106 + 24)), (port, e)
            assert ask(b"EXEC\r\n", 14) == b"*2\r\n+OK\r\n+OK\r\n"
            e = _by_name(viewer.client_list(), "tx")
            assert (e["multi"], e["multi-mem"]) == ("-1", "0"), (port, e)


def test_tls_handshake_timeout(certs: str) -> None:  # noqa: F811
    cert, key = (os.path.join(certs, f) for f in ("server.crt", "server.key"))
    kw = dict(port=None, tls_port=0, tls_cert_file=cert, tls_key_file=key, tls_auth_clients="no")
    # With an idle timeout set, it bounds the handshake too.
    with redcore.Server(config={"timeout": "1"}, **kw) as s:
        with socket.create_connection(("127.0.0.1", s.tls_port)) as silent:
            start = time.monotonic()
            assert closed_by_server(silent, timeout=5)
            assert 0.8 < time.monotonic() - start < 4
    # Without one it is 10 s: a silent client is still there after 1 s.
    with redcore.Server(**kw) as s:
        with socket.create_connection(("127.0.0.1", s.tls_port)) as silent:
            assert not closed_by_server(silent, timeout=1.0)
    # The internal setting (for tests) shortens it.
    fast = redcore._redcore.Server(tls_handshake_timeout=0.3, **kw)
    try:
        with socket.create_connection(("127.0.0.1", fast.tls_port)) as silent:
            start = time.monotonic()
            assert closed_by_server(silent, timeout=5)
            assert time.monotonic() - start < 2
        # A client that does handshake is served.
        r = redis.Redis(port=fast.tls_port, ssl=True, ssl_ca_certs=os.path.join(certs, "ca.crt"))
        assert r.ping() is True
    finally:
        fast.stop()


def _negotiated(r: redis.Redis) -> tuple:
    """The TLS version and cipher suite a redis-py client negotiated."""
    conn = r.connection_pool.get_connection()
    try:
        return conn._sock.version(), conn._sock.cipher()[0]
    finally:
        r.connection_pool.release(conn)


def test_tls_protocols_ciphers_and_ca_dir(certs: str, tmp_path: Any) -> None:  # noqa: F811
    cert, key, ca = (os.path.join(certs, f) for f in ("server.crt", "server.key", "ca.crt"))
    kw = dict(port=None, tls_port=0, tls_cert_file=cert, tls_key_file=key, tls_auth_clients="no")

    def client(port: int, **extra: Any) -> redis.Redis:
        return redis.Redis(port=port, ssl=True, ssl_ca_certs=ca, retry=None, **extra)

    # TLS 1.2 only, one suite (OpenSSL's name, as redis.conf takes it).
    with redcore.Server(tls_protocols="TLSv1.2", tls_ciphers="ECDHE-RSA-AES256-GCM-SHA384", **kw) as s:
        r = client(s.tls_port)
        assert r.ping() is True
        assert _negotiated(r) == ("TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384")
        assert r.config_get("tls-protocols") == {"tls-protocols": "TLSv1.2"}
        assert r.config_get("tls-ciphers") == {"tls-ciphers": "ECDHE-RSA-AES256-GCM-SHA384"}
        with pytest.raises(redis.ConnectionError):
            client(s.tls_port, ssl_min_version=ssl.TLSVersion.TLSv1_3).ping()
        with pytest.raises(redis.ConnectionError):
            client(s.tls_port, ssl_ciphers="ECDHE-RSA-AES128-GCM-SHA256").ping()
    # TLS 1.3 only, one suite; a client that stops at TLS 1.2 is refused.
    with redcore.Server(tls_protocols=["TLSv1.3"], tls_ciphersuites="TLS_CHACHA20_POLY1305_SHA256", **kw) as s:
        r = client(s.tls_port, ssl_min_version=ssl.TLSVersion.TLSv1_3)
        assert r.ping() is True
        assert _negotiated(r) == ("TLSv1.3", "TLS_CHACHA20_POLY1305_SHA256")
        ctx = ssl.create_default_context(cafile=ca)
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        with socket.create_connection(("127.0.0.1", s.tls_port)) as plain:
            with pytest.raises(ssl.SSLError):
                ctx.wrap_socket(plain, server_hostname="localhost")
    # rustls's names work too.
    with redcore.Server(tls_protocols="tlsv1.2", tls_ciphers="TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", **kw) as s:
        assert _negotiated(client(s.tls_port)) == ("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256")
    # tls-ca-cert-dir: client certificates checked against a directory.
    cadir = tmp_path / "cadir"
    cadir.mkdir()
    shutil.copy(ca, cadir / "ca.pem")
    with redcore.Server(port=None, tls_port=0, tls_cert_file=cert, tls_key_file=key, tls_ca_cert_dir=str(cadir)) as s:
        assert redis.Redis(port=s.tls_port, **_tls_kwargs(certs)).ping() is True
        with pytest.raises(redis.ConnectionError):
            client(s.tls_port).ping()
        assert client(s.tls_port, ssl_certfile=os.path.join(certs, "client.crt"),
                      ssl_keyfile=os.path.join(certs, "client.key")).config_get("tls-ca-cert-dir") == {
            "tls-ca-cert-dir": str(cadir)}
    # What rustls lacks stops the start-up with a clear error.
    (tmp_path / "empty").mkdir()
    cases = [
        (dict(tls_protocols="TLSv1.1"), "TLSv1.1 is not supported"),
        (dict(tls_protocols="SSLv3"), "Invalid tls-protocols specified: 'SSLv3'"),
        (dict(tls_ciphers="DES-CBC3-SHA"), "Invalid tls-ciphers: unknown cipher suite 'DES-CBC3-SHA'"),
        (dict(tls_ciphersuites="TLS_AES_128_CCM_SHA256"), "Invalid tls-ciphersuites: unknown cipher suite"),
        (dict(tls_ciphers="TLS_AES_128_GCM_SHA256"), "is a TLS 1.3 suite; name it in tls-ciphersuites"),
        (dict(tls_ciphersuites="ECDHE-RSA-AES128-GCM-SHA256"), "is a TLS 1.2 suite; name it in tls-ciphers"),
        (dict(tls_ca_cert_dir=str(tmp_path / "empty"), tls_auth_clients="yes"), "no certificate found"),
    ]
    for extra, message in cases:
        with pytest.raises(ValueError, match=message):
            redcore.Server(**{**kw, **extra})
    # The command line takes redis-server's flags.
    out = subprocess.run([sys.executable, "-m", "redcore", "serve", "--port", "0", "--tls-port", "0",
                          "--tls-cert-file", cert, "--tls-key-file", key, "--tls-auth-clients", "no",
                          "--tls-protocols", "TLSv1.2", "TLSv1.3", "--tls-ciphers", "NOPE"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert "Invalid tls-ciphers: unknown cipher suite 'NOPE'" in out.stderr, out.stderr


def _resp(*args: Any) -> bytes:
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(parts)


def _read_until(sock: socket.socket, want: bytes, timeout: float = 5.0) -> bytes:
    sock.settimeout(timeout)
    got = b""
    while want not in got:
        chunk = sock.recv(65536)
        if not chunk:
            break
        got += chunk
    return got


@pytest.mark.parametrize("which", ["redcore", "redis-server"])
def test_resp3_tracking_without_redirect_pushes_on_the_same_connection(
    which: str, redcore_server: Any, redis_server: RedisServer
) -> None:
    """CLIENT TRACKING ON in RESP3 with no REDIRECT (redis-py's client-side
    caching): the invalidation comes as a push on the tracking connection
    itself, byte for byte as redis-server sends it."""
    port = redcore_server.port if which == "redcore" else redis_server.port
    with socket.create_connection(("127.0.0.1", port)) as a, socket.create_connection(("127.0.0.1", port)) as b:
        a.sendall(_resp("HELLO", 3))
        _read_until(a, b"modules\r\n*0\r\n")
        key = f"tracked-{uuid.uuid4().hex}".encode()
        b.sendall(_resp("SET", key, "1"))
        assert _read_until(b, b"\r\n") == b"+OK\r\n"
        a.sendall(_resp("CLIENT", "TRACKING", "ON") + _resp("GET", key))
        assert _read_until(a, b"$1\r\n1\r\n") == b"+OK\r\n$1\r\n1\r\n"
        b.sendall(_resp("SET", key, "2"))
        assert _read_until(b, b"\r\n") == b"+OK\r\n"
        push = b">2\r\n$10\r\ninvalidate\r\n*1\r\n$%d\r\n%s\r\n" % (len(key), key)
        assert _read_until(a, push) == push
        # Told once; the next read tracks the key again.
        a.sendall(_resp("GET", key))
        assert _read_until(a, b"$1\r\n2\r\n") == b"$1\r\n2\r\n"
        b.sendall(_resp("DEL", key))
        assert _read_until(a, push) == push
