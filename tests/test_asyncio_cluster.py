"""redcore.asyncio.cluster.RedisCluster on the session's real cluster:
awaited commands routed by slot, split multi-key commands, pipelines,
scan_iter, target_nodes and many tasks at once."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List

import pytest
import redis
import redis.asyncio.cluster

from redcore.asyncio.cluster import RedisCluster


def test_awaited_commands_on_a_real_cluster(cluster_servers: Any) -> None:
    async def main() -> None:
        async with RedisCluster(host="127.0.0.1", port=cluster_servers.port) as rc:
            await rc.flushall()
            assert isinstance(rc, redis.asyncio.cluster.RedisCluster)
            assert await rc.set("a", 1) is True and await rc.get("a") == b"1"
            assert len(rc.get_nodes()) == 6 and len(rc.get_primaries()) == 3
            await rc.mset_nonatomic({f"k{i}": i for i in range(50)})
            assert await rc.mget_nonatomic([f"k{i}" for i in range(50)]) == [str(i).encode() for i in range(50)]
            assert await rc.delete(*[f"k{i}" for i in range(10)]) == 10
            assert await rc.dbsize() == 41
            assert await rc.dbsize(target_nodes=RedisCluster.PRIMARIES) == 41
            assert {k async for k in rc.scan_iter(match="k*")} == {f"k{i}".encode() for i in range(10, 50)}
            async with rc.pipeline() as pipe:
                pipe.set("p", 1).incr("p").get("p")
                assert await pipe.execute() == [True, 2, b"2"]
            await asyncio.gather(*(rc.incr(f"c{i % 5}") for i in range(200)))
            assert [int(v) for v in await rc.mget_nonatomic([f"c{i}" for i in range(5)])] == [40] * 5
            assert rc.keyslot("foo") == 12182

    asyncio.run(main())


def test_single_slot_commands_run_on_the_loop(cluster_servers: Any) -> None:
    """A command whose keys map to one slot goes out on the loop (no
    worker thread); keyless and cross-slot ones on a thread, as before."""

    async def main() -> None:
        async with RedisCluster(host="127.0.0.1", port=cluster_servers.port, decode_responses=True) as rc:
            hops = []
            run = rc._run

            async def counted(fn: Any, *args: Any, **kwargs: Any) -> Any:
                hops.append(getattr(fn, "__name__", fn))
                return await run(fn, *args, **kwargs)

            rc._run = counted  # type: ignore[method-assign]
            keys = [f"loop:{i}" for i in range(30)]
            assert await asyncio.gather(*(rc.set(k, i) for i, k in enumerate(keys))) == [True] * 30
            assert await asyncio.gather(*(rc.incr(k) for k in keys)) == list(range(1, 31))
            assert await rc.mget("{t}a", "{t}b") == [None, None]
            assert await rc.hset("loop:h", mapping={"a": 1}) == 1 and await rc.hgetall("loop:h") == {"a": "1"}
            assert await rc.zadd("loop:z", {"m": 1.5}) == 1
            assert await rc.zrange("loop:z", 0, -1, withscores=True) == [("m", 1.5)]
            assert hops == []
            # Each slot's primary has its own loop connection.
            assert len(rc._pools) == 3
            assert await rc.delete(*keys) == 30  # split per node: on threads
            assert await rc.dbsize() >= 0
            assert len(hops) == 2
            with pytest.raises(redis.exceptions.ResponseError):
                await rc.lpush("loop:h", "x")  # WRONGTYPE, raised as on a thread

    asyncio.run(main())


def test_redirections_on_the_loop_are_followed(cluster_servers: Any) -> None:
    """MOVED and ASK answered to a command sent on the loop hand it to the
    sync client, which follows them (the command was not applied); the
    slot map it refreshes routes the next commands on the loop."""
    from cluster_support import cli

    async def main() -> None:
        async with RedisCluster(host="127.0.0.1", port=cluster_servers.port) as rc:
            key = "loop-moved"
            slot = rc.keyslot(key)
            await rc.delete(key)
            source = cluster_servers.owner(slot)
            target = next(p for p in cluster_servers.masters() if p != source)
            src_id, dst_id = cluster_servers.node_id(source), cluster_servers.node_id(target)
            # ASK: the slot is migrating and the key is not on the source.
            assert cli(target, "CLUSTER", "SETSLOT", str(slot), "IMPORTING", src_id) == "OK"
            assert cli(source, "CLUSTER", "SETSLOT", str(slot), "MIGRATING", dst_id) == "OK"
            try:
                assert await rc.set(key, "asked") is True
                pipe = redis.Redis(port=target).pipeline(transaction=False)
                pipe.execute_command("ASKING")
                pipe.get(key)
                assert pipe.execute()[1] == b"asked"
                # MOVED: the slot now belongs to the target.
                for port in [target, source] + [p for p in cluster_servers.masters() if p not in (source, target)]:
                    cli(port, "CLUSTER", "SETSLOT", str(slot), "NODE", dst_id)
                assert await rc.get(key) == b"asked"
                assert rc._sync.nodes_manager.slots_cache[slot][0].port == target
                hops = []
                run = rc._run

                async def counted(fn: Any, *args: Any, **kwargs: Any) -> Any:
                    hops.append(fn)
                    return await run(fn, *args, **kwargs)

                rc._run = counted  # type: ignore[method-assign]
                assert await rc.append(key, "!") == 6
                assert hops == []
            finally:
                await rc.delete(key)
                for port in [source, target] + [p for p in cluster_servers.masters() if p not in (source, target)]:
                    cli(port, "CLUSTER", "SETSLOT", str(slot), "NODE", src_id)

    asyncio.run(main())


def _count_hops(rc: Any) -> List[Any]:
    """Records every call the client hands to its worker threads."""
    hops: List[Any] = []
    run = rc._run

    async def counted(fn: Any, *args: Any, **kwargs: Any) -> Any:
        hops.append(getattr(fn, "__name__", fn))
        return await run(fn, *args, **kwargs)

    rc._run = counted
    return hops


def test_pipelines_run_on_the_loop_grouped_per_node(cluster_servers: Any) -> None:
    """A pipeline without transaction goes out on the loop, each node's
    part on that node's connection, with the sync cluster pipeline's
    replies, order and errors."""
    import redcore

    sync = redcore.RedisCluster(host="127.0.0.1", port=cluster_servers.port)

    def queue(pipe: Any) -> Any:
        for i in range(300):
            pipe.set(f"lp{i}", i).incr(f"lc{i % 7}").get(f"lp{i}")
        pipe.rpush("{l}list", 1, 2).lrange("{l}list", 0, -1).hset("lh", "f", "v").hgetall("lh")
        pipe.zadd("lz", {"m": 2.5}).zrange("lz", 0, -1, withscores=True).ping()
        return pipe

    async def main() -> None:
        async with RedisCluster(host="127.0.0.1", port=cluster_servers.port) as rc:
            await rc.flushall()
            hops = _count_hops(rc)
            async with rc.pipeline() as pipe:
                got = await queue(pipe).execute()
            assert hops == []
            assert len(rc._pools) == 3
            sync.flushall()
            assert got == queue(sync.pipeline()).execute()
            # Error replies: in place, or raised as the sync pipeline raises.
            pipe = rc.pipeline()
            pipe.set("ls", "text").incr("ls").get("ls")
            out = await pipe.execute(raise_on_error=False)
            assert out[0] is True and isinstance(out[1], redis.exceptions.ResponseError) and out[2] == b"text"
            with pytest.raises(redis.exceptions.ResponseError, match=r"Command # 2 \(INCRBY ls 1\) of pipeline caused error: .*not an integer"):
                await rc.pipeline().set("ls", "text").incr("ls").execute()
            with pytest.raises(redis.exceptions.RedisClusterException):
                await rc.pipeline().set("x", 1).mget("a", "b").execute()
            assert await rc.pipeline().execute() == []
            # Many tasks' pipelines at once share the nodes' connections.
            async def one(n: int) -> List[Any]:
                async with rc.pipeline() as p:
                    return await p.incr(f"lt{n % 3}").set(f"lu{n}", n).get(f"lu{n}").execute()

            outs = await asyncio.gather(*(one(n) for n in range(60)))
            assert all(o[1:] == [True, str(n).encode()] for n, o in enumerate(outs))
            for r in range(3):
                assert sorted(outs[n][0] for n in range(r, 60, 3)) == list(range(1, 21))
            assert hops == []
            assert [int(v) for v in await rc.mget_nonatomic(["lt0", "lt1", "lt2"])] == [20, 20, 20]
            hops.clear()
            # A transaction still runs through the sync client.
            async with rc.pipeline(transaction=True) as tx:
                assert await tx.set("{a}x", 1).incr("{a}x").execute() == [True, 2]
            assert hops == ["_on_thread"]

    try:
        asyncio.run(main())
    finally:
        sync.close()


def test_pipeline_redirections_on_the_loop_are_followed(cluster_servers: Any) -> None:
    """A pipeline part answered MOVED or ASK (not applied) is run by the
    sync cluster pipeline, which follows it; the rest stays on the loop."""
    from cluster_support import cli

    async def main() -> None:
        async with RedisCluster(host="127.0.0.1", port=cluster_servers.port) as rc:
            key = "pipe-moved"
            slot = rc.keyslot(key)
            await rc.delete(key)
            source = cluster_servers.owner(slot)
            target = next(p for p in cluster_servers.masters() if p != source)
            src_id, dst_id = cluster_servers.node_id(source), cluster_servers.node_id(target)
            others = [p for p in cluster_servers.masters() if p not in (source, target)]
            hops = _count_hops(rc)
            try:
                # ASK: the slot is migrating, the key is not on the source.
                assert cli(target, "CLUSTER", "SETSLOT", str(slot), "IMPORTING", src_id) == "OK"
                assert cli(source, "CLUSTER", "SETSLOT", str(slot), "MIGRATING", dst_id) == "OK"
                pipe = rc.pipeline()
                pipe.set("other-a", 1).set(key, "asked").get("other-a").incr("other-b")
                assert await pipe.execute() == [True, True, b"1", 1]
                assert hops == ["_on_thread"]
                ask = redis.Redis(port=target).pipeline(transaction=False)
                ask.execute_command("ASKING")
                ask.get(key)
                assert ask.execute()[1] == b"asked"
                # MOVED: the slot now belongs to the target.
                for port in [target, source] + others:
                    cli(port, "CLUSTER", "SETSLOT", str(slot), "NODE", dst_id)
                hops.clear()
                pipe = rc.pipeline()
                pipe.get(key).append(key, "!").get("other-a")
                assert await pipe.execute() == [b"asked", 6, b"1"]
                assert hops == ["_on_thread"]
                assert rc._sync.nodes_manager.slots_cache[slot][0].port == target
                # The map is fixed: the next pipeline stays on the loop.
                hops.clear()
                assert await rc.pipeline().get(key).get("other-a").execute() == [b"asked!", b"1"]
                assert hops == []
            finally:
                await rc.delete(key, "other-a", "other-b")
                for port in [source, target] + others:
                    cli(port, "CLUSTER", "SETSLOT", str(slot), "NODE", src_id)

    asyncio.run(main())


def test_reads_from_replicas_on_the_loop(cluster_servers: Any) -> None:
    """With a load-balancing strategy, reads (single and pipelined) go to
    replicas on the loop (their connections send READONLY); writes to the
    primaries."""
    from redcore.cluster import LoadBalancingStrategy

    async def main() -> None:
        async with RedisCluster(host="127.0.0.1", port=cluster_servers.port,
                                load_balancing_strategy=LoadBalancingStrategy.ROUND_ROBIN_REPLICAS) as rc:
            keys = [f"rr{i}" for i in range(20)]
            for k in keys:
                assert await rc.set(k, k) is True
            replica_ports = [n.port for n in rc.get_replicas()]

            def gets() -> int:
                total = 0
                for port in replica_ports:
                    stats = redis.Redis(port=port).info("commandstats")
                    total += stats.get("cmdstat_get", {}).get("calls", 0)
                return total

            # Replication is asynchronous: wait until the replicas have them.
            for k in keys:
                for _ in range(500):
                    if await rc.get(k) == k.encode():
                        break
                    await asyncio.sleep(0.01)
            hops = _count_hops(rc)
            before = gets()
            assert await asyncio.gather(*(rc.get(k) for k in keys)) == [k.encode() for k in keys]
            pipe = rc.pipeline()
            for k in keys:
                pipe.get(k)
            assert await pipe.execute() == [k.encode() for k in keys]
            assert gets() - before == 40
            assert await rc.incr("rr:count") == 1
            assert hops == []
            assert any(readonly for _, readonly in rc._pools)

    asyncio.run(main())


def test_cancelled_pipelines_leave_the_node_connections_in_step(cluster_servers: Any) -> None:
    async def main() -> None:
        async with RedisCluster(host="127.0.0.1", port=cluster_servers.port, decode_responses=True) as rc:
            keys = [f"cx{i}" for i in range(30)]
            await rc.mset_nonatomic({k: k for k in keys})

            async def read() -> List[Any]:
                async with rc.pipeline() as p:
                    for k in keys:
                        p.get(k)
                    return await p.execute()

            for round_ in range(5):
                tasks = [asyncio.ensure_future(read()) for _ in range(20)]
                for _ in range(round_):
                    await asyncio.sleep(0)
                for t in tasks[::2]:
                    t.cancel()
                for t in tasks[1::2]:
                    assert await t == keys
                await asyncio.gather(*tasks[::2], return_exceptions=True)
                assert await read() == keys
                assert await asyncio.gather(*(rc.get(k) for k in keys)) == keys

    asyncio.run(main())


# -- redis.asyncio.cluster.RedisCluster's whole surface ------------------------

# Public names of redis-py's asyncio RedisCluster that redcore's does not
# have, with the reason (the names newer than Redis 7.0 and the module
# namespaces are tests/test_api_surface.py's lists).
NOT_IN_REDCORE: Dict[str, str] = {
    "COMMAND_FLAGS": "redis-py's routing table; redcore routes from its command table (a copy would be read, never obeyed)",
    "RESULT_CALLBACKS": "redis-py's table for combining several nodes' replies; redcore's is the command table's",
    "CLUSTER_COMMANDS_RESPONSE_CALLBACKS": "redis-py's reply parsers of CLUSTER commands; redcore's are its response_callbacks",
    "SEARCH_COMMANDS": "RediSearch (a module) commands redis-py routes specially",
    "get_special_nodes": "the nodes of an FT.AGGREGATE cursor (RediSearch, a module)",
    "command_flags": "the instance copy of COMMAND_FLAGS (see there)",
    "result_callbacks": "the instance copy of RESULT_CALLBACKS (see there)",
    "commands_parser": "redis-py's COMMAND-based key finder; redcore finds keys in its command table",
    "reinitialize_counter": "redis-py's MOVED count; redcore's router counts in Rust",
    "maint_notifications_config": "Redis Enterprise maintenance notifications (refused by redcore's cluster client)",
    "on_connect": "redis-py's per-connection hook, called by its own connections",
    "get_nodes_from_slot": "redis-py's routing step, called by its own execute_command",
    "cluster_bumpepoch": "redis-py raises NotImplementedError: intentionally not implemented",
    "cluster_flushslots": "redis-py raises NotImplementedError: intentionally not implemented",
}


def test_every_public_name_of_redis_asyncio_cluster_is_redcores_own() -> None:
    from test_api_surface import EXCLUDED, own_definition

    theirs = {n for n in dir(redis.asyncio.cluster.RedisCluster) if not n.startswith("_")}
    missing = sorted(n for n in theirs - EXCLUDED - set(NOT_IN_REDCORE) if own_definition(RedisCluster, n) is None)
    assert missing == []
    # The reasons are current: each is a redis-py name redcore lacks.
    assert sorted(set(NOT_IN_REDCORE) - theirs) == []
    assert sorted(n for n in NOT_IN_REDCORE if own_definition(RedisCluster, n)) == []
    # Coroutine functions where redis-py's are (awaited the same way).
    import inspect

    for name in sorted(theirs - EXCLUDED - set(NOT_IN_REDCORE)):
        theirs_fn = getattr(redis.asyncio.cluster.RedisCluster, name)
        if inspect.iscoroutinefunction(theirs_fn):
            assert inspect.iscoroutinefunction(getattr(RedisCluster, name)), name


BOTH = pytest.mark.parametrize("which", ["redcore", "redis-py"])


def _cluster(which: str, port: int, **kwargs: Any) -> Any:
    cls = RedisCluster if which == "redcore" else redis.asyncio.cluster.RedisCluster
    return cls(host="127.0.0.1", port=port, **kwargs)


@BOTH
def test_settings_and_node_helpers(which: str, cluster_servers: Any) -> None:
    from redcore.retry import Retry
    from redcore.backoff import NoBackoff

    async def main() -> None:
        given = Retry(NoBackoff(), 4)
        async with _cluster(which, cluster_servers.port, decode_responses=True, retry=given) as rc:
            assert rc.retry is given
            rc.set_retry(Retry(NoBackoff(), 1))
            assert rc.retry.get_retries() == 1
            assert rc.encoder.decode_responses is True and rc.get_encoder() is not None
            assert rc.read_from_replicas is False and rc.reinitialize_steps == 5
            assert rc.node_flags == rc.NODE_FLAGS == {"primaries", "replicas", "all", "random", "default-node"}
            assert rc.RedisClusterRequestTTL == 16
            assert [e.__name__ for e in rc.ERRORS_ALLOW_RETRY] == ["ConnectionError", "TimeoutError", "ClusterDownError", "SlotNotCoveredError"]
            assert all(issubclass(e, getattr(redis.exceptions, e.__name__)) for e in rc.ERRORS_ALLOW_RETRY)
            assert rc.get_connection_kwargs() is rc.connection_kwargs
            assert rc.connection_kwargs["decode_responses"] is True
            assert rc.nodes_manager.default_node == rc.get_default_node()
            assert rc.get_random_primary_node().server_type == "primary"
            assert rc.get_random_primary_or_all_nodes("GET").server_type == "primary"
            before = rc.get_default_node()
            rc.replace_default_node()
            after = rc.get_default_node()
            assert after != before and after.server_type == "primary"
            rc.replace_default_node(before)
            assert rc.get_default_node() == before
            # A response callback set on the client shapes its replies.
            await rc.set("cb-key", "v")
            rc.set_response_callback("GET", lambda r, **options: f"<{r}>")
            assert await rc.get("cb-key") == "<v>"
            assert rc.response_callbacks["GET"]("x") == "<x>"
            if which == "redcore":
                assert await rc.reset() == "RESET"  # on the default node, as redcore's sync client
            else:
                with pytest.raises(redis.exceptions.RedisClusterException, match="Missing key"):
                    await rc.reset()  # redis-py cannot route it
            with pytest.warns(DeprecationWarning):
                await rc.watch("cb-key")
            with pytest.warns(DeprecationWarning):
                await rc.unwatch()

    asyncio.run(main())


@BOTH
def test_scan_iters_of_one_key(which: str, cluster_servers: Any) -> None:
    async def main() -> None:
        async with _cluster(which, cluster_servers.port) as rc:
            await rc.delete("si:h", "si:s", "si:z")
            await rc.hset("si:h", mapping={f"f{i}": i for i in range(40)})
            await rc.sadd("si:s", *range(40))
            await rc.zadd("si:z", {f"m{i}": i / 2 for i in range(40)})
            assert sorted([kv async for kv in rc.hscan_iter("si:h", match="f1*")]) == sorted(
                (f"f{i}".encode(), str(i).encode()) for i in range(40) if str(i).startswith("1"))
            assert sorted([m async for m in rc.sscan_iter("si:s", count=5)]) == sorted(str(i).encode() for i in range(40))
            assert sorted([m async for m in rc.zscan_iter("si:z")]) == sorted((f"m{i}".encode(), i / 2) for i in range(40))
            await rc.delete("si:h", "si:s", "si:z")

    asyncio.run(main())


@BOTH
def test_lock_and_scripts_on_every_node(which: str, cluster_servers: Any) -> None:
    async def main() -> None:
        async with _cluster(which, cluster_servers.port) as rc:
            keys = ["a", "b", "c"]  # one per primary
            assert len({rc.get_node_from_key(k).name for k in keys}) == 3
            await rc.delete(*keys)
            await rc.script_flush()
            incr = rc.register_script("return redis.call('INCRBY', KEYS[1], ARGV[1])")
            for k in keys:
                assert await incr(keys=[k], args=[2]) == 2
                assert await incr(keys=[k], args=[3]) == 5
            assert await rc.mget_nonatomic(keys) == [b"5", b"5", b"5"]
            for k in keys:
                lock = rc.lock(f"lock:{k}", timeout=5, blocking_timeout=0.2)
                async with lock:
                    assert await lock.locked() and await lock.owned()
                    assert await rc.lock(f"lock:{k}", blocking=False).acquire() is False
                    assert await lock.extend(5)
                assert not await lock.locked()
            await rc.delete(*keys)

    asyncio.run(main())


@BOTH
def test_transactions_watch_one_slot(which: str, cluster_servers: Any) -> None:
    async def main() -> None:
        async with _cluster(which, cluster_servers.port) as rc:
            await rc.delete("{tx}n", "{tx}m")
            calls: List[int] = []

            async def bump(pipe: Any) -> int:
                calls.append(1)
                value = int(await pipe.get("{tx}n") or 0)
                if len(calls) == 1:
                    await rc.set("{tx}n", 10)  # another writer: WATCH fails once
                pipe.multi()
                pipe.set("{tx}n", value + 1)
                pipe.incr("{tx}m")
                return value + 1

            assert await rc.transaction(bump, "{tx}n") == [True, 1]
            assert len(calls) == 2 and await rc.get("{tx}n") == b"11"
            assert await rc.transaction(bump, "{tx}n", value_from_callable=True) == 12
            # The pipeline API step by step.
            async with rc.pipeline(transaction=True) as pipe:
                await pipe.watch("{tx}n")  # (redis-py's returns None, redcore's True)
                assert await pipe.get("{tx}n") == b"12"
                pipe.multi()
                with pytest.raises(redis.exceptions.RedisError, match="Cannot issue a WATCH after a MULTI"):
                    await pipe.watch("{tx}m")
                pipe.incr("{tx}n")
                assert await pipe.execute() == [13]
            async with rc.pipeline(transaction=True) as pipe:
                await pipe.watch("{tx}n")
                await rc.set("{tx}n", 0)
                pipe.multi()
                pipe.incr("{tx}n")
                with pytest.raises(redis.exceptions.WatchError):
                    await pipe.execute()
            async with rc.pipeline(transaction=True) as pipe:
                await pipe.watch("{tx}n")
                with pytest.raises(redis.exceptions.CrossSlotTransactionError):
                    await pipe.watch("elsewhere")
                await pipe.unwatch()
                pipe.get("{tx}n")  # not watching: queued
                assert await pipe.execute() == [b"0"]
            with pytest.raises(redis.exceptions.RedisClusterException, match="not supported outside of transactional context"):
                rc.pipeline().multi()
            with pytest.raises(redis.exceptions.RedisClusterException, match="not supported outside of transactional context"):
                await rc.pipeline().watch("{tx}n")
            assert await rc.get("{tx}n") == b"0"
            await rc.delete("{tx}n", "{tx}m")

    asyncio.run(main())


async def _messages(p: Any, n: int, sharded: bool = False, timeout: float = 10) -> List[Any]:
    got: List[Any] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while len(got) < n and loop.time() < deadline:
        read = p.get_sharded_message if sharded else p.get_message
        m = await read(ignore_subscribe_messages=True, timeout=0.2)
        if m is not None:
            got.append(m)
    return got


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # redis-py's refused ClusterPubSub's __del__
@BOTH
def test_pubsub_and_sharded_pubsub(which: str, cluster_servers: Any) -> None:
    async def main() -> None:
        async with _cluster(which, cluster_servers.port) as rc:
            await rc.initialize()
            with pytest.raises(redis.exceptions.RedisClusterException, match="Node 127.0.0.1:1 doesn't exist in the cluster"):
                rc.pubsub(host="127.0.0.1", port=1)
            with pytest.raises(redis.exceptions.DataError, match="Specify both host and port"):
                rc.pubsub(host="127.0.0.1")
            p = rc.pubsub()
            try:
                await p.subscribe("news")
                assert p.get_pubsub_node() == rc.get_node_from_key("news")
                first = await p.get_message(timeout=5)
                assert first == {"type": "subscribe", "pattern": None, "channel": b"news", "data": 1}
                await rc.publish("news", "hello")
                assert await _messages(p, 1) == [{"type": "message", "pattern": None, "channel": b"news", "data": b"hello"}]
                # Sharded channels of three nodes.
                channels = ["a", "b", "c"]
                await p.ssubscribe(*channels)
                for ch in channels:
                    assert await rc.spublish(ch, f"to {ch}") == 1
                got = await _messages(p, 3, sharded=True)
                assert sorted((m["type"], m["channel"], m["data"]) for m in got) == [
                    ("smessage", ch.encode(), f"to {ch}".encode()) for ch in channels]
                await p.sunsubscribe("b")
                await rc.spublish("b", "gone")
                await rc.spublish("a", "still")
                got = await _messages(p, 2, sharded=True, timeout=1)
                assert [(m["channel"], m["data"]) for m in got] == [(b"a", b"still")]
            finally:
                await p.aclose()
            # The node given by address.
            node = rc.get_primaries()[1]
            q = rc.pubsub(host=node.host, port=node.port)
            try:
                assert q.get_pubsub_node() == node
                await q.psubscribe("n*")
                assert (await q.get_message(timeout=5))["type"] == "psubscribe"
                await rc.publish("nx", "1")
                assert [(m["type"], m["data"]) for m in await _messages(q, 1)] == [("pmessage", b"1")]
            finally:
                await q.aclose()

    asyncio.run(main())


def test_pubsub_resubscribes_after_the_connections_drop(cluster_servers: Any) -> None:
    """Killed subscriber connections are reopened on the next read, with
    the channels and the sharded channels subscribed again, as redcore's
    single-server PubSub does (redis-py's cluster pubsub raises
    ConnectionError for a killed shard connection: no oracle here)."""
    which = "redcore"

    async def main() -> None:
        async with _cluster(which, cluster_servers.port) as rc:
            await rc.initialize()
            p = rc.pubsub()
            try:
                await p.subscribe("again")
                await p.ssubscribe("a", "b")
                assert await _messages(p, 1, timeout=0.3) == []  # the confirmations only
                killed = 0
                for port in cluster_servers.masters():
                    admin = redis.Redis(port=port)
                    for client in admin.client_list(_type="pubsub"):
                        killed += admin.client_kill_filter(_id=client["id"])
                assert killed >= 2
                got: List[Any] = []
                loop = asyncio.get_running_loop()
                deadline = loop.time() + 10
                while len(got) < 3 and loop.time() < deadline:
                    await rc.publish("again", "x")
                    await rc.spublish("a", "y")
                    await rc.spublish("b", "z")
                    got += await _messages(p, 3, sharded=True, timeout=0.5)
                assert {(m["channel"], m["data"]) for m in got} >= {(b"again", b"x"), (b"a", b"y"), (b"b", b"z")}
            finally:
                await p.aclose()

    asyncio.run(main())
