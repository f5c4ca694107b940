-- Numerical edge cases: overflowing intermediates, infinite deciles and
-- means, groups and categories that leave a moving frame, and exact
-- variances under inverse transitions. Each case names its reference.

-- ---------- 1, 2: mae and rmse where a difference or a square overflows ----------

-- scikit-learn 1.2: mean_absolute_error([1e308], [-1e308]) = inf and
-- mean_squared_error(..., squared=False) = inf (the difference overflows)
SELECT ethaudit.mae(y, yhat) AS mae, ethaudit.rmse(y, yhat) AS rmse
FROM (VALUES (1e308::float8, -1e308::float8)) t(y, yhat);

-- scikit-learn 1.2 on (1e308, 1) vs (-1e308, 0): mae inf, rmse inf
SELECT ethaudit.mae(y, yhat) AS mae, ethaudit.rmse(y, yhat) AS rmse
FROM (VALUES (1e308::float8, -1e308::float8), (1.0, 0.0)) t(y, yhat);

-- scikit-learn 1.2 on (1e200, 0), (0, 1e200): rmse inf (the squares
-- overflow), mae 1e+200
SELECT ethaudit.mae(y, yhat) AS mae, ethaudit.rmse(y, yhat) AS rmse
FROM (VALUES (1e200::float8, 0::float8), (0, 1e200)) t(y, yhat);

-- the sum of finite terms overflows: numpy mean([1e308, 1e308]) = inf
SELECT ethaudit.mae(y, yhat) AS mae
FROM (VALUES (1e308::float8, 0::float8), (1e308, 0)) t(y, yhat);

-- non-finite inputs are still refused (scikit-learn raises on them)
SELECT ethaudit.mae(y, yhat) FROM (VALUES ('Infinity'::float8, 0::float8)) t(y, yhat);
SELECT ethaudit.rmse(y, yhat) FROM (VALUES (0::float8, 'NaN'::float8)) t(y, yhat);

-- an overflowed sum crosses a parallel plan: +inf, not a refused state
CREATE TABLE edge_losses AS
SELECT CASE WHEN g = 500 THEN 1e308 ELSE g::float8 END AS y,
       CASE WHEN g = 500 THEN -1e308 ELSE 0::float8 END AS yhat
FROM generate_series(1, 20000) g;
ANALYZE edge_losses;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
SELECT ethaudit.mae(y, yhat) AS mae, ethaudit.rmse(y, yhat) AS rmse FROM edge_losses;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;
DROP TABLE edge_losses;

-- ---------- 3: equalized_odds_gap when one side has fewer than two groups ----------

-- Fairlearn's equalized_odds_difference (the larger of the TPR and FPR
-- differences; per-group rates from sklearn confusion_matrix(normalize='true'))
-- on y_true [1, 0, 1], y_pred [1, 1, 0], groups [a, b, b] = 1.0: TPR a 1,
-- b 0. Group a has no negatives, so only b has an FPR: the FPR side is left
-- out and the TPR gap decides.
SELECT ethaudit.equalized_odds_gap(y, p, g) AS raw,
       ethaudit.equalized_odds_gap(ethaudit.group_counts(y, p, g)) AS from_counts,
       ethaudit.group_tpr_gap(y, p, g) AS tpr_gap,
       ethaudit.group_fpr_gap(y, p, g) AS fpr_gap
FROM (VALUES (true, true, 'a'), (false, true, 'b'), (true, false, 'b')) t(y, p, g);

-- the mirror case: only the FPR side has two groups. Fairlearn: FPR a 1,
-- b 0 (TPR of the group without positives scored 0, so also 1.0 there)
SELECT ethaudit.equalized_odds_gap(y, p, g) AS raw,
       ethaudit.equalized_odds_gap(ethaudit.group_counts(y, p, g)) AS from_counts
FROM (VALUES (false, true, 'a'), (false, false, 'b'), (true, true, 'b')) t(y, p, g);

-- neither side has two groups: NULL (Fairlearn would report 0 from scores of 0)
SELECT ethaudit.equalized_odds_gap(y, p, g) AS raw,
       ethaudit.equalized_odds_gap(ethaudit.group_counts(y, p, g)) AS from_counts
FROM (VALUES (true, true, 'a'), (false, true, 'b')) t(y, p, g);

-- both sides defined: max(TPR gap 0.5, FPR gap 1) = 1.0 (Fairlearn: 1.0)
SELECT ethaudit.equalized_odds_gap(y, p, g) AS raw,
       ethaudit.equalized_odds_gap(ethaudit.group_counts(y, p, g)) AS from_counts
FROM (VALUES (true, true, 'a'), (false, true, 'a'),
             (true, true, 'b'), (true, false, 'b'), (false, false, 'b')) t(y, p, g);

-- ---------- 4: a reference decile at +-Infinity ----------

-- reference [1, 2, inf]: deciles 1.2 .. 1.8, 2, then +inf (never
-- interpolated towards infinity). PSI over those edges, re-implemented
-- with numpy 1.24 (searchsorted right-closed bins, eps 1e-4):
-- 7.699313064791845, the two-sample form's value; the baseline form agrees.
CREATE TABLE edge_inf (v float8, is_ref boolean);
INSERT INTO edge_inf VALUES (1, true), (2, true), ('Infinity', true),
    (1.5, false), (3, false), ('Infinity', false), ('Infinity', false);
SELECT ethaudit.baseline_edges(ethaudit.baseline(v)) AS edges
FROM edge_inf WHERE is_ref;
SELECT ethaudit.psi(v, is_ref) AS two_sample,
       (SELECT ethaudit.psi(v, (SELECT ethaudit.baseline(v) FROM edge_inf WHERE is_ref))
        FROM edge_inf WHERE NOT is_ref) AS with_baseline,
       (SELECT ethaudit.psi((SELECT ethaudit.baseline(v) FROM edge_inf WHERE is_ref),
                            (SELECT ethaudit.baseline(v, (SELECT ethaudit.baseline(v) FROM edge_inf WHERE is_ref))
                             FROM edge_inf WHERE NOT is_ref))) AS two_baselines
FROM edge_inf;

-- reference [-inf, -inf, 1]: edges -inf and 1; numpy re-implementation
-- 2.9341472484810085 for current [-inf, 0.5, 2]
DELETE FROM edge_inf;
INSERT INTO edge_inf VALUES ('-Infinity', true), ('-Infinity', true), (1, true),
    ('-Infinity', false), (0.5, false), (2, false);
SELECT ethaudit.baseline_edges(ethaudit.baseline(v)) AS edges,
       ethaudit.baseline_counts(ethaudit.baseline(v)) AS counts
FROM edge_inf WHERE is_ref;
SELECT ethaudit.psi(v, is_ref) AS two_sample,
       (SELECT ethaudit.psi(v, (SELECT ethaudit.baseline(v) FROM edge_inf WHERE is_ref))
        FROM edge_inf WHERE NOT is_ref) AS with_baseline
FROM edge_inf;

-- such a baseline survives its text form and storage (the serialized
-- form), and merges with itself
CREATE TEMP TABLE edge_stored AS SELECT ethaudit.baseline(v) AS b FROM edge_inf WHERE is_ref;
SELECT b::text::ethaudit.baseline::text = b::text AS text_round_trip,
       ethaudit.baseline_edges(b) AS stored_edges,
       (SELECT ethaudit.baseline_counts(ethaudit.merge(b)) FROM edge_stored, generate_series(1, 2))
           AS merged_counts
FROM edge_stored;
DROP TABLE edge_stored;
DROP TABLE edge_inf;

-- ---------- 5: groups and categories that leave a moving frame ----------

-- 200 rows, 51 groups, frames of 3 rows: at most 3 groups per frame, so a
-- limit of 3 groups holds (before, every group ever seen stayed in the state)
SET ethaudit.max_groups = 3;
CREATE TEMP TABLE edge_groups AS
SELECT i, (i * 7) % 5 < 2 AS y, (i * 11) % 3 = 0 AS p, 'g' || ((i * 13) % 51)::text AS g
FROM generate_series(1, 200) i;
SELECT count(*) AS frames,
       count(*) FILTER (WHERE w.gap IS NOT DISTINCT FROM r.gap) AS same_as_recomputed,
       max(w.ngroups) AS most_groups_in_a_state
FROM (SELECT i, gap, (SELECT count(*) FROM jsonb_object_keys(st::text::jsonb -> 'groups')) AS ngroups
      FROM (SELECT i, ethaudit.equalized_odds_gap(y, p, g) OVER f AS gap,
                   ethaudit.group_counts(y, p, g) OVER f AS st
            FROM edge_groups WINDOW f AS (ORDER BY i ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)) f) w
JOIN LATERAL (SELECT ethaudit.equalized_odds_gap(y, p, g) AS gap
              FROM edge_groups e WHERE e.i BETWEEN w.i - 2 AND w.i) r ON true;
RESET ethaudit.max_groups;

-- the same for the categories of a sliding categorical baseline
SET ethaudit.max_categories = 2;
SELECT count(*) AS frames, max(ethaudit.baseline_n(b)) AS most_rows,
       max(cardinality(ethaudit.baseline_categories(b))) AS most_categories
FROM (SELECT ethaudit.baseline('c' || (i % 37)::text)
             OVER (ORDER BY i ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS b
      FROM generate_series(1, 100) i) w;
RESET ethaudit.max_categories;

-- ---------- 6: the mean and variance of a sliding baseline ----------

-- frames of 2 rows after 40 large values: numpy 1.24 np.var([0.01,
-- 0.013000000000000001], ddof=1) = 4.500000000000003e-06 (Welford's inverse
-- update gave 4.51583247629242e-06, 3.5e-3 off); the exact sums agree with
-- numpy to the last bit here
CREATE TEMP TABLE edge_slide AS
SELECT id, CASE WHEN id <= 40 THEN 1000.0::float8 * ((id - 1) % 7) + 0.1::float8 * (id - 1)
                ELSE 0.003::float8 * (id - 41) + 0.01::float8 END AS v
FROM generate_series(1, 45) id;
SELECT id, (s).mean, (s).variance
FROM (SELECT id, ethaudit.baseline_summary(ethaudit.baseline(v, ARRAY[0]::float8[])
                 OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)) AS s
      FROM edge_slide) w
WHERE id >= 42 ORDER BY id;
-- numpy 1.24: mean 0.0115, 0.0145, 0.0175, 0.0205; var 4.500000000000003e-06,
-- 4.4999999999999976e-06, 4.500000000000008e-06, 4.499999999999987e-06

-- numpy 1.24: np.var([0.0, 0.006], ddof=1) = 1.8e-05
SELECT (ethaudit.baseline_summary(ethaudit.baseline(v))).variance
FROM (VALUES (0.0::float8), (0.006)) t(v);

-- 3000 rows near 1e6, frames of 25: every frame's mean and variance equal,
-- to the bit, the same statistics recomputed over the frame's rows alone;
-- the last frame against numpy 1.24: var 0.08255712333762472, mean
-- 1000000.47804
CREATE TEMP TABLE edge_long AS
SELECT id, 1e6::float8 + ((id * 7919) % 1009) / 1000.0::float8 AS v
FROM generate_series(1, 3000) id;
SELECT count(*) AS frames,
       count(*) FILTER (WHERE (w.s).mean = (r.s).mean AND
                              (w.s).variance IS NOT DISTINCT FROM (r.s).variance) AS identical
FROM (SELECT id, ethaudit.baseline_summary(ethaudit.baseline(v, ARRAY[1e6]::float8[])
                 OVER (ORDER BY id ROWS BETWEEN 24 PRECEDING AND CURRENT ROW)) AS s
      FROM edge_long) w
JOIN LATERAL (SELECT ethaudit.baseline_summary(ethaudit.baseline(v, ARRAY[1e6]::float8[])) AS s
              FROM edge_long e WHERE e.id BETWEEN w.id - 24 AND w.id) r ON true;
-- frames in the middle of the run against numpy 1.24 (np.var(..., ddof=1);
-- exact rational arithmetic gives the same doubles). PostgreSQL's var_samp
-- is 1.5e-9 off on the first of them (0.01170449998974055).
SELECT id, (s).variance,
       (s).variance = CASE id WHEN 2 THEN 0.011704500007552094 WHEN 3 THEN 0.023408999997292644
                              ELSE 0.0825571233310682 END AS equals_numpy
FROM (SELECT id, ethaudit.baseline_summary(ethaudit.baseline(v, ARRAY[1e6]::float8[])
                 OVER (ORDER BY id ROWS BETWEEN 24 PRECEDING AND CURRENT ROW)) AS s
      FROM edge_long) w
WHERE id IN (2, 3, 1469) ORDER BY id;
SELECT (s).mean, (s).variance,
       (s).variance = 0.08255712333762472 AS var_equals_numpy
FROM (SELECT ethaudit.baseline_summary(ethaudit.baseline(v)) AS s
      FROM edge_long WHERE id > 2975) t;

-- serial, merged in any order and parallel: the same statistics
SELECT count(DISTINCT (s).variance) AS distinct_variances, count(DISTINCT (s).mean) AS distinct_means
FROM (SELECT ethaudit.baseline_summary(ethaudit.baseline(v, ARRAY[1e6]::float8[])) AS s FROM edge_long
      UNION ALL
      SELECT ethaudit.baseline_summary(ethaudit.merge(b))
      FROM (SELECT ethaudit.baseline(v, ARRAY[1e6]::float8[]) AS b
            FROM edge_long GROUP BY id % 7) parts
      UNION ALL
      SELECT ethaudit.baseline_summary(ethaudit.merge(b ORDER BY k DESC))
      FROM (SELECT id % 13 AS k, ethaudit.baseline(v, ARRAY[1e6]::float8[]) AS b
            FROM edge_long GROUP BY id % 13) parts) all_ways;

-- values of every scale at once: numpy 1.24 on [1e300, -1e300, 1e-300, 3]:
-- mean 0.75 (its sum loses the small ones: 1.0), var 6.666666666666667e+599
-- overflows to inf; the exact sums give the true mean 0.75 +- 2.5e-301
SELECT (s).mean, (s).variance
FROM (SELECT ethaudit.baseline_summary(ethaudit.baseline(v)) AS s
      FROM (VALUES (1e300::float8), (-1e300), (1e-300), (3)) t(v)) x;

-- ---------- 7: the mean with infinite values ----------

-- numpy 1.24: np.mean([-inf, 1, 2]) = -inf, np.var(..., ddof=1) = nan;
-- np.mean([inf, -inf, 1]) = nan; np.mean([inf, 1]) = inf
SELECT (ethaudit.baseline_summary(ethaudit.baseline(v))).*
FROM (VALUES ('-Infinity'::float8), (1), (2)) t(v);
SELECT (s).mean, (s).variance
FROM (SELECT ethaudit.baseline_summary(ethaudit.baseline(v)) AS s
      FROM (VALUES ('Infinity'::float8), ('-Infinity'), (1)) t(v)) x;
SELECT (s).mean, (s).variance
FROM (SELECT ethaudit.baseline_summary(ethaudit.baseline(v, ARRAY[0]::float8[])) AS s
      FROM (VALUES ('Infinity'::float8), (1)) t(v)) x;

-- the text form carries the infinities and round-trips the mean
SELECT ethaudit.baseline(v) AS b
FROM (VALUES ('-Infinity'::float8), (1), (2)) t(v);
SELECT (ethaudit.baseline_summary(b::text::ethaudit.baseline)).mean AS mean_after_text,
       b::text::ethaudit.baseline::text = b::text AS text_round_trip
FROM (SELECT ethaudit.baseline(v) AS b FROM (VALUES ('-Infinity'::float8), (1), (2)) t(v)) s;

-- a sliding frame: the mean is -inf while -inf is in the frame, finite after
SELECT id, (s).mean
FROM (SELECT id, ethaudit.baseline_summary(ethaudit.baseline(v, ARRAY[0]::float8[])
                 OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)) AS s
      FROM (VALUES (1, 1::float8), (2, '-Infinity'), (3, 4), (4, 6)) t(id, v)) w
ORDER BY id;

-- the text form carries the exact sums: states read back from text (as a
-- distributed engine ships them) merge to the mean and m2 of one pass, to
-- the last bit, where the mean and m2 alone would not
CREATE TEMP TABLE exact_parts AS
SELECT i % 7 AS part, i * 0.1 + 1e6 AS v FROM generate_series(1, 3000) i;
SELECT (one).mean = (merged).mean AS mean_equal, (one).variance = (merged).variance AS variance_equal,
       (one).mean = (from_stats).mean AND (one).variance = (from_stats).variance AS equal_from_mean_and_m2_alone
FROM (SELECT ethaudit.baseline_summary(ethaudit.baseline(v, ARRAY[1e6 + 150]::float8[])) AS one FROM exact_parts) a,
     (SELECT ethaudit.baseline_summary(ethaudit.merge(b::text::ethaudit.baseline)) AS merged,
             ethaudit.baseline_summary(ethaudit.merge(regexp_replace(b::text, ', "exact_sums": "[0-9a-f]*"', '')::ethaudit.baseline)) AS from_stats
      FROM (SELECT part, ethaudit.baseline(v, ARRAY[1e6 + 150]::float8[]) AS b FROM exact_parts GROUP BY part) p) m;
-- the sums must be the mean's and m2's, and well formed
SELECT regress.error_of($$SELECT regexp_replace(ethaudit.baseline(v)::text, '"mean": [0-9.e+-]*', '"mean": 4')::ethaudit.baseline
                          FROM (VALUES (1::float8), (2), (3)) t(v)$$) AS other_mean;
SELECT regress.error_of($$SELECT regexp_replace(ethaudit.baseline(v)::text, '"exact_sums": "..', '"exact_sums": "zz')::ethaudit.baseline
                          FROM (VALUES (1::float8), (2), (3)) t(v)$$) AS not_hex;
SELECT regress.error_of($$SELECT regexp_replace(ethaudit.baseline(v)::text, '"exact_sums": "[0-9a-f]{8}', '"exact_sums": "')::ethaudit.baseline
                          FROM (VALUES (1::float8), (2), (3)) t(v)$$) AS truncated;

-- more infinities than values in the text form are refused
SELECT '{"kind": "numeric", "n": 1, "nan": 0, "null": 0, "min": 1, "max": 1, "mean": 1, "m2": 0, "neg_inf": 2, "edges": [], "counts": [1]}'::ethaudit.baseline;

-- ---------- 8: 'evidently' binning over a range that overflows ----------

-- numpy 1.24 histogram_bin_edges(..., bins='sturges') over values spanning
-- -1e308 .. 1e308 raises (max - min overflows, no bin width exists): so does
-- the aggregate, instead of returning 0 for clearly shifted samples
SELECT ethaudit.psi(v, is_ref, 'evidently')
FROM (SELECT -1e308 + g * 1e306 AS v, true AS is_ref FROM generate_series(1, 30) g
      UNION ALL SELECT 1e308 - g * 1e306, false FROM generate_series(1, 30) g) t;
SELECT ethaudit.js_divergence(v, is_ref, 'evidently')
FROM (SELECT -1e308 + g * 1e306 AS v, true AS is_ref FROM generate_series(1, 30) g
      UNION ALL SELECT 1e308 - g * 1e306, false FROM generate_series(1, 30) g) t;
-- a wide range that does not overflow still bins: numpy's sturges edges over
-- -1e307 .. 1e307 put the two samples apart (the default binning agrees: drift)
SELECT ethaudit.psi(v, is_ref, 'evidently') > 1 AS shifted
FROM (SELECT -1e307 + g * 1e305 AS v, true AS is_ref FROM generate_series(1, 30) g
      UNION ALL SELECT 1e307 - g * 1e305, false FROM generate_series(1, 30) g) t;
