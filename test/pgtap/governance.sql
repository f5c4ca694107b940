-- Governance objects: the tables, views and functions, their documented
-- columns, comments, security properties and privileges, and row-level
-- security exercised as real roles.
\set ON_ERROR_STOP 1
\set QUIET 1
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS ethaudit;

BEGIN;
SELECT plan(76);

-- ---------- the objects ----------
SELECT tables_are('ethaudit', ARRAY['models', 'model_versions', 'checks', 'thresholds', 'baselines',
                                    'runs', 'results', 'alerts', 'alert_events', 'stage_history',
                                    -- security (test/pgtap/security.sql)
                                    'audit_log', 'audit_pending', 'audit_checkpoints', 'keys',
                                    'privacy_policies', 'retention_policies', 'security_roles']);
SELECT views_are('ethaudit', ARRAY['metric_catalog', 'open_alerts', 'latest_results', 'result_history',
                                   'model_cards', 'monitored_tables']);

-- the columns dashboards rely on (doc/governance.md): any change is a
-- breaking change, so these lists are the contract
SELECT columns_are('ethaudit', 'open_alerts', ARRAY[
    'alert_id', 'owner_role', 'due_at', 'overdue', 'severity', 'priority', 'status', 'model', 'check_id',
    'check_name', 'metric', 'family', 'opened_at', 'last_seen_at', 'occurrences', 'clean_runs',
    'first_value', 'last_value', 'worst_value', 'warn', 'critical', 'direction', 'priority_reason',
    'acknowledged_at', 'acknowledged_by', 'acknowledge_note', 'kind', 'model_version', 'first_window_end',
    'last_window_end', 'threshold_kind']);
SELECT columns_are('ethaudit', 'latest_results', ARRAY[
    'check_id', 'check_name', 'model', 'metric', 'family', 'mode', 'source', 'enabled', 'status', 'value',
    'evaluated_at', 'window_start', 'window_end', 'n_current', 'n_reference', 'model_version', 'warn',
    'critical', 'direction', 'message', 'owner_role', 'run_id', 'result_id', 'version_source', 'mixed_versions',
    'labelled_share', 'threshold_kind', 'history_n']);
SELECT columns_are('ethaudit', 'result_history', ARRAY[
    'result_id', 'evaluated_at', 'window_start', 'window_end', 'model', 'model_version', 'check_id',
    'check_name', 'metric', 'family', 'value', 'status', 'warn', 'critical', 'direction', 'n_current',
    'n_reference', 'run_id', 'message', 'version_source', 'mixed_versions', 'replayed', 'labelled_share',
    'threshold_kind', 'history_n']);
SELECT columns_are('ethaudit', 'model_cards', ARRAY[
    'model', 'description', 'owner_role', 'versions', 'live_versions', 'owners', 'checks', 'checks_total',
    'checks_ok', 'checks_warning', 'checks_critical', 'checks_insufficient_data', 'checks_error',
    'checks_never_run', 'open_alerts', 'alerts', 'worst_status', 'last_evaluated_at', 'stage_history',
    'checks_mixing_versions', 'broken_checks', 'performance_estimates']);
SELECT columns_are('ethaudit', 'monitored_tables', ARRAY['table_name', 'trigger_name', 'trigger_enabled', 'enabled_checks']);
SELECT columns_are('ethaudit', 'metric_catalog', ARRAY[
    'metric', 'family', 'value_kinds', 'label_type', 'probability_type', 'needs_group', 'needs_reference',
    'baseline_capable', 'default_direction', 'params', 'description']);
SELECT col_type_is('ethaudit', 'model_cards', 'checks', 'jsonb', 'model_cards.checks is jsonb');
SELECT col_type_is('ethaudit', 'result_history', 'value', 'double precision', 'result_history.value is double precision');
SELECT col_type_is('ethaudit', 'open_alerts', 'due_at', 'timestamp with time zone', 'open_alerts.due_at is timestamptz');
SELECT col_type_is('ethaudit', 'baselines', 'baseline', 'ethaudit', 'baseline', 'baselines.baseline is ethaudit.baseline');

-- the functions users call, with their signatures
SELECT function_returns('ethaudit', 'run_checks', ARRAY['text', 'timestamp with time zone', 'boolean'], 'ethaudit.run_summary');
SELECT function_returns('ethaudit', 'run_check', ARRAY['bigint', 'timestamp with time zone', 'boolean'], 'setof ethaudit.results');
SELECT function_returns('ethaudit', 'acknowledge_alert', ARRAY['bigint', 'text'], 'ethaudit.alerts');
SELECT function_returns('ethaudit', 'resolve_alert', ARRAY['bigint', 'text'], 'ethaudit.alerts');
SELECT function_returns('ethaudit', 'monitor_table',
                        ARRAY['regclass', 'text', 'name', 'name[]', 'name', 'name[]', 'interval'], 'setof ethaudit.checks');
SELECT function_returns('ethaudit', 'unmonitor_table', ARRAY['regclass'], 'integer');
SELECT function_returns('ethaudit', 'set_stage', ARRAY['text', 'text', 'text', 'timestamp with time zone'], 'ethaudit.model_versions');
SELECT function_returns('ethaudit', 'store_baseline',
                        ARRAY['text', 'name', 'regclass', 'name', 'timestamp with time zone', 'timestamp with time zone',
                              'text', 'integer', 'text', 'name', 'text'], 'ethaudit.baselines');
SELECT trigger_is('ethaudit', 'results', 'apply_result', 'ethaudit_internal', 'apply_result');
SELECT trigger_is('ethaudit', 'checks', 'validate_check', 'ethaudit_internal', 'validate_check');
SELECT trigger_is('ethaudit', 'thresholds', 'validate_threshold', 'ethaudit_internal', 'validate_threshold');

-- configuration and history are kept by pg_dump
SELECT set_eq(
    $$SELECT c::regclass::text FROM pg_extension e, unnest(e.extconfig) c WHERE e.extname = 'ethaudit'$$,
    ARRAY['ethaudit.models', 'ethaudit.model_versions', 'ethaudit.checks', 'ethaudit.checks_check_id_seq',
          'ethaudit.thresholds', 'ethaudit.runs', 'ethaudit.runs_run_id_seq', 'ethaudit.results',
          'ethaudit.results_result_id_seq', 'ethaudit.alerts', 'ethaudit.alerts_alert_id_seq',
          'ethaudit.alert_events', 'ethaudit.alert_events_event_id_seq', 'ethaudit.baselines',
          'ethaudit.baselines_baseline_id_seq', 'ethaudit.stage_history', 'ethaudit.stage_history_interval_id_seq',
          'ethaudit.audit_log', 'ethaudit.audit_checkpoints', 'ethaudit.keys', 'ethaudit.privacy_policies',
          'ethaudit.retention_policies', 'ethaudit.security_roles'],
    'every configuration and history table, and its sequence, is registered with pg_extension_config_dump');

-- ---------- every object is documented ----------
SELECT is_empty($$
    SELECT c.oid::regclass::text FROM pg_class c
    WHERE c.relnamespace = 'ethaudit'::regnamespace AND c.relkind IN ('r', 'v', 'S', 'i')
      AND c.oid NOT IN (SELECT conindid FROM pg_constraint)
      AND obj_description(c.oid, 'pg_class') IS NULL$$,
    'every table, view, sequence and index (but those of primary keys and unique constraints) has a comment');
SELECT is_empty($$
    SELECT a.attrelid::regclass || '.' || a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    WHERE c.relnamespace = 'ethaudit'::regnamespace AND c.relkind IN ('r', 'v')
      AND a.attnum > 0 AND NOT a.attisdropped AND col_description(a.attrelid, a.attnum) IS NULL$$,
    'every column of every table and view has a comment');
SELECT is_empty($$
    SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
    WHERE c.relnamespace = 'ethaudit'::regnamespace AND NOT t.tgisinternal
      AND obj_description(t.oid, 'pg_trigger') IS NULL$$,
    'every trigger has a comment');
SELECT is_empty($$
    SELECT p.polname FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
    WHERE c.relnamespace = 'ethaudit'::regnamespace AND obj_description(p.oid, 'pg_policy') IS NULL$$,
    'every policy has a comment');
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
    WHERE p.pronamespace IN ('ethaudit'::regnamespace, 'ethaudit_internal'::regnamespace)
      AND obj_description(p.oid, 'pg_proc') IS NULL$$,
    'every function, public or internal, has a comment');
SELECT is_empty($$
    SELECT t.oid::regtype::text FROM pg_type t
    WHERE t.typnamespace = 'ethaudit'::regnamespace AND t.typtype = 'c' AND t.typrelid IN
          (SELECT oid FROM pg_class WHERE relkind = 'c') AND obj_description(t.oid, 'pg_type') IS NULL$$,
    'every composite type has a comment');

-- ---------- security properties ----------
SELECT set_eq(
    $$SELECT p.oid::regprocedure::text FROM pg_proc p
      WHERE p.pronamespace IN ('ethaudit'::regnamespace, 'ethaudit_internal'::regnamespace) AND p.prosecdef$$,
    ARRAY['ethaudit_internal.apply_result()', 'ethaudit_internal.monitor_batch()',
          'ethaudit_internal.record_stage_interval()',
          -- the runner: the only writer of runs and results
          'ethaudit.run_checks(text,timestamp with time zone,boolean)', 'ethaudit.run_check(bigint,timestamp with time zone,boolean)',
          'ethaudit.acknowledge_alert(bigint,text)', 'ethaudit.resolve_alert(bigint,text)',
          'ethaudit_internal.commit_run_results(bigint)', 'ethaudit.verify_results()',
          -- the audit log, roles and privacy (doc/security.md)
          'ethaudit_internal.active_key(text)', 'ethaudit.rotate_key(text)',
          'ethaudit_internal.audit_append(text,text,text,jsonb,text)', 'ethaudit_internal.audit_seal()',
          'ethaudit_internal.audit_config_change()', 'ethaudit_internal.audit_alert_opened(ethaudit.alerts,bigint)',
          'ethaudit_internal.audit_alert_change()', 'ethaudit_internal.audit_history_change()', 'ethaudit.audit_head()',
          'ethaudit.verify_audit_log(bigint,text)', 'ethaudit.has_role_kind(name,text)',
          'ethaudit.reads_everything(name)', 'ethaudit.readable_models(name)', 'ethaudit.pseudonymise(text)',
          'ethaudit.pseudonymise(text,integer)', 'ethaudit.record_event(text,text,jsonb,text)',
          'ethaudit.record_decision(text,text,jsonb,jsonb,text[],text,text,text)',
          'ethaudit_internal.retention_purge(boolean,jsonb)'],
    'exactly the three governance trigger functions, the runner and the documented security functions are SECURITY DEFINER');
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
    WHERE p.pronamespace IN ('ethaudit'::regnamespace, 'ethaudit_internal'::regnamespace)
      AND p.prolang IN (SELECT oid FROM pg_language WHERE lanname IN ('sql', 'plpgsql'))
      AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false)
      AND p.oid <> 'ethaudit_internal.validate_check()'::regprocedure$$,
    'every SQL and PL/pgSQL function pins search_path = pg_catalog, pg_temp (validate_check resolves the writer''s table names and qualifies everything else)');
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
    WHERE p.pronamespace IN ('ethaudit'::regnamespace, 'ethaudit_internal'::regnamespace)
      AND p.prolang IN (SELECT oid FROM pg_language WHERE lanname IN ('sql', 'plpgsql'))
      AND p.provolatile = 'v' AND p.proparallel <> 'u'$$,
    'no volatile SQL or PL/pgSQL function claims to be parallel safe or restricted');
SELECT volatility_is('ethaudit', 'run_checks', ARRAY['text', 'timestamp with time zone', 'boolean'], 'volatile');
SELECT volatility_is('ethaudit', 'classify', ARRAY['double precision', 'double precision', 'double precision', 'text'], 'immutable');
SELECT is(array_agg(p.proname::text ORDER BY p.proname), ARRAY['evaluate_check', 'monitor_batch', 'run_check', 'run_checks', 'store_baseline'],
          'the functions that compute windows pin TimeZone = UTC')
FROM pg_proc p WHERE p.pronamespace IN ('ethaudit'::regnamespace, 'ethaudit_internal'::regnamespace)
  AND 'TimeZone=UTC' = ANY (p.proconfig);

-- PUBLIC may not run checks, change alerts or attach triggers; it may read the metric catalog
CREATE ROLE regress_gov_nobody NOLOGIN;
SELECT function_privs_are('ethaudit', 'run_checks', ARRAY['text', 'timestamp with time zone', 'boolean'], 'regress_gov_nobody', '{}');
SELECT function_privs_are('ethaudit', 'run_check', ARRAY['bigint', 'timestamp with time zone', 'boolean'], 'regress_gov_nobody', '{}');
SELECT function_privs_are('ethaudit', 'acknowledge_alert', ARRAY['bigint', 'text'], 'regress_gov_nobody', '{}');
SELECT function_privs_are('ethaudit', 'resolve_alert', ARRAY['bigint', 'text'], 'regress_gov_nobody', '{}');
SELECT function_privs_are('ethaudit', 'monitor_table',
                          ARRAY['regclass', 'text', 'name', 'name[]', 'name', 'name[]', 'interval'], 'regress_gov_nobody', '{}');
SELECT function_privs_are('ethaudit', 'monitor_label_updates', ARRAY['regclass'], 'regress_gov_nobody', '{}');
SELECT function_privs_are('ethaudit', 'set_stage', ARRAY['text', 'text', 'text', 'timestamp with time zone'],
                          'regress_gov_nobody', '{}');
SELECT function_privs_are('ethaudit_internal', 'monitor_batch', '{}'::name[], 'regress_gov_nobody', '{}'::name[]);
SELECT function_privs_are('ethaudit_internal', 'apply_result', '{}'::name[], 'regress_gov_nobody', '{}'::name[]);
SELECT function_privs_are('ethaudit', 'store_baseline',
                          ARRAY['text', 'name', 'regclass', 'name', 'timestamp with time zone', 'timestamp with time zone',
                                'text', 'integer', 'text', 'name', 'text'], 'regress_gov_nobody', '{}');
SELECT function_privs_are('ethaudit', 'purge_history', ARRAY['interval'], 'regress_gov_nobody', '{}');
SELECT is_empty($$
    SELECT c.relname FROM pg_class c
    WHERE c.relnamespace = 'ethaudit'::regnamespace AND c.relkind IN ('r', 'v', 'S') AND c.relname <> 'metric_catalog'
      AND (has_table_privilege('regress_gov_nobody', c.oid, 'SELECT')
           OR (c.relkind <> 'S' AND has_table_privilege('regress_gov_nobody', c.oid, 'INSERT, UPDATE, DELETE')))$$,
    'PUBLIC has no privilege on the tables and views');
SELECT table_privs_are('ethaudit', 'metric_catalog', 'regress_gov_nobody', ARRAY['SELECT']);

-- row-level security on alerts and their events
SELECT policies_are('ethaudit', 'alerts', ARRAY['alerts_read', 'alerts_extension']);
SELECT policy_cmd_is('ethaudit', 'alerts', 'alerts_read', 'select', 'the only policy on alerts open to other roles reads');
SELECT policies_are('ethaudit', 'alert_events', ARRAY['alert_events_read', 'alert_events_extension']);
SELECT is((SELECT relrowsecurity FROM pg_class WHERE oid = 'ethaudit.alerts'::regclass), true, 'alerts has row-level security');
SELECT is_empty($$
    SELECT c.relname FROM pg_class c
    WHERE c.relnamespace = 'ethaudit'::regnamespace AND c.relkind = 'v'
      AND current_setting('server_version_num')::int >= 150000
      AND NOT coalesce('security_invoker=true' = ANY (c.reloptions), false)$$,
    'on PostgreSQL 15 and later every view is security_invoker');

-- ---------- as real roles ----------
-- a team owns an alert; one member of the team, one outsider, an
-- application that only inserts predictions, and a scheduler role granted
-- what doc/governance.md says a runner needs
CREATE ROLE regress_gov_team NOLOGIN;
CREATE ROLE regress_gov_member NOLOGIN IN ROLE regress_gov_team;
CREATE ROLE regress_gov_outsider NOLOGIN;
CREATE ROLE regress_gov_app NOLOGIN;
CREATE ROLE regress_gov_runner NOLOGIN;
GRANT USAGE ON SCHEMA ethaudit TO regress_gov_member, regress_gov_outsider, regress_gov_runner;
-- the on-call recipe: read everything (dashboards), change alerts through the functions
GRANT SELECT ON ALL TABLES IN SCHEMA ethaudit TO regress_gov_member, regress_gov_outsider;
GRANT EXECUTE ON FUNCTION ethaudit.acknowledge_alert(bigint, text), ethaudit.resolve_alert(bigint, text)
    TO regress_gov_member, regress_gov_outsider;
-- the runner recipe
GRANT SELECT ON ethaudit.models, ethaudit.model_versions, ethaudit.checks, ethaudit.thresholds, ethaudit.baselines
    TO regress_gov_runner;
GRANT EXECUTE ON FUNCTION ethaudit.run_checks(text, timestamp with time zone, boolean),
                          ethaudit.run_check(bigint, timestamp with time zone, boolean) TO regress_gov_runner;

CREATE SCHEMA gov_tap;
GRANT USAGE ON SCHEMA gov_tap TO regress_gov_app, regress_gov_runner;
CREATE TABLE gov_tap.log (ts timestamptz NOT NULL, score float8, label boolean);
GRANT INSERT ON gov_tap.log TO regress_gov_app;
INSERT INTO gov_tap.log SELECT '2024-01-01'::timestamptz + i * interval '1 minute', (i % 10) / 10.0, i % 2 = 0
FROM generate_series(0, 199) i;
INSERT INTO ethaudit.models (model, owner_role) VALUES ('tap', 'regress_gov_team');
SELECT ok(count(*) = 1, 'monitor_table attaches a trigger and creates a check')
FROM ethaudit.monitor_table('gov_tap.log', 'tap', 'ts', probability_column => 'score');
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column, window_size)
VALUES ('tap ece', 'tap', 'ece', 'gov_tap.log', 'ts', 'label', 'score', '1 day');
INSERT INTO ethaudit.thresholds (check_id, warn, critical)
SELECT check_id, 0.01, 0.02 FROM ethaudit.checks WHERE check_name = 'tap ece';

-- the scheduler role runs the checks with only the documented grants
SET ROLE regress_gov_runner;
SELECT lives_ok($$SELECT ethaudit.run_checks('tap', '2024-01-02', replay => false)$$, 'a runner with the documented grants runs checks');
SELECT throws_ok($$UPDATE ethaudit.alerts SET status = 'resolved'$$, '42501', NULL,
                 'the runner cannot touch alerts itself');
SELECT throws_ok($$SELECT * FROM gov_tap.log$$, '42501', NULL,
                 'nor read the prediction log it audits: the check reads it as the log''s owner');
RESET ROLE;
SELECT is((SELECT status FROM ethaudit.latest_results WHERE check_name = 'tap ece'), 'critical',
          'its result was recorded');
SELECT is((SELECT owner_role::text FROM ethaudit.alerts WHERE model = 'tap'), 'regress_gov_team',
          'and opened an alert owned by the model''s owner role');

-- the application inserts predictions with no privilege on ethaudit: the
-- trigger still records the batch (SECURITY DEFINER)
SET ROLE regress_gov_app;
SELECT lives_ok($$INSERT INTO gov_tap.log VALUES ('2024-01-02 00:00', 0.5, true), ('2024-01-02 00:01', 1.5, false)$$,
                'a role without privileges on ethaudit inserts into a monitored table');
SELECT throws_ok($$SELECT * FROM ethaudit.results$$, '42501', NULL, 'it cannot read the results');
SELECT throws_ok($$SELECT ethaudit.run_checks()$$, '42501', NULL, 'nor run checks');
SELECT throws_ok($$INSERT INTO ethaudit.results (run_id, check_id, model, metric, status) VALUES (1, 1, 'tap', 'ece', 'ok')$$,
                 '42501', NULL, 'nor forge results');
RESET ROLE;
SELECT results_eq(
    $$SELECT r.status, r.value FROM ethaudit.results r JOIN ethaudit.runs x USING (run_id)
      WHERE x.kind = 'insert' AND x.source = 'gov_tap.log'$$,
    $$VALUES ('critical'::text, 0.5::float8)$$,
    'the batch was checked: half its probabilities are out of range');

-- levels from the check's own history, judged in the trigger of a role
-- that may not read the results the history is made of
UPDATE ethaudit.thresholds SET kind = 'history_change', warn = 0.5, critical = 1, min_history = 1
WHERE check_id = (SELECT check_id FROM ethaudit.checks WHERE model = 'tap' AND metric = 'invalid_probability_share');
SET ROLE regress_gov_app;
SELECT lives_ok($$INSERT INTO gov_tap.log VALUES ('2024-01-02 00:02', 1.5, true), ('2024-01-02 00:03', 2.0, false)$$,
                'a role without privileges inserts into a table whose check is judged by its history');
RESET ROLE;
SELECT results_eq(
    $$SELECT r.status, r.value, r.threshold_kind, r.history_n, r.warn, r.critical
      FROM ethaudit.results r WHERE r.run_id = (SELECT max(run_id) FROM ethaudit.runs WHERE kind = 'insert')$$,
    $$VALUES ('warning'::text, 1::float8, 'history_change'::text, 1, 0.75::float8, 1::float8)$$,
    'the batch is judged by the mean of the batch before (0.5): warning beyond +50%, critical beyond +100%');

-- acknowledging: only members of the owner role.  Since row-level
-- security scopes reads by model (doc/security.md), an outsider does not
-- even see the team's alerts: to it they do not exist (42704).
SELECT min(alert_id) AS tap_alert FROM ethaudit.alerts WHERE model = 'tap' \gset
SET ROLE regress_gov_outsider;
SELECT is((SELECT count(*)::int FROM ethaudit.open_alerts WHERE model = 'tap'), 0, 'an outsider sees none of the team''s alerts');
SELECT throws_ok(format('SELECT ethaudit.acknowledge_alert(%s)', :tap_alert),
                 '42704', NULL, 'an outsider cannot acknowledge them');
SELECT throws_ok(format('SELECT ethaudit.resolve_alert(%s, %L)', :tap_alert, 'not mine'),
                 '42704', NULL, 'nor resolve them');
SELECT throws_ok($$UPDATE ethaudit.alerts SET status = 'resolved', resolved_at = now() WHERE model = 'tap'$$,
                 '42501', NULL, 'nor change them directly (only the functions change alerts)');
SELECT throws_ok(format('INSERT INTO ethaudit.alert_events (alert_id, event, actor) VALUES (%s, %L, %L)',
                        :tap_alert, 'resolved', 'regress_gov_member'),
                 '42501', NULL, 'nor write events in someone else''s name');
RESET ROLE;
SET ROLE regress_gov_member;
SELECT is((ethaudit.acknowledge_alert((SELECT min(alert_id) FROM ethaudit.alerts WHERE model = 'tap'), 'on it')).status,
          'acknowledged', 'a member of the owner role acknowledges');
SELECT is((SELECT acknowledged_by::text FROM ethaudit.alerts WHERE model = 'tap' ORDER BY alert_id LIMIT 1),
          'regress_gov_member', 'as itself');
SELECT is((ethaudit.resolve_alert((SELECT max(alert_id) FROM ethaudit.alerts WHERE model = 'tap'), 'bad batch replayed')).status,
          'resolved', 'and resolves with a note');
RESET ROLE;
SELECT is((SELECT string_agg(e.event || ' by ' || e.actor, ', ' ORDER BY e.event_id)
           FROM ethaudit.alert_events e JOIN ethaudit.alerts a USING (alert_id)
           WHERE a.model = 'tap' AND e.actor IS NOT NULL),
          'acknowledged by regress_gov_member, resolved by regress_gov_member',
          'both actions are in the alert''s history under the member''s name');

SELECT * FROM finish();
ROLLBACK;
