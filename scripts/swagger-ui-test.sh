#!/usr/bin/env bash
# Swagger UI's Try it out on every operation, in headless Chromium, with the demo data:
#
#   scripts/swagger-ui-test.sh
#
# Starts the release binary (`$CRESS_BIN` if set, else built) on a free port and a fresh SQLite
# file with the demo data and a first administrator, opens /swagger-ui/ in Debian's Chromium
# driven by playwright-core (scripts/swagger-ui/tryitout.mjs), logs in through the Authorize
# dialog, and runs every operation as a person would: Try it out, ids typed in (in the path, and
# in the example body where it names a record), Execute. Each must show the operation's
# documented success; the page must log no error and fail no request of its own. The order and
# the ids are those of tests/api/examples.rs (which sends the same requests over plain HTTP); two
# tabs share the work. Screenshots of failures are kept in a temporary directory (printed).
# Installs what it uses when missing: Debian's chromium (apt) and the pinned playwright-core (npm,
# no browser download) under .cache/swagger-ui (SWAGGER_UI_CACHE to move it).
set -euo pipefail
# A relative CRESS_BIN is relative to where the script was called from.
if [ -n "${CRESS_BIN:-}" ]; then CRESS_BIN="$(cd "$(dirname "$CRESS_BIN")" && pwd)/$(basename "$CRESS_BIN")"; fi
cd "$(dirname "$0")/.."
root="$(pwd)"
here="$root/scripts/swagger-ui"
cache="${SWAGGER_UI_CACHE:-$root/.cache/swagger-ui}"

echo "== Chromium and playwright-core (pinned) under $cache"
if [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
/usr/bin/chromium --version 2>/dev/null
mkdir -p "$cache"
if ! cmp -s "$here/package-lock.json" "$cache/package-lock.json" || [ ! -d "$cache/node_modules/playwright-core" ]; then
  cp "$here/package.json" "$here/package-lock.json" "$cache/"
  (cd "$cache" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi

# The release binary on the demo data set, so that lists have pages to follow.
. scripts/demo-server.sh
start_demo_server swagger

echo "== Swagger UI, every operation through Try it out"
# Screenshots of failures go to a directory of their own, kept when the run fails.
shots="$(mktemp -d "${TMPDIR:-/tmp}/swagger-ui-shots.XXXXXX")"
cp "$here/tryitout.mjs" "$work/"
ln -s "$cache/node_modules" "$work/node_modules"
if ! (cd "$work" && SCREENSHOTS="$shots" timeout 900 node tryitout.mjs); then
  echo "Swagger UI's Try it out failed; screenshots: $shots; the server log's last lines:"
  tail -n 20 "$work/server.log"
  exit 1
fi
rm -rf "$shots"
