"""Crash safety: a child process writes and acknowledges each write to
the parent, which kills it with SIGKILL at a random moment, reopens the
directory and checks that every acknowledged write is there.

With ``appendfsync always`` nothing acknowledged may be lost (the child
also starts rewrites now and then, so some kills land mid-rewrite); with
``everysec`` at most the last ~2 seconds may be. 10 rounds run by default,
100 in the ``long`` run.
"""

from __future__ import annotations

import gc
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import List, Tuple

import pytest

import redcore
from aof_support import aof_config

CHILD = r"""
import sys, redcore
d, fsync, start = sys.argv[1], sys.argv[2], int(sys.argv[3])
r = redcore.Redis(config={"dir": d, "appendonly": "yes", "appendfsync": fsync})
out = sys.stdout
i = start
while True:
    r.set(f"k{i}", i)
    r.hset("h", f"f{i}", i)
    r.incr("counter")
    out.write(f"{i}\n")
    out.flush()
    if i % 300 == 299:
        try:
            r.bgrewriteaof()
        except redcore.exceptions.ResponseError:
            pass  # the previous rewrite is still running
    i += 1
"""


def _run_child(path: Path, fsync: str, start: int, seconds: float) -> List[Tuple[int, float]]:
    """Runs the writer for about ``seconds`` after its first ack, kills it,
    and returns the acknowledged indexes with the time each arrived."""
    errfile = open(path.parent / f"{path.name}-child-stderr", "w+b")
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), fsync, str(start)],
        stdout=subprocess.PIPE,
        stderr=errfile,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert proc.stdout is not None
    acks: List[Tuple[int, float]] = []
    deadline = None
    try:
        for line in proc.stdout:
            now = time.monotonic()
            acks.append((int(line), now))
            if deadline is None:
                deadline = now + seconds
            elif now >= deadline:
                break
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    # Lines already in the pipe were acknowledged before the kill.
    for line in proc.stdout:
        if line.strip():
            acks.append((int(line), time.monotonic()))
    errfile.seek(0)
    errors = errfile.read().decode(errors="replace")
    errfile.close()
    assert "Traceback" not in errors, errors
    return acks


def _check_round(path: Path, must_upto: int, counter_min: int) -> Tuple[int, int]:
    """Checks keys ``k0..k<must_upto>`` and the counter; returns where the
    next round starts and the counter's value."""
    r = redcore.Redis(config=aof_config(str(path)))
    try:
        for i in range(must_upto + 1):
            assert r.get(f"k{i}") == str(i).encode(), i
        assert r.hlen("h") >= must_upto + 1
        counter = int(r.get("counter") or 0)
        assert counter >= counter_min
        # Writes not acknowledged may be there too: the next round starts
        # after everything present.
        return max(counter, r.hlen("h"), must_upto + 1), counter
    finally:
        r.config_set("appendonly", "no")
        del r
        gc.collect()


def _crash_rounds(path: Path, rounds: int) -> None:
    rng = random.Random(os.getpid())
    start = counter = 0
    for _ in range(rounds):
        acks = _run_child(path, "always", start, rng.uniform(0.05, 0.6))
        assert acks, "the child acknowledged nothing"
        start, counter = _check_round(path, acks[-1][0], counter + len(acks))


def test_no_acknowledged_write_is_lost_with_fsync_always(tmp_path: Path) -> None:
    _crash_rounds(tmp_path, 10)


@pytest.mark.long
def test_no_acknowledged_write_is_lost_in_100_crashes(tmp_path: Path) -> None:
    _crash_rounds(tmp_path, 100)


def test_everysec_loses_at_most_the_last_two_seconds(tmp_path: Path) -> None:
    acks = _run_child(tmp_path, "everysec", 0, 3.0)
    killed = acks[-1][1]
    old_enough = [i for i, t in acks if t < killed - 2.0]
    assert old_enough, "the child was too slow to judge"
    _check_round(tmp_path, old_enough[-1], len(old_enough))
