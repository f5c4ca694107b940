-- Serialized aggregate states (what parallel workers send to the leader)
-- are versioned and validated before use: a truncated, corrupt, oversized
-- or foreign state raises 22P03, never a crash.  The states are decoded by
-- ethaudit_debug_state, a test-only entry point of the library that applies
-- exactly the validation of the deserialization functions.
CREATE FUNCTION pg_temp.state(bytea) RETURNS text
AS '$libdir/ethaudit', 'ethaudit_debug_state' LANGUAGE C STRICT;

CREATE FUNCTION pg_temp.check_state(hex text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    RETURN pg_temp.state(decode(hex, 'hex'));
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- kept values: version 1, kind 1, binning 0, test 0 (drift_test's forced
-- test), bins 10, no NaN, one reference value (1.0) and one current value
-- (2.0) as order-preserving keys
\set ts_head '''01010000'' || ''0000000a'' || ''0000000000000000'' || ''0000000000000000'''
SELECT 'valid' AS case_name,
       pg_temp.check_state(:ts_head || '0000000000000001' || '0000000000000001'
                           || 'bff0000000000000' || 'c000000000000000') AS result
UNION ALL SELECT 'truncated',
       pg_temp.check_state(:ts_head || '0000000000000001' || '0000000000000001'
                           || 'bff0000000000000' || 'c0000000000000')
UNION ALL SELECT 'trailing byte',
       pg_temp.check_state(:ts_head || '0000000000000001' || '0000000000000001'
                           || 'bff0000000000000' || 'c000000000000000' || '00')
UNION ALL SELECT 'count larger than the data',
       pg_temp.check_state(:ts_head || '0000000000000001' || '7fffffffffffffff'
                           || 'bff0000000000000')
UNION ALL SELECT 'negative count',
       pg_temp.check_state(:ts_head || 'ffffffffffffffff' || '0000000000000001'
                           || 'bff0000000000000')
UNION ALL SELECT 'NaN value',
       pg_temp.check_state(:ts_head || '0000000000000001' || '0000000000000000'
                           || 'fff8000000000000')
UNION ALL SELECT 'unfolded negative zero',
       pg_temp.check_state(:ts_head || '0000000000000001' || '0000000000000000'
                           || '7fffffffffffffff')
UNION ALL SELECT 'future version',
       pg_temp.check_state('02010000' || '0000000a' || repeat('00', 32))
UNION ALL SELECT 'bins out of range',
       pg_temp.check_state('01010000' || '00000001' || repeat('00', 32))
UNION ALL SELECT 'unknown binning',
       pg_temp.check_state('01010700' || '0000000a' || repeat('00', 32))
UNION ALL SELECT 'drift_test, forced ks',
       pg_temp.check_state('01010101' || '00000000' || repeat('00', 32))
UNION ALL SELECT 'unknown test',
       pg_temp.check_state('01010107' || '00000000' || repeat('00', 32))
UNION ALL SELECT 'forced test, quantile bins',
       pg_temp.check_state('01010001' || '0000000a' || repeat('00', 32))
UNION ALL SELECT 'empty', pg_temp.check_state('')
UNION ALL SELECT 'foreign kind', pg_temp.check_state('0109' || repeat('00', 40));

-- category counts: version 1, kind 2, binning 0, test 0, then keys
SELECT 'valid' AS case_name,
       pg_temp.check_state('01020000' || '00000001' || '00000001' || '61'
                           || '0000000000000002' || '0000000000000003') AS result
UNION ALL SELECT 'drift_test over text, forced z',
       pg_temp.check_state('01020105' || '00000001' || '00000001' || '61'
                           || '0000000000000002' || '0000000000000003')
UNION ALL SELECT 'forced ks over text',
       pg_temp.check_state('01020101' || '00000001' || '00000001' || '61'
                           || '0000000000000002' || '0000000000000003')
UNION ALL SELECT 'duplicate key',
       pg_temp.check_state('01020000' || '00000002'
                           || '00000001' || '61' || '0000000000000002' || '0000000000000003'
                           || '00000001' || '61' || '0000000000000001' || '0000000000000001')
UNION ALL SELECT 'key length past the end',
       pg_temp.check_state('01020000' || '00000001' || 'ffffffff' || '61'
                           || '0000000000000002' || '0000000000000003')
UNION ALL SELECT 'huge key count',
       pg_temp.check_state('01020000' || 'ffffffff' || '00000001' || '61')
UNION ALL SELECT 'negative counter',
       pg_temp.check_state('01020000' || '00000001' || '00000001' || '61'
                           || 'fffffffffffffffe' || '0000000000000003');

-- calibration bins: version 1, kind 3, nbins, then n, positives, sum (128 bits)
SELECT 'valid' AS case_name,
       pg_temp.check_state('0103' || '00000001' || '0000000000000002' || '0000000000000001'
                           || '0000000000000000' || '8000000000000000') AS result
UNION ALL SELECT 'more positives than rows',
       pg_temp.check_state('0103' || '00000001' || '0000000000000002' || '0000000000000003'
                           || '0000000000000000' || '8000000000000000')
UNION ALL SELECT 'probability sum too large',
       pg_temp.check_state('0103' || '00000001' || '0000000000000002' || '0000000000000001'
                           || '0000000000000005' || '0000000000000000')
UNION ALL SELECT 'zero bins', pg_temp.check_state('0103' || '00000000')
UNION ALL SELECT 'bin count mismatch',
       pg_temp.check_state('0103' || '00000002' || '0000000000000002' || '0000000000000001'
                           || '0000000000000000' || '8000000000000000');

-- group confusion counts: version 1, kind 4, min_positives, then groups
SELECT 'valid' AS case_name,
       pg_temp.check_state('0104' || '0000000000000001' || '00000001' || '00000001' || '61'
                           || repeat('0000000000000001', 4)) AS result
UNION ALL SELECT 'missing counter',
       pg_temp.check_state('0104' || '0000000000000001' || '00000001' || '00000001' || '61'
                           || repeat('0000000000000001', 3))
UNION ALL SELECT 'negative min_positives',
       pg_temp.check_state('0104' || 'ffffffffffffffff' || '00000000');

-- averaged losses: version 1, kind 5, n, then the compensated sum (two doubles)
SELECT 'valid' AS case_name,
       pg_temp.check_state('0105' || '0000000000000002' || '3ff0000000000000' || '0000000000000000') AS result
UNION ALL SELECT 'infinite sum',
       pg_temp.check_state('0105' || '0000000000000002' || '7ff0000000000000' || '0000000000000000')
UNION ALL SELECT 'sum without rows',
       pg_temp.check_state('0105' || '0000000000000000' || '3ff0000000000000' || '0000000000000000')
UNION ALL SELECT 'truncated',
       pg_temp.check_state('0105' || '0000000000000002' || '3ff0000000000000');

-- calibration bins per group: version 1, kind 6, nbins, groups (one counter:
-- rows), then each group's bins
SELECT 'valid' AS case_name,
       pg_temp.check_state('0106' || '00000001' || '00000001' || '00000001' || '61' || '0000000000000002'
                           || '0000000000000002' || '0000000000000001'
                           || '0000000000000000' || '8000000000000000') AS result
UNION ALL SELECT 'group rows disagree with its bins',
       pg_temp.check_state('0106' || '00000001' || '00000001' || '00000001' || '61' || '0000000000000003'
                           || '0000000000000002' || '0000000000000001'
                           || '0000000000000000' || '8000000000000000')
UNION ALL SELECT 'missing bins',
       pg_temp.check_state('0106' || '00000002' || '00000001' || '00000001' || '61' || '0000000000000002'
                           || '0000000000000002' || '0000000000000001'
                           || '0000000000000000' || '8000000000000000');

-- ---------- states that cannot lie ----------
-- Every decoder adds counts with overflow checks and checks what the final
-- functions rely on.  The hostile states below were accepted before and made
-- js_divergence 9.2e17, a group total -4 and ece 2.

-- numeric baseline: version 1, kind 7, numeric, no reference; n = 10, no NaN
-- or NULL; 4 edges (1, 2, 3, 4), statistics unknown (NaN); then 5 counts
\set bl_head '''0107'' || ''01'' || ''00'' || ''000000000000000a'' || repeat(''00'', 16) || ''00000004'' || repeat(''7ff8000000000000'', 4) || ''3ff0000000000000'' || ''4000000000000000'' || ''4008000000000000'' || ''4010000000000000'''
SELECT 'valid' AS case_name,
       pg_temp.check_state(:bl_head || repeat('0000000000000002', 5)) AS result
UNION ALL SELECT 'counts 2^62-1 x 4 and 14 wrap to n = 10',
       pg_temp.check_state(:bl_head || repeat('3fffffffffffffff', 4) || '000000000000000e')
UNION ALL SELECT 'counts add up to more than n',
       pg_temp.check_state(:bl_head || repeat('0000000000000002', 4) || '0000000000000003');

-- the same baseline as text: refused before it can be stored or compared
SELECT regress.error_of($$SELECT ethaudit.js_divergence(
           '{"kind": "numeric", "n": 10, "nan": 0, "null": 0, "edges": [1, 2, 3, 4],
             "counts": [4611686018427387903, 4611686018427387903, 4611686018427387903,
                        4611686018427387903, 14]}'::ethaudit.baseline,
           '{"kind": "numeric", "n": 10, "nan": 0, "null": 0, "edges": [1, 2, 3, 4],
             "counts": [2, 2, 2, 2, 2]}'::ethaudit.baseline)$$) AS wrapped_counts;

-- group confusion counts: one group "a" whose four counts of 2^62 - 1 total -4
SELECT 'valid' AS case_name,
       pg_temp.check_state('0104' || '0000000000000001' || '00000001' || '00000001' || '61'
                           || repeat('0000000000000002', 4)) AS result
UNION ALL SELECT 'group total wraps to -4',
       pg_temp.check_state('0104' || '0000000000000001' || '00000001' || '00000001' || '61'
                           || repeat('3fffffffffffffff', 4))
UNION ALL SELECT 'minimum count 0',
       pg_temp.check_state('0104' || '0000000000000000' || '00000000');
SELECT regress.error_of($$SELECT ethaudit.group_tpr_gap(
           '{"min_count": 1, "groups": {"a": [4611686018427387903, 4611686018427387903,
              4611686018427387903, 4611686018427387903], "b": [1, 1, 1, 1]}}'::ethaudit.group_counts)$$)
       AS wrapped_group_total;

-- calibration bins: two rows whose probabilities sum to 4 (2^65 units of
-- 2^-63): a mean probability of 2, which made ece 2
SELECT 'two rows of probability 1' AS case_name,
       pg_temp.check_state('0103' || '00000001' || '0000000000000002' || '0000000000000002'
                           || '0000000000000001' || '0000000000000000') AS result
UNION ALL SELECT 'mean probability 2',
       pg_temp.check_state('0103' || '00000001' || '0000000000000002' || '0000000000000000'
                           || '0000000000000002' || '0000000000000000')
UNION ALL SELECT 'mean probability 0.75 in the bin [0, 0.5]',
       pg_temp.check_state('0103' || '00000002' || '0000000000000001' || '0000000000000000'
                           || '0000000000000000' || '6000000000000000'
                           || repeat('0000000000000000', 4));
SELECT ethaudit.ece('{"n": 2, "bins": [[2, 2, "18446744073709551616"]]}'::ethaudit.calibration_counts)
       AS ece_of_two_certain_positives,
       regress.error_of($$SELECT ethaudit.ece('{"n": 2, "bins": [[2, 0, "36893488147419103232"]]}'::ethaudit.calibration_counts)$$)
       AS mean_probability_2,
       regress.error_of($$SELECT '{"n": 3, "bins": [[2, 0, "0"]]}'::ethaudit.calibration_counts$$)
       AS n_disagrees_with_bins;

-- the statistics of a numeric baseline must agree with its bins (two values
-- in (-inf, 0], one in (0, 10], none above; a valid form first)
SELECT regress.error_of($$SELECT '{"kind": "numeric", "n": 3, "nan": 0, "null": 0, "min": -2, "max": 4, "mean": 0, "m2": 18, "edges": [0, 10], "counts": [2, 1, 0]}'::ethaudit.baseline$$) AS valid,
       regress.error_of($$SELECT '{"kind": "numeric", "n": 3, "nan": 0, "null": 0, "min": -2, "max": 4, "mean": 0, "m2": -1, "edges": [0, 10], "counts": [2, 1, 0]}'::ethaudit.baseline$$) AS negative_m2;
SELECT regress.error_of($$SELECT '{"kind": "numeric", "n": 3, "nan": 0, "null": 0, "min": -2, "max": 4, "mean": 5, "m2": 18, "edges": [0, 10], "counts": [2, 1, 0]}'::ethaudit.baseline$$) AS mean_above_max,
       regress.error_of($$SELECT '{"kind": "numeric", "n": 3, "nan": 0, "null": 0, "min": 1, "max": 4, "mean": 2, "m2": 18, "edges": [0, 10], "counts": [2, 1, 0]}'::ethaudit.baseline$$) AS min_above_binned_values;
SELECT regress.error_of($$SELECT '{"kind": "numeric", "n": 3, "nan": 0, "null": 0, "min": -2, "max": 12, "mean": 0, "m2": 18, "edges": [0, 10], "counts": [2, 1, 0]}'::ethaudit.baseline$$) AS max_above_its_bin,
       regress.error_of($$SELECT '{"kind": "numeric", "n": 3, "nan": 0, "null": 0, "min": -2, "max": 4, "mean": 0, "m2": 1000, "edges": [0, 10], "counts": [2, 1, 0]}'::ethaudit.baseline$$) AS m2_beyond_the_range;

-- the text form is read key by key: a repeated key (jsonb would keep the
-- last) or an unknown one is refused with 22P02, at any depth
SELECT regress.error_of($$SELECT '{"kind": "numeric", "n": 1, "n": 2, "nan": 0, "null": 0, "edges": [], "counts": [2]}'::ethaudit.baseline$$) AS repeated_n,
       regress.error_of($$SELECT '{"kind": "categorical", "n": 1, "null": 0, "categories": {"a": 5, "a": 1}}'::ethaudit.baseline$$) AS repeated_category;
SELECT regress.error_of($$SELECT '{"min_count": 1, "groups": {"a": [9, 9, 9, 9], "a": [0, 0, 0, 1]}}'::ethaudit.group_counts$$) AS repeated_group,
       regress.error_of($$SELECT '{"n": 1, "bins": [[1, 0, "0"]], "n": 1}'::ethaudit.calibration_counts$$) AS repeated_n_bins;
SELECT regress.error_of($$SELECT '{"kind": "numeric", "n": 1, "nan": 0, "null": 0, "edges": [], "counts": [1], "variance": 5}'::ethaudit.baseline$$) AS unknown_key,
       regress.error_of($$SELECT '{"kind": "categorical", "n": 1, "nan": 0, "null": 0, "categories": {"a": 1}}'::ethaudit.baseline$$) AS nan_in_categorical;
SELECT regress.error_of($$SELECT '{"min_count": 1, "groups": {}, "max_count": 3}'::ethaudit.group_counts$$) AS unknown_group_counts_key,
       regress.error_of($$SELECT '{"n": 0, "bins": [[0, 0, "0"]], "ece": 0.5}'::ethaudit.calibration_counts$$) AS unknown_calibration_key;
-- a key that appears once in each of two objects is no repetition
SELECT '{"kind": "numeric", "n": 1, "nan": 0, "null": 0, "edges": [], "counts": [1],
         "reference": {"kind": "numeric", "n": 1, "nan": 0, "null": 0, "edges": [], "counts": [1]}}'::ethaudit.baseline
       IS NOT NULL AS nested_keys_accepted;

-- merging states that are each within the bound of 2^61 - 1 rows, but not
-- together, is refused rather than wrapped around
SELECT regress.error_of($$SELECT ethaudit.merge(b) FROM (VALUES
           ('{"kind": "numeric", "n": 1152921504606846976, "nan": 0, "null": 0, "edges": [], "counts": [1152921504606846976]}'::ethaudit.baseline),
           ('{"kind": "numeric", "n": 1152921504606846976, "nan": 0, "null": 0, "edges": [], "counts": [1152921504606846976]}')) t(b)$$)
       AS merged_past_the_bound,
       (SELECT ethaudit.baseline_n(ethaudit.merge(b)) FROM (VALUES
           ('{"kind": "numeric", "n": 1152921504606846976, "nan": 0, "null": 0, "edges": [], "counts": [1152921504606846976]}'::ethaudit.baseline),
           ('{"kind": "numeric", "n": 1152921504606846975, "nan": 0, "null": 0, "edges": [], "counts": [1152921504606846975]}')) t(b))
       AS merged_to_the_bound;
SELECT regress.error_of($$SELECT ethaudit.merge(s) FROM (VALUES
           ('{"min_count": 1, "groups": {"a": [1152921504606846976, 0, 0, 0]}}'::ethaudit.group_counts),
           ('{"min_count": 1, "groups": {"b": [0, 0, 0, 1152921504606846976]}}')) t(s)$$)
       AS group_counts_past_the_bound;

-- ---------- who may change the size limits ----------
-- The limits bound the memory one aggregate takes and what a decoded state
-- may hold: only a superuser, or a role granted SET on the parameter, may
-- change them (PGC_SUSET).
CREATE ROLE regress_limit_user;
CREATE ROLE regress_limit_trusted;
GRANT SET ON PARAMETER ethaudit.max_groups TO regress_limit_trusted;
GRANT USAGE ON SCHEMA regress TO regress_limit_user, regress_limit_trusted;
SET ROLE regress_limit_user;
SELECT current_setting('ethaudit.max_values') AS visible_to_all,
       regress.error_of('SET ethaudit.max_values = 1000000000') AS raise_values,
       regress.error_of('SET ethaudit.max_groups = 2') AS lower_groups;
RESET ROLE;
SET ROLE regress_limit_trusted;
SELECT regress.error_of('SET ethaudit.max_groups = 20000') AS granted_raise,
       current_setting('ethaudit.max_groups') AS max_groups,
       regress.error_of('SET ethaudit.max_categories = 200000') AS not_granted;
RESET ethaudit.max_groups;
RESET ROLE;
SET ethaudit.max_values = 1000000;
SELECT current_setting('ethaudit.max_values') AS superuser_sets;
RESET ethaudit.max_values;
REVOKE SET ON PARAMETER ethaudit.max_groups FROM regress_limit_trusted;
REVOKE USAGE ON SCHEMA regress FROM regress_limit_user, regress_limit_trusted;
DROP ROLE regress_limit_user;
DROP ROLE regress_limit_trusted;
