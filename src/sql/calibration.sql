-- ====================================================================
-- Calibration: ece, max_calibration_error, and per group
-- calibration_by_group and ece_gap
-- ====================================================================

CREATE TYPE ethaudit.calibration_counts;

CREATE FUNCTION ethaudit.calibration_counts_in(cstring) RETURNS ethaudit.calibration_counts
AS 'MODULE_PATHNAME', 'calibration_counts_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ethaudit.calibration_counts_out(ethaudit.calibration_counts) RETURNS cstring
AS 'MODULE_PATHNAME', 'calibration_counts_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ethaudit.calibration_counts_recv(internal) RETURNS ethaudit.calibration_counts
AS 'MODULE_PATHNAME', 'calibration_counts_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ethaudit.calibration_counts_send(ethaudit.calibration_counts) RETURNS bytea
AS 'MODULE_PATHNAME', 'calibration_counts_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE ethaudit.calibration_counts (
    INPUT = ethaudit.calibration_counts_in,
    OUTPUT = ethaudit.calibration_counts_out,
    RECEIVE = ethaudit.calibration_counts_recv,
    SEND = ethaudit.calibration_counts_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE ethaudit.calibration_counts IS
'Per calibration bin: rows, positives and the exact sum of predicted probabilities; the state of ece and max_calibration_error, storable and mergeable. Text form: JSON.';
COMMENT ON FUNCTION ethaudit.calibration_counts_in(cstring) IS 'Input function of ethaudit.calibration_counts (JSON).';
COMMENT ON FUNCTION ethaudit.calibration_counts_out(ethaudit.calibration_counts) IS 'Output function of ethaudit.calibration_counts (JSON).';
COMMENT ON FUNCTION ethaudit.calibration_counts_recv(internal) IS 'Binary input function of ethaudit.calibration_counts (validated).';
COMMENT ON FUNCTION ethaudit.calibration_counts_send(ethaudit.calibration_counts) IS 'Binary output function of ethaudit.calibration_counts.';

CREATE FUNCTION ethaudit.calibration_trans(ethaudit.calibration_counts, boolean, double precision)
RETURNS ethaudit.calibration_counts
AS 'MODULE_PATHNAME', 'calibration_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.calibration_inv(ethaudit.calibration_counts, boolean, double precision)
RETURNS ethaudit.calibration_counts
AS 'MODULE_PATHNAME', 'calibration_inv'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ethaudit.calibration_inv(ethaudit.calibration_counts, boolean, double precision) IS
'Inverse transition function of the aggregates using calibration_trans, for moving window frames.';

CREATE FUNCTION ethaudit.calibration_trans_bins(ethaudit.calibration_counts, boolean, double precision, integer)
RETURNS ethaudit.calibration_counts
AS 'MODULE_PATHNAME', 'calibration_trans_bins'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.calibration_inv_bins(ethaudit.calibration_counts, boolean, double precision, integer)
RETURNS ethaudit.calibration_counts
AS 'MODULE_PATHNAME', 'calibration_inv_bins'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ethaudit.calibration_inv_bins(ethaudit.calibration_counts, boolean, double precision, integer) IS
'Inverse transition function of the aggregates using calibration_trans_bins, for moving window frames.';

CREATE FUNCTION ethaudit.calibration_combine(ethaudit.calibration_counts, ethaudit.calibration_counts)
RETURNS ethaudit.calibration_counts
AS 'MODULE_PATHNAME', 'calibration_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.ece_final(ethaudit.calibration_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ece_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.calibration_trans(ethaudit.calibration_counts, boolean, double precision) IS
'Transition function of ece: per-bin counts, positives and exact probability sums.';
COMMENT ON FUNCTION ethaudit.calibration_trans_bins(ethaudit.calibration_counts, boolean, double precision, integer) IS
'Transition function of ece(y_true, y_prob, bins).';
COMMENT ON FUNCTION ethaudit.calibration_combine(ethaudit.calibration_counts, ethaudit.calibration_counts) IS
'Adds two calibration counts: the combine function of ece and the transition of merge.';
COMMENT ON FUNCTION ethaudit.ece_final(ethaudit.calibration_counts) IS 'Final function of ece.';

CREATE AGGREGATE ethaudit.ece(y_true boolean, y_prob double precision) (
    SFUNC = ethaudit.calibration_trans,
    STYPE = ethaudit.calibration_counts,
    FINALFUNC = ethaudit.ece_final,
    COMBINEFUNC = ethaudit.calibration_combine,
    FINALFUNC_MODIFY = READ_ONLY,
    MSFUNC = ethaudit.calibration_trans,
    MINVFUNC = ethaudit.calibration_inv,
    MSTYPE = ethaudit.calibration_counts,
    MFINALFUNC = ethaudit.ece_final,
    MFINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.ece(y_true boolean, y_prob double precision, bins integer) (
    SFUNC = ethaudit.calibration_trans_bins,
    STYPE = ethaudit.calibration_counts,
    FINALFUNC = ethaudit.ece_final,
    COMBINEFUNC = ethaudit.calibration_combine,
    FINALFUNC_MODIFY = READ_ONLY,
    MSFUNC = ethaudit.calibration_trans_bins,
    MINVFUNC = ethaudit.calibration_inv_bins,
    MSTYPE = ethaudit.calibration_counts,
    MFINALFUNC = ethaudit.ece_final,
    MFINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE ethaudit.ece(boolean, double precision) IS
'Expected calibration error of predicted probabilities, 10 equal-width bins (sklearn calibration_curve bins).';
COMMENT ON AGGREGATE ethaudit.ece(boolean, double precision, integer) IS
'Expected calibration error with the given number of equal-width bins (1..10000).';

CREATE FUNCTION ethaudit.mce_final(ethaudit.calibration_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'mce_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ethaudit.mce_final(ethaudit.calibration_counts) IS 'Final function of max_calibration_error.';

CREATE AGGREGATE ethaudit.max_calibration_error(y_true boolean, y_prob double precision) (
    SFUNC = ethaudit.calibration_trans,
    STYPE = ethaudit.calibration_counts,
    FINALFUNC = ethaudit.mce_final,
    COMBINEFUNC = ethaudit.calibration_combine,
    FINALFUNC_MODIFY = READ_ONLY,
    MSFUNC = ethaudit.calibration_trans,
    MINVFUNC = ethaudit.calibration_inv,
    MSTYPE = ethaudit.calibration_counts,
    MFINALFUNC = ethaudit.mce_final,
    MFINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.max_calibration_error(y_true boolean, y_prob double precision, bins integer) (
    SFUNC = ethaudit.calibration_trans_bins,
    STYPE = ethaudit.calibration_counts,
    FINALFUNC = ethaudit.mce_final,
    COMBINEFUNC = ethaudit.calibration_combine,
    FINALFUNC_MODIFY = READ_ONLY,
    MSFUNC = ethaudit.calibration_trans_bins,
    MINVFUNC = ethaudit.calibration_inv_bins,
    MSTYPE = ethaudit.calibration_counts,
    MFINALFUNC = ethaudit.mce_final,
    MFINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE ethaudit.max_calibration_error(boolean, double precision) IS
'Maximum calibration error: the largest |mean(y) - mean(p)| over non-empty bins, 10 equal-width bins.';
COMMENT ON AGGREGATE ethaudit.max_calibration_error(boolean, double precision, integer) IS
'Maximum calibration error with the given number of equal-width bins (1..10000).';

-- -------- storable states: build, merge, evaluate --------

CREATE FUNCTION ethaudit.calibration_counts_final(ethaudit.calibration_counts)
RETURNS ethaudit.calibration_counts
AS 'MODULE_PATHNAME', 'calibration_counts_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ethaudit.calibration_counts_final(ethaudit.calibration_counts) IS
'Final function returning the calibration counts state itself.';

CREATE AGGREGATE ethaudit.calibration_counts(y_true boolean, y_prob double precision) (
    SFUNC = ethaudit.calibration_trans, STYPE = ethaudit.calibration_counts,
    FINALFUNC = ethaudit.calibration_counts_final, FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = ethaudit.calibration_combine,
    MSFUNC = ethaudit.calibration_trans, MINVFUNC = ethaudit.calibration_inv,
    MSTYPE = ethaudit.calibration_counts, MFINALFUNC = ethaudit.calibration_counts_final,
    MFINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
CREATE AGGREGATE ethaudit.calibration_counts(y_true boolean, y_prob double precision, bins integer) (
    SFUNC = ethaudit.calibration_trans_bins, STYPE = ethaudit.calibration_counts,
    FINALFUNC = ethaudit.calibration_counts_final, FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = ethaudit.calibration_combine,
    MSFUNC = ethaudit.calibration_trans_bins, MINVFUNC = ethaudit.calibration_inv_bins,
    MSTYPE = ethaudit.calibration_counts, MFINALFUNC = ethaudit.calibration_counts_final,
    MFINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
CREATE AGGREGATE ethaudit.merge(state ethaudit.calibration_counts) (
    SFUNC = ethaudit.calibration_combine, STYPE = ethaudit.calibration_counts,
    FINALFUNC = ethaudit.calibration_counts_final, FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = ethaudit.calibration_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE ethaudit.calibration_counts(boolean, double precision) IS
'Calibration bins (10) as a storable state, to merge later and evaluate with ece(state).';
COMMENT ON AGGREGATE ethaudit.calibration_counts(boolean, double precision, integer) IS
'Calibration bins (the given number) as a storable state.';
COMMENT ON AGGREGATE ethaudit.merge(ethaudit.calibration_counts) IS
'Merges stored calibration counts with the same bins (rollup); equals one pass over all their rows.';

CREATE FUNCTION ethaudit.ece(state ethaudit.calibration_counts) RETURNS double precision
AS 'MODULE_PATHNAME', 'ece_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ethaudit.max_calibration_error(state ethaudit.calibration_counts) RETURNS double precision
AS 'MODULE_PATHNAME', 'mce_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ethaudit.ece(ethaudit.calibration_counts) IS 'Expected calibration error of stored calibration counts.';
COMMENT ON FUNCTION ethaudit.max_calibration_error(ethaudit.calibration_counts) IS 'Maximum calibration error of stored calibration counts.';

-- -------- per group: calibration bins keyed by group --------

CREATE FUNCTION ethaudit.group_calibration_trans(internal, boolean, double precision, text)
RETURNS internal
AS 'MODULE_PATHNAME', 'group_calibration_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.group_calibration_trans_bins(internal, boolean, double precision, text, integer)
RETURNS internal
AS 'MODULE_PATHNAME', 'group_calibration_trans_bins'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.group_calibration_combine(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'group_calibration_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.group_calibration_serialize(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'group_calibration_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION ethaudit.group_calibration_deserialize(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'group_calibration_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION ethaudit.ece_gap_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ece_gap_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE TYPE ethaudit.group_calibration AS (
    grp  text,
    n    bigint,
    ece  double precision,
    mce  double precision
);
COMMENT ON TYPE ethaudit.group_calibration IS
'One group of calibration_by_group: rows, expected and maximum calibration error.';

CREATE FUNCTION ethaudit.calibration_by_group_final(internal)
RETURNS ethaudit.group_calibration[]
AS 'MODULE_PATHNAME', 'calibration_by_group_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.group_calibration_trans(internal, boolean, double precision, text) IS
'Transition function of the per-group calibration aggregates: calibration bins per group.';
COMMENT ON FUNCTION ethaudit.group_calibration_trans_bins(internal, boolean, double precision, text, integer) IS
'Transition function of the per-group calibration aggregates with a bin count.';
COMMENT ON FUNCTION ethaudit.group_calibration_combine(internal, internal) IS
'Combine function of the per-group calibration aggregates (parallel aggregation).';
COMMENT ON FUNCTION ethaudit.group_calibration_serialize(internal) IS
'Serializes a per-group calibration state for parallel workers (versioned format).';
COMMENT ON FUNCTION ethaudit.group_calibration_deserialize(bytea, internal) IS
'Validates and reads back a serialized per-group calibration state.';
COMMENT ON FUNCTION ethaudit.ece_gap_final(internal) IS 'Final function of ece_gap.';
COMMENT ON FUNCTION ethaudit.calibration_by_group_final(internal) IS 'Final function of calibration_by_group.';

CREATE AGGREGATE ethaudit.calibration_by_group(y_true boolean, y_prob double precision, grp text) (
    SFUNC = ethaudit.group_calibration_trans,
    STYPE = internal,
    FINALFUNC = ethaudit.calibration_by_group_final,
    COMBINEFUNC = ethaudit.group_calibration_combine,
    SERIALFUNC = ethaudit.group_calibration_serialize,
    DESERIALFUNC = ethaudit.group_calibration_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.calibration_by_group(y_true boolean, y_prob double precision, grp text, bins integer) (
    SFUNC = ethaudit.group_calibration_trans_bins,
    STYPE = internal,
    FINALFUNC = ethaudit.calibration_by_group_final,
    COMBINEFUNC = ethaudit.group_calibration_combine,
    SERIALFUNC = ethaudit.group_calibration_serialize,
    DESERIALFUNC = ethaudit.group_calibration_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.ece_gap(y_true boolean, y_prob double precision, grp text) (
    SFUNC = ethaudit.group_calibration_trans,
    STYPE = internal,
    FINALFUNC = ethaudit.ece_gap_final,
    COMBINEFUNC = ethaudit.group_calibration_combine,
    SERIALFUNC = ethaudit.group_calibration_serialize,
    DESERIALFUNC = ethaudit.group_calibration_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.ece_gap(y_true boolean, y_prob double precision, grp text, bins integer) (
    SFUNC = ethaudit.group_calibration_trans_bins,
    STYPE = internal,
    FINALFUNC = ethaudit.ece_gap_final,
    COMBINEFUNC = ethaudit.group_calibration_combine,
    SERIALFUNC = ethaudit.group_calibration_serialize,
    DESERIALFUNC = ethaudit.group_calibration_deserialize,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE ethaudit.calibration_by_group(boolean, double precision, text) IS
'ECE and maximum calibration error of each group (10 bins), as an array ordered by group.';
COMMENT ON AGGREGATE ethaudit.calibration_by_group(boolean, double precision, text, integer) IS
'ECE and maximum calibration error of each group with the given number of bins.';
COMMENT ON AGGREGATE ethaudit.ece_gap(boolean, double precision, text) IS
'Largest minus smallest per-group ECE (10 bins); NULL with fewer than two groups.';
COMMENT ON AGGREGATE ethaudit.ece_gap(boolean, double precision, text, integer) IS
'Largest minus smallest per-group ECE with the given number of bins.';
