-- The wider metric family against independent values: scikit-learn,
-- scipy, statsmodels (Wilson intervals) and Fairlearn's published COMPAS
-- numbers; values from test/reference/reference_values.py unless noted.
SET extra_float_digits = 0;

CREATE TABLE compas (
    id int, compas_screening_date date, sex text, age int, age_cat text, race text,
    juv_fel_count int, juv_misd_count int, juv_other_count int, priors_count int,
    days_b_screening_arrest int, c_charge_degree text, is_recid int, is_violent_recid int,
    decile_score int, score_text text, v_decile_score int, v_score_text text,
    two_year_recid int
);
\copy compas FROM 'test/data/compas/compas-minimal.csv' WITH (FORMAT csv, HEADER true)

-- fairness, Black vs White, decile_score >= 5 (Fairlearn: 0.2139249558,
-- 0.2402002032, 0.5916375570)
SELECT regress.near(ethaudit.equalized_odds_gap(two_year_recid = 1, decile_score >= 5, race),
                    0.21392495582112797) AS equalized_odds_ok,
       regress.near(ethaudit.group_fpr_gap(two_year_recid = 1, decile_score >= 5, race),
                    0.21392495582112797) AS fpr_gap_ok,
       regress.near(ethaudit.selection_rate_gap(decile_score >= 5, race), 0.2402002032197631) AS dp_difference_ok,
       regress.near(ethaudit.selection_rate_ratio(decile_score >= 5, race), 0.5916375569916079) AS dp_ratio_ok
FROM compas WHERE race IN ('African-American', 'Caucasian');

-- minimum group sizes, all six races: Asian has 23 negatives and 9
-- positives, Native American 8 and 10, so at 50 only the four larger groups
-- count (rates from the per-group counts, computed outside the database)
SELECT regress.near(ethaudit.group_fpr_gap(two_year_recid = 1, decile_score >= 5, race),
                    0.3615114448346857) AS fpr_gap_all_groups,
       regress.near(ethaudit.group_fpr_gap(two_year_recid = 1, decile_score >= 5, race, 50),
                    0.3009269829672588) AS fpr_gap_min_negatives_50,
       regress.near(ethaudit.equalized_odds_gap(two_year_recid = 1, decile_score >= 5, race),
                    0.5766917293233083) AS equalized_odds_all_groups,
       regress.near(ethaudit.equalized_odds_gap(two_year_recid = 1, decile_score >= 5, race, 50),
                    0.39683902022283485) AS equalized_odds_min_size_50,
       ethaudit.group_fpr_gap(two_year_recid = 1, decile_score >= 5, race, 1)
       = ethaudit.group_fpr_gap(two_year_recid = 1, decile_score >= 5, race) AS min_one_is_the_default,
       ethaudit.group_fpr_gap(two_year_recid = 1, decile_score >= 5, race, 100000) AS no_group_large_enough
FROM compas;
SELECT regress.error_of($$SELECT ethaudit.group_fpr_gap(true, true, 'a', 0)$$) AS min_negatives_zero,
       regress.error_of($$SELECT ethaudit.equalized_odds_gap(true, true, 'a', -1)$$) AS min_size_negative;
-- the ECE gap over groups of at least min_size rows (Native American has
-- 18 rows, Asian 32: at 50 four groups count, at 1000 two; exact rational
-- values from test/reference/exact_values.py)
SELECT regress.near(ethaudit.ece_gap(two_year_recid = 1, decile_score / 10.0, race, 10, 50),
                    0.040994806799906344) AS ece_gap_min_size_50,
       regress.near(ethaudit.ece_gap(two_year_recid = 1, decile_score / 10.0, race, NULL, 1000),
                    0.024449150075678192) AS ece_gap_min_size_1000_default_bins,
       ethaudit.ece_gap(two_year_recid = 1, decile_score / 10.0, race, 10, 1)
       = ethaudit.ece_gap(two_year_recid = 1, decile_score / 10.0, race) AS min_one_is_the_default,
       ethaudit.ece_gap(two_year_recid = 1, decile_score / 10.0, race, 10, 5000) AS one_group_left_no_gap
FROM compas;
SELECT regress.error_of($$SELECT ethaudit.ece_gap(true, 0.5, 'a', 10, 0)$$) AS ece_gap_min_size_zero,
       regress.error_of($$SELECT ethaudit.ece_gap(y, 0.5, 'a', 10, m)
                           FROM (VALUES (true, 1), (false, 2)) t(y, m)$$) AS ece_gap_min_size_varies;

-- intersectional groups: any expression is a group
SELECT round(ethaudit.selection_rate_gap(decile_score >= 5, race || '/' || sex)::numeric, 6) AS race_sex_gap,
       round(ethaudit.selection_rate_ratio(decile_score >= 5, race || '/' || sex)::numeric, 6) AS race_sex_ratio
FROM compas WHERE race IN ('African-American', 'Caucasian');

-- the per-group report: counts, rates and Wilson 95% intervals
-- (statsmodels proportion_confint(method='wilson')); small groups flagged
SELECT r.grp, r.n, r.positives, r.negatives, round(r.tpr::numeric, 6) AS tpr,
       round(r.fpr::numeric, 6) AS fpr, round(r.selection_rate::numeric, 6) AS selection_rate,
       r.below_min_size
FROM (SELECT ethaudit.group_report(two_year_recid = 1, decile_score >= 5, race) AS rep FROM compas) s,
     unnest(s.rep) r;
SELECT r.grp,
       CASE r.grp WHEN 'African-American'
            THEN regress.near(r.tpr_low, 0.6995382702901879) AND regress.near(r.tpr_high, 0.7398683775041094)
            ELSE regress.near(r.tpr_low, 0.5958499732047614) AND regress.near(r.tpr_high, 0.982123786904927) END
           AS wilson_ok,
       r.tpr_low <= r.tpr AND r.tpr <= r.tpr_high AND r.fpr_low <= r.fpr AND r.fpr <= r.fpr_high
       AND r.fnr_low <= r.fnr AND r.fnr <= r.fnr_high AS intervals_contain_rates
FROM (SELECT ethaudit.group_report(two_year_recid = 1, decile_score >= 5, race, 20) AS rep FROM compas) s,
     unnest(s.rep) r
WHERE r.grp IN ('African-American', 'Native American') ORDER BY r.grp;
SELECT count(*) FILTER (WHERE r.below_min_size) AS groups_under_500
FROM (SELECT ethaudit.group_report(two_year_recid = 1, decile_score >= 5, race, 500) AS rep FROM compas) s,
     unnest(s.rep) r;

-- classification scores (sklearn precision/recall/f1/accuracy_score)
SELECT regress.near(ethaudit.precision_score(two_year_recid = 1, decile_score >= 5), 0.6135061802833887) AS precision_ok,
       regress.near(ethaudit.recall_score(two_year_recid = 1, decile_score >= 5), 0.6259612426945556) AS recall_ok,
       regress.near(ethaudit.f1_score(two_year_recid = 1, decile_score >= 5), 0.6196711327649209) AS f1_ok,
       regress.near(ethaudit.accuracy_score(two_year_recid = 1, decile_score >= 5), 0.6537288605489326) AS accuracy_ok,
       regress.near(ethaudit.selection_rate(decile_score >= 5), (SELECT avg((decile_score >= 5)::int) FROM compas)) AS selection_ok
FROM compas;

-- probabilistic scores (sklearn roc_auc_score, brier_score_loss, log_loss)
SELECT regress.near(ethaudit.roc_auc(two_year_recid = 1, decile_score), 0.7021662544019724) AS roc_auc_ok,
       regress.near(ethaudit.brier_score(two_year_recid = 1, decile_score / 10.0), 0.22946492930413087) AS brier_ok,
       regress.near(ethaudit.log_loss(two_year_recid = 1, decile_score / 10.0), 1.0635079062886483) AS log_loss_ok,
       regress.near(ethaudit.max_calibration_error(two_year_recid = 1, decile_score / 10.0), 0.22715404699738906) AS mce_ok,
       regress.near(ethaudit.ece_gap(two_year_recid = 1, decile_score / 10.0, race), 0.08982613420266239) AS ece_gap_ok
FROM compas;

-- regression errors (sklearn mean_absolute_error, sqrt of mean_squared_error)
SELECT regress.near(ethaudit.mae(priors_count, decile_score), 3.3024674244524537) AS mae_ok,
       regress.near(ethaudit.rmse(priors_count, decile_score), 4.574704136591136) AS rmse_ok
FROM compas;

-- calibration by group: each group's ECE equals ece() over that group alone
SELECT r.grp, r.n, round(r.ece::numeric, 10) AS ece, round(r.mce::numeric, 10) AS mce,
       r.ece = (SELECT ethaudit.ece(two_year_recid = 1, decile_score / 10.0) FROM compas c
                WHERE c.race = r.grp) AS same_as_ece
FROM (SELECT ethaudit.calibration_by_group(two_year_recid = 1, decile_score / 10.0, race) AS rep
      FROM compas) s, unnest(s.rep) r;

-- drift: scipy wasserstein_distance, chi2_contingency, Evidently's hellinger, scipy entropy
SELECT regress.near(ethaudit.wasserstein(priors_count, compas_screening_date < '2014-01-01'), 0.5621107746589669) AS wasserstein_ok,
       regress.near(ethaudit.hellinger(priors_count, compas_screening_date < '2014-01-01'), 0.04142768696993042) AS hellinger_ok,
       regress.near(ethaudit.kl_divergence(priors_count, compas_screening_date < '2014-01-01'), 0.006666296507033095) AS kl_ok,
       regress.near(ethaudit.hellinger(priors_count, compas_screening_date < '2014-01-01', 'evidently'), 0.06339812463154541) AS hellinger_ev_ok,
       regress.near(ethaudit.kl_divergence(priors_count, compas_screening_date < '2014-01-01', 'evidently'), 0.011348478916379991) AS kl_ev_ok,
       regress.near(ethaudit.hellinger(race, compas_screening_date < '2014-01-01'), 0.018778696306041287) AS hellinger_text_ok,
       regress.near(ethaudit.kl_divergence(race, compas_screening_date < '2014-01-01'), 0.0014475575515331329) AS kl_text_ok
FROM compas;
-- Evidently's normed Wasserstein distance: W1 / max(np.std(reference), 0.001);
-- the reference value from exact rational arithmetic (W1 and the variance)
SELECT regress.near(ethaudit.wasserstein_normed(priors_count, compas_screening_date < '2014-01-01'),
                    0.12172525546607818, 1e-12) AS wasserstein_normed_ok,
       ethaudit.wasserstein_normed(priors_count, compas_screening_date < '2014-01-01') >= 0.1 AS drift_at_evidently_threshold
FROM compas;

SELECT regress.near(t.statistic, 4.067909673578672) AS chi2_ok, regress.near(t.p_value, 0.5396806697935246) AS p_ok,
       t.dof, t.n_reference, t.n_current
FROM (SELECT (ethaudit.chi2_test(race, compas_screening_date < '2014-01-01')).* FROM compas) t;
-- one degree of freedom: Yates' correction, as scipy applies it
SELECT regress.near(t.statistic, 0.5281532729867202) AS chi2_yates_ok, regress.near(t.p_value, 0.4673842982328795) AS p_ok, t.dof
FROM (SELECT (ethaudit.chi2_test(race, compas_screening_date < '2014-01-01')).* FROM compas
      WHERE race IN ('African-American', 'Caucasian')) t;

-- data quality
SELECT regress.near(ethaudit.null_rate_change(days_b_screening_arrest, compas_screening_date < '2014-01-01'),
                    -0.020467634677538572) AS null_rate_change_ok,
       (ethaudit.unseen_categories(race, compas_screening_date < '2014-01-01')).*
FROM compas;

-- integer 0/1 labels and predictions, as they are stored (COMPAS's
-- two_year_recid is an integer): every form equals the boolean one
SELECT ethaudit.accuracy_score(two_year_recid, decile_score >= 5)
       = ethaudit.accuracy_score(two_year_recid = 1, decile_score >= 5) AS accuracy_int_label,
       ethaudit.f1_score(two_year_recid = 1, (decile_score >= 5)::int)
       = ethaudit.f1_score(two_year_recid = 1, decile_score >= 5) AS f1_int_prediction,
       ethaudit.recall_score(two_year_recid::smallint, (decile_score >= 5)::int::bigint)
       = ethaudit.recall_score(two_year_recid = 1, decile_score >= 5) AS recall_smallint_bigint,
       ethaudit.ece(two_year_recid, decile_score / 10.0)
       = ethaudit.ece(two_year_recid = 1, decile_score / 10.0) AS ece_int,
       ethaudit.roc_auc(two_year_recid, decile_score) = ethaudit.roc_auc(two_year_recid = 1, decile_score) AS auc_int,
       ethaudit.brier_score(two_year_recid, decile_score / 10.0)
       = ethaudit.brier_score(two_year_recid = 1, decile_score / 10.0) AS brier_int,
       ethaudit.log_loss(two_year_recid, decile_score / 10.0)
       = ethaudit.log_loss(two_year_recid = 1, decile_score / 10.0) AS log_loss_int,
       ethaudit.group_tpr_gap(two_year_recid, (decile_score >= 5)::int, race, 30)
       = ethaudit.group_tpr_gap(two_year_recid = 1, decile_score >= 5, race, 30) AS tpr_gap_int,
       ethaudit.group_report(two_year_recid, decile_score >= 5, race)
       = ethaudit.group_report(two_year_recid = 1, decile_score >= 5, race) AS report_int,
       ethaudit.selection_rate_ratio((decile_score >= 5)::int, race)
       = ethaudit.selection_rate_ratio(decile_score >= 5, race) AS selection_ratio_int,
       ethaudit.ece_gap(two_year_recid, decile_score / 10.0, race, 10, 50)
       = ethaudit.ece_gap(two_year_recid = 1, decile_score / 10.0, race, 10, 50) AS ece_gap_int,
       ethaudit.calibration_by_group(two_year_recid, decile_score / 10.0, race)
       = ethaudit.calibration_by_group(two_year_recid = 1, decile_score / 10.0, race) AS by_group_int
FROM compas;
-- over sliding frames too (the inverse transitions)
SELECT bool_and(a IS NOT DISTINCT FROM b) AS moving_frames_equal
FROM (SELECT ethaudit.false_positive_rate(two_year_recid, decile_score >= 5)
             OVER (ORDER BY id ROWS BETWEEN 99 PRECEDING AND CURRENT ROW) AS a,
             ethaudit.false_positive_rate(two_year_recid = 1, decile_score >= 5)
             OVER (ORDER BY id ROWS BETWEEN 99 PRECEDING AND CURRENT ROW) AS b
      FROM compas) w;
-- NULL is skipped as for booleans; another value is refused with it
SELECT ethaudit.accuracy_score(y, p) AS null_label_skipped
FROM (VALUES (1, true), (NULL::int, false), (0, false)) t(y, p);
SELECT regress.error_of($$SELECT ethaudit.accuracy_score(y, true) FROM (VALUES (1), (2)) t(y)$$) AS label_two,
       regress.error_of($$SELECT ethaudit.ece(-1::bigint, 0.5)$$) AS label_minus_one,
       regress.error_of($$SELECT ethaudit.selection_rate_gap(p, 'a') FROM (VALUES (0), (7)) t(p)$$) AS prediction_seven;

DROP TABLE compas;

-- documented examples: scipy wasserstein_distance([0, 1, 3], [5, 6, 8]) = 5,
-- sklearn roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) = 0.75
SELECT ethaudit.wasserstein(v, r) AS wasserstein_5
FROM (VALUES (0::float8, true), (1, true), (3, true), (5, false), (6, false), (8, false)) t(v, r);
-- normed: 5 / std([0, 1, 3]) = 5 / sqrt(14/9)
SELECT regress.near(ethaudit.wasserstein_normed(v, r), 4.0089186286863665, 1e-15) AS wasserstein_normed_example
FROM (VALUES (0::float8, true), (1, true), (3, true), (5, false), (6, false), (8, false)) t(v, r);
-- a constant reference has deviation 0, floored at 0.001; an infinite one
-- has no deviation (NaN, as numpy gives); NaN values are skipped; no
-- current rows: NULL
SELECT ethaudit.wasserstein_normed(v, r) AS floored_500
FROM (VALUES (2::float8, true), (2, true), (2, true), (2, false), (3, false)) t(v, r);
SELECT ethaudit.wasserstein_normed(v, r) AS infinite_reference
FROM (VALUES (2::float8, true), ('Infinity', true), (2, false), (3, false)) t(v, r);
SELECT ethaudit.wasserstein_normed(v, r) = ethaudit.wasserstein_normed(v, r) FILTER (WHERE v <> 'NaN') AS nan_skipped
FROM (VALUES (0::float8, true), (1, true), (3, true), ('NaN', true), (5, false), ('NaN', false), (8, false)) t(v, r);
SELECT ethaudit.wasserstein_normed(v, r) AS no_current_rows
FROM (VALUES (0::float8, true), (1, true)) t(v, r);
SELECT ethaudit.roc_auc(y, s) AS roc_auc_075
FROM (VALUES (false, 0.1::float8), (false, 0.4), (true, 0.35), (true, 0.8)) t(y, s);
-- ties count half: every score equal gives 0.5
SELECT ethaudit.roc_auc(g % 2 = 0, 1.0) AS all_tied FROM generate_series(1, 10) g;
-- one class only: NULL, as the AUC is undefined
SELECT ethaudit.roc_auc(true, g::float8) AS one_class FROM generate_series(1, 10) g;

-- unseen categories
SELECT (ethaudit.unseen_categories(v, r)).*
FROM (VALUES ('a', true), ('b', true), ('a', false), ('c', false), ('c', false), ('d', false)) t(v, r);

-- NULL is what null_rate_change counts: 1 of 4 reference, 2 of 4 current rows
SELECT ethaudit.null_rate_change(v, r) AS change
FROM (VALUES (1, true), (NULL, true), (3, true), (4, true),
             (NULL, false), (NULL, false), (7, false), (8, false), (9, NULL)) t(v, r);
SELECT ethaudit.null_rate_change(v, r) AS text_values
FROM (VALUES ('x', true), (NULL, false)) t(v, r);

-- bad input
SELECT regress.error_of('SELECT ethaudit.brier_score(true, 1.5)') AS brier_out_of_range;
SELECT regress.error_of($$SELECT ethaudit.log_loss(false, 'NaN')$$) AS log_loss_nan;
SELECT regress.error_of($$SELECT ethaudit.mae(1.0, 'Infinity')$$) AS mae_infinite;
SELECT regress.error_of($$SELECT ethaudit.calibration_by_group(true, -0.5, 'g')$$) AS by_group_out_of_range;
SELECT regress.error_of('SELECT ethaudit.group_report(true, true, ''g'', 0)') AS min_size_0;
SELECT regress.error_of('SELECT ethaudit.ece_gap(true, 0.5, ''g'', 0)') AS ece_gap_bins_0;

-- log loss clips probabilities 0 and 1 to [eps, 1 - eps] (sklearn 1.2)
SELECT round(ethaudit.log_loss(y, p)::numeric, 6) AS clipped
FROM (VALUES (true, 0.0::float8), (false, 1.0)) t(y, p);

-- undefined results are NULL: no rows, a single group, no positive predictions
SELECT ethaudit.brier_score(y, p) AS no_rows, ethaudit.mae(p, p) AS mae_no_rows
FROM (VALUES (true, 0.5::float8)) t(y, p) WHERE false;
SELECT ethaudit.selection_rate_ratio(false, g::text) AS nobody_selected,
       ethaudit.precision_score(g > 5, false) AS no_predicted_positive,
       ethaudit.equalized_odds_gap(g > 5, g > 3, 'one group') AS one_group
FROM generate_series(1, 10) g;

