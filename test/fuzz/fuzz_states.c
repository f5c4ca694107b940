/*
 * fuzz_states.c - coverage-guided fuzzing of the core's state decoders and
 * the final functions over what they accept (libFuzzer, with address and
 * undefined-behaviour sanitizers).
 *
 * One source, one target per build: -DFUZZ_TARGET=<name> picks the state
 * kind (see the dispatch at the end).  For a decoder target, every input the
 * decoder accepts must
 *   - give every final function a result within its mathematical range
 *     (divergences >= 0, JS divergence, Hellinger, KS, AUC, ECE, rates in
 *     [0, 1], ...), also after the state is added to a copy of itself;
 *   - re-encode to bytes that decode again and re-encode identically.
 * The `genuine` target goes the other way: it builds states from a stream
 * of rows with the core's own add, remove and combine functions (as the
 * aggregates and moving window frames do) and requires the decoder to
 * accept every one of them, so no check refuses a state the server makes.
 * A violated property aborts, which libFuzzer reports as a crash.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "average.h"
#include "expected.h"
#include "baseline.h"
#include "calibration.h"
#include "categorical.h"
#include "drift_test.h"
#include "codec.h"
#include "confusion.h"
#include "keytab.h"
#include "twosample.h"

#include "../unit/alloc_malloc.h"

/* small limits keep each run fast; the checks do not depend on them */
#define FUZZ_MAX_VALUES 100000
#define FUZZ_MAX_KEYS 1000
/* room for rounding in results that are exact in real arithmetic */
#define TOL 1e-9

static void
violated(const char *what, int line)
{
	fprintf(stderr, "fuzz_states: property violated at line %d: %s\n", line, what);
	abort();
}

#define REQUIRE(cond) do { if (!(cond)) violated(#cond, __LINE__); } while (0)

static int
in_unit(double x)
{
	return x >= -TOL && x <= 1.0 + TOL;
}

static int
nonnegative(double x)
{
	return x >= -TOL;			/* false for NaN */
}

/* the bytes of a serialized state, checked to decode and re-encode the same */
typedef struct Encoded
{
	unsigned char *buf;
	size_t		len;
} Encoded;

static Encoded
encoded(size_t len)
{
	Encoded		e = {malloc(len ? len : 1), len};

	REQUIRE(e.buf != NULL);
	return e;
}

static void
same_bytes(Encoded a, Encoded b)
{
	REQUIRE(a.len == b.len && memcmp(a.buf, b.buf, a.len) == 0);
	free(a.buf);
	free(b.buf);
}

/*
 * A merge of two accepted states either fails with EA_ELIMIT (more than
 * EA_MAX_COUNT rows together) or gives a state the decoder accepts too.
 */
static int
merged(EaStatus st)
{
	REQUIRE(st == EA_OK || st == EA_ELIMIT);
	return st == EA_OK;
}

/* ---------- divergences of binned counts, shared by several kinds ---------- */

static void
check_divergence(EaDivergence which, double v)
{
	REQUIRE(isfinite(v));
	if (which == EA_DIV_JSD || which == EA_DIV_HELLINGER)
		REQUIRE(in_unit(v));
	else
		REQUIRE(nonnegative(v));	/* PSI terms (c - r) log(c / r) >= 0; Gibbs for KL */
}

/* ---------- drift tests, shared by kept values and category counts ---------- */

static void
check_drift(EaStatus st, const EaDriftResult *r)
{
	/* EA_ECORRUPT: infinities, which drift_test's rows never add; EA_ERANGE as above */
	REQUIRE(st == EA_OK || st == EA_ECORRUPT || st == EA_ERANGE);
	if (st != EA_OK || !r->defined)
		return;
	REQUIRE(r->test > EA_DRIFT_AUTO && r->test <= EA_DRIFT_LAST);
	REQUIRE(r->n_values >= 1 && r->n_reference >= 1 && r->n_current >= 1);
	REQUIRE(!isnan(r->statistic));
	if (ea_drift_test_has_p_value(r->test))
		REQUIRE(in_unit(r->p_value));
	else
		REQUIRE(isnan(r->p_value) && nonnegative(r->statistic));
	REQUIRE(r->drifted == ea_drift_verdict(r->test, r->statistic, r->p_value, r->threshold));
}

/* ---------- kept values ---------- */

static void
twosample_finals(EaTwoSample *s)
{
	double		v;
	int			def;

	for (EaDivergence w = EA_DIV_PSI; w <= EA_DIV_KL; w++)
	{
		EaStatus	st = ea_twosample_divergence(s, w, &v, &def);

		/* EA_ERANGE: Evidently's bins over values whose range overflows (refused, as numpy) */
		REQUIRE(st == EA_OK || st == EA_ERANGE);
		if (st == EA_OK && def)
			check_divergence(w, v);
	}
	if (s->binning == EA_BINNING_EVIDENTLY)
	{
		EaDriftResult r;

		check_drift(ea_twosample_drift(s, (EaDriftTest) s->test, &r), &r);
	}
	REQUIRE(ea_twosample_ks(s, &v, &def) == EA_OK);
	if (def)
		REQUIRE(in_unit(v));
	REQUIRE(ea_twosample_wasserstein(s, &v, &def) == EA_OK);
	if (def)
		REQUIRE(v >= 0.0);		/* may be +Infinity, never NaN */
	REQUIRE(ea_twosample_auc(s, &v, &def) == EA_OK);
	if (def)
		REQUIRE(in_unit(v));
	/* a current sample that is not all probabilities is refused */
	{
		EaStatus	st = ea_twosample_estimated_auc(s, &v, &def);

		REQUIRE(st == EA_OK || st == EA_ECORRUPT);
		if (st == EA_OK && def)
			REQUIRE(in_unit(v));
	}
}

static Encoded
twosample_encode(const EaTwoSample *s)
{
	Encoded		e = encoded(ea_twosample_serialized_size(s));

	ea_twosample_serialize(s, e.buf);
	return e;
}

static void
fuzz_twosample(const uint8_t *data, size_t size)
{
	EaTwoSample s,
				t;
	Encoded		e1,
				e2;

	if (ea_twosample_deserialize(&s, data, size, FUZZ_MAX_VALUES, ea_malloc_memory) != EA_OK)
		return;
	e1 = twosample_encode(&s);
	REQUIRE(ea_twosample_deserialize(&t, e1.buf, e1.len, FUZZ_MAX_VALUES, ea_malloc_memory) == EA_OK);
	e2 = twosample_encode(&t);
	same_bytes(e1, e2);
	twosample_finals(&s);
	REQUIRE(ea_twosample_combine(&t, &s) == EA_OK);
	twosample_finals(&t);
	ea_twosample_free(&s);
	ea_twosample_free(&t);
}

/* ---------- category counts ---------- */

static void
categorical_finals(const EaCategorical *c)
{
	double		v,
				p;
	int			def,
				dof;
	int64_t		unseen = ea_categorical_unseen(c);

	for (EaDivergence w = EA_DIV_PSI; w <= EA_DIV_KL; w++)
	{
		REQUIRE(ea_categorical_divergence(c, w, &v, &def) == EA_OK);
		if (def)
			check_divergence(w, v);
	}
	REQUIRE(ea_categorical_chi2(c, &v, &p, &dof, &def) == EA_OK);
	if (def)
		REQUIRE(nonnegative(v) && in_unit(p) && dof >= 0);
	REQUIRE(unseen >= 0 && unseen <= c->ncur);
	{
		EaDriftResult r;
		EaStatus	st = ea_categorical_drift(c, (EaDriftTest) c->test, &r);

		REQUIRE(st == EA_OK);
		check_drift(st, &r);
		REQUIRE(r.unseen_current == unseen);
	}
}

static Encoded
categorical_encode(const EaCategorical *c)
{
	Encoded		e = encoded(ea_categorical_serialized_size(c));

	ea_categorical_serialize(c, e.buf);
	return e;
}

static void
fuzz_categorical(const uint8_t *data, size_t size)
{
	EaCategorical c,
				d;
	Encoded		e1,
				e2;

	if (ea_categorical_deserialize(&c, data, size, FUZZ_MAX_KEYS, ea_malloc_memory) != EA_OK)
		return;
	REQUIRE(c.nref >= 0 && c.ncur >= 0 && c.nref <= EA_MAX_COUNT && c.ncur <= EA_MAX_COUNT);
	e1 = categorical_encode(&c);
	REQUIRE(ea_categorical_deserialize(&d, e1.buf, e1.len, FUZZ_MAX_KEYS, ea_malloc_memory) == EA_OK);
	e2 = categorical_encode(&d);
	same_bytes(e1, e2);
	categorical_finals(&c);
	if (merged(ea_categorical_combine(&d, &c, FUZZ_MAX_KEYS)))
	{
		EaCategorical m;

		categorical_finals(&d);
		e1 = categorical_encode(&d);
		REQUIRE(ea_categorical_deserialize(&m, e1.buf, e1.len, FUZZ_MAX_KEYS, ea_malloc_memory) == EA_OK);
		ea_categorical_free(&m);
		free(e1.buf);
	}
	ea_categorical_free(&c);
	ea_categorical_free(&d);
}

/* ---------- calibration bins ---------- */

static void
calibration_finals(const EaCalibration *c, double *ece_out)
{
	int			def;
	double		ece = ea_ece(c, &def),
				mce = ea_mce(c, &def);

	if (def)
	{
		REQUIRE(in_unit(ece) && in_unit(mce));
		REQUIRE(ece <= mce + TOL);	/* a weighted mean of the gaps, mce their largest */
	}
	*ece_out = def ? ece : 0.0;
}

static Encoded
calibration_encode(const EaCalibration *c)
{
	Encoded		e = encoded(ea_calibration_serialized_size(c));

	ea_calibration_serialize(c, e.buf);
	return e;
}

static void
fuzz_calibration(const uint8_t *data, size_t size)
{
	int			nbins;
	EaCalibration *c,
			   *d;
	Encoded		e1,
				e2;
	double		ece,
				ece2;

	if (ea_calibration_peek_bins(data, size, &nbins) != EA_OK)
		return;
	c = malloc(ea_calibration_size(nbins));
	d = malloc(ea_calibration_size(nbins));
	if (ea_calibration_deserialize(c, data, size) == EA_OK)
	{
		e1 = calibration_encode(c);
		REQUIRE(ea_calibration_deserialize(d, e1.buf, e1.len) == EA_OK);
		e2 = calibration_encode(d);
		same_bytes(e1, e2);
		calibration_finals(c, &ece);
		/* twice the same rows: the same proportions, the same ECE */
		if (merged(ea_calibration_combine(d, c)))
		{
			calibration_finals(d, &ece2);
			REQUIRE(fabs(ece - ece2) <= TOL);
			e1 = calibration_encode(d);
			REQUIRE(ea_calibration_deserialize(c, e1.buf, e1.len) == EA_OK);
			free(e1.buf);
		}
	}
	free(c);
	free(d);
}

/* ---------- calibration bins per group ---------- */

static void
group_calibration_finals(const EaGroupCalibration *g)
{
	double		ece;

	for (int32_t i = 0; i < g->groups.nkeys; i++)
	{
		REQUIRE(g->blocks[i]->n == ea_keytab_counts(&g->groups, i)[0]);
		calibration_finals(g->blocks[i], &ece);
	}
}

static Encoded
group_calibration_encode(const EaGroupCalibration *g)
{
	Encoded		e = encoded(ea_group_calibration_serialized_size(g));

	ea_group_calibration_serialize(g, e.buf);
	return e;
}

static void
fuzz_group_calibration(const uint8_t *data, size_t size)
{
	EaGroupCalibration g,
				h;
	Encoded		e1,
				e2;

	if (ea_group_calibration_deserialize(&g, data, size, FUZZ_MAX_KEYS, ea_malloc_memory) != EA_OK)
		return;
	e1 = group_calibration_encode(&g);
	REQUIRE(ea_group_calibration_deserialize(&h, e1.buf, e1.len, FUZZ_MAX_KEYS, ea_malloc_memory) == EA_OK);
	e2 = group_calibration_encode(&h);
	same_bytes(e1, e2);
	group_calibration_finals(&g);
	if (merged(ea_group_calibration_combine(&h, &g, FUZZ_MAX_KEYS)))
	{
		EaGroupCalibration m;

		group_calibration_finals(&h);
		e1 = group_calibration_encode(&h);
		REQUIRE(ea_group_calibration_deserialize(&m, e1.buf, e1.len, FUZZ_MAX_KEYS, ea_malloc_memory) == EA_OK);
		ea_group_calibration_free(&m);
		free(e1.buf);
	}
	ea_group_calibration_free(&g);
	ea_group_calibration_free(&h);
}

/* ---------- group confusion counts ---------- */

static void
confusion_finals(const EaConfusion *c)
{
	int64_t		totals[EA_CONFUSION_WIDTH];
	double		v;
	int			def;

	ea_confusion_totals(c, totals);
	for (int w = 0; w < EA_CONFUSION_WIDTH; w++)
		REQUIRE(totals[w] >= 0);
	for (EaRate rate = EA_RATE_TPR; rate <= EA_RATE_F1; rate++)
	{
		EaRateRange r = ea_confusion_rate_range(c, rate, c->min_count);

		v = ea_confusion_rate(c, rate, &def);
		if (def)
			REQUIRE(in_unit(v));
		if (r.groups > 0)
			REQUIRE(in_unit(r.min) && in_unit(r.max) && r.min <= r.max);
	}
	v = ea_confusion_tpr_gap(c, &def);
	if (def)
		REQUIRE(in_unit(v));
	for (int32_t i = 0; i < c->groups.nkeys; i++)
	{
		const int64_t *k = ea_keytab_counts(&c->groups, i);
		int64_t		num,
					den;

		for (int w = 0; w < EA_CONFUSION_WIDTH; w++)
			REQUIRE(k[w] >= 0);
		ea_rate_parts(k, EA_RATE_TPR, &num, &den);
		REQUIRE(num >= 0 && num <= den);
		if (den > 0)
		{
			double		lo,
						hi;

			ea_wilson_interval(num, den, &lo, &hi);
			REQUIRE(lo >= 0.0 && lo <= hi && hi <= 1.0);
		}
	}
}

static Encoded
confusion_encode(const EaConfusion *c)
{
	Encoded		e = encoded(ea_confusion_serialized_size(c));

	ea_confusion_serialize(c, e.buf);
	return e;
}

static void
fuzz_confusion(const uint8_t *data, size_t size)
{
	EaConfusion c,
				d;
	Encoded		e1,
				e2;

	if (ea_confusion_deserialize(&c, data, size, FUZZ_MAX_KEYS, ea_malloc_memory) != EA_OK)
		return;
	e1 = confusion_encode(&c);
	REQUIRE(ea_confusion_deserialize(&d, e1.buf, e1.len, FUZZ_MAX_KEYS, ea_malloc_memory) == EA_OK);
	e2 = confusion_encode(&d);
	same_bytes(e1, e2);
	confusion_finals(&c);
	if (merged(ea_confusion_combine(&d, &c, FUZZ_MAX_KEYS)))
	{
		EaConfusion m;

		confusion_finals(&d);
		e1 = confusion_encode(&d);
		REQUIRE(ea_confusion_deserialize(&m, e1.buf, e1.len, FUZZ_MAX_KEYS, ea_malloc_memory) == EA_OK);
		ea_confusion_free(&m);
		free(e1.buf);
	}
	ea_confusion_free(&c);
	ea_confusion_free(&d);
}

/* ---------- averaged losses ---------- */

static void
fuzz_average(const uint8_t *data, size_t size)
{
	EaAverage	a,
				b;
	unsigned char buf[EA_AVERAGE_SERIALIZED_SIZE],
				buf2[EA_AVERAGE_SERIALIZED_SIZE];

	if (ea_average_deserialize(&a, data, size) != EA_OK)
		return;
	ea_average_serialize(&a, buf);
	REQUIRE(ea_average_deserialize(&b, buf, sizeof(buf)) == EA_OK);
	ea_average_serialize(&b, buf2);
	REQUIRE(memcmp(buf, buf2, sizeof(buf)) == 0);
	if (a.n > 0)
		REQUIRE(nonnegative(ea_sum_value(a.sum) / (double) a.n));
}

/* ---------- expected confusion (CBPE) ---------- */

static void
expected_finals(const EaExpected *e)
{
	double		(*estimates[]) (const EaExpected *, int *) = {
		ea_expected_accuracy, ea_expected_precision, ea_expected_recall, ea_expected_f1
	};

	for (int i = 0; i < 4; i++)
	{
		int			def;
		double		v = estimates[i] (e, &def);

		if (def)
			REQUIRE(in_unit(v));
	}
}

static void
fuzz_expected(const uint8_t *data, size_t size)
{
	EaExpected	a,
				b;
	unsigned char buf[EA_EXPECTED_SERIALIZED_SIZE],
				buf2[EA_EXPECTED_SERIALIZED_SIZE];

	if (ea_expected_deserialize(&a, data, size) != EA_OK)
		return;
	ea_expected_serialize(&a, buf);
	REQUIRE(ea_expected_deserialize(&b, buf, sizeof(buf)) == EA_OK);
	ea_expected_serialize(&b, buf2);
	REQUIRE(memcmp(buf, buf2, sizeof(buf)) == 0);
	expected_finals(&a);
	if (ea_expected_combine(&b, &a) == EA_OK)
	{
		expected_finals(&b);
		ea_expected_serialize(&b, buf);
		REQUIRE(ea_expected_deserialize(&a, buf, sizeof(buf)) == EA_OK);
	}
}

/* ---------- baselines ---------- */

static Encoded
baseline_encode(const EaBaseline *b)
{
	Encoded		e = encoded(ea_baseline_serialized_size(b));

	ea_baseline_serialize(b, e.buf);
	return e;
}

/* what the accessors and baseline_summary report of one baseline */
static void
baseline_statistics(const EaBaseline *b)
{
	int64_t		total = 0;

	REQUIRE(b->n >= 0 && b->nan >= 0 && b->nulls >= 0);
	if (b->kind == EA_BASELINE_NUMERIC)
	{
		double		mean,
					m2,
					var;

		ea_baseline_stats(b, &mean, &m2, &var);

		for (int k = 0; k <= b->nedges; k++)
		{
			REQUIRE(b->counts[k] >= 0);
			REQUIRE(!__builtin_add_overflow(total, b->counts[k], &total));
			if (k > 0)
				REQUIRE(isfinite(b->edges[k - 1]) || isinf(b->edges[k - 1]));
			if (k > 1)
				REQUIRE(b->edges[k - 2] < b->edges[k - 1]);
		}
		REQUIRE(total == b->n);
		REQUIRE(isnan(var) || var >= 0.0);
		if (!isnan(b->min))
		{
			REQUIRE(b->min <= b->max);
			/* within [min, max] up to the rounding a decoded state is allowed */
			double		slack = 8.0 * DBL_EPSILON * fmax(fabs(b->min), fabs(b->max)) + DBL_MIN;

			if (isfinite(mean))
				REQUIRE(b->min - slack <= mean && mean <= b->max + slack);
		}
	}
	else
	{
		for (int32_t i = 0; i < b->cats.nkeys; i++)
			REQUIRE(!__builtin_add_overflow(total, ea_keytab_counts(&b->cats, i)[0], &total));
		REQUIRE(total == b->n && b->nan == 0);
	}
}

/* the one-pass metrics of `cur` against `ref`, as psi(value, baseline) and friends */
static void
baseline_compare(const EaBaseline *ref, const EaBaseline *cur, int same)
{
	double		v,
				lo,
				hi;
	int			def;

	for (EaDivergence w = EA_DIV_PSI; w <= EA_DIV_KL; w++)
	{
		REQUIRE(ea_baseline_divergence(ref, cur, w, &v, &def) == EA_OK);
		if (def)
		{
			check_divergence(w, v);
			if (same)
				REQUIRE(fabs(v) <= TOL);	/* a distribution against itself */
		}
	}
	if (ref->kind == EA_BASELINE_NUMERIC)
	{
		REQUIRE(ea_baseline_ks(ref, cur, &lo, &hi, &def) == EA_OK);
		if (def)
		{
			REQUIRE(in_unit(lo) && in_unit(hi) && lo <= hi);
			if (same)
				REQUIRE(lo == 0.0);
		}
	}
}

static void
baseline_finals(const EaBaseline *b)
{
	baseline_statistics(b);
	baseline_compare(b, b, 1);
	if (b->reference)
	{
		baseline_statistics(b->reference);
		baseline_compare(b->reference, b, 0);
	}
}

static void
fuzz_baseline(const uint8_t *data, size_t size)
{
	EaBaseline	b,
				c,
				d;
	Encoded		e1,
				e2;

	if (ea_baseline_deserialize(&b, data, size, FUZZ_MAX_KEYS, ea_malloc_memory) != EA_OK)
		return;
	e1 = baseline_encode(&b);
	REQUIRE(ea_baseline_deserialize(&c, e1.buf, e1.len, FUZZ_MAX_KEYS, ea_malloc_memory) == EA_OK);
	e2 = baseline_encode(&c);
	same_bytes(e1, e2);
	baseline_finals(&b);
	/* the same rows twice: the merge of two stored baselines */
	if (merged(ea_baseline_combine(&c, &b, FUZZ_MAX_KEYS)))
	{
		baseline_finals(&c);
		e1 = baseline_encode(&c);
		REQUIRE(ea_baseline_deserialize(&d, e1.buf, e1.len, FUZZ_MAX_KEYS, ea_malloc_memory) == EA_OK);
		ea_baseline_free(&d);
		free(e1.buf);
	}
	ea_baseline_free(&b);
	ea_baseline_free(&c);
}

static void
fuzz_baseline_build(const uint8_t *data, size_t size)
{
	EaBaselineBuild s;
	EaBaseline	b,
				c;
	Encoded		e;
	EaStatus	st;

	if (ea_baseline_build_deserialize(&s, data, size, FUZZ_MAX_VALUES, ea_malloc_memory) != EA_OK)
		return;
	if ((st = ea_baseline_build_finish(&s, &b, ea_malloc_memory)) != EA_OK)
	{
		/* only reference quantiles at infinities, which make no finite edges */
		REQUIRE(st == EA_EPARAM);
		ea_baseline_build_free(&s);
		return;
	}
	/* what the builder makes, the decoder must take */
	e = baseline_encode(&b);
	REQUIRE(ea_baseline_deserialize(&c, e.buf, e.len, FUZZ_MAX_KEYS, ea_malloc_memory) == EA_OK);
	baseline_finals(&c);
	free(e.buf);
	ea_baseline_free(&b);
	ea_baseline_free(&c);
	ea_baseline_build_free(&s);
}

/* ---------- genuine states, built row by row ---------- */

typedef struct Rows
{
	const uint8_t *p;
	size_t		left;
} Rows;

static int
take(Rows *r, void *out, size_t len)
{
	if (r->left < len)
		return 0;
	memcpy(out, r->p, len);
	r->p += len;
	r->left -= len;
	return 1;
}

static uint8_t
take_u8(Rows *r)
{
	uint8_t		v = 0;

	take(r, &v, 1);
	return v;
}

/* any double, NaN and infinities included, or a small integer (ties, bins) */
static double
take_double(Rows *r)
{
	uint8_t		form = take_u8(r);
	double		x = 0.0;

	if (form & 1)
		return (double) (form >> 1) - 32.0;
	take(r, &x, sizeof(x));
	return x;
}

/* a probability: one of the bin edges' neighbours, or any double in [0, 1] */
static double
take_probability(Rows *r)
{
	double		x = take_double(r);

	if (isnan(x))
		return 0.5;
	if (isinf(x))
		return 1.0;
	x = fabs(x);
	if (x > 1.0)
		x = x / (x + 1.0);		/* into [0, 1) */
	if (x > 1.0)
		x = 1.0;
	return x;
}

/* a short key, possibly empty */
static uint32_t
take_key(Rows *r, char *key)
{
	uint32_t	len = take_u8(r) % 4;

	for (uint32_t i = 0; i < len; i++)
		key[i] = (char) ('a' + take_u8(r) % 3);
	return len;
}

#define GENUINE_ROWS 256

/* a window frame: rows come in, and the oldest go out again */
typedef struct Frame
{
	double		x[GENUINE_ROWS];
	int			y[GENUINE_ROWS];
	char		key[GENUINE_ROWS][4];
	uint32_t	len[GENUINE_ROWS];
	int			head;
	int			tail;
} Frame;

static void
require_baseline_accepted(const EaBaseline *b)
{
	EaBaseline	c;
	Encoded		e = baseline_encode(b);

	REQUIRE(ea_baseline_deserialize(&c, e.buf, e.len, FUZZ_MAX_KEYS, ea_malloc_memory) == EA_OK);
	baseline_finals(&c);
	ea_baseline_free(&c);
	free(e.buf);
}

static void
genuine_baseline(Rows *r, int categorical)
{
	static Frame f;
	double		edges[8];
	int			nedges = take_u8(r) % 8;
	EaBaseline	a,
				parts[2];

	for (int k = 0; k < nedges; k++)
		edges[k] = (double) (int) (take_u8(r) % 16) - 8.0;
	/* sorted and distinct, as the baseline aggregates require */
	for (int i = 1; i < nedges; i++)
		for (int j = i; j > 0 && edges[j - 1] > edges[j]; j--)
		{
			double		t = edges[j];

			edges[j] = edges[j - 1];
			edges[j - 1] = t;
		}
	{
		int			m = 0;

		for (int k = 0; k < nedges; k++)
			if (m == 0 || edges[m - 1] != edges[k])
				edges[m++] = edges[k];
		nedges = m;
	}
	for (int side = 0; side < 2; side++)
	{
		if (categorical)
			ea_baseline_init_categorical(&parts[side], ea_malloc_memory);
		else
			REQUIRE(ea_baseline_init_numeric(&parts[side], edges, nedges, ea_malloc_memory) == EA_OK);
	}
	memset(&f, 0, sizeof(f));
	while (r->left > 0)
	{
		uint8_t		op = take_u8(r);
		EaBaseline *b = &parts[(op >> 2) & 1];

		if ((op & 3) == 3 && f.tail < f.head)
		{
			/* the oldest row leaves the frame it entered */
			int			i = f.tail++;
			EaBaseline *from = &parts[f.y[i]];

			if (f.len[i] == UINT32_MAX)
				ea_baseline_add_null(from, -1);
			else if (categorical)
				REQUIRE(ea_baseline_add_text(from, f.key[i], f.len[i], -1, FUZZ_MAX_KEYS) == EA_OK);
			else
				ea_baseline_add_double(from, f.x[i], -1);
		}
		else if (f.head < GENUINE_ROWS)
		{
			int			i = f.head++;

			f.y[i] = (op >> 2) & 1;
			if ((op & 3) == 2)
			{
				f.len[i] = UINT32_MAX;
				ea_baseline_add_null(b, 1);
			}
			else if (categorical)
			{
				f.len[i] = take_key(r, f.key[i]);
				REQUIRE(ea_baseline_add_text(b, f.key[i], f.len[i], 1, FUZZ_MAX_KEYS) == EA_OK);
			}
			else
			{
				f.len[i] = 0;
				f.x[i] = take_double(r);
				ea_baseline_add_double(b, f.x[i], 1);
			}
		}
		else
			break;
	}
	for (int side = 0; side < 2; side++)
		require_baseline_accepted(&parts[side]);
	/* the merge of the two, as a parallel plan or merge() forms it */
	REQUIRE(ea_baseline_copy(&a, &parts[0], ea_malloc_memory) == EA_OK);
	REQUIRE(ea_baseline_combine(&a, &parts[1], FUZZ_MAX_KEYS) == EA_OK);
	require_baseline_accepted(&a);
	/* a comparison state: the second part's rows against the first as reference */
	ea_baseline_free(&a);
	REQUIRE(ea_baseline_copy(&a, &parts[1], ea_malloc_memory) == EA_OK);
	REQUIRE(ea_baseline_attach(&a, &parts[0]) == EA_OK);
	require_baseline_accepted(&a);
	ea_baseline_free(&a);
	ea_baseline_free(&parts[0]);
	ea_baseline_free(&parts[1]);
}

static void
genuine_calibration(Rows *r)
{
	static Frame f;
	int			nbins = 1 + take_u8(r) % 12;
	EaCalibration *c = malloc(ea_calibration_size(nbins)),
			   *d = malloc(ea_calibration_size(nbins));
	EaGroupCalibration g,
				h;
	Encoded		e;

	ea_calibration_init(c, nbins);
	ea_group_calibration_init(&g, nbins, ea_malloc_memory);
	memset(&f, 0, sizeof(f));
	while (r->left > 0 && f.head < GENUINE_ROWS)
	{
		uint8_t		op = take_u8(r);

		if ((op & 3) == 3 && f.tail < f.head)
		{
			int			i = f.tail++;

			ea_calibration_remove(c, f.y[i], f.x[i]);
		}
		else
		{
			int			i = f.head++;

			f.y[i] = op >> 7;
			f.x[i] = take_probability(r);
			f.len[i] = take_key(r, f.key[i]);
			ea_calibration_add(c, f.y[i], f.x[i]);
			REQUIRE(ea_group_calibration_add(&g, f.key[i], f.len[i], f.y[i], f.x[i],
											 FUZZ_MAX_KEYS) == EA_OK);
		}
	}
	e = calibration_encode(c);
	REQUIRE(ea_calibration_deserialize(d, e.buf, e.len) == EA_OK);
	free(e.buf);
	{
		double		ece;

		calibration_finals(d, &ece);
	}
	e = group_calibration_encode(&g);
	REQUIRE(ea_group_calibration_deserialize(&h, e.buf, e.len, FUZZ_MAX_KEYS, ea_malloc_memory) == EA_OK);
	group_calibration_finals(&h);
	free(e.buf);
	ea_group_calibration_free(&g);
	ea_group_calibration_free(&h);
	free(c);
	free(d);
}

static void
genuine_confusion(Rows *r)
{
	static Frame f;
	EaConfusion c,
				d;
	Encoded		e1,
				e2;

	ea_confusion_init(&c, 1 + take_u8(r) % 4, ea_malloc_memory);
	memset(&f, 0, sizeof(f));
	while (r->left > 0 && f.head < GENUINE_ROWS)
	{
		uint8_t		op = take_u8(r);

		if ((op & 3) == 3 && f.tail < f.head)
		{
			int			i = f.tail++;

			REQUIRE(ea_confusion_add(&c, f.key[i], f.len[i], f.y[i] & 1, f.y[i] >> 1, -1,
									 FUZZ_MAX_KEYS) == EA_OK);
		}
		else
		{
			int			i = f.head++;

			f.y[i] = (op >> 2) & 3;
			f.len[i] = take_key(r, f.key[i]);
			REQUIRE(ea_confusion_add(&c, f.key[i], f.len[i], f.y[i] & 1, f.y[i] >> 1, 1,
									 FUZZ_MAX_KEYS) == EA_OK);
		}
	}
	e1 = confusion_encode(&c);
	REQUIRE(ea_confusion_deserialize(&d, e1.buf, e1.len, FUZZ_MAX_KEYS, ea_malloc_memory) == EA_OK);
	e2 = confusion_encode(&d);
	same_bytes(e1, e2);
	confusion_finals(&d);
	ea_confusion_free(&c);
	ea_confusion_free(&d);
}

static void
genuine_twosample(Rows *r)
{
	EaTwoSample s,
				t;
	EaBaselineBuild build;
	EaBaseline	b;
	Encoded		e;
	uint8_t		mode = take_u8(r);

	ea_twosample_init(&s, mode & 1 ? EA_BINNING_EVIDENTLY : EA_BINNING_QUANTILE,
					  2 + (mode >> 1) % 12, ea_malloc_memory);
	ea_baseline_build_init(&build, 2 + (mode >> 1) % 12, ea_malloc_memory);
	for (int i = 0; r->left > 0 && i < GENUINE_ROWS; i++)
	{
		uint8_t		op = take_u8(r);
		double		x = take_double(r);

		REQUIRE(ea_twosample_add(&s, x, op & 1) == EA_OK);
		REQUIRE(ea_baseline_build_add(&build, x) == EA_OK);
	}
	/* parallel workers sort the reference before they send it */
	if (mode & 0x80)
		REQUIRE(ea_twosample_sort_reference(&s) == EA_OK);
	e = twosample_encode(&s);
	REQUIRE(ea_twosample_deserialize(&t, e.buf, e.len, FUZZ_MAX_VALUES, ea_malloc_memory) == EA_OK);
	free(e.buf);
	twosample_finals(&t);
	/* reference quantiles at infinities make no finite edges: refused, not a state */
	if (ea_baseline_build_finish(&build, &b, ea_malloc_memory) == EA_OK)
	{
		require_baseline_accepted(&b);
		ea_baseline_free(&b);
	}
	ea_baseline_build_free(&build);
	ea_twosample_free(&s);
	ea_twosample_free(&t);
}

/* expected confusion states and the estimated AUC from rows of probabilities */
static void
genuine_expected(Rows *r)
{
	EaExpected	e,
				d;
	EaTwoSample s;
	unsigned char buf[EA_EXPECTED_SERIALIZED_SIZE];
	double		cutoff = (take_u8(r) % 11) / 10.0;
	double		v;
	int			def;

	ea_expected_init(&e, cutoff);
	ea_twosample_init(&s, EA_BINNING_QUANTILE, 10, ea_malloc_memory);
	for (int i = 0; r->left > 0 && i < GENUINE_ROWS; i++)
	{
		double		p = take_probability(r);

		ea_expected_add(&e, p);
		REQUIRE(ea_twosample_add(&s, p, 0) == EA_OK);
	}
	ea_expected_serialize(&e, buf);
	REQUIRE(ea_expected_deserialize(&d, buf, sizeof(buf)) == EA_OK);
	expected_finals(&d);
	REQUIRE(ea_twosample_estimated_auc(&s, &v, &def) == EA_OK);
	if (def)
		REQUIRE(in_unit(v));
	ea_twosample_free(&s);
}

static void
fuzz_genuine(const uint8_t *data, size_t size)
{
	Rows		r = {data, size};

	switch (take_u8(&r) % 6)
	{
		case 5:
			genuine_expected(&r);
			break;
		case 0:
			genuine_baseline(&r, 0);
			break;
		case 1:
			genuine_baseline(&r, 1);
			break;
		case 2:
			genuine_calibration(&r);
			break;
		case 3:
			genuine_confusion(&r);
			break;
		case 4:
			genuine_twosample(&r);
			break;
	}
}

/* ---------- dispatch ---------- */

#ifndef FUZZ_TARGET
#error "build with -DFUZZ_TARGET=twosample (or another fuzz_<name> below)"
#endif

#define FUZZ_CALL2(name) fuzz_##name
#define FUZZ_CALL(name) FUZZ_CALL2(name)

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FUZZ_CALL(FUZZ_TARGET) (data, size);
	return 0;
}
