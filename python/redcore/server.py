"""``redcore.Server``: serve an embedded engine over RESP, so other
processes (gunicorn workers, redis-cli, any language's client) reach the
same data.

The server runs on background threads inside the current process; the
engine runs there without the GIL, and this process's own
``redcore.Redis(name=...)`` clients keep their in-process speed::

    >>> import redcore
    >>> with redcore.Server(port=0, name="app") as srv:  # port 0: a free one
    ...     local = redcore.Redis(name="app")            # in-process, same data
    ...     remote = redcore.Redis.from_url(srv.url)      # over TCP
    ...     local.set("greeting", "hello")
    ...     remote.get("greeting")
    True
    b'hello'

``python -m redcore serve`` (or the ``redcore-server`` script) runs one as
a standalone process.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence, Union

from . import _redcore
from .connection import startup_config

__all__ = ["Server"]


class Server:
    """A RESP server for the embedded engine ``name`` of this process.

    Args:
        port: TCP port (6379 by default; 0 picks a free one, see ``.port``;
            None serves only ``unixsocket``).
        bind: address or addresses to listen on (loopback by default; a
            space-separated string or a list, as redis.conf's ``bind``).
        unixsocket: path of a Unix socket to serve as well.
        requirepass: the default user's password (clients must AUTH).
        name: the shared engine to serve, the one ``redcore.Redis(name=...)``
            uses; None serves a private engine of its own.
        aclfile: ACL users to load (``ACL LOAD`` / ``ACL SAVE`` use it).
        threads: the server's worker threads.
        config: startup settings for a new engine, as redis-server takes
            them (``{"dir": "/data", "appendonly": "yes"}``); an engine
            that already exists keeps its own.

    Raises:
        OSError: the address could not be bound (the port is taken...).
    """

    def __init__(
        self,
        port: Optional[int] = 6379,
        bind: Union[str, Sequence[str], None] = None,
        unixsocket: Optional[str] = None,
        requirepass: Optional[str] = None,
        name: Optional[str] = None,
        *,
        aclfile: Optional[str] = None,
        threads: int = 2,
        config: Optional[Dict[str, Any]] = None,
    ) -> None:
        if isinstance(bind, str):
            bind = bind.split()
        self.name = name
        self.bind = list(bind) if bind else ["127.0.0.1"]
        self.unixsocket = unixsocket
        self.requirepass = requirepass
        self._server = _redcore.Server(
            name=name,
            port=port,
            bind=list(bind) if bind else None,
            unixsocket=unixsocket,
            threads=threads,
            config=startup_config(config),
            requirepass=requirepass.encode() if requirepass is not None else None,
            aclfile=aclfile,
        )

    @property
    def port(self) -> Optional[int]:
        """The TCP port served (the one picked when created with port 0)."""
        return self._server.port

    @property
    def host(self) -> str:
        """The first address served (for clients: loopback if it is a wildcard)."""
        host = self.bind[0].lstrip("-")
        return {"0.0.0.0": "127.0.0.1", "::": "::1", "*": "127.0.0.1"}.get(host, host)

    @property
    def url(self) -> str:
        """A ``redis://`` (or ``unix://``) URL clients can connect with."""
        auth = f":{self.requirepass}@" if self.requirepass else ""
        if self.port is None and self.unixsocket:
            return f"unix://{auth}{self.unixsocket}"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"redis://{auth}{host}:{self.port}"

    @property
    def running(self) -> bool:
        """True until ``stop()`` or a client's SHUTDOWN."""
        return self._server.running

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Waits until the server stops (SHUTDOWN); False on timeout."""
        return self._server.wait(timeout)

    def shutdown(self, save: Optional[bool] = None) -> None:
        """Stops as SIGTERM does: saves first when persistence is set up
        (``save=True``/``False`` forces it on or off)."""
        self._server.shutdown(save)

    def stop(self) -> None:
        """Stops listening and closes every connection; the engine and its
        data stay."""
        self._server.stop()

    close = stop

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<redcore.Server({self.url}, name={self.name!r}, {state})>"
