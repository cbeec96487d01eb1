"""redis-py's client-side cache objects (``redis.cache``), re-exported by
:mod:`redcore.cache`.

``Redis(host=..., protocol=3, cache_config=CacheConfig())`` keeps the
replies of read-only commands (``CacheConfig.DEFAULT_ALLOW_LIST``) in a
:class:`DefaultCache` (behind a :class:`CacheProxy`, which evicts the
least recently used entry past ``max_size``); the server's invalidation
messages remove them (see :mod:`redcore._csc`). The classes here are the
storage: an ordered mapping from :class:`CacheKey` to :class:`CacheEntry`,
an eviction policy, a configuration and a factory, with redis-py's names,
arguments and methods, so code that inspects or replaces the cache works.

    >>> from redcore.cache import CacheConfig, CacheFactory, CacheKey, CacheEntry, CacheEntryStatus
    >>> cache = CacheFactory(CacheConfig(max_size=2)).get_cache()
    >>> for k in ("a", "b", "c"):
    ...     cache.set(CacheEntry(CacheKey("GET", (k,), ("GET", k)), b"v", CacheEntryStatus.VALID, None))
    True
    True
    True
    >>> [key.redis_keys for key in cache.collection]  # "a" was evicted
    [('b',), ('c',)]
    >>> cache.delete_by_redis_keys([b"b"])
    [True]
    >>> cache.size
    1

With redis-py installed, these classes also derive from redis-py's
abstract interfaces (``isinstance(cache, redis.cache.CacheInterface)``
holds), and redcore accepts a cache written against redis-py's interface.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import OrderedDict
from dataclasses import dataclass
from enum import Enum
from typing import Any, Dict, List, Optional, Set, Tuple, Union

from . import _redcore
from ._compat import adopt, redis_base

# The reads whose replies a client-side cache may keep: the command table's
# "cacheable" commands, and the RedisJSON and RedisTimeSeries reads that
# redis-py's cache also allows. redcore's engine has no modules, so those
# are not in its table; a remote Redis Stack serves them.
_CACHEABLE = [row["name"].upper() for row in _redcore.command_table() if "cacheable" in row["traits"]]
_MODULE_READS = [
    *(f"JSON.{c}" for c in ("ARRINDEX", "ARRLEN", "GET", "MGET", "OBJKEYS", "OBJLEN", "RESP", "STRLEN", "TYPE")),
    *(f"TS.{c}" for c in ("GET", "INFO", "RANGE", "REVRANGE")),
]


def _interface(name: str) -> tuple:
    """The bases of an interface: redis-py's (itself an ABC) when
    installed, else ``ABC``."""
    return redis_base("redis.cache", name) or (ABC,)


class CacheEntryStatus(Enum):
    """An entry holds a reply (``VALID``) or marks a reply being fetched
    (``IN_PROGRESS``: not served, and dropped if invalidated meanwhile)."""

    VALID = "VALID"
    IN_PROGRESS = "IN_PROGRESS"


class EvictionPolicyType(Enum):
    time_based = "time_based"
    frequency_based = "frequency_based"


@dataclass(frozen=True)
class CacheKey:
    """What a cached reply answers: the command name (upper case), the
    Redis keys it reads (invalidation removes entries by them) and its
    whole argument list (two calls share an entry only when equal)."""

    command: str
    redis_keys: tuple
    redis_args: tuple = ()


class CacheEntry:
    """A cached reply (``cache_value``, as the connection read it, before
    response callbacks) with its key, status and the connection that
    fetched it (``connection_ref``)."""

    def __init__(self, cache_key: CacheKey, cache_value: Any, status: CacheEntryStatus, connection_ref: Any) -> None:
        self.cache_key = cache_key
        self.cache_value = cache_value
        self.status = status
        self.connection_ref = connection_ref

    def __hash__(self) -> int:
        return hash((self.cache_key, _hashable(self.cache_value), self.status, id(self.connection_ref)))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CacheEntry) and hash(self) == hash(other)

    def __repr__(self) -> str:
        return f"CacheEntry({self.cache_key!r}, {self.cache_value!r}, {self.status})"


def _hashable(value: Any) -> Any:
    """``value`` made hashable (replies hold lists and dicts)."""
    if isinstance(value, (list, tuple)):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, (set, frozenset)):
        return frozenset(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple((_hashable(k), _hashable(v)) for k, v in value.items())
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


class EvictionPolicyInterface(*_interface("EvictionPolicyInterface")):  # type: ignore[misc]
    """Chooses which entries leave a full cache."""

    @property
    @abstractmethod
    def cache(self) -> Any: ...

    @cache.setter
    @abstractmethod
    def cache(self, value: Any) -> None: ...

    @property
    @abstractmethod
    def type(self) -> EvictionPolicyType: ...

    @abstractmethod
    def evict_next(self) -> CacheKey: ...

    @abstractmethod
    def evict_many(self, count: int) -> List[CacheKey]: ...

    @abstractmethod
    def touch(self, cache_key: CacheKey) -> None: ...


class CacheConfigurationInterface(*_interface("CacheConfigurationInterface")):  # type: ignore[misc]
    """What a cache is made of and what it may hold."""

    @abstractmethod
    def get_cache_class(self) -> Any: ...

    @abstractmethod
    def get_max_size(self) -> int: ...

    @abstractmethod
    def get_eviction_policy(self) -> Any: ...

    @abstractmethod
    def is_exceeds_max_size(self, count: int) -> bool: ...

    @abstractmethod
    def is_allowed_to_cache(self, command: str) -> bool: ...


class CacheInterface(*_interface("CacheInterface")):  # type: ignore[misc]
    """A client-side cache: entries by :class:`CacheKey`, removable by the
    Redis keys they read."""

    @property
    @abstractmethod
    def collection(self) -> OrderedDict: ...

    @property
    @abstractmethod
    def config(self) -> CacheConfigurationInterface: ...

    @property
    @abstractmethod
    def eviction_policy(self) -> EvictionPolicyInterface: ...

    @property
    @abstractmethod
    def size(self) -> int: ...

    @abstractmethod
    def get(self, key: CacheKey) -> Optional[CacheEntry]: ...

    @abstractmethod
    def set(self, entry: CacheEntry) -> bool: ...

    @abstractmethod
    def delete_by_cache_keys(self, cache_keys: List[CacheKey]) -> List[bool]: ...

    @abstractmethod
    def delete_by_redis_keys(self, redis_keys: List[Any]) -> List[bool]: ...

    @abstractmethod
    def flush(self) -> int: ...

    @abstractmethod
    def is_cachable(self, key: CacheKey) -> bool: ...


def _key_forms(redis_key: Any) -> Tuple[Any, ...]:
    """A Redis key as ``str`` and as ``bytes`` (entries hold it as the
    caller gave it; invalidation messages carry bytes)."""
    if isinstance(redis_key, str):
        return (redis_key, redis_key.encode("utf-8"))
    if isinstance(redis_key, bytes):
        try:
            return (redis_key, redis_key.decode("utf-8"))
        except UnicodeDecodeError:
            return (redis_key,)
    return (redis_key,)


class DefaultCache(CacheInterface):
    """An ordered dict of entries (``collection``; the eviction policy
    keeps its order) made from a :class:`CacheConfig`. It does not evict by
    itself: :class:`CacheProxy` (what :class:`CacheFactory` returns, and so
    what ``cache_config=`` uses) does, past ``max_size``.

    Not thread-safe by itself: a client serializes its calls."""

    def __init__(self, cache_config: CacheConfigurationInterface) -> None:
        self._cache: "OrderedDict[CacheKey, CacheEntry]" = OrderedDict()
        # Redis key (as str and bytes) -> cache keys reading it, so an
        # invalidation costs what it removes, not a scan of the cache.
        # Entries the eviction policy pops from ``collection`` linger
        # here until checked or the index is rebuilt.
        self._index: Dict[Any, Set[CacheKey]] = {}
        self._indexed = 0
        self._cache_config = cache_config
        self._eviction_policy = self._cache_config.get_eviction_policy().value()
        self._eviction_policy.cache = self

    @property
    def collection(self) -> OrderedDict:
        return self._cache

    @property
    def config(self) -> CacheConfigurationInterface:
        return self._cache_config

    @property
    def eviction_policy(self) -> EvictionPolicyInterface:
        return self._eviction_policy

    @property
    def size(self) -> int:
        return len(self._cache)

    def set(self, entry: CacheEntry) -> bool:
        """Stores ``entry`` (the most recently used); False, and nothing
        stored, when its command may not be cached."""
        if not self.is_cachable(entry.cache_key):
            return False
        key = entry.cache_key
        if key not in self._cache:
            self._add_to_index(key)
        self._cache[key] = entry
        self._eviction_policy.touch(key)
        return True

    def _add_to_index(self, key: CacheKey) -> None:
        if self._indexed > 2 * len(self._cache) + 64:
            self._rebuild_index()
        for redis_key in key.redis_keys:
            for form in _key_forms(redis_key):
                try:
                    self._index.setdefault(form, set()).add(key)
                except TypeError:  # an unhashable key: never invalidated by name
                    pass
        self._indexed += 1

    def _rebuild_index(self) -> None:
        self._index = {}
        self._indexed = 0
        for key in list(self._cache):
            self._add_to_index(key)

    def get(self, key: CacheKey) -> Optional[CacheEntry]:
        """The entry for ``key`` (now the most recently used), or None."""
        entry = self._cache.get(key)
        if entry is None:
            return None
        self._eviction_policy.touch(key)
        return entry

    def delete_by_cache_keys(self, cache_keys: List[CacheKey]) -> List[bool]:
        """Removes the entries of ``cache_keys``: whether each was there."""
        return [self._cache.pop(key, None) is not None for key in cache_keys]

    def delete_by_redis_keys(self, redis_keys: Union[List[bytes], List[str]]) -> List[bool]:
        """Removes every entry reading any of ``redis_keys`` (``str`` and
        ``bytes`` match each other): one True per entry removed."""
        doomed: Set[CacheKey] = set()
        for redis_key in redis_keys:
            for form in _key_forms(redis_key):
                try:
                    doomed.update(self._index.pop(form, ()))
                except TypeError:
                    continue
        removed = [ck for ck in doomed if self._cache.pop(ck, None) is not None]
        return [True] * len(removed)

    def flush(self) -> int:
        """Removes every entry; returns how many there were."""
        count = len(self._cache)
        self._cache.clear()
        self._index = {}
        self._indexed = 0
        return count

    def is_cachable(self, key: CacheKey) -> bool:
        return self._cache_config.is_allowed_to_cache(key.command)


class CacheProxy(CacheInterface):
    """Wraps a cache; adds eviction: after a ``set`` that takes the cache
    past its configured ``max_size``, the eviction policy removes one
    entry."""

    def __init__(self, cache: CacheInterface) -> None:
        self._cache = cache

    @property
    def collection(self) -> OrderedDict:
        return self._cache.collection

    @property
    def config(self) -> CacheConfigurationInterface:
        return self._cache.config

    @property
    def eviction_policy(self) -> EvictionPolicyInterface:
        return self._cache.eviction_policy

    @property
    def size(self) -> int:
        return self._cache.size

    def get(self, key: CacheKey) -> Optional[CacheEntry]:
        return self._cache.get(key)

    def set(self, entry: CacheEntry) -> bool:
        stored = self._cache.set(entry)
        if self.config.is_exceeds_max_size(self.size):
            self.eviction_policy.evict_next()
        return stored

    def delete_by_cache_keys(self, cache_keys: List[CacheKey]) -> List[bool]:
        return self._cache.delete_by_cache_keys(cache_keys)

    def delete_by_redis_keys(self, redis_keys: List[Any]) -> List[bool]:
        return self._cache.delete_by_redis_keys(redis_keys)

    def flush(self) -> int:
        return self._cache.flush()

    def is_cachable(self, key: CacheKey) -> bool:
        return self._cache.is_cachable(key)


class LRUPolicy(EvictionPolicyInterface):
    """Least recently used first: ``touch`` moves an entry to the end of
    the cache's ``collection``, eviction takes from the front."""

    def __init__(self) -> None:
        self._cache: Any = None

    @property
    def cache(self) -> Any:
        return self._cache

    @cache.setter
    def cache(self, cache: Any) -> None:
        self._cache = cache

    @property
    def type(self) -> EvictionPolicyType:
        return EvictionPolicyType.time_based

    def evict_next(self) -> CacheKey:
        """Removes the least recently used entry; returns its key."""
        self._assert_cache()
        return self._cache.collection.popitem(last=False)[0]

    def evict_many(self, count: int) -> List[CacheKey]:
        """Removes the ``count`` least recently used entries."""
        self._assert_cache()
        if count > len(self._cache.collection):
            raise ValueError("Evictions count is above cache size")
        return [self._cache.collection.popitem(last=False)[0] for _ in range(count)]

    def touch(self, cache_key: CacheKey) -> None:
        """Marks the entry of ``cache_key`` as the most recently used."""
        self._assert_cache()
        if self._cache.collection.get(cache_key) is None:
            raise ValueError("Given entry does not belong to the cache")
        self._cache.collection.move_to_end(cache_key)

    def _assert_cache(self) -> None:
        if self.cache is None or not is_cache(self.cache):
            raise ValueError("Eviction policy should be associated with valid cache.")


class EvictionPolicy(Enum):
    LRU = LRUPolicy


class CacheConfig(CacheConfigurationInterface):
    """The cache ``cache_config=`` builds: ``max_size`` entries (10,000 by
    default), ``cache_class`` (made with ``cache_config=self``), the
    ``eviction_policy`` and the commands whose replies may be kept
    (``DEFAULT_ALLOW_LIST``, redis-py's list of read-only commands: the
    command table's ``cacheable`` ones and the module reads)."""

    DEFAULT_CACHE_CLASS: Any = DefaultCache
    DEFAULT_EVICTION_POLICY = EvictionPolicy.LRU
    DEFAULT_MAX_SIZE = 10000

    DEFAULT_ALLOW_LIST = sorted([*_CACHEABLE, *_MODULE_READS])

    def __init__(self, max_size: int = DEFAULT_MAX_SIZE, cache_class: Any = DEFAULT_CACHE_CLASS,
                 eviction_policy: EvictionPolicy = DEFAULT_EVICTION_POLICY) -> None:
        self._cache_class = cache_class
        self._max_size = max_size
        self._eviction_policy = eviction_policy

    def get_cache_class(self) -> Any:
        return self._cache_class

    def get_max_size(self) -> int:
        return self._max_size

    def get_eviction_policy(self) -> EvictionPolicy:
        return self._eviction_policy

    def is_exceeds_max_size(self, count: int) -> bool:
        return count > self._max_size

    def is_allowed_to_cache(self, command: str) -> bool:
        return command in self.DEFAULT_ALLOW_LIST


class CacheFactoryInterface(*_interface("CacheFactoryInterface")):  # type: ignore[misc]
    @abstractmethod
    def get_cache(self) -> CacheInterface: ...


class CacheFactory(CacheFactoryInterface):
    """Makes the cache of a ``cache_config``: its ``cache_class`` behind
    a :class:`CacheProxy`."""

    def __init__(self, cache_config: Optional[CacheConfig] = None) -> None:
        self._config = cache_config if cache_config is not None else CacheConfig()

    def get_cache(self) -> CacheInterface:
        cache_class = self._config.get_cache_class()
        return CacheProxy(cache_class(cache_config=self._config))


# redis-py's own interface: a cache written for it is accepted too.
_FOREIGN_CACHE = redis_base("redis.cache", "CacheInterface")


def is_cache(obj: Any) -> bool:
    """Whether ``obj`` implements redcore's or redis-py's ``CacheInterface``."""
    return isinstance(obj, (CacheInterface, *_FOREIGN_CACHE))


for _cls in (EvictionPolicyInterface, CacheConfigurationInterface, CacheInterface, DefaultCache, CacheProxy,
             LRUPolicy, CacheConfig, CacheFactoryInterface, CacheFactory):
    adopt(_cls)


__all__ = [
    "CacheConfig",
    "CacheConfigurationInterface",
    "CacheEntry",
    "CacheEntryStatus",
    "CacheFactory",
    "CacheFactoryInterface",
    "CacheInterface",
    "CacheKey",
    "CacheProxy",
    "DefaultCache",
    "EvictionPolicy",
    "EvictionPolicyInterface",
    "EvictionPolicyType",
    "LRUPolicy",
]
