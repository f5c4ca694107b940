/*
 * state_type.h - aggregate states as concrete SQL types.
 *
 * ethaudit.baseline, ethaudit.group_counts and ethaudit.calibration_counts
 * are varlena types whose bytes are the core's serialized state (versioned,
 * big-endian, validated on the way in). While an aggregate runs, the state
 * is an expanded object (PostgreSQL's expanded-datum protocol): the core's
 * in-memory structure, updated in place in a memory context under the
 * aggregate context, and flattened to those bytes only when stored, sent to
 * another process or copied. So the aggregates have a concrete transition
 * type (what Citus needs to push them down to workers) without a per-row
 * copy.
 */
#ifndef EA_STATE_TYPE_H
#define EA_STATE_TYPE_H

#include "postgres.h"

#include "pg_compat.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/expandeddatum.h"
#include "utils/jsonb.h"

#include "core/ea_status.h"

/* how one core state type is sized, written, read and freed */
typedef struct EaStateType
{
	const char *name;			/* SQL type name, for messages */
	size_t		state_size;		/* sizeof the core structure */
	size_t		(*flat_size) (const void *state);
	void		(*flatten) (const void *state, unsigned char *buf);
	/* reads and validates; the current memory context holds the result */
	EaStatus	(*unflatten) (void *state, const unsigned char *buf, size_t len);
} EaStateType;

typedef struct EaExpanded
{
	ExpandedObjectHeader hdr;
	const EaStateType *type;
	void	   *state;			/* allocated in hdr.eoh_context */
	/* the varlena argument the state was built against (a baseline, edges) */
	struct varlena *arg;		/* its detoasted copy, or NULL */
	bool		arg_stable;		/* a constant or parameter in the call: see arg_seen */
	Pointer		arg_seen;		/* the pointer it came in last, a fast path */
} EaExpanded;

extern const ExpandedObjectMethods ea_expanded_methods;

/* our own read-write object of this type behind d, or NULL: the per-row fast path */
static inline EaExpanded *
ea_expanded_rw(Datum d, const EaStateType *type)
{
	if (VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(d)))
	{
		/* DatumGetEOHP, inline: this runs once per row */
		varatt_expanded ptr;
		EaExpanded *e;

		memcpy(&ptr, VARDATA_EXTERNAL(DatumGetPointer(d)), sizeof(ptr));
		e = (EaExpanded *) ptr.eohptr;

		if (e->hdr.eoh_methods == &ea_expanded_methods && e->type == type)
			return e;
	}
	return NULL;
}

/* a new, zeroed state in its own context under `parent` */
extern EaExpanded *ea_expanded_new(const EaStateType *type, MemoryContext parent);

/*
 * The state a datum holds. Our own read-write object is returned as is (to
 * be updated in place); anything else - a flat value, a read-only pointer -
 * is read into a new object under `parent`, validated.
 */
extern EaExpanded *ea_expanded_writable(Datum d, const EaStateType *type, MemoryContext parent);

/* the state a datum holds, for reading only: never copies our own objects */
extern const void *ea_expanded_read(Datum d, const EaStateType *type);

static inline Datum
ea_expanded_datum(EaExpanded *e)
{
	return EOHPGetRWDatum(&e->hdr);
}

/*
 * Remember argument argno as the one the state is built against (first
 * row), or check that a later row passes the same value: errors with `what`
 * if not. A constant or parameter argument costs a pointer comparison per
 * row; any other, a comparison of its bytes.
 */
extern void ea_expanded_check_arg(EaExpanded *e, FunctionCallInfo fcinfo, int argno,
								  const char *what);

static inline void
ea_expanded_same_arg(EaExpanded *e, FunctionCallInfo fcinfo, int argno, const char *what)
{
	/* the per-row case: the same constant or parameter as the row before */
	if (likely(e->arg != NULL && DatumGetPointer(PG_GETARG_DATUM(argno)) == e->arg_seen))
		return;
	ea_expanded_check_arg(e, fcinfo, argno, what);
}

/*
 * Validates a state built from its text form with the checks of the binary
 * form: 22P03 when the state it describes is impossible.
 */
extern void ea_expanded_check_input(Datum flat, const EaStateType *type);

/* 22P03 for a text form whose content contradicts itself */
pg_noreturn extern void ea_impossible_state(const char *type, const char *detail);

/* a flat copy of the state in the current memory context */
extern Datum ea_expanded_flat(const void *state, const EaStateType *type);

/* adds the state `from` into `into`; EA_EPARAM when they cannot be added */
typedef EaStatus (*EaCombineFn) (void *into, const void *from);

/*
 * The combine function of an aggregate over a state type, which is also the
 * transition function of merge(): NULLs pass through, the first state is
 * copied to be updated in place, EA_EPARAM raises 22023 with `mismatch`.
 */
extern Datum ea_expanded_combine(FunctionCallInfo fcinfo, const EaStateType *type,
								 EaCombineFn combine, const char *mismatch);

/* final function of a state-building aggregate: the state itself, flat */
extern Datum ea_expanded_state_final(FunctionCallInfo fcinfo, const EaStateType *type);

/* input, output, send and receive shared by the state types */
extern Datum ea_state_recv(FunctionCallInfo fcinfo, const EaStateType *type);
extern Datum ea_state_send(FunctionCallInfo fcinfo, const EaStateType *type);

/* ---------- the JSON text form ---------- */

/* doubles in shortest exact form; non-finite values as "Infinity", "NaN" */
extern void ea_json_double(StringInfo buf, double x);
extern void ea_json_string(StringInfo buf, const char *s, int len);

/* the text parsed as a JSON object without repeated keys, or an error naming the type */
extern Jsonb *ea_json_parse(const char *text, const char *type);
/* errors on a key of obj not in the NULL-terminated list `known` */
extern void ea_json_only_keys(JsonbContainer *obj, const char *const *known, const char *type);
/* a member of an object; NULL when absent */
extern JsonbValue *ea_json_member(JsonbContainer *obj, const char *key);
/* a required member, converted; errors name the type and the key */
extern int64 ea_json_int64(JsonbContainer *obj, const char *key, const char *type);
extern int64 ea_json_value_int64(JsonbValue *v, const char *key, const char *type);
extern double ea_json_number(JsonbValue *v, const char *key, const char *type);
extern JsonbContainer *ea_json_container(JsonbContainer *obj, const char *key, bool array,
										 const char *type);
pg_noreturn extern void ea_json_error(const char *type, const char *detail);

/* ethaudit.group_counts (agg_fairness.c) */
extern const EaStateType ea_group_counts_type;

/*
 * The writable group counts of a transition call: argument 0, or a new
 * state with the given minimum count option; errors if the option differs.
 */
extern EaExpanded *ea_group_counts_state(FunctionCallInfo fcinfo, int64 min_count);

#endif							/* EA_STATE_TYPE_H */
