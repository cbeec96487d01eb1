"""StreamCommands (redis-py method names and signatures).

Replies are shaped by the stream callbacks in ``redcore._callbacks``:
entries come back as ``(id, {field: value})`` tuples, XREAD as
``[[stream, entries], ...]``, XINFO and XPENDING as dicts.
"""

from __future__ import annotations

from typing import Any, Dict, List, Literal, Optional, Tuple, Union

from ..exceptions import DataError

KeyT = Union[bytes, str, memoryview]
FieldT = Union[bytes, str, memoryview, int, float]
EncodableT = Union[bytes, bytearray, memoryview, str, int, float]
StreamIdT = Union[int, bytes, str, memoryview]
GroupT = Union[bytes, str, memoryview]
ConsumerT = Union[bytes, str, memoryview]

_REF_POLICIES = {"KEEPREF", "DELREF", "ACKED"}


class StreamCommands:
    """Mixin; relies on ``execute_command``."""

    execute_command: Any

    def xack(self, name: KeyT, groupname: GroupT, *ids: StreamIdT) -> Any:
        """Acknowledge ``ids`` in group ``groupname``; returns how many were
        pending.

        >>> r.xgroup_create("s", "g", id="0", mkstream=True)
        True
        >>> r.xack("s", "g", "1-0")
        0
        """
        return self.execute_command("XACK", name, groupname, *ids)

    def xackdel(
        self,
        name: KeyT,
        groupname: GroupT,
        *ids: StreamIdT,
        ref_policy: Literal["KEEPREF", "DELREF", "ACKED"] = "KEEPREF",
    ) -> Any:
        """Acknowledge ``ids`` in ``groupname`` and delete them (Redis 8.2):
        one code per ID as :meth:`xdelex` gives, -1 for an ID that was not
        pending in the group.

        >>> r.xackdel("s", "g", "1-1")
        [-1]
        """
        if not ids:
            raise DataError("XACKDEL requires at least one message ID")
        if ref_policy not in _REF_POLICIES:
            raise DataError("XACKDEL ref_policy must be one of: KEEPREF, DELREF, ACKED")
        return self.execute_command("XACKDEL", name, groupname, ref_policy, "IDS", len(ids), *ids)

    def xadd(
        self,
        name: KeyT,
        fields: Dict[FieldT, EncodableT],
        id: StreamIdT = "*",
        maxlen: Optional[int] = None,
        approximate: bool = True,
        nomkstream: bool = False,
        minid: Union[StreamIdT, None] = None,
        limit: Optional[int] = None,
        ref_policy: Optional[Literal["KEEPREF", "DELREF", "ACKED"]] = None,
        idmpauto: Optional[str] = None,
        idmp: Optional[Tuple[str, bytes]] = None,
    ) -> Any:
        """Append an entry of ``fields`` to stream ``name`` and return its
        ID. ``maxlen``/``minid`` trim the stream (approximately by default);
        ``nomkstream`` refuses to create it.

        >>> r.xadd("s", {"temp": 21}, id="1-1")
        b'1-1'
        """
        pieces: List[EncodableT] = []
        if maxlen is not None and minid is not None:
            raise DataError("Only one of ```maxlen``` or ```minid``` may be specified")
        if idmpauto is not None and idmp is not None:
            raise DataError("Only one of ```idmpauto``` or ```idmp``` may be specified")
        if (idmpauto is not None or idmp is not None) and id != "*":
            raise DataError("IDMPAUTO and IDMP can only be used with id='*'")
        if ref_policy is not None and ref_policy not in _REF_POLICIES:
            raise DataError("XADD ref_policy must be one of: KEEPREF, DELREF, ACKED")
        if nomkstream:
            pieces.append(b"NOMKSTREAM")
        if ref_policy is not None:
            pieces.append(ref_policy)
        if idmpauto is not None:
            pieces.extend([b"IDMPAUTO", idmpauto])
        if idmp is not None:
            if not isinstance(idmp, tuple) or len(idmp) != 2:
                raise DataError("XADD idmp must be a tuple of (producer_id, idempotent_id)")
            pieces.extend([b"IDMP", idmp[0], idmp[1]])
        if maxlen is not None:
            if not isinstance(maxlen, int) or maxlen < 0:
                raise DataError("XADD maxlen must be non-negative integer")
            pieces.append(b"MAXLEN")
            if approximate:
                pieces.append(b"~")
            pieces.append(str(maxlen))
        if minid is not None:
            pieces.append(b"MINID")
            if approximate:
                pieces.append(b"~")
            pieces.append(minid)
        if limit is not None:
            pieces.extend([b"LIMIT", limit])
        pieces.append(id)
        if not isinstance(fields, dict) or len(fields) == 0:
            raise DataError("XADD fields must be a non-empty dict")
        for pair in fields.items():
            pieces.extend(pair)
        return self.execute_command("XADD", name, *pieces)

    def xautoclaim(
        self,
        name: KeyT,
        groupname: GroupT,
        consumername: ConsumerT,
        min_idle_time: int,
        start_id: StreamIdT = "0-0",
        count: Optional[int] = None,
        justid: bool = False,
    ) -> Any:
        """Claim pending entries idle for at least ``min_idle_time`` ms,
        scanning from ``start_id``; returns ``[next_id, entries,
        deleted_ids]`` (just the claimed IDs with ``justid``).

        >>> r.xautoclaim("s", "g", "bob", 0, justid=True)
        []
        """
        try:
            if int(min_idle_time) < 0:
                raise DataError("XAUTOCLAIM min_idle_time must be a nonnegative integer")
        except TypeError:
            pass
        kwargs: Dict[str, Any] = {}
        pieces: List[Any] = [name, groupname, consumername, min_idle_time, start_id]
        try:
            if int(count) < 0:  # type: ignore[arg-type]
                raise DataError("XPENDING count must be a integer >= 0")
            pieces.extend([b"COUNT", count])
        except TypeError:
            pass
        if justid:
            pieces.append(b"JUSTID")
            kwargs["parse_justid"] = True
        return self.execute_command("XAUTOCLAIM", *pieces, **kwargs)

    def xclaim(
        self,
        name: KeyT,
        groupname: GroupT,
        consumername: ConsumerT,
        min_idle_time: int,
        message_ids: Union[List[StreamIdT], Tuple[StreamIdT]],
        idle: Optional[int] = None,
        time: Optional[int] = None,
        retrycount: Optional[int] = None,
        force: bool = False,
        justid: bool = False,
    ) -> Any:
        """Give pending ``message_ids`` idle for at least ``min_idle_time``
        ms to ``consumername``; returns the claimed entries (or IDs with
        ``justid``).

        >>> r.xclaim("s", "g", "bob", 0, ["1-1"], justid=True)
        []
        """
        if not isinstance(min_idle_time, int) or min_idle_time < 0:
            raise DataError("XCLAIM min_idle_time must be a non negative integer")
        if not isinstance(message_ids, (list, tuple)) or not message_ids:
            raise DataError(
                "XCLAIM message_ids must be a non empty list or tuple of message IDs to claim"
            )
        kwargs: Dict[str, Any] = {}
        pieces: List[EncodableT] = [name, groupname, consumername, str(min_idle_time)]
        pieces.extend(list(message_ids))
        if idle is not None:
            if not isinstance(idle, int):
                raise DataError("XCLAIM idle must be an integer")
            pieces.extend((b"IDLE", str(idle)))
        if time is not None:
            if not isinstance(time, int):
                raise DataError("XCLAIM time must be an integer")
            pieces.extend((b"TIME", str(time)))
        if retrycount is not None:
            if not isinstance(retrycount, int):
                raise DataError("XCLAIM retrycount must be an integer")
            pieces.extend((b"RETRYCOUNT", str(retrycount)))
        if force:
            if not isinstance(force, bool):
                raise DataError("XCLAIM force must be a boolean")
            pieces.append(b"FORCE")
        if justid:
            if not isinstance(justid, bool):
                raise DataError("XCLAIM justid must be a boolean")
            pieces.append(b"JUSTID")
            kwargs["parse_justid"] = True
        return self.execute_command("XCLAIM", *pieces, **kwargs)

    def xdel(self, name: KeyT, *ids: StreamIdT) -> Any:
        """Delete entries ``ids``; returns how many existed.

        >>> r.xdel("s", "1-1", "9-9")
        1
        """
        return self.execute_command("XDEL", name, *ids)

    def xdelex(
        self,
        name: KeyT,
        *ids: StreamIdT,
        ref_policy: Literal["KEEPREF", "DELREF", "ACKED"] = "KEEPREF",
    ) -> Any:
        """Delete entries ``ids`` (Redis 8.2): one code per ID, 1 deleted,
        -1 no such entry, 2 kept because a consumer group still needs it
        (``ref_policy="ACKED"``). ``"DELREF"`` also drops the entries from
        every group's pending list.

        >>> r.xdelex("s", "1-1", "9-9")
        [1, -1]
        """
        if not ids:
            raise DataError("XDELEX requires at least one message ID")
        if ref_policy not in _REF_POLICIES:
            raise DataError("XDELEX ref_policy must be one of: KEEPREF, DELREF, ACKED")
        return self.execute_command("XDELEX", name, ref_policy, "IDS", len(ids), *ids)

    def xgroup_create(
        self,
        name: KeyT,
        groupname: GroupT,
        id: StreamIdT = "$",
        mkstream: bool = False,
        entries_read: Optional[int] = None,
    ) -> Any:
        """Create consumer group ``groupname`` starting after ``id`` (``$``:
        the stream's last ID); ``mkstream`` creates a missing stream.

        >>> r.xgroup_create("events", "workers", mkstream=True)
        True
        """
        pieces: List[EncodableT] = ["XGROUP CREATE", name, groupname, id]
        if mkstream:
            pieces.append(b"MKSTREAM")
        if entries_read is not None:
            pieces.extend(["ENTRIESREAD", entries_read])
        return self.execute_command(*pieces)

    def xgroup_delconsumer(self, name: KeyT, groupname: GroupT, consumername: ConsumerT) -> Any:
        """Delete a consumer; returns how many entries it had pending.

        >>> r.xgroup_delconsumer("events", "workers", "nobody")
        0
        """
        return self.execute_command("XGROUP DELCONSUMER", name, groupname, consumername)

    def xgroup_destroy(self, name: KeyT, groupname: GroupT) -> Any:
        """Delete a consumer group; True if it existed.

        >>> r.xgroup_destroy("events", "workers")
        True
        """
        return self.execute_command("XGROUP DESTROY", name, groupname)

    def xgroup_createconsumer(
        self, name: KeyT, groupname: GroupT, consumername: ConsumerT
    ) -> Any:
        """Create a consumer; 1 if created, 0 if it existed.

        >>> r.xgroup_createconsumer("s", "g", "alice")
        1
        """
        return self.execute_command("XGROUP CREATECONSUMER", name, groupname, consumername)

    def xgroup_setid(
        self,
        name: KeyT,
        groupname: GroupT,
        id: StreamIdT,
        entries_read: Optional[int] = None,
    ) -> Any:
        """Set a group's last delivered ID (and its read counter).

        >>> r.xgroup_setid("s", "g", "0")
        True
        """
        pieces = [name, groupname, id]
        if entries_read is not None:
            pieces.extend(["ENTRIESREAD", entries_read])
        return self.execute_command("XGROUP SETID", *pieces)

    def xinfo_consumers(self, name: KeyT, groupname: GroupT) -> Any:
        """The consumers of a group: name, pending count, idle ms.

        >>> [c["name"] for c in r.xinfo_consumers("s", "g")]
        ['alice']
        """
        return self.execute_command("XINFO CONSUMERS", name, groupname)

    def xinfo_groups(self, name: KeyT) -> Any:
        """The groups of a stream, with pending counts, last delivered ID,
        entries read and lag.

        >>> [g["name"] for g in r.xinfo_groups("s")]
        [b'g']
        """
        return self.execute_command("XINFO GROUPS", name)

    def xinfo_stream(self, name: KeyT, full: bool = False) -> Any:
        """Facts about a stream; ``full`` adds its entries, groups and PELs.

        >>> r.xinfo_stream("s")["length"]
        1
        """
        pieces: List[Any] = [name]
        options: Dict[str, Any] = {}
        if full:
            pieces.append(b"FULL")
            options = {"full": full}
        return self.execute_command("XINFO STREAM", *pieces, **options)

    def xlen(self, name: KeyT) -> Any:
        """The number of entries in a stream.

        >>> r.xlen("s")
        1
        """
        return self.execute_command("XLEN", name, keys=[name])

    def xpending(self, name: KeyT, groupname: GroupT) -> Any:
        """A group's pending summary: count, min and max IDs, per-consumer
        counts.

        >>> r.xpending("s", "g")["pending"]
        0
        """
        return self.execute_command("XPENDING", name, groupname, keys=[name])

    def xpending_range(
        self,
        name: KeyT,
        groupname: GroupT,
        min: StreamIdT,
        max: StreamIdT,
        count: int,
        consumername: Optional[ConsumerT] = None,
        idle: Optional[int] = None,
    ) -> Any:
        """Pending entries between ``min`` and ``max`` (at most ``count``),
        optionally of one consumer or idle for at least ``idle`` ms.

        >>> r.xpending_range("s", "g", "-", "+", 10)
        []
        """
        if {min, max, count} == {None}:
            if idle is not None or consumername is not None:
                raise DataError(
                    "if XPENDING is provided with idle time"
                    " or consumername, it must be provided"
                    " with min, max and count parameters"
                )
            return self.xpending(name, groupname)
        pieces: List[Any] = [name, groupname]
        if min is None or max is None or count is None:
            raise DataError(
                "XPENDING must be provided with min, max "
                "and count parameters, or none of them."
            )
        try:
            if int(idle) < 0:  # type: ignore[arg-type]
                raise DataError("XPENDING idle must be a integer >= 0")
            pieces.extend(["IDLE", idle])
        except TypeError:
            pass
        try:
            if int(count) < 0:
                raise DataError("XPENDING count must be a integer >= 0")
            pieces.extend([min, max, count])
        except TypeError:
            pass
        if consumername:
            pieces.append(consumername)
        return self.execute_command("XPENDING", *pieces, parse_detail=True)

    def xrange(
        self,
        name: KeyT,
        min: StreamIdT = "-",
        max: StreamIdT = "+",
        count: Optional[int] = None,
    ) -> Any:
        """Entries with IDs between ``min`` and ``max`` (``(`` excludes),
        oldest first.

        >>> r.xrange("s")
        [(b'1-1', {b'temp': b'21'})]
        """
        pieces: List[Any] = [min, max]
        if count is not None:
            if not isinstance(count, int) or count < 1:
                raise DataError("XRANGE count must be a positive integer")
            pieces.append(b"COUNT")
            pieces.append(str(count))
        return self.execute_command("XRANGE", name, *pieces, keys=[name])

    def xread(
        self,
        streams: Dict[KeyT, StreamIdT],
        count: Optional[int] = None,
        block: Optional[int] = None,
        max_count: Optional[int] = None,
        max_size: Optional[int] = None,
    ) -> Any:
        """Entries after the given ID of each stream (``$``: only new ones);
        ``block`` waits up to that many ms (0: forever) for data.

        >>> r.xread({"s": "0"})
        [[b's', [(b'1-1', {b'temp': b'21'})]]]
        """
        pieces = _read_options("XREAD", count, block, max_count, max_size)
        if not isinstance(streams, dict) or len(streams) == 0:
            raise DataError("XREAD streams must be a non empty dict")
        pieces.append(b"STREAMS")
        keys, values = zip(*streams.items())
        pieces.extend(keys)
        pieces.extend(values)
        return self.execute_command("XREAD", *pieces, keys=keys)

    def xreadgroup(
        self,
        groupname: str,
        consumername: str,
        streams: Dict[KeyT, StreamIdT],
        count: Optional[int] = None,
        block: Optional[int] = None,
        noack: bool = False,
        claim_min_idle_time: Optional[int] = None,
        max_count: Optional[int] = None,
        max_size: Optional[int] = None,
    ) -> Any:
        """Read as ``consumername`` of ``groupname``: ``>`` gets entries
        never delivered to the group, an ID re-reads the consumer's pending
        ones. ``noack`` skips the pending list.

        >>> r.xreadgroup("g", "alice", {"s": ">"})
        [[b's', [(b'1-1', {b'temp': b'21'})]]]
        """
        options: Dict[str, Any] = {}
        pieces: List[Any] = [b"GROUP", groupname, consumername]
        pieces += _read_options("XREADGROUP", count, block, max_count, max_size)
        if noack:
            pieces.append(b"NOACK")
        if claim_min_idle_time is not None:
            if not isinstance(claim_min_idle_time, int) or claim_min_idle_time < 0:
                raise DataError("XREADGROUP claim_min_idle_time must be a non-negative integer")
            pieces.append(b"CLAIM")
            pieces.append(claim_min_idle_time)
            options["claim_min_idle_time"] = claim_min_idle_time
        if not isinstance(streams, dict) or len(streams) == 0:
            raise DataError("XREADGROUP streams must be a non empty dict")
        pieces.append(b"STREAMS")
        pieces.extend(streams.keys())
        pieces.extend(streams.values())
        return self.execute_command("XREADGROUP", *pieces, **options)

    def xrevrange(
        self,
        name: KeyT,
        max: StreamIdT = "+",
        min: StreamIdT = "-",
        count: Optional[int] = None,
    ) -> Any:
        """Like :meth:`xrange`, newest first.

        >>> r.xrevrange("s", count=1)
        [(b'1-1', {b'temp': b'21'})]
        """
        pieces: List[Any] = [max, min]
        if count is not None:
            if not isinstance(count, int) or count < 1:
                raise DataError("XREVRANGE count must be a positive integer")
            pieces.append(b"COUNT")
            pieces.append(str(count))
        return self.execute_command("XREVRANGE", name, *pieces, keys=[name])

    def xsetid(
        self,
        name: KeyT,
        lastid: StreamIdT,
        entries_added: Optional[int] = None,
        max_deleted_id: Optional[StreamIdT] = None,
    ) -> Any:
        """Set a stream's last ID (and its added-entries counter and
        greatest deleted ID). Not in redis-py; XSETID's reply as sent.

        >>> r.xsetid("s", "5-0")
        b'OK'
        """
        pieces: List[Any] = [name, lastid]
        if entries_added is not None:
            pieces.extend([b"ENTRIESADDED", entries_added])
        if max_deleted_id is not None:
            pieces.extend([b"MAXDELETEDID", max_deleted_id])
        return self.execute_command("XSETID", *pieces)

    def xtrim(
        self,
        name: KeyT,
        maxlen: Optional[int] = None,
        approximate: bool = True,
        minid: Optional[StreamIdT] = None,
        limit: Optional[int] = None,
        ref_policy: Optional[Literal["KEEPREF", "DELREF", "ACKED"]] = None,
    ) -> Any:
        """Trim a stream to ``maxlen`` entries or to IDs from ``minid`` on
        (approximately by default); returns how many entries went.

        >>> r.xtrim("s", maxlen=0, approximate=False)
        1
        """
        pieces: List[EncodableT] = []
        if maxlen is not None and minid is not None:
            raise DataError("Only one of ``maxlen`` or ``minid`` may be specified")
        if maxlen is None and minid is None:
            raise DataError("One of ``maxlen`` or ``minid`` must be specified")
        if ref_policy is not None and ref_policy not in _REF_POLICIES:
            raise DataError("XTRIM ref_policy must be one of: KEEPREF, DELREF, ACKED")
        if maxlen is not None:
            pieces.append(b"MAXLEN")
        if minid is not None:
            pieces.append(b"MINID")
        if approximate:
            pieces.append(b"~")
        if maxlen is not None:
            pieces.append(maxlen)
        if minid is not None:
            pieces.append(minid)
        if limit is not None:
            pieces.append(b"LIMIT")
            pieces.append(limit)
        if ref_policy is not None:
            pieces.append(ref_policy)
        return self.execute_command("XTRIM", name, *pieces)


def _read_options(
    cmd: str,
    count: Optional[int],
    block: Optional[int],
    max_count: Optional[int],
    max_size: Optional[int],
) -> List[Any]:
    """The BLOCK / COUNT / MAXCOUNT / MAXSIZE arguments XREAD and XREADGROUP
    share, checked as redis-py checks them."""
    pieces: List[Any] = []
    if block is not None:
        if not isinstance(block, int) or block < 0:
            raise DataError(f"{cmd} block must be a non-negative integer")
        pieces += [b"BLOCK", str(block)]
    if count is not None:
        if not isinstance(count, int) or count < 1:
            raise DataError(f"{cmd} count must be a positive integer")
        pieces += [b"COUNT", str(count)]
    if max_count is not None:
        if not isinstance(max_count, int) or max_count < 1:
            raise DataError(f"{cmd} max_count must be a positive integer")
        if count is not None and max_count < count:
            raise DataError(f"{cmd} max_count must be greater than or equal to count")
        pieces += [b"MAXCOUNT", str(max_count)]
    if max_size is not None:
        if not isinstance(max_size, int) or max_size < 1:
            raise DataError(f"{cmd} max_size must be a positive integer")
        pieces += [b"MAXSIZE", str(max_size)]
    return pieces
