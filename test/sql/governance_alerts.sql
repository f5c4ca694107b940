-- Governance: the lifecycle of alerts.  A check over an hourly feed whose
-- share of NULLs is set hour by hour drives one alert through opening,
-- repeats, escalation, clean runs and resolution.
SET client_min_messages = warning;
SET extra_float_digits = 0;
-- start from no history (the suites before leave some)
DELETE FROM ethaudit.alert_events;
DELETE FROM ethaudit.alerts;
DELETE FROM ethaudit.results;
DELETE FROM ethaudit.runs;
ALTER SEQUENCE ethaudit.alerts_alert_id_seq RESTART;
ALTER SEQUENCE ethaudit.runs_run_id_seq RESTART;

CREATE TABLE gov.feed (ts timestamptz NOT NULL, v float8);
-- hour h gets 10 rows, nulls of them NULL
CREATE FUNCTION gov.feed_hour(h integer, nulls integer) RETURNS void LANGUAGE sql AS $$
    INSERT INTO gov.feed
    SELECT timestamptz '2024-05-01 00:00+00' + (h - 1) * interval '1 hour' + i * interval '1 minute',
           CASE WHEN i < nulls THEN NULL ELSE i END
    FROM generate_series(0, 9) i
$$;
-- runs the model's checks at the end of hour h; returns the statuses
CREATE FUNCTION gov.run_hour(m text, h integer) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    run bigint := (ethaudit.run_checks(m, timestamptz '2024-05-01 00:00+00' + h * interval '1 hour', replay => false)).run_id;
BEGIN
    RETURN (SELECT string_agg(c.check_name || ': ' || r.status, ', ' ORDER BY c.check_name)
            FROM ethaudit.results r JOIN ethaudit.checks c USING (check_id) WHERE r.run_id = run);
END $$;
CREATE VIEW gov.alert_state AS
SELECT a.alert_id, c.check_name, a.family, a.status, a.severity, a.priority, a.occurrences, a.clean_runs,
       a.first_value, a.last_value, a.worst_value,
       CASE WHEN a.escalated_at IS NULL THEN a.due_at - a.opened_at END AS due_after,
       a.due_at - a.escalated_at AS due_after_escalation, a.resolution, a.resolution_note
FROM ethaudit.alerts a JOIN ethaudit.checks c USING (check_id);

INSERT INTO ethaudit.models (model, owner_role) VALUES ('pipeline', CURRENT_USER);
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, required_columns, window_size, min_samples)
VALUES ('feed nulls', 'pipeline', 'null_share', 'gov.feed', 'ts', '{v}', '1 hour', 5);
INSERT INTO ethaudit.thresholds (check_id, warn, critical, response_time, critical_response_time, resolve_after)
SELECT check_id, 0.1, 0.3, '2 hours', '30 minutes', 2 FROM ethaudit.checks WHERE check_name = 'feed nulls';

-- hour 1: clean
SELECT gov.feed_hour(1, 0);
SELECT gov.run_hour('pipeline', 1);
SELECT count(*) AS alerts FROM ethaudit.alerts;
-- hour 2: 20% NULL, above warn: the alert opens
SELECT gov.feed_hour(2, 2);
SELECT gov.run_hour('pipeline', 2);
SELECT * FROM gov.alert_state;
-- hour 3: the same again: a repeat, not a second alert
SELECT gov.feed_hour(3, 2);
SELECT gov.run_hour('pipeline', 3);
SELECT * FROM gov.alert_state;
-- hour 4: 50% NULL, above critical: escalation, due in 30 minutes
SELECT gov.feed_hour(4, 5);
SELECT gov.run_hour('pipeline', 4);
SELECT * FROM gov.alert_state;
SELECT escalated_at = last_seen_at AS escalated_by_that_result FROM ethaudit.alerts;
-- hour 5: clean (1 of 2); hour 6: no data, which neither counts nor resets;
-- hour 7: clean (2 of 2): resolved
SELECT gov.feed_hour(5, 0);
SELECT gov.run_hour('pipeline', 5);
SELECT status, clean_runs FROM ethaudit.alerts;
SELECT gov.run_hour('pipeline', 6);
SELECT status, clean_runs FROM ethaudit.alerts;
SELECT gov.feed_hour(7, 0);
SELECT gov.run_hour('pipeline', 7);
SELECT * FROM gov.alert_state;
-- hour 8: bad again: a new alert
SELECT gov.feed_hour(8, 2);
SELECT gov.run_hour('pipeline', 8);
SELECT alert_id, status, severity, occurrences FROM ethaudit.alerts ORDER BY alert_id;

-- acknowledging and resolving by hand
SELECT alert_id, status, acknowledged_by = CURRENT_USER AS by_me, acknowledge_note
FROM ethaudit.acknowledge_alert(2, 'looking at the upstream job');
SELECT regress.error_of($$SELECT ethaudit.acknowledge_alert(2)$$);
-- an acknowledged alert that escalates needs attention again
SELECT gov.feed_hour(9, 5);
SELECT gov.run_hour('pipeline', 9);
SELECT alert_id, status, severity, acknowledged_at IS NOT NULL AS was_acknowledged FROM ethaudit.alerts WHERE alert_id = 2;
SELECT regress.error_of($$SELECT ethaudit.resolve_alert(2, '  ')$$);
SELECT regress.error_of($$SELECT ethaudit.resolve_alert(2, NULL)$$);
SELECT alert_id, status, resolution, resolved_by = CURRENT_USER AS by_me, resolution_note
FROM ethaudit.resolve_alert(2, 'upstream job fixed and re-run');
SELECT regress.error_of($$SELECT ethaudit.resolve_alert(2, 'again')$$);
SELECT regress.error_of($$SELECT ethaudit.acknowledge_alert(2)$$);
SELECT regress.error_of($$SELECT ethaudit.acknowledge_alert(4242)$$);
SELECT regress.error_of($$SELECT ethaudit.acknowledge_alert(NULL)$$);
-- hour 10: bad again: a third alert, the resolved ones stay resolved
SELECT gov.feed_hour(10, 2);
SELECT gov.run_hour('pipeline', 10);
SELECT alert_id, status, severity, occurrences FROM ethaudit.alerts ORDER BY alert_id;

-- the whole story, event by event
SELECT e.alert_id, e.event, e.severity, e.value, e.actor = CURRENT_USER AS by_me, e.note,
       e.result_id = r.result_id AS has_result
FROM ethaudit.alert_events e LEFT JOIN ethaudit.results r USING (result_id)
ORDER BY e.event_id;

-- results loaded by a restore (a superuser with row_security off) with
-- alert_applied = true leave the alerts alone; a new result is applied and
-- flagged, and so is one that claims to be applied outside a restore
INSERT INTO ethaudit.runs (kind, as_of) VALUES ('run_check', '2024-05-02 00:00+00');
SET row_security = off;
INSERT INTO ethaudit.results (run_id, check_id, model, metric, value, status, warn, critical, direction, alert_applied)
SELECT max(r.run_id), c.check_id, c.model, c.metric, 0.9, 'critical', 0.1, 0.3, 'above', true
FROM ethaudit.runs r, ethaudit.checks c WHERE c.check_name = 'feed nulls' GROUP BY c.check_id;
RESET row_security;
SELECT alert_id, severity, occurrences FROM ethaudit.alerts WHERE status <> 'resolved';
INSERT INTO ethaudit.results (run_id, check_id, model, metric, value, status, warn, critical, direction, alert_applied)
SELECT max(r.run_id), c.check_id, c.model, c.metric, 0.25, 'ok', 0.1, 0.3, 'above', true
FROM ethaudit.runs r, ethaudit.checks c WHERE c.check_name = 'feed nulls' GROUP BY c.check_id
RETURNING status, alert_applied;
SELECT alert_id, severity, occurrences FROM ethaudit.alerts WHERE status <> 'resolved';
-- the engine judges the value: a supplied status (ok for 0.25 above warn
-- 0.1) and supplied thresholds count for nothing
INSERT INTO ethaudit.results (run_id, check_id, model, metric, value, status, warn, critical, direction)
SELECT max(r.run_id), c.check_id, c.model, c.metric, 0.9, 'critical', 0.1, 0.3, 'above'
FROM ethaudit.runs r, ethaudit.checks c WHERE c.check_name = 'feed nulls' GROUP BY c.check_id
RETURNING alert_applied;
SELECT alert_id, severity, occurrences, worst_value FROM ethaudit.alerts WHERE status <> 'resolved';

-- a direction "below" metric: lower is worse
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column, window_size, min_samples)
VALUES ('feed auc', 'pipeline', 'roc_auc', 'gov.preds', 'ts', 'label', 'score', '1 hour', 1);
INSERT INTO ethaudit.thresholds (check_id, warn, critical)
SELECT check_id, 0.8, 0.7 FROM ethaudit.checks WHERE check_name = 'feed auc';
INSERT INTO ethaudit.results (run_id, check_id, model, metric, value, status, warn, critical, direction)
SELECT max(r.run_id), c.check_id, c.model, c.metric, v, ethaudit.classify(v, 0.8, 0.7, 'below'), 0.8, 0.7, 'below'
FROM ethaudit.runs r, ethaudit.checks c, (VALUES (1, 0.75), (2, 0.65), (3, 0.72)) x(k, v)
WHERE c.check_name = 'feed auc' GROUP BY c.check_id, x.k, x.v ORDER BY x.k;
SELECT check_name, severity, occurrences, first_value, last_value, worst_value
FROM gov.alert_state WHERE check_name = 'feed auc';
SELECT ethaudit.classify(0.1, 0.1, 0.2, 'above') AS at_warn, ethaudit.classify(0.1000001, 0.1, 0.2, 'above') AS beyond_warn,
       ethaudit.classify(0.5, NULL, 0.2, 'above') AS only_critical, ethaudit.classify(0.5, NULL, NULL, NULL) AS no_thresholds,
       ethaudit.classify('NaN', 0.1, 0.2, 'above') AS nan, ethaudit.classify(NULL, 0.1, 0.2, 'above') AS null_value;

-- co-occurrence: a fairness alert open together with a drift or
-- performance alert of the same model gets priority high
INSERT INTO ethaudit.models (model, owner_role) VALUES ('loans', CURRENT_USER), ('loans2', CURRENT_USER);
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, probability_column, group_column, window_size)
VALUES ('loans parity', 'loans', 'selection_rate_gap', 'gov.preds', 'ts', 'score', 'grp', '1 day'),
       ('loans2 parity', 'loans2', 'selection_rate_gap', 'gov.preds', 'ts', 'score', 'grp', '1 day');
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind)
VALUES ('loans drift', 'loans', 'psi', 'gov.preds', 'ts', 'feature', '1 day', 'preceding'),
       ('loans2 drift', 'loans2', 'psi', 'gov.preds', 'ts', 'feature', '1 day', 'preceding');
INSERT INTO ethaudit.checks (check_name, model, metric, mode, source, time_column, required_columns)
VALUES ('loans nulls', 'loans', 'null_share', 'insert_batch', 'gov.preds', 'ts', '{score}');
INSERT INTO ethaudit.thresholds (check_id, warn, critical)
SELECT check_id, 0.5, 2 FROM ethaudit.checks WHERE check_name LIKE 'loans%';
CREATE FUNCTION gov.breach(check_name text) RETURNS void LANGUAGE sql AS $$
    INSERT INTO ethaudit.results (run_id, check_id, model, metric, value, status, warn, critical, direction)
    SELECT (SELECT max(run_id) FROM ethaudit.runs), c.check_id, c.model, c.metric, 1, 'warning', 0.5, 2, 'above'
    FROM ethaudit.checks c WHERE c.check_name = breach.check_name
$$;
-- loans: fairness first, then a quality alert (no effect), then drift (raises it)
SELECT gov.breach('loans parity');
SELECT gov.breach('loans nulls');
SELECT check_name, family, priority FROM gov.alert_state WHERE check_name LIKE 'loans %' ORDER BY alert_id;
SELECT gov.breach('loans drift');
SELECT s.check_name, s.family, s.priority,
       a.priority_reason ~ '^open together with drift alert \d+ on check loans drift$' AS reason_names_the_drift_alert
FROM gov.alert_state s JOIN ethaudit.alerts a USING (alert_id)
WHERE s.check_name LIKE 'loans %' ORDER BY alert_id;
-- loans2: drift first, then fairness (raised when it opens)
SELECT gov.breach('loans2 drift');
SELECT gov.breach('loans2 parity');
SELECT check_name, family, priority FROM gov.alert_state WHERE check_name LIKE 'loans2 %' ORDER BY alert_id;
SELECT a.model, e.event FROM ethaudit.alert_events e JOIN ethaudit.alerts a USING (alert_id)
WHERE a.model LIKE 'loans%' ORDER BY e.event_id;

-- a check with history cannot be deleted (disable it instead)
SELECT regress.error_of($$DELETE FROM ethaudit.checks WHERE check_name = 'feed nulls'$$);

-- a new result speaks for its check: the model and metric it claims are replaced
INSERT INTO ethaudit.results (run_id, check_id, model, metric, value, status, warn, critical, direction)
SELECT max(r.run_id), c.check_id, 'some other model', 'psi', 0.2, 'warning', 0.1, 0.3, 'above'
FROM ethaudit.runs r, ethaudit.checks c WHERE c.check_name = 'feed nulls' GROUP BY c.check_id
RETURNING model, metric;

-- retention: nothing is old enough yet; with a zero age everything but the
-- open alerts (and the results they point to) goes
SELECT * FROM ethaudit.purge_history('30 days');
SELECT count(*) FILTER (WHERE status = 'resolved') AS resolved, count(*) FILTER (WHERE status <> 'resolved') AS open
FROM ethaudit.alerts;
SELECT results > 0 AND runs > 0 AND alerts = 2 AND alert_events = 7 AS purged FROM ethaudit.purge_history('0 seconds');
SELECT count(*) FILTER (WHERE status = 'resolved') AS resolved, count(*) FILTER (WHERE status <> 'resolved') AS open
FROM ethaudit.alerts;
SELECT count(*) AS results_kept, bool_and(EXISTS (SELECT 1 FROM ethaudit.alerts a
                                                 WHERE r.result_id IN (a.first_result_id, a.last_result_id))) AS all_belong_to_open_alerts
FROM ethaudit.results r;
SELECT regress.error_of($$SELECT ethaudit.purge_history('-1 day')$$);
