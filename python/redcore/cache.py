"""Cache-aside for functions: ``@cached(client, ttl=...)``; and redis-py's
client-side cache classes (``CacheConfig``, ``DefaultCache``, ``CacheKey``...,
see :mod:`redcore._client_cache`), so ``from redis.cache import CacheConfig``
code runs with ``import redcore as redis``.

    >>> import redcore
    >>> from redcore.cache import cached
    >>> r = redcore.Redis()
    >>> @cached(r, ttl=60)
    ... def square(x):
    ...     return x * x
    >>> square(4), square(4)
    (16, 16)
    >>> square.stats()
    {'hits': 1, 'misses': 1, 'computations': 1, 'stale_hits': 0, 'refreshes': 0}

Works with any client that has redis-py's API (redcore's embedded engine,
redcore's network client, redis-py itself) created with
``decode_responses=False``, since entries are binary. On an embedded engine
opened on a directory (``redcore.Redis(name="app", dir=..., save=[(60, 1)])``)
the cache outlives the process: the next start loads it.

Keys. An entry lives at ``{namespace}:<key>`` where ``<key>`` is derived
from the function's qualified name and a BLAKE2b digest of its bound
arguments (stable across processes), or comes from ``key=``. Every key a
cache writes carries the hash tag ``{namespace}`` (entries, their locks
``{namespace}#lock:<key>`` and tag sets ``{namespace}#tag:<tag>``), so tag
invalidation works on a Redis Cluster; a namespace lives in one slot, so use
several namespaces to spread a large cache.

Entry format: one marker byte (``v`` a value follows, ``n`` a cached None)
then the serializer's bytes; the key's TTL is the entry's (hard) expiry.

Stampede protection (``stampede="lock"``, the default): on a miss one caller
takes a short lock (SET NX PX, atomically with the read, in one script) and
computes; the others poll with short sleeps until the value appears, the
lock is released (one of them takes over) or ``lock_timeout`` passes (then
they compute themselves). ``stampede="stale"`` keeps entries for
``stale_ttl`` seconds past their ``ttl``: during that window one caller
recomputes while the others get the stale value at once. ``stampede=None``
is plain cache-aside.

Invalidation marks a running computation's lock as void, so a value
computed from data read before ``invalidate()`` / :func:`invalidate_tags` /
``fn.set()`` is not stored afterwards (for computations that hold the lock:
with ``stampede=None`` the classic cache-aside race remains).
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, Iterable, List, Optional, Union

from ._cache_core import _VOID, Number, _Cache, _drive_async, _drive_sync, _lock_key, _tag_key, is_async_client
from ._cache_util import JsonSerializer, MsgpackSerializer, PickleSerializer
from ._client_cache import __all__ as _client_cache_names
from ._client_cache import (
    CacheConfig,
    CacheConfigurationInterface,
    CacheEntry,
    CacheEntryStatus,
    CacheFactory,
    CacheFactoryInterface,
    CacheInterface,
    CacheKey,
    CacheProxy,
    DefaultCache,
    EvictionPolicy,
    EvictionPolicyInterface,
    EvictionPolicyType,
    LRUPolicy,
)


def invalidate_tags(client: Any, *tags: str, namespace: str = "cache") -> Any:
    """Removes every entry of ``namespace`` stored with any of ``tags``
    (by any cached function); returns how many entries were removed (with
    an asyncio client: an awaitable of it).

    Atomic: one MULTI/EXEC with the tag sets WATCHed (retried if an entry
    is tagged meanwhile), which also voids running computations of those
    entries so they don't store results computed from old data.

    >>> import redcore
    >>> r = redcore.Redis()
    >>> @cached(r, ttl=60, tags=lambda uid: [f"user:{uid}"])
    ... def profile(uid):
    ...     return {"id": uid}
    >>> profile(7)
    {'id': 7}
    >>> invalidate_tags(r, "user:7")
    1
    """
    if not tags:
        return _async_zero() if is_async_client(client) else 0
    tag_keys = [_tag_key(namespace, t) for t in tags]
    if is_async_client(client):
        return _invalidate_tags_async(client, tag_keys, namespace)
    entries: List[Any] = []

    def txn(pipe: Any) -> None:
        found: set = set()
        for tk in tag_keys:
            found |= set(pipe.smembers(tk))
        entries[:] = sorted(found)
        _queue_invalidation(pipe, entries, tag_keys, namespace)

    results = client.transaction(txn, *tag_keys)
    return sum(int(n) for n in results[0 : 2 * len(entries) : 2])


async def _async_zero() -> int:
    return 0


async def _invalidate_tags_async(client: Any, tag_keys: List[str], namespace: str) -> int:
    entries: List[Any] = []

    async def txn(pipe: Any) -> None:
        found: set = set()
        for tk in tag_keys:
            found |= set(await pipe.smembers(tk))
        entries[:] = sorted(found)
        _queue_invalidation(pipe, entries, tag_keys, namespace)

    results = await client.transaction(txn, *tag_keys)
    return sum(int(n) for n in results[0 : 2 * len(entries) : 2])


def _queue_invalidation(pipe: Any, entries: List[Any], tag_keys: List[str], namespace: str) -> None:
    """Queues, in MULTI, the removal of ``entries`` (voiding their running
    computations) and of the tag sets."""
    pipe.multi()
    for entry in entries:
        pipe.delete(entry)
        pipe.set(_lock_key(namespace, entry), _VOID, xx=True, keepttl=True)
    pipe.delete(*tag_keys)


def cached(
    client: Any,
    ttl: Optional[Number] = 300,
    *,
    key: Union[None, str, Callable[..., Any]] = None,
    namespace: str = "cache",
    serializer: Any = "msgpack",
    tags: Union[None, Iterable[str], Callable[..., Iterable[str]]] = None,
    cache_none: bool = False,
    stampede: Optional[str] = "lock",
    stale_ttl: Optional[Number] = None,
    refresh_ahead: Optional[Number] = None,
    lock_timeout: Number = 10.0,
    ignore: Iterable[str] = (),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: cache the function's results in Redis (cache-aside).

    Args:
        client: a redcore or redis-py client (``decode_responses=False``).
        ttl: seconds an entry stays fresh (None: no expiry).
        key: a format string over the parameter names
            (``"user:{user_id}"``) or a callable with the function's
            signature returning a str; default: qualified name + digest of
            the arguments. Either way it is prefixed with ``{namespace}:``.
        namespace: the key prefix and hash tag (see the module docs).
        serializer: ``"msgpack"`` (default, Rust), ``"json"``,
            ``"pickle"`` (only if you trust everyone who can write the
            keys: loading runs code) or an object with ``dumps``/``loads``.
        tags: tags recorded with each entry, for :func:`invalidate_tags`:
            a list, or a callable of the function's arguments.
        cache_none: cache a ``None`` result (by default None is recomputed,
            so concurrent callers of a call returning None take turns
            behind the lock; pass True for such calls).
        stampede: ``"lock"``, ``"stale"`` or None (module docs).
        stale_ttl: with ``"stale"``, how long past ``ttl`` a stale value
            may be served while one caller recomputes (default: ``ttl``).
        refresh_ahead: seconds before expiry within which a hit makes one
            caller recompute the entry in the background (a thread, or a
            task on the running loop for ``async def`` functions) while
            everyone gets the current value.
        lock_timeout: the lock's lifetime and the longest a caller waits
            for another's computation; keep it above the computation time.
        ignore: parameter names left out of the default key (``self``...).

    ``async def`` functions get an async wrapper. With an asyncio client
    (``redcore.asyncio.Redis``, ``redis.asyncio.Redis``) every Redis call
    is awaited, so nothing blocks the loop, and ``invalidate``, ``set``,
    ``refresh``, the ``writer``-made functions and :func:`invalidate_tags`
    are awaitable too (an asyncio client caches ``async def`` functions
    only). With a blocking client the Redis calls run inline: microseconds
    on the embedded engine, a network round trip (blocking the loop
    meanwhile) with a remote client. Either way the wait for another
    caller's computation sleeps with ``asyncio.sleep``. The sync and async
    wrappers run one lookup flow and share entries, locks and tags.

    The wrapper has these attributes (same arguments as the function):
    ``invalidate(*a, **kw)`` -> bool, ``refresh(*a, **kw)`` recomputes and
    stores, ``set(value, *a, **kw)`` stores a value, ``key(*a, **kw)`` the
    Redis key, ``stats(reset=False)`` the in-process counters (``hits``,
    ``misses``, ``computations``, ``stale_hits``, ``refreshes``), and
    ``writer``, a decorator for write-through functions: the decorated
    ``save(value, *a, **kw)`` runs first (the backing store), then ``value``
    is cached for ``*a, **kw``; if ``save`` raises, the entry is
    invalidated and the exception propagates. (For the async variants,
    ``refresh`` is a coroutine function and ``writer`` accepts either kind.)
    On methods, pass ``self`` explicitly: ``Cls.method.invalidate(obj, x)``.

    >>> import redcore
    >>> r = redcore.Redis()
    >>> users = {1: "ada"}
    >>> @cached(r, ttl=60, key="user:{uid}")
    ... def user(uid):
    ...     return users.get(uid)
    >>> @user.writer
    ... def save_user(name, uid):
    ...     users[uid] = name
    >>> user(1), user.key(1)
    ('ada', '{cache}:user:1')
    >>> save_user("grace", 1)
    >>> user(1)
    'grace'
    """

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        cache = _Cache(
            client, func, ttl, key, namespace, serializer, tags, cache_none, stampede, stale_ttl,
            refresh_ahead, lock_timeout, ignore,
        )
        is_async = inspect.iscoroutinefunction(func)
        if is_async_client(client):
            if not is_async:
                raise TypeError(f"cached() with an asyncio client needs an async def function, not {func.__qualname__}")
            return _async_client_wrapper(cache, func)

        if is_async:

            @functools.wraps(func)
            async def wrapper(*args: Any, **kwargs: Any) -> Any:
                key = cache.key_of(args, kwargs)
                tag_keys = cache.tag_keys(args, kwargs)
                return await _drive_async(cache, cache.flow(key, tag_keys), lambda: func(*args, **kwargs), key, tag_keys)

            async def refresh(*args: Any, **kwargs: Any) -> Any:
                cache.count("computations")
                value = await func(*args, **kwargs)
                set_value(value, *args, **kwargs)
                return value

        else:

            @functools.wraps(func)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                key = cache.key_of(args, kwargs)
                tag_keys = cache.tag_keys(args, kwargs)
                return _drive_sync(cache, cache.flow(key, tag_keys), lambda: func(*args, **kwargs), key, tag_keys)

            def refresh(*args: Any, **kwargs: Any) -> Any:  # type: ignore[misc]
                cache.count("computations")
                value = func(*args, **kwargs)
                set_value(value, *args, **kwargs)
                return value

        def set_value(value: Any, *args: Any, **kwargs: Any) -> bool:
            """Stores ``value`` as the result for these arguments."""
            return _drive_sync(cache, cache.store(cache.key_of(args, kwargs), cache.tag_keys(args, kwargs), value, "", "force"))  # type: ignore[no-any-return]

        def invalidate(*args: Any, **kwargs: Any) -> bool:
            """Drops the entry for these arguments; True if there was one."""
            return _drive_sync(cache, cache.invalidate(cache.key_of(args, kwargs)))  # type: ignore[no-any-return]

        def writer(save: Callable[..., Any]) -> Callable[..., Any]:
            if inspect.iscoroutinefunction(save):

                @functools.wraps(save)
                async def write_async(value: Any, *args: Any, **kwargs: Any) -> Any:
                    try:
                        result = await save(value, *args, **kwargs)
                    except BaseException:
                        invalidate(*args, **kwargs)
                        raise
                    set_value(value, *args, **kwargs)
                    return result

                return write_async

            @functools.wraps(save)
            def write(value: Any, *args: Any, **kwargs: Any) -> Any:
                try:
                    result = save(value, *args, **kwargs)
                except BaseException:
                    invalidate(*args, **kwargs)
                    raise
                set_value(value, *args, **kwargs)
                return result

            return write

        return _attach(wrapper, cache, invalidate, refresh, set_value, writer)

    return decorate


def _async_client_wrapper(cache: _Cache, func: Callable[..., Any]) -> Callable[..., Any]:
    """The wrapper of an ``async def`` function cached through an asyncio
    client: every Redis call is awaited, so nothing blocks the loop; its
    ``invalidate``, ``set``, ``refresh`` and ``writer``-made functions are
    coroutine functions."""

    @functools.wraps(func)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = cache.key_of(args, kwargs)
        tag_keys = cache.tag_keys(args, kwargs)
        return await _drive_async(cache, cache.flow(key, tag_keys), lambda: func(*args, **kwargs), key, tag_keys)

    async def set_value(value: Any, *args: Any, **kwargs: Any) -> bool:
        """Stores ``value`` as the result for these arguments."""
        return await _drive_async(cache, cache.store(cache.key_of(args, kwargs), cache.tag_keys(args, kwargs), value, "", "force"))  # type: ignore[no-any-return]

    async def invalidate(*args: Any, **kwargs: Any) -> bool:
        """Drops the entry for these arguments; True if there was one."""
        return await _drive_async(cache, cache.invalidate(cache.key_of(args, kwargs)))  # type: ignore[no-any-return]

    async def refresh(*args: Any, **kwargs: Any) -> Any:
        cache.count("computations")
        value = await func(*args, **kwargs)
        await set_value(value, *args, **kwargs)
        return value

    def writer(save: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(save)
        async def write(value: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                result = save(value, *args, **kwargs)
                if inspect.isawaitable(result):
                    result = await result
            except BaseException:
                await invalidate(*args, **kwargs)
                raise
            await set_value(value, *args, **kwargs)
            return result

        return write

    return _attach(wrapper, cache, invalidate, refresh, set_value, writer)


def _attach(wrapper: Any, cache: _Cache, invalidate: Any, refresh: Any, set_value: Any, writer: Any) -> Any:
    wrapper.invalidate = invalidate
    wrapper.refresh = refresh
    wrapper.set = set_value
    wrapper.key = lambda *a, **kw: cache.key_of(a, kw)
    wrapper.stats = cache.stats
    wrapper.writer = writer
    wrapper.cache = cache
    return wrapper


__all__ = [
    # redis-py's client-side cache (``Redis(..., cache_config=CacheConfig())``)
    *_client_cache_names,
    # cache-aside for functions
    "JsonSerializer",
    "MsgpackSerializer",
    "PickleSerializer",
    "cached",
    "invalidate_tags",
]
