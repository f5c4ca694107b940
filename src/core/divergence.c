/*
 * divergence.c - PSI and Jensen-Shannon divergence from bin counts.
 *
 * Counts are exact integers; proportions are formed only here, so that a
 * result depends on the counts alone and not on the order rows arrived in.
 */
#include "divergence.h"

#include <math.h>

#include "special.h"

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

double
ea_hellinger(const int64_t *ref, int64_t nref, const int64_t *cur, int64_t ncur, int nbins)
{
	double		sum = 0.0;

	for (int i = 0; i < nbins; i++)
	{
		double		d = sqrt((double) ref[i] / (double) nref) - sqrt((double) cur[i] / (double) ncur);

		sum += d * d;
	}
	return sqrt(sum) / sqrt(2.0);
}

double
ea_kl(const int64_t *ref, int64_t nref, const int64_t *cur, int64_t ncur, int nbins,
	  EaZeroRule rule)
{
	double		zr = zero_replacement(ref, nref, nbins, rule);
	double		zc = zero_replacement(cur, ncur, nbins, rule);
	double		sr = 0.0,
				sc = 0.0,
				kl = 0.0;

	for (int i = 0; i < nbins; i++)
	{
		sr += ref[i] > 0 ? (double) ref[i] / (double) nref : zr;
		sc += cur[i] > 0 ? (double) cur[i] / (double) ncur : zc;
	}
	for (int i = 0; i < nbins; i++)
	{
		double		r = (ref[i] > 0 ? (double) ref[i] / (double) nref : zr) / sr;
		double		c = (cur[i] > 0 ? (double) cur[i] / (double) ncur : zc) / sc;

		kl += r * log(r / c);
	}
	return kl;
}

double
ea_divergence(EaDivergence which, const int64_t *ref, int64_t nref, const int64_t *cur,
			  int64_t ncur, int nbins, EaZeroRule rule)
{
	switch (which)
	{
		case EA_DIV_PSI:
			return ea_psi(ref, nref, cur, ncur, nbins, rule);
		case EA_DIV_JSD:
			return ea_jsd(ref, nref, cur, ncur, nbins);
		case EA_DIV_HELLINGER:
			return ea_hellinger(ref, nref, cur, ncur, nbins);
		case EA_DIV_KL:
			return ea_kl(ref, nref, cur, ncur, nbins, rule);
	}
	return NAN;
}

void
ea_chi2_homogeneity(const int64_t *ref, int64_t nref, const int64_t *cur, int64_t ncur,
					int nbins, double *statistic, double *p_value, int *dof)
{
	double		total = (double) nref + (double) ncur;
	double		chi2 = 0.0;

	*dof = nbins - 1;
	if (*dof < 1)
	{
		*statistic = 0.0;
		*p_value = 1.0;
		return;
	}
	for (int i = 0; i < nbins; i++)
	{
		double		col = (double) ref[i] + (double) cur[i];
		double		obs[2] = {(double) ref[i], (double) cur[i]};
		double		row[2] = {(double) nref, (double) ncur};

		for (int j = 0; j < 2; j++)
		{
			double		expected = row[j] * col / total;
			double		diff = obs[j] - expected;

			/* Yates: move each observation up to 0.5 towards its expectation */
			if (*dof == 1)
			{
				double		mag = fabs(diff) < 0.5 ? fabs(diff) : 0.5;

				diff = diff > 0 ? diff - mag : diff + mag;
			}
			chi2 += diff * diff / expected;
		}
	}
	*statistic = chi2;
	*p_value = ea_chi2_sf(chi2, (double) *dof);
}
