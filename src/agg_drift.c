/*
 * agg_drift.c - fmgr wrappers of the drift aggregates: psi, js_divergence,
 * ks_stat and ks_test over float8 (kept values) and psi, js_divergence over
 * text (category counts).
 *
 * The transition functions are shared: psi, js_divergence and ks_stat over
 * the same columns use one state in one scan, and differ only in their
 * final function.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "fmgr.h"
#include "utils/memutils.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"

#include "ethaudit.h"
#include "core/categorical.h"
#include "core/kolmogorov.h"
#include "core/twosample.h"

/* ---------- float8 values: the kept-values state ---------- */

static Datum
twosample_add(FunctionCallInfo fcinfo, EaBinning binning, int bins)
{
	MemoryContext aggctx = ea_agg_context(fcinfo, "twosample_trans");
	EaTwoSample *s = PG_ARGISNULL(0) ? NULL : (EaTwoSample *) PG_GETARG_POINTER(0);
	MemoryContext old;
	EaStatus	st;

	/* a row with NULL in any argument is ignored */
	for (int i = 1; i < PG_NARGS(); i++)
		if (PG_ARGISNULL(i))
		{
			if (s == NULL)
				PG_RETURN_NULL();
			PG_RETURN_POINTER(s);
		}

	if (s == NULL)
	{
		s = MemoryContextAlloc(aggctx, sizeof(EaTwoSample));
		ea_twosample_init(s, binning, bins);
	}
	else if (s->binning != binning || s->bins != (binning == EA_BINNING_QUANTILE ? bins : 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the binning option must be the same for every row of the aggregate")));

	if (unlikely(s->ref.n + s->cur.n >= ethaudit_max_values))
		ea_report(EA_ELIMIT, "drift aggregate");
	old = MemoryContextSwitchTo(aggctx);
	st = ea_twosample_add(s, PG_GETARG_FLOAT8(1), PG_GETARG_BOOL(2));
	MemoryContextSwitchTo(old);
	ea_check(st, "drift aggregate");
	PG_RETURN_POINTER(s);
}

/* twosample_trans(state, value, is_reference): ten reference-quantile bins */
PG_FUNCTION_INFO_V1(twosample_trans);
Datum
twosample_trans(PG_FUNCTION_ARGS)
{
	return twosample_add(fcinfo, EA_BINNING_QUANTILE, EA_DEFAULT_BINS);
}

/* twosample_trans_bins(state, value, is_reference, bins) */
PG_FUNCTION_INFO_V1(twosample_trans_bins);
Datum
twosample_trans_bins(PG_FUNCTION_ARGS)
{
	int			bins = PG_ARGISNULL(3) ? EA_DEFAULT_BINS
		: ea_check_bins(PG_GETARG_INT32(3), 2, "drift aggregate");

	return twosample_add(fcinfo, EA_BINNING_QUANTILE, bins);
}

/* twosample_trans_binning(state, value, is_reference, binning) */
PG_FUNCTION_INFO_V1(twosample_trans_binning);
Datum
twosample_trans_binning(PG_FUNCTION_ARGS)
{
	int			binning = PG_ARGISNULL(3) ? EA_BINNING_QUANTILE
		: ea_parse_binning(PG_GETARG_TEXT_PP(3), "drift aggregate");

	return twosample_add(fcinfo, binning, EA_DEFAULT_BINS);
}

/* twosample_combine(state, state) */
PG_FUNCTION_INFO_V1(twosample_combine);
Datum
twosample_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = ea_agg_context(fcinfo, "twosample_combine");
	EaTwoSample *a = PG_ARGISNULL(0) ? NULL : (EaTwoSample *) PG_GETARG_POINTER(0);
	EaTwoSample *b = PG_ARGISNULL(1) ? NULL : (EaTwoSample *) PG_GETARG_POINTER(1);
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
		/* copy into the aggregate context: b may live in a shorter one */
		a = palloc(sizeof(EaTwoSample));
		ea_twosample_init(a, (EaBinning) b->binning, b->bins);
	}
	if ((int64) a->ref.n + a->cur.n + b->ref.n + b->cur.n > ethaudit_max_values)
		st = EA_ELIMIT;
	else
		st = ea_twosample_combine(a, b);
	MemoryContextSwitchTo(old);
	ea_check(st, "drift aggregate");
	PG_RETURN_POINTER(a);
}

/* twosample_serialize(state) -> bytea */
PG_FUNCTION_INFO_V1(twosample_serialize);
Datum
twosample_serialize(PG_FUNCTION_ARGS)
{
	EaTwoSample *s;
	bytea	   *out;

	ea_agg_context(fcinfo, "twosample_serialize");
	s = (EaTwoSample *) PG_GETARG_POINTER(0);
	out = ea_state_bytea(ea_twosample_serialized_size(s), "drift aggregate");
	ea_twosample_serialize(s, (unsigned char *) VARDATA(out));
	PG_RETURN_BYTEA_P(out);
}

/* twosample_deserialize(bytea, internal) -> state */
PG_FUNCTION_INFO_V1(twosample_deserialize);
Datum
twosample_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *in;
	EaTwoSample *s;

	ea_agg_context(fcinfo, "twosample_deserialize");
	in = PG_GETARG_BYTEA_PP(0);
	s = palloc(sizeof(EaTwoSample));
	ea_check(ea_twosample_deserialize(s, (const unsigned char *) VARDATA_ANY(in),
									  VARSIZE_ANY_EXHDR(in), ethaudit_max_values),
			 "drift aggregate");
	PG_RETURN_POINTER(s);
}

typedef EaStatus (*TwoSampleMetric) (EaTwoSample *s, double *result, int *defined);

static Datum
twosample_final(FunctionCallInfo fcinfo, TwoSampleMetric metric, const char *what)
{
	EaTwoSample *s;
	double		result = 0.0;
	int			defined;

	ea_agg_context(fcinfo, what);
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = (EaTwoSample *) PG_GETARG_POINTER(0);
	/* sorting reorders the kept values in place; the multiset is unchanged */
	ea_check(metric(s, &result, &defined), what);
	if (!defined)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(result);
}

/* psi_final(state) */
PG_FUNCTION_INFO_V1(psi_final);
Datum
psi_final(PG_FUNCTION_ARGS)
{
	return twosample_final(fcinfo, ea_twosample_psi, "psi");
}

/* js_divergence_final(state) */
PG_FUNCTION_INFO_V1(js_divergence_final);
Datum
js_divergence_final(PG_FUNCTION_ARGS)
{
	return twosample_final(fcinfo, ea_twosample_jsd, "js_divergence");
}

/* ks_stat_final(state) */
PG_FUNCTION_INFO_V1(ks_stat_final);
Datum
ks_stat_final(PG_FUNCTION_ARGS)
{
	return twosample_final(fcinfo, ea_twosample_ks, "ks_stat");
}

/* ks_test_final(state) -> (statistic, p_value, n_reference, n_current) */
PG_FUNCTION_INFO_V1(ks_test_final);
Datum
ks_test_final(PG_FUNCTION_ARGS)
{
	EaTwoSample *s;
	TupleDesc	tupdesc;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};
	double		d = 0.0;
	int			defined;

	ea_agg_context(fcinfo, "ks_test");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = (EaTwoSample *) PG_GETARG_POINTER(0);
	ea_check(ea_twosample_ks(s, &d, &defined), "ks_test");
	if (!defined)
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "ks_test_final must return a composite type");
	tupdesc = BlessTupleDesc(tupdesc);
	values[0] = Float8GetDatum(d);
	values[1] = Float8GetDatum(ea_ks_2samp_pvalue(s->ref.n, s->cur.n, d));
	values[2] = Int64GetDatum(s->ref.n);
	values[3] = Int64GetDatum(s->cur.n);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* ---------- text values: the category-counts state ---------- */

static Datum
categorical_add(FunctionCallInfo fcinfo, EaBinning binning)
{
	MemoryContext aggctx = ea_agg_context(fcinfo, "categorical_trans");
	EaCategorical *c = PG_ARGISNULL(0) ? NULL : (EaCategorical *) PG_GETARG_POINTER(0);
	MemoryContext old;
	text	   *value;
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
		c = MemoryContextAlloc(aggctx, sizeof(EaCategorical));
		ea_categorical_init(c, binning);
	}
	else if (c->binning != binning)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the binning option must be the same for every row of the aggregate")));

	value = PG_GETARG_TEXT_PP(1);
	old = MemoryContextSwitchTo(aggctx);
	st = ea_categorical_add(c, VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value),
							PG_GETARG_BOOL(2), ethaudit_max_categories);
	MemoryContextSwitchTo(old);
	ea_check(st, "drift aggregate over text");
	PG_RETURN_POINTER(c);
}

/* categorical_trans(state, value, is_reference) */
PG_FUNCTION_INFO_V1(categorical_trans);
Datum
categorical_trans(PG_FUNCTION_ARGS)
{
	return categorical_add(fcinfo, EA_BINNING_QUANTILE);
}

/* categorical_trans_binning(state, value, is_reference, binning) */
PG_FUNCTION_INFO_V1(categorical_trans_binning);
Datum
categorical_trans_binning(PG_FUNCTION_ARGS)
{
	int			binning = PG_ARGISNULL(3) ? EA_BINNING_QUANTILE
		: ea_parse_binning(PG_GETARG_TEXT_PP(3), "drift aggregate over text");

	return categorical_add(fcinfo, binning);
}

/* categorical_combine(state, state) */
PG_FUNCTION_INFO_V1(categorical_combine);
Datum
categorical_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = ea_agg_context(fcinfo, "categorical_combine");
	EaCategorical *a = PG_ARGISNULL(0) ? NULL : (EaCategorical *) PG_GETARG_POINTER(0);
	EaCategorical *b = PG_ARGISNULL(1) ? NULL : (EaCategorical *) PG_GETARG_POINTER(1);
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
		a = palloc(sizeof(EaCategorical));
		ea_categorical_init(a, (EaBinning) b->binning);
	}
	st = ea_categorical_combine(a, b, ethaudit_max_categories);
	MemoryContextSwitchTo(old);
	ea_check(st, "drift aggregate over text");
	PG_RETURN_POINTER(a);
}

/* categorical_serialize(state) -> bytea */
PG_FUNCTION_INFO_V1(categorical_serialize);
Datum
categorical_serialize(PG_FUNCTION_ARGS)
{
	EaCategorical *s;
	bytea	   *out;

	ea_agg_context(fcinfo, "categorical_serialize");
	s = (EaCategorical *) PG_GETARG_POINTER(0);
	out = ea_state_bytea(ea_categorical_serialized_size(s), "drift aggregate over text");
	ea_categorical_serialize(s, (unsigned char *) VARDATA(out));
	PG_RETURN_BYTEA_P(out);
}

/* categorical_deserialize(bytea, internal) -> state */
PG_FUNCTION_INFO_V1(categorical_deserialize);
Datum
categorical_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *in;
	EaCategorical *c;

	ea_agg_context(fcinfo, "categorical_deserialize");
	in = PG_GETARG_BYTEA_PP(0);
	c = palloc(sizeof(EaCategorical));
	ea_check(ea_categorical_deserialize(c, (const unsigned char *) VARDATA_ANY(in),
										VARSIZE_ANY_EXHDR(in), ethaudit_max_categories),
			 "drift aggregate over text");
	PG_RETURN_POINTER(c);
}

typedef EaStatus (*CategoricalMetric) (const EaCategorical *c, double *result, int *defined);

static Datum
categorical_final(FunctionCallInfo fcinfo, CategoricalMetric metric, const char *what)
{
	double		result = 0.0;
	int			defined;

	ea_agg_context(fcinfo, what);
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	ea_check(metric((EaCategorical *) PG_GETARG_POINTER(0), &result, &defined), what);
	if (!defined)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(result);
}

/* psi_text_final(state) */
PG_FUNCTION_INFO_V1(psi_text_final);
Datum
psi_text_final(PG_FUNCTION_ARGS)
{
	return categorical_final(fcinfo, ea_categorical_psi, "psi");
}

/* js_divergence_text_final(state) */
PG_FUNCTION_INFO_V1(js_divergence_text_final);
Datum
js_divergence_text_final(PG_FUNCTION_ARGS)
{
	return categorical_final(fcinfo, ea_categorical_jsd, "js_divergence");
}
