"""The machinery behind :func:`redcore.cache.cached`: the Lua scripts, the
per-function state and the lookup flow shared by the sync and async
wrappers (see :mod:`redcore.cache` for the behaviour)."""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
import time
import uuid
from typing import Any, Callable, Dict, Generator, Iterable, List, Optional, Tuple, Union

from ._cache_util import KeyMaker, resolve_serializer

logger = logging.getLogger("redcore.cache")

Number = Union[int, float]

_VALUE = b"v"
_NONE = b"n"
# A lock whose computation was overtaken by an invalidation or a write: its
# result must not be stored, and anyone may take the lock over.
_VOID = "!void"

# Reads the entry and, when asked (a miss, or a hit within the refresh
# threshold), takes the lock in the same atomic step: two callers can never
# both see "missing and unlocked".
_FETCH = """
local v = redis.call('get', KEYS[1])
local ttl = -2
if v then ttl = redis.call('pttl', KEYS[1]) end
local want = false
if not v then
    want = ARGV[3] == '1'
elseif ttl >= 0 and ttl <= tonumber(ARGV[4]) then
    want = true
end
local got = 0
if want then
    local held = redis.call('get', KEYS[2])
    if not held or held == ARGV[5] then
        redis.call('set', KEYS[2], ARGV[1], 'PX', ARGV[2])
        got = 1
    end
end
return {v or false, ttl, got}
"""

# Stores an entry (an empty payload deletes it: a None result that is not
# cached replaces the old value) and records it in its tag sets. 'cond' (a
# computation's result) applies unless someone else now holds the lock or it
# was voided; 'force' (fn.set/fn.refresh) always applies and voids a running
# computation. Returns 1 if applied.
_STORE = """
local held = redis.call('get', KEYS[2])
if ARGV[4] == 'cond' and held and held ~= ARGV[3] then return 0 end
local px = tonumber(ARGV[2])
if ARGV[1] == '' then
    redis.call('del', KEYS[1])
elseif px > 0 then
    redis.call('set', KEYS[1], ARGV[1], 'PX', px)
else
    redis.call('set', KEYS[1], ARGV[1])
end
if held then
    if held == ARGV[3] then
        redis.call('del', KEYS[2])
    elseif ARGV[4] == 'force' then
        redis.call('set', KEYS[2], ARGV[5], 'XX', 'KEEPTTL')
    end
end
if ARGV[1] == '' then return 1 end
for i = 3, #KEYS do
    local existed = redis.call('exists', KEYS[i])
    redis.call('sadd', KEYS[i], KEYS[1])
    if px <= 0 then
        redis.call('persist', KEYS[i])
    else
        local t = redis.call('pttl', KEYS[i])
        if existed == 0 or (t >= 0 and t < px) then redis.call('pexpire', KEYS[i], px) end
    end
end
return 1
"""

_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""

# Instructions the flow generator yields to its sync or async driver.
_COMPUTE = "compute"
_SLEEP = "sleep"
_BACKGROUND = "background"
_CALL = "call"


def _ns_prefix(namespace: str) -> str:
    return "{" + namespace + "}"


def _lock_key(namespace: str, entry: Any) -> Any:
    """The lock key of an entry key (str or bytes, as SMEMBERS returns it)."""
    prefix = _ns_prefix(namespace) + ":"
    lock = _ns_prefix(namespace) + "#lock:"
    if isinstance(entry, bytes):
        return lock.encode() + entry[len(prefix.encode()):]
    return lock + entry[len(prefix):]


def _tag_key(namespace: str, tag: str) -> str:
    return f"{_ns_prefix(namespace)}#tag:{tag}"


def _decodes_responses(client: Any) -> bool:
    flag = getattr(client, "_decode_responses", None)
    if flag is None:
        try:
            flag = client.get_connection_kwargs().get("decode_responses", False)
        except AttributeError:
            flag = False
    return bool(flag)


class _Cache:
    """The state behind one decorated function (its attributes delegate here)."""

    def __init__(
        self,
        client: Any,
        func: Callable[..., Any],
        ttl: Optional[Number],
        key: Any,
        namespace: str,
        serializer: Any,
        tags: Any,
        cache_none: bool,
        stampede: Optional[str],
        stale_ttl: Optional[Number],
        refresh_ahead: Optional[Number],
        lock_timeout: Number,
        ignore: Iterable[str],
    ) -> None:
        if stampede not in ("lock", "stale", None):
            raise ValueError("stampede must be 'lock', 'stale' or None")
        if ttl is not None and ttl <= 0:
            raise ValueError("ttl must be positive (or None for no expiry)")
        if stampede == "stale" and ttl is None:
            raise ValueError("stampede='stale' needs a ttl")
        if refresh_ahead is not None and (ttl is None or not 0 < refresh_ahead < ttl):
            raise ValueError("refresh_ahead needs a ttl and must be between 0 and ttl")
        if lock_timeout <= 0:
            raise ValueError("lock_timeout must be positive")
        if _decodes_responses(client):
            raise ValueError("cached() needs a client created with decode_responses=False (entries are binary)")
        self.client = client
        self.func = func
        self.namespace = namespace
        self.prefix = _ns_prefix(namespace) + ":"
        self.keys = KeyMaker(func, key, tuple(ignore))
        self.serializer = resolve_serializer(serializer)
        self.tags = tags
        self.cache_none = cache_none
        self.stampede = stampede
        self.lock_ms = max(1, int(lock_timeout * 1000))
        self.lock_timeout = float(lock_timeout)
        stale = ttl if stale_ttl is None else stale_ttl
        self.stale_ms = int(stale * 1000) if stampede == "stale" and stale else 0
        self.ttl_ms = 0 if ttl is None else max(1, int(ttl * 1000)) + self.stale_ms
        self.refresh_ms = int(refresh_ahead * 1000) if refresh_ahead else 0
        self.threshold = self.stale_ms + self.refresh_ms if (self.stale_ms or self.refresh_ms) else -1
        self.simple_reads = self.threshold < 0
        self._fetch = client.register_script(_FETCH)
        self._store_script = client.register_script(_STORE)
        self._release = client.register_script(_RELEASE)
        self._stats_lock = threading.Lock()
        self._stats = dict.fromkeys(("hits", "misses", "computations", "stale_hits", "refreshes"), 0)
        self._tasks: set = set()

    # --- pieces -----------------------------------------------------------

    def count(self, name: str) -> None:
        with self._stats_lock:
            self._stats[name] += 1

    def stats(self, reset: bool = False) -> Dict[str, int]:
        with self._stats_lock:
            out = dict(self._stats)
            if reset:
                for name in self._stats:
                    self._stats[name] = 0
        return out

    def key_of(self, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> str:
        return self.prefix + self.keys(args, kwargs)

    def tag_keys(self, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> List[str]:
        tags = self.tags
        if tags is None:
            return []
        if callable(tags):
            tags = tags(*args, **kwargs)
        if isinstance(tags, str):
            tags = [tags]
        return [_tag_key(self.namespace, t) for t in tags]

    def encode(self, value: Any) -> bytes:
        return _NONE if value is None else _VALUE + self.serializer.dumps(value)

    def decode(self, raw: bytes) -> Any:
        marker = raw[:1]
        if marker == _NONE:
            return None
        if marker != _VALUE:
            raise ValueError("not a redcore.cache entry")
        return self.serializer.loads(raw[1:])

    # Every Redis call is a generator step: it yields (_CALL, thunk) and gets
    # the reply back, so one flow serves blocking clients (the driver calls
    # the thunk) and asyncio ones (the driver awaits what the thunk returns).

    def fetch(self, key: str, token: str, lock_on_miss: bool) -> Generator[Any, Any, Tuple[Optional[bytes], int, bool]]:
        keys = [key, _lock_key(self.namespace, key)]
        args = [token, self.lock_ms, "1" if lock_on_miss else "0", self.threshold, _VOID]
        raw, ttl, got = yield (_CALL, lambda: self._fetch(keys=keys, args=args, client=self.client))
        return raw, int(ttl), bool(got)

    def store(self, key: str, tag_keys: List[str], value: Any, token: str, mode: str) -> Generator[Any, Any, bool]:
        """Writes ``value`` (a None we don't cache deletes the entry
        instead); 'cond' only while ``token`` still holds (or nobody holds)
        the lock. True if the entry now holds ``value``."""
        uncached = value is None and not self.cache_none
        payload = b"" if uncached else self.encode(value)
        keys = [key, _lock_key(self.namespace, key), *([] if uncached else tag_keys)]
        args = [payload, self.ttl_ms, token, mode, _VOID]
        applied = yield (_CALL, lambda: self._store_script(keys=keys, args=args, client=self.client))
        return bool(applied) and not uncached

    def release(self, key: str, token: str) -> Generator[Any, Any, None]:
        yield (_CALL, lambda: self._release(keys=[_lock_key(self.namespace, key)], args=[token], client=self.client))

    def invalidate(self, key: str) -> Generator[Any, Any, bool]:
        def call() -> Any:
            pipe = self.client.pipeline(transaction=True)
            pipe.delete(key)
            pipe.set(_lock_key(self.namespace, key), _VOID, xx=True, keepttl=True)
            return pipe.execute()

        deleted, _ = yield (_CALL, call)
        return bool(deleted)

    def load_or_drop(self, key: str, raw: bytes) -> Generator[Any, Any, Tuple[bool, Any]]:
        """(True, value), or (False, None) after deleting an unreadable entry
        (another serializer's, or corrupt) so it gets recomputed."""
        try:
            return True, self.decode(raw)
        except Exception:  # noqa: BLE001 - any decoding failure means "recompute"
            logger.warning("dropping unreadable cache entry %r", key, exc_info=True)
            yield (_CALL, lambda: self.client.delete(key))
            return False, None

    # --- the lookup, shared by the sync and async wrappers ------------------

    def flow(self, key: str, tag_keys: List[str]) -> Generator[Any, Any, Any]:
        """Yields _COMPUTE (the driver sends back the result or throws the
        exception), (_SLEEP, seconds) and (_BACKGROUND, token); returns the
        value to give the caller."""
        if self.simple_reads:
            raw = yield (_CALL, lambda: self.client.get(key))
            if raw is not None:
                ok, value = yield from self.load_or_drop(key, raw)
                if ok:
                    self.count("hits")
                    return value
            if self.stampede is None:
                self.count("misses")
                value = yield _COMPUTE
                yield from self.store(key, tag_keys, value, "", "cond")
                return value
        token = uuid.uuid4().hex
        lock_on_miss = self.stampede is not None
        raw, ttl, got = yield from self.fetch(key, token, lock_on_miss)
        if raw is not None:
            ok, value = yield from self.load_or_drop(key, raw)
            if ok:
                soft_expired = self.stale_ms > 0 and 0 <= ttl <= self.stale_ms
                if not got:
                    self.count("stale_hits" if soft_expired else "hits")
                    return value
                if not soft_expired:  # within refresh_ahead of expiry
                    self.count("hits")
                    yield (_BACKGROUND, token)
                    return value
                # soft-expired and ours to recompute: fall through.
            else:
                if got:
                    yield from self.release(key, token)
                raw, ttl, got = yield from self.fetch(key, token, lock_on_miss)
                if raw is not None:  # someone refilled it meanwhile
                    ok, value = yield from self.load_or_drop(key, raw)
                    if ok:
                        self.count("hits")
                        return value
        self.count("misses")
        if got or not lock_on_miss:
            return (yield from self._compute_and_store(key, tag_keys, token if got else ""))
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.002
        while True:
            yield (_SLEEP, delay)
            delay = min(delay * 1.5, 0.05)
            raw, ttl, got = yield from self.fetch(key, token, True)
            if raw is not None:
                ok, value = yield from self.load_or_drop(key, raw)
                if ok:
                    return value
                continue
            if got:
                return (yield from self._compute_and_store(key, tag_keys, token))
            if time.monotonic() >= deadline:
                # The holder is stuck: compute, and store only if the lock is free by then.
                return (yield from self._compute_and_store(key, tag_keys, ""))

    def _compute_and_store(self, key: str, tag_keys: List[str], token: str) -> Generator[Any, Any, Any]:
        try:
            value = yield _COMPUTE
            yield from self.store(key, tag_keys, value, token, "cond")
        except BaseException:
            if token:
                yield from self.release(key, token)
            raise
        return value


def is_async_client(client: Any) -> bool:
    """Whether ``client`` is an asyncio client (``redcore.asyncio.Redis``,
    ``redis.asyncio.Redis``): its commands return awaitables."""
    return inspect.iscoroutinefunction(getattr(type(client), "execute_command", None))


def _drive_sync(
    cache: _Cache, flow: Generator[Any, Any, Any], call: Optional[Callable[[], Any]] = None,
    key: str = "", tag_keys: Optional[List[str]] = None,
) -> Any:
    """Runs a flow (or any of the cache's generator steps) with a blocking
    client: Redis calls inline, sleeps with ``time.sleep``, background
    refreshes in a thread."""
    try:
        op = next(flow)
        while True:
            kind = op[0] if op.__class__ is tuple else op
            if kind == _CALL:
                try:
                    reply = op[1]()
                except BaseException as e:  # noqa: BLE001 - handed to the flow, which re-raises
                    op = flow.throw(e)
                    continue
                op = flow.send(reply)
            elif kind == _COMPUTE:
                cache.count("computations")
                try:
                    result = call()  # type: ignore[misc]
                except BaseException as e:  # noqa: BLE001 - handed to the flow, which re-raises
                    op = flow.throw(e)
                    continue
                op = flow.send(result)
            elif kind == _SLEEP:
                time.sleep(op[1])
                op = next(flow)
            else:
                _refresh_in_thread(cache, call, key, tag_keys or [], op[1])  # type: ignore[arg-type]
                op = next(flow)
    except StopIteration as stop:
        return stop.value


async def _drive_async(
    cache: _Cache, flow: Generator[Any, Any, Any], call: Optional[Callable[[], Any]] = None,
    key: str = "", tag_keys: Optional[List[str]] = None,
) -> Any:
    """Runs a flow in a task: Redis calls awaited when the client is an
    asyncio one (inline with a blocking client), sleeps with
    ``asyncio.sleep``, background refreshes as tasks on the running loop."""
    try:
        op = next(flow)
        while True:
            kind = op[0] if op.__class__ is tuple else op
            if kind == _CALL:
                try:
                    reply = op[1]()
                    if inspect.isawaitable(reply):
                        reply = await reply
                except BaseException as e:  # noqa: BLE001 - handed to the flow, which re-raises
                    op = flow.throw(e)
                    continue
                op = flow.send(reply)
            elif kind == _COMPUTE:
                cache.count("computations")
                try:
                    result = await call()  # type: ignore[misc]
                except BaseException as e:  # noqa: BLE001 - handed to the flow, which re-raises
                    op = flow.throw(e)
                    continue
                op = flow.send(result)
            elif kind == _SLEEP:
                await asyncio.sleep(op[1])
                op = next(flow)
            else:
                task = asyncio.get_running_loop().create_task(_refresh_async(cache, call, key, tag_keys or [], op[1]))  # type: ignore[arg-type]
                cache._tasks.add(task)
                task.add_done_callback(cache._tasks.discard)
                op = next(flow)
    except StopIteration as stop:
        return stop.value


def _refresh_in_thread(cache: _Cache, call: Callable[[], Any], key: str, tag_keys: List[str], token: str) -> None:
    def run() -> None:
        try:
            cache.count("refreshes")
            cache.count("computations")
            _drive_sync(cache, cache.store(key, tag_keys, call(), token, "cond"))
        except Exception:  # noqa: BLE001 - a background refresh must not kill anything
            logger.exception("refreshing cache entry %r failed", key)
            _drive_sync(cache, cache.release(key, token))

    threading.Thread(target=run, name=f"redcore-cache-refresh-{key}", daemon=True).start()


async def _refresh_async(cache: _Cache, call: Callable[[], Any], key: str, tag_keys: List[str], token: str) -> None:
    try:
        cache.count("refreshes")
        cache.count("computations")
        await _drive_async(cache, cache.store(key, tag_keys, await call(), token, "cond"))
    except Exception:  # noqa: BLE001
        logger.exception("refreshing cache entry %r failed", key)
        await _drive_async(cache, cache.release(key, token))
