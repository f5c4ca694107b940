/*
 * keytab.h - byte-string keys (categories, groups) mapped to dense indexes,
 * each with `width` exact 64-bit counters.
 *
 * Open addressing with linear probing over a power-of-two slot array, keys
 * kept in one arena.  A one-entry cache of the last key found makes runs of
 * the same group cost a length check and a memcmp.
 *
 * Memory: per key, its bytes + 16 + 8 * width bytes, plus 4-byte hash slots
 * (2 to 4 per key): 8 to 16 bytes.
 */
#ifndef EA_KEYTAB_H
#define EA_KEYTAB_H

#include <stddef.h>
#include <stdint.h>

#include "ea_status.h"

#define EA_KEYTAB_MAX_WIDTH 8

typedef struct EaKeytab
{
	int			width;			/* counters per key */
	int32_t		nkeys;
	int32_t		capkeys;
	int64_t    *counts;			/* nkeys * width */
	uint64_t   *offsets;		/* key i is arena[offsets[i] .. + lens[i]) */
	uint32_t   *lens;
	uint32_t   *hashes;
	char	   *arena;
	size_t		arena_used;
	size_t		arena_cap;
	uint32_t   *slots;			/* 0 = empty, else key index + 1 */
	uint32_t	nslots;
	int32_t		last;			/* key found last, or -1 */
} EaKeytab;

extern void ea_keytab_init(EaKeytab *t, int width);
extern void ea_keytab_free(EaKeytab *t);

/*
 * Index of `key`, added with zero counters if absent.  EA_ELIMIT when adding
 * it would exceed max_keys keys.
 */
extern EaStatus ea_keytab_lookup(EaKeytab *t, const char *key, uint32_t len,
								 int32_t max_keys, int32_t *index);

static inline int64_t *
ea_keytab_counts(const EaKeytab *t, int32_t i)
{
	return t->counts + (size_t) i * t->width;
}

static inline const char *
ea_keytab_key(const EaKeytab *t, int32_t i, uint32_t *len)
{
	*len = t->lens[i];
	return t->arena + t->offsets[i];
}

/* dst += src, key by key; widths must match */
extern EaStatus ea_keytab_merge(EaKeytab *dst, const EaKeytab *src, int32_t max_keys);

/*
 * A permutation of the key indexes in byte order of the keys (shorter first
 * on a common prefix), so results summed over keys do not depend on the
 * order rows or partial states arrived in.  Caller frees with ea_free.
 */
extern int32_t *ea_keytab_sorted(const EaKeytab *t);

/* serialized form: nkeys (u32), then per key len (u32), bytes, counters (i64) */
extern size_t ea_keytab_serialized_size(const EaKeytab *t);
extern unsigned char *ea_keytab_serialize(const EaKeytab *t, unsigned char *buf);

/*
 * Reads a keytab written by ea_keytab_serialize from *p (advanced past it);
 * refuses truncated input, negative counters, duplicate keys and more than
 * max_keys keys.  The caller checks that the input ends where expected.
 */
extern EaStatus ea_keytab_deserialize(EaKeytab *t, int width, const unsigned char **p,
									  const unsigned char *end, int32_t max_keys);

#endif							/* EA_KEYTAB_H */
