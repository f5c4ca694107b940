/*
 * unit.h - a minimal TAP producer for the C unit tests of the numeric core.
 *
 * Each test program prints "ok N - name" / "not ok N - name" lines and a
 * closing plan, so `prove` reads the results.  Only the pure core is linked:
 * no PostgreSQL server is needed.
 */
#ifndef EA_UNIT_H
#define EA_UNIT_H

#include <math.h>
#include <stdio.h>

#include "alloc_malloc.h"

static int	unit_count = 0;
static int	unit_failed = 0;

static inline void
unit_ok(int cond, const char *name)
{
	unit_count++;
	if (!cond)
		unit_failed++;
	printf("%sok %d - %s\n", cond ? "" : "not ", unit_count, name);
}

/* |got - want| <= tol, or both NaN; prints both on failure */
static inline void
unit_near(double got, double want, double tol, const char *name)
{
	int			cond;

	if (isnan(want))
		cond = isnan(got);
	else if (isinf(want))
		cond = (got == want);
	else
		cond = fabs(got - want) <= tol;
	unit_ok(cond, name);
	if (!cond)
		printf("#   got %.17g, want %.17g (tol %g)\n", got, want, tol);
}

/* relative closeness, for values spanning many orders of magnitude */
static inline void
unit_rel(double got, double want, double rtol, const char *name)
{
	double		scale = fabs(want) > 0 ? fabs(want) : 1.0;

	unit_near(got, want, rtol * scale, name);
}

static inline int
unit_done(void)
{
	printf("1..%d\n", unit_count);
	return unit_failed ? 1 : 0;
}

#endif							/* EA_UNIT_H */
