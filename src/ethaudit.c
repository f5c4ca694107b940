/*
 * ethaudit.c - module entry point, limits, and helpers shared by the
 * aggregate wrappers.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "ethaudit.h"
#include "core/ea_alloc.h"
#include "core/binning.h"
#include "core/average.h"
#include "core/baseline.h"
#include "core/calibration.h"
#include "core/categorical.h"
#include "core/codec.h"
#include "core/confusion.h"
#include "core/twosample.h"

PG_MODULE_MAGIC;

int			ethaudit_max_values = 100000000;
int			ethaudit_max_categories = 100000;
int			ethaudit_max_groups = 10000;

void		_PG_init(void);

/*
 * The limits are the server's defence against one query taking all its
 * memory, so only a superuser, or a role granted SET on the parameter
 * (GRANT SET ON PARAMETER ethaudit.max_values TO ...), may change them; the
 * decoders also read them, so they bound what a stored state may hold.
 * They exist from the moment the library is loaded: preload it
 * (session_preload_libraries or shared_preload_libraries) for SHOW to know
 * them in every session.
 */
void
_PG_init(void)
{
	DefineCustomIntVariable("ethaudit.max_values",
							"Largest number of values one exact drift aggregate keeps.",
							"The float8 drift aggregates (psi, js_divergence, hellinger, kl_divergence, "
							"ks_stat, ks_test, wasserstein) and roc_auc keep every value (8 bytes each); "
							"past this many they raise an error.",
							&ethaudit_max_values,
							100000000, 1000, PG_INT32_MAX,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("ethaudit.max_categories",
							"Largest number of distinct categories one text drift aggregate keeps.",
							NULL,
							&ethaudit_max_categories,
							100000, 2, PG_INT32_MAX / 4,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("ethaudit.max_groups",
							"Largest number of distinct groups one fairness aggregate keeps.",
							NULL,
							&ethaudit_max_groups,
							10000, 2, PG_INT32_MAX / 4,
							PGC_SUSET, 0, NULL, NULL, NULL);
	ea_define_evidence_guard();
	ea_define_acting_role();
#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("ethaudit");
#else
	EmitWarningsOnPlaceholders("ethaudit");
#endif
}

/* the core allocates in the caller's current memory context */
void *
ea_alloc(size_t size)
{
	return palloc_extended(size, MCXT_ALLOC_HUGE);
}

void *
ea_realloc(void *ptr, size_t size)
{
	return repalloc_huge(ptr, size);
}

void
ea_free(void *ptr)
{
	pfree(ptr);
}

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

MemoryContext
ea_agg_context(FunctionCallInfo fcinfo, const char *fn)
{
	MemoryContext aggctx;

	if (!AggCheckCallContext(fcinfo, &aggctx))
		elog(ERROR, "%s called in non-aggregate context", fn);
	return aggctx;
}

bytea *
ea_state_bytea(size_t size, const char *what)
{
	bytea	   *out;

	if (size > MaxAllocSize - VARHDRSZ)
		ea_report(EA_ELIMIT, what);
	out = palloc(VARHDRSZ + size);
	SET_VARSIZE(out, VARHDRSZ + size);
	return out;
}

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

/* the error of ea_check_probability, out of line */
void
ea_probability_error(double p, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("%s: probability %s is outside [0, 1]", what, float8out_internal(p)),
			 errdetail("y_prob must be a number between 0 and 1; NaN is not allowed.")));
}

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
	char	   *desc;

	switch (kind)
	{
		case EA_KIND_CATEGORICAL:
			{
				EaCategorical c;

				ea_check(ea_categorical_deserialize(&c, buf, len, ethaudit_max_categories),
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

				ea_check(ea_confusion_deserialize(&c, buf, len, ethaudit_max_groups),
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

				ea_check(ea_group_calibration_deserialize(&g, buf, len, ethaudit_max_groups),
						 "calibration_by_group");
				desc = psprintf("group calibration: %d groups, %d bins", g.groups.nkeys, g.nbins);
				break;
			}
		case EA_KIND_BASELINE:
			{
				EaBaseline	b;

				ea_check(ea_baseline_deserialize(&b, buf, len, ethaudit_max_categories),
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

				ea_check(ea_twosample_deserialize(&s, buf, len, ethaudit_max_values),
						 "drift aggregate");
				desc = psprintf("twosample: binning %d, bins %d, " INT64_FORMAT " reference, "
								INT64_FORMAT " current, " INT64_FORMAT " + " INT64_FORMAT " NaN",
								s.binning, s.bins, s.ref.n, s.cur.n, s.nan_ref, s.nan_cur);
				break;
			}
	}
	PG_RETURN_TEXT_P(cstring_to_text(desc));
}
