/*
 * sums.h - compensated sums of doubles, for metrics whose per-row terms are
 * not bounded probabilities (log loss, absolute and squared errors).
 *
 * The sum is kept as an unevaluated pair hi + lo (Knuth's TwoSum), so its
 * error does not grow with the row count and the result rounds to the same
 * double whatever order rows and partial states arrive in, except in
 * vanishingly rare ties.  A sum of finite terms that overflows is +inf, as
 * numpy's is.
 */
#ifndef EA_SUMS_H
#define EA_SUMS_H

#include <math.h>

typedef struct EaSum
{
	double		hi;
	double		lo;
} EaSum;

static inline void
ea_sum_add(EaSum *s, double x)
{
	double		t = s->hi + x;
	double		bp = t - s->hi;
	double		err = (s->hi - (t - bp)) + (x - bp);

	s->hi = t;
	s->lo += err;
}

static inline void
ea_sum_combine(EaSum *a, EaSum b)
{
	ea_sum_add(a, b.hi);
	ea_sum_add(a, b.lo);
}

/*
 * Once hi overflows to infinity, lo holds inf - inf = NaN: the sum is hi.
 * Checked here, in the final function, not on every added term.
 */
static inline double
ea_sum_value(EaSum s)
{
	return isinf(s.hi) ? s.hi : s.hi + s.lo;
}

#endif							/* EA_SUMS_H */
