"""Serializers and stable key derivation for :mod:`redcore.cache`.

Serializers turn a function's return value into bytes and back. Any object
with ``dumps(obj) -> bytes`` and ``loads(bytes) -> obj`` methods will do;
these are the built-in ones:

    >>> MsgpackSerializer().loads(MsgpackSerializer().dumps({"a": [1, 2.5, b"x"]}))
    {'a': [1, 2.5, b'x']}
    >>> JsonSerializer().dumps({"a": 1})
    b'{"a":1}'
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import hashlib
import inspect
import json
import pickle
import uuid
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

from . import _redcore


class MsgpackSerializer:
    """MessagePack, encoded in Rust (``_redcore.msgpack_dumps/loads``).

    None, bool, int (any size: outside 64 bits an ext value of type 1),
    float (64-bit, inf/nan included), str, bytes (also bytearray and
    memoryview), list, tuple (loads as list) and dict (keys: str, bytes,
    int, float, bool or None). Anything else raises
    :class:`~redcore.exceptions.DataError` naming the type. The bytes are
    what the ``msgpack`` package writes with its defaults, so other
    MessagePack readers understand them.

    >>> s = MsgpackSerializer()
    >>> s.dumps([1, "a"])
    b'\\x92\\x01\\xa1a'
    >>> s.loads(b'\\x92\\x01\\xa1a')
    [1, 'a']
    """

    name = "msgpack"

    def dumps(self, obj: Any) -> bytes:
        return _redcore.msgpack_dumps(obj)

    def loads(self, data: bytes) -> Any:
        return _redcore.msgpack_loads(data)


class JsonSerializer:
    """JSON (UTF-8, compact). Tuples load as lists and non-str dict keys
    as str, as ``json`` does; bytes cannot be stored.

    >>> JsonSerializer().loads(JsonSerializer().dumps({"n": (1, 2)}))
    {'n': [1, 2]}
    """

    name = "json"

    def dumps(self, obj: Any) -> bytes:
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    def loads(self, data: bytes) -> Any:
        return json.loads(data)


class PickleSerializer:
    """pickle (highest protocol): stores almost any Python object.

    Warning: unpickling runs code chosen by whoever wrote the bytes. Use it
    only when nobody untrusted can write to the cache's keys; redcore never
    picks it unless asked by name (``serializer="pickle"``).

    >>> PickleSerializer().loads(PickleSerializer().dumps({1, 2}))
    {1, 2}
    """

    name = "pickle"

    def dumps(self, obj: Any) -> bytes:
        return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)

    def loads(self, data: bytes) -> Any:
        return pickle.loads(data)  # noqa: S301 - opt-in, documented above


_SERIALIZERS = {"msgpack": MsgpackSerializer, "json": JsonSerializer, "pickle": PickleSerializer}


def resolve_serializer(serializer: Any) -> Any:
    """A serializer object for a name (``"msgpack"``, ``"json"``,
    ``"pickle"``) or an object with ``dumps``/``loads``."""
    if isinstance(serializer, str):
        try:
            return _SERIALIZERS[serializer]()
        except KeyError:
            raise ValueError(f"unknown serializer {serializer!r} (expected one of {sorted(_SERIALIZERS)})") from None
    if callable(getattr(serializer, "dumps", None)) and callable(getattr(serializer, "loads", None)):
        return serializer
    raise TypeError("serializer must be 'msgpack', 'json', 'pickle' or an object with dumps() and loads()")


# --- key derivation -----------------------------------------------------

# Types whose repr() is stable across processes and describes the value.
_REPR_TYPES = (datetime.date, datetime.time, datetime.timedelta, decimal.Decimal, uuid.UUID, complex)


def _canonical(obj: Any, out: List[bytes], depth: int = 0) -> None:
    """Appends an unambiguous, process-independent encoding of ``obj``
    (type-tagged, length-prefixed; dicts and sets sorted)."""
    if depth > 100:
        raise TypeError("cannot derive a cache key: arguments nested too deeply")
    if obj is None:
        out.append(b"N")
    elif obj is True or obj is False:
        out.append(b"T" if obj else b"F")
    elif isinstance(obj, enum.Enum):
        out.append(b"e%s.%s:%s;" % (type(obj).__module__.encode(), type(obj).__qualname__.encode(), obj.name.encode()))
    elif isinstance(obj, int):
        out.append(b"i%d;" % obj)
    elif isinstance(obj, float):
        out.append(b"f" + obj.hex().encode() + b";")
    elif isinstance(obj, str):
        data = obj.encode("utf-8", "surrogatepass")
        out.append(b"s%d:" % len(data) + data)
    elif isinstance(obj, (bytes, bytearray, memoryview)):
        data = bytes(obj)
        out.append(b"b%d:" % len(data) + data)
    elif isinstance(obj, (list, tuple)):
        out.append(b"l(" if isinstance(obj, list) else b"t(")
        for item in obj:
            _canonical(item, out, depth + 1)
        out.append(b")")
    elif isinstance(obj, dict):
        pairs = sorted((_encode(k, depth + 1), _encode(v, depth + 1)) for k, v in obj.items())
        out.append(b"d(" + b"".join(k + v for k, v in pairs) + b")")
    elif isinstance(obj, (set, frozenset)):
        out.append(b"S(" + b"".join(sorted(_encode(item, depth + 1) for item in obj)) + b")")
    elif callable(getattr(obj, "__cache_key__", None)):
        out.append(b"k" + type(obj).__qualname__.encode() + b"(")
        _canonical(obj.__cache_key__(), out, depth + 1)
        out.append(b")")
    elif isinstance(obj, _REPR_TYPES):
        out.append(b"r" + repr(obj).encode() + b";")
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out.append(b"D" + type(obj).__qualname__.encode() + b"(")
        for field in dataclasses.fields(obj):
            _canonical(field.name, out, depth + 1)
            _canonical(getattr(obj, field.name), out, depth + 1)
        out.append(b")")
    else:
        raise TypeError(
            f"cannot derive a cache key from an argument of type {type(obj).__qualname__!r}: "
            "give it a __cache_key__() method, pass key= to cached(), or list the parameter in ignore="
        )


def _encode(obj: Any, depth: int) -> bytes:
    out: List[bytes] = []
    _canonical(obj, out, depth)
    return b"".join(out)


class KeyMaker:
    """Derives the cache key (without the namespace prefix) of a call.

    Default: ``module.qualname:`` + a 128-bit BLAKE2b digest of the bound
    arguments (defaults applied, so ``f(1)`` and ``f(x=1)`` share a key).
    ``key`` may be a format string over the parameter names
    (``"user:{user_id}"``) or a callable taking the call's arguments and
    returning a str.

    >>> def price(sku, currency="EUR"): ...
    >>> km = KeyMaker(price)
    >>> km(("A1",), {}) == km((), {"sku": "A1", "currency": "EUR"})
    True
    >>> KeyMaker(price, key="price:{sku}:{currency}")(("A1",), {})
    'price:A1:EUR'
    """

    def __init__(self, func: Callable[..., Any], key: Union[None, str, Callable[..., Any]] = None, ignore: Tuple[str, ...] = ()) -> None:
        self.func = func
        self.key = key
        self.ignore = frozenset(ignore)
        self.name = f"{func.__module__}.{func.__qualname__}"
        self.signature: Optional[inspect.Signature]
        try:
            self.signature = inspect.signature(func)
        except (TypeError, ValueError):  # some builtins have none
            self.signature = None
        # Plain parameters (the common case) are bound by hand: Signature.bind
        # costs more than the rest of a cache hit.
        self._names: Optional[Tuple[str, ...]] = None
        self._defaults: Dict[str, Any] = {}
        if self.signature is not None:
            unknown = self.ignore - set(self.signature.parameters)
            if unknown:
                raise ValueError(f"ignore= names parameters {sorted(unknown)} that {self.name} does not have")
            params = self.signature.parameters.values()
            if all(p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD for p in params):
                self._names = tuple(p.name for p in params)
                self._defaults = {p.name: p.default for p in params if p.default is not inspect.Parameter.empty}

    def bind(self, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Dict[str, Any]:
        """The call's arguments by parameter name, in parameter order,
        defaults applied."""
        names = self._names
        if names is not None and len(args) <= len(names):
            given = dict(zip(names, args))
            if len(given) + len(kwargs) == len(names) and not any(k in given for k in kwargs) and all(k in names for k in kwargs):
                given.update(kwargs)
                return {n: given[n] for n in names} if kwargs else given
            if not kwargs and len(given) + len(self._defaults) >= len(names):
                missing = names[len(given):]
                if all(n in self._defaults for n in missing):
                    for n in missing:
                        given[n] = self._defaults[n]
                    return given
        if self.signature is None:
            return {"args": args, "kwargs": kwargs}
        bound = self.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return bound.arguments

    def __call__(self, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> str:
        key = self.key
        if key is None:
            arguments = self.bind(args, kwargs)
            out: List[bytes] = []
            for name, value in arguments.items():
                if name not in self.ignore:
                    _canonical(name, out)
                    _canonical(value, out)
            return f"{self.name}:{hashlib.blake2b(b''.join(out), digest_size=16).hexdigest()}"
        if isinstance(key, str):
            return key.format(**self.bind(args, kwargs))
        made = key(*args, **kwargs)
        if isinstance(made, bytes):
            made = made.decode("utf-8")
        if not isinstance(made, str):
            raise TypeError(f"key= callable must return str, not {type(made).__name__}")
        return made


__all__ = ["JsonSerializer", "KeyMaker", "MsgpackSerializer", "PickleSerializer", "resolve_serializer"]
