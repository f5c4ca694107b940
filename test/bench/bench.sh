#!/usr/bin/env bash
# ethaudit benchmark: each metric over a synthetic prediction log, timed against
# SELECT sum(score) over the same table, serial and with 2 parallel workers.
#
#   pg_virtualenv -o shared_buffers=2GB -o work_mem=256MB \
#       -o max_parallel_workers_per_gather=2 -o max_worker_processes=8 \
#       -o max_parallel_workers=8 test/bench/bench.sh [ROWS]
#
# Connects with the libpq environment (PGHOST, PGPORT, PGUSER, PGDATABASE).
# The ethaudit extension must be installed (make install); it is created if missing.
#
# Arguments / environment:
#   ROWS (1st argument) or BENCH_ROWS   rows of bench_log           (default 10000000)
#   BENCH_REPS                          runs per query and mode     (default 3; the median is reported)
#   BENCH_SLOW_REPS                     runs of the plain-SQL queries (default BENCH_REPS)
#   BENCH_REUSE=1                       keep an existing bench_log of the right size
#
# The Markdown report goes to stdout, progress to stderr.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
rows="${1:-${BENCH_ROWS:-10000000}}"
reps="${BENCH_REPS:-3}"
slow_reps="${BENCH_SLOW_REPS:-$reps}"
reuse="${BENCH_REUSE:-0}"

case "$rows$reps$slow_reps" in
    *[!0-9]*) echo "bench.sh: ROWS, BENCH_REPS and BENCH_SLOW_REPS must be integers" >&2; exit 2 ;;
esac

PSQL=(psql -X -q -v ON_ERROR_STOP=1 -P pager=off)
export PGTZ=UTC PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=notice"

log() { printf '%s bench: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
sql() { "${PSQL[@]}" -At -c "$1"; }

start_s=$(date +%s)

sql "CREATE EXTENSION IF NOT EXISTS ethaudit" >/dev/null

# ---------------------------------------------------------------- data
have=-1
if [[ $(sql "SELECT to_regclass('public.bench_log') IS NOT NULL") == t ]]; then
    have=$(sql "SELECT count(*) FROM bench_log")
fi
if [[ "$reuse" == 1 && "$have" == "$rows" ]]; then
    log "reusing bench_log ($rows rows)"
else
    log "generating bench_log: $rows rows"
    t0=$(date +%s)
    "${PSQL[@]}" -v rows="$rows" -f "$here/data.sql"
    log "generated in $(( $(date +%s) - t0 )) s; VACUUM ANALYZE"
    sql "VACUUM (ANALYZE) bench_log"
fi

# warm the cache: load the table into shared buffers if it fits (a seq scan of a
# table larger than shared_buffers/4 goes through a small ring buffer and would
# otherwise read from the OS page cache every time), then one untimed sum(score)
prewarmed=no
if sql "CREATE EXTENSION IF NOT EXISTS pg_prewarm" >/dev/null 2>&1; then
    fits=$(sql "SELECT pg_relation_size('bench_log') < 0.9 * (SELECT setting::bigint * 8192
                  FROM pg_settings WHERE name = 'shared_buffers')")
    if [[ "$fits" == t ]]; then
        sql "SELECT pg_prewarm('bench_log')" >/dev/null
        prewarmed=yes
    fi
fi
# flush the dirty pages of the load now, not by a checkpoint during the timings
sql "CHECKPOINT" >/dev/null || log "CHECKPOINT failed (not superuser?); continuing"
sql "SELECT sum(score) FROM bench_log" >/dev/null
log "cache warmed (pg_prewarm: $prewarmed)"

mid=$(sql "SELECT min(ts) + (max(ts) - min(ts)) / 2 FROM bench_log")
"${PSQL[@]}" -v mid="$mid" -f "$here/setup.sql"

# ---------------------------------------------------------------- timing
# Run-major order (run 1 of every query in both modes, then run 2, ...), in one
# session, every query its own transaction.
mapfile -t names < <(sql "SELECT name || '|' || slow || '|' || kind FROM bench.query ORDER BY ord")
script=$(
    for ((r = 1; r <= reps; r++)); do
        for entry in "${names[@]}"; do
            name=${entry%%|*}; rest=${entry#*|}; slow=${rest%%|*}; kind=${rest#*|}
            if [[ "$slow" == t && $r -gt $slow_reps ]]; then continue; fi
            modes="0 2"
            # window functions never run in parallel; rollups are small
            if [[ "$kind" == window || "$kind" == rollup ]]; then modes="0"; fi
            for w in $modes; do
                printf "SELECT bench.run('%s', %d, %d);\n" "${name//\'/\'\'}" "$w" "$r"
            done
        done
    done
)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
t0=$(date +%s)
"${PSQL[@]}" -o /dev/null <<<"$script"
timing_s=$(( $(date +%s) - t0 ))
log "timed queries took $timing_s s"

# ---------------------------------------------------------------- memory
# Peak private memory of each query, serial, each in a fresh backend: the
# backend's peak resident set (VmHWM) minus the shared buffers and files it
# maps (RssShmem + RssFile), after the query, less the same for the idle
# backend. Needs the server on this machine and /proc readable (run as root).
mem_rows=""
if [[ "${BENCH_MEMORY:-1}" == 1 ]]; then
    log "measuring peak memory per query"
    mapfile -t mem_names < <(sql "SELECT name FROM bench.query WHERE kind IN ('baseline', 'ethaudit') ORDER BY ord")
    for name in "${mem_names[@]}"; do
        q=$(sql "SELECT sql FROM bench.query WHERE name = $(printf "'%s'" "${name//\'/\'\'}")")
        out=$("${PSQL[@]}" -At <<SQL 2>/dev/null || true
SET max_parallel_workers_per_gather = 0;
SELECT pg_backend_pid() AS pid \gset
\setenv BENCH_PID :pid
\! awk '/^(VmHWM|RssShmem|RssFile):/ {v[\$1] = \$2} END {print "before", v["VmHWM:"] - v["RssShmem:"] - v["RssFile:"]}' /proc/\$BENCH_PID/status
\o /dev/null
$q;
\o
\! awk '/^(VmHWM|RssShmem|RssFile):/ {v[\$1] = \$2} END {print "after", v["VmHWM:"] - v["RssShmem:"] - v["RssFile:"]}' /proc/\$BENCH_PID/status
SQL
)
        before=$(sed -n 's/^before //p' <<<"$out"); after=$(sed -n 's/^after //p' <<<"$out")
        if [[ -n "$before" && -n "$after" ]]; then
            mem_rows+="| $name | $(awk -v a="$after" -v b="$before" 'BEGIN {printf "%.1f", (a - b) / 1024}') |"$'\n'
        fi
    done
fi

# ---------------------------------------------------------------- report
pg_version=$(sql "SELECT version()")
cpu=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || true)
mem=$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
so="$(pg_config --pkglibdir 2>/dev/null)/ethaudit.so"
so_md5=$( (md5sum "$so" 2>/dev/null || echo "?") | cut -c1-12)

echo "## ethaudit benchmark, $rows rows"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- machine: $(nproc) cores ($cpu), $mem RAM, $(uname -sr)"
echo "- load average (1, 5, 15 min) before the timed queries: $load_before"
echo "- server: $pg_version"
echo "- ethaudit $(sql "SELECT extversion FROM pg_extension WHERE extname = 'ethaudit'"), installed ethaudit.so md5 $so_md5..."
sql "SELECT '- settings: ' || string_agg(name || '=' || current_setting(name), ', ' ORDER BY name)
     FROM pg_settings WHERE name IN ('shared_buffers', 'work_mem', 'max_worker_processes',
       'max_parallel_workers', 'parallel_leader_participation', 'jit', 'huge_pages')"
# huge pages the machine has in use (the server's shared memory, when it got them)
echo "- huge pages in use on this machine: $(awk '/^HugePages_Total:/ {t = $2} /^HugePages_Free:/ {f = $2}
    /^Hugepagesize:/ {s = $2} END {printf "%d MiB", (t - f) * s / 1024}' /proc/meminfo 2>/dev/null || echo unknown)"
echo "- bench_log: $(sql "SELECT pg_size_pretty(pg_relation_size('bench_log'))"), prewarmed into shared buffers: $prewarmed"
echo "- is_ref = ts < '$mid' (the first half of the rows by time is the reference)"
echo "- median of $reps runs per query and mode (plain-SQL queries: $slow_reps); time = clock_timestamp() around EXECUTE in PL/pgSQL (parse + plan + execute, no client transfer)"
echo "- ratio = median / median of sum(score) in the same mode; 2 workers = max_parallel_workers_per_gather=2 (leader participates)"
echo
echo "| metric | serial ms | ratio | 2 workers ms | ratio |"
echo "|---|---:|---:|---:|---:|"
sql "
WITH med AS (
    SELECT name, workers, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS ms, count(*) AS n
    FROM bench.timing GROUP BY name, workers
), base AS (
    SELECT workers, ms FROM med WHERE name = 'sum(score)'
)
SELECT format('| %s | %s | %s | %s | %s |',
              CASE WHEN q.kind = 'ethaudit' THEN 'ethaudit.' || q.name ELSE q.name END,
              to_char(s.ms, 'FM999990.0'), to_char(s.ms / bs.ms, 'FM9990.00') || 'x',
              to_char(p.ms, 'FM999990.0'), to_char(p.ms / bp.ms, 'FM9990.00') || 'x')
FROM bench.query q
JOIN med s ON s.name = q.name AND s.workers = 0
JOIN med p ON p.name = q.name AND p.workers = 2
CROSS JOIN (SELECT ms FROM base WHERE workers = 0) bs
CROSS JOIN (SELECT ms FROM base WHERE workers = 2) bp
WHERE q.kind NOT IN ('window', 'rollup')
ORDER BY q.ord"
echo
echo "Sliding windows over the first 1M rows (serial; frame cost = time at this frame / time at the 1k frame):"
echo
echo "| metric | 1k rows ms | 10k rows ms | 100k rows ms | 100k / 1k |"
echo "|---|---:|---:|---:|---:|"
sql "
WITH med AS (
    SELECT name, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS ms
    FROM bench.timing GROUP BY name
), w AS (
    SELECT substring(name FROM '^window [0-9]+k: (.*)$') AS metric,
           substring(name FROM '^window ([0-9]+k):') AS frame, ms
    FROM med WHERE name LIKE 'window %'
)
SELECT format('| %s | %s | %s | %s | %s |', a.metric,
              to_char(a.ms, 'FM999990.0'), to_char(b.ms, 'FM999990.0'), to_char(c.ms, 'FM999990.0'),
              to_char(c.ms / a.ms, 'FM990.00') || 'x')
FROM w a JOIN w b ON b.metric = a.metric AND b.frame = '10k'
         JOIN w c ON c.metric = a.metric AND c.frame = '100k'
WHERE a.frame = '1k'
ORDER BY a.metric"
echo
echo "Rollup: 30 stored daily states merged, against one raw pass over the same 2,592,000 rows (serial):"
echo
echo "| query | ms |"
echo "|---|---:|"
sql "
SELECT format('| %s | %s |', q.name, to_char(percentile_cont(0.5) WITHIN GROUP (ORDER BY t.ms), 'FM999990.00'))
FROM bench.query q JOIN bench.timing t USING (name)
WHERE q.kind = 'rollup' GROUP BY q.name, q.ord ORDER BY q.ord"
echo
echo "State sizes (pg_column_size of the flattened state; the memory a group's state needs while aggregating is of the same order):"
echo
sql "
SELECT format('- %s: %s bytes', what, size) FROM (
    SELECT 1 AS k, 'stored numeric baseline (10 bins)' AS what, pg_column_size(feature_b) AS size FROM bench.ref
    UNION ALL SELECT 2, 'stored categorical baseline (5 groups)', pg_column_size(grp_b) FROM bench.ref
    UNION ALL SELECT 3, 'daily baseline state', max(pg_column_size(feature_state)) FROM bench.daily
    UNION ALL SELECT 4, 'daily group_counts state (5 groups)', max(pg_column_size(group_state)) FROM bench.daily
    UNION ALL SELECT 5, 'daily calibration_counts state (10 bins)', max(pg_column_size(calibration_state)) FROM bench.daily
) s ORDER BY k"
echo "- exact two-sample states (psi, js_divergence, ks_stat, ks_test, wasserstein, roc_auc, baseline(value)): 8 bytes per value kept, up to 2x while growing, plus 8 bytes per value of one sample while sorting: $(sql "SELECT pg_size_pretty(count(feature) * 8) FROM bench_log") of values for this table"
if [[ -n "$mem_rows" ]]; then
    echo
    echo "Peak private memory of each query, serial, in a fresh backend (peak resident set minus mapped shared buffers and files, less the idle backend's; MiB):"
    echo
    echo "| query | peak MiB |"
    echo "|---|---:|"
    printf '%s' "$mem_rows"
fi
echo
echo "Workers planned with max_parallel_workers_per_gather=2, and results (serial run 1):"
echo
echo "| query | workers planned | result |"
echo "|---|---:|---|"
sql "
SELECT format('| %s | %s | %s |', q.name, bench.workers_planned(q.name, 2), t.result)
FROM bench.query q
JOIN bench.timing t ON t.name = q.name AND t.workers = 0 AND t.run = 1
ORDER BY q.ord"
echo
echo "All runs (ms): "
echo
sql "
SELECT format('- %s, %s: %s', name, CASE workers WHEN 0 THEN 'serial' ELSE workers || ' workers' END,
              string_agg(to_char(ms, 'FM999990.0'), ', ' ORDER BY run))
FROM bench.timing JOIN bench.query USING (name)
GROUP BY name, workers, ord ORDER BY ord, workers"
echo
echo "Total benchmark time $(( $(date +%s) - start_s )) s (timed queries $timing_s s)."
