#!/usr/bin/env bash
# Runs every check: lint, typecheck, and all tests of all packages, on memory, SQLite and
# PostgreSQL, and the web console in Chromium. PostgreSQL is installed/started by
# scripts/pg-setup.sh unless EVENTLOG_TEST_PG_URL is already set, and a streaming replica by
# scripts/pg-replica-setup.sh unless EVENTLOG_TEST_PG_REPLICA_URL is; Chromium is installed by
# scripts/browser-setup.sh unless EVENTLOG_TEST_CHROMIUM is set.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
# Not `eval "$(bash scripts/pg-setup.sh)"`: the exit status of a command substitution inside eval is
# lost (eval of nothing succeeds), and the run would go on to fail later for a misleading reason.
if ! pg_env="$(bash scripts/pg-setup.sh)"; then
  echo "test-all: scripts/pg-setup.sh failed (its messages are above), so there is no PostgreSQL for the tests; fix that, or set EVENTLOG_TEST_PG_URL to a running server. Stopping." >&2
  exit 1
fi
eval "$pg_env"
if [ -z "${EVENTLOG_TEST_PG_URL:-}" ]; then
  echo "test-all: scripts/pg-setup.sh printed no EVENTLOG_TEST_PG_URL. Stopping." >&2
  exit 1
fi
echo "test-all: PostgreSQL at ${EVENTLOG_TEST_PG_URL}"
# A streaming replica of that cluster, for the read-replica tests (SPEC §12).
if ! replica_env="$(bash scripts/pg-replica-setup.sh)"; then
  echo "test-all: scripts/pg-replica-setup.sh failed (its messages are above), so there is no replica for the tests; fix that, or set EVENTLOG_TEST_PG_REPLICA_URL. Stopping." >&2
  exit 1
fi
eval "$replica_env"
echo "test-all: PostgreSQL replica at ${EVENTLOG_TEST_PG_REPLICA_URL:-?}"
# Chromium for the web console's end-to-end tests (Debian's package; nothing is downloaded). Under
# CI=true a missing browser stops the run (the tests would fail too); elsewhere they are skipped.
if browser_env="$(bash scripts/browser-setup.sh)"; then
  eval "$browser_env"
  echo "test-all: Chromium at ${EVENTLOG_TEST_CHROMIUM}"
elif [ "${CI:-}" = "true" ]; then
  echo "test-all: scripts/browser-setup.sh failed (its messages are above), and CI=true needs the browser tests. Stopping." >&2
  exit 1
else
  echo "test-all: no Chromium (scripts/browser-setup.sh failed); the console's browser tests will be skipped." >&2
fi
npx turbo run lint
npx turbo run typecheck
npx turbo run build --concurrency=1
node scripts/check-exports.mjs
node packages/eventlog/dist/cli.js --help >/dev/null
npx turbo run test --concurrency=1
# The documentation site: its references (CLI --help, TypeDoc) are generated, then VitePress builds
# it, failing on a dead link. (Its samples ran with the tests above: @eventlog/docs's test.)
npm --prefix docs run site:build
