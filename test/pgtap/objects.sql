-- Properties of every object the extension installs: aggregates with their
-- support functions, volatility, parallel safety, strictness and comments.
\set ON_ERROR_STOP 1
\set QUIET 1
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS ethaudit;

BEGIN;
SELECT plan(80);

SELECT has_schema('ethaudit');
SELECT is((SELECT extrelocatable FROM pg_extension WHERE extname = 'ethaudit'), false,
          'ethaudit is not relocatable');

-- the public aggregates, with the argument orders the API promises
SELECT is_aggregate('ethaudit', 'psi', ARRAY['double precision', 'boolean']);
SELECT is_aggregate('ethaudit', 'psi', ARRAY['double precision', 'boolean', 'integer']);
SELECT is_aggregate('ethaudit', 'psi', ARRAY['double precision', 'boolean', 'text']);
SELECT is_aggregate('ethaudit', 'psi', ARRAY['text', 'boolean']);
SELECT is_aggregate('ethaudit', 'psi', ARRAY['text', 'boolean', 'text']);
SELECT is_aggregate('ethaudit', 'js_divergence', ARRAY['double precision', 'boolean']);
SELECT is_aggregate('ethaudit', 'js_divergence', ARRAY['double precision', 'boolean', 'integer']);
SELECT is_aggregate('ethaudit', 'js_divergence', ARRAY['double precision', 'boolean', 'text']);
SELECT is_aggregate('ethaudit', 'js_divergence', ARRAY['text', 'boolean']);
SELECT is_aggregate('ethaudit', 'ks_stat', ARRAY['double precision', 'boolean']);
SELECT is_aggregate('ethaudit', 'ks_test', ARRAY['double precision', 'boolean']);
SELECT is_aggregate('ethaudit', 'ece', ARRAY['boolean', 'double precision']);
SELECT is_aggregate('ethaudit', 'ece', ARRAY['boolean', 'double precision', 'integer']);
SELECT is_aggregate('ethaudit', 'group_tpr_gap', ARRAY['boolean', 'boolean', 'text']);
SELECT is_aggregate('ethaudit', 'group_tpr_gap', ARRAY['boolean', 'boolean', 'text', 'integer']);
SELECT is_aggregate('ethaudit', 'true_positive_rate', ARRAY['boolean', 'boolean']);
SELECT is_aggregate('ethaudit', 'false_positive_rate', ARRAY['boolean', 'boolean']);
SELECT is_aggregate('ethaudit', 'false_negative_rate', ARRAY['boolean', 'boolean']);

SELECT function_returns('ethaudit', 'ks_test', ARRAY['double precision', 'boolean'], 'ethaudit.ks_result');
SELECT has_composite('ethaudit', 'ks_result', 'ks_result is a composite type');
SELECT columns_are('ethaudit', 'ks_result',
                   ARRAY['statistic', 'p_value', 'n_reference', 'n_current']);
SELECT function_returns('ethaudit', 'psi', ARRAY['double precision', 'boolean'], 'double precision');
SELECT function_returns('ethaudit', 'chi2_test', ARRAY['text', 'boolean'], 'ethaudit.chi2_result');
SELECT function_returns('ethaudit', 'unseen_categories', ARRAY['text', 'boolean'], 'ethaudit.unseen_result');
SELECT function_returns('ethaudit', 'group_report', ARRAY['boolean', 'boolean', 'text'], 'ethaudit.group_metrics[]');
SELECT function_returns('ethaudit', 'calibration_by_group', ARRAY['boolean', 'double precision', 'text'],
                        'ethaudit.group_calibration[]');
SELECT is_aggregate('ethaudit', 'null_rate_change', ARRAY['anyelement', 'boolean']);
SELECT function_returns('ethaudit', 'drift_test', ARRAY['double precision', 'boolean'], 'ethaudit.drift_test_result');
SELECT function_returns('ethaudit', 'drift_test', ARRAY['text', 'boolean', 'text'], 'ethaudit.drift_test_result');
SELECT columns_are('ethaudit', 'drift_test_result',
                   ARRAY['test', 'statistic', 'p_value', 'threshold', 'drifted', 'n_reference', 'n_current',
                         'n_values', 'nonfinite_reference', 'nonfinite_current', 'unseen_current']);
SELECT is(count(DISTINCT a.aggtransfn)::int, 4,
          'drift_test keeps its own states (Evidently bins, infinities left out): one transition per form')
FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
WHERE p.pronamespace = 'ethaudit'::regnamespace AND p.proname = 'drift_test';
SELECT function_returns('ethaudit', 'drift_report', ARRAY['regclass', 'name', 'name[]', 'name[]', 'text',
                        'double precision', 'double precision'], 'setof record');
SELECT function_returns('ethaudit', 'drift_report', ARRAY['regclass', 'name', 'tstzrange', 'tstzrange', 'name[]',
                        'name[]', 'text', 'double precision', 'double precision'], 'setof record');
SELECT is(count(*)::int, 0, 'drift_report reads as its caller (SECURITY INVOKER, search_path pinned)')
FROM pg_proc WHERE proname IN ('drift_report', 'drift_report_run', 'range_condition')
  AND (prosecdef OR NOT coalesce(proconfig::text LIKE '%search_path=pg_catalog, pg_temp%', false));
SELECT function_returns('ethaudit', 'ece', ARRAY['boolean', 'double precision'], 'double precision');

-- every aggregate: parallel safe, combinable, serializable when its state
-- is internal, and usable as a window function (read-only final function)
SELECT set_eq(
    $$SELECT p.proname::text AS aggregate, pg_get_function_arguments(p.oid) AS arguments,
             a.aggtransfn::regproc::text AS transition, nullif(a.aggminvtransfn::regproc::text, '-') AS inverse,
             a.aggfinalfn::regproc::text AS final, a.aggcombinefn::regproc::text AS combine,
             a.aggtranstype::regtype::text AS state_type, obj_description(p.oid, 'pg_proc') AS comment
      FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
      WHERE p.pronamespace = 'ethaudit'::regnamespace$$,
    $$SELECT a.aggregate, a.arguments, 'ethaudit_internal.' || a.transition AS transition,
             'ethaudit_internal.' || a.inverse AS inverse, 'ethaudit_internal.' || a.final AS final,
             'ethaudit_internal.' || a.state || '_combine' AS combine, s.state_type::text AS state_type, a.comment
      FROM ethaudit_internal.aggregates a JOIN ethaudit_internal.aggregate_states s USING (state)$$,
    'the aggregates of schema ethaudit are exactly the rows of ethaudit_internal.aggregates (functions, state, comment)');

-- every metric of the catalog calls an aggregate that exists, with the
-- argument types its reads give, for each value kind it accepts; every
-- option is an argument of that aggregate; every aggregate either serves a
-- metric or is one of the builders and reports below
CREATE TEMP VIEW metric_call AS
SELECT m.metric, m.aggregate, k.kind,
       array_agg(CASE r.a WHEN 'v' THEN CASE k.kind WHEN 'numeric' THEN 'double precision' ELSE 'text' END
                          WHEN 'y' THEN CASE m.label_type WHEN 'numeric' THEN 'double precision' ELSE 'boolean' END
                          WHEN 'p' THEN CASE m.probability_type WHEN 'prediction' THEN 'boolean' ELSE 'double precision' END
                          WHEN 'g' THEN 'text' ELSE 'boolean' END ORDER BY r.o) AS types,
       array_agg(CASE r.a WHEN 'v' THEN 'anyelement'
                          WHEN 'y' THEN CASE m.label_type WHEN 'numeric' THEN 'double precision' ELSE 'boolean' END
                          WHEN 'p' THEN CASE m.probability_type WHEN 'prediction' THEN 'boolean' ELSE 'double precision' END
                          WHEN 'g' THEN 'text' ELSE 'boolean' END ORDER BY r.o) AS generic_types
FROM ethaudit_internal.metrics m
CROSS JOIN LATERAL unnest(coalesce(m.value_kinds, '{-}')) AS k(kind)
CROSS JOIN LATERAL unnest(m.reads) WITH ORDINALITY AS r(a, o)
WHERE m.shape = 'aggregate'
GROUP BY m.metric, m.aggregate, k.kind;
CREATE TEMP VIEW aggregate_signature AS
SELECT p.proname::text AS aggregate,
       ARRAY(SELECT t::regtype::text FROM unnest(p.proargtypes) WITH ORDINALITY AS u(t, o) ORDER BY o) AS types
FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
WHERE p.pronamespace = 'ethaudit'::regnamespace;
SELECT is((SELECT array_agg(c.metric || ' (' || c.kind || ')' ORDER BY c.metric, c.kind) FROM metric_call c
           WHERE NOT EXISTS (SELECT FROM aggregate_signature s WHERE s.aggregate = c.aggregate
                             AND s.types IN (c.types, c.generic_types))),
          NULL, 'every metric of the catalog calls an existing aggregate, for each of its value kinds');
SELECT is((SELECT array_agg(m.metric || ' ' || o ORDER BY m.metric, o)
           FROM ethaudit_internal.metrics m CROSS JOIN LATERAL unnest(m.options) AS o
           WHERE NOT EXISTS (SELECT FROM metric_call c JOIN aggregate_signature s ON s.aggregate = c.aggregate
                             WHERE c.metric = m.metric
                               AND s.types = c.types || CASE o WHEN 'binning' THEN 'text' WHEN 'cutoff' THEN 'double precision'
                                                                    ELSE 'integer' END)),
          NULL, 'every option of a metric is the last argument of one of its aggregates');
SELECT is((SELECT array_agg(DISTINCT s.aggregate ORDER BY s.aggregate) FROM aggregate_signature s
           WHERE s.aggregate NOT IN (SELECT aggregate FROM ethaudit_internal.metrics WHERE aggregate IS NOT NULL)),
          ARRAY['baseline', 'calibration_by_group', 'calibration_counts', 'drift_test', 'group_counts',
                'group_report', 'ks_bounds', 'merge', 'selection_rate', 'true_positive_rate'],
          'the aggregates no metric of a check calls: builders of stored states, merge, reports, ad hoc rates');
-- the baseline form, both ways: a metric is baseline-capable exactly when
-- its aggregate takes a stored baseline for every value kind (or it has a
-- shape of its own against a baseline)
SELECT is((SELECT array_agg(mc.metric ORDER BY mc.metric)
           FROM ethaudit.metric_catalog mc JOIN ethaudit_internal.metrics m USING (metric)
           WHERE mc.baseline_capable IS DISTINCT FROM
                 (m.baseline_shape IS NOT NULL OR
                  (m.shape = 'aggregate' AND NOT EXISTS (
                      SELECT FROM unnest(m.value_kinds) AS k(kind)
                      WHERE NOT EXISTS (SELECT FROM aggregate_signature s WHERE s.aggregate = m.aggregate
                                        AND s.types = ARRAY[CASE k.kind WHEN 'numeric' THEN 'double precision' ELSE 'text' END,
                                                            'ethaudit.baseline'])))
                  AND m.value_kinds IS NOT NULL)
              OR (m.baseline_shape IS NULL AND NOT mc.baseline_capable
                  AND EXISTS (SELECT FROM aggregate_signature s WHERE s.aggregate = m.aggregate
                              AND 'ethaudit.baseline' = ANY (s.types)))),
          NULL, 'a metric is baseline-capable exactly when it has its baseline form for every value kind');
SELECT is(count(*)::int, 0, 'every aggregate is PARALLEL SAFE')
FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
WHERE p.pronamespace = 'ethaudit'::regnamespace AND p.proparallel <> 's';
SELECT is(count(*)::int, 0, 'every aggregate has a combine function')
FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
WHERE p.pronamespace = 'ethaudit'::regnamespace AND a.aggcombinefn = 0;
SELECT is(count(*)::int, 0, 'every internal-state aggregate has serialize and deserialize functions')
FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
WHERE p.pronamespace = 'ethaudit'::regnamespace AND a.aggtranstype = 'internal'::regtype
  AND (a.aggserialfn = 0 OR a.aggdeserialfn = 0);
SELECT is(count(*)::int, 0, 'every final function is read-only, so every aggregate works with OVER')
FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
WHERE p.pronamespace = 'ethaudit'::regnamespace AND a.aggfinalmodify <> 'r';
SELECT is(count(*)::int, 0, 'aggregates are ordinary (not ordered-set or hypothetical)')
FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
WHERE p.pronamespace = 'ethaudit'::regnamespace AND a.aggkind <> 'n';

-- the metric functions (every C function but the event trigger's and
-- run_as_owner, which runs the runner's SQL):
-- immutable, parallel safe; NULL handling in C except serialize/deserialize,
-- type I/O, accessors, the scalar metrics of stored states and the
-- arithmetic between the passes of a counted baseline capture, which are strict
SELECT is(count(*)::int, 0, 'every C function is PARALLEL SAFE')
FROM pg_proc WHERE pronamespace IN ('ethaudit'::regnamespace, 'ethaudit_internal'::regnamespace) AND proparallel <> 's'
  AND prolang = (SELECT oid FROM pg_language WHERE lanname = 'c') AND prorettype <> 'event_trigger'::regtype
  AND oid <> 'ethaudit_internal.run_as_owner(regclass, text, timestamptz[])'::regprocedure;
SELECT is(count(*)::int, 0, 'every C function is IMMUTABLE')
FROM pg_proc WHERE pronamespace IN ('ethaudit'::regnamespace, 'ethaudit_internal'::regnamespace) AND prokind = 'f' AND provolatile <> 'i'
  AND prolang = (SELECT oid FROM pg_language WHERE lanname = 'c') AND prorettype <> 'event_trigger'::regtype
  AND oid <> 'ethaudit_internal.run_as_owner(regclass, text, timestamptz[])'::regprocedure;
SELECT is((SELECT provolatile::text || proparallel::text FROM pg_proc
           WHERE oid = 'ethaudit_internal.run_as_owner(regclass, text, timestamptz[])'::regprocedure), 'vu',
          'run_as_owner is VOLATILE and PARALLEL UNSAFE');
SELECT is((SELECT array_agg(DISTINCT evtevent || ': ' || array_to_string(evttags, ', ') || ' -> ' || evtfoid::regproc::text)
           FROM pg_event_trigger WHERE evtfoid IN (SELECT oid FROM pg_proc
                WHERE pronamespace IN ('ethaudit'::regnamespace, 'ethaudit_internal'::regnamespace))),
          ARRAY['ddl_command_start: DROP EXTENSION, DROP SCHEMA, DROP OWNED -> ethaudit_internal.guard_evidence_drop'],
          'the only event trigger guards the evidence against DROP EXTENSION, DROP SCHEMA and DROP OWNED');
SELECT is(count(*)::int, 0, 'no C function is SECURITY DEFINER')
FROM pg_proc WHERE pronamespace IN ('ethaudit'::regnamespace, 'ethaudit_internal'::regnamespace) AND prosecdef
  AND prolang = (SELECT oid FROM pg_language WHERE lanname = 'c');
SELECT is(array_agg(proname::text ORDER BY proname),
          ARRAY['average_deserialize', 'average_serialize', 'baseline_build_deserialize',
                'baseline_build_serialize', 'baseline_categories', 'baseline_counts',
                'baseline_edges', 'baseline_in', 'baseline_n', 'baseline_out',
                'baseline_proportions', 'baseline_recv', 'baseline_reference', 'baseline_send',
                'baseline_summary', 'calibration_counts_in', 'calibration_counts_out',
                'calibration_counts_recv', 'calibration_counts_send', 'categorical_deserialize',
                'categorical_serialize', 'ece', 'equalized_odds_gap', 'expected_deserialize',
                'expected_serialize', 'float8_next_up',
                'group_calibration_deserialize', 'group_calibration_serialize', 'group_counts_in',
                'group_counts_out', 'group_counts_recv', 'group_counts_send', 'group_fpr_gap',
                'group_report', 'group_tpr_gap', 'hellinger', 'js_divergence', 'ks_bounds',
                'ks_stat', 'max_calibration_error', 'psi', 'quantile_bins', 'quantile_ranks',
                'selection_grid', 'selection_rate_gap', 'selection_rate_ratio',
                'twosample_deserialize', 'twosample_serialize'],
          'exactly the serialize/deserialize, type I/O, accessor, stored-state and capture-arithmetic functions are strict')
FROM pg_proc WHERE pronamespace IN ('ethaudit'::regnamespace, 'ethaudit_internal'::regnamespace) AND prokind = 'f' AND proisstrict
  AND prolang = (SELECT oid FROM pg_language WHERE lanname = 'c');
SELECT volatility_is('ethaudit_internal', 'twosample_trans', ARRAY['internal', 'double precision', 'boolean'], 'immutable');
SELECT isnt_strict('ethaudit_internal', 'twosample_trans', ARRAY['internal', 'double precision', 'boolean']);
SELECT is_strict('ethaudit_internal', 'twosample_serialize', ARRAY['internal']);
SELECT function_lang_is('ethaudit_internal', 'calibration_trans', ARRAY['ethaudit.calibration_counts', 'boolean', 'double precision'], 'c');
SELECT volatility_is('ethaudit_internal', 'confusion_trans', ARRAY['ethaudit.group_counts', 'boolean', 'boolean', 'text'], 'immutable');
SELECT isnt_strict('ethaudit_internal', 'ece_final', ARRAY['ethaudit.calibration_counts']);

-- concrete states: the baseline forms, ece and the group family have a
-- concrete transition type (distributed engines push such aggregates down)
-- and moving-aggregate support (inverse transitions) for sliding frames
SELECT is(count(*)::int, 0, 'no baseline, calibration or group aggregate has an internal state')
FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
WHERE p.pronamespace = 'ethaudit'::regnamespace AND a.aggtranstype = 'internal'::regtype
  AND (p.proargtypes::regtype[] && ARRAY['ethaudit.baseline'::regtype]
       OR p.proname IN ('ece', 'max_calibration_error', 'group_tpr_gap', 'group_fpr_gap',
                        'equalized_odds_gap', 'selection_rate_gap', 'selection_rate_ratio',
                        'group_report', 'group_counts', 'calibration_counts', 'merge'));
SELECT is(array_agg(DISTINCT a.aggtranstype::regtype::text ORDER BY a.aggtranstype::regtype::text),
          ARRAY['ethaudit.baseline', 'ethaudit.calibration_counts', 'ethaudit.group_counts', 'internal'],
          'transition types: the three state types, and internal for the exact two-sample states')
FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
WHERE p.pronamespace = 'ethaudit'::regnamespace;
SELECT is(count(*)::int, 0, 'every aggregate over a concrete state, except merge, has an inverse transition')
FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
WHERE p.pronamespace = 'ethaudit'::regnamespace AND a.aggtranstype <> 'internal'::regtype
  AND p.proname <> 'merge' AND (a.aggminvtransfn = 0 OR a.aggmfinalmodify <> 'r');
SELECT is(count(*)::int, 3, 'merge exists for each state type')
FROM pg_proc WHERE pronamespace = 'ethaudit'::regnamespace AND proname = 'merge';
SELECT has_type('ethaudit', 'baseline', 'ethaudit.baseline is a type');
SELECT has_type('ethaudit', 'group_counts', 'ethaudit.group_counts is a type');
SELECT has_type('ethaudit', 'calibration_counts', 'ethaudit.calibration_counts is a type');

-- the float8 drift aggregates share one transition function, hence one state per scan
SELECT is(count(DISTINCT a.aggtransfn)::int, 1, 'the float8 drift aggregates share a transition function')
FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
WHERE p.pronamespace = 'ethaudit'::regnamespace
  AND p.proname IN ('psi', 'js_divergence', 'ks_stat', 'ks_test', 'hellinger', 'kl_divergence', 'wasserstein',
                    'wasserstein_normed')
  AND p.proargtypes = '701 16'::oidvector;

-- every object is documented
SELECT is(count(*)::int, 0, 'every function and aggregate has a comment')
FROM pg_proc p WHERE p.pronamespace = 'ethaudit'::regnamespace
  AND obj_description(p.oid, 'pg_proc') IS NULL;
-- schema ethaudit holds what users call or read; the rest is in ethaudit_internal
SELECT is_empty($$SELECT p.oid::regprocedure::text FROM pg_proc p
                  WHERE p.pronamespace = 'ethaudit'::regnamespace
                    AND p.prorettype IN ('trigger'::regtype, 'event_trigger'::regtype)$$,
                'schema ethaudit holds no trigger function');
SELECT is_empty($$SELECT p.oid::regprocedure::text FROM pg_proc p
                  WHERE p.pronamespace = 'ethaudit'::regnamespace
                    AND obj_description(p.oid, 'pg_proc') ~* '^(internal|trigger function)'$$,
                'schema ethaudit holds no function documented as internal');
SELECT is_empty($$SELECT p.oid::regprocedure::text FROM pg_proc p
                  WHERE p.pronamespace = 'ethaudit_internal'::regnamespace
                    AND obj_description(p.oid, 'pg_proc') IS NULL$$,
                'every function of ethaudit_internal has a comment');
SELECT is_empty($$SELECT p.oid::regprocedure::text FROM pg_proc p
                  WHERE p.pronamespace = 'ethaudit_internal'::regnamespace AND p.prosecdef
                    AND (has_function_privilege('public', p.oid, 'EXECUTE')
                         OR NOT coalesce(p.proconfig::text LIKE '%search_path=pg_catalog, pg_temp%', false))$$,
                'the SECURITY DEFINER functions of ethaudit_internal pin search_path and are not executable by PUBLIC');
SELECT ok(has_schema_privilege('public', 'ethaudit_internal', 'USAGE')
          AND NOT has_schema_privilege('public', 'ethaudit_internal', 'CREATE'),
          'PUBLIC has USAGE on ethaudit_internal, and not CREATE');
SELECT is(count(*)::int, 0, 'every type has a comment')
FROM pg_type t WHERE t.typnamespace = 'ethaudit'::regnamespace AND t.typtype IN ('b', 'c')
  AND t.typelem = 0 AND obj_description(t.oid, 'pg_type') IS NULL
  AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind <> 'c');

-- limits are settings with documented defaults (defined when the library loads)
LOAD 'ethaudit';
SELECT is(current_setting('ethaudit.max_values'), '100000000', 'ethaudit.max_values default');
SELECT is(current_setting('ethaudit.max_categories'), '100000', 'ethaudit.max_categories default');
SELECT is(current_setting('ethaudit.max_groups'), '10000', 'ethaudit.max_groups default');
SELECT throws_ok($$SET ethaudit.no_such_setting = 1$$, '42602', NULL,
                 'the ethaudit. prefix is reserved');

-- behaviour a user relies on
SELECT is(ethaudit.ece(y, p), NULL, 'no rows: NULL')
FROM (VALUES (true, 0.5::float8)) t(y, p) WHERE false;
SELECT throws_ok($$SELECT ethaudit.ece(true, 2.0)$$, '22003', NULL, 'a probability above 1 is refused');

SELECT * FROM finish();
ROLLBACK;
