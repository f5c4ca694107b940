-- ethaudit 0.1.0 -> 0.2.0 (ALTER EXTENSION ethaudit UPDATE TO '0.2.0').
--
-- Reviewed by hand: every statement keeps the rows of the audit log, the
-- results, the alerts and the configuration (doc/releasing.md). The result
-- must equal a fresh 0.2.0 install, which test/upgrade/run.sh checks.

\echo Use "ALTER EXTENSION ethaudit UPDATE TO '0.2.0'" to load this file. \quit

-- ---------------------------------------------------------------------------
-- Keeping the evidence: refuse DROP EXTENSION while evidence is there
-- (src/sql/evidence_guard.sql).
-- ---------------------------------------------------------------------------

CREATE FUNCTION ethaudit.guard_evidence_drop()
RETURNS event_trigger
LANGUAGE c
AS 'MODULE_PATHNAME', 'ea_guard_evidence_drop';
COMMENT ON FUNCTION ethaudit.guard_evidence_drop() IS
'Event trigger function (ddl_command_start of DROP EXTENSION, DROP SCHEMA and DROP OWNED): refuses, with SQLSTATE 2BP01, a command that would drop the extension while its audit log, results or alerts hold rows, unless ethaudit.allow_drop_with_evidence is on.';
REVOKE ALL ON FUNCTION ethaudit.guard_evidence_drop() FROM PUBLIC;

CREATE EVENT TRIGGER ethaudit_keep_evidence ON ddl_command_start
    WHEN TAG IN ('DROP EXTENSION', 'DROP SCHEMA', 'DROP OWNED')
    EXECUTE FUNCTION ethaudit.guard_evidence_drop();
COMMENT ON EVENT TRIGGER ethaudit_keep_evidence IS
'Refuses to drop ethaudit while its audit log, results or alerts hold rows (see ethaudit.guard_evidence_drop).';

-- ---------------------------------------------------------------------------
-- Other roles' code never runs with the rights of whoever runs the jobs: the
-- SQL of a check, of store_baseline() and of the retention of other tables
-- runs as the owner of the relation it reads (src/owner_exec.c).
-- ---------------------------------------------------------------------------

-- Runs SQL built by the runner, store_baseline() and apply_retention() with
-- the privileges of the owner of the relation it reads (owner_exec.c).
CREATE FUNCTION ethaudit.run_as_owner(rel regclass, query text, args timestamptz[])
RETURNS SETOF record
LANGUAGE c VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'ea_run_as_owner';
COMMENT ON FUNCTION ethaudit.run_as_owner(regclass, text, timestamptz[]) IS
'Internal: runs query (parameters $1.. from args) as the owner of rel in a security-restricted operation, as PostgreSQL runs ANALYZE, so that code the owner put in its view, functions, triggers or policies never runs with the caller''s privileges; it runs as the caller when the caller lacks the owner''s privileges or (PostgreSQL 16+) the right to SET ROLE to it (never up). The statement''s code acts as the owner for ethaudit.session_role(). Not executable by PUBLIC (the admin part has it, for store_baseline and apply_retention). Name lookup uses the caller''s rights and search_path pg_catalog, pg_temp. Call it in FROM with a column definition list.';
REVOKE EXECUTE ON FUNCTION ethaudit.run_as_owner(regclass, text, timestamptz[]) FROM PUBLIC;

CREATE OR REPLACE FUNCTION ethaudit.check_source(rel regclass, source text, for_trigger boolean)
RETURNS regclass
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    kind "char";
    persistence "char";
BEGIN
    IF source IS NULL THEN
        RAISE EXCEPTION 'source must not be NULL' USING ERRCODE = 'not_null_violation';
    END IF;
    IF rel IS NULL THEN
        RAISE EXCEPTION 'relation "%" does not exist', source
            USING ERRCODE = 'undefined_table',
                  HINT = 'A check reads a table or view; name it with its schema, e.g. public.predictions.';
    END IF;
    SELECT c.relkind, c.relpersistence INTO kind, persistence
    FROM pg_catalog.pg_class c WHERE c.oid = rel;
    IF persistence = 't' THEN
        RAISE EXCEPTION 'relation % is temporary', rel
            USING ERRCODE = 'wrong_object_type',
                  DETAIL = 'Checks outlive the session, so they cannot read temporary tables.';
    END IF;
    IF for_trigger AND kind NOT IN ('r', 'p') THEN
        RAISE EXCEPTION 'relation % is not a table', rel
            USING ERRCODE = 'wrong_object_type',
                  DETAIL = 'Checks evaluated on insert need a table or partitioned table, the only relations with insert triggers over transition tables.';
    END IF;
    IF kind NOT IN ('r', 'p', 'v', 'm', 'f') THEN
        RAISE EXCEPTION 'relation % is not a table or view', rel
            USING ERRCODE = 'wrong_object_type';
    END IF;
    -- the extension is not relocatable: all of its relations are in schema ethaudit
    IF rel::oid IN (SELECT c.oid FROM pg_catalog.pg_class c WHERE c.relnamespace = 'ethaudit'::pg_catalog.regnamespace) THEN
        RAISE EXCEPTION 'relation % belongs to ethaudit and cannot be the source of a check', rel
            USING ERRCODE = 'wrong_object_type',
                  DETAIL = 'ethaudit''s own tables hold evidence and keys, not predictions.';
    END IF;
    RETURN rel;
END
$$;
COMMENT ON FUNCTION ethaudit.check_source(regclass, text, boolean) IS
'Internal: checks that the source of a check (source, resolved to rel) is a table, partitioned table, view, materialized view or foreign table, not temporary and not one of ethaudit''s own; raises 42P01 or 42809.';

CREATE OR REPLACE FUNCTION ethaudit.check_config(c ethaudit.checks, rel regclass, op text)
RETURNS ethaudit.checks
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m record;
    cols record;
    k text;
    allowed text[];
BEGIN
    SELECT * INTO m FROM ethaudit.metric_catalog mc WHERE mc.metric = c.metric;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown metric "%" in check %', c.metric, c.check_name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'ethaudit.metric_catalog lists the metrics.';
    END IF;
    IF c.mode IS NULL OR c.mode NOT IN ('scheduled', 'insert_batch', 'insert_window') THEN
        RAISE EXCEPTION 'invalid mode "%" for check %', c.mode, c.check_name
            USING ERRCODE = 'check_violation',
                  HINT = 'The modes are scheduled, insert_batch and insert_window.';
    END IF;

    IF c.check_name IS NULL OR c.check_name = '' OR c.check_name <> btrim(c.check_name) OR length(c.check_name) > 200 THEN
        RAISE EXCEPTION 'invalid check name "%"', c.check_name
            USING ERRCODE = 'check_violation',
                  HINT = 'A check name has 1 to 200 characters and no leading or trailing spaces.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM ethaudit.models mo WHERE mo.model = c.model) THEN
        RAISE EXCEPTION 'model "%" of check % is not registered', c.model, c.check_name
            USING ERRCODE = 'foreign_key_violation',
                  HINT = 'Register it first: INSERT INTO ethaudit.models (model) VALUES (...).';
    END IF;
    IF c.version IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ethaudit.model_versions mv
                                             WHERE mv.model = c.model AND mv.version = c.version) THEN
        RAISE EXCEPTION 'version % of model % (check %) is not registered', c.version, c.model, c.check_name
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    -- A disabled check is not validated against its source, so that a check
    -- whose table or column is gone can still be disabled; it is validated
    -- again when it is enabled.
    IF c.enabled OR rel IS NOT NULL THEN
        rel := ethaudit.check_source(rel, c.source, c.mode <> 'scheduled');
        c.source := ethaudit.qualified_name(rel);
        -- the checks run as the source's owner: only a role that may read the
        -- source itself may point a check at it
        IF NOT pg_catalog.has_table_privilege(ethaudit.session_role(), rel, 'SELECT') THEN
            RAISE EXCEPTION 'role % may not read relation %, so it cannot check it', ethaudit.session_role(), rel
                USING ERRCODE = 'insufficient_privilege',
                      HINT = 'The role that writes a check needs SELECT on its source.';
        END IF;
    END IF;

    -- params: known keys with values of the right type
    IF c.params IS NULL OR pg_catalog.jsonb_typeof(c.params) <> 'object' THEN
        RAISE EXCEPTION 'params of check % must be a JSON object', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    allowed := m.params;
    FOR k IN SELECT pg_catalog.jsonb_object_keys(c.params) LOOP
        IF k <> ALL (allowed) THEN
            RAISE EXCEPTION 'metric % does not take parameter "%"', c.metric, k
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = CASE WHEN pg_catalog.cardinality(allowed) = 0 THEN 'It takes no parameters.'
                                  ELSE 'It takes: ' || pg_catalog.array_to_string(allowed, ', ') || '.' END;
        END IF;
    END LOOP;
    IF c.params ? 'bins' AND (pg_catalog.jsonb_typeof(c.params->'bins') <> 'number'
            OR (c.params->>'bins')::numeric <> pg_catalog.trunc((c.params->>'bins')::numeric)
            OR (c.params->>'bins')::numeric NOT BETWEEN 2 AND 10000) THEN
        RAISE EXCEPTION 'params.bins of check % must be an integer from 2 to 10000', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF c.params ? 'binning' AND coalesce(c.params->>'binning', '') NOT IN ('default', 'evidently') THEN
        RAISE EXCEPTION 'params.binning of check % must be "default" or "evidently"', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF c.params ? 'bins' AND c.params ? 'binning' THEN
        RAISE EXCEPTION 'check % sets both params.bins and params.binning', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF c.params ? 'cutoff' AND (pg_catalog.jsonb_typeof(c.params->'cutoff') <> 'number') THEN
        RAISE EXCEPTION 'params.cutoff of check % must be a number', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF c.params ? 'min_positives' AND (pg_catalog.jsonb_typeof(c.params->'min_positives') <> 'number'
            OR (c.params->>'min_positives')::numeric <> pg_catalog.trunc((c.params->>'min_positives')::numeric)
            OR (c.params->>'min_positives')::numeric NOT BETWEEN 1 AND 2147483647) THEN
        RAISE EXCEPTION 'params.min_positives of check % must be a positive integer', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    IF c.enabled THEN
        cols := ethaudit.check_columns(c, rel);
        c.value_kind := cols.value_kind;
    END IF;

    IF c.version IS NOT NULL AND c.version_column IS NULL THEN
        RAISE EXCEPTION 'check % is pinned to version %, so it needs version_column', c.check_name, c.version
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    -- the window
    IF c.window_size IS NOT NULL AND c.window_rows IS NOT NULL THEN
        RAISE EXCEPTION 'check % sets both window_size and window_rows', c.check_name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'A window is either a time span or a number of rows.';
    END IF;
    IF c.mode <> 'insert_batch' AND c.window_size IS NULL AND c.window_rows IS NULL THEN
        RAISE EXCEPTION 'check % needs window_size or window_rows', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF c.window_size IS NOT NULL AND c.window_size <= interval '0' THEN
        RAISE EXCEPTION 'window_size of check % must be positive, not %', c.check_name, c.window_size
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF c.window_rows IS NOT NULL AND c.window_rows < 1 THEN
        RAISE EXCEPTION 'window_rows of check % must be positive, not %', c.check_name, c.window_rows
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- bounded, so that as_of minus a window is always a timestamp (validated
    -- here rather than failing at every run)
    IF c.window_size > interval '100 years' OR c.reference_size > interval '100 years'
       OR c.window_lag > interval '100 years' OR c.min_interval > interval '100 years' THEN
        RAISE EXCEPTION 'the window sizes, window_lag and min_interval of check % must not exceed 100 years', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF c.window_lag IS NULL OR c.window_lag < interval '0' THEN
        RAISE EXCEPTION 'window_lag of check % must be zero or positive', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF c.min_interval IS NOT NULL AND (c.mode <> 'insert_window' OR c.min_interval < interval '0') THEN
        RAISE EXCEPTION 'min_interval of check % applies only to mode insert_window, and must not be negative', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    -- the reference
    IF NOT m.needs_reference THEN
        IF c.reference_kind IS NOT NULL OR c.reference_size IS NOT NULL OR c.reference_rows IS NOT NULL
           OR c.reference_start IS NOT NULL OR c.reference_end IS NOT NULL OR c.baseline_id IS NOT NULL THEN
            RAISE EXCEPTION 'metric % compares no reference, so check % must not set reference_kind or its fields',
                c.metric, c.check_name
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    ELSIF c.reference_kind IS NULL THEN
        RAISE EXCEPTION 'metric % needs a reference: set reference_kind of check % to preceding, fixed or baseline',
            c.metric, c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    ELSIF c.reference_kind = 'preceding' THEN
        IF c.reference_start IS NOT NULL OR c.reference_end IS NOT NULL OR c.baseline_id IS NOT NULL THEN
            RAISE EXCEPTION 'check % has reference_kind preceding, so reference_start, reference_end and baseline_id must be NULL', c.check_name
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF c.window_rows IS NOT NULL THEN
            IF c.reference_size IS NOT NULL THEN
                RAISE EXCEPTION 'check % has a row window, so its preceding reference is sized by reference_rows, not reference_size', c.check_name
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            IF c.reference_rows IS NOT NULL AND c.reference_rows < 1 THEN
                RAISE EXCEPTION 'reference_rows of check % must be positive', c.check_name
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
        ELSE
            IF c.reference_rows IS NOT NULL THEN
                RAISE EXCEPTION 'check % has a time window, so its preceding reference is sized by reference_size, not reference_rows', c.check_name
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            IF c.reference_size IS NULL AND c.window_size IS NULL THEN
                RAISE EXCEPTION 'check % evaluates inserted batches against the preceding window, so it needs reference_size', c.check_name
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            IF c.reference_size IS NOT NULL AND c.reference_size <= interval '0' THEN
                RAISE EXCEPTION 'reference_size of check % must be positive', c.check_name
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
        END IF;
    ELSIF c.reference_kind = 'fixed' THEN
        IF c.reference_start IS NULL OR c.reference_end IS NULL OR c.reference_start >= c.reference_end THEN
            RAISE EXCEPTION 'check % has reference_kind fixed, so it needs reference_start < reference_end', c.check_name
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF c.reference_size IS NOT NULL OR c.reference_rows IS NOT NULL OR c.baseline_id IS NOT NULL THEN
            RAISE EXCEPTION 'check % has reference_kind fixed, so reference_size, reference_rows and baseline_id must be NULL', c.check_name
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    ELSIF c.reference_kind = 'baseline' THEN
        IF c.reference_size IS NOT NULL OR c.reference_rows IS NOT NULL
           OR c.reference_start IS NOT NULL OR c.reference_end IS NOT NULL THEN
            RAISE EXCEPTION 'check % has reference_kind baseline, so reference_size, reference_rows, reference_start and reference_end must be NULL', c.check_name
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF NOT m.baseline_capable THEN
            RAISE EXCEPTION 'metric % cannot compare with a stored baseline', c.metric
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Use reference_kind preceding or fixed, or a metric listed with baseline_capable in ethaudit.metric_catalog.';
        END IF;
        IF c.params ? 'bins' OR c.params ? 'binning' THEN
            RAISE EXCEPTION 'check % compares with a stored baseline, which brings its own bins: params.bins and params.binning are not allowed', c.check_name
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF c.baseline_id IS NULL THEN
            RAISE EXCEPTION 'check % has reference_kind baseline, so it needs baseline_id', c.check_name
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        -- defined with the baselines table (stored_baselines.sql)
        IF c.enabled THEN
            PERFORM ethaudit.check_baseline_matches(c);
        END IF;
    END IF;

    IF op = 'UPDATE' THEN
        c.updated_at := pg_catalog.now();
    END IF;
    RETURN c;
END
$$;
COMMENT ON FUNCTION ethaudit.check_config(ethaudit.checks, regclass, text) IS
'Internal: validates a check (metric, source relation rel, columns and their types, window, reference, params) and returns it with its source schema-qualified and value_kind filled in.';

CREATE OR REPLACE FUNCTION ethaudit.evaluate_check(c ethaudit.checks, run_id bigint, as_of timestamptz)
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

CREATE OR REPLACE FUNCTION ethaudit.store_baseline(
    model text, column_name name, source regclass, time_column name,
    window_start timestamptz, window_end timestamptz,
    version text DEFAULT NULL, bins integer DEFAULT NULL, value_kind text DEFAULT NULL,
    version_column name DEFAULT NULL, description text DEFAULT NULL)
RETURNS ethaudit.baselines
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
#variable_conflict use_column
DECLARE
    cls text;
    kind text := value_kind;
    q text;
    b ethaudit.baseline;
    result ethaudit.baselines;
BEGIN
    IF model IS NULL OR column_name IS NULL OR source IS NULL OR time_column IS NULL
       OR window_start IS NULL OR window_end IS NULL THEN
        RAISE EXCEPTION 'model, column_name, source, time_column, window_start and window_end must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF window_start >= window_end THEN
        RAISE EXCEPTION 'window_start must be before window_end' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF version IS NOT NULL AND version_column IS NULL THEN
        RAISE EXCEPTION 'a baseline of version % needs version_column to select its rows', version
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM ethaudit.check_source(source, source::text, false);
    IF ethaudit.type_class(ethaudit.column_type(source, time_column)) IS DISTINCT FROM 'time' THEN
        RAISE EXCEPTION 'column "%" of relation % is not a date, timestamp or timestamptz', time_column, source
            USING ERRCODE = 'datatype_mismatch';
    END IF;
    cls := ethaudit.type_class(ethaudit.column_type(source, column_name));
    kind := coalesce(kind, CASE WHEN cls IN ('integer', 'float') THEN 'numeric'
                                WHEN cls IN ('text', 'boolean', 'enum') THEN 'categorical' END);
    IF kind IS NULL OR kind NOT IN ('numeric', 'categorical')
       OR (kind = 'numeric' AND cls NOT IN ('integer', 'float'))
       OR (kind = 'categorical' AND cls NOT IN ('text', 'boolean', 'enum', 'integer')) THEN
        RAISE EXCEPTION 'column "%" of relation % has type %, which cannot be read as a % value',
            column_name, source, ethaudit.column_type(source, column_name), coalesce(kind, 'numeric or categorical')
            USING ERRCODE = 'datatype_mismatch';
    END IF;
    IF bins IS NOT NULL AND kind <> 'numeric' THEN
        RAISE EXCEPTION 'bins applies only to numeric baselines' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF version_column IS NOT NULL THEN
        PERFORM ethaudit.column_type(source, version_column);
    END IF;

    q := format('SELECT ethaudit.baseline(%s%s) FROM %s AS src WHERE src.%I >= $1 AND src.%I < $2%s',
                CASE kind WHEN 'numeric' THEN format('src.%I::pg_catalog.float8', column_name)
                          ELSE ethaudit.text_of(source, column_name) END,
                CASE WHEN bins IS NULL THEN '' ELSE format(', %s', bins) END,
                source, time_column, time_column,
                CASE WHEN version IS NULL THEN ''
                     ELSE format(' AND %s = %L', ethaudit.text_of(source, version_column), version) END);
    -- as the source's owner (ethaudit.run_as_owner)
    SELECT x.b INTO b FROM ethaudit.run_as_owner(source, q, ARRAY[window_start, window_end]) AS x(b ethaudit.baseline);
    IF b IS NULL OR ethaudit.baseline_n(b) = 0 THEN
        RAISE EXCEPTION 'no values of column "%" in % between % and %', column_name, source, window_start, window_end
            USING ERRCODE = 'no_data_found';
    END IF;

    INSERT INTO ethaudit.baselines AS x
        (model, version, column_name, value_kind, baseline, n, source, window_start, window_end, description)
    VALUES (store_baseline.model, store_baseline.version, store_baseline.column_name, kind, b, 0,
            ethaudit.qualified_name(store_baseline.source), store_baseline.window_start, store_baseline.window_end,
            store_baseline.description)
    ON CONFLICT (model, (coalesce(version, '')), column_name) DO UPDATE SET
        baseline = excluded.baseline, source = excluded.source, window_start = excluded.window_start,
        window_end = excluded.window_end, description = coalesce(excluded.description, x.description)
    RETURNING x.* INTO result;
    RETURN result;
END
$$;
COMMENT ON FUNCTION ethaudit.store_baseline(text, name, regclass, name, timestamptz, timestamptz, text, integer, text, name, text) IS
'Computes the baseline of one column over [window_start, window_end) of a relation (only rows of version, if given, selected by version_column) and stores it in ethaudit.baselines, replacing the previous baseline of that model, version and column. Returns the stored row.';

CREATE OR REPLACE FUNCTION ethaudit.apply_retention(dry_run boolean DEFAULT false)
RETURNS TABLE (table_name text, time_column name, keep interval, cutoff timestamptz, deleted bigint)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p ethaudit.retention_policies;
    t record;
    reported jsonb := '[]'::jsonb;
    msg text;
BEGIN
    IF dry_run IS NULL THEN
        RAISE EXCEPTION 'dry_run must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    -- other tables first, as each table's owner (ethaudit.run_as_owner): its
    -- triggers, rules and policies run with the owner's rights, never the
    -- caller's
    FOR p IN
        SELECT x.* FROM ethaudit.retention_policies x
        WHERE x.enabled AND x.table_name NOT IN ('ethaudit.alert_events', 'ethaudit.alerts', 'ethaudit.results',
                                                 'ethaudit.runs', 'ethaudit.audit_log')
        ORDER BY x.table_name
    LOOP
        table_name := p.table_name;
        time_column := p.time_column;
        keep := p.keep;
        cutoff := pg_catalog.now() - p.keep;
        deleted := NULL;
        msg := NULL;
        BEGIN
            t := ethaudit.retention_target(p.table_name, p.time_column);
            SELECT x.n INTO deleted FROM ethaudit.run_as_owner(t.rel,
                CASE WHEN dry_run THEN pg_catalog.format('SELECT count(*) FROM %s WHERE %s', t.rel, t.cmp)
                     ELSE pg_catalog.format('WITH d AS (DELETE FROM %s WHERE %s RETURNING 1) SELECT count(*) FROM d',
                                            t.rel, t.cmp) END,
                ARRAY[cutoff]) AS x(n bigint);
        EXCEPTION WHEN OTHERS THEN
            -- one table that cannot be purged does not stop the others
            GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
            RAISE WARNING 'ethaudit: retention of % failed: %', p.table_name, msg;
        END;
        reported := reported || pg_catalog.jsonb_build_array(pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
            'table', table_name, 'time_column', time_column, 'keep', keep, 'cutoff', cutoff,
            'deleted', deleted, 'error', msg)));
        RETURN NEXT;
    END LOOP;
    RETURN QUERY SELECT * FROM ethaudit.retention_purge(dry_run, reported);
END
$$;
COMMENT ON FUNCTION ethaudit.apply_retention(boolean) IS
'Applies every enabled retention policy, for pg_cron: deletes the rows older than keep (by time_column) and returns, per table, the cutoff and the rows deleted (NULL if the table could not be purged; a WARNING says why). Other tables are purged as their owners (run_as_owner), so their triggers never run with the caller''s privileges; ethaudit''s own history through retention_purge(), which shortens the audit log behind a signed checkpoint and records the run as retention_applied. With dry_run, only counts and records nothing. Not executable by PUBLIC.';

-- ---------------------------------------------------------------------------
-- Enum columns are read through their output function, never a cast (the
-- enum's owner could make that cast its own function); code run for a job as
-- a relation's owner acts in that owner's name (session_role); a check or a
-- retention policy may only name a relation its writer may read or purge.
-- ---------------------------------------------------------------------------

CREATE FUNCTION ethaudit.text_of(rel regclass, col name)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN ethaudit.type_class(ethaudit.column_type(rel, col)) = 'enum'
                THEN pg_catalog.format('pg_catalog.textin(pg_catalog.enum_out(src.%I))', col)
                ELSE pg_catalog.format('src.%I::pg_catalog.text', col) END
$$;
COMMENT ON FUNCTION ethaudit.text_of(regclass, name) IS
'Internal: the SQL expression that reads column col of rel (as src) as text: through the output function for an enum (a cast could be the enum owner''s function), a cast to text for built-in types.';
CREATE OR REPLACE FUNCTION ethaudit.check_columns(c ethaudit.checks, rel regclass,
    OUT v_expr text, OUT y_expr text, OUT p_expr text, OUT g_expr text, OUT value_kind text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m record;
    cls text;
    col name;
    cutoff float8;
BEGIN
    SELECT * INTO m FROM ethaudit.metric_catalog mc WHERE mc.metric = c.metric;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown metric "%"', c.metric
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'ethaudit.metric_catalog lists the metrics.';
    END IF;

    -- time column: date, timestamp or timestamptz
    cls := ethaudit.type_class(ethaudit.column_type(rel, c.time_column));
    IF cls IS DISTINCT FROM 'time' THEN
        RAISE EXCEPTION 'column "%" of relation % has type %, but time_column must be date, timestamp or timestamptz',
            c.time_column, rel, ethaudit.column_type(rel, c.time_column)
            USING ERRCODE = 'datatype_mismatch';
    END IF;

    IF c.version_column IS NOT NULL THEN
        cls := ethaudit.type_class(ethaudit.column_type(rel, c.version_column));
        IF cls IS NULL OR cls NOT IN ('text', 'integer', 'enum') THEN
            RAISE EXCEPTION 'column "%" of relation % has type %, but version_column must be text, integer or enum',
                c.version_column, rel, ethaudit.column_type(rel, c.version_column)
                USING ERRCODE = 'datatype_mismatch';
        END IF;
    END IF;

    -- value
    IF ethaudit.column_use(c.metric, 'value_column', m.value_kinds IS NOT NULL, c.value_column) THEN
        cls := ethaudit.type_class(ethaudit.column_type(rel, c.value_column));
        value_kind := coalesce(c.value_kind,
                               CASE WHEN cls IN ('integer', 'float') THEN 'numeric'
                                    WHEN cls IN ('text', 'boolean', 'enum') THEN 'categorical' END);
        IF value_kind IS NULL
           OR (value_kind = 'numeric' AND cls NOT IN ('integer', 'float'))
           OR (value_kind = 'categorical' AND cls NOT IN ('text', 'boolean', 'enum', 'integer')) THEN
            RAISE EXCEPTION 'column "%" of relation % has type %, which cannot be read as a % value',
                c.value_column, rel, ethaudit.column_type(rel, c.value_column), coalesce(value_kind, 'numeric or categorical')
                USING ERRCODE = 'datatype_mismatch',
                      HINT = 'Numeric values need an integer, real, double precision or numeric column; categories a text, boolean, enum or integer column.';
        END IF;
        IF value_kind <> ALL (m.value_kinds) THEN
            RAISE EXCEPTION 'metric % needs a % value, but column "%" of relation % is read as %',
                c.metric, array_to_string(m.value_kinds, ' or '), c.value_column, rel, value_kind
                USING ERRCODE = 'datatype_mismatch';
        END IF;
        v_expr := CASE value_kind WHEN 'numeric' THEN format('src.%I::pg_catalog.float8', c.value_column)
                                  ELSE ethaudit.text_of(rel, c.value_column) END;
    END IF;
    IF c.value_kind IS NOT NULL AND m.value_kinds IS NULL THEN
        RAISE EXCEPTION 'metric % does not read value_column, so value_kind must be NULL', c.metric
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    -- label
    IF ethaudit.column_use(c.metric, 'label_column', m.label_type IS NOT NULL, c.label_column) THEN
        cls := ethaudit.type_class(ethaudit.column_type(rel, c.label_column));
        IF m.label_type = 'boolean' AND cls = 'boolean' THEN
            y_expr := format('src.%I', c.label_column);
        ELSIF m.label_type = 'boolean' AND cls = 'integer' THEN
            y_expr := format('(src.%I OPERATOR(pg_catalog.<>) 0)', c.label_column);
        ELSIF m.label_type = 'numeric' AND cls IN ('integer', 'float') THEN
            y_expr := format('src.%I::pg_catalog.float8', c.label_column);
        ELSE
            RAISE EXCEPTION 'column "%" of relation % has type %, but metric % needs a % label',
                c.label_column, rel, ethaudit.column_type(rel, c.label_column), c.metric,
                CASE m.label_type WHEN 'boolean' THEN 'boolean or 0/1 integer' ELSE 'numeric' END
                USING ERRCODE = 'datatype_mismatch';
        END IF;
    END IF;

    -- probability, score or prediction
    IF ethaudit.column_use(c.metric, 'probability_column', m.probability_type IS NOT NULL, c.probability_column) THEN
        cls := ethaudit.type_class(ethaudit.column_type(rel, c.probability_column));
        IF m.probability_type = 'prediction' AND cls = 'boolean' THEN
            p_expr := format('src.%I', c.probability_column);
        ELSIF m.probability_type = 'prediction' AND cls IN ('integer', 'float') THEN
            cutoff := coalesce((c.params->>'cutoff')::float8, 0.5);
            p_expr := format('(src.%I::pg_catalog.float8 OPERATOR(pg_catalog.>=) %L::pg_catalog.float8)',
                             c.probability_column, cutoff);
        ELSIF m.probability_type = 'score' AND cls IN ('integer', 'float') THEN
            p_expr := format('src.%I::pg_catalog.float8', c.probability_column);
        ELSIF m.probability_type = 'probability' AND cls = 'float' THEN
            p_expr := format('src.%I::pg_catalog.float8', c.probability_column);
        ELSE
            RAISE EXCEPTION 'column "%" of relation % has type %, but metric % needs %',
                c.probability_column, rel, ethaudit.column_type(rel, c.probability_column), c.metric,
                CASE m.probability_type
                    WHEN 'prediction' THEN 'a boolean prediction or a numeric score'
                    WHEN 'score' THEN 'a numeric score'
                    ELSE 'a real, double precision or numeric probability' END
                USING ERRCODE = 'datatype_mismatch';
        END IF;
    END IF;

    -- group
    IF ethaudit.column_use(c.metric, 'group_column', m.needs_group, c.group_column) THEN
        cls := ethaudit.type_class(ethaudit.column_type(rel, c.group_column));
        IF cls IS NULL OR cls NOT IN ('text', 'boolean', 'enum', 'integer') THEN
            RAISE EXCEPTION 'column "%" of relation % has type %, but group_column must be text, boolean, enum or integer',
                c.group_column, rel, ethaudit.column_type(rel, c.group_column)
                USING ERRCODE = 'datatype_mismatch';
        END IF;
        g_expr := ethaudit.text_of(rel, c.group_column);
    END IF;

    -- null_share: the columns that must be present
    IF c.metric = 'null_share' THEN
        IF c.required_columns IS NOT NULL AND cardinality(c.required_columns) = 0 THEN
            RAISE EXCEPTION 'required_columns of check % is empty', c.check_name
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        SELECT string_agg(format('src.%I IS NULL', x.col), ' OR ' ORDER BY x.ord)
        INTO v_expr
        FROM unnest(coalesce(c.required_columns, ARRAY[c.time_column])) WITH ORDINALITY AS x(col, ord);
        FOREACH col IN ARRAY coalesce(c.required_columns, ARRAY[c.time_column]) LOOP
            IF col IS NULL THEN
                RAISE EXCEPTION 'required_columns of check % contains NULL', c.check_name
                    USING ERRCODE = 'null_value_not_allowed';
            END IF;
            PERFORM ethaudit.column_type(rel, col);
        END LOOP;
        v_expr := '(' || v_expr || ')';
    ELSIF c.required_columns IS NOT NULL THEN
        RAISE EXCEPTION 'metric % does not read required_columns (only null_share does)', c.metric
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
END
$$;
COMMENT ON FUNCTION ethaudit.check_columns(ethaudit.checks, regclass) IS
'Internal: validates the columns of a check against its source and the metric (42703 missing column, 42804 wrong type, 22023 column missing or not used) and returns the SQL expressions that read them.';
CREATE OR REPLACE FUNCTION ethaudit.check_query(c ethaudit.checks, rel regclass, batch_relation text DEFAULT NULL)
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
    parts := ethaudit.check_parts(c, rel);
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
CREATE OR REPLACE FUNCTION ethaudit.session_role()
RETURNS name
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- SET ROLE is refused inside SECURITY DEFINER functions, so the setting
    -- "role" keeps naming the caller while CURRENT_USER names the definer.
    -- Code run for a job as a relation's owner (run_as_owner) acts as that
    -- owner, not as the job's session: ethaudit.acting_role names it.
    SELECT CASE WHEN coalesce(pg_catalog.current_setting('ethaudit.acting_role', true), '') <> ''
                THEN pg_catalog.current_setting('ethaudit.acting_role', true)::name
                WHEN pg_catalog.current_setting('role') = 'none' THEN SESSION_USER
                ELSE pg_catalog.current_setting('role')::name END
$$;
COMMENT ON FUNCTION ethaudit.session_role() IS
'The role the session acts as: the role chosen with SET ROLE, else the session user; while a job runs a relation''s code as its owner (run_as_owner), that owner. Unlike CURRENT_USER it is the same inside SECURITY DEFINER functions, so the audit log names the caller, not the extension''s owner, and code an owner planted in a view or trigger acts with its owner''s name, not the job''s.';
CREATE OR REPLACE FUNCTION ethaudit.validate_retention_policy()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t record;
BEGIN
    t := ethaudit.retention_target(NEW.table_name, NEW.time_column);
    NEW.table_name := ethaudit.qualified_name(t.rel);
    -- retention deletes as the table's owner: only a role that may delete
    -- from it itself may set a policy on another table
    IF t.rel::oid NOT IN (SELECT c.oid FROM pg_catalog.pg_class c WHERE c.relnamespace = 'ethaudit'::pg_catalog.regnamespace)
       AND NOT pg_catalog.has_table_privilege(ethaudit.session_role(), t.rel, 'DELETE') THEN
        RAISE EXCEPTION 'role % may not delete from %, so it cannot set its retention', ethaudit.session_role(), t.rel
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.keep IS NULL OR NEW.keep <= interval '0' THEN
        RAISE EXCEPTION 'keep of the retention policy of % must be a positive interval, not %', NEW.table_name,
            coalesce(NEW.keep::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        NEW.updated_at := pg_catalog.now();
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION ethaudit.validate_retention_policy() IS
'Trigger function: validates a retention policy (retention_target, positive keep), stores the table name schema-qualified and stamps updated_at.';

-- ---------------------------------------------------------------------------
-- Results come only from the runner: run_checks() and run_check() are
-- SECURITY DEFINER, nobody else writes runs or results, the alert engine
-- judges values itself, and every run's results are committed to the audit
-- log (results_recorded; verify_results()).
-- ---------------------------------------------------------------------------

-- -------- results are committed to the chain --------

-- Results are written only by the runner (run_checks, run_check, the
-- prediction-log trigger). When a run finishes it appends one event,
-- results_recorded, holding the SHA-256 of each result's canonical
-- encoding; verify_results() recomputes them.
CREATE FUNCTION ethaudit.result_encoding(r ethaudit.results)
RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET extra_float_digits = 1
AS $$
    -- the fields written out, as in audit_encoding(): one call per result
    -- instead of one per field (each run hashes all of its results)
    SELECT pg_catalog.convert_to('ethaudit.results/1;'
        || pg_catalog.concat(
            CASE WHEN f.result_id IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.result_id, 'UTF8')) || ':' || f.result_id || ',' END,
            CASE WHEN f.run_id IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.run_id, 'UTF8')) || ':' || f.run_id || ',' END,
            CASE WHEN f.check_id IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.check_id, 'UTF8')) || ':' || f.check_id || ',' END,
            CASE WHEN f.model IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.model, 'UTF8')) || ':' || f.model || ',' END,
            CASE WHEN f.model_version IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.model_version, 'UTF8')) || ':' || f.model_version || ',' END,
            CASE WHEN f.metric IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.metric, 'UTF8')) || ':' || f.metric || ',' END,
            CASE WHEN f.value IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.value, 'UTF8')) || ':' || f.value || ',' END,
            CASE WHEN f.status IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.status, 'UTF8')) || ':' || f.status || ',' END,
            CASE WHEN f.n_current IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.n_current, 'UTF8')) || ':' || f.n_current || ',' END,
            CASE WHEN f.n_reference IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.n_reference, 'UTF8')) || ':' || f.n_reference || ',' END,
            CASE WHEN f.window_start IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.window_start, 'UTF8')) || ':' || f.window_start || ',' END,
            CASE WHEN f.window_end IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.window_end, 'UTF8')) || ':' || f.window_end || ',' END,
            CASE WHEN f.reference_start IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.reference_start, 'UTF8')) || ':' || f.reference_start || ',' END,
            CASE WHEN f.reference_end IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.reference_end, 'UTF8')) || ':' || f.reference_end || ',' END,
            CASE WHEN f.warn IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.warn, 'UTF8')) || ':' || f.warn || ',' END,
            CASE WHEN f.critical IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.critical, 'UTF8')) || ':' || f.critical || ',' END,
            CASE WHEN f.direction IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.direction, 'UTF8')) || ':' || f.direction || ',' END,
            CASE WHEN f.error_sqlstate IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.error_sqlstate, 'UTF8')) || ':' || f.error_sqlstate || ',' END,
            CASE WHEN f.message IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.message, 'UTF8')) || ':' || f.message || ',' END,
            CASE WHEN f.evaluated_at IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.evaluated_at, 'UTF8')) || ':' || f.evaluated_at || ',' END,
            CASE WHEN f.duration IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.duration, 'UTF8')) || ':' || f.duration || ',' END,
            CASE WHEN f.alert_applied IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.alert_applied, 'UTF8')) || ':' || f.alert_applied || ',' END),
        'UTF8')
    FROM (SELECT r.result_id::text AS result_id, r.run_id::text AS run_id, r.check_id::text AS check_id,
                 r.model, r.model_version, r.metric, r.value::text AS value, r.status,
                 r.n_current::text AS n_current, r.n_reference::text AS n_reference,
                 pg_catalog.to_char(r.window_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS window_start,
                 pg_catalog.to_char(r.window_end AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS window_end,
                 pg_catalog.to_char(r.reference_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS reference_start,
                 pg_catalog.to_char(r.reference_end AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS reference_end,
                 r.warn::text AS warn, r.critical::text AS critical, r.direction, r.error_sqlstate,
                 r.message,
                 pg_catalog.to_char(r.evaluated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS evaluated_at,
                 (EXTRACT(epoch FROM r.duration))::text AS duration, r.alert_applied::text AS alert_applied) AS f
$$;
COMMENT ON FUNCTION ethaudit.result_encoding(ethaudit.results) IS
'The canonical encoding of a result that the audit log commits to: "ethaudit.results/1;" then every column in table order (times in UTC with microseconds, duration in seconds, floats in shortest exact form), each as "<octets>:<UTF-8 text>," or "-" for NULL.';

CREATE FUNCTION ethaudit.commit_run_results(run_id bigint)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    digests jsonb;
    run ethaudit.runs;
BEGIN
    SELECT * INTO run FROM ethaudit.runs r WHERE r.run_id = commit_run_results.run_id;
    SELECT pg_catalog.jsonb_object_agg(r.result_id::text,
               pg_catalog.encode(pg_catalog.sha256(ethaudit.result_encoding(r)), 'hex'))
    INTO digests FROM ethaudit.results r WHERE r.run_id = commit_run_results.run_id;
    IF digests IS NULL THEN
        RETURN;
    END IF;
    PERFORM ethaudit.audit_append('results_recorded', run.model, NULL,
        pg_catalog.jsonb_build_object('run_id', run.run_id, 'kind', run.kind, 'run_by', run.run_by,
                                      'source', run.source, 'results', digests));
END
$$;
COMMENT ON FUNCTION ethaudit.commit_run_results(bigint) IS
'Internal: appends results_recorded to the audit log for a finished run: the SHA-256 (hex) of result_encoding() of each of its results, keyed by result_id. SECURITY DEFINER; not executable by PUBLIC.';

CREATE FUNCTION ethaudit.verify_results(
    OUT valid boolean, OUT results_checked bigint, OUT results_changed bigint, OUT results_unrecorded bigint,
    OUT results_deleted bigint, OUT results_behind_checkpoint bigint, OUT results_recorded_at_upgrade bigint,
    OUT first_bad_result_id bigint, OUT problem text)
LANGUAGE plpgsql STABLE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cutoff timestamptz := (SELECT max(c.cutoff) FROM ethaudit.audit_checkpoints c);
BEGIN
    WITH recorded AS (
        SELECT d.key::bigint AS result_id, d.value AS digest, a.details ? 'recorded_at_upgrade_to' AS at_upgrade
        FROM ethaudit.audit_log a, pg_catalog.jsonb_each_text(a.details -> 'results') d
        WHERE a.event_type = 'results_recorded'
    ), present AS (
        SELECT r.result_id, r.evaluated_at,
               pg_catalog.encode(pg_catalog.sha256(ethaudit.result_encoding(r)), 'hex') AS digest
        FROM ethaudit.results r
    ), judged AS (
        SELECT coalesce(p.result_id, rec.result_id) AS result_id, coalesce(rec.at_upgrade, false) AS at_upgrade,
               CASE WHEN rec.result_id IS NULL AND p.evaluated_at < cutoff THEN 'behind_checkpoint'
                    WHEN rec.result_id IS NULL THEN 'unrecorded'
                    WHEN p.result_id IS NULL THEN 'deleted'
                    WHEN p.digest <> rec.digest THEN 'changed'
                    ELSE 'intact' END AS verdict
        FROM present p FULL JOIN recorded rec ON rec.result_id = p.result_id
    )
    SELECT count(*) FILTER (WHERE j.verdict IN ('intact', 'changed', 'unrecorded')),
           count(*) FILTER (WHERE j.verdict = 'changed'),
           count(*) FILTER (WHERE j.verdict = 'unrecorded'),
           count(*) FILTER (WHERE j.verdict = 'deleted'),
           count(*) FILTER (WHERE j.verdict = 'behind_checkpoint'),
           count(*) FILTER (WHERE j.at_upgrade AND j.verdict <> 'deleted'),
           min(j.result_id) FILTER (WHERE j.verdict IN ('changed', 'unrecorded'))
    INTO results_checked, results_changed, results_unrecorded, results_deleted, results_behind_checkpoint,
         results_recorded_at_upgrade, first_bad_result_id
    FROM judged j;
    valid := results_changed = 0 AND results_unrecorded = 0;
    IF results_changed > 0 THEN
        problem := pg_catalog.format('%s results no longer match what the audit log recorded (first: result %s)',
                                     results_changed, first_bad_result_id);
    ELSIF results_unrecorded > 0 THEN
        problem := pg_catalog.format('%s results were not written by a run the audit log recorded (first: result %s)',
                                     results_unrecorded, first_bad_result_id);
    END IF;
END
$$;
COMMENT ON FUNCTION ethaudit.verify_results() IS
'Checks every result against the digests of the results_recorded events of the audit log: valid unless a result was changed since its run recorded it, or a result exists that no run recorded (forged, or inserted with the triggers off). results_checked counts the results compared; results_deleted the recorded results that are gone (retention, or a deletion the log records as history_deleted); results_behind_checkpoint the results older than the latest checkpoint''s cutoff whose event retention removed from the log, which can no longer be checked; results_recorded_at_upgrade the results written before 0.2.0 and recorded by the upgrade, which prove only that nothing changed since (under 0.1.0 a writer could insert results directly). Run verify_audit_log() too: this trusts the events it reads. SECURITY DEFINER; not executable by PUBLIC.';

REVOKE EXECUTE ON FUNCTION ethaudit.commit_run_results(bigint) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ethaudit.verify_results() FROM PUBLIC;

CREATE OR REPLACE FUNCTION ethaudit.finish_run(run_id bigint, statuses text[])
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

CREATE OR REPLACE FUNCTION ethaudit.run_checks(model text DEFAULT NULL, as_of timestamptz DEFAULT NULL)
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

CREATE OR REPLACE FUNCTION ethaudit.run_check(check_id bigint, as_of timestamptz DEFAULT NULL)
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

CREATE OR REPLACE FUNCTION ethaudit.monitor_batch()
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

CREATE OR REPLACE FUNCTION ethaudit.apply_result()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    th ethaudit.thresholds;
    a ethaudit.alerts;
    fam text;
    escalate boolean;
BEGIN
    IF NEW.alert_applied AND ethaudit.restoring() THEN
        RETURN NEW;             -- history being restored
    END IF;
    NEW.alert_applied := true;
    -- a new result speaks for its check: model and metric come from it
    SELECT ch.model, ch.metric INTO NEW.model, NEW.metric
    FROM ethaudit.checks ch WHERE ch.check_id = NEW.check_id;
    IF NEW.status NOT IN ('warning', 'critical', 'ok') THEN
        RETURN NEW;             -- insufficient_data and error leave alerts alone
    END IF;
    SELECT * INTO th FROM ethaudit.thresholds x WHERE x.check_id = NEW.check_id;
    -- the engine judges the value itself: a supplied status counts for nothing
    NEW.status := ethaudit.classify(NEW.value, th.warn, th.critical, th.direction);
    NEW.warn := th.warn;
    NEW.critical := th.critical;
    NEW.direction := th.direction;
    IF NEW.status NOT IN ('warning', 'critical', 'ok') THEN
        RETURN NEW;
    END IF;

    IF NEW.status = 'ok' THEN
        UPDATE ethaudit.alerts x SET
            clean_runs = x.clean_runs + 1,
            last_result_id = NEW.result_id,
            status = CASE WHEN x.clean_runs + 1 >= coalesce(th.resolve_after, 3) THEN 'resolved' ELSE x.status END,
            resolved_at = CASE WHEN x.clean_runs + 1 >= coalesce(th.resolve_after, 3) THEN NEW.evaluated_at END,
            resolution = CASE WHEN x.clean_runs + 1 >= coalesce(th.resolve_after, 3) THEN 'automatic' END,
            resolution_note = CASE WHEN x.clean_runs + 1 >= coalesce(th.resolve_after, 3)
                                   THEN format('resolved after %s consecutive ok results', x.clean_runs + 1) END
        WHERE x.check_id = NEW.check_id AND x.status <> 'resolved'
        RETURNING x.* INTO a;
        IF FOUND AND a.status = 'resolved' THEN
            PERFORM ethaudit.log_alert_event(a, 'resolved', NULL, a.resolution_note, NEW.result_id);
            PERFORM ethaudit.notify_alert(a, 'resolved');
        END IF;
        RETURN NEW;
    END IF;

    SELECT mc.family INTO fam FROM ethaudit.metric_catalog mc WHERE mc.metric = NEW.metric;
    LOOP
        SELECT * INTO a FROM ethaudit.alerts x
        WHERE x.check_id = NEW.check_id AND x.status <> 'resolved'
        FOR UPDATE;
        IF FOUND THEN
            escalate := a.severity = 'warning' AND NEW.status = 'critical';
            UPDATE ethaudit.alerts x SET
                occurrences = x.occurrences + 1,
                clean_runs = 0,
                last_value = NEW.value,
                last_seen_at = NEW.evaluated_at,
                last_result_id = NEW.result_id,
                worst_value = CASE WHEN NEW.direction = 'below' THEN least(x.worst_value, NEW.value)
                                   ELSE greatest(x.worst_value, NEW.value) END,
                severity = CASE WHEN escalate THEN 'critical' ELSE x.severity END,
                escalated_at = CASE WHEN escalate THEN NEW.evaluated_at ELSE x.escalated_at END,
                due_at = CASE WHEN escalate
                              THEN least(x.due_at, NEW.evaluated_at
                                         + coalesce(th.critical_response_time, th.response_time, interval '1 day'))
                              ELSE x.due_at END,
                -- an acknowledged alert that gets worse needs attention again
                status = CASE WHEN escalate THEN 'open' ELSE x.status END
            WHERE x.alert_id = a.alert_id
            RETURNING x.* INTO a;
            IF escalate THEN
                PERFORM ethaudit.log_alert_event(a, 'escalated', NULL,
                    format('%s crossed the critical level %s', NEW.value, NEW.critical), NEW.result_id);
                PERFORM ethaudit.notify_alert(a, 'escalated');
            END IF;
            EXIT;
        END IF;

        INSERT INTO ethaudit.alerts AS x
            (check_id, model, metric, family, severity, owner_role, opened_at, due_at, last_seen_at,
             first_value, last_value, worst_value, first_result_id, last_result_id)
        VALUES (NEW.check_id, NEW.model, NEW.metric, coalesce(fam, 'drift'), NEW.status, th.owner_role,
                NEW.evaluated_at,
                NEW.evaluated_at + CASE WHEN NEW.status = 'critical'
                                        THEN coalesce(th.critical_response_time, th.response_time, interval '1 day')
                                        ELSE coalesce(th.response_time, interval '1 day') END,
                NEW.evaluated_at, NEW.value, NEW.value, NEW.value, NEW.result_id, NEW.result_id)
        ON CONFLICT (check_id) WHERE status <> 'resolved' DO NOTHING
        RETURNING x.* INTO a;
        IF FOUND THEN
            PERFORM ethaudit.log_alert_event(a, 'opened', NULL,
                format('%s is beyond the %s level %s', NEW.value, NEW.status,
                       CASE WHEN NEW.status = 'critical' THEN NEW.critical ELSE NEW.warn END),
                NEW.result_id);
            PERFORM ethaudit.notify_alert(a, 'opened');
            -- Alerts of one model open one after the other, so that each
            -- sees the others when judging co-occurrence (lock held to commit).
            PERFORM pg_catalog.pg_advisory_xact_lock(1702127714, pg_catalog.hashtext(NEW.model));
            PERFORM ethaudit.raise_cooccurring_priority(NEW.model);
            EXIT;
        END IF;
        -- a concurrent transaction opened the alert first: update that one
    END LOOP;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION ethaudit.apply_result() IS
'Trigger function (BEFORE INSERT on results): judges the value against the check''s thresholds (whatever status the row gives) and applies the result to the alert of its check: opens, repeats, escalates or counts a clean run and resolves. Only a restore skips it. SECURITY DEFINER.';

REVOKE EXECUTE ON FUNCTION ethaudit.record_result(ethaudit.checks, bigint, double precision, bigint, bigint, timestamptz, timestamptz, timestamptz, timestamptz, timestamptz, text, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ethaudit.evaluate_check(ethaudit.checks, bigint, timestamptz) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ethaudit.finish_run(bigint, text[]) FROM PUBLIC;

COMMENT ON COLUMN ethaudit.runs.run_by IS 'Role that ran it: the session''s role (for pg_cron, the owner of the job; for the prediction-log trigger, the inserting role).';
COMMENT ON COLUMN ethaudit.results.alert_applied IS 'True once the row has been applied to the alerts. Rows loaded by a restore (a superuser session with row_security off) with true leave the alerts alone; any other insert is applied whatever it says.';
COMMENT ON TABLE ethaudit.results IS
'One row per evaluation of a check: value, sample sizes, window, status, and the thresholds it was judged by. Written only by the runner, which commits each run''s results to the audit log (verify_results); inserting a row updates the alerts. History: kept by pg_dump.';

DROP POLICY results_append ON ethaudit.results;
DROP POLICY runs_own_insert ON ethaudit.runs;
DROP POLICY runs_own_update ON ethaudit.runs;
COMMENT ON POLICY results_extension ON ethaudit.results IS
'Only the extension''s own functions (the runner, retention) write, change or delete results.';
COMMENT ON POLICY runs_extension ON ethaudit.runs IS
'Only the extension''s own functions (the runner, the prediction-log trigger, retention) write runs.';

CREATE OR REPLACE FUNCTION ethaudit.has_role_kind(who name, kind text)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    -- only for the session's own role or a role it belongs to: nobody learns
    -- which part another role plays
    SELECT pg_catalog.pg_has_role(ethaudit.session_role(), who, 'MEMBER')
       AND EXISTS (SELECT 1 FROM ethaudit.security_roles s JOIN pg_catalog.pg_roles r ON r.rolname = s.role_name
                   WHERE s.role_kind = kind AND pg_catalog.pg_has_role(who, r.oid, 'MEMBER'))
$$;
COMMENT ON FUNCTION ethaudit.has_role_kind(name, text) IS
'True if role who is a member of the role that plays the given part (auditor, writer, admin, owner) in ethaudit.security_roles. Answers only for the session''s role and roles it is a member of (a superuser''s session: any role); false for any other. SECURITY DEFINER.';

CREATE OR REPLACE FUNCTION ethaudit.reads_everything(who name)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.pg_has_role(ethaudit.session_role(), who, 'MEMBER')
       AND (coalesce((SELECT pg_catalog.pg_has_role(who, e.extowner, 'MEMBER')
                      FROM pg_catalog.pg_extension e WHERE e.extname = 'ethaudit'), false)
            OR ethaudit.has_role_kind(who, 'auditor'))
$$;
COMMENT ON FUNCTION ethaudit.reads_everything(name) IS
'True if role who sees every model''s evidence: a member of the auditor role, or of the extension''s owner (its own functions). Answers only for the session''s role and roles it is a member of; false for any other. Used by the row-level security policies. SECURITY DEFINER.';

CREATE OR REPLACE FUNCTION ethaudit.role_privileges(kind text)
RETURNS text[]
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE kind
    WHEN 'auditor' THEN ARRAY[
        'USAGE ON SCHEMA ethaudit',
        'SELECT ON ethaudit.models, ethaudit.model_versions, ethaudit.checks, ethaudit.thresholds, ethaudit.baselines, '
        'ethaudit.runs, ethaudit.results, ethaudit.alerts, ethaudit.alert_events, ethaudit.audit_log, '
        'ethaudit.audit_checkpoints, ethaudit.privacy_policies, ethaudit.retention_policies, ethaudit.security_roles, '
        'ethaudit.open_alerts, ethaudit.latest_results, ethaudit.result_history, ethaudit.model_cards, ethaudit.monitored_tables',
        'EXECUTE ON FUNCTION ethaudit.verify_audit_log(bigint, text), ethaudit.audit_head(), ethaudit.verify_results(), '
        'ethaudit.pseudonymise(text), ethaudit.pseudonymise(text, integer)']
    WHEN 'owner' THEN ARRAY[
        'USAGE ON SCHEMA ethaudit',
        'SELECT ON ethaudit.models, ethaudit.model_versions, ethaudit.checks, ethaudit.thresholds, ethaudit.baselines, '
        'ethaudit.privacy_policies, ethaudit.runs, ethaudit.results, ethaudit.alerts, ethaudit.alert_events, ethaudit.audit_log'
        -- before PostgreSQL 15 the views run with their owner's rights, which
        -- would show every model: owners get them only where they are security_invoker
        || CASE WHEN pg_catalog.current_setting('server_version_num')::integer >= 150000
                THEN ', ethaudit.open_alerts, ethaudit.latest_results, ethaudit.result_history, ethaudit.model_cards'
                ELSE '' END,
        'EXECUTE ON FUNCTION ethaudit.acknowledge_alert(bigint, text), ethaudit.resolve_alert(bigint, text), '
        'ethaudit.record_event(text, text, jsonb, text), '
        'ethaudit.record_decision(text, text, jsonb, jsonb, text[], text, text, text), ethaudit.pseudonymise(text)']
    WHEN 'writer' THEN ARRAY[
        'USAGE ON SCHEMA ethaudit',
        'SELECT ON ethaudit.models, ethaudit.model_versions, ethaudit.checks, ethaudit.thresholds, ethaudit.baselines, '
        'ethaudit.runs',
        'EXECUTE ON FUNCTION ethaudit.run_checks(text, timestamptz), ethaudit.run_check(bigint, timestamptz), '
        'ethaudit.record_event(text, text, jsonb, text), '
        'ethaudit.record_decision(text, text, jsonb, jsonb, text[], text, text, text)']
    WHEN 'admin' THEN ARRAY[
        'USAGE ON SCHEMA ethaudit',
        'SELECT, INSERT, UPDATE, DELETE ON ethaudit.models, ethaudit.model_versions, ethaudit.checks, '
        'ethaudit.thresholds, ethaudit.baselines, ethaudit.privacy_policies, ethaudit.retention_policies',
        'SELECT ON ethaudit.security_roles',
        'USAGE ON SEQUENCE ethaudit.checks_check_id_seq, ethaudit.baselines_baseline_id_seq',
        'EXECUTE ON FUNCTION ethaudit.set_stage(text, text, text), '
        'ethaudit.store_baseline(text, name, regclass, name, timestamptz, timestamptz, text, integer, text, name, text), '
        'ethaudit.monitor_table(regclass, text, name, name[], name, name[], interval), '
        'ethaudit.unmonitor_table(regclass), ethaudit.monitor_batch(), '
        'ethaudit.apply_retention(boolean), ethaudit.retention_purge(boolean, jsonb), ethaudit.rotate_key(text), '
        'ethaudit.record_event(text, text, jsonb, text), '
        'ethaudit.record_decision(text, text, jsonb, jsonb, text[], text, text, text), '
        'ethaudit.verify_audit_log(bigint, text), ethaudit.audit_head(), ethaudit.verify_results(), '
        'ethaudit.run_as_owner(regclass, text, timestamptz[])']
    END
$$;
COMMENT ON FUNCTION ethaudit.role_privileges(text) IS
'The privileges of a part (auditor, owner, writer, admin), as GRANT objects; set_security_role() grants them. doc/security.md explains each. Model owners get the dashboard views only on PostgreSQL 15 and later, where they are security_invoker.';

-- ---------------------------------------------------------------------------
-- Alerts change only through acknowledge_alert() and resolve_alert(), now
-- SECURITY DEFINER: no role updates alerts or writes alert events directly.
-- ---------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION ethaudit.alert_for_update(alert_id bigint, action text)
RETURNS ethaudit.alerts
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a ethaudit.alerts;
    who name := ethaudit.session_role();
    found_it boolean;
    owns boolean;
BEGIN
    IF alert_id IS NULL THEN
        RAISE EXCEPTION 'alert_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT * INTO a FROM ethaudit.alerts x WHERE x.alert_id = alert_for_update.alert_id FOR UPDATE;
    found_it := FOUND;
    -- what row-level security would show the caller (these run as the
    -- extension's owner): to a role that cannot see an alert, it does not exist
    IF found_it THEN
        owns := a.owner_role IS NULL
                OR EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                           WHERE r.rolname = a.owner_role AND pg_catalog.pg_has_role(who, r.oid, 'MEMBER'));
    END IF;
    IF NOT found_it OR NOT (ethaudit.reads_everything(who) OR a.model = ANY (ethaudit.readable_models(who))
                         OR (a.owner_role IS NOT NULL AND owns)) THEN
        RAISE EXCEPTION 'alert % does not exist', alert_id USING ERRCODE = 'undefined_object';
    END IF;
    IF NOT owns THEN
        RAISE EXCEPTION 'permission denied to % alert %', action, alert_id
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = pg_catalog.format('The alert belongs to role %s.', a.owner_role),
                  HINT = 'Only members of the owner role can acknowledge or resolve an alert.';
    END IF;
    IF a.status = 'resolved' THEN
        RAISE EXCEPTION 'alert % is already resolved', alert_id
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN a;
END
$$;
COMMENT ON FUNCTION ethaudit.alert_for_update(bigint, text) IS
'Internal: locks an alert that the session''s role may change; raises 42704 if it does not exist or the role cannot see it, 42501 if the role is not a member of its owner role, 55000 if it is resolved.';
CREATE OR REPLACE FUNCTION ethaudit.acknowledge_alert(alert_id bigint, note text DEFAULT NULL)
RETURNS ethaudit.alerts
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a ethaudit.alerts;
BEGIN
    a := ethaudit.alert_for_update(alert_id, 'acknowledge');
    IF a.status = 'acknowledged' THEN
        RAISE EXCEPTION 'alert % is already acknowledged', alert_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('By %s at %s.', a.acknowledged_by, a.acknowledged_at);
    END IF;
    UPDATE ethaudit.alerts x SET status = 'acknowledged', acknowledged_at = clock_timestamp(),
                                 acknowledged_by = ethaudit.session_role(), acknowledge_note = note
    WHERE x.alert_id = a.alert_id
    RETURNING x.* INTO a;
    PERFORM ethaudit.log_alert_event(a, 'acknowledged', ethaudit.session_role(), note);
    RETURN a;
END
$$;
COMMENT ON FUNCTION ethaudit.acknowledge_alert(bigint, text) IS
'Acknowledges an open alert with an optional note and returns it. The session''s role must be a member of the alert''s owner role; an alert that later escalates opens again. SECURITY DEFINER: the only way, with resolve_alert, for a role to change an alert. Not executable by PUBLIC.';
CREATE OR REPLACE FUNCTION ethaudit.resolve_alert(alert_id bigint, note text)
RETURNS ethaudit.alerts
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a ethaudit.alerts;
BEGIN
    IF note IS NULL OR btrim(note) = '' THEN
        RAISE EXCEPTION 'resolving an alert needs a note'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Say what was done, e.g. ''retrained on the May data''.';
    END IF;
    a := ethaudit.alert_for_update(alert_id, 'resolve');
    UPDATE ethaudit.alerts x SET status = 'resolved', resolved_at = clock_timestamp(),
                                 resolved_by = ethaudit.session_role(), resolution = 'manual', resolution_note = note
    WHERE x.alert_id = a.alert_id
    RETURNING x.* INTO a;
    PERFORM ethaudit.log_alert_event(a, 'resolved', ethaudit.session_role(), note);
    PERFORM ethaudit.notify_alert(a, 'resolved');
    RETURN a;
END
$$;
COMMENT ON FUNCTION ethaudit.resolve_alert(bigint, text) IS
'Resolves an open or acknowledged alert with a note and returns it. The session''s role must be a member of the alert''s owner role. The next result beyond a threshold opens a new alert. SECURITY DEFINER; not executable by PUBLIC.';
DROP POLICY alerts_owner_update ON ethaudit.alerts;
DROP POLICY alert_events_own_actions ON ethaudit.alert_events;

-- The roles configured under 0.1.0 get 0.2.0's privileges: the writer loses
-- its direct writes of runs and results, the owner part its direct writes of
-- alerts and alert events; every part gets what role_privileges() now lists
-- (e.g. verify_results() for the auditor).
DO $upgrade$
DECLARE
    r record;
    p text;
BEGIN
    FOR r IN SELECT s.role_kind, s.role_name FROM ethaudit.security_roles s
             JOIN pg_catalog.pg_roles x ON x.rolname = s.role_name ORDER BY s.role_kind LOOP
        IF r.role_kind = 'owner' THEN
            EXECUTE pg_catalog.format('REVOKE UPDATE (status, acknowledged_at, acknowledged_by, acknowledge_note, '
                                      'resolved_at, resolved_by, resolution, resolution_note) ON ethaudit.alerts FROM %I',
                                      r.role_name);
            EXECUTE pg_catalog.format('REVOKE INSERT ON ethaudit.alert_events FROM %I', r.role_name);
            EXECUTE pg_catalog.format('REVOKE USAGE ON SEQUENCE ethaudit.alert_events_event_id_seq FROM %I', r.role_name);
        END IF;
        IF r.role_kind = 'writer' THEN
            EXECUTE pg_catalog.format('REVOKE INSERT ON ethaudit.runs, ethaudit.results FROM %I', r.role_name);
            EXECUTE pg_catalog.format('REVOKE UPDATE (finished_at, batch_rows, checks, ok, warning, critical, '
                                      'insufficient_data, error, skipped) ON ethaudit.runs FROM %I', r.role_name);
            EXECUTE pg_catalog.format('REVOKE USAGE ON SEQUENCE ethaudit.runs_run_id_seq, '
                                      'ethaudit.results_result_id_seq FROM %I', r.role_name);
        END IF;
        FOREACH p IN ARRAY ethaudit.role_privileges(r.role_kind) LOOP
            EXECUTE pg_catalog.format('GRANT %s TO %I', p, r.role_name);
        END LOOP;
    END LOOP;
END
$upgrade$;

-- The results written under 0.1.0 are committed to the audit log now, one
-- event per run, so that verify_results() covers them from here on.
SELECT ethaudit.audit_append('results_recorded', run.model, NULL,
           pg_catalog.jsonb_build_object('run_id', run.run_id, 'kind', run.kind, 'run_by', run.run_by,
                                         'source', run.source, 'recorded_at_upgrade_to', '0.2.0',
                                         'results', d.digests))
FROM ethaudit.runs run
JOIN (SELECT r.run_id, pg_catalog.jsonb_object_agg(r.result_id::text,
                 pg_catalog.encode(pg_catalog.sha256(ethaudit.result_encoding(r)), 'hex')) AS digests
      FROM ethaudit.results r GROUP BY r.run_id) d ON d.run_id = run.run_id
ORDER BY run.run_id;
