/*
 * host.h - what the server gives the numeric core, and how the core's
 * results become the server's: memory (an EaMemory over a memory context),
 * the errors of the core's status codes, and the argument checks the
 * aggregates share.
 */
#ifndef EA_HOST_H
#define EA_HOST_H

#include "postgres.h"

#include "pg_compat.h"

#include "fmgr.h"

#include "core/ea_alloc.h"
#include "core/ea_status.h"

/* ---------- memory ---------- */

/* palloc, repalloc and pfree, huge allocations allowed; they never return NULL */
extern const EaMemoryOps ea_context_ops;

/*
 * The core's memory in a memory context: what a state made with it
 * allocates lives in that context and goes with it, whatever context is
 * current when the core is called.
 */
static inline EaMemory
ea_memory(MemoryContext context)
{
	EaMemory	mem = {&ea_context_ops, context};

	return mem;
}

/* the aggregate's memory context; errors out outside an aggregate call */
extern MemoryContext ea_agg_context(FunctionCallInfo fcinfo, const char *fn);

/* the declared type of argument argno, and the element type of the array returned */
extern Oid	ea_declared_argtype(FunctionCallInfo fcinfo, int argno);
extern Oid	ea_declared_array_element(FunctionCallInfo fcinfo, const char *fn);

/* ---------- errors ---------- */

/* raise the error matching a core status; `what` names the aggregate */
extern void ea_report(EaStatus st, const char *what);

static inline void
ea_check(EaStatus st, const char *what)
{
	if (unlikely(st != EA_OK))
		ea_report(st, what);
}

/* a value a probability argument must satisfy: 0 <= p <= 1, not NaN */
pg_noreturn extern void ea_probability_error(double p, const char *what);

/* errors unless 0 <= p <= 1 (NaN fails too) */
static inline void
ea_check_probability(double p, const char *what)
{
	if (unlikely(!(p >= 0.0 && p <= 1.0)))
		ea_probability_error(p, what);
}

/* ---------- arguments and results ---------- */

/*
 * A text argument ready for VARDATA_ANY: detoasted only when it is stored
 * out of line or compressed, without a function call for the common case.
 */
static inline struct varlena *
ea_text_arg(Datum d)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(d);

	if (unlikely(VARATT_IS_EXTERNAL(v) || VARATT_IS_COMPRESSED(v)))
		v = pg_detoast_datum_packed(v);
	return v;
}

/*
 * The bytes and length of a text argument. A short value in line (1-byte
 * header: any key under 127 bytes read from a table) takes one test.
 */
static inline const char *
ea_text_bytes(Datum d, uint32 *len)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(d);

	if (likely(VARATT_IS_1B(v) && !VARATT_IS_1B_E(v)))
	{
		*len = VARSIZE_1B(v) - VARHDRSZ_SHORT;
		return VARDATA_1B(v);
	}
	v = ea_text_arg(d);
	*len = VARSIZE_ANY_EXHDR(v);
	return VARDATA_ANY(v);
}

/* options shared by several aggregates */
extern int	ea_check_bins(int32 bins, int min_bins, const char *what);
extern int	ea_parse_binning(text *name, const char *what);
/* drift_test's test option: an EaDriftTest, checked against the column's kind */
extern int	ea_parse_drift_test(text *name, bool numeric);
/* a minimum group size in argument arg: dflt when NULL, at least 1 */
extern int64 ea_min_count_arg(FunctionCallInfo fcinfo, int arg, int64 dflt, const char *what);

/* a row of the function's composite result type */
extern Datum ea_composite_result(FunctionCallInfo fcinfo, Datum *values, bool *nulls);

/*
 * drift_test's result row (ethaudit.drift_test_result); nonfinite counts < 0
 * and an unseen count < 0 are NULL (not counted for that kind of column)
 */
struct EaDriftResult;
extern Datum ea_drift_result_datum(FunctionCallInfo fcinfo, const struct EaDriftResult *r,
								   int64 nonfinite_ref, int64 nonfinite_cur);

#endif							/* EA_HOST_H */
