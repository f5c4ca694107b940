/*
 * state_group_calibration.c - calibration bins per group (internal): the
 * state of calibration_by_group and ece_gap.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "ethaudit.h"
#include "host.h"
#include "state.h"
#include "core/calibration.h"

#define EA_DEFAULT_CAL_BINS 10

/* ---------- the descriptor ---------- */

static size_t
group_calibration_flat_size(const void *s)
{
	return ea_group_calibration_serialized_size((const EaGroupCalibration *) s);
}

static void
group_calibration_flatten(const void *s, unsigned char *buf)
{
	ea_group_calibration_serialize((const EaGroupCalibration *) s, buf);
}

static EaStatus
group_calibration_unflatten(void *s, const unsigned char *buf, size_t len, EaMemory mem)
{
	return ea_group_calibration_deserialize((EaGroupCalibration *) s, buf, len,
											ethaudit_max_groups, mem);
}

static EaStatus
group_calibration_add_state(void *into, const void *from)
{
	return ea_group_calibration_combine((EaGroupCalibration *) into,
										(const EaGroupCalibration *) from, ethaudit_max_groups);
}

static EaStatus
group_calibration_init_like(void *s, const void *like, EaMemory mem)
{
	const EaGroupCalibration *l = (const EaGroupCalibration *) like;

	ea_group_calibration_init((EaGroupCalibration *) s, l->nbins, mem);
	((EaGroupCalibration *) s)->min_size = l->min_size;
	return EA_OK;
}

const EaStateType ea_group_calibration_state = {
	.name = "calibration_by_group",
	.prefix = "group_calibration",
	.state_size = sizeof(EaGroupCalibration),
	.flat_size = group_calibration_flat_size,
	.flatten = group_calibration_flatten,
	.unflatten = group_calibration_unflatten,
	.combine = group_calibration_add_state,
	.init_like = group_calibration_init_like,
};

/* group_calibration_combine(state, state) */
PG_FUNCTION_INFO_V1(group_calibration_combine);
Datum
group_calibration_combine(PG_FUNCTION_ARGS)
{
	return ea_internal_combine(fcinfo, &ea_group_calibration_state);
}

/* group_calibration_serialize(state) -> bytea */
PG_FUNCTION_INFO_V1(group_calibration_serialize);
Datum
group_calibration_serialize(PG_FUNCTION_ARGS)
{
	return ea_internal_serialize(fcinfo, &ea_group_calibration_state);
}

/* group_calibration_deserialize(bytea, internal) -> state */
PG_FUNCTION_INFO_V1(group_calibration_deserialize);
Datum
group_calibration_deserialize(PG_FUNCTION_ARGS)
{
	return ea_internal_deserialize(fcinfo, &ea_group_calibration_state);
}

/* ---------- transition functions ---------- */

/*
 * Adds a row (arguments 1 to 3: y_true, y_prob, grp; a row with a NULL in
 * them is skipped).  The options must be the same on every row.
 */
static Datum
group_calibration_add(FunctionCallInfo fcinfo, int nbins, int32 min_size)
{
	MemoryContext aggctx = ea_agg_context(fcinfo, "group_calibration_trans");
	EaGroupCalibration *g = PG_ARGISNULL(0) ? NULL : (EaGroupCalibration *) PG_GETARG_POINTER(0);
	text	   *grp;
	double		p;

	for (int i = 1; i <= 3; i++)
		if (PG_ARGISNULL(i))
		{
			if (g == NULL)
				PG_RETURN_NULL();
			PG_RETURN_POINTER(g);
		}
	p = PG_GETARG_FLOAT8(2);
	ea_check_probability(p, "calibration_by_group");
	if (g == NULL)
	{
		g = MemoryContextAlloc(aggctx, sizeof(EaGroupCalibration));
		ea_group_calibration_init(g, nbins, ea_memory(aggctx));
		g->min_size = min_size;
	}
	else if (g->nbins != nbins || g->min_size != min_size)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("calibration_by_group: bins and min_size must be the same for every row of the aggregate")));
	grp = PG_GETARG_TEXT_PP(3);
	ea_check(ea_group_calibration_add(g, VARDATA_ANY(grp), VARSIZE_ANY_EXHDR(grp),
									  PG_GETARG_BOOL(1), p, ethaudit_max_groups),
			 "calibration_by_group");
	PG_RETURN_POINTER(g);
}

/* group_calibration_trans(state, y_true, y_prob, grp): ten bins */
PG_FUNCTION_INFO_V1(group_calibration_trans);
Datum
group_calibration_trans(PG_FUNCTION_ARGS)
{
	return group_calibration_add(fcinfo, EA_DEFAULT_CAL_BINS, 1);
}

/* the bins in argument 4: ten when NULL */
static int
bins_arg(FunctionCallInfo fcinfo, const char *what)
{
	return PG_ARGISNULL(4) ? EA_DEFAULT_CAL_BINS : ea_check_bins(PG_GETARG_INT32(4), 1, what);
}

/* group_calibration_trans_bins(state, y_true, y_prob, grp, bins) */
PG_FUNCTION_INFO_V1(group_calibration_trans_bins);
Datum
group_calibration_trans_bins(PG_FUNCTION_ARGS)
{
	return group_calibration_add(fcinfo, bins_arg(fcinfo, "calibration_by_group"), 1);
}

/*
 * group_calibration_trans_min_size(state, y_true, y_prob, grp, bins, min_size):
 * ece_gap over the groups of at least min_size rows; NULL options are the
 * defaults (10 bins, every group)
 */
PG_FUNCTION_INFO_V1(group_calibration_trans_min_size);
Datum
group_calibration_trans_min_size(PG_FUNCTION_ARGS)
{
	int			bins = bins_arg(fcinfo, "ece_gap");

	return group_calibration_add(fcinfo, bins, (int32) ea_min_count_arg(fcinfo, 5, 1, "ece_gap: min_size"));
}

/* ---------- final functions ---------- */

/*
 * ece_gap_final(state): largest minus smallest ECE over the groups of at
 * least min_size rows; NULL with fewer than two of them
 */
PG_FUNCTION_INFO_V1(ece_gap_final);
Datum
ece_gap_final(PG_FUNCTION_ARGS)
{
	EaGroupCalibration *g;
	double		lo = 0.0,
				hi = 0.0;
	int32_t		counted = 0;

	ea_agg_context(fcinfo, "ece_gap_final");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	g = (EaGroupCalibration *) PG_GETARG_POINTER(0);
	for (int32_t i = 0; i < g->groups.nkeys; i++)
	{
		int			defined;
		double		e;

		if (g->blocks[i]->n < g->min_size)
			continue;
		e = ea_ece(g->blocks[i], &defined);
		if (counted == 0 || e < lo)
			lo = e;
		if (counted == 0 || e > hi)
			hi = e;
		counted++;
	}
	if (counted < 2)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(hi - lo);
}

/* calibration_by_group_final(state) -> ethaudit.group_calibration[] */
PG_FUNCTION_INFO_V1(calibration_by_group_final);
Datum
calibration_by_group_final(PG_FUNCTION_ARGS)
{
	EaGroupCalibration *g;
	Oid			elemtype;
	TupleDesc	tupdesc;
	int32_t    *order;
	Datum	   *elems;
	int16		typlen;
	bool		typbyval;
	char		typalign;

	ea_agg_context(fcinfo, "calibration_by_group_final");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	g = (EaGroupCalibration *) PG_GETARG_POINTER(0);
	elemtype = ea_declared_array_element(fcinfo, "calibration_by_group_final");
	tupdesc = BlessTupleDesc(lookup_rowtype_tupdesc_copy(elemtype, -1));
	if (tupdesc->natts != 4)
		elog(ERROR, "ethaudit.group_calibration has %d columns, expected 4", tupdesc->natts);
	order = ea_keytab_sorted(&g->groups, ea_memory(CurrentMemoryContext));
	if (order == NULL)
		ea_report(EA_ENOMEM, "calibration_by_group");
	elems = palloc(sizeof(Datum) * (g->groups.nkeys ? g->groups.nkeys : 1));
	for (int32_t i = 0; i < g->groups.nkeys; i++)
	{
		const EaCalibration *c = g->blocks[order[i]];
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};
		uint32		len;
		const char *key = ea_keytab_key(&g->groups, order[i], &len);
		int			defined;

		values[0] = PointerGetDatum(cstring_to_text_with_len(key, (int) len));
		values[1] = Int64GetDatum(c->n);
		values[2] = Float8GetDatum(ea_ece(c, &defined));
		values[3] = Float8GetDatum(ea_mce(c, &defined));
		elems[i] = HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
	}
	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, g->groups.nkeys, elemtype,
										  typlen, typbyval, typalign));
}
