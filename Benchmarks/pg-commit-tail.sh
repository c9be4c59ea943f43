#!/usr/bin/env bash
# What the PostgreSQL store's refresh tail owes to the commit's WAL flush: the same in-process
# run on a throw-away PostgreSQL (script/stores.sh) with synchronous_commit on (the default:
# each rotation waits for its WAL on disk) and off (it does not), ROUNDS times alternated at
# RATE refreshes/s (--rate refresh=RATE). Prints refresh and store_rotate p50 / p99 / max, then
# pg_test_fsync's one-write figures for the disk under the cluster. synchronous_commit=off is
# a measurement, not advice: a crash would lose rotations already answered, and their refresh
# tokens would be refused while their predecessors worked again.
#
#   Benchmarks/pg-commit-tail.sh [--rate 2400] [--rounds 2] [--duration 15s] [--bin .build/release] [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."

rate=2400 rounds=2 duration=15s bin=.build/release build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --rate) rate=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    *) echo "pg-commit-tail.sh: unknown argument $1" >&2; exit 64 ;;
  esac
done
[ "$build" = 1 ] && swift build -c release --product tokenbench >/dev/null

source Benchmarks/serve-on-stores.sh
pg="${TOKENBENCH_POSTGRES_URL#postgres://}"; pg_user="${pg%%@*}"; pg="${pg#*@}"
pg_host="${pg%%:*}"; pg_port="${pg#*:}"; pg_port="${pg_port%%/*}"; pg_db="${pg#*/}"
sql() { psql -qtA -h "$pg_host" -p "$pg_port" -U "$pg_user" -d "$pg_db" -c "$1"; }

printf '%-20s %-12s %9s %9s %9s\n' synchronous_commit what "p50 ms" "p99 ms" "max ms"
for round in $(seq 1 "$rounds"); do
  for mode in on off; do
    sql "ALTER SYSTEM SET synchronous_commit = $mode" >/dev/null
    sql "SELECT pg_reload_conf()" >/dev/null
    "$bin/tokenbench" run --store "$TOKENBENCH_POSTGRES_URL" --rate "refresh=$rate" --users 1000 --access-ttl 30s \
      --session-length 5m --duration "$duration" --warmup 5s --password-hash bcrypt --password-hash-cost 4 --quiet \
      --out "$work/$mode-$round" >/dev/null 2>&1 || true
    python3 - "$work/$mode-$round/result.json" "$mode" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for name, o in (("refresh", r["operations"]["refresh"]), ("store_rotate", r["phases"]["store_rotate"])):
    l = o["latency_us"]
    print(f'{sys.argv[2]:<20} {name:<12} {l["p50"] / 1000:>9.2f} {l["p99"] / 1000:>9.2f} {l["max"] / 1000:>9.2f}')
PY
  done
done
sql "ALTER SYSTEM RESET synchronous_commit" >/dev/null
sql "SELECT pg_reload_conf()" >/dev/null
echo "pg_test_fsync, one 8 kB write, on the cluster's disk:"
/usr/lib/postgresql/*/bin/pg_test_fsync -s 2 -f "$work/fsync.test" 2>/dev/null | sed -n '/one 8kB write/,/^$/p' | sed -n '3,6p'
echo "($rounds rounds alternated at $rate refreshes/s; $(nproc) cores shared by the driver and PostgreSQL; $duration measured after 5 s)"
