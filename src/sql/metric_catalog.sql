-- ====================================================================
-- The metric catalog: what each metric reads, its call shape, whether it
-- has a baseline form, its direction and parameters; and the query of a
-- check, built from it.
-- ====================================================================

-- -------- the metrics a check can use --------

CREATE VIEW ethaudit.metric_catalog AS
SELECT m.metric, m.family, m.value_kinds, m.label_type, m.probability_type, m.needs_group,
       m.needs_reference, m.baseline_capable, m.default_direction, m.params, m.description
FROM (VALUES
    -- metric, family, value kinds, label, probability, group, reference, baseline, direction, params
    ('psi', 'drift', '{numeric,categorical}'::text[], NULL, NULL, false, true, true, 'above', '{bins,binning}'::text[],
     'population stability index of value_column, current window against the reference'),
    ('js_divergence', 'drift', '{numeric,categorical}', NULL, NULL, false, true, true, 'above', '{bins,binning}',
     'Jensen-Shannon divergence (base 2) of value_column against the reference'),
    ('hellinger', 'drift', '{numeric,categorical}', NULL, NULL, false, true, false, 'above', '{bins,binning}',
     'Hellinger distance of value_column against the reference'),
    ('kl_divergence', 'drift', '{numeric,categorical}', NULL, NULL, false, true, false, 'above', '{bins,binning}',
     'Kullback-Leibler divergence of the current window from the reference'),
    ('ks_stat', 'drift', '{numeric}', NULL, NULL, false, true, true, 'above', '{}',
     'two-sample Kolmogorov-Smirnov statistic D of value_column'),
    ('ks_pvalue', 'drift', '{numeric}', NULL, NULL, false, true, false, 'below', '{}',
     'asymptotic p-value of the two-sample KS test (small = drift)'),
    ('wasserstein', 'drift', '{numeric}', NULL, NULL, false, true, false, 'above', '{}',
     'Wasserstein-1 distance of value_column, in its units'),
    ('chi2_pvalue', 'drift', '{categorical}', NULL, NULL, false, true, false, 'below', '{}',
     'p-value of the chi-square test of the category counts (small = drift)'),
    ('unseen_share', 'quality', '{categorical}', NULL, NULL, false, true, true, 'above', '{}',
     'share of current rows whose category never occurs in the reference'),
    ('null_rate_change', 'quality', '{numeric,categorical}', NULL, NULL, false, true, false, 'above', '{}',
     'share of NULL value_column in the current window minus that in the reference'),
    ('null_share', 'quality', NULL, NULL, NULL, false, false, false, 'above', '{}',
     'share of rows with a NULL in any of required_columns'),
    ('invalid_probability_share', 'quality', NULL, NULL, 'probability', false, false, false, 'above', '{}',
     'share of non-NULL probability_column values that are NaN or outside [0, 1]'),
    ('ece', 'performance', NULL, 'boolean', 'probability', false, false, false, 'above', '{bins}',
     'expected calibration error of probability_column against label_column'),
    ('max_calibration_error', 'performance', NULL, 'boolean', 'probability', false, false, false, 'above', '{bins}',
     'largest calibration gap over the probability bins'),
    ('brier_score', 'performance', NULL, 'boolean', 'probability', false, false, false, 'above', '{}',
     'mean squared error of the probabilities'),
    ('log_loss', 'performance', NULL, 'boolean', 'probability', false, false, false, 'above', '{}',
     'mean negative log-likelihood of the labels'),
    ('roc_auc', 'performance', NULL, 'boolean', 'score', false, false, false, 'below', '{}',
     'area under the ROC curve of probability_column (any score) against label_column'),
    ('accuracy_score', 'performance', NULL, 'boolean', 'prediction', false, false, false, 'below', '{cutoff}',
     'accuracy of the predictions'),
    ('precision_score', 'performance', NULL, 'boolean', 'prediction', false, false, false, 'below', '{cutoff}',
     'precision of the predictions'),
    ('recall_score', 'performance', NULL, 'boolean', 'prediction', false, false, false, 'below', '{cutoff}',
     'recall (true positive rate) of the predictions'),
    ('f1_score', 'performance', NULL, 'boolean', 'prediction', false, false, false, 'below', '{cutoff}',
     'F1 score of the predictions'),
    ('false_positive_rate', 'performance', NULL, 'boolean', 'prediction', false, false, false, 'above', '{cutoff}',
     'false positive rate of the predictions'),
    ('false_negative_rate', 'performance', NULL, 'boolean', 'prediction', false, false, false, 'above', '{cutoff}',
     'false negative rate of the predictions'),
    ('mae', 'performance', '{numeric}', 'numeric', NULL, false, false, false, 'above', '{}',
     'mean absolute error of value_column (the prediction) against label_column'),
    ('rmse', 'performance', '{numeric}', 'numeric', NULL, false, false, false, 'above', '{}',
     'root mean squared error of value_column (the prediction) against label_column'),
    ('group_tpr_gap', 'fairness', NULL, 'boolean', 'prediction', true, false, false, 'above', '{cutoff,min_positives}',
     'largest difference in true positive rate between groups (equal opportunity)'),
    ('group_fpr_gap', 'fairness', NULL, 'boolean', 'prediction', true, false, false, 'above', '{cutoff}',
     'largest difference in false positive rate between groups'),
    ('equalized_odds_gap', 'fairness', NULL, 'boolean', 'prediction', true, false, false, 'above', '{cutoff}',
     'larger of the TPR and FPR gaps between groups'),
    ('selection_rate_gap', 'fairness', NULL, NULL, 'prediction', true, false, false, 'above', '{cutoff}',
     'largest difference in selection rate between groups (demographic parity)'),
    ('selection_rate_ratio', 'fairness', NULL, NULL, 'prediction', true, false, false, 'below', '{cutoff}',
     'smallest over largest selection rate between groups (disparate impact)'),
    ('ece_gap', 'fairness', NULL, 'boolean', 'probability', true, false, false, 'above', '{bins}',
     'largest difference in expected calibration error between groups')
) AS m(metric, family, value_kinds, label_type, probability_type, needs_group,
       needs_reference, baseline_capable, default_direction, params, description);

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

-- The pieces of the query of a check.  The sample is projected as columns
-- v, y, p, g, t (value, label, probability or prediction, group, time; each
-- followed by suffix) and r (true for reference rows); the expressions read
-- them as s.v<suffix> ... and s.r.
CREATE FUNCTION ethaudit.check_parts(c ethaudit.checks, rel regclass, suffix text DEFAULT '',
    with_time boolean DEFAULT true,
    OUT proj text, OUT value_expr text, OUT usable text, OUT n_reference_expr text,
    OUT reference_rows boolean)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cols record;
    opt text := '';
    ref_arg text := 's.r';
    baseline text;
    categories text[];
    lookup text;
    v text := 's.v' || suffix;
    y text := 's.y' || suffix;
    p text := 's.p' || suffix;
    g text := 's.g' || suffix;
BEGIN
    cols := ethaudit.check_columns(c, rel);
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
        baseline := format('(SELECT b.baseline FROM ethaudit.baselines b WHERE b.baseline_id = %s)', c.baseline_id);
        ref_arg := baseline;
        n_reference_expr := format('ethaudit.baseline_n(%s)', baseline);
    END IF;
    IF c.params ? 'bins' THEN
        opt := format(', %s', (c.params->>'bins')::integer);
    ELSIF c.params ? 'binning' THEN
        opt := format(', %L', c.params->>'binning');
    END IF;

    -- the metric, and which rows count as usable for n_current / n_reference
    usable := CASE WHEN cols.value_kind = 'numeric' THEN format('%s IS NOT NULL AND %s <> ''NaN''::float8', v, v)
                   ELSE format('%s IS NOT NULL', v) END;
    CASE
    WHEN c.metric IN ('psi', 'js_divergence', 'hellinger', 'kl_divergence') THEN
        value_expr := format('ethaudit.%I(%s, %s%s)', c.metric, v, ref_arg, opt);
    WHEN c.metric IN ('ks_stat', 'wasserstein') THEN
        value_expr := format('ethaudit.%I(%s, %s)', c.metric, v, ref_arg);
    WHEN c.metric = 'ks_pvalue' THEN
        value_expr := format('(ethaudit.ks_test(%s, s.r)).p_value', v);
    WHEN c.metric = 'chi2_pvalue' THEN
        value_expr := format('(ethaudit.chi2_test(%s, s.r)).p_value', v);
    WHEN c.metric = 'unseen_share' AND c.reference_kind = 'baseline' THEN
        -- Up to 10000 stored categories become a constant array, which the
        -- executor looks up with a hash table; more are read from the table.
        SELECT ethaudit.baseline_categories(b.baseline) INTO categories
        FROM ethaudit.baselines b WHERE b.baseline_id = c.baseline_id;
        IF cardinality(categories) <= 10000 THEN
            lookup := format('%s = ANY (%L::text[])', v, categories);
        ELSE
            lookup := format('%s IN (SELECT unnest(ethaudit.baseline_categories(b.baseline)) '
                             'FROM ethaudit.baselines b WHERE b.baseline_id = %s)', v, c.baseline_id);
        END IF;
        value_expr := format('count(*) FILTER (WHERE NOT s.r AND %s IS NOT NULL AND NOT (%s))::float8 '
                             '/ nullif(count(*) FILTER (WHERE NOT s.r AND %s IS NOT NULL), 0)',
                             v, lookup, v);
    WHEN c.metric = 'unseen_share' THEN
        value_expr := format('(ethaudit.unseen_categories(%s, s.r)).share', v);
    WHEN c.metric = 'null_rate_change' THEN
        value_expr := format('ethaudit.null_rate_change(%s, s.r)', v);
        usable := 'true';
    WHEN c.metric = 'null_share' THEN
        value_expr := format('count(*) FILTER (WHERE %s)::float8 / nullif(count(*), 0)', v);
        usable := 'true';
    WHEN c.metric = 'invalid_probability_share' THEN
        value_expr := format('count(*) FILTER (WHERE %s = ''NaN''::float8 OR %s < 0 OR %s > 1)::float8 '
                             '/ nullif(count(*) FILTER (WHERE %s IS NOT NULL), 0)', p, p, p, p);
        usable := format('%s IS NOT NULL', p);
    WHEN c.metric IN ('ece', 'max_calibration_error') THEN
        value_expr := format('ethaudit.%I(%s, %s%s)', c.metric, y, p, opt);
        usable := format('%s IS NOT NULL AND %s IS NOT NULL', y, p);
    WHEN c.metric IN ('brier_score', 'log_loss', 'roc_auc', 'accuracy_score', 'precision_score',
                      'recall_score', 'f1_score', 'false_positive_rate', 'false_negative_rate') THEN
        value_expr := format('ethaudit.%I(%s, %s)', c.metric, y, p);
        usable := format('%s IS NOT NULL AND %s IS NOT NULL', y, p);
    WHEN c.metric IN ('mae', 'rmse') THEN
        value_expr := format('ethaudit.%I(%s, %s)', c.metric, y, v);
        usable := format('%s IS NOT NULL AND %s IS NOT NULL', y, v);
    WHEN c.metric IN ('group_tpr_gap', 'group_fpr_gap', 'equalized_odds_gap') THEN
        value_expr := format('ethaudit.%I(%s, %s, %s%s)', c.metric, y, p, g,
                             CASE WHEN c.params ? 'min_positives'
                                  THEN format(', %s', (c.params->>'min_positives')::integer) ELSE '' END);
        usable := format('%s IS NOT NULL AND %s IS NOT NULL AND %s IS NOT NULL', y, p, g);
    WHEN c.metric IN ('selection_rate_gap', 'selection_rate_ratio') THEN
        value_expr := format('ethaudit.%I(%s, %s)', c.metric, p, g);
        usable := format('%s IS NOT NULL AND %s IS NOT NULL', p, g);
    WHEN c.metric = 'ece_gap' THEN
        value_expr := format('ethaudit.ece_gap(%s, %s, %s%s)', y, p, g, opt);
        usable := format('%s IS NOT NULL AND %s IS NOT NULL AND %s IS NOT NULL', y, p, g);
    ELSE
        RAISE EXCEPTION 'metric % has no query', c.metric USING ERRCODE = 'internal_error';
    END CASE;
    IF reference_rows THEN
        n_reference_expr := format('count(*) FILTER (WHERE s.r AND (%s))', usable);
    END IF;
END
$$;
COMMENT ON FUNCTION ethaudit.check_parts(ethaudit.checks, regclass, text, boolean) IS
'Internal: the pieces of the query of a check: the projection of its columns (validated against the catalogs, quoted with format(%I)), the metric expression, which rows are usable, and how the reference is counted.';
