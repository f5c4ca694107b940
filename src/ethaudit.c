/*
 * ethaudit.c - the module: its entry point and the parameters that limit
 * what one aggregate state may hold.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "ethaudit.h"

PG_MODULE_MAGIC;

int			ethaudit_max_values = 100000000;
int			ethaudit_max_categories = 100000;
int			ethaudit_max_groups = 10000;
int			ethaudit_baseline_capture = EA_CAPTURE_AUTO;

/* how store_baseline() finds the quantile edges of a numeric baseline */
static const struct config_enum_entry capture_options[] = {
	{"auto", EA_CAPTURE_AUTO, false},
	{"sort", EA_CAPTURE_SORT, false},
	{"count", EA_CAPTURE_COUNT, false},
	{NULL, 0, false}
};

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
	DefineCustomEnumVariable("ethaudit.baseline_capture",
							 "How store_baseline() finds the quantile edges of a numeric baseline.",
							 "sort: one scan that keeps every value (8 bytes each); count: a few "
							 "scans that only count, in constant memory, which a distributed table "
							 "runs on its nodes; auto: count for a Citus distributed table, else sort.",
							 &ethaudit_baseline_capture,
							 EA_CAPTURE_AUTO, capture_options,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	ea_define_evidence_guard();
	ea_define_acting_role();
#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("ethaudit");
#else
	EmitWarningsOnPlaceholders("ethaudit");
#endif
}
