"""redcore.asyncio.cluster.RedisCluster on the session's real cluster:
awaited commands routed by slot, split multi-key commands, pipelines,
scan_iter, target_nodes and many tasks at once."""

from __future__ import annotations

import asyncio
from typing import Any, List

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
