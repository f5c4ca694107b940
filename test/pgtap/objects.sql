-- Properties of every object the extension installs: aggregates with their
-- support functions, volatility, parallel safety, strictness and comments.
\set ON_ERROR_STOP 1
\set QUIET 1
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS ethaudit;

BEGIN;
SELECT plan(55);

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
SELECT function_returns('ethaudit', 'ece', ARRAY['boolean', 'double precision'], 'double precision');

-- every aggregate: parallel safe, combinable, serializable when its state
-- is internal, and usable as a window function (read-only final function)
SELECT is(array_agg(p.oid::regprocedure::text ORDER BY p.oid::regprocedure::text), ARRAY[
    'ethaudit.accuracy_score(boolean,boolean)',
    'ethaudit.brier_score(boolean,double precision)',
    'ethaudit.calibration_by_group(boolean,double precision,text)',
    'ethaudit.calibration_by_group(boolean,double precision,text,integer)',
    'ethaudit.chi2_test(text,boolean)',
    'ethaudit.ece(boolean,double precision)',
    'ethaudit.ece(boolean,double precision,integer)',
    'ethaudit.ece_gap(boolean,double precision,text)',
    'ethaudit.ece_gap(boolean,double precision,text,integer)',
    'ethaudit.equalized_odds_gap(boolean,boolean,text)',
    'ethaudit.f1_score(boolean,boolean)',
    'ethaudit.false_negative_rate(boolean,boolean)',
    'ethaudit.false_positive_rate(boolean,boolean)',
    'ethaudit.group_fpr_gap(boolean,boolean,text)',
    'ethaudit.group_report(boolean,boolean,text)',
    'ethaudit.group_report(boolean,boolean,text,integer)',
    'ethaudit.group_tpr_gap(boolean,boolean,text)',
    'ethaudit.group_tpr_gap(boolean,boolean,text,integer)',
    'ethaudit.hellinger(double precision,boolean)',
    'ethaudit.hellinger(double precision,boolean,integer)',
    'ethaudit.hellinger(double precision,boolean,text)',
    'ethaudit.hellinger(text,boolean)',
    'ethaudit.hellinger(text,boolean,text)',
    'ethaudit.js_divergence(double precision,boolean)',
    'ethaudit.js_divergence(double precision,boolean,integer)',
    'ethaudit.js_divergence(double precision,boolean,text)',
    'ethaudit.js_divergence(text,boolean)',
    'ethaudit.js_divergence(text,boolean,text)',
    'ethaudit.kl_divergence(double precision,boolean)',
    'ethaudit.kl_divergence(double precision,boolean,integer)',
    'ethaudit.kl_divergence(double precision,boolean,text)',
    'ethaudit.kl_divergence(text,boolean)',
    'ethaudit.kl_divergence(text,boolean,text)',
    'ethaudit.ks_stat(double precision,boolean)',
    'ethaudit.ks_test(double precision,boolean)',
    'ethaudit.log_loss(boolean,double precision)',
    'ethaudit.mae(double precision,double precision)',
    'ethaudit.max_calibration_error(boolean,double precision)',
    'ethaudit.max_calibration_error(boolean,double precision,integer)',
    'ethaudit.null_rate_change(anyelement,boolean)',
    'ethaudit.precision_score(boolean,boolean)',
    'ethaudit.psi(double precision,boolean)',
    'ethaudit.psi(double precision,boolean,integer)',
    'ethaudit.psi(double precision,boolean,text)',
    'ethaudit.psi(text,boolean)',
    'ethaudit.psi(text,boolean,text)',
    'ethaudit.recall_score(boolean,boolean)',
    'ethaudit.rmse(double precision,double precision)',
    'ethaudit.roc_auc(boolean,double precision)',
    'ethaudit.selection_rate(boolean)',
    'ethaudit.selection_rate_gap(boolean,text)',
    'ethaudit.selection_rate_ratio(boolean,text)',
    'ethaudit.true_positive_rate(boolean,boolean)',
    'ethaudit.unseen_categories(text,boolean)',
    'ethaudit.wasserstein(double precision,boolean)'
]::text[], 'the aggregates are exactly these 55 signatures')
FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
WHERE p.pronamespace = 'ethaudit'::regnamespace;
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

-- support functions: immutable, parallel safe, C; NULL handling in C except
-- serialize/deserialize, which are strict
SELECT is(count(*)::int, 0, 'every function is PARALLEL SAFE')
FROM pg_proc WHERE pronamespace = 'ethaudit'::regnamespace AND proparallel <> 's';
SELECT is(count(*)::int, 0, 'every function is IMMUTABLE')
FROM pg_proc WHERE pronamespace = 'ethaudit'::regnamespace AND prokind = 'f' AND provolatile <> 'i';
SELECT is(count(*)::int, 0, 'no function is SECURITY DEFINER')
FROM pg_proc WHERE pronamespace = 'ethaudit'::regnamespace AND prosecdef;
SELECT is(array_agg(proname::text ORDER BY proname),
          ARRAY['average_deserialize', 'average_serialize', 'calibration_deserialize',
                'calibration_serialize', 'categorical_deserialize', 'categorical_serialize',
                'confusion_deserialize', 'confusion_serialize', 'group_calibration_deserialize',
                'group_calibration_serialize', 'twosample_deserialize', 'twosample_serialize'],
          'exactly the serialize and deserialize functions are strict')
FROM pg_proc WHERE pronamespace = 'ethaudit'::regnamespace AND prokind = 'f' AND proisstrict;
SELECT volatility_is('ethaudit', 'twosample_trans', ARRAY['internal', 'double precision', 'boolean'], 'immutable');
SELECT isnt_strict('ethaudit', 'twosample_trans', ARRAY['internal', 'double precision', 'boolean']);
SELECT is_strict('ethaudit', 'twosample_serialize', ARRAY['internal']);
SELECT function_lang_is('ethaudit', 'calibration_trans', ARRAY['internal', 'boolean', 'double precision'], 'c');
SELECT volatility_is('ethaudit', 'confusion_trans', ARRAY['internal', 'boolean', 'boolean', 'text'], 'immutable');
SELECT isnt_strict('ethaudit', 'ece_final', ARRAY['internal']);

-- the float8 drift aggregates share one transition function, hence one state per scan
SELECT is(count(DISTINCT a.aggtransfn)::int, 1, 'the float8 drift aggregates share a transition function')
FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
WHERE p.pronamespace = 'ethaudit'::regnamespace
  AND p.proname IN ('psi', 'js_divergence', 'ks_stat', 'ks_test', 'hellinger', 'kl_divergence', 'wasserstein')
  AND p.proargtypes = '701 16'::oidvector;

-- every object is documented
SELECT is(count(*)::int, 0, 'every function and aggregate has a comment')
FROM pg_proc p WHERE p.pronamespace = 'ethaudit'::regnamespace
  AND obj_description(p.oid, 'pg_proc') IS NULL;
SELECT is(count(*)::int, 0, 'every type has a comment')
FROM pg_type t WHERE t.typnamespace = 'ethaudit'::regnamespace AND t.typtype = 'c'
  AND obj_description(t.oid, 'pg_type') IS NULL;

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
