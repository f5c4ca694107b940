-- ====================================================================
-- Baselines: the ethaudit.baseline type, the aggregates that build it,
-- one-pass metrics of current rows against it, merging, comparisons
-- ====================================================================

CREATE TYPE ethaudit.baseline;

CREATE FUNCTION ethaudit.baseline_in(cstring) RETURNS ethaudit.baseline
AS 'MODULE_PATHNAME', 'baseline_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ethaudit.baseline_out(ethaudit.baseline) RETURNS cstring
AS 'MODULE_PATHNAME', 'baseline_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ethaudit.baseline_recv(internal) RETURNS ethaudit.baseline
AS 'MODULE_PATHNAME', 'baseline_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ethaudit.baseline_send(ethaudit.baseline) RETURNS bytea
AS 'MODULE_PATHNAME', 'baseline_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE ethaudit.baseline (
    INPUT = ethaudit.baseline_in,
    OUTPUT = ethaudit.baseline_out,
    RECEIVE = ethaudit.baseline_recv,
    SEND = ethaudit.baseline_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);

COMMENT ON TYPE ethaudit.baseline IS
'The distribution of one column in constant memory: counts over fixed bins (numeric, with NaN/NULL counts, min, max, mean, variance) or per category. Text form: JSON.';
COMMENT ON FUNCTION ethaudit.baseline_in(cstring) IS 'Input function of ethaudit.baseline (JSON).';
COMMENT ON FUNCTION ethaudit.baseline_out(ethaudit.baseline) IS 'Output function of ethaudit.baseline (JSON).';
COMMENT ON FUNCTION ethaudit.baseline_recv(internal) IS 'Binary input function of ethaudit.baseline (validated).';
COMMENT ON FUNCTION ethaudit.baseline_send(ethaudit.baseline) IS 'Binary output function of ethaudit.baseline.';

-- ---------- accessors ----------

CREATE FUNCTION ethaudit.baseline_n(b ethaudit.baseline) RETURNS bigint
AS 'MODULE_PATHNAME', 'baseline_n' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ethaudit.baseline_edges(b ethaudit.baseline) RETURNS double precision[]
AS 'MODULE_PATHNAME', 'baseline_edges' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ethaudit.baseline_counts(b ethaudit.baseline) RETURNS bigint[]
AS 'MODULE_PATHNAME', 'baseline_counts' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ethaudit.baseline_proportions(b ethaudit.baseline) RETURNS double precision[]
AS 'MODULE_PATHNAME', 'baseline_proportions' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ethaudit.baseline_categories(b ethaudit.baseline) RETURNS text[]
AS 'MODULE_PATHNAME', 'baseline_categories' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ethaudit.baseline_reference(b ethaudit.baseline) RETURNS ethaudit.baseline
AS 'MODULE_PATHNAME', 'baseline_reference' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

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

COMMENT ON FUNCTION ethaudit.baseline_n(ethaudit.baseline) IS 'Number of values in the bins (NULL and NaN excluded).';
COMMENT ON FUNCTION ethaudit.baseline_edges(ethaudit.baseline) IS 'Inner bin edges of a numeric baseline (NULL for a categorical one); bins are right-closed.';
COMMENT ON FUNCTION ethaudit.baseline_counts(ethaudit.baseline) IS 'Counts per bin, or per category in byte order of the categories.';
COMMENT ON FUNCTION ethaudit.baseline_proportions(ethaudit.baseline) IS 'Counts divided by n (NULL when n = 0).';
COMMENT ON FUNCTION ethaudit.baseline_categories(ethaudit.baseline) IS 'Categories of a categorical baseline in byte order (NULL for a numeric one).';
COMMENT ON FUNCTION ethaudit.baseline_reference(ethaudit.baseline) IS 'The reference attached to a comparison state, or NULL.';
COMMENT ON FUNCTION ethaudit.baseline_summary(ethaudit.baseline) IS 'Kind, n, NaN and NULL counts, min, max, mean and variance of a baseline.';

-- ---------- building at exact reference quantiles ----------

CREATE FUNCTION ethaudit.baseline_build_trans(internal, double precision) RETURNS internal
AS 'MODULE_PATHNAME', 'baseline_build_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ethaudit.baseline_build_trans_bins(internal, double precision, integer) RETURNS internal
AS 'MODULE_PATHNAME', 'baseline_build_trans_bins' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ethaudit.baseline_build_combine(internal, internal) RETURNS internal
AS 'MODULE_PATHNAME', 'baseline_build_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ethaudit.baseline_build_serialize(internal) RETURNS bytea
AS 'MODULE_PATHNAME', 'baseline_build_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ethaudit.baseline_build_deserialize(bytea, internal) RETURNS internal
AS 'MODULE_PATHNAME', 'baseline_build_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ethaudit.baseline_build_final(internal) RETURNS ethaudit.baseline
AS 'MODULE_PATHNAME', 'baseline_build_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.baseline_build_trans(internal, double precision) IS
'Transition function of baseline(value): keeps the values for exact quantile edges.';
COMMENT ON FUNCTION ethaudit.baseline_build_trans_bins(internal, double precision, integer) IS
'Transition function of baseline(value, bins).';
COMMENT ON FUNCTION ethaudit.baseline_build_combine(internal, internal) IS 'Combine function of baseline(value [, bins]).';
COMMENT ON FUNCTION ethaudit.baseline_build_serialize(internal) IS 'Serializes a baseline(value) state, sorted (versioned format).';
COMMENT ON FUNCTION ethaudit.baseline_build_deserialize(bytea, internal) IS 'Validates and reads back a serialized baseline(value) state.';
COMMENT ON FUNCTION ethaudit.baseline_build_final(internal) IS 'Final function of baseline(value [, bins]): bins at the reference quantiles.';

CREATE AGGREGATE ethaudit.baseline(value double precision) (
    SFUNC = ethaudit.baseline_build_trans,
    STYPE = internal,
    FINALFUNC = ethaudit.baseline_build_final,
    COMBINEFUNC = ethaudit.baseline_build_combine,
    SERIALFUNC = ethaudit.baseline_build_serialize,
    DESERIALFUNC = ethaudit.baseline_build_deserialize,
    PARALLEL = SAFE
);
CREATE AGGREGATE ethaudit.baseline(value double precision, bins integer) (
    SFUNC = ethaudit.baseline_build_trans_bins,
    STYPE = internal,
    FINALFUNC = ethaudit.baseline_build_final,
    COMBINEFUNC = ethaudit.baseline_build_combine,
    SERIALFUNC = ethaudit.baseline_build_serialize,
    DESERIALFUNC = ethaudit.baseline_build_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE ethaudit.baseline(double precision) IS
'Baseline of a numeric column: 10 bins at the exact deciles of the values (as psi builds them), counts, NaN/NULL counts, min, max, mean, variance.';
COMMENT ON AGGREGATE ethaudit.baseline(double precision, integer) IS
'Baseline of a numeric column with the given number of quantile bins (2 to 10000).';

-- ---------- concrete-state aggregates: given bins, categories, metrics ----------

CREATE FUNCTION ethaudit.baseline_edges_trans(ethaudit.baseline, double precision, double precision[])
RETURNS ethaudit.baseline AS 'MODULE_PATHNAME', 'baseline_edges_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ethaudit.baseline_edges_inv(ethaudit.baseline, double precision, double precision[])
RETURNS ethaudit.baseline AS 'MODULE_PATHNAME', 'baseline_edges_inv' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ethaudit.baseline_text_trans(ethaudit.baseline, text)
RETURNS ethaudit.baseline AS 'MODULE_PATHNAME', 'baseline_text_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ethaudit.baseline_text_inv(ethaudit.baseline, text)
RETURNS ethaudit.baseline AS 'MODULE_PATHNAME', 'baseline_text_inv' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ethaudit.baseline_like_trans(ethaudit.baseline, double precision, ethaudit.baseline)
RETURNS ethaudit.baseline AS 'MODULE_PATHNAME', 'baseline_like_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ethaudit.baseline_like_inv(ethaudit.baseline, double precision, ethaudit.baseline)
RETURNS ethaudit.baseline AS 'MODULE_PATHNAME', 'baseline_like_inv' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ethaudit.baseline_like_trans(ethaudit.baseline, text, ethaudit.baseline)
RETURNS ethaudit.baseline AS 'MODULE_PATHNAME', 'baseline_like_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ethaudit.baseline_like_inv(ethaudit.baseline, text, ethaudit.baseline)
RETURNS ethaudit.baseline AS 'MODULE_PATHNAME', 'baseline_like_inv' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ethaudit.baseline_compare_trans(ethaudit.baseline, double precision, ethaudit.baseline)
RETURNS ethaudit.baseline AS 'MODULE_PATHNAME', 'baseline_compare_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ethaudit.baseline_compare_inv(ethaudit.baseline, double precision, ethaudit.baseline)
RETURNS ethaudit.baseline AS 'MODULE_PATHNAME', 'baseline_compare_inv' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ethaudit.baseline_compare_trans(ethaudit.baseline, text, ethaudit.baseline)
RETURNS ethaudit.baseline AS 'MODULE_PATHNAME', 'baseline_compare_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ethaudit.baseline_compare_inv(ethaudit.baseline, text, ethaudit.baseline)
RETURNS ethaudit.baseline AS 'MODULE_PATHNAME', 'baseline_compare_inv' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ethaudit.baseline_combine(ethaudit.baseline, ethaudit.baseline)
RETURNS ethaudit.baseline AS 'MODULE_PATHNAME', 'baseline_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ethaudit.baseline_state_final(ethaudit.baseline)
RETURNS ethaudit.baseline AS 'MODULE_PATHNAME', 'baseline_state_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.baseline_psi_final(ethaudit.baseline) RETURNS double precision
AS 'MODULE_PATHNAME', 'baseline_psi_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ethaudit.baseline_js_final(ethaudit.baseline) RETURNS double precision
AS 'MODULE_PATHNAME', 'baseline_js_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ethaudit.baseline_hellinger_final(ethaudit.baseline) RETURNS double precision
AS 'MODULE_PATHNAME', 'baseline_hellinger_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ethaudit.baseline_ks_final(ethaudit.baseline) RETURNS double precision
AS 'MODULE_PATHNAME', 'baseline_ks_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE TYPE ethaudit.ks_bounds AS (
    lower double precision,
    upper double precision
);
COMMENT ON TYPE ethaudit.ks_bounds IS
'Bounds on the KS statistic when only bin counts are known: the exact D lies in [lower, upper].';

CREATE FUNCTION ethaudit.baseline_ks_bounds_final(ethaudit.baseline) RETURNS ethaudit.ks_bounds
AS 'MODULE_PATHNAME', 'baseline_ks_bounds_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.baseline_edges_trans(ethaudit.baseline, double precision, double precision[]) IS
'Transition function of baseline(value, edges): counts in place over the given bins.';
COMMENT ON FUNCTION ethaudit.baseline_edges_inv(ethaudit.baseline, double precision, double precision[]) IS
'Inverse transition function of baseline(value, edges), for moving window frames.';
COMMENT ON FUNCTION ethaudit.baseline_text_trans(ethaudit.baseline, text) IS
'Transition function of baseline(value text): category counts in place.';
COMMENT ON FUNCTION ethaudit.baseline_text_inv(ethaudit.baseline, text) IS
'Inverse transition function of baseline(value text), for moving window frames.';
COMMENT ON FUNCTION ethaudit.baseline_like_trans(ethaudit.baseline, double precision, ethaudit.baseline) IS
'Transition function of baseline(value, reference): counts over the reference''s bins.';
COMMENT ON FUNCTION ethaudit.baseline_like_inv(ethaudit.baseline, double precision, ethaudit.baseline) IS
'Inverse transition function of baseline(value, reference).';
COMMENT ON FUNCTION ethaudit.baseline_like_trans(ethaudit.baseline, text, ethaudit.baseline) IS
'Transition function of baseline(value text, reference).';
COMMENT ON FUNCTION ethaudit.baseline_like_inv(ethaudit.baseline, text, ethaudit.baseline) IS
'Inverse transition function of baseline(value text, reference).';
COMMENT ON FUNCTION ethaudit.baseline_compare_trans(ethaudit.baseline, double precision, ethaudit.baseline) IS
'Transition function of the metrics against a baseline: current counts over its bins, the baseline attached.';
COMMENT ON FUNCTION ethaudit.baseline_compare_inv(ethaudit.baseline, double precision, ethaudit.baseline) IS
'Inverse transition function of the metrics against a baseline, for moving window frames.';
COMMENT ON FUNCTION ethaudit.baseline_compare_trans(ethaudit.baseline, text, ethaudit.baseline) IS
'Transition function of the metrics of text values against a categorical baseline.';
COMMENT ON FUNCTION ethaudit.baseline_compare_inv(ethaudit.baseline, text, ethaudit.baseline) IS
'Inverse transition function of the metrics of text values against a categorical baseline.';
COMMENT ON FUNCTION ethaudit.baseline_combine(ethaudit.baseline, ethaudit.baseline) IS
'Adds two baselines over the same bins: the combine function of the baseline aggregates and the transition of merge.';
COMMENT ON FUNCTION ethaudit.baseline_state_final(ethaudit.baseline) IS 'Final function returning the baseline state itself.';
COMMENT ON FUNCTION ethaudit.baseline_psi_final(ethaudit.baseline) IS 'Final function of psi(value, baseline).';
COMMENT ON FUNCTION ethaudit.baseline_js_final(ethaudit.baseline) IS 'Final function of js_divergence(value, baseline).';
COMMENT ON FUNCTION ethaudit.baseline_hellinger_final(ethaudit.baseline) IS 'Final function of hellinger(value, baseline).';
COMMENT ON FUNCTION ethaudit.baseline_ks_final(ethaudit.baseline) IS 'Final function of ks_stat(value, baseline): the lower bound.';
COMMENT ON FUNCTION ethaudit.baseline_ks_bounds_final(ethaudit.baseline) IS 'Final function of ks_bounds(value, baseline).';

CREATE AGGREGATE ethaudit.baseline(value double precision, edges double precision[]) (
    SFUNC = ethaudit.baseline_edges_trans, STYPE = ethaudit.baseline,
    FINALFUNC = ethaudit.baseline_state_final, FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = ethaudit.baseline_combine,
    MSFUNC = ethaudit.baseline_edges_trans, MINVFUNC = ethaudit.baseline_edges_inv,
    MSTYPE = ethaudit.baseline, MFINALFUNC = ethaudit.baseline_state_final,
    MFINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
CREATE AGGREGATE ethaudit.baseline(value text) (
    SFUNC = ethaudit.baseline_text_trans, STYPE = ethaudit.baseline,
    FINALFUNC = ethaudit.baseline_state_final, FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = ethaudit.baseline_combine,
    MSFUNC = ethaudit.baseline_text_trans, MINVFUNC = ethaudit.baseline_text_inv,
    MSTYPE = ethaudit.baseline, MFINALFUNC = ethaudit.baseline_state_final,
    MFINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
CREATE AGGREGATE ethaudit.baseline(value double precision, reference ethaudit.baseline) (
    SFUNC = ethaudit.baseline_like_trans, STYPE = ethaudit.baseline,
    FINALFUNC = ethaudit.baseline_state_final, FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = ethaudit.baseline_combine,
    MSFUNC = ethaudit.baseline_like_trans, MINVFUNC = ethaudit.baseline_like_inv,
    MSTYPE = ethaudit.baseline, MFINALFUNC = ethaudit.baseline_state_final,
    MFINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
CREATE AGGREGATE ethaudit.baseline(value text, reference ethaudit.baseline) (
    SFUNC = ethaudit.baseline_like_trans, STYPE = ethaudit.baseline,
    FINALFUNC = ethaudit.baseline_state_final, FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = ethaudit.baseline_combine,
    MSFUNC = ethaudit.baseline_like_trans, MINVFUNC = ethaudit.baseline_like_inv,
    MSTYPE = ethaudit.baseline, MFINALFUNC = ethaudit.baseline_state_final,
    MFINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
CREATE AGGREGATE ethaudit.merge(state ethaudit.baseline) (
    SFUNC = ethaudit.baseline_combine, STYPE = ethaudit.baseline,
    FINALFUNC = ethaudit.baseline_state_final, FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = ethaudit.baseline_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE ethaudit.baseline(double precision, double precision[]) IS
'Baseline of a numeric column over the given inner edges (right-closed bins); one pass, constant memory.';
COMMENT ON AGGREGATE ethaudit.baseline(text) IS
'Baseline of a categorical column: counts per category.';
COMMENT ON AGGREGATE ethaudit.baseline(double precision, ethaudit.baseline) IS
'The current rows counted over a reference baseline''s bins: a state to store (e.g. per hour) and merge later.';
COMMENT ON AGGREGATE ethaudit.baseline(text, ethaudit.baseline) IS
'The current rows counted per category, to store and merge later and compare with a categorical reference.';
COMMENT ON AGGREGATE ethaudit.merge(ethaudit.baseline) IS
'Merges baselines counted over the same bins (rollup of stored states); equals one pass over all their rows.';

-- metrics against a stored baseline: one pass, constant memory, moving frames in O(1)
CREATE AGGREGATE ethaudit.psi(value double precision, reference ethaudit.baseline) (
    SFUNC = ethaudit.baseline_compare_trans, STYPE = ethaudit.baseline,
    FINALFUNC = ethaudit.baseline_psi_final, FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = ethaudit.baseline_combine,
    MSFUNC = ethaudit.baseline_compare_trans, MINVFUNC = ethaudit.baseline_compare_inv,
    MSTYPE = ethaudit.baseline, MFINALFUNC = ethaudit.baseline_psi_final,
    MFINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
CREATE AGGREGATE ethaudit.psi(value text, reference ethaudit.baseline) (
    SFUNC = ethaudit.baseline_compare_trans, STYPE = ethaudit.baseline,
    FINALFUNC = ethaudit.baseline_psi_final, FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = ethaudit.baseline_combine,
    MSFUNC = ethaudit.baseline_compare_trans, MINVFUNC = ethaudit.baseline_compare_inv,
    MSTYPE = ethaudit.baseline, MFINALFUNC = ethaudit.baseline_psi_final,
    MFINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
CREATE AGGREGATE ethaudit.js_divergence(value double precision, reference ethaudit.baseline) (
    SFUNC = ethaudit.baseline_compare_trans, STYPE = ethaudit.baseline,
    FINALFUNC = ethaudit.baseline_js_final, FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = ethaudit.baseline_combine,
    MSFUNC = ethaudit.baseline_compare_trans, MINVFUNC = ethaudit.baseline_compare_inv,
    MSTYPE = ethaudit.baseline, MFINALFUNC = ethaudit.baseline_js_final,
    MFINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
CREATE AGGREGATE ethaudit.js_divergence(value text, reference ethaudit.baseline) (
    SFUNC = ethaudit.baseline_compare_trans, STYPE = ethaudit.baseline,
    FINALFUNC = ethaudit.baseline_js_final, FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = ethaudit.baseline_combine,
    MSFUNC = ethaudit.baseline_compare_trans, MINVFUNC = ethaudit.baseline_compare_inv,
    MSTYPE = ethaudit.baseline, MFINALFUNC = ethaudit.baseline_js_final,
    MFINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
CREATE AGGREGATE ethaudit.hellinger(value double precision, reference ethaudit.baseline) (
    SFUNC = ethaudit.baseline_compare_trans, STYPE = ethaudit.baseline,
    FINALFUNC = ethaudit.baseline_hellinger_final, FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = ethaudit.baseline_combine,
    MSFUNC = ethaudit.baseline_compare_trans, MINVFUNC = ethaudit.baseline_compare_inv,
    MSTYPE = ethaudit.baseline, MFINALFUNC = ethaudit.baseline_hellinger_final,
    MFINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
CREATE AGGREGATE ethaudit.ks_stat(value double precision, reference ethaudit.baseline) (
    SFUNC = ethaudit.baseline_compare_trans, STYPE = ethaudit.baseline,
    FINALFUNC = ethaudit.baseline_ks_final, FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = ethaudit.baseline_combine,
    MSFUNC = ethaudit.baseline_compare_trans, MINVFUNC = ethaudit.baseline_compare_inv,
    MSTYPE = ethaudit.baseline, MFINALFUNC = ethaudit.baseline_ks_final,
    MFINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
CREATE AGGREGATE ethaudit.ks_bounds(value double precision, reference ethaudit.baseline) (
    SFUNC = ethaudit.baseline_compare_trans, STYPE = ethaudit.baseline,
    FINALFUNC = ethaudit.baseline_ks_bounds_final, FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = ethaudit.baseline_combine,
    MSFUNC = ethaudit.baseline_compare_trans, MINVFUNC = ethaudit.baseline_compare_inv,
    MSTYPE = ethaudit.baseline, MFINALFUNC = ethaudit.baseline_ks_bounds_final,
    MFINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE ethaudit.psi(double precision, ethaudit.baseline) IS
'PSI of the current rows against a stored baseline, over its bins; equals psi(value, is_reference) when the baseline was built from the reference rows.';
COMMENT ON AGGREGATE ethaudit.psi(text, ethaudit.baseline) IS
'PSI of current categories against a stored categorical baseline.';
COMMENT ON AGGREGATE ethaudit.js_divergence(double precision, ethaudit.baseline) IS
'Jensen-Shannon divergence (base 2) of the current rows against a stored baseline.';
COMMENT ON AGGREGATE ethaudit.js_divergence(text, ethaudit.baseline) IS
'Jensen-Shannon divergence (base 2) of current categories against a stored categorical baseline.';
COMMENT ON AGGREGATE ethaudit.hellinger(double precision, ethaudit.baseline) IS
'Hellinger distance of the current rows against a stored baseline.';
COMMENT ON AGGREGATE ethaudit.ks_stat(double precision, ethaudit.baseline) IS
'KS statistic at the baseline''s bin edges: a lower bound on the exact D (see ks_bounds).';
COMMENT ON AGGREGATE ethaudit.ks_bounds(double precision, ethaudit.baseline) IS
'Lower and upper bound on the exact KS statistic when the reference is known only by its bins.';

-- comparisons of two stored baselines over the same bins
CREATE FUNCTION ethaudit.psi(reference ethaudit.baseline, current ethaudit.baseline) RETURNS double precision
AS 'MODULE_PATHNAME', 'baseline_psi' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ethaudit.js_divergence(reference ethaudit.baseline, current ethaudit.baseline) RETURNS double precision
AS 'MODULE_PATHNAME', 'baseline_js' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ethaudit.hellinger(reference ethaudit.baseline, current ethaudit.baseline) RETURNS double precision
AS 'MODULE_PATHNAME', 'baseline_hellinger' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ethaudit.ks_stat(reference ethaudit.baseline, current ethaudit.baseline) RETURNS double precision
AS 'MODULE_PATHNAME', 'baseline_ks' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ethaudit.ks_bounds(reference ethaudit.baseline, current ethaudit.baseline) RETURNS ethaudit.ks_bounds
AS 'MODULE_PATHNAME', 'baseline_ks_bounds' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ethaudit.psi(ethaudit.baseline, ethaudit.baseline) IS 'PSI of two stored baselines over the same bins.';
COMMENT ON FUNCTION ethaudit.js_divergence(ethaudit.baseline, ethaudit.baseline) IS 'Jensen-Shannon divergence (base 2) of two stored baselines over the same bins.';
COMMENT ON FUNCTION ethaudit.hellinger(ethaudit.baseline, ethaudit.baseline) IS 'Hellinger distance of two stored baselines over the same bins.';
COMMENT ON FUNCTION ethaudit.ks_stat(ethaudit.baseline, ethaudit.baseline) IS 'KS statistic of two numeric baselines at their shared edges (a lower bound on the exact D).';
COMMENT ON FUNCTION ethaudit.ks_bounds(ethaudit.baseline, ethaudit.baseline) IS 'Bounds on the exact KS statistic of two numeric baselines over the same bins.';
