-- Security: privacy by design and retention.  Masking of free text, keyed
-- pseudonyms and their rotation, privacy policies applied to recorded
-- decisions, retention policies and apply_retention(), which shortens the
-- audit log behind signed checkpoints that verify_audit_log() checks.
SET client_min_messages = warning;

-- ---------- masking free text ----------
SELECT t AS input, ethaudit.mask_text(t) AS masked
FROM (VALUES
    ('Call me on +44 20 7946 0958 or write to jane.doe@example.co.uk'),
    ('Card 4111 1111 1111 1111, IBAN GB82 WEST 1234 5698 7654 32, from 192.168.10.7'),
    ('Born 1984-03-12, customer no. 12345678, see https://crm.example.com/c/12345?token=abc'),
    ('Income 52,000 in 2024, 3 children, score 0.82, ref 12345'),
    ('O''Brien said "no"; DROP TABLE sec.preds; --'),
    ('')
) v(t);
SELECT ethaudit.mask_text(NULL) IS NULL AS null_stays_null;

-- ---------- pseudonyms ----------
SELECT ethaudit.pseudonymise('customer-42') ~ '^ps[0-9]+:[0-9a-f]{64}$' AS format,
       ethaudit.pseudonymise('customer-42') = ethaudit.pseudonymise('customer-42') AS deterministic,
       ethaudit.pseudonymise('customer-42') <> ethaudit.pseudonymise('customer-43') AS distinct_values,
       ethaudit.pseudonymise(NULL) IS NULL AS null_stays_null,
       ethaudit.pseudonymise('customer-42') = 'ps' || k.key_id || ':' || encode(ethaudit.hmac_sha256(k.secret, 'customer-42'), 'hex')
           AS is_the_hmac_under_the_active_key,
       ethaudit.pseudonymise('O''Brien; DROP TABLE sec.preds; --') ~ '^ps[0-9]+:[0-9a-f]{64}$' AS any_text
FROM ethaudit.keys k WHERE k.purpose = 'pseudonym' AND k.retired_at IS NULL;
-- rotation: new pseudonyms, the old key still re-derives the old ones
SELECT ethaudit.pseudonymise('customer-42') AS before, key_id AS old_key
FROM ethaudit.keys WHERE purpose = 'pseudonym' AND retired_at IS NULL \gset
SELECT ethaudit.rotate_key('pseudonym') AS new_key \gset
SELECT ethaudit.pseudonymise('customer-42') <> :'before' AS changes_with_the_key,
       ethaudit.pseudonymise('customer-42') LIKE 'ps' || :new_key || ':%' AS names_the_new_key,
       ethaudit.pseudonymise('customer-42', :old_key) = :'before' AS old_key_re_derives,
       ethaudit.pseudonymise(NULL, :old_key) IS NULL AS null_stays_null;
SELECT regress.error_of($$SELECT ethaudit.pseudonymise('x', 999)$$);
SELECT regress.error_of($$SELECT ethaudit.pseudonymise('x', NULL)$$);

-- ---------- privacy policies ----------
SELECT coalesce(max(seq), 0) AS mark FROM ethaudit.audit_log \gset
INSERT INTO ethaudit.models (model, owner_role) VALUES ('sec loans', CURRENT_USER);
INSERT INTO ethaudit.model_versions (model, version, stage) VALUES ('sec loans', 'v3', 'live'), ('sec loans', 'v2', 'retired');
INSERT INTO ethaudit.privacy_policies (model, field, action, note) VALUES
    ('sec loans', 'income', 'keep', 'needed to explain the decision'),
    ('sec loans', 'age', 'keep', NULL),
    ('sec loans', 'customer_id', 'pseudonymise', 'links the decisions about one customer'),
    ('sec loans', 'name', 'drop', 'not needed for the audit'),
    ('sec loans', 'x"; DROP TABLE sec.preds; --', 'keep', 'an odd field name is only a name');
SELECT regress.error_of($$INSERT INTO ethaudit.privacy_policies (model, field, action) VALUES ('sec loans', 'email', 'hash')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.privacy_policies (model, field, action) VALUES ('sec loans', ' email', 'drop')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.privacy_policies (model, field, action) VALUES ('sec loans', '', 'drop')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.privacy_policies (model, field, action) VALUES ('sec loans', 'email', NULL)$$);
SELECT regress.error_of($$INSERT INTO ethaudit.privacy_policies (model, field, action) VALUES ('nobody''s model', 'email', 'drop')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.privacy_policies (model, field, action) VALUES ('sec loans', 'age', 'drop')$$);

-- a decision: kept, pseudonymised and dropped fields; unlisted fields are
-- dropped; the subject is always pseudonymised, the note masked
SELECT ethaudit.record_decision(
    'sec loans', 'declined',
    inputs => '{"income": 52000, "age": 41, "customer_id": "C-1001", "name": "Jane Doe", "postcode": "SW1A 1AA",
                "x\"; DROP TABLE sec.preds; --": 1}',
    explanation => '{"income": -0.42, "age": 0.08}',
    controls => '{human_review,four_eyes}', version => 'v3', subject => 'C-1001',
    note => 'Customer jane.doe@example.com called from 020 7946 0958') AS decision_id \gset
SELECT event_type, model, version, origin, actor = session_user AS by_me,
       regexp_replace(details::text, 'ps[0-9]+:[0-9a-f]{64}', 'ps<key>:<hmac>', 'g') AS details
FROM ethaudit.audit_log WHERE event_id = :'decision_id';
SELECT details->'inputs'->>'customer_id' = ethaudit.pseudonymise('C-1001') AS input_pseudonym,
       details->>'subject' = ethaudit.pseudonymise('C-1001') AS subject_links_to_it,
       (details->>'pseudonym_key')::int = :new_key AS names_its_key
FROM ethaudit.audit_log WHERE event_id = :'decision_id';
-- "*" sets the action of every unlisted field; a non-string value is
-- pseudonymised as its JSON text, a JSON null stays null
INSERT INTO ethaudit.privacy_policies (model, field, action) VALUES ('sec loans', '*', 'pseudonymise');
SELECT ethaudit.record_decision('sec loans', 'approved', '{"postcode": "SW1A 1AA", "account": {"bank": 7}, "phone": null}',
                                version => 'v2') AS decision_id \gset
SELECT details->>'stage' AS stage, details->'pseudonymised_fields' AS pseudonymised,
       details->'inputs'->>'account' = ethaudit.pseudonymise('{"bank": 7}') AS object_as_json_text,
       details->'inputs'->'phone' = 'null'::jsonb AS null_kept_as_null
FROM ethaudit.audit_log WHERE event_id = :'decision_id';
-- no inputs at all
SELECT details - 'pseudonym_key' AS details FROM ethaudit.audit_log
WHERE event_id = ethaudit.record_decision('sec loans', 'referred');
SELECT regress.error_of($$SELECT ethaudit.record_decision(NULL, 'approved')$$);
SELECT regress.error_of($$SELECT ethaudit.record_decision('sec loans', NULL)$$);
SELECT regress.error_of($$SELECT ethaudit.record_decision('sec loans', '   ')$$);
SELECT regress.error_of($$SELECT ethaudit.record_decision('sec loans', repeat('x', 201))$$);
SELECT regress.error_of($$SELECT ethaudit.record_decision('sec loans', 'approved', '["income", 1]')$$);
SELECT regress.error_of($$SELECT ethaudit.record_decision('sec loans', 'approved', controls => ARRAY['human_review', NULL])$$);
SELECT regress.error_of($$SELECT ethaudit.record_decision('sec loans', 'approved', controls => ARRAY[' '])$$);
SELECT regress.error_of($$SELECT ethaudit.record_decision('sec loans''; DROP TABLE sec.preds; --', 'approved')$$);
SELECT regress.error_of($$SELECT ethaudit.record_decision('sec loans', 'approved', version => 'v9')$$);
-- policy changes are in the audit log
UPDATE ethaudit.privacy_policies SET action = 'pseudonymise' WHERE model = 'sec loans' AND field = 'age';
DELETE FROM ethaudit.privacy_policies WHERE model = 'sec loans' AND field = 'name';
SELECT event_type, model, details->'field' AS field, details->'changes' AS changes, details->'row'->'action' AS action
FROM ethaudit.audit_log WHERE seq > :mark AND event_type LIKE 'privacy_policy_%' ORDER BY seq;

-- ---------- retention policies ----------
CREATE TABLE sec.raw_inputs (id bigserial PRIMARY KEY, received timestamptz NOT NULL, payload text);
CREATE TABLE sec.daily (day date, n integer);
CREATE TABLE sec.local_times (at timestamp, n integer);
CREATE TABLE sec."odd; DROP TABLE sec.preds; --" (ts timestamptz);
CREATE VIEW sec.raw_view AS SELECT * FROM sec.raw_inputs;
INSERT INTO sec.raw_inputs (received, payload) SELECT now() - i * interval '1 day' - interval '1 minute', 'row ' || i
FROM generate_series(0, 9) i;
INSERT INTO sec.daily SELECT (now() AT TIME ZONE 'UTC')::date - i, i FROM generate_series(0, 9) i;
INSERT INTO sec.local_times SELECT (now() AT TIME ZONE 'UTC') - i * interval '1 day' - interval '1 minute', i
FROM generate_series(0, 9) i;
INSERT INTO sec."odd; DROP TABLE sec.preds; --" SELECT now() - i * interval '1 day' FROM generate_series(0, 9) i;

SELECT regress.error_of($$INSERT INTO ethaudit.retention_policies (table_name, time_column, keep) VALUES ('raw_inputs', 'received', '5 days')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.retention_policies (table_name, time_column, keep) VALUES ('sec.nope', 'received', '5 days')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.retention_policies (table_name, time_column, keep) VALUES ('sec.raw_view', 'received', '5 days')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.retention_policies (table_name, time_column, keep) VALUES ('pg_catalog.pg_class', 'relname', '5 days')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.retention_policies (table_name, time_column, keep) VALUES ('ethaudit.checks', 'created_at', '5 days')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.retention_policies (table_name, time_column, keep) VALUES ('ethaudit.audit_log', 'seq', '5 days')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.retention_policies (table_name, time_column, keep) VALUES ('sec.raw_inputs', 'nope', '5 days')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.retention_policies (table_name, time_column, keep) VALUES ('sec.raw_inputs', 'payload', '5 days')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.retention_policies (table_name, time_column, keep) VALUES ('sec.raw_inputs', 'received', '0')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.retention_policies (table_name, time_column, keep) VALUES ('sec.raw_inputs', 'received', '-1 day')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.retention_policies (table_name, time_column, keep) VALUES ('sec.raw_inputs', 'received', NULL)$$);
-- injection attempts through the table and column names
SELECT regress.error_of($$INSERT INTO ethaudit.retention_policies (table_name, time_column, keep) VALUES ('sec.raw_inputs; DROP TABLE sec.preds', 'received', '5 days')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.retention_policies (table_name, time_column, keep) VALUES ('sec.raw_inputs WHERE true; --', 'received', '5 days')$$);
SELECT regress.error_of($$INSERT INTO ethaudit.retention_policies (table_name, time_column, keep) VALUES ('sec.raw_inputs', 'received < now(); DROP TABLE sec.preds; --', '5 days')$$);

INSERT INTO ethaudit.retention_policies (table_name, time_column, keep, note) VALUES
    ('sec.raw_inputs', 'received', '5 days', 'raw inputs: purpose ends after five days'),
    ('sec.daily', 'day', '5 days', NULL),
    ('sec.local_times', 'at', '5 days', 'timestamp without time zone: read as UTC'),
    ('sec."odd; DROP TABLE sec.preds; --"', 'ts', '5 days', NULL);
INSERT INTO ethaudit.retention_policies (table_name, time_column, keep, enabled) VALUES ('sec.preds', 'ts', '1 day', false);
SELECT table_name, time_column, keep, enabled FROM ethaudit.retention_policies ORDER BY table_name;

-- a dry run counts and records nothing
SELECT coalesce(max(seq), 0) AS mark FROM ethaudit.audit_log \gset
SELECT table_name, time_column, keep, deleted FROM ethaudit.apply_retention(dry_run => true) ORDER BY table_name;
SELECT (SELECT count(*) FROM sec.raw_inputs) AS raw_inputs, (SELECT count(*) FROM sec.daily) AS daily,
       (SELECT count(*) FROM ethaudit.audit_log WHERE seq > :mark) AS events;
SELECT table_name, time_column, keep, deleted FROM ethaudit.apply_retention() ORDER BY table_name;
SELECT (SELECT string_agg(payload, ', ' ORDER BY id) FROM sec.raw_inputs) AS raw_inputs_kept,
       (SELECT string_agg(n::text, ',' ORDER BY n) FROM sec.daily) AS days_kept,
       (SELECT string_agg(n::text, ',' ORDER BY n) FROM sec.local_times) AS local_times_kept,
       (SELECT count(*) FROM sec."odd; DROP TABLE sec.preds; --") AS odd_kept,
       (SELECT count(*) FROM sec.preds) AS preds_untouched;
SELECT event_type, model, jsonb_path_query_array(details, '$.reported_by_caller[*] ? (@.deleted > 0).table') AS reported,
       details->'tables' AS own_tables, details ? 'checkpoint' AS checkpoint
FROM ethaudit.audit_log WHERE seq > :mark;
-- a table that can no longer be purged is reported, the others go on
CREATE TABLE sec.dropped_later (ts timestamptz);
INSERT INTO ethaudit.retention_policies (table_name, time_column, keep) VALUES ('sec.dropped_later', 'ts', '1 day');
DROP TABLE sec.dropped_later;
SELECT table_name, deleted FROM ethaudit.apply_retention() ORDER BY table_name;
DELETE FROM ethaudit.retention_policies WHERE table_name = 'sec.dropped_later';
UPDATE ethaudit.retention_policies SET keep = '30 days' WHERE table_name = 'sec.daily';
SELECT event_type, details->'table_name' AS table_name, details->'changes'->'keep' AS keep
FROM ethaudit.audit_log WHERE seq > :mark AND event_type LIKE 'retention_policy_%' ORDER BY seq;
SELECT regress.error_of($$SELECT ethaudit.apply_retention(NULL)$$);

-- ---------- retention of ethaudit's history ----------
-- everything older than a millisecond goes, but open alerts, their events
-- and the first and latest result of every alert kept.  One alert is
-- resolved, one stays open.
SELECT status FROM ethaudit.run_check((SELECT check_id FROM ethaudit.checks WHERE check_name = 'sec drift'), '2025-01-03 00:00+00', replay => false);
SELECT status FROM ethaudit.resolve_alert((SELECT max(alert_id) FROM ethaudit.alerts WHERE model = 'sec credit'), 'retrained');
SELECT status FROM ethaudit.run_check((SELECT check_id FROM ethaudit.checks WHERE check_name = 'sec drift'), '2025-01-03 00:00+00', replay => false);
INSERT INTO ethaudit.retention_policies (table_name, time_column, keep) VALUES
    ('ethaudit.results', 'evaluated_at', '1 millisecond'), ('ethaudit.runs', 'started_at', '1 millisecond'),
    ('ethaudit.alerts', 'resolved_at', '1 millisecond'), ('ethaudit.alert_events', 'at', '1 millisecond');
SELECT count(*) FILTER (WHERE status <> 'resolved') AS open_alerts_before FROM ethaudit.alerts \gset
SELECT max(seq) AS mark FROM ethaudit.audit_log \gset
SELECT pg_sleep(0.01);
SELECT table_name, time_column, deleted > 0 AS deleted_some FROM ethaudit.apply_retention()
WHERE table_name LIKE 'ethaudit.%' ORDER BY table_name;
SELECT count(*) FILTER (WHERE status = 'resolved') AS resolved_left, count(*) FILTER (WHERE status <> 'resolved') = :open_alerts_before AS open_kept
FROM ethaudit.alerts;
SELECT bool_and(EXISTS (SELECT 1 FROM ethaudit.alerts a WHERE r.result_id IN (a.first_result_id, a.last_result_id))) AS results_left_belong_to_alerts
FROM ethaudit.results r;
SELECT count(*) AS events_of_resolved_alerts FROM ethaudit.alert_events e JOIN ethaudit.alerts a USING (alert_id) WHERE a.status = 'resolved';
-- the deletions are in the audit log, per table and model
SELECT event_type, details->>'table' AS table_name, count(*) AS events FROM ethaudit.audit_log
WHERE seq > :mark AND event_type IN ('history_deleted', 'retention_applied') GROUP BY 1, 2 ORDER BY 1, 2;
DELETE FROM ethaudit.retention_policies WHERE table_name LIKE 'ethaudit.%';

-- ---------- retention of the audit log: signed checkpoints ----------
SELECT count(*) AS events_before FROM ethaudit.audit_log \gset
SELECT max(seq) AS head_before FROM ethaudit.audit_log \gset
INSERT INTO ethaudit.retention_policies (table_name, time_column, keep) VALUES ('ethaudit.audit_log', 'logged_at', '1 millisecond');
SELECT pg_sleep(0.01);
SELECT deleted = :events_before + 1 AS counts_every_old_event FROM ethaudit.apply_retention(true) WHERE table_name = 'ethaudit.audit_log';
SELECT count(*) = :events_before + 1 AS dry_run_deleted_nothing FROM ethaudit.audit_log;   -- but the policy's event
SELECT pg_sleep(0.01);
SELECT deleted = :events_before + 1 AS deleted_every_old_event FROM ethaudit.apply_retention() WHERE table_name = 'ethaudit.audit_log';
SELECT checkpoint_id, first_seq, last_seq = :head_before + 1 AS up_to_the_old_head, prev_signature IS NULL AS first_checkpoint,
       key_id = (SELECT key_id FROM ethaudit.keys WHERE purpose = 'checkpoint' AND retired_at IS NULL) AS active_key,
       last_hash = (SELECT prev_hash FROM ethaudit.audit_log ORDER BY seq LIMIT 1) AS remaining_chain_starts_here
FROM ethaudit.audit_checkpoints;
SELECT min(seq) = :head_before + 2 AS log_starts_after_it, array_agg(DISTINCT event_type ORDER BY event_type) AS events_kept
FROM ethaudit.audit_log;
SELECT valid, checkpoints, first_seq = :head_before + 2 AS first_seq_after_checkpoint, problem FROM ethaudit.verify_audit_log();
SELECT details->'checkpoint'->>'checkpoint_id' AS checkpoint_id,
       details->'checkpoint'->>'signature' = (SELECT encode(signature, 'hex') FROM ethaudit.audit_checkpoints WHERE checkpoint_id = 1) AS signature_recorded,
       details->'tables'->0->>'deleted' = (:events_before + 1)::text AS count_recorded
FROM ethaudit.audit_log WHERE event_type = 'retention_applied';
-- a second run: the checkpoints chain
SELECT pg_sleep(0.01);
SELECT deleted > 0 AS deleted_again FROM ethaudit.apply_retention() WHERE table_name = 'ethaudit.audit_log';
SELECT checkpoint_id, first_seq = lag(last_seq) OVER (ORDER BY checkpoint_id) + 1 AS contiguous,
       prev_signature = lag(signature) OVER (ORDER BY checkpoint_id) AS chained
FROM ethaudit.audit_checkpoints ORDER BY checkpoint_id;
SELECT valid, checkpoints, problem FROM ethaudit.verify_audit_log();
-- an exported head that retention has since deleted is vouched for by the checkpoint
SELECT checkpoint_id, last_seq, encode(last_hash, 'hex') AS last_hash FROM ethaudit.audit_checkpoints WHERE checkpoint_id = 2 \gset
SELECT valid, problem FROM ethaudit.verify_audit_log(:last_seq, :'last_hash');
SELECT valid, regexp_replace(problem, '\d+', 'N', 'g') AS problem FROM ethaudit.verify_audit_log(:last_seq, repeat('ab', 32));

-- tampering with the checkpoints (as a superuser, guard disabled)
BEGIN;
ALTER TABLE ethaudit.audit_checkpoints DISABLE TRIGGER audit_checkpoint_guard;
UPDATE ethaudit.audit_checkpoints SET last_seq = last_seq - 1 WHERE checkpoint_id = 2;
SELECT valid, regexp_replace(problem, '\d+', 'N', 'g') AS problem FROM ethaudit.verify_audit_log();
ROLLBACK;
BEGIN;
ALTER TABLE ethaudit.audit_checkpoints DISABLE TRIGGER audit_checkpoint_guard;
DELETE FROM ethaudit.audit_checkpoints WHERE checkpoint_id = 1;
SELECT valid, problem FROM ethaudit.verify_audit_log();
ROLLBACK;
-- retention does not hide a broken chain behind a checkpoint
BEGIN;
ALTER TABLE ethaudit.audit_log DISABLE TRIGGER audit_log_guard;
UPDATE ethaudit.audit_log SET details = '{"forged": true}' WHERE seq = (SELECT min(seq) FROM ethaudit.audit_log);
ALTER TABLE ethaudit.audit_log ENABLE ALWAYS TRIGGER audit_log_guard;
SET client_min_messages = error;
SELECT table_name, deleted FROM ethaudit.apply_retention() WHERE table_name = 'ethaudit.audit_log';
RESET client_min_messages;
SELECT max(checkpoint_id) AS checkpoints FROM ethaudit.audit_checkpoints;
SELECT regexp_replace(details->'tables'->0->>'problem', '\d+', 'N', 'g') AS recorded_problem
FROM ethaudit.audit_pending WHERE event_type = 'retention_applied';
ROLLBACK;
-- the checkpoints are append-only too
SELECT regress.error_of($$UPDATE ethaudit.audit_checkpoints SET cutoff = now()$$);
SELECT regress.error_of($$DELETE FROM ethaudit.audit_checkpoints$$);
-- a checkpoint key does not make pseudonyms
SELECT regress.error_of(format('SELECT ethaudit.pseudonymise(%L, %s)', 'x',
                               (SELECT min(key_id) FROM ethaudit.keys WHERE purpose = 'checkpoint')));
-- the checkpoint key cannot be deleted, even retired
SELECT ethaudit.rotate_key('checkpoint') > 0 AS rotated;
SELECT regress.error_of(format('DELETE FROM ethaudit.keys WHERE key_id = %s',
                               (SELECT min(key_id) FROM ethaudit.keys WHERE purpose = 'checkpoint')));
-- with the key rotated, the next checkpoint uses the new key and all verify
SELECT pg_sleep(0.01);
SELECT deleted > 0 AS deleted_again FROM ethaudit.apply_retention() WHERE table_name = 'ethaudit.audit_log';
SELECT count(DISTINCT key_id) AS checkpoint_keys FROM ethaudit.audit_checkpoints;
SELECT valid, checkpoints, problem FROM ethaudit.verify_audit_log();
DELETE FROM ethaudit.retention_policies;
