-- Governance: the runner.  run_checks() and run_check() over deterministic
-- data; values are compared with the same aggregate called directly.
SET client_min_messages = warning;
SET extra_float_digits = 0;

-- ten days of predictions, one every 10 minutes (144 a day); v1 until
-- 2024-03-08, then v2.  From 2024-03-09 the feature shifts; on 2024-03-10
-- a new category "c" appears.
CREATE TABLE gov.log (
    id      bigserial PRIMARY KEY,
    ts      timestamptz NOT NULL,
    version text NOT NULL,
    score   float8,
    label   boolean,
    grp     text,
    feature float8,
    cat     text
);
INSERT INTO gov.log (ts, version, score, label, grp, feature, cat)
SELECT t, CASE WHEN t < '2024-03-08' THEN 'v1' ELSE 'v2' END,
       (i * 37 % 100) / 100.0,
       (i * 53 % 100) < (i * 37 % 100),
       CASE WHEN i % 3 = 0 THEN 'g1' ELSE 'g2' END,
       (i * 7919 % 1000) / 10.0 + CASE WHEN t >= '2024-03-09' THEN 40 ELSE 0 END,
       CASE WHEN t >= '2024-03-10' AND i % 4 = 0 THEN 'c' WHEN i % 2 = 0 THEN 'a' ELSE 'b' END
FROM generate_series(0, 1439) i, LATERAL (SELECT timestamptz '2024-03-01 00:00+00' + i * interval '10 minutes') x(t);
CREATE INDEX ON gov.log (ts);
CREATE VIEW gov.log_day AS SELECT (ts AT TIME ZONE 'UTC')::date AS day, score, label FROM gov.log;

INSERT INTO ethaudit.models (model, description, owner_role) VALUES ('fraud', 'fraud detection', CURRENT_USER);
-- the registry's history starts before the log: v1 live, v2 canary
INSERT INTO ethaudit.model_versions (model, version, stage, stage_changed_at)
VALUES ('fraud', 'v1', 'live', '2024-01-01 00:00+00'), ('fraud', 'v2', 'canary', '2024-01-01 00:00+00');

INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind)
VALUES ('feature psi', 'fraud', 'psi', 'gov.log', 'ts', 'feature', '1 day', 'preceding');
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size,
                             reference_kind, reference_start, reference_end)
VALUES ('feature ks vs week 1', 'fraud', 'ks_stat', 'gov.log', 'ts', 'feature', '1 day',
        'fixed', '2024-03-01 00:00+00', '2024-03-08 00:00+00');
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind, reference_size)
VALUES ('cat unseen', 'fraud', 'unseen_share', 'gov.log', 'ts', 'cat', '1 day', 'preceding', '3 days');
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column, window_size)
VALUES ('ece', 'fraud', 'ece', 'gov.log', 'ts', 'label', 'score', '1 day');
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column, window_rows)
VALUES ('ece last 100', 'fraud', 'ece', 'gov.log', 'ts', 'label', 'score', 100);
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column,
                             group_column, window_size, params)
VALUES ('tpr gap', 'fraud', 'group_tpr_gap', 'gov.log', 'ts', 'label', 'score', 'grp', '2 days', '{"cutoff": 0.3}');
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column,
                             window_size, version, version_column)
VALUES ('auc v1', 'fraud', 'roc_auc', 'gov.log', 'ts', 'label', 'score', '1 day', 'v1', 'version');
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column,
                             window_size, min_samples)
VALUES ('brier, 1000 rows needed', 'fraud', 'brier_score', 'gov.log', 'ts', 'label', 'score', '1 day', 1000);
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column,
                             window_size, window_lag)
VALUES ('accuracy, labels 1 day late', 'fraud', 'accuracy_score', 'gov.log_day', 'day', 'label', 'score', '2 days', '1 day');
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column,
                             window_size, enabled)
VALUES ('disabled', 'fraud', 'log_loss', 'gov.log', 'ts', 'label', 'score', '1 day', false);
INSERT INTO ethaudit.thresholds (check_id, warn, critical)
SELECT check_id, w, c FROM ethaudit.checks
JOIN (VALUES ('feature psi', 0.1, 0.25), ('feature ks vs week 1', 0.1, 0.2), ('cat unseen', 0, 0.1),
             ('ece', 0.15, 0.3), ('ece last 100', 0.15, 0.3), ('tpr gap', 0.2, 0.4),
             ('auc v1', 0.6, 0.5), ('accuracy, labels 1 day late', 0.4, 0.3)) AS t(n, w, c) ON n = check_name;

-- a quiet day: everything ok, brier lacks rows, the disabled check is not run
SELECT run_id, checks, ok, warning, critical, insufficient_data, error, skipped, finished_at >= started_at AS finished
FROM ethaudit.run_checks('fraud', '2024-03-05 00:00+00', replay => false);
SELECT c.check_name, r.status, round(r.value::numeric, 6) AS value, r.n_current, r.n_reference,
       r.window_start, r.window_end, r.reference_start, r.reference_end, r.model_version, r.message
FROM ethaudit.results r JOIN ethaudit.checks c USING (check_id)
WHERE r.run_id = 1 ORDER BY c.check_id;

-- the values are those of the aggregates called directly on the same rows
SELECT c.check_name,
       regress.near(r.value, CASE c.check_name
           WHEN 'feature psi' THEN (SELECT ethaudit.psi(feature, ts < '2024-03-04 00:00+00') FROM gov.log
                                    WHERE ts >= '2024-03-03 00:00+00' AND ts < '2024-03-05 00:00+00')
           -- the fixed reference overlaps the window: its rows count in both samples
           WHEN 'feature ks vs week 1' THEN (SELECT ethaudit.ks_stat(f, is_ref) FROM (
                   SELECT feature, true FROM gov.log WHERE ts >= '2024-03-01 00:00+00' AND ts < '2024-03-08 00:00+00'
                   UNION ALL
                   SELECT feature, false FROM gov.log WHERE ts >= '2024-03-04 00:00+00' AND ts < '2024-03-05 00:00+00') x(f, is_ref))
           WHEN 'ece' THEN (SELECT ethaudit.ece(label, score) FROM gov.log
                            WHERE ts >= '2024-03-04 00:00+00' AND ts < '2024-03-05 00:00+00')
           WHEN 'ece last 100' THEN (SELECT ethaudit.ece(label, score) FROM
                                     (SELECT * FROM gov.log WHERE ts < '2024-03-05 00:00+00' ORDER BY ts DESC LIMIT 100) x)
           WHEN 'tpr gap' THEN (SELECT ethaudit.group_tpr_gap(label, score >= 0.3, grp) FROM gov.log
                                WHERE ts >= '2024-03-03 00:00+00' AND ts < '2024-03-05 00:00+00')
           WHEN 'auc v1' THEN (SELECT ethaudit.roc_auc(label, score) FROM gov.log
                               WHERE ts >= '2024-03-04 00:00+00' AND ts < '2024-03-05 00:00+00' AND version = 'v1')
           WHEN 'accuracy, labels 1 day late' THEN (SELECT ethaudit.accuracy_score(label, score >= 0.5) FROM gov.log_day
                                                    WHERE day >= '2024-03-02' AND day < '2024-03-04')
       END) AS same_as_direct_call
FROM ethaudit.results r JOIN ethaudit.checks c USING (check_id)
WHERE r.run_id = 1 AND r.status = 'ok' AND c.check_name <> 'cat unseen' ORDER BY c.check_id;

-- the drifted day: the feature moved by 40, category c is new, v2 serves
SELECT (ethaudit.set_stage('fraud', 'v2', 'live', since => '2024-03-10 00:00+00')).stage AS v2;
SELECT (ethaudit.set_stage('fraud', 'v1', 'retired', since => '2024-03-10 00:00+00')).stage AS v1;
SELECT checks, ok, warning, critical, insufficient_data, error, skipped
FROM ethaudit.run_checks('fraud', '2024-03-11 00:00+00', replay => false);
SELECT c.check_name, r.status, round(r.value::numeric, 6) AS value, r.n_current, r.n_reference,
       r.warn, r.critical, r.direction, r.model_version
FROM ethaudit.results r JOIN ethaudit.checks c USING (check_id)
WHERE r.run_id = 2 ORDER BY c.check_id;
SELECT regress.near(r.value, (SELECT (ethaudit.unseen_categories(cat, ts < '2024-03-10 00:00+00')).share FROM gov.log
                              WHERE ts >= '2024-03-07 00:00+00' AND ts < '2024-03-11 00:00+00')) AS unseen_as_direct_call
FROM ethaudit.results r JOIN ethaudit.checks c USING (check_id)
WHERE r.run_id = 2 AND c.check_name = 'cat unseen';

-- a failing check is recorded with its SQLSTATE and does not stop the others
CREATE TABLE gov.fragile (ts timestamptz, feature float8, score float8, label boolean);
INSERT INTO gov.fragile SELECT ts, feature, score, label FROM gov.log;
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind)
VALUES ('fragile psi', 'fraud', 'psi', 'gov.fragile', 'ts', 'feature', '1 day', 'preceding');
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column, window_size)
VALUES ('fragile ece', 'fraud', 'ece', 'gov.fragile', 'ts', 'label', 'score', '1 day');
UPDATE gov.fragile SET score = 1.5 WHERE ts = '2024-03-10 12:00+00';
ALTER TABLE gov.fragile DROP COLUMN feature;
SELECT checks, ok, warning, critical, insufficient_data, error, skipped
FROM ethaudit.run_checks('fraud', '2024-03-11 00:00+00', replay => false);
SELECT c.check_name, r.status, r.value, r.error_sqlstate, r.message, r.window_start, r.window_end
FROM ethaudit.results r JOIN ethaudit.checks c USING (check_id)
WHERE r.run_id = 3 AND c.source = 'gov.fragile' ORDER BY c.check_id;
-- a dropped source table, too
DROP TABLE gov.fragile;
SELECT status, error_sqlstate, message FROM ethaudit.run_check(
    (SELECT check_id FROM ethaudit.checks WHERE check_name = 'fragile ece'), '2024-03-11 00:00+00', replay => false);
-- a check whose source is gone can still be disabled (not re-enabled)
UPDATE ethaudit.checks SET enabled = false WHERE source = 'gov.fragile';
SELECT regress.error_of($$UPDATE ethaudit.checks SET enabled = true WHERE source = 'gov.fragile'$$);

-- run_check: one check, any mode, even disabled; a batch check has no window
SELECT status, round(value::numeric, 6) AS value, n_current FROM ethaudit.run_check(
    (SELECT check_id FROM ethaudit.checks WHERE check_name = 'disabled'), '2024-03-05 00:00+00', replay => false);
INSERT INTO ethaudit.checks (check_name, model, metric, mode, source, time_column, probability_column)
VALUES ('bad probabilities', 'fraud', 'invalid_probability_share', 'insert_batch', 'gov.log', 'ts', 'score');
SELECT status, error_sqlstate, message FROM ethaudit.run_check(
    (SELECT check_id FROM ethaudit.checks WHERE check_name = 'bad probabilities'));
UPDATE ethaudit.checks SET window_size = '1 day' WHERE check_name = 'bad probabilities';
SELECT status, value, n_current FROM ethaudit.run_check(
    (SELECT check_id FROM ethaudit.checks WHERE check_name = 'bad probabilities'), '2024-03-05 00:00+00', replay => false);
SELECT regress.error_of($$SELECT ethaudit.run_check(424242)$$);
SELECT regress.error_of($$SELECT ethaudit.run_check(NULL)$$);
SELECT regress.error_of($$SELECT ethaudit.run_checks('no such model')$$);

-- the runs: one per call, with totals matching the results
SELECT r.run_id, r.kind, r.model, CASE WHEN r.as_of > '2025-01-01' THEN 'now' ELSE r.as_of::text END AS as_of, r.checks, r.checks = count(x.*) AS totals_match_results,
       r.run_by = CURRENT_USER AS run_by_me
FROM ethaudit.runs r LEFT JOIN ethaudit.results x USING (run_id)
GROUP BY r.run_id ORDER BY r.run_id;

-- run_checks() without a model runs every model's scheduled checks
INSERT INTO ethaudit.models (model) VALUES ('empty model');
SELECT checks, ok + warning + critical + insufficient_data + error AS results
FROM ethaudit.run_checks(as_of => '2024-03-06 00:00+00', replay => false);
SELECT checks FROM ethaudit.run_checks('empty model');

-- a metric added through the catalog alone: a check of wasserstein_normed
-- gives the value of the aggregate over the same rows
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind)
VALUES ('feature normed wasserstein', 'fraud', 'wasserstein_normed', 'gov.log', 'ts', 'feature', '1 day', 'preceding');
SELECT r.status, r.n_current, r.n_reference,
       regress.near(r.value, (SELECT ethaudit.wasserstein_normed(feature, ts < '2024-03-10 00:00+00') FROM gov.log
                              WHERE ts >= '2024-03-09 00:00+00' AND ts < '2024-03-11 00:00+00'), 0) AS same_as_direct_call
FROM ethaudit.run_check((SELECT check_id FROM ethaudit.checks WHERE check_name = 'feature normed wasserstein'),
                        '2024-03-11 00:00+00', replay => false) r;
-- minimum group sizes reach the aggregate from params: over these two days
-- g1 has 50 negatives and g2 99, so at 40 both count and at 60 only g2,
-- which leaves no gap to measure
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column,
                             group_column, window_size, params)
VALUES ('fpr gap, 40 negatives', 'fraud', 'group_fpr_gap', 'gov.log', 'ts', 'label', 'score', 'grp', '2 days',
        '{"cutoff": 0.3, "min_negatives": 40}'),
       ('fpr gap, 60 negatives', 'fraud', 'group_fpr_gap', 'gov.log', 'ts', 'label', 'score', 'grp', '2 days',
        '{"cutoff": 0.3, "min_negatives": 60}');
SELECT c.check_name, r.status, r.n_current, round(r.value::numeric, 6) AS value,
       r.value IS NOT DISTINCT FROM
           (SELECT ethaudit.group_fpr_gap(label, score >= 0.3, grp, (c.params->>'min_negatives')::int) FROM gov.log
            WHERE ts >= '2024-03-09 00:00+00' AND ts < '2024-03-11 00:00+00') AS same_as_direct_call
FROM ethaudit.checks c, ethaudit.run_check(c.check_id, '2024-03-11 00:00+00', replay => false) r
WHERE c.check_name LIKE 'fpr gap, %' ORDER BY c.check_id;
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column,
                             group_column, window_size, params)
VALUES ('x', 'fraud', 'equalized_odds_gap', 'gov.log', 'ts', 'label', 'score', 'grp', '2 days', '{"min_size": 0}')$$);
-- ece_gap takes bins and min_size together; either alone leaves the other at its default
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column,
                             group_column, window_size, params)
VALUES ('ece gap, groups of 100', 'fraud', 'ece_gap', 'gov.log', 'ts', 'label', 'score', 'grp', '2 days',
        '{"min_size": 100}'),
       ('ece gap, 5 bins, groups of 60', 'fraud', 'ece_gap', 'gov.log', 'ts', 'label', 'score', 'grp', '2 days',
        '{"bins": 5, "min_size": 60}');
SELECT c.check_name, r.status, round(r.value::numeric, 6) AS value,
       r.value IS NOT DISTINCT FROM
           (SELECT ethaudit.ece_gap(label, score, grp, (c.params->>'bins')::int, (c.params->>'min_size')::int) FROM gov.log
            WHERE ts >= '2024-03-09 00:00+00' AND ts < '2024-03-11 00:00+00') AS same_as_direct_call
FROM ethaudit.checks c, ethaudit.run_check(c.check_id, '2024-03-11 00:00+00', replay => false) r
WHERE c.check_name LIKE 'ece gap, %' ORDER BY c.check_id;
