#!/usr/bin/env bash
# Makes a PostgreSQL server available for the tests and prints the URL to use.
# - Installs PostgreSQL from Debian's packages when it is absent (needs root).
# - Starts the local cluster when it is stopped.
# - Creates the role `eventlog` (password `eventlog`) and the database `eventlog_test`, and lets
#   the role log in with its password over the Unix socket too.
# Usage: eval "$(bash scripts/pg-setup.sh)"   → exports EVENTLOG_TEST_PG_URL
set -euo pipefail

log() { echo "pg-setup: $*" >&2; }

if [ -n "${EVENTLOG_TEST_PG_URL:-}" ]; then
  log "using EVENTLOG_TEST_PG_URL from the environment"
  echo "export EVENTLOG_TEST_PG_URL='${EVENTLOG_TEST_PG_URL}'"
  exit 0
fi

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo -n"; fi

if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  log "PostgreSQL is not installed; installing it from Debian's packages"
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >&2
fi

# The first cluster that is not the test replica (scripts/pg-replica-setup.sh makes that one).
cluster=$(pg_lsclusters --no-header 2>/dev/null | awk '$2 != "eventlog_replica"' | head -n 1 || true)
if [ -z "$cluster" ]; then
  version=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
  log "creating cluster $version/main"
  $SUDO pg_createcluster "$version" main >&2
  cluster=$(pg_lsclusters --no-header | awk '$2 != "eventlog_replica"' | head -n 1)
fi
version=$(echo "$cluster" | awk '{print $1}')
name=$(echo "$cluster" | awk '{print $2}')
port=$(echo "$cluster" | awk '{print $3}')
status=$(echo "$cluster" | awk '{print $4}')
if [ "$status" != "online" ]; then
  log "starting cluster $version/$name"
  $SUDO pg_ctlcluster "$version" "$name" start >&2
fi

psql_su() { $SUDO su postgres -s /bin/sh -c "psql -p $port -v ON_ERROR_STOP=1 -qAt $*"; }
ready=""
for _ in $(seq 1 30); do
  if psql_su "-c 'select 1'" >/dev/null 2>&1; then ready=1; break; fi
  sleep 1
done
if [ -z "$ready" ]; then
  log "cluster $version/$name (port $port) does not answer after 30 s; see its log under /var/log/postgresql"
  exit 1
fi
if [ "$(psql_su "-c \"select 1 from pg_roles where rolname='eventlog'\"")" != "1" ]; then
  log "creating role eventlog"
  psql_su "-c \"create role eventlog login password 'eventlog' createdb\"" >&2
fi
if [ "$(psql_su "-c \"select 1 from pg_database where datname='eventlog_test'\"")" != "1" ]; then
  log "creating database eventlog_test"
  psql_su "-c \"create database eventlog_test owner eventlog\"" >&2
fi
# The role may also log in with its password over the Unix socket (the socket URL tests);
# Debian's default lets local users in as their own role only (peer).
hba=$(psql_su "-c 'show hba_file'")
if ! $SUDO grep -Eq '^local[[:space:]]+all[[:space:]]+eventlog[[:space:]]' "$hba"; then
  log "allowing the role eventlog over the Unix socket with its password ($hba)"
  # Before the catch-all `local all all` line (the first match decides), else at the end.
  $SUDO awk 'BEGIN { done = 0 }
    !done && /^local[[:space:]]+all[[:space:]]+all[[:space:]]/ { print "local   all             eventlog                                scram-sha-256"; done = 1 }
    { print }
    END { if (!done) print "local   all             eventlog                                scram-sha-256" }' "$hba" |
    $SUDO tee "$hba.eventlog" >/dev/null
  $SUDO cp "$hba.eventlog" "$hba"
  $SUDO rm -f "$hba.eventlog"
  psql_su "-c 'select pg_reload_conf()'" >/dev/null
fi
# Tests use many connections at once (pools in several processes).
max=$(psql_su "-c 'show max_connections'")
if [ "$max" -lt 200 ]; then
  log "raising max_connections to 300 (was $max) and restarting"
  psql_su "-c 'alter system set max_connections = 300'" >&2
  $SUDO pg_ctlcluster "$version" "$name" restart >&2
fi
echo "export EVENTLOG_TEST_PG_URL='postgres://eventlog:eventlog@127.0.0.1:${port}/eventlog_test'"
