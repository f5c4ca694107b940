-- ====================================================================
-- Drift: psi, js_divergence, ks_stat, ks_test
--
-- `is_reference` marks reference rows (TRUE) and current rows (FALSE).
-- float8 values are kept exactly (one state shared by every float8 drift
-- aggregate over the same arguments); text values are counted per category.
-- ====================================================================

-- -------- float8: the kept-values state --------

CREATE FUNCTION ethaudit.twosample_trans(internal, double precision, boolean)
RETURNS internal
AS 'MODULE_PATHNAME', 'twosample_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.twosample_trans_bins(internal, double precision, boolean, integer)
RETURNS internal
AS 'MODULE_PATHNAME', 'twosample_trans_bins'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.twosample_trans_binning(internal, double precision, boolean, text)
RETURNS internal
AS 'MODULE_PATHNAME', 'twosample_trans_binning'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.twosample_combine(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'twosample_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.twosample_serialize(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'twosample_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION ethaudit.twosample_deserialize(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'twosample_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION ethaudit.psi_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'psi_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.js_divergence_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'js_divergence_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.ks_stat_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ks_stat_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE TYPE ethaudit.ks_result AS (
    statistic   double precision,
    p_value     double precision,
    n_reference bigint,
    n_current   bigint
);

CREATE FUNCTION ethaudit.ks_test_final(internal)
RETURNS ethaudit.ks_result
AS 'MODULE_PATHNAME', 'ks_test_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.twosample_trans(internal, double precision, boolean) IS
'Transition function of the float8 drift aggregates: keeps every value.';
COMMENT ON FUNCTION ethaudit.twosample_trans_bins(internal, double precision, boolean, integer) IS
'Transition function of psi/js_divergence(value, is_reference, bins).';
COMMENT ON FUNCTION ethaudit.twosample_trans_binning(internal, double precision, boolean, text) IS
'Transition function of psi/js_divergence(value, is_reference, binning).';
COMMENT ON FUNCTION ethaudit.twosample_combine(internal, internal) IS
'Combine function of the float8 drift aggregates (parallel aggregation).';
COMMENT ON FUNCTION ethaudit.twosample_serialize(internal) IS
'Serializes a float8 drift state for parallel workers (versioned format).';
COMMENT ON FUNCTION ethaudit.twosample_deserialize(bytea, internal) IS
'Validates and reads back a serialized float8 drift state.';
COMMENT ON FUNCTION ethaudit.psi_final(internal) IS 'Final function of psi over float8.';
COMMENT ON FUNCTION ethaudit.js_divergence_final(internal) IS 'Final function of js_divergence over float8.';
COMMENT ON FUNCTION ethaudit.ks_stat_final(internal) IS 'Final function of ks_stat.';
COMMENT ON FUNCTION ethaudit.ks_test_final(internal) IS 'Final function of ks_test.';
COMMENT ON TYPE ethaudit.ks_result IS
'Result of ks_test: KS statistic D, asymptotic two-sided p-value and the sample sizes.';

CREATE AGGREGATE ethaudit.psi(value double precision, is_reference boolean) (
    SFUNC = ethaudit.twosample_trans,
    STYPE = internal,
    FINALFUNC = ethaudit.psi_final,
    COMBINEFUNC = ethaudit.twosample_combine,
    SERIALFUNC = ethaudit.twosample_serialize,
    DESERIALFUNC = ethaudit.twosample_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.psi(value double precision, is_reference boolean, bins integer) (
    SFUNC = ethaudit.twosample_trans_bins,
    STYPE = internal,
    FINALFUNC = ethaudit.psi_final,
    COMBINEFUNC = ethaudit.twosample_combine,
    SERIALFUNC = ethaudit.twosample_serialize,
    DESERIALFUNC = ethaudit.twosample_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.psi(value double precision, is_reference boolean, binning text) (
    SFUNC = ethaudit.twosample_trans_binning,
    STYPE = internal,
    FINALFUNC = ethaudit.psi_final,
    COMBINEFUNC = ethaudit.twosample_combine,
    SERIALFUNC = ethaudit.twosample_serialize,
    DESERIALFUNC = ethaudit.twosample_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.js_divergence(value double precision, is_reference boolean) (
    SFUNC = ethaudit.twosample_trans,
    STYPE = internal,
    FINALFUNC = ethaudit.js_divergence_final,
    COMBINEFUNC = ethaudit.twosample_combine,
    SERIALFUNC = ethaudit.twosample_serialize,
    DESERIALFUNC = ethaudit.twosample_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.js_divergence(value double precision, is_reference boolean, bins integer) (
    SFUNC = ethaudit.twosample_trans_bins,
    STYPE = internal,
    FINALFUNC = ethaudit.js_divergence_final,
    COMBINEFUNC = ethaudit.twosample_combine,
    SERIALFUNC = ethaudit.twosample_serialize,
    DESERIALFUNC = ethaudit.twosample_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.js_divergence(value double precision, is_reference boolean, binning text) (
    SFUNC = ethaudit.twosample_trans_binning,
    STYPE = internal,
    FINALFUNC = ethaudit.js_divergence_final,
    COMBINEFUNC = ethaudit.twosample_combine,
    SERIALFUNC = ethaudit.twosample_serialize,
    DESERIALFUNC = ethaudit.twosample_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.ks_stat(value double precision, is_reference boolean) (
    SFUNC = ethaudit.twosample_trans,
    STYPE = internal,
    FINALFUNC = ethaudit.ks_stat_final,
    COMBINEFUNC = ethaudit.twosample_combine,
    SERIALFUNC = ethaudit.twosample_serialize,
    DESERIALFUNC = ethaudit.twosample_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.ks_test(value double precision, is_reference boolean) (
    SFUNC = ethaudit.twosample_trans,
    STYPE = internal,
    FINALFUNC = ethaudit.ks_test_final,
    COMBINEFUNC = ethaudit.twosample_combine,
    SERIALFUNC = ethaudit.twosample_serialize,
    DESERIALFUNC = ethaudit.twosample_deserialize,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE ethaudit.psi(double precision, boolean) IS
'Population stability index of current vs reference rows, 10 reference-quantile bins, empty bins as 0.0001.';
COMMENT ON AGGREGATE ethaudit.psi(double precision, boolean, integer) IS
'Population stability index with the given number of reference-quantile bins (2..10000).';
COMMENT ON AGGREGATE ethaudit.psi(double precision, boolean, text) IS
'Population stability index with a named binning: ''default'' or ''evidently'' (Evidently 0.7 bins and zero rule).';
COMMENT ON AGGREGATE ethaudit.js_divergence(double precision, boolean) IS
'Jensen-Shannon divergence (base 2, in [0,1]) of current vs reference rows over 10 reference-quantile bins.';
COMMENT ON AGGREGATE ethaudit.js_divergence(double precision, boolean, integer) IS
'Jensen-Shannon divergence (base 2) with the given number of reference-quantile bins (2..10000).';
COMMENT ON AGGREGATE ethaudit.js_divergence(double precision, boolean, text) IS
'Jensen-Shannon divergence (base 2) with a named binning: ''default'' or ''evidently''.';
COMMENT ON AGGREGATE ethaudit.ks_stat(double precision, boolean) IS
'Exact two-sample Kolmogorov-Smirnov statistic D of current vs reference rows (scipy ks_2samp).';
COMMENT ON AGGREGATE ethaudit.ks_test(double precision, boolean) IS
'Two-sample Kolmogorov-Smirnov test: D, asymptotic two-sided p-value and sample sizes (scipy ks_2samp, method asymp).';

-- -------- text: the category-counts state --------

CREATE FUNCTION ethaudit.categorical_trans(internal, text, boolean)
RETURNS internal
AS 'MODULE_PATHNAME', 'categorical_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.categorical_trans_binning(internal, text, boolean, text)
RETURNS internal
AS 'MODULE_PATHNAME', 'categorical_trans_binning'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.categorical_combine(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'categorical_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.categorical_serialize(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'categorical_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION ethaudit.categorical_deserialize(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'categorical_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION ethaudit.psi_text_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'psi_text_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.js_divergence_text_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'js_divergence_text_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.categorical_trans(internal, text, boolean) IS
'Transition function of the text drift aggregates: counts each category.';
COMMENT ON FUNCTION ethaudit.categorical_trans_binning(internal, text, boolean, text) IS
'Transition function of psi/js_divergence(value text, is_reference, binning).';
COMMENT ON FUNCTION ethaudit.categorical_combine(internal, internal) IS
'Combine function of the text drift aggregates (parallel aggregation).';
COMMENT ON FUNCTION ethaudit.categorical_serialize(internal) IS
'Serializes a text drift state for parallel workers (versioned format).';
COMMENT ON FUNCTION ethaudit.categorical_deserialize(bytea, internal) IS
'Validates and reads back a serialized text drift state.';
COMMENT ON FUNCTION ethaudit.psi_text_final(internal) IS 'Final function of psi over text.';
COMMENT ON FUNCTION ethaudit.js_divergence_text_final(internal) IS 'Final function of js_divergence over text.';

CREATE AGGREGATE ethaudit.psi(value text, is_reference boolean) (
    SFUNC = ethaudit.categorical_trans,
    STYPE = internal,
    FINALFUNC = ethaudit.psi_text_final,
    COMBINEFUNC = ethaudit.categorical_combine,
    SERIALFUNC = ethaudit.categorical_serialize,
    DESERIALFUNC = ethaudit.categorical_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.psi(value text, is_reference boolean, binning text) (
    SFUNC = ethaudit.categorical_trans_binning,
    STYPE = internal,
    FINALFUNC = ethaudit.psi_text_final,
    COMBINEFUNC = ethaudit.categorical_combine,
    SERIALFUNC = ethaudit.categorical_serialize,
    DESERIALFUNC = ethaudit.categorical_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.js_divergence(value text, is_reference boolean) (
    SFUNC = ethaudit.categorical_trans,
    STYPE = internal,
    FINALFUNC = ethaudit.js_divergence_text_final,
    COMBINEFUNC = ethaudit.categorical_combine,
    SERIALFUNC = ethaudit.categorical_serialize,
    DESERIALFUNC = ethaudit.categorical_deserialize,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE ethaudit.psi(text, boolean) IS
'Population stability index of a categorical column: one bin per category, empty bins as 0.0001.';
COMMENT ON AGGREGATE ethaudit.psi(text, boolean, text) IS
'Population stability index of a categorical column with a named binning: ''default'' or ''evidently'' (Evidently zero rule).';
COMMENT ON AGGREGATE ethaudit.js_divergence(text, boolean) IS
'Jensen-Shannon divergence (base 2) of a categorical column, one bin per category.';

-- -------- more divergences and distances over the same states --------

CREATE FUNCTION ethaudit.hellinger_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'hellinger_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.kl_divergence_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'kl_divergence_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.wasserstein_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'wasserstein_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.hellinger_text_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'hellinger_text_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.kl_divergence_text_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'kl_divergence_text_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE TYPE ethaudit.chi2_result AS (
    statistic   double precision,
    p_value     double precision,
    dof         integer,
    n_reference bigint,
    n_current   bigint
);
COMMENT ON TYPE ethaudit.chi2_result IS
'Result of chi2_test: chi-square statistic of the 2 x k table, p-value, degrees of freedom and the sample sizes.';

CREATE FUNCTION ethaudit.chi2_test_final(internal)
RETURNS ethaudit.chi2_result
AS 'MODULE_PATHNAME', 'chi2_test_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.hellinger_final(internal) IS 'Final function of hellinger over float8.';
COMMENT ON FUNCTION ethaudit.kl_divergence_final(internal) IS 'Final function of kl_divergence over float8.';
COMMENT ON FUNCTION ethaudit.wasserstein_final(internal) IS 'Final function of wasserstein.';
COMMENT ON FUNCTION ethaudit.hellinger_text_final(internal) IS 'Final function of hellinger over text.';
COMMENT ON FUNCTION ethaudit.kl_divergence_text_final(internal) IS 'Final function of kl_divergence over text.';
COMMENT ON FUNCTION ethaudit.chi2_test_final(internal) IS 'Final function of chi2_test.';

CREATE AGGREGATE ethaudit.hellinger(value double precision, is_reference boolean) (
    SFUNC = ethaudit.twosample_trans,
    STYPE = internal,
    FINALFUNC = ethaudit.hellinger_final,
    COMBINEFUNC = ethaudit.twosample_combine,
    SERIALFUNC = ethaudit.twosample_serialize,
    DESERIALFUNC = ethaudit.twosample_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.hellinger(value double precision, is_reference boolean, bins integer) (
    SFUNC = ethaudit.twosample_trans_bins,
    STYPE = internal,
    FINALFUNC = ethaudit.hellinger_final,
    COMBINEFUNC = ethaudit.twosample_combine,
    SERIALFUNC = ethaudit.twosample_serialize,
    DESERIALFUNC = ethaudit.twosample_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.hellinger(value double precision, is_reference boolean, binning text) (
    SFUNC = ethaudit.twosample_trans_binning,
    STYPE = internal,
    FINALFUNC = ethaudit.hellinger_final,
    COMBINEFUNC = ethaudit.twosample_combine,
    SERIALFUNC = ethaudit.twosample_serialize,
    DESERIALFUNC = ethaudit.twosample_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.hellinger(value text, is_reference boolean) (
    SFUNC = ethaudit.categorical_trans,
    STYPE = internal,
    FINALFUNC = ethaudit.hellinger_text_final,
    COMBINEFUNC = ethaudit.categorical_combine,
    SERIALFUNC = ethaudit.categorical_serialize,
    DESERIALFUNC = ethaudit.categorical_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.hellinger(value text, is_reference boolean, binning text) (
    SFUNC = ethaudit.categorical_trans_binning,
    STYPE = internal,
    FINALFUNC = ethaudit.hellinger_text_final,
    COMBINEFUNC = ethaudit.categorical_combine,
    SERIALFUNC = ethaudit.categorical_serialize,
    DESERIALFUNC = ethaudit.categorical_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.kl_divergence(value double precision, is_reference boolean) (
    SFUNC = ethaudit.twosample_trans,
    STYPE = internal,
    FINALFUNC = ethaudit.kl_divergence_final,
    COMBINEFUNC = ethaudit.twosample_combine,
    SERIALFUNC = ethaudit.twosample_serialize,
    DESERIALFUNC = ethaudit.twosample_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.kl_divergence(value double precision, is_reference boolean, bins integer) (
    SFUNC = ethaudit.twosample_trans_bins,
    STYPE = internal,
    FINALFUNC = ethaudit.kl_divergence_final,
    COMBINEFUNC = ethaudit.twosample_combine,
    SERIALFUNC = ethaudit.twosample_serialize,
    DESERIALFUNC = ethaudit.twosample_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.kl_divergence(value double precision, is_reference boolean, binning text) (
    SFUNC = ethaudit.twosample_trans_binning,
    STYPE = internal,
    FINALFUNC = ethaudit.kl_divergence_final,
    COMBINEFUNC = ethaudit.twosample_combine,
    SERIALFUNC = ethaudit.twosample_serialize,
    DESERIALFUNC = ethaudit.twosample_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.kl_divergence(value text, is_reference boolean) (
    SFUNC = ethaudit.categorical_trans,
    STYPE = internal,
    FINALFUNC = ethaudit.kl_divergence_text_final,
    COMBINEFUNC = ethaudit.categorical_combine,
    SERIALFUNC = ethaudit.categorical_serialize,
    DESERIALFUNC = ethaudit.categorical_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.kl_divergence(value text, is_reference boolean, binning text) (
    SFUNC = ethaudit.categorical_trans_binning,
    STYPE = internal,
    FINALFUNC = ethaudit.kl_divergence_text_final,
    COMBINEFUNC = ethaudit.categorical_combine,
    SERIALFUNC = ethaudit.categorical_serialize,
    DESERIALFUNC = ethaudit.categorical_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.wasserstein(value double precision, is_reference boolean) (
    SFUNC = ethaudit.twosample_trans,
    STYPE = internal,
    FINALFUNC = ethaudit.wasserstein_final,
    COMBINEFUNC = ethaudit.twosample_combine,
    SERIALFUNC = ethaudit.twosample_serialize,
    DESERIALFUNC = ethaudit.twosample_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.chi2_test(value text, is_reference boolean) (
    SFUNC = ethaudit.categorical_trans,
    STYPE = internal,
    FINALFUNC = ethaudit.chi2_test_final,
    COMBINEFUNC = ethaudit.categorical_combine,
    SERIALFUNC = ethaudit.categorical_serialize,
    DESERIALFUNC = ethaudit.categorical_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.js_divergence(value text, is_reference boolean, binning text) (
    SFUNC = ethaudit.categorical_trans_binning,
    STYPE = internal,
    FINALFUNC = ethaudit.js_divergence_text_final,
    COMBINEFUNC = ethaudit.categorical_combine,
    SERIALFUNC = ethaudit.categorical_serialize,
    DESERIALFUNC = ethaudit.categorical_deserialize,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE ethaudit.hellinger(double precision, boolean) IS
'Hellinger distance (in [0,1]) of current vs reference rows over 10 reference-quantile bins.';
COMMENT ON AGGREGATE ethaudit.hellinger(double precision, boolean, integer) IS
'Hellinger distance with the given number of reference-quantile bins (2..10000).';
COMMENT ON AGGREGATE ethaudit.hellinger(double precision, boolean, text) IS
'Hellinger distance with a named binning: ''default'' or ''evidently''.';
COMMENT ON AGGREGATE ethaudit.hellinger(text, boolean) IS
'Hellinger distance of a categorical column, one bin per category.';
COMMENT ON AGGREGATE ethaudit.hellinger(text, boolean, text) IS
'Hellinger distance of a categorical column with a named binning (''default'' or ''evidently'', the same bins).';
COMMENT ON AGGREGATE ethaudit.kl_divergence(double precision, boolean) IS
'Kullback-Leibler divergence KL(reference || current) in nats, PSI bins and zero rule, renormalised.';
COMMENT ON AGGREGATE ethaudit.kl_divergence(double precision, boolean, integer) IS
'Kullback-Leibler divergence with the given number of reference-quantile bins (2..10000).';
COMMENT ON AGGREGATE ethaudit.kl_divergence(double precision, boolean, text) IS
'Kullback-Leibler divergence with a named binning: ''default'' or ''evidently''.';
COMMENT ON AGGREGATE ethaudit.kl_divergence(text, boolean) IS
'Kullback-Leibler divergence of a categorical column, empty categories as 0.0001.';
COMMENT ON AGGREGATE ethaudit.kl_divergence(text, boolean, text) IS
'Kullback-Leibler divergence of a categorical column with a named binning (''evidently'': Evidently zero rule).';
COMMENT ON AGGREGATE ethaudit.wasserstein(double precision, boolean) IS
'First Wasserstein (earth mover''s) distance between current and reference values (scipy wasserstein_distance).';
COMMENT ON AGGREGATE ethaudit.chi2_test(text, boolean) IS
'Chi-square test of homogeneity of category counts, reference vs current (scipy chi2_contingency).';
COMMENT ON AGGREGATE ethaudit.js_divergence(text, boolean, text) IS
'Jensen-Shannon divergence (base 2) of a categorical column with a named binning (the same bins).';
