#!/usr/bin/env bash
# A Citus cluster on this machine for development and CI: a coordinator and workers, each its own
# PostgreSQL instance (data directory, port, log) under .data/citus/, all from the machine's
# PostgreSQL with the Citus extension (../shared/citus/install-citus.sh, or Citus's packages).
# Production uses Citus's packages or its container image (docker-compose's `citus` profile);
# docs/scale-out.md says how the two differ and how cities are placed, moved and rebalanced.
#
#   scripts/citus.sh up                  start the coordinator and two workers (creates them)
#   scripts/citus.sh down                stop every node of the cluster (data kept)
#   scripts/citus.sh destroy             stop and delete the cluster's data
#   scripts/citus.sh status              nodes, ports, and where each city schema lives
#   scripts/citus.sh createdb NAME       a fresh database NAME on every node, Citus set up in it
#                                        (an existing one is dropped first)
#   scripts/citus.sh dropdb NAME         drop NAME on every node
#   scripts/citus.sh add-worker N DB     start worker N (port 9700+N) and add it to DB's cluster
#   scripts/citus.sh remove-worker N DB  drain worker N (its cities moved away), remove, stop it
#   scripts/citus.sh stop NODE [MODE]    stop one node (coordinator, worker1, ...); MODE fast|immediate
#   scripts/citus.sh start NODE          start one node again
#
# Ports: the coordinator on CITUS_PORT (9700), worker N on CITUS_PORT + N. Each database's
# settings (schema-based sharding, triggers) are set by `createdb`; see docs/scale-out.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BASE=${CITUS_DIR:-$ROOT/.data/citus}
PORT0=${CITUS_PORT:-9700}
WORKERS=${CITUS_WORKERS:-2}
BIN=$(dirname "$(ls /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -V | tail -1)")
[ -x "$BIN/pg_ctl" ] || { echo "no PostgreSQL server binaries under /usr/lib/postgresql"; exit 1; }
LIBDIR=$("$BIN/pg_config" --pkglibdir 2>/dev/null || pg_config --pkglibdir)

# PostgreSQL refuses to run as root: the nodes run as the postgres user when we are root.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

node_port() {
  case "$1" in
    coordinator) echo "$PORT0" ;;
    worker*) echo $((PORT0 + ${1#worker})) ;;
    *) echo "unknown node $1" >&2; exit 2 ;;
  esac
}

psql_on() {  # psql_on PORT DB SQL...
  local port=$1 db=$2; shift 2
  psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d "$db" "$@"
}

node_init() {
  local node=$1 port dir
  port=$(node_port "$node")
  dir=$BASE/$node
  [ -f "$dir/PG_VERSION" ] && return 0
  [ -f "$LIBDIR/citus.so" ] || {
    echo "Citus is not installed in $LIBDIR: run ../shared/citus/install-citus.sh first"; exit 1; }
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$BASE" "$dir"
  as_pg "$BIN/initdb" -D "$dir" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  # wal_level=logical: city moves copy a schema and catch up by logical replication, so
  # payments keep running until a short switch-over (docs/scale-out.md). fsync=off: a
  # throw-away cluster; a killed PostgreSQL (the bank test's chaos) still loses nothing, the
  # operating system keeps what was written. autovacuum=off, as on this machine's PostgreSQL
  # that the single-node suite uses: the suite rolls every test back, autovacuum then records
  # the emptied tables as holding no rows, and the next test's uncommitted rows get plans made
  # for empty tables (a query of the demo data ran for twenty minutes). Production keeps it on.
  cat >>"$dir/postgresql.conf" <<EOF

# --- scripts/citus.sh ---
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
shared_preload_libraries = 'citus'
max_connections = 300
shared_buffers = 128MB
wal_level = logical
max_replication_slots = 20
max_wal_senders = 20
max_worker_processes = 32
fsync = off
full_page_writes = off
autovacuum = off
logging_collector = off
timezone = 'UTC'
log_min_messages = warning
citus.max_shared_pool_size = 200
EOF
}

node_running() {
  as_pg "$BIN/pg_ctl" -D "$BASE/$1" status >/dev/null 2>&1
}

node_start() {
  local node=$1
  node_init "$node"
  if node_running "$node"; then return 0; fi
  as_pg "$BIN/pg_ctl" -D "$BASE/$node" -l "$BASE/$node.log" -w -t 60 start >/dev/null
}

node_stop() {
  local node=$1 mode=${2:-fast}
  [ -f "$BASE/$node/PG_VERSION" ] || return 0
  if node_running "$node"; then
    as_pg "$BIN/pg_ctl" -D "$BASE/$node" -m "$mode" -w -t 60 stop >/dev/null
  fi
}

nodes() {
  echo coordinator
  for n in $(seq 1 "$WORKERS"); do echo "worker$n"; done
  # Workers added later (add-worker) are part of the cluster too.
  for dir in "$BASE"/worker*; do
    [ -d "$dir" ] || continue
    local name; name=$(basename "$dir")
    [ "${name#worker}" -gt "$WORKERS" ] && echo "$name"
  done
  return 0
}

createdb_everywhere() {
  local db=$1 node port
  [[ "$db" =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "bad database name $db"; exit 2; }
  dropdb_everywhere "$db"
  for node in $(nodes); do
    node_running "$node" || continue
    port=$(node_port "$node")
    psql_on "$port" postgres -c "CREATE DATABASE $db"
    psql_on "$port" "$db" -c "CREATE EXTENSION citus"
  done
  # What the application needs of a Citus database (docs/scale-out.md):
  #  - every new city schema becomes a distributed schema, placed whole on one worker;
  #  - the ledger's triggers may exist on distributed tables (why that is safe: the same doc).
  psql_on "$PORT0" "$db" <<SQL
ALTER DATABASE $db SET citus.enable_schema_based_sharding = on;
ALTER DATABASE $db SET citus.enable_unsafe_triggers = on;
SELECT citus_set_coordinator_host('127.0.0.1', $PORT0);
SQL
  for node in $(nodes); do
    [ "$node" = coordinator ] && continue
    node_running "$node" || continue
    psql_on "$PORT0" "$db" -c "SELECT citus_add_node('127.0.0.1', $(node_port "$node"))" >/dev/null
  done
}

dropdb_everywhere() {
  local db=$1 node port
  for node in $(nodes); do
    node_running "$node" || continue
    port=$(node_port "$node")
    psql_on "$port" postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
  done
}

status() {
  for node in $(nodes); do
    if node_running "$node"; then s=running; else s=stopped; fi
    printf '%-12s port %s  %s  %s\n' "$node" "$(node_port "$node")" "$s" "$BASE/$node"
  done
  if [ -n "${1:-}" ] && node_running coordinator; then
    psql_on "$PORT0" "$1" -c "SELECT nodename, nodeport, isactive, shouldhaveshards FROM pg_dist_node ORDER BY nodeport"
    psql_on "$PORT0" "$1" -c "SELECT schema_name, colocation_id, schema_size FROM citus_schemas ORDER BY 1"
    psql_on "$PORT0" "$1" -c "SELECT DISTINCT citus_table_type, nodeport, split_part(table_name::text, '.', 1) AS schema FROM citus_shards ORDER BY 3, 2"
  fi
}

cmd=${1:-}
case "$cmd" in
  up)
    mkdir -p "$BASE"
    for node in $(nodes); do node_start "$node"; done
    echo "Citus: coordinator on 127.0.0.1:$PORT0, workers on $(for n in $(seq 1 "$WORKERS"); do printf '%s ' $((PORT0 + n)); done)(data in $BASE)"
    ;;
  down)
    for node in $(nodes | tac); do node_stop "$node" fast; done
    ;;
  destroy)
    for node in $(nodes | tac); do node_stop "$node" immediate; done
    rm -rf "$BASE"
    ;;
  status) status "${2:-}" ;;
  createdb) createdb_everywhere "${2:?database name}" ;;
  dropdb) dropdb_everywhere "${2:?database name}" ;;
  add-worker)
    n=${2:?worker number}; db=${3:?database}
    node_start "worker$n"
    port=$(node_port "worker$n")
    psql_on "$port" postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
    psql_on "$port" "$db" -c "CREATE EXTENSION citus"
    psql_on "$PORT0" "$db" -c "SELECT citus_add_node('127.0.0.1', $port)"
    ;;
  remove-worker)
    n=${2:?worker number}; db=${3:?database}
    port=$(node_port "worker$n")
    # Move every city off the node (online), then take it out of the cluster.
    psql_on "$PORT0" "$db" -c "SELECT citus_drain_node('127.0.0.1', $port)"
    psql_on "$PORT0" "$db" -c "SELECT citus_remove_node('127.0.0.1', $port)"
    node_stop "worker$n" fast
    ;;
  stop) node_stop "${2:?node}" "${3:-fast}" ;;
  start) node_start "${2:?node}" ;;
  *)
    sed -n '2,22p' "$0"; exit 2 ;;
esac
