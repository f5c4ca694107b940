/*
 * average.h - the "average of per-row losses" state: a row count and a
 * compensated sum, for brier_score, log_loss, mae and rmse.  16 bytes of
 * sums, constant memory.
 */
#ifndef EA_AVERAGE_H
#define EA_AVERAGE_H

#include <stddef.h>
#include <stdint.h>

#include "ea_status.h"
#include "sums.h"

typedef struct EaAverage
{
	int64_t		n;
	EaSum		sum;
} EaAverage;

/* sklearn clips probabilities to [eps, 1 - eps] before taking logarithms */
#define EA_LOG_LOSS_EPS 2.220446049250313e-16

static inline void
ea_average_add(EaAverage *a, double term)
{
	a->n++;
	ea_sum_add(&a->sum, term);
}

static inline void
ea_average_combine(EaAverage *a, const EaAverage *b)
{
	a->n += b->n;
	ea_sum_combine(&a->sum, b->sum);
}

/* the per-row terms */
extern double ea_brier_term(int y, double p);
extern double ea_log_loss_term(int y, double p);

#define EA_AVERAGE_SERIALIZED_SIZE (2 + 3 * 8)
extern void ea_average_serialize(const EaAverage *a, unsigned char *buf);
extern EaStatus ea_average_deserialize(EaAverage *a, const unsigned char *buf, size_t len);

#endif							/* EA_AVERAGE_H */
