-- Benchmark machinery: the queries, the timings and the timer.
-- Needs psql variable :mid (the ts midpoint, a timestamptz literal in UTC).

SET client_min_messages = warning;

CREATE SCHEMA IF NOT EXISTS bench;

DROP TABLE IF EXISTS bench.query, bench.timing;

CREATE TABLE bench.query (
    ord  int PRIMARY KEY,
    name text NOT NULL UNIQUE,       -- label printed in the table
    kind text NOT NULL,              -- baseline | ethaudit | plain
    slow boolean NOT NULL,           -- plain-SQL baselines: repetitions may be reduced
    sql  text NOT NULL
);

CREATE TABLE bench.timing (
    name    text NOT NULL,
    workers int NOT NULL,            -- max_parallel_workers_per_gather
    run     int NOT NULL,
    ms      double precision NOT NULL,
    result  text
);

-- Runs one query once, server side, and records its wall time.
-- The time is clock_timestamp() around EXECUTE: parse, plan and execution,
-- no client transfer (the one result row stays in the server).
CREATE OR REPLACE FUNCTION bench.run(p_name text, p_workers int, p_run int)
RETURNS double precision
LANGUAGE plpgsql AS $$
DECLARE
    q  text;
    t0 timestamptz;
    t1 timestamptz;
    r  record;
    ms double precision;
BEGIN
    SELECT sql INTO STRICT q FROM bench.query WHERE name = p_name;
    PERFORM set_config('max_parallel_workers_per_gather', p_workers::text, true);
    t0 := clock_timestamp();
    EXECUTE q INTO r;
    t1 := clock_timestamp();
    ms := extract(epoch FROM t1 - t0) * 1000.0;
    INSERT INTO bench.timing VALUES (p_name, p_workers, p_run, ms, r::text);
    RAISE NOTICE 'bench: run % workers=% %: % ms', p_run, p_workers, p_name, round(ms::numeric, 1);
    RETURN ms;
END $$;

-- Workers the planner gives a query (EXPLAIN without ANALYZE: nothing runs).
CREATE OR REPLACE FUNCTION bench.workers_planned(p_name text, p_workers int)
RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    q    text;
    line text;
    n    int := 0;
BEGIN
    SELECT sql INTO STRICT q FROM bench.query WHERE name = p_name;
    PERFORM set_config('max_parallel_workers_per_gather', p_workers::text, true);
    FOR line IN EXECUTE 'EXPLAIN ' || q LOOP
        IF line ~ 'Workers Planned: ' THEN
            n := greatest(n, substring(line FROM 'Workers Planned: (\d+)')::int);
        END IF;
    END LOOP;
    RETURN n;
END $$;

-- stored reference baselines (the first half by time) and 30 daily states
-- over the first 30 days (rows 1 .. 2592000), for the baseline and rollup queries
DROP TABLE IF EXISTS bench.ref, bench.daily;
CREATE TABLE bench.ref AS
SELECT ethaudit.baseline(feature) FILTER (WHERE ts < :'mid'::timestamptz) AS feature_b,
       ethaudit.baseline(grp) FILTER (WHERE ts < :'mid'::timestamptz) AS grp_b
FROM bench_log;
CREATE TABLE bench.daily AS
SELECT date_trunc('day', ts) AS day,
       ethaudit.baseline(feature, (SELECT feature_b FROM bench.ref)) AS feature_state,
       ethaudit.group_counts(label, score > 0.5, grp) AS group_state,
       ethaudit.calibration_counts(label, score) AS calibration_state
FROM bench_log WHERE id <= 2592000 GROUP BY 1;
CREATE INDEX IF NOT EXISTS bench_log_id ON bench_log (id);
ANALYZE bench.daily;
ANALYZE bench_log;

\ir queries.sql

UPDATE bench.query SET sql = replace(sql, '{mid}', quote_literal(:'mid') || '::timestamptz');
