"""Geo commands: GEOADD, GEOPOS, GEODIST, GEOHASH, GEOSEARCH,
GEOSEARCHSTORE, GEORADIUS[_RO] and GEORADIUSBYMEMBER[_RO].

Behaviour tests run on the embedded engine and on the real redis-server;
the randomized ones compare the two directly (``pair``), reply bytes and
order included.
"""

from __future__ import annotations

import random

import pytest

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
PALERMO = (13.361389, 38.115556, "Palermo")
CATANIA = (15.087269, 37.502669, "Catania")


def err(r, *args):
    """The error text a command fails with."""
    with pytest.raises(r.exc.ResponseError) as e:
        r.execute_command(*args)
    return str(e.value)


def sicily(r, key="Sicily"):
    return r.geoadd(key, [*PALERMO, *CATANIA])


# ------------------------------------------------------------------ GEOADD


def test_geoadd_stores_geohash_scores(r):
    assert sicily(r) == 2
    assert r.zrange("Sicily", 0, -1, withscores=True) == [
        (b"Palermo", 3479099956230698.0),
        (b"Catania", 3479447370796909.0),
    ]
    assert r.execute_command("OBJECT", "ENCODING", "Sicily") == b"listpack"
    assert r.type("Sicily") == b"zset"


def test_geoadd_options(r):
    sicily(r)
    assert r.geoadd("Sicily", [13.5, 38.1, "Palermo", 1, 1, "new"], nx=True) == 1
    assert r.geopos("Sicily", "Palermo")[0][0] == pytest.approx(13.361389, abs=1e-5)
    assert r.geoadd("Sicily", [13.5, 38.1, "Palermo", 2, 2, "other"], xx=True) == 0
    assert r.zscore("Sicily", "other") is None
    assert r.geopos("Sicily", "Palermo")[0][0] == pytest.approx(13.5, abs=1e-5)
    assert r.geoadd("Sicily", [13.6, 38.1, "Palermo", 3, 3, "third", 1, 1, "new"], ch=True) == 2
    assert r.execute_command("GEOADD", "Sicily", "CH", "XX", "CH", "13.7", "38.1", "Palermo") == 1
    assert r.execute_command("GEOADD", "x", "XX", "1", "1", "a") == 0
    assert r.exists("x") == 0
    with pytest.raises(r.exc.DataError):
        r.geoadd("Sicily", [1, 2])
    with pytest.raises(r.exc.DataError):
        r.geoadd("Sicily", [1, 2, "a"], nx=True, xx=True)


def test_geoadd_errors(r):
    assert err(r, "GEOADD", "g", "200", "100", "x") == "invalid longitude,latitude pair 200.000000,100.000000"
    assert err(r, "GEOADD", "g", "1", "85.06", "x") == "invalid longitude,latitude pair 1.000000,85.060000"
    assert err(r, "GEOADD", "g", "-180.0000001", "0", "x") == "invalid longitude,latitude pair -180.000000,0.000000"
    assert err(r, "GEOADD", "g", "inf", "0", "x") == "invalid longitude,latitude pair inf,0.000000"
    assert err(r, "GEOADD", "g", "x", "0", "m") == "value is not a valid float"
    assert err(r, "GEOADD", "g", "nan", "0", "m") == "value is not a valid float"
    assert err(r, "GEOADD", "g", "1", "2", "a", "3") == "syntax error"
    assert err(r, "GEOADD", "g", "NX", "XX", "1", "2", "a") == "syntax error"
    assert err(r, "GEOADD", "g", "GT", "1", "2", "a", "b", "c") == "value is not a valid float"
    assert err(r, "GEOADD", "g", "CH", "CH", "CH") == "syntax error"
    assert err(r, "GEOADD", "g", "1", "2") == "wrong number of arguments for 'geoadd' command"
    # Every coordinate is checked before anything is stored.
    assert err(r, "GEOADD", "g", "1", "2", "a", "1", "91", "b") == "invalid longitude,latitude pair 1.000000,91.000000"
    assert r.exists("g") == 0
    r.set("s", "v")
    assert err(r, "GEOADD", "s", "1", "2", "a") == WRONGTYPE
    assert err(r, "GEOADD", "s", "1", "200", "a") == "invalid longitude,latitude pair 1.000000,200.000000"


def test_geoadd_limits_are_inclusive(r2):
    r = r2  # RESP2 raw reply shapes (protocol=2)
    assert r.geoadd("g", [180, 85.05112878, "ne", -180, -85.05112878, "sw", 0, 0, "o"]) == 3
    assert r.zscore("g", "o") == 3377699720527872.0
    assert r.geopos("g", "ne", "sw") == [(180.0, 85.05112878), (-179.99999731779099, -85.05112751263943)]
    # Coordinates are printed with 17 decimals, trailing zeros trimmed
    # (GEOSEARCH has no reply callback for raw calls).
    raw = [r.execute_command("GEOSEARCH", "g", "FROMMEMBER", m, "BYRADIUS", "0", "m", "WITHCOORD") for m in ("ne", "sw", "o")]
    assert raw == [
        [[b"ne", [b"180", b"85.0511287799999991"]]],
        [[b"sw", [b"-179.99999731779098511", b"-85.05112751263942528"]]],
        [[b"o", [b"0.00000268220901489", b"0.00000126736058093"]]],
    ]


# ------------------------------------------------- GEOPOS GEOHASH GEODIST


def test_geopos(r):
    sicily(r)
    assert r.geopos("Sicily", "Palermo", "nope", "Catania") == [
        (13.361389338970184, 38.1155563954963),
        None,
        (15.087267458438873, 37.50266842333162),
    ]
    assert r.geopos("missing", "a", "b") == [None, None]
    assert r.execute_command("GEOPOS", "Sicily") == []
    r.set("s", "v")
    assert err(r, "GEOPOS", "s", "a") == WRONGTYPE


def test_geohash(r):
    sicily(r)
    assert r.geohash("Sicily", "Palermo", "Catania", "nope") == ["sqc8b49rny0", "sqdtr74hyu0", None]
    assert r.geohash("missing", "a") == [None]
    assert r.execute_command("GEOHASH", "Sicily") == []
    r.geoadd("g", [0, 0, "o", -180, -85.05112878, "sw", 179.9999, 85.05, "ne"])
    assert r.geohash("g", "o", "sw", "ne") == ["s0000000000", "00bh0hbj200", "zzpgzfzujt0"]


def test_geodist(r):
    sicily(r)
    assert r.geodist("Sicily", "Palermo", "Catania") == 166274.1516
    assert r.geodist("Sicily", "Palermo", "Catania", "km") == 166.2742
    assert r.geodist("Sicily", "Palermo", "Catania", "mi") == 103.3182
    assert r.geodist("Sicily", "Palermo", "Catania", "ft") == 545518.8700
    assert r.execute_command("GEODIST", "Sicily", "Palermo", "Catania", "KM") == 166.2742
    assert r.geodist("Sicily", "Palermo", "Palermo") == 0.0
    assert r.geodist("Sicily", "Palermo", "nope") is None
    assert r.geodist("missing", "a", "b") is None
    assert err(r, "GEODIST", "Sicily", "Palermo", "Catania", "yd") == "unsupported unit provided. please use M, KM, FT, MI"
    assert err(r, "GEODIST", "Sicily", "Palermo", "Catania", "km", "x") == "syntax error"
    assert err(r, "GEODIST", "missing", "a", "b", "km", "x") == "syntax error"
    with pytest.raises(r.exc.DataError):
        r.geodist("Sicily", "Palermo", "Catania", "yd")
    r.set("s", "v")
    assert err(r, "GEODIST", "s", "a", "b") == WRONGTYPE


def test_non_geo_scores_decode_like_redis(r):
    r.zadd("z", {"neg": -5, "inf": float("inf"), "ninf": float("-inf"), "big": 1e20, "frac": 0.5})
    corner = (-179.99999731779099, -85.05112751263943)
    assert r.geopos("z", "neg", "inf", "ninf", "big", "frac") == [
        (180.0, 85.05112878),
        corner,
        (180.0, -85.05112751263943),
        corner,
        corner,
    ]
    assert r.geohash("z", "neg", "big") == ["bp05b5048p0", "00bh0hbj200"]
    assert r.geodist("z", "neg", "frac") == 18919844.5891


# ------------------------------------------------------------- GEORADIUS


def test_georadius_options(r2):
    r = r2  # RESP2 raw reply shapes (protocol=2)
    sicily(r)
    assert r.georadius("Sicily", 15, 37, 200, "km", sort="ASC") == [b"Catania", b"Palermo"]
    assert r.georadius("Sicily", 15, 37, 100, "km") == [b"Catania"]
    assert r.georadius("Sicily", 15, 37, 200, "km", withdist=True, withcoord=True, withhash=True, sort="DESC") == [
        [b"Palermo", 190.4424, 3479099956230698, (13.361389338970184, 38.1155563954963)],
        [b"Catania", 56.4413, 3479447370796909, (15.087267458438873, 37.50266842333162)],
    ]
    assert r.execute_command("GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHCOORD", "WITHDIST", "ASC") == [
        [b"Catania", b"56.4413", [b"15.08726745843887329", b"37.50266842333162032"]],
        [b"Palermo", b"190.4424", [b"13.36138933897018433", b"38.11555639549629859"]],
    ]
    assert r.georadius("Sicily", 15, 37, 200, "km", count=1) == [b"Catania"]
    assert r.georadius("Sicily", 15, 37, 200, "km", count=1, sort="DESC") == [b"Palermo"]
    assert len(r.georadius("Sicily", 15, 37, 200, "km", count=1, any=True)) == 1
    assert r.georadius("Sicily", 15, 37, 1, "m") == []
    assert r.georadius("missing", 15, 37, 200, "km") == []
    assert r.georadius("Sicily", 15, 37, 200000, withdist=True, sort="ASC")[0] == [b"Catania", 56441.2579]
    assert r.georadius("Sicily", 15, 37, 200, "mi", withdist=True, sort="ASC")[0] == [b"Catania", 35.0711]


def test_georadius_store(r):
    sicily(r)
    assert r.georadius("Sicily", 15, 37, 200, "km", store="near") == 2
    assert r.zrange("near", 0, -1, withscores=True) == r.zrange("Sicily", 0, -1, withscores=True)
    assert r.georadius("Sicily", 15, 37, 200, "km", store_dist="near") == 2
    assert r.zrange("near", 0, -1, withscores=True) == [(b"Catania", 56.4412578701582), (b"Palermo", 190.44242984775784)]
    assert r.georadius("Sicily", 15, 37, 200, "km", store_dist="near", count=1, sort="DESC") == 1
    assert r.zrange("near", 0, -1) == [b"Palermo"]
    # An empty result (or a missing source) deletes the destination.
    assert r.georadius("Sicily", 15, 37, 1, "m", store="near") == 0
    assert r.exists("near") == 0
    r.set("near", "x")
    assert r.georadius("missing", 15, 37, 1, "m", store="near") == 0
    assert r.exists("near") == 0
    # The last STORE / STOREDIST wins.
    assert r.execute_command("GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "a", "STOREDIST", "b") == 2
    assert r.exists("a") == 0 and r.zscore("b", "Catania") == 56.4412578701582


def test_georadius_errors(r):
    sicily(r)
    base = ("GEORADIUS", "Sicily", "15", "37")
    assert err(r, *base, "-1", "km") == "radius cannot be negative"
    assert err(r, *base, "x", "km") == "need numeric radius"
    assert err(r, *base, "1", "yd") == "unsupported unit provided. please use M, KM, FT, MI"
    assert err(r, "GEORADIUS", "Sicily", "190", "37", "x", "km") == "invalid longitude,latitude pair 190.000000,37.000000"
    assert err(r, "GEORADIUS", "Sicily", "x", "37", "1", "km") == "value is not a valid float"
    assert err(r, *base, "1", "km", "COUNT", "0") == "COUNT must be > 0"
    assert err(r, *base, "1", "km", "COUNT", "-3") == "COUNT must be > 0"
    assert err(r, *base, "1", "km", "COUNT", "x") == "value is not an integer or out of range"
    assert err(r, *base, "1", "km", "COUNT") == "syntax error"
    assert err(r, *base, "1", "km", "ANY") == "the ANY argument requires COUNT argument"
    assert err(r, *base, "1", "km", "STORE") == "syntax error"
    assert err(r, *base, "1", "km", "FOO") == "syntax error"
    assert err(r, *base, "1", "km", "BYBOX", "1", "1", "km") == "syntax error"
    msg = "STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
    assert err(r, *base, "1", "km", "STORE", "d", "WITHDIST") == msg
    assert err(r, *base, "1", "km", "WITHHASH", "STOREDIST", "d") == msg
    assert err(r, "GEORADIUS_RO", "Sicily", "15", "37", "1", "km", "STORE", "d") == "syntax error"
    assert err(r, "GEORADIUS_RO", "Sicily", "15", "37", "1", "km", "STOREDIST", "d") == "syntax error"
    r.set("s", "v")
    assert err(r, "GEORADIUS", "s", "190", "37", "1", "km") == WRONGTYPE


def test_georadius_ro(r):
    sicily(r)
    assert r.execute_command("GEORADIUS_RO", "Sicily", "15", "37", "200", "km", "ASC") == [b"Catania", b"Palermo"]
    assert r.execute_command("GEORADIUSBYMEMBER_RO", "Sicily", "Palermo", "200", "km", "DESC", "COUNT", "1") == [b"Catania"]


def test_georadiusbymember(r):
    sicily(r)
    r.geoadd("Sicily", [13.583333, 37.316667, "Agrigento"])
    assert r.georadiusbymember("Sicily", "Agrigento", 100, "km", sort="ASC") == [b"Agrigento", b"Palermo"]
    assert r.georadiusbymember("Sicily", "Agrigento", 200, "km", withdist=True, sort="ASC") == [
        [b"Agrigento", 0.0],
        [b"Palermo", 90.9778],
        [b"Catania", 134.4697],
    ]
    assert r.georadiusbymember("Sicily", "Agrigento", 200, "km", store_dist="d") == 3
    assert r.zscore("d", "Agrigento") == 0.0
    assert err(r, "GEORADIUSBYMEMBER", "Sicily", "nope", "1", "km") == "could not decode requested zset member"
    # The member is looked up before the radius is parsed...
    assert err(r, "GEORADIUSBYMEMBER", "Sicily", "nope", "x", "km") == "could not decode requested zset member"
    assert err(r, "GEORADIUSBYMEMBER", "Sicily", "Palermo", "x", "km") == "need numeric radius"
    # ...and with no source key neither is, only the options.
    assert r.execute_command("GEORADIUSBYMEMBER", "missing", "m", "x", "yd") == []
    assert r.execute_command("GEORADIUSBYMEMBER", "missing", "m", "x", "yd", "STORE", "d") == 0
    assert r.exists("d") == 0
    assert err(r, "GEORADIUSBYMEMBER", "missing", "m", "x", "yd", "FOO") == "syntax error"
    assert err(r, "GEORADIUSBYMEMBER", "missing", "m", "x", "yd", "ANY") == "the ANY argument requires COUNT argument"


# ------------------------------------------------------------- GEOSEARCH


def test_geosearch(r):
    sicily(r)
    r.geoadd("Sicily", [12.758489, 38.788135, "edge1", 17.241510, 38.788135, "edge2"])
    assert r.geosearch("Sicily", longitude=15, latitude=37, radius=200, unit="km", sort="ASC") == [b"Catania", b"Palermo"]
    assert r.geosearch("Sicily", longitude=15, latitude=37, width=400, height=400, unit="km", sort="ASC") == [
        b"Catania",
        b"Palermo",
        b"edge2",
        b"edge1",
    ]
    found = r.geosearch("Sicily", member="Palermo", radius=200, unit="km", withdist=True, withcoord=True, withhash=True, sort="DESC")
    assert found == [
        [b"Catania", 166.2742, 3479447370796909, (15.087267458438873, 37.50266842333162)],
        [b"edge1", 91.4007, 3479273021651468, (12.75848776102066, 38.78813451624225)],
        [b"Palermo", 0.0, 3479099956230698, (13.361389338970184, 38.1155563954963)],
    ]
    assert r.execute_command("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "200", "km", "WITHDIST", "ASC") == [
        [b"Palermo", b"0.0000"],
        [b"edge1", b"91.4007"],
        [b"Catania", b"166.2742"],
    ]
    assert r.geosearch("Sicily", longitude=15, latitude=37, radius=200, unit="km", count=1) == [b"Catania"]
    assert r.geosearch("missing", member="x", radius=1) == []


def test_geosearch_box_is_axis_aligned(r):
    # Points just inside and just outside a 100 km box around (0, 0).
    r.geoadd("g", [0.449, 0, "e_in", 0.451, 0, "e_out", 0, 0.449, "n_in", 0, 0.451, "n_out", 0.449, 0.449, "corner"])
    assert sorted(r.geosearch("g", longitude=0, latitude=0, width=100, height=100, unit="km")) == [b"corner", b"e_in", b"n_in"]
    assert r.geosearch("g", longitude=0, latitude=0, radius=50, unit="km", sort="ASC") == [b"e_in", b"n_in"]


def test_geosearch_errors(r):
    sicily(r)
    k = ("GEOSEARCH", "Sicily")
    lonlat = ("FROMLONLAT", "15", "37")
    radius = ("BYRADIUS", "200", "km")
    assert err(r, *k, *radius, "ASC", "ASC") == "exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCH"
    assert err(r, "geosearch", "Sicily", *radius, "asc", "asc") == "exactly one of FROMMEMBER or FROMLONLAT can be specified for geosearch"
    assert err(r, *k, *lonlat, "ASC", "DESC") == "exactly one of BYRADIUS and BYBOX can be specified for GEOSEARCH"
    assert err(r, *k, *lonlat, "FROMMEMBER", "Palermo", *radius) == "syntax error"
    assert err(r, *k, "FROMMEMBER", "Palermo", *lonlat, *radius) == "syntax error"
    assert err(r, *k, *lonlat, *radius, "BYBOX", "1", "1", "km") == "syntax error"
    assert err(r, *k, *lonlat, "BYBOX", "1", "1", "km", *radius) == "syntax error"
    assert err(r, *k, *lonlat, *radius, "STORE", "d") == "syntax error"
    assert err(r, *k, *lonlat, *radius, "STOREDIST") == "syntax error"
    assert err(r, *k, "FROMMEMBER", "nope", *radius) == "could not decode requested zset member"
    assert err(r, *k, "FROMLONLAT", "15", "91", *radius) == "invalid longitude,latitude pair 15.000000,91.000000"
    assert err(r, *k, *lonlat, "BYBOX", "x", "-1", "km") == "need numeric width"
    assert err(r, *k, *lonlat, "BYBOX", "1", "x", "km") == "need numeric height"
    assert err(r, *k, *lonlat, "BYBOX", "-1", "1", "km") == "height or width cannot be negative"
    assert err(r, *k, *lonlat, "BYBOX", "1", "1", "yd") == "unsupported unit provided. please use M, KM, FT, MI"
    assert err(r, *k, *lonlat, "BYRADIUS", "-1", "km") == "radius cannot be negative"
    assert err(r, *k, *lonlat, *radius, "COUNT", "1", "ANY", "COUNT", "0") == "COUNT must be > 0"
    assert err(r, *k, *lonlat, *radius, "ANY") == "the ANY argument requires COUNT argument"
    # Repeating an option of the same kind is allowed (the last wins).
    assert r.execute_command(*k, "FROMMEMBER", "Palermo", "FROMMEMBER", "Catania", "BYRADIUS", "1", "km") == [b"Catania"]
    assert r.execute_command(*k, *lonlat, "FROMLONLAT", "13.36", "38.11", "BYRADIUS", "1", "km") == [b"Palermo"]
    assert err(r, "GEOSEARCH", "missing", "FROMMEMBER", "x", "BYRADIUS", "-1", "km") == "radius cannot be negative"
    assert r.execute_command("GEOSEARCH", "missing", "FROMMEMBER", "x", "BYRADIUS", "1", "km") == []
    r.set("s", "v")
    assert err(r, "GEOSEARCH", "s", "FROMMEMBER", "x", "BYRADIUS", "1", "km") == WRONGTYPE
    with pytest.raises(r.exc.DataError):
        r.geosearch("Sicily", radius=1)
    with pytest.raises(r.exc.DataError):
        r.geosearch("Sicily", member="Palermo")
    with pytest.raises(r.exc.DataError):
        r.geosearch("Sicily", member="Palermo", radius=1, any=True)


def test_geosearchstore(r):
    sicily(r)
    assert r.geosearchstore("d", "Sicily", longitude=15, latitude=37, radius=200, unit="km") == 2
    assert r.zrange("d", 0, -1, withscores=True) == r.zrange("Sicily", 0, -1, withscores=True)
    assert r.geosearchstore("d", "Sicily", longitude=15, latitude=37, radius=200, unit="km", storedist=True, count=1) == 1
    assert r.zrange("d", 0, -1, withscores=True) == [(b"Catania", 56.4412578701582)]
    r.expire("d", 100)
    assert r.geosearchstore("d", "Sicily", member="Palermo", width=10, height=10, unit="km") == 1
    assert r.ttl("d") == -1
    assert r.geosearchstore("d", "Sicily", longitude=0, latitude=0, radius=1) == 0
    assert r.exists("d") == 0
    k = ("GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km")
    assert err(r, *k, "WITHDIST") == "GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
    assert err(r, *k, "STORE", "x") == "syntax error"
    assert err(r, "GEOSEARCHSTORE", "d", "Sicily", "BYRADIUS", "1", "km", "ASC", "ASC") == (
        "exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCHSTORE"
    )
    r.set("d", "x")
    assert r.execute_command("GEOSEARCHSTORE", "d", "missing", "FROMMEMBER", "a", "BYBOX", "1", "1", "m") == 0
    assert r.exists("d") == 0
    r.set("d", "x")
    assert r.execute_command(*k, "STOREDIST", "ASC") == 2
    assert r.type("d") == b"zset"


def test_store_encoding_follows_listpack_limits(r):
    r.geoadd("g", [v for i in range(200) for v in (i / 1000, 0, f"m{i}")])
    assert r.geosearchstore("d", "g", longitude=0, latitude=0, radius=1000, unit="km") == 200
    assert r.execute_command("OBJECT", "ENCODING", "d") == b"skiplist"
    assert r.geosearchstore("d", "g", longitude=0, latitude=0, radius=1000, unit="km", count=128) == 128
    assert r.execute_command("OBJECT", "ENCODING", "d") == b"listpack"


def test_decoded_client(rd):
    sicily(rd)
    assert rd.geohash("Sicily", "Palermo") == ["sqc8b49rny0"]
    assert rd.geopos("Sicily", "Catania") == [(15.087267458438873, 37.50266842333162)]
    assert rd.georadius("Sicily", 15, 37, 200, "km", withdist=True, sort="ASC") == [["Catania", 56.4413], ["Palermo", 190.4424]]
    assert rd.geodist("Sicily", "Palermo", "Catania") == 166274.1516


def test_pipeline_shapes(r):
    sicily(r)
    pipe = r.pipeline()
    pipe.geopos("Sicily", "Palermo")
    pipe.georadius("Sicily", 15, 37, 100, "km", withdist=True)
    pipe.geodist("Sicily", "Palermo", "Catania", "km")
    assert pipe.execute() == [[(13.361389338970184, 38.1155563954963)], [[b"Catania", 56.4413]], 166.2742]


# -------------------------------------------------- randomized, vs the server


def _point(rng):
    roll = rng.random()
    if roll < 0.1:
        lon, lat = rng.uniform(-180, 180), rng.choice([85.05112878, -85.05112878, 85.05, -85.0511, 84.9, -80.5])
    elif roll < 0.2:
        lon, lat = rng.choice([180, -180, 179.9999, -179.9999, 179.5, -179.5]), rng.uniform(-85, 85)
    elif roll < 0.3:
        lon, lat = rng.uniform(-180, 180), rng.choice([0, 1e-7, -1e-7, 0.0001])
    elif roll < 0.5:
        lon, lat = 2.35 + rng.gauss(0, 0.5), 48.85 + rng.gauss(0, 0.5)
    elif roll < 0.6:
        lon, lat = 2.35 + rng.gauss(0, 0.0001), 48.85 + rng.gauss(0, 0.0001)
    else:
        lon, lat = rng.uniform(-180, 180), rng.uniform(-85.05112878, 85.05112878)
    lon, lat = round(lon, rng.choice([2, 4, 6, 9, 12])), round(lat, rng.choice([3, 6, 9]))
    return max(-180, min(180, lon)), max(-85.05112878, min(85.05112878, lat))


def _populate(pair, rng, key, n):
    args = []
    for i in range(n):
        lon, lat = _point(rng)
        args += [lon, lat, f"m{i}"]
        if rng.random() < 0.05:  # shared positions make distance ties
            args += [lon, lat, f"dup{i}"]
    replies = [c.execute_command("GEOADD", key, *args) for c in pair.values()]
    assert replies[0] == replies[1]


def _run(c, args):
    try:
        return c.execute_command(*args)
    except Exception as e:  # noqa: BLE001 - error replies are compared too
        return ("error", str(e))


@pytest.mark.parametrize("seed", range(4))
def test_random_searches_match_redis(pair, seed):
    rng = random.Random(seed)
    _populate(pair, rng, "small", 60)  # listpack encoded
    _populate(pair, rng, "big", 1500)  # skiplist encoded
    emb, ora = pair["embedded"], pair["oracle"]
    found = 0
    for i in range(400):
        key = rng.choice(["small", "big"])
        if rng.random() < 0.5:
            center = ["FROMLONLAT", *_point(rng)]
        else:
            center = ["FROMMEMBER", f"m{rng.randrange(60)}"]
        size = round(10 ** rng.uniform(0, 6.7), 3)  # 1 m .. 5000 km
        unit = rng.choice(["m", "km", "mi", "ft"])
        if unit != "m":
            size = round(size / 1000, 4)
        if rng.random() < 0.5:
            shape = ["BYRADIUS", size, unit]
        else:
            shape = ["BYBOX", size, round(size * rng.uniform(0.2, 3), 4), unit]
        opts = ["WITHDIST", "WITHCOORD", "WITHHASH"]
        roll = rng.random()
        if roll < 0.35:
            opts.append("ASC")
        elif roll < 0.7:
            opts.append("DESC")
        if rng.random() < 0.4:
            opts += ["COUNT", rng.randint(1, 60)]
            if rng.random() < 0.3:
                opts.append("ANY")
        cmd = ("GEOSEARCH", key, *center, *shape, *opts)
        a, b = _run(emb, cmd), _run(ora, cmd)
        assert a == b, f"step {i}: {cmd}"
        found += len(b) if isinstance(b, list) else 0
        if center[0] == "FROMLONLAT" and shape[0] == "BYRADIUS":
            cmd = ("GEORADIUS", key, center[1], center[2], shape[1], unit, *opts)
            assert _run(emb, cmd) == _run(ora, cmd), f"step {i}: {cmd}"
        if rng.random() < 0.2:
            store = ["STOREDIST"] if rng.random() < 0.5 else []
            cmd = ("GEOSEARCHSTORE", "dst", key, *center, *shape, *[o for o in opts if not str(o).startswith("WITH")], *store)
            assert _run(emb, cmd) == _run(ora, cmd), f"step {i}: {cmd}"
            assert emb.zrange("dst", 0, -1, withscores=True) == ora.zrange("dst", 0, -1, withscores=True)
    assert found > 1000  # the searches do find things
    members = [f"m{i}" for i in range(0, 1500, 7)] + ["nope"]
    for cmd in (("GEOPOS", "big", *members), ("GEOHASH", "big", *members)):
        assert emb.execute_command(*cmd) == ora.execute_command(*cmd)
    for _ in range(200):
        cmd = ("GEODIST", "big", f"m{rng.randrange(1500)}", f"m{rng.randrange(1500)}", rng.choice(["m", "km", "mi", "ft"]))
        assert emb.execute_command(*cmd) == ora.execute_command(*cmd)


def test_ties_keep_redis_order(pair):
    """Many members at a few identical positions: full sorts are stable,
    COUNT-limited ones follow Redis's partial quicksort."""
    rng = random.Random(5)
    spots = [(rng.uniform(10, 10.01), rng.uniform(20, 20.01)) for _ in range(5)]
    args = []
    for _ in range(300):
        lon, lat = rng.choice(spots)
        args += [lon, lat, f"m{rng.randrange(10**6)}"]
    for c in pair.values():
        c.execute_command("GEOADD", "t", *args)
    emb, ora = pair["embedded"], pair["oracle"]
    for count in [*range(1, 45), 100, 150, 250, 299, 300, 500]:
        for order in ("ASC", "DESC", None):
            cmd = ["GEOSEARCH", "t", "FROMLONLAT", "10.005", "20.005", "BYRADIUS", "10", "km", "COUNT", count]
            if order:
                cmd.append(order)
            assert emb.execute_command(*cmd) == ora.execute_command(*cmd), cmd
    for order in ("ASC", "DESC"):
        cmd = ["GEOSEARCH", "t", "FROMLONLAT", "10.005", "20.005", "BYRADIUS", "10", "km", order, "WITHDIST"]
        assert emb.execute_command(*cmd) == ora.execute_command(*cmd)
