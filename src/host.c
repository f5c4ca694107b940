/*
 * host.c - the core's memory in memory contexts, the errors of its status
 * codes, and the argument checks the aggregates share (see host.h).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_proc.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "ethaudit.h"
#include "host.h"
#include "core/binning.h"
#include "core/codec.h"
#include "core/drift_test.h"
#include "core/twosample.h"

/* ---------- memory ---------- */

static void *
context_alloc(void *context, size_t size)
{
	return MemoryContextAllocExtended((MemoryContext) context, size, MCXT_ALLOC_HUGE);
}

/* a chunk stays in the context it was allocated in */
static void *
context_realloc(void *context, void *ptr, size_t size)
{
	(void) context;
	return repalloc_huge(ptr, size);
}

static void
context_free(void *context, void *ptr)
{
	(void) context;
	pfree(ptr);
}

const EaMemoryOps ea_context_ops = {context_alloc, context_realloc, context_free};

MemoryContext
ea_agg_context(FunctionCallInfo fcinfo, const char *fn)
{
	MemoryContext aggctx;

	if (!AggCheckCallContext(fcinfo, &aggctx))
		elog(ERROR, "%s called in non-aggregate context", fn);
	return aggctx;
}

/* ---------- what the called function is declared as ---------- */

/*
 * The types come from the function's catalog entry, not from the call's
 * expression (get_fn_expr_argtype): an executor other than PostgreSQL's own,
 * such as a distributed one calling a transition or final function on a
 * worker, passes none.
 */
Oid
ea_declared_argtype(FunctionCallInfo fcinfo, int argno)
{
	Oid			fn = fcinfo->flinfo->fn_oid;
	HeapTuple	tp = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn));
	Form_pg_proc proc;
	Oid			type;

	if (!HeapTupleIsValid(tp))
		elog(ERROR, "cache lookup failed for function %u", fn);
	proc = (Form_pg_proc) GETSTRUCT(tp);
	if (argno < 0 || argno >= proc->pronargs)
		elog(ERROR, "function %u has no argument %d", fn, argno);
	type = proc->proargtypes.values[argno];
	ReleaseSysCache(tp);
	return type;
}

Oid
ea_declared_array_element(FunctionCallInfo fcinfo, const char *fn)
{
	Oid			elemtype = get_element_type(get_func_rettype(fcinfo->flinfo->fn_oid));

	if (!OidIsValid(elemtype))
		elog(ERROR, "%s must return an array", fn);
	return elemtype;
}

/* ---------- errors ---------- */

void
ea_report(EaStatus st, const char *what)
{
	switch (st)
	{
		case EA_OK:
			return;
		case EA_ENOMEM:
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory in %s", what)));
			break;
		case EA_ELIMIT:
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("%s exceeded its size limit", what),
					 errdetail("The limits are ethaudit.max_values = %d, "
							   "ethaudit.max_categories = %d and ethaudit.max_groups = %d; "
							   "a state holds at most " INT64_FORMAT " rows.",
							   ethaudit_max_values, ethaudit_max_categories,
							   ethaudit_max_groups, (int64) EA_MAX_COUNT),
					 errhint("A superuser, or a role granted SET on the parameter, can raise the limit; "
							 "or aggregate fewer rows or distinct values.")));
			break;
		case EA_EPARAM:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cannot combine %s states built with different options", what)));
			break;
		case EA_ECORRUPT:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid serialized state for %s", what),
					 errdetail("The state is truncated, corrupt, over the size limits, "
							   "or from another aggregate or format version.")));
			break;
		case EA_ERANGE:
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("%s: the range of the values is too wide to bin", what),
					 errdetail("The largest minus the smallest finite value overflows double precision."),
					 errhint("'evidently' binning needs equal-width bins over that range; "
							 "the default binning (reference quantiles) has no such limit.")));
			break;
	}
	elog(ERROR, "unexpected ethaudit status %d", (int) st);
}

/* the error of ea_check_probability, out of line */
void
ea_probability_error(double p, const char *what)
{
	/* a value in (1, 100] is most likely a percentage: say so where it is read */
	bool		percent = p > 1.0 && p <= 100.0;

	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("%s: probability %s is outside [0, 1]%s", what, float8out_internal(p),
					percent ? "; it looks like a percentage: divide by 100" : ""),
			 errdetail("y_prob must be a number between 0 and 1; NaN is not allowed.")));
}

/* ---------- arguments and results ---------- */

int
ea_check_bins(int32 bins, int min_bins, const char *what)
{
	if (bins < min_bins || bins > EA_MAX_BINS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: bins must be between %d and %d, got %d",
						what, min_bins, EA_MAX_BINS, bins)));
	return bins;
}

int64
ea_min_count_arg(FunctionCallInfo fcinfo, int arg, int64 dflt, const char *what)
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

int
ea_parse_binning(text *name, const char *what)
{
	char	   *s = text_to_cstring(name);
	int			binning;

	if (pg_strcasecmp(s, "default") == 0 || pg_strcasecmp(s, "quantile") == 0)
		binning = EA_BINNING_QUANTILE;
	else if (pg_strcasecmp(s, "evidently") == 0)
		binning = EA_BINNING_EVIDENTLY;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: unknown binning \"%s\"", what, s),
				 errhint("Use 'default' (also 'quantile': reference quantiles; one bin per "
						 "category for text) or 'evidently'.")));
	pfree(s);
	return binning;
}

Datum
ea_composite_result(FunctionCallInfo fcinfo, Datum *values, bool *nulls)
{
	TupleDesc	tupdesc;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "function must return a composite type");
	tupdesc = BlessTupleDesc(tupdesc);
	return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
}

int
ea_parse_drift_test(text *name, bool numeric)
{
	char	   *s = text_to_cstring(name);
	int			test = ea_drift_test_parse(s);

	if (test < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("drift_test: unknown test \"%s\"", s),
				 errhint("Use 'auto' (Evidently's choice), 'ks', 'wasserstein', "
						 "'jensenshannon', 'chisquare', 'z' or 'psi'.")));
	if (!numeric && !ea_drift_test_categorical_ok((EaDriftTest) test))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("drift_test: the %s test needs a numeric column", s),
				 errhint("Over text use 'jensenshannon', 'chisquare', 'z' or 'psi'.")));
	pfree(s);
	return test;
}

Datum
ea_drift_result_datum(FunctionCallInfo fcinfo, const EaDriftResult *r, int64 nonfinite_ref,
					  int64 nonfinite_cur)
{
	Datum		values[11];
	bool		nulls[11];

	memset(nulls, 0, sizeof(nulls));
	if (r->defined)
	{
		values[0] = CStringGetTextDatum(ea_drift_test_name(r->test));
		values[1] = Float8GetDatum(r->statistic);
		values[2] = Float8GetDatum(r->p_value);
		nulls[2] = isnan(r->p_value);
		values[3] = Float8GetDatum(r->threshold);
		values[4] = BoolGetDatum(r->drifted != 0);
		values[7] = Int64GetDatum(r->n_values);
	}
	else
		nulls[0] = nulls[1] = nulls[2] = nulls[3] = nulls[4] = nulls[7] = true;
	values[5] = Int64GetDatum(r->n_reference);
	values[6] = Int64GetDatum(r->n_current);
	values[8] = Int64GetDatum(nonfinite_ref);
	nulls[8] = nonfinite_ref < 0;
	values[9] = Int64GetDatum(nonfinite_cur);
	nulls[9] = nonfinite_cur < 0;
	values[10] = Int64GetDatum(r->unseen_current);
	nulls[10] = r->unseen_current < 0;
	return ea_composite_result(fcinfo, values, nulls);
}
