/*
 * state_calibration_counts.c - the calibration-bins state, storable as
 * ethaudit.calibration_counts: per probability bin the rows, the positives
 * and the exact sum of the probabilities, for ece and
 * max_calibration_error; its text and binary forms.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#include "host.h"
#include "state.h"
#include "core/calibration.h"

#define EA_DEFAULT_CAL_BINS 10

/* ---------- the descriptor ---------- */

/* the expanded state holds a pointer: the bin count is known at the first row */
typedef struct CalState
{
	EaCalibration *c;
} CalState;

static size_t
cal_flat_size(const void *s)
{
	return ea_calibration_serialized_size(((const CalState *) s)->c);
}

static void
cal_flatten(const void *s, unsigned char *buf)
{
	ea_calibration_serialize(((const CalState *) s)->c, buf);
}

static EaStatus
cal_unflatten(void *s, const unsigned char *buf, size_t len, EaMemory mem)
{
	int			nbins;
	EaStatus	st = ea_calibration_peek_bins(buf, len, &nbins);

	if (st != EA_OK)
		return st;
	((CalState *) s)->c = ea_alloc(mem, ea_calibration_size(nbins));
	return ea_calibration_deserialize(((CalState *) s)->c, buf, len);
}

static EaStatus
cal_add(void *into, const void *from)
{
	return ea_calibration_combine(((CalState *) into)->c, ((const CalState *) from)->c);
}

const EaStateType ea_calibration_counts_state = {
	.name = "ethaudit.calibration_counts",
	.state_size = sizeof(CalState),
	.flat_size = cal_flat_size,
	.flatten = cal_flatten,
	.unflatten = cal_unflatten,
	.combine = cal_add,
	.mismatch = "cannot merge calibration counts with different numbers of bins",
};

/* calibration_combine(a, b): combine function, and the transition of merge() */
PG_FUNCTION_INFO_V1(calibration_combine);
Datum
calibration_combine(PG_FUNCTION_ARGS)
{
	return ea_expanded_combine(fcinfo, &ea_calibration_counts_state);
}

/* ---------- transition functions ---------- */

static EaCalibration *
new_calibration(EaExpanded *e, int nbins)
{
	EaCalibration *c = MemoryContextAlloc(e->hdr.eoh_context, ea_calibration_size(nbins));

	ea_calibration_init(c, nbins);
	((CalState *) e->state)->c = c;
	return c;
}

/*
 * One row in (delta = +1) or out (-1, moving window frames). Inlined into
 * each wrapper, so the default bin count is a constant there.
 */
static pg_attribute_always_inline Datum
calibration_step(FunctionCallInfo fcinfo, int nbins, int delta)
{
	EaExpanded *e = PG_ARGISNULL(0) ? NULL : ea_expanded_rw(PG_GETARG_DATUM(0), &ea_calibration_counts_state);
	EaCalibration *c;
	double		p;

	for (int i = 1; i < PG_NARGS(); i++)
		if (PG_ARGISNULL(i))
		{
			if (PG_ARGISNULL(0))
				PG_RETURN_NULL();
			PG_RETURN_DATUM(PG_GETARG_DATUM(0));
		}
	p = PG_GETARG_FLOAT8(2);
	ea_check_probability(p, "ece");
	if (PG_ARGISNULL(0))
	{
		if (delta < 0)
			PG_RETURN_NULL();	/* nothing to remove from: recompute */
		e = ea_expanded_new(&ea_calibration_counts_state, ea_agg_context(fcinfo, "ece"));
		c = new_calibration(e, nbins);
	}
	else
	{
		if (e == NULL)
			e = ea_expanded_writable(PG_GETARG_DATUM(0), &ea_calibration_counts_state,
									 ea_agg_context(fcinfo, "ece"));
		c = ((CalState *) e->state)->c;
		if (c->nbins != nbins)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("ece: bins must be the same for every row of the aggregate")));
	}
	if (delta > 0)
		ea_calibration_add(c, PG_GETARG_BOOL(1), p);
	else
		ea_calibration_remove(c, PG_GETARG_BOOL(1), p);
	PG_RETURN_DATUM(ea_expanded_datum(e));
}

static int
bins_arg(FunctionCallInfo fcinfo)
{
	return PG_ARGISNULL(3) ? EA_DEFAULT_CAL_BINS : ea_check_bins(PG_GETARG_INT32(3), 1, "ece");
}

/* calibration_trans(state, y_true, y_prob): ten bins */
PG_FUNCTION_INFO_V1(calibration_trans);
Datum
calibration_trans(PG_FUNCTION_ARGS)
{
	return calibration_step(fcinfo, EA_DEFAULT_CAL_BINS, 1);
}

/* calibration_inv(state, y_true, y_prob): moving window frames */
PG_FUNCTION_INFO_V1(calibration_inv);
Datum
calibration_inv(PG_FUNCTION_ARGS)
{
	return calibration_step(fcinfo, EA_DEFAULT_CAL_BINS, -1);
}

/* calibration_trans_bins(state, y_true, y_prob, bins) */
PG_FUNCTION_INFO_V1(calibration_trans_bins);
Datum
calibration_trans_bins(PG_FUNCTION_ARGS)
{
	return calibration_step(fcinfo, bins_arg(fcinfo), 1);
}

/* calibration_inv_bins(state, y_true, y_prob, bins) */
PG_FUNCTION_INFO_V1(calibration_inv_bins);
Datum
calibration_inv_bins(PG_FUNCTION_ARGS)
{
	return calibration_step(fcinfo, bins_arg(fcinfo), -1);
}

/* ---------- final functions ---------- */

static Datum
calibration_final(FunctionCallInfo fcinfo, double (*metric) (const EaCalibration *, int *))
{
	double		v;
	int			defined;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	v = metric(((const CalState *) ea_expanded_read(PG_GETARG_DATUM(0),
													 &ea_calibration_counts_state))->c, &defined);
	if (!defined)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(v);
}

/* ece_final(state) */
PG_FUNCTION_INFO_V1(ece_final);
Datum
ece_final(PG_FUNCTION_ARGS)
{
	return calibration_final(fcinfo, ea_ece);
}

/* mce_final(state): maximum calibration error */
PG_FUNCTION_INFO_V1(mce_final);
Datum
mce_final(PG_FUNCTION_ARGS)
{
	return calibration_final(fcinfo, ea_mce);
}

/* calibration_counts_final(state): the state itself, flat */
PG_FUNCTION_INFO_V1(calibration_counts_final);
Datum
calibration_counts_final(PG_FUNCTION_ARGS)
{
	return ea_expanded_state_final(fcinfo, &ea_calibration_counts_state);
}

/* ---------- text and binary forms ---------- */

/*
 * Text form: {"n": N, "bins": [[rows, positives, "sum of p"], ...]} where the
 * sum is the exact fixed-point total in units of 2^-63, as a decimal string.
 */
static void
u128_decimal(StringInfo buf, EaU128 v)
{
	char		digits[40];
	int			i = sizeof(digits) - 1;

	digits[i] = '\0';
	do
	{
		/* v / 10 and v % 10 on (hi, lo) with 64-bit pieces */
		uint64		rem_hi = v.hi % 10;
		uint64		q_hi = v.hi / 10;
		uint64		mid = (rem_hi << 32) | (v.lo >> 32);
		uint64		q_mid = mid / 10;
		uint64		low = ((mid % 10) << 32) | (v.lo & 0xFFFFFFFFu);
		uint64		q_low = low / 10;

		digits[--i] = (char) ('0' + low % 10);
		v.hi = q_hi;
		v.lo = (q_mid << 32) | q_low;
	} while (v.hi != 0 || v.lo != 0);
	appendStringInfo(buf, "\"%s\"", digits + i);
}

static bool
u128_parse(const char *s, int len, EaU128 *out)
{
	EaU128		v = {0, 0};

	if (len == 0 || len > 39)
		return false;
	for (int i = 0; i < len; i++)
	{
		uint64		d,
					lo_hi,
					lo_lo,
					carry;

		if (s[i] < '0' || s[i] > '9')
			return false;
		d = (uint64) (s[i] - '0');
		/* v = v * 10 + d, refusing overflow */
		if (v.hi > (UINT64_MAX - 9) / 10)
			return false;
		lo_lo = (v.lo & 0xFFFFFFFFu) * 10 + d;
		lo_hi = (v.lo >> 32) * 10 + (lo_lo >> 32);
		carry = lo_hi >> 32;
		v.hi = v.hi * 10 + carry;
		v.lo = (lo_hi << 32) | (lo_lo & 0xFFFFFFFFu);
	}
	*out = v;
	return true;
}

/* calibration_counts_out(state) -> cstring: the JSON text form */
PG_FUNCTION_INFO_V1(calibration_counts_out);
Datum
calibration_counts_out(PG_FUNCTION_ARGS)
{
	const EaCalibration *c = ((const CalState *) ea_expanded_read(PG_GETARG_DATUM(0),
																   &ea_calibration_counts_state))->c;
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"n\": " INT64_FORMAT ", \"bins\": [", c->n);
	for (int k = 0; k < c->nbins; k++)
	{
		appendStringInfo(&buf, "%s[" INT64_FORMAT ", " INT64_FORMAT ", ", k > 0 ? ", " : "",
						 c->bins[k].n, c->bins[k].positives);
		u128_decimal(&buf, c->bins[k].sum_prob);
		appendStringInfoChar(&buf, ']');
	}
	appendStringInfoString(&buf, "]}");
	PG_RETURN_CSTRING(buf.data);
}

/* calibration_counts_in(cstring) -> state, checked as the binary form is */
PG_FUNCTION_INFO_V1(calibration_counts_in);
Datum
calibration_counts_in(PG_FUNCTION_ARGS)
{
	static const char *const known[] = {"n", "bins", NULL};
	const char *type = ea_calibration_counts_state.name;
	Jsonb	   *jb = ea_json_parse(PG_GETARG_CSTRING(0), type);
	JsonbContainer *bins = ea_json_container(&jb->root, "bins", true, type);
	int			nbins = JsonContainerSize(bins);
	CalState	s;
	EaCalibration *c;
	Datum		flat;
	int64		rows = 0;

	ea_json_only_keys(&jb->root, known, type);
	if (nbins < 1 || nbins > 10000)
		ea_json_error(type, "\"bins\" must hold 1 to 10000 bins.");
	c = palloc(ea_calibration_size(nbins));
	ea_calibration_init(c, nbins);
	c->n = ea_json_int64(&jb->root, "n", type);
	for (int k = 0; k < nbins; k++)
	{
		JsonbValue *bin = getIthJsonbValueFromContainer(bins, k);
		JsonbValue *sum;

		if (bin->type != jbvBinary || !JsonContainerIsArray(bin->val.binary.data) ||
			JsonContainerSize(bin->val.binary.data) != 3)
			ea_json_error(type, "Each bin must be [rows, positives, \"sum of p\"].");
		c->bins[k].n = ea_json_value_int64(getIthJsonbValueFromContainer(bin->val.binary.data, 0),
										   "bins", type);
		c->bins[k].positives = ea_json_value_int64(getIthJsonbValueFromContainer(bin->val.binary.data, 1),
												   "bins", type);
		sum = getIthJsonbValueFromContainer(bin->val.binary.data, 2);
		if (sum->type != jbvString ||
			!u128_parse(sum->val.string.val, sum->val.string.len, &c->bins[k].sum_prob))
			ea_json_error(type, "A bin's sum must be a decimal string of the fixed-point total.");
	}
	s.c = c;
	flat = ea_expanded_flat(&s, &ea_calibration_counts_state);
	ea_expanded_check_input(flat, &ea_calibration_counts_state);	/* the binary checks */
	/* the binary form derives n from the bins; the text states it, so it must agree */
	for (int k = 0; k < nbins; k++)
		rows += c->bins[k].n;	/* bounded by the checks above: cannot wrap */
	if (rows != c->n)
		ea_impossible_state(type, psprintf("\"n\" is " INT64_FORMAT " but the bins hold " INT64_FORMAT " rows.",
										   c->n, rows));
	PG_RETURN_DATUM(flat);
}

/* calibration_counts_recv(internal) -> state, validated */
PG_FUNCTION_INFO_V1(calibration_counts_recv);
Datum
calibration_counts_recv(PG_FUNCTION_ARGS)
{
	return ea_state_recv(fcinfo, &ea_calibration_counts_state);
}

/* calibration_counts_send(state) -> bytea */
PG_FUNCTION_INFO_V1(calibration_counts_send);
Datum
calibration_counts_send(PG_FUNCTION_ARGS)
{
	return ea_state_send(fcinfo, &ea_calibration_counts_state);
}

