#!/usr/bin/env bash
# API benchmarks on a generated dataset, each beside the same SQL through pgbench, in one run.
#
#   bench/run.sh [MOVES]      default 1000000 (with MOVES/10 researchers, 2000 companies)
#   DURATION=20 CONCURRENCY=16 bench/run.sh 1000000
#   TALENTFLOW_BIN=/path/to/talentflow bench/run.sh   another build
#   COMPARE_REV=1b38862 bench/run.sh 1000000   side by side with that commit's build
#   ROUNDS=3 (default)   with COMPARE_REV: alternating rounds per endpoint, medians reported
#   SQL_DIR=/tmp/sql bench/run.sh   also keeps the captured pgbench scripts there
#   MODE=replicas bench/run.sh 200000   one process on the primary beside two processes reading
#                                      from a streaming replica (below), and the rate limiter's cost
#   SEARCH_CONCURRENCY=8 (default)   connections for the search rows
#
# By default the run starts with E1 beside its ceilings (bench/ceiling.sh): the bare axum+sqlx
# server of bench/bare.rs and pgbench, with wrk and with oha (installed with cargo when
# missing), and the CPU per request of the server and of Postgres. The other endpoints are
# loaded on the busiest company (the most moves, from and to) and on the median one, on the
# project with the largest roster, and search on the queries a user of such data types: the
# most common surname alone, a full name with a typo, words that hundreds of companies share
# ("ai", "university") and a miss.
#
# MODE=replicas copies the filled database with pg_basebackup -R into a hot standby on the same
# machine, then loads E1 and flows in alternating rounds (medians of ROUNDS) on: one process on
# the primary alone; two processes with DATABASE_READ_URL on the replica, each loaded by its own
# wrk with half the connections (req/s summed, the worse p50/p99); and one process with rate
# limits on (at 1,000,000/s, so nothing is refused and the buckets in Postgres are used). The
# pgbench line is the limiter's statement alone, its cost when every request must take a token.
#
# With COMPARE_REV, that commit is built too (in a git worktree under target/, with its own
# target directory, kept for the next run) and fills a second database of the same Postgres
# with its own migrations and `gen`
# (the same seed, so the same data; checked); each endpoint is loaded on both servers in turn,
# and the table gives both builds' numbers and their ratio instead of the pgbench columns.
#
# As in press data, some moves are known only to a month or a year: after `gen`, 15 % of the
# moves are made month-precision and 5 % year-precision (chosen by id, the same in every run).
#
# Starts a private Postgres, fills it with `talentflow gen`, serves it with the release build,
# loads it with wrk at fixed concurrency, runs pgbench -M prepared on the same statements, and
# prints a Markdown table (req/s, p50, p99, API/pgbench ratio, the server's peak RSS
# under each row's load) for BENCHMARKS.md.
#
# The pgbench statements are captured, not kept: before the measured server starts, a server of
# the same build, whose sessions alone log every statement (log_statement = 'all' set for the
# role in that database while it runs), answers one request to each endpoint that has a SQL
# ceiling (after one that warms its connection), and bench/capture.py turns the statements that
# request logged into $work/sql/NAME.sql: in order, transaction control included, the bind
# parameters' values substituted as literals, the driver's type look-ups skipped. The ceiling
# is then always the code's own SQL with the request's own values; hand-kept copies drifted.
# Each script is run once through psql before use. Statement logging is off again before the
# measured server connects. With COMPARE_REV nothing is captured (no pgbench columns).
set -euo pipefail
cd "$(dirname "$0")/.."
moves=${1:-1000000}
researchers=$((moves / 10))
duration=${DURATION:-20}
concurrency=${CONCURRENCY:-16}
rounds=${ROUNDS:-3}

if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y -qq wrk >/dev/null; else echo "install wrk (apt-get install wrk)" >&2; exit 1; fi
fi
export PATH="$HOME/.cargo/bin:$PATH"
command -v oha >/dev/null || cargo install --locked --quiet oha
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
compare_rev=${COMPARE_REV:-}
work=$(mktemp -d /tmp/talentflow-bench-XXXXXX)
if [ -n "$compare_rev" ]; then
  # Kept in a fixed place, so that cargo's cache of that build serves the next run too.
  compare_src=$PWD/target/bench-compare-src
  if [ "$(git -C "$compare_src" rev-parse HEAD 2>/dev/null)" != "$(git rev-parse "$compare_rev^{commit}")" ]; then
    git worktree remove --force "$compare_src" 2>/dev/null || rm -rf "$compare_src"
    git worktree prune
    git worktree add --detach -f "$compare_src" "$compare_rev" >/dev/null
  fi
  # Its own target directory: the two builds are the same package at another path, and in one
  # target directory their artifacts and fingerprints collide, so that one build can be taken
  # for the other ("Fresh") and both servers run the same binary.
  CARGO_TARGET_DIR="$PWD/target/bench-compare" cargo build --release --quiet --manifest-path "$compare_src/Cargo.toml"
  cp target/bench-compare/release/talentflow "$work/compare-bin"
fi
if [ -n "${TALENTFLOW_BIN:-}" ]; then
  bin=$TALENTFLOW_BIN
else
  cargo build --release --quiet --bin talentflow --example bare
  bin=$PWD/target/release/talentflow
fi
if [ -n "$compare_rev" ] && cmp -s "$bin" "$work/compare-bin" \
  && [ "$(git rev-parse "$compare_rev^{commit}")" != "$(git rev-parse HEAD)" ]; then
  echo "the build of $compare_rev and this build are the same binary; refusing to compare" >&2
  exit 1
fi

chmod 755 "$work"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$work"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pgport=$(free_port)
apiport=$(free_port)
server=""
compare_server=""
cleanup() {
  for pid in $server $compare_server; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
  as_pg "$pgbin/pg_ctl" -D "$work/pg" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

as_pg "$pgbin/initdb" -D "$work/pg" -U bench --auth=trust --no-locale -E UTF8 >/dev/null
as_pg "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w start \
  -o "-p $pgport -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c shared_buffers=512MB -c max_connections=100 -c jit=off -c log_line_prefix='%m [%p] app=%a '" >/dev/null
export DATABASE_URL="postgres://bench@127.0.0.1:$pgport/postgres"
psql() { "$pgbin/psql" -X -q -At "$DATABASE_URL" "$@"; }

# fill BIN DATABASE_URL: migrates and generates the dataset with that build.
fill() {
  DATABASE_URL="$2" TALENTFLOW_LOG=warn "$1" migrate
  DATABASE_URL="$2" TALENTFLOW_LOG=warn "$1" gen --companies 2000 --researchers "$researchers" --moves "$moves" --seed 42 2>/dev/null
  "$pgbin/psql" -X -q "$2" -c "UPDATE moves SET effective_on = date_trunc('month', effective_on)::date, effective_precision = 'month'
            WHERE abs(hashtext(id::text)) % 100 BETWEEN 0 AND 14;
            UPDATE moves SET effective_on = date_trunc('year', effective_on)::date, effective_precision = 'year'
            WHERE abs(hashtext(id::text)) % 100 BETWEEN 15 AND 19;"
  "$pgbin/psql" -X -q "$2" -c "VACUUM ANALYZE"
}
# A digest of the moves, to check that two builds serve the same data.
digest() { "$pgbin/psql" -X -q -At "$1" -c "SELECT count(*), sum(hashtext(from_company_id::text || to_company_id::text || effective_on || effective_precision)) FROM moves"; }
gen_start=$(date +%s.%N)
fill "$bin" "$DATABASE_URL"
gen_seconds=$(python3 -c "import time; print(f'{time.time() - $gen_start:.0f}')")
if [ -n "$compare_rev" ]; then
  psql -c "CREATE DATABASE compare"
  compare_url="postgres://bench@127.0.0.1:$pgport/compare"
  fill "$work/compare-bin" "$compare_url"
  [ "$(digest "$DATABASE_URL")" = "$(digest "$compare_url")" ] || echo "warning: the two builds generated different data" >&2
fi

# serve BIN DATABASE_URL PORT: starts a server in the background; its pid is in $!.
serve() {
  TALENTFLOW_RATE_LIMIT=0 TALENTFLOW_LOG=error TALENTFLOW_BIND="127.0.0.1:$3" TALENTFLOW_DB_MAX_CONNECTIONS="$concurrency" \
    DATABASE_URL="$2" "$1" serve &
}
wait_ready() { for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$1/readyz" >/dev/null && return; sleep 0.2; done; echo "server on $1 not ready" >&2; exit 1; }
if [ -n "$compare_rev" ]; then
  compare_port=$(free_port)
  serve "$work/compare-bin" "$compare_url" "$compare_port"
  compare_server=$!
  wait_ready "$compare_port"
fi

rid=$(psql -c "SELECT id FROM researchers ORDER BY id LIMIT 1 OFFSET (SELECT count(*) / 2 FROM researchers)")
busiest_researcher=$(psql -c "SELECT researcher_id FROM moves GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
# Companies by their moves, from and to: the busiest, and the median one.
read -r company median_company <<<"$(psql -F ' ' -c "
  WITH ranked AS (SELECT c.slug, row_number() OVER (ORDER BY n DESC, c.slug) AS place, count(*) OVER () AS companies
                  FROM (SELECT company, count(*) AS n FROM (SELECT from_company_id AS company FROM moves
                                                             UNION ALL SELECT to_company_id FROM moves) sides
                        WHERE company IS NOT NULL GROUP BY company) counted JOIN companies c ON c.id = counted.company)
  SELECT (SELECT slug FROM ranked WHERE place = 1), (SELECT slug FROM ranked WHERE place = companies / 2 + 1)")"
project=$(psql -c "SELECT p.slug FROM projects p JOIN project_contributors pc ON pc.project_id = p.id GROUP BY p.slug ORDER BY count(*) DESC, p.slug LIMIT 1")
# Search terms: the most common surname, a real full name with two letters of its surname
# swapped, words companies share, and a word nobody has.
surname=$(psql -c "SELECT split_part(name, ' ', -1) FROM researchers GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
typo_name=$(psql -c "SELECT name FROM researchers WHERE name NOT LIKE '%.%' ORDER BY id LIMIT 1 OFFSET 777" \
  | python3 -c "import sys; n = sys.stdin.read().strip(); i = n.rindex(' ') + 2; print(n[:i] + n[i + 1] + n[i] + n[i + 2:])")
urlq() { python3 -c "import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))" "$1"; }
search_concurrency=${SEARCH_CONCURRENCY:-8}
# The endpoints with a SQL ceiling (their statements are captured).
e1_path="researchers/$rid"
e2_path="moves?company=$company&limit=50"
e3_flows_path="flows"
e3_balance_path="companies/$company/balance"

# capture NAME PATH: the statements of one GET /v1/PATH, as the pgbench script $work/sql/NAME.sql.
capture() {
  curl -sf -o /dev/null "http://127.0.0.1:$apiport/v1/$2" || { echo "capture: GET /v1/$2 failed" >&2; exit 1; }
  local offset
  offset=$(stat -c %s "$work/pg.log")
  curl -sf -o /dev/null "http://127.0.0.1:$apiport/v1/$2" || { echo "capture: GET /v1/$2 failed" >&2; exit 1; }
  # A connection goes back to the pool (flushing a pending rollback) just after the response.
  sleep 0.5
  # src/db/mod.rs names the server's sessions "talentflow"; psql's own are left out.
  python3 bench/capture.py "$work/pg.log" "$offset" talentflow > "$work/sql/$1.sql"
  "$pgbin/psql" -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" -f "$work/sql/$1.sql" >/dev/null \
    || { echo "capture: $work/sql/$1.sql does not run" >&2; exit 1; }
}
replicas_mode=$([ "${MODE:-}" = replicas ] && echo 1 || true)
if [ -z "$compare_rev" ] && [ -z "$replicas_mode" ]; then
  mkdir "$work/sql"
  psql -c "ALTER ROLE bench IN DATABASE postgres SET log_statement = 'all'"
  serve "$bin" "$DATABASE_URL" "$apiport"
  server=$!
  wait_ready "$apiport"
  capture e1_researcher "$e1_path"
  capture e2_moves_by_company "$e2_path"
  capture e3_flows "$e3_flows_path"
  capture e3_balance "$e3_balance_path"
  kill "$server" && wait "$server" || true
  server=""
  psql -c "ALTER ROLE bench IN DATABASE postgres RESET log_statement"
  if [ -n "${SQL_DIR:-}" ]; then mkdir -p "$SQL_DIR" && cp "$work"/sql/*.sql "$SQL_DIR"/; fi
fi

if [ -z "$replicas_mode" ]; then
  serve "$bin" "$DATABASE_URL" "$apiport"
  server=$!
  wait_ready "$apiport"
fi

# wrk: requests/s, p50 and p99 in ms, non-2xx responses.
load() {
  local out
  out=$(mktemp -p "$work" wrk.XXXXXX)
  wrk -t2 -c"$concurrency" -d"${duration}s" --timeout 60s --latency "$1" > "$out"
  python3 bench/load_report.py wrk "$out" | cut -d' ' -f1-4
}
# pgbench on the captured statements ($work/sql/NAME.sql): transactions/s, p50 and p99 in ms
# (from the per-transaction log).
bench_sql() {
  (cd "$work" && rm -f pgbench_log.* && "$pgbin/pgbench" -n -M prepared -c"$concurrency" -j2 -T"$duration" -l \
      -f "$work/sql/$1.sql" "$DATABASE_URL" > "$work/pgbench.txt" 2>&1)
  python3 - "$work" <<'PY'
import glob, re, sys
work = sys.argv[1]
out = open(f"{work}/pgbench.txt").read()
found = re.search(r"tps = ([\d.]+)", out)
if not found:
    sys.exit("pgbench failed:\n" + out)
tps = float(found.group(1))
lat = sorted(int(line.split()[2]) / 1000 for f in glob.glob(f"{work}/pgbench_log.*") for line in open(f))
print(f"{tps:.0f} {lat[len(lat)//2]:.2f} {lat[int(len(lat)*0.99)]:.2f}")
PY
}
# The median of each column of lines of numbers: req/s, p50, p99, then non-2xx (their sum), then
# whole numbers.
median() {
  python3 -c '
import statistics, sys
rows = [line.split() for line in sys.argv[1].strip().splitlines()]
cols = list(zip(*rows))
m = [statistics.median(float(v) for v in col) for col in cols]
out = [f"{m[0]:.0f}", f"{m[1]:.2f}", f"{m[2]:.2f}", str(sum(int(v) for v in cols[3]))] + [f"{v:.0f}" for v in m[4:]]
print(" ".join(out))' "$1"
}
rss() { awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
# peak_since PID: the process's peak RSS in MB since the last call (or its start), then starts
# a new peak (writing 5 to clear_refs resets VmHWM), so that each row reports its own peak; the
# run's peak is kept in peak_rss_PID.
peak_since() {
  local mb
  mb=$(rss "$1")
  echo 5 > "/proc/$1/clear_refs"
  local overall="peak_rss_$1"
  [ "${!overall:-0}" -ge "$mb" ] || printf -v "$overall" %s "$mb"
  last_peak=$mb
}

if [ -n "$replicas_mode" ]; then
  source bench/replicas.sh
  exit 0
fi

if [ -z "$compare_rev" ]; then
  source bench/ceiling.sh
fi
if [ -n "$compare_rev" ]; then
  echo "| endpoint | $compare_rev req/s | p50 ms | p99 ms | peak RSS MB | this build req/s | p50 ms | p99 ms | peak RSS MB | p50 this ÷ $compare_rev |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
else
  echo "| endpoint | API req/s | API p50 ms | API p99 ms | non-2xx | peak RSS MB | SQL (pgbench) tps | SQL p50 ms | SQL p99 ms | API ÷ pgbench |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
fi
# Each row's peak RSS is its own: what E1 and its ceilings left is counted here.
peak_since "${server%% *}"
[ -z "$compare_server" ] || peak_since "$compare_server"
# row LABEL PATH [NAME]: one endpoint under load (on both builds in turn with COMPARE_REV),
# beside pgbench on its captured statements $work/sql/NAME.sql.
row() {
  if [ -n "$compare_rev" ]; then
    # Alternating rounds, each build's median of each number: the machine's noise moves both.
    local this="" other=""
    for _ in $(seq 1 "$rounds"); do
      this+="$(load "http://127.0.0.1:$apiport/v1/$2")"$'\n'
      other+="$(load "http://127.0.0.1:$compare_port/v1/$2")"$'\n'
    done
    read -r arps ap50 ap99 aerr <<<"$(median "$this")"
    read -r crps cp50 cp99 cerr <<<"$(median "$other")"
    [ "$aerr$cerr" = 00 ] || echo "$1: non-2xx responses: $cerr ($compare_rev), $aerr (this build)" >&2
    ratio=$(python3 -c "print(f'{$ap50 / $cp50:.2f}×')")
    peak_since "${server%% *}"; local apeak=$last_peak
    peak_since "$compare_server"; local cpeak=$last_peak
    echo "| $1 | $crps | $cp50 | $cp99 | $cpeak | $arps | $ap50 | $ap99 | $apeak | $ratio |"
    return
  fi
  read -r arps ap50 ap99 aerr <<<"$(load "http://127.0.0.1:$apiport/v1/$2")"
  peak_since "${server%% *}"
  if [ -n "${3:-}" ]; then
    read -r stps sp50 sp99 <<<"$(bench_sql "$3")"
    ratio=$(python3 -c "print(f'{$arps / $stps:.2f}')")
  else stps="–"; sp50="–"; sp99="–"; ratio="–"; fi
  echo "| $1 | $arps | $ap50 | $ap99 | $aerr | $last_peak | $stps | $sp50 | $sp99 | $ratio |"
}
row "E1 GET /v1/researchers/{id}" "$e1_path" e1_researcher
row "E2 GET /v1/moves?company=…&limit=50 (busiest company)" "$e2_path" e2_moves_by_company
row "E2 GET /v1/moves?company=…&limit=50 (median company)" "moves?company=$median_company&limit=50"
row "E3 GET /v1/flows" "$e3_flows_path" e3_flows
row "E3 GET /v1/companies/{id}/balance (busiest company)" "$e3_balance_path" e3_balance
row "E3 GET /v1/companies/{id}/balance (median company)" "companies/$median_company/balance"
row "E3 GET /v1/projects/{id}/attrition (largest roster)" "projects/$project/attrition"
concurrency=$search_concurrency row "GET /v1/search?q=$surname (most common surname; $search_concurrency connections)" "search?q=$(urlq "$surname")"
concurrency=$search_concurrency row "GET /v1/search?q=$typo_name (a name with a typo)" "search?q=$(urlq "$typo_name")"
concurrency=$search_concurrency row "GET /v1/search?q=ai" "search?q=ai"
concurrency=$search_concurrency row "GET /v1/search?q=university" "search?q=university"
concurrency=$search_concurrency row "GET /v1/search?q=qzxwvy (a miss)" "search?q=qzxwvy"
# Beyond the targets: a bounded period sums that period's monthly pair counts.
row "GET /v1/flows?since=2024&until=2024" "flows?since=2024&until=2024"
row "GET /v1/leaderboard" "leaderboard"
row "GET /v1/leaderboard?since=2024&until=2024" "leaderboard?since=2024&until=2024"
row "GET /v1/companies/{id}/balance?since=2024-03-10&until=2024-09" "companies/$company/balance?since=2024-03-10&until=2024-09"
echo
echo "moves: $moves, researchers: $researchers, companies: 2000 (busiest $company, median $median_company); gen took ${gen_seconds}s; concurrency $concurrency (search $search_concurrency), ${duration}s each;"
main_pid=${server%% *}
peak_main="peak_rss_$main_pid" peak_compare="peak_rss_$compare_server"
echo "server peak RSS over the run: ${!peak_main} MB${compare_server:+ ($compare_rev: ${!peak_compare} MB)} (each row's own peak in its column); $(nproc) cores, load generator on the same machine."
