/*
 * categorical.c - category counts of two samples.
 */
#include "categorical.h"

#include <string.h>

#include "codec.h"
#include "divergence.h"
#include "drift_test.h"
#include "ea_alloc.h"

void
ea_categorical_init(EaCategorical *c, EaBinning binning, EaMemory mem)
{
	memset(c, 0, sizeof(*c));
	ea_keytab_init(&c->tab, 2, mem);
	c->binning = (uint8_t) binning;
}

void
ea_categorical_free(EaCategorical *c)
{
	ea_keytab_free(&c->tab);
}

EaStatus
ea_categorical_combine(EaCategorical *a, const EaCategorical *b, int32_t max_keys)
{
	EaStatus	st;

	if (a->binning != b->binning || a->test != b->test)
		return EA_EPARAM;
	if (!ea_counts_fit(a->nref, b->nref) || !ea_counts_fit(a->ncur, b->ncur) ||
		!ea_counts_fit(a->nref + a->ncur, b->nref + b->ncur))
		return EA_ELIMIT;		/* the counters of each column add up to these */
	st = ea_keytab_merge(&a->tab, &b->tab, max_keys);
	if (st != EA_OK)
		return st;
	a->nref += b->nref;
	a->ncur += b->ncur;
	return EA_OK;
}

/* version, kind, binning, test (u8 each), then the key table */
#define EA_CAT_HEADER 4

size_t
ea_categorical_serialized_size(const EaCategorical *c)
{
	return EA_CAT_HEADER + ea_keytab_serialized_size(&c->tab);
}

void
ea_categorical_serialize(const EaCategorical *c, unsigned char *buf)
{
	EaWriter	w = {buf, buf + EA_CAT_HEADER};

	ea_put_u8(&w, EA_STATE_VERSION);
	ea_put_u8(&w, EA_KIND_CATEGORICAL);
	ea_put_u8(&w, c->binning);
	ea_put_u8(&w, c->test);
	ea_keytab_serialize(&c->tab, w.p);
}

EaStatus
ea_categorical_deserialize(EaCategorical *c, const unsigned char *buf, size_t len,
						   int32_t max_keys, EaMemory mem)
{
	EaReader	r = {buf, buf + len, 0};
	uint8_t		version = ea_get_u8(&r);
	uint8_t		kind = ea_get_u8(&r);
	uint8_t		binning = ea_get_u8(&r);
	uint8_t		test = ea_get_u8(&r);
	const unsigned char *p = r.p;
	EaStatus	st;

	ea_categorical_init(c, EA_BINNING_QUANTILE, mem);
	if (r.bad || version != EA_STATE_VERSION || kind != EA_KIND_CATEGORICAL ||
		(binning != EA_BINNING_QUANTILE && binning != EA_BINNING_EVIDENTLY))
		return EA_ECORRUPT;
	/* a forced drift test belongs to drift_test's states, all Evidently-binned */
	if (test > EA_DRIFT_LAST ||
		(test != EA_DRIFT_AUTO && (binning != EA_BINNING_EVIDENTLY ||
								   !ea_drift_test_categorical_ok((EaDriftTest) test))))
		return EA_ECORRUPT;
	st = ea_keytab_deserialize(&c->tab, 2, &p, buf + len, max_keys, mem);
	if (st != EA_OK)
		return st;
	if (p != buf + len)
	{
		ea_keytab_free(&c->tab);
		return EA_ECORRUPT;
	}
	c->binning = binning;
	c->test = test;
	/*
	 * Totals are derived, never trusted from the input; the key table has
	 * bounded the sum of every counter, so they cannot wrap around.
	 */
	for (int32_t i = 0; i < c->tab.nkeys; i++)
	{
		const int64_t *k = ea_keytab_counts(&c->tab, i);

		/*
		 * A category is in the table because a row had it (this state has
		 * no inverse transition): one with no row on either side would be
		 * a bin with no rows, which the chi-square test divides by.
		 */
		if (k[0] == 0 && k[1] == 0)
		{
			ea_keytab_free(&c->tab);
			return EA_ECORRUPT;
		}
		c->nref += k[0];
		c->ncur += k[1];
	}
	return EA_OK;
}

EaStatus
ea_categorical_bin(const EaCategorical *c, EaBinned *out)
{
	EaMemory	mem = c->tab.mem;
	int32_t    *order = ea_keytab_sorted(&c->tab, mem);
	int32_t		n = c->tab.nkeys;

	memset(out, 0, sizeof(*out));
	out->mem = mem;
	if (order == NULL)
		return EA_ENOMEM;
	out->ref = ea_alloc(mem, sizeof(int64_t) * (size_t) (n ? n : 1));
	out->cur = ea_alloc(mem, sizeof(int64_t) * (size_t) (n ? n : 1));
	if (out->ref == NULL || out->cur == NULL)
	{
		ea_free(mem, order);
		ea_binned_free(out);
		return EA_ENOMEM;
	}
	for (int32_t i = 0; i < n; i++)
	{
		const int64_t *k = ea_keytab_counts(&c->tab, order[i]);

		out->ref[i] = k[0];
		out->cur[i] = k[1];
	}
	ea_free(mem, order);
	out->nbins = n;
	out->nref = c->nref;
	out->ncur = c->ncur;
	return EA_OK;
}

EaStatus
ea_categorical_divergence(const EaCategorical *c, EaDivergence which, double *result,
						  int *defined)
{
	EaBinned	b;
	EaStatus	st;

	*defined = c->nref > 0 && c->ncur > 0;
	if (!*defined)
		return EA_OK;
	if ((st = ea_categorical_bin(c, &b)) != EA_OK)
		return st;
	*result = ea_divergence(which, b.ref, b.nref, b.cur, b.ncur, b.nbins,
							c->binning == EA_BINNING_EVIDENTLY ? EA_ZERO_EVIDENTLY : EA_ZERO_EPSILON);
	ea_binned_free(&b);
	return EA_OK;
}

EaStatus
ea_categorical_chi2(const EaCategorical *c, double *statistic, double *p_value, int *dof,
					int *defined)
{
	EaBinned	b;
	EaStatus	st;

	*defined = c->nref > 0 && c->ncur > 0;
	if (!*defined)
		return EA_OK;
	if ((st = ea_categorical_bin(c, &b)) != EA_OK)
		return st;
	ea_chi2_homogeneity(b.ref, b.nref, b.cur, b.ncur, b.nbins, statistic, p_value, dof);
	ea_binned_free(&b);
	return EA_OK;
}

int64_t
ea_categorical_unseen(const EaCategorical *c)
{
	int64_t		unseen = 0;

	for (int32_t i = 0; i < c->tab.nkeys; i++)
	{
		const int64_t *k = ea_keytab_counts(&c->tab, i);

		if (k[0] == 0)
			unseen += k[1];
	}
	return unseen;
}
