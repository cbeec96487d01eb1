"""``python -m redcore check | info | load | save``: RDB files from the
command line, with a progress bar on large files (on stderr).

    python -m redcore check dump.rdb              # exit 1 and the byte offset if corrupt
    python -m redcore info dump.rdb               # version, aux fields, keys per db, types
    python -m redcore load dump.rdb --url redis://localhost:6379 [--replace]
    python -m redcore save out.rdb --url redis://localhost:6379

``load`` RESTOREs every key of a file (TTLs as absolute deadlines, FUNCTION
libraries too) into a server or an embedded engine (``memory://name?dir=...``,
which then saves to its directory);
``save`` writes what a server or engine holds (DUMP of every key) as an RDB
file, atomically. The file side is Rust (``_redcore.rdb_*``); nothing here
needs redis-server.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any, Callable, List, Optional, TextIO, Tuple

from . import _redcore

#: Files at least this large get a progress bar.
PROGRESS_MIN_BYTES = 1 << 20
BATCH = 1000


class Progress:
    """A one-line progress bar on ``stream`` (a TTY or not), redrawn at
    most ten times a second; ``total`` of 0 hides it."""

    def __init__(self, label: str, total: int, unit: str = "MB", stream: Optional[TextIO] = None) -> None:
        self.label = label
        self.total = total
        self.unit = unit
        self.stream = stream if stream is not None else sys.stderr
        self._last = 0.0
        self._shown = False

    def _scaled(self, n: int) -> str:
        return f"{n / 1e6:.1f}" if self.unit == "MB" else str(n)

    def __call__(self, done: int, total: Optional[int] = None) -> None:
        total = total if total is not None else self.total
        if total <= 0:
            return
        now = time.monotonic()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        width = 30
        filled = int(width * min(done, total) / total)
        self.stream.write(
            f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {100 * done // total:3d}% "
            f"{self._scaled(done)}/{self._scaled(total)} {self.unit}"
        )
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self.stream.write("\n")
            self.stream.flush()


def _file_progress(path: str, label: str) -> Tuple[Optional[Callable[[int, int], None]], Optional[Progress]]:
    import os

    size = os.path.getsize(path) if os.path.exists(path) else 0
    if size < PROGRESS_MIN_BYTES:
        return None, None
    bar = Progress(label, size)
    return bar, bar


def _scan(path: str, label: str) -> Any:
    cb, bar = _file_progress(path, label)
    try:
        return _redcore.rdb_scan(path, cb)
    finally:
        if bar:
            bar.close()


def cmd_check(args: argparse.Namespace) -> int:
    """Reads the whole file (checksum included); 0 if it loads."""
    try:
        s = _scan(args.file, "checking")
    except (ValueError, OSError) as e:
        print(f"{e}", file=sys.stderr)
        return 1
    print(f"RDB looks OK: version {s['version']}, {s['keys']} keys in {len(s['dbs'])} databases, {s['functions']} function libraries")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    """Prints what a file holds."""
    try:
        s = _scan(args.file, "reading")
    except (ValueError, OSError) as e:
        print(f"{e}", file=sys.stderr)
        return 1
    print(f"file: {args.file}")
    print(f"rdb_version: {s['version']}")
    for k, v in s["aux"].items():
        print(f"aux.{k}: {v}")
    print(f"keys: {s['keys']}")
    print(f"keys_with_ttl: {s['volatile']}")
    for db, n in sorted(s["dbs"].items()):
        print(f"db{db}: keys={n}")
    for t, n in sorted(s["types"].items()):
        print(f"type.{t}: {n}")
    print(f"function_libraries: {s['functions']}")
    return 0


def _client(url: str) -> Any:
    import redcore

    return redcore.Redis.from_url(url)


def cmd_load(args: argparse.Namespace) -> int:
    """RESTOREs a file's keys (and libraries) into ``--url``."""
    cb, bar = _file_progress(args.file, "reading")
    try:
        entries, functions = _redcore.rdb_entries(args.file, cb)
    except (ValueError, OSError) as e:
        print(f"{e}", file=sys.stderr)
        return 1
    finally:
        if bar:
            bar.close()
    r = _client(args.url)
    if functions is not None:
        r.execute_command("FUNCTION", "RESTORE", functions, *(["REPLACE"] if args.replace else []))
    now_ms = int(time.time() * 1000)
    bar = Progress("loading", len(entries) if len(entries) >= 100_000 else 0, unit="keys")
    entries.sort(key=lambda e: e[0])
    loaded = skipped = 0
    current_db = -1
    pipe = r.pipeline(transaction=False)
    for i, (db, key, deadline, payload) in enumerate(entries):
        if db != current_db:
            pipe.execute_command("SELECT", db)
            current_db = db
        if deadline != -1 and deadline <= now_ms:
            skipped += 1
            continue
        extra: List[Any] = ["ABSTTL"] if deadline != -1 else []
        if args.replace:
            extra.append("REPLACE")
        pipe.execute_command("RESTORE", key, max(deadline, 0), payload, *extra)
        loaded += 1
        if len(pipe) >= BATCH:
            pipe.execute()
            bar(i + 1)
    pipe.execute()
    bar(len(entries))
    bar.close()
    if args.url.lower().startswith("memory://"):
        r.save()  # an engine on a directory keeps what was loaded
    print(f"loaded {loaded} keys ({skipped} already expired) into {args.url}")
    return 0


def cmd_save(args: argparse.Namespace) -> int:
    """Writes every key of ``--url`` (DUMP, with its deadline) to a file."""
    r = _client(args.url)
    databases = int(next(iter(r.config_get("databases").values()), 16) or 16)
    sizes = {db: int(v.get("keys", 0)) for db, v in ((int(k[2:]), v) for k, v in r.info("keyspace").items())}
    total = sum(sizes.values())
    bar = Progress("saving", total if total >= 100_000 else 0, unit="keys")
    entries: List[Tuple[int, bytes, int, bytes]] = []
    done = 0
    for db in range(databases):
        if not sizes.get(db):
            continue
        r.execute_command("SELECT", db)
        cursor = 0
        while True:
            cursor, keys = r.execute_command("SCAN", cursor, "COUNT", BATCH)
            cursor = int(cursor)
            if keys:
                pipe = r.pipeline(transaction=False)
                for k in keys:
                    pipe.execute_command("DUMP", k)
                    pipe.execute_command("PEXPIRETIME", k)
                replies = pipe.execute()
                for k, payload, deadline in zip(keys, replies[::2], replies[1::2]):
                    if payload is not None:
                        entries.append((db, k if isinstance(k, bytes) else k.encode(), int(deadline) if deadline >= 0 else -1, payload))
                done += len(keys)
                bar(min(done, total))
            if cursor == 0:
                break
    bar.close()
    functions = r.execute_command("FUNCTION", "DUMP")
    has_functions = bool(r.execute_command("FUNCTION", "LIST"))
    size = _redcore.rdb_write(args.file, entries, functions if has_functions else None)
    print(f"saved {len(entries)} keys to {args.file} ({size} bytes)")
    return 0


def register(sub: Any) -> None:
    """Adds the file subcommands to ``python -m redcore``'s parser."""
    p = sub.add_parser("check", help="check an RDB file (exit 1 and the byte offset if it is corrupt)")
    p.add_argument("file")
    p.set_defaults(run=cmd_check)
    p = sub.add_parser("info", help="what an RDB file holds")
    p.add_argument("file")
    p.set_defaults(run=cmd_info)
    p = sub.add_parser("load", help="RESTORE an RDB file's keys into a server or engine")
    p.add_argument("file")
    p.add_argument("--url", default="redis://localhost:6379", help="target (redis://, unix://, memory://name?dir=...)")
    p.add_argument("--replace", action="store_true", help="overwrite existing keys and libraries")
    p.set_defaults(run=cmd_load)
    p = sub.add_parser("save", help="write a server's or engine's keys to an RDB file")
    p.add_argument("file")
    p.add_argument("--url", default="redis://localhost:6379", help="source (redis://, unix://, memory://name?dir=...)")
    p.set_defaults(run=cmd_save)
