-- ====================================================================
-- Category counts: drift of text columns, chi2_test, unseen_categories
--
-- The state counts each category among reference and current rows.
-- ====================================================================

-- -------- the state: transition, combine, serialization, final functions --------

CREATE FUNCTION ethaudit_internal.categorical_trans(internal, text, boolean)
RETURNS internal
AS 'MODULE_PATHNAME', 'categorical_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.categorical_trans(internal, text, boolean) IS
'Transition function of the text drift aggregates: counts each category.';

CREATE FUNCTION ethaudit_internal.categorical_trans_binning(internal, text, boolean, text)
RETURNS internal
AS 'MODULE_PATHNAME', 'categorical_trans_binning'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.categorical_trans_binning(internal, text, boolean, text) IS
'Transition function of psi/js_divergence(value text, is_reference, binning).';

CREATE FUNCTION ethaudit_internal.categorical_combine(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'categorical_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.categorical_combine(internal, internal) IS
'Combine function of the text drift aggregates (parallel aggregation).';

CREATE FUNCTION ethaudit_internal.categorical_serialize(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'categorical_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.categorical_serialize(internal) IS
'Serializes a text drift state for parallel workers (versioned format).';

CREATE FUNCTION ethaudit_internal.categorical_deserialize(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'categorical_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.categorical_deserialize(bytea, internal) IS
'Validates and reads back a serialized text drift state.';

CREATE FUNCTION ethaudit_internal.psi_text_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'psi_text_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.psi_text_final(internal) IS 'Final function of psi over text.';

CREATE FUNCTION ethaudit_internal.js_divergence_text_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'js_divergence_text_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.js_divergence_text_final(internal) IS 'Final function of js_divergence over text.';

CREATE FUNCTION ethaudit_internal.hellinger_text_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'hellinger_text_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.hellinger_text_final(internal) IS 'Final function of hellinger over text.';

CREATE FUNCTION ethaudit_internal.kl_divergence_text_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'kl_divergence_text_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.kl_divergence_text_final(internal) IS 'Final function of kl_divergence over text.';

CREATE TYPE ethaudit.chi2_result AS (
    statistic   double precision,
    p_value     double precision,
    dof         integer,
    n_reference bigint,
    n_current   bigint
);

COMMENT ON TYPE ethaudit.chi2_result IS
'Result of chi2_test: chi-square statistic of the 2 x k table, p-value, degrees of freedom and the sample sizes.';

CREATE FUNCTION ethaudit_internal.chi2_test_final(internal)
RETURNS ethaudit.chi2_result
AS 'MODULE_PATHNAME', 'chi2_test_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.chi2_test_final(internal) IS 'Final function of chi2_test.';

CREATE TYPE ethaudit.unseen_result AS (
    unseen_rows bigint,
    share       double precision
);

COMMENT ON TYPE ethaudit.unseen_result IS
'Result of unseen_categories: current rows whose category never occurs in the reference, and their share of the current rows.';

CREATE FUNCTION ethaudit_internal.unseen_categories_final(internal)
RETURNS ethaudit.unseen_result
AS 'MODULE_PATHNAME', 'unseen_categories_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.unseen_categories_final(internal) IS 'Final function of unseen_categories.';

CREATE FUNCTION ethaudit_internal.categorical_trans_drift(internal, text, boolean)
RETURNS internal
AS 'MODULE_PATHNAME', 'categorical_trans_drift'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.categorical_trans_drift(internal, text, boolean) IS
'Transition function of drift_test over text.';

CREATE FUNCTION ethaudit_internal.categorical_trans_drift_test(internal, text, boolean, text)
RETURNS internal
AS 'MODULE_PATHNAME', 'categorical_trans_drift_test'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.categorical_trans_drift_test(internal, text, boolean, text) IS
'Transition function of drift_test(value, is_reference, test) over text.';

CREATE FUNCTION ethaudit_internal.drift_test_text_final(internal)
RETURNS ethaudit.drift_test_result
AS 'MODULE_PATHNAME', 'drift_test_text_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.drift_test_text_final(internal) IS 'Final function of drift_test over text.';

-- -------- the aggregates --------

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
     'Current rows whose category never occurs in the reference: count and share.'),
    ('drift_test', 'value text, is_reference boolean', 'categorical',
     'categorical_trans_drift', NULL, 'drift_test_text_final',
     'Drift test of a categorical column chosen as Evidently 0.7 chooses it (chisquare or z up to 1000 reference rows, jensenshannon above), with its default threshold and verdict.'),
    ('drift_test', 'value text, is_reference boolean, test text', 'categorical',
     'categorical_trans_drift_test', NULL, 'drift_test_text_final',
     'Drift test of a categorical column with the test named: auto, jensenshannon, chisquare, z or psi.');

SELECT ethaudit_internal.define_aggregates('categorical');
