/*
 * baseline.c - binned and categorical distributions in constant memory.
 */
#include "baseline.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "binning.h"
#include "categorical.h"
#include "codec.h"
#include "ea_alloc.h"

static void
numeric_stats_reset(EaBaseline *b)
{
	b->min = NAN;
	b->max = NAN;
}

/*
 * Strictly ascending, no NaN. The outer edges may be infinite: a reference
 * decile is -Infinity or +Infinity when that many reference values are, and
 * baseline(value) keeps the two-sample form's edges.
 */
static EaStatus
check_edges(const double *edges, int nedges)
{
	if (nedges < 0 || nedges > EA_MAX_BINS)
		return EA_EPARAM;
	for (int i = 0; i < nedges; i++)
		if (isnan(edges[i]) || (i > 0 && !(edges[i - 1] < edges[i])))
			return EA_EPARAM;
	return EA_OK;
}

EaStatus
ea_baseline_init_numeric(EaBaseline *b, const double *edges, int nedges, EaMemory mem)
{
	memset(b, 0, sizeof(*b));
	b->kind = EA_BASELINE_NUMERIC;
	b->mem = mem;
	numeric_stats_reset(b);
	if (check_edges(edges, nedges) != EA_OK)
		return EA_EPARAM;
	b->edges = ea_alloc(mem, sizeof(double) * (size_t) (nedges > 0 ? nedges : 1));
	b->counts = ea_alloc(mem, sizeof(int64_t) * (size_t) (nedges + 1));
	if (b->edges == NULL || b->counts == NULL || ea_moments_init(&b->moments, mem) != EA_OK)
	{
		ea_baseline_free(b);
		return EA_ENOMEM;
	}
	for (int i = 0; i < nedges; i++)
		b->edges[i] = edges[i] == 0.0 ? 0.0 : edges[i];	/* fold -0 */
	memset(b->counts, 0, sizeof(int64_t) * (size_t) (nedges + 1));
	b->nedges = nedges;
	return EA_OK;
}

void
ea_baseline_init_categorical(EaBaseline *b, EaMemory mem)
{
	memset(b, 0, sizeof(*b));
	b->kind = EA_BASELINE_CATEGORICAL;
	b->mem = mem;
	numeric_stats_reset(b);
	ea_keytab_init(&b->cats, 1, mem);
}

EaStatus
ea_baseline_init_like(EaBaseline *b, const EaBaseline *like, EaMemory mem)
{
	if (like->kind == EA_BASELINE_NUMERIC)
		return ea_baseline_init_numeric(b, like->edges, like->nedges, mem);
	ea_baseline_init_categorical(b, mem);
	return EA_OK;
}

void
ea_baseline_free(EaBaseline *b)
{
	EaMemory	mem = b->mem;

	if (b->edges)
		ea_free(mem, b->edges);
	if (b->counts)
		ea_free(mem, b->counts);
	if (b->kind == EA_BASELINE_CATEGORICAL)
		ea_keytab_free(&b->cats);
	ea_moments_free(&b->moments);
	if (b->reference)
	{
		ea_baseline_free(b->reference);
		ea_free(mem, b->reference);
	}
	memset(b, 0, sizeof(*b));
	b->mem = mem;
}

/* copy of src without its reference */
static EaStatus
copy_body(EaBaseline *dst, const EaBaseline *src, EaMemory mem)
{
	EaStatus	st = ea_baseline_init_like(dst, src, mem);

	if (st != EA_OK)
		return st;
	dst->n = src->n;
	dst->nan = src->nan;
	dst->nulls = src->nulls;
	dst->min = src->min;
	dst->max = src->max;
	if (src->kind == EA_BASELINE_NUMERIC)
	{
		memcpy(dst->counts, src->counts, sizeof(int64_t) * (size_t) (src->nedges + 1));
		ea_moments_free(&dst->moments);
		st = ea_moments_copy(&dst->moments, &src->moments, mem);
	}
	else
		st = ea_keytab_merge(&dst->cats, &src->cats, INT32_MAX);
	if (st != EA_OK)
		ea_baseline_free(dst);
	return st;
}

EaStatus
ea_baseline_attach(EaBaseline *b, const EaBaseline *ref)
{
	EaBaseline *copy;
	EaStatus	st;

	if (!ea_baseline_same_bins(b, ref))
		return EA_EPARAM;
	copy = ea_alloc(b->mem, sizeof(EaBaseline));
	if (copy == NULL)
		return EA_ENOMEM;
	if ((st = copy_body(copy, ref, b->mem)) != EA_OK)
	{
		ea_free(b->mem, copy);
		return st;
	}
	if (b->reference)
	{
		ea_baseline_free(b->reference);
		ea_free(b->mem, b->reference);
	}
	b->reference = copy;
	/* a comparison state keeps counts only */
	b->min = b->max = NAN;
	ea_moments_forget(&b->moments);
	return EA_OK;
}

EaStatus
ea_baseline_copy(EaBaseline *dst, const EaBaseline *src, EaMemory mem)
{
	EaStatus	st = copy_body(dst, src, mem);

	if (st == EA_OK && src->reference && (st = ea_baseline_attach(dst, src->reference)) != EA_OK)
		ea_baseline_free(dst);
	return st;
}

/*
 * The sums are exact, so removing a row undoes adding it to the last bit:
 * no error builds up over a long moving window (Welford's running mean and
 * m2 drift when rows are taken out again).
 */
EaStatus
ea_baseline_track(EaBaseline *b, double x, int delta)
{
	if (x == 0.0)
		x = 0.0;				/* -0 is 0 for min and max too */
	if (delta > 0)
	{
		if (b->n == 0)
			b->min = b->max = x;
		else if (!isnan(b->min))
		{
			if (x < b->min)
				b->min = x;
			if (x > b->max)
				b->max = x;
		}
		b->n++;
	}
	else
	{
		b->n--;
		if (b->n == 0)
		{
			/* nothing left: everything is known again */
			numeric_stats_reset(b);
			ea_moments_forget(&b->moments);
			b->moments.known = 1;
			b->moments.neg_inf = b->moments.pos_inf = 0;
			return EA_OK;
		}
		b->min = b->max = NAN;	/* a removed extreme cannot be undone */
	}
	return ea_moments_add(&b->moments, x, delta);
}

EaStatus
ea_baseline_add_text(EaBaseline *b, const char *key, uint32_t len, int delta, int32_t max_keys)
{
	int32_t		i;
	EaStatus	st = ea_keytab_lookup(&b->cats, key, len, max_keys, &i);

	if (st != EA_OK)
		return st;
	b->n += delta;
	/* a category with no row left in a moving frame is dropped: max_categories is per frame */
	if ((ea_keytab_counts(&b->cats, i)[0] += delta) == 0 && delta < 0)
		return ea_keytab_remove(&b->cats, i);
	return EA_OK;
}

void
ea_baseline_add_null(EaBaseline *b, int delta)
{
	b->nulls += delta;
}

EaStatus
ea_baseline_from_sample(EaBaseline *b, const EaSample *sorted, int nbins,
						const double *edges, int nedges, EaMemory mem)
{
	double	   *quantiles = NULL;
	EaStatus	st;
	int64_t		i = 0;

	if (edges == NULL)
	{
		quantiles = ea_alloc(mem, sizeof(double) * (size_t) (nbins > 1 ? nbins - 1 : 1));
		if (quantiles == NULL)
			return EA_ENOMEM;
		nedges = sorted->n > 0 ? ea_quantile_edges(sorted, nbins, quantiles) : 0;
		edges = quantiles;
	}
	st = ea_baseline_init_numeric(b, edges, nedges, mem);
	if (quantiles)
		ea_free(mem, quantiles);
	if (st != EA_OK)
		return st;
	/* walk the sorted values once: bins in order, then the statistics */
	for (int k = 0; k <= b->nedges; k++)
	{
		int64_t		start = i;

		while (i < sorted->n &&
			   (k == b->nedges || ea_key_to_double(sorted->keys[i]) <= b->edges[k]))
			i++;
		b->counts[k] = i - start;
	}
	for (int64_t j = 0; j < sorted->n && st == EA_OK; j++)
		st = ea_moments_add(&b->moments, ea_key_to_double(sorted->keys[j]), 1);
	if (st != EA_OK)
	{
		ea_baseline_free(b);
		return st;
	}
	b->n = sorted->n;
	if (sorted->n > 0)
	{
		b->min = ea_key_to_double(sorted->keys[0]);
		b->max = ea_key_to_double(sorted->keys[sorted->n - 1]);
	}
	return EA_OK;
}

int
ea_baseline_same_bins(const EaBaseline *a, const EaBaseline *b)
{
	if (a->kind != b->kind)
		return 0;
	if (a->kind == EA_BASELINE_CATEGORICAL)
		return 1;
	return a->nedges == b->nedges &&
		(a->nedges == 0 || memcmp(a->edges, b->edges, sizeof(double) * (size_t) a->nedges) == 0);
}

/* the same counts over the same bins */
static int
same_counts(const EaBaseline *a, const EaBaseline *b)
{
	if (!ea_baseline_same_bins(a, b) || a->n != b->n || a->nan != b->nan || a->nulls != b->nulls)
		return 0;
	if (a->kind == EA_BASELINE_NUMERIC)
		return memcmp(a->counts, b->counts, sizeof(int64_t) * (size_t) (a->nedges + 1)) == 0;
	if (a->cats.nkeys != b->cats.nkeys)
		return 0;
	for (int32_t i = 0; i < a->cats.nkeys; i++)
	{
		uint32_t	len;
		const char *key = ea_keytab_key(&a->cats, i, &len);
		int32_t		j = ea_keytab_find(&b->cats, key, len);

		if (j < 0 || ea_keytab_counts(&b->cats, j)[0] != ea_keytab_counts(&a->cats, i)[0])
			return 0;
	}
	return 1;
}

EaStatus
ea_baseline_combine(EaBaseline *a, const EaBaseline *b, int32_t max_keys)
{
	EaStatus	st;

	if (!ea_baseline_same_bins(a, b))
		return EA_EPARAM;
	if (a->reference && b->reference && !same_counts(a->reference, b->reference))
		return EA_EPARAM;
	/* every bin and category count is at most n */
	if (!ea_counts_fit(a->n, b->n) || !ea_counts_fit(a->nan, b->nan) ||
		!ea_counts_fit(a->nulls, b->nulls))
		return EA_ELIMIT;
	if (!a->reference && b->reference &&
		(st = ea_baseline_attach(a, b->reference)) != EA_OK)
		return st;
	if (a->kind == EA_BASELINE_NUMERIC)
	{
		for (int k = 0; k <= a->nedges; k++)
			a->counts[k] += b->counts[k];
		if (b->n > 0)
		{
			/* exact sums: merged in any order with the same result */
			if ((st = ea_moments_combine(&a->moments, &b->moments)) != EA_OK)
				return st;
			if (a->n == 0)
			{
				a->min = b->min;
				a->max = b->max;
			}
			else if (isnan(a->min) || isnan(b->min))
				a->min = a->max = NAN;
			else
			{
				a->min = b->min < a->min ? b->min : a->min;
				a->max = b->max > a->max ? b->max : a->max;
			}
		}
	}
	else if ((st = ea_keytab_merge(&a->cats, &b->cats, max_keys)) != EA_OK)
		return st;
	a->n += b->n;
	a->nan += b->nan;
	a->nulls += b->nulls;
	return EA_OK;
}

EaStatus
ea_baseline_divergence(const EaBaseline *ref, const EaBaseline *cur, EaDivergence which,
					   double *result, int *defined)
{
	EaCategorical c;
	EaStatus	st = EA_OK;

	if (!ea_baseline_same_bins(ref, cur))
		return EA_EPARAM;
	*defined = ref->n > 0 && cur->n > 0;
	if (!*defined)
		return EA_OK;
	if (ref->kind == EA_BASELINE_NUMERIC)
	{
		*result = ea_divergence(which, ref->counts, ref->n, cur->counts, cur->n,
								ref->nedges + 1, EA_ZERO_EPSILON);
		return EA_OK;
	}

	/*
	 * Categories: the union of both, as the two-sample state holds them;
	 * a category with no row left on either side (moving frames) is no bin.
	 */
	ea_categorical_init(&c, EA_BINNING_QUANTILE, ref->mem);
	for (int side = 0; side < 2 && st == EA_OK; side++)
	{
		const EaBaseline *b = side == 0 ? ref : cur;

		for (int32_t i = 0; i < b->cats.nkeys && st == EA_OK; i++)
		{
			uint32_t	len;
			const char *key = ea_keytab_key(&b->cats, i, &len);
			int64_t		count = ea_keytab_counts(&b->cats, i)[0];
			int32_t		j;

			if (count == 0)
				continue;
			if ((st = ea_keytab_lookup(&c.tab, key, len, INT32_MAX, &j)) == EA_OK)
				ea_keytab_counts(&c.tab, j)[side] += count;
		}
	}
	c.nref = ref->n;
	c.ncur = cur->n;
	if (st == EA_OK)
		st = ea_categorical_divergence(&c, which, result, defined);
	ea_categorical_free(&c);
	return st;
}

EaStatus
ea_baseline_ks(const EaBaseline *ref, const EaBaseline *cur, double *lower, double *upper,
			   int *defined)
{
	int64_t		cum_ref = 0,
				cum_cur = 0;
	double		prev_ref = 0.0,
				prev_cur = 0.0;

	if (ref->kind != EA_BASELINE_NUMERIC || !ea_baseline_same_bins(ref, cur))
		return EA_EPARAM;
	*defined = ref->n > 0 && cur->n > 0;
	*lower = *upper = 0.0;
	if (!*defined)
		return EA_OK;
	for (int k = 0; k <= ref->nedges; k++)
	{
		double		fr,
					fc;

		cum_ref += ref->counts[k];
		cum_cur += cur->counts[k];
		/* formed as differences of count ratios, as the exact statistic */
		fr = (double) cum_ref / (double) ref->n;
		fc = (double) cum_cur / (double) cur->n;
		if (k < ref->nedges && fabs(fr - fc) > *lower)
			*lower = fabs(fr - fc);
		if (fr - prev_cur > *upper)
			*upper = fr - prev_cur;
		if (fc - prev_ref > *upper)
			*upper = fc - prev_ref;
		prev_ref = fr;
		prev_cur = fc;
	}
	if (*upper < *lower)
		*upper = *lower;
	return EA_OK;
}

void
ea_baseline_stats(const EaBaseline *b, double *mean, double *m2, double *variance)
{
	const EaMoments *m = &b->moments;

	*mean = *m2 = *variance = NAN;
	if (b->kind != EA_BASELINE_NUMERIC || b->reference != NULL || b->n == 0)
		return;
	ea_moments_result(m, b->n - m->neg_inf - m->pos_inf, mean, m2, variance);
}

EaStatus
ea_baseline_set_stats(EaBaseline *b, double mean, double m2, int64_t neg_inf, int64_t pos_inf)
{
	EaStatus	st;

	if (neg_inf < 0 || pos_inf < 0 || neg_inf > b->n - pos_inf || m2 < 0.0)
		return EA_ECORRUPT;		/* a variance below zero is no state (NaN: unknown) */
	/* with infinities, the text form's mean and m2 say nothing of the finite values */
	if (neg_inf > 0 || pos_inf > 0)
		mean = m2 = NAN;
	st = ea_moments_from_mean_m2(&b->moments, b->n - neg_inf - pos_inf, mean, m2);
	b->moments.neg_inf = neg_inf;
	b->moments.pos_inf = pos_inf;
	return st;
}

size_t
ea_baseline_exact_size(const EaBaseline *b)
{
	return ea_moments_serialized_size(&b->moments);
}

void
ea_baseline_exact_write(const EaBaseline *b, unsigned char *buf)
{
	ea_moments_serialize(&b->moments, buf);
}

EaStatus
ea_baseline_set_exact(EaBaseline *b, const unsigned char *buf, size_t len)
{
	EaMoments	m;
	const unsigned char *p = buf;
	EaStatus	st = ea_moments_deserialize(&m, &p, buf + len, b->mem);

	if (st != EA_OK)
		return st;
	if (p != buf + len || m.neg_inf > b->n - m.pos_inf)
	{
		ea_moments_free(&m);
		return EA_ECORRUPT;
	}
	ea_moments_free(&b->moments);
	b->moments = m;
	return EA_OK;
}

/* ---------- serialization ---------- */

/*
 * version, kind, baseline kind, has reference (u8 each); n, nan, nulls
 * (i64); numeric: nedges (u32), min, max (f64), the exact moments
 * (exact.h), edges (f64 each), counts (i64 each); categorical: the key
 * table. Then the reference.
 *
 * Version 2 of the baseline state; version 1 had a mean and m2 (f64)
 * after max instead of the moments, and is still read: its sums are
 * rebuilt from them (ea_moments_from_mean_m2).
 */
#define EA_BASELINE_HEADER (4 + 3 * 8)
#define EA_BASELINE_VERSION 2
#define EA_BASELINE_VERSION_WELFORD 1

static void
put_f64(EaWriter *w, double x)
{
	uint64_t	u;

	memcpy(&u, &x, 8);
	ea_put_u64(w, u);
}

static double
get_f64(EaReader *r)
{
	uint64_t	u = ea_get_u64(r);
	double		x;

	memcpy(&x, &u, 8);
	return x;
}

static size_t
body_size(const EaBaseline *b)
{
	if (b->kind == EA_BASELINE_NUMERIC)
		return EA_BASELINE_HEADER + 4 + 2 * 8 + ea_moments_serialized_size(&b->moments) +
			(size_t) b->nedges * 8 + (size_t) (b->nedges + 1) * 8;
	return EA_BASELINE_HEADER + ea_keytab_serialized_size(&b->cats);
}

size_t
ea_baseline_serialized_size(const EaBaseline *b)
{
	return body_size(b) + (b->reference ? body_size(b->reference) : 0);
}

static unsigned char *
write_body(const EaBaseline *b, unsigned char *buf)
{
	EaWriter	w = {buf, buf + body_size(b)};

	ea_put_u8(&w, EA_BASELINE_VERSION);
	ea_put_u8(&w, EA_KIND_BASELINE);
	ea_put_u8(&w, b->kind);
	ea_put_u8(&w, b->reference != NULL);
	ea_put_i64(&w, b->n);
	ea_put_i64(&w, b->nan);
	ea_put_i64(&w, b->nulls);
	if (b->kind == EA_BASELINE_NUMERIC)
	{
		ea_put_u32(&w, (uint32_t) b->nedges);
		put_f64(&w, b->min);
		put_f64(&w, b->max);
		w.p = ea_moments_serialize(&b->moments, w.p);
		for (int k = 0; k < b->nedges; k++)
			put_f64(&w, b->edges[k]);
		for (int k = 0; k <= b->nedges; k++)
			ea_put_i64(&w, b->counts[k]);
		return w.p;
	}
	return ea_keytab_serialize(&b->cats, w.p);
}

void
ea_baseline_serialize(const EaBaseline *b, unsigned char *buf)
{
	unsigned char *p = write_body(b, buf);

	if (b->reference)
		write_body(b->reference, p);
}

/*
 * What the statistics of a numeric baseline whose bins are known must
 * satisfy, as ea_baseline_track and ea_baseline_combine leave them:
 * min and max both unknown (NaN: no value, rows removed, a comparison
 * state) or both known, then min <= max, min in the first non-empty bin and
 * max in the last; a known mean within [min, max] (to within rounding);
 * m2 unknown or >= 0, and
 * no larger than n (max - min)^2 / 4, the largest spread n values in
 * [min, max] can have (Popoviciu), with room for rounding (relative, and
 * absolute for the subnormal squares of tiny values); no value, no
 * statistic.  The running mean of finite values near the largest doubles
 * can overflow to an infinity (x - mean, or d * n when states merge): such a
 * mean is accepted only where n values within [min, max] can overflow it.
 */
/*
 * mean in [min, max] to within rounding: merging into an empty state forms
 * (mean * n) / n, which can be an ulp or two off when every value is the same
 */
static int
mean_within(const EaBaseline *b, double mean)
{
	double		slack = 8.0 * DBL_EPSILON * fmax(fabs(b->min), fabs(b->max)) + DBL_MIN;

	return b->min - slack <= mean && mean <= b->max + slack;
}

static int
numeric_stats_valid(const EaBaseline *b, double mean, double m2)
{
	int			first = -1,
				last = -1;

	if (isnan(b->min) != isnan(b->max))
		return 0;
	if (!isnan(m2) && !(m2 >= 0.0))
		return 0;
	if (b->n == 0)
		return isnan(b->min) && (isnan(mean) || mean == 0.0) &&
			(isnan(m2) || m2 == 0.0);
	if (isnan(b->min))
		return 1;				/* nothing known to check the rest against */
	if (!(b->min <= b->max))
		return 0;
	if (!isnan(mean) && !mean_within(b, mean) &&
		!(isinf(mean) &&
		  fmax(fabs(b->min), fabs(b->max)) > DBL_MAX / (8.0 * (double) b->n)))
		return 0;
	for (int k = 0; k <= b->nedges; k++)
		if (b->counts[k] > 0)
		{
			if (first < 0)
				first = k;
			last = k;
		}
	/* bin k is (e_{k-1}, e_k]: the smallest value lies in the first non-empty one */
	if ((first < b->nedges && !(b->min <= b->edges[first])) ||
		(first > 0 && !(b->min > b->edges[first - 1])) ||
		(last < b->nedges && !(b->max <= b->edges[last])) ||
		(last > 0 && !(b->max > b->edges[last - 1])))
		return 0;
	if (!isnan(m2) && isfinite(b->max - b->min))
	{
		double		range = b->max - b->min;
		double		most = (double) b->n * (range * range / 4.0);

		/*
		 * Rounding: each deviation x - mean is formed to within an ulp of the
		 * values' magnitude, which for values far from zero and close
		 * together is much of the deviation itself (two values 6e-146 apart
		 * near -3.6e-132 err by 1 %); so 8 n eps max(|min|, |max|) range on
		 * top of 0.1 %, and n DBL_MIN for subnormal squares.
		 */
		double		slack = most * 1e-3 +
			8.0 * (double) b->n * DBL_EPSILON * fmax(fabs(b->min), fabs(b->max)) * range +
			(double) b->n * DBL_MIN;

		if (isfinite(most) && m2 > most + slack)
			return 0;
	}
	return 1;
}

static EaStatus
read_body(EaReader *r, EaBaseline *b, int *has_ref, int32_t max_keys, EaMemory mem)
{
	uint8_t		version = ea_get_u8(r);
	uint8_t		kind = ea_get_u8(r);
	uint8_t		bkind = ea_get_u8(r);
	uint8_t		ref = ea_get_u8(r);
	int64_t		n = ea_get_count(r, EA_MAX_COUNT);
	int64_t		nan = ea_get_count(r, EA_MAX_COUNT);
	int64_t		nulls = ea_get_count(r, EA_MAX_COUNT);
	int64_t		total = 0;
	EaStatus	st;

	memset(b, 0, sizeof(*b));
	b->mem = mem;
	if (r->bad || (version != EA_BASELINE_VERSION && version != EA_BASELINE_VERSION_WELFORD) ||
		kind != EA_KIND_BASELINE || ref > 1)
		return EA_ECORRUPT;
	*has_ref = ref;
	if (bkind == EA_BASELINE_NUMERIC)
	{
		uint32_t	nedges = ea_get_u32(r);
		double		stats[4] = {NAN, NAN, NAN, NAN};
		double	   *edges;
		EaMoments	moments;

		memset(&moments, 0, sizeof(moments));
		stats[0] = get_f64(r);
		stats[1] = get_f64(r);
		if (version == EA_BASELINE_VERSION_WELFORD)
		{
			stats[2] = get_f64(r);	/* mean and m2 */
			stats[3] = get_f64(r);
		}
		else if (!r->bad && (st = ea_moments_deserialize(&moments, &r->p, r->end, mem)) != EA_OK)
			return st;
		if (r->bad || nedges > EA_MAX_BINS ||
			(size_t) (r->end - r->p) < (size_t) nedges * 16 + 8)
		{
			ea_moments_free(&moments);
			return EA_ECORRUPT;		/* checked before allocating */
		}
		edges = ea_alloc(mem, sizeof(double) * (nedges ? nedges : 1));
		if (edges == NULL)
		{
			ea_moments_free(&moments);
			return EA_ENOMEM;
		}
		for (uint32_t k = 0; k < nedges; k++)
			edges[k] = get_f64(r);
		st = ea_baseline_init_numeric(b, edges, (int) nedges, mem);
		ea_free(mem, edges);
		if (st != EA_OK)
		{
			ea_moments_free(&moments);
			return st == EA_EPARAM ? EA_ECORRUPT : st;
		}
		if (version == EA_BASELINE_VERSION_WELFORD)
			ea_moments_free(&moments);
		else
		{
			ea_moments_free(&b->moments);
			b->moments = moments;
		}
		/* the bins add up to n exactly, without wrapping around on the way */
		for (uint32_t k = 0; k <= nedges; k++)
			if (!ea_add_count(&total, b->counts[k] = ea_get_count(r, EA_MAX_COUNT)))
				r->bad = 1;
		b->min = stats[0];
		b->max = stats[1];
		b->n = n;
		/* min and max are both known and ordered, or both unknown */
		if (!r->bad && (isnan(b->min) != isnan(b->max) ||
						(!isnan(b->min) && !(b->min <= b->max))))
			r->bad = 1;
		/* infinities lie in the outer bins */
		if (!r->bad && (b->moments.neg_inf > b->counts[0] ||
						b->moments.pos_inf > b->counts[ea_bin_right_closed(b->edges, b->nedges, INFINITY)]))
			r->bad = 1;
		if (!r->bad && version == EA_BASELINE_VERSION_WELFORD &&
			(stats[3] < 0.0 || ea_baseline_set_stats(b, stats[2], stats[3], 0, 0) != EA_OK))
			r->bad = 1;
		/* what the finals read of the moments agrees with the bins, min and max */
		if (!r->bad && total == n)
		{
			double		mean,
						m2,
						variance;

			ea_baseline_stats(b, &mean, &m2, &variance);
			if (!numeric_stats_valid(b, mean, m2))
				r->bad = 1;
		}
	}
	else if (bkind == EA_BASELINE_CATEGORICAL)
	{
		ea_baseline_init_categorical(b, mem);
		st = ea_keytab_deserialize(&b->cats, 1, &r->p, r->end, max_keys, mem);
		if (st != EA_OK)
		{
			r->bad = 1;
			return st == EA_ENOMEM ? st : EA_ECORRUPT;
		}
		for (int32_t i = 0; i < b->cats.nkeys; i++)
			if (!ea_add_count(&total, ea_keytab_counts(&b->cats, i)[0]))
				r->bad = 1;
		if (nan != 0)
			r->bad = 1;			/* text has no NaN */
	}
	else
		return EA_ECORRUPT;
	b->n = n;
	b->nan = nan;
	b->nulls = nulls;
	if (r->bad || total != n)
	{
		ea_baseline_free(b);
		return EA_ECORRUPT;
	}
	return EA_OK;
}

EaStatus
ea_baseline_deserialize(EaBaseline *b, const unsigned char *buf, size_t len, int32_t max_keys,
						EaMemory mem)
{
	EaReader	r = {buf, buf + len, 0};
	int			has_ref = 0,
				nested_ref = 0;
	EaStatus	st = read_body(&r, b, &has_ref, max_keys, mem);

	if (st != EA_OK)
		return st;
	if (has_ref)
	{
		EaBaseline *ref = ea_alloc(mem, sizeof(EaBaseline));

		if (ref == NULL)
		{
			ea_baseline_free(b);
			return EA_ENOMEM;
		}
		st = read_body(&r, ref, &nested_ref, max_keys, mem);
		if (st != EA_OK)
		{
			ea_free(mem, ref);
			ea_baseline_free(b);
			return st;
		}
		b->reference = ref;
		if (nested_ref || !ea_baseline_same_bins(b, ref))
			st = EA_ECORRUPT;
	}
	if (st == EA_OK && !ea_reader_done(&r))
		st = EA_ECORRUPT;
	if (st != EA_OK)
		ea_baseline_free(b);
	return st;
}

/* ---------- building at reference quantiles ---------- */

void
ea_baseline_build_init(EaBaselineBuild *s, int bins, EaMemory mem)
{
	memset(s, 0, sizeof(*s));
	ea_sample_init(&s->values, mem);
	s->bins = bins;
}

void
ea_baseline_build_free(EaBaselineBuild *s)
{
	ea_sample_free(&s->values);
}

EaStatus
ea_baseline_build_add(EaBaselineBuild *s, double x)
{
	if (isnan(x))
	{
		s->nan++;
		return EA_OK;
	}
	return ea_sample_push(&s->values, x);
}

EaStatus
ea_baseline_build_combine(EaBaselineBuild *a, const EaBaselineBuild *b)
{
	EaStatus	st;

	if (a->bins != b->bins)
		return EA_EPARAM;
	if ((st = ea_sample_append(&a->values, &b->values, 1)) != EA_OK)
		return st;
	a->nan += b->nan;
	a->nulls += b->nulls;
	return EA_OK;
}

EaStatus
ea_baseline_build_sort(EaBaselineBuild *s)
{
	return ea_sample_sort(&s->values);
}

EaStatus
ea_baseline_build_finish(EaBaselineBuild *s, EaBaseline *out, EaMemory mem)
{
	EaStatus	st = ea_sample_sort(&s->values);

	if (st == EA_OK)
		st = ea_baseline_from_sample(out, &s->values, s->bins, NULL, 0, mem);
	if (st == EA_OK)
	{
		out->nan = s->nan;
		out->nulls = s->nulls;
	}
	return st;
}

/* version, kind (u8 each), bins (u32), nan, nulls, n (i64), keys (u64 each) */
#define EA_BUILD_HEADER (2 + 4 + 3 * 8)

size_t
ea_baseline_build_serialized_size(const EaBaselineBuild *s)
{
	return EA_BUILD_HEADER + (size_t) s->values.n * 8;
}

void
ea_baseline_build_serialize(const EaBaselineBuild *s, unsigned char *buf)
{
	EaWriter	w = {buf, buf + ea_baseline_build_serialized_size(s)};

	ea_put_u8(&w, EA_STATE_VERSION);
	ea_put_u8(&w, EA_KIND_BASELINE_BUILD);
	ea_put_u32(&w, (uint32_t) s->bins);
	ea_put_i64(&w, s->nan);
	ea_put_i64(&w, s->nulls);
	ea_put_i64(&w, s->values.n);
	for (int64_t i = 0; i < s->values.n; i++)
		ea_put_u64(&w, s->values.keys[i]);
}

EaStatus
ea_baseline_build_deserialize(EaBaselineBuild *s, const unsigned char *buf, size_t len,
							  int64_t max_values, EaMemory mem)
{
	EaReader	r = {buf, buf + len, 0};
	uint8_t		version = ea_get_u8(&r);
	uint8_t		kind = ea_get_u8(&r);
	uint32_t	bins = ea_get_u32(&r);
	int64_t		nan = ea_get_count(&r, EA_MAX_COUNT);
	int64_t		nulls = ea_get_count(&r, EA_MAX_COUNT);
	int64_t		n = ea_get_count(&r, max_values);
	EaStatus	st;

	ea_baseline_build_init(s, 0, mem);
	if (r.bad || version != EA_STATE_VERSION || kind != EA_KIND_BASELINE_BUILD ||
		bins < 2 || bins > EA_MAX_BINS || (size_t) (r.end - r.p) != (size_t) n * 8)
		return EA_ECORRUPT;
	ea_baseline_build_init(s, (int) bins, mem);
	s->nan = nan;
	s->nulls = nulls;
	if ((st = ea_sample_reserve(&s->values, n)) != EA_OK)
		return st;
	s->values.nsorted = -1;
	for (int64_t i = 0; i < n; i++)
	{
		uint64_t	k = ea_get_u64(&r);
		double		x = ea_key_to_double(k);

		if (r.bad || isnan(x) || ea_key_from_double(x) != k)
		{
			ea_baseline_build_free(s);
			return EA_ECORRUPT;
		}
		if (s->values.nsorted < 0 && i > 0 && s->values.keys[i - 1] > k)
			s->values.nsorted = i;
		s->values.keys[s->values.n++] = k;
	}
	if (s->values.nsorted < 0)
		s->values.nsorted = n;
	return EA_OK;
}
