-- ====================================================================
-- Performance estimated before labels arrive (CBPE): estimated_accuracy,
-- estimated_precision, estimated_recall, estimated_f1
--
-- The state is the confusion matrix expected from calibrated probabilities
-- alone: per side of the cutoff, the row count and the exact sum of the
-- probabilities.  estimated_roc_auc keeps the probabilities (kept-values
-- state, state_twosample.sql).
-- ====================================================================

-- -------- the state: transition, combine, serialization, final functions --------

CREATE FUNCTION ethaudit_internal.expected_trans(internal, double precision)
RETURNS internal
AS 'MODULE_PATHNAME', 'expected_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.expected_trans(internal, double precision) IS
'Transition function of the estimated performance aggregates: adds a probability to its side of the cutoff 0.5.';

CREATE FUNCTION ethaudit_internal.expected_trans(internal, double precision, double precision)
RETURNS internal
AS 'MODULE_PATHNAME', 'expected_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.expected_trans(internal, double precision, double precision) IS
'Transition function of the estimated performance aggregates with a cutoff: a probability at or above it is predicted positive.';

CREATE FUNCTION ethaudit_internal.expected_combine(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'expected_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.expected_combine(internal, internal) IS
'Combine function of the expected confusion state (parallel aggregation).';

CREATE FUNCTION ethaudit_internal.expected_serialize(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'expected_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.expected_serialize(internal) IS
'Serializes an expected confusion state for parallel workers (versioned format).';

CREATE FUNCTION ethaudit_internal.expected_deserialize(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'expected_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.expected_deserialize(bytea, internal) IS
'Validates and reads back a serialized expected confusion state.';

CREATE FUNCTION ethaudit_internal.estimated_accuracy_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'estimated_accuracy_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.estimated_accuracy_final(internal) IS
'Final function of estimated_accuracy: (E[TP] + E[TN]) / n.';

CREATE FUNCTION ethaudit_internal.estimated_precision_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'estimated_precision_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.estimated_precision_final(internal) IS
'Final function of estimated_precision: E[TP] / (E[TP] + E[FP]).';

CREATE FUNCTION ethaudit_internal.estimated_recall_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'estimated_recall_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.estimated_recall_final(internal) IS
'Final function of estimated_recall: E[TP] / (E[TP] + E[FN]).';

CREATE FUNCTION ethaudit_internal.estimated_f1_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'estimated_f1_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.estimated_f1_final(internal) IS
'Final function of estimated_f1: 2 E[TP] / (2 E[TP] + E[FP] + E[FN]).';

-- -------- the aggregates --------

INSERT INTO ethaudit_internal.aggregate_states VALUES
    ('expected', 'internal', 'expected confusion matrix from calibrated probabilities: per side of the cutoff, the row count and the exact sum of p');

INSERT INTO ethaudit_internal.aggregates
    (aggregate, arguments, state, transition, inverse, final, comment) VALUES
    ('estimated_accuracy', 'y_prob double precision', 'expected',
     'expected_trans', NULL, 'estimated_accuracy_final',
     'Accuracy expected from calibrated probabilities alone, predicted positive at p >= 0.5 (NannyML''s CBPE): the mean of max-side probabilities.'),
    ('estimated_accuracy', 'y_prob double precision, cutoff double precision', 'expected',
     'expected_trans', NULL, 'estimated_accuracy_final',
     'Accuracy expected from calibrated probabilities alone, predicted positive at p >= cutoff (CBPE).'),
    ('estimated_precision', 'y_prob double precision', 'expected',
     'expected_trans', NULL, 'estimated_precision_final',
     'Precision expected from calibrated probabilities alone, predicted positive at p >= 0.5 (CBPE): the mean p of the predicted positives.'),
    ('estimated_precision', 'y_prob double precision, cutoff double precision', 'expected',
     'expected_trans', NULL, 'estimated_precision_final',
     'Precision expected from calibrated probabilities alone, predicted positive at p >= cutoff (CBPE).'),
    ('estimated_recall', 'y_prob double precision', 'expected',
     'expected_trans', NULL, 'estimated_recall_final',
     'Recall expected from calibrated probabilities alone, predicted positive at p >= 0.5 (CBPE).'),
    ('estimated_recall', 'y_prob double precision, cutoff double precision', 'expected',
     'expected_trans', NULL, 'estimated_recall_final',
     'Recall expected from calibrated probabilities alone, predicted positive at p >= cutoff (CBPE).'),
    ('estimated_f1', 'y_prob double precision', 'expected',
     'expected_trans', NULL, 'estimated_f1_final',
     'F1 score expected from calibrated probabilities alone, predicted positive at p >= 0.5 (CBPE).'),
    ('estimated_f1', 'y_prob double precision, cutoff double precision', 'expected',
     'expected_trans', NULL, 'estimated_f1_final',
     'F1 score expected from calibrated probabilities alone, predicted positive at p >= cutoff (CBPE).');

SELECT ethaudit_internal.define_aggregates('expected');
