#!/usr/bin/env bash
# serve's HTTP overhead, measured side by side in one run:
#   1. wrk against serve's GET /healthz and against a bare Hummingbird 2 app's (Benchmarks/BareHummingbird),
#      alternated ROUNDS times: the ratio is what serve's router, middleware and server set-up cost;
#   2. the driver (tokenbench run) against serve: refreshes only (HS256, memory store), beside
#      serve's own /healthz rate from step 1.
# Prints the medians and the ratios. Release builds; wrk from Debian (apt-get install -y wrk).
# Everything shares this machine's cores: wrk (1 thread), the server, and in step 2 the driver.
#
#   Benchmarks/http-reference.sh [--rounds N] [--duration 10s] [--connections 64] [--crypto boringssl|openssl]
#                                [--bin .build/release] [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=3 duration=10s connections=64 crypto=boringssl bin=.build/release build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --crypto) crypto=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    *) echo "http-reference.sh: unknown argument $1" >&2; exit 64 ;;
  esac
done
command -v wrk >/dev/null || { echo "http-reference.sh: wrk is needed (apt-get install -y wrk)" >&2; exit 69; }
if [ "$build" = 1 ]; then
  swift build -c release --product tokenbench >/dev/null
  swift build -c release --product bare-hummingbird >/dev/null
fi

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# Starts "$@" in the background, waits for its "listening on URL" line, prints the URL.
start() {
  local log="$work/$1.log"; shift
  "$@" >"$log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 600); do
    if url=$(grep -o 'listening on http://[0-9.:]*' "$log" | head -1); then
      [ -n "$url" ] && { echo "${url#listening on }"; return; }
    fi
    sleep 0.1
  done
  echo "http-reference.sh: $* did not start:" >&2; cat "$log" >&2; exit 69
}

serve_url=$(start serve "$bin/tokenbench" serve --port 0 --users 1000 --password-hash bcrypt --password-hash-cost 4 \
  --access-ttl 1s --crypto "$crypto")
bare_url=$(start bare "$bin/bare-hummingbird" 0)

# wrk's requests/s for GET URL/healthz.
rate() { wrk -t1 -c"$connections" -d"$duration" --latency "$1/healthz" | awk '/Requests\/sec/ { print $2 }'; }
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

wrk -t1 -c"$connections" -d2s "$serve_url/healthz" >/dev/null  # warm both
wrk -t1 -c"$connections" -d2s "$bare_url/healthz" >/dev/null
: >"$work/serve.rates"; : >"$work/bare.rates"
for r in $(seq 1 "$rounds"); do
  s=$(rate "$serve_url"); b=$(rate "$bare_url")
  echo "$s" >>"$work/serve.rates"; echo "$b" >>"$work/bare.rates"
  printf 'round %d: serve /healthz %10.0f/s   bare Hummingbird /healthz %10.0f/s   ratio %5.1f %%\n' "$r" "$s" "$b" "$(echo "100 * $s / $b" | bc -l)"
done
serve_rate=$(median <"$work/serve.rates"); bare_rate=$(median <"$work/bare.rates")

# The driver against serve: refreshes only (access tokens of 1 s, each refreshed 1 µs after it is issued: every operation a refresh,
# no think time), 64 users on keep-alive connections.
"$bin/tokenbench" run --target "$serve_url" --profile results/profiles/tokenbench-serve.json \
  --users "$connections" --think-time 0s --access-ttl 1s --refresh-lead 999999us --refresh-jitter 0s --session-length 1h \
  --duration "$duration" --warmup 2s --quiet --out "$work/refresh" >/dev/null || true
refresh_rate=$(python3 -c "import json,sys; r=json.load(open('$work/refresh/result.json')); print(r['operations']['refresh']['throughput_per_s'])")
refresh_errors=$(python3 -c "import json,sys; r=json.load(open('$work/refresh/result.json')); print(r['operations']['refresh']['errors'])")

echo
printf 'serve /healthz (median of %d)            %10.0f/s\n' "$rounds" "$serve_rate"
printf 'bare Hummingbird /healthz (median)       %10.0f/s\n' "$bare_rate"
printf 'serve / bare                             %9.1f %%   (target >= 90 %%)\n' "$(echo "100 * $serve_rate / $bare_rate" | bc -l)"
printf 'refresh over HTTP (driver, --crypto %s) %10.0f/s   (%s errors)\n' "$crypto" "$refresh_rate" "$refresh_errors"
printf 'refresh / serve /healthz                 %9.1f %%   (target >= 45 %%)\n' "$(echo "100 * $refresh_rate / $serve_rate" | bc -l)"
echo "($(nproc) cores shared by wrk -t1 -c$connections, the server and the driver; $duration per measurement)"
