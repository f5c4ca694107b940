
-- ---------------------------------------------------------------------------
-- Keeping the evidence: DROP EXTENSION ethaudit (or DROP SCHEMA ethaudit
-- CASCADE, or DROP OWNED BY its owner) would delete the audit log, results
-- and alerts with it. An event trigger refuses such a drop while they hold
-- rows, unless ethaudit.allow_drop_with_evidence is on (doc/security.md,
-- "Dropping the extension").
-- ---------------------------------------------------------------------------

CREATE FUNCTION ethaudit_internal.guard_evidence_drop()
RETURNS event_trigger
LANGUAGE c
AS 'MODULE_PATHNAME', 'ea_guard_evidence_drop';
COMMENT ON FUNCTION ethaudit_internal.guard_evidence_drop() IS
'Event trigger function (ddl_command_start of DROP EXTENSION, DROP SCHEMA and DROP OWNED): refuses, with SQLSTATE 2BP01, a command that would drop the extension while its audit log, results or alerts hold rows, unless ethaudit.allow_drop_with_evidence is on.';
REVOKE ALL ON FUNCTION ethaudit_internal.guard_evidence_drop() FROM PUBLIC;

CREATE EVENT TRIGGER ethaudit_keep_evidence ON ddl_command_start
    WHEN TAG IN ('DROP EXTENSION', 'DROP SCHEMA', 'DROP OWNED')
    EXECUTE FUNCTION ethaudit_internal.guard_evidence_drop();
COMMENT ON EVENT TRIGGER ethaudit_keep_evidence IS
'Refuses to drop ethaudit while its audit log, results or alerts hold rows (see ethaudit_internal.guard_evidence_drop).';
