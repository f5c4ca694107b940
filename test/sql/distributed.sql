-- What a distributed executor (Citus) needs, checked without one: support
-- functions that work when called by OID with no call expression, generated
-- queries that read a stored baseline inside the aggregate's call, monitoring
-- refused on distributed tables, and the memory of GROUP BY over many groups.
CREATE SCHEMA dist;
CREATE TABLE dist.log AS
SELECT i AS id, CASE WHEN i > 2000 AND i % 10 = 1 THEN 'a' ELSE (ARRAY['a', 'b', 'c', '<b>'])[1 + i % 4] END AS grp,
       ((i * 37) % 100) / 100.0 + 0.005 AS score, i % 4 = 0 OR i % 7 = 0 AS label,
       (i % 17)::float8 + i / 1000.0 AS feature,
       timestamptz '2024-01-01 00:00+00' + i * interval '1 minute' AS ts
FROM generate_series(1, 3000) i;

-- ethaudit_debug_plain_call, a test-only entry point of the library, calls the
-- function it is given by OID with the other arguments and no call
-- expression, as a distributed executor's workers call support functions;
-- declared as an aggregate's transition function, it runs as that function
CREATE FUNCTION pg_temp.plain_trans(ethaudit.baseline, regprocedure, text, ethaudit.baseline)
RETURNS ethaudit.baseline AS '$libdir/ethaudit', 'ethaudit_debug_plain_call' LANGUAGE C;
CREATE FUNCTION pg_temp.plain_trans(ethaudit.baseline, regprocedure, double precision, ethaudit.baseline)
RETURNS ethaudit.baseline AS '$libdir/ethaudit', 'ethaudit_debug_plain_call' LANGUAGE C;
CREATE AGGREGATE pg_temp.plain_baseline(regprocedure, text, ethaudit.baseline)
    (sfunc = pg_temp.plain_trans, stype = ethaudit.baseline, finalfunc = ethaudit_internal.baseline_state_final);
CREATE AGGREGATE pg_temp.plain_psi(regprocedure, text, ethaudit.baseline)
    (sfunc = pg_temp.plain_trans, stype = ethaudit.baseline, finalfunc = ethaudit_internal.baseline_psi_final);
CREATE AGGREGATE pg_temp.plain_psi(regprocedure, double precision, ethaudit.baseline)
    (sfunc = pg_temp.plain_trans, stype = ethaudit.baseline, finalfunc = ethaudit_internal.baseline_psi_final);
CREATE TABLE dist.refs AS
SELECT (SELECT ethaudit.baseline(grp) FROM dist.log WHERE id <= 1000) AS categorical,
       (SELECT ethaudit.baseline(feature) FROM dist.log WHERE id <= 1000) AS numeric;

-- categorical baselines: the value's type comes from the function's
-- declaration, so a plain call counts the categories as the aggregate does
SELECT pg_temp.plain_baseline('ethaudit_internal.baseline_like_trans(ethaudit.baseline, text, ethaudit.baseline)',
                              l.grp, r.categorical)::text
       = ethaudit.baseline(l.grp, r.categorical)::text AS categorical_state_equal,
       pg_temp.plain_psi('ethaudit_internal.baseline_compare_trans(ethaudit.baseline, text, ethaudit.baseline)',
                         l.grp, r.categorical)
       = ethaudit.psi(l.grp, r.categorical) AS categorical_psi_equal,
       pg_temp.plain_psi('ethaudit_internal.baseline_compare_trans(ethaudit.baseline, double precision, ethaudit.baseline)',
                         l.feature, r.numeric)
       = ethaudit.psi(l.feature, r.numeric) AS numeric_psi_equal,
       ethaudit.psi(l.grp, r.categorical) > 0 AS nonzero
FROM dist.log l CROSS JOIN dist.refs r WHERE l.id > 1000;
-- and a numeric baseline given text values is still refused
SELECT regress.error_of($$SELECT pg_temp.plain_psi('ethaudit_internal.baseline_compare_trans(ethaudit.baseline, text, ethaudit.baseline)',
                                                   l.grp, r.numeric) FROM dist.log l, dist.refs r$$);

-- group_report's final function, called by OID: its return type from its declaration
CREATE FUNCTION pg_temp.plain_call(regprocedure, ethaudit.group_counts)
RETURNS ethaudit.group_metrics[] AS '$libdir/ethaudit', 'ethaudit_debug_plain_call' LANGUAGE C;
SELECT pg_temp.plain_call('ethaudit_internal.group_report_final(ethaudit.group_counts)',
                          ethaudit.group_counts(label, score > 0.5, grp))::text
       = ethaudit.group_report(label, score > 0.5, grp)::text AS report_equal,
       cardinality(pg_temp.plain_call('ethaudit_internal.group_report_final(ethaudit.group_counts)',
                                      ethaudit.group_counts(label, score > 0.5, grp))) AS groups
FROM dist.log;

-- the runner's queries: a stored baseline is read inside the aggregate's
-- call (a distributed planner cannot push down a subquery beside the
-- aggregates), and its size is a constant
INSERT INTO ethaudit.models (model) VALUES ('dist');
INSERT INTO ethaudit.baselines (model, column_name, baseline)
SELECT 'dist', 'grp', categorical FROM dist.refs UNION ALL SELECT 'dist', 'feature', numeric FROM dist.refs;
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size,
                             reference_kind, baseline_id)
SELECT format('%s of %s', m.metric, b.column_name), 'dist', m.metric, 'dist.log', 'ts', b.column_name, '10 years',
       'baseline', b.baseline_id
FROM ethaudit.metric_catalog m
JOIN ethaudit.baselines b ON b.model = 'dist' AND b.value_kind = ANY (m.value_kinds)
WHERE m.baseline_capable;
SELECT c.check_name,
       -- the target list: what precedes the FROM of the sample's rows
       regexp_count(split_part(q, ' FROM ((SELECT src.', 1), '\(SELECT') AS target_list_subqueries,
       regexp_count(q, 'ethaudit\.[a-z_]+\(s\.v, \(SELECT b\.baseline FROM ethaudit\.baselines b WHERE b\.baseline_id = [0-9]+\)')
           AS inside_the_aggregate,
       q LIKE format('%%, %s::bigint AS %%', (SELECT b.n FROM ethaudit.baselines b WHERE b.baseline_id = c.baseline_id))
           AS size_constant,
       q NOT LIKE '%baseline_n(%' AS no_size_subquery
FROM ethaudit.checks c, ethaudit_internal.check_query(c, 'dist.log') AS q
WHERE c.model = 'dist' ORDER BY c.check_name;
SELECT checks, ok, error FROM ethaudit.run_checks('dist', '2030-01-01', replay => false);
SELECT c.check_name, r.status, r.n_current, r.n_reference, r.value > 0 AS drifted
FROM ethaudit.results r JOIN ethaudit.checks c USING (check_id) WHERE r.model = 'dist' ORDER BY 1;

-- monitoring a Citus distributed or reference table is refused: its
-- triggers would run on the workers.  Citus's metadata table, imitated.
SET allow_system_table_mods = on;
CREATE TABLE pg_catalog.pg_dist_partition (logicalrelid regclass, partmethod "char", repmodel "char");
RESET allow_system_table_mods;
CREATE TABLE dist.sharded (ts timestamptz, score float8, label boolean);
CREATE TABLE dist.replicated (ts timestamptz, score float8, label boolean);
CREATE TABLE dist.coordinator_only (ts timestamptz, score float8, label boolean);
INSERT INTO pg_catalog.pg_dist_partition VALUES ('dist.sharded', 'h', 's'), ('dist.replicated', 'n', 't'),
                                                ('dist.coordinator_only', 'n', 's');
SELECT regress.error_of($$SELECT ethaudit.monitor_table('dist.sharded', 'dist', 'ts', probability_column => 'score')$$);
SELECT regress.error_of($$SELECT ethaudit.monitor_table('dist.replicated', 'dist', 'ts', probability_column => 'score')$$);
SELECT regress.error_of($$SELECT ethaudit.monitor_label_updates('dist.sharded')$$);
SELECT count(*) AS checks FROM ethaudit.monitor_table('dist.coordinator_only', 'dist', 'ts', probability_column => 'score');
SELECT count(*) AS triggers_on_distributed FROM pg_trigger
WHERE tgrelid IN ('dist.sharded'::regclass, 'dist.replicated'::regclass);
-- a baseline of a distributed table: store_baseline finds its quantile edges
-- by counting, in passes each node would run over its own rows, instead of
-- sending every value to one node (ethaudit.baseline_capture = auto: count
-- for a distributed table).  With max_values at its least the sorting
-- capture fails, so the distributed table's baseline shows which ran.
INSERT INTO dist.sharded SELECT ts, score, label FROM dist.log;
INSERT INTO dist.coordinator_only SELECT ts, score, label FROM dist.log;
CREATE TABLE dist.sorted AS
SELECT (SELECT ethaudit.baseline(score)::text FROM dist.log) AS deciles,
       (SELECT ethaudit.baseline(score, 5)::text FROM dist.log WHERE ts < '2024-01-02 00:00+00') AS first_day;
SET ethaudit.max_values = 1000;
SELECT b.n, b.baseline::text = (SELECT deciles FROM dist.sorted) AS as_baseline_of_the_values
FROM ethaudit.store_baseline('dist', 'score', 'dist.sharded', 'ts', '2024-01-01 00:00+00', '2025-01-01 00:00+00') AS b;
SELECT regress.error_of($$SELECT ethaudit.store_baseline('dist', 'score', 'dist.coordinator_only', 'ts', '2024-01-01 00:00+00', '2025-01-01 00:00+00')$$);
SET ethaudit.baseline_capture = 'count';
SELECT b.baseline::text = (SELECT first_day FROM dist.sorted) AS counted_on_a_local_table
FROM ethaudit.store_baseline('dist', 'score', 'dist.coordinator_only', 'ts', '2024-01-01 00:00+00', '2024-01-02 00:00+00', bins => 5) AS b;
RESET ethaudit.max_values;
-- one version's rows only (here the label column plays the version column)
INSERT INTO ethaudit.model_versions (model, version) VALUES ('dist', 'true');
SELECT b.version, b.n, b.baseline::text = (SELECT ethaudit.baseline(score, 5)::text FROM dist.log WHERE label) AS of_that_version
FROM ethaudit.store_baseline('dist', 'score', 'dist.coordinator_only', 'ts', '2024-01-01 00:00+00', '2025-01-01 00:00+00',
                             version => 'true', bins => 5, version_column => 'label') AS b;
SET ethaudit.baseline_capture = 'sort';
SELECT regress.error_of($$SELECT ethaudit.store_baseline('dist', 'score', 'dist.sharded', 'ts', '2024-01-01 00:00+00', '2025-01-01 00:00+00', bins => 1)$$);
SELECT regress.error_of($$SET ethaudit.baseline_capture = 'fast'$$);
RESET ethaudit.baseline_capture;
SET allow_system_table_mods = on;
DROP TABLE pg_catalog.pg_dist_partition;
RESET allow_system_table_mods;

-- GROUP BY over many groups: the states of one aggregate share one memory
-- context, so hash aggregation's memory per group is the state's own size
-- (doc/limits.md); a context per state cost at least a 1 kB block each
CREATE TABLE dist.many AS
SELECT i AS id, ((i * 37) % 100) / 100.0 + 0.005 AS score, i % 3 = 0 AS label FROM generate_series(1, 50000) i;
ANALYZE dist.many;
CREATE FUNCTION pg_temp.peak_kb(q text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE plan json;
BEGIN
    EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON, TIMING OFF) ' || q INTO plan;
    RETURN (plan->0->'Plan'->>'Peak Memory Usage')::bigint;
END $$;
SET work_mem = '256MB';
SET enable_sort = off;
SELECT pg_temp.peak_kb('SELECT id, ethaudit.ece(label, score) FROM dist.many GROUP BY id') * 1024 / 50000
       - pg_temp.peak_kb('SELECT id, count(*) FROM dist.many GROUP BY id') * 1024 / 50000 < 1024 AS ece_under_1kb_per_group;
RESET enable_sort;
RESET work_mem;
-- and hash and sort plans give the same results
CREATE TABLE dist.by_hash AS SELECT id % 5000 AS k, ethaudit.ece(label, score) AS e FROM dist.many GROUP BY 1;
SET enable_hashagg = off;
SELECT count(*) AS groups, bool_and(h.e = s.e) AS equal
FROM dist.by_hash h JOIN (SELECT id % 5000 AS k, ethaudit.ece(label, score) AS e FROM dist.many GROUP BY 1) s USING (k);
RESET enable_hashagg;

-- the counting capture gives baseline(value, bins) to the bit, on shapes that
-- take every path of its search: spread values (counting, then reading the
-- few values left), ties (brackets that end on one value), infinities, NaN
-- and NULL, heavy tails over 600 orders of magnitude, signed zeros and the
-- smallest subnormals, the largest doubles, and one, two or one repeated value
CREATE TABLE dist.shapes (id int, shape text, v float8);
INSERT INTO dist.shapes
SELECT i, 'spread', ((i::bigint * 2654435761) % 4294967296) / 4294967296.0 FROM generate_series(1, 30000) i
UNION ALL SELECT i, 'ties', (i % 3)::float8 FROM generate_series(1, 40000) i
UNION ALL SELECT i, 'infinities', CASE i % 10 WHEN 0 THEN '-Infinity' WHEN 1 THEN 'Infinity' WHEN 2 THEN 'NaN'
                                             WHEN 3 THEN NULL ELSE (i % 97) * 1.5 - 50 END FROM generate_series(1, 5000) i
UNION ALL SELECT i, 'mostly_infinite', CASE WHEN i % 10 < 4 THEN '-Infinity' WHEN i % 10 < 8 THEN 'Infinity'
                                            ELSE i::float8 END FROM generate_series(1, 2000) i
UNION ALL SELECT i, 'tails', (CASE WHEN i % 2 = 0 THEN 1 ELSE -1 END) * exp(((i::bigint * 7919) % 1400) / 2.0 - 350)
          FROM generate_series(1, 20000) i
UNION ALL SELECT i, 'zeros', (ARRAY['-0', '0', '5e-324', '-5e-324', '1e-310']::float8[])[1 + i % 5] FROM generate_series(1, 3000) i
UNION ALL SELECT i, 'extremes', (ARRAY['1.7976931348623157e308', '-1.7976931348623157e308', '1e308', '-1e-300', '0']::float8[])[1 + i % 5]
          FROM generate_series(1, 3000) i
UNION ALL SELECT 1, 'one', 42
UNION ALL SELECT i, 'two', i FROM generate_series(1, 2) i
UNION ALL SELECT i, 'constant', 7.25 FROM generate_series(1, 500) i;
CREATE FUNCTION pg_temp.counted(shape text, bins integer) RETURNS text LANGUAGE sql AS $$
    SELECT ethaudit_internal.capture_quantile_baseline('dist.shapes', 'src.v', format('src.shape = %L', shape), '{}', bins)::text $$;
SELECT s.shape, count(*) AS bin_counts_tried,
       bool_and(pg_temp.counted(s.shape, b.bins) = (SELECT ethaudit.baseline(v, b.bins)::text FROM dist.shapes WHERE shape = s.shape))
           AS as_baseline_of_the_values
FROM (SELECT DISTINCT shape FROM dist.shapes) s, (VALUES (2), (3), (10), (1000)) b(bins)
GROUP BY s.shape ORDER BY s.shape;
-- the edges where infinities fill whole deciles, and no value at all
SELECT ethaudit.baseline_edges(pg_temp.counted('mostly_infinite', 10)::ethaudit.baseline) AS edges;
SELECT ethaudit_internal.capture_quantile_baseline('dist.shapes', 'src.v', $$src.shape = 'none'$$, '{}', 10) IS NULL AS no_values;
-- real data: the UCI bike-sharing hours of 2011
CREATE TABLE dist.bike (
    instant int, dteday date, season int, yr int, mnth int, hr int, holiday int, weekday int,
    workingday int, weathersit int, temp float8, atemp float8, hum float8, windspeed float8,
    casual int, registered int, cnt int
);
\copy dist.bike FROM 'test/data/bike_sharing/hour.csv' WITH (FORMAT csv, HEADER true)
SELECT c.col, ethaudit_internal.capture_quantile_baseline('dist.bike', format('src.%I::float8', c.col), 'src.yr = 0', '{}', 10)::text
              = (SELECT ethaudit.baseline((to_jsonb(b) ->> c.col)::float8, 10)::text FROM dist.bike b WHERE yr = 0)
           AS as_baseline_of_the_values
FROM (VALUES ('temp'), ('hum'), ('windspeed'), ('cnt'), ('casual')) c(col) ORDER BY 1;
-- rows that change between the passes are noticed (SQLSTATE 40001), not counted wrong
CREATE SEQUENCE dist.grows;
CREATE VIEW dist.growing AS SELECT v FROM dist.shapes WHERE shape = 'spread' AND id <= 1000 * (SELECT nextval('dist.grows'));
SELECT regress.error_of($$SELECT ethaudit_internal.capture_quantile_baseline('dist.growing', 'src.v', 'true', '{}', 10)$$);
-- the pieces between the passes refuse what they cannot use
SELECT ethaudit_internal.quantile_ranks(10, 4) AS ranks_of_10_values_in_quarters;
SELECT regress.error_of($$SELECT ethaudit_internal.quantile_bins(10, 4, '{2,3}', '{1,2}')$$);
SELECT regress.error_of($$SELECT ethaudit_internal.quantile_bins(10, 4, '{2,3,4,6,7}', '{1,2,1,3,4}')$$);
SELECT regress.error_of($$SELECT ethaudit_internal.selection_grid(1, 'Infinity', 10)$$);
SELECT ethaudit_internal.selection_grid(1, 1 + 4 * 2.220446049250313e-16, 10) AS every_double_its_bin;
