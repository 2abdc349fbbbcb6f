#!/usr/bin/env bash
# Ingest throughput: generates an OpenAlex-format snapshot partition of AUTHORS Author objects
# (gzipped JSON Lines, as the snapshot ships them) and times `talentflow ingest
# openalex-authors` of it into a fresh embedded database (release build).
#
#   bench/ingest.sh [AUTHORS]      default 100000
#
# The authors look like real ones where it matters to the ingest: names drawn from common given
# names and surnames (so many people share one), 40% with an ORCID iD, 2% with a second
# profile under another id (OpenAlex splits authors), one to four institutions each out of a
# pool of AUTHORS/50 (a fifth without a ROR id, a tenth under a parent in their `lineage`,
# the companies named with their country as OpenAlex does), affiliation years that mostly
# follow each other (moves) and sometimes overlap (a professor also at a company).
#
# Beside it, its ceiling: the ingest writes its records as import lines through the importer's
# fast path, and logs (at debug) when each phase ends; the time the importer took for those
# lines is what writing them costs, the rest is reading, matching and reconciling. Then the
# same file is ingested a second time, which finds everything and writes nothing. Prints
# authors/s, moves/s, the phases and the ingesting process's peak RSS; BENCHMARKS.md's ingest
# rows come from here.
set -euo pipefail
cd "$(dirname "$0")/.."
authors=${1:-100000}

cargo build --release --quiet
bin=$PWD/target/release/talentflow
work=$(mktemp -d /tmp/talentflow-ingest-XXXXXX)
chmod 755 "$work"
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
file="$work/authors.jsonl.gz"

python3 - "$file" "$authors" <<'PY'
import gzip, json, random, sys

path, authors = sys.argv[1], int(sys.argv[2])
rng = random.Random(16)
given = ["Wei", "Jing", "Li", "Yan", "Hao", "Min", "Jun", "Ming", "Xin", "Yu", "Anna", "Maria", "David",
         "Michael", "John", "James", "Robert", "Daniel", "Thomas", "Sarah", "Laura", "Paul", "Peter",
         "Andrea", "Marco", "Luca", "Pierre", "Marie", "Hiroshi", "Yuki", "Kenji", "Ji-hoon", "Min-jun",
         "Seo-yeon", "Priya", "Rahul", "Amit", "Ananya", "Olga", "Ivan", "Sergey", "Ahmed", "Fatima",
         "Omar", "Carlos", "Sofia", "Lucas", "Emma", "Noah", "Olivia"]
family = ["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Kim", "Lee",
          "Park", "Choi", "Nguyen", "Tran", "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia",
          "Miller", "Davis", "Rodriguez", "Martinez", "Müller", "Schmidt", "Schneider", "Fischer",
          "Dubois", "Martin", "Bernard", "Rossi", "Russo", "Ferrari", "Sato", "Suzuki", "Takahashi",
          "Tanaka", "Sharma", "Patel", "Singh", "Kumar", "Ivanov", "Smirnov", "Kowalski", "Silva",
          "Santos", "Cohen"]
countries = ["US", "CN", "GB", "DE", "FR", "JP", "KR", "IN", "CA", "CH"]
words = ["Institute", "University", "Laboratory", "Research", "Technology", "Science", "AI"]


def orcid(n):
    body = f"{n:015d}"
    total = 0
    for digit in body:
        total = (total + int(digit)) * 2
    check = (12 - total % 11) % 11
    digits = body + ("X" if check == 10 else str(check))
    return "-".join(digits[i:i + 4] for i in range(0, 16, 4))


def ror(n):
    alphabet = "0123456789abcdefghjkmnpqrstvwxyz"
    body = "".join(alphabet[(n >> (5 * i)) % 32] for i in range(6))
    return f"https://ror.org/0{body}{n % 100:02d}"


pool = max(50, authors // 50)
institutions = []
for i in range(pool):
    kind = rng.choices(["education", "company", "facility", "government"], [60, 25, 10, 5])[0]
    country = rng.choice(countries)
    if kind == "company":
        name = f"{rng.choice(family)} {rng.choice(['AI', 'Labs', 'Systems', 'Research'])} {i}"
        name = f"{name} ({ {'US': 'United States', 'CN': 'China', 'GB': 'United Kingdom'}.get(country, country)})"
    else:
        name = f"{rng.choice(words)} of {rng.choice(family)} {i}"
    oid = f"https://openalex.org/I{4200000000 + i}"
    lineage = [oid]
    if i > 10 and rng.random() < 0.1:
        lineage.insert(0, f"https://openalex.org/I{4200000000 + rng.randrange(10)}")
    institutions.append({"id": oid, "ror": ror(i + 1) if rng.random() < 0.8 else None,
                         "display_name": name, "country_code": country, "type": kind,
                         "lineage": lineage})


def author(n, oid, orcid_id):
    name = f"{rng.choice(given)} {rng.choice(family)}"
    year = rng.randint(2005, 2016)
    affiliations = []
    for _ in range(rng.choice([1, 2, 2, 3, 3, 4])):
        span = rng.randint(1, 6)
        affiliations.append({"institution": rng.choice(institutions),
                             "years": list(range(min(year + span, 2024), year - 1, -1))})
        # Mostly the next one starts after this one ends; sometimes they overlap.
        year = year + span + 1 - (2 if rng.random() < 0.15 else 0)
        if year > 2024:
            break
    last = max(affiliations, key=lambda a: a["years"][0])
    return {"id": f"https://openalex.org/{oid}", "orcid": orcid_id, "display_name": name,
            "display_name_alternatives": [name, f"{name[0]}. {name.split(' ', 1)[1]}"],
            "ids": {"openalex": f"https://openalex.org/{oid}", "orcid": orcid_id},
            "works_count": rng.randint(1, 300), "cited_by_count": rng.randint(0, 20000),
            "affiliations": affiliations, "last_known_institutions": [last["institution"]],
            "updated_date": "2024-11-30T00:00:00"}


with gzip.open(path, "wt") as out:
    for n in range(authors):
        orcid_id = f"https://orcid.org/{orcid(n + 1)}" if rng.random() < 0.4 else None
        out.write(json.dumps(author(n, f"A{5000000000 + n}", orcid_id), separators=(",", ":")) + "\n")
        if orcid_id and rng.random() < 0.05:
            # The same person under an older profile: same ORCID, another id.
            out.write(json.dumps(author(n, f"A{2000000000 + n}", orcid_id), separators=(",", ":")) + "\n")
PY
records=$(gzip -dc "$file" | wc -l)
size=$(du -h "$file" | cut -f1)

export TALENTFLOW_DATA_DIR="$work/data" TALENTFLOW_LOG=warn
unset DATABASE_URL
"$bin" migrate
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
as_owner "$pg_bin/pg_ctl" -D "$work/data/postgres" -l "$work/data/postgres.log" -w -s \
    -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories='' ${PG_OPTIONS:-}" start
trap 'as_owner "$pg_bin/pg_ctl" -D "$work/data/postgres" -m fast -s stop; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT

python3 - "$bin" "$file" "$records" "$authors" "$size" "$work" <<'PY'
import json, os, resource, subprocess, sys, time

bin, path, records, authors, size, work = sys.argv[1:7]
records, authors = int(records), int(authors)


def timed(args, out_path, log_path):
    env = dict(os.environ, TALENTFLOW_LOG="warn,talentflow::ingest=debug", TALENTFLOW_LOG_FORMAT="json")
    start = time.monotonic()
    with open(out_path, "w") as out, open(log_path, "w") as log:
        subprocess.run(args, stdout=out, stderr=log, check=True, env=env)
    return time.monotonic() - start


def phases(log_path):
    """Seconds each phase the ingest logs took, summed over the chunks."""
    took = {}
    for line in open(log_path):
        try:
            event = json.loads(line)
        except ValueError:
            continue
        fields = event.get("fields", event)
        message, spent = fields.get("message", ""), fields.get("took", "")
        if message.startswith("ingest: ") and spent:
            value = float("".join(c for c in spent if c.isdigit() or c == "."))
            unit = spent.lstrip("0123456789.")
            seconds = value / {"s": 1, "ms": 1e3, "µs": 1e6, "us": 1e6, "ns": 1e9}.get(unit, 1)
            took[message[8:]] = took.get(message[8:], 0.0) + seconds
    return took


first = timed([bin, "ingest", "openalex-authors", path], f"{work}/first.json", f"{work}/first.log")
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
report = json.load(open(f"{work}/first.json"))
moves = report["moves"]["created"] + report["moves"]["merged"]
print(f"ingested {records} Author objects ({authors} people, {size} gzipped) in {first:.1f} s: "
      f"{records / first:.0f} authors/s; {report['researchers']['created']} researchers, "
      f"{report['companies']['created']} companies, {report['moves']['created']} moves "
      f"({report['moves']['merged']} merged), {report['moves']['created'] / first:.0f} moves/s; "
      f"peak RSS {rss:.0f} MB")
took = phases(f"{work}/first.log")
names = ["chunk read", "matched", "reconciled", "lines written", "lines imported",
         "known ids, withdrawn moves and roster", "counted and committed"]
print("phases: " + ", ".join(f"{name} {took.get(name, 0):.1f} s" for name in names))
importer = took.get("lines imported", 0)
print(f"ceiling: the importer alone wrote the lines at {records / importer:.0f} authors/s; "
      f"ingest/importer speed ratio {importer / first:.2f}")
again = timed([bin, "ingest", "openalex-authors", path], f"{work}/again.json", f"{work}/again.log")
second = json.load(open(f"{work}/again.json"))
print(f"the same file again: {again:.1f} s, {records / again:.0f} authors/s; created "
      f"{second['researchers']['created'] + second['companies']['created'] + second['moves']['created']} records, "
      f"{second['moves']['unchanged']} moves unchanged")
PY
