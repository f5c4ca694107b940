-- Baselines and storable states: what a user relies on, as pgTAP assertions.
\set ON_ERROR_STOP 1
\set QUIET 1
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS ethaudit;

BEGIN;
SELECT plan(16);

CREATE TEMP TABLE obs AS
SELECT g, (g % 101) / 10.0::float8 + CASE WHEN g > 6000 THEN 1.5 ELSE 0 END AS v,
       g <= 6000 AS is_ref, (ARRAY['a', 'b', 'c', 'd', 'e'])[1 + g % 4 + (g > 6000 AND g % 9 = 0)::int] AS c,
       (g % 3) = 0 AS y, (g % 5) < 2 AS y_hat, (g % 4)::text AS grp, (g % 97) / 96.0::float8 AS p
FROM generate_series(1, 9000) g;
CREATE TEMP TABLE ref AS
SELECT ethaudit.baseline(v) FILTER (WHERE is_ref) AS num, ethaudit.baseline(c) FILTER (WHERE is_ref) AS cat
FROM obs;

SELECT is((SELECT ethaudit.psi(v, (SELECT num FROM ref)) FROM obs WHERE NOT is_ref),
          (SELECT ethaudit.psi(v, is_ref) FROM obs),
          'psi against a baseline built from the reference rows equals the two-sample psi');
SELECT is((SELECT ethaudit.js_divergence(v, (SELECT num FROM ref)) FROM obs WHERE NOT is_ref),
          (SELECT ethaudit.js_divergence(v, is_ref) FROM obs),
          'so does js_divergence');
SELECT ok(abs((SELECT ethaudit.psi(c, (SELECT cat FROM ref)) FROM obs WHERE NOT is_ref)
              - (SELECT ethaudit.psi(c, is_ref) FROM obs)) < 1e-12,
          'categorical psi against a baseline agrees to 1e-12, a new category included');
SELECT ok((SELECT (b).lower <= d AND d <= (b).upper
           FROM (SELECT ethaudit.ks_bounds(v, (SELECT num FROM ref)) AS b FROM obs WHERE NOT is_ref) s,
                (SELECT ethaudit.ks_stat(v, is_ref) AS d FROM obs) e),
          'the exact KS statistic lies within ks_bounds');

SELECT is((SELECT num::text::ethaudit.baseline::text FROM ref), (SELECT num::text FROM ref),
          'numeric baseline text round trip');
SELECT is((SELECT cat::text::ethaudit.baseline::text FROM ref), (SELECT cat::text FROM ref),
          'categorical baseline text round trip');
SELECT is((SELECT ethaudit.baseline_n(num) FROM ref), 6000::bigint, 'baseline_n counts the reference rows');
SELECT is((SELECT array_length(ethaudit.baseline_edges(num), 1) FROM ref), 9, 'ten quantile bins: nine edges');

-- merge of partial states equals one pass
SELECT is((SELECT ethaudit.merge(s)::text
           FROM (SELECT ethaudit.group_counts(y, y_hat, grp) AS s FROM obs GROUP BY g % 7) parts),
          (SELECT ethaudit.group_counts(y, y_hat, grp)::text FROM obs),
          'merged group counts equal one pass');
SELECT is((SELECT ethaudit.ece(ethaudit.merge(s))
           FROM (SELECT ethaudit.calibration_counts(y, p) AS s FROM obs GROUP BY g % 7) parts),
          (SELECT ethaudit.ece(y, p) FROM obs),
          'ece of merged calibration counts equals one pass');
SELECT is((SELECT ethaudit.psi((SELECT num FROM ref), ethaudit.merge(s))
           FROM (SELECT ethaudit.baseline(v, (SELECT num FROM ref)) AS s FROM obs WHERE NOT is_ref
                 GROUP BY g % 5) parts),
          (SELECT ethaudit.psi(v, is_ref) FROM obs),
          'psi of merged current states equals the two-sample psi');

-- moving frames equal recomputation
SELECT is((SELECT count(*)::int FROM (
              SELECT g, ethaudit.group_tpr_gap(y, y_hat, grp) OVER w AS m
              FROM obs WINDOW w AS (ORDER BY g ROWS BETWEEN 99 PRECEDING AND CURRENT ROW)) s
           WHERE s.g % 97 = 0 AND s.m IS DISTINCT FROM
                 (SELECT ethaudit.group_tpr_gap(y, y_hat, grp) FROM obs o WHERE o.g BETWEEN s.g - 99 AND s.g)),
          0, 'sliding group_tpr_gap equals recomputation');

-- errors
SELECT throws_ok($$SELECT '{"kind": "numeric", "n": 1, "nan": 0, "null": 0, "edges": [], "counts": [2]}'::ethaudit.baseline$$,
                 '22P03', NULL, 'a baseline whose counts do not add up is refused');
SELECT throws_ok($$SELECT ethaudit.merge(b) FROM (SELECT num FROM ref UNION ALL
                   SELECT ethaudit.baseline(v, 4) FROM obs) s(b)$$,
                 '22023', NULL, 'baselines with different bins are not merged');
SELECT throws_ok($$SELECT ethaudit.psi(c, (SELECT num FROM ref)) FROM obs$$,
                 '42804', NULL, 'text values against a numeric baseline are refused');
SELECT throws_ok($$SELECT ethaudit.baseline(v, ARRAY[3, 1]::float8[]) FROM obs$$,
                 '22023', NULL, 'unordered edges are refused');

SELECT * FROM finish();
ROLLBACK;
