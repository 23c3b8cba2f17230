#!/usr/bin/env bash
# Benchmark: a report in three regions at once against the slowest region's own report, on a
# real broker (nats-server on loopback, three agents with their own resolvers and sites that
# answer after 10, 40 and 120 ms); then 100 three-region runs at once, in process and through
# one `netcheck serve` with three `netcheck agent` processes (RSS of each apart). The goal: three regions
# take at most 1.1× the slowest one alone, plus one round trip to the broker. Needs nats-server
# (scripts/setup). Run from anywhere:
#     bash bench/regions.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -n "$(ulimit -Hn)"
cargo build --release --locked -q -p netcheck-agent --example regions
cargo build --release --locked -q -p netcheck --bin netcheck
target=${CARGO_TARGET_DIR:-target}
NETCHECK_BIN="$target/release/netcheck" "$target/release/examples/regions" "${1:-10}"
