/*
 * drift_test.h - one drift test per column, chosen as Evidently 0.7 chooses
 * it (or forced), with its statistic, p-value, threshold and verdict: the
 * core of ethaudit.drift_test and ethaudit.drift_report.
 *
 * Evidently's rule (evidently/calculations/stattests/registry.py, 0.7), with
 * n_values the distinct non-missing values of both samples together:
 *
 *   reference <= 1000 rows:  numeric and n_values > 5  -> ks            (p < 0.05)
 *                            n_values > 2              -> chisquare     (p < 0.05)
 *                            otherwise                 -> z             (p < 0.05)
 *   reference  > 1000 rows:  numeric and n_values > 5  -> wasserstein   (>= 0.1)
 *                            otherwise                 -> jensenshannon (>= 0.1)
 */
#ifndef EA_DRIFT_TEST_H
#define EA_DRIFT_TEST_H

#include <stdint.h>

#include "categorical.h"
#include "ea_status.h"
#include "twosample.h"

typedef enum EaDriftTest
{
	EA_DRIFT_AUTO = 0,			/* Evidently's choice, made in the final function */
	EA_DRIFT_KS,				/* two-sample Kolmogorov-Smirnov, p-value */
	EA_DRIFT_WASSERSTEIN,		/* W1 over the reference's standard deviation */
	EA_DRIFT_JENSENSHANNON,		/* Jensen-Shannon distance (natural log) */
	EA_DRIFT_CHISQUARE,			/* chi-square goodness of fit, p-value */
	EA_DRIFT_Z,					/* two-proportion z-test, p-value */
	EA_DRIFT_PSI				/* population stability index */
} EaDriftTest;

#define EA_DRIFT_LAST EA_DRIFT_PSI

/* reference sizes up to this choose the p-value tests */
#define EA_DRIFT_SMALL_REFERENCE 1000

typedef struct EaDriftResult
{
	EaDriftTest test;
	int			defined;		/* 0: a sample is empty, nothing below but the sizes */
	double		statistic;
	double		p_value;		/* NaN for the distance tests */
	double		threshold;
	int			drifted;
	int64_t		n_reference;	/* finite values tested */
	int64_t		n_current;
	int64_t		n_values;		/* distinct values of both samples */
	int64_t		unseen_current; /* text: current rows of categories the reference lacks */
} EaDriftResult;

/* "ks", "wasserstein", ...; NULL for EA_DRIFT_AUTO */
extern const char *ea_drift_test_name(EaDriftTest test);

/* EA_DRIFT_AUTO for "auto"; -1 for a name no test has */
extern int	ea_drift_test_parse(const char *name);

/* whether the test gives a p-value (drift when p < threshold) */
extern int	ea_drift_test_has_p_value(EaDriftTest test);

/* whether the test applies to a text column */
extern int	ea_drift_test_categorical_ok(EaDriftTest test);

extern double ea_drift_default_threshold(EaDriftTest test);

extern EaDriftTest ea_drift_default_test(int64_t n_reference, int64_t n_values, int numeric);

/* the verdict: p <= threshold for ks, p < threshold for chisquare and z, statistic >= threshold else */
extern int	ea_drift_verdict(EaDriftTest test, double statistic, double p_value,
							 double threshold);

/*
 * Chi-square goodness of fit of the current counts to the reference
 * proportions scaled to the current size (scipy.stats.chisquare(f_obs = cur,
 * f_exp = ref * ncur / nref), as Evidently's chisquare test): k - 1 degrees
 * of freedom; a bin the reference lacks but the current sample has makes the
 * statistic Infinity and the p-value 0; one bin gives 0 and 1.
 */
extern void ea_chi2_goodness_of_fit(const int64_t *ref, int64_t nref, const int64_t *cur,
									int64_t ncur, int nbins, double *statistic,
									double *p_value);

/*
 * Pooled two-proportion z-test of the first bin's share against the rest's
 * (Evidently's z test): z = (p_r - p_c) / sqrt(P (1 - P) (1/nref + 1/ncur))
 * with p the share of rows outside the first bin, P the pooled share;
 * p-value erfc(|z| / sqrt 2).  When every row of both samples is in one bin,
 * z = 0 and the p-value 1.
 */
extern void ea_z_test_first_bin(const int64_t *ref, int64_t nref, const int64_t *cur,
								int64_t ncur, int nbins, double *statistic, double *p_value);

/*
 * The drift test of a float8 kept-values state built with Evidently binning
 * (EA_BINNING_EVIDENTLY) and finite values only; `test` forces one.
 */
extern EaStatus ea_twosample_drift(EaTwoSample *s, EaDriftTest test, EaDriftResult *out);

/* the drift test of a text column's category counts */
extern EaStatus ea_categorical_drift(const EaCategorical *c, EaDriftTest test,
									 EaDriftResult *out);

#endif							/* EA_DRIFT_TEST_H */
