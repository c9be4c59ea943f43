#!/usr/bin/env bash
# CPU per refresh of `tokenbench serve` on each store, as the tool reports it and as /proc says:
# for memory, PostgreSQL and Redis (throw-away servers from script/stores.sh), serve runs on the
# store and the driver sends refreshes only (access tokens of 1 s, each user refreshing 100 ms
# after every answer; the think time of 10 s never comes due, so the run's verdict is
# "inconclusive: no resource call", which is expected here) at about USERS × 10 refreshes/s for
# DURATION, twice:
#   1. --target-pid and --store-pid: the server's and the store's CPU from /proc/PID/stat;
#   2. --target-metrics: the server's CPU from its /metrics (process_cpu_seconds_total);
# and beside both, the server's utime + stime read by hand from /proc before and after each run
# (the whole run: preflight and warm-up included, so a little above the tool's window).
# Prints per store and run: refreshes/s, µs of CPU per operation and operations per vCPU for the
# server (tool, by hand) and the store. Release build; everything shares this machine's cores.
#
#   Benchmarks/cpu-per-refresh.sh [--users 100] [--duration 20s] [--bin .build/release] [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."

users=100 duration=20s bin=.build/release build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --users) users=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    *) echo "cpu-per-refresh.sh: unknown argument $1" >&2; exit 64 ;;
  esac
done
[ "$build" = 1 ] && swift build -c release --product tokenbench >/dev/null

source Benchmarks/serve-on-stores.sh

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }   # utime + stime, clock ticks (proc(5))
hz=$(getconf CLK_TCK)
pg_pid=$(head -1 "$TOKENBENCH_STORES_DIR/pg/data/postmaster.pid")
redis_port=${TOKENBENCH_REDIS_URL##*:}; redis_port=${redis_port%%/*}
redis_pid=$(redis-cli -p "$redis_port" info server | awk -F: '/^process_id/ { print $2 }' | tr -d '\r')

printf '%-9s %-15s %11s %14s %14s %12s %14s\n' store run "refresh/s" "server µs/op" "by hand µs/op" "ops/vCPU" "store µs/op"
for store in memory postgres redis; do
  case $store in
    memory) spec=memory; store_pid="" ;;
    postgres) spec=$TOKENBENCH_POSTGRES_URL; store_pid=$pg_pid ;;
    redis) spec=$TOKENBENCH_REDIS_URL; store_pid=$redis_pid ;;
  esac
  bench_serve "$bin" --store "$spec" --users "$users" --password-hash bcrypt --password-hash-cost 4 --access-ttl 1s
  for how in pid metrics; do
    if [ "$how" = pid ]; then flags=(--target-pid "$server"); else flags=(--target-metrics "$url/metrics"); fi
    [ -n "$store_pid" ] && flags+=(--store-pid "$store_pid")
    before=$(ticks "$server")
    "$bin/tokenbench" run --target "$url" --users "$users" --duration "$duration" --warmup 2s --access-ttl 1s \
      --refresh-lead 900ms --refresh-jitter 0s --think-time 10s --session-length 1h "${flags[@]}" --quiet --out "$work/$store-$how" >/dev/null || [ $? = 3 ]
    after=$(ticks "$server")
    python3 - "$work/$store-$how/result.json" "$store" "$how" "$before" "$after" "$hz" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
store, how, before, after, hz = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
cpu = r["cpu"]
ops = cpu["operations"]
# By hand: the whole run's CPU over the whole run's operations (measured ones plus the warm-up's, at the measured rate).
total_ops = ops * (r["measured_s"] + 2) / r["measured_s"]
by_hand = (after - before) / hz * 1e6 / total_ops
t = cpu.get("target", {})
s = cpu.get("store")
print(f'{store:<9} {"--target-" + how:<15} {r["operations"]["refresh"]["throughput_per_s"]:>11,.0f} {t.get("us_per_operation", float("nan")):>14,.1f} '
      f'{by_hand:>14,.1f} {t.get("operations_per_cpu_s", 0):>12,.0f} {s["us_per_operation"] if s else float("nan"):>14,.1f}')
EOF
  done
  bench_stop_serve
done
echo "($(nproc) cores shared by the driver, the server and the store; $users users, $duration per run; ops/vCPU: the server's operations per CPU-second)"
