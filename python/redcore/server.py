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

TLS takes redis-server's options: ``tls_port`` with ``tls_cert_file`` and
``tls_key_file``, and ``tls_ca_cert_file`` to check client certificates
(``tls_auth_clients``: ``"yes"``, the default as in Redis, requires one;
``"optional"`` checks one if sent; ``"no"`` asks for none, and is needed
to serve TLS without a CA; ``tls_ca_cert_dir`` names a directory of CA
certificates instead). ``tls_protocols`` (``"TLSv1.2 TLSv1.3"``),
``tls_ciphers`` (TLS 1.2 suites, colon separated) and ``tls_ciphersuites``
(TLS 1.3 suites) restrict what is negotiated; suites take OpenSSL's names
(as redis.conf) or rustls's, and one rustls lacks is refused at start-up.
``port=None, tls_port=6380`` serves TLS only;
with both, the plain and the TLS port serve the same engine::

    srv = redcore.Server(port=None, tls_port=6380, tls_cert_file="server.crt",
                         tls_key_file="server.key", tls_ca_cert_file="ca.crt")
    # clients: redis.Redis(port=6380, ssl=True, ssl_ca_certs="ca.crt",
    #                      ssl_certfile="client.crt", ssl_keyfile="client.key")
"""

from __future__ import annotations

import os
from typing import Any, Dict, Optional, Sequence, Union

from . import _redcore
from ._config import startup_config

__all__ = ["Server"]


def _yes_no(value: Union[str, bool, None]) -> Optional[str]:
    """``tls_auth_clients`` as redis.conf spells it (True/False: yes/no)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


class Server:
    """A RESP server for the embedded engine ``name`` of this process.

    Args:
        port: TCP port (6379 by default; 0 picks a free one, see ``.port``;
            None serves only ``unixsocket`` and/or ``tls_port``).
        bind: address or addresses to listen on (loopback by default; a
            space-separated string or a list, as redis.conf's ``bind``).
        unixsocket: path of a Unix socket to serve as well.
        requirepass: the default user's password (clients must AUTH).
        name: the shared engine to serve, the one ``redcore.Redis(name=...)``
            uses; None serves a private engine of its own.
        aclfile: ACL users to load (``ACL LOAD`` / ``ACL SAVE`` use it).
        threads: the server's worker threads (``CONFIG GET io-threads``
            reports them); by default 1 on a machine with up to 2 CPUs,
            whose other CPU the clients need, else 2.
        config: startup settings for a new engine, as redis-server takes
            them (``{"dir": "/data", "appendonly": "yes"}``); an engine
            that already exists keeps its own.
        tls_port: a TLS port on the same addresses (0 picks a free one, see
            ``.tls_port``); needs ``tls_cert_file`` and ``tls_key_file``.
        tls_cert_file: the server's certificate (PEM; a chain may follow).
        tls_key_file: its private key (PEM, not encrypted).
        tls_ca_cert_file: CA certificates that client certificates must
            be signed by.
        tls_auth_clients: ``"yes"`` (the default, as in Redis: clients
            must present a certificate signed by the CA), ``"optional"``
            or ``"no"``; ``"yes"`` and ``"optional"`` need
            ``tls_ca_cert_file``.

    Raises:
        OSError: the address could not be bound (the port is taken...).
        ValueError: bad TLS settings (a certificate or key that cannot be
            read, no CA while clients must be authenticated), with
            redis-server's message.
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
        threads: Optional[int] = None,
        config: Optional[Dict[str, Any]] = None,
        tls_port: Optional[int] = None,
        tls_cert_file: Optional[str] = None,
        tls_key_file: Optional[str] = None,
        tls_ca_cert_file: Optional[str] = None,
        tls_auth_clients: Union[str, bool, None] = None,
        tls_ca_cert_dir: Optional[str] = None,
        tls_protocols: Union[str, Sequence[str], None] = None,
        tls_ciphers: Optional[str] = None,
        tls_ciphersuites: Optional[str] = None,
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
            tls_port=tls_port,
            tls_cert_file=os.fspath(tls_cert_file) if tls_cert_file is not None else None,
            tls_key_file=os.fspath(tls_key_file) if tls_key_file is not None else None,
            tls_ca_cert_file=os.fspath(tls_ca_cert_file) if tls_ca_cert_file is not None else None,
            tls_auth_clients=_yes_no(tls_auth_clients),
            tls_ca_cert_dir=os.fspath(tls_ca_cert_dir) if tls_ca_cert_dir is not None else None,
            tls_protocols=tls_protocols if isinstance(tls_protocols, (str, type(None))) else " ".join(tls_protocols),
            tls_ciphers=tls_ciphers,
            tls_ciphersuites=tls_ciphersuites,
        )

    @property
    def port(self) -> Optional[int]:
        """The TCP port served (the one picked when created with port 0)."""
        return self._server.port

    @property
    def tls_port(self) -> Optional[int]:
        """The TLS port served (the one picked when created with
        ``tls_port=0``); None without TLS."""
        return self._server.tls_port

    @property
    def host(self) -> str:
        """The first address served (for clients: loopback if it is a wildcard)."""
        host = self.bind[0].lstrip("-")
        return {"0.0.0.0": "127.0.0.1", "::": "::1", "*": "127.0.0.1"}.get(host, host)

    @property
    def url(self) -> str:
        """A ``redis://`` (or ``unix://``) URL clients can connect with;
        ``rediss://`` when only the TLS port is served (see ``tls_url``)."""
        auth = f":{self.requirepass}@" if self.requirepass else ""
        if self.port is None and self.unixsocket:
            return f"unix://{auth}{self.unixsocket}"
        if self.port is None and self.tls_port is not None:
            return self.tls_url or ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"redis://{auth}{host}:{self.port}"

    @property
    def tls_url(self) -> Optional[str]:
        """A ``rediss://`` URL of the TLS port (None without TLS); clients
        add their CA and certificate options."""
        if self.tls_port is None:
            return None
        auth = f":{self.requirepass}@" if self.requirepass else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"rediss://{auth}{host}:{self.tls_port}"

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
