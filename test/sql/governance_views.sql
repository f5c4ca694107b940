-- Governance: the dashboard views over one model with every kind of check
-- status, and the model card.
SET client_min_messages = warning;
SET extra_float_digits = 0;
DELETE FROM ethaudit.alert_events;
DELETE FROM ethaudit.alerts;
DELETE FROM ethaudit.results;
DELETE FROM ethaudit.runs;

CREATE ROLE regress_gov_risk NOLOGIN;
CREATE ROLE regress_gov_fairness NOLOGIN;
INSERT INTO ethaudit.models (model, description, owner_role)
VALUES ('cards', 'model card of the fraud log', 'regress_gov_risk');
INSERT INTO ethaudit.model_versions (model, version, stage, description, stage_changed_at)
VALUES ('cards', 'v0', 'retired', 'first try', '2024-01-01 00:00+00'), ('cards', 'v1', 'live', 'current', '2024-01-01 00:00+00'),
       ('cards', 'v2', 'canary', 'candidate', '2024-03-09 12:00+00');
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind)
VALUES ('cards drift', 'cards', 'psi', 'gov.log', 'ts', 'feature', '1 day', 'preceding');
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column, group_column, window_size)
VALUES ('cards equal opportunity', 'cards', 'group_tpr_gap', 'gov.log', 'ts', 'label', 'score', 'grp', '1 day');
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column, window_size)
VALUES ('cards calibration', 'cards', 'ece', 'gov.log', 'ts', 'label', 'score', '1 day'),
       ('cards brier', 'cards', 'brier_score', 'gov.log', 'ts', 'label', 'score', '1 day');
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column, window_size, min_samples)
VALUES ('cards auc, few rows', 'cards', 'roc_auc', 'gov.log', 'ts', 'label', 'score', '1 hour', 1000);
INSERT INTO ethaudit.checks (check_name, model, metric, mode, source, time_column, required_columns)
VALUES ('cards nulls (never run)', 'cards', 'null_share', 'insert_batch', 'gov.log', 'ts', '{score}');
INSERT INTO ethaudit.thresholds (check_id, warn, critical, owner_role, response_time)
SELECT check_id, w, c, o, r FROM ethaudit.checks
JOIN (VALUES ('cards drift', 0.1, 0.25, NULL, interval '4 hours'),
             ('cards equal opportunity', 0.001, 0.5, 'regress_gov_fairness', interval '1 day'),
             ('cards calibration', 0.01, 0.02, NULL, interval '2 days'),
             ('cards brier', 0.3, 0.4, NULL, interval '1 day')) AS t(n, w, c, o, r) ON n = check_name;

-- three days: day 9 is quiet, on day 10 the feature drifts
SELECT checks, ok, warning, critical, insufficient_data, error FROM ethaudit.run_checks('cards', '2024-03-08 00:00+00', replay => false);
SELECT checks, ok, warning, critical, insufficient_data, error FROM ethaudit.run_checks('cards', '2024-03-09 00:00+00', replay => false);
SELECT checks, ok, warning, critical, insufficient_data, error FROM ethaudit.run_checks('cards', '2024-03-10 00:00+00', replay => false);

-- open alerts, by owner and due time
SELECT owner_role, check_name, family, severity, priority, status, overdue, occurrences,
       due_at - opened_at AS response_time, round(last_value::numeric, 4) AS last_value, warn, critical, direction
FROM ethaudit.open_alerts ORDER BY owner_role, due_at, alert_id;

-- the latest result of every check, including the one that never ran
SELECT check_name, family, mode, status, round(value::numeric, 4) AS value, n_current, n_reference,
       window_end, model_version, owner_role, message
FROM ethaudit.latest_results WHERE model = 'cards' ORDER BY check_id;

-- history for a time-series panel: one point per check and run
SELECT check_name, window_end, round(value::numeric, 4) AS value, warn, critical, status
FROM ethaudit.result_history WHERE model = 'cards' AND family = 'drift' ORDER BY window_end;
SELECT check_name, count(*) AS points FROM ethaudit.result_history WHERE model = 'cards'
GROUP BY check_name ORDER BY check_name;

-- the model card
SELECT model, description, owner_role, live_versions, owners, checks_total, checks_ok, checks_warning,
       checks_critical, checks_insufficient_data, checks_error, checks_never_run, open_alerts, worst_status,
       last_evaluated_at = (SELECT max(evaluated_at) FROM ethaudit.results WHERE model = 'cards') AS last_evaluated_matches
FROM ethaudit.model_cards WHERE model = 'cards';
SELECT v->>'version' AS version, v->>'stage' AS stage, v->>'description' AS description
FROM ethaudit.model_cards, jsonb_array_elements(versions) v WHERE model = 'cards';
SELECT c->>'check_name' AS check_name, c->>'status' AS status, round((c->>'value')::numeric, 4) AS value,
       c->>'warn' AS warn, c->>'critical' AS critical, c->>'direction' AS direction, c->>'owner_role' AS owner_role,
       c->>'response_time' AS response_time
FROM ethaudit.model_cards, jsonb_array_elements(checks) c WHERE model = 'cards';
SELECT a->>'check_name' AS check_name, a->>'severity' AS severity, a->>'priority' AS priority, a->>'owner_role' AS owner_role
FROM ethaudit.model_cards, jsonb_array_elements(alerts) a WHERE model = 'cards';
-- a model without anything yet still has a card
INSERT INTO ethaudit.models (model) VALUES ('blank');
SELECT model, versions, live_versions, owners, checks, checks_total, open_alerts, alerts, worst_status, last_evaluated_at
FROM ethaudit.model_cards WHERE model = 'blank';

-- a disabled check leaves the card (its history stays in result_history)
UPDATE ethaudit.checks SET enabled = false WHERE check_name = 'cards brier';
SELECT checks_total, checks_ok FROM ethaudit.model_cards WHERE model = 'cards';
SELECT count(*) AS brier_points FROM ethaudit.result_history WHERE check_name = 'cards brier';

-- the roles are named, not owned, by the configuration: clear the names, drop the roles
UPDATE ethaudit.models SET owner_role = NULL WHERE owner_role LIKE 'regress_gov_%';
UPDATE ethaudit.thresholds SET owner_role = NULL WHERE owner_role LIKE 'regress_gov_%';
UPDATE ethaudit.alerts SET owner_role = NULL WHERE owner_role LIKE 'regress_gov_%';
SELECT count(*) AS rows_naming_the_roles FROM ethaudit.thresholds WHERE owner_role LIKE 'regress_gov_%';
DROP ROLE regress_gov_risk;
DROP ROLE regress_gov_fairness;
