-- ====================================================================
-- Governance: the prediction-log trigger
--
--   monitor_table()     attaches the trigger to a prediction-log table and
--                       creates its insert_batch checks
--   monitor_label_updates()  also attaches it for UPDATEs, for labels that
--                       arrive after the prediction
--   monitor_batch       the trigger: evaluates the insert-mode checks of the
--                       table per inserted (or updated) batch, never failing
--                       the statement
--   unmonitor_table()   detaches them
-- ====================================================================

CREATE FUNCTION ethaudit_internal.monitor_batch()
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
    batch_statuses text[];
    shares float8[];
    -- an UPDATE batch (monitor_label_updates) concerns the checks that read
    -- labels, and only those whose label the batch carries
    label_update boolean := TG_OP = 'UPDATE';
    labelled boolean;
    col name;
    filled name[] := '{}';
    split boolean;
BEGIN
    IF TG_WHEN <> 'AFTER' OR TG_LEVEL <> 'STATEMENT' OR TG_OP NOT IN ('INSERT', 'UPDATE') THEN
        RAISE EXCEPTION 'ethaudit_internal.monitor_batch() must be an AFTER INSERT or AFTER UPDATE ... FOR EACH STATEMENT trigger'
            USING ERRCODE = 'trigger_protocol_violated',
                  HINT = 'Attach it with ethaudit.monitor_table() or ethaudit.monitor_label_updates().';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM ethaudit.checks ch
                   WHERE ch.source = src AND ch.mode <> 'scheduled' AND ch.enabled
                     AND (NOT label_update OR ch.label_column IS NOT NULL))
       OR NOT EXISTS (SELECT 1 FROM ethaudit_batch) THEN
        RETURN NULL;
    END IF;
    IF label_update THEN
        -- the label columns this UPDATE may have filled: some of its new rows
        -- have the label and some of its old rows lacked it (the transition
        -- tables, visible only here).  Both tests stop at the first such row,
        -- so a fill costs no scan of the batch.  A column that is gone
        -- counts, so that its checks record the error.  An UPDATE that
        -- filled none is no batch.
        FOR col IN SELECT DISTINCT ch.label_column FROM ethaudit.checks ch
                   WHERE ch.source = src AND ch.mode <> 'scheduled' AND ch.enabled AND ch.label_column IS NOT NULL LOOP
            BEGIN
                EXECUTE format('SELECT EXISTS (SELECT FROM ethaudit_batch WHERE %1$I IS NOT NULL) '
                               'AND EXISTS (SELECT FROM ethaudit_old WHERE %1$I IS NULL)', col)
                    INTO labelled;
            EXCEPTION WHEN undefined_column THEN
                labelled := true;
            END;
            IF labelled THEN
                filled := filled || col;
            END IF;
        END LOOP;
        IF cardinality(filled) = 0 THEN
            RETURN NULL;
        END IF;
    END IF;
    INSERT INTO ethaudit.runs AS x (kind, source, as_of, run_by)
    VALUES (CASE WHEN label_update THEN 'update' ELSE 'insert' END, src, now(), ethaudit.session_role())
    RETURNING x.run_id INTO run;

    -- 1. batch checks without reference rows: one scan of the batch for all
    --    of them; if that fails, each is evaluated on its own (step 2)
    SELECT array_agg(ch ORDER BY ch.model, ch.check_id) INTO shared
    FROM ethaudit.checks ch
    WHERE ch.source = src AND ch.mode = 'insert_batch' AND ch.enabled AND ch.version_column IS NULL
      AND NOT ch.labelled_only AND NOT label_update
      AND (ch.reference_kind IS NULL OR ch.reference_kind = 'baseline');
    IF shared IS NOT NULL THEN
        started := clock_timestamp();
        BEGIN
            PERFORM ethaudit_internal.check_source(rel, src, true);
            EXECUTE ethaudit_internal.batch_query(shared, rel, 'ethaudit_batch')
                INTO vals, ns, nrefs, firsts, lasts, shares, n_rows;
            FOR k IN 1 .. cardinality(shared) LOOP
                res := ethaudit_internal.record_result(shared[k], run, vals[k], ns[k], nrefs[k], firsts[k], lasts[k],
                                              NULL, NULL, started, NULL, NULL, NULL, false, shares[k]);
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
          -- an UPDATE that filled none of a check's labels leaves it alone
          AND (NOT label_update OR ch.label_column = ANY (filled))
          AND (shared IS NULL OR ch.check_id <> ALL (SELECT x.check_id FROM unnest(shared) x))
        ORDER BY ch.model, ch.check_id
    LOOP
        IF c.mode = 'insert_window' THEN
            -- the sliding window: the check's window, ending now
            IF (c.min_interval IS NOT NULL AND EXISTS (
                    SELECT 1 FROM ethaudit.results x
                    WHERE x.check_id = c.check_id AND NOT x.replayed
                      AND x.evaluated_at > clock_timestamp() - c.min_interval))
               OR NOT ethaudit_internal.lock_check(c.check_id) THEN
                statuses := statuses || 'skipped'::text;
                CONTINUE;
            END IF;
            FOR res IN SELECT * FROM ethaudit_internal.evaluate_check(c, run, now()) LOOP
                statuses := statuses || res.status;
            END LOOP;
            CONTINUE;
        END IF;

        -- insert_batch: the query must run here, where the transition table
        -- ethaudit_batch is visible
        started := clock_timestamp();
        ref_start := NULL;
        ref_end := NULL;
        state := NULL;
        batch_statuses := '{}';
        BEGIN
            PERFORM ethaudit_internal.check_source(rel, src, true);
            IF c.reference_kind = 'fixed' THEN
                ref_start := c.reference_start;
                ref_end := c.reference_end;
            ELSIF c.reference_kind = 'preceding' THEN
                EXECUTE format('SELECT min(%I)::timestamptz FROM ethaudit_batch', c.time_column) INTO ref_end;
                ref_start := ref_end - coalesce(c.reference_size, c.window_size);
            END IF;
            -- one result per version of the batch's rows, for a check with a
            -- version column and no pinned version (as evaluate_check does)
            FOR split IN SELECT x FROM unnest(ARRAY[c.version_column IS NOT NULL AND c.version IS NULL, false]) AS x LOOP
                q := ethaudit_internal.check_query(c, rel, 'ethaudit_batch', split);
                FOR r IN EXECUTE q USING NULL::timestamptz, NULL::timestamptz, ref_start, ref_end LOOP
                    res := ethaudit_internal.record_result(c, run, r.value, r.n_current, r.n_reference,
                                                  r.first_time, r.last_time,
                                                  coalesce(ref_start, r.ref_first),
                                                  CASE WHEN c.window_rows IS NULL THEN ref_end ELSE r.ref_last END,
                                                  started, NULL, NULL, r.version, false, r.labelled_share);
                    batch_statuses := batch_statuses || res.status;
                END LOOP;
                EXIT WHEN cardinality(batch_statuses) > 0;
            END LOOP;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
        END;
        IF state IS NOT NULL THEN
            res := ethaudit_internal.record_result(c, run, NULL, NULL, NULL, NULL, NULL, ref_start, ref_end,
                                          started, state, msg);
            batch_statuses := ARRAY[res.status];
        END IF;
        statuses := statuses || batch_statuses;
    END LOOP;

    IF n_rows IS NULL THEN
        SELECT count(*) INTO n_rows FROM ethaudit_batch;
    END IF;
    UPDATE ethaudit.runs x SET batch_rows = n_rows WHERE x.run_id = run;
    PERFORM ethaudit_internal.finish_run(run, statuses);
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    -- monitoring must never lose the user's rows
    GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
    RAISE WARNING 'ethaudit: the batch % % could not be checked: %', CASE WHEN label_update THEN 'updated in' ELSE 'inserted into' END, src, msg;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.monitor_batch() IS
'Trigger function of monitored prediction logs (AFTER INSERT, or AFTER UPDATE with monitor_label_updates; FOR EACH STATEMENT, transition table ethaudit_batch): evaluates the insert_batch checks of the table over the inserted rows and its insert_window checks over their latest window; after an UPDATE, only the checks that read labels, and only if the statement may have filled some of them (some of its rows have the label after it, and some lacked it before). Never makes the statement fail: a failing check is recorded with status error, and any other failure is reported as a warning. SECURITY DEFINER, so writing roles need no privileges on ethaudit''s tables.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.monitor_batch() FROM PUBLIC;

-- Citus: a trigger on a distributed or reference table runs on the workers'
-- shards, where the governance tables are not; such a table is audited by
-- scheduled run_checks() on the coordinator instead (doc/baseline.md).
CREATE FUNCTION ethaudit_internal.refuse_distributed(source regclass)
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    citus_kind text := ethaudit_internal.citus_table_kind(source);
BEGIN
    IF citus_kind IS NOT NULL THEN
        RAISE EXCEPTION 'table % is a Citus % table: ethaudit cannot monitor its inserts', source, citus_kind
            USING ERRCODE = 'feature_not_supported',
                  DETAIL = 'Its triggers would run on the workers, where ethaudit''s governance tables are not.',
                  HINT = 'Give its checks mode scheduled and run them on the coordinator with ethaudit.run_checks(), from pg_cron for example.';
    END IF;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.refuse_distributed(regclass) IS
'Internal: refuses (0A000) a Citus distributed or reference table, whose triggers would run on the workers; monitor_table and monitor_label_updates call it.';

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
    PERFORM ethaudit_internal.check_source(source, source::text, true);
    PERFORM ethaudit_internal.refuse_distributed(source);
    src := ethaudit_internal.qualified_name(source);
    -- every column named must exist, also when no check reads it (a trigger
    -- with no check would otherwise be attached to a table it cannot audit)
    FOR col IN SELECT x FROM unnest(ARRAY[time_column, probability_column]
                                    || coalesce(required_columns, '{}') || coalesce(category_columns, '{}')) AS x
               WHERE x IS NOT NULL LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                       WHERE a.attrelid = source AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped) THEN
            RAISE EXCEPTION 'column "%" of relation % does not exist', col, src
                USING ERRCODE = 'undefined_column';
        END IF;
    END LOOP;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_trigger tg
               WHERE tg.tgrelid = source AND tg.tgfoid = 'ethaudit_internal.monitor_batch()'::regprocedure) THEN
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
                   'FOR EACH STATEMENT EXECUTE FUNCTION ethaudit_internal.monitor_batch()', source);
    EXECUTE format('COMMENT ON TRIGGER ethaudit_monitor ON %s IS %L', source,
                   'ethaudit: checks each inserted batch (see ethaudit.checks, mode insert_batch / insert_window)');
END
$$;
COMMENT ON FUNCTION ethaudit.monitor_table(regclass, text, name, name[], name, name[], interval) IS
'Attaches the ethaudit_monitor trigger (AFTER INSERT, FOR EACH STATEMENT, over a transition table) to a prediction-log table, and creates its insert_batch checks with default thresholds: null_share over required_columns, invalid_probability_share of probability_column, and unseen_share of each of category_columns against the preceding reference_size. Returns the checks it created.';
REVOKE EXECUTE ON FUNCTION ethaudit.monitor_table(regclass, text, name, name[], name, name[], interval) FROM PUBLIC;

CREATE FUNCTION ethaudit.monitor_label_updates(source regclass)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF source IS NULL THEN
        RAISE EXCEPTION 'source must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM ethaudit_internal.check_source(source, source::text, true);
    PERFORM ethaudit_internal.refuse_distributed(source);
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_trigger tg
               WHERE tg.tgrelid = source AND tg.tgname = 'ethaudit_monitor_labels') THEN
        RAISE EXCEPTION 'label updates of table % are already monitored', source
            USING ERRCODE = 'duplicate_object';
    END IF;
    -- PostgreSQL allows no column list on a trigger with transition
    -- tables: every UPDATE fires it, and monitor_batch returns at once when
    -- the statement filled no label a check reads
    EXECUTE format('CREATE TRIGGER ethaudit_monitor_labels AFTER UPDATE ON %s '
                   'REFERENCING OLD TABLE AS ethaudit_old NEW TABLE AS ethaudit_batch '
                   'FOR EACH STATEMENT EXECUTE FUNCTION ethaudit_internal.monitor_batch()', source);
    EXECUTE format('COMMENT ON TRIGGER ethaudit_monitor_labels ON %s IS %L', source,
                   'ethaudit: checks the labels each UPDATE fills in (checks of mode insert_batch / insert_window that read labels)');
END
$$;
COMMENT ON FUNCTION ethaudit.monitor_label_updates(regclass) IS
'Attaches the ethaudit_monitor_labels trigger (AFTER UPDATE, FOR EACH STATEMENT, over the old and new transition tables) to a prediction-log table whose labels are filled in later by UPDATE: when a statement may have filled labels (some of its rows have the label after it, and some lacked it before), the insert_batch checks of the table that read them are evaluated over the updated rows that have a label, and its insert_window checks that read them over their latest window. An UPDATE of rows that were all labelled (a correction) or that are all unlabelled after it runs nothing. unmonitor_table() drops it too.';
REVOKE EXECUTE ON FUNCTION ethaudit.monitor_label_updates(regclass) FROM PUBLIC;

CREATE FUNCTION ethaudit.unmonitor_table(source regclass)
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    trigger_name name;
    dropped integer := 0;
    disabled integer;
BEGIN
    FOR trigger_name IN SELECT tg.tgname FROM pg_catalog.pg_trigger tg
                        WHERE tg.tgrelid = source AND tg.tgfoid = 'ethaudit_internal.monitor_batch()'::regprocedure
                        ORDER BY tg.tgname LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', trigger_name, source);
        dropped := dropped + 1;
    END LOOP;
    IF dropped = 0 THEN
        RAISE EXCEPTION 'table % is not monitored', coalesce(source::text, 'NULL')
            USING ERRCODE = 'undefined_object';
    END IF;
    UPDATE ethaudit.checks ch SET enabled = false
    WHERE ch.source = ethaudit_internal.qualified_name(unmonitor_table.source) AND ch.mode <> 'scheduled' AND ch.enabled;
    GET DIAGNOSTICS disabled = ROW_COUNT;
    RETURN disabled;
END
$$;
COMMENT ON FUNCTION ethaudit.unmonitor_table(regclass) IS
'Drops the monitoring triggers of a prediction-log table (inserts and label updates) and disables its insert-mode checks (their history is kept). Returns the number of checks disabled.';
REVOKE EXECUTE ON FUNCTION ethaudit.unmonitor_table(regclass) FROM PUBLIC;
