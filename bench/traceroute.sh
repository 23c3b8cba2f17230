#!/usr/bin/env bash
# Benchmark: netcheck's traceroute and ping against the reference tools, in the testbed, on a
# path with a silent hop and a 40 ms round trip. Prints wall times and their ratios (reference /
# netcheck), and the median ping RTT of each tool. Needs root; run from anywhere:
#     sudo bash bench/traceroute.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}

source bench/testbed.sh --delay-ms 20 --loss-percent 20
dst=$(sed -n 's/.*"web": "\(.*\)".*/\1/p' "$layout")
in_ns() { ip netns exec "$ns" "$@"; }

# Mean wall time in milliseconds of RUNS runs of a command. The server keeps Linux's default
# ICMP limits (a burst of 6 port-unreachables per peer, then one a second), so each run first
# waits, untimed, for that budget to refill: each tool meets the server as a first tracer would.
mean_ms() {
  local total=0 start end
  for _ in $(seq "$runs"); do
    sleep 6.5
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1 || true
    end=$(date +%s%N)
    total=$((total + (end - start) / 1000))
  done
  echo "scale=1; $total / $runs / 1000" | bc
}

echo "path: client -> r1 -> [20 ms each way] -> r2 (silent) -> r3 -> $dst; $runs runs each"
nc_trace=$(mean_ms in_ns "$bin/netcheck" check "$dst" --only traceroute --json)
tr_default=$(mean_ms in_ns traceroute -n "$dst")
tr_fast=$(mean_ms in_ns traceroute -n -w 1 "$dst")
mtr_report=$(mean_ms in_ns mtr -n --report -c 3 -i 0.1 "$dst")
printf '%-44s %10s %8s\n' "traceroute, 3 probes per hop" "mean ms" "ratio"
printf '%-44s %10s %8s\n' "netcheck check --only traceroute" "$nc_trace" "1.0"
for row in "traceroute -n (defaults: -w 5)|$tr_default" "traceroute -n -w 1|$tr_fast" "mtr -n --report -c 3 -i 0.1|$mtr_report"; do
  name=${row%|*}; ms=${row#*|}
  printf '%-44s %10s %8s\n' "$name" "$ms" "$(echo "scale=1; $ms / $nc_trace" | bc)"
done

# Dual stack: web.netcheck.test has A and AAAA; both are traced at once. The server keeps Linux's
# default ICMP limits, so each run first waits for its per-peer budget to refill (a burst of 6,
# one a second), as a server traced by nobody else for a few seconds has it. Then the same beside
# traceroute -4 and -6 started at the same moment, which spend that budget too. The bound is 3
# round trips plus the silent hop's wait (2 x 40 ms): 200 ms.
trace_times() {
  python3 -c 'import json,sys
r=json.load(sys.stdin)
for c in r["checks"]:
    if c["id"]=="traceroute":
        for t in c["data"]["targets"]:
            print(t["address"], t["duration_ms"], t["reached"])'
}
dual() {
  local beside=$1 out
  for _ in $(seq "$runs"); do
    sleep 6.5
    if [ "$beside" = yes ]; then
      in_ns traceroute -4 -n -w 2 -m 8 "$dst" >/dev/null 2>&1 &
      in_ns traceroute -6 -n -w 2 -m 8 "$dst6" >/dev/null 2>&1 &
    fi
    in_ns "$bin/netcheck" check web.netcheck.test --only traceroute --json | trace_times
    wait
  done | awk -v what="$2" '{n[$1]++; s[$1]+=$2; if ($2>m[$1]) m[$1]=$2; if ($3!="True") miss[$1]++}
    END {for (a in n) printf "%-44s %10.1f %8.1f %8d\n", what " " a, s[a]/n[a], m[a], miss[a]+0}'
}
dst6=$(sed -n 's/.*"web_v6": "\(.*\)".*/\1/p' "$layout")
printf '\n%-44s %10s %8s %8s\n' "dual-stack trace (probe time per family)" "mean ms" "max ms" "not reached"
dual no "alone:"
dual yes "beside traceroute(8):"

# Ping: the median RTT of 20 probes from each tool.
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }
ours=$(in_ns "$bin/netcheck" check "$dst" --only ping --ping-count 20 --ping-interval 0.05 --json \
  | tr ',' '\n' | sed -n 's/.*"rtt_ms": *\([0-9.]*\).*/\1/p' | median)
theirs=$(in_ns ping -n -c 20 -i 0.05 "$dst" | sed -n 's/.*time=\([0-9.]*\) ms/\1/p' | median)
printf '\n%-44s %10s\n' "ping, 20 probes" "median ms"
printf '%-44s %10s\n' "netcheck (ICMP)" "$ours" "iputils ping" "$theirs"
printf '%-44s %10s\n' "difference (netcheck - iputils)" "$(echo "scale=3; $ours - $theirs" | bc)"
