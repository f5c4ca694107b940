-- Governance: thresholds computed from a check's own history (kinds
-- history_sigma and history_change).  A log with one day of predictions per
-- window: the first ten days' Brier scores are 0.00 .. 0.09, then 0.08,
-- 0.12 and 0.5.  The history is replayed, the last three days run live, and
-- the run that crosses the computed level is the one that alerts.
SET client_min_messages = warning;
SET extra_float_digits = 0;
SET TimeZone = 'UTC';
DELETE FROM ethaudit.alert_events;
DELETE FROM ethaudit.alerts;
DELETE FROM ethaudit.results;
DELETE FROM ethaudit.runs;

CREATE TABLE gov.hist (ts timestamptz NOT NULL, score float8, label boolean);
CREATE TABLE gov.hist_brier (day integer PRIMARY KEY, brier float8);
INSERT INTO gov.hist_brier
SELECT d, d / 100.0 FROM generate_series(0, 9) d
UNION ALL VALUES (10, 0.08), (11, 0.12), (12, 0.5);
-- every row labelled true with score 1 - sqrt(b): its Brier score is b
INSERT INTO gov.hist
SELECT timestamptz '2024-03-01 00:00+00' + b.day * interval '1 day' + h * interval '1 hour', 1 - sqrt(b.brier), true
FROM gov.hist_brier b, generate_series(0, 23) h;

INSERT INTO ethaudit.models (model, owner_role) VALUES ('hist', CURRENT_USER);
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column,
                             window_size, min_samples)
VALUES ('brier, 2 and 3 sigma', 'hist', 'brier_score', 'gov.hist', 'ts', 'label', 'score', '1 day', 10),
       ('brier, 50% and 100% over the mean', 'hist', 'brier_score', 'gov.hist', 'ts', 'label', 'score', '1 day', 10),
       ('brier, fixed', 'hist', 'brier_score', 'gov.hist', 'ts', 'label', 'score', '1 day', 10);
INSERT INTO ethaudit.thresholds (check_id, kind, warn, critical)
SELECT check_id, 'history_sigma', 2, 3 FROM ethaudit.checks WHERE check_name = 'brier, 2 and 3 sigma';
INSERT INTO ethaudit.thresholds (check_id, kind, warn, critical, history_size, min_history)
SELECT check_id, 'history_change', 0.5, 1.0, 5, 1 FROM ethaudit.checks WHERE check_name = 'brier, 50% and 100% over the mean';
INSERT INTO ethaudit.thresholds (check_id, warn, critical)
SELECT check_id, 0.2, 0.4 FROM ethaudit.checks WHERE check_name = 'brier, fixed';
SELECT ch.check_name, th.kind, th.warn, th.critical, th.direction, th.history_size, th.min_history
FROM ethaudit.thresholds th JOIN ethaudit.checks ch USING (check_id) WHERE ch.model = 'hist' ORDER BY ch.check_id;

-- ---------- the history, replayed day by day ----------
SELECT count(*) AS replays
FROM generate_series(1, 10) d, ethaudit.run_checks('hist', timestamptz '2024-03-01 00:00+00' + d * interval '1 day', replay => true) s;
-- the first three days have fewer earlier results than min_history (3)
SELECT ch.check_name, extract(day FROM r.window_start)::int - 1 AS day, r.status, round(r.value::numeric, 6) AS value,
       r.history_n, r.replayed, r.message
FROM ethaudit.results r JOIN ethaudit.checks ch USING (check_id)
WHERE ch.check_name = 'brier, 2 and 3 sigma' ORDER BY r.window_end;
SELECT count(*) AS alerts_after_the_replay FROM ethaudit.alerts WHERE model = 'hist';

-- ---------- three live days: ok, warning, critical ----------
SELECT d AS day, s.ok, s.warning, s.critical, s.insufficient_data
FROM generate_series(11, 13) d,
     ethaudit.run_checks('hist', timestamptz '2024-03-01 00:00+00' + d * interval '1 day', replay => false) s
ORDER BY d;
SELECT ch.check_name, extract(day FROM r.window_start)::int - 1 AS day, r.status, round(r.value::numeric, 6) AS value,
       r.threshold_kind, r.history_n, round(r.warn::numeric, 9) AS warn, round(r.critical::numeric, 9) AS critical
FROM ethaudit.results r JOIN ethaudit.checks ch USING (check_id)
WHERE ch.model = 'hist' AND NOT r.replayed ORDER BY ch.check_id, r.window_end;

-- the levels against an independent computation over the ten values before
-- each live day (population standard deviation, as NannyML's np.std): for
-- days 0..9, mean 0.045 and sigma 0.0287228132326901, so the 3-sigma level
-- is NannyML's documented 13.116843969807043 for range(10), divided by 100
WITH live AS (
    SELECT extract(day FROM r.window_start)::int - 1 AS day, r.warn, r.critical
    FROM ethaudit.results r JOIN ethaudit.checks ch USING (check_id)
    WHERE ch.check_name = 'brier, 2 and 3 sigma' AND NOT r.replayed
), ref AS (
    SELECT l.day, avg(b.brier) AS m, stddev_pop(b.brier) AS sd
    FROM live l JOIN gov.hist_brier b ON b.day BETWEEN l.day - 10 AND l.day - 1 GROUP BY l.day
)
SELECT l.day, regress.near(l.warn, ref.m + 2 * ref.sd, 1e-12) AS warn_ok,
       regress.near(l.critical, ref.m + 3 * ref.sd, 1e-12) AS critical_ok,
       CASE WHEN l.day = 10 THEN regress.near(l.critical, 13.116843969807043 / 100, 1e-12) END AS nannyml_figure
FROM live l JOIN ref USING (day) ORDER BY l.day;
-- history_change: the mean of the last five values, +50% and +100%
WITH live AS (
    SELECT extract(day FROM r.window_start)::int - 1 AS day, r.warn, r.critical
    FROM ethaudit.results r JOIN ethaudit.checks ch USING (check_id)
    WHERE ch.check_name = 'brier, 50% and 100% over the mean' AND NOT r.replayed
), ref AS (
    SELECT l.day, avg(b.brier) AS m FROM live l JOIN gov.hist_brier b ON b.day BETWEEN l.day - 5 AND l.day - 1 GROUP BY l.day
)
SELECT l.day, regress.near(l.warn, 1.5 * ref.m, 1e-12) AS warn_ok, regress.near(l.critical, 2 * ref.m, 1e-12) AS critical_ok
FROM live l JOIN ref USING (day) ORDER BY l.day;

-- the alert opened on day 11 and escalated on day 12; its events name the
-- computed levels, and open_alerts shows the level the latest result was judged by
SELECT ch.check_name, a.severity, a.occurrences, round(a.first_value::numeric, 6) AS first_value,
       extract(day FROM a.first_window_end)::int - 2 AS opened_on_day
FROM ethaudit.alerts a JOIN ethaudit.checks ch USING (check_id) WHERE a.model = 'hist' ORDER BY ch.check_id;
SELECT e.event, e.note FROM ethaudit.alert_events e JOIN ethaudit.alerts a USING (alert_id)
JOIN ethaudit.checks ch USING (check_id) WHERE ch.check_name = 'brier, 2 and 3 sigma' ORDER BY e.event_id;
SELECT check_name, threshold_kind, round(warn::numeric, 9) AS warn, round(critical::numeric, 9) AS critical
FROM ethaudit.open_alerts WHERE model = 'hist' ORDER BY check_id;
SELECT c->>'check_name' AS check_name, c->>'threshold_kind' AS threshold_kind,
       round((c->>'critical')::numeric, 9) AS critical
FROM ethaudit.model_cards mc, jsonb_array_elements(mc.checks) c WHERE mc.model = 'hist' ORDER BY 1;

-- ---------- a window evaluated twice counts once ----------
SELECT count(*) AS replays FROM ethaudit.run_checks('hist', '2024-03-06 00:00+00', replay => true);
SELECT count(*) AS replays FROM ethaudit.run_checks('hist', '2024-03-06 00:00+00', replay => true);
-- day 10 again: judged by days 0..9, as live, although day 4 now has three
-- results and days 10 to 12 have results too (their windows end later)
SELECT count(*) AS replays FROM ethaudit.run_checks('hist', '2024-03-12 00:00+00', replay => true);
SELECT r.history_n, r.status, round(r.warn::numeric, 9) AS warn, round(r.critical::numeric, 9) AS critical
FROM ethaudit.results r JOIN ethaudit.checks ch USING (check_id)
WHERE ch.check_name = 'brier, 2 and 3 sigma' AND r.run_id = (SELECT max(run_id) FROM ethaudit.runs);

-- ---------- the evidence commits to the new columns ----------
SELECT (SELECT count(*) FROM ethaudit.results WHERE model = 'hist'
          AND convert_from(ethaudit.result_encoding(results), 'UTF8') LIKE 'ethaudit.results/3;%') AS version_3,
       (SELECT count(*) FROM ethaudit.results WHERE model = 'hist' AND threshold_kind IS NOT NULL) AS with_kind,
       (SELECT valid FROM ethaudit.verify_results()) AS results_verify;
-- a judged result's levels cannot be edited unseen
BEGIN;
ALTER TABLE ethaudit.results DISABLE TRIGGER audit_update;
UPDATE ethaudit.results SET history_n = 99
WHERE result_id = (SELECT max(result_id) FROM ethaudit.results WHERE threshold_kind IS NOT NULL);
SELECT valid, results_changed FROM ethaudit.verify_results();
ROLLBACK;

-- ---------- bad configurations ----------
SELECT regress.error_of($$INSERT INTO ethaudit.thresholds (check_id, kind, warn, critical)
    SELECT check_id, 'history_sigma', -1, 3 FROM ethaudit.checks WHERE check_name = 'brier, fixed'
    ON CONFLICT (check_id) DO UPDATE SET kind = excluded.kind, warn = excluded.warn, critical = excluded.critical$$) AS negative;
SELECT regress.error_of($$UPDATE ethaudit.thresholds SET kind = 'history_sigma', warn = 3, critical = 2
    WHERE check_id = (SELECT check_id FROM ethaudit.checks WHERE check_name = 'brier, fixed')$$) AS warn_above_critical;
SELECT regress.error_of($$UPDATE ethaudit.thresholds SET kind = 'history_sigma', warn = 2, critical = 'Infinity'
    WHERE check_id = (SELECT check_id FROM ethaudit.checks WHERE check_name = 'brier, fixed')$$) AS infinite;
SELECT regress.error_of($$UPDATE ethaudit.thresholds SET kind = 'history_sigma', warn = 2, critical = 3, min_history = 1
    WHERE check_id = (SELECT check_id FROM ethaudit.checks WHERE check_name = 'brier, fixed')$$) AS one_value_sigma;
SELECT regress.error_of($$UPDATE ethaudit.thresholds SET kind = 'history_change', warn = 0.1, critical = 0.2,
    history_size = 3, min_history = 5
    WHERE check_id = (SELECT check_id FROM ethaudit.checks WHERE check_name = 'brier, fixed')$$) AS min_over_size;
SELECT regress.error_of($$UPDATE ethaudit.thresholds SET kind = 'median'
    WHERE check_id = (SELECT check_id FROM ethaudit.checks WHERE check_name = 'brier, fixed')$$) AS unknown_kind;
-- below-direction metrics take the levels under the mean
UPDATE ethaudit.thresholds SET kind = 'history_change', warn = 0.5, critical = 1, direction = 'below'
WHERE check_id = (SELECT check_id FROM ethaudit.checks WHERE check_name = 'brier, fixed');
SELECT count(*) AS replays FROM ethaudit.run_checks('hist', '2024-03-13 00:00+00', replay => true);
-- day 11 (0.12) against the last ten values of that check (days 1..10),
-- mean 0.053: warn 0.0265, critical 0
SELECT r.status, round(r.warn::numeric, 9) AS warn, round(r.critical::numeric, 9) AS critical, r.history_n
FROM ethaudit.results r JOIN ethaudit.checks ch USING (check_id)
WHERE ch.check_name = 'brier, fixed' AND r.run_id = (SELECT max(run_id) FROM ethaudit.runs);

DELETE FROM ethaudit.alert_events;
DELETE FROM ethaudit.alerts;
DELETE FROM ethaudit.results;
DELETE FROM ethaudit.runs;
DELETE FROM ethaudit.checks WHERE model = 'hist';
DELETE FROM ethaudit.models WHERE model = 'hist';
DROP TABLE gov.hist, gov.hist_brier;
