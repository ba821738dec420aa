#!/usr/bin/env bash
# Contract tests: the OpenAPI document is the truth, checked by tools nobody on the team wrote.
#
#   scripts/contract-test.sh [sqlite|postgres|all]    (default: sqlite)
#
# For each backend: builds the server (debug), starts `cress-api serve` on 127.0.0.1 with a free
# port on a fresh database (SQLite: a temporary file; PostgreSQL: a database created on the local
# server, `CONTRACT_PG_URL`, and dropped at the end), then runs schemathesis against the served
# /api-docs/openapi.json twice, anonymous and as an administrator (a token from
# `cress-api token --role admin`, signed with the server's JWT_SECRET), with every check and every
# phase (examples, coverage, fuzzing, stateful). Then the committed spec must validate under
# openapi-spec-validator and lint clean under Redocly CLI's recommended rules
# (scripts/contract/redocly.yaml explains each rule it sets).
#
# The tools are pinned (scripts/contract/requirements.txt, scripts/contract/package-lock.json) and
# installed under .cache/contract (ignored by git; CONTRACT_CACHE to move it).
# Knobs: CONTRACT_EXAMPLES (test cases per operation and phase, default 30), CONTRACT_SEED
# (default: fixed, so that CI is reproducible; `random` for a new one each run),
# CONTRACT_PG_URL (default postgres://postgres@127.0.0.1:5432).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
here="$root/scripts/contract"

backends="${1:-sqlite}"
case "$backends" in
  sqlite | postgres) ;;
  all) backends="sqlite postgres" ;;
  *) echo "usage: $0 [sqlite|postgres|all]" >&2; exit 2 ;;
esac

cache="${CONTRACT_CACHE:-$root/.cache/contract}"
examples="${CONTRACT_EXAMPLES:-30}"
seed="${CONTRACT_SEED:-20261126}"
if [ "$seed" = random ]; then seed="$(python3 -c 'import random; print(random.randrange(2**31))')"; fi
pg_url="${CONTRACT_PG_URL:-postgres://postgres@127.0.0.1:5432}"

echo "== contract tools (pinned) under $cache"
mkdir -p "$cache"
if [ ! -x "$cache/venv/bin/python" ]; then python3 -m venv "$cache/venv"; fi
if ! cmp -s "$here/requirements.txt" "$cache/venv/requirements.txt"; then
  "$cache/venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
  cp "$here/requirements.txt" "$cache/venv/requirements.txt"
fi
mkdir -p "$cache/node"
if ! cmp -s "$here/package-lock.json" "$cache/node/package-lock.json" || [ ! -x "$cache/node/node_modules/.bin/redocly" ]; then
  cp "$here/package.json" "$here/package-lock.json" "$cache/node/"
  (cd "$cache/node" && npm ci --no-audit --no-fund --loglevel=error)
fi
"$cache/venv/bin/schemathesis" --version

status=0
echo "== the committed spec: openapi-spec-validator"
"$cache/venv/bin/openapi-spec-validator" openapi/openapi.json || status=1

echo "== the committed spec: Redocly CLI lint (recommended rules, scripts/contract/redocly.yaml)"
(cd "$here" && NO_UPDATE_NOTIFIER=1 REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
  "$cache/node/node_modules/.bin/redocly" lint --config redocly.yaml --max-problems 1000 "$root/openapi/openapi.json") || status=1

echo "== build the server (debug)"
cargo build --locked --bin cress-api
bin="$(cd "${CARGO_TARGET_DIR:-target}" && pwd)/debug/cress-api"

work="$(mktemp -d)"
server_pid=""
pg_db=""
cleanup() {
  if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [ -n "$pg_db" ]; then psql "$pg_url/postgres" -qc "drop database if exists \"$pg_db\" with (force)" >/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# One run of schemathesis. $1: a label, then extra arguments (the admin header).
schemathesis_run() {
  local label="$1"
  shift
  echo "== schemathesis on $backend, $label (seed $seed, $examples examples per operation)"
  # The hooks module (scripts/contract/cress_contract_hooks.py) documents its one narrow filter.
  (cd "$here" && PYTHONPATH="$here" SCHEMATHESIS_HOOKS=cress_contract_hooks \
    "$cache/venv/bin/schemathesis" --config-file schemathesis.toml run "$base/api-docs/openapi.json" \
    --checks all --phases examples,coverage,fuzzing,stateful --max-examples "$examples" --seed "$seed" \
    --generation-database none --no-color "$@") || {
    echo "schemathesis found failures on $backend ($label); the server log is below"
    tail -n 50 "$work/server.log"
    return 1
  }
}

for backend in $backends; do
  port="$(free_port)"
  base="http://127.0.0.1:$port"
  case "$backend" in
    sqlite)
      rm -f "$work"/contract.db*
      database_url="sqlite://$work/contract.db"
      ;;
    postgres)
      pg_db="contract_$(python3 -c 'import uuid; print(uuid.uuid4().hex)')"
      psql "$pg_url/postgres" -qc "create database \"$pg_db\"" >/dev/null
      database_url="$pg_url/$pg_db"
      ;;
  esac
  export DATABASE_URL="$database_url" BIND_ADDRESS="127.0.0.1:$port" METRICS_BIND_ADDRESS="127.0.0.1:0"
  export JWT_SECRET
  JWT_SECRET="contract-$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
  # Cheap password hashes: schemathesis creates users; the cost is not what is tested here.
  export PASSWORD_HASH_MEMORY_KIB=64 PASSWORD_HASH_ITERATIONS=1 LOG_FORMAT=json RUST_LOG=warn
  (cd "$work" && exec "$bin" serve > "$work/server.log" 2>&1) &
  server_pid=$!
  ready=no
  for _ in $(seq 1 60); do
    if curl -fsS "$base/health/ready" >/dev/null 2>&1; then ready=yes; break; fi
    sleep 1
  done
  if [ "$ready" != yes ]; then cat "$work/server.log"; echo "the server did not start on $backend"; exit 1; fi
  admin_token="$("$bin" token --role admin --sub contract-test --ttl 3600)"

  schemathesis_run anonymous || status=1
  schemathesis_run admin -H "Authorization: Bearer $admin_token" || status=1

  # Any error the server logged is a failure, except actix's own note that a client sent a
  # header it cannot parse (schemathesis does, on purpose), which actix answers 400 itself.
  errors="$(grep '"level":"ERROR"' "$work/server.log" | grep -v '"target":"actix_http::h1::dispatcher"' || true)"
  if [ -n "$errors" ]; then
    echo "the server logged errors on $backend:"; echo "$errors" | head -n 20
    status=1
  fi
  kill -TERM "$server_pid"
  wait "$server_pid" || true
  server_pid=""
  if [ -n "$pg_db" ]; then psql "$pg_url/postgres" -qc "drop database \"$pg_db\" with (force)" >/dev/null; pg_db=""; fi
done

if [ "$status" != 0 ]; then echo "contract tests failed"; exit 1; fi
echo "contract tests passed ($backends)"
