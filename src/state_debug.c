/*
 * state_debug.c - test entry points: one decodes any serialized state, one
 * calls a support function as another executor would.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/builtins.h"

#include "ethaudit.h"
#include "host.h"
#include "core/average.h"
#include "core/baseline.h"
#include "core/calibration.h"
#include "core/categorical.h"
#include "core/codec.h"
#include "core/confusion.h"
#include "core/twosample.h"

/*
 * ethaudit_debug_state(state bytea) -> text
 *
 * Decodes a serialized aggregate state with the same validation the
 * deserialization functions apply, and describes it.  Not part of the SQL
 * API: the regression tests declare it in pg_temp to show that truncated,
 * corrupt or foreign states are refused with an error.
 */
PG_FUNCTION_INFO_V1(ethaudit_debug_state);
Datum
ethaudit_debug_state(PG_FUNCTION_ARGS)
{
	bytea	   *in = PG_GETARG_BYTEA_PP(0);
	const unsigned char *buf = (const unsigned char *) VARDATA_ANY(in);
	size_t		len = VARSIZE_ANY_EXHDR(in);
	uint8		kind = len >= 2 ? buf[1] : 0;
	EaMemory	mem = ea_memory(CurrentMemoryContext);
	char	   *desc;

	switch (kind)
	{
		case EA_KIND_CATEGORICAL:
			{
				EaCategorical c;

				ea_check(ea_categorical_deserialize(&c, buf, len, ethaudit_max_categories, mem),
						 "drift aggregate over text");
				desc = psprintf("categorical: %d categories, " INT64_FORMAT " reference, "
								INT64_FORMAT " current", c.tab.nkeys, c.nref, c.ncur);
				break;
			}
		case EA_KIND_CALIBRATION:
			{
				int			nbins;
				EaCalibration *c;

				ea_check(ea_calibration_peek_bins(buf, len, &nbins), "ece");
				c = palloc(ea_calibration_size(nbins));
				ea_check(ea_calibration_deserialize(c, buf, len), "ece");
				desc = psprintf("calibration: %d bins, " INT64_FORMAT " rows", nbins, c->n);
				break;
			}
		case EA_KIND_CONFUSION:
			{
				EaConfusion c;

				ea_check(ea_confusion_deserialize(&c, buf, len, ethaudit_max_groups, mem),
						 "fairness aggregate");
				desc = psprintf("confusion: %d groups, min_count " INT64_FORMAT,
								c.groups.nkeys, c.min_count);
				break;
			}
		case EA_KIND_AVERAGE:
			{
				EaAverage	a;

				ea_check(ea_average_deserialize(&a, buf, len), "loss aggregate");
				desc = psprintf("average: " INT64_FORMAT " rows", a.n);
				break;
			}
		case EA_KIND_GROUP_CALIBRATION:
			{
				EaGroupCalibration g;

				ea_check(ea_group_calibration_deserialize(&g, buf, len, ethaudit_max_groups, mem),
						 "calibration_by_group");
				desc = psprintf("group calibration: %d groups, %d bins, min_size %d",
								g.groups.nkeys, g.nbins, g.min_size);
				break;
			}
		case EA_KIND_BASELINE:
			{
				EaBaseline	b;

				ea_check(ea_baseline_deserialize(&b, buf, len, ethaudit_max_categories, mem),
						 "ethaudit.baseline");
				desc = psprintf("baseline: %s, n " INT64_FORMAT ", %d bins%s",
								b.kind == EA_BASELINE_NUMERIC ? "numeric" : "categorical", b.n,
								b.kind == EA_BASELINE_NUMERIC ? b.nedges + 1 : b.cats.nkeys,
								b.reference ? ", with a reference" : "");
				break;
			}
		default:
			{
				EaTwoSample s;

				ea_check(ea_twosample_deserialize(&s, buf, len, ethaudit_max_values, mem),
						 "drift aggregate");
				desc = psprintf("twosample: binning %d, test %d, bins %d, " INT64_FORMAT " reference, "
								INT64_FORMAT " current, " INT64_FORMAT " + " INT64_FORMAT " NaN",
								s.binning, s.test, s.bins, s.ref.n, s.cur.n, s.nan_ref, s.nan_cur);
				break;
			}
	}
	PG_RETURN_TEXT_P(cstring_to_text(desc));
}

/*
 * ethaudit_debug_plain_call(..., fn regprocedure, ...) -> fn(the other arguments)
 *
 * Calls fn the way an executor other than PostgreSQL's own calls an
 * aggregate's support functions (a distributed one on its workers): looked
 * up by OID, with no call expression, so nothing may be read from one.  The
 * first argument declared regprocedure names fn; the others are passed on in
 * order, with the caller's context, so that declared as the transition
 * function of an aggregate it runs as fn would.  Not part of the SQL API:
 * the regression tests declare it in pg_temp with the signatures they need.
 */
PG_FUNCTION_INFO_V1(ethaudit_debug_plain_call);
Datum
ethaudit_debug_plain_call(PG_FUNCTION_ARGS)
{
	LOCAL_FCINFO(inner, FUNC_MAX_ARGS);
	FmgrInfo	flinfo;
	int			fn_arg = -1;
	int			nargs = 0;
	Datum		result;

	for (int i = 0; i < PG_NARGS() && fn_arg < 0; i++)
		if (ea_declared_argtype(fcinfo, i) == REGPROCEDUREOID)
			fn_arg = i;
	if (fn_arg < 0 || PG_ARGISNULL(fn_arg))
		elog(ERROR, "ethaudit_debug_plain_call needs a function (regprocedure)");
	fmgr_info(PG_GETARG_OID(fn_arg), &flinfo);
	if (flinfo.fn_nargs != PG_NARGS() - 1)
		elog(ERROR, "ethaudit_debug_plain_call: the function takes %d arguments, not %d",
			 flinfo.fn_nargs, PG_NARGS() - 1);
	InitFunctionCallInfoData(*inner, &flinfo, flinfo.fn_nargs, fcinfo->fncollation,
							 fcinfo->context, NULL);
	for (int i = 0; i < PG_NARGS(); i++)
	{
		if (i == fn_arg)
			continue;
		inner->args[nargs].value = PG_GETARG_DATUM(i);
		inner->args[nargs].isnull = PG_ARGISNULL(i);
		if (flinfo.fn_strict && PG_ARGISNULL(i))
			PG_RETURN_NULL();
		nargs++;
	}
	result = FunctionCallInvoke(inner);
	if (inner->isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(result);
}
