-- ====================================================================
-- Governance: runs and results, the evidence of the checks
--
--   runs      one row per run of the checks, or per batch seen by the
--             prediction-log trigger
--   results   one row per evaluated check
--   verify_results()  checks every result against the digests each run
--             committed to the audit log
--
-- Row-level security, enabled and forced: the role that ran a run, the
-- members of its model's owner role and the auditor see it; only the
-- extension's own functions (the runner, retention) write them.
-- ====================================================================

-- -------- runs --------

CREATE TABLE ethaudit.runs (
    run_id            bigserial PRIMARY KEY,
    kind              text NOT NULL
                      CONSTRAINT runs_kind_check CHECK (kind IN ('run_checks', 'run_check', 'insert', 'update')),
    model             text,
    source            text,
    as_of             timestamptz NOT NULL,
    batch_rows        bigint,
    started_at        timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    finished_at       timestamptz,
    run_by            name NOT NULL DEFAULT CURRENT_USER,
    application_name  text DEFAULT pg_catalog.current_setting('application_name'),
    checks            integer NOT NULL DEFAULT 0,
    ok                integer NOT NULL DEFAULT 0,
    warning           integer NOT NULL DEFAULT 0,
    critical          integer NOT NULL DEFAULT 0,
    insufficient_data integer NOT NULL DEFAULT 0,
    error             integer NOT NULL DEFAULT 0,
    skipped           integer NOT NULL DEFAULT 0,
    replay            boolean NOT NULL DEFAULT false
);
CREATE INDEX runs_started_at_idx ON ethaudit.runs (started_at);
COMMENT ON INDEX ethaudit.runs_started_at_idx IS 'Runs by time.';
COMMENT ON SEQUENCE ethaudit.runs_run_id_seq IS 'Identifiers of runs.';
COMMENT ON TABLE ethaudit.runs IS
'One row per run: a call of run_checks() or run_check(), or one batch seen by the prediction-log trigger. History: kept by pg_dump.';
COMMENT ON COLUMN ethaudit.runs.run_id IS 'Identifier (key); results.run_id points here.';
COMMENT ON COLUMN ethaudit.runs.kind IS 'run_checks, run_check, insert (a batch inserted into a monitored table) or update (an UPDATE of a table whose label updates are monitored).';
COMMENT ON COLUMN ethaudit.runs.model IS 'run_checks(model): the model the run was limited to; NULL for all models.';
COMMENT ON COLUMN ethaudit.runs.source IS 'insert, update: the monitored table.';
COMMENT ON COLUMN ethaudit.runs.as_of IS 'The time the windows end at (before each check''s window_lag).';
COMMENT ON COLUMN ethaudit.runs.batch_rows IS 'insert, update: rows in the inserted or updated batch.';
COMMENT ON COLUMN ethaudit.runs.started_at IS 'When the run started.';
COMMENT ON COLUMN ethaudit.runs.finished_at IS 'When the run finished.';
COMMENT ON COLUMN ethaudit.runs.run_by IS 'Role that ran it: the session''s role (for pg_cron, the owner of the job; for the prediction-log trigger, the inserting role).';
COMMENT ON COLUMN ethaudit.runs.application_name IS 'application_name of the session that ran it.';
COMMENT ON COLUMN ethaudit.runs.checks IS 'Checks considered (a check with a version column once per version of its rows).';
COMMENT ON COLUMN ethaudit.runs.ok IS 'Results with status ok.';
COMMENT ON COLUMN ethaudit.runs.warning IS 'Results with status warning.';
COMMENT ON COLUMN ethaudit.runs.critical IS 'Results with status critical.';
COMMENT ON COLUMN ethaudit.runs.insufficient_data IS 'Results with status insufficient_data.';
COMMENT ON COLUMN ethaudit.runs.error IS 'Checks that failed (recorded with status error).';
COMMENT ON COLUMN ethaudit.runs.replay IS 'A replay of the past (doc/governance.md, "Replays"): its results are recorded with replayed true and leave the alerts alone.';
COMMENT ON COLUMN ethaudit.runs.skipped IS 'Checks not evaluated: being evaluated by a concurrent run, or (insert_window) evaluated less than min_interval ago.';

ALTER TABLE ethaudit.runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE ethaudit.runs FORCE ROW LEVEL SECURITY;
CREATE POLICY runs_read ON ethaudit.runs FOR SELECT
    USING ((SELECT ethaudit.reads_everything(CURRENT_USER)) OR run_by = CURRENT_USER
           OR model = ANY ((SELECT ethaudit.readable_models(CURRENT_USER))::text[]));
CREATE POLICY runs_extension ON ethaudit.runs FOR ALL
    USING ((SELECT ethaudit.is_extension_owner())) WITH CHECK ((SELECT ethaudit.is_extension_owner()));
COMMENT ON POLICY runs_read ON ethaudit.runs IS
'A run is visible to the role that ran it, to members of its model''s owner role and to the auditor.';
COMMENT ON POLICY runs_extension ON ethaudit.runs IS
'Only the extension''s own functions (the runner, the prediction-log trigger, retention) write runs.';

CREATE TRIGGER audit_delete AFTER DELETE ON ethaudit.runs
    REFERENCING OLD TABLE AS ethaudit_old FOR EACH STATEMENT EXECUTE FUNCTION ethaudit_internal.audit_history_change();
CREATE TRIGGER audit_truncate AFTER TRUNCATE ON ethaudit.runs
    FOR EACH STATEMENT EXECUTE FUNCTION ethaudit_internal.audit_history_change();
COMMENT ON TRIGGER audit_delete ON ethaudit.runs IS 'Records deletions of runs in the audit log.';
COMMENT ON TRIGGER audit_truncate ON ethaudit.runs IS 'Records TRUNCATE of runs in the audit log.';

SELECT pg_catalog.pg_extension_config_dump('ethaudit.runs', '');
SELECT pg_catalog.pg_extension_config_dump('ethaudit.runs_run_id_seq', '');

-- -------- results --------

CREATE TABLE ethaudit.results (
    result_id       bigserial PRIMARY KEY,
    run_id          bigint NOT NULL REFERENCES ethaudit.runs,
    check_id        bigint NOT NULL REFERENCES ethaudit.checks,
    model           text NOT NULL,
    model_version   text,
    metric          text NOT NULL,
    value           double precision,
    status          text NOT NULL
                    CONSTRAINT results_status_check
                    CHECK (status IN ('ok', 'warning', 'critical', 'insufficient_data', 'error')),
    n_current       bigint,
    n_reference     bigint,
    window_start    timestamptz,
    window_end      timestamptz,
    reference_start timestamptz,
    reference_end   timestamptz,
    warn            double precision,
    critical        double precision,
    direction       text,
    error_sqlstate  text,
    message         text,
    evaluated_at    timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    duration        interval,
    alert_applied   boolean NOT NULL DEFAULT false,
    version_source  text CONSTRAINT results_version_source_check CHECK (version_source IN ('check', 'data', 'stage_history')),
    mixed_versions  boolean,
    replayed        boolean NOT NULL DEFAULT false,
    labelled_share  double precision,
    threshold_kind  text CONSTRAINT results_threshold_kind_check CHECK (threshold_kind IN ('history_sigma', 'history_change')),
    history_n       integer
);
CREATE INDEX results_check_idx ON ethaudit.results (check_id, result_id DESC);
CREATE INDEX results_run_idx ON ethaudit.results (run_id);
CREATE INDEX results_evaluated_at_idx ON ethaudit.results (evaluated_at);
CREATE INDEX results_window_end_idx ON ethaudit.results (window_end);
CREATE INDEX results_check_window_idx ON ethaudit.results (check_id, window_end, window_start, result_id);
COMMENT ON INDEX ethaudit.results_check_idx IS 'Latest results of a check.';
COMMENT ON INDEX ethaudit.results_run_idx IS 'Results of a run.';
COMMENT ON INDEX ethaudit.results_evaluated_at_idx IS 'Results by evaluation time (retention).';
COMMENT ON INDEX ethaudit.results_window_end_idx IS 'Results by the end of their window (time-series panels).';
COMMENT ON INDEX ethaudit.results_check_window_idx IS 'Latest windows of a check: the history that thresholds of the history kinds are computed from.';
COMMENT ON SEQUENCE ethaudit.results_result_id_seq IS 'Identifiers of results.';
COMMENT ON TABLE ethaudit.results IS
'One row per evaluation of a check: value, sample sizes, window, status, and the thresholds it was judged by. Written only by the runner, which commits each run''s results to the audit log (verify_results); inserting a row updates the alerts. History: kept by pg_dump.';
COMMENT ON COLUMN ethaudit.results.result_id IS 'Identifier (key), increasing with insertion.';
COMMENT ON COLUMN ethaudit.results.run_id IS 'The run (ethaudit.runs).';
COMMENT ON COLUMN ethaudit.results.check_id IS 'The check (ethaudit.checks).';
COMMENT ON COLUMN ethaudit.results.model IS 'The model of the check.';
COMMENT ON COLUMN ethaudit.results.model_version IS 'The version the result is about, as version_source says: the version the check is pinned to, the version of the rows (one result per version in the window), or the versions live during the window by the stage history, comma-separated (NULL if none). Before 0.4.0: the live versions at run time.';
COMMENT ON COLUMN ethaudit.results.metric IS 'The metric of the check.';
COMMENT ON COLUMN ethaudit.results.value IS 'Value of the metric (NULL when it is undefined or the check failed).';
COMMENT ON COLUMN ethaudit.results.status IS 'ok, warning, critical, insufficient_data (too few rows, or an undefined value), or error (the check failed; see message).';
COMMENT ON COLUMN ethaudit.results.n_current IS 'Usable rows in the current window (rows where every column the metric reads is non-NULL).';
COMMENT ON COLUMN ethaudit.results.n_reference IS 'Usable rows in the reference window, or of the stored baseline; NULL for metrics without a reference.';
COMMENT ON COLUMN ethaudit.results.window_start IS 'Start of the current window; for row windows and batches, the first timestamp in it.';
COMMENT ON COLUMN ethaudit.results.window_end IS 'End of the current window (exclusive); for row windows and batches, the last timestamp in it.';
COMMENT ON COLUMN ethaudit.results.reference_start IS 'Start of the reference window (NULL for a stored baseline).';
COMMENT ON COLUMN ethaudit.results.reference_end IS 'End of the reference window.';
COMMENT ON COLUMN ethaudit.results.warn IS 'Warning level the value was judged by.';
COMMENT ON COLUMN ethaudit.results.critical IS 'Critical level the value was judged by.';
COMMENT ON COLUMN ethaudit.results.direction IS 'Direction the value was judged by (above or below).';
COMMENT ON COLUMN ethaudit.results.error_sqlstate IS 'status error: the SQLSTATE of the failure.';
COMMENT ON COLUMN ethaudit.results.message IS 'Why the status is error or insufficient_data; and when versions may be mixed, which ones.';
COMMENT ON COLUMN ethaudit.results.evaluated_at IS 'When the check was evaluated.';
COMMENT ON COLUMN ethaudit.results.duration IS 'How long the evaluation took.';
COMMENT ON COLUMN ethaudit.results.version_source IS 'Where model_version comes from: check (the check is pinned to it), data (the version column of the rows), stage_history (no version column: the versions live during the window); NULL before 0.4.0.';
COMMENT ON COLUMN ethaudit.results.mixed_versions IS 'stage_history: true when several versions served (shadow, canary or live) during the window, so that a log holding the rows of more than one mixes them (the message says which); NULL otherwise.';
COMMENT ON COLUMN ethaudit.results.replayed IS 'True for a result of a replay (an as_of in the past, or replay => true): it is evidence about its window but leaves the alerts alone.';
COMMENT ON COLUMN ethaudit.results.labelled_share IS 'For metrics that read labels: the share of the current window''s rows that have one (n_current counts only those); 1 for a labelled_only window. NULL for other metrics and before 0.4.0.';
COMMENT ON COLUMN ethaudit.results.threshold_kind IS 'history_sigma or history_change when warn and critical were computed from the check''s own history (ethaudit.thresholds.kind); NULL for fixed levels and before 0.7.0.';
COMMENT ON COLUMN ethaudit.results.history_n IS 'With threshold_kind: how many earlier results the levels came from (fewer than min_history: the value was not judged, status insufficient_data).';
COMMENT ON COLUMN ethaudit.results.alert_applied IS 'True once the row has been applied to the alerts. Rows loaded by a restore (a superuser session with row_security off) with true leave the alerts alone; any other insert is applied whatever it says.';

ALTER TABLE ethaudit.results ENABLE ROW LEVEL SECURITY;
ALTER TABLE ethaudit.results FORCE ROW LEVEL SECURITY;
CREATE POLICY results_read ON ethaudit.results FOR SELECT
    USING ((SELECT ethaudit.reads_everything(CURRENT_USER))
           OR model = ANY ((SELECT ethaudit.readable_models(CURRENT_USER))::text[]));
CREATE POLICY results_extension ON ethaudit.results FOR ALL
    USING ((SELECT ethaudit.is_extension_owner())) WITH CHECK ((SELECT ethaudit.is_extension_owner()));
COMMENT ON POLICY results_read ON ethaudit.results IS
'Members of a model''s owner role see its results; the auditor sees all.';
COMMENT ON POLICY results_extension ON ethaudit.results IS
'Only the extension''s own functions (the runner, retention) write, change or delete results.';

CREATE TRIGGER audit_delete AFTER DELETE ON ethaudit.results
    REFERENCING OLD TABLE AS ethaudit_old FOR EACH STATEMENT EXECUTE FUNCTION ethaudit_internal.audit_history_change();
CREATE TRIGGER audit_update AFTER UPDATE ON ethaudit.results
    REFERENCING NEW TABLE AS ethaudit_new FOR EACH STATEMENT EXECUTE FUNCTION ethaudit_internal.audit_history_change();
CREATE TRIGGER audit_truncate AFTER TRUNCATE ON ethaudit.results
    FOR EACH STATEMENT EXECUTE FUNCTION ethaudit_internal.audit_history_change();
COMMENT ON TRIGGER audit_delete ON ethaudit.results IS 'Records deletions of results in the audit log.';
COMMENT ON TRIGGER audit_update ON ethaudit.results IS 'Records edits of results in the audit log.';
COMMENT ON TRIGGER audit_truncate ON ethaudit.results IS 'Records TRUNCATE of results in the audit log.';

SELECT pg_catalog.pg_extension_config_dump('ethaudit.results', '');
SELECT pg_catalog.pg_extension_config_dump('ethaudit.results_result_id_seq', '');

-- -------- judging a value --------
--
-- The one rule, used by the runner to build a result and by the alert
-- engine (apply_result) to re-judge it: fixed levels as they are, or levels
-- from the check's own earlier results.  The history is one value per
-- window (the latest result for it), of windows that end before this one,
-- for the same version when the result is about one version, replays
-- included: a replay of a past day is judged by the history before that
-- day.  Values count whatever their status was; results that failed or had
-- too few rows do not.
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

CREATE TYPE ethaudit.run_summary AS (
    run_id            bigint,
    checks            integer,
    ok                integer,
    warning           integer,
    critical          integer,
    insufficient_data integer,
    error             integer,
    skipped           integer,
    started_at        timestamptz,
    finished_at       timestamptz
);
COMMENT ON TYPE ethaudit.run_summary IS
'Result of run_checks: the run and how many checks ended in each status; details are in ethaudit.results (WHERE run_id = ...).';

-- -------- results are committed to the chain --------

-- Results are written only by the runner (run_checks, run_check, the
-- prediction-log trigger). When a run finishes it appends one event,
-- results_recorded, holding the SHA-256 of each result's canonical
-- encoding; verify_results() recomputes them.
CREATE FUNCTION ethaudit.result_encoding(r ethaudit.results)
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

CREATE FUNCTION ethaudit_internal.commit_run_results(run_id bigint)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    digests jsonb;
    run ethaudit.runs;
BEGIN
    SELECT * INTO run FROM ethaudit.runs r WHERE r.run_id = commit_run_results.run_id;
    SELECT pg_catalog.jsonb_object_agg(r.result_id::text,
               pg_catalog.encode(pg_catalog.sha256(ethaudit.result_encoding(r)), 'hex'))
    INTO digests FROM ethaudit.results r WHERE r.run_id = commit_run_results.run_id;
    IF digests IS NULL THEN
        RETURN;
    END IF;
    PERFORM ethaudit_internal.audit_append('results_recorded', run.model, NULL,
        pg_catalog.jsonb_build_object('run_id', run.run_id, 'kind', run.kind, 'run_by', run.run_by,
                                      'source', run.source, 'results', digests));
END
$$;
COMMENT ON FUNCTION ethaudit_internal.commit_run_results(bigint) IS
'Internal: appends results_recorded to the audit log for a finished run: the SHA-256 (hex) of result_encoding() of each of its results, keyed by result_id. SECURITY DEFINER; not executable by PUBLIC.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.commit_run_results(bigint) FROM PUBLIC;

CREATE FUNCTION ethaudit.verify_results(
    OUT valid boolean, OUT results_checked bigint, OUT results_changed bigint, OUT results_unrecorded bigint,
    OUT results_deleted bigint, OUT results_behind_checkpoint bigint, OUT results_recorded_at_upgrade bigint,
    OUT first_bad_result_id bigint, OUT problem text)
LANGUAGE plpgsql STABLE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cutoff timestamptz := (SELECT max(c.cutoff) FROM ethaudit.audit_checkpoints c);
BEGIN
    WITH recorded AS (
        SELECT d.key::bigint AS result_id, d.value AS digest, a.details ? 'recorded_at_upgrade_to' AS at_upgrade
        FROM ethaudit.audit_log a, pg_catalog.jsonb_each_text(a.details -> 'results') d
        WHERE a.event_type = 'results_recorded'
    ), present AS (
        SELECT r.result_id, r.evaluated_at,
               pg_catalog.encode(pg_catalog.sha256(ethaudit.result_encoding(r)), 'hex') AS digest
        FROM ethaudit.results r
    ), judged AS (
        SELECT coalesce(p.result_id, rec.result_id) AS result_id, coalesce(rec.at_upgrade, false) AS at_upgrade,
               CASE WHEN rec.result_id IS NULL AND p.evaluated_at < cutoff THEN 'behind_checkpoint'
                    WHEN rec.result_id IS NULL THEN 'unrecorded'
                    WHEN p.result_id IS NULL THEN 'deleted'
                    WHEN p.digest <> rec.digest THEN 'changed'
                    ELSE 'intact' END AS verdict
        FROM present p FULL JOIN recorded rec ON rec.result_id = p.result_id
    )
    SELECT count(*) FILTER (WHERE j.verdict IN ('intact', 'changed', 'unrecorded')),
           count(*) FILTER (WHERE j.verdict = 'changed'),
           count(*) FILTER (WHERE j.verdict = 'unrecorded'),
           count(*) FILTER (WHERE j.verdict = 'deleted'),
           count(*) FILTER (WHERE j.verdict = 'behind_checkpoint'),
           count(*) FILTER (WHERE j.at_upgrade AND j.verdict <> 'deleted'),
           min(j.result_id) FILTER (WHERE j.verdict IN ('changed', 'unrecorded'))
    INTO results_checked, results_changed, results_unrecorded, results_deleted, results_behind_checkpoint,
         results_recorded_at_upgrade, first_bad_result_id
    FROM judged j;
    valid := results_changed = 0 AND results_unrecorded = 0;
    IF results_changed > 0 THEN
        problem := pg_catalog.format('%s results no longer match what the audit log recorded (first: result %s)',
                                     results_changed, first_bad_result_id);
    ELSIF results_unrecorded > 0 THEN
        problem := pg_catalog.format('%s results were not written by a run the audit log recorded (first: result %s)',
                                     results_unrecorded, first_bad_result_id);
    END IF;
END
$$;
COMMENT ON FUNCTION ethaudit.verify_results() IS
'Checks every result against the digests of the results_recorded events of the audit log: valid unless a result was changed since its run recorded it, or a result exists that no run recorded (forged, or inserted with the triggers off). results_checked counts the results compared; results_deleted the recorded results that are gone (retention, or a deletion the log records as history_deleted); results_behind_checkpoint the results older than the latest checkpoint''s cutoff whose event retention removed from the log, which can no longer be checked; results_recorded_at_upgrade the results written before 0.2.0 and recorded by the upgrade, which prove only that nothing changed since (under 0.1.0 a writer could insert results directly). Run verify_audit_log() too: this trusts the events it reads. SECURITY DEFINER; not executable by PUBLIC.';
REVOKE EXECUTE ON FUNCTION ethaudit.verify_results() FROM PUBLIC;
