"""SELECT and CLIENT SETNAME on the network :class:`redcore.asyncio.Redis`,
whose clients share one pipelined connection per pool.

In redis.asyncio, ``await r.select(1)`` switches the pooled connection
the command ran on, and a client used by one task at a time then keeps
working in that database (its pool hands the same connection back). A
redcore client does the same, and keeps it right where redis.asyncio
cannot: the database (and name) belong to the client, and a shared
connection is switched back and forth between its clients as needed.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import redis
import redis.asyncio

import redcore
import redcore.asyncio

pytestmark = pytest.mark.asyncio


def _oracle(port: int, db: int) -> Any:
    return redis.Redis(port=port, db=db)


@pytest.mark.parametrize("kind", ["redcore", "redis-py"])
async def test_select_then_commands_of_one_client(kind: str, redis_server: Any) -> None:
    # The observable behaviour of redis.asyncio that redcore matches.
    port = redis_server.port
    _oracle(port, 0).flushall()
    r = (redcore.asyncio.Redis if kind == "redcore" else redis.asyncio.Redis)(port=port)
    assert await r.set("sel", "zero") is True
    assert await r.select(3) is True
    assert await r.set("sel", "three") is True
    assert await r.get("sel") == b"three"
    async with r.pipeline() as pipe:
        assert await pipe.incr("sel:n").get("sel").execute() == [1, b"three"]
    assert await r.client_setname("sel-client") is True
    assert await r.client_getname() == "sel-client"
    assert _oracle(port, 0).get("sel") == b"zero" and _oracle(port, 3).get("sel") == b"three"
    await r.aclose()


async def test_select_applies_to_its_client_only_on_a_shared_connection(redis_server: Any) -> None:
    port = redis_server.port
    _oracle(port, 0).flushall()
    pool = redcore.asyncio.ConnectionPool(port=port, db=0)
    a = redcore.asyncio.Redis(connection_pool=pool)
    b = redcore.asyncio.Redis(connection_pool=pool)
    assert await a.select(2) is True
    # Interleaved commands of both clients, in the same loop iterations.
    writes = []
    for i in range(50):
        writes += [a.set(f"k{i}", "a"), b.set(f"k{i}", "b"), a.incr("n"), b.incr("n")]
    await asyncio.gather(*writes)
    assert len(pool._in_use) == 0 and pool._shared is not None  # one shared connection
    assert _oracle(port, 2).get("k7") == b"a" and _oracle(port, 0).get("k7") == b"b"
    assert _oracle(port, 2).get("n") == b"50" and _oracle(port, 0).get("n") == b"50"
    assert await asyncio.gather(a.get("k0"), b.get("k0"), a.dbsize(), b.dbsize()) == [b"a", b"b", 51, 51]
    # Pipelines, transactions, blocking commands and WATCH of a client run
    # in its database.
    async with a.pipeline(transaction=True) as pipe:
        assert await pipe.get("k1").incr("n").execute() == [b"a", 51]
    await b.rpush("list", "in-0")
    await a.rpush("list", "in-2")
    assert await asyncio.gather(a.blpop(["list"], timeout=1), b.blpop(["list"], timeout=1)) == [
        (b"list", b"in-2"), (b"list", b"in-0"),
    ]

    async def double(pipe: Any) -> None:
        value = int(await pipe.get("n"))
        pipe.multi()
        pipe.set("n", value * 2)

    assert await a.transaction(double, "n") == [True]
    assert _oracle(port, 2).get("n") == b"102" and _oracle(port, 0).get("n") == b"50"
    # execute_command("SELECT") switches the client too; a bad index
    # raises and changes nothing.
    assert await b.execute_command("SELECT", 5) is True
    assert await b.set("five", 5) is True and _oracle(port, 5).get("five") == b"5"
    with pytest.raises(redis.exceptions.ResponseError):
        await b.select(1000)
    assert await b.get("five") == b"5"
    # A new client of the pool starts in the pool's database.
    c = redcore.asyncio.Redis(connection_pool=pool)
    assert await c.get("k0") == b"b"
    await pool.disconnect()


async def test_client_setname_applies_to_its_client_only(redis_server: Any) -> None:
    pool = redcore.asyncio.ConnectionPool(port=redis_server.port, client_name="pool-name")
    a = redcore.asyncio.Redis(connection_pool=pool)
    b = redcore.asyncio.Redis(connection_pool=pool)
    assert await a.client_setname("alpha") is True
    got = await asyncio.gather(a.client_getname(), b.client_getname(), a.client_getname())
    assert got == ["alpha", "pool-name", "alpha"]
    assert await b.execute_command("CLIENT SETNAME", "beta") in (True, b"OK")
    assert await asyncio.gather(a.client_getname(), b.client_getname()) == ["alpha", "beta"]
    await pool.disconnect()
