-- The synthetic prediction log of the benchmark: :rows rows, deterministic.
--
-- Every random draw is a hash of (id, k): bench.u(id, k) is uniform on (0, 1),
-- so the table is the same on every run and every machine, whatever the plan.
--
--   id             1 .. :rows
--   ts             2024-01-01 00:00:00+00 plus id seconds (the first half of the
--                  rows, ts < midpoint, is the drift reference)
--   model_version  'v1' (first 30% of ids), 'v2' (next 40%), 'v3' (last 30%)
--   grp            5 groups with shares 40 / 25 / 20 / 10 / 5 %
--   score          logistic(1.5 z + group shift), z standard normal: in (0, 1)
--   label          true with probability score^1.15 (slightly miscalibrated)
--   feature        standard normal in the reference half; 0.1 + 1.05 z in the
--                  current half (a small drift)

SET client_min_messages = warning;

CREATE SCHEMA IF NOT EXISTS bench;

-- uniform on (0, 1) from 53 bits of a 64-bit hash of (id, k)
CREATE OR REPLACE FUNCTION bench.u(id bigint, k bigint) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT ((hashint8extended(id, k) & 9007199254740991)::float8 + 0.5) / 9007199254740992.0 $$;

-- standard normal from two uniforms (Box-Muller)
CREATE OR REPLACE FUNCTION bench.z(id bigint, k bigint) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT sqrt(-2.0 * ln(bench.u(id, k))) * cos(2.0 * pi() * bench.u(id, k + 1000)) $$;

DROP TABLE IF EXISTS bench_log;
CREATE TABLE bench_log (
    id            bigint,
    ts            timestamptz,
    model_version text,
    grp           text,
    score         double precision,
    label         boolean,
    feature       double precision
);

INSERT INTO bench_log
SELECT id,
       timestamptz '2024-01-01 00:00:00+00' + id * interval '1 second',
       CASE WHEN id <= :rows * 0.3 THEN 'v1' WHEN id <= :rows * 0.7 THEN 'v2' ELSE 'v3' END,
       grp,
       score,
       bench.u(id, 3) < power(score, 1.15),
       CASE WHEN id <= :rows / 2 THEN z2 ELSE 0.1 + 1.05 * z2 END
FROM (
    SELECT id, grp, z2,
           1.0 / (1.0 + exp(-(1.5 * z1 + CASE grp WHEN 'group_a' THEN 0.0
                                                   WHEN 'group_b' THEN -0.2
                                                   WHEN 'group_c' THEN 0.2
                                                   WHEN 'group_d' THEN -0.4
                                                   ELSE 0.3 END))) AS score
    FROM (
        SELECT id,
               CASE WHEN u1 < 0.40 THEN 'group_a'
                    WHEN u1 < 0.65 THEN 'group_b'
                    WHEN u1 < 0.85 THEN 'group_c'
                    WHEN u1 < 0.95 THEN 'group_d'
                    ELSE 'group_e' END AS grp,
               z1, z2
        FROM (
            SELECT id, bench.u(id, 1) AS u1, bench.z(id, 2) AS z1, bench.z(id, 4) AS z2
            FROM generate_series(1::bigint, :rows::bigint) AS id
            OFFSET 0
        ) draws
    ) g
) s;
