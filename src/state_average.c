/*
 * state_average.c - the averaged-losses state (internal): a row count and a
 * compensated sum, for brier_score and log_loss over probabilities, and mae
 * and rmse over regression predictions.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "utils/float.h"

#include "host.h"
#include "state.h"
#include "core/average.h"

/* ---------- the descriptor ---------- */

static size_t
average_flat_size(const void *s)
{
	return EA_AVERAGE_SERIALIZED_SIZE;
}

static void
average_flatten(const void *s, unsigned char *buf)
{
	ea_average_serialize((const EaAverage *) s, buf);
}

static EaStatus
average_unflatten(void *s, const unsigned char *buf, size_t len, EaMemory mem)
{
	return ea_average_deserialize((EaAverage *) s, buf, len);
}

static EaStatus
average_add_state(void *into, const void *from)
{
	ea_average_combine((EaAverage *) into, (const EaAverage *) from);
	return EA_OK;
}

static EaStatus
average_init_like(void *s, const void *like, EaMemory mem)
{
	memset(s, 0, sizeof(EaAverage));
	return EA_OK;
}

const EaStateType ea_average_state = {
	.name = "loss aggregate",
	.prefix = "average",
	.state_size = sizeof(EaAverage),
	.flat_size = average_flat_size,
	.flatten = average_flatten,
	.unflatten = average_unflatten,
	.combine = average_add_state,
	.init_like = average_init_like,
};

/* average_combine(state, state) */
PG_FUNCTION_INFO_V1(average_combine);
Datum
average_combine(PG_FUNCTION_ARGS)
{
	return ea_internal_combine(fcinfo, &ea_average_state);
}

/* average_serialize(state) -> bytea */
PG_FUNCTION_INFO_V1(average_serialize);
Datum
average_serialize(PG_FUNCTION_ARGS)
{
	return ea_internal_serialize(fcinfo, &ea_average_state);
}

/* average_deserialize(bytea, internal) -> state */
PG_FUNCTION_INFO_V1(average_deserialize);
Datum
average_deserialize(PG_FUNCTION_ARGS)
{
	return ea_internal_deserialize(fcinfo, &ea_average_state);
}

/* ---------- transition functions ---------- */

typedef enum Loss
{
	LOSS_BRIER,
	LOSS_LOG,
	LOSS_ABSOLUTE,
	LOSS_SQUARED
} Loss;

static Datum
average_add(FunctionCallInfo fcinfo, Loss loss, const char *what)
{
	MemoryContext aggctx = ea_agg_context(fcinfo, "average_trans");
	EaAverage  *a = PG_ARGISNULL(0) ? NULL : (EaAverage *) PG_GETARG_POINTER(0);
	double		term;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	if (loss == LOSS_BRIER || loss == LOSS_LOG)
	{
		bool		y = PG_GETARG_BOOL(1);
		double		p = PG_GETARG_FLOAT8(2);

		ea_check_probability(p, what);
		term = loss == LOSS_BRIER ? ea_brier_term(y, p) : ea_log_loss_term(y, p);
	}
	else
	{
		double		y = PG_GETARG_FLOAT8(1);
		double		yhat = PG_GETARG_FLOAT8(2);
		/* finite values whose difference or square overflows give +inf (sklearn) */
		double		e = y - yhat;

		if (!isfinite(y) || !isfinite(yhat))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("%s: values must be finite, got y_true %s and y_pred %s",
							what, float8out_internal(y), float8out_internal(yhat))));
		term = loss == LOSS_ABSOLUTE ? fabs(e) : e * e;
	}
	if (a == NULL)
		a = MemoryContextAllocZero(aggctx, sizeof(EaAverage));
	ea_average_add(a, term);
	PG_RETURN_POINTER(a);
}

/* brier_trans(state, y_true boolean, y_prob float8) */
PG_FUNCTION_INFO_V1(brier_trans);
Datum
brier_trans(PG_FUNCTION_ARGS)
{
	return average_add(fcinfo, LOSS_BRIER, "brier_score");
}

/* log_loss_trans(state, y_true boolean, y_prob float8) */
PG_FUNCTION_INFO_V1(log_loss_trans);
Datum
log_loss_trans(PG_FUNCTION_ARGS)
{
	return average_add(fcinfo, LOSS_LOG, "log_loss");
}

/* absolute_error_trans(state, y_true float8, y_pred float8) */
PG_FUNCTION_INFO_V1(absolute_error_trans);
Datum
absolute_error_trans(PG_FUNCTION_ARGS)
{
	return average_add(fcinfo, LOSS_ABSOLUTE, "mae");
}

/* squared_error_trans(state, y_true float8, y_pred float8) */
PG_FUNCTION_INFO_V1(squared_error_trans);
Datum
squared_error_trans(PG_FUNCTION_ARGS)
{
	return average_add(fcinfo, LOSS_SQUARED, "rmse");
}

/* ---------- final functions ---------- */

/* average_final(state): the mean loss */
PG_FUNCTION_INFO_V1(average_final);
Datum
average_final(PG_FUNCTION_ARGS)
{
	EaAverage  *a;

	ea_agg_context(fcinfo, "average_final");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	a = (EaAverage *) PG_GETARG_POINTER(0);
	if (a->n == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(ea_sum_value(a->sum) / (double) a->n);
}

/* root_average_final(state): the root of the mean loss */
PG_FUNCTION_INFO_V1(root_average_final);
Datum
root_average_final(PG_FUNCTION_ARGS)
{
	EaAverage  *a;

	ea_agg_context(fcinfo, "root_average_final");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	a = (EaAverage *) PG_GETARG_POINTER(0);
	if (a->n == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(sqrt(ea_sum_value(a->sum) / (double) a->n));
}
