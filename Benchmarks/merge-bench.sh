#!/usr/bin/env bash
# The merge's speed target: merging 64 shard results of 10-minute runs takes under
# 10 s and memory proportional to one result, with a release build.
#
# Usage (from the repository root):
#   swift build -c release --product tokenbench
#   bash Benchmarks/merge-bench.sh [WORKDIR]          # default /tmp/tokenbench-merge-bench
#
# It makes one real 10-minute shard (shard 0/64 of an in-process run of 128,000 users at
# 64,000 arrivals/s: this shard drives 2,000 users at 1,000/s, so its latency.hlog has 600 s of
# intervals for 4 operations and 8 phases), then 63 copies of it relabelled as shards 1 … 63
# (only the shard fields change: the inputs have the real size and shape, not 64 different
# contents), and times `tokenbench merge` over the 64 with /usr/bin/time (wall clock, peak
# RSS). Set SHARD=DIR to reuse a shard made before (a 10-minute run takes 10 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$PWD/.build/release/tokenbench
[ -x "$bin" ] || { echo "build first: swift build -c release --product tokenbench" >&2; exit 1; }
work=${1:-/tmp/tokenbench-merge-bench}
mkdir -p "$work"
shard=${SHARD:-$work/shard-src}
if [ ! -f "$shard/result.json" ]; then
  "$bin" run --shard 0/64 --users 128000 --rate 64000 --duration 600s --warmup 5s --password-hash bcrypt \
    --password-hash-cost 4 --access-ttl 30s --session-length 120s --quiet --out "$shard"
fi
rm -rf "$work/shards" "$work/merged"
mkdir -p "$work/shards"
python3 - "$shard" "$work/shards" <<'PY'
import json, os, shutil, sys
src, dst = sys.argv[1], sys.argv[2]
r = json.load(open(os.path.join(src, "result.json")))
users, count = r["config"]["users"], r["shard"]["count"]
for i in range(count):
    d = os.path.join(dst, "shard-%02d" % i)
    os.makedirs(d)
    r["config"]["shard"]["index"] = i
    first, last = users * i // count, users * (i + 1) // count
    r["shard"].update(index=i, first_user=first, users=last - first)
    json.dump(r, open(os.path.join(d, "result.json"), "w"))
    shutil.copy(os.path.join(src, "latency.hlog"), d)
PY
echo "one shard: result.json $(du -k "$shard/result.json" | cut -f1) KiB, latency.hlog $(du -k "$shard/latency.hlog" | cut -f1) KiB, $(grep -c '^Tag=' "$shard/latency.hlog") intervals"
echo "one result, read alone (the memory baseline):"
/usr/bin/time -f "  %e s, peak RSS %M KiB" "$bin" merge "$work/shards/shard-00" --out "$work/one" >/dev/null 2>"$work/one.err" || true
tail -1 "$work/one.err"
echo "64 shards merged:"
/usr/bin/time -f "  %e s, peak RSS %M KiB" "$bin" merge "$work/shards" --out "$work/merged" --slo 'refresh.p99<50ms' >"$work/merge.out" 2>"$work/merge.err" || echo "  merge exit $?"
tail -1 "$work/merge.err"
grep -E "^(login|access|refresh|logout) " "$work/merge.out" || true
