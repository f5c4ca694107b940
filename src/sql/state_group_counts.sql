-- ====================================================================
-- Confusion counts per group: fairness gaps, rates and scores
--
-- TP, FN, FP, TN per group.  Gaps compare groups; the pooled rates and
-- scores treat all rows as one group, so GROUP BY gives per-group tables.
-- The state is storable (ethaudit.group_counts): build it, merge it,
-- evaluate it.  null_rate_change counts NULLs of reference and current rows
-- in the same state.
-- ====================================================================

-- -------- the state: transition, combine, serialization, final functions --------

CREATE TYPE ethaudit.group_counts;

CREATE FUNCTION ethaudit_internal.group_counts_in(cstring) RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'group_counts_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.group_counts_in(cstring) IS 'Input function of ethaudit.group_counts (JSON).';

CREATE FUNCTION ethaudit_internal.group_counts_out(ethaudit.group_counts) RETURNS cstring
AS 'MODULE_PATHNAME', 'group_counts_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.group_counts_out(ethaudit.group_counts) IS 'Output function of ethaudit.group_counts (JSON).';

CREATE FUNCTION ethaudit_internal.group_counts_recv(internal) RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'group_counts_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.group_counts_recv(internal) IS 'Binary input function of ethaudit.group_counts (validated).';

CREATE FUNCTION ethaudit_internal.group_counts_send(ethaudit.group_counts) RETURNS bytea
AS 'MODULE_PATHNAME', 'group_counts_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.group_counts_send(ethaudit.group_counts) IS 'Binary output function of ethaudit.group_counts.';

CREATE TYPE ethaudit.group_counts (
    INPUT = ethaudit_internal.group_counts_in,
    OUTPUT = ethaudit_internal.group_counts_out,
    RECEIVE = ethaudit_internal.group_counts_recv,
    SEND = ethaudit_internal.group_counts_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);

COMMENT ON TYPE ethaudit.group_counts IS
'Exact TP, FN, FP, TN per group, with the minimum count option: the state of the fairness aggregates, storable and mergeable. Text form: JSON.';

CREATE FUNCTION ethaudit_internal.confusion_trans(ethaudit.group_counts, boolean, boolean, text)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.confusion_trans(ethaudit.group_counts, boolean, boolean, text) IS
'Transition function of the group fairness aggregates: per-group TP, FN, FP, TN.';

CREATE FUNCTION ethaudit_internal.confusion_inv(ethaudit.group_counts, boolean, boolean, text)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_inv'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.confusion_inv(ethaudit.group_counts, boolean, boolean, text) IS
'Inverse transition function of the aggregates using confusion_trans, for moving window frames.';

CREATE FUNCTION ethaudit_internal.confusion_trans_min(ethaudit.group_counts, boolean, boolean, text, integer)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_trans_min'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.confusion_trans_min(ethaudit.group_counts, boolean, boolean, text, integer) IS
'Transition function of group_tpr_gap(y_true, y_pred, grp, min_positives).';

CREATE FUNCTION ethaudit_internal.confusion_inv_min(ethaudit.group_counts, boolean, boolean, text, integer)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_inv_min'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.confusion_inv_min(ethaudit.group_counts, boolean, boolean, text, integer) IS
'Inverse transition function of the aggregates using confusion_trans_min, for moving window frames.';

CREATE FUNCTION ethaudit_internal.confusion_trans_min_negatives(ethaudit.group_counts, boolean, boolean, text, integer)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_trans_min_negatives'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.confusion_trans_min_negatives(ethaudit.group_counts, boolean, boolean, text, integer) IS
'Transition function of group_fpr_gap(y_true, y_pred, grp, min_negatives).';

CREATE FUNCTION ethaudit_internal.confusion_inv_min_negatives(ethaudit.group_counts, boolean, boolean, text, integer)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_inv_min_negatives'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.confusion_inv_min_negatives(ethaudit.group_counts, boolean, boolean, text, integer) IS
'Inverse transition function of group_fpr_gap(y_true, y_pred, grp, min_negatives), for moving window frames.';

CREATE FUNCTION ethaudit_internal.confusion_trans_min_size(ethaudit.group_counts, boolean, boolean, text, integer)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_trans_min_size'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.confusion_trans_min_size(ethaudit.group_counts, boolean, boolean, text, integer) IS
'Transition function of equalized_odds_gap(y_true, y_pred, grp, min_size).';

CREATE FUNCTION ethaudit_internal.confusion_inv_min_size(ethaudit.group_counts, boolean, boolean, text, integer)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_inv_min_size'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.confusion_inv_min_size(ethaudit.group_counts, boolean, boolean, text, integer) IS
'Inverse transition function of equalized_odds_gap(y_true, y_pred, grp, min_size), for moving window frames.';

CREATE FUNCTION ethaudit_internal.confusion_trans_report(ethaudit.group_counts, boolean, boolean, text)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_trans_report'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.confusion_trans_report(ethaudit.group_counts, boolean, boolean, text) IS
'Transition function of group_report(y_true, y_pred, grp).';

CREATE FUNCTION ethaudit_internal.confusion_inv_report(ethaudit.group_counts, boolean, boolean, text)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_inv_report'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.confusion_inv_report(ethaudit.group_counts, boolean, boolean, text) IS
'Inverse transition function of the aggregates using confusion_trans_report, for moving window frames.';

CREATE FUNCTION ethaudit_internal.confusion_trans_report_min(ethaudit.group_counts, boolean, boolean, text, integer)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_trans_report_min'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.confusion_trans_report_min(ethaudit.group_counts, boolean, boolean, text, integer) IS
'Transition function of group_report(y_true, y_pred, grp, min_size).';

CREATE FUNCTION ethaudit_internal.confusion_inv_report_min(ethaudit.group_counts, boolean, boolean, text, integer)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_inv_report_min'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.confusion_inv_report_min(ethaudit.group_counts, boolean, boolean, text, integer) IS
'Inverse transition function of the aggregates using confusion_trans_report_min, for moving window frames.';

CREATE FUNCTION ethaudit_internal.confusion_trans_selection(ethaudit.group_counts, boolean, text)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_trans_selection'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.confusion_trans_selection(ethaudit.group_counts, boolean, text) IS
'Transition function of the selection-rate aggregates: predictions per group, no labels.';

CREATE FUNCTION ethaudit_internal.confusion_inv_selection(ethaudit.group_counts, boolean, text)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_inv_selection'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.confusion_inv_selection(ethaudit.group_counts, boolean, text) IS
'Inverse transition function of the aggregates using confusion_trans_selection, for moving window frames.';

CREATE FUNCTION ethaudit_internal.confusion_combine(ethaudit.group_counts, ethaudit.group_counts)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.confusion_combine(ethaudit.group_counts, ethaudit.group_counts) IS
'Adds two group counts: the combine function of the fairness aggregates and the transition of merge.';

CREATE FUNCTION ethaudit_internal.group_tpr_gap_final(ethaudit.group_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'group_tpr_gap_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.group_tpr_gap_final(ethaudit.group_counts) IS 'Final function of group_tpr_gap.';

CREATE FUNCTION ethaudit_internal.group_fpr_gap_final(ethaudit.group_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'group_fpr_gap_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.group_fpr_gap_final(ethaudit.group_counts) IS 'Final function of group_fpr_gap.';

CREATE FUNCTION ethaudit_internal.equalized_odds_gap_final(ethaudit.group_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'equalized_odds_gap_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.equalized_odds_gap_final(ethaudit.group_counts) IS 'Final function of equalized_odds_gap.';

CREATE FUNCTION ethaudit_internal.selection_rate_gap_final(ethaudit.group_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'selection_rate_gap_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.selection_rate_gap_final(ethaudit.group_counts) IS 'Final function of selection_rate_gap.';

CREATE FUNCTION ethaudit_internal.selection_rate_ratio_final(ethaudit.group_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'selection_rate_ratio_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.selection_rate_ratio_final(ethaudit.group_counts) IS 'Final function of selection_rate_ratio.';

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

CREATE FUNCTION ethaudit_internal.group_report_final(ethaudit.group_counts)
RETURNS ethaudit.group_metrics[]
AS 'MODULE_PATHNAME', 'group_report_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.group_report_final(ethaudit.group_counts) IS 'Final function of group_report.';

CREATE FUNCTION ethaudit_internal.confusion_trans_pooled(ethaudit.group_counts, boolean, boolean)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_trans_pooled'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.confusion_trans_pooled(ethaudit.group_counts, boolean, boolean) IS
'Transition function of the pooled confusion rates: TP, FN, FP, TN of all rows.';

CREATE FUNCTION ethaudit_internal.confusion_inv_pooled(ethaudit.group_counts, boolean, boolean)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_inv_pooled'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.confusion_inv_pooled(ethaudit.group_counts, boolean, boolean) IS
'Inverse transition function of the aggregates using confusion_trans_pooled, for moving window frames.';

CREATE FUNCTION ethaudit_internal.confusion_trans_selection_pooled(ethaudit.group_counts, boolean)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_trans_selection_pooled'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.confusion_trans_selection_pooled(ethaudit.group_counts, boolean) IS
'Transition function of selection_rate(y_pred): predictions of all rows, no labels.';

CREATE FUNCTION ethaudit_internal.confusion_inv_selection_pooled(ethaudit.group_counts, boolean)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_inv_selection_pooled'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.confusion_inv_selection_pooled(ethaudit.group_counts, boolean) IS
'Inverse transition function of the aggregates using confusion_trans_selection_pooled, for moving window frames.';

CREATE FUNCTION ethaudit_internal.true_positive_rate_final(ethaudit.group_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'true_positive_rate_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.true_positive_rate_final(ethaudit.group_counts) IS 'Final function of true_positive_rate.';

CREATE FUNCTION ethaudit_internal.false_positive_rate_final(ethaudit.group_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'false_positive_rate_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.false_positive_rate_final(ethaudit.group_counts) IS 'Final function of false_positive_rate.';

CREATE FUNCTION ethaudit_internal.false_negative_rate_final(ethaudit.group_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'false_negative_rate_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.false_negative_rate_final(ethaudit.group_counts) IS 'Final function of false_negative_rate.';

CREATE FUNCTION ethaudit_internal.precision_score_final(ethaudit.group_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'precision_score_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.precision_score_final(ethaudit.group_counts) IS 'Final function of precision_score.';

CREATE FUNCTION ethaudit_internal.accuracy_score_final(ethaudit.group_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'accuracy_score_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.accuracy_score_final(ethaudit.group_counts) IS 'Final function of accuracy_score.';

CREATE FUNCTION ethaudit_internal.f1_score_final(ethaudit.group_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'f1_score_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.f1_score_final(ethaudit.group_counts) IS 'Final function of f1_score.';

CREATE FUNCTION ethaudit_internal.selection_rate_final(ethaudit.group_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'selection_rate_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.selection_rate_final(ethaudit.group_counts) IS 'Final function of selection_rate.';

CREATE FUNCTION ethaudit_internal.group_counts_final(ethaudit.group_counts)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'group_counts_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.group_counts_final(ethaudit.group_counts) IS
'Final function returning the group counts state itself.';

CREATE FUNCTION ethaudit.group_tpr_gap(state ethaudit.group_counts) RETURNS double precision
AS 'MODULE_PATHNAME', 'group_tpr_gap_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.group_tpr_gap(ethaudit.group_counts) IS 'TPR gap of stored group counts (the minimum count option they were built with).';

CREATE FUNCTION ethaudit.group_fpr_gap(state ethaudit.group_counts) RETURNS double precision
AS 'MODULE_PATHNAME', 'group_fpr_gap_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.group_fpr_gap(ethaudit.group_counts) IS 'FPR gap of stored group counts.';

CREATE FUNCTION ethaudit.equalized_odds_gap(state ethaudit.group_counts) RETURNS double precision
AS 'MODULE_PATHNAME', 'equalized_odds_gap_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.equalized_odds_gap(ethaudit.group_counts) IS 'Equalized odds difference of stored group counts.';

CREATE FUNCTION ethaudit.selection_rate_gap(state ethaudit.group_counts) RETURNS double precision
AS 'MODULE_PATHNAME', 'selection_rate_gap_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.selection_rate_gap(ethaudit.group_counts) IS 'Demographic parity difference of stored group counts.';

CREATE FUNCTION ethaudit.selection_rate_ratio(state ethaudit.group_counts) RETURNS double precision
AS 'MODULE_PATHNAME', 'selection_rate_ratio_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.selection_rate_ratio(ethaudit.group_counts) IS 'Demographic parity ratio of stored group counts.';

CREATE FUNCTION ethaudit.group_report(state ethaudit.group_counts) RETURNS ethaudit.group_metrics[]
AS 'MODULE_PATHNAME', 'group_report_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.group_report(ethaudit.group_counts) IS 'Per-group report of stored group counts (groups under 30 rows flagged unless built otherwise).';

CREATE FUNCTION ethaudit_internal.null_rate_trans(ethaudit.group_counts, anyelement, boolean)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'null_rate_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.null_rate_trans(ethaudit.group_counts, anyelement, boolean) IS
'Transition function of null_rate_change: NULL and non-NULL counts per sample.';

CREATE FUNCTION ethaudit_internal.null_rate_inv(ethaudit.group_counts, anyelement, boolean)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'null_rate_inv'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.null_rate_inv(ethaudit.group_counts, anyelement, boolean) IS
'Inverse transition function of null_rate_change, for moving window frames.';

CREATE FUNCTION ethaudit_internal.null_rate_change_final(ethaudit.group_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'null_rate_change_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.null_rate_change_final(ethaudit.group_counts) IS 'Final function of null_rate_change.';

-- -------- the aggregates --------

INSERT INTO ethaudit_internal.aggregate_states VALUES
    ('confusion', 'ethaudit.group_counts', 'TP, FN, FP, TN per group (storable)');

INSERT INTO ethaudit_internal.aggregates
    (aggregate, arguments, state, transition, inverse, final, comment) VALUES
    ('group_tpr_gap', 'y_true boolean, y_pred boolean, grp text', 'confusion',
     'confusion_trans', 'confusion_inv', 'group_tpr_gap_final',
     'Equal-opportunity difference: max minus min true positive rate over groups with at least one positive.'),
    ('group_tpr_gap', 'y_true boolean, y_pred boolean, grp text, min_positives integer', 'confusion',
     'confusion_trans_min', 'confusion_inv_min', 'group_tpr_gap_final',
     'Equal-opportunity difference over groups with at least min_positives positives.'),
    ('group_fpr_gap', 'y_true boolean, y_pred boolean, grp text', 'confusion',
     'confusion_trans', 'confusion_inv', 'group_fpr_gap_final',
     'Largest minus smallest false positive rate over groups with at least one negative.'),
    ('group_fpr_gap', 'y_true boolean, y_pred boolean, grp text, min_negatives integer', 'confusion',
     'confusion_trans_min_negatives', 'confusion_inv_min_negatives', 'group_fpr_gap_final',
     'Largest minus smallest false positive rate over groups with at least min_negatives negatives.'),
    ('equalized_odds_gap', 'y_true boolean, y_pred boolean, grp text', 'confusion',
     'confusion_trans', 'confusion_inv', 'equalized_odds_gap_final',
     'Equalized odds difference: the larger of the TPR gap and the FPR gap between groups.'),
    ('equalized_odds_gap', 'y_true boolean, y_pred boolean, grp text, min_size integer', 'confusion',
     'confusion_trans_min_size', 'confusion_inv_min_size', 'equalized_odds_gap_final',
     'Equalized odds difference, the TPR gap over groups with at least min_size positives and the FPR gap over groups with at least min_size negatives.'),
    ('selection_rate_gap', 'y_pred boolean, grp text', 'confusion',
     'confusion_trans_selection', 'confusion_inv_selection', 'selection_rate_gap_final',
     'Demographic parity difference: largest minus smallest share of positive predictions over groups.'),
    ('selection_rate_ratio', 'y_pred boolean, grp text', 'confusion',
     'confusion_trans_selection', 'confusion_inv_selection', 'selection_rate_ratio_final',
     'Demographic parity ratio: smallest over largest selection rate (the four-fifths rule number).'),
    ('group_report', 'y_true boolean, y_pred boolean, grp text', 'confusion',
     'confusion_trans_report', 'confusion_inv_report', 'group_report_final',
     'Per-group counts and rates (TPR, FPR, FNR, selection rate) with Wilson 95% intervals; groups under 30 rows flagged.'),
    ('group_report', 'y_true boolean, y_pred boolean, grp text, min_size integer', 'confusion',
     'confusion_trans_report_min', 'confusion_inv_report_min', 'group_report_final',
     'Per-group counts and rates with Wilson 95% intervals; groups under min_size rows flagged.'),
    ('true_positive_rate', 'y_true boolean, y_pred boolean', 'confusion',
     'confusion_trans_pooled', 'confusion_inv_pooled', 'true_positive_rate_final',
     'True positive rate (recall) TP / (TP + FN); NULL without positives.'),
    ('false_positive_rate', 'y_true boolean, y_pred boolean', 'confusion',
     'confusion_trans_pooled', 'confusion_inv_pooled', 'false_positive_rate_final',
     'False positive rate FP / (FP + TN); NULL without negatives.'),
    ('false_negative_rate', 'y_true boolean, y_pred boolean', 'confusion',
     'confusion_trans_pooled', 'confusion_inv_pooled', 'false_negative_rate_final',
     'False negative rate FN / (FN + TP); NULL without positives.'),
    ('recall_score', 'y_true boolean, y_pred boolean', 'confusion',
     'confusion_trans_pooled', 'confusion_inv_pooled', 'true_positive_rate_final',
     'Recall TP / (TP + FN), the true positive rate; NULL without positives.'),
    ('precision_score', 'y_true boolean, y_pred boolean', 'confusion',
     'confusion_trans_pooled', 'confusion_inv_pooled', 'precision_score_final',
     'Precision TP / (TP + FP); NULL without positive predictions.'),
    ('accuracy_score', 'y_true boolean, y_pred boolean', 'confusion',
     'confusion_trans_pooled', 'confusion_inv_pooled', 'accuracy_score_final',
     'Accuracy (TP + TN) / n.'),
    ('f1_score', 'y_true boolean, y_pred boolean', 'confusion',
     'confusion_trans_pooled', 'confusion_inv_pooled', 'f1_score_final',
     'F1 score 2 TP / (2 TP + FP + FN); NULL when TP, FP and FN are all 0.'),
    ('selection_rate', 'y_pred boolean', 'confusion',
     'confusion_trans_selection_pooled', 'confusion_inv_selection_pooled', 'selection_rate_final',
     'Share of positive predictions.'),
    ('group_counts', 'y_true boolean, y_pred boolean, grp text', 'confusion',
     'confusion_trans', 'confusion_inv', 'group_counts_final',
     'TP, FN, FP, TN per group as a storable state (e.g. one row per hour), to merge later and evaluate with the scalar fairness functions.'),
    ('merge', 'state ethaudit.group_counts', 'confusion',
     'confusion_combine', NULL, 'group_counts_final',
     'Merges stored group counts (rollup); equals one pass over all their rows.'),
    ('null_rate_change', 'value anyelement, is_reference boolean', 'confusion',
     'null_rate_trans', 'null_rate_inv', 'null_rate_change_final',
     'Share of NULL values among current rows minus that among reference rows.');

SELECT ethaudit_internal.add_integer_label_forms('confusion');
SELECT ethaudit_internal.define_aggregates('confusion');
