#!/usr/bin/env bash
# Store rotate throughput beside each server's own benchmark tool, same server, same client
# count, in one run:
#   Redis:      tokenbench store-bench --store redis://…  vs  redis-benchmark -t set -c C
#   PostgreSQL: tokenbench store-bench --store postgres://… vs pgbench -c C (one-row UPDATE)
#   SQLite:     tokenbench store-bench --store sqlite:FILE (WAL), target ≥ 5,000 rotations/s
#
# Usage (from the repository root):
#   swift build -c release --product tokenbench
#   source script/stores.sh && start_stores          # or set TOKENBENCH_POSTGRES_URL / TOKENBENCH_REDIS_URL
#   bash Benchmarks/store-reference.sh [CLIENTS...]   # default: 1 8 32
#   stop_stores
# Each level runs the reference tool, then tokenbench, then the reference tool again (the
# figure is the mean of the two reference runs). The driver and the servers share this
# machine's cores: say so with the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.build/release/tokenbench
[ -x "$bin" ] || { echo "build first: swift build -c release --product tokenbench" >&2; exit 1; }
: "${TOKENBENCH_REDIS_URL:?set it (source script/stores.sh && start_stores)}"
: "${TOKENBENCH_POSTGRES_URL:?set it (source script/stores.sh && start_stores)}"
levels=("${@:-1 8 32}")
[ $# -eq 0 ] && levels=(1 8 32)
seconds=8

redis_host_port="${TOKENBENCH_REDIS_URL#redis://}"; redis_host_port="${redis_host_port%%/*}"
redis_port="${redis_host_port##*:}"
pg="${TOKENBENCH_POSTGRES_URL#postgres://}"; pg_user="${pg%%@*}"; pg="${pg#*@}"
pg_host="${pg%%:*}"; pg_port="${pg#*:}"; pg_port="${pg_port%%/*}"; pg_db="${pg#*/}"

redis_set() {
  redis-benchmark -h 127.0.0.1 -p "$redis_port" -t set -c "$1" -n $(( $1 < 8 ? 100000 : 300000 )) -q 2>/dev/null \
    | tr '\r' '\n' | awk '/^SET:/ {print $2}' | tail -1
}
ours() { "$bin" store-bench --store "$1" --store-connections "$2" --concurrency "$2" --duration "${seconds}s" --json \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["throughput_per_s"])'; }

psql -q -h "$pg_host" -p "$pg_port" -U "$pg_user" "$pg_db" -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning;" -c \
  "CREATE TABLE IF NOT EXISTS pgbench_onerow (id int PRIMARY KEY, v bigint NOT NULL DEFAULT 0);
   INSERT INTO pgbench_onerow SELECT g, 0 FROM generate_series(1, 10000) g ON CONFLICT DO NOTHING;" >/dev/null
script="$(mktemp)"; printf '\\set id random(1, 10000)\nUPDATE pgbench_onerow SET v = v + 1 WHERE id = :id;\n' >"$script"
pg_tps() { pgbench -h "$pg_host" -p "$pg_port" -U "$pg_user" -n -f "$script" -c "$1" -j "$(( $1 < 2 ? 1 : 2 ))" -T "$seconds" "$pg_db" 2>/dev/null \
    | awk '/^tps/ {print $3}'; }

echo "cores: $(nproc) (driver and servers share them)"
printf '%-10s %8s %14s %14s %8s\n' store clients "tokenbench/s" "reference/s" ratio
for c in "${levels[@]}"; do
  a="$(redis_set "$c")"; t="$(ours "$TOKENBENCH_REDIS_URL" "$c")"; b="$(redis_set "$c")"
  python3 -c "r=($a+$b)/2; print('%-10s %8d %14.0f %14.0f %7.0f%%' % ('redis', $c, $t, r, 100*$t/r))"
done
for c in "${levels[@]}"; do
  a="$(pg_tps "$c")"; t="$(ours "$TOKENBENCH_POSTGRES_URL" "$c")"; b="$(pg_tps "$c")"
  python3 -c "r=($a+$b)/2; print('%-10s %8d %14.0f %14.0f %7.0f%%' % ('postgres', $c, $t, r, 100*$t/r))"
done
db="$(mktemp -d)/store.db"
for c in "${levels[@]}"; do
  t="$("$bin" store-bench --store "sqlite:$db" --concurrency "$c" --duration "${seconds}s" --json \
      | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["throughput_per_s"])')"
  python3 -c "print('%-10s %8d %14.0f %14s %8s' % ('sqlite', $c, $t, 'target 5000', 'met' if $t >= 5000 else 'MISSED'))"
done
rm -rf "$(dirname "$db")" "$script"
