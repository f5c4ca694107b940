-- ethaudit: drift, calibration and fairness audits of prediction logs, in SQL.
--
-- This script is assembled by `make` from the files of src/sql/, one file
-- per concern, in the order the Makefile lists them.

\echo Use "CREATE EXTENSION ethaudit" to load this file. \quit

-- What users call and read lives in schema ethaudit; the functions behind it
-- (transition and final functions, triggers, query builders) live in
-- ethaudit_internal.  It is not a security boundary: its functions keep
-- their own grants, and USAGE lets the public functions reach them.
CREATE SCHEMA ethaudit_internal;
COMMENT ON SCHEMA ethaudit_internal IS
'Internals of ethaudit (support functions of its aggregates, triggers, query builders); not an interface: call what schema ethaudit offers.';
GRANT USAGE ON SCHEMA ethaudit_internal TO PUBLIC;
