#!/usr/bin/env bash
# Benchmark: the server with 500 reports in flight, with the default store (SQLite) and with
# PostgreSQL: the p99 of a permalink read under that load against the same reads with no load
# (the reference, in the same process), and the resident memory per report in flight. The
# goal: a permalink read's p99 stays under 20 ms. Run from anywhere (PostgreSQL needs root and
# scripts/setup):
#     bash bench/server.sh [IN_FLIGHT]
set -euo pipefail
cd "$(dirname "$0")/.."
in_flight=${1:-500}
# 500 reports hold 1000+ sockets (theirs and the site's): more than the usual soft limit.
ulimit -n "$(ulimit -Hn)"
cargo build --release --locked -q -p netcheck-server --example load
bin=${CARGO_TARGET_DIR:-target}/release/examples/load
"$bin" sqlite "$in_flight"
if [ "$(id -u)" = 0 ] && ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  "$bin" postgres "$in_flight"
else
  echo "store postgres: skipped (needs root and PostgreSQL: scripts/setup)"
fi
