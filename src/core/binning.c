/*
 * binning.c - quantile and sturges bin edges.
 */
#include "binning.h"

#include <math.h>
#include <stdlib.h>

/* edge k of nbins for n values, the order statistics read through get() */
typedef double (*EaOrderStatistic) (const void *arg, int64_t rank);

static double
quantile_edge(int64_t n, int k, int nbins, EaOrderStatistic get, const void *arg)
{
	int64_t		lo;
	double		t = ea_quantile_position(n, (double) k / (double) nbins, &lo);

	if (lo >= n - 1)
		return get(arg, n - 1);
	if (t == 0.0)
		return get(arg, lo);	/* x_{lo+1} is not needed */
	return ea_quantile_between(get(arg, lo), get(arg, lo + 1), t);
}

static int
quantile_edges(int64_t n, int nbins, EaOrderStatistic get, const void *arg, double *edges)
{
	int			m = 0;

	for (int k = 1; k < nbins; k++)
	{
		double		q = quantile_edge(n, k, nbins, get, arg);

		if (m == 0 || q != edges[m - 1])
			edges[m++] = q;
	}
	return m;
}

static double
sample_at(const void *arg, int64_t rank)
{
	return ea_key_to_double(((const EaSample *) arg)->keys[rank]);
}

int
ea_quantile_edges(const EaSample *ref, int nbins, double *edges)
{
	return quantile_edges(ref->n, nbins, sample_at, ref, edges);
}

int
ea_quantile_ranks(int64_t n, int nbins, int64_t *ranks)
{
	int			m = 0;

	for (int k = 1; k < nbins; k++)
	{
		int64_t		lo;
		double		t = ea_quantile_position(n, (double) k / (double) nbins, &lo);
		int64_t		need[2] = {lo < n - 1 ? lo : n - 1, lo + 1};
		int			count = (lo < n - 1 && t != 0.0) ? 2 : 1;

		for (int j = 0; j < count; j++)
			if (m == 0 || need[j] > ranks[m - 1])
				ranks[m++] = need[j];
	}
	return m;
}

typedef struct
{
	const int64_t *ranks;
	const double *values;
	int			n;
	int			missing;
} OrderStatistics;

static double
found_at(const void *arg, int64_t rank)
{
	OrderStatistics *os = (OrderStatistics *) arg;
	int			lo = 0,
				hi = os->n;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (os->ranks[mid] < rank)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < os->n && os->ranks[lo] == rank)
		return os->values[lo];
	os->missing = 1;
	return 0.0;
}

int
ea_quantile_edges_at(int64_t n, int nbins, const int64_t *ranks,
					 const double *values, int nranks, double *edges)
{
	OrderStatistics os = {ranks, values, nranks, 0};
	int			m = quantile_edges(n, nbins, found_at, &os, edges);

	return os.missing ? -1 : m;
}

static int
compare_doubles(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

int
ea_selection_grid(double lo, double hi, int pieces, double *edges)
{
	uint64_t	klo,
				span;
	int			by_order = (pieces + 1) / 2,
				by_value = pieces - by_order,
				m = 0,
				kept = 0;
	double		width = hi - lo;

	if (!(lo < hi) || pieces < 2)
		return 0;
	klo = ea_key_from_double(lo);
	span = ea_key_from_double(hi) - klo;
	if (span <= (uint64_t) pieces)
	{
		/* few enough doubles: each one its own bin */
		for (uint64_t i = 0; i < span; i++)
			edges[m++] = ea_key_to_double(klo + i);
	}
	else
	{
		/* evenly in the order of the doubles: klo + floor(span i / by_order) */
		for (int i = 0; i < by_order; i++)
			edges[m++] = ea_key_to_double(klo + (span / (uint64_t) by_order) * (uint64_t) i +
										  (span % (uint64_t) by_order) * (uint64_t) i / (uint64_t) by_order);
		/* evenly in value; the width may overflow, its parts do not */
		for (int i = 1; i <= by_value; i++)
		{
			double		t = (double) i / (double) (by_value + 1);
			double		x = isfinite(width) ? lo + width * t : lo * (1.0 - t) + hi * t;

			if (x > lo && x < hi)
				edges[m++] = x;
		}
	}
	/* -0 (the key between the negatives and +0) is +0 */
	for (int i = 0; i < m; i++)
		if (edges[i] == 0.0)
			edges[i] = 0.0;
	qsort(edges, (size_t) m, sizeof(double), compare_doubles);
	for (int i = 0; i < m; i++)
		if (kept == 0 || edges[i] != edges[kept - 1])
			edges[kept++] = edges[i];
	return kept;
}

int
ea_sturges_edges(double lo, double hi, int64_t n, double *edges)
{
	double		ptp = hi - lo;
	double		width = ptp / (log2((double) n) + 1.0);
	int			nb;
	double		step;

	if (!isfinite(ptp))
		return 0;

	/* numpy widens a zero-width range by 0.5 each side, in one bin */
	if (lo == hi)
	{
		lo -= 0.5;
		hi += 0.5;
	}
	if (width > 0.0)
		nb = (int) ceil((hi - lo) / width);
	else
		nb = 1;
	if (nb < 1)
		nb = 1;
	if (nb > EA_STURGES_MAX_EDGES - 1)
		nb = EA_STURGES_MAX_EDGES - 1;
	/* numpy.linspace: k * step + lo, with the last edge set to hi exactly */
	step = (hi - lo) / (double) nb;
	for (int k = 0; k < nb; k++)
		edges[k] = (double) k * step + lo;
	edges[nb] = hi;
	return nb + 1;
}
