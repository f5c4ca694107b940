/*
 * alloc_malloc.c - the core's allocation hooks for the unit tests.
 */
#include <stdlib.h>

#include "ea_alloc.h"

void *
ea_alloc(size_t size)
{
	return malloc(size);
}

void *
ea_realloc(void *ptr, size_t size)
{
	return realloc(ptr, size);
}

void
ea_free(void *ptr)
{
	free(ptr);
}
