-- ethaudit 0.2.0 -> 0.3.0 (ALTER EXTENSION ethaudit UPDATE TO '0.3.0').
--
-- Reviewed by hand: every statement keeps the rows of the audit log, the
-- results, the alerts and the configuration (doc/releasing.md); nothing
-- here writes to an evidence or configuration table.  The result must equal
-- a fresh 0.3.0 install, which test/upgrade/run.sh checks.

\echo Use "ALTER EXTENSION ethaudit UPDATE TO '0.3.0'" to load this file. \quit

-- ---------------------------------------------------------------------------
-- Schema ethaudit_internal: what users do not call (src/sql/header.sql).
-- ---------------------------------------------------------------------------

CREATE SCHEMA ethaudit_internal;
COMMENT ON SCHEMA ethaudit_internal IS
'Internals of ethaudit (support functions of its aggregates, triggers, query builders); not an interface: call what schema ethaudit offers.';
GRANT USAGE ON SCHEMA ethaudit_internal TO PUBLIC;

-- ---------------------------------------------------------------------------
-- The functions behind the public objects move there: the support functions
-- of the aggregates and of the state types, triggers and query builders.
-- Their grants and comments move with them; the aggregates, types, triggers
-- and policies that use them keep pointing at them.
-- ---------------------------------------------------------------------------

ALTER FUNCTION ethaudit.absolute_error_trans(internal, double precision, double precision) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.accuracy_score_final(ethaudit.group_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.average_combine(internal, internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.average_deserialize(bytea, internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.average_final(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.average_serialize(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_build_combine(internal, internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_build_deserialize(bytea, internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_build_final(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_build_serialize(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_build_trans(internal, double precision) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_build_trans_bins(internal, double precision, integer) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_combine(ethaudit.baseline, ethaudit.baseline) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_compare_inv(ethaudit.baseline, double precision, ethaudit.baseline) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_compare_inv(ethaudit.baseline, text, ethaudit.baseline) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_compare_trans(ethaudit.baseline, double precision, ethaudit.baseline) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_compare_trans(ethaudit.baseline, text, ethaudit.baseline) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_edges_inv(ethaudit.baseline, double precision, double precision[]) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_edges_trans(ethaudit.baseline, double precision, double precision[]) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_hellinger_final(ethaudit.baseline) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_in(cstring) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_js_final(ethaudit.baseline) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_ks_bounds_final(ethaudit.baseline) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_ks_final(ethaudit.baseline) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_like_inv(ethaudit.baseline, double precision, ethaudit.baseline) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_like_inv(ethaudit.baseline, text, ethaudit.baseline) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_like_trans(ethaudit.baseline, double precision, ethaudit.baseline) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_like_trans(ethaudit.baseline, text, ethaudit.baseline) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_out(ethaudit.baseline) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_psi_final(ethaudit.baseline) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_recv(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_send(ethaudit.baseline) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_state_final(ethaudit.baseline) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_text_inv(ethaudit.baseline, text) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_text_trans(ethaudit.baseline, text) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.brier_trans(internal, boolean, double precision) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.calibration_by_group_final(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.calibration_combine(ethaudit.calibration_counts, ethaudit.calibration_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.calibration_counts_final(ethaudit.calibration_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.calibration_counts_in(cstring) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.calibration_counts_out(ethaudit.calibration_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.calibration_counts_recv(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.calibration_counts_send(ethaudit.calibration_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.calibration_inv(ethaudit.calibration_counts, boolean, double precision) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.calibration_inv_bins(ethaudit.calibration_counts, boolean, double precision, integer) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.calibration_trans(ethaudit.calibration_counts, boolean, double precision) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.calibration_trans_bins(ethaudit.calibration_counts, boolean, double precision, integer) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.categorical_combine(internal, internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.categorical_deserialize(bytea, internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.categorical_serialize(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.categorical_trans(internal, text, boolean) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.categorical_trans_binning(internal, text, boolean, text) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.check_parts(c ethaudit.checks, rel regclass, suffix text, with_time boolean, OUT proj text, OUT value_expr text, OUT usable text, OUT n_reference_expr text, OUT reference_rows boolean) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.chi2_test_final(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.confusion_combine(ethaudit.group_counts, ethaudit.group_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.confusion_inv(ethaudit.group_counts, boolean, boolean, text) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.confusion_inv_min(ethaudit.group_counts, boolean, boolean, text, integer) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.confusion_inv_pooled(ethaudit.group_counts, boolean, boolean) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.confusion_inv_report(ethaudit.group_counts, boolean, boolean, text) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.confusion_inv_report_min(ethaudit.group_counts, boolean, boolean, text, integer) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.confusion_inv_selection(ethaudit.group_counts, boolean, text) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.confusion_inv_selection_pooled(ethaudit.group_counts, boolean) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.confusion_trans(ethaudit.group_counts, boolean, boolean, text) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.confusion_trans_min(ethaudit.group_counts, boolean, boolean, text, integer) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.confusion_trans_pooled(ethaudit.group_counts, boolean, boolean) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.confusion_trans_report(ethaudit.group_counts, boolean, boolean, text) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.confusion_trans_report_min(ethaudit.group_counts, boolean, boolean, text, integer) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.confusion_trans_selection(ethaudit.group_counts, boolean, text) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.confusion_trans_selection_pooled(ethaudit.group_counts, boolean) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.ece_final(ethaudit.calibration_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.ece_gap_final(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.equalized_odds_gap_final(ethaudit.group_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.f1_score_final(ethaudit.group_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.false_negative_rate_final(ethaudit.group_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.false_positive_rate_final(ethaudit.group_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.group_calibration_combine(internal, internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.group_calibration_deserialize(bytea, internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.group_calibration_serialize(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.group_calibration_trans(internal, boolean, double precision, text) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.group_calibration_trans_bins(internal, boolean, double precision, text, integer) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.group_counts_final(ethaudit.group_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.group_counts_in(cstring) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.group_counts_out(ethaudit.group_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.group_counts_recv(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.group_counts_send(ethaudit.group_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.group_fpr_gap_final(ethaudit.group_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.group_report_final(ethaudit.group_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.group_tpr_gap_final(ethaudit.group_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.hellinger_final(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.hellinger_text_final(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.js_divergence_final(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.js_divergence_text_final(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.kl_divergence_final(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.kl_divergence_text_final(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.ks_stat_final(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.ks_test_final(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.log_loss_trans(internal, boolean, double precision) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.mce_final(ethaudit.calibration_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.null_rate_change_final(ethaudit.group_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.null_rate_inv(ethaudit.group_counts, anyelement, boolean) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.null_rate_trans(ethaudit.group_counts, anyelement, boolean) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.precision_score_final(ethaudit.group_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.psi_final(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.psi_text_final(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.roc_auc_final(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.root_average_final(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.selection_rate_final(ethaudit.group_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.selection_rate_gap_final(ethaudit.group_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.selection_rate_ratio_final(ethaudit.group_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.squared_error_trans(internal, double precision, double precision) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.true_positive_rate_final(ethaudit.group_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.twosample_combine(internal, internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.twosample_deserialize(bytea, internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.twosample_serialize(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.twosample_trans(internal, double precision, boolean) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.twosample_trans_binning(internal, double precision, boolean, text) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.twosample_trans_bins(internal, double precision, boolean, integer) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.twosample_trans_labeled(internal, boolean, double precision) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.unseen_categories_final(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.wasserstein_final(internal) SET SCHEMA ethaudit_internal;

-- functions of 0.2.0 that 0.3.0 no longer has
-- @@created
-- created: f ethaudit_internal.define_aggregates(for_state text)
-- created: a ethaudit.hellinger(value text, reference ethaudit.baseline)
-- created: a ethaudit.wasserstein_normed(value double precision, is_reference boolean)
-- created: f ethaudit_internal.wasserstein_normed_final(internal)

-- ---------------------------------------------------------------------------
-- Aggregates as data (src/sql/aggregates.sql): the table of states, the
-- table of aggregates and define_aggregates().
-- ---------------------------------------------------------------------------

CREATE TABLE ethaudit_internal.aggregate_states (
    state       text PRIMARY KEY,
    state_type  regtype NOT NULL,
    description text NOT NULL
);
COMMENT ON TABLE ethaudit_internal.aggregate_states IS
'Internal: the transition states of the aggregates; support functions are named <state>_combine, <state>_serialize, <state>_deserialize.';

CREATE TABLE ethaudit_internal.aggregates (
    aggregate  text NOT NULL,
    arguments  text NOT NULL,
    state      text NOT NULL REFERENCES ethaudit_internal.aggregate_states,
    transition text NOT NULL,
    inverse    text,
    final      text NOT NULL,
    comment    text NOT NULL,
    PRIMARY KEY (aggregate, arguments)
);
COMMENT ON TABLE ethaudit_internal.aggregates IS
'Internal: every aggregate of schema ethaudit, as data (arguments as pg_get_function_arguments prints them; functions in schema ethaudit_internal).';
COMMENT ON COLUMN ethaudit_internal.aggregates.inverse IS
'Inverse transition function: given, the aggregate is also a moving aggregate (sliding window frames).';

GRANT SELECT ON ethaudit_internal.aggregate_states, ethaudit_internal.aggregates TO PUBLIC;

-- Creates the aggregates of one state that do not exist yet, and sets every
-- comment; an upgrade script calls it after inserting new rows.
CREATE FUNCTION ethaudit_internal.define_aggregates(for_state text) RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s ethaudit_internal.aggregate_states;
    a ethaudit_internal.aggregates;
    internal_state boolean;
    created integer := 0;
BEGIN
    SELECT * INTO STRICT s FROM ethaudit_internal.aggregate_states WHERE state = for_state;
    internal_state := s.state_type = 'internal'::regtype;
    FOR a IN SELECT * FROM ethaudit_internal.aggregates WHERE state = for_state ORDER BY aggregate, arguments LOOP
        IF NOT EXISTS (SELECT FROM pg_proc p
                       WHERE p.pronamespace = 'ethaudit'::regnamespace AND p.proname = a.aggregate
                         AND pg_get_function_arguments(p.oid) = a.arguments) THEN
            EXECUTE format('CREATE AGGREGATE ethaudit.%I(%s) (SFUNC = ethaudit_internal.%I, STYPE = %s, '
                           'FINALFUNC = ethaudit_internal.%I, FINALFUNC_MODIFY = READ_ONLY, '
                           'COMBINEFUNC = ethaudit_internal.%I%s%s, PARALLEL = SAFE)',
                           a.aggregate, a.arguments, a.transition, s.state_type, a.final,
                           s.state || '_combine',
                           CASE WHEN internal_state
                                THEN format(', SERIALFUNC = ethaudit_internal.%I, DESERIALFUNC = ethaudit_internal.%I',
                                            s.state || '_serialize', s.state || '_deserialize')
                                ELSE '' END,
                           CASE WHEN a.inverse IS NOT NULL
                                THEN format(', MSFUNC = ethaudit_internal.%I, MINVFUNC = ethaudit_internal.%I, '
                                            'MSTYPE = %s, MFINALFUNC = ethaudit_internal.%I, MFINALFUNC_MODIFY = READ_ONLY',
                                            a.transition, a.inverse, s.state_type, a.final)
                                ELSE '' END);
            created := created + 1;
        END IF;
        EXECUTE format('COMMENT ON AGGREGATE ethaudit.%I(%s) IS %L', a.aggregate, a.arguments, a.comment);
    END LOOP;
    RETURN created;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.define_aggregates(text) IS
'Internal: creates the aggregates of a state listed in ethaudit_internal.aggregates that do not exist yet, and sets their comments; returns how many it created.';
REVOKE ALL ON FUNCTION ethaudit_internal.define_aggregates(text) FROM PUBLIC;

-- ---------------------------------------------------------------------------
-- The rows of every state, as in src/sql/state_*.sql.  define_aggregates()
-- creates the aggregates that 0.2.0 lacks -- hellinger(text, baseline) and
-- wasserstein_normed(double precision, boolean) -- and sets every comment.
-- ---------------------------------------------------------------------------

-- the final function of the new metric wasserstein_normed
CREATE FUNCTION ethaudit_internal.wasserstein_normed_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'wasserstein_normed_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.wasserstein_normed_final(internal) IS 'Final function of wasserstein_normed.';

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
     'Area under the ROC curve, exact, ties counted half (scikit-learn roc_auc_score).');

SELECT ethaudit_internal.define_aggregates('twosample');

INSERT INTO ethaudit_internal.aggregate_states VALUES
    ('categorical', 'internal', 'counts per category of reference and current rows');

INSERT INTO ethaudit_internal.aggregates
    (aggregate, arguments, state, transition, inverse, final, comment) VALUES
    ('psi', 'value text, is_reference boolean', 'categorical',
     'categorical_trans', NULL, 'psi_text_final',
     'Population stability index of a categorical column: one bin per category, empty bins as 0.0001.'),
    ('psi', 'value text, is_reference boolean, binning text', 'categorical',
     'categorical_trans_binning', NULL, 'psi_text_final',
     'Population stability index of a categorical column with a named binning: ''default'' or ''evidently'' (Evidently zero rule).'),
    ('js_divergence', 'value text, is_reference boolean', 'categorical',
     'categorical_trans', NULL, 'js_divergence_text_final',
     'Jensen-Shannon divergence (base 2) of a categorical column, one bin per category.'),
    ('hellinger', 'value text, is_reference boolean', 'categorical',
     'categorical_trans', NULL, 'hellinger_text_final',
     'Hellinger distance of a categorical column, one bin per category.'),
    ('hellinger', 'value text, is_reference boolean, binning text', 'categorical',
     'categorical_trans_binning', NULL, 'hellinger_text_final',
     'Hellinger distance of a categorical column with a named binning (''default'' or ''evidently'', the same bins).'),
    ('kl_divergence', 'value text, is_reference boolean', 'categorical',
     'categorical_trans', NULL, 'kl_divergence_text_final',
     'Kullback-Leibler divergence of a categorical column, empty categories as 0.0001.'),
    ('kl_divergence', 'value text, is_reference boolean, binning text', 'categorical',
     'categorical_trans_binning', NULL, 'kl_divergence_text_final',
     'Kullback-Leibler divergence of a categorical column with a named binning (''evidently'': Evidently zero rule).'),
    ('chi2_test', 'value text, is_reference boolean', 'categorical',
     'categorical_trans', NULL, 'chi2_test_final',
     'Chi-square test of homogeneity of category counts, reference vs current (scipy chi2_contingency).'),
    ('js_divergence', 'value text, is_reference boolean, binning text', 'categorical',
     'categorical_trans_binning', NULL, 'js_divergence_text_final',
     'Jensen-Shannon divergence (base 2) of a categorical column with a named binning (the same bins).'),
    ('unseen_categories', 'value text, is_reference boolean', 'categorical',
     'categorical_trans', NULL, 'unseen_categories_final',
     'Current rows whose category never occurs in the reference: count and share.');

SELECT ethaudit_internal.define_aggregates('categorical');

INSERT INTO ethaudit_internal.aggregate_states VALUES
    ('average', 'internal', 'compensated sum of per-row losses and the row count');

INSERT INTO ethaudit_internal.aggregates
    (aggregate, arguments, state, transition, inverse, final, comment) VALUES
    ('brier_score', 'y_true boolean, y_prob double precision', 'average',
     'brier_trans', NULL, 'average_final',
     'Brier score: mean squared difference between the predicted probability and the outcome.'),
    ('log_loss', 'y_true boolean, y_prob double precision', 'average',
     'log_loss_trans', NULL, 'average_final',
     'Logistic loss in nats, probabilities clipped to [eps, 1 - eps] with eps = 2.22e-16 (scikit-learn 1.2).'),
    ('mae', 'y_true double precision, y_pred double precision', 'average',
     'absolute_error_trans', NULL, 'average_final',
     'Mean absolute error of regression predictions.'),
    ('rmse', 'y_true double precision, y_pred double precision', 'average',
     'squared_error_trans', NULL, 'root_average_final',
     'Root mean squared error of regression predictions.');

SELECT ethaudit_internal.define_aggregates('average');

INSERT INTO ethaudit_internal.aggregate_states VALUES
    ('calibration', 'ethaudit.calibration_counts', 'per probability bin: rows, positive labels, sum of probabilities (storable)');

INSERT INTO ethaudit_internal.aggregates
    (aggregate, arguments, state, transition, inverse, final, comment) VALUES
    ('ece', 'y_true boolean, y_prob double precision', 'calibration',
     'calibration_trans', 'calibration_inv', 'ece_final',
     'Expected calibration error of predicted probabilities, 10 equal-width bins (sklearn calibration_curve bins).'),
    ('ece', 'y_true boolean, y_prob double precision, bins integer', 'calibration',
     'calibration_trans_bins', 'calibration_inv_bins', 'ece_final',
     'Expected calibration error with the given number of equal-width bins (1..10000).'),
    ('max_calibration_error', 'y_true boolean, y_prob double precision', 'calibration',
     'calibration_trans', 'calibration_inv', 'mce_final',
     'Maximum calibration error: the largest |mean(y) - mean(p)| over non-empty bins, 10 equal-width bins.'),
    ('max_calibration_error', 'y_true boolean, y_prob double precision, bins integer', 'calibration',
     'calibration_trans_bins', 'calibration_inv_bins', 'mce_final',
     'Maximum calibration error with the given number of equal-width bins (1..10000).'),
    ('calibration_counts', 'y_true boolean, y_prob double precision', 'calibration',
     'calibration_trans', 'calibration_inv', 'calibration_counts_final',
     'Calibration bins (10) as a storable state, to merge later and evaluate with ece(state).'),
    ('calibration_counts', 'y_true boolean, y_prob double precision, bins integer', 'calibration',
     'calibration_trans_bins', 'calibration_inv_bins', 'calibration_counts_final',
     'Calibration bins (the given number) as a storable state.'),
    ('merge', 'state ethaudit.calibration_counts', 'calibration',
     'calibration_combine', NULL, 'calibration_counts_final',
     'Merges stored calibration counts with the same bins (rollup); equals one pass over all their rows.');

SELECT ethaudit_internal.define_aggregates('calibration');

INSERT INTO ethaudit_internal.aggregate_states VALUES
    ('group_calibration', 'internal', 'calibration bins per group');

INSERT INTO ethaudit_internal.aggregates
    (aggregate, arguments, state, transition, inverse, final, comment) VALUES
    ('calibration_by_group', 'y_true boolean, y_prob double precision, grp text', 'group_calibration',
     'group_calibration_trans', NULL, 'calibration_by_group_final',
     'ECE and maximum calibration error of each group (10 bins), as an array ordered by group.'),
    ('calibration_by_group', 'y_true boolean, y_prob double precision, grp text, bins integer', 'group_calibration',
     'group_calibration_trans_bins', NULL, 'calibration_by_group_final',
     'ECE and maximum calibration error of each group with the given number of bins.'),
    ('ece_gap', 'y_true boolean, y_prob double precision, grp text', 'group_calibration',
     'group_calibration_trans', NULL, 'ece_gap_final',
     'Largest minus smallest per-group ECE (10 bins); NULL with fewer than two groups.'),
    ('ece_gap', 'y_true boolean, y_prob double precision, grp text, bins integer', 'group_calibration',
     'group_calibration_trans_bins', NULL, 'ece_gap_final',
     'Largest minus smallest per-group ECE with the given number of bins.');

SELECT ethaudit_internal.define_aggregates('group_calibration');

INSERT INTO ethaudit_internal.aggregate_states VALUES
    ('confusion', 'ethaudit.group_counts', 'TP, FN, FP, TN per group (storable)');

INSERT INTO ethaudit_internal.aggregates
    (aggregate, arguments, state, transition, inverse, final, comment) VALUES
    ('group_tpr_gap', 'y_true boolean, y_pred boolean, grp text', 'confusion',
     'confusion_trans', 'confusion_inv', 'group_tpr_gap_final',
     'Equal-opportunity difference: max minus min true positive rate over groups with at least one positive.'),
    ('group_tpr_gap', 'y_true boolean, y_pred boolean, grp text, min_positives integer', 'confusion',
     'confusion_trans_min', 'confusion_inv_min', 'group_tpr_gap_final',
     'Equal-opportunity difference over groups with at least min_positives positives.'),
    ('group_fpr_gap', 'y_true boolean, y_pred boolean, grp text', 'confusion',
     'confusion_trans', 'confusion_inv', 'group_fpr_gap_final',
     'Largest minus smallest false positive rate over groups with at least one negative.'),
    ('equalized_odds_gap', 'y_true boolean, y_pred boolean, grp text', 'confusion',
     'confusion_trans', 'confusion_inv', 'equalized_odds_gap_final',
     'Equalized odds difference: the larger of the TPR gap and the FPR gap between groups.'),
    ('selection_rate_gap', 'y_pred boolean, grp text', 'confusion',
     'confusion_trans_selection', 'confusion_inv_selection', 'selection_rate_gap_final',
     'Demographic parity difference: largest minus smallest share of positive predictions over groups.'),
    ('selection_rate_ratio', 'y_pred boolean, grp text', 'confusion',
     'confusion_trans_selection', 'confusion_inv_selection', 'selection_rate_ratio_final',
     'Demographic parity ratio: smallest over largest selection rate (the four-fifths rule number).'),
    ('group_report', 'y_true boolean, y_pred boolean, grp text', 'confusion',
     'confusion_trans_report', 'confusion_inv_report', 'group_report_final',
     'Per-group counts and rates (TPR, FPR, FNR, selection rate) with Wilson 95% intervals; groups under 30 rows flagged.'),
    ('group_report', 'y_true boolean, y_pred boolean, grp text, min_size integer', 'confusion',
     'confusion_trans_report_min', 'confusion_inv_report_min', 'group_report_final',
     'Per-group counts and rates with Wilson 95% intervals; groups under min_size rows flagged.'),
    ('true_positive_rate', 'y_true boolean, y_pred boolean', 'confusion',
     'confusion_trans_pooled', 'confusion_inv_pooled', 'true_positive_rate_final',
     'True positive rate (recall) TP / (TP + FN); NULL without positives.'),
    ('false_positive_rate', 'y_true boolean, y_pred boolean', 'confusion',
     'confusion_trans_pooled', 'confusion_inv_pooled', 'false_positive_rate_final',
     'False positive rate FP / (FP + TN); NULL without negatives.'),
    ('false_negative_rate', 'y_true boolean, y_pred boolean', 'confusion',
     'confusion_trans_pooled', 'confusion_inv_pooled', 'false_negative_rate_final',
     'False negative rate FN / (FN + TP); NULL without positives.'),
    ('recall_score', 'y_true boolean, y_pred boolean', 'confusion',
     'confusion_trans_pooled', 'confusion_inv_pooled', 'true_positive_rate_final',
     'Recall TP / (TP + FN), the true positive rate; NULL without positives.'),
    ('precision_score', 'y_true boolean, y_pred boolean', 'confusion',
     'confusion_trans_pooled', 'confusion_inv_pooled', 'precision_score_final',
     'Precision TP / (TP + FP); NULL without positive predictions.'),
    ('accuracy_score', 'y_true boolean, y_pred boolean', 'confusion',
     'confusion_trans_pooled', 'confusion_inv_pooled', 'accuracy_score_final',
     'Accuracy (TP + TN) / n.'),
    ('f1_score', 'y_true boolean, y_pred boolean', 'confusion',
     'confusion_trans_pooled', 'confusion_inv_pooled', 'f1_score_final',
     'F1 score 2 TP / (2 TP + FP + FN); NULL when TP, FP and FN are all 0.'),
    ('selection_rate', 'y_pred boolean', 'confusion',
     'confusion_trans_selection_pooled', 'confusion_inv_selection_pooled', 'selection_rate_final',
     'Share of positive predictions.'),
    ('group_counts', 'y_true boolean, y_pred boolean, grp text', 'confusion',
     'confusion_trans', 'confusion_inv', 'group_counts_final',
     'TP, FN, FP, TN per group as a storable state (e.g. one row per hour), to merge later and evaluate with the scalar fairness functions.'),
    ('merge', 'state ethaudit.group_counts', 'confusion',
     'confusion_combine', NULL, 'group_counts_final',
     'Merges stored group counts (rollup); equals one pass over all their rows.'),
    ('null_rate_change', 'value anyelement, is_reference boolean', 'confusion',
     'null_rate_trans', 'null_rate_inv', 'null_rate_change_final',
     'Share of NULL values among current rows minus that among reference rows.');

SELECT ethaudit_internal.define_aggregates('confusion');

INSERT INTO ethaudit_internal.aggregate_states VALUES
    ('baseline_build', 'internal', 'reference values kept until the quantile edges of a baseline are known');

INSERT INTO ethaudit_internal.aggregates
    (aggregate, arguments, state, transition, inverse, final, comment) VALUES
    ('baseline', 'value double precision', 'baseline_build',
     'baseline_build_trans', NULL, 'baseline_build_final',
     'Baseline of a numeric column: 10 bins at the exact deciles of the values (as psi builds them), counts, NaN/NULL counts, min, max, mean, variance.'),
    ('baseline', 'value double precision, bins integer', 'baseline_build',
     'baseline_build_trans_bins', NULL, 'baseline_build_final',
     'Baseline of a numeric column with the given number of quantile bins (2 to 10000).');

SELECT ethaudit_internal.define_aggregates('baseline_build');

INSERT INTO ethaudit_internal.aggregate_states VALUES
    ('baseline', 'ethaudit.baseline', 'counts over fixed bins or per category, with NULL/NaN counts and moments (storable)');

INSERT INTO ethaudit_internal.aggregates
    (aggregate, arguments, state, transition, inverse, final, comment) VALUES
    ('baseline', 'value double precision, edges double precision[]', 'baseline',
     'baseline_edges_trans', 'baseline_edges_inv', 'baseline_state_final',
     'Baseline of a numeric column over the given inner edges (right-closed bins); one pass, constant memory.'),
    ('baseline', 'value text', 'baseline',
     'baseline_text_trans', 'baseline_text_inv', 'baseline_state_final',
     'Baseline of a categorical column: counts per category.'),
    ('baseline', 'value double precision, reference ethaudit.baseline', 'baseline',
     'baseline_like_trans', 'baseline_like_inv', 'baseline_state_final',
     'The current rows counted over a reference baseline''s bins: a state to store (e.g. per hour) and merge later.'),
    ('baseline', 'value text, reference ethaudit.baseline', 'baseline',
     'baseline_like_trans', 'baseline_like_inv', 'baseline_state_final',
     'The current rows counted per category, to store and merge later and compare with a categorical reference.'),
    ('merge', 'state ethaudit.baseline', 'baseline',
     'baseline_combine', NULL, 'baseline_state_final',
     'Merges baselines counted over the same bins (rollup of stored states); equals one pass over all their rows.'),
    ('psi', 'value double precision, reference ethaudit.baseline', 'baseline',
     'baseline_compare_trans', 'baseline_compare_inv', 'baseline_psi_final',
     'PSI of the current rows against a stored baseline, over its bins; equals psi(value, is_reference) when the baseline was built from the reference rows.'),
    ('psi', 'value text, reference ethaudit.baseline', 'baseline',
     'baseline_compare_trans', 'baseline_compare_inv', 'baseline_psi_final',
     'PSI of current categories against a stored categorical baseline.'),
    ('js_divergence', 'value double precision, reference ethaudit.baseline', 'baseline',
     'baseline_compare_trans', 'baseline_compare_inv', 'baseline_js_final',
     'Jensen-Shannon divergence (base 2) of the current rows against a stored baseline.'),
    ('js_divergence', 'value text, reference ethaudit.baseline', 'baseline',
     'baseline_compare_trans', 'baseline_compare_inv', 'baseline_js_final',
     'Jensen-Shannon divergence (base 2) of current categories against a stored categorical baseline.'),
    ('hellinger', 'value double precision, reference ethaudit.baseline', 'baseline',
     'baseline_compare_trans', 'baseline_compare_inv', 'baseline_hellinger_final',
     'Hellinger distance of the current rows against a stored baseline.'),
    ('hellinger', 'value text, reference ethaudit.baseline', 'baseline',
     'baseline_compare_trans', 'baseline_compare_inv', 'baseline_hellinger_final',
     'Hellinger distance of current categories against a stored categorical baseline.'),
    ('ks_stat', 'value double precision, reference ethaudit.baseline', 'baseline',
     'baseline_compare_trans', 'baseline_compare_inv', 'baseline_ks_final',
     'KS statistic at the baseline''s bin edges: a lower bound on the exact D (see ks_bounds).'),
    ('ks_bounds', 'value double precision, reference ethaudit.baseline', 'baseline',
     'baseline_compare_trans', 'baseline_compare_inv', 'baseline_ks_bounds_final',
     'Lower and upper bound on the exact KS statistic when the reference is known only by its bins.');

SELECT ethaudit_internal.define_aggregates('baseline');

-- ---------------------------------------------------------------------------
-- The catalog of metrics as a table (src/sql/metric_catalog.sql);
-- metric_catalog shows it, with the same columns as in 0.2.0.
-- ---------------------------------------------------------------------------

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
'Keys of checks.params passed as the last argument: the first one present (integers as numbers, others as text).';
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
    ('group_fpr_gap', 'fairness', NULL, 'boolean', 'prediction', true, false, 'above', '{cutoff}',
     'largest difference in false positive rate between groups',
     'aggregate', 'group_fpr_gap', NULL, '{y,p,g}', '{}', NULL, false, NULL),
    ('equalized_odds_gap', 'fairness', NULL, 'boolean', 'prediction', true, false, 'above', '{cutoff}',
     'larger of the TPR and FPR gaps between groups',
     'aggregate', 'equalized_odds_gap', NULL, '{y,p,g}', '{}', NULL, false, NULL),
    ('selection_rate_gap', 'fairness', NULL, NULL, 'prediction', true, false, 'above', '{cutoff}',
     'largest difference in selection rate between groups (demographic parity)',
     'aggregate', 'selection_rate_gap', NULL, '{p,g}', '{}', NULL, false, NULL),
    ('selection_rate_ratio', 'fairness', NULL, NULL, 'prediction', true, false, 'below', '{cutoff}',
     'smallest over largest selection rate between groups (disparate impact)',
     'aggregate', 'selection_rate_ratio', NULL, '{p,g}', '{}', NULL, false, NULL),
    ('ece_gap', 'fairness', NULL, 'boolean', 'probability', true, false, 'above', '{bins}',
     'largest difference in expected calibration error between groups',
     'aggregate', 'ece_gap', NULL, '{y,p,g}', '{bins}', NULL, false, NULL);

CREATE OR REPLACE VIEW ethaudit.metric_catalog AS
SELECT m.metric, m.family, m.value_kinds, m.label_type, m.probability_type, m.needs_group,
       m.needs_reference,
       m.baseline_shape IS NOT NULL
       OR EXISTS (SELECT FROM ethaudit_internal.aggregates a
                  WHERE a.aggregate = m.aggregate AND a.arguments LIKE '%reference ethaudit.baseline') AS baseline_capable,
       m.default_direction, m.params, m.description
FROM ethaudit_internal.metrics m;

-- CREATE OR REPLACE VIEW resets the options: security_invoker again, as
-- src/sql/views.sql sets it
DO $$
BEGIN
    IF pg_catalog.current_setting('server_version_num')::integer >= 150000 THEN
        ALTER VIEW ethaudit.metric_catalog SET (security_invoker = true);
    END IF;
END
$$;

-- ---------------------------------------------------------------------------
-- Functions whose text changed: they name the moved functions in their new
-- schema, and check_parts() builds the query of a check from the catalog.
-- ---------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION ethaudit.batch_query(cs ethaudit.checks[], rel regclass, batch_relation text)
 RETURNS text
 LANGUAGE plpgsql
 STABLE PARALLEL SAFE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    parts record;
    projs text[] := '{}';
    aggs text[] := '{}';
    vals text[] := '{}';
    ns text[] := '{}';
    refs text[] := '{}';
    firsts text[] := '{}';
    lasts text[] := '{}';
    times name[] := '{}';
    k integer;
    t integer;
BEGIN
    FOR k IN 1 .. cardinality(cs) LOOP
        -- each time column is projected, and its bounds computed, once
        t := array_position(times, cs[k].time_column);
        IF t IS NULL THEN
            times := times || cs[k].time_column;
            t := cardinality(times);
            projs := projs || format('src.%I AS %I', cs[k].time_column, 'time_' || t);
            aggs := aggs || format('min(%I)::timestamptz AS %I, max(%I)::timestamptz AS %I',
                                   'time_' || t, 'first_' || t, 'time_' || t, 'last_' || t);
        END IF;
        parts := ethaudit_internal.check_parts(cs[k], rel, '_' || k, false);
        IF parts.reference_rows OR cs[k].version IS NOT NULL THEN
            RAISE EXCEPTION 'check % cannot share a scan', cs[k].check_name USING ERRCODE = 'internal_error';
        END IF;
        projs := projs || parts.proj;
        aggs := aggs || format('(%s)::float8 AS %I, count(*) FILTER (WHERE %s) AS %I',
                               parts.value_expr, 'value_' || k, parts.usable, 'n_' || k);
        vals := vals || format('%I', 'value_' || k);
        ns := ns || format('%I', 'n_' || k);
        refs := refs || parts.n_reference_expr;
        firsts := firsts || format('%I', 'first_' || t);
        lasts := lasts || format('%I', 'last_' || t);
    END LOOP;
    RETURN format('SELECT ARRAY[%s]::float8[], ARRAY[%s]::bigint[], ARRAY[%s]::bigint[], '
                  'ARRAY[%s]::timestamptz[], ARRAY[%s]::timestamptz[], agg.batch_rows '
                  'FROM (SELECT %s, count(*) AS batch_rows FROM (SELECT %s, false AS r FROM %I AS src) AS s) AS agg',
                  array_to_string(vals, ', '), array_to_string(ns, ', '), array_to_string(refs, ', '),
                  array_to_string(firsts, ', '), array_to_string(lasts, ', '),
                  array_to_string(aggs, ', '), array_to_string(projs, ', '), batch_relation);
END
$function$;

CREATE OR REPLACE FUNCTION ethaudit_internal.check_parts(c ethaudit.checks, rel regclass, suffix text DEFAULT ''::text, with_time boolean DEFAULT true, OUT proj text, OUT value_expr text, OUT usable text, OUT n_reference_expr text, OUT reference_rows boolean)
 RETURNS record
 LANGUAGE plpgsql
 STABLE PARALLEL SAFE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    m ethaudit_internal.metrics;
    cols record;
    opt text := '';
    ref_arg text := 's.r';
    baseline text;
    categories text[];
    lookup text;
    args text[] := '{}';
    col text;
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
    -- the option argument: the first of the metric's options present in params
    FOREACH key IN ARRAY m.options LOOP
        IF c.params ? key THEN
            opt := CASE WHEN key = 'binning' THEN format(', %L', c.params->>key)
                        ELSE format(', %s', (c.params->>key)::integer) END;
            EXIT;
        END IF;
    END LOOP;

    -- which rows are usable (counted in n_current and n_reference): those
    -- without a NULL in a column the metric reads, and against a reference
    -- without a NaN value (the drift aggregates skip NaN)
    IF m.counts_every_row THEN
        usable := 'true';
    ELSE
        FOREACH col IN ARRAY m.reads LOOP
            CONTINUE WHEN col = 'reference';
            args := args || CASE col WHEN 'v' THEN v WHEN 'y' THEN y WHEN 'p' THEN p ELSE g END;
        END LOOP;
        SELECT string_agg(format('%s IS NOT NULL', a), ' AND ') INTO usable FROM unnest(args) a;
        IF m.needs_reference AND cols.value_kind = 'numeric' THEN
            usable := usable || format(' AND %s <> ''NaN''::float8', v);
        END IF;
    END IF;

    IF m.baseline_shape = 'category_lookup' AND c.reference_kind = 'baseline' THEN
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
    ELSIF m.shape = 'row_share' THEN
        value_expr := format('count(*) FILTER (WHERE %s)::float8 / nullif(%s, 0)',
                             format(m.row_condition, v, y, p, g),
                             CASE WHEN m.counts_every_row THEN 'count(*)'
                                  ELSE format('count(*) FILTER (WHERE %s)', usable) END);
    ELSE
        SELECT string_agg(CASE a WHEN 'v' THEN v WHEN 'y' THEN y WHEN 'p' THEN p WHEN 'g' THEN g
                                 ELSE ref_arg END,
                          ', ' ORDER BY o)
        INTO value_expr FROM unnest(m.reads) WITH ORDINALITY AS r(a, o);
        value_expr := format('ethaudit.%I(%s%s)', m.aggregate, value_expr, opt);
        IF m.result_field IS NOT NULL THEN
            value_expr := format('(%s).%I', value_expr, m.result_field);
        END IF;
    END IF;
    IF reference_rows THEN
        n_reference_expr := format('count(*) FILTER (WHERE s.r AND (%s))', usable);
    END IF;
END
$function$;

CREATE OR REPLACE FUNCTION ethaudit.check_query(c ethaudit.checks, rel regclass, batch_relation text DEFAULT NULL::text)
 RETURNS text
 LANGUAGE plpgsql
 STABLE PARALLEL SAFE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    parts record;
    ver text := '';
    t text := format('src.%I', c.time_column);
    cur text;
    ref text;
BEGIN
    parts := ethaudit_internal.check_parts(c, rel);
    IF c.version IS NOT NULL THEN
        ver := format(' AND %s = %L', ethaudit.text_of(rel, c.version_column), c.version);
    END IF;

    -- the current sample
    IF batch_relation IS NOT NULL THEN
        cur := format('SELECT %s, false AS r FROM %I AS src WHERE true%s', parts.proj, batch_relation, ver);
    ELSIF c.window_rows IS NOT NULL THEN
        cur := format('SELECT %s, false AS r FROM %s AS src WHERE %s < $2%s ORDER BY 5 DESC LIMIT %s',
                      parts.proj, rel, t, ver, c.window_rows);
    ELSIF c.window_size IS NOT NULL THEN
        cur := format('SELECT %s, false AS r FROM %s AS src WHERE %s >= $1 AND %s < $2%s', parts.proj, rel, t, t, ver);
    ELSE
        RAISE EXCEPTION 'check % is evaluated per inserted batch and has no window', c.check_name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Set window_size or window_rows to evaluate it over a window too.';
    END IF;

    -- the reference sample
    IF c.reference_kind = 'fixed' OR (c.reference_kind = 'preceding' AND c.window_rows IS NULL) THEN
        ref := format('SELECT %s, true AS r FROM %s AS src WHERE %s >= $3 AND %s < $4%s', parts.proj, rel, t, t, ver);
    ELSIF c.reference_kind = 'preceding' AND batch_relation IS NOT NULL THEN
        ref := format('SELECT %s, true AS r FROM %s AS src WHERE %s < $4%s ORDER BY 5 DESC LIMIT %s',
                      parts.proj, rel, t, ver, coalesce(c.reference_rows, c.window_rows));
    ELSIF c.reference_kind = 'preceding' THEN
        ref := format('SELECT %s, true AS r FROM %s AS src WHERE %s < $2%s ORDER BY 5 DESC OFFSET %s LIMIT %s',
                      parts.proj, rel, t, ver, c.window_rows, coalesce(c.reference_rows, c.window_rows));
    END IF;

    RETURN format(
        'SELECT (%s)::float8 AS value, count(*) FILTER (WHERE NOT s.r AND (%s)) AS n_current, %s AS n_reference, '
        'min(s.t) FILTER (WHERE NOT s.r)::timestamptz AS first_time, max(s.t) FILTER (WHERE NOT s.r)::timestamptz AS last_time, '
        'min(s.t) FILTER (WHERE s.r)::timestamptz AS ref_first, max(s.t) FILTER (WHERE s.r)::timestamptz AS ref_last '
        'FROM ((%s)%s) AS s',
        parts.value_expr, parts.usable, parts.n_reference_expr, cur,
        CASE WHEN ref IS NULL THEN '' ELSE format(' UNION ALL (%s)', ref) END);
END
$function$;

-- comments that changed
COMMENT ON FUNCTION ethaudit_internal.check_parts(c ethaudit.checks, rel regclass, suffix text, with_time boolean, OUT proj text, OUT value_expr text, OUT usable text, OUT n_reference_expr text, OUT reference_rows boolean) IS
'Internal: the pieces of the query of a check, from the metric''s row of ethaudit_internal.metrics: the projection of its columns (validated against the catalogs, quoted with format(%I)), the metric expression, which rows are usable, and how the reference is counted.';
