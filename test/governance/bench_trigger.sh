#!/usr/bin/env bash
# Overhead of the prediction-log trigger (ethaudit.monitor_table) on bulk
# inserts: the same INSERT ... SELECT of a batch into two identical tables,
# one monitored and one not, in the same run, alternating, each inside a
# transaction that is rolled back (so every repetition sees the same data).
#
# Works against any server named by the libpq environment variables
# (PGHOST, PGPORT, PGUSER, PGDATABASE); creates the extension if needed.
# Prints a Markdown report on stdout.
#
#   BENCH_BATCH    rows per batch            (default 100000)
#   BENCH_HISTORY  rows already in the table (default 500000, 100000 per hour)
#   BENCH_REPS     repetitions per table     (default 21)
#   BENCH_ONLY     "updates": time only the label-filling UPDATEs
set -euo pipefail
batch=${BENCH_BATCH:-100000}
history=${BENCH_HISTORY:-500000}
reps=${BENCH_REPS:-21}
psql_=(psql -X -q -v ON_ERROR_STOP=1 -P pager=off)

"${psql_[@]}" <<SQL
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS ethaudit;
DROP SCHEMA IF EXISTS bench_gov CASCADE;
-- leftovers of an interrupted run (only the benchmark's own model)
DELETE FROM ethaudit.alert_events WHERE alert_id IN (SELECT alert_id FROM ethaudit.alerts WHERE model = 'bench');
DELETE FROM ethaudit.alerts WHERE model = 'bench';
DELETE FROM ethaudit.results WHERE model = 'bench';
DELETE FROM ethaudit.runs WHERE source = 'bench_gov.log_monitored';
DELETE FROM ethaudit.checks WHERE model = 'bench';
DELETE FROM ethaudit.baselines WHERE model = 'bench';
DELETE FROM ethaudit.models WHERE model = 'bench';
CREATE SCHEMA bench_gov;
-- a prediction log as a service writes it: time, version, features, score, label, group
CREATE TABLE bench_gov.log_plain (
    id bigserial PRIMARY KEY, ts timestamptz NOT NULL, model_version text NOT NULL,
    f1 float8, f2 float8, category text, score float8, label boolean, grp text);
CREATE INDEX ON bench_gov.log_plain (ts);
CREATE TABLE bench_gov.log_monitored (LIKE bench_gov.log_plain INCLUDING ALL);
ALTER TABLE bench_gov.log_plain SET (autovacuum_enabled = false);
ALTER TABLE bench_gov.log_monitored SET (autovacuum_enabled = false);
-- the batch generator: deterministic, no NULLs or bad values (the normal case)
CREATE FUNCTION bench_gov.rows(n integer, t0 timestamptz, step interval)
RETURNS TABLE (ts timestamptz, model_version text, f1 float8, f2 float8, category text,
               score float8, label boolean, grp text)
LANGUAGE sql AS \$\$
    SELECT t0 + i * step, 'v1', (i * 7919 % 10007) / 10007.0, (i * 104729 % 1009) / 100.0,
           'c' || (i * 31 % 20), (i * 613 % 1000) / 1000.0, (i * 97 % 3) = 0,
           CASE i % 4 WHEN 0 THEN 'a' WHEN 1 THEN 'b' ELSE 'c' END
    FROM generate_series(1, n::bigint) i
\$\$;
INSERT INTO bench_gov.log_plain (ts, model_version, f1, f2, category, score, label, grp)
SELECT * FROM bench_gov.rows($history, now() - interval '5 hours', interval '5 hours' / $history);
INSERT INTO bench_gov.log_monitored (ts, model_version, f1, f2, category, score, label, grp)
SELECT ts, model_version, f1, f2, category, score, label, grp FROM bench_gov.log_plain;
VACUUM ANALYZE bench_gov.log_plain;
VACUUM ANALYZE bench_gov.log_monitored;
INSERT INTO ethaudit.models (model) VALUES ('bench');
SQL

# The timed statement: one batch, triggers included, rolled back.  With
# stmt=update, the batch is an UPDATE that fills the labels of the latest
# rows (the labels arriving after the predictions).
stmt=insert
batch_sql() {   # $1 = table, $2 = rows
    if [ "$stmt" = update ]; then
        cat <<SQL
BEGIN;
EXPLAIN (ANALYZE, TIMING OFF, COSTS OFF)
UPDATE bench_gov.$1 SET label = (id % 3 = 0) WHERE id > (SELECT max(id) - ${2:-$batch} FROM bench_gov.$1);
ROLLBACK;
SQL
        return
    fi
    cat <<SQL
BEGIN;
EXPLAIN (ANALYZE, TIMING OFF, COSTS OFF)
INSERT INTO bench_gov.$1 (ts, model_version, f1, f2, category, score, label, grp)
SELECT * FROM bench_gov.rows(${2:-$batch}, now(), interval '1 hour' / $batch);
ROLLBACK;
SQL
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# $1 = label, $2 = rows per batch (default $batch), $3 = session settings.  All repetitions run in one session, as a loader inserting
# batch after batch would (one warm-up batch per table first), alternating
# plain / monitored.  A warning (e.g. from a failing trigger) stops the run.
measure() {
    local out i
    out=$(mktemp)
    {
        echo "${3:-}"
        batch_sql log_plain "${2:-}"; batch_sql log_monitored "${2:-}"
        for ((i = 0; i < reps; i++)); do
            # the rolled-back rows are vacuumed away, so that every repetition
            # inserts into the same tables (autovacuum is off for them)
            echo "VACUUM bench_gov.log_plain, bench_gov.log_monitored;"
            if ((i % 2)); then batch_sql log_monitored "${2:-}"; batch_sql log_plain "${2:-}"
            else batch_sql log_plain "${2:-}"; batch_sql log_monitored "${2:-}"; fi
        done
    } | "${psql_[@]}" -t -A 2>"$out.err" | sed -n 's/^Execution Time: \([0-9.]*\) ms$/\1/p' > "$out"
    if [ -s "$out.err" ]; then
        cat "$out.err" >&2
        echo "a timed insert reported a warning or an error" >&2
        rm -f "$out" "$out.err"
        exit 1
    fi
    # drop the warm-ups; repetition k ran plain first if k is even
    local p m
    p=$(awk 'NR > 2 { j = NR - 3; if (int(j / 2) % 2 == j % 2) print }' "$out")
    m=$(awk 'NR > 2 { j = NR - 3; if (int(j / 2) % 2 != j % 2) print }' "$out")
    rm -f "$out" "$out.err"
    # each repetition timed both tables back to back: the ratio of such a
    # pair is immune to slow changes of the machine's load
    local pm mm pr q1 q3
    pm=$(echo "$p" | median)
    mm=$(echo "$m" | median)
    pr=$(paste <(echo "$p") <(echo "$m") | awk '{ print $2 / $1 }' | median)
    q1=$(paste <(echo "$p") <(echo "$m") | awk '{ print $2 / $1 }' | sort -n | awk '{a[NR]=$1} END {print a[int((NR + 3) / 4)]}')
    q3=$(paste <(echo "$p") <(echo "$m") | awk '{ print $2 / $1 }' | sort -n | awk '{a[NR]=$1} END {print a[NR + 1 - int((NR + 3) / 4)]}')
    awk -v l="$1" -v pm="$pm" -v mm="$mm" -v pr="$pr" -v q1="$q1" -v q3="$q3" \
        'BEGIN { printf "| %s | %.1f | %.1f | %.3f | **%.3f** | %.3f – %.3f |\n", l, pm, mm, mm / pm, pr, q1, q3 }'
    echo "  $1: plain" $p "/ monitored" $m >&2
}

measure_insert() { [ "${BENCH_ONLY:-}" = updates ] || measure "$@"; }

# the first batch of a new session also pays for compiling the PL/pgSQL
# functions and filling the catalog caches: 5 pairs of new sessions
cold() {
    local i p m
    for ((i = 0; i < 5; i++)); do
        "${psql_[@]}" -c "VACUUM bench_gov.log_plain, bench_gov.log_monitored"
        p=$(batch_sql log_plain | "${psql_[@]}" -t -A | sed -n 's/^Execution Time: \([0-9.]*\) ms$/\1/p')
        m=$(batch_sql log_monitored | "${psql_[@]}" -t -A | sed -n 's/^Execution Time: \([0-9.]*\) ms$/\1/p')
        echo "$p $m"
    done
}

echo "Batch of $batch rows into a table of $history rows (index on ts, bigserial key);"
echo "$reps batches per table in one session, after a warm-up batch each; each repetition inserts"
echo "into both tables back to back (alternating which goes first), and its two times give a paired ratio."
echo
echo "| trigger configuration | no trigger, median (ms) | with trigger, median (ms) | ratio of the medians | median of the paired ratios | paired ratios, 1st – 3rd quartile |"
echo "|---|---|---|---|---|---|"

"${psql_[@]}" -c "SELECT count(*) FROM ethaudit.monitor_table('bench_gov.log_monitored', 'bench', 'ts',
    required_columns => '{ts,model_version,f1,f2,score}', probability_column => 'score')" >/dev/null
measure_insert "NULLs in 5 required columns + probabilities outside [0,1] or NaN"

"${psql_[@]}" <<'SQL' >/dev/null
SELECT ethaudit.store_baseline('bench', 'category', 'bench_gov.log_monitored', 'ts', now() - interval '5 hours', now());
INSERT INTO ethaudit.checks (check_name, model, metric, mode, source, time_column, value_column, reference_kind, baseline_id, min_samples)
SELECT 'bench unseen category', 'bench', 'unseen_share', 'insert_batch', 'bench_gov.log_monitored', 'ts', 'category', 'baseline', baseline_id, 1
FROM ethaudit.baselines WHERE model = 'bench' AND column_name = 'category';
INSERT INTO ethaudit.thresholds (check_id, warn, critical)
SELECT check_id, 0, 0.05 FROM ethaudit.checks WHERE check_name = 'bench unseen category';
SQL
measure_insert "+ categories unseen in a stored baseline"

"${psql_[@]}" <<'SQL' >/dev/null
INSERT INTO ethaudit.checks (check_name, model, metric, mode, source, time_column, label_column, probability_column, window_rows)
VALUES ('bench sliding ece', 'bench', 'ece', 'insert_window', 'bench_gov.log_monitored', 'ts', 'label', 'score', 10000);
INSERT INTO ethaudit.thresholds (check_id, warn, critical)
SELECT check_id, 0.1, 0.2 FROM ethaudit.checks WHERE check_name = 'bench sliding ece';
SQL
measure_insert "+ sliding-window ECE over the latest 10000 predictions"
measure_insert "same, inserting sessions with work_mem = 32MB (the batch stays in memory)" "" "SET work_mem = '32MB';"

"${psql_[@]}" <<'SQL' >/dev/null
UPDATE ethaudit.checks SET enabled = false WHERE check_name = 'bench unseen category';
INSERT INTO ethaudit.checks (check_name, model, metric, mode, source, time_column, value_column, reference_kind, reference_size, min_samples)
VALUES ('bench unseen category, window', 'bench', 'unseen_share', 'insert_batch', 'bench_gov.log_monitored', 'ts', 'category', 'preceding', '1 hour', 1);
SQL
measure_insert "same, unseen categories against the preceding hour (100000 rows) instead of a baseline"

"${psql_[@]}" <<'SQL' >/dev/null
UPDATE ethaudit.checks SET enabled = (check_name <> 'bench unseen category, window') WHERE model = 'bench';
SQL
measure_insert "all but the preceding-hour check, batches of 1000 rows" 1000

# labels filled in by UPDATE (monitor_label_updates): the latest batch of
# rows has no labels yet, and each timed UPDATE fills them; the checks that
# read labels run, the others do not
"${psql_[@]}" <<SQL >/dev/null
UPDATE bench_gov.log_plain SET label = NULL WHERE id > (SELECT max(id) - $batch FROM bench_gov.log_plain);
UPDATE bench_gov.log_monitored SET label = NULL WHERE id > (SELECT max(id) - $batch FROM bench_gov.log_monitored);
VACUUM ANALYZE bench_gov.log_plain, bench_gov.log_monitored;
SQL
"${psql_[@]}" <<'SQL' >/dev/null
SELECT ethaudit.monitor_label_updates('bench_gov.log_monitored');
INSERT INTO ethaudit.checks (check_name, model, metric, mode, source, time_column, label_column, probability_column, min_samples)
VALUES ('bench brier of labelled batches', 'bench', 'brier_score', 'insert_batch', 'bench_gov.log_monitored', 'ts', 'label', 'score', 1);
SQL
stmt=update
measure "label updates: UPDATE filling the labels of the latest 100000 rows (Brier score of the batch, sliding-window ECE)"
"${psql_[@]}" -c "UPDATE ethaudit.checks SET labelled_only = true WHERE check_name = 'bench sliding ece'" >/dev/null
measure "same, the sliding ECE over the latest 10000 labelled predictions (labelled_only)"
measure "same, updating sessions with work_mem = 32MB (both transition tables stay in memory)" "" "SET work_mem = '32MB';"
# PostgreSQL's own part: the same two transition tables filled for a
# trigger that reads nothing, in place of ethaudit's
"${psql_[@]}" <<'SQL' >/dev/null
CREATE FUNCTION bench_gov.nothing() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NULL; END';
ALTER TABLE bench_gov.log_monitored DISABLE TRIGGER ethaudit_monitor_labels;
CREATE TRIGGER bench_nothing AFTER UPDATE ON bench_gov.log_monitored
    REFERENCING OLD TABLE AS o NEW TABLE AS n FOR EACH STATEMENT EXECUTE FUNCTION bench_gov.nothing();
SQL
measure "PostgreSQL's part alone: a trigger that does nothing, over the same two transition tables"
"${psql_[@]}" <<'SQL' >/dev/null
DROP TRIGGER bench_nothing ON bench_gov.log_monitored;
CREATE TRIGGER bench_nothing AFTER UPDATE ON bench_gov.log_monitored
    REFERENCING NEW TABLE AS n FOR EACH STATEMENT EXECUTE FUNCTION bench_gov.nothing();
SQL
measure "same, over the new transition table alone"
"${psql_[@]}" <<'SQL' >/dev/null
DROP TRIGGER bench_nothing ON bench_gov.log_monitored;
ALTER TABLE bench_gov.log_monitored ENABLE TRIGGER ethaudit_monitor_labels;
SQL
stmt=insert
"${psql_[@]}" -c "UPDATE ethaudit.checks SET enabled = false WHERE check_name = 'bench brier of labelled batches'" >/dev/null

[ "${BENCH_ONLY:-}" = updates ] || {
echo
echo "First batch of a new session, which also compiles the PL/pgSQL functions and fills its"
echo "catalog caches (5 pairs of new sessions), all but the preceding-hour check:"
echo
pairs=$(cold)
echo "| no trigger, median (ms) | with trigger, median (ms) | median of the paired ratios |"
echo "|---|---|---|"
awk -v p="$(echo "$pairs" | awk '{ print $1 }' | median)" -v m="$(echo "$pairs" | awk '{ print $2 }' | median)" \
    -v r="$(echo "$pairs" | awk '{ print $2 / $1 }' | median)" 'BEGIN { printf "| %.1f | %.1f | **%.3f** |\n", p, m, r }'
echo "  new sessions (plain monitored):" $pairs >&2
}

"${psql_[@]}" <<'SQL' >/dev/null
SET client_min_messages = warning;
SELECT ethaudit.unmonitor_table('bench_gov.log_monitored');
DROP SCHEMA bench_gov CASCADE;
DELETE FROM ethaudit.alert_events WHERE alert_id IN (SELECT alert_id FROM ethaudit.alerts WHERE model = 'bench');
DELETE FROM ethaudit.alerts WHERE model = 'bench';
DELETE FROM ethaudit.results WHERE model = 'bench';
DELETE FROM ethaudit.runs WHERE source = 'bench_gov.log_monitored';
DELETE FROM ethaudit.checks WHERE model = 'bench';
DELETE FROM ethaudit.baselines WHERE model = 'bench';
DELETE FROM ethaudit.models WHERE model = 'bench';
SQL
