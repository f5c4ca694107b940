/*
 * categorical.h - the "binned two-sample counts" state for text values:
 * one bin per distinct category, with reference and current counts.
 */
#ifndef EA_CATEGORICAL_H
#define EA_CATEGORICAL_H

#include <stddef.h>
#include <stdint.h>

#include "divergence.h"
#include "ea_status.h"
#include "keytab.h"
#include "twosample.h"

typedef struct EaCategorical
{
	EaKeytab	tab;			/* counters: [0] reference, [1] current */
	int64_t		nref;
	int64_t		ncur;
	uint8_t		binning;		/* EA_BINNING_EVIDENTLY changes the zero rule */
	uint8_t		test;			/* drift_test's forced EaDriftTest; 0: automatic */
} EaCategorical;

/* an empty state whose table allocates with mem */
extern void ea_categorical_init(EaCategorical *c, EaBinning binning, EaMemory mem);
extern void ea_categorical_free(EaCategorical *c);

static inline EaStatus
ea_categorical_add(EaCategorical *c, const char *key, uint32_t len,
				   int is_reference, int32_t max_keys)
{
	int32_t		i;
	EaStatus	st = ea_keytab_lookup(&c->tab, key, len, max_keys, &i);

	if (st != EA_OK)
		return st;
	ea_keytab_counts(&c->tab, i)[is_reference ? 0 : 1]++;
	if (is_reference)
		c->nref++;
	else
		c->ncur++;
	return EA_OK;
}

extern EaStatus ea_categorical_combine(EaCategorical *a, const EaCategorical *b,
									   int32_t max_keys);

extern size_t ea_categorical_serialized_size(const EaCategorical *c);
extern void ea_categorical_serialize(const EaCategorical *c, unsigned char *buf);
extern EaStatus ea_categorical_deserialize(EaCategorical *c, const unsigned char *buf,
										   size_t len, int32_t max_keys, EaMemory mem);

/* counts per category in byte order of the categories, in the state's memory */
extern EaStatus ea_categorical_bin(const EaCategorical *c, EaBinned *out);
extern EaStatus ea_categorical_divergence(const EaCategorical *c, EaDivergence which,
										  double *result, int *defined);

/* chi-square test of homogeneity of reference vs current category counts */
extern EaStatus ea_categorical_chi2(const EaCategorical *c, double *statistic, double *p_value,
									int *dof, int *defined);

/* current rows whose category never occurs in the reference */
extern int64_t ea_categorical_unseen(const EaCategorical *c);

#endif							/* EA_CATEGORICAL_H */
