/*
 * ethaudit.h - shared pieces of the fmgr layer: limits, error reporting and
 * the memory context an aggregate state lives in.
 */
#ifndef ETHAUDIT_H
#define ETHAUDIT_H

#include "postgres.h"
#include "fmgr.h"

#include "pg_compat.h"

#include "core/ea_status.h"

/* GUC-controlled limits, documented in doc/limits.md */
extern int	ethaudit_max_values;
extern int	ethaudit_max_categories;
extern int	ethaudit_max_groups;

/* registers ethaudit.allow_drop_with_evidence (evidence_guard.c) */
extern void ea_define_evidence_guard(void);
/* registers ethaudit.acting_role (owner_exec.c) */
extern void ea_define_acting_role(void);

/* raise the error matching a core status; `what` names the aggregate */
extern void ea_report(EaStatus st, const char *what);

static inline void
ea_check(EaStatus st, const char *what)
{
	if (unlikely(st != EA_OK))
		ea_report(st, what);
}

/* the aggregate's memory context; errors out outside an aggregate call */
extern MemoryContext ea_agg_context(FunctionCallInfo fcinfo, const char *fn);

/*
 * A bytea of `size` data bytes for a serialized state, to be filled at
 * VARDATA; refuses states over the 1 GB varlena limit.
 */
extern bytea *ea_state_bytea(size_t size, const char *what);

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

/* a value a probability argument must satisfy: 0 <= p <= 1, not NaN */
pg_noreturn extern void ea_probability_error(double p, const char *what);

/* errors unless 0 <= p <= 1 (NaN fails too) */
static inline void
ea_check_probability(double p, const char *what)
{
	if (unlikely(!(p >= 0.0 && p <= 1.0)))
		ea_probability_error(p, what);
}

#endif							/* ETHAUDIT_H */
