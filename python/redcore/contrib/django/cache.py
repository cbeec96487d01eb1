"""``RedcoreCache``: a Django cache backend on a redcore (or redis-py)
client, configured the way django-redis is::

    CACHES = {
        "default": {
            "BACKEND": "redcore.contrib.django.cache.RedcoreCache",
            "LOCATION": "redis://127.0.0.1:6379/1",   # or "memory://name"
            "KEY_PREFIX": "site",
            "TIMEOUT": 300,          # seconds; None: forever; 0: don't keep
            "OPTIONS": {
                "CLIENT_KWARGS": {"socket_timeout": 5},
                "CLIENT_FACTORY": "redis.Redis.from_url",  # default redcore's
                "SERIALIZER": "path.to.Serializer",        # dumps/loads
                "CLEAR": "prefix",   # or "flushdb" (only on a dedicated db)
            },
        }
    }

Values are pickled, except ints, which are stored as plain numbers so
``incr``/``decr`` run as atomic INCRBY on the server. Commands over several
keys (``get_many``, ``set_many``, ``delete_many``, ``clear``) are sent as
pipelines of single-key commands, so they also work on a Redis Cluster.
"""

from __future__ import annotations

import pickle
import re
import sys
from typing import Any, Dict, Iterable, List, Optional

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache, default_key_func
from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import cached_property
from django.utils.module_loading import import_string

from ._client import client_for

__all__ = ["RedcoreCache", "Serializer"]


class Serializer:
    """The default value serializer: pickle, but ints (not bools) as
    numbers so the server can increment them.

    >>> s = Serializer()
    >>> s.dumps(42), s.loads(b"42"), s.loads(s.dumps([1, "a"]))
    (42, 42, [1, 'a'])
    """

    def __init__(self, protocol: Optional[int] = None) -> None:
        self.protocol = pickle.HIGHEST_PROTOCOL if protocol is None else protocol

    def dumps(self, obj: Any) -> Any:
        if type(obj) is int:
            return obj
        return pickle.dumps(obj, self.protocol)

    def loads(self, data: Any) -> Any:
        try:
            return int(data)
        except ValueError:
            return pickle.loads(data)


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)


def _watch_errors() -> tuple:
    import redcore.exceptions

    errors: List[type] = [redcore.exceptions.WatchError]
    redis_exceptions = sys.modules.get("redis.exceptions")
    if redis_exceptions is not None:
        errors.append(redis_exceptions.WatchError)
    return tuple(errors)


class RedcoreCache(BaseCache):
    """Django cache backend storing each entry as a Redis string with a
    TTL. ``clear()`` deletes only this cache's keys (those starting with
    ``KEY_PREFIX:``, found with SCAN) unless ``OPTIONS["CLEAR"]`` is
    ``"flushdb"``; a custom ``KEY_FUNCTION`` needs ``OPTIONS["CLEAR_PATTERN"]``.

    >>> from django.conf import settings
    >>> cache = RedcoreCache("memory://cache-doctest", {"KEY_PREFIX": "doc"})
    >>> cache.set("answer", 42, timeout=None)
    >>> cache.incr("answer"), cache.get("answer"), cache.make_key("answer")
    (43, 43, 'doc:1:answer')
    """

    def __init__(self, server: Any, params: Dict[str, Any]) -> None:
        super().__init__(params)
        if isinstance(server, (list, tuple)):
            if len(server) != 1:
                raise ValueError("RedcoreCache takes one LOCATION")
            server = server[0]
        self._location: Optional[str] = server or None
        options = params.get("OPTIONS", {})
        self._client_kwargs = dict(options.get("CLIENT_KWARGS", {}))
        self._client_factory = options.get("CLIENT_FACTORY")
        serializer = options.get("SERIALIZER") or Serializer
        if isinstance(serializer, str):
            serializer = import_string(serializer)
        self._serializer = serializer() if isinstance(serializer, type) else serializer
        self._clear_mode = options.get("CLEAR", "prefix")
        if self._clear_mode not in ("prefix", "flushdb"):
            raise ValueError("OPTIONS['CLEAR'] must be 'prefix' or 'flushdb'")
        self._clear_pattern = options.get("CLEAR_PATTERN")
        self._scan_count = int(options.get("SCAN_COUNT", 1000))

    @cached_property
    def client(self) -> Any:
        """The (process-wide) client behind this cache."""
        return client_for(self._location, self._client_kwargs, self._client_factory)

    @cached_property
    def _watch_errors(self) -> tuple:
        return _watch_errors()

    def close(self, **kwargs: Any) -> None:
        """Django calls this after each request; the shared client stays
        open."""

    # --- timeouts -------------------------------------------------------

    def get_backend_timeout(self, timeout: Any = DEFAULT_TIMEOUT) -> Optional[int]:
        """Milliseconds to keep an entry: None for forever, 0 for not at all."""
        if timeout is DEFAULT_TIMEOUT:
            timeout = self.default_timeout
        if timeout is None:
            return None
        return max(0, int(float(timeout) * 1000))

    def _encode(self, value: Any) -> Any:
        return self._serializer.dumps(value)

    def _decode(self, data: Any) -> Any:
        return self._serializer.loads(data)

    # --- single keys ----------------------------------------------------

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        """Stores ``value`` only if ``key`` is absent; True if stored."""
        key = self.make_and_validate_key(key, version=version)
        ms = self.get_backend_timeout(timeout)
        if ms == 0:
            # Stored and gone at once: only whether it was absent shows.
            return not self.client.exists(key)
        return bool(self.client.set(key, self._encode(value), nx=True, px=ms))

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        key = self.make_and_validate_key(key, version=version)
        data = self.client.get(key)
        return default if data is None else self._decode(data)

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> None:
        key = self.make_and_validate_key(key, version=version)
        ms = self.get_backend_timeout(timeout)
        if ms == 0:
            self.client.delete(key)
        else:
            self.client.set(key, self._encode(value), px=ms)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        """Gives ``key`` a new timeout; True if it exists."""
        key = self.make_and_validate_key(key, version=version)
        ms = self.get_backend_timeout(timeout)
        if ms == 0:
            return bool(self.client.delete(key))
        if ms is None:
            pipe = self.client.pipeline(transaction=True)
            pipe.exists(key)
            pipe.persist(key)
            return bool(pipe.execute()[0])
        return bool(self.client.pexpire(key, ms))

    def delete(self, key: Any, version: Any = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        return bool(self.client.delete(key))

    def has_key(self, key: Any, version: Any = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        return bool(self.client.exists(key))

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        """Adds ``delta`` atomically (INCRBY, keeping the TTL); ValueError
        if ``key`` is absent, as every Django cache does."""
        made = self.make_and_validate_key(key, version=version)
        with self.client.pipeline(transaction=True) as pipe:
            while True:
                try:
                    # WATCH makes "exists, then increment" one step: the key
                    # cannot expire or vanish in between.
                    pipe.watch(made)
                    if not pipe.exists(made):
                        raise ValueError(f"Key '{key}' not found.")
                    pipe.multi()
                    pipe.incrby(made, delta)
                    return int(pipe.execute()[0])
                except self._watch_errors:
                    pipe.reset()

    # --- several keys ---------------------------------------------------

    def get_many(self, keys: Iterable[Any], version: Any = None) -> Dict[Any, Any]:
        key_map = {self.make_and_validate_key(key, version=version): key for key in keys}
        if not key_map:
            return {}
        pipe = self.client.pipeline(transaction=False)
        for made in key_map:
            pipe.get(made)
        return {
            key_map[made]: self._decode(data) for made, data in zip(key_map, pipe.execute()) if data is not None
        }

    def set_many(self, data: Dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> List[Any]:
        if not data:
            return []
        ms = self.get_backend_timeout(timeout)
        pipe = self.client.pipeline(transaction=False)
        for key, value in data.items():
            made = self.make_and_validate_key(key, version=version)
            if ms == 0:
                pipe.delete(made)
            else:
                pipe.set(made, self._encode(value), px=ms)
        pipe.execute()
        return []

    def delete_many(self, keys: Iterable[Any], version: Any = None) -> None:
        made = [self.make_and_validate_key(key, version=version) for key in keys]
        self._delete_keys(made)

    def _delete_keys(self, keys: List[Any]) -> int:
        if not keys:
            return 0
        pipe = self.client.pipeline(transaction=False)
        for key in keys:
            pipe.delete(key)
        return sum(pipe.execute())

    def clear_pattern(self) -> str:
        """The SCAN pattern of this cache's keys."""
        if self._clear_pattern:
            return str(self._clear_pattern)
        if self.key_func is not default_key_func:
            raise ImproperlyConfigured(
                "RedcoreCache.clear() with a custom KEY_FUNCTION needs OPTIONS['CLEAR_PATTERN']"
            )
        return _glob_escape(str(self.key_prefix)) + ":*"

    def clear(self) -> bool:
        """Deletes this cache's keys (or the whole db with CLEAR=flushdb)."""
        if self._clear_mode == "flushdb":
            return bool(self.client.flushdb())
        batch: List[Any] = []
        for key in self.client.scan_iter(match=self.clear_pattern(), count=self._scan_count):
            batch.append(key)
            if len(batch) >= self._scan_count:
                self._delete_keys(batch)
                batch = []
        self._delete_keys(batch)
        return True
