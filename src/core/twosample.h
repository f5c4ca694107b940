/*
 * twosample.h - the "kept values" state: every reference and current value,
 * for exact KS and for PSI / JS divergence on quantile or sturges bins.
 *
 * Memory: 8 bytes per value while aggregating (amortised growth up to 2x),
 * plus 8 bytes per value of one sample while the final function sorts it.
 */
#ifndef EA_TWOSAMPLE_H
#define EA_TWOSAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include "divergence.h"
#include "ea_alloc.h"
#include "ea_status.h"
#include "sample.h"

typedef enum EaBinning
{
	EA_BINNING_QUANTILE = 0,	/* reference quantiles, `bins` bins */
	EA_BINNING_EVIDENTLY = 1	/* Evidently 0.7: distinct values or sturges */
} EaBinning;

#define EA_DEFAULT_BINS 10

typedef struct EaTwoSample
{
	EaSample	ref;
	EaSample	cur;
	int64_t		nan_ref;		/* NaN values seen, never binned */
	int64_t		nan_cur;
	int32_t		bins;
	uint8_t		binning;
	uint8_t		test;			/* drift_test's forced EaDriftTest; 0: automatic */
} EaTwoSample;

/* bin counts of both samples over shared bins, in the memory of the state binned */
typedef struct EaBinned
{
	int			nbins;
	int64_t    *ref;
	int64_t    *cur;
	int64_t		nref;
	int64_t		ncur;
	EaMemory	mem;
} EaBinned;

/* an empty state whose samples allocate with mem */
extern void ea_twosample_init(EaTwoSample *s, EaBinning binning, int bins, EaMemory mem);
extern void ea_twosample_free(EaTwoSample *s);

static inline EaStatus
ea_twosample_add(EaTwoSample *s, double x, int is_reference)
{
	if (x != x)
	{
		if (is_reference)
			s->nan_ref++;
		else
			s->nan_cur++;
		return EA_OK;
	}
	return ea_sample_push(is_reference ? &s->ref : &s->cur, x);
}

/* a += b; EA_EPARAM when they were built with different options */
extern EaStatus ea_twosample_combine(EaTwoSample *a, const EaTwoSample *b);

/*
 * Sort the reference sample in place. Parallel workers call it before
 * serializing, so the sorting runs in every worker at once and the leader
 * only merges; the current sample is sorted, if at all, by the final function.
 */
extern EaStatus ea_twosample_sort_reference(EaTwoSample *s);

extern size_t ea_twosample_serialized_size(const EaTwoSample *s);
extern void ea_twosample_serialize(const EaTwoSample *s, unsigned char *buf);

/* refuses any input that is not a well-formed state of at most max_values */
extern EaStatus ea_twosample_deserialize(EaTwoSample *s, const unsigned char *buf,
										 size_t len, int64_t max_values, EaMemory mem);

/*
 * Final computations.  They sort the samples in place (the multiset is
 * unchanged, so the state can still grow, as a window frame needs) and set
 * *defined = 0 when either sample is empty.
 */
extern EaStatus ea_twosample_bin(EaTwoSample *s, EaBinned *out);
extern void ea_binned_free(EaBinned *b);
/* one bin per distinct value of both samples, ascending (whatever the binning) */
extern EaStatus ea_twosample_bin_by_value(EaTwoSample *s, EaBinned *out);
extern EaStatus ea_twosample_divergence(EaTwoSample *s, EaDivergence which,
										double *result, int *defined);
extern EaStatus ea_twosample_ks(EaTwoSample *s, double *statistic, int *defined);

/* first Wasserstein distance between the two samples (scipy.stats.wasserstein_distance) */
extern EaStatus ea_twosample_wasserstein(EaTwoSample *s, double *result, int *defined);

/* W1 over the reference's population standard deviation, floored at 0.001 (Evidently's "wasserstein" test) */
extern EaStatus ea_twosample_wasserstein_normed(EaTwoSample *s, double *result, int *defined);

/*
 * ROC AUC with the reference sample as the positives' scores and the current
 * sample as the negatives': P(pos > neg) + P(pos = neg) / 2, exact.
 */
extern EaStatus ea_twosample_auc(EaTwoSample *s, double *result, int *defined);

/*
 * ROC AUC expected from the current sample's probabilities alone (CBPE):
 * each row a positive of weight p and a negative of weight 1 - p.  Undefined
 * when every p is 0 or every p is 1.
 */
extern EaStatus ea_twosample_estimated_auc(EaTwoSample *s, double *result, int *defined);

#endif							/* EA_TWOSAMPLE_H */
