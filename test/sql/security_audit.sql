-- Security: the audit log.  HMAC-SHA-256 against RFC 4231, the canonical
-- encoding, the events the extension writes for every change, events
-- recorded by users, the append-only guard, and verify_audit_log() catching
-- rows edited, deleted, reordered or cut off behind the extension's back.
SET client_min_messages = warning;
CREATE SCHEMA sec;

-- ---------- HMAC-SHA-256: the test vectors of RFC 4231 ----------
SELECT t.case_no, encode(ethaudit.hmac_sha256(t.key, t.data), 'hex') AS hmac,
       left(encode(ethaudit.hmac_sha256(t.key, t.data), 'hex'), length(t.want)) = t.want AS matches_rfc_4231
FROM (VALUES
    (1, decode(repeat('0b', 20), 'hex'), convert_to('Hi There', 'UTF8'),
     'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7'),
    (2, convert_to('Jefe', 'UTF8'), convert_to('what do ya want for nothing?', 'UTF8'),
     '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'),
    (3, decode(repeat('aa', 20), 'hex'), decode(repeat('dd', 50), 'hex'),
     '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe'),
    (4, decode('0102030405060708090a0b0c0d0e0f10111213141516171819', 'hex'), decode(repeat('cd', 50), 'hex'),
     '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b'),
    -- case 5 is truncated to 128 bits in the RFC
    (5, decode(repeat('0c', 20), 'hex'), convert_to('Test With Truncation', 'UTF8'),
     'a3b6167473100ee06e0c796c2955552b'),
    -- keys longer than the 64-byte block are hashed first
    (6, decode(repeat('aa', 131), 'hex'), convert_to('Test Using Larger Than Block-Size Key - Hash Key First', 'UTF8'),
     '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54'),
    (7, decode(repeat('aa', 131), 'hex'),
     convert_to('This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.', 'UTF8'),
     '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2')
) AS t(case_no, key, data, want)
ORDER BY t.case_no;
-- a key of exactly one block is used as it is; the empty key and message are valid
SELECT ethaudit.hmac_sha256(decode(repeat('aa', 64), 'hex'), 'x') <> ethaudit.hmac_sha256(sha256(decode(repeat('aa', 64), 'hex')), 'x')
           AS block_key_not_hashed,
       encode(ethaudit.hmac_sha256('', ''), 'hex') AS empty,
       ethaudit.hmac_sha256(NULL, 'x') IS NULL AS null_key, ethaudit.hmac_sha256('k', NULL) IS NULL AS null_message;

-- ---------- the canonical encoding ----------
-- length-prefixed fields, "-" for NULL; the time in UTC whatever the session's settings
CREATE FUNCTION sec.sample(details jsonb DEFAULT '{"b": 1, "a": "é"}') RETURNS ethaudit.audit_log LANGUAGE sql AS $$
    SELECT ROW(7, '00000000-0000-4000-8000-000000000001'::uuid, '2025-03-01 12:00:00.5+01'::timestamptz,
               'alice', 'alice', NULL, 'credit', 'v1', 'decision', 'user', details,
               decode(repeat('00', 32), 'hex'), decode(repeat('00', 32), 'hex'))::ethaudit.audit_log
$$;
SELECT convert_from(ethaudit.audit_encoding(sec.sample()), 'UTF8') AS encoding;
SET TimeZone = 'America/New_York';
SET DateStyle = 'SQL, DMY';
SELECT encode(sha256(ethaudit.audit_encoding(sec.sample())), 'hex') AS hash_in_new_york;
RESET TimeZone;
RESET DateStyle;
SELECT encode(sha256(ethaudit.audit_encoding(sec.sample())), 'hex') AS hash_in_utc;
-- jsonb key order and spacing are normalised; a field boundary cannot move
SELECT ethaudit.audit_encoding(sec.sample('{"a": "é",   "b": 1}')) = ethaudit.audit_encoding(sec.sample()) AS same_jsonb_same_bytes,
       ethaudit.audit_encoding(sec.sample('{"a": "é", "b": 2}')) <> ethaudit.audit_encoding(sec.sample()) AS other_value_other_bytes;
-- written out for speed, it is exactly canonical_field() of each field in order
SELECT bool_and(ethaudit.audit_encoding(e) = convert_to('ethaudit.audit_log/1;', 'UTF8')
           || ethaudit_internal.canonical_field(e.seq::text) || ethaudit_internal.canonical_field(e.event_id::text)
           || ethaudit_internal.canonical_field(ethaudit_internal.canonical_time(e.logged_at)) || ethaudit_internal.canonical_field(e.actor::text)
           || ethaudit_internal.canonical_field(e.login_role::text) || ethaudit_internal.canonical_field(e.application_name)
           || ethaudit_internal.canonical_field(e.model) || ethaudit_internal.canonical_field(e.version)
           || ethaudit_internal.canonical_field(e.event_type) || ethaudit_internal.canonical_field(e.origin)
           || ethaudit_internal.canonical_field(e.details::text) || ethaudit_internal.canonical_field(encode(e.prev_hash, 'hex'))) AS is_the_spec
FROM (SELECT (sec.sample()).* UNION ALL SELECT (sec.sample('{"ü": "ß", "n": null}')).*
      UNION ALL SELECT * FROM ethaudit.audit_log) e;
SELECT convert_from(ethaudit_internal.canonical_field('ab,c'), 'UTF8') AS field, convert_from(ethaudit_internal.canonical_field(NULL), 'UTF8') AS null_field,
       convert_from(ethaudit_internal.canonical_field('é'), 'UTF8') AS octets_not_characters;

-- ---------- the events of changes ----------
-- every event from here on, without the times and keys that differ between runs
SELECT coalesce(max(seq), 0) AS mark FROM ethaudit.audit_log \gset
CREATE FUNCTION sec.strip(j jsonb) RETURNS jsonb LANGUAGE sql AS $$
    SELECT CASE jsonb_typeof(j)
        WHEN 'object' THEN (SELECT coalesce(jsonb_object_agg(k, sec.strip(v)), '{}') FROM jsonb_each(j) AS e(k, v)
                            WHERE k NOT IN ('created_at', 'updated_at', 'registered_at', 'stage_changed_at', 'due_at',
                                            'opened_at', 'granted_at', 'check_id', 'alert_id', 'result_id', 'baseline_id',
                                            'baseline_sha256', 'first_result_id', 'last_result_id', 'result_ids', 'alert_ids',
                                            'event_ids', 'run_ids', 'first_event_id', 'last_event_id', 'first_alert_id',
                                            'last_alert_id', 'first_run_id', 'last_run_id', 'retired_at', 'value', 'run_id', 'results'))
        WHEN 'array' THEN (SELECT coalesce(jsonb_agg(sec.strip(v)), '[]') FROM jsonb_array_elements(j) AS e(v))
        ELSE j END
$$;
CREATE VIEW sec.events AS
SELECT seq - :mark AS n, actor, login_role = session_user AS by_login, model, version, event_type, origin,
       sec.strip(details) AS details
FROM ethaudit.audit_log WHERE seq > :mark;

CREATE TABLE sec.preds (ts timestamptz NOT NULL, version text, score float8, label boolean, feature float8);
INSERT INTO sec.preds
SELECT timestamptz '2025-01-01 00:00+00' + i * interval '1 minute', 'v1', (i % 10) / 10.0, i % 3 = 0,
       (i % 50) + CASE WHEN i >= 1440 THEN 25 ELSE 0 END
FROM generate_series(0, 2879) i;

INSERT INTO ethaudit.models (model, description, owner_role) VALUES ('sec credit', 'audited', CURRENT_USER);
INSERT INTO ethaudit.model_versions (model, version, stage) VALUES ('sec credit', 'v1', 'shadow');
SELECT stage FROM ethaudit.set_stage('sec credit', 'v1', 'live');
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, value_column, window_size, reference_kind)
VALUES ('sec drift', 'sec credit', 'psi', 'sec.preds', 'ts', 'feature', '1 day', 'preceding');
INSERT INTO ethaudit.thresholds (check_id, warn, critical, resolve_after)
SELECT check_id, 0.1, 5, 1 FROM ethaudit.checks WHERE check_name = 'sec drift';
UPDATE ethaudit.thresholds SET warn = 0.2, notes = 'after the Q1 review'
WHERE check_id = (SELECT check_id FROM ethaudit.checks WHERE check_name = 'sec drift');
-- an update that changes nothing but time stamps records nothing
UPDATE ethaudit.checks SET enabled = true WHERE check_name = 'sec drift';
SELECT (ethaudit.store_baseline('sec credit', 'feature', 'sec.preds', 'ts', '2025-01-01', '2025-01-02')).baseline_id IS NOT NULL AS stored;
SELECT (ethaudit.store_baseline('sec credit', 'feature', 'sec.preds', 'ts', '2025-01-01', '2025-01-01 12:00')).baseline_id IS NOT NULL AS replaced;
UPDATE ethaudit.models SET description = 'audited since 2025' WHERE model = 'sec credit';
SELECT n, actor, by_login, model, version, event_type, origin, details FROM sec.events ORDER BY n;
-- the baseline is recorded by its SHA-256, which changes when it is replaced
SELECT count(DISTINCT details->'row'->>'baseline_sha256') + count(DISTINCT details->'changes'->'baseline_sha256'->>'new') AS fingerprints,
       bool_and(details->'row' ? 'baseline' IS NOT TRUE) AS no_raw_baseline
FROM ethaudit.audit_log WHERE seq > :mark AND event_type LIKE 'baseline_%';

-- ---------- alert state changes ----------
SELECT coalesce(max(seq), 0) AS mark FROM ethaudit.audit_log \gset
CREATE OR REPLACE VIEW sec.events AS
SELECT seq - :mark AS n, actor, login_role = session_user AS by_login, model, version, event_type, origin,
       sec.strip(details) AS details
FROM ethaudit.audit_log WHERE seq > :mark;
-- the second day drifts: a warning opens the alert, a repeat is no state
-- change; with a lower critical level the next run escalates
SELECT status FROM ethaudit.run_check((SELECT check_id FROM ethaudit.checks WHERE check_name = 'sec drift'), '2025-01-03 00:00+00', replay => false);
SELECT status FROM ethaudit.run_check((SELECT check_id FROM ethaudit.checks WHERE check_name = 'sec drift'), '2025-01-03 00:00+00', replay => false);
SELECT occurrences FROM ethaudit.alerts WHERE model = 'sec credit';
SELECT status FROM ethaudit.acknowledge_alert((SELECT max(alert_id) FROM ethaudit.alerts WHERE model = 'sec credit'), 'looking');
UPDATE ethaudit.thresholds SET critical = 0.5 WHERE check_id = (SELECT check_id FROM ethaudit.checks WHERE check_name = 'sec drift');
SELECT status FROM ethaudit.run_check((SELECT check_id FROM ethaudit.checks WHERE check_name = 'sec drift'), '2025-01-03 00:00+00', replay => false);
SELECT status FROM ethaudit.resolve_alert((SELECT max(alert_id) FROM ethaudit.alerts WHERE model = 'sec credit'), 'feature pipeline fixed');
SELECT n, actor, model, event_type, details FROM sec.events ORDER BY n;
-- deleting history is recorded, per model
DELETE FROM ethaudit.alert_events WHERE alert_id IN (SELECT alert_id FROM ethaudit.alerts WHERE model = 'sec credit');
DELETE FROM ethaudit.alerts WHERE model = 'sec credit';
SELECT n, model, event_type, details FROM sec.events WHERE event_type LIKE 'history_%' ORDER BY n;

-- ---------- who acted ----------
-- the actor is the role the session acts as, also inside the extension's
-- SECURITY DEFINER functions; login_role is the session user
CREATE ROLE regress_sec_admin_person NOLOGIN;
CREATE ROLE regress_sec_admins NOLOGIN;
GRANT regress_sec_admins TO regress_sec_admin_person;
SELECT role_kind, role_name FROM ethaudit.set_security_role('admin', 'regress_sec_admins');
SET ROLE regress_sec_admin_person;
UPDATE ethaudit.thresholds SET response_time = '4 hours' WHERE check_id = (SELECT check_id FROM ethaudit.checks WHERE check_name = 'sec drift');
SELECT ethaudit.record_event('model_review', 'sec credit', '{"outcome": "approved"}') IS NOT NULL AS recorded;
RESET ROLE;
SELECT actor, login_role = session_user AS login_is_session_user, event_type, origin, sec.strip(details) AS details
FROM ethaudit.audit_log WHERE seq > :mark AND actor = 'regress_sec_admin_person' ORDER BY seq;
SELECT ethaudit.session_role() = session_user AS outside_set_role;

-- ---------- events recorded by users: validation ----------
SELECT (ethaudit.record_event('model_review', 'sec credit', '{"note": "quarterly"}', 'v1'))::text ~ '^[0-9a-f-]{36}$' AS returns_event_id;
SELECT regress.error_of($$SELECT ethaudit.record_event(NULL, 'sec credit')$$);
SELECT regress.error_of($$SELECT ethaudit.record_event('Model Review', 'sec credit')$$);
SELECT regress.error_of($$SELECT ethaudit.record_event('threshold_changed', 'sec credit')$$);
SELECT regress.error_of($$SELECT ethaudit.record_event('decision', 'sec credit')$$);
SELECT regress.error_of($$SELECT ethaudit.record_event('model_review', 'sec credit', '[1, 2]')$$);
SELECT regress.error_of($$SELECT ethaudit.record_event('model_review', 'no such model')$$);
SELECT regress.error_of($$SELECT ethaudit.record_event('model_review', 'sec credit', '{}', 'v9')$$);
SELECT regress.error_of($$SELECT ethaudit.record_event('model_review', NULL, '{}', 'v1')$$);
SELECT regress.error_of($$SELECT ethaudit.record_event('model_review', 'sec credit', jsonb_build_object('blob', repeat('x', 1100000)))$$);
-- NULL details are an empty object; an event about no model
SELECT ethaudit.record_event('annual_review', NULL, NULL) IS NOT NULL AS recorded;
SELECT model, event_type, origin, details FROM ethaudit.audit_log WHERE event_type = 'annual_review';

-- ---------- append-only, even for a superuser ----------
SELECT regress.error_of($$UPDATE ethaudit.audit_log SET actor = 'someone else' WHERE seq = 1$$);
SELECT regress.error_of($$DELETE FROM ethaudit.audit_log WHERE seq = 1$$);
SELECT regress.error_of($$TRUNCATE ethaudit.audit_log$$);
SELECT regress.error_of($$INSERT INTO ethaudit.audit_log SELECT (sec.sample()).*$$);
SELECT regress.error_of($$TRUNCATE ethaudit.audit_checkpoints$$);
-- a superuser loading an event with its own correct hash (what a restore
-- does) is let through, and it is then for verify_audit_log() to judge
BEGIN;
INSERT INTO ethaudit.audit_log
SELECT (x).seq, (x).event_id, (x).logged_at, (x).actor, (x).login_role, (x).application_name, (x).model, (x).version,
       (x).event_type, (x).origin, (x).details, (x).prev_hash, sha256(ethaudit.audit_encoding(x))
FROM (SELECT ROW((SELECT max(seq) + 1 FROM ethaudit.audit_log), (sec.sample()).event_id, (sec.sample()).logged_at,
                 'alice', 'alice', NULL, 'credit', 'v1', 'decision', 'user', '{}'::jsonb,
                 decode(repeat('00', 32), 'hex'), NULL::bytea)::ethaudit.audit_log AS x) s;
SELECT valid, broken_seq = (SELECT max(seq) FROM ethaudit.audit_log) AS at_the_loaded_event,
       regexp_replace(problem, '\d+', 'N', 'g') AS problem
FROM ethaudit.verify_audit_log();
ROLLBACK;

-- ---------- verification ----------
SELECT valid, events_checked = (SELECT count(*) FROM ethaudit.audit_log) AS every_event,
       first_seq, last_seq = (SELECT max(seq) FROM ethaudit.audit_log) AS to_the_end,
       head_hash = (SELECT encode(row_hash, 'hex') FROM ethaudit.audit_log ORDER BY seq DESC LIMIT 1) AS head,
       checkpoints, broken_seq, problem
FROM ethaudit.verify_audit_log();
SELECT h.seq = (SELECT max(seq) FROM ethaudit.audit_log) AS head_is_last, length(h.row_hash) AS hex_digits,
       h.logged_at IS NOT NULL AS has_time
FROM ethaudit.audit_head() h;
SELECT seq AS head_seq, row_hash AS head_hash FROM ethaudit.audit_head() \gset
SELECT valid, problem FROM ethaudit.verify_audit_log(:head_seq, :'head_hash');
SELECT regress.error_of($$SELECT ethaudit.verify_audit_log(1, 'zz'' OR true --')$$);
SELECT regress.error_of($$SELECT ethaudit.verify_audit_log(1, NULL)$$);
SELECT regress.error_of(format('SELECT ethaudit.verify_audit_log(-1, %L)', repeat('0', 64)));

-- Tampering behind the extension's back: a superuser disables the guard.
-- Each case in a transaction that is rolled back.
-- 1. an event's content is edited
BEGIN;
ALTER TABLE ethaudit.audit_log DISABLE TRIGGER audit_log_guard;
UPDATE ethaudit.audit_log SET details = details || '{"outcome": "rejected"}' WHERE event_type = 'model_review' AND actor = 'regress_sec_admin_person';
SELECT valid, broken_seq - :mark AS broken_n, regexp_replace(problem, '\d+', 'N', 'g') AS problem FROM ethaudit.verify_audit_log();
-- 2. ... and its hash recomputed: the next event no longer links to it
UPDATE ethaudit.audit_log a SET row_hash = sha256(ethaudit.audit_encoding(a))
WHERE event_type = 'model_review' AND actor = 'regress_sec_admin_person';
SELECT valid, broken_seq - :mark AS broken_n, regexp_replace(problem, '\d+', 'N', 'g') AS problem FROM ethaudit.verify_audit_log();
ROLLBACK;
-- 3. an event in the middle is deleted
BEGIN;
ALTER TABLE ethaudit.audit_log DISABLE TRIGGER audit_log_guard;
DELETE FROM ethaudit.audit_log WHERE seq = :mark + 3;
SELECT valid, broken_seq - :mark AS broken_n, problem = format('events %s to %s are missing', :mark + 3, :mark + 3) AS names_the_gap
FROM ethaudit.verify_audit_log();
ROLLBACK;
-- 4. two events are swapped (their positions exchanged)
BEGIN;
ALTER TABLE ethaudit.audit_log DISABLE TRIGGER audit_log_guard;
UPDATE ethaudit.audit_log SET seq = seq + 1000000 WHERE seq IN (:mark + 4, :mark + 5);
UPDATE ethaudit.audit_log SET seq = CASE WHEN seq = :mark + 1000004 THEN :mark + 5 ELSE :mark + 4 END WHERE seq > 1000000;
SELECT valid, broken_seq - :mark AS broken_n, regexp_replace(problem, '\d+', 'N', 'g') AS problem FROM ethaudit.verify_audit_log();
ROLLBACK;
-- 5. the latest events are deleted: the remaining chain is intact, only the
-- exported head shows what is gone
BEGIN;
ALTER TABLE ethaudit.audit_log DISABLE TRIGGER audit_log_guard;
DELETE FROM ethaudit.audit_log WHERE seq > :head_seq - 2;
SELECT valid, problem FROM ethaudit.verify_audit_log();
SELECT valid, broken_seq = :head_seq - 1 AS at_the_cut, regexp_replace(problem, '\d+', 'N', 'g') AS problem
FROM ethaudit.verify_audit_log(:head_seq, :'head_hash');
ROLLBACK;
-- 6. the latest event rewritten and its hash recomputed (a superuser can do
-- that to any tail of the chain): internally valid, but not the chain whose
-- head was exported
BEGIN;
ALTER TABLE ethaudit.audit_log DISABLE TRIGGER audit_log_guard;
UPDATE ethaudit.audit_log SET details = details || '{"rewritten": true}' WHERE seq = :head_seq;
UPDATE ethaudit.audit_log a SET row_hash = sha256(ethaudit.audit_encoding(a)) WHERE seq = :head_seq;
SELECT valid, problem FROM ethaudit.verify_audit_log();
SELECT valid, broken_seq = :head_seq AS at_the_head, regexp_replace(problem, '\d+', 'N', 'g') AS problem
FROM ethaudit.verify_audit_log(:head_seq, :'head_hash');
ROLLBACK;
-- 7. an event recorded while the sealing trigger was disabled never reaches the chain
BEGIN;
ALTER TABLE ethaudit.audit_pending DISABLE TRIGGER audit_seal;
SELECT ethaudit.record_event('model_review', 'sec credit') IS NOT NULL AS recorded;
ALTER TABLE ethaudit.audit_pending ENABLE ALWAYS TRIGGER audit_seal;
SELECT valid, problem FROM ethaudit.verify_audit_log();   -- this transaction's own events are not counted
COMMIT;
SELECT valid, problem FROM ethaudit.verify_audit_log();
DELETE FROM ethaudit.audit_pending;
-- after every rollback: intact
SELECT valid, problem FROM ethaudit.verify_audit_log(:head_seq, :'head_hash');

-- ---------- a restore records nothing ----------
-- pg_restore and plain dumps run as a superuser with row_security = off:
-- the rows they load already have their events in the restored log
SELECT max(seq) AS mark FROM ethaudit.audit_log \gset
SET row_security = off;
INSERT INTO ethaudit.models (model) VALUES ('sec restored');
RESET row_security;
SELECT count(*) AS events_while_restoring FROM ethaudit.audit_log WHERE seq > :mark;
UPDATE ethaudit.models SET description = 'changed after the restore' WHERE model = 'sec restored';
SELECT event_type, model FROM ethaudit.audit_log WHERE seq > :mark;

-- ---------- keys ----------
SELECT regress.error_of($$SELECT ethaudit.rotate_key(NULL)$$);
SELECT regress.error_of($$SELECT ethaudit.rotate_key('signing''; DROP TABLE sec.preds; --')$$);
SELECT ethaudit.rotate_key('pseudonym') AS first_pseudonym_key;
SELECT ethaudit.rotate_key('pseudonym') AS second_pseudonym_key;
SELECT key_id, purpose, octet_length(secret) AS octets, retired_at IS NOT NULL AS retired FROM ethaudit.keys ORDER BY key_id;
SELECT regress.error_of($$UPDATE ethaudit.keys SET secret = sha256('guessable') WHERE key_id = 2$$);
SELECT regress.error_of($$UPDATE ethaudit.keys SET retired_at = NULL WHERE key_id = 1$$);
SELECT regress.error_of($$DELETE FROM ethaudit.keys WHERE key_id = 2$$);
SELECT regress.error_of($$TRUNCATE ethaudit.keys$$);
-- key events never carry the key
SELECT event_type, sec.strip(details - 'row') AS details, details->'row' ? 'secret' AS has_secret,
       details->'changes' ? 'retired_at' AS retired
FROM ethaudit.audit_log WHERE event_type LIKE 'key_%' ORDER BY seq;
-- a retired pseudonym key can be destroyed (old pseudonyms become unlinkable)
DELETE FROM ethaudit.keys WHERE key_id = 1;
SELECT event_type, details->>'key_id' AS key_id FROM ethaudit.audit_log WHERE event_type = 'key_deleted';

DROP OWNED BY regress_sec_admins;
DROP ROLE regress_sec_admin_person, regress_sec_admins;
DELETE FROM ethaudit.security_roles;
SELECT valid, problem FROM ethaudit.verify_audit_log();
