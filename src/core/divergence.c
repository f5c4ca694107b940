/*
 * divergence.c - PSI and Jensen-Shannon divergence from bin counts.
 *
 * Counts are exact integers; proportions are formed only here, so that a
 * result depends on the counts alone and not on the order rows arrived in.
 */
#include "divergence.h"

#include <math.h>

static double
zero_replacement(const int64_t *counts, int64_t total, int nbins, EaZeroRule rule)
{
	double		min_nonzero = INFINITY;

	if (rule == EA_ZERO_EPSILON)
		return EA_PSI_EPSILON;
	for (int i = 0; i < nbins; i++)
		if (counts[i] > 0)
		{
			double		p = (double) counts[i] / (double) total;

			if (p < min_nonzero)
				min_nonzero = p;
		}
	return (min_nonzero <= EA_PSI_EPSILON) ? min_nonzero / 1e6 : EA_PSI_EPSILON;
}

double
ea_psi(const int64_t *ref, int64_t nref, const int64_t *cur, int64_t ncur,
	   int nbins, EaZeroRule rule)
{
	double		zr = zero_replacement(ref, nref, nbins, rule);
	double		zc = zero_replacement(cur, ncur, nbins, rule);
	double		psi = 0.0;

	for (int i = 0; i < nbins; i++)
	{
		double		r = ref[i] > 0 ? (double) ref[i] / (double) nref : zr;
		double		c = cur[i] > 0 ? (double) cur[i] / (double) ncur : zc;

		psi += (c - r) * log(c / r);
	}
	return psi;
}

double
ea_jsd(const int64_t *ref, int64_t nref, const int64_t *cur, int64_t ncur,
	   int nbins)
{
	double		left = 0.0,
				right = 0.0,
				jsd;

	for (int i = 0; i < nbins; i++)
	{
		double		r = (double) ref[i] / (double) nref;
		double		c = (double) cur[i] / (double) ncur;
		double		m = (r + c) / 2.0;

		if (r > 0.0)
			left += r * log(r / m);
		if (c > 0.0)
			right += c * log(c / m);
	}
	/* natural-log divergence, then bits (as scipy with base=2) */
	jsd = (left + right) / 2.0 / log(2.0);
	if (jsd < 0.0)
		jsd = 0.0;				/* rounding on identical distributions */
	return jsd;
}
