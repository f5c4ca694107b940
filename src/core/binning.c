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
