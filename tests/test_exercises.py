"""exercises/: the reference solutions pass their tests, and the stubs a
learner starts from fail cleanly (every test fails with the stub's
NotImplementedError message; nothing errors at collection)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "exercises"
NAMES = sorted(p.stem[len("test_"):] for p in EXERCISES.glob("test_*.py"))


def pytest_exercises(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=", str(EXERCISES), *args],
        capture_output=True, text=True, cwd=ROOT, timeout=300, env={**os.environ, "COLUMNS": "500"},
    )


def test_every_exercise_has_a_stub_a_test_and_a_solution() -> None:
    assert NAMES == sorted(["v1_caching", "v2_analytics", "v3_messaging", "v4_leaderboard",
                            "s1_sessions", "s2_inventory", "s3_collaboration"])
    for name in NAMES:
        assert (EXERCISES / f"{name}.py").exists() and (EXERCISES / "solutions" / f"{name}.py").exists()


def test_solutions_pass() -> None:
    proc = pytest_exercises("--solutions")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert " passed" in proc.stdout and "failed" not in proc.stdout


def test_stubs_fail_cleanly() -> None:
    proc = pytest_exercises("-rf")
    assert proc.returncode == 1, proc.stdout + proc.stderr  # 1: tests failed (not a usage or collection error)
    summary = [line for line in proc.stdout.splitlines() if line.startswith("FAILED ")]
    assert summary and all("NotImplementedError: " in line and "write it" in line for line in summary), proc.stdout
    assert " error" not in proc.stdout.splitlines()[-1] and "warning" not in proc.stdout.splitlines()[-1]
    assert "passed" not in proc.stdout.splitlines()[-1]
