/*
 * test_numeric_edges.c - the core at its numerical edges: exact moments
 * under long runs of additions and removals, key tables that shrink again,
 * overflowing sums, and bin widths that do not exist.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "average.h"
#include "baseline.h"
#include "binning.h"
#include "exact.h"
#include "keytab.h"
#include "sums.h"
#include "unit.h"

static uint64_t rng_state = 88172645463325252u;

static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static double
uniform(void)
{
	return (double) (rng() >> 11) / 9007199254740992.0;
}

/* mean and variance of xs[lo, hi) from fresh moments: the recomputation */
static void
fresh_stats(const double *xs, int lo, int hi, double *mean, double *var)
{
	EaMoments	m;
	double		m2;

	ea_moments_init(&m, ea_malloc_memory);
	for (int i = lo; i < hi; i++)
		ea_moments_add(&m, xs[i], 1);
	ea_moments_result(&m, hi - lo, mean, &m2, var);
	ea_moments_free(&m);
}

static void
test_exact_moments(void)
{
	enum
	{
		N = 100000, W = 3
	};
	double	   *xs = malloc(sizeof(double) * N);
	EaMoments	m,
				a,
				b;
	double		mean,
				m2,
				var,
				fm,
				fv;
	int			same = 1;

	/*
	 * numpy 1.24: np.var([0.0, 0.006], ddof=1) = 1.8e-05 and the mean 0.003,
	 * after a long history of far larger values added and removed
	 */
	ea_moments_init(&m, ea_malloc_memory);
	for (int i = 0; i < 1000; i++)
	{
		double		big = 1e6 * (double) (i % 13) + 0.1 * (double) i;

		ea_moments_add(&m, big, 1);
		ea_moments_add(&m, -big / 3.0, 1);
		ea_moments_add(&m, big, -1);
		ea_moments_add(&m, -big / 3.0, -1);
	}
	ea_moments_add(&m, 0.0, 1);
	ea_moments_add(&m, 0.006, 1);
	ea_moments_result(&m, 2, &mean, &m2, &var);
	unit_ok(var == 1.8e-05, "2-row variance after 4000 additions and removals = numpy 1.8e-05");
	unit_ok(mean == 0.003, "2-row mean = numpy 0.003");
	ea_moments_free(&m);

	/* a sliding frame of W values over N: identical to recomputing each frame */
	for (int i = 0; i < N; i++)
		xs[i] = (i % 1000 == 0 ? 1e9 : 1.0) * (uniform() - 0.25) + 1e3 * sin((double) i);
	ea_moments_init(&m, ea_malloc_memory);
	for (int i = 0; i < N; i++)
	{
		if (i >= W)
			ea_moments_add(&m, xs[i - W], -1);
		ea_moments_add(&m, xs[i], 1);
		if (i >= W - 1 && (i % 97 == 0 || i > N - 5))
		{
			ea_moments_result(&m, W, &mean, &m2, &var);
			fresh_stats(xs, i - W + 1, i + 1, &fm, &fv);
			if (mean != fm || var != fv)
				same = 0;
		}
	}
	unit_ok(same, "100000-row sliding frame: mean and variance bit-identical to recomputation");
	/* numpy 1.24 on the last frame would use a two-pass formula: within 1e-15 */
	{
		double		mu = (xs[N - 1] + xs[N - 2] + xs[N - 3]) / 3.0;
		double		d1 = xs[N - 1] - mu,
					d2 = xs[N - 2] - mu,
					d3 = xs[N - 3] - mu;

		ea_moments_result(&m, W, &mean, &m2, &var);
		unit_rel(var, (d1 * d1 + d2 * d2 + d3 * d3) / 2.0, 1e-14, "last frame variance = two-pass");
	}
	ea_moments_free(&m);

	/* merging in two orders, and through the serialized form */
	ea_moments_init(&a, ea_malloc_memory);
	ea_moments_init(&b, ea_malloc_memory);
	for (int i = 0; i < 5000; i++)
		ea_moments_add(i % 3 ? &a : &b, xs[i], 1);
	{
		EaMoments	ab,
					ba,
					back;
		double		m1,
					v1,
					mm,
					vv;
		size_t		size = ea_moments_serialized_size(&a);
		unsigned char *buf = malloc(size);
		const unsigned char *p = buf;

		ea_moments_copy(&ab, &a, ea_malloc_memory);
		ea_moments_combine(&ab, &b);
		ea_moments_copy(&ba, &b, ea_malloc_memory);
		ea_moments_combine(&ba, &a);
		ea_moments_result(&ab, 5000, &m1, &m2, &v1);
		ea_moments_result(&ba, 5000, &mm, &m2, &vv);
		fresh_stats(xs, 0, 5000, &fm, &fv);
		unit_ok(m1 == mm && v1 == vv && m1 == fm && v1 == fv, "merge order and serial: identical");
		unit_ok(ea_moments_serialize(&a, buf) == buf + size, "serialized size");
		unit_ok(ea_moments_deserialize(&back, &p, buf + size, ea_malloc_memory) == EA_OK && p == buf + size,
				"serialized moments read back");
		ea_moments_result(&back, 5000 - 5000 / 3 - 1, &m1, &m2, &v1);
		ea_moments_result(&a, 5000 - 5000 / 3 - 1, &mm, &m2, &vv);
		unit_ok(m1 == mm && v1 == vv, "read back: same statistics");
		ea_moments_free(&back);
		/* a limb past the range any sum of doubles reaches is refused */
		buf[1 + 16 + 3] = 80;
		p = buf;
		unit_ok(ea_moments_deserialize(&back, &p, buf + size, ea_malloc_memory) == EA_ECORRUPT, "limbs out of range refused");
		free(buf);
		ea_moments_free(&ab);
		ea_moments_free(&ba);
		ea_moments_free(&back);
	}
	ea_moments_free(&a);
	ea_moments_free(&b);

	/* from a mean and m2 (the earlier state format): the same results back */
	ea_moments_init(&a, ea_malloc_memory);
	ea_moments_from_mean_m2(&a, 9, 4.222222222222222, 47.55555555555556);
	ea_moments_result(&a, 9, &mean, &m2, &var);
	unit_ok(mean == 4.222222222222222 && m2 == 47.55555555555556,
			"mean and m2 rebuilt exactly from the version-1 form");
	ea_moments_from_mean_m2(&a, 3, 1e300, 1e299);
	ea_moments_result(&a, 3, &mean, &m2, &var);
	unit_ok(mean == 1e300 && m2 == 1e299, "rebuilt without overflow at 1e300");
	ea_moments_free(&a);

	/* infinities: numpy 1.24 mean -inf, nan with both signs; var nan */
	ea_moments_init(&a, ea_malloc_memory);
	ea_moments_add(&a, -INFINITY, 1);
	ea_moments_add(&a, 1.0, 1);
	ea_moments_result(&a, 1, &mean, &m2, &var);
	unit_ok(mean == -INFINITY && isnan(var), "np.mean([-inf, 1]) = -inf, var nan");
	ea_moments_add(&a, INFINITY, 1);
	ea_moments_result(&a, 1, &mean, &m2, &var);
	unit_ok(isnan(mean), "np.mean([-inf, 1, inf]) = nan");
	ea_moments_add(&a, INFINITY, -1);
	ea_moments_add(&a, -INFINITY, -1);
	ea_moments_result(&a, 1, &mean, &m2, &var);
	unit_ok(mean == 1.0 && m2 == 0.0, "infinities removed: finite again");
	ea_moments_free(&a);

	/* subnormals and the largest doubles in one sum: exact */
	ea_moments_init(&a, ea_malloc_memory);
	ea_moments_add(&a, 4.9406564584124654e-324, 1);
	ea_moments_add(&a, 1.7976931348623157e308, 1);
	ea_moments_add(&a, 1.7976931348623157e308, 1);
	ea_moments_add(&a, -1.7976931348623157e308, 1);
	ea_moments_add(&a, -1.7976931348623157e308, 1);
	ea_moments_result(&a, 5, &mean, &m2, &var);
	unit_ok(mean == 0.0, "mean of +-DBL_MAX twice and the smallest subnormal rounds to 0");
	unit_ok(var == INFINITY, "its variance overflows to inf, as numpy's");
	ea_moments_free(&a);
	free(xs);
}

static void
test_keytab_remove(void)
{
	EaKeytab	t;
	char		key[32];
	int			ok = 1;
	int32_t		idx;

	ea_keytab_init(&t, 2, ea_malloc_memory);
	/* churn: keys enter and leave as in a sliding frame of 5 keys */
	for (int i = 0; i < 20000; i++)
	{
		int			len = snprintf(key, sizeof(key), "group-%d", i);

		if (ea_keytab_lookup(&t, key, (uint32_t) len, 5, &idx) != EA_OK)
			ok = 0;
		ea_keytab_counts(&t, idx)[0] = i;
		if (i >= 4)
		{
			len = snprintf(key, sizeof(key), "group-%d", i - 4);
			idx = ea_keytab_find(&t, key, (uint32_t) len);
			if (idx < 0 || ea_keytab_counts(&t, idx)[0] != i - 4 || ea_keytab_remove(&t, idx) != EA_OK)
				ok = 0;
		}
	}
	unit_ok(ok, "20000 keys through a table of at most 5");
	unit_ok(t.nkeys == 4, "4 keys left");
	for (int i = 19996; i < 20000; i++)
	{
		int			len = snprintf(key, sizeof(key), "group-%d", i);

		idx = ea_keytab_find(&t, key, (uint32_t) len);
		if (idx < 0 || ea_keytab_counts(&t, idx)[0] != i)
			ok = 0;
	}
	unit_ok(ok, "the remaining keys are found with their counts");
	unit_ok(ea_keytab_find(&t, "group-0", 7) < 0, "a removed key is absent");
	unit_ok(t.arena_used - t.arena_dead < 64 && t.arena_cap <= 8192, "the arena was compacted");
	{
		size_t		size = ea_keytab_serialized_size(&t);
		unsigned char *buf = malloc(size);
		const unsigned char *p = buf;
		EaKeytab	back;

		unit_ok(ea_keytab_serialize(&t, buf) == buf + size, "serialized size counts live keys only");
		unit_ok(ea_keytab_deserialize(&back, 2, &p, buf + size, 10, ea_malloc_memory) == EA_OK && back.nkeys == 4,
				"read back");
		ea_keytab_free(&back);
		free(buf);
	}
	ea_keytab_free(&t);

	/* random removals from a large table: every other key still found */
	ea_keytab_init(&t, 1, ea_malloc_memory);
	for (int i = 0; i < 5000; i++)
	{
		int			len = snprintf(key, sizeof(key), "k%d", i);

		ea_keytab_lookup(&t, key, (uint32_t) len, 100000, &idx);
		ea_keytab_counts(&t, idx)[0] = i;
	}
	for (int i = 0; i < 5000; i += 2)
	{
		int			len = snprintf(key, sizeof(key), "k%d", i);

		ea_keytab_remove(&t, ea_keytab_find(&t, key, (uint32_t) len));
	}
	ok = t.nkeys == 2500;
	for (int i = 0; i < 5000; i++)
	{
		int			len = snprintf(key, sizeof(key), "k%d", i);

		idx = ea_keytab_find(&t, key, (uint32_t) len);
		if ((i % 2 == 0) != (idx < 0) || (idx >= 0 && ea_keytab_counts(&t, idx)[0] != i))
			ok = 0;
	}
	unit_ok(ok, "half of 5000 keys removed: the rest found, the removed absent");
	ea_keytab_free(&t);
}

static void
test_overflows(void)
{
	EaSum		s = {0.0, 0.0};
	EaAverage	a;
	unsigned char buf[EA_AVERAGE_SERIALIZED_SIZE];
	double		edges[EA_STURGES_MAX_EDGES];

	/* numpy 1.24: np.mean([1e308, 1e308]) = inf; scikit-learn's mae the same */
	ea_sum_add(&s, 1e308);
	ea_sum_add(&s, 1e308);
	unit_ok(ea_sum_value(s) == INFINITY, "an overflowing compensated sum is +inf, not NaN");
	ea_sum_add(&s, 1.0);
	unit_ok(ea_sum_value(s) == INFINITY, "and stays +inf");
	memset(&a, 0, sizeof(a));
	ea_average_add(&a, INFINITY);
	ea_average_add(&a, 2.0);
	ea_average_serialize(&a, buf);
	unit_ok(ea_average_deserialize(&a, buf, sizeof(buf)) == EA_OK && ea_sum_value(a.sum) == INFINITY,
			"an infinite loss sum crosses the serialized form");

	/* numpy 1.24 histogram_bin_edges([-1e308, 1e308], bins='sturges') raises */
	unit_ok(ea_sturges_edges(-1e308, 1e308, 60, edges) == 0, "sturges edges over an overflowing range: none");
	unit_ok(ea_sturges_edges(-1e307, 1e307, 60, edges) == 8 && edges[7] == 1e307,
			"a wide finite range: numpy's 7 bins");
}

static void
test_infinite_edges(void)
{
	EaBaseline	b;
	double		ok_edges[3] = {-INFINITY, 0.0, INFINITY};
	double		bad_edges[2] = {NAN, 1.0};

	unit_ok(ea_baseline_init_numeric(&b, ok_edges, 3, ea_malloc_memory) == EA_OK, "infinite outer edges accepted");
	ea_baseline_add_double(&b, -INFINITY, 1);
	ea_baseline_add_double(&b, INFINITY, 1);
	unit_ok(b.counts[0] == 1 && b.counts[2] == 1, "infinities in the outer bins");
	ea_baseline_free(&b);
	unit_ok(ea_baseline_init_numeric(&b, bad_edges, 2, ea_malloc_memory) == EA_EPARAM, "a NaN edge refused");
}

static void
put_be(unsigned char **p, uint64_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--)
		*(*p)++ = (unsigned char) (v >> (8 * i));
}

static uint64_t
bits(double x)
{
	uint64_t	u;

	memcpy(&u, &x, 8);
	return u;
}

/* a stored baseline of the first format (Welford mean and m2) still reads */
static void
test_baseline_version1(void)
{
	unsigned char buf[128],
			   *p = buf;
	EaBaseline	b,
				again;
	double		mean,
				m2,
				var;
	size_t		size;
	unsigned char *out;

	/* values 1 and 3: mean 2, m2 2; one edge at 2, counts 1 and 1 */
	put_be(&p, 1, 1);			/* version 1 */
	put_be(&p, 7, 1);			/* baseline */
	put_be(&p, 1, 1);			/* numeric */
	put_be(&p, 0, 1);			/* no reference */
	put_be(&p, 2, 8);
	put_be(&p, 0, 8);
	put_be(&p, 0, 8);
	put_be(&p, 1, 4);			/* nedges */
	put_be(&p, bits(1.0), 8);
	put_be(&p, bits(3.0), 8);
	put_be(&p, bits(2.0), 8);
	put_be(&p, bits(2.0), 8);
	put_be(&p, bits(2.0), 8);	/* the edge */
	put_be(&p, 1, 8);
	put_be(&p, 1, 8);
	unit_ok(ea_baseline_deserialize(&b, buf, (size_t) (p - buf), 100, ea_malloc_memory) == EA_OK, "version-1 baseline read");
	ea_baseline_stats(&b, &mean, &m2, &var);
	unit_ok(mean == 2.0 && m2 == 2.0 && var == 2.0, "its mean, m2 and variance kept");
	/* written back in the current format, and read again */
	size = ea_baseline_serialized_size(&b);
	out = malloc(size);
	ea_baseline_serialize(&b, out);
	unit_ok(out[0] == 2 && ea_baseline_deserialize(&again, out, size, 100, ea_malloc_memory) == EA_OK,
			"rewritten as version 2 and read back");
	ea_baseline_add_double(&again, 5.0, 1);
	ea_baseline_stats(&again, &mean, &m2, &var);
	unit_ok(mean == 3.0 && var == 4.0, "and values added to it: numpy mean([1, 3, 5]) = 3, var 4");
	ea_baseline_free(&b);
	ea_baseline_free(&again);
	free(out);
}

int
main(void)
{
	test_baseline_version1();
	test_exact_moments();
	test_keytab_remove();
	test_overflows();
	test_infinite_edges();
	return unit_done();
}
