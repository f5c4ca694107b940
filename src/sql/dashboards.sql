-- ====================================================================
-- Governance: views for dashboards
--
-- Stable column sets, documented in doc/dashboards.md; new columns are
-- only ever added at the end.  On PostgreSQL 15 and later the views are
-- security_invoker (set at the end of this file): a reader needs SELECT on
-- the views and on the tables below them, and row-level security applies
-- as on the tables.  On 13 and 14 they run with their owner's rights.
-- ====================================================================

CREATE VIEW ethaudit.open_alerts AS
SELECT a.alert_id, a.owner_role, a.due_at, a.due_at < pg_catalog.now() AS overdue,
       a.severity, a.priority, a.status, a.model, a.check_id, ch.check_name, a.metric, a.family,
       a.opened_at, a.last_seen_at, a.occurrences, a.clean_runs,
       a.first_value, a.last_value, a.worst_value,
       CASE WHEN th.kind = 'fixed' THEN th.warn ELSE lr.warn END AS warn,
       CASE WHEN th.kind = 'fixed' THEN th.critical ELSE lr.critical END AS critical, th.direction,
       a.priority_reason, a.acknowledged_at, a.acknowledged_by, a.acknowledge_note,
       a.kind, a.model_version, a.first_window_end, a.last_window_end, th.kind AS threshold_kind
FROM ethaudit.alerts a
JOIN ethaudit.checks ch ON ch.check_id = a.check_id
LEFT JOIN ethaudit.thresholds th ON th.check_id = a.check_id
LEFT JOIN ethaudit.results lr ON lr.result_id = a.last_result_id AND th.kind <> 'fixed'
WHERE a.status <> 'resolved';
COMMENT ON VIEW ethaudit.open_alerts IS
'Alerts not yet resolved, with their owner, due time, severity, priority and the thresholds of their check. Typical order: owner_role, due_at.';
COMMENT ON COLUMN ethaudit.open_alerts.alert_id IS 'The alert (ethaudit.alerts).';
COMMENT ON COLUMN ethaudit.open_alerts.owner_role IS 'Role that answers it.';
COMMENT ON COLUMN ethaudit.open_alerts.due_at IS 'When a response is due.';
COMMENT ON COLUMN ethaudit.open_alerts.overdue IS 'True if due_at has passed.';
COMMENT ON COLUMN ethaudit.open_alerts.severity IS 'warning or critical.';
COMMENT ON COLUMN ethaudit.open_alerts.priority IS 'normal or high.';
COMMENT ON COLUMN ethaudit.open_alerts.status IS 'open or acknowledged.';
COMMENT ON COLUMN ethaudit.open_alerts.model IS 'The model.';
COMMENT ON COLUMN ethaudit.open_alerts.check_id IS 'The check.';
COMMENT ON COLUMN ethaudit.open_alerts.check_name IS 'Name of the check.';
COMMENT ON COLUMN ethaudit.open_alerts.metric IS 'The metric.';
COMMENT ON COLUMN ethaudit.open_alerts.family IS 'drift, quality, performance or fairness.';
COMMENT ON COLUMN ethaudit.open_alerts.opened_at IS 'When it opened.';
COMMENT ON COLUMN ethaudit.open_alerts.last_seen_at IS 'When a threshold was last crossed.';
COMMENT ON COLUMN ethaudit.open_alerts.occurrences IS 'Results beyond a threshold since it opened.';
COMMENT ON COLUMN ethaudit.open_alerts.clean_runs IS 'Consecutive ok results since then.';
COMMENT ON COLUMN ethaudit.open_alerts.first_value IS 'Value that opened it.';
COMMENT ON COLUMN ethaudit.open_alerts.last_value IS 'Latest value beyond a threshold.';
COMMENT ON COLUMN ethaudit.open_alerts.worst_value IS 'Most severe value seen.';
COMMENT ON COLUMN ethaudit.open_alerts.warn IS 'Current warning level of the check; for thresholds computed from the check''s history, the level its latest result was judged by.';
COMMENT ON COLUMN ethaudit.open_alerts.critical IS 'Current critical level of the check; for thresholds computed from the check''s history, the level its latest result was judged by.';
COMMENT ON COLUMN ethaudit.open_alerts.direction IS 'above or below.';
COMMENT ON COLUMN ethaudit.open_alerts.priority_reason IS 'Why the priority is high.';
COMMENT ON COLUMN ethaudit.open_alerts.acknowledged_at IS 'When it was acknowledged.';
COMMENT ON COLUMN ethaudit.open_alerts.acknowledged_by IS 'Who acknowledged it.';
COMMENT ON COLUMN ethaudit.open_alerts.acknowledge_note IS 'Note given when acknowledging.';
COMMENT ON COLUMN ethaudit.open_alerts.kind IS 'threshold (a value beyond a level) or check_broken (the check keeps failing).';
COMMENT ON COLUMN ethaudit.open_alerts.model_version IS 'The version it is about, for checks that tell versions apart.';
COMMENT ON COLUMN ethaudit.open_alerts.first_window_end IS 'End of the window of the result that opened it.';
COMMENT ON COLUMN ethaudit.open_alerts.last_window_end IS 'End of the window of the latest result applied to it.';
COMMENT ON COLUMN ethaudit.open_alerts.threshold_kind IS 'fixed, history_sigma or history_change (ethaudit.thresholds.kind).';

CREATE VIEW ethaudit.latest_results AS
SELECT ch.check_id, ch.check_name, ch.model, ch.metric, mc.family, ch.mode, ch.source, ch.enabled,
       r.status, r.value, r.evaluated_at, r.window_start, r.window_end, r.n_current, r.n_reference,
       r.model_version, r.warn, r.critical, r.direction, r.message, th.owner_role, r.run_id, r.result_id,
       r.version_source, r.mixed_versions, r.labelled_share, r.threshold_kind, r.history_n
FROM ethaudit.checks ch
LEFT JOIN ethaudit.metric_catalog mc ON mc.metric = ch.metric
LEFT JOIN ethaudit.thresholds th ON th.check_id = ch.check_id
LEFT JOIN LATERAL (SELECT x.* FROM ethaudit.results x
                   WHERE x.check_id = ch.check_id AND NOT x.replayed
                     AND x.run_id = (SELECT y.run_id FROM ethaudit.results y
                                     WHERE y.check_id = ch.check_id AND NOT y.replayed
                                     ORDER BY y.result_id DESC LIMIT 1)) r ON true;
COMMENT ON VIEW ethaudit.latest_results IS
'The latest live result of every check (status NULL if it never ran): one row per check, or per version of its rows for a check with a version column (the results of its latest live run). Replays are in result_history.';
COMMENT ON COLUMN ethaudit.latest_results.check_id IS 'The check.';
COMMENT ON COLUMN ethaudit.latest_results.check_name IS 'Name of the check.';
COMMENT ON COLUMN ethaudit.latest_results.model IS 'The model.';
COMMENT ON COLUMN ethaudit.latest_results.metric IS 'The metric.';
COMMENT ON COLUMN ethaudit.latest_results.family IS 'drift, quality, performance or fairness.';
COMMENT ON COLUMN ethaudit.latest_results.mode IS 'scheduled, insert_batch or insert_window.';
COMMENT ON COLUMN ethaudit.latest_results.source IS 'The prediction log.';
COMMENT ON COLUMN ethaudit.latest_results.enabled IS 'Whether the check runs.';
COMMENT ON COLUMN ethaudit.latest_results.status IS 'ok, warning, critical, insufficient_data, error; NULL if never run.';
COMMENT ON COLUMN ethaudit.latest_results.value IS 'Latest value.';
COMMENT ON COLUMN ethaudit.latest_results.evaluated_at IS 'When it was evaluated.';
COMMENT ON COLUMN ethaudit.latest_results.window_start IS 'Start of the evaluated window.';
COMMENT ON COLUMN ethaudit.latest_results.window_end IS 'End of the evaluated window.';
COMMENT ON COLUMN ethaudit.latest_results.n_current IS 'Usable rows in the window.';
COMMENT ON COLUMN ethaudit.latest_results.n_reference IS 'Usable rows in the reference.';
COMMENT ON COLUMN ethaudit.latest_results.model_version IS 'Version the result is about (see version_source).';
COMMENT ON COLUMN ethaudit.latest_results.warn IS 'Warning level it was judged by.';
COMMENT ON COLUMN ethaudit.latest_results.critical IS 'Critical level it was judged by.';
COMMENT ON COLUMN ethaudit.latest_results.direction IS 'above or below.';
COMMENT ON COLUMN ethaudit.latest_results.message IS 'Why the status is error or insufficient_data.';
COMMENT ON COLUMN ethaudit.latest_results.owner_role IS 'Owner of the check''s thresholds.';
COMMENT ON COLUMN ethaudit.latest_results.run_id IS 'The run.';
COMMENT ON COLUMN ethaudit.latest_results.result_id IS 'The result.';
COMMENT ON COLUMN ethaudit.latest_results.version_source IS 'Where model_version comes from: check, data or stage_history.';
COMMENT ON COLUMN ethaudit.latest_results.mixed_versions IS 'True when several versions served during the window of a check without a version column.';
COMMENT ON COLUMN ethaudit.latest_results.labelled_share IS 'For metrics that read labels: the share of the window''s rows that have one.';
COMMENT ON COLUMN ethaudit.latest_results.threshold_kind IS 'history_sigma or history_change when warn and critical came from the check''s history; NULL for fixed levels.';
COMMENT ON COLUMN ethaudit.latest_results.history_n IS 'With threshold_kind: how many earlier results the levels came from.';

CREATE VIEW ethaudit.result_history AS
SELECT r.result_id, r.evaluated_at, r.window_start, r.window_end, r.model, r.model_version,
       r.check_id, ch.check_name, r.metric, mc.family, r.value, r.status, r.warn, r.critical, r.direction,
       r.n_current, r.n_reference, r.run_id, r.message, r.version_source, r.mixed_versions, r.replayed,
       r.labelled_share, r.threshold_kind, r.history_n
FROM ethaudit.results r
JOIN ethaudit.checks ch ON ch.check_id = r.check_id
LEFT JOIN ethaudit.metric_catalog mc ON mc.metric = r.metric;
COMMENT ON VIEW ethaudit.result_history IS
'Every result with its check and thresholds, for time-series panels: plot value (and warn, critical) against window_end or evaluated_at.';
COMMENT ON COLUMN ethaudit.result_history.result_id IS 'The result.';
COMMENT ON COLUMN ethaudit.result_history.evaluated_at IS 'When it was evaluated.';
COMMENT ON COLUMN ethaudit.result_history.window_start IS 'Start of the evaluated window.';
COMMENT ON COLUMN ethaudit.result_history.window_end IS 'End of the evaluated window: the time axis of backfills.';
COMMENT ON COLUMN ethaudit.result_history.model IS 'The model.';
COMMENT ON COLUMN ethaudit.result_history.model_version IS 'Version the result is about (see version_source).';
COMMENT ON COLUMN ethaudit.result_history.check_id IS 'The check.';
COMMENT ON COLUMN ethaudit.result_history.check_name IS 'Name of the check: the series name.';
COMMENT ON COLUMN ethaudit.result_history.metric IS 'The metric.';
COMMENT ON COLUMN ethaudit.result_history.family IS 'drift, quality, performance or fairness.';
COMMENT ON COLUMN ethaudit.result_history.value IS 'Value of the metric.';
COMMENT ON COLUMN ethaudit.result_history.status IS 'ok, warning, critical, insufficient_data or error.';
COMMENT ON COLUMN ethaudit.result_history.warn IS 'Warning level it was judged by.';
COMMENT ON COLUMN ethaudit.result_history.critical IS 'Critical level it was judged by.';
COMMENT ON COLUMN ethaudit.result_history.direction IS 'above or below.';
COMMENT ON COLUMN ethaudit.result_history.n_current IS 'Usable rows in the window.';
COMMENT ON COLUMN ethaudit.result_history.n_reference IS 'Usable rows in the reference.';
COMMENT ON COLUMN ethaudit.result_history.run_id IS 'The run.';
COMMENT ON COLUMN ethaudit.result_history.message IS 'Why the status is error or insufficient_data; which versions may be mixed.';
COMMENT ON COLUMN ethaudit.result_history.version_source IS 'Where model_version comes from: check, data or stage_history.';
COMMENT ON COLUMN ethaudit.result_history.mixed_versions IS 'True when several versions served during the window of a check without a version column.';
COMMENT ON COLUMN ethaudit.result_history.replayed IS 'True for a result of a replay (it changed no alert).';
COMMENT ON COLUMN ethaudit.result_history.labelled_share IS 'For metrics that read labels: the share of the window''s rows that have one.';
COMMENT ON COLUMN ethaudit.result_history.threshold_kind IS 'history_sigma or history_change when warn and critical came from the check''s history (plot them as its moving band); NULL for fixed levels.';
COMMENT ON COLUMN ethaudit.result_history.history_n IS 'With threshold_kind: how many earlier results the levels came from.';

CREATE VIEW ethaudit.model_cards AS
SELECT mo.model, mo.description, mo.owner_role,
       v.versions, v.live_versions,
       o.owners,
       coalesce(c.checks, '[]'::jsonb) AS checks,
       coalesce(c.checks_total, 0) AS checks_total,
       coalesce(c.checks_ok, 0) AS checks_ok,
       coalesce(c.checks_warning, 0) AS checks_warning,
       coalesce(c.checks_critical, 0) AS checks_critical,
       coalesce(c.checks_insufficient_data, 0) AS checks_insufficient_data,
       coalesce(c.checks_error, 0) AS checks_error,
       coalesce(c.checks_never_run, 0) AS checks_never_run,
       coalesce(al.open_alerts, 0) AS open_alerts,
       coalesce(al.alerts, '[]'::jsonb) AS alerts,
       CASE WHEN c.checks_critical > 0 THEN 'critical'
            WHEN c.checks_warning > 0 THEN 'warning'
            WHEN c.checks_error > 0 THEN 'error'
            WHEN c.checks_insufficient_data > 0 THEN 'insufficient_data'
            WHEN c.checks_ok > 0 THEN 'ok' END AS worst_status,
       c.last_evaluated_at,
       coalesce(h.stage_history, '[]'::jsonb) AS stage_history,
       coalesce(c.checks_mixing_versions, 0) AS checks_mixing_versions,
       coalesce(al.broken_checks, 0) AS broken_checks,
       coalesce(pe.performance_estimates, '[]'::jsonb) AS performance_estimates
FROM ethaudit.models mo
LEFT JOIN LATERAL (
    SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
               'version', mv.version, 'stage', mv.stage, 'since', mv.stage_changed_at,
               'registered_at', mv.registered_at, 'description', mv.description)
               ORDER BY pg_catalog.array_position(ARRAY['live', 'canary', 'shadow', 'retired'], mv.stage),
                        mv.version), '[]'::jsonb) AS versions,
           pg_catalog.array_agg(mv.version ORDER BY mv.version) FILTER (WHERE mv.stage = 'live') AS live_versions
    FROM ethaudit.model_versions mv WHERE mv.model = mo.model) v ON true
LEFT JOIN LATERAL (
    SELECT pg_catalog.array_agg(DISTINCT x.role ORDER BY x.role) AS owners
    FROM (SELECT mo.owner_role AS role
          UNION ALL
          SELECT th.owner_role FROM ethaudit.thresholds th
          JOIN ethaudit.checks ch ON ch.check_id = th.check_id
          WHERE ch.model = mo.model) x
    WHERE x.role IS NOT NULL) o ON true
LEFT JOIN LATERAL (
    -- a check counts once, by the worst status of its versions
    SELECT pg_catalog.jsonb_agg(x.item ORDER BY x.check_name, x.model_version) AS checks,
           pg_catalog.count(DISTINCT x.check_id)::integer AS checks_total,
           pg_catalog.count(DISTINCT x.check_id) FILTER (WHERE x.worst = 'ok')::integer AS checks_ok,
           pg_catalog.count(DISTINCT x.check_id) FILTER (WHERE x.worst = 'warning')::integer AS checks_warning,
           pg_catalog.count(DISTINCT x.check_id) FILTER (WHERE x.worst = 'critical')::integer AS checks_critical,
           pg_catalog.count(DISTINCT x.check_id) FILTER (WHERE x.worst = 'insufficient_data')::integer AS checks_insufficient_data,
           pg_catalog.count(DISTINCT x.check_id) FILTER (WHERE x.worst = 'error')::integer AS checks_error,
           pg_catalog.count(DISTINCT x.check_id) FILTER (WHERE x.worst IS NULL)::integer AS checks_never_run,
           pg_catalog.count(DISTINCT x.check_id) FILTER (WHERE x.mixed_versions)::integer AS checks_mixing_versions,
           pg_catalog.max(x.evaluated_at) AS last_evaluated_at
    FROM (SELECT lr.check_id, lr.check_name, lr.model_version, lr.mixed_versions, lr.evaluated_at,
                 pg_catalog.first_value(lr.status) OVER (PARTITION BY lr.check_id ORDER BY pg_catalog.array_position(
                     ARRAY['critical', 'warning', 'error', 'insufficient_data', 'ok'], lr.status)) AS worst,
                 pg_catalog.jsonb_build_object(
                     'check_id', lr.check_id, 'check_name', lr.check_name, 'metric', lr.metric,
                     'family', lr.family, 'mode', lr.mode, 'source', lr.source, 'enabled', lr.enabled,
                     'status', lr.status, 'value', lr.value, 'evaluated_at', lr.evaluated_at,
                     'window_start', lr.window_start, 'window_end', lr.window_end,
                     'warn', CASE WHEN th.kind = 'fixed' THEN th.warn ELSE lr.warn END,
                     'critical', CASE WHEN th.kind = 'fixed' THEN th.critical ELSE lr.critical END,
                     'direction', th.direction, 'threshold_kind', th.kind,
                     'owner_role', th.owner_role, 'response_time', th.response_time,
                     'model_version', lr.model_version, 'version_source', lr.version_source,
                     'mixed_versions', lr.mixed_versions, 'labelled_share', lr.labelled_share,
                     'message', lr.message) AS item
          FROM ethaudit.latest_results lr
          LEFT JOIN ethaudit.thresholds th ON th.check_id = lr.check_id
          WHERE lr.model = mo.model AND lr.enabled) x) c ON true
LEFT JOIN LATERAL (
    SELECT pg_catalog.count(*)::integer AS open_alerts,
           pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
               'alert_id', oa.alert_id, 'check_name', oa.check_name, 'family', oa.family,
               'severity', oa.severity, 'priority', oa.priority, 'status', oa.status,
               'owner_role', oa.owner_role, 'opened_at', oa.opened_at, 'due_at', oa.due_at,
               'overdue', oa.overdue, 'occurrences', oa.occurrences, 'last_value', oa.last_value,
               'kind', oa.kind, 'model_version', oa.model_version, 'window_end', oa.last_window_end)
               ORDER BY oa.priority = 'normal', oa.severity = 'warning', oa.due_at) AS alerts,
           pg_catalog.count(*) FILTER (WHERE oa.kind = 'check_broken')::integer AS broken_checks
    FROM ethaudit.open_alerts oa WHERE oa.model = mo.model) al ON true
LEFT JOIN LATERAL (
    SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
               'version', sh.version, 'stage', sh.stage, 'from', sh.valid_from, 'to', sh.valid_to)
               ORDER BY sh.valid_from, sh.interval_id) AS stage_history
    FROM ethaudit.stage_history sh WHERE sh.model = mo.model) h ON true
LEFT JOIN LATERAL (
    -- each estimate before labels beside the latest realised value of the
    -- same metric over the same log, once a check computes it
    SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
               'metric', e.metric, 'check_name', e.check_name, 'model_version', e.model_version,
               'estimated', e.value, 'window_end', e.window_end,
               'realised', r.value, 'realised_check_name', r.check_name, 'realised_window_end', r.window_end,
               'realised_labelled_share', r.labelled_share)
               ORDER BY e.check_name, e.model_version) AS performance_estimates
    FROM ethaudit.latest_results e
    LEFT JOIN LATERAL (
        SELECT x.value, x.check_name, x.window_end, x.labelled_share
        FROM ethaudit.latest_results x
        WHERE x.model = e.model AND x.source = e.source AND x.enabled AND x.value IS NOT NULL
          AND x.model_version IS NOT DISTINCT FROM e.model_version
          AND x.metric = CASE e.metric WHEN 'estimated_accuracy' THEN 'accuracy_score'
                                       WHEN 'estimated_precision' THEN 'precision_score'
                                       WHEN 'estimated_recall' THEN 'recall_score'
                                       WHEN 'estimated_f1' THEN 'f1_score'
                                       WHEN 'estimated_roc_auc' THEN 'roc_auc' END
        ORDER BY x.window_end DESC, x.check_id LIMIT 1) r ON true
    WHERE e.model = mo.model AND e.enabled AND e.metric LIKE 'estimated\_%' AND e.status IS NOT NULL) pe ON true;
COMMENT ON VIEW ethaudit.model_cards IS
'A live model card per model: versions and stages, owners, the enabled checks with their latest value, status and thresholds, the open alerts and when the model was last evaluated. Detail columns are jsonb arrays.';
COMMENT ON COLUMN ethaudit.model_cards.model IS 'The model.';
COMMENT ON COLUMN ethaudit.model_cards.description IS 'Its description.';
COMMENT ON COLUMN ethaudit.model_cards.owner_role IS 'Owner of the model.';
COMMENT ON COLUMN ethaudit.model_cards.versions IS 'jsonb array of {version, stage, since, registered_at, description}, live first.';
COMMENT ON COLUMN ethaudit.model_cards.live_versions IS 'Versions in stage live.';
COMMENT ON COLUMN ethaudit.model_cards.owners IS 'Owner of the model and owners of its checks'' thresholds.';
COMMENT ON COLUMN ethaudit.model_cards.checks IS 'jsonb array of the latest live results of the enabled checks (one per version for a check with a version column): {check_id, check_name, metric, family, mode, source, enabled, status, value, evaluated_at, window_start, window_end, warn, critical, direction, threshold_kind, owner_role, response_time, model_version, version_source, mixed_versions, labelled_share, message}: warn and critical are the levels of the latest result for thresholds computed from the check''s history.';
COMMENT ON COLUMN ethaudit.model_cards.checks_total IS 'Enabled checks.';
COMMENT ON COLUMN ethaudit.model_cards.checks_ok IS 'Enabled checks whose latest status is ok (a check with a version column: its worst version).';
COMMENT ON COLUMN ethaudit.model_cards.checks_warning IS 'Enabled checks whose latest status is warning.';
COMMENT ON COLUMN ethaudit.model_cards.checks_critical IS 'Enabled checks whose latest status is critical.';
COMMENT ON COLUMN ethaudit.model_cards.checks_insufficient_data IS 'Enabled checks whose latest status is insufficient_data.';
COMMENT ON COLUMN ethaudit.model_cards.checks_error IS 'Enabled checks whose latest status is error.';
COMMENT ON COLUMN ethaudit.model_cards.checks_never_run IS 'Enabled checks without results.';
COMMENT ON COLUMN ethaudit.model_cards.open_alerts IS 'Alerts not resolved.';
COMMENT ON COLUMN ethaudit.model_cards.alerts IS 'jsonb array of the open alerts: {alert_id, check_name, family, severity, priority, status, owner_role, opened_at, due_at, overdue, occurrences, last_value, kind, model_version, window_end}, high priority and critical first.';
COMMENT ON COLUMN ethaudit.model_cards.worst_status IS 'Worst latest status over the enabled checks: critical, warning, error, insufficient_data, ok; NULL if none ran.';
COMMENT ON COLUMN ethaudit.model_cards.last_evaluated_at IS 'When a check of the model was last evaluated (live runs).';
COMMENT ON COLUMN ethaudit.model_cards.stage_history IS 'jsonb array of {version, stage, from, to} from ethaudit.stage_history, oldest first (to NULL: the current stage).';
COMMENT ON COLUMN ethaudit.model_cards.checks_mixing_versions IS 'Enabled checks without a version column whose latest window saw several versions serve (their results may mix them).';
COMMENT ON COLUMN ethaudit.model_cards.broken_checks IS 'Open check_broken alerts: checks that keep failing and no longer audit.';
COMMENT ON COLUMN ethaudit.model_cards.performance_estimates IS 'Estimated vs realised: jsonb array of {metric, check_name, model_version, estimated, window_end, realised, realised_check_name, realised_window_end, realised_labelled_share}, one per enabled estimated_* check that ran, with the latest value of the realised metric (accuracy_score, precision_score, recall_score, f1_score, roc_auc) over the same log and version, NULL until a check computes it.';

CREATE VIEW ethaudit.monitored_tables AS
SELECT tg.tgrelid::regclass AS table_name, tg.tgname AS trigger_name, tg.tgenabled <> 'D' AS trigger_enabled,
       (SELECT pg_catalog.count(*) FROM ethaudit.checks ch
        WHERE ch.source = ethaudit_internal.qualified_name(tg.tgrelid) AND ch.mode <> 'scheduled' AND ch.enabled)::integer
           AS enabled_checks
FROM pg_catalog.pg_trigger tg
WHERE tg.tgfoid = 'ethaudit_internal.monitor_batch()'::pg_catalog.regprocedure;
COMMENT ON VIEW ethaudit.monitored_tables IS
'Prediction-log tables with the ethaudit monitoring trigger, and how many enabled insert-mode checks each has.';
COMMENT ON COLUMN ethaudit.monitored_tables.table_name IS 'The monitored table.';
COMMENT ON COLUMN ethaudit.monitored_tables.trigger_name IS 'Name of its trigger.';
COMMENT ON COLUMN ethaudit.monitored_tables.trigger_enabled IS 'False if the trigger is disabled (ALTER TABLE ... DISABLE TRIGGER).';
COMMENT ON COLUMN ethaudit.monitored_tables.enabled_checks IS 'Enabled checks with mode insert_batch or insert_window on the table.';

GRANT SELECT ON ethaudit.metric_catalog TO PUBLIC;

-- security_invoker views need PostgreSQL 15; the rest installs on 13 and 14
DO $$
DECLARE
    v text;
BEGIN
    IF pg_catalog.current_setting('server_version_num')::integer >= 150000 THEN
        FOREACH v IN ARRAY ARRAY['metric_catalog', 'open_alerts', 'latest_results', 'result_history',
                                 'model_cards', 'monitored_tables'] LOOP
            EXECUTE pg_catalog.format('ALTER VIEW ethaudit.%I SET (security_invoker = true)', v);
        END LOOP;
    END IF;
END
$$;
