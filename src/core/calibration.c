/*
 * calibration.c - calibration bins: combine, serialize, ECE.
 */
#include "calibration.h"

#include <math.h>
#include <string.h>

#include "codec.h"

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
		EaCalBin   *b = &c->bins[i];

		b->n = ea_get_count(&r, INT64_MAX / 2);
		b->positives = ea_get_count(&r, b->n);
		b->sum_prob.hi = ea_get_u64(&r);
		b->sum_prob.lo = ea_get_u64(&r);
		/* each probability is at most 2^63 units, so the sum is < n * 2^63 */
		if (r.bad || b->sum_prob.hi > (uint64_t) b->n / 2 + 1 || total > INT64_MAX / 2 - b->n)
			return EA_ECORRUPT;
		total += b->n;
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
