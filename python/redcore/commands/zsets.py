"""SortedSetCommands (redis-py method names and signatures).

ZADD, ZSCORE, ZINCRBY, ZREVRANGE, ZRANK, ZCARD and ZREM are implemented in
Rust on the client class and are not repeated here.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, List, Mapping, Optional, Sequence, Union

from ..exceptions import DataError
from ._util import list_or_args

KeyT = Union[bytes, str, memoryview]
EncodableT = Union[bytes, bytearray, memoryview, str, int, float]
ZScoreBoundT = Union[float, str]


class SortedSetCommands:
    """Mixin; relies on ``execute_command``."""

    execute_command: Any

    def zcount(self, name: KeyT, min: ZScoreBoundT, max: ZScoreBoundT) -> Any:
        """Number of members of ``name`` with a score between ``min`` and
        ``max`` (``(`` makes a bound exclusive).

        >>> r.zadd("z", {"a": 1, "b": 2})
        2
        >>> r.zcount("z", "(1", "+inf")
        1
        """
        return self.execute_command("ZCOUNT", name, min, max, keys=[name])

    def zlexcount(self, name: KeyT, min: EncodableT, max: EncodableT) -> Any:
        """Number of members of ``name`` between the lex bounds ``min`` and
        ``max`` (``[a``, ``(a``, ``-``, ``+``).

        >>> r.zadd("z", {"a": 0, "b": 0})
        2
        >>> r.zlexcount("z", "[a", "(b")
        1
        """
        return self.execute_command("ZLEXCOUNT", name, min, max, keys=[name])

    def _zrange(
        self,
        command: str,
        dest: Optional[KeyT],
        name: KeyT,
        start: EncodableT,
        end: EncodableT,
        desc: bool = False,
        byscore: bool = False,
        bylex: bool = False,
        withscores: bool = False,
        score_cast_func: Optional[Union[type, Callable]] = float,
        offset: Optional[int] = None,
        num: Optional[int] = None,
    ) -> Any:
        if byscore and bylex:
            raise DataError("``byscore`` and ``bylex`` can not be specified together.")
        if (offset is not None and num is None) or (num is not None and offset is None):
            raise DataError("``offset`` and ``num`` must both be specified.")
        if bylex and withscores:
            raise DataError("``withscores`` not supported in combination with ``bylex``.")
        pieces: List[Any] = [command]
        if dest:
            pieces.append(dest)
        pieces.extend([name, start, end])
        if byscore:
            pieces.append("BYSCORE")
        if bylex:
            pieces.append("BYLEX")
        if desc:
            pieces.append("REV")
        if offset is not None and num is not None:
            pieces.extend(["LIMIT", offset, num])
        if withscores:
            pieces.append("WITHSCORES")
        return self.execute_command(
            *pieces, withscores=withscores, score_cast_func=score_cast_func, keys=[name]
        )

    def zrange(
        self,
        name: KeyT,
        start: EncodableT,
        end: EncodableT,
        desc: bool = False,
        withscores: bool = False,
        score_cast_func: Union[type, Callable] = float,
        byscore: bool = False,
        bylex: bool = False,
        offset: Optional[int] = None,
        num: Optional[int] = None,
    ) -> Any:
        """Members of ``name`` between ``start`` and ``end``: by rank, or by
        score with ``byscore``, or lexicographically with ``bylex``;
        ``desc`` reverses, ``offset``/``num`` page, ``withscores`` returns
        ``(member, score)`` pairs.

        >>> r.zadd("z", {"a": 1, "b": 2})
        2
        >>> r.zrange("z", 0, -1, withscores=True)
        [(b'a', 1.0), (b'b', 2.0)]
        """
        # Like redis-py: a plain descending rank range is sent as ZREVRANGE.
        if not byscore and not bylex and offset is None and num is None and desc:
            return self.zrevrange(name, start, end, withscores, score_cast_func)  # type: ignore[attr-defined]
        return self._zrange(
            "ZRANGE", None, name, start, end, desc, byscore, bylex, withscores,
            score_cast_func, offset, num,
        )

    def zrangestore(
        self,
        dest: KeyT,
        name: KeyT,
        start: EncodableT,
        end: EncodableT,
        byscore: bool = False,
        bylex: bool = False,
        desc: bool = False,
        offset: Optional[int] = None,
        num: Optional[int] = None,
    ) -> Any:
        """Stores the :meth:`zrange` selection of ``name`` in ``dest`` and
        returns its size.

        >>> r.zadd("z", {"a": 1, "b": 2})
        2
        >>> r.zrangestore("copy", "z", 0, 0)
        1
        """
        return self._zrange(
            "ZRANGESTORE", dest, name, start, end, desc, byscore, bylex, False,
            None, offset, num,
        )

    def zrangebylex(
        self,
        name: KeyT,
        min: EncodableT,
        max: EncodableT,
        start: Optional[int] = None,
        num: Optional[int] = None,
    ) -> Any:
        """Members of ``name`` between the lex bounds ``min`` and ``max``;
        ``start``/``num`` page.

        >>> r.zadd("z", {"a": 0, "b": 0, "c": 0})
        3
        >>> r.zrangebylex("z", "(a", "+")
        [b'b', b'c']
        """
        if (start is not None and num is None) or (num is not None and start is None):
            raise DataError("``start`` and ``num`` must both be specified")
        pieces: List[Any] = ["ZRANGEBYLEX", name, min, max]
        if start is not None and num is not None:
            pieces.extend([b"LIMIT", start, num])
        return self.execute_command(*pieces, keys=[name])

    def zrevrangebylex(
        self,
        name: KeyT,
        max: EncodableT,
        min: EncodableT,
        start: Optional[int] = None,
        num: Optional[int] = None,
    ) -> Any:
        """Like :meth:`zrangebylex`, highest first (note ``max`` comes first).

        >>> r.zadd("z", {"a": 0, "b": 0, "c": 0})
        3
        >>> r.zrevrangebylex("z", "+", "(a")
        [b'c', b'b']
        """
        if (start is not None and num is None) or (num is not None and start is None):
            raise DataError("``start`` and ``num`` must both be specified")
        pieces: List[Any] = ["ZREVRANGEBYLEX", name, max, min]
        if start is not None and num is not None:
            pieces.extend(["LIMIT", start, num])
        return self.execute_command(*pieces, keys=[name])

    def zrangebyscore(
        self,
        name: KeyT,
        min: ZScoreBoundT,
        max: ZScoreBoundT,
        start: Optional[int] = None,
        num: Optional[int] = None,
        withscores: bool = False,
        score_cast_func: Union[type, Callable] = float,
    ) -> Any:
        """Members of ``name`` with scores between ``min`` and ``max``;
        ``start``/``num`` page.

        >>> r.zadd("z", {"a": 1, "b": 2})
        2
        >>> r.zrangebyscore("z", "(1", "inf", withscores=True)
        [(b'b', 2.0)]
        """
        if (start is not None and num is None) or (num is not None and start is None):
            raise DataError("``start`` and ``num`` must both be specified")
        pieces: List[Any] = ["ZRANGEBYSCORE", name, min, max]
        if start is not None and num is not None:
            pieces.extend(["LIMIT", start, num])
        if withscores:
            pieces.append("WITHSCORES")
        return self.execute_command(
            *pieces, withscores=withscores, score_cast_func=score_cast_func, keys=[name]
        )

    def zrevrangebyscore(
        self,
        name: KeyT,
        max: ZScoreBoundT,
        min: ZScoreBoundT,
        start: Optional[int] = None,
        num: Optional[int] = None,
        withscores: bool = False,
        score_cast_func: Union[type, Callable] = float,
    ) -> Any:
        """Like :meth:`zrangebyscore`, highest first (``max`` comes first).

        >>> r.zadd("z", {"a": 1, "b": 2})
        2
        >>> r.zrevrangebyscore("z", "+inf", "-inf")
        [b'b', b'a']
        """
        if (start is not None and num is None) or (num is not None and start is None):
            raise DataError("``start`` and ``num`` must both be specified")
        pieces: List[Any] = ["ZREVRANGEBYSCORE", name, max, min]
        if start is not None and num is not None:
            pieces.extend(["LIMIT", start, num])
        if withscores:
            pieces.append("WITHSCORES")
        return self.execute_command(
            *pieces, withscores=withscores, score_cast_func=score_cast_func, keys=[name]
        )

    def zrevrank(
        self,
        name: KeyT,
        value: EncodableT,
        withscore: bool = False,
        score_cast_func: Union[type, Callable] = float,
    ) -> Any:
        """0-based rank of ``value`` in ``name``, highest score first; None
        if absent. (``withscore`` needs Redis 7.2.)

        >>> r.zadd("z", {"a": 1, "b": 2})
        2
        >>> r.zrevrank("z", "a")
        1
        """
        pieces: List[Any] = ["ZREVRANK", name, value]
        if withscore:
            pieces.append("WITHSCORE")
        return self.execute_command(*pieces, withscore=withscore, score_cast_func=score_cast_func)

    def zmscore(self, key: KeyT, members: List[Any]) -> Any:
        """Scores of ``members`` in ``key`` (None for missing ones).

        >>> r.zadd("z", {"a": 1})
        1
        >>> r.zmscore("z", ["a", "x"])
        [1.0, None]
        """
        if not members:
            raise DataError("ZMSCORE members must be a non-empty list")
        pieces = [key] + members
        return self.execute_command("ZMSCORE", *pieces, keys=[key])

    def zpopmax(self, name: KeyT, count: Optional[int] = None) -> Any:
        """Removes and returns up to ``count`` (default 1) highest members as
        ``(member, score)`` pairs.

        >>> r.zadd("z", {"a": 1, "b": 2})
        2
        >>> r.zpopmax("z")
        [(b'b', 2.0)]
        """
        args = [count] if count is not None else []
        return self.execute_command("ZPOPMAX", name, *args, withscores=True)

    def zpopmin(self, name: KeyT, count: Optional[int] = None) -> Any:
        """Removes and returns up to ``count`` (default 1) lowest members as
        ``(member, score)`` pairs.

        >>> r.zadd("z", {"a": 1, "b": 2})
        2
        >>> r.zpopmin("z", 5)
        [(b'a', 1.0), (b'b', 2.0)]
        """
        args = [count] if count is not None else []
        return self.execute_command("ZPOPMIN", name, *args, withscores=True)

    def zmpop(
        self,
        num_keys: int,
        keys: List[Any],
        min: Optional[bool] = False,
        max: Optional[bool] = False,
        count: Optional[int] = 1,
    ) -> Any:
        """Pops ``count`` members from the first non-empty sorted set in
        ``keys``: ``[key, [[member, score], ...]]`` or None.

        >>> r.zadd("z", {"a": 1, "b": 2})
        2
        >>> r.zmpop(2, ["missing", "z"], min=True)
        [b'z', [[b'a', b'1']]]
        """
        args: List[Any] = [num_keys] + keys
        if (min and max) or (not min and not max):
            raise DataError
        elif min:
            args.append("MIN")
        else:
            args.append("MAX")
        if count != 1:
            args.extend(["COUNT", count])
        return self.execute_command("ZMPOP", *args)

    def zrandmember(self, key: KeyT, count: Optional[int] = None, withscores: bool = False) -> Any:
        """Random member(s) of ``key``: one, ``count`` distinct ones, or with
        a negative ``count`` that many with repetitions.

        >>> r.zadd("z", {"a": 1})
        1
        >>> r.zrandmember("z", 5, withscores=True)
        [b'a', b'1']
        """
        params: List[Any] = []
        if count is not None:
            params.append(count)
        if withscores:
            params.append("WITHSCORES")
        return self.execute_command("ZRANDMEMBER", key, *params, withscores=withscores)

    def _zaggregate(
        self,
        command: str,
        dest: Optional[KeyT],
        keys: Union[Sequence[KeyT], Mapping[Any, float]],
        aggregate: Optional[str] = None,
        **options: Any,
    ) -> Any:
        pieces: List[Any] = [command]
        if dest is not None:
            pieces.append(dest)
        pieces.append(len(keys))
        if isinstance(keys, dict):
            keys, weights = keys.keys(), keys.values()
        else:
            weights = None
        pieces.extend(keys)
        if weights:
            pieces.append(b"WEIGHTS")
            pieces.extend(weights)
        if aggregate:
            if aggregate.upper() in ["SUM", "MIN", "MAX", "COUNT"]:
                pieces.append(b"AGGREGATE")
                pieces.append(aggregate)
            else:
                raise DataError("aggregate can be sum, min, max or count.")
        if options.get("withscores", False):
            pieces.append(b"WITHSCORES")
        options["keys"] = keys
        return self.execute_command(*pieces, **options)

    def zunion(
        self,
        keys: Union[Sequence[KeyT], Mapping[Any, float]],
        aggregate: Optional[str] = None,
        withscores: bool = False,
        score_cast_func: Union[type, Callable] = float,
    ) -> Any:
        """Union of the sorted sets (or sets) in ``keys``; a dict maps keys
        to weights.

        >>> r.zadd("a", {"x": 1}); r.zadd("b", {"x": 2, "y": 5})
        1
        2
        >>> r.zunion({"a": 10, "b": 1}, withscores=True)
        [(b'y', 5.0), (b'x', 12.0)]
        """
        return self._zaggregate(
            "ZUNION", None, keys, aggregate, withscores=withscores, score_cast_func=score_cast_func
        )

    def zinter(
        self,
        keys: Union[Sequence[KeyT], Mapping[Any, float]],
        aggregate: Optional[str] = None,
        withscores: bool = False,
    ) -> Any:
        """Intersection of the sorted sets (or sets) in ``keys``.

        >>> r.zadd("a", {"x": 1}); r.zadd("b", {"x": 2, "y": 5})
        1
        2
        >>> r.zinter(["a", "b"], aggregate="max", withscores=True)
        [(b'x', 2.0)]
        """
        return self._zaggregate("ZINTER", None, keys, aggregate, withscores=withscores)

    def zdiff(self, keys: Sequence[KeyT], withscores: bool = False) -> Any:
        """Members of the first sorted set in ``keys`` that are in none of
        the others (flat ``[member, score, ...]`` with ``withscores``).

        >>> r.zadd("a", {"x": 1, "y": 2}); r.zadd("b", {"x": 0})
        2
        1
        >>> r.zdiff(["a", "b"], withscores=True)
        [b'y', b'2']
        """
        pieces: List[Any] = [len(keys), *keys]
        if withscores:
            pieces.append("WITHSCORES")
        return self.execute_command("ZDIFF", *pieces, keys=keys, withscores=withscores)

    def zunionstore(
        self,
        dest: KeyT,
        keys: Union[Sequence[KeyT], Mapping[Any, float]],
        aggregate: Optional[str] = None,
    ) -> Any:
        """Stores the :meth:`zunion` of ``keys`` in ``dest``; returns its size.

        >>> r.zadd("a", {"x": 1}); r.zadd("b", {"y": 2})
        1
        1
        >>> r.zunionstore("u", ["a", "b"])
        2
        """
        return self._zaggregate("ZUNIONSTORE", dest, keys, aggregate)

    def zinterstore(
        self,
        dest: KeyT,
        keys: Union[Sequence[KeyT], Mapping[Any, float]],
        aggregate: Optional[str] = None,
    ) -> Any:
        """Stores the :meth:`zinter` of ``keys`` in ``dest``; returns its size.

        >>> r.zadd("a", {"x": 1}); r.zadd("b", {"x": 2})
        1
        1
        >>> r.zinterstore("i", {"a": 2, "b": 1}, aggregate="SUM")
        1
        """
        return self._zaggregate("ZINTERSTORE", dest, keys, aggregate)

    def zdiffstore(self, dest: KeyT, keys: Sequence[KeyT]) -> Any:
        """Stores the :meth:`zdiff` of ``keys`` in ``dest``; returns its size.

        >>> r.zadd("a", {"x": 1, "y": 2}); r.zadd("b", {"x": 0})
        2
        1
        >>> r.zdiffstore("d", ["a", "b"])
        1
        """
        pieces: List[Any] = [len(keys), *keys]
        return self.execute_command("ZDIFFSTORE", dest, *pieces)

    def zintercard(self, numkeys: int, keys: List[Any], limit: int = 0) -> Any:
        """Size of the intersection of ``keys``, counting at most ``limit``
        (0: no limit).

        >>> r.zadd("a", {"x": 1, "y": 1}); r.zadd("b", {"x": 1, "y": 1})
        2
        2
        >>> r.zintercard(2, ["a", "b"], limit=1)
        1
        """
        args = [numkeys, *keys, "LIMIT", limit]
        return self.execute_command("ZINTERCARD", *args, keys=keys)

    def zremrangebylex(self, name: KeyT, min: EncodableT, max: EncodableT) -> Any:
        """Removes members of ``name`` between the lex bounds; returns how
        many.

        >>> r.zadd("z", {"a": 0, "b": 0})
        2
        >>> r.zremrangebylex("z", "-", "[a")
        1
        """
        return self.execute_command("ZREMRANGEBYLEX", name, min, max)

    def zremrangebyrank(self, name: KeyT, min: int, max: int) -> Any:
        """Removes members of ``name`` with ranks ``min``..``max`` (negative
        ranks count from the top); returns how many.

        >>> r.zadd("z", {"a": 1, "b": 2, "c": 3})
        3
        >>> r.zremrangebyrank("z", 0, -2)
        2
        """
        return self.execute_command("ZREMRANGEBYRANK", name, min, max)

    def zremrangebyscore(self, name: KeyT, min: ZScoreBoundT, max: ZScoreBoundT) -> Any:
        """Removes members of ``name`` with scores between ``min`` and
        ``max``; returns how many.

        >>> r.zadd("z", {"a": 1, "b": 2})
        2
        >>> r.zremrangebyscore("z", "-inf", "(2")
        1
        """
        return self.execute_command("ZREMRANGEBYSCORE", name, min, max)

    def zscan(
        self,
        name: KeyT,
        cursor: int = 0,
        match: Optional[Any] = None,
        count: Optional[int] = None,
        score_cast_func: Union[type, Callable] = float,
    ) -> Any:
        """One ZSCAN step: ``(next_cursor, [(member, score), ...])``.

        >>> r.zadd("z", {"a": 1})
        1
        >>> r.zscan("z")
        (0, [(b'a', 1.0)])
        """
        pieces: List[Any] = [name, cursor]
        if match is not None:
            pieces.extend([b"MATCH", match])
        if count is not None:
            pieces.extend([b"COUNT", count])
        return self.execute_command("ZSCAN", *pieces, score_cast_func=score_cast_func)

    def zscan_iter(
        self,
        name: KeyT,
        match: Optional[Any] = None,
        count: Optional[int] = None,
        score_cast_func: Union[type, Callable] = float,
    ) -> Iterator[Any]:
        """Iterates over ``(member, score)`` pairs of ``name`` with ZSCAN.

        >>> r.zadd("z", {"a": 1, "b": 2})
        2
        >>> sorted(r.zscan_iter("z"))
        [(b'a', 1.0), (b'b', 2.0)]
        """
        cursor: Any = "0"
        while cursor != 0:
            cursor, data = self.zscan(
                name, cursor=cursor, match=match, count=count, score_cast_func=score_cast_func
            )
            yield from data

    # --- blocking pops -------------------------------------------------

    def bzpopmin(self, keys: Any, timeout: Optional[float] = 0) -> Any:
        """Pop the lowest-scored member of the first non-empty sorted set in
        ``keys``, waiting up to ``timeout`` seconds (0 = forever). Returns
        ``(key, member, score)`` or None on timeout.

        >>> r.zadd("z", {"a": 1}); r.bzpopmin(["z"], timeout=1)
        (b'z', b'a', 1.0)
        """
        args = list_or_args(keys, None)
        args.append(0 if timeout is None else timeout)
        return self.execute_command("BZPOPMIN", *args)

    def bzpopmax(self, keys: Any, timeout: Optional[float] = 0) -> Any:
        """Like :meth:`bzpopmin`, for the highest score."""
        args = list_or_args(keys, None)
        args.append(0 if timeout is None else timeout)
        return self.execute_command("BZPOPMAX", *args)

    def bzmpop(
        self,
        timeout: float,
        numkeys: int,
        keys: List[Any],
        min: Optional[bool] = False,
        max: Optional[bool] = False,
        count: Optional[int] = 1,
    ) -> Any:
        """Blocking :meth:`zmpop`: ``[key, [[member, score], ...]]`` or None."""
        args: List[Any] = [timeout, numkeys, *keys]
        if (min and max) or (not min and not max):
            raise DataError("Either min or max, but not both must be set")
        args.append("MIN" if min else "MAX")
        args.extend(["COUNT", count])
        return self.execute_command("BZMPOP", *args)
