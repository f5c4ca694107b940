/*
 * state_group_counts.c - the group confusion counts, storable as
 * ethaudit.group_counts: per group the true and false positives and
 * negatives, for the gaps between groups (TPR, FPR, equalized odds,
 * selection rate), the per-group report, the pooled rates and scores, and
 * null_rate_change; its text and binary forms.
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
#include "utils/typcache.h"

#include "ethaudit.h"
#include "host.h"
#include "state.h"
#include "core/confusion.h"

/* group_report flags groups with fewer rows than this unless told otherwise */
#define EA_DEFAULT_MIN_GROUP_SIZE 30

/* ---------- the descriptor ---------- */

static size_t
counts_flat_size(const void *s)
{
	return ea_confusion_serialized_size((const EaConfusion *) s);
}

static void
counts_flatten(const void *s, unsigned char *buf)
{
	ea_confusion_serialize((const EaConfusion *) s, buf);
}

static EaStatus
counts_unflatten(void *s, const unsigned char *buf, size_t len, EaMemory mem)
{
	return ea_confusion_deserialize((EaConfusion *) s, buf, len, ethaudit_max_groups, mem);
}

static EaStatus
counts_add(void *into, const void *from)
{
	return ea_confusion_combine((EaConfusion *) into, (const EaConfusion *) from,
								ethaudit_max_groups);
}

const EaStateType ea_group_counts_state = {
	.name = "ethaudit.group_counts",
	.state_size = sizeof(EaConfusion),
	.flat_size = counts_flat_size,
	.flatten = counts_flatten,
	.unflatten = counts_unflatten,
	.combine = counts_add,
	.mismatch = "cannot merge group counts built with different minimum counts",
};

/* confusion_combine(state, state): combine function, and the transition of merge() */
PG_FUNCTION_INFO_V1(confusion_combine);
Datum
confusion_combine(PG_FUNCTION_ARGS)
{
	return ea_expanded_combine(fcinfo, &ea_group_counts_state);
}

/* ---------- transition functions ---------- */

/*
 * The writable group counts of a transition call: argument 0, or a new
 * state with the given minimum count option; errors if the option differs.
 */
static EaExpanded *
group_counts_writable(FunctionCallInfo fcinfo, int64 min_count)
{
	EaExpanded *e = PG_ARGISNULL(0) ? NULL : ea_expanded_rw(PG_GETARG_DATUM(0), &ea_group_counts_state);

	if (e == NULL)
	{
		MemoryContext aggctx = ea_agg_context(fcinfo, "fairness aggregate");

		if (PG_ARGISNULL(0))
		{
			e = ea_expanded_new(&ea_group_counts_state, aggctx);
			ea_confusion_init((EaConfusion *) e->state, min_count, ea_expanded_memory(e));
			return e;
		}
		e = ea_expanded_writable(PG_GETARG_DATUM(0), &ea_group_counts_state, aggctx);
	}
	if (unlikely(((EaConfusion *) e->state)->min_count != min_count))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the minimum count option must be the same for every row of the aggregate")));
	return e;
}

/* a group's first row: its counters, allocated in the state's own context */
static pg_noinline int64 *
confusion_new_group(EaExpanded *e, const char *key, uint32 len)
{
	int64	   *counts;

	ea_check(ea_confusion_group((EaConfusion *) e->state, key, len, ethaudit_max_groups, &counts),
			 "fairness aggregate");
	return counts;
}

/*
 * A group whose last row left a moving frame: removed, so that
 * ethaudit.max_groups bounds the groups of one frame, not of every frame
 * before it. Rare: once per group that empties.
 */
static pg_noinline void
confusion_drop_group(EaExpanded *e, const int64 *counts)
{
	EaConfusion *c = (EaConfusion *) e->state;

	ea_check(ea_keytab_remove(&c->groups, (int32) ((counts - c->groups.counts) / EA_CONFUSION_WIDTH)),
			 "fairness aggregate");
}

/*
 * One row in (delta = +1) or out (delta = -1, moving window frames). A row
 * with NULL in any of its nargs arguments is ignored. Inlined into each
 * wrapper: the per-row path has its options as constants.
 */
static pg_attribute_always_inline Datum
confusion_add_row(FunctionCallInfo fcinfo, int nargs, int64 min_count, bool has_truth,
				  int grp_arg, int delta)
{
	EaExpanded *e;
	bool		y_true,
				y_pred;
	const char *key = "";
	uint32		len = 0;
	int64	   *counts;

	Assert(PG_NARGS() == nargs);
	for (int i = 1; i < nargs; i++)
		if (PG_ARGISNULL(i))
		{
			if (PG_ARGISNULL(0))
				PG_RETURN_NULL();
			PG_RETURN_DATUM(PG_GETARG_DATUM(0));
		}
	if (delta < 0 && PG_ARGISNULL(0))
		PG_RETURN_NULL();		/* nothing to remove from: recompute */
	/* our own state, with the same option: the per-row path */
	e = PG_ARGISNULL(0) ? NULL : ea_expanded_rw(PG_GETARG_DATUM(0), &ea_group_counts_state);
	if (unlikely(e == NULL || ((EaConfusion *) e->state)->min_count != min_count))
		e = group_counts_writable(fcinfo, min_count);
	y_true = has_truth ? PG_GETARG_BOOL(1) : false;
	y_pred = PG_GETARG_BOOL(has_truth ? 2 : 1);
	if (grp_arg > 0)
		key = ea_text_bytes(PG_GETARG_DATUM(grp_arg), &len);
	counts = ea_confusion_find((EaConfusion *) e->state, key, len);
	if (unlikely(counts == NULL))
		counts = confusion_new_group(e, key, len);
	counts[ea_confusion_cell(y_true, y_pred)] += delta;
	if (delta < 0 && grp_arg > 0 &&
		(counts[EA_TP] | counts[EA_FN] | counts[EA_FP] | counts[EA_TN]) == 0)
		confusion_drop_group(e, counts);
	PG_RETURN_DATUM(ea_expanded_datum(e));
}

/* confusion_trans(state, y_true, y_pred, grp) */
PG_FUNCTION_INFO_V1(confusion_trans);
Datum
confusion_trans(PG_FUNCTION_ARGS)
{
	return confusion_add_row(fcinfo, 4, 1, true, 3, 1);
}

/* confusion_trans_min(state, y_true, y_pred, grp, min_positives) */
PG_FUNCTION_INFO_V1(confusion_trans_min);
Datum
confusion_trans_min(PG_FUNCTION_ARGS)
{
	return confusion_add_row(fcinfo, 5, ea_min_count_arg(fcinfo, 4, 1, "min_positives"), true, 3, 1);
}

/* confusion_trans_min_negatives(state, y_true, y_pred, grp, min_negatives) */
PG_FUNCTION_INFO_V1(confusion_trans_min_negatives);
Datum
confusion_trans_min_negatives(PG_FUNCTION_ARGS)
{
	return confusion_add_row(fcinfo, 5, ea_min_count_arg(fcinfo, 4, 1, "min_negatives"), true, 3, 1);
}

/* confusion_trans_min_size(state, y_true, y_pred, grp, min_size): positives and negatives each */
PG_FUNCTION_INFO_V1(confusion_trans_min_size);
Datum
confusion_trans_min_size(PG_FUNCTION_ARGS)
{
	return confusion_add_row(fcinfo, 5, ea_min_count_arg(fcinfo, 4, 1, "min_size"), true, 3, 1);
}

/* confusion_trans_report(state, y_true, y_pred, grp): default minimum size */
PG_FUNCTION_INFO_V1(confusion_trans_report);
Datum
confusion_trans_report(PG_FUNCTION_ARGS)
{
	return confusion_add_row(fcinfo, 4, EA_DEFAULT_MIN_GROUP_SIZE, true, 3, 1);
}

/* confusion_trans_report_min(state, y_true, y_pred, grp, min_size) */
PG_FUNCTION_INFO_V1(confusion_trans_report_min);
Datum
confusion_trans_report_min(PG_FUNCTION_ARGS)
{
	return confusion_add_row(fcinfo, 5,
							 ea_min_count_arg(fcinfo, 4, EA_DEFAULT_MIN_GROUP_SIZE, "min_size"),
							 true, 3, 1);
}

/* confusion_trans_selection(state, y_pred, grp): no labels needed */
PG_FUNCTION_INFO_V1(confusion_trans_selection);
Datum
confusion_trans_selection(PG_FUNCTION_ARGS)
{
	return confusion_add_row(fcinfo, 3, 1, false, 2, 1);
}

/* confusion_trans_pooled(state, y_true, y_pred): one group for all rows */
PG_FUNCTION_INFO_V1(confusion_trans_pooled);
Datum
confusion_trans_pooled(PG_FUNCTION_ARGS)
{
	return confusion_add_row(fcinfo, 3, 1, true, 0, 1);
}

/* confusion_trans_selection_pooled(state, y_pred) */
PG_FUNCTION_INFO_V1(confusion_trans_selection_pooled);
Datum
confusion_trans_selection_pooled(PG_FUNCTION_ARGS)
{
	return confusion_add_row(fcinfo, 2, 1, false, 0, 1);
}

/* inverse transition functions, for moving window frames */
#define INVERSE(name, nargs, min_count, has_truth, grp_arg) \
PG_FUNCTION_INFO_V1(name); \
Datum \
name(PG_FUNCTION_ARGS) \
{ \
	return confusion_add_row(fcinfo, nargs, min_count, has_truth, grp_arg, -1); \
}

INVERSE(confusion_inv, 4, 1, true, 3)
INVERSE(confusion_inv_min, 5, ea_min_count_arg(fcinfo, 4, 1, "min_positives"), true, 3)
INVERSE(confusion_inv_min_negatives, 5, ea_min_count_arg(fcinfo, 4, 1, "min_negatives"), true, 3)
INVERSE(confusion_inv_min_size, 5, ea_min_count_arg(fcinfo, 4, 1, "min_size"), true, 3)
INVERSE(confusion_inv_report, 4, EA_DEFAULT_MIN_GROUP_SIZE, true, 3)
INVERSE(confusion_inv_report_min, 5, ea_min_count_arg(fcinfo, 4, EA_DEFAULT_MIN_GROUP_SIZE, "min_size"), true, 3)
INVERSE(confusion_inv_selection, 3, 1, false, 2)
INVERSE(confusion_inv_pooled, 3, 1, true, 0)
INVERSE(confusion_inv_selection_pooled, 2, 1, false, 0)

/*
 * null_rate_change(value anyelement, is_reference): every row in one
 * group, the reference flag as "label" and IS NULL as "prediction": TP
 * counts NULLs in the reference, FP NULLs in the current rows.
 */
static Datum
null_rate_step(FunctionCallInfo fcinfo, int delta)
{
	EaExpanded *e;

	/* only the sample flag must be known: NULL values are what is counted */
	if (PG_ARGISNULL(2))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	if (delta < 0 && PG_ARGISNULL(0))
		PG_RETURN_NULL();
	e = group_counts_writable(fcinfo, 1);
	ea_check(ea_confusion_add((EaConfusion *) e->state, "", 0, PG_GETARG_BOOL(2), PG_ARGISNULL(1),
							  delta, ethaudit_max_groups),
			 "null_rate_change");
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

/* ---------- final functions ---------- */

/* group_counts_final(state): the state itself, flat (state-building aggregate) */
PG_FUNCTION_INFO_V1(group_counts_final);
Datum
group_counts_final(PG_FUNCTION_ARGS)
{
	return ea_expanded_state_final(fcinfo, &ea_group_counts_state);
}

/* the state of a final function, or NULL when no row was aggregated */
static const EaConfusion *
final_state(FunctionCallInfo fcinfo)
{
	return PG_ARGISNULL(0) ? NULL : ea_expanded_read(PG_GETARG_DATUM(0), &ea_group_counts_state);
}

/* max - min of a rate over the qualifying groups; NULL below two groups */
static Datum
rate_gap_final(FunctionCallInfo fcinfo, EaRate rate, bool use_min_count)
{
	const EaConfusion *c = final_state(fcinfo);
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

/* group_fpr_gap_final(state): over groups with at least min_count negatives */
PG_FUNCTION_INFO_V1(group_fpr_gap_final);
Datum
group_fpr_gap_final(PG_FUNCTION_ARGS)
{
	return rate_gap_final(fcinfo, EA_RATE_FPR, true);
}

/* selection_rate_gap_final(state): demographic parity difference */
PG_FUNCTION_INFO_V1(selection_rate_gap_final);
Datum
selection_rate_gap_final(PG_FUNCTION_ARGS)
{
	return rate_gap_final(fcinfo, EA_RATE_SELECTION, false);
}

/*
 * equalized_odds_gap_final(state): the larger of the TPR and FPR gaps. Each
 * gap is over the groups where its rate has at least min_count rows under it
 * (positives for the TPR, negatives for the FPR); a gap with fewer than two
 * such groups is left out, and the result is NULL only when both are.
 */
PG_FUNCTION_INFO_V1(equalized_odds_gap_final);
Datum
equalized_odds_gap_final(PG_FUNCTION_ARGS)
{
	const EaConfusion *c = final_state(fcinfo);
	EaRateRange tpr,
				fpr;

	if (c == NULL)
		PG_RETURN_NULL();
	tpr = ea_confusion_rate_range(c, EA_RATE_TPR, c->min_count);
	fpr = ea_confusion_rate_range(c, EA_RATE_FPR, c->min_count);
	if (tpr.groups < 2 && fpr.groups < 2)
		PG_RETURN_NULL();
	if (fpr.groups < 2)
		PG_RETURN_FLOAT8(tpr.max - tpr.min);
	if (tpr.groups < 2)
		PG_RETURN_FLOAT8(fpr.max - fpr.min);
	PG_RETURN_FLOAT8(Max(tpr.max - tpr.min, fpr.max - fpr.min));
}

/* selection_rate_ratio_final(state): min / max selection rate */
PG_FUNCTION_INFO_V1(selection_rate_ratio_final);
Datum
selection_rate_ratio_final(PG_FUNCTION_ARGS)
{
	const EaConfusion *c = final_state(fcinfo);
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
	const EaConfusion *c = final_state(fcinfo);
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
	c = ea_expanded_read(PG_GETARG_DATUM(0), &ea_group_counts_state);
	ea_confusion_totals(c, t);
	nref = t[EA_TP] + t[EA_FN];
	ncur = t[EA_FP] + t[EA_TN];
	if (nref == 0 || ncur == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8((double) t[EA_FP] / (double) ncur - (double) t[EA_TP] / (double) nref);
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
	const EaConfusion *c = final_state(fcinfo);
	Oid			elemtype;
	TupleDesc	tupdesc;
	int32_t    *order;
	Datum	   *elems;
	int			nelems = 0;
	int16		typlen;
	bool		typbyval;
	char		typalign;

	if (c == NULL)
		PG_RETURN_NULL();
	elemtype = ea_declared_array_element(fcinfo, "group_report_final");
	tupdesc = lookup_rowtype_tupdesc_copy(elemtype, -1);
	if (tupdesc->natts != EA_REPORT_COLUMNS)
		elog(ERROR, "ethaudit.group_metrics has %d columns, expected %d",
			 tupdesc->natts, EA_REPORT_COLUMNS);
	tupdesc = BlessTupleDesc(tupdesc);

	order = ea_keytab_sorted(&c->groups, ea_memory(CurrentMemoryContext));
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

		if (n == 0)
			continue;			/* every row of the group left a moving frame */

		values[0] = PointerGetDatum(cstring_to_text_with_len(key, (int) len));
		values[1] = Int64GetDatum(n);
		values[2] = Int64GetDatum(k[EA_TP] + k[EA_FN]);
		values[3] = Int64GetDatum(k[EA_FP] + k[EA_TN]);
		put_rate(k, EA_RATE_TPR, values, nulls, 4);
		put_rate(k, EA_RATE_FPR, values, nulls, 7);
		put_rate(k, EA_RATE_FNR, values, nulls, 10);
		put_rate(k, EA_RATE_SELECTION, values, nulls, 13);
		values[16] = BoolGetDatum(n < c->min_count);
		elems[nelems++] = HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
	}
	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	if (nelems == 0)
		PG_RETURN_NULL();
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, nelems, elemtype,
										  typlen, typbyval, typalign));
}

/* ---------- text and binary forms ---------- */

/* {"min_count": k, "groups": {"<group>": [tp, fn, fp, tn], ...}} */
PG_FUNCTION_INFO_V1(group_counts_out);
Datum
group_counts_out(PG_FUNCTION_ARGS)
{
	const EaConfusion *c = ea_expanded_read(PG_GETARG_DATUM(0), &ea_group_counts_state);
	EaMemory	mem = ea_memory(CurrentMemoryContext);
	int32_t    *order = ea_keytab_sorted(&c->groups, mem);
	StringInfoData buf;

	if (order == NULL)
		ea_report(EA_ENOMEM, ea_group_counts_state.name);
	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"min_count\": " INT64_FORMAT ", \"groups\": {", c->min_count);
	for (int32_t g = 0; g < c->groups.nkeys; g++)
	{
		const int64_t *k = ea_keytab_counts(&c->groups, order[g]);
		uint32		len;
		const char *key = ea_keytab_key(&c->groups, order[g], &len);

		if (g > 0)
			appendStringInfoString(&buf, ", ");
		ea_json_string(&buf, key, (int) len);
		appendStringInfo(&buf, ": [" INT64_FORMAT ", " INT64_FORMAT ", " INT64_FORMAT ", " INT64_FORMAT "]",
						 k[EA_TP], k[EA_FN], k[EA_FP], k[EA_TN]);
	}
	appendStringInfoString(&buf, "}}");
	ea_free(mem, order);
	PG_RETURN_CSTRING(buf.data);
}

/* group_counts_in(cstring) -> state, checked as the binary form is */
PG_FUNCTION_INFO_V1(group_counts_in);
Datum
group_counts_in(PG_FUNCTION_ARGS)
{
	static const char *const known[] = {"min_count", "groups", NULL};
	const char *type = ea_group_counts_state.name;
	Jsonb	   *jb = ea_json_parse(PG_GETARG_CSTRING(0), type);
	int64		min_count = ea_json_int64(&jb->root, "min_count", type);
	JsonbContainer *groups = ea_json_container(&jb->root, "groups", false, type);
	JsonbIterator *it = JsonbIteratorInit(groups);
	JsonbValue	v;
	JsonbIteratorToken tok;
	EaConfusion c;
	char	   *key = NULL;
	int			keylen = 0;
	Datum		flat;

	ea_json_only_keys(&jb->root, known, type);
	if (min_count < 1 || min_count > PG_INT32_MAX)
		ea_json_error(type, "\"min_count\" must be between 1 and 2147483647.");
	ea_confusion_init(&c, min_count, ea_memory(CurrentMemoryContext));
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			key = v.val.string.val;
			keylen = v.val.string.len;
		}
		else if (tok == WJB_VALUE)
		{
			int32_t		i;
			int64_t    *k;

			if (v.type != jbvBinary || !JsonContainerIsArray(v.val.binary.data) ||
				JsonContainerSize(v.val.binary.data) != EA_CONFUSION_WIDTH)
				ea_json_error(type, "Each group must map to [tp, fn, fp, tn].");
			ea_check(ea_keytab_lookup(&c.groups, key, (uint32) keylen, ethaudit_max_groups, &i), type);
			k = ea_keytab_counts(&c.groups, i);
			for (int w = 0; w < EA_CONFUSION_WIDTH; w++)
			{
				k[w] = ea_json_value_int64(getIthJsonbValueFromContainer(v.val.binary.data, w),
										   "groups", type);
				if (k[w] < 0)
					ea_json_error(type, "Counts must not be negative.");
			}
		}
	}
	flat = ea_expanded_flat(&c, &ea_group_counts_state);
	ea_expanded_check_input(flat, &ea_group_counts_state);	/* the binary checks */
	PG_RETURN_DATUM(flat);
}

/* group_counts_recv(internal) -> state, validated */
PG_FUNCTION_INFO_V1(group_counts_recv);
Datum
group_counts_recv(PG_FUNCTION_ARGS)
{
	return ea_state_recv(fcinfo, &ea_group_counts_state);
}

/* group_counts_send(state) -> bytea */
PG_FUNCTION_INFO_V1(group_counts_send);
Datum
group_counts_send(PG_FUNCTION_ARGS)
{
	return ea_state_send(fcinfo, &ea_group_counts_state);
}
