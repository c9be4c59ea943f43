#!/usr/bin/env bash
# Regenerates results/baseline/ and the headline table of results/README.md on this machine:
# every scenario of results/scenarios/ run REPEAT times (default 3) with a release build.
#
#   bash results/regenerate.sh [REPEAT]
#
# The store scenarios need PostgreSQL and Redis: with TOKENBENCH_POSTGRES_URL and
# TOKENBENCH_REDIS_URL set they are used, otherwise throw-away servers are started on loopback
# (script/stores.sh, as CI does) and stopped at the end. A scenario that violates an invariant
# stops the script: such a run is not a baseline.
set -euo pipefail
cd "$(dirname "$0")/.."
repeat="${1:-3}"

swift build -c release --product tokenbench
bin="$(swift build -c release --show-bin-path)/tokenbench"

fresh="$(mktemp -d /tmp/tokenbench-baseline.XXXX)"
started=""
cleanup() {
  rm -rf "$fresh"
  if [ -n "$started" ]; then stop_stores; fi
}
trap cleanup EXIT
if [ -z "${TOKENBENCH_POSTGRES_URL:-}" ] || [ -z "${TOKENBENCH_REDIS_URL:-}" ]; then
  source script/stores.sh
  started=1
  start_stores
fi

for scenario in results/scenarios/*.json; do
  name="$(basename "$scenario" .json)"
  echo "== $name ($repeat runs)"
  rm -f /tmp/tokenbench-steady-refresh.sqlite /tmp/tokenbench-steady-refresh.sqlite-wal /tmp/tokenbench-steady-refresh.sqlite-shm
  if ! "$bin" run --scenario "$scenario" --repeat "$repeat" --quiet --out "$fresh/$name" > "$fresh/$name.log" 2>&1; then
    cat "$fresh/$name.log" >&2
    echo "regenerate: scenario $name failed; results/baseline left as it was" >&2
    exit 1
  fi
  grep -E '^(total|verdict)' "$fresh/$name.log" | sed 's/^/   /'
  rm "$fresh/$name.log"
done
rm -rf results/baseline
cp -R "$fresh" results/baseline

# The table between the markers of results/README.md.
table="$(mktemp)"
"$bin" report results/baseline --format markdown > "$table"
awk -v table="$table" '
  /<!-- baseline-table:begin -->/ { print; while ((getline line < table) > 0) print line; skip = 1; next }
  /<!-- baseline-table:end -->/ { skip = 0 }
  !skip { print }
' results/README.md > results/README.md.new
mv results/README.md.new results/README.md
rm -f "$table"
echo "results/baseline and results/README.md regenerated"
