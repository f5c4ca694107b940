/*
 * state_type.c - expanded-object plumbing and the JSON text form shared by
 * the state types (see state_type.h).
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_aggregate.h"
#include "common/jsonapi.h"
#include "common/shortest_dec.h"
#include "mb/pg_wchar.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "nodes/primnodes.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "ethaudit.h"
#include "state_type.h"

static Size
eom_flat_size(ExpandedObjectHeader *eohptr)
{
	EaExpanded *e = (EaExpanded *) eohptr;
	size_t		size = e->type->flat_size(e->state);

	if (size > MaxAllocSize - VARHDRSZ)
		ea_report(EA_ELIMIT, e->type->name);
	return VARHDRSZ + size;
}

static void
eom_flatten(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	EaExpanded *e = (EaExpanded *) eohptr;

	SET_VARSIZE(result, allocated_size);
	e->type->flatten(e->state, (unsigned char *) VARDATA(result));
}

const ExpandedObjectMethods ea_expanded_methods = {eom_flat_size, eom_flatten};

EaExpanded *
ea_expanded_new(const EaStateType *type, MemoryContext parent)
{
	MemoryContext ctx = AllocSetContextCreate(parent, "ethaudit state",
											  ALLOCSET_SMALL_SIZES);
	EaExpanded *e = MemoryContextAllocZero(ctx, sizeof(EaExpanded));

	EOH_init_header(&e->hdr, &ea_expanded_methods, ctx);
	e->type = type;
	e->state = MemoryContextAllocZero(ctx, type->state_size);
	return e;
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

/* a flat value read into a new object, validated */
static EaExpanded *
read_flat(Datum d, const EaStateType *type, MemoryContext parent)
{
	struct varlena *v = pg_detoast_datum((struct varlena *) DatumGetPointer(d));
	EaExpanded *e = ea_expanded_new(type, parent);
	MemoryContext old = MemoryContextSwitchTo(e->hdr.eoh_context);
	EaStatus	st = type->unflatten(e->state, (const unsigned char *) VARDATA(v),
									 VARSIZE(v) - VARHDRSZ);

	MemoryContextSwitchTo(old);
	if (st != EA_OK)
	{
		MemoryContextDelete(e->hdr.eoh_context);
		ea_report(st, type->name);
	}
	return e;
}

void
ea_expanded_check_input(Datum flat, const EaStateType *type)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(flat);
	EaExpanded *e = ea_expanded_new(type, CurrentMemoryContext);
	MemoryContext old = MemoryContextSwitchTo(e->hdr.eoh_context);
	EaStatus	st = type->unflatten(e->state, (const unsigned char *) VARDATA(v),
									 VARSIZE(v) - VARHDRSZ);

	MemoryContextSwitchTo(old);
	MemoryContextDelete(e->hdr.eoh_context);
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
ea_expanded_writable(Datum d, const EaStateType *type, MemoryContext parent)
{
	EaExpanded *e = own_object(d, type);

	if (e != NULL && VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(d)))
		return e;
	if (e != NULL)
		d = ea_expanded_flat(e->state, type);
	return read_flat(d, type, parent);
}

const void *
ea_expanded_read(Datum d, const EaStateType *type)
{
	EaExpanded *e = own_object(d, type);

	if (e == NULL)
		e = read_flat(d, type, CurrentMemoryContext);
	return e->state;
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
		MemoryContext old = MemoryContextSwitchTo(e->hdr.eoh_context);

		e->arg = palloc(VARSIZE_ANY(v));
		memcpy(e->arg, v, VARSIZE_ANY(v));
		MemoryContextSwitchTo(old);
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
	size_t		size = type->flat_size(state);
	struct varlena *v;

	if (size > MaxAllocSize - VARHDRSZ)
		ea_report(EA_ELIMIT, type->name);
	v = palloc(VARHDRSZ + size);
	SET_VARSIZE(v, VARHDRSZ + size);
	type->flatten(state, (unsigned char *) VARDATA(v));
	return PointerGetDatum(v);
}

Datum
ea_expanded_combine(FunctionCallInfo fcinfo, const EaStateType *type, EaCombineFn combine,
					const char *mismatch)
{
	MemoryContext aggctx;
	MemoryContext old;
	EaExpanded *e;
	EaStatus	st;

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
	old = MemoryContextSwitchTo(e->hdr.eoh_context);
	st = combine(e->state, ea_expanded_read(PG_GETARG_DATUM(1), type));
	MemoryContextSwitchTo(old);
	if (st == EA_EPARAM)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s", mismatch)));
	ea_check(st, type->name);
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
	e = read_flat(PointerGetDatum(v), type, CurrentMemoryContext);
	result = ea_expanded_flat(e->state, type);
	MemoryContextDelete(e->hdr.eoh_context);
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

/* ---------- JSON ---------- */

void
ea_json_double(StringInfo buf, double x)
{
	char		digits[DOUBLE_SHORTEST_DECIMAL_LEN];

	if (isnan(x))
		appendStringInfoString(buf, "\"NaN\"");
	else if (isinf(x))
		appendStringInfoString(buf, x > 0 ? "\"Infinity\"" : "\"-Infinity\"");
	else
	{
		double_to_shortest_decimal_buf(x, digits);
		appendStringInfoString(buf, digits);
	}
}

void
ea_json_string(StringInfo buf, const char *s, int len)
{
	char	   *z = pnstrdup(s, len);

	escape_json(buf, z);
	pfree(z);
}

void
ea_json_error(const char *type, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type %s", type),
			 errdetail("%s", detail)));
}

/*
 * jsonb keeps the last of repeated keys without a word, so a state could say
 * one thing to a reader of its text and another to the server: the text is
 * walked once more with the JSON parser itself, collecting each object's keys.
 */
typedef struct KeyFrame
{
	char	  **keys;
	int			n;
	int			cap;
} KeyFrame;

typedef struct DupCheck
{
	List	   *frames;			/* KeyFrame *, innermost last */
	const char *type;
} DupCheck;

#if PG_VERSION_NUM >= 160000
#define JSON_ACTION_RESULT JsonParseErrorType
#define JSON_ACTION_DONE return JSON_SUCCESS
#else
#define JSON_ACTION_RESULT void
#define JSON_ACTION_DONE return
#endif

static JSON_ACTION_RESULT
dup_object_start(void *state)
{
	DupCheck   *d = state;
	KeyFrame   *f = palloc0(sizeof(KeyFrame));

	d->frames = lappend(d->frames, f);
	JSON_ACTION_DONE;
}

static JSON_ACTION_RESULT
dup_field_start(void *state, char *fname, bool isnull)
{
	KeyFrame   *f = llast(((DupCheck *) state)->frames);

	if (f->n == f->cap)
	{
		f->cap = f->cap ? f->cap * 2 : 16;
		f->keys = f->keys ? repalloc_huge(f->keys, sizeof(char *) * f->cap)
			: palloc(sizeof(char *) * f->cap);
	}
	f->keys[f->n++] = fname;
	JSON_ACTION_DONE;
}

static int
cmp_cstring(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static JSON_ACTION_RESULT
dup_object_end(void *state)
{
	DupCheck   *d = state;
	KeyFrame   *f = llast(d->frames);

	qsort(f->keys, f->n, sizeof(char *), cmp_cstring);
	for (int i = 1; i < f->n; i++)
		if (strcmp(f->keys[i - 1], f->keys[i]) == 0)
			ea_json_error(d->type, psprintf("Key \"%s\" appears more than once in one object.",
											f->keys[i]));
	d->frames = list_delete_last(d->frames);
	JSON_ACTION_DONE;
}

static void
check_no_duplicate_keys(const char *text, const char *type)
{
	DupCheck	d = {NIL, type};
	JsonSemAction sem;
	JsonLexContext *lex;
	JsonParseErrorType err;

	memset(&sem, 0, sizeof(sem));
	sem.semstate = &d;
	sem.object_start = dup_object_start;
	sem.object_end = dup_object_end;
	sem.object_field_start = dup_field_start;
#if PG_VERSION_NUM >= 170000
	lex = makeJsonLexContextCstringLen(NULL, text, strlen(text), GetDatabaseEncoding(), true);
#else
	lex = makeJsonLexContextCstringLen(unconstify(char *, text), strlen(text),
									   GetDatabaseEncoding(), true);
#endif
	err = pg_parse_json(lex, &sem);
	if (err != JSON_SUCCESS)	/* jsonb_in has read it already: not expected */
		ea_json_error(type, "The value is not valid JSON.");
}

Jsonb *
ea_json_parse(const char *text, const char *type)
{
	Jsonb	   *jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(text)));

	if (!JB_ROOT_IS_OBJECT(jb))
		ea_json_error(type, "The value must be a JSON object.");
	check_no_duplicate_keys(text, type);
	return jb;
}

void
ea_json_only_keys(JsonbContainer *obj, const char *const *known, const char *type)
{
	JsonbIterator *it = JsonbIteratorInit(obj);
	JsonbValue	v;
	JsonbIteratorToken tok;

	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		bool		found = false;

		if (tok != WJB_KEY)
			continue;
		for (const char *const *k = known; *k != NULL && !found; k++)
			found = strlen(*k) == (size_t) v.val.string.len &&
				memcmp(*k, v.val.string.val, v.val.string.len) == 0;
		if (!found)
			ea_json_error(type, psprintf("Unknown key \"%s\".",
										 pnstrdup(v.val.string.val, v.val.string.len)));
	}
}

JsonbValue *
ea_json_member(JsonbContainer *obj, const char *key)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	return findJsonbValueFromContainer(obj, JB_FOBJECT, &k);
}

static JsonbValue *
required(JsonbContainer *obj, const char *key, const char *type)
{
	JsonbValue *v = ea_json_member(obj, key);

	if (v == NULL)
		ea_json_error(type, psprintf("Key \"%s\" is missing.", key));
	return v;
}

int64
ea_json_value_int64(JsonbValue *v, const char *key, const char *type)
{
	Datum		num,
				back;
	int64		result;

	if (v->type != jbvNumeric)
		ea_json_error(type, psprintf("\"%s\" must hold integers.", key));
	num = NumericGetDatum(v->val.numeric);
	result = DatumGetInt64(DirectFunctionCall1(numeric_int8, num));
	back = DirectFunctionCall1(int8_numeric, Int64GetDatum(result));
	if (!DatumGetBool(DirectFunctionCall2(numeric_eq, num, back)))
		ea_json_error(type, psprintf("\"%s\" must hold integers.", key));
	return result;
}

int64
ea_json_int64(JsonbContainer *obj, const char *key, const char *type)
{
	return ea_json_value_int64(required(obj, key, type), key, type);
}

double
ea_json_number(JsonbValue *v, const char *key, const char *type)
{
	if (v->type == jbvNumeric)
		return DatumGetFloat8(DirectFunctionCall1(numeric_float8,
												  NumericGetDatum(v->val.numeric)));
	if (v->type == jbvNull)
		return NAN;
	if (v->type == jbvString)
	{
		const char *s = v->val.string.val;
		int			len = v->val.string.len;

		if (len == 3 && strncmp(s, "NaN", 3) == 0)
			return NAN;
		if (len == 8 && strncmp(s, "Infinity", 8) == 0)
			return INFINITY;
		if (len == 9 && strncmp(s, "-Infinity", 9) == 0)
			return -INFINITY;
	}
	ea_json_error(type, psprintf("\"%s\" must be a number.", key));
}

JsonbContainer *
ea_json_container(JsonbContainer *obj, const char *key, bool array, const char *type)
{
	JsonbValue *v = required(obj, key, type);

	if (v->type != jbvBinary ||
		!(array ? JsonContainerIsArray(v->val.binary.data) : JsonContainerIsObject(v->val.binary.data)))
		ea_json_error(type, psprintf("\"%s\" must be a JSON %s.", key, array ? "array" : "object"));
	return v->val.binary.data;
}
