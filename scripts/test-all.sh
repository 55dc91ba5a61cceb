#!/usr/bin/env bash
# Runs every check: lint, typecheck, and all tests of all packages, on memory, SQLite and
# PostgreSQL. PostgreSQL is installed/started by scripts/pg-setup.sh unless EVENTLOG_TEST_PG_URL is
# already set.
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
npx turbo run lint
npx turbo run typecheck
npx turbo run build --concurrency=1
node scripts/check-exports.mjs
node packages/eventlog/dist/cli.js --help >/dev/null
npx turbo run test --concurrency=1
# The documentation site: its references (CLI --help, TypeDoc) are generated, then VitePress builds
# it, failing on a dead link. (Its samples ran with the tests above: @eventlog/docs's test.)
npm --prefix docs run site:build
