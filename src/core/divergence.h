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

/* Hellinger distance sqrt(sum (sqrt r - sqrt c)^2) / sqrt 2, in [0, 1] */
extern double ea_hellinger(const int64_t *ref, int64_t nref,
						   const int64_t *cur, int64_t ncur, int nbins);

/*
 * Kullback-Leibler divergence KL(R || C) in nats, zeros replaced as for PSI
 * and both vectors then renormalised (scipy.stats.entropy(r, c)).
 */
extern double ea_kl(const int64_t *ref, int64_t nref, const int64_t *cur, int64_t ncur,
					int nbins, EaZeroRule rule);

/* the divergences a binned two-sample state offers */
typedef enum EaDivergence
{
	EA_DIV_PSI,
	EA_DIV_JSD,
	EA_DIV_HELLINGER,
	EA_DIV_KL
} EaDivergence;

extern double ea_divergence(EaDivergence which, const int64_t *ref, int64_t nref,
							const int64_t *cur, int64_t ncur, int nbins, EaZeroRule rule);

/*
 * Chi-square test of homogeneity of the 2 x nbins table (reference and
 * current counts), as scipy.stats.chi2_contingency with its default Yates
 * correction when there is one degree of freedom.
 */
extern void ea_chi2_homogeneity(const int64_t *ref, int64_t nref, const int64_t *cur,
								int64_t ncur, int nbins, double *statistic, double *p_value,
								int *dof);

#endif							/* EA_DIVERGENCE_H */
