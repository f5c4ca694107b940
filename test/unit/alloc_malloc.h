/*
 * alloc_malloc.h - the memory the unit tests and the fuzzers give the core:
 * malloc, realloc and free (test/unit/alloc_malloc.c).
 */
#ifndef EA_ALLOC_MALLOC_H
#define EA_ALLOC_MALLOC_H

#include "ea_alloc.h"

extern const EaMemory ea_malloc_memory;

#endif							/* EA_ALLOC_MALLOC_H */
