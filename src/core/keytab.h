/*
 * keytab.h - byte-string keys (categories, groups) mapped to dense indexes,
 * each with `width` exact 64-bit counters.
 *
 * Open addressing with linear probing over a power-of-two slot array, keys
 * kept in one arena.  The lookup of a present key is inline: it runs once per
 * row of every group and category aggregate.
 *
 * Memory: per key, its bytes + 24 + 8 * width bytes, plus 4-byte hash slots
 * (2 to 4 per key): 8 to 16 bytes.  A table of up to 16 keys may take up to
 * 1024 slots (4 KiB) so that none of its keys collide.
 */
#ifndef EA_KEYTAB_H
#define EA_KEYTAB_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ea_alloc.h"
#include "ea_inline.h"
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
	uint64_t   *heads;			/* ea_keytab_head of each key */
	char	   *arena;
	size_t		arena_used;
	size_t		arena_cap;
	size_t		arena_dead;		/* bytes of removed keys, not yet compacted */
	uint32_t   *slots;			/* 0 = empty, else key index + 1 */
	uint32_t	nslots;
	EaMemory	mem;			/* every array above */
} EaKeytab;

/* an empty table that allocates with mem */
extern void ea_keytab_init(EaKeytab *t, int width, EaMemory mem);
/* frees every array; the table is empty again, with the same width and memory */
extern void ea_keytab_free(EaKeytab *t);

EA_HOT_INLINE int64_t *
ea_keytab_counts(const EaKeytab *t, int32_t i)
{
	return t->counts + (size_t) i * t->width;
}

/*
 * A key's first eight bytes, or for a shorter key its bytes packed into one
 * word (two overlapping 4-byte reads from 4 bytes up): with the length it
 * identifies a key of up to 8 bytes, so such keys compare in one instruction.
 */
EA_HOT_INLINE uint64_t
ea_keytab_head(const char *key, uint32_t len)
{
	uint64_t	w = 0;

	if (len >= 8)
		memcpy(&w, key, 8);
	else if (len >= 4)
	{
		uint32_t	lo,
					hi;

		memcpy(&lo, key, 4);
		memcpy(&hi, key + len - 4, 4);
		w = ((uint64_t) hi << 32) | lo;
	}
	else
		for (uint32_t j = 0; j < len; j++)
			w = (w << 8) | (unsigned char) key[j];
	return w;
}

/*
 * A fast 32-bit hash of a key: its head and length folded and multiplied, the
 * high half of the product taken (multiplicative hashing).  Past 8 bytes the
 * rest of the key is mixed in eight bytes at a time first.  For the short keys
 * of group and category columns this is one multiply: it sits on the critical
 * path of every row.
 */
EA_HOT_INLINE uint32_t
ea_keytab_hash(const char *key, uint32_t len, uint64_t head)
{
	uint64_t	h = head ^ len;

	for (uint32_t i = 8; i < len; i += 8)
	{
		uint64_t	w;

		/* the last word overlaps bytes already mixed rather than read past the key */
		memcpy(&w, key + (i + 8 <= len ? i : len - 8), 8);
		h = (h ^ (h >> 29) ^ w) * UINT64_C(0x94D049BB133111EB);
	}
	/*
	 * fold the top bits down (the slot index comes from the low bits of the
	 * product's high half, which no bit above them reaches); 29, not 32, so
	 * that the two equal halves of a 4-byte key's head do not cancel
	 */
	h ^= h >> 29;
	h *= UINT64_C(0x9E3779B97F4A7C15);
	return (uint32_t) (h >> 32);
}

/* a key longer than 8 bytes against stored bytes whose first 8 already matched */
EA_HOT_INLINE int
ea_keytab_tail_equal(const char *a, const char *b, uint32_t len)
{
	if (len <= 16)
	{
		uint64_t	a1,
					b1;

		memcpy(&a1, a + len - 8, 8);
		memcpy(&b1, b + len - 8, 8);
		return a1 == b1;
	}
	return memcmp(a + 8, b + 8, len - 8) == 0;
}

EA_HOT_INLINE int
ea_keytab_key_equals(const EaKeytab *t, int32_t i, const char *key, uint32_t len, uint64_t head)
{
	return t->heads[i] == head && t->lens[i] == len &&
		(len <= 8 || ea_keytab_tail_equal(t->arena + t->offsets[i], key, len));
}

/* adds `key`, absent, with hash h and head: the slow path of ea_keytab_lookup */
extern EaStatus ea_keytab_insert(EaKeytab *t, const char *key, uint32_t len, uint32_t h,
								 uint64_t head, int32_t max_keys, int32_t *index);

/* index of `key` with hash h and head, or -1 */
EA_HOT_INLINE int32_t
ea_keytab_find_hashed(const EaKeytab *t, const char *key, uint32_t len, uint32_t h, uint64_t head)
{
	if (t->nslots > 0)
	{
		for (uint32_t s = h & (t->nslots - 1); t->slots[s] != 0; s = (s + 1) & (t->nslots - 1))
		{
			int32_t		i = (int32_t) t->slots[s] - 1;

			if (t->hashes[i] == h && ea_keytab_key_equals(t, i, key, len, head))
				return i;
		}
	}
	return -1;
}

/* index of `key`, or -1 when absent */
EA_HOT_INLINE int32_t
ea_keytab_find(const EaKeytab *t, const char *key, uint32_t len)
{
	uint64_t	head = ea_keytab_head(key, len);

	return ea_keytab_find_hashed(t, key, len, ea_keytab_hash(key, len, head), head);
}

/*
 * Index of `key`, added with zero counters if absent.  EA_ELIMIT when adding
 * it would exceed max_keys keys.
 */
EA_HOT_INLINE EaStatus
ea_keytab_lookup(EaKeytab *t, const char *key, uint32_t len, int32_t max_keys,
				 int32_t *index)
{
	uint64_t	head = ea_keytab_head(key, len);
	uint32_t	h = ea_keytab_hash(key, len, head);
	int32_t		i = ea_keytab_find_hashed(t, key, len, h, head);

	if (i >= 0)
	{
		*index = i;
		return EA_OK;
	}
	return ea_keytab_insert(t, key, len, h, head, max_keys, index);
}

static inline const char *
ea_keytab_key(const EaKeytab *t, int32_t i, uint32_t *len)
{
	*len = t->lens[i];
	return t->arena + t->offsets[i];
}

/*
 * Removes key i (moving window frames: every counter of a group or category
 * back at 0), in O(1) expected time: the last key takes index i, so indexes
 * stay dense but key i's index changes. Only the slot table and, now and
 * then, the arena are rewritten; nothing is allocated but a compacted arena.
 */
extern EaStatus ea_keytab_remove(EaKeytab *t, int32_t i);

/* dst += src, key by key; widths must match */
extern EaStatus ea_keytab_merge(EaKeytab *dst, const EaKeytab *src, int32_t max_keys);

/*
 * A permutation of the key indexes in byte order of the keys (shorter first
 * on a common prefix), so results summed over keys do not depend on the
 * order rows or partial states arrived in.  Allocated with mem (as its
 * scratch); the caller frees it with ea_free(mem, ...).  NULL when out of
 * memory.
 */
extern int32_t *ea_keytab_sorted(const EaKeytab *t, EaMemory mem);

/* serialized form: nkeys (u32), then per key len (u32), bytes, counters (i64) */
extern size_t ea_keytab_serialized_size(const EaKeytab *t);
extern unsigned char *ea_keytab_serialize(const EaKeytab *t, unsigned char *buf);

/*
 * Reads a keytab written by ea_keytab_serialize from *p (advanced past it);
 * refuses truncated input, negative counters, counters that add up to more
 * than EA_MAX_COUNT, duplicate keys and more than max_keys keys.  The caller checks that the input ends where expected.
 */
extern EaStatus ea_keytab_deserialize(EaKeytab *t, int width, const unsigned char **p,
									  const unsigned char *end, int32_t max_keys, EaMemory mem);


#endif							/* EA_KEYTAB_H */
