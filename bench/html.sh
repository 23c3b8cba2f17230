#!/usr/bin/env bash
# Benchmark: the site check on a hostile page (400,000 nested <div>, about 2 MB) against the same
# check on a plain page, and on a flat page of the same size, all served from loopback by
# python3's http.server. Reading title and description must not grow with the page's nesting:
# the nested page should cost about what the flat one of its size does (ratio near 1), where a
# DOM costs minutes. Prints each page's mean site-check time and the ratios to the plain page.
# No root needed; run from anywhere:
#     bash bench/html.sh [RUNS]        (PROFILE=debug to reuse a debug build)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
profile=${PROFILE:-release}

if [ "$profile" = release ]; then cargo build --release -q -p netcheck; else cargo build -q -p netcheck; fi
bin=${CARGO_TARGET_DIR:-$PWD/target}/$profile

pages=$(mktemp -d)
python3 - "$pages" <<'PY'
import sys
d = sys.argv[1]
head = '<!doctype html><html><head><title>bench page</title></head><body>'
open(f'{d}/plain.html', 'w').write(head + '<p>hello</p></body></html>')
open(f'{d}/nested.html', 'w').write(head + '<div>' * 400_000)
open(f'{d}/flat.html', 'w').write(head + '<p>x</p>' * (2_000_000 // 8))
PY
python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$pages" >"$pages/server.log" 2>&1 &
server=$!
trap 'kill $server; rm -rf "$pages"' EXIT
port=
for _ in $(seq 50); do
  port=$(sed -n 's/.* port \([0-9]*\).*/\1/p' "$pages/server.log" | head -1)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "http.server did not start" >&2; exit 1; }

# Mean duration_ms of the site check on PAGE over RUNS runs; fails if the title was not read.
site_ms() {
  for _ in $(seq "$runs"); do
    "$bin/netcheck" check "http://127.0.0.1:$port/$1" --only site --max-body 4194304 --json 2>/dev/null || true
  done | python3 -c '
import json, sys
docs, buf = [], ""
for line in sys.stdin:
    buf += line
    if line.startswith("}"):
        docs.append(json.loads(buf)); buf = ""
site = [next(c for c in d["checks"] if c["id"] == "site") for d in docs]
assert all(s["data"]["page"]["title"] == "bench page" for s in site), "title not read"
print(round(sum(s["duration_ms"] for s in site) / len(site), 1))
'
}

plain=$(site_ms plain.html)
flat=$(site_ms flat.html)
nested=$(site_ms nested.html)
echo "site check over loopback, $runs runs, $profile build"
printf '%-48s %10s %8s\n' "" "mean ms" "ratio"
printf '%-48s %10s %8s\n' "plain page (under 100 bytes)" "$plain" "1.0"
printf '%-48s %10s %8s\n' "flat page, 2 MB of <p>" "$flat" "$(echo "scale=2; $flat / $plain" | bc)"
printf '%-48s %10s %8s\n' "nested page, 400,000 <div> (2 MB)" "$nested" "$(echo "scale=2; $nested / $plain" | bc)"
printf '%-48s %10s %8s\n' "nested against flat" "" "$(echo "scale=2; $nested / $flat" | bc)"
