-- Security as real roles: the parts set up by create_roles(), row-level
-- security on the evidence, who can read, who can write, who can change
-- nothing; privileges of the functions; SQL injection through every text
-- argument and configuration column.  Everything happens in one
-- transaction that is rolled back, roles included.
\set ON_ERROR_STOP 1
\set QUIET 1
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS ethaudit;

BEGIN;
SELECT plan(137);

-- ---------- a fresh install creates nothing cluster-wide ----------
SELECT count(*) AS roles_before FROM pg_roles \gset
SELECT count(*) AS memberships_before FROM pg_auth_members \gset
DROP EXTENSION ethaudit CASCADE;
CREATE EXTENSION ethaudit;
SELECT is((SELECT count(*) FROM pg_roles), :roles_before::bigint, 'CREATE EXTENSION creates no role');
SELECT is((SELECT count(*) FROM pg_auth_members), :memberships_before::bigint, 'nor any role membership');
SELECT is_empty('SELECT * FROM ethaudit.security_roles', 'and gives no part to any role');
-- events are chained as each statement ends, so that this transaction sees them
SET CONSTRAINTS ALL IMMEDIATE;

-- ---------- properties ----------
SELECT results_eq(
    $$SELECT c.relname::text COLLATE "default", c.relrowsecurity, c.relforcerowsecurity FROM pg_class c
      WHERE c.oid IN ('ethaudit.audit_log'::regclass, 'ethaudit.results'::regclass, 'ethaudit.alerts'::regclass,
                      'ethaudit.alert_events'::regclass, 'ethaudit.runs'::regclass) ORDER BY 1$$,
    $$VALUES ('alert_events', true, true), ('alerts', true, true), ('audit_log', true, true),
             ('results', true, true), ('runs', true, true)$$,
    'row-level security is enabled and forced on the evidence: audit_log, results, alerts, alert_events, runs');
SELECT policies_are('ethaudit', 'audit_log', ARRAY['audit_log_read', 'audit_log_extension']);
SELECT policies_are('ethaudit', 'results', ARRAY['results_read', 'results_extension']);
SELECT policies_are('ethaudit', 'runs', ARRAY['runs_read', 'runs_extension']);
SELECT policy_cmd_is('ethaudit', 'audit_log', 'audit_log_read', 'select', 'the only policy on the log open to other roles reads');
SELECT results_eq(
    $$SELECT c.relname::text COLLATE "default", c.relrowsecurity, (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid)::int
      FROM pg_class c WHERE c.oid IN ('ethaudit.keys'::regclass, 'ethaudit.audit_pending'::regclass) ORDER BY 1$$,
    $$VALUES ('audit_pending', true, 0), ('keys', true, 0)$$,
    'the keys and the pending events have row-level security and no policy: only the owner reads them');
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
    WHERE p.pronamespace IN ('ethaudit'::regnamespace, 'ethaudit_internal'::regnamespace) AND p.prosecdef
      AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false)$$,
    'every SECURITY DEFINER function pins search_path = pg_catalog, pg_temp');
SELECT is_empty($$
    SELECT tg.tgname::text FROM pg_trigger tg
    WHERE tg.tgrelid IN ('ethaudit.audit_log'::regclass, 'ethaudit.audit_checkpoints'::regclass, 'ethaudit.audit_pending'::regclass)
      AND NOT tg.tgisinternal AND tg.tgenabled <> 'A'$$,
    'the guard and sealing triggers fire always, also under session_replication_role = replica');
SELECT set_eq(
    $$SELECT c::regclass::text FROM pg_extension e, unnest(e.extconfig) c WHERE e.extname = 'ethaudit'
      AND c::regclass::text IN ('ethaudit.audit_log', 'ethaudit.audit_checkpoints', 'ethaudit.keys',
                                'ethaudit.privacy_policies', 'ethaudit.retention_policies', 'ethaudit.security_roles',
                                'ethaudit.audit_pending')$$,
    ARRAY['ethaudit.audit_log', 'ethaudit.audit_checkpoints', 'ethaudit.keys', 'ethaudit.privacy_policies',
          'ethaudit.retention_policies', 'ethaudit.security_roles'],
    'the log, checkpoints, keys and policies are kept by pg_dump; pending events are not');

-- PUBLIC may run none of the functions that record, read the chain, use a key or change roles
CREATE ROLE regress_sec_nobody NOLOGIN;
SELECT function_privs_are('ethaudit', 'record_event', ARRAY['text', 'text', 'jsonb', 'text'], 'regress_sec_nobody', '{}');
SELECT function_privs_are('ethaudit', 'record_decision',
                          ARRAY['text', 'text', 'jsonb', 'jsonb', 'text[]', 'text', 'text', 'text'], 'regress_sec_nobody', '{}');
SELECT function_privs_are('ethaudit', 'verify_audit_log', ARRAY['bigint', 'text'], 'regress_sec_nobody', '{}');
SELECT function_privs_are('ethaudit', 'audit_head', '{}'::name[], 'regress_sec_nobody', '{}'::name[]);
SELECT function_privs_are('ethaudit', 'pseudonymise', ARRAY['text'], 'regress_sec_nobody', '{}');
SELECT function_privs_are('ethaudit', 'pseudonymise', ARRAY['text', 'integer'], 'regress_sec_nobody', '{}');
SELECT function_privs_are('ethaudit', 'rotate_key', ARRAY['text'], 'regress_sec_nobody', '{}');
SELECT function_privs_are('ethaudit_internal', 'active_key', ARRAY['text'], 'regress_sec_nobody', '{}');
SELECT function_privs_are('ethaudit_internal', 'audit_append', ARRAY['text', 'text', 'text', 'jsonb', 'text'], 'regress_sec_nobody', '{}');
SELECT function_privs_are('ethaudit', 'apply_retention', ARRAY['boolean'], 'regress_sec_nobody', '{}');
SELECT function_privs_are('ethaudit_internal', 'retention_purge', ARRAY['boolean', 'jsonb'], 'regress_sec_nobody', '{}');
SELECT function_privs_are('ethaudit_internal', 'apply_privacy', ARRAY['text', 'jsonb'], 'regress_sec_nobody', '{}');
SELECT function_privs_are('ethaudit', 'create_roles', ARRAY['text'], 'regress_sec_nobody', '{}');
SELECT function_privs_are('ethaudit', 'set_security_role', ARRAY['text', 'name'], 'regress_sec_nobody', '{}');
SELECT function_privs_are('ethaudit_internal', 'audit_alert_opened', ARRAY['ethaudit.alerts', 'bigint'], 'regress_sec_nobody', '{}');
SELECT function_privs_are('ethaudit', 'readable_models', ARRAY['name'], 'regress_sec_nobody', ARRAY['EXECUTE']);

-- ---------- the roles ----------
SELECT results_eq(
    $$SELECT role_kind, role_name::text COLLATE "default", created FROM ethaudit.create_roles('regress_sec_') ORDER BY 1$$,
    $$VALUES ('admin', 'regress_sec_admin', true), ('auditor', 'regress_sec_auditor', true),
             ('owner', 'regress_sec_owner', true), ('writer', 'regress_sec_writer', true)$$,
    'create_roles creates the four roles when asked');
SELECT is_empty($$SELECT rolname FROM pg_roles WHERE rolname LIKE 'regress\_sec\_%' AND (rolcanlogin OR rolsuper OR rolcreaterole OR rolbypassrls)$$,
                'they are NOLOGIN group roles without special attributes');
SELECT results_eq(
    $$SELECT role_kind, created FROM ethaudit.create_roles('regress_sec_') ORDER BY 1$$,
    $$VALUES ('admin', false), ('auditor', false), ('owner', false), ('writer', false)$$,
    'a second call reuses them');
SELECT is((SELECT count(*)::int FROM ethaudit.security_roles), 4, 'each part is recorded in ethaudit.security_roles');

-- the people: two teams owning one model each, an auditor, the application
-- that writes predictions and runs checks, an administrator, an outsider
CREATE ROLE regress_sec_team_a NOLOGIN IN ROLE regress_sec_owner;
CREATE ROLE regress_sec_alice NOLOGIN IN ROLE regress_sec_team_a;
CREATE ROLE regress_sec_team_b NOLOGIN IN ROLE regress_sec_owner;
CREATE ROLE regress_sec_bob NOLOGIN IN ROLE regress_sec_team_b;
CREATE ROLE regress_sec_carol NOLOGIN IN ROLE regress_sec_auditor;
CREATE ROLE regress_sec_app NOLOGIN IN ROLE regress_sec_writer;
CREATE ROLE regress_sec_dave NOLOGIN IN ROLE regress_sec_admin;
CREATE ROLE regress_sec_outsider NOLOGIN;
GRANT USAGE ON SCHEMA ethaudit TO regress_sec_outsider;

CREATE SCHEMA sec_tap;
CREATE TABLE sec_tap.sentinel AS SELECT 1 AS still_here;
GRANT USAGE ON SCHEMA sec_tap TO regress_sec_writer, regress_sec_admin;
CREATE TABLE sec_tap.log (ts timestamptz NOT NULL, score float8, label boolean, feature float8);
GRANT SELECT, INSERT ON sec_tap.log TO regress_sec_writer;
GRANT SELECT ON sec_tap.log TO regress_sec_admin;
INSERT INTO sec_tap.log SELECT '2024-01-01'::timestamptz + i * interval '1 minute', (i % 10) / 10.0, i % 2 = 0,
                               (i % 20) + CASE WHEN i >= 1440 THEN 10 ELSE 0 END
FROM generate_series(0, 2879) i;

-- the administrator configures both models
SET ROLE regress_sec_dave;
SELECT lives_ok($$
    INSERT INTO ethaudit.models (model, owner_role) VALUES ('model a', 'regress_sec_team_a'), ('model b', 'regress_sec_team_b');
    INSERT INTO ethaudit.model_versions (model, version, stage) VALUES ('model a', 'v1', 'live'), ('model b', 'v1', 'live');
    INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind)
    VALUES ('a drift', 'model a', 'psi', 'sec_tap.log', 'ts', 'feature', '1 day', 'preceding'),
           ('b drift', 'model b', 'psi', 'sec_tap.log', 'ts', 'feature', '1 day', 'preceding');
    INSERT INTO ethaudit.thresholds (check_id, warn, critical) SELECT check_id, 0.1, 100 FROM ethaudit.checks;
    INSERT INTO ethaudit.privacy_policies (model, field, action) VALUES ('model a', 'income', 'keep'), ('model a', 'customer', 'pseudonymise');
    INSERT INTO ethaudit.retention_policies (table_name, time_column, keep) VALUES ('ethaudit.results', 'evaluated_at', '400 days')$$,
    'the admin writes models, versions, checks, thresholds and policies');
SELECT throws_ok($$SELECT count(*) FROM ethaudit.audit_log$$, '42501', NULL, 'the admin reads no evidence: not the audit log');
SELECT throws_ok($$SELECT count(*) FROM ethaudit.results$$, '42501', NULL, 'nor the results');
SELECT throws_ok($$SELECT ethaudit.set_security_role('auditor', 'regress_sec_dave')$$, '42501', NULL,
                 'nor can it give itself another part');
SELECT lives_ok($$SELECT * FROM ethaudit.apply_retention(dry_run => true)$$, 'it runs retention');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM ethaudit.audit_log WHERE actor = 'regress_sec_dave' AND login_role = session_user), 11,
          'each of the admin''s 11 changes is an event, in its name, with the session user as login_role');

-- the application runs the checks and records decisions
SET ROLE regress_sec_app;
SELECT lives_ok($$SELECT ethaudit.run_checks(NULL, '2024-01-03', replay => false)$$, 'the writer runs the checks');
SELECT lives_ok($$SELECT ethaudit.record_decision('model a', 'declined', '{"income": 1200, "customer": "c-17", "ssn": "078-05-1120"}',
                                                  controls => '{human_review}', subject => 'c-17')$$,
                'and records decisions of model a');
SELECT lives_ok($$SELECT ethaudit.record_decision('model b', 'approved', '{"income": 900}')$$, 'and of model b');
SELECT throws_ok($$SELECT count(*) FROM ethaudit.results$$, '42501', NULL, 'it reads no results (it only appends them)');
SELECT throws_ok($$SELECT count(*) FROM ethaudit.audit_log$$, '42501', NULL, 'no events');
SELECT throws_ok($$SELECT count(*) FROM ethaudit.alerts$$, '42501', NULL, 'no alerts');
SELECT is((SELECT count(*)::int FROM ethaudit.runs WHERE run_by <> 'regress_sec_app'), 0, 'and of the runs only its own');
SELECT throws_ok($$UPDATE ethaudit.results SET value = 0$$, '42501', NULL, 'it cannot change results');
SELECT throws_ok($$DELETE FROM ethaudit.results$$, '42501', NULL, 'nor delete them');
SELECT throws_ok($$UPDATE ethaudit.runs SET run_by = 'regress_sec_alice'$$, '42501', NULL, 'nor sign runs with another name');
SELECT throws_ok($$INSERT INTO ethaudit.runs (kind, as_of, run_by) VALUES ('run_check', now(), 'regress_sec_alice')$$,
                 '42501', NULL, 'nor record a run in another role''s name');
SELECT throws_ok($$UPDATE ethaudit.alerts SET status = 'resolved'$$, '42501', NULL, 'nor touch alerts');
SELECT throws_ok($$SELECT ethaudit.acknowledge_alert(1)$$, '42501', NULL, 'nor acknowledge them');
SELECT throws_ok($$SELECT * FROM ethaudit.keys$$, '42501', NULL, 'nor read the keys');
SELECT throws_ok($$SELECT ethaudit.pseudonymise('c-17')$$, '42501', NULL, 'nor compute pseudonyms');
RESET ROLE;
SELECT is((SELECT count(DISTINCT model)::int FROM ethaudit.results), 2, 'its results, of both models, were recorded');
SELECT is((SELECT count(*)::int FROM ethaudit.alerts WHERE status = 'open'), 2, 'and opened one alert per model');
SELECT is((SELECT details->'inputs' ? 'ssn' FROM ethaudit.audit_log WHERE event_type = 'decision' AND model = 'model a'), false,
          'the decision kept no field the privacy policy does not allow');
SELECT is((SELECT details->'inputs'->>'customer' FROM ethaudit.audit_log WHERE event_type = 'decision' AND model = 'model a'),
          ethaudit.pseudonymise('c-17'), 'and pseudonymised the customer');

SELECT count(*) AS total_events, count(*) FILTER (WHERE model = 'model a') AS a_events FROM ethaudit.audit_log \gset
SELECT alert_id AS a_alert FROM ethaudit.alerts WHERE model = 'model a' \gset
SELECT alert_id AS b_alert FROM ethaudit.alerts WHERE model = 'model b' \gset

-- the auditor sees everything and changes nothing
SET ROLE regress_sec_carol;
SELECT is((SELECT count(*) FROM ethaudit.audit_log), :total_events::bigint, 'the auditor sees every event');
SELECT is((SELECT count(DISTINCT model)::int FROM ethaudit.results), 2, 'the results of every model');
SELECT is((SELECT count(*)::int FROM ethaudit.alerts), 2, 'every alert');
SELECT ok((SELECT count(*) FROM ethaudit.alert_events) >= 2, 'their events');
SELECT ok((SELECT count(*) FROM ethaudit.runs) >= 1, 'and the runs');
SELECT is((SELECT valid FROM ethaudit.verify_audit_log()), true, 'it verifies the chain');
SELECT ok((SELECT seq FROM ethaudit.audit_head()) > 0, 'and reads the head to export it');
SELECT is((SELECT count(*)::int FROM ethaudit.audit_log WHERE event_type = 'decision' AND details->>'subject' = ethaudit.pseudonymise('c-17')), 1,
          'it finds a subject''s decisions by pseudonym');
SELECT throws_ok($$UPDATE ethaudit.audit_log SET actor = 'x'$$, '42501', NULL, 'it cannot edit the log');
SELECT throws_ok($$DELETE FROM ethaudit.audit_log$$, '42501', NULL, 'nor delete from it');
SELECT throws_ok($$TRUNCATE ethaudit.audit_log$$, '42501', NULL, 'nor truncate it');
SELECT throws_ok($$INSERT INTO ethaudit.audit_log SELECT * FROM ethaudit.audit_log LIMIT 1$$, '42501', NULL, 'nor insert into it');
SELECT throws_ok($$UPDATE ethaudit.results SET value = 0$$, '42501', NULL, 'nor change results');
SELECT throws_ok($$UPDATE ethaudit.thresholds SET warn = 1$$, '42501', NULL, 'nor thresholds');
SELECT throws_ok(format('SELECT ethaudit.acknowledge_alert(%s)', :a_alert), '42501', NULL, 'nor acknowledge alerts');
SELECT throws_ok($$SELECT ethaudit.record_event('review', 'model a')$$, '42501', NULL, 'nor record events');
SELECT throws_ok($$SELECT ethaudit.run_checks()$$, '42501', NULL, 'nor run checks');
SELECT throws_ok($$SELECT * FROM ethaudit.keys$$, '42501', NULL, 'nor read the keys');
SELECT throws_ok($$SELECT * FROM ethaudit.audit_pending$$, '42501', NULL, 'nor the pending events');
RESET ROLE;

-- a member of team a sees model a only
SET ROLE regress_sec_alice;
SELECT is((SELECT count(*) FROM ethaudit.audit_log), :a_events::bigint, 'a team member sees the events of its model');
SELECT is((SELECT count(*)::int FROM ethaudit.audit_log WHERE model IS DISTINCT FROM 'model a'), 0, 'and no other');
SELECT is((SELECT array_agg(DISTINCT model) FROM ethaudit.results), ARRAY['model a'], 'the results of its model only');
SELECT is((SELECT array_agg(alert_id) FROM ethaudit.alerts), ARRAY[:a_alert::bigint], 'its alert only');
SELECT is((SELECT count(*)::int FROM ethaudit.alert_events WHERE alert_id <> :a_alert), 0, 'and only its alert''s events');
SELECT is((SELECT count(*)::int FROM ethaudit.runs), 0, 'none of the runs (they covered every model)');
SELECT is((SELECT array_agg(model) FROM ethaudit.open_alerts), ARRAY['model a'], 'dashboards (security_invoker views) show the same');
SELECT is(ethaudit.readable_models('regress_sec_alice'), ARRAY['model a'], 'readable_models names its model');
SELECT is(ethaudit.readable_models('regress_sec_team_b'), '{}'::text[], 'but tells nothing about another team''s');
SELECT is((ethaudit.acknowledge_alert(:a_alert, 'on it')).status, 'acknowledged', 'it acknowledges its alert');
SELECT throws_ok(format('SELECT ethaudit.acknowledge_alert(%s)', :b_alert), '42704', NULL,
                 'another team''s alert does not exist for it');
SELECT throws_ok(format('UPDATE ethaudit.alerts SET acknowledged_by = %L WHERE alert_id = %s', 'regress_sec_bob', :a_alert),
                 '42501', NULL, 'it cannot write another role''s name into an alert');
SELECT lives_ok($$SELECT ethaudit.record_decision('model a', 'approved')$$, 'it records decisions of its model');
SELECT throws_ok($$SELECT ethaudit.record_decision('model b', 'approved')$$, '42501', NULL, 'not of another');
SELECT throws_ok($$SELECT ethaudit.record_event('review', NULL)$$, '42501', NULL, 'nor events about no model');
SELECT throws_ok($$UPDATE ethaudit.audit_log SET details = '{}'$$, '42501', NULL, 'it cannot edit the log');
SELECT throws_ok($$DELETE FROM ethaudit.results$$, '42501', NULL, 'nor delete results');
SELECT throws_ok($$SELECT ethaudit.verify_audit_log()$$, '42501', NULL, 'verifying the whole chain is the auditor''s');
SELECT throws_ok($$SELECT * FROM ethaudit.keys$$, '42501', NULL, 'it cannot read the keys');
RESET ROLE;
SELECT is((SELECT actor::text FROM ethaudit.audit_log WHERE event_type = 'alert_acknowledged'), 'regress_sec_alice',
          'the acknowledgement is in the log in the member''s name');

-- team b, through the same group role, sees model b only
SET ROLE regress_sec_bob;
SELECT is((SELECT array_agg(DISTINCT model) FROM ethaudit.audit_log), ARRAY['model b'], 'the other team sees its model''s events only');
SELECT is((SELECT array_agg(alert_id) FROM ethaudit.alerts), ARRAY[:b_alert::bigint], 'and its alert');
RESET ROLE;

-- an outsider with USAGE on the schema but no part
SET ROLE regress_sec_outsider;
SELECT throws_ok($$SELECT count(*) FROM ethaudit.audit_log$$, '42501', NULL, 'a role without a part reads nothing');
SELECT throws_ok($$SELECT ethaudit.record_event('review', 'model a')$$, '42501', NULL, 'and records nothing');
RESET ROLE;
SET ROLE regress_sec_nobody;
SELECT throws_ok($$SELECT ethaudit.mask_text('x')$$, '42501', NULL, 'without USAGE on the schema, not even the pure functions');
RESET ROLE;

-- append-only holds for the superuser as well
SELECT throws_ok($$UPDATE ethaudit.audit_log SET actor = 'x'$$, '42501', NULL, 'a superuser cannot edit the log');
SELECT throws_ok($$DELETE FROM ethaudit.audit_log$$, '42501', NULL, 'nor delete from it');
SELECT throws_ok($$TRUNCATE ethaudit.audit_log$$, '42501', NULL, 'nor truncate it');
-- a role granted INSERT by mistake still cannot append, even knowing the
-- setting the extension uses and computing a correct hash
GRANT INSERT ON ethaudit.audit_log TO regress_sec_outsider;
SET ROLE regress_sec_outsider;
SET LOCAL ethaudit_audit.internal_write = 'seal';
SELECT throws_ok($$WITH x AS MATERIALIZED (
        SELECT ROW(1000000, gen_random_uuid(), now(), 'regress_sec_carol', 'regress_sec_carol', NULL, 'model a', NULL,
                   'decision', 'user', '{}', decode(repeat('00', 32), 'hex'), NULL)::ethaudit.audit_log AS r)
    INSERT INTO ethaudit.audit_log
    SELECT (r).seq, (r).event_id, (r).logged_at, (r).actor, (r).login_role, (r).application_name, (r).model, (r).version,
           (r).event_type, (r).origin, (r).details, (r).prev_hash, sha256(ethaudit.audit_encoding(r)) FROM x$$,
    '42501', 'new row violates row-level security policy for table "audit_log"',
    'a role granted INSERT on the log by mistake still cannot append a well-formed event (row-level security)');
RESET ethaudit_audit.internal_write;
RESET ROLE;
REVOKE INSERT ON ethaudit.audit_log FROM regress_sec_outsider;
-- the broad grant of the governance recipes (SELECT ON ALL TABLES) reaches
-- the keys too: row-level security without policies still shows nothing
GRANT SELECT ON ALL TABLES IN SCHEMA ethaudit TO regress_sec_outsider;
SET ROLE regress_sec_outsider;
SELECT results_eq($$SELECT (SELECT count(*) FROM ethaudit.keys), (SELECT count(*) FROM ethaudit.audit_pending),
                           (SELECT count(*) FROM ethaudit.audit_log), (SELECT count(*) FROM ethaudit.results)$$,
                  $$VALUES (0::bigint, 0::bigint, 0::bigint, 0::bigint)$$,
                  'a role granted SELECT on every table reads no key, no pending event and no evidence');
RESET ROLE;
SELECT ok((SELECT count(*) FROM ethaudit.keys) > 0, 'though keys exist');
REVOKE SELECT ON ALL TABLES IN SCHEMA ethaudit FROM regress_sec_outsider;
SELECT is_empty($$
    SELECT r.rolname FROM pg_roles r
    WHERE r.rolname LIKE 'regress\_sec\_%' AND NOT r.rolsuper
      AND (has_table_privilege(r.oid, 'ethaudit.keys', 'SELECT') OR has_table_privilege(r.oid, 'ethaudit.audit_pending', 'SELECT')
           OR has_table_privilege(r.oid, 'ethaudit.audit_log', 'INSERT, UPDATE, DELETE, TRUNCATE')
           OR has_table_privilege(r.oid, 'ethaudit.audit_checkpoints', 'INSERT, UPDATE, DELETE, TRUNCATE'))$$,
    'no role of any part can read the keys or write the log or the checkpoints');

-- ---------- SQL injection through every text argument ----------
SELECT throws_ok($$SELECT ethaudit.create_roles('x"; DROP TABLE sec_tap.sentinel; --')$$, '22023', NULL,
                 'create_roles: a prefix that is not a plain name is refused');
SELECT throws_ok($$SELECT ethaudit.set_security_role('auditor''; DROP TABLE sec_tap.sentinel; --', 'regress_sec_carol')$$,
                 '22023', NULL, 'set_security_role: the kind is a closed list');
SELECT throws_ok($$SELECT ethaudit.set_security_role('auditor', 'regress_sec_carol"; DROP TABLE sec_tap.sentinel; --')$$,
                 '42704', NULL, 'set_security_role: the role must exist');
-- a role whose name is itself an attempt is quoted, never spliced; moving the
-- part to it and back revokes its privileges again
CREATE ROLE "regress_sec_q""; DROP TABLE sec_tap.sentinel; --" NOLOGIN;
SELECT lives_ok($$SELECT ethaudit.set_security_role('auditor', 'regress_sec_q"; DROP TABLE sec_tap.sentinel; --')$$,
                'set_security_role quotes an odd role name');
SELECT ok(has_table_privilege('regress_sec_q"; DROP TABLE sec_tap.sentinel; --', 'ethaudit.audit_log', 'SELECT')
          AND NOT has_table_privilege('regress_sec_auditor', 'ethaudit.audit_log', 'SELECT'),
          'the new auditor role got the privileges, the previous one lost them');
SELECT lives_ok($$SELECT ethaudit.set_security_role('auditor', 'regress_sec_auditor')$$, 'and back');
SELECT ok(NOT has_table_privilege('regress_sec_q"; DROP TABLE sec_tap.sentinel; --', 'ethaudit.audit_log', 'SELECT')
          AND has_table_privilege('regress_sec_auditor', 'ethaudit.audit_log', 'SELECT'),
          'privileges follow the part');
SELECT throws_ok($$SELECT ethaudit.record_event('x''); DROP TABLE sec_tap.sentinel; --', 'model a')$$, '22023', NULL,
                 'record_event: event_type');
SELECT throws_ok($$SELECT ethaudit.record_event('review', 'model a''; DROP TABLE sec_tap.sentinel; --')$$, '42704', NULL,
                 'record_event: model');
SELECT throws_ok($$SELECT ethaudit.record_event('review', 'model a', '{}', 'v1''; DROP TABLE sec_tap.sentinel; --')$$, '42704', NULL,
                 'record_event: version');
SELECT ethaudit.record_event('review', 'model a', '{"note": "x''); DROP TABLE sec_tap.sentinel; --"}') AS ev \gset
SELECT is((SELECT details FROM ethaudit.audit_log WHERE event_id = :'ev'),
          '{"note": "x''); DROP TABLE sec_tap.sentinel; --"}'::jsonb, 'record_event: details are stored as data');
SELECT throws_ok($$SELECT ethaudit.record_decision('model a''; DROP TABLE sec_tap.sentinel; --', 'approved')$$, '42704', NULL,
                 'record_decision: model');
SELECT throws_ok($$SELECT ethaudit.record_decision('model a', 'approved', version => 'v1''; DROP TABLE sec_tap.sentinel; --')$$,
                 '42704', NULL, 'record_decision: version');
SELECT ethaudit.record_decision('model a', 'x''); DROP TABLE sec_tap.sentinel; --',
                                controls => ARRAY['y''); DROP TABLE sec_tap.sentinel; --'],
                                note => 'z''); DROP TABLE sec_tap.sentinel; --',
                                subject => 'c''); DROP TABLE sec_tap.sentinel; --') AS ev \gset
SELECT is((SELECT details->>'decision' || '|' || (details->'controls'->>0) || '|' || (details->>'note')
           FROM ethaudit.audit_log WHERE event_id = :'ev'),
          'x''); DROP TABLE sec_tap.sentinel; --|y''); DROP TABLE sec_tap.sentinel; --|z''); DROP TABLE sec_tap.sentinel; --',
          'record_decision: decision, controls and note are stored as data');
SELECT is((SELECT details->>'subject' FROM ethaudit.audit_log WHERE event_id = :'ev'),
          ethaudit.pseudonymise('c''); DROP TABLE sec_tap.sentinel; --'), 'record_decision: the subject is only ever hashed');
-- configuration columns: a privacy field name, a retention table and column
INSERT INTO ethaudit.privacy_policies (model, field, action) VALUES ('model a', 'f''); DROP TABLE sec_tap.sentinel; --', 'keep');
SELECT ethaudit.record_decision('model a', 'approved', '{"f''); DROP TABLE sec_tap.sentinel; --": 1, "g": 2}') AS ev \gset
SELECT is((SELECT details->'inputs' FROM ethaudit.audit_log WHERE event_id = :'ev'),
          '{"f''); DROP TABLE sec_tap.sentinel; --": 1}'::jsonb, 'privacy_policies.field is matched as a name');
SELECT throws_ok($$INSERT INTO ethaudit.privacy_policies (model, field, action) VALUES ('model a', 'g', 'keep''; DROP TABLE sec_tap.sentinel; --')$$,
                 '23514', NULL, 'privacy_policies.action is a closed list');
SELECT throws_ok($$INSERT INTO ethaudit.retention_policies (table_name, time_column, keep) VALUES ('sec_tap.log; DROP TABLE sec_tap.sentinel', 'ts', '1 day')$$,
                 '22023', NULL, 'retention_policies.table_name must be a name');
SELECT throws_ok($$INSERT INTO ethaudit.retention_policies (table_name, time_column, keep) VALUES ('sec_tap.log', 'ts < now(); DROP TABLE sec_tap.sentinel; --', '1 day')$$,
                 '42703', NULL, 'retention_policies.time_column must be a column');
CREATE TABLE sec_tap."l; DROP TABLE sec_tap.sentinel; --" ("t; DROP TABLE sec_tap.sentinel; --" timestamptz);
INSERT INTO sec_tap."l; DROP TABLE sec_tap.sentinel; --" VALUES (now() - interval '2 days'), (now());
INSERT INTO ethaudit.retention_policies (table_name, time_column, keep, note)
VALUES ('sec_tap."l; DROP TABLE sec_tap.sentinel; --"', 't; DROP TABLE sec_tap.sentinel; --', '1 day', '''); DROP TABLE sec_tap.sentinel; --');
SELECT is((SELECT deleted FROM ethaudit.apply_retention() WHERE table_name = 'sec_tap."l; DROP TABLE sec_tap.sentinel; --"'), 1::bigint,
          'a table and column with odd names are purged as names (%I)');
SELECT throws_ok($$SELECT ethaudit.verify_audit_log(1, '00'' OR true; --')$$, '22023', NULL, 'verify_audit_log: known_hash');
SELECT throws_ok($$SELECT ethaudit.rotate_key('pseudonym''; DROP TABLE sec_tap.sentinel; --')$$, '22023', NULL, 'rotate_key: purpose');
SELECT is(ethaudit.has_role_kind('regress_sec_carol', 'auditor''; DROP TABLE sec_tap.sentinel; --'), false, 'has_role_kind: kind');
SELECT throws_ok($$SELECT ethaudit.readable_models('regress_sec_alice''; DROP TABLE sec_tap.sentinel; --')$$, '42704', NULL,
                 'readable_models: role');
SELECT throws_ok($$SELECT ethaudit.reads_everything('regress_sec_carol''; DROP TABLE sec_tap.sentinel; --')$$, '42704', NULL,
                 'reads_everything: role');
SELECT throws_ok($$UPDATE ethaudit.security_roles SET role_name = 'regress_sec_carol''; DROP TABLE sec_tap.sentinel; --'
                   WHERE role_kind = 'auditor'$$, '42704', NULL, 'security_roles.role_name must name an existing role');
SELECT is(ethaudit.mask_text('x''); DROP TABLE sec_tap.sentinel; --'), 'x''); DROP TABLE sec_tap.sentinel; --', 'mask_text: text');
SELECT is((SELECT count(*)::int FROM sec_tap.sentinel), 1, 'after every attempt, the sentinel table is still there');

-- and the chain is intact after all of it
SELECT is((SELECT valid FROM ethaudit.verify_audit_log()), true, 'the audit log verifies');

SELECT * FROM finish();
ROLLBACK;
