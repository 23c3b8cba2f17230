# Sourced by the benchmarks: builds netcheck and the testbed (release), brings a testbed up with
# the flags given (e.g. --delay-ms 20), and takes it down when the script exits. Sets `bin` (the
# release binaries), `layout` (the testbed's JSON layout) and `ns` (the client namespace).
#     source bench/testbed.sh --delay-ms 20 [--loss-percent 20]
bash scripts/setup >/dev/null
cargo build --release -q -p netcheck -p netcheck-testbed
bin=$PWD/target/release

layout=$(mktemp)
"$bin/testbed" up "$@" >"$layout" 2>/dev/null &
testbed_pid=$!
cleanup() { kill "$testbed_pid" 2>/dev/null || true; wait "$testbed_pid" 2>/dev/null || true; rm -f "$layout"; }
trap cleanup EXIT
for _ in $(seq 100); do
  grep -q '"client_ns"' "$layout" 2>/dev/null && grep -q '}' "$layout" && break
  sleep 0.1
done
ns=$(sed -n 's/.*"client_ns": "\(.*\)".*/\1/p' "$layout")
[ -n "$ns" ] || { echo "the testbed did not come up" >&2; exit 1; }
