"""Reliable stream processing: a producer and a consumer-group worker.

Pub/sub forgets a message once it is sent: a subscriber that is down misses
it, and a subscriber that crashes while handling it loses it. A stream with
a consumer group keeps every message until a consumer acknowledges it, so
:class:`StreamWorker` gives *at-least-once* delivery:

- new messages are read with ``XREADGROUP ... >`` and acknowledged (XACK)
  only after the handler returns;
- a message whose handler raised stays pending and is retried after a
  backoff (its delivery count, kept by Redis, grows with each attempt);
- messages left pending by a consumer that died are claimed by another
  worker (XAUTOCLAIM) once idle for ``claim_idle_ms``;
- a message that failed ``max_retries`` retries moves to a dead-letter
  stream, atomically (a script adds it there and acknowledges it), so it
  is never lost nor dead-lettered twice.

    >>> import redcore
    >>> r = redcore.Redis(decode_responses=True)
    >>> StreamProducer(r, "{orders}").send({"sku": "A1", "qty": 2})  # doctest: +ELLIPSIS
    '...-0'
    >>> seen = []
    >>> w = StreamWorker(r, "{orders}", "billing", "w1", lambda m: seen.append(m.data))
    >>> w.process_once()
    1
    >>> seen
    [{'sku': 'A1', 'qty': '2'}]

Cluster note: the worker touches the stream and its dead-letter stream in
one script, so both must hash to one slot. The default dead-letter name
does (``{orders}`` -> ``{orders}:dead``, ``orders`` -> ``{orders}:dead``);
a custom one must carry the stream's hash tag.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Dict, Generator, Iterable, List, Mapping, Optional, Tuple, Union

logger = logging.getLogger(__name__)

#: The field that carries a JSON-encoded message body.
JSON_FIELD = "_json"

_SCALARS = (str, bytes, int, float)


def _text(value: Any) -> str:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


def hash_tag(key: str) -> str:
    """The part of ``key`` Redis Cluster hashes: the first non-empty
    ``{...}`` section, else the whole key.

    >>> hash_tag("{orders}:dead"), hash_tag("orders")
    ('orders', 'orders')
    """
    start = key.find("{")
    if start >= 0:
        end = key.find("}", start + 1)
        if end > start + 1:
            return key[start + 1 : end]
    return key


def same_slot_key(name: str, suffix: str) -> str:
    """A key for ``name`` + ``suffix`` in ``name``'s cluster hash slot:
    ``name`` keeps its hash tag if it has one, else becomes the tag.

    >>> same_slot_key("{orders}", ":dead"), same_slot_key("orders", ":dead")
    ('{orders}:dead', '{orders}:dead')
    """
    if hash_tag(name) != name:
        return name + suffix
    if "{" in name or "}" in name:
        raise ValueError(f"{name!r} has braces but no hash tag: name the related key explicitly")
    return "{" + name + "}" + suffix


def _is_error(exc: BaseException, code: str) -> bool:
    # Duck typing: redcore's and redis-py's ResponseError are different classes.
    return str(exc).startswith(code)


@dataclass
class StreamMessage:
    """One stream entry as the handler sees it.

    ``fields`` is the entry as the client returns it (bytes or str keys);
    ``data`` is the decoded JSON body for entries sent as JSON, else
    ``fields``; ``deliveries`` counts attempts so far (1 the first time).

    >>> StreamMessage("1-0", {"_json": "[1, 2]"}, "s").data
    [1, 2]
    """

    id: str
    fields: Optional[Dict[Any, Any]]
    stream: str
    deliveries: int = 1

    @property
    def data(self) -> Any:
        if self.fields is not None and len(self.fields) == 1:
            for key, value in self.fields.items():
                if _text(key) == JSON_FIELD:
                    return json.loads(value)
        return self.fields


def _flat(obj: Any) -> bool:
    return isinstance(obj, Mapping) and all(
        isinstance(v, _SCALARS) and not isinstance(v, bool) for v in obj.values()
    )


class StreamProducer:
    """Appends messages to a stream (XADD), optionally capped at about
    ``maxlen`` entries.

    ``send`` stores a mapping of strings/numbers as the entry's fields and
    anything else (lists, nested dicts, None, booleans) as JSON in one
    ``_json`` field, which :attr:`StreamMessage.data` decodes.

    >>> import redcore
    >>> p = StreamProducer(redcore.Redis(), "{events}", maxlen=1000)
    >>> p.send({"user": "ada"}) != p.send(["login", {"ok": True}])
    True
    """

    def __init__(self, client: Any, stream: str, maxlen: Optional[int] = None, approximate: bool = True) -> None:
        self.client = client
        self.stream = stream
        self.maxlen = maxlen
        self.approximate = approximate

    @staticmethod
    def encode(message: Any) -> Dict[Any, Any]:
        """The fields ``send`` would store for ``message``."""
        if _flat(message) and message:
            return dict(message)
        return {JSON_FIELD: json.dumps(message, separators=(",", ":"))}

    def send(self, message: Any, id: str = "*") -> str:
        """Appends ``message``; returns the new entry's id."""
        return _text(
            self.client.xadd(
                self.stream, self.encode(message), id=id, maxlen=self.maxlen, approximate=self.approximate
            )
        )

    def send_json(self, obj: Any) -> str:
        """Appends ``obj`` as JSON even if it is a flat mapping."""
        fields = {JSON_FIELD: json.dumps(obj, separators=(",", ":"))}
        return _text(self.client.xadd(self.stream, fields, maxlen=self.maxlen, approximate=self.approximate))

    def send_many(self, messages: Iterable[Any]) -> List[str]:
        """Appends several messages in one round trip; returns their ids."""
        pipe = self.client.pipeline(transaction=False)
        for message in messages:
            pipe.xadd(self.stream, self.encode(message), maxlen=self.maxlen, approximate=self.approximate)
        return [_text(i) for i in pipe.execute()]


# Dead-letters one pending message: only if this consumer still owns it
# (another worker may have claimed it meanwhile), copying its fields plus
# where it came from, then acknowledging it -- all or nothing.
_DEAD_LETTER = """
local owned = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1, ARGV[3])
if #owned == 0 then return 0 end
local entry = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])
local args = {'XADD', KEYS[2]}
if ARGV[4] ~= '' then
    args[#args + 1] = 'MAXLEN'
    args[#args + 1] = '~'
    args[#args + 1] = ARGV[4]
end
args[#args + 1] = '*'
if #entry > 0 then
    for _, v in ipairs(entry[1][2]) do args[#args + 1] = v end
end
for i = 5, #ARGV do args[#args + 1] = ARGV[i] end
redis.call(unpack(args))
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return 1
"""


Backoff = Union[float, Callable[[int], float], Any]

# What the worker's step generators yield (see StreamWorker).
_CALL = "call"
_HANDLE = "handle"
Steps = Generator[Tuple[str, Any], Any, Any]


def _run_sync(worker: "StreamWorker", steps: Steps) -> Any:
    """Runs worker steps with a blocking client: calls inline."""
    try:
        op = next(steps)
        while True:
            try:
                reply = op[1]() if op[0] == _CALL else worker.handler(op[1])
            except Exception as e:  # noqa: BLE001 - handed to the steps, which decide
                op = steps.throw(e)
                continue
            op = steps.send(reply)
    except StopIteration as stop:
        return stop.value


async def _run_async(worker: "StreamWorker", steps: Steps) -> Any:
    """Runs worker steps in a task: Redis replies and handler results
    awaited when they are awaitables."""
    try:
        op = next(steps)
        while True:
            try:
                reply = op[1]() if op[0] == _CALL else worker.handler(op[1])
                if inspect.isawaitable(reply):
                    reply = await reply
            except Exception as e:  # noqa: BLE001 - handed to the steps, which decide
                op = steps.throw(e)
                continue
            op = steps.send(reply)
    except StopIteration as stop:
        return stop.value


class StreamWorker:
    """A consumer in a consumer group, handling messages at least once.

    Args:
        client: a redcore or redis-py client.
        stream, group, consumer: where to read and as whom (consumer names
            must be unique among live workers; None makes one up).
        handler: called with each :class:`StreamMessage`; returning
            acknowledges the message, raising leaves it pending for a retry.
        batch: messages read per call.
        block_ms: how long a read waits for new messages (also bounds how
            long ``stop()`` takes to be noticed).
        max_retries: retries after the first attempt before dead-lettering.
        backoff: seconds to wait before retry n: a number (doubled per
            retry, capped by ``max_backoff``), a callable ``f(n)``, or a
            ``redcore.backoff`` object.
        claim_idle_ms: a message another consumer has held this long
            without acknowledging is presumed abandoned and claimed.
        dead_letter: the dead-letter stream (default: ``{stream}:dead``,
            in the stream's hash slot). Entries there hold the original
            fields plus ``dlq:stream``, ``dlq:group``, ``dlq:id``,
            ``dlq:consumer``, ``dlq:deliveries`` and ``dlq:error``.
        start_id: where a newly created group starts ("0": everything).
        on_error: called with ``(exception, message)`` when a handler fails.

    >>> import redcore
    >>> r = redcore.Redis()
    >>> w = StreamWorker(r, "{jobs}", "g", "w1", print, block_ms=100)
    >>> t = w.run_in_thread()
    >>> t.stop(timeout=2)
    True
    """

    def __init__(
        self,
        client: Any,
        stream: str,
        group: str,
        consumer: Optional[str],
        handler: Callable[[StreamMessage], Any],
        batch: int = 10,
        block_ms: int = 1000,
        max_retries: int = 5,
        backoff: Backoff = 1.0,
        max_backoff: float = 60.0,
        claim_idle_ms: int = 60_000,
        dead_letter: Optional[str] = None,
        dead_letter_maxlen: Optional[int] = None,
        start_id: str = "0",
        on_error: Optional[Callable[[BaseException, StreamMessage], Any]] = None,
    ) -> None:
        self.client = client
        self.stream = _text(stream)
        self.group = group
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.handler = handler
        self.batch = max(1, int(batch))
        self.block_ms = int(block_ms)
        self.max_retries = int(max_retries)
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.claim_idle_ms = int(claim_idle_ms)
        self.dead_letter = same_slot_key(self.stream, ":dead") if dead_letter is None else _text(dead_letter)
        if hash_tag(self.dead_letter) != hash_tag(self.stream):
            raise ValueError(
                f"dead-letter stream {self.dead_letter!r} must share the hash tag of {self.stream!r} "
                f"(e.g. {same_slot_key(self.stream, ':dead')!r})"
            )
        self.dead_letter_maxlen = dead_letter_maxlen
        self.start_id = start_id
        self.on_error = on_error
        self._group_ready = False
        self._claim_cursor = "0-0"
        self._last_claim = float("-inf")
        self._stop = threading.Event()
        self._dead_letter_script = client.register_script(_DEAD_LETTER)

    # --- setup ------------------------------------------------------------

    # The worker's logic is written once, as generators: a Redis call is
    # ``yield (_CALL, thunk)`` (the reply is sent back, an error thrown in)
    # and a handler call ``yield (_HANDLE, msg)``. The sync methods run them
    # with _run_sync; AsyncStreamWorker awaits the same steps.

    def ensure_group(self) -> None:
        """Creates the group (and the stream) unless it exists."""
        _run_sync(self, self._ensure_group_steps())

    def _ensure_group_steps(self) -> Steps:
        try:
            yield (_CALL, lambda: self.client.xgroup_create(self.stream, self.group, self.start_id, mkstream=True))
        except Exception as e:  # noqa: BLE001 - both clients' ResponseError
            if not _is_error(e, "BUSYGROUP"):
                raise
        self._group_ready = True

    def retry_delay(self, deliveries: int) -> float:
        """Seconds a message delivered ``deliveries`` times waits before
        its next attempt."""
        b = self.backoff
        if hasattr(b, "compute"):
            return float(b.compute(deliveries))
        if callable(b):
            return float(b(deliveries))
        return min(float(self.max_backoff), float(b) * 2 ** (deliveries - 1))

    # --- one round ----------------------------------------------------------

    def process_once(self, block_ms: Optional[int] = None) -> int:
        """Handles what is due now: retries of this consumer's failed
        messages, abandoned messages of other consumers, then new ones
        (waiting up to ``block_ms`` for them if nothing else was done).
        Returns the number of messages handled or dead-lettered."""
        return _run_sync(self, self._round(block_ms))  # type: ignore[no-any-return]

    def _round(self, block_ms: Optional[int]) -> Steps:
        if not self._group_ready:
            yield from self._ensure_group_steps()
        try:
            done = yield from self._retry_own()
            done += yield from self._claim_abandoned()
            wait = self.block_ms if block_ms is None else block_ms
            done += yield from self._read_new(None if done else wait)
        except Exception as e:  # noqa: BLE001
            if _is_error(e, "NOGROUP"):
                # The stream or group was deleted under us: recreate it.
                self._group_ready = False
                return 0
            raise
        return done

    def _retry_own(self) -> Steps:
        first_due = int(self.retry_delay(1) * 1000)
        pending = yield (_CALL, lambda: self.client.xpending_range(
            self.stream, self.group, "-", "+", self.batch, consumername=self.consumer, idle=max(0, first_due)
        ))
        done = 0
        for p in pending:
            msg_id, deliveries = _text(p["message_id"]), int(p["times_delivered"])
            if deliveries > self.max_retries:
                done += yield from self._dead_letter(msg_id, deliveries, "abandoned after the last attempt")
                continue
            due_ms = int(self.retry_delay(deliveries) * 1000)
            if int(p["time_since_delivered"]) < due_ms:
                continue
            # XCLAIM's min-idle makes this lose cleanly to a concurrent claim.
            claimed = yield (_CALL, lambda: self.client.xclaim(self.stream, self.group, self.consumer, due_ms, [msg_id]))
            for entry in claimed:
                done += yield from self._handle(self._message(entry, deliveries + 1))
        return done

    def _claim_abandoned(self) -> Steps:
        now = time.monotonic()
        mid_scan = self._claim_cursor not in ("0-0", "0")
        if not mid_scan and now - self._last_claim < min(self.claim_idle_ms / 4000, 5.0):
            return 0
        self._last_claim = now
        reply = yield (_CALL, lambda: self.client.xautoclaim(
            self.stream, self.group, self.consumer, self.claim_idle_ms, start_id=self._claim_cursor, count=self.batch
        ))
        self._claim_cursor = _text(reply[0])
        entries = [e for e in reply[1] if e is not None]
        if not entries:
            return 0

        def counts_of() -> Any:
            pipe = self.client.pipeline(transaction=False)
            for entry in entries:
                pipe.xpending_range(self.stream, self.group, entry[0], entry[0], 1, consumername=self.consumer)
            return pipe.execute()

        counts = yield (_CALL, counts_of)
        done = 0
        for entry, info in zip(entries, counts):
            if not info:
                continue  # claimed away again already
            deliveries = int(info[0]["times_delivered"])
            msg = self._message(entry, deliveries)
            if deliveries > self.max_retries + 1:
                done += yield from self._dead_letter(msg.id, deliveries, "abandoned after the last attempt")
            else:
                done += yield from self._handle(msg)
        return done

    def _read_new(self, block_ms: Optional[int]) -> Steps:
        reply = yield (_CALL, lambda: self.client.xreadgroup(
            self.group, self.consumer, {self.stream: ">"}, count=self.batch, block=block_ms or None
        ))
        done = 0
        for _, entries in _stream_items(reply):
            for entry in entries:
                done += yield from self._handle(self._message(entry, 1))
        return done

    def _message(self, entry: Any, deliveries: int) -> StreamMessage:
        msg_id, fields = entry[0], entry[1]
        return StreamMessage(_text(msg_id), fields, self.stream, deliveries)

    def _handle(self, msg: StreamMessage) -> Steps:
        if msg.fields is None:  # deleted from the stream while pending
            yield (_CALL, lambda: self.client.xack(self.stream, self.group, msg.id))
            return 0
        try:
            yield (_HANDLE, msg)
        except Exception as e:  # noqa: BLE001 - a handler's failure is data
            logger.warning(
                "stream %r message %s failed (delivery %d)", self.stream, msg.id, msg.deliveries, exc_info=True
            )
            self._report(e, msg)
            if msg.deliveries > self.max_retries:
                yield from self._dead_letter(msg.id, msg.deliveries, repr(e))
            return 1
        yield (_CALL, lambda: self.client.xack(self.stream, self.group, msg.id))
        return 1

    def _report(self, exc: BaseException, msg: StreamMessage) -> None:
        if self.on_error is not None:
            try:
                self.on_error(exc, msg)
            except Exception:  # noqa: BLE001
                logger.exception("on_error callback failed")

    def _dead_letter(self, msg_id: str, deliveries: int, error: str) -> Steps:
        meta: List[Any] = [
            "dlq:stream", self.stream, "dlq:group", self.group, "dlq:id", msg_id,
            "dlq:consumer", self.consumer, "dlq:deliveries", deliveries, "dlq:error", error,
        ]
        args = [self.group, msg_id, self.consumer, "" if self.dead_letter_maxlen is None else self.dead_letter_maxlen]
        moved = yield (_CALL, lambda: self._dead_letter_script(keys=[self.stream, self.dead_letter], args=args + meta, client=self.client))
        if moved:
            logger.error(
                "stream %r message %s dead-lettered to %r after %d deliveries",
                self.stream, msg_id, self.dead_letter, deliveries,
            )
        return int(moved)

    # --- loops --------------------------------------------------------------

    def run(self, stop_event: Optional[threading.Event] = None, error_delay: float = 1.0) -> None:
        """Processes messages until ``stop_event`` (or :meth:`stop`) is set;
        the batch in hand is finished first. Connection errors are logged
        and retried after ``error_delay`` seconds."""
        stop = stop_event if stop_event is not None else threading.Event()
        while not stop.is_set() and not self._stop.is_set():
            try:
                self.process_once()
            except Exception:  # noqa: BLE001 - keep the worker alive
                logger.exception("stream worker %r on %r failed", self.consumer, self.stream)
                self._stop.wait(error_delay)
        self._stop.clear()

    def stop(self) -> None:
        """Asks :meth:`run` to return after the current batch."""
        self._stop.set()

    def run_in_thread(self, daemon: bool = True) -> "WorkerThread":
        """Runs :meth:`run` in a new thread; ``thread.stop(timeout)`` ends it."""
        thread = WorkerThread(self.run, name=f"redcore-stream-{self.stream}-{self.consumer}", daemon=daemon)
        thread.start()
        return thread

    def pending(self) -> Dict[str, Any]:
        """This group's XPENDING summary."""
        return _run_sync(self, self._pending_steps())  # type: ignore[no-any-return]

    def _pending_steps(self) -> Steps:
        if not self._group_ready:
            yield from self._ensure_group_steps()
        return (yield (_CALL, lambda: self.client.xpending(self.stream, self.group)))

    def dead_letters(self, count: int = 100) -> List[Tuple[str, Dict[Any, Any]]]:
        """The oldest ``count`` dead-lettered entries as ``(id, fields)``."""
        return [(_text(i), f) for i, f in self.client.xrange(self.dead_letter, count=count)]


class WorkerThread(threading.Thread):
    """A thread running a worker loop (what ``run_in_thread`` returns);
    :meth:`stop` ends it.

    >>> import threading
    >>> t = WorkerThread(lambda stop: stop.wait(), name="demo")
    >>> t.start(); t.stop(timeout=1)
    True
    """

    def __init__(self, run: Callable[[threading.Event], Any], name: str, daemon: bool = True) -> None:
        super().__init__(name=name, daemon=daemon)
        self.stop_event = threading.Event()
        self._run = run

    def run(self) -> None:
        self._run(self.stop_event)

    def stop(self, timeout: Optional[float] = None) -> bool:
        """Asks the loop to stop and waits up to ``timeout`` seconds;
        returns True once the thread has ended."""
        self.stop_event.set()
        if self is not threading.current_thread():
            self.join(timeout)
        return not self.is_alive()


class AsyncStreamProducer(StreamProducer):
    """:class:`StreamProducer` for an asyncio client: the same encoding,
    with coroutine methods.

    >>> import asyncio, redcore.asyncio
    >>> async def main():
    ...     p = AsyncStreamProducer(redcore.asyncio.Redis(), "{events}")
    ...     return len(await p.send_many([{"a": 1}, [2]]))
    >>> asyncio.run(main())
    2
    """

    async def send(self, message: Any, id: str = "*") -> str:  # type: ignore[override]
        """Appends ``message``; returns the new entry's id."""
        return _text(await self.client.xadd(
            self.stream, self.encode(message), id=id, maxlen=self.maxlen, approximate=self.approximate
        ))

    async def send_json(self, obj: Any) -> str:  # type: ignore[override]
        """Appends ``obj`` as JSON even if it is a flat mapping."""
        fields = {JSON_FIELD: json.dumps(obj, separators=(",", ":"))}
        return _text(await self.client.xadd(self.stream, fields, maxlen=self.maxlen, approximate=self.approximate))

    async def send_many(self, messages: Iterable[Any]) -> List[str]:  # type: ignore[override]
        """Appends several messages in one round trip; returns their ids."""
        pipe = self.client.pipeline(transaction=False)
        for message in messages:
            pipe.xadd(self.stream, self.encode(message), maxlen=self.maxlen, approximate=self.approximate)
        return [_text(i) for i in await pipe.execute()]


class AsyncStreamWorker(StreamWorker):
    """:class:`StreamWorker` for an asyncio client (``redcore.asyncio.Redis``
    or ``redis.asyncio.Redis``): the same rounds (retries with backoff,
    claiming abandoned messages, dead-lettering), run by the same code,
    with every Redis call awaited. The handler may be a plain function or
    a coroutine function; :meth:`run` is a coroutine (run it as a task,
    end it with :meth:`stop` or by cancelling it).

    >>> import asyncio, redcore.asyncio
    >>> async def main():
    ...     r = redcore.asyncio.Redis(decode_responses=True)
    ...     await AsyncStreamProducer(r, "{orders}").send({"sku": "A1"})
    ...     seen = []
    ...     async def handle(msg):
    ...         seen.append(msg.data)
    ...     await AsyncStreamWorker(r, "{orders}", "billing", "w1", handle).process_once()
    ...     return seen
    >>> asyncio.run(main())
    [{'sku': 'A1'}]
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._astop: Optional[asyncio.Event] = None

    async def ensure_group(self) -> None:  # type: ignore[override]
        """Creates the group (and the stream) unless it exists."""
        await _run_async(self, self._ensure_group_steps())

    async def process_once(self, block_ms: Optional[int] = None) -> int:  # type: ignore[override]
        """One round (see :meth:`StreamWorker.process_once`); a blocking
        read waits without blocking the loop."""
        return await _run_async(self, self._round(block_ms))  # type: ignore[no-any-return]

    async def pending(self) -> Dict[str, Any]:  # type: ignore[override]
        """This group's XPENDING summary."""
        return await _run_async(self, self._pending_steps())  # type: ignore[no-any-return]

    async def dead_letters(self, count: int = 100) -> List[Tuple[str, Dict[Any, Any]]]:  # type: ignore[override]
        """The oldest ``count`` dead-lettered entries as ``(id, fields)``."""
        return [(_text(i), f) for i, f in await self.client.xrange(self.dead_letter, count=count)]

    async def run(self, error_delay: float = 1.0) -> None:  # type: ignore[override]
        """Processes messages until :meth:`stop` (the batch in hand is
        finished first; a read waits at most ``block_ms``). Errors are
        logged and retried after ``error_delay`` seconds."""
        stop = self._astop = asyncio.Event()
        try:
            while not stop.is_set():
                try:
                    await self.process_once()
                except Exception:  # noqa: BLE001 - keep the worker alive
                    logger.exception("stream worker %r on %r failed", self.consumer, self.stream)
                    try:
                        await asyncio.wait_for(stop.wait(), error_delay)
                    except asyncio.TimeoutError:
                        pass
        finally:
            self._astop = None

    def stop(self) -> None:
        """Asks :meth:`run` to return after the current round."""
        if self._astop is not None:
            self._astop.set()

    def run_in_thread(self, daemon: bool = True) -> "WorkerThread":
        raise TypeError("an AsyncStreamWorker runs as a task: asyncio.create_task(worker.run())")


def _stream_items(reply: Any) -> List[Tuple[Any, Any]]:
    """XREAD/XREADGROUP replies: RESP2's ``[[stream, entries]]`` or RESP3's
    ``{stream: entries}`` (redis-py clients on protocol 3)."""
    if not reply:
        return []
    if isinstance(reply, Mapping):
        return [(k, v[0] if v else []) for k, v in reply.items()]
    return [(item[0], item[1]) for item in reply]


__all__ = [
    "AsyncStreamProducer",
    "AsyncStreamWorker",
    "JSON_FIELD",
    "StreamMessage",
    "StreamProducer",
    "StreamWorker",
    "WorkerThread",
    "hash_tag",
    "same_slot_key",
]
