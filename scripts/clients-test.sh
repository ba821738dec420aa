#!/usr/bin/env bash
# Generated clients, as a Cress front-end and a mutuelle's integration engineer would make them
# from the committed OpenAPI document, run against a real server:
#
#   scripts/clients-test.sh
#
# 1. TypeScript: openapi-typescript generates the types, and scripts/clients/ts/roundtrip.ts
#    (openapi-fetch) must compile under `tsc --strict` with no cast, no `any` and no non-null
#    assertion; then it runs: log in, page the organisations with their total, create, change
#    with If-Match (and be refused with a stale one), read the change feed and the audit, delete.
# 2. Python: openapi-python-client must generate the client without a single warning; then
#    scripts/clients/python/roundtrip.py logs in (password, then client credentials), lists,
#    creates, changes with If-Match and deletes.
#
# The server: `$CRESS_BIN` if set, else the release binary (built if missing; `.ci/run` has
# built it already), on a free port and a fresh SQLite file holding the demo data, with a first
# administrator.
# Tools are pinned (scripts/clients/ts/package-lock.json, scripts/clients/requirements.txt) and
# installed under .cache/clients (CLIENTS_CACHE to move it).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
here="$root/scripts/clients"
cache="${CLIENTS_CACHE:-$root/.cache/clients}"

echo "== client generators (pinned) under $cache"
mkdir -p "$cache"
if [ ! -x "$cache/venv/bin/python" ]; then python3 -m venv "$cache/venv"; fi
if ! cmp -s "$here/requirements.txt" "$cache/venv/requirements.txt"; then
  "$cache/venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
  cp "$here/requirements.txt" "$cache/venv/requirements.txt"
fi
mkdir -p "$cache/ts"
if ! cmp -s "$here/ts/package-lock.json" "$cache/ts/package-lock.json" || [ ! -x "$cache/ts/node_modules/.bin/tsc" ]; then
  cp "$here/ts/package.json" "$here/ts/package-lock.json" "$cache/ts/"
  (cd "$cache/ts" && npm ci --no-audit --no-fund --loglevel=error)
fi

# The release binary on the demo data set, so that lists have pages to follow.
. scripts/demo-server.sh
start_demo_server clients
spec="$work/openapi.json"
curl -fsS "$CRESS_URL/api-docs/openapi.json" -o "$spec"
python3 -c 'import json, sys; sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' "$spec" openapi/openapi.json \
  || { echo "the served document differs from openapi/openapi.json"; exit 1; }

echo "== TypeScript: openapi-typescript, tsc --strict, the round trip"
ts="$work/ts"
mkdir -p "$ts"
cp "$here/ts/roundtrip.ts" "$here/ts/tsconfig.json" "$here/ts/package.json" "$ts/"
ln -s "$cache/ts/node_modules" "$ts/node_modules"
"$ts/node_modules/.bin/openapi-typescript" "$spec" -o "$ts/schema.d.ts"
# What the document promises must be usable as it is.
if grep -nE '\bas [A-Za-z{[]|<any>|: any\b|any\[\]|[]A-Za-z0-9_)]![.;,)[]|@ts-' "$here/ts/roundtrip.ts"; then
  echo "roundtrip.ts casts, uses any, asserts non-null or silences the compiler: the lines above"
  exit 1
fi
(cd "$ts" && node_modules/.bin/tsc -p .)
(cd "$ts/build" && echo '{"type": "module"}' > package.json && node roundtrip.js)

echo "== Python: openapi-python-client (no warning), the round trip"
py="$work/py"
mkdir -p "$py"
# The config sends the import's CSV and XLSX bodies as bytes (the generator knows no text/csv).
(cd "$py" && PATH="$cache/venv/bin:$PATH" "$cache/venv/bin/openapi-python-client" generate --path "$spec" \
  --meta none --config "$here/python/config.yml" --output-path cress_api_client > "$py/generate.log" 2>&1) \
  || { cat "$py/generate.log"; exit 1; }
cat "$py/generate.log"
if grep -qiE 'warning|skipp|unable|could not|error' "$py/generate.log"; then
  echo "openapi-python-client printed warnings (above)"
  exit 1
fi
(cd "$py" && PYTHONPATH="$py" "$cache/venv/bin/python" "$here/python/roundtrip.py")

echo "== both generated clients did their round trips"
