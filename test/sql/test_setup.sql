-- Helpers shared by the regression suites that follow (they run in order,
-- in one database).
CREATE SCHEMA regress;

-- got agrees with want to tol (NULL never agrees)
CREATE FUNCTION regress.near(got float8, want float8, tol float8 DEFAULT 1e-9)
RETURNS boolean LANGUAGE sql IMMUTABLE
AS $$ SELECT got IS NOT NULL AND abs(got - want) <= tol $$;

-- runs a query and returns 'SQLSTATE: message' of its error, or 'no error'
CREATE FUNCTION regress.error_of(query text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE query;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

SELECT regress.near(1.0, 1.0 + 1e-10) AS near_within, regress.near(1.0, 1.1) AS near_outside,
       regress.near(NULL, 1.0) AS near_null, regress.error_of('SELECT 1/0') AS error_text;
