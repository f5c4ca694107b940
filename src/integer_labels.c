/*
 * integer_labels.c - the integer forms of the aggregates that read boolean
 * labels or predictions: y_true and y_pred as bigint 0 or 1 (smallint and
 * integer columns reach them through PostgreSQL's implicit casts).
 *
 * Each <function>_int checks its bigint arguments, replaces them with the
 * booleans they stand for and calls <function>, so both forms share one
 * code path.  Which arguments are labels comes from the function's own
 * declaration (its bigint arguments, ea_declared_argtype, looked up once
 * per query and kept in fn_extra), never from how the executor calls it.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"

#include "host.h"

/* the support functions with boolean labels (state_*.c) */
extern Datum confusion_trans(PG_FUNCTION_ARGS);
extern Datum confusion_inv(PG_FUNCTION_ARGS);
extern Datum confusion_trans_min(PG_FUNCTION_ARGS);
extern Datum confusion_inv_min(PG_FUNCTION_ARGS);
extern Datum confusion_trans_min_negatives(PG_FUNCTION_ARGS);
extern Datum confusion_inv_min_negatives(PG_FUNCTION_ARGS);
extern Datum confusion_trans_min_size(PG_FUNCTION_ARGS);
extern Datum confusion_inv_min_size(PG_FUNCTION_ARGS);
extern Datum confusion_trans_pooled(PG_FUNCTION_ARGS);
extern Datum confusion_inv_pooled(PG_FUNCTION_ARGS);
extern Datum confusion_trans_report(PG_FUNCTION_ARGS);
extern Datum confusion_inv_report(PG_FUNCTION_ARGS);
extern Datum confusion_trans_report_min(PG_FUNCTION_ARGS);
extern Datum confusion_inv_report_min(PG_FUNCTION_ARGS);
extern Datum confusion_trans_selection(PG_FUNCTION_ARGS);
extern Datum confusion_inv_selection(PG_FUNCTION_ARGS);
extern Datum confusion_trans_selection_pooled(PG_FUNCTION_ARGS);
extern Datum confusion_inv_selection_pooled(PG_FUNCTION_ARGS);
extern Datum calibration_trans(PG_FUNCTION_ARGS);
extern Datum calibration_inv(PG_FUNCTION_ARGS);
extern Datum calibration_trans_bins(PG_FUNCTION_ARGS);
extern Datum calibration_inv_bins(PG_FUNCTION_ARGS);
extern Datum group_calibration_trans(PG_FUNCTION_ARGS);
extern Datum group_calibration_trans_bins(PG_FUNCTION_ARGS);
extern Datum group_calibration_trans_min_size(PG_FUNCTION_ARGS);
extern Datum brier_trans(PG_FUNCTION_ARGS);
extern Datum log_loss_trans(PG_FUNCTION_ARGS);
extern Datum twosample_trans_labeled(PG_FUNCTION_ARGS);

/* bit i set: argument i is a bigint label */
static uint32
label_arguments(FunctionCallInfo fcinfo)
{
	uint32	   *mask = (uint32 *) fcinfo->flinfo->fn_extra;

	if (mask == NULL)
	{
		mask = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(uint32));
		for (int i = 0; i < PG_NARGS() && i < 32; i++)
			if (ea_declared_argtype(fcinfo, i) == INT8OID)
				*mask |= (uint32) 1 << i;
		fcinfo->flinfo->fn_extra = mask;
	}
	return *mask;
}

/* 0 and 1 become false and true; anything else is refused with its value */
static void
labels_to_booleans(FunctionCallInfo fcinfo)
{
	uint32		mask = label_arguments(fcinfo);

	for (int i = 0; i < PG_NARGS() && i < 32; i++)
	{
		int64		v;

		if (!(mask & ((uint32) 1 << i)) || PG_ARGISNULL(i))
			continue;
		v = PG_GETARG_INT64(i);
		if (v != 0 && v != 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("an integer label or prediction must be 0 or 1, got " INT64_FORMAT, v),
					 errhint("Compare it to make a boolean, e.g. label > 0.")));
		fcinfo->args[i].value = BoolGetDatum(v == 1);
	}
}

#define INTEGER_LABELS(fn) \
	PG_FUNCTION_INFO_V1(fn##_int); \
	Datum fn##_int(PG_FUNCTION_ARGS); \
	Datum \
	fn##_int(PG_FUNCTION_ARGS) \
	{ \
		labels_to_booleans(fcinfo); \
		return fn(fcinfo); \
	}

INTEGER_LABELS(confusion_trans)
INTEGER_LABELS(confusion_inv)
INTEGER_LABELS(confusion_trans_min)
INTEGER_LABELS(confusion_inv_min)
INTEGER_LABELS(confusion_trans_min_negatives)
INTEGER_LABELS(confusion_inv_min_negatives)
INTEGER_LABELS(confusion_trans_min_size)
INTEGER_LABELS(confusion_inv_min_size)
INTEGER_LABELS(confusion_trans_pooled)
INTEGER_LABELS(confusion_inv_pooled)
INTEGER_LABELS(confusion_trans_report)
INTEGER_LABELS(confusion_inv_report)
INTEGER_LABELS(confusion_trans_report_min)
INTEGER_LABELS(confusion_inv_report_min)
INTEGER_LABELS(confusion_trans_selection)
INTEGER_LABELS(confusion_inv_selection)
INTEGER_LABELS(confusion_trans_selection_pooled)
INTEGER_LABELS(confusion_inv_selection_pooled)
INTEGER_LABELS(calibration_trans)
INTEGER_LABELS(calibration_inv)
INTEGER_LABELS(calibration_trans_bins)
INTEGER_LABELS(calibration_inv_bins)
INTEGER_LABELS(group_calibration_trans)
INTEGER_LABELS(group_calibration_trans_bins)
INTEGER_LABELS(group_calibration_trans_min_size)
INTEGER_LABELS(brier_trans)
INTEGER_LABELS(log_loss_trans)
INTEGER_LABELS(twosample_trans_labeled)
