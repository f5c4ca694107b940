/*
 * sample.h - a growable multiset of doubles kept exactly, for the metrics
 * that need every value (KS, quantile bin edges).
 *
 * Values are stored as order-preserving 64-bit keys: comparing two keys as
 * unsigned integers orders them as the doubles they encode, with -0 folded
 * into +0 so that ties behave as in SQL.  Integer keys sort with a radix
 * sort in linear time, which keeps the final functions cheap on large
 * tables.  NaN is never stored (callers count it separately).
 */
#ifndef EA_SAMPLE_H
#define EA_SAMPLE_H

#include <stdint.h>
#include <string.h>

#include "ea_alloc.h"
#include "ea_status.h"

typedef struct EaSample
{
	uint64_t   *keys;
	int64_t		n;
	int64_t		cap;
	int64_t		nsorted;		/* keys[0 .. nsorted) are ascending */
	EaMemory	mem;			/* the keys' and the sort's scratch */
} EaSample;

#define EA_SIGN_BIT UINT64_C(0x8000000000000000)

static inline uint64_t
ea_key_from_double(double x)
{
	uint64_t	u;

	if (x == 0.0)
		x = 0.0;				/* fold -0 into +0 */
	memcpy(&u, &x, sizeof(u));
	return (u & EA_SIGN_BIT) ? ~u : (u | EA_SIGN_BIT);
}

static inline double
ea_key_to_double(uint64_t k)
{
	uint64_t	u = (k & EA_SIGN_BIT) ? (k & ~EA_SIGN_BIT) : ~k;
	double		x;

	memcpy(&x, &u, sizeof(x));
	return x;
}

/* an empty sample that allocates with mem */
extern void ea_sample_init(EaSample *s, EaMemory mem);
extern EaStatus ea_sample_reserve(EaSample *s, int64_t extra);
/*
 * dst += src. With `merge`, two sorted samples are merged so the result
 * stays sorted; without, src is appended after dst's sorted prefix and sorted
 * only if and when a final function needs it.
 */
extern EaStatus ea_sample_append(EaSample *dst, const EaSample *src, int merge);
extern EaStatus ea_sample_sort(EaSample *s);
/* frees the keys; the sample is empty again, with the same memory */
extern void ea_sample_free(EaSample *s);

/* add one value; the caller has excluded NaN */
static inline EaStatus
ea_sample_push(EaSample *s, double x)
{
	if (s->n == s->cap)
	{
		EaStatus	st = ea_sample_reserve(s, 1);

		if (st != EA_OK)
			return st;
	}
	s->keys[s->n++] = ea_key_from_double(x);
	return EA_OK;
}

/*
 * Number of stored values <= x, or < x when strict; the sample must be
 * sorted.  Binary search on keys.
 */
extern int64_t ea_sample_rank(const EaSample *s, double x, int strict);

/* linear-interpolation quantile (numpy 'linear') of a sorted, non-empty sample */
extern double ea_sample_quantile(const EaSample *s, double prob);

/*
 * Its two steps, for callers that find the order statistics another way
 * (a baseline captured in passes over a distributed table): quantile prob
 * of n sorted values x_0..x_{n-1} lies at x_lo + t (x_{lo+1} - x_lo), where
 * ea_quantile_position returns t and sets lo (lo >= n - 1: x_{n-1} itself);
 * ea_quantile_between(x_lo, x_{lo+1}, t) is the value.  x_{lo+1} is not
 * read when t is 0.
 */
extern double ea_quantile_position(int64_t n, double prob, int64_t *lo);
extern double ea_quantile_between(double a, double b, double t);

#endif							/* EA_SAMPLE_H */
