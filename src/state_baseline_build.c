/*
 * state_baseline_build.c - the values of baseline(value [, bins])
 * (internal): a numeric baseline with its edges at exact reference
 * quantiles needs every value once, so this state keeps them (8 bytes
 * each), with the NaN and NULL counts, and becomes an ethaudit.baseline in
 * its final function.
 */
#include "postgres.h"

#include "fmgr.h"

#include "ethaudit.h"
#include "host.h"
#include "state.h"
#include "core/baseline.h"

#define EA_DEFAULT_BASELINE_BINS 10

/* ---------- the descriptor ---------- */

static size_t
build_flat_size(const void *s)
{
	return ea_baseline_build_serialized_size((const EaBaselineBuild *) s);
}

static void
build_flatten(const void *s, unsigned char *buf)
{
	ea_baseline_build_serialize((const EaBaselineBuild *) s, buf);
}

static EaStatus
build_unflatten(void *s, const unsigned char *buf, size_t len, EaMemory mem)
{
	return ea_baseline_build_deserialize((EaBaselineBuild *) s, buf, len, ethaudit_max_values,
										 mem);
}

static EaStatus
build_add_state(void *into, const void *from)
{
	EaBaselineBuild *a = (EaBaselineBuild *) into;
	const EaBaselineBuild *b = (const EaBaselineBuild *) from;

	if (a->values.n + b->values.n > ethaudit_max_values)
		return EA_ELIMIT;
	return ea_baseline_build_combine(a, b);
}

static EaStatus
build_init_like(void *s, const void *like, EaMemory mem)
{
	ea_baseline_build_init((EaBaselineBuild *) s, ((const EaBaselineBuild *) like)->bins, mem);
	return EA_OK;
}

/* parallel workers sort their values, so the leader only merges */
static EaStatus
build_prepare(void *s)
{
	return ea_baseline_build_sort((EaBaselineBuild *) s);
}

const EaStateType ea_baseline_build_state = {
	.name = "baseline",
	.prefix = "baseline_build",
	.state_size = sizeof(EaBaselineBuild),
	.flat_size = build_flat_size,
	.flatten = build_flatten,
	.unflatten = build_unflatten,
	.combine = build_add_state,
	.init_like = build_init_like,
	.prepare = build_prepare,
};

/* baseline_build_combine(state, state) */
PG_FUNCTION_INFO_V1(baseline_build_combine);
Datum
baseline_build_combine(PG_FUNCTION_ARGS)
{
	return ea_internal_combine(fcinfo, &ea_baseline_build_state);
}

/* baseline_build_serialize(state) -> bytea */
PG_FUNCTION_INFO_V1(baseline_build_serialize);
Datum
baseline_build_serialize(PG_FUNCTION_ARGS)
{
	return ea_internal_serialize(fcinfo, &ea_baseline_build_state);
}

/* baseline_build_deserialize(bytea, internal) -> state */
PG_FUNCTION_INFO_V1(baseline_build_deserialize);
Datum
baseline_build_deserialize(PG_FUNCTION_ARGS)
{
	return ea_internal_deserialize(fcinfo, &ea_baseline_build_state);
}

/* ---------- transition functions ---------- */

static Datum
build_add(FunctionCallInfo fcinfo, int bins)
{
	MemoryContext aggctx = ea_agg_context(fcinfo, "baseline");
	EaBaselineBuild *s = PG_ARGISNULL(0) ? NULL : (EaBaselineBuild *) PG_GETARG_POINTER(0);

	if (s == NULL)
	{
		s = MemoryContextAlloc(aggctx, sizeof(EaBaselineBuild));
		ea_baseline_build_init(s, bins, ea_memory(aggctx));
	}
	else if (s->bins != bins)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("baseline: bins must be the same for every row of the aggregate")));
	if (PG_ARGISNULL(1))
		s->nulls++;
	else if (s->values.n >= ethaudit_max_values)
		ea_report(EA_ELIMIT, "baseline");
	else
		ea_check(ea_baseline_build_add(s, PG_GETARG_FLOAT8(1)), "baseline");
	PG_RETURN_POINTER(s);
}

/* baseline_build_trans(state, value): ten bins */
PG_FUNCTION_INFO_V1(baseline_build_trans);
Datum
baseline_build_trans(PG_FUNCTION_ARGS)
{
	return build_add(fcinfo, EA_DEFAULT_BASELINE_BINS);
}

/* baseline_build_trans_bins(state, value, bins) */
PG_FUNCTION_INFO_V1(baseline_build_trans_bins);
Datum
baseline_build_trans_bins(PG_FUNCTION_ARGS)
{
	int			bins = PG_ARGISNULL(2) ? EA_DEFAULT_BASELINE_BINS
		: ea_check_bins(PG_GETARG_INT32(2), 2, "baseline");

	return build_add(fcinfo, bins);
}

/* ---------- the final function ---------- */

/* baseline_build_final(state) -> ethaudit.baseline */
PG_FUNCTION_INFO_V1(baseline_build_final);
Datum
baseline_build_final(PG_FUNCTION_ARGS)
{
	EaBaselineBuild *s;
	EaBaseline	b;

	ea_agg_context(fcinfo, "baseline");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = (EaBaselineBuild *) ea_internal_state(fcinfo);
	ea_check(ea_baseline_build_finish(s, &b, ea_memory(CurrentMemoryContext)), "baseline");
	PG_RETURN_DATUM(ea_expanded_flat(&b, &ea_baseline_state));
}
