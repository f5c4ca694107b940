-- ====================================================================
-- Security: the parts roles play, and the membership tests of the
-- row-level security policies
--
--   security_roles       which existing role plays which part: auditor,
--                        writer, admin, owner (doc/security.md)
--   has_role_kind(), reads_everything(), readable_models(), is_member_of()
--                        what the policies of the evidence tables ask
--                        (each table's file creates its policies)
--   create_roles()       creates NOLOGIN group roles for the four parts
--                        (nothing is created unless it is called)
--   set_security_role()  gives an existing role a part and its privileges
--
-- A model's evidence is visible to members of its owner role
-- (models.owner_role, or the owner role of one of its checks' thresholds)
-- and to the auditor; a run also to the role that ran it.  Only the
-- extension's own functions update or delete evidence.
-- ====================================================================

CREATE TABLE ethaudit.security_roles (
    role_kind   text PRIMARY KEY
                CONSTRAINT security_roles_kind_check CHECK (role_kind IN ('auditor', 'writer', 'admin', 'owner')),
    role_name   name NOT NULL,
    granted_at  timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    granted_by  name NOT NULL
);
COMMENT ON TABLE ethaudit.security_roles IS
'The role that plays each part (doc/security.md): auditor (reads all evidence, changes nothing), writer (runs checks and records decisions, reads no evidence), admin (configuration and retention), owner (the privileges of model owners: members of a model''s owner role read its evidence and answer its alerts). Set with set_security_role() or create_roles(). Kept by pg_dump.';
COMMENT ON COLUMN ethaudit.security_roles.role_kind IS 'auditor, writer, admin or owner.';
COMMENT ON COLUMN ethaudit.security_roles.role_name IS 'The role (must exist); its members act in that part.';
COMMENT ON COLUMN ethaudit.security_roles.granted_at IS 'When the part was given.';
COMMENT ON COLUMN ethaudit.security_roles.granted_by IS 'Who gave it (session role).';

CREATE FUNCTION ethaudit_internal.validate_security_role()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.role_kind IS NULL OR NEW.role_kind NOT IN ('auditor', 'writer', 'admin', 'owner') THEN
        RAISE EXCEPTION 'invalid role kind "%"', NEW.role_kind
            USING ERRCODE = 'check_violation',
                  HINT = 'The kinds are auditor, writer, admin and owner.';
    END IF;
    IF NEW.role_name IS NULL OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = NEW.role_name) THEN
        RAISE EXCEPTION 'role "%" does not exist', NEW.role_name
            USING ERRCODE = 'undefined_object',
                  DETAIL = pg_catalog.format('role_name of the %s part.', NEW.role_kind);
    END IF;
    NEW.granted_by := coalesce(NEW.granted_by, ethaudit.session_role());
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.validate_security_role() IS
'Trigger function: checks the kind and that the role exists, and records who gave the part.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.validate_security_role() FROM PUBLIC;
CREATE TRIGGER validate_security_role BEFORE INSERT OR UPDATE ON ethaudit.security_roles
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.validate_security_role();
COMMENT ON TRIGGER validate_security_role ON ethaudit.security_roles IS
'Validates a security role before it is written.';

CREATE TRIGGER audit_change AFTER INSERT OR UPDATE OR DELETE ON ethaudit.security_roles
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.audit_config_change('security_role');
COMMENT ON TRIGGER audit_change ON ethaudit.security_roles IS
'Records every change of the security roles in the audit log.';

SELECT pg_catalog.pg_extension_config_dump('ethaudit.security_roles', '');

-- -------- membership tests used by the policies --------

-- These read configuration the querying role may not be allowed to read,
-- so they are SECURITY DEFINER; they are passed CURRENT_USER by the
-- policies, because inside them CURRENT_USER is the extension's owner.
CREATE FUNCTION ethaudit.has_role_kind(who name, kind text)
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

CREATE FUNCTION ethaudit.reads_everything(who name)
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

CREATE FUNCTION ethaudit.readable_models(who name)
RETURNS text[]
LANGUAGE sql STABLE PARALLEL SAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    -- only for the session's own role or a role it belongs to: nobody learns
    -- which models another team owns
    SELECT CASE WHEN NOT pg_catalog.pg_has_role(ethaudit.session_role(), who, 'MEMBER') THEN '{}'::text[]
           ELSE coalesce((
               SELECT pg_catalog.array_agg(DISTINCT x.model ORDER BY x.model) FROM (
                   SELECT mo.model FROM ethaudit.models mo
                   JOIN pg_catalog.pg_roles r ON r.rolname = mo.owner_role
                   WHERE pg_catalog.pg_has_role(who, r.oid, 'MEMBER')
                   UNION ALL
                   SELECT ch.model FROM ethaudit.checks ch
                   JOIN ethaudit.thresholds th ON th.check_id = ch.check_id
                   JOIN pg_catalog.pg_roles r ON r.rolname = th.owner_role
                   WHERE pg_catalog.pg_has_role(who, r.oid, 'MEMBER')) x), '{}'::text[]) END
$$;
COMMENT ON FUNCTION ethaudit.readable_models(name) IS
'The models whose evidence role who may read: those whose owner role it is a member of, and those with a check whose thresholds'' owner role it is a member of. Empty unless who is the session''s role or one the session role belongs to. Used by the row-level security policies. SECURITY DEFINER.';

CREATE FUNCTION ethaudit.is_member_of(role_name name)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                   WHERE r.rolname = role_name
                     AND pg_catalog.pg_has_role(CURRENT_USER, r.oid, 'MEMBER'))
$$;
COMMENT ON FUNCTION ethaudit.is_member_of(name) IS
'True if the current user is a member of the named role (false if the role does not exist). Used by the row-level security policies on alerts.';

-- -------- giving parts to roles --------

-- The privileges of each part, as statements with one %I for the role.
-- Every object is named with its schema; the role is always quoted.
CREATE FUNCTION ethaudit.role_privileges(kind text)
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
        'ethaudit.stage_history, ethaudit.open_alerts, ethaudit.latest_results, ethaudit.result_history, ethaudit.model_cards, ethaudit.monitored_tables',
        'EXECUTE ON FUNCTION ethaudit.verify_audit_log(bigint, text), ethaudit.audit_head(), ethaudit.verify_results(), '
        'ethaudit.pseudonymise(text), ethaudit.pseudonymise(text, integer)']
    WHEN 'owner' THEN ARRAY[
        'USAGE ON SCHEMA ethaudit',
        'SELECT ON ethaudit.models, ethaudit.model_versions, ethaudit.checks, ethaudit.thresholds, ethaudit.baselines, '
        'ethaudit.privacy_policies, ethaudit.runs, ethaudit.results, ethaudit.alerts, ethaudit.alert_events, ethaudit.audit_log, '
        'ethaudit.stage_history'
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
        'ethaudit.runs, ethaudit.stage_history',
        'EXECUTE ON FUNCTION ethaudit.run_checks(text, timestamptz, boolean), ethaudit.run_check(bigint, timestamptz, boolean), '
        'ethaudit.record_event(text, text, jsonb, text), '
        'ethaudit.record_decision(text, text, jsonb, jsonb, text[], text, text, text)']
    WHEN 'admin' THEN ARRAY[
        'USAGE ON SCHEMA ethaudit',
        'SELECT, INSERT, UPDATE, DELETE ON ethaudit.models, ethaudit.model_versions, ethaudit.checks, '
        'ethaudit.thresholds, ethaudit.baselines, ethaudit.privacy_policies, ethaudit.retention_policies',
        'SELECT ON ethaudit.security_roles, ethaudit.stage_history',
        'USAGE ON SEQUENCE ethaudit.checks_check_id_seq, ethaudit.baselines_baseline_id_seq',
        'EXECUTE ON FUNCTION ethaudit.set_stage(text, text, text, timestamptz), '
        'ethaudit.store_baseline(text, name, regclass, name, timestamptz, timestamptz, text, integer, text, name, text), '
        'ethaudit.monitor_table(regclass, text, name, name[], name, name[], interval), '
        'ethaudit.monitor_label_updates(regclass), ethaudit.unmonitor_table(regclass), ethaudit_internal.monitor_batch(), '
        'ethaudit.apply_retention(boolean), ethaudit_internal.retention_purge(boolean, jsonb), ethaudit.rotate_key(text), '
        'ethaudit.record_event(text, text, jsonb, text), '
        'ethaudit.record_decision(text, text, jsonb, jsonb, text[], text, text, text), '
        'ethaudit.verify_audit_log(bigint, text), ethaudit.audit_head(), ethaudit.verify_results(), '
        'ethaudit_internal.run_as_owner(regclass, text, timestamptz[]), '
        'ethaudit_internal.capture_quantile_baseline(regclass, text, text, timestamptz[], integer)']
    END
$$;
COMMENT ON FUNCTION ethaudit.role_privileges(text) IS
'The privileges of a part (auditor, owner, writer, admin), as GRANT objects; set_security_role() grants them. doc/security.md explains each. Model owners get the dashboard views only on PostgreSQL 15 and later, where they are security_invoker.';

CREATE FUNCTION ethaudit.set_security_role(kind text, role_name name)
RETURNS ethaudit.security_roles
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    old_role name;
    other text;
    p text;
    result ethaudit.security_roles;
BEGIN
    IF kind IS NULL OR role_name IS NULL THEN
        RAISE EXCEPTION 'kind and role_name must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF kind NOT IN ('auditor', 'writer', 'admin', 'owner') THEN
        RAISE EXCEPTION 'invalid role kind "%"', kind
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The kinds are auditor, writer, admin and owner.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = set_security_role.role_name) THEN
        RAISE EXCEPTION 'role "%" does not exist', role_name USING ERRCODE = 'undefined_object';
    END IF;
    SELECT s.role_name INTO old_role FROM ethaudit.security_roles s WHERE s.role_kind = kind FOR UPDATE;
    IF old_role IS DISTINCT FROM role_name AND EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = old_role) THEN
        -- the previous role loses the part's privileges, then gets back those
        -- of the other parts it still plays
        FOREACH p IN ARRAY ethaudit.role_privileges(kind) LOOP
            EXECUTE pg_catalog.format('REVOKE %s FROM %I', p, old_role);
        END LOOP;
        FOR other IN SELECT s.role_kind FROM ethaudit.security_roles s
                     WHERE s.role_name = old_role AND s.role_kind <> kind LOOP
            FOREACH p IN ARRAY ethaudit.role_privileges(other) LOOP
                EXECUTE pg_catalog.format('GRANT %s TO %I', p, old_role);
            END LOOP;
        END LOOP;
    END IF;
    FOREACH p IN ARRAY ethaudit.role_privileges(kind) LOOP
        EXECUTE pg_catalog.format('GRANT %s TO %I', p, role_name);
    END LOOP;
    INSERT INTO ethaudit.security_roles AS s (role_kind, role_name, granted_by)
    VALUES (kind, role_name, ethaudit.session_role())
    ON CONFLICT (role_kind) DO UPDATE SET role_name = excluded.role_name, granted_at = pg_catalog.clock_timestamp(),
                                          granted_by = excluded.granted_by
    RETURNING s.* INTO result;
    RETURN result;
END
$$;
COMMENT ON FUNCTION ethaudit.set_security_role(text, name) IS
'Gives an existing role a part (auditor, writer, admin, owner): grants it the part''s privileges (role_privileges) and records it in ethaudit.security_roles; the role that had the part before loses them. Needs the right to grant on ethaudit''s objects (the extension''s owner, a superuser). Not executable by PUBLIC.';
REVOKE EXECUTE ON FUNCTION ethaudit.set_security_role(text, name) FROM PUBLIC;

CREATE FUNCTION ethaudit.create_roles(prefix text DEFAULT 'ethaudit_')
RETURNS TABLE (role_kind text, role_name name, created boolean)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k text;
BEGIN
    IF prefix IS NULL THEN
        RAISE EXCEPTION 'prefix must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF prefix !~ '^[a-z_][a-z0-9_]{0,55}$' THEN
        RAISE EXCEPTION 'invalid role name prefix "%"', prefix
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'A prefix has up to 56 lowercase letters, digits and underscores and does not start with a digit, e.g. ethaudit_.';
    END IF;
    FOREACH k IN ARRAY ARRAY['auditor', 'writer', 'admin', 'owner'] LOOP
        role_kind := k;
        role_name := prefix || k;
        created := NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = create_roles.role_name);
        IF created THEN
            EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', role_name);
            EXECUTE pg_catalog.format('COMMENT ON ROLE %I IS %L', role_name,
                                      pg_catalog.format('ethaudit %s (see ethaudit.security_roles)', k));
        END IF;
        PERFORM ethaudit.set_security_role(k, role_name);
        RETURN NEXT;
    END LOOP;
END
$$;
COMMENT ON FUNCTION ethaudit.create_roles(text) IS
'Creates the NOLOGIN group roles <prefix>auditor, <prefix>writer, <prefix>admin and <prefix>owner (existing ones are reused) and gives each its part (set_security_role). Returns the roles and whether each was created. Needs CREATEROLE and the right to grant on ethaudit''s objects: run it as a superuser. CREATE EXTENSION creates no role; not executable by PUBLIC.';
REVOKE EXECUTE ON FUNCTION ethaudit.create_roles(text) FROM PUBLIC;
