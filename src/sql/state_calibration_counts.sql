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
