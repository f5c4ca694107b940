/*
 * binning.c - quantile and sturges bin edges.
 */
#include "binning.h"

#include <math.h>

int
ea_quantile_edges(const EaSample *ref, int nbins, double *edges)
{
	int			m = 0;

	for (int k = 1; k < nbins; k++)
	{
		double		q = ea_sample_quantile(ref, (double) k / (double) nbins);

		if (m == 0 || q != edges[m - 1])
			edges[m++] = q;
	}
	return m;
}

/*
 * Finite values whose range hi - lo overflows a double (numpy fails on
 * them): the bins sturges' rule gives any range, ceil(log2(n) + 1), with
 * edges interpolated between lo and hi without forming hi - lo.  Such a range
 * runs from below zero to above it, so both terms grow with k.
 */
static int
sturges_edges_wide(double lo, double hi, int64_t n, double *edges)
{
	int			nb = (int) ceil(log2((double) n) + 1.0);

	if (nb > EA_STURGES_MAX_EDGES - 1)
		nb = EA_STURGES_MAX_EDGES - 1;
	for (int k = 0; k < nb; k++)
	{
		double		t = (double) k / (double) nb;

		edges[k] = lo * (1.0 - t) + hi * t;
	}
	edges[nb] = hi;
	return nb + 1;
}

int
ea_sturges_edges(double lo, double hi, int64_t n, double *edges)
{
	double		ptp = hi - lo;
	double		width = ptp / (log2((double) n) + 1.0);
	int			nb;
	double		step;

	if (!isfinite(ptp))
		return sturges_edges_wide(lo, hi, n, edges);
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
