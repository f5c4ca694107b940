/*
 * ea_inline.h - EA_HOT_INLINE marks the small functions that run once per
 * row inside the transition functions.  Compilers may otherwise keep them
 * out of line when a caller is large, and a call per row costs more than
 * their body.
 */
#ifndef EA_INLINE_H
#define EA_INLINE_H

#if defined(__GNUC__) || defined(__clang__)
#define EA_HOT_INLINE static inline __attribute__((always_inline))
#else
#define EA_HOT_INLINE static inline
#endif

#endif							/* EA_INLINE_H */
