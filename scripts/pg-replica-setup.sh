#!/usr/bin/env bash
# Makes a streaming replica of the local PostgreSQL cluster (the one scripts/pg-setup.sh prepares)
# for the read-replica tests, and prints the URL to use.
# - Creates the replication role `eventlog_replicator` on the primary.
# - Creates a second cluster `<version>/eventlog_replica` (port 5433, or the next free one) from a
#   pg_basebackup of the primary, configured as a hot standby, and starts it.
# Needs root (or passwordless sudo) like pg-setup.sh. Idempotent: an online replica is reused.
# Usage: eval "$(bash scripts/pg-replica-setup.sh)"   → exports EVENTLOG_TEST_PG_REPLICA_URL
set -euo pipefail

log() { echo "pg-replica-setup: $*" >&2; }

if [ -n "${EVENTLOG_TEST_PG_REPLICA_URL:-}" ]; then
  log "using EVENTLOG_TEST_PG_REPLICA_URL from the environment"
  echo "export EVENTLOG_TEST_PG_REPLICA_URL='${EVENTLOG_TEST_PG_REPLICA_URL}'"
  exit 0
fi

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo -n"; fi
NAME=eventlog_replica

primary=$(pg_lsclusters --no-header | awk '$2 != "'"$NAME"'" && $4 == "online" { print; exit }')
if [ -z "$primary" ]; then
  log "no online primary cluster: run scripts/pg-setup.sh first"
  exit 1
fi
version=$(echo "$primary" | awk '{print $1}')
pport=$(echo "$primary" | awk '{print $3}')

as_postgres() { $SUDO su postgres -s /bin/sh -c "$*"; }
psql_primary() { as_postgres "psql -p $pport -v ON_ERROR_STOP=1 -qAt $*"; }

if [ "$(psql_primary "-c \"select 1 from pg_roles where rolname='eventlog_replicator'\"")" != "1" ]; then
  log "creating the replication role"
  psql_primary "-c \"create role eventlog_replicator with replication login password 'eventlog'\"" >&2
fi

# The tests pause and resume the replica's replay to simulate lag (granted on the primary; grants
# replicate).
psql_primary "-d eventlog_test -c \"grant execute on function pg_wal_replay_pause() to eventlog; grant execute on function pg_wal_replay_resume() to eventlog\"" >&2

replica=$(pg_lsclusters --no-header | awk '$2 == "'"$NAME"'" { print; exit }')
if [ -n "$replica" ] && [ "$(echo "$replica" | awk '{print $4}')" != "online,recovery" ]; then
  # A stopped replica may need WAL the primary no longer keeps: make a fresh one (a few seconds).
  log "recreating the stopped replica $version/$NAME"
  $SUDO pg_dropcluster --stop "$version" "$NAME" >&2
  replica=""
fi
if [ -z "$replica" ]; then
  rport=5433
  while pg_lsclusters --no-header | awk '{print $3}' | grep -qx "$rport"; do rport=$((rport + 1)); done
  log "creating cluster $version/$NAME on port $rport from a base backup of port $pport"
  $SUDO pg_createcluster "$version" "$NAME" --port "$rport" >&2
  datadir=$(pg_lsclusters --no-header | awk '$2 == "'"$NAME"'" { print $6 }')
  as_postgres "rm -rf '$datadir' && PGPASSWORD=eventlog pg_basebackup -h 127.0.0.1 -p $pport -U eventlog_replicator -D '$datadir' -R -X stream" >&2
  # A little room for the tests' connections, as on the primary.
  echo "max_connections = 300" | $SUDO tee "/etc/postgresql/$version/$NAME/conf.d/eventlog.conf" >/dev/null
  replica=$(pg_lsclusters --no-header | awk '$2 == "'"$NAME"'" { print; exit }')
fi
rport=$(echo "$replica" | awk '{print $3}')
status=$(echo "$replica" | awk '{print $4}')
case "$status" in
  online*) ;;
  *)
    log "starting cluster $version/$NAME"
    $SUDO pg_ctlcluster "$version" "$NAME" start >&2
    ;;
esac
for _ in $(seq 1 30); do
  if [ "$(as_postgres "psql -p $rport -qAt -c 'select pg_is_in_recovery()'" 2>/dev/null)" = "t" ]; then break; fi
  sleep 1
done
if [ "$(as_postgres "psql -p $rport -qAt -c 'select pg_is_in_recovery()'")" != "t" ]; then
  log "the replica on port $rport is not a standby in recovery"
  exit 1
fi
echo "export EVENTLOG_TEST_PG_REPLICA_URL='postgres://eventlog:eventlog@127.0.0.1:${rport}/eventlog_test'"
