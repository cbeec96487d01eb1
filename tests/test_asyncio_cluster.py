"""redcore.asyncio.cluster.RedisCluster on the session's real cluster:
awaited commands routed by slot, split multi-key commands, pipelines,
scan_iter, target_nodes and many tasks at once."""

from __future__ import annotations

import asyncio
from typing import Any

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
