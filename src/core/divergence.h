/*
 * divergence.h - PSI and Jensen-Shannon divergence of two binned samples.
 */
#ifndef EA_DIVERGENCE_H
#define EA_DIVERGENCE_H

#include <stdint.h>

/* how a zero proportion is replaced before taking logarithms (PSI only) */
typedef enum EaZeroRule
{
	EA_ZERO_EPSILON,			/* replace by 0.0001 */
	EA_ZERO_EVIDENTLY			/* min nonzero / 1e6 if that is <= 0.0001, else
								 * 0.0001; per vector */
} EaZeroRule;

#define EA_PSI_EPSILON 0.0001

/*
 * Both take bin counts of the reference and current samples over the same
 * nbins bins, with their totals (> 0).
 */
extern double ea_psi(const int64_t *ref, int64_t nref,
					 const int64_t *cur, int64_t ncur,
					 int nbins, EaZeroRule rule);

/* Jensen-Shannon divergence in bits, 0 log 0 = 0; in [0, 1] */
extern double ea_jsd(const int64_t *ref, int64_t nref,
					 const int64_t *cur, int64_t ncur, int nbins);

#endif							/* EA_DIVERGENCE_H */
