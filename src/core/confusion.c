/*
 * confusion.c - per-group confusion counts and the gaps between groups.
 */
#include "confusion.h"

#include <string.h>

#include "codec.h"

void
ea_confusion_init(EaConfusion *c, int64_t min_positives)
{
	ea_keytab_init(&c->groups, EA_CONFUSION_WIDTH);
	c->min_positives = min_positives;
}

void
ea_confusion_free(EaConfusion *c)
{
	ea_keytab_free(&c->groups);
}

EaStatus
ea_confusion_combine(EaConfusion *a, const EaConfusion *b, int32_t max_groups)
{
	if (a->min_positives != b->min_positives)
		return EA_EPARAM;
	return ea_keytab_merge(&a->groups, &b->groups, max_groups);
}

/* version, kind (u8), min_positives (i64), then the group table */
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
	ea_put_i64(&w, c->min_positives);
	ea_keytab_serialize(&c->groups, w.p);
}

EaStatus
ea_confusion_deserialize(EaConfusion *c, const unsigned char *buf, size_t len,
						 int32_t max_groups)
{
	EaReader	r = {buf, buf + len, 0};
	uint8_t		version = ea_get_u8(&r);
	uint8_t		kind = ea_get_u8(&r);
	int64_t		min_positives = ea_get_count(&r, INT64_MAX);
	const unsigned char *p = r.p;
	EaStatus	st;

	ea_confusion_init(c, 0);
	if (r.bad || version != EA_STATE_VERSION || kind != EA_KIND_CONFUSION)
		return EA_ECORRUPT;
	st = ea_keytab_deserialize(&c->groups, EA_CONFUSION_WIDTH, &p, buf + len, max_groups);
	if (st != EA_OK)
		return st;
	if (p != buf + len)
	{
		ea_keytab_free(&c->groups);
		return EA_ECORRUPT;
	}
	c->min_positives = min_positives;
	return EA_OK;
}

double
ea_confusion_tpr_gap(const EaConfusion *c, int *defined)
{
	int64_t		need = c->min_positives > 1 ? c->min_positives : 1;
	double		lo = 0.0,
				hi = 0.0;
	int			qualified = 0;

	for (int32_t i = 0; i < c->groups.nkeys; i++)
	{
		const int64_t *k = ea_keytab_counts(&c->groups, i);
		int64_t		positives = k[EA_TP] + k[EA_FN];
		double		tpr;

		if (positives < need)
			continue;
		tpr = (double) k[EA_TP] / (double) positives;
		if (qualified == 0 || tpr < lo)
			lo = tpr;
		if (qualified == 0 || tpr > hi)
			hi = tpr;
		qualified++;
	}
	*defined = qualified >= 2;
	return hi - lo;
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
ea_confusion_rate(const EaConfusion *c, int num, int other, int *defined)
{
	int64_t		t[EA_CONFUSION_WIDTH];

	ea_confusion_totals(c, t);
	*defined = t[num] + t[other] > 0;
	if (!*defined)
		return 0.0;
	return (double) t[num] / (double) (t[num] + t[other]);
}
