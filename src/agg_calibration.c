/*
 * agg_calibration.c - fmgr wrappers of the aggregates over calibration
 * bins: ece and max_calibration_error, and per group calibration_by_group
 * and ece_gap.
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
#include "core/calibration.h"

#define EA_DEFAULT_CAL_BINS 10

static Datum
calibration_add(FunctionCallInfo fcinfo, int nbins)
{
	MemoryContext aggctx = ea_agg_context(fcinfo, "calibration_trans");
	EaCalibration *c = PG_ARGISNULL(0) ? NULL : (EaCalibration *) PG_GETARG_POINTER(0);
	double		p;

	for (int i = 1; i < PG_NARGS(); i++)
		if (PG_ARGISNULL(i))
		{
			if (c == NULL)
				PG_RETURN_NULL();
			PG_RETURN_POINTER(c);
		}

	p = PG_GETARG_FLOAT8(2);
	ea_check_probability(p, "ece");
	if (c == NULL)
	{
		c = MemoryContextAlloc(aggctx, ea_calibration_size(nbins));
		ea_calibration_init(c, nbins);
	}
	else if (c->nbins != nbins)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ece: bins must be the same for every row of the aggregate")));
	ea_calibration_add(c, PG_GETARG_BOOL(1), p);
	PG_RETURN_POINTER(c);
}

/* calibration_trans(state, y_true, y_prob): ten bins */
PG_FUNCTION_INFO_V1(calibration_trans);
Datum
calibration_trans(PG_FUNCTION_ARGS)
{
	return calibration_add(fcinfo, EA_DEFAULT_CAL_BINS);
}

/* calibration_trans_bins(state, y_true, y_prob, bins) */
PG_FUNCTION_INFO_V1(calibration_trans_bins);
Datum
calibration_trans_bins(PG_FUNCTION_ARGS)
{
	int			bins = PG_ARGISNULL(3) ? EA_DEFAULT_CAL_BINS
		: ea_check_bins(PG_GETARG_INT32(3), 1, "ece");

	return calibration_add(fcinfo, bins);
}

/* calibration_combine(state, state) */
PG_FUNCTION_INFO_V1(calibration_combine);
Datum
calibration_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = ea_agg_context(fcinfo, "calibration_combine");
	EaCalibration *a = PG_ARGISNULL(0) ? NULL : (EaCalibration *) PG_GETARG_POINTER(0);
	EaCalibration *b = PG_ARGISNULL(1) ? NULL : (EaCalibration *) PG_GETARG_POINTER(1);

	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	if (a == NULL)
	{
		a = MemoryContextAlloc(aggctx, ea_calibration_size(b->nbins));
		ea_calibration_init(a, b->nbins);
	}
	ea_check(ea_calibration_combine(a, b), "ece");
	PG_RETURN_POINTER(a);
}

/* calibration_serialize(state) -> bytea */
PG_FUNCTION_INFO_V1(calibration_serialize);
Datum
calibration_serialize(PG_FUNCTION_ARGS)
{
	EaCalibration *s;
	bytea	   *out;

	ea_agg_context(fcinfo, "calibration_serialize");
	s = (EaCalibration *) PG_GETARG_POINTER(0);
	out = ea_state_bytea(ea_calibration_serialized_size(s), "ece");
	ea_calibration_serialize(s, (unsigned char *) VARDATA(out));
	PG_RETURN_BYTEA_P(out);
}

/* calibration_deserialize(bytea, internal) -> state */
PG_FUNCTION_INFO_V1(calibration_deserialize);
Datum
calibration_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *in;
	const unsigned char *buf;
	size_t		len;
	int			nbins;
	EaCalibration *c;

	ea_agg_context(fcinfo, "calibration_deserialize");
	in = PG_GETARG_BYTEA_PP(0);
	buf = (const unsigned char *) VARDATA_ANY(in);
	len = VARSIZE_ANY_EXHDR(in);
	ea_check(ea_calibration_peek_bins(buf, len, &nbins), "ece");
	c = palloc(ea_calibration_size(nbins));
	ea_check(ea_calibration_deserialize(c, buf, len), "ece");
	PG_RETURN_POINTER(c);
}

static Datum
calibration_final(FunctionCallInfo fcinfo, double (*metric) (const EaCalibration *, int *))
{
	double		v;
	int			defined;

	ea_agg_context(fcinfo, "calibration final function");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	v = metric((EaCalibration *) PG_GETARG_POINTER(0), &defined);
	if (!defined)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(v);
}

/* ece_final(state) */
PG_FUNCTION_INFO_V1(ece_final);
Datum
ece_final(PG_FUNCTION_ARGS)
{
	return calibration_final(fcinfo, ea_ece);
}

/* mce_final(state): maximum calibration error */
PG_FUNCTION_INFO_V1(mce_final);
Datum
mce_final(PG_FUNCTION_ARGS)
{
	return calibration_final(fcinfo, ea_mce);
}

/* ---------- per group: calibration bins keyed by group ---------- */

static Datum
group_calibration_add(FunctionCallInfo fcinfo, int nbins)
{
	MemoryContext aggctx = ea_agg_context(fcinfo, "group_calibration_trans");
	EaGroupCalibration *g = PG_ARGISNULL(0) ? NULL : (EaGroupCalibration *) PG_GETARG_POINTER(0);
	MemoryContext old;
	text	   *grp;
	double		p;
	EaStatus	st;

	for (int i = 1; i < PG_NARGS(); i++)
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
		ea_group_calibration_init(g, nbins);
	}
	else if (g->nbins != nbins)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("calibration_by_group: bins must be the same for every row of the aggregate")));
	grp = PG_GETARG_TEXT_PP(3);
	old = MemoryContextSwitchTo(aggctx);
	st = ea_group_calibration_add(g, VARDATA_ANY(grp), VARSIZE_ANY_EXHDR(grp),
								  PG_GETARG_BOOL(1), p, ethaudit_max_groups);
	MemoryContextSwitchTo(old);
	ea_check(st, "calibration_by_group");
	PG_RETURN_POINTER(g);
}

/* group_calibration_trans(state, y_true, y_prob, grp): ten bins */
PG_FUNCTION_INFO_V1(group_calibration_trans);
Datum
group_calibration_trans(PG_FUNCTION_ARGS)
{
	return group_calibration_add(fcinfo, EA_DEFAULT_CAL_BINS);
}

/* group_calibration_trans_bins(state, y_true, y_prob, grp, bins) */
PG_FUNCTION_INFO_V1(group_calibration_trans_bins);
Datum
group_calibration_trans_bins(PG_FUNCTION_ARGS)
{
	int			bins = PG_ARGISNULL(4) ? EA_DEFAULT_CAL_BINS
		: ea_check_bins(PG_GETARG_INT32(4), 1, "calibration_by_group");

	return group_calibration_add(fcinfo, bins);
}

/* group_calibration_combine(state, state) */
PG_FUNCTION_INFO_V1(group_calibration_combine);
Datum
group_calibration_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = ea_agg_context(fcinfo, "group_calibration_combine");
	EaGroupCalibration *a = PG_ARGISNULL(0) ? NULL : (EaGroupCalibration *) PG_GETARG_POINTER(0);
	EaGroupCalibration *b = PG_ARGISNULL(1) ? NULL : (EaGroupCalibration *) PG_GETARG_POINTER(1);
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
		a = palloc(sizeof(EaGroupCalibration));
		ea_group_calibration_init(a, b->nbins);
	}
	st = ea_group_calibration_combine(a, b, ethaudit_max_groups);
	MemoryContextSwitchTo(old);
	ea_check(st, "calibration_by_group");
	PG_RETURN_POINTER(a);
}

/* group_calibration_serialize(state) -> bytea */
PG_FUNCTION_INFO_V1(group_calibration_serialize);
Datum
group_calibration_serialize(PG_FUNCTION_ARGS)
{
	EaGroupCalibration *g;
	bytea	   *out;

	ea_agg_context(fcinfo, "group_calibration_serialize");
	g = (EaGroupCalibration *) PG_GETARG_POINTER(0);
	out = ea_state_bytea(ea_group_calibration_serialized_size(g), "calibration_by_group");
	ea_group_calibration_serialize(g, (unsigned char *) VARDATA(out));
	PG_RETURN_BYTEA_P(out);
}

/* group_calibration_deserialize(bytea, internal) -> state */
PG_FUNCTION_INFO_V1(group_calibration_deserialize);
Datum
group_calibration_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *in;
	EaGroupCalibration *g;

	ea_agg_context(fcinfo, "group_calibration_deserialize");
	in = PG_GETARG_BYTEA_PP(0);
	g = palloc(sizeof(EaGroupCalibration));
	ea_check(ea_group_calibration_deserialize(g, (const unsigned char *) VARDATA_ANY(in),
											  VARSIZE_ANY_EXHDR(in), ethaudit_max_groups),
			 "calibration_by_group");
	PG_RETURN_POINTER(g);
}

/* ece_gap_final(state): largest minus smallest ECE over the groups */
PG_FUNCTION_INFO_V1(ece_gap_final);
Datum
ece_gap_final(PG_FUNCTION_ARGS)
{
	EaGroupCalibration *g;
	double		lo = 0.0,
				hi = 0.0;

	ea_agg_context(fcinfo, "ece_gap_final");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	g = (EaGroupCalibration *) PG_GETARG_POINTER(0);
	if (g->groups.nkeys < 2)
		PG_RETURN_NULL();
	for (int32_t i = 0; i < g->groups.nkeys; i++)
	{
		int			defined;
		double		e = ea_ece(g->blocks[i], &defined);

		if (i == 0 || e < lo)
			lo = e;
		if (i == 0 || e > hi)
			hi = e;
	}
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
	elemtype = get_element_type(get_fn_expr_rettype(fcinfo->flinfo));
	if (!OidIsValid(elemtype))
		elog(ERROR, "calibration_by_group_final must return an array");
	tupdesc = BlessTupleDesc(lookup_rowtype_tupdesc_copy(elemtype, -1));
	if (tupdesc->natts != 4)
		elog(ERROR, "ethaudit.group_calibration has %d columns, expected 4", tupdesc->natts);
	order = ea_keytab_sorted(&g->groups);
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
