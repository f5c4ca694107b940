-- ====================================================================
-- Calibration bins per group: calibration_by_group, ece_gap
-- ====================================================================

-- -------- the state: transition, combine, serialization, final functions --------

CREATE FUNCTION ethaudit_internal.group_calibration_trans(internal, boolean, double precision, text)
RETURNS internal
AS 'MODULE_PATHNAME', 'group_calibration_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.group_calibration_trans(internal, boolean, double precision, text) IS
'Transition function of the per-group calibration aggregates: calibration bins per group.';

CREATE FUNCTION ethaudit_internal.group_calibration_trans_bins(internal, boolean, double precision, text, integer)
RETURNS internal
AS 'MODULE_PATHNAME', 'group_calibration_trans_bins'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.group_calibration_trans_bins(internal, boolean, double precision, text, integer) IS
'Transition function of the per-group calibration aggregates with a bin count.';

CREATE FUNCTION ethaudit_internal.group_calibration_trans_min_size(internal, boolean, double precision, text, integer, integer)
RETURNS internal
AS 'MODULE_PATHNAME', 'group_calibration_trans_min_size'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.group_calibration_trans_min_size(internal, boolean, double precision, text, integer, integer) IS
'Transition function of ece_gap with a bin count and a minimum group size (NULL: the defaults).';

CREATE FUNCTION ethaudit_internal.group_calibration_combine(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'group_calibration_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.group_calibration_combine(internal, internal) IS
'Combine function of the per-group calibration aggregates (parallel aggregation).';

CREATE FUNCTION ethaudit_internal.group_calibration_serialize(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'group_calibration_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.group_calibration_serialize(internal) IS
'Serializes a per-group calibration state for parallel workers (versioned format).';

CREATE FUNCTION ethaudit_internal.group_calibration_deserialize(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'group_calibration_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.group_calibration_deserialize(bytea, internal) IS
'Validates and reads back a serialized per-group calibration state.';

CREATE FUNCTION ethaudit_internal.ece_gap_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ece_gap_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.ece_gap_final(internal) IS 'Final function of ece_gap.';

CREATE TYPE ethaudit.group_calibration AS (
    grp  text,
    n    bigint,
    ece  double precision,
    mce  double precision
);

COMMENT ON TYPE ethaudit.group_calibration IS
'One group of calibration_by_group: rows, expected and maximum calibration error.';

CREATE FUNCTION ethaudit_internal.calibration_by_group_final(internal)
RETURNS ethaudit.group_calibration[]
AS 'MODULE_PATHNAME', 'calibration_by_group_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.calibration_by_group_final(internal) IS 'Final function of calibration_by_group.';

-- -------- the aggregates --------

INSERT INTO ethaudit_internal.aggregate_states VALUES
    ('group_calibration', 'internal', 'calibration bins per group');

INSERT INTO ethaudit_internal.aggregates
    (aggregate, arguments, state, transition, inverse, final, comment) VALUES
    ('calibration_by_group', 'y_true boolean, y_prob double precision, grp text', 'group_calibration',
     'group_calibration_trans', NULL, 'calibration_by_group_final',
     'ECE and maximum calibration error of each group (10 bins), as an array ordered by group.'),
    ('calibration_by_group', 'y_true boolean, y_prob double precision, grp text, bins integer', 'group_calibration',
     'group_calibration_trans_bins', NULL, 'calibration_by_group_final',
     'ECE and maximum calibration error of each group with the given number of bins.'),
    ('ece_gap', 'y_true boolean, y_prob double precision, grp text', 'group_calibration',
     'group_calibration_trans', NULL, 'ece_gap_final',
     'Largest minus smallest per-group ECE (10 bins); NULL with fewer than two groups.'),
    ('ece_gap', 'y_true boolean, y_prob double precision, grp text, bins integer', 'group_calibration',
     'group_calibration_trans_bins', NULL, 'ece_gap_final',
     'Largest minus smallest per-group ECE with the given number of bins.'),
    ('ece_gap', 'y_true boolean, y_prob double precision, grp text, bins integer, min_size integer', 'group_calibration',
     'group_calibration_trans_min_size', NULL, 'ece_gap_final',
     'Largest minus smallest per-group ECE over the groups of at least min_size rows (bins NULL: 10); NULL with fewer than two such groups.');

SELECT ethaudit_internal.add_integer_label_forms('group_calibration');
SELECT ethaudit_internal.define_aggregates('group_calibration');
