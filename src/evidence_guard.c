/*
 * evidence_guard.c - refuses DROP EXTENSION ethaudit (and the commands that
 * drop it along with other objects) while its tables hold evidence.
 *
 * The audit log, the results and the alerts are extension tables, so a DROP
 * EXTENSION would delete them with no trace. An event trigger at
 * ddl_command_start looks at the parsed command (only C sees it) and, when
 * the command would drop the extension and evidence is there, refuses with
 * 2BP01 unless ethaudit.allow_drop_with_evidence is on. doc/security.md
 * ("Dropping the extension") gives the export to make first.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/pg_extension.h"
#include "commands/event_trigger.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "ethaudit.h"

#define EA_EXTENSION_NAME "ethaudit"

static bool ea_allow_drop_with_evidence = false;

void
ea_define_evidence_guard(void)
{
	DefineCustomBoolVariable("ethaudit.allow_drop_with_evidence",
							 "Lets DROP EXTENSION ethaudit delete an audit log, results or alerts that hold rows.",
							 "Off: the drop is refused while evidence is there. Export the evidence first "
							 "(doc/security.md), then set this in the dropping session only.",
							 &ea_allow_drop_with_evidence,
							 false,
							 PGC_SUSET, 0, NULL, NULL, NULL);
}

/* does a DROP's list of plain names hold `name`? */
static bool
names_object(List *objects, const char *name)
{
	ListCell   *lc;

	foreach(lc, objects)
	{
		Node	   *obj = (Node *) lfirst(lc);

		if (IsA(obj, String) && strcmp(strVal(obj), name) == 0)
			return true;
	}
	return false;
}

/* the extension's owner and schema, from its pg_extension row */
static void
extension_owner_and_schema(Oid ext_oid, Oid *owner, Oid *schema)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(ext_oid));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	*owner = InvalidOid;
	*schema = InvalidOid;
	if (HeapTupleIsValid(tup))
	{
		*owner = ((Form_pg_extension) GETSTRUCT(tup))->extowner;
		*schema = ((Form_pg_extension) GETSTRUCT(tup))->extnamespace;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

/* would this command drop the extension, directly or by cascade? */
static bool
drops_extension(Node *parsetree, Oid ext_oid)
{
	Oid			owner;
	Oid			schema_oid;

	extension_owner_and_schema(ext_oid, &owner, &schema_oid);
	if (IsA(parsetree, DropStmt))
	{
		DropStmt   *stmt = (DropStmt *) parsetree;

		if (stmt->removeType == OBJECT_EXTENSION)
			return names_object(stmt->objects, EA_EXTENSION_NAME);
		/* without CASCADE a drop of the extension's schema fails by itself */
		if (stmt->removeType == OBJECT_SCHEMA && stmt->behavior == DROP_CASCADE)
		{
			char	   *schema = get_namespace_name(schema_oid);

			return schema != NULL && names_object(stmt->objects, schema);
		}
		return false;
	}
	if (IsA(parsetree, DropOwnedStmt))
	{
		/* DROP OWNED BY drops the extension of an owner it names */
		DropOwnedStmt *stmt = (DropOwnedStmt *) parsetree;
		ListCell   *lc;

		foreach(lc, stmt->roles)
		{
			if (get_rolespec_oid((RoleSpec *) lfirst(lc), true) == owner)
				return true;
		}
	}
	return false;
}

/* rows of evidence: audit log events, results, alerts */
static int64
evidence_rows(void)
{
	int64		rows = 0;
	bool		isnull;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* qualified throughout: the dropping session's search_path resolves nothing here */
	if (SPI_execute("SELECT (SELECT pg_catalog.count(*) FROM ethaudit.audit_log)"
					" OPERATOR(pg_catalog.+) (SELECT pg_catalog.count(*) FROM ethaudit.audit_pending)"
					" OPERATOR(pg_catalog.+) (SELECT pg_catalog.count(*) FROM ethaudit.results)"
					" OPERATOR(pg_catalog.+) (SELECT pg_catalog.count(*) FROM ethaudit.alerts)", true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not count ethaudit's evidence");
	if (SPI_processed == 1)
	{
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
			rows = DatumGetInt64(d);
	}
	SPI_finish();
	return rows;
}

PG_FUNCTION_INFO_V1(ea_guard_evidence_drop);

Datum
ea_guard_evidence_drop(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;
	Oid			ext_oid;
	int64		rows;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("guard_evidence_drop() must be called as an event trigger")));
	trigdata = (EventTriggerData *) fcinfo->context;

	ext_oid = get_extension_oid(EA_EXTENSION_NAME, true);
	if (!OidIsValid(ext_oid) || ea_allow_drop_with_evidence ||
		!drops_extension(trigdata->parsetree, ext_oid))
		PG_RETURN_NULL();

	rows = evidence_rows();
	if (rows > 0)
		ereport(ERROR,
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("cannot drop extension ethaudit while it holds evidence"),
				 errdetail_plural("Its audit log, results and alerts hold " INT64_FORMAT " row, which the drop would delete.",
								  "Its audit log, results and alerts hold " INT64_FORMAT " rows, which the drop would delete.",
								  (unsigned long) rows, rows),
				 errhint("Export them first (see the section \"Dropping the extension\" of ethaudit's doc/security.md), "
						 "then SET ethaudit.allow_drop_with_evidence = on in this session.")));
	PG_RETURN_NULL();
}
