/*
 * agg_quality.c - data-quality aggregates: null_rate_change(value anyelement,
 * is_reference).
 *
 * Uses the group confusion counts (ethaudit.group_counts) with every row in
 * one group, the reference flag as "label" and IS NULL as "prediction": TP
 * counts NULLs in the reference, FP NULLs in the current rows.
 */
#include "postgres.h"

#include "fmgr.h"

#include "ethaudit.h"
#include "state_type.h"
#include "core/confusion.h"

static Datum
null_rate_step(FunctionCallInfo fcinfo, int delta)
{
	EaExpanded *e;
	MemoryContext old;
	EaStatus	st;

	/* only the sample flag must be known: NULL values are what is counted */
	if (PG_ARGISNULL(2))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	if (delta < 0 && PG_ARGISNULL(0))
		PG_RETURN_NULL();
	e = ea_group_counts_state(fcinfo, 1);
	old = MemoryContextSwitchTo(e->hdr.eoh_context);
	st = ea_confusion_add((EaConfusion *) e->state, "", 0, PG_GETARG_BOOL(2), PG_ARGISNULL(1),
						  delta, ethaudit_max_groups);
	MemoryContextSwitchTo(old);
	ea_check(st, "null_rate_change");
	PG_RETURN_DATUM(ea_expanded_datum(e));
}

/* null_rate_trans(state, value anyelement, is_reference) */
PG_FUNCTION_INFO_V1(null_rate_trans);
Datum
null_rate_trans(PG_FUNCTION_ARGS)
{
	return null_rate_step(fcinfo, 1);
}

/* null_rate_inv(state, value anyelement, is_reference): moving window frames */
PG_FUNCTION_INFO_V1(null_rate_inv);
Datum
null_rate_inv(PG_FUNCTION_ARGS)
{
	return null_rate_step(fcinfo, -1);
}

/* null_rate_change_final(state): current NULL rate minus reference NULL rate */
PG_FUNCTION_INFO_V1(null_rate_change_final);
Datum
null_rate_change_final(PG_FUNCTION_ARGS)
{
	const EaConfusion *c;
	int64_t		t[EA_CONFUSION_WIDTH];
	int64		nref,
				ncur;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	c = ea_expanded_read(PG_GETARG_DATUM(0), &ea_group_counts_type);
	ea_confusion_totals(c, t);
	nref = t[EA_TP] + t[EA_FN];
	ncur = t[EA_FP] + t[EA_TN];
	if (nref == 0 || ncur == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8((double) t[EA_FP] / (double) ncur - (double) t[EA_TP] / (double) nref);
}
