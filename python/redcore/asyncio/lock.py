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
import threading
import uuid
from types import SimpleNamespace
from typing import Any, Optional, Union

from .._compat import adopt, redis_base
from ..exceptions import LockError, LockNotOwnedError
from ..lock import _EXTEND, _REACQUIRE, _RELEASE

Number = Union[int, float]


class Lock(*redis_base("redis.asyncio.lock", "Lock")):  # type: ignore[misc]  # redis-py base when installed
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
        self.redis = redis
        self.name = name
        self.timeout = timeout
        self.sleep = sleep
        self.blocking = blocking
        self.blocking_timeout = blocking_timeout
        self.thread_local = bool(thread_local)
        self.raise_on_release_error = raise_on_release_error
        self.local: Any = threading.local() if self.thread_local else SimpleNamespace()
        self.local.token = None
        self.lua_release = redis.register_script(_RELEASE)
        self.lua_extend = redis.register_script(_EXTEND)
        self.lua_reacquire = redis.register_script(_REACQUIRE)

    async def __aenter__(self) -> "Lock":
        if await self.acquire():
            return self
        raise LockError("Unable to acquire lock within the time specified", lock_name=self.name)

    async def __aexit__(self, *exc: Any) -> None:
        try:
            await self.release()
        except LockError:
            if self.raise_on_release_error:
                raise

    def _encode(self, token: Any) -> bytes:
        if isinstance(token, bytes):
            return token
        encoding, errors = self.redis._encoding
        return str(token).encode(encoding, errors)

    async def acquire(
        self, blocking: Optional[bool] = None, blocking_timeout: Optional[Number] = None, token: Optional[Any] = None,
    ) -> bool:
        """Takes the lock; True once held. Non-blocking: False at once if
        taken; else retries every ``sleep`` seconds for at most
        ``blocking_timeout`` seconds."""
        loop = asyncio.get_running_loop()
        token = uuid.uuid1().hex.encode() if token is None else self._encode(token)
        blocking = self.blocking if blocking is None else blocking
        blocking_timeout = self.blocking_timeout if blocking_timeout is None else blocking_timeout
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
        px = int(self.timeout * 1000) if self.timeout else None
        return bool(await self.redis.set(self.name, token, nx=True, px=px))

    async def locked(self) -> bool:
        """True if anyone holds the lock."""
        return await self.redis.get(self.name) is not None

    async def owned(self) -> bool:
        """True if this lock object holds the lock."""
        stored = await self.redis.get(self.name)
        if stored is not None and not isinstance(stored, bytes):
            stored = self._encode(stored)
        return self.local.token is not None and stored == self.local.token

    async def release(self) -> None:
        """Releases the lock; LockNotOwnedError if it was lost."""
        token = self.local.token
        if token is None:
            raise LockError("Cannot release a lock that's not owned or is already unlocked.", lock_name=self.name)
        self.local.token = None
        await self.do_release(token)

    async def do_release(self, expected_token: bytes) -> None:
        if not await self.lua_release(keys=[self.name], args=[expected_token], client=self.redis):
            raise LockNotOwnedError("Cannot release a lock that's no longer owned", lock_name=self.name)

    async def extend(self, additional_time: Number, replace_ttl: bool = False) -> bool:
        """Adds ``additional_time`` seconds to the TTL (sets it with
        ``replace_ttl``)."""
        if self.local.token is None:
            raise LockError("Cannot extend an unlocked lock", lock_name=self.name)
        if self.timeout is None:
            raise LockError("Cannot extend a lock with no timeout", lock_name=self.name)
        return await self.do_extend(additional_time, replace_ttl)

    async def do_extend(self, additional_time: Number, replace_ttl: bool) -> bool:
        ok = await self.lua_extend(
            keys=[self.name], args=[self.local.token, int(additional_time * 1000), "1" if replace_ttl else "0"],
            client=self.redis,
        )
        if not ok:
            raise LockNotOwnedError("Cannot extend a lock that's no longer owned", lock_name=self.name)
        return True

    async def reacquire(self) -> bool:
        """Resets the TTL to ``timeout``."""
        if self.local.token is None:
            raise LockError("Cannot reacquire an unlocked lock", lock_name=self.name)
        if self.timeout is None:
            raise LockError("Cannot reacquire a lock with no timeout", lock_name=self.name)
        return await self.do_reacquire()

    async def do_reacquire(self) -> bool:
        assert self.timeout is not None
        ok = await self.lua_reacquire(keys=[self.name], args=[self.local.token, int(self.timeout * 1000)], client=self.redis)
        if not ok:
            raise LockNotOwnedError("Cannot reacquire a lock that's no longer owned", lock_name=self.name)
        return True


adopt(Lock)

__all__ = ["Lock"]
