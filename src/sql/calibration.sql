-- ====================================================================
-- Calibration: ece
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
