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
