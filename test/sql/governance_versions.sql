-- Governance: evidence that names the right version, replays that leave the
-- live alerts alone, and checks that keep failing.  A log where v1 serves
-- alone for three days, then v2 logs shadow predictions for the same
-- requests, then v2 goes live.
SET client_min_messages = warning;
SET extra_float_digits = 0;
DELETE FROM ethaudit.alert_events;
DELETE FROM ethaudit.alerts;
DELETE FROM ethaudit.results;
DELETE FROM ethaudit.runs;

CREATE TABLE gov.serving (id bigint, ts timestamptz NOT NULL, model_version text, score float8, label boolean);
-- 24 requests a day from June 1; v1 scores well, v2 (from June 4, the same
-- requests) says 0.9 for everyone
INSERT INTO gov.serving
SELECT d * 24 + h, timestamptz '2024-06-01 00:00+00' + d * interval '1 day' + h * interval '1 hour',
       'v1', (h % 10) / 10.0 + 0.05, h % 10 >= 5
FROM generate_series(0, 5) d, generate_series(0, 23) h;
INSERT INTO gov.serving
SELECT id, ts, 'v2', 0.9, label FROM gov.serving WHERE ts >= '2024-06-04 00:00+00';

-- ---------- the stage history ----------
INSERT INTO ethaudit.models (model, owner_role) VALUES ('serving', CURRENT_USER);
-- registered today, but v1 has served since May: the change is dated
INSERT INTO ethaudit.model_versions (model, version, stage, stage_changed_at)
VALUES ('serving', 'v1', 'live', '2024-05-01 00:00+00');
INSERT INTO ethaudit.model_versions (model, version, stage, stage_changed_at)
VALUES ('serving', 'v2', 'shadow', '2024-06-04 00:00+00');
SELECT version, stage, valid_from, valid_to FROM ethaudit.stage_history WHERE model = 'serving' ORDER BY interval_id;
-- a change cannot be dated in the future, nor before the version's last change
SELECT regress.error_of($$SELECT ethaudit.set_stage('serving', 'v2', 'live', since => now() + interval '1 day')$$);
SELECT regress.error_of($$SELECT ethaudit.set_stage('serving', 'v2', 'live', since => '2024-06-01 00:00+00')$$);
SELECT regress.error_of($$SELECT ethaudit.set_stage('serving', 'v2', 'live', since => '2024-06-04 00:00+00')$$) AS same_time;
SELECT regress.error_of($$INSERT INTO ethaudit.model_versions (model, version, stage_changed_at)
                          VALUES ('serving', 'v9', now() + interval '1 hour')$$);
-- nobody writes the history but the trigger
CREATE ROLE regress_ver_admin NOLOGIN;
GRANT USAGE ON SCHEMA ethaudit TO regress_ver_admin;
GRANT SELECT ON ethaudit.stage_history TO regress_ver_admin;
SET ROLE regress_ver_admin;
INSERT INTO ethaudit.stage_history (model, version, stage, valid_from) VALUES ('serving', 'v1', 'live', now());
UPDATE ethaudit.stage_history SET valid_from = '2020-01-01';
RESET ROLE;

-- ---------- checks with and without a version column ----------
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column,
                             version_column, window_size, min_samples)
VALUES ('ece per version', 'serving', 'ece', 'gov.serving', 'ts', 'label', 'score', 'model_version', '1 day', 10);
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column,
                             window_size, min_samples)
VALUES ('ece of the log', 'serving', 'ece', 'gov.serving', 'ts', 'label', 'score', '1 day', 10);
INSERT INTO ethaudit.checks (check_name, model, version, metric, source, time_column, label_column, probability_column,
                             version_column, window_size, min_samples)
VALUES ('ece of v2', 'serving', 'v2', 'ece', 'gov.serving', 'ts', 'label', 'score', 'model_version', '1 day', 10);
INSERT INTO ethaudit.thresholds (check_id, warn, critical)
SELECT check_id, 0.1, 0.3 FROM ethaudit.checks WHERE model = 'serving';

-- June 3: only v1 served
SELECT checks, ok, warning, critical, insufficient_data, error
FROM ethaudit.run_checks('serving', '2024-06-04 00:00+00', replay => false);
-- June 4: v2 logs shadow predictions of the same requests
SELECT checks, ok, warning, critical, insufficient_data, error
FROM ethaudit.run_checks('serving', '2024-06-05 00:00+00', replay => false);
SELECT r.run_id, c.check_name, r.model_version, r.version_source, r.mixed_versions, r.status, r.n_current,
       round(r.value::numeric, 6) AS value, r.message
FROM ethaudit.results r JOIN ethaudit.checks c USING (check_id)
ORDER BY r.run_id, c.check_id, r.model_version;
-- each version's value is the aggregate over that version's rows only
SELECT bool_and(regress.near(r.value, (SELECT ethaudit.ece(s.label, s.score) FROM gov.serving s
                                      WHERE s.model_version = r.model_version
                                        AND s.ts >= r.window_start AND s.ts < r.window_end))) AS per_version_exact
FROM ethaudit.results r JOIN ethaudit.checks c USING (check_id)
WHERE c.check_name = 'ece per version';
-- one alert per version: v2 is beyond the critical level, v1 is not
SELECT c.check_name, a.kind, a.model_version, a.severity, a.first_window_end, a.occurrences
FROM ethaudit.open_alerts a JOIN ethaudit.checks c USING (check_id) ORDER BY c.check_id, a.model_version;
-- the model card flags the check whose window saw two versions serve
SELECT checks_total, checks_mixing_versions FROM ethaudit.model_cards WHERE model = 'serving';

-- June 6: v2 went live at midnight and v1 retired; the results of June 6
-- name v2, whatever the registry said when the window began
SELECT (ethaudit.set_stage('serving', 'v2', 'live', since => '2024-06-06 00:00+00')).stage;
SELECT (ethaudit.set_stage('serving', 'v1', 'retired', since => '2024-06-06 00:00+00')).stage;
DELETE FROM gov.serving WHERE model_version = 'v1' AND ts >= '2024-06-06 00:00+00';
-- retiring v1 resolved its alerts (the per-version one); the others stay
SELECT c.check_name, a.model_version, a.status, a.resolution_note
FROM ethaudit.alerts a JOIN ethaudit.checks c USING (check_id) ORDER BY a.alert_id;
SELECT checks FROM ethaudit.run_checks('serving', '2024-06-07 00:00+00', replay => false);
SELECT c.check_name, r.model_version, r.version_source, r.mixed_versions, r.n_current
FROM ethaudit.results r JOIN ethaudit.checks c USING (check_id)
WHERE r.run_id = (SELECT max(run_id) FROM ethaudit.runs) ORDER BY c.check_id, r.model_version;
SELECT version, stage, valid_from, valid_to FROM ethaudit.stage_history WHERE model = 'serving' ORDER BY interval_id;
-- a window that spans the switch names both live versions
SELECT model_version, mixed_versions FROM ethaudit.run_check(
    (SELECT check_id FROM ethaudit.checks WHERE check_name = 'ece of the log'), '2024-06-06 12:00+00', replay => true);

-- the latest live window saw one version; the card keeps the history
SELECT checks_total, checks_mixing_versions, jsonb_array_length(stage_history) AS intervals,
       (SELECT string_agg(format('%s %s', e->>'version', e->>'stage'), ', ' ORDER BY (e->>'from')::timestamptz, e->>'version')
        FROM jsonb_array_elements(stage_history) e) AS history
FROM ethaudit.model_cards WHERE model = 'serving';
-- renaming a version keeps its history
UPDATE ethaudit.model_versions SET version = 'v2.0' WHERE model = 'serving' AND version = 'v2';
SELECT version, stage FROM ethaudit.stage_history WHERE model = 'serving' ORDER BY interval_id;
UPDATE ethaudit.model_versions SET version = 'v2' WHERE model = 'serving' AND version = 'v2.0';
-- a deleted version keeps its history, which ends with it
INSERT INTO ethaudit.model_versions (model, version, stage) VALUES ('serving', 'v3', 'shadow');
DELETE FROM ethaudit.model_versions WHERE model = 'serving' AND version = 'v3';
SELECT version, stage, valid_to IS NOT NULL AS ended FROM ethaudit.stage_history
WHERE model = 'serving' AND version = 'v3';

-- ---------- replays leave the live alerts alone ----------
CREATE TABLE gov.live_alerts AS
SELECT alert_id, status, severity, occurrences, clean_runs, last_result_id, last_window_end FROM ethaudit.alerts;
-- replay the days June 1 to 3 after the live runs: live, their results
-- would count in the open alerts; replayed, they are recorded and change nothing
SELECT d, (s).ok, (s).warning, (s).critical FROM (
    SELECT ethaudit.run_checks('serving', timestamptz '2024-06-01 00:00+00' + d * interval '1 day') AS s,
           d FROM generate_series(1, 3) d) x ORDER BY x.d;
SELECT count(*) AS replayed_results, bool_and(replayed) AS all_marked
FROM ethaudit.results r JOIN ethaudit.runs u USING (run_id) WHERE u.replay;
SELECT (SELECT count(*) FROM ethaudit.alerts) AS alerts_now,
       (SELECT count(*) FROM gov.live_alerts) AS alerts_before,
       NOT EXISTS (SELECT alert_id, status, severity, occurrences, clean_runs, last_result_id, last_window_end FROM ethaudit.alerts
                   EXCEPT SELECT * FROM gov.live_alerts) AS unchanged;
-- latest_results shows the live results only; result_history both
SELECT check_name, model_version, window_end FROM ethaudit.latest_results WHERE model = 'serving'
ORDER BY check_id, model_version;
SELECT replayed, count(*) FROM ethaudit.result_history WHERE model = 'serving' GROUP BY replayed ORDER BY replayed;
-- as_of now() is live; replay => true replays any run
SELECT checks FROM ethaudit.run_checks('serving', now());
SELECT replay FROM ethaudit.runs ORDER BY run_id DESC LIMIT 1;
SELECT checks FROM ethaudit.run_checks('serving', replay => true);
SELECT replay FROM ethaudit.runs ORDER BY run_id DESC LIMIT 1;
-- a replayed result is committed like any other and can be neither unmarked nor forged
SELECT valid FROM ethaudit.verify_results();
SELECT ethaudit.result_encoding(r) LIKE 'ethaudit.results/2;%' AS v2_encoding
FROM ethaudit.results r ORDER BY result_id LIMIT 1;
BEGIN;
ALTER TABLE ethaudit.results DISABLE TRIGGER audit_update;
UPDATE ethaudit.results SET replayed = false WHERE result_id = (SELECT min(result_id) FROM ethaudit.results WHERE replayed);
SELECT valid, results_changed FROM ethaudit.verify_results();
ROLLBACK;
SELECT valid FROM ethaudit.verify_results();

-- ---------- a check that keeps failing raises an alert of its own ----------
CREATE TABLE gov.breaking (ts timestamptz NOT NULL, score float8, label boolean);
INSERT INTO gov.breaking SELECT ts, score, label FROM gov.serving WHERE model_version = 'v1';
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column,
                             window_size, min_samples)
VALUES ('breaking ece', 'serving', 'ece', 'gov.breaking', 'ts', 'label', 'score', '1 day', 10);
INSERT INTO ethaudit.thresholds (check_id, warn, broken_after)
SELECT check_id, 0.5, 2 FROM ethaudit.checks WHERE check_name = 'breaking ece';
CREATE FUNCTION gov.run_breaking(at timestamptz, replay boolean DEFAULT false) RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(status, ',') FROM ethaudit.run_check(
        (SELECT check_id FROM ethaudit.checks WHERE check_name = 'breaking ece'), at, replay => replay)
$$;
CREATE VIEW gov.broken AS
SELECT a.alert_id, a.kind, a.status, a.severity, a.family, a.occurrences, a.first_value, a.resolution, a.resolution_note
FROM ethaudit.alerts a JOIN ethaudit.checks c USING (check_id) WHERE c.check_name = 'breaking ece';
SELECT gov.run_breaking('2024-06-03 00:00+00');
-- probabilities in percent: every run fails
UPDATE gov.breaking SET score = score * 100;
SELECT gov.run_breaking('2024-06-04 00:00+00');
SELECT count(*) AS alerts_after_one_error FROM gov.broken;
-- replayed errors do not count towards it
SELECT gov.run_breaking('2024-06-02 00:00+00', replay => true);
SELECT count(*) AS alerts_after_a_replayed_error FROM gov.broken;
SELECT gov.run_breaking('2024-06-05 00:00+00');
SELECT * FROM gov.broken;
SELECT e.event, e.note FROM ethaudit.alert_events e JOIN gov.broken b USING (alert_id) ORDER BY e.event_id;
SELECT gov.run_breaking('2024-06-05 00:00+00');
SELECT kind, occurrences FROM gov.broken;
-- shown in open_alerts and on the model card
SELECT check_name, kind, severity, first_value FROM ethaudit.open_alerts WHERE kind = 'check_broken';
SELECT broken_checks, (SELECT count(*) FROM jsonb_array_elements(alerts) e WHERE e->>'kind' = 'check_broken') AS on_card
FROM ethaudit.model_cards WHERE model = 'serving';
-- fixed: the next run resolves it
UPDATE gov.breaking SET score = score / 100;
SELECT gov.run_breaking('2024-06-05 00:00+00');
SELECT * FROM gov.broken;
SELECT event_type FROM ethaudit.audit_log WHERE event_type IN ('alert_opened', 'alert_resolved')
  AND (details->>'alert_id')::bigint IN (SELECT alert_id FROM gov.broken) ORDER BY seq;

-- ---------- insert batches with a version column ----------
CREATE TABLE gov.stream_versions (ts timestamptz NOT NULL, model_version text, score float8);
INSERT INTO ethaudit.models (model) VALUES ('streaming');
SELECT count(*) FROM ethaudit.monitor_table('gov.stream_versions', 'streaming', 'ts', probability_column => 'score');
UPDATE ethaudit.checks SET version_column = 'model_version' WHERE model = 'streaming';
INSERT INTO gov.stream_versions
SELECT now(), CASE WHEN i % 3 = 0 THEN 'v2' ELSE 'v1' END, CASE WHEN i % 3 = 0 THEN 2 ELSE 0.5 END
FROM generate_series(1, 30) i;
SELECT r.model_version, r.version_source, r.n_current, r.value, r.status
FROM ethaudit.results r WHERE r.model = 'streaming' ORDER BY r.model_version;

-- ---------- late labels ----------
-- 100 predictions a day for three days; labels arrive two days late, so
-- only the first day is labelled
CREATE TABLE gov.late (id bigint PRIMARY KEY, ts timestamptz NOT NULL, score float8, label boolean, note text);
INSERT INTO gov.late
SELECT i, timestamptz '2024-07-01 00:00+00' + i * interval '864 seconds', (i % 10) / 10.0 + 0.05,
       CASE WHEN i < 100 THEN i % 10 >= 4 END, NULL
FROM generate_series(0, 299) i;
INSERT INTO ethaudit.models (model) VALUES ('late');
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column,
                             window_rows, min_samples)
VALUES ('late ece, last 80 rows', 'late', 'ece', 'gov.late', 'ts', 'label', 'score', 80, 10);
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column,
                             window_rows, min_samples, labelled_only)
VALUES ('late ece, last 80 labelled', 'late', 'ece', 'gov.late', 'ts', 'label', 'score', 80, 10, true);
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column,
                             window_size, min_samples)
VALUES ('late ece, 3 days', 'late', 'ece', 'gov.late', 'ts', 'label', 'score', '3 days', 10);
SELECT checks FROM ethaudit.run_checks('late', '2024-07-04 00:00+00', replay => false);
SELECT c.check_name, r.status, r.n_current, round(r.labelled_share::numeric, 6) AS labelled_share,
       r.window_start, r.window_end,
       CASE c.check_name
           WHEN 'late ece, last 80 labelled' THEN regress.near(r.value, (SELECT ethaudit.ece(label, score) FROM gov.late WHERE id BETWEEN 20 AND 99))
           WHEN 'late ece, 3 days' THEN regress.near(r.value, (SELECT ethaudit.ece(label, score) FROM gov.late))
       END AS exact
FROM ethaudit.results r JOIN ethaudit.checks c USING (check_id) WHERE r.model = 'late' ORDER BY c.check_id;
-- only for metrics that read labels
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column,
                             window_rows, reference_kind, labelled_only)
                          VALUES ('x', 'late', 'psi', 'gov.late', 'ts', 'score', 80, 'preceding', true)$$);

-- labels filled in by UPDATE fire the monitor
CREATE TABLE gov.late_stream (ts timestamptz NOT NULL, score float8, label boolean, note text);
SELECT count(*) FROM ethaudit.monitor_table('gov.late_stream', 'late', 'ts', probability_column => 'score');
SELECT ethaudit.monitor_label_updates('gov.late_stream');
SELECT regress.error_of($$SELECT ethaudit.monitor_label_updates('gov.late_stream')$$);
INSERT INTO ethaudit.checks (check_name, model, metric, mode, source, time_column, label_column, probability_column,
                             min_samples)
VALUES ('stream accuracy of labelled batches', 'late', 'brier_score', 'insert_batch', 'gov.late_stream', 'ts', 'label', 'score', 1);
INSERT INTO ethaudit.checks (check_name, model, metric, mode, source, time_column, label_column, probability_column,
                             window_rows, min_samples, labelled_only)
VALUES ('stream ece, last 50 labelled', 'late', 'ece', 'insert_window', 'gov.late_stream', 'ts', 'label', 'score', 50, 1, true);
INSERT INTO gov.late_stream SELECT ts, score, NULL, NULL FROM gov.late;
SELECT u.kind, u.batch_rows, c.check_name, r.status, r.n_current, r.labelled_share
FROM ethaudit.runs u JOIN ethaudit.results r USING (run_id) JOIN ethaudit.checks c USING (check_id)
WHERE u.source = 'gov.late_stream' ORDER BY u.run_id, c.check_id;
-- an UPDATE that sets no label runs nothing
UPDATE gov.late_stream SET note = 'seen' WHERE ts < '2024-07-02 00:00+00';
SELECT count(*) AS runs_after_a_note FROM ethaudit.runs WHERE source = 'gov.late_stream' AND kind = 'update';
-- the labels of the first day arrive
UPDATE gov.late_stream s SET label = l.label FROM gov.late l WHERE l.ts = s.ts AND l.label IS NOT NULL;
SELECT u.kind, u.batch_rows, c.check_name, r.status, r.n_current, r.labelled_share,
       c.check_name <> 'stream ece, last 50 labelled'
       OR regress.near(r.value, (SELECT ethaudit.ece(label, score) FROM gov.late WHERE id BETWEEN 50 AND 99)) AS exact
FROM ethaudit.runs u JOIN ethaudit.results r USING (run_id) JOIN ethaudit.checks c USING (check_id)
WHERE u.source = 'gov.late_stream' AND u.kind = 'update' ORDER BY u.run_id, c.check_id;
-- nor does an UPDATE of labelled rows that fills no label (another column, a correction)
UPDATE gov.late_stream SET note = 'reviewed' WHERE label IS NOT NULL;
UPDATE gov.late_stream SET label = NOT label WHERE label IS NOT NULL;
SELECT count(*) AS update_runs FROM ethaudit.runs WHERE source = 'gov.late_stream' AND kind = 'update';
-- another column over labelled and unlabelled rows together runs the checks
-- (the trigger cannot tell it from a fill without scanning both batches)
UPDATE gov.late_stream SET note = 'mixed';
SELECT u.kind, u.batch_rows, count(r.*) AS results
FROM ethaudit.runs u LEFT JOIN ethaudit.results r USING (run_id)
WHERE u.source = 'gov.late_stream' AND u.kind = 'update'
GROUP BY u.run_id, u.kind, u.batch_rows ORDER BY u.run_id;
SELECT table_name, trigger_name, enabled_checks FROM ethaudit.monitored_tables
WHERE table_name = 'gov.late_stream'::regclass ORDER BY trigger_name;
SELECT ethaudit.unmonitor_table('gov.late_stream') AS disabled;
SELECT count(*) AS triggers_left FROM pg_trigger WHERE tgrelid = 'gov.late_stream'::regclass;

DROP OWNED BY regress_ver_admin;
DROP ROLE regress_ver_admin;
