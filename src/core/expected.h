/*
 * expected.h - the "expected confusion" state: what the confusion matrix of
 * a binary classifier is expected to be, from its calibrated probabilities
 * alone, before any label is known (confidence-based performance
 * estimation, CBPE).
 *
 * A row with probability p is predicted positive when p >= cutoff.  If p is
 * calibrated, it is a true positive with probability p and a false positive
 * with probability 1 - p; predicted negative, a false negative with
 * probability p and a true negative with 1 - p.  The state keeps, for each
 * side of the cutoff, the row count and the exact sum of p (fixed.h), so
 * the four expected cells are
 *
 *   E[TP] = sum_pos   E[FP] = n_pos - sum_pos
 *   E[FN] = sum_neg   E[TN] = n_neg - sum_neg
 *
 * 56 bytes, constant memory; serial, parallel and merged results are the
 * same to the bit.
 */
#ifndef EA_EXPECTED_H
#define EA_EXPECTED_H

#include <stddef.h>
#include <stdint.h>

#include "ea_status.h"
#include "fixed.h"

#define EA_DEFAULT_CUTOFF 0.5

typedef struct EaExpected
{
	double		cutoff;			/* predicted positive: p >= cutoff */
	int64_t		n_pos;			/* rows predicted positive */
	int64_t		n_neg;			/* rows predicted negative */
	EaU128		sum_pos;		/* sum of p over them, fixed point */
	EaU128		sum_neg;
} EaExpected;

/* an empty state; cutoff must be in [0, 1] (the caller checks) */
extern void ea_expected_init(EaExpected *e, double cutoff);

/* one row; p in [0, 1] (the caller checks) */
static inline void
ea_expected_add(EaExpected *e, double p)
{
	if (p >= e->cutoff)
	{
		e->n_pos++;
		ea_u128_add64(&e->sum_pos, ea_fixed_from_prob(p));
	}
	else
	{
		e->n_neg++;
		ea_u128_add64(&e->sum_neg, ea_fixed_from_prob(p));
	}
}

/* a += b; EA_EPARAM when their cutoffs differ, EA_ELIMIT past the count limit */
extern EaStatus ea_expected_combine(EaExpected *a, const EaExpected *b);

/*
 * The estimates, NULL-like (*defined = 0) when their denominator is empty:
 *   accuracy  (E[TP] + E[TN]) / n                  no rows
 *   precision E[TP] / (E[TP] + E[FP])              no row predicted positive
 *   recall    E[TP] / (E[TP] + E[FN])              sum of p is 0
 *   f1        2 E[TP] / (2 E[TP] + E[FP] + E[FN])  no row predicted positive and sum of p 0
 * Each numerator and denominator is formed exactly, then divided once.
 */
extern double ea_expected_accuracy(const EaExpected *e, int *defined);
extern double ea_expected_precision(const EaExpected *e, int *defined);
extern double ea_expected_recall(const EaExpected *e, int *defined);
extern double ea_expected_f1(const EaExpected *e, int *defined);

#define EA_EXPECTED_SERIALIZED_SIZE (2 + 8 + 2 * 8 + 4 * 8)
extern void ea_expected_serialize(const EaExpected *e, unsigned char *buf);

/* refuses any input that is not a state the aggregate could have built */
extern EaStatus ea_expected_deserialize(EaExpected *e, const unsigned char *buf, size_t len);

#endif							/* EA_EXPECTED_H */
