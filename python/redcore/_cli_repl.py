"""``python -m redcore cli [URL]``: a redis-cli-like prompt.

On the embedded engine by default (a private one, or ``memory://name``), or
on any server (``redis://``, ``rediss://``, ``unix://``). It reads commands
in redis-cli's syntax (double quotes with ``\\n``/``\\xHH`` escapes, single
quotes), prints replies as redis-cli does (``(integer) 1``, ``1) "a"``,
``(nil)``, ``(error) ...``; raw values when stdout is not a terminal, as
redis-cli does, or with ``--raw``), keeps a readline history in
``~/.redcore_cli_history``, completes command names, prints a command's
syntax from COMMAND DOCS on ``help <command>`` (and on Tab after a command
name), runs ``--eval script.lua key1 key2 , arg1 arg2``, and reads piped
input line by line::

    python -m redcore cli                        # embedded engine
    python -m redcore cli redis://localhost:6379 INCR hits
    printf 'SET a 1\\nGET a\\n' | python -m redcore cli

redis-cli sees each reply's RESP type; redcore's client hands back values,
so a status reply (``OK``, printed without quotes) is told from a bulk
string by the command that produced it (the command table's reply column;
inside MULTI, by the queued command). Status replies made by Lua scripts
(``redis.status_reply``) are the exception: they are shown quoted.

The rendering functions (:func:`split_args`, :func:`format_tty`,
:func:`format_raw`, :class:`Session`) are shared with the IPython magic
(``%load_ext redcore``).
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from typing import Any, Dict, FrozenSet, Iterable, List, Optional, Sequence, TextIO

HISTORY_FILE = os.path.join(os.path.expanduser("~"), ".redcore_cli_history")

_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "a": "\a"}

@functools.lru_cache(maxsize=None)
def _status_commands() -> FrozenSet[str]:
    """Commands (``name`` or ``container|sub``) whose string replies are
    statuses (``OK``, printed without quotes): the command table's reply
    column says so. Everything else that is a string is a bulk string.
    redis-cli sees the reply's type on the wire; redcore's replies are
    plain bytes, so the command says which it was."""
    from ._redcore import command_table

    return frozenset(row["name"] for row in command_table() if row["status_reply"])


class CliError(Exception):
    """A line redis-cli would refuse (unbalanced quotes)."""


def split_args(line: str) -> List[Any]:
    """Splits a line as redis-cli does (``sdssplitargs``): whitespace
    separates arguments; ``"..."`` takes ``\\n \\r \\t \\b \\a \\\\ \\"``
    and ``\\xHH`` escapes; ``'...'`` takes only ``\\'``; a closing quote
    must be followed by a space or the end. An argument is a ``str``, or
    ``bytes`` when ``\\xHH`` escapes made it invalid UTF-8. Raises
    :class:`CliError`."""
    args: List[Any] = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i].isspace():
            i += 1
        if i >= n:
            return args
        cur = bytearray()
        while i < n and not line[i].isspace():
            if line[i] in "\"'":
                # A quoted part ends the argument.
                i = _read_quoted(line, i + 1, line[i], cur)
                break
            cur += line[i].encode()
            i += 1
        try:
            args.append(cur.decode())
        except UnicodeDecodeError:
            args.append(bytes(cur))


def _read_quoted(line: str, i: int, quote: str, cur: bytearray) -> int:
    """Reads a quoted part from ``line[i]`` (just after the opening
    ``quote``) into ``cur``; returns the index after the closing quote.
    Double quotes take ``\\xHH`` and one-character escapes, single
    quotes only ``\\'``."""
    n = len(line)
    while True:
        if i >= n:
            raise CliError("Invalid argument(s)")
        c = line[i]
        if c == quote:
            if i + 1 < n and not line[i + 1].isspace():
                raise CliError("Invalid argument(s)")
            return i + 1
        if c == "\\" and quote == '"':
            if i + 3 < n and line[i + 1] == "x" and _is_hex(line[i + 2 : i + 4]):
                cur.append(int(line[i + 2 : i + 4], 16))
                i += 4
                continue
            if i + 1 < n:
                cur += _ESCAPES.get(line[i + 1], line[i + 1]).encode()
                i += 2
                continue
        if c == "\\" and quote == "'" and i + 1 < n and line[i + 1] == "'":
            cur += b"'"
            i += 2
            continue
        cur += c.encode()
        i += 1


def _is_hex(s: str) -> bool:
    return len(s) == 2 and all(c in "0123456789abcdefABCDEF" for c in s)


class Status(bytes):
    """A status (simple string) reply, printed without quotes."""


class ErrorReply:
    """An error reply, with its code (``ERR``, ``WRONGTYPE``...)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"ErrorReply({self.text!r})"


def _error_text(exc: Exception) -> str:
    """The error as the server sent it: redis-py's classes drop the leading
    code of some errors (``ERR``, ``NOSCRIPT``...) and keep it in
    ``status_code``."""
    msg = str(exc)
    code = getattr(exc, "status_code", None)
    if code and not msg.startswith(str(code) + " "):
        return f"{code} {msg}"
    return msg


def repr_bytes(b: bytes) -> str:
    """redis-cli's quoted form of a bulk string (``sdscatrepr``)."""
    out = ['"']
    for c in b:
        ch = chr(c)
        if ch in '\\"':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\a":
            out.append("\\a")
        elif ch == "\b":
            out.append("\\b")
        elif 32 <= c < 127:
            out.append(ch)
        else:
            out.append(f"\\x{c:02x}")
    out.append('"')
    return "".join(out)


def format_tty(reply: Any, prefix: str = "") -> str:
    """A reply as redis-cli prints it on a terminal, newline included."""
    if isinstance(reply, ErrorReply):
        return f"(error) {reply.text}\n"
    if reply is None:
        return "(nil)\n"
    if isinstance(reply, Status):
        return reply.decode("utf-8", "replace") + "\n"
    if isinstance(reply, bool):
        return "(true)\n" if reply else "(false)\n"
    if isinstance(reply, int):
        return f"(integer) {reply}\n"
    if isinstance(reply, float):
        return f"(double) {reply!r}\n"
    if isinstance(reply, (bytes, bytearray)):
        return repr_bytes(bytes(reply)) + "\n"
    if isinstance(reply, str):
        return repr_bytes(reply.encode()) + "\n"
    if isinstance(reply, dict):
        flat: List[Any] = []
        for k, v in reply.items():
            flat += [k, v]
        reply = flat
    if isinstance(reply, (list, tuple, set)):
        items = list(reply)
        if not items:
            return "(empty array)\n"
        width = len(str(len(items)))
        inner = prefix + " " * (width + 2)
        out = []
        for i, item in enumerate(items):
            out.append(f"{'' if i == 0 else prefix}{i + 1:>{width}}) ")
            out.append(format_tty(item, inner))
        return "".join(out)
    return repr_bytes(str(reply).encode()) + "\n"


def format_raw(reply: Any) -> bytes:
    """A reply as redis-cli prints it when stdout is not a terminal
    (``--raw``), without the final newline."""
    if isinstance(reply, ErrorReply):
        return reply.text.encode() + b"\n"
    if reply is None:
        return b""
    if isinstance(reply, bool):
        return b"(true)" if reply else b"(false)"
    if isinstance(reply, (int, float)):
        return str(reply).encode()
    if isinstance(reply, (bytes, bytearray)):
        return bytes(reply)
    if isinstance(reply, str):
        return reply.encode()
    if isinstance(reply, dict):
        reply = [x for kv in reply.items() for x in kv]
    if isinstance(reply, (list, tuple, set)):
        return b"\n".join(format_raw(x) for x in reply)
    return str(reply).encode()


def _is_status(argv: Sequence[str], reply: Any) -> bool:
    if not argv or not isinstance(reply, bytes):
        return False
    name = argv[0].lower()
    sub = argv[1].lower() if len(argv) > 1 else ""
    if name == "ping":
        return len(argv) == 1
    if name == "set":
        return not any(a.lower() == "get" for a in argv[3:])
    status = _status_commands()
    return name in status or f"{name}|{sub}" in status


def syntax_of(doc: Dict[bytes, Any]) -> str:
    """A command's argument syntax (``key value [NX|XX] ...``) from its
    COMMAND DOCS entry."""
    return " ".join(_arg_syntax(a) for a in _pairs(doc).get("arguments", []) or [])


def _pairs(flat: Any) -> Dict[str, Any]:
    if isinstance(flat, dict):
        return {(k.decode() if isinstance(k, bytes) else k): v for k, v in flat.items()}
    it = iter(flat or [])
    return {(k.decode() if isinstance(k, bytes) else k): v for k, v in zip(it, it)}


def _text(v: Any) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


def _arg_syntax(arg: Any) -> str:
    a = _pairs(arg)
    kind = _text(a.get("type", ""))
    flags = {_text(f) for f in a.get("flags", []) or []}
    token = _text(a["token"]) if "token" in a else ""
    if kind == "pure-token":
        token = token or '""'  # MIGRATE's empty key
        return f"[{token}]" if "optional" in flags else token
    if kind in ("oneof", "block"):
        parts = [_arg_syntax(x) for x in a.get("arguments", []) or []]
        value = ("|" if kind == "oneof" else " ").join(parts)
    else:
        value = _text(a.get("name", ""))
    if "multiple" in flags:
        # A repeated token (WEIGHTS w [WEIGHTS w ...]) only with multiple_token.
        one = f"{token} {value}" if token else value
        body = f"{one} [{one} ...]" if "multiple_token" in flags else f"{one} [{value} ...]"
    else:
        body = f"{token} {value}" if token else value
    return f"[{body}]" if "optional" in flags else body


class Session:
    """One connection (the client of a URL, or an embedded engine) that runs
    redis-cli command lines and keeps MULTI state like a server connection
    does: replies come back typed for :func:`format_tty` /
    :func:`format_raw`."""

    def __init__(self, url: Optional[str] = None, client: Any = None) -> None:
        import redcore

        if client is None:
            url = url or "memory://"
            client = redcore.Redis.from_url(url, protocol=2, single_connection_client=True)
        client.response_callbacks = {}
        self.client = client
        self.url = url or "memory://"
        self._queued: Optional[List[List[str]]] = None
        self._docs: Optional[Dict[str, Any]] = None

    def close(self) -> None:
        self.client.close()

    def run(self, argv: Sequence[str]) -> Any:
        """Runs one command; returns the typed reply (errors as
        :class:`ErrorReply`)."""
        name = argv[0].lower() if argv else ""
        try:
            reply = self.client.execute_command(*argv)
        except Exception as exc:  # every server error is shown, as redis-cli does
            if name == "exec" or name == "discard":
                self._queued = None
            return ErrorReply(_error_text(exc))
        if name == "multi":
            self._queued = []
        elif name in ("exec", "discard"):
            queued, self._queued = self._queued, None
            if name == "exec" and isinstance(reply, list) and queued is not None:
                return [self._typed(q, r) for q, r in zip(queued, reply)]
        elif self._queued is not None and reply == b"QUEUED":
            self._queued.append(list(argv))
            return Status(reply)
        return self._typed(argv, reply)

    def _typed(self, argv: Sequence[str], reply: Any) -> Any:
        if isinstance(reply, Exception):
            return ErrorReply(_error_text(reply))
        if _is_status(argv, reply):
            return Status(reply)
        return reply

    def eval_file(self, path: str, rest: Sequence[str]) -> Any:
        """``--eval path key1 key2 , arg1 arg2``: EVAL the script's text."""
        with open(path, encoding="utf-8") as f:
            script = f.read()
        keys: List[str] = []
        args: List[str] = []
        target = keys
        for item in rest:
            if item == ",":
                target = args
                continue
            target.append(item)
        return self.run(["EVAL", script, str(len(keys)), *keys, *args])

    def docs(self) -> Dict[str, Any]:
        """COMMAND DOCS, by lower-case command name (fetched once)."""
        if self._docs is None:
            try:
                raw = self.client.execute_command("COMMAND", "DOCS")
            except Exception:  # a server without COMMAND DOCS: no hints
                raw = []
            docs: Dict[str, Any] = {}
            for name, doc in _pairs(raw).items():
                docs[_text(name).lower()] = doc
                for sub, subdoc in _pairs(_pairs(doc).get("subcommands", [])).items():
                    docs[_text(sub).lower().replace("|", " ")] = subdoc  # "client kill"
            self._docs = docs
        return self._docs

    def hint(self, command: str) -> Optional[str]:
        """``SET key value [NX|XX] ...`` for a command name (or a container
        command and its subcommand, ``CLIENT KILL``), or None."""
        command = " ".join(command.split()).lower()
        doc = self.docs().get(command)
        if doc is None:
            return None
        return f"{command.upper()} {syntax_of(doc)}".rstrip()

    def _doc_name(self, words: Sequence[str]) -> str:
        """The docs entry a typed line is about: ``client kill`` when the
        first word is a container command, else the first word."""
        first = words[0].lower() if words else ""
        if len(words) > 1 and f"{first} {words[1].lower()}" in self.docs():
            return f"{first} {words[1].lower()}"
        return first

    def help_text(self, command: str) -> str:
        """redis-cli's ``help <command>`` text (without colours)."""
        command = " ".join(command.split()).lower()
        doc = self.docs().get(command)
        if doc is None:
            return ""
        d = _pairs(doc)
        lines = [
            "",
            f"  {self.hint(command)}",
            f"  summary: {_text(d.get('summary', ''))}",
            f"  since: {_text(d.get('since', ''))}",
            f"  group: {_text(d.get('group', ''))}",
            "",
        ]
        return "\n".join(lines) + "\n"


class Repl:
    """The prompt loop over a :class:`Session`."""

    def __init__(self, session: Session, raw: bool, out: TextIO) -> None:
        self.session = session
        self.raw = raw
        self.out = out

    def emit(self, reply: Any) -> None:
        if self.raw:
            self.out.flush()
            buf = getattr(self.out, "buffer", None)
            data = format_raw(reply) + b"\n"
            if buf is not None:
                buf.write(data)
                buf.flush()
            else:
                self.out.write(data.decode("utf-8", "replace"))
        else:
            self.out.write(format_tty(reply))
        self.out.flush()

    def line(self, text: str) -> bool:
        """Runs one input line; False once the user asked to quit."""
        try:
            argv = split_args(text)
        except CliError as e:
            self.out.write(f"{e}\n")
            return True
        if not argv:
            return True
        name = argv[0].lower()
        if name in ("quit", "exit"):
            return False
        if name == "help":
            if len(argv) > 1:
                self.out.write(self.session.help_text(self.session._doc_name([str(a) for a in argv[1:]])))
            else:
                self.out.write(
                    "redcore cli: type a command as in redis-cli; "
                    '"help <command>" for its syntax; Tab completes command names.\n'
                )
            return True
        if name == "clear":
            self.out.write("\x1b[H\x1b[2J")
            return True
        self.emit(self.session.run(argv))
        return True

    def prompt(self) -> str:
        url = self.session.url
        if url.startswith("memory://"):
            where = "redcore(" + (url[len("memory://") :] or "embedded") + ")"
        else:
            where = url.split("://", 1)[-1].split("@")[-1]
        queued = "(TX)" if self.session._queued is not None else ""
        return f"{where}{queued}> "

    def interactive(self) -> None:
        readline = _setup_readline(self.session)
        try:
            while True:
                try:
                    text = input(self.prompt())
                except EOFError:
                    self.out.write("\n")
                    break
                except KeyboardInterrupt:
                    self.out.write("^C\n")
                    continue
                if not self.line(text):
                    break
        finally:
            if readline is not None:
                try:
                    readline.write_history_file(HISTORY_FILE)
                except OSError:
                    pass

    def piped(self, lines: Iterable[str]) -> None:
        for text in lines:
            if not self.line(text.rstrip("\r\n")):
                break


def _setup_readline(session: Session) -> Any:
    try:
        import readline
    except ImportError:  # Windows without pyreadline: a plain prompt
        return None
    try:
        readline.read_history_file(HISTORY_FILE)
    except OSError:
        pass
    readline.set_history_length(1000)

    def complete(text: str, state: int) -> Optional[str]:
        buf = readline.get_line_buffer()
        words = buf.split()
        if len(words) <= 1 and not buf.endswith(" "):
            names = sorted(n.upper() for n in session.docs() if n.upper().startswith(text.upper()))
            return names[state] + " " if state < len(names) else None
        if state == 0 and words:
            hint = session.hint(session._doc_name(words))
            if hint:
                sys.stdout.write(f"\n  {hint}\n")
                readline.redisplay()
        return None

    readline.set_completer(complete)
    readline.set_completer_delims(" ")
    readline.parse_and_bind("tab: complete")
    return readline


def add_parser(sub: Any) -> None:
    """Registers ``cli`` on ``python -m redcore``'s subcommand parser."""
    p = sub.add_parser("cli", help="a redis-cli-like prompt (embedded engine or a URL)")
    p.add_argument("target", nargs="*", metavar="[URL] [command ...]",
                   help="memory://name, redis://host:port/db...; then a command to run once")
    p.add_argument("-u", dest="url", help="server URL (as redis-cli -u)")
    p.add_argument("--raw", dest="raw", action="store_true", default=None, help="raw replies")
    p.add_argument("--no-raw", dest="raw", action="store_false", help="formatted replies even when piped")
    p.add_argument("--eval", dest="eval", metavar="FILE", help="EVAL the Lua script in FILE: keys , args")


def run(args: argparse.Namespace) -> int:
    """``python -m redcore cli``: the prompt, a one-shot command, --eval or
    piped input."""
    target: List[str] = list(args.target)
    url = args.url
    if url is None and target and "://" in target[0]:
        url = target.pop(0)
    raw = args.raw if args.raw is not None else not sys.stdout.isatty()
    try:
        session = Session(url)
    except Exception as e:  # bad URL or unreachable server
        sys.stderr.write(f"Could not connect to {url}: {e}\n")
        return 1
    repl = Repl(session, raw, sys.stdout)
    try:
        if args.eval:
            reply = session.eval_file(args.eval, target)
            repl.emit(reply)
            return 1 if isinstance(reply, ErrorReply) else 0
        if target:
            reply = session.run(target)
            repl.emit(reply)
            return 1 if isinstance(reply, ErrorReply) else 0
        if sys.stdin.isatty():
            repl.interactive()
        else:
            repl.piped(sys.stdin)
        return 0
    finally:
        session.close()
