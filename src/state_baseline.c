/*
 * state_baseline.c - the distribution of one column in constant memory,
 * storable as ethaudit.baseline: its text and binary forms, accessors, the
 * aggregates that count rows into a baseline (over given edges, per
 * category, or over another baseline's bins), the one-pass metrics of
 * current rows against a stored baseline, merging, and comparisons of two
 * stored baselines.  Building one at exact reference quantiles needs every
 * value first: state_baseline_build.c.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "ethaudit.h"
#include "host.h"
#include "state.h"
#include "core/baseline.h"

/* ---------- the descriptor ---------- */

static size_t
baseline_flat_size(const void *s)
{
	return ea_baseline_serialized_size((const EaBaseline *) s);
}

static void
baseline_flatten(const void *s, unsigned char *buf)
{
	ea_baseline_serialize((const EaBaseline *) s, buf);
}

static EaStatus
baseline_unflatten(void *s, const unsigned char *buf, size_t len, EaMemory mem)
{
	return ea_baseline_deserialize((EaBaseline *) s, buf, len, ethaudit_max_categories, mem);
}

static EaStatus
baseline_add(void *into, const void *from)
{
	return ea_baseline_combine((EaBaseline *) into, (const EaBaseline *) from,
							   ethaudit_max_categories);
}

const EaStateType ea_baseline_state = {
	.name = "ethaudit.baseline",
	.state_size = sizeof(EaBaseline),
	.flat_size = baseline_flat_size,
	.flatten = baseline_flatten,
	.unflatten = baseline_unflatten,
	.combine = baseline_add,
	.mismatch = "cannot merge baselines with different bins or references",
};

/* baseline_combine(a, b): combine function, and the transition of merge() */
PG_FUNCTION_INFO_V1(baseline_combine);
Datum
baseline_combine(PG_FUNCTION_ARGS)
{
	return ea_expanded_combine(fcinfo, &ea_baseline_state);
}

#define BASELINE_ARG(n) ((const EaBaseline *) ea_expanded_read(PG_GETARG_DATUM(n), &ea_baseline_state))

/* ---------- text form: JSON ---------- */

static void
baseline_to_json(StringInfo buf, const EaBaseline *b)
{
	double		mean,
				m2,
				variance;

	appendStringInfo(buf, "{\"kind\": \"%s\", \"n\": " INT64_FORMAT,
					 b->kind == EA_BASELINE_NUMERIC ? "numeric" : "categorical", b->n);
	if (b->kind == EA_BASELINE_NUMERIC)
	{
		appendStringInfo(buf, ", \"nan\": " INT64_FORMAT ", \"null\": " INT64_FORMAT, b->nan, b->nulls);
		appendStringInfoString(buf, ", \"min\": ");
		if (isnan(b->min))
			appendStringInfoString(buf, "null");
		else
			ea_json_double(buf, b->min);
		appendStringInfoString(buf, ", \"max\": ");
		if (isnan(b->max))
			appendStringInfoString(buf, "null");
		else
			ea_json_double(buf, b->max);
		ea_baseline_stats(b, &mean, &m2, &variance);
		appendStringInfoString(buf, ", \"mean\": ");
		ea_json_double(buf, mean);
		appendStringInfoString(buf, ", \"m2\": ");
		ea_json_double(buf, m2);
		/* only where there are any: mean and m2 then say nothing of the finite values */
		if (b->moments.neg_inf > 0)
			appendStringInfo(buf, ", \"neg_inf\": " INT64_FORMAT, b->moments.neg_inf);
		if (b->moments.pos_inf > 0)
			appendStringInfo(buf, ", \"pos_inf\": " INT64_FORMAT, b->moments.pos_inf);
		/* the sums themselves, so that text merges as exactly as the binary form */
		if (b->reference == NULL && b->moments.known)
		{
			size_t		len = ea_baseline_exact_size(b);
			unsigned char *raw = palloc(len);
			char	   *hex = palloc(2 * len + 1);

			ea_baseline_exact_write(b, raw);
			hex[hex_encode((const char *) raw, len, hex)] = '\0';
			appendStringInfo(buf, ", \"exact_sums\": \"%s\"", hex);
			pfree(hex);
			pfree(raw);
		}
		appendStringInfoString(buf, ", \"edges\": [");
		for (int k = 0; k < b->nedges; k++)
		{
			if (k > 0)
				appendStringInfoString(buf, ", ");
			ea_json_double(buf, b->edges[k]);
		}
		appendStringInfoString(buf, "], \"counts\": [");
		for (int k = 0; k <= b->nedges; k++)
			appendStringInfo(buf, "%s" INT64_FORMAT, k > 0 ? ", " : "", b->counts[k]);
		appendStringInfoChar(buf, ']');
	}
	else
	{
		EaMemory	mem = ea_memory(CurrentMemoryContext);
		int32	   *order = ea_keytab_sorted(&b->cats, mem);

		if (order == NULL)
			ea_report(EA_ENOMEM, ea_baseline_state.name);
		appendStringInfo(buf, ", \"null\": " INT64_FORMAT ", \"categories\": {", b->nulls);
		for (int32 i = 0; i < b->cats.nkeys; i++)
		{
			uint32		len;
			const char *key = ea_keytab_key(&b->cats, order[i], &len);

			if (i > 0)
				appendStringInfoString(buf, ", ");
			ea_json_string(buf, key, len);
			appendStringInfo(buf, ": " INT64_FORMAT, ea_keytab_counts(&b->cats, order[i])[0]);
		}
		appendStringInfoChar(buf, '}');
		ea_free(mem, order);
	}
	if (b->reference)
	{
		appendStringInfoString(buf, ", \"reference\": ");
		baseline_to_json(buf, b->reference);
	}
	appendStringInfoChar(buf, '}');
}

static int64
json_count(JsonbContainer *obj, const char *key)
{
	int64		v = ea_json_int64(obj, key, ea_baseline_state.name);

	if (v < 0)
		ea_json_error(ea_baseline_state.name, psprintf("\"%s\" must not be negative.", key));
	return v;
}

static double
json_stat(JsonbContainer *obj, const char *key)
{
	JsonbValue *v = ea_json_member(obj, key);

	return v == NULL ? NAN : ea_json_number(v, key, ea_baseline_state.name);
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* equal, or both NaN */
static bool
same_double(double a, double b)
{
	return a == b || (isnan(a) && isnan(b));
}

/*
 * "exact_sums": the exact sums in hex, which replace those rebuilt from mean
 * and m2; these must then be the sums' own, as must the infinity counts.
 */
static void
read_exact_sums(JsonbContainer *obj, EaBaseline *b)
{
	JsonbValue *v = ea_json_member(obj, "exact_sums");
	const char *hex;
	size_t		len;
	unsigned char *raw;
	double		mean,
				m2,
				variance,
				want_mean = json_stat(obj, "mean"),
				want_m2 = json_stat(obj, "m2");
	int64		neg_inf = b->moments.neg_inf,
				pos_inf = b->moments.pos_inf;

	if (v->type != jbvString || v->val.string.len % 2 != 0)
		ea_json_error(ea_baseline_state.name, "\"exact_sums\" must be a string of hexadecimal digit pairs.");
	hex = v->val.string.val;
	len = (size_t) v->val.string.len / 2;
	raw = palloc(len > 0 ? len : 1);
	for (size_t i = 0; i < len; i++)
	{
		int			hi = hex_digit(hex[2 * i]),
					lo = hex_digit(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			ea_json_error(ea_baseline_state.name, "\"exact_sums\" must be a string of hexadecimal digit pairs.");
		raw[i] = (unsigned char) (hi * 16 + lo);
	}
	if (ea_baseline_set_exact(b, raw, len) != EA_OK)
		ea_impossible_state(ea_baseline_state.name, "\"exact_sums\" is not a valid encoding of the sums.");
	pfree(raw);
	ea_baseline_stats(b, &mean, &m2, &variance);
	/* with infinities, the text's mean and m2 say nothing of the finite sums */
	if (b->moments.neg_inf != neg_inf || b->moments.pos_inf != pos_inf ||
		(neg_inf + pos_inf == 0 && (!same_double(mean, want_mean) || !same_double(m2, want_m2))))
		ea_impossible_state(ea_baseline_state.name,
							"\"mean\", \"m2\", \"neg_inf\" and \"pos_inf\" must be those of \"exact_sums\".");
}

/* parse one baseline object into b (in the current memory context) */
static void
baseline_from_json(JsonbContainer *obj, EaBaseline *b, bool allow_reference)
{
	EaMemory	mem = ea_memory(CurrentMemoryContext);
	JsonbValue *kind = ea_json_member(obj, "kind");
	JsonbValue *ref;

	if (kind == NULL || kind->type != jbvString)
		ea_json_error(ea_baseline_state.name, "\"kind\" must be \"numeric\" or \"categorical\".");
	if (kind->val.string.len == 7 && strncmp(kind->val.string.val, "numeric", 7) == 0)
	{
		static const char *const known[] = {"kind", "n", "nan", "null", "min", "max", "mean",
		"m2", "neg_inf", "pos_inf", "exact_sums", "edges", "counts", "reference", NULL};
		JsonbContainer *edges = ea_json_container(obj, "edges", true, ea_baseline_state.name);
		JsonbContainer *counts = ea_json_container(obj, "counts", true, ea_baseline_state.name);
		int			nedges = JsonContainerSize(edges);
		double	   *e = palloc(sizeof(double) * (nedges > 0 ? nedges : 1));

		ea_json_only_keys(obj, known, ea_baseline_state.name);

		for (int k = 0; k < nedges; k++)
			e[k] = ea_json_number(getIthJsonbValueFromContainer(edges, k), "edges",
								  ea_baseline_state.name);
		if (ea_baseline_init_numeric(b, e, nedges, mem) != EA_OK)
			ea_json_error(ea_baseline_state.name,
						  "\"edges\" must be numbers, strictly ascending, and at most 10000.");
		if ((int) JsonContainerSize(counts) != nedges + 1)
			ea_json_error(ea_baseline_state.name, "\"counts\" must have one more element than \"edges\".");
		for (int k = 0; k <= nedges; k++)
		{
			b->counts[k] = ea_json_value_int64(getIthJsonbValueFromContainer(counts, k), "counts",
											   ea_baseline_state.name);
			if (b->counts[k] < 0)
				ea_json_error(ea_baseline_state.name, "\"counts\" must not be negative.");
		}
		b->nan = json_count(obj, "nan");
		b->min = json_stat(obj, "min");
		b->max = json_stat(obj, "max");
		b->n = json_count(obj, "n");
		/* checked here: the binary form holds exact sums, never a negative m2 */
		if (json_stat(obj, "m2") < 0)
			ea_impossible_state(ea_baseline_state.name, "\"m2\" is negative: a variance below zero.");
		if (ea_baseline_set_stats(b, json_stat(obj, "mean"), json_stat(obj, "m2"),
								  ea_json_member(obj, "neg_inf") ? json_count(obj, "neg_inf") : 0,
								  ea_json_member(obj, "pos_inf") ? json_count(obj, "pos_inf") : 0) != EA_OK)
			ea_json_error(ea_baseline_state.name,
						  "\"neg_inf\" and \"pos_inf\" must not add up to more than \"n\".");
		if (ea_json_member(obj, "exact_sums") != NULL)
			read_exact_sums(obj, b);
	}
	else if (kind->val.string.len == 11 && strncmp(kind->val.string.val, "categorical", 11) == 0)
	{
		static const char *const known[] = {"kind", "n", "null", "categories", "reference", NULL};
		JsonbContainer *cats = ea_json_container(obj, "categories", false, ea_baseline_state.name);
		JsonbIterator *it = JsonbIteratorInit(cats);
		JsonbValue	v;
		JsonbIteratorToken tok;
		char	   *key = NULL;
		int			keylen = 0;

		ea_json_only_keys(obj, known, ea_baseline_state.name);
		ea_baseline_init_categorical(b, mem);
		while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		{
			if (tok == WJB_KEY)
			{
				key = v.val.string.val;
				keylen = v.val.string.len;
			}
			else if (tok == WJB_VALUE)
			{
				int32		i;
				int64		count = ea_json_value_int64(&v, "categories", ea_baseline_state.name);

				if (count < 0)
					ea_json_error(ea_baseline_state.name, "Category counts must not be negative.");
				ea_check(ea_keytab_lookup(&b->cats, key, (uint32) keylen,
										  ethaudit_max_categories, &i), ea_baseline_state.name);
				ea_keytab_counts(&b->cats, i)[0] = count;
			}
		}
	}
	else
		ea_json_error(ea_baseline_state.name, "\"kind\" must be \"numeric\" or \"categorical\".");
	b->n = json_count(obj, "n");
	b->nulls = json_count(obj, "null");
	ref = ea_json_member(obj, "reference");
	if (ref != NULL)
	{
		EaBaseline *r = palloc0(sizeof(EaBaseline));

		if (!allow_reference || ref->type != jbvBinary || !JsonContainerIsObject(ref->val.binary.data))
			ea_json_error(ea_baseline_state.name, "\"reference\" must be a baseline without a reference.");
		baseline_from_json(ref->val.binary.data, r, false);
		b->reference = r;
	}
}

PG_FUNCTION_INFO_V1(baseline_in);
Datum
baseline_in(PG_FUNCTION_ARGS)
{
	Jsonb	   *jb = ea_json_parse(PG_GETARG_CSTRING(0), ea_baseline_state.name);
	EaBaseline	b;
	Datum		flat;

	memset(&b, 0, sizeof(b));
	baseline_from_json(&jb->root, &b, true);
	/* the binary reader checks what the syntax cannot: totals, bins */
	flat = ea_expanded_flat(&b, &ea_baseline_state);
	ea_expanded_check_input(flat, &ea_baseline_state);
	PG_RETURN_DATUM(flat);
}

PG_FUNCTION_INFO_V1(baseline_out);
Datum
baseline_out(PG_FUNCTION_ARGS)
{
	StringInfoData buf;

	initStringInfo(&buf);
	baseline_to_json(&buf, BASELINE_ARG(0));
	PG_RETURN_CSTRING(buf.data);
}

PG_FUNCTION_INFO_V1(baseline_recv);
Datum
baseline_recv(PG_FUNCTION_ARGS)
{
	return ea_state_recv(fcinfo, &ea_baseline_state);
}

PG_FUNCTION_INFO_V1(baseline_send);
Datum
baseline_send(PG_FUNCTION_ARGS)
{
	return ea_state_send(fcinfo, &ea_baseline_state);
}

/* ---------- accessors ---------- */

PG_FUNCTION_INFO_V1(baseline_n);
Datum
baseline_n(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(BASELINE_ARG(0)->n);
}

PG_FUNCTION_INFO_V1(baseline_edges);
Datum
baseline_edges(PG_FUNCTION_ARGS)
{
	const EaBaseline *b = BASELINE_ARG(0);
	Datum	   *d;

	if (b->kind != EA_BASELINE_NUMERIC)
		PG_RETURN_NULL();
	d = palloc(sizeof(Datum) * (b->nedges > 0 ? b->nedges : 1));
	for (int k = 0; k < b->nedges; k++)
		d[k] = Float8GetDatum(b->edges[k]);
	PG_RETURN_ARRAYTYPE_P(construct_array(d, b->nedges, FLOAT8OID, sizeof(float8),
										  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* counts per bin, or per category in byte order of the categories */
static int64 *
bin_counts(const EaBaseline *b, int *nbins)
{
	int64	   *counts;

	if (b->kind == EA_BASELINE_NUMERIC)
	{
		*nbins = b->nedges + 1;
		return b->counts;
	}
	else
	{
		EaMemory	mem = ea_memory(CurrentMemoryContext);
		int32	   *order = ea_keytab_sorted(&b->cats, mem);

		if (order == NULL)
			ea_report(EA_ENOMEM, ea_baseline_state.name);
		*nbins = b->cats.nkeys;
		counts = palloc(sizeof(int64) * (*nbins > 0 ? *nbins : 1));
		for (int i = 0; i < *nbins; i++)
			counts[i] = ea_keytab_counts(&b->cats, order[i])[0];
		ea_free(mem, order);
		return counts;
	}
}

PG_FUNCTION_INFO_V1(baseline_counts);
Datum
baseline_counts(PG_FUNCTION_ARGS)
{
	int			nbins;
	int64	   *counts = bin_counts(BASELINE_ARG(0), &nbins);
	Datum	   *d = palloc(sizeof(Datum) * (nbins > 0 ? nbins : 1));

	for (int k = 0; k < nbins; k++)
		d[k] = Int64GetDatum(counts[k]);
	PG_RETURN_ARRAYTYPE_P(construct_array(d, nbins, INT8OID, sizeof(int64),
										  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

PG_FUNCTION_INFO_V1(baseline_proportions);
Datum
baseline_proportions(PG_FUNCTION_ARGS)
{
	const EaBaseline *b = BASELINE_ARG(0);
	int			nbins;
	int64	   *counts = bin_counts(b, &nbins);
	Datum	   *d = palloc(sizeof(Datum) * (nbins > 0 ? nbins : 1));

	if (b->n == 0)
		PG_RETURN_NULL();
	for (int k = 0; k < nbins; k++)
		d[k] = Float8GetDatum((double) counts[k] / (double) b->n);
	PG_RETURN_ARRAYTYPE_P(construct_array(d, nbins, FLOAT8OID, sizeof(float8),
										  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

PG_FUNCTION_INFO_V1(baseline_categories);
Datum
baseline_categories(PG_FUNCTION_ARGS)
{
	const EaBaseline *b = BASELINE_ARG(0);
	EaMemory	mem = ea_memory(CurrentMemoryContext);
	int32	   *order;
	Datum	   *d;

	if (b->kind != EA_BASELINE_CATEGORICAL)
		PG_RETURN_NULL();
	order = ea_keytab_sorted(&b->cats, mem);
	if (order == NULL)
		ea_report(EA_ENOMEM, ea_baseline_state.name);
	d = palloc(sizeof(Datum) * (b->cats.nkeys > 0 ? b->cats.nkeys : 1));
	for (int32 i = 0; i < b->cats.nkeys; i++)
	{
		uint32		len;
		const char *key = ea_keytab_key(&b->cats, order[i], &len);

		d[i] = PointerGetDatum(cstring_to_text_with_len(key, (int) len));
	}
	ea_free(mem, order);
	PG_RETURN_ARRAYTYPE_P(construct_array(d, b->cats.nkeys, TEXTOID, -1, false, TYPALIGN_INT));
}

/* baseline_summary(b) -> (kind, n, nan_count, null_count, min, max, mean, variance) */
PG_FUNCTION_INFO_V1(baseline_summary);
Datum
baseline_summary(PG_FUNCTION_ARGS)
{
	const EaBaseline *b = BASELINE_ARG(0);
	TupleDesc	tupdesc;
	Datum		values[8];
	bool		nulls[8] = {false, false, false, false, false, false, false, false};
	bool		numeric = b->kind == EA_BASELINE_NUMERIC;
	double		mean,
				m2,
				variance;
	bool		known;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	values[0] = CStringGetTextDatum(numeric ? "numeric" : "categorical");
	values[1] = Int64GetDatum(b->n);
	values[2] = Int64GetDatum(b->nan);
	values[3] = Int64GetDatum(b->nulls);
	ea_baseline_stats(b, &mean, &m2, &variance);
	/* numpy's NaN and infinities with infinite values; NULL only when unknown */
	known = numeric && b->n > 0 && b->reference == NULL &&
		(b->moments.known || b->moments.neg_inf > 0 || b->moments.pos_inf > 0);
	values[4] = Float8GetDatum(b->min);
	values[5] = Float8GetDatum(b->max);
	values[6] = Float8GetDatum(mean);
	values[7] = Float8GetDatum(variance);
	nulls[4] = nulls[5] = !numeric || isnan(b->min);
	/* unknown statistics (comparison states keep counts only) are NULL */
	nulls[6] = !known;
	nulls[7] = !known || b->n < 2;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}

PG_FUNCTION_INFO_V1(baseline_reference);
Datum
baseline_reference(PG_FUNCTION_ARGS)
{
	const EaBaseline *b = BASELINE_ARG(0);

	if (b->reference == NULL)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(ea_expanded_flat(b->reference, &ea_baseline_state));
}

/* ---------- concrete-state aggregates: one row in or out ---------- */

typedef enum StepKind
{
	STEP_EDGES,					/* baseline(value float8, edges float8[]) */
	STEP_TEXT,					/* baseline(value text) */
	STEP_LIKE,					/* baseline(value float8 | text, reference baseline) */
	STEP_COMPARE				/* psi(value, baseline) and the other metrics */
} StepKind;

/* edges from a float8[] argument: no NULLs, finite, strictly ascending */
static double *
edges_from_array(ArrayType *arr, int *nedges)
{
	Datum	   *elems;
	bool	   *nulls;
	double	   *edges;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("baseline: edges must be a one-dimensional array")));
	deconstruct_array(arr, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &elems, &nulls, nedges);
	edges = palloc(sizeof(double) * (*nedges > 0 ? *nedges : 1));
	for (int i = 0; i < *nedges; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("baseline: edges must not contain NULL")));
		edges[i] = DatumGetFloat8(elems[i]);
		if (!isfinite(edges[i]) || (i > 0 && !(edges[i - 1] < edges[i])))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("baseline: edges must be finite and strictly ascending"),
					 errdetail("Edge %d is %g.", i + 1, edges[i])));
	}
	if (*nedges > 10000)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("baseline: at most 10000 edges, got %d", *nedges)));
	return edges;
}

/*
 * The transition (delta = +1) and inverse transition (delta = -1) of every
 * aggregate whose state is a baseline. Argument 1 is the value; argument 2,
 * when present, what the bins come from (edges or a reference baseline),
 * which must be the same on every row. Inlined into each wrapper below, so
 * that each has the code of its own kind only.
 */
static pg_attribute_always_inline Datum
baseline_step(FunctionCallInfo fcinfo, StepKind kind, int delta, const char *what)
{
	EaExpanded *e = PG_ARGISNULL(0) ? NULL : ea_expanded_rw(PG_GETARG_DATUM(0), &ea_baseline_state);
	EaBaseline *b;
	EaStatus	st = EA_OK;
	bool		has_source = kind != STEP_TEXT;

	if (has_source && PG_ARGISNULL(2))
	{
		/* no edges or baseline for this row: it is ignored */
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	if (PG_ARGISNULL(0))
	{
		EaMemory	mem;

		if (delta < 0)
			PG_RETURN_NULL();	/* nothing to remove from: recompute */
		e = ea_expanded_new(&ea_baseline_state, ea_agg_context(fcinfo, what));
		b = (EaBaseline *) e->state;
		mem = ea_expanded_memory(e);
		if (kind == STEP_EDGES)
		{
			int			nedges;
			double	   *edges = edges_from_array(PG_GETARG_ARRAYTYPE_P(2), &nedges);

			st = ea_baseline_init_numeric(b, edges, nedges, mem);
		}
		else if (kind == STEP_TEXT)
			ea_baseline_init_categorical(b, mem);
		else
		{
			bool		fresh;
			const EaBaseline *ref = ea_expanded_read_cached(fcinfo, 2, &ea_baseline_state, &fresh);

			/* the value's type against the reference's kind, once per reference */
			if (fresh && (ref->kind == EA_BASELINE_CATEGORICAL) !=
				(ea_declared_argtype(fcinfo, 1) == TEXTOID))
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("%s: a %s baseline needs %s values", what,
								ref->kind == EA_BASELINE_CATEGORICAL ? "categorical" : "numeric",
								ref->kind == EA_BASELINE_CATEGORICAL ? "text" : "double precision")));
			st = ea_baseline_init_like(b, ref, mem);
			if (st == EA_OK && kind == STEP_COMPARE)
				st = ea_baseline_attach(b, ref);
		}
		ea_check(st, what);
	}
	else if (e == NULL)
		e = ea_expanded_writable(PG_GETARG_DATUM(0), &ea_baseline_state, ea_agg_context(fcinfo, what));
	b = (EaBaseline *) e->state;
	if (has_source)
		ea_expanded_same_arg(e, fcinfo, 2, kind == STEP_EDGES ? "the edges" : "the baseline");

	if (PG_ARGISNULL(1))
		ea_baseline_add_null(b, delta);
	else if (b->kind == EA_BASELINE_NUMERIC)
	{
		/* the exact sums may need more limbs: allocated with the state */
		st = ea_baseline_add_double(b, PG_GETARG_FLOAT8(1), delta);
		if (unlikely(st != EA_OK))
			ea_check(st, what);
	}
	else
	{
		uint32		len;
		const char *key = ea_text_bytes(PG_GETARG_DATUM(1), &len);

		ea_check(ea_baseline_add_text(b, key, len, delta, ethaudit_max_categories), what);
	}
	PG_RETURN_DATUM(ea_expanded_datum(e));
}

#define STEP_FUNCTION(name, kind, delta, what) \
PG_FUNCTION_INFO_V1(name); \
Datum \
name(PG_FUNCTION_ARGS) \
{ \
	return baseline_step(fcinfo, kind, delta, what); \
}

STEP_FUNCTION(baseline_edges_trans, STEP_EDGES, 1, "baseline")
STEP_FUNCTION(baseline_edges_inv, STEP_EDGES, -1, "baseline")
STEP_FUNCTION(baseline_text_trans, STEP_TEXT, 1, "baseline")
STEP_FUNCTION(baseline_text_inv, STEP_TEXT, -1, "baseline")
STEP_FUNCTION(baseline_like_trans, STEP_LIKE, 1, "baseline")
STEP_FUNCTION(baseline_like_inv, STEP_LIKE, -1, "baseline")
STEP_FUNCTION(baseline_compare_trans, STEP_COMPARE, 1, "drift aggregate")
STEP_FUNCTION(baseline_compare_inv, STEP_COMPARE, -1, "drift aggregate")

/* final function of the state-building aggregates: the state, flat */
PG_FUNCTION_INFO_V1(baseline_state_final);
Datum
baseline_state_final(PG_FUNCTION_ARGS)
{
	return ea_expanded_state_final(fcinfo, &ea_baseline_state);
}

/* ---------- metrics: a state with its reference, or two baselines ---------- */

static void
bins_differ(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("the two baselines have different bins"),
			 errhint("Count the current rows with ethaudit.baseline(value, reference).")));
}

static Datum
divergence_of(FunctionCallInfo fcinfo, const EaBaseline *ref, const EaBaseline *cur,
			  EaDivergence which)
{
	double		v = 0.0;
	int			defined;
	EaStatus	st = ea_baseline_divergence(ref, cur, which, &v, &defined);

	if (st == EA_EPARAM)
		bins_differ();
	ea_check(st, "drift aggregate");
	if (!defined)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(v);
}

static Datum
ks_of(FunctionCallInfo fcinfo, const EaBaseline *ref, const EaBaseline *cur, bool bounds)
{
	double		lower,
				upper;
	int			defined;
	EaStatus	st = ea_baseline_ks(ref, cur, &lower, &upper, &defined);

	if (st == EA_EPARAM)
	{
		if (ref->kind != EA_BASELINE_NUMERIC)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("ks_stat needs a numeric baseline")));
		bins_differ();
	}
	if (!defined)
		PG_RETURN_NULL();
	if (bounds)
	{
		TupleDesc	tupdesc;
		Datum		values[2] = {Float8GetDatum(lower), Float8GetDatum(upper)};
		bool		nulls[2] = {false, false};

		if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "return type must be a row type");
		PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
	}
	PG_RETURN_FLOAT8(lower);
}

/* the state of psi(value, baseline) and friends: current rows, reference attached */
static const EaBaseline *
compared_state(FunctionCallInfo fcinfo)
{
	const EaBaseline *s;

	if (PG_ARGISNULL(0))
		return NULL;
	s = BASELINE_ARG(0);
	if (s->reference == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("baseline state has no reference attached")));
	return s;
}

#define COMPARE_FINAL(name, body) \
PG_FUNCTION_INFO_V1(name); \
Datum \
name(PG_FUNCTION_ARGS) \
{ \
	const EaBaseline *s = compared_state(fcinfo); \
	if (s == NULL) \
		PG_RETURN_NULL(); \
	return body; \
}

COMPARE_FINAL(baseline_psi_final, divergence_of(fcinfo, s->reference, s, EA_DIV_PSI))
COMPARE_FINAL(baseline_js_final, divergence_of(fcinfo, s->reference, s, EA_DIV_JSD))
COMPARE_FINAL(baseline_hellinger_final, divergence_of(fcinfo, s->reference, s, EA_DIV_HELLINGER))
COMPARE_FINAL(baseline_ks_final, ks_of(fcinfo, s->reference, s, false))
COMPARE_FINAL(baseline_ks_bounds_final, ks_of(fcinfo, s->reference, s, true))

#define PAIR_FUNCTION(name, body) \
PG_FUNCTION_INFO_V1(name); \
Datum \
name(PG_FUNCTION_ARGS) \
{ \
	const EaBaseline *ref = BASELINE_ARG(0); \
	const EaBaseline *cur = BASELINE_ARG(1); \
	return body; \
}

PAIR_FUNCTION(baseline_psi, divergence_of(fcinfo, ref, cur, EA_DIV_PSI))
PAIR_FUNCTION(baseline_js, divergence_of(fcinfo, ref, cur, EA_DIV_JSD))
PAIR_FUNCTION(baseline_hellinger, divergence_of(fcinfo, ref, cur, EA_DIV_HELLINGER))
PAIR_FUNCTION(baseline_ks, ks_of(fcinfo, ref, cur, false))
PAIR_FUNCTION(baseline_ks_bounds, ks_of(fcinfo, ref, cur, true))
