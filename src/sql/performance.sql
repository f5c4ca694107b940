-- ====================================================================
-- Model performance: roc_auc over kept scores; brier_score, log_loss, mae
-- and rmse as averages of per-row losses (compensated sums).
-- ====================================================================

CREATE FUNCTION ethaudit.twosample_trans_labeled(internal, boolean, double precision)
RETURNS internal
AS 'MODULE_PATHNAME', 'twosample_trans_labeled'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.roc_auc_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'roc_auc_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.twosample_trans_labeled(internal, boolean, double precision) IS
'Transition function of roc_auc: keeps the scores of positives and of negatives.';
COMMENT ON FUNCTION ethaudit.roc_auc_final(internal) IS 'Final function of roc_auc.';

CREATE AGGREGATE ethaudit.roc_auc(y_true boolean, y_score double precision) (
    SFUNC = ethaudit.twosample_trans_labeled,
    STYPE = internal,
    FINALFUNC = ethaudit.roc_auc_final,
    COMBINEFUNC = ethaudit.twosample_combine,
    SERIALFUNC = ethaudit.twosample_serialize,
    DESERIALFUNC = ethaudit.twosample_deserialize,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE ethaudit.roc_auc(boolean, double precision) IS
'Area under the ROC curve, exact, ties counted half (scikit-learn roc_auc_score).';

CREATE FUNCTION ethaudit.brier_trans(internal, boolean, double precision)
RETURNS internal
AS 'MODULE_PATHNAME', 'brier_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.log_loss_trans(internal, boolean, double precision)
RETURNS internal
AS 'MODULE_PATHNAME', 'log_loss_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.absolute_error_trans(internal, double precision, double precision)
RETURNS internal
AS 'MODULE_PATHNAME', 'absolute_error_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.squared_error_trans(internal, double precision, double precision)
RETURNS internal
AS 'MODULE_PATHNAME', 'squared_error_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.average_combine(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'average_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.average_serialize(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'average_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION ethaudit.average_deserialize(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'average_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION ethaudit.average_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'average_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.root_average_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'root_average_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.brier_trans(internal, boolean, double precision) IS
'Transition function of brier_score: adds (p - y)^2.';
COMMENT ON FUNCTION ethaudit.log_loss_trans(internal, boolean, double precision) IS
'Transition function of log_loss: adds -log of the probability given to the true class.';
COMMENT ON FUNCTION ethaudit.absolute_error_trans(internal, double precision, double precision) IS
'Transition function of mae: adds |y_true - y_pred|.';
COMMENT ON FUNCTION ethaudit.squared_error_trans(internal, double precision, double precision) IS
'Transition function of rmse: adds (y_true - y_pred)^2.';
COMMENT ON FUNCTION ethaudit.average_combine(internal, internal) IS
'Combine function of the averaged losses (parallel aggregation).';
COMMENT ON FUNCTION ethaudit.average_serialize(internal) IS
'Serializes an averaged-loss state for parallel workers (versioned format).';
COMMENT ON FUNCTION ethaudit.average_deserialize(bytea, internal) IS
'Validates and reads back a serialized averaged-loss state.';
COMMENT ON FUNCTION ethaudit.average_final(internal) IS 'Final function of the averaged losses: the mean.';
COMMENT ON FUNCTION ethaudit.root_average_final(internal) IS 'Final function of rmse: the root of the mean.';

CREATE AGGREGATE ethaudit.brier_score(y_true boolean, y_prob double precision) (
    SFUNC = ethaudit.brier_trans,
    STYPE = internal,
    FINALFUNC = ethaudit.average_final,
    COMBINEFUNC = ethaudit.average_combine,
    SERIALFUNC = ethaudit.average_serialize,
    DESERIALFUNC = ethaudit.average_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.log_loss(y_true boolean, y_prob double precision) (
    SFUNC = ethaudit.log_loss_trans,
    STYPE = internal,
    FINALFUNC = ethaudit.average_final,
    COMBINEFUNC = ethaudit.average_combine,
    SERIALFUNC = ethaudit.average_serialize,
    DESERIALFUNC = ethaudit.average_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.mae(y_true double precision, y_pred double precision) (
    SFUNC = ethaudit.absolute_error_trans,
    STYPE = internal,
    FINALFUNC = ethaudit.average_final,
    COMBINEFUNC = ethaudit.average_combine,
    SERIALFUNC = ethaudit.average_serialize,
    DESERIALFUNC = ethaudit.average_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.rmse(y_true double precision, y_pred double precision) (
    SFUNC = ethaudit.squared_error_trans,
    STYPE = internal,
    FINALFUNC = ethaudit.root_average_final,
    COMBINEFUNC = ethaudit.average_combine,
    SERIALFUNC = ethaudit.average_serialize,
    DESERIALFUNC = ethaudit.average_deserialize,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE ethaudit.brier_score(boolean, double precision) IS
'Brier score: mean squared difference between the predicted probability and the outcome.';
COMMENT ON AGGREGATE ethaudit.log_loss(boolean, double precision) IS
'Logistic loss in nats, probabilities clipped to [eps, 1 - eps] with eps = 2.22e-16 (scikit-learn 1.2).';
COMMENT ON AGGREGATE ethaudit.mae(double precision, double precision) IS
'Mean absolute error of regression predictions.';
COMMENT ON AGGREGATE ethaudit.rmse(double precision, double precision) IS
'Root mean squared error of regression predictions.';
