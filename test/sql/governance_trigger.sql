-- Governance: the prediction-log trigger.  Each inserted batch is checked
-- for NULLs, bad probabilities and unseen categories, and a sliding-window
-- metric is kept up to date; the insert never fails because of a check.
SET client_min_messages = warning;
SET extra_float_digits = 0;
DELETE FROM ethaudit.alert_events;
DELETE FROM ethaudit.alerts;
DELETE FROM ethaudit.results;
DELETE FROM ethaudit.runs;
ALTER SEQUENCE ethaudit.runs_run_id_seq RESTART;

CREATE TABLE gov.stream (
    id      bigserial PRIMARY KEY,
    ts      timestamptz NOT NULL,
    version text,
    score   float8,
    label   boolean,
    cat     text,
    amount  float8
);
CREATE INDEX ON gov.stream (ts);
-- n rows from time t0, one a minute; every k-th row gets the odd values
CREATE FUNCTION gov.stream_batch(t0 timestamptz, n integer, k integer DEFAULT 0,
                                 odd_score float8 DEFAULT NULL, odd_cat text DEFAULT 'a')
RETURNS TABLE (ts timestamptz, version text, score float8, label boolean, cat text, amount float8)
LANGUAGE sql AS $$
    SELECT t0 + i * interval '1 minute', 'v1',
           CASE WHEN k > 0 AND i % k = 0 THEN odd_score ELSE (i % 10) / 10.0 END,
           i % 3 = 0,
           CASE WHEN k > 0 AND i % k = 0 THEN odd_cat WHEN i % 2 = 0 THEN 'a' ELSE 'b' END,
           i::float8
    FROM generate_series(0, n - 1) i
$$;
\set cols '(ts, version, score, label, cat, amount)'
-- the results of the latest run, one line per check (a window that ends
-- at the time of the insert shows "now")
CREATE VIEW gov.last_batch AS
SELECT c.check_name, r.status, round(r.value::numeric, 6) AS value, r.n_current, r.n_reference,
       r.window_start, CASE WHEN r.window_end > '2025-01-01' THEN 'now' ELSE r.window_end::text END AS window_end,
       r.error_sqlstate
FROM ethaudit.results r JOIN ethaudit.checks c USING (check_id)
WHERE r.run_id = (SELECT max(run_id) FROM ethaudit.runs)
ORDER BY c.check_id;

INSERT INTO ethaudit.models (model, owner_role) VALUES ('stream', CURRENT_USER);
INSERT INTO ethaudit.model_versions (model, version, stage) VALUES ('stream', 'v1', 'live');

-- attach: the checks and their default thresholds are created
SELECT check_name, metric, mode, value_column, probability_column, required_columns, reference_kind, reference_size
FROM ethaudit.monitor_table('gov.stream', 'stream', 'ts', required_columns => '{ts,score,cat}',
                            probability_column => 'score', category_columns => '{cat}',
                            reference_size => '1 hour');
SELECT c.check_name, t.warn, t.critical, t.direction FROM ethaudit.thresholds t JOIN ethaudit.checks c USING (check_id)
WHERE c.model = 'stream' ORDER BY c.check_id;
SELECT * FROM ethaudit.monitored_tables;
SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = 'gov.stream'::regclass;

-- a clean first batch: nothing to see; no reference yet for the categories
INSERT INTO gov.stream :cols SELECT * FROM gov.stream_batch('2024-06-01 00:00+00', 120);
SELECT * FROM gov.last_batch;
SELECT kind, source, batch_rows, checks, ok, warning, critical, insufficient_data, error, skipped
FROM ethaudit.runs ORDER BY run_id DESC LIMIT 1;
-- a second clean batch: the first hour is now the reference of the categories
INSERT INTO gov.stream :cols SELECT * FROM gov.stream_batch('2024-06-01 02:00+00', 60);
SELECT * FROM gov.last_batch;
-- every 10th row bad: a NULL score (a NULL in a required column) ...
INSERT INTO gov.stream :cols SELECT * FROM gov.stream_batch('2024-06-01 03:00+00', 60, 10, NULL, 'a');
SELECT * FROM gov.last_batch;
-- ... a probability out of range, NaN, and a category never seen
INSERT INTO gov.stream :cols SELECT * FROM gov.stream_batch('2024-06-01 04:00+00', 60, 10, 1.5, 'zz');
SELECT * FROM gov.last_batch;
INSERT INTO gov.stream :cols SELECT * FROM gov.stream_batch('2024-06-01 05:00+00', 60, 20, 'NaN', 'a');
SELECT * FROM gov.last_batch;
SELECT c.check_name, a.status, a.severity, a.occurrences, a.worst_value
FROM ethaudit.alerts a JOIN ethaudit.checks c USING (check_id) ORDER BY a.alert_id;
-- every row was kept
SELECT count(*) AS rows_kept FROM gov.stream;

-- stored baseline instead of a window for the categories, and a check that
-- fails on the batch (ece refuses a probability of 1.5): the shared scan
-- fails, each check is evaluated on its own, the failure is recorded
SELECT column_name, n FROM ethaudit.store_baseline('stream', 'cat', 'gov.stream', 'ts',
                                                   '2024-06-01 00:00+00', '2024-06-01 03:00+00');
UPDATE ethaudit.checks SET reference_kind = 'baseline', reference_size = NULL,
       baseline_id = (SELECT baseline_id FROM ethaudit.baselines WHERE model = 'stream')
WHERE check_name = 'gov.stream: unseen_share of cat';
INSERT INTO ethaudit.checks (check_name, model, metric, mode, source, time_column, label_column, probability_column, min_samples)
VALUES ('stream ece per batch', 'stream', 'ece', 'insert_batch', 'gov.stream', 'ts', 'label', 'score', 1);
INSERT INTO gov.stream :cols SELECT * FROM gov.stream_batch('2024-06-01 06:00+00', 60, 30, 1.5, 'new');
SELECT * FROM gov.last_batch;
SELECT message FROM ethaudit.results WHERE status = 'error';
SELECT count(*) AS rows_kept FROM gov.stream;

-- a baseline with more than 10000 categories is looked up in the table,
-- not inlined in the query: same answers
CREATE TABLE gov.wide (ts timestamptz NOT NULL, code text);
INSERT INTO gov.wide SELECT '2024-06-01'::timestamptz, 'code' || i FROM generate_series(1, 10001) i;
SELECT column_name, n FROM ethaudit.store_baseline('stream', 'code', 'gov.wide', 'ts', '2024-06-01', '2024-06-02');
INSERT INTO ethaudit.checks (check_name, model, metric, mode, source, time_column, value_column, reference_kind, baseline_id, min_samples)
SELECT 'wide unseen', 'stream', 'unseen_share', 'insert_batch', 'gov.wide', 'ts', 'code', 'baseline', baseline_id, 1
FROM ethaudit.baselines WHERE column_name = 'code';
SELECT ethaudit_internal.check_query(c, 'gov.wide', 'ethaudit_batch') LIKE '%IN (SELECT unnest(ethaudit.baseline_categories%' AS looked_up_in_the_table
FROM ethaudit.checks c WHERE check_name = 'wide unseen';
CREATE TRIGGER ethaudit_monitor AFTER INSERT ON gov.wide REFERENCING NEW TABLE AS ethaudit_batch
    FOR EACH STATEMENT EXECUTE FUNCTION ethaudit_internal.monitor_batch();
INSERT INTO gov.wide SELECT '2024-06-02'::timestamptz, CASE WHEN i <= 2 THEN 'new' || i ELSE 'code' || i END
FROM generate_series(1, 10) i;
SELECT * FROM gov.last_batch;
UPDATE ethaudit.checks SET enabled = false WHERE check_name = 'wide unseen';
DROP TABLE gov.wide;

-- a sliding window: ECE over the latest 60 predictions after each batch,
-- at most once a minute
UPDATE ethaudit.checks SET enabled = false WHERE check_name = 'stream ece per batch';
INSERT INTO ethaudit.checks (check_name, model, metric, mode, source, time_column, label_column, probability_column,
                             window_rows, min_interval, min_samples)
VALUES ('stream ece last 60', 'stream', 'ece', 'insert_window', 'gov.stream', 'ts', 'label', 'score', 60, '1 minute', 50);
INSERT INTO gov.stream :cols SELECT * FROM gov.stream_batch('2024-06-01 07:00+00', 60);
SELECT * FROM gov.last_batch;
SELECT regress.near(value, (SELECT ethaudit.ece(label, score) FROM
           (SELECT * FROM gov.stream ORDER BY ts DESC LIMIT 60) x)) AS same_as_direct_call
FROM ethaudit.results WHERE check_id = (SELECT check_id FROM ethaudit.checks WHERE check_name = 'stream ece last 60');
INSERT INTO gov.stream :cols SELECT * FROM gov.stream_batch('2024-06-01 08:00+00', 60);
SELECT checks, ok, skipped FROM ethaudit.runs ORDER BY run_id DESC LIMIT 1;

-- a check pinned to a version has its own scan; version v2 rows are not its business
INSERT INTO ethaudit.model_versions (model, version, stage) VALUES ('stream', 'v2', 'canary');
INSERT INTO ethaudit.checks (check_name, model, metric, mode, source, time_column, version, version_column,
                             probability_column, min_samples)
VALUES ('stream v2 probabilities', 'stream', 'invalid_probability_share', 'insert_batch', 'gov.stream', 'ts',
        'v2', 'version', 'score', 1);
INSERT INTO gov.stream :cols SELECT * FROM gov.stream_batch('2024-06-01 09:00+00', 60, 10, 7, 'a');
SELECT * FROM gov.last_batch;

-- COPY is checked like INSERT; an empty insert is not a batch
COPY gov.stream (ts, version, score, label, cat, amount) FROM stdin;
2024-06-01 10:00:00+00	v2	0.5	t	a	1
2024-06-01 10:01:00+00	v2	2	f	b	2
\.
SELECT * FROM gov.last_batch;
SELECT count(*) AS runs FROM ethaudit.runs;
INSERT INTO gov.stream :cols SELECT * FROM gov.stream_batch('2024-06-01 11:00+00', 10) WHERE false;
SELECT count(*) AS runs_after_empty_insert FROM ethaudit.runs;

-- a wrongly attached trigger never costs the user's rows: a warning only
CREATE TABLE gov.misattached (ts timestamptz, score float8);
CREATE TRIGGER t AFTER INSERT ON gov.misattached REFERENCING NEW TABLE AS other_name
    FOR EACH STATEMENT EXECUTE FUNCTION ethaudit_internal.monitor_batch();
INSERT INTO ethaudit.checks (check_name, model, metric, mode, source, time_column, probability_column)
VALUES ('misattached', 'stream', 'invalid_probability_share', 'insert_batch', 'gov.misattached', 'ts', 'score');
INSERT INTO gov.misattached VALUES ('2024-06-01', 0.5);
SELECT count(*) AS rows_kept FROM gov.misattached;
CREATE TABLE gov.per_row (ts timestamptz, score float8);
CREATE TRIGGER t AFTER INSERT ON gov.per_row FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.monitor_batch();
INSERT INTO gov.per_row VALUES ('2024-06-01', 0.5);
SELECT count(*) AS rows_kept FROM gov.per_row;

-- a partitioned prediction log: the trigger sits on the parent
CREATE TABLE gov.parted (ts timestamptz NOT NULL, score float8) PARTITION BY RANGE (ts);
CREATE TABLE gov.parted_june PARTITION OF gov.parted FOR VALUES FROM ('2024-06-01') TO ('2024-07-01');
CREATE TABLE gov.parted_july PARTITION OF gov.parted FOR VALUES FROM ('2024-07-01') TO ('2024-08-01');
SELECT check_name FROM ethaudit.monitor_table('gov.parted', 'stream', 'ts', probability_column => 'score');
INSERT INTO gov.parted SELECT '2024-06-30 23:00+00'::timestamptz + i * interval '1 minute', CASE WHEN i = 100 THEN -1 ELSE 0.5 END
FROM generate_series(0, 119) i;
SELECT * FROM gov.last_batch;

-- attaching: errors; detaching keeps the history and disables the checks
SELECT regress.error_of($$SELECT ethaudit.monitor_table('gov.stream', 'stream', 'ts')$$);
SELECT regress.error_of($$SELECT ethaudit.monitor_table('gov.preds_view', 'stream', 'ts')$$);
SELECT regress.error_of($$SELECT ethaudit.monitor_table('gov.stream', NULL, 'ts')$$);
CREATE TABLE gov.unmonitored (ts timestamptz, score float8);
SELECT regress.error_of($$SELECT ethaudit.monitor_table('gov.unmonitored', 'stream', 'no_such_column', probability_column => 'score')$$);
-- also when no check would read the column: no trigger is attached
SELECT regress.error_of($$SELECT ethaudit.monitor_table('gov.unmonitored', 'stream', 'no_such_column')$$);
SELECT regress.error_of($$SELECT ethaudit.monitor_table('gov.unmonitored', 'stream', 'ts', category_columns => '{score,nope}')$$);
SELECT count(*) AS triggers_left_by_failed_attach FROM pg_trigger WHERE tgrelid = 'gov.unmonitored'::regclass;
SELECT count(*) AS checks_left_by_failed_attach FROM ethaudit.checks WHERE source = 'gov.unmonitored';
SELECT ethaudit.unmonitor_table('gov.stream') AS checks_disabled;
SELECT regress.error_of($$SELECT ethaudit.unmonitor_table('gov.stream')$$);
SELECT * FROM ethaudit.monitored_tables ORDER BY table_name::text;
SELECT count(*) AS runs_before FROM ethaudit.runs WHERE source = 'gov.stream';
INSERT INTO gov.stream :cols SELECT * FROM gov.stream_batch('2024-06-01 12:00+00', 10);
SELECT count(*) AS runs_after_detach FROM ethaudit.runs WHERE source = 'gov.stream';
SELECT count(*) FILTER (WHERE enabled) AS enabled, count(*) AS checks FROM ethaudit.checks WHERE source = 'gov.stream';
