#!/usr/bin/env bash
# Upgrade test: install the released 0.1.0, fill it with evidence through its
# own API, ALTER EXTENSION ethaudit UPDATE, then prove that
#   (a) the catalog of the upgraded database equals a fresh install's,
#   (b) every row of every extension table is still there, unchanged, and the
#       audit log still verifies,
#   (c) the pg_regress and pgTAP suites pass on an upgraded database;
# and that DROP EXTENSION refuses to delete the evidence.
#
# Starts one throwaway cluster (test/lib/cluster.sh); prints TAP for prove.
# Needs ethaudit installed (make install), pgTAP and pg_prove.
set -uo pipefail
cd "$(dirname "$0")/../.."

. test/lib/cluster.sh
start_cluster upgrade 6100
chmod 777 "$work"   # the suites' outputs, written by this (root) user

new=$(sed -n "s/^default_version = '\(.*\)'/\1/p" ethaudit.control)
old=0.1.0

# every extension table's rows, as text, in a stable order; with the columns
# of the released version only (an upgrade may add columns)
rows_of() {   # $1 = database, $2 = file with "table column,column,..." lines
    while read -r table cols; do
        q "$1" -c "COPY (SELECT '$table', ($cols)::text COLLATE \"C\" AS r FROM $table ORDER BY r) TO STDOUT"
    done < "$2"
}

# ---------- (b) evidence written by 0.1.0 survives the update ----------
createdb upgraded || bail "createdb failed"
q upgraded -c "CREATE EXTENSION ethaudit VERSION '$old'" >/dev/null || bail "CREATE EXTENSION ethaudit VERSION '$old' failed"
q upgraded -f test/upgrade/evidence.sql > "$work/evidence.out" 2>&1 || { cat "$work/evidence.out"; bail "filling $old with evidence failed"; }
q upgraded -c "SELECT format('%s %s', c.oid::regclass,
                        string_agg(quote_ident(a.attname), ',' ORDER BY a.attnum))
               FROM pg_depend d JOIN pg_extension e ON d.refobjid = e.oid AND e.extname = 'ethaudit'
               JOIN pg_class c ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND c.relkind = 'r'
               JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
               WHERE d.deptype = 'e' GROUP BY c.oid ORDER BY 1" > "$work/tables"
rows_of upgraded "$work/tables" > "$work/rows.before" || bail "reading the rows failed"
empty=""
for t in models model_versions checks thresholds baselines runs results alerts alert_events audit_log \
         audit_checkpoints keys privacy_policies retention_policies security_roles; do
    [ "$(q upgraded -c "SELECT EXISTS (SELECT FROM ethaudit.$t)")" = t ] || empty="$empty $t"
done
is "$empty" "" "$old holds evidence in every table (audit log, checkpoints, keys, results, alerts, configuration)"
is "$(q upgraded -c "SELECT valid AND checkpoints > 0 FROM ethaudit.verify_audit_log()")" "t" \
   "its audit log verifies from a signed checkpoint"
events_before=$(q upgraded -c "SELECT events_checked FROM ethaudit.verify_audit_log()")

q upgraded -c "ALTER EXTENSION ethaudit UPDATE" > "$work/update.out" 2>&1
ok $? "ALTER EXTENSION ethaudit UPDATE from $old"
is "$(q upgraded -c "SELECT extversion FROM pg_extension WHERE extname = 'ethaudit'")" "$new" "now at $new"
rows_of upgraded "$work/tables" > "$work/rows.after" || bail "reading the rows failed"
# the update appends to the audit log (results_recorded of the old runs); nothing else changes
sort "$work/rows.before" > "$work/rows.before.sorted"
sort "$work/rows.after" > "$work/rows.after.sorted"
is "$(comm -23 "$work/rows.before.sorted" "$work/rows.after.sorted" | head -20)" "" \
   "every row of every table is still there, unchanged ($(wc -l < "$work/rows.before") rows)"
runs_with_results=$(q upgraded -c "SELECT count(DISTINCT run_id) FROM ethaudit.results")
is "$(comm -13 "$work/rows.before.sorted" "$work/rows.after.sorted" | grep -vc '^ethaudit.audit_log')" "0" \
   "no row was added but to the audit log"
is "$(comm -13 "$work/rows.before.sorted" "$work/rows.after.sorted" | grep -c 'results_recorded')" "$runs_with_results" \
   "which records the results of each of the $runs_with_results old runs that have results"
is "$(q upgraded -c "SELECT valid, events_checked FROM ethaudit.verify_audit_log()" -F ' ')" "t $((events_before + runs_with_results))" \
   "the audit log still verifies, every event checked"
is "$(q upgraded -c "SELECT valid, results_checked = (SELECT count(*) FROM ethaudit.results) FROM ethaudit.verify_results()" -F ' ')" "t t" \
   "every old result verifies against the log"
is "$(q upgraded -c "SELECT count(*) FROM ethaudit.latest_results") $(q upgraded -c "SELECT count(*) > 0 FROM ethaudit.open_alerts")" \
   "$(q upgraded -c "SELECT count(DISTINCT check_id) FROM ethaudit.results") t" "the dashboard views read the old evidence"
is "$(q upgraded -c "SELECT string_agg(format('%s %s %s %s', model, version, stage, valid_to IS NULL), ', '
                                  ORDER BY model, version, valid_from, interval_id) FROM ethaudit.stage_history")" \
   "churn v1 live t, churn v2 shadow f, churn v2 canary f, churn v2 live t, credit v1 live t, credit v2 canary t" \
   "the stage history is rebuilt from the audit log (churn v2), or starts at the last stage change where the log was cut"
is "$(q upgraded -c "SELECT bool_and(valid_from <= valid_to) FROM ethaudit.stage_history")" "t" "its intervals are ordered"
is "$(q upgraded -c "SELECT count(*) > 0 AND bool_and(a.model_version IS NOT DISTINCT FROM c.version)
                     FROM ethaudit.alerts a JOIN ethaudit.checks c USING (check_id) WHERE c.version IS NOT NULL")" "t" \
   "the alerts of a check pinned to a version name it, so that its next results find them"
is "$(q upgraded -c "SELECT count(*) FROM ethaudit.stage_history h JOIN ethaudit.model_versions v USING (model, version)
                     WHERE h.valid_to IS NULL AND h.valid_from = v.stage_changed_at AND h.stage = v.stage")" \
   "$(q upgraded -c "SELECT count(*) FROM ethaudit.model_versions")" "each version's current interval starts at its stage_changed_at"
q upgraded -c "SELECT (ethaudit.run_checks()).checks" >/dev/null
ok $? "the runner runs the old checks after the update"
runs_after=1

# ---------- (a) the upgraded catalog equals a fresh install ----------
createdb fresh || bail "createdb failed"
# with the roles of create_roles() that the evidence set up, whose grants are catalog entries too
q fresh -c "CREATE EXTENSION ethaudit" -c "SELECT count(*) FROM ethaudit.create_roles('upg_')" >/dev/null \
    || bail "CREATE EXTENSION ethaudit failed"
createdb empty_upgraded || bail "createdb failed"
q empty_upgraded -c "CREATE EXTENSION ethaudit VERSION '$old'" -c "ALTER EXTENSION ethaudit UPDATE" >/dev/null \
    || bail "updating an empty $old failed"
q fresh -f test/upgrade/catalog.sql > "$work/catalog.fresh" || bail "reading the fresh catalog failed"
q upgraded -f test/upgrade/catalog.sql > "$work/catalog.upgraded" || bail "reading the upgraded catalog failed"
ok $([ "$(wc -l < "$work/catalog.fresh")" -gt 1000 ] && echo 0 || echo 1) \
   "the catalog description covers the whole extension ($(wc -l < "$work/catalog.fresh") lines)"
d=$(diff "$work/catalog.fresh" "$work/catalog.upgraded")
is "$(printf '%s' "$d" | head -c 3000)" "" "the upgraded catalog equals a fresh $new install (objects, definitions, comments, grants, policies)"
createdb fresh_plain || bail "createdb failed"
q fresh_plain -c "CREATE EXTENSION ethaudit" >/dev/null || bail "CREATE EXTENSION ethaudit failed"
q fresh_plain -f test/upgrade/catalog.sql > "$work/catalog.fresh" || bail "reading the fresh catalog failed"
q empty_upgraded -f test/upgrade/catalog.sql > "$work/catalog.empty" || bail "reading the upgraded catalog failed"
d=$(diff "$work/catalog.fresh" "$work/catalog.empty")
is "$(printf '%s' "$d" | head -c 3000)" "" "so does an upgraded installation without roles or evidence"

# grants given by hand on a function whose signature changed are kept
createdb grants_upgraded || bail "createdb failed"
q grants_upgraded -c "CREATE EXTENSION ethaudit VERSION '$old'" \
    -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'upg_cron_job') THEN CREATE ROLE upg_cron_job NOLOGIN; END IF; END \$\$" \
    -c "GRANT EXECUTE ON FUNCTION ethaudit.run_checks(text, timestamptz) TO upg_cron_job" \
    -c "ALTER EXTENSION ethaudit UPDATE" >/dev/null || bail "updating $old with a hand-made grant failed"
is "$(q grants_upgraded -c "SELECT has_function_privilege('upg_cron_job', 'ethaudit.run_checks(text, timestamptz, boolean)', 'EXECUTE')")" "t" \
   "an EXECUTE grant given by hand on run_checks is given again on its new signature"

# ---------- (c) the suites pass on an upgraded database ----------
q empty_upgraded -c "ALTER DATABASE empty_upgraded SET lc_messages = 'C'" >/dev/null
make -s installcheck CONTRIB_TESTDB=empty_upgraded EXTRA_REGRESS_OPTS="--use-existing --outputdir=$work/regress" \
    > "$work/regress.out" 2>&1
status=$?
[ $status -ne 0 ] && { sed 's/^/# /' "$work/regress.out" | tail -40; cat "$work/regress/regression.diffs" 2>/dev/null | head -200 | sed 's/^/# /'; }
ok $status "pg_regress passes on the upgraded database: $(grep -E 'tests passed|tests failed' "$work/regress.out" | tail -1 | sed 's/^[# ]*//')"
createdb tap_upgraded || bail "createdb failed"
q tap_upgraded -c "CREATE EXTENSION ethaudit VERSION '$old'" -c "ALTER EXTENSION ethaudit UPDATE" >/dev/null \
    || bail "updating $old failed"
pg_prove -d tap_upgraded --ext .sql test/pgtap/ > "$work/prove.out" 2>&1
status=$?
[ $status -ne 0 ] && sed 's/^/# /' "$work/prove.out" | tail -60
ok $status "pgTAP passes on the upgraded database: $(sed -n 's/^Files=\([0-9]*\), Tests=\([0-9]*\),.*/\1 files, \2 tests/p' "$work/prove.out")"

# ---------- evidence and DROP EXTENSION ----------
out=$(q upgraded -c "DROP EXTENSION ethaudit" 2>&1)
ok $([ $? -ne 0 ] && printf '%s' "$out" | grep -q 'cannot drop extension ethaudit while it holds evidence' && echo 0 || echo 1) \
   "DROP EXTENSION ethaudit is refused while the audit log holds events" || printf '%s\n' "$out" | sed 's/^/# /'
out=$(q upgraded -c "DROP SCHEMA ethaudit CASCADE" 2>&1)
ok $([ $? -ne 0 ] && printf '%s' "$out" | grep -q 'while it holds evidence' && echo 0 || echo 1) \
   "so is DROP SCHEMA ethaudit CASCADE" || printf '%s\n' "$out" | sed 's/^/# /'
is "$(q upgraded -c "SELECT count(*) > 0 FROM ethaudit.audit_log")" "t" "and the log is still there"
# the documented export, then the deliberate drop
mkdir -p "$work/export" && chmod 777 "$work/export"
as_pg "$BIN/pg_dump" -h "$PGHOST" -p "$PGPORT" -U postgres -Fc -f "$work/export/upgraded.dump" upgraded
ok $? "pg_dump of the database (the evidence tables are dumped with it)"
q upgraded -c "SET ethaudit.allow_drop_with_evidence = on" -c "DROP EXTENSION ethaudit CASCADE" >/dev/null 2>&1
ok $? "with ethaudit.allow_drop_with_evidence on, the drop goes through"
createdb restored || bail "createdb failed"
as_pg "$BIN/pg_restore" -h "$PGHOST" -p "$PGPORT" -U postgres -d restored "$work/export/upgraded.dump" \
    > "$work/restore.out" 2>&1
is "$(q restored -c "SELECT valid, events_checked FROM ethaudit.verify_audit_log()" -F ' ')" "t $((events_before + runs_with_results + runs_after))" \
   "the export restores into a new database with the whole chain verifying"
q fresh_plain -c "DROP EXTENSION ethaudit" >/dev/null 2>&1
ok $? "an installation without evidence drops as usual"

echo "1..$n"
[ "$failures" -eq 0 ]
