-- ====================================================================
-- Security, part 3: privacy by design, recorded decisions, retention
--
--   privacy_policies     per model and input field: keep, pseudonymise, drop
--   pseudonymise()       keyed HMAC-SHA-256 of an identifier (rotating key)
--   mask_text()          masks e-mail addresses, URLs, IBANs, IP addresses
--                        and long numbers in free text
--   record_decision()    records a decision with what the model saw (after
--                        the privacy policy), its explanation and controls
--   record_event()       records any other event of a model
--   retention_policies   how long each table keeps rows, by which column
--   apply_retention()    deletes expired rows (for pg_cron) and records it;
--                        the audit log keeps a verifiable chain behind a
--                        signed checkpoint
-- ====================================================================

-- -------- privacy policies --------

CREATE TABLE ethaudit.privacy_policies (
    model       text NOT NULL REFERENCES ethaudit.models ON UPDATE CASCADE ON DELETE CASCADE,
    field       text NOT NULL,
    action      text NOT NULL
                CONSTRAINT privacy_policies_action_check CHECK (action IN ('keep', 'pseudonymise', 'drop')),
    note        text,
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at  timestamptz,
    PRIMARY KEY (model, field)
);
COMMENT ON TABLE ethaudit.privacy_policies IS
'What record_decision() keeps of each input field of a model: keep (as given), pseudonymise (keyed HMAC, see pseudonymise()) or drop. Field * sets the action of every field not listed; without it, unlisted fields are dropped. Configuration: kept by pg_dump; every change is in the audit log.';
COMMENT ON COLUMN ethaudit.privacy_policies.model IS 'The model (ethaudit.models).';
COMMENT ON COLUMN ethaudit.privacy_policies.field IS 'A top-level key of the inputs passed to record_decision(), or * for every other key.';
COMMENT ON COLUMN ethaudit.privacy_policies.action IS 'keep, pseudonymise or drop.';
COMMENT ON COLUMN ethaudit.privacy_policies.note IS 'Free text: why (purpose, legal basis).';
COMMENT ON COLUMN ethaudit.privacy_policies.created_at IS 'When the row was created.';
COMMENT ON COLUMN ethaudit.privacy_policies.updated_at IS 'When the row was last changed.';

CREATE FUNCTION ethaudit.validate_privacy_policy()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.field IS NULL OR NEW.field = '' OR NEW.field <> pg_catalog.btrim(NEW.field)
       OR pg_catalog.length(NEW.field) > 200 THEN
        RAISE EXCEPTION 'invalid field name "%" in the privacy policy of model %', NEW.field, NEW.model
            USING ERRCODE = 'check_violation',
                  HINT = 'A field name has 1 to 200 characters and no leading or trailing spaces; * stands for every other field.';
    END IF;
    IF NEW.action IS NULL OR NEW.action NOT IN ('keep', 'pseudonymise', 'drop') THEN
        RAISE EXCEPTION 'invalid privacy action "%" for field % of model %', NEW.action, NEW.field, NEW.model
            USING ERRCODE = 'check_violation',
                  HINT = 'The actions are keep, pseudonymise and drop.';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        NEW.updated_at := pg_catalog.now();
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION ethaudit.validate_privacy_policy() IS
'Trigger function: checks the field name and the action of a privacy policy row and stamps updated_at.';
CREATE TRIGGER validate_privacy_policy BEFORE INSERT OR UPDATE ON ethaudit.privacy_policies
    FOR EACH ROW EXECUTE FUNCTION ethaudit.validate_privacy_policy();
COMMENT ON TRIGGER validate_privacy_policy ON ethaudit.privacy_policies IS
'Validates a privacy policy row before it is written.';
CREATE TRIGGER audit_change AFTER INSERT OR UPDATE OR DELETE ON ethaudit.privacy_policies
    FOR EACH ROW EXECUTE FUNCTION ethaudit.audit_config_change('privacy_policy');
COMMENT ON TRIGGER audit_change ON ethaudit.privacy_policies IS
'Records every change of a privacy policy in the audit log.';

-- -------- pseudonyms and masking --------

CREATE FUNCTION ethaudit.pseudonym_with(k ethaudit.keys, value text)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT 'ps' || k.key_id || ':' || pg_catalog.encode(ethaudit.hmac_sha256(k.secret, pg_catalog.convert_to(value, 'UTF8')), 'hex')
$$;
COMMENT ON FUNCTION ethaudit.pseudonym_with(ethaudit.keys, text) IS
'Internal: the pseudonym of a value under a key: ps<key_id>:<HMAC-SHA-256 of the UTF-8 value, hex>.';

CREATE FUNCTION ethaudit.pseudonymise(value text)
RETURNS text
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN ethaudit.pseudonym_with(ethaudit.active_key('pseudonym'), value);
END
$$;
COMMENT ON FUNCTION ethaudit.pseudonymise(text) IS
'The pseudonym of an identifier under the active pseudonym key: ps<key_id>:<64 hex digits> (HMAC-SHA-256). The same value gives the same pseudonym until the key is rotated; without the key it cannot be reversed or recomputed, but whoever may call this function can test guesses, so it is granted to the auditor and model owners only. NULL gives NULL. SECURITY DEFINER; not executable by PUBLIC.';

CREATE FUNCTION ethaudit.pseudonymise(value text, key_id integer)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k ethaudit.keys;
BEGIN
    IF key_id IS NULL THEN
        RAISE EXCEPTION 'key_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT * INTO k FROM ethaudit.keys x WHERE x.key_id = pseudonymise.key_id AND x.purpose = 'pseudonym';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'pseudonym key % does not exist', key_id USING ERRCODE = 'undefined_object';
    END IF;
    RETURN ethaudit.pseudonym_with(k, value);
END
$$;
COMMENT ON FUNCTION ethaudit.pseudonymise(text, integer) IS
'The pseudonym of an identifier under a given (possibly retired) pseudonym key: finds a subject''s records made before a key rotation. NULL value gives NULL. SECURITY DEFINER; not executable by PUBLIC.';

CREATE FUNCTION ethaudit.mask_text(input text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.regexp_replace(pg_catalog.regexp_replace(pg_catalog.regexp_replace(
           pg_catalog.regexp_replace(pg_catalog.regexp_replace(input,
        -- e-mail addresses
        '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+', '[email]', 'g'),
        -- URLs (they carry names, tokens and identifiers)
        '[A-Za-z][A-Za-z0-9+.-]*://[^[:space:]<>"]+', '[url]', 'g'),
        -- IBANs: country, check digits, 11 to 30 letters and digits in groups
        '\m[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\M', '[iban]', 'g'),
        -- IPv4 addresses
        '\m[0-9]{1,3}(?:\.[0-9]{1,3}){3}\M', '[ip]', 'g'),
        -- six or more digits, possibly separated: phone, card, account and
        -- identity numbers, full dates
        '\+?[0-9](?:[ ()./-]{0,2}[0-9]){5,}', '[number]', 'g')
$$;
COMMENT ON FUNCTION ethaudit.mask_text(text) IS
'Masks identifying details in free text: e-mail addresses become [email], URLs [url], IBANs [iban], IPv4 addresses [ip], and any run of six or more digits (phone, card, account and identity numbers, full dates; spaces, dots, dashes, slashes and brackets between the digits allowed) [number]. Names are not recognised: keep them out of free text. NULL gives NULL.';

-- The inputs of a decision after the model's privacy policy.
CREATE FUNCTION ethaudit.apply_privacy(model text, inputs jsonb,
    OUT kept jsonb, OUT pseudonymised text[], OUT dropped text[], OUT key_id integer)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    fallback text;
    f record;
    act text;
    k ethaudit.keys;
BEGIN
    kept := '{}'::jsonb;
    pseudonymised := '{}';
    dropped := '{}';
    IF inputs IS NULL THEN
        kept := NULL;
        RETURN;
    END IF;
    SELECT p.action INTO fallback FROM ethaudit.privacy_policies p WHERE p.model = apply_privacy.model AND p.field = '*';
    FOR f IN SELECT j.key, j.value FROM pg_catalog.jsonb_each(inputs) j ORDER BY j.key LOOP
        SELECT p.action INTO act FROM ethaudit.privacy_policies p WHERE p.model = apply_privacy.model AND p.field = f.key;
        act := coalesce(act, fallback, 'drop');     -- what no policy allows is not kept
        IF act = 'keep' THEN
            kept := kept || pg_catalog.jsonb_build_object(f.key, f.value);
        ELSIF act = 'pseudonymise' THEN
            IF k.key_id IS NULL THEN
                k := ethaudit.active_key('pseudonym');
                key_id := k.key_id;
            END IF;
            kept := kept || pg_catalog.jsonb_build_object(f.key,
                CASE pg_catalog.jsonb_typeof(f.value)
                    WHEN 'null' THEN 'null'::jsonb
                    WHEN 'string' THEN pg_catalog.to_jsonb(ethaudit.pseudonym_with(k, f.value #>> '{}'))
                    ELSE pg_catalog.to_jsonb(ethaudit.pseudonym_with(k, f.value::text)) END);
            pseudonymised := pseudonymised || f.key;
        ELSE
            dropped := dropped || f.key;
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION ethaudit.apply_privacy(text, jsonb) IS
'Internal: applies a model''s privacy policy to the top-level fields of inputs: the fields kept (pseudonymised ones replaced by their pseudonym; a string is pseudonymised as its text, any other JSON value as its JSON text), and the names of the pseudonymised and the dropped fields. Unlisted fields follow field *, else are dropped. Needs the pseudonym key: not executable by PUBLIC.';

-- -------- recording events and decisions --------

CREATE FUNCTION ethaudit.is_system_event(event_type text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT event_type IN ('stage_changed', 'retention_applied', 'decision', 'key_retired')
        OR event_type ~ '^(model|model_version|check|threshold|baseline|privacy_policy|retention_policy|security_role|key)_(created|changed|deleted)$'
        OR event_type ~ '^(alert|history)_'
$$;
COMMENT ON FUNCTION ethaudit.is_system_event(text) IS
'True for the event types the extension writes itself (<object>_created, _changed, _deleted, stage_changed, key_retired, alert_*, history_*, retention_applied) and decision, which record_event() does not accept.';

-- who may record an event of a model: its owners, the writer, the admin
CREATE FUNCTION ethaudit.check_recorder(model text)
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    who name := ethaudit.session_role();
    owner_role name;
BEGIN
    IF ethaudit.has_role_kind(who, 'writer') OR ethaudit.has_role_kind(who, 'admin')
       OR coalesce((SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = who), false) THEN
        RETURN;
    END IF;
    IF model IS NOT NULL THEN
        SELECT m.owner_role INTO owner_role FROM ethaudit.models m WHERE m.model = check_recorder.model;
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                   WHERE r.rolname = owner_role AND pg_catalog.pg_has_role(who, r.oid, 'MEMBER')) THEN
            RETURN;
        END IF;
    END IF;
    RAISE EXCEPTION 'permission denied to record events of %',
        CASE WHEN model IS NULL THEN 'no model' ELSE pg_catalog.format('model %s', model) END
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Members of the model''s owner role, of the writer role and of the admin role record events (ethaudit.security_roles).';
END
$$;
COMMENT ON FUNCTION ethaudit.check_recorder(text) IS
'Internal: raises 42501 unless the session role may record events of the model: a member of its owner role, of the writer or admin role (any model, or none), or a superuser.';

CREATE FUNCTION ethaudit.check_model_version(model text, version text, OUT stage text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF model IS NULL THEN
        IF version IS NOT NULL THEN
            RAISE EXCEPTION 'version % needs a model', version USING ERRCODE = 'invalid_parameter_value';
        END IF;
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM ethaudit.models m WHERE m.model = check_model_version.model) THEN
        RAISE EXCEPTION 'model "%" is not registered', model USING ERRCODE = 'undefined_object';
    END IF;
    IF version IS NOT NULL THEN
        SELECT v.stage INTO stage FROM ethaudit.model_versions v
        WHERE v.model = check_model_version.model AND v.version = check_model_version.version;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'version % of model % is not registered', version, model
                USING ERRCODE = 'undefined_object';
        END IF;
    END IF;
END
$$;
COMMENT ON FUNCTION ethaudit.check_model_version(text, text) IS
'Internal: raises 42704 unless the model (and the version, if given) is registered; returns the version''s stage.';

CREATE FUNCTION ethaudit.check_event_size(details jsonb)
RETURNS void
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF pg_catalog.octet_length(details::text) > 1048576 THEN
        RAISE EXCEPTION 'event details of % bytes exceed the limit of 1 MB', pg_catalog.octet_length(details::text)
            USING ERRCODE = 'program_limit_exceeded',
                  HINT = 'Record a reference to large evidence (a table and key, a file and its SHA-256) instead of the evidence itself.';
    END IF;
END
$$;
COMMENT ON FUNCTION ethaudit.check_event_size(jsonb) IS
'Internal: raises 54000 if the details of an event exceed 1 MB as text.';

CREATE FUNCTION ethaudit.record_event(event_type text, model text, details jsonb DEFAULT '{}',
                                      version text DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF event_type IS NULL THEN
        RAISE EXCEPTION 'event_type must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF event_type !~ '^[a-z][a-z0-9_]{0,62}$' THEN
        RAISE EXCEPTION 'invalid event type "%"', event_type
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'An event type has up to 63 lowercase letters, digits and underscores and starts with a letter, e.g. model_review.';
    END IF;
    IF ethaudit.is_system_event(event_type) THEN
        RAISE EXCEPTION 'event type "%" is reserved for events the extension writes itself', event_type
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Record decisions with ethaudit.record_decision(); choose another name for other events.';
    END IF;
    details := coalesce(details, '{}'::jsonb);
    IF pg_catalog.jsonb_typeof(details) <> 'object' THEN
        RAISE EXCEPTION 'details must be a JSON object, not %', pg_catalog.jsonb_typeof(details)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM ethaudit.check_model_version(model, version);
    PERFORM ethaudit.check_recorder(model);
    PERFORM ethaudit.check_event_size(details);
    RETURN ethaudit.audit_append(event_type, model, version, details, 'user');
END
$$;
COMMENT ON FUNCTION ethaudit.record_event(text, text, jsonb, text) IS
'Records an event in the audit log (origin user) and returns its event_id: event_type (lowercase letters, digits, underscores; not one of the extension''s own), the model (NULL: an event about no model, for the writer and admin roles only), details (a JSON object, up to 1 MB) and optionally the version. Members of the model''s owner role, the writer and the admin may record. Free text in details is stored as given: mask it with mask_text(). SECURITY DEFINER; not executable by PUBLIC.';

CREATE FUNCTION ethaudit.record_decision(model text, decision text, inputs jsonb DEFAULT NULL,
                                         explanation jsonb DEFAULT NULL, controls text[] DEFAULT NULL,
                                         version text DEFAULT NULL, subject text DEFAULT NULL,
                                         note text DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    stage text;
    p record;
    details jsonb;
    subject_key ethaudit.keys;
BEGIN
    IF model IS NULL OR decision IS NULL THEN
        RAISE EXCEPTION 'model and decision must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF pg_catalog.btrim(decision) = '' OR pg_catalog.length(decision) > 200 THEN
        RAISE EXCEPTION 'a decision has 1 to 200 characters' USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Record the outcome, e.g. approved or declined; put the reasons in explanation and note.';
    END IF;
    IF inputs IS NOT NULL AND pg_catalog.jsonb_typeof(inputs) <> 'object' THEN
        RAISE EXCEPTION 'inputs must be a JSON object of field names and values, not %', pg_catalog.jsonb_typeof(inputs)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.unnest(controls) c WHERE c IS NULL OR pg_catalog.btrim(c) = '') THEN
        RAISE EXCEPTION 'controls must not contain NULL or empty names' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    stage := ethaudit.check_model_version(model, version);
    PERFORM ethaudit.check_recorder(model);

    p := ethaudit.apply_privacy(model, inputs);
    IF subject IS NOT NULL THEN
        subject_key := ethaudit.active_key('pseudonym');    -- identifiers of subjects are always pseudonymised
    END IF;
    details := pg_catalog.jsonb_build_object(
        'decision', decision,
        'subject', CASE WHEN subject IS NOT NULL THEN ethaudit.pseudonym_with(subject_key, subject) END,
        'inputs', p.kept,
        'pseudonymised_fields', pg_catalog.to_jsonb(p.pseudonymised),
        'dropped_fields', pg_catalog.to_jsonb(p.dropped),
        'pseudonym_key', coalesce(p.key_id, subject_key.key_id),
        'explanation', explanation,
        'controls', pg_catalog.to_jsonb(controls),
        'note', ethaudit.mask_text(note),
        'stage', stage);
    PERFORM ethaudit.check_event_size(details);
    RETURN ethaudit.audit_append('decision', model, version, details, 'user');
END
$$;
COMMENT ON FUNCTION ethaudit.record_decision(text, text, jsonb, jsonb, text[], text, text, text) IS
'Records a decision of a model in the audit log (event_type decision, origin user) and returns its event_id: the decision, the inputs the model saw after the model''s privacy policy (fields kept, pseudonymised or dropped; the names of the pseudonymised and dropped fields are recorded), the explanation (any JSON, e.g. feature attributions), the controls applied (e.g. {human_review}), the version and its stage, the subject''s identifier (always pseudonymised) and a note (masked with mask_text). Members of the model''s owner role, the writer and the admin may record. SECURITY DEFINER; not executable by PUBLIC.';

-- -------- retention --------

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
CREATE FUNCTION ethaudit.time_base_type(typ regtype)
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
COMMENT ON FUNCTION ethaudit.time_base_type(regtype) IS
'Internal: date, timestamp or timestamptz: the base type of a time column (through domains), or NULL for other types.';

CREATE FUNCTION ethaudit.retention_target(table_name text, time_column name, OUT rel regclass, OUT cmp text)
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
    typ := ethaudit.time_base_type(ethaudit.column_type(rel, time_column));
    IF typ IS NULL THEN
        RAISE EXCEPTION 'column "%" of relation % has type %, but a retention time_column must be date, timestamp or timestamptz',
            time_column, rel, ethaudit.column_type(rel, time_column)
            USING ERRCODE = 'datatype_mismatch';
    END IF;
    -- the cutoff ($1, timestamptz) in the column's own type, so an index on it serves
    cmp := pg_catalog.format('%I < %s', time_column,
        CASE typ WHEN 'timestamptz'::regtype THEN '$1'
                 WHEN 'timestamp'::regtype THEN '($1 AT TIME ZONE ''UTC'')'
                 ELSE '($1 AT TIME ZONE ''UTC'')::date' END);
END
$$;
COMMENT ON FUNCTION ethaudit.retention_target(text, name) IS
'Internal: validates the table and time column of a retention policy (42P01, 42809, 42703, 42804, 22023) and returns the table and the condition that selects expired rows, with the cutoff as $1.';

CREATE FUNCTION ethaudit.validate_retention_policy()
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
CREATE TRIGGER validate_retention_policy BEFORE INSERT OR UPDATE ON ethaudit.retention_policies
    FOR EACH ROW EXECUTE FUNCTION ethaudit.validate_retention_policy();
COMMENT ON TRIGGER validate_retention_policy ON ethaudit.retention_policies IS
'Validates a retention policy before it is written.';
CREATE TRIGGER audit_change AFTER INSERT OR UPDATE OR DELETE ON ethaudit.retention_policies
    FOR EACH ROW EXECUTE FUNCTION ethaudit.audit_config_change('retention_policy');
COMMENT ON TRIGGER audit_change ON ethaudit.retention_policies IS
'Records every change of a retention policy in the audit log.';

-- Deletes the expired history of ethaudit's own tables, writes the
-- checkpoint of the audit log and records the run.  SECURITY DEFINER:
-- evidence is deleted only here.
CREATE FUNCTION ethaudit.retention_purge(dry_run boolean, reported jsonb)
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
        PERFORM ethaudit.retention_target(p.table_name, p.time_column);
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
                    key := ethaudit.active_key('checkpoint');
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
        PERFORM ethaudit.check_event_size(summary);
        PERFORM ethaudit.audit_append('retention_applied', NULL, NULL, summary);
    END IF;
END
$$;
COMMENT ON FUNCTION ethaudit.retention_purge(boolean, jsonb) IS
'Internal part of apply_retention(): applies the enabled policies of ethaudit''s own tables (events of resolved alerts; resolved alerts with their events; results but the first and latest of every alert kept; runs without results; the oldest events of the audit log, behind a new signed checkpoint, and only if the log verifies), then records retention_applied with what it did and the caller''s report on other tables (reported). SECURITY DEFINER; not executable by PUBLIC.';

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

REVOKE EXECUTE ON FUNCTION ethaudit.pseudonymise(text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ethaudit.pseudonymise(text, integer) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ethaudit.pseudonym_with(ethaudit.keys, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ethaudit.apply_privacy(text, jsonb) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ethaudit.record_event(text, text, jsonb, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ethaudit.record_decision(text, text, jsonb, jsonb, text[], text, text, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ethaudit.retention_purge(boolean, jsonb) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ethaudit.apply_retention(boolean) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ethaudit.validate_privacy_policy() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ethaudit.validate_retention_policy() FROM PUBLIC;

SELECT pg_catalog.pg_extension_config_dump('ethaudit.privacy_policies', '');
SELECT pg_catalog.pg_extension_config_dump('ethaudit.retention_policies', '');
