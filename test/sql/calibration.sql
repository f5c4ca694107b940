-- ece against sklearn's calibration_curve (METRICS.md cross-checks), the bin
-- edge rule, NULL handling and probability validation.
SET extra_float_digits = 0;

-- B = 3: 1.25/9
SELECT 'ece B=3' AS check_name,
       regress.near(ethaudit.ece(y::boolean, p, 3), 1.25 / 9) AS ok
FROM unnest(ARRAY[0,0,0,0,1,1,1,1,1], ARRAY[0.1,0.2,0.3,0.4,0.65,0.7,0.8,0.9,1.0]) t(y, p);

-- B = 2: 0.1
SELECT 'ece B=2' AS check_name,
       regress.near(ethaudit.ece(y::boolean, p, 2), 0.1) AS ok
FROM unnest(ARRAY[0,0,0,1,1,1], ARRAY[0,0.1,0.2,0.8,0.9,1.0]) t(y, p);

-- bins are (e_b, e_b+1], the first [0, e_1]: a probability on an edge goes
-- to the lower bin: with B = 2, 0.5 is in bin 0 and ECE = 0.5/2 + 0.6/2 = 0.55
-- (were it in bin 1 with 0.6, ECE would be 0.05)
SELECT 'edge rule' AS check_name,
       regress.near(ethaudit.ece(y, p, 2), 0.55) AS ok
FROM (VALUES (true, 0.5::float8), (false, 0.6)) t(y, p);

-- a perfectly calibrated bin contributes 0; the default is 10 bins
SELECT 'calibrated' AS check_name, ethaudit.ece(y, 0.5) = 0 AS ok,
       ethaudit.ece(y, 0.5) = ethaudit.ece(y, 0.5, 10) AS default_is_10
FROM (VALUES (true), (false)) t(y);

-- NULL in any argument: the row is ignored; no rows: NULL
SELECT 'nulls ignored' AS check_name,
       regress.near(ethaudit.ece(y, p, 3), 1.25 / 9) AS ok
FROM (SELECT y::boolean, p FROM unnest(ARRAY[0,0,0,0,1,1,1,1,1],
                                       ARRAY[0.1,0.2,0.3,0.4,0.65,0.7,0.8,0.9,1.0]) u(y, p)
      UNION ALL SELECT NULL, 0.3 UNION ALL SELECT true, NULL) t;
SELECT ethaudit.ece(y, p) AS no_rows FROM (VALUES (true, 0.5::float8)) t(y, p) WHERE false;

-- probabilities outside [0, 1] or NaN: 22003, message shows the value
SELECT regress.error_of('SELECT ethaudit.ece(true, 1.5)') AS above_one;
SELECT regress.error_of('SELECT ethaudit.ece(false, -0.25)') AS negative;
SELECT regress.error_of($$SELECT ethaudit.ece(true, 'NaN')$$) AS nan;
SELECT regress.error_of($$SELECT ethaudit.ece(true, 'Infinity')$$) AS infinity;
SELECT regress.error_of('SELECT ethaudit.ece(true, 0.5, 0)') AS bins_0;
SELECT regress.error_of('SELECT ethaudit.ece(y, 0.5, b) FROM (VALUES (true, 2), (false, 3)) t(y, b)') AS bins_vary;

-- exact sums: the order of rows does not change the result in any bit
SELECT 'order independent' AS check_name,
       (SELECT ethaudit.ece(g % 3 = 0, (g % 1000) / 999.0::float8) FROM generate_series(1, 20000) g)
     = (SELECT ethaudit.ece(g % 3 = 0, (g % 1000) / 999.0::float8)
        FROM (SELECT g FROM generate_series(1, 20000) g ORDER BY md5(g::text)) s) AS ok;
