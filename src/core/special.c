/*
 * special.c - the regularized incomplete gamma function, for chi-square
 * p-values: a power series below x = a + 1, a continued fraction (modified
 * Lentz) above it, each where it converges fast and without cancellation.
 */
#include "special.h"

#include <float.h>
#include <math.h>

#define EA_GAMMA_MAX_ITER 10000
#define EA_GAMMA_EPS (DBL_EPSILON / 4)
#define EA_GAMMA_TINY 1e-300

/* P(a, x) by its series, for x < a + 1 */
static double
gamma_p_series(double a, double x)
{
	double		term = 1.0 / a;
	double		sum = term;

	for (int n = 1; n < EA_GAMMA_MAX_ITER; n++)
	{
		term *= x / (a + n);
		sum += term;
		if (fabs(term) < fabs(sum) * EA_GAMMA_EPS)
			break;
	}
	return sum * exp(-x + a * log(x) - lgamma(a));
}

/* Q(a, x) by its continued fraction, for x >= a + 1 */
static double
gamma_q_fraction(double a, double x)
{
	double		b = x + 1.0 - a;
	double		c = 1.0 / EA_GAMMA_TINY;
	double		d = 1.0 / b;
	double		h = d;

	for (int n = 1; n < EA_GAMMA_MAX_ITER; n++)
	{
		double		an = -n * (n - a);
		double		delta;

		b += 2.0;
		d = an * d + b;
		if (fabs(d) < EA_GAMMA_TINY)
			d = EA_GAMMA_TINY;
		c = b + an / c;
		if (fabs(c) < EA_GAMMA_TINY)
			c = EA_GAMMA_TINY;
		d = 1.0 / d;
		delta = d * c;
		h *= delta;
		if (fabs(delta - 1.0) < EA_GAMMA_EPS)
			break;
	}
	return exp(-x + a * log(x) - lgamma(a)) * h;
}

double
ea_gamma_q(double a, double x)
{
	if (isnan(a) || isnan(x) || a <= 0.0 || x < 0.0)
		return NAN;
	if (x == 0.0)
		return 1.0;
	if (isinf(x))
		return 0.0;
	if (x < a + 1.0)
		return 1.0 - gamma_p_series(a, x);
	return gamma_q_fraction(a, x);
}

double
ea_chi2_sf(double x, double k)
{
	if (x <= 0.0)
		return 1.0;
	return ea_gamma_q(k / 2.0, x / 2.0);
}
