/*
 * ethaudit.h - the module: the limits it defines as parameters, and the
 * parameters other files register from _PG_init.
 */
#ifndef ETHAUDIT_H
#define ETHAUDIT_H

#include "postgres.h"

#include "pg_compat.h"

#include "fmgr.h"

/* GUC-controlled limits, documented in doc/limits.md */
extern int	ethaudit_max_values;
extern int	ethaudit_max_categories;
extern int	ethaudit_max_groups;

/* ethaudit.baseline_capture: read by store_baseline() (stored_baselines.sql) */
extern int	ethaudit_baseline_capture;

#define EA_CAPTURE_AUTO 0
#define EA_CAPTURE_SORT 1
#define EA_CAPTURE_COUNT 2

/* registers ethaudit.allow_drop_with_evidence (evidence_guard.c) */
extern void ea_define_evidence_guard(void);
/* registers ethaudit.acting_role (owner_exec.c) */
extern void ea_define_acting_role(void);

#endif							/* ETHAUDIT_H */
