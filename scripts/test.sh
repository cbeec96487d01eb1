#!/usr/bin/env bash
# Installs what the tests need and runs them all: Debian's redis-server (the
# oracle the Python tests start on a loopback port), a virtualenv with the
# test dependencies, the Rust unit tests, lints, a debug build of the
# extension, and pytest. Safe to re-run; reuses .venv.
#
#   bash scripts/test.sh            the default run (about 8 minutes)
#   bash scripts/test.sh --long     then also the long fault, crash and
#                                   cluster tests (marker "long"; CI does this)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n== %s\n' "$*"; }

# redis-server is the oracle; redis-sentinel runs the Sentinel command tests;
# redis-check-rdb (redis-tools) vets the RDB files SAVE writes; openssl makes
# the certificates of the TLS tests; chromium-headless-shell renders the
# analytics dashboard example (tests/test_web_examples.py).
if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-sentinel >/dev/null 2>&1 \
    || ! command -v redis-check-rdb >/dev/null 2>&1 || ! command -v openssl >/dev/null 2>&1 \
    || ! command -v chromium-headless-shell >/dev/null 2>&1; then
    say "installing redis-server, redis-sentinel, redis-tools, openssl and chromium-headless-shell (Debian packages)"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq redis-server redis-sentinel redis-tools openssl >/dev/null
    $SUDO apt-get install -y -qq --no-install-recommends chromium-headless-shell >/dev/null
fi
redis-server --version

say "python environment (.venv)"
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -r requirements-test.txt

say "rust: fmt, clippy, unit tests"
cargo fmt --check
cargo clippy --quiet --all-targets -- -D warnings
cargo clippy --quiet --features python,pyo3/abi3-py310 -- -D warnings
cargo test --quiet

say "building the extension (debug)"
VIRTUAL_ENV="$PWD/.venv" .venv/bin/maturin develop --quiet 2>&1 | tail -n 2

say "type stubs (mypy.stubtest)"
(cd /tmp && "$OLDPWD/.venv/bin/python" -m mypy.stubtest redcore._redcore)

LONG=0
if [ "${1:-}" = "--long" ]; then
    LONG=1
    shift
fi

say "python tests"
# Two workers (pytest-xdist): the suite takes ~8 minutes on 2 cores
# instead of ~17 in one process. A later -n in "$@" wins.
.venv/bin/python -m pytest -q -p no:cacheprovider -n 2 "$@"

if [ "$LONG" = 1 ]; then
    say "long python tests (fault, crash, cluster)"
    # Exit code 5 means no test carries the marker yet.
    .venv/bin/python -m pytest -q -p no:cacheprovider -m long "$@" || [ $? -eq 5 ]
fi
