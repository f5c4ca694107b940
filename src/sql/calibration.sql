-- ====================================================================
-- Calibration: ece, max_calibration_error, and per group
-- calibration_by_group and ece_gap
-- ====================================================================

CREATE FUNCTION ethaudit.calibration_trans(internal, boolean, double precision)
RETURNS internal
AS 'MODULE_PATHNAME', 'calibration_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.calibration_trans_bins(internal, boolean, double precision, integer)
RETURNS internal
AS 'MODULE_PATHNAME', 'calibration_trans_bins'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.calibration_combine(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'calibration_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.calibration_serialize(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'calibration_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION ethaudit.calibration_deserialize(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'calibration_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION ethaudit.ece_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ece_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.calibration_trans(internal, boolean, double precision) IS
'Transition function of ece: per-bin counts, positives and exact probability sums.';
COMMENT ON FUNCTION ethaudit.calibration_trans_bins(internal, boolean, double precision, integer) IS
'Transition function of ece(y_true, y_prob, bins).';
COMMENT ON FUNCTION ethaudit.calibration_combine(internal, internal) IS
'Combine function of ece (parallel aggregation).';
COMMENT ON FUNCTION ethaudit.calibration_serialize(internal) IS
'Serializes an ece state for parallel workers (versioned format).';
COMMENT ON FUNCTION ethaudit.calibration_deserialize(bytea, internal) IS
'Validates and reads back a serialized ece state.';
COMMENT ON FUNCTION ethaudit.ece_final(internal) IS 'Final function of ece.';

CREATE AGGREGATE ethaudit.ece(y_true boolean, y_prob double precision) (
    SFUNC = ethaudit.calibration_trans,
    STYPE = internal,
    FINALFUNC = ethaudit.ece_final,
    COMBINEFUNC = ethaudit.calibration_combine,
    SERIALFUNC = ethaudit.calibration_serialize,
    DESERIALFUNC = ethaudit.calibration_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.ece(y_true boolean, y_prob double precision, bins integer) (
    SFUNC = ethaudit.calibration_trans_bins,
    STYPE = internal,
    FINALFUNC = ethaudit.ece_final,
    COMBINEFUNC = ethaudit.calibration_combine,
    SERIALFUNC = ethaudit.calibration_serialize,
    DESERIALFUNC = ethaudit.calibration_deserialize,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE ethaudit.ece(boolean, double precision) IS
'Expected calibration error of predicted probabilities, 10 equal-width bins (sklearn calibration_curve bins).';
COMMENT ON AGGREGATE ethaudit.ece(boolean, double precision, integer) IS
'Expected calibration error with the given number of equal-width bins (1..10000).';

CREATE FUNCTION ethaudit.mce_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'mce_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ethaudit.mce_final(internal) IS 'Final function of max_calibration_error.';

CREATE AGGREGATE ethaudit.max_calibration_error(y_true boolean, y_prob double precision) (
    SFUNC = ethaudit.calibration_trans,
    STYPE = internal,
    FINALFUNC = ethaudit.mce_final,
    COMBINEFUNC = ethaudit.calibration_combine,
    SERIALFUNC = ethaudit.calibration_serialize,
    DESERIALFUNC = ethaudit.calibration_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.max_calibration_error(y_true boolean, y_prob double precision, bins integer) (
    SFUNC = ethaudit.calibration_trans_bins,
    STYPE = internal,
    FINALFUNC = ethaudit.mce_final,
    COMBINEFUNC = ethaudit.calibration_combine,
    SERIALFUNC = ethaudit.calibration_serialize,
    DESERIALFUNC = ethaudit.calibration_deserialize,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE ethaudit.max_calibration_error(boolean, double precision) IS
'Maximum calibration error: the largest |mean(y) - mean(p)| over non-empty bins, 10 equal-width bins.';
COMMENT ON AGGREGATE ethaudit.max_calibration_error(boolean, double precision, integer) IS
'Maximum calibration error with the given number of equal-width bins (1..10000).';

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
