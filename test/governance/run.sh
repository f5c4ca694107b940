#!/usr/bin/env bash
# Governance tests that need a whole cluster: scheduling with pg_cron,
# concurrent sessions, notifications, pg_dump and restore.
#
# Starts one throwaway cluster on a free port under a temporary directory,
# with pg_cron preloaded (shared_preload_libraries), as the postgres user
# when run as root; removes it on exit.  Prints TAP (run it with prove).
# Needs ethaudit installed (make install), the server binaries of one
# PostgreSQL major (PG_BINDIR, else what pg_config reports), its pgbench and
# its pg_cron (postgresql-NN-cron; test/setup.sh installs them).
set -uo pipefail
cd "$(dirname "$0")/../.."

. test/lib/cluster.sh
start_cluster governance 5700 -c shared_preload_libraries=pg_cron -c cron.database_name=ethaudit_cron \
    -c cron.use_background_workers=on -c max_worker_processes=20 -c max_connections=50

# ---------- 1. pg_cron: schedule first, check at the end ----------
# pg_cron 1.4 (Debian 12) schedules by the minute, so the job runs at the
# next full minute; the other tests run meanwhile.
createdb ethaudit_cron || bail "createdb failed"
q ethaudit_cron <<'SQL' >/dev/null || bail "setting up the pg_cron database failed"
SET client_min_messages = warning;
CREATE EXTENSION pg_cron;
CREATE EXTENSION ethaudit;
CREATE TABLE preds (ts timestamptz NOT NULL, score float8, label boolean, feature float8);
INSERT INTO preds
SELECT now() - i * interval '1 minute', (i % 10) / 10.0, i % 3 = 0,
       (i % 100) + CASE WHEN i < 1440 THEN 50 ELSE 0 END
FROM generate_series(1, 2880) i;
INSERT INTO ethaudit.models (model) VALUES ('scheduled');
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind)
VALUES ('scheduled drift', 'scheduled', 'psi', 'public.preds', 'ts', 'feature', '1 day', 'preceding');
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column, window_size)
VALUES ('scheduled ece', 'scheduled', 'ece', 'public.preds', 'ts', 'label', 'score', '1 day');
INSERT INTO ethaudit.thresholds (check_id, warn, critical)
SELECT check_id, 0.1, 0.25 FROM ethaudit.checks WHERE check_name = 'scheduled drift';
SELECT cron.schedule('ethaudit-checks', '* * * * *', 'SELECT ethaudit.run_checks()');
SQL
cron_scheduled_at=$(date +%s)

# ---------- 2. notifications ----------
createdb ethaudit_notify || bail "createdb failed"
q ethaudit_notify <<'SQL' >/dev/null || bail "setting up the notification database failed"
SET client_min_messages = warning;
CREATE EXTENSION ethaudit;
CREATE TABLE feed (ts timestamptz NOT NULL, v float8);
INSERT INTO ethaudit.models (model, owner_role) VALUES ('notify', 'postgres');
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, required_columns, window_size, min_samples)
VALUES ('notify nulls', 'notify', 'null_share', 'public.feed', 'ts', '{v}', '1 hour', 1);
INSERT INTO ethaudit.thresholds (check_id, warn, critical, resolve_after) SELECT check_id, 0.1, 0.3, 1 FROM ethaudit.checks;
-- hour h: 10 rows, nulls of them NULL
CREATE FUNCTION hour(h integer, nulls integer) RETURNS void LANGUAGE sql AS $$
    INSERT INTO feed SELECT '2024-01-01'::timestamptz + (h - 1) * interval '1 hour' + i * interval '1 minute',
                            CASE WHEN i < nulls THEN NULL ELSE 1 END FROM generate_series(0, 9) i
$$;
SELECT hour(1, 2), hour(2, 2), hour(3, 5), hour(4, 0), hour(5, 2);
SQL
# one session listens while it runs the check hour after hour; psql prints
# each notification after the command whose transaction sent it
q ethaudit_notify > "$work/notify.out" 2>&1 <<'SQL'
LISTEN ethaudit_alerts;
\echo hour 1
SELECT status FROM ethaudit.run_check(1, '2024-01-01 01:00+00', replay => false);
\echo hour 2
SELECT status FROM ethaudit.run_check(1, '2024-01-01 02:00+00', replay => false);
\echo hour 3
SELECT status FROM ethaudit.run_check(1, '2024-01-01 03:00+00', replay => false);
\echo hour 4
SELECT status FROM ethaudit.run_check(1, '2024-01-01 04:00+00', replay => false);
\echo rolled back
BEGIN;
SELECT status FROM ethaudit.run_check(1, '2024-01-01 05:00+00', replay => false);
ROLLBACK;
\echo done
SQL
events=$(sed -n 's/^Asynchronous notification "ethaudit_alerts" with payload "\(.*\)" received from server process with PID [0-9]*\.$/\1/p' "$work/notify.out")
is "$(printf '%s\n' "$events" | grep -c .)" "3" "three notifications: opened, escalated, resolved"
is "$(sed -n '/^hour 1$/,/^hour 2$/p' "$work/notify.out" | grep -c 'Asynchronous')" "1" "the first breach notifies once"
is "$(sed -n '/^hour 2$/,/^hour 3$/p' "$work/notify.out" | grep -c 'Asynchronous')" "0" "a repeat does not notify"
is "$(sed -n '/^rolled back$/,/^done$/p' "$work/notify.out" | grep -c 'Asynchronous')" "0" \
   "a rolled-back run notifies nothing"
summary=$(printf '%s\n' "$events" | while IFS= read -r e; do
    q ethaudit_notify -v e="$e" <<'SQL'
SELECT concat_ws(' ', j->>'event', j->>'severity', j->>'check_name', j->>'model', j->>'owner_role', j->>'value',
                 (j->>'due_at')::timestamptz > (j->>'opened_at')::timestamptz)
FROM (SELECT :'e'::jsonb AS j) x;
SQL
done)
is "$summary" "opened warning notify nulls notify postgres 0.2 t
escalated critical notify nulls notify postgres 0.5 t
resolved critical notify nulls notify postgres 0.5 t" "the payloads are JSON with the event, severity, check, model, owner, value and due time"
longest=$(printf '%s\n' "$events" | awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }')
ok $([ "$longest" -gt 0 ] && [ "$longest" -lt 2000 ] && echo 0 || echo 1) \
   "payloads stay far below the 8000-byte limit of pg_notify ($longest bytes)"

# ---------- 3. concurrency ----------
createdb ethaudit_conc || bail "createdb failed"
q ethaudit_conc <<'SQL' >/dev/null || bail "setting up the concurrency database failed"
SET client_min_messages = warning;
CREATE EXTENSION ethaudit;
CREATE TABLE log (ts timestamptz NOT NULL, score float8, label boolean, grp text, feature float8);
INSERT INTO log SELECT '2024-01-01'::timestamptz + i * interval '1 second', (i % 100) / 100.0, i % 3 = 0,
                       CASE WHEN i % 2 = 0 THEN 'a' ELSE 'b' END, (i % 1000) + CASE WHEN i > 100000 THEN 300 ELSE 0 END
FROM generate_series(1, 200000) i;
CREATE INDEX ON log (ts);
INSERT INTO ethaudit.models (model, owner_role) VALUES ('conc', 'postgres'), ('other', 'postgres');
-- six checks that all breach their thresholds on the second window
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind)
SELECT 'conc drift ' || k, 'conc', m, 'public.log', 'ts', 'feature', '100000 seconds', 'preceding'
FROM (VALUES (1, 'psi'), (2, 'js_divergence'), (3, 'ks_stat'), (4, 'wasserstein')) x(k, m);
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column, window_size)
VALUES ('conc ece', 'conc', 'ece', 'public.log', 'ts', 'label', 'score', '100000 seconds'),
       ('conc brier', 'conc', 'brier_score', 'public.log', 'ts', 'label', 'score', '100000 seconds');
INSERT INTO ethaudit.thresholds (check_id, warn, critical) SELECT check_id, 0.0001, 0.001 FROM ethaudit.checks;
-- the model "other": a slow check, for the blocking test
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind)
VALUES ('other drift', 'other', 'ks_stat', 'public.log', 'ts', 'feature', '100000 seconds', 'preceding');
-- a monitored table whose every batch breaks the null_share check
CREATE TABLE stream (ts timestamptz NOT NULL, score float8);
SELECT count(*) FROM ethaudit.monitor_table('public.stream', 'conc', 'ts', required_columns => '{score}');
-- for the co-occurrence race: a fairness and a drift check of one model
INSERT INTO ethaudit.models (model) VALUES ('race');
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, probability_column, group_column, window_size)
VALUES ('race parity', 'race', 'selection_rate_gap', 'public.log', 'ts', 'score', 'grp', '100000 seconds');
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind)
VALUES ('race drift', 'race', 'psi', 'public.log', 'ts', 'feature', '100000 seconds', 'preceding');
INSERT INTO ethaudit.thresholds (check_id, warn, critical)
SELECT check_id, -1, 100 FROM ethaudit.checks WHERE model = 'race';
SQL

# 3a. eight sessions call run_checks('conc') at once
as_of="'2024-01-03 07:33:20+00'"   # the end of the second window: every check breaches
for i in 1 2 3 4 5 6 7 8; do
    q ethaudit_conc -c "SELECT ethaudit.run_checks('conc', $as_of, replay => false)" > "$work/run$i.out" 2>&1 &
done
wait
is "$(cat "$work"/run*.out | grep -ci 'error\|warning')" "0" "8 concurrent run_checks: no errors"
is "$(q ethaudit_conc -c "SELECT sum(checks), sum(skipped), sum(warning + critical) FROM ethaudit.runs WHERE model = 'conc'")" \
   "48|$(q ethaudit_conc -c "SELECT 48 - count(*) FROM ethaudit.results WHERE model = 'conc'")|$(q ethaudit_conc -c "SELECT count(*) FROM ethaudit.results WHERE model = 'conc'")" \
   "every check was either evaluated or skipped by each of the 8 runs, and every evaluation breached"
is "$(q ethaudit_conc -c "SELECT count(*) FROM ethaudit.alerts WHERE model = 'conc' AND status <> 'resolved'")" "6" \
   "exactly one open alert per check"
is "$(q ethaudit_conc -c "SELECT bool_and(a.occurrences = r.n) FROM ethaudit.alerts a
        JOIN (SELECT check_id, count(*) n FROM ethaudit.results GROUP BY check_id) r USING (check_id) WHERE a.model = 'conc'")" "t" \
   "each alert counts every breaching result of its check"
is "$(q ethaudit_conc -c "SELECT count(*) FROM ethaudit.alert_events e JOIN ethaudit.alerts a USING (alert_id) WHERE a.model = 'conc' AND event = 'opened'")" "6" \
   "one 'opened' event per check"

# 3b. 8 clients x 25 batches into the monitored table (pgbench): every batch
# breaches; the alert upserts meet in INSERT ... ON CONFLICT
cat > "$work/batch.sql" <<'SQL'
INSERT INTO stream SELECT now(), CASE WHEN i % 2 = 0 THEN NULL ELSE 0.5 END FROM generate_series(1, 20) i;
SQL
pgb=$("$BIN/pgbench" -n -c 8 -j 8 -t 25 -f "$work/batch.sql" ethaudit_conc 2>&1)
ok $? "pgbench: 8 clients insert 25 batches each into the monitored table"
is "$(printf '%s\n' "$pgb" | sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p')" "0" "no transaction failed"
is "$(q ethaudit_conc -c "SELECT count(*) FROM stream")" "4000" "every row was kept"
is "$(q ethaudit_conc -c "SELECT count(*), sum(checks), sum(critical) FROM ethaudit.runs WHERE kind = 'insert'")" "200|200|200" \
   "200 batches, each checked, each critical"
is "$(q ethaudit_conc -c "SELECT count(*) FILTER (WHERE status <> 'resolved'), max(occurrences) FROM ethaudit.alerts a
        JOIN ethaudit.checks c USING (check_id) WHERE c.source = 'public.stream'")" "1|200" \
   "one open alert for the null_share check, with 200 occurrences"

# 3c. a run holding its transaction open does not block another model's
# run, nor inserts into a monitored table
q ethaudit_conc -c "BEGIN" -c "SELECT ethaudit.run_checks('conc', $as_of, replay => false)" -c "SELECT pg_sleep(4)" -c "COMMIT" >/dev/null 2>&1 &
long=$!
sleep 1
t0=$(date +%s%N)
q ethaudit_conc -c "SELECT ethaudit.run_checks('other', $as_of, replay => false)" >/dev/null
q ethaudit_conc -c "INSERT INTO stream SELECT now(), 0.5 FROM generate_series(1, 100)" >/dev/null
t1=$(date +%s%N)
wait $long
elapsed=$(( (t1 - t0) / 1000000 ))
ok $([ "$elapsed" -lt 2500 ] && echo 0 || echo 1) "another model's run and an insert did not wait for the open run (${elapsed} ms)"

# 3d. a fairness and a drift alert of one model opening in two concurrent
# transactions: the second waits for the first to commit, then sees it
q ethaudit_conc -c "BEGIN" -c "SELECT ethaudit.run_check((SELECT check_id FROM ethaudit.checks WHERE check_name = 'race parity'), $as_of, replay => false)" \
    -c "SELECT pg_sleep(2)" -c "COMMIT" >/dev/null 2>&1 &
first=$!
sleep 0.5
q ethaudit_conc -c "SELECT ethaudit.run_check((SELECT check_id FROM ethaudit.checks WHERE check_name = 'race drift'), $as_of, replay => false)" >/dev/null 2>&1
wait $first
is "$(q ethaudit_conc -c "SELECT string_agg(family || ':' || priority, ' ' ORDER BY family) FROM ethaudit.alerts WHERE model = 'race'")" \
   "drift:normal fairness:high" "co-occurring alerts opened concurrently: the fairness alert gets priority high"

# ---------- 4. pg_dump and restore ----------
createdb ethaudit_dump || bail "createdb failed"
q ethaudit_dump <<'SQL' >/dev/null || bail "setting up the dump database failed"
SET client_min_messages = warning;
CREATE EXTENSION ethaudit;
CREATE SCHEMA app;
CREATE TABLE app.log (ts timestamptz NOT NULL, version text, score float8, label boolean, cat text, feature float8);
INSERT INTO app.log SELECT '2024-01-01'::timestamptz + i * interval '1 minute', 'v1', (i % 10) / 10.0, i % 3 = 0,
                           CASE WHEN i > 2000 AND i % 7 = 0 THEN 'new' ELSE 'c' || (i % 4) END,
                           (i % 100) + CASE WHEN i > 2000 THEN 40 ELSE 0 END
FROM generate_series(0, 2879) i;
INSERT INTO ethaudit.models (model, description, owner_role) VALUES ('dumped', 'survives a restore', 'postgres');
INSERT INTO ethaudit.model_versions (model, version, stage) VALUES ('dumped', 'v1', 'live'), ('dumped', 'v0', 'retired');
SELECT ethaudit.store_baseline('dumped', 'feature', 'app.log', 'ts', '2024-01-01', '2024-01-02');
SELECT ethaudit.store_baseline('dumped', 'cat', 'app.log', 'ts', '2024-01-01', '2024-01-02');
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind, baseline_id)
SELECT 'dumped ' || column_name || ' vs baseline', 'dumped', CASE column_name WHEN 'cat' THEN 'unseen_share' ELSE 'psi' END,
       'app.log', 'ts', column_name, '12 hours', 'baseline', baseline_id
FROM ethaudit.baselines;
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column, window_rows, params)
VALUES ('dumped ece', 'dumped', 'ece', 'app.log', 'ts', 'label', 'score', 500, '{"bins": 5}');
INSERT INTO ethaudit.thresholds (check_id, warn, critical, response_time) SELECT check_id, 0.01, 0.02, '3 hours' FROM ethaudit.checks;
SELECT count(*) FROM ethaudit.monitor_table('app.log', 'dumped', 'ts', probability_column => 'score');
SELECT ethaudit.run_checks('dumped', '2024-01-01 12:00+00', replay => false);
SELECT ethaudit.run_checks('dumped', '2024-01-02 23:00+00', replay => false);
INSERT INTO app.log SELECT '2024-01-03'::timestamptz + i * interval '1 minute', 'v1', 1.5, true, 'c1', 1 FROM generate_series(1, 5) i;
SELECT ethaudit.acknowledge_alert(min(alert_id), 'looking') FROM ethaudit.alerts;
SELECT ethaudit.resolve_alert(max(alert_id), 'fixed') FROM ethaudit.alerts;
SQL
tables="models model_versions baselines checks thresholds runs results alerts alert_events"
fingerprint() {   # $1 = database: one md5 per table, over every row in key order
    local t out=""
    for t in $tables; do
        out+="$t:$(q "$1" -c "SELECT count(*) || ':' || md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), ''))
                             FROM ethaudit.$t x") "
    done
    echo "$out"
}
before=$(fingerprint ethaudit_dump)
pg_dump -Fc -f "$work/dump.custom" ethaudit_dump
ok $? "pg_dump (custom format) of a database with governance configuration and history"
pg_dump -f "$work/dump.sql" ethaudit_dump
ok $? "pg_dump (plain format) of the same database"
createdb ethaudit_restored
pg_restore --exit-on-error -d ethaudit_restored "$work/dump.custom" 2> "$work/restore.err"
ok $? "pg_restore into an empty database, without errors"
[ -s "$work/restore.err" ] && sed 's/^/# /' "$work/restore.err"
after=$(fingerprint ethaudit_restored)
is "$after" "$before" "every row of the configuration and history tables is restored, unchanged"
is "$(q ethaudit_restored -c "SELECT count(*) FROM ethaudit.alerts") $(q ethaudit_restored -c "SELECT bool_and(alert_applied) FROM ethaudit.results")" \
   "$(q ethaudit_dump -c "SELECT count(*) FROM ethaudit.alerts") t" "restoring the results did not open or count alerts again"
is "$(q ethaudit_restored -c "SELECT string_agg(c.check_name || '=' || round(r.value::numeric, 10), ' ' ORDER BY c.check_name)
        FROM ethaudit.checks c, ethaudit.run_check(c.check_id, '2024-01-02 23:00+00', replay => false) r WHERE c.mode = 'scheduled'")" \
   "$(q ethaudit_dump -c "SELECT string_agg(c.check_name || '=' || round(r.value::numeric, 10), ' ' ORDER BY c.check_name)
        FROM ethaudit.checks c, ethaudit.run_check(c.check_id, '2024-01-02 23:00+00', replay => false) r WHERE c.mode = 'scheduled'")" \
   "the restored checks, baselines included, give the same values as the originals"
is "$(q ethaudit_restored -c "SELECT min(run_id) > (SELECT max(run_id) FROM ethaudit.runs WHERE kind <> 'run_check')
        FROM ethaudit.runs WHERE kind = 'run_check'")" "t" "the sequences continue after the restored rows"
q ethaudit_restored -c "INSERT INTO app.log VALUES ('2024-01-04', 'v1', -1, true, 'c1', 1)" >/dev/null
is "$(q ethaudit_restored -c "SELECT status FROM ethaudit.results WHERE run_id = (SELECT max(run_id) FROM ethaudit.runs WHERE kind = 'insert')")" \
   "critical" "the monitoring trigger of the prediction log is restored and works"
createdb ethaudit_restored_plain \
    && psql -X -q -v ON_ERROR_STOP=1 -d ethaudit_restored_plain -f "$work/dump.sql" >/dev/null 2> "$work/restore_plain.err"
ok $? "a plain-format dump restores with psql -v ON_ERROR_STOP=1"
is "$(fingerprint ethaudit_restored_plain)" "$before" "the plain-format restore holds the same rows"

# ---------- 1 (end). pg_cron ran the checks ----------
# (minute-granular: usually within 2 minutes; more on a loaded machine)
deadline=$((cron_scheduled_at + 300))
while :; do
    runs=$(q ethaudit_cron -c "SELECT count(*) FROM ethaudit.runs WHERE finished_at IS NOT NULL")
    [ "$runs" -gt 0 ] && break
    [ "$(date +%s)" -ge "$deadline" ] && break
    sleep 2
done
ok $([ "$runs" -gt 0 ] && echo 0 || echo 1) "pg_cron ran ethaudit.run_checks() on schedule" ||
    q ethaudit_cron -c "SELECT status, return_message FROM cron.job_run_details" | sed 's/^/# /'
is "$(q ethaudit_cron -c "SELECT status FROM cron.job_run_details d JOIN cron.job j USING (jobid)
        WHERE j.jobname = 'ethaudit-checks' ORDER BY d.runid LIMIT 1")" "succeeded" "the cron job succeeded"
is "$(q ethaudit_cron -c "SELECT r.kind, r.checks, r.run_by FROM ethaudit.runs r ORDER BY run_id LIMIT 1" -F ' ')" \
   "run_checks 2 postgres" "the scheduled run evaluated both checks, as the job's owner"
is "$(q ethaudit_cron -c "SELECT string_agg(c.check_name || ': ' || r.status, ', ' ORDER BY c.check_name)
        FROM ethaudit.results r JOIN ethaudit.checks c USING (check_id) WHERE r.run_id = (SELECT min(run_id) FROM ethaudit.runs)")" \
   "scheduled drift: critical, scheduled ece: ok" "its results are in ethaudit.results"
is "$(q ethaudit_cron -c "SELECT count(*) FROM ethaudit.open_alerts WHERE check_name = 'scheduled drift'")" "1" \
   "and the scheduled run opened the drift alert"
q ethaudit_cron -c "SELECT cron.unschedule('ethaudit-checks')" >/dev/null

echo "1..$n"
[ "$failures" -eq 0 ]
