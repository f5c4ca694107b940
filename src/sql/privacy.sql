-- ====================================================================
-- Security: privacy by design
--
--   privacy_policies     per model and input field of a recorded decision:
--                        keep, pseudonymise, drop
--   pseudonymise()       keyed HMAC-SHA-256 of an identifier (rotating key,
--                        keys.sql)
--   mask_text()          masks e-mail addresses, URLs, IBANs, IP addresses
--                        and long numbers in free text
--
-- record_decision() (decisions.sql) applies them.
-- ====================================================================

-- -------- privacy policies --------

CREATE TABLE ethaudit.privacy_policies (
    model       text NOT NULL REFERENCES ethaudit.models ON UPDATE CASCADE ON DELETE CASCADE,
    field       text NOT NULL,
    action      text NOT NULL
                CONSTRAINT privacy_policies_action_check CHECK (action IN ('keep', 'pseudonymise', 'drop')),
    note        text,
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at  timestamptz,
    PRIMARY KEY (model, field)
);
COMMENT ON TABLE ethaudit.privacy_policies IS
'What record_decision() keeps of each input field of a model: keep (as given), pseudonymise (keyed HMAC, see pseudonymise()) or drop. Field * sets the action of every field not listed; without it, unlisted fields are dropped. Configuration: kept by pg_dump; every change is in the audit log.';
COMMENT ON COLUMN ethaudit.privacy_policies.model IS 'The model (ethaudit.models).';
COMMENT ON COLUMN ethaudit.privacy_policies.field IS 'A top-level key of the inputs passed to record_decision(), or * for every other key.';
COMMENT ON COLUMN ethaudit.privacy_policies.action IS 'keep, pseudonymise or drop.';
COMMENT ON COLUMN ethaudit.privacy_policies.note IS 'Free text: why (purpose, legal basis).';
COMMENT ON COLUMN ethaudit.privacy_policies.created_at IS 'When the row was created.';
COMMENT ON COLUMN ethaudit.privacy_policies.updated_at IS 'When the row was last changed.';

CREATE FUNCTION ethaudit_internal.validate_privacy_policy()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.field IS NULL OR NEW.field = '' OR NEW.field <> pg_catalog.btrim(NEW.field)
       OR pg_catalog.length(NEW.field) > 200 THEN
        RAISE EXCEPTION 'invalid field name "%" in the privacy policy of model %', NEW.field, NEW.model
            USING ERRCODE = 'check_violation',
                  HINT = 'A field name has 1 to 200 characters and no leading or trailing spaces; * stands for every other field.';
    END IF;
    IF NEW.action IS NULL OR NEW.action NOT IN ('keep', 'pseudonymise', 'drop') THEN
        RAISE EXCEPTION 'invalid privacy action "%" for field % of model %', NEW.action, NEW.field, NEW.model
            USING ERRCODE = 'check_violation',
                  HINT = 'The actions are keep, pseudonymise and drop.';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        NEW.updated_at := pg_catalog.now();
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.validate_privacy_policy() IS
'Trigger function: checks the field name and the action of a privacy policy row and stamps updated_at.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.validate_privacy_policy() FROM PUBLIC;
CREATE TRIGGER validate_privacy_policy BEFORE INSERT OR UPDATE ON ethaudit.privacy_policies
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.validate_privacy_policy();
COMMENT ON TRIGGER validate_privacy_policy ON ethaudit.privacy_policies IS
'Validates a privacy policy row before it is written.';

CREATE TRIGGER audit_change AFTER INSERT OR UPDATE OR DELETE ON ethaudit.privacy_policies
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.audit_config_change('privacy_policy');
COMMENT ON TRIGGER audit_change ON ethaudit.privacy_policies IS
'Records every change of a privacy policy in the audit log.';

SELECT pg_catalog.pg_extension_config_dump('ethaudit.privacy_policies', '');

-- -------- pseudonyms and masking --------

CREATE FUNCTION ethaudit_internal.pseudonym_with(k ethaudit.keys, value text)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT 'ps' || k.key_id || ':' || pg_catalog.encode(ethaudit.hmac_sha256(k.secret, pg_catalog.convert_to(value, 'UTF8')), 'hex')
$$;
COMMENT ON FUNCTION ethaudit_internal.pseudonym_with(ethaudit.keys, text) IS
'Internal: the pseudonym of a value under a key: ps<key_id>:<HMAC-SHA-256 of the UTF-8 value, hex>.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.pseudonym_with(ethaudit.keys, text) FROM PUBLIC;

CREATE FUNCTION ethaudit.pseudonymise(value text)
RETURNS text
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN ethaudit_internal.pseudonym_with(ethaudit_internal.active_key('pseudonym'), value);
END
$$;
COMMENT ON FUNCTION ethaudit.pseudonymise(text) IS
'The pseudonym of an identifier under the active pseudonym key: ps<key_id>:<64 hex digits> (HMAC-SHA-256). The same value gives the same pseudonym until the key is rotated; without the key it cannot be reversed or recomputed, but whoever may call this function can test guesses, so it is granted to the auditor and model owners only. NULL gives NULL. SECURITY DEFINER; not executable by PUBLIC.';
REVOKE EXECUTE ON FUNCTION ethaudit.pseudonymise(text) FROM PUBLIC;

CREATE FUNCTION ethaudit.pseudonymise(value text, key_id integer)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k ethaudit.keys;
BEGIN
    IF key_id IS NULL THEN
        RAISE EXCEPTION 'key_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT * INTO k FROM ethaudit.keys x WHERE x.key_id = pseudonymise.key_id AND x.purpose = 'pseudonym';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'pseudonym key % does not exist', key_id USING ERRCODE = 'undefined_object';
    END IF;
    RETURN ethaudit_internal.pseudonym_with(k, value);
END
$$;
COMMENT ON FUNCTION ethaudit.pseudonymise(text, integer) IS
'The pseudonym of an identifier under a given (possibly retired) pseudonym key: finds a subject''s records made before a key rotation. NULL value gives NULL. SECURITY DEFINER; not executable by PUBLIC.';
REVOKE EXECUTE ON FUNCTION ethaudit.pseudonymise(text, integer) FROM PUBLIC;

CREATE FUNCTION ethaudit.mask_text(input text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.regexp_replace(pg_catalog.regexp_replace(pg_catalog.regexp_replace(
           pg_catalog.regexp_replace(pg_catalog.regexp_replace(input,
        -- e-mail addresses
        '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+', '[email]', 'g'),
        -- URLs (they carry names, tokens and identifiers)
        '[A-Za-z][A-Za-z0-9+.-]*://[^[:space:]<>"]+', '[url]', 'g'),
        -- IBANs: country, check digits, 11 to 30 letters and digits in groups
        '\m[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\M', '[iban]', 'g'),
        -- IPv4 addresses
        '\m[0-9]{1,3}(?:\.[0-9]{1,3}){3}\M', '[ip]', 'g'),
        -- six or more digits, possibly separated: phone, card, account and
        -- identity numbers, full dates
        '\+?[0-9](?:[ ()./-]{0,2}[0-9]){5,}', '[number]', 'g')
$$;
COMMENT ON FUNCTION ethaudit.mask_text(text) IS
'Masks identifying details in free text: e-mail addresses become [email], URLs [url], IBANs [iban], IPv4 addresses [ip], and any run of six or more digits (phone, card, account and identity numbers, full dates; spaces, dots, dashes, slashes and brackets between the digits allowed) [number]. Names are not recognised: keep them out of free text. NULL gives NULL.';

-- The inputs of a decision after the model's privacy policy.
CREATE FUNCTION ethaudit_internal.apply_privacy(model text, inputs jsonb,
    OUT kept jsonb, OUT pseudonymised text[], OUT dropped text[], OUT key_id integer)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    fallback text;
    f record;
    act text;
    k ethaudit.keys;
BEGIN
    kept := '{}'::jsonb;
    pseudonymised := '{}';
    dropped := '{}';
    IF inputs IS NULL THEN
        kept := NULL;
        RETURN;
    END IF;
    SELECT p.action INTO fallback FROM ethaudit.privacy_policies p WHERE p.model = apply_privacy.model AND p.field = '*';
    FOR f IN SELECT j.key, j.value FROM pg_catalog.jsonb_each(inputs) j ORDER BY j.key LOOP
        SELECT p.action INTO act FROM ethaudit.privacy_policies p WHERE p.model = apply_privacy.model AND p.field = f.key;
        act := coalesce(act, fallback, 'drop');     -- what no policy allows is not kept
        IF act = 'keep' THEN
            kept := kept || pg_catalog.jsonb_build_object(f.key, f.value);
        ELSIF act = 'pseudonymise' THEN
            IF k.key_id IS NULL THEN
                k := ethaudit_internal.active_key('pseudonym');
                key_id := k.key_id;
            END IF;
            kept := kept || pg_catalog.jsonb_build_object(f.key,
                CASE pg_catalog.jsonb_typeof(f.value)
                    WHEN 'null' THEN 'null'::jsonb
                    WHEN 'string' THEN pg_catalog.to_jsonb(ethaudit_internal.pseudonym_with(k, f.value #>> '{}'))
                    ELSE pg_catalog.to_jsonb(ethaudit_internal.pseudonym_with(k, f.value::text)) END);
            pseudonymised := pseudonymised || f.key;
        ELSE
            dropped := dropped || f.key;
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.apply_privacy(text, jsonb) IS
'Internal: applies a model''s privacy policy to the top-level fields of inputs: the fields kept (pseudonymised ones replaced by their pseudonym; a string is pseudonymised as its text, any other JSON value as its JSON text), and the names of the pseudonymised and the dropped fields. Unlisted fields follow field *, else are dropped. Needs the pseudonym key: not executable by PUBLIC.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.apply_privacy(text, jsonb) FROM PUBLIC;
