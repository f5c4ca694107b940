#!/usr/bin/env bash
# GROUP BY over many groups: each aggregate grouped by a key with G distinct
# values (10k, 100k, 1M by default), timed against count(*) grouped by the same
# key, with hash aggregation on and off. The ratio should not grow with G.
#
#   pg_virtualenv -o work_mem=1GB test/bench/group_by.sh [ROWS]
#
# Connects with the libpq environment; the ethaudit extension must be installed.
#
#   ROWS (1st argument) or BENCH_ROWS   rows of bench_log (default 2000000; data.sql)
#   BENCH_GROUPS                        numbers of groups (default "10000 100000 1000000")
#   BENCH_REPS                          runs per query and mode (default 3; the median is reported)
#   BENCH_REUSE=1                       keep an existing bench_log of the right size
#
# The Markdown report goes to stdout, progress to stderr.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
rows="${1:-${BENCH_ROWS:-2000000}}"
groups="${BENCH_GROUPS:-10000 100000 1000000}"
reps="${BENCH_REPS:-3}"
case "$rows$reps${groups// /}" in
    *[!0-9]*) echo "group_by.sh: ROWS, BENCH_GROUPS and BENCH_REPS must be integers" >&2; exit 2 ;;
esac

PSQL=(psql -X -q -v ON_ERROR_STOP=1 -P pager=off)
export PGTZ=UTC
log() { printf '%s group_by: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
sql() { "${PSQL[@]}" -At -c "$1"; }

sql "CREATE EXTENSION IF NOT EXISTS ethaudit" >/dev/null
have=-1
if [[ $(sql "SELECT to_regclass('public.bench_log') IS NOT NULL") == t ]]; then
    have=$(sql "SELECT count(*) FROM bench_log")
fi
if [[ "${BENCH_REUSE:-0}" != 1 || "$have" != "$rows" ]]; then
    log "generating bench_log: $rows rows"
    "${PSQL[@]}" -v rows="$rows" -f "$here/data.sql"
    sql "VACUUM (ANALYZE) bench_log"
fi

# the aggregates, one per kind of state (name|expression); {ref} is a stored
# numeric baseline of feature, {mid} the time midpoint
mid=$(sql "SELECT min(ts) + (max(ts) - min(ts)) / 2 FROM bench_log")
sql "DROP TABLE IF EXISTS bench_group_ref;
     CREATE TABLE bench_group_ref AS SELECT ethaudit.baseline(feature, 10) AS b FROM bench_log WHERE ts < '$mid'" >/dev/null
aggs=(
    "count(*)|count(*)"
    "sum(score)|sum(score)"
    "ece(label, score)|ethaudit.ece(label, score)"
    "brier_score(label, score)|ethaudit.brier_score(label, score)"
    "group_tpr_gap(label, score > 0.5, grp)|ethaudit.group_tpr_gap(label, score > 0.5, grp)"
    "group_report(label, score > 0.5, grp)|ethaudit.group_report(label, score > 0.5, grp)"
    "calibration_by_group(label, score, grp)|ethaudit.calibration_by_group(label, score, grp)"
    "psi(feature, stored baseline)|ethaudit.psi(feature, (SELECT b FROM bench_group_ref))"
    "baseline(grp)|ethaudit.baseline(grp)"
    "js_divergence(feature, is_ref)|ethaudit.js_divergence(feature, ts < '$mid')"
    "roc_auc(label, score)|ethaudit.roc_auc(label, score)"
)

# one session per (groups, mode): every query its run of reps, timed in the
# server around EXECUTE; count(x) reads every group's result, so that no
# aggregate is optimised away
declare -A ms
for g in $groups; do
    for mode in on off; do
        log "$g groups, enable_hashagg = $mode"
        script="SET enable_hashagg = $mode; SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE t (name text, run int, ms float8);
CREATE FUNCTION pg_temp.time_it(q text) RETURNS float8 LANGUAGE plpgsql AS \$\$
DECLARE t0 timestamptz; n bigint;
BEGIN t0 := clock_timestamp(); EXECUTE q INTO n; RETURN extract(epoch FROM clock_timestamp() - t0) * 1000; END \$\$;
SELECT pg_temp.time_it(\$q\$SELECT count(x) FROM (SELECT id % $g AS k, count(*) AS x FROM bench_log GROUP BY 1) s\$q\$);"
        for r in $(seq 1 "$reps"); do
            for a in "${aggs[@]}"; do
                name="${a%%|*}"; expr="${a#*|}"
                q="SELECT count(x) FROM (SELECT id % $g AS k, $expr AS x FROM bench_log GROUP BY 1) s"
                script+="
INSERT INTO t SELECT \$n\$$name\$n\$, $r, pg_temp.time_it(\$q\$$q\$q\$);"
            done
        done
        script+="
SELECT name || '|' || percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FROM t GROUP BY name;"
        while IFS='|' read -r name med; do
            ms["$g|$mode|$name"]=$med
        done < <("${PSQL[@]}" -At -c "$script")
    done
done

echo "# GROUP BY over many groups"
echo
echo "$rows rows of bench_log grouped by \`id % G\`; median of $reps runs, serial plans;"
echo "$(sql "SELECT version()" | cut -d, -f1); work_mem = $(sql "SHOW work_mem")."
echo "Each cell: time of the aggregate / time of \`count(*)\` with the same key and plan setting."
echo
header="| aggregate |"; rule="|---|"
for g in $groups; do for mode in on off; do header+=" $g, hash $mode |"; rule+="---|"; done; done
echo "$header"; echo "$rule"
for a in "${aggs[@]}"; do
    name="${a%%|*}"
    line="| \`$name\` |"
    for g in $groups; do for mode in on off; do
        base=${ms["$g|$mode|count(*)"]}
        v=${ms["$g|$mode|$name"]}
        if [[ "$name" == "count(*)" ]]; then
            line+=" $(printf '%.0f ms' "$v") |"
        else
            line+=" $(awk -v a="$v" -v b="$base" 'BEGIN { printf "%.2f", a / b }') |"
        fi
    done; done
    echo "$line"
done
