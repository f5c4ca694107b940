-- ====================================================================
-- Governance: the registry of models and their versions
--
--   models           what is audited, and the role that owns it
--   model_versions   the versions of each model and the stage each one
--                    serves in: shadow, canary, live or retired
--   set_stage()      moves a version to another stage
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
    IF TG_OP = 'UPDATE' AND NEW.stage IS DISTINCT FROM OLD.stage THEN
        NEW.stage_changed_at := pg_catalog.now();
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.validate_model_version() IS
'Trigger function: checks the stage of a model version and stamps stage_changed_at when it changes.';
CREATE TRIGGER validate_model_version BEFORE INSERT OR UPDATE ON ethaudit.model_versions
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.validate_model_version();
COMMENT ON TRIGGER validate_model_version ON ethaudit.model_versions IS
'Validates a model version before it is written.';

CREATE TRIGGER audit_change AFTER INSERT OR UPDATE OR DELETE ON ethaudit.model_versions
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.audit_config_change('model_version');
COMMENT ON TRIGGER audit_change ON ethaudit.model_versions IS 'Records every change of a model version (stage changes as stage_changed) in the audit log.';

SELECT pg_catalog.pg_extension_config_dump('ethaudit.model_versions', '');

CREATE FUNCTION ethaudit.set_stage(model text, version text, stage text)
RETURNS ethaudit.model_versions
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result ethaudit.model_versions;
BEGIN
    IF model IS NULL OR version IS NULL OR stage IS NULL THEN
        RAISE EXCEPTION 'model, version and stage must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    UPDATE ethaudit.model_versions v SET stage = set_stage.stage
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
COMMENT ON FUNCTION ethaudit.set_stage(text, text, text) IS
'Moves a registered model version to another stage (shadow, canary, live, retired) and returns the updated row.';
REVOKE EXECUTE ON FUNCTION ethaudit.set_stage(text, text, text) FROM PUBLIC;
