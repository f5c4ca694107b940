-- ====================================================================
-- Security, part 1: the tamper-evident audit log
--
--   audit_log            append-only events, each chained to the one before
--                        it by a SHA-256 hash over a canonical encoding
--   audit_pending        events of transactions not yet committed; a
--                        deferred trigger seals them into the chain at
--                        commit, one transaction at a time
--   audit_checkpoints    signed checkpoints left by retention: the chain
--                        that remains starts from the latest one
--   keys                 secret keys (checkpoint signatures, pseudonyms),
--                        readable by the extension's owner only
--   verify_audit_log()   walks the chain and reports the first broken link
--
-- The extension writes an event for every change to models, versions,
-- checks, thresholds, baselines and the security configuration, every
-- alert state change and every deletion of history; users add events
-- through record_event() and record_decision() (privacy.sql).  Nobody can
-- UPDATE, DELETE or TRUNCATE the log through the normal paths; retention
-- removes its oldest rows only behind a signed checkpoint.
-- doc/security.md describes what the chain proves and what it does not.
-- ====================================================================

-- -------- who is acting --------

CREATE FUNCTION ethaudit.session_role()
RETURNS name
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- SET ROLE is refused inside SECURITY DEFINER functions, so the setting
    -- "role" keeps naming the caller while CURRENT_USER names the definer.
    -- Code run for a job as a relation's owner (run_as_owner) acts as that
    -- owner, not as the job's session: ethaudit.acting_role names it.
    SELECT CASE WHEN coalesce(pg_catalog.current_setting('ethaudit.acting_role', true), '') <> ''
                THEN pg_catalog.current_setting('ethaudit.acting_role', true)::name
                WHEN pg_catalog.current_setting('role') = 'none' THEN SESSION_USER
                ELSE pg_catalog.current_setting('role')::name END
$$;
COMMENT ON FUNCTION ethaudit.session_role() IS
'The role the session acts as: the role chosen with SET ROLE, else the session user; while a job runs a relation''s code as its owner (run_as_owner), that owner. Unlike CURRENT_USER it is the same inside SECURITY DEFINER functions, so the audit log names the caller, not the extension''s owner, and code an owner planted in a view or trigger acts with its owner''s name, not the job''s.';

CREATE FUNCTION ethaudit.is_extension_owner()
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(pg_catalog.bool_or(pg_catalog.pg_has_role(CURRENT_USER, e.extowner, 'MEMBER')), false)
    FROM pg_catalog.pg_extension e WHERE e.extname = 'ethaudit'
$$;
COMMENT ON FUNCTION ethaudit.is_extension_owner() IS
'True if the current user is the owner of the extension (or a member of it, or a superuser): the identity ethaudit''s SECURITY DEFINER functions run as.';

-- -------- hashing and keyed hashing --------

CREATE FUNCTION ethaudit.hmac_sha256(key bytea, message bytea)
RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- RFC 2104 over SHA-256 (64-byte blocks): H((K xor opad) || H((K xor ipad) || m));
    -- a key longer than a block is hashed first, a shorter one padded with zeros
    WITH k AS (
        SELECT CASE WHEN pg_catalog.octet_length(key) > 64 THEN pg_catalog.sha256(key) ELSE key END AS k0
    ), pads AS (
        SELECT pg_catalog.string_agg(pg_catalog.set_byte('\x00'::bytea, 0,
                   CASE WHEN n < pg_catalog.octet_length(k.k0) THEN pg_catalog.get_byte(k.k0, n) ELSE 0 END # 54),
                   ''::bytea ORDER BY n) AS ipad,
               pg_catalog.string_agg(pg_catalog.set_byte('\x00'::bytea, 0,
                   CASE WHEN n < pg_catalog.octet_length(k.k0) THEN pg_catalog.get_byte(k.k0, n) ELSE 0 END # 92),
                   ''::bytea ORDER BY n) AS opad
        FROM k, pg_catalog.generate_series(0, 63) AS n
    )
    SELECT pg_catalog.sha256(pads.opad || pg_catalog.sha256(pads.ipad || message)) FROM pads
$$;
COMMENT ON FUNCTION ethaudit.hmac_sha256(bytea, bytea) IS
'HMAC-SHA-256 (RFC 2104) of message under key, built on the server''s sha256(); checked against the test vectors of RFC 4231.';

-- length-prefixed field of the canonical encodings: "<octets>:<UTF-8 text>,"
-- or "-" for NULL, so that no two different rows encode alike
CREATE FUNCTION ethaudit.canonical_field(v text)
RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN v IS NULL THEN '\x2d'::bytea
                ELSE pg_catalog.convert_to(pg_catalog.octet_length(pg_catalog.convert_to(v, 'UTF8'))::text || ':', 'UTF8')
                     || pg_catalog.convert_to(v, 'UTF8') || '\x2c'::bytea END
$$;
COMMENT ON FUNCTION ethaudit.canonical_field(text) IS
'Internal: one field of a canonical encoding: its length in UTF-8 octets, a colon, the UTF-8 text and a comma; a single "-" for NULL.';

CREATE FUNCTION ethaudit.canonical_time(t timestamptz)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- independent of DateStyle and TimeZone
    SELECT pg_catalog.to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;
COMMENT ON FUNCTION ethaudit.canonical_time(timestamptz) IS
'Internal: a timestamp in the canonical encodings: UTC, ISO 8601 with microseconds (2025-01-31T12:00:00.000000Z), whatever the session''s DateStyle and TimeZone.';

-- -------- keys --------

CREATE TABLE ethaudit.keys (
    key_id      integer PRIMARY KEY,
    purpose     text NOT NULL
                CONSTRAINT keys_purpose_check CHECK (purpose IN ('checkpoint', 'pseudonym')),
    secret      bytea NOT NULL
                CONSTRAINT keys_secret_check CHECK (pg_catalog.octet_length(secret) = 32),
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    created_by  name NOT NULL,
    retired_at  timestamptz
);
CREATE UNIQUE INDEX keys_one_active ON ethaudit.keys (purpose) WHERE retired_at IS NULL;
COMMENT ON INDEX ethaudit.keys_one_active IS 'At most one active key per purpose.';
COMMENT ON TABLE ethaudit.keys IS
'Secret keys: checkpoint signs retention checkpoints of the audit log, pseudonym keys the HMAC of pseudonymised identifiers. Created on first use, rotated with rotate_key(); readable by the extension''s owner only (no grants, row-level security without policies). Kept by pg_dump: protect dumps accordingly.';
COMMENT ON COLUMN ethaudit.keys.key_id IS 'Identifier (key): 1, 2, ...; pseudonyms and checkpoints name the key they were made with.';
COMMENT ON COLUMN ethaudit.keys.purpose IS 'checkpoint or pseudonym.';
COMMENT ON COLUMN ethaudit.keys.secret IS 'The key: 32 random octets.';
COMMENT ON COLUMN ethaudit.keys.created_at IS 'When it was created.';
COMMENT ON COLUMN ethaudit.keys.created_by IS 'Role that caused its creation (session role).';
COMMENT ON COLUMN ethaudit.keys.retired_at IS 'When it was replaced by a newer key of the same purpose; retired keys still verify and re-derive.';
ALTER TABLE ethaudit.keys ENABLE ROW LEVEL SECURITY;

CREATE FUNCTION ethaudit.active_key(purpose text)
RETURNS ethaudit.keys
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k ethaudit.keys;
BEGIN
    SELECT * INTO k FROM ethaudit.keys x WHERE x.purpose = active_key.purpose AND x.retired_at IS NULL;
    IF FOUND THEN
        RETURN k;
    END IF;
    -- one creator at a time; the random octets come from pg_strong_random
    -- through gen_random_uuid() (122 random bits each), hashed into 32 octets
    PERFORM pg_catalog.pg_advisory_xact_lock(1702127715, 1);
    SELECT * INTO k FROM ethaudit.keys x WHERE x.purpose = active_key.purpose AND x.retired_at IS NULL;
    IF FOUND THEN
        RETURN k;
    END IF;
    INSERT INTO ethaudit.keys AS x (key_id, purpose, secret, created_by)
    VALUES ((SELECT coalesce(max(y.key_id), 0) + 1 FROM ethaudit.keys y), active_key.purpose,
            pg_catalog.sha256(pg_catalog.decode(pg_catalog.replace(
                gen_random_uuid()::text || gen_random_uuid()::text || gen_random_uuid()::text || gen_random_uuid()::text,
                '-', ''), 'hex')),
            ethaudit.session_role())
    RETURNING x.* INTO k;
    RETURN k;
END
$$;
COMMENT ON FUNCTION ethaudit.active_key(text) IS
'Internal: the active key of a purpose (checkpoint, pseudonym), created on first use. SECURITY DEFINER; not executable by PUBLIC.';

CREATE FUNCTION ethaudit.rotate_key(purpose text)
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k ethaudit.keys;
BEGIN
    IF purpose IS NULL THEN
        RAISE EXCEPTION 'purpose must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF purpose NOT IN ('checkpoint', 'pseudonym') THEN
        RAISE EXCEPTION 'unknown key purpose "%"', purpose
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The purposes are checkpoint and pseudonym.';
    END IF;
    PERFORM pg_catalog.pg_advisory_xact_lock(1702127715, 1);
    UPDATE ethaudit.keys x SET retired_at = pg_catalog.clock_timestamp()
    WHERE x.purpose = rotate_key.purpose AND x.retired_at IS NULL;
    k := ethaudit.active_key(purpose);
    RETURN k.key_id;
END
$$;
COMMENT ON FUNCTION ethaudit.rotate_key(text) IS
'Retires the active key of a purpose (checkpoint or pseudonym) and creates a new one; returns its key_id. Later checkpoints and pseudonyms use the new key; retired keys are kept, so older checkpoints still verify and older pseudonyms can still be re-derived. SECURITY DEFINER; not executable by PUBLIC.';

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

-- -------- appending --------

-- Every write below is made by SECURITY DEFINER functions owned by the
-- extension's owner.  They mark the write with a transaction-local setting
-- that the guard triggers accept only from the owner; the prefix
-- "ethaudit." is reserved by the library, hence "ethaudit_audit.".
CREATE FUNCTION ethaudit.audit_append(event_type text, model text, version text, details jsonb,
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
COMMENT ON FUNCTION ethaudit.audit_append(text, text, text, jsonb, text) IS
'Internal: records an event of the current transaction; it is chained into ethaudit.audit_log when the transaction commits. The actor is the session role (not the definer). SECURITY DEFINER; not executable by PUBLIC.';

CREATE FUNCTION ethaudit.audit_head_row(OUT seq bigint, OUT row_hash bytea)
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
COMMENT ON FUNCTION ethaudit.audit_head_row() IS
'Internal: the position and hash the next event chains to: the latest event, else the latest checkpoint, else (0, 32 zero octets). Callers hold the chain lock.';

CREATE FUNCTION ethaudit.audit_seal()
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
    head := ethaudit.audit_head_row();
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
COMMENT ON FUNCTION ethaudit.audit_seal() IS
'Trigger function (deferred constraint trigger on audit_pending, fired at commit): takes the chain lock, chains the event to the latest one (seq + 1, prev_hash) and moves it into ethaudit.audit_log. A transaction whose snapshot predates the head (REPEATABLE READ) gets a serialization failure instead of forking the chain. SECURITY DEFINER.';

CREATE CONSTRAINT TRIGGER audit_seal AFTER INSERT ON ethaudit.audit_pending
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ethaudit.audit_seal();
COMMENT ON TRIGGER audit_seal ON ethaudit.audit_pending IS
'Chains each recorded event into the audit log when its transaction commits.';
-- fires under session_replication_role = replica too
ALTER TABLE ethaudit.audit_pending ENABLE ALWAYS TRIGGER audit_seal;

-- -------- guarding the log --------

CREATE FUNCTION ethaudit.audit_log_guard()
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
COMMENT ON FUNCTION ethaudit.audit_log_guard() IS
'Trigger function: refuses UPDATE, DELETE and TRUNCATE of the audit log for everyone (42501), except the deletions of ethaudit''s retention; accepts inserts from the sealing trigger, and otherwise only rows that carry the hash of their own content (a restore).';

CREATE TRIGGER audit_log_guard BEFORE INSERT OR UPDATE OR DELETE ON ethaudit.audit_log
    FOR EACH ROW EXECUTE FUNCTION ethaudit.audit_log_guard();
CREATE TRIGGER audit_log_guard_truncate BEFORE TRUNCATE ON ethaudit.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION ethaudit.audit_log_guard();
COMMENT ON TRIGGER audit_log_guard ON ethaudit.audit_log IS
'Keeps the audit log append-only.';
COMMENT ON TRIGGER audit_log_guard_truncate ON ethaudit.audit_log IS
'Refuses TRUNCATE of the audit log.';
-- also under session_replication_role = replica: only ALTER TABLE ... DISABLE TRIGGER
-- (the owner or a superuser) goes around them
ALTER TABLE ethaudit.audit_log ENABLE ALWAYS TRIGGER audit_log_guard;
ALTER TABLE ethaudit.audit_log ENABLE ALWAYS TRIGGER audit_log_guard_truncate;

CREATE FUNCTION ethaudit.audit_checkpoint_guard()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'ethaudit.audit_checkpoints is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
COMMENT ON FUNCTION ethaudit.audit_checkpoint_guard() IS
'Trigger function: refuses UPDATE, DELETE and TRUNCATE of the checkpoints (42501).';
CREATE TRIGGER audit_checkpoint_guard BEFORE UPDATE OR DELETE ON ethaudit.audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION ethaudit.audit_checkpoint_guard();
CREATE TRIGGER audit_checkpoint_guard_truncate BEFORE TRUNCATE ON ethaudit.audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION ethaudit.audit_checkpoint_guard();
COMMENT ON TRIGGER audit_checkpoint_guard ON ethaudit.audit_checkpoints IS
'Keeps the checkpoints append-only.';
COMMENT ON TRIGGER audit_checkpoint_guard_truncate ON ethaudit.audit_checkpoints IS
'Refuses TRUNCATE of the checkpoints.';
ALTER TABLE ethaudit.audit_checkpoints ENABLE ALWAYS TRIGGER audit_checkpoint_guard;
ALTER TABLE ethaudit.audit_checkpoints ENABLE ALWAYS TRIGGER audit_checkpoint_guard_truncate;

CREATE FUNCTION ethaudit.key_guard()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.key_id = OLD.key_id AND NEW.purpose = OLD.purpose AND NEW.secret = OLD.secret
           AND NEW.created_at = OLD.created_at AND NEW.created_by = OLD.created_by
           AND OLD.retired_at IS NULL AND NEW.retired_at IS NOT NULL THEN
            RETURN NEW;             -- retiring
        END IF;
        RAISE EXCEPTION 'a key can only be retired, not changed' USING ERRCODE = 'insufficient_privilege';
    ELSIF TG_OP = 'DELETE' THEN
        IF OLD.purpose = 'pseudonym' AND OLD.retired_at IS NOT NULL THEN
            RETURN OLD;             -- destroying a retired pseudonym key (crypto-shredding)
        END IF;
        RAISE EXCEPTION 'key % cannot be deleted', OLD.key_id
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'Checkpoint keys verify the retention checkpoints; the active pseudonym key is in use.',
                  HINT = 'Only retired pseudonym keys can be destroyed.';
    END IF;
    RAISE EXCEPTION 'TRUNCATE of ethaudit.keys is not allowed' USING ERRCODE = 'insufficient_privilege';
END
$$;
COMMENT ON FUNCTION ethaudit.key_guard() IS
'Trigger function: a key can only be retired (retired_at set once); only retired pseudonym keys can be deleted; TRUNCATE is refused (42501).';
CREATE TRIGGER key_guard BEFORE UPDATE OR DELETE ON ethaudit.keys
    FOR EACH ROW EXECUTE FUNCTION ethaudit.key_guard();
CREATE TRIGGER key_guard_truncate BEFORE TRUNCATE ON ethaudit.keys
    FOR EACH STATEMENT EXECUTE FUNCTION ethaudit.key_guard();
COMMENT ON TRIGGER key_guard ON ethaudit.keys IS 'Keys are retired, never changed; checkpoint keys are never deleted.';
COMMENT ON TRIGGER key_guard_truncate ON ethaudit.keys IS 'Refuses TRUNCATE of the keys.';

-- -------- recording changes --------

-- A superuser session with row_security = off is what pg_restore and a
-- plain-format dump run as: the rows it loads already have their history in
-- the restored audit log, so loading them records nothing.
CREATE FUNCTION ethaudit.restoring()
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.current_setting('row_security') = 'off'
       AND coalesce((SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = ethaudit.session_role()), false)
$$;
COMMENT ON FUNCTION ethaudit.restoring() IS
'Internal: true in a superuser session with row_security = off (pg_restore, a plain dump loaded with psql): inserts made there are a restore and are not recorded again.';

-- the columns that differ between two rows, as {column: {"old": .., "new": ..}}
CREATE FUNCTION ethaudit.row_changes(old_row jsonb, new_row jsonb, ignored text[] DEFAULT '{}')
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(pg_catalog.jsonb_object_agg(n.key, pg_catalog.jsonb_build_object('old', o.value, 'new', n.value)), '{}'::jsonb)
    FROM pg_catalog.jsonb_each(new_row) n
    LEFT JOIN pg_catalog.jsonb_each(old_row) o ON o.key = n.key
    WHERE o.value IS DISTINCT FROM n.value AND n.key <> ALL (ignored)
$$;
COMMENT ON FUNCTION ethaudit.row_changes(jsonb, jsonb, text[]) IS
'Internal: the keys whose values differ between two rows (as jsonb), as {"key": {"old": ..., "new": ...}}, leaving out the ignored keys.';

CREATE FUNCTION ethaudit.audit_config_change()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    object text := TG_ARGV[0];
    r jsonb := CASE WHEN TG_OP = 'DELETE' THEN pg_catalog.to_jsonb(OLD) ELSE pg_catalog.to_jsonb(NEW) END;
    ignored text[] := '{updated_at,stage_changed_at}';
    details jsonb;
    changes jsonb;
    m text;
    v text;
    event text;
    ident jsonb;
BEGIN
    IF TG_OP = 'INSERT' AND ethaudit.restoring() THEN
        RETURN NULL;
    END IF;
    -- what not to copy into the log
    IF object = 'key' THEN
        r := r - 'secret';
        ignored := ignored || '{secret}'::text[];
    ELSIF object = 'baseline' THEN
        r := (r - 'baseline') || pg_catalog.jsonb_build_object('baseline_sha256',
                 pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(r->>'baseline', 'UTF8')), 'hex'));
    END IF;
    m := r->>'model';
    v := r->>'version';
    IF object = 'threshold' THEN
        SELECT ch.model, ch.version INTO m, v FROM ethaudit.checks ch WHERE ch.check_id = (r->>'check_id')::bigint;
    END IF;
    -- the columns that identify the row
    ident := CASE object
        WHEN 'model' THEN pg_catalog.jsonb_build_object('model', r->'model')
        WHEN 'model_version' THEN pg_catalog.jsonb_build_object('model', r->'model', 'version', r->'version')
        WHEN 'check' THEN pg_catalog.jsonb_build_object('check_id', r->'check_id', 'check_name', r->'check_name')
        WHEN 'threshold' THEN pg_catalog.jsonb_build_object('check_id', r->'check_id', 'check_name',
                                  (SELECT ch.check_name FROM ethaudit.checks ch WHERE ch.check_id = (r->>'check_id')::bigint))
        WHEN 'baseline' THEN pg_catalog.jsonb_build_object('baseline_id', r->'baseline_id', 'column_name', r->'column_name')
        WHEN 'privacy_policy' THEN pg_catalog.jsonb_build_object('model', r->'model', 'field', r->'field')
        WHEN 'retention_policy' THEN pg_catalog.jsonb_build_object('table_name', r->'table_name')
        WHEN 'security_role' THEN pg_catalog.jsonb_build_object('role_kind', r->'role_kind')
        WHEN 'key' THEN pg_catalog.jsonb_build_object('key_id', r->'key_id', 'purpose', r->'purpose')
        ELSE '{}'::jsonb END;

    IF TG_OP = 'INSERT' THEN
        event := object || '_created';
        details := ident || pg_catalog.jsonb_build_object('row', r);
    ELSIF TG_OP = 'DELETE' THEN
        event := object || '_deleted';
        details := ident || pg_catalog.jsonb_build_object('row', r);
    ELSE
        changes := ethaudit.row_changes(
            CASE WHEN object = 'key' THEN pg_catalog.to_jsonb(OLD) - 'secret'
                 WHEN object = 'baseline' THEN (pg_catalog.to_jsonb(OLD) - 'baseline') || pg_catalog.jsonb_build_object('baseline_sha256',
                     pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.to_jsonb(OLD)->>'baseline', 'UTF8')), 'hex'))
                 ELSE pg_catalog.to_jsonb(OLD) END,
            r, ignored);
        IF changes = '{}'::jsonb THEN
            RETURN NULL;            -- nothing but time stamps changed
        END IF;
        event := CASE WHEN object = 'model_version' AND changes ? 'stage' THEN 'stage_changed'
                      WHEN object = 'key' AND changes ? 'retired_at' THEN 'key_retired'
                      ELSE object || '_changed' END;
        details := ident || pg_catalog.jsonb_build_object('changes', changes);
    END IF;
    PERFORM ethaudit.audit_append(event, m, v, details);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION ethaudit.audit_config_change() IS
'Trigger function (AFTER INSERT, UPDATE or DELETE, FOR EACH ROW; argument: the kind of object): records <object>_created, <object>_changed (the changed columns, old and new) or <object>_deleted in the audit log; a change of a version''s stage is stage_changed. Never copies key material; a baseline is recorded by its SHA-256. SECURITY DEFINER.';

CREATE TRIGGER audit_change AFTER INSERT OR UPDATE OR DELETE ON ethaudit.models
    FOR EACH ROW EXECUTE FUNCTION ethaudit.audit_config_change('model');
CREATE TRIGGER audit_change AFTER INSERT OR UPDATE OR DELETE ON ethaudit.model_versions
    FOR EACH ROW EXECUTE FUNCTION ethaudit.audit_config_change('model_version');
CREATE TRIGGER audit_change AFTER INSERT OR UPDATE OR DELETE ON ethaudit.checks
    FOR EACH ROW EXECUTE FUNCTION ethaudit.audit_config_change('check');
CREATE TRIGGER audit_change AFTER INSERT OR UPDATE OR DELETE ON ethaudit.thresholds
    FOR EACH ROW EXECUTE FUNCTION ethaudit.audit_config_change('threshold');
CREATE TRIGGER audit_change AFTER INSERT OR UPDATE OR DELETE ON ethaudit.baselines
    FOR EACH ROW EXECUTE FUNCTION ethaudit.audit_config_change('baseline');
CREATE TRIGGER audit_change AFTER INSERT OR UPDATE OR DELETE ON ethaudit.keys
    FOR EACH ROW EXECUTE FUNCTION ethaudit.audit_config_change('key');
COMMENT ON TRIGGER audit_change ON ethaudit.models IS 'Records every change of a model in the audit log.';
COMMENT ON TRIGGER audit_change ON ethaudit.model_versions IS 'Records every change of a model version (stage changes as stage_changed) in the audit log.';
COMMENT ON TRIGGER audit_change ON ethaudit.checks IS 'Records every change of a check in the audit log.';
COMMENT ON TRIGGER audit_change ON ethaudit.thresholds IS 'Records every change of thresholds in the audit log.';
COMMENT ON TRIGGER audit_change ON ethaudit.baselines IS 'Records every stored, replaced or deleted baseline in the audit log.';
COMMENT ON TRIGGER audit_change ON ethaudit.keys IS 'Records the creation, retirement and destruction of keys (never the key) in the audit log.';

-- -------- alerts --------

CREATE FUNCTION ethaudit.audit_alert_opened(a ethaudit.alerts, result_id bigint)
RETURNS void
LANGUAGE sql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT ethaudit.audit_append('alert_opened', a.model, NULL, pg_catalog.jsonb_build_object(
        'alert_id', a.alert_id, 'check_id', a.check_id, 'metric', a.metric, 'family', a.family,
        'severity', a.severity, 'value', a.first_value, 'result_id', result_id,
        'owner_role', a.owner_role, 'due_at', a.due_at))
$$;
COMMENT ON FUNCTION ethaudit.audit_alert_opened(ethaudit.alerts, bigint) IS
'Internal: records alert_opened in the audit log (called by the alert engine when it opens an alert; a restore of alerts records nothing). SECURITY DEFINER; not executable by PUBLIC.';

CREATE FUNCTION ethaudit.audit_alert_change()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    changes jsonb;
    event text;
BEGIN
    changes := ethaudit.row_changes(
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
    PERFORM ethaudit.audit_append(event, NEW.model, NULL, pg_catalog.jsonb_build_object(
        'alert_id', NEW.alert_id, 'check_id', NEW.check_id, 'metric', NEW.metric, 'family', NEW.family,
        'value', NEW.last_value, 'result_id', NEW.last_result_id, 'changes', changes));
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION ethaudit.audit_alert_change() IS
'Trigger function (AFTER UPDATE on alerts): records a change of an alert''s state (status, severity, priority, owner, due time, who acknowledged or resolved it and why) as alert_acknowledged, alert_resolved, alert_escalated, alert_priority_changed, alert_reopened, alert_reassigned or alert_changed. Repeats and clean runs are not state changes. SECURITY DEFINER.';
CREATE TRIGGER audit_change AFTER UPDATE ON ethaudit.alerts
    FOR EACH ROW EXECUTE FUNCTION ethaudit.audit_alert_change();
COMMENT ON TRIGGER audit_change ON ethaudit.alerts IS 'Records every change of an alert''s state in the audit log.';

CREATE FUNCTION ethaudit.alert_attribution()
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
COMMENT ON FUNCTION ethaudit.alert_attribution() IS
'Trigger function (BEFORE UPDATE on alerts): a role other than the extension''s owner can set acknowledged_by and resolved_by only to itself (42501).';
CREATE TRIGGER alert_attribution BEFORE UPDATE ON ethaudit.alerts
    FOR EACH ROW EXECUTE FUNCTION ethaudit.alert_attribution();
COMMENT ON TRIGGER alert_attribution ON ethaudit.alerts IS
'Nobody acknowledges or resolves an alert in another role''s name.';

-- -------- deletions and edits of history --------

CREATE FUNCTION ethaudit.audit_history_change()
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
                                          WHEN 'alert_events' THEN 'event_id' ELSE 'run_id' END;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM ethaudit.audit_append(event, NULL, NULL, pg_catalog.jsonb_build_object('table', TG_TABLE_NAME));
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
        PERFORM ethaudit.audit_append(event, r.model, NULL, pg_catalog.jsonb_build_object(
            'table', TG_TABLE_NAME, 'rows', r.n, 'first_' || key_column, r.first_id,
            'last_' || key_column, r.last_id, key_column || 's', r.ids));
    END LOOP;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION ethaudit.audit_history_change() IS
'Trigger function (AFTER DELETE, UPDATE or TRUNCATE, FOR EACH STATEMENT, on runs, results, alerts and alert_events): records history_deleted, history_changed or history_truncated with the table, the model, the number of rows and their identifiers (the first 100). SECURITY DEFINER.';

CREATE TRIGGER audit_delete AFTER DELETE ON ethaudit.results
    REFERENCING OLD TABLE AS ethaudit_old FOR EACH STATEMENT EXECUTE FUNCTION ethaudit.audit_history_change();
CREATE TRIGGER audit_update AFTER UPDATE ON ethaudit.results
    REFERENCING NEW TABLE AS ethaudit_new FOR EACH STATEMENT EXECUTE FUNCTION ethaudit.audit_history_change();
CREATE TRIGGER audit_truncate AFTER TRUNCATE ON ethaudit.results
    FOR EACH STATEMENT EXECUTE FUNCTION ethaudit.audit_history_change();
CREATE TRIGGER audit_delete AFTER DELETE ON ethaudit.alerts
    REFERENCING OLD TABLE AS ethaudit_old FOR EACH STATEMENT EXECUTE FUNCTION ethaudit.audit_history_change();
CREATE TRIGGER audit_truncate AFTER TRUNCATE ON ethaudit.alerts
    FOR EACH STATEMENT EXECUTE FUNCTION ethaudit.audit_history_change();
CREATE TRIGGER audit_delete AFTER DELETE ON ethaudit.alert_events
    REFERENCING OLD TABLE AS ethaudit_old FOR EACH STATEMENT EXECUTE FUNCTION ethaudit.audit_history_change();
CREATE TRIGGER audit_truncate AFTER TRUNCATE ON ethaudit.alert_events
    FOR EACH STATEMENT EXECUTE FUNCTION ethaudit.audit_history_change();
CREATE TRIGGER audit_delete AFTER DELETE ON ethaudit.runs
    REFERENCING OLD TABLE AS ethaudit_old FOR EACH STATEMENT EXECUTE FUNCTION ethaudit.audit_history_change();
CREATE TRIGGER audit_truncate AFTER TRUNCATE ON ethaudit.runs
    FOR EACH STATEMENT EXECUTE FUNCTION ethaudit.audit_history_change();
COMMENT ON TRIGGER audit_delete ON ethaudit.results IS 'Records deletions of results in the audit log.';
COMMENT ON TRIGGER audit_update ON ethaudit.results IS 'Records edits of results in the audit log.';
COMMENT ON TRIGGER audit_truncate ON ethaudit.results IS 'Records TRUNCATE of results in the audit log.';
COMMENT ON TRIGGER audit_delete ON ethaudit.alerts IS 'Records deletions of alerts in the audit log.';
COMMENT ON TRIGGER audit_truncate ON ethaudit.alerts IS 'Records TRUNCATE of alerts in the audit log.';
COMMENT ON TRIGGER audit_delete ON ethaudit.alert_events IS 'Records deletions of alert events in the audit log.';
COMMENT ON TRIGGER audit_truncate ON ethaudit.alert_events IS 'Records TRUNCATE of alert events in the audit log.';
COMMENT ON TRIGGER audit_delete ON ethaudit.runs IS 'Records deletions of runs in the audit log.';
COMMENT ON TRIGGER audit_truncate ON ethaudit.runs IS 'Records TRUNCATE of runs in the audit log.';

-- -------- reading and verifying the chain --------

CREATE FUNCTION ethaudit.audit_head(OUT seq bigint, OUT row_hash text, OUT logged_at timestamptz)
LANGUAGE plpgsql STABLE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    head record;
BEGIN
    head := ethaudit.audit_head_row();
    seq := head.seq;
    row_hash := pg_catalog.encode(head.row_hash, 'hex');
    SELECT a.logged_at INTO logged_at FROM ethaudit.audit_log a WHERE a.seq = head.seq;
END
$$;
COMMENT ON FUNCTION ethaudit.audit_head() IS
'The end of the chain: seq and row_hash (hex) of the latest event (of the latest checkpoint if retention deleted every event; 0 and zeros for an empty log). Export it regularly to a place the database''s superusers cannot write: verify_audit_log(seq, row_hash) then proves the log was not rewritten since. SECURITY DEFINER; not executable by PUBLIC.';

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

-- -------- privileges and dump --------

REVOKE EXECUTE ON FUNCTION ethaudit.active_key(text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ethaudit.rotate_key(text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ethaudit.audit_append(text, text, text, jsonb, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ethaudit.audit_seal() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ethaudit.audit_log_guard() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ethaudit.audit_checkpoint_guard() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ethaudit.key_guard() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ethaudit.audit_config_change() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ethaudit.audit_alert_opened(ethaudit.alerts, bigint) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ethaudit.audit_alert_change() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ethaudit.alert_attribution() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ethaudit.audit_history_change() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ethaudit.audit_head() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ethaudit.verify_audit_log(bigint, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ethaudit.audit_head_row() FROM PUBLIC;

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
    SELECT pg_catalog.convert_to('ethaudit.results/1;'
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
            CASE WHEN f.alert_applied IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.alert_applied, 'UTF8')) || ':' || f.alert_applied || ',' END),
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
                 (EXTRACT(epoch FROM r.duration))::text AS duration, r.alert_applied::text AS alert_applied) AS f
$$;
COMMENT ON FUNCTION ethaudit.result_encoding(ethaudit.results) IS
'The canonical encoding of a result that the audit log commits to: "ethaudit.results/1;" then every column in table order (times in UTC with microseconds, duration in seconds, floats in shortest exact form), each as "<octets>:<UTF-8 text>," or "-" for NULL.';

CREATE FUNCTION ethaudit.commit_run_results(run_id bigint)
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
    PERFORM ethaudit.audit_append('results_recorded', run.model, NULL,
        pg_catalog.jsonb_build_object('run_id', run.run_id, 'kind', run.kind, 'run_by', run.run_by,
                                      'source', run.source, 'results', digests));
END
$$;
COMMENT ON FUNCTION ethaudit.commit_run_results(bigint) IS
'Internal: appends results_recorded to the audit log for a finished run: the SHA-256 (hex) of result_encoding() of each of its results, keyed by result_id. SECURITY DEFINER; not executable by PUBLIC.';

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

REVOKE EXECUTE ON FUNCTION ethaudit.commit_run_results(bigint) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ethaudit.verify_results() FROM PUBLIC;

SELECT pg_catalog.pg_extension_config_dump('ethaudit.audit_log', '');
SELECT pg_catalog.pg_extension_config_dump('ethaudit.audit_checkpoints', '');
SELECT pg_catalog.pg_extension_config_dump('ethaudit.keys', '');
