/*
 * twosample.c - exact two-sample state: combine, serialize, bin, KS.
 */
#include "twosample.h"

#include <math.h>

#include "binning.h"
#include "codec.h"
#include "divergence.h"
#include "drift_test.h"
#include "exact.h"
#include "ea_alloc.h"
#include "sums.h"

/* Evidently bins a numeric feature by value when it has at most this many */
#define EA_EVIDENTLY_MAX_DISCRETE 20

void
ea_twosample_init(EaTwoSample *s, EaBinning binning, int bins, EaMemory mem)
{
	memset(s, 0, sizeof(*s));
	ea_sample_init(&s->ref, mem);
	ea_sample_init(&s->cur, mem);
	s->binning = (uint8_t) binning;
	s->bins = binning == EA_BINNING_QUANTILE ? bins : 0;
}

void
ea_twosample_free(EaTwoSample *s)
{
	ea_sample_free(&s->ref);
	ea_sample_free(&s->cur);
}

EaStatus
ea_twosample_combine(EaTwoSample *a, const EaTwoSample *b)
{
	EaStatus	st;

	if (a->binning != b->binning || a->bins != b->bins || a->test != b->test)
		return EA_EPARAM;
	/*
	 * Every final function needs the reference sorted (quantile edges, KS),
	 * so sorted partial states merge here; the current sample is sorted only
	 * by the finals that need it (binning does not).
	 */
	st = ea_sample_append(&a->ref, &b->ref, 1);
	if (st == EA_OK)
		st = ea_sample_append(&a->cur, &b->cur, 0);
	if (st != EA_OK)
		return st;
	a->nan_ref += b->nan_ref;
	a->nan_cur += b->nan_cur;
	return EA_OK;
}

/*
 * Layout: version, kind, binning, test (u8 each), bins (u32), nan_ref,
 * nan_cur, nref, ncur (i64 each), then nref + ncur keys (u64 each).
 */
#define EA_TWOSAMPLE_HEADER (4 + 4 + 4 * 8)

size_t
ea_twosample_serialized_size(const EaTwoSample *s)
{
	return EA_TWOSAMPLE_HEADER + (size_t) (s->ref.n + s->cur.n) * 8;
}

EaStatus
ea_twosample_sort_reference(EaTwoSample *s)
{
	return ea_sample_sort(&s->ref);
}

void
ea_twosample_serialize(const EaTwoSample *s, unsigned char *buf)
{
	EaWriter	w = {buf, buf + ea_twosample_serialized_size(s)};

	ea_put_u8(&w, EA_STATE_VERSION);
	ea_put_u8(&w, EA_KIND_TWOSAMPLE);
	ea_put_u8(&w, s->binning);
	ea_put_u8(&w, s->test);
	ea_put_u32(&w, (uint32_t) s->bins);
	ea_put_i64(&w, s->nan_ref);
	ea_put_i64(&w, s->nan_cur);
	ea_put_i64(&w, s->ref.n);
	ea_put_i64(&w, s->cur.n);
	ea_put_u64_array(&w, s->ref.keys, s->ref.n);
	ea_put_u64_array(&w, s->cur.keys, s->cur.n);
}

/*
 * A stored key must decode to a non-NaN double with -0 folded: keys run from
 * that of -Infinity to that of +Infinity (NaNs lie outside), and -0 has one
 * key of its own that ea_key_from_double never produces.
 */
static inline int
key_is_valid(uint64_t k)
{
	return k >= UINT64_C(0x000FFFFFFFFFFFFF) && k <= UINT64_C(0xFFF0000000000000) &&
		k != UINT64_C(0x7FFFFFFFFFFFFFFF);
}

static EaStatus
read_keys(EaReader *r, EaSample *s, int64_t n)
{
	EaStatus	st = ea_sample_reserve(s, n);

	if (st != EA_OK)
		return st;
	ea_get_u64_array(r, s->keys, n);
	if (r->bad)
		return EA_ECORRUPT;
	s->n = n;
	s->nsorted = n;
	for (int64_t i = 0; i < n; i++)
	{
		if (!key_is_valid(s->keys[i]))
			return EA_ECORRUPT;
		if (s->nsorted == n && i > 0 && s->keys[i - 1] > s->keys[i])
			s->nsorted = i;		/* the ascending prefix ends here */
	}
	return EA_OK;
}

EaStatus
ea_twosample_deserialize(EaTwoSample *s, const unsigned char *buf, size_t len,
						 int64_t max_values, EaMemory mem)
{
	EaReader	r = {buf, buf + len, 0};
	uint8_t		version = ea_get_u8(&r);
	uint8_t		kind = ea_get_u8(&r);
	uint8_t		binning = ea_get_u8(&r);
	uint8_t		test = ea_get_u8(&r);
	uint32_t	bins = ea_get_u32(&r);
	int64_t		nan_ref = ea_get_count(&r, EA_MAX_COUNT);
	int64_t		nan_cur = ea_get_count(&r, EA_MAX_COUNT);
	int64_t		nref = ea_get_count(&r, max_values);
	int64_t		ncur = ea_get_count(&r, max_values);
	EaStatus	st;

	ea_twosample_init(s, EA_BINNING_QUANTILE, 0, mem);
	if (r.bad || version != EA_STATE_VERSION || kind != EA_KIND_TWOSAMPLE)
		return EA_ECORRUPT;
	if (binning == EA_BINNING_QUANTILE ? (bins < 2 || bins > EA_MAX_BINS)
		: (binning != EA_BINNING_EVIDENTLY || bins != 0))
		return EA_ECORRUPT;
	/* a forced drift test belongs to drift_test's states, all Evidently-binned */
	if (test > EA_DRIFT_LAST || (test != EA_DRIFT_AUTO && binning != EA_BINNING_EVIDENTLY))
		return EA_ECORRUPT;
	if (nref + ncur > max_values ||
		(size_t) (r.end - r.p) != (size_t) (nref + ncur) * 8)
		return EA_ECORRUPT;		/* checked before allocating anything */
	s->binning = binning;
	s->test = test;
	s->bins = (int32_t) bins;
	s->nan_ref = nan_ref;
	s->nan_cur = nan_cur;
	st = read_keys(&r, &s->ref, nref);
	if (st == EA_OK)
		st = read_keys(&r, &s->cur, ncur);
	if (st == EA_OK && !ea_reader_done(&r))
		st = EA_ECORRUPT;
	if (st != EA_OK)
		ea_twosample_free(s);
	return st;
}

void
ea_binned_free(EaBinned *b)
{
	EaMemory	mem = b->mem;

	if (b->ref)
		ea_free(mem, b->ref);
	if (b->cur)
		ea_free(mem, b->cur);
	memset(b, 0, sizeof(*b));
	b->mem = mem;
}

static EaStatus
binned_alloc(EaBinned *b, int64_t nbins, EaMemory mem)
{
	memset(b, 0, sizeof(*b));
	b->mem = mem;
	if (nbins > INT32_MAX / 2)
		return EA_ELIMIT;
	b->nbins = (int) nbins;
	b->ref = ea_alloc(mem, (size_t) nbins * sizeof(int64_t));
	b->cur = ea_alloc(mem, (size_t) nbins * sizeof(int64_t));
	if (b->ref == NULL || b->cur == NULL)
	{
		ea_binned_free(b);
		return EA_ENOMEM;
	}
	memset(b->ref, 0, (size_t) nbins * sizeof(int64_t));
	memset(b->cur, 0, (size_t) nbins * sizeof(int64_t));
	return EA_OK;
}

/* counts of a sorted sample in right-closed bins, by binary search per edge */
static void
count_sorted_right_closed(const EaSample *s, const double *edges, int m, int64_t *counts)
{
	int64_t		below = 0;

	for (int i = 0; i < m; i++)
	{
		int64_t		le = ea_sample_rank(s, edges[i], 0);

		counts[i] = le - below;
		below = le;
	}
	counts[m] = s->n - below;
}

static EaStatus bin_by_value(EaTwoSample *s, EaBinned *out);

EaStatus
ea_twosample_bin_by_value(EaTwoSample *s, EaBinned *out)
{
	EaStatus	st;

	memset(out, 0, sizeof(*out));
	out->mem = s->ref.mem;
	st = ea_sample_sort(&s->ref);
	if (st == EA_OK)
		st = ea_sample_sort(&s->cur);
	if (st == EA_OK)
		st = bin_by_value(s, out);
	if (st == EA_OK)
	{
		out->nref = s->ref.n;
		out->ncur = s->cur.n;
	}
	return st;
}

static EaStatus
bin_quantile(EaTwoSample *s, EaBinned *out)
{
	double		edges[EA_MAX_BINS];
	int			m = ea_quantile_edges(&s->ref, s->bins, edges);
	EaStatus	st = binned_alloc(out, m + 1, s->ref.mem);

	if (st != EA_OK)
		return st;
	count_sorted_right_closed(&s->ref, edges, m, out->ref);
	/* the current sample need not be sorted: a search among <= bins edges */
	for (int64_t i = 0; i < s->cur.n; i++)
		out->cur[ea_bin_right_closed(edges, m, ea_key_to_double(s->cur.keys[i]))]++;
	return EA_OK;
}

/* one bin per distinct value of the union of two sorted samples */
static EaStatus
bin_by_value(EaTwoSample *s, EaBinned *out)
{
	const uint64_t *a = s->ref.keys,
			   *b = s->cur.keys;
	int64_t		na = s->ref.n,
				nb = s->cur.n,
				i = 0,
				j = 0,
				distinct = 0;
	EaStatus	st;

	while (i < na || j < nb)
	{
		uint64_t	k = (j >= nb || (i < na && a[i] <= b[j])) ? a[i] : b[j];

		while (i < na && a[i] == k)
			i++;
		while (j < nb && b[j] == k)
			j++;
		distinct++;
	}
	st = binned_alloc(out, distinct, s->ref.mem);
	if (st != EA_OK)
		return st;
	i = j = 0;
	for (int64_t bin = 0; bin < distinct; bin++)
	{
		uint64_t	k = (j >= nb || (i < na && a[i] <= b[j])) ? a[i] : b[j];

		while (i < na && a[i] == k)
		{
			i++;
			out->ref[bin]++;
		}
		while (j < nb && b[j] == k)
		{
			j++;
			out->cur[bin]++;
		}
	}
	return EA_OK;
}

/* smallest and largest finite value of a sorted sample, if any */
static int
finite_range(const EaSample *s, double *lo, double *hi)
{
	int64_t		i = 0,
				j = s->n - 1;

	while (i < s->n && isinf(ea_key_to_double(s->keys[i])))
		i++;
	while (j >= i && isinf(ea_key_to_double(s->keys[j])))
		j--;
	if (i > j)
		return 0;
	*lo = ea_key_to_double(s->keys[i]);
	*hi = ea_key_to_double(s->keys[j]);
	return 1;
}

static EaStatus
bin_evidently(EaTwoSample *s, EaBinned *out)
{
	int64_t		distinct = 0;
	double		edges[EA_STURGES_MAX_EDGES];
	double		lo = 0.0,
				hi = 0.0,
				lo2,
				hi2;
	int			nedges;
	int			have;
	EaStatus	st;

	for (int64_t i = 0; i < s->ref.n && distinct <= EA_EVIDENTLY_MAX_DISCRETE; i++)
		if (i == 0 || s->ref.keys[i] != s->ref.keys[i - 1])
			distinct++;
	if (distinct <= EA_EVIDENTLY_MAX_DISCRETE)
		return bin_by_value(s, out);

	/* sturges edges over the finite range of both samples pooled */
	have = finite_range(&s->ref, &lo, &hi);
	if (finite_range(&s->cur, &lo2, &hi2))
	{
		if (!have || lo2 < lo)
			lo = lo2;
		if (!have || hi2 > hi)
			hi = hi2;
		have = 1;
	}
	nedges = ea_sturges_edges(lo, hi, s->ref.n + s->cur.n, edges);
	if (nedges == 0)
		return EA_ERANGE;		/* not "no drift": the bins cannot be formed */
	st = binned_alloc(out, nedges - 1, s->ref.mem);
	if (st != EA_OK)
		return st;
	for (int64_t i = 0; i < s->ref.n; i++)
		out->ref[ea_bin_left_closed(edges, nedges, ea_key_to_double(s->ref.keys[i]))]++;
	for (int64_t i = 0; i < s->cur.n; i++)
		out->cur[ea_bin_left_closed(edges, nedges, ea_key_to_double(s->cur.keys[i]))]++;
	return EA_OK;
}

EaStatus
ea_twosample_bin(EaTwoSample *s, EaBinned *out)
{
	EaStatus	st;

	memset(out, 0, sizeof(*out));
	out->mem = s->ref.mem;
	st = ea_sample_sort(&s->ref);
	if (st != EA_OK)
		return st;
	if (s->binning == EA_BINNING_QUANTILE)
		st = bin_quantile(s, out);
	else
	{
		st = ea_sample_sort(&s->cur);
		if (st == EA_OK)
			st = bin_evidently(s, out);
	}
	if (st == EA_OK)
	{
		out->nref = s->ref.n;
		out->ncur = s->cur.n;
	}
	return st;
}

EaStatus
ea_twosample_divergence(EaTwoSample *s, EaDivergence which, double *result, int *defined)
{
	EaBinned	b;
	EaStatus	st;

	*defined = s->ref.n > 0 && s->cur.n > 0;
	if (!*defined)
		return EA_OK;
	st = ea_twosample_bin(s, &b);
	if (st != EA_OK)
		return st;
	*result = ea_divergence(which, b.ref, b.nref, b.cur, b.ncur, b.nbins,
							s->binning == EA_BINNING_EVIDENTLY ? EA_ZERO_EVIDENTLY : EA_ZERO_EPSILON);
	ea_binned_free(&b);
	return EA_OK;
}

/* both samples sorted; *defined = 0 when either is empty */
static EaStatus
sort_both(EaTwoSample *s, int *defined)
{
	EaStatus	st;

	*defined = s->ref.n > 0 && s->cur.n > 0;
	if (!*defined)
		return EA_OK;
	st = ea_sample_sort(&s->ref);
	if (st == EA_OK)
		st = ea_sample_sort(&s->cur);
	return st;
}

/*
 * D = max |F_R(x) - F_C(x)| over every observed x, both empirical CDFs
 * right-continuous: walk the two sorted samples one distinct value at a
 * time.  Each difference is formed as i/n1 - j/n2, as scipy forms it.
 */
EaStatus
ea_twosample_ks(EaTwoSample *s, double *statistic, int *defined)
{
	const uint64_t *a,
			   *b;
	int64_t		na = s->ref.n,
				nb = s->cur.n,
				i = 0,
				j = 0;
	double		d = 0.0;
	EaStatus	st;

	if ((st = sort_both(s, defined)) != EA_OK || !*defined)
		return st;
	a = s->ref.keys;
	b = s->cur.keys;
	while (i < na && j < nb)
	{
		uint64_t	k = a[i] <= b[j] ? a[i] : b[j];
		double		diff;

		while (i < na && a[i] == k)
			i++;
		while (j < nb && b[j] == k)
			j++;
		diff = fabs((double) i / (double) na - (double) j / (double) nb);
		if (diff > d)
			d = diff;
	}
	*statistic = d;
	return EA_OK;
}

/*
 * The integral of |F_R - F_C| over the real line: between consecutive
 * distinct values both CDFs are constant.  A gap of infinite width where the
 * CDFs differ makes the distance infinite.
 */
EaStatus
ea_twosample_wasserstein(EaTwoSample *s, double *result, int *defined)
{
	const uint64_t *a,
			   *b;
	int64_t		na = s->ref.n,
				nb = s->cur.n,
				i = 0,
				j = 0;
	double		sum = 0.0;
	EaStatus	st;

	if ((st = sort_both(s, defined)) != EA_OK || !*defined)
		return st;
	a = s->ref.keys;
	b = s->cur.keys;
	while (i < na || j < nb)
	{
		uint64_t	k = (j >= nb || (i < na && a[i] <= b[j])) ? a[i] : b[j];
		uint64_t	next;
		double		diff,
					width;

		while (i < na && a[i] == k)
			i++;
		while (j < nb && b[j] == k)
			j++;
		if (i >= na && j >= nb)
			break;
		next = (j >= nb || (i < na && a[i] <= b[j])) ? a[i] : b[j];
		diff = fabs((double) i / (double) na - (double) j / (double) nb);
		if (diff == 0.0)
			continue;
		width = ea_key_to_double(next) - ea_key_to_double(k);
		sum += diff * width;
	}
	*result = sum;
	return EA_OK;
}

/*
 * Evidently's normed Wasserstein distance: W1 over the population standard
 * deviation of the reference (ddof 0), the deviation floored at 0.001 as
 * max(std, 0.001) floors it (a NaN deviation, from an infinite reference
 * value, stays NaN).  The deviation comes from exact sums of the values and
 * their squares, rounded once.
 */
EaStatus
ea_twosample_wasserstein_normed(EaTwoSample *s, double *result, int *defined)
{
	EaMoments	m;
	double		w,
				mean,
				m2,
				variance,
				sd;
	int64_t		i;
	EaStatus	st;

	if ((st = ea_twosample_wasserstein(s, &w, defined)) != EA_OK || !*defined)
		return st;
	if ((st = ea_moments_init(&m, s->ref.mem)) != EA_OK)
		return st;
	for (i = 0; i < s->ref.n && st == EA_OK; i++)
		st = ea_moments_add(&m, ea_key_to_double(s->ref.keys[i]), 1);
	if (st == EA_OK)
	{
		ea_moments_result(&m, s->ref.n - m.neg_inf - m.pos_inf, &mean, &m2, &variance);
		sd = sqrt(m2 / (double) s->ref.n);
		*result = w / (0.001 > sd ? 0.001 : sd);
	}
	ea_moments_free(&m);
	return st;
}

EaStatus
ea_twosample_auc(EaTwoSample *s, double *result, int *defined)
{
	const uint64_t *a,
			   *b;
	int64_t		na = s->ref.n,
				nb = s->cur.n,
				i = 0,
				j = 0;
	uint64_t	twice_u = 0;	/* 2 * Mann-Whitney U, an exact integer */
	EaStatus	st;

	if ((st = sort_both(s, defined)) != EA_OK || !*defined)
		return st;
	a = s->ref.keys;
	b = s->cur.keys;
	while (i < na)
	{
		uint64_t	k = a[i];
		int64_t		pos = 0,
					tied = 0;

		while (j < nb && b[j] < k)
			j++;
		while (i < na && a[i] == k)
		{
			i++;
			pos++;
		}
		while (j + tied < nb && b[j + tied] == k)
			tied++;
		/* negatives strictly below count once, ties half */
		twice_u += (uint64_t) pos * (uint64_t) (2 * j + tied);
	}
	*result = (double) twice_u / (2.0 * (double) na * (double) nb);
	return EA_OK;
}

/*
 * The ROC AUC expected from calibrated probabilities alone (CBPE): each row
 * of probability p counts as a positive of weight p and a negative of
 * weight 1 - p, scored p.  The area under the curve of expected TPR against
 * expected FPR over every cutoff, with (0,0) and (1,1), is the weighted
 * Mann-Whitney statistic
 *     sum over distinct p of  w+(p) * (W-(below p) + w-(p) / 2)  /  (W+ W-)
 * W+ and W- being the total weights.  Walk the sorted probabilities once.
 */
EaStatus
ea_twosample_estimated_auc(EaTwoSample *s, double *result, int *defined)
{
	const uint64_t *k;
	int64_t		n = s->cur.n,
				i = 0;
	EaSum		pos = {0, 0},
				neg = {0, 0},
				neg_below = {0, 0},
				area = {0, 0};
	EaStatus	st;

	*defined = 0;
	if (n == 0)
		return EA_OK;
	if ((st = ea_sample_sort(&s->cur)) != EA_OK)
		return st;
	k = s->cur.keys;
	/* probabilities only: the aggregate's transition admits nothing else */
	if (!(ea_key_to_double(k[0]) >= 0.0 && ea_key_to_double(k[n - 1]) <= 1.0))
		return EA_ECORRUPT;
	while (i < n)
	{
		uint64_t	key = k[i];
		double		p = ea_key_to_double(key);
		int64_t		c = 0;
		double		w_pos,
					w_neg;

		while (i < n && k[i] == key)
		{
			i++;
			c++;
		}
		w_pos = (double) c * p;
		w_neg = (double) c * (1.0 - p);
		ea_sum_add(&area, w_pos * (ea_sum_value(neg_below) + 0.5 * w_neg));
		ea_sum_add(&neg_below, w_neg);
		ea_sum_add(&pos, w_pos);
		ea_sum_add(&neg, w_neg);
	}
	*defined = ea_sum_value(pos) > 0.0 && ea_sum_value(neg) > 0.0;
	*result = *defined ? ea_sum_value(area) / (ea_sum_value(pos) * ea_sum_value(neg)) : 0.0;
	return EA_OK;
}
