/*
 * test_kolmogorov.c - unit tests of the Kolmogorov-Smirnov distributions
 * against scipy 1.10.1: one case per region of the method selection, the
 * two-sample asymptotic p-value, and the identities the distributions obey.
 *
 * The tables are printed by test/reference/kolmogorov_values.py.
 */
#include <stdio.h>

#include "kolmogorov.h"
#include "unit.h"

typedef struct SmirnovCase
{
	long long	n;
	double		d;
	double		sf;
} SmirnovCase;

typedef struct KolmogorovCase
{
	long long	n;
	double		d;
	double		sf;
	const char *region;
} KolmogorovCase;

typedef struct TwoSampleCase
{
	long long	n1;
	long long	n2;
	double		d;
	double		p;
} TwoSampleCase;

static const SmirnovCase smirnov_cases[] = {
	{1, 0.3, 0.7},
	{5, 0.1, 0.85359},
	{5, 0.9, 9.999999999999989e-06},
	{10, 0.35, 0.06698659406601565},
	{50, 0.2, 0.01571942744940561},
	{100, 0.05, 0.5871453380805337},
	{1000, 0.03, 0.16203171395455085},
	{20000, 0.01, 0.01819312895757209},
	{1000000, 0.002, 0.0003350138551835359},
	{1000001, 0.002, 0.0003350129437289286},
	{4000000, 0.0005, 0.13529017711429506},
};
static const KolmogorovCase kolmogorov_cases[] = {
	{1, 0.7, 0.6000000000000001, "n = 1"},
	{10, 0.04, 1.0, "n d <= 1/2"},
	{10, 0.08, 0.9999978058034054, "Ruben-Gambino, n d <= 1"},
	{200, 0.004, 1.0, "Ruben-Gambino, large n"},
	{10, 0.95, 1.9531250000000172e-13, "Ruben-Gambino, n d >= n - 1"},
	{10, 0.6, 0.0005681672000000003, "d >= 1/2"},
	{20, 0.15, 0.7044671549442872, "n <= 140, Durbin (n d^2 <= 0.754693)"},
	{20, 0.3, 0.04306706665851623, "n <= 140, Durbin where scipy uses Pomeranz"},
	{140, 0.16, 0.0013440163244194184, "n <= 140, Durbin where scipy uses Pomeranz"},
	{30, 0.45, 4.60170836663682e-06, "n <= 140, n d^2 > 4: twice the one-sided tail"},
	{141, 0.05, 0.8548456930096628, "n > 140, Pelz-Good (n d^1.5 > 1.4)"},
	{200, 0.035, 0.959895555633483, "n > 140, Durbin (n d^1.5 <= 1.4)"},
	{1000, 0.04, 0.07933956059000224, "n > 140, Pelz-Good"},
	{20000, 0.0016, 0.9999999995165078, "n > 140, Durbin up to n = 100000"},
	{100001, 0.003, 0.32845050055711633, "n > 100000, Pelz-Good"},
	{5000, 0.03, 0.00024159234422666817, "n d^2 >= 2.2: twice the one-sided tail"},
	{1000, 0.5, 1.064517291557782e-231, "d = 1/2"},
	{3000000, 0.001, 0.0049542003601089, "n > 10^6: twice scipy's one-sided approximation"},
	{1000, 0.62, 0.0, "n d^2 >= 370"},
};
static const TwoSampleCase two_sample_cases[] = {
	{4, 5, 0.6, 0.32000000000000006},
	{20, 20, 0.45, 0.022891810311717498},
	{1, 2, 1.0, 0.0},
	{3, 7, 0.5, 0.5},
	{10000, 8000, 0.02, 0.05638522747312391},
	{8734, 8645, 0.1, 2.814614048790423e-38},
	{2000000, 3000000, 0.001, 0.18117987838603056},
	{600, 600, 0.0, 1.0},
};

#define NCASES(a) ((int) (sizeof(a) / sizeof((a)[0])))

/* absolute 1e-12 and, above 1e-290, relative 1e-9 */
static void
check(double got, double want, const char *name)
{
	char		label[160];

	snprintf(label, sizeof(label), "%s (absolute)", name);
	unit_near(got, want, 1e-12, label);
	if (want > 1e-290)
	{
		snprintf(label, sizeof(label), "%s (relative)", name);
		unit_rel(got, want, 1e-9, label);
	}
}

static void
test_reference_values(void)
{
	char		name[160];

	for (int i = 0; i < NCASES(smirnov_cases); i++)
	{
		const SmirnovCase *c = &smirnov_cases[i];

		snprintf(name, sizeof(name), "smirnov(%lld, %g)", c->n, c->d);
		check(ea_smirnov_sf(c->n, c->d), c->sf, name);
	}
	for (int i = 0; i < NCASES(kolmogorov_cases); i++)
	{
		const KolmogorovCase *c = &kolmogorov_cases[i];
		double		sf = -1.0;

		snprintf(name, sizeof(name), "kstwo.sf(%g, %lld): %s", c->d, c->n, c->region);
		unit_ok(ea_kolmogorov_sf(c->n, c->d, &sf, ea_malloc_memory) == EA_OK, name);
		check(sf, c->sf, name);
	}
	for (int i = 0; i < NCASES(two_sample_cases); i++)
	{
		const TwoSampleCase *c = &two_sample_cases[i];
		double		p = -1.0;

		snprintf(name, sizeof(name), "ks_2samp(%lld vs %lld values, D = %g)", c->n1, c->n2, c->d);
		unit_ok(ea_ks_2samp_pvalue(c->n1, c->n2, c->d, &p, ea_malloc_memory) == EA_OK, name);
		check(p, c->p, name);
	}
}

static void
test_identities(void)
{
	double		p = 0.0,
				q = 0.0;
	int			monotone = 1,
				in_range = 1,
				symmetric = 1;

	/* one value on each side: effective size round(0.5) = 0, undefined */
	unit_ok(ea_ks_2samp_pvalue(1, 1, 1.0, &p, ea_malloc_memory) == EA_OK && isnan(p),
			"ks_2samp p-value is NaN when the effective size rounds to 0");
	unit_ok(ea_ks_2samp_pvalue(5, 0, 0.5, &p, ea_malloc_memory) == EA_OK && isnan(p),
			"ks_2samp p-value is NaN for an empty sample");
	unit_ok(ea_kolmogorov_sf(10, NAN, &p, ea_malloc_memory) == EA_OK && isnan(p), "kolmogorov sf of NaN is NaN");
	unit_ok(isnan(ea_smirnov_sf(10, NAN)), "smirnov sf of NaN is NaN");
	unit_ok(ea_kolmogorov_sf(10, 0.0, &p, ea_malloc_memory) == EA_OK && p == 1.0, "kolmogorov sf at 0 is 1");
	unit_ok(ea_kolmogorov_sf(10, 1.0, &p, ea_malloc_memory) == EA_OK && p == 0.0, "kolmogorov sf at 1 is 0");
	unit_ok(ea_smirnov_sf(10, 0.0) == 1.0 && ea_smirnov_sf(10, 1.0) == 0.0,
			"smirnov sf is 1 at 0 and 0 at 1");

	/* non-increasing in d, within [0, 1], and symmetric in (n1, n2) */
	for (long long n = 1; n <= 3000; n = n * 3 + 1)
	{
		double		last = 1.0;

		for (int i = 0; i <= 400; i++)
		{
			double		d = i / 400.0;
			double		sf;

			(void) ea_kolmogorov_sf(n, d, &sf, ea_malloc_memory);
			if (sf > last + 1e-12)
				monotone = 0;
			if (!(sf >= 0.0 && sf <= 1.0))
				in_range = 0;
			last = sf;
		}
	}
	for (long long n1 = 1; n1 < 200; n1 += 17)
		for (long long n2 = 1; n2 < 200; n2 += 23)
		{
			(void) ea_ks_2samp_pvalue(n1, n2, 0.3, &p, ea_malloc_memory);
			(void) ea_ks_2samp_pvalue(n2, n1, 0.3, &q, ea_malloc_memory);
			if (!(p == q || (isnan(p) && isnan(q))))
				symmetric = 0;
		}
	unit_ok(monotone, "kolmogorov sf is non-increasing in d across all regions");
	unit_ok(in_range, "kolmogorov sf stays in [0, 1]");
	unit_ok(symmetric, "ks_2samp p-value is symmetric in the two sample sizes");

	/* two-sided tail = twice the one-sided tail when d >= 1/2 */
	(void) ea_kolmogorov_sf(40, 0.55, &p, ea_malloc_memory);
	unit_rel(p, 2.0 * ea_smirnov_sf(40, 0.55), 1e-15, "kolmogorov = 2 smirnov for d >= 1/2");
}

int
main(void)
{
	test_reference_values();
	test_identities();
	return unit_done();
}
