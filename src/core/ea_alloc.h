/*
 * ea_alloc.h - memory for the numeric core, given by its host explicitly.
 *
 * The core never calls malloc, and never allocates anywhere implicit: every
 * state is made with an EaMemory (init, deserialize, copy), keeps it, and
 * allocates and frees its own storage through it; a function that hands
 * memory back to its caller (ea_keytab_sorted) takes the EaMemory to use.
 * Scratch space a function needs only while it runs comes from the state's
 * memory and is freed before it returns.
 *
 * Inside the server an EaMemory is a memory context (src/host.h): an
 * aggregate's state lives in the aggregate context, a stored state's in its
 * expanded object's context, and no caller switches contexts around a core
 * call.  The unit tests use malloc (test/unit/alloc_malloc.c).  alloc and
 * realloc may return NULL, which the core reports as EA_ENOMEM.
 */
#ifndef EA_ALLOC_H
#define EA_ALLOC_H

#include <stddef.h>

typedef struct EaMemoryOps
{
	void	   *(*alloc) (void *context, size_t size);
	void	   *(*realloc) (void *context, void *ptr, size_t size);
	void		(*free) (void *context, void *ptr);
} EaMemoryOps;

/* where a state's memory comes from: the host's functions and their context */
typedef struct EaMemory
{
	const EaMemoryOps *ops;
	void	   *context;
} EaMemory;

static inline void *
ea_alloc(EaMemory mem, size_t size)
{
	return mem.ops->alloc(mem.context, size);
}

static inline void *
ea_realloc(EaMemory mem, void *ptr, size_t size)
{
	return mem.ops->realloc(mem.context, ptr, size);
}

static inline void
ea_free(EaMemory mem, void *ptr)
{
	mem.ops->free(mem.context, ptr);
}

#endif							/* EA_ALLOC_H */
