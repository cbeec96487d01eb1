"""Helpers the test modules share: replies and errors, blocked calls run in a
thread, and DUMP payloads built by hand.

``tests/`` is on ``sys.path`` (pytest puts the folder of the root
``conftest.py`` there), so test modules import this as ``support``.
"""

import contextlib
import signal
import socket
import struct
import threading
import time
from typing import Any, Callable, Iterator, List

import pytest

# -- replies and errors -----------------------------------------------------------


def error_of(r, *args):
    """The text of the ResponseError a raw command fails with."""
    with pytest.raises(r.exc.ResponseError) as e:
        r.execute_command(*args)
    return str(e.value)


def encoding(r, key):
    """OBJECT ENCODING of ``key``, as text."""
    enc = r.execute_command("OBJECT", "ENCODING", key)
    return enc.decode() if isinstance(enc, bytes) else enc


# -- blocking calls -----------------------------------------------------------------


def in_thread(fn):
    """Runs fn in a thread; returns a getter for (result, elapsed)."""
    out = {}

    def run():
        t = time.perf_counter()
        try:
            out["value"] = fn()
        except Exception as e:  # noqa: BLE001
            out["value"] = e
        out["elapsed"] = time.perf_counter() - t

    th = threading.Thread(target=run)
    th.start()

    def result(timeout=5):
        th.join(timeout)
        assert not th.is_alive(), "blocked call did not return"
        return out["value"], out["elapsed"]

    return result


def wait_blocked(r, n=1):
    """Waits until ``n`` clients are blocked (INFO clients)."""
    deadline = time.time() + 5
    while time.time() < deadline:
        if r.info("clients").get("blocked_clients", 0) >= n:
            return
        time.sleep(0.005)
    raise AssertionError("client never blocked")


# -- DUMP payloads --------------------------------------------------------------------

_POLY = 0x95AC9329AC4BC9B5  # the Jones polynomial, reflected
_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ _POLY if _c & 1 else _c >> 1
    _TABLE.append(_c)


def crc64(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc = _TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc


def payload(body: bytes, version: int = 10) -> bytes:
    """Wraps an RDB object (type byte + body) in a DUMP footer."""
    data = body + struct.pack("<H", version)
    return data + struct.pack("<Q", crc64(data))


def rdb_len(n: int) -> bytes:
    """An RDB length; negative ones wrap to 64 bits, as C would write them."""
    n &= 2**64 - 1
    if n < 64:
        return bytes([n])
    if n < 16384:
        return bytes([0x40 | (n >> 8), n & 0xFF])
    if n < 2**32:
        return b"\x80" + struct.pack(">I", n)
    return b"\x81" + struct.pack(">Q", n)


def rdb_str(s: bytes) -> bytes:
    return rdb_len(len(s)) + s


def mutations(rng, base, n, cuts=(0.3, 0.8, 0.9)):
    """``n`` damaged copies of the DUMP payload ``base``, each with a valid
    footer: truncated, bytes overwritten, bytes inserted or a bit flipped,
    the kind drawn against the thresholds ``cuts``."""
    truncate, overwrite, insert = cuts
    body = base[:-10]
    for _ in range(n):
        b = bytearray(body)
        kind = rng.random()
        if kind < truncate and len(b) > 1:
            b = b[: rng.randrange(1, len(b))]
        elif kind < overwrite:
            for _ in range(rng.randint(1, 3)):
                b[rng.randrange(len(b))] = rng.randrange(256)
        elif kind < insert:
            i = rng.randrange(len(b))
            b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 4)))
        else:
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        yield payload(bytes(b))


# -- Django ------------------------------------------------------------------------------


def configure_django() -> None:
    """Configures Django once per process (it allows only one
    configuration); each test then applies its own settings, URLconf
    included, with ``override_settings``."""
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            SECRET_KEY="redcore-tests",
            ALLOWED_HOSTS=["*"],
            USE_TZ=True,
            INSTALLED_APPS=[],
            DATABASES={},
            MIDDLEWARE=[],
            ROOT_URLCONF=__name__,
            CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        )
        django.setup()


# Commands newer than the Redis 7.0 oracle that the engine has; their own test
# modules check them against Redis's documentation (test_hash_ttl.py: Redis
# 7.4 / 8.0; test_management.py: WAITAOF, 7.2).
NEWER_THAN_7_0 = {
    "hexpire", "hpexpire", "hexpireat", "hpexpireat", "httl", "hpttl", "hexpiretime",
    "hpexpiretime", "hpersist", "hgetdel", "hgetex", "hsetex",
    # Redis 7.2 (test_management.py).
    "waitaof",
    # Redis 7.2 (commands/test_client_setinfo.py).
    "client|setinfo", "client|no-touch",
    # Redis 8.2 (commands/test_newer_commands.py).
    "xdelex", "xackdel",
    # Redis 8.10 (commands/test_newer_commands.py).
    "lmovem", "blmovem",
    # Redis 8.4 and 8.8 (commands/test_newer_strings.py).
    "digest", "delex", "msetex", "increx",
}


# -- signals ------------------------------------------------------------------------


class Interrupt(Exception):
    """What :func:`alarm`'s default handler raises: a Ctrl-C stand-in."""


@contextlib.contextmanager
def alarm(seconds: float, handler: Callable[[int, Any], None] = None) -> Iterator[None]:
    """Delivers SIGALRM ``seconds`` into the block, to ``handler`` (by
    default one raising :class:`Interrupt`, as Ctrl-C raises
    KeyboardInterrupt); the old handler comes back after the block."""

    def interrupt(signum: int, frame: Any) -> None:
        raise Interrupt()

    old = signal.signal(signal.SIGALRM, handler or interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


# -- a scripted server -----------------------------------------------------------------


class ScriptedServer:
    """A server answering each MGET with ``reply(conn_index)`` bytes, sent
    in the pieces given, and every other command with +OK."""

    def __init__(self, reply: Callable[[int], List[Any]]) -> None:
        self.reply = reply
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.conns = 0
        self.closing = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closing:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns += 1
            threading.Thread(target=self._serve, args=(c, self.conns), daemon=True).start()

    def _serve(self, c: socket.socket, index: int) -> None:
        buf = b""
        with c:
            while True:
                try:
                    data = c.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                buf += data
                while True:
                    cmd, buf = _take_command(buf)
                    if cmd is None:
                        break
                    if cmd[0].upper() != b"MGET":
                        c.sendall(b"+OK\r\n")
                        continue
                    for piece in self.reply(index):
                        if piece is None:
                            return  # close mid-reply
                        if isinstance(piece, float):
                            time.sleep(piece)
                            continue
                        try:
                            c.sendall(piece)
                        except OSError:
                            return

    def close(self) -> None:
        self.closing = True
        self.sock.close()


def _take_command(buf: bytes) -> Any:
    if not buf.startswith(b"*") or b"\r\n" not in buf:
        return None, buf
    head, rest = buf.split(b"\r\n", 1)
    args = []
    for _ in range(int(head[1:])):
        if b"\r\n" not in rest:
            return None, buf
        line, rest = rest.split(b"\r\n", 1)
        n = int(line[1:])
        if len(rest) < n + 2:
            return None, buf
        args.append(rest[:n])
        rest = rest[n + 2 :]
    return args, rest
