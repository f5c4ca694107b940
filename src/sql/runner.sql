-- ====================================================================
-- Governance, part 2: the runner
--
--   runs, results           history: one row per run, one per evaluated check
--   run_checks(), run_check() evaluate checks over their latest window
--   monitor_table()          attaches the prediction-log trigger, which
--                            evaluates the insert-mode checks per batch
--
-- Source tables and columns come from configuration: the SQL that reads
-- them is built with format() (%I, %L) from names validated against the
-- catalogs at each run, and executed with a pinned search_path.
-- ====================================================================

CREATE TABLE ethaudit.runs (
    run_id            bigserial PRIMARY KEY,
    kind              text NOT NULL
                      CONSTRAINT runs_kind_check CHECK (kind IN ('run_checks', 'run_check', 'insert')),
    model             text,
    source            text,
    as_of             timestamptz NOT NULL,
    batch_rows        bigint,
    started_at        timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    finished_at       timestamptz,
    run_by            name NOT NULL DEFAULT CURRENT_USER,
    application_name  text DEFAULT pg_catalog.current_setting('application_name'),
    checks            integer NOT NULL DEFAULT 0,
    ok                integer NOT NULL DEFAULT 0,
    warning           integer NOT NULL DEFAULT 0,
    critical          integer NOT NULL DEFAULT 0,
    insufficient_data integer NOT NULL DEFAULT 0,
    error             integer NOT NULL DEFAULT 0,
    skipped           integer NOT NULL DEFAULT 0
);
CREATE INDEX runs_started_at_idx ON ethaudit.runs (started_at);
COMMENT ON INDEX ethaudit.runs_started_at_idx IS 'Runs by time.';
COMMENT ON SEQUENCE ethaudit.runs_run_id_seq IS 'Identifiers of runs.';
COMMENT ON TABLE ethaudit.runs IS
'One row per run: a call of run_checks() or run_check(), or one batch seen by the prediction-log trigger. History: kept by pg_dump.';
COMMENT ON COLUMN ethaudit.runs.run_id IS 'Identifier (key); results.run_id points here.';
COMMENT ON COLUMN ethaudit.runs.kind IS 'run_checks, run_check, or insert (a batch inserted into a monitored table).';
COMMENT ON COLUMN ethaudit.runs.model IS 'run_checks(model): the model the run was limited to; NULL for all models.';
COMMENT ON COLUMN ethaudit.runs.source IS 'insert: the monitored table.';
COMMENT ON COLUMN ethaudit.runs.as_of IS 'The time the windows end at (before each check''s window_lag).';
COMMENT ON COLUMN ethaudit.runs.batch_rows IS 'insert: rows in the inserted batch.';
COMMENT ON COLUMN ethaudit.runs.started_at IS 'When the run started.';
COMMENT ON COLUMN ethaudit.runs.finished_at IS 'When the run finished.';
COMMENT ON COLUMN ethaudit.runs.run_by IS 'Role that ran it: the session''s role (for pg_cron, the owner of the job; for the prediction-log trigger, the inserting role).';
COMMENT ON COLUMN ethaudit.runs.application_name IS 'application_name of the session that ran it.';
COMMENT ON COLUMN ethaudit.runs.checks IS 'Checks considered.';
COMMENT ON COLUMN ethaudit.runs.ok IS 'Results with status ok.';
COMMENT ON COLUMN ethaudit.runs.warning IS 'Results with status warning.';
COMMENT ON COLUMN ethaudit.runs.critical IS 'Results with status critical.';
COMMENT ON COLUMN ethaudit.runs.insufficient_data IS 'Results with status insufficient_data.';
COMMENT ON COLUMN ethaudit.runs.error IS 'Checks that failed (recorded with status error).';
COMMENT ON COLUMN ethaudit.runs.skipped IS 'Checks not evaluated: being evaluated by a concurrent run, or (insert_window) evaluated less than min_interval ago.';

CREATE TABLE ethaudit.results (
    result_id       bigserial PRIMARY KEY,
    run_id          bigint NOT NULL REFERENCES ethaudit.runs,
    check_id        bigint NOT NULL REFERENCES ethaudit.checks,
    model           text NOT NULL,
    model_version   text,
    metric          text NOT NULL,
    value           double precision,
    status          text NOT NULL
                    CONSTRAINT results_status_check
                    CHECK (status IN ('ok', 'warning', 'critical', 'insufficient_data', 'error')),
    n_current       bigint,
    n_reference     bigint,
    window_start    timestamptz,
    window_end      timestamptz,
    reference_start timestamptz,
    reference_end   timestamptz,
    warn            double precision,
    critical        double precision,
    direction       text,
    error_sqlstate  text,
    message         text,
    evaluated_at    timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    duration        interval,
    alert_applied   boolean NOT NULL DEFAULT false
);
CREATE INDEX results_check_idx ON ethaudit.results (check_id, result_id DESC);
CREATE INDEX results_run_idx ON ethaudit.results (run_id);
CREATE INDEX results_evaluated_at_idx ON ethaudit.results (evaluated_at);
CREATE INDEX results_window_end_idx ON ethaudit.results (window_end);
COMMENT ON INDEX ethaudit.results_check_idx IS 'Latest results of a check.';
COMMENT ON INDEX ethaudit.results_run_idx IS 'Results of a run.';
COMMENT ON INDEX ethaudit.results_evaluated_at_idx IS 'Results by evaluation time (retention).';
COMMENT ON INDEX ethaudit.results_window_end_idx IS 'Results by the end of their window (time-series panels).';
COMMENT ON SEQUENCE ethaudit.results_result_id_seq IS 'Identifiers of results.';
COMMENT ON TABLE ethaudit.results IS
'One row per evaluation of a check: value, sample sizes, window, status, and the thresholds it was judged by. Written only by the runner, which commits each run''s results to the audit log (verify_results); inserting a row updates the alerts. History: kept by pg_dump.';
COMMENT ON COLUMN ethaudit.results.result_id IS 'Identifier (key), increasing with insertion.';
COMMENT ON COLUMN ethaudit.results.run_id IS 'The run (ethaudit.runs).';
COMMENT ON COLUMN ethaudit.results.check_id IS 'The check (ethaudit.checks).';
COMMENT ON COLUMN ethaudit.results.model IS 'The model of the check.';
COMMENT ON COLUMN ethaudit.results.model_version IS 'The version the check is pinned to; otherwise the live versions of the model at run time, comma-separated (NULL if none).';
COMMENT ON COLUMN ethaudit.results.metric IS 'The metric of the check.';
COMMENT ON COLUMN ethaudit.results.value IS 'Value of the metric (NULL when it is undefined or the check failed).';
COMMENT ON COLUMN ethaudit.results.status IS 'ok, warning, critical, insufficient_data (too few rows, or an undefined value), or error (the check failed; see message).';
COMMENT ON COLUMN ethaudit.results.n_current IS 'Usable rows in the current window (rows where every column the metric reads is non-NULL).';
COMMENT ON COLUMN ethaudit.results.n_reference IS 'Usable rows in the reference window, or of the stored baseline; NULL for metrics without a reference.';
COMMENT ON COLUMN ethaudit.results.window_start IS 'Start of the current window; for row windows and batches, the first timestamp in it.';
COMMENT ON COLUMN ethaudit.results.window_end IS 'End of the current window (exclusive); for row windows and batches, the last timestamp in it.';
COMMENT ON COLUMN ethaudit.results.reference_start IS 'Start of the reference window (NULL for a stored baseline).';
COMMENT ON COLUMN ethaudit.results.reference_end IS 'End of the reference window.';
COMMENT ON COLUMN ethaudit.results.warn IS 'Warning level the value was judged by.';
COMMENT ON COLUMN ethaudit.results.critical IS 'Critical level the value was judged by.';
COMMENT ON COLUMN ethaudit.results.direction IS 'Direction the value was judged by (above or below).';
COMMENT ON COLUMN ethaudit.results.error_sqlstate IS 'status error: the SQLSTATE of the failure.';
COMMENT ON COLUMN ethaudit.results.message IS 'Why the status is error or insufficient_data.';
COMMENT ON COLUMN ethaudit.results.evaluated_at IS 'When the check was evaluated.';
COMMENT ON COLUMN ethaudit.results.duration IS 'How long the evaluation took.';
COMMENT ON COLUMN ethaudit.results.alert_applied IS 'True once the row has been applied to the alerts. Rows loaded by a restore (a superuser session with row_security off) with true leave the alerts alone; any other insert is applied whatever it says.';

CREATE TYPE ethaudit.run_summary AS (
    run_id            bigint,
    checks            integer,
    ok                integer,
    warning           integer,
    critical          integer,
    insufficient_data integer,
    error             integer,
    skipped           integer,
    started_at        timestamptz,
    finished_at       timestamptz
);
COMMENT ON TYPE ethaudit.run_summary IS
'Result of run_checks: the run and how many checks ended in each status; details are in ethaudit.results (WHERE run_id = ...).';

-- The query returns one row: value, n_current, n_reference, and the first
-- and last timestamps of the current and reference samples.  Parameters:
-- $1, $2 the current window [start, end) ($1 unused for row windows),
-- $3, $4 the reference window [start, end), or for a preceding reference
-- of a batch, $4 = the first timestamp of the batch.
CREATE FUNCTION ethaudit.check_query(c ethaudit.checks, rel regclass, batch_relation text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    parts record;
    ver text := '';
    t text := format('src.%I', c.time_column);
    cur text;
    ref text;
BEGIN
    parts := ethaudit_internal.check_parts(c, rel);
    IF c.version IS NOT NULL THEN
        ver := format(' AND %s = %L', ethaudit.text_of(rel, c.version_column), c.version);
    END IF;

    -- the current sample
    IF batch_relation IS NOT NULL THEN
        cur := format('SELECT %s, false AS r FROM %I AS src WHERE true%s', parts.proj, batch_relation, ver);
    ELSIF c.window_rows IS NOT NULL THEN
        cur := format('SELECT %s, false AS r FROM %s AS src WHERE %s < $2%s ORDER BY 5 DESC LIMIT %s',
                      parts.proj, rel, t, ver, c.window_rows);
    ELSIF c.window_size IS NOT NULL THEN
        cur := format('SELECT %s, false AS r FROM %s AS src WHERE %s >= $1 AND %s < $2%s', parts.proj, rel, t, t, ver);
    ELSE
        RAISE EXCEPTION 'check % is evaluated per inserted batch and has no window', c.check_name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Set window_size or window_rows to evaluate it over a window too.';
    END IF;

    -- the reference sample
    IF c.reference_kind = 'fixed' OR (c.reference_kind = 'preceding' AND c.window_rows IS NULL) THEN
        ref := format('SELECT %s, true AS r FROM %s AS src WHERE %s >= $3 AND %s < $4%s', parts.proj, rel, t, t, ver);
    ELSIF c.reference_kind = 'preceding' AND batch_relation IS NOT NULL THEN
        ref := format('SELECT %s, true AS r FROM %s AS src WHERE %s < $4%s ORDER BY 5 DESC LIMIT %s',
                      parts.proj, rel, t, ver, coalesce(c.reference_rows, c.window_rows));
    ELSIF c.reference_kind = 'preceding' THEN
        ref := format('SELECT %s, true AS r FROM %s AS src WHERE %s < $2%s ORDER BY 5 DESC OFFSET %s LIMIT %s',
                      parts.proj, rel, t, ver, c.window_rows, coalesce(c.reference_rows, c.window_rows));
    END IF;

    RETURN format(
        'SELECT (%s)::float8 AS value, count(*) FILTER (WHERE NOT s.r AND (%s)) AS n_current, %s AS n_reference, '
        'min(s.t) FILTER (WHERE NOT s.r)::timestamptz AS first_time, max(s.t) FILTER (WHERE NOT s.r)::timestamptz AS last_time, '
        'min(s.t) FILTER (WHERE s.r)::timestamptz AS ref_first, max(s.t) FILTER (WHERE s.r)::timestamptz AS ref_last '
        'FROM ((%s)%s) AS s',
        parts.value_expr, parts.usable, parts.n_reference_expr, cur,
        CASE WHEN ref IS NULL THEN '' ELSE format(' UNION ALL (%s)', ref) END);
END
$$;
COMMENT ON FUNCTION ethaudit.check_query(ethaudit.checks, regclass, text) IS
'Internal: the SQL that evaluates a check over its source (or over batch_relation, the transition table of the prediction-log trigger). Identifiers are quoted with format(%I), constants with %L.';

-- One scan of the batch for several checks that need no reference rows:
-- returns arrays (one element per check, in order) of value, n_current,
-- n_reference, first and last timestamp, and the number of rows.
CREATE FUNCTION ethaudit.batch_query(cs ethaudit.checks[], rel regclass, batch_relation text)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    parts record;
    projs text[] := '{}';
    aggs text[] := '{}';
    vals text[] := '{}';
    ns text[] := '{}';
    refs text[] := '{}';
    firsts text[] := '{}';
    lasts text[] := '{}';
    times name[] := '{}';
    k integer;
    t integer;
BEGIN
    FOR k IN 1 .. cardinality(cs) LOOP
        -- each time column is projected, and its bounds computed, once
        t := array_position(times, cs[k].time_column);
        IF t IS NULL THEN
            times := times || cs[k].time_column;
            t := cardinality(times);
            projs := projs || format('src.%I AS %I', cs[k].time_column, 'time_' || t);
            aggs := aggs || format('min(%I)::timestamptz AS %I, max(%I)::timestamptz AS %I',
                                   'time_' || t, 'first_' || t, 'time_' || t, 'last_' || t);
        END IF;
        parts := ethaudit_internal.check_parts(cs[k], rel, '_' || k, false);
        IF parts.reference_rows OR cs[k].version IS NOT NULL THEN
            RAISE EXCEPTION 'check % cannot share a scan', cs[k].check_name USING ERRCODE = 'internal_error';
        END IF;
        projs := projs || parts.proj;
        aggs := aggs || format('(%s)::float8 AS %I, count(*) FILTER (WHERE %s) AS %I',
                               parts.value_expr, 'value_' || k, parts.usable, 'n_' || k);
        vals := vals || format('%I', 'value_' || k);
        ns := ns || format('%I', 'n_' || k);
        refs := refs || parts.n_reference_expr;
        firsts := firsts || format('%I', 'first_' || t);
        lasts := lasts || format('%I', 'last_' || t);
    END LOOP;
    RETURN format('SELECT ARRAY[%s]::float8[], ARRAY[%s]::bigint[], ARRAY[%s]::bigint[], '
                  'ARRAY[%s]::timestamptz[], ARRAY[%s]::timestamptz[], agg.batch_rows '
                  'FROM (SELECT %s, count(*) AS batch_rows FROM (SELECT %s, false AS r FROM %I AS src) AS s) AS agg',
                  array_to_string(vals, ', '), array_to_string(ns, ', '), array_to_string(refs, ', '),
                  array_to_string(firsts, ', '), array_to_string(lasts, ', '),
                  array_to_string(aggs, ', '), array_to_string(projs, ', '), batch_relation);
END
$$;
COMMENT ON FUNCTION ethaudit.batch_query(ethaudit.checks[], regclass, text) IS
'Internal: the SQL that evaluates several insert_batch checks without reference rows in one scan of the transition table of the prediction-log trigger.';

-- -------- classifying and recording a result --------

CREATE FUNCTION ethaudit.classify(value double precision, warn double precision,
                                  critical double precision, direction text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE
        WHEN value IS NULL OR value = 'NaN'::float8 THEN 'insufficient_data'
        WHEN direction = 'above' AND value > critical THEN 'critical'
        WHEN direction = 'above' AND value > warn THEN 'warning'
        WHEN direction = 'below' AND value < critical THEN 'critical'
        WHEN direction = 'below' AND value < warn THEN 'warning'
        ELSE 'ok'
    END
$$;
COMMENT ON FUNCTION ethaudit.classify(double precision, double precision, double precision, text) IS
'Status of a value against thresholds: critical if strictly beyond critical, warning if strictly beyond warn (in the given direction), ok otherwise; insufficient_data for NULL or NaN.';

CREATE FUNCTION ethaudit.record_result(
    c ethaudit.checks, run_id bigint, value double precision, n_current bigint, n_reference bigint,
    window_start timestamptz, window_end timestamptz, reference_start timestamptz, reference_end timestamptz,
    started timestamptz, error_sqlstate text DEFAULT NULL, error_message text DEFAULT NULL)
RETURNS ethaudit.results
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    th ethaudit.thresholds;
    status text;
    msg text := error_message;
    version text := c.version;
    result ethaudit.results;
BEGIN
    SELECT * INTO th FROM ethaudit.thresholds x WHERE x.check_id = c.check_id;
    IF error_sqlstate IS NOT NULL THEN
        status := 'error';
    ELSIF value IS NULL OR value = 'NaN'::float8 THEN
        status := 'insufficient_data';
        msg := format('the metric is undefined on this sample (%s usable rows%s)', n_current,
                      CASE WHEN n_reference IS NULL THEN '' ELSE format(', %s in the reference', n_reference) END);
    ELSIF n_current < c.min_samples THEN
        status := 'insufficient_data';
        msg := format('%s usable rows in the current window, fewer than min_samples (%s)', n_current, c.min_samples);
    ELSIF n_reference < c.min_samples THEN
        status := 'insufficient_data';
        msg := format('%s usable rows in the reference, fewer than min_samples (%s)', n_reference, c.min_samples);
    ELSE
        status := ethaudit.classify(value, th.warn, th.critical, th.direction);
    END IF;
    IF version IS NULL THEN
        SELECT string_agg(v.version, ',' ORDER BY v.version) INTO version
        FROM ethaudit.model_versions v WHERE v.model = c.model AND v.stage = 'live';
    END IF;
    -- The row is built here rather than read back with RETURNING: the role
    -- running the checks may append results without being allowed to read
    -- them (row-level security, roles.sql).  apply_result marks it applied.
    result.result_id := nextval('ethaudit.results_result_id_seq');
    result.run_id := record_result.run_id;
    result.check_id := c.check_id;
    result.model := c.model;
    result.model_version := version;
    result.metric := c.metric;
    result.value := CASE WHEN status = 'error' THEN NULL ELSE record_result.value END;
    result.status := status;
    result.n_current := record_result.n_current;
    result.n_reference := record_result.n_reference;
    result.window_start := record_result.window_start;
    result.window_end := record_result.window_end;
    result.reference_start := record_result.reference_start;
    result.reference_end := record_result.reference_end;
    result.warn := th.warn;
    result.critical := th.critical;
    result.direction := th.direction;
    result.error_sqlstate := record_result.error_sqlstate;
    result.message := msg;
    result.evaluated_at := clock_timestamp();
    result.duration := result.evaluated_at - started;
    result.alert_applied := false;
    INSERT INTO ethaudit.results SELECT result.*;
    result.alert_applied := true;
    RETURN result;
END
$$;
COMMENT ON FUNCTION ethaudit.record_result(ethaudit.checks, bigint, double precision, bigint, bigint, timestamptz, timestamptz, timestamptz, timestamptz, timestamptz, text, text) IS
'Internal: judges a value against the thresholds of its check (or records a failure) and inserts the result; the insert updates the alerts.';

CREATE FUNCTION ethaudit.evaluate_check(c ethaudit.checks, run_id bigint, as_of timestamptz)
RETURNS ethaudit.results
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
    started timestamptz := clock_timestamp();
    rel regclass;
    q text;
    t_end timestamptz := as_of - c.window_lag;
    cur_start timestamptz;
    ref_start timestamptz;
    ref_end timestamptz;
    r record;
    state text;
    msg text;
BEGIN
    BEGIN
        rel := ethaudit.check_source(pg_catalog.to_regclass(c.source), c.source, c.mode <> 'scheduled');
        q := ethaudit.check_query(c, rel);
        IF c.window_size IS NOT NULL THEN
            cur_start := t_end - c.window_size;
        END IF;
        IF c.reference_kind = 'fixed' THEN
            ref_start := c.reference_start;
            ref_end := c.reference_end;
        ELSIF c.reference_kind = 'preceding' AND c.window_size IS NOT NULL THEN
            ref_start := cur_start - coalesce(c.reference_size, c.window_size);
            ref_end := cur_start;
        END IF;
        -- as the source's owner: its view, functions and policies never run
        -- with the rights of whoever runs the checks
        SELECT * INTO r FROM ethaudit.run_as_owner(rel, q, ARRAY[cur_start, t_end, ref_start, ref_end])
            AS x(value float8, n_current bigint, n_reference bigint, first_time timestamptz,
                 last_time timestamptz, ref_first timestamptz, ref_last timestamptz);
        RETURN ethaudit.record_result(c, run_id, r.value, r.n_current, r.n_reference,
                                      coalesce(cur_start, r.first_time),
                                      CASE WHEN c.window_size IS NOT NULL THEN t_end ELSE r.last_time END,
                                      coalesce(ref_start, r.ref_first), coalesce(ref_end, r.ref_last),
                                      started);
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
    END;
    -- recorded outside the failed block, so that the failure is kept
    RETURN ethaudit.record_result(c, run_id, NULL, NULL, NULL, cur_start, t_end, ref_start, ref_end,
                                  started, state, msg);
END
$$;
COMMENT ON FUNCTION ethaudit.evaluate_check(ethaudit.checks, bigint, timestamptz) IS
'Internal: evaluates one check over its window ending at as_of minus its window_lag and records the result; a failure is recorded as a result with status error.';

CREATE FUNCTION ethaudit.finish_run(run_id bigint, statuses text[])
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE ethaudit.runs r SET
        finished_at = pg_catalog.clock_timestamp(),
        checks = coalesce(pg_catalog.cardinality(statuses), 0),
        ok = (SELECT count(*) FROM unnest(statuses) x WHERE x = 'ok'),
        warning = (SELECT count(*) FROM unnest(statuses) x WHERE x = 'warning'),
        critical = (SELECT count(*) FROM unnest(statuses) x WHERE x = 'critical'),
        insufficient_data = (SELECT count(*) FROM unnest(statuses) x WHERE x = 'insufficient_data'),
        error = (SELECT count(*) FROM unnest(statuses) x WHERE x = 'error'),
        skipped = (SELECT count(*) FROM unnest(statuses) x WHERE x = 'skipped')
    WHERE r.run_id = finish_run.run_id;
    -- the run's results, committed to the audit log
    PERFORM ethaudit.commit_run_results(finish_run.run_id);
END
$$;
COMMENT ON FUNCTION ethaudit.finish_run(bigint, text[]) IS
'Internal: stamps the end of a run and its totals, from the status of each check it considered (skipped included), and commits its results to the audit log (results_recorded).';

CREATE FUNCTION ethaudit.lock_check(check_id bigint)
RETURNS boolean
LANGUAGE sql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- advisory key space of ethaudit: 0x65746861 ('etha'), then the check
    SELECT pg_catalog.pg_try_advisory_xact_lock(1702127713, (check_id % 2147483648)::integer)
$$;
COMMENT ON FUNCTION ethaudit.lock_check(bigint) IS
'Internal: takes the transaction-level advisory lock of a check without waiting; false if a concurrent run is evaluating it.';

CREATE FUNCTION ethaudit.run_checks(model text DEFAULT NULL, as_of timestamptz DEFAULT NULL)
RETURNS ethaudit.run_summary
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
    run bigint;
    c ethaudit.checks;
    res ethaudit.results;
    summary ethaudit.run_summary;
    statuses text[] := '{}';
BEGIN
    IF model IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ethaudit.models m WHERE m.model = run_checks.model) THEN
        RAISE EXCEPTION 'model "%" is not registered', model
            USING ERRCODE = 'undefined_object';
    END IF;
    INSERT INTO ethaudit.runs AS r (kind, model, as_of, run_by)
    VALUES ('run_checks', run_checks.model, coalesce(run_checks.as_of, now()), ethaudit.session_role())
    RETURNING r.run_id INTO run;

    FOR c IN
        SELECT ch.* FROM ethaudit.checks ch
        LEFT JOIN ethaudit.model_versions v ON v.model = ch.model AND v.version = ch.version
        WHERE ch.enabled AND ch.mode = 'scheduled'
          AND (run_checks.model IS NULL OR ch.model = run_checks.model)
          AND v.stage IS DISTINCT FROM 'retired'
        ORDER BY ch.model, ch.check_id
    LOOP
        IF NOT ethaudit.lock_check(c.check_id) THEN
            statuses := statuses || 'skipped'::text;
            CONTINUE;
        END IF;
        BEGIN
            res := ethaudit.evaluate_check(c, run, coalesce(run_checks.as_of, now()));
            statuses := statuses || res.status;
        EXCEPTION WHEN OTHERS THEN
            -- not even the failure could be recorded (e.g. the check was
            -- deleted meanwhile): count it and go on with the others
            RAISE WARNING 'ethaudit: check % (%) could not be evaluated: %', c.check_id, c.check_name, SQLERRM;
            statuses := statuses || 'error'::text;
        END;
    END LOOP;

    PERFORM ethaudit.finish_run(run, statuses);
    SELECT r.run_id, r.checks, r.ok, r.warning, r.critical, r.insufficient_data, r.error, r.skipped,
           r.started_at, r.finished_at
    INTO summary FROM ethaudit.runs r WHERE r.run_id = run;
    RETURN summary;
END
$$;
COMMENT ON FUNCTION ethaudit.run_checks(text, timestamptz) IS
'Evaluates every enabled scheduled check (of one model, or of all when model is NULL) over its latest window ending at as_of (default now()), writes one result per check and returns a summary. A failing check is recorded with status error and does not stop the others; a check that a concurrent run is evaluating is skipped. Checks pinned to a retired version are not run. SECURITY DEFINER: only the runner writes runs and results (the caller needs no privilege on them, and no role can write them directly); each check''s SQL runs as the owner of its source (run_as_owner). The run is recorded in the caller''s name (run_by) and its results committed to the audit log. Not executable by PUBLIC.';

CREATE FUNCTION ethaudit.run_check(check_id bigint, as_of timestamptz DEFAULT NULL)
RETURNS ethaudit.results
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
    c ethaudit.checks;
    run bigint;
    res ethaudit.results;
    statuses text[] := '{}';
BEGIN
    IF check_id IS NULL THEN
        RAISE EXCEPTION 'check_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT * INTO c FROM ethaudit.checks ch WHERE ch.check_id = run_check.check_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'check % does not exist', check_id
            USING ERRCODE = 'undefined_object';
    END IF;
    INSERT INTO ethaudit.runs AS r (kind, model, as_of, run_by)
    VALUES ('run_check', c.model, coalesce(run_check.as_of, now()), ethaudit.session_role())
    RETURNING r.run_id INTO run;
    -- an explicit request waits for a concurrent evaluation of the same check
    PERFORM pg_catalog.pg_advisory_xact_lock(1702127713, (c.check_id % 2147483648)::integer);
    res := ethaudit.evaluate_check(c, run, coalesce(run_check.as_of, now()));
    statuses := statuses || res.status;
    PERFORM ethaudit.finish_run(run, statuses);
    RETURN res;
END
$$;
COMMENT ON FUNCTION ethaudit.run_check(bigint, timestamptz) IS
'Evaluates one check now (whatever its mode and even if disabled) over its window ending at as_of (default now()), records the result and returns it. SECURITY DEFINER, like run_checks: the check''s SQL runs as the owner of its source, the run in the caller''s name. Not executable by PUBLIC.';

-- -------- the prediction-log trigger --------

CREATE FUNCTION ethaudit.monitor_batch()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
    src text := format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME);
    rel regclass := TG_RELID;
    c ethaudit.checks;
    shared ethaudit.checks[];
    run bigint;
    n_rows bigint;
    res ethaudit.results;
    q text;
    r record;
    vals float8[];
    ns bigint[];
    nrefs bigint[];
    firsts timestamptz[];
    lasts timestamptz[];
    k integer;
    started timestamptz;
    ref_start timestamptz;
    ref_end timestamptz;
    state text;
    msg text;
    statuses text[] := '{}';
BEGIN
    IF TG_WHEN <> 'AFTER' OR TG_LEVEL <> 'STATEMENT' OR TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION 'ethaudit.monitor_batch() must be an AFTER INSERT ... FOR EACH STATEMENT trigger'
            USING ERRCODE = 'trigger_protocol_violated',
                  HINT = 'Attach it with ethaudit.monitor_table().';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM ethaudit.checks ch
                   WHERE ch.source = src AND ch.mode <> 'scheduled' AND ch.enabled)
       OR NOT EXISTS (SELECT 1 FROM ethaudit_batch) THEN
        RETURN NULL;
    END IF;
    INSERT INTO ethaudit.runs AS x (kind, source, as_of, run_by)
    VALUES ('insert', src, now(), ethaudit.session_role()) RETURNING x.run_id INTO run;

    -- 1. batch checks without reference rows: one scan of the batch for all
    --    of them; if that fails, each is evaluated on its own (step 2)
    SELECT array_agg(ch ORDER BY ch.model, ch.check_id) INTO shared
    FROM ethaudit.checks ch
    WHERE ch.source = src AND ch.mode = 'insert_batch' AND ch.enabled AND ch.version IS NULL
      AND (ch.reference_kind IS NULL OR ch.reference_kind = 'baseline');
    IF shared IS NOT NULL THEN
        started := clock_timestamp();
        BEGIN
            PERFORM ethaudit.check_source(rel, src, true);
            EXECUTE ethaudit.batch_query(shared, rel, 'ethaudit_batch')
                INTO vals, ns, nrefs, firsts, lasts, n_rows;
            FOR k IN 1 .. cardinality(shared) LOOP
                res := ethaudit.record_result(shared[k], run, vals[k], ns[k], nrefs[k], firsts[k], lasts[k],
                                              NULL, NULL, started);
                statuses := statuses || res.status;
            END LOOP;
        EXCEPTION WHEN OTHERS THEN
            -- the block's results are rolled back: forget them too
            shared := NULL;
            n_rows := NULL;
            statuses := '{}';
        END;
    END IF;

    -- 2. the other batch checks (and all of them if step 1 failed), and
    --    the sliding windows
    FOR c IN
        SELECT ch.* FROM ethaudit.checks ch
        LEFT JOIN ethaudit.model_versions v ON v.model = ch.model AND v.version = ch.version
        WHERE ch.source = src AND ch.mode <> 'scheduled' AND ch.enabled
          AND v.stage IS DISTINCT FROM 'retired'
          AND (shared IS NULL OR ch.check_id <> ALL (SELECT x.check_id FROM unnest(shared) x))
        ORDER BY ch.model, ch.check_id
    LOOP
        IF c.mode = 'insert_window' THEN
            -- the sliding window: the check's window, ending now
            IF (c.min_interval IS NOT NULL AND EXISTS (
                    SELECT 1 FROM ethaudit.results x
                    WHERE x.check_id = c.check_id AND x.evaluated_at > clock_timestamp() - c.min_interval))
               OR NOT ethaudit.lock_check(c.check_id) THEN
                statuses := statuses || 'skipped'::text;
                CONTINUE;
            END IF;
            res := ethaudit.evaluate_check(c, run, now());
            statuses := statuses || res.status;
            CONTINUE;
        END IF;

        -- insert_batch: the query must run here, where the transition table
        -- ethaudit_batch is visible
        started := clock_timestamp();
        ref_start := NULL;
        ref_end := NULL;
        state := NULL;
        BEGIN
            PERFORM ethaudit.check_source(rel, src, true);
            q := ethaudit.check_query(c, rel, 'ethaudit_batch');
            IF c.reference_kind = 'fixed' THEN
                ref_start := c.reference_start;
                ref_end := c.reference_end;
            ELSIF c.reference_kind = 'preceding' THEN
                EXECUTE format('SELECT min(%I)::timestamptz FROM ethaudit_batch', c.time_column) INTO ref_end;
                ref_start := ref_end - coalesce(c.reference_size, c.window_size);
            END IF;
            EXECUTE q INTO r USING NULL::timestamptz, NULL::timestamptz, ref_start, ref_end;
            res := ethaudit.record_result(c, run, r.value, r.n_current, r.n_reference,
                                          r.first_time, r.last_time,
                                          coalesce(ref_start, r.ref_first),
                                          CASE WHEN c.window_rows IS NULL THEN ref_end ELSE r.ref_last END,
                                          started);
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
        END;
        IF state IS NOT NULL THEN
            res := ethaudit.record_result(c, run, NULL, NULL, NULL, NULL, NULL, ref_start, ref_end,
                                          started, state, msg);
        END IF;
        statuses := statuses || res.status;
    END LOOP;

    IF n_rows IS NULL THEN
        SELECT count(*) INTO n_rows FROM ethaudit_batch;
    END IF;
    UPDATE ethaudit.runs x SET batch_rows = n_rows WHERE x.run_id = run;
    PERFORM ethaudit.finish_run(run, statuses);
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    -- monitoring must never lose the user's rows
    GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
    RAISE WARNING 'ethaudit: the batch inserted into % could not be checked: %', src, msg;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION ethaudit.monitor_batch() IS
'Trigger function of monitored prediction logs (AFTER INSERT, FOR EACH STATEMENT, transition table ethaudit_batch): evaluates the insert_batch checks of the table over the inserted rows and its insert_window checks over their latest window. Never makes the insert fail: a failing check is recorded with status error, and any other failure is reported as a warning. SECURITY DEFINER, so inserting roles need no privileges on ethaudit''s tables.';

CREATE FUNCTION ethaudit.monitor_table(
    source regclass, model text, time_column name,
    required_columns name[] DEFAULT NULL,
    probability_column name DEFAULT NULL,
    category_columns name[] DEFAULT NULL,
    reference_size interval DEFAULT '7 days')
RETURNS SETOF ethaudit.checks
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    src text;
    col name;
    c ethaudit.checks;
    thr record;
BEGIN
    IF source IS NULL OR model IS NULL OR time_column IS NULL THEN
        RAISE EXCEPTION 'source, model and time_column must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM ethaudit.check_source(source, source::text, true);
    src := ethaudit.qualified_name(source);
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_trigger tg
               WHERE tg.tgrelid = source AND tg.tgfoid = 'ethaudit.monitor_batch()'::regprocedure) THEN
        RAISE EXCEPTION 'table % is already monitored', source
            USING ERRCODE = 'duplicate_object',
                  HINT = 'Add checks with mode insert_batch or insert_window to ethaudit.checks, or call ethaudit.unmonitor_table() first.';
    END IF;

    FOR thr IN
        SELECT x.metric, x.col, x.warn, x.critical
        FROM (VALUES ('null_share', NULL::name, 0::float8, 0.05::float8, required_columns IS NOT NULL, 1),
                     ('invalid_probability_share', NULL, NULL, 0, probability_column IS NOT NULL, 2)) AS x(metric, col, warn, critical, wanted, ord)
        WHERE x.wanted
        UNION ALL
        SELECT 'unseen_share', u.col, 0, 0.05
        FROM unnest(category_columns) WITH ORDINALITY AS u(col, ord)
    LOOP
        INSERT INTO ethaudit.checks AS ch
            (check_name, model, metric, mode, source, time_column, value_column, probability_column,
             required_columns, reference_kind, reference_size, min_samples, description)
        VALUES (format('%s: %s', src, CASE WHEN thr.col IS NULL THEN thr.metric
                                           ELSE format('%s of %s', thr.metric, thr.col) END),
                monitor_table.model, thr.metric, 'insert_batch', src, monitor_table.time_column,
                thr.col,
                CASE WHEN thr.metric = 'invalid_probability_share' THEN monitor_table.probability_column END,
                CASE WHEN thr.metric = 'null_share' THEN monitor_table.required_columns END,
                CASE WHEN thr.metric = 'unseen_share' THEN 'preceding' END,
                CASE WHEN thr.metric = 'unseen_share' THEN monitor_table.reference_size END,
                1,
                'created by ethaudit.monitor_table()')
        RETURNING ch.* INTO c;
        INSERT INTO ethaudit.thresholds (check_id, warn, critical) VALUES (c.check_id, thr.warn, thr.critical);
        RETURN NEXT c;
    END LOOP;

    EXECUTE format('CREATE TRIGGER ethaudit_monitor AFTER INSERT ON %s REFERENCING NEW TABLE AS ethaudit_batch '
                   'FOR EACH STATEMENT EXECUTE FUNCTION ethaudit.monitor_batch()', source);
    EXECUTE format('COMMENT ON TRIGGER ethaudit_monitor ON %s IS %L', source,
                   'ethaudit: checks each inserted batch (see ethaudit.checks, mode insert_batch / insert_window)');
END
$$;
COMMENT ON FUNCTION ethaudit.monitor_table(regclass, text, name, name[], name, name[], interval) IS
'Attaches the ethaudit_monitor trigger (AFTER INSERT, FOR EACH STATEMENT, over a transition table) to a prediction-log table, and creates its insert_batch checks with default thresholds: null_share over required_columns, invalid_probability_share of probability_column, and unseen_share of each of category_columns against the preceding reference_size. Returns the checks it created.';

CREATE FUNCTION ethaudit.unmonitor_table(source regclass)
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    trigger_name name;
    disabled integer;
BEGIN
    SELECT tg.tgname INTO trigger_name FROM pg_catalog.pg_trigger tg
    WHERE tg.tgrelid = source AND tg.tgfoid = 'ethaudit.monitor_batch()'::regprocedure;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'table % is not monitored', coalesce(source::text, 'NULL')
            USING ERRCODE = 'undefined_object';
    END IF;
    EXECUTE format('DROP TRIGGER %I ON %s', trigger_name, source);
    UPDATE ethaudit.checks ch SET enabled = false
    WHERE ch.source = ethaudit.qualified_name(unmonitor_table.source) AND ch.mode <> 'scheduled' AND ch.enabled;
    GET DIAGNOSTICS disabled = ROW_COUNT;
    RETURN disabled;
END
$$;
COMMENT ON FUNCTION ethaudit.unmonitor_table(regclass) IS
'Drops the monitoring trigger of a prediction-log table and disables its insert-mode checks (their history is kept). Returns the number of checks disabled.';

-- The entry points that write are granted explicitly (doc/governance.md,
-- "Roles and privileges").  The internal helpers that write history run
-- only inside them.
REVOKE EXECUTE ON FUNCTION ethaudit.run_checks(text, timestamptz) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ethaudit.run_check(bigint, timestamptz) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ethaudit.monitor_table(regclass, text, name, name[], name, name[], interval) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ethaudit.unmonitor_table(regclass) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ethaudit.monitor_batch() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ethaudit.set_stage(text, text, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ethaudit.record_result(ethaudit.checks, bigint, double precision, bigint, bigint, timestamptz, timestamptz, timestamptz, timestamptz, timestamptz, text, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ethaudit.evaluate_check(ethaudit.checks, bigint, timestamptz) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ethaudit.finish_run(bigint, text[]) FROM PUBLIC;

SELECT pg_catalog.pg_extension_config_dump('ethaudit.runs', '');
SELECT pg_catalog.pg_extension_config_dump('ethaudit.runs_run_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('ethaudit.results', '');
SELECT pg_catalog.pg_extension_config_dump('ethaudit.results_result_id_seq', '');
