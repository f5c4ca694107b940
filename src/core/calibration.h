/*
 * calibration.h - the "calibration bins" state: for each of B equal-width
 * probability bins, the number of rows, of positives, and the exact sum of
 * predicted probabilities.  Fixed size: 32 bytes per bin.
 */
#ifndef EA_CALIBRATION_H
#define EA_CALIBRATION_H

#include <stddef.h>
#include <stdint.h>

#include "binning.h"
#include "ea_alloc.h"
#include "ea_status.h"
#include "fixed.h"
#include "keytab.h"

typedef struct EaCalBin
{
	int64_t		n;
	int64_t		positives;
	EaU128		sum_prob;
} EaCalBin;

typedef struct EaCalibration
{
	int32_t		nbins;
	int64_t		n;
	EaCalBin	bins[];			/* nbins of them */
} EaCalibration;

static inline size_t
ea_calibration_size(int nbins)
{
	return sizeof(EaCalibration) + (size_t) nbins * sizeof(EaCalBin);
}

/* `c` points to ea_calibration_size(nbins) bytes */
extern void ea_calibration_init(EaCalibration *c, int nbins);

/* p must already be checked to lie in [0, 1] */
static inline void
ea_calibration_add(EaCalibration *c, int positive, double p)
{
	EaCalBin   *b = &c->bins[ea_probability_bin(c->nbins, p)];

	b->n++;
	b->positives += positive ? 1 : 0;
	ea_u128_add64(&b->sum_prob, ea_fixed_from_prob(p));
	c->n++;
}

/* undoes ea_calibration_add of the same row (moving window frames) */
static inline void
ea_calibration_remove(EaCalibration *c, int positive, double p)
{
	EaCalBin   *b = &c->bins[ea_probability_bin(c->nbins, p)];

	b->n--;
	b->positives -= positive ? 1 : 0;
	ea_u128_sub64(&b->sum_prob, ea_fixed_from_prob(p));
	c->n--;
}

extern EaStatus ea_calibration_combine(EaCalibration *a, const EaCalibration *b);

extern size_t ea_calibration_serialized_size(const EaCalibration *c);
extern void ea_calibration_serialize(const EaCalibration *c, unsigned char *buf);

/*
 * Reads the bin count first (ea_calibration_peek_bins) so the caller can
 * allocate, then the whole state; refuses malformed or inconsistent input.
 */
extern EaStatus ea_calibration_peek_bins(const unsigned char *buf, size_t len, int *nbins);
extern EaStatus ea_calibration_deserialize(EaCalibration *c, const unsigned char *buf, size_t len);

/* expected calibration error; *defined = 0 when no rows */
extern double ea_ece(const EaCalibration *c, int *defined);

/* maximum calibration error: the largest |mean(y) - mean(p)| of a non-empty bin */
extern double ea_mce(const EaCalibration *c, int *defined);

/*
 * Calibration bins per group: a key table (one counter: the group's rows)
 * and one EaCalibration block per group, all with the same bin count.
 * Memory: per group its bytes + 48 + 32 * nbins bytes, plus 8 to 16 bytes of
 * hash slots.
 */
typedef struct EaGroupCalibration
{
	int32_t		nbins;
	int32_t		min_size;		/* ece_gap: groups with fewer rows are left out */
	EaKeytab	groups;
	EaCalibration **blocks;
	int32_t		capblocks;
	EaMemory	mem;			/* the blocks (the key table has its own) */
} EaGroupCalibration;

/* an empty state that allocates with mem; min_size 1 */
extern void ea_group_calibration_init(EaGroupCalibration *g, int nbins, EaMemory mem);
extern void ea_group_calibration_free(EaGroupCalibration *g);
extern EaStatus ea_group_calibration_add(EaGroupCalibration *g, const char *group, uint32_t len,
										 int positive, double p, int32_t max_groups);
extern EaStatus ea_group_calibration_combine(EaGroupCalibration *a, const EaGroupCalibration *b,
											 int32_t max_groups);
extern size_t ea_group_calibration_serialized_size(const EaGroupCalibration *g);
extern void ea_group_calibration_serialize(const EaGroupCalibration *g, unsigned char *buf);
extern EaStatus ea_group_calibration_deserialize(EaGroupCalibration *g, const unsigned char *buf,
												 size_t len, int32_t max_groups, EaMemory mem);

#endif							/* EA_CALIBRATION_H */
