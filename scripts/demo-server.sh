# Sourced by scripts/clients-test.sh and scripts/swagger-ui-test.sh: `start_demo_server NAME`
# starts the release binary (CRESS_BIN, or built here) on a free port of 127.0.0.1, on a fresh
# SQLite file seeded with the demo data set, with a first administrator, and waits until it is
# ready. It sets `bin`, `work` (a temporary folder, removed on exit with the server stopped),
# `server_pid`, and exports CRESS_URL, CRESS_EMAIL, CRESS_PASSWORD and JWT_SECRET.

start_demo_server() {
  local name="$1" port
  if [ -n "${CRESS_BIN:-}" ]; then
    bin="$CRESS_BIN"
  else
    cargo build --release --locked --bin cress-api
    bin="$(cd "${CARGO_TARGET_DIR:-target}" && pwd)/release/cress-api"
  fi

  work="$(mktemp -d)"
  server_pid=""
  trap stop_demo_server EXIT

  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  export CRESS_URL="http://127.0.0.1:$port"
  export CRESS_EMAIL="admin@cress-occitanie.example" CRESS_PASSWORD="a long passphrase for the $name test"
  export JWT_SECRET
  JWT_SECRET="$name-$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
  (cd "$work" && DATABASE_URL="sqlite://$work/$name.db" RUST_LOG=warn "$bin" seed --demo >/dev/null)
  (
    cd "$work"
    DATABASE_URL="sqlite://$work/$name.db" BIND_ADDRESS="127.0.0.1:$port" METRICS_BIND_ADDRESS="127.0.0.1:0" \
      ADMIN_EMAIL="$CRESS_EMAIL" ADMIN_PASSWORD="$CRESS_PASSWORD" LOG_FORMAT=json RUST_LOG=warn \
      exec "$bin" serve > "$work/server.log" 2>&1
  ) &
  server_pid=$!
  for _ in $(seq 1 60); do
    if curl -fsS "$CRESS_URL/health/ready" >/dev/null 2>&1; then break; fi
    sleep 1
  done
  curl -fsS "$CRESS_URL/health/ready" >/dev/null || { cat "$work/server.log"; echo "the server did not start"; exit 1; }
}

stop_demo_server() {
  if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
