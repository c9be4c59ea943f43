#!/usr/bin/env bash
# The same store in-process and behind `tokenbench serve`, side by side at one arrival rate:
# PostgreSQL at PG_RATE and Redis at REDIS_RATE arrivals/s (throw-away servers from
# script/stores.sh), the same scenario both ways, ROUNDS times alternated. Prints the refresh
# p50 / p99 / max, the achieved operations/s and the driver's lag p99 of each run. In-process
# users run in lanes when the store waits on I/O, so the core has as many store calls in
# flight as behind the server. Release build; driver, server and store share this machine's cores.
#
#   Benchmarks/inprocess-vs-http.sh [--pg-rate 1500] [--redis-rate 3000] [--rounds 2] [--duration 20s]
#                                   [--bin .build/release] [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."

pg_rate=1500 redis_rate=3000 rounds=2 duration=20s bin=.build/release build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --pg-rate) pg_rate=$2; shift 2 ;;
    --redis-rate) redis_rate=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    *) echo "inprocess-vs-http.sh: unknown argument $1" >&2; exit 64 ;;
  esac
done
[ "$build" = 1 ] && swift build -c release --product tokenbench >/dev/null

source Benchmarks/serve-on-stores.sh

scenario=(--users 1000 --access-ttl 2s --refresh-lead 500ms --session-length 5m --duration "$duration" --warmup 5s
          --password-hash bcrypt --password-hash-cost 4 --quiet)
report() {
  python3 - "$1/result.json" "$2" "$3" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
f = r["operations"]["refresh"]["latency_us"]
total = sum(o["count"] for o in r["operations"].values()) / r["measured_s"]
print(f'{sys.argv[2]:<9} {sys.argv[3]:<11} {f["p50"] / 1000:>9.2f} {f["p99"] / 1000:>9.2f} {f["max"] / 1000:>9.2f} {total:>12,.0f} {r["scheduling_lag_us"]["p99"] / 1000:>10.2f}')
EOF
}

printf '%-9s %-11s %9s %9s %9s %12s %10s\n' store how "p50 ms" "p99 ms" "max ms" "ops/s" "lag p99"
for round in $(seq 1 "$rounds"); do
  for store in postgres redis; do
    if [ $store = postgres ]; then spec=$TOKENBENCH_POSTGRES_URL; rate=$pg_rate; else spec=$TOKENBENCH_REDIS_URL; rate=$redis_rate; fi
    "$bin/tokenbench" run --store "$spec" --rate "$rate" "${scenario[@]}" --out "$work/$store-in-$round" >/dev/null 2>&1 || true
    report "$work/$store-in-$round" "$store" in-process
    bench_serve "$bin" --store "$spec" --users 1000 --access-ttl 2s --password-hash bcrypt --password-hash-cost 4
    "$bin/tokenbench" run --target "$url" --rate "$rate" "${scenario[@]}" --out "$work/$store-http-$round" >/dev/null 2>&1 || true
    report "$work/$store-http-$round" "$store" "over HTTP"
    bench_stop_serve
  done
done
echo "(round-robin, $rounds rounds; $(nproc) cores shared by the driver, the server and the store; $duration measured after 5 s)"
