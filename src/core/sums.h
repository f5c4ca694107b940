/*
 * sums.h - compensated sums of doubles, for metrics whose per-row terms are
 * not bounded probabilities (log loss, absolute and squared errors).
 *
 * The sum is kept as an unevaluated pair hi + lo (Knuth's TwoSum), so its
 * error does not grow with the row count and the result rounds to the same
 * double whatever order rows and partial states arrive in, except in
 * vanishingly rare ties.
 */
#ifndef EA_SUMS_H
#define EA_SUMS_H

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

static inline double
ea_sum_value(EaSum s)
{
	return s.hi + s.lo;
}

#endif							/* EA_SUMS_H */
