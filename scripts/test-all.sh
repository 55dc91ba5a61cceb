#!/usr/bin/env bash
# Runs every check: lint, typecheck, and all tests of all packages, on memory, SQLite and
# PostgreSQL. PostgreSQL is installed/started by scripts/pg-setup.sh unless EVENTLOG_TEST_PG_URL is
# already set.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
eval "$(bash scripts/pg-setup.sh)"
echo "test-all: PostgreSQL at ${EVENTLOG_TEST_PG_URL}"
npx turbo run lint
npx turbo run typecheck
npx turbo run build --concurrency=1
node scripts/check-exports.mjs
node packages/eventlog/dist/cli.js --help >/dev/null
npx turbo run test --concurrency=1
