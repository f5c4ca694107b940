/*
 * agg_fairness.c - fmgr wrappers of the aggregates over group confusion
 * counts: the gaps between groups (TPR, FPR, equalized odds, selection
 * rate), the per-group report, and the pooled rates and scores.
 *
 * The pooled aggregates use the same state with every row in one unnamed
 * group, so with GROUP BY they give per-group tables.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/typcache.h"

#include "ethaudit.h"
#include "core/confusion.h"

/* group_report flags groups with fewer rows than this unless told otherwise */
#define EA_DEFAULT_MIN_GROUP_SIZE 30

/*
 * The state for a row whose arguments 1 .. nargs-1 are all non-NULL, created
 * on first use; NULL when the row is to be ignored.
 */
static EaConfusion *
confusion_state(FunctionCallInfo fcinfo, MemoryContext aggctx, int64 min_count)
{
	EaConfusion *c = PG_ARGISNULL(0) ? NULL : (EaConfusion *) PG_GETARG_POINTER(0);

	for (int i = 1; i < PG_NARGS(); i++)
		if (PG_ARGISNULL(i))
			return NULL;
	if (c == NULL)
	{
		c = MemoryContextAlloc(aggctx, sizeof(EaConfusion));
		ea_confusion_init(c, min_count);
	}
	else if (c->min_count != min_count)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the minimum count option must be the same for every row of the aggregate")));
	return c;
}

static Datum
confusion_add_row(FunctionCallInfo fcinfo, int64 min_count, bool has_truth, int grp_arg)
{
	MemoryContext aggctx = ea_agg_context(fcinfo, "confusion_trans");
	EaConfusion *c = confusion_state(fcinfo, aggctx, min_count);
	MemoryContext old;
	bool		y_true,
				y_pred;
	const char *key = "";
	uint32		len = 0;
	EaStatus	st;

	if (c == NULL)
	{
		/* a row with NULL in any argument is ignored */
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_POINTER(PG_GETARG_POINTER(0));
	}
	y_true = has_truth ? PG_GETARG_BOOL(1) : false;
	y_pred = PG_GETARG_BOOL(has_truth ? 2 : 1);
	if (grp_arg > 0)
	{
		text	   *grp = PG_GETARG_TEXT_PP(grp_arg);

		key = VARDATA_ANY(grp);
		len = VARSIZE_ANY_EXHDR(grp);
	}
	old = MemoryContextSwitchTo(aggctx);
	st = ea_confusion_add(c, key, len, y_true, y_pred, ethaudit_max_groups);
	MemoryContextSwitchTo(old);
	ea_check(st, "fairness aggregate");
	PG_RETURN_POINTER(c);
}

static int64
min_count_arg(FunctionCallInfo fcinfo, int arg, int64 dflt, const char *what)
{
	int64		v;

	if (PG_ARGISNULL(arg))
		return dflt;
	v = PG_GETARG_INT32(arg);
	if (v < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be at least 1, got " INT64_FORMAT, what, v)));
	return v;
}

/* confusion_trans(state, y_true, y_pred, grp) */
PG_FUNCTION_INFO_V1(confusion_trans);
Datum
confusion_trans(PG_FUNCTION_ARGS)
{
	return confusion_add_row(fcinfo, 1, true, 3);
}

/* confusion_trans_min(state, y_true, y_pred, grp, min_positives) */
PG_FUNCTION_INFO_V1(confusion_trans_min);
Datum
confusion_trans_min(PG_FUNCTION_ARGS)
{
	return confusion_add_row(fcinfo, min_count_arg(fcinfo, 4, 1, "min_positives"), true, 3);
}

/* confusion_trans_report(state, y_true, y_pred, grp): default minimum size */
PG_FUNCTION_INFO_V1(confusion_trans_report);
Datum
confusion_trans_report(PG_FUNCTION_ARGS)
{
	return confusion_add_row(fcinfo, EA_DEFAULT_MIN_GROUP_SIZE, true, 3);
}

/* confusion_trans_report_min(state, y_true, y_pred, grp, min_size) */
PG_FUNCTION_INFO_V1(confusion_trans_report_min);
Datum
confusion_trans_report_min(PG_FUNCTION_ARGS)
{
	return confusion_add_row(fcinfo, min_count_arg(fcinfo, 4, EA_DEFAULT_MIN_GROUP_SIZE, "min_size"),
							 true, 3);
}

/* confusion_trans_selection(state, y_pred, grp): no labels needed */
PG_FUNCTION_INFO_V1(confusion_trans_selection);
Datum
confusion_trans_selection(PG_FUNCTION_ARGS)
{
	return confusion_add_row(fcinfo, 1, false, 2);
}

/* confusion_trans_pooled(state, y_true, y_pred): one group for all rows */
PG_FUNCTION_INFO_V1(confusion_trans_pooled);
Datum
confusion_trans_pooled(PG_FUNCTION_ARGS)
{
	return confusion_add_row(fcinfo, 1, true, 0);
}

/* confusion_trans_selection_pooled(state, y_pred) */
PG_FUNCTION_INFO_V1(confusion_trans_selection_pooled);
Datum
confusion_trans_selection_pooled(PG_FUNCTION_ARGS)
{
	return confusion_add_row(fcinfo, 1, false, 0);
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
		ea_confusion_init(a, b->min_count);
	}
	st = ea_confusion_combine(a, b, ethaudit_max_groups);
	MemoryContextSwitchTo(old);
	ea_check(st, "fairness aggregate");
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
	out = ea_state_bytea(ea_confusion_serialized_size(s), "fairness aggregate");
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
			 "fairness aggregate");
	PG_RETURN_POINTER(c);
}

/* the state of a final function, or NULL when no row was aggregated */
static EaConfusion *
final_state(FunctionCallInfo fcinfo)
{
	ea_agg_context(fcinfo, "confusion final function");
	return PG_ARGISNULL(0) ? NULL : (EaConfusion *) PG_GETARG_POINTER(0);
}

/* max - min of a rate over the qualifying groups; NULL below two groups */
static Datum
rate_gap_final(FunctionCallInfo fcinfo, EaRate rate, bool use_min_count)
{
	EaConfusion *c = final_state(fcinfo);
	EaRateRange r;

	if (c == NULL)
		PG_RETURN_NULL();
	r = ea_confusion_rate_range(c, rate, use_min_count ? c->min_count : 1);
	if (r.groups < 2)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(r.max - r.min);
}

/* group_tpr_gap_final(state) */
PG_FUNCTION_INFO_V1(group_tpr_gap_final);
Datum
group_tpr_gap_final(PG_FUNCTION_ARGS)
{
	return rate_gap_final(fcinfo, EA_RATE_TPR, true);
}

/* group_fpr_gap_final(state) */
PG_FUNCTION_INFO_V1(group_fpr_gap_final);
Datum
group_fpr_gap_final(PG_FUNCTION_ARGS)
{
	return rate_gap_final(fcinfo, EA_RATE_FPR, false);
}

/* selection_rate_gap_final(state): demographic parity difference */
PG_FUNCTION_INFO_V1(selection_rate_gap_final);
Datum
selection_rate_gap_final(PG_FUNCTION_ARGS)
{
	return rate_gap_final(fcinfo, EA_RATE_SELECTION, false);
}

/* equalized_odds_gap_final(state): the larger of the TPR and FPR gaps */
PG_FUNCTION_INFO_V1(equalized_odds_gap_final);
Datum
equalized_odds_gap_final(PG_FUNCTION_ARGS)
{
	EaConfusion *c = final_state(fcinfo);
	EaRateRange tpr,
				fpr;

	if (c == NULL)
		PG_RETURN_NULL();
	tpr = ea_confusion_rate_range(c, EA_RATE_TPR, 1);
	fpr = ea_confusion_rate_range(c, EA_RATE_FPR, 1);
	if (tpr.groups < 2 || fpr.groups < 2)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(Max(tpr.max - tpr.min, fpr.max - fpr.min));
}

/* selection_rate_ratio_final(state): min / max selection rate */
PG_FUNCTION_INFO_V1(selection_rate_ratio_final);
Datum
selection_rate_ratio_final(PG_FUNCTION_ARGS)
{
	EaConfusion *c = final_state(fcinfo);
	EaRateRange r;

	if (c == NULL)
		PG_RETURN_NULL();
	r = ea_confusion_rate_range(c, EA_RATE_SELECTION, 1);
	if (r.groups < 2 || r.max == 0.0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(r.min / r.max);
}

static Datum
pooled_rate_final(FunctionCallInfo fcinfo, EaRate rate)
{
	EaConfusion *c = final_state(fcinfo);
	double		v;
	int			defined;

	if (c == NULL)
		PG_RETURN_NULL();
	v = ea_confusion_rate(c, rate, &defined);
	if (!defined)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(v);
}

/* true_positive_rate_final(state): TP / (TP + FN) */
PG_FUNCTION_INFO_V1(true_positive_rate_final);
Datum
true_positive_rate_final(PG_FUNCTION_ARGS)
{
	return pooled_rate_final(fcinfo, EA_RATE_TPR);
}

/* false_positive_rate_final(state): FP / (FP + TN) */
PG_FUNCTION_INFO_V1(false_positive_rate_final);
Datum
false_positive_rate_final(PG_FUNCTION_ARGS)
{
	return pooled_rate_final(fcinfo, EA_RATE_FPR);
}

/* false_negative_rate_final(state): FN / (FN + TP) */
PG_FUNCTION_INFO_V1(false_negative_rate_final);
Datum
false_negative_rate_final(PG_FUNCTION_ARGS)
{
	return pooled_rate_final(fcinfo, EA_RATE_FNR);
}

/* precision_score_final(state): TP / (TP + FP) */
PG_FUNCTION_INFO_V1(precision_score_final);
Datum
precision_score_final(PG_FUNCTION_ARGS)
{
	return pooled_rate_final(fcinfo, EA_RATE_PRECISION);
}

/* accuracy_score_final(state): (TP + TN) / n */
PG_FUNCTION_INFO_V1(accuracy_score_final);
Datum
accuracy_score_final(PG_FUNCTION_ARGS)
{
	return pooled_rate_final(fcinfo, EA_RATE_ACCURACY);
}

/* f1_score_final(state): 2 TP / (2 TP + FP + FN) */
PG_FUNCTION_INFO_V1(f1_score_final);
Datum
f1_score_final(PG_FUNCTION_ARGS)
{
	return pooled_rate_final(fcinfo, EA_RATE_F1);
}

/* selection_rate_final(state): (TP + FP) / n */
PG_FUNCTION_INFO_V1(selection_rate_final);
Datum
selection_rate_final(PG_FUNCTION_ARGS)
{
	return pooled_rate_final(fcinfo, EA_RATE_SELECTION);
}

/* a rate and its Wilson interval into values[i .. i+2]; NULLs without data */
static void
put_rate(const int64_t *k, EaRate rate, Datum *values, bool *nulls, int i)
{
	int64_t		num,
				den;
	double		lo,
				hi;

	ea_rate_parts(k, rate, &num, &den);
	if (den == 0)
	{
		nulls[i] = nulls[i + 1] = nulls[i + 2] = true;
		return;
	}
	ea_wilson_interval(num, den, &lo, &hi);
	values[i] = Float8GetDatum((double) num / (double) den);
	values[i + 1] = Float8GetDatum(lo);
	values[i + 2] = Float8GetDatum(hi);
}

#define EA_REPORT_COLUMNS 17

/* group_report_final(state) -> ethaudit.group_metrics[], one element per group */
PG_FUNCTION_INFO_V1(group_report_final);
Datum
group_report_final(PG_FUNCTION_ARGS)
{
	EaConfusion *c = final_state(fcinfo);
	Oid			elemtype;
	TupleDesc	tupdesc;
	int32_t    *order;
	Datum	   *elems;
	int16		typlen;
	bool		typbyval;
	char		typalign;

	if (c == NULL)
		PG_RETURN_NULL();
	elemtype = get_element_type(get_fn_expr_rettype(fcinfo->flinfo));
	if (!OidIsValid(elemtype))
		elog(ERROR, "group_report_final must return an array");
	tupdesc = lookup_rowtype_tupdesc_copy(elemtype, -1);
	if (tupdesc->natts != EA_REPORT_COLUMNS)
		elog(ERROR, "ethaudit.group_metrics has %d columns, expected %d",
			 tupdesc->natts, EA_REPORT_COLUMNS);
	tupdesc = BlessTupleDesc(tupdesc);

	order = ea_keytab_sorted(&c->groups);
	if (order == NULL)
		ea_report(EA_ENOMEM, "group_report");
	elems = palloc(sizeof(Datum) * (c->groups.nkeys ? c->groups.nkeys : 1));
	for (int32_t g = 0; g < c->groups.nkeys; g++)
	{
		const int64_t *k = ea_keytab_counts(&c->groups, order[g]);
		Datum		values[EA_REPORT_COLUMNS];
		bool		nulls[EA_REPORT_COLUMNS] = {false};
		uint32		len;
		const char *key = ea_keytab_key(&c->groups, order[g], &len);
		int64		n = k[EA_TP] + k[EA_FN] + k[EA_FP] + k[EA_TN];

		values[0] = PointerGetDatum(cstring_to_text_with_len(key, (int) len));
		values[1] = Int64GetDatum(n);
		values[2] = Int64GetDatum(k[EA_TP] + k[EA_FN]);
		values[3] = Int64GetDatum(k[EA_FP] + k[EA_TN]);
		put_rate(k, EA_RATE_TPR, values, nulls, 4);
		put_rate(k, EA_RATE_FPR, values, nulls, 7);
		put_rate(k, EA_RATE_FNR, values, nulls, 10);
		put_rate(k, EA_RATE_SELECTION, values, nulls, 13);
		values[16] = BoolGetDatum(n < c->min_count);
		elems[g] = HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
	}
	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, c->groups.nkeys, elemtype,
										  typlen, typbyval, typalign));
}
