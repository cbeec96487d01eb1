"""Client-side caching on a server (redis-py's ``cache_config`` / ``cache``).

A pool made with ``cache_config=`` or ``cache=`` (RESP3 only, as in
redis-py) owns a :class:`ClientSideCache`; its clients answer the
read-only commands the cache allows (``CacheConfig.DEFAULT_ALLOW_LIST``)
from the cache after the first fetch.

How entries stay right (server-assisted caching, Redis's ``CLIENT
TRACKING``):

- a dedicated invalidation connection (not from the pool) learns its
  ``CLIENT ID`` and subscribes to ``__redis__:invalidate``;
- a miss sends ``CLIENT TRACKING ON REDIRECT <that id>`` and the command
  in one pipeline on a pooled connection, so whichever connection reads
  the key has the server report its changes to the invalidation
  connection (re-sending it is harmless, and no connect hook is needed);
- before answering from the cache, what the invalidation connection
  holds is read without waiting (one ``poll``) and applied: entries
  reading a changed key are removed; a flush message empties the cache;
- if the invalidation connection drops (CLIENT KILL, a restart), changes
  may have been missed: the cache is emptied and the next miss re-points
  tracking at the new connection's id;
- a reply is stored only if no invalidation touched its key (nor emptied
  the cache) while it was being fetched: the fetch first leaves an
  ``IN_PROGRESS`` entry, which an invalidation removes.

Pipelines and transactions bypass the cache, as in redis-py. One lock
per pool guards the cache, so threads sharing a pool share it safely.
Clients without a cache never reach this module.
"""

from __future__ import annotations

import copy
import threading
import weakref
from typing import Any, Dict, List, Optional, Tuple

from . import _redcore
from ._compat import weak_call
from ._client_cache import CacheEntry, CacheEntryStatus, CacheFactory, CacheKey, CacheProxy, is_cache
from .exceptions import ConnectionError, RedisError, ResponseError, TimeoutError

_INVALIDATE = b"__redis__:invalidate"


class _Reconnected(ConnectionError):
    """The invalidation connection was replaced (raised from its
    ``on_connect``)."""


def check_protocol(protocol: Any) -> None:
    """redis-py's rule: client-side caching needs RESP3 (``None``, redis-py
    8's default, counts as RESP3)."""
    if protocol is None:
        return
    try:
        version = int(protocol)
    except (TypeError, ValueError):
        version = 0
    if version != 3:
        raise RedisError("Client caching is only supported with RESP version 3")


def make_cache(cache: Any, cache_config: Any, protocol: Any) -> Any:
    """The cache a pool made with ``cache=`` / ``cache_config=`` uses
    (None when neither is given), checked as redis-py checks it."""
    if not (cache or cache_config):
        return None
    check_protocol(protocol)
    if cache is not None:
        if not is_cache(cache):
            raise ValueError("Cache must implement CacheInterface")
        return cache
    factory_cache = CacheFactory(cache_config).get_cache()
    return factory_cache if isinstance(factory_cache, CacheProxy) else CacheProxy(factory_cache)


def _name(first: Any) -> str:
    if isinstance(first, bytes):
        first = first.decode("utf-8", "replace")
    return str(first).upper()


_KEY_SPECS: Dict[str, Tuple[int, int, int]] = {
    row["name"].upper(): (row["first_key"], row["last_key"], row["step"]) for row in _redcore.command_table()
}


def _keys_of(name: str, args: Tuple[Any, ...]) -> Optional[Tuple[Any, ...]]:
    """The keys of a command called without redis-py's ``keys=`` option,
    from the command table (None when its keys are not at fixed
    positions)."""
    spec = _KEY_SPECS.get(name)
    if spec is None or spec[0] <= 0 or spec[2] <= 0:
        return None
    first, last, step = spec
    last = len(args) + last if last < 0 else last
    return tuple(args[first:last + 1:step])


class ClientSideCache:
    """The client-side caching of one connection pool: the cache, its lock
    and the invalidation connection (see the module docstring)."""

    def __init__(self, pool: Any, cache: Any) -> None:
        self.cache = cache
        self.lock = threading.RLock()
        self._pool = weakref.ref(pool)
        self._sub: Any = None
        self._redirect: Optional[int] = None
        # Bumped whenever the cache is emptied for a lost invalidation
        # connection: a fetch that began before stores nothing.
        self._epoch = 0
        self._raw: Any = None
        self._allowed: Dict[str, bool] = {}

    def allowed(self, name: str) -> bool:
        """Whether the cache takes replies of command ``name`` (asked once
        per name: ``is_cachable`` looks at the command only)."""
        ok = self._allowed.get(name)
        if ok is None:
            ok = self._allowed[name] = bool(self.cache.is_cachable(CacheKey(command=name, redis_keys=(), redis_args=())))
        return ok

    # -- the invalidation connection ------------------------------------

    def _raw_client(self) -> Any:
        """A client on the pool whose replies are not shaped (what a
        connection reads, as redis-py caches it)."""
        if self._raw is None:
            pool = self._pool()
            if pool is None:
                raise ConnectionError("the connection pool of this cache is gone")
            enc = pool.get_encoder()
            self._raw = _redcore.Client(
                db=pool._core.db, decode_responses=enc.decode_responses, encoding=enc.encoding,
                encoding_errors=enc.encoding_errors, callbacks={}, remote=pool._core,
            )
        return self._raw

    def _connect(self) -> None:
        """Opens the invalidation connection: its id, then the channel."""
        pool = self._pool()
        if pool is None:
            raise ConnectionError("the connection pool of this cache is gone")
        sub = _redcore.Client(db=pool._core.db, callbacks={}, remote=pool._core)._subscriber()
        sub.on_connect = weak_call(self._on_reconnect)
        try:
            self._handshake(sub)
        except BaseException:
            sub.close()
            raise
        self._sub = sub

    def _handshake(self, sub: Any) -> None:
        sub.send("CLIENT", "ID")
        self._redirect = int(self._reply(sub))
        sub.send("SUBSCRIBE", _INVALIDATE)
        self._reply(sub)

    def _reply(self, sub: Any) -> Any:
        """The next reply on ``sub`` that is not an invalidation (those
        read before it are applied)."""
        while True:
            item = sub.read(self._timeout())
            if item is None:
                raise TimeoutError("Timeout reading from the invalidation connection")
            if not self._apply(item):
                return item

    def _timeout(self) -> Optional[float]:
        pool = self._pool()
        timeout = pool.connection_kwargs.get("socket_timeout", 5.0) if pool is not None else 5.0
        return 5.0 if timeout is None else float(timeout)

    def _on_reconnect(self) -> None:
        # Runs inside the subscriber's send or read that reconnected: ends
        # it, for sync() to start afresh on the new connection.
        raise _Reconnected()

    def _lost(self) -> None:
        """The invalidation connection dropped: what changed meanwhile is
        unknown, so the cache is emptied; tracking is re-pointed by the
        next miss."""
        self.cache.flush()
        self._epoch += 1
        self._redirect = None

    def _apply(self, item: Any) -> bool:
        """Applies ``item`` if it is an invalidation; True if it was."""
        if not isinstance(item, list) or not item:
            return False
        kind = item[0]
        if kind in (b"invalidate", "invalidate") and len(item) >= 2:
            keys = item[1]
        elif kind in (b"message", "message") and len(item) >= 3 and item[1] in (_INVALIDATE, _INVALIDATE.decode()):
            keys = item[2]
        else:
            return False
        if keys is None:  # FLUSHALL / FLUSHDB
            self.cache.flush()
        else:
            self.cache.delete_by_redis_keys(list(keys) if isinstance(keys, (list, tuple)) else [keys])
        return True

    def sync(self) -> None:
        """Applies the invalidations waiting on the connection (without
        waiting for more); opens it if needed. Call with the lock held."""
        sub = self._sub
        if sub is None:
            self._connect()
            return
        reconnections = 0
        try:
            while sub._ready():
                try:
                    item = sub.read(self._timeout())
                    if item is not None:
                        self._apply(item)
                except _Reconnected:
                    # A new connection: its id, its subscription, and an
                    # empty cache (changes may have been missed).
                    reconnections += 1
                    self._lost()
                    if reconnections > 3:
                        raise ConnectionError("the invalidation connection keeps dropping") from None
                    try:
                        self._handshake(sub)
                    except _Reconnected:
                        continue
            if self._redirect is None:
                self._handshake(sub)
        except (ConnectionError, TimeoutError, ResponseError, OSError):
            self._lost()
            self._sub = None
            sub.close()
            raise

    def close(self) -> None:
        """Closes the invalidation connection and empties the cache (as
        redis-py's connections do when they disconnect); the next cached
        command opens a new one."""
        with self.lock:
            sub, self._sub = self._sub, None
            self._lost()
            if sub is not None:
                sub.close()

    # -- commands --------------------------------------------------------

    def execute(self, client: Any, name: str, args: Tuple[Any, ...], keys: Any, options: Dict[str, Any]) -> Any:
        """Runs a cacheable command for ``client``: from the cache, or
        fetched (with tracking) and stored."""
        begun = self.begin(name, args, keys)
        if begun is None:
            return client._execute_uncached(args, options)
        if begun[0] is _HIT:
            return client._shape(name, begun[1], options)
        try:
            raw = self._fetch(begun[1].redirect, args)
        except BaseException:
            self.abandon(begun[1])
            raise
        self.finish(begun[1], raw)
        return client._shape(name, raw, options)

    def begin(self, name: str, args: Tuple[Any, ...], keys: Any) -> Any:
        """``(_HIT, reply)`` from the cache (a copy), ``(_MISS, fetch)``
        for a reply to fetch with ``fetch.redirect`` (an ``IN_PROGRESS``
        entry now marks it), or None when the cache cannot be used (the
        arguments do not hash, no invalidation connection)."""
        try:
            key = CacheKey(command=name, redis_keys=tuple(keys), redis_args=tuple(args))
            hash(key)
        except TypeError:
            return None
        with self.lock:
            try:
                self.sync()
            except (ConnectionError, TimeoutError, OSError):
                # No invalidations without the connection: no cache.
                return None
            entry = self.cache.get(key)
            if entry is not None and _status(entry) == "VALID":
                return _HIT, copy.deepcopy(entry.cache_value)
            placeholder = CacheEntry(cache_key=key, cache_value=None, status=CacheEntryStatus.IN_PROGRESS, connection_ref=self)
            self.cache.set(placeholder)
            return _MISS, _Fetch(key, placeholder, self._redirect, self._epoch)

    def finish(self, fetch: "_Fetch", raw: Any) -> None:
        """Stores a fetched reply, unless an invalidation (or an emptied
        cache) came while it was fetched, or it is None (as redis-py)."""
        with self.lock:
            try:
                self.sync()
            except (ConnectionError, TimeoutError, OSError):
                pass  # emptied: nothing is stored below
            current = self.cache.get(fetch.key)
            if current is not fetch.placeholder:
                return
            if raw is None or fetch.epoch != self._epoch:
                self.cache.delete_by_cache_keys([fetch.key])
            else:
                fetch.placeholder.cache_value = copy.deepcopy(raw)
                fetch.placeholder.status = CacheEntryStatus.VALID
                self.cache.set(fetch.placeholder)

    def abandon(self, fetch: "_Fetch") -> None:
        """The fetch failed: its ``IN_PROGRESS`` entry goes."""
        with self.lock:
            if self.cache.get(fetch.key) is fetch.placeholder:
                self.cache.delete_by_cache_keys([fetch.key])

    def tracking_batch(self, redirect: Any, args: Tuple[Any, ...]) -> Any:
        """A recorded two-command batch (tracking on, then the command)
        with unshaped replies, for ``redcore.asyncio`` to send."""
        pipe = _redcore.Client(parent=self._raw_client(), pipeline=True)
        pipe.execute_command("CLIENT", "TRACKING", "ON", "REDIRECT", redirect)
        pipe.execute_command(*args)
        return pipe._take_batch()

    def _fetch(self, redirect: Any, args: Tuple[Any, ...]) -> Any:
        """The command's unshaped reply, read on a pooled connection whose
        changes are reported to the invalidation connection."""
        pipe = _redcore.Client(parent=self._raw_client(), pipeline=True)
        pipe.execute_command("CLIENT", "TRACKING", "ON", "REDIRECT", redirect)
        pipe.execute_command(*args)
        tracking, reply = pipe._run_pipeline(False, False)
        return check_pair(tracking, reply)


_HIT = "hit"
_MISS = "miss"


class _Fetch:
    """A reply being fetched: its key, its ``IN_PROGRESS`` entry, the
    invalidation connection's id and the cache's epoch when it began."""

    __slots__ = ("key", "placeholder", "redirect", "epoch")

    def __init__(self, key: CacheKey, placeholder: CacheEntry, redirect: Any, epoch: int) -> None:
        self.key = key
        self.placeholder = placeholder
        self.redirect = redirect
        self.epoch = epoch


def check_pair(tracking: Any, reply: Any) -> Any:
    """The command's reply of a tracking batch (errors raised)."""
    if isinstance(tracking, Exception):
        raise tracking
    if isinstance(reply, Exception):
        raise reply
    return reply


def _status(entry: Any) -> Any:
    """An entry's status name (redis-py's enum or redcore's)."""
    return getattr(entry.status, "value", entry.status)


def _list_or_args(keys: Any, args: Tuple[Any, ...]) -> List[Any]:
    return _redcore.list_or_args(keys, args)


class CachingClient:
    """Mixed into a client class whose pool has a cache: cacheable commands
    go through the pool's :class:`ClientSideCache`. The Rust fast paths of
    cacheable commands are replaced by the same calls through
    ``execute_command``."""

    connection_pool: Any

    def execute_command(self, *args: Any, **options: Any) -> Any:
        csc = self.connection_pool.client_side_cache
        if not args:
            return super().execute_command(*args, **options)  # type: ignore[misc]
        name = _name(args[0])
        if " " in name or not csc.allowed(name):
            return super().execute_command(*args, **options)  # type: ignore[misc]
        keys = options.get("keys")
        if keys is None:
            keys = _keys_of(name, args)
            if keys is None:
                return super().execute_command(*args, **options)  # type: ignore[misc]
        return csc.execute(self, name, args, keys, options)

    def _execute_uncached(self, args: Tuple[Any, ...], options: Dict[str, Any]) -> Any:
        return super().execute_command(*args, **options)  # type: ignore[misc]

    def _shape(self, name: str, raw: Any, options: Dict[str, Any]) -> Any:
        from .client import _shape_response

        return _shape_response(self.response_callbacks, self.get_encoder(), self._protocol, name, raw, dict(options))  # type: ignore[attr-defined]


    # The Rust fast paths of cacheable commands, as execute_command calls.
    def get(self, name: Any) -> Any:
        return self.execute_command("GET", name, keys=[name])

    def mget(self, keys: Any, *args: Any) -> Any:
        names = _list_or_args(keys, args)
        return self.execute_command("MGET", *names, keys=names)

    def exists(self, *names: Any) -> Any:
        return self.execute_command("EXISTS", *names, keys=names)

    def hget(self, name: Any, key: Any) -> Any:
        return self.execute_command("HGET", name, key, keys=[name])

    def hgetall(self, name: Any) -> Any:
        return self.execute_command("HGETALL", name, keys=[name])

    def hmget(self, name: Any, keys: Any, *args: Any) -> Any:
        fields = _list_or_args(keys, args)
        return self.execute_command("HMGET", name, *fields, keys=[name])

    def lrange(self, name: Any, start: Any, end: Any) -> Any:
        return self.execute_command("LRANGE", name, start, end, keys=[name])

    def llen(self, name: Any) -> Any:
        return self.execute_command("LLEN", name, keys=[name])

    def smembers(self, name: Any) -> Any:
        return self.execute_command("SMEMBERS", name, keys=[name])

    def sismember(self, name: Any, value: Any) -> Any:
        return self.execute_command("SISMEMBER", name, value, keys=[name])

    def scard(self, name: Any) -> Any:
        return self.execute_command("SCARD", name, keys=[name])

    def zscore(self, name: Any, value: Any) -> Any:
        return self.execute_command("ZSCORE", name, value, keys=[name])

    def zcard(self, name: Any) -> Any:
        return self.execute_command("ZCARD", name, keys=[name])

    def zrevrange(self, name: Any, start: Any, end: Any, withscores: bool = False, score_cast_func: Any = None) -> Any:
        if not withscores:
            return self.execute_command("ZREVRANGE", name, start, end, keys=[name])
        options: Dict[str, Any] = {"withscores": True}
        if score_cast_func is not None:
            options["score_cast_func"] = score_cast_func
        return self.execute_command("ZREVRANGE", name, start, end, "WITHSCORES", keys=[name], **options)

    def zrank(self, name: Any, value: Any, withscore: bool = False, score_cast_func: Any = None) -> Any:
        if not withscore:
            return self.execute_command("ZRANK", name, value, keys=[name])
        options: Dict[str, Any] = {"withscore": True}
        if score_cast_func is not None:
            options["score_cast_func"] = score_cast_func
        return self.execute_command("ZRANK", name, value, "WITHSCORE", keys=[name], **options)


# The methods CachingClient replaces (the sync client's Rust fast paths).
CACHED_FAST_METHODS = ("get", "mget", "exists", "hget", "hgetall", "hmget", "lrange", "llen", "smembers", "sismember",
                       "scard", "zscore", "zcard", "zrevrange", "zrank")


class CachingRecorder:
    """Mixed into the command recorder (a sync pipeline) of a
    ``redcore.asyncio`` client whose pool has a cache: notes the last
    cacheable command recorded, for the client to answer it from the
    cache."""

    _last_cacheable: Any = None

    def execute_command(self, *args: Any, **options: Any) -> Any:
        result = super().execute_command(*args, **options)  # type: ignore[misc]
        if args:
            name = _name(args[0])
            keys = options.get("keys")
            if keys is None:
                keys = _keys_of(name, args)
            if keys is not None and " " not in name:
                self._last_cacheable = (name, args, keys, options)
        return result

    def take_cacheable(self) -> Any:
        last, self._last_cacheable = self._last_cacheable, None
        return last


_CACHING_CLASSES: "weakref.WeakKeyDictionary[type, type]" = weakref.WeakKeyDictionary()


def caching_class(cls: type) -> type:
    """``cls`` with :class:`CachingClient` mixed in (one class per ``cls``,
    named like it)."""
    if issubclass(cls, CachingClient):
        return cls
    made = _CACHING_CLASSES.get(cls)
    if made is None:
        made = type(cls.__name__, (CachingClient, cls), {"__module__": cls.__module__, "__qualname__": cls.__qualname__})
        _CACHING_CLASSES[cls] = made
    return made


__all__ = ["CACHED_FAST_METHODS", "CachingClient", "CachingRecorder", "check_pair", "ClientSideCache", "caching_class", "check_protocol", "make_cache"]
