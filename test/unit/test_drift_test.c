/*
 * test_drift_test.c - unit tests of the automatic drift test: Evidently's
 * rule at its boundaries, the verdicts, the chi-square goodness of fit, the
 * z-test, the Jensen-Shannon distance and the exact KS p-value, against
 * scipy 1.10.1 (printed by test/reference/drift_test_values.py), and the
 * tests run on kept-values and category states.
 */
#include <stdio.h>
#include <string.h>

#include "drift_test.h"
#include "kolmogorov.h"
#include "unit.h"

typedef struct KsCase
{
	long long	n1;
	long long	n2;
	double		d;
	double		p;				/* scipy ks_2samp(method='exact') */
} KsCase;

static const KsCase ks_cases[] = {
	{5, 7, 0.3142857142857143, 0.8383838383838382},
	{10, 10, 0.6, 0.05244755244755244},
	{30, 45, 0.14444444444444443, 0.8136551846350775},
	{100, 250, 0.156, 0.056608961427495025},
	{64, 64, 0.6875, 9.991730502013553e-15},
	{1000, 3000, 0.027, 0.6400264739186019},
	{1000, 10000, 0.0723, 0.00014220619770241954},
	{37, 1, 0.7027027027027027, 0.631578947368421},
	{1, 1, 1.0, 1.0},
	{200, 300, 0.6716666666666666, 6.144345913795977e-52},
};

static void
test_rule(void)
{
	unit_ok(ea_drift_default_test(1000, 6, 1) == EA_DRIFT_KS, "1000 reference rows, 6 values: ks");
	unit_ok(ea_drift_default_test(1000, 5, 1) == EA_DRIFT_CHISQUARE, "5 values: chisquare");
	unit_ok(ea_drift_default_test(1000, 3, 1) == EA_DRIFT_CHISQUARE, "3 values: chisquare");
	unit_ok(ea_drift_default_test(1000, 2, 1) == EA_DRIFT_Z, "2 values: z");
	unit_ok(ea_drift_default_test(1, 1, 1) == EA_DRIFT_Z, "1 value: z");
	unit_ok(ea_drift_default_test(1000, 50, 0) == EA_DRIFT_CHISQUARE, "text, 50 values: chisquare");
	unit_ok(ea_drift_default_test(1000, 2, 0) == EA_DRIFT_Z, "text, 2 values: z");
	unit_ok(ea_drift_default_test(1001, 6, 1) == EA_DRIFT_WASSERSTEIN, "1001 reference rows, 6 values: wasserstein");
	unit_ok(ea_drift_default_test(1001, 5, 1) == EA_DRIFT_JENSENSHANNON, "1001 rows, 5 values: jensenshannon");
	unit_ok(ea_drift_default_test(1001, 500, 0) == EA_DRIFT_JENSENSHANNON, "1001 rows, text: jensenshannon");
	unit_near(ea_drift_default_threshold(EA_DRIFT_KS), 0.05, 0, "p-value tests: 0.05");
	unit_near(ea_drift_default_threshold(EA_DRIFT_PSI), 0.1, 0, "distances: 0.1");
	unit_ok(ea_drift_verdict(EA_DRIFT_Z, 0.0, 0.05, 0.05) == 0, "p = threshold: no drift (z, chisquare)");
	unit_ok(ea_drift_verdict(EA_DRIFT_KS, 0.0, 0.05, 0.05) == 1, "p = threshold: drift (ks, as Evidently)");
	unit_ok(ea_drift_verdict(EA_DRIFT_Z, 0.0, 0.0499, 0.05) == 1, "p below threshold: drift");
	unit_ok(ea_drift_verdict(EA_DRIFT_WASSERSTEIN, 0.1, NAN, 0.1) == 1, "distance = threshold: drift");
	unit_ok(ea_drift_verdict(EA_DRIFT_WASSERSTEIN, 0.0999, NAN, 0.1) == 0, "distance below: no drift");
	unit_ok(ea_drift_verdict(EA_DRIFT_KS, 0.5, NAN, 0.05) == 0, "NaN p-value: no drift");
	for (int t = EA_DRIFT_KS; t <= EA_DRIFT_LAST; t++)
		unit_ok(ea_drift_test_parse(ea_drift_test_name((EaDriftTest) t)) == t, ea_drift_test_name((EaDriftTest) t));
	unit_ok(ea_drift_test_parse("auto") == EA_DRIFT_AUTO, "auto parses");
	unit_ok(ea_drift_test_parse("KS") == -1 && ea_drift_test_parse("") == -1, "unknown names: -1");
	unit_ok(!ea_drift_test_categorical_ok(EA_DRIFT_KS) && !ea_drift_test_categorical_ok(EA_DRIFT_WASSERSTEIN) &&
			ea_drift_test_categorical_ok(EA_DRIFT_Z), "ks and wasserstein are numeric only");
}

static void
test_bin_tests(void)
{
	static const int64_t r1[] = {10, 20, 30}, c1[] = {12, 18, 35};
	static const int64_t r2[] = {500, 300, 200}, c2[] = {400, 350, 250};
	static const int64_t r3[] = {7, 0, 3}, c3[] = {5, 1, 4};
	static const int64_t r4[] = {1, 2, 3, 4, 5}, c4[] = {5, 4, 3, 2, 1};
	static const int64_t zr1[] = {30, 70}, zc1[] = {45, 55};
	static const int64_t zr2[] = {900, 100}, zc2[] = {880, 120};
	static const int64_t zr3[] = {5, 0}, zc3[] = {0, 5};
	static const int64_t one[] = {4}, one_c[] = {9};
	static const int64_t jr[] = {5, 0, 5}, jc[] = {0, 10, 0};
	double		s,
				p;

	ea_chi2_goodness_of_fit(r1, 60, c1, 65, 3, &s, &p);
	unit_rel(s, 0.9384615384615387, 1e-13, "chisquare statistic");
	unit_rel(p, 0.6254832242176389, 1e-12, "chisquare p-value");
	ea_chi2_goodness_of_fit(r2, 1000, c2, 1000, 3, &s, &p);
	unit_rel(s, 40.833333333333336, 1e-13, "chisquare statistic, large");
	unit_rel(p, 1.358796212996323e-09, 1e-10, "chisquare small p-value");
	ea_chi2_goodness_of_fit(r3, 10, c3, 10, 3, &s, &p);
	unit_ok(isinf(s) && p == 0.0, "a value the reference lacks: Infinity and p 0");
	ea_chi2_goodness_of_fit(r4, 15, c4, 15, 5, &s, &p);
	unit_rel(s, 22.2, 1e-13, "chisquare, 5 bins");
	unit_rel(p, 0.0001828591182202459, 1e-11, "chisquare p, 4 degrees of freedom");
	ea_chi2_goodness_of_fit(one, 4, one_c, 9, 1, &s, &p);
	unit_ok(s == 0.0 && p == 1.0, "one bin: 0 and 1");

	ea_z_test_first_bin(zr1, 100, zc1, 100, 2, &s, &p);
	unit_rel(s, 2.1908902300206634, 1e-13, "z statistic");
	unit_rel(p, 0.028459736916310645, 1e-12, "z p-value");
	ea_z_test_first_bin(zr2, 1000, zc2, 1000, 2, &s, &p);
	unit_rel(s, -1.4293008498232314, 1e-13, "z statistic, negative");
	unit_rel(p, 0.1529177818639462, 1e-12, "z p-value, negative z");
	ea_z_test_first_bin(zr3, 5, zc3, 5, 2, &s, &p);
	unit_rel(s, -3.162277660168379, 1e-13, "z, two disjoint values");
	unit_rel(p, 0.001565402258002548, 1e-12, "z p-value, disjoint");
	ea_z_test_first_bin(one, 4, one_c, 9, 1, &s, &p);
	unit_ok(s == 0.0 && p == 1.0, "z, one value in both: 0 and p 1");
	{
		/* regression z-test-pooled-share-rounds-to-one: 1 - P once rounded to 0 (0 / 0) */
		static const int64_t hr[] = {1, INT64_C(43347146413441025)};
		static const int64_t hc[] = {0, INT64_C(65583669573582849)};

		ea_z_test_first_bin(hr, INT64_C(43347146413441026), hc, INT64_C(65583669573582849), 2, &s, &p);
		unit_ok(isfinite(s) && p >= 0.0 && p <= 1.0, "z, one row in 1e17 outside the rest: finite");
	}

	unit_rel(sqrt(ea_jsd(r1, 60, c1, 65, 3) * log(2.0)), 0.04348608763610117, 1e-12,
			 "Jensen-Shannon distance, natural log");
	unit_rel(sqrt(ea_jsd(jr, 10, jc, 10, 3) * log(2.0)), 0.8325546111576977, 1e-13,
			 "Jensen-Shannon distance, disjoint supports = sqrt(ln 2)");
}

static void
test_ks_exact(void)
{
	char		name[96];
	double		p;

	for (size_t i = 0; i < sizeof(ks_cases) / sizeof(ks_cases[0]); i++)
	{
		const KsCase *c = &ks_cases[i];

		snprintf(name, sizeof(name), "exact KS p-value, n = %lld, %lld", c->n1, c->n2);
		unit_ok(ea_ks_2samp_pvalue_exact(c->n1, c->n2, c->d, &p, ea_malloc_memory) == EA_OK, name);
		/* scipy's own recursions differ from ours in rounding only */
		unit_rel(p, c->p, 1e-10, name);
		(void) ea_ks_2samp_pvalue_exact(c->n2, c->n1, c->d, &p, ea_malloc_memory);
		unit_rel(p, c->p, 1e-10, "symmetric in the two sizes");
	}
	(void) ea_ks_2samp_pvalue_exact(20, 30, 0.0, &p, ea_malloc_memory);
	unit_ok(p == 1.0, "D = 0: p-value 1");
	(void) ea_ks_2samp_pvalue_exact(20, 30, 1.0, &p, ea_malloc_memory);
	unit_rel(p, 2.0 / 47129212243960.0, 1e-12, "D = 1: 2 / C(50, 20)");
	(void) ea_ks_2samp_pvalue_auto(20000, 30, 0.2, &p, ea_malloc_memory);
	{
		double		asymp;

		(void) ea_ks_2samp_pvalue(20000, 30, 0.2, &asymp, ea_malloc_memory);
		unit_ok(p == asymp, "above 10000 values: the asymptotic p-value");
	}
}

static void
test_states(void)
{
	EaTwoSample s;
	EaCategorical c;
	EaDriftResult r;

	/* three values only, few rows: chisquare on the values */
	ea_twosample_init(&s, EA_BINNING_EVIDENTLY, 0, ea_malloc_memory);
	for (int i = 0; i < 60; i++)
		ea_twosample_add(&s, i < 10 ? 1.0 : (i < 30 ? 2.0 : 3.0), 1);
	for (int i = 0; i < 65; i++)
		ea_twosample_add(&s, i < 12 ? 1.0 : (i < 30 ? 2.0 : 3.0), 0);
	unit_ok(ea_twosample_drift(&s, EA_DRIFT_AUTO, &r) == EA_OK && r.defined, "numeric state: defined");
	unit_ok(r.test == EA_DRIFT_CHISQUARE && r.n_values == 3 && r.n_reference == 60 &&
			r.n_current == 65, "numeric, 3 values, 60 rows: chisquare");
	unit_rel(r.p_value, 0.6254832242176389, 1e-12, "numeric chisquare p-value");
	unit_ok(r.drifted == 0 && r.threshold == 0.05, "no drift at 0.05");
	unit_ok(ea_twosample_drift(&s, EA_DRIFT_Z, &r) == EA_OK && r.test == EA_DRIFT_Z, "forced z");
	unit_ok(ea_twosample_drift(&s, EA_DRIFT_JENSENSHANNON, &r) == EA_OK, "forced jensenshannon");
	unit_rel(r.statistic, 0.04348608763610117, 1e-12, "numeric Jensen-Shannon on the values");
	unit_ok(isnan(r.p_value) && r.threshold == 0.1 && !r.drifted, "a distance has no p-value");
	ea_twosample_free(&s);

	ea_twosample_init(&s, EA_BINNING_QUANTILE, 10, ea_malloc_memory);
	ea_twosample_add(&s, 1.0, 1);
	ea_twosample_add(&s, 1.0, 0);
	unit_ok(ea_twosample_drift(&s, EA_DRIFT_AUTO, &r) == EA_EPARAM, "quantile-binned state: refused");
	ea_twosample_free(&s);

	ea_twosample_init(&s, EA_BINNING_EVIDENTLY, 0, ea_malloc_memory);
	ea_twosample_add(&s, 1.0, 1);
	unit_ok(ea_twosample_drift(&s, EA_DRIFT_AUTO, &r) == EA_OK && !r.defined &&
			r.n_reference == 1 && r.n_current == 0, "no current value: undefined, sizes kept");
	ea_twosample_free(&s);

	ea_categorical_init(&c, EA_BINNING_EVIDENTLY, ea_malloc_memory);
	for (int i = 0; i < 100; i++)
		(void) ea_categorical_add(&c, i < 30 ? "a" : "b", 1, 1, 1000);
	for (int i = 0; i < 100; i++)
		(void) ea_categorical_add(&c, i < 45 ? "a" : (i < 95 ? "b" : "c"), 1, 0, 1000);
	unit_ok(ea_categorical_drift(&c, EA_DRIFT_AUTO, &r) == EA_OK && r.test == EA_DRIFT_CHISQUARE &&
			r.n_values == 3 && r.unseen_current == 5, "text, 3 categories: chisquare, 5 unseen");
	unit_ok(isinf(r.statistic) && r.p_value == 0.0 && r.drifted, "an unseen category: p 0, drift");
	unit_ok(ea_categorical_drift(&c, EA_DRIFT_KS, &r) == EA_EPARAM, "ks on text: refused");
	ea_categorical_free(&c);

	ea_categorical_init(&c, EA_BINNING_EVIDENTLY, ea_malloc_memory);
	for (int i = 0; i < 100; i++)
		(void) ea_categorical_add(&c, i < 30 ? "a" : "b", 1, 1, 1000);
	for (int i = 0; i < 100; i++)
		(void) ea_categorical_add(&c, i < 45 ? "a" : "b", 1, 0, 1000);
	unit_ok(ea_categorical_drift(&c, EA_DRIFT_AUTO, &r) == EA_OK && r.test == EA_DRIFT_Z, "text, 2 categories: z");
	unit_rel(r.statistic, 2.1908902300206634, 1e-13, "text z statistic");
	unit_rel(r.p_value, 0.028459736916310645, 1e-12, "text z p-value");
	unit_ok(r.drifted, "drift at 0.05");
	ea_categorical_free(&c);
}

int
main(void)
{
	test_rule();
	test_bin_tests();
	test_ks_exact();
	test_states();
	return unit_done();
}
