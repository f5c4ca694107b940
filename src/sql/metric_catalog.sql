-- ====================================================================
-- The metric catalog: what each metric reads, its call shape, whether it
-- has a baseline form, its direction and parameters; and the query of a
-- check, built from it.
-- ====================================================================

-- -------- the metrics a check can use --------

-- One row per metric: what it reads and how a check calls it.  Adding a
-- metric is one row here (and its aggregate in ethaudit_internal.aggregates);
-- check_parts() builds the query of a check from the row, the view below
-- shows it, and the tests check both against the catalogs.
CREATE TABLE ethaudit_internal.metrics (
    metric            text PRIMARY KEY,
    family            text NOT NULL CHECK (family IN ('drift', 'quality', 'performance', 'fairness')),
    value_kinds       text[] CHECK (value_kinds <@ '{numeric,categorical}'),
    label_type        text CHECK (label_type IN ('boolean', 'numeric')),
    probability_type  text CHECK (probability_type IN ('probability', 'score', 'prediction')),
    needs_group       boolean NOT NULL,
    needs_reference   boolean NOT NULL,
    default_direction text NOT NULL CHECK (default_direction IN ('above', 'below')),
    params            text[] NOT NULL,
    description       text NOT NULL,
    -- the call
    shape             text NOT NULL CHECK (shape IN ('aggregate', 'row_share')),
    aggregate         text,
    result_field      text,
    reads             text[] NOT NULL CHECK (reads <@ '{v,y,p,g,reference}'),
    options           text[] NOT NULL,
    row_condition     text,
    counts_every_row  boolean NOT NULL,
    baseline_shape    text CHECK (baseline_shape IN ('category_lookup')),
    options_together  boolean NOT NULL DEFAULT false,
    CHECK ((shape = 'aggregate') = (aggregate IS NOT NULL)),
    CHECK ((shape = 'row_share') = (row_condition IS NOT NULL)),
    CHECK (options <@ params)
);
COMMENT ON TABLE ethaudit_internal.metrics IS
'Internal: the catalog of metrics, the single place a metric is registered; ethaudit.metric_catalog shows it.';
COMMENT ON COLUMN ethaudit_internal.metrics.shape IS
'aggregate: a call of ethaudit.<aggregate>(reads..., option); row_share: the share of usable rows that satisfy row_condition.';
COMMENT ON COLUMN ethaudit_internal.metrics.result_field IS 'Field taken from a composite result of the aggregate.';
COMMENT ON COLUMN ethaudit_internal.metrics.reads IS
'Arguments in call order: v (value_column), y (label_column), p (probability_column), g (group_column), reference (the reference flag, or the stored baseline).';
COMMENT ON COLUMN ethaudit_internal.metrics.options IS
'Keys of checks.params passed as the last argument: the first one present (integers as numbers, others as text); with options_together, all of them in order.';
COMMENT ON COLUMN ethaudit_internal.metrics.options_together IS
'True if the options are passed together, in order, as the last arguments (NULL for an absent one, which the aggregate reads as its default), when any is present.';
COMMENT ON COLUMN ethaudit_internal.metrics.row_condition IS
'row_share: a format() template of the rows counted, %1$s..%4$s = v, y, p, g.';
COMMENT ON COLUMN ethaudit_internal.metrics.counts_every_row IS
'True if every row is usable (n_current counts all rows); otherwise rows with a NULL in a column read (or NaN value, against a reference) are not.';
COMMENT ON COLUMN ethaudit_internal.metrics.baseline_shape IS
'category_lookup: against a stored baseline, the share of current categories not among the baseline''s categories.';
GRANT SELECT ON ethaudit_internal.metrics TO PUBLIC;

INSERT INTO ethaudit_internal.metrics
    (metric, family, value_kinds, label_type, probability_type, needs_group, needs_reference, default_direction, params,
     description,
     shape, aggregate, result_field, reads, options, row_condition, counts_every_row, baseline_shape) VALUES
    ('psi', 'drift', '{numeric,categorical}', NULL, NULL, false, true, 'above', '{bins,binning}',
     'population stability index of value_column, current window against the reference',
     'aggregate', 'psi', NULL, '{v,reference}', '{bins,binning}', NULL, false, NULL),
    ('js_divergence', 'drift', '{numeric,categorical}', NULL, NULL, false, true, 'above', '{bins,binning}',
     'Jensen-Shannon divergence (base 2) of value_column against the reference',
     'aggregate', 'js_divergence', NULL, '{v,reference}', '{bins,binning}', NULL, false, NULL),
    ('hellinger', 'drift', '{numeric,categorical}', NULL, NULL, false, true, 'above', '{bins,binning}',
     'Hellinger distance of value_column against the reference',
     'aggregate', 'hellinger', NULL, '{v,reference}', '{bins,binning}', NULL, false, NULL),
    ('kl_divergence', 'drift', '{numeric,categorical}', NULL, NULL, false, true, 'above', '{bins,binning}',
     'Kullback-Leibler divergence of the current window from the reference',
     'aggregate', 'kl_divergence', NULL, '{v,reference}', '{bins,binning}', NULL, false, NULL),
    ('ks_stat', 'drift', '{numeric}', NULL, NULL, false, true, 'above', '{}',
     'two-sample Kolmogorov-Smirnov statistic D of value_column',
     'aggregate', 'ks_stat', NULL, '{v,reference}', '{}', NULL, false, NULL),
    ('ks_pvalue', 'drift', '{numeric}', NULL, NULL, false, true, 'below', '{}',
     'asymptotic p-value of the two-sample KS test (small = drift)',
     'aggregate', 'ks_test', 'p_value', '{v,reference}', '{}', NULL, false, NULL),
    ('wasserstein', 'drift', '{numeric}', NULL, NULL, false, true, 'above', '{}',
     'Wasserstein-1 distance of value_column, in its units',
     'aggregate', 'wasserstein', NULL, '{v,reference}', '{}', NULL, false, NULL),
    ('wasserstein_normed', 'drift', '{numeric}', NULL, NULL, false, true, 'above', '{}',
     'Wasserstein distance of value_column in standard deviations of the reference (Evidently''s default test for numeric columns of more than 1000 rows, drift at 0.1)',
     'aggregate', 'wasserstein_normed', NULL, '{v,reference}', '{}', NULL, false, NULL),
    ('chi2_pvalue', 'drift', '{categorical}', NULL, NULL, false, true, 'below', '{}',
     'p-value of the chi-square test of the category counts (small = drift)',
     'aggregate', 'chi2_test', 'p_value', '{v,reference}', '{}', NULL, false, NULL),
    ('unseen_share', 'quality', '{categorical}', NULL, NULL, false, true, 'above', '{}',
     'share of current rows whose category never occurs in the reference',
     'aggregate', 'unseen_categories', 'share', '{v,reference}', '{}', NULL, false, 'category_lookup'),
    ('null_rate_change', 'quality', '{numeric,categorical}', NULL, NULL, false, true, 'above', '{}',
     'share of NULL value_column in the current window minus that in the reference',
     'aggregate', 'null_rate_change', NULL, '{v,reference}', '{}', NULL, true, NULL),
    ('null_share', 'quality', NULL, NULL, NULL, false, false, 'above', '{}',
     'share of rows with a NULL in any of required_columns',
     'row_share', NULL, NULL, '{v}', '{}', '%1$s', true, NULL),
    ('invalid_probability_share', 'quality', NULL, NULL, 'probability', false, false, 'above', '{}',
     'share of non-NULL probability_column values that are NaN or outside [0, 1]',
     'row_share', NULL, NULL, '{p}', '{}', '%3$s = ''NaN''::float8 OR %3$s < 0 OR %3$s > 1', false, NULL),
    ('ece', 'performance', NULL, 'boolean', 'probability', false, false, 'above', '{bins}',
     'expected calibration error of probability_column against label_column',
     'aggregate', 'ece', NULL, '{y,p}', '{bins}', NULL, false, NULL),
    ('max_calibration_error', 'performance', NULL, 'boolean', 'probability', false, false, 'above', '{bins}',
     'largest calibration gap over the probability bins',
     'aggregate', 'max_calibration_error', NULL, '{y,p}', '{bins}', NULL, false, NULL),
    ('brier_score', 'performance', NULL, 'boolean', 'probability', false, false, 'above', '{}',
     'mean squared error of the probabilities',
     'aggregate', 'brier_score', NULL, '{y,p}', '{}', NULL, false, NULL),
    ('log_loss', 'performance', NULL, 'boolean', 'probability', false, false, 'above', '{}',
     'mean negative log-likelihood of the labels',
     'aggregate', 'log_loss', NULL, '{y,p}', '{}', NULL, false, NULL),
    ('roc_auc', 'performance', NULL, 'boolean', 'score', false, false, 'below', '{}',
     'area under the ROC curve of probability_column (any score) against label_column',
     'aggregate', 'roc_auc', NULL, '{y,p}', '{}', NULL, false, NULL),
    ('accuracy_score', 'performance', NULL, 'boolean', 'prediction', false, false, 'below', '{cutoff}',
     'accuracy of the predictions',
     'aggregate', 'accuracy_score', NULL, '{y,p}', '{}', NULL, false, NULL),
    ('precision_score', 'performance', NULL, 'boolean', 'prediction', false, false, 'below', '{cutoff}',
     'precision of the predictions',
     'aggregate', 'precision_score', NULL, '{y,p}', '{}', NULL, false, NULL),
    ('recall_score', 'performance', NULL, 'boolean', 'prediction', false, false, 'below', '{cutoff}',
     'recall (true positive rate) of the predictions',
     'aggregate', 'recall_score', NULL, '{y,p}', '{}', NULL, false, NULL),
    ('f1_score', 'performance', NULL, 'boolean', 'prediction', false, false, 'below', '{cutoff}',
     'F1 score of the predictions',
     'aggregate', 'f1_score', NULL, '{y,p}', '{}', NULL, false, NULL),
    ('estimated_accuracy', 'performance', NULL, NULL, 'probability', false, false, 'below', '{cutoff}',
     'accuracy expected from the calibrated probabilities alone, before labels (CBPE)',
     'aggregate', 'estimated_accuracy', NULL, '{p}', '{cutoff}', NULL, false, NULL),
    ('estimated_precision', 'performance', NULL, NULL, 'probability', false, false, 'below', '{cutoff}',
     'precision expected from the calibrated probabilities alone, before labels (CBPE)',
     'aggregate', 'estimated_precision', NULL, '{p}', '{cutoff}', NULL, false, NULL),
    ('estimated_recall', 'performance', NULL, NULL, 'probability', false, false, 'below', '{cutoff}',
     'recall expected from the calibrated probabilities alone, before labels (CBPE)',
     'aggregate', 'estimated_recall', NULL, '{p}', '{cutoff}', NULL, false, NULL),
    ('estimated_f1', 'performance', NULL, NULL, 'probability', false, false, 'below', '{cutoff}',
     'F1 score expected from the calibrated probabilities alone, before labels (CBPE)',
     'aggregate', 'estimated_f1', NULL, '{p}', '{cutoff}', NULL, false, NULL),
    ('estimated_roc_auc', 'performance', NULL, NULL, 'probability', false, false, 'below', '{}',
     'ROC AUC expected from the calibrated probabilities alone, before labels (CBPE)',
     'aggregate', 'estimated_roc_auc', NULL, '{p}', '{}', NULL, false, NULL),
    ('false_positive_rate', 'performance', NULL, 'boolean', 'prediction', false, false, 'above', '{cutoff}',
     'false positive rate of the predictions',
     'aggregate', 'false_positive_rate', NULL, '{y,p}', '{}', NULL, false, NULL),
    ('false_negative_rate', 'performance', NULL, 'boolean', 'prediction', false, false, 'above', '{cutoff}',
     'false negative rate of the predictions',
     'aggregate', 'false_negative_rate', NULL, '{y,p}', '{}', NULL, false, NULL),
    ('mae', 'performance', '{numeric}', 'numeric', NULL, false, false, 'above', '{}',
     'mean absolute error of value_column (the prediction) against label_column',
     'aggregate', 'mae', NULL, '{y,v}', '{}', NULL, false, NULL),
    ('rmse', 'performance', '{numeric}', 'numeric', NULL, false, false, 'above', '{}',
     'root mean squared error of value_column (the prediction) against label_column',
     'aggregate', 'rmse', NULL, '{y,v}', '{}', NULL, false, NULL),
    ('group_tpr_gap', 'fairness', NULL, 'boolean', 'prediction', true, false, 'above', '{cutoff,min_positives}',
     'largest difference in true positive rate between groups (equal opportunity)',
     'aggregate', 'group_tpr_gap', NULL, '{y,p,g}', '{min_positives}', NULL, false, NULL),
    ('group_fpr_gap', 'fairness', NULL, 'boolean', 'prediction', true, false, 'above', '{cutoff,min_negatives}',
     'largest difference in false positive rate between groups',
     'aggregate', 'group_fpr_gap', NULL, '{y,p,g}', '{min_negatives}', NULL, false, NULL),
    ('equalized_odds_gap', 'fairness', NULL, 'boolean', 'prediction', true, false, 'above', '{cutoff,min_size}',
     'larger of the TPR and FPR gaps between groups',
     'aggregate', 'equalized_odds_gap', NULL, '{y,p,g}', '{min_size}', NULL, false, NULL),
    ('selection_rate_gap', 'fairness', NULL, NULL, 'prediction', true, false, 'above', '{cutoff}',
     'largest difference in selection rate between groups (demographic parity)',
     'aggregate', 'selection_rate_gap', NULL, '{p,g}', '{}', NULL, false, NULL),
    ('selection_rate_ratio', 'fairness', NULL, NULL, 'prediction', true, false, 'below', '{cutoff}',
     'smallest over largest selection rate between groups (disparate impact)',
     'aggregate', 'selection_rate_ratio', NULL, '{p,g}', '{}', NULL, false, NULL),
    ('ece_gap', 'fairness', NULL, 'boolean', 'probability', true, false, 'above', '{bins,min_size}',
     'largest difference in expected calibration error between groups',
     'aggregate', 'ece_gap', NULL, '{y,p,g}', '{bins,min_size}', NULL, false, NULL);
-- ece_gap(y, p, g, bins, min_size): both options, each NULL when absent
UPDATE ethaudit_internal.metrics SET options_together = true WHERE metric = 'ece_gap';

CREATE VIEW ethaudit.metric_catalog AS
SELECT m.metric, m.family, m.value_kinds, m.label_type, m.probability_type, m.needs_group,
       m.needs_reference,
       m.baseline_shape IS NOT NULL
       OR EXISTS (SELECT FROM ethaudit_internal.aggregates a
                  WHERE a.aggregate = m.aggregate AND a.arguments LIKE '%reference ethaudit.baseline') AS baseline_capable,
       m.default_direction, m.params, m.description
FROM ethaudit_internal.metrics m;

COMMENT ON VIEW ethaudit.metric_catalog IS
'The metrics a check can use, with the columns each one reads, whether it compares against a reference, and the default direction of its thresholds.';
COMMENT ON COLUMN ethaudit.metric_catalog.metric IS 'Name used in checks.metric.';
COMMENT ON COLUMN ethaudit.metric_catalog.family IS 'drift, quality, performance or fairness; alerts of a fairness check get a higher priority when a drift or performance alert of the same model is open.';
COMMENT ON COLUMN ethaudit.metric_catalog.value_kinds IS 'Kinds of value_column the metric accepts (numeric, categorical); NULL if it reads no value_column.';
COMMENT ON COLUMN ethaudit.metric_catalog.label_type IS 'boolean (boolean or 0/1 integer column), numeric, or NULL if the metric reads no label_column.';
COMMENT ON COLUMN ethaudit.metric_catalog.probability_type IS 'probability (float in [0, 1]), score (any number), prediction (boolean, or a number compared with params.cutoff), or NULL if unused.';
COMMENT ON COLUMN ethaudit.metric_catalog.needs_group IS 'True if the metric compares groups of group_column.';
COMMENT ON COLUMN ethaudit.metric_catalog.needs_reference IS 'True if the metric compares the current window with a reference window or a stored baseline.';
COMMENT ON COLUMN ethaudit.metric_catalog.baseline_capable IS 'True if the reference can be a stored baseline (checks.reference_kind = ''baseline'').';
COMMENT ON COLUMN ethaudit.metric_catalog.default_direction IS 'Direction a threshold gets when none is given: above (high values are bad) or below.';
COMMENT ON COLUMN ethaudit.metric_catalog.params IS 'Keys allowed in checks.params for this metric.';
COMMENT ON COLUMN ethaudit.metric_catalog.description IS 'What the metric measures.';

-- -------- building the query of a check --------

-- The pieces of the query of a check, from its row of ethaudit_internal.metrics.
-- The sample is projected as columns v, y, p, g, t (value, label,
-- probability or prediction, group, time; each followed by suffix) and r
-- (true for reference rows); the expressions read them as s.v<suffix> ...
-- and s.r.
CREATE FUNCTION ethaudit_internal.check_parts(c ethaudit.checks, rel regclass, suffix text DEFAULT '',
    with_time boolean DEFAULT true,
    OUT proj text, OUT value_expr text, OUT usable text, OUT n_reference_expr text,
    OUT reference_rows boolean)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m ethaudit_internal.metrics;
    cols record;
    opt text := '';
    ref_arg text := 's.r';
    baseline text;
    categories text[];
    lookup text;
    args text[];                -- the call's arguments, in the order of m.reads
    columns text[];             -- those that are columns of the sample
    key text;
    v text := 's.v' || suffix;
    y text := 's.y' || suffix;
    p text := 's.p' || suffix;
    g text := 's.g' || suffix;
BEGIN
    SELECT * INTO m FROM ethaudit_internal.metrics WHERE metric = c.metric;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'metric % has no query', c.metric USING ERRCODE = 'internal_error';
    END IF;
    cols := ethaudit_internal.check_columns(c, rel);
    proj := format('%s AS %I, %s AS %I, %s AS %I, %s AS %I',
                   coalesce(cols.v_expr, 'NULL::float8'), 'v' || suffix,
                   coalesce(cols.y_expr, 'NULL::boolean'), 'y' || suffix,
                   coalesce(cols.p_expr, 'NULL::float8'), 'p' || suffix,
                   coalesce(cols.g_expr, 'NULL::text'), 'g' || suffix);
    IF with_time THEN
        proj := proj || format(', src.%I AS %I', c.time_column, 't' || suffix);
    END IF;
    reference_rows := c.reference_kind IN ('preceding', 'fixed');
    n_reference_expr := 'NULL::bigint';
    IF c.reference_kind = 'baseline' THEN
        -- the baseline is read inside the aggregate's call, never beside
        -- it: a distributed planner (Citus) cannot push down a subquery on
        -- the target list.  Its size is a constant of the query.
        baseline := format('(SELECT b.baseline FROM ethaudit.baselines b WHERE b.baseline_id = %s)', c.baseline_id);
        ref_arg := baseline;
        SELECT format('%s::bigint', coalesce(b.n::text, 'NULL')),
               CASE WHEN m.baseline_shape = 'category_lookup' THEN ethaudit.baseline_categories(b.baseline) END
        INTO n_reference_expr, categories
        FROM ethaudit.baselines b WHERE b.baseline_id = c.baseline_id;
    END IF;
    -- the option argument: the first of the metric's options present in
    -- params; or all of them, NULL where absent, if they go together
    IF m.options_together THEN
        IF c.params ?| m.options THEN
            SELECT string_agg(CASE WHEN c.params ? u.k THEN format(', %s', (c.params->>u.k)::integer)
                                   ELSE ', NULL::integer' END, '' ORDER BY u.o)
            INTO opt FROM unnest(m.options) WITH ORDINALITY AS u(k, o);
        END IF;
    ELSE
        FOREACH key IN ARRAY m.options LOOP
            IF c.params ? key THEN
                opt := CASE WHEN key = 'binning' THEN format(', %L', c.params->>key)
                            WHEN key = 'cutoff' THEN format(', %L::pg_catalog.float8', (c.params->>key)::float8)
                            ELSE format(', %s', (c.params->>key)::integer) END;
                EXIT;
            END IF;
        END LOOP;
    END IF;

    SELECT array_agg(CASE r.a WHEN 'v' THEN v WHEN 'y' THEN y WHEN 'p' THEN p WHEN 'g' THEN g
                              ELSE ref_arg END ORDER BY r.o),
           array_agg(CASE r.a WHEN 'v' THEN v WHEN 'y' THEN y WHEN 'p' THEN p ELSE g END ORDER BY r.o)
               FILTER (WHERE r.a <> 'reference')
    INTO args, columns
    FROM unnest(m.reads) WITH ORDINALITY AS r(a, o);

    -- which rows are usable (counted in n_current and n_reference): those
    -- without a NULL in a column the metric reads, and against a reference
    -- without a NaN value (the drift aggregates skip NaN)
    IF m.counts_every_row THEN
        usable := 'true';
    ELSE
        SELECT string_agg(format('%s IS NOT NULL', a), ' AND ') INTO usable FROM unnest(columns) a;
        IF m.needs_reference AND cols.value_kind = 'numeric' THEN
            usable := usable || format(' AND %s <> ''NaN''::float8', v);
        END IF;
    END IF;

    IF m.baseline_shape = 'category_lookup' AND c.reference_kind = 'baseline' THEN
        -- Up to 10000 stored categories (read above) become a constant
        -- array, which the executor looks up with a hash table; more are
        -- read from the table.
        IF cardinality(categories) <= 10000 THEN
            lookup := format('%s = ANY (%L::text[])', v, categories);
        ELSE
            lookup := format('%s IN (SELECT unnest(ethaudit.baseline_categories(b.baseline)) '
                             'FROM ethaudit.baselines b WHERE b.baseline_id = %s)', v, c.baseline_id);
        END IF;
        value_expr := format('count(*) FILTER (WHERE NOT s.r AND %s IS NOT NULL AND NOT (%s))::float8 '
                             '/ nullif(count(*) FILTER (WHERE NOT s.r AND %s IS NOT NULL), 0)',
                             v, lookup, v);
    ELSIF m.shape = 'row_share' THEN
        value_expr := format('count(*) FILTER (WHERE %s)::float8 / nullif(%s, 0)',
                             format(m.row_condition, v, y, p, g),
                             CASE WHEN m.counts_every_row THEN 'count(*)'
                                  ELSE format('count(*) FILTER (WHERE %s)', usable) END);
    ELSE
        value_expr := format('ethaudit.%I(%s%s)', m.aggregate, array_to_string(args, ', '), opt);
        IF m.result_field IS NOT NULL THEN
            value_expr := format('(%s).%I', value_expr, m.result_field);
        END IF;
    END IF;
    IF reference_rows THEN
        n_reference_expr := format('count(*) FILTER (WHERE s.r AND (%s))', usable);
    END IF;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.check_parts(ethaudit.checks, regclass, text, boolean) IS
'Internal: the pieces of the query of a check, from the metric''s row of ethaudit_internal.metrics: the projection of its columns (validated against the catalogs, quoted with format(%I)), the metric expression, which rows are usable, and how the reference is counted.';
