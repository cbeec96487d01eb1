"""RedisCluster under faults on a real cluster of its own (the topology
changes, so the session cluster is left alone): slots migrating under
load (ASK, TRYAGAIN, then MOVED), a replica promoted by CLUSTER FAILOVER,
and a master killed (automatic failover). Every acknowledged command must
have taken effect and none may fail. All marked ``long``.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from typing import Any, Dict, Iterator, List

import pytest
import redis

from redcore.backoff import ExponentialWithJitterBackoff
from redcore.cluster import RedisCluster
from redcore.retry import Retry
from cluster_support import LocalCluster, cli, wait_for

pytestmark = pytest.mark.long


@pytest.fixture
def cluster() -> Iterator[LocalCluster]:
    c = LocalCluster()
    yield c
    c.stop()


def _count_redirects(rc: RedisCluster) -> Dict[str, int]:
    seen = {"moved": 0, "ask": 0}
    manager = rc.nodes_manager
    moved, node_index = manager._moved, manager._node_index

    def on_moved(*a: Any) -> None:
        seen["moved"] += 1
        moved(*a)

    def on_ask(*a: Any) -> int:
        seen["ask"] += 1
        return node_index(*a)

    manager._moved = on_moved  # type: ignore[method-assign]
    manager._node_index = on_ask  # type: ignore[method-assign]
    return seen


class Load:
    """Threads running INCRs (and MGETs, pipelines) on ``keys``, counting
    what was acknowledged."""

    def __init__(self, rc: RedisCluster, keys: List[str], threads: int = 3) -> None:
        self.rc = rc
        self.keys = keys
        self.acked: Counter = Counter()
        self.errors: List[BaseException] = []
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=(n,)) for n in range(threads)]

    def run(self, n: int) -> None:
        rng = random.Random(n)
        while not self.stop.is_set():
            try:
                if n == 0:
                    pipe = self.rc.pipeline()
                    picked = rng.sample(self.keys, 5)
                    for k in picked:
                        pipe.incr(k)
                    pipe.execute()
                    done = picked
                else:
                    k = rng.choice(self.keys)
                    self.rc.incr(k)
                    done = [k]
                    self.rc.get(k)
                with self.lock:
                    self.acked.update(done)
            except BaseException as e:  # noqa: BLE001 - collected and checked
                self.errors.append(e)
                return

    def __enter__(self) -> "Load":
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop.set()
        for t in self.threads:
            t.join()

    def check(self) -> None:
        assert not self.errors, self.errors[:3]
        values = self.rc.mget_nonatomic(self.keys)
        assert {k: int(v or 0) for k, v in zip(self.keys, values)} == {k: self.acked[k] for k in self.keys}


def _migrate_slot(cluster: LocalCluster, slot: int, source: int, target: int, pause: float) -> None:
    """Moves ``slot`` from ``source`` to ``target`` the way redis-cli does:
    IMPORTING / MIGRATING, MIGRATE of the keys in two halves (with a pause
    in between, under load), then SETSLOT NODE everywhere."""
    src_id, dst_id = cluster.node_id(source), cluster.node_id(target)
    src, dst = redis.Redis(port=source), redis.Redis(port=target)
    dst.execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", src_id)
    src.execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", dst_id)
    keys = src.execute_command("CLUSTER", "GETKEYSINSLOT", slot, 10000)
    half = len(keys) // 2
    for batch in (keys[:half], keys[half:]):
        if batch:
            src.execute_command("MIGRATE", "127.0.0.1", target, "", 0, 5000, "KEYS", *batch)
        time.sleep(pause)
    for port in [target, source] + [p for p in cluster.masters() if p not in (source, target)]:
        redis.Redis(port=port).execute_command("CLUSTER", "SETSLOT", slot, "NODE", dst_id)


def test_resharding_under_load_follows_ask_and_moved(cluster: LocalCluster) -> None:
    rc = RedisCluster(host="127.0.0.1", port=cluster.port)
    seen = _count_redirects(rc)
    tagged = [f"{{mig}}:{i}" for i in range(200)]
    others = [f"other:{i}" for i in range(100)]
    slot = rc.keyslot("{mig}")
    rc.mset_nonatomic({k: 0 for k in tagged + others})
    for k in tagged + others:
        rc.delete(k)
    with Load(rc, tagged + others) as load:
        time.sleep(0.3)
        source = cluster.owner(slot)
        target = next(p for p in cluster.masters() if p != source)
        _migrate_slot(cluster, slot, source, target, pause=0.4)
        # And a whole range with redis-cli, as operators reshard.
        time.sleep(0.3)
        ids = {int(n["port"]): n["id"] for n in cluster.nodes()}
        out = cli(cluster.port, "--cluster", "reshard", f"127.0.0.1:{cluster.port}", "--cluster-from", ids[target],
                  "--cluster-to", ids[source], "--cluster-slots", "300", "--cluster-yes", timeout=60)
        assert "Moving slot" in out and "[ERR]" not in out, out[-500:]
        time.sleep(0.5)
    load.check()
    assert sum(load.acked.values()) > 500
    assert seen["ask"] >= 1 and seen["moved"] >= 1, seen
    assert cluster.owner(slot) == target
    assert rc.get_node_from_key("{mig}").port == target
    rc.close()


def test_cluster_failover_promotes_a_replica_and_the_client_follows(cluster: LocalCluster) -> None:
    rc = RedisCluster(host="127.0.0.1", port=cluster.port)
    keys = [f"fo:{i}" for i in range(100)]
    slot = rc.keyslot("fo:0")
    old = cluster.owner(slot)
    replica = next(int(n["port"]) for n in cluster.nodes() if n["master"] == cluster.node_id(old))
    seen = _count_redirects(rc)
    with Load(rc, keys) as load:
        time.sleep(0.3)
        assert cli(replica, "CLUSTER", "FAILOVER") == "OK"
        wait_for("the replica's promotion", lambda: cluster.owner(slot) == replica, timeout=30)
        time.sleep(0.5)
    # CLUSTER FAILOVER pauses the master until the replica has caught up:
    # every acknowledged write is on the new master, and nothing failed.
    load.check()
    assert seen["moved"] >= 1
    assert rc.get_node_from_key("fo:0").port == replica
    assert rc.get_node(host="127.0.0.1", port=replica).server_type == "primary"
    rc.close()


def test_killed_master_is_replaced_and_commands_resume(cluster: LocalCluster) -> None:
    rc = RedisCluster(host="127.0.0.1", port=cluster.port, socket_timeout=1, socket_connect_timeout=1,
                      retry=Retry(ExponentialWithJitterBackoff(base=0.1, cap=1), 30))
    keys = [f"kill:{i}" for i in range(50)]
    slot = rc.keyslot("kill:0")
    victim = cluster.owner(slot)
    replica = next(int(n["port"]) for n in cluster.nodes() if n["master"] == cluster.node_id(victim))
    for k in keys:
        rc.set(k, 1)

    def caught_up() -> bool:
        offset = redis.Redis(port=victim).info("replication")["master_repl_offset"]
        return redis.Redis(port=replica).info("replication")["slave_repl_offset"] >= offset

    wait_for("replication", caught_up)
    cluster.kill(victim)
    start = time.time()
    # The first command waits (retrying with backoff, refreshing the map)
    # until the replica has taken over, then succeeds.
    assert rc.incr("kill:0") == 2
    assert time.time() - start < 30
    assert cluster.owner(slot) == replica
    assert [int(v) for v in rc.mget_nonatomic(keys)] == [2] + [1] * 49
    rc.close()
