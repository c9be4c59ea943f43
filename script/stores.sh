# Throw-away PostgreSQL and Redis servers on loopback, for the store tests and store runs.
#
#   source .ci/stores.sh
#   start_stores            # exports TOKENBENCH_POSTGRES_URL, TOKENBENCH_REDIS_URL,
#                           # TOKENBENCH_REDIS_CLUSTER_URL, TOKENBENCH_STORES_DIR
#   stop_stores             # stops them all and deletes their files (also run it on failure: trap)
#
# PostgreSQL: initdb refuses root, so as root the cluster belongs to the `postgres` user;
# it lives in a temporary folder with its own port and socket folder. Redis keeps nothing on disk.
# Redis Cluster: three masters, no replicas, on loopback; each node's cluster bus gets a free
# port of its own (--cluster-port), so no port + 10000 arithmetic can collide or overflow.

tokenbench_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

tokenbench_as_postgres() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_stores() {
  local pgbin
  pgbin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
  [ -x "$pgbin/initdb" ] || { echo "stores: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; return 1; }
  command -v redis-server >/dev/null || { echo "stores: redis-server not found (apt-get install redis-server)" >&2; return 1; }

  TOKENBENCH_STORES_DIR="$(mktemp -d /tmp/tokenbench-stores.XXXXXX)"
  export TOKENBENCH_STORES_DIR
  chmod 755 "$TOKENBENCH_STORES_DIR"
  mkdir -p "$TOKENBENCH_STORES_DIR/pg"
  [ "$(id -u)" = "0" ] && chown postgres "$TOKENBENCH_STORES_DIR/pg"

  local pgport redisport
  pgport="$(tokenbench_free_port)"
  redisport="$(tokenbench_free_port)"

  tokenbench_as_postgres "$pgbin/initdb" -D "$TOKENBENCH_STORES_DIR/pg/data" -U postgres -A trust -E UTF8 --no-sync >"$TOKENBENCH_STORES_DIR/initdb.log" 2>&1 \
    || { cat "$TOKENBENCH_STORES_DIR/initdb.log" >&2; return 1; }
  tokenbench_as_postgres "$pgbin/pg_ctl" -D "$TOKENBENCH_STORES_DIR/pg/data" -l "$TOKENBENCH_STORES_DIR/pg/server.log" -w -t 60 \
    -o "-p $pgport -k $TOKENBENCH_STORES_DIR/pg -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null \
    || { cat "$TOKENBENCH_STORES_DIR/pg/server.log" >&2; return 1; }
  tokenbench_as_postgres "$pgbin/createdb" -h 127.0.0.1 -p "$pgport" -U postgres tokenbench
  echo "$pgbin" >"$TOKENBENCH_STORES_DIR/pgbin"

  redis-server --port "$redisport" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --pidfile "$TOKENBENCH_STORES_DIR/redis.pid" --logfile "$TOKENBENCH_STORES_DIR/redis.log"
  local i
  for i in $(seq 1 100); do
    redis-cli -p "$redisport" ping >/dev/null 2>&1 && break
    sleep 0.05
  done
  redis-cli -p "$redisport" ping >/dev/null || { cat "$TOKENBENCH_STORES_DIR/redis.log" >&2; return 1; }

  tokenbench_start_redis_cluster || return 1

  export TOKENBENCH_POSTGRES_URL="postgres://postgres@127.0.0.1:$pgport/tokenbench"
  export TOKENBENCH_REDIS_URL="redis://127.0.0.1:$redisport/0"
  echo "stores: PostgreSQL at $TOKENBENCH_POSTGRES_URL, Redis at $TOKENBENCH_REDIS_URL, Redis Cluster at $TOKENBENCH_REDIS_CLUSTER_URL"
}

# Three cluster-enabled masters, joined by redis-cli, ready when CLUSTER INFO says ok (about 2 s).
tokenbench_start_redis_cluster() {
  local dir="$TOKENBENCH_STORES_DIR/cluster" ports=() seeds=() p i
  mkdir -p "$dir"
  for i in 1 2 3; do
    p="$(tokenbench_free_port)"
    ports+=("$p")
    redis-server --port "$p" --bind 127.0.0.1 --cluster-enabled yes --cluster-config-file "$dir/nodes-$p.conf" \
      --cluster-port "$(tokenbench_free_port)" --cluster-node-timeout 5000 --dir "$dir" --save '' --appendonly no \
      --daemonize yes --pidfile "$dir/redis-$p.pid" --logfile "$dir/redis-$p.log"
  done
  for p in "${ports[@]}"; do
    for i in $(seq 1 100); do
      redis-cli -p "$p" ping >/dev/null 2>&1 && break
      sleep 0.05
    done
    seeds+=("127.0.0.1:$p")
  done
  redis-cli --cluster create "${seeds[@]}" --cluster-replicas 0 --cluster-yes >"$dir/create.log" 2>&1 \
    || { cat "$dir/create.log" >&2; return 1; }
  for i in $(seq 1 100); do
    redis-cli -p "${ports[0]}" cluster info 2>/dev/null | grep -q '^cluster_state:ok' && break
    sleep 0.05
  done
  redis-cli -p "${ports[0]}" cluster info | grep -q '^cluster_state:ok' \
    || { echo "stores: the Redis Cluster did not reach cluster_state:ok within 5 s" >&2; cat "$dir"/redis-*.log >&2; return 1; }
  export TOKENBENCH_REDIS_CLUSTER_URL="redis+cluster://$(IFS=,; echo "${seeds[*]}")"
}

stop_stores() {
  [ -n "${TOKENBENCH_STORES_DIR:-}" ] && [ -d "$TOKENBENCH_STORES_DIR" ] || return 0
  if [ -f "$TOKENBENCH_STORES_DIR/pgbin" ]; then
    tokenbench_as_postgres "$(cat "$TOKENBENCH_STORES_DIR/pgbin")/pg_ctl" -D "$TOKENBENCH_STORES_DIR/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  local pidfile
  for pidfile in "$TOKENBENCH_STORES_DIR/redis.pid" "$TOKENBENCH_STORES_DIR"/cluster/redis-*.pid; do
    [ -f "$pidfile" ] && { kill "$(cat "$pidfile")" 2>/dev/null || true; }
  done
  rm -rf "$TOKENBENCH_STORES_DIR"
  unset TOKENBENCH_STORES_DIR TOKENBENCH_REDIS_CLUSTER_URL
}
