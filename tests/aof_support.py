"""Helpers for the AOF tests: reading AOF directories back as commands."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import List, Tuple

Command = List[bytes]


def parse_resp_commands(data: bytes) -> List[Command]:
    """The RESP commands of an incremental AOF file."""
    out: List[Command] = []
    i = 0
    while i < len(data):
        assert data[i : i + 1] == b"*", (i, data[i : i + 20])
        end = data.index(b"\r\n", i)
        n = int(data[i + 1 : end])
        i = end + 2
        argv = []
        for _ in range(n):
            assert data[i : i + 1] == b"$"
            end = data.index(b"\r\n", i)
            size = int(data[i + 1 : end])
            argv.append(data[end + 2 : end + 2 + size])
            i = end + 2 + size + 2
        out.append(argv)
    return out


def manifest(aofdir: Path) -> List[Tuple[str, str]]:
    """(file name, type) of each line of the manifest."""
    text = (aofdir / "appendonly.aof.manifest").read_text()
    rows = []
    for line in text.splitlines():
        words = line.split()
        d = dict(zip(words[::2], words[1::2]))
        rows.append((d["file"], d["type"]))
    return rows


def incr_commands(aofdir: Path) -> List[Command]:
    """Every command of the incremental files, in manifest order."""
    cmds: List[Command] = []
    for name, kind in manifest(aofdir):
        if kind == "i":
            cmds += parse_resp_commands((aofdir / name).read_bytes())
    return cmds


_TS = re.compile(rb"^1[0-9]{12}$")
_ID = re.compile(rb"^1[0-9]{12}-([0-9]+)$")


def normalize(cmds: List[Command]) -> List[List[str]]:
    """Commands with unix-ms timestamps and time-based stream IDs masked,
    names upper-cased: two runs of the same commands compare equal."""
    out = []
    for argv in cmds:
        row = [argv[0].decode().upper()]
        for a in argv[1:]:
            if _TS.match(a):
                row.append("<ts>")
            elif _ID.match(a):
                row.append("<ts>-N")
            else:
                row.append(a.decode(errors="replace"))
        out.append(row)
    return out


def wait_for(pred, timeout: float = 10.0) -> None:
    import time

    deadline = time.time() + timeout
    while not pred():
        if time.time() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)


def aof_config(path: str, fsync: str = "always", **extra: str) -> dict:
    cfg = {"dir": path, "appendonly": "yes", "appendfsync": fsync}
    cfg.update(extra)
    return cfg


def fresh_name(prefix: str) -> str:
    return f"{prefix}-{os.getpid()}-{os.urandom(4).hex()}"
