-- ====================================================================
-- Security: who acts, and how changes become events of the audit log
--
--   session_role()        the role the session acts as, also inside
--                         SECURITY DEFINER functions
--   is_extension_owner()  whether the current user is the extension's
--                         owner (its own functions)
--   audit_config_change   the audit trigger of every configuration table
--                         (each table's file attaches it right after the
--                         table)
--   audit_history_change  the audit trigger of deletions, edits and
--                         TRUNCATE of history (runs, results, alerts,
--                         alert_events)
--
-- The events are appended with audit_append() and chained at commit
-- (audit_chain.sql).  This file comes first among the governance parts,
-- because every table after it attaches these triggers.
-- ====================================================================

-- -------- who is acting --------

CREATE FUNCTION ethaudit.session_role()
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

CREATE FUNCTION ethaudit.is_extension_owner()
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(pg_catalog.bool_or(pg_catalog.pg_has_role(CURRENT_USER, e.extowner, 'MEMBER')), false)
    FROM pg_catalog.pg_extension e WHERE e.extname = 'ethaudit'
$$;
COMMENT ON FUNCTION ethaudit.is_extension_owner() IS
'True if the current user is the owner of the extension (or a member of it, or a superuser): the identity ethaudit''s SECURITY DEFINER functions run as.';

-- -------- recording changes --------

-- A superuser session with row_security = off is what pg_restore and a
-- plain-format dump run as: the rows it loads already have their history in
-- the restored audit log, so loading them records nothing.
CREATE FUNCTION ethaudit_internal.restoring()
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.current_setting('row_security') = 'off'
       AND coalesce((SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = ethaudit.session_role()), false)
$$;
COMMENT ON FUNCTION ethaudit_internal.restoring() IS
'Internal: true in a superuser session with row_security = off (pg_restore, a plain dump loaded with psql): inserts made there are a restore and are not recorded again.';

-- the columns that differ between two rows, as {column: {"old": .., "new": ..}}
CREATE FUNCTION ethaudit_internal.row_changes(old_row jsonb, new_row jsonb, ignored text[] DEFAULT '{}')
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(pg_catalog.jsonb_object_agg(n.key, pg_catalog.jsonb_build_object('old', o.value, 'new', n.value)), '{}'::jsonb)
    FROM pg_catalog.jsonb_each(new_row) n
    LEFT JOIN pg_catalog.jsonb_each(old_row) o ON o.key = n.key
    WHERE o.value IS DISTINCT FROM n.value AND n.key <> ALL (ignored)
$$;
COMMENT ON FUNCTION ethaudit_internal.row_changes(jsonb, jsonb, text[]) IS
'Internal: the keys whose values differ between two rows (as jsonb), as {"key": {"old": ..., "new": ...}}, leaving out the ignored keys.';

CREATE FUNCTION ethaudit_internal.audit_config_change()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    object text := TG_ARGV[0];
    r jsonb := CASE WHEN TG_OP = 'DELETE' THEN pg_catalog.to_jsonb(OLD) ELSE pg_catalog.to_jsonb(NEW) END;
    ignored text[] := '{updated_at,stage_changed_at}';
    details jsonb;
    changes jsonb;
    m text;
    v text;
    event text;
    ident jsonb;
BEGIN
    IF TG_OP = 'INSERT' AND ethaudit_internal.restoring() THEN
        RETURN NULL;
    END IF;
    -- what not to copy into the log
    IF object = 'key' THEN
        r := r - 'secret';
        ignored := ignored || '{secret}'::text[];
    ELSIF object = 'baseline' THEN
        r := (r - 'baseline') || pg_catalog.jsonb_build_object('baseline_sha256',
                 pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(r->>'baseline', 'UTF8')), 'hex'));
    END IF;
    m := r->>'model';
    v := r->>'version';
    IF object = 'threshold' THEN
        SELECT ch.model, ch.version INTO m, v FROM ethaudit.checks ch WHERE ch.check_id = (r->>'check_id')::bigint;
    END IF;
    -- the columns that identify the row
    ident := CASE object
        WHEN 'model' THEN pg_catalog.jsonb_build_object('model', r->'model')
        WHEN 'model_version' THEN pg_catalog.jsonb_build_object('model', r->'model', 'version', r->'version')
        WHEN 'check' THEN pg_catalog.jsonb_build_object('check_id', r->'check_id', 'check_name', r->'check_name')
        WHEN 'threshold' THEN pg_catalog.jsonb_build_object('check_id', r->'check_id', 'check_name',
                                  (SELECT ch.check_name FROM ethaudit.checks ch WHERE ch.check_id = (r->>'check_id')::bigint))
        WHEN 'baseline' THEN pg_catalog.jsonb_build_object('baseline_id', r->'baseline_id', 'column_name', r->'column_name')
        WHEN 'privacy_policy' THEN pg_catalog.jsonb_build_object('model', r->'model', 'field', r->'field')
        WHEN 'retention_policy' THEN pg_catalog.jsonb_build_object('table_name', r->'table_name')
        WHEN 'security_role' THEN pg_catalog.jsonb_build_object('role_kind', r->'role_kind')
        WHEN 'key' THEN pg_catalog.jsonb_build_object('key_id', r->'key_id', 'purpose', r->'purpose')
        ELSE '{}'::jsonb END;

    IF TG_OP = 'INSERT' THEN
        event := object || '_created';
        details := ident || pg_catalog.jsonb_build_object('row', r);
    ELSIF TG_OP = 'DELETE' THEN
        event := object || '_deleted';
        details := ident || pg_catalog.jsonb_build_object('row', r);
    ELSE
        changes := ethaudit_internal.row_changes(
            CASE WHEN object = 'key' THEN pg_catalog.to_jsonb(OLD) - 'secret'
                 WHEN object = 'baseline' THEN (pg_catalog.to_jsonb(OLD) - 'baseline') || pg_catalog.jsonb_build_object('baseline_sha256',
                     pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.to_jsonb(OLD)->>'baseline', 'UTF8')), 'hex'))
                 ELSE pg_catalog.to_jsonb(OLD) END,
            r, ignored);
        IF changes = '{}'::jsonb THEN
            RETURN NULL;            -- nothing but time stamps changed
        END IF;
        event := CASE WHEN object = 'model_version' AND changes ? 'stage' THEN 'stage_changed'
                      WHEN object = 'key' AND changes ? 'retired_at' THEN 'key_retired'
                      ELSE object || '_changed' END;
        details := ident || pg_catalog.jsonb_build_object('changes', changes);
    END IF;
    PERFORM ethaudit_internal.audit_append(event, m, v, details);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.audit_config_change() IS
'Trigger function (AFTER INSERT, UPDATE or DELETE, FOR EACH ROW; argument: the kind of object): records <object>_created, <object>_changed (the changed columns, old and new) or <object>_deleted in the audit log; a change of a version''s stage is stage_changed. Never copies key material; a baseline is recorded by its SHA-256. SECURITY DEFINER.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.audit_config_change() FROM PUBLIC;

CREATE FUNCTION ethaudit_internal.audit_history_change()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
    event text := CASE TG_OP WHEN 'DELETE' THEN 'history_deleted' WHEN 'UPDATE' THEN 'history_changed'
                             ELSE 'history_truncated' END;
    key_column text := CASE TG_TABLE_NAME WHEN 'results' THEN 'result_id' WHEN 'alerts' THEN 'alert_id'
                                          WHEN 'alert_events' THEN 'event_id' WHEN 'stage_history' THEN 'interval_id'
                                          ELSE 'run_id' END;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM ethaudit_internal.audit_append(event, NULL, NULL, pg_catalog.jsonb_build_object('table', TG_TABLE_NAME));
        RETURN NULL;
    END IF;
    -- one event per model (alert_events and all-model runs have none)
    FOR r IN EXECUTE pg_catalog.format(
        'SELECT %s AS model, count(*) AS n, min(x.%I) AS first_id, max(x.%I) AS last_id, '
        '(array_agg(x.%I ORDER BY x.%I))[1:100] AS ids FROM %I AS x GROUP BY 1 ORDER BY 1',
        CASE WHEN TG_TABLE_NAME = 'alert_events' THEN 'NULL::text' ELSE 'x.model' END,
        key_column, key_column, key_column, key_column,
        CASE TG_OP WHEN 'DELETE' THEN 'ethaudit_old' ELSE 'ethaudit_new' END)
    LOOP
        PERFORM ethaudit_internal.audit_append(event, r.model, NULL, pg_catalog.jsonb_build_object(
            'table', TG_TABLE_NAME, 'rows', r.n, 'first_' || key_column, r.first_id,
            'last_' || key_column, r.last_id, key_column || 's', r.ids));
    END LOOP;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.audit_history_change() IS
'Trigger function (AFTER DELETE, UPDATE or TRUNCATE, FOR EACH STATEMENT, on runs, results, alerts, alert_events and stage_history): records history_deleted, history_changed or history_truncated with the table, the model, the number of rows and their identifiers (the first 100). SECURITY DEFINER.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.audit_history_change() FROM PUBLIC;
