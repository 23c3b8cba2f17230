#!/usr/bin/env bash
# Benchmark: a whole report against its slowest check and against the same checks run one after
# another, in the testbed (20 ms each way across the delay line, so a round trip is 40 ms). The
# brief's target: a report takes about as long as its slowest chain of round trips, not the sum.
# Prints each check's time, the report's, and the ratios. Needs root; run from anywhere:
#     sudo bash bench/report.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}

source bench/testbed.sh --delay-ms 20

target=https://valid.netcheck.test/
flags=(--ping-count 3 --ping-interval 0.05)
checks=(dns site tls ping traceroute)
report() { ip netns exec "$ns" "$bin/netcheck" check "$target" "${flags[@]}" --json "$@" 2>/dev/null || true; }

# Mean report duration_ms over RUNS runs, and each check's mean duration in the full report.
full=$(for _ in $(seq "$runs"); do report --only "$(IFS=,; echo "${checks[*]}")"; done | python3 -c '
import json, sys
docs, depth, buf = [], 0, ""
for line in sys.stdin:
    buf += line
    if line.startswith("}"):
        docs.append(json.loads(buf)); buf = ""
n = len(docs)
print(round(sum(d["duration_ms"] for d in docs) / n, 1))
for c in docs[0]["checks"]:
    print(c["id"], round(sum(next(x["duration_ms"] for x in d["checks"] if x["id"] == c["id"]) for d in docs) / n, 1))
')
report_ms=$(echo "$full" | head -1)
slowest=$(echo "$full" | tail -n +2 | sort -k2 -n | tail -1)

# The reference: the same checks, each alone, one after another (what a sequential tool does).
sequential=0
for _ in $(seq "$runs"); do
  for c in "${checks[@]}"; do
    ms=$(report --only "$c" | python3 -c 'import json,sys; print(json.load(sys.stdin)["duration_ms"])')
    sequential=$(echo "$sequential + $ms" | bc)
  done
done
sequential=$(echo "scale=1; $sequential / $runs" | bc)

# The same report with the TLS scan beside the other checks (a default report runs it).
scan=0
for _ in $(seq "$runs"); do
  ms=$(report --only "$(IFS=,; echo "${checks[*]}"),tls_scan" | python3 -c 'import json,sys; print(json.load(sys.stdin)["duration_ms"])')
  scan=$(echo "$scan + $ms" | bc)
done
scan=$(echo "scale=1; $scan / $runs" | bc)

echo "target $target in the testbed, round trip 40 ms, $runs runs; checks: ${checks[*]}"
echo "$full" | tail -n +2 | awk '{printf "  %-12s %8.1f ms\n", $1, $2}'
printf '%-48s %10s %8s\n' "" "mean ms" "ratio"
printf '%-48s %10s %8s\n' "the report (checks concurrently)" "$report_ms" "1.0"
printf '%-48s %10s %8s\n' "its slowest check (${slowest%% *})" "${slowest##* }" "$(echo "scale=2; ${slowest##* } / $report_ms" | bc)"
printf '%-48s %10s %8s\n' "the report with tls_scan beside them" "$scan" "$(echo "scale=2; $scan / $report_ms" | bc)"
printf '%-48s %10s %8s\n' "the same checks one after another" "$sequential" "$(echo "scale=2; $sequential / $report_ms" | bc)"
