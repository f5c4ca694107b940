-- The attacks on a populated installation that must do no harm, each as
-- real roles: a writer forging results and closing another team's alert,
-- an admin planting code in a check source or a retention target for a
-- superuser's job to run, hostile configuration. Everything happens in one
-- transaction that is rolled back, roles included.
\set ON_ERROR_STOP 1
\set QUIET 1
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS ethaudit;

BEGIN;
SELECT plan(44);
SET CONSTRAINTS ALL IMMEDIATE;

DO $$ BEGIN PERFORM ethaudit.create_roles('regress_atk_'); END $$;
CREATE ROLE regress_atk_team_b NOLOGIN IN ROLE regress_atk_owner;
CREATE ROLE regress_atk_app NOLOGIN IN ROLE regress_atk_writer;
CREATE ROLE regress_atk_adm NOLOGIN IN ROLE regress_atk_admin;
CREATE SCHEMA atk AUTHORIZATION regress_atk_adm;
GRANT USAGE ON SCHEMA atk TO PUBLIC;

-- team B's model, with a critical alert open on a check with a tiny critical level
CREATE TABLE atk.preds (ts timestamptz NOT NULL, feature float8);
ALTER TABLE atk.preds OWNER TO regress_atk_adm;
INSERT INTO atk.preds SELECT timestamptz '2026-01-01 00:00+00' + i * interval '1 hour', (i % 24) + CASE WHEN i > 48 THEN 30 ELSE 0 END
FROM generate_series(0, 71) i;
INSERT INTO ethaudit.models (model, owner_role) VALUES ('mb', 'regress_atk_team_b');
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind, min_samples)
VALUES ('mb drift', 'mb', 'psi', 'atk.preds', 'ts', 'feature', '1 day', 'preceding', 1);
INSERT INTO ethaudit.thresholds (check_id, warn, critical, resolve_after)
SELECT check_id, 0.0005, 0.001, 3 FROM ethaudit.checks WHERE check_name = 'mb drift';
SELECT is((ethaudit.run_checks('mb', '2026-01-04 00:00+00', replay => false)).critical, 1, 'a run opens a critical alert of team B');

-- ---------- 1. the writer cannot forge evidence ----------
SET ROLE regress_atk_app;
SELECT throws_ok($$INSERT INTO ethaudit.results (run_id, check_id, model, metric, value, status)
                   SELECT max(run_id), max(check_id), 'mb', 'psi', 99, 'ok' FROM ethaudit.runs, ethaudit.checks$$,
                 '42501', NULL, 'the writer cannot insert a result');
SELECT throws_ok($$INSERT INTO ethaudit.runs (kind, as_of) VALUES ('run_checks', now())$$,
                 '42501', NULL, 'nor a run');
SELECT throws_ok($$UPDATE ethaudit.runs SET ok = 99$$, '42501', NULL, 'nor change a run');
SELECT throws_ok($$SELECT ethaudit_internal.record_result(c, 1, 99, 100, 100, now(), now(), NULL, NULL, now())
                   FROM ethaudit.checks c$$, '42501', NULL, 'nor call the runner''s internals');
SELECT throws_ok($$UPDATE ethaudit.alerts SET status = 'resolved'$$, '42501', NULL, 'nor close an alert');
SELECT is((ethaudit.run_checks('mb', '2026-01-04 00:00+00', replay => false)).critical, 1,
          'the writer runs the checks: the value is judged critical again');
SELECT is((SELECT count(*)::int FROM ethaudit.runs WHERE run_by = 'regress_atk_app'), 1,
          'the run is recorded in the writer''s name, and it sees only its own run');
RESET ROLE;
SELECT is((SELECT status FROM ethaudit.alerts WHERE model = 'mb'), 'open', 'team B''s alert is still open');

-- ---------- 2. the alert engine judges values itself ----------
INSERT INTO ethaudit.results (run_id, check_id, model, metric, value, status, warn, critical, direction, alert_applied)
SELECT (SELECT max(run_id) FROM ethaudit.runs), check_id, 'mb', 'psi', 99, 'ok', 1000, 1000, 'above', true
FROM ethaudit.checks, generate_series(1, 3) WHERE check_name = 'mb drift';
SELECT is((SELECT string_agg(DISTINCT status, ',') FROM ethaudit.results WHERE value = 99), 'critical',
          'rows inserted as (value 99, status ok, applied) are judged critical against the stored thresholds');
SELECT is((SELECT status || '/' || severity FROM ethaudit.alerts WHERE model = 'mb'), 'open/critical',
          'and do not resolve the alert');
SELECT is((SELECT valid FROM ethaudit.verify_results()), false, 'results no run recorded are caught by verify_results()');
SELECT is((SELECT results_unrecorded FROM ethaudit.verify_results()), 3::bigint, 'all three of them');
DELETE FROM ethaudit.results WHERE value = 99;
SELECT is((SELECT valid FROM ethaudit.verify_results()), true, 'without them the results verify');
SAVEPOINT before_change;
UPDATE ethaudit.results SET value = value / 2 WHERE result_id = (SELECT max(result_id) FROM ethaudit.results);
SELECT is((SELECT results_changed FROM ethaudit.verify_results()), 1::bigint, 'a changed result is caught');
ROLLBACK TO SAVEPOINT before_change;

-- ---------- 3. code planted by the admin never runs as the superuser who runs the jobs ----------
-- (a) a check source: a view calling the admin's function, which makes its
--     owner superuser when it runs as a superuser, and notes who ran it
SET ROLE regress_atk_adm;
CREATE TABLE atk.seen (who name, at text, acting name);
CREATE FUNCTION atk.plant(at text) RETURNS float8 LANGUAGE plpgsql AS $f$
BEGIN
    INSERT INTO atk.seen VALUES (current_user, at, ethaudit.session_role());
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        EXECUTE 'ALTER ROLE regress_atk_adm SUPERUSER';
    END IF;
    RETURN 0;
END $f$;
CREATE VIEW atk.source AS SELECT ts, feature + atk.plant('view') AS feature FROM atk.preds;
INSERT INTO ethaudit.models (model) VALUES ('adm model');
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind, min_samples)
VALUES ('planted', 'adm model', 'psi', 'atk.source', 'ts', 'feature', '1 day', 'preceding', 1);
RESET ROLE;
SELECT is((ethaudit.run_checks('adm model', '2026-01-04 00:00+00', replay => false)).error, 0, 'a superuser runs the admin''s check');
SELECT is((SELECT rolsuper FROM pg_roles WHERE rolname = 'regress_atk_adm'), false, 'the admin did not become superuser');
SELECT is((SELECT array_agg(DISTINCT who::text) FROM atk.seen WHERE at = 'view'), ARRAY['regress_atk_adm'],
          'the view''s function ran as the view''s owner');
SELECT is((SELECT array_agg(DISTINCT acting::text) FROM atk.seen WHERE at = 'view'), ARRAY['regress_atk_adm'],
          'and ethaudit.session_role() named the owner there, not the superuser running the job');
SELECT is((SELECT status FROM ethaudit.results WHERE check_id = (SELECT check_id FROM ethaudit.checks WHERE check_name = 'planted')
           ORDER BY result_id DESC LIMIT 1) <> 'error', true, 'and the check was evaluated');
-- the same through store_baseline()
SELECT ok((ethaudit.store_baseline('adm model', 'feature', 'atk.source', 'ts', '2026-01-01', '2026-01-02')).n > 0,
          'a superuser stores a baseline from the admin''s view');
SELECT is((SELECT rolsuper FROM pg_roles WHERE rolname = 'regress_atk_adm'), false, 'still no superuser');
-- and through the counting capture, whose every pass runs as the view's owner
SET ethaudit.baseline_capture = 'count';
SELECT ok((ethaudit.store_baseline('adm model', 'feature', 'atk.source', 'ts', '2026-01-01', '2026-01-02')).n > 0,
          'a superuser stores a baseline from the admin''s view by counting');
SELECT is((SELECT rolsuper FROM pg_roles WHERE rolname = 'regress_atk_adm'), false, 'still no superuser after the passes');
SET ROLE regress_atk_adm;
SELECT ok((ethaudit.store_baseline('adm model', 'feature', 'atk.source', 'ts', '2026-01-01', '2026-01-02')).n > 0,
          'the admin part may store a baseline by counting');
RESET ROLE;
RESET ethaudit.baseline_capture;

-- (b) a retention target whose BEFORE DELETE trigger does the same
SET ROLE regress_atk_adm;
CREATE TABLE atk.old (ts timestamptz);
INSERT INTO atk.old VALUES ('2000-01-01'), ('2000-01-02');
CREATE FUNCTION atk.on_delete() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
    PERFORM atk.plant('trigger');
    RETURN OLD;
END $f$;
CREATE TRIGGER plant BEFORE DELETE ON atk.old FOR EACH ROW EXECUTE FUNCTION atk.on_delete();
INSERT INTO ethaudit.retention_policies (table_name, time_column, keep) VALUES ('atk.old', 'ts', '1 day');
RESET ROLE;
SELECT is((SELECT deleted FROM ethaudit.apply_retention() WHERE table_name = 'atk.old'), 2::bigint,
          'a superuser''s apply_retention() purges the admin''s table');
SELECT is((SELECT rolsuper FROM pg_roles WHERE rolname = 'regress_atk_adm'), false, 'the admin did not become superuser');
SELECT is((SELECT array_agg(DISTINCT who::text) FROM atk.seen WHERE at = 'trigger'), ARRAY['regress_atk_adm'],
          'the trigger ran as the table''s owner');

-- (c) an enum with a cast to text that is the admin's own function, in a
--     monitored table: the trigger (running as the extension's owner) reads
--     enums through their output function, never the cast
SET ROLE regress_atk_adm;
CREATE TYPE atk.color AS ENUM ('red', 'blue');
CREATE FUNCTION atk.color_text(atk.color) RETURNS text LANGUAGE plpgsql AS $f$
BEGIN
    PERFORM atk.plant('cast');
    RETURN 'red';
END $f$;
CREATE CAST (atk.color AS text) WITH FUNCTION atk.color_text(atk.color);
CREATE TABLE atk.colored (ts timestamptz NOT NULL, c atk.color);
INSERT INTO atk.colored VALUES ('2026-01-01', 'red');
SELECT ok(count(*) = 1, 'the admin monitors its table for unseen colours')
FROM ethaudit.monitor_table('atk.colored', 'adm model', 'ts', category_columns => '{c}', reference_size => '10 years');
INSERT INTO atk.colored VALUES ('2026-01-02', 'blue');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM atk.seen WHERE at = 'cast'), 0, 'the trigger never called the admin''s cast');
SELECT is((SELECT value FROM ethaudit.results WHERE check_id = (SELECT check_id FROM ethaudit.checks
           WHERE source = 'atk.colored') ORDER BY result_id DESC LIMIT 1), 1::float8,
          'and read the enum''s own labels: blue is unseen');
SELECT is((SELECT rolsuper FROM pg_roles WHERE rolname = 'regress_atk_adm'), false, 'the admin is still no superuser');

-- (d) a source with row-level security of its own is re-analysed as its
--     owner, which then needs USAGE on schema ethaudit (doc/security.md)
CREATE ROLE regress_atk_rls NOLOGIN;
CREATE TABLE public.regress_atk_rls (ts timestamptz NOT NULL, feature float8);
INSERT INTO public.regress_atk_rls SELECT ts, feature FROM atk.preds;
ALTER TABLE public.regress_atk_rls OWNER TO regress_atk_rls;
ALTER TABLE public.regress_atk_rls ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.regress_atk_rls FORCE ROW LEVEL SECURITY;
CREATE POLICY all_rows ON public.regress_atk_rls USING (true);
INSERT INTO ethaudit.models (model) VALUES ('rls model');
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind, min_samples)
VALUES ('rls drift', 'rls model', 'psi', 'public.regress_atk_rls', 'ts', 'feature', '1 day', 'preceding', 1);
SELECT is((SELECT r.status || ': ' || r.message FROM ethaudit.run_check(
               (SELECT check_id FROM ethaudit.checks WHERE check_name = 'rls drift'), '2026-01-04 00:00+00', replay => false) r),
          'error: permission denied for schema ethaudit',
          'a source with its own row-level security needs its owner to have USAGE on schema ethaudit');
GRANT USAGE ON SCHEMA ethaudit TO regress_atk_rls;
SELECT is((ethaudit.run_check((SELECT check_id FROM ethaudit.checks WHERE check_name = 'rls drift'),
                              '2026-01-04 00:00+00', replay => false)).status <> 'error', true,
          'with it, the check runs as that owner, under its policies');

-- ---------- 4. hostile configuration ----------
CREATE TABLE public.regress_atk_secret (ts timestamptz NOT NULL, salary float8);
SET ROLE regress_atk_adm;
SELECT throws_ok($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind)
                   VALUES ('peek', 'adm model', 'psi', 'public.regress_atk_secret', 'ts', 'salary', '1 day', 'preceding')$$,
                 '42501', NULL, 'the admin cannot point a check at a table it may not read (it would run as the owner)');
SELECT throws_ok($$INSERT INTO ethaudit.retention_policies (table_name, time_column, keep)
                   VALUES ('public.regress_atk_secret', 'ts', '1 day')$$,
                 '42501', NULL, 'nor a retention policy at a table it may not delete from');
SELECT throws_ok($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind)
                   VALUES ('keys', 'adm model', 'psi', 'ethaudit.keys', 'created_at', 'key_id', '1 day', 'preceding')$$,
                 '42809', NULL, 'ethaudit.keys is refused as a check source');
SELECT throws_ok($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind)
                   VALUES ('log', 'adm model', 'psi', 'ethaudit.audit_log', 'logged_at', 'seq', '1 day', 'preceding')$$,
                 '42809', NULL, 'so is ethaudit.audit_log');
SELECT throws_ok($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind)
                   VALUES ('long', 'adm model', 'psi', 'atk.preds', 'ts', 'feature', '100000000 years', 'preceding')$$,
                 '22023', NULL, 'a window of 100000000 years is refused when the check is written');
SELECT is(ethaudit.has_role_kind('regress_atk_team_b', 'owner'), false,
          'has_role_kind answers nothing about a role the caller does not belong to');
SELECT is(ethaudit.has_role_kind('regress_atk_adm', 'admin'), true, 'but answers for the caller');
RESET ROLE;

-- ---------- 5. owners change alerts only through the functions ----------
SET ROLE regress_atk_team_b;
SELECT throws_ok($$UPDATE ethaudit.alerts SET status = 'resolved' WHERE model = 'mb'$$, '42501', NULL,
                 'team B cannot close its alert directly');
SELECT throws_ok($$SELECT * FROM ethaudit_internal.run_as_owner('atk.preds', 'SELECT 1', NULL) AS x(i int)$$, '42501', NULL,
                 'run_as_owner is not for every role');
SELECT is((ethaudit.resolve_alert((SELECT alert_id FROM ethaudit.alerts WHERE model = 'mb'), 'threshold reviewed')).resolved_by::text,
          'regress_atk_team_b', 'it resolves it through resolve_alert(), in its own name');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
