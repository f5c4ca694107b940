-- Governance: the registry and the validation of configuration on write.
-- Every refused write shows its SQLSTATE and message (regress.error_of).
SET client_min_messages = warning;
CREATE SCHEMA gov;
CREATE TYPE gov.colour AS ENUM ('red', 'green');
CREATE DOMAIN gov.probability AS float8 CHECK (VALUE BETWEEN 0 AND 1);
CREATE TABLE gov.preds (
    id        bigserial PRIMARY KEY,
    ts        timestamptz NOT NULL,
    day       date,
    version   text,
    score     float8,
    score_d   gov.probability,
    decile    integer,
    label     boolean,
    label_int integer,
    grp       text,
    colour    gov.colour,
    feature   float8,
    cat       text,
    amount    numeric,
    note      jsonb
);
CREATE VIEW gov.preds_view AS SELECT ts, score, label FROM gov.preds;
CREATE TEMP TABLE temp_preds (ts timestamptz, feature float8);

-- models and versions
INSERT INTO ethaudit.models (model, description, owner_role) VALUES ('credit', 'credit scoring', CURRENT_USER);
SELECT regress.error_of($$INSERT INTO ethaudit.models (model) VALUES (' padded')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.models (model) VALUES ('')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.models (model, owner_role) VALUES ('x', 'regress_no_such_role')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.models (model) VALUES ('credit')$$);
INSERT INTO ethaudit.model_versions (model, version, stage) VALUES ('credit', 'v1', 'live'), ('credit', 'v2', 'shadow');
SELECT regress.error_of($$INSERT INTO ethaudit.model_versions (model, version, stage) VALUES ('credit', 'v3', 'production')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.model_versions (model, version) VALUES ('nobody', 'v1')$$);
SELECT model, version, stage FROM ethaudit.set_stage('credit', 'v2', 'canary');
SELECT regress.error_of($$SELECT ethaudit.set_stage('credit', 'v9', 'live')$$);
SELECT regress.error_of($$SELECT ethaudit.set_stage('credit', 'v2', 'staging')$$);
SELECT regress.error_of($$SELECT ethaudit.set_stage('credit', NULL, 'live')$$);
SELECT stage_changed_at > registered_at AS stage_change_stamped
FROM ethaudit.model_versions WHERE version = 'v2';

-- a valid check of each shape; the source is stored schema-qualified and
-- the value kind is derived from the column type
SET search_path = gov, public;
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind)
VALUES ('feature psi', 'credit', 'psi', 'preds', 'ts', 'feature', '1 day', 'preceding');
RESET search_path;
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_rows, reference_kind, params)
VALUES ('cat js', 'credit', 'js_divergence', 'gov.preds', 'ts', 'cat', 500, 'preceding', '{"binning": "evidently"}');
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, value_kind, window_size,
                             reference_kind, reference_start, reference_end)
VALUES ('decile chi2', 'credit', 'chi2_pvalue', 'gov.preds', 'day', 'decile', 'categorical', '7 days',
        'fixed', '2024-01-01', '2024-01-08');
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column, window_size, params)
VALUES ('ece', 'credit', 'ece', 'gov.preds_view', 'ts', 'label', 'score', '1 day', '{"bins": 15}');
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column,
                             group_column, window_size, params, version, version_column)
VALUES ('tpr gap v1', 'credit', 'group_tpr_gap', 'gov.preds', 'ts', 'label_int', 'decile', 'colour', '1 day',
        '{"cutoff": 5, "min_positives": 10}', 'v1', 'version');
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column, window_size)
VALUES ('ece of a domain', 'credit', 'ece', 'gov.preds', 'ts', 'label', 'score_d', '1 day');
INSERT INTO ethaudit.checks (check_name, model, metric, mode, source, time_column, required_columns)
VALUES ('nulls', 'credit', 'null_share', 'insert_batch', 'gov.preds', 'ts', '{ts,score,grp}');
SELECT check_name, metric, mode, source, value_kind, window_size, window_rows, reference_kind, enabled
FROM ethaudit.checks ORDER BY check_id;

-- the source: exists, is a table or view, not temporary; insert modes need a table
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind)
    VALUES ('c', 'credit', 'psi', 'gov.no_such_table', 'ts', 'feature', '1 day', 'preceding')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind)
    VALUES ('c', 'credit', 'psi', 'preds', 'ts', 'feature', '1 day', 'preceding')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind)
    VALUES ('c', 'credit', 'psi', 'temp_preds', 'ts', 'feature', '1 day', 'preceding')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind)
    VALUES ('c', 'credit', 'psi', 'gov.preds_id_seq', 'ts', 'feature', '1 day', 'preceding')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, mode, source, time_column, label_column, probability_column)
    VALUES ('c', 'credit', 'ece', 'insert_batch', 'gov.preds_view', 'ts', 'label', 'score')$$);

-- columns: exist, have a type the metric can read, are the ones the metric reads
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind)
    VALUES ('c', 'credit', 'psi', 'gov.preds', 'ts', 'no_such_column', '1 day', 'preceding')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind)
    VALUES ('c', 'credit', 'psi', 'gov.preds', 'no_such_time', 'feature', '1 day', 'preceding')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind)
    VALUES ('c', 'credit', 'psi', 'gov.preds', 'score', 'feature', '1 day', 'preceding')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind)
    VALUES ('c', 'credit', 'psi', 'gov.preds', 'ts', 'note', '1 day', 'preceding')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind)
    VALUES ('c', 'credit', 'ks_stat', 'gov.preds', 'ts', 'cat', '1 day', 'preceding')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, value_kind, window_size, reference_kind)
    VALUES ('c', 'credit', 'psi', 'gov.preds', 'ts', 'cat', 'numeric', '1 day', 'preceding')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column, window_size)
    VALUES ('c', 'credit', 'ece', 'gov.preds', 'ts', 'grp', 'score', '1 day')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column, window_size)
    VALUES ('c', 'credit', 'ece', 'gov.preds', 'ts', 'label', 'decile', '1 day')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column, group_column, window_size)
    VALUES ('c', 'credit', 'group_tpr_gap', 'gov.preds', 'ts', 'label', 'score', 'note', '1 day')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, window_size)
    VALUES ('c', 'credit', 'ece', 'gov.preds', 'ts', 'label', '1 day')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column, group_column, window_size)
    VALUES ('c', 'credit', 'ece', 'gov.preds', 'ts', 'label', 'score', 'grp', '1 day')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, probability_column, window_size, reference_kind)
    VALUES ('c', 'credit', 'psi', 'gov.preds', 'ts', 'feature', 'score', '1 day', 'preceding')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, value_column, window_size)
    VALUES ('c', 'credit', 'mae', 'gov.preds', 'ts', 'label', 'feature', '1 day')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, mode, source, time_column, required_columns)
    VALUES ('c', 'credit', 'null_share', 'insert_batch', 'gov.preds', 'ts', '{ts,nope}')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, mode, source, time_column, required_columns)
    VALUES ('c', 'credit', 'null_share', 'insert_batch', 'gov.preds', 'ts', '{}')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind, required_columns)
    VALUES ('c', 'credit', 'psi', 'gov.preds', 'ts', 'feature', '1 day', 'preceding', '{ts}')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column, group_column, window_size, version)
    VALUES ('c', 'credit', 'group_tpr_gap', 'gov.preds', 'ts', 'label', 'score', 'grp', '1 day', 'v1')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column, group_column, window_size, version, version_column)
    VALUES ('c', 'credit', 'group_tpr_gap', 'gov.preds', 'ts', 'label', 'score', 'grp', '1 day', 'v7', 'version')$$);

-- metric, mode, params
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size)
    VALUES ('c', 'credit', 'accuracy', 'gov.preds', 'ts', 'feature', '1 day')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, mode, source, time_column, value_column, window_size, reference_kind)
    VALUES ('c', 'credit', 'psi', 'nightly', 'gov.preds', 'ts', 'feature', '1 day', 'preceding')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind, params)
    VALUES ('c', 'credit', 'psi', 'gov.preds', 'ts', 'feature', '1 day', 'preceding', '{"cutoff": 0.5}')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind, params)
    VALUES ('c', 'credit', 'psi', 'gov.preds', 'ts', 'feature', '1 day', 'preceding', '{"bins": 1}')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind, params)
    VALUES ('c', 'credit', 'psi', 'gov.preds', 'ts', 'feature', '1 day', 'preceding', '{"bins": 2.5}')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind, params)
    VALUES ('c', 'credit', 'psi', 'gov.preds', 'ts', 'feature', '1 day', 'preceding', '{"binning": "sturges"}')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind, params)
    VALUES ('c', 'credit', 'psi', 'gov.preds', 'ts', 'feature', '1 day', 'preceding', '{"bins": 5, "binning": "evidently"}')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind, params)
    VALUES ('c', 'credit', 'psi', 'gov.preds', 'ts', 'feature', '1 day', 'preceding', '[1]')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column, window_size, params)
    VALUES ('c', 'credit', 'accuracy_score', 'gov.preds', 'ts', 'label', 'score', '1 day', '{"cutoff": "high"}')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column, group_column, window_size, params)
    VALUES ('c', 'credit', 'group_tpr_gap', 'gov.preds', 'ts', 'label', 'score', 'grp', '1 day', '{"min_positives": 0}')$$);

-- windows
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column)
    VALUES ('c', 'credit', 'ece', 'gov.preds', 'ts', 'label', 'score')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column, window_size, window_rows)
    VALUES ('c', 'credit', 'ece', 'gov.preds', 'ts', 'label', 'score', '1 day', 100)$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column, window_size)
    VALUES ('c', 'credit', 'ece', 'gov.preds', 'ts', 'label', 'score', '-1 day')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column, window_rows)
    VALUES ('c', 'credit', 'ece', 'gov.preds', 'ts', 'label', 'score', 0)$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column, window_size, window_lag)
    VALUES ('c', 'credit', 'ece', 'gov.preds', 'ts', 'label', 'score', '1 day', '-1 hour')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column, window_size, min_interval)
    VALUES ('c', 'credit', 'ece', 'gov.preds', 'ts', 'label', 'score', '1 day', '1 minute')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column, window_size, min_samples)
    VALUES ('c', 'credit', 'ece', 'gov.preds', 'ts', 'label', 'score', '1 day', 0)$$);

-- references
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size)
    VALUES ('c', 'credit', 'psi', 'gov.preds', 'ts', 'feature', '1 day')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column, window_size, reference_kind)
    VALUES ('c', 'credit', 'ece', 'gov.preds', 'ts', 'label', 'score', '1 day', 'preceding')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind)
    VALUES ('c', 'credit', 'psi', 'gov.preds', 'ts', 'feature', '1 day', 'last week')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind, reference_start)
    VALUES ('c', 'credit', 'psi', 'gov.preds', 'ts', 'feature', '1 day', 'preceding', '2024-01-01')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_rows, reference_kind, reference_size)
    VALUES ('c', 'credit', 'psi', 'gov.preds', 'ts', 'feature', 100, 'preceding', '1 day')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind, reference_rows)
    VALUES ('c', 'credit', 'psi', 'gov.preds', 'ts', 'feature', '1 day', 'preceding', 100)$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, mode, source, time_column, value_column, reference_kind)
    VALUES ('c', 'credit', 'unseen_share', 'insert_batch', 'gov.preds', 'ts', 'cat', 'preceding')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind, reference_start, reference_end)
    VALUES ('c', 'credit', 'psi', 'gov.preds', 'ts', 'feature', '1 day', 'fixed', '2024-02-01', '2024-01-01')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind)
    VALUES ('c', 'credit', 'psi', 'gov.preds', 'ts', 'feature', '1 day', 'baseline')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind, baseline_id)
    VALUES ('c', 'credit', 'psi', 'gov.preds', 'ts', 'feature', '1 day', 'baseline', 999)$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind, baseline_id)
    VALUES ('c', 'credit', 'wasserstein', 'gov.preds', 'ts', 'feature', '1 day', 'baseline', 1)$$);
-- options the metric's aggregate lacks for this kind of value: a categorical
-- value has no bins (binning it has: check 'cat js' above)
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind, params)
    VALUES ('c', 'credit', 'psi', 'gov.preds', 'ts', 'cat', '1 day', 'preceding', '{"bins": 20}')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind, params)
    VALUES ('c', 'credit', 'js_divergence', 'gov.preds', 'ts', 'cat', '1 day', 'preceding', '{"bins": 5}')$$);

-- names
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind)
    VALUES ('feature psi', 'credit', 'psi', 'gov.preds', 'ts', 'feature', '1 day', 'preceding')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind)
    VALUES ('c', 'nobody', 'psi', 'gov.preds', 'ts', 'feature', '1 day', 'preceding')$$);

-- an update is validated too
SELECT regress.error_of($$UPDATE ethaudit.checks SET metric = 'ks_stat', value_column = 'cat' WHERE check_name = 'feature psi'$$);
UPDATE ethaudit.checks SET window_size = '2 days' WHERE check_name = 'feature psi';
SELECT window_size, updated_at IS NOT NULL AS updated_at_set FROM ethaudit.checks WHERE check_name = 'feature psi';

-- the catalog lists every metric the runner knows, with its direction
SELECT family, count(*) AS metrics, string_agg(metric, ', ' ORDER BY metric) AS names
FROM ethaudit.metric_catalog GROUP BY family ORDER BY family;
SELECT metric FROM ethaudit.metric_catalog WHERE default_direction = 'below' ORDER BY metric;

-- thresholds: default direction and owner, levels in the right order
INSERT INTO ethaudit.thresholds (check_id, warn, critical)
SELECT check_id, 0.1, 0.25 FROM ethaudit.checks WHERE check_name = 'feature psi';
INSERT INTO ethaudit.thresholds (check_id, warn, critical, response_time)
SELECT check_id, 0.01, 0.001, '4 hours' FROM ethaudit.checks WHERE check_name = 'decile chi2';
SELECT c.check_name, t.warn, t.critical, t.direction, t.owner_role = CURRENT_USER AS owner_is_model_owner,
       t.response_time, t.resolve_after
FROM ethaudit.thresholds t JOIN ethaudit.checks c USING (check_id) ORDER BY c.check_id;
SELECT regress.error_of($$INSERT INTO ethaudit.thresholds (check_id, warn, critical)
    SELECT check_id, 0.3, 0.2 FROM ethaudit.checks WHERE check_name = 'ece'$$);
SELECT regress.error_of($$INSERT INTO ethaudit.thresholds (check_id, warn, critical)
    SELECT check_id, 0.2, 0.2 FROM ethaudit.checks WHERE check_name = 'ece'$$);
SELECT regress.error_of($$INSERT INTO ethaudit.thresholds (check_id, warn, critical, direction)
    SELECT check_id, 0.1, 0.2, 'below' FROM ethaudit.checks WHERE check_name = 'ece'$$);
SELECT regress.error_of($$INSERT INTO ethaudit.thresholds (check_id, warn, critical, direction)
    SELECT check_id, 0.1, 0.2, 'sideways' FROM ethaudit.checks WHERE check_name = 'ece'$$);
SELECT regress.error_of($$INSERT INTO ethaudit.thresholds (check_id)
    SELECT check_id FROM ethaudit.checks WHERE check_name = 'ece'$$);
SELECT regress.error_of($$INSERT INTO ethaudit.thresholds (check_id, warn)
    SELECT check_id, 'NaN' FROM ethaudit.checks WHERE check_name = 'ece'$$);
SELECT regress.error_of($$INSERT INTO ethaudit.thresholds (check_id, warn, owner_role)
    SELECT check_id, 0.1, 'regress_no_such_role' FROM ethaudit.checks WHERE check_name = 'ece'$$);
SELECT regress.error_of($$INSERT INTO ethaudit.thresholds (check_id, warn, response_time)
    SELECT check_id, 0.1, '0 seconds' FROM ethaudit.checks WHERE check_name = 'ece'$$);
SELECT regress.error_of($$INSERT INTO ethaudit.thresholds (check_id, warn, resolve_after)
    SELECT check_id, 0.1, 0 FROM ethaudit.checks WHERE check_name = 'ece'$$);
SELECT regress.error_of($$INSERT INTO ethaudit.thresholds (check_id, warn) VALUES (999999, 0.1)$$);
INSERT INTO ethaudit.thresholds (check_id, critical)
SELECT check_id, 0.05 FROM ethaudit.checks WHERE check_name = 'ece';
SELECT regress.error_of($$UPDATE ethaudit.thresholds SET warn = 0.06 WHERE critical = 0.05$$);

-- stored baselines: computed from a window, validated against the checks using them
INSERT INTO gov.preds (ts, day, version, score, feature, cat)
SELECT timestamptz '2024-01-01' + i * interval '1 hour', date '2024-01-01' + i / 24, 'v1',
       (i % 10) / 10.0, i % 17, CASE WHEN i % 3 = 0 THEN 'a' ELSE 'b' END
FROM generate_series(0, 239) i;
SELECT column_name, value_kind, n, source, window_start, window_end
FROM ethaudit.store_baseline('credit', 'feature', 'gov.preds', 'ts', '2024-01-01', '2024-01-05');
SELECT column_name, value_kind, n FROM ethaudit.store_baseline('credit', 'cat', 'gov.preds', 'ts', '2024-01-01', '2024-01-05');
SELECT column_name, value_kind, n FROM ethaudit.store_baseline('credit', 'feature', 'gov.preds', 'ts', '2024-01-01', '2024-01-03');
SELECT count(*) AS baselines, max(n) FILTER (WHERE column_name = 'feature') AS feature_n_after_replace FROM ethaudit.baselines;
SELECT regress.error_of($$SELECT ethaudit.store_baseline('credit', 'feature', 'gov.preds', 'ts', '2030-01-01', '2030-01-02')$$);
SELECT regress.error_of($$SELECT ethaudit.store_baseline('credit', 'note', 'gov.preds', 'ts', '2024-01-01', '2024-01-02')$$);
SELECT regress.error_of($$SELECT ethaudit.store_baseline('credit', 'cat', 'gov.preds', 'ts', '2024-01-01', '2024-01-02', bins => 5)$$);
SELECT regress.error_of($$SELECT ethaudit.store_baseline('credit', 'feature', 'gov.preds', 'ts', '2024-01-02', '2024-01-01')$$);
SELECT regress.error_of($$SELECT ethaudit.store_baseline('credit', 'feature', 'gov.preds', 'ts', '2024-01-01', '2024-01-02', version => 'v1')$$);
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind, baseline_id)
SELECT 'feature psi vs baseline', 'credit', 'psi', 'gov.preds', 'ts', 'feature', '1 day', 'baseline', baseline_id
FROM ethaudit.baselines WHERE column_name = 'feature';
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind, baseline_id)
    SELECT 'c', 'credit', 'psi', 'gov.preds', 'ts', 'feature', '1 day', 'baseline', baseline_id
    FROM ethaudit.baselines WHERE column_name = 'cat'$$);
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind, baseline_id, params)
    SELECT 'c', 'credit', 'psi', 'gov.preds', 'ts', 'feature', '1 day', 'baseline', baseline_id, '{"bins": 5}'
    FROM ethaudit.baselines WHERE column_name = 'feature'$$);
SELECT regress.error_of($$UPDATE ethaudit.baselines SET baseline = (SELECT ethaudit.baseline(cat) FROM gov.preds)
    WHERE column_name = 'feature'$$);
INSERT INTO ethaudit.models (model) VALUES ('other');
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind, baseline_id)
    SELECT 'c', 'other', 'psi', 'gov.preds', 'ts', 'feature', '1 day', 'baseline', baseline_id
    FROM ethaudit.baselines WHERE column_name = 'feature'$$);
SELECT regress.error_of($$DELETE FROM ethaudit.baselines WHERE column_name = 'feature'$$);

-- configuration refers to tables by name: a renamed column is caught at the
-- next write of the check (and at its next run: governance_runner)
ALTER TABLE gov.preds RENAME COLUMN cat TO category;
SELECT regress.error_of($$UPDATE ethaudit.checks SET enabled = true WHERE check_name = 'cat js'$$);
ALTER TABLE gov.preds RENAME COLUMN category TO cat;

-- a source name with odd characters is quoted, never spliced
CREATE TABLE gov."Odd ""name"" ; DROP TABLE gov.preds; --" (ts timestamptz, "va""lue" float8);
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind)
VALUES ('odd', 'credit', 'psi', 'gov."Odd ""name"" ; DROP TABLE gov.preds; --"', 'ts', 'va"lue', '1 day', 'preceding');
SELECT source FROM ethaudit.checks WHERE check_name = 'odd';
SELECT ethaudit_internal.check_query(c, ethaudit_internal.check_source(to_regclass(c.source), c.source, false)) FROM ethaudit.checks c WHERE check_name = 'odd';

-- clean up for the next suites (a model with checks cannot be deleted)
SELECT regress.error_of($$DELETE FROM ethaudit.models WHERE model = 'credit'$$);
DELETE FROM ethaudit.thresholds;
DELETE FROM ethaudit.checks;
DELETE FROM ethaudit.baselines;
DELETE FROM ethaudit.models;
DROP TABLE gov."Odd ""name"" ; DROP TABLE gov.preds; --";
SELECT count(*) AS versions_left FROM ethaudit.model_versions;
