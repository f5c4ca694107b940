/*
 * kolmogorov.h - distributions of the Kolmogorov-Smirnov statistics, for
 * ks_test's p-value.
 *
 * The two-sample p-value is scipy's asymptotic one (ks_2samp, method='asymp'):
 * the one-sample two-sided distribution evaluated at the effective sample
 * size round(n1 * n2 / (n1 + n2)). The one-sample distribution follows the
 * method selection of Simard and L'Ecuyer (2011), as scipy.stats.kstwo does.
 */
#ifndef EA_KOLMOGOROV_H
#define EA_KOLMOGOROV_H

#include <stdint.h>

#include "ea_alloc.h"
#include "ea_status.h"

/* P(D+_n >= d): one-sided Smirnov survival function, n >= 1 */
extern double ea_smirnov_sf(int64_t n, double d);

/*
 * P(D_n >= d): two-sided one-sample Kolmogorov survival function, n >= 1.
 * Fails only with EA_ENOMEM (the Durbin matrices, at most 117 x 117, are
 * scratch allocated with mem and freed before it returns).
 */
extern EaStatus ea_kolmogorov_sf(int64_t n, double d, double *sf, EaMemory mem);

/*
 * Two-sided two-sample p-value of the KS statistic d for samples of n1 and n2
 * values. NaN when the effective sample size rounds to 0 (n1 = n2 = 1), where
 * the asymptotic distribution is undefined.
 */
extern EaStatus ea_ks_2samp_pvalue(int64_t n1, int64_t n2, double d, double *p, EaMemory mem);

/*
 * The exact two-sided two-sample p-value P(D >= d) under the null, ties
 * ignored (scipy's ks_2samp, method='exact'): the share of the lattice paths
 * from (0, 0) to (n1, n2) that touch |x n2 - y n1| >= h gcd(n1, n2), h =
 * round(d lcm(n1, n2)).  O(n1 n2) time, min(n1, n2) + 1 doubles of scratch.
 */
extern EaStatus ea_ks_2samp_pvalue_exact(int64_t n1, int64_t n2, double d, double *p,
										 EaMemory mem);

/* scipy's method='auto': exact when neither sample exceeds 10000 values */
#define EA_KS_EXACT_MAX_N 10000
extern EaStatus ea_ks_2samp_pvalue_auto(int64_t n1, int64_t n2, double d, double *p,
										EaMemory mem);

#endif							/* EA_KOLMOGOROV_H */
