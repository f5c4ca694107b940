/*
 * agg_quality.c - data-quality aggregates: null_rate_change(value anyelement,
 * is_reference).
 *
 * Uses the group confusion counts with every row in one group, the
 * reference flag as "label" and IS NULL as "prediction": TP counts NULLs in
 * the reference, FP NULLs in the current rows.
 */
#include "postgres.h"

#include "fmgr.h"

#include "ethaudit.h"
#include "core/confusion.h"

/* null_rate_trans(state, value anyelement, is_reference) */
PG_FUNCTION_INFO_V1(null_rate_trans);
Datum
null_rate_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = ea_agg_context(fcinfo, "null_rate_trans");
	EaConfusion *c = PG_ARGISNULL(0) ? NULL : (EaConfusion *) PG_GETARG_POINTER(0);
	MemoryContext old;
	EaStatus	st;

	/* only the sample flag must be known: NULL values are what is counted */
	if (PG_ARGISNULL(2))
	{
		if (c == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(c);
	}
	old = MemoryContextSwitchTo(aggctx);
	if (c == NULL)
	{
		c = palloc(sizeof(EaConfusion));
		ea_confusion_init(c, 1);
	}
	st = ea_confusion_add(c, "", 0, PG_GETARG_BOOL(2), PG_ARGISNULL(1), ethaudit_max_groups);
	MemoryContextSwitchTo(old);
	ea_check(st, "null_rate_change");
	PG_RETURN_POINTER(c);
}

/* null_rate_change_final(state): current NULL rate minus reference NULL rate */
PG_FUNCTION_INFO_V1(null_rate_change_final);
Datum
null_rate_change_final(PG_FUNCTION_ARGS)
{
	EaConfusion *c;
	int64_t		t[EA_CONFUSION_WIDTH];
	int64		nref,
				ncur;

	ea_agg_context(fcinfo, "null_rate_change_final");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	c = (EaConfusion *) PG_GETARG_POINTER(0);
	ea_confusion_totals(c, t);
	nref = t[EA_TP] + t[EA_FN];
	ncur = t[EA_FP] + t[EA_TN];
	if (nref == 0 || ncur == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8((double) t[EA_FP] / (double) ncur - (double) t[EA_TP] / (double) nref);
}
