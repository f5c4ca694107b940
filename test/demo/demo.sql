-- ethaudit demo: an audit of two real public data sets, in SQL.
--   COMPAS (ProPublica, 2016): recidivism risk scores, label two_year_recid,
--     predicted positive = decile_score >= 5, groups by race.
--   UCI bike sharing (Washington D.C., 2011-2012): hourly features, 2011 as
--     the reference period and 2012 as the current one.
-- Sources and licences: test/data/*/SOURCE.md.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS ethaudit;

CREATE TEMP TABLE compas (
    id int, compas_screening_date date, sex text, age int, age_cat text, race text,
    juv_fel_count int, juv_misd_count int, juv_other_count int, priors_count int,
    days_b_screening_arrest int, c_charge_degree text, is_recid int, is_violent_recid int,
    decile_score int, score_text text, v_decile_score int, v_score_text text,
    two_year_recid int
);
\copy compas FROM 'test/data/compas/compas-minimal.csv' WITH (FORMAT csv, HEADER true)

CREATE TEMP TABLE bike (
    instant int, dteday date, season int, yr int, mnth int, hr int, holiday int, weekday int,
    workingday int, weathersit int, temp float8, atemp float8, hum float8, windspeed float8,
    casual int, registered int, cnt int
);
\copy bike FROM 'test/data/bike_sharing/hour.csv' WITH (FORMAT csv, HEADER true)

\echo
\echo '== 1. COMPAS: ProPublica''s error-rate table, recomputed with ethaudit'
\echo '      (predicted high risk = decile_score >= 5; published figures beside ours)'
SELECT CASE race WHEN 'African-American' THEN 'Black' ELSE 'White' END AS defendants,
       count(*) AS n,
       round(100 * ethaudit.false_positive_rate(two_year_recid = 1, decile_score >= 5)::numeric, 2) AS fpr_pct,
       CASE race WHEN 'African-American' THEN 44.85 ELSE 23.45 END AS published_fpr,
       round(100 * ethaudit.false_negative_rate(two_year_recid = 1, decile_score >= 5)::numeric, 2) AS fnr_pct,
       CASE race WHEN 'African-American' THEN 27.99 ELSE 47.72 END AS published_fnr
FROM compas WHERE race IN ('African-American', 'Caucasian')
GROUP BY race ORDER BY race;

\echo '== 2. Equal opportunity: TPR gap between Black and White defendants'
SELECT round(ethaudit.group_tpr_gap(two_year_recid = 1, decile_score >= 5, race)::numeric, 10) AS tpr_gap,
       0.1973729638 AS fairlearn_equal_opportunity_difference
FROM compas WHERE race IN ('African-American', 'Caucasian');

SELECT round(ethaudit.group_tpr_gap(two_year_recid = 1, decile_score >= 5, race)::numeric, 4) AS tpr_gap_all_races,
       round(ethaudit.group_tpr_gap(two_year_recid = 1, decile_score >= 5, race, 30)::numeric, 4)
           AS tpr_gap_groups_with_30_positives
FROM compas;

\echo '== 3. The other fairness measures, Black vs White (Fairlearn: 0.2139, 0.2402, 0.5916)'
SELECT round(ethaudit.equalized_odds_gap(two_year_recid = 1, decile_score >= 5, race)::numeric, 4) AS equalized_odds_gap,
       round(ethaudit.selection_rate_gap(decile_score >= 5, race)::numeric, 4) AS demographic_parity_gap,
       round(ethaudit.selection_rate_ratio(decile_score >= 5, race)::numeric, 4) AS demographic_parity_ratio
FROM compas WHERE race IN ('African-American', 'Caucasian');

\echo '   every group, with Wilson 95% intervals (groups under 30 defendants flagged)'
SELECT r.grp AS race, r.n,
       format('%s [%s, %s]', round(r.tpr::numeric, 3), round(r.tpr_low::numeric, 3), round(r.tpr_high::numeric, 3)) AS tpr_95ci,
       format('%s [%s, %s]', round(r.fpr::numeric, 3), round(r.fpr_low::numeric, 3), round(r.fpr_high::numeric, 3)) AS fpr_95ci,
       round(r.selection_rate::numeric, 3) AS selection_rate, r.below_min_size AS too_small
FROM (SELECT ethaudit.group_report(two_year_recid = 1, decile_score >= 5, race) AS rep FROM compas) s,
     unnest(s.rep) r ORDER BY r.n DESC;

\echo '== 4. Calibration and discrimination: decile_score / 10 read as a probability of recidivism'
SELECT coalesce(race, 'all defendants') AS race, count(*) AS n,
       round(ethaudit.ece(two_year_recid = 1, decile_score / 10.0)::numeric, 4) AS ece,
       round(ethaudit.max_calibration_error(two_year_recid = 1, decile_score / 10.0)::numeric, 4) AS mce,
       round(ethaudit.brier_score(two_year_recid = 1, decile_score / 10.0)::numeric, 4) AS brier,
       round(ethaudit.roc_auc(two_year_recid = 1, decile_score)::numeric, 4) AS roc_auc
FROM compas WHERE race IN ('African-American', 'Caucasian', 'Hispanic')
GROUP BY ROLLUP (race) ORDER BY race NULLS FIRST;
SELECT round(ethaudit.ece_gap(two_year_recid = 1, decile_score / 10.0, race)::numeric, 4) AS ece_gap_between_races
FROM compas WHERE race IN ('African-American', 'Caucasian', 'Hispanic');

\echo '== 5. Drift: bike sharing 2012 against the 2011 reference'
\echo '      psi, js: 10 reference-decile bins; *_ev: Evidently 0.7 binning; KS exact, asymptotic p-value'
SELECT f.feature,
       round(ethaudit.psi(f.v, yr = 0)::numeric, 4) AS psi,
       round(ethaudit.psi(f.v, yr = 0, 'evidently')::numeric, 4) AS psi_ev,
       round(ethaudit.js_divergence(f.v, yr = 0)::numeric, 5) AS js,
       round(sqrt(ethaudit.js_divergence(f.v, yr = 0, 'evidently') * ln(2))::numeric, 5) AS js_dist_ev,
       round((ethaudit.ks_test(f.v, yr = 0)).statistic::numeric, 4) AS ks_d,
       to_char((ethaudit.ks_test(f.v, yr = 0)).p_value, '9.99EEEE') AS ks_p,
       round(ethaudit.wasserstein(f.v, yr = 0)::numeric, 4) AS wasserstein
FROM bike,
     LATERAL (VALUES ('temp', temp), ('atemp', atemp), ('hum', hum),
                     ('windspeed', windspeed), ('cnt', cnt::float8)) f(feature, v)
GROUP BY f.feature ORDER BY psi DESC;
\echo '      published (test/data/bike_sharing/SOURCE.md): psi_ev temp 0.0392, hum 0.0816, cnt 0.4567;'
\echo '      js_dist_ev temp 0.06917, hum 0.09926, cnt 0.20726; ks_d temp 0.0546, hum 0.0651, cnt 0.2165'

\echo '== 6. Drift month by month: each 2012 month against all of 2011 (PSI of rentals per hour)'
SELECT to_char(m.month, 'YYYY-MM') AS month,
       round(ethaudit.psi(b.cnt::float8, b.yr = 0)::numeric, 4) AS psi_cnt,
       round(ethaudit.ks_stat(b.temp, b.yr = 0)::numeric, 4) AS ks_temp
FROM generate_series('2012-01-01'::date, '2012-12-01', '1 month') m(month)
JOIN bike b ON b.yr = 0 OR date_trunc('month', b.dteday) = m.month
GROUP BY m.month ORDER BY m.month;

\echo '   categorical drift of the weather situation, and data quality'
SELECT round(ethaudit.psi(weathersit::text, yr = 0)::numeric, 4) AS psi_weather,
       (ethaudit.chi2_test(weathersit::text, yr = 0)).*,
       (ethaudit.unseen_categories(weathersit::text, yr = 0)).unseen_rows
FROM bike;

\echo '   every column at once, in one scan: January 2012 against January 2011, with Evidently 0.7''s'
\echo '   choice of test (688 reference rows: KS, chi-square, z) and thresholds (doc/drift_report.md)'
CREATE TEMP VIEW bike_features AS
SELECT yr = 0 AS in_2011, mnth, season, hr, holiday, weekday, workingday, weathersit,
       temp, atemp, hum, windspeed, casual, registered, cnt
FROM bike;
CREATE TEMP VIEW bike_january AS SELECT * FROM bike_features WHERE mnth = 1;
SELECT coalesce(column_name, '(dataset)') AS column_name, kind, test,
       round(statistic::numeric, 4) AS statistic, to_char(p_value, '9.99EEEE') AS p_value,
       threshold, drifted, n_reference, n_current, n_values
FROM ethaudit.drift_report('bike_january', 'in_2011', categorical => '{season,weathersit}');
\echo '   the whole of 2012 against 2011 (8645 reference rows: normed Wasserstein, Jensen-Shannon):'
\echo '   the rentals and humidity drifted, not the weather; not a dataset drift (4 of 14 columns < 0.5)'
SELECT coalesce(column_name, '(dataset)') AS column_name, test,
       round(statistic::numeric, 4) AS statistic, drifted
FROM ethaudit.drift_report('bike_features', 'in_2011', categorical => '{season,weathersit}')
WHERE drifted OR kind = 'dataset';

\echo '== 7. A sliding window: calibration over the last 500 screenings, every 1000th row'
SELECT compas_screening_date, round(ece_500::numeric, 4) AS ece_last_500
FROM (SELECT compas_screening_date, row_number() OVER w AS rn,
             ethaudit.ece(two_year_recid = 1, decile_score / 10.0)
                 OVER (w ROWS BETWEEN 499 PRECEDING AND CURRENT ROW) AS ece_500
      FROM compas WINDOW w AS (ORDER BY compas_screening_date, id)) s
WHERE rn % 1000 = 0 ORDER BY compas_screening_date;

\echo
\echo '== 8. Governance: the same audits as scheduled checks with thresholds, alerts and a model card'
\echo '      (tables in schema demo_gov; checks cannot read temporary tables)'
-- start over if the demo ran before in this database
DROP SCHEMA IF EXISTS demo_gov CASCADE;
DELETE FROM ethaudit.alert_events WHERE alert_id IN
    (SELECT alert_id FROM ethaudit.alerts WHERE model IN ('compas-risk', 'bike-demand'));
DELETE FROM ethaudit.alerts WHERE model IN ('compas-risk', 'bike-demand');
DELETE FROM ethaudit.results WHERE model IN ('compas-risk', 'bike-demand');
DELETE FROM ethaudit.checks WHERE model IN ('compas-risk', 'bike-demand');
DELETE FROM ethaudit.baselines WHERE model IN ('compas-risk', 'bike-demand');
DELETE FROM ethaudit.models WHERE model IN ('compas-risk', 'bike-demand');
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'demo_risk_team') THEN
        CREATE ROLE demo_risk_team NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'demo_fairness_board') THEN
        CREATE ROLE demo_fairness_board NOLOGIN;
    END IF;
END $$;

CREATE SCHEMA demo_gov;
-- the prediction logs: COMPAS screenings as predictions of a risk model,
-- and hourly bike rentals as the output of a demand model
CREATE TABLE demo_gov.compas_predictions AS
SELECT id, compas_screening_date::timestamp AT TIME ZONE 'UTC' AS ts, 'v1'::text AS model_version,
       decile_score, decile_score / 10.0::float8 AS risk, two_year_recid, race
FROM compas WHERE race IN ('African-American', 'Caucasian', 'Hispanic');
CREATE TABLE demo_gov.bike_predictions AS
SELECT instant, (dteday + hr * interval '1 hour') AT TIME ZONE 'UTC' AS ts,
       cnt::float8 AS rentals, temp, weathersit::text AS weather
FROM bike;
CREATE INDEX ON demo_gov.compas_predictions (ts);
CREATE INDEX ON demo_gov.bike_predictions (ts);

\echo '-- the registry: models, versions and stages, owners; the stages are dated, since the versions'
\echo '   served before they were registered (the stage history says which version served when)'
INSERT INTO ethaudit.models (model, description, owner_role) VALUES
    ('compas-risk', 'COMPAS recidivism risk (decile score); high risk = decile >= 5', 'demo_risk_team'),
    ('bike-demand', 'hourly bike rentals, Washington D.C.', 'demo_risk_team');
INSERT INTO ethaudit.model_versions (model, version, stage, description, stage_changed_at) VALUES
    ('compas-risk', 'v1', 'live', 'the published scores', '2013-01-01 00:00+00'),
    ('compas-risk', 'v2', 'shadow', 'candidate, scoring in the shadow since mid-2014', '2014-07-01 00:00+00'),
    ('bike-demand', '2011', 'live', 'trained on 2011', '2012-01-01 00:00+00');
SELECT model, version, stage, to_char(valid_from, 'YYYY-MM-DD') AS since
FROM ethaudit.stage_history WHERE model IN ('compas-risk', 'bike-demand') ORDER BY 1, 2;

\echo '-- the checks: fairness and calibration per quarter for COMPAS (the three largest groups;'
\echo '   a group counts in a gap with at least 30 positives for the TPR, 30 negatives for the FPR,'
\echo '   since a group of a few rows has a rate of 0 or 1 and would make the gap meaningless);'
\echo '   drift of each month of 2012'
\echo '   against a baseline stored from 2011 for the bikes'
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column,
                             group_column, window_size, params)
VALUES ('compas equal opportunity', 'compas-risk', 'group_tpr_gap', 'demo_gov.compas_predictions', 'ts',
        'two_year_recid', 'decile_score', 'race', '3 months', '{"cutoff": 5, "min_positives": 30}'),
       ('compas false positive gap', 'compas-risk', 'group_fpr_gap', 'demo_gov.compas_predictions', 'ts',
        'two_year_recid', 'decile_score', 'race', '3 months', '{"cutoff": 5, "min_negatives": 30}');
\echo '   (the calibration check reads the log''s version column, so its results name the version of the rows;'
\echo '   the fairness checks do not, so theirs name the live version by the stage history)'
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column, window_size,
                             version_column)
VALUES ('compas calibration', 'compas-risk', 'ece', 'demo_gov.compas_predictions', 'ts',
        'two_year_recid', 'risk', '3 months', 'model_version');
\echo '   accuracy before the labels arrive, estimated from the risk as a probability (CBPE), beside'
\echo '   the accuracy realised once they have (doc/estimated_performance.md)'
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column,
                             window_size, params)
VALUES ('compas accuracy before labels', 'compas-risk', 'estimated_accuracy', 'demo_gov.compas_predictions', 'ts',
        NULL, 'risk', '3 months', '{"cutoff": 0.5}'),
       ('compas accuracy', 'compas-risk', 'accuracy_score', 'demo_gov.compas_predictions', 'ts',
        'two_year_recid', 'risk', '3 months', '{"cutoff": 0.5}');
SELECT column_name, value_kind, n AS rows_2011
FROM ethaudit.store_baseline('bike-demand', 'rentals', 'demo_gov.bike_predictions', 'ts', '2011-01-01', '2012-01-01');
SELECT column_name, value_kind, n AS rows_2011
FROM ethaudit.store_baseline('bike-demand', 'weather', 'demo_gov.bike_predictions', 'ts', '2011-01-01', '2012-01-01');
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size,
                             reference_kind, baseline_id)
SELECT 'bike rentals psi', 'bike-demand', 'psi', 'demo_gov.bike_predictions', 'ts', 'rentals', '1 month',
       'baseline', baseline_id
FROM ethaudit.baselines WHERE model = 'bike-demand' AND column_name = 'rentals';
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size,
                             reference_kind, reference_start, reference_end)
VALUES ('bike temperature ks', 'bike-demand', 'ks_stat', 'demo_gov.bike_predictions', 'ts', 'temp', '1 month',
        'fixed', '2011-01-01', '2012-01-01');

\echo '-- thresholds: levels, direction (from the metric), owner and response time'
INSERT INTO ethaudit.thresholds (check_id, warn, critical, owner_role, response_time, resolve_after)
SELECT check_id, w, c, o, r, 2
FROM ethaudit.checks
JOIN (VALUES ('compas equal opportunity', 0.10, 0.15, 'demo_fairness_board', interval '7 days'),
             ('compas false positive gap', 0.10, 0.15, 'demo_fairness_board', interval '7 days'),
             ('compas calibration', 0.10, 0.20, NULL, interval '3 days'),
             ('compas accuracy before labels', 0.60, 0.55, NULL, interval '3 days'),
             ('compas accuracy', 0.60, 0.55, NULL, interval '3 days'),
             ('bike rentals psi', 0.10, 0.25, NULL, interval '1 day'),
             ('bike temperature ks', 0.30, 0.50, NULL, interval '1 day')) AS t(n, w, c, o, r) ON n = check_name;
\echo '   and a second PSI of rentals judged by its own history rather than fixed levels: a month is'
\echo '   unusual when its PSI is 2 (warning) or 3 (critical) standard deviations above the mean of'
\echo '   the last 6 months'' PSI (NannyML''s rule; judged once 3 months are there)'
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size,
                             reference_kind, baseline_id)
SELECT 'bike rentals psi, own history', 'bike-demand', 'psi', 'demo_gov.bike_predictions', 'ts', 'rentals',
       '1 month', 'baseline', baseline_id
FROM ethaudit.baselines WHERE model = 'bike-demand' AND column_name = 'rentals';
INSERT INTO ethaudit.thresholds (check_id, kind, warn, critical, history_size, min_history, resolve_after)
SELECT check_id, 'history_sigma', 2, 3, 6, 3, 2 FROM ethaudit.checks WHERE check_name = 'bike rentals psi, own history';
SELECT c.check_name, c.metric, t.kind, t.warn, t.critical, t.direction, t.owner_role, t.response_time
FROM ethaudit.thresholds t JOIN ethaudit.checks c USING (check_id)
WHERE c.model IN ('compas-risk', 'bike-demand') ORDER BY c.check_id;

\echo '-- run the checks over the history in time order, as the scheduler would have: COMPAS quarter by'
\echo '   quarter, the bikes month by month.  A run for a past time is a replay, which leaves the alerts'
\echo '   alone; loading history into a new installation is the exception: replay => false'
SELECT to_char(q, 'YYYY-MM-DD') AS as_of, (r).checks, (r).ok, (r).warning, (r).critical, (r).insufficient_data
FROM (SELECT q, ethaudit.run_checks('compas-risk', q, replay => false) AS r
      FROM generate_series(timestamptz '2013-04-01 00:00+00', '2015-01-01 00:00+00', '3 months') q) s
ORDER BY q;
SELECT to_char(m - interval '1 month', 'YYYY-MM') AS month, (r).ok, (r).warning, (r).critical
FROM (SELECT m, ethaudit.run_checks('bike-demand', m, replay => false) AS r
      FROM generate_series(timestamptz '2012-02-01 00:00+00', '2013-01-01 00:00+00', '1 month') m) s
ORDER BY m;

\echo '-- which version each COMPAS result is about: from the rows (calibration), or the live version by'
\echo '   the stage history (fairness), flagged once the shadow v2 also served: a log holding both'
\echo '   versions'' rows would mix them in a check without a version column'
SELECT to_char(window_start, 'YYYY-MM') AS quarter, check_name, model_version, version_source, mixed_versions
FROM ethaudit.result_history
WHERE model = 'compas-risk' AND check_name IN ('compas calibration', 'compas false positive gap')
  AND window_start >= '2014-01-01' ORDER BY window_end, check_name;

\echo '-- result history (a time-series panel): PSI of rentals against the 2011 baseline'
SELECT to_char(window_start, 'YYYY-MM') AS month, round(value::numeric, 4) AS psi, warn, critical, status
FROM ethaudit.result_history WHERE check_name = 'bike rentals psi' ORDER BY window_end;
\echo '   the same PSI judged by its own history: the levels move with the last 6 months'
SELECT to_char(window_start, 'YYYY-MM') AS month, round(value::numeric, 4) AS psi, round(warn::numeric, 4) AS warn,
       round(critical::numeric, 4) AS critical, status, history_n
FROM ethaudit.result_history WHERE check_name = 'bike rentals psi, own history' ORDER BY window_end;

\echo '-- every alert of the history and what happened to it, with the window it was opened for'
SELECT a.alert_id, c.check_name, a.family, a.status, a.severity, a.priority, a.occurrences,
       round(a.worst_value::numeric, 4) AS worst, to_char(a.first_window_end, 'YYYY-MM-DD') AS window_end,
       a.resolution_note
FROM ethaudit.alerts a JOIN ethaudit.checks c USING (check_id)
WHERE a.model IN ('compas-risk', 'bike-demand') ORDER BY a.alert_id;

\echo '-- a replay: an auditor re-examines mid-2013 after those runs; the results are recorded as'
\echo '   replayed and every alert stays as it was'
CREATE TEMP TABLE alerts_before AS SELECT alert_id, status, severity, occurrences, clean_runs FROM ethaudit.alerts;
SELECT (r).checks, (r).ok, (r).warning, (r).critical
FROM (SELECT ethaudit.run_checks('compas-risk', '2013-07-01 00:00+00') AS r) s;
SELECT replayed, count(*) AS results FROM ethaudit.result_history WHERE model = 'compas-risk' GROUP BY 1 ORDER BY 1;
SELECT NOT EXISTS (SELECT alert_id, status, severity, occurrences, clean_runs FROM ethaudit.alerts
                   EXCEPT SELECT * FROM alerts_before) AS alerts_unchanged;

\echo '-- the prediction-log trigger: each new batch of COMPAS predictions is checked as it is inserted'
SELECT check_name FROM ethaudit.monitor_table('demo_gov.compas_predictions', 'compas-risk', 'ts',
    required_columns => '{ts,decile_score,race}', probability_column => 'risk', category_columns => '{race}',
    reference_size => '1 year');
LISTEN ethaudit_alerts;
\echo '   a batch of 1000 predictions, three with a missing race and one with a probability of 1.2:'
INSERT INTO demo_gov.compas_predictions (id, ts, model_version, decile_score, risk, two_year_recid, race)
SELECT 100000 + i, timestamptz '2015-01-02 00:00+00' + i * interval '1 minute', 'v1', d,
       CASE WHEN i = 7 THEN 1.2 ELSE d / 10.0 END, NULL, CASE WHEN i IN (1, 2, 3) THEN NULL ELSE race END
FROM (SELECT row_number() OVER (ORDER BY id) AS i, decile_score AS d, race
      FROM compas WHERE race IN ('African-American', 'Caucasian', 'Hispanic') ORDER BY id LIMIT 1000) s;
SELECT c.check_name, r.status, round(r.value::numeric, 4) AS value, r.n_current, r.n_reference
FROM ethaudit.results r JOIN ethaudit.checks c USING (check_id)
WHERE r.run_id = (SELECT max(run_id) FROM ethaudit.runs WHERE kind = 'insert') ORDER BY c.check_id;
UNLISTEN ethaudit_alerts;

\echo '-- open alerts by owner and due time (the on-call view: each owner''s response time); the fairness alerts open together'
\echo '   with a calibration alert of the same model have priority high'
SELECT owner_role, check_name, severity, priority, status, occurrences, round(last_value::numeric, 4) AS last_value,
       due_at - opened_at AS time_to_respond
FROM ethaudit.open_alerts WHERE model IN ('compas-risk', 'bike-demand')
ORDER BY owner_role, due_at, alert_id;

\echo '-- the fairness board acknowledges, the data team resolves the bad batch with a note'
SELECT alert_id, status, acknowledge_note FROM ethaudit.acknowledge_alert(
    (SELECT min(alert_id) FROM ethaudit.open_alerts WHERE check_name = 'compas equal opportunity'),
    'known disparity of the published scores; review with the vendor');
SELECT alert_id, status, resolution, resolution_note FROM ethaudit.resolve_alert(
    (SELECT alert_id FROM ethaudit.open_alerts WHERE check_name LIKE '%invalid_probability_share'),
    'row 100007 re-scored upstream');

\echo '-- the live model card'
\x on
SELECT model, description, owner_role, live_versions, owners, checks_total, checks_ok, checks_warning,
       checks_critical, checks_insufficient_data, open_alerts, worst_status,
       (SELECT string_agg(format('%s: %s', v->>'version', v->>'stage'), ', ' ORDER BY v->>'version')
        FROM jsonb_array_elements(versions) v) AS versions,
       (SELECT string_agg(format('%s: %s %s (warn %s, critical %s, %s)', c->>'check_name', c->>'status',
                                 round((c->>'value')::numeric, 4), coalesce(c->>'warn', 'none'),
                                 coalesce(c->>'critical', 'none'), c->>'owner_role'),
                          E'\n' ORDER BY c->>'check_name')
        FROM jsonb_array_elements(checks) c) AS checks,
       (SELECT string_agg(format('#%s %s: %s, priority %s, %s', a->>'alert_id', a->>'check_name', a->>'severity',
                                 a->>'priority', a->>'owner_role'), E'\n')
        FROM jsonb_array_elements(alerts) a) AS alerts
FROM ethaudit.model_cards WHERE model = 'compas-risk';
\x off
\echo '-- estimated vs realised accuracy on the card: the estimate is too high, since the decile over'
\echo '   ten is no calibrated probability (the calibration check is critical); an estimate is only as'
\echo '   good as the calibration it assumes, so pair it with the calibration check'
SELECT e->>'check_name' AS estimate, round((e->>'estimated')::numeric, 4) AS estimated,
       e->>'realised_check_name' AS realised_by, round((e->>'realised')::numeric, 4) AS realised,
       to_char((e->>'window_end')::timestamptz, 'YYYY-MM-DD') AS window_end,
       (SELECT round((c->>'value')::numeric, 4) FROM jsonb_array_elements(checks) c
        WHERE c->>'check_name' = 'compas calibration' AND c->>'model_version' = 'v1') AS ece_v1
FROM ethaudit.model_cards, jsonb_array_elements(performance_estimates) e WHERE model = 'compas-risk';

\echo '-- scheduling: with pg_cron (shared_preload_libraries = pg_cron), one line runs every check'
\echo '   every 15 minutes:  SELECT cron.schedule(''ethaudit'', ''*/15 * * * *'', ''SELECT ethaudit.run_checks()'');'

\echo '== 9. Evidence: a tamper-evident audit log, privacy controls, least-privilege roles (doc/security.md)'
\echo '-- every change above is an event of the hash-chained audit log'
SELECT event_type, count(*) AS events FROM ethaudit.audit_log
WHERE seq >= (SELECT max(seq) FROM ethaudit.audit_log WHERE event_type = 'model_created' AND model = 'compas-risk')
GROUP BY 1 ORDER BY 1;

\echo '-- what a recorded COMPAS decision may keep of its inputs: priors and charge degree as given,'
\echo '   the defendant id pseudonymised (keyed HMAC-SHA-256); anything not listed is dropped'
INSERT INTO ethaudit.privacy_policies (model, field, action, note) VALUES
    ('compas-risk', 'priors_count', 'keep', 'explains the score'),
    ('compas-risk', 'c_charge_degree', 'keep', 'explains the score'),
    ('compas-risk', 'defendant_id', 'pseudonymise', 'links the decisions about one person');
\echo '-- a decision of version v1 with its explanation and the controls applied; the note is masked'
SELECT ethaudit.record_decision('compas-risk', 'refer to pre-trial review',
           inputs => jsonb_build_object('defendant_id', id, 'sex', sex, 'age', age, 'race', race,
                                        'priors_count', priors_count, 'c_charge_degree', c_charge_degree),
           explanation => jsonb_build_object('decile_score', decile_score, 'top_factors', '["priors_count", "age"]'::jsonb),
           controls => '{human_review,second_opinion}', version => 'v1', subject => id::text,
           note => 'Duty officer called the defence at 020 7946 0958, see case@courts.example.org') AS decision_id
FROM compas WHERE id = 3 \gset
SELECT actor, model, version, event_type, jsonb_pretty(details) AS details
FROM ethaudit.audit_log WHERE event_id = :'decision_id';
\echo '-- the pseudonym is stable, so the decisions about defendant 3 are found without storing the id'
SELECT count(*) AS decisions_about_defendant_3 FROM ethaudit.audit_log
WHERE event_type = 'decision' AND details->>'subject' = ethaudit.pseudonymise('3');

\echo '-- the chain verifies; its head is what to export elsewhere, so that a later verification'
\echo '   proves the log was not rewritten since'
SELECT valid, events_checked, checkpoints, problem FROM ethaudit.verify_audit_log();
\echo '-- every result of every run above is committed to the log; none was changed or forged'
SELECT valid, results_checked, results_changed, results_unrecorded FROM ethaudit.verify_results();
SELECT seq, row_hash FROM ethaudit.audit_head();
\echo '-- the log cannot be edited, not even by a superuser:'
DO $$
BEGIN
    UPDATE ethaudit.audit_log SET details = '{}' WHERE event_id = (SELECT max(event_id::text)::uuid FROM ethaudit.audit_log);
EXCEPTION WHEN insufficient_privilege THEN
    RAISE WARNING 'refused (%): %', SQLSTATE, SQLERRM;
END
$$;
\echo '-- least privilege: SELECT * FROM ethaudit.create_roles(); creates NOLOGIN roles for the auditor,'
\echo '   the writer, the admin and the model owners when asked; teams then see only their models'' evidence'
