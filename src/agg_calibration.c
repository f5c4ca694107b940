/*
 * agg_calibration.c - fmgr wrappers of ece(y_true, y_prob [, bins]).
 */
#include "postgres.h"

#include "fmgr.h"

#include "ethaudit.h"
#include "core/calibration.h"

#define EA_DEFAULT_CAL_BINS 10

static Datum
calibration_add(FunctionCallInfo fcinfo, int nbins)
{
	MemoryContext aggctx = ea_agg_context(fcinfo, "calibration_trans");
	EaCalibration *c = PG_ARGISNULL(0) ? NULL : (EaCalibration *) PG_GETARG_POINTER(0);
	double		p;

	for (int i = 1; i < PG_NARGS(); i++)
		if (PG_ARGISNULL(i))
		{
			if (c == NULL)
				PG_RETURN_NULL();
			PG_RETURN_POINTER(c);
		}

	p = PG_GETARG_FLOAT8(2);
	ea_check_probability(p, "ece");
	if (c == NULL)
	{
		c = MemoryContextAlloc(aggctx, ea_calibration_size(nbins));
		ea_calibration_init(c, nbins);
	}
	else if (c->nbins != nbins)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ece: bins must be the same for every row of the aggregate")));
	ea_calibration_add(c, PG_GETARG_BOOL(1), p);
	PG_RETURN_POINTER(c);
}

/* calibration_trans(state, y_true, y_prob): ten bins */
PG_FUNCTION_INFO_V1(calibration_trans);
Datum
calibration_trans(PG_FUNCTION_ARGS)
{
	return calibration_add(fcinfo, EA_DEFAULT_CAL_BINS);
}

/* calibration_trans_bins(state, y_true, y_prob, bins) */
PG_FUNCTION_INFO_V1(calibration_trans_bins);
Datum
calibration_trans_bins(PG_FUNCTION_ARGS)
{
	int			bins = PG_ARGISNULL(3) ? EA_DEFAULT_CAL_BINS
		: ea_check_bins(PG_GETARG_INT32(3), 1, "ece");

	return calibration_add(fcinfo, bins);
}

/* calibration_combine(state, state) */
PG_FUNCTION_INFO_V1(calibration_combine);
Datum
calibration_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = ea_agg_context(fcinfo, "calibration_combine");
	EaCalibration *a = PG_ARGISNULL(0) ? NULL : (EaCalibration *) PG_GETARG_POINTER(0);
	EaCalibration *b = PG_ARGISNULL(1) ? NULL : (EaCalibration *) PG_GETARG_POINTER(1);

	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	if (a == NULL)
	{
		a = MemoryContextAlloc(aggctx, ea_calibration_size(b->nbins));
		ea_calibration_init(a, b->nbins);
	}
	ea_check(ea_calibration_combine(a, b), "ece");
	PG_RETURN_POINTER(a);
}

/* calibration_serialize(state) -> bytea */
PG_FUNCTION_INFO_V1(calibration_serialize);
Datum
calibration_serialize(PG_FUNCTION_ARGS)
{
	EaCalibration *s;
	bytea	   *out;

	ea_agg_context(fcinfo, "calibration_serialize");
	s = (EaCalibration *) PG_GETARG_POINTER(0);
	out = ea_state_bytea(ea_calibration_serialized_size(s), "ece");
	ea_calibration_serialize(s, (unsigned char *) VARDATA(out));
	PG_RETURN_BYTEA_P(out);
}

/* calibration_deserialize(bytea, internal) -> state */
PG_FUNCTION_INFO_V1(calibration_deserialize);
Datum
calibration_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *in;
	const unsigned char *buf;
	size_t		len;
	int			nbins;
	EaCalibration *c;

	ea_agg_context(fcinfo, "calibration_deserialize");
	in = PG_GETARG_BYTEA_PP(0);
	buf = (const unsigned char *) VARDATA_ANY(in);
	len = VARSIZE_ANY_EXHDR(in);
	ea_check(ea_calibration_peek_bins(buf, len, &nbins), "ece");
	c = palloc(ea_calibration_size(nbins));
	ea_check(ea_calibration_deserialize(c, buf, len), "ece");
	PG_RETURN_POINTER(c);
}

/* ece_final(state) */
PG_FUNCTION_INFO_V1(ece_final);
Datum
ece_final(PG_FUNCTION_ARGS)
{
	double		ece;
	int			defined;

	ea_agg_context(fcinfo, "ece_final");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	ece = ea_ece((EaCalibration *) PG_GETARG_POINTER(0), &defined);
	if (!defined)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(ece);
}
