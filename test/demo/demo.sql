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

\echo '== 7. A sliding window: calibration over the last 500 screenings, every 1000th row'
SELECT compas_screening_date, round(ece_500::numeric, 4) AS ece_last_500
FROM (SELECT compas_screening_date, row_number() OVER w AS rn,
             ethaudit.ece(two_year_recid = 1, decile_score / 10.0)
                 OVER (w ROWS BETWEEN 499 PRECEDING AND CURRENT ROW) AS ece_500
      FROM compas WINDOW w AS (ORDER BY compas_screening_date, id)) s
WHERE rn % 1000 = 0 ORDER BY compas_screening_date;
