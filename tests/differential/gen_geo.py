"""Random geo commands: GEOADD, GEOPOS, GEODIST, GEOHASH and the searches
(GEOSEARCH, GEOSEARCHSTORE, GEORADIUS[BYMEMBER][_RO]) with valid and
invalid arguments.

Members come from a small pool so geo sets stay listpack-encoded (the
sorted-set generator relies on that for deterministic ZSCAN replies).
Search replies are compared exactly: Redis's result order is defined by
its cell scan and sort, ties included.
"""

from __future__ import annotations

import random
from typing import Any, List

from . import Cmd

WEIGHT = 8

MEMBERS = ["Palermo", "Catania", "a", "b", "c", "d", "e", "f", "1", "2", "x:1", "pole", "edge", ""]
# Places clustered around a few centres, plus the edges of the indexable area.
CENTRES = [(13.36, 38.11), (15.08, 37.5), (0.0, 0.0), (179.99, 0.0), (-179.99, 10.0), (2.35, 48.85), (0.0, 85.0)]
EXTREMES = [
    ("180", "85.05112878"), ("-180", "-85.05112878"), ("0", "0"), ("180", "0"), ("-180", "0"),
    ("179.9999999", "-85.05"), ("1e-9", "-1e-9"), ("13.361389", "38.115556"), ("15.087269", "37.502669"),
]
BAD_COORDS = [("181", "0"), ("0", "85.06"), ("-180.0000001", "1"), ("inf", "0"), ("x", "0"), ("0", "nan"), ("1e400", "0")]
UNITS = ["m", "km", "km", "km", "mi", "ft", "M", "KM"]
BAD_UNITS = ["yd", "meters", ""]


def _key(rng: random.Random, keys: List[str]) -> str:
    """Mostly a few keys, so geo sets build up there; any key now and then
    (type clashes with the other groups)."""
    return rng.choice(keys[:3]) if rng.random() < 0.8 else rng.choice(keys)


def _coords(rng: random.Random) -> List[Any]:
    roll = rng.random()
    if roll < 0.04:
        return list(rng.choice(BAD_COORDS))
    if roll < 0.2:
        return list(rng.choice(EXTREMES))
    lon, lat = rng.choice(CENTRES)
    spread = rng.choice([0.0, 0.00001, 0.01, 0.5, 3.0])
    lon = max(-180.0, min(180.0, lon + rng.uniform(-spread, spread)))
    lat = max(-85.05, min(85.05, lat + rng.uniform(-spread, spread)))
    return [round(lon, rng.choice([2, 5, 8])), round(lat, rng.choice([2, 5, 8]))]


def _member(rng: random.Random) -> str:
    return rng.choice(MEMBERS)


def _unit(rng: random.Random) -> str:
    return rng.choice(BAD_UNITS) if rng.random() < 0.04 else rng.choice(UNITS)


def _size(rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.04:
        return rng.choice(["-1", "x", "nan", "inf", "0"])
    return round(10 ** rng.uniform(-1, 4.5), 3)


def _geoadd(rng: random.Random, keys: List[str]) -> tuple:
    opts: List[Any] = []
    for _ in range(rng.choice([0, 0, 0, 1, 2])):
        opts.append(rng.choice(["NX", "XX", "CH", "ch", "nx", "GT"]))
    items: List[Any] = []
    for _ in range(rng.choice([1, 1, 2, 3])):
        items += [*_coords(rng), _member(rng)]
    if rng.random() < 0.03:
        items.pop()
    return ("GEOADD", _key(rng, keys), *opts, *items)


def _geopos(rng: random.Random, keys: List[str]) -> tuple:
    return ("GEOPOS", _key(rng, keys), *(_member(rng) for _ in range(rng.randint(0, 4))))


def _geohash(rng: random.Random, keys: List[str]) -> tuple:
    return ("GEOHASH", _key(rng, keys), *(_member(rng) for _ in range(rng.randint(0, 4))))


def _geodist(rng: random.Random, keys: List[str]) -> tuple:
    args: List[Any] = ["GEODIST", _key(rng, keys), _member(rng), _member(rng)]
    if rng.random() < 0.6:
        args.append(_unit(rng))
    if rng.random() < 0.03:
        args.append("extra")
    return tuple(args)


def _options(rng: random.Random, store_kind: str, keys: List[str]) -> List[Any]:
    """Trailing options; `store_kind` is "radius" (STORE key), "search"
    (STOREDIST flag) or "" (none allowed, but sometimes tried)."""
    opts: List[Any] = []
    for _ in range(rng.choice([0, 1, 2, 3, 4])):
        roll = rng.random()
        if roll < 0.35:
            opts.append(rng.choice(["WITHDIST", "WITHCOORD", "WITHHASH", "withdist"]))
        elif roll < 0.55:
            opts.append(rng.choice(["ASC", "DESC", "asc"]))
        elif roll < 0.75:
            opts += ["COUNT", rng.choice([1, 2, 3, 5, 10, "0", "-1", "x"] if rng.random() < 0.15 else [1, 2, 3, 5, 10])]
            if rng.random() < 0.3:
                opts.append("ANY")
        elif roll < 0.77:
            opts.append("ANY")
        elif roll < 0.97:
            if store_kind == "search" or (store_kind == "" and rng.random() < 0.25):
                opts.append("STOREDIST")
            else:
                opts += [rng.choice(["STORE", "STOREDIST"]), _key(rng, keys)]
        else:
            opts.append(rng.choice(["FOO", "STORE", "BYBOX"]))
    if store_kind == "radius" and rng.random() < 0.3:
        opts += [rng.choice(["STORE", "STOREDIST"]), _key(rng, keys)]
        opts = [o for o in opts if not str(o).upper().startswith("WITH")]
    return opts


def _from(rng: random.Random) -> List[Any]:
    roll = rng.random()
    if roll < 0.5:
        return ["FROMMEMBER", _member(rng)]
    if roll < 0.95:
        return ["FROMLONLAT", *_coords(rng)]
    return rng.choice([[], ["FROMMEMBER", "a", "FROMLONLAT", "1", "1"]])


def _by(rng: random.Random) -> List[Any]:
    roll = rng.random()
    if roll < 0.5:
        return ["BYRADIUS", _size(rng), _unit(rng)]
    if roll < 0.95:
        return ["BYBOX", _size(rng), _size(rng), _unit(rng)]
    return rng.choice([[], ["BYRADIUS", "1", "km", "BYBOX", "1", "1", "km"]])


def _geosearch(rng: random.Random, keys: List[str]) -> tuple:
    parts = [_from(rng), _by(rng), _options(rng, "", keys)]
    if rng.random() < 0.08:
        rng.shuffle(parts)
    return ("GEOSEARCH", _key(rng, keys), *(a for p in parts for a in p))


def _geosearchstore(rng: random.Random, keys: List[str]) -> tuple:
    opts = [o for o in _options(rng, "search", keys) if rng.random() < 0.1 or not str(o).upper().startswith("WITH")]
    return ("GEOSEARCHSTORE", _key(rng, keys), _key(rng, keys), *_from(rng), *_by(rng), *opts)


def _georadius(rng: random.Random, keys: List[str]) -> tuple:
    ro = rng.random() < 0.3
    name = "GEORADIUS_RO" if ro else "GEORADIUS"
    opts = _options(rng, "" if ro else "radius", keys)
    return (name, _key(rng, keys), *_coords(rng), _size(rng), _unit(rng), *opts)


def _georadiusbymember(rng: random.Random, keys: List[str]) -> tuple:
    ro = rng.random() < 0.3
    name = "GEORADIUSBYMEMBER_RO" if ro else "GEORADIUSBYMEMBER"
    opts = _options(rng, "" if ro else "radius", keys)
    return (name, _key(rng, keys), _member(rng), _size(rng), _unit(rng), *opts)


_GENERATORS = [
    (_geoadd, 6),
    (_geopos, 2),
    (_geohash, 2),
    (_geodist, 2),
    (_geosearch, 5),
    (_geosearchstore, 2),
    (_georadius, 3),
    (_georadiusbymember, 2),
]


def generate(rng: random.Random, keys: List[str]) -> Cmd:
    gen = rng.choices([g for g, _ in _GENERATORS], [w for _, w in _GENERATORS])[0]
    return gen(rng, keys), "exact"
