-- ====================================================================
-- Governance: stored baselines as the reference of a check
--
-- Needs the ethaudit.baseline type (src/sql/state_baseline.sql).  A check with
-- reference_kind = 'baseline' compares its current window with a row of
-- ethaudit.baselines, the reference distribution of one column of one
-- model (and optionally one version), instead of scanning a reference
-- window at every run.
-- ====================================================================

CREATE TABLE ethaudit.baselines (
    baseline_id   bigserial PRIMARY KEY,
    model         text NOT NULL REFERENCES ethaudit.models ON UPDATE CASCADE,
    version       text,
    column_name   name NOT NULL,
    value_kind    text NOT NULL
                  CONSTRAINT baselines_value_kind_check CHECK (value_kind IN ('numeric', 'categorical')),
    baseline      ethaudit.baseline NOT NULL,
    n             bigint NOT NULL,
    source        text,
    window_start  timestamptz,
    window_end    timestamptz,
    description   text,
    created_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at    timestamptz,
    FOREIGN KEY (model, version) REFERENCES ethaudit.model_versions ON UPDATE CASCADE
);
CREATE UNIQUE INDEX baselines_one_per_column
    ON ethaudit.baselines (model, (coalesce(version, '')), column_name);
COMMENT ON INDEX ethaudit.baselines_one_per_column IS
'One baseline per model, version (or none) and column.';
COMMENT ON SEQUENCE ethaudit.baselines_baseline_id_seq IS 'Identifiers of baselines.';
COMMENT ON TABLE ethaudit.baselines IS
'Stored reference distributions (ethaudit.baseline) of one column per model and version, for checks with reference_kind baseline. Configuration: kept by pg_dump.';
COMMENT ON COLUMN ethaudit.baselines.baseline_id IS 'Identifier (key); checks.baseline_id points here.';
COMMENT ON COLUMN ethaudit.baselines.model IS 'The model (ethaudit.models).';
COMMENT ON COLUMN ethaudit.baselines.version IS 'The version it describes, or NULL for every version of the model.';
COMMENT ON COLUMN ethaudit.baselines.column_name IS 'The column it describes (the value_column of the checks that use it).';
COMMENT ON COLUMN ethaudit.baselines.value_kind IS 'numeric (bins) or categorical (category counts); taken from the baseline itself.';
COMMENT ON COLUMN ethaudit.baselines.baseline IS 'The reference distribution (ethaudit.baseline).';
COMMENT ON COLUMN ethaudit.baselines.n IS 'Values in the baseline (ethaudit.baseline_n); filled in on write.';
COMMENT ON COLUMN ethaudit.baselines.source IS 'Where it was computed from (store_baseline records the relation).';
COMMENT ON COLUMN ethaudit.baselines.window_start IS 'Start of the rows it was computed from.';
COMMENT ON COLUMN ethaudit.baselines.window_end IS 'End (exclusive) of the rows it was computed from.';
COMMENT ON COLUMN ethaudit.baselines.description IS 'Free text.';
COMMENT ON COLUMN ethaudit.baselines.created_at IS 'When it was stored.';
COMMENT ON COLUMN ethaudit.baselines.updated_at IS 'When it was last replaced.';

CREATE FUNCTION ethaudit_internal.validate_baseline()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c record;
BEGIN
    IF NEW.baseline IS NULL THEN
        RAISE EXCEPTION 'baseline of model % column % must not be NULL', NEW.model, NEW.column_name
            USING ERRCODE = 'not_null_violation';
    END IF;
    NEW.value_kind := (ethaudit.baseline_summary(NEW.baseline)).kind;
    NEW.n := ethaudit.baseline_n(NEW.baseline);
    IF TG_OP = 'UPDATE' THEN
        NEW.updated_at := now();
        -- the checks using it must still fit
        FOR c IN SELECT ch.* FROM ethaudit.checks ch WHERE ch.baseline_id = NEW.baseline_id LOOP
            IF c.value_kind IS DISTINCT FROM NEW.value_kind OR c.model <> NEW.model
               OR (NEW.version IS NOT NULL AND c.version IS DISTINCT FROM NEW.version) THEN
                RAISE EXCEPTION 'baseline % no longer fits check %', NEW.baseline_id, c.check_name
                    USING ERRCODE = 'datatype_mismatch',
                          DETAIL = format('The check reads %s values of model %s%s; the baseline is %s, of model %s%s.',
                                          c.value_kind, c.model, coalesce(' version ' || c.version, ''),
                                          NEW.value_kind, NEW.model, coalesce(' version ' || NEW.version, ''));
            END IF;
        END LOOP;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.validate_baseline() IS
'Trigger function: fills in value_kind and n from the stored baseline and, when it is replaced, checks that the checks using it still fit.';
CREATE TRIGGER validate_baseline BEFORE INSERT OR UPDATE ON ethaudit.baselines
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.validate_baseline();
COMMENT ON TRIGGER validate_baseline ON ethaudit.baselines IS
'Validates a baseline before it is written.';

CREATE TRIGGER audit_change AFTER INSERT OR UPDATE OR DELETE ON ethaudit.baselines
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.audit_config_change('baseline');
COMMENT ON TRIGGER audit_change ON ethaudit.baselines IS 'Records every stored, replaced or deleted baseline in the audit log.';

SELECT pg_catalog.pg_extension_config_dump('ethaudit.baselines', '');
SELECT pg_catalog.pg_extension_config_dump('ethaudit.baselines_baseline_id_seq', '');

-- -------- checks that compare with a stored baseline --------

ALTER TABLE ethaudit.checks
    ADD CONSTRAINT checks_baseline_id_fkey FOREIGN KEY (baseline_id) REFERENCES ethaudit.baselines;

CREATE FUNCTION ethaudit_internal.check_baseline_matches(c ethaudit.checks)
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    b record;
BEGIN
    SELECT x.baseline_id, x.model, x.version, x.column_name, x.value_kind INTO b
    FROM ethaudit.baselines x WHERE x.baseline_id = c.baseline_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'baseline % does not exist', c.baseline_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF b.model <> c.model THEN
        RAISE EXCEPTION 'baseline % belongs to model %, not to model % of check %', b.baseline_id, b.model, c.model, c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF b.version IS NOT NULL AND b.version IS DISTINCT FROM c.version THEN
        RAISE EXCEPTION 'baseline % describes version % of model %, but check % is not pinned to that version',
            b.baseline_id, b.version, b.model, c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF b.value_kind IS DISTINCT FROM c.value_kind THEN
        RAISE EXCEPTION 'baseline % is %, but check % reads column "%" as %',
            b.baseline_id, b.value_kind, c.check_name, c.value_column, c.value_kind
            USING ERRCODE = 'datatype_mismatch';
    END IF;
    IF c.metric = 'ks_stat' AND b.value_kind <> 'numeric' THEN
        RAISE EXCEPTION 'ks_stat needs a numeric baseline' USING ERRCODE = 'datatype_mismatch';
    END IF;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.check_baseline_matches(ethaudit.checks) IS
'Internal: checks that the stored baseline of a check belongs to its model (and version) and has the kind of values the check reads.';

CREATE FUNCTION ethaudit.store_baseline(
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
    PERFORM ethaudit_internal.check_source(source, source::text, false);
    IF ethaudit_internal.type_class(ethaudit_internal.column_type(source, time_column)) IS DISTINCT FROM 'time' THEN
        RAISE EXCEPTION 'column "%" of relation % is not a date, timestamp or timestamptz', time_column, source
            USING ERRCODE = 'datatype_mismatch';
    END IF;
    cls := ethaudit_internal.type_class(ethaudit_internal.column_type(source, column_name));
    kind := coalesce(kind, CASE WHEN cls IN ('integer', 'float') THEN 'numeric'
                                WHEN cls IN ('text', 'boolean', 'enum') THEN 'categorical' END);
    IF kind IS NULL OR kind NOT IN ('numeric', 'categorical')
       OR (kind = 'numeric' AND cls NOT IN ('integer', 'float'))
       OR (kind = 'categorical' AND cls NOT IN ('text', 'boolean', 'enum', 'integer')) THEN
        RAISE EXCEPTION 'column "%" of relation % has type %, which cannot be read as a % value',
            column_name, source, ethaudit_internal.column_type(source, column_name), coalesce(kind, 'numeric or categorical')
            USING ERRCODE = 'datatype_mismatch';
    END IF;
    IF bins IS NOT NULL AND kind <> 'numeric' THEN
        RAISE EXCEPTION 'bins applies only to numeric baselines' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF version_column IS NOT NULL THEN
        PERFORM ethaudit_internal.column_type(source, version_column);
    END IF;

    q := format('SELECT ethaudit.baseline(%s%s) FROM %s AS src WHERE src.%I >= $1 AND src.%I < $2%s',
                CASE kind WHEN 'numeric' THEN format('src.%I::pg_catalog.float8', column_name)
                          ELSE ethaudit_internal.text_of(source, column_name) END,
                CASE WHEN bins IS NULL THEN '' ELSE format(', %s', bins) END,
                source, time_column, time_column,
                CASE WHEN version IS NULL THEN ''
                     ELSE format(' AND %s = %L', ethaudit_internal.text_of(source, version_column), version) END);
    -- as the source's owner (ethaudit_internal.run_as_owner)
    SELECT x.b INTO b FROM ethaudit_internal.run_as_owner(source, q, ARRAY[window_start, window_end]) AS x(b ethaudit.baseline);
    IF b IS NULL OR ethaudit.baseline_n(b) = 0 THEN
        RAISE EXCEPTION 'no values of column "%" in % between % and %', column_name, source, window_start, window_end
            USING ERRCODE = 'no_data_found';
    END IF;

    INSERT INTO ethaudit.baselines AS x
        (model, version, column_name, value_kind, baseline, n, source, window_start, window_end, description)
    VALUES (store_baseline.model, store_baseline.version, store_baseline.column_name, kind, b, 0,
            ethaudit_internal.qualified_name(store_baseline.source), store_baseline.window_start, store_baseline.window_end,
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
REVOKE EXECUTE ON FUNCTION ethaudit.store_baseline(text, name, regclass, name, timestamptz, timestamptz, text, integer, text, name, text) FROM PUBLIC;
