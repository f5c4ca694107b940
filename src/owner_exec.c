/*
 * owner_exec.c - runs the SQL of a check or a retention policy with the
 * privileges of the owner of the relation it reads or deletes from.
 *
 * The runner and apply_retention() are usually called by a superuser
 * (pg_cron). The relations they read are configured by other roles, and a
 * view, a function it calls, a trigger or a policy of such a relation is
 * code its owner chose. Executed as the caller, that code would run as a
 * superuser. PostgreSQL's own maintenance commands (ANALYZE, REFRESH
 * MATERIALIZED VIEW) face the same problem and switch to the table's owner
 * inside a security-restricted operation; so does this.
 *
 * The switch never raises privileges: it happens only when the caller has
 * the owner's privileges (a superuser always does); otherwise the statement
 * runs as the caller, still security-restricted. So the function may stay
 * executable by every role that can call the functions using it.
 *
 * The statement is parsed with the caller's rights (it names ethaudit's
 * aggregates, whose schema the owner need not be allowed to use), then
 * planned and executed as the owner: planning may already evaluate the
 * owner's functions. doc/security.md ("Jobs that run other roles'
 * definitions") describes the model.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "ethaudit.h"

/* the role code run by run_as_owner acts as (ethaudit.session_role()) */
static char *ea_acting_role = NULL;

void
ea_define_acting_role(void)
{
	DefineCustomStringVariable("ethaudit.acting_role",
							   "The relation owner that ethaudit_internal.run_as_owner runs a statement as.",
							   "Set by ethaudit only, for the statement it runs; ethaudit.session_role() "
							   "reports it, so that code run for a job acts in its owner's name.",
							   &ea_acting_role,
							   "",
							   PGC_SUSET,	/* the owner's code, not a superuser, cannot change it */
							   GUC_NOT_IN_SAMPLE | GUC_DISALLOW_IN_FILE | GUC_NO_SHOW_ALL,
							   NULL, NULL, NULL);
}

static Oid
relation_owner(Oid relid)
{
	HeapTuple	tup;
	Oid			owner;

	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

PG_FUNCTION_INFO_V1(ea_run_as_owner);

/*
 * run_as_owner(rel regclass, query text, args timestamptz[]) RETURNS SETOF record
 *
 * Runs query ($1 .. $n bound to the elements of args) as the owner of rel
 * and returns its rows, shaped as the caller's column definition list.
 */
Datum
ea_run_as_owner(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			relid;
	char	   *query;
	ArrayType  *args;
	Datum	   *values = NULL;
	bool	   *arg_nulls = NULL;
	int			nargs = 0;
	Oid		   *argtypes;
	char	   *nulls;
	Oid			owner;
	Oid			save_userid;
	int			save_sec_context;
	int			save_nestlevel;
	SPIPlanPtr	plan;
	int			ret;
	MemoryContext per_query;
	MemoryContext oldcxt;
	TupleDesc	expected;
	Tuplestorestate *store;
	uint64		i;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("run_as_owner: the relation and the query must not be NULL")));
	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		!(rsinfo->allowedModes & SFRM_Materialize) || rsinfo->expectedDesc == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("run_as_owner must be called in FROM with a column definition list")));

	relid = PG_GETARG_OID(0);
	query = text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (!PG_ARGISNULL(2))
	{
		args = PG_GETARG_ARRAYTYPE_P(2);
		if (ARR_ELEMTYPE(args) != TIMESTAMPTZOID || ARR_NDIM(args) > 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("run_as_owner: args must be a one-dimensional timestamptz[]")));
		deconstruct_array(args, TIMESTAMPTZOID, sizeof(TimestampTz), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
						  &values, &arg_nulls, &nargs);
	}
	argtypes = palloc(sizeof(Oid) * (nargs + 1));
	nulls = palloc(nargs + 1);
	for (i = 0; i < (uint64) nargs; i++)
	{
		argtypes[i] = TIMESTAMPTZOID;
		nulls[i] = arg_nulls[i] ? 'n' : ' ';
	}

	owner = relation_owner(relid);
	if (!has_privs_of_role(GetUserId(), owner)
#if PG_VERSION_NUM >= 160000
	/* from 16 a member may hold the owner's privileges without the right to become it */
		|| !member_can_set_role(GetUserId(), owner)
#endif
		)
		owner = GetUserId();	/* never up: run as the caller */

	per_query = rsinfo->econtext->ecxt_per_query_memory;
	oldcxt = MemoryContextSwitchTo(per_query);
	expected = CreateTupleDescCopy(rsinfo->expectedDesc);
	store = tuplestore_begin_heap(true, false, work_mem);
	MemoryContextSwitchTo(oldcxt);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/* the caller's rights for name lookup, a search_path no owner controls */
	save_nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	plan = SPI_prepare(query, nargs, argtypes);
	if (plan == NULL)
		elog(ERROR, "run_as_owner: SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	/* what the owner's code is told it acts as (ethaudit.session_role()) */
	(void) set_config_option("ethaudit.acting_role", GetUserNameFromId(owner, false), PGC_SUSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);

	/*
	 * The owner's rights for planning and execution. An error unwinds the
	 * (sub)transaction, which restores the user id and security context.
	 */
	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(owner, save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	ret = SPI_execute_plan(plan, values, nulls, false, 0);
	SetUserIdAndSecContext(save_userid, save_sec_context);
	AtEOXact_GUC(false, save_nestlevel);

	if (ret < 0)
		elog(ERROR, "run_as_owner: the query failed: %s", SPI_result_code_string(ret));

	if (SPI_tuptable != NULL)
	{
		TupleDesc	got = SPI_tuptable->tupdesc;
		int			col;

		if (got->natts != expected->natts)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("run_as_owner: the query returns %d columns, the caller expects %d",
							got->natts, expected->natts)));
		for (col = 0; col < got->natts; col++)
			if (TupleDescAttr(got, col)->atttypid != TupleDescAttr(expected, col)->atttypid ||
				(TupleDescAttr(expected, col)->atttypmod >= 0 &&
				 TupleDescAttr(got, col)->atttypmod != TupleDescAttr(expected, col)->atttypmod))
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("run_as_owner: column %d of the query is of type %s, the caller expects %s",
								col + 1, format_type_be(TupleDescAttr(got, col)->atttypid),
								format_type_be(TupleDescAttr(expected, col)->atttypid))));
		oldcxt = MemoryContextSwitchTo(per_query);
		for (i = 0; i < SPI_processed; i++)
			tuplestore_puttuple(store, SPI_tuptable->vals[i]);
		MemoryContextSwitchTo(oldcxt);
	}
	SPI_finish();

	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = store;
	rsinfo->setDesc = expected;
	return (Datum) 0;
}
