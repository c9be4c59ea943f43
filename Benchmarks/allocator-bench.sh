#!/usr/bin/env bash
# glibc's malloc against jemalloc, side by side in one run: the same release build
# linked twice, `tokenbench` (glibc) and `tokenbench-jemalloc` (Debian's libjemalloc-dev).
#   1. the server under load: `serve` on each allocator in turn, driven by the same
#      `tokenbench run` (refreshes only, 64 users, HS256, memory store); refresh rate, p99 and
#      the server's peak resident size;
#   2. the driver with many users: `run --target noop` and `run --target in-process` with U users
#      on each allocator; peak resident size and bytes per user from result.json.
# Everything shares this machine's cores.
#
#   Benchmarks/allocator-bench.sh [--rounds N] [--duration 10s] [--users 1000000] [--in-process-users 200000]
#                                 [--bin .build/release] [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=2 duration=10s users=1000000 ipusers=200000 bin=.build/release build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --users) users=$2; shift 2 ;;
    --in-process-users) ipusers=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    *) echo "allocator-bench.sh: unknown argument $1" >&2; exit 64 ;;
  esac
done
if [ "$build" = 1 ]; then
  swift build -c release --product tokenbench >/dev/null
  swift build -c release --product tokenbench-jemalloc >/dev/null
fi
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

field() { python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

echo "1. serve under load (refreshes only, 64 users, $duration, $rounds rounds per allocator)"
printf '%-22s %12s %12s %16s\n' allocator "refresh/s" "p99 (ms)" "server peak RSS"
for r in $(seq 1 "$rounds"); do
  for exe in tokenbench tokenbench-jemalloc; do
    "$bin/$exe" serve --port 0 --users 1000 --password-hash bcrypt --password-hash-cost 4 --access-ttl 1s >"$work/serve.log" 2>&1 &
    pid=$!
    url=""
    for _ in $(seq 1 600); do
      url=$(grep -o 'listening on http://[0-9.:]*' "$work/serve.log" | head -1 | sed 's/listening on //') && [ -n "$url" ] && break
      sleep 0.1
    done
    "$bin/tokenbench" run --target "$url" --profile results/profiles/tokenbench-serve.json --users 64 --think-time 0s \
      --access-ttl 1s --refresh-lead 999999us --refresh-jitter 0s --session-length 1h --duration "$duration" --warmup 2s \
      --quiet --out "$work/run" >/dev/null || true
    peak=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status")
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
    label=glibc; [ "$exe" = tokenbench-jemalloc ] && label=jemalloc
    printf '%-22s %12.0f %12.2f %13.1f MB\n' "$label ($exe)" \
      "$(field "$work/run/result.json" "r['operations']['refresh']['throughput_per_s']")" \
      "$(field "$work/run/result.json" "r['operations']['refresh']['latency_us']['p99'] / 1000")" "$(echo "$peak / 1024" | bc -l)"
    rm -rf "$work/run"
  done
done

echo
echo "2. the driver with many users (peak resident size, and per user over the baseline)"
printf '%-22s %-11s %9s %14s %14s %12s\n' allocator target users "peak RSS" "bytes/user" "verdict"
for exe in tokenbench tokenbench-jemalloc; do
  for target in noop in-process; do
    u=$users; [ "$target" = in-process ] && u=$ipusers
    "$bin/$exe" run --target "$target" --users "$u" --duration 20s --warmup 40s --think-time 30s --access-ttl 20s \
      --session-length 1h --password-hash argon2id --password-hash-cost 8 --quiet --out "$work/many" >/dev/null || true
    printf '%-22s %-11s %9d %11.1f MB %14.0f %12s\n' "$exe" "$target" "$u" \
      "$(field "$work/many/result.json" "r['memory']['peak_resident_bytes'] / 1048576")" \
      "$(field "$work/many/result.json" "r['memory']['bytes_per_user']")" "$(field "$work/many/result.json" "r['verdict']")"
    rm -rf "$work/many"
  done
done
echo "($(nproc) cores shared by the driver and the server)"
