"""``Redis.monitor()``: the commands every client of the engine (or server)
runs, one at a time, as redis-py's ``Monitor`` yields them.

>>> from redcore import Redis
>>> r = Redis(name="monitor-doc")
>>> with r.monitor() as m:
...     _ = Redis(name="monitor-doc").set("k", "v")
...     m.next_command()["command"]
'SET k v'
"""

from __future__ import annotations

import re
from typing import Any, Dict, Iterator, Optional

from .exceptions import RedisError

_LINE = re.compile(r"(\d+\.\d+) \[(\d+) (.*?)\] (.*)", re.S)


def _arguments(text: str) -> str:
    """The quoted arguments of a MONITOR line joined by spaces, with the
    escaped quotes unescaped (redis-py's shape; other escapes stay)."""
    args = []
    i, n = 0, len(text)
    while i < n:
        if text[i] != '"':
            i += 1
            continue
        j = i + 1
        while j < n and not (text[j] == '"' and text[j - 1] != "\\"):
            j += 1
        args.append(text[i + 1 : j].replace('\\"', '"'))
        i = j + 1
    return " ".join(args)


def _client(info: str) -> Dict[str, str]:
    if info == "lua":
        return {"client_address": "lua", "client_port": "", "client_type": "lua"}
    if info.startswith("unix"):
        return {"client_address": "unix", "client_port": info[5:], "client_type": "unix"}
    if not info:
        return {"client_address": "", "client_port": "", "client_type": "unknown"}
    address, _, port = info.rpartition(":")
    return {"client_address": address, "client_port": port, "client_type": "tcp"}


def parse_line(line: Any) -> Dict[str, Any]:
    """One MONITOR line as redis-py's ``Monitor`` gives it: ``time``,
    ``db``, ``client_address``, ``client_port``, ``client_type`` and
    ``command`` (the arguments joined by spaces)."""
    if isinstance(line, bytes):
        line = line.decode("utf-8", errors="replace")
    m = _LINE.match(line)
    if m is None:
        raise RedisError(f"unexpected MONITOR line: {line!r}")
    when, db, info, rest = m.groups()
    return {"time": float(when), "db": int(db), **_client(info), "command": _arguments(rest)}


def check_started(reply: Any) -> None:
    """Raises unless ``reply`` is MONITOR's OK."""
    if reply not in (b"OK", "OK"):
        raise RedisError(f"MONITOR failed: {reply!r}")


class Monitor:
    """A MONITOR stream; use it as a context manager."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._conn: Optional[Any] = None

    def __enter__(self) -> "Monitor":
        self._conn = self._client._subscriber()
        self._conn.send("MONITOR")
        check_started(self._conn.read(None))
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def next_command(self) -> Dict[str, Any]:
        """The next command: ``time``, ``db``, ``client_address``,
        ``client_port``, ``client_type`` and ``command`` (its arguments
        joined by spaces). Waits until one runs."""
        if self._conn is None:
            raise RedisError("use the Monitor as a context manager (with r.monitor() as m: ...)")
        return parse_line(self._conn.read(None))

    def listen(self) -> Iterator[Dict[str, Any]]:
        """Every command, as :meth:`next_command` returns them."""
        while True:
            yield self.next_command()


__all__ = ["Monitor"]
