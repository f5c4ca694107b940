-- drift_report: every column's drift test in one scan of a table or view,
-- checked against Evidently 0.7's default tests and thresholds written out
-- with pandas and scipy on the real data (test/reference/drift_report_values.py),
-- against the per-column aggregates, and for its edges and errors.
SET extra_float_digits = 0;

CREATE TABLE compas (
    id int, compas_screening_date date, sex text, age int, age_cat text, race text,
    juv_fel_count int, juv_misd_count int, juv_other_count int, priors_count int,
    days_b_screening_arrest int, c_charge_degree text, is_recid int, is_violent_recid int,
    decile_score int, score_text text, v_decile_score int, v_score_text text,
    two_year_recid int
);
\copy compas FROM 'test/data/compas/compas-minimal.csv' WITH (FORMAT csv, HEADER true)

CREATE TABLE bike (
    instant int, dteday date, season int, yr int, mnth int, hr int, holiday int, weekday int,
    workingday int, weathersit int, temp float8, atemp float8, hum float8, windspeed float8,
    casual int, registered int, cnt int
);
\copy bike FROM 'test/data/bike_sharing/hour.csv' WITH (FORMAT csv, HEADER true)

-- the features of each log, as a dashboard's view would show them
CREATE VIEW compas_features AS
SELECT compas_screening_date, sex, age, age_cat, race, juv_fel_count, juv_misd_count,
       juv_other_count, priors_count, days_b_screening_arrest, c_charge_degree, is_recid,
       is_violent_recid, decile_score, score_text, v_decile_score, v_score_text, two_year_recid
FROM compas;
CREATE VIEW compas_tenth AS
SELECT compas_screening_date, sex, age, age_cat, race, juv_fel_count, juv_misd_count,
       juv_other_count, priors_count, days_b_screening_arrest, c_charge_degree, is_recid,
       is_violent_recid, decile_score, score_text, v_decile_score, v_score_text, two_year_recid
FROM compas WHERE id % 10 = 0;
CREATE VIEW bike_years AS
SELECT yr = 0 AS in_2011, season, mnth, hr, holiday, weekday, workingday, weathersit,
       temp, atemp, hum, windspeed, casual, registered, cnt
FROM bike;
CREATE VIEW bike_january AS
SELECT yr = 0 AS in_2011, season, hr, holiday, weekday, workingday, weathersit,
       temp, atemp, hum, windspeed, casual, registered, cnt
FROM bike WHERE mnth = 1;

CREATE TABLE want (column_name text, test text, statistic float8, p_value float8, drifted boolean,
                   n_reference bigint, n_current bigint, n_values bigint);

-- where a report disagrees with the reference rows: other tests, sizes or
-- verdicts, statistics beyond 1e-9 relative, p-values beyond 1e-6 absolute
-- or 1e-9 relative (1e-15 absolute: scipy's z p-value is 1 - cdf)
CREATE FUNCTION regress.disagreements(got regclass)
RETURNS TABLE (column_name text, got_test text, got_statistic float8, got_p float8, got_drifted boolean)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format($q$
        SELECT coalesce(g.column_name::text, w.column_name), g.test, g.statistic, g.p_value, g.drifted
        FROM (SELECT * FROM %s WHERE kind <> 'dataset') g
        FULL JOIN want w ON w.column_name = g.column_name::text
        WHERE g.column_name IS NULL OR w.column_name IS NULL OR g.test IS DISTINCT FROM w.test
           OR NOT (g.statistic = w.statistic
                   OR regress.near(g.statistic, w.statistic, 1e-9 * greatest(1, abs(w.statistic))))
           OR (g.p_value IS NULL) <> (w.p_value IS NULL)
           OR abs(g.p_value - w.p_value) > 1e-6
           OR abs(g.p_value - w.p_value) > greatest(1e-9 * w.p_value, 1e-15)
           OR g.drifted IS DISTINCT FROM w.drifted
           OR (g.n_reference, g.n_current, g.n_values)
              IS DISTINCT FROM (w.n_reference, w.n_current, w.n_values)
        ORDER BY 1$q$, got);
END $$;

-- COMPAS screened in 2013 (5111 people, the reference) against 2014 (2103):
-- more than 1000 reference rows, so Wasserstein and Jensen-Shannon
INSERT INTO want VALUES
    ('sex', 'jensenshannon', 0.022801920617769707, NULL, false, 5111, 2103, 2),
    ('age', 'wasserstein', 0.1496097794110478, NULL, true, 5111, 2103, 65),
    ('age_cat', 'jensenshannon', 0.05647638971358129, NULL, false, 5111, 2103, 3),
    ('race', 'jensenshannon', 0.01877026313238049, NULL, false, 5111, 2103, 6),
    ('juv_fel_count', 'wasserstein', 0.06248412975365812, NULL, false, 5111, 2103, 11),
    ('juv_misd_count', 'wasserstein', 0.0393370435333001, NULL, false, 5111, 2103, 10),
    ('juv_other_count', 'wasserstein', 0.07695932027426408, NULL, false, 5111, 2103, 10),
    ('priors_count', 'wasserstein', 0.12172525546607563, NULL, true, 5111, 2103, 37),
    ('days_b_screening_arrest', 'wasserstein', 0.1473159311246569, NULL, true, 4863, 2044, 423),
    ('c_charge_degree', 'jensenshannon', 0.014328637588491117, NULL, false, 5111, 2103, 2),
    ('is_recid', 'jensenshannon', 0.18528519096023233, NULL, true, 5111, 2103, 2),
    ('is_violent_recid', 'jensenshannon', 0.04730904164702056, NULL, false, 5111, 2103, 2),
    ('decile_score', 'wasserstein', 0.11400446398026964, NULL, true, 5111, 2103, 10),
    ('score_text', 'jensenshannon', 0.03675841118262401, NULL, false, 5111, 2103, 3),
    ('v_decile_score', 'wasserstein', 0.07156819262575302, NULL, false, 5111, 2103, 10),
    ('v_score_text', 'jensenshannon', 0.02189050915128474, NULL, false, 5111, 2103, 3),
    ('two_year_recid', 'jensenshannon', 0.2115645253546089, NULL, true, 5111, 2103, 2);
CREATE TABLE got_compas AS
SELECT * FROM ethaudit.drift_report('compas_features', 'compas_screening_date',
    tstzrange('2013-01-01', '2014-01-01'), tstzrange('2014-01-01', '2015-01-01'));
SELECT count(*) AS columns, count(*) FILTER (WHERE drifted) AS drifted FROM got_compas WHERE kind <> 'dataset';
SELECT * FROM regress.disagreements('got_compas');
SELECT column_name, kind, test, drifted, n_values, null_reference, null_current, nonfinite_reference,
       unseen_current
FROM got_compas ORDER BY kind = 'dataset', column_name;

-- every tenth person: at most 1000 reference rows, so KS (exact p-values, as
-- scipy's ks_2samp gives them up to 10000 values), chi-square and z-tests
TRUNCATE want;
INSERT INTO want VALUES
    ('sex', 'z', -0.9370090681253058, 0.3487538933964274, false, 514, 214, 2),
    ('age', 'ks', 0.14367795192552457, 0.0034233487331417627, true, 514, 214, 52),
    ('age_cat', 'chisquare', 11.239283489096572, 0.00362593988903718, true, 514, 214, 3),
    ('race', 'chisquare', 7.800417104916785, 0.16758347454881947, false, 514, 214, 6),
    ('juv_fel_count', 'ks', 0.017946107131168405, 0.9999999975759389, false, 514, 214, 7),
    ('juv_misd_count', 'ks', 0.02185534019418888, 0.9999979925296949, false, 514, 214, 7),
    ('juv_other_count', 'ks', 0.09387614095058001, 0.12909532785311387, false, 514, 214, 6),
    ('priors_count', 'ks', 0.05512927742827012, 0.7214515298247219, false, 514, 214, 28),
    ('days_b_screening_arrest', 'ks', 0.07792709298733395, 0.31478573231934925, false, 498, 208, 94),
    ('c_charge_degree', 'z', -0.8752633668148877, 0.38143062170012754, false, 514, 214, 2),
    ('is_recid', 'z', -7.495312319949296, 6.616929226765933e-14, true, 514, 214, 2),
    ('is_violent_recid', 'z', -1.4416878044045445, 0.14939046560394553, false, 514, 214, 2),
    ('decile_score', 'ks', 0.07496636241317867, 0.34260823918730565, false, 514, 214, 10),
    ('score_text', 'chisquare', 6.5959670471191965, 0.036957616476528246, true, 514, 214, 3),
    ('v_decile_score', 'ks', 0.10440379650169097, 0.06802272557136256, false, 514, 214, 10),
    ('v_score_text', 'chisquare', 1.7402843750900985, 0.4188919837901903, false, 514, 214, 3),
    ('two_year_recid', 'z', -8.473846481081413, 0.0, true, 514, 214, 2);
CREATE TABLE got_tenth AS
SELECT * FROM ethaudit.drift_report('compas_tenth', 'compas_screening_date',
    tstzrange('2013-01-01', '2014-01-01'), tstzrange('2014-01-01', '2015-01-01'));
SELECT count(*) AS columns, count(*) FILTER (WHERE drifted) AS drifted FROM got_tenth WHERE kind <> 'dataset';
SELECT * FROM regress.disagreements('got_tenth');
SELECT column_name, test, drifted FROM got_tenth ORDER BY kind = 'dataset', column_name;

-- bike sharing, 2011 (reference) against 2012 by a boolean column, season
-- and weathersit named categorical (integer codes)
TRUNCATE want;
INSERT INTO want VALUES
    ('season', 'jensenshannon', 0.008579686860203982, NULL, false, 8645, 8734, 4),
    ('mnth', 'wasserstein', 0.021011685245794862, NULL, false, 8645, 8734, 12),
    ('hr', 'wasserstein', 0.007741707335885444, NULL, false, 8645, 8734, 24),
    ('holiday', 'jensenshannon', 0.0047327862417852725, NULL, false, 8645, 8734, 2),
    ('weekday', 'wasserstein', 0.008967404825388898, NULL, false, 8645, 8734, 7),
    ('workingday', 'jensenshannon', 0.0015528385472732252, NULL, false, 8645, 8734, 2),
    ('weathersit', 'jensenshannon', 0.02288901380337233, NULL, false, 8645, 8734, 4),
    ('temp', 'wasserstein', 0.0806074751337987, NULL, false, 8645, 8734, 50),
    ('atemp', 'wasserstein', 0.08081755406037945, NULL, false, 8645, 8734, 65),
    ('hum', 'wasserstein', 0.17133124878087136, NULL, true, 8645, 8734, 89),
    ('windspeed', 'wasserstein', 0.02973439976944526, NULL, false, 8645, 8734, 30),
    ('casual', 'wasserstein', 0.3625053382726439, NULL, true, 8645, 8734, 322),
    ('registered', 'wasserstein', 0.7015938689881515, NULL, true, 8645, 8734, 776),
    ('cnt', 'wasserstein', 0.6792124618131075, NULL, true, 8645, 8734, 869);
CREATE TABLE got_bike AS
SELECT * FROM ethaudit.drift_report('bike_years', 'in_2011', categorical => '{season,weathersit}');
SELECT count(*) AS columns, count(*) FILTER (WHERE drifted) AS drifted FROM got_bike WHERE kind <> 'dataset';
SELECT * FROM regress.disagreements('got_bike');
SELECT column_name, kind, test, drifted FROM got_bike ORDER BY kind = 'dataset', column_name;

-- January 2011 against January 2012: 688 reference rows; the dataset drifted
-- (8 of 13 columns, at least half)
TRUNCATE want;
INSERT INTO want VALUES
    ('season', 'z', 0.0, 1.0, false, 688, 741, 1),
    ('hr', 'ks', 0.025717525029030536, 0.9655440230381198, false, 688, 741, 24),
    ('holiday', 'z', -2.4811694091050067, 0.01309521192772789, true, 688, 741, 2),
    ('weekday', 'ks', 0.04757673477073722, 0.37873731858610593, false, 688, 741, 7),
    ('workingday', 'z', -0.8444587210288637, 0.3984131208151589, false, 688, 741, 2),
    ('weathersit', 'chisquare', 10.238065927012016, 0.01664720200661796, true, 688, 741, 4),
    ('temp', 'ks', 0.3799253836738537, 1.9842602250653174e-46, true, 688, 741, 29),
    ('atemp', 'ks', 0.33652473087907603, 2.4791372873938016e-36, true, 688, 741, 37),
    ('hum', 'ks', 0.12008442393999309, 5.9603955383735345e-05, true, 688, 741, 68),
    ('windspeed', 'ks', 0.0652520164454069, 0.09029998940302941, false, 688, 741, 22),
    ('casual', 'ks', 0.2516006025797947, 2.414874026513865e-20, true, 688, 741, 75),
    ('registered', 'ks', 0.37203417757273327, 1.7105360142584854e-44, true, 688, 741, 297),
    ('cnt', 'ks', 0.3611398801117283, 6.817631399418523e-42, true, 688, 741, 314);
CREATE TABLE got_january AS
SELECT * FROM ethaudit.drift_report('bike_january', 'in_2011');
SELECT count(*) AS columns, count(*) FILTER (WHERE drifted) AS drifted FROM got_january WHERE kind <> 'dataset';
SELECT * FROM regress.disagreements('got_january');
SELECT column_name, kind, test, statistic, threshold, drifted, n_reference, n_current, n_values
FROM got_january WHERE kind = 'dataset';

-- the report is the per-column aggregates of one scan: the same rows exactly
SELECT g.column_name, g.test IS NOT DISTINCT FROM (a.r).test AS test,
       g.statistic IS NOT DISTINCT FROM (a.r).statistic AS statistic,
       g.p_value IS NOT DISTINCT FROM (a.r).p_value AS p_value,
       g.drifted IS NOT DISTINCT FROM (a.r).drifted AS drifted
FROM got_january g
JOIN (SELECT 'hr'::name AS column_name, ethaudit.drift_test(hr, in_2011) AS r FROM bike_january
      UNION ALL SELECT 'holiday', ethaudit.drift_test(holiday, in_2011) FROM bike_january
      UNION ALL SELECT 'weathersit', ethaudit.drift_test(weathersit, in_2011) FROM bike_january
      UNION ALL SELECT 'temp', ethaudit.drift_test(temp, in_2011) FROM bike_january) a
  USING (column_name)
ORDER BY 1;

-- and those are the metrics of the tests they name
SELECT (SELECT statistic FROM got_bike WHERE column_name = 'cnt')
       = ethaudit.wasserstein_normed(cnt, in_2011) AS wasserstein_normed,
       (SELECT statistic FROM got_bike WHERE column_name = 'season')
       = sqrt(ethaudit.js_divergence(season::text, in_2011, 'evidently') * ln(2)) AS js_distance,
       (SELECT statistic FROM got_bike WHERE column_name = 'holiday')
       = sqrt(ethaudit.js_divergence(holiday, in_2011, 'evidently') * ln(2)) AS js_distance_numeric
FROM bike_years;
SELECT (SELECT statistic FROM got_january WHERE column_name = 'temp')
       = (ethaudit.ks_test(temp, in_2011)).statistic AS ks_statistic
FROM bike_january;

-- forcing one test for every column, with its own threshold
SELECT column_name, kind, test, round(statistic::numeric, 6) AS statistic, threshold, drifted
FROM ethaudit.drift_report('bike_january', 'in_2011', columns => '{hr,temp,weathersit}',
                           categorical => '{weathersit}', stattest => 'psi', stattest_threshold => 0.2)
ORDER BY kind = 'dataset', column_name;
SELECT column_name, test, drifted
FROM ethaudit.drift_report('bike_january', 'in_2011', columns => '{hr,temp}', stattest => 'wasserstein')
ORDER BY kind = 'dataset', column_name;
SELECT column_name, test, threshold, drifted
FROM ethaudit.drift_report('bike_january', 'in_2011', columns => '{hr,temp}', stattest_threshold => 1e-30)
ORDER BY kind = 'dataset', column_name;
-- a lower drift_share turns the same columns into a drifted dataset
SELECT drift_share, (SELECT drifted FROM ethaudit.drift_report('bike_years', 'in_2011',
                     categorical => '{season,weathersit}', drift_share => drift_share)
                     WHERE kind = 'dataset') AS dataset_drifted
FROM (VALUES (0.5), (0.2857142857142857), (0.25)) v(drift_share);

-- NULL, NaN, Infinity and unseen categories are counted, not tested
CREATE TABLE edge_log (is_ref boolean, x float8, c text, d date, side_ts timestamptz);
INSERT INTO edge_log
SELECT g % 2 = 0,
       CASE WHEN g % 10 = 0 THEN NULL WHEN g % 10 = 1 THEN 'NaN' WHEN g % 10 = 4 THEN 'Infinity'
            WHEN g % 10 = 5 THEN '-Infinity' ELSE (g % 17)::float8 END,
       CASE WHEN g % 9 = 0 THEN NULL WHEN g % 2 = 1 AND g % 5 = 0 THEN 'new' ELSE 'c' || (g / 2) % 4 END,
       date '2024-01-01' + g,
       timestamptz '2024-01-01 00:00+00' + g * interval '1 hour'
FROM generate_series(1, 400) g;
INSERT INTO edge_log VALUES (NULL, 1, 'c1', NULL, NULL);   -- neither side: left out
SELECT column_name, kind, test, n_reference, n_current, null_reference, null_current,
       nonfinite_reference, nonfinite_current, unseen_current
FROM ethaudit.drift_report('edge_log', 'is_ref') ORDER BY kind = 'dataset', column_name;
-- the same counts by hand
SELECT count(*) FILTER (WHERE is_ref AND x IS NULL) AS null_reference,
       count(*) FILTER (WHERE NOT is_ref AND x IS NULL) AS null_current,
       count(*) FILTER (WHERE is_ref AND x IN ('NaN', 'Infinity', '-Infinity')) AS nonfinite_reference,
       count(*) FILTER (WHERE NOT is_ref AND x IN ('NaN', 'Infinity', '-Infinity')) AS nonfinite_current,
       count(*) FILTER (WHERE NOT is_ref AND c = 'new') AS unseen_current
FROM edge_log;
-- date columns are neither numbers nor categories: tested only when named categorical
SELECT column_name, kind, test, n_values
FROM ethaudit.drift_report('edge_log', 'is_ref', columns => '{x}', categorical => '{d}')
ORDER BY kind = 'dataset', column_name;
-- a time range bound inclusive or exclusive as the range says; no current row: no test
SELECT column_name, test, n_reference, n_current
FROM ethaudit.drift_report('edge_log', 'side_ts', tstzrange('2024-01-01 01:00+00', '2024-01-01 11:00+00', '[]'),
                           tstzrange('2024-01-01 11:00+00', '2024-01-01 21:00+00', '(]'), columns => '{x}')
ORDER BY kind = 'dataset', column_name;
-- the same instants whatever the session's date style and time zone (IST is ambiguous)
SET DateStyle = 'SQL, DMY';
SET TimeZone = 'Asia/Kolkata';
SELECT n_reference, n_current
FROM ethaudit.drift_report('edge_log', 'side_ts', tstzrange('2024-01-01 01:00+00', '2024-01-01 11:00+00', '[]'),
                           tstzrange('2024-01-01 11:00+00', '2024-01-01 21:00+00', '(]'), columns => '{x}')
WHERE kind = 'dataset';
RESET DateStyle;
RESET TimeZone;
SELECT column_name, kind, test, statistic, drifted, n_reference, n_current, null_current
FROM ethaudit.drift_report('edge_log', 'side_ts', tstzrange('2024-01-01', '2024-01-02'),
                           tstzrange('2030-01-01', NULL), columns => '{x,c}')
ORDER BY kind = 'dataset', column_name;

-- names are quoted, never pasted: a column named like SQL is just a column
CREATE TABLE "odd ""log""" ("is ref" boolean, "x); DROP TABLE edge_log; --" float8, "Mixed Case" text);
INSERT INTO "odd ""log""" SELECT g % 2 = 0, g % 7, 'k' || g % 3 FROM generate_series(1, 50) g;
SELECT column_name, kind, test FROM ethaudit.drift_report('"odd ""log"""', 'is ref')
ORDER BY kind = 'dataset', column_name;
SELECT count(*) AS edge_log_rows FROM edge_log;

-- errors
SELECT regress.error_of($$SELECT * FROM ethaudit.drift_report('edge_log', 'is_ref', stattest => 'kss')$$) AS unknown_test;
SELECT regress.error_of($$SELECT * FROM ethaudit.drift_report('edge_log', 'is_ref', stattest => 'ks')$$) AS ks_on_text;
SELECT regress.error_of($$SELECT * FROM ethaudit.drift_report('edge_log', 'is_ref', stattest_threshold => 0)$$) AS zero_threshold;
SELECT regress.error_of($$SELECT * FROM ethaudit.drift_report('edge_log', 'is_ref', stattest_threshold => 'NaN')$$) AS nan_threshold;
SELECT regress.error_of($$SELECT * FROM ethaudit.drift_report('edge_log', 'is_ref', drift_share => 1.5)$$) AS drift_share;
SELECT regress.error_of($$SELECT * FROM ethaudit.drift_report('edge_log', 'nope')$$) AS no_reference_column;
SELECT regress.error_of($$SELECT * FROM ethaudit.drift_report('edge_log', 'x')$$) AS reference_not_boolean;
SELECT regress.error_of($$SELECT * FROM ethaudit.drift_report('edge_log', 'is_ref', columns => '{x,y}')$$) AS unknown_column;
SELECT regress.error_of($$SELECT * FROM ethaudit.drift_report('edge_log', 'is_ref', columns => '{side_ts}')$$) AS unsupported_type;
SELECT regress.error_of($$SELECT * FROM ethaudit.drift_report('edge_log', 'c', tstzrange('2024-01-01', '2024-02-01'), tstzrange('2024-02-01', NULL))$$) AS time_not_timestamp;
SELECT regress.error_of($$SELECT * FROM ethaudit.drift_report('edge_log', 'side_ts', tstzrange('2024-01-01', '2024-02-01'), tstzrange('2024-01-15', NULL))$$) AS overlapping;
SELECT regress.error_of($$SELECT * FROM ethaudit.drift_report('edge_log', 'side_ts', tstzrange('2024-01-01', '2024-01-01'), tstzrange('2024-01-15', NULL))$$) AS empty_range;
SELECT regress.error_of($$SELECT * FROM ethaudit.drift_report('edge_log', 'is_ref', columns => '{}')$$) AS no_columns;
SELECT regress.error_of($$SELECT * FROM ethaudit.drift_report(NULL, 'is_ref')$$) AS null_source;
SELECT regress.error_of($$SELECT ethaudit.drift_test(x, is_ref, 'chisquare') FROM (VALUES (1.0::float8, true, 'a'), (2.0, false, 'b')) v(x, is_ref, t) WHERE false$$) AS no_rows_no_error;
SELECT regress.error_of($$SELECT ethaudit.drift_test(c, is_ref, 'wasserstein') FROM edge_log$$) AS aggregate_ks_on_text;
SELECT regress.error_of($$SELECT ethaudit.drift_test(x, is_ref, CASE WHEN x > 5 THEN 'ks' ELSE 'z' END) FROM edge_log$$) AS changing_test;
SELECT ethaudit.drift_test(x, is_ref) FROM edge_log WHERE false;

-- it reads with the caller's privileges and row-level security
CREATE ROLE regress_drift_reader NOLOGIN;
GRANT USAGE ON SCHEMA ethaudit, regress TO regress_drift_reader;
CREATE TABLE scoped_log (tenant text, is_ref boolean, x float8);
INSERT INTO scoped_log SELECT CASE WHEN g % 3 = 0 THEN 'a' ELSE 'b' END, g % 2 = 0, g % 11 FROM generate_series(1, 300) g;
ALTER TABLE scoped_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_a ON scoped_log FOR SELECT TO regress_drift_reader USING (tenant = 'a');
SET ROLE regress_drift_reader;
SELECT regress.error_of($$SELECT * FROM ethaudit.drift_report('scoped_log', 'is_ref')$$) AS without_grant;
RESET ROLE;
GRANT SELECT ON scoped_log TO regress_drift_reader;
SET ROLE regress_drift_reader;
-- tenant a's rows only: every third row
SELECT column_name, n_reference, n_current FROM ethaudit.drift_report('scoped_log', 'is_ref', columns => '{x}')
WHERE kind <> 'dataset';
RESET ROLE;
SELECT column_name, n_reference, n_current FROM ethaudit.drift_report('scoped_log', 'is_ref', columns => '{x}')
WHERE kind <> 'dataset';
DROP TABLE scoped_log;
REVOKE USAGE ON SCHEMA ethaudit, regress FROM regress_drift_reader;
DROP ROLE regress_drift_reader;

DROP TABLE edge_log, "odd ""log""", want, got_compas, got_tenth, got_bike, got_january;
DROP VIEW compas_features, compas_tenth, bike_years, bike_january;
DROP TABLE compas, bike;
DROP FUNCTION regress.disagreements(regclass);
