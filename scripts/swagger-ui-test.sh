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

if [ -n "${CRESS_BIN:-}" ]; then
  bin="$CRESS_BIN"
else
  cargo build --release --locked --bin cress-api
  bin="$(cd "${CARGO_TARGET_DIR:-target}" && pwd)/release/cress-api"
fi

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export CRESS_URL="http://127.0.0.1:$port"
export CRESS_EMAIL="admin@cress-occitanie.example" CRESS_PASSWORD="a long passphrase for the browser test"
export JWT_SECRET
JWT_SECRET="swagger-$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
(cd "$work" && DATABASE_URL="sqlite://$work/ui.db" RUST_LOG=warn "$bin" seed --demo >/dev/null)
(
  cd "$work"
  DATABASE_URL="sqlite://$work/ui.db" BIND_ADDRESS="127.0.0.1:$port" METRICS_BIND_ADDRESS="127.0.0.1:0" \
    ADMIN_EMAIL="$CRESS_EMAIL" ADMIN_PASSWORD="$CRESS_PASSWORD" LOG_FORMAT=json RUST_LOG=warn \
    exec "$bin" serve > "$work/server.log" 2>&1
) &
server_pid=$!
for _ in $(seq 1 60); do
  if curl -fsS "$CRESS_URL/health/ready" >/dev/null 2>&1; then break; fi
  sleep 1
done
curl -fsS "$CRESS_URL/health/ready" >/dev/null || { cat "$work/server.log"; echo "the server did not start"; exit 1; }

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
