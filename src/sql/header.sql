-- ethaudit: drift, calibration and fairness audits of prediction logs, in SQL.
--
-- This script is assembled by `make` from the files of src/sql/, one file
-- per concern, in the order the Makefile lists them.

\echo Use "CREATE EXTENSION ethaudit" to load this file. \quit
