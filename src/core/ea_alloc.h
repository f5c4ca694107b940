/*
 * ea_alloc.h - memory for the numeric core, supplied by its host.
 *
 * The core never calls malloc directly: inside the server these map to
 * palloc in the current memory context (so aggregate states live in the
 * aggregate context and are freed with it); the unit tests map them to
 * malloc.  ea_alloc and ea_realloc may return NULL, which the core reports
 * as EA_ENOMEM.
 */
#ifndef EA_ALLOC_H
#define EA_ALLOC_H

#include <stddef.h>

extern void *ea_alloc(size_t size);
extern void *ea_realloc(void *ptr, size_t size);
extern void ea_free(void *ptr);

#endif							/* EA_ALLOC_H */
