-- ====================================================================
-- Reading the prediction logs: what checks, store_baseline() and
-- retention know about the relations they read
--
--   type_class, column_type, text_of   a column's type as checks see it,
--                                      and the SQL that reads it
--   check_source, qualified_name       which relations may be the source
--                                      of a check, and how it is stored
--   run_as_owner                       a statement run as the owner of the
--                                      relation it reads (owner_exec.c)
--
-- All of them are internal: the validation triggers and the runner call
-- them; users do not.
-- ====================================================================

CREATE FUNCTION ethaudit_internal.type_class(typ regtype)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- domains (even domains over domains) are judged by their base type
    WITH RECURSIVE chain AS (
        SELECT t.oid, t.typtype, t.typbasetype FROM pg_catalog.pg_type t WHERE t.oid = typ
        UNION ALL
        SELECT t.oid, t.typtype, t.typbasetype
        FROM pg_catalog.pg_type t JOIN chain ON t.oid = chain.typbasetype
        WHERE chain.typtype = 'd'
    )
    SELECT CASE
        WHEN b.oid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype) THEN 'integer'
        WHEN b.oid IN ('float4'::regtype, 'float8'::regtype, 'numeric'::regtype) THEN 'float'
        WHEN b.oid IN ('text'::regtype, 'varchar'::regtype, 'bpchar'::regtype, 'name'::regtype) THEN 'text'
        WHEN b.oid = 'bool'::regtype THEN 'boolean'
        WHEN b.oid IN ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype) THEN 'time'
        WHEN b.typtype = 'e' THEN 'enum'
    END
    FROM chain b
    WHERE b.typtype <> 'd'
$$;
COMMENT ON FUNCTION ethaudit_internal.type_class(regtype) IS
'Internal: the class of a column type as checks see it (integer, float, text, boolean, time, enum), or NULL for a type checks do not read. Domains count as their base type.';

CREATE FUNCTION ethaudit_internal.column_type(rel regclass, col name)
RETURNS regtype
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    typ regtype;
BEGIN
    SELECT a.atttypid INTO typ
    FROM pg_catalog.pg_attribute a
    WHERE a.attrelid = rel AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'column "%" of relation % does not exist', col, rel
            USING ERRCODE = 'undefined_column';
    END IF;
    RETURN typ;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.column_type(regclass, name) IS
'Internal: type of a column of a relation, looked up in pg_attribute; raises 42703 if the column does not exist.';

-- A column read as text, in the SQL the runner builds. An enum's own output
-- function, never a cast: the owner of an enum type may create a cast from
-- it to text with a function of its own, which the trigger (running as the
-- extension's owner) must not call.
CREATE FUNCTION ethaudit_internal.text_of(rel regclass, col name)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN ethaudit_internal.type_class(ethaudit_internal.column_type(rel, col)) = 'enum'
                THEN pg_catalog.format('pg_catalog.textin(pg_catalog.enum_out(src.%I))', col)
                ELSE pg_catalog.format('src.%I::pg_catalog.text', col) END
$$;
COMMENT ON FUNCTION ethaudit_internal.text_of(regclass, name) IS
'Internal: the SQL expression that reads column col of rel (as src) as text: through the output function for an enum (a cast could be the enum owner''s function), a cast to text for built-in types.';

-- Runs SQL built by the runner, store_baseline() and apply_retention() with
-- the privileges of the owner of the relation it reads (owner_exec.c).
CREATE FUNCTION ethaudit_internal.run_as_owner(rel regclass, query text, args timestamptz[])
RETURNS SETOF record
LANGUAGE c VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'ea_run_as_owner';
COMMENT ON FUNCTION ethaudit_internal.run_as_owner(regclass, text, timestamptz[]) IS
'Internal: runs query (parameters $1.. from args) as the owner of rel in a security-restricted operation, as PostgreSQL runs ANALYZE, so that code the owner put in its view, functions, triggers or policies never runs with the caller''s privileges; it runs as the caller when the caller lacks the owner''s privileges or (PostgreSQL 16+) the right to SET ROLE to it (never up). The statement''s code acts as the owner for ethaudit.session_role(). Not executable by PUBLIC (the admin part has it, for store_baseline and apply_retention). Name lookup uses the caller''s rights and search_path pg_catalog, pg_temp. Call it in FROM with a column definition list.';
REVOKE EXECUTE ON FUNCTION ethaudit_internal.run_as_owner(regclass, text, timestamptz[]) FROM PUBLIC;

CREATE FUNCTION ethaudit_internal.check_source(rel regclass, source text, for_trigger boolean)
RETURNS regclass
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    kind "char";
    persistence "char";
BEGIN
    IF source IS NULL THEN
        RAISE EXCEPTION 'source must not be NULL' USING ERRCODE = 'not_null_violation';
    END IF;
    IF rel IS NULL THEN
        RAISE EXCEPTION 'relation "%" does not exist', source
            USING ERRCODE = 'undefined_table',
                  HINT = 'A check reads a table or view; name it with its schema, e.g. public.predictions.';
    END IF;
    SELECT c.relkind, c.relpersistence INTO kind, persistence
    FROM pg_catalog.pg_class c WHERE c.oid = rel;
    IF persistence = 't' THEN
        RAISE EXCEPTION 'relation % is temporary', rel
            USING ERRCODE = 'wrong_object_type',
                  DETAIL = 'Checks outlive the session, so they cannot read temporary tables.';
    END IF;
    IF for_trigger AND kind NOT IN ('r', 'p') THEN
        RAISE EXCEPTION 'relation % is not a table', rel
            USING ERRCODE = 'wrong_object_type',
                  DETAIL = 'Checks evaluated on insert need a table or partitioned table, the only relations with insert triggers over transition tables.';
    END IF;
    IF kind NOT IN ('r', 'p', 'v', 'm', 'f') THEN
        RAISE EXCEPTION 'relation % is not a table or view', rel
            USING ERRCODE = 'wrong_object_type';
    END IF;
    -- the extension is not relocatable: all of its relations are in schema ethaudit
    IF rel::oid IN (SELECT c.oid FROM pg_catalog.pg_class c WHERE c.relnamespace = 'ethaudit'::pg_catalog.regnamespace) THEN
        RAISE EXCEPTION 'relation % belongs to ethaudit and cannot be the source of a check', rel
            USING ERRCODE = 'wrong_object_type',
                  DETAIL = 'ethaudit''s own tables hold evidence and keys, not predictions.';
    END IF;
    RETURN rel;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.check_source(regclass, text, boolean) IS
'Internal: checks that the source of a check (source, resolved to rel) is a table, partitioned table, view, materialized view or foreign table, not temporary and not one of ethaudit''s own; raises 42P01 or 42809.';

CREATE FUNCTION ethaudit_internal.qualified_name(rel regclass)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.format('%I.%I', n.nspname, c.relname)
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.oid = rel
$$;
COMMENT ON FUNCTION ethaudit_internal.qualified_name(regclass) IS
'Internal: schema-qualified, quoted name of a relation, the form in which checks store their source.';
