-- ethaudit 0.3.0 -> 0.4.0 (ALTER EXTENSION ethaudit UPDATE TO '0.4.0').
--
-- Reviewed by hand: every statement keeps the rows of the audit log, the
-- results, the alerts and the configuration (doc/releasing.md).  Tables
-- only gain columns, whose defaults describe the old rows truthfully
-- (results of 0.3.0 were all applied to the alerts, hence not replays;
-- its alerts are all threshold alerts).  The new table stage_history is
-- rebuilt from the audit log.  The result must equal a fresh 0.4.0
-- install, which test/upgrade/run.sh checks.

\echo Use "ALTER EXTENSION ethaudit UPDATE TO '0.4.0'" to load this file. \quit

-- ---------------------------------------------------------------------------
-- Versions from the data: the stage history (src/sql/models.sql).
-- ---------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION ethaudit_internal.validate_model_version()
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

CREATE OR REPLACE FUNCTION ethaudit_internal.audit_history_change()
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

-- The history so far, from the audit log: each version's creation and each
-- stage change after it, the last interval starting at the version's
-- stage_changed_at as the trigger below would have written it.  A version
-- whose events do not end in its present stage (renamed, or events removed
-- behind a checkpoint) gets one interval, from its stage_changed_at.
WITH events AS (
    SELECT v.model, v.version, v.stage AS present_stage, v.stage_changed_at, a.seq,
           CASE WHEN a.event_type = 'model_version_created' THEN a.details->'row'->>'stage'
                ELSE a.details->'changes'->'stage'->>'new' END AS stage,
           CASE WHEN a.event_type = 'model_version_created' THEN (a.details->'row'->>'stage_changed_at')::timestamptz
                ELSE a.logged_at END AS at,
           pg_catalog.bool_or(a.event_type = 'model_version_created') OVER (PARTITION BY v.model, v.version) AS created
    FROM ethaudit.model_versions v
    JOIN ethaudit.audit_log a
      ON a.model = v.model AND a.details->>'version' = v.version
     AND (a.event_type = 'model_version_created' OR (a.event_type = 'stage_changed' AND a.details->'changes' ? 'stage'))
), ordered AS (
    SELECT e.*, pg_catalog.row_number() OVER w AS n, pg_catalog.count(*) OVER (PARTITION BY e.model, e.version) AS total,
           pg_catalog.last_value(e.stage) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS last_stage
    FROM events e
    WINDOW w AS (PARTITION BY e.model, e.version ORDER BY e.seq)
), usable AS (
    SELECT o.model, o.version, o.stage, o.seq,
           CASE WHEN o.n = o.total THEN o.stage_changed_at ELSE o.at END AS at
    FROM ordered o WHERE o.created AND o.last_stage = o.present_stage
), clamped AS (
    -- an interval never starts after a later one (changes in one
    -- transaction share its stage_changed_at, but not their logged_at)
    SELECT u.model, u.version, u.stage, u.seq,
           pg_catalog.min(u.at) OVER (PARTITION BY u.model, u.version ORDER BY u.seq
                                      ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS valid_from
    FROM usable u
), rebuilt AS (
    SELECT u.model, u.version, u.stage, u.valid_from,
           pg_catalog.lead(u.valid_from) OVER (PARTITION BY u.model, u.version ORDER BY u.seq) AS valid_to
    FROM clamped u
)
INSERT INTO ethaudit.stage_history (model, version, stage, valid_from, valid_to)
SELECT r.model, r.version, r.stage, r.valid_from, r.valid_to
FROM rebuilt r
UNION ALL
SELECT v.model, v.version, v.stage, v.stage_changed_at, NULL
FROM ethaudit.model_versions v
WHERE NOT EXISTS (SELECT 1 FROM rebuilt r WHERE r.model = v.model AND r.version = v.version)
ORDER BY 1, 2, 4;

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

-- Three functions change their signature (set_stage, run_checks, run_check):
-- the EXECUTE grants given on them by hand (e.g. to the owner of a pg_cron
-- job) are noted here and given again on the new functions below; those of
-- the configured roles come back with role_privileges at the end.
CREATE TABLE ethaudit_internal.upgrade_grants AS
SELECT x.new_signature, a.grantee
FROM (VALUES ('ethaudit.set_stage(text,text,text)'::pg_catalog.regprocedure,
              'ethaudit.set_stage(text, text, text, timestamptz)'),
             ('ethaudit.run_checks(text,timestamptz)'::pg_catalog.regprocedure,
              'ethaudit.run_checks(text, timestamptz, boolean)'),
             ('ethaudit.run_check(bigint,timestamptz)'::pg_catalog.regprocedure,
              'ethaudit.run_check(bigint, timestamptz, boolean)')) AS x(old, new_signature)
JOIN pg_catalog.pg_proc p ON p.oid = x.old,
     pg_catalog.aclexplode(p.proacl) AS a
WHERE a.grantee <> 0 AND a.grantee <> p.proowner AND a.privilege_type = 'EXECUTE';
DROP FUNCTION ethaudit.set_stage(text, text, text);

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


-- ---------------------------------------------------------------------------
-- New columns (src/sql/thresholds.sql, results.sql, alerts.sql).
-- ---------------------------------------------------------------------------
ALTER TABLE ethaudit.thresholds ADD COLUMN broken_after integer NOT NULL DEFAULT 3
    CONSTRAINT thresholds_broken_after_check CHECK (broken_after >= 1);

COMMENT ON COLUMN ethaudit.thresholds.broken_after IS 'This many consecutive live results with status error open a check_broken alert (a check without thresholds uses 3).';

ALTER TABLE ethaudit.runs ADD COLUMN replay boolean NOT NULL DEFAULT false;
ALTER TABLE ethaudit.results ADD COLUMN version_source text
    CONSTRAINT results_version_source_check CHECK (version_source IN ('check', 'data', 'stage_history'));
ALTER TABLE ethaudit.results ADD COLUMN mixed_versions boolean;
ALTER TABLE ethaudit.results ADD COLUMN replayed boolean NOT NULL DEFAULT false;
ALTER TABLE ethaudit.results ADD COLUMN labelled_share double precision;
-- runs of label updates (monitor_label_updates)
ALTER TABLE ethaudit.runs DROP CONSTRAINT runs_kind_check;
ALTER TABLE ethaudit.runs ADD CONSTRAINT runs_kind_check CHECK (kind IN ('run_checks', 'run_check', 'insert', 'update'));
ALTER TABLE ethaudit.checks ADD COLUMN labelled_only boolean NOT NULL DEFAULT false;

COMMENT ON COLUMN ethaudit.checks.labelled_only IS 'The current window holds labelled rows only (label_column not NULL): window_rows counts the latest labelled predictions, for logs whose labels arrive late. Only for metrics that read labels.';

COMMENT ON COLUMN ethaudit.runs.replay IS 'A replay of the past (doc/governance.md, "Replays"): its results are recorded with replayed true and leave the alerts alone.';

COMMENT ON COLUMN ethaudit.runs.checks IS 'Checks considered (a check with a version column once per version of its rows).';

COMMENT ON COLUMN ethaudit.runs.kind IS 'run_checks, run_check, insert (a batch inserted into a monitored table) or update (an UPDATE of a table whose label updates are monitored).';

COMMENT ON COLUMN ethaudit.runs.source IS 'insert, update: the monitored table.';

COMMENT ON COLUMN ethaudit.runs.batch_rows IS 'insert, update: rows in the inserted or updated batch.';

COMMENT ON COLUMN ethaudit.results.model_version IS 'The version the result is about, as version_source says: the version the check is pinned to, the version of the rows (one result per version in the window), or the versions live during the window by the stage history, comma-separated (NULL if none). Before 0.4.0: the live versions at run time.';

COMMENT ON COLUMN ethaudit.results.message IS 'Why the status is error or insufficient_data; and when versions may be mixed, which ones.';

COMMENT ON COLUMN ethaudit.results.version_source IS 'Where model_version comes from: check (the check is pinned to it), data (the version column of the rows), stage_history (no version column: the versions live during the window); NULL before 0.4.0.';

COMMENT ON COLUMN ethaudit.results.mixed_versions IS 'stage_history: true when several versions served (shadow, canary or live) during the window, so that a log holding the rows of more than one mixes them (the message says which); NULL otherwise.';

COMMENT ON COLUMN ethaudit.results.replayed IS 'True for a result of a replay (an as_of in the past, or replay => true): it is evidence about its window but leaves the alerts alone.';

COMMENT ON COLUMN ethaudit.results.labelled_share IS 'For metrics that read labels: the share of the current window''s rows that have one (n_current counts only those); 1 for a labelled_only window. NULL for other metrics and before 0.4.0.';

ALTER TABLE ethaudit.alerts ADD COLUMN kind text NOT NULL DEFAULT 'threshold'
    CONSTRAINT alerts_kind_check CHECK (kind IN ('threshold', 'check_broken'));
ALTER TABLE ethaudit.alerts ADD COLUMN model_version text;
ALTER TABLE ethaudit.alerts ADD COLUMN first_window_end timestamptz;
ALTER TABLE ethaudit.alerts ADD COLUMN last_window_end timestamptz;
-- an alert of a check pinned to a version is about that version: the
-- check's results (version_source check) find it by it, as a fresh alert
UPDATE ethaudit.alerts a SET model_version = ch.version
FROM ethaudit.checks ch WHERE ch.check_id = a.check_id AND ch.version IS NOT NULL;
DROP INDEX ethaudit.alerts_one_open_per_check;
-- a check with a version column and no pinned version now records one
-- result per version; its alerts opened before were about all versions
DO $$
DECLARE
    n bigint;
BEGIN
    SELECT count(*) INTO n FROM ethaudit.alerts a JOIN ethaudit.checks ch ON ch.check_id = a.check_id
    WHERE a.status <> 'resolved' AND ch.version_column IS NOT NULL AND ch.version IS NULL;
    IF n > 0 THEN
        RAISE NOTICE 'ethaudit 0.4.0: % open alerts of checks with a version column were about all versions together; the per-version results that follow do not update them: resolve them with ethaudit.resolve_alert() once the per-version alerts have taken over', n;
    END IF;
END
$$;

CREATE UNIQUE INDEX alerts_one_open_per_check ON ethaudit.alerts (check_id, kind, model_version) NULLS NOT DISTINCT
    WHERE status <> 'resolved';

COMMENT ON INDEX ethaudit.alerts_one_open_per_check IS 'At most one open (or acknowledged) alert of each kind per check and version.';

COMMENT ON TABLE ethaudit.alerts IS
'Alerts raised by results beyond their thresholds (kind threshold) or by a check that keeps failing (kind check_broken): open, acknowledged, resolved. At most one of each kind per check and version is not resolved. Row-level security (roles.sql): an alert is visible to members of its owner_role and of its model''s owner role and to the auditor; only members of its owner_role may update it. History: kept by pg_dump.';

COMMENT ON COLUMN ethaudit.alerts.occurrences IS 'Results that crossed a threshold while the alert was open, the first included; for check_broken, the failed results since it opened.';

COMMENT ON COLUMN ethaudit.alerts.first_value IS 'Value that opened the alert (NULL for check_broken).';

COMMENT ON COLUMN ethaudit.alerts.resolution IS 'automatic (after resolve_after clean runs; check_broken: at the next result that is not an error) or manual (resolve_alert).';

COMMENT ON COLUMN ethaudit.alerts.kind IS 'threshold (a value beyond warn or critical) or check_broken (thresholds.broken_after consecutive results with status error: the check no longer audits). Alerts before 0.4.0 are threshold alerts.';

COMMENT ON COLUMN ethaudit.alerts.model_version IS 'The version the alert is about, for checks whose results name a version of their rows or are pinned to one (results.version_source data or check); NULL otherwise.';

COMMENT ON COLUMN ethaudit.alerts.first_window_end IS 'End of the window of the result that opened the alert: the time the evidence is about (opened_at is when it was raised). NULL before 0.4.0.';

COMMENT ON COLUMN ethaudit.alerts.last_window_end IS 'End of the window of the latest result applied to the alert.';

COMMENT ON COLUMN ethaudit.checks.version_column IS 'Column holding the model version of each prediction: the check records one result per version found in the window, with model_version taken from the rows (or only the pinned version). Without it, results name the versions live during the window by ethaudit.stage_history.';


-- ---------------------------------------------------------------------------
-- The runner (src/sql/runner.sql): results per version, with where the
-- version comes from; replays.  Changed signatures are dropped and created.
-- ---------------------------------------------------------------------------
DROP FUNCTION ethaudit.run_checks(text, timestamptz);
DROP FUNCTION ethaudit.run_check(bigint, timestamptz);
DROP FUNCTION ethaudit_internal.evaluate_check(ethaudit.checks, bigint, timestamptz);
DROP FUNCTION ethaudit_internal.record_result(ethaudit.checks, bigint, double precision, bigint, bigint, timestamptz, timestamptz, timestamptz, timestamptz, timestamptz, text, text);
DROP FUNCTION ethaudit_internal.check_query(ethaudit.checks, regclass, text);

CREATE FUNCTION ethaudit_internal.check_query(c ethaudit.checks, rel regclass, batch_relation text DEFAULT NULL,
                                              by_version boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    parts record;
    ver text := '';
    labelled text := '';
    labelled_share text := 'NULL::float8';
    t text := format('src.%I', c.time_column);
    cur text;
    ref text;
BEGIN
    parts := ethaudit_internal.check_parts(c, rel);
    IF by_version THEN
        parts.proj := parts.proj || format(', %s AS ethaudit_version', ethaudit_internal.text_of(rel, c.version_column));
    END IF;
    IF c.version IS NOT NULL THEN
        ver := format(' AND %s = %L', ethaudit_internal.text_of(rel, c.version_column), c.version);
    END IF;
    -- a metric that reads labels reports the share of the window labelled;
    -- labelled_only windows hold labelled rows only (the filter goes with
    -- the version's, into the current sample)
    IF c.label_column IS NOT NULL THEN
        labelled_share := 'count(*) FILTER (WHERE NOT s.r AND s.y IS NOT NULL)::float8 / nullif(count(*) FILTER (WHERE NOT s.r), 0)';
    END IF;
    IF c.labelled_only THEN
        labelled := format(' AND src.%I IS NOT NULL', c.label_column);
    END IF;

    -- the current sample
    IF batch_relation IS NOT NULL THEN
        cur := format('SELECT %s, false AS r FROM %I AS src WHERE true%s', parts.proj, batch_relation, ver || labelled);
    ELSIF c.window_rows IS NOT NULL THEN
        cur := format('SELECT %s, false AS r FROM %s AS src WHERE %s < $2%s ORDER BY 5 DESC LIMIT %s',
                      parts.proj, rel, t, ver || labelled, c.window_rows);
    ELSIF c.window_size IS NOT NULL THEN
        cur := format('SELECT %s, false AS r FROM %s AS src WHERE %s >= $1 AND %s < $2%s', parts.proj, rel, t, t, ver || labelled);
    ELSE
        RAISE EXCEPTION 'check % is evaluated per inserted batch and has no window', c.check_name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Set window_size or window_rows to evaluate it over a window too.';
    END IF;

    -- the reference sample
    IF c.reference_kind = 'fixed' OR (c.reference_kind = 'preceding' AND c.window_rows IS NULL) THEN
        ref := format('SELECT %s, true AS r FROM %s AS src WHERE %s >= $3 AND %s < $4%s', parts.proj, rel, t, t, ver);
    ELSIF c.reference_kind = 'preceding' AND batch_relation IS NOT NULL THEN
        ref := format('SELECT %s, true AS r FROM %s AS src WHERE %s < $4%s ORDER BY 5 DESC LIMIT %s',
                      parts.proj, rel, t, ver, coalesce(c.reference_rows, c.window_rows));
    ELSIF c.reference_kind = 'preceding' THEN
        ref := format('SELECT %s, true AS r FROM %s AS src WHERE %s < $2%s ORDER BY 5 DESC OFFSET %s LIMIT %s',
                      parts.proj, rel, t, ver, c.window_rows, coalesce(c.reference_rows, c.window_rows));
    END IF;

    RETURN format(
        'SELECT (%s)::float8 AS value, count(*) FILTER (WHERE NOT s.r AND (%s)) AS n_current, %s AS n_reference, '
        'min(s.t) FILTER (WHERE NOT s.r)::timestamptz AS first_time, max(s.t) FILTER (WHERE NOT s.r)::timestamptz AS last_time, '
        'min(s.t) FILTER (WHERE s.r)::timestamptz AS ref_first, max(s.t) FILTER (WHERE s.r)::timestamptz AS ref_last, '
        '%s AS labelled_share%s '
        'FROM ((%s)%s) AS s%s',
        parts.value_expr, parts.usable, parts.n_reference_expr, labelled_share,
        CASE WHEN by_version THEN ', s.ethaudit_version AS version' ELSE ', NULL::text AS version' END, cur,
        CASE WHEN ref IS NULL THEN '' ELSE format(' UNION ALL (%s)', ref) END,
        CASE WHEN by_version
             THEN ' GROUP BY s.ethaudit_version HAVING count(*) FILTER (WHERE NOT s.r) > 0 ORDER BY s.ethaudit_version'
             ELSE '' END);
END
$$;
COMMENT ON FUNCTION ethaudit_internal.check_query(ethaudit.checks, regclass, text, boolean) IS
'Internal: the SQL that evaluates a check over its source (or over batch_relation, the transition table of the prediction-log trigger); by_version, once per version of the rows in the window. Identifiers are quoted with format(%I), constants with %L.';

CREATE OR REPLACE FUNCTION ethaudit_internal.batch_query(cs ethaudit.checks[], rel regclass, batch_relation text)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    parts record;
    projs text[] := '{}';
    aggs text[] := '{}';
    vals text[] := '{}';
    ns text[] := '{}';
    refs text[] := '{}';
    firsts text[] := '{}';
    lasts text[] := '{}';
    times name[] := '{}';
    shares text[] := '{}';
    k integer;
    t integer;
BEGIN
    FOR k IN 1 .. cardinality(cs) LOOP
        -- each time column is projected, and its bounds computed, once
        t := array_position(times, cs[k].time_column);
        IF t IS NULL THEN
            times := times || cs[k].time_column;
            t := cardinality(times);
            projs := projs || format('src.%I AS %I', cs[k].time_column, 'time_' || t);
            aggs := aggs || format('min(%I)::timestamptz AS %I, max(%I)::timestamptz AS %I',
                                   'time_' || t, 'first_' || t, 'time_' || t, 'last_' || t);
        END IF;
        parts := ethaudit_internal.check_parts(cs[k], rel, '_' || k, false);
        IF parts.reference_rows OR cs[k].version_column IS NOT NULL OR cs[k].labelled_only THEN
            RAISE EXCEPTION 'check % cannot share a scan', cs[k].check_name USING ERRCODE = 'internal_error';
        END IF;
        projs := projs || parts.proj;
        aggs := aggs || format('(%s)::float8 AS %I, count(*) FILTER (WHERE %s) AS %I, %s AS %I',
                               parts.value_expr, 'value_' || k, parts.usable, 'n_' || k,
                               CASE WHEN cs[k].label_column IS NULL THEN 'NULL::float8'
                                    ELSE format('count(*) FILTER (WHERE %I IS NOT NULL)::float8 / nullif(count(*), 0)', 'y_' || k) END,
                               'labelled_' || k);
        shares := shares || format('%I', 'labelled_' || k);
        vals := vals || format('%I', 'value_' || k);
        ns := ns || format('%I', 'n_' || k);
        refs := refs || parts.n_reference_expr;
        firsts := firsts || format('%I', 'first_' || t);
        lasts := lasts || format('%I', 'last_' || t);
    END LOOP;
    RETURN format('SELECT ARRAY[%s]::float8[], ARRAY[%s]::bigint[], ARRAY[%s]::bigint[], '
                  'ARRAY[%s]::timestamptz[], ARRAY[%s]::timestamptz[], ARRAY[%s]::float8[], agg.batch_rows '
                  'FROM (SELECT %s, count(*) AS batch_rows FROM (SELECT %s, false AS r FROM %I AS src) AS s) AS agg',
                  array_to_string(vals, ', '), array_to_string(ns, ', '), array_to_string(refs, ', '),
                  array_to_string(firsts, ', '), array_to_string(lasts, ', '), array_to_string(shares, ', '),
                  array_to_string(aggs, ', '), array_to_string(projs, ', '), batch_relation);
END
$$;
COMMENT ON FUNCTION ethaudit_internal.batch_query(ethaudit.checks[], regclass, text) IS
'Internal: the SQL that evaluates several insert_batch checks without reference rows in one scan of the transition table of the prediction-log trigger.';

CREATE FUNCTION ethaudit_internal.result_version(c ethaudit.checks, row_version text,
    window_start timestamptz, window_end timestamptz,
    OUT model_version text, OUT version_source text, OUT mixed_versions boolean, OUT note text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ws timestamptz := coalesce(window_start, window_end, pg_catalog.now());
    we timestamptz := coalesce(window_end, window_start, pg_catalog.now());
    -- a time window ends before window_end; a window of rows or a batch at its last row
    end_included boolean := c.mode = 'insert_batch' OR c.window_size IS NULL OR window_end IS NULL;
    serving text[];
BEGIN
    IF c.version IS NOT NULL THEN
        model_version := c.version;
        version_source := 'check';
    ELSIF c.version_column IS NOT NULL THEN
        model_version := row_version;
        version_source := 'data';
    ELSE
        version_source := 'stage_history';
        -- the versions that served, and of them those that were live
        SELECT string_agg(DISTINCT d.version, ',' ORDER BY d.version) FILTER (WHERE d.stage = 'live'),
               array_agg(format('%s (%s)', d.version, d.stage)),
               count(DISTINCT d.version) > 1
        INTO model_version, serving, mixed_versions
        FROM ethaudit_internal.versions_during(c.model, '{shadow,canary,live}', ws, we, end_included) d;
        IF mixed_versions THEN
            note := format('versions %s served during the window: without version_column, their rows may be mixed',
                           array_to_string(serving, ', '));
        END IF;
    END IF;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.result_version(ethaudit.checks, text, timestamptz, timestamptz) IS
'Internal: the model_version, version_source and mixed_versions of a result of the check over [window_start, window_end), and the warning of its message when versions may be mixed.';

CREATE FUNCTION ethaudit_internal.record_result(
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
    ELSE
        status := ethaudit.classify(value, th.warn, th.critical, th.direction);
    END IF;
    ver := ethaudit_internal.result_version(c, row_version, window_start, window_end);
    IF ver.note IS NOT NULL AND status <> 'error' THEN
        msg := CASE WHEN msg IS NULL THEN ver.note ELSE msg || '; ' || ver.note END;
    END IF;
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
    result.warn := th.warn;
    result.critical := th.critical;
    result.direction := th.direction;
    result.error_sqlstate := record_result.error_sqlstate;
    result.message := msg;
    result.evaluated_at := clock_timestamp();
    result.duration := result.evaluated_at - started;
    result.alert_applied := false;
    result.version_source := ver.version_source;
    result.mixed_versions := ver.mixed_versions;
    result.replayed := record_result.replayed;
    result.labelled_share := record_result.labelled_share;
    INSERT INTO ethaudit.results SELECT result.*;
    result.alert_applied := true;
    RETURN result;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.record_result(ethaudit.checks, bigint, double precision, bigint, bigint, timestamptz, timestamptz, timestamptz, timestamptz, timestamptz, text, text, text, boolean, double precision) IS
'Internal: judges a value against the thresholds of its check (or records a failure) and inserts the result, with the version it is about (row_version: the version of its rows, for a check with a version column) and the labelled share of its window; the insert updates the alerts unless the result is replayed.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.record_result(ethaudit.checks, bigint, double precision, bigint, bigint, timestamptz, timestamptz, timestamptz, timestamptz, timestamptz, text, text, text, boolean, double precision) FROM PUBLIC;

CREATE FUNCTION ethaudit_internal.evaluate_check(c ethaudit.checks, run_id bigint, as_of timestamptz,
                                                 replayed boolean DEFAULT false)
RETURNS SETOF ethaudit.results
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
    started timestamptz := clock_timestamp();
    rel regclass;
    q text;
    t_end timestamptz := as_of - c.window_lag;
    cur_start timestamptz;
    ref_start timestamptz;
    ref_end timestamptz;
    by_version boolean := c.version_column IS NOT NULL AND c.version IS NULL;
    split boolean;
    r record;
    -- returned once the block has succeeded: a failure rolls back its inserts
    recorded ethaudit.results[] := '{}';
    state text;
    msg text;
BEGIN
    BEGIN
        rel := ethaudit_internal.check_source(pg_catalog.to_regclass(c.source), c.source, c.mode <> 'scheduled');
        IF c.window_size IS NOT NULL THEN
            cur_start := t_end - c.window_size;
        END IF;
        IF c.reference_kind = 'fixed' THEN
            ref_start := c.reference_start;
            ref_end := c.reference_end;
        ELSIF c.reference_kind = 'preceding' AND c.window_size IS NOT NULL THEN
            ref_start := cur_start - coalesce(c.reference_size, c.window_size);
            ref_end := cur_start;
        END IF;
        -- as the source's owner: its view, functions and policies never run
        -- with the rights of whoever runs the checks.  One result per version
        -- of the rows when the check splits by version; a window without rows
        -- has no version, and gets one result from the query unsplit.
        FOR split IN SELECT x FROM unnest(ARRAY[by_version, false]) AS x LOOP
            q := ethaudit_internal.check_query(c, rel, NULL, split);
            FOR r IN SELECT * FROM ethaudit_internal.run_as_owner(rel, q, ARRAY[cur_start, t_end, ref_start, ref_end])
                AS x(value float8, n_current bigint, n_reference bigint, first_time timestamptz,
                     last_time timestamptz, ref_first timestamptz, ref_last timestamptz, labelled_share float8,
                     version text)
            LOOP
                -- (a window of rows without rows ends where it was looked for)
                recorded := recorded || ethaudit_internal.record_result(c, run_id, r.value, r.n_current, r.n_reference,
                                              coalesce(cur_start, r.first_time),
                                              CASE WHEN c.window_size IS NOT NULL THEN t_end ELSE coalesce(r.last_time, t_end) END,
                                              coalesce(ref_start, r.ref_first), coalesce(ref_end, r.ref_last),
                                              started, NULL, NULL, r.version, replayed, r.labelled_share);
            END LOOP;
            EXIT WHEN cardinality(recorded) > 0;
        END LOOP;
        RETURN QUERY SELECT * FROM unnest(recorded);
        RETURN;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
    END;
    -- recorded outside the failed block, so that the failure is kept
    RETURN NEXT ethaudit_internal.record_result(c, run_id, NULL, NULL, NULL, cur_start, t_end, ref_start, ref_end,
                                  started, state, msg, NULL, replayed);
END
$$;
COMMENT ON FUNCTION ethaudit_internal.evaluate_check(ethaudit.checks, bigint, timestamptz, boolean) IS
'Internal: evaluates one check over its window ending at as_of minus its window_lag and records the result, one per version of the rows when the check has a version column and no pinned version; a failure is recorded as a result with status error.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.evaluate_check(ethaudit.checks, bigint, timestamptz, boolean) FROM PUBLIC;

CREATE FUNCTION ethaudit_internal.is_replay(as_of timestamptz, replay boolean)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(replay, as_of IS NOT NULL AND as_of < pg_catalog.now())
$$;
COMMENT ON FUNCTION ethaudit_internal.is_replay(timestamptz, boolean) IS
'Internal: whether a run is a replay: as the caller says, or by default when as_of is before the start of the transaction.';

CREATE FUNCTION ethaudit.run_checks(model text DEFAULT NULL, as_of timestamptz DEFAULT NULL,
                                    replay boolean DEFAULT NULL)
RETURNS ethaudit.run_summary
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
    run bigint;
    c ethaudit.checks;
    res ethaudit.results;
    summary ethaudit.run_summary;
    statuses text[] := '{}';
    replaying boolean := ethaudit_internal.is_replay(run_checks.as_of, run_checks.replay);
BEGIN
    IF model IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ethaudit.models m WHERE m.model = run_checks.model) THEN
        RAISE EXCEPTION 'model "%" is not registered', model
            USING ERRCODE = 'undefined_object';
    END IF;
    INSERT INTO ethaudit.runs AS r (kind, model, as_of, run_by, replay)
    VALUES ('run_checks', run_checks.model, coalesce(run_checks.as_of, now()), ethaudit.session_role(), replaying)
    RETURNING r.run_id INTO run;

    FOR c IN
        SELECT ch.* FROM ethaudit.checks ch
        LEFT JOIN ethaudit.model_versions v ON v.model = ch.model AND v.version = ch.version
        WHERE ch.enabled AND ch.mode = 'scheduled'
          AND (run_checks.model IS NULL OR ch.model = run_checks.model)
          AND v.stage IS DISTINCT FROM 'retired'
        ORDER BY ch.model, ch.check_id
    LOOP
        IF NOT ethaudit_internal.lock_check(c.check_id) THEN
            statuses := statuses || 'skipped'::text;
            CONTINUE;
        END IF;
        BEGIN
            FOR res IN SELECT * FROM ethaudit_internal.evaluate_check(c, run, coalesce(run_checks.as_of, now()), replaying)
            LOOP
                statuses := statuses || res.status;
            END LOOP;
        EXCEPTION WHEN OTHERS THEN
            -- not even the failure could be recorded (e.g. the check was
            -- deleted meanwhile): count it and go on with the others
            RAISE WARNING 'ethaudit: check % (%) could not be evaluated: %', c.check_id, c.check_name, SQLERRM;
            statuses := statuses || 'error'::text;
        END;
    END LOOP;

    PERFORM ethaudit_internal.finish_run(run, statuses);
    SELECT r.run_id, r.checks, r.ok, r.warning, r.critical, r.insufficient_data, r.error, r.skipped,
           r.started_at, r.finished_at
    INTO summary FROM ethaudit.runs r WHERE r.run_id = run;
    RETURN summary;
END
$$;
COMMENT ON FUNCTION ethaudit.run_checks(text, timestamptz, boolean) IS
'Evaluates every enabled scheduled check (of one model, or of all when model is NULL) over its latest window ending at as_of (default now()), writes one result per check (per version of the rows, for a check with a version column) and returns a summary. A run with an as_of before now is a replay unless replay => false: its results are recorded with replayed true and leave the alerts alone (replay => true makes any run one). A failing check is recorded with status error and does not stop the others; a check that a concurrent run is evaluating is skipped. Checks pinned to a retired version are not run. SECURITY DEFINER: only the runner writes runs and results (the caller needs no privilege on them, and no role can write them directly); each check''s SQL runs as the owner of its source (run_as_owner). The run is recorded in the caller''s name (run_by) and its results committed to the audit log. Not executable by PUBLIC.';
REVOKE EXECUTE ON FUNCTION ethaudit.run_checks(text, timestamptz, boolean) FROM PUBLIC;

CREATE FUNCTION ethaudit.run_check(check_id bigint, as_of timestamptz DEFAULT NULL, replay boolean DEFAULT NULL)
RETURNS SETOF ethaudit.results
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
    c ethaudit.checks;
    run bigint;
    res ethaudit.results;
    statuses text[] := '{}';
    replaying boolean := ethaudit_internal.is_replay(run_check.as_of, run_check.replay);
BEGIN
    IF check_id IS NULL THEN
        RAISE EXCEPTION 'check_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT * INTO c FROM ethaudit.checks ch WHERE ch.check_id = run_check.check_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'check % does not exist', check_id
            USING ERRCODE = 'undefined_object';
    END IF;
    INSERT INTO ethaudit.runs AS r (kind, model, as_of, run_by, replay)
    VALUES ('run_check', c.model, coalesce(run_check.as_of, now()), ethaudit.session_role(), replaying)
    RETURNING r.run_id INTO run;
    -- an explicit request waits for a concurrent evaluation of the same check
    PERFORM pg_catalog.pg_advisory_xact_lock(1702127713, (c.check_id % 2147483648)::integer);
    FOR res IN SELECT * FROM ethaudit_internal.evaluate_check(c, run, coalesce(run_check.as_of, now()), replaying) LOOP
        statuses := statuses || res.status;
        RETURN NEXT res;
    END LOOP;
    PERFORM ethaudit_internal.finish_run(run, statuses);
END
$$;
COMMENT ON FUNCTION ethaudit.run_check(bigint, timestamptz, boolean) IS
'Evaluates one check now (whatever its mode and even if disabled) over its window ending at as_of (default now()), records the result and returns it (one per version of the rows, for a check with a version column). A replay as in run_checks: an as_of before now, unless replay => false. SECURITY DEFINER, like run_checks: the check''s SQL runs as the owner of its source, the run in the caller''s name. Not executable by PUBLIC.';
REVOKE EXECUTE ON FUNCTION ethaudit.run_check(bigint, timestamptz, boolean) FROM PUBLIC;

DO $$
DECLARE
    g record;
BEGIN
    FOR g IN SELECT u.new_signature, r.rolname FROM ethaudit_internal.upgrade_grants u
             JOIN pg_catalog.pg_roles r ON r.oid = u.grantee ORDER BY 1, 2 LOOP
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO %I', g.new_signature, g.rolname);
    END LOOP;
END
$$;
DROP TABLE ethaudit_internal.upgrade_grants;

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
        -- the label columns this UPDATE filled: more of them non-NULL in its
        -- new rows than in its old rows (the transition tables, visible only
        -- here).  A column that is gone counts, so that its checks record
        -- the error.  An UPDATE that filled none is no batch.
        FOR col IN SELECT DISTINCT ch.label_column FROM ethaudit.checks ch
                   WHERE ch.source = src AND ch.mode <> 'scheduled' AND ch.enabled AND ch.label_column IS NOT NULL LOOP
            BEGIN
                EXECUTE format('SELECT (SELECT count(%1$I) FROM ethaudit_batch) > (SELECT count(%1$I) FROM ethaudit_old)', col)
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
'Trigger function of monitored prediction logs (AFTER INSERT, or AFTER UPDATE with monitor_label_updates; FOR EACH STATEMENT, transition table ethaudit_batch): evaluates the insert_batch checks of the table over the inserted rows and its insert_window checks over their latest window; after an UPDATE, only the checks that read labels, and only if the statement filled some of them (more non-NULL after it than before). Never makes the statement fail: a failing check is recorded with status error, and any other failure is reported as a warning. SECURITY DEFINER, so writing roles need no privileges on ethaudit''s tables.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.monitor_batch() FROM PUBLIC;

CREATE FUNCTION ethaudit.monitor_label_updates(source regclass)
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
'Attaches the ethaudit_monitor_labels trigger (AFTER UPDATE, FOR EACH STATEMENT, over the old and new transition tables) to a prediction-log table whose labels are filled in later by UPDATE: when a statement fills labels (more labelled rows after it than before), the insert_batch checks of the table that read them are evaluated over the updated rows that have a label, and its insert_window checks that read them over their latest window. An UPDATE that fills no label (another column, a correction of labels) runs nothing. unmonitor_table() drops it too.';
REVOKE EXECUTE ON FUNCTION ethaudit.monitor_label_updates(regclass) FROM PUBLIC;

CREATE OR REPLACE FUNCTION ethaudit.unmonitor_table(source regclass)
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    trigger_name name;
    dropped integer := 0;
    disabled integer;
BEGIN
    FOR trigger_name IN SELECT tg.tgname FROM pg_catalog.pg_trigger tg
                        WHERE tg.tgrelid = source AND tg.tgfoid = 'ethaudit_internal.monitor_batch()'::regprocedure
                        ORDER BY tg.tgname LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', trigger_name, source);
        dropped := dropped + 1;
    END LOOP;
    IF dropped = 0 THEN
        RAISE EXCEPTION 'table % is not monitored', coalesce(source::text, 'NULL')
            USING ERRCODE = 'undefined_object';
    END IF;
    UPDATE ethaudit.checks ch SET enabled = false
    WHERE ch.source = ethaudit_internal.qualified_name(unmonitor_table.source) AND ch.mode <> 'scheduled' AND ch.enabled;
    GET DIAGNOSTICS disabled = ROW_COUNT;
    RETURN disabled;
END
$$;
COMMENT ON FUNCTION ethaudit.unmonitor_table(regclass) IS
'Drops the monitoring triggers of a prediction-log table (inserts and label updates) and disables its insert-mode checks (their history is kept). Returns the number of checks disabled.';
REVOKE EXECUTE ON FUNCTION ethaudit.unmonitor_table(regclass) FROM PUBLIC;

CREATE OR REPLACE FUNCTION ethaudit.result_encoding(r ethaudit.results)
RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET extra_float_digits = 1
AS $$
    -- the fields written out, as in audit_encoding(): one call per result
    -- instead of one per field (each run hashes all of its results)
    SELECT pg_catalog.convert_to(
        CASE WHEN f.v2 THEN 'ethaudit.results/2;' ELSE 'ethaudit.results/1;' END
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
                 -- the columns of 0.4.0 are encoded (version 2) when any is set:
                 -- a result written before keeps the encoding it was recorded with
                 (r.version_source IS NOT NULL OR r.mixed_versions IS NOT NULL
                  OR r.replayed IS DISTINCT FROM false OR r.labelled_share IS NOT NULL) AS v2) AS f
$$;
COMMENT ON FUNCTION ethaudit.result_encoding(ethaudit.results) IS
'The canonical encoding of a result that the audit log commits to: "ethaudit.results/1;" then every column of 0.3.0 in table order (times in UTC with microseconds, duration in seconds, floats in shortest exact form), each as "<octets>:<UTF-8 text>," or "-" for NULL. A result that sets a column added in 0.4.0 (version_source, mixed_versions, replayed true, labelled_share) is encoded as "ethaudit.results/2;", the same fields, then those four; results recorded before keep their encoding.';


-- ---------------------------------------------------------------------------
-- Alerts (src/sql/alerts.sql): check_broken alerts, per-version alerts,
-- window times; replayed results change no alert.
-- ---------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION ethaudit_internal.notify_alert(a ethaudit.alerts, event text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    th ethaudit.thresholds;
    cname text;
BEGIN
    SELECT * INTO th FROM ethaudit.thresholds x WHERE x.check_id = a.check_id;
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
COMMENT ON FUNCTION ethaudit_internal.notify_alert(ethaudit.alerts, text) IS
'Internal: sends pg_notify(''ethaudit_alerts'', <json>) for an alert event; delivered when the transaction commits.';

CREATE OR REPLACE FUNCTION ethaudit_internal.audit_alert_opened(a ethaudit.alerts, result_id bigint)
RETURNS void
LANGUAGE sql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT ethaudit_internal.audit_append('alert_opened', a.model, NULL, pg_catalog.jsonb_build_object(
        'alert_id', a.alert_id, 'check_id', a.check_id, 'metric', a.metric, 'family', a.family,
        'severity', a.severity, 'value', a.first_value, 'result_id', result_id,
        'owner_role', a.owner_role, 'due_at', a.due_at, 'kind', a.kind, 'model_version', a.model_version,
        'window_end', a.first_window_end))
$$;
COMMENT ON FUNCTION ethaudit_internal.audit_alert_opened(ethaudit.alerts, bigint) IS
'Internal: records alert_opened in the audit log (called by the alert engine when it opens an alert; a restore of alerts records nothing). SECURITY DEFINER; not executable by PUBLIC.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.audit_alert_opened(ethaudit.alerts, bigint) FROM PUBLIC;

CREATE OR REPLACE FUNCTION ethaudit_internal.raise_cooccurring_priority(model text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a ethaudit.alerts;
BEGIN
    FOR a IN
        UPDATE ethaudit.alerts f SET
            priority = 'high',
            priority_reason = (
                SELECT format('open together with %s alert %s on check %s', o.family, o.alert_id, ch.check_name)
                FROM ethaudit.alerts o JOIN ethaudit.checks ch ON ch.check_id = o.check_id
                WHERE o.model = f.model AND o.status <> 'resolved' AND o.family IN ('drift', 'performance')
                  AND o.kind = 'threshold'
                ORDER BY o.opened_at, o.alert_id LIMIT 1)
        WHERE f.model = raise_cooccurring_priority.model AND f.family = 'fairness' AND f.kind = 'threshold'
          AND f.status <> 'resolved' AND f.priority = 'normal'
          AND EXISTS (SELECT 1 FROM ethaudit.alerts o
                      WHERE o.model = f.model AND o.status <> 'resolved' AND o.kind = 'threshold'
                        AND o.family IN ('drift', 'performance'))
        RETURNING f.*
    LOOP
        PERFORM ethaudit_internal.log_alert_event(a, 'priority_raised', NULL, a.priority_reason);
        PERFORM ethaudit_internal.notify_alert(a, 'priority_raised');
    END LOOP;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.raise_cooccurring_priority(text) IS
'Internal: raises to high the priority of the open fairness alerts of a model while a drift or performance alert of that model is open (co-occurring gaps point to a common cause). Threshold alerts only: a broken check is no evidence of either.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.raise_cooccurring_priority(text) FROM PUBLIC;

CREATE FUNCTION ethaudit_internal.apply_error(r ethaudit.results, th ethaudit.thresholds, family text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a ethaudit.alerts;
    needed integer := coalesce(th.broken_after, 3);
    failed_before bigint;
BEGIN
    UPDATE ethaudit.alerts x SET
        occurrences = x.occurrences + 1, last_seen_at = r.evaluated_at,
        last_result_id = r.result_id, last_window_end = r.window_end
    WHERE x.check_id = r.check_id AND x.kind = 'check_broken' AND x.status <> 'resolved';
    IF FOUND THEN
        RETURN;
    END IF;
    -- the live results before this one, latest first: all errors?
    SELECT count(*) FILTER (WHERE p.status = 'error') INTO failed_before
    FROM (SELECT x.status FROM ethaudit.results x
          WHERE x.check_id = r.check_id AND NOT x.replayed
          ORDER BY x.result_id DESC LIMIT needed - 1) p;
    IF failed_before < needed - 1 THEN
        RETURN;
    END IF;
    INSERT INTO ethaudit.alerts AS x
        (check_id, model, metric, family, severity, owner_role, opened_at, due_at, last_seen_at,
         occurrences, first_result_id, last_result_id, kind, first_window_end, last_window_end)
    VALUES (r.check_id, r.model, r.metric, coalesce(family, 'drift'), 'warning', th.owner_role,
            r.evaluated_at, r.evaluated_at + coalesce(th.response_time, interval '1 day'), r.evaluated_at,
            needed, r.result_id, r.result_id, 'check_broken', r.window_end, r.window_end)
    ON CONFLICT (check_id, kind, model_version) WHERE status <> 'resolved' DO NOTHING
    RETURNING x.* INTO a;
    IF FOUND THEN
        PERFORM ethaudit_internal.log_alert_event(a, 'opened', NULL,
            format('the check failed %s times in a row; last: %s (SQLSTATE %s)', needed, r.message, r.error_sqlstate),
            r.result_id);
        PERFORM ethaudit_internal.notify_alert(a, 'opened');
    END IF;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.apply_error(ethaudit.results, ethaudit.thresholds, text) IS
'Internal: applies a live result with status error: counts it in the open check_broken alert of its check, or opens one when it is the broken_after-th error in a row (default 3).';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.apply_error(ethaudit.results, ethaudit.thresholds, text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION ethaudit_internal.apply_result()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    th ethaudit.thresholds;
    a ethaudit.alerts;
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
        NEW.status := ethaudit.classify(NEW.value, th.warn, th.critical, th.direction);
        NEW.warn := th.warn;
        NEW.critical := th.critical;
        NEW.direction := th.direction;
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
            PERFORM ethaudit_internal.notify_alert(a, 'resolved');
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
                PERFORM ethaudit_internal.notify_alert(a, 'escalated');
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
            PERFORM ethaudit_internal.notify_alert(a, 'opened');
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
'Trigger function (BEFORE INSERT on results): judges the value against the check''s thresholds (whatever status the row gives) and applies the result to the alerts of its check: opens, repeats, escalates or counts a clean run and resolves the threshold alert of its version; counts consecutive errors towards a check_broken alert, which any other result resolves. A replayed result changes no alert; only a restore skips the judging. SECURITY DEFINER.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.apply_result() FROM PUBLIC;


-- ---------------------------------------------------------------------------
-- Dashboards (src/sql/dashboards.sql): new columns at the end of the views.
-- CREATE OR REPLACE VIEW resets their options: security_invoker again below.
-- ---------------------------------------------------------------------------

CREATE OR REPLACE VIEW ethaudit.open_alerts AS
SELECT a.alert_id, a.owner_role, a.due_at, a.due_at < pg_catalog.now() AS overdue,
       a.severity, a.priority, a.status, a.model, a.check_id, ch.check_name, a.metric, a.family,
       a.opened_at, a.last_seen_at, a.occurrences, a.clean_runs,
       a.first_value, a.last_value, a.worst_value, th.warn, th.critical, th.direction,
       a.priority_reason, a.acknowledged_at, a.acknowledged_by, a.acknowledge_note,
       a.kind, a.model_version, a.first_window_end, a.last_window_end
FROM ethaudit.alerts a
JOIN ethaudit.checks ch ON ch.check_id = a.check_id
LEFT JOIN ethaudit.thresholds th ON th.check_id = a.check_id
WHERE a.status <> 'resolved';

COMMENT ON VIEW ethaudit.open_alerts IS
'Alerts not yet resolved, with their owner, due time, severity, priority and the thresholds of their check. Typical order: owner_role, due_at.';

CREATE OR REPLACE VIEW ethaudit.latest_results AS
SELECT ch.check_id, ch.check_name, ch.model, ch.metric, mc.family, ch.mode, ch.source, ch.enabled,
       r.status, r.value, r.evaluated_at, r.window_start, r.window_end, r.n_current, r.n_reference,
       r.model_version, r.warn, r.critical, r.direction, r.message, th.owner_role, r.run_id, r.result_id,
       r.version_source, r.mixed_versions, r.labelled_share
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

CREATE OR REPLACE VIEW ethaudit.result_history AS
SELECT r.result_id, r.evaluated_at, r.window_start, r.window_end, r.model, r.model_version,
       r.check_id, ch.check_name, r.metric, mc.family, r.value, r.status, r.warn, r.critical, r.direction,
       r.n_current, r.n_reference, r.run_id, r.message, r.version_source, r.mixed_versions, r.replayed,
       r.labelled_share
FROM ethaudit.results r
JOIN ethaudit.checks ch ON ch.check_id = r.check_id
LEFT JOIN ethaudit.metric_catalog mc ON mc.metric = r.metric;

COMMENT ON VIEW ethaudit.result_history IS
'Every result with its check and thresholds, for time-series panels: plot value (and warn, critical) against window_end or evaluated_at.';

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
       coalesce(al.broken_checks, 0) AS broken_checks
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
                     'warn', th.warn, 'critical', th.critical, 'direction', th.direction,
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
    FROM ethaudit.stage_history sh WHERE sh.model = mo.model) h ON true;

COMMENT ON VIEW ethaudit.model_cards IS
'A live model card per model: versions and stages, owners, the enabled checks with their latest value, status and thresholds, the open alerts and when the model was last evaluated. Detail columns are jsonb arrays.';

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
COMMENT ON COLUMN ethaudit.open_alerts.warn IS 'Current warning level of the check.';
COMMENT ON COLUMN ethaudit.open_alerts.critical IS 'Current critical level of the check.';
COMMENT ON COLUMN ethaudit.open_alerts.direction IS 'above or below.';
COMMENT ON COLUMN ethaudit.open_alerts.priority_reason IS 'Why the priority is high.';
COMMENT ON COLUMN ethaudit.open_alerts.acknowledged_at IS 'When it was acknowledged.';
COMMENT ON COLUMN ethaudit.open_alerts.acknowledged_by IS 'Who acknowledged it.';
COMMENT ON COLUMN ethaudit.open_alerts.acknowledge_note IS 'Note given when acknowledging.';
COMMENT ON COLUMN ethaudit.open_alerts.kind IS 'threshold (a value beyond a level) or check_broken (the check keeps failing).';
COMMENT ON COLUMN ethaudit.open_alerts.model_version IS 'The version it is about, for checks that tell versions apart.';
COMMENT ON COLUMN ethaudit.open_alerts.first_window_end IS 'End of the window of the result that opened it.';
COMMENT ON COLUMN ethaudit.open_alerts.last_window_end IS 'End of the window of the latest result applied to it.';

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

COMMENT ON COLUMN ethaudit.model_cards.model IS 'The model.';
COMMENT ON COLUMN ethaudit.model_cards.description IS 'Its description.';
COMMENT ON COLUMN ethaudit.model_cards.owner_role IS 'Owner of the model.';
COMMENT ON COLUMN ethaudit.model_cards.versions IS 'jsonb array of {version, stage, since, registered_at, description}, live first.';
COMMENT ON COLUMN ethaudit.model_cards.live_versions IS 'Versions in stage live.';
COMMENT ON COLUMN ethaudit.model_cards.owners IS 'Owner of the model and owners of its checks'' thresholds.';
COMMENT ON COLUMN ethaudit.model_cards.checks IS 'jsonb array of the latest live results of the enabled checks (one per version for a check with a version column): {check_id, check_name, metric, family, mode, source, enabled, status, value, evaluated_at, window_start, window_end, warn, critical, direction, owner_role, response_time, model_version, version_source, mixed_versions, labelled_share, message}.';
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

-- security_invoker views need PostgreSQL 15; the rest installs on 13 and 14
DO $$
DECLARE
    v text;
BEGIN
    IF pg_catalog.current_setting('server_version_num')::integer >= 150000 THEN
        FOREACH v IN ARRAY ARRAY['metric_catalog', 'open_alerts', 'latest_results', 'result_history',
                                 'model_cards', 'monitored_tables'] LOOP
            EXECUTE pg_catalog.format('ALTER VIEW ethaudit.%I SET (security_invoker = true)', v);
        END LOOP;
    END IF;
END
$$;


-- ---------------------------------------------------------------------------
-- Roles (src/sql/roles.sql): the new signatures and stage_history in the
-- parts' privileges, granted again to the roles that play them.
-- ---------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION ethaudit.role_privileges(kind text)
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
        'ethaudit_internal.run_as_owner(regclass, text, timestamptz[])']
    END
$$;
COMMENT ON FUNCTION ethaudit.role_privileges(text) IS
'The privileges of a part (auditor, owner, writer, admin), as GRANT objects; set_security_role() grants them. doc/security.md explains each. Model owners get the dashboard views only on PostgreSQL 15 and later, where they are security_invoker.';

DO $$
DECLARE
    r record;
    p text;
BEGIN
    FOR r IN SELECT s.role_kind, s.role_name FROM ethaudit.security_roles s
             JOIN pg_catalog.pg_roles x ON x.rolname = s.role_name ORDER BY s.role_kind LOOP
        FOREACH p IN ARRAY ethaudit.role_privileges(r.role_kind) LOOP
            EXECUTE pg_catalog.format('GRANT %s TO %I', p, r.role_name);
        END LOOP;
    END LOOP;
END
$$;


-- ---------------------------------------------------------------------------
-- ece_gap(..., bins, min_size) (src/sql/state_group_calibration.sql) and the
-- catalog's options that go together (src/sql/metric_catalog.sql).
-- ---------------------------------------------------------------------------

CREATE FUNCTION ethaudit_internal.group_calibration_trans_min_size(internal, boolean, double precision, text, integer, integer)
RETURNS internal
AS 'MODULE_PATHNAME', 'group_calibration_trans_min_size'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.group_calibration_trans_min_size(internal, boolean, double precision, text, integer, integer) IS
'Transition function of ece_gap with a bin count and a minimum group size (NULL: the defaults).';

INSERT INTO ethaudit_internal.aggregates
    (aggregate, arguments, state, transition, inverse, final, comment) VALUES
    ('ece_gap', 'y_true boolean, y_prob double precision, grp text, bins integer, min_size integer', 'group_calibration',
     'group_calibration_trans_min_size', NULL, 'ece_gap_final',
     'Largest minus smallest per-group ECE over the groups of at least min_size rows (bins NULL: 10); NULL with fewer than two such groups.');

-- the integer-label forms (src/sql/aggregates.sql, src/integer_labels.c) of every
-- aggregate that reads boolean labels or predictions, the new ece_gap included

-- The integer forms of the aggregates that read boolean labels or
-- predictions (arguments y_true, y_pred): one row for every combination of
-- bigint in their place, e.g. accuracy_score(y_true bigint, y_pred boolean),
-- so that 0/1 columns of any integer type are read as they are (smallint
-- and integer cast to bigint implicitly).  Their support functions are
-- <function>_int (integer_labels.c), declared here with the form's types.
CREATE FUNCTION ethaudit_internal.add_integer_label_forms(for_state text) RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s ethaudit_internal.aggregate_states;
    a ethaudit_internal.aggregates;
    labels text[];
    form integer;
    args text;
    types text;
    fn text;
    added integer := 0;
BEGIN
    SELECT * INTO STRICT s FROM ethaudit_internal.aggregate_states WHERE state = for_state;
    FOR a IN SELECT * FROM ethaudit_internal.aggregates x
             WHERE x.state = for_state AND x.arguments ~ '\m(y_true|y_pred) boolean' AND x.transition !~ '_int$'
             ORDER BY x.aggregate, x.arguments LOOP
        labels := ARRAY(SELECT m[1] FROM regexp_matches(a.arguments, '\m(y_true|y_pred) boolean', 'g') AS m);
        FOR form IN 1 .. (1 << cardinality(labels)) - 1 LOOP
            args := a.arguments;
            FOR i IN 1 .. cardinality(labels) LOOP
                IF form & (1 << (i - 1)) <> 0 THEN
                    args := replace(args, labels[i] || ' boolean', labels[i] || ' bigint');
                END IF;
            END LOOP;
            INSERT INTO ethaudit_internal.aggregates
            VALUES (a.aggregate, args, a.state, a.transition || '_int',
                    CASE WHEN a.inverse IS NOT NULL THEN a.inverse || '_int' END, a.final,
                    a.comment || ' Integer labels and predictions: 0 or 1.')
            ON CONFLICT DO NOTHING;
            IF FOUND THEN
                added := added + 1;
            END IF;
            -- the support functions, with the argument types of this form
            -- ("y_true bigint, y_prob double precision" -> "bigint, double precision")
            types := (SELECT string_agg(substr(x, strpos(x, ' ') + 1), ', ')
                      FROM regexp_split_to_table(args, ', ') AS x);
            FOREACH fn IN ARRAY ARRAY[a.transition, a.inverse] LOOP
                CONTINUE WHEN fn IS NULL OR pg_catalog.to_regprocedure(
                    format('ethaudit_internal.%I(%s, %s)', fn || '_int', s.state_type, types)) IS NOT NULL;
                EXECUTE format('CREATE FUNCTION ethaudit_internal.%I(%s, %s) RETURNS %s '
                               'AS %L, %L LANGUAGE C IMMUTABLE PARALLEL SAFE',
                               fn || '_int', s.state_type, types, s.state_type, 'MODULE_PATHNAME', fn || '_int');
                EXECUTE format('COMMENT ON FUNCTION ethaudit_internal.%I(%s, %s) IS %L', fn || '_int', s.state_type, types,
                               format('%s with integer labels: checks that they are 0 or 1 (22023), then does what %s does.',
                                      CASE WHEN fn = a.inverse THEN 'Inverse transition function' ELSE 'Transition function' END, fn));
            END LOOP;
        END LOOP;
    END LOOP;
    RETURN added;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.add_integer_label_forms(text) IS
'Internal: adds to ethaudit_internal.aggregates the integer-label forms of the aggregates of a state that read boolean y_true or y_pred (every combination of bigint in their place) that are not there yet, and creates their support functions <function>_int; returns how many forms it added. Run before define_aggregates().';
REVOKE ALL ON FUNCTION ethaudit_internal.add_integer_label_forms(text) FROM PUBLIC;

SELECT ethaudit_internal.add_integer_label_forms('confusion');
SELECT ethaudit_internal.define_aggregates('confusion');

SELECT ethaudit_internal.add_integer_label_forms('calibration');
SELECT ethaudit_internal.define_aggregates('calibration');

SELECT ethaudit_internal.add_integer_label_forms('group_calibration');
SELECT ethaudit_internal.define_aggregates('group_calibration');

SELECT ethaudit_internal.add_integer_label_forms('average');
SELECT ethaudit_internal.define_aggregates('average');

SELECT ethaudit_internal.add_integer_label_forms('twosample');
SELECT ethaudit_internal.define_aggregates('twosample');

ALTER TABLE ethaudit_internal.metrics ADD COLUMN options_together boolean NOT NULL DEFAULT false;

COMMENT ON COLUMN ethaudit_internal.metrics.options IS
'Keys of checks.params passed as the last argument: the first one present (integers as numbers, others as text); with options_together, all of them in order.';

COMMENT ON COLUMN ethaudit_internal.metrics.options_together IS
'True if the options are passed together, in order, as the last arguments (NULL for an absent one, which the aggregate reads as its default), when any is present.';

UPDATE ethaudit_internal.metrics SET params = '{bins,min_size}', options = '{bins,min_size}', options_together = true
WHERE metric = 'ece_gap';

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
        baseline := format('(SELECT b.baseline FROM ethaudit.baselines b WHERE b.baseline_id = %s)', c.baseline_id);
        ref_arg := baseline;
        n_reference_expr := format('ethaudit.baseline_n(%s)', baseline);
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
        -- Up to 10000 stored categories become a constant array, which the
        -- executor looks up with a hash table; more are read from the table.
        SELECT ethaudit.baseline_categories(b.baseline) INTO categories
        FROM ethaudit.baselines b WHERE b.baseline_id = c.baseline_id;
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

CREATE OR REPLACE FUNCTION ethaudit_internal.check_config(c ethaudit.checks, rel regclass, op text)
RETURNS ethaudit.checks
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m record;
    cols record;
    k text;
    allowed text[];
BEGIN
    SELECT * INTO m FROM ethaudit.metric_catalog mc WHERE mc.metric = c.metric;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown metric "%" in check %', c.metric, c.check_name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'ethaudit.metric_catalog lists the metrics.';
    END IF;
    IF c.mode IS NULL OR c.mode NOT IN ('scheduled', 'insert_batch', 'insert_window') THEN
        RAISE EXCEPTION 'invalid mode "%" for check %', c.mode, c.check_name
            USING ERRCODE = 'check_violation',
                  HINT = 'The modes are scheduled, insert_batch and insert_window.';
    END IF;

    IF c.check_name IS NULL OR c.check_name = '' OR c.check_name <> btrim(c.check_name) OR length(c.check_name) > 200 THEN
        RAISE EXCEPTION 'invalid check name "%"', c.check_name
            USING ERRCODE = 'check_violation',
                  HINT = 'A check name has 1 to 200 characters and no leading or trailing spaces.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM ethaudit.models mo WHERE mo.model = c.model) THEN
        RAISE EXCEPTION 'model "%" of check % is not registered', c.model, c.check_name
            USING ERRCODE = 'foreign_key_violation',
                  HINT = 'Register it first: INSERT INTO ethaudit.models (model) VALUES (...).';
    END IF;
    IF c.version IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ethaudit.model_versions mv
                                             WHERE mv.model = c.model AND mv.version = c.version) THEN
        RAISE EXCEPTION 'version % of model % (check %) is not registered', c.version, c.model, c.check_name
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    -- A disabled check is not validated against its source, so that a check
    -- whose table or column is gone can still be disabled; it is validated
    -- again when it is enabled.
    IF c.enabled OR rel IS NOT NULL THEN
        rel := ethaudit_internal.check_source(rel, c.source, c.mode <> 'scheduled');
        c.source := ethaudit_internal.qualified_name(rel);
        -- the checks run as the source's owner: only a role that may read the
        -- source itself may point a check at it
        IF NOT pg_catalog.has_table_privilege(ethaudit.session_role(), rel, 'SELECT') THEN
            RAISE EXCEPTION 'role % may not read relation %, so it cannot check it', ethaudit.session_role(), rel
                USING ERRCODE = 'insufficient_privilege',
                      HINT = 'The role that writes a check needs SELECT on its source.';
        END IF;
    END IF;

    -- params: known keys with values of the right type
    IF c.params IS NULL OR pg_catalog.jsonb_typeof(c.params) <> 'object' THEN
        RAISE EXCEPTION 'params of check % must be a JSON object', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    allowed := m.params;
    FOR k IN SELECT pg_catalog.jsonb_object_keys(c.params) LOOP
        IF k <> ALL (allowed) THEN
            RAISE EXCEPTION 'metric % does not take parameter "%"', c.metric, k
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = CASE WHEN pg_catalog.cardinality(allowed) = 0 THEN 'It takes no parameters.'
                                  ELSE 'It takes: ' || pg_catalog.array_to_string(allowed, ', ') || '.' END;
        END IF;
    END LOOP;
    IF c.params ? 'bins' AND (pg_catalog.jsonb_typeof(c.params->'bins') <> 'number'
            OR (c.params->>'bins')::numeric <> pg_catalog.trunc((c.params->>'bins')::numeric)
            OR (c.params->>'bins')::numeric NOT BETWEEN 2 AND 10000) THEN
        RAISE EXCEPTION 'params.bins of check % must be an integer from 2 to 10000', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF c.params ? 'binning' AND coalesce(c.params->>'binning', '') NOT IN ('default', 'evidently') THEN
        RAISE EXCEPTION 'params.binning of check % must be "default" or "evidently"', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF c.params ? 'bins' AND c.params ? 'binning' THEN
        RAISE EXCEPTION 'check % sets both params.bins and params.binning', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF c.params ? 'cutoff' AND (pg_catalog.jsonb_typeof(c.params->'cutoff') <> 'number') THEN
        RAISE EXCEPTION 'params.cutoff of check % must be a number', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- minimum group sizes of the group gaps
    FOREACH k IN ARRAY ARRAY['min_positives', 'min_negatives', 'min_size'] LOOP
        IF c.params ? k AND (pg_catalog.jsonb_typeof(c.params->k) <> 'number'
                OR (c.params->>k)::numeric <> pg_catalog.trunc((c.params->>k)::numeric)
                OR (c.params->>k)::numeric NOT BETWEEN 1 AND 2147483647) THEN
            RAISE EXCEPTION 'params.% of check % must be a positive integer', k, c.check_name
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END LOOP;

    IF c.enabled THEN
        cols := ethaudit_internal.check_columns(c, rel);
        c.value_kind := cols.value_kind;
    END IF;
    -- an option of the metric's aggregate must exist for this kind of
    -- value (the catalog's aggregates decide: bins are for numbers only)
    IF c.value_kind IS NOT NULL THEN
        FOR k IN SELECT o FROM ethaudit_internal.metrics mt, unnest(mt.options) AS o
                 WHERE mt.metric = c.metric AND c.params ? o
                   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_proc p
                                   WHERE p.pronamespace = 'ethaudit'::regnamespace AND p.prokind = 'a'
                                     AND p.proname = mt.aggregate
                                     AND p.pronargs = pg_catalog.cardinality(mt.reads)
                                                      + CASE WHEN mt.options_together THEN pg_catalog.cardinality(mt.options) ELSE 1 END
                                     AND p.proargtypes[0] = CASE c.value_kind WHEN 'numeric' THEN 'float8'::regtype
                                                                              ELSE 'text'::regtype END
                                     AND p.proargtypes[p.pronargs - 1] = CASE o WHEN 'binning' THEN 'text'::regtype
                                                                                ELSE 'int4'::regtype END) LOOP
            RAISE EXCEPTION 'metric % over a % value_column does not take parameter "%"', c.metric, c.value_kind, k
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = CASE WHEN k = 'bins' THEN 'Categories are their own bins; params.binning chooses the zero rule.'
                                  ELSE 'ethaudit.metric_catalog lists the parameters of each metric.' END;
        END LOOP;
    END IF;

    IF c.version IS NOT NULL AND c.version_column IS NULL THEN
        RAISE EXCEPTION 'check % is pinned to version %, so it needs version_column', c.check_name, c.version
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF c.labelled_only AND m.label_type IS NULL THEN
        RAISE EXCEPTION 'metric % reads no labels, so check % cannot count labelled rows only', c.metric, c.check_name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'labelled_only is for metrics with a label_column (ethaudit.metric_catalog.label_type).';
    END IF;

    -- the window
    IF c.window_size IS NOT NULL AND c.window_rows IS NOT NULL THEN
        RAISE EXCEPTION 'check % sets both window_size and window_rows', c.check_name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'A window is either a time span or a number of rows.';
    END IF;
    IF c.mode <> 'insert_batch' AND c.window_size IS NULL AND c.window_rows IS NULL THEN
        RAISE EXCEPTION 'check % needs window_size or window_rows', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF c.window_size IS NOT NULL AND c.window_size <= interval '0' THEN
        RAISE EXCEPTION 'window_size of check % must be positive, not %', c.check_name, c.window_size
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF c.window_rows IS NOT NULL AND c.window_rows < 1 THEN
        RAISE EXCEPTION 'window_rows of check % must be positive, not %', c.check_name, c.window_rows
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- bounded, so that as_of minus a window is always a timestamp (validated
    -- here rather than failing at every run)
    IF c.window_size > interval '100 years' OR c.reference_size > interval '100 years'
       OR c.window_lag > interval '100 years' OR c.min_interval > interval '100 years' THEN
        RAISE EXCEPTION 'the window sizes, window_lag and min_interval of check % must not exceed 100 years', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF c.window_lag IS NULL OR c.window_lag < interval '0' THEN
        RAISE EXCEPTION 'window_lag of check % must be zero or positive', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF c.min_interval IS NOT NULL AND (c.mode <> 'insert_window' OR c.min_interval < interval '0') THEN
        RAISE EXCEPTION 'min_interval of check % applies only to mode insert_window, and must not be negative', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    -- the reference
    IF NOT m.needs_reference THEN
        IF c.reference_kind IS NOT NULL OR c.reference_size IS NOT NULL OR c.reference_rows IS NOT NULL
           OR c.reference_start IS NOT NULL OR c.reference_end IS NOT NULL OR c.baseline_id IS NOT NULL THEN
            RAISE EXCEPTION 'metric % compares no reference, so check % must not set reference_kind or its fields',
                c.metric, c.check_name
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    ELSIF c.reference_kind IS NULL THEN
        RAISE EXCEPTION 'metric % needs a reference: set reference_kind of check % to preceding, fixed or baseline',
            c.metric, c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    ELSIF c.reference_kind = 'preceding' THEN
        IF c.reference_start IS NOT NULL OR c.reference_end IS NOT NULL OR c.baseline_id IS NOT NULL THEN
            RAISE EXCEPTION 'check % has reference_kind preceding, so reference_start, reference_end and baseline_id must be NULL', c.check_name
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF c.window_rows IS NOT NULL THEN
            IF c.reference_size IS NOT NULL THEN
                RAISE EXCEPTION 'check % has a row window, so its preceding reference is sized by reference_rows, not reference_size', c.check_name
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            IF c.reference_rows IS NOT NULL AND c.reference_rows < 1 THEN
                RAISE EXCEPTION 'reference_rows of check % must be positive', c.check_name
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
        ELSE
            IF c.reference_rows IS NOT NULL THEN
                RAISE EXCEPTION 'check % has a time window, so its preceding reference is sized by reference_size, not reference_rows', c.check_name
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            IF c.reference_size IS NULL AND c.window_size IS NULL THEN
                RAISE EXCEPTION 'check % evaluates inserted batches against the preceding window, so it needs reference_size', c.check_name
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            IF c.reference_size IS NOT NULL AND c.reference_size <= interval '0' THEN
                RAISE EXCEPTION 'reference_size of check % must be positive', c.check_name
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
        END IF;
    ELSIF c.reference_kind = 'fixed' THEN
        IF c.reference_start IS NULL OR c.reference_end IS NULL OR c.reference_start >= c.reference_end THEN
            RAISE EXCEPTION 'check % has reference_kind fixed, so it needs reference_start < reference_end', c.check_name
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF c.reference_size IS NOT NULL OR c.reference_rows IS NOT NULL OR c.baseline_id IS NOT NULL THEN
            RAISE EXCEPTION 'check % has reference_kind fixed, so reference_size, reference_rows and baseline_id must be NULL', c.check_name
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    ELSIF c.reference_kind = 'baseline' THEN
        IF c.reference_size IS NOT NULL OR c.reference_rows IS NOT NULL
           OR c.reference_start IS NOT NULL OR c.reference_end IS NOT NULL THEN
            RAISE EXCEPTION 'check % has reference_kind baseline, so reference_size, reference_rows, reference_start and reference_end must be NULL', c.check_name
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF NOT m.baseline_capable THEN
            RAISE EXCEPTION 'metric % cannot compare with a stored baseline', c.metric
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Use reference_kind preceding or fixed, or a metric listed with baseline_capable in ethaudit.metric_catalog.';
        END IF;
        IF c.params ? 'bins' OR c.params ? 'binning' THEN
            RAISE EXCEPTION 'check % compares with a stored baseline, which brings its own bins: params.bins and params.binning are not allowed', c.check_name
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF c.baseline_id IS NULL THEN
            RAISE EXCEPTION 'check % has reference_kind baseline, so it needs baseline_id', c.check_name
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        -- defined with the baselines table (stored_baselines.sql)
        IF c.enabled THEN
            PERFORM ethaudit_internal.check_baseline_matches(c);
        END IF;
    END IF;

    IF op = 'UPDATE' THEN
        c.updated_at := pg_catalog.now();
    END IF;
    RETURN c;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.check_config(ethaudit.checks, regclass, text) IS
'Internal: validates a check (metric, source relation rel, columns and their types, window, reference, params) and returns it with its source schema-qualified and value_kind filled in.';
