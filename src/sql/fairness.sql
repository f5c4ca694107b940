-- ====================================================================
-- Fairness and classification: aggregates over per-group confusion counts
-- (TP, FN, FP, TN per group).  Gaps compare groups; the pooled rates and
-- scores treat all rows as one group, so GROUP BY gives per-group tables.
-- ====================================================================

CREATE TYPE ethaudit.group_counts;

CREATE FUNCTION ethaudit.group_counts_in(cstring) RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'group_counts_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ethaudit.group_counts_out(ethaudit.group_counts) RETURNS cstring
AS 'MODULE_PATHNAME', 'group_counts_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ethaudit.group_counts_recv(internal) RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'group_counts_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ethaudit.group_counts_send(ethaudit.group_counts) RETURNS bytea
AS 'MODULE_PATHNAME', 'group_counts_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE ethaudit.group_counts (
    INPUT = ethaudit.group_counts_in,
    OUTPUT = ethaudit.group_counts_out,
    RECEIVE = ethaudit.group_counts_recv,
    SEND = ethaudit.group_counts_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE ethaudit.group_counts IS
'Exact TP, FN, FP, TN per group, with the minimum count option: the state of the fairness aggregates, storable and mergeable. Text form: JSON.';
COMMENT ON FUNCTION ethaudit.group_counts_in(cstring) IS 'Input function of ethaudit.group_counts (JSON).';
COMMENT ON FUNCTION ethaudit.group_counts_out(ethaudit.group_counts) IS 'Output function of ethaudit.group_counts (JSON).';
COMMENT ON FUNCTION ethaudit.group_counts_recv(internal) IS 'Binary input function of ethaudit.group_counts (validated).';
COMMENT ON FUNCTION ethaudit.group_counts_send(ethaudit.group_counts) IS 'Binary output function of ethaudit.group_counts.';

CREATE FUNCTION ethaudit.confusion_trans(ethaudit.group_counts, boolean, boolean, text)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.confusion_inv(ethaudit.group_counts, boolean, boolean, text)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_inv'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ethaudit.confusion_inv(ethaudit.group_counts, boolean, boolean, text) IS
'Inverse transition function of the aggregates using confusion_trans, for moving window frames.';

CREATE FUNCTION ethaudit.confusion_trans_min(ethaudit.group_counts, boolean, boolean, text, integer)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_trans_min'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.confusion_inv_min(ethaudit.group_counts, boolean, boolean, text, integer)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_inv_min'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ethaudit.confusion_inv_min(ethaudit.group_counts, boolean, boolean, text, integer) IS
'Inverse transition function of the aggregates using confusion_trans_min, for moving window frames.';

CREATE FUNCTION ethaudit.confusion_trans_report(ethaudit.group_counts, boolean, boolean, text)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_trans_report'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.confusion_inv_report(ethaudit.group_counts, boolean, boolean, text)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_inv_report'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ethaudit.confusion_inv_report(ethaudit.group_counts, boolean, boolean, text) IS
'Inverse transition function of the aggregates using confusion_trans_report, for moving window frames.';

CREATE FUNCTION ethaudit.confusion_trans_report_min(ethaudit.group_counts, boolean, boolean, text, integer)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_trans_report_min'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.confusion_inv_report_min(ethaudit.group_counts, boolean, boolean, text, integer)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_inv_report_min'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ethaudit.confusion_inv_report_min(ethaudit.group_counts, boolean, boolean, text, integer) IS
'Inverse transition function of the aggregates using confusion_trans_report_min, for moving window frames.';

CREATE FUNCTION ethaudit.confusion_trans_selection(ethaudit.group_counts, boolean, text)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_trans_selection'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.confusion_inv_selection(ethaudit.group_counts, boolean, text)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_inv_selection'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ethaudit.confusion_inv_selection(ethaudit.group_counts, boolean, text) IS
'Inverse transition function of the aggregates using confusion_trans_selection, for moving window frames.';

CREATE FUNCTION ethaudit.confusion_combine(ethaudit.group_counts, ethaudit.group_counts)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.group_tpr_gap_final(ethaudit.group_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'group_tpr_gap_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.confusion_trans(ethaudit.group_counts, boolean, boolean, text) IS
'Transition function of the group fairness aggregates: per-group TP, FN, FP, TN.';
COMMENT ON FUNCTION ethaudit.confusion_trans_min(ethaudit.group_counts, boolean, boolean, text, integer) IS
'Transition function of group_tpr_gap(y_true, y_pred, grp, min_positives).';
COMMENT ON FUNCTION ethaudit.confusion_trans_report(ethaudit.group_counts, boolean, boolean, text) IS
'Transition function of group_report(y_true, y_pred, grp).';
COMMENT ON FUNCTION ethaudit.confusion_trans_report_min(ethaudit.group_counts, boolean, boolean, text, integer) IS
'Transition function of group_report(y_true, y_pred, grp, min_size).';
COMMENT ON FUNCTION ethaudit.confusion_trans_selection(ethaudit.group_counts, boolean, text) IS
'Transition function of the selection-rate aggregates: predictions per group, no labels.';
COMMENT ON FUNCTION ethaudit.confusion_combine(ethaudit.group_counts, ethaudit.group_counts) IS
'Adds two group counts: the combine function of the fairness aggregates and the transition of merge.';
COMMENT ON FUNCTION ethaudit.group_tpr_gap_final(ethaudit.group_counts) IS 'Final function of group_tpr_gap.';

CREATE FUNCTION ethaudit.group_fpr_gap_final(ethaudit.group_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'group_fpr_gap_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.equalized_odds_gap_final(ethaudit.group_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'equalized_odds_gap_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.selection_rate_gap_final(ethaudit.group_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'selection_rate_gap_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.selection_rate_ratio_final(ethaudit.group_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'selection_rate_ratio_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.group_fpr_gap_final(ethaudit.group_counts) IS 'Final function of group_fpr_gap.';
COMMENT ON FUNCTION ethaudit.equalized_odds_gap_final(ethaudit.group_counts) IS 'Final function of equalized_odds_gap.';
COMMENT ON FUNCTION ethaudit.selection_rate_gap_final(ethaudit.group_counts) IS 'Final function of selection_rate_gap.';
COMMENT ON FUNCTION ethaudit.selection_rate_ratio_final(ethaudit.group_counts) IS 'Final function of selection_rate_ratio.';

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

CREATE FUNCTION ethaudit.group_report_final(ethaudit.group_counts)
RETURNS ethaudit.group_metrics[]
AS 'MODULE_PATHNAME', 'group_report_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ethaudit.group_report_final(ethaudit.group_counts) IS 'Final function of group_report.';

CREATE AGGREGATE ethaudit.group_tpr_gap(y_true boolean, y_pred boolean, grp text) (
    SFUNC = ethaudit.confusion_trans,
    STYPE = ethaudit.group_counts,
    FINALFUNC = ethaudit.group_tpr_gap_final,
    COMBINEFUNC = ethaudit.confusion_combine,
    FINALFUNC_MODIFY = READ_ONLY,
    MSFUNC = ethaudit.confusion_trans,
    MINVFUNC = ethaudit.confusion_inv,
    MSTYPE = ethaudit.group_counts,
    MFINALFUNC = ethaudit.group_tpr_gap_final,
    MFINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.group_tpr_gap(y_true boolean, y_pred boolean, grp text, min_positives integer) (
    SFUNC = ethaudit.confusion_trans_min,
    STYPE = ethaudit.group_counts,
    FINALFUNC = ethaudit.group_tpr_gap_final,
    COMBINEFUNC = ethaudit.confusion_combine,
    FINALFUNC_MODIFY = READ_ONLY,
    MSFUNC = ethaudit.confusion_trans_min,
    MINVFUNC = ethaudit.confusion_inv_min,
    MSTYPE = ethaudit.group_counts,
    MFINALFUNC = ethaudit.group_tpr_gap_final,
    MFINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE ethaudit.group_tpr_gap(boolean, boolean, text) IS
'Equal-opportunity difference: max minus min true positive rate over groups with at least one positive.';
COMMENT ON AGGREGATE ethaudit.group_tpr_gap(boolean, boolean, text, integer) IS
'Equal-opportunity difference over groups with at least min_positives positives.';

CREATE AGGREGATE ethaudit.group_fpr_gap(y_true boolean, y_pred boolean, grp text) (
    SFUNC = ethaudit.confusion_trans,
    STYPE = ethaudit.group_counts,
    FINALFUNC = ethaudit.group_fpr_gap_final,
    COMBINEFUNC = ethaudit.confusion_combine,
    FINALFUNC_MODIFY = READ_ONLY,
    MSFUNC = ethaudit.confusion_trans,
    MINVFUNC = ethaudit.confusion_inv,
    MSTYPE = ethaudit.group_counts,
    MFINALFUNC = ethaudit.group_fpr_gap_final,
    MFINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.equalized_odds_gap(y_true boolean, y_pred boolean, grp text) (
    SFUNC = ethaudit.confusion_trans,
    STYPE = ethaudit.group_counts,
    FINALFUNC = ethaudit.equalized_odds_gap_final,
    COMBINEFUNC = ethaudit.confusion_combine,
    FINALFUNC_MODIFY = READ_ONLY,
    MSFUNC = ethaudit.confusion_trans,
    MINVFUNC = ethaudit.confusion_inv,
    MSTYPE = ethaudit.group_counts,
    MFINALFUNC = ethaudit.equalized_odds_gap_final,
    MFINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.selection_rate_gap(y_pred boolean, grp text) (
    SFUNC = ethaudit.confusion_trans_selection,
    STYPE = ethaudit.group_counts,
    FINALFUNC = ethaudit.selection_rate_gap_final,
    COMBINEFUNC = ethaudit.confusion_combine,
    FINALFUNC_MODIFY = READ_ONLY,
    MSFUNC = ethaudit.confusion_trans_selection,
    MINVFUNC = ethaudit.confusion_inv_selection,
    MSTYPE = ethaudit.group_counts,
    MFINALFUNC = ethaudit.selection_rate_gap_final,
    MFINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.selection_rate_ratio(y_pred boolean, grp text) (
    SFUNC = ethaudit.confusion_trans_selection,
    STYPE = ethaudit.group_counts,
    FINALFUNC = ethaudit.selection_rate_ratio_final,
    COMBINEFUNC = ethaudit.confusion_combine,
    FINALFUNC_MODIFY = READ_ONLY,
    MSFUNC = ethaudit.confusion_trans_selection,
    MINVFUNC = ethaudit.confusion_inv_selection,
    MSTYPE = ethaudit.group_counts,
    MFINALFUNC = ethaudit.selection_rate_ratio_final,
    MFINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.group_report(y_true boolean, y_pred boolean, grp text) (
    SFUNC = ethaudit.confusion_trans_report,
    STYPE = ethaudit.group_counts,
    FINALFUNC = ethaudit.group_report_final,
    COMBINEFUNC = ethaudit.confusion_combine,
    FINALFUNC_MODIFY = READ_ONLY,
    MSFUNC = ethaudit.confusion_trans_report,
    MINVFUNC = ethaudit.confusion_inv_report,
    MSTYPE = ethaudit.group_counts,
    MFINALFUNC = ethaudit.group_report_final,
    MFINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.group_report(y_true boolean, y_pred boolean, grp text, min_size integer) (
    SFUNC = ethaudit.confusion_trans_report_min,
    STYPE = ethaudit.group_counts,
    FINALFUNC = ethaudit.group_report_final,
    COMBINEFUNC = ethaudit.confusion_combine,
    FINALFUNC_MODIFY = READ_ONLY,
    MSFUNC = ethaudit.confusion_trans_report_min,
    MINVFUNC = ethaudit.confusion_inv_report_min,
    MSTYPE = ethaudit.group_counts,
    MFINALFUNC = ethaudit.group_report_final,
    MFINALFUNC_MODIFY = READ_ONLY,
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

CREATE FUNCTION ethaudit.confusion_trans_pooled(ethaudit.group_counts, boolean, boolean)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_trans_pooled'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.confusion_inv_pooled(ethaudit.group_counts, boolean, boolean)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_inv_pooled'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ethaudit.confusion_inv_pooled(ethaudit.group_counts, boolean, boolean) IS
'Inverse transition function of the aggregates using confusion_trans_pooled, for moving window frames.';

CREATE FUNCTION ethaudit.confusion_trans_selection_pooled(ethaudit.group_counts, boolean)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_trans_selection_pooled'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.confusion_inv_selection_pooled(ethaudit.group_counts, boolean)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_inv_selection_pooled'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ethaudit.confusion_inv_selection_pooled(ethaudit.group_counts, boolean) IS
'Inverse transition function of the aggregates using confusion_trans_selection_pooled, for moving window frames.';
COMMENT ON FUNCTION ethaudit.confusion_trans_selection_pooled(ethaudit.group_counts, boolean) IS
'Transition function of selection_rate(y_pred): predictions of all rows, no labels.';

CREATE FUNCTION ethaudit.true_positive_rate_final(ethaudit.group_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'true_positive_rate_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.false_positive_rate_final(ethaudit.group_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'false_positive_rate_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.false_negative_rate_final(ethaudit.group_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'false_negative_rate_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.confusion_trans_pooled(ethaudit.group_counts, boolean, boolean) IS
'Transition function of the pooled confusion rates: TP, FN, FP, TN of all rows.';
COMMENT ON FUNCTION ethaudit.true_positive_rate_final(ethaudit.group_counts) IS 'Final function of true_positive_rate.';
COMMENT ON FUNCTION ethaudit.false_positive_rate_final(ethaudit.group_counts) IS 'Final function of false_positive_rate.';
COMMENT ON FUNCTION ethaudit.false_negative_rate_final(ethaudit.group_counts) IS 'Final function of false_negative_rate.';

CREATE FUNCTION ethaudit.precision_score_final(ethaudit.group_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'precision_score_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.accuracy_score_final(ethaudit.group_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'accuracy_score_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.f1_score_final(ethaudit.group_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'f1_score_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.selection_rate_final(ethaudit.group_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'selection_rate_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.precision_score_final(ethaudit.group_counts) IS 'Final function of precision_score.';
COMMENT ON FUNCTION ethaudit.accuracy_score_final(ethaudit.group_counts) IS 'Final function of accuracy_score.';
COMMENT ON FUNCTION ethaudit.f1_score_final(ethaudit.group_counts) IS 'Final function of f1_score.';
COMMENT ON FUNCTION ethaudit.selection_rate_final(ethaudit.group_counts) IS 'Final function of selection_rate.';

CREATE AGGREGATE ethaudit.true_positive_rate(y_true boolean, y_pred boolean) (
    SFUNC = ethaudit.confusion_trans_pooled,
    STYPE = ethaudit.group_counts,
    FINALFUNC = ethaudit.true_positive_rate_final,
    COMBINEFUNC = ethaudit.confusion_combine,
    FINALFUNC_MODIFY = READ_ONLY,
    MSFUNC = ethaudit.confusion_trans_pooled,
    MINVFUNC = ethaudit.confusion_inv_pooled,
    MSTYPE = ethaudit.group_counts,
    MFINALFUNC = ethaudit.true_positive_rate_final,
    MFINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.false_positive_rate(y_true boolean, y_pred boolean) (
    SFUNC = ethaudit.confusion_trans_pooled,
    STYPE = ethaudit.group_counts,
    FINALFUNC = ethaudit.false_positive_rate_final,
    COMBINEFUNC = ethaudit.confusion_combine,
    FINALFUNC_MODIFY = READ_ONLY,
    MSFUNC = ethaudit.confusion_trans_pooled,
    MINVFUNC = ethaudit.confusion_inv_pooled,
    MSTYPE = ethaudit.group_counts,
    MFINALFUNC = ethaudit.false_positive_rate_final,
    MFINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.false_negative_rate(y_true boolean, y_pred boolean) (
    SFUNC = ethaudit.confusion_trans_pooled,
    STYPE = ethaudit.group_counts,
    FINALFUNC = ethaudit.false_negative_rate_final,
    COMBINEFUNC = ethaudit.confusion_combine,
    FINALFUNC_MODIFY = READ_ONLY,
    MSFUNC = ethaudit.confusion_trans_pooled,
    MINVFUNC = ethaudit.confusion_inv_pooled,
    MSTYPE = ethaudit.group_counts,
    MFINALFUNC = ethaudit.false_negative_rate_final,
    MFINALFUNC_MODIFY = READ_ONLY,
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
    STYPE = ethaudit.group_counts,
    FINALFUNC = ethaudit.true_positive_rate_final,
    COMBINEFUNC = ethaudit.confusion_combine,
    FINALFUNC_MODIFY = READ_ONLY,
    MSFUNC = ethaudit.confusion_trans_pooled,
    MINVFUNC = ethaudit.confusion_inv_pooled,
    MSTYPE = ethaudit.group_counts,
    MFINALFUNC = ethaudit.true_positive_rate_final,
    MFINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.precision_score(y_true boolean, y_pred boolean) (
    SFUNC = ethaudit.confusion_trans_pooled,
    STYPE = ethaudit.group_counts,
    FINALFUNC = ethaudit.precision_score_final,
    COMBINEFUNC = ethaudit.confusion_combine,
    FINALFUNC_MODIFY = READ_ONLY,
    MSFUNC = ethaudit.confusion_trans_pooled,
    MINVFUNC = ethaudit.confusion_inv_pooled,
    MSTYPE = ethaudit.group_counts,
    MFINALFUNC = ethaudit.precision_score_final,
    MFINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.accuracy_score(y_true boolean, y_pred boolean) (
    SFUNC = ethaudit.confusion_trans_pooled,
    STYPE = ethaudit.group_counts,
    FINALFUNC = ethaudit.accuracy_score_final,
    COMBINEFUNC = ethaudit.confusion_combine,
    FINALFUNC_MODIFY = READ_ONLY,
    MSFUNC = ethaudit.confusion_trans_pooled,
    MINVFUNC = ethaudit.confusion_inv_pooled,
    MSTYPE = ethaudit.group_counts,
    MFINALFUNC = ethaudit.accuracy_score_final,
    MFINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.f1_score(y_true boolean, y_pred boolean) (
    SFUNC = ethaudit.confusion_trans_pooled,
    STYPE = ethaudit.group_counts,
    FINALFUNC = ethaudit.f1_score_final,
    COMBINEFUNC = ethaudit.confusion_combine,
    FINALFUNC_MODIFY = READ_ONLY,
    MSFUNC = ethaudit.confusion_trans_pooled,
    MINVFUNC = ethaudit.confusion_inv_pooled,
    MSTYPE = ethaudit.group_counts,
    MFINALFUNC = ethaudit.f1_score_final,
    MFINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.selection_rate(y_pred boolean) (
    SFUNC = ethaudit.confusion_trans_selection_pooled,
    STYPE = ethaudit.group_counts,
    FINALFUNC = ethaudit.selection_rate_final,
    COMBINEFUNC = ethaudit.confusion_combine,
    FINALFUNC_MODIFY = READ_ONLY,
    MSFUNC = ethaudit.confusion_trans_selection_pooled,
    MINVFUNC = ethaudit.confusion_inv_selection_pooled,
    MSTYPE = ethaudit.group_counts,
    MFINALFUNC = ethaudit.selection_rate_final,
    MFINALFUNC_MODIFY = READ_ONLY,
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

-- -------- storable states: build, merge, evaluate --------

CREATE FUNCTION ethaudit.group_counts_final(ethaudit.group_counts)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'group_counts_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ethaudit.group_counts_final(ethaudit.group_counts) IS
'Final function returning the group counts state itself.';

CREATE AGGREGATE ethaudit.group_counts(y_true boolean, y_pred boolean, grp text) (
    SFUNC = ethaudit.confusion_trans,
    STYPE = ethaudit.group_counts,
    FINALFUNC = ethaudit.group_counts_final,
    FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = ethaudit.confusion_combine,
    MSFUNC = ethaudit.confusion_trans,
    MINVFUNC = ethaudit.confusion_inv,
    MSTYPE = ethaudit.group_counts,
    MFINALFUNC = ethaudit.group_counts_final,
    MFINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE ethaudit.group_counts(boolean, boolean, text) IS
'TP, FN, FP, TN per group as a storable state (e.g. one row per hour), to merge later and evaluate with the scalar fairness functions.';

CREATE AGGREGATE ethaudit.merge(state ethaudit.group_counts) (
    SFUNC = ethaudit.confusion_combine,
    STYPE = ethaudit.group_counts,
    FINALFUNC = ethaudit.group_counts_final,
    FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = ethaudit.confusion_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE ethaudit.merge(ethaudit.group_counts) IS
'Merges stored group counts (rollup); equals one pass over all their rows.';

CREATE FUNCTION ethaudit.group_tpr_gap(state ethaudit.group_counts) RETURNS double precision
AS 'MODULE_PATHNAME', 'group_tpr_gap_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ethaudit.group_fpr_gap(state ethaudit.group_counts) RETURNS double precision
AS 'MODULE_PATHNAME', 'group_fpr_gap_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ethaudit.equalized_odds_gap(state ethaudit.group_counts) RETURNS double precision
AS 'MODULE_PATHNAME', 'equalized_odds_gap_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ethaudit.selection_rate_gap(state ethaudit.group_counts) RETURNS double precision
AS 'MODULE_PATHNAME', 'selection_rate_gap_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ethaudit.selection_rate_ratio(state ethaudit.group_counts) RETURNS double precision
AS 'MODULE_PATHNAME', 'selection_rate_ratio_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ethaudit.group_report(state ethaudit.group_counts) RETURNS ethaudit.group_metrics[]
AS 'MODULE_PATHNAME', 'group_report_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ethaudit.group_tpr_gap(ethaudit.group_counts) IS 'TPR gap of stored group counts (the minimum count option they were built with).';
COMMENT ON FUNCTION ethaudit.group_fpr_gap(ethaudit.group_counts) IS 'FPR gap of stored group counts.';
COMMENT ON FUNCTION ethaudit.equalized_odds_gap(ethaudit.group_counts) IS 'Equalized odds difference of stored group counts.';
COMMENT ON FUNCTION ethaudit.selection_rate_gap(ethaudit.group_counts) IS 'Demographic parity difference of stored group counts.';
COMMENT ON FUNCTION ethaudit.selection_rate_ratio(ethaudit.group_counts) IS 'Demographic parity ratio of stored group counts.';
COMMENT ON FUNCTION ethaudit.group_report(ethaudit.group_counts) IS 'Per-group report of stored group counts (groups under 30 rows flagged unless built otherwise).';
