# E1 beside its two ceilings, sourced by bench/run.sh (see its header) once the measured server
# runs. Uses run.sh's $work, $pgbin, $DATABASE_URL, $concurrency, $duration, $rounds, $apiport,
# $server, free_port, bench_sql, median.
#
# The bare server (bench/bare.rs, built from the same Cargo.lock) answers GET
# /v1/researchers/{id} through the service's own statement and decoding with no middleware:
# the practical ceiling of an HTTP API doing one query per request on this machine. pgbench
# on the captured statement is the database's own ceiling. Each researcher is loaded in
# $rounds alternating rounds, each round talentflow then bare, with wrk and with oha; medians.
# CPU per request is read from /proc: the server process's user + system time, and the sum
# over Postgres's processes (the postmaster and its children), divided by the requests the
# load generator completed.

service=${server%% *}
bare_bin=$PWD/target/release/examples/bare
bare_port=$(free_port)
DATABASE_URL="$DATABASE_URL" BIND="127.0.0.1:$bare_port" CONNECTIONS="$concurrency" "$bare_bin" &
bare=$!
server="$server $bare"
for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$bare_port/v1/researchers/$rid" && break; sleep 0.2; done

clk_tck=$(getconf CLK_TCK)
# ticks PID…: user + system CPU ticks of these processes.
ticks() { for pid in "$@"; do awk '{print $14 + $15}' "/proc/$pid/stat"; done | awk '{s += $1} END {print s + 0}'; }
postmaster=$(head -n 1 "$work/pg/postmaster.pid")
pg_pids() { echo "$postmaster"; awk -v pm="$postmaster" '$4 == pm {print $1}' /proc/[0-9]*/stat 2>/dev/null; }
pg_ticks() { ticks $(pg_pids | while read -r pid; do [ -e "/proc/$pid/stat" ] && echo "$pid"; done); }

# measure TOOL URL PID: "req/s p50 p99 non-2xx server-µs/request postgres-µs/request".
measure() {
  local out server_before pg_before server_after pg_after rps p50 p99 errors requests
  out=$(mktemp -p "$work" load.XXXXXX)
  server_before=$(ticks "$3"); pg_before=$(pg_ticks)
  if [ "$1" = wrk ]; then
    wrk -t2 -c"$concurrency" -d"${duration}s" --timeout 60s --latency "$2" > "$out"
  else
    oha -z "${duration}s" -c "$concurrency" --no-tui --output-format json "$2" > "$out"
  fi
  server_after=$(ticks "$3"); pg_after=$(pg_ticks)
  read -r rps p50 p99 errors requests <<<"$(python3 bench/load_report.py "$1" "$out")"
  python3 -c "
per = lambda ticks: ticks / $clk_tck / max($requests, 1) * 1e6
print(f'$rps $p50 $p99 $errors {per($((server_after - server_before))):.0f} {per($((pg_after - pg_before))):.0f}')"
}
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }

echo "| E1 GET /v1/researchers/{id} | tool | talentflow req/s | p50 ms | p99 ms | bare req/s | p50 ms | p99 ms | pgbench tps | talentflow ÷ bare | talentflow ÷ pgbench | server µs/req: talentflow | bare | ÷ | Postgres µs/req: talentflow | bare | ÷ |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
# The statement is the same for every researcher; its ceiling is measured once, on the first.
e1_tps=""
for who in "median researcher|$rid" "researcher with the most moves|$busiest_researcher"; do
  label=${who%%|*}
  id=${who#*|}
  for tool in wrk oha; do
    ours="" theirs=""
    for _ in $(seq 1 "$rounds"); do
      ours+="$(measure "$tool" "http://127.0.0.1:$apiport/v1/researchers/$id" "$service")"$'\n'
      theirs+="$(measure "$tool" "http://127.0.0.1:$bare_port/v1/researchers/$id" "$bare")"$'\n'
    done
    read -r trps tp50 tp99 terr tcpu tpg <<<"$(median "$ours")"
    read -r brps bp50 bp99 berr bcpu bpg <<<"$(median "$theirs")"
    [ "$terr$berr" = 00 ] || echo "E1 $label ($tool): non-2xx responses: $terr talentflow, $berr bare" >&2
    [ -n "$e1_tps" ] || read -r e1_tps _ _ <<<"$(bench_sql e1_researcher)"
    echo "| $label | $tool | $trps | $tp50 | $tp99 | $brps | $bp50 | $bp99 | $e1_tps | $(ratio "$trps" "$brps") | $(ratio "$trps" "$e1_tps") | $tcpu | $bcpu | $(ratio "$tcpu" "$bcpu") | $tpg | $bpg | $(ratio "$tpg" "$bpg") |"
  done
done
echo
