-- ====================================================================
-- Fairness and classification: aggregates over per-group confusion counts
-- (TP, FN, FP, TN per group).  Gaps compare groups; the pooled rates and
-- scores treat all rows as one group, so GROUP BY gives per-group tables.
-- ====================================================================

CREATE FUNCTION ethaudit.confusion_trans(internal, boolean, boolean, text)
RETURNS internal
AS 'MODULE_PATHNAME', 'confusion_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.confusion_trans_min(internal, boolean, boolean, text, integer)
RETURNS internal
AS 'MODULE_PATHNAME', 'confusion_trans_min'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.confusion_trans_report(internal, boolean, boolean, text)
RETURNS internal
AS 'MODULE_PATHNAME', 'confusion_trans_report'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.confusion_trans_report_min(internal, boolean, boolean, text, integer)
RETURNS internal
AS 'MODULE_PATHNAME', 'confusion_trans_report_min'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.confusion_trans_selection(internal, boolean, text)
RETURNS internal
AS 'MODULE_PATHNAME', 'confusion_trans_selection'
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
COMMENT ON FUNCTION ethaudit.confusion_trans_report(internal, boolean, boolean, text) IS
'Transition function of group_report(y_true, y_pred, grp).';
COMMENT ON FUNCTION ethaudit.confusion_trans_report_min(internal, boolean, boolean, text, integer) IS
'Transition function of group_report(y_true, y_pred, grp, min_size).';
COMMENT ON FUNCTION ethaudit.confusion_trans_selection(internal, boolean, text) IS
'Transition function of the selection-rate aggregates: predictions per group, no labels.';
COMMENT ON FUNCTION ethaudit.confusion_combine(internal, internal) IS
'Combine function of the group fairness aggregates (parallel aggregation).';
COMMENT ON FUNCTION ethaudit.confusion_serialize(internal) IS
'Serializes a group confusion state for parallel workers (versioned format).';
COMMENT ON FUNCTION ethaudit.confusion_deserialize(bytea, internal) IS
'Validates and reads back a serialized group confusion state.';
COMMENT ON FUNCTION ethaudit.group_tpr_gap_final(internal) IS 'Final function of group_tpr_gap.';

CREATE FUNCTION ethaudit.group_fpr_gap_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'group_fpr_gap_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.equalized_odds_gap_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'equalized_odds_gap_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.selection_rate_gap_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'selection_rate_gap_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.selection_rate_ratio_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'selection_rate_ratio_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.group_fpr_gap_final(internal) IS 'Final function of group_fpr_gap.';
COMMENT ON FUNCTION ethaudit.equalized_odds_gap_final(internal) IS 'Final function of equalized_odds_gap.';
COMMENT ON FUNCTION ethaudit.selection_rate_gap_final(internal) IS 'Final function of selection_rate_gap.';
COMMENT ON FUNCTION ethaudit.selection_rate_ratio_final(internal) IS 'Final function of selection_rate_ratio.';

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

CREATE FUNCTION ethaudit.group_report_final(internal)
RETURNS ethaudit.group_metrics[]
AS 'MODULE_PATHNAME', 'group_report_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ethaudit.group_report_final(internal) IS 'Final function of group_report.';

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

CREATE AGGREGATE ethaudit.group_fpr_gap(y_true boolean, y_pred boolean, grp text) (
    SFUNC = ethaudit.confusion_trans,
    STYPE = internal,
    FINALFUNC = ethaudit.group_fpr_gap_final,
    COMBINEFUNC = ethaudit.confusion_combine,
    SERIALFUNC = ethaudit.confusion_serialize,
    DESERIALFUNC = ethaudit.confusion_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.equalized_odds_gap(y_true boolean, y_pred boolean, grp text) (
    SFUNC = ethaudit.confusion_trans,
    STYPE = internal,
    FINALFUNC = ethaudit.equalized_odds_gap_final,
    COMBINEFUNC = ethaudit.confusion_combine,
    SERIALFUNC = ethaudit.confusion_serialize,
    DESERIALFUNC = ethaudit.confusion_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.selection_rate_gap(y_pred boolean, grp text) (
    SFUNC = ethaudit.confusion_trans_selection,
    STYPE = internal,
    FINALFUNC = ethaudit.selection_rate_gap_final,
    COMBINEFUNC = ethaudit.confusion_combine,
    SERIALFUNC = ethaudit.confusion_serialize,
    DESERIALFUNC = ethaudit.confusion_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.selection_rate_ratio(y_pred boolean, grp text) (
    SFUNC = ethaudit.confusion_trans_selection,
    STYPE = internal,
    FINALFUNC = ethaudit.selection_rate_ratio_final,
    COMBINEFUNC = ethaudit.confusion_combine,
    SERIALFUNC = ethaudit.confusion_serialize,
    DESERIALFUNC = ethaudit.confusion_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.group_report(y_true boolean, y_pred boolean, grp text) (
    SFUNC = ethaudit.confusion_trans_report,
    STYPE = internal,
    FINALFUNC = ethaudit.group_report_final,
    COMBINEFUNC = ethaudit.confusion_combine,
    SERIALFUNC = ethaudit.confusion_serialize,
    DESERIALFUNC = ethaudit.confusion_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.group_report(y_true boolean, y_pred boolean, grp text, min_size integer) (
    SFUNC = ethaudit.confusion_trans_report_min,
    STYPE = internal,
    FINALFUNC = ethaudit.group_report_final,
    COMBINEFUNC = ethaudit.confusion_combine,
    SERIALFUNC = ethaudit.confusion_serialize,
    DESERIALFUNC = ethaudit.confusion_deserialize,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE ethaudit.group_fpr_gap(boolean, boolean, text) IS
'Largest minus smallest false positive rate over groups with at least one negative.';
COMMENT ON AGGREGATE ethaudit.equalized_odds_gap(boolean, boolean, text) IS
'Equalized odds difference: the larger of the TPR gap and the FPR gap between groups.';
COMMENT ON AGGREGATE ethaudit.selection_rate_gap(boolean, text) IS
'Demographic parity difference: largest minus smallest share of positive predictions over groups.';
COMMENT ON AGGREGATE ethaudit.selection_rate_ratio(boolean, text) IS
'Demographic parity ratio: smallest over largest selection rate (the four-fifths rule number).';
COMMENT ON AGGREGATE ethaudit.group_report(boolean, boolean, text) IS
'Per-group counts and rates (TPR, FPR, FNR, selection rate) with Wilson 95% intervals; groups under 30 rows flagged.';
COMMENT ON AGGREGATE ethaudit.group_report(boolean, boolean, text, integer) IS
'Per-group counts and rates with Wilson 95% intervals; groups under min_size rows flagged.';

-- -------- pooled rates: with GROUP BY, the per-group confusion table --------

CREATE FUNCTION ethaudit.confusion_trans_pooled(internal, boolean, boolean)
RETURNS internal
AS 'MODULE_PATHNAME', 'confusion_trans_pooled'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.confusion_trans_selection_pooled(internal, boolean)
RETURNS internal
AS 'MODULE_PATHNAME', 'confusion_trans_selection_pooled'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ethaudit.confusion_trans_selection_pooled(internal, boolean) IS
'Transition function of selection_rate(y_pred): predictions of all rows, no labels.';

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

CREATE FUNCTION ethaudit.precision_score_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'precision_score_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.accuracy_score_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'accuracy_score_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.f1_score_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'f1_score_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.selection_rate_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'selection_rate_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.precision_score_final(internal) IS 'Final function of precision_score.';
COMMENT ON FUNCTION ethaudit.accuracy_score_final(internal) IS 'Final function of accuracy_score.';
COMMENT ON FUNCTION ethaudit.f1_score_final(internal) IS 'Final function of f1_score.';
COMMENT ON FUNCTION ethaudit.selection_rate_final(internal) IS 'Final function of selection_rate.';

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

CREATE AGGREGATE ethaudit.recall_score(y_true boolean, y_pred boolean) (
    SFUNC = ethaudit.confusion_trans_pooled,
    STYPE = internal,
    FINALFUNC = ethaudit.true_positive_rate_final,
    COMBINEFUNC = ethaudit.confusion_combine,
    SERIALFUNC = ethaudit.confusion_serialize,
    DESERIALFUNC = ethaudit.confusion_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.precision_score(y_true boolean, y_pred boolean) (
    SFUNC = ethaudit.confusion_trans_pooled,
    STYPE = internal,
    FINALFUNC = ethaudit.precision_score_final,
    COMBINEFUNC = ethaudit.confusion_combine,
    SERIALFUNC = ethaudit.confusion_serialize,
    DESERIALFUNC = ethaudit.confusion_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.accuracy_score(y_true boolean, y_pred boolean) (
    SFUNC = ethaudit.confusion_trans_pooled,
    STYPE = internal,
    FINALFUNC = ethaudit.accuracy_score_final,
    COMBINEFUNC = ethaudit.confusion_combine,
    SERIALFUNC = ethaudit.confusion_serialize,
    DESERIALFUNC = ethaudit.confusion_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.f1_score(y_true boolean, y_pred boolean) (
    SFUNC = ethaudit.confusion_trans_pooled,
    STYPE = internal,
    FINALFUNC = ethaudit.f1_score_final,
    COMBINEFUNC = ethaudit.confusion_combine,
    SERIALFUNC = ethaudit.confusion_serialize,
    DESERIALFUNC = ethaudit.confusion_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.selection_rate(y_pred boolean) (
    SFUNC = ethaudit.confusion_trans_selection_pooled,
    STYPE = internal,
    FINALFUNC = ethaudit.selection_rate_final,
    COMBINEFUNC = ethaudit.confusion_combine,
    SERIALFUNC = ethaudit.confusion_serialize,
    DESERIALFUNC = ethaudit.confusion_deserialize,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE ethaudit.recall_score(boolean, boolean) IS
'Recall TP / (TP + FN), the true positive rate; NULL without positives.';
COMMENT ON AGGREGATE ethaudit.precision_score(boolean, boolean) IS
'Precision TP / (TP + FP); NULL without positive predictions.';
COMMENT ON AGGREGATE ethaudit.accuracy_score(boolean, boolean) IS
'Accuracy (TP + TN) / n.';
COMMENT ON AGGREGATE ethaudit.f1_score(boolean, boolean) IS
'F1 score 2 TP / (2 TP + FP + FN); NULL when TP, FP and FN are all 0.';
COMMENT ON AGGREGATE ethaudit.selection_rate(boolean) IS
'Share of positive predictions.';
