/*
 * state_json.c - the JSON text form shared by the storable state types
 * (see state.h): shortest exact doubles, strings, and a parser that refuses
 * repeated keys.
 */
#include "postgres.h"

#include <math.h>

#include "common/jsonapi.h"
#include "common/shortest_dec.h"
#include "mb/pg_wchar.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/numeric.h"

#include "state.h"

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
