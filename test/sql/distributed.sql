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
