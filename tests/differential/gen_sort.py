"""Random SORT / SORT_RO commands (plus the data they sort and weigh by)
for the differential test, and DUMP/RESTORE round trips.

Elements are mostly digits so that BY/GET patterns such as ``k*`` and
``k*->f0`` name keys of the shared keyspace (``k0``..``k11``), whose
values other generators also write. Replies whose order Redis leaves
undefined are compared as sorted (or, with LIMIT, by length): BY nosort (a hashtable set iterates in
dict order) and ALPHA with a BY pattern (ties among equal or missing
weights keep the order of the input, which for a hashtable set or a sorted
set is dict order). STORE is never combined with those, so stored lists
are always deterministic.

Numeric sorts only appear where Redis converts no score (BY nosort, or a
BY pattern that names no key): Redis checks ``errno`` after ``strtod``
without clearing it first, so after any range error (a ZADD of ``1e400``
from another generator, say) its numeric sorts fail until some command
clears ``errno``, a process-wide state no emulation can follow. The unit
tests cover numeric sorting instead, clearing ``errno`` where needed.
"""

from __future__ import annotations

import random
from typing import List

from . import Cmd

WEIGHT = 8

ELEMENTS = [str(i) for i in range(12)] + ["1", "2", "a", "b", "", "-3", "1.5", "x"]
WEIGHTS = ["1", "2", "-1", "0", "10", "1.5", "-0.5", "inf", "-inf", "a", "b", "", " 3", "3 ", "0x1f", "nan"]
BY = ["k*", "k*", "k*->f0", "k*->f1", "x:*", "k*->", "nosort", "#", "nokey_*", "{tag}*"]
GETS = ["#", "k*", "k*->f0", "x:*", "nostar", "k*->f1"]
LIMITS = ["0", "1", "2", "-1", "5", "100", "-100"]
BAD_INTS = ["x", "1.5", "", "9223372036854775808"]


def _key(rng: random.Random, keys: List[str]) -> str:
    return rng.choice(keys)


def _elements(rng: random.Random, lo: int = 1, hi: int = 6) -> List[str]:
    return [rng.choice(ELEMENTS) for _ in range(rng.randint(lo, hi))]


def _setup(rng: random.Random, keys: List[str]) -> Cmd:
    k = _key(rng, keys)
    roll = rng.random()
    if roll < 0.25:
        return ("RPUSH", k, *_elements(rng)), "exact"
    if roll < 0.45:
        return ("SADD", k, *_elements(rng)), "exact"
    if roll < 0.6:
        args: List[str] = []
        for m in _elements(rng):
            args += [rng.choice(["1", "2", "0", "-1", "1.5"]), m]
        return ("ZADD", k, *args), "exact"
    if roll < 0.8:
        return ("SET", k, rng.choice(WEIGHTS)), "exact"
    return ("HSET", k, rng.choice(["f0", "f1"]), rng.choice(WEIGHTS)), "exact"


def _sort(rng: random.Random, keys: List[str]) -> Cmd:
    ro = rng.random() < 0.25
    args: List[str] = ["SORT_RO" if ro else "SORT", _key(rng, keys)]
    opts: List[List[str]] = []
    by = rng.choice(BY) if rng.random() < 0.5 else None
    if by is not None:
        opts.append(["BY", by])
    limit = rng.random() < 0.4
    if limit:
        off = rng.choice(LIMITS) if rng.random() > 0.05 else rng.choice(BAD_INTS)
        opts.append(["LIMIT", off, rng.choice(LIMITS)])
    for _ in range(rng.choice([0, 0, 1, 2])):
        opts.append(["GET", rng.choice(GETS)])
    if rng.random() < 0.3:
        opts.append([rng.choice(["DESC", "desc", "ASC"])])
    converts = by is None or ("*" in by and by != "nokey_*")
    alpha = converts or rng.random() < 0.5
    if alpha:
        opts.append(["ALPHA"])
    nosort = by is not None and "*" not in by
    alpha_by = alpha and by is not None and not nosort
    store = not ro and not alpha_by and rng.random() < 0.25
    if store or (ro and rng.random() < 0.05):
        opts.append(["STORE", _key(rng, keys)])
    if rng.random() < 0.03:
        opts.append([rng.choice(["FOO", "LIMIT", "BY", "GET"])])
    rng.shuffle(opts)
    for o in opts:
        args += o
    norm = "exact"
    if not store and (nosort or alpha_by):
        # Which elements fall in a LIMIT window is undefined too.
        norm = "len" if limit else "sorted"
    return tuple(args), norm


def generate(rng: random.Random, keys: List[str]) -> Cmd:
    roll = rng.random()
    if roll < 0.3:
        return _setup(rng, keys)
    if roll < 0.9:
        return _sort(rng, keys)
    # DUMP bytes of hashtable sets and hashes follow dict order, so only
    # whether there was a value is compared; MEMORY USAGE numbers differ.
    k = _key(rng, keys)
    if roll < 0.95:
        return ("DUMP", k), "type"
    return ("MEMORY", "USAGE", k), "type"
