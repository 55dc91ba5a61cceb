#!/usr/bin/env bash
# Makes a headless Chromium available for the console's end-to-end tests and prints where it is.
# - Installs Debian's `chromium` package when it is absent (needs root or passwordless sudo); no
#   browser is downloaded from Playwright's servers.
# - Checks that it starts (`chromium --version`).
# Usage: eval "$(bash scripts/browser-setup.sh)"   → exports EVENTLOG_TEST_CHROMIUM
set -euo pipefail

log() { echo "browser-setup: $*" >&2; }

if [ -n "${EVENTLOG_TEST_CHROMIUM:-}" ] && [ -x "${EVENTLOG_TEST_CHROMIUM}" ]; then
  log "using EVENTLOG_TEST_CHROMIUM from the environment"
  echo "export EVENTLOG_TEST_CHROMIUM='${EVENTLOG_TEST_CHROMIUM}'"
  exit 0
fi

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo -n"; fi

bin=""
for candidate in /usr/bin/chromium /usr/bin/chromium-browser; do
  if [ -x "$candidate" ]; then bin="$candidate"; break; fi
done
if [ -z "$bin" ]; then
  log "Chromium is not installed; installing Debian's chromium package"
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >&2
  bin=/usr/bin/chromium
fi
if ! "$bin" --headless --no-sandbox --version >/dev/null 2>&1 && ! "$bin" --version >/dev/null 2>&1; then
  log "$bin does not start; see its output: $("$bin" --version 2>&1 | head -n 3)"
  exit 1
fi
log "$("$bin" --version 2>/dev/null | head -n 1)"
echo "export EVENTLOG_TEST_CHROMIUM='${bin}'"
