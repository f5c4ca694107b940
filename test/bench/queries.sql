-- The timed queries. {mid} is replaced by the ts midpoint literal, so
-- "is_ref" is the expression  ts < '<midpoint>'::timestamptz  : the first
-- half of the log (by time) is the reference, the second half the current
-- sample. Each query returns one row.

INSERT INTO bench.query (ord, name, kind, slow, sql) VALUES

(0, 'sum(score)', 'baseline', false,
$q$SELECT sum(score) FROM bench_log$q$),

-- the same columns as the metrics read, with PostgreSQL's cheapest aggregates:
-- what deforming those columns costs (feature is the last column, after text)
(1, 'sum(feature)', 'baseline', false,
$q$SELECT sum(feature) FROM bench_log$q$),

(2, 'count(*) FILTER (WHERE label AND score > 0.5), count(grp)', 'baseline', false,
$q$SELECT count(*) FILTER (WHERE label AND score > 0.5), count(grp) FROM bench_log$q$),

-- ---------------- ethaudit aggregates ----------------

(10, 'ece(label, score)', 'ethaudit', false,
$q$SELECT ethaudit.ece(label, score) FROM bench_log$q$),

(11, 'group_tpr_gap(label, score > 0.5, grp)', 'ethaudit', false,
$q$SELECT ethaudit.group_tpr_gap(label, score > 0.5, grp) FROM bench_log$q$),

(12, 'psi(feature, is_ref)', 'ethaudit', false,
$q$SELECT ethaudit.psi(feature, ts < {mid}) FROM bench_log$q$),

(13, 'js_divergence(feature, is_ref)', 'ethaudit', false,
$q$SELECT ethaudit.js_divergence(feature, ts < {mid}) FROM bench_log$q$),

(14, 'ks_stat(feature, is_ref)', 'ethaudit', false,
$q$SELECT ethaudit.ks_stat(feature, ts < {mid}) FROM bench_log$q$),

(15, 'ks_test(feature, is_ref)', 'ethaudit', false,
$q$SELECT ethaudit.ks_test(feature, ts < {mid}) FROM bench_log$q$),

(16, 'psi(grp, is_ref) (text)', 'ethaudit', false,
$q$SELECT ethaudit.psi(grp, ts < {mid}) FROM bench_log$q$),

-- ---------------- the wider metric family ----------------

(30, 'group_fpr_gap(label, score > 0.5, grp)', 'ethaudit', false,
$q$SELECT ethaudit.group_fpr_gap(label, score > 0.5, grp) FROM bench_log$q$),

(31, 'equalized_odds_gap(label, score > 0.5, grp)', 'ethaudit', false,
$q$SELECT ethaudit.equalized_odds_gap(label, score > 0.5, grp) FROM bench_log$q$),

(32, 'selection_rate_gap(score > 0.5, grp)', 'ethaudit', false,
$q$SELECT ethaudit.selection_rate_gap(score > 0.5, grp) FROM bench_log$q$),

(33, 'selection_rate_ratio(score > 0.5, grp)', 'ethaudit', false,
$q$SELECT ethaudit.selection_rate_ratio(score > 0.5, grp) FROM bench_log$q$),

(34, 'group_report(label, score > 0.5, grp)', 'ethaudit', false,
$q$SELECT cardinality(ethaudit.group_report(label, score > 0.5, grp)) FROM bench_log$q$),

(35, 'brier_score(label, score)', 'ethaudit', false,
$q$SELECT ethaudit.brier_score(label, score) FROM bench_log$q$),

(36, 'log_loss(label, score)', 'ethaudit', false,
$q$SELECT ethaudit.log_loss(label, score) FROM bench_log$q$),

(37, 'roc_auc(label, score)', 'ethaudit', false,
$q$SELECT ethaudit.roc_auc(label, score) FROM bench_log$q$),

(38, 'max_calibration_error(label, score)', 'ethaudit', false,
$q$SELECT ethaudit.max_calibration_error(label, score) FROM bench_log$q$),

(39, 'calibration_by_group(label, score, grp)', 'ethaudit', false,
$q$SELECT cardinality(ethaudit.calibration_by_group(label, score, grp)) FROM bench_log$q$),

(40, 'f1_score(label, score > 0.5)', 'ethaudit', false,
$q$SELECT ethaudit.f1_score(label, score > 0.5) FROM bench_log$q$),

(41, 'accuracy_score(label, score > 0.5)', 'ethaudit', false,
$q$SELECT ethaudit.accuracy_score(label, score > 0.5) FROM bench_log$q$),

(42, 'mae(label::int, score)', 'ethaudit', false,
$q$SELECT ethaudit.mae(label::int, score) FROM bench_log$q$),

(43, 'rmse(label::int, score)', 'ethaudit', false,
$q$SELECT ethaudit.rmse(label::int, score) FROM bench_log$q$),

(44, 'wasserstein(feature, is_ref)', 'ethaudit', false,
$q$SELECT ethaudit.wasserstein(feature, ts < {mid}) FROM bench_log$q$),

(45, 'hellinger(feature, is_ref)', 'ethaudit', false,
$q$SELECT ethaudit.hellinger(feature, ts < {mid}) FROM bench_log$q$),

(46, 'kl_divergence(feature, is_ref)', 'ethaudit', false,
$q$SELECT ethaudit.kl_divergence(feature, ts < {mid}) FROM bench_log$q$),

(47, 'chi2_test(grp, is_ref)', 'ethaudit', false,
$q$SELECT (ethaudit.chi2_test(grp, ts < {mid})).statistic FROM bench_log$q$),

(48, 'unseen_categories(grp, is_ref)', 'ethaudit', false,
$q$SELECT (ethaudit.unseen_categories(grp, ts < {mid})).unseen_rows FROM bench_log$q$),

(49, 'null_rate_change(feature, is_ref)', 'ethaudit', false,
$q$SELECT ethaudit.null_rate_change(feature, ts < {mid}) FROM bench_log$q$),

-- ---------------- against stored baselines (bench.ref), concrete states ----------------

(50, 'psi(feature, baseline)', 'ethaudit', false,
$q$SELECT ethaudit.psi(feature, (SELECT feature_b FROM bench.ref)) FROM bench_log$q$),

(51, 'js_divergence(feature, baseline)', 'ethaudit', false,
$q$SELECT ethaudit.js_divergence(feature, (SELECT feature_b FROM bench.ref)) FROM bench_log$q$),

(52, 'ks_stat(feature, baseline)', 'ethaudit', false,
$q$SELECT ethaudit.ks_stat(feature, (SELECT feature_b FROM bench.ref)) FROM bench_log$q$),

(53, 'psi(grp, baseline) (text)', 'ethaudit', false,
$q$SELECT ethaudit.psi(grp, (SELECT grp_b FROM bench.ref)) FROM bench_log$q$),

(54, 'baseline(feature, baseline) (state)', 'ethaudit', false,
$q$SELECT ethaudit.baseline_n(ethaudit.baseline(feature, (SELECT feature_b FROM bench.ref))) FROM bench_log$q$),

(55, 'group_counts(label, score > 0.5, grp) (state)', 'ethaudit', false,
$q$SELECT ethaudit.group_tpr_gap(ethaudit.group_counts(label, score > 0.5, grp)) FROM bench_log$q$),

(56, 'calibration_counts(label, score) (state)', 'ethaudit', false,
$q$SELECT ethaudit.ece(ethaudit.calibration_counts(label, score)) FROM bench_log$q$),

-- building a numeric baseline on given edges: bin counts plus the exact sums
-- behind its mean and variance (what store_baseline keeps per column)
(57, 'baseline(feature, edges) (state)', 'ethaudit', false,
$q$SELECT ethaudit.baseline_n(ethaudit.baseline(feature, ARRAY[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]::float8[])) FROM bench_log$q$),

-- ---------------- the plain SQL an analyst would write ----------------

-- ECE: 10 equal-width bins with width_bucket, GROUP BY bin
(20, 'plain SQL ECE', 'plain', true,
$q$SELECT sum(n * abs(acc - conf)) / sum(n) AS ece
FROM (SELECT least(width_bucket(score, 0, 1, 10), 10) AS bin,
             count(*) AS n,
             avg(label::int) AS acc,
             avg(score) AS conf
      FROM bench_log
      GROUP BY 1) b$q$),

-- TPR gap: per-group recall of score > 0.5, max - min
(21, 'plain SQL TPR gap', 'plain', true,
$q$SELECT max(tpr) - min(tpr) AS tpr_gap
FROM (SELECT grp, avg((score > 0.5)::int) FILTER (WHERE label) AS tpr
      FROM bench_log
      GROUP BY grp) g$q$),

-- PSI: reference deciles with percentile_cont (linear interpolation, as
-- numpy and ethaudit), right-closed CASE binning, empty bins as 0.0001
(22, 'plain SQL PSI', 'plain', true,
$q$WITH edges AS (
    SELECT percentile_cont(ARRAY[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
           WITHIN GROUP (ORDER BY feature) AS e
    FROM bench_log
    WHERE ts < {mid} AND feature IS NOT NULL
), binned AS (
    SELECT ts < {mid} AS is_ref,
           CASE WHEN feature <= e[1] THEN 1
                WHEN feature <= e[2] THEN 2
                WHEN feature <= e[3] THEN 3
                WHEN feature <= e[4] THEN 4
                WHEN feature <= e[5] THEN 5
                WHEN feature <= e[6] THEN 6
                WHEN feature <= e[7] THEN 7
                WHEN feature <= e[8] THEN 8
                WHEN feature <= e[9] THEN 9
                ELSE 10 END AS bin
    FROM bench_log CROSS JOIN edges
    WHERE feature IS NOT NULL
), counts AS (
    SELECT bin,
           count(*) FILTER (WHERE is_ref)     AS n_ref,
           count(*) FILTER (WHERE NOT is_ref) AS n_cur
    FROM binned
    GROUP BY bin
), props AS (
    SELECT coalesce(nullif(n_ref::float8 / sum(n_ref) OVER (), 0), 0.0001) AS r,
           coalesce(nullif(n_cur::float8 / sum(n_cur) OVER (), 0), 0.0001) AS c
    FROM counts
)
SELECT sum((c - r) * ln(c / r)) AS psi FROM props$q$),

-- KS: empirical CDFs of both samples by window functions over their union
(23, 'plain SQL KS', 'plain', true,
$q$WITH n AS (
    SELECT count(*) FILTER (WHERE ts < {mid})  AS n_ref,
           count(*) FILTER (WHERE ts >= {mid}) AS n_cur
    FROM bench_log
    WHERE feature IS NOT NULL
), pooled AS (
    SELECT feature AS v, 1 AS r, 0 AS c FROM bench_log WHERE ts < {mid} AND feature IS NOT NULL
    UNION ALL
    SELECT feature AS v, 0 AS r, 1 AS c FROM bench_log WHERE ts >= {mid} AND feature IS NOT NULL
), cdf AS (
    SELECT v, sum(r) OVER w AS cum_ref, sum(c) OVER w AS cum_cur
    FROM pooled
    WINDOW w AS (ORDER BY v)
)
SELECT max(abs(cum_ref::float8 / n_ref - cum_cur::float8 / n_cur)) AS ks
FROM cdf CROSS JOIN n$q$),

-- ---------------- sliding windows over the first 1M rows (serial only) ----------------
-- frame lengths 1k, 10k, 100k: moving aggregates cost the same per row whatever
-- the frame; count(score) (PostgreSQL's own inverse transition) for scale

(100, 'window 1k: count(score)', 'window', true,
$q$SELECT max(x) FROM (SELECT count(score) OVER (ORDER BY id ROWS BETWEEN 999 PRECEDING AND CURRENT ROW) AS x FROM bench_log WHERE id <= 1000000) w$q$),

(101, 'window 1k: psi(feature, baseline)', 'window', true,
$q$SELECT max(x) FROM (SELECT ethaudit.psi(feature, (SELECT feature_b FROM bench.ref)) OVER (ORDER BY id ROWS BETWEEN 999 PRECEDING AND CURRENT ROW) AS x FROM bench_log WHERE id <= 1000000) w$q$),

(102, 'window 1k: ece(label, score)', 'window', true,
$q$SELECT max(x) FROM (SELECT ethaudit.ece(label, score) OVER (ORDER BY id ROWS BETWEEN 999 PRECEDING AND CURRENT ROW) AS x FROM bench_log WHERE id <= 1000000) w$q$),

(103, 'window 1k: group_tpr_gap(label, score > 0.5, grp)', 'window', true,
$q$SELECT max(x) FROM (SELECT ethaudit.group_tpr_gap(label, score > 0.5, grp) OVER (ORDER BY id ROWS BETWEEN 999 PRECEDING AND CURRENT ROW) AS x FROM bench_log WHERE id <= 1000000) w$q$),

(104, 'window 10k: count(score)', 'window', true,
$q$SELECT max(x) FROM (SELECT count(score) OVER (ORDER BY id ROWS BETWEEN 9999 PRECEDING AND CURRENT ROW) AS x FROM bench_log WHERE id <= 1000000) w$q$),

(105, 'window 10k: psi(feature, baseline)', 'window', true,
$q$SELECT max(x) FROM (SELECT ethaudit.psi(feature, (SELECT feature_b FROM bench.ref)) OVER (ORDER BY id ROWS BETWEEN 9999 PRECEDING AND CURRENT ROW) AS x FROM bench_log WHERE id <= 1000000) w$q$),

(106, 'window 10k: ece(label, score)', 'window', true,
$q$SELECT max(x) FROM (SELECT ethaudit.ece(label, score) OVER (ORDER BY id ROWS BETWEEN 9999 PRECEDING AND CURRENT ROW) AS x FROM bench_log WHERE id <= 1000000) w$q$),

(107, 'window 10k: group_tpr_gap(label, score > 0.5, grp)', 'window', true,
$q$SELECT max(x) FROM (SELECT ethaudit.group_tpr_gap(label, score > 0.5, grp) OVER (ORDER BY id ROWS BETWEEN 9999 PRECEDING AND CURRENT ROW) AS x FROM bench_log WHERE id <= 1000000) w$q$),

(108, 'window 100k: count(score)', 'window', true,
$q$SELECT max(x) FROM (SELECT count(score) OVER (ORDER BY id ROWS BETWEEN 99999 PRECEDING AND CURRENT ROW) AS x FROM bench_log WHERE id <= 1000000) w$q$),

(109, 'window 100k: psi(feature, baseline)', 'window', true,
$q$SELECT max(x) FROM (SELECT ethaudit.psi(feature, (SELECT feature_b FROM bench.ref)) OVER (ORDER BY id ROWS BETWEEN 99999 PRECEDING AND CURRENT ROW) AS x FROM bench_log WHERE id <= 1000000) w$q$),

(110, 'window 100k: ece(label, score)', 'window', true,
$q$SELECT max(x) FROM (SELECT ethaudit.ece(label, score) OVER (ORDER BY id ROWS BETWEEN 99999 PRECEDING AND CURRENT ROW) AS x FROM bench_log WHERE id <= 1000000) w$q$),

(111, 'window 100k: group_tpr_gap(label, score > 0.5, grp)', 'window', true,
$q$SELECT max(x) FROM (SELECT ethaudit.group_tpr_gap(label, score > 0.5, grp) OVER (ORDER BY id ROWS BETWEEN 99999 PRECEDING AND CURRENT ROW) AS x FROM bench_log WHERE id <= 1000000) w$q$),

-- ---------------- rollup: 30 stored daily states against one raw pass (serial) ----------------
(200, 'rollup: psi of 30 merged daily states', 'rollup', true,
$q$SELECT ethaudit.psi((SELECT feature_b FROM bench.ref), ethaudit.merge(feature_state)) FROM bench.daily$q$),

(201, 'raw: psi(feature, baseline) over the same 30 days', 'rollup', true,
$q$SELECT ethaudit.psi(feature, (SELECT feature_b FROM bench.ref)) FROM bench_log WHERE id <= 2592000$q$),

(202, 'rollup: group_tpr_gap of 30 merged daily states', 'rollup', true,
$q$SELECT ethaudit.group_tpr_gap(ethaudit.merge(group_state)) FROM bench.daily$q$),

(203, 'raw: group_tpr_gap over the same 30 days', 'rollup', true,
$q$SELECT ethaudit.group_tpr_gap(label, score > 0.5, grp) FROM bench_log WHERE id <= 2592000$q$),

(204, 'rollup: ece of 30 merged daily states', 'rollup', true,
$q$SELECT ethaudit.ece(ethaudit.merge(calibration_state)) FROM bench.daily$q$),

(205, 'raw: ece over the same 30 days', 'rollup', true,
$q$SELECT ethaudit.ece(label, score) FROM bench_log WHERE id <= 2592000$q$);
