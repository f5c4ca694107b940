-- ====================================================================
-- Security: the tamper-evident audit log
--
--   audit_log            append-only events, each chained to the one before
--                        it by a SHA-256 hash over a canonical encoding
--   audit_pending        events of transactions not yet committed; a
--                        deferred trigger seals them into the chain at
--                        commit, one transaction at a time
--   audit_checkpoints    signed checkpoints left by retention: the chain
--                        that remains starts from the latest one
--   verify_audit_log()   walks the chain and reports the first broken link
--
-- The extension writes an event for every change to models, versions,
-- checks, thresholds, baselines and the security configuration, every
-- alert state change and every deletion of history (audit_recording.sql,
-- alerts.sql); users add events through record_event() and
-- record_decision() (decisions.sql).  Nobody can UPDATE, DELETE or
-- TRUNCATE the log through the normal paths; retention removes its oldest
-- rows only behind a signed checkpoint (retention.sql).
-- doc/security.md describes what the chain proves and what it does not.
-- ====================================================================

-- length-prefixed field of the canonical encodings: "<octets>:<UTF-8 text>,"
-- or "-" for NULL, so that no two different rows encode alike
CREATE FUNCTION ethaudit_internal.canonical_field(v text)
RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN v IS NULL THEN '\x2d'::bytea
                ELSE pg_catalog.convert_to(pg_catalog.octet_length(pg_catalog.convert_to(v, 'UTF8'))::text || ':', 'UTF8')
                     || pg_catalog.convert_to(v, 'UTF8') || '\x2c'::bytea END
$$;
COMMENT ON FUNCTION ethaudit_internal.canonical_field(text) IS
'Internal: one field of a canonical encoding: its length in UTF-8 octets, a colon, the UTF-8 text and a comma; a single "-" for NULL.';

CREATE FUNCTION ethaudit_internal.canonical_time(t timestamptz)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- independent of DateStyle and TimeZone
    SELECT pg_catalog.to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;
COMMENT ON FUNCTION ethaudit_internal.canonical_time(timestamptz) IS
'Internal: a timestamp in the canonical encodings: UTC, ISO 8601 with microseconds (2025-01-31T12:00:00.000000Z), whatever the session''s DateStyle and TimeZone.';

-- -------- the log --------

CREATE TABLE ethaudit.audit_log (
    seq              bigint PRIMARY KEY
                     CONSTRAINT audit_log_seq_check CHECK (seq >= 1),
    event_id         uuid NOT NULL UNIQUE,
    logged_at        timestamptz NOT NULL,
    actor            name NOT NULL,
    login_role       name NOT NULL,
    application_name text,
    model            text,
    version          text,
    event_type       text NOT NULL,
    origin           text NOT NULL
                     CONSTRAINT audit_log_origin_check CHECK (origin IN ('system', 'user')),
    details          jsonb NOT NULL,
    prev_hash        bytea NOT NULL
                     CONSTRAINT audit_log_prev_hash_check CHECK (pg_catalog.octet_length(prev_hash) = 32),
    row_hash         bytea NOT NULL
                     CONSTRAINT audit_log_row_hash_check CHECK (pg_catalog.octet_length(row_hash) = 32)
);
CREATE INDEX audit_log_model_idx ON ethaudit.audit_log (model, seq);
CREATE INDEX audit_log_logged_at_idx ON ethaudit.audit_log (logged_at);
COMMENT ON INDEX ethaudit.audit_log_model_idx IS 'Events of a model, in chain order (row-level security reads by model).';
COMMENT ON INDEX ethaudit.audit_log_logged_at_idx IS 'Events by time (retention).';
COMMENT ON TABLE ethaudit.audit_log IS
'Append-only, hash-chained audit events: every change to the configuration, every alert state change, every deletion of history and every retention run, written by the extension; decisions and other events recorded by users. UPDATE, DELETE and TRUNCATE are refused; verify_audit_log() checks the chain. Row-level security: members of a model''s owner role see its events, auditors see all. Kept by pg_dump.';
COMMENT ON COLUMN ethaudit.audit_log.seq IS 'Position in the chain: 1, 2, ... without gaps, assigned when the writing transaction commits (so in commit order).';
COMMENT ON COLUMN ethaudit.audit_log.event_id IS 'Identifier of the event, known as soon as it is recorded (record_event and record_decision return it).';
COMMENT ON COLUMN ethaudit.audit_log.logged_at IS 'When the event was recorded (clock time; the chain order is the commit order, so it may be slightly out of order).';
COMMENT ON COLUMN ethaudit.audit_log.actor IS 'The role that acted: the role set with SET ROLE, else the session user (ethaudit.session_role()).';
COMMENT ON COLUMN ethaudit.audit_log.login_role IS 'The session user: the role that logged in.';
COMMENT ON COLUMN ethaudit.audit_log.application_name IS 'application_name of the session (e.g. pg_cron scheduler, psql).';
COMMENT ON COLUMN ethaudit.audit_log.model IS 'The model the event is about (NULL for events about no single model).';
COMMENT ON COLUMN ethaudit.audit_log.version IS 'The model version the event is about, where there is one.';
COMMENT ON COLUMN ethaudit.audit_log.event_type IS 'What happened, e.g. threshold_changed, stage_changed, alert_acknowledged, retention_applied, decision (doc/security.md lists them).';
COMMENT ON COLUMN ethaudit.audit_log.origin IS 'system: written by the extension; user: recorded through record_event() or record_decision().';
COMMENT ON COLUMN ethaudit.audit_log.details IS 'The event: for changes, the row or the changed columns with their old and new values; for decisions, the inputs after the model''s privacy policy, the explanation and the controls applied.';
COMMENT ON COLUMN ethaudit.audit_log.prev_hash IS 'row_hash of the event before (seq - 1), or of the latest checkpoint for the first event kept after retention; 32 zero octets for seq 1.';
COMMENT ON COLUMN ethaudit.audit_log.row_hash IS 'SHA-256 of the canonical encoding of the row (ethaudit.audit_encoding), which includes prev_hash.';

ALTER TABLE ethaudit.audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE ethaudit.audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_log_read ON ethaudit.audit_log FOR SELECT
    USING ((SELECT ethaudit.reads_everything(CURRENT_USER))
           OR model = ANY ((SELECT ethaudit.readable_models(CURRENT_USER))::text[]));
CREATE POLICY audit_log_extension ON ethaudit.audit_log FOR ALL
    USING ((SELECT ethaudit.is_extension_owner())) WITH CHECK ((SELECT ethaudit.is_extension_owner()));
COMMENT ON POLICY audit_log_read ON ethaudit.audit_log IS
'Members of a model''s owner role see its events; the auditor sees every event (also those about no model).';
COMMENT ON POLICY audit_log_extension ON ethaudit.audit_log IS
'Only the extension''s own functions (running as its owner) write the log; the guard trigger refuses UPDATE, DELETE and TRUNCATE even to them.';

CREATE FUNCTION ethaudit_internal.audit_log_guard()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    mode text := pg_catalog.current_setting('ethaudit_audit.internal_write', true);
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF mode = 'seal' AND ethaudit.is_extension_owner() THEN
            RETURN NEW;
        END IF;
        -- anything else is a load of existing events (pg_restore, psql of a
        -- dump): each must carry its own correct hash, and the chain they
        -- form is for verify_audit_log() to judge
        IF NEW.row_hash IS DISTINCT FROM pg_catalog.sha256(ethaudit.audit_encoding(NEW)) THEN
            RAISE EXCEPTION 'events are appended to ethaudit.audit_log only by ethaudit'
                USING ERRCODE = 'insufficient_privilege',
                      DETAIL = pg_catalog.format('The row for seq %s does not carry the hash of its own content.', NEW.seq),
                      HINT = 'Record events with ethaudit.record_event() or ethaudit.record_decision().';
        END IF;
        RETURN NEW;
    ELSIF TG_OP = 'DELETE' AND mode = 'retention' AND ethaudit.is_extension_owner() THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'ethaudit.audit_log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = CASE WHEN TG_OP = 'DELETE' OR TG_OP = 'TRUNCATE'
                          THEN 'Old events are removed by ethaudit.apply_retention(), behind a signed checkpoint.'
                          ELSE 'Record a correction as a new event with ethaudit.record_event().' END;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.audit_log_guard() IS
'Trigger function: refuses UPDATE, DELETE and TRUNCATE of the audit log for everyone (42501), except the deletions of ethaudit''s retention; accepts inserts from the sealing trigger, and otherwise only rows that carry the hash of their own content (a restore).';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.audit_log_guard() FROM PUBLIC;

CREATE TRIGGER audit_log_guard BEFORE INSERT OR UPDATE OR DELETE ON ethaudit.audit_log
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.audit_log_guard();
CREATE TRIGGER audit_log_guard_truncate BEFORE TRUNCATE ON ethaudit.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION ethaudit_internal.audit_log_guard();
COMMENT ON TRIGGER audit_log_guard ON ethaudit.audit_log IS
'Keeps the audit log append-only.';
COMMENT ON TRIGGER audit_log_guard_truncate ON ethaudit.audit_log IS
'Refuses TRUNCATE of the audit log.';
-- also under session_replication_role = replica: only ALTER TABLE ... DISABLE TRIGGER
-- (the owner or a superuser) goes around them
ALTER TABLE ethaudit.audit_log ENABLE ALWAYS TRIGGER audit_log_guard;
ALTER TABLE ethaudit.audit_log ENABLE ALWAYS TRIGGER audit_log_guard_truncate;

SELECT pg_catalog.pg_extension_config_dump('ethaudit.audit_log', '');

CREATE FUNCTION ethaudit.audit_encoding(e ethaudit.audit_log)
RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- canonical_field() of each field, written out: one function call per
    -- event instead of thirteen (verify_audit_log hashes every event)
    SELECT pg_catalog.convert_to('ethaudit.audit_log/1;'
        || pg_catalog.concat(
            CASE WHEN f.seq IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.seq, 'UTF8')) || ':' || f.seq || ',' END,
            CASE WHEN f.id IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.id, 'UTF8')) || ':' || f.id || ',' END,
            CASE WHEN f.t IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.t, 'UTF8')) || ':' || f.t || ',' END,
            CASE WHEN f.actor IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.actor, 'UTF8')) || ':' || f.actor || ',' END,
            CASE WHEN f.login IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.login, 'UTF8')) || ':' || f.login || ',' END,
            CASE WHEN f.app IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.app, 'UTF8')) || ':' || f.app || ',' END,
            CASE WHEN f.model IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.model, 'UTF8')) || ':' || f.model || ',' END,
            CASE WHEN f.version IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.version, 'UTF8')) || ':' || f.version || ',' END,
            CASE WHEN f.event IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.event, 'UTF8')) || ':' || f.event || ',' END,
            CASE WHEN f.origin IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.origin, 'UTF8')) || ':' || f.origin || ',' END,
            CASE WHEN f.details IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.details, 'UTF8')) || ':' || f.details || ',' END,
            CASE WHEN f.prev IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.prev, 'UTF8')) || ':' || f.prev || ',' END),
        'UTF8')
    FROM (SELECT e.seq::text AS seq, e.event_id::text AS id,
                 pg_catalog.to_char(e.logged_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS t,
                 e.actor::text AS actor, e.login_role::text AS login, e.application_name AS app, e.model, e.version,
                 e.event_type AS event, e.origin, e.details::text AS details,
                 pg_catalog.encode(e.prev_hash, 'hex') AS prev) AS f
$$;
COMMENT ON FUNCTION ethaudit.audit_encoding(ethaudit.audit_log) IS
'The canonical encoding of an audit event that row_hash is the SHA-256 of: "ethaudit.audit_log/1;" then seq, event_id, logged_at (UTC, microseconds), actor, login_role, application_name, model, version, event_type, origin, details (jsonb text) and prev_hash (hex), each as "<octets>:<UTF-8 text>," or "-" for NULL.';

-- -------- appending --------

CREATE TABLE ethaudit.audit_pending (
    pending_id       bigserial PRIMARY KEY,
    event_id         uuid NOT NULL,
    logged_at        timestamptz NOT NULL,
    actor            name NOT NULL,
    login_role       name NOT NULL,
    application_name text,
    model            text,
    version          text,
    event_type       text NOT NULL,
    origin           text NOT NULL,
    details          jsonb NOT NULL,
    xact             xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id()
);
COMMENT ON SEQUENCE ethaudit.audit_pending_pending_id_seq IS 'Order of the events of a transaction.';
COMMENT ON TABLE ethaudit.audit_pending IS
'Internal: events recorded by a transaction that has not committed yet. At commit a deferred trigger moves each into ethaudit.audit_log, chained to the latest event, so the chain lock is held only while committing. Always empty outside a transaction; no grants.';
COMMENT ON COLUMN ethaudit.audit_pending.pending_id IS 'Order of recording.';
COMMENT ON COLUMN ethaudit.audit_pending.event_id IS 'See audit_log.event_id.';
COMMENT ON COLUMN ethaudit.audit_pending.logged_at IS 'See audit_log.logged_at.';
COMMENT ON COLUMN ethaudit.audit_pending.actor IS 'See audit_log.actor.';
COMMENT ON COLUMN ethaudit.audit_pending.login_role IS 'See audit_log.login_role.';
COMMENT ON COLUMN ethaudit.audit_pending.application_name IS 'See audit_log.application_name.';
COMMENT ON COLUMN ethaudit.audit_pending.model IS 'See audit_log.model.';
COMMENT ON COLUMN ethaudit.audit_pending.version IS 'See audit_log.version.';
COMMENT ON COLUMN ethaudit.audit_pending.event_type IS 'See audit_log.event_type.';
COMMENT ON COLUMN ethaudit.audit_pending.origin IS 'See audit_log.origin.';
COMMENT ON COLUMN ethaudit.audit_pending.details IS 'See audit_log.details.';
COMMENT ON COLUMN ethaudit.audit_pending.xact IS 'The recording transaction.';
ALTER TABLE ethaudit.audit_pending ENABLE ROW LEVEL SECURITY;

-- Every write below is made by SECURITY DEFINER functions owned by the
-- extension's owner.  They mark the write with a transaction-local setting
-- that the guard triggers accept only from the owner; the prefix
-- "ethaudit." is reserved by the library, hence "ethaudit_audit.".
CREATE FUNCTION ethaudit_internal.audit_append(event_type text, model text, version text, details jsonb,
                                      origin text DEFAULT 'system')
RETURNS uuid
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    id uuid := gen_random_uuid();
BEGIN
    INSERT INTO ethaudit.audit_pending
        (event_id, logged_at, actor, login_role, application_name, model, version, event_type, origin, details)
    VALUES (id, pg_catalog.clock_timestamp(), ethaudit.session_role(), SESSION_USER,
            NULLIF(pg_catalog.current_setting('application_name'), ''),
            audit_append.model, audit_append.version, audit_append.event_type, audit_append.origin,
            coalesce(audit_append.details, '{}'::jsonb));
    RETURN id;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.audit_append(text, text, text, jsonb, text) IS
'Internal: records an event of the current transaction; it is chained into ethaudit.audit_log when the transaction commits. The actor is the session role (not the definer). SECURITY DEFINER; not executable by PUBLIC.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.audit_append(text, text, text, jsonb, text) FROM PUBLIC;

CREATE FUNCTION ethaudit_internal.audit_head_row(OUT seq bigint, OUT row_hash bytea)
LANGUAGE plpgsql STABLE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cp_seq bigint;
    cp_hash bytea;
BEGIN
    SELECT a.seq, a.row_hash INTO seq, row_hash FROM ethaudit.audit_log a ORDER BY a.seq DESC LIMIT 1;
    SELECT c.last_seq, c.last_hash INTO cp_seq, cp_hash
    FROM ethaudit.audit_checkpoints c ORDER BY c.checkpoint_id DESC LIMIT 1;
    IF cp_seq > coalesce(seq, 0) THEN
        seq := cp_seq;          -- retention deleted every event: the checkpoint is the head
        row_hash := cp_hash;
    END IF;
    IF seq IS NULL THEN
        seq := 0;
        row_hash := pg_catalog.decode(pg_catalog.repeat('00', 32), 'hex');
    END IF;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.audit_head_row() IS
'Internal: the position and hash the next event chains to: the latest event, else the latest checkpoint, else (0, 32 zero octets). Callers hold the chain lock.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.audit_head_row() FROM PUBLIC;

CREATE FUNCTION ethaudit_internal.audit_seal()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    head record;
    e ethaudit.audit_log;
BEGIN
    -- the chain lock: one sealing transaction at a time, until it commits.
    -- In READ COMMITTED the next statement sees every committed event.
    PERFORM pg_catalog.pg_advisory_xact_lock(1702127715, 0);
    IF NOT EXISTS (SELECT 1 FROM ethaudit.audit_pending p WHERE p.pending_id = NEW.pending_id) THEN
        RETURN NULL;
    END IF;
    head := ethaudit_internal.audit_head_row();
    e.seq := head.seq + 1;
    e.event_id := NEW.event_id;
    e.logged_at := NEW.logged_at;
    e.actor := NEW.actor;
    e.login_role := NEW.login_role;
    e.application_name := NEW.application_name;
    e.model := NEW.model;
    e.version := NEW.version;
    e.event_type := NEW.event_type;
    e.origin := NEW.origin;
    e.details := NEW.details;
    e.prev_hash := head.row_hash;
    e.row_hash := pg_catalog.sha256(ethaudit.audit_encoding(e));
    BEGIN
        PERFORM pg_catalog.set_config('ethaudit_audit.internal_write', 'seal', true);
        INSERT INTO ethaudit.audit_log SELECT e.*;
        PERFORM pg_catalog.set_config('ethaudit_audit.internal_write', '', true);
    EXCEPTION WHEN unique_violation THEN
        -- only with a snapshot older than the head: REPEATABLE READ or SERIALIZABLE
        RAISE EXCEPTION 'could not serialize access to the audit log: a concurrent transaction appended to it'
            USING ERRCODE = 'serialization_failure',
                  DETAIL = pg_catalog.format('Event %s would have taken position %s, which is no longer the end of the chain.', e.event_id, e.seq),
                  HINT = 'Retry the transaction; transactions that change audited objects are best run in READ COMMITTED.';
    END;
    DELETE FROM ethaudit.audit_pending p WHERE p.pending_id = NEW.pending_id;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.audit_seal() IS
'Trigger function (deferred constraint trigger on audit_pending, fired at commit): takes the chain lock, chains the event to the latest one (seq + 1, prev_hash) and moves it into ethaudit.audit_log. A transaction whose snapshot predates the head (REPEATABLE READ) gets a serialization failure instead of forking the chain. SECURITY DEFINER.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.audit_seal() FROM PUBLIC;

CREATE CONSTRAINT TRIGGER audit_seal AFTER INSERT ON ethaudit.audit_pending
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.audit_seal();
COMMENT ON TRIGGER audit_seal ON ethaudit.audit_pending IS
'Chains each recorded event into the audit log when its transaction commits.';
-- fires under session_replication_role = replica too
ALTER TABLE ethaudit.audit_pending ENABLE ALWAYS TRIGGER audit_seal;

-- -------- checkpoints --------

CREATE TABLE ethaudit.audit_checkpoints (
    checkpoint_id   bigint PRIMARY KEY
                    CONSTRAINT audit_checkpoints_id_check CHECK (checkpoint_id >= 1),
    created_at      timestamptz NOT NULL,
    created_by      name NOT NULL,
    first_seq       bigint NOT NULL,
    last_seq        bigint NOT NULL,
    last_hash       bytea NOT NULL
                    CONSTRAINT audit_checkpoints_last_hash_check CHECK (pg_catalog.octet_length(last_hash) = 32),
    cutoff          timestamptz NOT NULL,
    key_id          integer NOT NULL,
    prev_signature  bytea,
    signature       bytea NOT NULL
                    CONSTRAINT audit_checkpoints_signature_check CHECK (pg_catalog.octet_length(signature) = 32),
    CONSTRAINT audit_checkpoints_range_check CHECK (first_seq >= 1 AND last_seq >= first_seq)
);
COMMENT ON TABLE ethaudit.audit_checkpoints IS
'Signed checkpoints of the audit log, one per retention run that deleted events: events first_seq .. last_seq were deleted, the last of them had row_hash last_hash. The signature is an HMAC under a checkpoint key (ethaudit.keys) that only the extension''s owner can read; the remaining chain starts from the latest checkpoint. Append-only; kept by pg_dump.';
COMMENT ON COLUMN ethaudit.audit_checkpoints.checkpoint_id IS 'Identifier (key): 1, 2, ...';
COMMENT ON COLUMN ethaudit.audit_checkpoints.created_at IS 'When the retention run deleted the events.';
COMMENT ON COLUMN ethaudit.audit_checkpoints.created_by IS 'Role that ran it (session role).';
COMMENT ON COLUMN ethaudit.audit_checkpoints.first_seq IS 'First deleted event (the last_seq of the checkpoint before, plus one).';
COMMENT ON COLUMN ethaudit.audit_checkpoints.last_seq IS 'Last deleted event; the chain continues at last_seq + 1.';
COMMENT ON COLUMN ethaudit.audit_checkpoints.last_hash IS 'row_hash of event last_seq: the prev_hash of event last_seq + 1.';
COMMENT ON COLUMN ethaudit.audit_checkpoints.cutoff IS 'Events logged before this time were due for deletion.';
COMMENT ON COLUMN ethaudit.audit_checkpoints.key_id IS 'The checkpoint key of the signature (ethaudit.keys).';
COMMENT ON COLUMN ethaudit.audit_checkpoints.prev_signature IS 'Signature of the checkpoint before (NULL for the first): checkpoints form a chain of their own.';
COMMENT ON COLUMN ethaudit.audit_checkpoints.signature IS 'HMAC-SHA-256 of the canonical encoding of the checkpoint (ethaudit.checkpoint_encoding) under key key_id.';

CREATE FUNCTION ethaudit_internal.audit_checkpoint_guard()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'ethaudit.audit_checkpoints is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
COMMENT ON FUNCTION ethaudit_internal.audit_checkpoint_guard() IS
'Trigger function: refuses UPDATE, DELETE and TRUNCATE of the checkpoints (42501).';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.audit_checkpoint_guard() FROM PUBLIC;

CREATE TRIGGER audit_checkpoint_guard BEFORE UPDATE OR DELETE ON ethaudit.audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.audit_checkpoint_guard();
CREATE TRIGGER audit_checkpoint_guard_truncate BEFORE TRUNCATE ON ethaudit.audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION ethaudit_internal.audit_checkpoint_guard();
COMMENT ON TRIGGER audit_checkpoint_guard ON ethaudit.audit_checkpoints IS
'Keeps the checkpoints append-only.';
COMMENT ON TRIGGER audit_checkpoint_guard_truncate ON ethaudit.audit_checkpoints IS
'Refuses TRUNCATE of the checkpoints.';
ALTER TABLE ethaudit.audit_checkpoints ENABLE ALWAYS TRIGGER audit_checkpoint_guard;
ALTER TABLE ethaudit.audit_checkpoints ENABLE ALWAYS TRIGGER audit_checkpoint_guard_truncate;

SELECT pg_catalog.pg_extension_config_dump('ethaudit.audit_checkpoints', '');

CREATE FUNCTION ethaudit.checkpoint_encoding(c ethaudit.audit_checkpoints)
RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.convert_to('ethaudit.audit_checkpoints/1;'
        || pg_catalog.concat(
            CASE WHEN f.id IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.id, 'UTF8')) || ':' || f.id || ',' END,
            CASE WHEN f.created IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.created, 'UTF8')) || ':' || f.created || ',' END,
            CASE WHEN f.creator IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.creator, 'UTF8')) || ':' || f.creator || ',' END,
            CASE WHEN f.first_seq IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.first_seq, 'UTF8')) || ':' || f.first_seq || ',' END,
            CASE WHEN f.last_seq IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.last_seq, 'UTF8')) || ':' || f.last_seq || ',' END,
            CASE WHEN f.last_hash IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.last_hash, 'UTF8')) || ':' || f.last_hash || ',' END,
            CASE WHEN f.cutoff IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.cutoff, 'UTF8')) || ':' || f.cutoff || ',' END,
            CASE WHEN f.key_id IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.key_id, 'UTF8')) || ':' || f.key_id || ',' END,
            CASE WHEN f.prev IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.prev, 'UTF8')) || ':' || f.prev || ',' END),
        'UTF8')
    FROM (SELECT c.checkpoint_id::text AS id,
                 pg_catalog.to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created,
                 c.created_by::text AS creator, c.first_seq::text AS first_seq, c.last_seq::text AS last_seq,
                 pg_catalog.encode(c.last_hash, 'hex') AS last_hash,
                 pg_catalog.to_char(c.cutoff AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cutoff,
                 c.key_id::text AS key_id, pg_catalog.encode(c.prev_signature, 'hex') AS prev) AS f
$$;
COMMENT ON FUNCTION ethaudit.checkpoint_encoding(ethaudit.audit_checkpoints) IS
'The canonical encoding of a checkpoint that its signature is the HMAC of: "ethaudit.audit_checkpoints/1;" then checkpoint_id, created_at, created_by, first_seq, last_seq, last_hash (hex), cutoff, key_id and prev_signature (hex), each as in audit_encoding.';

-- -------- reading and verifying the chain --------

CREATE FUNCTION ethaudit.audit_head(OUT seq bigint, OUT row_hash text, OUT logged_at timestamptz)
LANGUAGE plpgsql STABLE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    head record;
BEGIN
    head := ethaudit_internal.audit_head_row();
    seq := head.seq;
    row_hash := pg_catalog.encode(head.row_hash, 'hex');
    SELECT a.logged_at INTO logged_at FROM ethaudit.audit_log a WHERE a.seq = head.seq;
END
$$;
COMMENT ON FUNCTION ethaudit.audit_head() IS
'The end of the chain: seq and row_hash (hex) of the latest event (of the latest checkpoint if retention deleted every event; 0 and zeros for an empty log). Export it regularly to a place the database''s superusers cannot write: verify_audit_log(seq, row_hash) then proves the log was not rewritten since. SECURITY DEFINER; not executable by PUBLIC.';
REVOKE EXECUTE ON FUNCTION ethaudit.audit_head() FROM PUBLIC;

CREATE FUNCTION ethaudit.verify_audit_log(known_seq bigint DEFAULT NULL, known_hash text DEFAULT NULL,
    OUT valid boolean, OUT events_checked bigint, OUT first_seq bigint, OUT last_seq bigint,
    OUT head_hash text, OUT checkpoints integer, OUT broken_seq bigint, OUT problem text)
LANGUAGE plpgsql STABLE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c ethaudit.audit_checkpoints;
    prev_c ethaudit.audit_checkpoints;
    secret bytea;
    e ethaudit.audit_log;
    expect_seq bigint := 1;
    expect_prev bytea := pg_catalog.decode(pg_catalog.repeat('00', 32), 'hex');
    known bytea;
    unsealed bigint;
BEGIN
    valid := true;
    events_checked := 0;
    checkpoints := 0;
    IF (known_seq IS NULL) <> (known_hash IS NULL) THEN
        RAISE EXCEPTION 'known_seq and known_hash go together' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF known_hash IS NOT NULL THEN
        IF known_hash !~ '^[0-9a-fA-F]{64}$' THEN
            RAISE EXCEPTION 'known_hash must be 64 hexadecimal digits, as returned by ethaudit.audit_head()'
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF known_seq < 0 THEN
            RAISE EXCEPTION 'known_seq must not be negative' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        known := pg_catalog.decode(known_hash, 'hex');
    END IF;

    -- 1. the checkpoints: signed, contiguous, each naming the one before
    FOR c IN SELECT * FROM ethaudit.audit_checkpoints x ORDER BY x.checkpoint_id LOOP
        checkpoints := checkpoints + 1;
        SELECT k.secret INTO secret FROM ethaudit.keys k WHERE k.key_id = c.key_id AND k.purpose = 'checkpoint';
        IF c.checkpoint_id <> checkpoints
           OR c.first_seq <> expect_seq
           OR c.prev_signature IS DISTINCT FROM prev_c.signature THEN
            valid := false;
            problem := pg_catalog.format('checkpoint %s does not follow checkpoint %s: a checkpoint is missing or out of order',
                                         c.checkpoint_id, coalesce(prev_c.checkpoint_id::text, '(none)'));
            RETURN;
        END IF;
        IF secret IS NULL OR c.signature <> ethaudit.hmac_sha256(secret, ethaudit.checkpoint_encoding(c)) THEN
            valid := false;
            problem := pg_catalog.format('checkpoint %s (events %s to %s) does not carry a valid signature%s',
                                         c.checkpoint_id, c.first_seq, c.last_seq,
                                         CASE WHEN secret IS NULL THEN pg_catalog.format(': key %s is missing', c.key_id) ELSE '' END);
            RETURN;
        END IF;
        expect_seq := c.last_seq + 1;
        expect_prev := c.last_hash;
        prev_c := c;
    END LOOP;

    -- 2. the events, in chain order
    FOR e IN SELECT * FROM ethaudit.audit_log a ORDER BY a.seq LOOP
        IF first_seq IS NULL THEN
            first_seq := e.seq;
        END IF;
        IF e.seq <> expect_seq THEN
            valid := false;
            broken_seq := e.seq;
            problem := CASE WHEN e.seq > expect_seq
                            THEN pg_catalog.format('events %s to %s are missing', expect_seq, e.seq - 1)
                            ELSE pg_catalog.format('event %s precedes the latest checkpoint, which ends at %s', e.seq, expect_seq - 1) END;
            RETURN;
        END IF;
        IF e.prev_hash <> expect_prev THEN
            valid := false;
            broken_seq := e.seq;
            problem := pg_catalog.format('event %s does not link to %s: the event before it was changed, replaced or reordered',
                                         e.seq, CASE WHEN e.seq = 1 THEN 'the start of the chain'
                                                     WHEN prev_c.last_seq = e.seq - 1 THEN pg_catalog.format('checkpoint %s', prev_c.checkpoint_id)
                                                     ELSE pg_catalog.format('event %s', e.seq - 1) END);
            RETURN;
        END IF;
        IF e.row_hash <> pg_catalog.sha256(ethaudit.audit_encoding(e)) THEN
            valid := false;
            broken_seq := e.seq;
            problem := pg_catalog.format('event %s does not match its hash: it was changed after it was written', e.seq);
            RETURN;
        END IF;
        IF e.seq = known_seq AND e.row_hash <> known THEN
            valid := false;
            broken_seq := e.seq;
            problem := pg_catalog.format('event %s is not the one exported (its hash differs): the log was rewritten', e.seq);
            RETURN;
        END IF;
        events_checked := events_checked + 1;
        last_seq := e.seq;
        head_hash := pg_catalog.encode(e.row_hash, 'hex');
        expect_seq := e.seq + 1;
        expect_prev := e.row_hash;
    END LOOP;

    -- 3. the exported head, if given, must still be in the chain
    IF known_seq IS NOT NULL THEN
        IF known_seq >= expect_seq THEN
            valid := false;
            broken_seq := expect_seq;
            problem := pg_catalog.format('the exported head, event %s, is gone: the chain ends at %s', known_seq, expect_seq - 1);
            RETURN;
        ELSIF known_seq < coalesce(first_seq, expect_seq) THEN
            -- deleted by retention: the checkpoint that covers it must agree when it is its last event
            SELECT * INTO c FROM ethaudit.audit_checkpoints x WHERE known_seq BETWEEN x.first_seq AND x.last_seq;
            IF known_seq > 0 AND (NOT FOUND OR (c.last_seq = known_seq AND c.last_hash <> known)) THEN
                valid := false;
                problem := pg_catalog.format('the exported head, event %s, is not covered by a matching checkpoint', known_seq);
                RETURN;
            END IF;
        END IF;
    END IF;
    IF head_hash IS NULL AND prev_c.checkpoint_id IS NOT NULL THEN
        last_seq := prev_c.last_seq;
        head_hash := pg_catalog.encode(prev_c.last_hash, 'hex');
    END IF;

    -- 4. committed events that never reached the chain
    SELECT pg_catalog.count(*) INTO unsealed FROM ethaudit.audit_pending p
    WHERE p.xact IS DISTINCT FROM pg_catalog.pg_current_xact_id_if_assigned();   -- this transaction's own are sealed at its commit
    IF unsealed > 0 THEN
        valid := false;
        problem := pg_catalog.format('events recorded but never chained: %s (the sealing trigger was disabled)', unsealed);
    END IF;
END
$$;
COMMENT ON FUNCTION ethaudit.verify_audit_log(bigint, text) IS
'Walks the audit log in chain order from the latest signed checkpoint and returns whether it is intact, how many events it checked, the first and last seq, the head hash, and for a broken chain the first broken link (broken_seq) and what is wrong: a missing event, an event that does not link to the one before, an event that no longer matches its hash, a bad checkpoint signature. Given a head exported earlier (known_seq, known_hash from audit_head()), also proves the log was not rewritten or cut short since. SECURITY DEFINER; not executable by PUBLIC.';
REVOKE EXECUTE ON FUNCTION ethaudit.verify_audit_log(bigint, text) FROM PUBLIC;
