/*
 * alloc_malloc.c - the core's memory for the unit tests and the fuzzers:
 * the C library's allocator, with no context.
 */
#include <stdlib.h>

#include "alloc_malloc.h"

static void *
malloc_alloc(void *context, size_t size)
{
	(void) context;
	return malloc(size);
}

static void *
malloc_realloc(void *context, void *ptr, size_t size)
{
	(void) context;
	return realloc(ptr, size);
}

static void
malloc_free(void *context, void *ptr)
{
	(void) context;
	free(ptr);
}

static const EaMemoryOps malloc_ops = {malloc_alloc, malloc_realloc, malloc_free};

const EaMemory ea_malloc_memory = {&malloc_ops, NULL};
