# MODE=replicas of bench/run.sh (sourced by it after the database is filled; see its header).
# Uses run.sh's $bin, $pgbin, $work, $pgport, $DATABASE_URL, $concurrency, $duration, $rounds,
# $rid, as_pg, free_port, serve, wait_ready, load and median.

replica_port=$(free_port)
as_pg "$pgbin/pg_basebackup" -D "$work/replica" -R -C -S bench_replica -X stream -c fast \
  -d "host=127.0.0.1 port=$pgport user=bench" >/dev/null
as_pg "$pgbin/pg_ctl" -D "$work/replica" -l "$work/replica.log" -w start \
  -o "-p $replica_port -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c shared_buffers=512MB -c hot_standby_feedback=on" >/dev/null
replica_cleanup() { as_pg "$pgbin/pg_ctl" -D "$work/replica" -m fast -w stop >/dev/null 2>&1 || true; }
trap 'replica_cleanup; cleanup' EXIT
read_url="postgres://bench@127.0.0.1:$replica_port/postgres"

# serve_with PORT VARIABLES…: a server on the primary with extra settings; its pid in $!.
serve_with() {
  local port=$1
  shift
  env "$@" TALENTFLOW_RATE_LIMIT="${RATE:-0}" TALENTFLOW_LOG=error TALENTFLOW_BIND="127.0.0.1:$port" \
    TALENTFLOW_DB_MAX_CONNECTIONS="$concurrency" DATABASE_URL="$DATABASE_URL" "$bin" serve &
}
single_port=$(free_port); a_port=$(free_port); b_port=$(free_port); limited_port=$(free_port)
serve_with "$single_port"; single=$!
serve_with "$a_port" DATABASE_READ_URL="$read_url"; a=$!
serve_with "$b_port" DATABASE_READ_URL="$read_url"; b=$!
RATE=1000000 serve_with "$limited_port" TALENTFLOW_RATE_BURST=2000000; limited=$!
server="$single $a $b $limited"
for port in $single_port $a_port $b_port $limited_port; do wait_ready "$port"; done
curl -sf "http://127.0.0.1:$a_port/readyz" | grep -q in_rotation || { echo "the replica is not in rotation" >&2; exit 1; }

# load_pair PATH: both replica-reading processes at once, half the connections each.
load_pair() {
  local half=$((concurrency / 2))
  concurrency=$half load "http://127.0.0.1:$a_port/v1/$1" > "$work/pair-a.txt" &
  local first=$!
  concurrency=$half load "http://127.0.0.1:$b_port/v1/$1" > "$work/pair-b.txt"
  wait "$first"
  python3 - "$work/pair-a.txt" "$work/pair-b.txt" <<'PY'
import sys
a, b = (open(f).read().split() for f in sys.argv[1:])
print(f"{float(a[0]) + float(b[0]):.0f} {max(float(a[1]), float(b[1])):.2f} {max(float(a[2]), float(b[2])):.2f} {int(a[3]) + int(b[3])}")
PY
}
replica_reads() { curl -s "http://127.0.0.1:$1/metrics" | awk '/^talentflow_db_reads_total\{target="replica-1"\}/ {print $2}'; }

echo "| endpoint | one process, primary: req/s | p50 ms | p99 ms | two processes, replica: req/s | p50 ms | p99 ms | two ÷ one | one process, rate limits on: req/s | p50 ms | limits on ÷ off |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for endpoint in "E1 GET /v1/researchers/{id}|researchers/$rid" "E3 GET /v1/flows|flows"; do
  label=${endpoint%%|*}
  path=${endpoint#*|}
  one="" two="" lim=""
  for _ in $(seq 1 "$rounds"); do
    one+="$(load "http://127.0.0.1:$single_port/v1/$path")"$'\n'
    two+="$(load_pair "$path")"$'\n'
    lim+="$(load "http://127.0.0.1:$limited_port/v1/$path")"$'\n'
  done
  read -r orps op50 op99 oerr <<<"$(median "$one")"
  read -r trps tp50 tp99 terr <<<"$(median "$two")"
  read -r lrps lp50 lp99 lerr <<<"$(median "$lim")"
  [ "$oerr$terr$lerr" = 000 ] || echo "$label: non-2xx responses: $oerr / $terr / $lerr" >&2
  echo "| $label | $orps | $op50 | $op99 | $trps | $tp50 | $tp99 | $(python3 -c "print(f'{$trps / $orps:.2f}×')") | $lrps | $lp50 | $(python3 -c "print(f'{$lrps / $orps:.2f}×')") |"
done
echo
echo "reads answered by the replica: $(replica_reads "$a_port") (process A), $(replica_reads "$b_port") (process B)"

# The limiter's own statement, as every request would run it if leases were one token.
echo "SELECT granted, left_over FROM tf_take_rate_tokens('bench:' || (random() * 1000)::int, 200, 100, 1);" > "$work/take.sql"
(cd "$work" && "$pgbin/pgbench" -n -M prepared -c"$concurrency" -j2 -T"$duration" -f "$work/take.sql" "$DATABASE_URL" > "$work/take.txt" 2>&1)
echo "tf_take_rate_tokens alone (pgbench, 1,000 buckets, $concurrency connections): $(grep -o 'tps = [0-9.]*' "$work/take.txt" | head -1), latency $(grep -o 'latency average = [0-9.]* ms' "$work/take.txt")"
echo "moves: $moves; concurrency $concurrency, ${duration}s each, $rounds alternating rounds (medians); $(nproc) cores: primary, replica, the servers and wrk share them."
