/*
 * pg_compat.h - the few places where the supported PostgreSQL majors (15 to
 * 18) differ for the fmgr layer.  Included by ethaudit.h, host.h and state.h,
 * after postgres.h.
 */
#ifndef ETHAUDIT_PG_COMPAT_H
#define ETHAUDIT_PG_COMPAT_H

#if PG_VERSION_NUM < 150000
#error "ethaudit needs PostgreSQL 15 or later"
#endif

/* PostgreSQL 16 moved the varlena header macros (VARATT_*) out of postgres.h */
#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif

/* PostgreSQL 18 replaced pg_attribute_noreturn() by pg_noreturn, written first */
#if PG_VERSION_NUM < 180000
#define pg_noreturn pg_attribute_noreturn()
#endif

#endif							/* ETHAUDIT_PG_COMPAT_H */
