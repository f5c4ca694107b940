-- ethaudit 0.4.0 -> 0.5.0 (ALTER EXTENSION ethaudit UPDATE TO '0.5.0').
--
-- Reviewed by hand: every statement keeps the rows of the audit log, the
-- results, the alerts and the configuration (doc/releasing.md).  No table
-- of evidence or configuration changes.  The result must equal a fresh
-- 0.5.0 install, which test/upgrade/run.sh checks.

\echo Use "ALTER EXTENSION ethaudit UPDATE TO '0.5.0'" to load this file. \quit

-- ---------------------------------------------------------------------------
-- Label updates: the fill test stops at the first row (src/sql/monitoring.sql).
-- ---------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION ethaudit_internal.monitor_batch()
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

CREATE OR REPLACE FUNCTION ethaudit.monitor_label_updates(source regclass)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF source IS NULL THEN
        RAISE EXCEPTION 'source must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM ethaudit_internal.check_source(source, source::text, true);
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
