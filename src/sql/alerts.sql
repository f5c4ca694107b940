-- ====================================================================
-- Governance: alerts and their lifecycle
--
-- A trigger on ethaudit.results keeps ethaudit.alerts up to date:
--   warning / critical result  opens the check's alert, or counts a repeat
--                              and raises its severity if the value worsened
--   ok result                  counts a clean run; after thresholds.resolve_after
--                              consecutive clean runs the alert resolves
--   insufficient_data / error  leave the alert as it is
-- A check whose results are error thresholds.broken_after times in a row
-- gets an alert of kind check_broken, resolved by its next result that is
-- not an error.  Results of replays (results.replayed) change no alert.
-- At most one alert of each kind per check and version is open (partial
-- unique index; concurrent runs meet in INSERT ... ON CONFLICT).  New, escalated, re-prioritised and
-- resolved alerts are announced with pg_notify('ethaudit_alerts', json).
-- A fairness alert open together with a drift or performance alert of the
-- same model gets priority high.  Owners acknowledge and resolve their
-- alerts through acknowledge_alert() and resolve_alert() only; every
-- state change is an event of the audit log.
-- ====================================================================

-- -------- alerts --------

CREATE TABLE ethaudit.alerts (
    alert_id         bigserial PRIMARY KEY,
    check_id         bigint NOT NULL REFERENCES ethaudit.checks,
    model            text NOT NULL,
    metric           text NOT NULL,
    family           text NOT NULL,
    status           text NOT NULL DEFAULT 'open'
                     CONSTRAINT alerts_status_check CHECK (status IN ('open', 'acknowledged', 'resolved')),
    severity         text NOT NULL
                     CONSTRAINT alerts_severity_check CHECK (severity IN ('warning', 'critical')),
    priority         text NOT NULL DEFAULT 'normal'
                     CONSTRAINT alerts_priority_check CHECK (priority IN ('normal', 'high')),
    priority_reason  text,
    owner_role       name,
    opened_at        timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    due_at           timestamptz NOT NULL,
    escalated_at     timestamptz,
    last_seen_at     timestamptz NOT NULL,
    occurrences      integer NOT NULL DEFAULT 1,
    clean_runs       integer NOT NULL DEFAULT 0,
    first_value      double precision,
    last_value       double precision,
    worst_value      double precision,
    first_result_id  bigint NOT NULL,
    last_result_id   bigint NOT NULL,
    acknowledged_at  timestamptz,
    acknowledged_by  name,
    acknowledge_note text,
    resolved_at      timestamptz,
    resolved_by      name,
    resolution       text CONSTRAINT alerts_resolution_check CHECK (resolution IN ('automatic', 'manual')),
    resolution_note  text,
    kind             text NOT NULL DEFAULT 'threshold'
                     CONSTRAINT alerts_kind_check CHECK (kind IN ('threshold', 'check_broken')),
    model_version    text,
    first_window_end timestamptz,
    last_window_end  timestamptz,
    CONSTRAINT alerts_resolved_check CHECK ((status = 'resolved') = (resolved_at IS NOT NULL))
);
CREATE UNIQUE INDEX alerts_one_open_per_check ON ethaudit.alerts (check_id, kind, model_version) NULLS NOT DISTINCT
    WHERE status <> 'resolved';
CREATE INDEX alerts_open_model_idx ON ethaudit.alerts (model) WHERE status <> 'resolved';
CREATE INDEX alerts_check_idx ON ethaudit.alerts (check_id);
COMMENT ON INDEX ethaudit.alerts_one_open_per_check IS 'At most one open (or acknowledged) alert of each kind per check and version.';
COMMENT ON INDEX ethaudit.alerts_open_model_idx IS 'Open alerts of a model (priority of co-occurring alerts).';
COMMENT ON INDEX ethaudit.alerts_check_idx IS 'Alerts of a check.';
COMMENT ON SEQUENCE ethaudit.alerts_alert_id_seq IS 'Identifiers of alerts.';
COMMENT ON TABLE ethaudit.alerts IS
'Alerts raised by results beyond their thresholds (kind threshold) or by a check that keeps failing (kind check_broken): open, acknowledged, resolved. At most one of each kind per check and version is not resolved. Row-level security (roles.sql): an alert is visible to members of its owner_role and of its model''s owner role and to the auditor; only members of its owner_role may update it. History: kept by pg_dump.';
COMMENT ON COLUMN ethaudit.alerts.alert_id IS 'Identifier (key).';
COMMENT ON COLUMN ethaudit.alerts.check_id IS 'The check (ethaudit.checks).';
COMMENT ON COLUMN ethaudit.alerts.model IS 'The model of the check.';
COMMENT ON COLUMN ethaudit.alerts.metric IS 'The metric of the check.';
COMMENT ON COLUMN ethaudit.alerts.family IS 'Family of the metric: drift, quality, performance or fairness.';
COMMENT ON COLUMN ethaudit.alerts.status IS 'open, acknowledged (someone is on it) or resolved.';
COMMENT ON COLUMN ethaudit.alerts.severity IS 'warning or critical; raised to critical when a later value crosses the critical level, never lowered.';
COMMENT ON COLUMN ethaudit.alerts.priority IS 'normal, or high when a fairness alert is open together with a drift or performance alert of the same model.';
COMMENT ON COLUMN ethaudit.alerts.priority_reason IS 'Why the priority is high.';
COMMENT ON COLUMN ethaudit.alerts.owner_role IS 'Role that answers the alert (from the thresholds of the check).';
COMMENT ON COLUMN ethaudit.alerts.opened_at IS 'When the alert opened.';
COMMENT ON COLUMN ethaudit.alerts.due_at IS 'When a response is due: opened_at + response_time, brought forward by critical_response_time on escalation.';
COMMENT ON COLUMN ethaudit.alerts.escalated_at IS 'When the severity was raised to critical.';
COMMENT ON COLUMN ethaudit.alerts.last_seen_at IS 'When a result last crossed a threshold.';
COMMENT ON COLUMN ethaudit.alerts.occurrences IS 'Results that crossed a threshold while the alert was open, the first included; for check_broken, the failed results since it opened.';
COMMENT ON COLUMN ethaudit.alerts.clean_runs IS 'Consecutive ok results since the threshold was last crossed.';
COMMENT ON COLUMN ethaudit.alerts.first_value IS 'Value that opened the alert (NULL for check_broken).';
COMMENT ON COLUMN ethaudit.alerts.last_value IS 'Latest value that crossed a threshold.';
COMMENT ON COLUMN ethaudit.alerts.worst_value IS 'Most severe value seen (highest for direction above, lowest for below).';
COMMENT ON COLUMN ethaudit.alerts.first_result_id IS 'Result that opened the alert (ethaudit.results).';
COMMENT ON COLUMN ethaudit.alerts.last_result_id IS 'Latest result applied to the alert.';
COMMENT ON COLUMN ethaudit.alerts.acknowledged_at IS 'When it was acknowledged.';
COMMENT ON COLUMN ethaudit.alerts.acknowledged_by IS 'Who acknowledged it.';
COMMENT ON COLUMN ethaudit.alerts.acknowledge_note IS 'Note given when acknowledging.';
COMMENT ON COLUMN ethaudit.alerts.resolved_at IS 'When it was resolved.';
COMMENT ON COLUMN ethaudit.alerts.resolved_by IS 'Who resolved it (NULL when automatic).';
COMMENT ON COLUMN ethaudit.alerts.resolution IS 'automatic (after resolve_after clean runs; check_broken: at the next result that is not an error) or manual (resolve_alert).';
COMMENT ON COLUMN ethaudit.alerts.resolution_note IS 'Why it was resolved.';
COMMENT ON COLUMN ethaudit.alerts.kind IS 'threshold (a value beyond warn or critical) or check_broken (thresholds.broken_after consecutive results with status error: the check no longer audits). Alerts before 0.4.0 are threshold alerts.';
COMMENT ON COLUMN ethaudit.alerts.model_version IS 'The version the alert is about, for checks whose results name a version of their rows or are pinned to one (results.version_source data or check); NULL otherwise.';
COMMENT ON COLUMN ethaudit.alerts.first_window_end IS 'End of the window of the result that opened the alert: the time the evidence is about (opened_at is when it was raised). NULL before 0.4.0.';
COMMENT ON COLUMN ethaudit.alerts.last_window_end IS 'End of the window of the latest result applied to the alert.';

ALTER TABLE ethaudit.alerts ENABLE ROW LEVEL SECURITY;
CREATE POLICY alerts_read ON ethaudit.alerts FOR SELECT
    USING ((SELECT ethaudit.reads_everything(CURRENT_USER))
           OR model = ANY ((SELECT ethaudit.readable_models(CURRENT_USER))::text[])
           OR ethaudit.is_member_of(owner_role));
COMMENT ON POLICY alerts_read ON ethaudit.alerts IS
'An alert is visible to members of its owner role, to members of its model''s owner role, and to the auditor.';
CREATE POLICY alerts_extension ON ethaudit.alerts FOR ALL
    USING ((SELECT ethaudit.is_extension_owner())) WITH CHECK ((SELECT ethaudit.is_extension_owner()));
COMMENT ON POLICY alerts_extension ON ethaudit.alerts IS
'The alert engine (running as the extension''s owner) opens, updates and deletes any alert.';
ALTER TABLE ethaudit.alerts FORCE ROW LEVEL SECURITY;

CREATE FUNCTION ethaudit_internal.audit_alert_change()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    changes jsonb;
    event text;
BEGIN
    changes := ethaudit_internal.row_changes(
        pg_catalog.jsonb_build_object('status', OLD.status, 'severity', OLD.severity, 'priority', OLD.priority,
                                      'owner_role', OLD.owner_role, 'due_at', OLD.due_at,
                                      'acknowledged_by', OLD.acknowledged_by, 'acknowledge_note', OLD.acknowledge_note,
                                      'resolved_by', OLD.resolved_by, 'resolution', OLD.resolution,
                                      'resolution_note', OLD.resolution_note, 'priority_reason', OLD.priority_reason),
        pg_catalog.jsonb_build_object('status', NEW.status, 'severity', NEW.severity, 'priority', NEW.priority,
                                      'owner_role', NEW.owner_role, 'due_at', NEW.due_at,
                                      'acknowledged_by', NEW.acknowledged_by, 'acknowledge_note', NEW.acknowledge_note,
                                      'resolved_by', NEW.resolved_by, 'resolution', NEW.resolution,
                                      'resolution_note', NEW.resolution_note, 'priority_reason', NEW.priority_reason));
    IF changes = '{}'::jsonb THEN
        RETURN NULL;                -- a repeat or a clean run: counted in the alert, not a state change
    END IF;
    event := CASE
        WHEN NEW.status = 'resolved' AND OLD.status <> 'resolved' THEN 'alert_resolved'
        WHEN NEW.status = 'acknowledged' AND OLD.status <> 'acknowledged' THEN 'alert_acknowledged'
        WHEN NEW.severity <> OLD.severity THEN 'alert_escalated'
        WHEN NEW.priority <> OLD.priority THEN 'alert_priority_changed'
        WHEN NEW.status <> OLD.status THEN 'alert_reopened'
        WHEN NEW.owner_role IS DISTINCT FROM OLD.owner_role THEN 'alert_reassigned'
        ELSE 'alert_changed' END;
    PERFORM ethaudit_internal.audit_append(event, NEW.model, NULL, pg_catalog.jsonb_build_object(
        'alert_id', NEW.alert_id, 'check_id', NEW.check_id, 'metric', NEW.metric, 'family', NEW.family,
        'value', NEW.last_value, 'result_id', NEW.last_result_id, 'changes', changes));
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.audit_alert_change() IS
'Trigger function (AFTER UPDATE on alerts): records a change of an alert''s state (status, severity, priority, owner, due time, who acknowledged or resolved it and why) as alert_acknowledged, alert_resolved, alert_escalated, alert_priority_changed, alert_reopened, alert_reassigned or alert_changed. Repeats and clean runs are not state changes. SECURITY DEFINER.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.audit_alert_change() FROM PUBLIC;
CREATE TRIGGER audit_change AFTER UPDATE ON ethaudit.alerts
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.audit_alert_change();
COMMENT ON TRIGGER audit_change ON ethaudit.alerts IS 'Records every change of an alert''s state in the audit log.';

CREATE FUNCTION ethaudit_internal.alert_attribution()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- acknowledge_alert and resolve_alert write CURRENT_USER; nobody else may
    -- put another role's name there (the alert engine may clear them)
    IF NOT ethaudit.is_extension_owner() THEN
        IF NEW.acknowledged_by IS DISTINCT FROM OLD.acknowledged_by AND NEW.acknowledged_by IS DISTINCT FROM CURRENT_USER THEN
            RAISE EXCEPTION 'acknowledged_by must name the acknowledging role, %', CURRENT_USER
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NEW.resolved_by IS DISTINCT FROM OLD.resolved_by AND NEW.resolved_by IS DISTINCT FROM CURRENT_USER THEN
            RAISE EXCEPTION 'resolved_by must name the resolving role, %', CURRENT_USER
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.alert_attribution() IS
'Trigger function (BEFORE UPDATE on alerts): a role other than the extension''s owner can set acknowledged_by and resolved_by only to itself (42501).';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.alert_attribution() FROM PUBLIC;
CREATE TRIGGER alert_attribution BEFORE UPDATE ON ethaudit.alerts
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.alert_attribution();
COMMENT ON TRIGGER alert_attribution ON ethaudit.alerts IS
'Nobody acknowledges or resolves an alert in another role''s name.';

CREATE TRIGGER audit_delete AFTER DELETE ON ethaudit.alerts
    REFERENCING OLD TABLE AS ethaudit_old FOR EACH STATEMENT EXECUTE FUNCTION ethaudit_internal.audit_history_change();
CREATE TRIGGER audit_truncate AFTER TRUNCATE ON ethaudit.alerts
    FOR EACH STATEMENT EXECUTE FUNCTION ethaudit_internal.audit_history_change();
COMMENT ON TRIGGER audit_delete ON ethaudit.alerts IS 'Records deletions of alerts in the audit log.';
COMMENT ON TRIGGER audit_truncate ON ethaudit.alerts IS 'Records TRUNCATE of alerts in the audit log.';

SELECT pg_catalog.pg_extension_config_dump('ethaudit.alerts', '');
SELECT pg_catalog.pg_extension_config_dump('ethaudit.alerts_alert_id_seq', '');

-- -------- alert events --------

CREATE TABLE ethaudit.alert_events (
    event_id   bigserial PRIMARY KEY,
    alert_id   bigint NOT NULL REFERENCES ethaudit.alerts,
    event      text NOT NULL
               CONSTRAINT alert_events_event_check
               CHECK (event IN ('opened', 'escalated', 'priority_raised', 'acknowledged', 'resolved')),
    at         timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    actor      name,
    severity   text,
    value      double precision,
    result_id  bigint,
    note       text
);
CREATE INDEX alert_events_alert_idx ON ethaudit.alert_events (alert_id);
COMMENT ON INDEX ethaudit.alert_events_alert_idx IS 'Events of an alert.';
COMMENT ON SEQUENCE ethaudit.alert_events_event_id_seq IS 'Identifiers of alert events.';
COMMENT ON TABLE ethaudit.alert_events IS
'The lifecycle of each alert: opened, escalated, priority_raised, acknowledged, resolved. History: kept by pg_dump.';
COMMENT ON COLUMN ethaudit.alert_events.event_id IS 'Identifier (key).';
COMMENT ON COLUMN ethaudit.alert_events.alert_id IS 'The alert (ethaudit.alerts).';
COMMENT ON COLUMN ethaudit.alert_events.event IS 'opened, escalated (severity raised), priority_raised, acknowledged or resolved.';
COMMENT ON COLUMN ethaudit.alert_events.at IS 'When it happened.';
COMMENT ON COLUMN ethaudit.alert_events.actor IS 'Role that acknowledged or resolved; NULL for events of the alert engine.';
COMMENT ON COLUMN ethaudit.alert_events.severity IS 'Severity after the event.';
COMMENT ON COLUMN ethaudit.alert_events.value IS 'Value of the result behind the event.';
COMMENT ON COLUMN ethaudit.alert_events.result_id IS 'Result behind the event (ethaudit.results).';
COMMENT ON COLUMN ethaudit.alert_events.note IS 'Note or explanation.';

ALTER TABLE ethaudit.alert_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY alert_events_read ON ethaudit.alert_events FOR SELECT
    USING (alert_id IN (SELECT a.alert_id FROM ethaudit.alerts a));
COMMENT ON POLICY alert_events_read ON ethaudit.alert_events IS
'The events of the alerts the role can see.';
CREATE POLICY alert_events_extension ON ethaudit.alert_events FOR ALL
    USING ((SELECT ethaudit.is_extension_owner())) WITH CHECK ((SELECT ethaudit.is_extension_owner()));
COMMENT ON POLICY alert_events_extension ON ethaudit.alert_events IS
'The alert engine (running as the extension''s owner) records any event.';
ALTER TABLE ethaudit.alert_events FORCE ROW LEVEL SECURITY;

CREATE TRIGGER audit_delete AFTER DELETE ON ethaudit.alert_events
    REFERENCING OLD TABLE AS ethaudit_old FOR EACH STATEMENT EXECUTE FUNCTION ethaudit_internal.audit_history_change();
CREATE TRIGGER audit_truncate AFTER TRUNCATE ON ethaudit.alert_events
    FOR EACH STATEMENT EXECUTE FUNCTION ethaudit_internal.audit_history_change();
COMMENT ON TRIGGER audit_delete ON ethaudit.alert_events IS 'Records deletions of alert events in the audit log.';
COMMENT ON TRIGGER audit_truncate ON ethaudit.alert_events IS 'Records TRUNCATE of alert events in the audit log.';

SELECT pg_catalog.pg_extension_config_dump('ethaudit.alert_events', '');
SELECT pg_catalog.pg_extension_config_dump('ethaudit.alert_events_event_id_seq', '');

-- -------- notification and history --------

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

CREATE FUNCTION ethaudit_internal.log_alert_event(a ethaudit.alerts, event text, actor name, note text,
                                         result_id bigint DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO ethaudit.alert_events (alert_id, event, actor, severity, value, result_id, note)
    VALUES (a.alert_id, event, actor, a.severity, a.last_value, result_id, note);
    IF event = 'opened' THEN
        -- the audit log (audit_log.sql); the later steps are recorded by a
        -- trigger on alerts, but a restore inserts alerts too
        PERFORM ethaudit_internal.audit_alert_opened(a, result_id);
    END IF;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.log_alert_event(ethaudit.alerts, text, name, text, bigint) IS
'Internal: appends an event to ethaudit.alert_events, and records an opened alert in the audit log.';

CREATE FUNCTION ethaudit_internal.audit_alert_opened(a ethaudit.alerts, result_id bigint)
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

-- -------- priority of co-occurring alerts --------

CREATE FUNCTION ethaudit_internal.raise_cooccurring_priority(model text)
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

-- -------- applying a result --------

-- A check that fails broken_after times in a row no longer audits: that
-- is an alert of its own (kind check_broken, severity warning), counted on
-- while it keeps failing.
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

CREATE FUNCTION ethaudit_internal.apply_result()
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
CREATE TRIGGER apply_result BEFORE INSERT ON ethaudit.results
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.apply_result();
COMMENT ON TRIGGER apply_result ON ethaudit.results IS
'Keeps ethaudit.alerts up to date with each new result.';

-- -------- acknowledging and resolving --------

CREATE FUNCTION ethaudit_internal.alert_for_update(alert_id bigint, action text)
RETURNS ethaudit.alerts
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a ethaudit.alerts;
    who name := ethaudit.session_role();
    found_it boolean;
    owns boolean;
BEGIN
    IF alert_id IS NULL THEN
        RAISE EXCEPTION 'alert_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT * INTO a FROM ethaudit.alerts x WHERE x.alert_id = alert_for_update.alert_id FOR UPDATE;
    found_it := FOUND;
    -- what row-level security would show the caller (these run as the
    -- extension's owner): to a role that cannot see an alert, it does not exist
    IF found_it THEN
        owns := a.owner_role IS NULL
                OR EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                           WHERE r.rolname = a.owner_role AND pg_catalog.pg_has_role(who, r.oid, 'MEMBER'));
    END IF;
    IF NOT found_it OR NOT (ethaudit.reads_everything(who) OR a.model = ANY (ethaudit.readable_models(who))
                         OR (a.owner_role IS NOT NULL AND owns)) THEN
        RAISE EXCEPTION 'alert % does not exist', alert_id USING ERRCODE = 'undefined_object';
    END IF;
    IF NOT owns THEN
        RAISE EXCEPTION 'permission denied to % alert %', action, alert_id
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = pg_catalog.format('The alert belongs to role %s.', a.owner_role),
                  HINT = 'Only members of the owner role can acknowledge or resolve an alert.';
    END IF;
    IF a.status = 'resolved' THEN
        RAISE EXCEPTION 'alert % is already resolved', alert_id
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN a;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.alert_for_update(bigint, text) IS
'Internal: locks an alert that the session''s role may change; raises 42704 if it does not exist or the role cannot see it, 42501 if the role is not a member of its owner role, 55000 if it is resolved.';

CREATE FUNCTION ethaudit.acknowledge_alert(alert_id bigint, note text DEFAULT NULL)
RETURNS ethaudit.alerts
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a ethaudit.alerts;
BEGIN
    a := ethaudit_internal.alert_for_update(alert_id, 'acknowledge');
    IF a.status = 'acknowledged' THEN
        RAISE EXCEPTION 'alert % is already acknowledged', alert_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('By %s at %s.', a.acknowledged_by, a.acknowledged_at);
    END IF;
    UPDATE ethaudit.alerts x SET status = 'acknowledged', acknowledged_at = clock_timestamp(),
                                 acknowledged_by = ethaudit.session_role(), acknowledge_note = note
    WHERE x.alert_id = a.alert_id
    RETURNING x.* INTO a;
    PERFORM ethaudit_internal.log_alert_event(a, 'acknowledged', ethaudit.session_role(), note);
    RETURN a;
END
$$;
COMMENT ON FUNCTION ethaudit.acknowledge_alert(bigint, text) IS
'Acknowledges an open alert with an optional note and returns it. The session''s role must be a member of the alert''s owner role; an alert that later escalates opens again. SECURITY DEFINER: the only way, with resolve_alert, for a role to change an alert. Not executable by PUBLIC.';
REVOKE EXECUTE ON FUNCTION ethaudit.acknowledge_alert(bigint, text) FROM PUBLIC;

CREATE FUNCTION ethaudit.resolve_alert(alert_id bigint, note text)
RETURNS ethaudit.alerts
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a ethaudit.alerts;
BEGIN
    IF note IS NULL OR btrim(note) = '' THEN
        RAISE EXCEPTION 'resolving an alert needs a note'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Say what was done, e.g. ''retrained on the May data''.';
    END IF;
    a := ethaudit_internal.alert_for_update(alert_id, 'resolve');
    UPDATE ethaudit.alerts x SET status = 'resolved', resolved_at = clock_timestamp(),
                                 resolved_by = ethaudit.session_role(), resolution = 'manual', resolution_note = note
    WHERE x.alert_id = a.alert_id
    RETURNING x.* INTO a;
    PERFORM ethaudit_internal.log_alert_event(a, 'resolved', ethaudit.session_role(), note);
    PERFORM ethaudit_internal.notify_alert(a, 'resolved');
    RETURN a;
END
$$;
COMMENT ON FUNCTION ethaudit.resolve_alert(bigint, text) IS
'Resolves an open or acknowledged alert with a note and returns it. The session''s role must be a member of the alert''s owner role. The next result beyond a threshold opens a new alert. SECURITY DEFINER; not executable by PUBLIC.';
REVOKE EXECUTE ON FUNCTION ethaudit.resolve_alert(bigint, text) FROM PUBLIC;
