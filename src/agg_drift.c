/*
 * agg_drift.c - fmgr wrappers of the aggregates over two samples: over
 * float8 values kept exactly (psi, js_divergence, hellinger, kl_divergence,
 * ks_stat, ks_test, wasserstein, and roc_auc, whose samples are the scores
 * of positives and negatives), and over text category counts (psi,
 * js_divergence, hellinger, kl_divergence, chi2_test, unseen_categories).
 *
 * The transition functions are shared: every float8 drift aggregate over
 * the same columns uses one state in one scan, and differs only in its
 * final function.
 */
#include "postgres.h"

#include <math.h>

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

/* a row of a composite result type */
static Datum
composite_result(FunctionCallInfo fcinfo, Datum *values, bool *nulls)
{
	TupleDesc	tupdesc;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "function must return a composite type");
	tupdesc = BlessTupleDesc(tupdesc);
	return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
}

/* ---------- float8 values: the kept-values state ---------- */

/*
 * Adds the row's value (argument value_arg) to the sample that argument
 * ref_arg selects: TRUE the reference, FALSE the current sample.
 */
static Datum
twosample_add_row(FunctionCallInfo fcinfo, EaBinning binning, int bins, int value_arg,
				  int ref_arg)
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

	/* NaN is only counted, so it never meets the limit */
	if (unlikely(s->ref.n + s->cur.n >= ethaudit_max_values) &&
		!isnan(PG_GETARG_FLOAT8(value_arg)))
		ea_report(EA_ELIMIT, "drift aggregate");
	old = MemoryContextSwitchTo(aggctx);
	st = ea_twosample_add(s, PG_GETARG_FLOAT8(value_arg), PG_GETARG_BOOL(ref_arg));
	MemoryContextSwitchTo(old);
	ea_check(st, "drift aggregate");
	PG_RETURN_POINTER(s);
}

static Datum
twosample_add(FunctionCallInfo fcinfo, EaBinning binning, int bins)
{
	return twosample_add_row(fcinfo, binning, bins, 1, 2);
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

/* twosample_trans_labeled(state, y_true, y_score): positives as reference */
PG_FUNCTION_INFO_V1(twosample_trans_labeled);
Datum
twosample_trans_labeled(PG_FUNCTION_ARGS)
{
	return twosample_add_row(fcinfo, EA_BINNING_QUANTILE, EA_DEFAULT_BINS, 2, 1);
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
	ea_check(ea_twosample_sort_reference(s), "drift aggregate");
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

/* the state of a final function, or NULL when no row was aggregated */
static EaTwoSample *
twosample_final_state(FunctionCallInfo fcinfo)
{
	ea_agg_context(fcinfo, "drift final function");
	return PG_ARGISNULL(0) ? NULL : (EaTwoSample *) PG_GETARG_POINTER(0);
}

/* a binned divergence; sorting reorders the kept values, the multiset is unchanged */
static Datum
twosample_divergence_final(FunctionCallInfo fcinfo, EaDivergence which, const char *what)
{
	EaTwoSample *s = twosample_final_state(fcinfo);
	double		result = 0.0;
	int			defined;

	if (s == NULL)
		PG_RETURN_NULL();
	ea_check(ea_twosample_divergence(s, which, &result, &defined), what);
	if (!defined)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(result);
}

/* psi_final(state) */
PG_FUNCTION_INFO_V1(psi_final);
Datum
psi_final(PG_FUNCTION_ARGS)
{
	return twosample_divergence_final(fcinfo, EA_DIV_PSI, "psi");
}

/* js_divergence_final(state) */
PG_FUNCTION_INFO_V1(js_divergence_final);
Datum
js_divergence_final(PG_FUNCTION_ARGS)
{
	return twosample_divergence_final(fcinfo, EA_DIV_JSD, "js_divergence");
}

/* hellinger_final(state) */
PG_FUNCTION_INFO_V1(hellinger_final);
Datum
hellinger_final(PG_FUNCTION_ARGS)
{
	return twosample_divergence_final(fcinfo, EA_DIV_HELLINGER, "hellinger");
}

/* kl_divergence_final(state) */
PG_FUNCTION_INFO_V1(kl_divergence_final);
Datum
kl_divergence_final(PG_FUNCTION_ARGS)
{
	return twosample_divergence_final(fcinfo, EA_DIV_KL, "kl_divergence");
}

typedef EaStatus (*TwoSampleStatistic) (EaTwoSample *s, double *result, int *defined);

static Datum
twosample_statistic_final(FunctionCallInfo fcinfo, TwoSampleStatistic statistic,
						  const char *what)
{
	EaTwoSample *s = twosample_final_state(fcinfo);
	double		result = 0.0;
	int			defined;

	if (s == NULL)
		PG_RETURN_NULL();
	ea_check(statistic(s, &result, &defined), what);
	if (!defined)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(result);
}

/* ks_stat_final(state) */
PG_FUNCTION_INFO_V1(ks_stat_final);
Datum
ks_stat_final(PG_FUNCTION_ARGS)
{
	return twosample_statistic_final(fcinfo, ea_twosample_ks, "ks_stat");
}

/* wasserstein_final(state) */
PG_FUNCTION_INFO_V1(wasserstein_final);
Datum
wasserstein_final(PG_FUNCTION_ARGS)
{
	return twosample_statistic_final(fcinfo, ea_twosample_wasserstein, "wasserstein");
}

/* roc_auc_final(state): positives' scores as reference, negatives' as current */
PG_FUNCTION_INFO_V1(roc_auc_final);
Datum
roc_auc_final(PG_FUNCTION_ARGS)
{
	return twosample_statistic_final(fcinfo, ea_twosample_auc, "roc_auc");
}

/* ks_test_final(state) -> (statistic, p_value, n_reference, n_current) */
PG_FUNCTION_INFO_V1(ks_test_final);
Datum
ks_test_final(PG_FUNCTION_ARGS)
{
	EaTwoSample *s = twosample_final_state(fcinfo);
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};
	double		d = 0.0;
	double		p;
	int			defined;

	if (s == NULL)
		PG_RETURN_NULL();
	ea_check(ea_twosample_ks(s, &d, &defined), "ks_test");
	if (!defined)
		PG_RETURN_NULL();
	values[0] = Float8GetDatum(d);
	ea_check(ea_ks_2samp_pvalue(s->ref.n, s->cur.n, d, &p), "ks_test");
	values[1] = Float8GetDatum(p);
	nulls[1] = isnan(p);
	values[2] = Int64GetDatum(s->ref.n);
	values[3] = Int64GetDatum(s->cur.n);
	PG_RETURN_DATUM(composite_result(fcinfo, values, nulls));
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

static EaCategorical *
categorical_final_state(FunctionCallInfo fcinfo)
{
	ea_agg_context(fcinfo, "categorical final function");
	return PG_ARGISNULL(0) ? NULL : (EaCategorical *) PG_GETARG_POINTER(0);
}

static Datum
categorical_divergence_final(FunctionCallInfo fcinfo, EaDivergence which, const char *what)
{
	EaCategorical *c = categorical_final_state(fcinfo);
	double		result = 0.0;
	int			defined;

	if (c == NULL)
		PG_RETURN_NULL();
	ea_check(ea_categorical_divergence(c, which, &result, &defined), what);
	if (!defined)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(result);
}

/* psi_text_final(state) */
PG_FUNCTION_INFO_V1(psi_text_final);
Datum
psi_text_final(PG_FUNCTION_ARGS)
{
	return categorical_divergence_final(fcinfo, EA_DIV_PSI, "psi");
}

/* js_divergence_text_final(state) */
PG_FUNCTION_INFO_V1(js_divergence_text_final);
Datum
js_divergence_text_final(PG_FUNCTION_ARGS)
{
	return categorical_divergence_final(fcinfo, EA_DIV_JSD, "js_divergence");
}

/* hellinger_text_final(state) */
PG_FUNCTION_INFO_V1(hellinger_text_final);
Datum
hellinger_text_final(PG_FUNCTION_ARGS)
{
	return categorical_divergence_final(fcinfo, EA_DIV_HELLINGER, "hellinger");
}

/* kl_divergence_text_final(state) */
PG_FUNCTION_INFO_V1(kl_divergence_text_final);
Datum
kl_divergence_text_final(PG_FUNCTION_ARGS)
{
	return categorical_divergence_final(fcinfo, EA_DIV_KL, "kl_divergence");
}

/* chi2_test_final(state) -> (statistic, p_value, dof, n_reference, n_current) */
PG_FUNCTION_INFO_V1(chi2_test_final);
Datum
chi2_test_final(PG_FUNCTION_ARGS)
{
	EaCategorical *c = categorical_final_state(fcinfo);
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};
	double		statistic = 0.0,
				p_value = 1.0;
	int			dof = 0,
				defined;

	if (c == NULL)
		PG_RETURN_NULL();
	ea_check(ea_categorical_chi2(c, &statistic, &p_value, &dof, &defined), "chi2_test");
	if (!defined)
		PG_RETURN_NULL();
	values[0] = Float8GetDatum(statistic);
	values[1] = Float8GetDatum(p_value);
	values[2] = Int32GetDatum(dof);
	values[3] = Int64GetDatum(c->nref);
	values[4] = Int64GetDatum(c->ncur);
	PG_RETURN_DATUM(composite_result(fcinfo, values, nulls));
}

/* unseen_categories_final(state) -> (count, share) */
PG_FUNCTION_INFO_V1(unseen_categories_final);
Datum
unseen_categories_final(PG_FUNCTION_ARGS)
{
	EaCategorical *c = categorical_final_state(fcinfo);
	Datum		values[2];
	bool		nulls[2] = {false, false};
	int64		unseen;

	if (c == NULL || c->nref == 0 || c->ncur == 0)
		PG_RETURN_NULL();
	unseen = ea_categorical_unseen(c);
	values[0] = Int64GetDatum(unseen);
	values[1] = Float8GetDatum((double) unseen / (double) c->ncur);
	PG_RETURN_DATUM(composite_result(fcinfo, values, nulls));
}
