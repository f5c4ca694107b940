/*
 * baseline.h - the distribution of one column in constant memory: counts
 * over fixed bins (numeric) or per category (categorical), with NULL and NaN
 * counts and, for numbers, min, max, mean and variance.
 *
 * A baseline is built once from reference rows and stored; current windows
 * are then counted over the same bins, in one pass and without keeping any
 * value, and compared with it. A baseline may carry a second one, its
 * reference: the state of psi(value, baseline) and friends, whose final
 * function needs both.
 *
 * Bins are right-closed, as for the two-sample metrics: with inner edges
 * e_0 < ... < e_{m-1}, (-inf, e_0], (e_0, e_1], ..., (e_{m-1}, +inf).
 *
 * Every count is an exact integer, so rows can be removed again (moving
 * window frames) and states merged in any order with the same result.
 * Memory: numeric 16 bytes per bin; categorical as a key table (keytab.h).
 */
#ifndef EA_BASELINE_H
#define EA_BASELINE_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "binning.h"
#include "divergence.h"
#include "ea_alloc.h"
#include "ea_status.h"
#include "exact.h"
#include "keytab.h"
#include "sample.h"

typedef enum EaBaselineKind
{
	EA_BASELINE_NUMERIC = 1,
	EA_BASELINE_CATEGORICAL = 2
} EaBaselineKind;

typedef struct EaBaseline
{
	uint8_t		kind;
	int64_t		n;				/* values in the bins (not NULL, not NaN) */
	int64_t		nan;			/* NaN values, never binned */
	int64_t		nulls;			/* NULL values */
	/* numeric */
	int32_t		nedges;
	double	   *edges;			/* nedges, strictly ascending (outer ones may be infinite) */
	int64_t    *counts;			/* nedges + 1 bins */
	double		min;			/* NaN when unknown: no value, or rows removed */
	double		max;
	EaMoments	moments;		/* exact sums for the mean and variance */
	/* categorical: one counter per category */
	EaKeytab	cats;
	/* optional attached reference, itself without one */
	struct EaBaseline *reference;
	EaMemory	mem;			/* edges, counts, the reference (moments and cats: theirs) */
} EaBaseline;

/* a numeric baseline over the given inner edges (copied; checked), allocating with mem */
extern EaStatus ea_baseline_init_numeric(EaBaseline *b, const double *edges, int nedges,
										 EaMemory mem);
extern void ea_baseline_init_categorical(EaBaseline *b, EaMemory mem);

/* an empty baseline over the bins of `like` (no reference attached) */
extern EaStatus ea_baseline_init_like(EaBaseline *b, const EaBaseline *like, EaMemory mem);

extern void ea_baseline_free(EaBaseline *b);

/* deep copy, allocated with mem */
extern EaStatus ea_baseline_copy(EaBaseline *dst, const EaBaseline *src, EaMemory mem);

/* attach a copy of `ref` (in b's memory) as the reference of `b`; same bins required */
extern EaStatus ea_baseline_attach(EaBaseline *b, const EaBaseline *ref);

/* n, min, max, mean and variance of a baseline's own value: ea_baseline_add_double's rest */
extern EaStatus ea_baseline_track(EaBaseline *b, double x, int delta);

/*
 * One value more (delta = +1) or less (delta = -1). A state with a
 * reference attached keeps counts only: its min, max, mean and variance
 * stay unknown.
 */
static inline EaStatus
ea_baseline_add_double(EaBaseline *b, double x, int delta)
{
	if (isnan(x))
	{
		b->nan += delta;
		return EA_OK;
	}
	/* -0 and 0 share a bin: the comparisons do not tell them apart */
	b->counts[ea_bin_right_closed(b->edges, b->nedges, x)] += delta;
	if (b->reference == NULL)
		return ea_baseline_track(b, x, delta);
	b->n += delta;				/* a comparison state needs only its counts */
	return EA_OK;
}

extern EaStatus ea_baseline_add_text(EaBaseline *b, const char *key, uint32_t len,
									 int delta, int32_t max_keys);
extern void ea_baseline_add_null(EaBaseline *b, int delta);

/*
 * Numeric baseline from a sorted sample: inner edges at its reference
 * quantiles (ea_quantile_edges: nbins bins, duplicates removed) or, when
 * edges != NULL, at the given edges.
 */
extern EaStatus ea_baseline_from_sample(EaBaseline *b, const EaSample *sorted, int nbins,
										const double *edges, int nedges, EaMemory mem);

/* same kind and, for numbers, identical edges */
extern int	ea_baseline_same_bins(const EaBaseline *a, const EaBaseline *b);

/*
 * a += b. EA_EPARAM when the bins differ, or when both carry a reference
 * and the references differ.
 */
extern EaStatus ea_baseline_combine(EaBaseline *a, const EaBaseline *b, int32_t max_keys);

/*
 * A divergence of `cur` from `ref` over their shared bins, exactly as the
 * two-sample aggregates compute it when ref's bins were built from the
 * reference rows; *defined = 0 when either has no values.
 */
extern EaStatus ea_baseline_divergence(const EaBaseline *ref, const EaBaseline *cur,
									   EaDivergence which, double *result, int *defined);

/*
 * KS statistic over bins: the empirical CDFs are known exactly only at the
 * edges, so D lies in [lower, upper]: lower = max_k |F_R(e_k) - F_C(e_k)|,
 * upper = max over bins (a, b] of max(F_R(b) - F_C(a), F_C(b) - F_R(a)),
 * and upper - lower <= the largest proportion of either sample in one bin.
 */
extern EaStatus ea_baseline_ks(const EaBaseline *ref, const EaBaseline *cur,
							   double *lower, double *upper, int *defined);

/*
 * numpy's mean and var(ddof = 1) of the values (NaN left out), and the sum
 * of squared deviations: *mean is +-Infinity or NaN with infinite values,
 * *variance and *m2 NaN. NaN also when unknown (comparison states) or, for
 * the variance, below 2 values.
 */
extern void ea_baseline_stats(const EaBaseline *b, double *mean, double *m2, double *variance);

/* the infinity counts and, from a mean and m2 of the finite values, the exact sums */
extern EaStatus ea_baseline_set_stats(EaBaseline *b, double mean, double m2,
									  int64_t neg_inf, int64_t pos_inf);

/*
 * The exact sums alone, in the serialized form's encoding: the text form
 * carries them so that a state read back from text (a distributed engine
 * ships states as text) merges to the same mean and m2 as in one pass.
 * ea_baseline_set_exact replaces b's sums with those read from buf.
 */
extern size_t ea_baseline_exact_size(const EaBaseline *b);
extern void ea_baseline_exact_write(const EaBaseline *b, unsigned char *buf);
extern EaStatus ea_baseline_set_exact(EaBaseline *b, const unsigned char *buf, size_t len);

/* serialized form: versioned, big-endian, the reference nested after */
extern size_t ea_baseline_serialized_size(const EaBaseline *b);
extern void ea_baseline_serialize(const EaBaseline *b, unsigned char *buf);
extern EaStatus ea_baseline_deserialize(EaBaseline *b, const unsigned char *buf, size_t len,
										int32_t max_keys, EaMemory mem);

/*
 * Building a baseline at exact reference quantiles needs every value once:
 * this state keeps them (8 bytes each), with the NaN and NULL counts, and
 * becomes a baseline in its final function.
 */
typedef struct EaBaselineBuild
{
	EaSample	values;
	int64_t		nan;
	int64_t		nulls;
	int32_t		bins;
} EaBaselineBuild;

/* an empty state whose values are allocated with mem */
extern void ea_baseline_build_init(EaBaselineBuild *s, int bins, EaMemory mem);
extern void ea_baseline_build_free(EaBaselineBuild *s);
extern EaStatus ea_baseline_build_add(EaBaselineBuild *s, double x);
extern EaStatus ea_baseline_build_combine(EaBaselineBuild *a, const EaBaselineBuild *b);
/* sorts the values, then bins them into out, a baseline allocated with mem */
extern EaStatus ea_baseline_build_finish(EaBaselineBuild *s, EaBaseline *out, EaMemory mem);
/* sorts before writing, so parallel workers sort and the leader merges */
extern EaStatus ea_baseline_build_sort(EaBaselineBuild *s);
extern size_t ea_baseline_build_serialized_size(const EaBaselineBuild *s);
extern void ea_baseline_build_serialize(const EaBaselineBuild *s, unsigned char *buf);
extern EaStatus ea_baseline_build_deserialize(EaBaselineBuild *s, const unsigned char *buf,
											  size_t len, int64_t max_values, EaMemory mem);

#endif							/* EA_BASELINE_H */
