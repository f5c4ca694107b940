/*
 * state_twosample.c - the kept-values state (internal): every reference and
 * current float8 value, for psi, js_divergence, hellinger, kl_divergence,
 * ks_stat, ks_test and wasserstein, and for roc_auc, whose samples are the
 * scores of positives and negatives.
 *
 * The transition functions are shared: every float8 drift aggregate over
 * the same columns uses one state in one scan, and differs only in its
 * final function.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"

#include "ethaudit.h"
#include "host.h"
#include "state.h"
#include "core/drift_test.h"
#include "core/kolmogorov.h"
#include "core/twosample.h"

/* ---------- the descriptor ---------- */

static size_t
twosample_flat_size(const void *s)
{
	return ea_twosample_serialized_size((const EaTwoSample *) s);
}

static void
twosample_flatten(const void *s, unsigned char *buf)
{
	ea_twosample_serialize((const EaTwoSample *) s, buf);
}

static EaStatus
twosample_unflatten(void *s, const unsigned char *buf, size_t len, EaMemory mem)
{
	return ea_twosample_deserialize((EaTwoSample *) s, buf, len, ethaudit_max_values, mem);
}

static EaStatus
twosample_add_state(void *into, const void *from)
{
	EaTwoSample *a = (EaTwoSample *) into;
	const EaTwoSample *b = (const EaTwoSample *) from;

	if ((int64) a->ref.n + a->cur.n + b->ref.n + b->cur.n > ethaudit_max_values)
		return EA_ELIMIT;
	return ea_twosample_combine(a, b);
}

static EaStatus
twosample_init_like(void *s, const void *like, EaMemory mem)
{
	const EaTwoSample *b = (const EaTwoSample *) like;

	ea_twosample_init((EaTwoSample *) s, (EaBinning) b->binning, b->bins, mem);
	((EaTwoSample *) s)->test = b->test;
	return EA_OK;
}

/* parallel workers sort their reference values, so the leader only merges */
static EaStatus
twosample_prepare(void *s)
{
	return ea_twosample_sort_reference((EaTwoSample *) s);
}

const EaStateType ea_twosample_state = {
	.name = "drift aggregate",
	.prefix = "twosample",
	.state_size = sizeof(EaTwoSample),
	.flat_size = twosample_flat_size,
	.flatten = twosample_flatten,
	.unflatten = twosample_unflatten,
	.combine = twosample_add_state,
	.init_like = twosample_init_like,
	.prepare = twosample_prepare,
};

/* twosample_combine(state, state) */
PG_FUNCTION_INFO_V1(twosample_combine);
Datum
twosample_combine(PG_FUNCTION_ARGS)
{
	return ea_internal_combine(fcinfo, &ea_twosample_state);
}

/* twosample_serialize(state) -> bytea */
PG_FUNCTION_INFO_V1(twosample_serialize);
Datum
twosample_serialize(PG_FUNCTION_ARGS)
{
	return ea_internal_serialize(fcinfo, &ea_twosample_state);
}

/* twosample_deserialize(bytea, internal) -> state */
PG_FUNCTION_INFO_V1(twosample_deserialize);
Datum
twosample_deserialize(PG_FUNCTION_ARGS)
{
	return ea_internal_deserialize(fcinfo, &ea_twosample_state);
}

/* ---------- transition functions ---------- */

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
		ea_twosample_init(s, binning, bins, ea_memory(aggctx));
	}
	else if (s->binning != binning || s->bins != (binning == EA_BINNING_QUANTILE ? bins : 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the binning option must be the same for every row of the aggregate")));

	/* NaN is only counted, so it never meets the limit */
	if (unlikely(s->ref.n + s->cur.n >= ethaudit_max_values) &&
		!isnan(PG_GETARG_FLOAT8(value_arg)))
		ea_report(EA_ELIMIT, "drift aggregate");
	ea_check(ea_twosample_add(s, PG_GETARG_FLOAT8(value_arg), PG_GETARG_BOOL(ref_arg)),
			 "drift aggregate");
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

/*
 * twosample_trans_probability(state, y_prob): every probability into the
 * current sample, for the ROC AUC expected from probabilities alone
 */
PG_FUNCTION_INFO_V1(twosample_trans_probability);
Datum
twosample_trans_probability(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = ea_agg_context(fcinfo, "twosample_trans_probability");
	EaTwoSample *s = PG_ARGISNULL(0) ? NULL : (EaTwoSample *) PG_GETARG_POINTER(0);
	double		p;

	if (PG_ARGISNULL(1))
	{
		if (s == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s);
	}
	p = PG_GETARG_FLOAT8(1);
	ea_check_probability(p, "estimated_roc_auc");
	if (s == NULL)
	{
		s = MemoryContextAlloc(aggctx, sizeof(EaTwoSample));
		ea_twosample_init(s, EA_BINNING_QUANTILE, EA_DEFAULT_BINS, ea_memory(aggctx));
	}
	if (unlikely(s->ref.n + s->cur.n >= ethaudit_max_values))
		ea_report(EA_ELIMIT, "estimated_roc_auc");
	ea_check(ea_twosample_add(s, p, false), "estimated_roc_auc");
	PG_RETURN_POINTER(s);
}

/*
 * drift_test's rows: Evidently-binned, with NaN and +-Infinity counted in
 * nan_ref / nan_cur and left out of the test, as Evidently drops them.
 */
static Datum
twosample_add_drift(FunctionCallInfo fcinfo, int test)
{
	MemoryContext aggctx = ea_agg_context(fcinfo, "drift_test");
	EaTwoSample *s = PG_ARGISNULL(0) ? NULL : (EaTwoSample *) PG_GETARG_POINTER(0);
	double		x;
	bool		is_reference;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (s == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s);
	}
	if (s == NULL)
	{
		s = MemoryContextAlloc(aggctx, sizeof(EaTwoSample));
		ea_twosample_init(s, EA_BINNING_EVIDENTLY, 0, ea_memory(aggctx));
		s->test = (uint8) test;
	}
	else if (s->test != test)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the test option must be the same for every row of drift_test")));
	x = PG_GETARG_FLOAT8(1);
	is_reference = PG_GETARG_BOOL(2);
	if (!isfinite(x))
	{
		if (is_reference)
			s->nan_ref++;
		else
			s->nan_cur++;
		PG_RETURN_POINTER(s);
	}
	if (unlikely(s->ref.n + s->cur.n >= ethaudit_max_values))
		ea_report(EA_ELIMIT, "drift_test");
	ea_check(ea_twosample_add(s, x, is_reference), "drift_test");
	PG_RETURN_POINTER(s);
}

/* twosample_trans_drift(state, value, is_reference): Evidently's choice of test */
PG_FUNCTION_INFO_V1(twosample_trans_drift);
Datum
twosample_trans_drift(PG_FUNCTION_ARGS)
{
	return twosample_add_drift(fcinfo, EA_DRIFT_AUTO);
}

/* twosample_trans_drift_test(state, value, is_reference, test) */
PG_FUNCTION_INFO_V1(twosample_trans_drift_test);
Datum
twosample_trans_drift_test(PG_FUNCTION_ARGS)
{
	int			test = PG_ARGISNULL(3) ? EA_DRIFT_AUTO
		: ea_parse_drift_test(PG_GETARG_TEXT_PP(3), true);

	return twosample_add_drift(fcinfo, test);
}

/* ---------- final functions ---------- */

/* the state of a final function, or NULL when no row was aggregated */
static EaTwoSample *
twosample_final_state(FunctionCallInfo fcinfo)
{
	ea_agg_context(fcinfo, "drift final function");
	return (EaTwoSample *) ea_internal_state(fcinfo);
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

/* wasserstein_normed_final(state) */
PG_FUNCTION_INFO_V1(wasserstein_normed_final);
Datum
wasserstein_normed_final(PG_FUNCTION_ARGS)
{
	return twosample_statistic_final(fcinfo, ea_twosample_wasserstein_normed, "wasserstein_normed");
}

/* estimated_roc_auc_final(state): the current sample's probabilities */
PG_FUNCTION_INFO_V1(estimated_roc_auc_final);
Datum
estimated_roc_auc_final(PG_FUNCTION_ARGS)
{
	return twosample_statistic_final(fcinfo, ea_twosample_estimated_auc, "estimated_roc_auc");
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
	ea_check(ea_ks_2samp_pvalue(s->ref.n, s->cur.n, d, &p, ea_memory(CurrentMemoryContext)),
			 "ks_test");
	values[1] = Float8GetDatum(p);
	nulls[1] = isnan(p);
	values[2] = Int64GetDatum(s->ref.n);
	values[3] = Int64GetDatum(s->cur.n);
	PG_RETURN_DATUM(ea_composite_result(fcinfo, values, nulls));
}

/* drift_test_final(state) -> ethaudit.drift_test_result */
PG_FUNCTION_INFO_V1(drift_test_final);
Datum
drift_test_final(PG_FUNCTION_ARGS)
{
	EaTwoSample *s = twosample_final_state(fcinfo);
	EaDriftResult r;

	if (s == NULL)
		PG_RETURN_NULL();
	ea_check(ea_twosample_drift(s, (EaDriftTest) s->test, &r), "drift_test");
	PG_RETURN_DATUM(ea_drift_result_datum(fcinfo, &r, s->nan_ref, s->nan_cur));
}
