/*
 * kolmogorov.c - distributions of the Kolmogorov-Smirnov statistics.
 *
 * The two-sided one-sample distribution P(D_n >= d) has no single formula
 * that is both exact and fast for every (n, d). Simard and L'Ecuyer (2011)
 * chose one per region; we use their regions with scipy.stats.kstwo's
 * cut-offs, so p-values agree with scipy's:
 *
 *   n d <= 1 or n d >= n - 1   Ruben and Gambino's closed forms (exact)
 *   d >= 1/2                   2 P(D+_n >= d): the two tails cannot both be
 *                              crossed, so this is exact
 *   n <= 140, n d^2 <= 4       Durbin's matrix formula (exact)
 *   n <= 140, n d^2 > 4        2 P(D+_n >= d)
 *   n > 140,  n d^2 >= 370     0 (below 1e-300)
 *   n > 140,  n d^2 >= 2.2     2 P(D+_n >= d): the overlap of the tails is
 *                              negligible
 *   n > 140,  n d^2 < 2.2      Durbin's formula if n <= 100000 and
 *                              n d^1.5 <= 1.4, else the Pelz-Good expansion
 *
 * scipy runs Pomeranz's recursion for n <= 140 and 0.754693 < n d^2 <= 4;
 * Durbin's formula is exact there as well, so it serves the whole range.
 *
 * The one-sided tail P(D+_n >= d) is Birnbaum and Tingey's finite sum, whose
 * terms are all positive, summed in long double in the log domain. Above
 * n = 10^6, where the sum would take too long, scipy.special.smirnov switches
 * to exp(-(6 n d + 1)^2 / (18 n)); so do we, so as to return scipy's values.
 *
 * References: Durbin (1968); Marsaglia, Tsang and Wang, J. Stat. Softw. 8(18)
 * (2003); Pelz and Good, JRSS B 38(2) (1976); Simard and L'Ecuyer, J. Stat.
 * Softw. 39(11) (2011); Birnbaum and Tingey, Ann. Math. Statist. 22 (1951).
 */
#include "kolmogorov.h"

#include <float.h>
#include <math.h>

#include "ea_alloc.h"

#define EA_PI 3.14159265358979323846
#define EA_SQRT_2PI 2.50662827463100050242

/* above this n the one-sided tail uses scipy's closed-form approximation */
#define EA_SMIRNOV_MAX_EXACT_N 1000000

static double
clip_probability(double p)
{
	return p < 0.0 ? 0.0 : (p > 1.0 ? 1.0 : p);
}

/* log(n! / n^n), in long double: its two parts are large and nearly cancel */
static long double
log_factorial_over_power(int64_t n)
{
	long double nl = (long double) n;

	return lgammal(nl + 1.0L) - nl * logl(nl);
}

/*
 * Birnbaum-Tingey: P(D+_n >= x) =
 *   sum_{j=0}^{floor(n (1 - x))} C(n, j) x (x + j/n)^(j-1) (1 - x - j/n)^(n-j)
 * Each term is accumulated as exp(log term - running maximum), which keeps
 * the sum in range whatever n.
 */
static double
smirnov_sum(int64_t n, double x)
{
	long double nl = (long double) n;
	long double nx = nl * (long double) x;
	long double log_n_factorial = lgammal(nl + 1.0L);
	long double log_x = logl((long double) x);
	long double top = -INFINITY;
	long double scaled_sum = 0.0L;

	for (int64_t j = 0; j < n; j++)
	{
		long double jl = (long double) j;
		long double left = (jl + nx) / nl;				/* x + j/n */
		long double right = (nl - jl - nx) / nl;		/* 1 - x - j/n */
		long double log_term;

		if (right <= 0.0L)
			break;
		log_term = log_n_factorial - lgammal(jl + 1.0L) - lgammal(nl - jl + 1.0L)
			+ log_x + (jl - 1.0L) * logl(left) + (nl - jl) * logl(right);
		if (log_term > top)
		{
			scaled_sum = scaled_sum * expl(top - log_term) + 1.0L;
			top = log_term;
		}
		else
			scaled_sum += expl(log_term - top);
	}
	return (double) (expl(top) * scaled_sum);
}

double
ea_smirnov_sf(int64_t n, double x)
{
	double		nx = (double) n * x;

	if (isnan(x) || n < 1)
		return NAN;
	if (x <= 0.0)
		return 1.0;
	if (x >= 1.0)
		return 0.0;
	if (nx <= 1.0)
		/* P(D+_n < x) = x (1 + x)^(n-1) for x <= 1/n */
		return clip_probability(1.0 - x * pow(1.0 + x, (double) (n - 1)));
	if (nx >= (double) (n - 1))
		/* only the last order statistic can fall short */
		return pow(1.0 - x, (double) n);
	/* P(D+_n >= x) <= exp(-2 n x^2) (Massart), below the smallest double */
	if (2.0 * nx * x > 745.2)
		return 0.0;
	if (n > EA_SMIRNOV_MAX_EXACT_N)
		return exp(-pow(6.0 * nx + 1.0, 2.0) / (18.0 * (double) n));
	return clip_probability(smirnov_sum(n, x));
}

/* C = A B for m x m row-major matrices */
static void
matrix_multiply(const double *a, const double *b, double *c, int m)
{
	for (int i = 0; i < m; i++)
	{
		double	   *row = c + (size_t) i * m;

		for (int j = 0; j < m; j++)
			row[j] = 0.0;
		for (int l = 0; l < m; l++)
		{
			double		ail = a[(size_t) i * m + l];
			const double *brow = b + (size_t) l * m;

			if (ail == 0.0)
				continue;
			for (int j = 0; j < m; j++)
				row[j] += ail * brow[j];
		}
	}
}

/* scale a matrix by a power of two so its largest entry is in [0.5, 1) */
static void
matrix_normalize(double *a, int m, int64_t *exponent)
{
	double		largest = 0.0;
	int			e;

	for (size_t i = 0; i < (size_t) m * m; i++)
		if (fabs(a[i]) > largest)
			largest = fabs(a[i]);
	if (largest == 0.0)
		return;
	(void) frexp(largest, &e);
	for (size_t i = 0; i < (size_t) m * m; i++)
		a[i] = ldexp(a[i], -e);
	*exponent += e;
}

/*
 * Durbin's formula: with n d = k - h (k integer, 0 <= h < 1) and the
 * (2k-1) x (2k-1) matrix H of Marsaglia, Tsang and Wang,
 * P(D_n < d) = n!/n^n (H^n)[k-1][k-1]. Powers are kept as mantissa matrices
 * and a separate binary exponent.
 */
static EaStatus
durbin_cdf(int64_t n, double d, double *cdf, EaMemory mem)
{
	double		nd = (double) n * d;
	int			k = (int) ceil(nd);
	double		h = (double) k - nd;
	int			m = 2 * k - 1;
	size_t		cells = (size_t) m * m;
	double	   *buffer = ea_alloc(mem, 3 * cells * sizeof(double));
	double	   *base,
			   *power,
			   *scratch;
	double		factorial = 1.0;
	int64_t		base_exp = 0,
				power_exp = 0;
	int64_t		remaining = n;
	int			have_power = 0;
	long double log_cdf;

	if (buffer == NULL)
		return EA_ENOMEM;
	base = buffer;
	power = buffer + cells;
	scratch = buffer + 2 * cells;

	/* H[i][j] = 1/(i-j+1)! on and below the superdiagonal */
	for (int i = 0; i < m; i++)
		for (int j = 0; j < m; j++)
		{
			int			r = i - j + 1;
			double		f = 1.0;

			for (int q = 2; q <= r; q++)
				f *= q;
			base[(size_t) i * m + j] = r < 0 ? 0.0 : 1.0 / f;
		}
	/* first column and last row lose h^r / r! */
	for (int r = 1; r <= m; r++)
	{
		factorial *= r;
		base[(size_t) (r - 1) * m] -= pow(h, r) / factorial;
		base[(size_t) (m - 1) * m + (m - r)] -= pow(h, r) / factorial;
	}
	if (2.0 * h - 1.0 > 0.0)
		base[(size_t) (m - 1) * m] += pow(2.0 * h - 1.0, m) / factorial;

	/* H^n by repeated squaring */
	while (remaining > 0)
	{
		if (remaining & 1)
		{
			if (!have_power)
			{
				for (size_t i = 0; i < cells; i++)
					power[i] = base[i];
				power_exp = base_exp;
				have_power = 1;
			}
			else
			{
				matrix_multiply(power, base, scratch, m);
				for (size_t i = 0; i < cells; i++)
					power[i] = scratch[i];
				power_exp += base_exp;
				matrix_normalize(power, m, &power_exp);
			}
		}
		remaining >>= 1;
		if (remaining > 0)
		{
			matrix_multiply(base, base, scratch, m);
			for (size_t i = 0; i < cells; i++)
				base[i] = scratch[i];
			base_exp *= 2;
			matrix_normalize(base, m, &base_exp);
		}
	}

	{
		double		corner = power[(size_t) (k - 1) * m + (k - 1)];

		ea_free(mem, buffer);
		if (!(corner > 0.0))
		{
			*cdf = 0.0;
			return EA_OK;
		}
		log_cdf = logl((long double) corner) + (long double) power_exp * logl(2.0L)
			+ log_factorial_over_power(n);
	}
	*cdf = clip_probability((double) expl(log_cdf));
	return EA_OK;
}

/*
 * Pelz and Good's expansion of P(D_n < x) in powers of 1/sqrt(n),
 * K0 + K1/sqrt(n) + K2/n + K3/n^1.5 with z = x sqrt(n), each K_i written
 * with the Jacobi theta transformation so its series converges fast for
 * small z. Terms are summed over odd m = 2k-1 with weight
 * exp(-m^2 pi^2 / (8 z^2)), and for K2 and K3 also over all k with weight
 * exp(-k^2 pi^2 / (2 z^2)).
 */
static double
pelz_good_cdf(int64_t n, double x)
{
	double		z = sqrt((double) n) * x;
	double		z2 = z * z,
				z3 = z2 * z,
				z4 = z2 * z2,
				z6 = z4 * z2,
				z7 = z6 * z,
				z8 = z4 * z4,
				z10 = z8 * z2;
	double		pi2 = EA_PI * EA_PI,
				pi4 = pi2 * pi2,
				pi6 = pi4 * pi2;
	double		s0 = 0.0,
				s1 = 0.0,
				s2 = 0.0,
				s3 = 0.0,
				t2 = 0.0,
				t3 = 0.0;
	double		rn = sqrt((double) n);
	int			terms;

	/* below this z, exp(-pi^2 / (8 z^2)) underflows: the cdf is 0 */
	if (-pi2 / (8.0 * z2) < -708.0)
		return 0.0;
	terms = (int) ceil(16.0 * z / EA_PI);
	for (int k = terms; k >= 1; k--)
	{
		double		m = 2.0 * k - 1.0;
		double		m2 = m * m,
					m4 = m2 * m2,
					m6 = m4 * m2;
		double		w = exp(-m2 * pi2 / (8.0 * z2));
		double		kk = (double) k * k;
		double		v = exp(-kk * pi2 / (2.0 * z2));

		s0 += w;
		s1 += (pi2 * m2 / 4.0 - z2) * w;
		s2 += (6.0 * z6 + 2.0 * z4
			   + (2.0 * z4 - 5.0 * z2) * pi2 * m2 / 4.0
			   + pi4 * (1.0 - 2.0 * z2) * m4 / 16.0) * w;
		s3 += (-30.0 * z6 - 90.0 * z8
			   + pi2 * (135.0 * z4 - 96.0 * z6) * m2 / 4.0
			   + pi4 * (212.0 * z4 - 60.0 * z2) * m4 / 16.0
			   + pi6 * (5.0 - 30.0 * z2) * m6 / 64.0) * w;
		t2 += kk * v;
		t3 += (3.0 * z2 - pi2 * kk) * kk * v;
	}
	{
		double		k0 = EA_SQRT_2PI / z * s0;
		double		k1 = EA_SQRT_2PI / (6.0 * z4) * s1;
		double		k2 = EA_SQRT_2PI / (72.0 * z7) * s2
			- EA_SQRT_2PI * pi2 / (36.0 * z3) * t2;
		double		k3 = EA_SQRT_2PI / (6480.0 * z10) * s3
			+ EA_SQRT_2PI * pi2 / (216.0 * z6) * t3;

		return k0 + k1 / rn + k2 / (double) n + k3 / ((double) n * rn);
	}
}

EaStatus
ea_kolmogorov_sf(int64_t n, double x, double *sf, EaMemory mem)
{
	double		t = (double) n * x;
	double		nx2 = t * x;
	double		cdf;
	EaStatus	st;

	if (isnan(x) || n < 1)
	{
		*sf = NAN;
		return EA_OK;
	}
	if (x >= 1.0)
	{
		*sf = 0.0;
		return EA_OK;
	}
	if (t <= 0.5)
	{
		*sf = 1.0;
		return EA_OK;
	}
	if (t <= 1.0)
	{
		/* Ruben-Gambino: P(D_n < x) = n!/n^n (2 n x - 1)^n for n x <= 1 */
		long double log_cdf = log_factorial_over_power(n)
			+ (long double) n * logl(2.0L * (long double) t - 1.0L);

		*sf = clip_probability(1.0 - (double) expl(log_cdf));
		return EA_OK;
	}
	if (t >= (double) (n - 1))
	{
		/* Ruben-Gambino: P(D_n >= x) = 2 (1 - x)^n for x >= 1 - 1/n */
		*sf = clip_probability(2.0 * pow(1.0 - x, (double) n));
		return EA_OK;
	}
	if (x >= 0.5)
	{
		*sf = clip_probability(2.0 * ea_smirnov_sf(n, x));
		return EA_OK;
	}

	if (n <= 140)
	{
		if (nx2 > 4.0)
		{
			*sf = clip_probability(2.0 * ea_smirnov_sf(n, x));
			return EA_OK;
		}
		st = durbin_cdf(n, x, &cdf, mem);
		if (st != EA_OK)
			return st;
		*sf = clip_probability(1.0 - cdf);
		return EA_OK;
	}

	if (nx2 >= 370.0)
	{
		*sf = 0.0;
		return EA_OK;
	}
	if (nx2 >= 2.2)
	{
		*sf = clip_probability(2.0 * ea_smirnov_sf(n, x));
		return EA_OK;
	}
	if (n <= 100000 && (double) n * pow(x, 1.5) <= 1.4)
	{
		st = durbin_cdf(n, x, &cdf, mem);
		if (st != EA_OK)
			return st;
	}
	else
		cdf = pelz_good_cdf(n, x);
	*sf = clip_probability(1.0 - cdf);
	return EA_OK;
}

/* x rounded to the nearest integer, ties to even (numpy's round) */
static double
round_half_even(double x)
{
	double		r = floor(x);
	double		frac = x - r;

	if (frac > 0.5 || (frac == 0.5 && fmod(r, 2.0) != 0.0))
		r += 1.0;
	return r;
}

EaStatus
ea_ks_2samp_pvalue(int64_t n1, int64_t n2, double d, double *p, EaMemory mem)
{
	double		big = (double) (n1 > n2 ? n1 : n2);
	double		small = (double) (n1 > n2 ? n2 : n1);
	double		en = round_half_even(big * small / (big + small));

	if (n1 < 1 || n2 < 1 || en < 1.0 || isnan(d))
	{
		*p = NAN;
		return EA_OK;
	}
	return ea_kolmogorov_sf((int64_t) en, d, p, mem);
}

static int64_t
gcd64(int64_t a, int64_t b)
{
	while (b != 0)
	{
		int64_t		t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/*
 * a[y] holds, for the column x being filled, the share of paths from (0, 0)
 * to (x, y) that have touched the outer region: 1 on the region itself, else
 * the mean of its two predecessors weighted by the paths through each
 * (x / (x + y) from the left, y / (x + y) from below).  Every value is a
 * convex combination of non-negative ones, so small p-values keep their
 * relative precision.
 */
EaStatus
ea_ks_2samp_pvalue_exact(int64_t n1, int64_t n2, double d, double *p, EaMemory mem)
{
	int64_t		m = n1 > n2 ? n1 : n2;	/* columns */
	int64_t		n = n1 > n2 ? n2 : n1;	/* rows: the shorter array */
	int64_t		g,
				bound;
	double		h;
	double	   *a;

	if (n1 < 1 || n2 < 1 || isnan(d))
	{
		*p = NAN;
		return EA_OK;
	}
	g = gcd64(m, n);
	h = round_half_even(d * (double) ((m / g) * n));
	if (h <= 0.0)
	{
		*p = 1.0;
		return EA_OK;
	}
	bound = (int64_t) h * g;
	a = ea_alloc(mem, (size_t) (n + 1) * sizeof(double));
	if (a == NULL)
		return EA_ENOMEM;
	a[0] = 0.0;
	for (int64_t y = 1; y <= n; y++)
		a[y] = y * m >= bound ? 1.0 : a[y - 1];
	for (int64_t x = 1; x <= m; x++)
		for (int64_t y = 0; y <= n; y++)
		{
			int64_t		diff = x * n - y * m;

			if (diff >= bound || -diff >= bound)
				a[y] = 1.0;
			else if (y > 0)
				a[y] = ((double) x * a[y] + (double) y * a[y - 1]) / (double) (x + y);
		}
	*p = a[n] < 0.0 ? 0.0 : (a[n] > 1.0 ? 1.0 : a[n]);
	ea_free(mem, a);
	return EA_OK;
}

EaStatus
ea_ks_2samp_pvalue_auto(int64_t n1, int64_t n2, double d, double *p, EaMemory mem)
{
	if (n1 <= EA_KS_EXACT_MAX_N && n2 <= EA_KS_EXACT_MAX_N)
		return ea_ks_2samp_pvalue_exact(n1, n2, d, p, mem);
	return ea_ks_2samp_pvalue(n1, n2, d, p, mem);
}
