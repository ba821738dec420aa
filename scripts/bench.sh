#!/usr/bin/env bash
# Benchmarks on a register of ROWS organisations, on each backend named (sqlite, postgres):
#  1. the bulk import (POST /api/v1/organisations/import): ROWS valid organisations (Luhn-checked
#     SIRENs, every field filled) in one CSV request; prints rows per second and the server's
#     peak memory, beside the database's own floor (PostgreSQL: a COPY of the rows and their
#     change log into tables like the real ones, and one into a bare table; SQLite: the same
#     rows and change log inserted by SQLite itself into a freshly migrated database);
#  2. keyset paging: walks the whole organisations list 100 per page, and the change feed 200
#     per page, following next_cursor; prints the time of the first and of the last pages, which
#     should be the same at any depth (no OFFSET);
#  3. CSV and XLSX exports of the whole list (Accept: text/csv, then the XLSX media type): time,
#     rows, and the server's resident memory before and at its peak during each export, which
#     should not grow with ROWS (CSV is streamed page by page; XLSX rows go to a temporary file);
#     then the XLSX file imported back (every row read and checked, all known, so skipped), with
#     the server's memory while it reads the sheet.
#  4. reads: GET /api/v1/organisations/{id} (100 ids spread over the register) and the first
#     page of a filtered list (region_code and category, 50 items) with a viewer's token, by wrk
#     (CONNECTIONS=16 connections, DURATION=10 s, median of 3 rounds): requests per second, p50
#     and p99; on PostgreSQL, pgbench running the same SELECTs (-M prepared, as many
#     connections) on the same database, and the ratio of the two; on SQLite, a bare sqlx loop of
#     the same SELECT (examples/sqlite_bare_loop.rs) and the ratio;
#  5. memory under a mixed load: on a server started anew, a minute (MIXED_SECONDS) of reads,
#     pages, creations and changes by wrk, then the server's resident memory;
#  6. search at scale: q= pages and a page of region_code + category at 10,000 and at 1,000,000
#     organisations (SEARCH_SMALL, SEARCH_LARGE), and the same items on both backends;
#  7. cold start: process start to /health/ready on a fresh SQLite file (median of 5).
# The reads (2 to 5) run on a server restarted after the import, and the import reports the
# memory it left the server with. wrk is installed from Debian's packages if missing.
# Not part of the tests: timings on a shared machine are only indications.
#
#   scripts/bench.sh                 # SQLite
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres scripts/bench.sh sqlite postgres
#
# ROWS (default 100000) sets the size; PROFILE (default release) the cargo profile built;
# STEPS (default "exports reads mixed search") which steps run after the import and the list
# walk (which the others need), e.g. STEPS=mixed for the memory under load alone;
# BENCH_BIN a binary to measure instead of building one (to compare two builds).
# For PostgreSQL, BENCH_DATABASE_URL names a server where a database cress_bench_<pid> is
# created for the run and dropped after it.
set -euo pipefail
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

ROWS=${ROWS:-100000}
STEPS=" ${STEPS:-exports reads mixed search} "
CONNECTIONS=${CONNECTIONS:-16}
DURATION=${DURATION:-10}
PROFILE=${PROFILE:-release}
BACKENDS=("${@:-sqlite}")
SECRET="a benchmark secret that is long enough for HS256"

cd "$(dirname "$0")/.."
# The server, and the bare loop that reads SQLite without it (examples/sqlite_bare_loop.rs).
PROFILE_DIR=$([[ "$PROFILE" == "dev" ]] && echo debug || echo "$PROFILE")
if [[ -n "${BENCH_BIN:-}" ]]; then
    BIN="$BENCH_BIN"
    # The bare loop only for the reads (so that a given binary is measured as it is, without a
    # build of the working tree on the same cores).
    if [[ "$STEPS" == *" reads "* ]]; then cargo build --profile "$PROFILE" --quiet --example sqlite_bare_loop; fi
else
    cargo build --profile "$PROFILE" --quiet --bin cress-api --example sqlite_bare_loop
    BIN="${CARGO_TARGET_DIR:-target}/$PROFILE_DIR/cress-api"
fi
BARE_LOOP="${CARGO_TARGET_DIR:-target}/$PROFILE_DIR/examples/sqlite_bare_loop"

WORK=$(mktemp -d)
SERVER=""
PG_DB=""
cleanup() {
    if [[ -n "$SERVER" ]]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
    if [[ -n "$PG_DB" ]]; then psql "$BENCH_DATABASE_URL" -qc "drop database if exists $PG_DB" >/dev/null; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

python3 - "$ROWS" "$WORK/organisations.csv" <<'PY'
import sys
rows, path = int(sys.argv[1]), sys.argv[2]
def luhn(base):
    total = 0
    for i, ch in enumerate(reversed(base)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return base + str((10 - total % 10) % 10)
categories = ["association", "cooperative", "mutual", "foundation", "ess_company"]
regions = [("76", "34000", "Montpellier", "34172"), ("53", "35000", "Rennes", "35238"), ("11", "75011", "Paris", "75111")]
with open(path, "w", encoding="utf-8", newline="") as out:
    out.write("name;category;siren;siret;region_code;street;postal_code;city;commune_code;website;email;phone;description;founded_on\r\n")
    for n in range(rows):
        siren = luhn(f"{10000000 + n:08d}")
        siret = luhn(siren + "0001")
        region, postal, city, commune = regions[n % len(regions)]
        out.write(f"Structure de l'ESS n°{n};{categories[n % len(categories)]};{siren};{siret};{region};"
                  f"{n % 200 + 1} rue de la République;{postal};{city};{commune};https://structure-{n}.example/;"
                  f"contact@structure-{n}.example;04 67 00 {n % 100:02d} {n // 100 % 100:02d};"
                  f"\"Structure n°{n}; description avec séparateur\";{1950 + n % 70}-06-01\r\n")
PY
SIZE=$(wc -c <"$WORK/organisations.csv")
echo "generated $ROWS rows, $((SIZE / 1024)) KiB"

# Starts the server in the background (SERVER: its pid) and waits until it is ready.
start_server() {
    "$BIN" serve >>"$WORK/server-$backend.log" 2>&1 &
    SERVER=$!
    for _ in $(seq 1 100); do
        curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null && return
        sleep 0.1
    done
    echo "$backend: the server did not become ready" >&2; exit 1
}

# The median of three numbers (one per line on stdin).
median() { sort -g | sed -n 2p; }

# wrk for DURATION seconds at CONNECTIONS connections on `$1` (a Lua script's request): prints
# "req/s p50_ms p99_ms".
wrk_run() {
    wrk -t"$((CONNECTIONS < 2 ? 1 : 2))" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$1" "http://127.0.0.1:$PORT" >"$WORK/wrk.out"
    if grep -q "Non-2xx" "$WORK/wrk.out"; then cat "$WORK/wrk.out" >&2; echo "wrk: answers other than 2xx" >&2; exit 1; fi
    python3 - "$WORK/wrk.out" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(label):
    value, unit = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", text, re.M).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
print(f"{rate:.0f} {ms('50%'):.2f} {ms('99%'):.2f}")
PY
}

# The read benchmark (issue 14, target 1): GET one organisation by id with a viewer's token,
# then the first page of a filtered list, with wrk (CONNECTIONS connections, DURATION seconds,
# median of ROUNDS=3 rounds), against pgbench running the API's own SELECTs on the same database
# with as many connections (PostgreSQL only), and the ratio of the two.
reads() {
    local viewer columns get_lua list_lua
    viewer=$("$BIN" token --role viewer)
    columns="id, name, category, siren, siret, rna, legal_category_code, region_code, street, postal_code, city, commune_code, website, email, phone, description, founded_on, esus_status, esus_valid_until, created_at, updated_at, version"
    get_lua="$WORK/get.lua"; list_lua="$WORK/list.lua"
    cat >"$get_lua" <<LUA
local ids = {}
for line in io.lines("$WORK/ids.txt") do ids[#ids + 1] = line end
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/api/v1/organisations/" .. ids[math.random(#ids)], {["Authorization"] = "Bearer $viewer"})
end
LUA
    cat >"$list_lua" <<LUA
request = function()
  return wrk.format("GET", "/api/v1/organisations?region_code=76&category=association&limit=50", {["Authorization"] = "Bearer $viewer"})
end
LUA
    local name lua api pg ratio
    for name in get list; do
        lua="$WORK/$name.lua"
        # A first round unmeasured: the workers' pools open their connections.
        DURATION=2 wrk_run "$lua" >/dev/null
        api=$(for _ in 1 2 3; do wrk_run "$lua"; done | sort -g | sed -n 2p)
        echo "$backend: reads: $name: API $(awk '{printf "%s req/s, p50 %s ms, p99 %s ms", $1, $2, $3}' <<<"$api")"
        if [[ "$backend" == postgres ]]; then
            local scripts=()
            if [[ "$name" == get ]]; then
                local i=0
                while read -r id; do
                    i=$((i + 1))
                    echo "select $columns from organisations where id = '$id';" >"$WORK/pg-$i.sql"
                    scripts+=(-f "$WORK/pg-$i.sql")
                done <"$WORK/ids.txt"
            else
                echo "select $columns from organisations where true and region_code = '76' and category = 'association' order by name_search asc, id asc limit 51;" >"$WORK/pg-list.sql"
                scripts+=(-f "$WORK/pg-list.sql")
            fi
            pg=$(for _ in 1 2 3; do
                pgbench -n -M prepared -c "$CONNECTIONS" -j 2 -T "$DURATION" "${scripts[@]}" "$DATABASE_URL" 2>/dev/null \
                    | awk '/^tps/ {printf "%.0f\n", $3}'
            done | median)
            ratio=$(awk -v a="${api%% *}" -v p="$pg" 'BEGIN {printf "%.2f", a / p}')
            echo "$backend: reads: $name: pgbench on the same SELECT, $CONNECTIONS connections: $pg tps; ratio API/pgbench $ratio (target $( [[ $name == get ]] && echo 0.5 || echo 0.4 ))"
        elif [[ "$name" == get ]]; then
            local bare
            bare=$(for _ in 1 2 3; do
                "$BARE_LOOP" "${DATABASE_URL#sqlite://}" "$WORK/ids.txt" "$DURATION" "$CONNECTIONS" \
                    "select $columns from organisations where id = \$1"
            done | median)
            ratio=$(awk -v a="${api%% *}" -v b="$bare" 'BEGIN {printf "%.2f", a / b}')
            echo "$backend: reads: $name: a bare sqlx loop of the same SELECT, $CONNECTIONS connections: $bare q/s; ratio API/loop $ratio (printed)"
        fi
    done
}

# Memory under a mixed load (issue 14, target 2): on a server started anew (what the exports
# and the import before left in its allocator is not this load's), MIXED_SECONDS (default 60)
# of wrk at CONNECTIONS connections with an administrator's token, 7 requests in 10 reading one
# organisation, 1 a filtered page, 1 creating an organisation, 1 changing one (a merge patch);
# then the server's resident memory, against 40 MiB.
mixed() {
    local admin lua result rss
    kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
    start_server
    admin=$("$BIN" token --role admin)
    lua="$WORK/mixed.lua"
    cat >"$lua" <<LUA
local ids = {}
for line in io.lines("$WORK/ids.txt") do ids[#ids + 1] = line end
local auth = "Bearer $admin"
local n = 0
math.randomseed(os.time())
request = function()
  n = n + 1
  local id = ids[math.random(#ids)]
  local kind = n % 10
  if kind == 7 then
    return wrk.format("GET", "/api/v1/organisations?region_code=76&category=association&limit=50", {["Authorization"] = auth})
  elseif kind == 8 then
    local body = string.format('{"name": "Structure mixte %d", "category": "association", "region_code": "76", "city": "Montpellier"}', math.random(1000000000))
    return wrk.format("POST", "/api/v1/organisations", {["Authorization"] = auth, ["Content-Type"] = "application/json"}, body)
  elseif kind == 9 then
    local body = string.format('{"description": "Description revue n°%d"}', math.random(1000000000))
    return wrk.format("PATCH", "/api/v1/organisations/" .. id, {["Authorization"] = auth, ["Content-Type"] = "application/merge-patch+json"}, body)
  end
  return wrk.format("GET", "/api/v1/organisations/" .. id, {["Authorization"] = auth})
end
LUA
    result=$(DURATION=${MIXED_SECONDS:-60} wrk_run "$lua")
    rss=$(awk '/^VmRSS/ {printf "%d", $2 / 1024}' "/proc/$SERVER/status")
    echo "$backend: mixed load for ${MIXED_SECONDS:-60} s (7/10 GET by id, 1/10 filtered page, 1/10 POST, 1/10 PATCH): ${result%% *} req/s; server memory after it $rss MiB (target 40)"
}

# Search at scale (issue 14, target 4): on a database of its own, SEARCH_SMALL (10,000) then
# SEARCH_LARGE (1,000,000) organisations written straight into the tables (the same names on
# both backends, drawn from a fixed seed), the server restarted on each: the median time of a
# `q=` page for a rare key (a word that the same 20 organisations have at any size) and for a
# common one (two words, whose matches grow with the register), and of a page of
# region_code + category (wrk, one connection, median of 3 rounds), the large against the small
# (targets 1.5 for the rare key, 1.3 for region and category). The names on the pages are kept
# to be compared between the backends.
search_at_scale() {
    local viewer base_url small large
    small=${SEARCH_SMALL:-10000}; large=${SEARCH_LARGE:-1000000}
    case "$backend" in
        sqlite) DATABASE_URL="sqlite://$WORK/search.db" ;;
        postgres)
            psql "$BENCH_DATABASE_URL" -qc "create database ${PG_DB}_search" >/dev/null
            DATABASE_URL="${BENCH_DATABASE_URL%/*}/${PG_DB}_search"
            ;;
    esac
    "$BIN" migrate >>"$WORK/server-$backend.log" 2>&1
    viewer=$("$BIN" token --role viewer)
    declare -A pages=(
        [rare]="/api/v1/organisations?q=zephyr&limit=50"
        [common]="/api/v1/organisations?q=jardin%20lodeve&limit=50"
        [region_category]="/api/v1/organisations?region_code=76&category=association&limit=50"
    )
    local size from=0 name lua result
    for size in "$small" "$large"; do
        fill_organisations "$from" "$size"
        from=$size
        start_server
        for name in rare common region_category; do
            lua="$WORK/search-$name.lua"
            cat >"$lua" <<LUA
request = function()
  return wrk.format("GET", "${pages[$name]}", {["Authorization"] = "Bearer $viewer"})
end
LUA
            CONNECTIONS=1 DURATION=1 wrk_run "$lua" >/dev/null
            result=$(for _ in 1 2 3; do CONNECTIONS=1 DURATION=3 wrk_run "$lua"; done | sort -g -k2 | sed -n 2p)
            echo "$name $size $(awk '{print $2}' <<<"$result")" >>"$WORK/search-times-$backend"
            curl -sf -H "Authorization: Bearer $viewer" "http://127.0.0.1:$PORT${pages[$name]}" \
                | python3 -c 'import json, sys; print(json.dumps([o["name"] for o in json.load(sys.stdin)["items"]]))' \
                >"$WORK/search-$backend-$name-$size.json"
        done
        kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""
    done
    python3 - "$backend" "$WORK/search-times-$backend" "$WORK" "$small" "$large" <<'PY'
import json, sys
backend, path, work, small, large = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
times = {}
for line in open(path):
    name, size, ms = line.split()
    times[(name, size)] = float(ms)
# A common key has matches in proportion to the register (a hundred times more at a million):
# its page is printed, with no target.
for name, target in (("rare", "target 1.5"), ("common", "no target"), ("region_category", "target 1.3")):
    a, b = times[(name, small)], times[(name, large)]
    found = len(json.load(open(f"{work}/search-{backend}-{name}-{large}.json")))
    print(f"{backend}: search: {name} page, p50 {a:.2f} ms at {int(small):,} organisations, {b:.2f} ms at "
          f"{int(large):,} ({found} items); ratio {b / a:.2f} ({target})")
PY
    if [[ "$backend" == postgres ]]; then psql "$BENCH_DATABASE_URL" -qc "drop database ${PG_DB}_search" >/dev/null; fi
}

# Writes organisations number FROM to TO - 1 straight into the search database of `backend`
# (DATABASE_URL): the same rows on both backends (names drawn from a fixed seed, made of
# words, accents included, and the row's number), then has the database analyse them.
fill_organisations() {
    python3 - "$backend" "$DATABASE_URL" "$1" "$2" <<'PY'
import random, sys, unicodedata, uuid
backend, url, start, end = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
words = ["Association", "Mutuelle", "Coopérative", "Solidaire", "Amis", "Jardin", "Lodève", "Montpellier",
         "Quartier", "Sud", "Nord", "Culture", "Sport", "Épicerie", "Cœur", "Hérault", "Rennes", "Insertion"]
categories = ["association", "cooperative", "mutual", "foundation", "ess_company"]
regions = ["76", "11", "84", "93", "44", "32", "28", "27", "24", "53", "52", "75", "94"]

def key(name):
    letters = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)).lower()
    return " ".join("".join(c if c.isalnum() else " " for c in letters.replace("œ", "oe")).split())

def rows():
    for n in range(start, end):
        draw = random.Random(n)
        name = " ".join(draw.choice(words) for _ in range(3)) + f" {n}"
        if n < 20:
            # The rare key: the same 20 organisations at any size.
            name = f"Zéphyr {name}"
        yield uuid.UUID(int=draw.getrandbits(128)), name, key(name), categories[n % 5], regions[n % 13]

at = "2026-01-01T00:00:00+00:00"
if backend == "sqlite":
    import sqlite3
    db = sqlite3.connect(url.removeprefix("sqlite://"))
    db.executemany("insert into organisations (id, name, name_search, category, region_code, created_at, updated_at, version)"
                   " values (?, ?, ?, ?, ?, ?, ?, 1)",
                   ((i.bytes, name, folded, category, region, at, at) for i, name, folded, category, region in rows()))
    db.commit()
    db.execute("analyze")
    db.close()
else:
    import subprocess
    copy = subprocess.Popen(["psql", url, "-qc", r"\copy organisations (id, name, name_search, category, region_code, "
                             "created_at, updated_at, version) from stdin with (format csv)"], stdin=subprocess.PIPE, text=True)
    for i, name, folded, category, region in rows():
        copy.stdin.write(f"{i},{name},{folded},{category},{region},{at},{at},1\n")
    copy.stdin.close()
    if copy.wait() != 0:
        sys.exit("the rows could not be copied in")
    subprocess.run(["psql", url, "-qc", "analyze organisations"], check=True)
PY
}

# Cold start (issue 14, target 5): from the process's start to the first 200 of /health/ready
# on a fresh SQLite file (migrations included), median of 5 starts.
python3 - "$BIN" "$SECRET" <<'PY'
import os, socket, statistics, subprocess, sys, tempfile, time, urllib.request
binary, secret = sys.argv[1], sys.argv[2]
times = []
for _ in range(5):
    with tempfile.TemporaryDirectory() as folder:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {**os.environ, "DATABASE_URL": f"sqlite://{folder}/cold.db", "BIND_ADDRESS": f"127.0.0.1:{port}",
               "JWT_SECRET": secret, "RUST_LOG": "warn", "METRICS": "off"}
        start = time.perf_counter()
        server = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=1) as answer:
                        if answer.status == 200:
                            break
                except OSError:
                    time.sleep(0.002)
                if time.perf_counter() - start > 30:
                    sys.exit("cold start: the server did not become ready in 30 s")
            times.append(time.perf_counter() - start)
        finally:
            server.terminate()
            server.wait()
print(f"cold start on a fresh SQLite file: {statistics.median(times) * 1000:.0f} ms to /health/ready "
      f"(median of 5; target 300 ms)")
PY

for backend in "${BACKENDS[@]}"; do
    case "$backend" in
        sqlite) DATABASE_URL="sqlite://$WORK/bench.db" ;;
        postgres)
            : "${BENCH_DATABASE_URL:?set BENCH_DATABASE_URL to a PostgreSQL server to benchmark on}"
            PG_DB="cress_bench_$$"
            psql "$BENCH_DATABASE_URL" -qc "create database $PG_DB" >/dev/null
            DATABASE_URL="${BENCH_DATABASE_URL%/*}/$PG_DB"
            ;;
        *) echo "unknown backend $backend (sqlite or postgres)" >&2; exit 2 ;;
    esac
    PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    export DATABASE_URL JWT_SECRET="$SECRET" BIND_ADDRESS="127.0.0.1:$PORT" REQUEST_TIMEOUT_SECONDS=600 \
        IMPORT_MAX_BYTES=$((SIZE + 1024)) RUST_LOG=warn METRICS=off
    start_server
    TOKEN=$("$BIN" token --role admin)
    TIME=$(curl -sS -o "$WORK/report.json" -w '%{time_total}' \
        -H "Authorization: Bearer $TOKEN" -H "Content-Type: text/csv" \
        --data-binary "@$WORK/organisations.csv" "http://127.0.0.1:$PORT/api/v1/organisations/import")
    python3 - "$backend" "$ROWS" "$TIME" "$WORK/report.json" "$SERVER" <<'PY'
import json, sys
backend, rows, seconds, report, pid = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
body = json.load(open(report))
if body.get("created") != rows:
    sys.exit(f"{backend}: the import did not create every row: {json.dumps(body)[:500]}")
with open(f"/proc/{pid}/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(f"{backend}: {rows} rows imported in {seconds:.2f} s: {rows / seconds:,.0f} rows/s; "
      f"server memory at most {peak // 1024} MiB")
PY
    if [[ "$backend" == sqlite ]]; then
        # The database's own floor for what the import writes: the same organisations and their
        # change-log rows inserted by SQLite itself (INSERT … SELECT from the imported file) into
        # a database migrated like the real one (its indexes, the trigram search table and the
        # triggers that keep it), with the server's pragmas, in one transaction.
        DATABASE_URL="sqlite://$WORK/floor.db" "$BIN" migrate >/dev/null
        python3 - "$ROWS" "$TIME" "$WORK/floor.db" "$WORK/bench.db" <<'PY'
import sqlite3, sys, time
rows, api, floor, imported = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4]
db = sqlite3.connect(floor, isolation_level=None)
for pragma in ("journal_mode = wal", "synchronous = normal", "foreign_keys = on", "cache_size = -512"):
    db.execute(f"pragma {pragma}")
db.execute("attach database ? as imported", (imported,))
start = time.perf_counter()
db.execute("begin immediate")
db.execute("insert into organisations select * from imported.organisations")
db.execute("insert into record_changes select * from imported.record_changes where resource = 'organisation'")
db.execute("commit")
seconds = time.perf_counter() - start
print(f"sqlite: the same {rows} rows and their change-log rows inserted by SQLite into tables like the real "
      f"ones (indexes, search table): {seconds:.2f} s ({rows / seconds:,.0f} rows/s); the import took "
      f"{api / seconds:.1f} times as long")
PY
    fi
    if [[ "$backend" == postgres ]]; then
        # The same rows copied by PostgreSQL itself into a bare table (no index, no change log):
        # the floor the import is compared with (target: within 10 times).
        psql "$DATABASE_URL" -qc "\copy (select * from organisations) to '$WORK/organisations.copy'"
        psql "$DATABASE_URL" -qc "create table bare_organisations (like organisations)"
        COPY_START=$(date +%s.%N)
        psql "$DATABASE_URL" -qc "\copy bare_organisations from '$WORK/organisations.copy'"
        COPY_TIME=$(awk -v start="$COPY_START" -v end="$(date +%s.%N)" 'BEGIN {print end - start}')
        psql "$DATABASE_URL" -qc "drop table bare_organisations"
        awk -v rows="$ROWS" -v api="$TIME" -v copy="$COPY_TIME" 'BEGIN {
            printf "postgres: COPY of the same %d rows into a bare table: %.2f s (%d rows/s); the import took %.1f times as long (target 10)\n",
                rows, copy, rows / copy, api / copy }'
        # The database's own floor for what the import writes: the same organisations and their
        # change-log rows copied by PostgreSQL into tables like the real ones, with their indexes
        # (the trigram index of the name search among them) and constraints.
        psql "$DATABASE_URL" -qc "\copy (select * from record_changes where resource = 'organisation') to '$WORK/changes.copy'"
        psql "$DATABASE_URL" -qc "create table floor_organisations (like organisations including all)" \
            -c "create table floor_changes (like record_changes including all)"
        FLOOR_START=$(date +%s.%N)
        psql "$DATABASE_URL" -q -c "begin" -c "\copy floor_organisations from '$WORK/organisations.copy'" \
            -c "\copy floor_changes from '$WORK/changes.copy'" -c "commit"
        FLOOR_TIME=$(awk -v start="$FLOOR_START" -v end="$(date +%s.%N)" 'BEGIN {print end - start}')
        psql "$DATABASE_URL" -qc "drop table floor_organisations" -c "drop table floor_changes"
        awk -v rows="$ROWS" -v api="$TIME" -v copy="$FLOOR_TIME" 'BEGIN {
            printf "postgres: COPY of the same %d rows and their change-log rows into tables like the real ones (indexes, constraints): %.2f s (%d rows/s); the import took %.1f times as long\n",
                rows, copy, rows / copy, api / copy }'
    fi
    # A new process for the reads, so that its memory is not what the import left behind.
    kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
    start_server
    python3 - "$backend" "$ROWS" "$PORT" "$TOKEN" "$SERVER" "$WORK" "$STEPS" <<'PY'
import csv, http.client, io, json, statistics, sys, threading, time, zipfile
backend, rows, port, token, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
headers = {"Authorization": f"Bearer {token}"}
conn = http.client.HTTPConnection("127.0.0.1", port)

def get(path, accept="application/json"):
    conn.request("GET", path, headers={**headers, "Accept": accept})
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        sys.exit(f"{backend}: GET {path}: {response.status} {body[:300]!r}")
    return body

ids = []

def walk(path, limit, cursor_param):
    """Every page of a list, following next_cursor; the time of each page in ms, and the items
    (the organisations' ids kept in `ids`)."""
    times, items, cursor = [], 0, None
    while True:
        query = f"{path}?limit={limit}" + (f"&{cursor_param}={cursor}" if cursor else "")
        start = time.perf_counter()
        page = json.loads(get(query))
        times.append((time.perf_counter() - start) * 1000)
        items += len(page["items"])
        if path.endswith("/organisations"):
            ids.extend(item["id"] for item in page["items"])
        cursor = page.get("next_cursor")
        if not page.get("has_more", cursor is not None) or not cursor or not page["items"]:
            return times, items

def report(name, times, items):
    first, last = statistics.median(times[:20]), statistics.median(times[-20:])
    print(f"{backend}: {name}: {len(times)} pages, {items} items; median of the first 20 pages "
          f"{first:.1f} ms, of the last 20 {last:.1f} ms")

times, items = walk("/api/v1/organisations", 100, "cursor")
if items != rows:
    sys.exit(f"{backend}: the list walk saw {items} organisations, not {rows}")
report("organisations list, 100 per page", times, items)
# 100 organisations spread over the register, for the read benchmark.
with open(f"{sys.argv[6]}/ids.txt", "w") as out:
    out.write("\n".join(ids[:: max(1, len(ids) // 100)][:100]) + "\n")
times, items = walk("/api/v1/changes", 200, "after")
report("change feed, 200 per page", times, items)

def rss_kib():
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))

def measured(action):
    """Runs `action`, sampling the server's memory: its result, seconds, and the memory (KiB)
    before and at most during it."""
    before, peak, done = rss_kib(), [0], threading.Event()
    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_kib())
            time.sleep(0.02)
    sampler = threading.Thread(target=sample)
    sampler.start()
    start = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    return result, seconds, before, peak[0]

def export(accept, label, count):
    """Downloads the whole organisations list as `accept`, sampling the server's memory."""
    body, seconds, before, peak = measured(lambda: get("/api/v1/organisations", accept=accept))
    exported = count(body)
    if exported != rows:
        sys.exit(f"{backend}: the {label} export holds {exported} rows, not {rows}")
    print(f"{backend}: {label} export of {exported} organisations ({len(body) // 1024} KiB) in {seconds:.2f} s; "
          f"server memory {before // 1024} MiB before, {peak // 1024} MiB at most during the export")
    return body

def csv_rows(body):
    return len(list(csv.reader(io.StringIO(body.decode("utf-8"))))) - 1

def xlsx_rows(body):
    with zipfile.ZipFile(io.BytesIO(body)) as book:
        return book.read("xl/worksheets/sheet1.xml").count(b"<row ") - 1

if " exports " not in sys.argv[7]:
    sys.exit(0)
export("text/csv", "CSV", csv_rows)
workbook = export("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX", xlsx_rows)

# The workbook imported back: every row is read from the sheet and checked, and found known
# (skipped), so this measures reading a 100,000-row XLSX import, not writing it.
def import_workbook():
    conn.request("POST", "/api/v1/organisations/import?on_conflict=skip", body=workbook, headers={
        **headers, "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
    response = conn.getresponse()
    return response.status, json.loads(response.read())
(status, report), seconds, before, peak = measured(import_workbook)
if status != 200 or report["skipped"] != rows:
    sys.exit(f"{backend}: the XLSX import answered {status}: {report}")
print(f"{backend}: XLSX import of the export ({len(workbook) // 1024} KiB, {rows} rows read, all known) in "
      f"{seconds:.2f} s; server memory {before // 1024} MiB before, {peak // 1024} MiB at most during it")
PY
    if [[ "$STEPS" == *" reads "* ]]; then reads; fi
    if [[ "$STEPS" == *" mixed "* ]]; then mixed; fi
    kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""
    if [[ "$STEPS" == *" search "* ]]; then search_at_scale; fi
    if [[ -n "$PG_DB" ]]; then psql "$BENCH_DATABASE_URL" -qc "drop database $PG_DB" >/dev/null; PG_DB=""; fi
done

# The same names on the `q=` pages of both backends (search target 4: identical results).
if [[ ${#BACKENDS[@]} -gt 1 && "$STEPS" == *" search "* ]]; then
    for page in "$WORK"/search-"${BACKENDS[0]}"-*.json; do
        other="${page/search-${BACKENDS[0]}-/search-${BACKENDS[1]}-}"
        if cmp -s "$page" "$other"; then
            echo "search: $(basename "$page" .json | cut -d- -f3-): the same items on ${BACKENDS[0]} and ${BACKENDS[1]}"
        else
            echo "search: $(basename "$page" .json | cut -d- -f3-): the items differ between ${BACKENDS[0]} and ${BACKENDS[1]}" >&2
            exit 1
        fi
    done
fi
