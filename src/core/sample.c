/*
 * sample.c - growable exact samples and their linear-time sort.
 */
#include "sample.h"

#include <math.h>

#include "ea_alloc.h"

#define EA_SAMPLE_MIN_CAP 1024
#define EA_RADIX_BITS 11
#define EA_RADIX_SIZE (1 << EA_RADIX_BITS)
#define EA_RADIX_PASSES 6		/* 6 * 11 >= 64 */
#define EA_SMALL_SORT 64

void
ea_sample_init(EaSample *s, EaMemory mem)
{
	memset(s, 0, sizeof(*s));
	s->mem = mem;
}

EaStatus
ea_sample_reserve(EaSample *s, int64_t extra)
{
	int64_t		need = s->n + extra;
	int64_t		cap;
	uint64_t   *keys;

	if (need <= s->cap)
		return EA_OK;
	if (need > INT64_MAX / 2 / (int64_t) sizeof(uint64_t))
		return EA_ELIMIT;
	/* grow geometrically so that pushes are amortised O(1) */
	cap = s->cap < EA_SAMPLE_MIN_CAP ? EA_SAMPLE_MIN_CAP : s->cap;
	while (cap < need)
		cap *= 2;
	if (s->keys == NULL)
		keys = ea_alloc(s->mem, (size_t) cap * sizeof(uint64_t));
	else
		keys = ea_realloc(s->mem, s->keys, (size_t) cap * sizeof(uint64_t));
	if (keys == NULL)
		return EA_ENOMEM;
	s->keys = keys;
	s->cap = cap;
	return EA_OK;
}

EaStatus
ea_sample_append(EaSample *dst, const EaSample *src, int merge)
{
	EaStatus	st;

	if (src->n == 0)
		return EA_OK;
	st = ea_sample_reserve(dst, src->n);
	if (st != EA_OK)
		return st;
	if (merge && dst->n > 0 && dst->nsorted == dst->n && src->nsorted == src->n)
	{
		/*
		 * Both sorted (parallel workers sort before serializing): merge from
		 * the back into dst's free tail, so the result stays sorted and the
		 * final function has nothing left to sort.
		 */
		int64_t		i = dst->n - 1,
					j = src->n - 1,
					k = dst->n + src->n - 1;

		while (j >= 0)
			dst->keys[k--] = (i >= 0 && dst->keys[i] > src->keys[j])
				? dst->keys[i--] : src->keys[j--];
		dst->n += src->n;
		dst->nsorted = dst->n;
		return EA_OK;
	}
	memcpy(dst->keys + dst->n, src->keys, (size_t) src->n * sizeof(uint64_t));
	if (dst->nsorted == dst->n && dst->n == 0)
		dst->nsorted = src->nsorted;
	dst->n += src->n;
	return EA_OK;
}

void
ea_sample_free(EaSample *s)
{
	if (s->keys)
		ea_free(s->mem, s->keys);
	ea_sample_init(s, s->mem);
}

static void
insertion_sort(uint64_t *a, int64_t n)
{
	for (int64_t i = 1; i < n; i++)
	{
		uint64_t	k = a[i];
		int64_t		j = i;

		while (j > 0 && a[j - 1] > k)
		{
			a[j] = a[j - 1];
			j--;
		}
		a[j] = k;
	}
}

/*
 * LSD radix sort, 11 bits a pass.  One counting pass fills every digit's
 * histogram; a digit on which all keys agree (common in the high bits of
 * probabilities or bounded features) is skipped.
 */
static EaStatus
radix_sort(uint64_t *a, int64_t n, EaMemory mem)
{
	int64_t    *counts;
	uint64_t   *tmp;
	uint64_t   *src = a;
	uint64_t   *dst;

	if (n < EA_SMALL_SORT)
	{
		insertion_sort(a, n);
		return EA_OK;
	}
	counts = ea_alloc(mem, sizeof(int64_t) * EA_RADIX_PASSES * EA_RADIX_SIZE);
	if (counts == NULL)
		return EA_ENOMEM;
	tmp = ea_alloc(mem, (size_t) n * sizeof(uint64_t));
	if (tmp == NULL)
	{
		ea_free(mem, counts);
		return EA_ENOMEM;
	}
	memset(counts, 0, sizeof(int64_t) * EA_RADIX_PASSES * EA_RADIX_SIZE);
	for (int64_t i = 0; i < n; i++)
	{
		uint64_t	k = a[i];

		for (int p = 0; p < EA_RADIX_PASSES; p++)
			counts[p * EA_RADIX_SIZE + ((k >> (p * EA_RADIX_BITS)) & (EA_RADIX_SIZE - 1))]++;
	}
	dst = tmp;
	for (int p = 0; p < EA_RADIX_PASSES; p++)
	{
		int64_t    *c = counts + p * EA_RADIX_SIZE;
		int			shift = p * EA_RADIX_BITS;
		int64_t		sum = 0;
		uint64_t   *swap;

		if (c[(src[0] >> shift) & (EA_RADIX_SIZE - 1)] == n)
			continue;			/* every key has the same digit here */
		for (int d = 0; d < EA_RADIX_SIZE; d++)
		{
			int64_t		t = c[d];

			c[d] = sum;
			sum += t;
		}
		for (int64_t i = 0; i < n; i++)
		{
			uint64_t	k = src[i];

			dst[c[(k >> shift) & (EA_RADIX_SIZE - 1)]++] = k;
		}
		swap = src;
		src = dst;
		dst = swap;
	}
	if (src != a)
		memcpy(a, src, (size_t) n * sizeof(uint64_t));
	ea_free(mem, tmp);
	ea_free(mem, counts);
	return EA_OK;
}

/*
 * Sort the sample.  Values appended after an earlier sort (a growing window
 * frame) are sorted on their own and merged into the sorted prefix, so a
 * final function called once per row costs O(new + n), not O(n log n).
 */
EaStatus
ea_sample_sort(EaSample *s)
{
	int64_t		m = s->nsorted;
	int64_t		n = s->n;
	uint64_t   *prefix;
	uint64_t   *a = s->keys;
	int64_t		i,
				j,
				k;
	EaStatus	st;

	if (m >= n)
		return EA_OK;
	st = radix_sort(a + m, n - m, s->mem);
	if (st != EA_OK)
		return st;
	if (m > 0 && a[m - 1] > a[m])
	{
		/* merge: copy the prefix out, then fill from the front */
		prefix = ea_alloc(s->mem, (size_t) m * sizeof(uint64_t));
		if (prefix == NULL)
			return EA_ENOMEM;
		memcpy(prefix, a, (size_t) m * sizeof(uint64_t));
		i = 0;
		j = m;
		k = 0;
		while (i < m && j < n)
			a[k++] = (prefix[i] <= a[j]) ? prefix[i++] : a[j++];
		while (i < m)
			a[k++] = prefix[i++];
		ea_free(s->mem, prefix);
	}
	s->nsorted = n;
	return EA_OK;
}

int64_t
ea_sample_rank(const EaSample *s, double x, int strict)
{
	uint64_t	key = ea_key_from_double(x);
	int64_t		lo = 0,
				hi = s->n;

	/* first index whose key is > key (or >= key when strict) */
	while (lo < hi)
	{
		int64_t		mid = lo + (hi - lo) / 2;
		int			before = strict ? (s->keys[mid] < key) : (s->keys[mid] <= key);

		if (before)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

double
ea_sample_quantile(const EaSample *s, double prob)
{
	int64_t		lo;
	double		t = ea_quantile_position(s->n, prob, &lo);

	if (lo >= s->n - 1)
		return ea_key_to_double(s->keys[s->n - 1]);
	return ea_quantile_between(ea_key_to_double(s->keys[lo]),
							   ea_key_to_double(s->keys[lo + 1]), t);
}

double
ea_quantile_position(int64_t n, double prob, int64_t *lo)
{
	double		h = prob * (double) (n - 1);

	*lo = (int64_t) floor(h);
	return h - (double) *lo;
}

double
ea_quantile_between(double a, double b, double t)
{
	if (t == 0.0 || a == b)
		return a;
	if (isinf(a) || isinf(b))
		return b;				/* never interpolate towards infinity: no NaN edges */
	/* numpy's lerp: exact at both ends, monotone in t */
	if (t < 0.5)
		return a + (b - a) * t;
	return b - (b - a) * (1.0 - t);
}
