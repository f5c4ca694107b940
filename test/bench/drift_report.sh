#!/usr/bin/env bash
# drift_report over a wide log: 20 columns (15 float8, 5 text) of ROWS rows,
# half of them reference rows, timed against sum() of one column (one scan
# of the table) and against 20 separate queries, one drift_test per column
# (what a report without the one-scan query would cost).
#
#   pg_virtualenv -o shared_buffers=2GB -o work_mem=256MB test/bench/drift_report.sh [ROWS]
#
# Connects with the libpq environment; the ethaudit extension must be installed.
#
#   ROWS (1st argument) or BENCH_ROWS   rows of bench_wide (default 10000000)
#   BENCH_REPS                          runs per query (default 3; the median is reported)
#   BENCH_REUSE=1                       keep an existing bench_wide of the right size
#
# The Markdown report goes to stdout, progress to stderr.  Serial plans
# (max_parallel_workers_per_gather = 0): the comparison is of scans, not of workers.
set -euo pipefail

rows="${1:-${BENCH_ROWS:-10000000}}"
reps="${BENCH_REPS:-3}"
case "$rows$reps" in
    *[!0-9]*) echo "drift_report.sh: ROWS and BENCH_REPS must be integers" >&2; exit 2 ;;
esac

PSQL=(psql -X -q -v ON_ERROR_STOP=1 -P pager=off)
export PGTZ=UTC PGOPTIONS="${PGOPTIONS:-} -c max_parallel_workers_per_gather=0"
log() { printf '%s drift_report: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
sql() { "${PSQL[@]}" -At -c "$1"; }

sql "CREATE EXTENSION IF NOT EXISTS ethaudit" >/dev/null
have=-1
if [[ $(sql "SELECT to_regclass('public.bench_wide') IS NOT NULL") == t ]]; then
    have=$(sql "SELECT count(*) FROM bench_wide")
fi
numeric_cols=() text_cols=()
for i in $(seq 1 15); do numeric_cols+=("f$i"); done
for i in $(seq 1 5); do text_cols+=("c$i"); done
if [[ "${BENCH_REUSE:-0}" != 1 || "$have" != "$rows" ]]; then
    log "generating bench_wide: $rows rows, 15 float8 and 5 text columns"
    # features of several shapes; the current half (odd g) drifts in every third one
    exprs=()
    for i in $(seq 1 15); do
        case $(( i % 3 )) in
            0) exprs+=("(random() * $i + CASE WHEN g % 2 = 1 THEN 0.3 ELSE 0 END)::float8 AS f$i") ;;
            1) exprs+=("(-ln(1 - random()) * $i)::float8 AS f$i") ;;
            2) exprs+=("(floor(random() * 20 * $i) / $i)::float8 AS f$i") ;;
        esac
    done
    for i in $(seq 1 5); do
        exprs+=("'k' || floor(random() * $(( i * 10 )))::int AS c$i")
    done
    sql "DROP TABLE IF EXISTS bench_wide;
         CREATE TABLE bench_wide AS
         SELECT g % 2 = 0 AS is_ref, $(IFS=,; echo "${exprs[*]}")
         FROM generate_series(1, $rows) g" >/dev/null
    sql "VACUUM (ANALYZE) bench_wide" >/dev/null
fi

# median wall time of a query, in ms (the result is fetched and discarded)
time_ms() {
    local q=$1 t0 t1 times=()
    for _ in $(seq 1 "$reps"); do
        t0=$(date +%s%N)
        sql "$q" >/dev/null
        t1=$(date +%s%N)
        times+=($(( (t1 - t0) / 1000000 )))
    done
    printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (reps + 1) / 2 ))p"
}

sql "SELECT sum(f1) FROM bench_wide" >/dev/null   # warm the cache
log "sum(f1)"
base=$(time_ms "SELECT sum(f1) FROM bench_wide")
log "sum of all 15 float8 columns"
sums=$(time_ms "SELECT $(printf 'sum(%s), ' "${numeric_cols[@]}" | sed 's/, $//') FROM bench_wide")
log "drift_report (one scan)"
report=$(time_ms "SELECT count(*) FROM ethaudit.drift_report('bench_wide', 'is_ref')")
log "20 separate drift_test queries"
separate=0
for c in "${numeric_cols[@]}" "${text_cols[@]}"; do
    ms=$(time_ms "SELECT ethaudit.drift_test($c, is_ref) FROM bench_wide")
    separate=$(( separate + ms ))
done
tests=$(sql "SELECT string_agg(test || ' ' || n, ', ' ORDER BY test)
             FROM (SELECT test, count(*) AS n FROM ethaudit.drift_report('bench_wide', 'is_ref')
                   WHERE kind <> 'dataset' GROUP BY test) t")
size=$(sql "SELECT pg_size_pretty(pg_table_size('bench_wide'))")
version=$(sql "SHOW server_version")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
cat <<REPORT
PostgreSQL $version, bench_wide: $rows rows ($size), 15 float8 and 5 text columns, half of
the rows reference rows; serial plans, median of $reps runs. Tests chosen: $tests.

| query | time | / sum(f1) | / 20 separate queries |
|---|---|---|---|
| \`sum(f1)\`: one scan | $base ms | 1.00 | |
| \`sum()\` of the 15 float8 columns | $sums ms | $(ratio "$sums" "$base") | |
| \`drift_report(...)\`: 20 columns, one scan | $report ms | $(ratio "$report" "$base") | $(ratio "$report" "$separate") |
| 20 queries, one \`drift_test\` each | $separate ms | $(ratio "$separate" "$base") | 1.00 |
REPORT
