"""redcore.asyncio.cluster.RedisCluster on the session's real cluster:
awaited commands routed by slot, split multi-key commands, pipelines,
scan_iter, target_nodes and many tasks at once."""

from __future__ import annotations

import asyncio
from typing import Any

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
