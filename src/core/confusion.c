/*
 * confusion.c - per-group confusion counts and the gaps between groups.
 */
#include "confusion.h"

#include <math.h>
#include <string.h>

#include "codec.h"

void
ea_confusion_init(EaConfusion *c, int64_t min_count, EaMemory mem)
{
	ea_keytab_init(&c->groups, EA_CONFUSION_WIDTH, mem);
	c->min_count = min_count;
}

void
ea_confusion_free(EaConfusion *c)
{
	ea_keytab_free(&c->groups);
}

EaStatus
ea_confusion_group(EaConfusion *c, const char *group, uint32_t len, int32_t max_groups,
				   int64_t **counts)
{
	int32_t		i;
	EaStatus	st = ea_keytab_lookup(&c->groups, group, len, max_groups, &i);

	if (st == EA_OK)
		*counts = ea_keytab_counts(&c->groups, i);
	return st;
}

/* every count of every group, added up; -1 past EA_MAX_COUNT */
static int64_t
rows_of(const EaConfusion *c)
{
	int64_t		total = 0;

	for (int32_t i = 0; i < c->groups.nkeys; i++)
		for (int w = 0; w < EA_CONFUSION_WIDTH; w++)
			if (!ea_add_count(&total, ea_keytab_counts(&c->groups, i)[w]))
				return -1;
	return total;
}

EaStatus
ea_confusion_combine(EaConfusion *a, const EaConfusion *b, int32_t max_groups)
{
	if (a->min_count != b->min_count)
		return EA_EPARAM;
	if (!ea_counts_fit(rows_of(a), rows_of(b)))
		return EA_ELIMIT;
	return ea_keytab_merge(&a->groups, &b->groups, max_groups);
}

/* version, kind (u8), min_count (i64), then the group table */
#define EA_CONF_HEADER (2 + 8)

size_t
ea_confusion_serialized_size(const EaConfusion *c)
{
	return EA_CONF_HEADER + ea_keytab_serialized_size(&c->groups);
}

void
ea_confusion_serialize(const EaConfusion *c, unsigned char *buf)
{
	EaWriter	w = {buf, buf + EA_CONF_HEADER};

	ea_put_u8(&w, EA_STATE_VERSION);
	ea_put_u8(&w, EA_KIND_CONFUSION);
	ea_put_i64(&w, c->min_count);
	ea_keytab_serialize(&c->groups, w.p);
}

EaStatus
ea_confusion_deserialize(EaConfusion *c, const unsigned char *buf, size_t len,
						 int32_t max_groups, EaMemory mem)
{
	EaReader	r = {buf, buf + len, 0};
	uint8_t		version = ea_get_u8(&r);
	uint8_t		kind = ea_get_u8(&r);
	/* the aggregates' minimum count option is an int4 of at least 1 */
	int64_t		min_count = ea_get_count(&r, INT32_MAX);
	const unsigned char *p = r.p;
	EaStatus	st;

	ea_confusion_init(c, 0, mem);
	if (r.bad || version != EA_STATE_VERSION || kind != EA_KIND_CONFUSION || min_count < 1)
		return EA_ECORRUPT;
	st = ea_keytab_deserialize(&c->groups, EA_CONFUSION_WIDTH, &p, buf + len, max_groups, mem);
	if (st != EA_OK)
		return st;
	if (p != buf + len)
	{
		ea_keytab_free(&c->groups);
		return EA_ECORRUPT;
	}
	c->min_count = min_count;
	return EA_OK;
}

void
ea_rate_parts(const int64_t *k, EaRate rate, int64_t *num, int64_t *den)
{
	int64_t		all = k[EA_TP] + k[EA_FN] + k[EA_FP] + k[EA_TN];

	/*
	 * A value outside the enum gets denominator 0, which every caller treats
	 * as undefined.  No default label, so that -Wswitch names a rate added to
	 * the enum but not here.
	 */
	*num = 0;
	*den = 0;
	switch (rate)
	{
		case EA_RATE_TPR:
			*num = k[EA_TP];
			*den = k[EA_TP] + k[EA_FN];
			break;
		case EA_RATE_FPR:
			*num = k[EA_FP];
			*den = k[EA_FP] + k[EA_TN];
			break;
		case EA_RATE_FNR:
			*num = k[EA_FN];
			*den = k[EA_FN] + k[EA_TP];
			break;
		case EA_RATE_SELECTION:
			*num = k[EA_TP] + k[EA_FP];
			*den = all;
			break;
		case EA_RATE_PRECISION:
			*num = k[EA_TP];
			*den = k[EA_TP] + k[EA_FP];
			break;
		case EA_RATE_ACCURACY:
			*num = k[EA_TP] + k[EA_TN];
			*den = all;
			break;
		case EA_RATE_F1:
			*num = 2 * k[EA_TP];
			*den = 2 * k[EA_TP] + k[EA_FP] + k[EA_FN];
			break;
	}
}

EaRateRange
ea_confusion_rate_range(const EaConfusion *c, EaRate rate, int64_t min_denominator)
{
	EaRateRange r = {0.0, 0.0, 0};
	int64_t		need = min_denominator > 1 ? min_denominator : 1;

	for (int32_t i = 0; i < c->groups.nkeys; i++)
	{
		int64_t		num,
					den;
		double		v;

		ea_rate_parts(ea_keytab_counts(&c->groups, i), rate, &num, &den);
		if (den < need)
			continue;
		v = (double) num / (double) den;
		if (r.groups == 0 || v < r.min)
			r.min = v;
		if (r.groups == 0 || v > r.max)
			r.max = v;
		r.groups++;
	}
	return r;
}

double
ea_confusion_tpr_gap(const EaConfusion *c, int *defined)
{
	EaRateRange r = ea_confusion_rate_range(c, EA_RATE_TPR, c->min_count);

	*defined = r.groups >= 2;
	return r.max - r.min;
}

void
ea_confusion_totals(const EaConfusion *c, int64_t totals[EA_CONFUSION_WIDTH])
{
	memset(totals, 0, sizeof(int64_t) * EA_CONFUSION_WIDTH);
	for (int32_t i = 0; i < c->groups.nkeys; i++)
	{
		const int64_t *k = ea_keytab_counts(&c->groups, i);

		for (int w = 0; w < EA_CONFUSION_WIDTH; w++)
			totals[w] += k[w];
	}
}

double
ea_confusion_rate(const EaConfusion *c, EaRate rate, int *defined)
{
	int64_t		t[EA_CONFUSION_WIDTH];
	int64_t		num,
				den;

	ea_confusion_totals(c, t);
	ea_rate_parts(t, rate, &num, &den);
	*defined = den > 0;
	if (!*defined)
		return 0.0;
	return (double) num / (double) den;
}

void
ea_wilson_interval(int64_t k, int64_t n, double *lo, double *hi)
{
	const double z = 1.959963984540054;
	double		nn = (double) n;
	double		p = (double) k / nn;
	double		z2 = z * z;
	double		denom = 1.0 + z2 / nn;
	double		center = (p + z2 / (2.0 * nn)) / denom;
	double		half = z * sqrt(p * (1.0 - p) / nn + z2 / (4.0 * nn * nn)) / denom;

	*lo = center - half;
	*hi = center + half;
	if (*lo < 0.0)
		*lo = 0.0;
	if (*hi > 1.0)
		*hi = 1.0;
}
