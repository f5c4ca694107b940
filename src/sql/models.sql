-- ====================================================================
-- Governance: the registry of models and their versions
--
--   models           what is audited, and the role that owns it
--   model_versions   the versions of each model and the stage each one
--                    serves in: shadow, canary, live or retired
--   stage_history    when each version served in which stage: the
--                    intervals the runner reads the live versions of a
--                    window from
--   set_stage()      moves a version to another stage, now or at a past time
--
-- Each table is followed by its validation trigger, its audit trigger and
-- its registration with pg_extension_config_dump (pg_dump keeps its rows).
-- ====================================================================

CREATE FUNCTION ethaudit_internal.role_is_valid(role_name name)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT role_name IS NULL
        OR EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = role_name)
$$;
COMMENT ON FUNCTION ethaudit_internal.role_is_valid(name) IS
'Internal: true if the role exists (or is NULL).';

-- -------- models --------

CREATE TABLE ethaudit.models (
    model       text PRIMARY KEY
                CONSTRAINT models_name_check CHECK (model <> '' AND model = pg_catalog.btrim(model) AND pg_catalog.length(model) <= 200),
    description text,
    owner_role  name,
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at  timestamptz
);
COMMENT ON TABLE ethaudit.models IS
'Registry of audited models. Configuration: kept by pg_dump.';
COMMENT ON COLUMN ethaudit.models.model IS 'Name of the model (key): 1 to 200 characters, no leading or trailing spaces.';
COMMENT ON COLUMN ethaudit.models.description IS 'Free text: purpose, training data, intended use.';
COMMENT ON COLUMN ethaudit.models.owner_role IS 'Role that owns the model; the default owner of its thresholds and alerts.';
COMMENT ON COLUMN ethaudit.models.created_at IS 'When the model was registered.';
COMMENT ON COLUMN ethaudit.models.updated_at IS 'When the row was last changed.';

CREATE FUNCTION ethaudit_internal.validate_model()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.model IS NULL OR NEW.model = '' OR NEW.model <> pg_catalog.btrim(NEW.model)
       OR pg_catalog.length(NEW.model) > 200 THEN
        RAISE EXCEPTION 'invalid model name "%"', NEW.model
            USING ERRCODE = 'check_violation',
                  HINT = 'A model name has 1 to 200 characters and no leading or trailing spaces.';
    END IF;
    IF NOT ethaudit_internal.role_is_valid(NEW.owner_role) THEN
        RAISE EXCEPTION 'role "%" does not exist', NEW.owner_role
            USING ERRCODE = 'undefined_object',
                  DETAIL = pg_catalog.format('owner_role of model %s.', NEW.model);
    END IF;
    IF TG_OP = 'UPDATE' THEN
        NEW.updated_at := pg_catalog.now();
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.validate_model() IS
'Trigger function: checks that the owner role of a model exists and stamps updated_at.';
CREATE TRIGGER validate_model BEFORE INSERT OR UPDATE ON ethaudit.models
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.validate_model();
COMMENT ON TRIGGER validate_model ON ethaudit.models IS
'Validates a model before it is written.';

CREATE TRIGGER audit_change AFTER INSERT OR UPDATE OR DELETE ON ethaudit.models
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.audit_config_change('model');
COMMENT ON TRIGGER audit_change ON ethaudit.models IS 'Records every change of a model in the audit log.';

SELECT pg_catalog.pg_extension_config_dump('ethaudit.models', '');

-- -------- model versions --------

CREATE TABLE ethaudit.model_versions (
    model            text NOT NULL REFERENCES ethaudit.models ON UPDATE CASCADE ON DELETE CASCADE,
    version          text NOT NULL
                     CONSTRAINT model_versions_version_check CHECK (version <> '' AND version = pg_catalog.btrim(version) AND pg_catalog.length(version) <= 200),
    stage            text NOT NULL DEFAULT 'shadow'
                     CONSTRAINT model_versions_stage_check CHECK (stage IN ('shadow', 'canary', 'live', 'retired')),
    description      text,
    registered_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    stage_changed_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (model, version)
);
COMMENT ON TABLE ethaudit.model_versions IS
'Versions of each model and the stage they serve in: shadow, canary, live or retired. Configuration: kept by pg_dump.';
COMMENT ON COLUMN ethaudit.model_versions.model IS 'The model (ethaudit.models).';
COMMENT ON COLUMN ethaudit.model_versions.version IS 'Version label, as it appears in the version column of the prediction logs.';
COMMENT ON COLUMN ethaudit.model_versions.stage IS 'shadow, canary, live or retired. Checks pinned to a retired version are not run.';
COMMENT ON COLUMN ethaudit.model_versions.description IS 'Free text: what changed in this version.';
COMMENT ON COLUMN ethaudit.model_versions.registered_at IS 'When the version was registered.';
COMMENT ON COLUMN ethaudit.model_versions.stage_changed_at IS 'When the stage last changed.';

CREATE FUNCTION ethaudit_internal.validate_model_version()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.version IS NULL OR NEW.version = '' OR NEW.version <> pg_catalog.btrim(NEW.version)
       OR pg_catalog.length(NEW.version) > 200 THEN
        RAISE EXCEPTION 'invalid version name "%" for model %', NEW.version, NEW.model
            USING ERRCODE = 'check_violation',
                  HINT = 'A version name has 1 to 200 characters and no leading or trailing spaces.';
    END IF;
    IF NEW.stage IS NULL OR NEW.stage NOT IN ('shadow', 'canary', 'live', 'retired') THEN
        RAISE EXCEPTION 'invalid stage "%" for version % of model %', NEW.stage, NEW.version, NEW.model
            USING ERRCODE = 'check_violation',
                  HINT = 'The stages are shadow, canary, live and retired.';
    END IF;
    -- a stage change is stamped now unless the writer dates it (set_stage's
    -- since): a past time after the version's previous change, never later
    -- than now, so that the stage history stays ordered.  Only a change of
    -- the stage or its date is checked (an edit of the description is not).
    IF TG_OP = 'UPDATE' AND NEW.stage IS DISTINCT FROM OLD.stage
       AND NEW.stage_changed_at IS NOT DISTINCT FROM OLD.stage_changed_at THEN
        NEW.stage_changed_at := pg_catalog.now();
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.stage IS NOT DISTINCT FROM OLD.stage
       AND NEW.stage_changed_at IS NOT DISTINCT FROM OLD.stage_changed_at THEN
        RETURN NEW;
    END IF;
    IF NEW.stage_changed_at IS NULL OR NEW.stage_changed_at > pg_catalog.now() THEN
        RAISE EXCEPTION 'stage_changed_at of version % of model % must not be in the future', NEW.version, NEW.model
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = pg_catalog.format('It is %s.', NEW.stage_changed_at);
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.stage_changed_at < OLD.stage_changed_at THEN
        RAISE EXCEPTION 'stage of version % of model % cannot change at %, before its last change at %',
            NEW.version, NEW.model, NEW.stage_changed_at, OLD.stage_changed_at
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Stage changes are recorded in the order they happened.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.validate_model_version() IS
'Trigger function: checks the stage of a model version and stamps stage_changed_at when it changes (now, unless the change is dated: not in the future, not before the previous change; 22023).';
CREATE TRIGGER validate_model_version BEFORE INSERT OR UPDATE ON ethaudit.model_versions
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.validate_model_version();
COMMENT ON TRIGGER validate_model_version ON ethaudit.model_versions IS
'Validates a model version before it is written.';

CREATE TRIGGER audit_change AFTER INSERT OR UPDATE OR DELETE ON ethaudit.model_versions
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.audit_config_change('model_version');
COMMENT ON TRIGGER audit_change ON ethaudit.model_versions IS 'Records every change of a model version (stage changes as stage_changed) in the audit log.';

SELECT pg_catalog.pg_extension_config_dump('ethaudit.model_versions', '');

-- -------- stage history --------

CREATE TABLE ethaudit.stage_history (
    interval_id  bigserial PRIMARY KEY,
    model        text NOT NULL,
    version      text NOT NULL,
    stage        text NOT NULL
                 CONSTRAINT stage_history_stage_check CHECK (stage IN ('shadow', 'canary', 'live', 'retired')),
    valid_from   timestamptz NOT NULL,
    valid_to     timestamptz,
    CONSTRAINT stage_history_interval_check CHECK (valid_to >= valid_from)
);
CREATE UNIQUE INDEX stage_history_current ON ethaudit.stage_history (model, version) WHERE valid_to IS NULL;
CREATE INDEX stage_history_model_idx ON ethaudit.stage_history (model, valid_from);
COMMENT ON INDEX ethaudit.stage_history_current IS 'One current stage per version.';
COMMENT ON INDEX ethaudit.stage_history_model_idx IS 'The stages of a model''s versions over a window.';
COMMENT ON SEQUENCE ethaudit.stage_history_interval_id_seq IS 'Identifiers of stage intervals.';
COMMENT ON TABLE ethaudit.stage_history IS
'When each model version served in which stage: one row per interval [valid_from, valid_to), valid_to NULL for the current stage. Written only by the trigger on model_versions (set_stage, or dated stage changes); the runner reads the versions of a window from it when a check has no version column. Kept when a version is deleted. History: kept by pg_dump.';
COMMENT ON COLUMN ethaudit.stage_history.interval_id IS 'Identifier (key).';
COMMENT ON COLUMN ethaudit.stage_history.model IS 'The model.';
COMMENT ON COLUMN ethaudit.stage_history.version IS 'The version.';
COMMENT ON COLUMN ethaudit.stage_history.stage IS 'shadow, canary, live or retired.';
COMMENT ON COLUMN ethaudit.stage_history.valid_from IS 'When the version entered the stage (its stage_changed_at).';
COMMENT ON COLUMN ethaudit.stage_history.valid_to IS 'When it left it (exclusive); NULL while it is the current stage.';

CREATE FUNCTION ethaudit_internal.record_stage_interval()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a ethaudit.alerts;
BEGIN
    IF ethaudit_internal.restoring() THEN
        RETURN NULL;            -- a restore loads the history itself
    END IF;
    IF TG_OP = 'DELETE' THEN
        -- a deleted version keeps its history, which ends now
        UPDATE ethaudit.stage_history h SET valid_to = GREATEST(h.valid_from, pg_catalog.now())
        WHERE h.model = OLD.model AND h.version = OLD.version AND h.valid_to IS NULL;
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' AND (NEW.model, NEW.version) IS DISTINCT FROM (OLD.model, OLD.version) THEN
        -- a renamed model or version keeps its history
        UPDATE ethaudit.stage_history h SET model = NEW.model, version = NEW.version
        WHERE h.model = OLD.model AND h.version = OLD.version;
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.stage IS NOT DISTINCT FROM OLD.stage THEN
        RETURN NULL;
    END IF;
    UPDATE ethaudit.stage_history h SET valid_to = NEW.stage_changed_at
    WHERE h.model = NEW.model AND h.version = NEW.version AND h.valid_to IS NULL;
    INSERT INTO ethaudit.stage_history (model, version, stage, valid_from)
    VALUES (NEW.model, NEW.version, NEW.stage, NEW.stage_changed_at);
    IF NEW.stage = 'retired' THEN
        -- a retired version produces no more rows: its alerts end with it
        FOR a IN
            UPDATE ethaudit.alerts x SET status = 'resolved', resolved_at = pg_catalog.clock_timestamp(),
                                         resolution = 'automatic',
                                         resolution_note = pg_catalog.format('version %s retired', NEW.version)
            WHERE x.model = NEW.model AND x.model_version = NEW.version AND x.status <> 'resolved'
            RETURNING x.*
        LOOP
            PERFORM ethaudit_internal.log_alert_event(a, 'resolved', NULL, a.resolution_note);
            PERFORM ethaudit_internal.notify_alert(a, 'resolved');
        END LOOP;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.record_stage_interval() IS
'Trigger function (AFTER INSERT, UPDATE or DELETE on model_versions): closes the current interval of the version in ethaudit.stage_history and opens one for its new stage, from stage_changed_at (a deleted version''s ends now); a version that retires resolves its open alerts. A restore writes nothing. SECURITY DEFINER: the history is written only here.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.record_stage_interval() FROM PUBLIC;
CREATE TRIGGER record_stage_interval AFTER INSERT OR UPDATE OR DELETE ON ethaudit.model_versions
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.record_stage_interval();
COMMENT ON TRIGGER record_stage_interval ON ethaudit.model_versions IS
'Keeps ethaudit.stage_history: every stage a version served in, and when.';

CREATE TRIGGER audit_delete AFTER DELETE ON ethaudit.stage_history
    REFERENCING OLD TABLE AS ethaudit_old FOR EACH STATEMENT EXECUTE FUNCTION ethaudit_internal.audit_history_change();
CREATE TRIGGER audit_truncate AFTER TRUNCATE ON ethaudit.stage_history
    FOR EACH STATEMENT EXECUTE FUNCTION ethaudit_internal.audit_history_change();
COMMENT ON TRIGGER audit_delete ON ethaudit.stage_history IS 'Records deletions of stage intervals in the audit log.';
COMMENT ON TRIGGER audit_truncate ON ethaudit.stage_history IS 'Records TRUNCATE of the stage history in the audit log.';

SELECT pg_catalog.pg_extension_config_dump('ethaudit.stage_history', '');
SELECT pg_catalog.pg_extension_config_dump('ethaudit.stage_history_interval_id_seq', '');

-- The versions of a model in given stages during [window_start, window_end)
-- (window_end included for windows of rows, whose end is their last row),
-- as "version (stage)" items in the order they entered.
CREATE FUNCTION ethaudit_internal.versions_during(model text, stages text[], window_start timestamptz,
                                                  window_end timestamptz, end_included boolean)
RETURNS TABLE (version text, stage text)
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT h.version, h.stage
    FROM ethaudit.stage_history h
    WHERE h.model = versions_during.model AND h.stage = ANY (stages)
      AND (h.valid_from < window_end OR (end_included AND h.valid_from = window_end))
      AND (h.valid_to IS NULL OR h.valid_to > window_start)
      AND (h.valid_to IS NULL OR h.valid_to > h.valid_from)   -- a stage left at once never served
    GROUP BY h.version, h.stage
    ORDER BY min(h.valid_from), h.version, h.stage
$$;
COMMENT ON FUNCTION ethaudit_internal.versions_during(text, text[], timestamptz, timestamptz, boolean) IS
'Internal: the versions of a model that were in one of the given stages at some time in [window_start, window_end) (window_end included when end_included), with the stage, from ethaudit.stage_history.';

CREATE FUNCTION ethaudit.set_stage(model text, version text, stage text, since timestamptz DEFAULT NULL)
RETURNS ethaudit.model_versions
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result ethaudit.model_versions;
    last_change timestamptz;
BEGIN
    IF model IS NULL OR version IS NULL OR stage IS NULL THEN
        RAISE EXCEPTION 'model, version and stage must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT v.stage_changed_at INTO last_change FROM ethaudit.model_versions v
    WHERE v.model = set_stage.model AND v.version = set_stage.version AND v.stage IS DISTINCT FROM set_stage.stage;
    IF since <= last_change THEN
        RAISE EXCEPTION 'stage of version % of model % cannot change at %, not after its last change at %',
            version, model, since, last_change
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Stage changes are recorded in the order they happened.';
    END IF;
    UPDATE ethaudit.model_versions v
    SET stage = set_stage.stage,
        stage_changed_at = CASE WHEN set_stage.since IS NOT NULL AND v.stage IS DISTINCT FROM set_stage.stage
                                THEN set_stage.since ELSE v.stage_changed_at END
    WHERE v.model = set_stage.model AND v.version = set_stage.version
    RETURNING v.* INTO result;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'version % of model % is not registered', version, model
            USING ERRCODE = 'undefined_object',
                  HINT = 'Register it first: INSERT INTO ethaudit.model_versions (model, version, stage) VALUES (...).';
    END IF;
    RETURN result;
END
$$;
COMMENT ON FUNCTION ethaudit.set_stage(text, text, text, timestamptz) IS
'Moves a registered model version to another stage (shadow, canary, live, retired) and returns the updated row. since dates the change in the past (default now), e.g. to record when a version went live before ethaudit was set up; it must not be in the future and must be after the version''s previous change (22023). Retiring a version resolves its open alerts. Every change is kept in ethaudit.stage_history and the audit log.';
REVOKE EXECUTE ON FUNCTION ethaudit.set_stage(text, text, text, timestamptz) FROM PUBLIC;
