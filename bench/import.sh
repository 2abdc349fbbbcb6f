#!/usr/bin/env bash
# Import throughput: generates an NDJSON file of companies, researchers and moves, then times
# `talentflow import` of it into a fresh embedded database (release build).
#
#   bench/import.sh [MOVES]        default 20000 moves (and MOVES/2 researchers, 200 companies)
#
# Prints lines/s and moves/s; the numbers in BENCHMARKS.md come from this script.
set -euo pipefail
cd "$(dirname "$0")/.."
moves=${1:-20000}
researchers=$((moves / 2))
companies=200

cargo build --release --quiet
bin=target/release/talentflow
work=$(mktemp -d /tmp/talentflow-bench-XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
file="$work/import.ndjson"

python3 - "$file" "$companies" "$researchers" "$moves" <<'PY'
import json, random, sys
path, companies, researchers, moves = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(42)
kinds = ["big_tech", "ai_lab", "startup", "academia"]
with open(path, "w") as out:
    for c in range(companies):
        out.write(json.dumps({"type": "company", "name": f"Bench Company {c}", "slug": f"bench-company-{c}", "kind": kinds[c % 4]}) + "\n")
    for r in range(researchers):
        out.write(json.dumps({"type": "researcher", "name": f"Bench Researcher {r}", "slug": f"bench-researcher-{r}"}) + "\n")
    for m in range(moves):
        a, b = rng.sample(range(companies), 2)
        out.write(json.dumps({"type": "move", "researcher": f"bench-researcher-{m % researchers}",
            "from": f"bench-company-{a}", "to": f"bench-company-{b}", "kind": "hire",
            "effective_on": f"{2015 + m % 10}-{1 + m % 12:02d}", "confidence": "reported"}) + "\n")
PY
lines=$(wc -l < "$file")
size=$(du -h "$file" | cut -f1)

export TALENTFLOW_DATA_DIR="$work/data" TALENTFLOW_LOG=warn
unset DATABASE_URL
"$bin" migrate
start=$(date +%s.%N)
"$bin" import "$file" > "$work/report.json"
end=$(date +%s.%N)
python3 - "$start" "$end" "$lines" "$moves" "$size" <<'PY'
import sys
start, end, lines, moves, size = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
seconds = end - start
print(f"imported {lines} lines ({moves} moves, {size}) in {seconds:.1f} s: {lines / seconds:.0f} lines/s, {moves / seconds:.0f} moves/s overall")
PY
