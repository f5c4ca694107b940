/*
 * baseline_capture.c - the pieces of a quantile baseline captured in passes
 * (ethaudit_internal.capture_quantile_baseline, stored_baselines.sql).
 *
 * baseline(value, bins) keeps every value to find its quantile edges; on a
 * distributed table that pulls every row to one node.  The capture instead
 * finds the few order statistics the edges need by counting, in passes of
 * plain aggregates (count, min, max by bin) that each node computes over its
 * rows, then counts the rows over those edges once more.  These functions
 * are the arithmetic between the passes; the edges come from the same core
 * code as baseline(value, bins), so both give the same bits.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"

#include "ethaudit.h"
#include "host.h"
#include "state.h"
#include "core/baseline.h"
#include "core/binning.h"

/* a one-dimensional array argument without NULLs, as Datums */
static Datum *
plain_array(ArrayType *arr, Oid elemtype, int elemlen, bool byval, char align,
			const char *what, int *n)
{
	Datum	   *elems;
	bool	   *nulls;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", what)));
	deconstruct_array(arr, elemtype, elemlen, byval, align, &elems, &nulls, n);
	for (int i = 0; i < *n; i++)
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not contain NULL", what)));
	return elems;
}

static int64
count_arg(FunctionCallInfo fcinfo)
{
	int64		n = PG_GETARG_INT64(0);

	if (n < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the number of values must be at least 1, got " INT64_FORMAT, n)));
	return n;
}

/* quantile_ranks(n bigint, bins integer) -> bigint[]: the ranks the edges need */
PG_FUNCTION_INFO_V1(quantile_ranks);
Datum
quantile_ranks(PG_FUNCTION_ARGS)
{
	int64		n = count_arg(fcinfo);
	int			bins = ea_check_bins(PG_GETARG_INT32(1), 2, "baseline");
	int64_t    *ranks = palloc(sizeof(int64_t) * 2 * (size_t) bins);
	int			m = ea_quantile_ranks(n, bins, ranks);
	Datum	   *d = palloc(sizeof(Datum) * (size_t) (m > 0 ? m : 1));

	for (int i = 0; i < m; i++)
		d[i] = Int64GetDatum(ranks[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(d, m, INT8OID, sizeof(int64), FLOAT8PASSBYVAL,
										  TYPALIGN_DOUBLE));
}

/*
 * quantile_bins(n bigint, bins integer, ranks bigint[], order_statistics
 * float8[]) -> ethaudit.baseline: an empty numeric baseline whose edges are
 * the quantile edges of n values whose order statistics at `ranks` are
 * given; its bins are then filled by baseline(value, reference).
 */
PG_FUNCTION_INFO_V1(quantile_bins);
Datum
quantile_bins(PG_FUNCTION_ARGS)
{
	int64		n = count_arg(fcinfo);
	int			bins = ea_check_bins(PG_GETARG_INT32(1), 2, "baseline");
	int			nranks,
				nvalues,
				nedges;
	Datum	   *r = plain_array(PG_GETARG_ARRAYTYPE_P(2), INT8OID, sizeof(int64), FLOAT8PASSBYVAL,
								TYPALIGN_DOUBLE, "ranks", &nranks);
	Datum	   *v = plain_array(PG_GETARG_ARRAYTYPE_P(3), FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL,
								TYPALIGN_DOUBLE, "order_statistics", &nvalues);
	int64_t    *ranks = palloc(sizeof(int64_t) * (size_t) (nranks > 0 ? nranks : 1));
	double	   *values = palloc(sizeof(double) * (size_t) (nranks > 0 ? nranks : 1));
	double	   *edges = palloc(sizeof(double) * (size_t) bins);
	EaBaseline	b;

	if (nranks != nvalues)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("ranks and order_statistics must have the same length")));
	for (int i = 0; i < nranks; i++)
	{
		ranks[i] = DatumGetInt64(r[i]);
		values[i] = DatumGetFloat8(v[i]);
		/* order statistics ascend with their ranks, and no rank is outside 0..n-1 */
		if (ranks[i] < 0 || ranks[i] >= n || isnan(values[i]) ||
			(i > 0 && (ranks[i] <= ranks[i - 1] || values[i] < values[i - 1])))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("order statistics must be ascending values at ascending ranks below n"),
					 errdetail("Rank " INT64_FORMAT " has value %g.", ranks[i], values[i])));
	}
	nedges = ea_quantile_edges_at(n, bins, ranks, values, nranks, edges);
	if (nedges < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the order statistics lack a rank the quantile edges need"),
				 errhint("The ranks are those of ethaudit_internal.quantile_ranks(n, bins).")));
	ea_check(ea_baseline_init_numeric(&b, edges, nedges, ea_memory(CurrentMemoryContext)), "baseline");
	PG_RETURN_DATUM(ea_expanded_flat(&b, &ea_baseline_state));
}

/* selection_grid(lo float8, hi float8, pieces integer) -> float8[] */
PG_FUNCTION_INFO_V1(selection_grid);
Datum
selection_grid(PG_FUNCTION_ARGS)
{
	double		lo = PG_GETARG_FLOAT8(0);
	double		hi = PG_GETARG_FLOAT8(1);
	int			pieces = PG_GETARG_INT32(2);
	double	   *edges;
	Datum	   *d;
	int			m;

	if (!isfinite(lo) || !isfinite(hi) || lo > hi)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a selection bracket must be finite with lo <= hi, got [%g, %g]", lo, hi)));
	if (pieces < 2 || pieces > EA_MAX_BINS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pieces must be between 2 and %d, got %d", EA_MAX_BINS, pieces)));
	edges = palloc(sizeof(double) * (size_t) pieces);
	m = ea_selection_grid(lo, hi, pieces, edges);
	d = palloc(sizeof(Datum) * (size_t) (m > 0 ? m : 1));
	for (int i = 0; i < m; i++)
		d[i] = Float8GetDatum(edges[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(d, m, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL,
										  TYPALIGN_DOUBLE));
}

/* float8_next_up(x) -> the next double above x (nextafter towards +inf) */
PG_FUNCTION_INFO_V1(float8_next_up);
Datum
float8_next_up(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(nextafter(PG_GETARG_FLOAT8(0), INFINITY));
}
