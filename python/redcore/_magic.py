"""The IPython extension: ``%load_ext redcore``.

Gives a ``%redis`` line magic and a ``%%redis`` cell magic that run
redis-cli syntax on the embedded engine (``memory://notebook``, or the
``REDIS_URL`` environment variable when set) and show replies as redis-cli
does, with HTML tables for field/value and member/score replies (HGETALL,
CONFIG GET, ZRANGE ... WITHSCORES)::

    %load_ext redcore
    %redis SET greeting hello
    %%redis
    HSET user:1 name Ada city London
    HGETALL user:1

``%redis_connect URL`` switches to another engine or server
(``memory://name``, ``redis://host:port/db``), and so does a URL after
``%%redis`` (for that cell and the ones after it); Python code reaches the
same data with ``redcore.Redis.from_url(URL)``. Like a redis-cli
connection, the magics keep MULTI state from one line (or cell) to the
next.
"""

from __future__ import annotations

import html
import os
from typing import Any, List, Optional, Sequence

from ._cli_repl import CliError, ErrorReply, Session, format_tty, split_args

DEFAULT_URL = "memory://notebook"

_session: Optional[Session] = None


def session() -> Session:
    """The magics' connection (made on first use)."""
    global _session
    if _session is None:
        _session = Session(os.environ.get("REDIS_URL") or DEFAULT_URL)
    return _session


def connect(url: str) -> Session:
    """Points the magics at ``url``; returns the new session."""
    global _session
    if _session is not None:
        _session.close()
    _session = Session(url.strip() or DEFAULT_URL)
    return _session


def _table_columns(argv: Sequence[str]) -> Optional[List[str]]:
    """Column names when a reply is a flat field/value list shown as a
    table, else None."""
    name = argv[0].lower()
    flags = {a.lower() for a in argv[1:]}
    if name == "hgetall":
        return ["field", "value"]
    if name == "config" and len(argv) > 1 and argv[1].lower() == "get":
        return ["parameter", "value"]
    if name == "hrandfield" and "withvalues" in flags:
        return ["field", "value"]
    if name.startswith(("zrange", "zrevrange", "zunion", "zinter", "zdiff", "zrandmember")) and "withscores" in flags:
        return ["member", "score"]
    return None


def _cell_text(v: Any) -> str:
    if isinstance(v, (bytes, bytearray)):
        return bytes(v).decode("utf-8", "backslashreplace")
    return str(v)


class Reply:
    """One command's reply in a notebook: its text is redis-cli's, its HTML
    a table where the reply is a list of pairs."""

    def __init__(self, argv: Sequence[str], value: Any) -> None:
        self.argv = list(argv)
        self.value = value
        self.columns = None if isinstance(value, ErrorReply) else _table_columns(self.argv)

    def __repr__(self) -> str:
        return format_tty(self.value).rstrip("\n")

    def _repr_html_(self) -> Optional[str]:
        if self.columns is None or not isinstance(self.value, list) or not self.value:
            return None
        it = iter(self.value)
        rows = "".join(
            f"<tr><td>{html.escape(_cell_text(a))}</td><td>{html.escape(_cell_text(b))}</td></tr>"
            for a, b in zip(it, it)
        )
        head = "".join(f"<th>{c}</th>" for c in self.columns)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def run_line(line: str) -> Optional[Reply]:
    """Runs one redis-cli line on the magics' session (None for a blank
    line)."""
    try:
        argv = split_args(line)
    except CliError as e:
        return Reply(["?"], ErrorReply(str(e)))
    if not argv:
        return None
    return Reply(argv, session().run(argv))


def load_ipython_extension(ipython: Any) -> None:
    """Registers ``%redis``, ``%%redis`` and ``%redis_connect``."""
    from IPython.display import display

    def redis_magic(line: str, cell: Optional[str] = None) -> Optional[Reply]:
        if cell is None:
            return run_line(line)
        if line.strip():
            connect(line)
        for text in cell.splitlines():
            reply = run_line(text)
            if reply is not None:
                display(reply)
        return None

    def redis_connect(line: str) -> None:
        s = connect(line)
        print(f"connected to {s.url}")

    ipython.register_magic_function(redis_magic, "line_cell", "redis")
    ipython.register_magic_function(redis_connect, "line", "redis_connect")
