#!/usr/bin/env bash
# Import throughput: generates a realistic NDJSON file and times `talentflow import` of it into a
# fresh embedded database (release build).
#
#   bench/import.sh [MOVES]        default 20000
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
python3 - "$bin" "$file" "$lines" "$moves" "$size" "$work/report.json" <<'PY'
import resource, subprocess, sys, time

bin, path, lines, moves, size, report = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
start = time.monotonic()
with open(report, "w") as out:
    subprocess.run([bin, "import", path], stdout=out, check=True)
seconds = time.monotonic() - start
# The embedded Postgres is started by `migrate` above and runs apart, so this is the importer's own.
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(f"imported {lines} lines ({moves} moves, {size}) in {seconds:.1f} s: {lines / seconds:.0f} lines/s, "
      f"{moves / seconds:.0f} moves/s overall; importer peak RSS {rss:.0f} MB")
PY
