/*
 * special.h - special functions for p-values.
 */
#ifndef EA_SPECIAL_H
#define EA_SPECIAL_H

/* regularized upper incomplete gamma function Q(a, x), a > 0, x >= 0 */
extern double ea_gamma_q(double a, double x);

/* survival function of the chi-square distribution with k degrees of freedom */
extern double ea_chi2_sf(double x, double k);

#endif							/* EA_SPECIAL_H */
