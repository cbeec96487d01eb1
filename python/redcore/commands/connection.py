"""ConnectionCommands: redis-py's CLIENT KILL / PAUSE / REPLY / UNBLOCK /
TRACKING... methods and RESET / QUIT / HELLO. On the embedded engine every
client handle, pipeline and pub/sub object is a connection of its engine:
CLIENT LIST shows them all and CLIENT KILL disconnects them (the next
command runs on a fresh connection, as redis-py's pool reconnects)."""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Union

from ..exceptions import DataError

_CLIENT_TYPES = ("normal", "master", "slave", "replica", "pubsub")


class ConnectionCommands:
    """Mixin; relies on ``execute_command``."""

    execute_command: Any

    def client_kill(self, address: str, **kwargs: Any) -> Union[bool, int]:
        """Disconnect the client at ``address`` (``ip:port``; embedded
        clients report ``embedded:<id>``)."""
        return self.execute_command("CLIENT KILL", address, **kwargs)

    def client_kill_filter(
        self,
        _id: Optional[str] = None,
        _type: Optional[str] = None,
        addr: Optional[str] = None,
        skipme: Optional[bool] = None,
        laddr: Optional[bool] = None,
        user: Optional[str] = None,
        maxage: Optional[int] = None,
        **kwargs: Any,
    ) -> int:
        """Disconnect every client matching all the filters given; returns
        how many. ``skipme`` defaults to True on the server."""
        args: List[Any] = []
        if _type is not None:
            if str(_type).lower() not in _CLIENT_TYPES:
                raise DataError(f"CLIENT KILL type must be one of {_CLIENT_TYPES!r}")
            args += [b"TYPE", _type]
        if skipme is not None:
            if not isinstance(skipme, bool):
                raise DataError("CLIENT KILL skipme must be a bool")
            args += [b"SKIPME", b"YES" if skipme else b"NO"]
        for name, value in ((b"ID", _id), (b"ADDR", addr), (b"LADDR", laddr), (b"USER", user), (b"MAXAGE", maxage)):
            if value is not None:
                args += [name, value]
        if not args:
            raise DataError("CLIENT KILL <filter> <value> ... ... <filter> <value> must specify at least one filter")
        return self.execute_command("CLIENT KILL", *args, **kwargs)

    def client_getredir(self, **kwargs: Any) -> int:
        """The id of the client tracking invalidations go to, or -1."""
        return self.execute_command("CLIENT GETREDIR", **kwargs)

    def client_reply(self, reply: str, **kwargs: Any) -> Any:
        """``ON``, ``OFF`` or ``SKIP`` (the next command) the replies. As
        with redis-py on a server, no reply comes to OFF or SKIP: the call
        raises ``TimeoutError`` and the connection is dropped, so the next
        command runs on a new one with replies on (the embedded engine
        raises at once; a network client after ``socket_timeout``, or
        never without one)."""
        if reply not in ("ON", "OFF", "SKIP"):
            raise DataError("CLIENT REPLY must be one of ['ON', 'OFF', 'SKIP']")
        return self.execute_command("CLIENT REPLY", reply, **kwargs)

    def client_tracking(
        self,
        on: bool = True,
        clientid: Optional[int] = None,
        prefix: Sequence[Any] = [],
        bcast: bool = False,
        optin: bool = False,
        optout: bool = False,
        noloop: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Turn client-side caching invalidations on or off: sent to
        client ``clientid`` (subscribed to ``__redis__:invalidate``) when
        keys this client read change, or with ``bcast`` any key starting
        with one of ``prefix``; ``optin`` / ``optout`` track only after /
        except after CLIENT CACHING; ``noloop`` skips this client's own
        writes."""
        if prefix and not bcast:
            raise DataError("Prefix can only be used with bcast")
        args: List[Any] = ["ON" if on else "OFF"]
        if clientid is not None:
            args += ["REDIRECT", clientid]
        for p in prefix:
            args += ["PREFIX", p]
        args += [name for flag, name in ((bcast, "BCAST"), (optin, "OPTIN"), (optout, "OPTOUT"), (noloop, "NOLOOP")) if flag]
        return self.execute_command("CLIENT TRACKING", *args, **kwargs)

    def client_tracking_on(
        self,
        clientid: Optional[int] = None,
        prefix: Sequence[Any] = [],
        bcast: bool = False,
        optin: bool = False,
        optout: bool = False,
        noloop: bool = False,
    ) -> Any:
        """``client_tracking(True, ...)``."""
        return self.client_tracking(True, clientid, prefix, bcast, optin, optout, noloop)

    def client_tracking_off(
        self,
        clientid: Optional[int] = None,
        prefix: Sequence[Any] = [],
        bcast: bool = False,
        optin: bool = False,
        optout: bool = False,
        noloop: bool = False,
    ) -> Any:
        """``client_tracking(False, ...)``."""
        return self.client_tracking(False, clientid, prefix, bcast, optin, optout, noloop)

    def client_trackinginfo(self, **kwargs: Any) -> List[Any]:
        """This client's tracking state: ``['flags', [...], 'redirect', id,
        'prefixes', [...]]``."""
        return self.execute_command("CLIENT TRACKINGINFO", **kwargs)

    def client_setinfo(self, attr: str, value: str, **kwargs: Any) -> bool:
        """Set ``LIB-NAME`` or ``LIB-VER`` (Redis 7.2; a 7.0 server, and so
        the embedded engine, answers that the subcommand is unknown)."""
        return self.execute_command("CLIENT SETINFO", attr, value, **kwargs)

    def client_unblock(self, client_id: int, error: bool = False, **kwargs: Any) -> bool:
        """End the blocking command of client ``client_id``, as a timeout or
        (``error=True``) with an UNBLOCKED error; False if it was not
        blocked."""
        args: List[Any] = ["CLIENT UNBLOCK", int(client_id)]
        if error:
            args.append(b"ERROR")
        return self.execute_command(*args, **kwargs)

    def client_pause(self, timeout: int, all: bool = True, **kwargs: Any) -> bool:
        """Suspend the clients' commands (all of them, or with
        ``all=False`` only writes) for ``timeout`` milliseconds."""
        if not isinstance(timeout, int):
            raise DataError("CLIENT PAUSE timeout must be an integer")
        args: List[Any] = ["CLIENT PAUSE", str(timeout)]
        if not all:
            args.append("WRITE")
        return self.execute_command(*args, **kwargs)

    def client_unpause(self, **kwargs: Any) -> Any:
        """End a CLIENT PAUSE."""
        return self.execute_command("CLIENT UNPAUSE", **kwargs)

    def client_no_evict(self, mode: str) -> Any:
        """``ON``: this client is never evicted for memory."""
        return self.execute_command("CLIENT NO-EVICT", mode)

    def client_no_touch(self, mode: str) -> Any:
        """``ON``: this client's reads leave keys' LRU/LFU alone (Redis 7.2;
        a 7.0 server, and so the embedded engine, answers that the
        subcommand is unknown)."""
        return self.execute_command("CLIENT NO-TOUCH", mode)

    def monitor(self) -> Any:
        """A :class:`~redcore.monitor.Monitor` of every command the
        engine's (or server's) clients run."""
        from ..monitor import Monitor

        return Monitor(self)

    def reset(self) -> Any:
        """Back to a fresh connection's state (no MULTI, WATCH,
        subscriptions, name; db 0; the default user)."""
        return self.execute_command("RESET")

    def quit(self, **kwargs: Any) -> Any:
        """Close the connection (the next command opens a new one)."""
        return self.execute_command("QUIT", **kwargs)

    def hello(self) -> None:
        """Not supported, as in redis-py (the protocol is chosen with
        ``protocol=``); ``execute_command("HELLO", ...)`` runs the command."""
        raise NotImplementedError("HELLO is intentionally not implemented in the client.")


__all__ = ["ConnectionCommands"]
