#!/usr/bin/env bash
# Federated audit with PostgreSQL's own postgres_fdw: two shard clusters each
# compute storable states over their part of the bike-sharing log, a third
# (the coordinator) fetches the states through foreign tables, merges them,
# and must get exactly what one pass over all the rows gives.
#
# Starts three throwaway clusters on free ports under a temporary directory,
# as the postgres user; prints TAP (run it with prove). Needs ethaudit
# installed (make install) and the server binaries of one PostgreSQL major
# (PG_BINDIR, else what pg_config reports).
set -euo pipefail
cd "$(dirname "$0")/../.."

BIN=${PG_BINDIR:-$(pg_config --bindir)}
DATA=test/data/bike_sharing/hour.csv
work=$(mktemp -d /tmp/ethaudit_federated.XXXXXX)
chown postgres "$work"
chmod 755 "$work"
ports=()

as_pg() { runuser -u postgres -- "$@"; }

cleanup() {
    # every node's server is stopped before its directory goes
    for d in "$work"/*/; do
        [ -d "$d/data" ] && as_pg "$BIN/pg_ctl" -D "$d/data" -m immediate -w stop >/dev/null 2>&1 || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

free_port() {
    local p
    for p in $(seq "$1" $(($1 + 200))); do
        if ! (exec 3<>/dev/tcp/127.0.0.1/"$p") 2>/dev/null && [ ! -e "/tmp/.s.PGSQL.$p" ]; then
            echo "$p"
            return
        fi
    done
    echo "no free port" >&2
    exit 1
}

start_node() {   # $1 = name; sets the port in ports[]
    local dir="$work/$1" port
    port=$(free_port $((5600 + ${#ports[@]} * 10)))
    as_pg mkdir -p "$dir"
    as_pg "$BIN/initdb" -D "$dir/data" -A trust -U postgres >/dev/null
    as_pg "$BIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
        -o "-p $port -k $dir -c listen_addresses=''" start >/dev/null
    ports+=("$port")
    echo "$dir $port"
}

sql() {   # $1 = node dir, $2 = port, rest = psql arguments
    local dir=$1 port=$2
    shift 2
    psql -X -q -v ON_ERROR_STOP=1 -At -h "$dir" -p "$port" -U postgres -d postgres "$@"
}

read -r c_dir c_port < <(start_node coordinator)
read -r s1_dir s1_port < <(start_node shard1)
read -r s2_dir s2_port < <(start_node shard2)

load_bike() {   # $1 dir, $2 port, $3 = WHERE clause on instant
    sql "$1" "$2" <<SQL
CREATE EXTENSION ethaudit;
CREATE TABLE bike (
    instant int, dteday date, season int, yr int, mnth int, hr int, holiday int, weekday int,
    workingday int, weathersit int, temp float8, atemp float8, hum float8, windspeed float8,
    casual int, registered int, cnt int
);
\copy bike FROM '$DATA' WITH (FORMAT csv, HEADER true)
DELETE FROM bike WHERE NOT ($3);
SQL
}
load_bike "$c_dir" "$c_port" "true"
load_bike "$s1_dir" "$s1_port" "instant % 2 = 0"
load_bike "$s2_dir" "$s2_port" "instant % 2 = 1"

# the reference baselines (2011) are stored on the coordinator and shipped
# to the shards as literals
temp_ref=$(sql "$c_dir" "$c_port" -c "SELECT ethaudit.baseline(temp) FROM bike WHERE yr = 0")
weather_ref=$(sql "$c_dir" "$c_port" -c "SELECT ethaudit.baseline(weathersit::text) FROM bike WHERE yr = 0")
for node in "$s1_dir $s1_port" "$s2_dir $s2_port"; do
    set -- $node
    sql "$1" "$2" -v temp_ref="$temp_ref" -v weather_ref="$weather_ref" <<'SQL'
CREATE VIEW shard_states AS
SELECT ethaudit.baseline(temp, :'temp_ref'::ethaudit.baseline) AS temp_state,
       ethaudit.baseline(weathersit::text, :'weather_ref'::ethaudit.baseline) AS weather_state,
       ethaudit.group_counts(cnt > 200, casual > 30, season::text) AS fair_state,
       ethaudit.calibration_counts(cnt > 200, least(registered / 800.0, 1)::float8) AS cal_state,
       count(*) AS n
FROM bike WHERE yr = 1;
SQL
done

sql "$c_dir" "$c_port" -v temp_ref="$temp_ref" -v weather_ref="$weather_ref" \
    -v s1_dir="$s1_dir" -v s1_port="$s1_port" -v s2_dir="$s2_dir" -v s2_port="$s2_port" <<'SQL' >"$work/result"
CREATE EXTENSION postgres_fdw;
CREATE SERVER shard1 FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host :'s1_dir', port :'s1_port', dbname 'postgres');
CREATE SERVER shard2 FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host :'s2_dir', port :'s2_port', dbname 'postgres');
CREATE USER MAPPING FOR postgres SERVER shard1 OPTIONS (user 'postgres');
CREATE USER MAPPING FOR postgres SERVER shard2 OPTIONS (user 'postgres');
CREATE FOREIGN TABLE shard1_states (temp_state ethaudit.baseline, weather_state ethaudit.baseline,
    fair_state ethaudit.group_counts, cal_state ethaudit.calibration_counts, n bigint)
    SERVER shard1 OPTIONS (table_name 'shard_states');
CREATE FOREIGN TABLE shard2_states (temp_state ethaudit.baseline, weather_state ethaudit.baseline,
    fair_state ethaudit.group_counts, cal_state ethaudit.calibration_counts, n bigint)
    SERVER shard2 OPTIONS (table_name 'shard_states');
CREATE TEMP TABLE fed AS
SELECT ethaudit.merge(temp_state) AS temp_state, ethaudit.merge(weather_state) AS weather_state,
       ethaudit.merge(fair_state) AS fair_state, ethaudit.merge(cal_state) AS cal_state, sum(n) AS n
FROM (SELECT * FROM shard1_states UNION ALL SELECT * FROM shard2_states) s;
CREATE TEMP TABLE single AS
SELECT ethaudit.psi(temp, :'temp_ref'::ethaudit.baseline) AS psi,
       ethaudit.js_divergence(temp, :'temp_ref'::ethaudit.baseline) AS js,
       ethaudit.ks_bounds(temp, :'temp_ref'::ethaudit.baseline) AS ks,
       ethaudit.psi(weathersit::text, :'weather_ref'::ethaudit.baseline) AS psi_text,
       ethaudit.group_tpr_gap(cnt > 200, casual > 30, season::text) AS tpr_gap,
       ethaudit.equalized_odds_gap(cnt > 200, casual > 30, season::text) AS eo_gap,
       ethaudit.group_report(cnt > 200, casual > 30, season::text) AS report,
       ethaudit.ece(cnt > 200, least(registered / 800.0, 1)::float8) AS ece,
       (SELECT ethaudit.psi(temp, yr = 0) FROM bike) AS psi_two_sample,
       count(*) AS n
FROM bike WHERE yr = 1;
SELECT format('%s - %s', CASE WHEN ok THEN 'ok' ELSE 'not ok' END, name)
FROM (VALUES
  ('both shards answered, all 2012 rows covered',
   (SELECT f.n = s.n AND f.n > 0 FROM fed f, single s)),
  ('psi of the merged shard states equals one pass',
   (SELECT ethaudit.psi(:'temp_ref'::ethaudit.baseline, f.temp_state) = s.psi FROM fed f, single s)),
  ('...and equals the two-sample psi over the raw rows',
   (SELECT ethaudit.psi(:'temp_ref'::ethaudit.baseline, f.temp_state) = s.psi_two_sample FROM fed f, single s)),
  ('js_divergence of the merged states equals one pass',
   (SELECT ethaudit.js_divergence(:'temp_ref'::ethaudit.baseline, f.temp_state) = s.js FROM fed f, single s)),
  ('KS bounds of the merged states equal one pass',
   (SELECT ethaudit.ks_bounds(:'temp_ref'::ethaudit.baseline, f.temp_state) = s.ks FROM fed f, single s)),
  ('categorical psi of the merged states equals one pass',
   (SELECT ethaudit.psi(:'weather_ref'::ethaudit.baseline, f.weather_state) = s.psi_text FROM fed f, single s)),
  ('TPR gap of the merged group counts equals one pass',
   (SELECT ethaudit.group_tpr_gap(f.fair_state) = s.tpr_gap FROM fed f, single s)),
  ('equalized odds of the merged group counts equals one pass',
   (SELECT ethaudit.equalized_odds_gap(f.fair_state) = s.eo_gap FROM fed f, single s)),
  ('group report of the merged group counts equals one pass',
   (SELECT ethaudit.group_report(f.fair_state) = s.report FROM fed f, single s)),
  ('ECE of the merged calibration counts equals one pass',
   (SELECT ethaudit.ece(f.cal_state) = s.ece FROM fed f, single s))
) t(name, ok);
SQL
mapfile -t lines < "$work/result"
echo "1..${#lines[@]}"
i=0
for line in "${lines[@]}"; do
    i=$((i + 1))
    echo "${line%% - *} $i - ${line#* - }"
done
