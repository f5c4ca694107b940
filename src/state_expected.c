/*
 * state_expected.c - the expected confusion state (internal): the
 * confusion matrix a binary classifier is expected to have from its
 * calibrated probabilities alone, for estimated_accuracy,
 * estimated_precision, estimated_recall and estimated_f1 (CBPE).
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/float.h"

#include "host.h"
#include "state.h"
#include "core/expected.h"

/* ---------- the descriptor ---------- */

static size_t
expected_flat_size(const void *s)
{
	return EA_EXPECTED_SERIALIZED_SIZE;
}

static void
expected_flatten(const void *s, unsigned char *buf)
{
	ea_expected_serialize((const EaExpected *) s, buf);
}

static EaStatus
expected_unflatten(void *s, const unsigned char *buf, size_t len, EaMemory mem)
{
	return ea_expected_deserialize((EaExpected *) s, buf, len);
}

static EaStatus
expected_add_state(void *into, const void *from)
{
	return ea_expected_combine((EaExpected *) into, (const EaExpected *) from);
}

static EaStatus
expected_init_like(void *s, const void *like, EaMemory mem)
{
	ea_expected_init((EaExpected *) s, ((const EaExpected *) like)->cutoff);
	return EA_OK;
}

const EaStateType ea_expected_state = {
	.name = "estimated performance aggregate",
	.prefix = "expected",
	.state_size = sizeof(EaExpected),
	.flat_size = expected_flat_size,
	.flatten = expected_flatten,
	.unflatten = expected_unflatten,
	.combine = expected_add_state,
	.mismatch = "cutoff must be the same for every row of the aggregate",
	.init_like = expected_init_like,
};

/* expected_combine(state, state) */
PG_FUNCTION_INFO_V1(expected_combine);
Datum
expected_combine(PG_FUNCTION_ARGS)
{
	return ea_internal_combine(fcinfo, &ea_expected_state);
}

/* expected_serialize(state) -> bytea */
PG_FUNCTION_INFO_V1(expected_serialize);
Datum
expected_serialize(PG_FUNCTION_ARGS)
{
	return ea_internal_serialize(fcinfo, &ea_expected_state);
}

/* expected_deserialize(bytea, internal) -> state */
PG_FUNCTION_INFO_V1(expected_deserialize);
Datum
expected_deserialize(PG_FUNCTION_ARGS)
{
	return ea_internal_deserialize(fcinfo, &ea_expected_state);
}

/* ---------- transition functions ---------- */

/*
 * expected_trans(state, y_prob [, cutoff]): a row with a NULL probability
 * (or a NULL cutoff) is skipped; the cutoff must be in [0, 1] and the same
 * for every row.
 */
PG_FUNCTION_INFO_V1(expected_trans);
Datum
expected_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = ea_agg_context(fcinfo, "expected_trans");
	EaExpected *e = PG_ARGISNULL(0) ? NULL : (EaExpected *) PG_GETARG_POINTER(0);
	double		cutoff = EA_DEFAULT_CUTOFF;
	double		p;

	if (PG_ARGISNULL(1) || (PG_NARGS() > 2 && PG_ARGISNULL(2)))
	{
		if (e == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(e);
	}
	p = PG_GETARG_FLOAT8(1);
	ea_check_probability(p, "estimated performance");
	if (PG_NARGS() > 2)
	{
		cutoff = PG_GETARG_FLOAT8(2);
		if (!(cutoff >= 0.0 && cutoff <= 1.0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cutoff must be between 0 and 1, got %s", float8out_internal(cutoff))));
	}
	if (e == NULL)
	{
		e = MemoryContextAlloc(aggctx, sizeof(EaExpected));
		ea_expected_init(e, cutoff);
	}
	else if (e->cutoff != cutoff)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s", ea_expected_state.mismatch)));
	ea_expected_add(e, p);
	PG_RETURN_POINTER(e);
}

/* ---------- final functions ---------- */

static Datum
expected_final(FunctionCallInfo fcinfo, double (*estimate) (const EaExpected *, int *))
{
	double		v;
	int			defined;

	ea_agg_context(fcinfo, "expected_final");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	v = estimate((const EaExpected *) PG_GETARG_POINTER(0), &defined);
	if (!defined)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(v);
}

/* estimated_accuracy_final(state) */
PG_FUNCTION_INFO_V1(estimated_accuracy_final);
Datum
estimated_accuracy_final(PG_FUNCTION_ARGS)
{
	return expected_final(fcinfo, ea_expected_accuracy);
}

/* estimated_precision_final(state) */
PG_FUNCTION_INFO_V1(estimated_precision_final);
Datum
estimated_precision_final(PG_FUNCTION_ARGS)
{
	return expected_final(fcinfo, ea_expected_precision);
}

/* estimated_recall_final(state) */
PG_FUNCTION_INFO_V1(estimated_recall_final);
Datum
estimated_recall_final(PG_FUNCTION_ARGS)
{
	return expected_final(fcinfo, ea_expected_recall);
}

/* estimated_f1_final(state) */
PG_FUNCTION_INFO_V1(estimated_f1_final);
Datum
estimated_f1_final(PG_FUNCTION_ARGS)
{
	return expected_final(fcinfo, ea_expected_f1);
}
