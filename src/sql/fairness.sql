-- ====================================================================
-- Fairness: group_tpr_gap
-- ====================================================================

CREATE FUNCTION ethaudit.confusion_trans(internal, boolean, boolean, text)
RETURNS internal
AS 'MODULE_PATHNAME', 'confusion_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.confusion_trans_min(internal, boolean, boolean, text, integer)
RETURNS internal
AS 'MODULE_PATHNAME', 'confusion_trans_min'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.confusion_combine(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'confusion_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.confusion_serialize(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'confusion_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION ethaudit.confusion_deserialize(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'confusion_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION ethaudit.group_tpr_gap_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'group_tpr_gap_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.confusion_trans(internal, boolean, boolean, text) IS
'Transition function of the group fairness aggregates: per-group TP, FN, FP, TN.';
COMMENT ON FUNCTION ethaudit.confusion_trans_min(internal, boolean, boolean, text, integer) IS
'Transition function of group_tpr_gap(y_true, y_pred, grp, min_positives).';
COMMENT ON FUNCTION ethaudit.confusion_combine(internal, internal) IS
'Combine function of the group fairness aggregates (parallel aggregation).';
COMMENT ON FUNCTION ethaudit.confusion_serialize(internal) IS
'Serializes a group confusion state for parallel workers (versioned format).';
COMMENT ON FUNCTION ethaudit.confusion_deserialize(bytea, internal) IS
'Validates and reads back a serialized group confusion state.';
COMMENT ON FUNCTION ethaudit.group_tpr_gap_final(internal) IS 'Final function of group_tpr_gap.';

CREATE AGGREGATE ethaudit.group_tpr_gap(y_true boolean, y_pred boolean, grp text) (
    SFUNC = ethaudit.confusion_trans,
    STYPE = internal,
    FINALFUNC = ethaudit.group_tpr_gap_final,
    COMBINEFUNC = ethaudit.confusion_combine,
    SERIALFUNC = ethaudit.confusion_serialize,
    DESERIALFUNC = ethaudit.confusion_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.group_tpr_gap(y_true boolean, y_pred boolean, grp text, min_positives integer) (
    SFUNC = ethaudit.confusion_trans_min,
    STYPE = internal,
    FINALFUNC = ethaudit.group_tpr_gap_final,
    COMBINEFUNC = ethaudit.confusion_combine,
    SERIALFUNC = ethaudit.confusion_serialize,
    DESERIALFUNC = ethaudit.confusion_deserialize,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE ethaudit.group_tpr_gap(boolean, boolean, text) IS
'Equal-opportunity difference: max minus min true positive rate over groups with at least one positive.';
COMMENT ON AGGREGATE ethaudit.group_tpr_gap(boolean, boolean, text, integer) IS
'Equal-opportunity difference over groups with at least min_positives positives.';

-- -------- pooled rates: with GROUP BY, the per-group confusion table --------

CREATE FUNCTION ethaudit.confusion_trans_pooled(internal, boolean, boolean)
RETURNS internal
AS 'MODULE_PATHNAME', 'confusion_trans_pooled'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.true_positive_rate_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'true_positive_rate_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.false_positive_rate_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'false_positive_rate_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.false_negative_rate_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'false_negative_rate_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.confusion_trans_pooled(internal, boolean, boolean) IS
'Transition function of the pooled confusion rates: TP, FN, FP, TN of all rows.';
COMMENT ON FUNCTION ethaudit.true_positive_rate_final(internal) IS 'Final function of true_positive_rate.';
COMMENT ON FUNCTION ethaudit.false_positive_rate_final(internal) IS 'Final function of false_positive_rate.';
COMMENT ON FUNCTION ethaudit.false_negative_rate_final(internal) IS 'Final function of false_negative_rate.';

CREATE AGGREGATE ethaudit.true_positive_rate(y_true boolean, y_pred boolean) (
    SFUNC = ethaudit.confusion_trans_pooled,
    STYPE = internal,
    FINALFUNC = ethaudit.true_positive_rate_final,
    COMBINEFUNC = ethaudit.confusion_combine,
    SERIALFUNC = ethaudit.confusion_serialize,
    DESERIALFUNC = ethaudit.confusion_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.false_positive_rate(y_true boolean, y_pred boolean) (
    SFUNC = ethaudit.confusion_trans_pooled,
    STYPE = internal,
    FINALFUNC = ethaudit.false_positive_rate_final,
    COMBINEFUNC = ethaudit.confusion_combine,
    SERIALFUNC = ethaudit.confusion_serialize,
    DESERIALFUNC = ethaudit.confusion_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.false_negative_rate(y_true boolean, y_pred boolean) (
    SFUNC = ethaudit.confusion_trans_pooled,
    STYPE = internal,
    FINALFUNC = ethaudit.false_negative_rate_final,
    COMBINEFUNC = ethaudit.confusion_combine,
    SERIALFUNC = ethaudit.confusion_serialize,
    DESERIALFUNC = ethaudit.confusion_deserialize,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE ethaudit.true_positive_rate(boolean, boolean) IS
'True positive rate (recall) TP / (TP + FN); NULL without positives.';
COMMENT ON AGGREGATE ethaudit.false_positive_rate(boolean, boolean) IS
'False positive rate FP / (FP + TN); NULL without negatives.';
COMMENT ON AGGREGATE ethaudit.false_negative_rate(boolean, boolean) IS
'False negative rate FN / (FN + TP); NULL without positives.';
