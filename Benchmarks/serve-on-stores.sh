# Sourced by the benchmark scripts that run `tokenbench serve` on throw-away stores: starts
# PostgreSQL and Redis (script/stores.sh), a work folder, and cleans all up on exit.
#
#   source Benchmarks/serve-on-stores.sh
#   bench_serve "$bin" --store "$spec" …   # starts serve; sets $server (pid) and $url
#   bench_stop_serve
source script/stores.sh
work=$(mktemp -d)
server="" url=""
bench_cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null || true; stop_stores; rm -rf "$work"; }
trap bench_cleanup EXIT
start_stores >/dev/null

# Starts `BIN/tokenbench serve --port 0 ARGS…` and waits for its "listening on" line.
bench_serve() {
  local bin=$1; shift
  "$bin/tokenbench" serve --port 0 "$@" >"$work/serve.log" 2>&1 &
  server=$!
  for _ in $(seq 1 600); do grep -q 'listening on' "$work/serve.log" && break; sleep 0.1; done
  url=$(grep -o 'http://[0-9.:]*' "$work/serve.log" | head -1)
  [ -n "$url" ] || { echo "serve did not start:" >&2; cat "$work/serve.log" >&2; exit 69; }
}

bench_stop_serve() { kill "$server"; wait "$server" 2>/dev/null || true; server=""; }
