#!/usr/bin/env bash
# Where a hot read's CPU goes, counted in instructions rather than timed: the machine is noisy,
# and callgrind counts the same for the same binary and input whatever else runs beside it.
#
#   DATABASE_URL=postgres://… bench/instructions.sh [REQUESTS]     default 2000
#
# Serves the database (filled by `talentflow gen`, as bench/run.sh does) with the release build
# of talentflow and with the bare server of bench/bare.rs, each under valgrind's callgrind,
# warms each with 300 requests to GET /v1/researchers/{id} (the median researcher), zeroes the
# counters, sends REQUESTS more with oha at 4 connections and dumps. Prints the instructions per
# request of each server, and for talentflow the inclusive instructions per request of each
# stage a request passes, outermost first: the difference between two rows is what the stage
# between them costs. Kernel time (the system calls, which both servers make alike) is not
# counted. SHA-256 runs without the SHA extensions under valgrind, so the ETag's row is larger
# here than on the machine itself.
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-2000}
: "${DATABASE_URL:?DATABASE_URL must name a database filled by talentflow gen}"
export PATH="$HOME/.cargo/bin:$PATH"
command -v valgrind >/dev/null || { echo "install valgrind" >&2; exit 1; }
command -v oha >/dev/null || cargo install --locked --quiet oha
cargo build --release --quiet --bin talentflow --example bare
work=$(mktemp -d /tmp/talentflow-instructions-XXXXXX)
trap 'rm -rf "$work"' EXIT
rid=$(psql -X -q -At "$DATABASE_URL" -c "SELECT id FROM researchers ORDER BY id LIMIT 1 OFFSET (SELECT count(*) / 2 FROM researchers)")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port/v1/researchers/$rid"

# count NAME BINARY ARGS…: the dump of REQUESTS requests' instructions, in $work/NAME.out.
count() {
  local name=$1
  shift
  TALENTFLOW_RATE_LIMIT=0 TALENTFLOW_LOG=error TALENTFLOW_BIND="127.0.0.1:$port" TALENTFLOW_DB_MAX_CONNECTIONS=16 \
    BIND="127.0.0.1:$port" CONNECTIONS=16 \
    valgrind --tool=callgrind --callgrind-out-file="$work/$name.%p" "$@" >"$work/$name.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 300); do curl -sf -o /dev/null "$url" && break; sleep 0.5; done
  oha -n 300 -c 4 --no-tui "$url" >/dev/null
  callgrind_control -z "$pid" >/dev/null 2>&1
  oha -n "$requests" -c 4 --no-tui --output-format json "$url" >"$work/$name.oha.json"
  callgrind_control -d "$pid" >/dev/null 2>&1
  kill "$pid" && wait "$pid" 2>/dev/null || true
  mv "$work/$name.$pid.1" "$work/$name.out"
  python3 -c "import json, sys; c = json.load(open(sys.argv[1]))['statusCodeDistribution']; sys.exit(0 if c == {'200': $requests} else f'$name answered {c}')" "$work/$name.oha.json"
}
count talentflow target/release/talentflow serve
count bare target/release/examples/bare

python3 - "$work" "$requests" <<'PY'
import re, subprocess, sys
work, n = sys.argv[1], int(sys.argv[2])

def inclusive(name):
    out = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", f"{work}/{name}.out"],
                         capture_output=True, text=True, check=True).stdout
    total = int(re.search(r"^([\d,]+) \(100\.0%\)\s+PROGRAM TOTALS", out, re.M).group(1).replace(",", ""))
    rows = {}
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+) \([^)]*\)\s+\S*?:(.*?) \[", line)
        if m and not m.group(2).endswith("'2"):
            rows.setdefault(m.group(2), int(m.group(1).replace(",", "")))
    return total, rows

total, rows = inclusive("talentflow")
bare_total, _ = inclusive("bare")
print(f"| instructions per GET /v1/researchers/{{id}} ({n} requests) | talentflow | bare | ÷ |")
print("|---|---|---|---|")
print(f"| whole process | {total / n:,.0f} | {bare_total / n:,.0f} | {total / bare_total:.2f} |")
print()
print("| talentflow, inclusive per request, outermost first | instructions |")
print("|---|---|")
stages = [
    ("the response side of every layer, from the envelope in", r"<talentflow::envelope::Enveloping<F> as core::future::future::Future>::poll"),
    ("… from the trace layer in", r"<tower_http::trace::future::ResponseFuture<"),
    ("… from CORS in", r"<tower_http::cors::ResponseFuture<F> as"),
    ("… from the matched route in", r"<axum::routing::route::RouteFuture<E> as core::future::future::Future>::poll"),
    ("… from the metrics layer in", r"<talentflow::metrics::Recording<F> as"),
    ("the handler with its extractors", r"<F as axum::handler::Handler<(M,T1,T2,T3),S>>::call::{{closure}}"),
    ("  the record's JSON and its ETag (`tagged`)", r"talentflow::api::support::tagged"),
    ("    of which the ETag's SHA-256", r"talentflow::api::support::etag_of"),
    ("  the query and its decoding (`db::record::get`)", r"talentflow::db::record::get::{{closure}}"),
    ("the request side of every layer and the routing, from the envelope in", r"<talentflow::envelope::Envelope<S> as tower_service::Service<"),
    ("hyper's parsing of the request", r"<hyper::proto::h1::role::Server as hyper::proto::h1::Http1Transaction>::parse"),
    ("hyper's encoding of the response", r"<hyper::proto::h1::role::Server as hyper::proto::h1::Http1Transaction>::encode"),
]
for label, prefix in stages:
    found = [v for k, v in rows.items() if k.startswith(prefix)]
    print(f"| {label} | {max(found) / n:,.0f} |" if found else f"| {label} | – |")
PY
