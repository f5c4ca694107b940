-- ====================================================================
-- Security: events recorded by users
--
--   record_decision()    records a decision with what the model saw (after
--                        the model's privacy policy), its explanation and
--                        the controls applied
--   record_event()       records any other event of a model
--
-- Both append to the audit log (audit_chain.sql) with origin user, in the
-- name of the session's role.
-- ====================================================================

CREATE FUNCTION ethaudit_internal.is_system_event(event_type text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT event_type IN ('stage_changed', 'retention_applied', 'decision', 'key_retired')
        OR event_type ~ '^(model|model_version|check|threshold|baseline|privacy_policy|retention_policy|security_role|key)_(created|changed|deleted)$'
        OR event_type ~ '^(alert|history)_'
$$;
COMMENT ON FUNCTION ethaudit_internal.is_system_event(text) IS
'True for the event types the extension writes itself (<object>_created, _changed, _deleted, stage_changed, key_retired, alert_*, history_*, retention_applied) and decision, which record_event() does not accept.';

-- who may record an event of a model: its owners, the writer, the admin
CREATE FUNCTION ethaudit_internal.check_recorder(model text)
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
COMMENT ON FUNCTION ethaudit_internal.check_recorder(text) IS
'Internal: raises 42501 unless the session role may record events of the model: a member of its owner role, of the writer or admin role (any model, or none), or a superuser.';

CREATE FUNCTION ethaudit_internal.check_model_version(model text, version text, OUT stage text)
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
COMMENT ON FUNCTION ethaudit_internal.check_model_version(text, text) IS
'Internal: raises 42704 unless the model (and the version, if given) is registered; returns the version''s stage.';

CREATE FUNCTION ethaudit_internal.check_event_size(details jsonb)
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
COMMENT ON FUNCTION ethaudit_internal.check_event_size(jsonb) IS
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
    IF ethaudit_internal.is_system_event(event_type) THEN
        RAISE EXCEPTION 'event type "%" is reserved for events the extension writes itself', event_type
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Record decisions with ethaudit.record_decision(); choose another name for other events.';
    END IF;
    details := coalesce(details, '{}'::jsonb);
    IF pg_catalog.jsonb_typeof(details) <> 'object' THEN
        RAISE EXCEPTION 'details must be a JSON object, not %', pg_catalog.jsonb_typeof(details)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM ethaudit_internal.check_model_version(model, version);
    PERFORM ethaudit_internal.check_recorder(model);
    PERFORM ethaudit_internal.check_event_size(details);
    RETURN ethaudit_internal.audit_append(event_type, model, version, details, 'user');
END
$$;
COMMENT ON FUNCTION ethaudit.record_event(text, text, jsonb, text) IS
'Records an event in the audit log (origin user) and returns its event_id: event_type (lowercase letters, digits, underscores; not one of the extension''s own), the model (NULL: an event about no model, for the writer and admin roles only), details (a JSON object, up to 1 MB) and optionally the version. Members of the model''s owner role, the writer and the admin may record. Free text in details is stored as given: mask it with mask_text(). SECURITY DEFINER; not executable by PUBLIC.';
REVOKE EXECUTE ON FUNCTION ethaudit.record_event(text, text, jsonb, text) FROM PUBLIC;

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
    stage := ethaudit_internal.check_model_version(model, version);
    PERFORM ethaudit_internal.check_recorder(model);

    p := ethaudit_internal.apply_privacy(model, inputs);
    IF subject IS NOT NULL THEN
        subject_key := ethaudit_internal.active_key('pseudonym');    -- identifiers of subjects are always pseudonymised
    END IF;
    details := pg_catalog.jsonb_build_object(
        'decision', decision,
        'subject', CASE WHEN subject IS NOT NULL THEN ethaudit_internal.pseudonym_with(subject_key, subject) END,
        'inputs', p.kept,
        'pseudonymised_fields', pg_catalog.to_jsonb(p.pseudonymised),
        'dropped_fields', pg_catalog.to_jsonb(p.dropped),
        'pseudonym_key', coalesce(p.key_id, subject_key.key_id),
        'explanation', explanation,
        'controls', pg_catalog.to_jsonb(controls),
        'note', ethaudit.mask_text(note),
        'stage', stage);
    PERFORM ethaudit_internal.check_event_size(details);
    RETURN ethaudit_internal.audit_append('decision', model, version, details, 'user');
END
$$;
COMMENT ON FUNCTION ethaudit.record_decision(text, text, jsonb, jsonb, text[], text, text, text) IS
'Records a decision of a model in the audit log (event_type decision, origin user) and returns its event_id: the decision, the inputs the model saw after the model''s privacy policy (fields kept, pseudonymised or dropped; the names of the pseudonymised and dropped fields are recorded), the explanation (any JSON, e.g. feature attributions), the controls applied (e.g. {human_review}), the version and its stage, the subject''s identifier (always pseudonymised) and a note (masked with mask_text). Members of the model''s owner role, the writer and the admin may record. SECURITY DEFINER; not executable by PUBLIC.';
REVOKE EXECUTE ON FUNCTION ethaudit.record_decision(text, text, jsonb, jsonb, text[], text, text, text) FROM PUBLIC;
