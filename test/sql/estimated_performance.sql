-- Performance estimated before labels arrive (CBPE): estimated_accuracy,
-- estimated_precision, estimated_recall, estimated_f1, estimated_roc_auc.
-- Checked against independent SQL computations of the same definitions, on
-- real data where in-sample calibrated probabilities make the estimate and
-- the realised metric equal, and on simulations where the labels are drawn
-- from the probabilities.
SET extra_float_digits = 0;

-- ---------- the definitions, on five rows ----------
-- predicted positive at p >= 0.5: E[TP] = 0.6 + 0.9 + 0.9 = 2.4, E[FP] = 0.6,
-- E[FN] = 0.1 + 0.4 = 0.5, E[TN] = 1.5
CREATE TEMP TABLE five (p float8);
INSERT INTO five VALUES (0.1), (0.4), (0.6), (0.9), (0.9);
WITH ref AS (
    SELECT sum(p) FILTER (WHERE p >= 0.5) AS tp, sum(1 - p) FILTER (WHERE p >= 0.5) AS fp,
           sum(p) FILTER (WHERE p < 0.5) AS fn, sum(1 - p) FILTER (WHERE p < 0.5) AS tn, count(*) AS n
    FROM five
)
SELECT regress.near(ethaudit.estimated_accuracy(p), (tp + tn) / n, 1e-15) AS accuracy,
       regress.near(ethaudit.estimated_precision(p), tp / (tp + fp), 1e-15) AS precision,
       regress.near(ethaudit.estimated_recall(p), tp / (tp + fn), 1e-15) AS recall,
       regress.near(ethaudit.estimated_f1(p), 2 * tp / (2 * tp + fp + fn), 1e-15) AS f1,
       ethaudit.estimated_accuracy(p) AS accuracy_value, ethaudit.estimated_precision(p) AS precision_value
FROM five, ref GROUP BY ref.tp, ref.fp, ref.fn, ref.tn, ref.n;
-- the ROC AUC: every pair of rows, each row a positive of weight p and a
-- negative of weight 1 - p, ties (a row with itself included) counted half
SELECT regress.near(ethaudit.estimated_roc_auc(p),
                    (SELECT sum(a.p * (1 - b.p) * CASE WHEN a.p > b.p THEN 1 WHEN a.p = b.p THEN 0.5 ELSE 0 END)
                     FROM five a, five b)
                    / ((SELECT sum(p) FROM five) * (SELECT sum(1 - p) FROM five)), 1e-15) AS roc_auc
FROM five;
-- another cutoff: predicted positive at p >= 0.3
SELECT ethaudit.estimated_accuracy(p, 0.3) AS accuracy, ethaudit.estimated_precision(p, 0.3) AS precision,
       ethaudit.estimated_recall(p, 0.3) AS recall, round(ethaudit.estimated_f1(p, 0.3)::numeric, 12) AS f1
FROM five;
-- a cutoff of 0 predicts every row positive, of 1 only the rows at 1
SELECT ethaudit.estimated_recall(p, 0) AS recall_all_positive, ethaudit.estimated_precision(p, 1) AS precision_none
FROM five;

-- ---------- NULLs, undefined values, bad input ----------
SELECT ethaudit.estimated_accuracy(p) AS accuracy, ethaudit.estimated_roc_auc(p) AS roc_auc
FROM (VALUES (NULL::float8), (0.2), (NULL)) t(p);
SELECT ethaudit.estimated_accuracy(p) IS NULL AS no_rows, ethaudit.estimated_roc_auc(p) IS NULL AS no_rows_auc
FROM (VALUES (NULL::float8)) t(p);
-- no predicted positive: precision undefined; every p 0: recall and AUC undefined
SELECT ethaudit.estimated_precision(p) IS NULL AS precision_null, ethaudit.estimated_recall(p) IS NULL AS recall_null,
       ethaudit.estimated_f1(p) IS NULL AS f1_null, ethaudit.estimated_roc_auc(p) IS NULL AS auc_null,
       ethaudit.estimated_accuracy(p) AS accuracy
FROM (VALUES (0.0::float8), (0.0)) t(p);
-- a NULL cutoff skips the row, like a NULL probability
SELECT ethaudit.estimated_accuracy(p, c) AS accuracy FROM (VALUES (0.9::float8, 0.5::float8), (0.1, NULL)) t(p, c);
SELECT regress.error_of($$SELECT ethaudit.estimated_accuracy(p) FROM (VALUES (1.5::float8)) t(p)$$) AS above_one;
SELECT regress.error_of($$SELECT ethaudit.estimated_roc_auc(p) FROM (VALUES (85::float8)) t(p)$$) AS percent;
SELECT regress.error_of($$SELECT ethaudit.estimated_f1(p) FROM (VALUES ('NaN'::float8)) t(p)$$) AS nan;
SELECT regress.error_of($$SELECT ethaudit.estimated_accuracy(0.5, 1.2)$$) AS cutoff_above_one;
SELECT regress.error_of($$SELECT ethaudit.estimated_accuracy(p, c) FROM (VALUES (0.2::float8, 0.5::float8), (0.3, 0.6)) t(p, c)$$)
    AS cutoff_changes;

-- ---------- real data: COMPAS with in-sample calibrated probabilities ----------
-- Each decile's probability is its observed recidivism rate, so the
-- probabilities are calibrated on these rows by construction, and the
-- estimates equal the realised metrics: within a decile the expected share
-- of correct decisions is the observed one.
CREATE TEMP TABLE compas_cbpe (
    id int, compas_screening_date date, sex text, age int, age_cat text, race text,
    juv_fel_count int, juv_misd_count int, juv_other_count int, priors_count int,
    days_b_screening_arrest int, c_charge_degree text, is_recid int, is_violent_recid int,
    decile_score int, score_text text, v_decile_score int, v_score_text text,
    two_year_recid int
);
\copy compas_cbpe FROM 'test/data/compas/compas-minimal.csv' WITH (FORMAT csv, HEADER true)
CREATE TEMP TABLE compas_calibrated AS
SELECT c.id, c.two_year_recid = 1 AS y, r.p
FROM compas_cbpe c JOIN (SELECT decile_score, avg(two_year_recid)::float8 AS p FROM compas_cbpe GROUP BY decile_score) r
USING (decile_score);
SELECT count(*) AS rows, count(DISTINCT p) AS probabilities FROM compas_calibrated;
SELECT regress.near(ethaudit.estimated_accuracy(p), ethaudit.accuracy_score(y, p >= 0.5), 1e-12) AS accuracy,
       regress.near(ethaudit.estimated_precision(p), ethaudit.precision_score(y, p >= 0.5), 1e-12) AS precision,
       regress.near(ethaudit.estimated_recall(p), ethaudit.recall_score(y, p >= 0.5), 1e-12) AS recall,
       regress.near(ethaudit.estimated_f1(p), ethaudit.f1_score(y, p >= 0.5), 1e-12) AS f1,
       regress.near(ethaudit.estimated_roc_auc(p), ethaudit.roc_auc(y, p), 1e-12) AS roc_auc,
       regress.near(ethaudit.estimated_accuracy(p, 0.6), ethaudit.accuracy_score(y, p >= 0.6), 1e-12) AS accuracy_at_0_6,
       round(ethaudit.estimated_accuracy(p)::numeric, 6) AS estimated_accuracy,
       round(ethaudit.estimated_roc_auc(p)::numeric, 6) AS estimated_roc_auc
FROM compas_calibrated;
-- the decile over ten as a probability is not calibrated (ECE 0.098):
-- CBPE then misses the realised accuracy by 0.10, far more than its error
-- (about 0.005 on 7214 rows)
SELECT round(ethaudit.ece(y, p)::numeric, 4) AS ece, round(ethaudit.estimated_accuracy(p)::numeric, 4) AS estimated,
       round(ethaudit.accuracy_score(y, p >= 0.5)::numeric, 4) AS realised
FROM (SELECT two_year_recid = 1 AS y, decile_score / 10.0 AS p FROM compas_cbpe) s;

-- ---------- simulation: labels drawn from the probabilities ----------
-- 40 samples of 4000 rows; p = u^2 for a uniform u (skewed towards 0), the
-- label true with probability p.  The accuracy's and the precision's
-- realised values are sums of independent Bernoulli outcomes whose
-- expectations are the estimates, so (realised - estimated) / sigma should
-- lie within 3 for all but about one sample in 370 (here 39 of 40 and 40
-- of 40).
SELECT setseed(0.25);
CREATE TEMP TABLE sim AS
SELECT s AS sample, p, random() < p AS y
FROM generate_series(1, 40) s, LATERAL (SELECT random() ^ 2 AS p FROM generate_series(1, 4000) WHERE s > 0) r;
CREATE TEMP TABLE sim_result AS
SELECT sample,
       ethaudit.accuracy_score(y, p >= 0.5) - ethaudit.estimated_accuracy(p) AS d_accuracy,
       sqrt(sum(greatest(p, 1 - p) * (1 - greatest(p, 1 - p)))) / count(*) AS sigma_accuracy,
       ethaudit.precision_score(y, p >= 0.5) - ethaudit.estimated_precision(p) AS d_precision,
       sqrt(sum(p * (1 - p)) FILTER (WHERE p >= 0.5)) / count(*) FILTER (WHERE p >= 0.5) AS sigma_precision,
       ethaudit.recall_score(y, p >= 0.5) - ethaudit.estimated_recall(p) AS d_recall,
       ethaudit.f1_score(y, p >= 0.5) - ethaudit.estimated_f1(p) AS d_f1,
       ethaudit.roc_auc(y, p) - ethaudit.estimated_roc_auc(p) AS d_roc_auc
FROM sim GROUP BY sample;
SELECT count(*) AS samples,
       count(*) FILTER (WHERE abs(d_accuracy) <= 3 * sigma_accuracy) AS accuracy_within_3_sigma,
       count(*) FILTER (WHERE abs(d_precision) <= 3 * sigma_precision) AS precision_within_3_sigma
FROM sim_result;
-- no bias: the mean difference over the samples is within 3 standard errors
-- of 0 for every estimate
SELECT abs(avg(d_accuracy)) <= 3 * stddev(d_accuracy) / sqrt(count(*)) AS accuracy_unbiased,
       abs(avg(d_precision)) <= 3 * stddev(d_precision) / sqrt(count(*)) AS precision_unbiased,
       abs(avg(d_recall)) <= 3 * stddev(d_recall) / sqrt(count(*)) AS recall_unbiased,
       abs(avg(d_f1)) <= 3 * stddev(d_f1) / sqrt(count(*)) AS f1_unbiased,
       abs(avg(d_roc_auc)) <= 3 * stddev(d_roc_auc) / sqrt(count(*)) AS roc_auc_unbiased,
       max(abs(d_roc_auc)) < 0.05 AS roc_auc_close
FROM sim_result;
-- the same probabilities, miscalibrated (reported 0.3 too high, at most 1):
-- the estimated precision is 0.26 too high, and the ECE says so
SELECT round(avg(d)::numeric, 2) AS precision_overestimated_by, bool_and(ece > 0.2) AS ece_flags_it
FROM (SELECT sample, ethaudit.estimated_precision(least(1, p + 0.3)) - ethaudit.precision_score(y, least(1, p + 0.3) >= 0.5) AS d,
             ethaudit.ece(y, least(1, p + 0.3)) AS ece
      FROM sim GROUP BY sample) s;

-- ---------- parallel plans, GROUP BY and windows give the serial results ----------
CREATE TEMP TABLE serial AS
SELECT ethaudit.estimated_accuracy(p) AS a, ethaudit.estimated_precision(p, 0.3) AS pr,
       ethaudit.estimated_recall(p) AS r, ethaudit.estimated_f1(p) AS f, ethaudit.estimated_roc_auc(p) AS auc
FROM sim;
CREATE TABLE regress.sim_par AS SELECT * FROM sim;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
SELECT s.a = p.a AS accuracy_same, s.pr = p.pr AS precision_same, s.r = p.r AS recall_same, s.f = p.f AS f1_same,
       regress.near(s.auc, p.auc, 1e-14) AS auc_near
FROM serial s,
     (SELECT ethaudit.estimated_accuracy(p) AS a, ethaudit.estimated_precision(p, 0.3) AS pr,
             ethaudit.estimated_recall(p) AS r, ethaudit.estimated_f1(p) AS f, ethaudit.estimated_roc_auc(p) AS auc
      FROM regress.sim_par) p;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;
DROP TABLE regress.sim_par;
SELECT bool_and(regress.near(w.a, g.a, 1e-15)) AS window_equals_group
FROM (SELECT DISTINCT sample, ethaudit.estimated_accuracy(p) OVER (PARTITION BY sample) AS a FROM sim) w
JOIN (SELECT sample, ethaudit.estimated_accuracy(p) AS a FROM sim GROUP BY sample) g USING (sample);

-- ---------- as checks: before the labels, with a cutoff ----------
-- the labels of the simulation arrive later (y_later)
CREATE TABLE gov.cbpe_log (ts timestamptz NOT NULL, p float8, y boolean, y_later boolean);
INSERT INTO gov.cbpe_log SELECT timestamptz '2024-05-01 00:00+00' + row_number() OVER () * interval '1 second',
                                p, NULL, y FROM sim WHERE sample <= 2;
INSERT INTO ethaudit.models (model, owner_role) VALUES ('cbpe', CURRENT_USER);
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, probability_column, window_size, params)
VALUES ('estimated accuracy', 'cbpe', 'estimated_accuracy', 'gov.cbpe_log', 'ts', 'p', '1 day', '{}'),
       ('estimated precision at 0.7', 'cbpe', 'estimated_precision', 'gov.cbpe_log', 'ts', 'p', '1 day', '{"cutoff": 0.7}'),
       ('estimated roc auc', 'cbpe', 'estimated_roc_auc', 'gov.cbpe_log', 'ts', 'p', '1 day', '{}');
SELECT (ethaudit.run_checks('cbpe', '2024-05-02 00:00+00', replay => false)).checks;
SELECT r.metric, r.status, r.n_current, r.labelled_share,
       regress.near(r.value, CASE r.metric
           WHEN 'estimated_accuracy' THEN (SELECT ethaudit.estimated_accuracy(p) FROM gov.cbpe_log)
           WHEN 'estimated_precision' THEN (SELECT ethaudit.estimated_precision(p, 0.7) FROM gov.cbpe_log)
           ELSE (SELECT ethaudit.estimated_roc_auc(p) FROM gov.cbpe_log) END, 1e-15) AS equals_the_aggregate
FROM ethaudit.results r WHERE r.model = 'cbpe' ORDER BY r.check_id;
-- the model card: each estimate beside the realised value, once labels
-- arrive and a check computes it
SELECT e->>'metric' AS metric, e->'realised' AS realised
FROM ethaudit.model_cards, jsonb_array_elements(performance_estimates) e WHERE model = 'cbpe' ORDER BY 1;
-- the labels of the first half arrive
UPDATE gov.cbpe_log SET y = y_later WHERE ts <= timestamptz '2024-05-01 00:00+00' + 4000 * interval '1 second';
INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column, window_size)
VALUES ('realised accuracy', 'cbpe', 'accuracy_score', 'gov.cbpe_log', 'ts', 'y', 'p', '1 day');
SELECT (ethaudit.run_checks('cbpe', '2024-05-02 00:00+00', replay => false)).checks;
SELECT e->>'metric' AS metric, e->>'realised_check_name' AS realised_check,
       CASE WHEN e ? 'realised' AND e->'realised' <> 'null' THEN
           regress.near((e->>'realised')::float8, (SELECT ethaudit.accuracy_score(y, p >= 0.5) FROM gov.cbpe_log), 1e-15) END
           AS realised_ok,
       e->>'realised_labelled_share' AS labelled_share,
       round((e->>'estimated')::numeric, 4) AS estimated, round((e->>'realised')::numeric, 4) AS realised
FROM ethaudit.model_cards, jsonb_array_elements(performance_estimates) e WHERE model = 'cbpe' ORDER BY 1;
-- a metric that reads no label refuses one; an option it lacks is refused
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, label_column, probability_column)
    VALUES ('label?', 'cbpe', 'estimated_accuracy', 'gov.cbpe_log', 'ts', 'y', 'p')$$) AS label_refused;
SELECT regress.error_of($$INSERT INTO ethaudit.checks (check_name, model, metric, source, time_column, probability_column, params)
    VALUES ('bins?', 'cbpe', 'estimated_accuracy', 'gov.cbpe_log', 'ts', 'p', '{"bins": 10}')$$) AS bins_refused;
SELECT metric, family, label_type, probability_type, default_direction, params
FROM ethaudit.metric_catalog WHERE metric LIKE 'estimated%' ORDER BY metric;

DELETE FROM ethaudit.alert_events;
DELETE FROM ethaudit.alerts;
DELETE FROM ethaudit.results;
DELETE FROM ethaudit.runs;
DELETE FROM ethaudit.checks WHERE model = 'cbpe';
DELETE FROM ethaudit.models WHERE model = 'cbpe';
DROP TABLE gov.cbpe_log;
