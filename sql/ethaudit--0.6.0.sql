-- ethaudit: drift, calibration and fairness audits of prediction logs, in SQL.
--
-- This script is assembled by `make` from the files of src/sql/, one file
-- per concern, in the order the Makefile lists them.

\echo Use "CREATE EXTENSION ethaudit" to load this file. \quit

-- What users call and read lives in schema ethaudit; the functions behind it
-- (transition and final functions, triggers, query builders) live in
-- ethaudit_internal.  It is not a security boundary: its functions keep
-- their own grants, and USAGE lets the public functions reach them.
CREATE SCHEMA ethaudit_internal;
COMMENT ON SCHEMA ethaudit_internal IS
'Internals of ethaudit (support functions of its aggregates, triggers, query builders); not an interface: call what schema ethaudit offers.';
GRANT USAGE ON SCHEMA ethaudit_internal TO PUBLIC;
-- ====================================================================
-- Aggregates as data
--
-- Every aggregate of schema ethaudit is one row of
-- ethaudit_internal.aggregates: its name and arguments, the state it
-- accumulates, its transition, inverse and final functions, its comment.
-- The state decides the rest (transition type, combine function,
-- serialization), by the naming convention of the support functions:
-- <state>_combine, and for an internal state <state>_serialize and
-- <state>_deserialize.  define_aggregates() creates the aggregates of a
-- state from its rows, so every aggregate is parallel safe, combinable,
-- usable OVER (...) and, over a concrete state, a moving aggregate.
--
-- Each state file (state_*.sql) defines the support functions once, then
-- inserts its rows, adds their integer-label forms (add_integer_label_forms)
-- and calls define_aggregates().
-- ====================================================================

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

-- The integer forms of the aggregates that read boolean labels or
-- predictions (arguments y_true, y_pred): one row for every combination of
-- bigint in their place, e.g. accuracy_score(y_true bigint, y_pred boolean),
-- so that 0/1 columns of any integer type are read as they are (smallint
-- and integer cast to bigint implicitly).  Their support functions are
-- <function>_int (integer_labels.c), declared here with the form's types.
CREATE FUNCTION ethaudit_internal.add_integer_label_forms(for_state text) RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s ethaudit_internal.aggregate_states;
    a ethaudit_internal.aggregates;
    labels text[];
    form integer;
    args text;
    types text;
    fn text;
    added integer := 0;
BEGIN
    SELECT * INTO STRICT s FROM ethaudit_internal.aggregate_states WHERE state = for_state;
    FOR a IN SELECT * FROM ethaudit_internal.aggregates x
             WHERE x.state = for_state AND x.arguments ~ '\m(y_true|y_pred) boolean' AND x.transition !~ '_int$'
             ORDER BY x.aggregate, x.arguments LOOP
        labels := ARRAY(SELECT m[1] FROM regexp_matches(a.arguments, '\m(y_true|y_pred) boolean', 'g') AS m);
        FOR form IN 1 .. (1 << cardinality(labels)) - 1 LOOP
            args := a.arguments;
            FOR i IN 1 .. cardinality(labels) LOOP
                IF form & (1 << (i - 1)) <> 0 THEN
                    args := replace(args, labels[i] || ' boolean', labels[i] || ' bigint');
                END IF;
            END LOOP;
            INSERT INTO ethaudit_internal.aggregates
            VALUES (a.aggregate, args, a.state, a.transition || '_int',
                    CASE WHEN a.inverse IS NOT NULL THEN a.inverse || '_int' END, a.final,
                    a.comment || ' Integer labels and predictions: 0 or 1.')
            ON CONFLICT DO NOTHING;
            IF FOUND THEN
                added := added + 1;
            END IF;
            -- the support functions, with the argument types of this form
            -- ("y_true bigint, y_prob double precision" -> "bigint, double precision")
            types := (SELECT string_agg(substr(x, strpos(x, ' ') + 1), ', ')
                      FROM regexp_split_to_table(args, ', ') AS x);
            FOREACH fn IN ARRAY ARRAY[a.transition, a.inverse] LOOP
                CONTINUE WHEN fn IS NULL OR pg_catalog.to_regprocedure(
                    format('ethaudit_internal.%I(%s, %s)', fn || '_int', s.state_type, types)) IS NOT NULL;
                EXECUTE format('CREATE FUNCTION ethaudit_internal.%I(%s, %s) RETURNS %s '
                               'AS %L, %L LANGUAGE C IMMUTABLE PARALLEL SAFE',
                               fn || '_int', s.state_type, types, s.state_type, 'MODULE_PATHNAME', fn || '_int');
                EXECUTE format('COMMENT ON FUNCTION ethaudit_internal.%I(%s, %s) IS %L', fn || '_int', s.state_type, types,
                               format('%s with integer labels: checks that they are 0 or 1 (22023), then does what %s does.',
                                      CASE WHEN fn = a.inverse THEN 'Inverse transition function' ELSE 'Transition function' END, fn));
            END LOOP;
        END LOOP;
    END LOOP;
    RETURN added;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.add_integer_label_forms(text) IS
'Internal: adds to ethaudit_internal.aggregates the integer-label forms of the aggregates of a state that read boolean y_true or y_pred (every combination of bigint in their place) that are not there yet, and creates their support functions <function>_int; returns how many forms it added. Run before define_aggregates().';
REVOKE ALL ON FUNCTION ethaudit_internal.add_integer_label_forms(text) FROM PUBLIC;

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
     'Area under the ROC curve, exact, ties counted half (scikit-learn roc_auc_score).');

SELECT ethaudit_internal.add_integer_label_forms('twosample');
SELECT ethaudit_internal.define_aggregates('twosample');
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
     'Current rows whose category never occurs in the reference: count and share.');

SELECT ethaudit_internal.define_aggregates('categorical');
-- ====================================================================
-- Compensated averages: brier_score, log_loss, mae, rmse
--
-- The state is a compensated sum of per-row losses and its row count.
-- ====================================================================

-- -------- the state: transition, combine, serialization, final functions --------

CREATE FUNCTION ethaudit_internal.brier_trans(internal, boolean, double precision)
RETURNS internal
AS 'MODULE_PATHNAME', 'brier_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.brier_trans(internal, boolean, double precision) IS
'Transition function of brier_score: adds (p - y)^2.';

CREATE FUNCTION ethaudit_internal.log_loss_trans(internal, boolean, double precision)
RETURNS internal
AS 'MODULE_PATHNAME', 'log_loss_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.log_loss_trans(internal, boolean, double precision) IS
'Transition function of log_loss: adds -log of the probability given to the true class.';

CREATE FUNCTION ethaudit_internal.absolute_error_trans(internal, double precision, double precision)
RETURNS internal
AS 'MODULE_PATHNAME', 'absolute_error_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.absolute_error_trans(internal, double precision, double precision) IS
'Transition function of mae: adds |y_true - y_pred|.';

CREATE FUNCTION ethaudit_internal.squared_error_trans(internal, double precision, double precision)
RETURNS internal
AS 'MODULE_PATHNAME', 'squared_error_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.squared_error_trans(internal, double precision, double precision) IS
'Transition function of rmse: adds (y_true - y_pred)^2.';

CREATE FUNCTION ethaudit_internal.average_combine(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'average_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.average_combine(internal, internal) IS
'Combine function of the averaged losses (parallel aggregation).';

CREATE FUNCTION ethaudit_internal.average_serialize(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'average_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.average_serialize(internal) IS
'Serializes an averaged-loss state for parallel workers (versioned format).';

CREATE FUNCTION ethaudit_internal.average_deserialize(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'average_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.average_deserialize(bytea, internal) IS
'Validates and reads back a serialized averaged-loss state.';

CREATE FUNCTION ethaudit_internal.average_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'average_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.average_final(internal) IS 'Final function of the averaged losses: the mean.';

CREATE FUNCTION ethaudit_internal.root_average_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'root_average_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.root_average_final(internal) IS 'Final function of rmse: the root of the mean.';

-- -------- the aggregates --------

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

SELECT ethaudit_internal.add_integer_label_forms('average');
SELECT ethaudit_internal.define_aggregates('average');
-- ====================================================================
-- Calibration bins: ece, max_calibration_error, calibration_counts
--
-- Counts, label sums and probability sums per probability bin; the state
-- is storable (ethaudit.calibration_counts): build it, merge it, evaluate it.
-- ====================================================================

-- -------- the state: transition, combine, serialization, final functions --------

CREATE TYPE ethaudit.calibration_counts;

CREATE FUNCTION ethaudit_internal.calibration_counts_in(cstring) RETURNS ethaudit.calibration_counts
AS 'MODULE_PATHNAME', 'calibration_counts_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.calibration_counts_in(cstring) IS 'Input function of ethaudit.calibration_counts (JSON).';

CREATE FUNCTION ethaudit_internal.calibration_counts_out(ethaudit.calibration_counts) RETURNS cstring
AS 'MODULE_PATHNAME', 'calibration_counts_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.calibration_counts_out(ethaudit.calibration_counts) IS 'Output function of ethaudit.calibration_counts (JSON).';

CREATE FUNCTION ethaudit_internal.calibration_counts_recv(internal) RETURNS ethaudit.calibration_counts
AS 'MODULE_PATHNAME', 'calibration_counts_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.calibration_counts_recv(internal) IS 'Binary input function of ethaudit.calibration_counts (validated).';

CREATE FUNCTION ethaudit_internal.calibration_counts_send(ethaudit.calibration_counts) RETURNS bytea
AS 'MODULE_PATHNAME', 'calibration_counts_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.calibration_counts_send(ethaudit.calibration_counts) IS 'Binary output function of ethaudit.calibration_counts.';

CREATE TYPE ethaudit.calibration_counts (
    INPUT = ethaudit_internal.calibration_counts_in,
    OUTPUT = ethaudit_internal.calibration_counts_out,
    RECEIVE = ethaudit_internal.calibration_counts_recv,
    SEND = ethaudit_internal.calibration_counts_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);

COMMENT ON TYPE ethaudit.calibration_counts IS
'Per calibration bin: rows, positives and the exact sum of predicted probabilities; the state of ece and max_calibration_error, storable and mergeable. Text form: JSON.';

CREATE FUNCTION ethaudit_internal.calibration_trans(ethaudit.calibration_counts, boolean, double precision)
RETURNS ethaudit.calibration_counts
AS 'MODULE_PATHNAME', 'calibration_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.calibration_trans(ethaudit.calibration_counts, boolean, double precision) IS
'Transition function of ece: per-bin counts, positives and exact probability sums.';

CREATE FUNCTION ethaudit_internal.calibration_inv(ethaudit.calibration_counts, boolean, double precision)
RETURNS ethaudit.calibration_counts
AS 'MODULE_PATHNAME', 'calibration_inv'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.calibration_inv(ethaudit.calibration_counts, boolean, double precision) IS
'Inverse transition function of the aggregates using calibration_trans, for moving window frames.';

CREATE FUNCTION ethaudit_internal.calibration_trans_bins(ethaudit.calibration_counts, boolean, double precision, integer)
RETURNS ethaudit.calibration_counts
AS 'MODULE_PATHNAME', 'calibration_trans_bins'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.calibration_trans_bins(ethaudit.calibration_counts, boolean, double precision, integer) IS
'Transition function of ece(y_true, y_prob, bins).';

CREATE FUNCTION ethaudit_internal.calibration_inv_bins(ethaudit.calibration_counts, boolean, double precision, integer)
RETURNS ethaudit.calibration_counts
AS 'MODULE_PATHNAME', 'calibration_inv_bins'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.calibration_inv_bins(ethaudit.calibration_counts, boolean, double precision, integer) IS
'Inverse transition function of the aggregates using calibration_trans_bins, for moving window frames.';

CREATE FUNCTION ethaudit_internal.calibration_combine(ethaudit.calibration_counts, ethaudit.calibration_counts)
RETURNS ethaudit.calibration_counts
AS 'MODULE_PATHNAME', 'calibration_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.calibration_combine(ethaudit.calibration_counts, ethaudit.calibration_counts) IS
'Adds two calibration counts: the combine function of ece and the transition of merge.';

CREATE FUNCTION ethaudit_internal.ece_final(ethaudit.calibration_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ece_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.ece_final(ethaudit.calibration_counts) IS 'Final function of ece.';

CREATE FUNCTION ethaudit_internal.mce_final(ethaudit.calibration_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'mce_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.mce_final(ethaudit.calibration_counts) IS 'Final function of max_calibration_error.';

CREATE FUNCTION ethaudit_internal.calibration_counts_final(ethaudit.calibration_counts)
RETURNS ethaudit.calibration_counts
AS 'MODULE_PATHNAME', 'calibration_counts_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.calibration_counts_final(ethaudit.calibration_counts) IS
'Final function returning the calibration counts state itself.';

CREATE FUNCTION ethaudit.ece(state ethaudit.calibration_counts) RETURNS double precision
AS 'MODULE_PATHNAME', 'ece_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.ece(ethaudit.calibration_counts) IS 'Expected calibration error of stored calibration counts.';

CREATE FUNCTION ethaudit.max_calibration_error(state ethaudit.calibration_counts) RETURNS double precision
AS 'MODULE_PATHNAME', 'mce_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.max_calibration_error(ethaudit.calibration_counts) IS 'Maximum calibration error of stored calibration counts.';

-- -------- the aggregates --------

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

SELECT ethaudit_internal.add_integer_label_forms('calibration');
SELECT ethaudit_internal.define_aggregates('calibration');
-- ====================================================================
-- Calibration bins per group: calibration_by_group, ece_gap
-- ====================================================================

-- -------- the state: transition, combine, serialization, final functions --------

CREATE FUNCTION ethaudit_internal.group_calibration_trans(internal, boolean, double precision, text)
RETURNS internal
AS 'MODULE_PATHNAME', 'group_calibration_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.group_calibration_trans(internal, boolean, double precision, text) IS
'Transition function of the per-group calibration aggregates: calibration bins per group.';

CREATE FUNCTION ethaudit_internal.group_calibration_trans_bins(internal, boolean, double precision, text, integer)
RETURNS internal
AS 'MODULE_PATHNAME', 'group_calibration_trans_bins'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.group_calibration_trans_bins(internal, boolean, double precision, text, integer) IS
'Transition function of the per-group calibration aggregates with a bin count.';

CREATE FUNCTION ethaudit_internal.group_calibration_trans_min_size(internal, boolean, double precision, text, integer, integer)
RETURNS internal
AS 'MODULE_PATHNAME', 'group_calibration_trans_min_size'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.group_calibration_trans_min_size(internal, boolean, double precision, text, integer, integer) IS
'Transition function of ece_gap with a bin count and a minimum group size (NULL: the defaults).';

CREATE FUNCTION ethaudit_internal.group_calibration_combine(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'group_calibration_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.group_calibration_combine(internal, internal) IS
'Combine function of the per-group calibration aggregates (parallel aggregation).';

CREATE FUNCTION ethaudit_internal.group_calibration_serialize(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'group_calibration_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.group_calibration_serialize(internal) IS
'Serializes a per-group calibration state for parallel workers (versioned format).';

CREATE FUNCTION ethaudit_internal.group_calibration_deserialize(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'group_calibration_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.group_calibration_deserialize(bytea, internal) IS
'Validates and reads back a serialized per-group calibration state.';

CREATE FUNCTION ethaudit_internal.ece_gap_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ece_gap_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.ece_gap_final(internal) IS 'Final function of ece_gap.';

CREATE TYPE ethaudit.group_calibration AS (
    grp  text,
    n    bigint,
    ece  double precision,
    mce  double precision
);

COMMENT ON TYPE ethaudit.group_calibration IS
'One group of calibration_by_group: rows, expected and maximum calibration error.';

CREATE FUNCTION ethaudit_internal.calibration_by_group_final(internal)
RETURNS ethaudit.group_calibration[]
AS 'MODULE_PATHNAME', 'calibration_by_group_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.calibration_by_group_final(internal) IS 'Final function of calibration_by_group.';

-- -------- the aggregates --------

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
     'Largest minus smallest per-group ECE with the given number of bins.'),
    ('ece_gap', 'y_true boolean, y_prob double precision, grp text, bins integer, min_size integer', 'group_calibration',
     'group_calibration_trans_min_size', NULL, 'ece_gap_final',
     'Largest minus smallest per-group ECE over the groups of at least min_size rows (bins NULL: 10); NULL with fewer than two such groups.');

SELECT ethaudit_internal.add_integer_label_forms('group_calibration');
SELECT ethaudit_internal.define_aggregates('group_calibration');
-- ====================================================================
-- Confusion counts per group: fairness gaps, rates and scores
--
-- TP, FN, FP, TN per group.  Gaps compare groups; the pooled rates and
-- scores treat all rows as one group, so GROUP BY gives per-group tables.
-- The state is storable (ethaudit.group_counts): build it, merge it,
-- evaluate it.  null_rate_change counts NULLs of reference and current rows
-- in the same state.
-- ====================================================================

-- -------- the state: transition, combine, serialization, final functions --------

CREATE TYPE ethaudit.group_counts;

CREATE FUNCTION ethaudit_internal.group_counts_in(cstring) RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'group_counts_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.group_counts_in(cstring) IS 'Input function of ethaudit.group_counts (JSON).';

CREATE FUNCTION ethaudit_internal.group_counts_out(ethaudit.group_counts) RETURNS cstring
AS 'MODULE_PATHNAME', 'group_counts_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.group_counts_out(ethaudit.group_counts) IS 'Output function of ethaudit.group_counts (JSON).';

CREATE FUNCTION ethaudit_internal.group_counts_recv(internal) RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'group_counts_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.group_counts_recv(internal) IS 'Binary input function of ethaudit.group_counts (validated).';

CREATE FUNCTION ethaudit_internal.group_counts_send(ethaudit.group_counts) RETURNS bytea
AS 'MODULE_PATHNAME', 'group_counts_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.group_counts_send(ethaudit.group_counts) IS 'Binary output function of ethaudit.group_counts.';

CREATE TYPE ethaudit.group_counts (
    INPUT = ethaudit_internal.group_counts_in,
    OUTPUT = ethaudit_internal.group_counts_out,
    RECEIVE = ethaudit_internal.group_counts_recv,
    SEND = ethaudit_internal.group_counts_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);

COMMENT ON TYPE ethaudit.group_counts IS
'Exact TP, FN, FP, TN per group, with the minimum count option: the state of the fairness aggregates, storable and mergeable. Text form: JSON.';

CREATE FUNCTION ethaudit_internal.confusion_trans(ethaudit.group_counts, boolean, boolean, text)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.confusion_trans(ethaudit.group_counts, boolean, boolean, text) IS
'Transition function of the group fairness aggregates: per-group TP, FN, FP, TN.';

CREATE FUNCTION ethaudit_internal.confusion_inv(ethaudit.group_counts, boolean, boolean, text)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_inv'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.confusion_inv(ethaudit.group_counts, boolean, boolean, text) IS
'Inverse transition function of the aggregates using confusion_trans, for moving window frames.';

CREATE FUNCTION ethaudit_internal.confusion_trans_min(ethaudit.group_counts, boolean, boolean, text, integer)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_trans_min'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.confusion_trans_min(ethaudit.group_counts, boolean, boolean, text, integer) IS
'Transition function of group_tpr_gap(y_true, y_pred, grp, min_positives).';

CREATE FUNCTION ethaudit_internal.confusion_inv_min(ethaudit.group_counts, boolean, boolean, text, integer)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_inv_min'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.confusion_inv_min(ethaudit.group_counts, boolean, boolean, text, integer) IS
'Inverse transition function of the aggregates using confusion_trans_min, for moving window frames.';

CREATE FUNCTION ethaudit_internal.confusion_trans_min_negatives(ethaudit.group_counts, boolean, boolean, text, integer)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_trans_min_negatives'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.confusion_trans_min_negatives(ethaudit.group_counts, boolean, boolean, text, integer) IS
'Transition function of group_fpr_gap(y_true, y_pred, grp, min_negatives).';

CREATE FUNCTION ethaudit_internal.confusion_inv_min_negatives(ethaudit.group_counts, boolean, boolean, text, integer)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_inv_min_negatives'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.confusion_inv_min_negatives(ethaudit.group_counts, boolean, boolean, text, integer) IS
'Inverse transition function of group_fpr_gap(y_true, y_pred, grp, min_negatives), for moving window frames.';

CREATE FUNCTION ethaudit_internal.confusion_trans_min_size(ethaudit.group_counts, boolean, boolean, text, integer)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_trans_min_size'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.confusion_trans_min_size(ethaudit.group_counts, boolean, boolean, text, integer) IS
'Transition function of equalized_odds_gap(y_true, y_pred, grp, min_size).';

CREATE FUNCTION ethaudit_internal.confusion_inv_min_size(ethaudit.group_counts, boolean, boolean, text, integer)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_inv_min_size'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.confusion_inv_min_size(ethaudit.group_counts, boolean, boolean, text, integer) IS
'Inverse transition function of equalized_odds_gap(y_true, y_pred, grp, min_size), for moving window frames.';

CREATE FUNCTION ethaudit_internal.confusion_trans_report(ethaudit.group_counts, boolean, boolean, text)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_trans_report'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.confusion_trans_report(ethaudit.group_counts, boolean, boolean, text) IS
'Transition function of group_report(y_true, y_pred, grp).';

CREATE FUNCTION ethaudit_internal.confusion_inv_report(ethaudit.group_counts, boolean, boolean, text)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_inv_report'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.confusion_inv_report(ethaudit.group_counts, boolean, boolean, text) IS
'Inverse transition function of the aggregates using confusion_trans_report, for moving window frames.';

CREATE FUNCTION ethaudit_internal.confusion_trans_report_min(ethaudit.group_counts, boolean, boolean, text, integer)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_trans_report_min'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.confusion_trans_report_min(ethaudit.group_counts, boolean, boolean, text, integer) IS
'Transition function of group_report(y_true, y_pred, grp, min_size).';

CREATE FUNCTION ethaudit_internal.confusion_inv_report_min(ethaudit.group_counts, boolean, boolean, text, integer)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_inv_report_min'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.confusion_inv_report_min(ethaudit.group_counts, boolean, boolean, text, integer) IS
'Inverse transition function of the aggregates using confusion_trans_report_min, for moving window frames.';

CREATE FUNCTION ethaudit_internal.confusion_trans_selection(ethaudit.group_counts, boolean, text)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_trans_selection'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.confusion_trans_selection(ethaudit.group_counts, boolean, text) IS
'Transition function of the selection-rate aggregates: predictions per group, no labels.';

CREATE FUNCTION ethaudit_internal.confusion_inv_selection(ethaudit.group_counts, boolean, text)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_inv_selection'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.confusion_inv_selection(ethaudit.group_counts, boolean, text) IS
'Inverse transition function of the aggregates using confusion_trans_selection, for moving window frames.';

CREATE FUNCTION ethaudit_internal.confusion_combine(ethaudit.group_counts, ethaudit.group_counts)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.confusion_combine(ethaudit.group_counts, ethaudit.group_counts) IS
'Adds two group counts: the combine function of the fairness aggregates and the transition of merge.';

CREATE FUNCTION ethaudit_internal.group_tpr_gap_final(ethaudit.group_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'group_tpr_gap_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.group_tpr_gap_final(ethaudit.group_counts) IS 'Final function of group_tpr_gap.';

CREATE FUNCTION ethaudit_internal.group_fpr_gap_final(ethaudit.group_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'group_fpr_gap_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.group_fpr_gap_final(ethaudit.group_counts) IS 'Final function of group_fpr_gap.';

CREATE FUNCTION ethaudit_internal.equalized_odds_gap_final(ethaudit.group_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'equalized_odds_gap_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.equalized_odds_gap_final(ethaudit.group_counts) IS 'Final function of equalized_odds_gap.';

CREATE FUNCTION ethaudit_internal.selection_rate_gap_final(ethaudit.group_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'selection_rate_gap_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.selection_rate_gap_final(ethaudit.group_counts) IS 'Final function of selection_rate_gap.';

CREATE FUNCTION ethaudit_internal.selection_rate_ratio_final(ethaudit.group_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'selection_rate_ratio_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.selection_rate_ratio_final(ethaudit.group_counts) IS 'Final function of selection_rate_ratio.';

CREATE TYPE ethaudit.group_metrics AS (
    grp                  text,
    n                    bigint,
    positives            bigint,
    negatives            bigint,
    tpr                  double precision,
    tpr_low              double precision,
    tpr_high             double precision,
    fpr                  double precision,
    fpr_low              double precision,
    fpr_high             double precision,
    fnr                  double precision,
    fnr_low              double precision,
    fnr_high             double precision,
    selection_rate       double precision,
    selection_rate_low   double precision,
    selection_rate_high  double precision,
    below_min_size       boolean
);

COMMENT ON TYPE ethaudit.group_metrics IS
'One group of group_report: counts, TPR, FPR, FNR and selection rate with Wilson 95% intervals, and whether the group is smaller than the minimum size.';

CREATE FUNCTION ethaudit_internal.group_report_final(ethaudit.group_counts)
RETURNS ethaudit.group_metrics[]
AS 'MODULE_PATHNAME', 'group_report_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.group_report_final(ethaudit.group_counts) IS 'Final function of group_report.';

CREATE FUNCTION ethaudit_internal.confusion_trans_pooled(ethaudit.group_counts, boolean, boolean)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_trans_pooled'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.confusion_trans_pooled(ethaudit.group_counts, boolean, boolean) IS
'Transition function of the pooled confusion rates: TP, FN, FP, TN of all rows.';

CREATE FUNCTION ethaudit_internal.confusion_inv_pooled(ethaudit.group_counts, boolean, boolean)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_inv_pooled'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.confusion_inv_pooled(ethaudit.group_counts, boolean, boolean) IS
'Inverse transition function of the aggregates using confusion_trans_pooled, for moving window frames.';

CREATE FUNCTION ethaudit_internal.confusion_trans_selection_pooled(ethaudit.group_counts, boolean)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_trans_selection_pooled'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.confusion_trans_selection_pooled(ethaudit.group_counts, boolean) IS
'Transition function of selection_rate(y_pred): predictions of all rows, no labels.';

CREATE FUNCTION ethaudit_internal.confusion_inv_selection_pooled(ethaudit.group_counts, boolean)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_inv_selection_pooled'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.confusion_inv_selection_pooled(ethaudit.group_counts, boolean) IS
'Inverse transition function of the aggregates using confusion_trans_selection_pooled, for moving window frames.';

CREATE FUNCTION ethaudit_internal.true_positive_rate_final(ethaudit.group_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'true_positive_rate_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.true_positive_rate_final(ethaudit.group_counts) IS 'Final function of true_positive_rate.';

CREATE FUNCTION ethaudit_internal.false_positive_rate_final(ethaudit.group_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'false_positive_rate_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.false_positive_rate_final(ethaudit.group_counts) IS 'Final function of false_positive_rate.';

CREATE FUNCTION ethaudit_internal.false_negative_rate_final(ethaudit.group_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'false_negative_rate_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.false_negative_rate_final(ethaudit.group_counts) IS 'Final function of false_negative_rate.';

CREATE FUNCTION ethaudit_internal.precision_score_final(ethaudit.group_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'precision_score_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.precision_score_final(ethaudit.group_counts) IS 'Final function of precision_score.';

CREATE FUNCTION ethaudit_internal.accuracy_score_final(ethaudit.group_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'accuracy_score_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.accuracy_score_final(ethaudit.group_counts) IS 'Final function of accuracy_score.';

CREATE FUNCTION ethaudit_internal.f1_score_final(ethaudit.group_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'f1_score_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.f1_score_final(ethaudit.group_counts) IS 'Final function of f1_score.';

CREATE FUNCTION ethaudit_internal.selection_rate_final(ethaudit.group_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'selection_rate_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.selection_rate_final(ethaudit.group_counts) IS 'Final function of selection_rate.';

CREATE FUNCTION ethaudit_internal.group_counts_final(ethaudit.group_counts)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'group_counts_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.group_counts_final(ethaudit.group_counts) IS
'Final function returning the group counts state itself.';

CREATE FUNCTION ethaudit.group_tpr_gap(state ethaudit.group_counts) RETURNS double precision
AS 'MODULE_PATHNAME', 'group_tpr_gap_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.group_tpr_gap(ethaudit.group_counts) IS 'TPR gap of stored group counts (the minimum count option they were built with).';

CREATE FUNCTION ethaudit.group_fpr_gap(state ethaudit.group_counts) RETURNS double precision
AS 'MODULE_PATHNAME', 'group_fpr_gap_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.group_fpr_gap(ethaudit.group_counts) IS 'FPR gap of stored group counts.';

CREATE FUNCTION ethaudit.equalized_odds_gap(state ethaudit.group_counts) RETURNS double precision
AS 'MODULE_PATHNAME', 'equalized_odds_gap_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.equalized_odds_gap(ethaudit.group_counts) IS 'Equalized odds difference of stored group counts.';

CREATE FUNCTION ethaudit.selection_rate_gap(state ethaudit.group_counts) RETURNS double precision
AS 'MODULE_PATHNAME', 'selection_rate_gap_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.selection_rate_gap(ethaudit.group_counts) IS 'Demographic parity difference of stored group counts.';

CREATE FUNCTION ethaudit.selection_rate_ratio(state ethaudit.group_counts) RETURNS double precision
AS 'MODULE_PATHNAME', 'selection_rate_ratio_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.selection_rate_ratio(ethaudit.group_counts) IS 'Demographic parity ratio of stored group counts.';

CREATE FUNCTION ethaudit.group_report(state ethaudit.group_counts) RETURNS ethaudit.group_metrics[]
AS 'MODULE_PATHNAME', 'group_report_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.group_report(ethaudit.group_counts) IS 'Per-group report of stored group counts (groups under 30 rows flagged unless built otherwise).';

CREATE FUNCTION ethaudit_internal.null_rate_trans(ethaudit.group_counts, anyelement, boolean)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'null_rate_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.null_rate_trans(ethaudit.group_counts, anyelement, boolean) IS
'Transition function of null_rate_change: NULL and non-NULL counts per sample.';

CREATE FUNCTION ethaudit_internal.null_rate_inv(ethaudit.group_counts, anyelement, boolean)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'null_rate_inv'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.null_rate_inv(ethaudit.group_counts, anyelement, boolean) IS
'Inverse transition function of null_rate_change, for moving window frames.';

CREATE FUNCTION ethaudit_internal.null_rate_change_final(ethaudit.group_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'null_rate_change_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.null_rate_change_final(ethaudit.group_counts) IS 'Final function of null_rate_change.';

-- -------- the aggregates --------

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
    ('group_fpr_gap', 'y_true boolean, y_pred boolean, grp text, min_negatives integer', 'confusion',
     'confusion_trans_min_negatives', 'confusion_inv_min_negatives', 'group_fpr_gap_final',
     'Largest minus smallest false positive rate over groups with at least min_negatives negatives.'),
    ('equalized_odds_gap', 'y_true boolean, y_pred boolean, grp text', 'confusion',
     'confusion_trans', 'confusion_inv', 'equalized_odds_gap_final',
     'Equalized odds difference: the larger of the TPR gap and the FPR gap between groups.'),
    ('equalized_odds_gap', 'y_true boolean, y_pred boolean, grp text, min_size integer', 'confusion',
     'confusion_trans_min_size', 'confusion_inv_min_size', 'equalized_odds_gap_final',
     'Equalized odds difference, the TPR gap over groups with at least min_size positives and the FPR gap over groups with at least min_size negatives.'),
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

SELECT ethaudit_internal.add_integer_label_forms('confusion');
SELECT ethaudit_internal.define_aggregates('confusion');
-- ====================================================================
-- Baselines: the ethaudit.baseline type, the aggregates that build it, one-pass metrics against it
--
-- A baseline is built at exact reference quantiles (its own state, which
-- keeps the values until the edges are known), or on given bins or
-- categories; metrics of current rows against a stored baseline run in one
-- pass in constant memory, and two baselines over the same bins compare
-- directly.
-- ====================================================================

-- -------- the type, its accessors, the support functions of its state, comparisons of two baselines --------

CREATE TYPE ethaudit.baseline;

CREATE FUNCTION ethaudit_internal.baseline_in(cstring) RETURNS ethaudit.baseline
AS 'MODULE_PATHNAME', 'baseline_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.baseline_in(cstring) IS 'Input function of ethaudit.baseline (JSON).';

CREATE FUNCTION ethaudit_internal.baseline_out(ethaudit.baseline) RETURNS cstring
AS 'MODULE_PATHNAME', 'baseline_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.baseline_out(ethaudit.baseline) IS 'Output function of ethaudit.baseline (JSON).';

CREATE FUNCTION ethaudit_internal.baseline_recv(internal) RETURNS ethaudit.baseline
AS 'MODULE_PATHNAME', 'baseline_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.baseline_recv(internal) IS 'Binary input function of ethaudit.baseline (validated).';

CREATE FUNCTION ethaudit_internal.baseline_send(ethaudit.baseline) RETURNS bytea
AS 'MODULE_PATHNAME', 'baseline_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.baseline_send(ethaudit.baseline) IS 'Binary output function of ethaudit.baseline.';

CREATE TYPE ethaudit.baseline (
    INPUT = ethaudit_internal.baseline_in,
    OUTPUT = ethaudit_internal.baseline_out,
    RECEIVE = ethaudit_internal.baseline_recv,
    SEND = ethaudit_internal.baseline_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);

COMMENT ON TYPE ethaudit.baseline IS
'The distribution of one column in constant memory: counts over fixed bins (numeric, with NaN/NULL counts, min, max, mean, variance) or per category. Text form: JSON.';

CREATE FUNCTION ethaudit.baseline_n(b ethaudit.baseline) RETURNS bigint
AS 'MODULE_PATHNAME', 'baseline_n' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.baseline_n(ethaudit.baseline) IS 'Number of values in the bins (NULL and NaN excluded).';

CREATE FUNCTION ethaudit.baseline_edges(b ethaudit.baseline) RETURNS double precision[]
AS 'MODULE_PATHNAME', 'baseline_edges' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.baseline_edges(ethaudit.baseline) IS 'Inner bin edges of a numeric baseline (NULL for a categorical one); bins are right-closed.';

CREATE FUNCTION ethaudit.baseline_counts(b ethaudit.baseline) RETURNS bigint[]
AS 'MODULE_PATHNAME', 'baseline_counts' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.baseline_counts(ethaudit.baseline) IS 'Counts per bin, or per category in byte order of the categories.';

CREATE FUNCTION ethaudit.baseline_proportions(b ethaudit.baseline) RETURNS double precision[]
AS 'MODULE_PATHNAME', 'baseline_proportions' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.baseline_proportions(ethaudit.baseline) IS 'Counts divided by n (NULL when n = 0).';

CREATE FUNCTION ethaudit.baseline_categories(b ethaudit.baseline) RETURNS text[]
AS 'MODULE_PATHNAME', 'baseline_categories' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.baseline_categories(ethaudit.baseline) IS 'Categories of a categorical baseline in byte order (NULL for a numeric one).';

CREATE FUNCTION ethaudit.baseline_reference(b ethaudit.baseline) RETURNS ethaudit.baseline
AS 'MODULE_PATHNAME', 'baseline_reference' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.baseline_reference(ethaudit.baseline) IS 'The reference attached to a comparison state, or NULL.';

CREATE TYPE ethaudit.baseline_summary AS (
    kind       text,
    n          bigint,
    nan_count  bigint,
    null_count bigint,
    min        double precision,
    max        double precision,
    mean       double precision,
    variance   double precision
);

COMMENT ON TYPE ethaudit.baseline_summary IS
'Result of baseline_summary: kind, values binned, NaN and NULL counts, and for numbers min, max, mean and sample variance (ddof 1).';

CREATE FUNCTION ethaudit.baseline_summary(b ethaudit.baseline) RETURNS ethaudit.baseline_summary
AS 'MODULE_PATHNAME', 'baseline_summary' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.baseline_summary(ethaudit.baseline) IS 'Kind, n, NaN and NULL counts, min, max, mean and variance of a baseline.';

CREATE FUNCTION ethaudit_internal.baseline_edges_trans(ethaudit.baseline, double precision, double precision[])
RETURNS ethaudit.baseline AS 'MODULE_PATHNAME', 'baseline_edges_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.baseline_edges_trans(ethaudit.baseline, double precision, double precision[]) IS
'Transition function of baseline(value, edges): counts in place over the given bins.';

CREATE FUNCTION ethaudit_internal.baseline_edges_inv(ethaudit.baseline, double precision, double precision[])
RETURNS ethaudit.baseline AS 'MODULE_PATHNAME', 'baseline_edges_inv' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.baseline_edges_inv(ethaudit.baseline, double precision, double precision[]) IS
'Inverse transition function of baseline(value, edges), for moving window frames.';

CREATE FUNCTION ethaudit_internal.baseline_text_trans(ethaudit.baseline, text)
RETURNS ethaudit.baseline AS 'MODULE_PATHNAME', 'baseline_text_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.baseline_text_trans(ethaudit.baseline, text) IS
'Transition function of baseline(value text): category counts in place.';

CREATE FUNCTION ethaudit_internal.baseline_text_inv(ethaudit.baseline, text)
RETURNS ethaudit.baseline AS 'MODULE_PATHNAME', 'baseline_text_inv' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.baseline_text_inv(ethaudit.baseline, text) IS
'Inverse transition function of baseline(value text), for moving window frames.';

CREATE FUNCTION ethaudit_internal.baseline_like_trans(ethaudit.baseline, double precision, ethaudit.baseline)
RETURNS ethaudit.baseline AS 'MODULE_PATHNAME', 'baseline_like_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.baseline_like_trans(ethaudit.baseline, double precision, ethaudit.baseline) IS
'Transition function of baseline(value, reference): counts over the reference''s bins.';

CREATE FUNCTION ethaudit_internal.baseline_like_inv(ethaudit.baseline, double precision, ethaudit.baseline)
RETURNS ethaudit.baseline AS 'MODULE_PATHNAME', 'baseline_like_inv' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.baseline_like_inv(ethaudit.baseline, double precision, ethaudit.baseline) IS
'Inverse transition function of baseline(value, reference).';

CREATE FUNCTION ethaudit_internal.baseline_like_trans(ethaudit.baseline, text, ethaudit.baseline)
RETURNS ethaudit.baseline AS 'MODULE_PATHNAME', 'baseline_like_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.baseline_like_trans(ethaudit.baseline, text, ethaudit.baseline) IS
'Transition function of baseline(value text, reference).';

CREATE FUNCTION ethaudit_internal.baseline_like_inv(ethaudit.baseline, text, ethaudit.baseline)
RETURNS ethaudit.baseline AS 'MODULE_PATHNAME', 'baseline_like_inv' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.baseline_like_inv(ethaudit.baseline, text, ethaudit.baseline) IS
'Inverse transition function of baseline(value text, reference).';

CREATE FUNCTION ethaudit_internal.baseline_compare_trans(ethaudit.baseline, double precision, ethaudit.baseline)
RETURNS ethaudit.baseline AS 'MODULE_PATHNAME', 'baseline_compare_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.baseline_compare_trans(ethaudit.baseline, double precision, ethaudit.baseline) IS
'Transition function of the metrics against a baseline: current counts over its bins, the baseline attached.';

CREATE FUNCTION ethaudit_internal.baseline_compare_inv(ethaudit.baseline, double precision, ethaudit.baseline)
RETURNS ethaudit.baseline AS 'MODULE_PATHNAME', 'baseline_compare_inv' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.baseline_compare_inv(ethaudit.baseline, double precision, ethaudit.baseline) IS
'Inverse transition function of the metrics against a baseline, for moving window frames.';

CREATE FUNCTION ethaudit_internal.baseline_compare_trans(ethaudit.baseline, text, ethaudit.baseline)
RETURNS ethaudit.baseline AS 'MODULE_PATHNAME', 'baseline_compare_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.baseline_compare_trans(ethaudit.baseline, text, ethaudit.baseline) IS
'Transition function of the metrics of text values against a categorical baseline.';

CREATE FUNCTION ethaudit_internal.baseline_compare_inv(ethaudit.baseline, text, ethaudit.baseline)
RETURNS ethaudit.baseline AS 'MODULE_PATHNAME', 'baseline_compare_inv' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.baseline_compare_inv(ethaudit.baseline, text, ethaudit.baseline) IS
'Inverse transition function of the metrics of text values against a categorical baseline.';

CREATE FUNCTION ethaudit_internal.baseline_combine(ethaudit.baseline, ethaudit.baseline)
RETURNS ethaudit.baseline AS 'MODULE_PATHNAME', 'baseline_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.baseline_combine(ethaudit.baseline, ethaudit.baseline) IS
'Adds two baselines over the same bins: the combine function of the baseline aggregates and the transition of merge.';

CREATE FUNCTION ethaudit_internal.baseline_state_final(ethaudit.baseline)
RETURNS ethaudit.baseline AS 'MODULE_PATHNAME', 'baseline_state_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.baseline_state_final(ethaudit.baseline) IS 'Final function returning the baseline state itself.';

CREATE FUNCTION ethaudit_internal.baseline_psi_final(ethaudit.baseline) RETURNS double precision
AS 'MODULE_PATHNAME', 'baseline_psi_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.baseline_psi_final(ethaudit.baseline) IS 'Final function of psi(value, baseline).';

CREATE FUNCTION ethaudit_internal.baseline_js_final(ethaudit.baseline) RETURNS double precision
AS 'MODULE_PATHNAME', 'baseline_js_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.baseline_js_final(ethaudit.baseline) IS 'Final function of js_divergence(value, baseline).';

CREATE FUNCTION ethaudit_internal.baseline_hellinger_final(ethaudit.baseline) RETURNS double precision
AS 'MODULE_PATHNAME', 'baseline_hellinger_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.baseline_hellinger_final(ethaudit.baseline) IS 'Final function of hellinger(value, baseline).';

CREATE FUNCTION ethaudit_internal.baseline_ks_final(ethaudit.baseline) RETURNS double precision
AS 'MODULE_PATHNAME', 'baseline_ks_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.baseline_ks_final(ethaudit.baseline) IS 'Final function of ks_stat(value, baseline): the lower bound.';

CREATE TYPE ethaudit.ks_bounds AS (
    lower double precision,
    upper double precision
);

COMMENT ON TYPE ethaudit.ks_bounds IS
'Bounds on the KS statistic when only bin counts are known: the exact D lies in [lower, upper].';

CREATE FUNCTION ethaudit_internal.baseline_ks_bounds_final(ethaudit.baseline) RETURNS ethaudit.ks_bounds
AS 'MODULE_PATHNAME', 'baseline_ks_bounds_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.baseline_ks_bounds_final(ethaudit.baseline) IS 'Final function of ks_bounds(value, baseline).';

-- comparisons of two stored baselines over the same bins
CREATE FUNCTION ethaudit.psi(reference ethaudit.baseline, current ethaudit.baseline) RETURNS double precision
AS 'MODULE_PATHNAME', 'baseline_psi' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.psi(ethaudit.baseline, ethaudit.baseline) IS 'PSI of two stored baselines over the same bins.';

CREATE FUNCTION ethaudit.js_divergence(reference ethaudit.baseline, current ethaudit.baseline) RETURNS double precision
AS 'MODULE_PATHNAME', 'baseline_js' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.js_divergence(ethaudit.baseline, ethaudit.baseline) IS 'Jensen-Shannon divergence (base 2) of two stored baselines over the same bins.';

CREATE FUNCTION ethaudit.hellinger(reference ethaudit.baseline, current ethaudit.baseline) RETURNS double precision
AS 'MODULE_PATHNAME', 'baseline_hellinger' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.hellinger(ethaudit.baseline, ethaudit.baseline) IS 'Hellinger distance of two stored baselines over the same bins.';

CREATE FUNCTION ethaudit.ks_stat(reference ethaudit.baseline, current ethaudit.baseline) RETURNS double precision
AS 'MODULE_PATHNAME', 'baseline_ks' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.ks_stat(ethaudit.baseline, ethaudit.baseline) IS 'KS statistic of two numeric baselines at their shared edges (a lower bound on the exact D).';

CREATE FUNCTION ethaudit.ks_bounds(reference ethaudit.baseline, current ethaudit.baseline) RETURNS ethaudit.ks_bounds
AS 'MODULE_PATHNAME', 'baseline_ks_bounds' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.ks_bounds(ethaudit.baseline, ethaudit.baseline) IS 'Bounds on the exact KS statistic of two numeric baselines over the same bins.';

-- -------- building at exact reference quantiles --------

CREATE FUNCTION ethaudit_internal.baseline_build_trans(internal, double precision) RETURNS internal
AS 'MODULE_PATHNAME', 'baseline_build_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.baseline_build_trans(internal, double precision) IS
'Transition function of baseline(value): keeps the values for exact quantile edges.';

CREATE FUNCTION ethaudit_internal.baseline_build_trans_bins(internal, double precision, integer) RETURNS internal
AS 'MODULE_PATHNAME', 'baseline_build_trans_bins' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.baseline_build_trans_bins(internal, double precision, integer) IS
'Transition function of baseline(value, bins).';

CREATE FUNCTION ethaudit_internal.baseline_build_combine(internal, internal) RETURNS internal
AS 'MODULE_PATHNAME', 'baseline_build_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.baseline_build_combine(internal, internal) IS 'Combine function of baseline(value [, bins]).';

CREATE FUNCTION ethaudit_internal.baseline_build_serialize(internal) RETURNS bytea
AS 'MODULE_PATHNAME', 'baseline_build_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.baseline_build_serialize(internal) IS 'Serializes a baseline(value) state, sorted (versioned format).';

CREATE FUNCTION ethaudit_internal.baseline_build_deserialize(bytea, internal) RETURNS internal
AS 'MODULE_PATHNAME', 'baseline_build_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.baseline_build_deserialize(bytea, internal) IS 'Validates and reads back a serialized baseline(value) state.';

CREATE FUNCTION ethaudit_internal.baseline_build_final(internal) RETURNS ethaudit.baseline
AS 'MODULE_PATHNAME', 'baseline_build_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.baseline_build_final(internal) IS 'Final function of baseline(value [, bins]): bins at the reference quantiles.';

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

-- -------- aggregates over the baseline state: given bins, categories, metrics against it, merging --------

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
-- ====================================================================
-- Reading the prediction logs: what checks, store_baseline() and
-- retention know about the relations they read
--
--   type_class, column_type, text_of   a column's type as checks see it,
--                                      and the SQL that reads it
--   check_source, qualified_name       which relations may be the source
--                                      of a check, and how it is stored
--   run_as_owner                       a statement run as the owner of the
--                                      relation it reads (owner_exec.c)
--
-- All of them are internal: the validation triggers and the runner call
-- them; users do not.
-- ====================================================================

CREATE FUNCTION ethaudit_internal.type_class(typ regtype)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- domains (even domains over domains) are judged by their base type
    WITH RECURSIVE chain AS (
        SELECT t.oid, t.typtype, t.typbasetype FROM pg_catalog.pg_type t WHERE t.oid = typ
        UNION ALL
        SELECT t.oid, t.typtype, t.typbasetype
        FROM pg_catalog.pg_type t JOIN chain ON t.oid = chain.typbasetype
        WHERE chain.typtype = 'd'
    )
    SELECT CASE
        WHEN b.oid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype) THEN 'integer'
        WHEN b.oid IN ('float4'::regtype, 'float8'::regtype, 'numeric'::regtype) THEN 'float'
        WHEN b.oid IN ('text'::regtype, 'varchar'::regtype, 'bpchar'::regtype, 'name'::regtype) THEN 'text'
        WHEN b.oid = 'bool'::regtype THEN 'boolean'
        WHEN b.oid IN ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype) THEN 'time'
        WHEN b.typtype = 'e' THEN 'enum'
    END
    FROM chain b
    WHERE b.typtype <> 'd'
$$;
COMMENT ON FUNCTION ethaudit_internal.type_class(regtype) IS
'Internal: the class of a column type as checks see it (integer, float, text, boolean, time, enum), or NULL for a type checks do not read. Domains count as their base type.';

CREATE FUNCTION ethaudit_internal.column_type(rel regclass, col name)
RETURNS regtype
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    typ regtype;
BEGIN
    SELECT a.atttypid INTO typ
    FROM pg_catalog.pg_attribute a
    WHERE a.attrelid = rel AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'column "%" of relation % does not exist', col, rel
            USING ERRCODE = 'undefined_column';
    END IF;
    RETURN typ;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.column_type(regclass, name) IS
'Internal: type of a column of a relation, looked up in pg_attribute; raises 42703 if the column does not exist.';

-- A column read as text, in the SQL the runner builds. An enum's own output
-- function, never a cast: the owner of an enum type may create a cast from
-- it to text with a function of its own, which the trigger (running as the
-- extension's owner) must not call.
CREATE FUNCTION ethaudit_internal.text_of(rel regclass, col name)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN ethaudit_internal.type_class(ethaudit_internal.column_type(rel, col)) = 'enum'
                THEN pg_catalog.format('pg_catalog.textin(pg_catalog.enum_out(src.%I))', col)
                ELSE pg_catalog.format('src.%I::pg_catalog.text', col) END
$$;
COMMENT ON FUNCTION ethaudit_internal.text_of(regclass, name) IS
'Internal: the SQL expression that reads column col of rel (as src) as text: through the output function for an enum (a cast could be the enum owner''s function), a cast to text for built-in types.';

-- Runs SQL built by the runner, store_baseline() and apply_retention() with
-- the privileges of the owner of the relation it reads (owner_exec.c).
CREATE FUNCTION ethaudit_internal.run_as_owner(rel regclass, query text, args timestamptz[])
RETURNS SETOF record
LANGUAGE c VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'ea_run_as_owner';
COMMENT ON FUNCTION ethaudit_internal.run_as_owner(regclass, text, timestamptz[]) IS
'Internal: runs query (parameters $1.. from args) as the owner of rel in a security-restricted operation, as PostgreSQL runs ANALYZE, so that code the owner put in its view, functions, triggers or policies never runs with the caller''s privileges; it runs as the caller when the caller lacks the owner''s privileges or (PostgreSQL 16+) the right to SET ROLE to it (never up). The statement''s code acts as the owner for ethaudit.session_role(). Not executable by PUBLIC (the admin part has it, for store_baseline and apply_retention). Name lookup uses the caller''s rights and search_path pg_catalog, pg_temp. Call it in FROM with a column definition list.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.run_as_owner(regclass, text, timestamptz[]) FROM PUBLIC;

CREATE FUNCTION ethaudit_internal.check_source(rel regclass, source text, for_trigger boolean)
RETURNS regclass
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    kind "char";
    persistence "char";
BEGIN
    IF source IS NULL THEN
        RAISE EXCEPTION 'source must not be NULL' USING ERRCODE = 'not_null_violation';
    END IF;
    IF rel IS NULL THEN
        RAISE EXCEPTION 'relation "%" does not exist', source
            USING ERRCODE = 'undefined_table',
                  HINT = 'A check reads a table or view; name it with its schema, e.g. public.predictions.';
    END IF;
    SELECT c.relkind, c.relpersistence INTO kind, persistence
    FROM pg_catalog.pg_class c WHERE c.oid = rel;
    IF persistence = 't' THEN
        RAISE EXCEPTION 'relation % is temporary', rel
            USING ERRCODE = 'wrong_object_type',
                  DETAIL = 'Checks outlive the session, so they cannot read temporary tables.';
    END IF;
    IF for_trigger AND kind NOT IN ('r', 'p') THEN
        RAISE EXCEPTION 'relation % is not a table', rel
            USING ERRCODE = 'wrong_object_type',
                  DETAIL = 'Checks evaluated on insert need a table or partitioned table, the only relations with insert triggers over transition tables.';
    END IF;
    IF kind NOT IN ('r', 'p', 'v', 'm', 'f') THEN
        RAISE EXCEPTION 'relation % is not a table or view', rel
            USING ERRCODE = 'wrong_object_type';
    END IF;
    -- the extension is not relocatable: all of its relations are in schema ethaudit
    IF rel::oid IN (SELECT c.oid FROM pg_catalog.pg_class c WHERE c.relnamespace = 'ethaudit'::pg_catalog.regnamespace) THEN
        RAISE EXCEPTION 'relation % belongs to ethaudit and cannot be the source of a check', rel
            USING ERRCODE = 'wrong_object_type',
                  DETAIL = 'ethaudit''s own tables hold evidence and keys, not predictions.';
    END IF;
    RETURN rel;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.check_source(regclass, text, boolean) IS
'Internal: checks that the source of a check (source, resolved to rel) is a table, partitioned table, view, materialized view or foreign table, not temporary and not one of ethaudit''s own; raises 42P01 or 42809.';

CREATE FUNCTION ethaudit_internal.qualified_name(rel regclass)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.format('%I.%I', n.nspname, c.relname)
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.oid = rel
$$;
COMMENT ON FUNCTION ethaudit_internal.qualified_name(regclass) IS
'Internal: schema-qualified, quoted name of a relation, the form in which checks store their source.';
-- ====================================================================
-- Security: who acts, and how changes become events of the audit log
--
--   session_role()        the role the session acts as, also inside
--                         SECURITY DEFINER functions
--   is_extension_owner()  whether the current user is the extension's
--                         owner (its own functions)
--   audit_config_change   the audit trigger of every configuration table
--                         (each table's file attaches it right after the
--                         table)
--   audit_history_change  the audit trigger of deletions, edits and
--                         TRUNCATE of history (runs, results, alerts,
--                         alert_events)
--
-- The events are appended with audit_append() and chained at commit
-- (audit_chain.sql).  This file comes first among the governance parts,
-- because every table after it attaches these triggers.
-- ====================================================================

-- -------- who is acting --------

CREATE FUNCTION ethaudit.session_role()
RETURNS name
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- SET ROLE is refused inside SECURITY DEFINER functions, so the setting
    -- "role" keeps naming the caller while CURRENT_USER names the definer.
    -- Code run for a job as a relation's owner (run_as_owner) acts as that
    -- owner, not as the job's session: ethaudit.acting_role names it.
    SELECT CASE WHEN coalesce(pg_catalog.current_setting('ethaudit.acting_role', true), '') <> ''
                THEN pg_catalog.current_setting('ethaudit.acting_role', true)::name
                WHEN pg_catalog.current_setting('role') = 'none' THEN SESSION_USER
                ELSE pg_catalog.current_setting('role')::name END
$$;
COMMENT ON FUNCTION ethaudit.session_role() IS
'The role the session acts as: the role chosen with SET ROLE, else the session user; while a job runs a relation''s code as its owner (run_as_owner), that owner. Unlike CURRENT_USER it is the same inside SECURITY DEFINER functions, so the audit log names the caller, not the extension''s owner, and code an owner planted in a view or trigger acts with its owner''s name, not the job''s.';

CREATE FUNCTION ethaudit.is_extension_owner()
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(pg_catalog.bool_or(pg_catalog.pg_has_role(CURRENT_USER, e.extowner, 'MEMBER')), false)
    FROM pg_catalog.pg_extension e WHERE e.extname = 'ethaudit'
$$;
COMMENT ON FUNCTION ethaudit.is_extension_owner() IS
'True if the current user is the owner of the extension (or a member of it, or a superuser): the identity ethaudit''s SECURITY DEFINER functions run as.';

-- -------- recording changes --------

-- A superuser session with row_security = off is what pg_restore and a
-- plain-format dump run as: the rows it loads already have their history in
-- the restored audit log, so loading them records nothing.
CREATE FUNCTION ethaudit_internal.restoring()
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.current_setting('row_security') = 'off'
       AND coalesce((SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = ethaudit.session_role()), false)
$$;
COMMENT ON FUNCTION ethaudit_internal.restoring() IS
'Internal: true in a superuser session with row_security = off (pg_restore, a plain dump loaded with psql): inserts made there are a restore and are not recorded again.';

-- the columns that differ between two rows, as {column: {"old": .., "new": ..}}
CREATE FUNCTION ethaudit_internal.row_changes(old_row jsonb, new_row jsonb, ignored text[] DEFAULT '{}')
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(pg_catalog.jsonb_object_agg(n.key, pg_catalog.jsonb_build_object('old', o.value, 'new', n.value)), '{}'::jsonb)
    FROM pg_catalog.jsonb_each(new_row) n
    LEFT JOIN pg_catalog.jsonb_each(old_row) o ON o.key = n.key
    WHERE o.value IS DISTINCT FROM n.value AND n.key <> ALL (ignored)
$$;
COMMENT ON FUNCTION ethaudit_internal.row_changes(jsonb, jsonb, text[]) IS
'Internal: the keys whose values differ between two rows (as jsonb), as {"key": {"old": ..., "new": ...}}, leaving out the ignored keys.';

CREATE FUNCTION ethaudit_internal.audit_config_change()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    object text := TG_ARGV[0];
    r jsonb := CASE WHEN TG_OP = 'DELETE' THEN pg_catalog.to_jsonb(OLD) ELSE pg_catalog.to_jsonb(NEW) END;
    ignored text[] := '{updated_at,stage_changed_at}';
    details jsonb;
    changes jsonb;
    m text;
    v text;
    event text;
    ident jsonb;
BEGIN
    IF TG_OP = 'INSERT' AND ethaudit_internal.restoring() THEN
        RETURN NULL;
    END IF;
    -- what not to copy into the log
    IF object = 'key' THEN
        r := r - 'secret';
        ignored := ignored || '{secret}'::text[];
    ELSIF object = 'baseline' THEN
        r := (r - 'baseline') || pg_catalog.jsonb_build_object('baseline_sha256',
                 pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(r->>'baseline', 'UTF8')), 'hex'));
    END IF;
    m := r->>'model';
    v := r->>'version';
    IF object = 'threshold' THEN
        SELECT ch.model, ch.version INTO m, v FROM ethaudit.checks ch WHERE ch.check_id = (r->>'check_id')::bigint;
    END IF;
    -- the columns that identify the row
    ident := CASE object
        WHEN 'model' THEN pg_catalog.jsonb_build_object('model', r->'model')
        WHEN 'model_version' THEN pg_catalog.jsonb_build_object('model', r->'model', 'version', r->'version')
        WHEN 'check' THEN pg_catalog.jsonb_build_object('check_id', r->'check_id', 'check_name', r->'check_name')
        WHEN 'threshold' THEN pg_catalog.jsonb_build_object('check_id', r->'check_id', 'check_name',
                                  (SELECT ch.check_name FROM ethaudit.checks ch WHERE ch.check_id = (r->>'check_id')::bigint))
        WHEN 'baseline' THEN pg_catalog.jsonb_build_object('baseline_id', r->'baseline_id', 'column_name', r->'column_name')
        WHEN 'privacy_policy' THEN pg_catalog.jsonb_build_object('model', r->'model', 'field', r->'field')
        WHEN 'retention_policy' THEN pg_catalog.jsonb_build_object('table_name', r->'table_name')
        WHEN 'security_role' THEN pg_catalog.jsonb_build_object('role_kind', r->'role_kind')
        WHEN 'key' THEN pg_catalog.jsonb_build_object('key_id', r->'key_id', 'purpose', r->'purpose')
        ELSE '{}'::jsonb END;

    IF TG_OP = 'INSERT' THEN
        event := object || '_created';
        details := ident || pg_catalog.jsonb_build_object('row', r);
    ELSIF TG_OP = 'DELETE' THEN
        event := object || '_deleted';
        details := ident || pg_catalog.jsonb_build_object('row', r);
    ELSE
        changes := ethaudit_internal.row_changes(
            CASE WHEN object = 'key' THEN pg_catalog.to_jsonb(OLD) - 'secret'
                 WHEN object = 'baseline' THEN (pg_catalog.to_jsonb(OLD) - 'baseline') || pg_catalog.jsonb_build_object('baseline_sha256',
                     pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.to_jsonb(OLD)->>'baseline', 'UTF8')), 'hex'))
                 ELSE pg_catalog.to_jsonb(OLD) END,
            r, ignored);
        IF changes = '{}'::jsonb THEN
            RETURN NULL;            -- nothing but time stamps changed
        END IF;
        event := CASE WHEN object = 'model_version' AND changes ? 'stage' THEN 'stage_changed'
                      WHEN object = 'key' AND changes ? 'retired_at' THEN 'key_retired'
                      ELSE object || '_changed' END;
        details := ident || pg_catalog.jsonb_build_object('changes', changes);
    END IF;
    PERFORM ethaudit_internal.audit_append(event, m, v, details);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.audit_config_change() IS
'Trigger function (AFTER INSERT, UPDATE or DELETE, FOR EACH ROW; argument: the kind of object): records <object>_created, <object>_changed (the changed columns, old and new) or <object>_deleted in the audit log; a change of a version''s stage is stage_changed. Never copies key material; a baseline is recorded by its SHA-256. SECURITY DEFINER.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.audit_config_change() FROM PUBLIC;

CREATE FUNCTION ethaudit_internal.audit_history_change()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
    event text := CASE TG_OP WHEN 'DELETE' THEN 'history_deleted' WHEN 'UPDATE' THEN 'history_changed'
                             ELSE 'history_truncated' END;
    key_column text := CASE TG_TABLE_NAME WHEN 'results' THEN 'result_id' WHEN 'alerts' THEN 'alert_id'
                                          WHEN 'alert_events' THEN 'event_id' WHEN 'stage_history' THEN 'interval_id'
                                          ELSE 'run_id' END;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM ethaudit_internal.audit_append(event, NULL, NULL, pg_catalog.jsonb_build_object('table', TG_TABLE_NAME));
        RETURN NULL;
    END IF;
    -- one event per model (alert_events and all-model runs have none)
    FOR r IN EXECUTE pg_catalog.format(
        'SELECT %s AS model, count(*) AS n, min(x.%I) AS first_id, max(x.%I) AS last_id, '
        '(array_agg(x.%I ORDER BY x.%I))[1:100] AS ids FROM %I AS x GROUP BY 1 ORDER BY 1',
        CASE WHEN TG_TABLE_NAME = 'alert_events' THEN 'NULL::text' ELSE 'x.model' END,
        key_column, key_column, key_column, key_column,
        CASE TG_OP WHEN 'DELETE' THEN 'ethaudit_old' ELSE 'ethaudit_new' END)
    LOOP
        PERFORM ethaudit_internal.audit_append(event, r.model, NULL, pg_catalog.jsonb_build_object(
            'table', TG_TABLE_NAME, 'rows', r.n, 'first_' || key_column, r.first_id,
            'last_' || key_column, r.last_id, key_column || 's', r.ids));
    END LOOP;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.audit_history_change() IS
'Trigger function (AFTER DELETE, UPDATE or TRUNCATE, FOR EACH STATEMENT, on runs, results, alerts, alert_events and stage_history): records history_deleted, history_changed or history_truncated with the table, the model, the number of rows and their identifiers (the first 100). SECURITY DEFINER.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.audit_history_change() FROM PUBLIC;
-- ====================================================================
-- Governance: the registry of models and their versions
--
--   models           what is audited, and the role that owns it
--   model_versions   the versions of each model and the stage each one
--                    serves in: shadow, canary, live or retired
--   stage_history    when each version served in which stage: the
--                    intervals the runner reads the live versions of a
--                    window from
--   set_stage()      moves a version to another stage, now or at a past time
--
-- Each table is followed by its validation trigger, its audit trigger and
-- its registration with pg_extension_config_dump (pg_dump keeps its rows).
-- ====================================================================

CREATE FUNCTION ethaudit_internal.role_is_valid(role_name name)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT role_name IS NULL
        OR EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = role_name)
$$;
COMMENT ON FUNCTION ethaudit_internal.role_is_valid(name) IS
'Internal: true if the role exists (or is NULL).';

-- -------- models --------

CREATE TABLE ethaudit.models (
    model       text PRIMARY KEY
                CONSTRAINT models_name_check CHECK (model <> '' AND model = pg_catalog.btrim(model) AND pg_catalog.length(model) <= 200),
    description text,
    owner_role  name,
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at  timestamptz
);
COMMENT ON TABLE ethaudit.models IS
'Registry of audited models. Configuration: kept by pg_dump.';
COMMENT ON COLUMN ethaudit.models.model IS 'Name of the model (key): 1 to 200 characters, no leading or trailing spaces.';
COMMENT ON COLUMN ethaudit.models.description IS 'Free text: purpose, training data, intended use.';
COMMENT ON COLUMN ethaudit.models.owner_role IS 'Role that owns the model; the default owner of its thresholds and alerts.';
COMMENT ON COLUMN ethaudit.models.created_at IS 'When the model was registered.';
COMMENT ON COLUMN ethaudit.models.updated_at IS 'When the row was last changed.';

CREATE FUNCTION ethaudit_internal.validate_model()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.model IS NULL OR NEW.model = '' OR NEW.model <> pg_catalog.btrim(NEW.model)
       OR pg_catalog.length(NEW.model) > 200 THEN
        RAISE EXCEPTION 'invalid model name "%"', NEW.model
            USING ERRCODE = 'check_violation',
                  HINT = 'A model name has 1 to 200 characters and no leading or trailing spaces.';
    END IF;
    IF NOT ethaudit_internal.role_is_valid(NEW.owner_role) THEN
        RAISE EXCEPTION 'role "%" does not exist', NEW.owner_role
            USING ERRCODE = 'undefined_object',
                  DETAIL = pg_catalog.format('owner_role of model %s.', NEW.model);
    END IF;
    IF TG_OP = 'UPDATE' THEN
        NEW.updated_at := pg_catalog.now();
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.validate_model() IS
'Trigger function: checks that the owner role of a model exists and stamps updated_at.';
CREATE TRIGGER validate_model BEFORE INSERT OR UPDATE ON ethaudit.models
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.validate_model();
COMMENT ON TRIGGER validate_model ON ethaudit.models IS
'Validates a model before it is written.';

CREATE TRIGGER audit_change AFTER INSERT OR UPDATE OR DELETE ON ethaudit.models
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.audit_config_change('model');
COMMENT ON TRIGGER audit_change ON ethaudit.models IS 'Records every change of a model in the audit log.';

SELECT pg_catalog.pg_extension_config_dump('ethaudit.models', '');

-- -------- model versions --------

CREATE TABLE ethaudit.model_versions (
    model            text NOT NULL REFERENCES ethaudit.models ON UPDATE CASCADE ON DELETE CASCADE,
    version          text NOT NULL
                     CONSTRAINT model_versions_version_check CHECK (version <> '' AND version = pg_catalog.btrim(version) AND pg_catalog.length(version) <= 200),
    stage            text NOT NULL DEFAULT 'shadow'
                     CONSTRAINT model_versions_stage_check CHECK (stage IN ('shadow', 'canary', 'live', 'retired')),
    description      text,
    registered_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    stage_changed_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (model, version)
);
COMMENT ON TABLE ethaudit.model_versions IS
'Versions of each model and the stage they serve in: shadow, canary, live or retired. Configuration: kept by pg_dump.';
COMMENT ON COLUMN ethaudit.model_versions.model IS 'The model (ethaudit.models).';
COMMENT ON COLUMN ethaudit.model_versions.version IS 'Version label, as it appears in the version column of the prediction logs.';
COMMENT ON COLUMN ethaudit.model_versions.stage IS 'shadow, canary, live or retired. Checks pinned to a retired version are not run.';
COMMENT ON COLUMN ethaudit.model_versions.description IS 'Free text: what changed in this version.';
COMMENT ON COLUMN ethaudit.model_versions.registered_at IS 'When the version was registered.';
COMMENT ON COLUMN ethaudit.model_versions.stage_changed_at IS 'When the stage last changed.';

CREATE FUNCTION ethaudit_internal.validate_model_version()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.version IS NULL OR NEW.version = '' OR NEW.version <> pg_catalog.btrim(NEW.version)
       OR pg_catalog.length(NEW.version) > 200 THEN
        RAISE EXCEPTION 'invalid version name "%" for model %', NEW.version, NEW.model
            USING ERRCODE = 'check_violation',
                  HINT = 'A version name has 1 to 200 characters and no leading or trailing spaces.';
    END IF;
    IF NEW.stage IS NULL OR NEW.stage NOT IN ('shadow', 'canary', 'live', 'retired') THEN
        RAISE EXCEPTION 'invalid stage "%" for version % of model %', NEW.stage, NEW.version, NEW.model
            USING ERRCODE = 'check_violation',
                  HINT = 'The stages are shadow, canary, live and retired.';
    END IF;
    -- a stage change is stamped now unless the writer dates it (set_stage's
    -- since): a past time after the version's previous change, never later
    -- than now, so that the stage history stays ordered.  Only a change of
    -- the stage or its date is checked (an edit of the description is not).
    IF TG_OP = 'UPDATE' AND NEW.stage IS DISTINCT FROM OLD.stage
       AND NEW.stage_changed_at IS NOT DISTINCT FROM OLD.stage_changed_at THEN
        NEW.stage_changed_at := pg_catalog.now();
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.stage IS NOT DISTINCT FROM OLD.stage
       AND NEW.stage_changed_at IS NOT DISTINCT FROM OLD.stage_changed_at THEN
        RETURN NEW;
    END IF;
    IF NEW.stage_changed_at IS NULL OR NEW.stage_changed_at > pg_catalog.now() THEN
        RAISE EXCEPTION 'stage_changed_at of version % of model % must not be in the future', NEW.version, NEW.model
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = pg_catalog.format('It is %s.', NEW.stage_changed_at);
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.stage_changed_at < OLD.stage_changed_at THEN
        RAISE EXCEPTION 'stage of version % of model % cannot change at %, before its last change at %',
            NEW.version, NEW.model, NEW.stage_changed_at, OLD.stage_changed_at
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Stage changes are recorded in the order they happened.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.validate_model_version() IS
'Trigger function: checks the stage of a model version and stamps stage_changed_at when it changes (now, unless the change is dated: not in the future, not before the previous change; 22023).';
CREATE TRIGGER validate_model_version BEFORE INSERT OR UPDATE ON ethaudit.model_versions
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.validate_model_version();
COMMENT ON TRIGGER validate_model_version ON ethaudit.model_versions IS
'Validates a model version before it is written.';

CREATE TRIGGER audit_change AFTER INSERT OR UPDATE OR DELETE ON ethaudit.model_versions
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.audit_config_change('model_version');
COMMENT ON TRIGGER audit_change ON ethaudit.model_versions IS 'Records every change of a model version (stage changes as stage_changed) in the audit log.';

SELECT pg_catalog.pg_extension_config_dump('ethaudit.model_versions', '');

-- -------- stage history --------

CREATE TABLE ethaudit.stage_history (
    interval_id  bigserial PRIMARY KEY,
    model        text NOT NULL,
    version      text NOT NULL,
    stage        text NOT NULL
                 CONSTRAINT stage_history_stage_check CHECK (stage IN ('shadow', 'canary', 'live', 'retired')),
    valid_from   timestamptz NOT NULL,
    valid_to     timestamptz,
    CONSTRAINT stage_history_interval_check CHECK (valid_to >= valid_from)
);
CREATE UNIQUE INDEX stage_history_current ON ethaudit.stage_history (model, version) WHERE valid_to IS NULL;
CREATE INDEX stage_history_model_idx ON ethaudit.stage_history (model, valid_from);
COMMENT ON INDEX ethaudit.stage_history_current IS 'One current stage per version.';
COMMENT ON INDEX ethaudit.stage_history_model_idx IS 'The stages of a model''s versions over a window.';
COMMENT ON SEQUENCE ethaudit.stage_history_interval_id_seq IS 'Identifiers of stage intervals.';
COMMENT ON TABLE ethaudit.stage_history IS
'When each model version served in which stage: one row per interval [valid_from, valid_to), valid_to NULL for the current stage. Written only by the trigger on model_versions (set_stage, or dated stage changes); the runner reads the versions of a window from it when a check has no version column. Kept when a version is deleted. History: kept by pg_dump.';
COMMENT ON COLUMN ethaudit.stage_history.interval_id IS 'Identifier (key).';
COMMENT ON COLUMN ethaudit.stage_history.model IS 'The model.';
COMMENT ON COLUMN ethaudit.stage_history.version IS 'The version.';
COMMENT ON COLUMN ethaudit.stage_history.stage IS 'shadow, canary, live or retired.';
COMMENT ON COLUMN ethaudit.stage_history.valid_from IS 'When the version entered the stage (its stage_changed_at).';
COMMENT ON COLUMN ethaudit.stage_history.valid_to IS 'When it left it (exclusive); NULL while it is the current stage.';

CREATE FUNCTION ethaudit_internal.record_stage_interval()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a ethaudit.alerts;
BEGIN
    IF ethaudit_internal.restoring() THEN
        RETURN NULL;            -- a restore loads the history itself
    END IF;
    IF TG_OP = 'DELETE' THEN
        -- a deleted version keeps its history, which ends now
        UPDATE ethaudit.stage_history h SET valid_to = GREATEST(h.valid_from, pg_catalog.now())
        WHERE h.model = OLD.model AND h.version = OLD.version AND h.valid_to IS NULL;
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' AND (NEW.model, NEW.version) IS DISTINCT FROM (OLD.model, OLD.version) THEN
        -- a renamed model or version keeps its history
        UPDATE ethaudit.stage_history h SET model = NEW.model, version = NEW.version
        WHERE h.model = OLD.model AND h.version = OLD.version;
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.stage IS NOT DISTINCT FROM OLD.stage THEN
        RETURN NULL;
    END IF;
    UPDATE ethaudit.stage_history h SET valid_to = NEW.stage_changed_at
    WHERE h.model = NEW.model AND h.version = NEW.version AND h.valid_to IS NULL;
    INSERT INTO ethaudit.stage_history (model, version, stage, valid_from)
    VALUES (NEW.model, NEW.version, NEW.stage, NEW.stage_changed_at);
    IF NEW.stage = 'retired' THEN
        -- a retired version produces no more rows: its alerts end with it
        FOR a IN
            UPDATE ethaudit.alerts x SET status = 'resolved', resolved_at = pg_catalog.clock_timestamp(),
                                         resolution = 'automatic',
                                         resolution_note = pg_catalog.format('version %s retired', NEW.version)
            WHERE x.model = NEW.model AND x.model_version = NEW.version AND x.status <> 'resolved'
            RETURNING x.*
        LOOP
            PERFORM ethaudit_internal.log_alert_event(a, 'resolved', NULL, a.resolution_note);
            PERFORM ethaudit_internal.notify_alert(a, 'resolved');
        END LOOP;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.record_stage_interval() IS
'Trigger function (AFTER INSERT, UPDATE or DELETE on model_versions): closes the current interval of the version in ethaudit.stage_history and opens one for its new stage, from stage_changed_at (a deleted version''s ends now); a version that retires resolves its open alerts. A restore writes nothing. SECURITY DEFINER: the history is written only here.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.record_stage_interval() FROM PUBLIC;
CREATE TRIGGER record_stage_interval AFTER INSERT OR UPDATE OR DELETE ON ethaudit.model_versions
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.record_stage_interval();
COMMENT ON TRIGGER record_stage_interval ON ethaudit.model_versions IS
'Keeps ethaudit.stage_history: every stage a version served in, and when.';

CREATE TRIGGER audit_delete AFTER DELETE ON ethaudit.stage_history
    REFERENCING OLD TABLE AS ethaudit_old FOR EACH STATEMENT EXECUTE FUNCTION ethaudit_internal.audit_history_change();
CREATE TRIGGER audit_truncate AFTER TRUNCATE ON ethaudit.stage_history
    FOR EACH STATEMENT EXECUTE FUNCTION ethaudit_internal.audit_history_change();
COMMENT ON TRIGGER audit_delete ON ethaudit.stage_history IS 'Records deletions of stage intervals in the audit log.';
COMMENT ON TRIGGER audit_truncate ON ethaudit.stage_history IS 'Records TRUNCATE of the stage history in the audit log.';

SELECT pg_catalog.pg_extension_config_dump('ethaudit.stage_history', '');
SELECT pg_catalog.pg_extension_config_dump('ethaudit.stage_history_interval_id_seq', '');

-- The versions of a model in given stages during [window_start, window_end)
-- (window_end included for windows of rows, whose end is their last row),
-- as "version (stage)" items in the order they entered.
CREATE FUNCTION ethaudit_internal.versions_during(model text, stages text[], window_start timestamptz,
                                                  window_end timestamptz, end_included boolean)
RETURNS TABLE (version text, stage text)
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT h.version, h.stage
    FROM ethaudit.stage_history h
    WHERE h.model = versions_during.model AND h.stage = ANY (stages)
      AND (h.valid_from < window_end OR (end_included AND h.valid_from = window_end))
      AND (h.valid_to IS NULL OR h.valid_to > window_start)
      AND (h.valid_to IS NULL OR h.valid_to > h.valid_from)   -- a stage left at once never served
    GROUP BY h.version, h.stage
    ORDER BY min(h.valid_from), h.version, h.stage
$$;
COMMENT ON FUNCTION ethaudit_internal.versions_during(text, text[], timestamptz, timestamptz, boolean) IS
'Internal: the versions of a model that were in one of the given stages at some time in [window_start, window_end) (window_end included when end_included), with the stage, from ethaudit.stage_history.';

CREATE FUNCTION ethaudit.set_stage(model text, version text, stage text, since timestamptz DEFAULT NULL)
RETURNS ethaudit.model_versions
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result ethaudit.model_versions;
    last_change timestamptz;
BEGIN
    IF model IS NULL OR version IS NULL OR stage IS NULL THEN
        RAISE EXCEPTION 'model, version and stage must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT v.stage_changed_at INTO last_change FROM ethaudit.model_versions v
    WHERE v.model = set_stage.model AND v.version = set_stage.version AND v.stage IS DISTINCT FROM set_stage.stage;
    IF since <= last_change THEN
        RAISE EXCEPTION 'stage of version % of model % cannot change at %, not after its last change at %',
            version, model, since, last_change
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Stage changes are recorded in the order they happened.';
    END IF;
    UPDATE ethaudit.model_versions v
    SET stage = set_stage.stage,
        stage_changed_at = CASE WHEN set_stage.since IS NOT NULL AND v.stage IS DISTINCT FROM set_stage.stage
                                THEN set_stage.since ELSE v.stage_changed_at END
    WHERE v.model = set_stage.model AND v.version = set_stage.version
    RETURNING v.* INTO result;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'version % of model % is not registered', version, model
            USING ERRCODE = 'undefined_object',
                  HINT = 'Register it first: INSERT INTO ethaudit.model_versions (model, version, stage) VALUES (...).';
    END IF;
    RETURN result;
END
$$;
COMMENT ON FUNCTION ethaudit.set_stage(text, text, text, timestamptz) IS
'Moves a registered model version to another stage (shadow, canary, live, retired) and returns the updated row. since dates the change in the past (default now), e.g. to record when a version went live before ethaudit was set up; it must not be in the future and must be after the version''s previous change (22023). Retiring a version resolves its open alerts. Every change is kept in ethaudit.stage_history and the audit log.';
REVOKE EXECUTE ON FUNCTION ethaudit.set_stage(text, text, text, timestamptz) FROM PUBLIC;
-- ====================================================================
-- Governance: checks
--
--   checks   what to audit: one metric on one prediction log (table or
--            view), over a window, against a reference where the metric
--            needs one
--
-- A check is validated when it is written (BEFORE trigger, check_config)
-- and again each time it runs, because the tables it reads can change.
-- The metrics a check can use are those of ethaudit.metric_catalog
-- (metric_catalog.sql, the next part).
-- ====================================================================

CREATE TABLE ethaudit.checks (
    check_id          bigserial PRIMARY KEY,
    check_name        text NOT NULL UNIQUE
                      CONSTRAINT checks_name_check CHECK (check_name <> '' AND check_name = pg_catalog.btrim(check_name) AND pg_catalog.length(check_name) <= 200),
    model             text NOT NULL REFERENCES ethaudit.models ON UPDATE CASCADE,
    version           text,
    metric            text NOT NULL,
    mode              text NOT NULL DEFAULT 'scheduled'
                      CONSTRAINT checks_mode_check CHECK (mode IN ('scheduled', 'insert_batch', 'insert_window')),
    source            text NOT NULL,
    time_column       name NOT NULL,
    value_column      name,
    label_column      name,
    probability_column name,
    group_column      name,
    version_column    name,
    required_columns  name[],
    value_kind        text CONSTRAINT checks_value_kind_check CHECK (value_kind IN ('numeric', 'categorical')),
    window_size       interval,
    window_rows       integer,
    window_lag        interval NOT NULL DEFAULT '0',
    reference_kind    text CONSTRAINT checks_reference_kind_check CHECK (reference_kind IN ('preceding', 'fixed', 'baseline')),
    reference_size    interval,
    reference_rows    integer,
    reference_start   timestamptz,
    reference_end     timestamptz,
    baseline_id       bigint,
    min_samples       integer NOT NULL DEFAULT 100 CONSTRAINT checks_min_samples_check CHECK (min_samples >= 1),
    min_interval      interval,
    params            jsonb NOT NULL DEFAULT '{}',
    enabled           boolean NOT NULL DEFAULT true,
    description       text,
    created_at        timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at        timestamptz,
    labelled_only     boolean NOT NULL DEFAULT false,
    FOREIGN KEY (model, version) REFERENCES ethaudit.model_versions ON UPDATE CASCADE
);
CREATE INDEX checks_source_idx ON ethaudit.checks (source) WHERE mode <> 'scheduled';
CREATE INDEX checks_model_idx ON ethaudit.checks (model);
COMMENT ON INDEX ethaudit.checks_source_idx IS 'Finds the checks a prediction-log trigger evaluates.';
COMMENT ON INDEX ethaudit.checks_model_idx IS 'Finds the checks of a model.';
COMMENT ON SEQUENCE ethaudit.checks_check_id_seq IS 'Identifiers of checks.';

COMMENT ON TABLE ethaudit.checks IS
'What to audit: one metric on one prediction log (table or view), over a window, against a reference where the metric needs one. Validated on write. Configuration: kept by pg_dump.';
COMMENT ON COLUMN ethaudit.checks.check_id IS 'Identifier (key).';
COMMENT ON COLUMN ethaudit.checks.check_name IS 'Unique, human-readable name: 1 to 200 characters, no leading or trailing spaces.';
COMMENT ON COLUMN ethaudit.checks.model IS 'The audited model (ethaudit.models).';
COMMENT ON COLUMN ethaudit.checks.version IS 'Optional: audit only rows of this version (needs version_column). NULL: all rows.';
COMMENT ON COLUMN ethaudit.checks.metric IS 'A metric of ethaudit.metric_catalog.';
COMMENT ON COLUMN ethaudit.checks.mode IS 'scheduled: by run_checks() over the latest window; insert_batch: by the prediction-log trigger over each inserted batch; insert_window: by the trigger over the latest window after each batch.';
COMMENT ON COLUMN ethaudit.checks.source IS 'The prediction log: a table, partitioned table, view, materialized view or foreign table, stored schema-qualified.';
COMMENT ON COLUMN ethaudit.checks.time_column IS 'Timestamp of each prediction (date, timestamp or timestamptz); defines the windows.';
COMMENT ON COLUMN ethaudit.checks.value_column IS 'Monitored value (drift and quality metrics), or the numeric prediction for mae and rmse.';
COMMENT ON COLUMN ethaudit.checks.label_column IS 'Ground truth: boolean or 0/1 integer (non-zero is positive); numeric for mae and rmse.';
COMMENT ON COLUMN ethaudit.checks.probability_column IS 'Predicted probability, score, or prediction (boolean, or a number compared with params.cutoff), as the metric needs.';
COMMENT ON COLUMN ethaudit.checks.group_column IS 'Sensitive attribute compared by the fairness metrics (any text, boolean, integer or enum column).';
COMMENT ON COLUMN ethaudit.checks.version_column IS 'Column holding the model version of each prediction: the check records one result per version found in the window, with model_version taken from the rows (or only the pinned version). Without it, results name the versions live during the window by ethaudit.stage_history.';
COMMENT ON COLUMN ethaudit.checks.required_columns IS 'null_share: the columns that must not be NULL (default: the time, value, probability and group columns that are set).';
COMMENT ON COLUMN ethaudit.checks.value_kind IS 'numeric or categorical: how value_column is compared. Derived from its type when NULL; set categorical to compare integer codes as categories.';
COMMENT ON COLUMN ethaudit.checks.window_size IS 'Time window: the current sample is [end - window_size, end), end = run time - window_lag. Exclusive with window_rows.';
COMMENT ON COLUMN ethaudit.checks.window_rows IS 'Row window: the current sample is the latest window_rows rows before the end. Exclusive with window_size.';
COMMENT ON COLUMN ethaudit.checks.window_lag IS 'How far the window ends before the run time (e.g. to wait for late labels).';
COMMENT ON COLUMN ethaudit.checks.reference_kind IS 'For metrics with a reference: preceding (the window before the current one), fixed (reference_start .. reference_end) or baseline (a stored baseline).';
COMMENT ON COLUMN ethaudit.checks.reference_size IS 'preceding, time windows and batches: length of the reference window (default: window_size).';
COMMENT ON COLUMN ethaudit.checks.reference_rows IS 'preceding, row windows: rows in the reference window (default: window_rows).';
COMMENT ON COLUMN ethaudit.checks.reference_start IS 'fixed: start of the reference window (inclusive).';
COMMENT ON COLUMN ethaudit.checks.reference_end IS 'fixed: end of the reference window (exclusive).';
COMMENT ON COLUMN ethaudit.checks.baseline_id IS 'baseline: the stored baseline (ethaudit.baselines) the current window is compared with.';
COMMENT ON COLUMN ethaudit.checks.min_samples IS 'Fewer usable rows than this in the current window (or the reference) gives status insufficient_data.';
COMMENT ON COLUMN ethaudit.checks.min_interval IS 'insert_window: evaluate at most once per this interval, however many batches arrive.';
COMMENT ON COLUMN ethaudit.checks.params IS 'Metric options, e.g. {"bins": 20}, {"binning": "evidently"}, {"cutoff": 0.7}, {"min_positives": 30}, {"min_negatives": 30}, {"min_size": 30}; ethaudit.metric_catalog lists the keys each metric accepts.';
COMMENT ON COLUMN ethaudit.checks.enabled IS 'Disabled checks are not run.';
COMMENT ON COLUMN ethaudit.checks.description IS 'Free text.';
COMMENT ON COLUMN ethaudit.checks.created_at IS 'When the check was created.';
COMMENT ON COLUMN ethaudit.checks.updated_at IS 'When the check was last changed.';
COMMENT ON COLUMN ethaudit.checks.labelled_only IS 'The current window holds labelled rows only (label_column not NULL): window_rows counts the latest labelled predictions, for logs whose labels arrive late. Only for metrics that read labels.';

-- Validates a check against the catalogs and returns the SQL expressions
-- the runner reads it with.  Raised errors name the check and the column.
-- Whether a check must name a column: a metric that reads it needs it, and
-- one that does not refuses it, so that a check never carries a column the
-- metric silently ignores. Returns `needed`.
CREATE FUNCTION ethaudit_internal.column_use(metric text, column_kind text, needed boolean, given name)
RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF needed AND given IS NULL THEN
        RAISE EXCEPTION 'metric % needs %', metric, column_kind
            USING ERRCODE = 'invalid_parameter_value';
    ELSIF NOT needed AND given IS NOT NULL THEN
        RAISE EXCEPTION 'metric % does not read %', metric, column_kind
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN needed;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.column_use(text, text, boolean, name) IS
'Internal: refuses a check that omits a column its metric reads, or names one it does not read; returns whether the column is read.';

CREATE FUNCTION ethaudit_internal.check_columns(c ethaudit.checks, rel regclass,
    OUT v_expr text, OUT y_expr text, OUT p_expr text, OUT g_expr text, OUT value_kind text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m record;
    cls text;
    col name;
    cutoff float8;
BEGIN
    SELECT * INTO m FROM ethaudit.metric_catalog mc WHERE mc.metric = c.metric;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown metric "%"', c.metric
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'ethaudit.metric_catalog lists the metrics.';
    END IF;

    -- time column: date, timestamp or timestamptz
    cls := ethaudit_internal.type_class(ethaudit_internal.column_type(rel, c.time_column));
    IF cls IS DISTINCT FROM 'time' THEN
        RAISE EXCEPTION 'column "%" of relation % has type %, but time_column must be date, timestamp or timestamptz',
            c.time_column, rel, ethaudit_internal.column_type(rel, c.time_column)
            USING ERRCODE = 'datatype_mismatch';
    END IF;

    IF c.version_column IS NOT NULL THEN
        cls := ethaudit_internal.type_class(ethaudit_internal.column_type(rel, c.version_column));
        IF cls IS NULL OR cls NOT IN ('text', 'integer', 'enum') THEN
            RAISE EXCEPTION 'column "%" of relation % has type %, but version_column must be text, integer or enum',
                c.version_column, rel, ethaudit_internal.column_type(rel, c.version_column)
                USING ERRCODE = 'datatype_mismatch';
        END IF;
    END IF;

    -- value
    IF ethaudit_internal.column_use(c.metric, 'value_column', m.value_kinds IS NOT NULL, c.value_column) THEN
        cls := ethaudit_internal.type_class(ethaudit_internal.column_type(rel, c.value_column));
        value_kind := coalesce(c.value_kind,
                               CASE WHEN cls IN ('integer', 'float') THEN 'numeric'
                                    WHEN cls IN ('text', 'boolean', 'enum') THEN 'categorical' END);
        IF value_kind IS NULL
           OR (value_kind = 'numeric' AND cls NOT IN ('integer', 'float'))
           OR (value_kind = 'categorical' AND cls NOT IN ('text', 'boolean', 'enum', 'integer')) THEN
            RAISE EXCEPTION 'column "%" of relation % has type %, which cannot be read as a % value',
                c.value_column, rel, ethaudit_internal.column_type(rel, c.value_column), coalesce(value_kind, 'numeric or categorical')
                USING ERRCODE = 'datatype_mismatch',
                      HINT = 'Numeric values need an integer, real, double precision or numeric column; categories a text, boolean, enum or integer column.';
        END IF;
        IF value_kind <> ALL (m.value_kinds) THEN
            RAISE EXCEPTION 'metric % needs a % value, but column "%" of relation % is read as %',
                c.metric, array_to_string(m.value_kinds, ' or '), c.value_column, rel, value_kind
                USING ERRCODE = 'datatype_mismatch';
        END IF;
        v_expr := CASE value_kind WHEN 'numeric' THEN format('src.%I::pg_catalog.float8', c.value_column)
                                  ELSE ethaudit_internal.text_of(rel, c.value_column) END;
    END IF;
    IF c.value_kind IS NOT NULL AND m.value_kinds IS NULL THEN
        RAISE EXCEPTION 'metric % does not read value_column, so value_kind must be NULL', c.metric
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    -- label
    IF ethaudit_internal.column_use(c.metric, 'label_column', m.label_type IS NOT NULL, c.label_column) THEN
        cls := ethaudit_internal.type_class(ethaudit_internal.column_type(rel, c.label_column));
        IF m.label_type = 'boolean' AND cls = 'boolean' THEN
            y_expr := format('src.%I', c.label_column);
        ELSIF m.label_type = 'boolean' AND cls = 'integer' THEN
            y_expr := format('(src.%I OPERATOR(pg_catalog.<>) 0)', c.label_column);
        ELSIF m.label_type = 'numeric' AND cls IN ('integer', 'float') THEN
            y_expr := format('src.%I::pg_catalog.float8', c.label_column);
        ELSE
            RAISE EXCEPTION 'column "%" of relation % has type %, but metric % needs a % label',
                c.label_column, rel, ethaudit_internal.column_type(rel, c.label_column), c.metric,
                CASE m.label_type WHEN 'boolean' THEN 'boolean or 0/1 integer' ELSE 'numeric' END
                USING ERRCODE = 'datatype_mismatch';
        END IF;
    END IF;

    -- probability, score or prediction
    IF ethaudit_internal.column_use(c.metric, 'probability_column', m.probability_type IS NOT NULL, c.probability_column) THEN
        cls := ethaudit_internal.type_class(ethaudit_internal.column_type(rel, c.probability_column));
        IF m.probability_type = 'prediction' AND cls = 'boolean' THEN
            p_expr := format('src.%I', c.probability_column);
        ELSIF m.probability_type = 'prediction' AND cls IN ('integer', 'float') THEN
            cutoff := coalesce((c.params->>'cutoff')::float8, 0.5);
            p_expr := format('(src.%I::pg_catalog.float8 OPERATOR(pg_catalog.>=) %L::pg_catalog.float8)',
                             c.probability_column, cutoff);
        ELSIF m.probability_type = 'score' AND cls IN ('integer', 'float') THEN
            p_expr := format('src.%I::pg_catalog.float8', c.probability_column);
        ELSIF m.probability_type = 'probability' AND cls = 'float' THEN
            p_expr := format('src.%I::pg_catalog.float8', c.probability_column);
        ELSE
            RAISE EXCEPTION 'column "%" of relation % has type %, but metric % needs %',
                c.probability_column, rel, ethaudit_internal.column_type(rel, c.probability_column), c.metric,
                CASE m.probability_type
                    WHEN 'prediction' THEN 'a boolean prediction or a numeric score'
                    WHEN 'score' THEN 'a numeric score'
                    ELSE 'a real, double precision or numeric probability' END
                USING ERRCODE = 'datatype_mismatch';
        END IF;
    END IF;

    -- group
    IF ethaudit_internal.column_use(c.metric, 'group_column', m.needs_group, c.group_column) THEN
        cls := ethaudit_internal.type_class(ethaudit_internal.column_type(rel, c.group_column));
        IF cls IS NULL OR cls NOT IN ('text', 'boolean', 'enum', 'integer') THEN
            RAISE EXCEPTION 'column "%" of relation % has type %, but group_column must be text, boolean, enum or integer',
                c.group_column, rel, ethaudit_internal.column_type(rel, c.group_column)
                USING ERRCODE = 'datatype_mismatch';
        END IF;
        g_expr := ethaudit_internal.text_of(rel, c.group_column);
    END IF;

    -- null_share: the columns that must be present
    IF c.metric = 'null_share' THEN
        IF c.required_columns IS NOT NULL AND cardinality(c.required_columns) = 0 THEN
            RAISE EXCEPTION 'required_columns of check % is empty', c.check_name
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        SELECT string_agg(format('src.%I IS NULL', x.col), ' OR ' ORDER BY x.ord)
        INTO v_expr
        FROM unnest(coalesce(c.required_columns, ARRAY[c.time_column])) WITH ORDINALITY AS x(col, ord);
        FOREACH col IN ARRAY coalesce(c.required_columns, ARRAY[c.time_column]) LOOP
            IF col IS NULL THEN
                RAISE EXCEPTION 'required_columns of check % contains NULL', c.check_name
                    USING ERRCODE = 'null_value_not_allowed';
            END IF;
            PERFORM ethaudit_internal.column_type(rel, col);
        END LOOP;
        v_expr := '(' || v_expr || ')';
    ELSIF c.required_columns IS NOT NULL THEN
        RAISE EXCEPTION 'metric % does not read required_columns (only null_share does)', c.metric
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.check_columns(ethaudit.checks, regclass) IS
'Internal: validates the columns of a check against its source and the metric (42703 missing column, 42804 wrong type, 22023 column missing or not used) and returns the SQL expressions that read them.';

CREATE FUNCTION ethaudit_internal.check_config(c ethaudit.checks, rel regclass, op text)
RETURNS ethaudit.checks
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m record;
    cols record;
    k text;
    allowed text[];
BEGIN
    SELECT * INTO m FROM ethaudit.metric_catalog mc WHERE mc.metric = c.metric;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown metric "%" in check %', c.metric, c.check_name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'ethaudit.metric_catalog lists the metrics.';
    END IF;
    IF c.mode IS NULL OR c.mode NOT IN ('scheduled', 'insert_batch', 'insert_window') THEN
        RAISE EXCEPTION 'invalid mode "%" for check %', c.mode, c.check_name
            USING ERRCODE = 'check_violation',
                  HINT = 'The modes are scheduled, insert_batch and insert_window.';
    END IF;

    IF c.check_name IS NULL OR c.check_name = '' OR c.check_name <> btrim(c.check_name) OR length(c.check_name) > 200 THEN
        RAISE EXCEPTION 'invalid check name "%"', c.check_name
            USING ERRCODE = 'check_violation',
                  HINT = 'A check name has 1 to 200 characters and no leading or trailing spaces.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM ethaudit.models mo WHERE mo.model = c.model) THEN
        RAISE EXCEPTION 'model "%" of check % is not registered', c.model, c.check_name
            USING ERRCODE = 'foreign_key_violation',
                  HINT = 'Register it first: INSERT INTO ethaudit.models (model) VALUES (...).';
    END IF;
    IF c.version IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ethaudit.model_versions mv
                                             WHERE mv.model = c.model AND mv.version = c.version) THEN
        RAISE EXCEPTION 'version % of model % (check %) is not registered', c.version, c.model, c.check_name
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    -- A disabled check is not validated against its source, so that a check
    -- whose table or column is gone can still be disabled; it is validated
    -- again when it is enabled.
    IF c.enabled OR rel IS NOT NULL THEN
        rel := ethaudit_internal.check_source(rel, c.source, c.mode <> 'scheduled');
        c.source := ethaudit_internal.qualified_name(rel);
        -- the checks run as the source's owner: only a role that may read the
        -- source itself may point a check at it
        IF NOT pg_catalog.has_table_privilege(ethaudit.session_role(), rel, 'SELECT') THEN
            RAISE EXCEPTION 'role % may not read relation %, so it cannot check it', ethaudit.session_role(), rel
                USING ERRCODE = 'insufficient_privilege',
                      HINT = 'The role that writes a check needs SELECT on its source.';
        END IF;
    END IF;

    -- params: known keys with values of the right type
    IF c.params IS NULL OR pg_catalog.jsonb_typeof(c.params) <> 'object' THEN
        RAISE EXCEPTION 'params of check % must be a JSON object', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    allowed := m.params;
    FOR k IN SELECT pg_catalog.jsonb_object_keys(c.params) LOOP
        IF k <> ALL (allowed) THEN
            RAISE EXCEPTION 'metric % does not take parameter "%"', c.metric, k
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = CASE WHEN pg_catalog.cardinality(allowed) = 0 THEN 'It takes no parameters.'
                                  ELSE 'It takes: ' || pg_catalog.array_to_string(allowed, ', ') || '.' END;
        END IF;
    END LOOP;
    IF c.params ? 'bins' AND (pg_catalog.jsonb_typeof(c.params->'bins') <> 'number'
            OR (c.params->>'bins')::numeric <> pg_catalog.trunc((c.params->>'bins')::numeric)
            OR (c.params->>'bins')::numeric NOT BETWEEN 2 AND 10000) THEN
        RAISE EXCEPTION 'params.bins of check % must be an integer from 2 to 10000', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF c.params ? 'binning' AND coalesce(c.params->>'binning', '') NOT IN ('default', 'evidently') THEN
        RAISE EXCEPTION 'params.binning of check % must be "default" or "evidently"', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF c.params ? 'bins' AND c.params ? 'binning' THEN
        RAISE EXCEPTION 'check % sets both params.bins and params.binning', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF c.params ? 'cutoff' AND (pg_catalog.jsonb_typeof(c.params->'cutoff') <> 'number') THEN
        RAISE EXCEPTION 'params.cutoff of check % must be a number', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- minimum group sizes of the group gaps
    FOREACH k IN ARRAY ARRAY['min_positives', 'min_negatives', 'min_size'] LOOP
        IF c.params ? k AND (pg_catalog.jsonb_typeof(c.params->k) <> 'number'
                OR (c.params->>k)::numeric <> pg_catalog.trunc((c.params->>k)::numeric)
                OR (c.params->>k)::numeric NOT BETWEEN 1 AND 2147483647) THEN
            RAISE EXCEPTION 'params.% of check % must be a positive integer', k, c.check_name
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END LOOP;

    IF c.enabled THEN
        cols := ethaudit_internal.check_columns(c, rel);
        c.value_kind := cols.value_kind;
    END IF;
    -- an option of the metric's aggregate must exist for this kind of
    -- value (the catalog's aggregates decide: bins are for numbers only)
    IF c.value_kind IS NOT NULL THEN
        FOR k IN SELECT o FROM ethaudit_internal.metrics mt, unnest(mt.options) AS o
                 WHERE mt.metric = c.metric AND c.params ? o
                   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_proc p
                                   WHERE p.pronamespace = 'ethaudit'::regnamespace AND p.prokind = 'a'
                                     AND p.proname = mt.aggregate
                                     AND p.pronargs = pg_catalog.cardinality(mt.reads)
                                                      + CASE WHEN mt.options_together THEN pg_catalog.cardinality(mt.options) ELSE 1 END
                                     AND p.proargtypes[0] = CASE c.value_kind WHEN 'numeric' THEN 'float8'::regtype
                                                                              ELSE 'text'::regtype END
                                     AND p.proargtypes[p.pronargs - 1] = CASE o WHEN 'binning' THEN 'text'::regtype
                                                                                ELSE 'int4'::regtype END) LOOP
            RAISE EXCEPTION 'metric % over a % value_column does not take parameter "%"', c.metric, c.value_kind, k
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = CASE WHEN k = 'bins' THEN 'Categories are their own bins; params.binning chooses the zero rule.'
                                  ELSE 'ethaudit.metric_catalog lists the parameters of each metric.' END;
        END LOOP;
    END IF;

    IF c.version IS NOT NULL AND c.version_column IS NULL THEN
        RAISE EXCEPTION 'check % is pinned to version %, so it needs version_column', c.check_name, c.version
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF c.labelled_only AND m.label_type IS NULL THEN
        RAISE EXCEPTION 'metric % reads no labels, so check % cannot count labelled rows only', c.metric, c.check_name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'labelled_only is for metrics with a label_column (ethaudit.metric_catalog.label_type).';
    END IF;

    -- the window
    IF c.window_size IS NOT NULL AND c.window_rows IS NOT NULL THEN
        RAISE EXCEPTION 'check % sets both window_size and window_rows', c.check_name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'A window is either a time span or a number of rows.';
    END IF;
    IF c.mode <> 'insert_batch' AND c.window_size IS NULL AND c.window_rows IS NULL THEN
        RAISE EXCEPTION 'check % needs window_size or window_rows', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF c.window_size IS NOT NULL AND c.window_size <= interval '0' THEN
        RAISE EXCEPTION 'window_size of check % must be positive, not %', c.check_name, c.window_size
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF c.window_rows IS NOT NULL AND c.window_rows < 1 THEN
        RAISE EXCEPTION 'window_rows of check % must be positive, not %', c.check_name, c.window_rows
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- bounded, so that as_of minus a window is always a timestamp (validated
    -- here rather than failing at every run)
    IF c.window_size > interval '100 years' OR c.reference_size > interval '100 years'
       OR c.window_lag > interval '100 years' OR c.min_interval > interval '100 years' THEN
        RAISE EXCEPTION 'the window sizes, window_lag and min_interval of check % must not exceed 100 years', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF c.window_lag IS NULL OR c.window_lag < interval '0' THEN
        RAISE EXCEPTION 'window_lag of check % must be zero or positive', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF c.min_interval IS NOT NULL AND (c.mode <> 'insert_window' OR c.min_interval < interval '0') THEN
        RAISE EXCEPTION 'min_interval of check % applies only to mode insert_window, and must not be negative', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    -- the reference
    IF NOT m.needs_reference THEN
        IF c.reference_kind IS NOT NULL OR c.reference_size IS NOT NULL OR c.reference_rows IS NOT NULL
           OR c.reference_start IS NOT NULL OR c.reference_end IS NOT NULL OR c.baseline_id IS NOT NULL THEN
            RAISE EXCEPTION 'metric % compares no reference, so check % must not set reference_kind or its fields',
                c.metric, c.check_name
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    ELSIF c.reference_kind IS NULL THEN
        RAISE EXCEPTION 'metric % needs a reference: set reference_kind of check % to preceding, fixed or baseline',
            c.metric, c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    ELSIF c.reference_kind = 'preceding' THEN
        IF c.reference_start IS NOT NULL OR c.reference_end IS NOT NULL OR c.baseline_id IS NOT NULL THEN
            RAISE EXCEPTION 'check % has reference_kind preceding, so reference_start, reference_end and baseline_id must be NULL', c.check_name
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF c.window_rows IS NOT NULL THEN
            IF c.reference_size IS NOT NULL THEN
                RAISE EXCEPTION 'check % has a row window, so its preceding reference is sized by reference_rows, not reference_size', c.check_name
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            IF c.reference_rows IS NOT NULL AND c.reference_rows < 1 THEN
                RAISE EXCEPTION 'reference_rows of check % must be positive', c.check_name
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
        ELSE
            IF c.reference_rows IS NOT NULL THEN
                RAISE EXCEPTION 'check % has a time window, so its preceding reference is sized by reference_size, not reference_rows', c.check_name
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            IF c.reference_size IS NULL AND c.window_size IS NULL THEN
                RAISE EXCEPTION 'check % evaluates inserted batches against the preceding window, so it needs reference_size', c.check_name
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            IF c.reference_size IS NOT NULL AND c.reference_size <= interval '0' THEN
                RAISE EXCEPTION 'reference_size of check % must be positive', c.check_name
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
        END IF;
    ELSIF c.reference_kind = 'fixed' THEN
        IF c.reference_start IS NULL OR c.reference_end IS NULL OR c.reference_start >= c.reference_end THEN
            RAISE EXCEPTION 'check % has reference_kind fixed, so it needs reference_start < reference_end', c.check_name
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF c.reference_size IS NOT NULL OR c.reference_rows IS NOT NULL OR c.baseline_id IS NOT NULL THEN
            RAISE EXCEPTION 'check % has reference_kind fixed, so reference_size, reference_rows and baseline_id must be NULL', c.check_name
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    ELSIF c.reference_kind = 'baseline' THEN
        IF c.reference_size IS NOT NULL OR c.reference_rows IS NOT NULL
           OR c.reference_start IS NOT NULL OR c.reference_end IS NOT NULL THEN
            RAISE EXCEPTION 'check % has reference_kind baseline, so reference_size, reference_rows, reference_start and reference_end must be NULL', c.check_name
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF NOT m.baseline_capable THEN
            RAISE EXCEPTION 'metric % cannot compare with a stored baseline', c.metric
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Use reference_kind preceding or fixed, or a metric listed with baseline_capable in ethaudit.metric_catalog.';
        END IF;
        IF c.params ? 'bins' OR c.params ? 'binning' THEN
            RAISE EXCEPTION 'check % compares with a stored baseline, which brings its own bins: params.bins and params.binning are not allowed', c.check_name
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF c.baseline_id IS NULL THEN
            RAISE EXCEPTION 'check % has reference_kind baseline, so it needs baseline_id', c.check_name
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        -- defined with the baselines table (stored_baselines.sql)
        IF c.enabled THEN
            PERFORM ethaudit_internal.check_baseline_matches(c);
        END IF;
    END IF;

    IF op = 'UPDATE' THEN
        c.updated_at := pg_catalog.now();
    END IF;
    RETURN c;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.check_config(ethaudit.checks, regclass, text) IS
'Internal: validates a check (metric, source relation rel, columns and their types, window, reference, params) and returns it with its source schema-qualified and value_kind filled in.';

CREATE FUNCTION ethaudit_internal.validate_check()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
AS $$
BEGIN
    -- Deliberately no SET search_path: a source written without a schema is
    -- resolved with the writer's search_path, by the one schema-qualified call
    -- below; all the validation runs in check_config, which pins its own.
    RETURN ethaudit_internal.check_config(NEW, pg_catalog.to_regclass(NEW.source), TG_OP);
END
$$;
COMMENT ON FUNCTION ethaudit_internal.validate_check() IS
'Trigger function: validates a check before it is written (see check_config) and stores its source schema-qualified.';
CREATE TRIGGER validate_check BEFORE INSERT OR UPDATE ON ethaudit.checks
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.validate_check();
COMMENT ON TRIGGER validate_check ON ethaudit.checks IS
'Validates a check before it is written.';

CREATE TRIGGER audit_change AFTER INSERT OR UPDATE OR DELETE ON ethaudit.checks
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.audit_config_change('check');
COMMENT ON TRIGGER audit_change ON ethaudit.checks IS 'Records every change of a check in the audit log.';

SELECT pg_catalog.pg_extension_config_dump('ethaudit.checks', '');
SELECT pg_catalog.pg_extension_config_dump('ethaudit.checks_check_id_seq', '');
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
-- ====================================================================
-- Governance: thresholds, and the rule that judges a value by them
--
--   thresholds   warn / critical levels, direction, owner and response
--                time of a check
--   classify()   ok, warning or critical: the status rule of the runner
--                and the alert engine
-- ====================================================================

CREATE TABLE ethaudit.thresholds (
    check_id               bigint PRIMARY KEY REFERENCES ethaudit.checks ON DELETE CASCADE,
    warn                   double precision,
    critical               double precision,
    direction              text NOT NULL
                           CONSTRAINT thresholds_direction_check CHECK (direction IN ('above', 'below')),
    owner_role             name,
    response_time          interval NOT NULL DEFAULT '1 day',
    critical_response_time interval,
    resolve_after          integer NOT NULL DEFAULT 3
                           CONSTRAINT thresholds_resolve_after_check CHECK (resolve_after >= 1),
    notes                  text,
    updated_at             timestamptz,
    broken_after           integer NOT NULL DEFAULT 3
                           CONSTRAINT thresholds_broken_after_check CHECK (broken_after >= 1),
    CONSTRAINT thresholds_level_check CHECK (warn IS NOT NULL OR critical IS NOT NULL)
);
COMMENT ON TABLE ethaudit.thresholds IS
'Alert levels of a check: a value strictly beyond warn is a warning, strictly beyond critical is critical. Configuration: kept by pg_dump.';
COMMENT ON COLUMN ethaudit.thresholds.check_id IS 'The check (ethaudit.checks).';
COMMENT ON COLUMN ethaudit.thresholds.warn IS 'Warning level (NULL: no warning level).';
COMMENT ON COLUMN ethaudit.thresholds.critical IS 'Critical level (NULL: no critical level). Must be more severe than warn.';
COMMENT ON COLUMN ethaudit.thresholds.direction IS 'above: values above the levels are bad; below: values below them are. Defaults to the metric''s direction.';
COMMENT ON COLUMN ethaudit.thresholds.owner_role IS 'Role that answers the alerts of the check; defaults to the owner of the model.';
COMMENT ON COLUMN ethaudit.thresholds.response_time IS 'An alert is due this long after it opens.';
COMMENT ON COLUMN ethaudit.thresholds.critical_response_time IS 'Due time of a critical alert, from when it opens or escalates (default: response_time).';
COMMENT ON COLUMN ethaudit.thresholds.resolve_after IS 'An open alert resolves itself after this many consecutive ok results.';
COMMENT ON COLUMN ethaudit.thresholds.notes IS 'Free text: why these levels.';
COMMENT ON COLUMN ethaudit.thresholds.updated_at IS 'When the row was last changed.';
COMMENT ON COLUMN ethaudit.thresholds.broken_after IS 'This many consecutive live results with status error open a check_broken alert (a check without thresholds uses 3).';

CREATE FUNCTION ethaudit_internal.validate_threshold()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c record;
BEGIN
    SELECT ch.check_name, ch.metric, mc.default_direction, mo.owner_role INTO c
    FROM ethaudit.checks ch
    JOIN ethaudit.models mo ON mo.model = ch.model
    LEFT JOIN ethaudit.metric_catalog mc ON mc.metric = ch.metric
    WHERE ch.check_id = NEW.check_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'check % does not exist', NEW.check_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    NEW.direction := coalesce(NEW.direction, c.default_direction);
    NEW.owner_role := coalesce(NEW.owner_role, c.owner_role);
    IF NEW.direction NOT IN ('above', 'below') THEN
        RAISE EXCEPTION 'invalid direction "%" for check %', NEW.direction, c.check_name
            USING ERRCODE = 'check_violation',
                  HINT = 'above: high values are bad; below: low values are bad.';
    END IF;
    IF NEW.warn IS NULL AND NEW.critical IS NULL THEN
        RAISE EXCEPTION 'thresholds of check % need warn, critical or both', c.check_name
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.warn = 'NaN'::float8 OR NEW.critical = 'NaN'::float8 THEN
        RAISE EXCEPTION 'thresholds of check % must not be NaN', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NEW.direction = 'above' AND NEW.warn >= NEW.critical THEN
        RAISE EXCEPTION 'warn (%) must be below critical (%) for check %, whose direction is above',
            NEW.warn, NEW.critical, c.check_name
            USING ERRCODE = 'check_violation',
                  HINT = 'warn is the less severe level.';
    END IF;
    IF NEW.direction = 'below' AND NEW.warn <= NEW.critical THEN
        RAISE EXCEPTION 'warn (%) must be above critical (%) for check %, whose direction is below',
            NEW.warn, NEW.critical, c.check_name
            USING ERRCODE = 'check_violation',
                  HINT = 'warn is the less severe level.';
    END IF;
    IF NOT ethaudit_internal.role_is_valid(NEW.owner_role) THEN
        RAISE EXCEPTION 'role "%" does not exist', NEW.owner_role
            USING ERRCODE = 'undefined_object',
                  DETAIL = pg_catalog.format('owner_role of the thresholds of check %s.', c.check_name);
    END IF;
    IF NEW.response_time IS NULL OR NEW.response_time <= interval '0'
       OR NEW.critical_response_time <= interval '0' THEN
        RAISE EXCEPTION 'response times of check % must be positive', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        NEW.updated_at := pg_catalog.now();
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.validate_threshold() IS
'Trigger function: validates thresholds (warn less severe than critical, no NaN, owner role exists, positive response times) and fills in the default direction and owner.';
CREATE TRIGGER validate_threshold BEFORE INSERT OR UPDATE ON ethaudit.thresholds
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.validate_threshold();
COMMENT ON TRIGGER validate_threshold ON ethaudit.thresholds IS
'Validates thresholds before they are written.';

CREATE TRIGGER audit_change AFTER INSERT OR UPDATE OR DELETE ON ethaudit.thresholds
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.audit_config_change('threshold');
COMMENT ON TRIGGER audit_change ON ethaudit.thresholds IS 'Records every change of thresholds in the audit log.';

SELECT pg_catalog.pg_extension_config_dump('ethaudit.thresholds', '');

-- -------- the status rule --------

CREATE FUNCTION ethaudit.classify(value double precision, warn double precision,
                                  critical double precision, direction text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE
        WHEN value IS NULL OR value = 'NaN'::float8 THEN 'insufficient_data'
        WHEN direction = 'above' AND value > critical THEN 'critical'
        WHEN direction = 'above' AND value > warn THEN 'warning'
        WHEN direction = 'below' AND value < critical THEN 'critical'
        WHEN direction = 'below' AND value < warn THEN 'warning'
        ELSE 'ok'
    END
$$;
COMMENT ON FUNCTION ethaudit.classify(double precision, double precision, double precision, text) IS
'Status of a value against thresholds: critical if strictly beyond critical, warning if strictly beyond warn (in the given direction), ok otherwise; insufficient_data for NULL or NaN.';
-- ====================================================================
-- Governance: stored baselines as the reference of a check
--
-- Needs the ethaudit.baseline type (src/sql/state_baseline.sql).  A check with
-- reference_kind = 'baseline' compares its current window with a row of
-- ethaudit.baselines, the reference distribution of one column of one
-- model (and optionally one version), instead of scanning a reference
-- window at every run.
-- ====================================================================

CREATE TABLE ethaudit.baselines (
    baseline_id   bigserial PRIMARY KEY,
    model         text NOT NULL REFERENCES ethaudit.models ON UPDATE CASCADE,
    version       text,
    column_name   name NOT NULL,
    value_kind    text NOT NULL
                  CONSTRAINT baselines_value_kind_check CHECK (value_kind IN ('numeric', 'categorical')),
    baseline      ethaudit.baseline NOT NULL,
    n             bigint NOT NULL,
    source        text,
    window_start  timestamptz,
    window_end    timestamptz,
    description   text,
    created_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at    timestamptz,
    FOREIGN KEY (model, version) REFERENCES ethaudit.model_versions ON UPDATE CASCADE
);
CREATE UNIQUE INDEX baselines_one_per_column
    ON ethaudit.baselines (model, (coalesce(version, '')), column_name);
COMMENT ON INDEX ethaudit.baselines_one_per_column IS
'One baseline per model, version (or none) and column.';
COMMENT ON SEQUENCE ethaudit.baselines_baseline_id_seq IS 'Identifiers of baselines.';
COMMENT ON TABLE ethaudit.baselines IS
'Stored reference distributions (ethaudit.baseline) of one column per model and version, for checks with reference_kind baseline. Configuration: kept by pg_dump.';
COMMENT ON COLUMN ethaudit.baselines.baseline_id IS 'Identifier (key); checks.baseline_id points here.';
COMMENT ON COLUMN ethaudit.baselines.model IS 'The model (ethaudit.models).';
COMMENT ON COLUMN ethaudit.baselines.version IS 'The version it describes, or NULL for every version of the model.';
COMMENT ON COLUMN ethaudit.baselines.column_name IS 'The column it describes (the value_column of the checks that use it).';
COMMENT ON COLUMN ethaudit.baselines.value_kind IS 'numeric (bins) or categorical (category counts); taken from the baseline itself.';
COMMENT ON COLUMN ethaudit.baselines.baseline IS 'The reference distribution (ethaudit.baseline).';
COMMENT ON COLUMN ethaudit.baselines.n IS 'Values in the baseline (ethaudit.baseline_n); filled in on write.';
COMMENT ON COLUMN ethaudit.baselines.source IS 'Where it was computed from (store_baseline records the relation).';
COMMENT ON COLUMN ethaudit.baselines.window_start IS 'Start of the rows it was computed from.';
COMMENT ON COLUMN ethaudit.baselines.window_end IS 'End (exclusive) of the rows it was computed from.';
COMMENT ON COLUMN ethaudit.baselines.description IS 'Free text.';
COMMENT ON COLUMN ethaudit.baselines.created_at IS 'When it was stored.';
COMMENT ON COLUMN ethaudit.baselines.updated_at IS 'When it was last replaced.';

CREATE FUNCTION ethaudit_internal.validate_baseline()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c record;
BEGIN
    IF NEW.baseline IS NULL THEN
        RAISE EXCEPTION 'baseline of model % column % must not be NULL', NEW.model, NEW.column_name
            USING ERRCODE = 'not_null_violation';
    END IF;
    NEW.value_kind := (ethaudit.baseline_summary(NEW.baseline)).kind;
    NEW.n := ethaudit.baseline_n(NEW.baseline);
    IF TG_OP = 'UPDATE' THEN
        NEW.updated_at := now();
        -- the checks using it must still fit
        FOR c IN SELECT ch.* FROM ethaudit.checks ch WHERE ch.baseline_id = NEW.baseline_id LOOP
            IF c.value_kind IS DISTINCT FROM NEW.value_kind OR c.model <> NEW.model
               OR (NEW.version IS NOT NULL AND c.version IS DISTINCT FROM NEW.version) THEN
                RAISE EXCEPTION 'baseline % no longer fits check %', NEW.baseline_id, c.check_name
                    USING ERRCODE = 'datatype_mismatch',
                          DETAIL = format('The check reads %s values of model %s%s; the baseline is %s, of model %s%s.',
                                          c.value_kind, c.model, coalesce(' version ' || c.version, ''),
                                          NEW.value_kind, NEW.model, coalesce(' version ' || NEW.version, ''));
            END IF;
        END LOOP;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.validate_baseline() IS
'Trigger function: fills in value_kind and n from the stored baseline and, when it is replaced, checks that the checks using it still fit.';
CREATE TRIGGER validate_baseline BEFORE INSERT OR UPDATE ON ethaudit.baselines
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.validate_baseline();
COMMENT ON TRIGGER validate_baseline ON ethaudit.baselines IS
'Validates a baseline before it is written.';

CREATE TRIGGER audit_change AFTER INSERT OR UPDATE OR DELETE ON ethaudit.baselines
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.audit_config_change('baseline');
COMMENT ON TRIGGER audit_change ON ethaudit.baselines IS 'Records every stored, replaced or deleted baseline in the audit log.';

SELECT pg_catalog.pg_extension_config_dump('ethaudit.baselines', '');
SELECT pg_catalog.pg_extension_config_dump('ethaudit.baselines_baseline_id_seq', '');

-- -------- checks that compare with a stored baseline --------

ALTER TABLE ethaudit.checks
    ADD CONSTRAINT checks_baseline_id_fkey FOREIGN KEY (baseline_id) REFERENCES ethaudit.baselines;

CREATE FUNCTION ethaudit_internal.check_baseline_matches(c ethaudit.checks)
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    b record;
BEGIN
    SELECT x.baseline_id, x.model, x.version, x.column_name, x.value_kind INTO b
    FROM ethaudit.baselines x WHERE x.baseline_id = c.baseline_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'baseline % does not exist', c.baseline_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF b.model <> c.model THEN
        RAISE EXCEPTION 'baseline % belongs to model %, not to model % of check %', b.baseline_id, b.model, c.model, c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF b.version IS NOT NULL AND b.version IS DISTINCT FROM c.version THEN
        RAISE EXCEPTION 'baseline % describes version % of model %, but check % is not pinned to that version',
            b.baseline_id, b.version, b.model, c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF b.value_kind IS DISTINCT FROM c.value_kind THEN
        RAISE EXCEPTION 'baseline % is %, but check % reads column "%" as %',
            b.baseline_id, b.value_kind, c.check_name, c.value_column, c.value_kind
            USING ERRCODE = 'datatype_mismatch';
    END IF;
    IF c.metric = 'ks_stat' AND b.value_kind <> 'numeric' THEN
        RAISE EXCEPTION 'ks_stat needs a numeric baseline' USING ERRCODE = 'datatype_mismatch';
    END IF;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.check_baseline_matches(ethaudit.checks) IS
'Internal: checks that the stored baseline of a check belongs to its model (and version) and has the kind of values the check reads.';

-- -------- capturing quantile edges by counting, in passes (src/baseline_capture.c) --------
--
-- baseline(value, bins) keeps every value to find its quantile edges, so on
-- a Citus distributed table every row travels to the coordinator.  The
-- capture below finds the same edges exactly with aggregates that each node
-- computes over its own rows: a count with the range and the infinities,
-- then a few passes (count, min and max GROUP BY width_bucket) that narrow,
-- for each order statistic the edges need, the bracket holding it, then the
-- few values left in the brackets, then one baseline(value, reference) over
-- the edges found.  A pass returns a few thousand rows at most.

CREATE FUNCTION ethaudit_internal.quantile_ranks(n bigint, bins integer)
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'quantile_ranks' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ethaudit_internal.quantile_ranks(bigint, integer) IS
'Internal: the 0-based ranks of the order statistics that the edges of baseline(value, bins) read for n values, ascending.';

CREATE FUNCTION ethaudit_internal.quantile_bins(n bigint, bins integer, ranks bigint[], order_statistics double precision[])
RETURNS ethaudit.baseline
AS 'MODULE_PATHNAME', 'quantile_bins' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ethaudit_internal.quantile_bins(bigint, integer, bigint[], double precision[]) IS
'Internal: an empty numeric baseline over the quantile edges of n values whose order statistics at ranks (those of quantile_ranks) are given; the edges are computed as baseline(value, bins) computes them.';

CREATE FUNCTION ethaudit_internal.selection_grid(lo double precision, hi double precision, pieces integer)
RETURNS double precision[]
AS 'MODULE_PATHNAME', 'selection_grid' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ethaudit_internal.selection_grid(double precision, double precision, integer) IS
'Internal: at most pieces ascending edges in [lo, hi), lo first, spaced evenly in value and in the order of the doubles; every double of [lo, hi) when there are at most pieces.';

CREATE FUNCTION ethaudit_internal.float8_next_up(x double precision)
RETURNS double precision
AS 'MODULE_PATHNAME', 'float8_next_up' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ethaudit_internal.float8_next_up(double precision) IS
'Internal: the next double above x.';

-- 'distributed' or 'reference' for a Citus table of that kind, else NULL
CREATE FUNCTION ethaudit_internal.citus_table_kind(source regclass)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    method text;
    replication text;
BEGIN
    IF pg_catalog.to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE 'SELECT p.partmethod::text, p.repmodel::text FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid = $1'
        INTO method, replication USING source;
    -- a Citus local table (method n, not replicated) stays on the coordinator
    RETURN CASE WHEN method IS NULL OR (method = 'n' AND replication <> 't') THEN NULL
                WHEN method = 'n' THEN 'reference' ELSE 'distributed' END;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.citus_table_kind(regclass) IS
'Internal: ''distributed'' or ''reference'' for a Citus table of that kind (read from pg_dist_partition when Citus is installed), NULL for any other relation, a Citus local table included.';

-- the rows counted by two passes of a capture differ: refused, never stored
CREATE FUNCTION ethaudit_internal.capture_saw_changes(source regclass)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'the rows of % changed while their baseline was captured', source
        USING ERRCODE = 'serialization_failure',
              HINT = 'Capture a window that no longer receives rows, or capture it in a REPEATABLE READ transaction.';
END
$$;
COMMENT ON FUNCTION ethaudit_internal.capture_saw_changes(regclass) IS
'Internal: raises 40001, the rows of source changed between two passes of capture_quantile_baseline.';

CREATE FUNCTION ethaudit_internal.capture_quantile_baseline(
    source regclass, value_sql text, filter_sql text, args timestamptz[], bins integer)
RETURNS ethaudit.baseline
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET extra_float_digits = 3
AS $$
DECLARE
    -- every query is plain aggregates over the relation, with no subquery,
    -- so that a distributed planner pushes it down whole
    v text := format('(%s)', value_sql);
    from_sql text := format(' FROM %s AS src WHERE %s', source, filter_sql);
    n bigint;
    n_neg bigint;
    n_pos bigint;
    finite_min double precision;
    finite_max double precision;
    -- per order statistic: its rank, its value once found, and until then
    -- the bracket [lo, hi] known to hold it (the smallest and largest value
    -- of a bin), the number of values below lo, and the values in it
    ranks bigint[];
    stat double precision[];
    lo double precision[];
    hi double precision[];
    below bigint[];
    inbin bigint[];
    -- the distinct open brackets, ascending; two brackets never overlap
    b_lo double precision[];
    b_hi double precision[];
    b_in bigint[];
    fetch_limit bigint;
    passes integer := 0;
    pieces integer;
    edges double precision[];
    -- a pass's bins with values: bucket, count, smallest and largest value
    bin_k integer[];
    counts bigint[];
    bin_lo double precision[];
    bin_hi double precision[];
    total numeric;
    cum bigint[];
    fetched double precision[];
    j integer;
    a integer;
    z integer;
    b ethaudit.baseline;
BEGIN
    IF bins IS NULL OR bins < 2 OR bins > 10000 THEN
        RAISE EXCEPTION 'baseline: bins must be between 2 and 10000, got %', bins
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- pass 0: the count, the infinities, the finite range
    SELECT x.n, x.n_neg, x.n_pos, x.lo, x.hi INTO n, n_neg, n_pos, finite_min, finite_max
    FROM ethaudit_internal.run_as_owner(source, format(
        'SELECT pg_catalog.count(%1$s), pg_catalog.count(CASE WHEN %1$s = ''-Infinity'' THEN 1 END), '
        'pg_catalog.count(CASE WHEN %1$s = ''Infinity'' THEN 1 END), '
        'pg_catalog.min(CASE WHEN %1$s > ''-Infinity'' AND %1$s < ''Infinity'' THEN %1$s END), '
        'pg_catalog.max(CASE WHEN %1$s > ''-Infinity'' AND %1$s < ''Infinity'' THEN %1$s END)%2$s AND %1$s <> ''NaN''',
        v, from_sql), args)
        AS x(n bigint, n_neg bigint, n_pos bigint, lo double precision, hi double precision);
    IF n = 0 THEN
        RETURN NULL;
    END IF;

    -- the infinities and the ends of the finite range need no pass
    ranks := ethaudit_internal.quantile_ranks(n, bins);
    FOR t IN 1 .. cardinality(ranks) LOOP
        IF ranks[t] < n_neg THEN
            stat[t] := '-Infinity';
        ELSIF ranks[t] >= n - n_pos THEN
            stat[t] := 'Infinity';
        ELSIF ranks[t] = n_neg OR finite_min = finite_max THEN
            stat[t] := finite_min;
        ELSIF ranks[t] = n - n_pos - 1 THEN
            stat[t] := finite_max;
        ELSE
            lo[t] := finite_min;
            hi[t] := finite_max;
            below[t] := n_neg;
            inbin[t] := n - n_neg - n_pos;
        END IF;
    END LOOP;
    fetch_limit := greatest(10000, 8 * cardinality(ranks));

    LOOP
        SELECT array_agg(d.l ORDER BY d.l), array_agg(d.h ORDER BY d.l), array_agg(d.c ORDER BY d.l)
          INTO b_lo, b_hi, b_in
          FROM (SELECT DISTINCT lo[t] AS l, hi[t] AS h, inbin[t] AS c
                FROM generate_subscripts(ranks, 1) AS t WHERE stat[t] IS NULL) AS d;
        EXIT WHEN b_lo IS NULL;

        IF (SELECT sum(c) FROM unnest(b_in) AS c) <= fetch_limit THEN
            -- few values left in the brackets: read them, and rank them here
            SELECT array_agg(x.v ORDER BY x.v) INTO fetched
            -- (in a bracket: an odd bucket of lo1, next_up(hi1), lo2, ...; a binary search per row)
            FROM ethaudit_internal.run_as_owner(source, format(
                     'SELECT %1$s%2$s AND pg_catalog.width_bucket(%1$s, %3$L::pg_catalog.float8[]) %% 2 = 1', v, from_sql,
                     (SELECT array_agg(e ORDER BY u.k, e) FROM unnest(b_lo, b_hi) WITH ORDINALITY AS u(l, h, k),
                             unnest(ARRAY[u.l, ethaudit_internal.float8_next_up(u.h)]) AS e)), args)
                 AS x(v double precision);
            FOR t IN 1 .. cardinality(ranks) LOOP
                CONTINUE WHEN stat[t] IS NOT NULL;
                -- the first value read that is >= lo[t], then ranks[t] - below[t] on
                a := 1;
                z := coalesce(cardinality(fetched), 0) + 1;
                WHILE a < z LOOP
                    j := (a + z) / 2;
                    IF fetched[j] >= lo[t] THEN z := j; ELSE a := j + 1; END IF;
                END LOOP;
                j := a + (ranks[t] - below[t])::integer;
                stat[t] := CASE WHEN fetched[j] <= hi[t] THEN fetched[j] END;
                IF stat[t] IS NULL THEN
                    PERFORM ethaudit_internal.capture_saw_changes(source);
                END IF;
            END LOOP;
            EXIT;
        END IF;

        -- a counting pass: bins splitting every open bracket, and for each bin
        -- with values its count, smallest and largest value: a GROUP BY of
        -- width_bucket, plain aggregates a distributed executor runs on its
        -- nodes, one row per bin with values back
        passes := passes + 1;
        IF passes > 64 THEN
            RAISE EXCEPTION 'the baseline capture of % did not converge', source USING ERRCODE = 'internal_error';
        END IF;
        pieces := greatest(2, least(greatest(16, 1000 / cardinality(b_lo)), 20000 / cardinality(b_lo)));
        -- hi closes a bracket's last bin, so that a bin's values are the bracket's
        SELECT array_agg(e ORDER BY u.k, e) INTO edges
        FROM unnest(b_lo, b_hi) WITH ORDINALITY AS u(l, h, k),
             unnest(ethaudit_internal.selection_grid(u.l, u.h, pieces) || u.h) AS e;
        -- width_bucket's buckets are [t_i, t_i+1): with t = the double above
        -- each edge, bucket j holds (edges[j], edges[j+1]], the bins of baseline()
        SELECT array_agg(x.k ORDER BY x.k), array_agg(x.c ORDER BY x.k), array_agg(x.lo ORDER BY x.k),
               array_agg(x.hi ORDER BY x.k), sum(x.c)
          INTO bin_k, counts, bin_lo, bin_hi, total
        FROM ethaudit_internal.run_as_owner(source, format(
            'SELECT pg_catalog.width_bucket(%1$s, %2$L::pg_catalog.float8[]), pg_catalog.count(*), '
            'pg_catalog.min(%1$s), pg_catalog.max(%1$s)%3$s AND %1$s <> ''NaN'' GROUP BY 1',
            v, (SELECT array_agg(ethaudit_internal.float8_next_up(e) ORDER BY i) FROM unnest(edges) WITH ORDINALITY AS u(e, i)),
            from_sql), args) AS x(k integer, c bigint, lo double precision, hi double precision);
        IF total IS DISTINCT FROM n THEN
            PERFORM ethaudit_internal.capture_saw_changes(source);
        END IF;
        SELECT array_agg(s.total ORDER BY s.i) INTO cum
        FROM (SELECT u.i, sum(u.c) OVER (ORDER BY u.i) AS total
              FROM unnest(counts) WITH ORDINALITY AS u(c, i)) AS s;

        FOR t IN 1 .. cardinality(ranks) LOOP
            CONTINUE WHEN stat[t] IS NOT NULL;
            -- the bin holding rank t: the first whose running count passes it
            a := 1;
            z := cardinality(cum);
            WHILE a < z LOOP
                j := (a + z) / 2;
                IF cum[j] > ranks[t] THEN z := j; ELSE a := j + 1; END IF;
            END LOOP;
            j := a;
            -- bin bin_k[j] is (edges[k], edges[k+1]].  A bracket's lo is an
            -- edge, so the bin ending there holds its rank only at lo itself;
            -- any other bin holding the rank lies inside the bracket, and its
            -- smallest and largest values are the new bracket (ties end here)
            IF bin_k[j] < cardinality(edges) AND edges[bin_k[j] + 1] = lo[t] THEN
                stat[t] := lo[t];
            ELSIF bin_lo[j] < lo[t] OR bin_hi[j] > hi[t] THEN
                PERFORM ethaudit_internal.capture_saw_changes(source);
            ELSIF bin_lo[j] = bin_hi[j] THEN
                stat[t] := bin_lo[j];
            ELSE
                below[t] := coalesce(cum[j - 1], 0);
                inbin[t] := counts[j];
                lo[t] := bin_lo[j];
                hi[t] := bin_hi[j];
            END IF;
        END LOOP;
    END LOOP;

    -- the last pass: the rows counted over the quantile edges found
    SELECT x.b INTO b
    FROM ethaudit_internal.run_as_owner(source, format(
        'SELECT ethaudit.baseline(%s, %L::ethaudit.baseline)%s',
        v, ethaudit_internal.quantile_bins(n, bins, ranks, stat), from_sql), args)
        AS x(b ethaudit.baseline);
    IF b IS NULL OR ethaudit.baseline_n(b) <> n THEN
        PERFORM ethaudit_internal.capture_saw_changes(source);
    END IF;
    RAISE DEBUG 'baseline of %: % order statistics, % counting passes, % values read', source,
        cardinality(ranks), passes, coalesce(cardinality(fetched), 0);
    RETURN b;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.capture_quantile_baseline(regclass, text, text, timestamptz[], integer) IS
'Internal: baseline(value, bins) of the rows of source that filter_sql selects (value_sql reads the value as float8, from alias src; $1, $2.. are args), found by counting in passes that a distributed table runs on its nodes, not by keeping the values; equal to it. Runs as the owner of source (run_as_owner). NULL when there is no value. Not executable by PUBLIC (the admin part has it, for store_baseline).';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.capture_quantile_baseline(regclass, text, text, timestamptz[], integer) FROM PUBLIC;

CREATE FUNCTION ethaudit.store_baseline(
    model text, column_name name, source regclass, time_column name,
    window_start timestamptz, window_end timestamptz,
    version text DEFAULT NULL, bins integer DEFAULT NULL, value_kind text DEFAULT NULL,
    version_column name DEFAULT NULL, description text DEFAULT NULL)
RETURNS ethaudit.baselines
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
#variable_conflict use_column
DECLARE
    cls text;
    kind text := value_kind;
    q text;
    filter text;
    capture text;
    b ethaudit.baseline;
    result ethaudit.baselines;
BEGIN
    IF model IS NULL OR column_name IS NULL OR source IS NULL OR time_column IS NULL
       OR window_start IS NULL OR window_end IS NULL THEN
        RAISE EXCEPTION 'model, column_name, source, time_column, window_start and window_end must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF window_start >= window_end THEN
        RAISE EXCEPTION 'window_start must be before window_end' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF version IS NOT NULL AND version_column IS NULL THEN
        RAISE EXCEPTION 'a baseline of version % needs version_column to select its rows', version
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM ethaudit_internal.check_source(source, source::text, false);
    IF ethaudit_internal.type_class(ethaudit_internal.column_type(source, time_column)) IS DISTINCT FROM 'time' THEN
        RAISE EXCEPTION 'column "%" of relation % is not a date, timestamp or timestamptz', time_column, source
            USING ERRCODE = 'datatype_mismatch';
    END IF;
    cls := ethaudit_internal.type_class(ethaudit_internal.column_type(source, column_name));
    kind := coalesce(kind, CASE WHEN cls IN ('integer', 'float') THEN 'numeric'
                                WHEN cls IN ('text', 'boolean', 'enum') THEN 'categorical' END);
    IF kind IS NULL OR kind NOT IN ('numeric', 'categorical')
       OR (kind = 'numeric' AND cls NOT IN ('integer', 'float'))
       OR (kind = 'categorical' AND cls NOT IN ('text', 'boolean', 'enum', 'integer')) THEN
        RAISE EXCEPTION 'column "%" of relation % has type %, which cannot be read as a % value',
            column_name, source, ethaudit_internal.column_type(source, column_name), coalesce(kind, 'numeric or categorical')
            USING ERRCODE = 'datatype_mismatch';
    END IF;
    IF bins IS NOT NULL AND kind <> 'numeric' THEN
        RAISE EXCEPTION 'bins applies only to numeric baselines' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF version_column IS NOT NULL THEN
        PERFORM ethaudit_internal.column_type(source, version_column);
    END IF;

    filter := format('src.%I >= $1 AND src.%I < $2%s', time_column, time_column,
                     CASE WHEN version IS NULL THEN ''
                          ELSE format(' AND %s = %L', ethaudit_internal.text_of(source, version_column), version) END);
    capture := coalesce(pg_catalog.current_setting('ethaudit.baseline_capture', true), 'auto');
    IF kind = 'numeric' AND (capture = 'count' OR (capture = 'auto'
                             AND ethaudit_internal.citus_table_kind(source) = 'distributed')) THEN
        -- edges found by counting on the nodes, not by sending every value to one
        b := ethaudit_internal.capture_quantile_baseline(source, format('src.%I::pg_catalog.float8', column_name),
                                                         filter, ARRAY[window_start, window_end], coalesce(bins, 10));
    ELSE
        q := format('SELECT ethaudit.baseline(%s%s) FROM %s AS src WHERE %s',
                    CASE kind WHEN 'numeric' THEN format('src.%I::pg_catalog.float8', column_name)
                              ELSE ethaudit_internal.text_of(source, column_name) END,
                    CASE WHEN bins IS NULL THEN '' ELSE format(', %s', bins) END,
                    source, filter);
        -- as the source's owner (ethaudit_internal.run_as_owner)
        SELECT x.b INTO b FROM ethaudit_internal.run_as_owner(source, q, ARRAY[window_start, window_end]) AS x(b ethaudit.baseline);
    END IF;
    IF b IS NULL OR ethaudit.baseline_n(b) = 0 THEN
        RAISE EXCEPTION 'no values of column "%" in % between % and %', column_name, source, window_start, window_end
            USING ERRCODE = 'no_data_found';
    END IF;

    INSERT INTO ethaudit.baselines AS x
        (model, version, column_name, value_kind, baseline, n, source, window_start, window_end, description)
    VALUES (store_baseline.model, store_baseline.version, store_baseline.column_name, kind, b, 0,
            ethaudit_internal.qualified_name(store_baseline.source), store_baseline.window_start, store_baseline.window_end,
            store_baseline.description)
    ON CONFLICT (model, (coalesce(version, '')), column_name) DO UPDATE SET
        baseline = excluded.baseline, source = excluded.source, window_start = excluded.window_start,
        window_end = excluded.window_end, description = coalesce(excluded.description, x.description)
    RETURNING x.* INTO result;
    RETURN result;
END
$$;
COMMENT ON FUNCTION ethaudit.store_baseline(text, name, regclass, name, timestamptz, timestamptz, text, integer, text, name, text) IS
'Computes the baseline of one column over [window_start, window_end) of a relation (only rows of version, if given, selected by version_column) and stores it in ethaudit.baselines, replacing the previous baseline of that model, version and column. Returns the stored row.';
REVOKE EXECUTE ON FUNCTION ethaudit.store_baseline(text, name, regclass, name, timestamptz, timestamptz, text, integer, text, name, text) FROM PUBLIC;
-- ====================================================================
-- Security: the parts roles play, and the membership tests of the
-- row-level security policies
--
--   security_roles       which existing role plays which part: auditor,
--                        writer, admin, owner (doc/security.md)
--   has_role_kind(), reads_everything(), readable_models(), is_member_of()
--                        what the policies of the evidence tables ask
--                        (each table's file creates its policies)
--   create_roles()       creates NOLOGIN group roles for the four parts
--                        (nothing is created unless it is called)
--   set_security_role()  gives an existing role a part and its privileges
--
-- A model's evidence is visible to members of its owner role
-- (models.owner_role, or the owner role of one of its checks' thresholds)
-- and to the auditor; a run also to the role that ran it.  Only the
-- extension's own functions update or delete evidence.
-- ====================================================================

CREATE TABLE ethaudit.security_roles (
    role_kind   text PRIMARY KEY
                CONSTRAINT security_roles_kind_check CHECK (role_kind IN ('auditor', 'writer', 'admin', 'owner')),
    role_name   name NOT NULL,
    granted_at  timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    granted_by  name NOT NULL
);
COMMENT ON TABLE ethaudit.security_roles IS
'The role that plays each part (doc/security.md): auditor (reads all evidence, changes nothing), writer (runs checks and records decisions, reads no evidence), admin (configuration and retention), owner (the privileges of model owners: members of a model''s owner role read its evidence and answer its alerts). Set with set_security_role() or create_roles(). Kept by pg_dump.';
COMMENT ON COLUMN ethaudit.security_roles.role_kind IS 'auditor, writer, admin or owner.';
COMMENT ON COLUMN ethaudit.security_roles.role_name IS 'The role (must exist); its members act in that part.';
COMMENT ON COLUMN ethaudit.security_roles.granted_at IS 'When the part was given.';
COMMENT ON COLUMN ethaudit.security_roles.granted_by IS 'Who gave it (session role).';

CREATE FUNCTION ethaudit_internal.validate_security_role()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.role_kind IS NULL OR NEW.role_kind NOT IN ('auditor', 'writer', 'admin', 'owner') THEN
        RAISE EXCEPTION 'invalid role kind "%"', NEW.role_kind
            USING ERRCODE = 'check_violation',
                  HINT = 'The kinds are auditor, writer, admin and owner.';
    END IF;
    IF NEW.role_name IS NULL OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = NEW.role_name) THEN
        RAISE EXCEPTION 'role "%" does not exist', NEW.role_name
            USING ERRCODE = 'undefined_object',
                  DETAIL = pg_catalog.format('role_name of the %s part.', NEW.role_kind);
    END IF;
    NEW.granted_by := coalesce(NEW.granted_by, ethaudit.session_role());
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.validate_security_role() IS
'Trigger function: checks the kind and that the role exists, and records who gave the part.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.validate_security_role() FROM PUBLIC;
CREATE TRIGGER validate_security_role BEFORE INSERT OR UPDATE ON ethaudit.security_roles
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.validate_security_role();
COMMENT ON TRIGGER validate_security_role ON ethaudit.security_roles IS
'Validates a security role before it is written.';

CREATE TRIGGER audit_change AFTER INSERT OR UPDATE OR DELETE ON ethaudit.security_roles
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.audit_config_change('security_role');
COMMENT ON TRIGGER audit_change ON ethaudit.security_roles IS
'Records every change of the security roles in the audit log.';

SELECT pg_catalog.pg_extension_config_dump('ethaudit.security_roles', '');

-- -------- membership tests used by the policies --------

-- These read configuration the querying role may not be allowed to read,
-- so they are SECURITY DEFINER; they are passed CURRENT_USER by the
-- policies, because inside them CURRENT_USER is the extension's owner.
CREATE FUNCTION ethaudit.has_role_kind(who name, kind text)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    -- only for the session's own role or a role it belongs to: nobody learns
    -- which part another role plays
    SELECT pg_catalog.pg_has_role(ethaudit.session_role(), who, 'MEMBER')
       AND EXISTS (SELECT 1 FROM ethaudit.security_roles s JOIN pg_catalog.pg_roles r ON r.rolname = s.role_name
                   WHERE s.role_kind = kind AND pg_catalog.pg_has_role(who, r.oid, 'MEMBER'))
$$;
COMMENT ON FUNCTION ethaudit.has_role_kind(name, text) IS
'True if role who is a member of the role that plays the given part (auditor, writer, admin, owner) in ethaudit.security_roles. Answers only for the session''s role and roles it is a member of (a superuser''s session: any role); false for any other. SECURITY DEFINER.';

CREATE FUNCTION ethaudit.reads_everything(who name)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.pg_has_role(ethaudit.session_role(), who, 'MEMBER')
       AND (coalesce((SELECT pg_catalog.pg_has_role(who, e.extowner, 'MEMBER')
                      FROM pg_catalog.pg_extension e WHERE e.extname = 'ethaudit'), false)
            OR ethaudit.has_role_kind(who, 'auditor'))
$$;
COMMENT ON FUNCTION ethaudit.reads_everything(name) IS
'True if role who sees every model''s evidence: a member of the auditor role, or of the extension''s owner (its own functions). Answers only for the session''s role and roles it is a member of; false for any other. Used by the row-level security policies. SECURITY DEFINER.';

CREATE FUNCTION ethaudit.readable_models(who name)
RETURNS text[]
LANGUAGE sql STABLE PARALLEL SAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    -- only for the session's own role or a role it belongs to: nobody learns
    -- which models another team owns
    SELECT CASE WHEN NOT pg_catalog.pg_has_role(ethaudit.session_role(), who, 'MEMBER') THEN '{}'::text[]
           ELSE coalesce((
               SELECT pg_catalog.array_agg(DISTINCT x.model ORDER BY x.model) FROM (
                   SELECT mo.model FROM ethaudit.models mo
                   JOIN pg_catalog.pg_roles r ON r.rolname = mo.owner_role
                   WHERE pg_catalog.pg_has_role(who, r.oid, 'MEMBER')
                   UNION ALL
                   SELECT ch.model FROM ethaudit.checks ch
                   JOIN ethaudit.thresholds th ON th.check_id = ch.check_id
                   JOIN pg_catalog.pg_roles r ON r.rolname = th.owner_role
                   WHERE pg_catalog.pg_has_role(who, r.oid, 'MEMBER')) x), '{}'::text[]) END
$$;
COMMENT ON FUNCTION ethaudit.readable_models(name) IS
'The models whose evidence role who may read: those whose owner role it is a member of, and those with a check whose thresholds'' owner role it is a member of. Empty unless who is the session''s role or one the session role belongs to. Used by the row-level security policies. SECURITY DEFINER.';

CREATE FUNCTION ethaudit.is_member_of(role_name name)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                   WHERE r.rolname = role_name
                     AND pg_catalog.pg_has_role(CURRENT_USER, r.oid, 'MEMBER'))
$$;
COMMENT ON FUNCTION ethaudit.is_member_of(name) IS
'True if the current user is a member of the named role (false if the role does not exist). Used by the row-level security policies on alerts.';

-- -------- giving parts to roles --------

-- The privileges of each part, as statements with one %I for the role.
-- Every object is named with its schema; the role is always quoted.
CREATE FUNCTION ethaudit.role_privileges(kind text)
RETURNS text[]
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE kind
    WHEN 'auditor' THEN ARRAY[
        'USAGE ON SCHEMA ethaudit',
        'SELECT ON ethaudit.models, ethaudit.model_versions, ethaudit.checks, ethaudit.thresholds, ethaudit.baselines, '
        'ethaudit.runs, ethaudit.results, ethaudit.alerts, ethaudit.alert_events, ethaudit.audit_log, '
        'ethaudit.audit_checkpoints, ethaudit.privacy_policies, ethaudit.retention_policies, ethaudit.security_roles, '
        'ethaudit.stage_history, ethaudit.open_alerts, ethaudit.latest_results, ethaudit.result_history, ethaudit.model_cards, ethaudit.monitored_tables',
        'EXECUTE ON FUNCTION ethaudit.verify_audit_log(bigint, text), ethaudit.audit_head(), ethaudit.verify_results(), '
        'ethaudit.pseudonymise(text), ethaudit.pseudonymise(text, integer)']
    WHEN 'owner' THEN ARRAY[
        'USAGE ON SCHEMA ethaudit',
        'SELECT ON ethaudit.models, ethaudit.model_versions, ethaudit.checks, ethaudit.thresholds, ethaudit.baselines, '
        'ethaudit.privacy_policies, ethaudit.runs, ethaudit.results, ethaudit.alerts, ethaudit.alert_events, ethaudit.audit_log, '
        'ethaudit.stage_history'
        -- before PostgreSQL 15 the views run with their owner's rights, which
        -- would show every model: owners get them only where they are security_invoker
        || CASE WHEN pg_catalog.current_setting('server_version_num')::integer >= 150000
                THEN ', ethaudit.open_alerts, ethaudit.latest_results, ethaudit.result_history, ethaudit.model_cards'
                ELSE '' END,
        'EXECUTE ON FUNCTION ethaudit.acknowledge_alert(bigint, text), ethaudit.resolve_alert(bigint, text), '
        'ethaudit.record_event(text, text, jsonb, text), '
        'ethaudit.record_decision(text, text, jsonb, jsonb, text[], text, text, text), ethaudit.pseudonymise(text)']
    WHEN 'writer' THEN ARRAY[
        'USAGE ON SCHEMA ethaudit',
        'SELECT ON ethaudit.models, ethaudit.model_versions, ethaudit.checks, ethaudit.thresholds, ethaudit.baselines, '
        'ethaudit.runs, ethaudit.stage_history',
        'EXECUTE ON FUNCTION ethaudit.run_checks(text, timestamptz, boolean), ethaudit.run_check(bigint, timestamptz, boolean), '
        'ethaudit.record_event(text, text, jsonb, text), '
        'ethaudit.record_decision(text, text, jsonb, jsonb, text[], text, text, text)']
    WHEN 'admin' THEN ARRAY[
        'USAGE ON SCHEMA ethaudit',
        'SELECT, INSERT, UPDATE, DELETE ON ethaudit.models, ethaudit.model_versions, ethaudit.checks, '
        'ethaudit.thresholds, ethaudit.baselines, ethaudit.privacy_policies, ethaudit.retention_policies',
        'SELECT ON ethaudit.security_roles, ethaudit.stage_history',
        'USAGE ON SEQUENCE ethaudit.checks_check_id_seq, ethaudit.baselines_baseline_id_seq',
        'EXECUTE ON FUNCTION ethaudit.set_stage(text, text, text, timestamptz), '
        'ethaudit.store_baseline(text, name, regclass, name, timestamptz, timestamptz, text, integer, text, name, text), '
        'ethaudit.monitor_table(regclass, text, name, name[], name, name[], interval), '
        'ethaudit.monitor_label_updates(regclass), ethaudit.unmonitor_table(regclass), ethaudit_internal.monitor_batch(), '
        'ethaudit.apply_retention(boolean), ethaudit_internal.retention_purge(boolean, jsonb), ethaudit.rotate_key(text), '
        'ethaudit.record_event(text, text, jsonb, text), '
        'ethaudit.record_decision(text, text, jsonb, jsonb, text[], text, text, text), '
        'ethaudit.verify_audit_log(bigint, text), ethaudit.audit_head(), ethaudit.verify_results(), '
        'ethaudit_internal.run_as_owner(regclass, text, timestamptz[]), '
        'ethaudit_internal.capture_quantile_baseline(regclass, text, text, timestamptz[], integer)']
    END
$$;
COMMENT ON FUNCTION ethaudit.role_privileges(text) IS
'The privileges of a part (auditor, owner, writer, admin), as GRANT objects; set_security_role() grants them. doc/security.md explains each. Model owners get the dashboard views only on PostgreSQL 15 and later, where they are security_invoker.';

CREATE FUNCTION ethaudit.set_security_role(kind text, role_name name)
RETURNS ethaudit.security_roles
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    old_role name;
    other text;
    p text;
    result ethaudit.security_roles;
BEGIN
    IF kind IS NULL OR role_name IS NULL THEN
        RAISE EXCEPTION 'kind and role_name must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF kind NOT IN ('auditor', 'writer', 'admin', 'owner') THEN
        RAISE EXCEPTION 'invalid role kind "%"', kind
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The kinds are auditor, writer, admin and owner.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = set_security_role.role_name) THEN
        RAISE EXCEPTION 'role "%" does not exist', role_name USING ERRCODE = 'undefined_object';
    END IF;
    SELECT s.role_name INTO old_role FROM ethaudit.security_roles s WHERE s.role_kind = kind FOR UPDATE;
    IF old_role IS DISTINCT FROM role_name AND EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = old_role) THEN
        -- the previous role loses the part's privileges, then gets back those
        -- of the other parts it still plays
        FOREACH p IN ARRAY ethaudit.role_privileges(kind) LOOP
            EXECUTE pg_catalog.format('REVOKE %s FROM %I', p, old_role);
        END LOOP;
        FOR other IN SELECT s.role_kind FROM ethaudit.security_roles s
                     WHERE s.role_name = old_role AND s.role_kind <> kind LOOP
            FOREACH p IN ARRAY ethaudit.role_privileges(other) LOOP
                EXECUTE pg_catalog.format('GRANT %s TO %I', p, old_role);
            END LOOP;
        END LOOP;
    END IF;
    FOREACH p IN ARRAY ethaudit.role_privileges(kind) LOOP
        EXECUTE pg_catalog.format('GRANT %s TO %I', p, role_name);
    END LOOP;
    INSERT INTO ethaudit.security_roles AS s (role_kind, role_name, granted_by)
    VALUES (kind, role_name, ethaudit.session_role())
    ON CONFLICT (role_kind) DO UPDATE SET role_name = excluded.role_name, granted_at = pg_catalog.clock_timestamp(),
                                          granted_by = excluded.granted_by
    RETURNING s.* INTO result;
    RETURN result;
END
$$;
COMMENT ON FUNCTION ethaudit.set_security_role(text, name) IS
'Gives an existing role a part (auditor, writer, admin, owner): grants it the part''s privileges (role_privileges) and records it in ethaudit.security_roles; the role that had the part before loses them. Needs the right to grant on ethaudit''s objects (the extension''s owner, a superuser). Not executable by PUBLIC.';
REVOKE EXECUTE ON FUNCTION ethaudit.set_security_role(text, name) FROM PUBLIC;

CREATE FUNCTION ethaudit.create_roles(prefix text DEFAULT 'ethaudit_')
RETURNS TABLE (role_kind text, role_name name, created boolean)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k text;
BEGIN
    IF prefix IS NULL THEN
        RAISE EXCEPTION 'prefix must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF prefix !~ '^[a-z_][a-z0-9_]{0,55}$' THEN
        RAISE EXCEPTION 'invalid role name prefix "%"', prefix
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'A prefix has up to 56 lowercase letters, digits and underscores and does not start with a digit, e.g. ethaudit_.';
    END IF;
    FOREACH k IN ARRAY ARRAY['auditor', 'writer', 'admin', 'owner'] LOOP
        role_kind := k;
        role_name := prefix || k;
        created := NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = create_roles.role_name);
        IF created THEN
            EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', role_name);
            EXECUTE pg_catalog.format('COMMENT ON ROLE %I IS %L', role_name,
                                      pg_catalog.format('ethaudit %s (see ethaudit.security_roles)', k));
        END IF;
        PERFORM ethaudit.set_security_role(k, role_name);
        RETURN NEXT;
    END LOOP;
END
$$;
COMMENT ON FUNCTION ethaudit.create_roles(text) IS
'Creates the NOLOGIN group roles <prefix>auditor, <prefix>writer, <prefix>admin and <prefix>owner (existing ones are reused) and gives each its part (set_security_role). Returns the roles and whether each was created. Needs CREATEROLE and the right to grant on ethaudit''s objects: run it as a superuser. CREATE EXTENSION creates no role; not executable by PUBLIC.';
REVOKE EXECUTE ON FUNCTION ethaudit.create_roles(text) FROM PUBLIC;
-- ====================================================================
-- Security: secret keys and keyed hashing
--
--   hmac_sha256()   HMAC-SHA-256 (RFC 2104) on the server's sha256()
--   keys            secret keys: checkpoint keys sign the retention
--                   checkpoints of the audit log, pseudonym keys the
--                   pseudonyms of privacy.sql; readable by the extension's
--                   owner only (no grants, row-level security without
--                   policies)
--   rotate_key()    retires the active key of a purpose, creates a new one
-- ====================================================================

CREATE FUNCTION ethaudit.hmac_sha256(key bytea, message bytea)
RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- RFC 2104 over SHA-256 (64-byte blocks): H((K xor opad) || H((K xor ipad) || m));
    -- a key longer than a block is hashed first, a shorter one padded with zeros
    WITH k AS (
        SELECT CASE WHEN pg_catalog.octet_length(key) > 64 THEN pg_catalog.sha256(key) ELSE key END AS k0
    ), pads AS (
        SELECT pg_catalog.string_agg(pg_catalog.set_byte('\x00'::bytea, 0,
                   CASE WHEN n < pg_catalog.octet_length(k.k0) THEN pg_catalog.get_byte(k.k0, n) ELSE 0 END # 54),
                   ''::bytea ORDER BY n) AS ipad,
               pg_catalog.string_agg(pg_catalog.set_byte('\x00'::bytea, 0,
                   CASE WHEN n < pg_catalog.octet_length(k.k0) THEN pg_catalog.get_byte(k.k0, n) ELSE 0 END # 92),
                   ''::bytea ORDER BY n) AS opad
        FROM k, pg_catalog.generate_series(0, 63) AS n
    )
    SELECT pg_catalog.sha256(pads.opad || pg_catalog.sha256(pads.ipad || message)) FROM pads
$$;
COMMENT ON FUNCTION ethaudit.hmac_sha256(bytea, bytea) IS
'HMAC-SHA-256 (RFC 2104) of message under key, built on the server''s sha256(); checked against the test vectors of RFC 4231.';

-- -------- the keys --------

CREATE TABLE ethaudit.keys (
    key_id      integer PRIMARY KEY,
    purpose     text NOT NULL
                CONSTRAINT keys_purpose_check CHECK (purpose IN ('checkpoint', 'pseudonym')),
    secret      bytea NOT NULL
                CONSTRAINT keys_secret_check CHECK (pg_catalog.octet_length(secret) = 32),
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    created_by  name NOT NULL,
    retired_at  timestamptz
);
CREATE UNIQUE INDEX keys_one_active ON ethaudit.keys (purpose) WHERE retired_at IS NULL;
COMMENT ON INDEX ethaudit.keys_one_active IS 'At most one active key per purpose.';
COMMENT ON TABLE ethaudit.keys IS
'Secret keys: checkpoint signs retention checkpoints of the audit log, pseudonym keys the HMAC of pseudonymised identifiers. Created on first use, rotated with rotate_key(); readable by the extension''s owner only (no grants, row-level security without policies). Kept by pg_dump: protect dumps accordingly.';
COMMENT ON COLUMN ethaudit.keys.key_id IS 'Identifier (key): 1, 2, ...; pseudonyms and checkpoints name the key they were made with.';
COMMENT ON COLUMN ethaudit.keys.purpose IS 'checkpoint or pseudonym.';
COMMENT ON COLUMN ethaudit.keys.secret IS 'The key: 32 random octets.';
COMMENT ON COLUMN ethaudit.keys.created_at IS 'When it was created.';
COMMENT ON COLUMN ethaudit.keys.created_by IS 'Role that caused its creation (session role).';
COMMENT ON COLUMN ethaudit.keys.retired_at IS 'When it was replaced by a newer key of the same purpose; retired keys still verify and re-derive.';
ALTER TABLE ethaudit.keys ENABLE ROW LEVEL SECURITY;

CREATE FUNCTION ethaudit_internal.key_guard()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.key_id = OLD.key_id AND NEW.purpose = OLD.purpose AND NEW.secret = OLD.secret
           AND NEW.created_at = OLD.created_at AND NEW.created_by = OLD.created_by
           AND OLD.retired_at IS NULL AND NEW.retired_at IS NOT NULL THEN
            RETURN NEW;             -- retiring
        END IF;
        RAISE EXCEPTION 'a key can only be retired, not changed' USING ERRCODE = 'insufficient_privilege';
    ELSIF TG_OP = 'DELETE' THEN
        IF OLD.purpose = 'pseudonym' AND OLD.retired_at IS NOT NULL THEN
            RETURN OLD;             -- destroying a retired pseudonym key (crypto-shredding)
        END IF;
        RAISE EXCEPTION 'key % cannot be deleted', OLD.key_id
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'Checkpoint keys verify the retention checkpoints; the active pseudonym key is in use.',
                  HINT = 'Only retired pseudonym keys can be destroyed.';
    END IF;
    RAISE EXCEPTION 'TRUNCATE of ethaudit.keys is not allowed' USING ERRCODE = 'insufficient_privilege';
END
$$;
COMMENT ON FUNCTION ethaudit_internal.key_guard() IS
'Trigger function: a key can only be retired (retired_at set once); only retired pseudonym keys can be deleted; TRUNCATE is refused (42501).';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.key_guard() FROM PUBLIC;

CREATE TRIGGER key_guard BEFORE UPDATE OR DELETE ON ethaudit.keys
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.key_guard();
CREATE TRIGGER key_guard_truncate BEFORE TRUNCATE ON ethaudit.keys
    FOR EACH STATEMENT EXECUTE FUNCTION ethaudit_internal.key_guard();
COMMENT ON TRIGGER key_guard ON ethaudit.keys IS 'Keys are retired, never changed; checkpoint keys are never deleted.';
COMMENT ON TRIGGER key_guard_truncate ON ethaudit.keys IS 'Refuses TRUNCATE of the keys.';

CREATE TRIGGER audit_change AFTER INSERT OR UPDATE OR DELETE ON ethaudit.keys
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.audit_config_change('key');
COMMENT ON TRIGGER audit_change ON ethaudit.keys IS 'Records the creation, retirement and destruction of keys (never the key) in the audit log.';

SELECT pg_catalog.pg_extension_config_dump('ethaudit.keys', '');

CREATE FUNCTION ethaudit_internal.active_key(purpose text)
RETURNS ethaudit.keys
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k ethaudit.keys;
BEGIN
    SELECT * INTO k FROM ethaudit.keys x WHERE x.purpose = active_key.purpose AND x.retired_at IS NULL;
    IF FOUND THEN
        RETURN k;
    END IF;
    -- one creator at a time; the random octets come from pg_strong_random
    -- through gen_random_uuid() (122 random bits each), hashed into 32 octets
    PERFORM pg_catalog.pg_advisory_xact_lock(1702127715, 1);
    SELECT * INTO k FROM ethaudit.keys x WHERE x.purpose = active_key.purpose AND x.retired_at IS NULL;
    IF FOUND THEN
        RETURN k;
    END IF;
    INSERT INTO ethaudit.keys AS x (key_id, purpose, secret, created_by)
    VALUES ((SELECT coalesce(max(y.key_id), 0) + 1 FROM ethaudit.keys y), active_key.purpose,
            pg_catalog.sha256(pg_catalog.decode(pg_catalog.replace(
                gen_random_uuid()::text || gen_random_uuid()::text || gen_random_uuid()::text || gen_random_uuid()::text,
                '-', ''), 'hex')),
            ethaudit.session_role())
    RETURNING x.* INTO k;
    RETURN k;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.active_key(text) IS
'Internal: the active key of a purpose (checkpoint, pseudonym), created on first use. SECURITY DEFINER; not executable by PUBLIC.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.active_key(text) FROM PUBLIC;

CREATE FUNCTION ethaudit.rotate_key(purpose text)
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k ethaudit.keys;
BEGIN
    IF purpose IS NULL THEN
        RAISE EXCEPTION 'purpose must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF purpose NOT IN ('checkpoint', 'pseudonym') THEN
        RAISE EXCEPTION 'unknown key purpose "%"', purpose
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The purposes are checkpoint and pseudonym.';
    END IF;
    PERFORM pg_catalog.pg_advisory_xact_lock(1702127715, 1);
    UPDATE ethaudit.keys x SET retired_at = pg_catalog.clock_timestamp()
    WHERE x.purpose = rotate_key.purpose AND x.retired_at IS NULL;
    k := ethaudit_internal.active_key(purpose);
    RETURN k.key_id;
END
$$;
COMMENT ON FUNCTION ethaudit.rotate_key(text) IS
'Retires the active key of a purpose (checkpoint or pseudonym) and creates a new one; returns its key_id. Later checkpoints and pseudonyms use the new key; retired keys are kept, so older checkpoints still verify and older pseudonyms can still be re-derived. SECURITY DEFINER; not executable by PUBLIC.';
REVOKE EXECUTE ON FUNCTION ethaudit.rotate_key(text) FROM PUBLIC;
-- ====================================================================
-- Security: the tamper-evident audit log
--
--   audit_log            append-only events, each chained to the one before
--                        it by a SHA-256 hash over a canonical encoding
--   audit_pending        events of transactions not yet committed; a
--                        deferred trigger seals them into the chain at
--                        commit, one transaction at a time
--   audit_checkpoints    signed checkpoints left by retention: the chain
--                        that remains starts from the latest one
--   verify_audit_log()   walks the chain and reports the first broken link
--
-- The extension writes an event for every change to models, versions,
-- checks, thresholds, baselines and the security configuration, every
-- alert state change and every deletion of history (audit_recording.sql,
-- alerts.sql); users add events through record_event() and
-- record_decision() (decisions.sql).  Nobody can UPDATE, DELETE or
-- TRUNCATE the log through the normal paths; retention removes its oldest
-- rows only behind a signed checkpoint (retention.sql).
-- doc/security.md describes what the chain proves and what it does not.
-- ====================================================================

-- length-prefixed field of the canonical encodings: "<octets>:<UTF-8 text>,"
-- or "-" for NULL, so that no two different rows encode alike
CREATE FUNCTION ethaudit_internal.canonical_field(v text)
RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN v IS NULL THEN '\x2d'::bytea
                ELSE pg_catalog.convert_to(pg_catalog.octet_length(pg_catalog.convert_to(v, 'UTF8'))::text || ':', 'UTF8')
                     || pg_catalog.convert_to(v, 'UTF8') || '\x2c'::bytea END
$$;
COMMENT ON FUNCTION ethaudit_internal.canonical_field(text) IS
'Internal: one field of a canonical encoding: its length in UTF-8 octets, a colon, the UTF-8 text and a comma; a single "-" for NULL.';

CREATE FUNCTION ethaudit_internal.canonical_time(t timestamptz)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- independent of DateStyle and TimeZone
    SELECT pg_catalog.to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;
COMMENT ON FUNCTION ethaudit_internal.canonical_time(timestamptz) IS
'Internal: a timestamp in the canonical encodings: UTC, ISO 8601 with microseconds (2025-01-31T12:00:00.000000Z), whatever the session''s DateStyle and TimeZone.';

-- -------- the log --------

CREATE TABLE ethaudit.audit_log (
    seq              bigint PRIMARY KEY
                     CONSTRAINT audit_log_seq_check CHECK (seq >= 1),
    event_id         uuid NOT NULL UNIQUE,
    logged_at        timestamptz NOT NULL,
    actor            name NOT NULL,
    login_role       name NOT NULL,
    application_name text,
    model            text,
    version          text,
    event_type       text NOT NULL,
    origin           text NOT NULL
                     CONSTRAINT audit_log_origin_check CHECK (origin IN ('system', 'user')),
    details          jsonb NOT NULL,
    prev_hash        bytea NOT NULL
                     CONSTRAINT audit_log_prev_hash_check CHECK (pg_catalog.octet_length(prev_hash) = 32),
    row_hash         bytea NOT NULL
                     CONSTRAINT audit_log_row_hash_check CHECK (pg_catalog.octet_length(row_hash) = 32)
);
CREATE INDEX audit_log_model_idx ON ethaudit.audit_log (model, seq);
CREATE INDEX audit_log_logged_at_idx ON ethaudit.audit_log (logged_at);
COMMENT ON INDEX ethaudit.audit_log_model_idx IS 'Events of a model, in chain order (row-level security reads by model).';
COMMENT ON INDEX ethaudit.audit_log_logged_at_idx IS 'Events by time (retention).';
COMMENT ON TABLE ethaudit.audit_log IS
'Append-only, hash-chained audit events: every change to the configuration, every alert state change, every deletion of history and every retention run, written by the extension; decisions and other events recorded by users. UPDATE, DELETE and TRUNCATE are refused; verify_audit_log() checks the chain. Row-level security: members of a model''s owner role see its events, auditors see all. Kept by pg_dump.';
COMMENT ON COLUMN ethaudit.audit_log.seq IS 'Position in the chain: 1, 2, ... without gaps, assigned when the writing transaction commits (so in commit order).';
COMMENT ON COLUMN ethaudit.audit_log.event_id IS 'Identifier of the event, known as soon as it is recorded (record_event and record_decision return it).';
COMMENT ON COLUMN ethaudit.audit_log.logged_at IS 'When the event was recorded (clock time; the chain order is the commit order, so it may be slightly out of order).';
COMMENT ON COLUMN ethaudit.audit_log.actor IS 'The role that acted: the role set with SET ROLE, else the session user (ethaudit.session_role()).';
COMMENT ON COLUMN ethaudit.audit_log.login_role IS 'The session user: the role that logged in.';
COMMENT ON COLUMN ethaudit.audit_log.application_name IS 'application_name of the session (e.g. pg_cron scheduler, psql).';
COMMENT ON COLUMN ethaudit.audit_log.model IS 'The model the event is about (NULL for events about no single model).';
COMMENT ON COLUMN ethaudit.audit_log.version IS 'The model version the event is about, where there is one.';
COMMENT ON COLUMN ethaudit.audit_log.event_type IS 'What happened, e.g. threshold_changed, stage_changed, alert_acknowledged, retention_applied, decision (doc/security.md lists them).';
COMMENT ON COLUMN ethaudit.audit_log.origin IS 'system: written by the extension; user: recorded through record_event() or record_decision().';
COMMENT ON COLUMN ethaudit.audit_log.details IS 'The event: for changes, the row or the changed columns with their old and new values; for decisions, the inputs after the model''s privacy policy, the explanation and the controls applied.';
COMMENT ON COLUMN ethaudit.audit_log.prev_hash IS 'row_hash of the event before (seq - 1), or of the latest checkpoint for the first event kept after retention; 32 zero octets for seq 1.';
COMMENT ON COLUMN ethaudit.audit_log.row_hash IS 'SHA-256 of the canonical encoding of the row (ethaudit.audit_encoding), which includes prev_hash.';

ALTER TABLE ethaudit.audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE ethaudit.audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_log_read ON ethaudit.audit_log FOR SELECT
    USING ((SELECT ethaudit.reads_everything(CURRENT_USER))
           OR model = ANY ((SELECT ethaudit.readable_models(CURRENT_USER))::text[]));
CREATE POLICY audit_log_extension ON ethaudit.audit_log FOR ALL
    USING ((SELECT ethaudit.is_extension_owner())) WITH CHECK ((SELECT ethaudit.is_extension_owner()));
COMMENT ON POLICY audit_log_read ON ethaudit.audit_log IS
'Members of a model''s owner role see its events; the auditor sees every event (also those about no model).';
COMMENT ON POLICY audit_log_extension ON ethaudit.audit_log IS
'Only the extension''s own functions (running as its owner) write the log; the guard trigger refuses UPDATE, DELETE and TRUNCATE even to them.';

CREATE FUNCTION ethaudit_internal.audit_log_guard()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    mode text := pg_catalog.current_setting('ethaudit_audit.internal_write', true);
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF mode = 'seal' AND ethaudit.is_extension_owner() THEN
            RETURN NEW;
        END IF;
        -- anything else is a load of existing events (pg_restore, psql of a
        -- dump): each must carry its own correct hash, and the chain they
        -- form is for verify_audit_log() to judge
        IF NEW.row_hash IS DISTINCT FROM pg_catalog.sha256(ethaudit.audit_encoding(NEW)) THEN
            RAISE EXCEPTION 'events are appended to ethaudit.audit_log only by ethaudit'
                USING ERRCODE = 'insufficient_privilege',
                      DETAIL = pg_catalog.format('The row for seq %s does not carry the hash of its own content.', NEW.seq),
                      HINT = 'Record events with ethaudit.record_event() or ethaudit.record_decision().';
        END IF;
        RETURN NEW;
    ELSIF TG_OP = 'DELETE' AND mode = 'retention' AND ethaudit.is_extension_owner() THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'ethaudit.audit_log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = CASE WHEN TG_OP = 'DELETE' OR TG_OP = 'TRUNCATE'
                          THEN 'Old events are removed by ethaudit.apply_retention(), behind a signed checkpoint.'
                          ELSE 'Record a correction as a new event with ethaudit.record_event().' END;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.audit_log_guard() IS
'Trigger function: refuses UPDATE, DELETE and TRUNCATE of the audit log for everyone (42501), except the deletions of ethaudit''s retention; accepts inserts from the sealing trigger, and otherwise only rows that carry the hash of their own content (a restore).';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.audit_log_guard() FROM PUBLIC;

CREATE TRIGGER audit_log_guard BEFORE INSERT OR UPDATE OR DELETE ON ethaudit.audit_log
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.audit_log_guard();
CREATE TRIGGER audit_log_guard_truncate BEFORE TRUNCATE ON ethaudit.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION ethaudit_internal.audit_log_guard();
COMMENT ON TRIGGER audit_log_guard ON ethaudit.audit_log IS
'Keeps the audit log append-only.';
COMMENT ON TRIGGER audit_log_guard_truncate ON ethaudit.audit_log IS
'Refuses TRUNCATE of the audit log.';
-- also under session_replication_role = replica: only ALTER TABLE ... DISABLE TRIGGER
-- (the owner or a superuser) goes around them
ALTER TABLE ethaudit.audit_log ENABLE ALWAYS TRIGGER audit_log_guard;
ALTER TABLE ethaudit.audit_log ENABLE ALWAYS TRIGGER audit_log_guard_truncate;

SELECT pg_catalog.pg_extension_config_dump('ethaudit.audit_log', '');

CREATE FUNCTION ethaudit.audit_encoding(e ethaudit.audit_log)
RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- canonical_field() of each field, written out: one function call per
    -- event instead of thirteen (verify_audit_log hashes every event)
    SELECT pg_catalog.convert_to('ethaudit.audit_log/1;'
        || pg_catalog.concat(
            CASE WHEN f.seq IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.seq, 'UTF8')) || ':' || f.seq || ',' END,
            CASE WHEN f.id IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.id, 'UTF8')) || ':' || f.id || ',' END,
            CASE WHEN f.t IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.t, 'UTF8')) || ':' || f.t || ',' END,
            CASE WHEN f.actor IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.actor, 'UTF8')) || ':' || f.actor || ',' END,
            CASE WHEN f.login IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.login, 'UTF8')) || ':' || f.login || ',' END,
            CASE WHEN f.app IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.app, 'UTF8')) || ':' || f.app || ',' END,
            CASE WHEN f.model IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.model, 'UTF8')) || ':' || f.model || ',' END,
            CASE WHEN f.version IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.version, 'UTF8')) || ':' || f.version || ',' END,
            CASE WHEN f.event IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.event, 'UTF8')) || ':' || f.event || ',' END,
            CASE WHEN f.origin IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.origin, 'UTF8')) || ':' || f.origin || ',' END,
            CASE WHEN f.details IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.details, 'UTF8')) || ':' || f.details || ',' END,
            CASE WHEN f.prev IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.prev, 'UTF8')) || ':' || f.prev || ',' END),
        'UTF8')
    FROM (SELECT e.seq::text AS seq, e.event_id::text AS id,
                 pg_catalog.to_char(e.logged_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS t,
                 e.actor::text AS actor, e.login_role::text AS login, e.application_name AS app, e.model, e.version,
                 e.event_type AS event, e.origin, e.details::text AS details,
                 pg_catalog.encode(e.prev_hash, 'hex') AS prev) AS f
$$;
COMMENT ON FUNCTION ethaudit.audit_encoding(ethaudit.audit_log) IS
'The canonical encoding of an audit event that row_hash is the SHA-256 of: "ethaudit.audit_log/1;" then seq, event_id, logged_at (UTC, microseconds), actor, login_role, application_name, model, version, event_type, origin, details (jsonb text) and prev_hash (hex), each as "<octets>:<UTF-8 text>," or "-" for NULL.';

-- -------- appending --------

CREATE TABLE ethaudit.audit_pending (
    pending_id       bigserial PRIMARY KEY,
    event_id         uuid NOT NULL,
    logged_at        timestamptz NOT NULL,
    actor            name NOT NULL,
    login_role       name NOT NULL,
    application_name text,
    model            text,
    version          text,
    event_type       text NOT NULL,
    origin           text NOT NULL,
    details          jsonb NOT NULL,
    xact             xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id()
);
COMMENT ON SEQUENCE ethaudit.audit_pending_pending_id_seq IS 'Order of the events of a transaction.';
COMMENT ON TABLE ethaudit.audit_pending IS
'Internal: events recorded by a transaction that has not committed yet. At commit a deferred trigger moves each into ethaudit.audit_log, chained to the latest event, so the chain lock is held only while committing. Always empty outside a transaction; no grants.';
COMMENT ON COLUMN ethaudit.audit_pending.pending_id IS 'Order of recording.';
COMMENT ON COLUMN ethaudit.audit_pending.event_id IS 'See audit_log.event_id.';
COMMENT ON COLUMN ethaudit.audit_pending.logged_at IS 'See audit_log.logged_at.';
COMMENT ON COLUMN ethaudit.audit_pending.actor IS 'See audit_log.actor.';
COMMENT ON COLUMN ethaudit.audit_pending.login_role IS 'See audit_log.login_role.';
COMMENT ON COLUMN ethaudit.audit_pending.application_name IS 'See audit_log.application_name.';
COMMENT ON COLUMN ethaudit.audit_pending.model IS 'See audit_log.model.';
COMMENT ON COLUMN ethaudit.audit_pending.version IS 'See audit_log.version.';
COMMENT ON COLUMN ethaudit.audit_pending.event_type IS 'See audit_log.event_type.';
COMMENT ON COLUMN ethaudit.audit_pending.origin IS 'See audit_log.origin.';
COMMENT ON COLUMN ethaudit.audit_pending.details IS 'See audit_log.details.';
COMMENT ON COLUMN ethaudit.audit_pending.xact IS 'The recording transaction.';
ALTER TABLE ethaudit.audit_pending ENABLE ROW LEVEL SECURITY;

-- Every write below is made by SECURITY DEFINER functions owned by the
-- extension's owner.  They mark the write with a transaction-local setting
-- that the guard triggers accept only from the owner; the prefix
-- "ethaudit." is reserved by the library, hence "ethaudit_audit.".
CREATE FUNCTION ethaudit_internal.audit_append(event_type text, model text, version text, details jsonb,
                                      origin text DEFAULT 'system')
RETURNS uuid
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    id uuid := gen_random_uuid();
BEGIN
    INSERT INTO ethaudit.audit_pending
        (event_id, logged_at, actor, login_role, application_name, model, version, event_type, origin, details)
    VALUES (id, pg_catalog.clock_timestamp(), ethaudit.session_role(), SESSION_USER,
            NULLIF(pg_catalog.current_setting('application_name'), ''),
            audit_append.model, audit_append.version, audit_append.event_type, audit_append.origin,
            coalesce(audit_append.details, '{}'::jsonb));
    RETURN id;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.audit_append(text, text, text, jsonb, text) IS
'Internal: records an event of the current transaction; it is chained into ethaudit.audit_log when the transaction commits. The actor is the session role (not the definer). SECURITY DEFINER; not executable by PUBLIC.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.audit_append(text, text, text, jsonb, text) FROM PUBLIC;

CREATE FUNCTION ethaudit_internal.audit_head_row(OUT seq bigint, OUT row_hash bytea)
LANGUAGE plpgsql STABLE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cp_seq bigint;
    cp_hash bytea;
BEGIN
    SELECT a.seq, a.row_hash INTO seq, row_hash FROM ethaudit.audit_log a ORDER BY a.seq DESC LIMIT 1;
    SELECT c.last_seq, c.last_hash INTO cp_seq, cp_hash
    FROM ethaudit.audit_checkpoints c ORDER BY c.checkpoint_id DESC LIMIT 1;
    IF cp_seq > coalesce(seq, 0) THEN
        seq := cp_seq;          -- retention deleted every event: the checkpoint is the head
        row_hash := cp_hash;
    END IF;
    IF seq IS NULL THEN
        seq := 0;
        row_hash := pg_catalog.decode(pg_catalog.repeat('00', 32), 'hex');
    END IF;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.audit_head_row() IS
'Internal: the position and hash the next event chains to: the latest event, else the latest checkpoint, else (0, 32 zero octets). Callers hold the chain lock.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.audit_head_row() FROM PUBLIC;

CREATE FUNCTION ethaudit_internal.audit_seal()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    head record;
    e ethaudit.audit_log;
BEGIN
    -- the chain lock: one sealing transaction at a time, until it commits.
    -- In READ COMMITTED the next statement sees every committed event.
    PERFORM pg_catalog.pg_advisory_xact_lock(1702127715, 0);
    IF NOT EXISTS (SELECT 1 FROM ethaudit.audit_pending p WHERE p.pending_id = NEW.pending_id) THEN
        RETURN NULL;
    END IF;
    head := ethaudit_internal.audit_head_row();
    e.seq := head.seq + 1;
    e.event_id := NEW.event_id;
    e.logged_at := NEW.logged_at;
    e.actor := NEW.actor;
    e.login_role := NEW.login_role;
    e.application_name := NEW.application_name;
    e.model := NEW.model;
    e.version := NEW.version;
    e.event_type := NEW.event_type;
    e.origin := NEW.origin;
    e.details := NEW.details;
    e.prev_hash := head.row_hash;
    e.row_hash := pg_catalog.sha256(ethaudit.audit_encoding(e));
    BEGIN
        PERFORM pg_catalog.set_config('ethaudit_audit.internal_write', 'seal', true);
        INSERT INTO ethaudit.audit_log SELECT e.*;
        PERFORM pg_catalog.set_config('ethaudit_audit.internal_write', '', true);
    EXCEPTION WHEN unique_violation THEN
        -- only with a snapshot older than the head: REPEATABLE READ or SERIALIZABLE
        RAISE EXCEPTION 'could not serialize access to the audit log: a concurrent transaction appended to it'
            USING ERRCODE = 'serialization_failure',
                  DETAIL = pg_catalog.format('Event %s would have taken position %s, which is no longer the end of the chain.', e.event_id, e.seq),
                  HINT = 'Retry the transaction; transactions that change audited objects are best run in READ COMMITTED.';
    END;
    DELETE FROM ethaudit.audit_pending p WHERE p.pending_id = NEW.pending_id;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.audit_seal() IS
'Trigger function (deferred constraint trigger on audit_pending, fired at commit): takes the chain lock, chains the event to the latest one (seq + 1, prev_hash) and moves it into ethaudit.audit_log. A transaction whose snapshot predates the head (REPEATABLE READ) gets a serialization failure instead of forking the chain. SECURITY DEFINER.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.audit_seal() FROM PUBLIC;

CREATE CONSTRAINT TRIGGER audit_seal AFTER INSERT ON ethaudit.audit_pending
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.audit_seal();
COMMENT ON TRIGGER audit_seal ON ethaudit.audit_pending IS
'Chains each recorded event into the audit log when its transaction commits.';
-- fires under session_replication_role = replica too
ALTER TABLE ethaudit.audit_pending ENABLE ALWAYS TRIGGER audit_seal;

-- -------- checkpoints --------

CREATE TABLE ethaudit.audit_checkpoints (
    checkpoint_id   bigint PRIMARY KEY
                    CONSTRAINT audit_checkpoints_id_check CHECK (checkpoint_id >= 1),
    created_at      timestamptz NOT NULL,
    created_by      name NOT NULL,
    first_seq       bigint NOT NULL,
    last_seq        bigint NOT NULL,
    last_hash       bytea NOT NULL
                    CONSTRAINT audit_checkpoints_last_hash_check CHECK (pg_catalog.octet_length(last_hash) = 32),
    cutoff          timestamptz NOT NULL,
    key_id          integer NOT NULL,
    prev_signature  bytea,
    signature       bytea NOT NULL
                    CONSTRAINT audit_checkpoints_signature_check CHECK (pg_catalog.octet_length(signature) = 32),
    CONSTRAINT audit_checkpoints_range_check CHECK (first_seq >= 1 AND last_seq >= first_seq)
);
COMMENT ON TABLE ethaudit.audit_checkpoints IS
'Signed checkpoints of the audit log, one per retention run that deleted events: events first_seq .. last_seq were deleted, the last of them had row_hash last_hash. The signature is an HMAC under a checkpoint key (ethaudit.keys) that only the extension''s owner can read; the remaining chain starts from the latest checkpoint. Append-only; kept by pg_dump.';
COMMENT ON COLUMN ethaudit.audit_checkpoints.checkpoint_id IS 'Identifier (key): 1, 2, ...';
COMMENT ON COLUMN ethaudit.audit_checkpoints.created_at IS 'When the retention run deleted the events.';
COMMENT ON COLUMN ethaudit.audit_checkpoints.created_by IS 'Role that ran it (session role).';
COMMENT ON COLUMN ethaudit.audit_checkpoints.first_seq IS 'First deleted event (the last_seq of the checkpoint before, plus one).';
COMMENT ON COLUMN ethaudit.audit_checkpoints.last_seq IS 'Last deleted event; the chain continues at last_seq + 1.';
COMMENT ON COLUMN ethaudit.audit_checkpoints.last_hash IS 'row_hash of event last_seq: the prev_hash of event last_seq + 1.';
COMMENT ON COLUMN ethaudit.audit_checkpoints.cutoff IS 'Events logged before this time were due for deletion.';
COMMENT ON COLUMN ethaudit.audit_checkpoints.key_id IS 'The checkpoint key of the signature (ethaudit.keys).';
COMMENT ON COLUMN ethaudit.audit_checkpoints.prev_signature IS 'Signature of the checkpoint before (NULL for the first): checkpoints form a chain of their own.';
COMMENT ON COLUMN ethaudit.audit_checkpoints.signature IS 'HMAC-SHA-256 of the canonical encoding of the checkpoint (ethaudit.checkpoint_encoding) under key key_id.';

CREATE FUNCTION ethaudit_internal.audit_checkpoint_guard()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'ethaudit.audit_checkpoints is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
COMMENT ON FUNCTION ethaudit_internal.audit_checkpoint_guard() IS
'Trigger function: refuses UPDATE, DELETE and TRUNCATE of the checkpoints (42501).';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.audit_checkpoint_guard() FROM PUBLIC;

CREATE TRIGGER audit_checkpoint_guard BEFORE UPDATE OR DELETE ON ethaudit.audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.audit_checkpoint_guard();
CREATE TRIGGER audit_checkpoint_guard_truncate BEFORE TRUNCATE ON ethaudit.audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION ethaudit_internal.audit_checkpoint_guard();
COMMENT ON TRIGGER audit_checkpoint_guard ON ethaudit.audit_checkpoints IS
'Keeps the checkpoints append-only.';
COMMENT ON TRIGGER audit_checkpoint_guard_truncate ON ethaudit.audit_checkpoints IS
'Refuses TRUNCATE of the checkpoints.';
ALTER TABLE ethaudit.audit_checkpoints ENABLE ALWAYS TRIGGER audit_checkpoint_guard;
ALTER TABLE ethaudit.audit_checkpoints ENABLE ALWAYS TRIGGER audit_checkpoint_guard_truncate;

SELECT pg_catalog.pg_extension_config_dump('ethaudit.audit_checkpoints', '');

CREATE FUNCTION ethaudit.checkpoint_encoding(c ethaudit.audit_checkpoints)
RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.convert_to('ethaudit.audit_checkpoints/1;'
        || pg_catalog.concat(
            CASE WHEN f.id IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.id, 'UTF8')) || ':' || f.id || ',' END,
            CASE WHEN f.created IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.created, 'UTF8')) || ':' || f.created || ',' END,
            CASE WHEN f.creator IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.creator, 'UTF8')) || ':' || f.creator || ',' END,
            CASE WHEN f.first_seq IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.first_seq, 'UTF8')) || ':' || f.first_seq || ',' END,
            CASE WHEN f.last_seq IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.last_seq, 'UTF8')) || ':' || f.last_seq || ',' END,
            CASE WHEN f.last_hash IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.last_hash, 'UTF8')) || ':' || f.last_hash || ',' END,
            CASE WHEN f.cutoff IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.cutoff, 'UTF8')) || ':' || f.cutoff || ',' END,
            CASE WHEN f.key_id IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.key_id, 'UTF8')) || ':' || f.key_id || ',' END,
            CASE WHEN f.prev IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.prev, 'UTF8')) || ':' || f.prev || ',' END),
        'UTF8')
    FROM (SELECT c.checkpoint_id::text AS id,
                 pg_catalog.to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created,
                 c.created_by::text AS creator, c.first_seq::text AS first_seq, c.last_seq::text AS last_seq,
                 pg_catalog.encode(c.last_hash, 'hex') AS last_hash,
                 pg_catalog.to_char(c.cutoff AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cutoff,
                 c.key_id::text AS key_id, pg_catalog.encode(c.prev_signature, 'hex') AS prev) AS f
$$;
COMMENT ON FUNCTION ethaudit.checkpoint_encoding(ethaudit.audit_checkpoints) IS
'The canonical encoding of a checkpoint that its signature is the HMAC of: "ethaudit.audit_checkpoints/1;" then checkpoint_id, created_at, created_by, first_seq, last_seq, last_hash (hex), cutoff, key_id and prev_signature (hex), each as in audit_encoding.';

-- -------- reading and verifying the chain --------

CREATE FUNCTION ethaudit.audit_head(OUT seq bigint, OUT row_hash text, OUT logged_at timestamptz)
LANGUAGE plpgsql STABLE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    head record;
BEGIN
    head := ethaudit_internal.audit_head_row();
    seq := head.seq;
    row_hash := pg_catalog.encode(head.row_hash, 'hex');
    SELECT a.logged_at INTO logged_at FROM ethaudit.audit_log a WHERE a.seq = head.seq;
END
$$;
COMMENT ON FUNCTION ethaudit.audit_head() IS
'The end of the chain: seq and row_hash (hex) of the latest event (of the latest checkpoint if retention deleted every event; 0 and zeros for an empty log). Export it regularly to a place the database''s superusers cannot write: verify_audit_log(seq, row_hash) then proves the log was not rewritten since. SECURITY DEFINER; not executable by PUBLIC.';
REVOKE EXECUTE ON FUNCTION ethaudit.audit_head() FROM PUBLIC;

CREATE FUNCTION ethaudit.verify_audit_log(known_seq bigint DEFAULT NULL, known_hash text DEFAULT NULL,
    OUT valid boolean, OUT events_checked bigint, OUT first_seq bigint, OUT last_seq bigint,
    OUT head_hash text, OUT checkpoints integer, OUT broken_seq bigint, OUT problem text)
LANGUAGE plpgsql STABLE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c ethaudit.audit_checkpoints;
    prev_c ethaudit.audit_checkpoints;
    secret bytea;
    e ethaudit.audit_log;
    expect_seq bigint := 1;
    expect_prev bytea := pg_catalog.decode(pg_catalog.repeat('00', 32), 'hex');
    known bytea;
    unsealed bigint;
BEGIN
    valid := true;
    events_checked := 0;
    checkpoints := 0;
    IF (known_seq IS NULL) <> (known_hash IS NULL) THEN
        RAISE EXCEPTION 'known_seq and known_hash go together' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF known_hash IS NOT NULL THEN
        IF known_hash !~ '^[0-9a-fA-F]{64}$' THEN
            RAISE EXCEPTION 'known_hash must be 64 hexadecimal digits, as returned by ethaudit.audit_head()'
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF known_seq < 0 THEN
            RAISE EXCEPTION 'known_seq must not be negative' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        known := pg_catalog.decode(known_hash, 'hex');
    END IF;

    -- 1. the checkpoints: signed, contiguous, each naming the one before
    FOR c IN SELECT * FROM ethaudit.audit_checkpoints x ORDER BY x.checkpoint_id LOOP
        checkpoints := checkpoints + 1;
        SELECT k.secret INTO secret FROM ethaudit.keys k WHERE k.key_id = c.key_id AND k.purpose = 'checkpoint';
        IF c.checkpoint_id <> checkpoints
           OR c.first_seq <> expect_seq
           OR c.prev_signature IS DISTINCT FROM prev_c.signature THEN
            valid := false;
            problem := pg_catalog.format('checkpoint %s does not follow checkpoint %s: a checkpoint is missing or out of order',
                                         c.checkpoint_id, coalesce(prev_c.checkpoint_id::text, '(none)'));
            RETURN;
        END IF;
        IF secret IS NULL OR c.signature <> ethaudit.hmac_sha256(secret, ethaudit.checkpoint_encoding(c)) THEN
            valid := false;
            problem := pg_catalog.format('checkpoint %s (events %s to %s) does not carry a valid signature%s',
                                         c.checkpoint_id, c.first_seq, c.last_seq,
                                         CASE WHEN secret IS NULL THEN pg_catalog.format(': key %s is missing', c.key_id) ELSE '' END);
            RETURN;
        END IF;
        expect_seq := c.last_seq + 1;
        expect_prev := c.last_hash;
        prev_c := c;
    END LOOP;

    -- 2. the events, in chain order
    FOR e IN SELECT * FROM ethaudit.audit_log a ORDER BY a.seq LOOP
        IF first_seq IS NULL THEN
            first_seq := e.seq;
        END IF;
        IF e.seq <> expect_seq THEN
            valid := false;
            broken_seq := e.seq;
            problem := CASE WHEN e.seq > expect_seq
                            THEN pg_catalog.format('events %s to %s are missing', expect_seq, e.seq - 1)
                            ELSE pg_catalog.format('event %s precedes the latest checkpoint, which ends at %s', e.seq, expect_seq - 1) END;
            RETURN;
        END IF;
        IF e.prev_hash <> expect_prev THEN
            valid := false;
            broken_seq := e.seq;
            problem := pg_catalog.format('event %s does not link to %s: the event before it was changed, replaced or reordered',
                                         e.seq, CASE WHEN e.seq = 1 THEN 'the start of the chain'
                                                     WHEN prev_c.last_seq = e.seq - 1 THEN pg_catalog.format('checkpoint %s', prev_c.checkpoint_id)
                                                     ELSE pg_catalog.format('event %s', e.seq - 1) END);
            RETURN;
        END IF;
        IF e.row_hash <> pg_catalog.sha256(ethaudit.audit_encoding(e)) THEN
            valid := false;
            broken_seq := e.seq;
            problem := pg_catalog.format('event %s does not match its hash: it was changed after it was written', e.seq);
            RETURN;
        END IF;
        IF e.seq = known_seq AND e.row_hash <> known THEN
            valid := false;
            broken_seq := e.seq;
            problem := pg_catalog.format('event %s is not the one exported (its hash differs): the log was rewritten', e.seq);
            RETURN;
        END IF;
        events_checked := events_checked + 1;
        last_seq := e.seq;
        head_hash := pg_catalog.encode(e.row_hash, 'hex');
        expect_seq := e.seq + 1;
        expect_prev := e.row_hash;
    END LOOP;

    -- 3. the exported head, if given, must still be in the chain
    IF known_seq IS NOT NULL THEN
        IF known_seq >= expect_seq THEN
            valid := false;
            broken_seq := expect_seq;
            problem := pg_catalog.format('the exported head, event %s, is gone: the chain ends at %s', known_seq, expect_seq - 1);
            RETURN;
        ELSIF known_seq < coalesce(first_seq, expect_seq) THEN
            -- deleted by retention: the checkpoint that covers it must agree when it is its last event
            SELECT * INTO c FROM ethaudit.audit_checkpoints x WHERE known_seq BETWEEN x.first_seq AND x.last_seq;
            IF known_seq > 0 AND (NOT FOUND OR (c.last_seq = known_seq AND c.last_hash <> known)) THEN
                valid := false;
                problem := pg_catalog.format('the exported head, event %s, is not covered by a matching checkpoint', known_seq);
                RETURN;
            END IF;
        END IF;
    END IF;
    IF head_hash IS NULL AND prev_c.checkpoint_id IS NOT NULL THEN
        last_seq := prev_c.last_seq;
        head_hash := pg_catalog.encode(prev_c.last_hash, 'hex');
    END IF;

    -- 4. committed events that never reached the chain
    SELECT pg_catalog.count(*) INTO unsealed FROM ethaudit.audit_pending p
    WHERE p.xact IS DISTINCT FROM pg_catalog.pg_current_xact_id_if_assigned();   -- this transaction's own are sealed at its commit
    IF unsealed > 0 THEN
        valid := false;
        problem := pg_catalog.format('events recorded but never chained: %s (the sealing trigger was disabled)', unsealed);
    END IF;
END
$$;
COMMENT ON FUNCTION ethaudit.verify_audit_log(bigint, text) IS
'Walks the audit log in chain order from the latest signed checkpoint and returns whether it is intact, how many events it checked, the first and last seq, the head hash, and for a broken chain the first broken link (broken_seq) and what is wrong: a missing event, an event that does not link to the one before, an event that no longer matches its hash, a bad checkpoint signature. Given a head exported earlier (known_seq, known_hash from audit_head()), also proves the log was not rewritten or cut short since. SECURITY DEFINER; not executable by PUBLIC.';
REVOKE EXECUTE ON FUNCTION ethaudit.verify_audit_log(bigint, text) FROM PUBLIC;
-- ====================================================================
-- Governance: runs and results, the evidence of the checks
--
--   runs      one row per run of the checks, or per batch seen by the
--             prediction-log trigger
--   results   one row per evaluated check
--   verify_results()  checks every result against the digests each run
--             committed to the audit log
--
-- Row-level security, enabled and forced: the role that ran a run, the
-- members of its model's owner role and the auditor see it; only the
-- extension's own functions (the runner, retention) write them.
-- ====================================================================

-- -------- runs --------

CREATE TABLE ethaudit.runs (
    run_id            bigserial PRIMARY KEY,
    kind              text NOT NULL
                      CONSTRAINT runs_kind_check CHECK (kind IN ('run_checks', 'run_check', 'insert', 'update')),
    model             text,
    source            text,
    as_of             timestamptz NOT NULL,
    batch_rows        bigint,
    started_at        timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    finished_at       timestamptz,
    run_by            name NOT NULL DEFAULT CURRENT_USER,
    application_name  text DEFAULT pg_catalog.current_setting('application_name'),
    checks            integer NOT NULL DEFAULT 0,
    ok                integer NOT NULL DEFAULT 0,
    warning           integer NOT NULL DEFAULT 0,
    critical          integer NOT NULL DEFAULT 0,
    insufficient_data integer NOT NULL DEFAULT 0,
    error             integer NOT NULL DEFAULT 0,
    skipped           integer NOT NULL DEFAULT 0,
    replay            boolean NOT NULL DEFAULT false
);
CREATE INDEX runs_started_at_idx ON ethaudit.runs (started_at);
COMMENT ON INDEX ethaudit.runs_started_at_idx IS 'Runs by time.';
COMMENT ON SEQUENCE ethaudit.runs_run_id_seq IS 'Identifiers of runs.';
COMMENT ON TABLE ethaudit.runs IS
'One row per run: a call of run_checks() or run_check(), or one batch seen by the prediction-log trigger. History: kept by pg_dump.';
COMMENT ON COLUMN ethaudit.runs.run_id IS 'Identifier (key); results.run_id points here.';
COMMENT ON COLUMN ethaudit.runs.kind IS 'run_checks, run_check, insert (a batch inserted into a monitored table) or update (an UPDATE of a table whose label updates are monitored).';
COMMENT ON COLUMN ethaudit.runs.model IS 'run_checks(model): the model the run was limited to; NULL for all models.';
COMMENT ON COLUMN ethaudit.runs.source IS 'insert, update: the monitored table.';
COMMENT ON COLUMN ethaudit.runs.as_of IS 'The time the windows end at (before each check''s window_lag).';
COMMENT ON COLUMN ethaudit.runs.batch_rows IS 'insert, update: rows in the inserted or updated batch.';
COMMENT ON COLUMN ethaudit.runs.started_at IS 'When the run started.';
COMMENT ON COLUMN ethaudit.runs.finished_at IS 'When the run finished.';
COMMENT ON COLUMN ethaudit.runs.run_by IS 'Role that ran it: the session''s role (for pg_cron, the owner of the job; for the prediction-log trigger, the inserting role).';
COMMENT ON COLUMN ethaudit.runs.application_name IS 'application_name of the session that ran it.';
COMMENT ON COLUMN ethaudit.runs.checks IS 'Checks considered (a check with a version column once per version of its rows).';
COMMENT ON COLUMN ethaudit.runs.ok IS 'Results with status ok.';
COMMENT ON COLUMN ethaudit.runs.warning IS 'Results with status warning.';
COMMENT ON COLUMN ethaudit.runs.critical IS 'Results with status critical.';
COMMENT ON COLUMN ethaudit.runs.insufficient_data IS 'Results with status insufficient_data.';
COMMENT ON COLUMN ethaudit.runs.error IS 'Checks that failed (recorded with status error).';
COMMENT ON COLUMN ethaudit.runs.replay IS 'A replay of the past (doc/governance.md, "Replays"): its results are recorded with replayed true and leave the alerts alone.';
COMMENT ON COLUMN ethaudit.runs.skipped IS 'Checks not evaluated: being evaluated by a concurrent run, or (insert_window) evaluated less than min_interval ago.';

ALTER TABLE ethaudit.runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE ethaudit.runs FORCE ROW LEVEL SECURITY;
CREATE POLICY runs_read ON ethaudit.runs FOR SELECT
    USING ((SELECT ethaudit.reads_everything(CURRENT_USER)) OR run_by = CURRENT_USER
           OR model = ANY ((SELECT ethaudit.readable_models(CURRENT_USER))::text[]));
CREATE POLICY runs_extension ON ethaudit.runs FOR ALL
    USING ((SELECT ethaudit.is_extension_owner())) WITH CHECK ((SELECT ethaudit.is_extension_owner()));
COMMENT ON POLICY runs_read ON ethaudit.runs IS
'A run is visible to the role that ran it, to members of its model''s owner role and to the auditor.';
COMMENT ON POLICY runs_extension ON ethaudit.runs IS
'Only the extension''s own functions (the runner, the prediction-log trigger, retention) write runs.';

CREATE TRIGGER audit_delete AFTER DELETE ON ethaudit.runs
    REFERENCING OLD TABLE AS ethaudit_old FOR EACH STATEMENT EXECUTE FUNCTION ethaudit_internal.audit_history_change();
CREATE TRIGGER audit_truncate AFTER TRUNCATE ON ethaudit.runs
    FOR EACH STATEMENT EXECUTE FUNCTION ethaudit_internal.audit_history_change();
COMMENT ON TRIGGER audit_delete ON ethaudit.runs IS 'Records deletions of runs in the audit log.';
COMMENT ON TRIGGER audit_truncate ON ethaudit.runs IS 'Records TRUNCATE of runs in the audit log.';

SELECT pg_catalog.pg_extension_config_dump('ethaudit.runs', '');
SELECT pg_catalog.pg_extension_config_dump('ethaudit.runs_run_id_seq', '');

-- -------- results --------

CREATE TABLE ethaudit.results (
    result_id       bigserial PRIMARY KEY,
    run_id          bigint NOT NULL REFERENCES ethaudit.runs,
    check_id        bigint NOT NULL REFERENCES ethaudit.checks,
    model           text NOT NULL,
    model_version   text,
    metric          text NOT NULL,
    value           double precision,
    status          text NOT NULL
                    CONSTRAINT results_status_check
                    CHECK (status IN ('ok', 'warning', 'critical', 'insufficient_data', 'error')),
    n_current       bigint,
    n_reference     bigint,
    window_start    timestamptz,
    window_end      timestamptz,
    reference_start timestamptz,
    reference_end   timestamptz,
    warn            double precision,
    critical        double precision,
    direction       text,
    error_sqlstate  text,
    message         text,
    evaluated_at    timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    duration        interval,
    alert_applied   boolean NOT NULL DEFAULT false,
    version_source  text CONSTRAINT results_version_source_check CHECK (version_source IN ('check', 'data', 'stage_history')),
    mixed_versions  boolean,
    replayed        boolean NOT NULL DEFAULT false,
    labelled_share  double precision
);
CREATE INDEX results_check_idx ON ethaudit.results (check_id, result_id DESC);
CREATE INDEX results_run_idx ON ethaudit.results (run_id);
CREATE INDEX results_evaluated_at_idx ON ethaudit.results (evaluated_at);
CREATE INDEX results_window_end_idx ON ethaudit.results (window_end);
COMMENT ON INDEX ethaudit.results_check_idx IS 'Latest results of a check.';
COMMENT ON INDEX ethaudit.results_run_idx IS 'Results of a run.';
COMMENT ON INDEX ethaudit.results_evaluated_at_idx IS 'Results by evaluation time (retention).';
COMMENT ON INDEX ethaudit.results_window_end_idx IS 'Results by the end of their window (time-series panels).';
COMMENT ON SEQUENCE ethaudit.results_result_id_seq IS 'Identifiers of results.';
COMMENT ON TABLE ethaudit.results IS
'One row per evaluation of a check: value, sample sizes, window, status, and the thresholds it was judged by. Written only by the runner, which commits each run''s results to the audit log (verify_results); inserting a row updates the alerts. History: kept by pg_dump.';
COMMENT ON COLUMN ethaudit.results.result_id IS 'Identifier (key), increasing with insertion.';
COMMENT ON COLUMN ethaudit.results.run_id IS 'The run (ethaudit.runs).';
COMMENT ON COLUMN ethaudit.results.check_id IS 'The check (ethaudit.checks).';
COMMENT ON COLUMN ethaudit.results.model IS 'The model of the check.';
COMMENT ON COLUMN ethaudit.results.model_version IS 'The version the result is about, as version_source says: the version the check is pinned to, the version of the rows (one result per version in the window), or the versions live during the window by the stage history, comma-separated (NULL if none). Before 0.4.0: the live versions at run time.';
COMMENT ON COLUMN ethaudit.results.metric IS 'The metric of the check.';
COMMENT ON COLUMN ethaudit.results.value IS 'Value of the metric (NULL when it is undefined or the check failed).';
COMMENT ON COLUMN ethaudit.results.status IS 'ok, warning, critical, insufficient_data (too few rows, or an undefined value), or error (the check failed; see message).';
COMMENT ON COLUMN ethaudit.results.n_current IS 'Usable rows in the current window (rows where every column the metric reads is non-NULL).';
COMMENT ON COLUMN ethaudit.results.n_reference IS 'Usable rows in the reference window, or of the stored baseline; NULL for metrics without a reference.';
COMMENT ON COLUMN ethaudit.results.window_start IS 'Start of the current window; for row windows and batches, the first timestamp in it.';
COMMENT ON COLUMN ethaudit.results.window_end IS 'End of the current window (exclusive); for row windows and batches, the last timestamp in it.';
COMMENT ON COLUMN ethaudit.results.reference_start IS 'Start of the reference window (NULL for a stored baseline).';
COMMENT ON COLUMN ethaudit.results.reference_end IS 'End of the reference window.';
COMMENT ON COLUMN ethaudit.results.warn IS 'Warning level the value was judged by.';
COMMENT ON COLUMN ethaudit.results.critical IS 'Critical level the value was judged by.';
COMMENT ON COLUMN ethaudit.results.direction IS 'Direction the value was judged by (above or below).';
COMMENT ON COLUMN ethaudit.results.error_sqlstate IS 'status error: the SQLSTATE of the failure.';
COMMENT ON COLUMN ethaudit.results.message IS 'Why the status is error or insufficient_data; and when versions may be mixed, which ones.';
COMMENT ON COLUMN ethaudit.results.evaluated_at IS 'When the check was evaluated.';
COMMENT ON COLUMN ethaudit.results.duration IS 'How long the evaluation took.';
COMMENT ON COLUMN ethaudit.results.version_source IS 'Where model_version comes from: check (the check is pinned to it), data (the version column of the rows), stage_history (no version column: the versions live during the window); NULL before 0.4.0.';
COMMENT ON COLUMN ethaudit.results.mixed_versions IS 'stage_history: true when several versions served (shadow, canary or live) during the window, so that a log holding the rows of more than one mixes them (the message says which); NULL otherwise.';
COMMENT ON COLUMN ethaudit.results.replayed IS 'True for a result of a replay (an as_of in the past, or replay => true): it is evidence about its window but leaves the alerts alone.';
COMMENT ON COLUMN ethaudit.results.labelled_share IS 'For metrics that read labels: the share of the current window''s rows that have one (n_current counts only those); 1 for a labelled_only window. NULL for other metrics and before 0.4.0.';
COMMENT ON COLUMN ethaudit.results.alert_applied IS 'True once the row has been applied to the alerts. Rows loaded by a restore (a superuser session with row_security off) with true leave the alerts alone; any other insert is applied whatever it says.';

ALTER TABLE ethaudit.results ENABLE ROW LEVEL SECURITY;
ALTER TABLE ethaudit.results FORCE ROW LEVEL SECURITY;
CREATE POLICY results_read ON ethaudit.results FOR SELECT
    USING ((SELECT ethaudit.reads_everything(CURRENT_USER))
           OR model = ANY ((SELECT ethaudit.readable_models(CURRENT_USER))::text[]));
CREATE POLICY results_extension ON ethaudit.results FOR ALL
    USING ((SELECT ethaudit.is_extension_owner())) WITH CHECK ((SELECT ethaudit.is_extension_owner()));
COMMENT ON POLICY results_read ON ethaudit.results IS
'Members of a model''s owner role see its results; the auditor sees all.';
COMMENT ON POLICY results_extension ON ethaudit.results IS
'Only the extension''s own functions (the runner, retention) write, change or delete results.';

CREATE TRIGGER audit_delete AFTER DELETE ON ethaudit.results
    REFERENCING OLD TABLE AS ethaudit_old FOR EACH STATEMENT EXECUTE FUNCTION ethaudit_internal.audit_history_change();
CREATE TRIGGER audit_update AFTER UPDATE ON ethaudit.results
    REFERENCING NEW TABLE AS ethaudit_new FOR EACH STATEMENT EXECUTE FUNCTION ethaudit_internal.audit_history_change();
CREATE TRIGGER audit_truncate AFTER TRUNCATE ON ethaudit.results
    FOR EACH STATEMENT EXECUTE FUNCTION ethaudit_internal.audit_history_change();
COMMENT ON TRIGGER audit_delete ON ethaudit.results IS 'Records deletions of results in the audit log.';
COMMENT ON TRIGGER audit_update ON ethaudit.results IS 'Records edits of results in the audit log.';
COMMENT ON TRIGGER audit_truncate ON ethaudit.results IS 'Records TRUNCATE of results in the audit log.';

SELECT pg_catalog.pg_extension_config_dump('ethaudit.results', '');
SELECT pg_catalog.pg_extension_config_dump('ethaudit.results_result_id_seq', '');

CREATE TYPE ethaudit.run_summary AS (
    run_id            bigint,
    checks            integer,
    ok                integer,
    warning           integer,
    critical          integer,
    insufficient_data integer,
    error             integer,
    skipped           integer,
    started_at        timestamptz,
    finished_at       timestamptz
);
COMMENT ON TYPE ethaudit.run_summary IS
'Result of run_checks: the run and how many checks ended in each status; details are in ethaudit.results (WHERE run_id = ...).';

-- -------- results are committed to the chain --------

-- Results are written only by the runner (run_checks, run_check, the
-- prediction-log trigger). When a run finishes it appends one event,
-- results_recorded, holding the SHA-256 of each result's canonical
-- encoding; verify_results() recomputes them.
CREATE FUNCTION ethaudit.result_encoding(r ethaudit.results)
RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET extra_float_digits = 1
AS $$
    -- the fields written out, as in audit_encoding(): one call per result
    -- instead of one per field (each run hashes all of its results)
    SELECT pg_catalog.convert_to(
        CASE WHEN f.v2 THEN 'ethaudit.results/2;' ELSE 'ethaudit.results/1;' END
        || pg_catalog.concat(
            CASE WHEN f.result_id IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.result_id, 'UTF8')) || ':' || f.result_id || ',' END,
            CASE WHEN f.run_id IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.run_id, 'UTF8')) || ':' || f.run_id || ',' END,
            CASE WHEN f.check_id IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.check_id, 'UTF8')) || ':' || f.check_id || ',' END,
            CASE WHEN f.model IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.model, 'UTF8')) || ':' || f.model || ',' END,
            CASE WHEN f.model_version IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.model_version, 'UTF8')) || ':' || f.model_version || ',' END,
            CASE WHEN f.metric IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.metric, 'UTF8')) || ':' || f.metric || ',' END,
            CASE WHEN f.value IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.value, 'UTF8')) || ':' || f.value || ',' END,
            CASE WHEN f.status IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.status, 'UTF8')) || ':' || f.status || ',' END,
            CASE WHEN f.n_current IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.n_current, 'UTF8')) || ':' || f.n_current || ',' END,
            CASE WHEN f.n_reference IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.n_reference, 'UTF8')) || ':' || f.n_reference || ',' END,
            CASE WHEN f.window_start IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.window_start, 'UTF8')) || ':' || f.window_start || ',' END,
            CASE WHEN f.window_end IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.window_end, 'UTF8')) || ':' || f.window_end || ',' END,
            CASE WHEN f.reference_start IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.reference_start, 'UTF8')) || ':' || f.reference_start || ',' END,
            CASE WHEN f.reference_end IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.reference_end, 'UTF8')) || ':' || f.reference_end || ',' END,
            CASE WHEN f.warn IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.warn, 'UTF8')) || ':' || f.warn || ',' END,
            CASE WHEN f.critical IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.critical, 'UTF8')) || ':' || f.critical || ',' END,
            CASE WHEN f.direction IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.direction, 'UTF8')) || ':' || f.direction || ',' END,
            CASE WHEN f.error_sqlstate IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.error_sqlstate, 'UTF8')) || ':' || f.error_sqlstate || ',' END,
            CASE WHEN f.message IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.message, 'UTF8')) || ':' || f.message || ',' END,
            CASE WHEN f.evaluated_at IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.evaluated_at, 'UTF8')) || ':' || f.evaluated_at || ',' END,
            CASE WHEN f.duration IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.duration, 'UTF8')) || ':' || f.duration || ',' END,
            CASE WHEN f.alert_applied IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.alert_applied, 'UTF8')) || ':' || f.alert_applied || ',' END)
        || CASE WHEN f.v2 THEN pg_catalog.concat(
            CASE WHEN f.version_source IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.version_source, 'UTF8')) || ':' || f.version_source || ',' END,
            CASE WHEN f.mixed_versions IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.mixed_versions, 'UTF8')) || ':' || f.mixed_versions || ',' END,
            CASE WHEN f.replayed IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.replayed, 'UTF8')) || ':' || f.replayed || ',' END,
            CASE WHEN f.labelled_share IS NULL THEN '-' ELSE pg_catalog.octet_length(pg_catalog.convert_to(f.labelled_share, 'UTF8')) || ':' || f.labelled_share || ',' END)
           ELSE '' END,
        'UTF8')
    FROM (SELECT r.result_id::text AS result_id, r.run_id::text AS run_id, r.check_id::text AS check_id,
                 r.model, r.model_version, r.metric, r.value::text AS value, r.status,
                 r.n_current::text AS n_current, r.n_reference::text AS n_reference,
                 pg_catalog.to_char(r.window_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS window_start,
                 pg_catalog.to_char(r.window_end AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS window_end,
                 pg_catalog.to_char(r.reference_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS reference_start,
                 pg_catalog.to_char(r.reference_end AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS reference_end,
                 r.warn::text AS warn, r.critical::text AS critical, r.direction, r.error_sqlstate,
                 r.message,
                 pg_catalog.to_char(r.evaluated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS evaluated_at,
                 (EXTRACT(epoch FROM r.duration))::text AS duration, r.alert_applied::text AS alert_applied,
                 r.version_source, r.mixed_versions::text AS mixed_versions, r.replayed::text AS replayed,
                 r.labelled_share::text AS labelled_share,
                 -- the columns of 0.4.0 are encoded (version 2) when any is set:
                 -- a result written before keeps the encoding it was recorded with
                 (r.version_source IS NOT NULL OR r.mixed_versions IS NOT NULL
                  OR r.replayed IS DISTINCT FROM false OR r.labelled_share IS NOT NULL) AS v2) AS f
$$;
COMMENT ON FUNCTION ethaudit.result_encoding(ethaudit.results) IS
'The canonical encoding of a result that the audit log commits to: "ethaudit.results/1;" then every column of 0.3.0 in table order (times in UTC with microseconds, duration in seconds, floats in shortest exact form), each as "<octets>:<UTF-8 text>," or "-" for NULL. A result that sets a column added in 0.4.0 (version_source, mixed_versions, replayed true, labelled_share) is encoded as "ethaudit.results/2;", the same fields, then those four; results recorded before keep their encoding.';

CREATE FUNCTION ethaudit_internal.commit_run_results(run_id bigint)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    digests jsonb;
    run ethaudit.runs;
BEGIN
    SELECT * INTO run FROM ethaudit.runs r WHERE r.run_id = commit_run_results.run_id;
    SELECT pg_catalog.jsonb_object_agg(r.result_id::text,
               pg_catalog.encode(pg_catalog.sha256(ethaudit.result_encoding(r)), 'hex'))
    INTO digests FROM ethaudit.results r WHERE r.run_id = commit_run_results.run_id;
    IF digests IS NULL THEN
        RETURN;
    END IF;
    PERFORM ethaudit_internal.audit_append('results_recorded', run.model, NULL,
        pg_catalog.jsonb_build_object('run_id', run.run_id, 'kind', run.kind, 'run_by', run.run_by,
                                      'source', run.source, 'results', digests));
END
$$;
COMMENT ON FUNCTION ethaudit_internal.commit_run_results(bigint) IS
'Internal: appends results_recorded to the audit log for a finished run: the SHA-256 (hex) of result_encoding() of each of its results, keyed by result_id. SECURITY DEFINER; not executable by PUBLIC.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.commit_run_results(bigint) FROM PUBLIC;

CREATE FUNCTION ethaudit.verify_results(
    OUT valid boolean, OUT results_checked bigint, OUT results_changed bigint, OUT results_unrecorded bigint,
    OUT results_deleted bigint, OUT results_behind_checkpoint bigint, OUT results_recorded_at_upgrade bigint,
    OUT first_bad_result_id bigint, OUT problem text)
LANGUAGE plpgsql STABLE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cutoff timestamptz := (SELECT max(c.cutoff) FROM ethaudit.audit_checkpoints c);
BEGIN
    WITH recorded AS (
        SELECT d.key::bigint AS result_id, d.value AS digest, a.details ? 'recorded_at_upgrade_to' AS at_upgrade
        FROM ethaudit.audit_log a, pg_catalog.jsonb_each_text(a.details -> 'results') d
        WHERE a.event_type = 'results_recorded'
    ), present AS (
        SELECT r.result_id, r.evaluated_at,
               pg_catalog.encode(pg_catalog.sha256(ethaudit.result_encoding(r)), 'hex') AS digest
        FROM ethaudit.results r
    ), judged AS (
        SELECT coalesce(p.result_id, rec.result_id) AS result_id, coalesce(rec.at_upgrade, false) AS at_upgrade,
               CASE WHEN rec.result_id IS NULL AND p.evaluated_at < cutoff THEN 'behind_checkpoint'
                    WHEN rec.result_id IS NULL THEN 'unrecorded'
                    WHEN p.result_id IS NULL THEN 'deleted'
                    WHEN p.digest <> rec.digest THEN 'changed'
                    ELSE 'intact' END AS verdict
        FROM present p FULL JOIN recorded rec ON rec.result_id = p.result_id
    )
    SELECT count(*) FILTER (WHERE j.verdict IN ('intact', 'changed', 'unrecorded')),
           count(*) FILTER (WHERE j.verdict = 'changed'),
           count(*) FILTER (WHERE j.verdict = 'unrecorded'),
           count(*) FILTER (WHERE j.verdict = 'deleted'),
           count(*) FILTER (WHERE j.verdict = 'behind_checkpoint'),
           count(*) FILTER (WHERE j.at_upgrade AND j.verdict <> 'deleted'),
           min(j.result_id) FILTER (WHERE j.verdict IN ('changed', 'unrecorded'))
    INTO results_checked, results_changed, results_unrecorded, results_deleted, results_behind_checkpoint,
         results_recorded_at_upgrade, first_bad_result_id
    FROM judged j;
    valid := results_changed = 0 AND results_unrecorded = 0;
    IF results_changed > 0 THEN
        problem := pg_catalog.format('%s results no longer match what the audit log recorded (first: result %s)',
                                     results_changed, first_bad_result_id);
    ELSIF results_unrecorded > 0 THEN
        problem := pg_catalog.format('%s results were not written by a run the audit log recorded (first: result %s)',
                                     results_unrecorded, first_bad_result_id);
    END IF;
END
$$;
COMMENT ON FUNCTION ethaudit.verify_results() IS
'Checks every result against the digests of the results_recorded events of the audit log: valid unless a result was changed since its run recorded it, or a result exists that no run recorded (forged, or inserted with the triggers off). results_checked counts the results compared; results_deleted the recorded results that are gone (retention, or a deletion the log records as history_deleted); results_behind_checkpoint the results older than the latest checkpoint''s cutoff whose event retention removed from the log, which can no longer be checked; results_recorded_at_upgrade the results written before 0.2.0 and recorded by the upgrade, which prove only that nothing changed since (under 0.1.0 a writer could insert results directly). Run verify_audit_log() too: this trusts the events it reads. SECURITY DEFINER; not executable by PUBLIC.';
REVOKE EXECUTE ON FUNCTION ethaudit.verify_results() FROM PUBLIC;
-- ====================================================================
-- Governance: the runner
--
--   run_checks(), run_check()   evaluate checks over their latest window
--                               and record one result per check
--
-- Source tables and columns come from configuration: the SQL that reads
-- them is built with format() (%I, %L) from names validated against the
-- catalogs at each run, and executed with a pinned search_path, as the
-- owner of the source (run_as_owner).  The entry points that write are
-- granted explicitly (doc/governance.md, "Roles and privileges"); the
-- internal helpers that write history run only inside them.
-- ====================================================================

-- -------- the query of a check --------

-- The query returns one row: value, n_current, n_reference, the first
-- and last timestamps of the current and reference samples, and the share
-- of the current sample that is labelled (NULL if the metric reads no
-- labels), and the version (NULL); by_version, one row per version of the
-- rows in the current window (its rows and its rows of the reference), none
-- for a window without rows.  Parameters:
-- $1, $2 the current window [start, end) ($1 unused for row windows),
-- $3, $4 the reference window [start, end), or for a preceding reference
-- of a batch, $4 = the first timestamp of the batch.
CREATE FUNCTION ethaudit_internal.check_query(c ethaudit.checks, rel regclass, batch_relation text DEFAULT NULL,
                                              by_version boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    parts record;
    ver text := '';
    labelled text := '';
    labelled_share text := 'NULL::float8';
    t text := format('src.%I', c.time_column);
    cur text;
    ref text;
BEGIN
    parts := ethaudit_internal.check_parts(c, rel);
    IF by_version THEN
        parts.proj := parts.proj || format(', %s AS ethaudit_version', ethaudit_internal.text_of(rel, c.version_column));
    END IF;
    IF c.version IS NOT NULL THEN
        ver := format(' AND %s = %L', ethaudit_internal.text_of(rel, c.version_column), c.version);
    END IF;
    -- a metric that reads labels reports the share of the window labelled;
    -- labelled_only windows hold labelled rows only (the filter goes with
    -- the version's, into the current sample)
    IF c.label_column IS NOT NULL THEN
        labelled_share := 'count(*) FILTER (WHERE NOT s.r AND s.y IS NOT NULL)::float8 / nullif(count(*) FILTER (WHERE NOT s.r), 0)';
    END IF;
    IF c.labelled_only THEN
        labelled := format(' AND src.%I IS NOT NULL', c.label_column);
    END IF;

    -- the current sample
    IF batch_relation IS NOT NULL THEN
        cur := format('SELECT %s, false AS r FROM %I AS src WHERE true%s', parts.proj, batch_relation, ver || labelled);
    ELSIF c.window_rows IS NOT NULL THEN
        cur := format('SELECT %s, false AS r FROM %s AS src WHERE %s < $2%s ORDER BY 5 DESC LIMIT %s',
                      parts.proj, rel, t, ver || labelled, c.window_rows);
    ELSIF c.window_size IS NOT NULL THEN
        cur := format('SELECT %s, false AS r FROM %s AS src WHERE %s >= $1 AND %s < $2%s', parts.proj, rel, t, t, ver || labelled);
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
        'min(s.t) FILTER (WHERE s.r)::timestamptz AS ref_first, max(s.t) FILTER (WHERE s.r)::timestamptz AS ref_last, '
        '%s AS labelled_share%s '
        'FROM ((%s)%s) AS s%s',
        parts.value_expr, parts.usable, parts.n_reference_expr, labelled_share,
        CASE WHEN by_version THEN ', s.ethaudit_version AS version' ELSE ', NULL::text AS version' END, cur,
        CASE WHEN ref IS NULL THEN '' ELSE format(' UNION ALL (%s)', ref) END,
        CASE WHEN by_version
             THEN ' GROUP BY s.ethaudit_version HAVING count(*) FILTER (WHERE NOT s.r) > 0 ORDER BY s.ethaudit_version'
             ELSE '' END);
END
$$;
COMMENT ON FUNCTION ethaudit_internal.check_query(ethaudit.checks, regclass, text, boolean) IS
'Internal: the SQL that evaluates a check over its source (or over batch_relation, the transition table of the prediction-log trigger); by_version, once per version of the rows in the window. Identifiers are quoted with format(%I), constants with %L.';

-- One scan of the batch for several checks that need no reference rows:
-- returns arrays (one element per check, in order) of value, n_current,
-- n_reference, first and last timestamp and labelled share, and the number
-- of rows.
CREATE FUNCTION ethaudit_internal.batch_query(cs ethaudit.checks[], rel regclass, batch_relation text)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
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
    shares text[] := '{}';
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
        IF parts.reference_rows OR cs[k].version_column IS NOT NULL OR cs[k].labelled_only THEN
            RAISE EXCEPTION 'check % cannot share a scan', cs[k].check_name USING ERRCODE = 'internal_error';
        END IF;
        projs := projs || parts.proj;
        aggs := aggs || format('(%s)::float8 AS %I, count(*) FILTER (WHERE %s) AS %I, %s AS %I',
                               parts.value_expr, 'value_' || k, parts.usable, 'n_' || k,
                               CASE WHEN cs[k].label_column IS NULL THEN 'NULL::float8'
                                    ELSE format('count(*) FILTER (WHERE %I IS NOT NULL)::float8 / nullif(count(*), 0)', 'y_' || k) END,
                               'labelled_' || k);
        shares := shares || format('%I', 'labelled_' || k);
        vals := vals || format('%I', 'value_' || k);
        ns := ns || format('%I', 'n_' || k);
        refs := refs || parts.n_reference_expr;
        firsts := firsts || format('%I', 'first_' || t);
        lasts := lasts || format('%I', 'last_' || t);
    END LOOP;
    RETURN format('SELECT ARRAY[%s]::float8[], ARRAY[%s]::bigint[], ARRAY[%s]::bigint[], '
                  'ARRAY[%s]::timestamptz[], ARRAY[%s]::timestamptz[], ARRAY[%s]::float8[], agg.batch_rows '
                  'FROM (SELECT %s, count(*) AS batch_rows FROM (SELECT %s, false AS r FROM %I AS src) AS s) AS agg',
                  array_to_string(vals, ', '), array_to_string(ns, ', '), array_to_string(refs, ', '),
                  array_to_string(firsts, ', '), array_to_string(lasts, ', '), array_to_string(shares, ', '),
                  array_to_string(aggs, ', '), array_to_string(projs, ', '), batch_relation);
END
$$;
COMMENT ON FUNCTION ethaudit_internal.batch_query(ethaudit.checks[], regclass, text) IS
'Internal: the SQL that evaluates several insert_batch checks without reference rows in one scan of the transition table of the prediction-log trigger.';

-- -------- evaluating and recording a check --------

-- The version a result is about, and where that comes from: the check's
-- pinned version, the rows' version column, or (neither) the versions the
-- stage history says were live during the window, with a warning when
-- several versions served then and the log may mix their rows.
CREATE FUNCTION ethaudit_internal.result_version(c ethaudit.checks, row_version text,
    window_start timestamptz, window_end timestamptz,
    OUT model_version text, OUT version_source text, OUT mixed_versions boolean, OUT note text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ws timestamptz := coalesce(window_start, window_end, pg_catalog.now());
    we timestamptz := coalesce(window_end, window_start, pg_catalog.now());
    -- a time window ends before window_end; a window of rows or a batch at its last row
    end_included boolean := c.mode = 'insert_batch' OR c.window_size IS NULL OR window_end IS NULL;
    serving text[];
BEGIN
    IF c.version IS NOT NULL THEN
        model_version := c.version;
        version_source := 'check';
    ELSIF c.version_column IS NOT NULL THEN
        model_version := row_version;
        version_source := 'data';
    ELSE
        version_source := 'stage_history';
        -- the versions that served, and of them those that were live
        SELECT string_agg(DISTINCT d.version, ',' ORDER BY d.version) FILTER (WHERE d.stage = 'live'),
               array_agg(format('%s (%s)', d.version, d.stage)),
               count(DISTINCT d.version) > 1
        INTO model_version, serving, mixed_versions
        FROM ethaudit_internal.versions_during(c.model, '{shadow,canary,live}', ws, we, end_included) d;
        IF mixed_versions THEN
            note := format('versions %s served during the window: without version_column, their rows may be mixed',
                           array_to_string(serving, ', '));
        END IF;
    END IF;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.result_version(ethaudit.checks, text, timestamptz, timestamptz) IS
'Internal: the model_version, version_source and mixed_versions of a result of the check over [window_start, window_end), and the warning of its message when versions may be mixed.';

CREATE FUNCTION ethaudit_internal.record_result(
    c ethaudit.checks, run_id bigint, value double precision, n_current bigint, n_reference bigint,
    window_start timestamptz, window_end timestamptz, reference_start timestamptz, reference_end timestamptz,
    started timestamptz, error_sqlstate text DEFAULT NULL, error_message text DEFAULT NULL,
    row_version text DEFAULT NULL, replayed boolean DEFAULT false, labelled_share double precision DEFAULT NULL)
RETURNS ethaudit.results
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    th ethaudit.thresholds;
    status text;
    msg text := error_message;
    ver record;
    result ethaudit.results;
BEGIN
    SELECT * INTO th FROM ethaudit.thresholds x WHERE x.check_id = c.check_id;
    IF error_sqlstate IS NOT NULL THEN
        status := 'error';
    ELSIF value IS NULL OR value = 'NaN'::float8 THEN
        status := 'insufficient_data';
        msg := format('the metric is undefined on this sample (%s usable rows%s)', n_current,
                      CASE WHEN n_reference IS NULL THEN '' ELSE format(', %s in the reference', n_reference) END);
    ELSIF n_current < c.min_samples THEN
        status := 'insufficient_data';
        msg := format('%s usable rows in the current window, fewer than min_samples (%s)', n_current, c.min_samples);
    ELSIF n_reference < c.min_samples THEN
        status := 'insufficient_data';
        msg := format('%s usable rows in the reference, fewer than min_samples (%s)', n_reference, c.min_samples);
    ELSE
        status := ethaudit.classify(value, th.warn, th.critical, th.direction);
    END IF;
    ver := ethaudit_internal.result_version(c, row_version, window_start, window_end);
    IF ver.note IS NOT NULL AND status <> 'error' THEN
        msg := CASE WHEN msg IS NULL THEN ver.note ELSE msg || '; ' || ver.note END;
    END IF;
    -- The row is built here rather than read back with RETURNING: the role
    -- running the checks may append results without being allowed to read
    -- them (row-level security, roles.sql).  apply_result marks it applied.
    result.result_id := nextval('ethaudit.results_result_id_seq');
    result.run_id := record_result.run_id;
    result.check_id := c.check_id;
    result.model := c.model;
    result.model_version := ver.model_version;
    result.metric := c.metric;
    result.value := CASE WHEN status = 'error' THEN NULL ELSE record_result.value END;
    result.status := status;
    result.n_current := record_result.n_current;
    result.n_reference := record_result.n_reference;
    result.window_start := record_result.window_start;
    result.window_end := record_result.window_end;
    result.reference_start := record_result.reference_start;
    result.reference_end := record_result.reference_end;
    result.warn := th.warn;
    result.critical := th.critical;
    result.direction := th.direction;
    result.error_sqlstate := record_result.error_sqlstate;
    result.message := msg;
    result.evaluated_at := clock_timestamp();
    result.duration := result.evaluated_at - started;
    result.alert_applied := false;
    result.version_source := ver.version_source;
    result.mixed_versions := ver.mixed_versions;
    result.replayed := record_result.replayed;
    result.labelled_share := record_result.labelled_share;
    INSERT INTO ethaudit.results SELECT result.*;
    result.alert_applied := true;
    RETURN result;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.record_result(ethaudit.checks, bigint, double precision, bigint, bigint, timestamptz, timestamptz, timestamptz, timestamptz, timestamptz, text, text, text, boolean, double precision) IS
'Internal: judges a value against the thresholds of its check (or records a failure) and inserts the result, with the version it is about (row_version: the version of its rows, for a check with a version column) and the labelled share of its window; the insert updates the alerts unless the result is replayed.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.record_result(ethaudit.checks, bigint, double precision, bigint, bigint, timestamptz, timestamptz, timestamptz, timestamptz, timestamptz, text, text, text, boolean, double precision) FROM PUBLIC;

CREATE FUNCTION ethaudit_internal.evaluate_check(c ethaudit.checks, run_id bigint, as_of timestamptz,
                                                 replayed boolean DEFAULT false)
RETURNS SETOF ethaudit.results
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
    started timestamptz := clock_timestamp();
    rel regclass;
    q text;
    t_end timestamptz := as_of - c.window_lag;
    cur_start timestamptz;
    ref_start timestamptz;
    ref_end timestamptz;
    by_version boolean := c.version_column IS NOT NULL AND c.version IS NULL;
    split boolean;
    r record;
    -- returned once the block has succeeded: a failure rolls back its inserts
    recorded ethaudit.results[] := '{}';
    state text;
    msg text;
BEGIN
    BEGIN
        rel := ethaudit_internal.check_source(pg_catalog.to_regclass(c.source), c.source, c.mode <> 'scheduled');
        IF c.window_size IS NOT NULL THEN
            cur_start := t_end - c.window_size;
        END IF;
        IF c.reference_kind = 'fixed' THEN
            ref_start := c.reference_start;
            ref_end := c.reference_end;
        ELSIF c.reference_kind = 'preceding' AND c.window_size IS NOT NULL THEN
            ref_start := cur_start - coalesce(c.reference_size, c.window_size);
            ref_end := cur_start;
        END IF;
        -- as the source's owner: its view, functions and policies never run
        -- with the rights of whoever runs the checks.  One result per version
        -- of the rows when the check splits by version; a window without rows
        -- has no version, and gets one result from the query unsplit.
        FOR split IN SELECT x FROM unnest(ARRAY[by_version, false]) AS x LOOP
            q := ethaudit_internal.check_query(c, rel, NULL, split);
            FOR r IN SELECT * FROM ethaudit_internal.run_as_owner(rel, q, ARRAY[cur_start, t_end, ref_start, ref_end])
                AS x(value float8, n_current bigint, n_reference bigint, first_time timestamptz,
                     last_time timestamptz, ref_first timestamptz, ref_last timestamptz, labelled_share float8,
                     version text)
            LOOP
                -- (a window of rows without rows ends where it was looked for)
                recorded := recorded || ethaudit_internal.record_result(c, run_id, r.value, r.n_current, r.n_reference,
                                              coalesce(cur_start, r.first_time),
                                              CASE WHEN c.window_size IS NOT NULL THEN t_end ELSE coalesce(r.last_time, t_end) END,
                                              coalesce(ref_start, r.ref_first), coalesce(ref_end, r.ref_last),
                                              started, NULL, NULL, r.version, replayed, r.labelled_share);
            END LOOP;
            EXIT WHEN cardinality(recorded) > 0;
        END LOOP;
        RETURN QUERY SELECT * FROM unnest(recorded);
        RETURN;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
    END;
    -- recorded outside the failed block, so that the failure is kept
    RETURN NEXT ethaudit_internal.record_result(c, run_id, NULL, NULL, NULL, cur_start, t_end, ref_start, ref_end,
                                  started, state, msg, NULL, replayed);
END
$$;
COMMENT ON FUNCTION ethaudit_internal.evaluate_check(ethaudit.checks, bigint, timestamptz, boolean) IS
'Internal: evaluates one check over its window ending at as_of minus its window_lag and records the result, one per version of the rows when the check has a version column and no pinned version; a failure is recorded as a result with status error.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.evaluate_check(ethaudit.checks, bigint, timestamptz, boolean) FROM PUBLIC;

CREATE FUNCTION ethaudit_internal.finish_run(run_id bigint, statuses text[])
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE ethaudit.runs r SET
        finished_at = pg_catalog.clock_timestamp(),
        checks = coalesce(pg_catalog.cardinality(statuses), 0),
        ok = (SELECT count(*) FROM unnest(statuses) x WHERE x = 'ok'),
        warning = (SELECT count(*) FROM unnest(statuses) x WHERE x = 'warning'),
        critical = (SELECT count(*) FROM unnest(statuses) x WHERE x = 'critical'),
        insufficient_data = (SELECT count(*) FROM unnest(statuses) x WHERE x = 'insufficient_data'),
        error = (SELECT count(*) FROM unnest(statuses) x WHERE x = 'error'),
        skipped = (SELECT count(*) FROM unnest(statuses) x WHERE x = 'skipped')
    WHERE r.run_id = finish_run.run_id;
    -- the run's results, committed to the audit log
    PERFORM ethaudit_internal.commit_run_results(finish_run.run_id);
END
$$;
COMMENT ON FUNCTION ethaudit_internal.finish_run(bigint, text[]) IS
'Internal: stamps the end of a run and its totals, from the status of each check it considered (skipped included), and commits its results to the audit log (results_recorded).';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.finish_run(bigint, text[]) FROM PUBLIC;

CREATE FUNCTION ethaudit_internal.lock_check(check_id bigint)
RETURNS boolean
LANGUAGE sql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- advisory key space of ethaudit: 0x65746861 ('etha'), then the check
    SELECT pg_catalog.pg_try_advisory_xact_lock(1702127713, (check_id % 2147483648)::integer)
$$;
COMMENT ON FUNCTION ethaudit_internal.lock_check(bigint) IS
'Internal: takes the transaction-level advisory lock of a check without waiting; false if a concurrent run is evaluating it.';

-- -------- the entry points --------

-- A run for a time in the past is a replay unless the caller says
-- otherwise: its results are evidence about their windows, recorded with
-- replayed = true, and leave the live alerts alone (doc/governance.md).
CREATE FUNCTION ethaudit_internal.is_replay(as_of timestamptz, replay boolean)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(replay, as_of IS NOT NULL AND as_of < pg_catalog.now())
$$;
COMMENT ON FUNCTION ethaudit_internal.is_replay(timestamptz, boolean) IS
'Internal: whether a run is a replay: as the caller says, or by default when as_of is before the start of the transaction.';

CREATE FUNCTION ethaudit.run_checks(model text DEFAULT NULL, as_of timestamptz DEFAULT NULL,
                                    replay boolean DEFAULT NULL)
RETURNS ethaudit.run_summary
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
    run bigint;
    c ethaudit.checks;
    res ethaudit.results;
    summary ethaudit.run_summary;
    statuses text[] := '{}';
    replaying boolean := ethaudit_internal.is_replay(run_checks.as_of, run_checks.replay);
BEGIN
    IF model IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ethaudit.models m WHERE m.model = run_checks.model) THEN
        RAISE EXCEPTION 'model "%" is not registered', model
            USING ERRCODE = 'undefined_object';
    END IF;
    INSERT INTO ethaudit.runs AS r (kind, model, as_of, run_by, replay)
    VALUES ('run_checks', run_checks.model, coalesce(run_checks.as_of, now()), ethaudit.session_role(), replaying)
    RETURNING r.run_id INTO run;

    FOR c IN
        SELECT ch.* FROM ethaudit.checks ch
        LEFT JOIN ethaudit.model_versions v ON v.model = ch.model AND v.version = ch.version
        WHERE ch.enabled AND ch.mode = 'scheduled'
          AND (run_checks.model IS NULL OR ch.model = run_checks.model)
          AND v.stage IS DISTINCT FROM 'retired'
        ORDER BY ch.model, ch.check_id
    LOOP
        IF NOT ethaudit_internal.lock_check(c.check_id) THEN
            statuses := statuses || 'skipped'::text;
            CONTINUE;
        END IF;
        BEGIN
            FOR res IN SELECT * FROM ethaudit_internal.evaluate_check(c, run, coalesce(run_checks.as_of, now()), replaying)
            LOOP
                statuses := statuses || res.status;
            END LOOP;
        EXCEPTION WHEN OTHERS THEN
            -- not even the failure could be recorded (e.g. the check was
            -- deleted meanwhile): count it and go on with the others
            RAISE WARNING 'ethaudit: check % (%) could not be evaluated: %', c.check_id, c.check_name, SQLERRM;
            statuses := statuses || 'error'::text;
        END;
    END LOOP;

    PERFORM ethaudit_internal.finish_run(run, statuses);
    SELECT r.run_id, r.checks, r.ok, r.warning, r.critical, r.insufficient_data, r.error, r.skipped,
           r.started_at, r.finished_at
    INTO summary FROM ethaudit.runs r WHERE r.run_id = run;
    RETURN summary;
END
$$;
COMMENT ON FUNCTION ethaudit.run_checks(text, timestamptz, boolean) IS
'Evaluates every enabled scheduled check (of one model, or of all when model is NULL) over its latest window ending at as_of (default now()), writes one result per check (per version of the rows, for a check with a version column) and returns a summary. A run with an as_of before now is a replay unless replay => false: its results are recorded with replayed true and leave the alerts alone (replay => true makes any run one). A failing check is recorded with status error and does not stop the others; a check that a concurrent run is evaluating is skipped. Checks pinned to a retired version are not run. SECURITY DEFINER: only the runner writes runs and results (the caller needs no privilege on them, and no role can write them directly); each check''s SQL runs as the owner of its source (run_as_owner). The run is recorded in the caller''s name (run_by) and its results committed to the audit log. Not executable by PUBLIC.';
REVOKE EXECUTE ON FUNCTION ethaudit.run_checks(text, timestamptz, boolean) FROM PUBLIC;

CREATE FUNCTION ethaudit.run_check(check_id bigint, as_of timestamptz DEFAULT NULL, replay boolean DEFAULT NULL)
RETURNS SETOF ethaudit.results
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
    c ethaudit.checks;
    run bigint;
    res ethaudit.results;
    statuses text[] := '{}';
    replaying boolean := ethaudit_internal.is_replay(run_check.as_of, run_check.replay);
BEGIN
    IF check_id IS NULL THEN
        RAISE EXCEPTION 'check_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT * INTO c FROM ethaudit.checks ch WHERE ch.check_id = run_check.check_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'check % does not exist', check_id
            USING ERRCODE = 'undefined_object';
    END IF;
    INSERT INTO ethaudit.runs AS r (kind, model, as_of, run_by, replay)
    VALUES ('run_check', c.model, coalesce(run_check.as_of, now()), ethaudit.session_role(), replaying)
    RETURNING r.run_id INTO run;
    -- an explicit request waits for a concurrent evaluation of the same check
    PERFORM pg_catalog.pg_advisory_xact_lock(1702127713, (c.check_id % 2147483648)::integer);
    FOR res IN SELECT * FROM ethaudit_internal.evaluate_check(c, run, coalesce(run_check.as_of, now()), replaying) LOOP
        statuses := statuses || res.status;
        RETURN NEXT res;
    END LOOP;
    PERFORM ethaudit_internal.finish_run(run, statuses);
END
$$;
COMMENT ON FUNCTION ethaudit.run_check(bigint, timestamptz, boolean) IS
'Evaluates one check now (whatever its mode and even if disabled) over its window ending at as_of (default now()), records the result and returns it (one per version of the rows, for a check with a version column). A replay as in run_checks: an as_of before now, unless replay => false. SECURITY DEFINER, like run_checks: the check''s SQL runs as the owner of its source, the run in the caller''s name. Not executable by PUBLIC.';
REVOKE EXECUTE ON FUNCTION ethaudit.run_check(bigint, timestamptz, boolean) FROM PUBLIC;
-- ====================================================================
-- Governance: the prediction-log trigger
--
--   monitor_table()     attaches the trigger to a prediction-log table and
--                       creates its insert_batch checks
--   monitor_label_updates()  also attaches it for UPDATEs, for labels that
--                       arrive after the prediction
--   monitor_batch       the trigger: evaluates the insert-mode checks of the
--                       table per inserted (or updated) batch, never failing
--                       the statement
--   unmonitor_table()   detaches them
-- ====================================================================

CREATE FUNCTION ethaudit_internal.monitor_batch()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
    src text := format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME);
    rel regclass := TG_RELID;
    c ethaudit.checks;
    shared ethaudit.checks[];
    run bigint;
    n_rows bigint;
    res ethaudit.results;
    q text;
    r record;
    vals float8[];
    ns bigint[];
    nrefs bigint[];
    firsts timestamptz[];
    lasts timestamptz[];
    k integer;
    started timestamptz;
    ref_start timestamptz;
    ref_end timestamptz;
    state text;
    msg text;
    statuses text[] := '{}';
    batch_statuses text[];
    shares float8[];
    -- an UPDATE batch (monitor_label_updates) concerns the checks that read
    -- labels, and only those whose label the batch carries
    label_update boolean := TG_OP = 'UPDATE';
    labelled boolean;
    col name;
    filled name[] := '{}';
    split boolean;
BEGIN
    IF TG_WHEN <> 'AFTER' OR TG_LEVEL <> 'STATEMENT' OR TG_OP NOT IN ('INSERT', 'UPDATE') THEN
        RAISE EXCEPTION 'ethaudit_internal.monitor_batch() must be an AFTER INSERT or AFTER UPDATE ... FOR EACH STATEMENT trigger'
            USING ERRCODE = 'trigger_protocol_violated',
                  HINT = 'Attach it with ethaudit.monitor_table() or ethaudit.monitor_label_updates().';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM ethaudit.checks ch
                   WHERE ch.source = src AND ch.mode <> 'scheduled' AND ch.enabled
                     AND (NOT label_update OR ch.label_column IS NOT NULL))
       OR NOT EXISTS (SELECT 1 FROM ethaudit_batch) THEN
        RETURN NULL;
    END IF;
    IF label_update THEN
        -- the label columns this UPDATE may have filled: some of its new rows
        -- have the label and some of its old rows lacked it (the transition
        -- tables, visible only here).  Both tests stop at the first such row,
        -- so a fill costs no scan of the batch.  A column that is gone
        -- counts, so that its checks record the error.  An UPDATE that
        -- filled none is no batch.
        FOR col IN SELECT DISTINCT ch.label_column FROM ethaudit.checks ch
                   WHERE ch.source = src AND ch.mode <> 'scheduled' AND ch.enabled AND ch.label_column IS NOT NULL LOOP
            BEGIN
                EXECUTE format('SELECT EXISTS (SELECT FROM ethaudit_batch WHERE %1$I IS NOT NULL) '
                               'AND EXISTS (SELECT FROM ethaudit_old WHERE %1$I IS NULL)', col)
                    INTO labelled;
            EXCEPTION WHEN undefined_column THEN
                labelled := true;
            END;
            IF labelled THEN
                filled := filled || col;
            END IF;
        END LOOP;
        IF cardinality(filled) = 0 THEN
            RETURN NULL;
        END IF;
    END IF;
    INSERT INTO ethaudit.runs AS x (kind, source, as_of, run_by)
    VALUES (CASE WHEN label_update THEN 'update' ELSE 'insert' END, src, now(), ethaudit.session_role())
    RETURNING x.run_id INTO run;

    -- 1. batch checks without reference rows: one scan of the batch for all
    --    of them; if that fails, each is evaluated on its own (step 2)
    SELECT array_agg(ch ORDER BY ch.model, ch.check_id) INTO shared
    FROM ethaudit.checks ch
    WHERE ch.source = src AND ch.mode = 'insert_batch' AND ch.enabled AND ch.version_column IS NULL
      AND NOT ch.labelled_only AND NOT label_update
      AND (ch.reference_kind IS NULL OR ch.reference_kind = 'baseline');
    IF shared IS NOT NULL THEN
        started := clock_timestamp();
        BEGIN
            PERFORM ethaudit_internal.check_source(rel, src, true);
            EXECUTE ethaudit_internal.batch_query(shared, rel, 'ethaudit_batch')
                INTO vals, ns, nrefs, firsts, lasts, shares, n_rows;
            FOR k IN 1 .. cardinality(shared) LOOP
                res := ethaudit_internal.record_result(shared[k], run, vals[k], ns[k], nrefs[k], firsts[k], lasts[k],
                                              NULL, NULL, started, NULL, NULL, NULL, false, shares[k]);
                statuses := statuses || res.status;
            END LOOP;
        EXCEPTION WHEN OTHERS THEN
            -- the block's results are rolled back: forget them too
            shared := NULL;
            n_rows := NULL;
            statuses := '{}';
        END;
    END IF;

    -- 2. the other batch checks (and all of them if step 1 failed), and
    --    the sliding windows
    FOR c IN
        SELECT ch.* FROM ethaudit.checks ch
        LEFT JOIN ethaudit.model_versions v ON v.model = ch.model AND v.version = ch.version
        WHERE ch.source = src AND ch.mode <> 'scheduled' AND ch.enabled
          AND v.stage IS DISTINCT FROM 'retired'
          -- an UPDATE that filled none of a check's labels leaves it alone
          AND (NOT label_update OR ch.label_column = ANY (filled))
          AND (shared IS NULL OR ch.check_id <> ALL (SELECT x.check_id FROM unnest(shared) x))
        ORDER BY ch.model, ch.check_id
    LOOP
        IF c.mode = 'insert_window' THEN
            -- the sliding window: the check's window, ending now
            IF (c.min_interval IS NOT NULL AND EXISTS (
                    SELECT 1 FROM ethaudit.results x
                    WHERE x.check_id = c.check_id AND NOT x.replayed
                      AND x.evaluated_at > clock_timestamp() - c.min_interval))
               OR NOT ethaudit_internal.lock_check(c.check_id) THEN
                statuses := statuses || 'skipped'::text;
                CONTINUE;
            END IF;
            FOR res IN SELECT * FROM ethaudit_internal.evaluate_check(c, run, now()) LOOP
                statuses := statuses || res.status;
            END LOOP;
            CONTINUE;
        END IF;

        -- insert_batch: the query must run here, where the transition table
        -- ethaudit_batch is visible
        started := clock_timestamp();
        ref_start := NULL;
        ref_end := NULL;
        state := NULL;
        batch_statuses := '{}';
        BEGIN
            PERFORM ethaudit_internal.check_source(rel, src, true);
            IF c.reference_kind = 'fixed' THEN
                ref_start := c.reference_start;
                ref_end := c.reference_end;
            ELSIF c.reference_kind = 'preceding' THEN
                EXECUTE format('SELECT min(%I)::timestamptz FROM ethaudit_batch', c.time_column) INTO ref_end;
                ref_start := ref_end - coalesce(c.reference_size, c.window_size);
            END IF;
            -- one result per version of the batch's rows, for a check with a
            -- version column and no pinned version (as evaluate_check does)
            FOR split IN SELECT x FROM unnest(ARRAY[c.version_column IS NOT NULL AND c.version IS NULL, false]) AS x LOOP
                q := ethaudit_internal.check_query(c, rel, 'ethaudit_batch', split);
                FOR r IN EXECUTE q USING NULL::timestamptz, NULL::timestamptz, ref_start, ref_end LOOP
                    res := ethaudit_internal.record_result(c, run, r.value, r.n_current, r.n_reference,
                                                  r.first_time, r.last_time,
                                                  coalesce(ref_start, r.ref_first),
                                                  CASE WHEN c.window_rows IS NULL THEN ref_end ELSE r.ref_last END,
                                                  started, NULL, NULL, r.version, false, r.labelled_share);
                    batch_statuses := batch_statuses || res.status;
                END LOOP;
                EXIT WHEN cardinality(batch_statuses) > 0;
            END LOOP;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
        END;
        IF state IS NOT NULL THEN
            res := ethaudit_internal.record_result(c, run, NULL, NULL, NULL, NULL, NULL, ref_start, ref_end,
                                          started, state, msg);
            batch_statuses := ARRAY[res.status];
        END IF;
        statuses := statuses || batch_statuses;
    END LOOP;

    IF n_rows IS NULL THEN
        SELECT count(*) INTO n_rows FROM ethaudit_batch;
    END IF;
    UPDATE ethaudit.runs x SET batch_rows = n_rows WHERE x.run_id = run;
    PERFORM ethaudit_internal.finish_run(run, statuses);
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    -- monitoring must never lose the user's rows
    GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
    RAISE WARNING 'ethaudit: the batch % % could not be checked: %', CASE WHEN label_update THEN 'updated in' ELSE 'inserted into' END, src, msg;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.monitor_batch() IS
'Trigger function of monitored prediction logs (AFTER INSERT, or AFTER UPDATE with monitor_label_updates; FOR EACH STATEMENT, transition table ethaudit_batch): evaluates the insert_batch checks of the table over the inserted rows and its insert_window checks over their latest window; after an UPDATE, only the checks that read labels, and only if the statement may have filled some of them (some of its rows have the label after it, and some lacked it before). Never makes the statement fail: a failing check is recorded with status error, and any other failure is reported as a warning. SECURITY DEFINER, so writing roles need no privileges on ethaudit''s tables.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.monitor_batch() FROM PUBLIC;

-- Citus: a trigger on a distributed or reference table runs on the workers'
-- shards, where the governance tables are not; such a table is audited by
-- scheduled run_checks() on the coordinator instead (doc/baseline.md).
CREATE FUNCTION ethaudit_internal.refuse_distributed(source regclass)
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    citus_kind text := ethaudit_internal.citus_table_kind(source);
BEGIN
    IF citus_kind IS NOT NULL THEN
        RAISE EXCEPTION 'table % is a Citus % table: ethaudit cannot monitor its inserts', source, citus_kind
            USING ERRCODE = 'feature_not_supported',
                  DETAIL = 'Its triggers would run on the workers, where ethaudit''s governance tables are not.',
                  HINT = 'Give its checks mode scheduled and run them on the coordinator with ethaudit.run_checks(), from pg_cron for example.';
    END IF;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.refuse_distributed(regclass) IS
'Internal: refuses (0A000) a Citus distributed or reference table, whose triggers would run on the workers; monitor_table and monitor_label_updates call it.';

CREATE FUNCTION ethaudit.monitor_table(
    source regclass, model text, time_column name,
    required_columns name[] DEFAULT NULL,
    probability_column name DEFAULT NULL,
    category_columns name[] DEFAULT NULL,
    reference_size interval DEFAULT '7 days')
RETURNS SETOF ethaudit.checks
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    src text;
    col name;
    c ethaudit.checks;
    thr record;
BEGIN
    IF source IS NULL OR model IS NULL OR time_column IS NULL THEN
        RAISE EXCEPTION 'source, model and time_column must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM ethaudit_internal.check_source(source, source::text, true);
    PERFORM ethaudit_internal.refuse_distributed(source);
    src := ethaudit_internal.qualified_name(source);
    -- every column named must exist, also when no check reads it (a trigger
    -- with no check would otherwise be attached to a table it cannot audit)
    FOR col IN SELECT x FROM unnest(ARRAY[time_column, probability_column]
                                    || coalesce(required_columns, '{}') || coalesce(category_columns, '{}')) AS x
               WHERE x IS NOT NULL LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                       WHERE a.attrelid = source AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped) THEN
            RAISE EXCEPTION 'column "%" of relation % does not exist', col, src
                USING ERRCODE = 'undefined_column';
        END IF;
    END LOOP;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_trigger tg
               WHERE tg.tgrelid = source AND tg.tgfoid = 'ethaudit_internal.monitor_batch()'::regprocedure) THEN
        RAISE EXCEPTION 'table % is already monitored', source
            USING ERRCODE = 'duplicate_object',
                  HINT = 'Add checks with mode insert_batch or insert_window to ethaudit.checks, or call ethaudit.unmonitor_table() first.';
    END IF;

    FOR thr IN
        SELECT x.metric, x.col, x.warn, x.critical
        FROM (VALUES ('null_share', NULL::name, 0::float8, 0.05::float8, required_columns IS NOT NULL, 1),
                     ('invalid_probability_share', NULL, NULL, 0, probability_column IS NOT NULL, 2)) AS x(metric, col, warn, critical, wanted, ord)
        WHERE x.wanted
        UNION ALL
        SELECT 'unseen_share', u.col, 0, 0.05
        FROM unnest(category_columns) WITH ORDINALITY AS u(col, ord)
    LOOP
        INSERT INTO ethaudit.checks AS ch
            (check_name, model, metric, mode, source, time_column, value_column, probability_column,
             required_columns, reference_kind, reference_size, min_samples, description)
        VALUES (format('%s: %s', src, CASE WHEN thr.col IS NULL THEN thr.metric
                                           ELSE format('%s of %s', thr.metric, thr.col) END),
                monitor_table.model, thr.metric, 'insert_batch', src, monitor_table.time_column,
                thr.col,
                CASE WHEN thr.metric = 'invalid_probability_share' THEN monitor_table.probability_column END,
                CASE WHEN thr.metric = 'null_share' THEN monitor_table.required_columns END,
                CASE WHEN thr.metric = 'unseen_share' THEN 'preceding' END,
                CASE WHEN thr.metric = 'unseen_share' THEN monitor_table.reference_size END,
                1,
                'created by ethaudit.monitor_table()')
        RETURNING ch.* INTO c;
        INSERT INTO ethaudit.thresholds (check_id, warn, critical) VALUES (c.check_id, thr.warn, thr.critical);
        RETURN NEXT c;
    END LOOP;

    EXECUTE format('CREATE TRIGGER ethaudit_monitor AFTER INSERT ON %s REFERENCING NEW TABLE AS ethaudit_batch '
                   'FOR EACH STATEMENT EXECUTE FUNCTION ethaudit_internal.monitor_batch()', source);
    EXECUTE format('COMMENT ON TRIGGER ethaudit_monitor ON %s IS %L', source,
                   'ethaudit: checks each inserted batch (see ethaudit.checks, mode insert_batch / insert_window)');
END
$$;
COMMENT ON FUNCTION ethaudit.monitor_table(regclass, text, name, name[], name, name[], interval) IS
'Attaches the ethaudit_monitor trigger (AFTER INSERT, FOR EACH STATEMENT, over a transition table) to a prediction-log table, and creates its insert_batch checks with default thresholds: null_share over required_columns, invalid_probability_share of probability_column, and unseen_share of each of category_columns against the preceding reference_size. Returns the checks it created.';
REVOKE EXECUTE ON FUNCTION ethaudit.monitor_table(regclass, text, name, name[], name, name[], interval) FROM PUBLIC;

CREATE FUNCTION ethaudit.monitor_label_updates(source regclass)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF source IS NULL THEN
        RAISE EXCEPTION 'source must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM ethaudit_internal.check_source(source, source::text, true);
    PERFORM ethaudit_internal.refuse_distributed(source);
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_trigger tg
               WHERE tg.tgrelid = source AND tg.tgname = 'ethaudit_monitor_labels') THEN
        RAISE EXCEPTION 'label updates of table % are already monitored', source
            USING ERRCODE = 'duplicate_object';
    END IF;
    -- PostgreSQL allows no column list on a trigger with transition
    -- tables: every UPDATE fires it, and monitor_batch returns at once when
    -- the statement filled no label a check reads
    EXECUTE format('CREATE TRIGGER ethaudit_monitor_labels AFTER UPDATE ON %s '
                   'REFERENCING OLD TABLE AS ethaudit_old NEW TABLE AS ethaudit_batch '
                   'FOR EACH STATEMENT EXECUTE FUNCTION ethaudit_internal.monitor_batch()', source);
    EXECUTE format('COMMENT ON TRIGGER ethaudit_monitor_labels ON %s IS %L', source,
                   'ethaudit: checks the labels each UPDATE fills in (checks of mode insert_batch / insert_window that read labels)');
END
$$;
COMMENT ON FUNCTION ethaudit.monitor_label_updates(regclass) IS
'Attaches the ethaudit_monitor_labels trigger (AFTER UPDATE, FOR EACH STATEMENT, over the old and new transition tables) to a prediction-log table whose labels are filled in later by UPDATE: when a statement may have filled labels (some of its rows have the label after it, and some lacked it before), the insert_batch checks of the table that read them are evaluated over the updated rows that have a label, and its insert_window checks that read them over their latest window. An UPDATE of rows that were all labelled (a correction) or that are all unlabelled after it runs nothing. unmonitor_table() drops it too.';
REVOKE EXECUTE ON FUNCTION ethaudit.monitor_label_updates(regclass) FROM PUBLIC;

CREATE FUNCTION ethaudit.unmonitor_table(source regclass)
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    trigger_name name;
    dropped integer := 0;
    disabled integer;
BEGIN
    FOR trigger_name IN SELECT tg.tgname FROM pg_catalog.pg_trigger tg
                        WHERE tg.tgrelid = source AND tg.tgfoid = 'ethaudit_internal.monitor_batch()'::regprocedure
                        ORDER BY tg.tgname LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', trigger_name, source);
        dropped := dropped + 1;
    END LOOP;
    IF dropped = 0 THEN
        RAISE EXCEPTION 'table % is not monitored', coalesce(source::text, 'NULL')
            USING ERRCODE = 'undefined_object';
    END IF;
    UPDATE ethaudit.checks ch SET enabled = false
    WHERE ch.source = ethaudit_internal.qualified_name(unmonitor_table.source) AND ch.mode <> 'scheduled' AND ch.enabled;
    GET DIAGNOSTICS disabled = ROW_COUNT;
    RETURN disabled;
END
$$;
COMMENT ON FUNCTION ethaudit.unmonitor_table(regclass) IS
'Drops the monitoring triggers of a prediction-log table (inserts and label updates) and disables its insert-mode checks (their history is kept). Returns the number of checks disabled.';
REVOKE EXECUTE ON FUNCTION ethaudit.unmonitor_table(regclass) FROM PUBLIC;
-- ====================================================================
-- Governance: alerts and their lifecycle
--
-- A trigger on ethaudit.results keeps ethaudit.alerts up to date:
--   warning / critical result  opens the check's alert, or counts a repeat
--                              and raises its severity if the value worsened
--   ok result                  counts a clean run; after thresholds.resolve_after
--                              consecutive clean runs the alert resolves
--   insufficient_data / error  leave the alert as it is
-- A check whose results are error thresholds.broken_after times in a row
-- gets an alert of kind check_broken, resolved by its next result that is
-- not an error.  Results of replays (results.replayed) change no alert.
-- At most one alert of each kind per check and version is open (partial
-- unique index; concurrent runs meet in INSERT ... ON CONFLICT).  New, escalated, re-prioritised and
-- resolved alerts are announced with pg_notify('ethaudit_alerts', json).
-- A fairness alert open together with a drift or performance alert of the
-- same model gets priority high.  Owners acknowledge and resolve their
-- alerts through acknowledge_alert() and resolve_alert() only; every
-- state change is an event of the audit log.
-- ====================================================================

-- -------- alerts --------

CREATE TABLE ethaudit.alerts (
    alert_id         bigserial PRIMARY KEY,
    check_id         bigint NOT NULL REFERENCES ethaudit.checks,
    model            text NOT NULL,
    metric           text NOT NULL,
    family           text NOT NULL,
    status           text NOT NULL DEFAULT 'open'
                     CONSTRAINT alerts_status_check CHECK (status IN ('open', 'acknowledged', 'resolved')),
    severity         text NOT NULL
                     CONSTRAINT alerts_severity_check CHECK (severity IN ('warning', 'critical')),
    priority         text NOT NULL DEFAULT 'normal'
                     CONSTRAINT alerts_priority_check CHECK (priority IN ('normal', 'high')),
    priority_reason  text,
    owner_role       name,
    opened_at        timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    due_at           timestamptz NOT NULL,
    escalated_at     timestamptz,
    last_seen_at     timestamptz NOT NULL,
    occurrences      integer NOT NULL DEFAULT 1,
    clean_runs       integer NOT NULL DEFAULT 0,
    first_value      double precision,
    last_value       double precision,
    worst_value      double precision,
    first_result_id  bigint NOT NULL,
    last_result_id   bigint NOT NULL,
    acknowledged_at  timestamptz,
    acknowledged_by  name,
    acknowledge_note text,
    resolved_at      timestamptz,
    resolved_by      name,
    resolution       text CONSTRAINT alerts_resolution_check CHECK (resolution IN ('automatic', 'manual')),
    resolution_note  text,
    kind             text NOT NULL DEFAULT 'threshold'
                     CONSTRAINT alerts_kind_check CHECK (kind IN ('threshold', 'check_broken')),
    model_version    text,
    first_window_end timestamptz,
    last_window_end  timestamptz,
    CONSTRAINT alerts_resolved_check CHECK ((status = 'resolved') = (resolved_at IS NOT NULL))
);
CREATE UNIQUE INDEX alerts_one_open_per_check ON ethaudit.alerts (check_id, kind, model_version) NULLS NOT DISTINCT
    WHERE status <> 'resolved';
CREATE INDEX alerts_open_model_idx ON ethaudit.alerts (model) WHERE status <> 'resolved';
CREATE INDEX alerts_check_idx ON ethaudit.alerts (check_id);
COMMENT ON INDEX ethaudit.alerts_one_open_per_check IS 'At most one open (or acknowledged) alert of each kind per check and version.';
COMMENT ON INDEX ethaudit.alerts_open_model_idx IS 'Open alerts of a model (priority of co-occurring alerts).';
COMMENT ON INDEX ethaudit.alerts_check_idx IS 'Alerts of a check.';
COMMENT ON SEQUENCE ethaudit.alerts_alert_id_seq IS 'Identifiers of alerts.';
COMMENT ON TABLE ethaudit.alerts IS
'Alerts raised by results beyond their thresholds (kind threshold) or by a check that keeps failing (kind check_broken): open, acknowledged, resolved. At most one of each kind per check and version is not resolved. Row-level security (roles.sql): an alert is visible to members of its owner_role and of its model''s owner role and to the auditor; only members of its owner_role may update it. History: kept by pg_dump.';
COMMENT ON COLUMN ethaudit.alerts.alert_id IS 'Identifier (key).';
COMMENT ON COLUMN ethaudit.alerts.check_id IS 'The check (ethaudit.checks).';
COMMENT ON COLUMN ethaudit.alerts.model IS 'The model of the check.';
COMMENT ON COLUMN ethaudit.alerts.metric IS 'The metric of the check.';
COMMENT ON COLUMN ethaudit.alerts.family IS 'Family of the metric: drift, quality, performance or fairness.';
COMMENT ON COLUMN ethaudit.alerts.status IS 'open, acknowledged (someone is on it) or resolved.';
COMMENT ON COLUMN ethaudit.alerts.severity IS 'warning or critical; raised to critical when a later value crosses the critical level, never lowered.';
COMMENT ON COLUMN ethaudit.alerts.priority IS 'normal, or high when a fairness alert is open together with a drift or performance alert of the same model.';
COMMENT ON COLUMN ethaudit.alerts.priority_reason IS 'Why the priority is high.';
COMMENT ON COLUMN ethaudit.alerts.owner_role IS 'Role that answers the alert (from the thresholds of the check).';
COMMENT ON COLUMN ethaudit.alerts.opened_at IS 'When the alert opened.';
COMMENT ON COLUMN ethaudit.alerts.due_at IS 'When a response is due: opened_at + response_time, brought forward by critical_response_time on escalation.';
COMMENT ON COLUMN ethaudit.alerts.escalated_at IS 'When the severity was raised to critical.';
COMMENT ON COLUMN ethaudit.alerts.last_seen_at IS 'When a result last crossed a threshold.';
COMMENT ON COLUMN ethaudit.alerts.occurrences IS 'Results that crossed a threshold while the alert was open, the first included; for check_broken, the failed results since it opened.';
COMMENT ON COLUMN ethaudit.alerts.clean_runs IS 'Consecutive ok results since the threshold was last crossed.';
COMMENT ON COLUMN ethaudit.alerts.first_value IS 'Value that opened the alert (NULL for check_broken).';
COMMENT ON COLUMN ethaudit.alerts.last_value IS 'Latest value that crossed a threshold.';
COMMENT ON COLUMN ethaudit.alerts.worst_value IS 'Most severe value seen (highest for direction above, lowest for below).';
COMMENT ON COLUMN ethaudit.alerts.first_result_id IS 'Result that opened the alert (ethaudit.results).';
COMMENT ON COLUMN ethaudit.alerts.last_result_id IS 'Latest result applied to the alert.';
COMMENT ON COLUMN ethaudit.alerts.acknowledged_at IS 'When it was acknowledged.';
COMMENT ON COLUMN ethaudit.alerts.acknowledged_by IS 'Who acknowledged it.';
COMMENT ON COLUMN ethaudit.alerts.acknowledge_note IS 'Note given when acknowledging.';
COMMENT ON COLUMN ethaudit.alerts.resolved_at IS 'When it was resolved.';
COMMENT ON COLUMN ethaudit.alerts.resolved_by IS 'Who resolved it (NULL when automatic).';
COMMENT ON COLUMN ethaudit.alerts.resolution IS 'automatic (after resolve_after clean runs; check_broken: at the next result that is not an error) or manual (resolve_alert).';
COMMENT ON COLUMN ethaudit.alerts.resolution_note IS 'Why it was resolved.';
COMMENT ON COLUMN ethaudit.alerts.kind IS 'threshold (a value beyond warn or critical) or check_broken (thresholds.broken_after consecutive results with status error: the check no longer audits). Alerts before 0.4.0 are threshold alerts.';
COMMENT ON COLUMN ethaudit.alerts.model_version IS 'The version the alert is about, for checks whose results name a version of their rows or are pinned to one (results.version_source data or check); NULL otherwise.';
COMMENT ON COLUMN ethaudit.alerts.first_window_end IS 'End of the window of the result that opened the alert: the time the evidence is about (opened_at is when it was raised). NULL before 0.4.0.';
COMMENT ON COLUMN ethaudit.alerts.last_window_end IS 'End of the window of the latest result applied to the alert.';

ALTER TABLE ethaudit.alerts ENABLE ROW LEVEL SECURITY;
CREATE POLICY alerts_read ON ethaudit.alerts FOR SELECT
    USING ((SELECT ethaudit.reads_everything(CURRENT_USER))
           OR model = ANY ((SELECT ethaudit.readable_models(CURRENT_USER))::text[])
           OR ethaudit.is_member_of(owner_role));
COMMENT ON POLICY alerts_read ON ethaudit.alerts IS
'An alert is visible to members of its owner role, to members of its model''s owner role, and to the auditor.';
CREATE POLICY alerts_extension ON ethaudit.alerts FOR ALL
    USING ((SELECT ethaudit.is_extension_owner())) WITH CHECK ((SELECT ethaudit.is_extension_owner()));
COMMENT ON POLICY alerts_extension ON ethaudit.alerts IS
'The alert engine (running as the extension''s owner) opens, updates and deletes any alert.';
ALTER TABLE ethaudit.alerts FORCE ROW LEVEL SECURITY;

CREATE FUNCTION ethaudit_internal.audit_alert_change()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    changes jsonb;
    event text;
BEGIN
    changes := ethaudit_internal.row_changes(
        pg_catalog.jsonb_build_object('status', OLD.status, 'severity', OLD.severity, 'priority', OLD.priority,
                                      'owner_role', OLD.owner_role, 'due_at', OLD.due_at,
                                      'acknowledged_by', OLD.acknowledged_by, 'acknowledge_note', OLD.acknowledge_note,
                                      'resolved_by', OLD.resolved_by, 'resolution', OLD.resolution,
                                      'resolution_note', OLD.resolution_note, 'priority_reason', OLD.priority_reason),
        pg_catalog.jsonb_build_object('status', NEW.status, 'severity', NEW.severity, 'priority', NEW.priority,
                                      'owner_role', NEW.owner_role, 'due_at', NEW.due_at,
                                      'acknowledged_by', NEW.acknowledged_by, 'acknowledge_note', NEW.acknowledge_note,
                                      'resolved_by', NEW.resolved_by, 'resolution', NEW.resolution,
                                      'resolution_note', NEW.resolution_note, 'priority_reason', NEW.priority_reason));
    IF changes = '{}'::jsonb THEN
        RETURN NULL;                -- a repeat or a clean run: counted in the alert, not a state change
    END IF;
    event := CASE
        WHEN NEW.status = 'resolved' AND OLD.status <> 'resolved' THEN 'alert_resolved'
        WHEN NEW.status = 'acknowledged' AND OLD.status <> 'acknowledged' THEN 'alert_acknowledged'
        WHEN NEW.severity <> OLD.severity THEN 'alert_escalated'
        WHEN NEW.priority <> OLD.priority THEN 'alert_priority_changed'
        WHEN NEW.status <> OLD.status THEN 'alert_reopened'
        WHEN NEW.owner_role IS DISTINCT FROM OLD.owner_role THEN 'alert_reassigned'
        ELSE 'alert_changed' END;
    PERFORM ethaudit_internal.audit_append(event, NEW.model, NULL, pg_catalog.jsonb_build_object(
        'alert_id', NEW.alert_id, 'check_id', NEW.check_id, 'metric', NEW.metric, 'family', NEW.family,
        'value', NEW.last_value, 'result_id', NEW.last_result_id, 'changes', changes));
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.audit_alert_change() IS
'Trigger function (AFTER UPDATE on alerts): records a change of an alert''s state (status, severity, priority, owner, due time, who acknowledged or resolved it and why) as alert_acknowledged, alert_resolved, alert_escalated, alert_priority_changed, alert_reopened, alert_reassigned or alert_changed. Repeats and clean runs are not state changes. SECURITY DEFINER.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.audit_alert_change() FROM PUBLIC;
CREATE TRIGGER audit_change AFTER UPDATE ON ethaudit.alerts
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.audit_alert_change();
COMMENT ON TRIGGER audit_change ON ethaudit.alerts IS 'Records every change of an alert''s state in the audit log.';

CREATE FUNCTION ethaudit_internal.alert_attribution()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- acknowledge_alert and resolve_alert write CURRENT_USER; nobody else may
    -- put another role's name there (the alert engine may clear them)
    IF NOT ethaudit.is_extension_owner() THEN
        IF NEW.acknowledged_by IS DISTINCT FROM OLD.acknowledged_by AND NEW.acknowledged_by IS DISTINCT FROM CURRENT_USER THEN
            RAISE EXCEPTION 'acknowledged_by must name the acknowledging role, %', CURRENT_USER
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NEW.resolved_by IS DISTINCT FROM OLD.resolved_by AND NEW.resolved_by IS DISTINCT FROM CURRENT_USER THEN
            RAISE EXCEPTION 'resolved_by must name the resolving role, %', CURRENT_USER
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.alert_attribution() IS
'Trigger function (BEFORE UPDATE on alerts): a role other than the extension''s owner can set acknowledged_by and resolved_by only to itself (42501).';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.alert_attribution() FROM PUBLIC;
CREATE TRIGGER alert_attribution BEFORE UPDATE ON ethaudit.alerts
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.alert_attribution();
COMMENT ON TRIGGER alert_attribution ON ethaudit.alerts IS
'Nobody acknowledges or resolves an alert in another role''s name.';

CREATE TRIGGER audit_delete AFTER DELETE ON ethaudit.alerts
    REFERENCING OLD TABLE AS ethaudit_old FOR EACH STATEMENT EXECUTE FUNCTION ethaudit_internal.audit_history_change();
CREATE TRIGGER audit_truncate AFTER TRUNCATE ON ethaudit.alerts
    FOR EACH STATEMENT EXECUTE FUNCTION ethaudit_internal.audit_history_change();
COMMENT ON TRIGGER audit_delete ON ethaudit.alerts IS 'Records deletions of alerts in the audit log.';
COMMENT ON TRIGGER audit_truncate ON ethaudit.alerts IS 'Records TRUNCATE of alerts in the audit log.';

SELECT pg_catalog.pg_extension_config_dump('ethaudit.alerts', '');
SELECT pg_catalog.pg_extension_config_dump('ethaudit.alerts_alert_id_seq', '');

-- -------- alert events --------

CREATE TABLE ethaudit.alert_events (
    event_id   bigserial PRIMARY KEY,
    alert_id   bigint NOT NULL REFERENCES ethaudit.alerts,
    event      text NOT NULL
               CONSTRAINT alert_events_event_check
               CHECK (event IN ('opened', 'escalated', 'priority_raised', 'acknowledged', 'resolved')),
    at         timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    actor      name,
    severity   text,
    value      double precision,
    result_id  bigint,
    note       text
);
CREATE INDEX alert_events_alert_idx ON ethaudit.alert_events (alert_id);
COMMENT ON INDEX ethaudit.alert_events_alert_idx IS 'Events of an alert.';
COMMENT ON SEQUENCE ethaudit.alert_events_event_id_seq IS 'Identifiers of alert events.';
COMMENT ON TABLE ethaudit.alert_events IS
'The lifecycle of each alert: opened, escalated, priority_raised, acknowledged, resolved. History: kept by pg_dump.';
COMMENT ON COLUMN ethaudit.alert_events.event_id IS 'Identifier (key).';
COMMENT ON COLUMN ethaudit.alert_events.alert_id IS 'The alert (ethaudit.alerts).';
COMMENT ON COLUMN ethaudit.alert_events.event IS 'opened, escalated (severity raised), priority_raised, acknowledged or resolved.';
COMMENT ON COLUMN ethaudit.alert_events.at IS 'When it happened.';
COMMENT ON COLUMN ethaudit.alert_events.actor IS 'Role that acknowledged or resolved; NULL for events of the alert engine.';
COMMENT ON COLUMN ethaudit.alert_events.severity IS 'Severity after the event.';
COMMENT ON COLUMN ethaudit.alert_events.value IS 'Value of the result behind the event.';
COMMENT ON COLUMN ethaudit.alert_events.result_id IS 'Result behind the event (ethaudit.results).';
COMMENT ON COLUMN ethaudit.alert_events.note IS 'Note or explanation.';

ALTER TABLE ethaudit.alert_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY alert_events_read ON ethaudit.alert_events FOR SELECT
    USING (alert_id IN (SELECT a.alert_id FROM ethaudit.alerts a));
COMMENT ON POLICY alert_events_read ON ethaudit.alert_events IS
'The events of the alerts the role can see.';
CREATE POLICY alert_events_extension ON ethaudit.alert_events FOR ALL
    USING ((SELECT ethaudit.is_extension_owner())) WITH CHECK ((SELECT ethaudit.is_extension_owner()));
COMMENT ON POLICY alert_events_extension ON ethaudit.alert_events IS
'The alert engine (running as the extension''s owner) records any event.';
ALTER TABLE ethaudit.alert_events FORCE ROW LEVEL SECURITY;

CREATE TRIGGER audit_delete AFTER DELETE ON ethaudit.alert_events
    REFERENCING OLD TABLE AS ethaudit_old FOR EACH STATEMENT EXECUTE FUNCTION ethaudit_internal.audit_history_change();
CREATE TRIGGER audit_truncate AFTER TRUNCATE ON ethaudit.alert_events
    FOR EACH STATEMENT EXECUTE FUNCTION ethaudit_internal.audit_history_change();
COMMENT ON TRIGGER audit_delete ON ethaudit.alert_events IS 'Records deletions of alert events in the audit log.';
COMMENT ON TRIGGER audit_truncate ON ethaudit.alert_events IS 'Records TRUNCATE of alert events in the audit log.';

SELECT pg_catalog.pg_extension_config_dump('ethaudit.alert_events', '');
SELECT pg_catalog.pg_extension_config_dump('ethaudit.alert_events_event_id_seq', '');

-- -------- notification and history --------

CREATE FUNCTION ethaudit_internal.notify_alert(a ethaudit.alerts, event text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    th ethaudit.thresholds;
    cname text;
BEGIN
    SELECT * INTO th FROM ethaudit.thresholds x WHERE x.check_id = a.check_id;
    SELECT ch.check_name INTO cname FROM ethaudit.checks ch WHERE ch.check_id = a.check_id;
    PERFORM pg_catalog.pg_notify('ethaudit_alerts', json_build_object(
        'event', event, 'alert_id', a.alert_id, 'check_id', a.check_id, 'check_name', cname,
        'model', a.model, 'metric', a.metric, 'family', a.family,
        'status', a.status, 'severity', a.severity, 'priority', a.priority,
        'value', a.last_value, 'warn', th.warn, 'critical', th.critical, 'direction', th.direction,
        'owner_role', a.owner_role, 'opened_at', a.opened_at, 'due_at', a.due_at,
        'occurrences', a.occurrences, 'kind', a.kind, 'model_version', a.model_version,
        'window_end', a.last_window_end)::text);
END
$$;
COMMENT ON FUNCTION ethaudit_internal.notify_alert(ethaudit.alerts, text) IS
'Internal: sends pg_notify(''ethaudit_alerts'', <json>) for an alert event; delivered when the transaction commits.';

CREATE FUNCTION ethaudit_internal.log_alert_event(a ethaudit.alerts, event text, actor name, note text,
                                         result_id bigint DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO ethaudit.alert_events (alert_id, event, actor, severity, value, result_id, note)
    VALUES (a.alert_id, event, actor, a.severity, a.last_value, result_id, note);
    IF event = 'opened' THEN
        -- the audit log (audit_log.sql); the later steps are recorded by a
        -- trigger on alerts, but a restore inserts alerts too
        PERFORM ethaudit_internal.audit_alert_opened(a, result_id);
    END IF;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.log_alert_event(ethaudit.alerts, text, name, text, bigint) IS
'Internal: appends an event to ethaudit.alert_events, and records an opened alert in the audit log.';

CREATE FUNCTION ethaudit_internal.audit_alert_opened(a ethaudit.alerts, result_id bigint)
RETURNS void
LANGUAGE sql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT ethaudit_internal.audit_append('alert_opened', a.model, NULL, pg_catalog.jsonb_build_object(
        'alert_id', a.alert_id, 'check_id', a.check_id, 'metric', a.metric, 'family', a.family,
        'severity', a.severity, 'value', a.first_value, 'result_id', result_id,
        'owner_role', a.owner_role, 'due_at', a.due_at, 'kind', a.kind, 'model_version', a.model_version,
        'window_end', a.first_window_end))
$$;
COMMENT ON FUNCTION ethaudit_internal.audit_alert_opened(ethaudit.alerts, bigint) IS
'Internal: records alert_opened in the audit log (called by the alert engine when it opens an alert; a restore of alerts records nothing). SECURITY DEFINER; not executable by PUBLIC.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.audit_alert_opened(ethaudit.alerts, bigint) FROM PUBLIC;

-- -------- priority of co-occurring alerts --------

CREATE FUNCTION ethaudit_internal.raise_cooccurring_priority(model text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a ethaudit.alerts;
BEGIN
    FOR a IN
        UPDATE ethaudit.alerts f SET
            priority = 'high',
            priority_reason = (
                SELECT format('open together with %s alert %s on check %s', o.family, o.alert_id, ch.check_name)
                FROM ethaudit.alerts o JOIN ethaudit.checks ch ON ch.check_id = o.check_id
                WHERE o.model = f.model AND o.status <> 'resolved' AND o.family IN ('drift', 'performance')
                  AND o.kind = 'threshold'
                ORDER BY o.opened_at, o.alert_id LIMIT 1)
        WHERE f.model = raise_cooccurring_priority.model AND f.family = 'fairness' AND f.kind = 'threshold'
          AND f.status <> 'resolved' AND f.priority = 'normal'
          AND EXISTS (SELECT 1 FROM ethaudit.alerts o
                      WHERE o.model = f.model AND o.status <> 'resolved' AND o.kind = 'threshold'
                        AND o.family IN ('drift', 'performance'))
        RETURNING f.*
    LOOP
        PERFORM ethaudit_internal.log_alert_event(a, 'priority_raised', NULL, a.priority_reason);
        PERFORM ethaudit_internal.notify_alert(a, 'priority_raised');
    END LOOP;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.raise_cooccurring_priority(text) IS
'Internal: raises to high the priority of the open fairness alerts of a model while a drift or performance alert of that model is open (co-occurring gaps point to a common cause). Threshold alerts only: a broken check is no evidence of either.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.raise_cooccurring_priority(text) FROM PUBLIC;

-- -------- applying a result --------

-- A check that fails broken_after times in a row no longer audits: that
-- is an alert of its own (kind check_broken, severity warning), counted on
-- while it keeps failing.
CREATE FUNCTION ethaudit_internal.apply_error(r ethaudit.results, th ethaudit.thresholds, family text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a ethaudit.alerts;
    needed integer := coalesce(th.broken_after, 3);
    failed_before bigint;
BEGIN
    UPDATE ethaudit.alerts x SET
        occurrences = x.occurrences + 1, last_seen_at = r.evaluated_at,
        last_result_id = r.result_id, last_window_end = r.window_end
    WHERE x.check_id = r.check_id AND x.kind = 'check_broken' AND x.status <> 'resolved';
    IF FOUND THEN
        RETURN;
    END IF;
    -- the live results before this one, latest first: all errors?
    SELECT count(*) FILTER (WHERE p.status = 'error') INTO failed_before
    FROM (SELECT x.status FROM ethaudit.results x
          WHERE x.check_id = r.check_id AND NOT x.replayed
          ORDER BY x.result_id DESC LIMIT needed - 1) p;
    IF failed_before < needed - 1 THEN
        RETURN;
    END IF;
    INSERT INTO ethaudit.alerts AS x
        (check_id, model, metric, family, severity, owner_role, opened_at, due_at, last_seen_at,
         occurrences, first_result_id, last_result_id, kind, first_window_end, last_window_end)
    VALUES (r.check_id, r.model, r.metric, coalesce(family, 'drift'), 'warning', th.owner_role,
            r.evaluated_at, r.evaluated_at + coalesce(th.response_time, interval '1 day'), r.evaluated_at,
            needed, r.result_id, r.result_id, 'check_broken', r.window_end, r.window_end)
    ON CONFLICT (check_id, kind, model_version) WHERE status <> 'resolved' DO NOTHING
    RETURNING x.* INTO a;
    IF FOUND THEN
        PERFORM ethaudit_internal.log_alert_event(a, 'opened', NULL,
            format('the check failed %s times in a row; last: %s (SQLSTATE %s)', needed, r.message, r.error_sqlstate),
            r.result_id);
        PERFORM ethaudit_internal.notify_alert(a, 'opened');
    END IF;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.apply_error(ethaudit.results, ethaudit.thresholds, text) IS
'Internal: applies a live result with status error: counts it in the open check_broken alert of its check, or opens one when it is the broken_after-th error in a row (default 3).';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.apply_error(ethaudit.results, ethaudit.thresholds, text) FROM PUBLIC;

CREATE FUNCTION ethaudit_internal.apply_result()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    th ethaudit.thresholds;
    a ethaudit.alerts;
    fam text;
    escalate boolean;
    alert_version text;
BEGIN
    IF NEW.alert_applied AND ethaudit_internal.restoring() THEN
        RETURN NEW;             -- history being restored
    END IF;
    NEW.alert_applied := true;
    -- a new result speaks for its check: model and metric come from it
    SELECT ch.model, ch.metric INTO NEW.model, NEW.metric
    FROM ethaudit.checks ch WHERE ch.check_id = NEW.check_id;
    SELECT * INTO th FROM ethaudit.thresholds x WHERE x.check_id = NEW.check_id;
    SELECT m.family INTO fam FROM ethaudit_internal.metrics m WHERE m.metric = NEW.metric;
    IF NEW.status IN ('warning', 'critical', 'ok') THEN
        -- the engine judges the value itself: a supplied status counts for nothing
        NEW.status := ethaudit.classify(NEW.value, th.warn, th.critical, th.direction);
        NEW.warn := th.warn;
        NEW.critical := th.critical;
        NEW.direction := th.direction;
    END IF;
    IF NEW.replayed THEN
        RETURN NEW;             -- a replay is evidence about the past, not live state
    END IF;

    IF NEW.status = 'error' THEN
        PERFORM ethaudit_internal.apply_error(NEW, th, fam);
        RETURN NEW;
    END IF;
    -- the check ran: a check_broken alert resolves
    UPDATE ethaudit.alerts x SET
        last_result_id = NEW.result_id, last_window_end = NEW.window_end,
        status = 'resolved', resolved_at = NEW.evaluated_at, resolution = 'automatic',
        resolution_note = format('the check ran again (status %s)', NEW.status)
    WHERE x.check_id = NEW.check_id AND x.kind = 'check_broken' AND x.status <> 'resolved'
    RETURNING x.* INTO a;
    IF FOUND THEN
        PERFORM ethaudit_internal.log_alert_event(a, 'resolved', NULL, a.resolution_note, NEW.result_id);
        PERFORM ethaudit_internal.notify_alert(a, 'resolved');
    END IF;
    IF NEW.status NOT IN ('warning', 'critical', 'ok') THEN
        RETURN NEW;             -- insufficient_data leaves threshold alerts alone
    END IF;

    -- results about one version of the rows have alerts of their own
    alert_version := CASE WHEN NEW.version_source IN ('check', 'data') THEN NEW.model_version END;
    IF NEW.status = 'ok' THEN
        UPDATE ethaudit.alerts x SET
            clean_runs = x.clean_runs + 1,
            last_result_id = NEW.result_id,
            last_window_end = NEW.window_end,
            status = CASE WHEN x.clean_runs + 1 >= coalesce(th.resolve_after, 3) THEN 'resolved' ELSE x.status END,
            resolved_at = CASE WHEN x.clean_runs + 1 >= coalesce(th.resolve_after, 3) THEN NEW.evaluated_at END,
            resolution = CASE WHEN x.clean_runs + 1 >= coalesce(th.resolve_after, 3) THEN 'automatic' END,
            resolution_note = CASE WHEN x.clean_runs + 1 >= coalesce(th.resolve_after, 3)
                                   THEN format('resolved after %s consecutive ok results', x.clean_runs + 1) END
        WHERE x.check_id = NEW.check_id AND x.kind = 'threshold' AND x.status <> 'resolved'
          AND x.model_version IS NOT DISTINCT FROM alert_version
        RETURNING x.* INTO a;
        IF FOUND AND a.status = 'resolved' THEN
            PERFORM ethaudit_internal.log_alert_event(a, 'resolved', NULL, a.resolution_note, NEW.result_id);
            PERFORM ethaudit_internal.notify_alert(a, 'resolved');
        END IF;
        RETURN NEW;
    END IF;

    LOOP
        SELECT * INTO a FROM ethaudit.alerts x
        WHERE x.check_id = NEW.check_id AND x.kind = 'threshold' AND x.status <> 'resolved'
          AND x.model_version IS NOT DISTINCT FROM alert_version
        FOR UPDATE;
        IF FOUND THEN
            escalate := a.severity = 'warning' AND NEW.status = 'critical';
            UPDATE ethaudit.alerts x SET
                occurrences = x.occurrences + 1,
                clean_runs = 0,
                last_value = NEW.value,
                last_seen_at = NEW.evaluated_at,
                last_result_id = NEW.result_id,
                last_window_end = NEW.window_end,
                worst_value = CASE WHEN NEW.direction = 'below' THEN least(x.worst_value, NEW.value)
                                   ELSE greatest(x.worst_value, NEW.value) END,
                severity = CASE WHEN escalate THEN 'critical' ELSE x.severity END,
                escalated_at = CASE WHEN escalate THEN NEW.evaluated_at ELSE x.escalated_at END,
                due_at = CASE WHEN escalate
                              THEN least(x.due_at, NEW.evaluated_at
                                         + coalesce(th.critical_response_time, th.response_time, interval '1 day'))
                              ELSE x.due_at END,
                -- an acknowledged alert that gets worse needs attention again
                status = CASE WHEN escalate THEN 'open' ELSE x.status END
            WHERE x.alert_id = a.alert_id
            RETURNING x.* INTO a;
            IF escalate THEN
                PERFORM ethaudit_internal.log_alert_event(a, 'escalated', NULL,
                    format('%s crossed the critical level %s', NEW.value, NEW.critical), NEW.result_id);
                PERFORM ethaudit_internal.notify_alert(a, 'escalated');
            END IF;
            EXIT;
        END IF;

        INSERT INTO ethaudit.alerts AS x
            (check_id, model, metric, family, severity, owner_role, opened_at, due_at, last_seen_at,
             first_value, last_value, worst_value, first_result_id, last_result_id,
             kind, model_version, first_window_end, last_window_end)
        VALUES (NEW.check_id, NEW.model, NEW.metric, coalesce(fam, 'drift'), NEW.status, th.owner_role,
                NEW.evaluated_at,
                NEW.evaluated_at + CASE WHEN NEW.status = 'critical'
                                        THEN coalesce(th.critical_response_time, th.response_time, interval '1 day')
                                        ELSE coalesce(th.response_time, interval '1 day') END,
                NEW.evaluated_at, NEW.value, NEW.value, NEW.value, NEW.result_id, NEW.result_id,
                'threshold', alert_version, NEW.window_end, NEW.window_end)
        ON CONFLICT (check_id, kind, model_version) WHERE status <> 'resolved' DO NOTHING
        RETURNING x.* INTO a;
        IF FOUND THEN
            PERFORM ethaudit_internal.log_alert_event(a, 'opened', NULL,
                format('%s is beyond the %s level %s', NEW.value, NEW.status,
                       CASE WHEN NEW.status = 'critical' THEN NEW.critical ELSE NEW.warn END),
                NEW.result_id);
            PERFORM ethaudit_internal.notify_alert(a, 'opened');
            -- Alerts of one model open one after the other, so that each
            -- sees the others when judging co-occurrence (lock held to commit).
            PERFORM pg_catalog.pg_advisory_xact_lock(1702127714, pg_catalog.hashtext(NEW.model));
            PERFORM ethaudit_internal.raise_cooccurring_priority(NEW.model);
            EXIT;
        END IF;
        -- a concurrent transaction opened the alert first: update that one
    END LOOP;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.apply_result() IS
'Trigger function (BEFORE INSERT on results): judges the value against the check''s thresholds (whatever status the row gives) and applies the result to the alerts of its check: opens, repeats, escalates or counts a clean run and resolves the threshold alert of its version; counts consecutive errors towards a check_broken alert, which any other result resolves. A replayed result changes no alert; only a restore skips the judging. SECURITY DEFINER.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.apply_result() FROM PUBLIC;
CREATE TRIGGER apply_result BEFORE INSERT ON ethaudit.results
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.apply_result();
COMMENT ON TRIGGER apply_result ON ethaudit.results IS
'Keeps ethaudit.alerts up to date with each new result.';

-- -------- acknowledging and resolving --------

CREATE FUNCTION ethaudit_internal.alert_for_update(alert_id bigint, action text)
RETURNS ethaudit.alerts
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a ethaudit.alerts;
    who name := ethaudit.session_role();
    found_it boolean;
    owns boolean;
BEGIN
    IF alert_id IS NULL THEN
        RAISE EXCEPTION 'alert_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT * INTO a FROM ethaudit.alerts x WHERE x.alert_id = alert_for_update.alert_id FOR UPDATE;
    found_it := FOUND;
    -- what row-level security would show the caller (these run as the
    -- extension's owner): to a role that cannot see an alert, it does not exist
    IF found_it THEN
        owns := a.owner_role IS NULL
                OR EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                           WHERE r.rolname = a.owner_role AND pg_catalog.pg_has_role(who, r.oid, 'MEMBER'));
    END IF;
    IF NOT found_it OR NOT (ethaudit.reads_everything(who) OR a.model = ANY (ethaudit.readable_models(who))
                         OR (a.owner_role IS NOT NULL AND owns)) THEN
        RAISE EXCEPTION 'alert % does not exist', alert_id USING ERRCODE = 'undefined_object';
    END IF;
    IF NOT owns THEN
        RAISE EXCEPTION 'permission denied to % alert %', action, alert_id
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = pg_catalog.format('The alert belongs to role %s.', a.owner_role),
                  HINT = 'Only members of the owner role can acknowledge or resolve an alert.';
    END IF;
    IF a.status = 'resolved' THEN
        RAISE EXCEPTION 'alert % is already resolved', alert_id
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN a;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.alert_for_update(bigint, text) IS
'Internal: locks an alert that the session''s role may change; raises 42704 if it does not exist or the role cannot see it, 42501 if the role is not a member of its owner role, 55000 if it is resolved.';

CREATE FUNCTION ethaudit.acknowledge_alert(alert_id bigint, note text DEFAULT NULL)
RETURNS ethaudit.alerts
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a ethaudit.alerts;
BEGIN
    a := ethaudit_internal.alert_for_update(alert_id, 'acknowledge');
    IF a.status = 'acknowledged' THEN
        RAISE EXCEPTION 'alert % is already acknowledged', alert_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('By %s at %s.', a.acknowledged_by, a.acknowledged_at);
    END IF;
    UPDATE ethaudit.alerts x SET status = 'acknowledged', acknowledged_at = clock_timestamp(),
                                 acknowledged_by = ethaudit.session_role(), acknowledge_note = note
    WHERE x.alert_id = a.alert_id
    RETURNING x.* INTO a;
    PERFORM ethaudit_internal.log_alert_event(a, 'acknowledged', ethaudit.session_role(), note);
    RETURN a;
END
$$;
COMMENT ON FUNCTION ethaudit.acknowledge_alert(bigint, text) IS
'Acknowledges an open alert with an optional note and returns it. The session''s role must be a member of the alert''s owner role; an alert that later escalates opens again. SECURITY DEFINER: the only way, with resolve_alert, for a role to change an alert. Not executable by PUBLIC.';
REVOKE EXECUTE ON FUNCTION ethaudit.acknowledge_alert(bigint, text) FROM PUBLIC;

CREATE FUNCTION ethaudit.resolve_alert(alert_id bigint, note text)
RETURNS ethaudit.alerts
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a ethaudit.alerts;
BEGIN
    IF note IS NULL OR btrim(note) = '' THEN
        RAISE EXCEPTION 'resolving an alert needs a note'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Say what was done, e.g. ''retrained on the May data''.';
    END IF;
    a := ethaudit_internal.alert_for_update(alert_id, 'resolve');
    UPDATE ethaudit.alerts x SET status = 'resolved', resolved_at = clock_timestamp(),
                                 resolved_by = ethaudit.session_role(), resolution = 'manual', resolution_note = note
    WHERE x.alert_id = a.alert_id
    RETURNING x.* INTO a;
    PERFORM ethaudit_internal.log_alert_event(a, 'resolved', ethaudit.session_role(), note);
    PERFORM ethaudit_internal.notify_alert(a, 'resolved');
    RETURN a;
END
$$;
COMMENT ON FUNCTION ethaudit.resolve_alert(bigint, text) IS
'Resolves an open or acknowledged alert with a note and returns it. The session''s role must be a member of the alert''s owner role. The next result beyond a threshold opens a new alert. SECURITY DEFINER; not executable by PUBLIC.';
REVOKE EXECUTE ON FUNCTION ethaudit.resolve_alert(bigint, text) FROM PUBLIC;
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
-- ====================================================================
-- Security: events recorded by users
--
--   record_decision()    records a decision with what the model saw (after
--                        the model's privacy policy), its explanation and
--                        the controls applied
--   record_event()       records any other event of a model
--
-- Both append to the audit log (audit_chain.sql) with origin user, in the
-- name of the session's role.
-- ====================================================================

CREATE FUNCTION ethaudit_internal.is_system_event(event_type text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT event_type IN ('stage_changed', 'retention_applied', 'decision', 'key_retired')
        OR event_type ~ '^(model|model_version|check|threshold|baseline|privacy_policy|retention_policy|security_role|key)_(created|changed|deleted)$'
        OR event_type ~ '^(alert|history)_'
$$;
COMMENT ON FUNCTION ethaudit_internal.is_system_event(text) IS
'True for the event types the extension writes itself (<object>_created, _changed, _deleted, stage_changed, key_retired, alert_*, history_*, retention_applied) and decision, which record_event() does not accept.';

-- who may record an event of a model: its owners, the writer, the admin
CREATE FUNCTION ethaudit_internal.check_recorder(model text)
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    who name := ethaudit.session_role();
    owner_role name;
BEGIN
    IF ethaudit.has_role_kind(who, 'writer') OR ethaudit.has_role_kind(who, 'admin')
       OR coalesce((SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = who), false) THEN
        RETURN;
    END IF;
    IF model IS NOT NULL THEN
        SELECT m.owner_role INTO owner_role FROM ethaudit.models m WHERE m.model = check_recorder.model;
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                   WHERE r.rolname = owner_role AND pg_catalog.pg_has_role(who, r.oid, 'MEMBER')) THEN
            RETURN;
        END IF;
    END IF;
    RAISE EXCEPTION 'permission denied to record events of %',
        CASE WHEN model IS NULL THEN 'no model' ELSE pg_catalog.format('model %s', model) END
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Members of the model''s owner role, of the writer role and of the admin role record events (ethaudit.security_roles).';
END
$$;
COMMENT ON FUNCTION ethaudit_internal.check_recorder(text) IS
'Internal: raises 42501 unless the session role may record events of the model: a member of its owner role, of the writer or admin role (any model, or none), or a superuser.';

CREATE FUNCTION ethaudit_internal.check_model_version(model text, version text, OUT stage text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF model IS NULL THEN
        IF version IS NOT NULL THEN
            RAISE EXCEPTION 'version % needs a model', version USING ERRCODE = 'invalid_parameter_value';
        END IF;
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM ethaudit.models m WHERE m.model = check_model_version.model) THEN
        RAISE EXCEPTION 'model "%" is not registered', model USING ERRCODE = 'undefined_object';
    END IF;
    IF version IS NOT NULL THEN
        SELECT v.stage INTO stage FROM ethaudit.model_versions v
        WHERE v.model = check_model_version.model AND v.version = check_model_version.version;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'version % of model % is not registered', version, model
                USING ERRCODE = 'undefined_object';
        END IF;
    END IF;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.check_model_version(text, text) IS
'Internal: raises 42704 unless the model (and the version, if given) is registered; returns the version''s stage.';

CREATE FUNCTION ethaudit_internal.check_event_size(details jsonb)
RETURNS void
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF pg_catalog.octet_length(details::text) > 1048576 THEN
        RAISE EXCEPTION 'event details of % bytes exceed the limit of 1 MB', pg_catalog.octet_length(details::text)
            USING ERRCODE = 'program_limit_exceeded',
                  HINT = 'Record a reference to large evidence (a table and key, a file and its SHA-256) instead of the evidence itself.';
    END IF;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.check_event_size(jsonb) IS
'Internal: raises 54000 if the details of an event exceed 1 MB as text.';

CREATE FUNCTION ethaudit.record_event(event_type text, model text, details jsonb DEFAULT '{}',
                                      version text DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF event_type IS NULL THEN
        RAISE EXCEPTION 'event_type must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF event_type !~ '^[a-z][a-z0-9_]{0,62}$' THEN
        RAISE EXCEPTION 'invalid event type "%"', event_type
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'An event type has up to 63 lowercase letters, digits and underscores and starts with a letter, e.g. model_review.';
    END IF;
    IF ethaudit_internal.is_system_event(event_type) THEN
        RAISE EXCEPTION 'event type "%" is reserved for events the extension writes itself', event_type
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Record decisions with ethaudit.record_decision(); choose another name for other events.';
    END IF;
    details := coalesce(details, '{}'::jsonb);
    IF pg_catalog.jsonb_typeof(details) <> 'object' THEN
        RAISE EXCEPTION 'details must be a JSON object, not %', pg_catalog.jsonb_typeof(details)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM ethaudit_internal.check_model_version(model, version);
    PERFORM ethaudit_internal.check_recorder(model);
    PERFORM ethaudit_internal.check_event_size(details);
    RETURN ethaudit_internal.audit_append(event_type, model, version, details, 'user');
END
$$;
COMMENT ON FUNCTION ethaudit.record_event(text, text, jsonb, text) IS
'Records an event in the audit log (origin user) and returns its event_id: event_type (lowercase letters, digits, underscores; not one of the extension''s own), the model (NULL: an event about no model, for the writer and admin roles only), details (a JSON object, up to 1 MB) and optionally the version. Members of the model''s owner role, the writer and the admin may record. Free text in details is stored as given: mask it with mask_text(). SECURITY DEFINER; not executable by PUBLIC.';
REVOKE EXECUTE ON FUNCTION ethaudit.record_event(text, text, jsonb, text) FROM PUBLIC;

CREATE FUNCTION ethaudit.record_decision(model text, decision text, inputs jsonb DEFAULT NULL,
                                         explanation jsonb DEFAULT NULL, controls text[] DEFAULT NULL,
                                         version text DEFAULT NULL, subject text DEFAULT NULL,
                                         note text DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    stage text;
    p record;
    details jsonb;
    subject_key ethaudit.keys;
BEGIN
    IF model IS NULL OR decision IS NULL THEN
        RAISE EXCEPTION 'model and decision must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF pg_catalog.btrim(decision) = '' OR pg_catalog.length(decision) > 200 THEN
        RAISE EXCEPTION 'a decision has 1 to 200 characters' USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Record the outcome, e.g. approved or declined; put the reasons in explanation and note.';
    END IF;
    IF inputs IS NOT NULL AND pg_catalog.jsonb_typeof(inputs) <> 'object' THEN
        RAISE EXCEPTION 'inputs must be a JSON object of field names and values, not %', pg_catalog.jsonb_typeof(inputs)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.unnest(controls) c WHERE c IS NULL OR pg_catalog.btrim(c) = '') THEN
        RAISE EXCEPTION 'controls must not contain NULL or empty names' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    stage := ethaudit_internal.check_model_version(model, version);
    PERFORM ethaudit_internal.check_recorder(model);

    p := ethaudit_internal.apply_privacy(model, inputs);
    IF subject IS NOT NULL THEN
        subject_key := ethaudit_internal.active_key('pseudonym');    -- identifiers of subjects are always pseudonymised
    END IF;
    details := pg_catalog.jsonb_build_object(
        'decision', decision,
        'subject', CASE WHEN subject IS NOT NULL THEN ethaudit_internal.pseudonym_with(subject_key, subject) END,
        'inputs', p.kept,
        'pseudonymised_fields', pg_catalog.to_jsonb(p.pseudonymised),
        'dropped_fields', pg_catalog.to_jsonb(p.dropped),
        'pseudonym_key', coalesce(p.key_id, subject_key.key_id),
        'explanation', explanation,
        'controls', pg_catalog.to_jsonb(controls),
        'note', ethaudit.mask_text(note),
        'stage', stage);
    PERFORM ethaudit_internal.check_event_size(details);
    RETURN ethaudit_internal.audit_append('decision', model, version, details, 'user');
END
$$;
COMMENT ON FUNCTION ethaudit.record_decision(text, text, jsonb, jsonb, text[], text, text, text) IS
'Records a decision of a model in the audit log (event_type decision, origin user) and returns its event_id: the decision, the inputs the model saw after the model''s privacy policy (fields kept, pseudonymised or dropped; the names of the pseudonymised and dropped fields are recorded), the explanation (any JSON, e.g. feature attributions), the controls applied (e.g. {human_review}), the version and its stage, the subject''s identifier (always pseudonymised) and a note (masked with mask_text). Members of the model''s owner role, the writer and the admin may record. SECURITY DEFINER; not executable by PUBLIC.';
REVOKE EXECUTE ON FUNCTION ethaudit.record_decision(text, text, jsonb, jsonb, text[], text, text, text) FROM PUBLIC;
-- ====================================================================
-- Security: retention
--
--   purge_history()      deletes governance history older than an age
--                        (for superusers)
--   retention_policies   how long each table keeps rows, by which column
--   apply_retention()    deletes expired rows (for pg_cron) and records it;
--                        the audit log keeps a verifiable chain behind a
--                        signed checkpoint (audit_chain.sql, keys.sql)
-- ====================================================================

-- -------- the history of the checks --------

CREATE FUNCTION ethaudit.purge_history(older_than interval,
    OUT results bigint, OUT runs bigint, OUT alerts bigint, OUT alert_events bigint)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cutoff timestamptz;
BEGIN
    IF older_than IS NULL OR older_than < interval '0' THEN
        RAISE EXCEPTION 'older_than must be an interval of zero or more, not %', coalesce(older_than::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    cutoff := now() - older_than;
    -- resolved alerts, with their events
    WITH gone AS (
        DELETE FROM ethaudit.alert_events e
        USING ethaudit.alerts a
        WHERE e.alert_id = a.alert_id AND a.status = 'resolved' AND a.resolved_at < cutoff
        RETURNING 1)
    SELECT count(*) INTO alert_events FROM gone;
    WITH gone AS (
        DELETE FROM ethaudit.alerts a WHERE a.status = 'resolved' AND a.resolved_at < cutoff RETURNING 1)
    SELECT count(*) INTO alerts FROM gone;
    -- results, except the first and latest of every alert still kept
    WITH gone AS (
        DELETE FROM ethaudit.results r
        WHERE r.evaluated_at < cutoff
          AND NOT EXISTS (SELECT 1 FROM ethaudit.alerts a
                          WHERE r.result_id IN (a.first_result_id, a.last_result_id))
        RETURNING 1)
    SELECT count(*) INTO results FROM gone;
    WITH gone AS (
        DELETE FROM ethaudit.runs x
        WHERE x.started_at < cutoff
          AND NOT EXISTS (SELECT 1 FROM ethaudit.results r WHERE r.run_id = x.run_id)
        RETURNING 1)
    SELECT count(*) INTO runs FROM gone;
END
$$;
COMMENT ON FUNCTION ethaudit.purge_history(interval) IS
'Deletes history older than the given age: results (but the first and latest result of every alert kept), runs left without results, and resolved alerts with their events. Open alerts are never deleted. Returns how many rows of each table went.';
REVOKE EXECUTE ON FUNCTION ethaudit.purge_history(interval) FROM PUBLIC;

-- -------- retention policies --------

CREATE TABLE ethaudit.retention_policies (
    table_name  text PRIMARY KEY,
    time_column name NOT NULL,
    keep        interval NOT NULL,
    enabled     boolean NOT NULL DEFAULT true,
    note        text,
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at  timestamptz
);
COMMENT ON TABLE ethaudit.retention_policies IS
'How long rows are kept: apply_retention() deletes the rows of table_name whose time_column is older than keep. For ethaudit.audit_log, results, runs, alerts and alert_events, and for any table of the database (e.g. a prediction log holding personal data). Configuration: kept by pg_dump; every change is in the audit log.';
COMMENT ON COLUMN ethaudit.retention_policies.table_name IS 'The table, schema-qualified (stored quoted as needed, e.g. public.predictions).';
COMMENT ON COLUMN ethaudit.retention_policies.time_column IS 'A date, timestamp or timestamptz column: rows older than keep by it are deleted (timestamp and date read as UTC). ethaudit.audit_log: logged_at.';
COMMENT ON COLUMN ethaudit.retention_policies.keep IS 'How long rows are kept (positive).';
COMMENT ON COLUMN ethaudit.retention_policies.enabled IS 'Disabled policies are not applied.';
COMMENT ON COLUMN ethaudit.retention_policies.note IS 'Free text: the purpose or rule behind the period.';
COMMENT ON COLUMN ethaudit.retention_policies.created_at IS 'When the row was created.';
COMMENT ON COLUMN ethaudit.retention_policies.updated_at IS 'When the row was last changed.';

-- the base type (date, timestamp, timestamptz) of a time column
CREATE FUNCTION ethaudit_internal.time_base_type(typ regtype)
RETURNS regtype
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH RECURSIVE chain AS (
        SELECT t.oid, t.typtype, t.typbasetype FROM pg_catalog.pg_type t WHERE t.oid = typ
        UNION ALL
        SELECT t.oid, t.typtype, t.typbasetype
        FROM pg_catalog.pg_type t JOIN chain ON t.oid = chain.typbasetype
        WHERE chain.typtype = 'd'
    )
    SELECT c.oid::regtype FROM chain c
    WHERE c.typtype <> 'd' AND c.oid IN ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype)
$$;
COMMENT ON FUNCTION ethaudit_internal.time_base_type(regtype) IS
'Internal: date, timestamp or timestamptz: the base type of a time column (through domains), or NULL for other types.';

CREATE FUNCTION ethaudit_internal.retention_target(table_name text, time_column name, OUT rel regclass, OUT cmp text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    parts text[];
    nsp name;
    kind "char";
    persistence "char";
    typ regtype;
BEGIN
    IF table_name IS NULL OR time_column IS NULL THEN
        RAISE EXCEPTION 'table_name and time_column of a retention policy must not be NULL' USING ERRCODE = 'not_null_violation';
    END IF;
    parts := pg_catalog.parse_ident(table_name);
    IF pg_catalog.cardinality(parts) <> 2 THEN
        RAISE EXCEPTION 'table_name "%" must name a table with its schema', table_name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'For example public.predictions or ethaudit.audit_log.';
    END IF;
    rel := pg_catalog.to_regclass(pg_catalog.format('%I.%I', parts[1], parts[2]));
    IF rel IS NULL THEN
        RAISE EXCEPTION 'relation "%" does not exist', table_name USING ERRCODE = 'undefined_table';
    END IF;
    SELECT c.relkind, c.relpersistence, n.nspname INTO kind, persistence, nsp
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = rel;
    IF kind NOT IN ('r', 'p') OR persistence = 't' THEN
        RAISE EXCEPTION 'relation % is not a permanent table', rel USING ERRCODE = 'wrong_object_type';
    END IF;
    IF nsp IN ('pg_catalog', 'information_schema', 'pg_toast') OR nsp LIKE 'pg\_%' THEN
        RAISE EXCEPTION 'retention does not apply to system catalogs' USING ERRCODE = 'wrong_object_type';
    END IF;
    IF nsp = 'ethaudit' AND parts[2] NOT IN ('audit_log', 'results', 'runs', 'alerts', 'alert_events') THEN
        RAISE EXCEPTION 'retention applies to ethaudit.audit_log, results, runs, alerts and alert_events, not to %', rel
            USING ERRCODE = 'wrong_object_type',
                  DETAIL = 'The other tables of ethaudit hold configuration, not history.';
    END IF;
    IF rel = 'ethaudit.audit_log'::regclass AND time_column <> 'logged_at' THEN
        RAISE EXCEPTION 'the retention of ethaudit.audit_log is by logged_at, not by %', time_column
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    typ := ethaudit_internal.time_base_type(ethaudit_internal.column_type(rel, time_column));
    IF typ IS NULL THEN
        RAISE EXCEPTION 'column "%" of relation % has type %, but a retention time_column must be date, timestamp or timestamptz',
            time_column, rel, ethaudit_internal.column_type(rel, time_column)
            USING ERRCODE = 'datatype_mismatch';
    END IF;
    -- the cutoff ($1, timestamptz) in the column's own type, so an index on it serves
    cmp := pg_catalog.format('%I < %s', time_column,
        CASE typ WHEN 'timestamptz'::regtype THEN '$1'
                 WHEN 'timestamp'::regtype THEN '($1 AT TIME ZONE ''UTC'')'
                 ELSE '($1 AT TIME ZONE ''UTC'')::date' END);
END
$$;
COMMENT ON FUNCTION ethaudit_internal.retention_target(text, name) IS
'Internal: validates the table and time column of a retention policy (42P01, 42809, 42703, 42804, 22023) and returns the table and the condition that selects expired rows, with the cutoff as $1.';

CREATE FUNCTION ethaudit_internal.validate_retention_policy()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t record;
BEGIN
    t := ethaudit_internal.retention_target(NEW.table_name, NEW.time_column);
    NEW.table_name := ethaudit_internal.qualified_name(t.rel);
    -- retention deletes as the table's owner: only a role that may delete
    -- from it itself may set a policy on another table
    IF t.rel::oid NOT IN (SELECT c.oid FROM pg_catalog.pg_class c WHERE c.relnamespace = 'ethaudit'::pg_catalog.regnamespace)
       AND NOT pg_catalog.has_table_privilege(ethaudit.session_role(), t.rel, 'DELETE') THEN
        RAISE EXCEPTION 'role % may not delete from %, so it cannot set its retention', ethaudit.session_role(), t.rel
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.keep IS NULL OR NEW.keep <= interval '0' THEN
        RAISE EXCEPTION 'keep of the retention policy of % must be a positive interval, not %', NEW.table_name,
            coalesce(NEW.keep::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        NEW.updated_at := pg_catalog.now();
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.validate_retention_policy() IS
'Trigger function: validates a retention policy (retention_target, positive keep), stores the table name schema-qualified and stamps updated_at.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.validate_retention_policy() FROM PUBLIC;
CREATE TRIGGER validate_retention_policy BEFORE INSERT OR UPDATE ON ethaudit.retention_policies
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.validate_retention_policy();
COMMENT ON TRIGGER validate_retention_policy ON ethaudit.retention_policies IS
'Validates a retention policy before it is written.';

CREATE TRIGGER audit_change AFTER INSERT OR UPDATE OR DELETE ON ethaudit.retention_policies
    FOR EACH ROW EXECUTE FUNCTION ethaudit_internal.audit_config_change('retention_policy');
COMMENT ON TRIGGER audit_change ON ethaudit.retention_policies IS
'Records every change of a retention policy in the audit log.';

SELECT pg_catalog.pg_extension_config_dump('ethaudit.retention_policies', '');

-- -------- applying the policies --------

-- Deletes the expired history of ethaudit's own tables, writes the
-- checkpoint of the audit log and records the run.  SECURITY DEFINER:
-- evidence is deleted only here.
CREATE FUNCTION ethaudit_internal.retention_purge(dry_run boolean, reported jsonb)
RETURNS TABLE (table_name text, time_column name, keep interval, cutoff timestamptz, deleted bigint)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p ethaudit.retention_policies;
    summary jsonb := '[]'::jsonb;
    cp jsonb;
    problem text;
    v record;
    lo bigint;
    hi bigint;
    k bigint;
    last_hash bytea;
    prev ethaudit.audit_checkpoints;
    c ethaudit.audit_checkpoints;
    key ethaudit.keys;
BEGIN
    IF dry_run IS NULL THEN
        RAISE EXCEPTION 'dry_run must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    FOR p IN
        SELECT x.* FROM ethaudit.retention_policies x
        WHERE x.enabled AND x.table_name IN ('ethaudit.alert_events', 'ethaudit.alerts', 'ethaudit.results',
                                             'ethaudit.runs', 'ethaudit.audit_log')
        -- events before their alerts, results before their runs, the log last
        ORDER BY pg_catalog.array_position(ARRAY['ethaudit.alert_events', 'ethaudit.alerts', 'ethaudit.results',
                                                 'ethaudit.runs', 'ethaudit.audit_log'], x.table_name)
    LOOP
        table_name := p.table_name;
        time_column := p.time_column;
        keep := p.keep;
        cutoff := pg_catalog.now() - p.keep;
        deleted := NULL;
        problem := NULL;
        PERFORM ethaudit_internal.retention_target(p.table_name, p.time_column);
        IF p.table_name = 'ethaudit.alert_events' THEN
            -- only the events of resolved alerts: open alerts keep their story
            EXECUTE pg_catalog.format(
                '%s FROM ethaudit.alert_events e USING ethaudit.alerts a WHERE e.alert_id = a.alert_id '
                'AND a.status = ''resolved'' AND e.%I < $1%s',
                CASE WHEN dry_run THEN 'SELECT count(*)' ELSE 'WITH gone AS (DELETE' END, p.time_column,
                CASE WHEN dry_run THEN '' ELSE ' RETURNING 1) SELECT count(*) FROM gone' END)
            INTO deleted USING cutoff;
        ELSIF p.table_name = 'ethaudit.alerts' THEN
            -- resolved alerts only, with their events
            IF NOT dry_run THEN
                EXECUTE pg_catalog.format('DELETE FROM ethaudit.alert_events e USING ethaudit.alerts a '
                                          'WHERE e.alert_id = a.alert_id AND a.status = ''resolved'' AND a.%I < $1',
                                          p.time_column) USING cutoff;
            END IF;
            EXECUTE pg_catalog.format(
                '%s ethaudit.alerts a WHERE a.status = ''resolved'' AND a.%I < $1%s',
                CASE WHEN dry_run THEN 'SELECT count(*) FROM' ELSE 'WITH gone AS (DELETE FROM' END, p.time_column,
                CASE WHEN dry_run THEN '' ELSE ' RETURNING 1) SELECT count(*) FROM gone' END)
            INTO deleted USING cutoff;
        ELSIF p.table_name = 'ethaudit.results' THEN
            -- but the first and latest result of every alert kept
            EXECUTE pg_catalog.format(
                '%s ethaudit.results r WHERE r.%I < $1 AND NOT EXISTS (SELECT 1 FROM ethaudit.alerts a '
                'WHERE r.result_id IN (a.first_result_id, a.last_result_id))%s',
                CASE WHEN dry_run THEN 'SELECT count(*) FROM' ELSE 'WITH gone AS (DELETE FROM' END, p.time_column,
                CASE WHEN dry_run THEN '' ELSE ' RETURNING 1) SELECT count(*) FROM gone' END)
            INTO deleted USING cutoff;
        ELSIF p.table_name = 'ethaudit.runs' THEN
            -- runs left without results
            EXECUTE pg_catalog.format(
                '%s ethaudit.runs x WHERE x.%I < $1 AND NOT EXISTS (SELECT 1 FROM ethaudit.results r '
                'WHERE r.run_id = x.run_id)%s',
                CASE WHEN dry_run THEN 'SELECT count(*) FROM' ELSE 'WITH gone AS (DELETE FROM' END, p.time_column,
                CASE WHEN dry_run THEN '' ELSE ' RETURNING 1) SELECT count(*) FROM gone' END)
            INTO deleted USING cutoff;
        ELSE
            -- the audit log: the oldest events, a prefix of the chain up to the
            -- first one still to keep, under the chain lock
            PERFORM pg_catalog.pg_advisory_xact_lock(1702127715, 0);
            SELECT min(a.seq), max(a.seq) INTO lo, hi FROM ethaudit.audit_log a;
            SELECT min(a.seq) - 1 INTO k FROM ethaudit.audit_log a WHERE a.logged_at >= cutoff;
            k := coalesce(k, hi);
            IF lo IS NULL OR k < lo THEN
                deleted := 0;
            ELSIF dry_run THEN
                deleted := k - lo + 1;
            ELSE
                -- never hide a broken chain behind a checkpoint
                v := ethaudit.verify_audit_log();
                IF NOT v.valid THEN
                    problem := v.problem;
                    RAISE WARNING 'ethaudit: the audit log was not shortened, because it does not verify: %', v.problem;
                ELSE
                    SELECT a.row_hash INTO last_hash FROM ethaudit.audit_log a WHERE a.seq = k;
                    PERFORM pg_catalog.set_config('ethaudit_audit.internal_write', 'retention', true);
                    DELETE FROM ethaudit.audit_log a WHERE a.seq <= k;
                    GET DIAGNOSTICS deleted = ROW_COUNT;
                    PERFORM pg_catalog.set_config('ethaudit_audit.internal_write', '', true);
                    key := ethaudit_internal.active_key('checkpoint');
                    SELECT * INTO prev FROM ethaudit.audit_checkpoints x ORDER BY x.checkpoint_id DESC LIMIT 1;
                    c.checkpoint_id := coalesce(prev.checkpoint_id, 0) + 1;
                    c.created_at := pg_catalog.clock_timestamp();
                    c.created_by := ethaudit.session_role();
                    c.first_seq := lo;
                    c.last_seq := k;
                    c.last_hash := last_hash;
                    c.cutoff := cutoff;
                    c.key_id := key.key_id;
                    c.prev_signature := prev.signature;
                    c.signature := ethaudit.hmac_sha256(key.secret, ethaudit.checkpoint_encoding(c));
                    INSERT INTO ethaudit.audit_checkpoints SELECT c.*;
                    cp := pg_catalog.jsonb_build_object('checkpoint_id', c.checkpoint_id, 'first_seq', c.first_seq,
                              'last_seq', c.last_seq, 'last_hash', pg_catalog.encode(c.last_hash, 'hex'),
                              'key_id', c.key_id, 'signature', pg_catalog.encode(c.signature, 'hex'));
                END IF;
            END IF;
        END IF;
        summary := summary || pg_catalog.jsonb_build_array(pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
            'table', table_name, 'time_column', time_column, 'keep', keep, 'cutoff', cutoff,
            'deleted', deleted, 'problem', problem)));
        RETURN NEXT;
    END LOOP;
    IF NOT dry_run THEN
        summary := pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('tables', summary, 'checkpoint', cp,
                       'reported_by_caller', CASE WHEN reported <> '[]'::jsonb THEN reported END));
        PERFORM ethaudit_internal.check_event_size(summary);
        PERFORM ethaudit_internal.audit_append('retention_applied', NULL, NULL, summary);
    END IF;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.retention_purge(boolean, jsonb) IS
'Internal part of apply_retention(): applies the enabled policies of ethaudit''s own tables (events of resolved alerts; resolved alerts with their events; results but the first and latest of every alert kept; runs without results; the oldest events of the audit log, behind a new signed checkpoint, and only if the log verifies), then records retention_applied with what it did and the caller''s report on other tables (reported). SECURITY DEFINER; not executable by PUBLIC.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.retention_purge(boolean, jsonb) FROM PUBLIC;

CREATE FUNCTION ethaudit.apply_retention(dry_run boolean DEFAULT false)
RETURNS TABLE (table_name text, time_column name, keep interval, cutoff timestamptz, deleted bigint)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p ethaudit.retention_policies;
    t record;
    reported jsonb := '[]'::jsonb;
    msg text;
BEGIN
    IF dry_run IS NULL THEN
        RAISE EXCEPTION 'dry_run must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    -- other tables first, as each table's owner (ethaudit_internal.run_as_owner): its
    -- triggers, rules and policies run with the owner's rights, never the
    -- caller's
    FOR p IN
        SELECT x.* FROM ethaudit.retention_policies x
        WHERE x.enabled AND x.table_name NOT IN ('ethaudit.alert_events', 'ethaudit.alerts', 'ethaudit.results',
                                                 'ethaudit.runs', 'ethaudit.audit_log')
        ORDER BY x.table_name
    LOOP
        table_name := p.table_name;
        time_column := p.time_column;
        keep := p.keep;
        cutoff := pg_catalog.now() - p.keep;
        deleted := NULL;
        msg := NULL;
        BEGIN
            t := ethaudit_internal.retention_target(p.table_name, p.time_column);
            SELECT x.n INTO deleted FROM ethaudit_internal.run_as_owner(t.rel,
                CASE WHEN dry_run THEN pg_catalog.format('SELECT count(*) FROM %s WHERE %s', t.rel, t.cmp)
                     ELSE pg_catalog.format('WITH d AS (DELETE FROM %s WHERE %s RETURNING 1) SELECT count(*) FROM d',
                                            t.rel, t.cmp) END,
                ARRAY[cutoff]) AS x(n bigint);
        EXCEPTION WHEN OTHERS THEN
            -- one table that cannot be purged does not stop the others
            GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
            RAISE WARNING 'ethaudit: retention of % failed: %', p.table_name, msg;
        END;
        reported := reported || pg_catalog.jsonb_build_array(pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
            'table', table_name, 'time_column', time_column, 'keep', keep, 'cutoff', cutoff,
            'deleted', deleted, 'error', msg)));
        RETURN NEXT;
    END LOOP;
    RETURN QUERY SELECT * FROM ethaudit_internal.retention_purge(dry_run, reported);
END
$$;
COMMENT ON FUNCTION ethaudit.apply_retention(boolean) IS
'Applies every enabled retention policy, for pg_cron: deletes the rows older than keep (by time_column) and returns, per table, the cutoff and the rows deleted (NULL if the table could not be purged; a WARNING says why). Other tables are purged as their owners (run_as_owner), so their triggers never run with the caller''s privileges; ethaudit''s own history through retention_purge(), which shortens the audit log behind a signed checkpoint and records the run as retention_applied. With dry_run, only counts and records nothing. Not executable by PUBLIC.';
REVOKE EXECUTE ON FUNCTION ethaudit.apply_retention(boolean) FROM PUBLIC;
-- ====================================================================
-- Governance: views for dashboards
--
-- Stable column sets, documented in doc/dashboards.md; new columns are
-- only ever added at the end.  On PostgreSQL 15 and later the views are
-- security_invoker (set at the end of this file): a reader needs SELECT on
-- the views and on the tables below them, and row-level security applies
-- as on the tables.  On 13 and 14 they run with their owner's rights.
-- ====================================================================

CREATE VIEW ethaudit.open_alerts AS
SELECT a.alert_id, a.owner_role, a.due_at, a.due_at < pg_catalog.now() AS overdue,
       a.severity, a.priority, a.status, a.model, a.check_id, ch.check_name, a.metric, a.family,
       a.opened_at, a.last_seen_at, a.occurrences, a.clean_runs,
       a.first_value, a.last_value, a.worst_value, th.warn, th.critical, th.direction,
       a.priority_reason, a.acknowledged_at, a.acknowledged_by, a.acknowledge_note,
       a.kind, a.model_version, a.first_window_end, a.last_window_end
FROM ethaudit.alerts a
JOIN ethaudit.checks ch ON ch.check_id = a.check_id
LEFT JOIN ethaudit.thresholds th ON th.check_id = a.check_id
WHERE a.status <> 'resolved';
COMMENT ON VIEW ethaudit.open_alerts IS
'Alerts not yet resolved, with their owner, due time, severity, priority and the thresholds of their check. Typical order: owner_role, due_at.';
COMMENT ON COLUMN ethaudit.open_alerts.alert_id IS 'The alert (ethaudit.alerts).';
COMMENT ON COLUMN ethaudit.open_alerts.owner_role IS 'Role that answers it.';
COMMENT ON COLUMN ethaudit.open_alerts.due_at IS 'When a response is due.';
COMMENT ON COLUMN ethaudit.open_alerts.overdue IS 'True if due_at has passed.';
COMMENT ON COLUMN ethaudit.open_alerts.severity IS 'warning or critical.';
COMMENT ON COLUMN ethaudit.open_alerts.priority IS 'normal or high.';
COMMENT ON COLUMN ethaudit.open_alerts.status IS 'open or acknowledged.';
COMMENT ON COLUMN ethaudit.open_alerts.model IS 'The model.';
COMMENT ON COLUMN ethaudit.open_alerts.check_id IS 'The check.';
COMMENT ON COLUMN ethaudit.open_alerts.check_name IS 'Name of the check.';
COMMENT ON COLUMN ethaudit.open_alerts.metric IS 'The metric.';
COMMENT ON COLUMN ethaudit.open_alerts.family IS 'drift, quality, performance or fairness.';
COMMENT ON COLUMN ethaudit.open_alerts.opened_at IS 'When it opened.';
COMMENT ON COLUMN ethaudit.open_alerts.last_seen_at IS 'When a threshold was last crossed.';
COMMENT ON COLUMN ethaudit.open_alerts.occurrences IS 'Results beyond a threshold since it opened.';
COMMENT ON COLUMN ethaudit.open_alerts.clean_runs IS 'Consecutive ok results since then.';
COMMENT ON COLUMN ethaudit.open_alerts.first_value IS 'Value that opened it.';
COMMENT ON COLUMN ethaudit.open_alerts.last_value IS 'Latest value beyond a threshold.';
COMMENT ON COLUMN ethaudit.open_alerts.worst_value IS 'Most severe value seen.';
COMMENT ON COLUMN ethaudit.open_alerts.warn IS 'Current warning level of the check.';
COMMENT ON COLUMN ethaudit.open_alerts.critical IS 'Current critical level of the check.';
COMMENT ON COLUMN ethaudit.open_alerts.direction IS 'above or below.';
COMMENT ON COLUMN ethaudit.open_alerts.priority_reason IS 'Why the priority is high.';
COMMENT ON COLUMN ethaudit.open_alerts.acknowledged_at IS 'When it was acknowledged.';
COMMENT ON COLUMN ethaudit.open_alerts.acknowledged_by IS 'Who acknowledged it.';
COMMENT ON COLUMN ethaudit.open_alerts.acknowledge_note IS 'Note given when acknowledging.';
COMMENT ON COLUMN ethaudit.open_alerts.kind IS 'threshold (a value beyond a level) or check_broken (the check keeps failing).';
COMMENT ON COLUMN ethaudit.open_alerts.model_version IS 'The version it is about, for checks that tell versions apart.';
COMMENT ON COLUMN ethaudit.open_alerts.first_window_end IS 'End of the window of the result that opened it.';
COMMENT ON COLUMN ethaudit.open_alerts.last_window_end IS 'End of the window of the latest result applied to it.';

CREATE VIEW ethaudit.latest_results AS
SELECT ch.check_id, ch.check_name, ch.model, ch.metric, mc.family, ch.mode, ch.source, ch.enabled,
       r.status, r.value, r.evaluated_at, r.window_start, r.window_end, r.n_current, r.n_reference,
       r.model_version, r.warn, r.critical, r.direction, r.message, th.owner_role, r.run_id, r.result_id,
       r.version_source, r.mixed_versions, r.labelled_share
FROM ethaudit.checks ch
LEFT JOIN ethaudit.metric_catalog mc ON mc.metric = ch.metric
LEFT JOIN ethaudit.thresholds th ON th.check_id = ch.check_id
LEFT JOIN LATERAL (SELECT x.* FROM ethaudit.results x
                   WHERE x.check_id = ch.check_id AND NOT x.replayed
                     AND x.run_id = (SELECT y.run_id FROM ethaudit.results y
                                     WHERE y.check_id = ch.check_id AND NOT y.replayed
                                     ORDER BY y.result_id DESC LIMIT 1)) r ON true;
COMMENT ON VIEW ethaudit.latest_results IS
'The latest live result of every check (status NULL if it never ran): one row per check, or per version of its rows for a check with a version column (the results of its latest live run). Replays are in result_history.';
COMMENT ON COLUMN ethaudit.latest_results.check_id IS 'The check.';
COMMENT ON COLUMN ethaudit.latest_results.check_name IS 'Name of the check.';
COMMENT ON COLUMN ethaudit.latest_results.model IS 'The model.';
COMMENT ON COLUMN ethaudit.latest_results.metric IS 'The metric.';
COMMENT ON COLUMN ethaudit.latest_results.family IS 'drift, quality, performance or fairness.';
COMMENT ON COLUMN ethaudit.latest_results.mode IS 'scheduled, insert_batch or insert_window.';
COMMENT ON COLUMN ethaudit.latest_results.source IS 'The prediction log.';
COMMENT ON COLUMN ethaudit.latest_results.enabled IS 'Whether the check runs.';
COMMENT ON COLUMN ethaudit.latest_results.status IS 'ok, warning, critical, insufficient_data, error; NULL if never run.';
COMMENT ON COLUMN ethaudit.latest_results.value IS 'Latest value.';
COMMENT ON COLUMN ethaudit.latest_results.evaluated_at IS 'When it was evaluated.';
COMMENT ON COLUMN ethaudit.latest_results.window_start IS 'Start of the evaluated window.';
COMMENT ON COLUMN ethaudit.latest_results.window_end IS 'End of the evaluated window.';
COMMENT ON COLUMN ethaudit.latest_results.n_current IS 'Usable rows in the window.';
COMMENT ON COLUMN ethaudit.latest_results.n_reference IS 'Usable rows in the reference.';
COMMENT ON COLUMN ethaudit.latest_results.model_version IS 'Version the result is about (see version_source).';
COMMENT ON COLUMN ethaudit.latest_results.warn IS 'Warning level it was judged by.';
COMMENT ON COLUMN ethaudit.latest_results.critical IS 'Critical level it was judged by.';
COMMENT ON COLUMN ethaudit.latest_results.direction IS 'above or below.';
COMMENT ON COLUMN ethaudit.latest_results.message IS 'Why the status is error or insufficient_data.';
COMMENT ON COLUMN ethaudit.latest_results.owner_role IS 'Owner of the check''s thresholds.';
COMMENT ON COLUMN ethaudit.latest_results.run_id IS 'The run.';
COMMENT ON COLUMN ethaudit.latest_results.result_id IS 'The result.';
COMMENT ON COLUMN ethaudit.latest_results.version_source IS 'Where model_version comes from: check, data or stage_history.';
COMMENT ON COLUMN ethaudit.latest_results.mixed_versions IS 'True when several versions served during the window of a check without a version column.';
COMMENT ON COLUMN ethaudit.latest_results.labelled_share IS 'For metrics that read labels: the share of the window''s rows that have one.';

CREATE VIEW ethaudit.result_history AS
SELECT r.result_id, r.evaluated_at, r.window_start, r.window_end, r.model, r.model_version,
       r.check_id, ch.check_name, r.metric, mc.family, r.value, r.status, r.warn, r.critical, r.direction,
       r.n_current, r.n_reference, r.run_id, r.message, r.version_source, r.mixed_versions, r.replayed,
       r.labelled_share
FROM ethaudit.results r
JOIN ethaudit.checks ch ON ch.check_id = r.check_id
LEFT JOIN ethaudit.metric_catalog mc ON mc.metric = r.metric;
COMMENT ON VIEW ethaudit.result_history IS
'Every result with its check and thresholds, for time-series panels: plot value (and warn, critical) against window_end or evaluated_at.';
COMMENT ON COLUMN ethaudit.result_history.result_id IS 'The result.';
COMMENT ON COLUMN ethaudit.result_history.evaluated_at IS 'When it was evaluated.';
COMMENT ON COLUMN ethaudit.result_history.window_start IS 'Start of the evaluated window.';
COMMENT ON COLUMN ethaudit.result_history.window_end IS 'End of the evaluated window: the time axis of backfills.';
COMMENT ON COLUMN ethaudit.result_history.model IS 'The model.';
COMMENT ON COLUMN ethaudit.result_history.model_version IS 'Version the result is about (see version_source).';
COMMENT ON COLUMN ethaudit.result_history.check_id IS 'The check.';
COMMENT ON COLUMN ethaudit.result_history.check_name IS 'Name of the check: the series name.';
COMMENT ON COLUMN ethaudit.result_history.metric IS 'The metric.';
COMMENT ON COLUMN ethaudit.result_history.family IS 'drift, quality, performance or fairness.';
COMMENT ON COLUMN ethaudit.result_history.value IS 'Value of the metric.';
COMMENT ON COLUMN ethaudit.result_history.status IS 'ok, warning, critical, insufficient_data or error.';
COMMENT ON COLUMN ethaudit.result_history.warn IS 'Warning level it was judged by.';
COMMENT ON COLUMN ethaudit.result_history.critical IS 'Critical level it was judged by.';
COMMENT ON COLUMN ethaudit.result_history.direction IS 'above or below.';
COMMENT ON COLUMN ethaudit.result_history.n_current IS 'Usable rows in the window.';
COMMENT ON COLUMN ethaudit.result_history.n_reference IS 'Usable rows in the reference.';
COMMENT ON COLUMN ethaudit.result_history.run_id IS 'The run.';
COMMENT ON COLUMN ethaudit.result_history.message IS 'Why the status is error or insufficient_data; which versions may be mixed.';
COMMENT ON COLUMN ethaudit.result_history.version_source IS 'Where model_version comes from: check, data or stage_history.';
COMMENT ON COLUMN ethaudit.result_history.mixed_versions IS 'True when several versions served during the window of a check without a version column.';
COMMENT ON COLUMN ethaudit.result_history.replayed IS 'True for a result of a replay (it changed no alert).';
COMMENT ON COLUMN ethaudit.result_history.labelled_share IS 'For metrics that read labels: the share of the window''s rows that have one.';

CREATE VIEW ethaudit.model_cards AS
SELECT mo.model, mo.description, mo.owner_role,
       v.versions, v.live_versions,
       o.owners,
       coalesce(c.checks, '[]'::jsonb) AS checks,
       coalesce(c.checks_total, 0) AS checks_total,
       coalesce(c.checks_ok, 0) AS checks_ok,
       coalesce(c.checks_warning, 0) AS checks_warning,
       coalesce(c.checks_critical, 0) AS checks_critical,
       coalesce(c.checks_insufficient_data, 0) AS checks_insufficient_data,
       coalesce(c.checks_error, 0) AS checks_error,
       coalesce(c.checks_never_run, 0) AS checks_never_run,
       coalesce(al.open_alerts, 0) AS open_alerts,
       coalesce(al.alerts, '[]'::jsonb) AS alerts,
       CASE WHEN c.checks_critical > 0 THEN 'critical'
            WHEN c.checks_warning > 0 THEN 'warning'
            WHEN c.checks_error > 0 THEN 'error'
            WHEN c.checks_insufficient_data > 0 THEN 'insufficient_data'
            WHEN c.checks_ok > 0 THEN 'ok' END AS worst_status,
       c.last_evaluated_at,
       coalesce(h.stage_history, '[]'::jsonb) AS stage_history,
       coalesce(c.checks_mixing_versions, 0) AS checks_mixing_versions,
       coalesce(al.broken_checks, 0) AS broken_checks
FROM ethaudit.models mo
LEFT JOIN LATERAL (
    SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
               'version', mv.version, 'stage', mv.stage, 'since', mv.stage_changed_at,
               'registered_at', mv.registered_at, 'description', mv.description)
               ORDER BY pg_catalog.array_position(ARRAY['live', 'canary', 'shadow', 'retired'], mv.stage),
                        mv.version), '[]'::jsonb) AS versions,
           pg_catalog.array_agg(mv.version ORDER BY mv.version) FILTER (WHERE mv.stage = 'live') AS live_versions
    FROM ethaudit.model_versions mv WHERE mv.model = mo.model) v ON true
LEFT JOIN LATERAL (
    SELECT pg_catalog.array_agg(DISTINCT x.role ORDER BY x.role) AS owners
    FROM (SELECT mo.owner_role AS role
          UNION ALL
          SELECT th.owner_role FROM ethaudit.thresholds th
          JOIN ethaudit.checks ch ON ch.check_id = th.check_id
          WHERE ch.model = mo.model) x
    WHERE x.role IS NOT NULL) o ON true
LEFT JOIN LATERAL (
    -- a check counts once, by the worst status of its versions
    SELECT pg_catalog.jsonb_agg(x.item ORDER BY x.check_name, x.model_version) AS checks,
           pg_catalog.count(DISTINCT x.check_id)::integer AS checks_total,
           pg_catalog.count(DISTINCT x.check_id) FILTER (WHERE x.worst = 'ok')::integer AS checks_ok,
           pg_catalog.count(DISTINCT x.check_id) FILTER (WHERE x.worst = 'warning')::integer AS checks_warning,
           pg_catalog.count(DISTINCT x.check_id) FILTER (WHERE x.worst = 'critical')::integer AS checks_critical,
           pg_catalog.count(DISTINCT x.check_id) FILTER (WHERE x.worst = 'insufficient_data')::integer AS checks_insufficient_data,
           pg_catalog.count(DISTINCT x.check_id) FILTER (WHERE x.worst = 'error')::integer AS checks_error,
           pg_catalog.count(DISTINCT x.check_id) FILTER (WHERE x.worst IS NULL)::integer AS checks_never_run,
           pg_catalog.count(DISTINCT x.check_id) FILTER (WHERE x.mixed_versions)::integer AS checks_mixing_versions,
           pg_catalog.max(x.evaluated_at) AS last_evaluated_at
    FROM (SELECT lr.check_id, lr.check_name, lr.model_version, lr.mixed_versions, lr.evaluated_at,
                 pg_catalog.first_value(lr.status) OVER (PARTITION BY lr.check_id ORDER BY pg_catalog.array_position(
                     ARRAY['critical', 'warning', 'error', 'insufficient_data', 'ok'], lr.status)) AS worst,
                 pg_catalog.jsonb_build_object(
                     'check_id', lr.check_id, 'check_name', lr.check_name, 'metric', lr.metric,
                     'family', lr.family, 'mode', lr.mode, 'source', lr.source, 'enabled', lr.enabled,
                     'status', lr.status, 'value', lr.value, 'evaluated_at', lr.evaluated_at,
                     'window_start', lr.window_start, 'window_end', lr.window_end,
                     'warn', th.warn, 'critical', th.critical, 'direction', th.direction,
                     'owner_role', th.owner_role, 'response_time', th.response_time,
                     'model_version', lr.model_version, 'version_source', lr.version_source,
                     'mixed_versions', lr.mixed_versions, 'labelled_share', lr.labelled_share,
                     'message', lr.message) AS item
          FROM ethaudit.latest_results lr
          LEFT JOIN ethaudit.thresholds th ON th.check_id = lr.check_id
          WHERE lr.model = mo.model AND lr.enabled) x) c ON true
LEFT JOIN LATERAL (
    SELECT pg_catalog.count(*)::integer AS open_alerts,
           pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
               'alert_id', oa.alert_id, 'check_name', oa.check_name, 'family', oa.family,
               'severity', oa.severity, 'priority', oa.priority, 'status', oa.status,
               'owner_role', oa.owner_role, 'opened_at', oa.opened_at, 'due_at', oa.due_at,
               'overdue', oa.overdue, 'occurrences', oa.occurrences, 'last_value', oa.last_value,
               'kind', oa.kind, 'model_version', oa.model_version, 'window_end', oa.last_window_end)
               ORDER BY oa.priority = 'normal', oa.severity = 'warning', oa.due_at) AS alerts,
           pg_catalog.count(*) FILTER (WHERE oa.kind = 'check_broken')::integer AS broken_checks
    FROM ethaudit.open_alerts oa WHERE oa.model = mo.model) al ON true
LEFT JOIN LATERAL (
    SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
               'version', sh.version, 'stage', sh.stage, 'from', sh.valid_from, 'to', sh.valid_to)
               ORDER BY sh.valid_from, sh.interval_id) AS stage_history
    FROM ethaudit.stage_history sh WHERE sh.model = mo.model) h ON true;
COMMENT ON VIEW ethaudit.model_cards IS
'A live model card per model: versions and stages, owners, the enabled checks with their latest value, status and thresholds, the open alerts and when the model was last evaluated. Detail columns are jsonb arrays.';
COMMENT ON COLUMN ethaudit.model_cards.model IS 'The model.';
COMMENT ON COLUMN ethaudit.model_cards.description IS 'Its description.';
COMMENT ON COLUMN ethaudit.model_cards.owner_role IS 'Owner of the model.';
COMMENT ON COLUMN ethaudit.model_cards.versions IS 'jsonb array of {version, stage, since, registered_at, description}, live first.';
COMMENT ON COLUMN ethaudit.model_cards.live_versions IS 'Versions in stage live.';
COMMENT ON COLUMN ethaudit.model_cards.owners IS 'Owner of the model and owners of its checks'' thresholds.';
COMMENT ON COLUMN ethaudit.model_cards.checks IS 'jsonb array of the latest live results of the enabled checks (one per version for a check with a version column): {check_id, check_name, metric, family, mode, source, enabled, status, value, evaluated_at, window_start, window_end, warn, critical, direction, owner_role, response_time, model_version, version_source, mixed_versions, labelled_share, message}.';
COMMENT ON COLUMN ethaudit.model_cards.checks_total IS 'Enabled checks.';
COMMENT ON COLUMN ethaudit.model_cards.checks_ok IS 'Enabled checks whose latest status is ok (a check with a version column: its worst version).';
COMMENT ON COLUMN ethaudit.model_cards.checks_warning IS 'Enabled checks whose latest status is warning.';
COMMENT ON COLUMN ethaudit.model_cards.checks_critical IS 'Enabled checks whose latest status is critical.';
COMMENT ON COLUMN ethaudit.model_cards.checks_insufficient_data IS 'Enabled checks whose latest status is insufficient_data.';
COMMENT ON COLUMN ethaudit.model_cards.checks_error IS 'Enabled checks whose latest status is error.';
COMMENT ON COLUMN ethaudit.model_cards.checks_never_run IS 'Enabled checks without results.';
COMMENT ON COLUMN ethaudit.model_cards.open_alerts IS 'Alerts not resolved.';
COMMENT ON COLUMN ethaudit.model_cards.alerts IS 'jsonb array of the open alerts: {alert_id, check_name, family, severity, priority, status, owner_role, opened_at, due_at, overdue, occurrences, last_value, kind, model_version, window_end}, high priority and critical first.';
COMMENT ON COLUMN ethaudit.model_cards.worst_status IS 'Worst latest status over the enabled checks: critical, warning, error, insufficient_data, ok; NULL if none ran.';
COMMENT ON COLUMN ethaudit.model_cards.last_evaluated_at IS 'When a check of the model was last evaluated (live runs).';
COMMENT ON COLUMN ethaudit.model_cards.stage_history IS 'jsonb array of {version, stage, from, to} from ethaudit.stage_history, oldest first (to NULL: the current stage).';
COMMENT ON COLUMN ethaudit.model_cards.checks_mixing_versions IS 'Enabled checks without a version column whose latest window saw several versions serve (their results may mix them).';
COMMENT ON COLUMN ethaudit.model_cards.broken_checks IS 'Open check_broken alerts: checks that keep failing and no longer audit.';

CREATE VIEW ethaudit.monitored_tables AS
SELECT tg.tgrelid::regclass AS table_name, tg.tgname AS trigger_name, tg.tgenabled <> 'D' AS trigger_enabled,
       (SELECT pg_catalog.count(*) FROM ethaudit.checks ch
        WHERE ch.source = ethaudit_internal.qualified_name(tg.tgrelid) AND ch.mode <> 'scheduled' AND ch.enabled)::integer
           AS enabled_checks
FROM pg_catalog.pg_trigger tg
WHERE tg.tgfoid = 'ethaudit_internal.monitor_batch()'::pg_catalog.regprocedure;
COMMENT ON VIEW ethaudit.monitored_tables IS
'Prediction-log tables with the ethaudit monitoring trigger, and how many enabled insert-mode checks each has.';
COMMENT ON COLUMN ethaudit.monitored_tables.table_name IS 'The monitored table.';
COMMENT ON COLUMN ethaudit.monitored_tables.trigger_name IS 'Name of its trigger.';
COMMENT ON COLUMN ethaudit.monitored_tables.trigger_enabled IS 'False if the trigger is disabled (ALTER TABLE ... DISABLE TRIGGER).';
COMMENT ON COLUMN ethaudit.monitored_tables.enabled_checks IS 'Enabled checks with mode insert_batch or insert_window on the table.';

GRANT SELECT ON ethaudit.metric_catalog TO PUBLIC;

-- security_invoker views need PostgreSQL 15; the rest installs on 13 and 14
DO $$
DECLARE
    v text;
BEGIN
    IF pg_catalog.current_setting('server_version_num')::integer >= 150000 THEN
        FOREACH v IN ARRAY ARRAY['metric_catalog', 'open_alerts', 'latest_results', 'result_history',
                                 'model_cards', 'monitored_tables'] LOOP
            EXECUTE pg_catalog.format('ALTER VIEW ethaudit.%I SET (security_invoker = true)', v);
        END LOOP;
    END IF;
END
$$;

-- ---------------------------------------------------------------------------
-- Keeping the evidence: DROP EXTENSION ethaudit (or DROP SCHEMA ethaudit
-- CASCADE, or DROP OWNED BY its owner) would delete the audit log, results
-- and alerts with it. An event trigger refuses such a drop while they hold
-- rows, unless ethaudit.allow_drop_with_evidence is on (doc/security.md,
-- "Dropping the extension").
-- ---------------------------------------------------------------------------

CREATE FUNCTION ethaudit_internal.guard_evidence_drop()
RETURNS event_trigger
LANGUAGE c
AS 'MODULE_PATHNAME', 'ea_guard_evidence_drop';
COMMENT ON FUNCTION ethaudit_internal.guard_evidence_drop() IS
'Event trigger function (ddl_command_start of DROP EXTENSION, DROP SCHEMA and DROP OWNED): refuses, with SQLSTATE 2BP01, a command that would drop the extension while its audit log, results or alerts hold rows, unless ethaudit.allow_drop_with_evidence is on.';
REVOKE ALL ON FUNCTION ethaudit_internal.guard_evidence_drop() FROM PUBLIC;

CREATE EVENT TRIGGER ethaudit_keep_evidence ON ddl_command_start
    WHEN TAG IN ('DROP EXTENSION', 'DROP SCHEMA', 'DROP OWNED')
    EXECUTE FUNCTION ethaudit_internal.guard_evidence_drop();
COMMENT ON EVENT TRIGGER ethaudit_keep_evidence IS
'Refuses to drop ethaudit while its audit log, results or alerts hold rows (see ethaudit_internal.guard_evidence_drop).';
