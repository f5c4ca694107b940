-- One line per property of every object that belongs to extension ethaudit,
-- named without OIDs, so that two databases can be compared with diff: an
-- upgraded installation must print exactly what a fresh one prints.
-- Privileges are compared as sets (sorted, a default ACL written out), since
-- the order of grants and an explicit ACL equal to the default mean nothing.
\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only on
WITH member AS (
    SELECT d.classid, d.objid
    FROM pg_depend d JOIN pg_extension e ON d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid
    WHERE e.extname = 'ethaudit' AND d.deptype = 'e'
), rel AS (
    SELECT c.* FROM pg_class c JOIN member m ON m.classid = 'pg_class'::regclass AND m.objid = c.oid
), fn AS (
    SELECT p.* FROM pg_proc p JOIN member m ON m.classid = 'pg_proc'::regclass AND m.objid = p.oid
), line AS (
    SELECT format('extension %s config %s condition %s', extversion,
                  (SELECT array_agg(x::regclass::text ORDER BY x::regclass::text) FROM unnest(extconfig) x),
                  extcondition)
    FROM pg_extension WHERE extname = 'ethaudit'
    UNION ALL
    SELECT format('schema %s acl %s comment %s', nspname, (SELECT array_agg(x::text ORDER BY x::text) FROM unnest(coalesce(nspacl, acldefault('n', nspowner))) x), obj_description(oid, 'pg_namespace'))
    FROM pg_namespace WHERE oid IN (SELECT objid FROM member WHERE classid = 'pg_namespace'::regclass)
       OR nspname = 'ethaudit'
    -- functions and procedures: the whole definition
    UNION ALL
    SELECT format('function %s acl %s comment %s def %s', oid::regprocedure,
                  (SELECT array_agg(x::text ORDER BY x::text) FROM unnest(coalesce(proacl, acldefault('f', proowner))) x),
                  obj_description(oid, 'pg_proc'), pg_get_functiondef(oid))
    FROM fn WHERE prokind <> 'a'
    -- aggregates: their support functions and options
    UNION ALL
    SELECT format('aggregate %s acl %s comment %s parallel %s strict %s: %s', p.oid::regprocedure,
                  (SELECT array_agg(x::text ORDER BY x::text) FROM unnest(coalesce(p.proacl, acldefault('f', p.proowner))) x),
                  obj_description(p.oid, 'pg_proc'), p.proparallel, p.proisstrict,
                  concat_ws(' ', a.aggkind, a.aggnumdirectargs, a.aggtransfn::regprocedure, a.aggfinalfn::regprocedure,
                            a.aggcombinefn::regprocedure, a.aggserialfn::regprocedure, a.aggdeserialfn::regprocedure,
                            a.aggmtransfn::regprocedure, a.aggminvtransfn::regprocedure, a.aggmfinalfn::regprocedure,
                            a.aggfinalextra, a.aggmfinalextra, a.aggfinalmodify, a.aggmfinalmodify,
                            a.aggsortop::regoperator, a.aggtranstype::regtype, a.aggtransspace,
                            a.aggmtranstype::regtype, a.aggmtransspace, a.agginitval, a.aggminitval))
    FROM fn p JOIN pg_aggregate a ON a.aggfnoid = p.oid
    -- tables, views, sequences, indexes
    UNION ALL
    SELECT format('relation %s kind %s acl %s rls %s force %s comment %s', oid::regclass, relkind,
                  (SELECT array_agg(x::text ORDER BY x::text)
                   FROM unnest(coalesce(relacl, acldefault((CASE relkind WHEN 'S' THEN 's' ELSE 'r' END)::"char", relowner))) x),
                  relrowsecurity, relforcerowsecurity, obj_description(oid, 'pg_class'))
    FROM rel
    UNION ALL
    SELECT format('view %s options %s def %s', oid::regclass, reloptions, pg_get_viewdef(oid)) FROM rel WHERE relkind IN ('v', 'm')
    UNION ALL
    SELECT format('sequence %s %s', s.seqrelid::regclass,
                  concat_ws(' ', s.seqtypid::regtype, s.seqstart, s.seqincrement, s.seqmax, s.seqmin, s.seqcache, s.seqcycle))
    FROM pg_sequence s JOIN rel r ON r.oid = s.seqrelid
    -- columns in their order among the columns not dropped
    UNION ALL
    SELECT format('column %s.%s position %s type %s not null %s default %s identity %s generated %s collation %s acl %s comment %s',
                  a.attrelid::regclass, a.attname,
                  rank() OVER (PARTITION BY a.attrelid ORDER BY a.attnum),
                  format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid),
                  a.attidentity, a.attgenerated, a.attcollation::regcollation,
                  (SELECT array_agg(x::text ORDER BY x::text) FROM unnest(a.attacl) x),
                  col_description(a.attrelid, a.attnum))
    FROM pg_attribute a JOIN rel r ON r.oid = a.attrelid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attnum > 0 AND NOT a.attisdropped AND r.relkind IN ('r', 'v', 'm', 'c', 'p', 'f')
    UNION ALL
    SELECT format('constraint %s on %s: %s comment %s', conname, conrelid::regclass,
                  pg_get_constraintdef(oid), obj_description(oid, 'pg_constraint'))
    FROM pg_constraint WHERE conrelid IN (SELECT oid FROM rel)
    UNION ALL
    SELECT format('index %s', pg_get_indexdef(indexrelid)) FROM pg_index WHERE indrelid IN (SELECT oid FROM rel)
    UNION ALL
    SELECT format('trigger %s enabled %s comment %s', pg_get_triggerdef(oid), tgenabled,
                  obj_description(oid, 'pg_trigger'))
    FROM pg_trigger WHERE tgrelid IN (SELECT oid FROM rel) AND NOT tgisinternal
    UNION ALL
    SELECT format('policy %s on %s: %s %s roles %s using %s check %s', polname, polrelid::regclass, polcmd,
                  polpermissive, (SELECT array_agg(CASE WHEN r = 0 THEN 'public' ELSE r::regrole::text END ORDER BY 1)
                                  FROM unnest(polroles) r),
                  pg_get_expr(polqual, polrelid), pg_get_expr(polwithcheck, polrelid))
    FROM pg_policy WHERE polrelid IN (SELECT oid FROM rel)
    UNION ALL
    SELECT format('rule %s on %s: %s', rulename, ev_class::regclass, pg_get_ruledef(oid))
    FROM pg_rewrite WHERE ev_class IN (SELECT oid FROM rel) AND rulename <> '_RETURN'
    -- types and their attributes
    UNION ALL
    SELECT format('type %s kind %s in %s out %s recv %s send %s len %s align %s storage %s acl %s comment %s',
                  t.oid::regtype, t.typtype, t.typinput::regproc, t.typoutput::regproc, t.typreceive::regproc,
                  t.typsend::regproc, t.typlen, t.typalign, t.typstorage,
                  (SELECT array_agg(x::text ORDER BY x::text) FROM unnest(coalesce(t.typacl, acldefault('T', t.typowner))) x),
                  obj_description(t.oid, 'pg_type'))
    FROM pg_type t JOIN member m ON m.classid = 'pg_type'::regclass AND m.objid = t.oid
    UNION ALL
    SELECT format('type attribute %s.%s position %s type %s', t.oid::regtype, a.attname, a.attnum,
                  format_type(a.atttypid, a.atttypmod))
    FROM pg_type t JOIN member m ON m.classid = 'pg_type'::regclass AND m.objid = t.oid
    JOIN pg_attribute a ON a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
    WHERE t.typtype = 'c'
    -- casts, operators, event triggers
    UNION ALL
    SELECT format('cast %s -> %s via %s context %s', c.castsource::regtype, c.casttarget::regtype,
                  c.castfunc::regprocedure, c.castcontext)
    FROM pg_cast c JOIN member m ON m.classid = 'pg_cast'::regclass AND m.objid = c.oid
    UNION ALL
    SELECT format('operator %s', o.oid::regoperator)
    FROM pg_operator o JOIN member m ON m.classid = 'pg_operator'::regclass AND m.objid = o.oid
    UNION ALL
    SELECT format('event trigger %s on %s tags %s function %s enabled %s comment %s', evtname, evtevent, evttags,
                  evtfoid::regprocedure, evtenabled, obj_description(e.oid, 'pg_event_trigger'))
    FROM pg_event_trigger e JOIN member m ON m.classid = 'pg_event_trigger'::regclass AND m.objid = e.oid
    -- anything of another kind is named, so that it is compared at least by its existence
    UNION ALL
    SELECT format('member %s', pg_describe_object(classid, objid, 0)) FROM member
)
SELECT * FROM line ORDER BY 1;
