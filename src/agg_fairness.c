/*
 * agg_fairness.c - fmgr wrappers of group_tpr_gap(y_true, y_pred, grp
 * [, min_positives]) and of the pooled rates true_positive_rate,
 * false_positive_rate and false_negative_rate(y_true, y_pred).
 *
 * The pooled rates use the same state with every row in one unnamed group,
 * so with GROUP BY they give the per-group confusion table.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/memutils.h"

#include "ethaudit.h"
#include "core/confusion.h"

static Datum
confusion_add(FunctionCallInfo fcinfo, int64 min_positives)
{
	MemoryContext aggctx = ea_agg_context(fcinfo, "confusion_trans");
	EaConfusion *c = PG_ARGISNULL(0) ? NULL : (EaConfusion *) PG_GETARG_POINTER(0);
	MemoryContext old;
	text	   *grp;
	EaStatus	st;

	for (int i = 1; i < PG_NARGS(); i++)
		if (PG_ARGISNULL(i))
		{
			if (c == NULL)
				PG_RETURN_NULL();
			PG_RETURN_POINTER(c);
		}

	if (c == NULL)
	{
		c = MemoryContextAlloc(aggctx, sizeof(EaConfusion));
		ea_confusion_init(c, min_positives);
	}
	else if (c->min_positives != min_positives)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("group_tpr_gap: min_positives must be the same for every row of the aggregate")));

	old = MemoryContextSwitchTo(aggctx);
	if (PG_NARGS() > 3)
	{
		grp = PG_GETARG_TEXT_PP(3);
		st = ea_confusion_add(c, VARDATA_ANY(grp), VARSIZE_ANY_EXHDR(grp),
							  PG_GETARG_BOOL(1), PG_GETARG_BOOL(2), ethaudit_max_groups);
	}
	else
		st = ea_confusion_add(c, "", 0, PG_GETARG_BOOL(1), PG_GETARG_BOOL(2),
							  ethaudit_max_groups);
	MemoryContextSwitchTo(old);
	ea_check(st, "group_tpr_gap");
	PG_RETURN_POINTER(c);
}

/* confusion_trans(state, y_true, y_pred, grp) */
PG_FUNCTION_INFO_V1(confusion_trans);
Datum
confusion_trans(PG_FUNCTION_ARGS)
{
	return confusion_add(fcinfo, 1);
}

/* confusion_trans_pooled(state, y_true, y_pred): one group for all rows */
PG_FUNCTION_INFO_V1(confusion_trans_pooled);
Datum
confusion_trans_pooled(PG_FUNCTION_ARGS)
{
	return confusion_add(fcinfo, 1);
}

/* confusion_trans_min(state, y_true, y_pred, grp, min_positives) */
PG_FUNCTION_INFO_V1(confusion_trans_min);
Datum
confusion_trans_min(PG_FUNCTION_ARGS)
{
	int64		min_positives = PG_ARGISNULL(4) ? 1 : PG_GETARG_INT32(4);

	if (min_positives < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("group_tpr_gap: min_positives must be at least 1, got " INT64_FORMAT,
						min_positives)));
	return confusion_add(fcinfo, min_positives);
}

/* confusion_combine(state, state) */
PG_FUNCTION_INFO_V1(confusion_combine);
Datum
confusion_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = ea_agg_context(fcinfo, "confusion_combine");
	EaConfusion *a = PG_ARGISNULL(0) ? NULL : (EaConfusion *) PG_GETARG_POINTER(0);
	EaConfusion *b = PG_ARGISNULL(1) ? NULL : (EaConfusion *) PG_GETARG_POINTER(1);
	MemoryContext old;
	EaStatus	st;

	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	old = MemoryContextSwitchTo(aggctx);
	if (a == NULL)
	{
		a = palloc(sizeof(EaConfusion));
		ea_confusion_init(a, b->min_positives);
	}
	st = ea_confusion_combine(a, b, ethaudit_max_groups);
	MemoryContextSwitchTo(old);
	ea_check(st, "group_tpr_gap");
	PG_RETURN_POINTER(a);
}

/* confusion_serialize(state) -> bytea */
PG_FUNCTION_INFO_V1(confusion_serialize);
Datum
confusion_serialize(PG_FUNCTION_ARGS)
{
	EaConfusion *s;
	bytea	   *out;

	ea_agg_context(fcinfo, "confusion_serialize");
	s = (EaConfusion *) PG_GETARG_POINTER(0);
	out = ea_state_bytea(ea_confusion_serialized_size(s), "group_tpr_gap");
	ea_confusion_serialize(s, (unsigned char *) VARDATA(out));
	PG_RETURN_BYTEA_P(out);
}

/* confusion_deserialize(bytea, internal) -> state */
PG_FUNCTION_INFO_V1(confusion_deserialize);
Datum
confusion_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *in;
	EaConfusion *c;

	ea_agg_context(fcinfo, "confusion_deserialize");
	in = PG_GETARG_BYTEA_PP(0);
	c = palloc(sizeof(EaConfusion));
	ea_check(ea_confusion_deserialize(c, (const unsigned char *) VARDATA_ANY(in),
									  VARSIZE_ANY_EXHDR(in), ethaudit_max_groups),
			 "group_tpr_gap");
	PG_RETURN_POINTER(c);
}

/* group_tpr_gap_final(state) */
PG_FUNCTION_INFO_V1(group_tpr_gap_final);
Datum
group_tpr_gap_final(PG_FUNCTION_ARGS)
{
	double		gap;
	int			defined;

	ea_agg_context(fcinfo, "group_tpr_gap_final");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	gap = ea_confusion_tpr_gap((EaConfusion *) PG_GETARG_POINTER(0), &defined);
	if (!defined)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(gap);
}

static Datum
confusion_rate_final(FunctionCallInfo fcinfo, int num, int other)
{
	double		rate;
	int			defined;

	ea_agg_context(fcinfo, "confusion rate final");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	rate = ea_confusion_rate((EaConfusion *) PG_GETARG_POINTER(0), num, other, &defined);
	if (!defined)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(rate);
}

/* true_positive_rate_final(state): TP / (TP + FN) */
PG_FUNCTION_INFO_V1(true_positive_rate_final);
Datum
true_positive_rate_final(PG_FUNCTION_ARGS)
{
	return confusion_rate_final(fcinfo, EA_TP, EA_FN);
}

/* false_positive_rate_final(state): FP / (FP + TN) */
PG_FUNCTION_INFO_V1(false_positive_rate_final);
Datum
false_positive_rate_final(PG_FUNCTION_ARGS)
{
	return confusion_rate_final(fcinfo, EA_FP, EA_TN);
}

/* false_negative_rate_final(state): FN / (FN + TP) */
PG_FUNCTION_INFO_V1(false_negative_rate_final);
Datum
false_negative_rate_final(PG_FUNCTION_ARGS)
{
	return confusion_rate_final(fcinfo, EA_FN, EA_TP);
}
