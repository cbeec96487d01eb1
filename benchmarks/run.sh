#!/usr/bin/env bash
# Builds redcore in release mode into .venv-bench, installs the comparison
# packages, starts a redis-server on a free loopback port and runs bench.py,
# then the other bench_*.py scripts: helpers (rate limiters, cache),
# asyncio (redcore.asyncio vs redis.asyncio and FakeAsyncRedis), memory
# (bytes per key against a fresh redis-server of its own), cluster
# (RedisCluster against redis-py's, on a cluster of its own), RDB (SAVE
# and start-up load against redis-server) and AOF (SET throughput with the
# AOF off, everysec, always), then redis-benchmark against the redcore
# server and redis-server (server_bench.py).
# Extra arguments go to each (e.g. --markdown).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v redis-server >/dev/null || { echo "redis-server missing: run scripts/test.sh first"; exit 1; }
[ -x .venv-bench/bin/python ] || python3 -m venv .venv-bench
.venv-bench/bin/python -m pip install -q --upgrade pip
.venv-bench/bin/python -m pip install -q maturin "redis==8.1.0" "hiredis==3.5.0" "fakeredis==2.40.0" "limits==5.8.0"
VIRTUAL_ENV="$PWD/.venv-bench" CARGO_TARGET_DIR="$PWD/target/bench" .venv-bench/bin/maturin develop --release --quiet 2>&1 | tail -n 1
PORT=$(.venv-bench/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DIR=$(mktemp -d)
redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$DIR" --daemonize no >/dev/null &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$DIR"' EXIT
for _ in $(seq 100); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.05; done
.venv-bench/bin/python benchmarks/bench.py --port "$PORT" "$@"
.venv-bench/bin/python benchmarks/bench_helpers.py --port "$PORT" "$@"
.venv-bench/bin/python benchmarks/bench_asyncio.py --port "$PORT" "$@"
.venv-bench/bin/python benchmarks/bench_memory.py "$@"
# RedisCluster vs redis-py's on a 3-master cluster the script starts itself.
.venv-bench/bin/python benchmarks/bench_cluster.py "$@"
.venv-bench/bin/python benchmarks/bench_rdb.py "$@"
.venv-bench/bin/python benchmarks/bench_aof.py --port "$PORT" "$@"
# redis-benchmark against the redcore server and a redis-server of its own.
.venv-bench/bin/python benchmarks/server_bench.py "$@"
