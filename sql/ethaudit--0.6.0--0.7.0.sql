-- ethaudit 0.6.0 -> 0.7.0 (ALTER EXTENSION ethaudit UPDATE TO '0.7.0').
--
-- Reviewed by hand: every statement keeps the rows of the audit log, the
-- results, the alerts and the configuration (doc/releasing.md).  0.7.0 adds
-- thresholds computed from a check's own history: three columns at the end
-- of ethaudit.thresholds (existing rows are fixed levels, as they were), two
-- at the end of ethaudit.results (NULL for every result before: they were
-- judged by fixed levels, and keep the encoding they were recorded with), an
-- index, the judging function, and the functions and views that use it.
-- The result must equal a fresh 0.7.0 install, which test/upgrade/run.sh
-- checks.

\echo Use "ALTER EXTENSION ethaudit UPDATE TO '0.7.0'" to load this file. \quit

-- ---------------------------------------------------------------------------
-- Thresholds of kind history_sigma and history_change (src/sql/thresholds.sql).
-- ---------------------------------------------------------------------------

ALTER TABLE ethaudit.thresholds
    ADD COLUMN kind text NOT NULL DEFAULT 'fixed'
        CONSTRAINT thresholds_kind_check CHECK (kind IN ('fixed', 'history_sigma', 'history_change')),
    ADD COLUMN history_size integer NOT NULL DEFAULT 10
        CONSTRAINT thresholds_history_size_check CHECK (history_size BETWEEN 1 AND 10000),
    ADD COLUMN min_history integer NOT NULL DEFAULT 3
        CONSTRAINT thresholds_min_history_check CHECK (min_history >= 1 AND min_history <= history_size);
COMMENT ON TABLE ethaudit.thresholds IS
'Alert levels of a check: a value strictly beyond warn is a warning, strictly beyond critical is critical. The levels are fixed numbers (kind fixed) or computed at each run from the check''s own earlier results (history_sigma, history_change). Configuration: kept by pg_dump.';
COMMENT ON COLUMN ethaudit.thresholds.warn IS 'Warning level (NULL: no warning level). history_sigma: the number of standard deviations from the mean of the history; history_change: the relative change from that mean (0.1: 10%).';
COMMENT ON COLUMN ethaudit.thresholds.critical IS 'Critical level (NULL: no critical level). Must be more severe than warn (for the history kinds: larger).';
COMMENT ON COLUMN ethaudit.thresholds.kind IS 'fixed: warn and critical are the levels; history_sigma: the levels are mean ± k·σ of the check''s last history_size values (k = warn, critical; σ the population standard deviation), on the bad side of direction; history_change: mean ± r·|mean| (r = warn, critical). Computed at each evaluation from the results of earlier windows and recorded with the result.';
COMMENT ON COLUMN ethaudit.thresholds.history_size IS 'History kinds: how many earlier results (one per window, the latest of each) the levels come from.';
COMMENT ON COLUMN ethaudit.thresholds.min_history IS 'History kinds: with fewer earlier results than this, a value is not judged (status insufficient_data, with a message that says so). At least 2 for history_sigma.';

CREATE OR REPLACE FUNCTION ethaudit_internal.validate_threshold()
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

-- ---------------------------------------------------------------------------
-- Results record how their levels were computed (src/sql/results.sql).
-- ---------------------------------------------------------------------------

ALTER TABLE ethaudit.results
    ADD COLUMN threshold_kind text
        CONSTRAINT results_threshold_kind_check CHECK (threshold_kind IN ('history_sigma', 'history_change')),
    ADD COLUMN history_n integer;
COMMENT ON COLUMN ethaudit.results.threshold_kind IS 'history_sigma or history_change when warn and critical were computed from the check''s own history (ethaudit.thresholds.kind); NULL for fixed levels and before 0.7.0.';
COMMENT ON COLUMN ethaudit.results.history_n IS 'With threshold_kind: how many earlier results the levels came from (fewer than min_history: the value was not judged, status insufficient_data).';
CREATE INDEX results_check_window_idx ON ethaudit.results (check_id, window_end, window_start, result_id);
COMMENT ON INDEX ethaudit.results_check_window_idx IS 'Latest windows of a check: the history that thresholds of the history kinds are computed from.';

CREATE FUNCTION ethaudit_internal.judge(th ethaudit.thresholds, r ethaudit.results,
                                        OUT status text, OUT warn double precision,
                                        OUT critical double precision, OUT threshold_kind text,
                                        OUT history_n integer, OUT note text)
LANGUAGE plpgsql STABLE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m double precision;
    sd double precision;
    wk double precision;
    side double precision := CASE WHEN th.direction = 'below' THEN -1 ELSE 1 END;
    vals double precision[] := '{}';
    x record;
    prev_start timestamptz;
    prev_end timestamptz;
    first boolean := true;
BEGIN
    IF th.kind IS NULL OR th.kind = 'fixed' THEN
        status := ethaudit.classify(r.value, th.warn, th.critical, th.direction);
        warn := th.warn;
        critical := th.critical;
        RETURN;
    END IF;
    threshold_kind := th.kind;
    -- newest window first, the latest result of a window first: the scan
    -- (results_check_window_idx) stops after history_size windows
    FOR x IN SELECT y.value, y.window_start, y.window_end FROM ethaudit.results y
             WHERE y.check_id = r.check_id AND y.result_id <> r.result_id
               AND y.value IS NOT NULL AND y.value <> 'NaN'::float8
               AND (y.status IN ('ok', 'warning', 'critical')
                    OR y.status = 'insufficient_data' AND y.history_n IS NOT NULL)
               AND (r.version_source IS NULL OR r.version_source NOT IN ('check', 'data')
                    OR y.model_version IS NOT DISTINCT FROM r.model_version)
               AND (y.window_end < r.window_end OR r.window_end IS NULL AND y.result_id < r.result_id)
             ORDER BY y.check_id DESC, y.window_end DESC, y.window_start DESC, y.result_id DESC LOOP
        CONTINUE WHEN NOT first AND x.window_end IS NOT DISTINCT FROM prev_end
                      AND x.window_start IS NOT DISTINCT FROM prev_start;
        first := false;
        prev_start := x.window_start;
        prev_end := x.window_end;
        vals := vals || x.value;
        EXIT WHEN cardinality(vals) >= th.history_size;
    END LOOP;
    history_n := cardinality(vals);
    SELECT avg(v), stddev_pop(v) INTO m, sd FROM unnest(vals) v;
    IF history_n < th.min_history THEN
        status := 'insufficient_data';
        note := format('%s earlier results, fewer than min_history (%s): the levels of kind %s come from the check''s own history',
                       history_n, th.min_history, th.kind);
        RETURN;
    END IF;
    IF th.kind = 'history_sigma' THEN
        wk := sd;
    ELSE
        wk := abs(m);
    END IF;
    warn := m + side * th.warn * wk;
    critical := m + side * th.critical * wk;
    status := ethaudit.classify(r.value, warn, critical, th.direction);
END
$$;
COMMENT ON FUNCTION ethaudit_internal.judge(ethaudit.thresholds, ethaudit.results) IS
'Internal: the status of a result''s value and the levels it was judged by: the fixed levels of its thresholds, or (history_sigma, history_change) levels computed from the check''s last history_size earlier results, one per window, of windows ending before the result''s (insufficient_data with a note below min_history).';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.judge(ethaudit.thresholds, ethaudit.results) FROM PUBLIC;

CREATE OR REPLACE FUNCTION ethaudit.result_encoding(r ethaudit.results)
RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET extra_float_digits = 1
AS $$
    -- the fields written out, as in audit_encoding(): one call per result
    -- instead of one per field (each run hashes all of its results)
    SELECT pg_catalog.convert_to(
        CASE WHEN f.v3 THEN 'ethaudit.results/3;' WHEN f.v2 THEN 'ethaudit.results/2;' ELSE 'ethaudit.results/1;' END
        || pg_catalog.concat(
            CASE WHEN f.result_id IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.result_id, 'UTF8')) || ':' || f.result_id || ',' END,
            CASE WHEN f.run_id IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.run_id, 'UTF8')) || ':' || f.run_id || ',' END,
            CASE WHEN f.check_id IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.check_id, 'UTF8')) || ':' || f.check_id || ',' END,
            CASE WHEN f.model IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.model, 'UTF8')) || ':' || f.model || ',' END,
            CASE WHEN f.model_version IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.model_version, 'UTF8')) || ':' || f.model_version || ',' END,
            CASE WHEN f.metric IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.metric, 'UTF8')) || ':' || f.metric || ',' END,
            CASE WHEN f.value IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.value, 'UTF8')) || ':' || f.value || ',' END,
            CASE WHEN f.status IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.status, 'UTF8')) || ':' || f.status || ',' END,
            CASE WHEN f.n_current IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.n_current, 'UTF8')) || ':' || f.n_current || ',' END,
            CASE WHEN f.n_reference IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.n_reference, 'UTF8')) || ':' || f.n_reference || ',' END,
            CASE WHEN f.window_start IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.window_start, 'UTF8')) || ':' || f.window_start || ',' END,
            CASE WHEN f.window_end IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.window_end, 'UTF8')) || ':' || f.window_end || ',' END,
            CASE WHEN f.reference_start IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.reference_start, 'UTF8')) || ':' || f.reference_start || ',' END,
            CASE WHEN f.reference_end IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.reference_end, 'UTF8')) || ':' || f.reference_end || ',' END,
            CASE WHEN f.warn IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.warn, 'UTF8')) || ':' || f.warn || ',' END,
            CASE WHEN f.critical IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.critical, 'UTF8')) || ':' || f.critical || ',' END,
            CASE WHEN f.direction IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.direction, 'UTF8')) || ':' || f.direction || ',' END,
            CASE WHEN f.error_sqlstate IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.error_sqlstate, 'UTF8')) || ':' || f.error_sqlstate || ',' END,
            CASE WHEN f.message IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.message, 'UTF8')) || ':' || f.message || ',' END,
            CASE WHEN f.evaluated_at IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.evaluated_at, 'UTF8')) || ':' || f.evaluated_at || ',' END,
            CASE WHEN f.duration IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.duration, 'UTF8')) || ':' || f.duration || ',' END,
            CASE WHEN f.alert_applied IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.alert_applied, 'UTF8')) || ':' || f.alert_applied || ',' END)
        || CASE WHEN f.v2 THEN pg_catalog.concat(
            CASE WHEN f.version_source IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.version_source, 'UTF8')) || ':' || f.version_source || ',' END,
            CASE WHEN f.mixed_versions IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.mixed_versions, 'UTF8')) || ':' || f.mixed_versions || ',' END,
            CASE WHEN f.replayed IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.replayed, 'UTF8')) || ':' || f.replayed || ',' END,
            CASE WHEN f.labelled_share IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.labelled_share, 'UTF8')) || ':' || f.labelled_share || ',' END)
           ELSE '' END
        || CASE WHEN f.v3 THEN pg_catalog.concat(
            CASE WHEN f.threshold_kind IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.threshold_kind, 'UTF8')) || ':' || f.threshold_kind || ',' END,
            CASE WHEN f.history_n IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.history_n, 'UTF8')) || ':' || f.history_n || ',' END)
           ELSE '' END,
        'UTF8')
    FROM (SELECT r.result_id::text AS result_id, r.run_id::text AS run_id, r.check_id::text AS check_id,
                 r.model, r.model_version, r.metric, r.value::text AS value, r.status,
                 r.n_current::text AS n_current, r.n_reference::text AS n_reference,
                 pg_catalog.to_char(r.window_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS window_start,
                 pg_catalog.to_char(r.window_end AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS window_end,
                 pg_catalog.to_char(r.reference_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS reference_start,
                 pg_catalog.to_char(r.reference_end AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS reference_end,
                 r.warn::text AS warn, r.critical::text AS critical, r.direction, r.error_sqlstate,
                 r.message,
                 pg_catalog.to_char(r.evaluated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS evaluated_at,
                 (EXTRACT(epoch FROM r.duration))::text AS duration, r.alert_applied::text AS alert_applied,
                 r.version_source, r.mixed_versions::text AS mixed_versions, r.replayed::text AS replayed,
                 r.labelled_share::text AS labelled_share,
                 r.threshold_kind, r.history_n::text AS history_n,
                 -- the columns of 0.4.0 are encoded (version 2) when any is set,
                 -- those of 0.7.0 (version 3, after them) likewise: a result
                 -- written before keeps the encoding it was recorded with
                 (r.version_source IS NOT NULL OR r.mixed_versions IS NOT NULL
                  OR r.replayed IS DISTINCT FROM false OR r.labelled_share IS NOT NULL
                  OR r.threshold_kind IS NOT NULL OR r.history_n IS NOT NULL) AS v2,
                 (r.threshold_kind IS NOT NULL OR r.history_n IS NOT NULL) AS v3) AS f
$$;
COMMENT ON FUNCTION ethaudit.result_encoding(ethaudit.results) IS
'The canonical encoding of a result that the audit log commits to: "ethaudit.results/1;" then every column of 0.3.0 in table order (times in UTC with microseconds, duration in seconds, floats in shortest exact form), each as "<octets>:<UTF-8 text>," or "-" for NULL. A result that sets a column added in 0.4.0 (version_source, mixed_versions, replayed true, labelled_share) is encoded as "ethaudit.results/2;", the same fields, then those four; one that sets a column added in 0.7.0 (threshold_kind, history_n) as "ethaudit.results/3;", the fields of version 2, then those two. Results recorded before keep their encoding.';

-- ---------------------------------------------------------------------------
-- The runner and the alert engine judge through judge() (src/sql/runner.sql,
-- src/sql/alerts.sql); an alert's notification carries the computed levels,
-- which needs a third argument of notify_alert.
-- ---------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION ethaudit_internal.record_result(
    c ethaudit.checks, run_id bigint, value double precision, n_current bigint, n_reference bigint,
    window_start timestamptz, window_end timestamptz, reference_start timestamptz, reference_end timestamptz,
    started timestamptz, error_sqlstate text DEFAULT NULL, error_message text DEFAULT NULL,
    row_version text DEFAULT NULL, replayed boolean DEFAULT false, labelled_share double precision DEFAULT NULL)
RETURNS ethaudit.results
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    th ethaudit.thresholds;
    status text;
    msg text := error_message;
    ver record;
    j record;
    result ethaudit.results;
BEGIN
    SELECT * INTO th FROM ethaudit.thresholds x WHERE x.check_id = c.check_id;
    IF error_sqlstate IS NOT NULL THEN
        status := 'error';
    ELSIF value IS NULL OR value = 'NaN'::float8 THEN
        status := 'insufficient_data';
        msg := format('the metric is undefined on this sample (%s usable rows%s)', n_current,
                      CASE WHEN n_reference IS NULL THEN '' ELSE format(', %s in the reference', n_reference) END);
    ELSIF n_current < c.min_samples THEN
        status := 'insufficient_data';
        msg := format('%s usable rows in the current window, fewer than min_samples (%s)', n_current, c.min_samples);
    ELSIF n_reference < c.min_samples THEN
        status := 'insufficient_data';
        msg := format('%s usable rows in the reference, fewer than min_samples (%s)', n_reference, c.min_samples);
    END IF;
    ver := ethaudit_internal.result_version(c, row_version, window_start, window_end);
    -- The row is built here rather than read back with RETURNING: the role
    -- running the checks may append results without being allowed to read
    -- them (row-level security, roles.sql).  apply_result marks it applied.
    result.result_id := nextval('ethaudit.results_result_id_seq');
    result.run_id := record_result.run_id;
    result.check_id := c.check_id;
    result.model := c.model;
    result.model_version := ver.model_version;
    result.metric := c.metric;
    result.value := CASE WHEN status = 'error' THEN NULL ELSE record_result.value END;
    result.status := status;
    result.n_current := record_result.n_current;
    result.n_reference := record_result.n_reference;
    result.window_start := record_result.window_start;
    result.window_end := record_result.window_end;
    result.reference_start := record_result.reference_start;
    result.reference_end := record_result.reference_end;
    -- levels of the history kinds are multipliers, not levels: a result
    -- that is not judged records none
    result.warn := CASE WHEN th.kind = 'fixed' THEN th.warn END;
    result.critical := CASE WHEN th.kind = 'fixed' THEN th.critical END;
    result.direction := th.direction;
    result.error_sqlstate := record_result.error_sqlstate;
    result.evaluated_at := clock_timestamp();
    result.duration := result.evaluated_at - started;
    result.alert_applied := false;
    result.version_source := ver.version_source;
    result.mixed_versions := ver.mixed_versions;
    result.replayed := record_result.replayed;
    result.labelled_share := record_result.labelled_share;
    IF status IS NULL THEN
        j := ethaudit_internal.judge(th, result);
        status := j.status;
        result.warn := j.warn;
        result.critical := j.critical;
        result.threshold_kind := j.threshold_kind;
        result.history_n := j.history_n;
        msg := j.note;
    END IF;
    result.status := status;
    IF ver.note IS NOT NULL AND status <> 'error' THEN
        msg := CASE WHEN msg IS NULL THEN ver.note ELSE msg || '; ' || ver.note END;
    END IF;
    result.message := msg;
    INSERT INTO ethaudit.results SELECT result.*;
    result.alert_applied := true;
    RETURN result;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.record_result(ethaudit.checks, bigint, double precision, bigint, bigint, timestamptz, timestamptz, timestamptz, timestamptz, timestamptz, text, text, text, boolean, double precision) IS
'Internal: judges a value against the thresholds of its check (or records a failure) and inserts the result, with the version it is about (row_version: the version of its rows, for a check with a version column) and the labelled share of its window; the insert updates the alerts unless the result is replayed.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.record_result(ethaudit.checks, bigint, double precision, bigint, bigint, timestamptz, timestamptz, timestamptz, timestamptz, timestamptz, text, text, text, boolean, double precision) FROM PUBLIC;

DROP FUNCTION ethaudit_internal.notify_alert(ethaudit.alerts, text);
CREATE FUNCTION ethaudit_internal.notify_alert(a ethaudit.alerts, event text, judged ethaudit.results DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    th ethaudit.thresholds;
    cname text;
BEGIN
    SELECT * INTO th FROM ethaudit.thresholds x WHERE x.check_id = a.check_id;
    IF th.kind <> 'fixed' THEN
        -- levels from the history: those the alert's latest result was
        -- judged by (judged: that result, while it is being inserted)
        IF judged.result_id IS NULL THEN
            SELECT * INTO judged FROM ethaudit.results r WHERE r.result_id = a.last_result_id;
        END IF;
        th.warn := judged.warn;
        th.critical := judged.critical;
    END IF;
    SELECT ch.check_name INTO cname FROM ethaudit.checks ch WHERE ch.check_id = a.check_id;
    PERFORM pg_catalog.pg_notify('ethaudit_alerts', json_build_object(
        'event', event, 'alert_id', a.alert_id, 'check_id', a.check_id, 'check_name', cname,
        'model', a.model, 'metric', a.metric, 'family', a.family,
        'status', a.status, 'severity', a.severity, 'priority', a.priority,
        'value', a.last_value, 'warn', th.warn, 'critical', th.critical, 'direction', th.direction,
        'owner_role', a.owner_role, 'opened_at', a.opened_at, 'due_at', a.due_at,
        'occurrences', a.occurrences, 'kind', a.kind, 'model_version', a.model_version,
        'window_end', a.last_window_end)::text);
END
$$;
COMMENT ON FUNCTION ethaudit_internal.notify_alert(ethaudit.alerts, text, ethaudit.results) IS
'Internal: sends pg_notify(''ethaudit_alerts'', <json>) for an alert event; delivered when the transaction commits. For thresholds computed from the check''s history, warn and critical are the levels of the alert''s latest result (judged: that result, while apply_result inserts it).';

CREATE OR REPLACE FUNCTION ethaudit_internal.apply_result()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    th ethaudit.thresholds;
    a ethaudit.alerts;
    j record;
    fam text;
    escalate boolean;
    alert_version text;
BEGIN
    IF NEW.alert_applied AND ethaudit_internal.restoring() THEN
        RETURN NEW;             -- history being restored
    END IF;
    NEW.alert_applied := true;
    -- a new result speaks for its check: model and metric come from it
    SELECT ch.model, ch.metric INTO NEW.model, NEW.metric
    FROM ethaudit.checks ch WHERE ch.check_id = NEW.check_id;
    SELECT * INTO th FROM ethaudit.thresholds x WHERE x.check_id = NEW.check_id;
    SELECT m.family INTO fam FROM ethaudit_internal.metrics m WHERE m.metric = NEW.metric;
    IF NEW.status IN ('warning', 'critical', 'ok') THEN
        -- the engine judges the value itself: a supplied status counts for nothing
        j := ethaudit_internal.judge(th, NEW);
        NEW.status := j.status;
        NEW.warn := j.warn;
        NEW.critical := j.critical;
        NEW.direction := th.direction;
        NEW.threshold_kind := j.threshold_kind;
        NEW.history_n := j.history_n;
        IF j.note IS NOT NULL THEN
            NEW.message := CASE WHEN NEW.message IS NULL THEN j.note ELSE j.note || '; ' || NEW.message END;
        END IF;
    END IF;
    IF NEW.replayed THEN
        RETURN NEW;             -- a replay is evidence about the past, not live state
    END IF;

    IF NEW.status = 'error' THEN
        PERFORM ethaudit_internal.apply_error(NEW, th, fam);
        RETURN NEW;
    END IF;
    -- the check ran: a check_broken alert resolves
    UPDATE ethaudit.alerts x SET
        last_result_id = NEW.result_id, last_window_end = NEW.window_end,
        status = 'resolved', resolved_at = NEW.evaluated_at, resolution = 'automatic',
        resolution_note = format('the check ran again (status %s)', NEW.status)
    WHERE x.check_id = NEW.check_id AND x.kind = 'check_broken' AND x.status <> 'resolved'
    RETURNING x.* INTO a;
    IF FOUND THEN
        PERFORM ethaudit_internal.log_alert_event(a, 'resolved', NULL, a.resolution_note, NEW.result_id);
        PERFORM ethaudit_internal.notify_alert(a, 'resolved');
    END IF;
    IF NEW.status NOT IN ('warning', 'critical', 'ok') THEN
        RETURN NEW;             -- insufficient_data leaves threshold alerts alone
    END IF;

    -- results about one version of the rows have alerts of their own
    alert_version := CASE WHEN NEW.version_source IN ('check', 'data') THEN NEW.model_version END;
    IF NEW.status = 'ok' THEN
        UPDATE ethaudit.alerts x SET
            clean_runs = x.clean_runs + 1,
            last_result_id = NEW.result_id,
            last_window_end = NEW.window_end,
            status = CASE WHEN x.clean_runs + 1 >= coalesce(th.resolve_after, 3) THEN 'resolved' ELSE x.status END,
            resolved_at = CASE WHEN x.clean_runs + 1 >= coalesce(th.resolve_after, 3) THEN NEW.evaluated_at END,
            resolution = CASE WHEN x.clean_runs + 1 >= coalesce(th.resolve_after, 3) THEN 'automatic' END,
            resolution_note = CASE WHEN x.clean_runs + 1 >= coalesce(th.resolve_after, 3)
                                   THEN format('resolved after %s consecutive ok results', x.clean_runs + 1) END
        WHERE x.check_id = NEW.check_id AND x.kind = 'threshold' AND x.status <> 'resolved'
          AND x.model_version IS NOT DISTINCT FROM alert_version
        RETURNING x.* INTO a;
        IF FOUND AND a.status = 'resolved' THEN
            PERFORM ethaudit_internal.log_alert_event(a, 'resolved', NULL, a.resolution_note, NEW.result_id);
            PERFORM ethaudit_internal.notify_alert(a, 'resolved', NEW);
        END IF;
        RETURN NEW;
    END IF;

    LOOP
        SELECT * INTO a FROM ethaudit.alerts x
        WHERE x.check_id = NEW.check_id AND x.kind = 'threshold' AND x.status <> 'resolved'
          AND x.model_version IS NOT DISTINCT FROM alert_version
        FOR UPDATE;
        IF FOUND THEN
            escalate := a.severity = 'warning' AND NEW.status = 'critical';
            UPDATE ethaudit.alerts x SET
                occurrences = x.occurrences + 1,
                clean_runs = 0,
                last_value = NEW.value,
                last_seen_at = NEW.evaluated_at,
                last_result_id = NEW.result_id,
                last_window_end = NEW.window_end,
                worst_value = CASE WHEN NEW.direction = 'below' THEN least(x.worst_value, NEW.value)
                                   ELSE greatest(x.worst_value, NEW.value) END,
                severity = CASE WHEN escalate THEN 'critical' ELSE x.severity END,
                escalated_at = CASE WHEN escalate THEN NEW.evaluated_at ELSE x.escalated_at END,
                due_at = CASE WHEN escalate
                              THEN least(x.due_at, NEW.evaluated_at
                                         + coalesce(th.critical_response_time, th.response_time, interval '1 day'))
                              ELSE x.due_at END,
                -- an acknowledged alert that gets worse needs attention again
                status = CASE WHEN escalate THEN 'open' ELSE x.status END
            WHERE x.alert_id = a.alert_id
            RETURNING x.* INTO a;
            IF escalate THEN
                PERFORM ethaudit_internal.log_alert_event(a, 'escalated', NULL,
                    format('%s crossed the critical level %s', NEW.value, NEW.critical), NEW.result_id);
                PERFORM ethaudit_internal.notify_alert(a, 'escalated', NEW);
            END IF;
            EXIT;
        END IF;

        INSERT INTO ethaudit.alerts AS x
            (check_id, model, metric, family, severity, owner_role, opened_at, due_at, last_seen_at,
             first_value, last_value, worst_value, first_result_id, last_result_id,
             kind, model_version, first_window_end, last_window_end)
        VALUES (NEW.check_id, NEW.model, NEW.metric, coalesce(fam, 'drift'), NEW.status, th.owner_role,
                NEW.evaluated_at,
                NEW.evaluated_at + CASE WHEN NEW.status = 'critical'
                                        THEN coalesce(th.critical_response_time, th.response_time, interval '1 day')
                                        ELSE coalesce(th.response_time, interval '1 day') END,
                NEW.evaluated_at, NEW.value, NEW.value, NEW.value, NEW.result_id, NEW.result_id,
                'threshold', alert_version, NEW.window_end, NEW.window_end)
        ON CONFLICT (check_id, kind, model_version) WHERE status <> 'resolved' DO NOTHING
        RETURNING x.* INTO a;
        IF FOUND THEN
            PERFORM ethaudit_internal.log_alert_event(a, 'opened', NULL,
                format('%s is beyond the %s level %s', NEW.value, NEW.status,
                       CASE WHEN NEW.status = 'critical' THEN NEW.critical ELSE NEW.warn END),
                NEW.result_id);
            PERFORM ethaudit_internal.notify_alert(a, 'opened', NEW);
            -- Alerts of one model open one after the other, so that each
            -- sees the others when judging co-occurrence (lock held to commit).
            PERFORM pg_catalog.pg_advisory_xact_lock(1702127714, pg_catalog.hashtext(NEW.model));
            PERFORM ethaudit_internal.raise_cooccurring_priority(NEW.model);
            EXIT;
        END IF;
        -- a concurrent transaction opened the alert first: update that one
    END LOOP;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.apply_result() IS
'Trigger function (BEFORE INSERT on results): judges the value against the check''s thresholds, fixed or from its history (ethaudit_internal.judge, whatever status the row gives) and applies the result to the alerts of its check: opens, repeats, escalates or counts a clean run and resolves the threshold alert of its version; counts consecutive errors towards a check_broken alert, which any other result resolves. A replayed result changes no alert; only a restore skips the judging. SECURITY DEFINER.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.apply_result() FROM PUBLIC;

-- ---------------------------------------------------------------------------
-- Dashboards (src/sql/dashboards.sql): the levels of history thresholds, and
-- new columns at the end of the views.  CREATE OR REPLACE VIEW resets their
-- options: security_invoker again below.
-- ---------------------------------------------------------------------------

CREATE OR REPLACE VIEW ethaudit.open_alerts AS
SELECT a.alert_id, a.owner_role, a.due_at, a.due_at < pg_catalog.now() AS overdue,
       a.severity, a.priority, a.status, a.model, a.check_id, ch.check_name, a.metric, a.family,
       a.opened_at, a.last_seen_at, a.occurrences, a.clean_runs,
       a.first_value, a.last_value, a.worst_value,
       CASE WHEN th.kind = 'fixed' THEN th.warn ELSE lr.warn END AS warn,
       CASE WHEN th.kind = 'fixed' THEN th.critical ELSE lr.critical END AS critical, th.direction,
       a.priority_reason, a.acknowledged_at, a.acknowledged_by, a.acknowledge_note,
       a.kind, a.model_version, a.first_window_end, a.last_window_end, th.kind AS threshold_kind
FROM ethaudit.alerts a
JOIN ethaudit.checks ch ON ch.check_id = a.check_id
LEFT JOIN ethaudit.thresholds th ON th.check_id = a.check_id
LEFT JOIN ethaudit.results lr ON lr.result_id = a.last_result_id AND th.kind <> 'fixed'
WHERE a.status <> 'resolved';

COMMENT ON VIEW ethaudit.open_alerts IS
'Alerts not yet resolved, with their owner, due time, severity, priority and the thresholds of their check. Typical order: owner_role, due_at.';
COMMENT ON COLUMN ethaudit.open_alerts.alert_id IS 'The alert (ethaudit.alerts).';
COMMENT ON COLUMN ethaudit.open_alerts.owner_role IS 'Role that answers it.';
COMMENT ON COLUMN ethaudit.open_alerts.due_at IS 'When a response is due.';
COMMENT ON COLUMN ethaudit.open_alerts.overdue IS 'True if due_at has passed.';
COMMENT ON COLUMN ethaudit.open_alerts.severity IS 'warning or critical.';
COMMENT ON COLUMN ethaudit.open_alerts.priority IS 'normal or high.';
COMMENT ON COLUMN ethaudit.open_alerts.status IS 'open or acknowledged.';
COMMENT ON COLUMN ethaudit.open_alerts.model IS 'The model.';
COMMENT ON COLUMN ethaudit.open_alerts.check_id IS 'The check.';
COMMENT ON COLUMN ethaudit.open_alerts.check_name IS 'Name of the check.';
COMMENT ON COLUMN ethaudit.open_alerts.metric IS 'The metric.';
COMMENT ON COLUMN ethaudit.open_alerts.family IS 'drift, quality, performance or fairness.';
COMMENT ON COLUMN ethaudit.open_alerts.opened_at IS 'When it opened.';
COMMENT ON COLUMN ethaudit.open_alerts.last_seen_at IS 'When a threshold was last crossed.';
COMMENT ON COLUMN ethaudit.open_alerts.occurrences IS 'Results beyond a threshold since it opened.';
COMMENT ON COLUMN ethaudit.open_alerts.clean_runs IS 'Consecutive ok results since then.';
COMMENT ON COLUMN ethaudit.open_alerts.first_value IS 'Value that opened it.';
COMMENT ON COLUMN ethaudit.open_alerts.last_value IS 'Latest value beyond a threshold.';
COMMENT ON COLUMN ethaudit.open_alerts.worst_value IS 'Most severe value seen.';
COMMENT ON COLUMN ethaudit.open_alerts.warn IS 'Current warning level of the check; for thresholds computed from the check''s history, the level its latest result was judged by.';
COMMENT ON COLUMN ethaudit.open_alerts.critical IS 'Current critical level of the check; for thresholds computed from the check''s history, the level its latest result was judged by.';
COMMENT ON COLUMN ethaudit.open_alerts.direction IS 'above or below.';
COMMENT ON COLUMN ethaudit.open_alerts.priority_reason IS 'Why the priority is high.';
COMMENT ON COLUMN ethaudit.open_alerts.acknowledged_at IS 'When it was acknowledged.';
COMMENT ON COLUMN ethaudit.open_alerts.acknowledged_by IS 'Who acknowledged it.';
COMMENT ON COLUMN ethaudit.open_alerts.acknowledge_note IS 'Note given when acknowledging.';
COMMENT ON COLUMN ethaudit.open_alerts.kind IS 'threshold (a value beyond a level) or check_broken (the check keeps failing).';
COMMENT ON COLUMN ethaudit.open_alerts.model_version IS 'The version it is about, for checks that tell versions apart.';
COMMENT ON COLUMN ethaudit.open_alerts.first_window_end IS 'End of the window of the result that opened it.';
COMMENT ON COLUMN ethaudit.open_alerts.last_window_end IS 'End of the window of the latest result applied to it.';
COMMENT ON COLUMN ethaudit.open_alerts.threshold_kind IS 'fixed, history_sigma or history_change (ethaudit.thresholds.kind).';

CREATE OR REPLACE VIEW ethaudit.latest_results AS
SELECT ch.check_id, ch.check_name, ch.model, ch.metric, mc.family, ch.mode, ch.source, ch.enabled,
       r.status, r.value, r.evaluated_at, r.window_start, r.window_end, r.n_current, r.n_reference,
       r.model_version, r.warn, r.critical, r.direction, r.message, th.owner_role, r.run_id, r.result_id,
       r.version_source, r.mixed_versions, r.labelled_share, r.threshold_kind, r.history_n
FROM ethaudit.checks ch
LEFT JOIN ethaudit.metric_catalog mc ON mc.metric = ch.metric
LEFT JOIN ethaudit.thresholds th ON th.check_id = ch.check_id
LEFT JOIN LATERAL (SELECT x.* FROM ethaudit.results x
                   WHERE x.check_id = ch.check_id AND NOT x.replayed
                     AND x.run_id = (SELECT y.run_id FROM ethaudit.results y
                                     WHERE y.check_id = ch.check_id AND NOT y.replayed
                                     ORDER BY y.result_id DESC LIMIT 1)) r ON true;

COMMENT ON VIEW ethaudit.latest_results IS
'The latest live result of every check (status NULL if it never ran): one row per check, or per version of its rows for a check with a version column (the results of its latest live run). Replays are in result_history.';
COMMENT ON COLUMN ethaudit.latest_results.check_id IS 'The check.';
COMMENT ON COLUMN ethaudit.latest_results.check_name IS 'Name of the check.';
COMMENT ON COLUMN ethaudit.latest_results.model IS 'The model.';
COMMENT ON COLUMN ethaudit.latest_results.metric IS 'The metric.';
COMMENT ON COLUMN ethaudit.latest_results.family IS 'drift, quality, performance or fairness.';
COMMENT ON COLUMN ethaudit.latest_results.mode IS 'scheduled, insert_batch or insert_window.';
COMMENT ON COLUMN ethaudit.latest_results.source IS 'The prediction log.';
COMMENT ON COLUMN ethaudit.latest_results.enabled IS 'Whether the check runs.';
COMMENT ON COLUMN ethaudit.latest_results.status IS 'ok, warning, critical, insufficient_data, error; NULL if never run.';
COMMENT ON COLUMN ethaudit.latest_results.value IS 'Latest value.';
COMMENT ON COLUMN ethaudit.latest_results.evaluated_at IS 'When it was evaluated.';
COMMENT ON COLUMN ethaudit.latest_results.window_start IS 'Start of the evaluated window.';
COMMENT ON COLUMN ethaudit.latest_results.window_end IS 'End of the evaluated window.';
COMMENT ON COLUMN ethaudit.latest_results.n_current IS 'Usable rows in the window.';
COMMENT ON COLUMN ethaudit.latest_results.n_reference IS 'Usable rows in the reference.';
COMMENT ON COLUMN ethaudit.latest_results.model_version IS 'Version the result is about (see version_source).';
COMMENT ON COLUMN ethaudit.latest_results.warn IS 'Warning level it was judged by.';
COMMENT ON COLUMN ethaudit.latest_results.critical IS 'Critical level it was judged by.';
COMMENT ON COLUMN ethaudit.latest_results.direction IS 'above or below.';
COMMENT ON COLUMN ethaudit.latest_results.message IS 'Why the status is error or insufficient_data.';
COMMENT ON COLUMN ethaudit.latest_results.owner_role IS 'Owner of the check''s thresholds.';
COMMENT ON COLUMN ethaudit.latest_results.run_id IS 'The run.';
COMMENT ON COLUMN ethaudit.latest_results.result_id IS 'The result.';
COMMENT ON COLUMN ethaudit.latest_results.version_source IS 'Where model_version comes from: check, data or stage_history.';
COMMENT ON COLUMN ethaudit.latest_results.mixed_versions IS 'True when several versions served during the window of a check without a version column.';
COMMENT ON COLUMN ethaudit.latest_results.labelled_share IS 'For metrics that read labels: the share of the window''s rows that have one.';
COMMENT ON COLUMN ethaudit.latest_results.threshold_kind IS 'history_sigma or history_change when warn and critical came from the check''s history; NULL for fixed levels.';
COMMENT ON COLUMN ethaudit.latest_results.history_n IS 'With threshold_kind: how many earlier results the levels came from.';

CREATE OR REPLACE VIEW ethaudit.result_history AS
SELECT r.result_id, r.evaluated_at, r.window_start, r.window_end, r.model, r.model_version,
       r.check_id, ch.check_name, r.metric, mc.family, r.value, r.status, r.warn, r.critical, r.direction,
       r.n_current, r.n_reference, r.run_id, r.message, r.version_source, r.mixed_versions, r.replayed,
       r.labelled_share, r.threshold_kind, r.history_n
FROM ethaudit.results r
JOIN ethaudit.checks ch ON ch.check_id = r.check_id
LEFT JOIN ethaudit.metric_catalog mc ON mc.metric = r.metric;

COMMENT ON VIEW ethaudit.result_history IS
'Every result with its check and thresholds, for time-series panels: plot value (and warn, critical) against window_end or evaluated_at.';
COMMENT ON COLUMN ethaudit.result_history.result_id IS 'The result.';
COMMENT ON COLUMN ethaudit.result_history.evaluated_at IS 'When it was evaluated.';
COMMENT ON COLUMN ethaudit.result_history.window_start IS 'Start of the evaluated window.';
COMMENT ON COLUMN ethaudit.result_history.window_end IS 'End of the evaluated window: the time axis of backfills.';
COMMENT ON COLUMN ethaudit.result_history.model IS 'The model.';
COMMENT ON COLUMN ethaudit.result_history.model_version IS 'Version the result is about (see version_source).';
COMMENT ON COLUMN ethaudit.result_history.check_id IS 'The check.';
COMMENT ON COLUMN ethaudit.result_history.check_name IS 'Name of the check: the series name.';
COMMENT ON COLUMN ethaudit.result_history.metric IS 'The metric.';
COMMENT ON COLUMN ethaudit.result_history.family IS 'drift, quality, performance or fairness.';
COMMENT ON COLUMN ethaudit.result_history.value IS 'Value of the metric.';
COMMENT ON COLUMN ethaudit.result_history.status IS 'ok, warning, critical, insufficient_data or error.';
COMMENT ON COLUMN ethaudit.result_history.warn IS 'Warning level it was judged by.';
COMMENT ON COLUMN ethaudit.result_history.critical IS 'Critical level it was judged by.';
COMMENT ON COLUMN ethaudit.result_history.direction IS 'above or below.';
COMMENT ON COLUMN ethaudit.result_history.n_current IS 'Usable rows in the window.';
COMMENT ON COLUMN ethaudit.result_history.n_reference IS 'Usable rows in the reference.';
COMMENT ON COLUMN ethaudit.result_history.run_id IS 'The run.';
COMMENT ON COLUMN ethaudit.result_history.message IS 'Why the status is error or insufficient_data; which versions may be mixed.';
COMMENT ON COLUMN ethaudit.result_history.version_source IS 'Where model_version comes from: check, data or stage_history.';
COMMENT ON COLUMN ethaudit.result_history.mixed_versions IS 'True when several versions served during the window of a check without a version column.';
COMMENT ON COLUMN ethaudit.result_history.replayed IS 'True for a result of a replay (it changed no alert).';
COMMENT ON COLUMN ethaudit.result_history.labelled_share IS 'For metrics that read labels: the share of the window''s rows that have one.';
COMMENT ON COLUMN ethaudit.result_history.threshold_kind IS 'history_sigma or history_change when warn and critical came from the check''s history (plot them as its moving band); NULL for fixed levels.';
COMMENT ON COLUMN ethaudit.result_history.history_n IS 'With threshold_kind: how many earlier results the levels came from.';

CREATE OR REPLACE VIEW ethaudit.model_cards AS
SELECT mo.model, mo.description, mo.owner_role,
       v.versions, v.live_versions,
       o.owners,
       coalesce(c.checks, '[]'::jsonb) AS checks,
       coalesce(c.checks_total, 0) AS checks_total,
       coalesce(c.checks_ok, 0) AS checks_ok,
       coalesce(c.checks_warning, 0) AS checks_warning,
       coalesce(c.checks_critical, 0) AS checks_critical,
       coalesce(c.checks_insufficient_data, 0) AS checks_insufficient_data,
       coalesce(c.checks_error, 0) AS checks_error,
       coalesce(c.checks_never_run, 0) AS checks_never_run,
       coalesce(al.open_alerts, 0) AS open_alerts,
       coalesce(al.alerts, '[]'::jsonb) AS alerts,
       CASE WHEN c.checks_critical > 0 THEN 'critical'
            WHEN c.checks_warning > 0 THEN 'warning'
            WHEN c.checks_error > 0 THEN 'error'
            WHEN c.checks_insufficient_data > 0 THEN 'insufficient_data'
            WHEN c.checks_ok > 0 THEN 'ok' END AS worst_status,
       c.last_evaluated_at,
       coalesce(h.stage_history, '[]'::jsonb) AS stage_history,
       coalesce(c.checks_mixing_versions, 0) AS checks_mixing_versions,
       coalesce(al.broken_checks, 0) AS broken_checks,
       coalesce(pe.performance_estimates, '[]'::jsonb) AS performance_estimates
FROM ethaudit.models mo
LEFT JOIN LATERAL (
    SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
               'version', mv.version, 'stage', mv.stage, 'since', mv.stage_changed_at,
               'registered_at', mv.registered_at, 'description', mv.description)
               ORDER BY pg_catalog.array_position(ARRAY['live', 'canary', 'shadow', 'retired'], mv.stage),
                        mv.version), '[]'::jsonb) AS versions,
           pg_catalog.array_agg(mv.version ORDER BY mv.version) FILTER (WHERE mv.stage = 'live') AS live_versions
    FROM ethaudit.model_versions mv WHERE mv.model = mo.model) v ON true
LEFT JOIN LATERAL (
    SELECT pg_catalog.array_agg(DISTINCT x.role ORDER BY x.role) AS owners
    FROM (SELECT mo.owner_role AS role
          UNION ALL
          SELECT th.owner_role FROM ethaudit.thresholds th
          JOIN ethaudit.checks ch ON ch.check_id = th.check_id
          WHERE ch.model = mo.model) x
    WHERE x.role IS NOT NULL) o ON true
LEFT JOIN LATERAL (
    -- a check counts once, by the worst status of its versions
    SELECT pg_catalog.jsonb_agg(x.item ORDER BY x.check_name, x.model_version) AS checks,
           pg_catalog.count(DISTINCT x.check_id)::integer AS checks_total,
           pg_catalog.count(DISTINCT x.check_id) FILTER (WHERE x.worst = 'ok')::integer AS checks_ok,
           pg_catalog.count(DISTINCT x.check_id) FILTER (WHERE x.worst = 'warning')::integer AS checks_warning,
           pg_catalog.count(DISTINCT x.check_id) FILTER (WHERE x.worst = 'critical')::integer AS checks_critical,
           pg_catalog.count(DISTINCT x.check_id) FILTER (WHERE x.worst = 'insufficient_data')::integer AS checks_insufficient_data,
           pg_catalog.count(DISTINCT x.check_id) FILTER (WHERE x.worst = 'error')::integer AS checks_error,
           pg_catalog.count(DISTINCT x.check_id) FILTER (WHERE x.worst IS NULL)::integer AS checks_never_run,
           pg_catalog.count(DISTINCT x.check_id) FILTER (WHERE x.mixed_versions)::integer AS checks_mixing_versions,
           pg_catalog.max(x.evaluated_at) AS last_evaluated_at
    FROM (SELECT lr.check_id, lr.check_name, lr.model_version, lr.mixed_versions, lr.evaluated_at,
                 pg_catalog.first_value(lr.status) OVER (PARTITION BY lr.check_id ORDER BY pg_catalog.array_position(
                     ARRAY['critical', 'warning', 'error', 'insufficient_data', 'ok'], lr.status)) AS worst,
                 pg_catalog.jsonb_build_object(
                     'check_id', lr.check_id, 'check_name', lr.check_name, 'metric', lr.metric,
                     'family', lr.family, 'mode', lr.mode, 'source', lr.source, 'enabled', lr.enabled,
                     'status', lr.status, 'value', lr.value, 'evaluated_at', lr.evaluated_at,
                     'window_start', lr.window_start, 'window_end', lr.window_end,
                     'warn', CASE WHEN th.kind = 'fixed' THEN th.warn ELSE lr.warn END,
                     'critical', CASE WHEN th.kind = 'fixed' THEN th.critical ELSE lr.critical END,
                     'direction', th.direction, 'threshold_kind', th.kind,
                     'owner_role', th.owner_role, 'response_time', th.response_time,
                     'model_version', lr.model_version, 'version_source', lr.version_source,
                     'mixed_versions', lr.mixed_versions, 'labelled_share', lr.labelled_share,
                     'message', lr.message) AS item
          FROM ethaudit.latest_results lr
          LEFT JOIN ethaudit.thresholds th ON th.check_id = lr.check_id
          WHERE lr.model = mo.model AND lr.enabled) x) c ON true
LEFT JOIN LATERAL (
    SELECT pg_catalog.count(*)::integer AS open_alerts,
           pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
               'alert_id', oa.alert_id, 'check_name', oa.check_name, 'family', oa.family,
               'severity', oa.severity, 'priority', oa.priority, 'status', oa.status,
               'owner_role', oa.owner_role, 'opened_at', oa.opened_at, 'due_at', oa.due_at,
               'overdue', oa.overdue, 'occurrences', oa.occurrences, 'last_value', oa.last_value,
               'kind', oa.kind, 'model_version', oa.model_version, 'window_end', oa.last_window_end)
               ORDER BY oa.priority = 'normal', oa.severity = 'warning', oa.due_at) AS alerts,
           pg_catalog.count(*) FILTER (WHERE oa.kind = 'check_broken')::integer AS broken_checks
    FROM ethaudit.open_alerts oa WHERE oa.model = mo.model) al ON true
LEFT JOIN LATERAL (
    SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
               'version', sh.version, 'stage', sh.stage, 'from', sh.valid_from, 'to', sh.valid_to)
               ORDER BY sh.valid_from, sh.interval_id) AS stage_history
    FROM ethaudit.stage_history sh WHERE sh.model = mo.model) h ON true
LEFT JOIN LATERAL (
    -- each estimate before labels beside the latest realised value of the
    -- same metric over the same log, once a check computes it
    SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
               'metric', e.metric, 'check_name', e.check_name, 'model_version', e.model_version,
               'estimated', e.value, 'window_end', e.window_end,
               'realised', r.value, 'realised_check_name', r.check_name, 'realised_window_end', r.window_end,
               'realised_labelled_share', r.labelled_share)
               ORDER BY e.check_name, e.model_version) AS performance_estimates
    FROM ethaudit.latest_results e
    LEFT JOIN LATERAL (
        SELECT x.value, x.check_name, x.window_end, x.labelled_share
        FROM ethaudit.latest_results x
        WHERE x.model = e.model AND x.source = e.source AND x.enabled AND x.value IS NOT NULL
          AND x.model_version IS NOT DISTINCT FROM e.model_version
          AND x.metric = CASE e.metric WHEN 'estimated_accuracy' THEN 'accuracy_score'
                                       WHEN 'estimated_precision' THEN 'precision_score'
                                       WHEN 'estimated_recall' THEN 'recall_score'
                                       WHEN 'estimated_f1' THEN 'f1_score'
                                       WHEN 'estimated_roc_auc' THEN 'roc_auc' END
        ORDER BY x.window_end DESC, x.check_id LIMIT 1) r ON true
    WHERE e.model = mo.model AND e.enabled AND e.metric LIKE 'estimated\_%' AND e.status IS NOT NULL) pe ON true;

COMMENT ON VIEW ethaudit.model_cards IS
'A live model card per model: versions and stages, owners, the enabled checks with their latest value, status and thresholds, the open alerts and when the model was last evaluated. Detail columns are jsonb arrays.';
COMMENT ON COLUMN ethaudit.model_cards.model IS 'The model.';
COMMENT ON COLUMN ethaudit.model_cards.description IS 'Its description.';
COMMENT ON COLUMN ethaudit.model_cards.owner_role IS 'Owner of the model.';
COMMENT ON COLUMN ethaudit.model_cards.versions IS 'jsonb array of {version, stage, since, registered_at, description}, live first.';
COMMENT ON COLUMN ethaudit.model_cards.live_versions IS 'Versions in stage live.';
COMMENT ON COLUMN ethaudit.model_cards.owners IS 'Owner of the model and owners of its checks'' thresholds.';
COMMENT ON COLUMN ethaudit.model_cards.checks IS 'jsonb array of the latest live results of the enabled checks (one per version for a check with a version column): {check_id, check_name, metric, family, mode, source, enabled, status, value, evaluated_at, window_start, window_end, warn, critical, direction, threshold_kind, owner_role, response_time, model_version, version_source, mixed_versions, labelled_share, message}: warn and critical are the levels of the latest result for thresholds computed from the check''s history.';
COMMENT ON COLUMN ethaudit.model_cards.checks_total IS 'Enabled checks.';
COMMENT ON COLUMN ethaudit.model_cards.checks_ok IS 'Enabled checks whose latest status is ok (a check with a version column: its worst version).';
COMMENT ON COLUMN ethaudit.model_cards.checks_warning IS 'Enabled checks whose latest status is warning.';
COMMENT ON COLUMN ethaudit.model_cards.checks_critical IS 'Enabled checks whose latest status is critical.';
COMMENT ON COLUMN ethaudit.model_cards.checks_insufficient_data IS 'Enabled checks whose latest status is insufficient_data.';
COMMENT ON COLUMN ethaudit.model_cards.checks_error IS 'Enabled checks whose latest status is error.';
COMMENT ON COLUMN ethaudit.model_cards.checks_never_run IS 'Enabled checks without results.';
COMMENT ON COLUMN ethaudit.model_cards.open_alerts IS 'Alerts not resolved.';
COMMENT ON COLUMN ethaudit.model_cards.alerts IS 'jsonb array of the open alerts: {alert_id, check_name, family, severity, priority, status, owner_role, opened_at, due_at, overdue, occurrences, last_value, kind, model_version, window_end}, high priority and critical first.';
COMMENT ON COLUMN ethaudit.model_cards.worst_status IS 'Worst latest status over the enabled checks: critical, warning, error, insufficient_data, ok; NULL if none ran.';
COMMENT ON COLUMN ethaudit.model_cards.last_evaluated_at IS 'When a check of the model was last evaluated (live runs).';
COMMENT ON COLUMN ethaudit.model_cards.stage_history IS 'jsonb array of {version, stage, from, to} from ethaudit.stage_history, oldest first (to NULL: the current stage).';
COMMENT ON COLUMN ethaudit.model_cards.checks_mixing_versions IS 'Enabled checks without a version column whose latest window saw several versions serve (their results may mix them).';
COMMENT ON COLUMN ethaudit.model_cards.broken_checks IS 'Open check_broken alerts: checks that keep failing and no longer audit.';
COMMENT ON COLUMN ethaudit.model_cards.performance_estimates IS 'Estimated vs realised: jsonb array of {metric, check_name, model_version, estimated, window_end, realised, realised_check_name, realised_window_end, realised_labelled_share}, one per enabled estimated_* check that ran, with the latest value of the realised metric (accuracy_score, precision_score, recall_score, f1_score, roc_auc) over the same log and version, NULL until a check computes it.';

DO $$
DECLARE
    v text;
BEGIN
    IF pg_catalog.current_setting('server_version_num')::integer >= 150000 THEN
        FOREACH v IN ARRAY ARRAY['open_alerts', 'latest_results', 'result_history', 'model_cards'] LOOP
            EXECUTE pg_catalog.format('ALTER VIEW ethaudit.%I SET (security_invoker = true)', v);
        END LOOP;
    END IF;
END
$$;

-- ---------------------------------------------------------------------------
-- Performance estimated before labels arrive, CBPE (src/sql/state_expected.sql,
-- src/sql/state_twosample.sql, src/sql/metric_catalog.sql): a new state and
-- its aggregates, estimated_roc_auc over the kept-values state, their
-- metrics, and check_parts passing a cutoff option as a float.
-- ---------------------------------------------------------------------------

CREATE FUNCTION ethaudit_internal.expected_trans(internal, double precision)
RETURNS internal
AS 'MODULE_PATHNAME', 'expected_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.expected_trans(internal, double precision) IS
'Transition function of the estimated performance aggregates: adds a probability to its side of the cutoff 0.5.';

CREATE FUNCTION ethaudit_internal.expected_trans(internal, double precision, double precision)
RETURNS internal
AS 'MODULE_PATHNAME', 'expected_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.expected_trans(internal, double precision, double precision) IS
'Transition function of the estimated performance aggregates with a cutoff: a probability at or above it is predicted positive.';

CREATE FUNCTION ethaudit_internal.expected_combine(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'expected_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.expected_combine(internal, internal) IS
'Combine function of the expected confusion state (parallel aggregation).';

CREATE FUNCTION ethaudit_internal.expected_serialize(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'expected_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.expected_serialize(internal) IS
'Serializes an expected confusion state for parallel workers (versioned format).';

CREATE FUNCTION ethaudit_internal.expected_deserialize(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'expected_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.expected_deserialize(bytea, internal) IS
'Validates and reads back a serialized expected confusion state.';

CREATE FUNCTION ethaudit_internal.estimated_accuracy_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'estimated_accuracy_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.estimated_accuracy_final(internal) IS
'Final function of estimated_accuracy: (E[TP] + E[TN]) / n.';

CREATE FUNCTION ethaudit_internal.estimated_precision_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'estimated_precision_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.estimated_precision_final(internal) IS
'Final function of estimated_precision: E[TP] / (E[TP] + E[FP]).';

CREATE FUNCTION ethaudit_internal.estimated_recall_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'estimated_recall_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.estimated_recall_final(internal) IS
'Final function of estimated_recall: E[TP] / (E[TP] + E[FN]).';

CREATE FUNCTION ethaudit_internal.estimated_f1_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'estimated_f1_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.estimated_f1_final(internal) IS
'Final function of estimated_f1: 2 E[TP] / (2 E[TP] + E[FP] + E[FN]).';

-- -------- the aggregates --------

INSERT INTO ethaudit_internal.aggregate_states VALUES
    ('expected', 'internal', 'expected confusion matrix from calibrated probabilities: per side of the cutoff, the row count and the exact sum of p');

INSERT INTO ethaudit_internal.aggregates
    (aggregate, arguments, state, transition, inverse, final, comment) VALUES
    ('estimated_accuracy', 'y_prob double precision', 'expected',
     'expected_trans', NULL, 'estimated_accuracy_final',
     'Accuracy expected from calibrated probabilities alone, predicted positive at p >= 0.5 (NannyML''s CBPE): the mean of max-side probabilities.'),
    ('estimated_accuracy', 'y_prob double precision, cutoff double precision', 'expected',
     'expected_trans', NULL, 'estimated_accuracy_final',
     'Accuracy expected from calibrated probabilities alone, predicted positive at p >= cutoff (CBPE).'),
    ('estimated_precision', 'y_prob double precision', 'expected',
     'expected_trans', NULL, 'estimated_precision_final',
     'Precision expected from calibrated probabilities alone, predicted positive at p >= 0.5 (CBPE): the mean p of the predicted positives.'),
    ('estimated_precision', 'y_prob double precision, cutoff double precision', 'expected',
     'expected_trans', NULL, 'estimated_precision_final',
     'Precision expected from calibrated probabilities alone, predicted positive at p >= cutoff (CBPE).'),
    ('estimated_recall', 'y_prob double precision', 'expected',
     'expected_trans', NULL, 'estimated_recall_final',
     'Recall expected from calibrated probabilities alone, predicted positive at p >= 0.5 (CBPE).'),
    ('estimated_recall', 'y_prob double precision, cutoff double precision', 'expected',
     'expected_trans', NULL, 'estimated_recall_final',
     'Recall expected from calibrated probabilities alone, predicted positive at p >= cutoff (CBPE).'),
    ('estimated_f1', 'y_prob double precision', 'expected',
     'expected_trans', NULL, 'estimated_f1_final',
     'F1 score expected from calibrated probabilities alone, predicted positive at p >= 0.5 (CBPE).'),
    ('estimated_f1', 'y_prob double precision, cutoff double precision', 'expected',
     'expected_trans', NULL, 'estimated_f1_final',
     'F1 score expected from calibrated probabilities alone, predicted positive at p >= cutoff (CBPE).');

SELECT ethaudit_internal.define_aggregates('expected');

CREATE FUNCTION ethaudit_internal.twosample_trans_probability(internal, double precision)
RETURNS internal
AS 'MODULE_PATHNAME', 'twosample_trans_probability'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ethaudit_internal.twosample_trans_probability(internal, double precision) IS
'Transition function of estimated_roc_auc: keeps the probabilities.';

CREATE FUNCTION ethaudit_internal.estimated_roc_auc_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'estimated_roc_auc_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ethaudit_internal.estimated_roc_auc_final(internal) IS 'Final function of estimated_roc_auc.';

INSERT INTO ethaudit_internal.aggregates
    (aggregate, arguments, state, transition, inverse, final, comment) VALUES
    ('estimated_roc_auc', 'y_prob double precision', 'twosample',
     'twosample_trans_probability', NULL, 'estimated_roc_auc_final',
     'ROC AUC expected from calibrated probabilities alone (NannyML''s CBPE): each row a positive of weight p and a negative of weight 1 - p.');

SELECT ethaudit_internal.define_aggregates('twosample');

INSERT INTO ethaudit_internal.metrics
    (metric, family, value_kinds, label_type, probability_type, needs_group, needs_reference, default_direction, params,
     description,
     shape, aggregate, result_field, reads, options, row_condition, counts_every_row, baseline_shape) VALUES
    ('estimated_accuracy', 'performance', NULL, NULL, 'probability', false, false, 'below', '{cutoff}',
     'accuracy expected from the calibrated probabilities alone, before labels (CBPE)',
     'aggregate', 'estimated_accuracy', NULL, '{p}', '{cutoff}', NULL, false, NULL),
    ('estimated_precision', 'performance', NULL, NULL, 'probability', false, false, 'below', '{cutoff}',
     'precision expected from the calibrated probabilities alone, before labels (CBPE)',
     'aggregate', 'estimated_precision', NULL, '{p}', '{cutoff}', NULL, false, NULL),
    ('estimated_recall', 'performance', NULL, NULL, 'probability', false, false, 'below', '{cutoff}',
     'recall expected from the calibrated probabilities alone, before labels (CBPE)',
     'aggregate', 'estimated_recall', NULL, '{p}', '{cutoff}', NULL, false, NULL),
    ('estimated_f1', 'performance', NULL, NULL, 'probability', false, false, 'below', '{cutoff}',
     'F1 score expected from the calibrated probabilities alone, before labels (CBPE)',
     'aggregate', 'estimated_f1', NULL, '{p}', '{cutoff}', NULL, false, NULL),
    ('estimated_roc_auc', 'performance', NULL, NULL, 'probability', false, false, 'below', '{}',
     'ROC AUC expected from the calibrated probabilities alone, before labels (CBPE)',
     'aggregate', 'estimated_roc_auc', NULL, '{p}', '{}', NULL, false, NULL);

CREATE OR REPLACE FUNCTION ethaudit_internal.check_parts(c ethaudit.checks, rel regclass, suffix text DEFAULT '',
    with_time boolean DEFAULT true,
    OUT proj text, OUT value_expr text, OUT usable text, OUT n_reference_expr text,
    OUT reference_rows boolean)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m ethaudit_internal.metrics;
    cols record;
    opt text := '';
    ref_arg text := 's.r';
    baseline text;
    categories text[];
    lookup text;
    args text[];                -- the call's arguments, in the order of m.reads
    columns text[];             -- those that are columns of the sample
    key text;
    v text := 's.v' || suffix;
    y text := 's.y' || suffix;
    p text := 's.p' || suffix;
    g text := 's.g' || suffix;
BEGIN
    SELECT * INTO m FROM ethaudit_internal.metrics WHERE metric = c.metric;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'metric % has no query', c.metric USING ERRCODE = 'internal_error';
    END IF;
    cols := ethaudit_internal.check_columns(c, rel);
    proj := format('%s AS %I, %s AS %I, %s AS %I, %s AS %I',
                   coalesce(cols.v_expr, 'NULL::float8'), 'v' || suffix,
                   coalesce(cols.y_expr, 'NULL::boolean'), 'y' || suffix,
                   coalesce(cols.p_expr, 'NULL::float8'), 'p' || suffix,
                   coalesce(cols.g_expr, 'NULL::text'), 'g' || suffix);
    IF with_time THEN
        proj := proj || format(', src.%I AS %I', c.time_column, 't' || suffix);
    END IF;
    reference_rows := c.reference_kind IN ('preceding', 'fixed');
    n_reference_expr := 'NULL::bigint';
    IF c.reference_kind = 'baseline' THEN
        -- the baseline is read inside the aggregate's call, never beside
        -- it: a distributed planner (Citus) cannot push down a subquery on
        -- the target list.  Its size is a constant of the query.
        baseline := format('(SELECT b.baseline FROM ethaudit.baselines b WHERE b.baseline_id = %s)', c.baseline_id);
        ref_arg := baseline;
        SELECT format('%s::bigint', coalesce(b.n::text, 'NULL')),
               CASE WHEN m.baseline_shape = 'category_lookup' THEN ethaudit.baseline_categories(b.baseline) END
        INTO n_reference_expr, categories
        FROM ethaudit.baselines b WHERE b.baseline_id = c.baseline_id;
    END IF;
    -- the option argument: the first of the metric's options present in
    -- params; or all of them, NULL where absent, if they go together
    IF m.options_together THEN
        IF c.params ?| m.options THEN
            SELECT string_agg(CASE WHEN c.params ? u.k THEN format(', %s', (c.params->>u.k)::integer)
                                   ELSE ', NULL::integer' END, '' ORDER BY u.o)
            INTO opt FROM unnest(m.options) WITH ORDINALITY AS u(k, o);
        END IF;
    ELSE
        FOREACH key IN ARRAY m.options LOOP
            IF c.params ? key THEN
                opt := CASE WHEN key = 'binning' THEN format(', %L', c.params->>key)
                            WHEN key = 'cutoff' THEN format(', %L::pg_catalog.float8', (c.params->>key)::float8)
                            ELSE format(', %s', (c.params->>key)::integer) END;
                EXIT;
            END IF;
        END LOOP;
    END IF;

    SELECT array_agg(CASE r.a WHEN 'v' THEN v WHEN 'y' THEN y WHEN 'p' THEN p WHEN 'g' THEN g
                              ELSE ref_arg END ORDER BY r.o),
           array_agg(CASE r.a WHEN 'v' THEN v WHEN 'y' THEN y WHEN 'p' THEN p ELSE g END ORDER BY r.o)
               FILTER (WHERE r.a <> 'reference')
    INTO args, columns
    FROM unnest(m.reads) WITH ORDINALITY AS r(a, o);

    -- which rows are usable (counted in n_current and n_reference): those
    -- without a NULL in a column the metric reads, and against a reference
    -- without a NaN value (the drift aggregates skip NaN)
    IF m.counts_every_row THEN
        usable := 'true';
    ELSE
        SELECT string_agg(format('%s IS NOT NULL', a), ' AND ') INTO usable FROM unnest(columns) a;
        IF m.needs_reference AND cols.value_kind = 'numeric' THEN
            usable := usable || format(' AND %s <> ''NaN''::float8', v);
        END IF;
    END IF;

    IF m.baseline_shape = 'category_lookup' AND c.reference_kind = 'baseline' THEN
        -- Up to 10000 stored categories (read above) become a constant
        -- array, which the executor looks up with a hash table; more are
        -- read from the table.
        IF cardinality(categories) <= 10000 THEN
            lookup := format('%s = ANY (%L::text[])', v, categories);
        ELSE
            lookup := format('%s IN (SELECT unnest(ethaudit.baseline_categories(b.baseline)) '
                             'FROM ethaudit.baselines b WHERE b.baseline_id = %s)', v, c.baseline_id);
        END IF;
        value_expr := format('count(*) FILTER (WHERE NOT s.r AND %s IS NOT NULL AND NOT (%s))::float8 '
                             '/ nullif(count(*) FILTER (WHERE NOT s.r AND %s IS NOT NULL), 0)',
                             v, lookup, v);
    ELSIF m.shape = 'row_share' THEN
        value_expr := format('count(*) FILTER (WHERE %s)::float8 / nullif(%s, 0)',
                             format(m.row_condition, v, y, p, g),
                             CASE WHEN m.counts_every_row THEN 'count(*)'
                                  ELSE format('count(*) FILTER (WHERE %s)', usable) END);
    ELSE
        value_expr := format('ethaudit.%I(%s%s)', m.aggregate, array_to_string(args, ', '), opt);
        IF m.result_field IS NOT NULL THEN
            value_expr := format('(%s).%I', value_expr, m.result_field);
        END IF;
    END IF;
    IF reference_rows THEN
        n_reference_expr := format('count(*) FILTER (WHERE s.r AND (%s))', usable);
    END IF;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.check_parts(ethaudit.checks, regclass, text, boolean) IS
'Internal: the pieces of the query of a check, from the metric''s row of ethaudit_internal.metrics: the projection of its columns (validated against the catalogs, quoted with format(%I)), the metric expression, which rows are usable, and how the reference is counted.';

-- ---------------------------------------------------------------------------
-- drift_test over float8 and text, and drift_report (src/sql/state_twosample.sql,
-- src/sql/state_categorical.sql, src/sql/drift_report.sql): new objects only;
-- the kept-values and category states gain a byte (drift_test's forced test)
-- in their serialized form, which is never stored, only passed between a
-- query's parallel workers.
-- ---------------------------------------------------------------------------

CREATE TYPE ethaudit.drift_test_result AS (
    test                text,
    statistic           double precision,
    p_value             double precision,
    threshold           double precision,
    drifted             boolean,
    n_reference         bigint,
    n_current           bigint,
    n_values            bigint,
    nonfinite_reference bigint,
    nonfinite_current   bigint,
    unseen_current      bigint
);

COMMENT ON TYPE ethaudit.drift_test_result IS
'Result of drift_test: the test used (Evidently 0.7''s choice unless forced), its statistic, p-value (NULL for the distance tests), default threshold and verdict; the finite values tested, their distinct values, the NaN/Infinity values left out (float8) and the current rows of categories the reference lacks (text). test is NULL when either sample is empty.';

CREATE FUNCTION ethaudit_internal.twosample_trans_drift(internal, double precision, boolean)
RETURNS internal
AS 'MODULE_PATHNAME', 'twosample_trans_drift'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.twosample_trans_drift(internal, double precision, boolean) IS
'Transition function of drift_test over float8: keeps every finite value, counts NaN and Infinity.';

CREATE FUNCTION ethaudit_internal.twosample_trans_drift_test(internal, double precision, boolean, text)
RETURNS internal
AS 'MODULE_PATHNAME', 'twosample_trans_drift_test'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.twosample_trans_drift_test(internal, double precision, boolean, text) IS
'Transition function of drift_test(value, is_reference, test) over float8.';

CREATE FUNCTION ethaudit_internal.drift_test_final(internal)
RETURNS ethaudit.drift_test_result
AS 'MODULE_PATHNAME', 'drift_test_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.drift_test_final(internal) IS 'Final function of drift_test over float8.';

INSERT INTO ethaudit_internal.aggregates
    (aggregate, arguments, state, transition, inverse, final, comment) VALUES
    ('drift_test', 'value double precision, is_reference boolean', 'twosample',
     'twosample_trans_drift', NULL, 'drift_test_final',
     'Drift test of a numeric column chosen as Evidently 0.7 chooses it (ks, chisquare or z up to 1000 reference values; wasserstein or jensenshannon above), with its default threshold and verdict.'),
    ('drift_test', 'value double precision, is_reference boolean, test text', 'twosample',
     'twosample_trans_drift_test', NULL, 'drift_test_final',
     'Drift test of a numeric column with the test named: auto, ks, wasserstein, jensenshannon, chisquare, z or psi.');

SELECT ethaudit_internal.define_aggregates('twosample');

CREATE FUNCTION ethaudit_internal.categorical_trans_drift(internal, text, boolean)
RETURNS internal
AS 'MODULE_PATHNAME', 'categorical_trans_drift'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.categorical_trans_drift(internal, text, boolean) IS
'Transition function of drift_test over text.';

CREATE FUNCTION ethaudit_internal.categorical_trans_drift_test(internal, text, boolean, text)
RETURNS internal
AS 'MODULE_PATHNAME', 'categorical_trans_drift_test'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.categorical_trans_drift_test(internal, text, boolean, text) IS
'Transition function of drift_test(value, is_reference, test) over text.';

CREATE FUNCTION ethaudit_internal.drift_test_text_final(internal)
RETURNS ethaudit.drift_test_result
AS 'MODULE_PATHNAME', 'drift_test_text_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.drift_test_text_final(internal) IS 'Final function of drift_test over text.';

INSERT INTO ethaudit_internal.aggregates
    (aggregate, arguments, state, transition, inverse, final, comment) VALUES
    ('drift_test', 'value text, is_reference boolean', 'categorical',
     'categorical_trans_drift', NULL, 'drift_test_text_final',
     'Drift test of a categorical column chosen as Evidently 0.7 chooses it (chisquare or z up to 1000 reference rows, jensenshannon above), with its default threshold and verdict.'),
    ('drift_test', 'value text, is_reference boolean, test text', 'categorical',
     'categorical_trans_drift_test', NULL, 'drift_test_text_final',
     'Drift test of a categorical column with the test named: auto, jensenshannon, chisquare, z or psi.');

SELECT ethaudit_internal.define_aggregates('categorical');

CREATE FUNCTION ethaudit_internal.range_condition(time_column name, bounds tstzrange)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, YMD'
AS $$
    SELECT concat_ws(' AND ', 'true',
        CASE WHEN NOT lower_inf(bounds) THEN
            format('src.%I %s %L::timestamptz', time_column,
                   CASE WHEN lower_inc(bounds) THEN '>=' ELSE '>' END, lower(bounds)) END,
        CASE WHEN NOT upper_inf(bounds) THEN
            format('src.%I %s %L::timestamptz', time_column,
                   CASE WHEN upper_inc(bounds) THEN '<=' ELSE '<' END, upper(bounds)) END)
$$;

COMMENT ON FUNCTION ethaudit_internal.range_condition(name, tstzrange) IS
'Internal: "src.<time_column> >= lower AND src.<time_column> < upper" for a range''s bounds, each quoted with %L.';

CREATE FUNCTION ethaudit_internal.drift_report_run(
    source regclass,
    reference_column name,
    time_column name,
    reference_range tstzrange,
    current_range tstzrange,
    columns name[],
    categorical name[],
    stattest text,
    stattest_threshold double precision,
    drift_share double precision)
RETURNS TABLE (column_name name, kind text, test text, statistic double precision,
               p_value double precision, threshold double precision, drifted boolean,
               n_reference bigint, n_current bigint, n_values bigint,
               null_reference bigint, null_current bigint,
               nonfinite_reference bigint, nonfinite_current bigint, unseen_current bigint)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, YMD'
AS $fn$
#variable_conflict use_variable
DECLARE
    numeric_types constant regtype[] := ARRAY['smallint', 'integer', 'bigint', 'real',
        'double precision', 'numeric']::regtype[];
    text_types constant regtype[] := ARRAY['text', 'character varying', 'character',
        'boolean', '"char"', 'name']::regtype[];
    p_value_tests constant text[] := ARRAY['ks', 'chisquare', 'z'];
    side_type regtype;
    side text;
    filter text;
    aggs text[] := ARRAY[]::text[];
    rows_list text[] := ARRAY[]::text[];
    col record;
    chosen record;
    i integer := 0;
    q text;
    r record;
    n_tested integer := 0;
    n_drifted integer := 0;
    rows_ref bigint;
    rows_cur bigint;
    missing name;
BEGIN
    IF source IS NULL THEN
        RAISE EXCEPTION 'drift_report: source must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF stattest IS NULL OR stattest NOT IN
            ('auto', 'ks', 'wasserstein', 'jensenshannon', 'chisquare', 'z', 'psi') THEN
        RAISE EXCEPTION 'drift_report: unknown test "%"', stattest USING ERRCODE = '22023',
            HINT = 'Use ''auto'' (Evidently''s choice), ''ks'', ''wasserstein'', ''jensenshannon'', ''chisquare'', ''z'' or ''psi''.';
    END IF;
    IF stattest_threshold IS NOT NULL AND NOT (stattest_threshold > 0
            AND stattest_threshold < 'Infinity'::double precision) THEN
        RAISE EXCEPTION 'drift_report: stattest_threshold must be a positive finite number, not %',
            stattest_threshold USING ERRCODE = '22023';
    END IF;
    IF drift_share IS NULL OR NOT (drift_share > 0 AND drift_share <= 1) THEN
        RAISE EXCEPTION 'drift_report: drift_share must lie in (0, 1], not %', drift_share
            USING ERRCODE = '22023';
    END IF;

    -- how rows split into reference (TRUE) and current (FALSE); other rows are left out
    IF reference_column IS NOT NULL THEN
        SELECT a.atttypid::regtype INTO side_type FROM pg_attribute a
         WHERE a.attrelid = source AND a.attname = reference_column AND a.attnum > 0
           AND NOT a.attisdropped;
        IF side_type IS NULL THEN
            RAISE EXCEPTION 'drift_report: % has no column "%"', source, reference_column
                USING ERRCODE = '42703';
        ELSIF side_type <> 'boolean'::regtype THEN
            RAISE EXCEPTION 'drift_report: reference column "%" is %, not boolean', reference_column,
                side_type USING ERRCODE = '42804',
                HINT = 'TRUE marks reference rows, FALSE current rows; rows where it is NULL are left out.';
        END IF;
        side := format('src.%I', reference_column);
        filter := format('src.%I IS NOT NULL', reference_column);
    ELSE
        SELECT a.atttypid::regtype INTO side_type FROM pg_attribute a
         WHERE a.attrelid = source AND a.attname = time_column AND a.attnum > 0
           AND NOT a.attisdropped;
        IF side_type IS NULL THEN
            RAISE EXCEPTION 'drift_report: % has no column "%"', source, time_column
                USING ERRCODE = '42703';
        ELSIF side_type NOT IN ('timestamp with time zone'::regtype,
                                'timestamp without time zone'::regtype, 'date'::regtype) THEN
            RAISE EXCEPTION 'drift_report: time column "%" is %, not a timestamp or date', time_column,
                side_type USING ERRCODE = '42804';
        END IF;
        IF reference_range IS NULL OR current_range IS NULL
                OR isempty(reference_range) OR isempty(current_range) THEN
            RAISE EXCEPTION 'drift_report: the reference and current ranges must be given and not empty'
                USING ERRCODE = '22023';
        END IF;
        IF reference_range && current_range THEN
            RAISE EXCEPTION 'drift_report: the reference range % and the current range % overlap',
                reference_range, current_range USING ERRCODE = '22023';
        END IF;
        side := format('CASE WHEN %s THEN true WHEN %s THEN false END',
                       ethaudit_internal.range_condition(time_column, reference_range),
                       ethaudit_internal.range_condition(time_column, current_range));
        filter := format('(%s) OR (%s)',
                         ethaudit_internal.range_condition(time_column, reference_range),
                         ethaudit_internal.range_condition(time_column, current_range));
    END IF;

    SELECT m INTO missing FROM unnest(coalesce(columns, '{}') || coalesce(categorical, '{}')) AS m
     WHERE NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = source AND a.attname = m
                          AND a.attnum > 0 AND NOT a.attisdropped)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'drift_report: % has no column "%"', source, missing USING ERRCODE = '42703';
    END IF;

    FOR col IN
        SELECT a.attname, a.atttypid::regtype AS typ,
               CASE WHEN a.attname = ANY (coalesce(categorical, '{}')) THEN 'categorical'
                    WHEN a.atttypid::regtype = ANY (numeric_types)
                      OR t.typbasetype::regtype = ANY (numeric_types) THEN 'numeric'
                    WHEN a.atttypid::regtype = ANY (text_types) OR t.typtype = 'e'
                      OR t.typbasetype::regtype = ANY (text_types) THEN 'categorical'
               END AS kind
          FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
         WHERE a.attrelid = source AND a.attnum > 0 AND NOT a.attisdropped
           AND a.attname IS DISTINCT FROM reference_column
           AND a.attname IS DISTINCT FROM time_column
           AND (a.attname = ANY (coalesce(categorical, '{}'))
                OR (columns IS NULL OR a.attname = ANY (columns)))
         ORDER BY a.attnum
    LOOP
        IF col.kind IS NULL THEN
            IF columns IS NULL THEN
                CONTINUE;           -- neither numbers nor categories: not tested unless named
            END IF;
            RAISE EXCEPTION 'drift_report: column "%" is %, neither numeric nor text', col.attname, col.typ
                USING ERRCODE = '42804',
                HINT = 'Name it in categorical to test its values, cast to text, as categories.';
        END IF;
        IF col.kind = 'categorical' AND stattest IN ('ks', 'wasserstein') THEN
            RAISE EXCEPTION 'drift_report: the % test needs a numeric column; "%" is categorical',
                stattest, col.attname USING ERRCODE = '22023';
        END IF;
        i := i + 1;
        aggs := aggs || format('ethaudit.drift_test((src.%I)::%s, side.is_reference, %L) AS d%s',
                               col.attname,
                               CASE col.kind WHEN 'numeric' THEN 'double precision' ELSE 'text' END,
                               stattest, i);
        rows_list := rows_list || format('(%s, %L::name, %L, a.d%s)', i, col.attname, col.kind, i);
    END LOOP;
    IF i = 0 THEN
        RAISE EXCEPTION 'drift_report: % has no column to test', source USING ERRCODE = '22023',
            HINT = 'Numeric columns and text, boolean or enum columns are tested; name others in categorical.';
    END IF;
    -- the reference column, or a range of the time column, splits the rows
    q := format('SELECT a.rows_ref, a.rows_cur, v.column_name, v.kind, v.r'
                '  FROM (SELECT count(*) FILTER (WHERE side.is_reference) AS rows_ref,'
                '               count(*) FILTER (WHERE NOT side.is_reference) AS rows_cur, %s'
                '          FROM %s AS src CROSS JOIN LATERAL (SELECT %s) AS side(is_reference)'
                '         WHERE %s) AS a'
                '  CROSS JOIN LATERAL (VALUES %s) AS v(ord, column_name, kind, r)'
                ' ORDER BY v.ord',
                array_to_string(aggs, ', '), source, side, filter,
                array_to_string(rows_list, ', '));
    FOR r IN EXECUTE q LOOP
        rows_ref := r.rows_ref;
        rows_cur := r.rows_cur;
        column_name := r.column_name;
        kind := r.kind;
        test := (r.r).test;
        statistic := (r.r).statistic;
        p_value := (r.r).p_value;
        threshold := coalesce(stattest_threshold, (r.r).threshold);
        drifted := CASE WHEN test IS NULL THEN NULL
                        WHEN stattest_threshold IS NULL THEN (r.r).drifted
                        WHEN test = 'ks' THEN p_value <= threshold
                        WHEN test = ANY (p_value_tests) THEN p_value < threshold
                        WHEN statistic = 'NaN'::double precision THEN false
                        ELSE statistic >= threshold END;
        n_reference := coalesce((r.r).n_reference, 0);
        n_current := coalesce((r.r).n_current, 0);
        n_values := (r.r).n_values;
        nonfinite_reference := CASE WHEN kind = 'numeric' THEN coalesce((r.r).nonfinite_reference, 0) END;
        nonfinite_current := CASE WHEN kind = 'numeric' THEN coalesce((r.r).nonfinite_current, 0) END;
        null_reference := rows_ref - n_reference - coalesce(nonfinite_reference, 0);
        null_current := rows_cur - n_current - coalesce(nonfinite_current, 0);
        unseen_current := CASE WHEN kind = 'categorical' THEN coalesce((r.r).unseen_current, 0) END;
        IF test IS NOT NULL THEN
            n_tested := n_tested + 1;
            n_drifted := n_drifted + drifted::integer;
        END IF;
        RETURN NEXT;
    END LOOP;

    -- the dataset: drifted when the share of drifted columns reaches drift_share
    column_name := NULL;
    kind := 'dataset';
    test := 'drift_share';
    statistic := CASE WHEN n_tested > 0 THEN n_drifted::double precision / n_tested END;
    p_value := NULL;
    threshold := drift_share;
    drifted := statistic >= drift_share;
    n_reference := rows_ref;
    n_current := rows_cur;
    n_values := n_tested;
    null_reference := NULL;
    null_current := NULL;
    nonfinite_reference := NULL;
    nonfinite_current := NULL;
    unseen_current := NULL;
    RETURN NEXT;
END
$fn$;

COMMENT ON FUNCTION ethaudit_internal.drift_report_run(regclass, name, name, tstzrange, tstzrange, name[], name[], text, double precision, double precision) IS
'Internal: the one query of drift_report, built from the catalog with format(%I, %L).';

CREATE FUNCTION ethaudit.drift_report(
    source regclass,
    reference_column name,
    columns name[] DEFAULT NULL,
    categorical name[] DEFAULT NULL,
    stattest text DEFAULT 'auto',
    stattest_threshold double precision DEFAULT NULL,
    drift_share double precision DEFAULT 0.5)
RETURNS TABLE (column_name name, kind text, test text, statistic double precision,
               p_value double precision, threshold double precision, drifted boolean,
               n_reference bigint, n_current bigint, n_values bigint,
               null_reference bigint, null_current bigint,
               nonfinite_reference bigint, nonfinite_current bigint, unseen_current bigint)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT * FROM ethaudit_internal.drift_report_run(source, reference_column, NULL, NULL, NULL,
        columns, categorical, stattest, stattest_threshold, drift_share)
$$;

COMMENT ON FUNCTION ethaudit.drift_report(regclass, name, name[], name[], text, double precision, double precision) IS
'Drift of every numeric and categorical column of source in one scan, reference rows marked TRUE in the boolean reference_column and current rows FALSE: one row per column (Evidently 0.7''s test choice unless stattest forces one), then the dataset row (drifted when the share of drifted columns reaches drift_share).';

CREATE FUNCTION ethaudit.drift_report(
    source regclass,
    time_column name,
    reference_period tstzrange,
    current_period tstzrange,
    columns name[] DEFAULT NULL,
    categorical name[] DEFAULT NULL,
    stattest text DEFAULT 'auto',
    stattest_threshold double precision DEFAULT NULL,
    drift_share double precision DEFAULT 0.5)
RETURNS TABLE (column_name name, kind text, test text, statistic double precision,
               p_value double precision, threshold double precision, drifted boolean,
               n_reference bigint, n_current bigint, n_values bigint,
               null_reference bigint, null_current bigint,
               nonfinite_reference bigint, nonfinite_current bigint, unseen_current bigint)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT * FROM ethaudit_internal.drift_report_run(source, NULL, time_column, reference_period, current_period,
        columns, categorical, stattest, stattest_threshold, drift_share)
$$;

COMMENT ON FUNCTION ethaudit.drift_report(regclass, name, tstzrange, tstzrange, name[], name[], text, double precision, double precision) IS
'Drift of every numeric and categorical column of source in one scan, reference rows those whose time_column lies in reference_period and current rows those in current_period (ranges that must not overlap; bounds inclusive or exclusive as the ranges say): one row per column, then the dataset row.';
