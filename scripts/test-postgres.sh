#!/usr/bin/env bash
# Starts a PostgreSQL server on 127.0.0.1 for the workload's tests (tests/service) and creates their
# role and database. Idempotent: safe to run again while the server is up.
#
#   As root (CI, containers): installs Debian's `postgresql` package when no server binaries exist,
#     then starts the Debian cluster (pg_createcluster / pg_ctlcluster).
#   As any other user: runs a throwaway cluster (initdb) under $POLLS_TEST_PGDATA.
#
# The tests read POLLS_TEST_DATABASE_URL; its default there matches what this script creates on the
# default port, and the script prints the URL to export when it differs.
set -euo pipefail

PG_PORT="${POLLS_TEST_PG_PORT:-5432}"
PG_ROLE="polls_test"
PG_PASSWORD="polls_test"
PG_DB="polls_test"
PGDATA_DIR="${POLLS_TEST_PGDATA:-${TMPDIR:-/tmp}/polls-test-pg-$(id -u)}"

log() { echo "test-postgres: $*" >&2; }
die() { log "error: $*"; exit 1; }

# Newest installed major version's binaries (Debian keeps them out of PATH, per version).
find_bindir() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [[ -n "$dir" && -x "$dir/postgres" ]]; then
    echo "$dir"
  elif command -v pg_config >/dev/null && [[ -x "$(pg_config --bindir)/postgres" ]]; then
    pg_config --bindir
  fi
}

BINDIR="$(find_bindir)"
if [[ -z "$BINDIR" ]]; then
  if [[ "$(id -u)" -ne 0 ]]; then
    die "no PostgreSQL server binaries found; install them (Debian: apt-get install postgresql) or rerun as root"
  fi
  log "installing Debian's postgresql package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  BINDIR="$(find_bindir)"
  [[ -n "$BINDIR" ]] || die "postgresql installed but no server binaries under /usr/lib/postgresql"
fi
PG_VERSION="$(basename "$(dirname "$BINDIR")")"

# Runs a superuser psql command against the server this script manages.
ADMIN_PSQL=()

if [[ "$(id -u)" -eq 0 ]] && command -v pg_ctlcluster >/dev/null; then
  # Debian cluster "main" of the newest version; peer authentication over its Unix socket for admin.
  if ! pg_lsclusters -h | awk -v v="$PG_VERSION" '$1 == v && $2 == "main" { found = 1 } END { exit !found }'; then
    log "creating cluster $PG_VERSION/main on port $PG_PORT"
    pg_createcluster --port "$PG_PORT" "$PG_VERSION" main >/dev/null
  fi
  PG_PORT="$(pg_lsclusters -h | awk -v v="$PG_VERSION" '$1 == v && $2 == "main" { print $3 }')"
  if ! pg_lsclusters -h | awk -v v="$PG_VERSION" '$1 == v && $2 == "main" && $4 == "online" { found = 1 } END { exit !found }'; then
    log "starting cluster $PG_VERSION/main on port $PG_PORT"
    pg_ctlcluster "$PG_VERSION" main start
  fi
  ADMIN_PSQL=(runuser -u postgres -- "$BINDIR/psql" --port "$PG_PORT" --dbname postgres)
else
  # Throwaway cluster owned by the current user (initdb refuses root, hence the branch above).
  [[ "$(id -u)" -ne 0 ]] || die "running as root without Debian's pg_ctlcluster; run as an unprivileged user"
  if [[ ! -s "$PGDATA_DIR/PG_VERSION" ]]; then
    log "initializing a throwaway cluster in $PGDATA_DIR"
    mkdir -p "$PGDATA_DIR"
    "$BINDIR/initdb" --pgdata "$PGDATA_DIR" --auth-local trust --auth-host scram-sha-256 \
      --username postgres --encoding UTF8 --no-sync >/dev/null
  fi
  if ! "$BINDIR/pg_ctl" status --pgdata "$PGDATA_DIR" >/dev/null 2>&1; then
    log "starting the throwaway cluster on 127.0.0.1:$PG_PORT"
    "$BINDIR/pg_ctl" start --pgdata "$PGDATA_DIR" --log "$PGDATA_DIR/server.log" --wait \
      --options "-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories=$PGDATA_DIR"
  fi
  ADMIN_PSQL=("$BINDIR/psql" --host "$PGDATA_DIR" --port "$PG_PORT" --username postgres --dbname postgres)
fi

# The server may still be finishing recovery right after a start; wait for it (30 seconds at most).
for _ in $(seq 1 30); do
  if "$BINDIR/pg_isready" --quiet --host 127.0.0.1 --port "$PG_PORT"; then break; fi
  sleep 1
done
"$BINDIR/pg_isready" --quiet --host 127.0.0.1 --port "$PG_PORT" || die "server not accepting connections on 127.0.0.1:$PG_PORT"

"${ADMIN_PSQL[@]}" --quiet --no-psqlrc --set ON_ERROR_STOP=1 >/dev/null <<SQL
SELECT format('CREATE ROLE %I LOGIN', '$PG_ROLE') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_ROLE')
\gexec
ALTER ROLE $PG_ROLE WITH LOGIN NOSUPERUSER PASSWORD '$PG_PASSWORD';
SELECT format('CREATE DATABASE %I OWNER %I', '$PG_DB', '$PG_ROLE') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$PG_DB')
\gexec
SQL

URL="postgresql://$PG_ROLE:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DB"
"$BINDIR/psql" --no-psqlrc --quiet --tuples-only "$URL" --command "SELECT 1" >/dev/null \
  || die "cannot log in as $PG_ROLE at 127.0.0.1:$PG_PORT"
log "ready: PostgreSQL $PG_VERSION at 127.0.0.1:$PG_PORT, database $PG_DB"
if [[ "$PG_PORT" != "5432" ]]; then
  log "the port is not the tests' default; export this before running them:"
  echo "export POLLS_TEST_DATABASE_URL=$URL"
fi
