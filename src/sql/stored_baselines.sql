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

-- -------- capturing quantile edges by counting, in passes (src/baseline_capture.c) --------
--
-- baseline(value, bins) keeps every value to find its quantile edges, so on
-- a Citus distributed table every row travels to the coordinator.  The
-- capture below finds the same edges exactly with aggregates that each node
-- computes over its own rows: a count with the range and the infinities,
-- then a few passes (count, min and max GROUP BY width_bucket) that narrow,
-- for each order statistic the edges need, the bracket holding it, then the
-- few values left in the brackets, then one baseline(value, reference) over
-- the edges found.  A pass returns a few thousand rows at most.

CREATE FUNCTION ethaudit_internal.quantile_ranks(n bigint, bins integer)
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'quantile_ranks' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ethaudit_internal.quantile_ranks(bigint, integer) IS
'Internal: the 0-based ranks of the order statistics that the edges of baseline(value, bins) read for n values, ascending.';

CREATE FUNCTION ethaudit_internal.quantile_bins(n bigint, bins integer, ranks bigint[], order_statistics double precision[])
RETURNS ethaudit.baseline
AS 'MODULE_PATHNAME', 'quantile_bins' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ethaudit_internal.quantile_bins(bigint, integer, bigint[], double precision[]) IS
'Internal: an empty numeric baseline over the quantile edges of n values whose order statistics at ranks (those of quantile_ranks) are given; the edges are computed as baseline(value, bins) computes them.';

CREATE FUNCTION ethaudit_internal.selection_grid(lo double precision, hi double precision, pieces integer)
RETURNS double precision[]
AS 'MODULE_PATHNAME', 'selection_grid' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ethaudit_internal.selection_grid(double precision, double precision, integer) IS
'Internal: at most pieces ascending edges in [lo, hi), lo first, spaced evenly in value and in the order of the doubles; every double of [lo, hi) when there are at most pieces.';

CREATE FUNCTION ethaudit_internal.float8_next_up(x double precision)
RETURNS double precision
AS 'MODULE_PATHNAME', 'float8_next_up' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ethaudit_internal.float8_next_up(double precision) IS
'Internal: the next double above x.';

-- 'distributed' or 'reference' for a Citus table of that kind, else NULL
CREATE FUNCTION ethaudit_internal.citus_table_kind(source regclass)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    method text;
    replication text;
BEGIN
    IF pg_catalog.to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE 'SELECT p.partmethod::text, p.repmodel::text FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid = $1'
        INTO method, replication USING source;
    -- a Citus local table (method n, not replicated) stays on the coordinator
    RETURN CASE WHEN method IS NULL OR (method = 'n' AND replication <> 't') THEN NULL
                WHEN method = 'n' THEN 'reference' ELSE 'distributed' END;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.citus_table_kind(regclass) IS
'Internal: ''distributed'' or ''reference'' for a Citus table of that kind (read from pg_dist_partition when Citus is installed), NULL for any other relation, a Citus local table included.';

-- the rows counted by two passes of a capture differ: refused, never stored
CREATE FUNCTION ethaudit_internal.capture_saw_changes(source regclass)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'the rows of % changed while their baseline was captured', source
        USING ERRCODE = 'serialization_failure',
              HINT = 'Capture a window that no longer receives rows, or capture it in a REPEATABLE READ transaction.';
END
$$;
COMMENT ON FUNCTION ethaudit_internal.capture_saw_changes(regclass) IS
'Internal: raises 40001, the rows of source changed between two passes of capture_quantile_baseline.';

CREATE FUNCTION ethaudit_internal.capture_quantile_baseline(
    source regclass, value_sql text, filter_sql text, args timestamptz[], bins integer)
RETURNS ethaudit.baseline
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET extra_float_digits = 3
AS $$
DECLARE
    -- every query is plain aggregates over the relation, with no subquery,
    -- so that a distributed planner pushes it down whole
    v text := format('(%s)', value_sql);
    from_sql text := format(' FROM %s AS src WHERE %s', source, filter_sql);
    n bigint;
    n_neg bigint;
    n_pos bigint;
    finite_min double precision;
    finite_max double precision;
    -- per order statistic: its rank, its value once found, and until then
    -- the bracket [lo, hi] known to hold it (the smallest and largest value
    -- of a bin), the number of values below lo, and the values in it
    ranks bigint[];
    stat double precision[];
    lo double precision[];
    hi double precision[];
    below bigint[];
    inbin bigint[];
    -- the distinct open brackets, ascending; two brackets never overlap
    b_lo double precision[];
    b_hi double precision[];
    b_in bigint[];
    fetch_limit bigint;
    passes integer := 0;
    pieces integer;
    edges double precision[];
    -- a pass's bins with values: bucket, count, smallest and largest value
    bin_k integer[];
    counts bigint[];
    bin_lo double precision[];
    bin_hi double precision[];
    total numeric;
    cum bigint[];
    fetched double precision[];
    j integer;
    a integer;
    z integer;
    b ethaudit.baseline;
BEGIN
    IF bins IS NULL OR bins < 2 OR bins > 10000 THEN
        RAISE EXCEPTION 'baseline: bins must be between 2 and 10000, got %', bins
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- pass 0: the count, the infinities, the finite range
    SELECT x.n, x.n_neg, x.n_pos, x.lo, x.hi INTO n, n_neg, n_pos, finite_min, finite_max
    FROM ethaudit_internal.run_as_owner(source, format(
        'SELECT pg_catalog.count(%1$s), pg_catalog.count(CASE WHEN %1$s = ''-Infinity'' THEN 1 END), '
        'pg_catalog.count(CASE WHEN %1$s = ''Infinity'' THEN 1 END), '
        'pg_catalog.min(CASE WHEN %1$s > ''-Infinity'' AND %1$s < ''Infinity'' THEN %1$s END), '
        'pg_catalog.max(CASE WHEN %1$s > ''-Infinity'' AND %1$s < ''Infinity'' THEN %1$s END)%2$s AND %1$s <> ''NaN''',
        v, from_sql), args)
        AS x(n bigint, n_neg bigint, n_pos bigint, lo double precision, hi double precision);
    IF n = 0 THEN
        RETURN NULL;
    END IF;

    -- the infinities and the ends of the finite range need no pass
    ranks := ethaudit_internal.quantile_ranks(n, bins);
    FOR t IN 1 .. cardinality(ranks) LOOP
        IF ranks[t] < n_neg THEN
            stat[t] := '-Infinity';
        ELSIF ranks[t] >= n - n_pos THEN
            stat[t] := 'Infinity';
        ELSIF ranks[t] = n_neg OR finite_min = finite_max THEN
            stat[t] := finite_min;
        ELSIF ranks[t] = n - n_pos - 1 THEN
            stat[t] := finite_max;
        ELSE
            lo[t] := finite_min;
            hi[t] := finite_max;
            below[t] := n_neg;
            inbin[t] := n - n_neg - n_pos;
        END IF;
    END LOOP;
    fetch_limit := greatest(10000, 8 * cardinality(ranks));

    LOOP
        SELECT array_agg(d.l ORDER BY d.l), array_agg(d.h ORDER BY d.l), array_agg(d.c ORDER BY d.l)
          INTO b_lo, b_hi, b_in
          FROM (SELECT DISTINCT lo[t] AS l, hi[t] AS h, inbin[t] AS c
                FROM generate_subscripts(ranks, 1) AS t WHERE stat[t] IS NULL) AS d;
        EXIT WHEN b_lo IS NULL;

        IF (SELECT sum(c) FROM unnest(b_in) AS c) <= fetch_limit THEN
            -- few values left in the brackets: read them, and rank them here
            SELECT array_agg(x.v ORDER BY x.v) INTO fetched
            -- (in a bracket: an odd bucket of lo1, next_up(hi1), lo2, ...; a binary search per row)
            FROM ethaudit_internal.run_as_owner(source, format(
                     'SELECT %1$s%2$s AND pg_catalog.width_bucket(%1$s, %3$L::pg_catalog.float8[]) %% 2 = 1', v, from_sql,
                     (SELECT array_agg(e ORDER BY u.k, e) FROM unnest(b_lo, b_hi) WITH ORDINALITY AS u(l, h, k),
                             unnest(ARRAY[u.l, ethaudit_internal.float8_next_up(u.h)]) AS e)), args)
                 AS x(v double precision);
            FOR t IN 1 .. cardinality(ranks) LOOP
                CONTINUE WHEN stat[t] IS NOT NULL;
                -- the first value read that is >= lo[t], then ranks[t] - below[t] on
                a := 1;
                z := coalesce(cardinality(fetched), 0) + 1;
                WHILE a < z LOOP
                    j := (a + z) / 2;
                    IF fetched[j] >= lo[t] THEN z := j; ELSE a := j + 1; END IF;
                END LOOP;
                j := a + (ranks[t] - below[t])::integer;
                stat[t] := CASE WHEN fetched[j] <= hi[t] THEN fetched[j] END;
                IF stat[t] IS NULL THEN
                    PERFORM ethaudit_internal.capture_saw_changes(source);
                END IF;
            END LOOP;
            EXIT;
        END IF;

        -- a counting pass: bins splitting every open bracket, and for each bin
        -- with values its count, smallest and largest value: a GROUP BY of
        -- width_bucket, plain aggregates a distributed executor runs on its
        -- nodes, one row per bin with values back
        passes := passes + 1;
        IF passes > 64 THEN
            RAISE EXCEPTION 'the baseline capture of % did not converge', source USING ERRCODE = 'internal_error';
        END IF;
        pieces := greatest(2, least(greatest(16, 1000 / cardinality(b_lo)), 20000 / cardinality(b_lo)));
        -- hi closes a bracket's last bin, so that a bin's values are the bracket's
        SELECT array_agg(e ORDER BY u.k, e) INTO edges
        FROM unnest(b_lo, b_hi) WITH ORDINALITY AS u(l, h, k),
             unnest(ethaudit_internal.selection_grid(u.l, u.h, pieces) || u.h) AS e;
        -- width_bucket's buckets are [t_i, t_i+1): with t = the double above
        -- each edge, bucket j holds (edges[j], edges[j+1]], the bins of baseline()
        SELECT array_agg(x.k ORDER BY x.k), array_agg(x.c ORDER BY x.k), array_agg(x.lo ORDER BY x.k),
               array_agg(x.hi ORDER BY x.k), sum(x.c)
          INTO bin_k, counts, bin_lo, bin_hi, total
        FROM ethaudit_internal.run_as_owner(source, format(
            'SELECT pg_catalog.width_bucket(%1$s, %2$L::pg_catalog.float8[]), pg_catalog.count(*), '
            'pg_catalog.min(%1$s), pg_catalog.max(%1$s)%3$s AND %1$s <> ''NaN'' GROUP BY 1',
            v, (SELECT array_agg(ethaudit_internal.float8_next_up(e) ORDER BY i) FROM unnest(edges) WITH ORDINALITY AS u(e, i)),
            from_sql), args) AS x(k integer, c bigint, lo double precision, hi double precision);
        IF total IS DISTINCT FROM n THEN
            PERFORM ethaudit_internal.capture_saw_changes(source);
        END IF;
        SELECT array_agg(s.total ORDER BY s.i) INTO cum
        FROM (SELECT u.i, sum(u.c) OVER (ORDER BY u.i) AS total
              FROM unnest(counts) WITH ORDINALITY AS u(c, i)) AS s;

        FOR t IN 1 .. cardinality(ranks) LOOP
            CONTINUE WHEN stat[t] IS NOT NULL;
            -- the bin holding rank t: the first whose running count passes it
            a := 1;
            z := cardinality(cum);
            WHILE a < z LOOP
                j := (a + z) / 2;
                IF cum[j] > ranks[t] THEN z := j; ELSE a := j + 1; END IF;
            END LOOP;
            j := a;
            -- bin bin_k[j] is (edges[k], edges[k+1]].  A bracket's lo is an
            -- edge, so the bin ending there holds its rank only at lo itself;
            -- any other bin holding the rank lies inside the bracket, and its
            -- smallest and largest values are the new bracket (ties end here)
            IF bin_k[j] < cardinality(edges) AND edges[bin_k[j] + 1] = lo[t] THEN
                stat[t] := lo[t];
            ELSIF bin_lo[j] < lo[t] OR bin_hi[j] > hi[t] THEN
                PERFORM ethaudit_internal.capture_saw_changes(source);
            ELSIF bin_lo[j] = bin_hi[j] THEN
                stat[t] := bin_lo[j];
            ELSE
                below[t] := coalesce(cum[j - 1], 0);
                inbin[t] := counts[j];
                lo[t] := bin_lo[j];
                hi[t] := bin_hi[j];
            END IF;
        END LOOP;
    END LOOP;

    -- the last pass: the rows counted over the quantile edges found
    SELECT x.b INTO b
    FROM ethaudit_internal.run_as_owner(source, format(
        'SELECT ethaudit.baseline(%s, %L::ethaudit.baseline)%s',
        v, ethaudit_internal.quantile_bins(n, bins, ranks, stat), from_sql), args)
        AS x(b ethaudit.baseline);
    IF b IS NULL OR ethaudit.baseline_n(b) <> n THEN
        PERFORM ethaudit_internal.capture_saw_changes(source);
    END IF;
    RAISE DEBUG 'baseline of %: % order statistics, % counting passes, % values read', source,
        cardinality(ranks), passes, coalesce(cardinality(fetched), 0);
    RETURN b;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.capture_quantile_baseline(regclass, text, text, timestamptz[], integer) IS
'Internal: baseline(value, bins) of the rows of source that filter_sql selects (value_sql reads the value as float8, from alias src; $1, $2.. are args), found by counting in passes that a distributed table runs on its nodes, not by keeping the values; equal to it. Runs as the owner of source (run_as_owner). NULL when there is no value. Not executable by PUBLIC (the admin part has it, for store_baseline).';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.capture_quantile_baseline(regclass, text, text, timestamptz[], integer) FROM PUBLIC;

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
    filter text;
    capture text;
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

    filter := format('src.%I >= $1 AND src.%I < $2%s', time_column, time_column,
                     CASE WHEN version IS NULL THEN ''
                          ELSE format(' AND %s = %L', ethaudit_internal.text_of(source, version_column), version) END);
    capture := coalesce(pg_catalog.current_setting('ethaudit.baseline_capture', true), 'auto');
    IF kind = 'numeric' AND (capture = 'count' OR (capture = 'auto'
                             AND ethaudit_internal.citus_table_kind(source) = 'distributed')) THEN
        -- edges found by counting on the nodes, not by sending every value to one
        b := ethaudit_internal.capture_quantile_baseline(source, format('src.%I::pg_catalog.float8', column_name),
                                                         filter, ARRAY[window_start, window_end], coalesce(bins, 10));
    ELSE
        q := format('SELECT ethaudit.baseline(%s%s) FROM %s AS src WHERE %s',
                    CASE kind WHEN 'numeric' THEN format('src.%I::pg_catalog.float8', column_name)
                              ELSE ethaudit_internal.text_of(source, column_name) END,
                    CASE WHEN bins IS NULL THEN '' ELSE format(', %s', bins) END,
                    source, filter);
        -- as the source's owner (ethaudit_internal.run_as_owner)
        SELECT x.b INTO b FROM ethaudit_internal.run_as_owner(source, q, ARRAY[window_start, window_end]) AS x(b ethaudit.baseline);
    END IF;
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
