"""Servers on this machine's loopback, for the test suite, the pytest
plugin, the benchmarks and the scripts that start redis-server or
``python -m redcore serve`` as child processes: a free port to give one,
a wait until it answers PING, and a ``preexec_fn`` that ties the child's
life to its parent's.

    >>> port = free_port()
    >>> 0 < port < 65536
    True
"""

from __future__ import annotations

import ctypes
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Callable, Optional

__all__ = ["die_with_parent", "free_port", "tie_to_parent", "wait_ready"]

_PR_SET_PDEATHSIG = 1
# Looked up here, not in the forked child, where a lock another thread
# held at fork time could make the lookup hang.
_prctl = ctypes.CDLL(None).prctl if sys.platform.startswith("linux") else None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (the kernel's
    pick; another process may still take it before the caller does)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(port: int, proc: Optional[subprocess.Popen] = None, timeout: float = 30.0, what: str = "server") -> None:
    """Returns once a server on ``127.0.0.1:port`` answers an inline PING
    with ``+PONG`` (so it needs no client library, and no AUTH may be
    set). Raises ``RuntimeError`` if ``proc`` exits first or ``timeout``
    seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} on port {port} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not answer on port {port} within {timeout:g} s")
        time.sleep(0.05)


def die_with_parent() -> None:
    """A ``preexec_fn`` for a child server: on Linux the kernel sends it
    SIGKILL when the thread that started it exits, so a test run that is
    killed (``kill -9``, a pytest-timeout that ends the process) leaves no
    server behind, not even one running an endless script (which does
    not stop on SIGTERM). Elsewhere it does nothing. Start the child from
    the main thread (see :func:`tie_to_parent`): a child started from
    another thread dies when that thread ends."""
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL))


def tie_to_parent() -> Optional[Callable[[], None]]:
    """The ``preexec_fn`` for a child server started now: :func:`die_with_parent`
    on the main thread, which lives as long as the process, and None on
    any other thread (a restart from a timer thread, say), whose end
    would take the child with it."""
    if threading.current_thread() is threading.main_thread():
        return die_with_parent
    return None
