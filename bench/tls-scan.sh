#!/usr/bin/env bash
# Benchmark: netcheck's TLS scan against sslscan (and, with --testssl, `testssl.sh -p -e -S`) on
# the same sites over the testbed's 40 ms path (20 ms each way across the delay line), from the
# client namespace. The sites are the testbed's: `valid` (nginx's defaults: TLS 1.2, 15 suites,
# the client's order, an ECDSA key), `stapled` (TLS 1.2 and 1.3, 18 pairs, an ECDSA key),
# `dhe` (17 DHE suites, RSA) and `legacy` (TLS 1.0 and 1.1, ALL:@SECLEVEL=0, RSA), see
# crates/netcheck-testbed/src/scan_sites.rs. Prints, per site, the median wall time of each
# tool and the ratio (tool / netcheck); testssl.sh runs once, on the first site only (it takes
# minutes). Needs root:
#     sudo bash bench/tls-scan.sh [RUNS] [--testssl]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
with_testssl=${2:-}

command -v sslscan >/dev/null || { echo "tls-scan: sslscan is needed (scripts/setup)" >&2; exit 1; }
source bench/testbed.sh --delay-ms 20
ca=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ca_file"])' "$layout")

# Median wall time in milliseconds of RUNS runs of a command in the client namespace.
median_ms() {
  python3 - "$runs" "$ns" "$@" <<'PY'
import statistics, subprocess, sys, time
runs, ns, command = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
times = []
for _ in range(runs):
    started = time.monotonic()
    subprocess.run(["ip", "netns", "exec", ns, *command], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times.append((time.monotonic() - started) * 1000)
print(f"{statistics.median(times):.1f}")
PY
}

address_of() {
  python3 -c '
import json, sys
layout = json.load(open(sys.argv[1]))
site = next((s for s in layout.get("scan_sites", []) if s["label"] == sys.argv[2]), None)
print(site["v4"] if site else layout["web"])' "$layout" "$1"
}

first=1
for site in valid stapled dhe legacy; do
  host=$site.netcheck.test
  address=$(address_of "$site")
  facts=$(ip netns exec "$ns" "$bin/netcheck" check "https://$host/" --only tls_scan --json --ca-file "$ca" 2>/dev/null \
    | python3 -c 'import json,sys; d=json.load(sys.stdin)["checks"][0]["data"]; print(d["handshakes"], sum(len(p["suites"]) for p in d["protocols"]), ",".join(p["version"].replace(" ", "") for p in d["protocols"] if p["accepted"]))')
  read -r hellos pairs versions <<<"$facts"
  echo "== $host ($address): $versions, $pairs (version, suite) pairs; netcheck sends $hellos hellos; $runs runs each"
  nc=$(median_ms "$bin/netcheck" check "https://$host/" --only tls_scan --json --ca-file "$ca")
  ss=$(median_ms sslscan --no-colour --sni-name="$host" "$address:443")
  printf '%-48s %10s %8s\n' "tool" "median ms" "ratio"
  printf '%-48s %10s %8s\n' "netcheck check --only tls_scan" "$nc" "1.0"
  printf '%-48s %10s %8s\n' "sslscan --no-colour" "$ss" "$(echo "scale=2; $ss / $nc" | bc)"
  if [ "$first" = 1 ] && [ "$with_testssl" = --testssl ] && command -v testssl >/dev/null; then
    ts=$(runs=1 median_ms testssl --quiet --color 0 --ip "$address" -p -e -S "https://$host/")
    printf '%-48s %10s %8s\n' "testssl -p -e -S (1 run)" "$ts" "$(echo "scale=2; $ts / $nc" | bc)"
  fi
  first=0
done
