-- ====================================================================
-- Governance: thresholds, and the rule that judges a value by them
--
--   thresholds   warn / critical levels, direction, owner and response
--                time of a check
--   classify()   ok, warning or critical: the status rule of the runner
--                and the alert engine
-- ====================================================================

CREATE TABLE ethaudit.thresholds (
    check_id               bigint PRIMARY KEY REFERENCES ethaudit.checks ON DELETE CASCADE,
    warn                   double precision,
    critical               double precision,
    direction              text NOT NULL
                           CONSTRAINT thresholds_direction_check CHECK (direction IN ('above', 'below')),
    owner_role             name,
    response_time          interval NOT NULL DEFAULT '1 day',
    critical_response_time interval,
    resolve_after          integer NOT NULL DEFAULT 3
                           CONSTRAINT thresholds_resolve_after_check CHECK (resolve_after >= 1),
    notes                  text,
    updated_at             timestamptz,
    broken_after           integer NOT NULL DEFAULT 3
                           CONSTRAINT thresholds_broken_after_check CHECK (broken_after >= 1),
    kind                   text NOT NULL DEFAULT 'fixed'
                           CONSTRAINT thresholds_kind_check CHECK (kind IN ('fixed', 'history_sigma', 'history_change')),
    history_size           integer NOT NULL DEFAULT 10
                           CONSTRAINT thresholds_history_size_check CHECK (history_size BETWEEN 1 AND 10000),
    min_history            integer NOT NULL DEFAULT 3
                           CONSTRAINT thresholds_min_history_check CHECK (min_history >= 1 AND min_history <= history_size),
    CONSTRAINT thresholds_level_check CHECK (warn IS NOT NULL OR critical IS NOT NULL)
);
COMMENT ON TABLE ethaudit.thresholds IS
'Alert levels of a check: a value strictly beyond warn is a warning, strictly beyond critical is critical. The levels are fixed numbers (kind fixed) or computed at each run from the check''s own earlier results (history_sigma, history_change). Configuration: kept by pg_dump.';
COMMENT ON COLUMN ethaudit.thresholds.check_id IS 'The check (ethaudit.checks).';
COMMENT ON COLUMN ethaudit.thresholds.warn IS 'Warning level (NULL: no warning level). history_sigma: the number of standard deviations from the mean of the history; history_change: the relative change from that mean (0.1: 10%).';
COMMENT ON COLUMN ethaudit.thresholds.critical IS 'Critical level (NULL: no critical level). Must be more severe than warn (for the history kinds: larger).';
COMMENT ON COLUMN ethaudit.thresholds.direction IS 'above: values above the levels are bad; below: values below them are. Defaults to the metric''s direction.';
COMMENT ON COLUMN ethaudit.thresholds.owner_role IS 'Role that answers the alerts of the check; defaults to the owner of the model.';
COMMENT ON COLUMN ethaudit.thresholds.response_time IS 'An alert is due this long after it opens.';
COMMENT ON COLUMN ethaudit.thresholds.critical_response_time IS 'Due time of a critical alert, from when it opens or escalates (default: response_time).';
COMMENT ON COLUMN ethaudit.thresholds.resolve_after IS 'An open alert resolves itself after this many consecutive ok results.';
COMMENT ON COLUMN ethaudit.thresholds.notes IS 'Free text: why these levels.';
COMMENT ON COLUMN ethaudit.thresholds.updated_at IS 'When the row was last changed.';
COMMENT ON COLUMN ethaudit.thresholds.kind IS 'fixed: warn and critical are the levels; history_sigma: the levels are mean ± k·σ of the check''s last history_size values (k = warn, critical; σ the population standard deviation), on the bad side of direction; history_change: mean ± r·|mean| (r = warn, critical). Computed at each evaluation from the results of earlier windows and recorded with the result.';
COMMENT ON COLUMN ethaudit.thresholds.history_size IS 'History kinds: how many earlier results (one per window, the latest of each) the levels come from.';
COMMENT ON COLUMN ethaudit.thresholds.min_history IS 'History kinds: with fewer earlier results than this, a value is not judged (status insufficient_data, with a message that says so). At least 2 for history_sigma.';
COMMENT ON COLUMN ethaudit.thresholds.broken_after IS 'This many consecutive live results with status error open a check_broken alert (a check without thresholds uses 3).';

CREATE FUNCTION ethaudit_internal.validate_threshold()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c record;
BEGIN
    SELECT ch.check_name, ch.metric, mc.default_direction, mo.owner_role INTO c
    FROM ethaudit.checks ch
    JOIN ethaudit.models mo ON mo.model = ch.model
    LEFT JOIN ethaudit.metric_catalog mc ON mc.metric = ch.metric
    WHERE ch.check_id = NEW.check_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'check % does not exist', NEW.check_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    NEW.direction := coalesce(NEW.direction, c.default_direction);
    NEW.owner_role := coalesce(NEW.owner_role, c.owner_role);
    IF NEW.direction NOT IN ('above', 'below') THEN
        RAISE EXCEPTION 'invalid direction "%" for check %', NEW.direction, c.check_name
            USING ERRCODE = 'check_violation',
                  HINT = 'above: high values are bad; below: low values are bad.';
    END IF;
    IF NEW.warn IS NULL AND NEW.critical IS NULL THEN
        RAISE EXCEPTION 'thresholds of check % need warn, critical or both', c.check_name
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.warn = 'NaN'::float8 OR NEW.critical = 'NaN'::float8 THEN
        RAISE EXCEPTION 'thresholds of check % must not be NaN', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NEW.kind <> 'fixed' THEN
        -- the history kinds: warn and critical are multipliers, the
        -- larger one the more severe, whatever the direction
        IF NEW.warn < 0 OR NEW.critical < 0 OR NEW.warn = 'Infinity'::float8 OR NEW.critical = 'Infinity'::float8 THEN
            RAISE EXCEPTION 'warn and critical of check % must be finite and not negative for kind %', c.check_name, NEW.kind
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = CASE NEW.kind WHEN 'history_sigma' THEN 'They count standard deviations from the mean of the history (NannyML''s default is 3).'
                                   ELSE 'They are relative changes from the mean of the history (0.1 is 10%).' END;
        END IF;
        IF NEW.warn >= NEW.critical THEN
            RAISE EXCEPTION 'warn (%) must be below critical (%) for check %, whose thresholds are of kind %',
                NEW.warn, NEW.critical, c.check_name, NEW.kind
                USING ERRCODE = 'check_violation',
                      HINT = 'For the history kinds the larger multiplier is the more severe level.';
        END IF;
        IF NEW.kind = 'history_sigma' AND NEW.min_history < 2 THEN
            RAISE EXCEPTION 'min_history of check % must be at least 2 for kind history_sigma', c.check_name
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'A standard deviation needs two values.';
        END IF;
    ELSIF NEW.direction = 'above' AND NEW.warn >= NEW.critical THEN
        RAISE EXCEPTION 'warn (%) must be below critical (%) for check %, whose direction is above',
            NEW.warn, NEW.critical, c.check_name
            USING ERRCODE = 'check_violation',
                  HINT = 'warn is the less severe level.';
    ELSIF NEW.direction = 'below' AND NEW.warn <= NEW.critical THEN
        RAISE EXCEPTION 'warn (%) must be above critical (%) for check %, whose direction is below',
            NEW.warn, NEW.critical, c.check_name
            USING ERRCODE = 'check_violation',
                  HINT = 'warn is the less severe level.';
    END IF;
    IF NOT ethaudit_internal.role_is_valid(NEW.owner_role) THEN
        RAISE EXCEPTION 'role "%" does not exist', NEW.owner_role
            USING ERRCODE = 'undefined_object',
                  DETAIL = pg_catalog.format('owner_role of the thresholds of check %s.', c.check_name);
    END IF;
    IF NEW.response_time IS NULL OR NEW.response_time <= interval '0'
       OR NEW.critical_response_time <= interval '0' THEN
        RAISE EXCEPTION 'response times of check % must be positive', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        NEW.updated_at := pg_catalog.now();
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.validate_threshold() IS
'Trigger function: validates thresholds (warn less severe than critical, no NaN, for the history kinds multipliers that are finite and not negative, owner role exists, positive response times) and fills in the default direction and owner.';
CREATE TRIGGER validate_threshold BEFORE INSERT OR UPDATE ON ethaudit.thresholds
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.validate_threshold();
COMMENT ON TRIGGER validate_threshold ON ethaudit.thresholds IS
'Validates thresholds before they are written.';

CREATE TRIGGER audit_change AFTER INSERT OR UPDATE OR DELETE ON ethaudit.thresholds
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.audit_config_change('threshold');
COMMENT ON TRIGGER audit_change ON ethaudit.thresholds IS 'Records every change of thresholds in the audit log.';

SELECT pg_catalog.pg_extension_config_dump('ethaudit.thresholds', '');

-- -------- the status rule --------

CREATE FUNCTION ethaudit.classify(value double precision, warn double precision,
                                  critical double precision, direction text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE
        WHEN value IS NULL OR value = 'NaN'::float8 THEN 'insufficient_data'
        WHEN direction = 'above' AND value > critical THEN 'critical'
        WHEN direction = 'above' AND value > warn THEN 'warning'
        WHEN direction = 'below' AND value < critical THEN 'critical'
        WHEN direction = 'below' AND value < warn THEN 'warning'
        ELSE 'ok'
    END
$$;
COMMENT ON FUNCTION ethaudit.classify(double precision, double precision, double precision, text) IS
'Status of a value against thresholds: critical if strictly beyond critical, warning if strictly beyond warn (in the given direction), ok otherwise; insufficient_data for NULL or NaN.';
