-- ====================================================================
-- Data quality: null_rate_change, unseen_categories
-- ====================================================================

CREATE FUNCTION ethaudit.null_rate_trans(ethaudit.group_counts, anyelement, boolean)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'null_rate_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.null_rate_inv(ethaudit.group_counts, anyelement, boolean)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'null_rate_inv'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION ethaudit.null_rate_change_final(ethaudit.group_counts)
RETURNS double precision
AS 'MODULE_PATHNAME', 'null_rate_change_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE TYPE ethaudit.unseen_result AS (
    unseen_rows bigint,
    share       double precision
);
COMMENT ON TYPE ethaudit.unseen_result IS
'Result of unseen_categories: current rows whose category never occurs in the reference, and their share of the current rows.';

CREATE FUNCTION ethaudit.unseen_categories_final(internal)
RETURNS ethaudit.unseen_result
AS 'MODULE_PATHNAME', 'unseen_categories_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit.null_rate_trans(ethaudit.group_counts, anyelement, boolean) IS
'Transition function of null_rate_change: NULL and non-NULL counts per sample.';
COMMENT ON FUNCTION ethaudit.null_rate_inv(ethaudit.group_counts, anyelement, boolean) IS
'Inverse transition function of null_rate_change, for moving window frames.';
COMMENT ON FUNCTION ethaudit.null_rate_change_final(ethaudit.group_counts) IS 'Final function of null_rate_change.';
COMMENT ON FUNCTION ethaudit.unseen_categories_final(internal) IS 'Final function of unseen_categories.';

CREATE AGGREGATE ethaudit.null_rate_change(value anyelement, is_reference boolean) (
    SFUNC = ethaudit.null_rate_trans,
    STYPE = ethaudit.group_counts,
    FINALFUNC = ethaudit.null_rate_change_final,
    FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = ethaudit.confusion_combine,
    MSFUNC = ethaudit.null_rate_trans,
    MINVFUNC = ethaudit.null_rate_inv,
    MSTYPE = ethaudit.group_counts,
    MFINALFUNC = ethaudit.null_rate_change_final,
    MFINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);

CREATE AGGREGATE ethaudit.unseen_categories(value text, is_reference boolean) (
    SFUNC = ethaudit.categorical_trans,
    STYPE = internal,
    FINALFUNC = ethaudit.unseen_categories_final,
    COMBINEFUNC = ethaudit.categorical_combine,
    SERIALFUNC = ethaudit.categorical_serialize,
    DESERIALFUNC = ethaudit.categorical_deserialize,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE ethaudit.null_rate_change(anyelement, boolean) IS
'Share of NULL values among current rows minus that among reference rows.';
COMMENT ON AGGREGATE ethaudit.unseen_categories(text, boolean) IS
'Current rows whose category never occurs in the reference: count and share.';
