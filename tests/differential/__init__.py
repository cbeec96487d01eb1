"""Random command generators for the differential test.

Each ``gen_<group>.py`` module defines::

    WEIGHT: int                      # relative frequency of this group
    def generate(rng, keys) -> Cmd   # one random command

where ``Cmd`` is ``(args, norm)``: ``args`` a tuple for ``execute_command``
and ``norm`` how replies are compared (see :func:`normalize`). Commands use
the shared small keyspace ``keys`` so types collide and WRONGTYPE, missing
keys and overwrites all happen. A generator must not emit commands whose
effect depends on randomness (SPOP of fewer than all members...) or on
timing, since the two servers would then diverge.
"""

from __future__ import annotations

from typing import Any, Tuple

Cmd = Tuple[tuple, str]

#: Reply comparison modes.
NORMS = ("exact", "sorted", "sorted_pairs", "len", "type", "scan")


def typed(value: Any) -> Any:
    """A reply with its types spelled out (1, 1.0 and True differ; a
    RESP3 double must come back a float, a RESP3 map a dict)."""
    if isinstance(value, dict):
        return ("dict", sorted(((typed(k), typed(v)) for k, v in value.items()), key=repr))
    if isinstance(value, (set, frozenset)):
        return ("set", sorted((typed(v) for v in value), key=repr))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [typed(v) for v in value])
    return (type(value).__name__, value)


def normalize(reply: Any, norm: str) -> Any:
    """Puts a reply in a form that is equal on both backends.

    - ``exact``: as is.
    - ``sorted``: a list/set compared as a sorted list (order undefined).
    - ``sorted_pairs``: a flat [k, v, k, v] list or a dict, compared as
      sorted pairs.
    - ``len``: only the length (random picks from a known collection).
    - ``type``: only the type name.
    - ``scan``: a ``(cursor, items)`` SCAN-family reply: a finished scan
      (cursor 0) compares its items in any order; an unfinished one only
      as "partial" (cursors of hashtable-encoded values are
      implementation-specific; use a large COUNT so small values finish).
    """
    if isinstance(reply, Exception):
        return (type(reply).__name__, str(reply))
    if norm == "exact":
        return typed(reply)
    if norm == "sorted":
        if isinstance(reply, (list, set, tuple)):
            return sorted(reply, key=repr)
        return reply
    if norm == "sorted_pairs":
        if isinstance(reply, dict):
            return sorted(reply.items(), key=repr)
        if isinstance(reply, list):
            return sorted(zip(reply[::2], reply[1::2]), key=repr)
        return reply
    if norm == "len":
        return len(reply) if hasattr(reply, "__len__") else reply
    if norm == "type":
        return type(reply).__name__
    if norm == "scan":
        if isinstance(reply, (tuple, list)) and len(reply) == 2:
            cursor, items = reply
            if int(cursor) != 0:
                return "partial"
            if isinstance(items, dict):
                items = list(items.items())
            return ("done", sorted(items, key=repr))
        return reply
    raise ValueError(norm)
