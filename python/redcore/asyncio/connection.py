"""Connections and pools of :mod:`redcore.asyncio`.

A network connection is an :class:`asyncio.Protocol` over the running
loop's transport. Its Rust half (``_redcore.AioConn``) holds the output
buffer, parses replies and resolves the awaiting futures in order, so:

- commands that many tasks issue in the same loop iteration go out in one
  write (the buffer is flushed once, by a ``call_soon``);
- replies are matched to requests by the connection, never by the
  awaiting task: a task cancelled while waiting leaves its reply to be
  read and dropped, and the connection stays in step (redis-py #2665).

A :class:`ConnectionPool` shares one such connection among all the plain
commands of its clients, and hands out connections of their own for what
holds a connection's state: WATCH, blocking commands, pub/sub,
``single_connection_client``. A connection the server dropped is replaced
on the next command; commands that were waiting on it raise
``ConnectionError``.

Connections from ``get_connection()`` also have redis.asyncio's low-level
interface (``await send_command(*args)``, ``await read_response()``...),
so code that drives connections itself, redis.asyncio's own ``Redis``
included, runs on redcore's pools; a ``memory://`` host (or URL) gives an
:class:`~redcore.asyncio.embedded.EmbeddedConnectionPool`, whose
connections run on an embedded engine. Libraries that take a pool class or a pool (aiocache's
``connection_pool_class``, limits' ``connection_pool``) work with them::

    >>> import asyncio, redis.asyncio, redcore.asyncio
    >>> async def main():
    ...     pool = redcore.asyncio.ConnectionPool(host="memory://docs")
    ...     r = redis.asyncio.Redis(connection_pool=pool)
    ...     await r.set("k", "v")
    ...     return await redcore.asyncio.Redis(name="docs").get("k")
    >>> asyncio.run(main())
    b'v'
"""

from __future__ import annotations

import asyncio
import collections
import math
import socket
import ssl as _ssl
import weakref
from typing import Any, Dict, List, Optional, Set, Tuple

from .. import _redcore
from .. import connection as _sync_connection
from .._compat import adopt, redis_base
from ..exceptions import ConnectionError, MaxConnectionsError, TimeoutError
from ..connection import decode_reply, speaks_resp3
from ._lowlevel import _DONE, _NOTHING, Signal, _Done, _LowLevel, _changes_state, _encode_command, _retrieve, is_subscribe


def _b(value: Any, encoding: str = "utf-8") -> bytes:
    if isinstance(value, bytes):
        return value
    return str(value).encode(encoding)


class Connection(_LowLevel, asyncio.Protocol):
    """One connection to a server, driven by the running event loop.

    Obtain it from :meth:`ConnectionPool.get_connection` (and give it back
    with :meth:`ConnectionPool.release`) to hold a connection of your own.
    """

    def __new__(cls, pool: Any = None, **connection_kwargs: Any) -> Any:
        # Made from connection arguments (by redis.asyncio's pool, given
        # this class as its connection_class) with a memory:// host: a
        # connection to that engine.
        if pool is None and cls is Connection and _sync_connection.is_engine_host(connection_kwargs.get("host")):
            from .embedded import EmbeddedConnection

            conn = EmbeddedConnection.__new__(EmbeddedConnection)
            conn.__init__(**connection_kwargs)
            return conn
        return super().__new__(cls)

    def __init__(self, pool: Any = None, **connection_kwargs: Any) -> None:
        if pool is None:
            # Made from connection arguments, as redis.asyncio's pools make
            # their connections: a pool of its own holds the settings.
            pool = ConnectionPool(connection_class=_sync_class(type(self)), **connection_kwargs)
        self.pool = pool
        self._reset()
        # The replies of send_command, for read_response (in order).
        self._replies: "collections.deque[asyncio.Future[Any]]" = collections.deque()
        self._init_low_level()

    def _reset(self) -> None:
        """The state of a connection not opened yet."""
        pool = self.pool
        self.core = _redcore.AioConn(pool._template)
        self.transport: Optional[asyncio.Transport] = None
        self.loop: Optional[asyncio.AbstractEventLoop] = None
        self._flush_scheduled = False
        self._closed = False
        self._lost_exc: Optional[BaseException] = None
        # socket_timeout: a connection owing replies that hears nothing
        # for this long is dropped (its waiting commands raise
        # TimeoutError). One watchdog timer per connection, not per call.
        self.timeout: Optional[float] = pool._socket_timeout
        self._busy = False
        self._last_heard = 0.0
        self._watchdog: Optional[asyncio.TimerHandle] = None
        # Done once the transport has reported its end (connection_lost):
        # a connection opened anew waits for it, so that the old
        # transport's last callback cannot reach the new one.
        self._gone: "Optional[asyncio.Future[None]]" = None
        # (host, port) connected to (None: a Unix socket, or not yet).
        self.address: Optional[Tuple[str, int]] = None
        # Stream mode (pub/sub): every reply and message read is queued in
        # ``messages`` as it arrives (strings left bytes with
        # ``_stream_raw``) and ``event`` is set, so a waiting reader wakes.
        self._stream = False
        self._stream_raw = False
        self.messages: "collections.deque[Any]" = collections.deque()
        # Beside each queued item: whether it came as a RESP3 push frame.
        self._pushes: "collections.deque[bool]" = collections.deque()
        self.event = asyncio.Event()
        self._signal = Signal()
        # Retired: closes once the replies it owes have arrived.
        self._retired = False
        # (db, client name) the next command queued here runs with: the
        # pool's after the handshake; None when a command queued changed
        # it (SELECT, CLIENT SETNAME...). A client whose own state differs
        # (``await r.select(1)`` on a shared connection) has it restored
        # first: see :meth:`send`.
        self.state: Optional[Tuple[int, Any]] = pool._default_state

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{type(self).__name__}({self.pool._address()})>"

    @property
    def is_connected(self) -> bool:
        """True while the connection is open."""
        return self.transport is not None and not self._closed

    # -- asyncio.Protocol --------------------------------------------------

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self._gone = asyncio.get_running_loop().create_future()

    def data_received(self, data: bytes) -> None:
        if self._stream:
            try:
                pushes: List[bool] = []
                self.messages.extend(self.core.feed_frames(data, self._stream_raw, pushes))
                self._pushes.extend(pushes)
            except Exception as e:
                self._drop(e)
            self.event.set()
            self._signal.set()
            return
        try:
            self.core.feed(data)
        except Exception as e:  # a broken reply: nothing after it can be trusted
            self._drop(e)
            return
        if self._busy:
            assert self.loop is not None
            self._last_heard = self.loop.time()
            if not len(self.core):
                self._busy = False
        if self._retired and not len(self.core):
            self.disconnect()

    def connection_lost(self, exc: Optional[BaseException]) -> None:
        self._drop(ConnectionError("Connection closed by server."))
        if self._gone is not None and not self._gone.done():
            self._gone.set_result(None)

    # -- sending -----------------------------------------------------------

    def _drop(self, exc: BaseException) -> None:
        if self._closed and self._lost_exc is not None:
            return
        self._closed = True
        self._lost_exc = exc
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        if self.transport is not None:
            self.transport.close()
        self.core.fail_all(exc)
        self.event.set()
        self._signal.set()

    def send(self, batch: Any, pipeline: bool = False, transaction: bool = False, raise_on_error: bool = True,
             state: Optional[Tuple[int, Any]] = None) -> "asyncio.Future[Any]":
        """Queues ``batch`` (from a recorder's ``_take_batch()``) and
        returns the future of its reply; the write happens once per loop
        iteration for everything queued in it. ``state``: the sending
        client's ``(db, client name)``; the connection is switched to it
        first (SELECT, CLIENT SETNAME) if it is elsewhere."""
        if self._closed:
            raise ConnectionError("Connection closed by server.")
        loop = self.loop
        assert loop is not None
        if state is not None and state is not self.state and state != self.state:
            self._apply_state(state)
        changes = batch.changes_state
        fut = loop.create_future()
        self.core.send(batch, fut, pipeline, transaction, raise_on_error)
        if changes:
            self.state = None
        if not self._busy:
            # Nothing in flight: write now (a lone command pays no extra
            # loop iteration); what follows in this iteration is batched.
            self._became_busy()
            self._flush()
        elif not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(self._flush)
        return fut

    def send_raw(self, *args: Any, never_decode: bool = False) -> "asyncio.Future[Any]":
        """Queues a command given as strings/bytes; its raw reply (strings
        left bytes with ``never_decode``)."""
        assert self.loop is not None
        fut = self.loop.create_future()
        self.core.send_raw([_b(a) for a in args], fut, never_decode)
        if not self._busy:
            self._became_busy()
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self.loop.call_soon(self._flush)
        return fut

    # -- redis.asyncio's low-level interface (see _LowLevel) ----------------

    async def send_command(self, *args: Any, **kwargs: Any) -> None:
        """Sends a command; its reply waits for :meth:`read_response`.
        A SUBSCRIBE, PSUBSCRIBE or SSUBSCRIBE puts the connection in
        stream mode (pub/sub): from then on replies and messages are read
        in the order they arrive."""
        if self.transport is None:
            await self.connect()
        if self._closed:
            raise ConnectionError("Connection closed by server.")
        words = _encode_command(self.encoder, args)
        if not self._stream and is_subscribe(args):
            # The replies owed before it come first: the parser then
            # switches to queueing whatever arrives.
            waiting = [f for f in self._replies if not f.done()]
            if waiting:
                await asyncio.wait(waiting)
            if self._closed:
                raise ConnectionError("Connection closed by server.")
            self._stream = self._stream_raw = True
            self.timeout = None  # a subscriber may hear nothing for hours
        if self._stream:
            self.core.write(words)
            self._flush()
            return
        self._replies.append(self.send_raw(*words, never_decode=True))
        if _changes_state(args):
            # Whichever client takes this connection next restores its own.
            self.state = None

    async def read_response(self, disable_decoding: bool = False, timeout: Optional[float] = None, *,
                            disconnect_on_error: bool = True, push_request: bool = False) -> Any:
        """The oldest reply not read yet; an error reply raises. Replies
        are decoded as the pool's ``decode_responses`` says, unless
        ``disable_decoding``. A reply that takes longer than ``timeout``
        seconds raises ``TimeoutError`` (and the connection is closed: the
        replies are out of step); in stream mode (pub/sub), ``timeout``
        returns None instead (``math.inf``: no limit; None: the pool's
        ``socket_timeout``), as redis.asyncio does."""
        push = False
        if self._replies:
            fut = self._replies.popleft()
            if timeout is None or timeout == math.inf:
                reply = await fut
            else:
                try:
                    reply = await asyncio.wait_for(asyncio.shield(fut), timeout)
                except asyncio.TimeoutError:
                    fut.add_done_callback(_retrieve)
                    if disconnect_on_error:
                        self.disconnect()
                    raise TimeoutError(f"Timeout reading from {self.pool._address()}") from None
        elif self._stream:
            while True:
                got = await self._read_stream(timeout, disconnect_on_error)
                if got is _NOTHING:
                    return None
                reply, push = got
                if push_request or not (push and speaks_resp3(self.get_protocol())):
                    break
                # A push not asked for (a message, an invalidation): to its
                # handler, and on to the next reply, as redis.asyncio does.
                self._read_done()
                await self._pushed(self._decoded(reply, disable_decoding), push)
        else:
            raise ConnectionError("No reply to read: no command was sent on this connection.")
        self._read_done()
        reply = self._decoded(reply, disable_decoding)
        if push_request and self._stream:
            return await self._pushed(reply, push)
        return reply

    def _decoded(self, reply: Any, disable_decoding: bool) -> Any:
        if not disable_decoding and self.encoder.decode_responses:
            return decode_reply(self.encoder, reply)
        return reply

    async def _read_stream(self, timeout: Optional[float], disconnect_on_error: bool) -> Any:
        """The next reply or message in stream mode, or ``_NOTHING`` when
        none arrived within ``timeout``."""
        loop = asyncio.get_running_loop()
        limit = self.pool._socket_timeout if timeout is None else timeout
        deadline = None if limit is None or limit == math.inf else loop.time() + limit
        while not self.messages:
            if self._closed:
                raise self._lost_exc or ConnectionError("Connection closed by server.")
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0 or not await self._signal.wait(left):
                if self.messages:
                    break
                if timeout is not None:
                    return _NOTHING
                if disconnect_on_error:
                    self.disconnect()
                raise TimeoutError(f"Timeout reading from {self.pool._address()}")
        item, push = self._take()
        if isinstance(item, BaseException):
            raise item
        return item, push

    def _take(self) -> Tuple[Any, bool]:
        """The oldest queued item (stream mode), and whether it was a push."""
        return self.messages.popleft(), self._pushes.popleft()

    async def can_read(self) -> bool:
        """True when a reply is waiting to be read."""
        if self._replies:
            return self._replies[0].done()
        return bool(self.messages)

    def _apply_state(self, state: Tuple[int, Any]) -> None:
        """Queues the SELECT / CLIENT SETNAME that put the connection in
        ``state``. Should one fail, the connection is dropped: what was
        queued behind it must not run in the wrong database."""
        current = self.state
        db, name = state
        futs = []
        if current is None or current[0] != db:
            futs.append(self.send_raw("SELECT", db))
        if current is None or current[1] != name:
            futs.append(self.send_raw("CLIENT", "SETNAME", "" if name is None else name))
        for fut in futs:
            fut.add_done_callback(self._state_applied)
        self.state = state

    def _state_applied(self, fut: "asyncio.Future[Any]") -> None:
        if fut.cancelled():
            return
        exc = fut.exception()
        if exc is not None and not self._closed:
            self._drop(exc)

    def _became_busy(self) -> None:
        loop = self.loop
        assert loop is not None
        self._busy = True
        self._last_heard = loop.time()
        if self.timeout is not None and self._watchdog is None:
            self._watchdog = loop.call_later(self.timeout, self._check_timeout)

    def _check_timeout(self) -> None:
        """Drops the connection if it owes replies and has been silent for
        ``timeout`` seconds; else looks again when it could be."""
        self._watchdog = None
        if self._closed or self.timeout is None or not self._busy or not len(self.core):
            self._busy = False
            return
        assert self.loop is not None
        silent = self.loop.time() - self._last_heard
        if silent >= self.timeout:
            self._drop(TimeoutError(f"Timeout reading from {self.pool._address()}"))
        else:
            self._watchdog = self.loop.call_later(self.timeout - silent, self._check_timeout)

    def _flush(self) -> None:
        self._flush_scheduled = False
        data = self.core.take_output()
        if data is not None and not self._closed and self.transport is not None:
            self.transport.write(data)

    # -- life cycle --------------------------------------------------------

    async def connect(self) -> None:
        """Opens the connection and runs the handshake (HELLO/AUTH,
        CLIENT SETNAME, SELECT); a no-op when open, and a closed one opens
        anew. The address is the pool's (a Sentinel-managed pool asks
        Sentinel)."""
        if self.is_connected:
            return
        if self._closed or self.transport is not None:
            if self._gone is not None:
                await self._gone
            self._reset()
        kw = self.pool.connection_kwargs
        address = None if "path" in kw else await self.pool._connect_address()
        await self._open(address)
        await self._connected()

    async def _open(self, address: Optional[Tuple[str, int]]) -> None:
        """Connects to ``address`` (None: the pool's configured one)."""
        kw = self.pool.connection_kwargs
        self.loop = loop = asyncio.get_running_loop()
        timeout = kw.get("socket_connect_timeout")
        if "path" not in kw and address is None:
            address = (kw.get("host", "localhost"), int(kw.get("port", 6379)))
        where = self.pool._address() if address is None else f"{address[0]}:{address[1]}"
        try:
            if address is None:
                coro = loop.create_unix_connection(lambda: self, kw["path"])
            else:
                coro = loop.create_connection(lambda: self, address[0], address[1], ssl=self.pool._ssl_context())
            await asyncio.wait_for(coro, timeout)
        except asyncio.TimeoutError:
            raise TimeoutError("Timeout connecting to server") from None
        except OSError as e:
            raise ConnectionError(f"Error {e.errno} connecting to {where}. {e.strerror}.") from None
        self.address = address
        if "path" not in kw and kw.get("socket_keepalive", True):
            sock = self.transport.get_extra_info("socket") if self.transport else None
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        await self._handshake(kw)

    async def _handshake(self, kw: Dict[str, Any]) -> None:
        enc = kw.get("encoding", "utf-8")
        password, username = kw.get("password"), kw.get("username")
        name = kw.get("client_name")
        futs = []
        if self.pool._resp3:
            hello: List[Any] = ["HELLO", "3"]
            if password is not None:
                hello += ["AUTH", username or "default", password]
            if name:
                hello += ["SETNAME", name]
            futs.append(self.send_raw(*hello))
        else:
            if password is not None:
                futs.append(self.send_raw("AUTH", *((username,) if username else ()), password))
            if name:
                futs.append(self.send_raw("CLIENT", "SETNAME", name))
        db = int(kw.get("db", 0) or 0)
        if db:
            futs.append(self.send_raw("SELECT", db))
        if kw.get("readonly"):
            # A cluster replica's connection serves reads.
            futs.append(self.send_raw("READONLY"))
        del enc
        if futs:
            try:
                await asyncio.gather(*futs)
            except BaseException:
                self.disconnect()
                raise

    def disconnect(self, *args: Any, **kwargs: Any) -> _Done:
        """Closes the connection; waiting commands raise ConnectionError,
        and replies not read are dropped. Returns a finished awaitable
        (redis.asyncio's ``await conn.disconnect()``)."""
        self._drop(ConnectionError("Connection closed by client."))
        while self._replies:
            self._replies.popleft().add_done_callback(_retrieve)
        self.messages.clear()
        self._pushes.clear()
        return _DONE

    def retire(self) -> None:
        """Closes the connection once the replies it owes have arrived (the
        commands in flight are not cut off)."""
        if not len(self.core):
            self.disconnect()
        else:
            self._retired = True


class ConnectionPool(*redis_base("redis.asyncio.connection", "ConnectionPool")):  # type: ignore[misc]  # redis-py base when installed
    """Connections to one server for :class:`redcore.asyncio.Redis`.

    Takes redis-py's connection arguments (``host``, ``port``, ``db``,
    ``username``, ``password``, ``socket_connect_timeout``, ``ssl*``,
    ``path`` for a Unix socket, ``decode_responses``, ``protocol``...).
    Plain commands of every client of the pool share one pipelined
    connection; :meth:`get_connection` gives a connection of its own (at
    most ``max_connections`` of them at once, else
    ``MaxConnectionsError``).
    """

    # What the pool opens (a Sentinel pool opens SentinelManagedConnection).
    _connection_type: Any = Connection

    # True for a pool that follows a failover group's master (Sentinel): a
    # READONLY reply makes it reconnect and resend.
    _follows_master = False

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        # A memory:// host names an embedded engine (as for redcore.Redis):
        # the pool is an EmbeddedConnectionPool (aiocache and others make
        # their pool from a class and a host).
        if cls is ConnectionPool and _sync_connection.is_engine_host(kwargs.get("host")):
            from .embedded import EmbeddedConnectionPool

            kwargs.pop("connection_class", None)
            pool = EmbeddedConnectionPool.__new__(EmbeddedConnectionPool)
            pool.__init__(*args, **kwargs)
            return pool
        return super().__new__(cls)

    def __init__(self, connection_class: Any = None, max_connections: Optional[int] = None, **connection_kwargs: Any) -> None:
        connection_class = connection_class or _sync_connection.Connection
        kwargs = dict(connection_kwargs)
        name = getattr(connection_class, "__name__", "")
        if "Unix" in name and "path" not in kwargs:
            raise ConnectionError("a Unix socket connection needs path=")
        self._sync = _sync_connection.ConnectionPool(
            connection_class=_sync_class(connection_class), max_connections=max_connections, **kwargs
        )
        self.connection_class = connection_class
        self.connection_kwargs = self._sync.connection_kwargs
        self.max_connections = max_connections or 2**31
        timeout = self.connection_kwargs.get("socket_timeout")
        self._socket_timeout: Optional[float] = None if timeout is None else float(timeout)
        from .. import client as _sync_client

        # The settings every connection decodes with (a client object
        # whose core is never used to run commands).
        self._template = _sync_client.Redis(connection_pool=self._sync)
        self._resp3 = bool(self._template._resp3)
        # The (db, client name) of a new connection: see Connection.state.
        self._default_state: Tuple[int, Any] = (
            int(self.connection_kwargs.get("db", 0) or 0), self.connection_kwargs.get("client_name") or None,
        )
        self._shared: Optional[Connection] = None
        self._connecting: Optional["asyncio.Future[Connection]"] = None
        self._idle: List[Connection] = []
        self._in_use: Set[Connection] = set()
        self._set_retry_policy()

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Any:
        """A pool from a ``redis://``, ``rediss://`` or ``unix://`` URL
        (redis-py's query parameters); ``memory://[name][/db]`` gives an
        :class:`~redcore.asyncio.embedded.EmbeddedConnectionPool`."""
        if url.split("://", 1)[0].lower() == "memory":
            from .embedded import EmbeddedConnectionPool

            return EmbeddedConnectionPool.from_url(url, **kwargs)
        sync = _sync_connection.ConnectionPool.from_url(url, **kwargs)
        kw = dict(sync.connection_kwargs)
        kw.pop("single_connection_client", None)
        return cls(connection_class=sync.connection_class, max_connections=sync.max_connections, **kw)

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{type(self).__name__}({self._address()})>"

    def _address(self) -> str:
        kw = self.connection_kwargs
        if "path" in kw:
            return f"path={kw['path']}"
        return f"host={kw.get('host', 'localhost')},port={kw.get('port', 6379)},db={kw.get('db', 0)}"

    def _ssl_context(self) -> Any:
        if not issubclass(_sync_class(self.connection_class), _sync_connection.SSLConnection):
            return None
        kw = self.connection_kwargs
        ctx = _ssl.create_default_context(cafile=kw.get("ssl_ca_certs"))
        reqs = kw.get("ssl_cert_reqs", "required")
        if isinstance(reqs, str):
            reqs = {"none": _ssl.CERT_NONE, "optional": _ssl.CERT_OPTIONAL}.get(reqs.lower(), _ssl.CERT_REQUIRED)
        ctx.check_hostname = bool(kw.get("ssl_check_hostname", True)) and reqs != _ssl.CERT_NONE
        ctx.verify_mode = reqs
        if kw.get("ssl_certfile"):
            ctx.load_cert_chain(kw["ssl_certfile"], kw.get("ssl_keyfile"))
        return ctx

    def get_encoder(self) -> Any:
        """The pool's :class:`~redcore.connection.Encoder`."""
        return self._sync.get_encoder()

    def _set_retry_policy(self) -> None:
        # (policy or None, whether the user asked for retries): the same
        # rules as the sync client (see redcore.Redis). Without a retry of
        # the user's, only what cannot have reached the server is retried;
        # with one, a command whose reply was lost is sent again.
        retry, explicit = self._sync._retry()
        if not explicit and retry is not None and retry.get_retries() == 0:
            retry = None
        self._retry_policy = (retry, explicit)
        # Whether a command must be kept to be sent again.
        self._resend = explicit or self._follows_master

    def get_retry(self) -> Any:
        """The retry policy of the pool's connections."""
        return self._retry_policy[0]

    def set_retry(self, retry: Any) -> None:
        """Uses ``retry`` from now on (a command whose reply was lost is
        then retried too, as in redis.asyncio)."""
        self.connection_kwargs["retry"] = retry
        self._sync._safe_retries = False
        self._set_retry_policy()

    async def _connect_address(self) -> Optional[Tuple[str, int]]:
        """The address of the next connection (None: the configured one)."""
        return None

    def _drop_connections(self) -> None:
        """Closes the idle connections now, and the shared one once the
        replies it owes have arrived; new commands go to a new connection
        (those in use are closed when released)."""
        for c in self._idle:
            c.disconnect()
        self._idle.clear()
        if self._shared is not None:
            self._shared.retire()
            self._shared = None

    def _retire_shared(self) -> None:
        """The shared connection answered QUIT: later commands go to a new
        one (replies it still owes arrive, or fail when the server closes
        it)."""
        if self._shared is not None:
            self._shared.retire()
            self._shared = None

    def _shared_conn(self) -> Optional[Connection]:
        """The shared connection if it is open (no await needed)."""
        c = self._shared
        if c is not None and not c._closed:
            return c
        return None

    async def _get_shared(self) -> Connection:
        """The shared pipelined connection, opened (or reopened) once even
        when many tasks ask at the same time."""
        c = self._shared
        if c is not None and not c._closed:
            return c
        if self._connecting is not None:
            return await asyncio.shield(self._connecting)
        loop = asyncio.get_running_loop()
        self._connecting = fut = loop.create_future()
        try:
            c = self._connection_type(self)
            await c.connect()
        except BaseException as e:
            fut.set_exception(e)
            fut.exception()  # retrieved: no "never retrieved" warning
            raise
        finally:
            self._connecting = None
        self._shared = c
        fut.set_result(c)
        return c

    async def get_connection(self, command_name: Any = None, *keys: Any, **options: Any) -> Connection:
        """A connected :class:`Connection` of the caller's own."""
        while self._idle:
            c = self._idle.pop()
            if c.is_connected:
                self._in_use.add(c)
                return c
        if len(self._in_use) >= self.max_connections:
            raise MaxConnectionsError("Too many connections")
        c = self._connection_type(self)
        self._in_use.add(c)
        try:
            await c.connect()
        except BaseException:
            self._in_use.discard(c)
            raise
        return c

    async def release(self, connection: Connection) -> None:
        """Gives back a connection from :meth:`get_connection` (a closed
        one is dropped)."""
        self._in_use.discard(connection)
        connection.timeout = self._socket_timeout
        if connection.is_connected and len(connection.core) == 0 and not connection._stream and self.owns_connection(connection):
            self._idle.append(connection)
        else:
            connection.disconnect()
        self._released()

    def _released(self) -> None:
        pass

    def owns_connection(self, connection: Any) -> bool:
        """True if ``connection`` may be reused by this pool's clients."""
        return True

    async def disconnect(self, inuse_connections: bool = True) -> None:
        """Closes the idle connections and the shared one (and those in
        use, by default)."""
        for c in self._idle:
            c.disconnect()
        self._idle.clear()
        if self._shared is not None:
            self._shared.disconnect()
            self._shared = None
        if inuse_connections:
            for c in list(self._in_use):
                c.disconnect()

    async def aclose(self) -> None:
        """``disconnect()``."""
        await self.disconnect()

    def reset(self) -> None:
        """Forgets every connection (closing them)."""
        for c in [*self._idle, *self._in_use, *([self._shared] if self._shared else [])]:
            c.disconnect()
        self._idle.clear()
        self._in_use.clear()
        self._shared = None


class BlockingConnectionPool(ConnectionPool, *redis_base("redis.asyncio.connection", "BlockingConnectionPool")):  # type: ignore[misc]  # redis-py base when installed
    """A pool that waits (up to ``timeout`` seconds, None: forever) for a
    connection to be released when ``max_connections`` are in use,
    instead of raising."""

    def __init__(self, max_connections: int = 50, timeout: Optional[float] = 20, connection_class: Any = None, **connection_kwargs: Any) -> None:
        super().__init__(connection_class=connection_class, max_connections=max_connections, **connection_kwargs)
        self.timeout = timeout
        self._waiters: List["asyncio.Future[None]"] = []

    async def get_connection(self, command_name: Any = None, *keys: Any, **options: Any) -> Connection:
        loop = asyncio.get_running_loop()
        deadline = None if self.timeout is None else loop.time() + self.timeout
        while len(self._in_use) >= self.max_connections and not self._idle:
            waiter = loop.create_future()
            self._waiters.append(waiter)
            try:
                left = None if deadline is None else max(0.0, deadline - loop.time())
                await asyncio.wait_for(waiter, left)
            except asyncio.TimeoutError:
                raise ConnectionError("No connection available.") from None
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
        return await super().get_connection(command_name, *keys, **options)

    def _released(self) -> None:
        for w in self._waiters:
            if not w.done():
                w.set_result(None)
                break


def _sync_class(cls: Any) -> Any:
    """The redcore sync connection class matching ``cls`` (by name)."""
    for k in getattr(cls, "__mro__", (cls,)):
        for mine in (_sync_connection.SSLConnection, _sync_connection.UnixDomainSocketConnection, _sync_connection.Connection):
            if k.__name__ == mine.__name__:
                return mine
    return _sync_connection.Connection


class PubSubConnection(Connection):
    """A connection in pub/sub mode, in the shape the :class:`redcore.PubSub`
    logic reads (``send(*args)``, ``read(timeout)``, ``pending()``,
    ``close()``): after the handshake every reply and message is queued
    as it arrives and ``event`` is set, so a waiting reader wakes at once."""

    def __init__(self, pool: "ConnectionPool") -> None:
        super().__init__(pool)
        self.timeout = None  # a subscriber may hear nothing for hours

    async def connect(self) -> None:
        await super().connect()
        self._stream = True

    # -- the interface redcore.PubSub drives -----------------------------

    def send(self, *args: Any) -> None:  # type: ignore[override]
        if self._closed:
            raise ConnectionError("Connection closed by server.")
        enc = self.pool.connection_kwargs.get("encoding", "utf-8")
        self.core.write([_b(a, enc) for a in args])
        # Written at once, as redis-py does: a SUBSCRIBE reaches the server
        # before a PUBLISH awaited after it.
        self._flush()

    def read(self, timeout: Optional[float] = 0) -> Any:
        """The next queued reply or message, or None (never waits)."""
        if not self.messages:
            return None
        item, _ = self._take()
        if isinstance(item, BaseException):
            raise item
        return item

    def pending(self) -> int:
        """Number of queued replies and messages."""
        return len(self.messages)

    def close(self) -> None:
        """Closes the connection."""
        self.disconnect()


class UnixDomainSocketConnection(Connection):
    """A :class:`Connection` over a Unix socket (``path=``)."""


class SSLConnection(Connection):
    """A :class:`Connection` over TLS (``ssl_*`` arguments)."""


# -- embedded blocking commands --------------------------------------------

class _Waker:
    """The wake-up socket of one event loop: the engine writes a byte to
    it when a blocked command's reply is ready, and the loop's reader
    callback hands the replies to their futures."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.rsock, self.wsock = socket.socketpair()
        self.rsock.setblocking(False)
        self.wsock.setblocking(False)
        self.waiting: Dict[Any, "asyncio.Future[Any]"] = {}
        loop.add_reader(self.rsock.fileno(), self._ready)

    def _ready(self) -> None:
        try:
            while self.rsock.recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        for pending, fut in list(self.waiting.items()):
            if fut.done():
                self.waiting.pop(pending, None)
                continue
            try:
                ready, value = pending.take()
            except Exception as e:
                self.waiting.pop(pending, None)
                fut.set_exception(e)
                continue
            if ready:
                self.waiting.pop(pending, None)
                fut.set_result(value)

    def close(self) -> None:
        try:
            self.loop.remove_reader(self.rsock.fileno())
        except Exception:
            pass
        self.rsock.close()
        self.wsock.close()


_WAKERS: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Waker]" = weakref.WeakKeyDictionary()


async def wait_pending(pending: Any) -> Any:
    """Awaits an embedded blocked command (``_redcore.Pending``) without
    blocking the loop: its reply, or its timeout reply. Cancelled, it
    leaves the engine's wait (nothing stays blocked)."""
    loop = asyncio.get_running_loop()
    waker = _WAKERS.get(loop)
    if waker is None or loop.is_closed():
        waker = _WAKERS[loop] = _Waker(loop)
        # Close the socket pair with the loop.
        weakref.finalize(loop, waker.rsock.close)
        weakref.finalize(loop, waker.wsock.close)
    fut = loop.create_future()
    waker.waiting[pending] = fut
    pending.notify(waker.wsock.fileno())
    timeout = pending.timeout
    handle = None
    if timeout is not None:
        def expire() -> None:
            if not fut.done():
                waker.waiting.pop(pending, None)
                try:
                    fut.set_result(pending.cancel())
                except Exception as e:
                    fut.set_exception(e)

        handle = loop.call_later(timeout, expire)
    try:
        return await fut
    finally:
        if handle is not None:
            handle.cancel()
        if waker.waiting.pop(pending, None) is not None:
            # Cancelled: leave the engine's wait. A reply that raced in
            # is the caller's, who no longer wants it.
            pending.cancel()


adopt(ConnectionPool)
adopt(BlockingConnectionPool)

__all__ = [
    "BlockingConnectionPool",
    "Connection",
    "ConnectionPool",
    "SSLConnection",
    "UnixDomainSocketConnection",
    "wait_pending",
]
