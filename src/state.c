/*
 * state.c - the support functions of every aggregate state, driven by its
 * descriptor: serialized forms, internal states, and storable states as
 * expanded objects (see state.h).
 */
#include "postgres.h"

#include "catalog/pg_aggregate.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "nodes/primnodes.h"
#include "nodes/pg_list.h"
#include "utils/memutils.h"

#include "host.h"
#include "state.h"

/* ---------- the serialized form ---------- */

/* the size of the serialized form; refuses states over the 1 GB varlena limit */
static size_t
flat_size(const void *state, const EaStateType *type)
{
	size_t		size = type->flat_size(state);

	if (size > MaxAllocSize - VARHDRSZ)
		ea_report(EA_ELIMIT, type->name);
	return size;
}

struct varlena *
ea_state_flatten(const void *state, const EaStateType *type)
{
	size_t		size = flat_size(state, type);
	struct varlena *v = palloc(VARHDRSZ + size);

	SET_VARSIZE(v, VARHDRSZ + size);
	type->flatten(state, (unsigned char *) VARDATA(v));
	return v;
}

/* combine's status as the error of the state's aggregates */
static void
check_combined(EaStatus st, const EaStateType *type)
{
	if (st == EA_EPARAM && type->mismatch != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s", type->mismatch)));
	ea_check(st, type->name);
}

/* ---------- internal states ---------- */

/* the aggregate context; `fn` names the support function in the error outside one */
static MemoryContext
internal_context(FunctionCallInfo fcinfo, const EaStateType *type, const char *fn)
{
	MemoryContext aggctx;

	if (!AggCheckCallContext(fcinfo, &aggctx))
		elog(ERROR, "%s_%s called in non-aggregate context", type->prefix, fn);
	return aggctx;
}

Datum
ea_internal_combine(FunctionCallInfo fcinfo, const EaStateType *type)
{
	MemoryContext aggctx = internal_context(fcinfo, type, "combine");
	void	   *a = PG_ARGISNULL(0) ? NULL : PG_GETARG_POINTER(0);
	void	   *b = PG_ARGISNULL(1) ? NULL : PG_GETARG_POINTER(1);

	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	if (a == NULL)
	{
		/* b may live in a shorter-lived context: its rows are added to a new state */
		a = MemoryContextAlloc(aggctx, type->state_size);
		ea_check(type->init_like(a, b, ea_memory(aggctx)), type->name);
	}
	check_combined(type->combine(a, b), type);
	PG_RETURN_POINTER(a);
}

Datum
ea_internal_serialize(FunctionCallInfo fcinfo, const EaStateType *type)
{
	void	   *s;

	internal_context(fcinfo, type, "serialize");
	s = PG_GETARG_POINTER(0);
	if (type->prepare != NULL)
		ea_check(type->prepare(s), type->name);
	PG_RETURN_BYTEA_P(ea_state_flatten(s, type));
}

Datum
ea_internal_deserialize(FunctionCallInfo fcinfo, const EaStateType *type)
{
	bytea	   *in;
	void	   *s;

	internal_context(fcinfo, type, "deserialize");
	in = PG_GETARG_BYTEA_PP(0);
	s = palloc(type->state_size);
	ea_check(type->unflatten(s, (const unsigned char *) VARDATA_ANY(in), VARSIZE_ANY_EXHDR(in),
							 ea_memory(CurrentMemoryContext)),
			 type->name);
	PG_RETURN_POINTER(s);
}

/* ---------- storable states: expanded objects ---------- */

static Size
eom_flat_size(ExpandedObjectHeader *eohptr)
{
	EaExpanded *e = (EaExpanded *) eohptr;

	return VARHDRSZ + flat_size(e->state, e->type);
}

static void
eom_flatten(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	EaExpanded *e = (EaExpanded *) eohptr;

	SET_VARSIZE(result, allocated_size);
	e->type->flatten(e->state, (unsigned char *) VARDATA(result));
}

const ExpandedObjectMethods ea_expanded_methods = {eom_flat_size, eom_flatten};

/*
 * The context that holds every state of our aggregates under one aggregate
 * context: one child, made on first use. A context per state would make
 * hash aggregation quadratic in the number of groups, since it sums the
 * memory of every child of its context each time it adds a group; one
 * shared child keeps that sum to one step, and the states to their own
 * size. Such an object is never deleted on its own: the executor deletes a
 * transition value only when the transition returns another one, which
 * ours never do, and resetting the aggregate context frees them all.
 */
static const char states_context_name[] = "ethaudit states";

static MemoryContext
states_context(MemoryContext aggctx)
{
	for (MemoryContext c = aggctx->firstchild; c != NULL; c = c->nextchild)
		if (c->name == states_context_name)
			return c;
	/* the Internal form takes a name that is not a literal: ours is static */
	return AllocSetContextCreateInternal(aggctx, states_context_name, ALLOCSET_DEFAULT_SIZES);
}

/* a new, zeroed object in ctx; shared: ctx holds other objects too */
static EaExpanded *
new_object(const EaStateType *type, MemoryContext ctx, bool shared)
{
	EaExpanded *e = MemoryContextAllocZero(ctx, sizeof(EaExpanded));

	EOH_init_header(&e->hdr, &ea_expanded_methods, ctx);
	e->type = type;
	e->shared = shared;
	e->state = MemoryContextAllocZero(ctx, type->state_size);
	return e;
}

/* an object of our own, outside aggregation: a private context */
static EaExpanded *
private_object(const EaStateType *type)
{
	return new_object(type, AllocSetContextCreate(CurrentMemoryContext, "ethaudit state",
												  ALLOCSET_SMALL_SIZES),
					  false);
}

static void
free_object(EaExpanded *e)
{
	if (!e->shared)
		MemoryContextDelete(e->hdr.eoh_context);
}

EaExpanded *
ea_expanded_new(const EaStateType *type, MemoryContext aggctx)
{
	return new_object(type, states_context(aggctx), true);
}

/* our own expanded object of this type behind d, or NULL for a flat value */
static EaExpanded *
own_object(Datum d, const EaStateType *type)
{
	ExpandedObjectHeader *eoh;

	if (!VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)))
		return NULL;
	eoh = DatumGetEOHP(d);
	if (eoh->eoh_methods != &ea_expanded_methods || ((EaExpanded *) eoh)->type != type)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("unexpected in-memory value where %s was expected", type->name)));
	return (EaExpanded *) eoh;
}

/* a flat value read into a new object (in aggctx, or private if NULL), validated */
static EaExpanded *
read_flat(Datum d, const EaStateType *type, MemoryContext aggctx)
{
	struct varlena *v = pg_detoast_datum((struct varlena *) DatumGetPointer(d));
	EaExpanded *e = aggctx != NULL ? ea_expanded_new(type, aggctx) : private_object(type);
	EaStatus	st = type->unflatten(e->state, (const unsigned char *) VARDATA(v),
									 VARSIZE(v) - VARHDRSZ, ea_expanded_memory(e));

	if (st != EA_OK)
	{
		free_object(e);
		ea_report(st, type->name);
	}
	return e;
}

void
ea_expanded_check_input(Datum flat, const EaStateType *type)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(flat);
	EaExpanded *e = private_object(type);
	EaStatus	st = type->unflatten(e->state, (const unsigned char *) VARDATA(v),
									 VARSIZE(v) - VARHDRSZ, ea_expanded_memory(e));

	free_object(e);
	if (st == EA_ECORRUPT)
		ea_impossible_state(type->name, "Its counts, totals, sums or statistics contradict each other.");
	ea_check(st, type->name);
}

void
ea_impossible_state(const char *type, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("impossible state for type %s", type),
			 errdetail("%s", detail),
			 errhint("doc/limits.md lists what a state must satisfy.")));
}

EaExpanded *
ea_expanded_writable(Datum d, const EaStateType *type, MemoryContext aggctx)
{
	EaExpanded *e = own_object(d, type);

	if (e != NULL && VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(d)))
		return e;
	if (e != NULL)
		d = ea_expanded_flat(e->state, type);
	return read_flat(d, type, aggctx);
}

const void *
ea_expanded_read(Datum d, const EaStateType *type)
{
	EaExpanded *e = own_object(d, type);

	if (e == NULL)
		e = read_flat(d, type, NULL);
	return e->state;
}

/*
 * The decoded value of a state argument that stays the same for the whole
 * call (a stored baseline), kept in fn_extra: decoding and validating it
 * once per group would be most of the cost of a GROUP BY over many small
 * groups. The cache holds one value, replaced (and freed) when another
 * comes, so a value that changes from row to row costs what it did.
 */
typedef struct ArgCache
{
	struct varlena *bytes;		/* a copy of the value decoded */
	EaExpanded *decoded;		/* in its own context under fn_mcxt */
} ArgCache;

const void *
ea_expanded_read_cached(FunctionCallInfo fcinfo, int argno, const EaStateType *type, bool *fresh)
{
	Datum		d = PG_GETARG_DATUM(argno);
	ArgCache   *c = (ArgCache *) fcinfo->flinfo->fn_extra;
	struct varlena *v;
	MemoryContext old;

	*fresh = true;
	if (VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)))
		return ea_expanded_read(d, type);	/* in memory already */
	v = pg_detoast_datum_packed((struct varlena *) DatumGetPointer(d));
	if (c != NULL && c->decoded->type == type &&
		VARSIZE_ANY_EXHDR(v) == VARSIZE_ANY_EXHDR(c->bytes) &&
		memcmp(VARDATA_ANY(v), VARDATA_ANY(c->bytes), VARSIZE_ANY_EXHDR(v)) == 0)
	{
		*fresh = false;
		return c->decoded->state;
	}
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	if (c == NULL)
		c = fcinfo->flinfo->fn_extra = palloc0(sizeof(ArgCache));
	else
	{
		pfree(c->bytes);
		free_object(c->decoded);
		c->bytes = NULL;
		c->decoded = NULL;
	}
	c->decoded = read_flat(PointerGetDatum(v), type, NULL);
	c->bytes = palloc(VARSIZE_ANY(v));
	memcpy(c->bytes, v, VARSIZE_ANY(v));
	MemoryContextSwitchTo(old);
	return c->decoded->state;
}

/*
 * True when argument argno of the transition function is, in the aggregate
 * call itself, a constant or a parameter (a literal, a bind parameter, a
 * scalar subquery): its datum then stays put for the life of an aggregate
 * state, and pointer equality with the first row's is proof of the same
 * value. The transition function's own expression cannot tell (its arguments
 * are placeholders), so this reads the Aggref. Window calls have none: any
 * other argument is compared byte for byte on every row, as a value computed
 * per row may be rebuilt at the same address with other contents.
 */
static bool
arg_is_stable(FunctionCallInfo fcinfo, int argno)
{
	Aggref	   *aggref = AggGetAggref(fcinfo);
	TargetEntry *tle;
	Node	   *arg;

	/* transition argument argno is aggregate input argno - 1 */
	if (aggref == NULL || aggref->aggkind != AGGKIND_NORMAL ||
		argno < 1 || argno > list_length(aggref->args))
		return false;
	tle = list_nth_node(TargetEntry, aggref->args, argno - 1);
	arg = (Node *) tle->expr;
	while (arg && IsA(arg, RelabelType))
		arg = (Node *) ((RelabelType *) arg)->arg;
	return arg != NULL && (IsA(arg, Const) || IsA(arg, Param));
}

void
ea_expanded_check_arg(EaExpanded *e, FunctionCallInfo fcinfo, int argno, const char *what)
{
	Datum		arg = PG_GETARG_DATUM(argno);
	struct varlena *v;

	v = pg_detoast_datum_packed((struct varlena *) DatumGetPointer(arg));
	if (e->arg == NULL)
	{
		e->arg = MemoryContextAlloc(e->hdr.eoh_context, VARSIZE_ANY(v));
		memcpy(e->arg, v, VARSIZE_ANY(v));
		/* the call's argument does not change kind: decided once per state */
		e->arg_stable = arg_is_stable(fcinfo, argno);
	}
	else if (VARSIZE_ANY_EXHDR(v) != VARSIZE_ANY_EXHDR(e->arg) ||
			 memcmp(VARDATA_ANY(v), VARDATA_ANY(e->arg), VARSIZE_ANY_EXHDR(v)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be the same for every row of the aggregate", what),
				 errhint("Group the rows by the column that selects it.")));
	e->arg_seen = e->arg_stable ? DatumGetPointer(arg) : NULL;
}

Datum
ea_expanded_flat(const void *state, const EaStateType *type)
{
	return PointerGetDatum(ea_state_flatten(state, type));
}

Datum
ea_expanded_combine(FunctionCallInfo fcinfo, const EaStateType *type)
{
	MemoryContext aggctx;
	EaExpanded *e;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	aggctx = ea_agg_context(fcinfo, type->name);
	if (PG_ARGISNULL(0))
	{
		/* the first state: a private copy to update in place */
		e = read_flat(ea_expanded_flat(ea_expanded_read(PG_GETARG_DATUM(1), type), type),
					  type, aggctx);
		PG_RETURN_DATUM(ea_expanded_datum(e));
	}
	e = ea_expanded_writable(PG_GETARG_DATUM(0), type, aggctx);
	check_combined(type->combine(e->state, ea_expanded_read(PG_GETARG_DATUM(1), type)), type);
	PG_RETURN_DATUM(ea_expanded_datum(e));
}

Datum
ea_expanded_state_final(FunctionCallInfo fcinfo, const EaStateType *type)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(ea_expanded_flat(ea_expanded_read(PG_GETARG_DATUM(0), type), type));
}

Datum
ea_state_recv(FunctionCallInfo fcinfo, const EaStateType *type)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			len = buf->len - buf->cursor;
	struct varlena *v = palloc(VARHDRSZ + len);
	EaExpanded *e;
	Datum		result;

	SET_VARSIZE(v, VARHDRSZ + len);
	pq_copymsgbytes(buf, VARDATA(v), len);
	/* validate, and store the canonical form */
	e = read_flat(PointerGetDatum(v), type, NULL);
	result = ea_expanded_flat(e->state, type);
	free_object(e);
	return result;
}

Datum
ea_state_send(FunctionCallInfo fcinfo, const EaStateType *type)
{
	Datum		d = PG_GETARG_DATUM(0);
	EaExpanded *e = own_object(d, type);
	struct varlena *v;
	StringInfoData buf;

	if (e != NULL)
		d = ea_expanded_flat(e->state, type);
	v = pg_detoast_datum((struct varlena *) DatumGetPointer(d));
	pq_begintypsend(&buf);
	pq_sendbytes(&buf, VARDATA(v), VARSIZE(v) - VARHDRSZ);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

