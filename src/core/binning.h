/*
 * binning.h - bin edges and bin lookup shared by the drift and calibration
 * metrics.  Conventions are those of doc/conventions.md.
 */
#ifndef EA_BINNING_H
#define EA_BINNING_H

#include <stdint.h>

#include "sample.h"

/* largest number of bins an option may ask for */
#define EA_MAX_BINS 10000

/* numpy's sturges rule never yields more than ceil(log2(2^63)) + 2 bins */
#define EA_STURGES_MAX_EDGES 128

/*
 * Inner edges q_k = quantile(ref, k/nbins), k = 1..nbins-1, linear
 * interpolation, duplicates removed.  `ref` must be sorted and non-empty;
 * `edges` has room for nbins-1 values.  Returns the number of edges kept.
 */
extern int	ea_quantile_edges(const EaSample *ref, int nbins, double *edges);

/*
 * The same edges from order statistics found another way (in passes over a
 * distributed table, stored_baselines.sql): ea_quantile_ranks writes the
 * 0-based ranks that ea_quantile_edges reads for n >= 1 sorted values, in
 * ascending order without repeats (at most 2 (nbins - 1) of them), and
 * returns their number; ea_quantile_edges_at computes the edges from
 * values[i] = x_{ranks[i]} with the arithmetic of ea_quantile_edges, so
 * that both give the same bits.  It returns the number of edges, or -1 when
 * a rank it needs is not in `ranks`.
 */
extern int	ea_quantile_ranks(int64_t n, int nbins, int64_t *ranks);
extern int	ea_quantile_edges_at(int64_t n, int nbins, const int64_t *ranks,
								 const double *values, int nranks, double *edges);

/*
 * Inner edges that split the finite range [lo, hi] for one pass of an exact
 * order-statistic search: lo itself, then points spaced evenly both in value
 * and in the order of the doubles (so that a pass narrows a bracket fast on
 * dense data and on heavy tails alike), ascending, distinct, all below hi.
 * At most `pieces` (>= 2) edges; every double of [lo, hi) when there are at
 * most `pieces` of them, so the bin holding a rank is one value after the
 * pass.  Returns the number of edges (0 when lo >= hi).
 */
extern int	ea_selection_grid(double lo, double hi, int pieces, double *edges);

/*
 * numpy.histogram_bin_edges(values, bins='sturges') for `n` values spanning
 * [lo, hi]: equal-width edges e_0 .. e_nb (nb + 1 of them, nb <= 126).
 * Returns the number of edges written, or 0 when hi - lo overflows (numpy
 * raises there: no bin width exists).
 */
extern int	ea_sturges_edges(double lo, double hi, int64_t n, double *edges);

/* right-closed bins (-inf, e_0], (e_0, e_1], ..., (e_{m-1}, +inf): index 0..m */
static inline int
ea_bin_right_closed(const double *edges, int m, double x)
{
	int			lo = 0,
				hi = m;

	if (m <= 32)
	{
		/*
		 * Few edges: count those below x without branches; a binary search
		 * mispredicts on unordered rows.
		 */
		int			c0 = 0,
					c1 = 0,
					c2 = 0,
					c3 = 0,
					i = 0;

		/* four independent counts: no chain of dependent additions */
		for (; i + 4 <= m; i += 4)
		{
			c0 += edges[i] < x;
			c1 += edges[i + 1] < x;
			c2 += edges[i + 2] < x;
			c3 += edges[i + 3] < x;
		}
		for (; i < m; i++)
			c0 += edges[i] < x;
		return c0 + c1 + c2 + c3;
	}

	/* number of edges strictly below x */
	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (edges[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * numpy.histogram bins over edges e_0 .. e_nb: [e_i, e_{i+1}) with the last
 * bin closed; values beyond the outer edges (only infinities, as the edges
 * span the finite values) go to the outer bins.  Index 0..nb-1.
 */
static inline int
ea_bin_left_closed(const double *edges, int nedges, double x)
{
	int			lo = 0,
				hi = nedges;

	/* number of edges <= x */
	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (edges[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return 0;
	if (lo >= nedges - 1)
		return nedges - 2;
	return lo - 1;
}

/*
 * Calibration bin of a probability p in [0, 1] with nbins equal-width bins:
 * the number of inner edges k/nbins (k = 1..nbins-1, as numpy.linspace
 * computes them) strictly below p, as sklearn's calibration_curve does.
 */
static inline int
ea_probability_bin(int nbins, double p)
{
	double		step = 1.0 / (double) nbins;
	int			b = (int) (p * (double) nbins);

	if (b > nbins - 1)
		b = nbins - 1;
	/* correct the estimate against the exact edges */
	while (b > 0 && (double) b * step >= p)
		b--;
	while (b < nbins - 1 && (double) (b + 1) * step < p)
		b++;
	return b;
}

#endif							/* EA_BINNING_H */
