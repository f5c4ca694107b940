-- ====================================================================
-- Kept values (twosample): float8 drift, KS and roc_auc
--
-- The state keeps every float8 value of reference and current rows exactly
-- (`is_reference` marks reference rows TRUE, current rows FALSE), so every
-- drift measure over float8 -- psi, js_divergence, hellinger, kl_divergence,
-- ks_stat, ks_test, wasserstein, wasserstein_normed -- is a final function
-- of one state, and
-- roc_auc keeps (label, score) pairs the same way.
-- ====================================================================

-- -------- the state: transition, combine, serialization, final functions --------

CREATE FUNCTION ethaudit_internal.twosample_trans(internal, double precision, boolean)
RETURNS internal
AS 'MODULE_PATHNAME', 'twosample_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.twosample_trans(internal, double precision, boolean) IS
'Transition function of the float8 drift aggregates: keeps every value.';

CREATE FUNCTION ethaudit_internal.twosample_trans_bins(internal, double precision, boolean, integer)
RETURNS internal
AS 'MODULE_PATHNAME', 'twosample_trans_bins'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.twosample_trans_bins(internal, double precision, boolean, integer) IS
'Transition function of psi/js_divergence(value, is_reference, bins).';

CREATE FUNCTION ethaudit_internal.twosample_trans_binning(internal, double precision, boolean, text)
RETURNS internal
AS 'MODULE_PATHNAME', 'twosample_trans_binning'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.twosample_trans_binning(internal, double precision, boolean, text) IS
'Transition function of psi/js_divergence(value, is_reference, binning).';

CREATE FUNCTION ethaudit_internal.twosample_combine(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'twosample_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.twosample_combine(internal, internal) IS
'Combine function of the float8 drift aggregates (parallel aggregation).';

CREATE FUNCTION ethaudit_internal.twosample_serialize(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'twosample_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.twosample_serialize(internal) IS
'Serializes a float8 drift state for parallel workers (versioned format).';

CREATE FUNCTION ethaudit_internal.twosample_deserialize(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'twosample_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.twosample_deserialize(bytea, internal) IS
'Validates and reads back a serialized float8 drift state.';

CREATE FUNCTION ethaudit_internal.psi_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'psi_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.psi_final(internal) IS 'Final function of psi over float8.';

CREATE FUNCTION ethaudit_internal.js_divergence_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'js_divergence_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.js_divergence_final(internal) IS 'Final function of js_divergence over float8.';

CREATE FUNCTION ethaudit_internal.ks_stat_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ks_stat_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.ks_stat_final(internal) IS 'Final function of ks_stat.';

CREATE TYPE ethaudit.ks_result AS (
    statistic   double precision,
    p_value     double precision,
    n_reference bigint,
    n_current   bigint
);

COMMENT ON TYPE ethaudit.ks_result IS
'Result of ks_test: KS statistic D, asymptotic two-sided p-value and the sample sizes.';

CREATE FUNCTION ethaudit_internal.ks_test_final(internal)
RETURNS ethaudit.ks_result
AS 'MODULE_PATHNAME', 'ks_test_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.ks_test_final(internal) IS 'Final function of ks_test.';

CREATE FUNCTION ethaudit_internal.hellinger_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'hellinger_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.hellinger_final(internal) IS 'Final function of hellinger over float8.';

CREATE FUNCTION ethaudit_internal.kl_divergence_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'kl_divergence_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.kl_divergence_final(internal) IS 'Final function of kl_divergence over float8.';

CREATE FUNCTION ethaudit_internal.wasserstein_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'wasserstein_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.wasserstein_final(internal) IS 'Final function of wasserstein.';

CREATE FUNCTION ethaudit_internal.wasserstein_normed_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'wasserstein_normed_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.wasserstein_normed_final(internal) IS 'Final function of wasserstein_normed.';

CREATE FUNCTION ethaudit_internal.twosample_trans_labeled(internal, boolean, double precision)
RETURNS internal
AS 'MODULE_PATHNAME', 'twosample_trans_labeled'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.twosample_trans_labeled(internal, boolean, double precision) IS
'Transition function of roc_auc: keeps the scores of positives and of negatives.';

CREATE FUNCTION ethaudit_internal.roc_auc_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'roc_auc_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.roc_auc_final(internal) IS 'Final function of roc_auc.';

CREATE FUNCTION ethaudit_internal.twosample_trans_probability(internal, double precision)
RETURNS internal
AS 'MODULE_PATHNAME', 'twosample_trans_probability'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.twosample_trans_probability(internal, double precision) IS
'Transition function of estimated_roc_auc: keeps the probabilities.';

CREATE FUNCTION ethaudit_internal.estimated_roc_auc_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'estimated_roc_auc_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.estimated_roc_auc_final(internal) IS 'Final function of estimated_roc_auc.';

CREATE TYPE ethaudit.drift_test_result AS (
    test                text,
    statistic           double precision,
    p_value             double precision,
    threshold           double precision,
    drifted             boolean,
    n_reference         bigint,
    n_current           bigint,
    n_values            bigint,
    nonfinite_reference bigint,
    nonfinite_current   bigint,
    unseen_current      bigint
);

COMMENT ON TYPE ethaudit.drift_test_result IS
'Result of drift_test: the test used (Evidently 0.7''s choice unless forced), its statistic, p-value (NULL for the distance tests), default threshold and verdict; the finite values tested, their distinct values, the NaN/Infinity values left out (float8) and the current rows of categories the reference lacks (text). test is NULL when either sample is empty.';

CREATE FUNCTION ethaudit_internal.twosample_trans_drift(internal, double precision, boolean)
RETURNS internal
AS 'MODULE_PATHNAME', 'twosample_trans_drift'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.twosample_trans_drift(internal, double precision, boolean) IS
'Transition function of drift_test over float8: keeps every finite value, counts NaN and Infinity.';

CREATE FUNCTION ethaudit_internal.twosample_trans_drift_test(internal, double precision, boolean, text)
RETURNS internal
AS 'MODULE_PATHNAME', 'twosample_trans_drift_test'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.twosample_trans_drift_test(internal, double precision, boolean, text) IS
'Transition function of drift_test(value, is_reference, test) over float8.';

CREATE FUNCTION ethaudit_internal.drift_test_final(internal)
RETURNS ethaudit.drift_test_result
AS 'MODULE_PATHNAME', 'drift_test_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.drift_test_final(internal) IS 'Final function of drift_test over float8.';

-- -------- the aggregates --------

INSERT INTO ethaudit_internal.aggregate_states VALUES
    ('twosample', 'internal', 'every float8 value of reference and current rows (or every label and score), kept exactly');

INSERT INTO ethaudit_internal.aggregates
    (aggregate, arguments, state, transition, inverse, final, comment) VALUES
    ('psi', 'value double precision, is_reference boolean', 'twosample',
     'twosample_trans', NULL, 'psi_final',
     'Population stability index of current vs reference rows, 10 reference-quantile bins, empty bins as 0.0001.'),
    ('psi', 'value double precision, is_reference boolean, bins integer', 'twosample',
     'twosample_trans_bins', NULL, 'psi_final',
     'Population stability index with the given number of reference-quantile bins (2..10000).'),
    ('psi', 'value double precision, is_reference boolean, binning text', 'twosample',
     'twosample_trans_binning', NULL, 'psi_final',
     'Population stability index with a named binning: ''default'' or ''evidently'' (Evidently 0.7 bins and zero rule).'),
    ('js_divergence', 'value double precision, is_reference boolean', 'twosample',
     'twosample_trans', NULL, 'js_divergence_final',
     'Jensen-Shannon divergence (base 2, in [0,1]) of current vs reference rows over 10 reference-quantile bins.'),
    ('js_divergence', 'value double precision, is_reference boolean, bins integer', 'twosample',
     'twosample_trans_bins', NULL, 'js_divergence_final',
     'Jensen-Shannon divergence (base 2) with the given number of reference-quantile bins (2..10000).'),
    ('js_divergence', 'value double precision, is_reference boolean, binning text', 'twosample',
     'twosample_trans_binning', NULL, 'js_divergence_final',
     'Jensen-Shannon divergence (base 2) with a named binning: ''default'' or ''evidently''.'),
    ('ks_stat', 'value double precision, is_reference boolean', 'twosample',
     'twosample_trans', NULL, 'ks_stat_final',
     'Exact two-sample Kolmogorov-Smirnov statistic D of current vs reference rows (scipy ks_2samp).'),
    ('ks_test', 'value double precision, is_reference boolean', 'twosample',
     'twosample_trans', NULL, 'ks_test_final',
     'Two-sample Kolmogorov-Smirnov test: D, asymptotic two-sided p-value and sample sizes (scipy ks_2samp, method asymp).'),
    ('hellinger', 'value double precision, is_reference boolean', 'twosample',
     'twosample_trans', NULL, 'hellinger_final',
     'Hellinger distance (in [0,1]) of current vs reference rows over 10 reference-quantile bins.'),
    ('hellinger', 'value double precision, is_reference boolean, bins integer', 'twosample',
     'twosample_trans_bins', NULL, 'hellinger_final',
     'Hellinger distance with the given number of reference-quantile bins (2..10000).'),
    ('hellinger', 'value double precision, is_reference boolean, binning text', 'twosample',
     'twosample_trans_binning', NULL, 'hellinger_final',
     'Hellinger distance with a named binning: ''default'' or ''evidently''.'),
    ('kl_divergence', 'value double precision, is_reference boolean', 'twosample',
     'twosample_trans', NULL, 'kl_divergence_final',
     'Kullback-Leibler divergence KL(reference || current) in nats, PSI bins and zero rule, renormalised.'),
    ('kl_divergence', 'value double precision, is_reference boolean, bins integer', 'twosample',
     'twosample_trans_bins', NULL, 'kl_divergence_final',
     'Kullback-Leibler divergence with the given number of reference-quantile bins (2..10000).'),
    ('kl_divergence', 'value double precision, is_reference boolean, binning text', 'twosample',
     'twosample_trans_binning', NULL, 'kl_divergence_final',
     'Kullback-Leibler divergence with a named binning: ''default'' or ''evidently''.'),
    ('wasserstein', 'value double precision, is_reference boolean', 'twosample',
     'twosample_trans', NULL, 'wasserstein_final',
     'First Wasserstein (earth mover''s) distance between current and reference values (scipy wasserstein_distance).'),
    ('wasserstein_normed', 'value double precision, is_reference boolean', 'twosample',
     'twosample_trans', NULL, 'wasserstein_normed_final',
     'Wasserstein distance over the standard deviation of the reference values, floored at 0.001 (Evidently''s normed Wasserstein test; drift at 0.1 and above).'),
    ('roc_auc', 'y_true boolean, y_score double precision', 'twosample',
     'twosample_trans_labeled', NULL, 'roc_auc_final',
     'Area under the ROC curve, exact, ties counted half (scikit-learn roc_auc_score).'),
    ('estimated_roc_auc', 'y_prob double precision', 'twosample',
     'twosample_trans_probability', NULL, 'estimated_roc_auc_final',
     'ROC AUC expected from calibrated probabilities alone (NannyML''s CBPE): each row a positive of weight p and a negative of weight 1 - p.'),
    ('drift_test', 'value double precision, is_reference boolean', 'twosample',
     'twosample_trans_drift', NULL, 'drift_test_final',
     'Drift test of a numeric column chosen as Evidently 0.7 chooses it (ks, chisquare or z up to 1000 reference values; wasserstein or jensenshannon above), with its default threshold and verdict.'),
    ('drift_test', 'value double precision, is_reference boolean, test text', 'twosample',
     'twosample_trans_drift_test', NULL, 'drift_test_final',
     'Drift test of a numeric column with the test named: auto, ks, wasserstein, jensenshannon, chisquare, z or psi.');

SELECT ethaudit_internal.add_integer_label_forms('twosample');
SELECT ethaudit_internal.define_aggregates('twosample');
