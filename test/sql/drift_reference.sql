-- Drift aggregates against independent reference values: the cross-checks of
-- METRICS.md and values computed with numpy/scipy by
-- test/reference/reference_values.py.  Each line prints the check and
-- whether ethaudit agrees to 1e-9 (p-values: 1e-6 absolute and 1e-9 relative).
SET extra_float_digits = 0;

-- Evidently mode, categorical: reference [3,2,2], current [1,2,3] -> 2.9341472484810085
SELECT 'psi evidently text' AS check_name,
       regress.near(ethaudit.psi(v::text, r, 'evidently'), 2.9341472484810085) AS ok
FROM (VALUES (3, true), (2, true), (2, true), (1, false), (2, false), (3, false)) t(v, r);

-- the same data as float8: <= 20 distinct reference values, one bin per value
SELECT 'psi evidently float8 discrete' AS check_name,
       regress.near(ethaudit.psi(v::float8, r, 'evidently'), 2.9341472484810085) AS ok
FROM (VALUES (3, true), (2, true), (2, true), (1, false), (2, false), (3, false)) t(v, r);

-- Evidently mode, sturges bins: 0..99 vs 50..149 and 0..99 vs 10..109
SELECT 'psi evidently 0..99 vs 50..149' AS check_name,
       regress.near(ethaudit.psi(v, r, 'evidently'), 7.414532745869386) AS ok
FROM (SELECT g::float8, true FROM generate_series(0, 99) g
      UNION ALL SELECT g::float8, false FROM generate_series(50, 149) g) t(v, r);

SELECT 'psi evidently 0..99 vs 10..109' AS check_name,
       regress.near(ethaudit.psi(v, r, 'evidently'), 0.2932674137586854) AS ok
FROM (SELECT g::float8, true FROM generate_series(0, 99) g
      UNION ALL SELECT g::float8, false FROM generate_series(10, 109) g) t(v, r);

-- JS: p = [1,0,0], q = [0,1,0] has distance 1, so divergence 1
SELECT 'js disjoint' AS check_name,
       regress.near(ethaudit.js_divergence(v, r), 1.0) AS ok
FROM (VALUES ('a', true), ('b', false)) t(v, r);

-- JS: p = [1,0], q = [0.5,0.5]; natural-log distance 0.46450140402245893
SELECT 'js distance natural log' AS check_name,
       regress.near(sqrt(ethaudit.js_divergence(v, r) * ln(2)), 0.46450140402245893) AS ok
FROM (VALUES ('a', true), ('a', false), ('b', false)) t(v, r);

-- KS on MADlib's two 20-vs-20 samples: D = 0.45; scipy asymp p-values
CREATE TEMP TABLE madlib_ks (sample int, first boolean, value float8);
INSERT INTO madlib_ks
SELECT 1, true, unnest(ARRAY[0.22, -0.87, -2.39, -1.79, 0.37, -1.54, 1.28, -0.31, -0.74, 1.72,
                             0.38, -0.17, -0.62, -1.10, 0.30, 0.15, 2.30, 0.19, -0.50, -0.09])
UNION ALL
SELECT 1, false, unnest(ARRAY[-5.13, -2.19, -2.43, -3.83, 0.50, -3.25, 4.32, 1.63, 5.18, -0.43,
                              7.11, 4.87, -3.10, -5.81, 3.76, 6.31, 2.58, 0.07, 5.76, 3.50])
UNION ALL
SELECT 2, true, unnest(ARRAY[1.26, 0.34, 0.70, 1.75, 50.57, 1.55, 0.08, 0.42, 0.50, 3.20,
                             0.15, 0.49, 0.95, 0.24, 1.37, 0.17, 6.98, 0.10, 0.94, 0.38])
UNION ALL
SELECT 2, false, unnest(ARRAY[2.37, 2.16, 14.82, 1.73, 41.04, 0.23, 1.32, 2.91, 39.41, 0.11,
                              27.44, 4.51, 0.51, 4.50, 0.18, 14.68, 4.66, 1.30, 2.06, 1.19]);

SELECT sample,
       regress.near(ethaudit.ks_stat(value, first), 0.45) AS d_ok,
       regress.near((ethaudit.ks_test(value, first)).p_value, 0.0228918103117185, 1e-12) AS p_ok,
       (ethaudit.ks_test(value, first)).n_reference,
       (ethaudit.ks_test(value, first)).n_current
FROM madlib_ks GROUP BY sample ORDER BY sample;

-- synthetic: reference i/7 (i < 1000), current j/9 + 10 (j < 1500)
CREATE TEMP TABLE synth AS
SELECT i / 7.0::float8 AS v, true AS r FROM generate_series(0, 999) i
UNION ALL
SELECT j / 9.0::float8 + 10.0, false FROM generate_series(0, 1499) j;

SELECT 'synthetic ks D' AS check_name, regress.near(ethaudit.ks_stat(v, r), 0.20333333333333337) AS ok FROM synth
UNION ALL
SELECT 'synthetic ks p', regress.near((ethaudit.ks_test(v, r)).p_value / 3.164605906649904e-22, 1.0) FROM synth
UNION ALL
SELECT 'synthetic psi default', regress.near(ethaudit.psi(v, r), 0.31879852963878735) FROM synth
UNION ALL
SELECT 'synthetic psi bins=20', regress.near(ethaudit.psi(v, r, 20), 0.6570280200151113) FROM synth
UNION ALL
SELECT 'synthetic js default', regress.near(ethaudit.js_divergence(v, r), 0.05462597178624479) FROM synth
UNION ALL
SELECT 'synthetic psi evidently', regress.near(ethaudit.psi(v, r, 'evidently'), 1.2379422621506828) FROM synth
UNION ALL
SELECT 'synthetic js evidently', regress.near(ethaudit.js_divergence(v, r, 'evidently'), 0.10601248987724855) FROM synth
UNION ALL
SELECT 'explicit default binning', ethaudit.psi(v, r, 'default') = ethaudit.psi(v, r) FROM synth
UNION ALL
SELECT 'bins=10 is the default', ethaudit.psi(v, r, 10) = ethaudit.psi(v, r) FROM synth;

-- identical samples: PSI and JS are 0, KS is 0 with p-value 1
SELECT 'identical psi' AS check_name, ethaudit.psi(g::float8, b) = 0 AS ok
FROM generate_series(1, 100) g, (VALUES (true), (false)) x(b)
UNION ALL
SELECT 'identical js', ethaudit.js_divergence(g::float8, b) = 0
FROM generate_series(1, 100) g, (VALUES (true), (false)) x(b)
UNION ALL
SELECT 'identical ks', (ethaudit.ks_test(g::float8, b)).statistic = 0
   AND (ethaudit.ks_test(g::float8, b)).p_value = 1
FROM generate_series(1, 100) g, (VALUES (true), (false)) x(b);
