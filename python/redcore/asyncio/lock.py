"""``Lock`` for :mod:`redcore.asyncio`: the sync lock's protocol (a token
stored with SET NX PX, released and extended by Lua scripts that check
it), awaited.

    >>> import asyncio, redcore.asyncio
    >>> async def main():
    ...     r = redcore.asyncio.Redis()
    ...     async with r.lock("job:1", timeout=5, blocking_timeout=1):
    ...         return await r.exists("job:1")
    >>> asyncio.run(main())
    1
"""

from __future__ import annotations

import asyncio
from typing import Any, Optional, Union

from .._compat import adopt, redis_base
from ..exceptions import LockError, LockNotOwnedError
from ..lock import _LockCore

Number = Union[int, float]


class Lock(_LockCore, *redis_base("redis.asyncio.lock", "Lock")):  # type: ignore[misc]  # redis-py base when installed
    """A distributed lock on key ``name`` with redis.asyncio's interface:
    ``await lock.acquire()``, ``await lock.release()``, ``async with``."""

    def __init__(
        self,
        redis: Any,
        name: Any,
        timeout: Optional[Number] = None,
        sleep: Number = 0.1,
        blocking: bool = True,
        blocking_timeout: Optional[Number] = None,
        thread_local: bool = True,
        raise_on_release_error: bool = True,
    ) -> None:
        self._setup(redis, name, timeout, sleep, blocking, blocking_timeout, thread_local, raise_on_release_error)

    async def __aenter__(self) -> "Lock":
        if await self.acquire():
            return self
        raise self._not_acquired()

    async def __aexit__(self, *exc: Any) -> None:
        try:
            await self.release()
        except LockError:
            if self.raise_on_release_error:
                raise

    async def acquire(
        self, blocking: Optional[bool] = None, blocking_timeout: Optional[Number] = None, token: Optional[Any] = None,
    ) -> bool:
        """Takes the lock; True once held. Non-blocking: False at once if
        taken; else retries every ``sleep`` seconds for at most
        ``blocking_timeout`` seconds."""
        loop = asyncio.get_running_loop()
        token, blocking, blocking_timeout = self._acquire_args(token, blocking, blocking_timeout)
        stop_at = None if blocking_timeout is None else loop.time() + blocking_timeout
        while True:
            if await self.do_acquire(token):
                self.local.token = token
                return True
            if not blocking:
                return False
            if stop_at is not None and loop.time() + self.sleep > stop_at:
                return False
            await asyncio.sleep(self.sleep)

    async def do_acquire(self, token: bytes) -> bool:
        """One attempt: SET NX (PX with a timeout)."""
        return bool(await self.redis.set(self.name, token, nx=True, px=self._px()))

    async def locked(self) -> bool:
        """True if anyone holds the lock."""
        return await self.redis.get(self.name) is not None

    async def owned(self) -> bool:
        """True if this lock object holds the lock."""
        return self._is_mine(await self.redis.get(self.name))

    async def release(self) -> None:
        """Releases the lock; LockNotOwnedError if it was lost."""
        await self.do_release(self._take_token())

    async def do_release(self, expected_token: bytes) -> None:
        self._check_done(await self.lua_release(keys=[self.name], args=[expected_token], client=self.redis), "release")

    async def extend(self, additional_time: Number, replace_ttl: bool = False) -> bool:
        """Adds ``additional_time`` seconds to the TTL (sets it with
        ``replace_ttl``)."""
        self._check_renewable("extend")
        return await self.do_extend(additional_time, replace_ttl)

    async def do_extend(self, additional_time: Number, replace_ttl: bool) -> bool:
        args = self._extend_args(additional_time, replace_ttl)
        return self._check_done(await self.lua_extend(keys=[self.name], args=args, client=self.redis), "extend")

    async def reacquire(self) -> bool:
        """Resets the TTL to ``timeout``."""
        self._check_renewable("reacquire")
        return await self.do_reacquire()

    async def do_reacquire(self) -> bool:
        assert self.timeout is not None
        args = [self.local.token, int(self.timeout * 1000)]
        return self._check_done(await self.lua_reacquire(keys=[self.name], args=args, client=self.redis), "reacquire")


adopt(Lock)

__all__ = ["Lock"]
