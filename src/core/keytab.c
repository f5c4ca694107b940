/*
 * keytab.c - byte-string keys with exact counters.
 */
#include "keytab.h"

#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "ea_alloc.h"

#define EA_KEYTAB_MIN_KEYS 8
#define EA_KEYTAB_MAX_KEYS (INT32_MAX / 4)
/* tables of up to this many keys are kept free of collisions, within 4 KiB of slots */
#define EA_KEYTAB_SPREAD_KEYS 16
#define EA_KEYTAB_SPREAD_SLOTS 1024

void
ea_keytab_init(EaKeytab *t, int width, EaMemory mem)
{
	memset(t, 0, sizeof(*t));
	t->width = width;
	t->mem = mem;
}

void
ea_keytab_free(EaKeytab *t)
{
	if (t->counts)
		ea_free(t->mem, t->counts);
	if (t->offsets)
		ea_free(t->mem, t->offsets);
	if (t->lens)
		ea_free(t->mem, t->lens);
	if (t->hashes)
		ea_free(t->mem, t->hashes);
	if (t->heads)
		ea_free(t->mem, t->heads);
	if (t->arena)
		ea_free(t->mem, t->arena);
	if (t->slots)
		ea_free(t->mem, t->slots);
	ea_keytab_init(t, t->width, t->mem);
}

static void *
grow(EaKeytab *t, void *p, size_t size)
{
	return p ? ea_realloc(t->mem, p, size) : ea_alloc(t->mem, size);
}

static EaStatus
reserve_keys(EaKeytab *t, int32_t need)
{
	int32_t		cap = t->capkeys ? t->capkeys : EA_KEYTAB_MIN_KEYS;
	void	   *p;

	if (need <= t->capkeys)
		return EA_OK;
	while (cap < need)
		cap *= 2;
	if ((p = grow(t, t->counts, (size_t) cap * t->width * sizeof(int64_t))) == NULL)
		return EA_ENOMEM;
	t->counts = p;
	if ((p = grow(t, t->offsets, (size_t) cap * sizeof(uint64_t))) == NULL)
		return EA_ENOMEM;
	t->offsets = p;
	if ((p = grow(t, t->lens, (size_t) cap * sizeof(uint32_t))) == NULL)
		return EA_ENOMEM;
	t->lens = p;
	if ((p = grow(t, t->hashes, (size_t) cap * sizeof(uint32_t))) == NULL)
		return EA_ENOMEM;
	t->hashes = p;
	if ((p = grow(t, t->heads, (size_t) cap * sizeof(uint64_t))) == NULL)
		return EA_ENOMEM;
	t->heads = p;
	t->capkeys = cap;
	return EA_OK;
}

static EaStatus
reserve_arena(EaKeytab *t, size_t extra)
{
	size_t		cap = t->arena_cap ? t->arena_cap : 256;
	char	   *p;

	/* allocated even for empty keys: ea_keytab_key never offsets a NULL arena */
	if (t->arena != NULL && t->arena_used + extra <= t->arena_cap)
		return EA_OK;
	if (extra > SIZE_MAX / 4 - t->arena_used)
		return EA_ELIMIT;
	while (cap < t->arena_used + extra)
		cap *= 2;
	if ((p = grow(t, t->arena, cap)) == NULL)
		return EA_ENOMEM;
	t->arena = p;
	t->arena_cap = cap;
	return EA_OK;
}

/* keep the load factor at or below 1/2 */
static EaStatus
rehash(EaKeytab *t, uint32_t nslots)
{
	uint32_t   *slots = ea_alloc(t->mem, (size_t) nslots * sizeof(uint32_t));

	if (slots == NULL)
		return EA_ENOMEM;
	memset(slots, 0, (size_t) nslots * sizeof(uint32_t));
	for (int32_t i = 0; i < t->nkeys; i++)
	{
		uint32_t	s = t->hashes[i] & (nslots - 1);

		while (slots[s] != 0)
			s = (s + 1) & (nslots - 1);
		slots[s] = (uint32_t) i + 1;
	}
	if (t->slots)
		ea_free(t->mem, t->slots);
	t->slots = slots;
	t->nslots = nslots;
	return EA_OK;
}


/* is every key in the slot its hash points at? */
static int
collision_free(const EaKeytab *t)
{
	for (int32_t i = 0; i < t->nkeys; i++)
		if (t->slots[t->hashes[i] & (t->nslots - 1)] != (uint32_t) i + 1)
			return 0;
	return 1;
}

/*
 * A small table (a group or category column) whose keys collide gets more
 * slots until none do, within EA_KEYTAB_SPREAD_SLOTS: then every row's lookup
 * is one probe, with no branch that depends on which key the row has.
 */
static EaStatus
spread(EaKeytab *t)
{
	while (t->nslots < EA_KEYTAB_SPREAD_SLOTS && !collision_free(t))
	{
		EaStatus	st = rehash(t, t->nslots * 2);

		if (st != EA_OK)
			return st;
	}
	return EA_OK;
}

/* the slow path of ea_keytab_lookup: key is absent, with hash h */
EaStatus
ea_keytab_insert(EaKeytab *t, const char *key, uint32_t len, uint32_t h,
				 uint64_t head, int32_t max_keys, int32_t *index)
{
	uint32_t	s;
	int32_t		i;
	EaStatus	st;

	if (t->nkeys >= max_keys || t->nkeys >= EA_KEYTAB_MAX_KEYS)
		return EA_ELIMIT;
	if ((st = reserve_keys(t, t->nkeys + 1)) != EA_OK ||
		(st = reserve_arena(t, len)) != EA_OK)
		return st;
	if ((uint32_t) (t->nkeys + 1) * 2 > t->nslots &&
		(st = rehash(t, t->nslots ? t->nslots * 2 : 16)) != EA_OK)
		return st;
	i = t->nkeys++;
	if (len > 0)
		memcpy(t->arena + t->arena_used, key, len);
	t->offsets[i] = t->arena_used;
	t->arena_used += len;
	t->lens[i] = len;
	t->hashes[i] = h;
	t->heads[i] = head;
	memset(ea_keytab_counts(t, i), 0, (size_t) t->width * sizeof(int64_t));
	for (s = h & (t->nslots - 1); t->slots[s] != 0; s = (s + 1) & (t->nslots - 1))
		;
	t->slots[s] = (uint32_t) i + 1;
	*index = i;
	if (s != (h & (t->nslots - 1)) && t->nkeys <= EA_KEYTAB_SPREAD_KEYS)
		return spread(t);
	return EA_OK;
}

/* the slot that holds key i */
static uint32_t
slot_of(const EaKeytab *t, int32_t i)
{
	uint32_t	s = t->hashes[i] & (t->nslots - 1);

	while (t->slots[s] != (uint32_t) i + 1)
		s = (s + 1) & (t->nslots - 1);
	return s;
}

/* empties slot s, moving later keys of its probe run back (no tombstones) */
static void
unlink_slot(EaKeytab *t, uint32_t s)
{
	uint32_t	mask = t->nslots - 1;
	uint32_t	j = s;

	t->slots[s] = 0;
	for (;;)
	{
		uint32_t	home;

		j = (j + 1) & mask;
		if (t->slots[j] == 0)
			return;
		home = t->hashes[t->slots[j] - 1] & mask;
		/* the key at j may move to s unless its home lies in (s, j] */
		if (((j - home) & mask) >= ((j - s) & mask))
		{
			t->slots[s] = t->slots[j];
			t->slots[j] = 0;
			s = j;
		}
	}
}

/* rewrites the arena with the live keys only */
static EaStatus
compact_arena(EaKeytab *t)
{
	char	   *arena = ea_alloc(t->mem, t->arena_cap);
	size_t		used = 0;

	if (arena == NULL)
		return EA_ENOMEM;
	for (int32_t i = 0; i < t->nkeys; i++)
	{
		if (t->lens[i] > 0)
			memcpy(arena + used, t->arena + t->offsets[i], t->lens[i]);
		t->offsets[i] = used;
		used += t->lens[i];
	}
	ea_free(t->mem, t->arena);
	t->arena = arena;
	t->arena_used = used;
	t->arena_dead = 0;
	return EA_OK;
}

EaStatus
ea_keytab_remove(EaKeytab *t, int32_t i)
{
	int32_t		last = t->nkeys - 1;

	unlink_slot(t, slot_of(t, i));
	t->arena_dead += t->lens[i];
	if (i != last)
	{
		t->slots[slot_of(t, last)] = (uint32_t) i + 1;
		memcpy(ea_keytab_counts(t, i), ea_keytab_counts(t, last),
			   (size_t) t->width * sizeof(int64_t));
		t->offsets[i] = t->offsets[last];
		t->lens[i] = t->lens[last];
		t->hashes[i] = t->hashes[last];
		t->heads[i] = t->heads[last];
	}
	t->nkeys--;
	/* amortized: compacting costs the live bytes, at least as many dead ones freed */
	if (t->arena_dead > 4096 && t->arena_dead > t->arena_used / 2)
		return compact_arena(t);
	return EA_OK;
}

EaStatus
ea_keytab_merge(EaKeytab *dst, const EaKeytab *src, int32_t max_keys)
{
	if (dst->width != src->width)
		return EA_EPARAM;
	for (int32_t i = 0; i < src->nkeys; i++)
	{
		uint32_t	len;
		const char *key = ea_keytab_key(src, i, &len);
		int32_t		j;
		EaStatus	st = ea_keytab_lookup(dst, key, len, max_keys, &j);
		int64_t    *a,
				   *b;

		if (st != EA_OK)
			return st;
		a = ea_keytab_counts(dst, j);
		b = ea_keytab_counts(src, i);
		for (int w = 0; w < dst->width; w++)
			a[w] += b[w];
	}
	return EA_OK;
}

/* qsort has no context argument; sort (index, table) pairs instead */
typedef struct KeyRef
{
	const EaKeytab *t;
	int32_t		i;
} KeyRef;

static int
keyref_cmp(const void *pa, const void *pb)
{
	const KeyRef *a = pa,
			   *b = pb;
	uint32_t	la,
				lb;
	const char *ka = ea_keytab_key(a->t, a->i, &la);
	const char *kb = ea_keytab_key(b->t, b->i, &lb);
	int			c = memcmp(ka, kb, la < lb ? la : lb);

	if (c != 0)
		return c;
	return (la > lb) - (la < lb);
}

int32_t *
ea_keytab_sorted(const EaKeytab *t, EaMemory mem)
{
	KeyRef	   *refs = ea_alloc(mem, sizeof(KeyRef) * (size_t) (t->nkeys ? t->nkeys : 1));
	int32_t    *order = ea_alloc(mem, sizeof(int32_t) * (size_t) (t->nkeys ? t->nkeys : 1));

	if (refs == NULL || order == NULL)
	{
		if (refs)
			ea_free(mem, refs);
		if (order)
			ea_free(mem, order);
		return NULL;
	}
	for (int32_t i = 0; i < t->nkeys; i++)
	{
		refs[i].t = t;
		refs[i].i = i;
	}
	qsort(refs, (size_t) t->nkeys, sizeof(KeyRef), keyref_cmp);
	for (int32_t i = 0; i < t->nkeys; i++)
		order[i] = refs[i].i;
	ea_free(mem, refs);
	return order;
}

size_t
ea_keytab_serialized_size(const EaKeytab *t)
{
	return 4 + (size_t) t->nkeys * (4 + (size_t) t->width * 8) + t->arena_used - t->arena_dead;
}

unsigned char *
ea_keytab_serialize(const EaKeytab *t, unsigned char *buf)
{
	EaWriter	w = {buf, buf + ea_keytab_serialized_size(t)};

	ea_put_u32(&w, (uint32_t) t->nkeys);
	for (int32_t i = 0; i < t->nkeys; i++)
	{
		uint32_t	len;
		const char *key = ea_keytab_key(t, i, &len);
		const int64_t *c = ea_keytab_counts(t, i);

		ea_put_u32(&w, len);
		ea_put_bytes(&w, key, len);
		for (int k = 0; k < t->width; k++)
			ea_put_i64(&w, c[k]);
	}
	return w.p;
}

EaStatus
ea_keytab_deserialize(EaKeytab *t, int width, const unsigned char **p,
					  const unsigned char *end, int32_t max_keys, EaMemory mem)
{
	EaReader	r = {*p, end, 0};
	uint32_t	nkeys = ea_get_u32(&r);
	EaStatus	st = EA_OK;
	int64_t		total = 0;		/* every counter of every key: no sum of them can wrap */

	ea_keytab_init(t, width, mem);
	/* every key needs at least 4 + 8 * width bytes: bound nkeys before use */
	if (r.bad || nkeys > (uint32_t) max_keys ||
		(size_t) (end - r.p) / (4 + (size_t) width * 8) < nkeys)
		return EA_ECORRUPT;
	for (uint32_t k = 0; k < nkeys && st == EA_OK; k++)
	{
		uint32_t	len = ea_get_u32(&r);
		const unsigned char *key = ea_get_bytes(&r, len);
		int32_t		i;
		int64_t    *c;

		if (key == NULL)
			st = EA_ECORRUPT;
		else if ((st = ea_keytab_lookup(t, (const char *) key, len, max_keys, &i)) == EA_OK)
		{
			if (i != (int32_t) k)
				st = EA_ECORRUPT;	/* a duplicate key */
			c = ea_keytab_counts(t, i);
			for (int w = 0; w < width; w++)
			{
				c[w] = ea_get_count(&r, EA_MAX_COUNT);
				if (!ea_add_count(&total, c[w]))
					r.bad = 1;
			}
			if (r.bad)
				st = EA_ECORRUPT;
		}
		else if (st == EA_ELIMIT)
			st = EA_ECORRUPT;
	}
	if (st != EA_OK)
	{
		ea_keytab_free(t);
		return st;
	}
	*p = r.p;
	return EA_OK;
}
