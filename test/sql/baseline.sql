-- Stored baselines, storable states and rollups: text and binary round
-- trips, one-pass metrics against a baseline equal to the two-sample ones,
-- KS bounds, moving window frames equal to recomputation, merge equal to a
-- single pass, parallel equal to serial, and corrupt input refused.
SET extra_float_digits = 0;

CREATE TABLE compas (
    id int, compas_screening_date date, sex text, age int, age_cat text, race text,
    juv_fel_count int, juv_misd_count int, juv_other_count int, priors_count int,
    days_b_screening_arrest int, c_charge_degree text, is_recid int, is_violent_recid int,
    decile_score int, score_text text, v_decile_score int, v_score_text text,
    two_year_recid int
);
\copy compas FROM 'test/data/compas/compas-minimal.csv' WITH (FORMAT csv, HEADER true)
CREATE TABLE bike (
    instant int, dteday date, season int, yr int, mnth int, hr int, holiday int, weekday int,
    workingday int, weathersit int, temp float8, atemp float8, hum float8, windspeed float8,
    casual int, registered int, cnt int
);
\copy bike FROM 'test/data/bike_sharing/hour.csv' WITH (FORMAT csv, HEADER true)
ANALYZE compas;
ANALYZE bike;

-- ---------- building, and the text form ----------
SELECT ethaudit.baseline(v) AS numeric_baseline
FROM (VALUES (1.0::float8), (2.0), (2.0), (3.0), (4.0), (NULL), ('NaN'), (5.0), (6.0), (7.0), (8.0)) t(v);
SELECT ethaudit.baseline(v, 4) AS four_bins
FROM (VALUES (1.0::float8), (2.0), (2.0), (3.0), (4.0), (5.0), (6.0), (7.0), (8.0)) t(v);
SELECT ethaudit.baseline(v, ARRAY[0, 2.5, 5]::float8[]) AS given_edges
FROM (VALUES (-1.0::float8), (2.5), (2.6), (5.0), (9.0), ('Infinity'), (NULL)) t(v);
SELECT ethaudit.baseline(c) AS categorical
FROM (VALUES ('b'), ('a'), ('b'), (NULL), ('quote"d'), ('')) t(c);
SELECT ethaudit.baseline(v) FILTER (WHERE false) AS no_rows
FROM (VALUES (1.0::float8)) t(v);

-- every accessor
CREATE TEMP TABLE bl AS
SELECT ethaudit.baseline(temp) AS temp_b, ethaudit.baseline(temp, 20) AS temp_b20,
       ethaudit.baseline(hum, ARRAY[0.2, 0.4, 0.6, 0.8]::float8[]) AS hum_edges
FROM bike WHERE yr = 0;
CREATE TEMP TABLE bl_text AS
SELECT ethaudit.baseline(race) AS race_b FROM compas WHERE compas_screening_date < '2014-01-01';
SELECT ethaudit.baseline_n(temp_b), ethaudit.baseline_edges(temp_b), ethaudit.baseline_counts(temp_b),
       round((ethaudit.baseline_proportions(temp_b))[1]::numeric, 12) AS first_proportion,
       ethaudit.baseline_categories(temp_b) AS no_categories
FROM bl;
SELECT (ethaudit.baseline_summary(temp_b)).kind, (ethaudit.baseline_summary(temp_b)).n,
       regress.near((ethaudit.baseline_summary(temp_b)).mean, (SELECT avg(temp) FROM bike WHERE yr = 0)) AS mean_ok,
       regress.near((ethaudit.baseline_summary(temp_b)).variance, (SELECT var_samp(temp) FROM bike WHERE yr = 0)) AS variance_ok,
       (ethaudit.baseline_summary(temp_b)).min = (SELECT min(temp) FROM bike WHERE yr = 0) AS min_ok,
       (ethaudit.baseline_summary(temp_b)).max = (SELECT max(temp) FROM bike WHERE yr = 0) AS max_ok
FROM bl;
SELECT ethaudit.baseline_categories(race_b), ethaudit.baseline_counts(race_b),
       ethaudit.baseline_edges(race_b) AS no_edges, (ethaudit.baseline_summary(race_b)).*
FROM bl_text;

-- text round trip: exact, for numbers (shortest exact decimals) and categories
SELECT temp_b::text::ethaudit.baseline::text = temp_b::text AS numeric_round_trip,
       temp_b20::text::ethaudit.baseline::text = temp_b20::text AS twenty_bins_round_trip,
       hum_edges::text::ethaudit.baseline::text = hum_edges::text AS edges_round_trip,
       ethaudit.psi(temp_b, temp_b::text::ethaudit.baseline) = 0 AS same_after_round_trip
FROM bl;
SELECT race_b::text::ethaudit.baseline::text = race_b::text AS categorical_round_trip FROM bl_text;
SELECT b::text::ethaudit.baseline::text = b::text AS special_values_round_trip
FROM (SELECT ethaudit.baseline(v, ARRAY[-1e300, 5e-324, 0.1]::float8[]) AS b
      FROM (VALUES ('-Infinity'::float8), (1e-310), (0.1), (0.30000000000000004)) t(v)) s;

-- binary round trip through COPY (FORMAT binary): send, then receive with validation
CREATE TEMP TABLE bin_out AS SELECT temp_b AS b FROM bl UNION ALL SELECT race_b FROM bl_text;
\copy bin_out TO '/tmp/ethaudit_regress_baseline.bin' WITH (FORMAT binary)
CREATE TEMP TABLE bin_in (b ethaudit.baseline);
\copy bin_in FROM '/tmp/ethaudit_regress_baseline.bin' WITH (FORMAT binary)
\! rm -f /tmp/ethaudit_regress_baseline.bin
SELECT count(*) AS received,
       bool_and(i.b::text = o.b::text) AS binary_round_trip
FROM (SELECT b, row_number() OVER () AS k FROM bin_in) i
JOIN (SELECT b, row_number() OVER () AS k FROM bin_out) o USING (k);

-- ---------- metrics against a baseline equal the two-sample metrics ----------
-- bike sharing: 2011 is the reference, 2012 the current rows
SELECT ethaudit.psi(temp, (SELECT temp_b FROM bl)) = (SELECT ethaudit.psi(temp, yr = 0) FROM bike) AS psi_equal,
       ethaudit.js_divergence(temp, (SELECT temp_b FROM bl)) = (SELECT ethaudit.js_divergence(temp, yr = 0) FROM bike) AS js_equal,
       ethaudit.hellinger(temp, (SELECT temp_b FROM bl)) = (SELECT ethaudit.hellinger(temp, yr = 0) FROM bike) AS hellinger_equal,
       regress.near(ethaudit.psi(temp, (SELECT temp_b20 FROM bl)), (SELECT ethaudit.psi(temp, yr = 0, 20) FROM bike), 1e-12) AS psi20_close,
       regress.near(ethaudit.psi(temp, (SELECT temp_b FROM bl)), 0.04325160541542649) AS psi_source_value
FROM bike WHERE yr = 1;
-- categorical, with a category (Native American ...) seen on one side only
SELECT regress.near(ethaudit.psi(race, (SELECT race_b FROM bl_text)),
                    (SELECT ethaudit.psi(race, compas_screening_date < '2014-01-01') FROM compas), 1e-12) AS psi_text_close,
       regress.near(ethaudit.js_divergence(race, (SELECT race_b FROM bl_text)),
                    (SELECT ethaudit.js_divergence(race, compas_screening_date < '2014-01-01') FROM compas), 1e-12) AS js_text_close,
       regress.near(ethaudit.psi(race, (SELECT race_b FROM bl_text)), 0.0028236631567233428) AS psi_text_reference,
       regress.near(ethaudit.hellinger(race, (SELECT race_b FROM bl_text)),
                    (SELECT ethaudit.hellinger(race, compas_screening_date < '2014-01-01') FROM compas), 1e-12) AS hellinger_text_close,
       -- sqrt(sum((sqrt(r) - sqrt(c))^2)) / sqrt(2) over the category shares, computed outside the database
       regress.near(ethaudit.hellinger(race, (SELECT race_b FROM bl_text)), 0.018778696306041287) AS hellinger_text_reference
FROM compas WHERE compas_screening_date >= '2014-01-01';
-- the current rows as a stored state compare the same way
SELECT ethaudit.psi((SELECT temp_b FROM bl), ethaudit.baseline(temp, (SELECT temp_b FROM bl)))
       = ethaudit.psi(temp, (SELECT temp_b FROM bl)) AS stored_state_equal
FROM bike WHERE yr = 1;

-- KS against bins: the exact D lies within the bounds, and more bins tighten them
SELECT b.lower <= exact.d + 1e-12 AND exact.d <= b.upper + 1e-12 AS ten_bins_contain_exact,
       b20.lower <= exact.d + 1e-12 AND exact.d <= b20.upper + 1e-12 AS twenty_bins_contain_exact,
       b20.upper - b20.lower <= b.upper - b.lower AS tighter_with_more_bins,
       round(b.lower::numeric, 6) AS lower10, round(b.upper::numeric, 6) AS upper10,
       round(exact.d::numeric, 6) AS exact_d
FROM (SELECT (ethaudit.ks_bounds(temp, (SELECT temp_b FROM bl))).* FROM bike WHERE yr = 1) b,
     (SELECT (ethaudit.ks_bounds(temp, (SELECT temp_b20 FROM bl))).* FROM bike WHERE yr = 1) b20,
     (SELECT ethaudit.ks_stat(temp, yr = 0) AS d FROM bike) exact;
-- every one of 200 random splits: exact D within [lower, upper], upper - lower
-- at most the largest bin share of either sample
CREATE TEMP TABLE ks_split AS
SELECT s, v, (hashint4(i * 31 + s) % 2 = 0) AS r
FROM generate_series(1, 200) s, LATERAL (SELECT i, (hashint4(i + 7 * s) % 1000) / 10.0::float8 + s % 3 * (i % 2) AS v
                                         FROM generate_series(1, 300) i) x;
SELECT count(*) AS splits,
       bool_and(k.lower <= e.d + 1e-12 AND e.d <= k.upper + 1e-12) AS all_contain_exact,
       bool_and(k.upper - k.lower <= m.widest + 1e-12) AS all_within_bin_share
FROM (SELECT s, ethaudit.ks_stat(v, r) AS d FROM ks_split GROUP BY s) e
JOIN (SELECT s, ethaudit.baseline(v) FILTER (WHERE r) AS b FROM ks_split GROUP BY s) bs USING (s)
JOIN LATERAL (SELECT (ethaudit.ks_bounds(v, bs.b)).* FROM ks_split k WHERE k.s = e.s AND NOT r) k ON true
JOIN LATERAL (SELECT greatest((SELECT max(p) FROM unnest(ethaudit.baseline_proportions(bs.b)) p),
                              (SELECT max(p) FROM unnest(ethaudit.baseline_proportions(
                                   (SELECT ethaudit.baseline(v, bs.b) FROM ks_split k2 WHERE k2.s = e.s AND NOT r))) p)) AS widest) m ON true;

-- ---------- rollups: merged daily states equal one pass ----------
CREATE TEMP TABLE daily AS
SELECT dteday,
       ethaudit.baseline(temp, (SELECT temp_b FROM bl)) AS temp_state,
       ethaudit.baseline(weathersit::text) AS weather_state,
       ethaudit.group_counts(cnt > 200, casual > 30, season::text) AS fair_state,
       ethaudit.calibration_counts(cnt > 200, least(registered / 800.0, 1)::float8) AS cal_state
FROM bike WHERE yr = 1 GROUP BY dteday;
SELECT count(*) AS days FROM daily;
-- (counts are exact; mean and variance are merged by Chan's formula and agree to rounding)
SELECT ethaudit.baseline_counts((SELECT ethaudit.merge(temp_state) FROM daily))
       = (SELECT ethaudit.baseline_counts(ethaudit.baseline(temp, (SELECT temp_b FROM bl))) FROM bike WHERE yr = 1) AS baseline_merge_equal,
       regress.near((ethaudit.baseline_summary((SELECT ethaudit.merge(temp_state) FROM daily))).variance,
                    (SELECT var_samp(temp) FROM bike WHERE yr = 1), 1e-15) AS merged_variance_ok,
       (ethaudit.baseline_summary((SELECT ethaudit.merge(temp_state) FROM daily))).max
       = (SELECT max(temp) FROM bike WHERE yr = 1) AS merged_max_ok,
       (SELECT ethaudit.merge(weather_state) FROM daily)::text
       = (SELECT ethaudit.baseline(weathersit::text) FROM bike WHERE yr = 1)::text AS categorical_merge_equal,
       (SELECT ethaudit.merge(fair_state) FROM daily)::text
       = (SELECT ethaudit.group_counts(cnt > 200, casual > 30, season::text) FROM bike WHERE yr = 1)::text AS group_merge_equal,
       (SELECT ethaudit.merge(cal_state) FROM daily)::text
       = (SELECT ethaudit.calibration_counts(cnt > 200, least(registered / 800.0, 1)::float8) FROM bike WHERE yr = 1)::text AS calibration_merge_equal;
-- metrics of merged states equal the aggregates over the raw rows
SELECT ethaudit.psi((SELECT temp_b FROM bl), (SELECT ethaudit.merge(temp_state) FROM daily))
       = (SELECT ethaudit.psi(temp, yr = 0) FROM bike) AS psi_of_rollup,
       ethaudit.group_tpr_gap((SELECT ethaudit.merge(fair_state) FROM daily))
       = (SELECT ethaudit.group_tpr_gap(cnt > 200, casual > 30, season::text) FROM bike WHERE yr = 1) AS tpr_gap_of_rollup,
       ethaudit.equalized_odds_gap((SELECT ethaudit.merge(fair_state) FROM daily))
       = (SELECT ethaudit.equalized_odds_gap(cnt > 200, casual > 30, season::text) FROM bike WHERE yr = 1) AS eo_of_rollup,
       ethaudit.selection_rate_ratio((SELECT ethaudit.merge(fair_state) FROM daily))
       = (SELECT ethaudit.selection_rate_ratio(casual > 30, season::text) FROM bike WHERE yr = 1) AS ratio_of_rollup,
       ethaudit.ece((SELECT ethaudit.merge(cal_state) FROM daily))
       = (SELECT ethaudit.ece(cnt > 200, least(registered / 800.0, 1)::float8) FROM bike WHERE yr = 1) AS ece_of_rollup,
       ethaudit.max_calibration_error((SELECT ethaudit.merge(cal_state) FROM daily))
       = (SELECT ethaudit.max_calibration_error(cnt > 200, least(registered / 800.0, 1)::float8) FROM bike WHERE yr = 1) AS mce_of_rollup;
-- a monthly rollup in SQL, as a dashboard would query it
SELECT date_trunc('month', dteday)::date AS month,
       round(ethaudit.psi((SELECT temp_b FROM bl), ethaudit.merge(temp_state))::numeric, 6) AS psi,
       round(ethaudit.ece(ethaudit.merge(cal_state))::numeric, 6) AS ece
FROM daily GROUP BY 1 ORDER BY 1 LIMIT 3;
-- the other storable states round-trip through text too
SELECT s.fair_state::text::ethaudit.group_counts::text = s.fair_state::text AS group_counts_round_trip,
       s.cal_state::text::ethaudit.calibration_counts::text = s.cal_state::text AS calibration_round_trip
FROM daily s ORDER BY dteday LIMIT 1;
SELECT fair_state, cal_state FROM daily ORDER BY dteday LIMIT 1;

-- ---------- moving window frames equal recomputation ----------
CREATE TEMP TABLE mov AS
SELECT instant AS id, temp, weathersit::text AS weather, cnt > 200 AS y, casual > 30 AS pred,
       season::text AS grp, least(registered / 800.0, 1)::float8 AS p
FROM bike WHERE yr = 1 AND instant % 7 = 0;
CREATE TEMP TABLE mov_w AS
SELECT id,
       ethaudit.psi(temp, (SELECT temp_b FROM bl)) OVER w AS psi,
       ethaudit.js_divergence(weather, (SELECT ethaudit.baseline(weathersit::text) FROM bike WHERE yr = 0)) OVER w AS js_text,
       ethaudit.ks_bounds(temp, (SELECT temp_b FROM bl)) OVER w AS ks,
       ethaudit.ece(y, p) OVER w AS ece,
       ethaudit.group_tpr_gap(y, pred, grp) OVER w AS tpr_gap,
       ethaudit.group_report(y, pred, grp) OVER w AS report,
       ethaudit.null_rate_change(CASE WHEN id % 5 = 0 THEN NULL ELSE temp END, id % 2 = 0) OVER w AS null_change,
       ethaudit.baseline(temp, ARRAY[0.2, 0.5, 0.8]::float8[]) OVER w AS state
FROM mov WINDOW w AS (ORDER BY id ROWS BETWEEN 49 PRECEDING AND CURRENT ROW);
SELECT count(*) AS frames,
       count(*) FILTER (WHERE w.psi IS DISTINCT FROM r.psi) AS psi_mismatches,
       count(*) FILTER (WHERE w.js_text IS DISTINCT FROM r.js_text) AS js_text_mismatches,
       count(*) FILTER (WHERE w.ks IS DISTINCT FROM r.ks) AS ks_mismatches,
       count(*) FILTER (WHERE w.ece IS DISTINCT FROM r.ece) AS ece_mismatches,
       count(*) FILTER (WHERE w.tpr_gap IS DISTINCT FROM r.tpr_gap) AS tpr_gap_mismatches,
       count(*) FILTER (WHERE w.report IS DISTINCT FROM r.report) AS report_mismatches,
       count(*) FILTER (WHERE w.null_change IS DISTINCT FROM r.null_change) AS null_change_mismatches,
       count(*) FILTER (WHERE ethaudit.baseline_counts(w.state) IS DISTINCT FROM ethaudit.baseline_counts(r.state))
           AS state_mismatches
FROM mov_w w,
     LATERAL (SELECT ethaudit.psi(temp, (SELECT temp_b FROM bl)) AS psi,
                     ethaudit.js_divergence(weather, (SELECT ethaudit.baseline(weathersit::text) FROM bike WHERE yr = 0)) AS js_text,
                     ethaudit.ks_bounds(temp, (SELECT temp_b FROM bl)) AS ks,
                     ethaudit.ece(y, p) AS ece, ethaudit.group_tpr_gap(y, pred, grp) AS tpr_gap,
                     ethaudit.group_report(y, pred, grp) AS report,
                     ethaudit.null_rate_change(CASE WHEN id % 5 = 0 THEN NULL ELSE temp END, id % 2 = 0) AS null_change,
                     ethaudit.baseline(temp, ARRAY[0.2, 0.5, 0.8]::float8[]) AS state
              FROM (SELECT * FROM mov m WHERE m.id <= w.id ORDER BY m.id DESC LIMIT 50) f) r;

-- ---------- parallel plans equal serial ones ----------
CREATE TEMP TABLE par_serial AS
SELECT ethaudit.psi(temp, (SELECT temp_b FROM bl)) AS psi,
       ethaudit.psi(weathersit::text, (SELECT ethaudit.baseline(weathersit::text) FROM bike WHERE yr = 0)) AS psi_text,
       ethaudit.baseline(temp)::text AS built, ethaudit.group_counts(cnt > 200, casual > 30, season::text)::text AS groups,
       ethaudit.ece(cnt > 200, least(registered / 800.0, 1)::float8) AS ece
FROM bike;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
SELECT p.psi = s.psi AS psi_same, p.psi_text = s.psi_text AS psi_text_same, p.built = s.built AS baseline_same,
       p.groups = s.groups AS group_counts_same, p.ece = s.ece AS ece_same
FROM par_serial s,
     (SELECT ethaudit.psi(temp, (SELECT temp_b FROM bl)) AS psi,
             ethaudit.psi(weathersit::text, (SELECT ethaudit.baseline(weathersit::text) FROM bike WHERE yr = 0)) AS psi_text,
             ethaudit.baseline(temp)::text AS built, ethaudit.group_counts(cnt > 200, casual > 30, season::text)::text AS groups,
             ethaudit.ece(cnt > 200, least(registered / 800.0, 1)::float8) AS ece
      FROM bike) p;
RESET parallel_leader_participation;
RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;

-- ---------- errors ----------
SELECT regress.error_of($$SELECT '{"kind": "numeric"}'::ethaudit.baseline$$) AS missing_key;
SELECT regress.error_of($$SELECT '[1, 2]'::ethaudit.baseline$$) AS not_an_object;
SELECT regress.error_of($$SELECT 'nonsense'::ethaudit.baseline$$) AS not_json;
SELECT regress.error_of($$SELECT '{"kind": "numeric", "n": 3, "nan": 0, "null": 0, "edges": [2, 1], "counts": [1, 1, 1]}'::ethaudit.baseline$$) AS descending_edges;
SELECT regress.error_of($$SELECT '{"kind": "numeric", "n": 4, "nan": 0, "null": 0, "edges": [1], "counts": [1, 1]}'::ethaudit.baseline$$) AS wrong_total;
SELECT regress.error_of($$SELECT '{"kind": "numeric", "n": 2, "nan": 0, "null": 0, "edges": [1], "counts": [3, -1]}'::ethaudit.baseline$$) AS negative_count;
SELECT regress.error_of($$SELECT '{"kind": "numeric", "n": 2, "nan": 0, "null": 0, "edges": [1], "counts": [1.5, 0.5]}'::ethaudit.baseline$$) AS fractional_count;
SELECT regress.error_of($$SELECT '{"kind": "categorical", "n": 1, "null": 0, "categories": {"a": 2}}'::ethaudit.baseline$$) AS categorical_total;
SELECT regress.error_of($$SELECT '{"kind": "histogram", "n": 0}'::ethaudit.baseline$$) AS unknown_kind;
SELECT regress.error_of($$SELECT '{"min_count": 0, "groups": {}}'::ethaudit.group_counts$$) AS min_count_zero;
SELECT regress.error_of($$SELECT '{"min_count": 1, "groups": {"a": [1, 2, 3]}}'::ethaudit.group_counts$$) AS short_group;
SELECT regress.error_of($$SELECT '{"n": 1, "bins": [[1, 2, "0"]]}'::ethaudit.calibration_counts$$) AS more_positives_than_rows;
SELECT regress.error_of($$SELECT '{"n": 1, "bins": [[1, 0, "x"]]}'::ethaudit.calibration_counts$$) AS bad_sum;
SELECT regress.error_of($$SELECT ethaudit.baseline(v, ARRAY[1, NULL]::float8[]) FROM (VALUES (1.0::float8)) t(v)$$) AS null_edge;
SELECT regress.error_of($$SELECT ethaudit.baseline(v, ARRAY[2, 1]::float8[]) FROM (VALUES (1.0::float8)) t(v)$$) AS unordered_edges;
SELECT regress.error_of($$SELECT ethaudit.baseline(v, ARRAY['NaN']::float8[]) FROM (VALUES (1.0::float8)) t(v)$$) AS nan_edge;
SELECT regress.error_of($$SELECT ethaudit.psi(v, CASE WHEN v < 2 THEN a ELSE b END)
    FROM (VALUES (1.0::float8), (3.0)) t(v),
         (SELECT ethaudit.baseline(x) AS a, ethaudit.baseline(x + 1) AS b FROM generate_series(1, 9) x) s$$) AS two_baselines;
-- a baseline computed per row may be rebuilt at the same address with other
-- contents: it is compared by value, as aggregate and as window function
SELECT regress.error_of($$SELECT ethaudit.psi(x::float8, (CASE WHEN x % 2 = 0
    THEN '{"kind": "numeric", "n": 10, "nan": 0, "null": 0, "edges": [2, 5], "counts": [2, 3, 5]}'
    ELSE '{"kind": "numeric", "n": 10, "nan": 0, "null": 0, "edges": [3, 7], "counts": [3, 4, 3]}' END)::ethaudit.baseline)
    FROM generate_series(1, 10) x$$) AS rebuilt_per_row;
SELECT regress.error_of($$SELECT ethaudit.psi(x::float8, (CASE WHEN x % 2 = 0
    THEN '{"kind": "numeric", "n": 10, "nan": 0, "null": 0, "edges": [2, 5], "counts": [2, 3, 5]}'
    ELSE '{"kind": "numeric", "n": 10, "nan": 0, "null": 0, "edges": [3, 7], "counts": [3, 4, 3]}' END)::ethaudit.baseline)
    OVER (ORDER BY x ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)
    FROM generate_series(1, 10) x$$) AS rebuilt_per_row_window;
SELECT regress.error_of($$SELECT ethaudit.baseline(x::float8, (CASE WHEN x % 2 = 0 THEN '{1,2}' ELSE '{1,3}' END)::float8[])
    FROM generate_series(1, 10) x$$) AS edges_rebuilt_per_row;
SELECT 'the same baseline rebuilt per row is accepted' AS check_name,
       ethaudit.psi(x::float8, ('{"kind": "numeric", "n": 10, "nan": 0, "null": 0, "edges": [2, 5], "counts": [2, 3, 5]}' || repeat(' ', x % 2))::ethaudit.baseline)
       = ethaudit.psi(x::float8, '{"kind": "numeric", "n": 10, "nan": 0, "null": 0, "edges": [2, 5], "counts": [2, 3, 5]}'::ethaudit.baseline) AS ok
FROM generate_series(1, 10) x;
SELECT regress.error_of($$SELECT ethaudit.psi(race, (SELECT temp_b FROM bl)) FROM compas$$) AS text_against_numeric;
SELECT regress.error_of($$SELECT ethaudit.psi(temp, (SELECT race_b FROM bl_text)) FROM bike$$) AS numeric_against_categorical;
SELECT regress.error_of($$SELECT ethaudit.psi(temp_b, temp_b20) FROM bl$$) AS different_bins;
SELECT regress.error_of($$SELECT ethaudit.merge(b) FROM (SELECT temp_b FROM bl UNION ALL SELECT temp_b20 FROM bl) s(b)$$) AS merge_different_bins;
SELECT regress.error_of($$SELECT ethaudit.merge(s) FROM (VALUES ('{"min_count": 1, "groups": {}}'::ethaudit.group_counts), ('{"min_count": 2, "groups": {}}')) t(s)$$) AS merge_different_min;
SELECT regress.error_of($$SELECT ethaudit.ks_stat(race_b, race_b) FROM bl_text$$) AS ks_categorical;
-- NULL baseline: rows ignored; NULL values counted as NULLs
SELECT ethaudit.psi(v, NULL::ethaudit.baseline) AS null_baseline FROM (VALUES (1.0::float8)) t(v);
SELECT (ethaudit.baseline_summary(ethaudit.baseline(v, (SELECT temp_b FROM bl)))).null_count AS nulls_counted
FROM (VALUES (NULL::float8), (NULL), (0.5)) t(v);

DROP TABLE compas, bike;
