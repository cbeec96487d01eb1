"""Type compatibility with redis-py, when it is installed.

Libraries written for redis-py check ``isinstance(client, redis.Redis)``
and catch ``redis.exceptions.ResponseError``. When redis-py can be
imported, redcore's classes also derive from the matching redis-py class,
so they pass those checks, while behaving exactly as without redis-py:

- redis-py's classes come last among the bases, so redcore's own methods
  win;
- :func:`adopt` shadows every attribute that a redis-py base defines and
  redcore's own classes do not, so such a name raises ``AttributeError``
  as it would without redis-py, instead of running redis-py code on an
  object whose ``__init__`` redis-py never ran;
- a method redcore inherits from a class after redis-py's in the MRO
  (``object.__repr__``, ``BaseException.__str__``...) is copied onto the
  class so it wins again, and redis-py's ``__del__`` becomes a no-op.

redcore never requires redis-py: without it :func:`redis_base` returns
nothing and :func:`adopt` does nothing.
"""

from __future__ import annotations

import importlib
import weakref
from typing import Any, Optional, Tuple


def _import(module: str) -> Optional[Any]:
    """A redis-py module, or None when redis-py is not importable (or
    ``redis`` is a shim pointing back at redcore)."""
    try:
        mod = importlib.import_module(module)
    except Exception:
        return None
    name = getattr(mod, "__name__", "")
    if not name.startswith("redis") or getattr(mod, "__redcore__", False):
        return None
    return mod


def weak_call(method: Any) -> Any:
    """A function calling bound ``method`` while its object lives (no
    reference cycle through the object's own attributes: a Rust object
    holding the callback cannot take part in garbage collection)."""
    ref = weakref.WeakMethod(method)

    def call() -> None:
        bound = ref()
        if bound is not None:
            bound()

    return call


def redis_base(module: str, name: str) -> Tuple[type, ...]:
    """``(redis_py_class,)`` for ``module.name`` when redis-py is
    importable, else ``()``: splice into a class's bases with ``*``."""
    mod = _import(module)
    cls = getattr(mod, name, None) if mod is not None else None
    return (cls,) if isinstance(cls, type) else ()


class _Absent:
    """A class attribute that behaves as if it were not there: reading it
    raises ``AttributeError`` (so ``hasattr`` is false), and an instance
    attribute of the same name still wins (it is a non-data descriptor)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: Optional[type] = None) -> Any:
        if obj is None:
            raise AttributeError(f"type object {getattr(owner, '__name__', '?')!r} has no attribute {self.name!r}")
        raise AttributeError(f"{type(obj).__name__!r} object has no attribute {self.name!r}")

    def __repr__(self) -> str:
        return f"<absent {self.name!r}>"


def _no_finalizer(self: Any) -> None:
    """redis-py's ``__del__`` must not run on a redcore object."""


# Class machinery, not behaviour: never shadowed.
_MACHINERY = frozenset({
    "__dict__", "__weakref__", "__module__", "__doc__", "__qualname__", "__annotations__",
    "__slots__", "__abstractmethods__", "_abc_impl", "__orig_bases__", "__parameters__",
    "__firstlineno__", "__static_attributes__", "__annotate__", "__annotate_func__",
    "__annotations_cache__", "__protocol_attrs__", "__non_callable_proto_members__",
    "_is_protocol", "_is_runtime_protocol", "__callable_proto_members_only__",
    "__type_params__", "__subclasshook__", "__init_subclass__", "__new__",
})


def foreign_classes(cls: type) -> Tuple[type, ...]:
    """The redis-py classes in ``cls``'s MRO and their bases (``Protocol``,
    ``ABC``...), except built-in ones (``object``, ``Exception``...)."""
    foreign: set = set()
    for klass in cls.__mro__:
        module = getattr(klass, "__module__", "") or ""
        if module == "redis" or module.startswith("redis."):
            foreign.update(k for k in klass.__mro__ if k.__module__ != "builtins")
    return tuple(k for k in cls.__mro__ if k in foreign)


def adopt(cls: type) -> type:
    """Makes ``cls`` behave as if its redis-py bases were not there (they
    only serve ``isinstance``); see the module docstring. Idempotent; run
    it on every class that has a redis-py base, after the class body."""
    foreign = foreign_classes(cls)
    if not foreign:
        return cls
    mro = cls.__mro__
    names = {n for k in foreign for n in vars(k)} - _MACHINERY
    for name in names:
        winner = next(k for k in mro if name in vars(k))
        if winner not in foreign:
            continue  # redcore's own definition already wins
        mine = next((k for k in mro if k not in foreign and name in vars(k)), None)
        if mine is not None:  # e.g. object.__repr__, BaseException.__str__
            setattr(cls, name, vars(mine)[name])
        elif name == "__del__":
            setattr(cls, name, _no_finalizer)
        else:
            setattr(cls, name, _Absent(name))
    _hide_absent_from_dir(cls)
    return cls


def _is_absent(cls: type, name: str) -> bool:
    owner = next((k for k in cls.__mro__ if name in vars(k)), None)
    return owner is not None and isinstance(vars(owner)[name], _Absent)


def _instance_dir(self: Any) -> list:
    """``dir(obj)`` without the stand-ins for what redcore lacks."""
    cls = type(self)
    return sorted(n for n in object.__dir__(self) if not _is_absent(cls, n))


_DIR_METAS: dict = {}


def _hide_absent_from_dir(cls: type) -> None:
    """``dir()`` of the class and of its instances lists what works, as
    without redis-py (tab completion, API counts), not the stand-ins."""
    if "__dir__" not in vars(cls):
        setattr(cls, "__dir__", _instance_dir)
    meta = type(cls)
    if getattr(meta, "_redcore_dir", False):
        return
    dir_meta = _DIR_METAS.get(meta)
    if dir_meta is None:

        def __dir__(klass: type) -> list:
            return sorted(n for n in meta.__dir__(klass) if not _is_absent(klass, n))

        dir_meta = type(f"_Dir{meta.__name__}", (meta,), {"__dir__": __dir__, "_redcore_dir": True})
        _DIR_METAS[meta] = dir_meta
    try:
        cls.__class__ = dir_meta
    except TypeError:
        pass  # a metaclass with its own layout: dir() keeps the stand-ins


__all__ = ["adopt", "foreign_classes", "redis_base"]
