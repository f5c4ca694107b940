-- ====================================================================
-- Governance: checks
--
--   checks   what to audit: one metric on one prediction log (table or
--            view), over a window, against a reference where the metric
--            needs one
--
-- A check is validated when it is written (BEFORE trigger, check_config)
-- and again each time it runs, because the tables it reads can change.
-- The metrics a check can use are those of ethaudit.metric_catalog
-- (metric_catalog.sql, the next part).
-- ====================================================================

CREATE TABLE ethaudit.checks (
    check_id          bigserial PRIMARY KEY,
    check_name        text NOT NULL UNIQUE
                      CONSTRAINT checks_name_check CHECK (check_name <> '' AND check_name = pg_catalog.btrim(check_name) AND pg_catalog.length(check_name) <= 200),
    model             text NOT NULL REFERENCES ethaudit.models ON UPDATE CASCADE,
    version           text,
    metric            text NOT NULL,
    mode              text NOT NULL DEFAULT 'scheduled'
                      CONSTRAINT checks_mode_check CHECK (mode IN ('scheduled', 'insert_batch', 'insert_window')),
    source            text NOT NULL,
    time_column       name NOT NULL,
    value_column      name,
    label_column      name,
    probability_column name,
    group_column      name,
    version_column    name,
    required_columns  name[],
    value_kind        text CONSTRAINT checks_value_kind_check CHECK (value_kind IN ('numeric', 'categorical')),
    window_size       interval,
    window_rows       integer,
    window_lag        interval NOT NULL DEFAULT '0',
    reference_kind    text CONSTRAINT checks_reference_kind_check CHECK (reference_kind IN ('preceding', 'fixed', 'baseline')),
    reference_size    interval,
    reference_rows    integer,
    reference_start   timestamptz,
    reference_end     timestamptz,
    baseline_id       bigint,
    min_samples       integer NOT NULL DEFAULT 100 CONSTRAINT checks_min_samples_check CHECK (min_samples >= 1),
    min_interval      interval,
    params            jsonb NOT NULL DEFAULT '{}',
    enabled           boolean NOT NULL DEFAULT true,
    description       text,
    created_at        timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at        timestamptz,
    labelled_only     boolean NOT NULL DEFAULT false,
    FOREIGN KEY (model, version) REFERENCES ethaudit.model_versions ON UPDATE CASCADE
);
CREATE INDEX checks_source_idx ON ethaudit.checks (source) WHERE mode <> 'scheduled';
CREATE INDEX checks_model_idx ON ethaudit.checks (model);
COMMENT ON INDEX ethaudit.checks_source_idx IS 'Finds the checks a prediction-log trigger evaluates.';
COMMENT ON INDEX ethaudit.checks_model_idx IS 'Finds the checks of a model.';
COMMENT ON SEQUENCE ethaudit.checks_check_id_seq IS 'Identifiers of checks.';

COMMENT ON TABLE ethaudit.checks IS
'What to audit: one metric on one prediction log (table or view), over a window, against a reference where the metric needs one. Validated on write. Configuration: kept by pg_dump.';
COMMENT ON COLUMN ethaudit.checks.check_id IS 'Identifier (key).';
COMMENT ON COLUMN ethaudit.checks.check_name IS 'Unique, human-readable name: 1 to 200 characters, no leading or trailing spaces.';
COMMENT ON COLUMN ethaudit.checks.model IS 'The audited model (ethaudit.models).';
COMMENT ON COLUMN ethaudit.checks.version IS 'Optional: audit only rows of this version (needs version_column). NULL: all rows.';
COMMENT ON COLUMN ethaudit.checks.metric IS 'A metric of ethaudit.metric_catalog.';
COMMENT ON COLUMN ethaudit.checks.mode IS 'scheduled: by run_checks() over the latest window; insert_batch: by the prediction-log trigger over each inserted batch; insert_window: by the trigger over the latest window after each batch.';
COMMENT ON COLUMN ethaudit.checks.source IS 'The prediction log: a table, partitioned table, view, materialized view or foreign table, stored schema-qualified.';
COMMENT ON COLUMN ethaudit.checks.time_column IS 'Timestamp of each prediction (date, timestamp or timestamptz); defines the windows.';
COMMENT ON COLUMN ethaudit.checks.value_column IS 'Monitored value (drift and quality metrics), or the numeric prediction for mae and rmse.';
COMMENT ON COLUMN ethaudit.checks.label_column IS 'Ground truth: boolean or 0/1 integer (non-zero is positive); numeric for mae and rmse.';
COMMENT ON COLUMN ethaudit.checks.probability_column IS 'Predicted probability, score, or prediction (boolean, or a number compared with params.cutoff), as the metric needs.';
COMMENT ON COLUMN ethaudit.checks.group_column IS 'Sensitive attribute compared by the fairness metrics (any text, boolean, integer or enum column).';
COMMENT ON COLUMN ethaudit.checks.version_column IS 'Column holding the model version of each prediction: the check records one result per version found in the window, with model_version taken from the rows (or only the pinned version). Without it, results name the versions live during the window by ethaudit.stage_history.';
COMMENT ON COLUMN ethaudit.checks.required_columns IS 'null_share: the columns that must not be NULL (default: the time, value, probability and group columns that are set).';
COMMENT ON COLUMN ethaudit.checks.value_kind IS 'numeric or categorical: how value_column is compared. Derived from its type when NULL; set categorical to compare integer codes as categories.';
COMMENT ON COLUMN ethaudit.checks.window_size IS 'Time window: the current sample is [end - window_size, end), end = run time - window_lag. Exclusive with window_rows.';
COMMENT ON COLUMN ethaudit.checks.window_rows IS 'Row window: the current sample is the latest window_rows rows before the end. Exclusive with window_size.';
COMMENT ON COLUMN ethaudit.checks.window_lag IS 'How far the window ends before the run time (e.g. to wait for late labels).';
COMMENT ON COLUMN ethaudit.checks.reference_kind IS 'For metrics with a reference: preceding (the window before the current one), fixed (reference_start .. reference_end) or baseline (a stored baseline).';
COMMENT ON COLUMN ethaudit.checks.reference_size IS 'preceding, time windows and batches: length of the reference window (default: window_size).';
COMMENT ON COLUMN ethaudit.checks.reference_rows IS 'preceding, row windows: rows in the reference window (default: window_rows).';
COMMENT ON COLUMN ethaudit.checks.reference_start IS 'fixed: start of the reference window (inclusive).';
COMMENT ON COLUMN ethaudit.checks.reference_end IS 'fixed: end of the reference window (exclusive).';
COMMENT ON COLUMN ethaudit.checks.baseline_id IS 'baseline: the stored baseline (ethaudit.baselines) the current window is compared with.';
COMMENT ON COLUMN ethaudit.checks.min_samples IS 'Fewer usable rows than this in the current window (or the reference) gives status insufficient_data.';
COMMENT ON COLUMN ethaudit.checks.min_interval IS 'insert_window: evaluate at most once per this interval, however many batches arrive.';
COMMENT ON COLUMN ethaudit.checks.params IS 'Metric options, e.g. {"bins": 20}, {"binning": "evidently"}, {"cutoff": 0.7}, {"min_positives": 30}, {"min_negatives": 30}, {"min_size": 30}; ethaudit.metric_catalog lists the keys each metric accepts.';
COMMENT ON COLUMN ethaudit.checks.enabled IS 'Disabled checks are not run.';
COMMENT ON COLUMN ethaudit.checks.description IS 'Free text.';
COMMENT ON COLUMN ethaudit.checks.created_at IS 'When the check was created.';
COMMENT ON COLUMN ethaudit.checks.updated_at IS 'When the check was last changed.';
COMMENT ON COLUMN ethaudit.checks.labelled_only IS 'The current window holds labelled rows only (label_column not NULL): window_rows counts the latest labelled predictions, for logs whose labels arrive late. Only for metrics that read labels.';

-- Validates a check against the catalogs and returns the SQL expressions
-- the runner reads it with.  Raised errors name the check and the column.
-- Whether a check must name a column: a metric that reads it needs it, and
-- one that does not refuses it, so that a check never carries a column the
-- metric silently ignores. Returns `needed`.
CREATE FUNCTION ethaudit_internal.column_use(metric text, column_kind text, needed boolean, given name)
RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF needed AND given IS NULL THEN
        RAISE EXCEPTION 'metric % needs %', metric, column_kind
            USING ERRCODE = 'invalid_parameter_value';
    ELSIF NOT needed AND given IS NOT NULL THEN
        RAISE EXCEPTION 'metric % does not read %', metric, column_kind
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN needed;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.column_use(text, text, boolean, name) IS
'Internal: refuses a check that omits a column its metric reads, or names one it does not read; returns whether the column is read.';

CREATE FUNCTION ethaudit_internal.check_columns(c ethaudit.checks, rel regclass,
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
    cls := ethaudit_internal.type_class(ethaudit_internal.column_type(rel, c.time_column));
    IF cls IS DISTINCT FROM 'time' THEN
        RAISE EXCEPTION 'column "%" of relation % has type %, but time_column must be date, timestamp or timestamptz',
            c.time_column, rel, ethaudit_internal.column_type(rel, c.time_column)
            USING ERRCODE = 'datatype_mismatch';
    END IF;

    IF c.version_column IS NOT NULL THEN
        cls := ethaudit_internal.type_class(ethaudit_internal.column_type(rel, c.version_column));
        IF cls IS NULL OR cls NOT IN ('text', 'integer', 'enum') THEN
            RAISE EXCEPTION 'column "%" of relation % has type %, but version_column must be text, integer or enum',
                c.version_column, rel, ethaudit_internal.column_type(rel, c.version_column)
                USING ERRCODE = 'datatype_mismatch';
        END IF;
    END IF;

    -- value
    IF ethaudit_internal.column_use(c.metric, 'value_column', m.value_kinds IS NOT NULL, c.value_column) THEN
        cls := ethaudit_internal.type_class(ethaudit_internal.column_type(rel, c.value_column));
        value_kind := coalesce(c.value_kind,
                               CASE WHEN cls IN ('integer', 'float') THEN 'numeric'
                                    WHEN cls IN ('text', 'boolean', 'enum') THEN 'categorical' END);
        IF value_kind IS NULL
           OR (value_kind = 'numeric' AND cls NOT IN ('integer', 'float'))
           OR (value_kind = 'categorical' AND cls NOT IN ('text', 'boolean', 'enum', 'integer')) THEN
            RAISE EXCEPTION 'column "%" of relation % has type %, which cannot be read as a % value',
                c.value_column, rel, ethaudit_internal.column_type(rel, c.value_column), coalesce(value_kind, 'numeric or categorical')
                USING ERRCODE = 'datatype_mismatch',
                      HINT = 'Numeric values need an integer, real, double precision or numeric column; categories a text, boolean, enum or integer column.';
        END IF;
        IF value_kind <> ALL (m.value_kinds) THEN
            RAISE EXCEPTION 'metric % needs a % value, but column "%" of relation % is read as %',
                c.metric, array_to_string(m.value_kinds, ' or '), c.value_column, rel, value_kind
                USING ERRCODE = 'datatype_mismatch';
        END IF;
        v_expr := CASE value_kind WHEN 'numeric' THEN format('src.%I::pg_catalog.float8', c.value_column)
                                  ELSE ethaudit_internal.text_of(rel, c.value_column) END;
    END IF;
    IF c.value_kind IS NOT NULL AND m.value_kinds IS NULL THEN
        RAISE EXCEPTION 'metric % does not read value_column, so value_kind must be NULL', c.metric
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    -- label
    IF ethaudit_internal.column_use(c.metric, 'label_column', m.label_type IS NOT NULL, c.label_column) THEN
        cls := ethaudit_internal.type_class(ethaudit_internal.column_type(rel, c.label_column));
        IF m.label_type = 'boolean' AND cls = 'boolean' THEN
            y_expr := format('src.%I', c.label_column);
        ELSIF m.label_type = 'boolean' AND cls = 'integer' THEN
            y_expr := format('(src.%I OPERATOR(pg_catalog.<>) 0)', c.label_column);
        ELSIF m.label_type = 'numeric' AND cls IN ('integer', 'float') THEN
            y_expr := format('src.%I::pg_catalog.float8', c.label_column);
        ELSE
            RAISE EXCEPTION 'column "%" of relation % has type %, but metric % needs a % label',
                c.label_column, rel, ethaudit_internal.column_type(rel, c.label_column), c.metric,
                CASE m.label_type WHEN 'boolean' THEN 'boolean or 0/1 integer' ELSE 'numeric' END
                USING ERRCODE = 'datatype_mismatch';
        END IF;
    END IF;

    -- probability, score or prediction
    IF ethaudit_internal.column_use(c.metric, 'probability_column', m.probability_type IS NOT NULL, c.probability_column) THEN
        cls := ethaudit_internal.type_class(ethaudit_internal.column_type(rel, c.probability_column));
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
                c.probability_column, rel, ethaudit_internal.column_type(rel, c.probability_column), c.metric,
                CASE m.probability_type
                    WHEN 'prediction' THEN 'a boolean prediction or a numeric score'
                    WHEN 'score' THEN 'a numeric score'
                    ELSE 'a real, double precision or numeric probability' END
                USING ERRCODE = 'datatype_mismatch';
        END IF;
    END IF;

    -- group
    IF ethaudit_internal.column_use(c.metric, 'group_column', m.needs_group, c.group_column) THEN
        cls := ethaudit_internal.type_class(ethaudit_internal.column_type(rel, c.group_column));
        IF cls IS NULL OR cls NOT IN ('text', 'boolean', 'enum', 'integer') THEN
            RAISE EXCEPTION 'column "%" of relation % has type %, but group_column must be text, boolean, enum or integer',
                c.group_column, rel, ethaudit_internal.column_type(rel, c.group_column)
                USING ERRCODE = 'datatype_mismatch';
        END IF;
        g_expr := ethaudit_internal.text_of(rel, c.group_column);
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
            PERFORM ethaudit_internal.column_type(rel, col);
        END LOOP;
        v_expr := '(' || v_expr || ')';
    ELSIF c.required_columns IS NOT NULL THEN
        RAISE EXCEPTION 'metric % does not read required_columns (only null_share does)', c.metric
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.check_columns(ethaudit.checks, regclass) IS
'Internal: validates the columns of a check against its source and the metric (42703 missing column, 42804 wrong type, 22023 column missing or not used) and returns the SQL expressions that read them.';

CREATE FUNCTION ethaudit_internal.check_config(c ethaudit.checks, rel regclass, op text)
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
        rel := ethaudit_internal.check_source(rel, c.source, c.mode <> 'scheduled');
        c.source := ethaudit_internal.qualified_name(rel);
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
    -- minimum group sizes of the group gaps
    FOREACH k IN ARRAY ARRAY['min_positives', 'min_negatives', 'min_size'] LOOP
        IF c.params ? k AND (pg_catalog.jsonb_typeof(c.params->k) <> 'number'
                OR (c.params->>k)::numeric <> pg_catalog.trunc((c.params->>k)::numeric)
                OR (c.params->>k)::numeric NOT BETWEEN 1 AND 2147483647) THEN
            RAISE EXCEPTION 'params.% of check % must be a positive integer', k, c.check_name
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END LOOP;

    IF c.enabled THEN
        cols := ethaudit_internal.check_columns(c, rel);
        c.value_kind := cols.value_kind;
    END IF;
    -- an option of the metric's aggregate must exist for this kind of
    -- value (the catalog's aggregates decide: bins are for numbers only)
    IF c.value_kind IS NOT NULL THEN
        FOR k IN SELECT o FROM ethaudit_internal.metrics mt, unnest(mt.options) AS o
                 WHERE mt.metric = c.metric AND c.params ? o
                   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_proc p
                                   WHERE p.pronamespace = 'ethaudit'::regnamespace AND p.prokind = 'a'
                                     AND p.proname = mt.aggregate
                                     AND p.pronargs = pg_catalog.cardinality(mt.reads)
                                                      + CASE WHEN mt.options_together THEN pg_catalog.cardinality(mt.options) ELSE 1 END
                                     AND p.proargtypes[0] = CASE c.value_kind WHEN 'numeric' THEN 'float8'::regtype
                                                                              ELSE 'text'::regtype END
                                     AND p.proargtypes[p.pronargs - 1] = CASE o WHEN 'binning' THEN 'text'::regtype
                                                                                ELSE 'int4'::regtype END) LOOP
            RAISE EXCEPTION 'metric % over a % value_column does not take parameter "%"', c.metric, c.value_kind, k
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = CASE WHEN k = 'bins' THEN 'Categories are their own bins; params.binning chooses the zero rule.'
                                  ELSE 'ethaudit.metric_catalog lists the parameters of each metric.' END;
        END LOOP;
    END IF;

    IF c.version IS NOT NULL AND c.version_column IS NULL THEN
        RAISE EXCEPTION 'check % is pinned to version %, so it needs version_column', c.check_name, c.version
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF c.labelled_only AND m.label_type IS NULL THEN
        RAISE EXCEPTION 'metric % reads no labels, so check % cannot count labelled rows only', c.metric, c.check_name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'labelled_only is for metrics with a label_column (ethaudit.metric_catalog.label_type).';
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
            PERFORM ethaudit_internal.check_baseline_matches(c);
        END IF;
    END IF;

    IF op = 'UPDATE' THEN
        c.updated_at := pg_catalog.now();
    END IF;
    RETURN c;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.check_config(ethaudit.checks, regclass, text) IS
'Internal: validates a check (metric, source relation rel, columns and their types, window, reference, params) and returns it with its source schema-qualified and value_kind filled in.';

CREATE FUNCTION ethaudit_internal.validate_check()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
AS $$
BEGIN
    -- Deliberately no SET search_path: a source written without a schema is
    -- resolved with the writer's search_path, by the one schema-qualified call
    -- below; all the validation runs in check_config, which pins its own.
    RETURN ethaudit_internal.check_config(NEW, pg_catalog.to_regclass(NEW.source), TG_OP);
END
$$;
COMMENT ON FUNCTION ethaudit_internal.validate_check() IS
'Trigger function: validates a check before it is written (see check_config) and stores its source schema-qualified.';
CREATE TRIGGER validate_check BEFORE INSERT OR UPDATE ON ethaudit.checks
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.validate_check();
COMMENT ON TRIGGER validate_check ON ethaudit.checks IS
'Validates a check before it is written.';

CREATE TRIGGER audit_change AFTER INSERT OR UPDATE OR DELETE ON ethaudit.checks
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.audit_config_change('check');
COMMENT ON TRIGGER audit_change ON ethaudit.checks IS 'Records every change of a check in the audit log.';

SELECT pg_catalog.pg_extension_config_dump('ethaudit.checks', '');
SELECT pg_catalog.pg_extension_config_dump('ethaudit.checks_check_id_seq', '');
