-- Every aggregate as a window function: each sliding or growing frame equals
-- the aggregate recomputed over exactly that frame's rows.
CREATE TABLE win_log AS
SELECT g AS id,
       (g % 3)::text AS grp,
       ((g * 7919) % 1009) / 1008.0::float8 AS score,
       (g * 104729) % 5 < 2 AS label,
       ((g * 31) % 101)::float8 / 7 AS feature,
       (g / 20) % 2 = 0 AS is_ref,
       'c' || (g % 7)::text AS category
FROM generate_series(1, 400) g;

CREATE FUNCTION pg_temp.recompute(lo int, hi int)
RETURNS TABLE (psi float8, js float8, ks float8, kst ethaudit.ks_result, psi_text float8,
               js_text float8, ece float8, tpr_gap float8, fpr float8, psi_ev float8,
               wasserstein float8, auc float8, brier float8, chi2 ethaudit.chi2_result,
               report ethaudit.group_metrics[], cal ethaudit.group_calibration[], kl float8)
LANGUAGE sql STABLE AS $$
    SELECT ethaudit.psi(feature, is_ref), ethaudit.js_divergence(feature, is_ref),
           ethaudit.ks_stat(feature, is_ref), ethaudit.ks_test(feature, is_ref),
           ethaudit.psi(category, is_ref), ethaudit.js_divergence(category, is_ref),
           ethaudit.ece(label, score, 5), ethaudit.group_tpr_gap(label, score > 0.5, grp),
           ethaudit.false_positive_rate(label, score > 0.5),
           ethaudit.psi(feature, is_ref, 'evidently'),
           ethaudit.wasserstein(feature, is_ref), ethaudit.roc_auc(label, score),
           ethaudit.brier_score(label, score), ethaudit.chi2_test(category, is_ref),
           ethaudit.group_report(label, score > 0.5, grp), ethaudit.calibration_by_group(label, score, grp),
           ethaudit.kl_divergence(category, is_ref)
    FROM win_log WHERE id BETWEEN lo AND hi
$$;

-- a sliding frame of 50 rows
SELECT count(*) AS frames,
       count(*) FILTER (WHERE w.psi IS DISTINCT FROM r.psi) AS psi_mismatch,
       count(*) FILTER (WHERE w.js IS DISTINCT FROM r.js) AS js_mismatch,
       count(*) FILTER (WHERE w.ks IS DISTINCT FROM r.ks) AS ks_mismatch,
       count(*) FILTER (WHERE w.kst IS DISTINCT FROM r.kst) AS ks_test_mismatch,
       count(*) FILTER (WHERE w.psi_text IS DISTINCT FROM r.psi_text) AS psi_text_mismatch,
       count(*) FILTER (WHERE w.js_text IS DISTINCT FROM r.js_text) AS js_text_mismatch,
       count(*) FILTER (WHERE w.ece IS DISTINCT FROM r.ece) AS ece_mismatch,
       count(*) FILTER (WHERE w.tpr_gap IS DISTINCT FROM r.tpr_gap) AS tpr_gap_mismatch,
       count(*) FILTER (WHERE w.fpr IS DISTINCT FROM r.fpr) AS fpr_mismatch,
       count(*) FILTER (WHERE w.psi_ev IS DISTINCT FROM r.psi_ev) AS psi_ev_mismatch,
       count(*) FILTER (WHERE w.wasserstein IS DISTINCT FROM r.wasserstein) AS wasserstein_mismatch,
       count(*) FILTER (WHERE w.auc IS DISTINCT FROM r.auc) AS auc_mismatch,
       count(*) FILTER (WHERE w.brier IS DISTINCT FROM r.brier) AS brier_mismatch,
       count(*) FILTER (WHERE w.chi2 IS DISTINCT FROM r.chi2) AS chi2_mismatch,
       count(*) FILTER (WHERE w.report IS DISTINCT FROM r.report) AS report_mismatch,
       count(*) FILTER (WHERE w.cal IS DISTINCT FROM r.cal) AS cal_mismatch,
       count(*) FILTER (WHERE w.kl IS DISTINCT FROM r.kl) AS kl_mismatch,
       count(*) FILTER (WHERE w.psi IS NULL) AS frames_without_both_samples
FROM (SELECT id,
             ethaudit.psi(feature, is_ref) OVER f AS psi,
             ethaudit.js_divergence(feature, is_ref) OVER f AS js,
             ethaudit.ks_stat(feature, is_ref) OVER f AS ks,
             ethaudit.ks_test(feature, is_ref) OVER f AS kst,
             ethaudit.psi(category, is_ref) OVER f AS psi_text,
             ethaudit.js_divergence(category, is_ref) OVER f AS js_text,
             ethaudit.ece(label, score, 5) OVER f AS ece,
             ethaudit.group_tpr_gap(label, score > 0.5, grp) OVER f AS tpr_gap,
             ethaudit.false_positive_rate(label, score > 0.5) OVER f AS fpr,
             ethaudit.psi(feature, is_ref, 'evidently') OVER f AS psi_ev,
             ethaudit.wasserstein(feature, is_ref) OVER f AS wasserstein,
             ethaudit.roc_auc(label, score) OVER f AS auc,
             ethaudit.brier_score(label, score) OVER f AS brier,
             ethaudit.chi2_test(category, is_ref) OVER f AS chi2,
             ethaudit.group_report(label, score > 0.5, grp) OVER f AS report,
             ethaudit.calibration_by_group(label, score, grp) OVER f AS cal,
             ethaudit.kl_divergence(category, is_ref) OVER f AS kl
      FROM win_log
      WINDOW f AS (ORDER BY id ROWS BETWEEN 49 PRECEDING AND CURRENT ROW)) w,
     LATERAL pg_temp.recompute(w.id - 49, w.id) r;

-- a growing frame (running totals): the final function runs once per row on
-- a state that keeps growing
SELECT count(*) AS frames,
       count(*) FILTER (WHERE w.psi IS DISTINCT FROM r.psi) AS psi_mismatch,
       count(*) FILTER (WHERE w.ks IS DISTINCT FROM r.ks) AS ks_mismatch,
       count(*) FILTER (WHERE w.kst IS DISTINCT FROM r.kst) AS ks_test_mismatch,
       count(*) FILTER (WHERE w.psi_text IS DISTINCT FROM r.psi_text) AS psi_text_mismatch,
       count(*) FILTER (WHERE w.ece IS DISTINCT FROM r.ece) AS ece_mismatch,
       count(*) FILTER (WHERE w.tpr_gap IS DISTINCT FROM r.tpr_gap) AS tpr_gap_mismatch,
       count(*) FILTER (WHERE w.psi_ev IS DISTINCT FROM r.psi_ev) AS psi_ev_mismatch
FROM (SELECT id,
             ethaudit.psi(feature, is_ref) OVER f AS psi,
             ethaudit.ks_stat(feature, is_ref) OVER f AS ks,
             ethaudit.ks_test(feature, is_ref) OVER f AS kst,
             ethaudit.psi(category, is_ref) OVER f AS psi_text,
             ethaudit.ece(label, score, 5) OVER f AS ece,
             ethaudit.group_tpr_gap(label, score > 0.5, grp) OVER f AS tpr_gap,
             ethaudit.psi(feature, is_ref, 'evidently') OVER f AS psi_ev
      FROM win_log
      WINDOW f AS (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)) w,
     LATERAL pg_temp.recompute(1, w.id) r;

-- partitions: one frame per group
SELECT DISTINCT grp,
       ethaudit.ece(label, score) OVER (PARTITION BY grp)
         = (SELECT ethaudit.ece(label, score) FROM win_log w2 WHERE w2.grp = w.grp) AS same
FROM win_log w ORDER BY grp;

DROP TABLE win_log;
