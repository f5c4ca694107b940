/*
 * codec.h - bounds-checked big-endian encoding for serialized states.
 *
 * Every aggregate state that crosses a process boundary (parallel workers)
 * is written with EaWriter into a buffer sized in advance, and read back
 * with EaReader, which never reads past the end: a short or overlong input
 * sets `bad` and yields zeros, so decoders check once at the end.
 */
#ifndef EA_CODEC_H
#define EA_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct EaWriter
{
	unsigned char *p;
	unsigned char *end;
} EaWriter;

typedef struct EaReader
{
	const unsigned char *p;
	const unsigned char *end;
	int			bad;
} EaReader;

static inline void
ea_put_u8(EaWriter *w, uint8_t v)
{
	*w->p++ = v;
}

static inline void
ea_put_u32(EaWriter *w, uint32_t v)
{
	w->p[0] = (unsigned char) (v >> 24);
	w->p[1] = (unsigned char) (v >> 16);
	w->p[2] = (unsigned char) (v >> 8);
	w->p[3] = (unsigned char) v;
	w->p += 4;
}

static inline void
ea_put_u64(EaWriter *w, uint64_t v)
{
	ea_put_u32(w, (uint32_t) (v >> 32));
	ea_put_u32(w, (uint32_t) v);
}

static inline void
ea_put_i64(EaWriter *w, int64_t v)
{
	ea_put_u64(w, (uint64_t) v);
}

static inline void
ea_put_bytes(EaWriter *w, const void *src, size_t len)
{
	/* an empty key may have no storage at all: memcpy from NULL is undefined even for 0 bytes */
	if (len > 0)
		memcpy(w->p, src, len);
	w->p += len;
}

static inline int
ea_reader_has(EaReader *r, size_t len)
{
	if (r->bad || (size_t) (r->end - r->p) < len)
	{
		r->bad = 1;
		return 0;
	}
	return 1;
}

static inline uint8_t
ea_get_u8(EaReader *r)
{
	if (!ea_reader_has(r, 1))
		return 0;
	return *r->p++;
}

static inline uint32_t
ea_get_u32(EaReader *r)
{
	uint32_t	v;

	if (!ea_reader_has(r, 4))
		return 0;
	v = ((uint32_t) r->p[0] << 24) | ((uint32_t) r->p[1] << 16) |
		((uint32_t) r->p[2] << 8) | (uint32_t) r->p[3];
	r->p += 4;
	return v;
}

static inline uint64_t
ea_get_u64(EaReader *r)
{
	uint64_t	hi = ea_get_u32(r);

	return (hi << 32) | ea_get_u32(r);
}

static inline int64_t
ea_get_i64(EaReader *r)
{
	return (int64_t) ea_get_u64(r);
}

/*
 * The largest count a serialized state may hold, and the largest total of
 * all its counts: four such totals still add up within int64, so the sums
 * the final functions form (TP + FN + FP + TN, 2 TP + FP + FN, the rows of
 * every group) and the sum of two states cannot wrap around.  No table has
 * that many rows (2^61, about 2.3e18).
 */
#define EA_MAX_COUNT (INT64_MAX / 4)

/* *total += v, refused (returns 0) past EA_MAX_COUNT or on wrap-around */
static inline int
ea_add_count(int64_t *total, int64_t v)
{
	int64_t		t;

	if (v < 0 || __builtin_add_overflow(*total, v, &t) || t > EA_MAX_COUNT)
		return 0;
	*total = t;
	return 1;
}

/*
 * a + b, two counts of states being merged, within EA_MAX_COUNT: the merged
 * state is then one a decoder accepts, and merging many stored states
 * cannot wrap a count around
 */
static inline int
ea_counts_fit(int64_t a, int64_t b)
{
	int64_t		t;

	return a >= 0 && b >= 0 && !__builtin_add_overflow(a, b, &t) && t <= EA_MAX_COUNT;
}

/* a count that must lie in [0, max]; anything else marks the input bad */
static inline int64_t
ea_get_count(EaReader *r, int64_t max)
{
	int64_t		v = ea_get_i64(r);

	if (v < 0 || v > max)
	{
		r->bad = 1;
		return 0;
	}
	return v;
}

static inline const unsigned char *
ea_get_bytes(EaReader *r, size_t len)
{
	const unsigned char *p;

	if (!ea_reader_has(r, len))
		return NULL;
	p = r->p;
	r->p += len;
	return p;
}

/* written out byte by byte so that compilers emit one byte-swapping load or store */
static inline uint64_t
ea_load_be64(const unsigned char *p)
{
	return ((uint64_t) p[0] << 56) | ((uint64_t) p[1] << 48) | ((uint64_t) p[2] << 40) |
		((uint64_t) p[3] << 32) | ((uint64_t) p[4] << 24) | ((uint64_t) p[5] << 16) |
		((uint64_t) p[6] << 8) | (uint64_t) p[7];
}

static inline void
ea_store_be64(unsigned char *p, uint64_t v)
{
	p[0] = (unsigned char) (v >> 56);
	p[1] = (unsigned char) (v >> 48);
	p[2] = (unsigned char) (v >> 40);
	p[3] = (unsigned char) (v >> 32);
	p[4] = (unsigned char) (v >> 24);
	p[5] = (unsigned char) (v >> 16);
	p[6] = (unsigned char) (v >> 8);
	p[7] = (unsigned char) v;
}

/*
 * n big-endian u64 values, bounds checked once: the arrays of kept values are
 * the bulk of a parallel worker's state, and the leader reads them alone.
 */
static inline void
ea_put_u64_array(EaWriter *w, const uint64_t *src, int64_t n)
{
	for (int64_t i = 0; i < n; i++)
		ea_store_be64(w->p + 8 * i, src[i]);
	w->p += 8 * n;
}

/* reads n values into dst; marks the input bad (and reads nothing) when short */
static inline void
ea_get_u64_array(EaReader *r, uint64_t *dst, int64_t n)
{
	if (n < 0 || (uint64_t) n > SIZE_MAX / 8 || !ea_reader_has(r, (size_t) n * 8))
	{
		r->bad = 1;
		return;
	}
	for (int64_t i = 0; i < n; i++)
		dst[i] = ea_load_be64(r->p + 8 * i);
	r->p += 8 * n;
}

/* true when the whole input was consumed without a bounds failure */
static inline int
ea_reader_done(const EaReader *r)
{
	return !r->bad && r->p == r->end;
}

/*
 * Every serialized state starts with this version byte and a kind byte, so a
 * state of another aggregate, or from an incompatible release, is refused
 * before any field is read.
 */
#define EA_STATE_VERSION 1

typedef enum EaStateKind
{
	EA_KIND_TWOSAMPLE = 1,
	EA_KIND_CATEGORICAL = 2,
	EA_KIND_CALIBRATION = 3,
	EA_KIND_CONFUSION = 4,
	EA_KIND_AVERAGE = 5,
	EA_KIND_GROUP_CALIBRATION = 6,
	EA_KIND_BASELINE = 7,
	EA_KIND_BASELINE_BUILD = 8,
	EA_KIND_EXPECTED = 9
} EaStateKind;

#endif							/* EA_CODEC_H */
