-- Drift aggregates: NULL, NaN, infinities, empty samples, options and limits.
SET extra_float_digits = 0;

CREATE TEMP TABLE base AS
SELECT (g % 37)::float8 / 3 AS v, g <= 500 AS r FROM generate_series(1, 1000) g;

-- rows with NULL in any argument are ignored
SELECT 'null rows ignored' AS check_name,
       ethaudit.psi(v, r) = (SELECT ethaudit.psi(v, r) FROM base)
   AND ethaudit.js_divergence(v, r) = (SELECT ethaudit.js_divergence(v, r) FROM base)
   AND ethaudit.ks_stat(v, r) = (SELECT ethaudit.ks_stat(v, r) FROM base) AS ok
FROM (SELECT v, r FROM base
      UNION ALL SELECT NULL, true UNION ALL SELECT NULL, false
      UNION ALL SELECT 1.0, NULL) t;

-- NaN is ignored (and not counted in n_reference / n_current)
SELECT 'nan ignored' AS check_name,
       ethaudit.psi(v, r) = (SELECT ethaudit.psi(v, r) FROM base)
   AND (ethaudit.ks_test(v, r)).n_reference = 500
   AND (ethaudit.ks_test(v, r)).n_current = 500 AS ok
FROM (SELECT v, r FROM base
      UNION ALL SELECT 'NaN', true UNION ALL SELECT 'NaN', false) t;

-- infinities are ordinary values in the outer bins: same bins as huge values
SELECT 'infinity in outer bins' AS check_name,
       ethaudit.psi(v, r) = (SELECT ethaudit.psi(v, r)
                             FROM (SELECT v, r FROM base UNION ALL SELECT 1e300, false
                                   UNION ALL SELECT -1e300, false) h) AS ok
FROM (SELECT v, r FROM base
      UNION ALL SELECT 'Infinity', false UNION ALL SELECT '-Infinity', false) t;

SELECT 'infinity in ks' AS check_name,
       ethaudit.ks_stat(v, r) AS d
FROM (VALUES ('-Infinity'::float8, true), ('Infinity', true), (0, false), (1, false)) t(v, r);

-- -0 and +0 are the same value (a tie), as in SQL
SELECT 'signed zero ties' AS check_name, ethaudit.ks_stat(v, r) AS d
FROM (VALUES ('-0'::float8, true), ('0', false)) t(v, r);

-- empty inputs give NULL
SELECT ethaudit.psi(v, r) AS psi_no_rows, ethaudit.ks_stat(v, r) AS ks_no_rows,
       ethaudit.ks_test(v, r) IS NULL AS ks_test_null
FROM base WHERE false;
SELECT ethaudit.psi(v, r) AS only_reference, ethaudit.js_divergence(v, r) AS js_only_reference
FROM base WHERE r;
SELECT ethaudit.psi(v, r) AS only_nan_current
FROM (SELECT v, r FROM base WHERE r UNION ALL SELECT 'NaN', false) t;
SELECT ethaudit.psi(v, r) AS text_only_current FROM (VALUES ('a', false)) t(v, r);

-- one value on each side: D is defined, but the effective sample size
-- round(1 * 1 / 2) = 0 leaves the p-value undefined (scipy: NaN), so NULL;
-- one value against two: size round(2/3) = 1, and kstwo.sf(1, 1) = 0
SELECT (ethaudit.ks_test(v, r)).* FROM (VALUES (1.0::float8, true), (2.0, false)) t(v, r);
SELECT (ethaudit.ks_test(v, r)).* FROM (VALUES (1.0::float8, true), (2.0, false), (3.0, false)) t(v, r);

-- a constant reference: every quantile edge is the same value, one edge kept
SELECT 'constant reference' AS check_name,
       regress.error_of($$SELECT ethaudit.psi(v, r) FROM (VALUES (1.0::float8, true), (1.0, true),
                          (0.5, false), (2.0, false)) t(v, r)$$) AS result;
SELECT round(ethaudit.psi(v, r)::numeric, 12) AS psi_constant_reference
FROM (VALUES (1.0::float8, true), (1.0, true), (0.5, false), (2.0, false)) t(v, r);

-- text categories: byte-wise, empty string is a category
SELECT round(ethaudit.psi(v, r)::numeric, 12) AS psi_text,
       round(ethaudit.js_divergence(v, r)::numeric, 12) AS js_text
FROM (VALUES ('', true), ('a', true), ('A', false), ('a', false), (NULL, false)) t(v, r);

-- options: out of range or unknown values are refused with 22023
SELECT regress.error_of('SELECT ethaudit.psi(v, r, 1) FROM base') AS bins_1;
SELECT regress.error_of('SELECT ethaudit.js_divergence(v, r, 10001) FROM base') AS bins_10001;
SELECT regress.error_of($$SELECT ethaudit.psi(v, r, 'sturges') FROM base$$) AS unknown_binning;
SELECT regress.error_of($$SELECT ethaudit.psi(v::text, r, 'nope') FROM base$$) AS unknown_binning_text;
SELECT regress.error_of('SELECT ethaudit.psi(v, r, (v > 5)::int + 10) FROM base') AS bins_vary;

-- size limits raise 54000 with the limit in the detail
SET ethaudit.max_values = 1000;
SELECT regress.error_of('SELECT ethaudit.ks_stat(v, r) FROM base, generate_series(1, 2)') AS too_many_values;
RESET ethaudit.max_values;
SET ethaudit.max_categories = 10;
SELECT regress.error_of('SELECT ethaudit.psi(v::text, r) FROM base') AS too_many_categories;
RESET ethaudit.max_categories;
SELECT regress.error_of('SET ethaudit.max_values = 10') AS limit_too_small;
