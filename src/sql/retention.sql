-- ====================================================================
-- Security: retention
--
--   purge_history()      deletes governance history older than an age
--                        (for superusers)
--   retention_policies   how long each table keeps rows, by which column
--   apply_retention()    deletes expired rows (for pg_cron) and records it;
--                        the audit log keeps a verifiable chain behind a
--                        signed checkpoint (audit_chain.sql, keys.sql)
-- ====================================================================

-- -------- the history of the checks --------

CREATE FUNCTION ethaudit.purge_history(older_than interval,
    OUT results bigint, OUT runs bigint, OUT alerts bigint, OUT alert_events bigint)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cutoff timestamptz;
BEGIN
    IF older_than IS NULL OR older_than < interval '0' THEN
        RAISE EXCEPTION 'older_than must be an interval of zero or more, not %', coalesce(older_than::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    cutoff := now() - older_than;
    -- resolved alerts, with their events
    WITH gone AS (
        DELETE FROM ethaudit.alert_events e
        USING ethaudit.alerts a
        WHERE e.alert_id = a.alert_id AND a.status = 'resolved' AND a.resolved_at < cutoff
        RETURNING 1)
    SELECT count(*) INTO alert_events FROM gone;
    WITH gone AS (
        DELETE FROM ethaudit.alerts a WHERE a.status = 'resolved' AND a.resolved_at < cutoff RETURNING 1)
    SELECT count(*) INTO alerts FROM gone;
    -- results, except the first and latest of every alert still kept
    WITH gone AS (
        DELETE FROM ethaudit.results r
        WHERE r.evaluated_at < cutoff
          AND NOT EXISTS (SELECT 1 FROM ethaudit.alerts a
                          WHERE r.result_id IN (a.first_result_id, a.last_result_id))
        RETURNING 1)
    SELECT count(*) INTO results FROM gone;
    WITH gone AS (
        DELETE FROM ethaudit.runs x
        WHERE x.started_at < cutoff
          AND NOT EXISTS (SELECT 1 FROM ethaudit.results r WHERE r.run_id = x.run_id)
        RETURNING 1)
    SELECT count(*) INTO runs FROM gone;
END
$$;
COMMENT ON FUNCTION ethaudit.purge_history(interval) IS
'Deletes history older than the given age: results (but the first and latest result of every alert kept), runs left without results, and resolved alerts with their events. Open alerts are never deleted. Returns how many rows of each table went.';
REVOKE EXECUTE ON FUNCTION ethaudit.purge_history(interval) FROM PUBLIC;

-- -------- retention policies --------

CREATE TABLE ethaudit.retention_policies (
    table_name  text PRIMARY KEY,
    time_column name NOT NULL,
    keep        interval NOT NULL,
    enabled     boolean NOT NULL DEFAULT true,
    note        text,
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at  timestamptz
);
COMMENT ON TABLE ethaudit.retention_policies IS
'How long rows are kept: apply_retention() deletes the rows of table_name whose time_column is older than keep. For ethaudit.audit_log, results, runs, alerts and alert_events, and for any table of the database (e.g. a prediction log holding personal data). Configuration: kept by pg_dump; every change is in the audit log.';
COMMENT ON COLUMN ethaudit.retention_policies.table_name IS 'The table, schema-qualified (stored quoted as needed, e.g. public.predictions).';
COMMENT ON COLUMN ethaudit.retention_policies.time_column IS 'A date, timestamp or timestamptz column: rows older than keep by it are deleted (timestamp and date read as UTC). ethaudit.audit_log: logged_at.';
COMMENT ON COLUMN ethaudit.retention_policies.keep IS 'How long rows are kept (positive).';
COMMENT ON COLUMN ethaudit.retention_policies.enabled IS 'Disabled policies are not applied.';
COMMENT ON COLUMN ethaudit.retention_policies.note IS 'Free text: the purpose or rule behind the period.';
COMMENT ON COLUMN ethaudit.retention_policies.created_at IS 'When the row was created.';
COMMENT ON COLUMN ethaudit.retention_policies.updated_at IS 'When the row was last changed.';

-- the base type (date, timestamp, timestamptz) of a time column
CREATE FUNCTION ethaudit_internal.time_base_type(typ regtype)
RETURNS regtype
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH RECURSIVE chain AS (
        SELECT t.oid, t.typtype, t.typbasetype FROM pg_catalog.pg_type t WHERE t.oid = typ
        UNION ALL
        SELECT t.oid, t.typtype, t.typbasetype
        FROM pg_catalog.pg_type t JOIN chain ON t.oid = chain.typbasetype
        WHERE chain.typtype = 'd'
    )
    SELECT c.oid::regtype FROM chain c
    WHERE c.typtype <> 'd' AND c.oid IN ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype)
$$;
COMMENT ON FUNCTION ethaudit_internal.time_base_type(regtype) IS
'Internal: date, timestamp or timestamptz: the base type of a time column (through domains), or NULL for other types.';

CREATE FUNCTION ethaudit_internal.retention_target(table_name text, time_column name, OUT rel regclass, OUT cmp text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    parts text[];
    nsp name;
    kind "char";
    persistence "char";
    typ regtype;
BEGIN
    IF table_name IS NULL OR time_column IS NULL THEN
        RAISE EXCEPTION 'table_name and time_column of a retention policy must not be NULL' USING ERRCODE = 'not_null_violation';
    END IF;
    parts := pg_catalog.parse_ident(table_name);
    IF pg_catalog.cardinality(parts) <> 2 THEN
        RAISE EXCEPTION 'table_name "%" must name a table with its schema', table_name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'For example public.predictions or ethaudit.audit_log.';
    END IF;
    rel := pg_catalog.to_regclass(pg_catalog.format('%I.%I', parts[1], parts[2]));
    IF rel IS NULL THEN
        RAISE EXCEPTION 'relation "%" does not exist', table_name USING ERRCODE = 'undefined_table';
    END IF;
    SELECT c.relkind, c.relpersistence, n.nspname INTO kind, persistence, nsp
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = rel;
    IF kind NOT IN ('r', 'p') OR persistence = 't' THEN
        RAISE EXCEPTION 'relation % is not a permanent table', rel USING ERRCODE = 'wrong_object_type';
    END IF;
    IF nsp IN ('pg_catalog', 'information_schema', 'pg_toast') OR nsp LIKE 'pg\_%' THEN
        RAISE EXCEPTION 'retention does not apply to system catalogs' USING ERRCODE = 'wrong_object_type';
    END IF;
    IF nsp = 'ethaudit' AND parts[2] NOT IN ('audit_log', 'results', 'runs', 'alerts', 'alert_events') THEN
        RAISE EXCEPTION 'retention applies to ethaudit.audit_log, results, runs, alerts and alert_events, not to %', rel
            USING ERRCODE = 'wrong_object_type',
                  DETAIL = 'The other tables of ethaudit hold configuration, not history.';
    END IF;
    IF rel = 'ethaudit.audit_log'::regclass AND time_column <> 'logged_at' THEN
        RAISE EXCEPTION 'the retention of ethaudit.audit_log is by logged_at, not by %', time_column
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    typ := ethaudit_internal.time_base_type(ethaudit_internal.column_type(rel, time_column));
    IF typ IS NULL THEN
        RAISE EXCEPTION 'column "%" of relation % has type %, but a retention time_column must be date, timestamp or timestamptz',
            time_column, rel, ethaudit_internal.column_type(rel, time_column)
            USING ERRCODE = 'datatype_mismatch';
    END IF;
    -- the cutoff ($1, timestamptz) in the column's own type, so an index on it serves
    cmp := pg_catalog.format('%I < %s', time_column,
        CASE typ WHEN 'timestamptz'::regtype THEN '$1'
                 WHEN 'timestamp'::regtype THEN '($1 AT TIME ZONE ''UTC'')'
                 ELSE '($1 AT TIME ZONE ''UTC'')::date' END);
END
$$;
COMMENT ON FUNCTION ethaudit_internal.retention_target(text, name) IS
'Internal: validates the table and time column of a retention policy (42P01, 42809, 42703, 42804, 22023) and returns the table and the condition that selects expired rows, with the cutoff as $1.';

CREATE FUNCTION ethaudit_internal.validate_retention_policy()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t record;
BEGIN
    t := ethaudit_internal.retention_target(NEW.table_name, NEW.time_column);
    NEW.table_name := ethaudit_internal.qualified_name(t.rel);
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
COMMENT ON FUNCTION ethaudit_internal.validate_retention_policy() IS
'Trigger function: validates a retention policy (retention_target, positive keep), stores the table name schema-qualified and stamps updated_at.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.validate_retention_policy() FROM PUBLIC;
CREATE TRIGGER validate_retention_policy BEFORE INSERT OR UPDATE ON ethaudit.retention_policies
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.validate_retention_policy();
COMMENT ON TRIGGER validate_retention_policy ON ethaudit.retention_policies IS
'Validates a retention policy before it is written.';

CREATE TRIGGER audit_change AFTER INSERT OR UPDATE OR DELETE ON ethaudit.retention_policies
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.audit_config_change('retention_policy');
COMMENT ON TRIGGER audit_change ON ethaudit.retention_policies IS
'Records every change of a retention policy in the audit log.';

SELECT pg_catalog.pg_extension_config_dump('ethaudit.retention_policies', '');

-- -------- applying the policies --------

-- Deletes the expired history of ethaudit's own tables, writes the
-- checkpoint of the audit log and records the run.  SECURITY DEFINER:
-- evidence is deleted only here.
CREATE FUNCTION ethaudit_internal.retention_purge(dry_run boolean, reported jsonb)
RETURNS TABLE (table_name text, time_column name, keep interval, cutoff timestamptz, deleted bigint)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p ethaudit.retention_policies;
    summary jsonb := '[]'::jsonb;
    cp jsonb;
    problem text;
    v record;
    lo bigint;
    hi bigint;
    k bigint;
    last_hash bytea;
    prev ethaudit.audit_checkpoints;
    c ethaudit.audit_checkpoints;
    key ethaudit.keys;
BEGIN
    IF dry_run IS NULL THEN
        RAISE EXCEPTION 'dry_run must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    FOR p IN
        SELECT x.* FROM ethaudit.retention_policies x
        WHERE x.enabled AND x.table_name IN ('ethaudit.alert_events', 'ethaudit.alerts', 'ethaudit.results',
                                             'ethaudit.runs', 'ethaudit.audit_log')
        -- events before their alerts, results before their runs, the log last
        ORDER BY pg_catalog.array_position(ARRAY['ethaudit.alert_events', 'ethaudit.alerts', 'ethaudit.results',
                                                 'ethaudit.runs', 'ethaudit.audit_log'], x.table_name)
    LOOP
        table_name := p.table_name;
        time_column := p.time_column;
        keep := p.keep;
        cutoff := pg_catalog.now() - p.keep;
        deleted := NULL;
        problem := NULL;
        PERFORM ethaudit_internal.retention_target(p.table_name, p.time_column);
        IF p.table_name = 'ethaudit.alert_events' THEN
            -- only the events of resolved alerts: open alerts keep their story
            EXECUTE pg_catalog.format(
                '%s FROM ethaudit.alert_events e USING ethaudit.alerts a WHERE e.alert_id = a.alert_id '
                'AND a.status = ''resolved'' AND e.%I < $1%s',
                CASE WHEN dry_run THEN 'SELECT count(*)' ELSE 'WITH gone AS (DELETE' END, p.time_column,
                CASE WHEN dry_run THEN '' ELSE ' RETURNING 1) SELECT count(*) FROM gone' END)
            INTO deleted USING cutoff;
        ELSIF p.table_name = 'ethaudit.alerts' THEN
            -- resolved alerts only, with their events
            IF NOT dry_run THEN
                EXECUTE pg_catalog.format('DELETE FROM ethaudit.alert_events e USING ethaudit.alerts a '
                                          'WHERE e.alert_id = a.alert_id AND a.status = ''resolved'' AND a.%I < $1',
                                          p.time_column) USING cutoff;
            END IF;
            EXECUTE pg_catalog.format(
                '%s ethaudit.alerts a WHERE a.status = ''resolved'' AND a.%I < $1%s',
                CASE WHEN dry_run THEN 'SELECT count(*) FROM' ELSE 'WITH gone AS (DELETE FROM' END, p.time_column,
                CASE WHEN dry_run THEN '' ELSE ' RETURNING 1) SELECT count(*) FROM gone' END)
            INTO deleted USING cutoff;
        ELSIF p.table_name = 'ethaudit.results' THEN
            -- but the first and latest result of every alert kept
            EXECUTE pg_catalog.format(
                '%s ethaudit.results r WHERE r.%I < $1 AND NOT EXISTS (SELECT 1 FROM ethaudit.alerts a '
                'WHERE r.result_id IN (a.first_result_id, a.last_result_id))%s',
                CASE WHEN dry_run THEN 'SELECT count(*) FROM' ELSE 'WITH gone AS (DELETE FROM' END, p.time_column,
                CASE WHEN dry_run THEN '' ELSE ' RETURNING 1) SELECT count(*) FROM gone' END)
            INTO deleted USING cutoff;
        ELSIF p.table_name = 'ethaudit.runs' THEN
            -- runs left without results
            EXECUTE pg_catalog.format(
                '%s ethaudit.runs x WHERE x.%I < $1 AND NOT EXISTS (SELECT 1 FROM ethaudit.results r '
                'WHERE r.run_id = x.run_id)%s',
                CASE WHEN dry_run THEN 'SELECT count(*) FROM' ELSE 'WITH gone AS (DELETE FROM' END, p.time_column,
                CASE WHEN dry_run THEN '' ELSE ' RETURNING 1) SELECT count(*) FROM gone' END)
            INTO deleted USING cutoff;
        ELSE
            -- the audit log: the oldest events, a prefix of the chain up to the
            -- first one still to keep, under the chain lock
            PERFORM pg_catalog.pg_advisory_xact_lock(1702127715, 0);
            SELECT min(a.seq), max(a.seq) INTO lo, hi FROM ethaudit.audit_log a;
            SELECT min(a.seq) - 1 INTO k FROM ethaudit.audit_log a WHERE a.logged_at >= cutoff;
            k := coalesce(k, hi);
            IF lo IS NULL OR k < lo THEN
                deleted := 0;
            ELSIF dry_run THEN
                deleted := k - lo + 1;
            ELSE
                -- never hide a broken chain behind a checkpoint
                v := ethaudit.verify_audit_log();
                IF NOT v.valid THEN
                    problem := v.problem;
                    RAISE WARNING 'ethaudit: the audit log was not shortened, because it does not verify: %', v.problem;
                ELSE
                    SELECT a.row_hash INTO last_hash FROM ethaudit.audit_log a WHERE a.seq = k;
                    PERFORM pg_catalog.set_config('ethaudit_audit.internal_write', 'retention', true);
                    DELETE FROM ethaudit.audit_log a WHERE a.seq <= k;
                    GET DIAGNOSTICS deleted = ROW_COUNT;
                    PERFORM pg_catalog.set_config('ethaudit_audit.internal_write', '', true);
                    key := ethaudit_internal.active_key('checkpoint');
                    SELECT * INTO prev FROM ethaudit.audit_checkpoints x ORDER BY x.checkpoint_id DESC LIMIT 1;
                    c.checkpoint_id := coalesce(prev.checkpoint_id, 0) + 1;
                    c.created_at := pg_catalog.clock_timestamp();
                    c.created_by := ethaudit.session_role();
                    c.first_seq := lo;
                    c.last_seq := k;
                    c.last_hash := last_hash;
                    c.cutoff := cutoff;
                    c.key_id := key.key_id;
                    c.prev_signature := prev.signature;
                    c.signature := ethaudit.hmac_sha256(key.secret, ethaudit.checkpoint_encoding(c));
                    INSERT INTO ethaudit.audit_checkpoints SELECT c.*;
                    cp := pg_catalog.jsonb_build_object('checkpoint_id', c.checkpoint_id, 'first_seq', c.first_seq,
                              'last_seq', c.last_seq, 'last_hash', pg_catalog.encode(c.last_hash, 'hex'),
                              'key_id', c.key_id, 'signature', pg_catalog.encode(c.signature, 'hex'));
                END IF;
            END IF;
        END IF;
        summary := summary || pg_catalog.jsonb_build_array(pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
            'table', table_name, 'time_column', time_column, 'keep', keep, 'cutoff', cutoff,
            'deleted', deleted, 'problem', problem)));
        RETURN NEXT;
    END LOOP;
    IF NOT dry_run THEN
        summary := pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('tables', summary, 'checkpoint', cp,
                       'reported_by_caller', CASE WHEN reported <> '[]'::jsonb THEN reported END));
        PERFORM ethaudit_internal.check_event_size(summary);
        PERFORM ethaudit_internal.audit_append('retention_applied', NULL, NULL, summary);
    END IF;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.retention_purge(boolean, jsonb) IS
'Internal part of apply_retention(): applies the enabled policies of ethaudit''s own tables (events of resolved alerts; resolved alerts with their events; results but the first and latest of every alert kept; runs without results; the oldest events of the audit log, behind a new signed checkpoint, and only if the log verifies), then records retention_applied with what it did and the caller''s report on other tables (reported). SECURITY DEFINER; not executable by PUBLIC.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.retention_purge(boolean, jsonb) FROM PUBLIC;

CREATE FUNCTION ethaudit.apply_retention(dry_run boolean DEFAULT false)
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
    -- other tables first, as each table's owner (ethaudit_internal.run_as_owner): its
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
            t := ethaudit_internal.retention_target(p.table_name, p.time_column);
            SELECT x.n INTO deleted FROM ethaudit_internal.run_as_owner(t.rel,
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
    RETURN QUERY SELECT * FROM ethaudit_internal.retention_purge(dry_run, reported);
END
$$;
COMMENT ON FUNCTION ethaudit.apply_retention(boolean) IS
'Applies every enabled retention policy, for pg_cron: deletes the rows older than keep (by time_column) and returns, per table, the cutoff and the rows deleted (NULL if the table could not be purged; a WARNING says why). Other tables are purged as their owners (run_as_owner), so their triggers never run with the caller''s privileges; ethaudit''s own history through retention_purge(), which shortens the audit log behind a signed checkpoint and records the run as retention_applied. With dry_run, only counts and records nothing. Not executable by PUBLIC.';
REVOKE EXECUTE ON FUNCTION ethaudit.apply_retention(boolean) FROM PUBLIC;
