/*
 * expected.c - the expected confusion state: merging, the four estimates,
 * and the serialized form.
 */
#include "expected.h"

#include <math.h>
#include <string.h>

#include "codec.h"

void
ea_expected_init(EaExpected *e, double cutoff)
{
	memset(e, 0, sizeof(*e));
	e->cutoff = cutoff;
}

EaStatus
ea_expected_combine(EaExpected *a, const EaExpected *b)
{
	if (a->cutoff != b->cutoff)
		return EA_EPARAM;
	if (!ea_counts_fit(a->n_pos, b->n_pos) || !ea_counts_fit(a->n_neg, b->n_neg) ||
		!ea_counts_fit(a->n_pos + b->n_pos, a->n_neg + b->n_neg))
		return EA_ELIMIT;
	a->n_pos += b->n_pos;
	a->n_neg += b->n_neg;
	ea_u128_add(&a->sum_pos, b->sum_pos);
	ea_u128_add(&a->sum_neg, b->sum_neg);
	return EA_OK;
}

/* ---------- 128-bit helpers (the sums are below 2^125) ---------- */

/* n rows of probability 1: n * 2^63 */
static EaU128
rows_as_fixed(int64_t n)
{
	EaU128		r = {(uint64_t) n >> 1, ((uint64_t) n & 1) << 63};

	return r;
}

static EaU128
u128_sub(EaU128 a, EaU128 b)
{
	EaU128		r = {a.hi - b.hi - (a.lo < b.lo), a.lo - b.lo};

	return r;
}

static int
u128_less(EaU128 a, EaU128 b)
{
	return a.hi != b.hi ? a.hi < b.hi : a.lo < b.lo;
}

static int
u128_is_zero(EaU128 a)
{
	return a.hi == 0 && a.lo == 0;
}

/* a * b, both below 2^64 */
static EaU128
u128_mul64(uint64_t a, uint64_t b)
{
	uint64_t	a_lo = a & 0xffffffffu,
				a_hi = a >> 32,
				b_lo = b & 0xffffffffu,
				b_hi = b >> 32;
	uint64_t	ll = a_lo * b_lo,
				lh = a_lo * b_hi,
				hl = a_hi * b_lo,
				hh = a_hi * b_hi;
	uint64_t	mid = (ll >> 32) + (lh & 0xffffffffu) + (hl & 0xffffffffu);
	EaU128		r;

	r.lo = (mid << 32) | (ll & 0xffffffffu);
	r.hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
	return r;
}

/*
 * a / b, with a in probability units and b a real number of them (a row
 * count, or another sum): formed in long double, so that the one double
 * rounding is the last (0.8 for (0.6 + 0.9 + 0.9) / 3, not 0.7999999999999999)
 */
static long double
u128_units(EaU128 a)
{
	return ldexpl((long double) a.hi, 64 - EA_FIXED_ONE_LOG2) +
		ldexpl((long double) a.lo, -EA_FIXED_ONE_LOG2);
}

static double
ratio(EaU128 a, long double b)
{
	return (double) (u128_units(a) / b);
}

/* ---------- the estimates ---------- */

double
ea_expected_accuracy(const EaExpected *e, int *defined)
{
	int64_t		n = e->n_pos + e->n_neg;
	EaU128		right = e->sum_pos;

	*defined = n > 0;
	if (!*defined)
		return 0.0;
	/* E[TP] + E[TN] = sum_pos + n_neg - sum_neg */
	ea_u128_add(&right, u128_sub(rows_as_fixed(e->n_neg), e->sum_neg));
	return ratio(right, (long double) n);
}

double
ea_expected_precision(const EaExpected *e, int *defined)
{
	*defined = e->n_pos > 0;
	return *defined ? ratio(e->sum_pos, (long double) e->n_pos) : 0.0;
}

double
ea_expected_recall(const EaExpected *e, int *defined)
{
	EaU128		positives = e->sum_pos;

	ea_u128_add(&positives, e->sum_neg);
	*defined = !u128_is_zero(positives);
	return *defined ? ratio(e->sum_pos, u128_units(positives)) : 0.0;
}

double
ea_expected_f1(const EaExpected *e, int *defined)
{
	/* 2 E[TP] + E[FP] + E[FN] = sum_pos + n_pos + sum_neg */
	EaU128		denominator = rows_as_fixed(e->n_pos);

	ea_u128_add(&denominator, e->sum_pos);
	ea_u128_add(&denominator, e->sum_neg);
	*defined = !u128_is_zero(denominator);
	return *defined ? ratio(e->sum_pos, u128_units(denominator) / 2.0L) : 0.0;
}

/* ---------- serialized form ---------- */

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
ea_expected_serialize(const EaExpected *e, unsigned char *buf)
{
	EaWriter	w = {buf, buf + EA_EXPECTED_SERIALIZED_SIZE};

	ea_put_u8(&w, EA_STATE_VERSION);
	ea_put_u8(&w, EA_KIND_EXPECTED);
	ea_put_u64(&w, double_bits(e->cutoff));
	ea_put_i64(&w, e->n_pos);
	ea_put_i64(&w, e->n_neg);
	ea_put_u64(&w, e->sum_pos.hi);
	ea_put_u64(&w, e->sum_pos.lo);
	ea_put_u64(&w, e->sum_neg.hi);
	ea_put_u64(&w, e->sum_neg.lo);
}

EaStatus
ea_expected_deserialize(EaExpected *e, const unsigned char *buf, size_t len)
{
	EaReader	r = {buf, buf + len, 0};
	uint8_t		version = ea_get_u8(&r);
	uint8_t		kind = ea_get_u8(&r);
	uint64_t	cut;

	memset(e, 0, sizeof(*e));
	e->cutoff = bits_double(ea_get_u64(&r));
	e->n_pos = ea_get_count(&r, EA_MAX_COUNT);
	e->n_neg = ea_get_count(&r, EA_MAX_COUNT);
	e->sum_pos.hi = ea_get_u64(&r);
	e->sum_pos.lo = ea_get_u64(&r);
	e->sum_neg.hi = ea_get_u64(&r);
	e->sum_neg.lo = ea_get_u64(&r);
	if (!ea_reader_done(&r) || version != EA_STATE_VERSION || kind != EA_KIND_EXPECTED ||
		!(e->cutoff >= 0.0 && e->cutoff <= 1.0) || !ea_counts_fit(e->n_pos, e->n_neg))
		return EA_ECORRUPT;
	/*
	 * Every row's term lies between 0 and 2^63 (p = 1), a predicted
	 * positive's at or above the cutoff's, a predicted negative's at or
	 * below it; with a cutoff of 0 every row is predicted positive.
	 */
	cut = ea_fixed_from_prob(e->cutoff);
	if (u128_less(rows_as_fixed(e->n_pos), e->sum_pos) ||
		u128_less(e->sum_pos, u128_mul64((uint64_t) e->n_pos, cut)) ||
		u128_less(u128_mul64((uint64_t) e->n_neg, cut), e->sum_neg) ||
		(e->cutoff == 0.0 && e->n_neg != 0))
		return EA_ECORRUPT;
	return EA_OK;
}
