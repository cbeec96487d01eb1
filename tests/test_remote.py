"""The network client under faults: servers killed and restarted, lost
replies, timeouts, interrupts, AUTH/ACL, TLS, Unix sockets, pools, health
checks, RESP3.

Each test starts the redis-server processes it needs (on loopback) and
stops them; nothing here uses the shared oracle server.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from typing import Any, Iterator, List, Optional

import pytest

import redcore
from redcore._localhost import tie_to_parent
from redcore.backoff import ConstantBackoff, ExponentialBackoff, NoBackoff
from redcore.exceptions import (
    AuthenticationError,
    ConnectionError,
    MaxConnectionsError,
    NoPermissionError,
    TimeoutError,
)
from redcore.retry import Retry

from conftest import _find_redis_server, _free_port
from support import Interrupt, alarm

NO_RETRY = Retry(NoBackoff(), 0)


class Server:
    """A redis-server this test owns; ``kill()`` and ``start()`` keep the port."""

    def __init__(self, *extra: str, port: Optional[int] = None, tcp: bool = True) -> None:
        self.port = port or _free_port()
        self.dir = tempfile.mkdtemp(prefix="redcore-remote-")
        self.extra = extra
        self.tcp = tcp
        self.proc: Optional[subprocess.Popen] = None
        self.start()

    def start(self) -> None:
        args = [
            _find_redis_server(),
            "--port", str(self.port if self.tcp else 0),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", self.dir,
            "--enable-debug-command", "yes",
            *self.extra,
        ]
        self.proc = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=tie_to_parent()
        )
        deadline = time.time() + 10
        while not self._ready():
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"redis-server did not start: {args}")
            time.sleep(0.02)

    def _ready(self) -> bool:
        if not self.tcp:
            return any(a.endswith(".sock") and os.path.exists(a) for a in self.extra)
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                s.sendall(b"PING\r\n")
                return s.recv(64).startswith((b"+PONG", b"-NOAUTH"))
        except OSError:
            return False

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.stop()


class Proxy:
    """A TCP proxy in front of a server that can lose replies: in
    ``drop`` mode it forwards requests but closes the client's connection
    instead of forwarding the server's answer, so the command runs on the
    server and its reply is lost."""

    def __init__(self, target_port: int) -> None:
        self.target = target_port
        self.drop = False
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while self.running:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            threading.Thread(target=self._pump, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, True), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, replies: bool) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if replies and self.drop:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self) -> None:
        self.running = False
        self.listener.close()


def oracle(port: int, **kwargs: Any) -> Any:
    import redis

    return redis.Redis(port=port, protocol=2, **kwargs)


# -- connection errors, kill and restart ---------------------------------------


def test_connection_refused_message():
    port = _free_port()
    r = redcore.Redis(host="127.0.0.1", port=port, retry=NO_RETRY)
    with pytest.raises(ConnectionError) as e:
        r.ping()
    assert str(e.value) == f"Error 111 connecting to 127.0.0.1:{port}. Connection refused."


def test_inflight_command_raises_then_reconnects(server):
    r = redcore.Redis(port=server.port)
    assert r.ping() is True
    threading.Timer(0.2, server.kill).start()
    t = time.monotonic()
    with pytest.raises(ConnectionError):
        r.blpop("queue", 5)
    assert time.monotonic() - t < 3
    server.start()
    assert r.set("k", "v") is True
    assert r.get("k") == b"v"


def test_incr_after_kill_and_restart_is_applied_once(server):
    r = redcore.Redis(port=server.port)
    assert r.incr("n") == 1
    server.kill()
    server.start()
    # The idle pooled connection is dead; it is detected before use and
    # replaced, so the INCR runs exactly once on the new server.
    assert r.incr("n") == 1
    assert oracle(server.port).get("n") == b"1"


def test_commands_during_downtime_wait_for_restart_with_default_retries(server):
    r = redcore.Redis(port=server.port)
    r.ping()
    server.kill()
    restart = threading.Timer(0.3, server.start)
    restart.start()
    try:
        # The dead connection is noticed before anything is sent on it, and
        # connecting is retried with backoff: nothing was sent, so it is safe.
        assert r.incr("n") == 1
    finally:
        restart.join()


def test_lost_reply_of_a_write_is_not_retried_by_default(server):
    proxy = Proxy(server.port)
    try:
        r = redcore.Redis(port=proxy.port)
        assert r.incr("n") == 1
        proxy.drop = True
        with pytest.raises(ConnectionError):
            r.incr("n")
        proxy.drop = False
        # The lost INCR ran once on the server; nothing ran it again.
        assert oracle(server.port).get("n") == b"2"
        assert r.incr("n") == 3
    finally:
        proxy.close()


def test_lost_reply_is_retried_when_retries_are_configured(server):
    """redis-py's behaviour when asked for retries: the command is sent
    again, so a non-idempotent write whose reply was lost runs twice."""
    proxy = Proxy(server.port)
    try:
        r = redcore.Redis(port=proxy.port, retry=Retry(ConstantBackoff(0.2), 3))
        assert r.incr("n") == 1
        proxy.drop = True
        threading.Timer(0.05, lambda: setattr(proxy, "drop", False)).start()
        assert r.incr("n") == 3
        assert oracle(server.port).get("n") == b"3"
    finally:
        proxy.close()


def test_pipeline_losing_its_replies_raises_and_reports_nothing(server):
    proxy = Proxy(server.port)
    try:
        r = redcore.Redis(port=proxy.port)
        pipe = r.pipeline(transaction=False)
        pipe.set("a", 1).incr("a").get("a")
        # A pooled connection (its HELLO done) carries the batch.
        assert r.ping()
        proxy.drop = True
        with pytest.raises(ConnectionError):
            pipe.execute()
        proxy.drop = False
        assert len(pipe) == 0
        assert r.pipeline().get("a").execute() == [b"2"]
    finally:
        proxy.close()


def test_pipeline_after_restart_runs_once(server):
    r = redcore.Redis(port=server.port)
    r.pipeline().incr("n").execute()
    server.kill()
    server.start()
    assert r.pipeline().incr("n").incr("n").execute() == [1, 2]


def test_watch_connection_lost_raises_watch_error(server):
    r = redcore.Redis(port=server.port)
    with r.pipeline() as pipe:
        pipe.watch("k")
        server.kill()
        server.start()
        with pytest.raises(redcore.WatchError):
            pipe.get("k")


def test_transaction_with_watch_on_remote(server):
    r = redcore.Redis(port=server.port)
    other = redcore.Redis(port=server.port)
    r.set("k", 1)
    with r.pipeline() as pipe:
        pipe.watch("k")
        assert pipe.get("k") == b"1"
        other.set("k", 2)
        pipe.multi()
        pipe.set("k", 3)
        with pytest.raises(redcore.WatchError):
            pipe.execute()
    assert r.get("k") == b"2"

    def bump(p: Any) -> None:
        value = int(p.get("k"))
        p.multi()
        p.set("k", value + 1)

    assert r.transaction(bump, "k") == [True]
    assert r.get("k") == b"3"
    # The WATCH connection went back to the pool: one connection in use.
    assert r.connection_pool.get_connection_count() == 1


def test_pubsub_resubscribes_after_restart(server):
    r = redcore.Redis(port=server.port)
    p = r.pubsub(ignore_subscribe_messages=True)
    p.subscribe("news")
    p.psubscribe("n*")
    assert p.get_message(timeout=1) is None  # confirmations are ignored
    server.kill()
    server.start()
    publisher = oracle(server.port)
    got: List[Any] = []
    deadline = time.monotonic() + 8
    while len(got) < 2 and time.monotonic() < deadline:
        if publisher.publish("news", "back") < 2:
            time.sleep(0.05)
        msg = p.get_message(timeout=0.2)
        while msg is not None:
            got.append((msg["type"], msg["channel"], msg["data"]))
            msg = p.get_message(timeout=0.05)
    assert ("message", b"news", b"back") in got
    assert ("pmessage", b"news", b"back") in got
    p.close()


def test_pubsub_on_resp3(server):
    r = redcore.Redis(port=server.port, protocol=3, decode_responses=True)
    p = r.pubsub()
    p.subscribe("c")
    assert p.get_message(timeout=1) == {"type": "subscribe", "pattern": None, "channel": "c", "data": 1}
    r.publish("c", "x")
    assert p.get_message(timeout=1) == {"type": "message", "pattern": None, "channel": "c", "data": "x"}
    p.close()


# -- timeouts, interrupts and the #2665 rule -------------------------------------


def test_read_timeout_drops_the_connection(server):
    r = redcore.Redis(port=server.port, socket_timeout=0.2)
    r.set("k", "v")
    t = time.monotonic()
    with pytest.raises(TimeoutError) as e:
        r.execute_command("DEBUG", "SLEEP", "0.3")
    assert str(e.value) == "Timeout reading from socket"
    assert 0.15 < time.monotonic() - t < 1.0
    time.sleep(0.25)  # the late +OK has now arrived on the old socket
    assert r.get("k") == b"v"
    assert r.ping() is True


def test_interrupted_command_never_leaks_its_reply(server):
    r = redcore.Redis(port=server.port, single_connection_client=True)
    r.set("k", "v")

    with alarm(0.1), pytest.raises(Interrupt):
        r.execute_command("DEBUG", "SLEEP", "0.3")
    time.sleep(0.3)
    assert r.get("k") == b"v"
    assert r.lrange("missing", 0, -1) == []


def test_callback_exception_keeps_replies_in_step(server):
    r = redcore.Redis(port=server.port)
    r.set("k", "v")

    def broken(response: Any, **options: Any) -> Any:
        raise ValueError("callback failed")

    r.set_response_callback("GET", broken)
    with pytest.raises(ValueError):
        r.execute_command("GET", "k")
    assert r.execute_command("STRLEN", "k") == 1


def test_blocking_command_longer_than_socket_timeout(server):
    r = redcore.Redis(port=server.port, socket_timeout=0.2)
    t = time.monotonic()
    assert r.blpop("q", 0.5) is None
    assert 0.45 < time.monotonic() - t < 1.5
    threading.Timer(0.3, lambda: oracle(server.port).rpush("q", "x")).start()
    assert r.blpop("q", 2) == (b"q", b"x")
    assert r.ping() is True


def test_connect_timeout():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        # Fill the accept queue so further connection attempts hang.
        for _ in range(4):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            fillers.append(s)
        time.sleep(0.05)
        r = redcore.Redis(port=port, socket_connect_timeout=0.2, retry=NO_RETRY)
        t = time.monotonic()
        with pytest.raises(TimeoutError) as e:
            r.ping()
        assert str(e.value) == "Timeout connecting to server"
        assert time.monotonic() - t < 2
    finally:
        for s in fillers:
            s.close()
        listener.close()


# -- pools and health checks -----------------------------------------------------


def _wait_blocked(server: Server, n: int, timeout: float = 10) -> None:
    """Waits until ``n`` clients of the (private) server are blocked."""
    probe = redcore.Redis(port=server.port)
    deadline = time.monotonic() + timeout
    while probe.info("clients")["blocked_clients"] != n:
        assert time.monotonic() < deadline, "the blocking command never reached the server"
        time.sleep(0.01)
    probe.close()


def test_blocking_pool_exhaustion_and_wait(server):
    pool = redcore.BlockingConnectionPool(port=server.port, max_connections=1, timeout=0.2)
    r = redcore.Redis(connection_pool=pool)
    holder = threading.Thread(target=r.blpop, args=("q", 2))
    holder.start()
    _wait_blocked(server, 1)
    t = time.monotonic()
    with pytest.raises(ConnectionError) as e:
        r.get("x")
    assert str(e.value) == "No connection available."
    # The pool's timeout, not the holder's release (~1.9 s away).
    assert 0.15 < time.monotonic() - t < 1.5
    holder.join()
    assert r.get("x") is None

    patient = redcore.Redis(connection_pool=redcore.BlockingConnectionPool(port=server.port, max_connections=1, timeout=3))
    holder = threading.Thread(target=patient.blpop, args=("q", 0.3))
    holder.start()
    _wait_blocked(server, 1)
    assert patient.set("y", 1) is True  # waits for the BLPOP's connection
    holder.join()


def test_plain_pool_full_raises_max_connections(server):
    pool = redcore.ConnectionPool(port=server.port, max_connections=1)
    r = redcore.Redis(connection_pool=pool)
    holder = threading.Thread(target=r.blpop, args=("q", 0.4))
    holder.start()
    time.sleep(0.1)
    with pytest.raises(MaxConnectionsError) as e:
        r.get("x")
    assert str(e.value) == "Too many connections"
    holder.join()


def test_pool_is_shared_between_clients(server):
    pool = redcore.ConnectionPool.from_url(f"redis://127.0.0.1:{server.port}/2?decode_responses=true")
    a = redcore.Redis(connection_pool=pool)
    b = redcore.Redis(connection_pool=pool)
    a.set("k", "v")
    assert b.get("k") == "v"
    assert pool.get_connection_count() == 1
    assert oracle(server.port, db=2).get("k") == b"v"


def test_health_check_pings_idle_connections(server):
    def pings() -> int:
        stats = oracle(server.port).info("commandstats")
        return stats.get("cmdstat_ping", {}).get("calls", 0)

    checked = redcore.Redis(port=server.port, health_check_interval=0.1)
    unchecked = redcore.Redis(port=server.port)
    checked.get("k")
    unchecked.get("k")
    before = pings()
    time.sleep(0.15)
    checked.get("k")
    unchecked.get("k")
    assert pings() == before + 1
    checked.get("k")  # not idle long enough
    assert pings() == before + 1


def test_health_check_replaces_a_killed_connection(server):
    r = redcore.Redis(port=server.port, health_check_interval=0.05, client_name="victim")
    r.get("k")
    admin = oracle(server.port)
    admin.client_kill_filter(_type="normal", skipme=True)
    time.sleep(0.1)
    assert r.get("k") is None


def test_select_and_db_per_client(server):
    r = redcore.Redis(port=server.port, db=1)
    r.set("k", "one")
    assert r.select(2) is True
    r.set("k", "two")
    assert oracle(server.port, db=1).get("k") == b"one"
    assert oracle(server.port, db=2).get("k") == b"two"
    pipe = r.pipeline()
    assert pipe.get("k").execute() == [b"two"]


# -- AUTH and ACL -----------------------------------------------------------------


def test_auth_and_acl():
    s = Server("--requirepass", "secret")
    try:
        admin = redcore.Redis(port=s.port, password="secret")
        assert admin.execute_command("ACL", "SETUSER", "limited", "on", ">pw", "~*", "+get", "+set") == b"OK"
        with pytest.raises(AuthenticationError):
            redcore.Redis(port=s.port, password="wrong").ping()
        with pytest.raises(AuthenticationError):
            redcore.Redis(port=s.port).ping()
        limited = redcore.Redis(port=s.port, username="limited", password="pw")
        assert limited.set("k", "v") is True
        assert limited.get("k") == b"v"
        with pytest.raises(NoPermissionError):
            limited.lpush("l", 1)
        url = redcore.Redis.from_url(f"redis://limited:pw@127.0.0.1:{s.port}/0")
        assert url.get("k") == b"v"
        resp3 = redcore.Redis(port=s.port, username="limited", password="pw", protocol=3, client_name="c3")
        assert resp3.get("k") == b"v"
    finally:
        s.stop()


# -- Unix sockets ---------------------------------------------------------------------


def test_unix_socket():
    d = tempfile.mkdtemp(prefix="redcore-unix-")
    path = os.path.join(d, "redis.sock")
    s = Server("--unixsocket", path, "--unixsocketperm", "700", tcp=False)
    try:
        r = redcore.Redis(unix_socket_path=path)
        r.set("k", "v")
        assert r.get("k") == b"v"
        u = redcore.Redis.from_url(f"unix://{path}?db=3&decode_responses=true")
        u.set("k", "three")
        assert u.get("k") == "three"
        assert r.get("k") == b"v"
        missing = redcore.Redis(unix_socket_path=path + ".nope", retry=NO_RETRY)
        with pytest.raises(ConnectionError) as e:
            missing.ping()
        assert str(e.value) == f"Error 2 connecting to {path}.nope. No such file or directory."
    finally:
        s.stop()
        shutil.rmtree(d, ignore_errors=True)


# -- TLS ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certs() -> Iterator[str]:
    # scripts/test.sh installs openssl with redis-server.
    assert shutil.which("openssl") is not None, "openssl command line not found"
    d = tempfile.mkdtemp(prefix="redcore-tls-")

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
        "-days", "2", "-subj", "/CN=redcore test CA")
    for name, san in (("server", "DNS:localhost,IP:127.0.0.1"), ("client", "DNS:client"), ("elsewhere", "DNS:elsewhere.example")):
        run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
            "-subj", f"/CN={name}")
        with open(os.path.join(d, f"{name}.ext"), "w") as f:
            f.write(f"subjectAltName={san}\n")
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", f"{name}.crt", "-days", "2", "-extfile", f"{name}.ext")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def tls_server(certs: str, auth_clients: str, cert: str = "server") -> Server:
    return Server(
        "--tls-port", str(_free_port()),
        "--tls-cert-file", os.path.join(certs, f"{cert}.crt"),
        "--tls-key-file", os.path.join(certs, f"{cert}.key"),
        "--tls-ca-cert-file", os.path.join(certs, "ca.crt"),
        "--tls-auth-clients", auth_clients,
    )


def test_tls_round_trip(certs):
    s = tls_server(certs, "optional")
    tls_port = int(s.extra[1])
    ca = os.path.join(certs, "ca.crt")
    try:
        r = redcore.Redis(host="localhost", port=tls_port, ssl=True, ssl_ca_certs=ca)
        r.set("k", "v")
        assert r.get("k") == b"v"
        assert r.pipeline().incr("n").incr("n").execute() == [1, 2]
        ip = redcore.Redis(host="127.0.0.1", port=tls_port, ssl=True, ssl_ca_certs=ca, protocol=3)
        assert ip.get("k") == b"v"
        url = redcore.Redis.from_url(f"rediss://localhost:{tls_port}/0?ssl_ca_certs={ca}&ssl_cert_reqs=required")
        assert url.get("k") == b"v"
        with_cert = redcore.Redis(
            host="localhost", port=tls_port, ssl=True, ssl_ca_certs=ca,
            ssl_certfile=os.path.join(certs, "client.crt"), ssl_keyfile=os.path.join(certs, "client.key"),
        )
        assert with_cert.get("k") == b"v"
        unverified = redcore.Redis(host="localhost", port=tls_port, ssl=True, ssl_cert_reqs="none")
        assert unverified.get("k") == b"v"
        p = r.pubsub()
        p.subscribe("t")
        assert p.get_message(timeout=1)["type"] == "subscribe"
        r.publish("t", "secure")
        assert p.get_message(timeout=1)["data"] == b"secure"
        p.close()
        # Idle TLS connections stay usable (session tickets are not "stale").
        time.sleep(0.05)
        assert r.get("k") == b"v"
        assert r.connection_pool.get_connection_count() == 1
    finally:
        s.stop()


def test_tls_verification_failures(certs):
    s = tls_server(certs, "optional", cert="elsewhere")
    tls_port = int(s.extra[1])
    ca = os.path.join(certs, "ca.crt")
    try:
        # No trusted CA: the self-made CA is unknown.
        unknown = redcore.Redis(host="localhost", port=tls_port, ssl=True, ssl_ca_certs=os.path.join(certs, "client.crt"), retry=NO_RETRY)
        with pytest.raises(ConnectionError, match="TLS handshake failed"):
            unknown.ping()
        # The certificate names another host.
        wrong_name = redcore.Redis(host="localhost", port=tls_port, ssl=True, ssl_ca_certs=ca, retry=NO_RETRY)
        with pytest.raises(ConnectionError, match="not valid for name"):
            wrong_name.ping()
        no_check = redcore.Redis(host="localhost", port=tls_port, ssl=True, ssl_ca_certs=ca, ssl_check_hostname=False)
        assert no_check.ping() is True
    finally:
        s.stop()


def test_tls_client_certificate_required(certs):
    s = tls_server(certs, "yes")
    tls_port = int(s.extra[1])
    ca = os.path.join(certs, "ca.crt")
    try:
        with_cert = redcore.Redis(
            host="localhost", port=tls_port, ssl=True, ssl_ca_certs=ca,
            ssl_certfile=os.path.join(certs, "client.crt"), ssl_keyfile=os.path.join(certs, "client.key"),
        )
        assert with_cert.ping() is True
        without = redcore.Redis(host="localhost", port=tls_port, ssl=True, ssl_ca_certs=ca, retry=NO_RETRY)
        with pytest.raises(ConnectionError):
            without.ping()
    finally:
        s.stop()


# -- RESP3 and construction -------------------------------------------------------------


def test_resp3_typed_methods_match_resp2(server):
    # redis-py 8's default: RESP3 on the wire, the classic shapes.
    r2 = redcore.Redis(port=server.port, protocol=2)
    r3 = redcore.Redis(port=server.port)
    r2.hset("h", mapping={"a": 1, "b": 2})
    r2.zadd("z", {"x": 1.5, "y": 2})
    r2.sadd("s", "m")
    for call in (
        lambda c: c.get("missing"),
        lambda c: c.hgetall("h"),
        lambda c: c.hget("h", "a"),
        lambda c: c.zscore("z", "x"),
        lambda c: c.zrange("z", 0, -1, withscores=True),
        lambda c: c.zrevrange("z", 0, -1, withscores=True),
        lambda c: c.smembers("s"),
        lambda c: c.sismember("s", "m"),
        lambda c: c.ttl("h"),
        lambda c: c.exists("h", "z"),
        lambda c: c.lrange("missing", 0, -1),
        lambda c: c.mget(["h", "missing"]),
        lambda c: sorted(c.zrandmember("z", 5, withscores=True)),
        lambda c: sorted(c.hrandfield("h", 5, withvalues=True)),
        lambda c: c.zrangebyscore("z", 0, 10, withscores=True),
        lambda c: c.zscan("z"),
        lambda c: c.hscan("h"),
        lambda c: c.config_get("maxmemory"),
        lambda c: c.smismember("s", ["m", "q"]),
        lambda c: c.pipeline().zrange("z", 0, -1, withscores=True).hgetall("h").execute(),
        lambda c: c.pipeline(transaction=False).zrange("z", 0, -1, withscores=True).execute(),
    ):
        assert call(r3) == call(r2)
    assert r3.zpopmin("z") == [(b"x", 1.5)]
    assert r3.bzpopmin("z", 1) == (b"z", b"y", 2.0)


def test_from_url_and_repr(server):
    r = redcore.from_url(f"redis://localhost:{server.port}/4?socket_timeout=2&health_check_interval=5")
    r.set("k", 1)
    assert oracle(server.port, db=4).get("k") == b"1"
    assert "ConnectionPool(localhost:" in repr(r)
    kw = r.get_connection_kwargs()
    assert kw["socket_timeout"] == 2.0 and kw["health_check_interval"] == 5 and kw["db"] == 4
    with pytest.raises(ValueError):
        redcore.Redis.from_url("http://localhost")
    assert redcore.Redis.from_url("memory://from-url-test").ping() is True


def test_unknown_argument_is_rejected():
    with pytest.raises(TypeError):
        redcore.Redis(port=1, not_an_option=True)


def test_backoffs_and_retry_objects():
    assert ExponentialBackoff(cap=1, base=0.1).compute(3) == 0.8
    r = Retry(NoBackoff(), 2)
    calls = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError("down")
        return "up"

    assert r.call_with_retry(flaky, lambda e: None) == "up"
    assert len(calls) == 3
    assert Retry(NoBackoff(), 2) == Retry(NoBackoff(), 2)


def test_huge_or_infinite_durations_mean_no_limit(server):
    pool = redcore.ConnectionPool(port=server.port, socket_timeout=1e20, health_check_interval=float("inf"))
    assert redcore.Redis(connection_pool=pool).ping() is True
    r = redcore.Redis(port=server.port, socket_connect_timeout=float("inf"))
    assert r.ping() is True
    p = r.pubsub()
    p.subscribe("c")
    assert p.get_message(timeout=1e20)["type"] == "subscribe"


def test_blocking_pool_without_a_limit(server):
    r = redcore.Redis(connection_pool=redcore.BlockingConnectionPool(port=server.port, max_connections=None))
    assert r.ping() is True


def test_subscribing_while_a_thread_listens(server):
    r = redcore.Redis(port=server.port)
    p = r.pubsub()
    got: List[Any] = []
    p.subscribe(a=lambda m: got.append(m["channel"]))
    worker = p.run_in_thread(sleep_time=0.05, daemon=True)
    try:
        time.sleep(0.1)  # the worker is now inside a read
        p.subscribe(b=lambda m: got.append(m["channel"]))
        deadline = time.time() + 5
        while r.pubsub_numsub("b") != [(b"b", 1)] and time.time() < deadline:
            time.sleep(0.01)
        r.publish("b", "x")
        while not got and time.time() < deadline:
            time.sleep(0.01)
        assert got == [b"b"]
    finally:
        worker.stop()
        worker.join(5)


def test_quit_never_pools_the_connection_the_server_is_closing() -> None:
    """After QUIT's +OK the server closes the connection, maybe a moment
    later: the next command must not be sent on it (it would be lost with
    the connection). A server that is slow to close shows it every time."""
    from support import ScriptedServer

    # +OK to everything, and it never closes on QUIT.
    srv = ScriptedServer(lambda i: [b"*0\r\n"])
    try:
        r = redcore.Redis(port=srv.port, protocol=2)
        assert r.set("k", "v") is True
        assert r.quit() is True
        assert srv.conns == 1
        assert r.set("k", "v") is True
        assert srv.conns == 2
        p = r.pipeline(transaction=False)
        p.set("k", "v").quit()
        assert p.execute() == [True, True]
        assert r.set("k", "v") is True
        assert srv.conns == 3
        r.close()
    finally:
        srv.close()
