#!/usr/bin/env bash
# Benchmark: netcheck's TLS scan against sslscan (and, with --testssl, testssl.sh -p -e -S) on the
# same local peer: nginx on loopback with TLS 1.0 to 1.3 and `ssl_ciphers ALL:@SECLEVEL=0` (about
# 80 suites for TLS 1.0-1.2 with OpenSSL 3), an RSA 2048 certificate made here. Prints the median
# wall time of each tool and the ratio (tool / netcheck). Loopback has no delay: on a path with a
# round trip R, each hello costs about 2R (connect, hello), so the figures here measure the
# number of sequential round trips and the per-hello work, not the network.
#     bash bench/tls-scan.sh [RUNS] [--testssl]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
with_testssl=${2:-}

command -v nginx >/dev/null || { echo "tls-scan: nginx is needed (scripts/setup)" >&2; exit 1; }
command -v sslscan >/dev/null || { echo "tls-scan: sslscan is needed (scripts/setup)" >&2; exit 1; }
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
# The machine's builders share two cores: every cargo command waits for the lock.
flock /work/cargo.lock cargo build --release --locked -q -p netcheck --bin netcheck
bin=$target_dir/release/netcheck

dir=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/key.pem" -out "$dir/cert.pem" -days 2 \
  -subj /CN=bench.netcheck.test -addext subjectAltName=DNS:bench.netcheck.test 2>/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$dir/tmp"
cat >"$dir/nginx.conf" <<EOF
daemon off; master_process off; pid $dir/nginx.pid; error_log $dir/error.log;
events { worker_connections 256; }
http { access_log off; client_body_temp_path $dir/tmp; proxy_temp_path $dir/tmp;
  fastcgi_temp_path $dir/tmp; uwsgi_temp_path $dir/tmp; scgi_temp_path $dir/tmp;
  server { listen 127.0.0.1:$port ssl; ssl_certificate $dir/cert.pem; ssl_certificate_key $dir/key.pem;
    ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3; ssl_ciphers ALL:@SECLEVEL=0; ssl_prefer_server_ciphers on;
    location / { return 200 "bench\n"; } } }
EOF
printf 'openssl_conf = init\n[init]\nssl_conf = ssl\n[ssl]\nsystem_default = legacy\n[legacy]\nCipherString = ALL:@SECLEVEL=0\nMinProtocol = SSLv3\n' >"$dir/openssl.cnf"
OPENSSL_CONF=$dir/openssl.cnf nginx -p "$dir" -c "$dir/nginx.conf" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 50); do (echo >/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done

# Median wall time in milliseconds of RUNS runs of a command.
median_ms() {
  python3 - "$runs" "$@" <<'PY'
import statistics, subprocess, sys, time
runs, command = int(sys.argv[1]), sys.argv[2:]
times = []
for _ in range(runs):
    started = time.monotonic()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times.append((time.monotonic() - started) * 1000)
print(f"{statistics.median(times):.1f}")
PY
}

hellos=$("$bin" check "https://127.0.0.1:$port/" --only tls_scan --json 2>/dev/null \
  | python3 -c 'import json,sys; r=json.load(sys.stdin); d=r["checks"][0]["data"]; print(d["handshakes"], sum(len(p["suites"]) for p in d["protocols"]))')
echo "peer: nginx on 127.0.0.1:$port, TLS 1.0-1.3, ALL:@SECLEVEL=0; netcheck: ${hellos% *} hellos for ${hellos#* } (version, suite) pairs; $runs runs each"
nc=$(median_ms "$bin" check "https://127.0.0.1:$port/" --only tls_scan --json)
ss=$(median_ms sslscan --no-colour "127.0.0.1:$port")
printf '%-48s %10s %8s\n' "tool" "median ms" "ratio"
printf '%-48s %10s %8s\n' "netcheck check --only tls_scan" "$nc" "1.0"
printf '%-48s %10s %8s\n' "sslscan --no-colour" "$ss" "$(echo "scale=2; $ss / $nc" | bc)"
if [ "$with_testssl" = --testssl ] && command -v testssl >/dev/null; then
  ts=$(runs=1 median_ms testssl --quiet --color 0 -p -e -S "127.0.0.1:$port")
  printf '%-48s %10s %8s\n' "testssl -p -e -S (1 run)" "$ts" "$(echo "scale=2; $ts / $nc" | bc)"
fi
