"""``python -m redcore serve`` / ``redcore-server``: the redcore server as a
process, with redis-server's common options::

    python -m redcore serve --port 6379 --bind 127.0.0.1 --requirepass s3cret
    redcore-server --unixsocket /tmp/redcore.sock --dir /data --appendonly yes
    redcore-server --port 0 --tls-port 6380 --tls-cert-file server.crt \
        --tls-key-file server.key --tls-ca-cert-file ca.crt   # TLS only
    redcore-server --tls-port 6380 ... --tls-protocols TLSv1.3 \
        --tls-ciphersuites TLS_AES_256_GCM_SHA384

Options redcore has no flag for pass through as startup settings
(``--maxmemory-policy allkeys-lru``), as redis-server takes any redis.conf
setting on its command line. SIGTERM and SIGINT shut down gracefully:
save if persistence is configured, close the clients, exit.
"""

from __future__ import annotations

import argparse
import signal
import sys
from typing import Any, Dict, List, Optional

PROG = "python -m redcore serve"


def parser(prog: str = PROG) -> argparse.ArgumentParser:
    """The command line of ``serve``."""
    ap = argparse.ArgumentParser(
        prog=prog,
        description="Serve a redcore engine over RESP (redis-cli and any Redis client can connect).",
        epilog="Other --name value pairs are passed to the engine as startup settings.",
    )
    ap.add_argument(
        "--port", type=int, default=6379,
        help="TCP port (0: none when --unixsocket or --tls-port is given, else a free one)",
    )
    ap.add_argument("--bind", nargs="+", default=None, help="addresses to listen on (default 127.0.0.1)")
    ap.add_argument("--unixsocket", help="also listen on this Unix socket")
    ap.add_argument("--requirepass", help="password of the default user")
    ap.add_argument("--aclfile", help="ACL users file (ACL LOAD / ACL SAVE)")
    ap.add_argument("--dir", help="working directory for RDB / AOF files")
    ap.add_argument("--appendonly", choices=["yes", "no"], help="append-only file persistence")
    ap.add_argument("--maxmemory", help="memory limit (e.g. 100mb)")
    ap.add_argument("--tls-port", type=int, default=None, help="also serve TLS on this port")
    ap.add_argument("--tls-cert-file", help="the server's certificate (PEM)")
    ap.add_argument("--tls-key-file", help="the server's private key (PEM)")
    ap.add_argument("--tls-ca-cert-file", help="CA certificates that client certificates must be signed by")
    ap.add_argument("--tls-ca-cert-dir", help="a directory of CA certificates (instead of or with --tls-ca-cert-file)")
    ap.add_argument(
        "--tls-protocols", nargs="+", default=None,
        help='TLS versions served: "TLSv1.2 TLSv1.3" (the default), or one of them',
    )
    ap.add_argument("--tls-ciphers", help="TLS 1.2 cipher suites allowed, colon separated (OpenSSL or rustls names)")
    ap.add_argument("--tls-ciphersuites", help="TLS 1.3 cipher suites allowed, colon separated")
    ap.add_argument(
        "--tls-auth-clients", choices=["yes", "no", "optional"], default=None,
        help="require client certificates (default yes, which needs --tls-ca-cert-file)",
    )
    ap.add_argument(
        "--threads", type=int, default=None,
        help="server worker threads (default: 1 on a machine with up to 2 CPUs, else 2)",
    )
    ap.add_argument("--name", default=None, help="engine name (default: a private engine)")
    return ap


def _extra_settings(rest: List[str]) -> Dict[str, str]:
    """``--name value [value...]`` pairs redis-server style."""
    out: Dict[str, str] = {}
    key: Optional[str] = None
    for word in rest:
        if word.startswith("--"):
            key = word[2:]
            out[key] = ""
        elif key is None:
            raise SystemExit(f"{PROG}: unexpected argument {word!r}")
        else:
            out[key] = f"{out[key]} {word}".strip()
    return out


def main(argv: Optional[List[str]] = None, prog: str = PROG) -> int:
    """Runs the server until SHUTDOWN, SIGTERM or SIGINT; the exit status."""
    from .server import Server

    args, rest = parser(prog).parse_known_args(argv)
    config: Dict[str, Any] = _extra_settings(rest)
    for opt in ("dir", "appendonly", "maxmemory"):
        if getattr(args, opt) is not None:
            config[opt] = getattr(args, opt)
    # As redis-server: port 0 with another listener means no plain TCP port.
    port = args.port if (args.port or not (args.unixsocket or args.tls_port)) else None
    try:
        srv = Server(
            port=port,
            bind=args.bind,
            unixsocket=args.unixsocket,
            requirepass=args.requirepass,
            name=args.name,
            aclfile=args.aclfile,
            threads=args.threads,
            config=config or None,
            tls_port=args.tls_port,
            tls_cert_file=args.tls_cert_file,
            tls_key_file=args.tls_key_file,
            tls_ca_cert_file=args.tls_ca_cert_file,
            tls_auth_clients=args.tls_auth_clients,
            tls_ca_cert_dir=args.tls_ca_cert_dir,
            tls_protocols=" ".join(args.tls_protocols) if args.tls_protocols else None,
            tls_ciphers=args.tls_ciphers,
            tls_ciphersuites=args.tls_ciphersuites,
        )
    except OSError as e:
        print(f"redcore-server: {e.strerror or e}", file=sys.stderr)
        return 1
    except Exception as e:  # bad settings: the engine's own message
        print(f"redcore-server: {e}", file=sys.stderr)
        return 1
    stop: List[int] = []

    def on_signal(signum: int, _frame: Any) -> None:
        stop.append(signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    where = [f"{a}:{srv.port}" for a in srv.bind] if srv.port is not None else []
    if srv.tls_port is not None:
        where += [f"{a}:{srv.tls_port} (TLS)" for a in srv.bind]
    if args.unixsocket:
        where.append(args.unixsocket)
    print(f"redcore server ready to accept connections on {', '.join(where)}", flush=True)

    while not stop and not srv.wait(0.2):
        pass
    if stop:
        print("redcore server: shutting down (signal received)", flush=True)
        try:
            srv.shutdown()
        except RuntimeError as e:
            print(f"redcore server: {e}", file=sys.stderr)
            srv.stop()
            return 1
    srv.stop()
    print("redcore server: bye", flush=True)
    return 0


def console() -> int:
    """The ``redcore-server`` console script."""
    return main(prog="redcore-server")


if __name__ == "__main__":
    sys.exit(console())
