-- ====================================================================
-- Governance: the runner
--
--   run_checks(), run_check()   evaluate checks over their latest window
--                               and record one result per check
--
-- Source tables and columns come from configuration: the SQL that reads
-- them is built with format() (%I, %L) from names validated against the
-- catalogs at each run, and executed with a pinned search_path, as the
-- owner of the source (run_as_owner).  The entry points that write are
-- granted explicitly (doc/governance.md, "Roles and privileges"); the
-- internal helpers that write history run only inside them.
-- ====================================================================

-- -------- the query of a check --------

-- The query returns one row: value, n_current, n_reference, the first
-- and last timestamps of the current and reference samples, and the share
-- of the current sample that is labelled (NULL if the metric reads no
-- labels), and the version (NULL); by_version, one row per version of the
-- rows in the current window (its rows and its rows of the reference), none
-- for a window without rows.  Parameters:
-- $1, $2 the current window [start, end) ($1 unused for row windows),
-- $3, $4 the reference window [start, end), or for a preceding reference
-- of a batch, $4 = the first timestamp of the batch.
CREATE FUNCTION ethaudit_internal.check_query(c ethaudit.checks, rel regclass, batch_relation text DEFAULT NULL,
                                              by_version boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    parts record;
    ver text := '';
    labelled text := '';
    labelled_share text := 'NULL::float8';
    t text := format('src.%I', c.time_column);
    cur text;
    ref text;
BEGIN
    parts := ethaudit_internal.check_parts(c, rel);
    IF by_version THEN
        parts.proj := parts.proj || format(', %s AS ethaudit_version', ethaudit_internal.text_of(rel, c.version_column));
    END IF;
    IF c.version IS NOT NULL THEN
        ver := format(' AND %s = %L', ethaudit_internal.text_of(rel, c.version_column), c.version);
    END IF;
    -- a metric that reads labels reports the share of the window labelled;
    -- labelled_only windows hold labelled rows only (the filter goes with
    -- the version's, into the current sample)
    IF c.label_column IS NOT NULL THEN
        labelled_share := 'count(*) FILTER (WHERE NOT s.r AND s.y IS NOT NULL)::float8 / nullif(count(*) FILTER (WHERE NOT s.r), 0)';
    END IF;
    IF c.labelled_only THEN
        labelled := format(' AND src.%I IS NOT NULL', c.label_column);
    END IF;

    -- the current sample
    IF batch_relation IS NOT NULL THEN
        cur := format('SELECT %s, false AS r FROM %I AS src WHERE true%s', parts.proj, batch_relation, ver || labelled);
    ELSIF c.window_rows IS NOT NULL THEN
        cur := format('SELECT %s, false AS r FROM %s AS src WHERE %s < $2%s ORDER BY 5 DESC LIMIT %s',
                      parts.proj, rel, t, ver || labelled, c.window_rows);
    ELSIF c.window_size IS NOT NULL THEN
        cur := format('SELECT %s, false AS r FROM %s AS src WHERE %s >= $1 AND %s < $2%s', parts.proj, rel, t, t, ver || labelled);
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
        'min(s.t) FILTER (WHERE s.r)::timestamptz AS ref_first, max(s.t) FILTER (WHERE s.r)::timestamptz AS ref_last, '
        '%s AS labelled_share%s '
        'FROM ((%s)%s) AS s%s',
        parts.value_expr, parts.usable, parts.n_reference_expr, labelled_share,
        CASE WHEN by_version THEN ', s.ethaudit_version AS version' ELSE ', NULL::text AS version' END, cur,
        CASE WHEN ref IS NULL THEN '' ELSE format(' UNION ALL (%s)', ref) END,
        CASE WHEN by_version
             THEN ' GROUP BY s.ethaudit_version HAVING count(*) FILTER (WHERE NOT s.r) > 0 ORDER BY s.ethaudit_version'
             ELSE '' END);
END
$$;
COMMENT ON FUNCTION ethaudit_internal.check_query(ethaudit.checks, regclass, text, boolean) IS
'Internal: the SQL that evaluates a check over its source (or over batch_relation, the transition table of the prediction-log trigger); by_version, once per version of the rows in the window. Identifiers are quoted with format(%I), constants with %L.';

-- One scan of the batch for several checks that need no reference rows:
-- returns arrays (one element per check, in order) of value, n_current,
-- n_reference, first and last timestamp and labelled share, and the number
-- of rows.
CREATE FUNCTION ethaudit_internal.batch_query(cs ethaudit.checks[], rel regclass, batch_relation text)
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
    shares text[] := '{}';
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
        IF parts.reference_rows OR cs[k].version_column IS NOT NULL OR cs[k].labelled_only THEN
            RAISE EXCEPTION 'check % cannot share a scan', cs[k].check_name USING ERRCODE = 'internal_error';
        END IF;
        projs := projs || parts.proj;
        aggs := aggs || format('(%s)::float8 AS %I, count(*) FILTER (WHERE %s) AS %I, %s AS %I',
                               parts.value_expr, 'value_' || k, parts.usable, 'n_' || k,
                               CASE WHEN cs[k].label_column IS NULL THEN 'NULL::float8'
                                    ELSE format('count(*) FILTER (WHERE %I IS NOT NULL)::float8 / nullif(count(*), 0)', 'y_' || k) END,
                               'labelled_' || k);
        shares := shares || format('%I', 'labelled_' || k);
        vals := vals || format('%I', 'value_' || k);
        ns := ns || format('%I', 'n_' || k);
        refs := refs || parts.n_reference_expr;
        firsts := firsts || format('%I', 'first_' || t);
        lasts := lasts || format('%I', 'last_' || t);
    END LOOP;
    RETURN format('SELECT ARRAY[%s]::float8[], ARRAY[%s]::bigint[], ARRAY[%s]::bigint[], '
                  'ARRAY[%s]::timestamptz[], ARRAY[%s]::timestamptz[], ARRAY[%s]::float8[], agg.batch_rows '
                  'FROM (SELECT %s, count(*) AS batch_rows FROM (SELECT %s, false AS r FROM %I AS src) AS s) AS agg',
                  array_to_string(vals, ', '), array_to_string(ns, ', '), array_to_string(refs, ', '),
                  array_to_string(firsts, ', '), array_to_string(lasts, ', '), array_to_string(shares, ', '),
                  array_to_string(aggs, ', '), array_to_string(projs, ', '), batch_relation);
END
$$;
COMMENT ON FUNCTION ethaudit_internal.batch_query(ethaudit.checks[], regclass, text) IS
'Internal: the SQL that evaluates several insert_batch checks without reference rows in one scan of the transition table of the prediction-log trigger.';

-- -------- evaluating and recording a check --------

-- The version a result is about, and where that comes from: the check's
-- pinned version, the rows' version column, or (neither) the versions the
-- stage history says were live during the window, with a warning when
-- several versions served then and the log may mix their rows.
CREATE FUNCTION ethaudit_internal.result_version(c ethaudit.checks, row_version text,
    window_start timestamptz, window_end timestamptz,
    OUT model_version text, OUT version_source text, OUT mixed_versions boolean, OUT note text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ws timestamptz := coalesce(window_start, window_end, pg_catalog.now());
    we timestamptz := coalesce(window_end, window_start, pg_catalog.now());
    -- a time window ends before window_end; a window of rows or a batch at its last row
    end_included boolean := c.mode = 'insert_batch' OR c.window_size IS NULL OR window_end IS NULL;
    serving text[];
BEGIN
    IF c.version IS NOT NULL THEN
        model_version := c.version;
        version_source := 'check';
    ELSIF c.version_column IS NOT NULL THEN
        model_version := row_version;
        version_source := 'data';
    ELSE
        version_source := 'stage_history';
        -- the versions that served, and of them those that were live
        SELECT string_agg(DISTINCT d.version, ',' ORDER BY d.version) FILTER (WHERE d.stage = 'live'),
               array_agg(format('%s (%s)', d.version, d.stage)),
               count(DISTINCT d.version) > 1
        INTO model_version, serving, mixed_versions
        FROM ethaudit_internal.versions_during(c.model, '{shadow,canary,live}', ws, we, end_included) d;
        IF mixed_versions THEN
            note := format('versions %s served during the window: without version_column, their rows may be mixed',
                           array_to_string(serving, ', '));
        END IF;
    END IF;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.result_version(ethaudit.checks, text, timestamptz, timestamptz) IS
'Internal: the model_version, version_source and mixed_versions of a result of the check over [window_start, window_end), and the warning of its message when versions may be mixed.';

CREATE FUNCTION ethaudit_internal.record_result(
    c ethaudit.checks, run_id bigint, value double precision, n_current bigint, n_reference bigint,
    window_start timestamptz, window_end timestamptz, reference_start timestamptz, reference_end timestamptz,
    started timestamptz, error_sqlstate text DEFAULT NULL, error_message text DEFAULT NULL,
    row_version text DEFAULT NULL, replayed boolean DEFAULT false, labelled_share double precision DEFAULT NULL)
RETURNS ethaudit.results
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    th ethaudit.thresholds;
    status text;
    msg text := error_message;
    ver record;
    j record;
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
    END IF;
    ver := ethaudit_internal.result_version(c, row_version, window_start, window_end);
    -- The row is built here rather than read back with RETURNING: the role
    -- running the checks may append results without being allowed to read
    -- them (row-level security, roles.sql).  apply_result marks it applied.
    result.result_id := nextval('ethaudit.results_result_id_seq');
    result.run_id := record_result.run_id;
    result.check_id := c.check_id;
    result.model := c.model;
    result.model_version := ver.model_version;
    result.metric := c.metric;
    result.value := CASE WHEN status = 'error' THEN NULL ELSE record_result.value END;
    result.status := status;
    result.n_current := record_result.n_current;
    result.n_reference := record_result.n_reference;
    result.window_start := record_result.window_start;
    result.window_end := record_result.window_end;
    result.reference_start := record_result.reference_start;
    result.reference_end := record_result.reference_end;
    -- levels of the history kinds are multipliers, not levels: a result
    -- that is not judged records none
    result.warn := CASE WHEN th.kind = 'fixed' THEN th.warn END;
    result.critical := CASE WHEN th.kind = 'fixed' THEN th.critical END;
    result.direction := th.direction;
    result.error_sqlstate := record_result.error_sqlstate;
    result.evaluated_at := clock_timestamp();
    result.duration := result.evaluated_at - started;
    result.alert_applied := false;
    result.version_source := ver.version_source;
    result.mixed_versions := ver.mixed_versions;
    result.replayed := record_result.replayed;
    result.labelled_share := record_result.labelled_share;
    IF status IS NULL THEN
        j := ethaudit_internal.judge(th, result);
        status := j.status;
        result.warn := j.warn;
        result.critical := j.critical;
        result.threshold_kind := j.threshold_kind;
        result.history_n := j.history_n;
        msg := j.note;
    END IF;
    result.status := status;
    IF ver.note IS NOT NULL AND status <> 'error' THEN
        msg := CASE WHEN msg IS NULL THEN ver.note ELSE msg || '; ' || ver.note END;
    END IF;
    result.message := msg;
    INSERT INTO ethaudit.results SELECT result.*;
    result.alert_applied := true;
    RETURN result;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.record_result(ethaudit.checks, bigint, double precision, bigint, bigint, timestamptz, timestamptz, timestamptz, timestamptz, timestamptz, text, text, text, boolean, double precision) IS
'Internal: judges a value against the thresholds of its check (or records a failure) and inserts the result, with the version it is about (row_version: the version of its rows, for a check with a version column) and the labelled share of its window; the insert updates the alerts unless the result is replayed.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.record_result(ethaudit.checks, bigint, double precision, bigint, bigint, timestamptz, timestamptz, timestamptz, timestamptz, timestamptz, text, text, text, boolean, double precision) FROM PUBLIC;

CREATE FUNCTION ethaudit_internal.evaluate_check(c ethaudit.checks, run_id bigint, as_of timestamptz,
                                                 replayed boolean DEFAULT false)
RETURNS SETOF ethaudit.results
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
    by_version boolean := c.version_column IS NOT NULL AND c.version IS NULL;
    split boolean;
    r record;
    -- returned once the block has succeeded: a failure rolls back its inserts
    recorded ethaudit.results[] := '{}';
    state text;
    msg text;
BEGIN
    BEGIN
        rel := ethaudit_internal.check_source(pg_catalog.to_regclass(c.source), c.source, c.mode <> 'scheduled');
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
        -- with the rights of whoever runs the checks.  One result per version
        -- of the rows when the check splits by version; a window without rows
        -- has no version, and gets one result from the query unsplit.
        FOR split IN SELECT x FROM unnest(ARRAY[by_version, false]) AS x LOOP
            q := ethaudit_internal.check_query(c, rel, NULL, split);
            FOR r IN SELECT * FROM ethaudit_internal.run_as_owner(rel, q, ARRAY[cur_start, t_end, ref_start, ref_end])
                AS x(value float8, n_current bigint, n_reference bigint, first_time timestamptz,
                     last_time timestamptz, ref_first timestamptz, ref_last timestamptz, labelled_share float8,
                     version text)
            LOOP
                -- (a window of rows without rows ends where it was looked for)
                recorded := recorded || ethaudit_internal.record_result(c, run_id, r.value, r.n_current, r.n_reference,
                                              coalesce(cur_start, r.first_time),
                                              CASE WHEN c.window_size IS NOT NULL THEN t_end ELSE coalesce(r.last_time, t_end) END,
                                              coalesce(ref_start, r.ref_first), coalesce(ref_end, r.ref_last),
                                              started, NULL, NULL, r.version, replayed, r.labelled_share);
            END LOOP;
            EXIT WHEN cardinality(recorded) > 0;
        END LOOP;
        RETURN QUERY SELECT * FROM unnest(recorded);
        RETURN;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
    END;
    -- recorded outside the failed block, so that the failure is kept
    RETURN NEXT ethaudit_internal.record_result(c, run_id, NULL, NULL, NULL, cur_start, t_end, ref_start, ref_end,
                                  started, state, msg, NULL, replayed);
END
$$;
COMMENT ON FUNCTION ethaudit_internal.evaluate_check(ethaudit.checks, bigint, timestamptz, boolean) IS
'Internal: evaluates one check over its window ending at as_of minus its window_lag and records the result, one per version of the rows when the check has a version column and no pinned version; a failure is recorded as a result with status error.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.evaluate_check(ethaudit.checks, bigint, timestamptz, boolean) FROM PUBLIC;

CREATE FUNCTION ethaudit_internal.finish_run(run_id bigint, statuses text[])
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
    PERFORM ethaudit_internal.commit_run_results(finish_run.run_id);
END
$$;
COMMENT ON FUNCTION ethaudit_internal.finish_run(bigint, text[]) IS
'Internal: stamps the end of a run and its totals, from the status of each check it considered (skipped included), and commits its results to the audit log (results_recorded).';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.finish_run(bigint, text[]) FROM PUBLIC;

CREATE FUNCTION ethaudit_internal.lock_check(check_id bigint)
RETURNS boolean
LANGUAGE sql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- advisory key space of ethaudit: 0x65746861 ('etha'), then the check
    SELECT pg_catalog.pg_try_advisory_xact_lock(1702127713, (check_id % 2147483648)::integer)
$$;
COMMENT ON FUNCTION ethaudit_internal.lock_check(bigint) IS
'Internal: takes the transaction-level advisory lock of a check without waiting; false if a concurrent run is evaluating it.';

-- -------- the entry points --------

-- A run for a time in the past is a replay unless the caller says
-- otherwise: its results are evidence about their windows, recorded with
-- replayed = true, and leave the live alerts alone (doc/governance.md).
CREATE FUNCTION ethaudit_internal.is_replay(as_of timestamptz, replay boolean)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(replay, as_of IS NOT NULL AND as_of < pg_catalog.now())
$$;
COMMENT ON FUNCTION ethaudit_internal.is_replay(timestamptz, boolean) IS
'Internal: whether a run is a replay: as the caller says, or by default when as_of is before the start of the transaction.';

CREATE FUNCTION ethaudit.run_checks(model text DEFAULT NULL, as_of timestamptz DEFAULT NULL,
                                    replay boolean DEFAULT NULL)
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
    replaying boolean := ethaudit_internal.is_replay(run_checks.as_of, run_checks.replay);
BEGIN
    IF model IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ethaudit.models m WHERE m.model = run_checks.model) THEN
        RAISE EXCEPTION 'model "%" is not registered', model
            USING ERRCODE = 'undefined_object';
    END IF;
    INSERT INTO ethaudit.runs AS r (kind, model, as_of, run_by, replay)
    VALUES ('run_checks', run_checks.model, coalesce(run_checks.as_of, now()), ethaudit.session_role(), replaying)
    RETURNING r.run_id INTO run;

    FOR c IN
        SELECT ch.* FROM ethaudit.checks ch
        LEFT JOIN ethaudit.model_versions v ON v.model = ch.model AND v.version = ch.version
        WHERE ch.enabled AND ch.mode = 'scheduled'
          AND (run_checks.model IS NULL OR ch.model = run_checks.model)
          AND v.stage IS DISTINCT FROM 'retired'
        ORDER BY ch.model, ch.check_id
    LOOP
        IF NOT ethaudit_internal.lock_check(c.check_id) THEN
            statuses := statuses || 'skipped'::text;
            CONTINUE;
        END IF;
        BEGIN
            FOR res IN SELECT * FROM ethaudit_internal.evaluate_check(c, run, coalesce(run_checks.as_of, now()), replaying)
            LOOP
                statuses := statuses || res.status;
            END LOOP;
        EXCEPTION WHEN OTHERS THEN
            -- not even the failure could be recorded (e.g. the check was
            -- deleted meanwhile): count it and go on with the others
            RAISE WARNING 'ethaudit: check % (%) could not be evaluated: %', c.check_id, c.check_name, SQLERRM;
            statuses := statuses || 'error'::text;
        END;
    END LOOP;

    PERFORM ethaudit_internal.finish_run(run, statuses);
    SELECT r.run_id, r.checks, r.ok, r.warning, r.critical, r.insufficient_data, r.error, r.skipped,
           r.started_at, r.finished_at
    INTO summary FROM ethaudit.runs r WHERE r.run_id = run;
    RETURN summary;
END
$$;
COMMENT ON FUNCTION ethaudit.run_checks(text, timestamptz, boolean) IS
'Evaluates every enabled scheduled check (of one model, or of all when model is NULL) over its latest window ending at as_of (default now()), writes one result per check (per version of the rows, for a check with a version column) and returns a summary. A run with an as_of before now is a replay unless replay => false: its results are recorded with replayed true and leave the alerts alone (replay => true makes any run one). A failing check is recorded with status error and does not stop the others; a check that a concurrent run is evaluating is skipped. Checks pinned to a retired version are not run. SECURITY DEFINER: only the runner writes runs and results (the caller needs no privilege on them, and no role can write them directly); each check''s SQL runs as the owner of its source (run_as_owner). The run is recorded in the caller''s name (run_by) and its results committed to the audit log. Not executable by PUBLIC.';
REVOKE EXECUTE ON FUNCTION ethaudit.run_checks(text, timestamptz, boolean) FROM PUBLIC;

CREATE FUNCTION ethaudit.run_check(check_id bigint, as_of timestamptz DEFAULT NULL, replay boolean DEFAULT NULL)
RETURNS SETOF ethaudit.results
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
    replaying boolean := ethaudit_internal.is_replay(run_check.as_of, run_check.replay);
BEGIN
    IF check_id IS NULL THEN
        RAISE EXCEPTION 'check_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT * INTO c FROM ethaudit.checks ch WHERE ch.check_id = run_check.check_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'check % does not exist', check_id
            USING ERRCODE = 'undefined_object';
    END IF;
    INSERT INTO ethaudit.runs AS r (kind, model, as_of, run_by, replay)
    VALUES ('run_check', c.model, coalesce(run_check.as_of, now()), ethaudit.session_role(), replaying)
    RETURNING r.run_id INTO run;
    -- an explicit request waits for a concurrent evaluation of the same check
    PERFORM pg_catalog.pg_advisory_xact_lock(1702127713, (c.check_id % 2147483648)::integer);
    FOR res IN SELECT * FROM ethaudit_internal.evaluate_check(c, run, coalesce(run_check.as_of, now()), replaying) LOOP
        statuses := statuses || res.status;
        RETURN NEXT res;
    END LOOP;
    PERFORM ethaudit_internal.finish_run(run, statuses);
END
$$;
COMMENT ON FUNCTION ethaudit.run_check(bigint, timestamptz, boolean) IS
'Evaluates one check now (whatever its mode and even if disabled) over its window ending at as_of (default now()), records the result and returns it (one per version of the rows, for a check with a version column). A replay as in run_checks: an as_of before now, unless replay => false. SECURITY DEFINER, like run_checks: the check''s SQL runs as the owner of its source, the run in the caller''s name. Not executable by PUBLIC.';
REVOKE EXECUTE ON FUNCTION ethaudit.run_check(bigint, timestamptz, boolean) FROM PUBLIC;
