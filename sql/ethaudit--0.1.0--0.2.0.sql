-- ethaudit 0.1.0 -> 0.2.0 (ALTER EXTENSION ethaudit UPDATE TO '0.2.0').
--
-- Reviewed by hand: every statement keeps the rows of the audit log, the
-- results, the alerts and the configuration (doc/releasing.md). The result
-- must equal a fresh 0.2.0 install, which test/upgrade/run.sh checks.

\echo Use "ALTER EXTENSION ethaudit UPDATE TO '0.2.0'" to load this file. \quit

-- ---------------------------------------------------------------------------
-- Keeping the evidence: refuse DROP EXTENSION while evidence is there
-- (src/sql/evidence_guard.sql).
-- ---------------------------------------------------------------------------

CREATE FUNCTION ethaudit.guard_evidence_drop()
RETURNS event_trigger
LANGUAGE c
AS 'MODULE_PATHNAME', 'ea_guard_evidence_drop';
COMMENT ON FUNCTION ethaudit.guard_evidence_drop() IS
'Event trigger function (ddl_command_start of DROP EXTENSION, DROP SCHEMA and DROP OWNED): refuses, with SQLSTATE 2BP01, a command that would drop the extension while its audit log, results or alerts hold rows, unless ethaudit.allow_drop_with_evidence is on.';
REVOKE ALL ON FUNCTION ethaudit.guard_evidence_drop() FROM PUBLIC;

CREATE EVENT TRIGGER ethaudit_keep_evidence ON ddl_command_start
    WHEN TAG IN ('DROP EXTENSION', 'DROP SCHEMA', 'DROP OWNED')
    EXECUTE FUNCTION ethaudit.guard_evidence_drop();
COMMENT ON EVENT TRIGGER ethaudit_keep_evidence IS
'Refuses to drop ethaudit while its audit log, results or alerts hold rows (see ethaudit.guard_evidence_drop).';
