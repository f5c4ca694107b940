#!/usr/bin/env bash
# Security tests that need a whole cluster: concurrent writers of the audit
# log (pgbench), a REPEATABLE READ writer racing another, login roles,
# tampering committed by a superuser, pg_dump and restore of the chain, and
# retention run by pg_cron as the admin role.
#
# Starts one throwaway cluster on a free port under a temporary directory,
# with pg_cron preloaded, as the postgres user when run as root; removes it
# on exit.  Prints TAP (run it with prove).  Needs ethaudit installed (make
# install), PostgreSQL's server binaries, pgbench and pg_cron.
set -uo pipefail
cd "$(dirname "$0")/../.."

. test/lib/cluster.sh
start_cluster security 5900 -c shared_preload_libraries=pg_cron -c cron.database_name=sec_cron \
    -c cron.use_background_workers=on -c max_worker_processes=20 -c max_connections=60

# the parts, once for the cluster, and people who log in
createdb sec_cron || bail "createdb failed"
q sec_cron <<'SQL' >/dev/null || bail "setting up roles failed"
SET client_min_messages = warning;
CREATE EXTENSION pg_cron;
CREATE EXTENSION ethaudit;
SELECT * FROM ethaudit.create_roles();
CREATE ROLE sec_team_a NOLOGIN IN ROLE ethaudit_owner;
CREATE ROLE sec_alice LOGIN IN ROLE sec_team_a;
CREATE ROLE sec_bob LOGIN IN ROLE ethaudit_owner;
CREATE ROLE sec_carol LOGIN IN ROLE ethaudit_auditor;
CREATE ROLE sec_app LOGIN IN ROLE ethaudit_writer;
CREATE ROLE sec_dave LOGIN IN ROLE ethaudit_admin;
SQL

# ---------- 1. pg_cron runs retention as the admin role (checked at the end) ----------
q sec_cron <<'SQL' >/dev/null || bail "setting up the pg_cron database failed"
SET client_min_messages = warning;
GRANT USAGE ON SCHEMA cron TO sec_dave;
INSERT INTO ethaudit.models (model, owner_role) VALUES ('cron model', 'sec_team_a');
INSERT INTO ethaudit.retention_policies (table_name, time_column, keep) VALUES ('ethaudit.audit_log', 'logged_at', '1 second');
SET ROLE sec_dave;
SELECT cron.schedule('ethaudit-retention', '* * * * *', 'SELECT count(*) FROM ethaudit.apply_retention()');
SQL
cron_scheduled_at=$(date +%s)

# ---------- 2. concurrent writers ----------
createdb sec_conc || bail "createdb failed"
q sec_conc <<'SQL' >/dev/null || bail "setting up the concurrency database failed"
SET client_min_messages = warning;
CREATE EXTENSION ethaudit;
SELECT * FROM ethaudit.create_roles();
CREATE TABLE log (ts timestamptz NOT NULL, feature float8);
INSERT INTO ethaudit.models (model) SELECT 'model ' || i FROM generate_series(1, 4) i;
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind)
SELECT 'drift ' || i, 'model ' || i, 'psi', 'public.log', 'ts', 'feature', '1 day', 'preceding' FROM generate_series(1, 4) i;
INSERT INTO ethaudit.thresholds (check_id, warn, critical) SELECT check_id, 0.1, 0.2 FROM ethaudit.checks;
SQL
# each transaction: a user event and a configuration change, two events
cat > "$work/append.sql" <<'SQL'
\set m random(1, 4)
BEGIN;
SELECT ethaudit.record_event('load_test', 'model ' || :m, jsonb_build_object('client', :client_id));
UPDATE ethaudit.thresholds SET notes = 'client ' || :client_id || ' at ' || clock_timestamp() WHERE check_id = :m;
END;
SQL
head_before=$(q sec_conc -c "SELECT seq FROM ethaudit.audit_head()")
pgb=$("$BIN/pgbench" -n -c 8 -j 8 -t 50 -f "$work/append.sql" sec_conc 2>&1)
ok $? "pgbench: 8 clients, 50 transactions each, every transaction appends two events"
is "$(printf '%s\n' "$pgb" | sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p')" "0" "no transaction failed"
is "$(q sec_conc -c "SELECT count(*) FILTER (WHERE event_type = 'load_test'), count(*) FILTER (WHERE event_type = 'threshold_changed')
                     FROM ethaudit.audit_log WHERE seq > $head_before")" "400|400" "all 800 events are in the log"
is "$(q sec_conc -c "SELECT max(seq) - $head_before, count(*) FILTER (WHERE seq > $head_before), count(DISTINCT prev_hash) = count(*)
                     FROM ethaudit.audit_log")" "800|800|t" "at positions head+1 .. head+800, no position taken twice, no predecessor shared (no fork)"
is "$(q sec_conc -c "SELECT valid, events_checked FROM ethaudit.verify_audit_log()" -F ' ')" "t $((head_before + 800))" \
   "the chain verifies, every event checked"
is "$(q sec_conc -c "SELECT count(*) FROM (SELECT a.seq FROM ethaudit.audit_log a JOIN ethaudit.audit_log b ON b.seq = a.seq + 1
                     WHERE b.prev_hash <> a.row_hash) x")" "0" "each event links to the one before it"

# the same load while retention shortens the log every 0.3 seconds
head_before=$(q sec_conc -c "SELECT seq FROM ethaudit.audit_head()")
q sec_conc -c "INSERT INTO ethaudit.retention_policies (table_name, time_column, keep) VALUES ('ethaudit.audit_log', 'logged_at', '200 milliseconds')" >/dev/null
( for i in 1 2 3 4 5 6; do sleep 0.3; q sec_conc -c "SELECT count(*) FROM ethaudit.apply_retention()" >/dev/null 2>> "$work/retention.err"; done ) &
ret=$!
pgb=$("$BIN/pgbench" -n -c 8 -j 8 -t 50 -f "$work/append.sql" sec_conc 2>&1)
ok $? "pgbench again, with apply_retention running six times meanwhile"
wait $ret
is "$(cat "$work/retention.err" 2>/dev/null)" "" "no retention run failed"
is "$(printf '%s\n' "$pgb" | sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p')" "0" "no transaction failed"
# 1 policy event + 800 + 6 retention_applied + 1 checkpoint key created
is "$(q sec_conc -c "SELECT seq - $head_before FROM ethaudit.audit_head()")" "808" \
   "the head moved by exactly the 808 events written (none lost, none doubled)"
is "$(q sec_conc -c "SELECT valid, checkpoints > 0 FROM ethaudit.verify_audit_log()" -F ' ')" "t t" \
   "the chain verifies from its latest signed checkpoint"
is "$(q sec_conc -c "SELECT bool_and(first_seq = coalesce(prev_last + 1, 1)) FROM (SELECT first_seq, lag(last_seq) OVER (ORDER BY checkpoint_id) AS prev_last FROM ethaudit.audit_checkpoints) x")" \
   "t" "the checkpoints cover the deleted events without gaps"

# ---------- 3. a REPEATABLE READ writer that raced another gets a serialization failure, not a fork ----------
q sec_conc -c "BEGIN ISOLATION LEVEL REPEATABLE READ" -c "SELECT count(*) FROM ethaudit.models" -c "SELECT pg_sleep(1.5)" \
    -c "SELECT ethaudit.record_event('late_writer', 'model 1')" -c "COMMIT" > "$work/rr.out" 2>&1 &
rr=$!
sleep 0.5
q sec_conc -c "SELECT ethaudit.record_event('early_writer', 'model 1')" >/dev/null
wait $rr
rr_status=$?
ok $([ "$rr_status" -ne 0 ] && grep -q 'could not serialize access to the audit log' "$work/rr.out" && echo 0 || echo 1) \
   "the REPEATABLE READ transaction fails at commit with a serialization failure"
is "$(q sec_conc -c "SELECT count(*) FILTER (WHERE event_type = 'early_writer'), count(*) FILTER (WHERE event_type = 'late_writer') FROM ethaudit.audit_log")" \
   "1|0" "its event was not appended; the other one was"
is "$(q sec_conc -c "SELECT valid FROM ethaudit.verify_audit_log()")" "t" "and the chain verifies"
q sec_conc -c "BEGIN ISOLATION LEVEL REPEATABLE READ" -c "SELECT ethaudit.record_event('retried', 'model 1')" -c "COMMIT" >/dev/null 2>&1
ok $? "retried, the same transaction commits"

# ---------- 4. login roles ----------
createdb sec_roles || bail "createdb failed"
q sec_roles <<'SQL' >/dev/null || bail "setting up the roles database failed"
SET client_min_messages = warning;
CREATE EXTENSION ethaudit;
SELECT * FROM ethaudit.create_roles();
INSERT INTO ethaudit.models (model, owner_role) VALUES ('model a', 'sec_team_a'), ('model b', 'sec_bob');
SQL
q sec_roles -U sec_app -c "SELECT ethaudit.record_decision('model a', 'declined'), ethaudit.record_decision('model b', 'approved')" >/dev/null
ok $? "the application logs in and records decisions of both models"
q sec_roles -U sec_alice -c "SELECT ethaudit.record_event('review', 'model a')" -c "SET ROLE sec_team_a" \
    -c "SELECT ethaudit.record_event('review', 'model a')" >/dev/null
ok $? "a team member records an event, then another as the team"
is "$(q sec_roles -c "SELECT string_agg(actor || '/' || login_role || '/' || event_type, ' ' ORDER BY seq) FROM ethaudit.audit_log WHERE origin = 'user'")" \
   "sec_app/sec_app/decision sec_app/sec_app/decision sec_alice/sec_alice/review sec_team_a/sec_alice/review" \
   "each event names the acting role and the role that logged in"
is "$(q sec_roles -U sec_alice -c "SELECT string_agg(DISTINCT model, ',') FROM ethaudit.audit_log")" "model a" \
   "logged in, the team member reads its model's events only"
is "$(q sec_roles -U sec_carol -c "SELECT count(DISTINCT model) FROM ethaudit.audit_log")" "2" "the auditor reads every model's"
q sec_roles -U sec_app -c "SELECT count(*) FROM ethaudit.audit_log" >/dev/null 2>&1
ok $([ $? -ne 0 ] && echo 0 || echo 1) "the application reads none"

# ---------- 5. tampering committed by a superuser ----------
createdb -T sec_roles sec_tamper || bail "createdb failed"
before=$(q sec_tamper -c "SELECT valid FROM ethaudit.verify_audit_log()")
q sec_tamper -c "SET session_replication_role = replica" -c "UPDATE ethaudit.audit_log SET actor = 'nobody' WHERE seq = 2" >/dev/null 2>&1
ok $([ $? -ne 0 ] && echo 0 || echo 1) "session_replication_role = replica does not switch the guard off"
q sec_tamper <<'SQL' >/dev/null
ALTER TABLE ethaudit.audit_log DISABLE TRIGGER audit_log_guard;
UPDATE ethaudit.audit_log SET details = details || '{"decision": "approved"}' WHERE seq = (SELECT min(seq) FROM ethaudit.audit_log WHERE event_type = 'decision');
ALTER TABLE ethaudit.audit_log ENABLE ALWAYS TRIGGER audit_log_guard;
SQL
is "$before $(q sec_tamper -c "SELECT valid, broken_seq = (SELECT min(seq) FROM ethaudit.audit_log WHERE event_type = 'decision'), problem LIKE '%changed after it was written' FROM ethaudit.verify_audit_log()" -F ' ')" \
   "t f t t" "an edit committed with the guard disabled is caught at the edited event"
createdb -T sec_roles sec_tamper2 || bail "createdb failed"
q sec_tamper2 <<'SQL' >/dev/null
ALTER TABLE ethaudit.audit_log DISABLE TRIGGER audit_log_guard;
DELETE FROM ethaudit.audit_log WHERE seq = (SELECT min(seq) FROM ethaudit.audit_log WHERE event_type = 'decision');
ALTER TABLE ethaudit.audit_log ENABLE ALWAYS TRIGGER audit_log_guard;
SQL
is "$(q sec_tamper2 -c "SELECT valid, broken_seq = (SELECT min(seq) FROM ethaudit.audit_log WHERE event_type = 'decision'), problem LIKE 'events % are missing' FROM ethaudit.verify_audit_log()" -F ' ')" \
   "f t t" "a deletion committed with the guard disabled is caught at the next event"

# ---------- 6. pg_dump and restore ----------
createdb sec_dump || bail "createdb failed"
q sec_dump <<'SQL' >/dev/null || bail "setting up the dump database failed"
SET client_min_messages = warning;
CREATE EXTENSION ethaudit;
SELECT * FROM ethaudit.create_roles();
CREATE TABLE log (ts timestamptz NOT NULL, feature float8);
INSERT INTO log SELECT '2024-01-01'::timestamptz + i * interval '1 minute', (i % 20) + CASE WHEN i >= 1440 THEN 10 ELSE 0 END
FROM generate_series(0, 2879) i;
INSERT INTO ethaudit.models (model, owner_role) VALUES ('dumped', 'sec_team_a');
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind)
VALUES ('dumped drift', 'dumped', 'psi', 'public.log', 'ts', 'feature', '1 day', 'preceding');
INSERT INTO ethaudit.thresholds (check_id, warn, critical) SELECT check_id, 0.1, 100 FROM ethaudit.checks;
INSERT INTO ethaudit.privacy_policies (model, field, action) VALUES ('dumped', 'customer', 'pseudonymise');
SELECT ethaudit.run_checks(NULL, '2024-01-03', replay => false);
SELECT ethaudit.record_decision('dumped', 'declined', '{"customer": "c-1"}', subject => 'c-1');
INSERT INTO ethaudit.retention_policies (table_name, time_column, keep) VALUES ('ethaudit.audit_log', 'logged_at', '1 millisecond');
SELECT pg_sleep(0.01);
SELECT count(*) FROM ethaudit.apply_retention();
SELECT ethaudit.acknowledge_alert(min(alert_id), 'looking') FROM ethaudit.alerts;
SELECT ethaudit.record_decision('dumped', 'approved', '{"customer": "c-2"}');
SQL
fingerprint() {   # $1 = database: the log, the checkpoints, the keys and the policies, row by row
    local t out=""
    for t in audit_log audit_checkpoints keys privacy_policies retention_policies security_roles; do
        out+="$t:$(q "$1" -c "SELECT count(*) || ':' || md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), ''))
                             FROM ethaudit.$t x") "
    done
    echo "$out"
}
before=$(fingerprint sec_dump)
head=$(q sec_dump -c "SELECT seq || ' ' || row_hash FROM ethaudit.audit_head()")
is "$(q sec_dump -c "SELECT valid, checkpoints FROM ethaudit.verify_audit_log()" -F ' ')" "t 1" "the database to dump verifies, with a checkpoint"
pg_dump -Fc -f "$work/dump.custom" sec_dump
ok $? "pg_dump (custom format)"
pg_dump -f "$work/dump.sql" sec_dump
ok $? "pg_dump (plain format)"
createdb sec_restored
pg_restore --exit-on-error -d sec_restored "$work/dump.custom" 2> "$work/restore.err"
ok $? "pg_restore into an empty database, without errors"
[ -s "$work/restore.err" ] && sed 's/^/# /' "$work/restore.err"
is "$(fingerprint sec_restored)" "$before" "the log, checkpoints, keys and policies are restored row for row, and the restore added no event"
is "$(q sec_restored -c "SELECT valid, checkpoints FROM ethaudit.verify_audit_log(${head% *}, '${head#* }')" -F ' ')" "t 1" \
   "the restored chain verifies, against the head exported before the dump too"
is "$(q sec_restored -c "SELECT ethaudit.pseudonymise('c-1')")" "$(q sec_dump -c "SELECT ethaudit.pseudonymise('c-1')")" \
   "the restored key gives the same pseudonyms"
q sec_restored -c "SELECT ethaudit.record_event('restored', 'dumped')" >/dev/null
is "$(q sec_restored -c "SELECT valid, last_seq = ${head% *} + 1 FROM ethaudit.verify_audit_log(${head% *}, '${head#* }')" -F ' ')" "t t" \
   "a new event chains onto the restored head"
createdb sec_restored_plain \
    && psql -X -q -v ON_ERROR_STOP=1 -d sec_restored_plain -f "$work/dump.sql" >/dev/null 2> "$work/restore_plain.err"
ok $? "a plain-format dump restores with psql -v ON_ERROR_STOP=1"
is "$(fingerprint sec_restored_plain) $(q sec_restored_plain -c "SELECT valid FROM ethaudit.verify_audit_log()")" "$before t" \
   "the plain-format restore holds the same rows and verifies"

# ---------- 1 (end). pg_cron ran retention as the admin role ----------
deadline=$((cron_scheduled_at + 130))
while :; do
    runs=$(q sec_cron -c "SELECT count(*) FROM ethaudit.audit_log WHERE event_type = 'retention_applied'")
    [ "$runs" -gt 0 ] && break
    [ "$(date +%s)" -ge "$deadline" ] && break
    sleep 2
done
ok $([ "$runs" -gt 0 ] && echo 0 || echo 1) "pg_cron ran ethaudit.apply_retention() on schedule"
is "$(q sec_cron -c "SELECT d.status FROM cron.job_run_details d JOIN cron.job j USING (jobid)
        WHERE j.jobname = 'ethaudit-retention' ORDER BY d.runid LIMIT 1")" "succeeded" "the job succeeded"
is "$(q sec_cron -c "SELECT actor, (details->'checkpoint'->>'checkpoint_id') IS NOT NULL FROM ethaudit.audit_log WHERE event_type = 'retention_applied' ORDER BY seq LIMIT 1" -F ' ')" \
   "sec_dave t" "as the admin role, behind a signed checkpoint"
is "$(q sec_cron -c "SELECT valid FROM ethaudit.verify_audit_log()")" "t" "and the log verifies"
q sec_cron -c "SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname = 'ethaudit-retention'" >/dev/null

echo "1..$n"
[ "$failures" -eq 0 ]
