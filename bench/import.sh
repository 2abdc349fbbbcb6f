#!/usr/bin/env bash
# Import throughput: generates a realistic NDJSON file and times `talentflow import` of it into a
# fresh embedded database (release build).
#
#   bench/import.sh [MOVES]            default 20000
#   BASE=1000000 bench/import.sh 100000  import into a database that `talentflow gen` first
#                                        filled with BASE moves
#   PG_OPTIONS='-c shared_buffers=2GB' bench/import.sh 1000000
#                                        with these settings for the benchmark's Postgres
#
# Beside the import it measures its ceiling: the rows the import wrote (every table it
# touched, audit rows and all) are copied out, and `COPY`ed back in one transaction into a
# fresh database with the same schema, indexes and triggers (and, with BASE, the same
# generated data under them). The ratio import/COPY says how close the importer comes to what
# the database itself costs.
#
# The file has what a real dataset has: companies (a tenth of them under a parent), researchers
# with aliases and ORCID iDs (MOVES/10), press sources (MOVES/20), moves with titles, dates known
# to the day, month or year, mixed confidence, departures, and one or two citations with quotes,
# and projects with rosters. Parents come before the records that refer to them, as the importer
# needs today. Prints lines/s, moves/s (moves ÷ the whole import's wall time) and the importing
# process's peak RSS; BENCHMARKS.md's import rows come from this script.
set -euo pipefail
cd "$(dirname "$0")/.."
moves=${1:-20000}

cargo build --release --quiet
bin=$PWD/target/release/talentflow
work=$(mktemp -d /tmp/talentflow-bench-XXXXXX)
chmod 755 "$work"
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
file="$work/import.ndjson"

python3 - "$file" "$moves" <<'PY'
import json, random, sys, uuid

path, moves = sys.argv[1], int(sys.argv[2])
researchers = max(100, moves // 10)
companies = min(2000, max(50, moves // 500))
sources = max(10, moves // 20)
projects = max(5, moves // 10000)
rng = random.Random(42)


def orcid(n):
    """A valid ORCID iD (ISO 7064 11,2 check digit) from a number."""
    body = f"{n:015d}"
    total = 0
    for digit in body:
        total = (total + int(digit)) * 2
    check = (12 - total % 11) % 11
    digits = body + ("X" if check == 10 else str(check))
    return "-".join(digits[i:i + 4] for i in range(0, 16, 4))


def date(year, precision):
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    return {"day": f"{year}-{month:02d}-{day:02d}", "month": f"{year}-{month:02d}", "year": f"{year}"}[precision]


kinds = ["big_tech", "ai_lab", "startup", "academia"]
titles = ["Research Scientist", "Chief Engineer, Llama", "Member of Technical Staff", "Head of Research", None]
source_ids = [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(sources)]
with open(path, "w") as out:
    def line(record):
        out.write(json.dumps(record, separators=(",", ":")) + "\n")

    parents = companies // 10
    for c in range(companies):
        company = {"type": "company", "name": f"Bench Company {c}", "slug": f"bench-company-{c}",
                   "kind": kinds[c % 4], "country": ["US", "GB", "FR", "CA"][c % 4],
                   "website": f"https://company-{c}.example.com", "founded_on": str(1990 + c % 30)}
        if c >= parents and c % 10 == 0:
            company["parent"] = f"bench-company-{c % parents}"
        line(company)
    for r in range(researchers):
        line({"type": "researcher", "name": f"Bench Researcher {r}", "slug": f"bench-researcher-{r}",
              "aliases": [f"B. Researcher {r}"] if r % 3 == 0 else [],
              "orcid": orcid(r + 1) if r % 2 == 0 else None, "topics": ["llm", "rl"][: 1 + r % 2]})
    for s, source_id in enumerate(source_ids):
        line({"type": "source", "id": str(source_id), "url": f"https://news.example.com/{s}",
              "publisher": ["The Information", "Bloomberg", "Reuters"][s % 3],
              "title": f"Researchers move, part {s}", "published_on": date(2015 + s % 10, "day"),
              "language": "en"})
    for p in range(projects):
        line({"type": "project", "name": f"Bench Project {p}", "slug": f"bench-project-{p}",
              "company": f"bench-company-{p % companies}", "released_on": date(2018 + p % 7, "month"),
              "contributors": [{"researcher": f"bench-researcher-{(p * 50 + i) % researchers}", "role": "author"}
                               for i in range(50)]})
    for m in range(moves):
        a, b = rng.sample(range(companies), 2)
        departure = m % 20 == 0
        precision = rng.choices(["day", "month", "year"], weights=[80, 15, 5])[0]
        move = {"type": "move", "researcher": f"bench-researcher-{m % researchers}",
                "from": f"bench-company-{a}", "kind": "departure" if departure else "hire",
                "title": rng.choice(titles), "effective_on": date(2015 + m % 10, precision),
                "confidence": rng.choice(["reported", "confirmed", "rumored"]),
                "sources": [{"source": str(source), "quote": f"joined in move {m}"}
                            for source in rng.sample(source_ids, 1 + m % 2)]}
        if not departure:
            move["to"] = f"bench-company-{b}"
        line(move)
PY
lines=$(wc -l < "$file")
size=$(du -h "$file" | cut -f1)

export TALENTFLOW_DATA_DIR="$work/data" TALENTFLOW_LOG=warn
unset DATABASE_URL
"$bin" migrate
# One server for the whole run (talentflow attaches to a running embedded server), so that
# psql can reach it between the steps.
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
as_owner "$pg_bin/pg_ctl" -D "$work/data/postgres" -l "$work/data/postgres.log" -w -s \
    -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories='' ${PG_OPTIONS:-}" start
trap 'as_owner "$pg_bin/pg_ctl" -D "$work/data/postgres" -m fast -s stop; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
base=${BASE:-0}
if [ "$base" -gt 0 ]; then
    echo "filling the database with $base generated moves first"
    "$bin" gen --moves "$base" --researchers $((base / 10)) > /dev/null
fi

export PGHOST=127.0.0.1 PGPORT=$port PGUSER=talentflow PGPASSWORD=$(cat "$work/data/password")
psql() { "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }
# A second database with the same starting point, for the COPY ceiling.
psql -d postgres -c "CREATE DATABASE raw_copy TEMPLATE talentflow" > /dev/null

python3 - "$bin" "$file" "$lines" "$moves" "$size" "$work/report.json" "$work/import_seconds" <<'PY'
import resource, subprocess, sys, time

bin, path, lines, moves, size, report, seconds_file = sys.argv[1:8]
lines, moves = int(lines), int(moves)
start = time.monotonic()
with open(report, "w") as out:
    subprocess.run([bin, "import", path], stdout=out, check=True)
seconds = time.monotonic() - start
# The embedded Postgres is started by `migrate` above and runs apart, so this is the importer's own.
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
open(seconds_file, "w").write(f"{seconds}")
print(f"imported {lines} lines ({moves} moves, {size}) in {seconds:.1f} s: {lines / seconds:.0f} lines/s, "
      f"{moves / seconds:.0f} moves/s overall; importer peak RSS {rss:.0f} MB")
PY

# The ceiling: what the import wrote, copied out, then COPYed into raw_copy in one transaction,
# parents before children. With BASE, only the import's own rows (the generated ones are
# already in raw_copy, which was cloned before the import).
import_id=$(psql -d talentflow -At -c "SELECT max(id) FROM imports")
mine="created_at >= (SELECT started_at FROM imports WHERE id = $import_id)"
tables="imports companies researchers sources projects project_contributors project_reports deals moves move_sources deal_sources compensation_reports signals audit_log"
script="$work/raw_copy.sql"
echo "BEGIN;" > "$script"
for table in $tables; do
    case $table in
        imports) filter="id = $import_id" ;;
        audit_log) filter="import_id = $import_id" ;;
        project_contributors) filter="project_id IN (SELECT id FROM projects WHERE $mine)" ;;
        move_sources) filter="move_id IN (SELECT id FROM moves WHERE $mine)" ;;
        deal_sources) filter="deal_id IN (SELECT id FROM deals WHERE $mine)" ;;
        *) filter="$mine" ;;
    esac
    columns=$(psql -d talentflow -At -c "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute WHERE attrelid = '$table'::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''")
    psql -d talentflow -c "\\copy (SELECT $columns FROM $table WHERE $filter ORDER BY 1) TO '$work/$table.copy' WITH (FORMAT binary)"
    # COPY writes an identity column's values as given (imports.id).
    echo "\\copy $table ($columns) FROM '$work/$table.copy' WITH (FORMAT binary)" >> "$script"
done
echo "COMMIT;" >> "$script"
start=$(date +%s.%N)
psql -d raw_copy -f "$script"
end=$(date +%s.%N)
python3 - "$(cat "$work/import_seconds")" "$start" "$end" "$moves" <<'PY'
import sys
imported, start, end, moves = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
raw = end - start
print(f"raw COPY of the same rows into the same tables: {raw:.1f} s, {moves / raw:.0f} moves/s; "
      f"import/COPY speed ratio {raw / imported:.2f}")
PY
