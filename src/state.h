/*
 * state.h - the one protocol of the aggregate states.
 *
 * Every state is a structure of the numeric core, described by an
 * EaStateType: its size, its serialized form (the core's versioned,
 * big-endian encoding, validated on the way in), how one state is added
 * into another, and, for internal states, how an empty state with another
 * one's options is made.  The functions below are every state's support
 * functions, driven by its descriptor alone:
 *
 * - Internal states (STYPE = internal): the transition value is a pointer
 *   to the core structure, allocated in the aggregate context together with
 *   everything it holds.  ea_internal_combine, ea_internal_serialize and
 *   ea_internal_deserialize are the COMBINEFUNC, SERIALFUNC and
 *   DESERIALFUNC of each such state.
 * - Storable states (ethaudit.baseline, ethaudit.group_counts,
 *   ethaudit.calibration_counts): varlena types whose bytes are the
 *   serialized form.  While an aggregate runs, the state is an expanded
 *   object (PostgreSQL's expanded-datum protocol): the core's structure,
 *   updated in place in a memory context under the aggregate context, and
 *   flattened to those bytes only when stored, sent to another process or
 *   copied.  So these aggregates have a concrete transition type (what
 *   Citus needs to push them down to workers) without a per-row copy.
 *
 * Either way a state is made with the EaMemory of the context it lives in
 * (host.h) and allocates only there, so no support function switches
 * memory contexts around a call into the core.
 *
 * Each state has one file, src/state_<name>.c: its descriptor, its
 * transition functions and its final functions.
 */
#ifndef EA_STATE_H
#define EA_STATE_H

#include "postgres.h"

#include "pg_compat.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/expandeddatum.h"
#include "utils/jsonb.h"

#include "host.h"

typedef struct EaStateType
{
	/* in messages: the SQL type, or what the aggregates are called */
	const char *name;
	/* internal states: the prefix of their support functions' SQL names */
	const char *prefix;
	size_t		state_size;		/* sizeof the core structure */

	/* the serialized form */
	size_t		(*flat_size) (const void *state);
	void		(*flatten) (const void *state, unsigned char *buf);
	/* reads and validates into `state`, which then allocates with mem */
	EaStatus	(*unflatten) (void *state, const unsigned char *buf, size_t len, EaMemory mem);

	/* into += from; EA_EPARAM when they were built with different options */
	EaStatus	(*combine) (void *into, const void *from);
	/* the message of EA_EPARAM from combine (22023); NULL: ea_report's */
	const char *mismatch;

	/* internal states: an empty state with the options of `like` */
	EaStatus	(*init_like) (void *state, const void *like, EaMemory mem);
	/* internal states, optional: work done in each parallel worker before flatten */
	EaStatus	(*prepare) (void *state);
} EaStateType;

/* the serialized form of a state as a varlena (a bytea, or a storable type) */
extern struct varlena *ea_state_flatten(const void *state, const EaStateType *type);


/* ---------- internal states ---------- */

/* combine(state, state): NULLs pass through; the first state is copied into the aggregate context */
extern Datum ea_internal_combine(FunctionCallInfo fcinfo, const EaStateType *type);

/* serialize(state) -> bytea */
extern Datum ea_internal_serialize(FunctionCallInfo fcinfo, const EaStateType *type);

/* deserialize(bytea, internal) -> state, validated */
extern Datum ea_internal_deserialize(FunctionCallInfo fcinfo, const EaStateType *type);

/* the state argument of a final function, or NULL when no row was aggregated */
static inline void *
ea_internal_state(FunctionCallInfo fcinfo)
{
	return PG_ARGISNULL(0) ? NULL : PG_GETARG_POINTER(0);
}

/* ---------- storable states: expanded objects ---------- */

typedef struct EaExpanded
{
	ExpandedObjectHeader hdr;
	const EaStateType *type;
	void	   *state;			/* allocated in hdr.eoh_context */
	bool		shared;			/* that context holds other states too (aggregation) */
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

/*
 * A new, zeroed state of an aggregate, in the one context that holds the
 * states of our aggregates under the aggregate context aggctx (state.c).
 */
extern EaExpanded *ea_expanded_new(const EaStateType *type, MemoryContext aggctx);

/* the memory of an expanded state: its context (shared during aggregation) */
static inline EaMemory
ea_expanded_memory(EaExpanded *e)
{
	return ea_memory(e->hdr.eoh_context);
}

/*
 * The state a datum holds. Our own read-write object is returned as is (to
 * be updated in place); anything else - a flat value, a read-only pointer -
 * is read into a new object in the states' context under aggctx, validated.
 */
extern EaExpanded *ea_expanded_writable(Datum d, const EaStateType *type, MemoryContext aggctx);

/* the state a datum holds, for reading only: never copies our own objects */
extern const void *ea_expanded_read(Datum d, const EaStateType *type);

/*
 * The same for argument argno of a support function, decoded once and kept
 * in fn_extra while the argument keeps its value (state.c): for a reference
 * that every group reads.  fn_extra must be free for it.  *fresh is false
 * when the value came from the cache, so checks of it made when it was
 * decoded hold still.
 */
extern const void *ea_expanded_read_cached(FunctionCallInfo fcinfo, int argno, const EaStateType *type,
										   bool *fresh);

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

/*
 * The combine function of an aggregate over a storable state, which is also
 * the transition function of merge(): NULLs pass through, the first state
 * is copied to be updated in place, EA_EPARAM raises 22023 with the
 * descriptor's mismatch message.
 */
extern Datum ea_expanded_combine(FunctionCallInfo fcinfo, const EaStateType *type);

/* final function of a state-building aggregate: the state itself, flat */
extern Datum ea_expanded_state_final(FunctionCallInfo fcinfo, const EaStateType *type);

/* receive and send of the storable types */
extern Datum ea_state_recv(FunctionCallInfo fcinfo, const EaStateType *type);
extern Datum ea_state_send(FunctionCallInfo fcinfo, const EaStateType *type);

/* ---------- the JSON text form of the storable types (state_json.c) ---------- */

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

/* ---------- the states (src/state_<name>.c) ---------- */

/* internal */
extern const EaStateType ea_twosample_state;	/* kept values: float8 drift, roc_auc */
extern const EaStateType ea_categorical_state;	/* category counts: text drift */
extern const EaStateType ea_group_calibration_state;	/* calibration bins per group */
extern const EaStateType ea_average_state;	/* averaged losses */
extern const EaStateType ea_expected_state;	/* expected confusion: estimated_* */
extern const EaStateType ea_baseline_build_state;	/* values of baseline(value [, bins]) */

/* storable */
extern const EaStateType ea_baseline_state; /* ethaudit.baseline */
extern const EaStateType ea_calibration_counts_state;	/* ethaudit.calibration_counts */
extern const EaStateType ea_group_counts_state; /* ethaudit.group_counts */

#endif							/* EA_STATE_H */
