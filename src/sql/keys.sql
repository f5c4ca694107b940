-- ====================================================================
-- Security: secret keys and keyed hashing
--
--   hmac_sha256()   HMAC-SHA-256 (RFC 2104) on the server's sha256()
--   keys            secret keys: checkpoint keys sign the retention
--                   checkpoints of the audit log, pseudonym keys the
--                   pseudonyms of privacy.sql; readable by the extension's
--                   owner only (no grants, row-level security without
--                   policies)
--   rotate_key()    retires the active key of a purpose, creates a new one
-- ====================================================================

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

-- -------- the keys --------

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

CREATE FUNCTION ethaudit_internal.key_guard()
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
COMMENT ON FUNCTION ethaudit_internal.key_guard() IS
'Trigger function: a key can only be retired (retired_at set once); only retired pseudonym keys can be deleted; TRUNCATE is refused (42501).';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.key_guard() FROM PUBLIC;

CREATE TRIGGER key_guard BEFORE UPDATE OR DELETE ON ethaudit.keys
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.key_guard();
CREATE TRIGGER key_guard_truncate BEFORE TRUNCATE ON ethaudit.keys
    FOR EACH STATEMENT EXECUTE FUNCTION ethaudit_internal.key_guard();
COMMENT ON TRIGGER key_guard ON ethaudit.keys IS 'Keys are retired, never changed; checkpoint keys are never deleted.';
COMMENT ON TRIGGER key_guard_truncate ON ethaudit.keys IS 'Refuses TRUNCATE of the keys.';

CREATE TRIGGER audit_change AFTER INSERT OR UPDATE OR DELETE ON ethaudit.keys
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.audit_config_change('key');
COMMENT ON TRIGGER audit_change ON ethaudit.keys IS 'Records the creation, retirement and destruction of keys (never the key) in the audit log.';

SELECT pg_catalog.pg_extension_config_dump('ethaudit.keys', '');

CREATE FUNCTION ethaudit_internal.active_key(purpose text)
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
COMMENT ON FUNCTION ethaudit_internal.active_key(text) IS
'Internal: the active key of a purpose (checkpoint, pseudonym), created on first use. SECURITY DEFINER; not executable by PUBLIC.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.active_key(text) FROM PUBLIC;

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
    k := ethaudit_internal.active_key(purpose);
    RETURN k.key_id;
END
$$;
COMMENT ON FUNCTION ethaudit.rotate_key(text) IS
'Retires the active key of a purpose (checkpoint or pseudonym) and creates a new one; returns its key_id. Later checkpoints and pseudonyms use the new key; retired keys are kept, so older checkpoints still verify and older pseudonyms can still be re-derived. SECURITY DEFINER; not executable by PUBLIC.';
REVOKE EXECUTE ON FUNCTION ethaudit.rotate_key(text) FROM PUBLIC;
