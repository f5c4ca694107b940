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
	int64_t		min_positives;	/* a group needs this many positives to count */
} EaConfusion;

extern void ea_confusion_init(EaConfusion *c, int64_t min_positives);
extern void ea_confusion_free(EaConfusion *c);

static inline EaStatus
ea_confusion_add(EaConfusion *c, const char *group, uint32_t len,
				 int y_true, int y_pred, int32_t max_groups)
{
	int32_t		i;
	EaStatus	st = ea_keytab_lookup(&c->groups, group, len, max_groups, &i);

	if (st != EA_OK)
		return st;
	ea_keytab_counts(&c->groups, i)[y_true ? (y_pred ? EA_TP : EA_FN)
									: (y_pred ? EA_FP : EA_TN)]++;
	return EA_OK;
}

extern EaStatus ea_confusion_combine(EaConfusion *a, const EaConfusion *b, int32_t max_groups);

extern size_t ea_confusion_serialized_size(const EaConfusion *c);
extern void ea_confusion_serialize(const EaConfusion *c, unsigned char *buf);
extern EaStatus ea_confusion_deserialize(EaConfusion *c, const unsigned char *buf,
										 size_t len, int32_t max_groups);

/*
 * max_g TPR_g - min_g TPR_g over the groups with at least max(1,
 * min_positives) positives; *defined = 0 when fewer than two qualify.
 */
extern double ea_confusion_tpr_gap(const EaConfusion *c, int *defined);

/* TP, FN, FP, TN summed over every group */
extern void ea_confusion_totals(const EaConfusion *c, int64_t totals[EA_CONFUSION_WIDTH]);

/* num / (num + other) of the pooled counts; *defined = 0 when that is 0 / 0 */
extern double ea_confusion_rate(const EaConfusion *c, int num, int other, int *defined);

#endif							/* EA_CONFUSION_H */
