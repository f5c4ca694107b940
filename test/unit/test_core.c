/*
 * test_core.c - unit tests of the numeric core: sorting, quantiles, bins,
 * divergences, exact sums, key tables, and the validation of serialized
 * states (every truncation and many byte flips of valid states).
 */
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "average.h"
#include "expected.h"
#include "baseline.h"
#include "binning.h"
#include "calibration.h"
#include "categorical.h"
#include "confusion.h"
#include "divergence.h"
#include "fixed.h"
#include "keytab.h"
#include "sample.h"
#include "special.h"
#include "twosample.h"
#include "unit.h"

static uint64_t rng_state = 88172645463325252ULL;

static uint64_t
rng(void)
{
	/* xorshift64: deterministic test data */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static double
rng_unit(void)
{
	return (double) (rng() >> 11) / 9007199254740992.0;
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

static void
test_keys_and_sort(void)
{
	double		special[] = {-INFINITY, -1e308, -1.5, -0.0, 0.0, 5e-324, 1.0, 2.0, INFINITY};
	int			ordered = 1;
	EaSample	s;
	double	   *copy;
	int			n = 100000;
	int			same = 1;

	for (int i = 0; i + 1 < 9; i++)
		if (ea_key_from_double(special[i]) > ea_key_from_double(special[i + 1]))
			ordered = 0;
	unit_ok(ordered, "keys order like doubles");
	unit_ok(ea_key_from_double(-0.0) == ea_key_from_double(0.0), "-0 and +0 share a key");
	unit_ok(ea_key_to_double(ea_key_from_double(-1.5)) == -1.5, "keys round-trip");

	ea_sample_init(&s, ea_malloc_memory);
	copy = malloc(sizeof(double) * n);
	for (int i = 0; i < n; i++)
	{
		/* mixed signs, magnitudes and many ties */
		double		x = (rng() % 4 == 0) ? (double) (rng() % 100) : (rng_unit() - 0.3) * 1e6;

		copy[i] = x;
		ea_sample_push(&s, x);
	}
	/* sort half, append more, sort again: exercises the prefix merge */
	s.n = n / 2;
	unit_ok(ea_sample_sort(&s) == EA_OK, "sort first half");
	s.n = n;
	unit_ok(ea_sample_sort(&s) == EA_OK, "sort with merge");
	qsort(copy, n, sizeof(double), cmp_double);
	for (int i = 0; i < n; i++)
		if (ea_key_to_double(s.keys[i]) != copy[i])
			same = 0;
	unit_ok(same, "radix sort + merge equals qsort on 100000 values");
	unit_ok(ea_sample_rank(&s, copy[n / 3], 0) > n / 3 - 1, "rank counts ties");
	ea_sample_free(&s);
	free(copy);
}

static void
test_quantiles(void)
{
	EaSample	s;
	double		edges[9];
	int			m;

	ea_sample_init(&s, ea_malloc_memory);
	for (int i = 1; i <= 10; i++)
		ea_sample_push(&s, (double) i);
	ea_sample_sort(&s);
	/* numpy.quantile(range(1, 11), 0.25, method='linear') = 3.25 */
	unit_near(ea_sample_quantile(&s, 0.25), 3.25, 0, "linear quantile");
	unit_near(ea_sample_quantile(&s, 0.0), 1.0, 0, "quantile 0 is the minimum");
	unit_near(ea_sample_quantile(&s, 1.0), 10.0, 0, "quantile 1 is the maximum");
	m = ea_quantile_edges(&s, 10, edges);
	unit_ok(m == 9 && edges[0] == 1.9 && edges[8] == 9.1, "decile edges of 1..10");
	ea_sample_free(&s);

	for (int i = 0; i < 10; i++)
		ea_sample_push(&s, i < 8 ? 1.0 : 2.0);
	ea_sample_sort(&s);
	m = ea_quantile_edges(&s, 10, edges);
	unit_ok(m == 3 && edges[0] == 1.0 && edges[2] == 2.0, "duplicate edges removed");
	ea_sample_free(&s);

	ea_sample_push(&s, -INFINITY);
	ea_sample_push(&s, 5.0);
	ea_sample_sort(&s);
	unit_ok(ea_sample_quantile(&s, 0.5) == 5.0, "no interpolation towards infinity");
	ea_sample_free(&s);
}

/*
 * The order statistics ea_quantile_ranks asks for give, through
 * ea_quantile_edges_at, the edges of ea_quantile_edges to the bit.
 */
static void
test_quantiles_from_ranks(void)
{
	static const int bins_tried[] = {2, 3, 7, 10, 100, 1000};
	int			same = 1,
				complete = 1;
	uint64_t	seed = 42;

	for (int size = 1; size <= 2000; size = size * 3 + 1)
		for (size_t b = 0; b < sizeof(bins_tried) / sizeof(bins_tried[0]); b++)
		{
			int			bins = bins_tried[b];
			EaSample	s;
			int64_t    *ranks = malloc(sizeof(int64_t) * 2 * (size_t) bins);
			double	   *values = malloc(sizeof(double) * 2 * (size_t) bins);
			double	   *want = malloc(sizeof(double) * (size_t) bins);
			double	   *got = malloc(sizeof(double) * (size_t) bins);
			int			m,
						k,
						nr;

			ea_sample_init(&s, ea_malloc_memory);
			for (int i = 0; i < size; i++)
			{
				seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
				/* ties, infinities and spread values */
				ea_sample_push(&s, (seed >> 60) == 0 ? -INFINITY
							   : (seed >> 60) == 1 ? 3.0
							   : (double) (seed >> 11) / 9007199254740992.0 * 1e6);
			}
			ea_sample_sort(&s);
			m = ea_quantile_edges(&s, bins, want);
			nr = ea_quantile_ranks(s.n, bins, ranks);
			for (int i = 0; i < nr; i++)
			{
				complete &= ranks[i] >= 0 && ranks[i] < s.n && (i == 0 || ranks[i] > ranks[i - 1]);
				values[i] = ea_key_to_double(s.keys[ranks[i]]);
			}
			k = ea_quantile_edges_at(s.n, bins, ranks, values, nr, got);
			same &= k == m && memcmp(got, want, sizeof(double) * (size_t) m) == 0;
			/* one order statistic short: refused */
			if (nr > 1)
				complete &= ea_quantile_edges_at(s.n, bins, ranks + 1, values + 1, nr - 1, got) == -1;
			ea_sample_free(&s);
			free(ranks);
			free(values);
			free(want);
			free(got);
		}
	unit_ok(same, "quantile edges from the ranked order statistics equal those of the sorted sample");
	unit_ok(complete, "quantile ranks ascend inside 0..n-1, and a missing one is refused");
}

/* each pass of the order-statistic search: edges inside [lo, hi), lo first */
static void
test_selection_grid(void)
{
	double		edges[1000];
	static const double brackets[][2] = {
		{0.0, 1.0}, {-1.0, 1.0}, {1e-300, 1e300}, {-DBL_MAX, DBL_MAX}, {-5e-324, 5e-324},
		{1.0, 1.0 + 4 * DBL_EPSILON}, {-0.0, 1e-320}, {0.25, 0.2500000000001}};
	int			ok = 1;

	for (size_t b = 0; b < sizeof(brackets) / sizeof(brackets[0]); b++)
	{
		double		lo = brackets[b][0],
					hi = brackets[b][1];
		int			m = ea_selection_grid(lo, hi, 1000, edges);

		ok &= m >= 2 && m <= 1000 && edges[0] == lo;
		for (int i = 0; i < m; i++)
			ok &= isfinite(edges[i]) && edges[i] < hi && !signbit(edges[i] == 0.0 ? edges[i] : 1.0) &&
				(i == 0 || edges[i - 1] < edges[i]);
	}
	unit_ok(ok, "selection grids ascend inside [lo, hi) from lo, finite, without -0");
	unit_ok(ea_selection_grid(1.0, 1.0 + 4 * DBL_EPSILON, 1000, edges) == 4 &&
			edges[3] == 1.0 + 3 * DBL_EPSILON,
			"a bracket of four doubles: each its own bin");
	unit_ok(ea_selection_grid(2.0, 2.0, 1000, edges) == 0, "a resolved bracket has no grid");
	/* a wide bracket narrows by about 500 at each pass in the order of the doubles */
	unit_ok(ea_selection_grid(1e-300, 1e300, 1000, edges) > 990 && edges[500] > 1e-10,
			"a bracket over 600 orders of magnitude is split through all of them");
}

static void
test_bins(void)
{
	double		edges[EA_STURGES_MAX_EDGES];
	double		e3[] = {1.0, 2.0, 3.0};
	int			n;

	unit_ok(ea_bin_right_closed(e3, 3, 1.0) == 0, "right-closed: edge value in lower bin");
	unit_ok(ea_bin_right_closed(e3, 3, 1.5) == 1, "right-closed: inner value");
	unit_ok(ea_bin_right_closed(e3, 3, INFINITY) == 3, "right-closed: +inf in last bin");
	n = ea_sturges_edges(0.0, 149.0, 200, edges);
	/* numpy.histogram_bin_edges(range(0..99) + range(50..149), 'sturges'): 9 bins */
	unit_ok(n == 10 && edges[0] == 0.0 && edges[9] == 149.0, "sturges edges over 200 values");
	unit_ok(ea_bin_left_closed(edges, n, 149.0) == 8, "left-closed: last edge in last bin");
	unit_ok(ea_bin_left_closed(edges, n, edges[1]) == 1, "left-closed: edge value in upper bin");
	unit_ok(ea_bin_left_closed(edges, n, -INFINITY) == 0, "left-closed: -inf in first bin");
	n = ea_sturges_edges(4.0, 4.0, 10, edges);
	unit_ok(n == 2 && edges[0] == 3.5 && edges[1] == 4.5, "sturges: constant data, one bin");
	unit_ok(ea_probability_bin(10, 0.1) == 0 && ea_probability_bin(10, 0.1000001) == 1,
			"ece: edge value in lower bin");
	unit_ok(ea_probability_bin(10, 0.0) == 0 && ea_probability_bin(10, 1.0) == 9,
			"ece: 0 and 1 in outer bins");
	unit_ok(ea_probability_bin(10, 0.30000000000000004) == 2 && ea_probability_bin(10, 0.3) == 2,
			"ece: 3 * 0.1 is an edge, 0.3 is below it");
	unit_ok(ea_probability_bin(3, 1.0 / 3.0) == 0, "ece: 1/3 on the first of three edges");
}

static void
test_divergences(void)
{
	int64_t		r[] = {0, 2, 1},
				c[] = {1, 1, 1};
	int64_t		a[] = {1, 0, 0},
				b[] = {0, 1, 0};

	/* METRICS.md: Evidently categorical PSI of [3,2,2] vs [1,2,3] */
	unit_near(ea_psi(r, 3, c, 3, 3, EA_ZERO_EVIDENTLY), 2.9341472484810085, 1e-12,
			  "psi, evidently zero rule");
	unit_near(ea_jsd(a, 1, b, 1, 3), 1.0, 1e-15, "jsd of disjoint distributions is 1");
	unit_near(ea_jsd(c, 3, c, 3, 3), 0.0, 0, "jsd of equal distributions is 0");
	unit_near(ea_psi(c, 3, c, 3, 3, EA_ZERO_EPSILON), 0.0, 0, "psi of equal distributions is 0");
}

static void
test_fixed(void)
{
	EaU128		sum = {0, 0};

	for (int i = 0; i < 1000; i++)
		ea_u128_add64(&sum, ea_fixed_from_prob(1.0));
	unit_near(ea_u128_to_prob(sum), 1000.0, 0, "1000 x 1.0 summed exactly past 64 bits");
	ea_u128_sub64(&sum, ea_fixed_from_prob(1.0));
	unit_near(ea_u128_to_prob(sum), 999.0, 0, "subtraction undoes addition");
	unit_near(ea_u128_to_prob((EaU128) {0, ea_fixed_from_prob(0.1)}), 0.1, 1.2e-19,
			  "truncation error below 2^-63");
	{
		/* the scaling is exact: the same integer as floor(ldexp(p, 63)) */
		const double probs[] = {0.0, 4.9e-324, 2.2250738585072014e-308, 1e-300, 0.1, 0.5,
		0.7, 0.9999999999999999, 1.0};
		int			same = 1;

		for (size_t i = 0; i < sizeof(probs) / sizeof(probs[0]); i++)
			if (ea_fixed_from_prob(probs[i]) != (uint64_t) ldexp(probs[i], 63))
				same = 0;
		for (int i = 0; i <= 100000; i++)
		{
			double		p = (double) i / 100000.0;

			if (ea_fixed_from_prob(p) != (uint64_t) ldexp(p, 63))
				same = 0;
		}
		unit_ok(same, "fixed point of p equals floor(p * 2^63) exactly, subnormals and 1 included");
	}
}

static void
test_keytab(void)
{
	EaKeytab	t,
				u;
	int32_t		idx = -1;
	char		key[32];
	int			ok = 1;
	int32_t    *order;

	ea_keytab_init(&t, 2, ea_malloc_memory);
	for (int i = 0; i < 5000; i++)
	{
		snprintf(key, sizeof(key), "k%d", i % 1000);
		if (ea_keytab_lookup(&t, key, (uint32_t) strlen(key), 100000, &idx) != EA_OK)
			ok = 0;
		ea_keytab_counts(&t, idx)[i % 2]++;
	}
	unit_ok(ok && t.nkeys == 1000, "1000 distinct keys through growth and rehash");
	{
		/* keys of every length from 0 to 40 bytes, alike but for one byte */
		EaKeytab	v;
		char		kbuf[48];
		int			distinct = 1,
					found = 1;

		ea_keytab_init(&v, 1, ea_malloc_memory);
		for (int len = 0; len <= 40; len++)
			for (int pos = 0; pos < (len ? len : 1); pos++)
			{
				memset(kbuf, 'x', sizeof(kbuf));
				if (len)
					kbuf[pos] = 'y';
				if (ea_keytab_lookup(&v, kbuf, (uint32_t) len, 100000, &idx) != EA_OK)
					distinct = 0;
				ea_keytab_counts(&v, idx)[0]++;
			}
		/* 1 key of length 0, then len keys of each length len */
		unit_ok(distinct && v.nkeys == 1 + 40 * 41 / 2, "keys differing in any one byte are distinct");
		for (int len = 1; len <= 40 && found; len++)
			for (int pos = 0; pos < len; pos++)
			{
				memset(kbuf, 'x', sizeof(kbuf));
				kbuf[pos] = 'y';
				if (ea_keytab_find(&v, kbuf, (uint32_t) len) < 0)
					found = 0;
			}
		memset(kbuf, 'x', sizeof(kbuf));
		unit_ok(found && ea_keytab_find(&v, kbuf, 12) < 0 && ea_keytab_find(&v, kbuf, 0) >= 0,
				"every key found again, an absent one not");
		ea_keytab_free(&v);
	}
	{
		/*
		 * Small tables (group columns) are spread until no two keys share a
		 * slot: every key sits where its hash points, unless two hashes agree
		 * in all the bits the largest allowed table uses.
		 */
		const char *groups[] = {"group_a", "group_b", "group_c", "group_d", "group_e"};
		int			home = 1,
					sets = 0,
					spread = 0,
					found = 1;

		for (int set = 0; set < 2000; set++)
		{
			EaKeytab	v;
			int			n = set == 0 ? 5 : 1 + set % 16;
			uint32_t	low[16];
			int			separable = 1;

			ea_keytab_init(&v, 4, ea_malloc_memory);
			for (int k = 0; k < n; k++)
			{
				char		kbuf[32];

				if (set == 0 && k < 5)
					snprintf(kbuf, sizeof(kbuf), "%s", groups[k]);
				else
					snprintf(kbuf, sizeof(kbuf), "%c%d", 'a' + set % 26, set * 16 + k);
				if (ea_keytab_lookup(&v, kbuf, (uint32_t) strlen(kbuf), 100, &idx) != EA_OK ||
					ea_keytab_find(&v, kbuf, (uint32_t) strlen(kbuf)) != idx)
					found = 0;
			}
			for (int k = 0; k < v.nkeys; k++)
			{
				low[k] = v.hashes[k] & 1023;
				for (int j = 0; j < k; j++)
					if (low[j] == low[k])
						separable = 0;
			}
			if (separable)
			{
				sets++;
				for (int k = 0; k < v.nkeys; k++)
					if (v.slots[v.hashes[k] & (v.nslots - 1)] != (uint32_t) k + 1)
						home = 0;
				spread += v.nslots > 16;
			}
			if (set == 0 && v.slots[v.hashes[0] & (v.nslots - 1)] != 1)
				home = 0;
			ea_keytab_free(&v);
		}
		unit_ok(found, "keys of small tables found after spreading");
		unit_ok(home && sets > 1800 && spread > 0,
				"small tables: every key in its own home slot (spread to more slots when needed)");
	}
	{
		/*
		 * The hash spreads key families that differ in few bytes: the average
		 * probe length over the table stays that of random hashing (about 1.3
		 * at the table's load), not that of clustered keys.
		 */
		const char *formats[] = {"%d", "%07d", "g%03d", "user_%08d", "2024-01-%05d"};
		int			good = 1;

		for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++)
		{
			EaKeytab	v;
			int			n = f == 2 ? 1000 : 100000;
			double		probes = 0;

			ea_keytab_init(&v, 1, ea_malloc_memory);
			for (int k = 0; k < n; k++)
			{
				char		kbuf[32];

				snprintf(kbuf, sizeof(kbuf), formats[f], k);
				if (ea_keytab_lookup(&v, kbuf, (uint32_t) strlen(kbuf), INT32_MAX, &idx) != EA_OK)
					good = 0;
			}
			for (uint32_t s = 0; s < v.nslots; s++)
				if (v.slots[s] != 0)
				{
					uint32_t	home = v.hashes[v.slots[s] - 1] & (v.nslots - 1);

					probes += 1 + ((s - home) & (v.nslots - 1));
				}
			if (probes / n > 1.6)
			{
				printf("# %s: average probe %.2f\n", formats[f], probes / n);
				good = 0;
			}
			ea_keytab_free(&v);
		}
		unit_ok(good, "key families that differ in few bytes hash apart (average probe under 1.6)");
	}
	ea_keytab_lookup(&t, "k7", 2, 100000, &idx);
	unit_ok(ea_keytab_counts(&t, idx)[0] + ea_keytab_counts(&t, idx)[1] == 5, "counts per key");
	unit_ok(ea_keytab_lookup(&t, "new", 3, 1000, &idx) == EA_ELIMIT, "key limit enforced");
	ea_keytab_init(&u, 2, ea_malloc_memory);
	ea_keytab_lookup(&u, "k7", 2, 100000, &idx);
	ea_keytab_counts(&u, idx)[0] = 10;
	ea_keytab_merge(&u, &t, 100000);
	ea_keytab_lookup(&u, "k7", 2, 100000, &idx);
	unit_ok(u.nkeys == 1000 && ea_keytab_counts(&u, idx)[0] == 10 &&
			ea_keytab_counts(&u, idx)[1] == 5, "merge adds per key");
	order = ea_keytab_sorted(&u, ea_malloc_memory);
	ok = 1;
	for (int i = 0; i + 1 < u.nkeys; i++)
	{
		uint32_t	la,
					lb;
		const char *ka = ea_keytab_key(&u, order[i], &la);
		const char *kb = ea_keytab_key(&u, order[i + 1], &lb);
		int			c = memcmp(ka, kb, la < lb ? la : lb);

		if (c > 0 || (c == 0 && la >= lb))
			ok = 0;
	}
	unit_ok(ok, "keys sorted bytewise");
	ea_free(ea_malloc_memory, order);
	ea_keytab_free(&t);
	ea_keytab_free(&u);
}

/*
 * Every proper prefix of a valid state must be refused, and no mutation may
 * crash the decoder (a mutated state may still be valid).
 */
typedef EaStatus (*Decoder) (const unsigned char *buf, size_t len);

static EaStatus
decode_twosample(const unsigned char *buf, size_t len)
{
	EaTwoSample s;
	EaStatus	st = ea_twosample_deserialize(&s, buf, len, 1000000, ea_malloc_memory);

	if (st == EA_OK)
		ea_twosample_free(&s);
	return st;
}

static EaStatus
decode_categorical(const unsigned char *buf, size_t len)
{
	EaCategorical c;
	EaStatus	st = ea_categorical_deserialize(&c, buf, len, 1000, ea_malloc_memory);

	if (st == EA_OK)
		ea_categorical_free(&c);
	return st;
}

static EaStatus
decode_calibration(const unsigned char *buf, size_t len)
{
	int			nbins;
	EaCalibration *c;
	EaStatus	st;

	if (ea_calibration_peek_bins(buf, len, &nbins) != EA_OK)
		return EA_ECORRUPT;
	c = malloc(ea_calibration_size(nbins));
	st = ea_calibration_deserialize(c, buf, len);
	free(c);
	return st;
}

static EaStatus
decode_confusion(const unsigned char *buf, size_t len)
{
	EaConfusion c;
	EaStatus	st = ea_confusion_deserialize(&c, buf, len, 1000, ea_malloc_memory);

	if (st == EA_OK)
		ea_confusion_free(&c);
	return st;
}

static void
check_decoder(const char *name, Decoder decode, const unsigned char *buf, size_t len)
{
	unsigned char *copy = malloc(len + 1);
	int			prefixes_refused = 1;
	int			refused = 0;
	char		label[128];

	snprintf(label, sizeof(label), "%s: valid state accepted", name);
	unit_ok(decode(buf, len) == EA_OK, label);
	for (size_t l = 0; l < len; l++)
		if (decode(buf, l) == EA_OK)
			prefixes_refused = 0;
	snprintf(label, sizeof(label), "%s: every truncation refused", name);
	unit_ok(prefixes_refused, label);
	memcpy(copy, buf, len);
	copy[len] = 0;
	snprintf(label, sizeof(label), "%s: trailing byte refused", name);
	unit_ok(decode(copy, len + 1) != EA_OK, label);
	for (int trial = 0; trial < 20000; trial++)
	{
		memcpy(copy, buf, len);
		for (int k = 0; k < 1 + (int) (rng() % 3); k++)
			copy[rng() % len] ^= (unsigned char) (1 + rng() % 255);
		if (decode(copy, len) != EA_OK)
			refused++;
	}
	/* reaching here means no mutation crashed the decoder */
	snprintf(label, sizeof(label), "%s: 20000 mutated states decoded safely (%d refused)",
			 name, refused);
	unit_ok(refused > 0, label);
	free(copy);
}

static void
test_states(void)
{
	EaTwoSample ts,
				ts2;
	EaCategorical cat;
	EaConfusion conf;
	EaCalibration *cal = malloc(ea_calibration_size(10));
	EaCalibration *cal2 = malloc(ea_calibration_size(10));
	unsigned char *buf;
	size_t		len;
	double		d1,
				d2;
	int			def;

	ea_twosample_init(&ts, EA_BINNING_QUANTILE, 10, ea_malloc_memory);
	for (int i = 0; i < 50; i++)
		ea_twosample_add(&ts, (double) (i % 7), i % 3 == 0);
	ea_twosample_add(&ts, NAN, 1);
	len = ea_twosample_serialized_size(&ts);
	buf = malloc(len);
	ea_twosample_serialize(&ts, buf);
	check_decoder("twosample", decode_twosample, buf, len);
	ea_twosample_deserialize(&ts2, buf, len, 1000000, ea_malloc_memory);
	ea_twosample_ks(&ts, &d1, &def);
	ea_twosample_ks(&ts2, &d2, &def);
	unit_ok(d1 == d2 && ts2.nan_ref == 1, "twosample round trip keeps the values");
	ea_twosample_free(&ts2);
	ea_twosample_init(&ts2, EA_BINNING_QUANTILE, 20, ea_malloc_memory);
	unit_ok(ea_twosample_combine(&ts2, &ts) == EA_EPARAM, "combine refuses other bins");
	ea_twosample_free(&ts2);
	ea_twosample_free(&ts);
	free(buf);

	ea_categorical_init(&cat, EA_BINNING_EVIDENTLY, ea_malloc_memory);
	ea_categorical_add(&cat, "a", 1, 1, 100);
	ea_categorical_add(&cat, "bb", 2, 0, 100);
	ea_categorical_add(&cat, "", 0, 0, 100);
	len = ea_categorical_serialized_size(&cat);
	buf = malloc(len);
	ea_categorical_serialize(&cat, buf);
	check_decoder("categorical", decode_categorical, buf, len);
	ea_categorical_free(&cat);
	free(buf);

	ea_calibration_init(cal, 10);
	for (int i = 0; i <= 100; i++)
		ea_calibration_add(cal, i % 2, i / 100.0);
	len = ea_calibration_serialized_size(cal);
	buf = malloc(len);
	ea_calibration_serialize(cal, buf);
	check_decoder("calibration", decode_calibration, buf, len);
	ea_calibration_deserialize(cal2, buf, len);
	unit_ok(ea_ece(cal2, &def) == ea_ece(cal, &def), "calibration round trip keeps ECE");
	free(buf);
	free(cal);
	free(cal2);

	ea_confusion_init(&conf, 2, ea_malloc_memory);
	ea_confusion_add(&conf, "g1", 2, 1, 1, 1, 100);
	ea_confusion_add(&conf, "g2", 2, 1, 0, 1, 100);
	ea_confusion_add(&conf, "g2", 2, 0, 1, 1, 100);
	len = ea_confusion_serialized_size(&conf);
	buf = malloc(len);
	ea_confusion_serialize(&conf, buf);
	check_decoder("confusion", decode_confusion, buf, len);
	ea_confusion_free(&conf);
	free(buf);
}

static void
test_calibration_and_gap(void)
{
	double		p[] = {0.1, 0.2, 0.3, 0.4, 0.65, 0.7, 0.8, 0.9, 1.0};
	int			y[] = {0, 0, 0, 0, 1, 1, 1, 1, 1};
	EaCalibration *c = malloc(ea_calibration_size(3));
	EaConfusion g;
	int			def;
	int			yt[] = {0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1};
	int			yp[] = {1, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1};

	ea_calibration_init(c, 3);
	for (int i = 0; i < 9; i++)
		ea_calibration_add(c, y[i], p[i]);
	/* METRICS.md: sklearn calibration_curve docstring data, B = 3 */
	unit_near(ea_ece(c, &def), 1.25 / 9.0, 1e-15, "ece B=3");
	free(c);

	ea_confusion_init(&g, 1, ea_malloc_memory);
	for (int i = 0; i < 18; i++)
		ea_confusion_add(&g, i % 2 ? "1" : "0", 1, yt[i], yp[i], 1, 10);
	/* METRICS.md: Fairlearn's data, TPR 1.0 vs 0.6 */
	unit_near(ea_confusion_tpr_gap(&g, &def), 0.4, 1e-15, "tpr gap");
	g.min_count = 5;
	ea_confusion_tpr_gap(&g, &def);
	unit_ok(!def, "tpr gap undefined with one qualifying group");
	ea_confusion_free(&g);
}

/* every rate's numerator and denominator, from the counts TP 5, FN 3, FP 2, TN 7 */
static void
test_rate_parts(void)
{
	const int64_t k[EA_CONFUSION_WIDTH] = {[EA_TP] = 5,[EA_FN] = 3,[EA_FP] = 2,[EA_TN] = 7};
	const struct
	{
		EaRate		rate;
		int64_t		num,
					den;
		const char *name;
	}			want[] = {
		{EA_RATE_TPR, 5, 8, "tpr = TP/(TP+FN)"},
		{EA_RATE_FPR, 2, 9, "fpr = FP/(FP+TN)"},
		{EA_RATE_FNR, 3, 8, "fnr = FN/(FN+TP)"},
		{EA_RATE_SELECTION, 7, 17, "selection rate = (TP+FP)/n"},
		{EA_RATE_PRECISION, 5, 7, "precision = TP/(TP+FP)"},
		{EA_RATE_ACCURACY, 12, 17, "accuracy = (TP+TN)/n"},
		{EA_RATE_F1, 10, 15, "f1 = 2TP/(2TP+FP+FN)"},
	};
	int64_t		num = -1,
				den = -1;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
	{
		ea_rate_parts(k, want[i].rate, &num, &den);
		unit_ok(num == want[i].num && den == want[i].den, want[i].name);
	}
	/* a value outside the enum is a rate defined for no group, not garbage */
	ea_rate_parts(k, (EaRate) 99, &num, &den);
	unit_ok(num == 0 && den == 0, "an unknown rate has denominator 0");
}

static void
test_special_and_divergences(void)
{
	int64_t		r[] = {2, 2, 0},
				c[] = {1, 1, 2};

	/* scipy.stats.chi2.sf */
	unit_rel(ea_chi2_sf(4.067909673578672, 5), 0.5396806697935246, 1e-13, "chi2 sf, 5 dof");
	unit_rel(ea_chi2_sf(0.5281532729867202, 1), 0.4673842982328795, 1e-13, "chi2 sf, 1 dof");
	unit_rel(ea_chi2_sf(100, 3), 1.5541594313896026e-21, 1e-12, "chi2 sf, far tail");
	unit_rel(ea_chi2_sf(1000, 2), 7.124576406741474e-218, 1e-12, "chi2 sf, extreme tail");
	unit_rel(ea_chi2_sf(50, 50), 0.47339846855634937, 1e-13, "chi2 sf, 50 dof");
	unit_rel(ea_chi2_sf(300, 200), 5.924540335483916e-06, 1e-12, "chi2 sf, 200 dof");
	unit_rel(ea_chi2_sf(1e-8, 2), 0.999999995, 1e-15, "chi2 sf near 0");
	unit_near(ea_chi2_sf(0, 3), 1.0, 0, "chi2 sf at 0");
	/* Evidently's hellinger_distance and scipy.stats.entropy on [.5,.5,0] vs [.25,.25,.5] */
	unit_near(ea_hellinger(r, 4, c, 4, 3), 0.541196100146197, 1e-15, "hellinger");
	unit_near(ea_kl(r, 4, c, 4, 3, EA_ZERO_EPSILON), 0.6921262436166087, 1e-14,
			  "kl with epsilon, renormalised");
}

static void
test_auc_and_wasserstein(void)
{
	EaTwoSample s;
	double		v;
	int			def;
	double		pos[] = {0.35, 0.8},
				neg[] = {0.1, 0.4};

	ea_twosample_init(&s, EA_BINNING_QUANTILE, 10, ea_malloc_memory);
	for (int i = 0; i < 2; i++)
	{
		ea_twosample_add(&s, pos[i], 1);
		ea_twosample_add(&s, neg[i], 0);
	}
	ea_twosample_auc(&s, &v, &def);
	unit_near(v, 0.75, 0, "roc auc of sklearn's example");
	ea_twosample_free(&s);

	ea_twosample_init(&s, EA_BINNING_QUANTILE, 10, ea_malloc_memory);
	for (int i = 0; i < 3; i++)
	{
		ea_twosample_add(&s, (double[]) {0, 1, 3}[i], 1);
		ea_twosample_add(&s, (double[]) {5, 6, 8}[i], 0);
	}
	ea_twosample_wasserstein(&s, &v, &def);
	unit_near(v, 5.0, 1e-15, "wasserstein of scipy's example");
	ea_twosample_wasserstein_normed(&s, &v, &def);
	unit_near(v, 5.0 / sqrt(14.0 / 9.0), 1e-15, "normed wasserstein: over the reference's std (ddof 0)");
	ea_twosample_add(&s, INFINITY, 0);
	ea_twosample_wasserstein(&s, &v, &def);
	unit_ok(isinf(v), "wasserstein with mass at infinity is infinite");
	ea_twosample_free(&s);

	/* a constant reference: deviation 0, floored at 0.001; an infinite one: NaN */
	ea_twosample_init(&s, EA_BINNING_QUANTILE, 10, ea_malloc_memory);
	for (int i = 0; i < 3; i++)
		ea_twosample_add(&s, 2.0, 1);
	ea_twosample_add(&s, 3.0, 0);
	ea_twosample_wasserstein_normed(&s, &v, &def);
	unit_near(v, 1.0 / 0.001, 1e-9, "normed wasserstein of a constant reference uses 0.001");
	ea_twosample_add(&s, INFINITY, 1);
	ea_twosample_wasserstein_normed(&s, &v, &def);
	unit_ok(isnan(v), "normed wasserstein of a reference with an infinity is NaN");
	ea_twosample_free(&s);
}

static EaStatus
decode_average(const unsigned char *buf, size_t len)
{
	EaAverage	a;

	return ea_average_deserialize(&a, buf, len);
}

static EaStatus
decode_group_calibration(const unsigned char *buf, size_t len)
{
	EaGroupCalibration g;
	EaStatus	st = ea_group_calibration_deserialize(&g, buf, len, 1000, ea_malloc_memory);

	if (st == EA_OK)
		ea_group_calibration_free(&g);
	return st;
}

static void
test_more_states(void)
{
	EaAverage	a = {0};
	EaGroupCalibration g,
				g2;
	unsigned char abuf[EA_AVERAGE_SERIALIZED_SIZE];
	unsigned char *buf;
	size_t		len;

	ea_average_add(&a, ea_log_loss_term(1, 0.25));
	ea_average_add(&a, ea_brier_term(0, 0.5));
	ea_average_serialize(&a, abuf);
	check_decoder("average", decode_average, abuf, sizeof(abuf));

	ea_group_calibration_init(&g, 4, ea_malloc_memory);
	for (int i = 0; i < 200; i++)
		ea_group_calibration_add(&g, i % 3 ? "x" : "yy", i % 3 ? 1 : 2, i % 2, (i % 11) / 10.0, 100);
	len = ea_group_calibration_serialized_size(&g);
	buf = malloc(len);
	ea_group_calibration_serialize(&g, buf);
	check_decoder("group calibration", decode_group_calibration, buf, len);
	ea_group_calibration_init(&g2, 4, ea_malloc_memory);
	ea_group_calibration_combine(&g2, &g, 100);
	ea_group_calibration_combine(&g2, &g, 100);
	unit_ok(g2.groups.nkeys == 2 && g2.blocks[0]->n == 2 * g.blocks[0]->n,
			"group calibration combine adds per group");
	ea_group_calibration_free(&g2);

	/* min_size travels with the state; states of other min_size do not combine */
	g.min_size = 70;
	free(buf);
	len = ea_group_calibration_serialized_size(&g);
	buf = malloc(len);
	ea_group_calibration_serialize(&g, buf);
	check_decoder("group calibration with min_size", decode_group_calibration, buf, len);
	unit_ok(ea_group_calibration_deserialize(&g2, buf, len, 1000, ea_malloc_memory) == EA_OK &&
			g2.min_size == 70 && g2.groups.nkeys == 2, "group calibration round trip keeps min_size");
	ea_group_calibration_free(&g2);
	ea_group_calibration_init(&g2, 4, ea_malloc_memory);
	unit_ok(ea_group_calibration_combine(&g2, &g, 100) == EA_EPARAM,
			"group calibration combine refuses another min_size");
	ea_group_calibration_free(&g2);
	/* version 1 (before min_size): the same without the u32, read as min_size 1 */
	{
		unsigned char *v1 = malloc(len - 4);

		v1[0] = 1;
		memcpy(v1 + 1, buf + 1, 5);
		memcpy(v1 + 6, buf + 10, len - 10);
		unit_ok(ea_group_calibration_deserialize(&g2, v1, len - 4, 1000, ea_malloc_memory) == EA_OK &&
				g2.min_size == 1 && g2.groups.nkeys == 2 && g2.blocks[1]->n == g.blocks[1]->n,
				"group calibration version 1 is still read, as min_size 1");
		ea_group_calibration_free(&g2);
		buf[2 + 4] = buf[2 + 5] = buf[2 + 6] = buf[2 + 7] = 0;
		unit_ok(ea_group_calibration_deserialize(&g2, buf, len, 1000, ea_malloc_memory) == EA_ECORRUPT,
				"group calibration refuses min_size 0");
		free(v1);
	}
	ea_group_calibration_free(&g);
	free(buf);
}

static EaStatus
decode_expected(const unsigned char *buf, size_t len)
{
	EaExpected	e;

	return ea_expected_deserialize(&e, buf, len);
}

/*
 * CBPE: the expected confusion matrix of five probabilities, cutoff 0.5:
 * E[TP] = 2.4, E[FP] = 0.6, E[FN] = 0.5, E[TN] = 1.5 (values of the binary
 * doubles, correctly rounded: Python's fractions on the same doubles)
 */
static void
test_expected(void)
{
	double		ps[] = {0.1, 0.4, 0.6, 0.9, 0.9};
	EaExpected	e,
				half,
				other;
	EaTwoSample s;
	unsigned char buf[EA_EXPECTED_SERIALIZED_SIZE];
	double		v;
	int			def;

	ea_expected_init(&e, 0.5);
	ea_expected_init(&half, 0.5);
	for (int i = 0; i < 5; i++)
	{
		ea_expected_add(&e, ps[i]);
		if (i % 2)
			ea_expected_add(&half, ps[i]);
	}
	unit_near(ea_expected_accuracy(&e, &def), 0.78, 0, "estimated accuracy (2.4 + 1.5) / 5");
	unit_near(ea_expected_precision(&e, &def), 0.8, 0, "estimated precision 2.4 / 3, correctly rounded");
	unit_near(ea_expected_recall(&e, &def), 0.8275862068965517, 0, "estimated recall 2.4 / 2.9");
	unit_near(ea_expected_f1(&e, &def), 0.8135593220338984, 0, "estimated f1 4.8 / 5.9");

	ea_expected_init(&other, 0.5);
	for (int i = 0; i < 5; i++)
		if (i % 2 == 0)
			ea_expected_add(&other, ps[i]);
	unit_ok(ea_expected_combine(&other, &half) == EA_OK &&
			ea_expected_f1(&other, &def) == ea_expected_f1(&e, &def) &&
			ea_expected_accuracy(&other, &def) == ea_expected_accuracy(&e, &def),
			"merged halves give the same estimates to the bit");
	ea_expected_init(&other, 0.3);
	unit_ok(ea_expected_combine(&other, &e) == EA_EPARAM, "states of other cutoffs do not combine");

	ea_expected_init(&other, 0.5);
	ea_expected_accuracy(&other, &def);
	unit_ok(!def, "no rows: accuracy undefined");
	ea_expected_add(&other, 0.2);
	ea_expected_precision(&other, &def);
	unit_ok(!def, "no predicted positive: precision undefined");
	ea_expected_init(&other, 0.5);
	ea_expected_add(&other, 0.0);
	ea_expected_recall(&other, &def);
	unit_ok(!def, "every probability 0: recall undefined");

	ea_expected_serialize(&e, buf);
	check_decoder("expected", decode_expected, buf, sizeof(buf));
	unit_ok(ea_expected_deserialize(&other, buf, sizeof(buf)) == EA_OK &&
			ea_expected_f1(&other, &def) == ea_expected_f1(&e, &def), "expected round trip keeps the sums");
	/* a predicted positive below the cutoff is impossible */
	e.sum_pos.hi = 0;
	e.sum_pos.lo = 1;
	ea_expected_serialize(&e, buf);
	unit_ok(ea_expected_deserialize(&other, buf, sizeof(buf)) == EA_ECORRUPT,
			"expected refuses predicted positives whose sum is below the cutoff's");

	/* ROC AUC expected from the same probabilities: Python's fractions over every pair, 0.84482758620689657 */
	ea_twosample_init(&s, EA_BINNING_QUANTILE, 10, ea_malloc_memory);
	for (int i = 0; i < 5; i++)
		ea_twosample_add(&s, ps[i], 0);
	ea_twosample_estimated_auc(&s, &v, &def);
	unit_near(v, 0.8448275862068966, 2e-16, "estimated roc auc, ties with themselves counted half");
	ea_twosample_free(&s);
	ea_twosample_init(&s, EA_BINNING_QUANTILE, 10, ea_malloc_memory);
	ea_twosample_add(&s, 1.0, 0);
	ea_twosample_add(&s, 1.0, 0);
	ea_twosample_estimated_auc(&s, &v, &def);
	unit_ok(!def, "every probability 1: estimated roc auc undefined");
	ea_twosample_add(&s, 0.0, 0);
	ea_twosample_estimated_auc(&s, &v, &def);
	unit_near(v, 1.0, 0, "certain positives above a certain negative: 1");
	ea_twosample_free(&s);
}

/* sorted partial states merge on combine; a sorted state stays sorted through serialization */
static void
test_sorted_merge(void)
{
	EaTwoSample parts[3],
				all,
				back;
	int			merged_sorted = 1,
				same = 1;
	unsigned char *buf;
	size_t		len;

	ea_twosample_init(&all, EA_BINNING_QUANTILE, 10, ea_malloc_memory);
	for (int p = 0; p < 3; p++)
	{
		ea_twosample_init(&parts[p], EA_BINNING_QUANTILE, 10, ea_malloc_memory);
		for (int i = 0; i < 5000 + 1000 * p; i++)
		{
			double		x = (double) (rng() % 2000) / 7.0 - 100.0;
			int			r = (int) (rng() & 1);

			ea_twosample_add(&parts[p], x, r);
			ea_twosample_add(&all, x, r);
		}
	}
	/* the first two sorted as workers sort them, the third left unsorted */
	unit_ok(ea_twosample_sort_reference(&parts[0]) == EA_OK &&
			ea_twosample_sort_reference(&parts[1]) == EA_OK, "twosample reference sort");
	len = ea_twosample_serialized_size(&parts[1]);
	buf = malloc(len);
	ea_twosample_serialize(&parts[1], buf);
	unit_ok(ea_twosample_deserialize(&back, buf, len, 1000000, ea_malloc_memory) == EA_OK
			&& back.ref.nsorted == back.ref.n,
			"a sorted reference deserializes as sorted");
	free(buf);
	unit_ok(ea_twosample_combine(&parts[0], &back) == EA_OK, "combine sorted states");
	for (int64_t i = 1; i < parts[0].ref.n; i++)
		if (parts[0].ref.keys[i - 1] > parts[0].ref.keys[i])
			merged_sorted = 0;
	unit_ok(merged_sorted && parts[0].ref.nsorted == parts[0].ref.n,
			"combining two sorted states merges them into one sorted sample");
	unit_ok(ea_twosample_combine(&parts[0], &parts[2]) == EA_OK
			&& parts[0].ref.nsorted < parts[0].ref.n,
			"combining an unsorted state appends it after the sorted prefix");
	ea_sample_sort(&parts[0].ref);
	ea_sample_sort(&parts[0].cur);
	ea_sample_sort(&all.ref);
	ea_sample_sort(&all.cur);
	same = parts[0].ref.n == all.ref.n && parts[0].cur.n == all.cur.n
		&& memcmp(parts[0].ref.keys, all.ref.keys, (size_t) all.ref.n * 8) == 0
		&& memcmp(parts[0].cur.keys, all.cur.keys, (size_t) all.cur.n * 8) == 0;
	unit_ok(same, "merged partial states equal the single-pass state");
	for (int p = 0; p < 3; p++)
		ea_twosample_free(&parts[p]);
	ea_twosample_free(&back);
	ea_twosample_free(&all);
}

static EaStatus
decode_baseline(const unsigned char *buf, size_t len)
{
	EaBaseline	b;
	EaStatus	st = ea_baseline_deserialize(&b, buf, len, 1000, ea_malloc_memory);

	if (st == EA_OK)
		ea_baseline_free(&b);
	return st;
}

/* baselines: equal to the two-sample bins, inverse, merge, KS bounds, serialization */
static void
test_baselines(void)
{
	EaTwoSample ts;
	EaBaselineBuild build;
	EaBaseline	ref,
				cur,
				part1,
				part2,
				back,
				cat_ref,
				cat_cur;
	double		two_sample = 0,
				against = 1,
				lower,
				upper,
				d;
	int			def,
				def2;
	unsigned char *buf;
	size_t		len;
	double		xs[2000];

	ea_twosample_init(&ts, EA_BINNING_QUANTILE, 10, ea_malloc_memory);
	ea_baseline_build_init(&build, 10, ea_malloc_memory);
	for (int i = 0; i < 2000; i++)
	{
		xs[i] = (double) (rng() % 5000) / 37.0 + (i >= 1000 ? 11.0 : 0.0);
		ea_twosample_add(&ts, xs[i], i < 1000);
		if (i < 1000)
			ea_baseline_build_add(&build, xs[i]);
	}
	unit_ok(ea_baseline_build_finish(&build, &ref, ea_malloc_memory) == EA_OK && ref.nedges == 9 && ref.n == 1000,
			"baseline at reference deciles");
	ea_baseline_init_like(&cur, &ref, ea_malloc_memory);
	ea_baseline_attach(&cur, &ref);
	ea_baseline_init_like(&part1, &ref, ea_malloc_memory);
	ea_baseline_init_like(&part2, &ref, ea_malloc_memory);
	for (int i = 1000; i < 2000; i++)
	{
		ea_baseline_add_double(&cur, xs[i], 1);
		ea_baseline_add_double(i % 3 ? &part1 : &part2, xs[i], 1);
	}
	ea_twosample_divergence(&ts, EA_DIV_PSI, &two_sample, &def);
	ea_baseline_divergence(&ref, &cur, EA_DIV_PSI, &against, &def2);
	unit_ok(def && def2 && two_sample == against, "psi against a baseline equals the two-sample psi");
	ea_twosample_divergence(&ts, EA_DIV_JSD, &two_sample, &def);
	ea_baseline_divergence(&ref, &cur, EA_DIV_JSD, &against, &def2);
	unit_ok(two_sample == against, "js against a baseline equals the two-sample js");
	ea_twosample_ks(&ts, &d, &def);
	ea_baseline_ks(&ref, &cur, &lower, &upper, &def2);
	unit_ok(lower <= d + 1e-12 && d <= upper + 1e-12, "exact KS lies within the bin bounds");

	/* merge of parts equals one pass; removing rows undoes adding them */
	unit_ok(ea_baseline_combine(&part1, &part2, 1000) == EA_OK &&
			memcmp(part1.counts, cur.counts, sizeof(int64_t) * 10) == 0 && part1.n == cur.n,
			"merged partial baselines count as one pass");
	for (int i = 1500; i < 2000; i++)
		ea_baseline_add_double(&cur, xs[i], -1);
	ea_baseline_free(&part2);
	ea_baseline_init_like(&part2, &ref, ea_malloc_memory);
	for (int i = 1000; i < 1500; i++)
		ea_baseline_add_double(&part2, xs[i], 1);
	unit_ok(memcmp(part2.counts, cur.counts, sizeof(int64_t) * 10) == 0 && cur.n == 500,
			"removed rows leave the counts of the rows kept");
	unit_ok(ea_baseline_combine(&ref, &cur, 1000) == EA_OK, "combine with a comparison state");
	ea_baseline_init_numeric(&back, (double[]) {1.0, 2.0}, 2, ea_malloc_memory);
	unit_ok(ea_baseline_combine(&ref, &back, 1000) == EA_EPARAM, "combine refuses other bins");
	ea_baseline_free(&back);
	unit_ok(ea_baseline_init_numeric(&back, (double[]) {2.0, 1.0}, 2, ea_malloc_memory) == EA_EPARAM,
			"descending edges refused");
	unit_ok(ea_baseline_init_numeric(&back, (double[]) {1.0, NAN}, 2, ea_malloc_memory) == EA_EPARAM,
			"NaN edges refused");

	/* serialization: round trip, then every truncation and mutations */
	len = ea_baseline_serialized_size(&cur);
	buf = malloc(len);
	ea_baseline_serialize(&cur, buf);
	unit_ok(ea_baseline_deserialize(&back, buf, len, 1000, ea_malloc_memory) == EA_OK && back.reference != NULL &&
			memcmp(back.counts, cur.counts, sizeof(int64_t) * 10) == 0,
			"baseline with reference round trip");
	ea_baseline_free(&back);
	check_decoder("baseline", decode_baseline, buf, len);
	free(buf);

	ea_baseline_init_categorical(&cat_ref, ea_malloc_memory);
	ea_baseline_init_categorical(&cat_cur, ea_malloc_memory);
	ea_baseline_add_text(&cat_ref, "a", 1, 1, 100);
	ea_baseline_add_text(&cat_ref, "b", 1, 1, 100);
	ea_baseline_add_text(&cat_cur, "b", 1, 1, 100);
	ea_baseline_add_text(&cat_cur, "c", 1, 1, 100);
	ea_baseline_add_text(&cat_cur, "c", 1, -1, 100);
	ea_baseline_add_text(&cat_cur, "b", 1, 1, 100);
	ea_baseline_divergence(&cat_ref, &cat_cur, EA_DIV_JSD, &against, &def);
	/* p = [1/2, 1/2], q = [0, 1]: JS divergence in bits */
	unit_near(against, 0.31127812445913283, 1e-15, "categorical js, emptied category ignored");
	len = ea_baseline_serialized_size(&cat_ref);
	buf = malloc(len);
	ea_baseline_serialize(&cat_ref, buf);
	check_decoder("categorical baseline", decode_baseline, buf, len);
	free(buf);

	ea_baseline_free(&cat_ref);
	ea_baseline_free(&cat_cur);
	ea_baseline_free(&ref);
	ea_baseline_free(&cur);
	ea_baseline_free(&part1);
	ea_baseline_free(&part2);
	ea_baseline_build_free(&build);
	ea_twosample_free(&ts);
}

int
main(void)
{
	test_keys_and_sort();
	test_quantiles();
	test_quantiles_from_ranks();
	test_selection_grid();
	test_bins();
	test_divergences();
	test_fixed();
	test_keytab();
	test_states();
	test_calibration_and_gap();
	test_rate_parts();
	test_special_and_divergences();
	test_auc_and_wasserstein();
	test_more_states();
	test_expected();
	test_sorted_merge();
	test_baselines();
	return unit_done();
}
