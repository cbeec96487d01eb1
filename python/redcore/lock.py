"""``Lock``: a distributed lock with redis-py's semantics, plus two opt-in
extras: auto-renewal while held, and fencing tokens.

    >>> import redcore
    >>> r = redcore.Redis()
    >>> with r.lock("report", timeout=10):
    ...     pass  # only one holder at a time, across threads and processes

A *fencing token* is a number that grows with every acquisition of the
lock. Pass it to the resource you protect and have the resource reject
requests carrying a smaller token than one it has already seen: a holder
that stalled past its lock's timeout can then no longer do harm.

    >>> lock = r.lock("invoice:7", timeout=5, fencing=True)
    >>> lock.acquire()
    True
    >>> lock.fencing_token
    1
    >>> lock.release()
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
import weakref
from types import SimpleNamespace
from typing import Any, List, Optional, Tuple, Union

from .exceptions import LockError, LockNotOwnedError
from ._compat import adopt, redis_base

logger = logging.getLogger(__name__)

Number = Union[int, float]

# Each script checks the stored token before touching the key, so only the
# holder can release or extend; a script runs atomically.
_RELEASE = """
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('del', KEYS[1])
return 1
"""

_EXTEND = """
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
local ttl = redis.call('pttl', KEYS[1])
if ttl < 0 then return 0 end
local new_ttl = tonumber(ARGV[2])
if ARGV[3] == '0' then new_ttl = new_ttl + ttl end
redis.call('pexpire', KEYS[1], new_ttl)
return 1
"""

_REACQUIRE = """
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('pexpire', KEYS[1], ARGV[2])
return 1
"""

# SET NX and the counter bump happen together, so tokens are handed out in
# the order acquisitions succeed.
_ACQUIRE_FENCED = """
local ok
if ARGV[2] ~= '' then
    ok = redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])
else
    ok = redis.call('set', KEYS[1], ARGV[1], 'NX')
end
if ok then return redis.call('incr', KEYS[2]) end
return 0
"""


def fence_key(name: Any) -> Any:
    """The counter key for ``name``'s fencing tokens, in the same cluster
    hash slot as ``name``."""
    raw = name.encode() if isinstance(name, str) else bytes(name)
    start = raw.find(b"{")
    end = raw.find(b"}", start + 1) if start >= 0 else -1
    has_tag = start >= 0 and end > start + 1
    key = raw + b":fence" if has_tag else b"{" + raw + b"}:fence"
    return key.decode() if isinstance(name, str) else key


class _LockCore:
    """What :class:`Lock` and ``redcore.asyncio.Lock`` share: the
    attributes, the scripts, token handling and the checks each operation
    makes before it talks to the server."""

    redis: Any
    name: Any
    timeout: Optional[Number]
    sleep: Number
    blocking: bool
    blocking_timeout: Optional[Number]
    local: Any

    def _setup(
        self,
        redis: Any,
        name: Any,
        timeout: Optional[Number],
        sleep: Number,
        blocking: bool,
        blocking_timeout: Optional[Number],
        thread_local: bool,
        raise_on_release_error: bool,
    ) -> None:
        self.redis = redis
        self.name = name
        self.timeout = timeout
        self.sleep = sleep
        self.blocking = blocking
        self.blocking_timeout = blocking_timeout
        self.thread_local = bool(thread_local)
        self.raise_on_release_error = raise_on_release_error
        self.local = threading.local() if self.thread_local else SimpleNamespace()
        self.local.token = None
        self.lua_release = redis.register_script(_RELEASE)
        self.lua_extend = redis.register_script(_EXTEND)
        self.lua_reacquire = redis.register_script(_REACQUIRE)

    def _not_acquired(self) -> LockError:
        return LockError("Unable to acquire lock within the time specified", lock_name=self.name)

    def _encode(self, token: Any) -> bytes:
        if isinstance(token, bytes):
            return token
        encoding = getattr(self.redis, "_encoding", None)  # redcore clients
        if encoding is None and hasattr(self.redis, "get_encoder"):  # redis-py clients
            return self.redis.get_encoder().encode(token)
        encoding, errors = encoding or ("utf-8", "strict")
        return str(token).encode(encoding, errors)

    def _acquire_args(
        self, token: Optional[Any], blocking: Optional[bool], blocking_timeout: Optional[Number]
    ) -> Tuple[bytes, bool, Optional[Number]]:
        """(token, blocking, blocking_timeout) of an ``acquire()`` call,
        the lock's defaults filled in."""
        token = uuid.uuid1().hex.encode() if token is None else self._encode(token)
        blocking = self.blocking if blocking is None else blocking
        blocking_timeout = self.blocking_timeout if blocking_timeout is None else blocking_timeout
        return token, blocking, blocking_timeout

    def _px(self) -> Optional[int]:
        """The key's TTL in milliseconds (None without a timeout)."""
        return int(self.timeout * 1000) if self.timeout else None

    def _is_mine(self, stored: Any) -> bool:
        """``owned()`` given the key's value."""
        if stored is not None and not isinstance(stored, bytes):
            stored = self._encode(stored)
        return self.local.token is not None and stored == self.local.token

    def _take_token(self) -> bytes:
        """The token ``release()`` gives up (the lock forgets it)."""
        token = self.local.token
        if token is None:
            raise LockError("Cannot release a lock that's not owned or is already unlocked.", lock_name=self.name)
        self.local.token = None
        return token

    def _check_renewable(self, action: str) -> None:
        """``extend()`` / ``reacquire()`` need a held lock with a timeout."""
        if self.local.token is None:
            raise LockError(f"Cannot {action} an unlocked lock", lock_name=self.name)
        if self.timeout is None:
            raise LockError(f"Cannot {action} a lock with no timeout", lock_name=self.name)

    def _extend_args(self, additional_time: Number, replace_ttl: bool) -> List[Any]:
        return [self.local.token, int(additional_time * 1000), "1" if replace_ttl else "0"]

    def _check_done(self, ok: Any, action: str) -> bool:
        """A script's answer: True, or LockNotOwnedError when the key no
        longer held our token."""
        if not ok:
            raise LockNotOwnedError(f"Cannot {action} a lock that's no longer owned", lock_name=self.name)
        return True


class Lock(_LockCore, *redis_base("redis.lock", "Lock")):  # type: ignore[misc]  # redis-py base when installed
    """A lock held by storing a random token under ``name`` (SET NX PX);
    released or extended only by the holder of that token.

    Args:
        redis: the client.
        name: the lock's key.
        timeout: seconds after which the lock expires on its own (None:
            never).
        sleep: seconds between attempts while blocking.
        blocking: whether ``acquire()`` waits by default.
        blocking_timeout: the longest ``acquire()`` waits by default.
        thread_local: keep the token per thread (as redis-py does).
        raise_on_release_error: raise from ``__exit__`` if the lock was lost.
        auto_renew: while held, a background thread resets the lock's TTL
            to ``timeout`` every ``timeout / 3`` seconds (needs a timeout).
        fencing: hand out a fencing token (``fencing_token``) with every
            acquisition.
    """

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
        auto_renew: bool = False,
        fencing: bool = False,
    ) -> None:
        if auto_renew and not timeout:
            raise LockError("auto_renew needs a timeout", lock_name=name)
        self._setup(redis, name, timeout, sleep, blocking, blocking_timeout, thread_local, raise_on_release_error)
        self.auto_renew = auto_renew
        self.fencing = fencing
        self.local.fencing_token = None
        # The renewal thread and its stop event belong to the holder, so
        # they live in ``local`` beside the token.
        self.local.renewal = None
        self.lua_acquire_fenced = redis.register_script(_ACQUIRE_FENCED)

    def __enter__(self) -> "Lock":
        if self.acquire():
            return self
        raise self._not_acquired()

    def __exit__(self, *exc: Any) -> None:
        try:
            self.release()
        except LockError:
            if self.raise_on_release_error:
                raise
            logger.warning("Lock was unlocked or no longer owned when exiting context manager.")

    @property
    def fencing_token(self) -> Optional[int]:
        """The token of the current acquisition (with ``fencing=True``)."""
        return getattr(self.local, "fencing_token", None)

    def acquire(
        self,
        sleep: Optional[Number] = None,
        blocking: Optional[bool] = None,
        blocking_timeout: Optional[Number] = None,
        token: Optional[Any] = None,
    ) -> bool:
        """Takes the lock; returns True once held. With ``blocking`` False,
        returns False at once if it is taken; otherwise retries every
        ``sleep`` seconds, for at most ``blocking_timeout`` seconds."""
        sleep = self.sleep if sleep is None else sleep
        token, blocking, blocking_timeout = self._acquire_args(token, blocking, blocking_timeout)
        stop_at = None if blocking_timeout is None else time.monotonic() + blocking_timeout
        while True:
            if self.do_acquire(token):
                self.local.token = token
                self._start_renewal(token)
                return True
            if not blocking:
                return False
            if stop_at is not None and time.monotonic() + sleep > stop_at:
                return False
            time.sleep(sleep)

    def do_acquire(self, token: bytes) -> bool:
        """One attempt: SET NX (with PX when there is a timeout)."""
        px = self._px()
        if self.fencing:
            fenced = self.lua_acquire_fenced(
                keys=[self.name, fence_key(self.name)], args=[token, "" if px is None else px], client=self.redis
            )
            if fenced:
                self.local.fencing_token = int(fenced)
                return True
            return False
        return bool(self.redis.set(self.name, token, nx=True, px=px))

    def locked(self) -> bool:
        """True if anyone holds the lock."""
        return self.redis.get(self.name) is not None

    def owned(self) -> bool:
        """True if this lock object (this thread) holds the lock."""
        return self._is_mine(self.redis.get(self.name))

    def release(self) -> None:
        """Releases the lock; LockNotOwnedError if it was lost (expired and
        maybe taken by someone else)."""
        token = self._take_token()
        self._stop_renewal()
        self.do_release(token)

    def do_release(self, expected_token: bytes) -> None:
        self._check_done(self.lua_release(keys=[self.name], args=[expected_token], client=self.redis), "release")

    def extend(self, additional_time: Number, replace_ttl: bool = False) -> bool:
        """Adds ``additional_time`` seconds to the lock's TTL (or sets the
        TTL to it with ``replace_ttl``)."""
        self._check_renewable("extend")
        return self.do_extend(additional_time, replace_ttl)

    def do_extend(self, additional_time: Number, replace_ttl: bool) -> bool:
        ok = self.lua_extend(keys=[self.name], args=self._extend_args(additional_time, replace_ttl), client=self.redis)
        return self._check_done(ok, "extend")

    def reacquire(self) -> bool:
        """Resets the lock's TTL to ``timeout``."""
        self._check_renewable("reacquire")
        return self.do_reacquire()

    def do_reacquire(self, token: Optional[bytes] = None) -> bool:
        token = self.local.token if token is None else token
        assert self.timeout is not None
        ok = self.lua_reacquire(keys=[self.name], args=[token, int(self.timeout * 1000)], client=self.redis)
        return self._check_done(ok, "reacquire")

    # --- auto-renewal ---------------------------------------------------

    def _start_renewal(self, token: bytes) -> None:
        if not self.auto_renew:
            return
        self._stop_renewal()
        stop = threading.Event()
        interval = float(self.timeout) / 3  # type: ignore[arg-type]
        # A weak reference: a Lock object that is dropped without release
        # stops being renewed, and then expires after its timeout.
        lock_ref = weakref.ref(self)

        def renew() -> None:
            while not stop.wait(interval):
                lock = lock_ref()
                if lock is None:
                    return
                try:
                    lock.do_reacquire(token)
                except LockNotOwnedError:
                    logger.warning("lock %r was lost; auto-renewal stopped", lock.name)
                    return
                except Exception:  # noqa: BLE001 - keep trying through transient errors
                    logger.exception("renewing lock %r failed", lock.name)
                del lock

        thread = threading.Thread(target=renew, name=f"redcore-lock-renew-{self.name!r}", daemon=True)
        self.local.renewal = (thread, stop)
        thread.start()

    def _stop_renewal(self) -> None:
        renewal = getattr(self.local, "renewal", None)
        if renewal is not None:
            thread, stop = renewal
            stop.set()
            if thread is not threading.current_thread():
                thread.join(timeout=5)
            self.local.renewal = None


adopt(Lock)


__all__ = ["Lock", "fence_key"]
