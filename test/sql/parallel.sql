-- Every aggregate under a forced parallel plan (partial aggregates in
-- workers, states serialized, combined in the leader) equals the serial run.
SET extra_float_digits = 0;

CREATE TABLE par_log AS
SELECT g AS id,
       (g % 5)::text AS grp,
       ((g::bigint * 7919) % 10007) / 10006.0::float8 AS score,
       (g::bigint * 104729) % 3 = 0 AS label,
       CASE WHEN g % 997 = 0 THEN 'NaN'::float8 ELSE ((g::bigint * 31) % 1009)::float8 / 7 END AS feature,
       g % 4 = 0 AS is_ref,
       'c' || (g % 13)::text AS category
FROM generate_series(1, 200000) g;
ANALYZE par_log;

CREATE TEMP TABLE serial_results AS
SELECT ethaudit.psi(feature, is_ref) AS psi,
       ethaudit.psi(feature, is_ref, 'evidently') AS psi_ev,
       ethaudit.js_divergence(feature, is_ref, 20) AS js,
       ethaudit.ks_stat(feature, is_ref) AS ks,
       ethaudit.ks_test(feature, is_ref) AS kst,
       ethaudit.psi(category, is_ref) AS psi_text,
       ethaudit.js_divergence(category, is_ref) AS js_text,
       ethaudit.ece(label, score) AS ece,
       ethaudit.group_tpr_gap(label, score > 0.5, grp) AS tpr_gap,
       ethaudit.false_positive_rate(label, score > 0.5) AS fpr,
       ethaudit.hellinger(feature, is_ref) AS hellinger,
       ethaudit.kl_divergence(feature, is_ref, 'evidently') AS kl,
       ethaudit.wasserstein(feature, is_ref) AS wasserstein,
       ethaudit.chi2_test(category, is_ref) AS chi2,
       ethaudit.unseen_categories(category || (id % 1000 = 0)::text, is_ref) AS unseen,
       ethaudit.roc_auc(label, score) AS auc,
       ethaudit.brier_score(label, score) AS brier,
       ethaudit.log_loss(label, score) AS log_loss,
       ethaudit.mae(NULLIF(feature, 'NaN'), score * 100) AS mae,
       ethaudit.rmse(NULLIF(feature, 'NaN'), score * 100) AS rmse,
       ethaudit.max_calibration_error(label, score) AS mce,
       ethaudit.calibration_by_group(label, score, grp) AS cal_by_group,
       ethaudit.ece_gap(label, score, grp, 5) AS ece_gap,
       ethaudit.ece_gap(label, score, CASE WHEN id % 50 = 0 THEN 'rare' ELSE grp END, NULL, 5000) AS ece_gap_min,
       ethaudit.group_report(label, score > 0.5, grp) AS report,
       ethaudit.equalized_odds_gap(label, score > 0.5, grp) AS eo_gap,
       ethaudit.selection_rate_ratio(score > 0.7, grp) AS dp_ratio,
       ethaudit.f1_score(label, score > 0.5) AS f1,
       ethaudit.null_rate_change(CASE WHEN id % 7 = 0 THEN NULL ELSE id END, is_ref) AS null_change,
       ethaudit.drift_test(feature, is_ref) AS drift,
       ethaudit.drift_test(category, is_ref, 'psi') AS drift_text
FROM par_log;

SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;

EXPLAIN (COSTS OFF)
SELECT ethaudit.psi(feature, is_ref), ethaudit.ece(label, score) FROM par_log;

CREATE TEMP VIEW parallel_results AS
SELECT ethaudit.psi(feature, is_ref) AS psi,
       ethaudit.psi(feature, is_ref, 'evidently') AS psi_ev,
       ethaudit.js_divergence(feature, is_ref, 20) AS js,
       ethaudit.ks_stat(feature, is_ref) AS ks,
       ethaudit.ks_test(feature, is_ref) AS kst,
       ethaudit.psi(category, is_ref) AS psi_text,
       ethaudit.js_divergence(category, is_ref) AS js_text,
       ethaudit.ece(label, score) AS ece,
       ethaudit.group_tpr_gap(label, score > 0.5, grp) AS tpr_gap,
       ethaudit.false_positive_rate(label, score > 0.5) AS fpr,
       ethaudit.hellinger(feature, is_ref) AS hellinger,
       ethaudit.kl_divergence(feature, is_ref, 'evidently') AS kl,
       ethaudit.wasserstein(feature, is_ref) AS wasserstein,
       ethaudit.chi2_test(category, is_ref) AS chi2,
       ethaudit.unseen_categories(category || (id % 1000 = 0)::text, is_ref) AS unseen,
       ethaudit.roc_auc(label, score) AS auc,
       ethaudit.brier_score(label, score) AS brier,
       ethaudit.log_loss(label, score) AS log_loss,
       ethaudit.mae(NULLIF(feature, 'NaN'), score * 100) AS mae,
       ethaudit.rmse(NULLIF(feature, 'NaN'), score * 100) AS rmse,
       ethaudit.max_calibration_error(label, score) AS mce,
       ethaudit.calibration_by_group(label, score, grp) AS cal_by_group,
       ethaudit.ece_gap(label, score, grp, 5) AS ece_gap,
       ethaudit.ece_gap(label, score, CASE WHEN id % 50 = 0 THEN 'rare' ELSE grp END, NULL, 5000) AS ece_gap_min,
       ethaudit.group_report(label, score > 0.5, grp) AS report,
       ethaudit.equalized_odds_gap(label, score > 0.5, grp) AS eo_gap,
       ethaudit.selection_rate_ratio(score > 0.7, grp) AS dp_ratio,
       ethaudit.f1_score(label, score > 0.5) AS f1,
       ethaudit.null_rate_change(CASE WHEN id % 7 = 0 THEN NULL ELSE id END, is_ref) AS null_change,
       ethaudit.drift_test(feature, is_ref) AS drift,
       ethaudit.drift_test(category, is_ref, 'psi') AS drift_text
FROM par_log;

-- the comparison itself runs with partial aggregates in the workers
EXPLAIN (COSTS OFF)
SELECT * FROM parallel_results p, serial_results s;

SELECT p.psi = s.psi AS psi, p.psi_ev = s.psi_ev AS psi_evidently, p.js = s.js AS js,
       p.ks = s.ks AS ks, p.kst = s.kst AS ks_test, p.psi_text = s.psi_text AS psi_text,
       p.js_text = s.js_text AS js_text, p.ece = s.ece AS ece, p.tpr_gap = s.tpr_gap AS tpr_gap,
       p.fpr = s.fpr AS fpr
FROM parallel_results p, serial_results s;

SELECT p.hellinger = s.hellinger AS hellinger, p.kl = s.kl AS kl, p.wasserstein = s.wasserstein AS wasserstein,
       p.chi2 = s.chi2 AS chi2, p.unseen = s.unseen AS unseen, p.auc = s.auc AS auc,
       p.mce = s.mce AS mce, p.cal_by_group = s.cal_by_group AS cal_by_group, p.ece_gap = s.ece_gap AS ece_gap,
       p.report = s.report AS report, p.eo_gap = s.eo_gap AS eo_gap, p.dp_ratio = s.dp_ratio AS dp_ratio,
       p.f1 = s.f1 AS f1, p.null_change = s.null_change AS null_change,
       p.ece_gap_min = s.ece_gap_min AS ece_gap_min_size
FROM parallel_results p, serial_results s;

-- drift_test: the whole result row, and that it tested what the serial run did
SELECT p.drift = s.drift AS drift_test, p.drift_text = s.drift_text AS drift_test_text,
       (s.drift).test AS test, (s.drift).nonfinite_reference + (s.drift).nonfinite_current AS nonfinite,
       (s.drift_text).test AS text_test
FROM parallel_results p, serial_results s;

-- the averaged losses use compensated sums: equal to 1e-15 relative
SELECT abs(p.brier - s.brier) <= 1e-15 * s.brier AS brier, abs(p.log_loss - s.log_loss) <= 1e-15 * s.log_loss AS log_loss,
       abs(p.mae - s.mae) <= 1e-15 * s.mae AS mae, abs(p.rmse - s.rmse) <= 1e-15 * s.rmse AS rmse
FROM parallel_results p, serial_results s;

-- states with different options never meet: each aggregate has its own
SELECT ethaudit.psi(feature, is_ref, 5) <> ethaudit.psi(feature, is_ref, 50) AS options_kept
FROM par_log;

DROP VIEW parallel_results;
DROP TABLE par_log;
