/*
 * test_states.c - unit tests of what a serialized state must satisfy to be
 * accepted: no count or total that wraps around, no impossible statistic,
 * no bin whose sum of probabilities its rows cannot have; and that every
 * state the core itself builds (rows added, removed, merged) is accepted.
 * Each hostile state here is one an attack or the fuzzer (test/fuzz/) found
 * accepted before.  Built and run under address and undefined-behaviour
 * sanitizers by test/fuzz/run.sh as well.
 */
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "average.h"
#include "baseline.h"
#include "binning.h"
#include "calibration.h"
#include "categorical.h"
#include "codec.h"
#include "confusion.h"
#include "fixed.h"
#include "keytab.h"
#include "twosample.h"
#include "unit.h"

#define BIG (INT64_C(1) << 62)	/* 2^62 */

/* ---------- helpers: serialize what the core holds, decode it back ---------- */

static EaStatus
baseline_round_trip(const EaBaseline *b, EaBaseline *out)
{
	size_t		len = ea_baseline_serialized_size(b);
	unsigned char *buf = malloc(len);
	EaBaseline	scratch;
	EaStatus	st;

	ea_baseline_serialize(b, buf);
	st = ea_baseline_deserialize(out ? out : &scratch, buf, len, 1000, ea_malloc_memory);
	if (st == EA_OK && out == NULL)
		ea_baseline_free(&scratch);
	free(buf);
	return st;
}

static EaStatus
confusion_round_trip(const EaConfusion *c, EaConfusion *out)
{
	size_t		len = ea_confusion_serialized_size(c);
	unsigned char *buf = malloc(len);
	EaStatus	st;

	ea_confusion_serialize(c, buf);
	st = ea_confusion_deserialize(out, buf, len, 1000, ea_malloc_memory);
	free(buf);
	return st;
}

static EaStatus
calibration_round_trip(const EaCalibration *c, EaCalibration *out)
{
	size_t		len = ea_calibration_serialized_size(c);
	unsigned char *buf = malloc(len);
	EaStatus	st;

	ea_calibration_serialize(c, buf);
	st = ea_calibration_deserialize(out, buf, len);
	free(buf);
	return st;
}

/* a numeric baseline over `edges` with the given bin counts, n their wrapped sum */
static void
numeric_with_counts(EaBaseline *b, const double *edges, int nedges, const int64_t *counts)
{
	uint64_t	n = 0;

	ea_baseline_init_numeric(b, edges, nedges, ea_malloc_memory);
	for (int k = 0; k <= nedges; k++)
	{
		b->counts[k] = counts[k];
		n += (uint64_t) counts[k];	/* what a wrapping reader added up */
	}
	b->n = (int64_t) n;
}

/* ---------- the attacks of issue 17 ---------- */

static void
test_wrapped_baseline(void)
{
	static const double edges[] = {1, 2, 3, 4};
	/* four counts of 2^62 - 1 and 14 add up to 2^64 + 10: 10 after wrapping */
	const int64_t wrapped[] = {BIG - 1, BIG - 1, BIG - 1, BIG - 1, 14};
	const int64_t largest[] = {EA_MAX_COUNT - 14, 0, 0, 0, 14};
	const int64_t beyond[] = {EA_MAX_COUNT - 13, 0, 0, 0, 14};
	EaBaseline	b;

	numeric_with_counts(&b, edges, 4, wrapped);
	unit_ok(b.n == 10, "hostile baseline: the five counts wrap around to n = 10");
	unit_ok(baseline_round_trip(&b, NULL) == EA_ECORRUPT,
			"a baseline whose bin counts wrap around to n is refused");
	ea_baseline_free(&b);
	numeric_with_counts(&b, edges, 4, largest);
	unit_ok(baseline_round_trip(&b, NULL) == EA_OK,
			"a baseline of exactly EA_MAX_COUNT values is accepted");
	ea_baseline_free(&b);
	numeric_with_counts(&b, edges, 4, beyond);
	unit_ok(baseline_round_trip(&b, NULL) == EA_ECORRUPT,
			"a baseline of one value more than EA_MAX_COUNT is refused");
	ea_baseline_free(&b);
}

static void
test_wrapped_group_counts(void)
{
	EaConfusion c;
	EaConfusion d;
	int64_t    *k;

	ea_confusion_init(&c, 1, ea_malloc_memory);
	ea_confusion_group(&c, "a", 1, 100, &k);
	for (int w = 0; w < EA_CONFUSION_WIDTH; w++)
		k[w] = BIG - 1;
	/* TP + FN + FP + TN = 2^64 - 4: the group total -4 of the attack */
	unit_ok((int64_t) ((uint64_t) k[0] + (uint64_t) k[1] + (uint64_t) k[2] + (uint64_t) k[3]) == -4,
			"hostile group counts: the group total wraps to -4");
	unit_ok(confusion_round_trip(&c, &d) == EA_ECORRUPT,
			"group counts whose group total wraps around are refused");
	/* the largest total accepted: TP + FN + FP + TN = EA_MAX_COUNT */
	k[0] = EA_MAX_COUNT - 3;
	k[1] = k[2] = k[3] = 1;
	unit_ok(confusion_round_trip(&c, &d) == EA_OK, "group counts totalling EA_MAX_COUNT are accepted");
	if (d.groups.nkeys == 1)
	{
		int			def;
		double		f1 = ea_confusion_rate(&d, EA_RATE_F1, &def);

		/* 2 TP + FP + FN stays within int64: F1 = 2(M-3) / (2(M-3) + 2), M = 2^61 - 1 */
		unit_near(f1, 1.0, 1e-15, "F1 of the largest accepted counts is formed without wrapping");
		ea_confusion_free(&d);
	}
	k[0]++;
	unit_ok(confusion_round_trip(&c, &d) == EA_ECORRUPT, "one count more is refused");
	/* the totals of all groups together are bounded too */
	k[0] = EA_MAX_COUNT / 2;
	k[1] = k[2] = k[3] = 0;
	ea_confusion_group(&c, "b", 1, 100, &k);
	k[0] = EA_MAX_COUNT / 2 + 2;
	unit_ok(confusion_round_trip(&c, &d) == EA_ECORRUPT,
			"groups whose counts add up past EA_MAX_COUNT together are refused");
	ea_confusion_free(&c);

	ea_confusion_init(&c, 0, ea_malloc_memory);
	unit_ok(confusion_round_trip(&c, &d) == EA_ECORRUPT, "a minimum count of 0 is refused");
	ea_confusion_free(&c);
}

static void
test_calibration_sums(void)
{
	EaCalibration *c = malloc(ea_calibration_size(10));
	EaCalibration *d = malloc(ea_calibration_size(10));
	int			def;
	int			all_accepted = 1;

	/* one bin, two rows, and a sum of probabilities of 4: mean probability 2 */
	ea_calibration_init(c, 1);
	c->bins[0].n = 2;
	c->bins[0].positives = 0;
	c->bins[0].sum_prob.hi = 2;	/* 2 * 2^64 units of 2^-63 = 4 */
	c->bins[0].sum_prob.lo = 0;
	c->n = 2;
	unit_near(ea_ece(c, &def), 2.0, 0, "hostile calibration bins: ece 2 from a mean probability of 2");
	unit_ok(calibration_round_trip(c, d) == EA_ECORRUPT,
			"calibration bins with a mean probability above 1 are refused");
	/* the largest sum two rows can have: both probabilities 1 */
	c->bins[0].sum_prob.hi = 1;
	c->bins[0].positives = 2;
	unit_ok(calibration_round_trip(c, d) == EA_OK && ea_ece(d, &def) == 0.0,
			"two rows of probability 1 are accepted, ece 0");
	c->bins[0].sum_prob.lo = 1;
	unit_ok(calibration_round_trip(c, d) == EA_ECORRUPT, "one unit of 2^-63 more is refused");

	/* ten bins: a row in bin 0 (p <= 0.1) cannot have probability 0.9 */
	ea_calibration_init(c, 10);
	c->bins[0].n = 1;
	c->bins[0].sum_prob.lo = ea_fixed_from_prob(0.9);
	unit_ok(calibration_round_trip(c, d) == EA_ECORRUPT,
			"a bin whose mean probability lies outside the bin is refused");

	/* every probability at and around every edge, as the aggregates bin it */
	for (int nbins = 1; nbins <= 10; nbins++)
	{
		ea_calibration_init(c, nbins);
		for (int k = 0; k <= nbins; k++)
		{
			double		e = (double) k / (double) nbins;

			ea_calibration_add(c, k % 2, e);
			if (e > 0)
				ea_calibration_add(c, 1, nextafter(e, 0));
			if (e < 1)
				ea_calibration_add(c, 0, nextafter(e, 1));
		}
		if (calibration_round_trip(c, d) != EA_OK)
			all_accepted = 0;
	}
	unit_ok(all_accepted, "rows at and next to every bin edge are accepted (1 to 10 bins)");
	free(c);
	free(d);
}

/* ---------- what the fuzzer found ---------- */

static void
test_empty_keys(void)
{
	EaConfusion c,
				d;
	EaBaseline	b,
				back;
	int64_t    *k;

	/*
	 * A state whose only group is the empty string has no key bytes at all:
	 * writing it used to copy zero bytes from a NULL pointer (undefined
	 * behaviour; -fsanitize=undefined stops here in test/fuzz/run.sh).
	 */
	ea_confusion_init(&c, 1, ea_malloc_memory);
	ea_confusion_group(&c, "", 0, 100, &k);
	k[EA_TP] = 3;
	unit_ok(confusion_round_trip(&c, &d) == EA_OK && d.groups.nkeys == 1 &&
			ea_keytab_counts(&d.groups, 0)[EA_TP] == 3,
			"group counts with only the empty group round-trip");
	ea_confusion_free(&c);
	ea_confusion_free(&d);
	ea_baseline_init_categorical(&b, ea_malloc_memory);
	ea_baseline_add_text(&b, "", 0, 1, 100);
	unit_ok(baseline_round_trip(&b, &back) == EA_OK && back.n == 1,
			"a categorical baseline of the empty string round-trips");
	ea_baseline_free(&b);
	ea_baseline_free(&back);
}

static void
test_empty_category(void)
{
	EaCategorical c;
	size_t		len;
	unsigned char *buf;

	/* fuzzer: a category with no row on either side made chi2_test NaN */
	ea_categorical_init(&c, EA_BINNING_QUANTILE, ea_malloc_memory);
	ea_categorical_add(&c, "a", 1, 1, 100);
	ea_categorical_add(&c, "a", 1, 0, 100);
	ea_keytab_counts(&c.tab, 0)[0] = 1;
	{
		int32_t		i;

		ea_keytab_lookup(&c.tab, "bb", 2, 100, &i);	/* present, both counts 0 */
	}
	len = ea_categorical_serialized_size(&c);
	buf = malloc(len);
	ea_categorical_serialize(&c, buf);
	ea_categorical_free(&c);
	unit_ok(ea_categorical_deserialize(&c, buf, len, 100, ea_malloc_memory) == EA_ECORRUPT,
			"a category with no reference and no current row is refused");
	free(buf);
}

static void
test_overflowed_mean(void)
{
	/* fuzzer: finite values near DBL_MAX whose running mean overflows to +Infinity */
	static const double xs[] = {0, -1.0384593698180188e+34, 1, 1.7976931114361642e+308,
		-2.6812782211263563e+154, 2, 2.0000000018635546, -8.7595828637477344e+304,
	-8.7606543723549206e+304, -8.7606543723409498e+304};
	EaBaselineBuild build;
	EaBaseline	b,
				back;

	ea_baseline_build_init(&build, 4, ea_malloc_memory);
	for (int i = 0; i < 10; i++)
		ea_baseline_build_add(&build, xs[i]);
	ea_baseline_build_finish(&build, &b, ea_malloc_memory);
	{
		double		mean,
					m2,
					variance;

		ea_baseline_stats(&b, &mean, &m2, &variance);
		unit_ok(isfinite(mean), "the exact mean of these finite values near DBL_MAX is finite");
	}
	unit_ok(baseline_round_trip(&b, &back) == EA_OK,
			"a baseline of huge finite values is accepted");
	ea_baseline_free(&back);
	/* the same mean over values said to lie in [-1, 1] is a lie */
	b.min = -1;
	b.max = 1;
	for (int k = 0; k < b.nedges; k++)
		b.edges[k] = -0.5 + (double) k / (double) b.nedges;
	unit_ok(baseline_round_trip(&b, NULL) == EA_ECORRUPT,
			"a mean of 1.8e307 for values within [-1, 1] is refused");
	ea_baseline_free(&b);
	ea_baseline_build_free(&build);
}

static void
test_sturges_overflow(void)
{
	EaTwoSample s;
	double		edges[EA_STURGES_MAX_EDGES];
	double		v;
	int			def = 1,
				m;

	/*
	 * fuzzer: Evidently binning of finite values spanning more than DBL_MAX
	 * made the bin width NaN and converted it to int (undefined behaviour).
	 * Such a range has no bins (numpy raises): the metric is refused.
	 */
	m = ea_sturges_edges(-DBL_MAX, DBL_MAX, 30, edges);
	unit_ok(m == 0, "sturges edges over [-DBL_MAX, DBL_MAX]: none (the width overflows)");
	ea_twosample_init(&s, EA_BINNING_EVIDENTLY, 0, ea_malloc_memory);
	for (int i = 0; i < 30; i++)
		ea_twosample_add(&s, (i % 2 ? 1 : -1) * DBL_MAX / (1 + i), i < 15);
	/* 15 distinct reference values: Evidently bins them by value, no width needed */
	unit_ok(ea_twosample_divergence(&s, EA_DIV_JSD, &v, &def) == EA_OK && def && v >= 0 && v <= 1,
			"js_divergence with Evidently binning of 15 distinct values over the widest finite range lies in [0, 1]");
	ea_twosample_free(&s);
}

/* ---------- the statistics of a numeric baseline ---------- */

static void
test_baseline_statistics(void)
{
	static const double edges[] = {0, 10};
	EaBaseline	b,
				back;
	int			ok;

	ea_baseline_init_numeric(&b, edges, 2, ea_malloc_memory);
	ea_baseline_add_double(&b, 1, 1);
	ea_baseline_add_double(&b, 4, 1);
	ea_baseline_add_double(&b, 7, 1);	/* all in (0, 10]: mean 4, m2 18 */
	unit_ok(baseline_round_trip(&b, NULL) == EA_OK, "a baseline of 1, 4, 7 is accepted");

	/* hostile statistics, set as the text form sets them */
	unit_ok(ea_baseline_set_stats(&b, 4, -1, 0, 0) == EA_ECORRUPT, "negative m2 (variance -0.5) is refused");
	ea_baseline_set_stats(&b, 4, 3 * 36.0 / 4 * 1.01, 0, 0);	/* past n (max - min)^2 / 4 = 27 */
	unit_ok(baseline_round_trip(&b, NULL) == EA_ECORRUPT,
			"m2 larger than values in [min, max] can have is refused");
	ea_baseline_set_stats(&b, 8, 18, 0, 0);
	unit_ok(baseline_round_trip(&b, NULL) == EA_ECORRUPT, "a mean above max is refused");
	ea_baseline_set_stats(&b, 4, 18, 0, 0);
	b.min = 0.5;
	b.max = 7;
	ok = baseline_round_trip(&b, NULL) == EA_OK;
	b.min = 12;
	b.max = 12;
	unit_ok(ok && baseline_round_trip(&b, NULL) == EA_ECORRUPT,
			"a min above every binned value is refused");
	b.min = -3;
	b.max = 7;
	unit_ok(baseline_round_trip(&b, NULL) == EA_ECORRUPT,
			"a min below the bin its smallest value is in is refused");
	b.min = 1;
	b.max = 11;
	unit_ok(baseline_round_trip(&b, NULL) == EA_ECORRUPT,
			"a max beyond the bin its largest value is in is refused");
	b.max = NAN;
	unit_ok(baseline_round_trip(&b, NULL) == EA_ECORRUPT, "a known min with an unknown max is refused");
	b.min = NAN;
	unit_ok(baseline_round_trip(&b, NULL) == EA_OK, "unknown min and max are accepted");
	ea_baseline_free(&b);

	ea_baseline_init_numeric(&b, edges, 2, ea_malloc_memory);
	b.min = b.max = 1;
	unit_ok(baseline_round_trip(&b, NULL) == EA_ECORRUPT, "an empty baseline with a min is refused");
	ea_baseline_free(&b);

	ea_baseline_init_categorical(&b, ea_malloc_memory);
	ea_baseline_add_text(&b, "a", 1, 1, 100);
	b.nan = 1;
	unit_ok(baseline_round_trip(&b, NULL) == EA_ECORRUPT, "a categorical baseline with NaN is refused");
	ea_baseline_free(&b);

	/*
	 * fuzzer: two values 3.3e-161 apart have m2 right at Popoviciu's bound,
	 * whose square is subnormal: rounding there is coarse, and the state was
	 * refused
	 */
	ea_baseline_init_numeric(&b, edges, 2, ea_malloc_memory);
	ea_baseline_add_double(&b, -3.3371787480357726e-161, 1);
	ea_baseline_add_double(&b, 0.0, 1);
	unit_ok(baseline_round_trip(&b, NULL) == EA_OK, "a baseline of two tiny values is accepted");
	ea_baseline_free(&b);

	/*
	 * fuzzer: two values 5.7e-146 apart near -3.6e-132: a running m2 lost
	 * most of its digits and came out 1.1 % above Popoviciu's bound
	 */
	{
		static const double tiny_edges[] = {-3.6353615737634261e-132, -3.6353615737634067e-132};

		ea_baseline_init_numeric(&b, tiny_edges, 2, ea_malloc_memory);
		ea_baseline_add_double(&b, -3.6353615737634449e-132, 1);
		ea_baseline_add_double(&b, -3.6353615737633879e-132, 1);
		unit_ok(baseline_round_trip(&b, NULL) == EA_OK, "a baseline of two close values far from zero is accepted");
		ea_baseline_free(&b);
	}

	/*
	 * fuzzer: 14 equal values merged into an empty state got the running
	 * mean (x * 14) / 14, an ulp above x = min = max, and were refused; the
	 * exact sums give x itself
	 */
	{
		EaBaseline	part;
		const double x = 3.2186704024134878e-57;
		double		mean,
					m2,
					variance;

		ea_baseline_init_numeric(&b, edges, 2, ea_malloc_memory);
		ea_baseline_init_numeric(&part, edges, 2, ea_malloc_memory);
		for (int i = 0; i < 14; i++)
			ea_baseline_add_double(&part, x, 1);
		ea_baseline_combine(&b, &part, 100);
		ea_baseline_stats(&b, &mean, &m2, &variance);
		unit_ok(b.min == x && b.max == x && mean == x && m2 == 0.0,
				"14 equal values merged into an empty baseline: mean x exactly, m2 0");
		unit_ok(baseline_round_trip(&b, NULL) == EA_OK, "that merged baseline is accepted");
		ea_baseline_free(&b);
		ea_baseline_free(&part);
	}

	/*
	 * Rows leaving a moving frame left a Welford m2 just below zero (these
	 * three values in, the first two out: m2 = -8.7e-17); the exact sums
	 * leave exactly 0.
	 */
	ea_baseline_init_numeric(&b, edges, 2, ea_malloc_memory);
	ea_baseline_add_double(&b, 1.7956745000000001, 1);
	ea_baseline_add_double(&b, 1.2765683000000001, 1);
	ea_baseline_add_double(&b, 1.3141392000000001, 1);
	ea_baseline_add_double(&b, 1.7956745000000001, -1);
	ea_baseline_add_double(&b, 1.2765683000000001, -1);
	{
		double		mean,
					m2,
					variance;

		ea_baseline_stats(&b, &mean, &m2, &variance);
		unit_ok(m2 == 0.0 && mean == 1.3141392000000001,
				"a frame that lost two of three values has m2 exactly 0 and the remaining value as mean");
	}
	unit_ok(baseline_round_trip(&b, &back) == EA_OK && back.n == 1, "and is stored and accepted");
	ea_baseline_free(&back);
	ea_baseline_free(&b);
}

static void
test_other_states(void)
{
	EaAverage	a;
	unsigned char buf[EA_AVERAGE_SERIALIZED_SIZE];
	EaTwoSample s,
				t;
	unsigned char *tbuf;
	size_t		len;

	memset(&a, 0, sizeof(a));
	a.n = 2;
	a.sum.hi = -1;
	ea_average_serialize(&a, buf);
	unit_ok(ea_average_deserialize(&a, buf, sizeof(buf)) == EA_ECORRUPT,
			"averaged losses with a negative sum are refused");
	memset(&a, 0, sizeof(a));
	a.sum.lo = 1e-20;
	ea_average_serialize(&a, buf);
	unit_ok(ea_average_deserialize(&a, buf, sizeof(buf)) == EA_ECORRUPT,
			"averaged losses of no rows with a sum are refused");

	ea_twosample_init(&s, EA_BINNING_QUANTILE, 10, ea_malloc_memory);
	ea_twosample_add(&s, 1.0, 1);
	s.nan_ref = EA_MAX_COUNT + 1;
	len = ea_twosample_serialized_size(&s);
	tbuf = malloc(len);
	ea_twosample_serialize(&s, tbuf);
	unit_ok(ea_twosample_deserialize(&t, tbuf, len, 1000, ea_malloc_memory) == EA_ECORRUPT,
			"kept values with more NaN than EA_MAX_COUNT are refused");
	free(tbuf);
	ea_twosample_free(&s);
}

/* merge() of stored states: each within the bound, together beyond it */
static void
test_merge_bounds(void)
{
	static const double edges[] = {0};
	const int64_t half[] = {EA_MAX_COUNT / 2, 1};
	EaBaseline	a,
				b;
	EaCalibration *ca = malloc(ea_calibration_size(1)),
			   *cb = malloc(ea_calibration_size(1));
	EaConfusion fa,
				fb;
	EaCategorical ka,
				kb;
	int64_t    *k;

	numeric_with_counts(&a, edges, 1, half);
	numeric_with_counts(&b, edges, 1, half);
	unit_ok(baseline_round_trip(&a, NULL) == EA_OK, "a baseline of EA_MAX_COUNT / 2 + 1 values is accepted");
	unit_ok(ea_baseline_combine(&a, &b, 100) == EA_ELIMIT && a.n == EA_MAX_COUNT / 2 + 1,
			"merging two of them is refused, the first left as it was");
	b.n = b.counts[0] = EA_MAX_COUNT - a.n;
	b.counts[1] = 0;
	unit_ok(ea_baseline_combine(&a, &b, 100) == EA_OK && a.n == EA_MAX_COUNT &&
			baseline_round_trip(&a, NULL) == EA_OK,
			"a merge of exactly EA_MAX_COUNT values is made and accepted");
	ea_baseline_free(&a);
	ea_baseline_free(&b);

	ea_calibration_init(ca, 1);
	ea_calibration_init(cb, 1);
	ca->n = ca->bins[0].n = cb->n = cb->bins[0].n = EA_MAX_COUNT / 2 + 1;
	unit_ok(ea_calibration_combine(ca, cb) == EA_ELIMIT, "calibration bins: a merge past EA_MAX_COUNT is refused");
	free(ca);
	free(cb);

	ea_confusion_init(&fa, 1, ea_malloc_memory);
	ea_confusion_init(&fb, 1, ea_malloc_memory);
	ea_confusion_group(&fa, "a", 1, 100, &k);
	k[EA_TP] = EA_MAX_COUNT / 2 + 1;
	ea_confusion_group(&fb, "b", 1, 100, &k);
	k[EA_TN] = EA_MAX_COUNT / 2 + 1;
	unit_ok(ea_confusion_combine(&fa, &fb, 100) == EA_ELIMIT && fa.groups.nkeys == 1,
			"group counts: groups that add up past EA_MAX_COUNT are not merged");
	ea_confusion_free(&fa);
	ea_confusion_free(&fb);

	ea_categorical_init(&ka, EA_BINNING_QUANTILE, ea_malloc_memory);
	ea_categorical_init(&kb, EA_BINNING_QUANTILE, ea_malloc_memory);
	ea_categorical_add(&ka, "x", 1, 1, 100);
	ea_categorical_add(&kb, "x", 1, 0, 100);
	ea_keytab_counts(&ka.tab, 0)[0] = ka.nref = EA_MAX_COUNT / 2 + 1;
	ea_keytab_counts(&kb.tab, 0)[1] = kb.ncur = EA_MAX_COUNT / 2 + 1;
	unit_ok(ea_categorical_combine(&ka, &kb, 100) == EA_ELIMIT,
			"category counts: a merge past EA_MAX_COUNT rows is refused");
	ea_categorical_free(&ka);
	ea_categorical_free(&kb);
}

int
main(void)
{
	test_wrapped_baseline();
	test_wrapped_group_counts();
	test_calibration_sums();
	test_empty_keys();
	test_empty_category();
	test_overflowed_mean();
	test_sturges_overflow();
	test_baseline_statistics();
	test_other_states();
	test_merge_bounds();
	return unit_done();
}
