/*
 * fixed.h - exact sums of probabilities.
 *
 * A probability p in [0, 1] is stored as the integer floor(p * 2^63) and
 * summed in 128 bits.  Integer sums do not depend on the order of addition,
 * so serial, parallel and moving-window results are identical, and removing
 * a row undoes adding it exactly.  The truncation error is below 2^-63
 * (1.1e-19) per row, far under the 1e-12 the metrics are checked to.
 */
#ifndef EA_FIXED_H
#define EA_FIXED_H

#include <math.h>
#include <stdint.h>

typedef struct EaU128
{
	uint64_t	hi;
	uint64_t	lo;
} EaU128;

#define EA_FIXED_ONE_LOG2 63

static inline uint64_t
ea_fixed_from_prob(double p)
{
	/* scaling by a power of two is exact: ldexp(p, 63) without a library call */
	return (uint64_t) (p * (double) (UINT64_C(1) << EA_FIXED_ONE_LOG2));
}

static inline void
ea_u128_add64(EaU128 *a, uint64_t v)
{
	uint64_t	lo = a->lo + v;

	a->hi += (lo < a->lo);
	a->lo = lo;
}

static inline void
ea_u128_sub64(EaU128 *a, uint64_t v)
{
	a->hi -= (a->lo < v);
	a->lo -= v;
}

static inline void
ea_u128_add(EaU128 *a, EaU128 b)
{
	ea_u128_add64(a, b.lo);
	a->hi += b.hi;
}

/* the sum as a real number of probability units */
static inline double
ea_u128_to_prob(EaU128 a)
{
	return ldexp((double) a.hi, 64 - EA_FIXED_ONE_LOG2) +
		ldexp((double) a.lo, -EA_FIXED_ONE_LOG2);
}

#endif							/* EA_FIXED_H */
