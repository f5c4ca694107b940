/*
 * state_categorical.c - the category-counts state (internal): reference and
 * current counts per distinct text value, for psi, js_divergence,
 * hellinger, kl_divergence, chi2_test and unseen_categories over text.
 */
#include "postgres.h"

#include "fmgr.h"

#include "ethaudit.h"
#include "host.h"
#include "state.h"
#include "core/categorical.h"
#include "core/drift_test.h"

/* ---------- the descriptor ---------- */

static size_t
categorical_flat_size(const void *s)
{
	return ea_categorical_serialized_size((const EaCategorical *) s);
}

static void
categorical_flatten(const void *s, unsigned char *buf)
{
	ea_categorical_serialize((const EaCategorical *) s, buf);
}

static EaStatus
categorical_unflatten(void *s, const unsigned char *buf, size_t len, EaMemory mem)
{
	return ea_categorical_deserialize((EaCategorical *) s, buf, len, ethaudit_max_categories, mem);
}

static EaStatus
categorical_add_state(void *into, const void *from)
{
	return ea_categorical_combine((EaCategorical *) into, (const EaCategorical *) from,
								  ethaudit_max_categories);
}

static EaStatus
categorical_init_like(void *s, const void *like, EaMemory mem)
{
	ea_categorical_init((EaCategorical *) s, (EaBinning) ((const EaCategorical *) like)->binning,
						mem);
	((EaCategorical *) s)->test = ((const EaCategorical *) like)->test;
	return EA_OK;
}

const EaStateType ea_categorical_state = {
	.name = "drift aggregate over text",
	.prefix = "categorical",
	.state_size = sizeof(EaCategorical),
	.flat_size = categorical_flat_size,
	.flatten = categorical_flatten,
	.unflatten = categorical_unflatten,
	.combine = categorical_add_state,
	.init_like = categorical_init_like,
};

/* categorical_combine(state, state) */
PG_FUNCTION_INFO_V1(categorical_combine);
Datum
categorical_combine(PG_FUNCTION_ARGS)
{
	return ea_internal_combine(fcinfo, &ea_categorical_state);
}

/* categorical_serialize(state) -> bytea */
PG_FUNCTION_INFO_V1(categorical_serialize);
Datum
categorical_serialize(PG_FUNCTION_ARGS)
{
	return ea_internal_serialize(fcinfo, &ea_categorical_state);
}

/* categorical_deserialize(bytea, internal) -> state */
PG_FUNCTION_INFO_V1(categorical_deserialize);
Datum
categorical_deserialize(PG_FUNCTION_ARGS)
{
	return ea_internal_deserialize(fcinfo, &ea_categorical_state);
}

/* ---------- transition functions ---------- */

static Datum
categorical_add_test(FunctionCallInfo fcinfo, EaBinning binning, int test)
{
	MemoryContext aggctx = ea_agg_context(fcinfo, "categorical_trans");
	EaCategorical *c = PG_ARGISNULL(0) ? NULL : (EaCategorical *) PG_GETARG_POINTER(0);
	text	   *value;

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
		ea_categorical_init(c, binning, ea_memory(aggctx));
		c->test = (uint8) test;
	}
	else if (c->binning != binning)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the binning option must be the same for every row of the aggregate")));
	else if (c->test != test)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the test option must be the same for every row of drift_test")));

	value = PG_GETARG_TEXT_PP(1);
	ea_check(ea_categorical_add(c, VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value),
								PG_GETARG_BOOL(2), ethaudit_max_categories),
			 "drift aggregate over text");
	PG_RETURN_POINTER(c);
}

static Datum
categorical_add(FunctionCallInfo fcinfo, EaBinning binning)
{
	return categorical_add_test(fcinfo, binning, EA_DRIFT_AUTO);
}

/* categorical_trans_drift(state, value, is_reference): drift_test over text */
PG_FUNCTION_INFO_V1(categorical_trans_drift);
Datum
categorical_trans_drift(PG_FUNCTION_ARGS)
{
	return categorical_add_test(fcinfo, EA_BINNING_EVIDENTLY, EA_DRIFT_AUTO);
}

/* categorical_trans_drift_test(state, value, is_reference, test) */
PG_FUNCTION_INFO_V1(categorical_trans_drift_test);
Datum
categorical_trans_drift_test(PG_FUNCTION_ARGS)
{
	int			test = PG_ARGISNULL(3) ? EA_DRIFT_AUTO
		: ea_parse_drift_test(PG_GETARG_TEXT_PP(3), false);

	return categorical_add_test(fcinfo, EA_BINNING_EVIDENTLY, test);
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

/* ---------- final functions ---------- */

static EaCategorical *
categorical_final_state(FunctionCallInfo fcinfo)
{
	ea_agg_context(fcinfo, "categorical final function");
	return (EaCategorical *) ea_internal_state(fcinfo);
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
	PG_RETURN_DATUM(ea_composite_result(fcinfo, values, nulls));
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
	PG_RETURN_DATUM(ea_composite_result(fcinfo, values, nulls));
}

/* drift_test_text_final(state) -> ethaudit.drift_test_result */
PG_FUNCTION_INFO_V1(drift_test_text_final);
Datum
drift_test_text_final(PG_FUNCTION_ARGS)
{
	EaCategorical *c = categorical_final_state(fcinfo);
	EaDriftResult r;

	if (c == NULL)
		PG_RETURN_NULL();
	ea_check(ea_categorical_drift(c, (EaDriftTest) c->test, &r), "drift_test");
	PG_RETURN_DATUM(ea_drift_result_datum(fcinfo, &r, -1, -1));
}
