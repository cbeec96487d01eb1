"""GeoCommands (redis-py method names and signatures).

Replies are shaped by the callbacks in ``redcore._callbacks`` (GEOPOS as
``(lon, lat)`` tuples; GEORADIUS / GEOSEARCH results with floats and ints
according to the ``with*`` options, like redis-py).
"""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Union

from ..exceptions import DataError

KeyT = Union[bytes, str, memoryview]
EncodableT = Union[bytes, bytearray, memoryview, str, int, float]
FieldT = Union[bytes, str, memoryview, int, float]

_UNITS = ("m", "km", "mi", "ft")


class GeoCommands:
    """Mixin; relies on ``execute_command``."""

    execute_command: Any

    def geoadd(
        self,
        name: KeyT,
        values: Sequence[EncodableT],
        nx: bool = False,
        xx: bool = False,
        ch: bool = False,
    ) -> int:
        """Add places given as a flat ``[lon, lat, member, ...]`` sequence;
        returns the number added (changed, with ``ch``).

        >>> import redcore
        >>> r = redcore.Redis()
        >>> r.geoadd("sicily", [13.361389, 38.115556, "Palermo"])
        1
        """
        if nx and xx:
            raise DataError("GEOADD allows either 'nx' or 'xx', not both")
        if len(values) % 3 != 0:
            raise DataError("GEOADD requires places with lon, lat and name values")
        pieces: List[Any] = [name]
        if nx:
            pieces.append("NX")
        if xx:
            pieces.append("XX")
        if ch:
            pieces.append("CH")
        pieces.extend(values)
        return self.execute_command("GEOADD", *pieces)

    def geodist(
        self, name: KeyT, place1: FieldT, place2: FieldT, unit: Optional[str] = None
    ) -> Optional[float]:
        """The distance between two members in ``unit`` (m, km, mi, ft;
        meters by default), or ``None`` if one is missing.

        >>> import redcore
        >>> r = redcore.Redis()
        >>> r.geoadd("s", [13.361389, 38.115556, "Palermo", 15.087269, 37.502669, "Catania"])
        2
        >>> r.geodist("s", "Palermo", "Catania", "km")
        166.2742
        """
        pieces: List[Any] = [name, place1, place2]
        if unit and unit not in _UNITS:
            raise DataError("GEODIST invalid unit")
        elif unit:
            pieces.append(unit)
        return self.execute_command("GEODIST", *pieces, keys=[name])

    def geohash(self, name: KeyT, *values: FieldT) -> List[Any]:
        """The 11-character geohash string of each member (``None`` when
        missing).

        >>> import redcore
        >>> r = redcore.Redis()
        >>> r.geoadd("s", [13.361389, 38.115556, "Palermo"]) and r.geohash("s", "Palermo", "x")
        ['sqc8b49rny0', None]
        """
        return self.execute_command("GEOHASH", name, *values, keys=[name])

    def geopos(self, name: KeyT, *values: FieldT) -> List[Any]:
        """The ``(longitude, latitude)`` of each member (``None`` when
        missing).

        >>> import redcore
        >>> r = redcore.Redis()
        >>> r.geoadd("s", [13.361389, 38.115556, "Palermo"]) and r.geopos("s", "Palermo")
        [(13.361389338970184, 38.1155563954963)]
        """
        return self.execute_command("GEOPOS", name, *values, keys=[name])

    def georadius(
        self,
        name: KeyT,
        longitude: float,
        latitude: float,
        radius: float,
        unit: Optional[str] = None,
        withdist: bool = False,
        withcoord: bool = False,
        withhash: bool = False,
        count: Optional[int] = None,
        sort: Optional[str] = None,
        store: Optional[KeyT] = None,
        store_dist: Optional[KeyT] = None,
        any: bool = False,
    ) -> Any:
        """Members within ``radius`` of a point (deprecated in Redis in
        favour of :meth:`geosearch`); ``store`` / ``store_dist`` save them
        in a sorted set instead.

        >>> import redcore
        >>> r = redcore.Redis()
        >>> r.geoadd("s", [13.361389, 38.115556, "Palermo", 15.087269, 37.502669, "Catania"])
        2
        >>> r.georadius("s", 15, 37, 200, "km", withdist=True, sort="ASC")
        [[b'Catania', 56.4413], [b'Palermo', 190.4424]]
        """
        return self._georadiusgeneric(
            "GEORADIUS",
            name,
            longitude,
            latitude,
            radius,
            unit=unit,
            withdist=withdist,
            withcoord=withcoord,
            withhash=withhash,
            count=count,
            sort=sort,
            store=store,
            store_dist=store_dist,
            any=any,
        )

    def georadiusbymember(
        self,
        name: KeyT,
        member: FieldT,
        radius: float,
        unit: Optional[str] = None,
        withdist: bool = False,
        withcoord: bool = False,
        withhash: bool = False,
        count: Optional[int] = None,
        sort: Optional[str] = None,
        store: Optional[KeyT] = None,
        store_dist: Optional[KeyT] = None,
        any: bool = False,
    ) -> Any:
        """Like :meth:`georadius` around an existing member.

        >>> import redcore
        >>> r = redcore.Redis()
        >>> r.geoadd("s", [13.361389, 38.115556, "Palermo", 15.087269, 37.502669, "Catania"])
        2
        >>> r.georadiusbymember("s", "Palermo", 200, "km", sort="DESC")
        [b'Catania', b'Palermo']
        """
        return self._georadiusgeneric(
            "GEORADIUSBYMEMBER",
            name,
            member,
            radius,
            unit=unit,
            withdist=withdist,
            withcoord=withcoord,
            withhash=withhash,
            count=count,
            sort=sort,
            store=store,
            store_dist=store_dist,
            any=any,
        )

    def _georadiusgeneric(self, command: str, *args: Any, **kwargs: Any) -> Any:
        pieces = list(args)
        if kwargs["unit"] and kwargs["unit"] not in _UNITS:
            raise DataError("GEORADIUS invalid unit")
        elif kwargs["unit"]:
            pieces.append(kwargs["unit"])
        else:
            pieces.append("m")
        if kwargs["any"] and kwargs["count"] is None:
            raise DataError("``any`` can't be provided without ``count``")
        for arg_name, byte_repr in (
            ("withdist", "WITHDIST"),
            ("withcoord", "WITHCOORD"),
            ("withhash", "WITHHASH"),
        ):
            if kwargs[arg_name]:
                pieces.append(byte_repr)
        if kwargs["count"] is not None:
            pieces.extend(["COUNT", kwargs["count"]])
            if kwargs["any"]:
                pieces.append("ANY")
        if kwargs["sort"]:
            if kwargs["sort"] == "ASC":
                pieces.append("ASC")
            elif kwargs["sort"] == "DESC":
                pieces.append("DESC")
            else:
                raise DataError("GEORADIUS invalid sort")
        if kwargs["store"] and kwargs["store_dist"]:
            raise DataError("GEORADIUS store and store_dist can't be set together")
        if kwargs["store"]:
            pieces.extend([b"STORE", kwargs["store"]])
        if kwargs["store_dist"]:
            pieces.extend([b"STOREDIST", kwargs["store_dist"]])
        return self.execute_command(command, *pieces, **kwargs)

    def geosearch(
        self,
        name: KeyT,
        member: Optional[FieldT] = None,
        longitude: Optional[float] = None,
        latitude: Optional[float] = None,
        unit: str = "m",
        radius: Optional[float] = None,
        width: Optional[float] = None,
        height: Optional[float] = None,
        sort: Optional[str] = None,
        count: Optional[int] = None,
        any: bool = False,
        withcoord: bool = False,
        withdist: bool = False,
        withhash: bool = False,
    ) -> Any:
        """Members inside a circle (``radius``) or an axis-aligned box
        (``width`` x ``height``) around a member or a point.

        >>> import redcore
        >>> r = redcore.Redis()
        >>> r.geoadd("s", [13.361389, 38.115556, "Palermo", 15.087269, 37.502669, "Catania"])
        2
        >>> r.geosearch("s", longitude=15, latitude=37, width=400, height=400, unit="km",
        ...             sort="ASC", withcoord=True)
        [[b'Catania', (15.087267458438873, 37.50266842333162)], [b'Palermo', (13.361389338970184, 38.1155563954963)]]
        """
        return self._geosearchgeneric(
            "GEOSEARCH",
            name,
            member=member,
            longitude=longitude,
            latitude=latitude,
            unit=unit,
            radius=radius,
            width=width,
            height=height,
            sort=sort,
            count=count,
            any=any,
            withcoord=withcoord,
            withdist=withdist,
            withhash=withhash,
            store=None,
            store_dist=None,
        )

    def geosearchstore(
        self,
        dest: KeyT,
        name: KeyT,
        member: Optional[FieldT] = None,
        longitude: Optional[float] = None,
        latitude: Optional[float] = None,
        unit: str = "m",
        radius: Optional[float] = None,
        width: Optional[float] = None,
        height: Optional[float] = None,
        sort: Optional[str] = None,
        count: Optional[int] = None,
        any: bool = False,
        storedist: bool = False,
    ) -> int:
        """Like :meth:`geosearch`, storing the members in ``dest`` (scored
        by distance with ``storedist``); returns how many were stored.

        >>> import redcore
        >>> r = redcore.Redis()
        >>> r.geoadd("s", [13.361389, 38.115556, "Palermo"])
        1
        >>> r.geosearchstore("near", "s", longitude=13, latitude=38, radius=100, unit="km")
        1
        """
        return self._geosearchgeneric(
            "GEOSEARCHSTORE",
            dest,
            name,
            member=member,
            longitude=longitude,
            latitude=latitude,
            unit=unit,
            radius=radius,
            width=width,
            height=height,
            sort=sort,
            count=count,
            any=any,
            withcoord=None,
            withdist=None,
            withhash=None,
            store=None,
            store_dist=storedist,
        )

    def _geosearchgeneric(self, command: str, *args: Any, **kwargs: Any) -> Any:
        pieces = list(args)
        # FROMMEMBER or FROMLONLAT
        if kwargs["member"] is None:
            if kwargs["longitude"] is None or kwargs["latitude"] is None:
                raise DataError("GEOSEARCH must have member or longitude and latitude")
        if kwargs["member"]:
            if kwargs["longitude"] or kwargs["latitude"]:
                raise DataError("GEOSEARCH member and longitude or latitude can't be set together")
            pieces.extend([b"FROMMEMBER", kwargs["member"]])
        if kwargs["longitude"] is not None and kwargs["latitude"] is not None:
            pieces.extend([b"FROMLONLAT", kwargs["longitude"], kwargs["latitude"]])
        # BYRADIUS or BYBOX
        if kwargs["radius"] is None:
            if kwargs["width"] is None or kwargs["height"] is None:
                raise DataError("GEOSEARCH must have radius or width and height")
        if kwargs["unit"] is None:
            raise DataError("GEOSEARCH must have unit")
        if kwargs["unit"].lower() not in _UNITS:
            raise DataError("GEOSEARCH invalid unit")
        if kwargs["radius"]:
            if kwargs["width"] or kwargs["height"]:
                raise DataError("GEOSEARCH radius and width or height can't be set together")
            pieces.extend([b"BYRADIUS", kwargs["radius"], kwargs["unit"]])
        if kwargs["width"] and kwargs["height"]:
            pieces.extend([b"BYBOX", kwargs["width"], kwargs["height"], kwargs["unit"]])
        if kwargs["sort"]:
            if kwargs["sort"].upper() == "ASC":
                pieces.append(b"ASC")
            elif kwargs["sort"].upper() == "DESC":
                pieces.append(b"DESC")
            else:
                raise DataError("GEOSEARCH invalid sort")
        if kwargs["count"]:
            pieces.extend([b"COUNT", kwargs["count"]])
            if kwargs["any"]:
                pieces.append(b"ANY")
        elif kwargs["any"]:
            raise DataError("GEOSEARCH ``any`` can't be provided without count")
        for arg_name, byte_repr in (
            ("withdist", b"WITHDIST"),
            ("withcoord", b"WITHCOORD"),
            ("withhash", b"WITHHASH"),
            ("store_dist", b"STOREDIST"),
        ):
            if kwargs[arg_name]:
                pieces.append(byte_repr)
        kwargs["keys"] = [args[0] if command == "GEOSEARCH" else args[1]]
        return self.execute_command(command, *pieces, **kwargs)


__all__ = ["GeoCommands"]
