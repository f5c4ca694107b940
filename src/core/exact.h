/*
 * exact.h - exact sums of doubles and of their squares: the mean and
 * variance of a numeric baseline without rounding error, however many rows
 * are added and removed (moving window frames) and in whatever order
 * partial states are merged.
 *
 * A double is an integer times a power of two, so a sum of doubles is an
 * integer in units of the smallest power any of them has (2^-1074 for
 * values, 2^-2148 for their squares).  It is kept as signed 32-bit pieces
 * ("limbs") in 64-bit words: an addition touches three words and carries
 * nothing, so it is cheap and undone exactly by the matching subtraction;
 * carries are propagated only every 2^28 rows and before a result is read.
 * Only the limbs a value has reached are allocated: for data of one scale,
 * a few words per sum.
 */
#ifndef EA_EXACT_H
#define EA_EXACT_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "ea_alloc.h"
#include "ea_inline.h"
#include "ea_status.h"

#if defined(__GNUC__) || defined(__clang__)
#define EA_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define EA_UNLIKELY(x) (x)
#endif

/* limb k of a sum holds multiples of 2^(32 k - base) */
#define EA_EXACT_SUM_BASE 1088	/* values: 2^-1074 .. 2^1024 times 2^63 rows */
#define EA_EXACT_SUM_LIMBS 69
#define EA_EXACT_SQ_BASE 2176	/* squares: 2^-2148 .. 2^2048 times 2^63 rows */
#define EA_EXACT_SQ_LIMBS 137

/* rows between carry propagations: each adds under 3 * 2^32 to a word */
#define EA_EXACT_PENDING_MAX (1 << 28)

typedef struct EaExact
{
	int64_t    *limb;			/* limbs lo .. lo + used - 1 */
	int32_t		lo;
	int32_t		used;
	int32_t		cap;
	int32_t		maxlimbs;		/* EA_EXACT_SUM_LIMBS or EA_EXACT_SQ_LIMBS */
	EaMemory	mem;			/* the limbs */
} EaExact;

/*
 * The first two moments of a column's finite values, exactly, with its
 * infinities counted apart (numpy: the mean is then infinite, or NaN with
 * both signs; the variance NaN).
 */
typedef struct EaMoments
{
	EaExact		sum;			/* sum of the finite values */
	EaExact		sumsq;			/* sum of their squares */
	int64_t		neg_inf;
	int64_t		pos_inf;
	int32_t		pending;		/* rows since the last carry propagation */
	int32_t		known;			/* 0: the finite sums are unknown */
} EaMoments;

/* zero sums whose limbs are allocated with mem */
extern EaStatus ea_moments_init(EaMoments *m, EaMemory mem);
extern void ea_moments_free(EaMoments *m);
extern EaStatus ea_moments_copy(EaMoments *dst, const EaMoments *src, EaMemory mem);
/* forget the finite sums (known = 0), keeping the infinity counts */
extern void ea_moments_forget(EaMoments *m);

/* slow paths of ea_moments_add */
extern EaStatus ea_exact_grow(EaExact *s, int32_t first, int32_t last);
extern EaStatus ea_moments_normalize(EaMoments *m);

/* adds (neg = 0) or subtracts (neg = 1) v * 2^p, p the bit in the limb space */
EA_HOT_INLINE EaStatus
ea_exact_add_bits(EaExact *s, uint64_t v, int32_t p, int neg)
{
	int32_t		k = (p >> 5) - s->lo;
	int			r = p & 31;
	uint64_t	low = v << r;
	int64_t		sign = -(int64_t) neg;
	int64_t		a0 = (int64_t) (low & 0xffffffffu),
				a1 = (int64_t) (low >> 32),
				a2 = (int64_t) ((v >> 1) >> (63 - r));	/* v >> (64 - r), 0 when r = 0 */

	if (EA_UNLIKELY(k < 0 || k + 3 > s->used))
	{
		EaStatus	st = ea_exact_grow(s, p >> 5, (p >> 5) + 2);

		if (st != EA_OK)
			return st;
		k = (p >> 5) - s->lo;
	}
	s->limb[k] += (a0 ^ sign) - sign;
	s->limb[k + 1] += (a1 ^ sign) - sign;
	s->limb[k + 2] += (a2 ^ sign) - sign;
	return EA_OK;
}

/* the slow path of ea_moments_add_finite: limbs to allocate first */
extern EaStatus ea_moments_add_growing(EaMoments *m, double x, int delta);

/*
 * One finite value more (delta = +1) or less (-1): three limbs of the sum
 * and five of the sum of squares updated, no carry, no branch on the data
 * once the limbs exist.
 */
EA_HOT_INLINE EaStatus
ea_moments_add_finite(EaMoments *m, double x, int delta)
{
	uint64_t	u;
	uint64_t	mant;
	int			bexp;
	int32_t		e,
				p1,
				p2,
				k1,
				k2;
	int			r1,
				r2;
	uint64_t	mh,
				ml,
				lo,
				mid,
				hi,
				v_s,
				lo_s,
				mid_s,
				hi_s;
	int64_t		sgn,
				sq_sgn;
	int64_t    *a,
			   *q;

	memcpy(&u, &x, sizeof(u));
	bexp = (int) ((u >> 52) & 0x7ff);
	mant = u & ((UINT64_C(1) << 52) - 1);
	if (bexp == 0)
	{
		if (mant == 0)
			return EA_OK;		/* zero adds nothing */
		bexp = 1;				/* subnormal */
	}
	else
		mant |= UINT64_C(1) << 52;
	e = bexp - 1075;			/* |x| = mant * 2^e */
	p1 = e + EA_EXACT_SUM_BASE;
	p2 = 2 * e + EA_EXACT_SQ_BASE;
	k1 = (p1 >> 5) - m->sum.lo;
	k2 = (p2 >> 5) - m->sumsq.lo;
	if (EA_UNLIKELY(++m->pending >= EA_EXACT_PENDING_MAX ||
					k1 < 0 || k1 + 3 > m->sum.used || k2 < 0 || k2 + 5 > m->sumsq.used))
		return ea_moments_add_growing(m, x, delta);
	r1 = p1 & 31;
	r2 = p2 & 31;
	/* subtracting: (v ^ -1) + 1 = -v */
	sq_sgn = -(int64_t) (delta < 0);
	sgn = -(int64_t) ((int) (u >> 63) ^ (delta < 0));

	/* the value: mant << r1 over three limbs ((v >> 1) >> (63 - r) is v >> (64 - r), 0 at r = 0) */
	a = m->sum.limb + k1;
	v_s = mant << r1;
	a[0] += ((int64_t) (v_s & 0xffffffffu) ^ sgn) - sgn;
	a[1] += ((int64_t) (v_s >> 32) ^ sgn) - sgn;
	a[2] += ((int64_t) ((mant >> 1) >> (63 - r1)) ^ sgn) - sgn;

	/*
	 * its square: mant^2 = hi 2^64 + mid 2^32 + lo with lo = ml^2, mid =
	 * 2 mh ml, hi = mh^2 (each under 2^64), shifted by r2 and gathered into
	 * five limbs, each part under 3 * 2^32
	 */
	mh = mant >> 32;
	ml = mant & 0xffffffffu;
	lo = ml * ml;
	mid = 2 * mh * ml;
	hi = mh * mh;
	lo_s = lo << r2;
	mid_s = mid << r2;
	hi_s = hi << r2;
	q = m->sumsq.limb + k2;
	q[0] += ((int64_t) (lo_s & 0xffffffffu) ^ sq_sgn) - sq_sgn;
	q[1] += ((int64_t) ((lo_s >> 32) + (mid_s & 0xffffffffu)) ^ sq_sgn) - sq_sgn;
	q[2] += ((int64_t) (((lo >> 1) >> (63 - r2)) + (mid_s >> 32) + (hi_s & 0xffffffffu)) ^ sq_sgn) - sq_sgn;
	q[3] += ((int64_t) (((mid >> 1) >> (63 - r2)) + (hi_s >> 32)) ^ sq_sgn) - sq_sgn;
	q[4] += ((int64_t) ((hi >> 1) >> (63 - r2)) ^ sq_sgn) - sq_sgn;
	return EA_OK;
}

/* one value more or less; NaN is the caller's */
EA_HOT_INLINE EaStatus
ea_moments_add(EaMoments *m, double x, int delta)
{
	if (EA_UNLIKELY(x == INFINITY))
	{
		m->pos_inf += delta;
		return EA_OK;
	}
	if (EA_UNLIKELY(x == -INFINITY))
	{
		m->neg_inf += delta;
		return EA_OK;
	}
	return ea_moments_add_finite(m, x, delta);
}

/* a += b */
extern EaStatus ea_moments_combine(EaMoments *a, const EaMoments *b);

/*
 * From a mean and a sum of squared deviations of n finite values (the
 * earlier serialized form and the text form): the sums that give them back.
 * Exact but for products below the smallest subnormal.
 */
extern EaStatus ea_moments_from_mean_m2(EaMoments *m, int64_t n, double mean, double m2);

/*
 * Mean, sum of squared deviations and variance (ddof = 1) of the nfinite
 * finite values, as numpy's mean, n * var and var(ddof=1): *mean is
 * +-Infinity with infinities of one sign, NaN with both; *m2 and *variance
 * NaN with any infinity. NaN when unknown, or for the variance below two
 * values. Each is the exact value rounded once (to about 2^-100 before it).
 */
extern void ea_moments_result(const EaMoments *m, int64_t nfinite, double *mean, double *m2,
							  double *variance);

/* serialized: known (u8), neg_inf, pos_inf (i64), then each sum as lo (u32), used (u32), limbs (i64) */
extern size_t ea_moments_serialized_size(const EaMoments *m);
extern unsigned char *ea_moments_serialize(const EaMoments *m, unsigned char *buf);
/* reads it back, checking every limb and range; *p advanced */
extern EaStatus ea_moments_deserialize(EaMoments *m, const unsigned char **p,
									   const unsigned char *end, EaMemory mem);

#endif							/* EA_EXACT_H */
