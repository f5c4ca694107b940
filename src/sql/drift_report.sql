-- ====================================================================
-- drift_report: the drift of every column of a table in one scan
--
-- One query holds a drift_test aggregate per column, so the table is read
-- once however many columns it has.  The query is built from the catalog
-- (column names with %I, bounds with %L), never from SQL text a caller
-- gives, and runs with the caller's privileges and row-level security.
-- ====================================================================

-- a sargable condition on a time column for the bounds of a range
CREATE FUNCTION ethaudit_internal.range_condition(time_column name, bounds tstzrange)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, YMD'
AS $$
    SELECT concat_ws(' AND ', 'true',
        CASE WHEN NOT lower_inf(bounds) THEN
            format('src.%I %s %L::timestamptz', time_column,
                   CASE WHEN lower_inc(bounds) THEN '>=' ELSE '>' END, lower(bounds)) END,
        CASE WHEN NOT upper_inf(bounds) THEN
            format('src.%I %s %L::timestamptz', time_column,
                   CASE WHEN upper_inc(bounds) THEN '<=' ELSE '<' END, upper(bounds)) END)
$$;

COMMENT ON FUNCTION ethaudit_internal.range_condition(name, tstzrange) IS
'Internal: "src.<time_column> >= lower AND src.<time_column> < upper" for a range''s bounds, each quoted with %L.';

CREATE FUNCTION ethaudit_internal.drift_report_run(
    source regclass,
    reference_column name,
    time_column name,
    reference_range tstzrange,
    current_range tstzrange,
    columns name[],
    categorical name[],
    stattest text,
    stattest_threshold double precision,
    drift_share double precision)
RETURNS TABLE (column_name name, kind text, test text, statistic double precision,
               p_value double precision, threshold double precision, drifted boolean,
               n_reference bigint, n_current bigint, n_values bigint,
               null_reference bigint, null_current bigint,
               nonfinite_reference bigint, nonfinite_current bigint, unseen_current bigint)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, YMD'
AS $fn$
#variable_conflict use_variable
DECLARE
    numeric_types constant regtype[] := ARRAY['smallint', 'integer', 'bigint', 'real',
        'double precision', 'numeric']::regtype[];
    text_types constant regtype[] := ARRAY['text', 'character varying', 'character',
        'boolean', '"char"', 'name']::regtype[];
    p_value_tests constant text[] := ARRAY['ks', 'chisquare', 'z'];
    side_type regtype;
    side text;
    filter text;
    aggs text[] := ARRAY[]::text[];
    rows_list text[] := ARRAY[]::text[];
    col record;
    chosen record;
    i integer := 0;
    q text;
    r record;
    n_tested integer := 0;
    n_drifted integer := 0;
    rows_ref bigint;
    rows_cur bigint;
    missing name;
BEGIN
    IF source IS NULL THEN
        RAISE EXCEPTION 'drift_report: source must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF stattest IS NULL OR stattest NOT IN
            ('auto', 'ks', 'wasserstein', 'jensenshannon', 'chisquare', 'z', 'psi') THEN
        RAISE EXCEPTION 'drift_report: unknown test "%"', stattest USING ERRCODE = '22023',
            HINT = 'Use ''auto'' (Evidently''s choice), ''ks'', ''wasserstein'', ''jensenshannon'', ''chisquare'', ''z'' or ''psi''.';
    END IF;
    IF stattest_threshold IS NOT NULL AND NOT (stattest_threshold > 0
            AND stattest_threshold < 'Infinity'::double precision) THEN
        RAISE EXCEPTION 'drift_report: stattest_threshold must be a positive finite number, not %',
            stattest_threshold USING ERRCODE = '22023';
    END IF;
    IF drift_share IS NULL OR NOT (drift_share > 0 AND drift_share <= 1) THEN
        RAISE EXCEPTION 'drift_report: drift_share must lie in (0, 1], not %', drift_share
            USING ERRCODE = '22023';
    END IF;

    -- how rows split into reference (TRUE) and current (FALSE); other rows are left out
    IF reference_column IS NOT NULL THEN
        SELECT a.atttypid::regtype INTO side_type FROM pg_attribute a
         WHERE a.attrelid = source AND a.attname = reference_column AND a.attnum > 0
           AND NOT a.attisdropped;
        IF side_type IS NULL THEN
            RAISE EXCEPTION 'drift_report: % has no column "%"', source, reference_column
                USING ERRCODE = '42703';
        ELSIF side_type <> 'boolean'::regtype THEN
            RAISE EXCEPTION 'drift_report: reference column "%" is %, not boolean', reference_column,
                side_type USING ERRCODE = '42804',
                HINT = 'TRUE marks reference rows, FALSE current rows; rows where it is NULL are left out.';
        END IF;
        side := format('src.%I', reference_column);
        filter := format('src.%I IS NOT NULL', reference_column);
    ELSE
        SELECT a.atttypid::regtype INTO side_type FROM pg_attribute a
         WHERE a.attrelid = source AND a.attname = time_column AND a.attnum > 0
           AND NOT a.attisdropped;
        IF side_type IS NULL THEN
            RAISE EXCEPTION 'drift_report: % has no column "%"', source, time_column
                USING ERRCODE = '42703';
        ELSIF side_type NOT IN ('timestamp with time zone'::regtype,
                                'timestamp without time zone'::regtype, 'date'::regtype) THEN
            RAISE EXCEPTION 'drift_report: time column "%" is %, not a timestamp or date', time_column,
                side_type USING ERRCODE = '42804';
        END IF;
        IF reference_range IS NULL OR current_range IS NULL
                OR isempty(reference_range) OR isempty(current_range) THEN
            RAISE EXCEPTION 'drift_report: the reference and current ranges must be given and not empty'
                USING ERRCODE = '22023';
        END IF;
        IF reference_range && current_range THEN
            RAISE EXCEPTION 'drift_report: the reference range % and the current range % overlap',
                reference_range, current_range USING ERRCODE = '22023';
        END IF;
        side := format('CASE WHEN %s THEN true WHEN %s THEN false END',
                       ethaudit_internal.range_condition(time_column, reference_range),
                       ethaudit_internal.range_condition(time_column, current_range));
        filter := format('(%s) OR (%s)',
                         ethaudit_internal.range_condition(time_column, reference_range),
                         ethaudit_internal.range_condition(time_column, current_range));
    END IF;

    SELECT m INTO missing FROM unnest(coalesce(columns, '{}') || coalesce(categorical, '{}')) AS m
     WHERE NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = source AND a.attname = m
                          AND a.attnum > 0 AND NOT a.attisdropped)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'drift_report: % has no column "%"', source, missing USING ERRCODE = '42703';
    END IF;

    FOR col IN
        SELECT a.attname, a.atttypid::regtype AS typ,
               CASE WHEN a.attname = ANY (coalesce(categorical, '{}')) THEN 'categorical'
                    WHEN a.atttypid::regtype = ANY (numeric_types)
                      OR t.typbasetype::regtype = ANY (numeric_types) THEN 'numeric'
                    WHEN a.atttypid::regtype = ANY (text_types) OR t.typtype = 'e'
                      OR t.typbasetype::regtype = ANY (text_types) THEN 'categorical'
               END AS kind
          FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
         WHERE a.attrelid = source AND a.attnum > 0 AND NOT a.attisdropped
           AND a.attname IS DISTINCT FROM reference_column
           AND a.attname IS DISTINCT FROM time_column
           AND (a.attname = ANY (coalesce(categorical, '{}'))
                OR (columns IS NULL OR a.attname = ANY (columns)))
         ORDER BY a.attnum
    LOOP
        IF col.kind IS NULL THEN
            IF columns IS NULL THEN
                CONTINUE;           -- neither numbers nor categories: not tested unless named
            END IF;
            RAISE EXCEPTION 'drift_report: column "%" is %, neither numeric nor text', col.attname, col.typ
                USING ERRCODE = '42804',
                HINT = 'Name it in categorical to test its values, cast to text, as categories.';
        END IF;
        IF col.kind = 'categorical' AND stattest IN ('ks', 'wasserstein') THEN
            RAISE EXCEPTION 'drift_report: the % test needs a numeric column; "%" is categorical',
                stattest, col.attname USING ERRCODE = '22023';
        END IF;
        i := i + 1;
        aggs := aggs || format('ethaudit.drift_test((src.%I)::%s, side.is_reference, %L) AS d%s',
                               col.attname,
                               CASE col.kind WHEN 'numeric' THEN 'double precision' ELSE 'text' END,
                               stattest, i);
        rows_list := rows_list || format('(%s, %L::name, %L, a.d%s)', i, col.attname, col.kind, i);
    END LOOP;
    IF i = 0 THEN
        RAISE EXCEPTION 'drift_report: % has no column to test', source USING ERRCODE = '22023',
            HINT = 'Numeric columns and text, boolean or enum columns are tested; name others in categorical.';
    END IF;
    -- the reference column, or a range of the time column, splits the rows
    q := format('SELECT a.rows_ref, a.rows_cur, v.column_name, v.kind, v.r'
                '  FROM (SELECT count(*) FILTER (WHERE side.is_reference) AS rows_ref,'
                '               count(*) FILTER (WHERE NOT side.is_reference) AS rows_cur, %s'
                '          FROM %s AS src CROSS JOIN LATERAL (SELECT %s) AS side(is_reference)'
                '         WHERE %s) AS a'
                '  CROSS JOIN LATERAL (VALUES %s) AS v(ord, column_name, kind, r)'
                ' ORDER BY v.ord',
                array_to_string(aggs, ', '), source, side, filter,
                array_to_string(rows_list, ', '));
    FOR r IN EXECUTE q LOOP
        rows_ref := r.rows_ref;
        rows_cur := r.rows_cur;
        column_name := r.column_name;
        kind := r.kind;
        test := (r.r).test;
        statistic := (r.r).statistic;
        p_value := (r.r).p_value;
        threshold := coalesce(stattest_threshold, (r.r).threshold);
        drifted := CASE WHEN test IS NULL THEN NULL
                        WHEN stattest_threshold IS NULL THEN (r.r).drifted
                        WHEN test = 'ks' THEN p_value <= threshold
                        WHEN test = ANY (p_value_tests) THEN p_value < threshold
                        WHEN statistic = 'NaN'::double precision THEN false
                        ELSE statistic >= threshold END;
        n_reference := coalesce((r.r).n_reference, 0);
        n_current := coalesce((r.r).n_current, 0);
        n_values := (r.r).n_values;
        nonfinite_reference := CASE WHEN kind = 'numeric' THEN coalesce((r.r).nonfinite_reference, 0) END;
        nonfinite_current := CASE WHEN kind = 'numeric' THEN coalesce((r.r).nonfinite_current, 0) END;
        null_reference := rows_ref - n_reference - coalesce(nonfinite_reference, 0);
        null_current := rows_cur - n_current - coalesce(nonfinite_current, 0);
        unseen_current := CASE WHEN kind = 'categorical' THEN coalesce((r.r).unseen_current, 0) END;
        IF test IS NOT NULL THEN
            n_tested := n_tested + 1;
            n_drifted := n_drifted + drifted::integer;
        END IF;
        RETURN NEXT;
    END LOOP;

    -- the dataset: drifted when the share of drifted columns reaches drift_share
    column_name := NULL;
    kind := 'dataset';
    test := 'drift_share';
    statistic := CASE WHEN n_tested > 0 THEN n_drifted::double precision / n_tested END;
    p_value := NULL;
    threshold := drift_share;
    drifted := statistic >= drift_share;
    n_reference := rows_ref;
    n_current := rows_cur;
    n_values := n_tested;
    null_reference := NULL;
    null_current := NULL;
    nonfinite_reference := NULL;
    nonfinite_current := NULL;
    unseen_current := NULL;
    RETURN NEXT;
END
$fn$;

COMMENT ON FUNCTION ethaudit_internal.drift_report_run(regclass, name, name, tstzrange, tstzrange, name[], name[], text, double precision, double precision) IS
'Internal: the one query of drift_report, built from the catalog with format(%I, %L).';

CREATE FUNCTION ethaudit.drift_report(
    source regclass,
    reference_column name,
    columns name[] DEFAULT NULL,
    categorical name[] DEFAULT NULL,
    stattest text DEFAULT 'auto',
    stattest_threshold double precision DEFAULT NULL,
    drift_share double precision DEFAULT 0.5)
RETURNS TABLE (column_name name, kind text, test text, statistic double precision,
               p_value double precision, threshold double precision, drifted boolean,
               n_reference bigint, n_current bigint, n_values bigint,
               null_reference bigint, null_current bigint,
               nonfinite_reference bigint, nonfinite_current bigint, unseen_current bigint)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT * FROM ethaudit_internal.drift_report_run(source, reference_column, NULL, NULL, NULL,
        columns, categorical, stattest, stattest_threshold, drift_share)
$$;

COMMENT ON FUNCTION ethaudit.drift_report(regclass, name, name[], name[], text, double precision, double precision) IS
'Drift of every numeric and categorical column of source in one scan, reference rows marked TRUE in the boolean reference_column and current rows FALSE: one row per column (Evidently 0.7''s test choice unless stattest forces one), then the dataset row (drifted when the share of drifted columns reaches drift_share).';

CREATE FUNCTION ethaudit.drift_report(
    source regclass,
    time_column name,
    reference_period tstzrange,
    current_period tstzrange,
    columns name[] DEFAULT NULL,
    categorical name[] DEFAULT NULL,
    stattest text DEFAULT 'auto',
    stattest_threshold double precision DEFAULT NULL,
    drift_share double precision DEFAULT 0.5)
RETURNS TABLE (column_name name, kind text, test text, statistic double precision,
               p_value double precision, threshold double precision, drifted boolean,
               n_reference bigint, n_current bigint, n_values bigint,
               null_reference bigint, null_current bigint,
               nonfinite_reference bigint, nonfinite_current bigint, unseen_current bigint)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT * FROM ethaudit_internal.drift_report_run(source, NULL, time_column, reference_period, current_period,
        columns, categorical, stattest, stattest_threshold, drift_share)
$$;

COMMENT ON FUNCTION ethaudit.drift_report(regclass, name, tstzrange, tstzrange, name[], name[], text, double precision, double precision) IS
'Drift of every numeric and categorical column of source in one scan, reference rows those whose time_column lies in reference_period and current rows those in current_period (ranges that must not overlap; bounds inclusive or exclusive as the ranges say): one row per column, then the dataset row.';
