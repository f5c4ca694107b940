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

-- kept values: version 1, kind 1, binning 0, bins 10, no NaN, one reference
-- value (1.0) and one current value (2.0) as order-preserving keys
\set ts_head '''010100'' || ''0000000a'' || ''0000000000000000'' || ''0000000000000000'''
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
       pg_temp.check_state('020100' || '0000000a' || repeat('00', 32))
UNION ALL SELECT 'bins out of range',
       pg_temp.check_state('010100' || '00000001' || repeat('00', 32))
UNION ALL SELECT 'unknown binning',
       pg_temp.check_state('010107' || '0000000a' || repeat('00', 32))
UNION ALL SELECT 'empty', pg_temp.check_state('')
UNION ALL SELECT 'foreign kind', pg_temp.check_state('0109' || repeat('00', 40));

-- category counts: version 1, kind 2, binning 0, then keys
SELECT 'valid' AS case_name,
       pg_temp.check_state('010200' || '00000001' || '00000001' || '61'
                           || '0000000000000002' || '0000000000000003') AS result
UNION ALL SELECT 'duplicate key',
       pg_temp.check_state('010200' || '00000002'
                           || '00000001' || '61' || '0000000000000002' || '0000000000000003'
                           || '00000001' || '61' || '0000000000000001' || '0000000000000001')
UNION ALL SELECT 'key length past the end',
       pg_temp.check_state('010200' || '00000001' || 'ffffffff' || '61'
                           || '0000000000000002' || '0000000000000003')
UNION ALL SELECT 'huge key count',
       pg_temp.check_state('010200' || 'ffffffff' || '00000001' || '61')
UNION ALL SELECT 'negative counter',
       pg_temp.check_state('010200' || '00000001' || '00000001' || '61'
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
