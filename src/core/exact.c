/*
 * exact.c - exact sums of values and squares: growth, carries, merging,
 * serialization, and the mean and variance read from them.
 */
#include "exact.h"

#include <math.h>
#include <string.h>

#include "codec.h"
#include "ea_alloc.h"

#define LIMB_MASK INT64_C(0xffffffff)
#define LIMB_RADIX INT64_C(0x100000000)
/* a stored limb may hold this much before its carries are propagated */
#define LIMB_MAX (INT64_C(1) << 62)

static EaStatus
exact_init(EaExact *s, int32_t maxlimbs, EaMemory mem)
{
	memset(s, 0, sizeof(*s));
	s->maxlimbs = maxlimbs;
	s->mem = mem;
	s->limb = ea_alloc(mem, 4 * sizeof(int64_t));
	if (s->limb == NULL)
		return EA_ENOMEM;
	s->cap = 4;
	return EA_OK;
}

EaStatus
ea_moments_init(EaMoments *m, EaMemory mem)
{
	EaStatus	st;

	memset(m, 0, sizeof(*m));
	m->known = 1;
	if ((st = exact_init(&m->sum, EA_EXACT_SUM_LIMBS, mem)) != EA_OK ||
		(st = exact_init(&m->sumsq, EA_EXACT_SQ_LIMBS, mem)) != EA_OK)
		ea_moments_free(m);
	return st;
}

void
ea_moments_free(EaMoments *m)
{
	if (m->sum.limb)
		ea_free(m->sum.mem, m->sum.limb);
	if (m->sumsq.limb)
		ea_free(m->sumsq.mem, m->sumsq.limb);
	memset(m, 0, sizeof(*m));
}

static void
exact_clear(EaExact *s)
{
	s->lo = 0;
	s->used = 0;
}

void
ea_moments_forget(EaMoments *m)
{
	exact_clear(&m->sum);
	exact_clear(&m->sumsq);
	m->pending = 0;
	m->known = 0;
}

static EaStatus
exact_copy(EaExact *dst, const EaExact *src, EaMemory mem)
{
	EaStatus	st = exact_init(dst, src->maxlimbs, mem);

	if (st == EA_OK && src->used > 0)
	{
		if ((st = ea_exact_grow(dst, src->lo, src->lo + src->used - 1)) == EA_OK)
			memcpy(dst->limb, src->limb, sizeof(int64_t) * (size_t) src->used);
	}
	return st;
}

EaStatus
ea_moments_copy(EaMoments *dst, const EaMoments *src, EaMemory mem)
{
	EaStatus	st;

	memset(dst, 0, sizeof(*dst));
	if ((st = exact_copy(&dst->sum, &src->sum, mem)) != EA_OK ||
		(st = exact_copy(&dst->sumsq, &src->sumsq, mem)) != EA_OK)
	{
		ea_moments_free(dst);
		return st;
	}
	dst->neg_inf = src->neg_inf;
	dst->pos_inf = src->pos_inf;
	dst->pending = src->pending;
	dst->known = src->known;
	return EA_OK;
}

/* widens the allocated limbs to cover first .. last (new limbs zero) */
EaStatus
ea_exact_grow(EaExact *s, int32_t first, int32_t last)
{
	int32_t		lo = first,
				hi = last;
	int32_t		need;

	if (s->used > 0)
	{
		if (s->lo < lo)
			lo = s->lo;
		if (s->lo + s->used - 1 > hi)
			hi = s->lo + s->used - 1;
	}
	if (lo < 0 || hi >= s->maxlimbs)
		return EA_ECORRUPT;		/* beyond any sum of doubles: a crafted state */
	need = hi - lo + 1;
	if (need > s->cap)
	{
		int32_t		cap = s->cap * 2 > need ? s->cap * 2 : need;
		int64_t    *p = ea_realloc(s->mem, s->limb, sizeof(int64_t) * (size_t) cap);

		if (p == NULL)
			return EA_ENOMEM;
		s->limb = p;
		s->cap = cap;
	}
	if (s->used == 0)
		memset(s->limb, 0, sizeof(int64_t) * (size_t) need);
	else
	{
		int32_t		shift = s->lo - lo;

		if (shift > 0)
		{
			memmove(s->limb + shift, s->limb, sizeof(int64_t) * (size_t) s->used);
			memset(s->limb, 0, sizeof(int64_t) * (size_t) shift);
		}
		memset(s->limb + shift + s->used, 0, sizeof(int64_t) * (size_t) (need - shift - s->used));
	}
	s->lo = lo;
	s->used = need;
	return EA_OK;
}

/* floor(v / 2^32), without shifting a negative number */
static inline int64_t
carry_of(int64_t v)
{
	return (v - (v & LIMB_MASK)) / LIMB_RADIX;
}

/*
 * Propagates carries: every limb but the top one in [0, 2^32), the top one
 * signed; zero limbs at the top dropped.
 */
static EaStatus
exact_normalize(EaExact *s)
{
	int64_t		carry = 0;
	EaStatus	st;

	for (int32_t k = 0; k < s->used; k++)
	{
		int64_t		v = s->limb[k] + carry;

		carry = carry_of(v);
		s->limb[k] = v & LIMB_MASK;
	}
	while (carry != 0 && carry != -1)
	{
		int32_t		top = s->lo + s->used;

		if ((st = ea_exact_grow(s, top, top)) != EA_OK)
			return st;
		s->limb[s->used - 1] = carry & LIMB_MASK;
		carry = carry_of(carry);
	}
	if (carry == -1)
		s->limb[s->used - 1] -= LIMB_RADIX;	/* a negative sum */
	while (s->used > 0 && s->limb[s->used - 1] == 0)
		s->used--;
	if (s->used == 0)
		s->lo = 0;
	return EA_OK;
}

/*
 * The slow path: limbs allocated (or carries propagated, every 2^28 rows),
 * then the value added through the general routine. pending was counted.
 */
EaStatus
ea_moments_add_growing(EaMoments *m, double x, int delta)
{
	uint64_t	u;
	uint64_t	mant;
	int			bexp;
	int32_t		e;
	uint64_t	mh,
				ml;
	int			neg = delta < 0;
	EaStatus	st;

	if (m->pending >= EA_EXACT_PENDING_MAX && (st = ea_moments_normalize(m)) != EA_OK)
		return st;
	memcpy(&u, &x, sizeof(u));
	bexp = (int) ((u >> 52) & 0x7ff);
	mant = u & ((UINT64_C(1) << 52) - 1);
	if (bexp == 0)
		bexp = 1;
	else
		mant |= UINT64_C(1) << 52;
	e = bexp - 1075;
	mh = mant >> 32;
	ml = mant & 0xffffffffu;
	if ((st = ea_exact_add_bits(&m->sum, mant, e + EA_EXACT_SUM_BASE, (int) (u >> 63) ^ neg)) != EA_OK ||
		(st = ea_exact_add_bits(&m->sumsq, ml * ml, 2 * e + EA_EXACT_SQ_BASE, neg)) != EA_OK ||
		(st = ea_exact_add_bits(&m->sumsq, 2 * mh * ml, 2 * e + EA_EXACT_SQ_BASE + 32, neg)) != EA_OK ||
		(st = ea_exact_add_bits(&m->sumsq, mh * mh, 2 * e + EA_EXACT_SQ_BASE + 64, neg)) != EA_OK)
		return st;
	return EA_OK;
}

EaStatus
ea_moments_normalize(EaMoments *m)
{
	EaStatus	st = exact_normalize(&m->sum);

	if (st == EA_OK)
		st = exact_normalize(&m->sumsq);
	m->pending = 0;
	return st;
}

static EaStatus
exact_add(EaExact *a, const EaExact *b)
{
	EaStatus	st;

	if (b->used == 0)
		return EA_OK;
	if ((st = ea_exact_grow(a, b->lo, b->lo + b->used - 1)) != EA_OK)
		return st;
	for (int32_t k = 0; k < b->used; k++)
		a->limb[b->lo - a->lo + k] += b->limb[k];
	return EA_OK;
}

EaStatus
ea_moments_combine(EaMoments *a, const EaMoments *b)
{
	EaStatus	st;

	/* a's limbs below 2^32 and b's below 2^62: their sums fit */
	if ((st = ea_moments_normalize(a)) != EA_OK ||
		(st = exact_add(&a->sum, &b->sum)) != EA_OK ||
		(st = exact_add(&a->sumsq, &b->sumsq)) != EA_OK)
		return st;
	a->neg_inf += b->neg_inf;
	a->pos_inf += b->pos_inf;
	a->known = a->known && b->known;
	return ea_moments_normalize(a);
}

/* adds v * 2^shift exactly (v finite) to a sum whose limb 0 is 2^-base */
static EaStatus
add_value(EaExact *s, int base, double v, int shift)
{
	uint64_t	u;
	uint64_t	mant;
	int			bexp;

	memcpy(&u, &v, sizeof(u));
	bexp = (int) ((u >> 52) & 0x7ff);
	mant = u & ((UINT64_C(1) << 52) - 1);
	if (bexp == 0)
	{
		if (mant == 0)
			return EA_OK;
		bexp = 1;
	}
	else
		mant |= UINT64_C(1) << 52;
	if (bexp - 1075 + base + shift < 0)
		return EA_OK;			/* below the smallest subnormal's square: nothing kept */
	return ea_exact_add_bits(s, mant, bexp - 1075 + base + shift, (int) (u >> 63));
}

/* a * b = p + e exactly (no overflow or underflow for the operands used here) */
static void
two_product(double a, double b, double *p, double *e)
{
	*p = a * b;
	*e = fma(a, b, -*p);
}

EaStatus
ea_moments_from_mean_m2(EaMoments *m, int64_t n, double mean, double m2)
{
	double		f,
				nd = (double) n,
				p,
				e,
				g1,
				g2;
	int			k;
	EaStatus	st;

	exact_clear(&m->sum);
	exact_clear(&m->sumsq);
	m->pending = 0;
	m->known = 1;
	if (n == 0)
		return EA_OK;
	if (!isfinite(mean) || !isfinite(m2) || m2 < 0.0)
	{
		m->known = 0;
		return EA_OK;
	}
	/* mean = f 2^k, f in [0.5, 1): the products below neither overflow nor underflow */
	f = frexp(mean, &k);
	/* sum = n mean */
	two_product(f, nd, &p, &e);
	if ((st = add_value(&m->sum, EA_EXACT_SUM_BASE, p, k)) != EA_OK ||
		(st = add_value(&m->sum, EA_EXACT_SUM_BASE, e, k)) != EA_OK)
		return st;
	/* sum of squares = m2 + n mean^2 */
	if ((st = add_value(&m->sumsq, EA_EXACT_SQ_BASE, m2, 0)) != EA_OK)
		return st;
	two_product(f, f, &g1, &g2);
	for (int i = 0; i < 2; i++)
	{
		two_product(i == 0 ? g1 : g2, nd, &p, &e);
		if ((st = add_value(&m->sumsq, EA_EXACT_SQ_BASE, p, 2 * k)) != EA_OK ||
			(st = add_value(&m->sumsq, EA_EXACT_SQ_BASE, e, 2 * k)) != EA_OK)
			return st;
	}
	return ea_moments_normalize(m);
}

/* ---------- reading results: plain big integers in the final function ---------- */

#define BIG_DIGITS 320

/* magnitude as 32-bit digits; digit j is 2^(32 (off + j) - base) */
typedef struct Big
{
	uint32_t	d[BIG_DIGITS];
	int32_t		n;
	int32_t		off;
	int			neg;
} Big;

static void
big_from_exact(const EaExact *s, Big *b)
{
	int64_t		carry = 0;
	int32_t		k;

	b->off = s->lo;
	b->neg = 0;
	for (k = 0; k < s->used; k++)
	{
		int64_t		v = s->limb[k] + carry;

		carry = carry_of(v);
		b->d[k] = (uint32_t) (v & LIMB_MASK);
	}
	while (carry != 0 && carry != -1 && k < BIG_DIGITS)
	{
		b->d[k++] = (uint32_t) (carry & LIMB_MASK);
		carry = carry_of(carry);
	}
	b->n = k;
	if (carry == -1)
	{
		/* value = digits - 2^(32 n): its magnitude is the two's complement */
		uint64_t	c = 1;

		b->neg = 1;
		for (int32_t j = 0; j < b->n; j++)
		{
			c += (uint32_t) ~b->d[j];
			b->d[j] = (uint32_t) c;
			c >>= 32;
		}
	}
}

/* the value as hi + lo times 2^*exp2, to about 2^-100 relative; 0 when zero */
static void
big_to_scaled(const Big *b, int base, double *hi, double *lo, int *exp2)
{
	int32_t		t = b->n - 1;
	double		s = 0.0,
				c = 0.0;

	while (t >= 0 && b->d[t] == 0)
		t--;
	*exp2 = 0;
	if (t < 0)
	{
		*hi = *lo = 0.0;
		return;
	}
	/* the top five digits, smallest first, summed without loss (Knuth's TwoSum) */
	for (int32_t k = t >= 4 ? t - 4 : 0; k <= t; k++)
	{
		double		x = ldexp((double) b->d[k], 32 * (k - t));
		double		sum = s + x;
		double		bp = sum - s;

		c += (s - (sum - bp)) + (x - bp);
		s = sum;
	}
	*hi = s + c;
	*lo = c - (*hi - s);
	*exp2 = 32 * (t + b->off) - base;
}

/* (hi + lo) / d as a new hi + lo, to about 2^-104 relative */
static void
dd_div(double *hi, double *lo, double d)
{
	double		q = *hi / d;
	double		r = fma(-q, d, *hi) + *lo;
	double		q2 = r / d;

	*hi = q + q2;
	*lo = q2 - (*hi - q);
}

/* a * b into out (digits at a.off + b.off) */
static void
big_mul(const Big *a, const Big *b, Big *out)
{
	out->n = a->n + b->n;
	out->off = a->off + b->off;
	out->neg = 0;
	if (out->n > BIG_DIGITS)
		out->n = BIG_DIGITS;	/* cannot happen: sums stay within their limbs */
	memset(out->d, 0, sizeof(uint32_t) * (size_t) out->n);
	for (int32_t i = 0; i < a->n; i++)
	{
		uint64_t	carry = 0;
		int32_t		j;

		for (j = 0; j < b->n && i + j < out->n; j++)
		{
			uint64_t	t = (uint64_t) a->d[i] * b->d[j] + out->d[i + j] + carry;

			out->d[i + j] = (uint32_t) t;
			carry = t >> 32;
		}
		for (; carry != 0 && i + j < out->n; j++)
		{
			uint64_t	t = (uint64_t) out->d[i + j] + carry;

			out->d[i + j] = (uint32_t) t;
			carry = t >> 32;
		}
	}
}

/* digit of b at absolute position pos, 0 outside */
static inline uint32_t
digit_at(const Big *b, int32_t pos)
{
	int32_t		j = pos - b->off;

	return j >= 0 && j < b->n ? b->d[j] : 0;
}

void
ea_moments_result(const EaMoments *m, int64_t nfinite, double *mean, double *m2,
				  double *variance)
{
	Big			s1,
				s2,
				sq,
				ns2,
				dev,
				nb;
	double		hi,
				lo,
				nd = (double) nfinite;
	int			e;
	int64_t		borrow = 0;
	int32_t		first,
				last;

	*mean = *m2 = *variance = NAN;
	if (m->pos_inf > 0 || m->neg_inf > 0)
	{
		/* numpy: inf - inf is NaN; any infinity makes every deviation infinite or NaN */
		if (m->pos_inf == 0 || m->neg_inf == 0)
			*mean = m->pos_inf > 0 ? INFINITY : -INFINITY;
		return;
	}
	if (!m->known || nfinite <= 0)
		return;

	big_from_exact(&m->sum, &s1);
	big_to_scaled(&s1, EA_EXACT_SUM_BASE, &hi, &lo, &e);
	dd_div(&hi, &lo, nd);
	*mean = ldexp(hi, e);
	if (s1.neg)
		*mean = -*mean;

	/* m2 = (n sumsq - sum^2) / n, the difference formed exactly */
	big_from_exact(&m->sumsq, &s2);
	s1.neg = 0;
	big_mul(&s1, &s1, &sq);
	nb.n = 2;
	nb.off = 0;
	nb.neg = 0;
	nb.d[0] = (uint32_t) ((uint64_t) nfinite & 0xffffffffu);
	nb.d[1] = (uint32_t) ((uint64_t) nfinite >> 32);
	big_mul(&s2, &nb, &ns2);
	first = ns2.off < sq.off ? ns2.off : sq.off;
	last = ns2.off + ns2.n > sq.off + sq.n ? ns2.off + ns2.n : sq.off + sq.n;
	if (last - first > BIG_DIGITS)
		last = first + BIG_DIGITS;
	dev.off = first;
	dev.n = last - first;
	dev.neg = 0;
	for (int32_t pos = first; pos < last; pos++)
	{
		int64_t		v = (int64_t) digit_at(&ns2, pos) - (int64_t) digit_at(&sq, pos) + borrow;

		borrow = v < 0 ? -1 : 0;
		dev.d[pos - first] = (uint32_t) (v & LIMB_MASK);
	}
	if (borrow != 0)
	{
		*m2 = *variance = 0.0;	/* cannot happen: n sum(x^2) >= sum(x)^2 */
		return;
	}
	/* each rounded once, from the exact difference */
	big_to_scaled(&dev, EA_EXACT_SQ_BASE, &hi, &lo, &e);
	dd_div(&hi, &lo, nd);
	*m2 = ldexp(hi, e);
	if (nfinite >= 2)
	{
		dd_div(&hi, &lo, (double) (nfinite - 1));
		*variance = ldexp(hi, e);
	}
}

/* ---------- serialization ---------- */

static size_t
exact_size(const EaExact *s)
{
	return 8 + (size_t) s->used * 8;
}

size_t
ea_moments_serialized_size(const EaMoments *m)
{
	return 1 + 16 + exact_size(&m->sum) + exact_size(&m->sumsq);
}

static void
exact_write(EaWriter *w, const EaExact *s)
{
	ea_put_u32(w, (uint32_t) s->lo);
	ea_put_u32(w, (uint32_t) s->used);
	for (int32_t k = 0; k < s->used; k++)
		ea_put_i64(w, s->limb[k]);
}

unsigned char *
ea_moments_serialize(const EaMoments *m, unsigned char *buf)
{
	EaWriter	w = {buf, buf + ea_moments_serialized_size(m)};

	ea_put_u8(&w, (uint8_t) (m->known != 0));
	ea_put_i64(&w, m->neg_inf);
	ea_put_i64(&w, m->pos_inf);
	exact_write(&w, &m->sum);
	exact_write(&w, &m->sumsq);
	return w.p;
}

static EaStatus
exact_read(EaReader *r, EaExact *s)
{
	uint32_t	lo = ea_get_u32(r);
	uint32_t	used = ea_get_u32(r);
	EaStatus	st;

	if (r->bad || used > (uint32_t) s->maxlimbs || lo > (uint32_t) s->maxlimbs - used ||
		(size_t) (r->end - r->p) / 8 < used)
		return EA_ECORRUPT;
	if (used == 0)
		return EA_OK;
	if ((st = ea_exact_grow(s, (int32_t) lo, (int32_t) (lo + used - 1))) != EA_OK)
		return st;
	for (uint32_t k = 0; k < used; k++)
	{
		int64_t		v = ea_get_i64(r);

		if (v >= LIMB_MAX || v <= -LIMB_MAX)
			return EA_ECORRUPT;
		s->limb[k] = v;
	}
	return r->bad ? EA_ECORRUPT : EA_OK;
}

EaStatus
ea_moments_deserialize(EaMoments *m, const unsigned char **p, const unsigned char *end,
					   EaMemory mem)
{
	EaReader	r = {*p, end, 0};
	uint8_t		known;
	EaStatus	st = ea_moments_init(m, mem);

	if (st != EA_OK)
		return st;
	known = ea_get_u8(&r);
	m->neg_inf = ea_get_count(&r, INT64_MAX / 2);
	m->pos_inf = ea_get_count(&r, INT64_MAX / 2);
	m->known = known;
	if (r.bad || known > 1)
		st = EA_ECORRUPT;
	if (st == EA_OK)
		st = exact_read(&r, &m->sum);
	if (st == EA_OK)
		st = exact_read(&r, &m->sumsq);
	/* carries propagated now: a sum beyond its limbs is refused here */
	if (st == EA_OK)
		st = ea_moments_normalize(m);
	if (st != EA_OK)
	{
		ea_moments_free(m);
		return st == EA_ENOMEM ? st : EA_ECORRUPT;
	}
	*p = r.p;
	return EA_OK;
}
