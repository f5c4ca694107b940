/*
 * confusion.h - the "group confusion counts" state: per group, exact counts
 * of true positives, false negatives, false positives and true negatives.
 */
#ifndef EA_CONFUSION_H
#define EA_CONFUSION_H

#include <stddef.h>
#include <stdint.h>

#include "ea_status.h"
#include "keytab.h"

enum
{
	EA_TP = 0,
	EA_FN = 1,
	EA_FP = 2,
	EA_TN = 3,
	EA_CONFUSION_WIDTH = 4
};

typedef struct EaConfusion
{
	EaKeytab	groups;
	int64_t		min_count;		/* the aggregate's minimum group count option */
} EaConfusion;

/* an empty state whose table allocates with mem */
extern void ea_confusion_init(EaConfusion *c, int64_t min_count, EaMemory mem);
extern void ea_confusion_free(EaConfusion *c);

/* TP, FN, FP, TN are 0..3: truth picks the pair, prediction the member */
EA_HOT_INLINE int
ea_confusion_cell(int y_true, int y_pred)
{
	return ((!y_true) << 1) | (!y_pred);
}

/* the four counters of a group already seen, or NULL */
EA_HOT_INLINE int64_t *
ea_confusion_find(EaConfusion *c, const char *group, uint32_t len)
{
	int32_t		i = ea_keytab_find(&c->groups, group, len);

	return i >= 0 ? ea_keytab_counts(&c->groups, i) : NULL;
}

/* the four counters of a group, added with zero counts if new */
extern EaStatus ea_confusion_group(EaConfusion *c, const char *group, uint32_t len,
								   int32_t max_groups, int64_t **counts);

/* one row more (delta = +1) or, for moving window frames, less (-1) */
static inline EaStatus
ea_confusion_add(EaConfusion *c, const char *group, uint32_t len,
				 int y_true, int y_pred, int delta, int32_t max_groups)
{
	int64_t    *k = ea_confusion_find(c, group, len);

	if (k == NULL)
	{
		EaStatus	st = ea_confusion_group(c, group, len, max_groups, &k);

		if (st != EA_OK)
			return st;
	}
	k[ea_confusion_cell(y_true, y_pred)] += delta;
	return EA_OK;
}

extern EaStatus ea_confusion_combine(EaConfusion *a, const EaConfusion *b, int32_t max_groups);

extern size_t ea_confusion_serialized_size(const EaConfusion *c);
extern void ea_confusion_serialize(const EaConfusion *c, unsigned char *buf);
extern EaStatus ea_confusion_deserialize(EaConfusion *c, const unsigned char *buf,
										 size_t len, int32_t max_groups, EaMemory mem);

/* the rates a group's confusion counts define */
typedef enum EaRate
{
	EA_RATE_TPR,				/* TP / (TP + FN), recall */
	EA_RATE_FPR,				/* FP / (FP + TN) */
	EA_RATE_FNR,				/* FN / (FN + TP) */
	EA_RATE_SELECTION,			/* (TP + FP) / n */
	EA_RATE_PRECISION,			/* TP / (TP + FP) */
	EA_RATE_ACCURACY,			/* (TP + TN) / n */
	EA_RATE_F1					/* 2 TP / (2 TP + FP + FN) */
} EaRate;

/* numerator and denominator of a rate over counts k[EA_TP .. EA_TN] */
extern void ea_rate_parts(const int64_t *k, EaRate rate, int64_t *num, int64_t *den);

/* the rate over every group pooled; *defined = 0 when its denominator is 0 */
extern double ea_confusion_rate(const EaConfusion *c, EaRate rate, int *defined);

/*
 * Smallest and largest rate over the groups whose denominator is at least
 * max(1, min_denominator); `groups` counts them.
 */
typedef struct EaRateRange
{
	double		min;
	double		max;
	int32_t		groups;
} EaRateRange;

extern EaRateRange ea_confusion_rate_range(const EaConfusion *c, EaRate rate,
										   int64_t min_denominator);

/*
 * max_g TPR_g - min_g TPR_g over the groups with at least max(1,
 * min_count) positives; *defined = 0 when fewer than two qualify.
 */
extern double ea_confusion_tpr_gap(const EaConfusion *c, int *defined);

/* TP, FN, FP, TN summed over every group */
extern void ea_confusion_totals(const EaConfusion *c, int64_t totals[EA_CONFUSION_WIDTH]);

/*
 * Wilson score interval of k successes in n trials (n > 0) at the 95% level,
 * z = 1.959963984540054.
 */
extern void ea_wilson_interval(int64_t k, int64_t n, double *lo, double *hi);

#endif							/* EA_CONFUSION_H */
