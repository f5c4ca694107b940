-- Realistic evidence written through the released 0.1.0 API: models and
-- versions, checks of every reference kind with thresholds, a stored
-- baseline, results of replayed and live runs, alerts open, acknowledged
-- and resolved, user events and decisions (pseudonym keys created), a
-- privacy and a retention policy, security roles, and a signed checkpoint.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;

SELECT count(*) FROM ethaudit.create_roles('upg_');
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'upg_team') THEN
        CREATE ROLE upg_team NOLOGIN IN ROLE upg_owner;
    END IF;
END $$;

CREATE SCHEMA upg;
CREATE TABLE upg.predictions (
    id bigint PRIMARY KEY, ts timestamptz NOT NULL, model_version text NOT NULL,
    feature float8, category text, score float8, label boolean, grp text);
SELECT setseed(0.42);
INSERT INTO upg.predictions
SELECT i, timestamptz '2026-01-01 00:00+00' + i * interval '10 minutes',
       CASE WHEN i < 6000 THEN 'v1' ELSE 'v2' END,
       CASE WHEN i % 97 = 0 THEN NULL ELSE random() + CASE WHEN i > 7000 THEN 0.4 ELSE 0 END END,
       (ARRAY['a', 'b', 'c', 'd'])[1 + (i % 4)],
       s, random() < s, (ARRAY['g1', 'g2', 'g3'])[1 + (i % 3)]
FROM (SELECT i, least(1.0, greatest(0.0, random() * 0.8 + CASE WHEN i % 3 = 0 THEN 0.2 ELSE 0 END)) AS s
      FROM generate_series(1, 9000) i) x;

INSERT INTO ethaudit.models (model, description, owner_role) VALUES
    ('credit', 'credit risk score', 'upg_team'),
    ('churn', 'churn propensity', NULL);
INSERT INTO ethaudit.model_versions (model, version, stage, description) VALUES
    ('credit', 'v1', 'live', 'first release'),
    ('credit', 'v2', 'shadow', 'candidate'),
    ('churn', 'v1', 'live', NULL);
SELECT ethaudit.set_stage('credit', 'v2', 'canary');

SELECT n FROM ethaudit.store_baseline('credit', 'feature', 'upg.predictions', 'ts',
                                      '2026-01-01', '2026-01-15', version => 'v1', version_column => 'model_version');
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size,
                             reference_kind, baseline_id, version, version_column)
SELECT 'feature psi', 'credit', 'psi', 'upg.predictions', 'ts', 'feature', '7 days', 'baseline', baseline_id,
       'v1', 'model_version'
FROM ethaudit.baselines WHERE model = 'credit' AND column_name = 'feature';
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size,
                             reference_kind, reference_start, reference_end)
VALUES ('feature ks', 'credit', 'ks_stat', 'upg.predictions', 'ts', 'feature', '7 days',
        'fixed', '2026-01-01', '2026-01-15');
-- pinned to v2, whose rows drift from 2026-02-19: an alert of a pinned check
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size,
                             reference_kind, reference_start, reference_end, version, version_column)
VALUES ('feature ks of v2', 'credit', 'ks_stat', 'upg.predictions', 'ts', 'feature', '7 days',
        'fixed', '2026-02-12', '2026-02-19', 'v2', 'model_version');
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column,
                             group_column, window_size, params)
VALUES ('equal opportunity', 'credit', 'group_tpr_gap', 'upg.predictions', 'ts', 'label', 'score', 'grp',
        '7 days', '{"cutoff": 0.5}');
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column,
                             window_size)
VALUES ('calibration', 'churn', 'ece', 'upg.predictions', 'ts', 'label', 'score', '7 days');
INSERT INTO ethaudit.thresholds (check_id, warn, critical, owner_role, response_time, resolve_after)
SELECT check_id, w, c, o, r, 2
FROM ethaudit.checks
JOIN (VALUES ('feature psi', 0.05, 0.2, 'upg_team', interval '1 day'),
             ('feature ks', 0.05, 0.1, NULL, interval '2 days'),
             ('feature ks of v2', 0.05, 0.1, NULL, interval '2 days'),
             ('equal opportunity', 0.02, 0.05, 'upg_team', interval '7 days'),
             ('calibration', 0.01, 0.5, NULL, interval '1 day')) AS t(n, w, c, o, r) ON n = check_name;

-- replayed weekly runs, then one live run
SELECT (ethaudit.run_checks(NULL, d)).checks
FROM generate_series(timestamptz '2026-01-22 00:00+00', '2026-03-05 00:00+00', '7 days') d;
SELECT (ethaudit.run_checks()).checks;
SELECT alert_id FROM ethaudit.acknowledge_alert(
    (SELECT min(alert_id) FROM ethaudit.alerts WHERE status = 'open'), 'looking into it');
SELECT alert_id FROM ethaudit.resolve_alert(
    (SELECT max(alert_id) FROM ethaudit.alerts WHERE status <> 'resolved'), 'fixed upstream');

-- user evidence with privacy controls
INSERT INTO ethaudit.privacy_policies (model, field, action, note) VALUES
    ('credit', 'income', 'keep', 'explains the score'),
    ('credit', 'customer_id', 'pseudonymise', 'links decisions about one person');
SELECT ethaudit.record_event('model_reviewed', 'credit', '{"board": "risk", "outcome": "approved"}');
SELECT ethaudit.record_decision('credit', 'declined',
           inputs => '{"customer_id": "c-17", "income": 41000, "postcode": "AB1 2CD"}',
           explanation => '{"top_factors": ["income"]}', controls => '{human_review}',
           version => 'v1', subject => 'c-17', note => 'called back on 020 7946 0958');
SELECT ethaudit.record_decision('credit', 'approved', inputs => '{"customer_id": "c-18", "income": 90000}',
                                version => 'v1', subject => 'c-18');

-- retention of ethaudit's own history, and a signed checkpoint of the log:
-- the oldest events go behind it, later ones follow it
INSERT INTO ethaudit.retention_policies (table_name, time_column, keep)
VALUES ('ethaudit.alert_events', 'at', '10 years');
SELECT ethaudit.record_event('before_checkpoint', 'credit', '{"n": 1}');
SELECT pg_sleep(1.5);
INSERT INTO ethaudit.retention_policies (table_name, time_column, keep)
VALUES ('ethaudit.audit_log', 'logged_at', '1 second');
SELECT count(*) FROM ethaudit.apply_retention();
UPDATE ethaudit.retention_policies SET enabled = false WHERE table_name = 'ethaudit.audit_log';
-- a version whose stage changes are still in the log (the upgrade rebuilds
-- its stage history from them), two of them in one transaction
INSERT INTO ethaudit.model_versions (model, version, stage) VALUES ('churn', 'v2', 'shadow');
BEGIN;
SELECT ethaudit.set_stage('churn', 'v2', 'canary');
SELECT ethaudit.set_stage('churn', 'v2', 'live');
COMMIT;
SELECT ethaudit.record_event('evidence_complete', NULL, '{"step": "before upgrade"}');
