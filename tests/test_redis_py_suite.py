"""redis-py's own test suite as an oracle (scripts/redis_py_suite.py): its
tests of commands, pipelines, pub/sub, locks, scripts and functions run
with redis-py's client on redis-server 7.0 and on redcore's server (also
with the version markers lifted to 8.0, for the newer commands redcore
implements); any outcome worse than redis-server's that is not listed in
scripts/redis_py_suite_accepted.txt fails this test.

Marked ``long`` (about three minutes on two cores); skipped when the
redis-py sdist cannot be downloaded (offline).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "redis_py_suite.py"
SKIPPED = 77


@pytest.mark.long
def test_redis_py_suite_has_no_unaccepted_differences() -> None:
    proc = subprocess.run([sys.executable, str(SCRIPT), "--timeout", "400"], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=900)
    if proc.returncode == SKIPPED:
        pytest.skip(proc.stdout.strip() or "redis-py sdist unavailable")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 unexpected difference(s)" in proc.stdout
