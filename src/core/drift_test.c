/*
 * drift_test.c - the automatic drift test of one column (see drift_test.h).
 */
#include "drift_test.h"

#include <math.h>
#include <string.h>

#include "divergence.h"
#include "kolmogorov.h"
#include "special.h"

static const char *const test_names[] = {
	[EA_DRIFT_AUTO] = "auto",
	[EA_DRIFT_KS] = "ks",
	[EA_DRIFT_WASSERSTEIN] = "wasserstein",
	[EA_DRIFT_JENSENSHANNON] = "jensenshannon",
	[EA_DRIFT_CHISQUARE] = "chisquare",
	[EA_DRIFT_Z] = "z",
	[EA_DRIFT_PSI] = "psi",
};

const char *
ea_drift_test_name(EaDriftTest test)
{
	return (test > EA_DRIFT_AUTO && test <= EA_DRIFT_LAST) ? test_names[test] : NULL;
}

int
ea_drift_test_parse(const char *name)
{
	for (int t = EA_DRIFT_AUTO; t <= EA_DRIFT_LAST; t++)
		if (strcmp(name, test_names[t]) == 0)
			return t;
	return -1;
}

int
ea_drift_test_has_p_value(EaDriftTest test)
{
	return test == EA_DRIFT_KS || test == EA_DRIFT_CHISQUARE || test == EA_DRIFT_Z;
}

int
ea_drift_test_categorical_ok(EaDriftTest test)
{
	return test != EA_DRIFT_KS && test != EA_DRIFT_WASSERSTEIN;
}

double
ea_drift_default_threshold(EaDriftTest test)
{
	return ea_drift_test_has_p_value(test) ? 0.05 : 0.1;
}

EaDriftTest
ea_drift_default_test(int64_t n_reference, int64_t n_values, int numeric)
{
	if (n_reference <= EA_DRIFT_SMALL_REFERENCE)
	{
		if (numeric && n_values > 5)
			return EA_DRIFT_KS;
		return n_values > 2 ? EA_DRIFT_CHISQUARE : EA_DRIFT_Z;
	}
	return (numeric && n_values > 5) ? EA_DRIFT_WASSERSTEIN : EA_DRIFT_JENSENSHANNON;
}

int
ea_drift_verdict(EaDriftTest test, double statistic, double p_value, double threshold)
{
	/* Evidently's KS test drifts at p <= threshold, its chi-square and z tests at p < */
	if (test == EA_DRIFT_KS)
		return p_value <= threshold;
	if (ea_drift_test_has_p_value(test))
		return p_value < threshold;
	return statistic >= threshold;
}

void
ea_chi2_goodness_of_fit(const int64_t *ref, int64_t nref, const int64_t *cur, int64_t ncur,
						int nbins, double *statistic, double *p_value)
{
	double		scale = (double) ncur / (double) nref;
	double		chi2 = 0.0;

	for (int i = 0; i < nbins; i++)
	{
		double		expected = (double) ref[i] * scale;
		double		d = (double) cur[i] - expected;

		if (ref[i] == 0)
		{
			if (cur[i] > 0)
				chi2 = INFINITY;
			continue;			/* 0 against 0 is no bin (it cannot occur in our bins) */
		}
		chi2 += d * d / expected;
	}
	*statistic = chi2;
	if (nbins < 2)
		*statistic = 0.0, *p_value = 1.0;
	else
		*p_value = isinf(chi2) ? 0.0 : ea_chi2_sf(chi2, (double) (nbins - 1));
}

void
ea_z_test_first_bin(const int64_t *ref, int64_t nref, const int64_t *cur, int64_t ncur,
					int nbins, double *statistic, double *p_value)
{
	/* shares of the rows outside the first bin, as exact counts first */
	int64_t		out_ref = nbins > 0 ? nref - ref[0] : 0;
	int64_t		out_cur = nbins > 0 ? ncur - cur[0] : 0;
	int64_t		out = out_ref + out_cur;
	int64_t		in = (nref - out_ref) + (ncur - out_cur);
	double		total = (double) out + (double) in;
	double		pr = (double) out_ref / (double) nref;
	double		pc = (double) out_cur / (double) ncur;
	double		z;

	if (out == 0 || in == 0)
	{
		*statistic = 0.0;
		*p_value = 1.0;
		return;
	}
	/* P (1 - P) from the exact counts on either side, never 1 - P rounded to 0 */
	z = (pr - pc) / sqrt(((double) out / total) * ((double) in / total) *
						 (1.0 / (double) nref + 1.0 / (double) ncur));
	*statistic = z;
	*p_value = erfc(fabs(z) / sqrt(2.0));
}

/* distinct values of two sorted samples together */
static int64_t
distinct_union(const EaSample *a, const EaSample *b)
{
	int64_t		i = 0,
				j = 0,
				distinct = 0;

	while (i < a->n || j < b->n)
	{
		uint64_t	k = (j >= b->n || (i < a->n && a->keys[i] <= b->keys[j]))
			? a->keys[i] : b->keys[j];

		while (i < a->n && a->keys[i] == k)
			i++;
		while (j < b->n && b->keys[j] == k)
			j++;
		distinct++;
	}
	return distinct;
}

/* statistic and p-value of a test on bins; the distances have no p-value */
static void
test_on_bins(EaDriftTest test, const EaBinned *b, double *statistic, double *p_value)
{
	*p_value = NAN;
	switch (test)
	{
		case EA_DRIFT_CHISQUARE:
			ea_chi2_goodness_of_fit(b->ref, b->nref, b->cur, b->ncur, b->nbins,
									statistic, p_value);
			break;
		case EA_DRIFT_Z:
			ea_z_test_first_bin(b->ref, b->nref, b->cur, b->ncur, b->nbins,
								statistic, p_value);
			break;
		case EA_DRIFT_JENSENSHANNON:
			/* scipy's jensenshannon: the square root of the divergence in nats */
			*statistic = sqrt(ea_jsd(b->ref, b->nref, b->cur, b->ncur, b->nbins) * log(2.0));
			break;
		case EA_DRIFT_PSI:
			*statistic = ea_psi(b->ref, b->nref, b->cur, b->ncur, b->nbins, EA_ZERO_EVIDENTLY);
			break;
		default:
			*statistic = NAN;
			break;
	}
}

static void
finish(EaDriftResult *out)
{
	out->threshold = ea_drift_default_threshold(out->test);
	out->drifted = ea_drift_verdict(out->test, out->statistic, out->p_value, out->threshold);
}

EaStatus
ea_twosample_drift(EaTwoSample *s, EaDriftTest test, EaDriftResult *out)
{
	EaBinned	b;
	EaStatus	st;

	memset(out, 0, sizeof(*out));
	out->n_reference = s->ref.n;
	out->n_current = s->cur.n;
	out->unseen_current = -1;
	out->statistic = out->p_value = NAN;
	if (s->binning != EA_BINNING_EVIDENTLY || test < EA_DRIFT_AUTO || test > EA_DRIFT_LAST)
		return EA_EPARAM;
	if (s->ref.n == 0 || s->cur.n == 0)
		return EA_OK;
	if ((st = ea_sample_sort(&s->ref)) != EA_OK || (st = ea_sample_sort(&s->cur)) != EA_OK)
		return st;
	/* drift_test's rows leave +-Infinity out; a state holding one was not made by them */
	if (isinf(ea_key_to_double(s->ref.keys[0])) || isinf(ea_key_to_double(s->ref.keys[s->ref.n - 1])) ||
		isinf(ea_key_to_double(s->cur.keys[0])) || isinf(ea_key_to_double(s->cur.keys[s->cur.n - 1])))
		return EA_ECORRUPT;
	out->defined = 1;
	out->n_values = distinct_union(&s->ref, &s->cur);
	out->test = test != EA_DRIFT_AUTO ? test
		: ea_drift_default_test(s->ref.n, out->n_values, 1);
	switch (out->test)
	{
		case EA_DRIFT_KS:
			st = ea_twosample_ks(s, &out->statistic, &out->defined);
			if (st == EA_OK)
				st = ea_ks_2samp_pvalue_auto(s->ref.n, s->cur.n, out->statistic,
											 &out->p_value, s->ref.mem);
			break;
		case EA_DRIFT_WASSERSTEIN:
			st = ea_twosample_wasserstein_normed(s, &out->statistic, &out->defined);
			break;
		case EA_DRIFT_CHISQUARE:
		case EA_DRIFT_Z:
			/* Evidently tests these on the values themselves, never on bins */
			if ((st = ea_twosample_bin_by_value(s, &b)) == EA_OK)
			{
				test_on_bins(out->test, &b, &out->statistic, &out->p_value);
				ea_binned_free(&b);
			}
			break;
		default:
			if ((st = ea_twosample_bin(s, &b)) == EA_OK)
			{
				test_on_bins(out->test, &b, &out->statistic, &out->p_value);
				ea_binned_free(&b);
			}
			break;
	}
	if (st == EA_OK)
		finish(out);
	return st;
}

EaStatus
ea_categorical_drift(const EaCategorical *c, EaDriftTest test, EaDriftResult *out)
{
	EaBinned	b;
	EaStatus	st;

	memset(out, 0, sizeof(*out));
	out->n_reference = c->nref;
	out->n_current = c->ncur;
	out->n_values = c->tab.nkeys;
	out->unseen_current = ea_categorical_unseen(c);
	out->statistic = out->p_value = NAN;
	if (test < EA_DRIFT_AUTO || test > EA_DRIFT_LAST || !ea_drift_test_categorical_ok(test))
		return EA_EPARAM;
	if (c->nref == 0 || c->ncur == 0)
		return EA_OK;
	out->defined = 1;
	out->test = test != EA_DRIFT_AUTO ? test
		: ea_drift_default_test(c->nref, out->n_values, 0);
	if ((st = ea_categorical_bin(c, &b)) != EA_OK)
		return st;
	test_on_bins(out->test, &b, &out->statistic, &out->p_value);
	ea_binned_free(&b);
	finish(out);
	return EA_OK;
}
