-- ====================================================================
-- Compensated averages: brier_score, log_loss, mae, rmse
--
-- The state is a compensated sum of per-row losses and its row count.
-- ====================================================================

-- -------- the state: transition, combine, serialization, final functions --------

CREATE FUNCTION ethaudit_internal.brier_trans(internal, boolean, double precision)
RETURNS internal
AS 'MODULE_PATHNAME', 'brier_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.brier_trans(internal, boolean, double precision) IS
'Transition function of brier_score: adds (p - y)^2.';

CREATE FUNCTION ethaudit_internal.log_loss_trans(internal, boolean, double precision)
RETURNS internal
AS 'MODULE_PATHNAME', 'log_loss_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.log_loss_trans(internal, boolean, double precision) IS
'Transition function of log_loss: adds -log of the probability given to the true class.';

CREATE FUNCTION ethaudit_internal.absolute_error_trans(internal, double precision, double precision)
RETURNS internal
AS 'MODULE_PATHNAME', 'absolute_error_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.absolute_error_trans(internal, double precision, double precision) IS
'Transition function of mae: adds |y_true - y_pred|.';

CREATE FUNCTION ethaudit_internal.squared_error_trans(internal, double precision, double precision)
RETURNS internal
AS 'MODULE_PATHNAME', 'squared_error_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.squared_error_trans(internal, double precision, double precision) IS
'Transition function of rmse: adds (y_true - y_pred)^2.';

CREATE FUNCTION ethaudit_internal.average_combine(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'average_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.average_combine(internal, internal) IS
'Combine function of the averaged losses (parallel aggregation).';

CREATE FUNCTION ethaudit_internal.average_serialize(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'average_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.average_serialize(internal) IS
'Serializes an averaged-loss state for parallel workers (versioned format).';

CREATE FUNCTION ethaudit_internal.average_deserialize(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'average_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.average_deserialize(bytea, internal) IS
'Validates and reads back a serialized averaged-loss state.';

CREATE FUNCTION ethaudit_internal.average_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'average_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.average_final(internal) IS 'Final function of the averaged losses: the mean.';

CREATE FUNCTION ethaudit_internal.root_average_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'root_average_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.root_average_final(internal) IS 'Final function of rmse: the root of the mean.';

-- -------- the aggregates --------

INSERT INTO ethaudit_internal.aggregate_states VALUES
    ('average', 'internal', 'compensated sum of per-row losses and the row count');

INSERT INTO ethaudit_internal.aggregates
    (aggregate, arguments, state, transition, inverse, final, comment) VALUES
    ('brier_score', 'y_true boolean, y_prob double precision', 'average',
     'brier_trans', NULL, 'average_final',
     'Brier score: mean squared difference between the predicted probability and the outcome.'),
    ('log_loss', 'y_true boolean, y_prob double precision', 'average',
     'log_loss_trans', NULL, 'average_final',
     'Logistic loss in nats, probabilities clipped to [eps, 1 - eps] with eps = 2.22e-16 (scikit-learn 1.2).'),
    ('mae', 'y_true double precision, y_pred double precision', 'average',
     'absolute_error_trans', NULL, 'average_final',
     'Mean absolute error of regression predictions.'),
    ('rmse', 'y_true double precision, y_pred double precision', 'average',
     'squared_error_trans', NULL, 'root_average_final',
     'Root mean squared error of regression predictions.');

SELECT ethaudit_internal.add_integer_label_forms('average');
SELECT ethaudit_internal.define_aggregates('average');
