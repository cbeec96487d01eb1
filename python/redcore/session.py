"""``SessionStore``: server-side web sessions kept in Redis hashes.

Each session is one hash, ``<prefix><id>``, holding one field per session
key with its serialized value, so concurrent requests that change
*different* keys of one session both win (``HSET`` touches only its own
fields), and each session lives in a single key, which keeps every operation
on one cluster slot.

    >>> import redcore
    >>> from redcore.session import SessionStore
    >>> store = SessionStore(redcore.Redis(), ttl=3600)
    >>> sid = store.create({"user": "ada"})
    >>> store.update(sid, cart=[1, 2])
    True
    >>> store.get(sid)
    {'user': 'ada', 'cart': [1, 2]}
    >>> new_sid = store.rotate(sid)      # on login: defeats session fixation
    >>> store.get(sid) is None, store.get(new_sid)["user"]
    (True, 'ada')

Ids are 256 random bits from the OS CSPRNG (``secrets.token_urlsafe(32)``).
Errors from the client propagate: a store never falls back to something
else when Redis is unreachable.

Besides the user's fields, every session hash holds one marker field
(``SessionStore.MARKER``) written when the session is created. A session
exists when its marker does, so an empty session still has a key, and an
update that races with a delete cannot bring the session back: the hash it
leaves behind has no marker, reads ignore it, and it is removed at once.
"""

from __future__ import annotations

import json
import math
import re
import secrets
import sys
import time
from datetime import timedelta
from typing import Any, Callable, Dict, Iterable, Mapping, Optional, Protocol, Tuple, Type, Union

from .exceptions import WatchError

TTL = Union[int, float, timedelta, None]


class Serializer(Protocol):
    """What a session store needs from a serializer (``json`` and
    ``pickle`` qualify; ``loads`` receives bytes or str)."""

    def dumps(self, obj: Any) -> Union[str, bytes]: ...

    def loads(self, data: Any) -> Any: ...


class _Default:
    def __repr__(self) -> str:
        return "DEFAULT"


#: Pass as ``ttl=`` (the default) to use the store's own TTL.
DEFAULT: Any = _Default()

# Session ids the store hands out are 43 URL-safe characters; anything that
# does not look like an id (a forged cookie) is treated as a missing session
# without a round trip.
_VALID_ID = re.compile(r"\A[A-Za-z0-9_.\-]{8,256}\Z")


def new_session_id() -> str:
    """A fresh session id: 256 bits from the OS CSPRNG, URL-safe.

    >>> len(new_session_id())
    43
    """
    return secrets.token_urlsafe(32)


def _to_ms(ttl: TTL) -> Optional[int]:
    if ttl is None:
        return None
    seconds = ttl.total_seconds() if isinstance(ttl, timedelta) else float(ttl)
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"session ttl must be a positive number of seconds or None, not {ttl!r}")
    return max(1, int(seconds * 1000))


def _watch_errors() -> Tuple[Type[BaseException], ...]:
    # A redis-py client raises redis-py's WatchError; stay duck-typed and
    # catch both without importing redis-py ourselves.
    redis_exceptions = sys.modules.get("redis.exceptions")
    extra = getattr(redis_exceptions, "WatchError", None)
    return (WatchError,) if extra is None or extra is WatchError else (WatchError, extra)


def _text(name: Any) -> str:
    return name.decode("utf-8", "surrogateescape") if isinstance(name, bytes) else str(name)


class SessionStore:
    """Sessions as Redis hashes with a TTL.

    Args:
        client: a redcore or redis-py client (anything with their methods).
            Binary serializers (pickle) need ``decode_responses=False``.
        prefix: prepended to session ids to form keys.
        ttl: seconds (or a ``timedelta``) a session lives without activity;
            ``None``: until deleted.
        serializer: turns each session value into a string and back:
            ``json`` (the default) or any object with ``dumps``/``loads``.
        sliding: ``get`` and ``update`` reset the TTL (an idle timeout).
            Without it the TTL counts from ``create`` (an absolute
            lifetime) and only ``touch``/``replace``/``rotate`` reset it.

    Sessions that survive restarts with no server: open the client on a
    directory, ``SessionStore(redcore.Redis(name="app", dir="/var/lib/app",
    save=[(60, 1)]))`` (or ``memory://app?dir=/var/lib/app&save=60+1``): the
    engine loads the directory's ``dump.rdb`` on first open and saves by its
    save points and at exit.

    >>> import redcore
    >>> store = SessionStore(redcore.Redis(), prefix="s:", ttl=60)
    >>> sid = store.create()
    >>> store.exists(sid), store.get(sid)
    (True, {})
    >>> 59 < store.ttl(sid) <= 60
    True
    """

    #: The hash field marking a live session; user keys may not start with NUL.
    MARKER = "\x00redcore"

    def __init__(
        self,
        client: Any,
        prefix: str = "session:",
        ttl: TTL = 1800,
        serializer: Serializer = json,  # type: ignore[assignment]
        sliding: bool = True,
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.ttl_ms = _to_ms(ttl)
        self.serializer = serializer
        self.sliding = sliding
        self._watch_errors = _watch_errors()

    def __repr__(self) -> str:
        return f"<SessionStore prefix={self.prefix!r} ttl_ms={self.ttl_ms} sliding={self.sliding}>"

    # --- keys, fields ---------------------------------------------------

    def key(self, sid: str) -> str:
        """The Redis key holding session ``sid``."""
        return self.prefix + sid

    @staticmethod
    def valid_id(sid: Any) -> bool:
        """Whether ``sid`` has the shape of a session id (8-256 URL-safe
        characters); other values are treated as unknown sessions."""
        return isinstance(sid, str) and _VALID_ID.match(sid) is not None

    def _ms(self, ttl: Any) -> Optional[int]:
        return self.ttl_ms if ttl is DEFAULT else _to_ms(ttl)

    def encode(self, data: Mapping[str, Any]) -> Dict[str, Union[str, bytes]]:
        """Serializes each value of ``data`` (the form stored in the hash).

        >>> SessionStore(None).encode({"n": 1, "tags": ["a"]})
        {'n': '1', 'tags': '["a"]'}
        """
        out: Dict[str, Union[str, bytes]] = {}
        for name, value in data.items():
            if not isinstance(name, str):
                raise TypeError(f"session keys must be str, not {type(name).__name__}")
            if name.startswith("\x00"):
                raise ValueError("session keys may not start with NUL (reserved)")
            out[name] = self.serializer.dumps(value)
        return out

    def decode(self, raw: Mapping[Any, Any]) -> Dict[str, Any]:
        """The session dict from a hash as read by HGETALL (the marker
        dropped)."""
        return {
            name: self.serializer.loads(value) for name, value in self.raw_fields(raw).items()
        }

    def raw_fields(self, raw: Mapping[Any, Any]) -> Dict[str, Any]:
        """HGETALL's reply with str field names, without the marker."""
        return {_text(k): v for k, v in raw.items() if _text(k) != self.MARKER}

    def _is_live(self, raw: Mapping[Any, Any]) -> bool:
        return any(_text(k) == self.MARKER for k in raw)

    def _optimistic(self, key: str, body: Callable[[Any], Any]) -> Any:
        """Runs ``body(pipe)`` with ``key`` WATCHed (``body`` ends with
        ``pipe.execute()`` or an early return) until its transaction goes
        through."""
        with self.client.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(key)
                    return body(pipe)
                except self._watch_errors:
                    pipe.reset()

    def _expire(self, pipe: Any, key: str, ms: Optional[int], only_if_none: bool = False) -> None:
        if ms is not None:
            if only_if_none:
                pipe.pexpire(key, ms, nx=True)
            else:
                pipe.pexpire(key, ms)

    # --- reading --------------------------------------------------------

    def get(self, sid: str) -> Optional[Dict[str, Any]]:
        """The session's data, or None if there is no such session. With
        ``sliding`` the read also resets the TTL (atomically with it).

        >>> import redcore
        >>> store = SessionStore(redcore.Redis())
        >>> store.get(store.create({"a": 1}))
        {'a': 1}
        """
        raw = self.get_raw(sid)
        return None if raw is None else self.decode(raw)

    def get_raw(self, sid: str, extend: Optional[bool] = None) -> Optional[Dict[str, Any]]:
        """Like :meth:`get` but with the stored (serialized) values, keyed
        by field name; ``extend`` overrides ``sliding`` for this read."""
        if not self.valid_id(sid):
            return None
        pipe = self._read_pipe(sid, extend)
        return self._live_fields(pipe.execute()[0])

    def _read_pipe(self, sid: str, extend: Optional[bool]) -> Any:
        """HGETALL of the session (with PEXPIRE when the read extends it)."""
        key = self.key(sid)
        extend = self.sliding if extend is None else extend
        pipe = self.client.pipeline(transaction=True)
        pipe.hgetall(key)
        if extend and self.ttl_ms is not None:
            pipe.pexpire(key, self.ttl_ms)
        return pipe

    def _live_fields(self, raw: Mapping[Any, Any]) -> Optional[Dict[str, Any]]:
        return self.raw_fields(raw) if self._is_live(raw) else None

    def exists(self, sid: str) -> bool:
        """Whether session ``sid`` exists (does not extend it)."""
        return self.valid_id(sid) and bool(self.client.hexists(self.key(sid), self.MARKER))

    def ttl(self, sid: str) -> Optional[float]:
        """Seconds until the session expires: None if there is no such
        session, ``math.inf`` if it never expires."""
        if not self.valid_id(sid):
            return None
        return _seconds_left(*self._ttl_pipe(sid).execute())

    def _ttl_pipe(self, sid: str) -> Any:
        pipe = self.client.pipeline(transaction=True)
        pipe.hexists(self.key(sid), self.MARKER)
        pipe.pttl(self.key(sid))
        return pipe

    # --- writing --------------------------------------------------------

    def create(self, data: Optional[Mapping[str, Any]] = None, *, ttl: TTL = DEFAULT) -> str:
        """Stores a new session holding ``data``; returns its id. ``ttl``
        overrides the store's TTL for this session.

        >>> import redcore
        >>> store = SessionStore(redcore.Redis())
        >>> sid = store.create({"theme": "dark"})
        >>> len(sid)
        43
        """
        sid = new_session_id()
        self._write(self.key(sid), self.encode(data or {}), self._ms(ttl))
        return sid

    def create_as(self, sid: str, data: Optional[Mapping[str, Any]] = None, *, ttl: TTL = DEFAULT) -> bool:
        """Stores a new session under the id ``sid`` unless one exists
        there; True if it was created. Only for frameworks that pick their
        own ids (Django); ``sid`` must be unguessable.

        >>> import redcore
        >>> store = SessionStore(redcore.Redis())
        >>> store.create_as("d" * 32, {"a": 1}), store.create_as("d" * 32, {})
        (True, False)
        """
        key, fields, ms = self._create_as_args(sid, data, ttl)

        def body(pipe: Any) -> bool:
            if pipe.hexists(key, self.MARKER):
                return False
            pipe.multi()
            self._queue_write(pipe, key, fields, ms)
            pipe.execute()
            return True

        return bool(self._optimistic(key, body))

    def _create_as_args(self, sid: str, data: Optional[Mapping[str, Any]], ttl: TTL) -> Tuple[str, Dict[str, Any], Optional[int]]:
        if not self.valid_id(sid):
            raise ValueError(f"invalid session id {sid!r}")
        return self.key(sid), self.encode(data or {}), self._ms(ttl)

    def _queue_write(self, pipe: Any, key: str, fields: Mapping[str, Any], ms: Optional[int]) -> None:
        # A marker-less leftover may sit on the key; start from nothing.
        pipe.delete(key)
        pipe.hset(key, mapping={self.MARKER: str(int(time.time() * 1000)), **fields})
        self._expire(pipe, key, ms)

    def _write(self, key: str, fields: Mapping[str, Any], ms: Optional[int]) -> None:
        self._write_pipe(key, fields, ms).execute()

    def _write_pipe(self, key: str, fields: Mapping[str, Any], ms: Optional[int]) -> Any:
        pipe = self.client.pipeline(transaction=True)
        self._queue_write(pipe, key, fields, ms)
        return pipe

    def update(self, sid: str, mapping: Optional[Mapping[str, Any]] = None, /, **fields: Any) -> bool:
        """Sets some of the session's keys, leaving the others alone
        (concurrent updates of other keys are kept). False, and nothing
        stored, if there is no such session.

        >>> import redcore
        >>> store = SessionStore(redcore.Redis())
        >>> sid = store.create({"a": 1})
        >>> store.update(sid, {"b": 2}, c=3), store.get(sid)
        (True, {'a': 1, 'b': 2, 'c': 3})
        """
        changes = dict(mapping or {})
        changes.update(fields)
        return self.patch(sid, self.encode(changes))

    def discard(self, sid: str, *names: str) -> bool:
        """Removes keys from the session; False if there is no such session."""
        return self.patch(sid, {}, names)

    def patch(
        self,
        sid: str,
        changes: Mapping[str, Any],
        removed: Iterable[str] = (),
        *,
        ttl: TTL = DEFAULT,
    ) -> bool:
        """Writes already-serialized ``changes`` and deletes the keys
        ``removed``, in one transaction on the session's key; resets the TTL
        (to ``ttl``) with ``sliding`` or an explicit ``ttl``. False, and
        nothing left behind, if the session does not exist.

        >>> import redcore
        >>> store = SessionStore(redcore.Redis())
        >>> sid = store.create({"a": 1, "b": 2})
        >>> store.patch(sid, {"a": "10"}, ["b"]), store.get(sid)
        (True, {'a': 10})
        """
        if not self.valid_id(sid):
            return False
        key = self.key(sid)
        if self._patch_pipe(key, changes, removed, ttl).execute()[0]:
            return True
        if changes:
            self._drop_leftover(key)
        return False

    def _patch_pipe(self, key: str, changes: Mapping[str, Any], removed: Iterable[str], ttl: TTL) -> Any:
        removed = [name for name in removed if name not in changes]
        for name in (*changes, *removed):
            if name.startswith("\x00"):
                raise ValueError("session keys may not start with NUL (reserved)")
        pipe = self.client.pipeline(transaction=True)
        pipe.hexists(key, self.MARKER)
        if changes:
            pipe.hset(key, mapping=dict(changes))
        if removed:
            pipe.hdel(key, *removed)
        # Without sliding the TTL only guards against a leftover that never
        # expires; the session's own expiry stays as it was.
        self._expire(pipe, key, self._ms(ttl), only_if_none=not self.sliding and ttl is DEFAULT)
        return pipe

    def _drop_leftover(self, key: str) -> None:
        """Deletes ``key`` if it holds no marker: what a write to a session
        deleted meanwhile leaves. Checked under WATCH, so a session created
        on that key in the meantime survives."""

        def body(pipe: Any) -> None:
            if not pipe.hexists(key, self.MARKER):
                pipe.multi()
                pipe.delete(key)
                pipe.execute()

        self._optimistic(key, body)

    def replace(self, sid: str, data: Mapping[str, Any], *, ttl: TTL = DEFAULT) -> bool:
        """Makes ``data`` the whole content of the session (keys not in it
        are removed); False if there is no such session. Resets the TTL.

        >>> import redcore
        >>> store = SessionStore(redcore.Redis())
        >>> sid = store.create({"a": 1})
        >>> store.replace(sid, {"b": 2}), store.get(sid)
        (True, {'b': 2})
        """
        if not self.valid_id(sid):
            return False
        key = self.key(sid)
        fields = self.encode(data)
        ms = self._ms(ttl)

        def body(pipe: Any) -> bool:
            if not self._queue_replace(pipe, key, pipe.hkeys(key), fields, ms):
                return False
            pipe.execute()
            return True

        return bool(self._optimistic(key, body))

    def _queue_replace(self, pipe: Any, key: str, names: Iterable[Any], fields: Mapping[str, Any], ms: Optional[int]) -> bool:
        """Queues (in MULTI) what turns the hash with field ``names`` into
        ``fields``; False, nothing queued, if it is no live session."""
        names = [_text(n) for n in names]
        if self.MARKER not in names:
            return False
        stale = [n for n in names if n != self.MARKER and n not in fields]
        pipe.multi()
        if stale:
            pipe.hdel(key, *stale)
        if fields:
            pipe.hset(key, mapping=fields)
        self._expire(pipe, key, ms)
        return True

    def touch(self, sid: str, *, ttl: TTL = DEFAULT) -> bool:
        """Resets the session's TTL (to ``ttl`` if given); False if there
        is no such session."""
        if not self.valid_id(sid):
            return False
        return bool(self._touch_pipe(sid, ttl).execute()[0])

    def _touch_pipe(self, sid: str, ttl: TTL) -> Any:
        key = self.key(sid)
        ms = self._ms(ttl)
        pipe = self.client.pipeline(transaction=True)
        pipe.hexists(key, self.MARKER)
        if ms is None:
            pipe.persist(key)
        else:
            pipe.pexpire(key, ms)
        return pipe

    def delete(self, sid: str) -> bool:
        """Deletes the session; True if it existed."""
        return self.valid_id(sid) and bool(self.client.delete(self.key(sid)))

    def rotate(self, sid: str, *, ttl: TTL = DEFAULT) -> Optional[str]:
        """Moves the session to a fresh id and deletes the old one; returns
        the new id, or None if there is no such session. Call it when the
        user's privileges change (login) so an id planted by an attacker
        before login is worthless after it. The new session gets a full TTL.

        Two random ids live in different cluster slots, so this works in
        steps, each atomic on one key: copy the data to the new id (data and
        TTL in one transaction); read and delete the old id in one
        transaction; if the old id changed in between, copy its final state
        over. Updates sent to the old id after that find no session. A crash
        between the steps leaves the new id holding the first copy (and, at
        worst, the old id valid until it expires), never without data.
        No retry loop, so a busy session cannot starve a rotation.

        >>> import redcore
        >>> store = SessionStore(redcore.Redis())
        >>> old = store.create({"cart": [7]})
        >>> new = store.rotate(old)
        >>> store.exists(old), store.get(new)
        (False, {'cart': [7]})
        """
        if not self.valid_id(sid):
            return None
        old = self.key(sid)
        snapshot = self.client.hgetall(old)
        if not self._is_live(snapshot):
            return None
        new_sid = new_session_id()
        new = self.key(new_sid)
        ms = self._ms(ttl)
        self._copy(new, snapshot, ms)
        final = self._take_pipe(old).execute()[0]
        if not self._is_live(final):
            # Deleted (logout) or rotated by someone else meanwhile.
            self.client.delete(new)
            return None
        if final != snapshot:
            self._copy(new, final, ms)
        return new_sid

    def _take_pipe(self, key: str) -> Any:
        """Reads and deletes ``key`` at once."""
        pipe = self.client.pipeline(transaction=True)
        pipe.hgetall(key)
        pipe.delete(key)
        return pipe

    def _copy(self, key: str, raw: Mapping[Any, Any], ms: Optional[int]) -> None:
        self._copy_pipe(key, raw, ms).execute()

    def _copy_pipe(self, key: str, raw: Mapping[Any, Any], ms: Optional[int]) -> Any:
        pipe = self.client.pipeline(transaction=True)
        pipe.delete(key)
        pipe.hset(key, mapping=dict(raw))
        self._expire(pipe, key, ms)
        return pipe


def _seconds_left(live: Any, pttl: int) -> Optional[float]:
    if not live:
        return None
    return math.inf if pttl < 0 else pttl / 1000


class AsyncSessionStore(SessionStore):
    """:class:`SessionStore` for an asyncio client (``redcore.asyncio.Redis``
    or ``redis.asyncio.Redis``): the same layout, ids, serializer and
    guarantees, with coroutine methods. Sessions written by either kind
    read the same.

    >>> import asyncio, redcore.asyncio
    >>> async def main():
    ...     store = AsyncSessionStore(redcore.asyncio.Redis(), ttl=3600)
    ...     sid = await store.create({"user": "ada"})
    ...     await store.update(sid, cart=[1])
    ...     return await store.get(sid)
    >>> asyncio.run(main())
    {'user': 'ada', 'cart': [1]}
    """

    def __repr__(self) -> str:
        return f"<AsyncSessionStore prefix={self.prefix!r} ttl_ms={self.ttl_ms} sliding={self.sliding}>"

    async def _optimistic(self, key: str, body: Callable[[Any], Any]) -> Any:  # type: ignore[override]
        """Runs the coroutine ``body(pipe)`` with ``key`` WATCHed until its
        transaction goes through."""
        async with self.client.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(key)
                    return await body(pipe)
                except self._watch_errors:
                    await pipe.reset()

    async def get(self, sid: str) -> Optional[Dict[str, Any]]:  # type: ignore[override]
        """The session's data, or None (extends it with ``sliding``)."""
        raw = await self.get_raw(sid)
        return None if raw is None else self.decode(raw)

    async def get_raw(self, sid: str, extend: Optional[bool] = None) -> Optional[Dict[str, Any]]:  # type: ignore[override]
        """The stored (serialized) values by field name, or None."""
        if not self.valid_id(sid):
            return None
        return self._live_fields((await self._read_pipe(sid, extend).execute())[0])

    async def exists(self, sid: str) -> bool:  # type: ignore[override]
        """Whether session ``sid`` exists (does not extend it)."""
        return self.valid_id(sid) and bool(await self.client.hexists(self.key(sid), self.MARKER))

    async def ttl(self, sid: str) -> Optional[float]:  # type: ignore[override]
        """Seconds until the session expires (None: no such session,
        ``math.inf``: never)."""
        if not self.valid_id(sid):
            return None
        return _seconds_left(*await self._ttl_pipe(sid).execute())

    async def create(self, data: Optional[Mapping[str, Any]] = None, *, ttl: TTL = DEFAULT) -> str:  # type: ignore[override]
        """Stores a new session holding ``data``; returns its id."""
        sid = new_session_id()
        await self._write_pipe(self.key(sid), self.encode(data or {}), self._ms(ttl)).execute()
        return sid

    async def create_as(self, sid: str, data: Optional[Mapping[str, Any]] = None, *, ttl: TTL = DEFAULT) -> bool:  # type: ignore[override]
        """Stores a new session under ``sid`` unless one exists there."""
        key, fields, ms = self._create_as_args(sid, data, ttl)

        async def body(pipe: Any) -> bool:
            if await pipe.hexists(key, self.MARKER):
                return False
            pipe.multi()
            self._queue_write(pipe, key, fields, ms)
            await pipe.execute()
            return True

        return bool(await self._optimistic(key, body))

    async def update(self, sid: str, mapping: Optional[Mapping[str, Any]] = None, /, **fields: Any) -> bool:  # type: ignore[override]
        """Sets some of the session's keys; False if there is no such session."""
        changes = dict(mapping or {})
        changes.update(fields)
        return await self.patch(sid, self.encode(changes))

    async def discard(self, sid: str, *names: str) -> bool:  # type: ignore[override]
        """Removes keys from the session; False if there is no such session."""
        return await self.patch(sid, {}, names)

    async def patch(  # type: ignore[override]
        self, sid: str, changes: Mapping[str, Any], removed: Iterable[str] = (), *, ttl: TTL = DEFAULT,
    ) -> bool:
        """Writes serialized ``changes`` and removes ``removed`` at once."""
        if not self.valid_id(sid):
            return False
        key = self.key(sid)
        if (await self._patch_pipe(key, changes, removed, ttl).execute())[0]:
            return True
        if changes:
            await self._drop_leftover(key)
        return False

    async def _drop_leftover(self, key: str) -> None:  # type: ignore[override]
        async def body(pipe: Any) -> None:
            if not await pipe.hexists(key, self.MARKER):
                pipe.multi()
                pipe.delete(key)
                await pipe.execute()

        await self._optimistic(key, body)

    async def replace(self, sid: str, data: Mapping[str, Any], *, ttl: TTL = DEFAULT) -> bool:  # type: ignore[override]
        """Makes ``data`` the whole session; False if there is no such session."""
        if not self.valid_id(sid):
            return False
        key = self.key(sid)
        fields = self.encode(data)
        ms = self._ms(ttl)

        async def body(pipe: Any) -> bool:
            if not self._queue_replace(pipe, key, await pipe.hkeys(key), fields, ms):
                return False
            await pipe.execute()
            return True

        return bool(await self._optimistic(key, body))

    async def touch(self, sid: str, *, ttl: TTL = DEFAULT) -> bool:  # type: ignore[override]
        """Resets the session's TTL; False if there is no such session."""
        if not self.valid_id(sid):
            return False
        return bool((await self._touch_pipe(sid, ttl).execute())[0])

    async def delete(self, sid: str) -> bool:  # type: ignore[override]
        """Deletes the session; True if it existed."""
        return self.valid_id(sid) and bool(await self.client.delete(self.key(sid)))

    async def rotate(self, sid: str, *, ttl: TTL = DEFAULT) -> Optional[str]:  # type: ignore[override]
        """Moves the session to a fresh id (see :meth:`SessionStore.rotate`)."""
        if not self.valid_id(sid):
            return None
        old = self.key(sid)
        snapshot = await self.client.hgetall(old)
        if not self._is_live(snapshot):
            return None
        new_sid = new_session_id()
        new = self.key(new_sid)
        ms = self._ms(ttl)
        await self._copy_pipe(new, snapshot, ms).execute()
        final = (await self._take_pipe(old).execute())[0]
        if not self._is_live(final):
            await self.client.delete(new)
            return None
        if final != snapshot:
            await self._copy_pipe(new, final, ms).execute()
        return new_sid


def diff(stored: Mapping[str, Any], current: Mapping[str, Any]) -> Tuple[Dict[str, Any], list]:
    """What to write to turn ``stored`` into ``current`` (both mapping
    field names to serialized values): the changed fields and the removed
    names. Comparing serialized forms catches in-place changes to nested
    values that a dict's own change tracking misses.

    >>> diff({"a": "1", "b": "2"}, {"a": "1", "b": "3", "c": "4"})
    ({'b': '3', 'c': '4'}, [])
    >>> diff({"a": "1"}, {})
    ({}, ['a'])
    """
    changes = {}
    for name, value in current.items():
        old = stored.get(name)
        if old is None or _as_bytes(old) != _as_bytes(value):
            changes[name] = value
    return changes, [name for name in stored if name not in current]


def _as_bytes(value: Any) -> bytes:
    return value.encode("utf-8", "surrogateescape") if isinstance(value, str) else bytes(value)


__all__ = ["DEFAULT", "AsyncSessionStore", "Serializer", "SessionStore", "diff", "new_session_id"]
