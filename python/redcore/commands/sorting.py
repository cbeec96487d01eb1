"""SortDumpCommands: SORT, DUMP/RESTORE and MEMORY (redis-py method names
and signatures)."""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Union

from ..exceptions import DataError


class SortDumpCommands:
    """Mixin; relies on ``execute_command``."""

    execute_command: Any

    def sort(
        self,
        name: Any,
        start: Optional[int] = None,
        num: Optional[int] = None,
        by: Optional[Any] = None,
        get: Optional[Union[Any, Sequence[Any]]] = None,
        desc: bool = False,
        alpha: bool = False,
        store: Optional[Any] = None,
        groups: Optional[bool] = False,
    ) -> Any:
        """Sort the list, set or sorted set at ``name`` and return the
        elements (or, with ``store``, store them as a list and return its
        length).

        ``start``/``num`` page through the result; ``by`` sorts by external
        keys (``*`` stands for the element, ``key->field`` reads a hash
        field); ``get`` returns values of external keys instead (``#`` is
        the element); ``groups`` returns tuples, one value per ``get``.

        >>> r.rpush("l", 3, 1, 2); r.sort("l")
        [b'1', b'2', b'3']
        """
        if (start is not None and num is None) or (num is not None and start is None):
            raise DataError("``start`` and ``num`` must both be specified")
        pieces: List[Any] = [name]
        if by is not None:
            pieces.extend([b"BY", by])
        if start is not None and num is not None:
            pieces.extend([b"LIMIT", start, num])
        if get is not None:
            # A single pattern may be given as a string; any other iterable
            # holds several.
            if isinstance(get, (bytes, str)):
                pieces.extend([b"GET", get])
            else:
                for g in get:
                    pieces.extend([b"GET", g])
        if desc:
            pieces.append(b"DESC")
        if alpha:
            pieces.append(b"ALPHA")
        if store is not None:
            pieces.extend([b"STORE", store])
        if groups:
            if not get or isinstance(get, (bytes, str)) or len(get) < 2:
                raise DataError(
                    'when using "groups" the "get" argument '
                    "must be specified and contain at least "
                    "two keys"
                )
        options = {"groups": len(get) if groups else None}  # type: ignore[arg-type]
        options["keys"] = [name]
        return self.execute_command("SORT", *pieces, **options)

    def sort_ro(
        self,
        key: Any,
        start: Optional[int] = None,
        num: Optional[int] = None,
        by: Optional[Any] = None,
        get: Optional[Union[Any, Sequence[Any]]] = None,
        desc: bool = False,
        alpha: bool = False,
    ) -> List[Any]:
        """The read-only SORT: same options except ``store`` and ``groups``.
        (redis-py sends it as a plain SORT, and so does this.)

        >>> r.sadd("s", "b", "a"); r.sort_ro("s", alpha=True)
        [b'a', b'b']
        """
        return self.sort(key, start=start, num=num, by=by, get=get, desc=desc, alpha=alpha)

    def dump(self, name: Any) -> Optional[bytes]:
        """The serialized value of ``name`` (Redis's DUMP format, readable
        by RESTORE on redcore or redis-server), or None if it is missing.

        >>> r.set("k", "v"); r.dump("k")[:3]
        b'\\x00\\x01v'
        """
        # The payload is binary: never decoded, even with decode_responses.
        return self.execute_command("DUMP", name, NEVER_DECODE=[])

    def restore(
        self,
        name: Any,
        ttl: float,
        value: Any,
        replace: bool = False,
        absttl: bool = False,
        idletime: Optional[int] = None,
        frequency: Optional[int] = None,
    ) -> Any:
        """Create ``name`` from a DUMP payload, expiring in ``ttl`` ms (0:
        never; with ``absttl`` a unix time in ms). ``replace`` overwrites
        an existing key; ``idletime``/``frequency`` set its eviction data.

        >>> p = r.dump("k"); r.restore("k2", 0, p)
        b'OK'
        """
        params: List[Any] = [name, ttl, value]
        if replace:
            params.append("REPLACE")
        if absttl:
            params.append("ABSTTL")
        if idletime is not None:
            params.append("IDLETIME")
            try:
                params.append(int(idletime))
            except ValueError:
                raise DataError("idletimemust be an integer")
        if frequency is not None:
            params.append("FREQ")
            try:
                params.append(int(frequency))
            except ValueError:
                raise DataError("frequency must be an integer")
        return self.execute_command("RESTORE", *params)

    def memory_usage(self, key: Any, samples: Optional[int] = None, **kwargs: Any) -> Optional[int]:
        """An estimate of the bytes ``key`` and its value take (None if the
        key is missing); ``samples`` bounds how many nested elements are
        measured (0: all). The numbers differ from redis-server's, which
        come from its allocator.

        >>> r.set("k", "v"); r.memory_usage("k") > 0
        True
        """
        args: List[Any] = []
        if isinstance(samples, int):
            args.extend([b"SAMPLES", samples])
        return self.execute_command("MEMORY USAGE", key, *args, **kwargs)

    def memory_stats(self, **kwargs: Any) -> Any:
        """A dict of memory statistics (estimates for the embedded engine).

        >>> "keys.count" in r.memory_stats()
        True
        """
        return self.execute_command("MEMORY STATS", **kwargs)

    def memory_purge(self, **kwargs: Any) -> bool:
        """Ask the allocator to release memory (a no-op here).

        >>> r.memory_purge()
        True
        """
        return self.execute_command("MEMORY PURGE", **kwargs)

    def memory_malloc_stats(self, **kwargs: Any) -> Any:
        """The memory allocator's statistics report.

        >>> isinstance(r.memory_malloc_stats(), bytes)
        True
        """
        return self.execute_command("MEMORY MALLOC-STATS", **kwargs)

    def memory_doctor(self, **kwargs: Any) -> None:
        """Not implemented in the client, as in redis-py."""
        raise NotImplementedError(
            """
            MEMORY DOCTOR is intentionally not implemented in the client.

            For more information, see https://redis.io/commands/memory-doctor
            """
        )

    def memory_help(self, **kwargs: Any) -> None:
        """Not implemented in the client, as in redis-py."""
        raise NotImplementedError(
            """
            MEMORY HELP is intentionally not implemented in the client.

            For more information, see https://redis.io/commands/memory-help
            """
        )
