-- group_tpr_gap and the pooled confusion rates: Fairlearn's test data
-- (METRICS.md), the minimum-positives option, NULL rules and limits.
SET extra_float_digits = 0;

CREATE TEMP TABLE fl AS
SELECT y::boolean AS y_true, p::boolean AS y_pred, ((i - 1) % 2)::text AS grp
FROM unnest(ARRAY[0,0,0,1,1,1,0,0,0,0,0,0,0,1,1,1,1,1],
            ARRAY[1,0,1,0,1,0,0,1,0,0,0,0,0,1,1,1,1,1]) WITH ORDINALITY t(y, p, i);

-- TPR 1.0 vs 0.6: gap 0.4
SELECT 'tpr gap' AS check_name, regress.near(ethaudit.group_tpr_gap(y_true, y_pred, grp), 0.4) AS ok
FROM fl;

-- per group, the pooled rates with GROUP BY
SELECT grp, ethaudit.true_positive_rate(y_true, y_pred) AS tpr,
       ethaudit.false_positive_rate(y_true, y_pred) AS fpr,
       ethaudit.false_negative_rate(y_true, y_pred) AS fnr
FROM fl GROUP BY grp ORDER BY grp;

-- min_positives: group '0' has 3 positives, group '1' has 5
SELECT ethaudit.group_tpr_gap(y_true, y_pred, grp, 1) AS min_1,
       ethaudit.group_tpr_gap(y_true, y_pred, grp, 4) AS min_4,
       ethaudit.group_tpr_gap(y_true, y_pred, grp, 5) AS min_5_one_group_left
FROM fl;

-- a group with no positives is excluded, not scored as TPR 0
SELECT 'no-positive group excluded' AS check_name,
       regress.near(ethaudit.group_tpr_gap(y_true, y_pred, grp), 0.4) AS ok
FROM (SELECT * FROM fl UNION ALL SELECT false, true, 'only negatives') t;

-- NULL in any argument: the row is ignored; one group: NULL; no rows: NULL
SELECT 'nulls ignored' AS check_name,
       regress.near(ethaudit.group_tpr_gap(y_true, y_pred, grp), 0.4) AS ok
FROM (SELECT * FROM fl UNION ALL SELECT true, false, NULL
      UNION ALL SELECT NULL, true, '0' UNION ALL SELECT true, NULL, '1') t;
SELECT ethaudit.group_tpr_gap(y_true, y_pred, 'same') AS one_group FROM fl;
SELECT ethaudit.group_tpr_gap(y_true, y_pred, grp) AS no_rows FROM fl WHERE false;
SELECT ethaudit.true_positive_rate(y_true, y_pred) AS tpr_without_positives,
       ethaudit.false_positive_rate(y_true, y_pred) AS fpr
FROM fl WHERE NOT y_true;

-- intersectional groups are any expression
SELECT round(ethaudit.group_tpr_gap(y_true, y_pred, grp || '/' || (y_pred::int)::text)::numeric, 12)
       AS intersectional
FROM fl;

-- options and limits
SELECT regress.error_of('SELECT ethaudit.group_tpr_gap(true, true, ''a'', 0)') AS min_0;
SET ethaudit.max_groups = 5;
SELECT regress.error_of('SELECT ethaudit.group_tpr_gap(true, true, g::text) FROM generate_series(1, 6) g')
       AS too_many_groups;
RESET ethaudit.max_groups;

-- group names of every storage form read the same: short (1-byte header), long
-- (4-byte header), compressed in line and stored out of line (TOAST), and
-- groups that collide in the hash table spread apart
CREATE TEMP TABLE fl_long (y_true boolean, y_pred boolean, grp text);
ALTER TABLE fl_long ALTER COLUMN grp SET STORAGE external;
INSERT INTO fl_long
SELECT y_true, y_pred,
       CASE grp WHEN '0' THEN repeat('a', 200) ELSE repeat('b', 2) || repeat('c', 3000) || md5(grp) END
FROM fl;
CREATE TEMP TABLE fl_compressed (LIKE fl_long);
INSERT INTO fl_compressed SELECT y_true, y_pred, repeat(md5(grp), 300) FROM fl;
SELECT 'long, out-of-line and compressed group names' AS check_name,
       (SELECT ethaudit.group_tpr_gap(y_true, y_pred, grp) FROM fl) =
       (SELECT ethaudit.group_tpr_gap(y_true, y_pred, grp) FROM fl_long) AS same_as_short,
       (SELECT ethaudit.group_tpr_gap(y_true, y_pred, grp) FROM fl) =
       (SELECT ethaudit.group_tpr_gap(y_true, y_pred, grp) FROM fl_compressed) AS same_as_compressed,
       (SELECT bool_and(pg_column_size(grp) < octet_length(grp)) FROM fl_compressed) AS were_compressed;
WITH r AS (SELECT 'grp' || (i * 7 % 16) AS g, i % 3 > 0 AS y, (i * i) % 5 > 1 AS p
           FROM generate_series(1, 3200) i),
     per AS (SELECT g, avg(p::int) FILTER (WHERE y) AS tpr FROM r GROUP BY g)
SELECT 'sixteen groups' AS check_name, (SELECT count(*) FROM per) AS groups,
       regress.near((SELECT ethaudit.group_tpr_gap(y, p, g) FROM r),
                    (SELECT (max(tpr) - min(tpr))::float8 FROM per)) AS ok;
