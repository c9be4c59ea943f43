#!/usr/bin/env bash
# Faults on demand on every store: the fault run of docs/faults-and-soak.md (an outage, 10 %
# errors, 5 ms of latency, each in its own window, injected by the fault-injecting store
# wrapper) on each store given, then one line per window: operations, errors, false "valid"
# answers, the pre-fault p99 and the recovery time; and the family audit after the run.
#
#   Benchmarks/faults.sh memory sqlite::memory: "$TOKENBENCH_POSTGRES_URL" "$TOKENBENCH_REDIS_URL"
#
# BIN (default .build/release/tokenbench) is the binary; OUT (default a temporary folder) keeps the runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${BIN:-.build/release/tokenbench}"
out="${OUT:-$(mktemp -d /tmp/tokenbench-faults.XXXXXX)}"
[ -x "$bin" ] || { echo "faults.sh: $bin not found (swift build -c release --product tokenbench)" >&2; exit 64; }
[ $# -gt 0 ] || { echo "usage: faults.sh STORE..." >&2; exit 64; }
status=0
for store in "$@"; do
  name="${store%%:*}"
  dir="$out/$name"
  set +e
  "$bin" run --store "$store" --users 40 --duration 30s --access-ttl 2s --refresh-lead 500ms --think-time 20ms \
    --session-length 1h --replay-ratio 0.1 --concurrent-refresh-ratio 0.1 --max-lag 2s \
    --fault store-outage@10s..15s --fault store-errors=10%@18s..22s --fault store-latency=5ms@25s..27s \
    --quiet --out "$dir" >/dev/null
  rc=$?
  set -e
  [ "$rc" = 0 ] || status=1
  python3 - "$dir/result.json" "$name" "$rc" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); f = r["faults"]; a = f.get("audit") or {}
print("%s: verdict %s (exit %s), %d injections, %d violations of %d checks; audit: %s checked, %s lost, %s corrupted" % (
    sys.argv[2], r["verdict"], sys.argv[3], f.get("injections", 0), r["invariants"]["violations"], r["invariants"]["checked"],
    a.get("checked"), a.get("lost"), a.get("corrupted")))
for w in f["windows"]:
    print("  %-28s operations %6d  errors %5d  false valid %d  pre-fault p99 %8.1f µs  recovery %s s" % (
        w["fault"], w.get("operations", 0), w.get("errors", 0), w.get("false_valid", 0), w.get("pre_fault_p99_us") or 0,
        w.get("recovery_s")))
PY
done
echo "faults.sh: runs in $out"
exit "$status"
