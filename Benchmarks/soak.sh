#!/usr/bin/env bash
# A soak: the soak command of docs/faults-and-soak.md on one store and one allocator, then a
# summary of result.json's `stability` and the resident curve (and jemalloc's live heap,
# `stats.allocated`, with tokenbench-jemalloc) at chosen seconds. Run two side by side to
# compare allocators or stores on the same machine at the same time.
#
#   Benchmarks/soak.sh memory                                  # 30 minutes, glibc's malloc
#   Benchmarks/soak.sh "$TOKENBENCH_POSTGRES_URL" 30m tokenbench-jemalloc results/soak-pg-jemalloc
#   Benchmarks/soak.sh --summary results/soak-pg-jemalloc       # summarise an earlier run only
#
# Arguments: STORE [DURATION (default 30m)] [BINARY in .build/release (default tokenbench)] [OUT].
set -euo pipefail
cd "$(dirname "$0")/.."

summary() {
  python3 - "$1/result.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
s = r.get("stability") or {}
t = [e for e in r["timeline"] if e.get("memory")]
ops = sum(o["count"] for o in r["operations"].values()); errors = sum(o["errors"] for o in r["operations"].values())
inv = r.get("invariants", {})
mb = lambda b: "%.1f" % (b / 1e6)
print("verdict %s; %d operations, %d errors; %d checks, %d violations; allocator %s" % (
    r["verdict"], ops, errors, inv.get("checked", 0), inv.get("violations", 0), (r.get("environment", {}).get("allocator") or {}).get("name", "?")))
for reason in r.get("inconclusive") or []: print("  inconclusive: " + reason)
print("resident: reference %s MB, min %s, max %s, drift %+.2f %%, slope %.1f MB/h; descriptors %s..%s (first %s, last %s)" % (
    mb(s["resident_reference_bytes"]), mb(s["resident_min_bytes"]), mb(s["resident_max_bytes"]), s["resident_drift_percent"],
    s["resident_slope_bytes_per_hour"] / 1e6, s.get("descriptors_min"), s.get("descriptors_max"), s.get("descriptors_first"), s.get("descriptors_last")))
n = len(t)
marks = sorted({i for i in [1, 60, 180, 300, 600, 900, 1200, 1500, n - 1] if 1 <= i <= n - 1} | {max(1, n - 1)})
print("second   resident MB   allocated MB (jemalloc)")
for i in marks:
    m = t[i - 1]["memory"]
    print("%6d   %11s   %s" % (t[i - 1]["second"], mb(m["resident_bytes"]), mb(m["allocated_bytes"]) if m.get("allocated_bytes") else "-"))
PY
}

if [ "${1:-}" = "--summary" ]; then summary "${2:?usage: soak.sh --summary OUT}"; exit 0; fi
store="${1:?usage: soak.sh STORE [DURATION] [BINARY] [OUT]}"
duration="${2:-30m}"
binary="${3:-tokenbench}"
out="${4:-results/soak-$(date +%Y%m%d-%H%M%S)}"
[ -x ".build/release/$binary" ] || { echo "soak.sh: .build/release/$binary not found (swift build -c release --product $binary)" >&2; exit 64; }

# The soak of docs/faults-and-soak.md: 500 users, 5-s access tokens, 60-s sessions, 120-s families, 5 %
# replayed refresh tokens; a minute of warm-up before measuring.
set +e
".build/release/$binary" run --store "$store" --users 500 --duration "$duration" --warmup 60s --access-ttl 5s \
  --refresh-lead 1s --think-time 200ms --session-length 60s --refresh-ttl 120s --replay-ratio 0.05 --max-lag 2s \
  --quiet --out "$out"
status=$?
set -e
echo "soak.sh: $binary on ${store%%://*}, $duration, exit $status, in $out"
summary "$out"
exit "$status"
