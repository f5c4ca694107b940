/*
 * calibration.c - calibration bins: combine, serialize, ECE.
 */
#include "calibration.h"

#include <math.h>
#include <string.h>

#include "codec.h"
#include "ea_alloc.h"

void
ea_calibration_init(EaCalibration *c, int nbins)
{
	memset(c, 0, ea_calibration_size(nbins));
	c->nbins = nbins;
}

EaStatus
ea_calibration_combine(EaCalibration *a, const EaCalibration *b)
{
	if (a->nbins != b->nbins)
		return EA_EPARAM;
	if (!ea_counts_fit(a->n, b->n))
		return EA_ELIMIT;		/* every bin's rows are at most n */
	for (int i = 0; i < a->nbins; i++)
	{
		a->bins[i].n += b->bins[i].n;
		a->bins[i].positives += b->bins[i].positives;
		ea_u128_add(&a->bins[i].sum_prob, b->bins[i].sum_prob);
	}
	a->n += b->n;
	return EA_OK;
}

/* version, kind (u8), nbins (u32), then per bin n, positives, sum hi, sum lo */
#define EA_CAL_HEADER (2 + 4)
#define EA_CAL_PER_BIN (4 * 8)

size_t
ea_calibration_serialized_size(const EaCalibration *c)
{
	return EA_CAL_HEADER + (size_t) c->nbins * EA_CAL_PER_BIN;
}

void
ea_calibration_serialize(const EaCalibration *c, unsigned char *buf)
{
	EaWriter	w = {buf, buf + ea_calibration_serialized_size(c)};

	ea_put_u8(&w, EA_STATE_VERSION);
	ea_put_u8(&w, EA_KIND_CALIBRATION);
	ea_put_u32(&w, (uint32_t) c->nbins);
	for (int i = 0; i < c->nbins; i++)
	{
		ea_put_i64(&w, c->bins[i].n);
		ea_put_i64(&w, c->bins[i].positives);
		ea_put_u64(&w, c->bins[i].sum_prob.hi);
		ea_put_u64(&w, c->bins[i].sum_prob.lo);
	}
}

/* the 128-bit product a * b */
static EaU128
mul_u64(uint64_t a, uint64_t b)
{
	uint64_t	a0 = a & 0xFFFFFFFFu,
				a1 = a >> 32,
				b0 = b & 0xFFFFFFFFu,
				b1 = b >> 32;
	uint64_t	p00 = a0 * b0,
				p01 = a0 * b1,
				p10 = a1 * b0,
				p11 = a1 * b1;
	uint64_t	mid = (p00 >> 32) + (p01 & 0xFFFFFFFFu) + (p10 & 0xFFFFFFFFu);
	EaU128		r;

	r.lo = (mid << 32) | (p00 & 0xFFFFFFFFu);
	r.hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
	return r;
}

static int
u128_le(EaU128 a, EaU128 b)
{
	return a.hi < b.hi || (a.hi == b.hi && a.lo <= b.lo);
}

/*
 * Reads bin k of nbins and checks it as ea_calibration_add fills it: rows
 * within [0, EA_MAX_COUNT], positives within [0, rows], and a sum of
 * probabilities that n probabilities of this bin can have.  A probability p
 * in bin k satisfies k/nbins < p <= (k+1)/nbins (0 <= p in the first bin,
 * p <= 1 in the last), with the edges computed as ea_probability_bin computes
 * them, so its fixed-point value lies between the fixed-point values of the
 * edges, and n of them sum to between n times those.  In particular the mean
 * probability of a bin lies in [0, 1].
 */
static int
read_bin(EaReader *r, EaCalBin *b, int k, int nbins)
{
	double		step = 1.0 / (double) nbins;
	uint64_t	lo = k == 0 ? 0 : ea_fixed_from_prob((double) k * step);
	uint64_t	hi = k == nbins - 1 ? UINT64_C(1) << EA_FIXED_ONE_LOG2
		: ea_fixed_from_prob((double) (k + 1) * step);

	b->n = ea_get_count(r, EA_MAX_COUNT);
	b->positives = ea_get_count(r, b->n);
	b->sum_prob.hi = ea_get_u64(r);
	b->sum_prob.lo = ea_get_u64(r);
	return !r->bad && u128_le(mul_u64((uint64_t) b->n, lo), b->sum_prob) &&
		u128_le(b->sum_prob, mul_u64((uint64_t) b->n, hi));
}

EaStatus
ea_calibration_peek_bins(const unsigned char *buf, size_t len, int *nbins)
{
	EaReader	r = {buf, buf + len, 0};
	uint8_t		version = ea_get_u8(&r);
	uint8_t		kind = ea_get_u8(&r);
	uint32_t	nb = ea_get_u32(&r);

	if (r.bad || version != EA_STATE_VERSION || kind != EA_KIND_CALIBRATION ||
		nb < 1 || nb > EA_MAX_BINS ||
		len != EA_CAL_HEADER + (size_t) nb * EA_CAL_PER_BIN)
		return EA_ECORRUPT;
	*nbins = (int) nb;
	return EA_OK;
}

EaStatus
ea_calibration_deserialize(EaCalibration *c, const unsigned char *buf, size_t len)
{
	EaReader	r = {buf, buf + len, 0};
	int			nbins;
	int64_t		total = 0;

	if (ea_calibration_peek_bins(buf, len, &nbins) != EA_OK)
		return EA_ECORRUPT;
	r.p += EA_CAL_HEADER;
	ea_calibration_init(c, nbins);
	for (int i = 0; i < nbins; i++)
	{
		if (!read_bin(&r, &c->bins[i], i, nbins) || !ea_add_count(&total, c->bins[i].n))
			return EA_ECORRUPT;
	}
	c->n = total;
	return ea_reader_done(&r) ? EA_OK : EA_ECORRUPT;
}

double
ea_ece(const EaCalibration *c, int *defined)
{
	double		ece = 0.0;

	*defined = c->n > 0;
	if (!*defined)
		return 0.0;
	for (int i = 0; i < c->nbins; i++)
	{
		const EaCalBin *b = &c->bins[i];
		double		mean_y,
					mean_p;

		if (b->n == 0)
			continue;
		mean_y = (double) b->positives / (double) b->n;
		mean_p = ea_u128_to_prob(b->sum_prob) / (double) b->n;
		ece += ((double) b->n / (double) c->n) * fabs(mean_y - mean_p);
	}
	return ece;
}

double
ea_mce(const EaCalibration *c, int *defined)
{
	double		mce = 0.0;

	*defined = c->n > 0;
	for (int i = 0; i < c->nbins; i++)
	{
		const EaCalBin *b = &c->bins[i];
		double		gap;

		if (b->n == 0)
			continue;
		gap = fabs((double) b->positives / (double) b->n -
				   ea_u128_to_prob(b->sum_prob) / (double) b->n);
		if (gap > mce)
			mce = gap;
	}
	return mce;
}

void
ea_group_calibration_init(EaGroupCalibration *g, int nbins, EaMemory mem)
{
	memset(g, 0, sizeof(*g));
	g->nbins = nbins;
	g->min_size = 1;
	g->mem = mem;
	ea_keytab_init(&g->groups, 1, mem);
}

void
ea_group_calibration_free(EaGroupCalibration *g)
{
	for (int32_t i = 0; i < g->capblocks; i++)
		if (g->blocks[i])
			ea_free(g->mem, g->blocks[i]);
	if (g->blocks)
		ea_free(g->mem, g->blocks);
	ea_keytab_free(&g->groups);
	g->blocks = NULL;
	g->capblocks = 0;
}

static EaStatus
reserve_blocks(EaGroupCalibration *g, int32_t need)
{
	int32_t		cap = g->capblocks ? g->capblocks : 8;
	EaCalibration **blocks;

	if (need <= g->capblocks)
		return EA_OK;
	while (cap < need)
		cap *= 2;
	blocks = g->blocks ? ea_realloc(g->mem, g->blocks, sizeof(EaCalibration *) * (size_t) cap)
		: ea_alloc(g->mem, sizeof(EaCalibration *) * (size_t) cap);
	if (blocks == NULL)
		return EA_ENOMEM;
	memset(blocks + g->capblocks, 0, sizeof(EaCalibration *) * (size_t) (cap - g->capblocks));
	g->blocks = blocks;
	g->capblocks = cap;
	return EA_OK;
}

/* the bins of a group, created empty for a group seen for the first time */
static EaStatus
lookup_block(EaGroupCalibration *g, const char *group, uint32_t len, int32_t max_groups,
			 int32_t *index, EaCalibration **block)
{
	EaStatus	st = ea_keytab_lookup(&g->groups, group, len, max_groups, index);

	if (st != EA_OK)
		return st;
	if ((st = reserve_blocks(g, g->groups.nkeys)) != EA_OK)
		return st;
	if (g->blocks[*index] == NULL)
	{
		g->blocks[*index] = ea_alloc(g->mem, ea_calibration_size(g->nbins));
		if (g->blocks[*index] == NULL)
			return EA_ENOMEM;
		ea_calibration_init(g->blocks[*index], g->nbins);
	}
	*block = g->blocks[*index];
	return EA_OK;
}

EaStatus
ea_group_calibration_add(EaGroupCalibration *g, const char *group, uint32_t len,
						 int positive, double p, int32_t max_groups)
{
	int32_t		i;
	EaCalibration *block;
	EaStatus	st = lookup_block(g, group, len, max_groups, &i, &block);

	if (st != EA_OK)
		return st;
	ea_calibration_add(block, positive, p);
	ea_keytab_counts(&g->groups, i)[0]++;
	return EA_OK;
}

EaStatus
ea_group_calibration_combine(EaGroupCalibration *a, const EaGroupCalibration *b,
							 int32_t max_groups)
{
	int64_t		rows_a = 0,
				rows_b = 0;

	if (a->nbins != b->nbins || a->min_size != b->min_size)
		return EA_EPARAM;
	for (int32_t i = 0; i < a->groups.nkeys; i++)
		if (!ea_add_count(&rows_a, ea_keytab_counts(&a->groups, i)[0]))
			return EA_ELIMIT;
	for (int32_t i = 0; i < b->groups.nkeys; i++)
		if (!ea_add_count(&rows_b, ea_keytab_counts(&b->groups, i)[0]))
			return EA_ELIMIT;
	if (!ea_counts_fit(rows_a, rows_b))
		return EA_ELIMIT;
	for (int32_t i = 0; i < b->groups.nkeys; i++)
	{
		uint32_t	len;
		const char *key = ea_keytab_key(&b->groups, i, &len);
		int32_t		j;
		EaCalibration *block;
		EaStatus	st = lookup_block(a, key, len, max_groups, &j, &block);

		if (st != EA_OK)
			return st;
		ea_calibration_combine(block, b->blocks[i]);
		ea_keytab_counts(&a->groups, j)[0] += ea_keytab_counts(&b->groups, i)[0];
	}
	return EA_OK;
}

/*
 * version (u8), kind (u8), nbins (u32), [version 2: min_size (u32)], the
 * group table, then each group's bins.  Version 1, without min_size, is
 * still read.
 */
#define EA_GCAL_VERSION 2
#define EA_GCAL_HEADER (2 + 4 + 4)

size_t
ea_group_calibration_serialized_size(const EaGroupCalibration *g)
{
	return EA_GCAL_HEADER + ea_keytab_serialized_size(&g->groups) +
		(size_t) g->groups.nkeys * (size_t) g->nbins * EA_CAL_PER_BIN;
}

void
ea_group_calibration_serialize(const EaGroupCalibration *g, unsigned char *buf)
{
	EaWriter	w = {buf, buf + ea_group_calibration_serialized_size(g)};

	ea_put_u8(&w, EA_GCAL_VERSION);
	ea_put_u8(&w, EA_KIND_GROUP_CALIBRATION);
	ea_put_u32(&w, (uint32_t) g->nbins);
	ea_put_u32(&w, (uint32_t) g->min_size);
	w.p = ea_keytab_serialize(&g->groups, w.p);
	for (int32_t i = 0; i < g->groups.nkeys; i++)
		for (int k = 0; k < g->nbins; k++)
		{
			const EaCalBin *b = &g->blocks[i]->bins[k];

			ea_put_i64(&w, b->n);
			ea_put_i64(&w, b->positives);
			ea_put_u64(&w, b->sum_prob.hi);
			ea_put_u64(&w, b->sum_prob.lo);
		}
}

EaStatus
ea_group_calibration_deserialize(EaGroupCalibration *g, const unsigned char *buf, size_t len,
								 int32_t max_groups, EaMemory mem)
{
	EaReader	r = {buf, buf + len, 0};
	uint8_t		version = ea_get_u8(&r);
	uint8_t		kind = ea_get_u8(&r);
	uint32_t	nbins = ea_get_u32(&r);
	uint32_t	min_size = version == EA_GCAL_VERSION ? ea_get_u32(&r) : 1;
	const unsigned char *p;
	EaKeytab	groups;
	EaStatus	st;

	ea_group_calibration_init(g, 1, mem);
	if (r.bad || (version != EA_GCAL_VERSION && version != EA_STATE_VERSION) ||
		kind != EA_KIND_GROUP_CALIBRATION || nbins < 1 || nbins > EA_MAX_BINS ||
		min_size < 1 || min_size > INT32_MAX)
		return EA_ECORRUPT;
	p = r.p;
	if ((st = ea_keytab_deserialize(&groups, 1, &p, buf + len, max_groups, mem)) != EA_OK)
		return st;
	/* the bins must fill the rest exactly: checked before allocating blocks */
	if ((size_t) (buf + len - p) / EA_CAL_PER_BIN / nbins != (size_t) groups.nkeys ||
		(size_t) (buf + len - p) != (size_t) groups.nkeys * nbins * EA_CAL_PER_BIN)
	{
		ea_keytab_free(&groups);
		return EA_ECORRUPT;
	}
	g->nbins = (int32_t) nbins;
	g->min_size = (int32_t) min_size;
	g->groups = groups;
	g->blocks = ea_alloc(mem, sizeof(EaCalibration *) * (size_t) (groups.nkeys ? groups.nkeys : 1));
	if (g->blocks == NULL)
	{
		ea_keytab_free(&g->groups);
		return EA_ENOMEM;
	}
	g->capblocks = groups.nkeys ? groups.nkeys : 1;
	memset(g->blocks, 0, sizeof(EaCalibration *) * (size_t) g->capblocks);
	r.p = p;
	for (int32_t i = 0; i < groups.nkeys; i++)
	{
		EaCalibration *c = ea_alloc(mem, ea_calibration_size((int) nbins));
		int64_t		total = 0;

		if (c == NULL)
		{
			ea_group_calibration_free(g);
			return EA_ENOMEM;
		}
		ea_calibration_init(c, (int) nbins);
		g->blocks[i] = c;
		for (uint32_t k = 0; k < nbins; k++)
		{
			if (!read_bin(&r, &c->bins[k], (int) k, (int) nbins) ||
				!ea_add_count(&total, c->bins[k].n))
			{
				ea_group_calibration_free(g);
				return EA_ECORRUPT;
			}
		}
		c->n = total;
		/* the group's row counter must agree with its bins */
		if (total != ea_keytab_counts(&g->groups, i)[0])
		{
			ea_group_calibration_free(g);
			return EA_ECORRUPT;
		}
	}
	return ea_reader_done(&r) ? EA_OK : EA_ECORRUPT;
}
