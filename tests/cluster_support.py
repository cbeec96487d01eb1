"""Real Redis Cluster and Sentinel deployments for the tests.

- :class:`LocalCluster`: six Debian ``redis-server --cluster-enabled yes``
  processes on free loopback ports (3 masters, 3 replicas) joined with
  ``redis-cli --cluster create ... --cluster-replicas 1 --cluster-yes``,
  ready when every node reports ``cluster_state:ok`` and knows all six.
- :class:`LocalSentinel`: a master, two replicas and three
  ``redis-sentinel`` processes monitoring it as ``mymaster``.

Both start in a few seconds and remove their processes and temp dirs on
``stop()``. The helpers talk to the servers with ``redis-cli`` and raw
sockets only, so they hold no redcore or redis-py state.
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import tempfile
import time
from typing import Callable, Dict, List, Optional

from redcore._localhost import tie_to_parent


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(n: int, bus: bool = False) -> List[int]:
    """``n`` free loopback ports (with ``bus``, port+10000 free too, for
    the cluster bus)."""
    ports: List[int] = []
    while len(ports) < n:
        p = random.randrange(20000, 30000)
        if p in ports or not _port_free(p) or (bus and not _port_free(p + 10000)):
            continue
        ports.append(p)
    return ports


def cli(port: int, *args: str, timeout: float = 10) -> str:
    """``redis-cli -p port args...``'s output (raw, no formatting)."""
    out = subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "-p", str(port), *args],
        capture_output=True, text=True, timeout=timeout,
    )
    return out.stdout.strip()


def wait_for(what: str, check: Callable[[], object], timeout: float = 30, step: float = 0.05) -> None:
    """Polls ``check`` until it is truthy; fails after ``timeout``."""
    deadline = time.time() + timeout
    while True:
        try:
            if check():
                return
        except Exception:
            pass
        if time.time() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(step)


class _Processes:
    def __init__(self, prefix: str) -> None:
        self.dir = tempfile.mkdtemp(prefix=prefix)
        self.procs: Dict[int, subprocess.Popen] = {}

    def spawn(self, port: int, argv: List[str]) -> None:
        log = open(os.path.join(self.dir, f"{port}.log"), "wb")
        self.procs[port] = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, cwd=self.dir, preexec_fn=tie_to_parent()
        )
        log.close()

    def wait_up(self, ports: List[int]) -> None:
        for p in ports:
            wait_for(f"server on {p}", lambda p=p: cli(p, "PING") == "PONG", timeout=20)

    def kill(self, port: int) -> None:
        proc = self.procs.get(port)
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()

    def stop(self) -> None:
        for port in list(self.procs):
            self.kill(port)
        shutil.rmtree(self.dir, ignore_errors=True)


class LocalCluster(_Processes):
    """A 3-master / 3-replica Redis Cluster on loopback ports."""

    def __init__(self, masters: int = 3, replicas: int = 1) -> None:
        super().__init__("cluster-redcore-")
        self.n_replicas = masters * replicas
        self.ports = free_ports(masters * (1 + replicas), bus=True)
        for p in self.ports:
            d = os.path.join(self.dir, str(p))
            os.mkdir(d)
            self.spawn(p, [
                "redis-server", "--port", str(p), "--bind", "127.0.0.1", "--dir", d,
                "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                "--cluster-node-timeout", "2000", "--save", "", "--appendonly", "no",
                "--daemonize", "no", "--enable-debug-command", "yes",
            ])
        try:
            self.wait_up(self.ports)
            out = subprocess.run(
                ["redis-cli", "--cluster", "create", *[f"127.0.0.1:{p}" for p in self.ports],
                 "--cluster-replicas", str(replicas), "--cluster-yes"],
                capture_output=True, text=True, timeout=60,
            )
            if out.returncode != 0:
                raise RuntimeError(f"redis-cli --cluster create failed: {out.stdout}{out.stderr}")
            self.wait_ok()
        except BaseException:
            self.stop()
            raise

    @property
    def port(self) -> int:
        """A startup node's port."""
        return self.ports[0]

    def wait_ok(self, timeout: float = 30) -> None:
        """Until every live node says ``cluster_state:ok`` and sees every
        node, none failing, with all replicas attached."""
        live = [p for p in self.ports if self.procs[p].poll() is None]

        def ok() -> bool:
            for p in live:
                if "cluster_state:ok" not in cli(p, "CLUSTER", "INFO"):
                    return False
                nodes = cli(p, "CLUSTER", "NODES").splitlines()
                if len(nodes) != len(self.ports) or any("handshake" in n or "fail" in n for n in nodes):
                    return False
                if sum("slave" in n.split()[2] for n in nodes) != self.n_replicas:
                    return False
                if "role:slave" in (info := cli(p, "INFO", "replication")) and "master_link_status:up" not in info:
                    return False
            return True

        wait_for("cluster_state:ok", ok, timeout=timeout)

    def nodes(self) -> List[Dict[str, str]]:
        """CLUSTER NODES as seen by a live node: id, port, role, master id, slots."""
        live = next(p for p in self.ports if self.procs[p].poll() is None)
        out = []
        for line in cli(live, "CLUSTER", "NODES").splitlines():
            parts = line.split()
            addr = parts[1].split("@")[0]
            out.append({
                "id": parts[0], "port": addr.rsplit(":", 1)[1], "flags": parts[2],
                "master": parts[3], "slots": " ".join(parts[8:]),
            })
        return out

    def masters(self) -> List[int]:
        return sorted(int(n["port"]) for n in self.nodes() if "master" in n["flags"] and "fail" not in n["flags"])

    def replicas(self) -> List[int]:
        return sorted(int(n["port"]) for n in self.nodes() if "slave" in n["flags"] and "fail" not in n["flags"])

    def owner(self, slot: int) -> int:
        """The port of the master serving ``slot``."""
        for n in self.nodes():
            if "master" not in n["flags"]:
                continue
            for r in n["slots"].split():
                if r.startswith("["):
                    continue
                lo, _, hi = r.partition("-")
                if int(lo) <= slot <= int(hi or lo):
                    return int(n["port"])
        raise LookupError(slot)

    def node_id(self, port: int) -> str:
        return cli(port, "CLUSTER", "MYID")


class LocalSentinel(_Processes):
    """A master, two replicas and three sentinels watching ``mymaster``."""

    service = "mymaster"

    def __init__(self, down_after_ms: int = 1000) -> None:
        super().__init__("sentinel-redcore-")
        ports = free_ports(6)
        self.master_port, *self.replica_ports = ports[:3]
        self.sentinel_ports = ports[3:]
        for p in ports[:3]:
            d = os.path.join(self.dir, str(p))
            os.mkdir(d)
            extra = [] if p == self.master_port else ["--replicaof", "127.0.0.1", str(self.master_port)]
            self.spawn(p, [
                "redis-server", "--port", str(p), "--bind", "127.0.0.1", "--dir", d, "--save", "",
                "--appendonly", "no", "--daemonize", "no", "--repl-diskless-sync", "yes",
                "--repl-diskless-sync-delay", "0", *extra,
            ])
        try:
            self.wait_up(ports[:3])
            for p in self.sentinel_ports:
                conf = os.path.join(self.dir, f"sentinel-{p}.conf")
                with open(conf, "w") as f:
                    f.write(
                        f"port {p}\nbind 127.0.0.1\ndir {self.dir}\n"
                        f"sentinel monitor {self.service} 127.0.0.1 {self.master_port} 2\n"
                        f"sentinel down-after-milliseconds {self.service} {down_after_ms}\n"
                        f"sentinel failover-timeout {self.service} 10000\n"
                        f"sentinel parallel-syncs {self.service} 2\n"
                    )
                self.spawn(p, ["redis-sentinel", conf])
            self.wait_up(self.sentinel_ports)

            def ready() -> bool:
                for s in self.sentinel_ports:
                    info = cli(s, "SENTINEL", "MASTER", self.service)
                    lines = info.splitlines()
                    fields = dict(zip(lines[::2], lines[1::2]))
                    if int(fields.get("num-slaves", 0)) < 2 or int(fields.get("num-other-sentinels", 0)) < 2:
                        return False
                return True

            wait_for("sentinels to see the replicas and each other", ready, timeout=30)
            for p in self.replica_ports:
                wait_for("replica link up", lambda p=p: "master_link_status:up" in cli(p, "INFO", "replication"))
        except BaseException:
            self.stop()
            raise

    @property
    def sentinels(self) -> List[tuple]:
        return [("127.0.0.1", p) for p in self.sentinel_ports]

    def current_master(self) -> int:
        addr = cli(self.sentinel_ports[0], "SENTINEL", "GET-MASTER-ADDR-BY-NAME", self.service).split()
        return int(addr[1])

    def wait_settled(self, timeout: float = 30) -> int:
        """Waits until every Sentinel names the same master, it is a master
        with both replicas' links up, and the Sentinels see them (what a
        new failover needs); returns the master's port."""

        def settled() -> bool:
            named = {cli(p, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", self.service).split()[1] for p in self.sentinel_ports}
            if len(named) != 1:
                return False
            master = int(named.pop())
            if "role:master" not in cli(master, "INFO", "replication"):
                return False
            others = [p for p in [self.master_port, *self.replica_ports] if p != master]
            if not all("master_link_status:up" in cli(p, "INFO", "replication") for p in others):
                return False
            for p in self.sentinel_ports:
                lines = cli(p, "SENTINEL", "MASTER", self.service).splitlines()
                fields = dict(zip(lines[::2], lines[1::2]))
                if fields.get("flags") != "master" or int(fields.get("num-slaves", 0)) < 2:
                    return False
                replicas = cli(p, "SENTINEL", "REPLICAS", self.service)
                if "s_down" in replicas or "disconnected" in replicas:
                    return False
            return True

        wait_for("the Sentinel group to settle", settled, timeout=timeout, step=0.2)
        return self.current_master()


def start_cluster() -> Optional[LocalCluster]:
    """A running cluster, or None when redis-server/redis-cli are missing."""
    if shutil.which("redis-server") is None or shutil.which("redis-cli") is None:
        return None
    return LocalCluster()


class Forwarder:
    """TCP forwarders on loopback: one listening port per target port, so a
    test can reach the nodes only through addresses ``address_remap``
    maps to. Counts the connections it forwarded."""

    def __init__(self, targets: List[int]) -> None:
        import threading

        self.connections = 0
        self._stop = False
        self._socks: List[socket.socket] = []
        self._ports: Dict[int, int] = {}
        for target in targets:
            srv = socket.socket()
            srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            srv.bind(("127.0.0.1", 0))
            srv.listen(64)
            self._socks.append(srv)
            self._ports[target] = srv.getsockname()[1]
            threading.Thread(target=self._accept, args=(srv, target), daemon=True).start()

    def port_for(self, target: int) -> int:
        return self._ports[target]

    def _accept(self, srv: socket.socket, target: int) -> None:
        import threading

        while not self._stop:
            try:
                client, _ = srv.accept()
            except OSError:
                return
            self.connections += 1
            upstream = socket.create_connection(("127.0.0.1", target))
            self._socks += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def stop(self) -> None:
        self._stop = True
        for s in self._socks:
            try:
                s.close()
            except OSError:
                pass
