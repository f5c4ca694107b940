-- ====================================================================
-- Aggregates as data
--
-- Every aggregate of schema ethaudit is one row of
-- ethaudit_internal.aggregates: its name and arguments, the state it
-- accumulates, its transition, inverse and final functions, its comment.
-- The state decides the rest (transition type, combine function,
-- serialization), by the naming convention of the support functions:
-- <state>_combine, and for an internal state <state>_serialize and
-- <state>_deserialize.  define_aggregates() creates the aggregates of a
-- state from its rows, so every aggregate is parallel safe, combinable,
-- usable OVER (...) and, over a concrete state, a moving aggregate.
--
-- Each state file (state_*.sql) defines the support functions once, then
-- inserts its rows, adds their integer-label forms (add_integer_label_forms)
-- and calls define_aggregates().
-- ====================================================================

CREATE TABLE ethaudit_internal.aggregate_states (
    state       text PRIMARY KEY,
    state_type  regtype NOT NULL,
    description text NOT NULL
);
COMMENT ON TABLE ethaudit_internal.aggregate_states IS
'Internal: the transition states of the aggregates; support functions are named <state>_combine, <state>_serialize, <state>_deserialize.';

CREATE TABLE ethaudit_internal.aggregates (
    aggregate  text NOT NULL,
    arguments  text NOT NULL,
    state      text NOT NULL REFERENCES ethaudit_internal.aggregate_states,
    transition text NOT NULL,
    inverse    text,
    final      text NOT NULL,
    comment    text NOT NULL,
    PRIMARY KEY (aggregate, arguments)
);
COMMENT ON TABLE ethaudit_internal.aggregates IS
'Internal: every aggregate of schema ethaudit, as data (arguments as pg_get_function_arguments prints them; functions in schema ethaudit_internal).';
COMMENT ON COLUMN ethaudit_internal.aggregates.inverse IS
'Inverse transition function: given, the aggregate is also a moving aggregate (sliding window frames).';

GRANT SELECT ON ethaudit_internal.aggregate_states, ethaudit_internal.aggregates TO PUBLIC;

-- The integer forms of the aggregates that read boolean labels or
-- predictions (arguments y_true, y_pred): one row for every combination of
-- bigint in their place, e.g. accuracy_score(y_true bigint, y_pred boolean),
-- so that 0/1 columns of any integer type are read as they are (smallint
-- and integer cast to bigint implicitly).  Their support functions are
-- <function>_int (integer_labels.c), declared here with the form's types.
CREATE FUNCTION ethaudit_internal.add_integer_label_forms(for_state text) RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s ethaudit_internal.aggregate_states;
    a ethaudit_internal.aggregates;
    labels text[];
    form integer;
    args text;
    types text;
    fn text;
    added integer := 0;
BEGIN
    SELECT * INTO STRICT s FROM ethaudit_internal.aggregate_states WHERE state = for_state;
    FOR a IN SELECT * FROM ethaudit_internal.aggregates x
             WHERE x.state = for_state AND x.arguments ~ '\m(y_true|y_pred) boolean' AND x.transition !~ '_int$'
             ORDER BY x.aggregate, x.arguments LOOP
        labels := ARRAY(SELECT m[1] FROM regexp_matches(a.arguments, '\m(y_true|y_pred) boolean', 'g') AS m);
        FOR form IN 1 .. (1 << cardinality(labels)) - 1 LOOP
            args := a.arguments;
            FOR i IN 1 .. cardinality(labels) LOOP
                IF form & (1 << (i - 1)) <> 0 THEN
                    args := replace(args, labels[i] || ' boolean', labels[i] || ' bigint');
                END IF;
            END LOOP;
            INSERT INTO ethaudit_internal.aggregates
            VALUES (a.aggregate, args, a.state, a.transition || '_int',
                    CASE WHEN a.inverse IS NOT NULL THEN a.inverse || '_int' END, a.final,
                    a.comment || ' Integer labels and predictions: 0 or 1.')
            ON CONFLICT DO NOTHING;
            IF FOUND THEN
                added := added + 1;
            END IF;
            -- the support functions, with the argument types of this form
            -- ("y_true bigint, y_prob double precision" -> "bigint, double precision")
            types := (SELECT string_agg(substr(x, strpos(x, ' ') + 1), ', ')
                      FROM regexp_split_to_table(args, ', ') AS x);
            FOREACH fn IN ARRAY ARRAY[a.transition, a.inverse] LOOP
                CONTINUE WHEN fn IS NULL OR pg_catalog.to_regprocedure(
                    format('ethaudit_internal.%I(%s, %s)', fn || '_int', s.state_type, types)) IS NOT NULL;
                EXECUTE format('CREATE FUNCTION ethaudit_internal.%I(%s, %s) RETURNS %s '
                               'AS %L, %L LANGUAGE C IMMUTABLE PARALLEL SAFE',
                               fn || '_int', s.state_type, types, s.state_type, 'MODULE_PATHNAME', fn || '_int');
                EXECUTE format('COMMENT ON FUNCTION ethaudit_internal.%I(%s, %s) IS %L', fn || '_int', s.state_type, types,
                               format('%s with integer labels: checks that they are 0 or 1 (22023), then does what %s does.',
                                      CASE WHEN fn = a.inverse THEN 'Inverse transition function' ELSE 'Transition function' END, fn));
            END LOOP;
        END LOOP;
    END LOOP;
    RETURN added;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.add_integer_label_forms(text) IS
'Internal: adds to ethaudit_internal.aggregates the integer-label forms of the aggregates of a state that read boolean y_true or y_pred (every combination of bigint in their place) that are not there yet, and creates their support functions <function>_int; returns how many forms it added. Run before define_aggregates().';
REVOKE ALL ON FUNCTION ethaudit_internal.add_integer_label_forms(text) FROM PUBLIC;

-- Creates the aggregates of one state that do not exist yet, and sets every
-- comment; an upgrade script calls it after inserting new rows.
CREATE FUNCTION ethaudit_internal.define_aggregates(for_state text) RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s ethaudit_internal.aggregate_states;
    a ethaudit_internal.aggregates;
    internal_state boolean;
    created integer := 0;
BEGIN
    SELECT * INTO STRICT s FROM ethaudit_internal.aggregate_states WHERE state = for_state;
    internal_state := s.state_type = 'internal'::regtype;
    FOR a IN SELECT * FROM ethaudit_internal.aggregates WHERE state = for_state ORDER BY aggregate, arguments LOOP
        IF NOT EXISTS (SELECT FROM pg_proc p
                       WHERE p.pronamespace = 'ethaudit'::regnamespace AND p.proname = a.aggregate
                         AND pg_get_function_arguments(p.oid) = a.arguments) THEN
            EXECUTE format('CREATE AGGREGATE ethaudit.%I(%s) (SFUNC = ethaudit_internal.%I, STYPE = %s, '
                           'FINALFUNC = ethaudit_internal.%I, FINALFUNC_MODIFY = READ_ONLY, '
                           'COMBINEFUNC = ethaudit_internal.%I%s%s, PARALLEL = SAFE)',
                           a.aggregate, a.arguments, a.transition, s.state_type, a.final,
                           s.state || '_combine',
                           CASE WHEN internal_state
                                THEN format(', SERIALFUNC = ethaudit_internal.%I, DESERIALFUNC = ethaudit_internal.%I',
                                            s.state || '_serialize', s.state || '_deserialize')
                                ELSE '' END,
                           CASE WHEN a.inverse IS NOT NULL
                                THEN format(', MSFUNC = ethaudit_internal.%I, MINVFUNC = ethaudit_internal.%I, '
                                            'MSTYPE = %s, MFINALFUNC = ethaudit_internal.%I, MFINALFUNC_MODIFY = READ_ONLY',
                                            a.transition, a.inverse, s.state_type, a.final)
                                ELSE '' END);
            created := created + 1;
        END IF;
        EXECUTE format('COMMENT ON AGGREGATE ethaudit.%I(%s) IS %L', a.aggregate, a.arguments, a.comment);
    END LOOP;
    RETURN created;
END
$$;
COMMENT ON FUNCTION ethaudit_internal.define_aggregates(text) IS
'Internal: creates the aggregates of a state listed in ethaudit_internal.aggregates that do not exist yet, and sets their comments; returns how many it created.';
REVOKE ALL ON FUNCTION ethaudit_internal.define_aggregates(text) FROM PUBLIC;
