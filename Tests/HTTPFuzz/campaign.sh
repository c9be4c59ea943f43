#!/usr/bin/env bash
# The hostile-HTTP campaign against one store, the long form of
# HostileHTTPTests: starts `tokenbench serve` on STORE, measures the driver's normal rate,
# logs in ten sentinel sessions, sends N random and mutated requests (hostile_http.py), then
# checks that nothing changed (the store-changing event counters; with PostgreSQL, the rows
# written since the start: count and MD5 of their text), that every sentinel still refreshes,
# and measures the normal rate again, side by side in the same run. Prints one JSON summary.
#
#   Tests/HTTPFuzz/campaign.sh memory 100000 [BIN_DIR]
#   Tests/HTTPFuzz/campaign.sh "$TOKENBENCH_POSTGRES_URL" 100000 .build/release
#
# BIN_DIR holds `tokenbench` (default .build/release). Exits 1 when a check fails.
set -euo pipefail
cd "$(dirname "$0")/../.."

store="${1:?usage: campaign.sh memory|postgres://… REQUESTS [BIN_DIR]}"
requests="${2:?usage: campaign.sh memory|postgres://… REQUESTS [BIN_DIR]}"
bin="${3:-.build/release}/tokenbench"
[ -x "$bin" ] || { echo "campaign: $bin not found (swift build -c release --product tokenbench)" >&2; exit 64; }
case "$requests" in ''|*[!0-9]*) echo "campaign: REQUESTS must be a whole number" >&2; exit 64 ;; esac

work="$(mktemp -d /tmp/tokenbench-hostile.XXXXXX)"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
head -c 48 /dev/urandom | base64 | tr -dc 'a-zA-Z' >"$work/admin-secret"
started=$(( $(date +%s) - 1 ))

"$bin" serve --port 0 --store "$store" --users 200 --password-hash-cost 8 --access-ttl 60s --grace 10s \
  --admin-secret-file "$work/admin-secret" >"$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 600); do grep -q "listening on" "$work/serve.log" && break; sleep 0.1; done
url="$(grep -o 'http://[^ ]*' "$work/serve.log" | head -1)"
[ -n "$url" ] || { cat "$work/serve.log" >&2; exit 1; }

# The driver's closed-model rate over 10 s (16 users, 5 ms think time), completed operations/s.
rate() {
  "$bin" run --target "$url" --users 16 --duration 10s --think-time 5ms --session-length 2s --max-lag 2s \
    --quiet --out "$work/$1" >/dev/null
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); o=r["operations"].values()
print("%.0f %d" % (sum(x["count"] for x in o) / r["measured_s"], sum(x["errors"] for x in o)))' "$work/$1/result.json"
}
events() {
  python3 - "$url/metrics" <<'PY'
import re, sys, urllib.request
names = {"login_succeeded", "token_refreshed", "refresh_reuse_tolerated", "refresh_reuse_detected", "family_revoked", "user_disabled"}
out = {}
for line in urllib.request.urlopen(sys.argv[1]).read().decode().splitlines():
    m = re.match(r'tokenauth_events_total\{.*event="([a-z_]+)".*\} (\S+)', line)
    if m and m.group(1) in names: out[m.group(1)] = float(m.group(2))
print(sorted(out.items()))
PY
}
rows() {
  case "$store" in
    postgres*) psql "$store" -Atc "SELECT count(*) || ':' || md5(coalesce(string_agg(t::text, '|' ORDER BY id), '')) FROM tokenbench.refresh_families t WHERE created_at >= $started" ;;
    *) echo "-" ;;
  esac
}

read -r rate_before errors_before < <(rate before)
python3 Tests/HTTPFuzz/hostile_http.py --url "$url" --sentinels 10 --sentinel-file "$work/sentinels.json" --requests 0 >/dev/null
events_before="$(events)"; rows_before="$(rows)"
t0=$(date +%s)
python3 Tests/HTTPFuzz/hostile_http.py --url "$url" --sentinel-file "$work/sentinels.json" --requests "$requests" \
  --threads 16 --slow 8 --seed 7 --admin >"$work/hostile.json" || true
seconds=$(( $(date +%s) - t0 ))
events_after="$(events)"; rows_after="$(rows)"
python3 Tests/HTTPFuzz/hostile_http.py --url "$url" --check-sentinels "$work/sentinels.json" >"$work/check.json" || true
read -r rate_after errors_after < <(rate after)
alive=0; kill -0 "$server_pid" 2>/dev/null && alive=1

python3 - "$work/hostile.json" "$work/check.json" <<PY
import json, sys
h = json.load(open(sys.argv[1])); c = json.load(open(sys.argv[2]))
summary = {
    "store": "${store%%://*}", "requests_asked": $requests, "seconds": $seconds,
    "exchanges": h.get("exchanges"), "requests": h.get("requests"), "by_status": h.get("by_status"),
    "server_errors": h.get("server_errors"), "no_answer": h.get("no_answer"), "healthz_after": h.get("healthz_after"),
    "events_unchanged": """$events_before""" == """$events_after""", "rows_unchanged": "$rows_before" == "$rows_after",
    "sentinels_refreshed": c.get("refreshed"), "server_alive": $alive == 1,
    "rate_before_ops_s": $rate_before, "rate_after_ops_s": $rate_after, "errors_before": $errors_before, "errors_after": $errors_after,
}
summary["rate_ratio"] = round(summary["rate_after_ops_s"] / max(1, summary["rate_before_ops_s"]), 3)
print(json.dumps(summary, indent=1, sort_keys=True))
ok = (summary["server_errors"] == 0 and summary["healthz_after"] == 200 and summary["events_unchanged"]
      and summary["rows_unchanged"] and summary["sentinels_refreshed"] == 10 and summary["server_alive"]
      and summary["errors_before"] == 0 and summary["errors_after"] == 0)
sys.exit(0 if ok else 1)
PY
