/*
 * average.c - per-row loss terms and the average state's serialization.
 */
#include "average.h"

#include <math.h>
#include <string.h>

#include "codec.h"

double
ea_brier_term(int y, double p)
{
	double		d = p - (y ? 1.0 : 0.0);

	return d * d;
}

double
ea_log_loss_term(int y, double p)
{
	if (p < EA_LOG_LOSS_EPS)
		p = EA_LOG_LOSS_EPS;
	if (p > 1.0 - EA_LOG_LOSS_EPS)
		p = 1.0 - EA_LOG_LOSS_EPS;
	return y ? -log(p) : -log(1.0 - p);
}

static uint64_t
double_bits(double x)
{
	uint64_t	u;

	memcpy(&u, &x, sizeof(u));
	return u;
}

static double
bits_double(uint64_t u)
{
	double		x;

	memcpy(&x, &u, sizeof(x));
	return x;
}

void
ea_average_serialize(const EaAverage *a, unsigned char *buf)
{
	EaWriter	w = {buf, buf + EA_AVERAGE_SERIALIZED_SIZE};

	ea_put_u8(&w, EA_STATE_VERSION);
	ea_put_u8(&w, EA_KIND_AVERAGE);
	ea_put_i64(&w, a->n);
	ea_put_u64(&w, double_bits(a->sum.hi));
	/* an overflowed sum is +inf; its NaN remainder is not sent */
	ea_put_u64(&w, double_bits(isinf(a->sum.hi) ? 0.0 : a->sum.lo));
}

EaStatus
ea_average_deserialize(EaAverage *a, const unsigned char *buf, size_t len)
{
	EaReader	r = {buf, buf + len, 0};
	uint8_t		version = ea_get_u8(&r);
	uint8_t		kind = ea_get_u8(&r);

	memset(a, 0, sizeof(*a));
	a->n = ea_get_count(&r, EA_MAX_COUNT);
	a->sum.hi = bits_double(ea_get_u64(&r));
	a->sum.lo = bits_double(ea_get_u64(&r));
	/* every loss term is >= 0 (squares, absolute values, -log p for p <= 1) */
	if (!ea_reader_done(&r) || version != EA_STATE_VERSION || kind != EA_KIND_AVERAGE ||
		!(isfinite(a->sum.hi) || a->sum.hi == INFINITY) || !isfinite(a->sum.lo) ||
		(a->sum.hi == INFINITY && a->sum.lo != 0.0) || !(a->sum.hi >= 0.0) ||
		!(ea_sum_value(a->sum) >= 0.0) ||
		(a->n == 0 && (a->sum.hi != 0.0 || a->sum.lo != 0.0)))
		return EA_ECORRUPT;
	return EA_OK;
}
