-- Real data: ProPublica's COMPAS table and the UCI bike-sharing drift of
-- 2011 vs 2012, against the published numbers (test/data/*/SOURCE.md) and
-- numpy/scipy/sklearn values (test/reference/reference_values.py).
SET extra_float_digits = 0;

CREATE TABLE compas (
    id int, compas_screening_date date, sex text, age int, age_cat text, race text,
    juv_fel_count int, juv_misd_count int, juv_other_count int, priors_count int,
    days_b_screening_arrest int, c_charge_degree text, is_recid int, is_violent_recid int,
    decile_score int, score_text text, v_decile_score int, v_score_text text,
    two_year_recid int
);
\copy compas FROM 'test/data/compas/compas-minimal.csv' WITH (FORMAT csv, HEADER true)

CREATE TABLE bike (
    instant int, dteday date, season int, yr int, mnth int, hr int, holiday int, weekday int,
    workingday int, weathersit int, temp float8, atemp float8, hum float8, windspeed float8,
    casual int, registered int, cnt int
);
\copy bike FROM 'test/data/bike_sharing/hour.csv' WITH (FORMAT csv, HEADER true)

SELECT count(*) AS compas_rows FROM compas;
SELECT count(*) AS bike_rows FROM bike;

-- ProPublica: FPR 44.85% / 23.45%, FNR 27.99% / 47.72% (decile_score >= 5)
SELECT race, count(*) AS n,
       round(100 * ethaudit.false_positive_rate(two_year_recid = 1, decile_score >= 5)::numeric, 2) AS fpr_pct,
       round(100 * ethaudit.false_negative_rate(two_year_recid = 1, decile_score >= 5)::numeric, 2) AS fnr_pct
FROM compas WHERE race IN ('African-American', 'Caucasian')
GROUP BY race ORDER BY race;

SELECT race,
       regress.near(ethaudit.true_positive_rate(two_year_recid = 1, decile_score >= 5),
                    CASE race WHEN 'African-American' THEN 0.7201472908995266 ELSE 0.5227743271221532 END) AS tpr_ok,
       regress.near(ethaudit.false_positive_rate(two_year_recid = 1, decile_score >= 5),
                    CASE race WHEN 'African-American' THEN 0.44846796657381616 ELSE 0.23454301075268819 END) AS fpr_ok,
       regress.near(ethaudit.false_negative_rate(two_year_recid = 1, decile_score >= 5),
                    CASE race WHEN 'African-American' THEN 0.27985270910047344 ELSE 0.4772256728778468 END) AS fnr_ok
FROM compas WHERE race IN ('African-American', 'Caucasian')
GROUP BY race ORDER BY race;

-- the TPR gap, Black vs White (Fairlearn: 0.1973729638) and over all races
SELECT regress.near(ethaudit.group_tpr_gap(two_year_recid = 1, decile_score >= 5, race),
                    0.19737296377737334) AS tpr_gap_black_white_ok
FROM compas WHERE race IN ('African-American', 'Caucasian');
SELECT regress.near(ethaudit.group_tpr_gap(two_year_recid = 1, decile_score >= 5, race),
                    0.5766917293233083) AS tpr_gap_all_races_ok,
       regress.near(ethaudit.group_tpr_gap(two_year_recid = 1, decile_score >= 5, race, 11),
                    0.7201472908995266 - 0.3233082706766917) AS tpr_gap_min_11_positives_ok
FROM compas;

-- calibration of decile_score / 10 as a probability (sklearn calibration_curve)
SELECT regress.near(ethaudit.ece(two_year_recid = 1, decile_score / 10.0), 0.09792070973107875) AS ece_ok,
       regress.near(ethaudit.ece(two_year_recid = 1, decile_score / 10.0, 5), 0.09792070973107966) AS ece_5_ok,
       regress.near(ethaudit.ece(two_year_recid = 1, decile_score / 10.0, 20), 0.09792070973107875) AS ece_20_ok
FROM compas;

-- drift of the race mix and of priors_count, 2013 vs 2014 screenings
SELECT regress.near(ethaudit.psi(race, compas_screening_date < '2014-01-01'), 0.0028236631567233428) AS psi_race_ok,
       regress.near(ethaudit.js_divergence(race, compas_screening_date < '2014-01-01'), 0.000508294324697657) AS js_race_ok,
       regress.near(ethaudit.ks_stat(priors_count, compas_screening_date < '2014-01-01'), 0.036164434387784716) AS ks_priors_ok,
       regress.near((ethaudit.ks_test(priors_count, compas_screening_date < '2014-01-01')).p_value, 0.039598203985285574, 1e-12) AS ks_p_priors_ok,
       regress.near(ethaudit.psi(priors_count, compas_screening_date < '2014-01-01'), 0.013747896029026933) AS psi_priors_ok,
       regress.near(ethaudit.psi(priors_count, compas_screening_date < '2014-01-01', 'evidently'), 0.026988292647363864) AS psi_ev_priors_ok,
       regress.near(ethaudit.js_divergence(priors_count, compas_screening_date < '2014-01-01', 'evidently'), 0.004941608993710865) AS js_ev_priors_ok
FROM compas;

-- bike sharing 2011 (reference) vs 2012: SOURCE.md's Evidently/scipy table
CREATE TEMP TABLE bike_expected (col text, ks_d float8, ks_p float8, psi_default float8,
    psi_20 float8, js_default float8, psi_evidently float8, js_evidently float8);
INSERT INTO bike_expected VALUES
 ('temp', 0.05462317081036424, 1.0418211829037938e-11, 0.04325160541542649, 0.04799534308783049,
  0.007684190806148604, 0.03916251039036615, 0.0069017524785447435),
 ('hum', 0.0650788029417223, 1.9230392518449898e-16, 0.06346949465923946, 0.08046645124334312,
  0.011185777919009278, 0.08160720518202647, 0.014214930976984041),
 ('cnt', 0.2164736099112342, 3.190188142927003e-179, 0.2444645203615734, 0.2937605090187174,
  0.043087622631659904, 0.45666000113938643, 0.06197507839498508),
 ('windspeed', 0.01924107974750955, 0.07909958727316879, 0.003903385515814964, 0.0046997507393311275,
  0.0007037680262703288, 0.0053751656665629345, 0.0011732328807215764);

SELECT e.col,
       regress.near((m.kst).statistic, e.ks_d) AS ks_d_ok,
       regress.near((m.kst).p_value / e.ks_p, 1.0) AND regress.near((m.kst).p_value, e.ks_p, 1e-6) AS ks_p_ok,
       (m.kst).n_reference, (m.kst).n_current,
       regress.near(m.psi, e.psi_default) AS psi_ok,
       regress.near(m.psi20, e.psi_20) AS psi_20_ok,
       regress.near(m.js, e.js_default) AS js_ok,
       regress.near(m.psi_ev, e.psi_evidently) AS psi_evidently_ok,
       regress.near(m.js_ev, e.js_evidently) AS js_evidently_ok,
       round(sqrt(m.js_ev * ln(2))::numeric, 10) AS js_distance_natural_log,
       round(sqrt(m.js_ev)::numeric, 10) AS js_distance_base_2
FROM bike_expected e,
     LATERAL (SELECT ethaudit.ks_test(v, yr = 0) AS kst, ethaudit.psi(v, yr = 0) AS psi,
                     ethaudit.psi(v, yr = 0, 20) AS psi20, ethaudit.js_divergence(v, yr = 0) AS js,
                     ethaudit.psi(v, yr = 0, 'evidently') AS psi_ev,
                     ethaudit.js_divergence(v, yr = 0, 'evidently') AS js_ev
              FROM (SELECT yr, CASE e.col WHEN 'temp' THEN temp WHEN 'hum' THEN hum
                                          WHEN 'cnt' THEN cnt WHEN 'windspeed' THEN windspeed END AS v
                    FROM bike) b) m
ORDER BY e.col;

DROP TABLE compas, bike;
