-- ethaudit 0.2.0 -> 0.3.0 (ALTER EXTENSION ethaudit UPDATE TO '0.3.0').
--
-- Reviewed by hand: every statement keeps the rows of the audit log, the
-- results, the alerts and the configuration (doc/releasing.md); nothing
-- here writes to an evidence or configuration table.  The result must equal
-- a fresh 0.3.0 install, which test/upgrade/run.sh checks.

\echo Use "ALTER EXTENSION ethaudit UPDATE TO '0.3.0'" to load this file. \quit

-- ---------------------------------------------------------------------------
-- Schema ethaudit_internal: what users do not call (src/sql/header.sql).
-- ---------------------------------------------------------------------------

CREATE SCHEMA ethaudit_internal;
COMMENT ON SCHEMA ethaudit_internal IS
'Internals of ethaudit (support functions of its aggregates, triggers, query builders); not an interface: call what schema ethaudit offers.';
GRANT USAGE ON SCHEMA ethaudit_internal TO PUBLIC;

-- ---------------------------------------------------------------------------
-- The functions behind the public objects move there: the support functions
-- of the aggregates and of the state types, triggers and query builders.
-- Their grants and comments move with them; the aggregates, types, triggers
-- and policies that use them keep pointing at them.
-- ---------------------------------------------------------------------------

ALTER FUNCTION ethaudit.absolute_error_trans(internal, double precision, double precision) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.accuracy_score_final(ethaudit.group_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.active_key(purpose text) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.alert_attribution() SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.alert_for_update(alert_id bigint, action text) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.apply_privacy(model text, inputs jsonb, OUT kept jsonb, OUT pseudonymised text[], OUT dropped text[], OUT key_id integer) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.apply_result() SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.audit_alert_change() SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.audit_alert_opened(a ethaudit.alerts, result_id bigint) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.audit_append(event_type text, model text, version text, details jsonb, origin text) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.audit_checkpoint_guard() SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.audit_config_change() SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.audit_head_row(OUT seq bigint, OUT row_hash bytea) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.audit_history_change() SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.audit_log_guard() SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.audit_seal() SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.average_combine(internal, internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.average_deserialize(bytea, internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.average_final(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.average_serialize(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_build_combine(internal, internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_build_deserialize(bytea, internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_build_final(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_build_serialize(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_build_trans(internal, double precision) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_build_trans_bins(internal, double precision, integer) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_combine(ethaudit.baseline, ethaudit.baseline) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_compare_inv(ethaudit.baseline, double precision, ethaudit.baseline) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_compare_inv(ethaudit.baseline, text, ethaudit.baseline) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_compare_trans(ethaudit.baseline, double precision, ethaudit.baseline) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_compare_trans(ethaudit.baseline, text, ethaudit.baseline) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_edges_inv(ethaudit.baseline, double precision, double precision[]) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_edges_trans(ethaudit.baseline, double precision, double precision[]) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_hellinger_final(ethaudit.baseline) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_in(cstring) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_js_final(ethaudit.baseline) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_ks_bounds_final(ethaudit.baseline) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_ks_final(ethaudit.baseline) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_like_inv(ethaudit.baseline, double precision, ethaudit.baseline) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_like_inv(ethaudit.baseline, text, ethaudit.baseline) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_like_trans(ethaudit.baseline, double precision, ethaudit.baseline) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_like_trans(ethaudit.baseline, text, ethaudit.baseline) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_out(ethaudit.baseline) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_psi_final(ethaudit.baseline) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_recv(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_send(ethaudit.baseline) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_state_final(ethaudit.baseline) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_text_inv(ethaudit.baseline, text) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.baseline_text_trans(ethaudit.baseline, text) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.batch_query(cs ethaudit.checks[], rel regclass, batch_relation text) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.brier_trans(internal, boolean, double precision) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.calibration_by_group_final(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.calibration_combine(ethaudit.calibration_counts, ethaudit.calibration_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.calibration_counts_final(ethaudit.calibration_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.calibration_counts_in(cstring) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.calibration_counts_out(ethaudit.calibration_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.calibration_counts_recv(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.calibration_counts_send(ethaudit.calibration_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.calibration_inv(ethaudit.calibration_counts, boolean, double precision) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.calibration_inv_bins(ethaudit.calibration_counts, boolean, double precision, integer) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.calibration_trans(ethaudit.calibration_counts, boolean, double precision) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.calibration_trans_bins(ethaudit.calibration_counts, boolean, double precision, integer) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.canonical_field(v text) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.canonical_time(t timestamp with time zone) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.categorical_combine(internal, internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.categorical_deserialize(bytea, internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.categorical_serialize(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.categorical_trans(internal, text, boolean) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.categorical_trans_binning(internal, text, boolean, text) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.check_baseline_matches(c ethaudit.checks) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.check_columns(c ethaudit.checks, rel regclass, OUT v_expr text, OUT y_expr text, OUT p_expr text, OUT g_expr text, OUT value_kind text) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.check_config(c ethaudit.checks, rel regclass, op text) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.check_event_size(details jsonb) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.check_model_version(model text, version text, OUT stage text) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.check_parts(c ethaudit.checks, rel regclass, suffix text, with_time boolean, OUT proj text, OUT value_expr text, OUT usable text, OUT n_reference_expr text, OUT reference_rows boolean) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.check_query(c ethaudit.checks, rel regclass, batch_relation text) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.check_recorder(model text) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.check_source(rel regclass, source text, for_trigger boolean) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.chi2_test_final(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.column_type(rel regclass, col name) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.column_use(metric text, column_kind text, needed boolean, given name) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.commit_run_results(run_id bigint) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.confusion_combine(ethaudit.group_counts, ethaudit.group_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.confusion_inv(ethaudit.group_counts, boolean, boolean, text) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.confusion_inv_min(ethaudit.group_counts, boolean, boolean, text, integer) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.confusion_inv_pooled(ethaudit.group_counts, boolean, boolean) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.confusion_inv_report(ethaudit.group_counts, boolean, boolean, text) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.confusion_inv_report_min(ethaudit.group_counts, boolean, boolean, text, integer) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.confusion_inv_selection(ethaudit.group_counts, boolean, text) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.confusion_inv_selection_pooled(ethaudit.group_counts, boolean) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.confusion_trans(ethaudit.group_counts, boolean, boolean, text) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.confusion_trans_min(ethaudit.group_counts, boolean, boolean, text, integer) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.confusion_trans_pooled(ethaudit.group_counts, boolean, boolean) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.confusion_trans_report(ethaudit.group_counts, boolean, boolean, text) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.confusion_trans_report_min(ethaudit.group_counts, boolean, boolean, text, integer) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.confusion_trans_selection(ethaudit.group_counts, boolean, text) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.confusion_trans_selection_pooled(ethaudit.group_counts, boolean) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.ece_final(ethaudit.calibration_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.ece_gap_final(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.equalized_odds_gap_final(ethaudit.group_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.evaluate_check(c ethaudit.checks, run_id bigint, as_of timestamp with time zone) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.f1_score_final(ethaudit.group_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.false_negative_rate_final(ethaudit.group_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.false_positive_rate_final(ethaudit.group_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.finish_run(run_id bigint, statuses text[]) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.group_calibration_combine(internal, internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.group_calibration_deserialize(bytea, internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.group_calibration_serialize(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.group_calibration_trans(internal, boolean, double precision, text) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.group_calibration_trans_bins(internal, boolean, double precision, text, integer) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.group_counts_final(ethaudit.group_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.group_counts_in(cstring) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.group_counts_out(ethaudit.group_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.group_counts_recv(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.group_counts_send(ethaudit.group_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.group_fpr_gap_final(ethaudit.group_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.group_report_final(ethaudit.group_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.group_tpr_gap_final(ethaudit.group_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.guard_evidence_drop() SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.hellinger_final(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.hellinger_text_final(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.is_system_event(event_type text) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.js_divergence_final(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.js_divergence_text_final(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.key_guard() SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.kl_divergence_final(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.kl_divergence_text_final(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.ks_stat_final(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.ks_test_final(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.lock_check(check_id bigint) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.log_alert_event(a ethaudit.alerts, event text, actor name, note text, result_id bigint) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.log_loss_trans(internal, boolean, double precision) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.mce_final(ethaudit.calibration_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.monitor_batch() SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.notify_alert(a ethaudit.alerts, event text) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.null_rate_change_final(ethaudit.group_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.null_rate_inv(ethaudit.group_counts, anyelement, boolean) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.null_rate_trans(ethaudit.group_counts, anyelement, boolean) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.precision_score_final(ethaudit.group_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.pseudonym_with(k ethaudit.keys, value text) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.psi_final(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.psi_text_final(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.qualified_name(rel regclass) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.raise_cooccurring_priority(model text) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.record_result(c ethaudit.checks, run_id bigint, value double precision, n_current bigint, n_reference bigint, window_start timestamp with time zone, window_end timestamp with time zone, reference_start timestamp with time zone, reference_end timestamp with time zone, started timestamp with time zone, error_sqlstate text, error_message text) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.restoring() SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.retention_purge(dry_run boolean, reported jsonb) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.retention_target(table_name text, time_column name, OUT rel regclass, OUT cmp text) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.roc_auc_final(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.role_is_valid(role_name name) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.root_average_final(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.row_changes(old_row jsonb, new_row jsonb, ignored text[]) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.run_as_owner(rel regclass, query text, args timestamp with time zone[]) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.selection_rate_final(ethaudit.group_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.selection_rate_gap_final(ethaudit.group_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.selection_rate_ratio_final(ethaudit.group_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.squared_error_trans(internal, double precision, double precision) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.text_of(rel regclass, col name) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.time_base_type(typ regtype) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.true_positive_rate_final(ethaudit.group_counts) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.twosample_combine(internal, internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.twosample_deserialize(bytea, internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.twosample_serialize(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.twosample_trans(internal, double precision, boolean) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.twosample_trans_binning(internal, double precision, boolean, text) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.twosample_trans_bins(internal, double precision, boolean, integer) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.twosample_trans_labeled(internal, boolean, double precision) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.type_class(typ regtype) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.unseen_categories_final(internal) SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.validate_baseline() SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.validate_check() SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.validate_model() SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.validate_model_version() SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.validate_privacy_policy() SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.validate_retention_policy() SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.validate_security_role() SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.validate_threshold() SET SCHEMA ethaudit_internal;
ALTER FUNCTION ethaudit.wasserstein_final(internal) SET SCHEMA ethaudit_internal;

-- ---------------------------------------------------------------------------
-- Aggregates as data (src/sql/aggregates.sql): the table of states, the
-- table of aggregates and define_aggregates().
-- ---------------------------------------------------------------------------

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

-- ---------------------------------------------------------------------------
-- The rows of every state, as in src/sql/state_*.sql.  define_aggregates()
-- creates the aggregates that 0.2.0 lacks -- hellinger(text, baseline),
-- wasserstein_normed(double precision, boolean), group_fpr_gap(..., min_negatives)
-- and equalized_odds_gap(..., min_size) -- and sets every comment.
-- ---------------------------------------------------------------------------

-- the final function of the new metric wasserstein_normed
CREATE FUNCTION ethaudit_internal.wasserstein_normed_final(internal)
RETURNS double precision
AS 'MODULE_PATHNAME', 'wasserstein_normed_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.wasserstein_normed_final(internal) IS 'Final function of wasserstein_normed.';

INSERT INTO ethaudit_internal.aggregate_states VALUES
    ('twosample', 'internal', 'every float8 value of reference and current rows (or every label and score), kept exactly');

INSERT INTO ethaudit_internal.aggregates
    (aggregate, arguments, state, transition, inverse, final, comment) VALUES
    ('psi', 'value double precision, is_reference boolean', 'twosample',
     'twosample_trans', NULL, 'psi_final',
     'Population stability index of current vs reference rows, 10 reference-quantile bins, empty bins as 0.0001.'),
    ('psi', 'value double precision, is_reference boolean, bins integer', 'twosample',
     'twosample_trans_bins', NULL, 'psi_final',
     'Population stability index with the given number of reference-quantile bins (2..10000).'),
    ('psi', 'value double precision, is_reference boolean, binning text', 'twosample',
     'twosample_trans_binning', NULL, 'psi_final',
     'Population stability index with a named binning: ''default'' or ''evidently'' (Evidently 0.7 bins and zero rule).'),
    ('js_divergence', 'value double precision, is_reference boolean', 'twosample',
     'twosample_trans', NULL, 'js_divergence_final',
     'Jensen-Shannon divergence (base 2, in [0,1]) of current vs reference rows over 10 reference-quantile bins.'),
    ('js_divergence', 'value double precision, is_reference boolean, bins integer', 'twosample',
     'twosample_trans_bins', NULL, 'js_divergence_final',
     'Jensen-Shannon divergence (base 2) with the given number of reference-quantile bins (2..10000).'),
    ('js_divergence', 'value double precision, is_reference boolean, binning text', 'twosample',
     'twosample_trans_binning', NULL, 'js_divergence_final',
     'Jensen-Shannon divergence (base 2) with a named binning: ''default'' or ''evidently''.'),
    ('ks_stat', 'value double precision, is_reference boolean', 'twosample',
     'twosample_trans', NULL, 'ks_stat_final',
     'Exact two-sample Kolmogorov-Smirnov statistic D of current vs reference rows (scipy ks_2samp).'),
    ('ks_test', 'value double precision, is_reference boolean', 'twosample',
     'twosample_trans', NULL, 'ks_test_final',
     'Two-sample Kolmogorov-Smirnov test: D, asymptotic two-sided p-value and sample sizes (scipy ks_2samp, method asymp).'),
    ('hellinger', 'value double precision, is_reference boolean', 'twosample',
     'twosample_trans', NULL, 'hellinger_final',
     'Hellinger distance (in [0,1]) of current vs reference rows over 10 reference-quantile bins.'),
    ('hellinger', 'value double precision, is_reference boolean, bins integer', 'twosample',
     'twosample_trans_bins', NULL, 'hellinger_final',
     'Hellinger distance with the given number of reference-quantile bins (2..10000).'),
    ('hellinger', 'value double precision, is_reference boolean, binning text', 'twosample',
     'twosample_trans_binning', NULL, 'hellinger_final',
     'Hellinger distance with a named binning: ''default'' or ''evidently''.'),
    ('kl_divergence', 'value double precision, is_reference boolean', 'twosample',
     'twosample_trans', NULL, 'kl_divergence_final',
     'Kullback-Leibler divergence KL(reference || current) in nats, PSI bins and zero rule, renormalised.'),
    ('kl_divergence', 'value double precision, is_reference boolean, bins integer', 'twosample',
     'twosample_trans_bins', NULL, 'kl_divergence_final',
     'Kullback-Leibler divergence with the given number of reference-quantile bins (2..10000).'),
    ('kl_divergence', 'value double precision, is_reference boolean, binning text', 'twosample',
     'twosample_trans_binning', NULL, 'kl_divergence_final',
     'Kullback-Leibler divergence with a named binning: ''default'' or ''evidently''.'),
    ('wasserstein', 'value double precision, is_reference boolean', 'twosample',
     'twosample_trans', NULL, 'wasserstein_final',
     'First Wasserstein (earth mover''s) distance between current and reference values (scipy wasserstein_distance).'),
    ('wasserstein_normed', 'value double precision, is_reference boolean', 'twosample',
     'twosample_trans', NULL, 'wasserstein_normed_final',
     'Wasserstein distance over the standard deviation of the reference values, floored at 0.001 (Evidently''s normed Wasserstein test; drift at 0.1 and above).'),
    ('roc_auc', 'y_true boolean, y_score double precision', 'twosample',
     'twosample_trans_labeled', NULL, 'roc_auc_final',
     'Area under the ROC curve, exact, ties counted half (scikit-learn roc_auc_score).');

SELECT ethaudit_internal.define_aggregates('twosample');

INSERT INTO ethaudit_internal.aggregate_states VALUES
    ('categorical', 'internal', 'counts per category of reference and current rows');

INSERT INTO ethaudit_internal.aggregates
    (aggregate, arguments, state, transition, inverse, final, comment) VALUES
    ('psi', 'value text, is_reference boolean', 'categorical',
     'categorical_trans', NULL, 'psi_text_final',
     'Population stability index of a categorical column: one bin per category, empty bins as 0.0001.'),
    ('psi', 'value text, is_reference boolean, binning text', 'categorical',
     'categorical_trans_binning', NULL, 'psi_text_final',
     'Population stability index of a categorical column with a named binning: ''default'' or ''evidently'' (Evidently zero rule).'),
    ('js_divergence', 'value text, is_reference boolean', 'categorical',
     'categorical_trans', NULL, 'js_divergence_text_final',
     'Jensen-Shannon divergence (base 2) of a categorical column, one bin per category.'),
    ('hellinger', 'value text, is_reference boolean', 'categorical',
     'categorical_trans', NULL, 'hellinger_text_final',
     'Hellinger distance of a categorical column, one bin per category.'),
    ('hellinger', 'value text, is_reference boolean, binning text', 'categorical',
     'categorical_trans_binning', NULL, 'hellinger_text_final',
     'Hellinger distance of a categorical column with a named binning (''default'' or ''evidently'', the same bins).'),
    ('kl_divergence', 'value text, is_reference boolean', 'categorical',
     'categorical_trans', NULL, 'kl_divergence_text_final',
     'Kullback-Leibler divergence of a categorical column, empty categories as 0.0001.'),
    ('kl_divergence', 'value text, is_reference boolean, binning text', 'categorical',
     'categorical_trans_binning', NULL, 'kl_divergence_text_final',
     'Kullback-Leibler divergence of a categorical column with a named binning (''evidently'': Evidently zero rule).'),
    ('chi2_test', 'value text, is_reference boolean', 'categorical',
     'categorical_trans', NULL, 'chi2_test_final',
     'Chi-square test of homogeneity of category counts, reference vs current (scipy chi2_contingency).'),
    ('js_divergence', 'value text, is_reference boolean, binning text', 'categorical',
     'categorical_trans_binning', NULL, 'js_divergence_text_final',
     'Jensen-Shannon divergence (base 2) of a categorical column with a named binning (the same bins).'),
    ('unseen_categories', 'value text, is_reference boolean', 'categorical',
     'categorical_trans', NULL, 'unseen_categories_final',
     'Current rows whose category never occurs in the reference: count and share.');

SELECT ethaudit_internal.define_aggregates('categorical');

INSERT INTO ethaudit_internal.aggregate_states VALUES
    ('average', 'internal', 'compensated sum of per-row losses and the row count');

INSERT INTO ethaudit_internal.aggregates
    (aggregate, arguments, state, transition, inverse, final, comment) VALUES
    ('brier_score', 'y_true boolean, y_prob double precision', 'average',
     'brier_trans', NULL, 'average_final',
     'Brier score: mean squared difference between the predicted probability and the outcome.'),
    ('log_loss', 'y_true boolean, y_prob double precision', 'average',
     'log_loss_trans', NULL, 'average_final',
     'Logistic loss in nats, probabilities clipped to [eps, 1 - eps] with eps = 2.22e-16 (scikit-learn 1.2).'),
    ('mae', 'y_true double precision, y_pred double precision', 'average',
     'absolute_error_trans', NULL, 'average_final',
     'Mean absolute error of regression predictions.'),
    ('rmse', 'y_true double precision, y_pred double precision', 'average',
     'squared_error_trans', NULL, 'root_average_final',
     'Root mean squared error of regression predictions.');

SELECT ethaudit_internal.define_aggregates('average');

INSERT INTO ethaudit_internal.aggregate_states VALUES
    ('calibration', 'ethaudit.calibration_counts', 'per probability bin: rows, positive labels, sum of probabilities (storable)');

INSERT INTO ethaudit_internal.aggregates
    (aggregate, arguments, state, transition, inverse, final, comment) VALUES
    ('ece', 'y_true boolean, y_prob double precision', 'calibration',
     'calibration_trans', 'calibration_inv', 'ece_final',
     'Expected calibration error of predicted probabilities, 10 equal-width bins (sklearn calibration_curve bins).'),
    ('ece', 'y_true boolean, y_prob double precision, bins integer', 'calibration',
     'calibration_trans_bins', 'calibration_inv_bins', 'ece_final',
     'Expected calibration error with the given number of equal-width bins (1..10000).'),
    ('max_calibration_error', 'y_true boolean, y_prob double precision', 'calibration',
     'calibration_trans', 'calibration_inv', 'mce_final',
     'Maximum calibration error: the largest |mean(y) - mean(p)| over non-empty bins, 10 equal-width bins.'),
    ('max_calibration_error', 'y_true boolean, y_prob double precision, bins integer', 'calibration',
     'calibration_trans_bins', 'calibration_inv_bins', 'mce_final',
     'Maximum calibration error with the given number of equal-width bins (1..10000).'),
    ('calibration_counts', 'y_true boolean, y_prob double precision', 'calibration',
     'calibration_trans', 'calibration_inv', 'calibration_counts_final',
     'Calibration bins (10) as a storable state, to merge later and evaluate with ece(state).'),
    ('calibration_counts', 'y_true boolean, y_prob double precision, bins integer', 'calibration',
     'calibration_trans_bins', 'calibration_inv_bins', 'calibration_counts_final',
     'Calibration bins (the given number) as a storable state.'),
    ('merge', 'state ethaudit.calibration_counts', 'calibration',
     'calibration_combine', NULL, 'calibration_counts_final',
     'Merges stored calibration counts with the same bins (rollup); equals one pass over all their rows.');

SELECT ethaudit_internal.define_aggregates('calibration');

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
     'Largest minus smallest per-group ECE with the given number of bins.');

SELECT ethaudit_internal.define_aggregates('group_calibration');

-- the transition functions of the new minimum group sizes of group_fpr_gap and equalized_odds_gap
CREATE FUNCTION ethaudit_internal.confusion_trans_min_negatives(ethaudit.group_counts, boolean, boolean, text, integer)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_trans_min_negatives'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.confusion_trans_min_negatives(ethaudit.group_counts, boolean, boolean, text, integer) IS
'Transition function of group_fpr_gap(y_true, y_pred, grp, min_negatives).';

CREATE FUNCTION ethaudit_internal.confusion_inv_min_negatives(ethaudit.group_counts, boolean, boolean, text, integer)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_inv_min_negatives'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.confusion_inv_min_negatives(ethaudit.group_counts, boolean, boolean, text, integer) IS
'Inverse transition function of group_fpr_gap(y_true, y_pred, grp, min_negatives), for moving window frames.';

CREATE FUNCTION ethaudit_internal.confusion_trans_min_size(ethaudit.group_counts, boolean, boolean, text, integer)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_trans_min_size'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.confusion_trans_min_size(ethaudit.group_counts, boolean, boolean, text, integer) IS
'Transition function of equalized_odds_gap(y_true, y_pred, grp, min_size).';

CREATE FUNCTION ethaudit_internal.confusion_inv_min_size(ethaudit.group_counts, boolean, boolean, text, integer)
RETURNS ethaudit.group_counts
AS 'MODULE_PATHNAME', 'confusion_inv_min_size'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ethaudit_internal.confusion_inv_min_size(ethaudit.group_counts, boolean, boolean, text, integer) IS
'Inverse transition function of equalized_odds_gap(y_true, y_pred, grp, min_size), for moving window frames.';

INSERT INTO ethaudit_internal.aggregate_states VALUES
    ('confusion', 'ethaudit.group_counts', 'TP, FN, FP, TN per group (storable)');

INSERT INTO ethaudit_internal.aggregates
    (aggregate, arguments, state, transition, inverse, final, comment) VALUES
    ('group_tpr_gap', 'y_true boolean, y_pred boolean, grp text', 'confusion',
     'confusion_trans', 'confusion_inv', 'group_tpr_gap_final',
     'Equal-opportunity difference: max minus min true positive rate over groups with at least one positive.'),
    ('group_tpr_gap', 'y_true boolean, y_pred boolean, grp text, min_positives integer', 'confusion',
     'confusion_trans_min', 'confusion_inv_min', 'group_tpr_gap_final',
     'Equal-opportunity difference over groups with at least min_positives positives.'),
    ('group_fpr_gap', 'y_true boolean, y_pred boolean, grp text', 'confusion',
     'confusion_trans', 'confusion_inv', 'group_fpr_gap_final',
     'Largest minus smallest false positive rate over groups with at least one negative.'),
    ('group_fpr_gap', 'y_true boolean, y_pred boolean, grp text, min_negatives integer', 'confusion',
     'confusion_trans_min_negatives', 'confusion_inv_min_negatives', 'group_fpr_gap_final',
     'Largest minus smallest false positive rate over groups with at least min_negatives negatives.'),
    ('equalized_odds_gap', 'y_true boolean, y_pred boolean, grp text', 'confusion',
     'confusion_trans', 'confusion_inv', 'equalized_odds_gap_final',
     'Equalized odds difference: the larger of the TPR gap and the FPR gap between groups.'),
    ('equalized_odds_gap', 'y_true boolean, y_pred boolean, grp text, min_size integer', 'confusion',
     'confusion_trans_min_size', 'confusion_inv_min_size', 'equalized_odds_gap_final',
     'Equalized odds difference, the TPR gap over groups with at least min_size positives and the FPR gap over groups with at least min_size negatives.'),
    ('selection_rate_gap', 'y_pred boolean, grp text', 'confusion',
     'confusion_trans_selection', 'confusion_inv_selection', 'selection_rate_gap_final',
     'Demographic parity difference: largest minus smallest share of positive predictions over groups.'),
    ('selection_rate_ratio', 'y_pred boolean, grp text', 'confusion',
     'confusion_trans_selection', 'confusion_inv_selection', 'selection_rate_ratio_final',
     'Demographic parity ratio: smallest over largest selection rate (the four-fifths rule number).'),
    ('group_report', 'y_true boolean, y_pred boolean, grp text', 'confusion',
     'confusion_trans_report', 'confusion_inv_report', 'group_report_final',
     'Per-group counts and rates (TPR, FPR, FNR, selection rate) with Wilson 95% intervals; groups under 30 rows flagged.'),
    ('group_report', 'y_true boolean, y_pred boolean, grp text, min_size integer', 'confusion',
     'confusion_trans_report_min', 'confusion_inv_report_min', 'group_report_final',
     'Per-group counts and rates with Wilson 95% intervals; groups under min_size rows flagged.'),
    ('true_positive_rate', 'y_true boolean, y_pred boolean', 'confusion',
     'confusion_trans_pooled', 'confusion_inv_pooled', 'true_positive_rate_final',
     'True positive rate (recall) TP / (TP + FN); NULL without positives.'),
    ('false_positive_rate', 'y_true boolean, y_pred boolean', 'confusion',
     'confusion_trans_pooled', 'confusion_inv_pooled', 'false_positive_rate_final',
     'False positive rate FP / (FP + TN); NULL without negatives.'),
    ('false_negative_rate', 'y_true boolean, y_pred boolean', 'confusion',
     'confusion_trans_pooled', 'confusion_inv_pooled', 'false_negative_rate_final',
     'False negative rate FN / (FN + TP); NULL without positives.'),
    ('recall_score', 'y_true boolean, y_pred boolean', 'confusion',
     'confusion_trans_pooled', 'confusion_inv_pooled', 'true_positive_rate_final',
     'Recall TP / (TP + FN), the true positive rate; NULL without positives.'),
    ('precision_score', 'y_true boolean, y_pred boolean', 'confusion',
     'confusion_trans_pooled', 'confusion_inv_pooled', 'precision_score_final',
     'Precision TP / (TP + FP); NULL without positive predictions.'),
    ('accuracy_score', 'y_true boolean, y_pred boolean', 'confusion',
     'confusion_trans_pooled', 'confusion_inv_pooled', 'accuracy_score_final',
     'Accuracy (TP + TN) / n.'),
    ('f1_score', 'y_true boolean, y_pred boolean', 'confusion',
     'confusion_trans_pooled', 'confusion_inv_pooled', 'f1_score_final',
     'F1 score 2 TP / (2 TP + FP + FN); NULL when TP, FP and FN are all 0.'),
    ('selection_rate', 'y_pred boolean', 'confusion',
     'confusion_trans_selection_pooled', 'confusion_inv_selection_pooled', 'selection_rate_final',
     'Share of positive predictions.'),
    ('group_counts', 'y_true boolean, y_pred boolean, grp text', 'confusion',
     'confusion_trans', 'confusion_inv', 'group_counts_final',
     'TP, FN, FP, TN per group as a storable state (e.g. one row per hour), to merge later and evaluate with the scalar fairness functions.'),
    ('merge', 'state ethaudit.group_counts', 'confusion',
     'confusion_combine', NULL, 'group_counts_final',
     'Merges stored group counts (rollup); equals one pass over all their rows.'),
    ('null_rate_change', 'value anyelement, is_reference boolean', 'confusion',
     'null_rate_trans', 'null_rate_inv', 'null_rate_change_final',
     'Share of NULL values among current rows minus that among reference rows.');

SELECT ethaudit_internal.define_aggregates('confusion');

INSERT INTO ethaudit_internal.aggregate_states VALUES
    ('baseline_build', 'internal', 'reference values kept until the quantile edges of a baseline are known');

INSERT INTO ethaudit_internal.aggregates
    (aggregate, arguments, state, transition, inverse, final, comment) VALUES
    ('baseline', 'value double precision', 'baseline_build',
     'baseline_build_trans', NULL, 'baseline_build_final',
     'Baseline of a numeric column: 10 bins at the exact deciles of the values (as psi builds them), counts, NaN/NULL counts, min, max, mean, variance.'),
    ('baseline', 'value double precision, bins integer', 'baseline_build',
     'baseline_build_trans_bins', NULL, 'baseline_build_final',
     'Baseline of a numeric column with the given number of quantile bins (2 to 10000).');

SELECT ethaudit_internal.define_aggregates('baseline_build');

INSERT INTO ethaudit_internal.aggregate_states VALUES
    ('baseline', 'ethaudit.baseline', 'counts over fixed bins or per category, with NULL/NaN counts and moments (storable)');

INSERT INTO ethaudit_internal.aggregates
    (aggregate, arguments, state, transition, inverse, final, comment) VALUES
    ('baseline', 'value double precision, edges double precision[]', 'baseline',
     'baseline_edges_trans', 'baseline_edges_inv', 'baseline_state_final',
     'Baseline of a numeric column over the given inner edges (right-closed bins); one pass, constant memory.'),
    ('baseline', 'value text', 'baseline',
     'baseline_text_trans', 'baseline_text_inv', 'baseline_state_final',
     'Baseline of a categorical column: counts per category.'),
    ('baseline', 'value double precision, reference ethaudit.baseline', 'baseline',
     'baseline_like_trans', 'baseline_like_inv', 'baseline_state_final',
     'The current rows counted over a reference baseline''s bins: a state to store (e.g. per hour) and merge later.'),
    ('baseline', 'value text, reference ethaudit.baseline', 'baseline',
     'baseline_like_trans', 'baseline_like_inv', 'baseline_state_final',
     'The current rows counted per category, to store and merge later and compare with a categorical reference.'),
    ('merge', 'state ethaudit.baseline', 'baseline',
     'baseline_combine', NULL, 'baseline_state_final',
     'Merges baselines counted over the same bins (rollup of stored states); equals one pass over all their rows.'),
    ('psi', 'value double precision, reference ethaudit.baseline', 'baseline',
     'baseline_compare_trans', 'baseline_compare_inv', 'baseline_psi_final',
     'PSI of the current rows against a stored baseline, over its bins; equals psi(value, is_reference) when the baseline was built from the reference rows.'),
    ('psi', 'value text, reference ethaudit.baseline', 'baseline',
     'baseline_compare_trans', 'baseline_compare_inv', 'baseline_psi_final',
     'PSI of current categories against a stored categorical baseline.'),
    ('js_divergence', 'value double precision, reference ethaudit.baseline', 'baseline',
     'baseline_compare_trans', 'baseline_compare_inv', 'baseline_js_final',
     'Jensen-Shannon divergence (base 2) of the current rows against a stored baseline.'),
    ('js_divergence', 'value text, reference ethaudit.baseline', 'baseline',
     'baseline_compare_trans', 'baseline_compare_inv', 'baseline_js_final',
     'Jensen-Shannon divergence (base 2) of current categories against a stored categorical baseline.'),
    ('hellinger', 'value double precision, reference ethaudit.baseline', 'baseline',
     'baseline_compare_trans', 'baseline_compare_inv', 'baseline_hellinger_final',
     'Hellinger distance of the current rows against a stored baseline.'),
    ('hellinger', 'value text, reference ethaudit.baseline', 'baseline',
     'baseline_compare_trans', 'baseline_compare_inv', 'baseline_hellinger_final',
     'Hellinger distance of current categories against a stored categorical baseline.'),
    ('ks_stat', 'value double precision, reference ethaudit.baseline', 'baseline',
     'baseline_compare_trans', 'baseline_compare_inv', 'baseline_ks_final',
     'KS statistic at the baseline''s bin edges: a lower bound on the exact D (see ks_bounds).'),
    ('ks_bounds', 'value double precision, reference ethaudit.baseline', 'baseline',
     'baseline_compare_trans', 'baseline_compare_inv', 'baseline_ks_bounds_final',
     'Lower and upper bound on the exact KS statistic when the reference is known only by its bins.');

SELECT ethaudit_internal.define_aggregates('baseline');

-- ---------------------------------------------------------------------------
-- The catalog of metrics as a table (src/sql/metric_catalog.sql);
-- metric_catalog shows it, with the same columns as in 0.2.0.
-- ---------------------------------------------------------------------------

CREATE TABLE ethaudit_internal.metrics (
    metric            text PRIMARY KEY,
    family            text NOT NULL CHECK (family IN ('drift', 'quality', 'performance', 'fairness')),
    value_kinds       text[] CHECK (value_kinds <@ '{numeric,categorical}'),
    label_type        text CHECK (label_type IN ('boolean', 'numeric')),
    probability_type  text CHECK (probability_type IN ('probability', 'score', 'prediction')),
    needs_group       boolean NOT NULL,
    needs_reference   boolean NOT NULL,
    default_direction text NOT NULL CHECK (default_direction IN ('above', 'below')),
    params            text[] NOT NULL,
    description       text NOT NULL,
    -- the call
    shape             text NOT NULL CHECK (shape IN ('aggregate', 'row_share')),
    aggregate         text,
    result_field      text,
    reads             text[] NOT NULL CHECK (reads <@ '{v,y,p,g,reference}'),
    options           text[] NOT NULL,
    row_condition     text,
    counts_every_row  boolean NOT NULL,
    baseline_shape    text CHECK (baseline_shape IN ('category_lookup')),
    CHECK ((shape = 'aggregate') = (aggregate IS NOT NULL)),
    CHECK ((shape = 'row_share') = (row_condition IS NOT NULL)),
    CHECK (options <@ params)
);
COMMENT ON TABLE ethaudit_internal.metrics IS
'Internal: the catalog of metrics, the single place a metric is registered; ethaudit.metric_catalog shows it.';
COMMENT ON COLUMN ethaudit_internal.metrics.shape IS
'aggregate: a call of ethaudit.<aggregate>(reads..., option); row_share: the share of usable rows that satisfy row_condition.';
COMMENT ON COLUMN ethaudit_internal.metrics.result_field IS 'Field taken from a composite result of the aggregate.';
COMMENT ON COLUMN ethaudit_internal.metrics.reads IS
'Arguments in call order: v (value_column), y (label_column), p (probability_column), g (group_column), reference (the reference flag, or the stored baseline).';
COMMENT ON COLUMN ethaudit_internal.metrics.options IS
'Keys of checks.params passed as the last argument: the first one present (integers as numbers, others as text).';
COMMENT ON COLUMN ethaudit_internal.metrics.row_condition IS
'row_share: a format() template of the rows counted, %1$s..%4$s = v, y, p, g.';
COMMENT ON COLUMN ethaudit_internal.metrics.counts_every_row IS
'True if every row is usable (n_current counts all rows); otherwise rows with a NULL in a column read (or NaN value, against a reference) are not.';
COMMENT ON COLUMN ethaudit_internal.metrics.baseline_shape IS
'category_lookup: against a stored baseline, the share of current categories not among the baseline''s categories.';
GRANT SELECT ON ethaudit_internal.metrics TO PUBLIC;

INSERT INTO ethaudit_internal.metrics
    (metric, family, value_kinds, label_type, probability_type, needs_group, needs_reference, default_direction, params,
     description,
     shape, aggregate, result_field, reads, options, row_condition, counts_every_row, baseline_shape) VALUES
    ('psi', 'drift', '{numeric,categorical}', NULL, NULL, false, true, 'above', '{bins,binning}',
     'population stability index of value_column, current window against the reference',
     'aggregate', 'psi', NULL, '{v,reference}', '{bins,binning}', NULL, false, NULL),
    ('js_divergence', 'drift', '{numeric,categorical}', NULL, NULL, false, true, 'above', '{bins,binning}',
     'Jensen-Shannon divergence (base 2) of value_column against the reference',
     'aggregate', 'js_divergence', NULL, '{v,reference}', '{bins,binning}', NULL, false, NULL),
    ('hellinger', 'drift', '{numeric,categorical}', NULL, NULL, false, true, 'above', '{bins,binning}',
     'Hellinger distance of value_column against the reference',
     'aggregate', 'hellinger', NULL, '{v,reference}', '{bins,binning}', NULL, false, NULL),
    ('kl_divergence', 'drift', '{numeric,categorical}', NULL, NULL, false, true, 'above', '{bins,binning}',
     'Kullback-Leibler divergence of the current window from the reference',
     'aggregate', 'kl_divergence', NULL, '{v,reference}', '{bins,binning}', NULL, false, NULL),
    ('ks_stat', 'drift', '{numeric}', NULL, NULL, false, true, 'above', '{}',
     'two-sample Kolmogorov-Smirnov statistic D of value_column',
     'aggregate', 'ks_stat', NULL, '{v,reference}', '{}', NULL, false, NULL),
    ('ks_pvalue', 'drift', '{numeric}', NULL, NULL, false, true, 'below', '{}',
     'asymptotic p-value of the two-sample KS test (small = drift)',
     'aggregate', 'ks_test', 'p_value', '{v,reference}', '{}', NULL, false, NULL),
    ('wasserstein', 'drift', '{numeric}', NULL, NULL, false, true, 'above', '{}',
     'Wasserstein-1 distance of value_column, in its units',
     'aggregate', 'wasserstein', NULL, '{v,reference}', '{}', NULL, false, NULL),
    ('wasserstein_normed', 'drift', '{numeric}', NULL, NULL, false, true, 'above', '{}',
     'Wasserstein distance of value_column in standard deviations of the reference (Evidently''s default test for numeric columns of more than 1000 rows, drift at 0.1)',
     'aggregate', 'wasserstein_normed', NULL, '{v,reference}', '{}', NULL, false, NULL),
    ('chi2_pvalue', 'drift', '{categorical}', NULL, NULL, false, true, 'below', '{}',
     'p-value of the chi-square test of the category counts (small = drift)',
     'aggregate', 'chi2_test', 'p_value', '{v,reference}', '{}', NULL, false, NULL),
    ('unseen_share', 'quality', '{categorical}', NULL, NULL, false, true, 'above', '{}',
     'share of current rows whose category never occurs in the reference',
     'aggregate', 'unseen_categories', 'share', '{v,reference}', '{}', NULL, false, 'category_lookup'),
    ('null_rate_change', 'quality', '{numeric,categorical}', NULL, NULL, false, true, 'above', '{}',
     'share of NULL value_column in the current window minus that in the reference',
     'aggregate', 'null_rate_change', NULL, '{v,reference}', '{}', NULL, true, NULL),
    ('null_share', 'quality', NULL, NULL, NULL, false, false, 'above', '{}',
     'share of rows with a NULL in any of required_columns',
     'row_share', NULL, NULL, '{v}', '{}', '%1$s', true, NULL),
    ('invalid_probability_share', 'quality', NULL, NULL, 'probability', false, false, 'above', '{}',
     'share of non-NULL probability_column values that are NaN or outside [0, 1]',
     'row_share', NULL, NULL, '{p}', '{}', '%3$s = ''NaN''::float8 OR %3$s < 0 OR %3$s > 1', false, NULL),
    ('ece', 'performance', NULL, 'boolean', 'probability', false, false, 'above', '{bins}',
     'expected calibration error of probability_column against label_column',
     'aggregate', 'ece', NULL, '{y,p}', '{bins}', NULL, false, NULL),
    ('max_calibration_error', 'performance', NULL, 'boolean', 'probability', false, false, 'above', '{bins}',
     'largest calibration gap over the probability bins',
     'aggregate', 'max_calibration_error', NULL, '{y,p}', '{bins}', NULL, false, NULL),
    ('brier_score', 'performance', NULL, 'boolean', 'probability', false, false, 'above', '{}',
     'mean squared error of the probabilities',
     'aggregate', 'brier_score', NULL, '{y,p}', '{}', NULL, false, NULL),
    ('log_loss', 'performance', NULL, 'boolean', 'probability', false, false, 'above', '{}',
     'mean negative log-likelihood of the labels',
     'aggregate', 'log_loss', NULL, '{y,p}', '{}', NULL, false, NULL),
    ('roc_auc', 'performance', NULL, 'boolean', 'score', false, false, 'below', '{}',
     'area under the ROC curve of probability_column (any score) against label_column',
     'aggregate', 'roc_auc', NULL, '{y,p}', '{}', NULL, false, NULL),
    ('accuracy_score', 'performance', NULL, 'boolean', 'prediction', false, false, 'below', '{cutoff}',
     'accuracy of the predictions',
     'aggregate', 'accuracy_score', NULL, '{y,p}', '{}', NULL, false, NULL),
    ('precision_score', 'performance', NULL, 'boolean', 'prediction', false, false, 'below', '{cutoff}',
     'precision of the predictions',
     'aggregate', 'precision_score', NULL, '{y,p}', '{}', NULL, false, NULL),
    ('recall_score', 'performance', NULL, 'boolean', 'prediction', false, false, 'below', '{cutoff}',
     'recall (true positive rate) of the predictions',
     'aggregate', 'recall_score', NULL, '{y,p}', '{}', NULL, false, NULL),
    ('f1_score', 'performance', NULL, 'boolean', 'prediction', false, false, 'below', '{cutoff}',
     'F1 score of the predictions',
     'aggregate', 'f1_score', NULL, '{y,p}', '{}', NULL, false, NULL),
    ('false_positive_rate', 'performance', NULL, 'boolean', 'prediction', false, false, 'above', '{cutoff}',
     'false positive rate of the predictions',
     'aggregate', 'false_positive_rate', NULL, '{y,p}', '{}', NULL, false, NULL),
    ('false_negative_rate', 'performance', NULL, 'boolean', 'prediction', false, false, 'above', '{cutoff}',
     'false negative rate of the predictions',
     'aggregate', 'false_negative_rate', NULL, '{y,p}', '{}', NULL, false, NULL),
    ('mae', 'performance', '{numeric}', 'numeric', NULL, false, false, 'above', '{}',
     'mean absolute error of value_column (the prediction) against label_column',
     'aggregate', 'mae', NULL, '{y,v}', '{}', NULL, false, NULL),
    ('rmse', 'performance', '{numeric}', 'numeric', NULL, false, false, 'above', '{}',
     'root mean squared error of value_column (the prediction) against label_column',
     'aggregate', 'rmse', NULL, '{y,v}', '{}', NULL, false, NULL),
    ('group_tpr_gap', 'fairness', NULL, 'boolean', 'prediction', true, false, 'above', '{cutoff,min_positives}',
     'largest difference in true positive rate between groups (equal opportunity)',
     'aggregate', 'group_tpr_gap', NULL, '{y,p,g}', '{min_positives}', NULL, false, NULL),
    ('group_fpr_gap', 'fairness', NULL, 'boolean', 'prediction', true, false, 'above', '{cutoff,min_negatives}',
     'largest difference in false positive rate between groups',
     'aggregate', 'group_fpr_gap', NULL, '{y,p,g}', '{min_negatives}', NULL, false, NULL),
    ('equalized_odds_gap', 'fairness', NULL, 'boolean', 'prediction', true, false, 'above', '{cutoff,min_size}',
     'larger of the TPR and FPR gaps between groups',
     'aggregate', 'equalized_odds_gap', NULL, '{y,p,g}', '{min_size}', NULL, false, NULL),
    ('selection_rate_gap', 'fairness', NULL, NULL, 'prediction', true, false, 'above', '{cutoff}',
     'largest difference in selection rate between groups (demographic parity)',
     'aggregate', 'selection_rate_gap', NULL, '{p,g}', '{}', NULL, false, NULL),
    ('selection_rate_ratio', 'fairness', NULL, NULL, 'prediction', true, false, 'below', '{cutoff}',
     'smallest over largest selection rate between groups (disparate impact)',
     'aggregate', 'selection_rate_ratio', NULL, '{p,g}', '{}', NULL, false, NULL),
    ('ece_gap', 'fairness', NULL, 'boolean', 'probability', true, false, 'above', '{bins}',
     'largest difference in expected calibration error between groups',
     'aggregate', 'ece_gap', NULL, '{y,p,g}', '{bins}', NULL, false, NULL);

CREATE OR REPLACE VIEW ethaudit.metric_catalog AS
SELECT m.metric, m.family, m.value_kinds, m.label_type, m.probability_type, m.needs_group,
       m.needs_reference,
       m.baseline_shape IS NOT NULL
       OR EXISTS (SELECT FROM ethaudit_internal.aggregates a
                  WHERE a.aggregate = m.aggregate AND a.arguments LIKE '%reference ethaudit.baseline') AS baseline_capable,
       m.default_direction, m.params, m.description
FROM ethaudit_internal.metrics m;

-- CREATE OR REPLACE VIEW resets the options: security_invoker again, as
-- src/sql/dashboards.sql sets it
DO $$
BEGIN
    IF pg_catalog.current_setting('server_version_num')::integer >= 150000 THEN
        ALTER VIEW ethaudit.metric_catalog SET (security_invoker = true);
    END IF;
END
$$;

-- ---------------------------------------------------------------------------
-- Functions whose text changed: they name the moved functions in their new
-- schema, and check_parts() builds the query of a check from the catalog.
-- ---------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION ethaudit.acknowledge_alert(alert_id bigint, note text DEFAULT NULL::text)
 RETURNS ethaudit.alerts
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    a ethaudit.alerts;
BEGIN
    a := ethaudit_internal.alert_for_update(alert_id, 'acknowledge');
    IF a.status = 'acknowledged' THEN
        RAISE EXCEPTION 'alert % is already acknowledged', alert_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('By %s at %s.', a.acknowledged_by, a.acknowledged_at);
    END IF;
    UPDATE ethaudit.alerts x SET status = 'acknowledged', acknowledged_at = clock_timestamp(),
                                 acknowledged_by = ethaudit.session_role(), acknowledge_note = note
    WHERE x.alert_id = a.alert_id
    RETURNING x.* INTO a;
    PERFORM ethaudit_internal.log_alert_event(a, 'acknowledged', ethaudit.session_role(), note);
    RETURN a;
END
$function$;

CREATE OR REPLACE FUNCTION ethaudit_internal.apply_privacy(model text, inputs jsonb, OUT kept jsonb, OUT pseudonymised text[], OUT dropped text[], OUT key_id integer)
 RETURNS record
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    fallback text;
    f record;
    act text;
    k ethaudit.keys;
BEGIN
    kept := '{}'::jsonb;
    pseudonymised := '{}';
    dropped := '{}';
    IF inputs IS NULL THEN
        kept := NULL;
        RETURN;
    END IF;
    SELECT p.action INTO fallback FROM ethaudit.privacy_policies p WHERE p.model = apply_privacy.model AND p.field = '*';
    FOR f IN SELECT j.key, j.value FROM pg_catalog.jsonb_each(inputs) j ORDER BY j.key LOOP
        SELECT p.action INTO act FROM ethaudit.privacy_policies p WHERE p.model = apply_privacy.model AND p.field = f.key;
        act := coalesce(act, fallback, 'drop');     -- what no policy allows is not kept
        IF act = 'keep' THEN
            kept := kept || pg_catalog.jsonb_build_object(f.key, f.value);
        ELSIF act = 'pseudonymise' THEN
            IF k.key_id IS NULL THEN
                k := ethaudit_internal.active_key('pseudonym');
                key_id := k.key_id;
            END IF;
            kept := kept || pg_catalog.jsonb_build_object(f.key,
                CASE pg_catalog.jsonb_typeof(f.value)
                    WHEN 'null' THEN 'null'::jsonb
                    WHEN 'string' THEN pg_catalog.to_jsonb(ethaudit_internal.pseudonym_with(k, f.value #>> '{}'))
                    ELSE pg_catalog.to_jsonb(ethaudit_internal.pseudonym_with(k, f.value::text)) END);
            pseudonymised := pseudonymised || f.key;
        ELSE
            dropped := dropped || f.key;
        END IF;
    END LOOP;
END
$function$;

CREATE OR REPLACE FUNCTION ethaudit_internal.apply_result()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    th ethaudit.thresholds;
    a ethaudit.alerts;
    fam text;
    escalate boolean;
BEGIN
    IF NEW.alert_applied AND ethaudit_internal.restoring() THEN
        RETURN NEW;             -- history being restored
    END IF;
    NEW.alert_applied := true;
    -- a new result speaks for its check: model and metric come from it
    SELECT ch.model, ch.metric INTO NEW.model, NEW.metric
    FROM ethaudit.checks ch WHERE ch.check_id = NEW.check_id;
    IF NEW.status NOT IN ('warning', 'critical', 'ok') THEN
        RETURN NEW;             -- insufficient_data and error leave alerts alone
    END IF;
    SELECT * INTO th FROM ethaudit.thresholds x WHERE x.check_id = NEW.check_id;
    -- the engine judges the value itself: a supplied status counts for nothing
    NEW.status := ethaudit.classify(NEW.value, th.warn, th.critical, th.direction);
    NEW.warn := th.warn;
    NEW.critical := th.critical;
    NEW.direction := th.direction;
    IF NEW.status NOT IN ('warning', 'critical', 'ok') THEN
        RETURN NEW;
    END IF;

    IF NEW.status = 'ok' THEN
        UPDATE ethaudit.alerts x SET
            clean_runs = x.clean_runs + 1,
            last_result_id = NEW.result_id,
            status = CASE WHEN x.clean_runs + 1 >= coalesce(th.resolve_after, 3) THEN 'resolved' ELSE x.status END,
            resolved_at = CASE WHEN x.clean_runs + 1 >= coalesce(th.resolve_after, 3) THEN NEW.evaluated_at END,
            resolution = CASE WHEN x.clean_runs + 1 >= coalesce(th.resolve_after, 3) THEN 'automatic' END,
            resolution_note = CASE WHEN x.clean_runs + 1 >= coalesce(th.resolve_after, 3)
                                   THEN format('resolved after %s consecutive ok results', x.clean_runs + 1) END
        WHERE x.check_id = NEW.check_id AND x.status <> 'resolved'
        RETURNING x.* INTO a;
        IF FOUND AND a.status = 'resolved' THEN
            PERFORM ethaudit_internal.log_alert_event(a, 'resolved', NULL, a.resolution_note, NEW.result_id);
            PERFORM ethaudit_internal.notify_alert(a, 'resolved');
        END IF;
        RETURN NEW;
    END IF;

    SELECT mc.family INTO fam FROM ethaudit.metric_catalog mc WHERE mc.metric = NEW.metric;
    LOOP
        SELECT * INTO a FROM ethaudit.alerts x
        WHERE x.check_id = NEW.check_id AND x.status <> 'resolved'
        FOR UPDATE;
        IF FOUND THEN
            escalate := a.severity = 'warning' AND NEW.status = 'critical';
            UPDATE ethaudit.alerts x SET
                occurrences = x.occurrences + 1,
                clean_runs = 0,
                last_value = NEW.value,
                last_seen_at = NEW.evaluated_at,
                last_result_id = NEW.result_id,
                worst_value = CASE WHEN NEW.direction = 'below' THEN least(x.worst_value, NEW.value)
                                   ELSE greatest(x.worst_value, NEW.value) END,
                severity = CASE WHEN escalate THEN 'critical' ELSE x.severity END,
                escalated_at = CASE WHEN escalate THEN NEW.evaluated_at ELSE x.escalated_at END,
                due_at = CASE WHEN escalate
                              THEN least(x.due_at, NEW.evaluated_at
                                         + coalesce(th.critical_response_time, th.response_time, interval '1 day'))
                              ELSE x.due_at END,
                -- an acknowledged alert that gets worse needs attention again
                status = CASE WHEN escalate THEN 'open' ELSE x.status END
            WHERE x.alert_id = a.alert_id
            RETURNING x.* INTO a;
            IF escalate THEN
                PERFORM ethaudit_internal.log_alert_event(a, 'escalated', NULL,
                    format('%s crossed the critical level %s', NEW.value, NEW.critical), NEW.result_id);
                PERFORM ethaudit_internal.notify_alert(a, 'escalated');
            END IF;
            EXIT;
        END IF;

        INSERT INTO ethaudit.alerts AS x
            (check_id, model, metric, family, severity, owner_role, opened_at, due_at, last_seen_at,
             first_value, last_value, worst_value, first_result_id, last_result_id)
        VALUES (NEW.check_id, NEW.model, NEW.metric, coalesce(fam, 'drift'), NEW.status, th.owner_role,
                NEW.evaluated_at,
                NEW.evaluated_at + CASE WHEN NEW.status = 'critical'
                                        THEN coalesce(th.critical_response_time, th.response_time, interval '1 day')
                                        ELSE coalesce(th.response_time, interval '1 day') END,
                NEW.evaluated_at, NEW.value, NEW.value, NEW.value, NEW.result_id, NEW.result_id)
        ON CONFLICT (check_id) WHERE status <> 'resolved' DO NOTHING
        RETURNING x.* INTO a;
        IF FOUND THEN
            PERFORM ethaudit_internal.log_alert_event(a, 'opened', NULL,
                format('%s is beyond the %s level %s', NEW.value, NEW.status,
                       CASE WHEN NEW.status = 'critical' THEN NEW.critical ELSE NEW.warn END),
                NEW.result_id);
            PERFORM ethaudit_internal.notify_alert(a, 'opened');
            -- Alerts of one model open one after the other, so that each
            -- sees the others when judging co-occurrence (lock held to commit).
            PERFORM pg_catalog.pg_advisory_xact_lock(1702127714, pg_catalog.hashtext(NEW.model));
            PERFORM ethaudit_internal.raise_cooccurring_priority(NEW.model);
            EXIT;
        END IF;
        -- a concurrent transaction opened the alert first: update that one
    END LOOP;
    RETURN NEW;
END
$function$;

CREATE OR REPLACE FUNCTION ethaudit.apply_retention(dry_run boolean DEFAULT false)
 RETURNS TABLE(table_name text, time_column name, keep interval, cutoff timestamp with time zone, deleted bigint)
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    p ethaudit.retention_policies;
    t record;
    reported jsonb := '[]'::jsonb;
    msg text;
BEGIN
    IF dry_run IS NULL THEN
        RAISE EXCEPTION 'dry_run must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    -- other tables first, as each table's owner (ethaudit_internal.run_as_owner): its
    -- triggers, rules and policies run with the owner's rights, never the
    -- caller's
    FOR p IN
        SELECT x.* FROM ethaudit.retention_policies x
        WHERE x.enabled AND x.table_name NOT IN ('ethaudit.alert_events', 'ethaudit.alerts', 'ethaudit.results',
                                                 'ethaudit.runs', 'ethaudit.audit_log')
        ORDER BY x.table_name
    LOOP
        table_name := p.table_name;
        time_column := p.time_column;
        keep := p.keep;
        cutoff := pg_catalog.now() - p.keep;
        deleted := NULL;
        msg := NULL;
        BEGIN
            t := ethaudit_internal.retention_target(p.table_name, p.time_column);
            SELECT x.n INTO deleted FROM ethaudit_internal.run_as_owner(t.rel,
                CASE WHEN dry_run THEN pg_catalog.format('SELECT count(*) FROM %s WHERE %s', t.rel, t.cmp)
                     ELSE pg_catalog.format('WITH d AS (DELETE FROM %s WHERE %s RETURNING 1) SELECT count(*) FROM d',
                                            t.rel, t.cmp) END,
                ARRAY[cutoff]) AS x(n bigint);
        EXCEPTION WHEN OTHERS THEN
            -- one table that cannot be purged does not stop the others
            GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
            RAISE WARNING 'ethaudit: retention of % failed: %', p.table_name, msg;
        END;
        reported := reported || pg_catalog.jsonb_build_array(pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
            'table', table_name, 'time_column', time_column, 'keep', keep, 'cutoff', cutoff,
            'deleted', deleted, 'error', msg)));
        RETURN NEXT;
    END LOOP;
    RETURN QUERY SELECT * FROM ethaudit_internal.retention_purge(dry_run, reported);
END
$function$;

CREATE OR REPLACE FUNCTION ethaudit_internal.audit_alert_change()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    changes jsonb;
    event text;
BEGIN
    changes := ethaudit_internal.row_changes(
        pg_catalog.jsonb_build_object('status', OLD.status, 'severity', OLD.severity, 'priority', OLD.priority,
                                      'owner_role', OLD.owner_role, 'due_at', OLD.due_at,
                                      'acknowledged_by', OLD.acknowledged_by, 'acknowledge_note', OLD.acknowledge_note,
                                      'resolved_by', OLD.resolved_by, 'resolution', OLD.resolution,
                                      'resolution_note', OLD.resolution_note, 'priority_reason', OLD.priority_reason),
        pg_catalog.jsonb_build_object('status', NEW.status, 'severity', NEW.severity, 'priority', NEW.priority,
                                      'owner_role', NEW.owner_role, 'due_at', NEW.due_at,
                                      'acknowledged_by', NEW.acknowledged_by, 'acknowledge_note', NEW.acknowledge_note,
                                      'resolved_by', NEW.resolved_by, 'resolution', NEW.resolution,
                                      'resolution_note', NEW.resolution_note, 'priority_reason', NEW.priority_reason));
    IF changes = '{}'::jsonb THEN
        RETURN NULL;                -- a repeat or a clean run: counted in the alert, not a state change
    END IF;
    event := CASE
        WHEN NEW.status = 'resolved' AND OLD.status <> 'resolved' THEN 'alert_resolved'
        WHEN NEW.status = 'acknowledged' AND OLD.status <> 'acknowledged' THEN 'alert_acknowledged'
        WHEN NEW.severity <> OLD.severity THEN 'alert_escalated'
        WHEN NEW.priority <> OLD.priority THEN 'alert_priority_changed'
        WHEN NEW.status <> OLD.status THEN 'alert_reopened'
        WHEN NEW.owner_role IS DISTINCT FROM OLD.owner_role THEN 'alert_reassigned'
        ELSE 'alert_changed' END;
    PERFORM ethaudit_internal.audit_append(event, NEW.model, NULL, pg_catalog.jsonb_build_object(
        'alert_id', NEW.alert_id, 'check_id', NEW.check_id, 'metric', NEW.metric, 'family', NEW.family,
        'value', NEW.last_value, 'result_id', NEW.last_result_id, 'changes', changes));
    RETURN NULL;
END
$function$;

CREATE OR REPLACE FUNCTION ethaudit_internal.audit_alert_opened(a ethaudit.alerts, result_id bigint)
 RETURNS void
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
    SELECT ethaudit_internal.audit_append('alert_opened', a.model, NULL, pg_catalog.jsonb_build_object(
        'alert_id', a.alert_id, 'check_id', a.check_id, 'metric', a.metric, 'family', a.family,
        'severity', a.severity, 'value', a.first_value, 'result_id', result_id,
        'owner_role', a.owner_role, 'due_at', a.due_at))
$function$;

CREATE OR REPLACE FUNCTION ethaudit_internal.audit_config_change()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    object text := TG_ARGV[0];
    r jsonb := CASE WHEN TG_OP = 'DELETE' THEN pg_catalog.to_jsonb(OLD) ELSE pg_catalog.to_jsonb(NEW) END;
    ignored text[] := '{updated_at,stage_changed_at}';
    details jsonb;
    changes jsonb;
    m text;
    v text;
    event text;
    ident jsonb;
BEGIN
    IF TG_OP = 'INSERT' AND ethaudit_internal.restoring() THEN
        RETURN NULL;
    END IF;
    -- what not to copy into the log
    IF object = 'key' THEN
        r := r - 'secret';
        ignored := ignored || '{secret}'::text[];
    ELSIF object = 'baseline' THEN
        r := (r - 'baseline') || pg_catalog.jsonb_build_object('baseline_sha256',
                 pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(r->>'baseline', 'UTF8')), 'hex'));
    END IF;
    m := r->>'model';
    v := r->>'version';
    IF object = 'threshold' THEN
        SELECT ch.model, ch.version INTO m, v FROM ethaudit.checks ch WHERE ch.check_id = (r->>'check_id')::bigint;
    END IF;
    -- the columns that identify the row
    ident := CASE object
        WHEN 'model' THEN pg_catalog.jsonb_build_object('model', r->'model')
        WHEN 'model_version' THEN pg_catalog.jsonb_build_object('model', r->'model', 'version', r->'version')
        WHEN 'check' THEN pg_catalog.jsonb_build_object('check_id', r->'check_id', 'check_name', r->'check_name')
        WHEN 'threshold' THEN pg_catalog.jsonb_build_object('check_id', r->'check_id', 'check_name',
                                  (SELECT ch.check_name FROM ethaudit.checks ch WHERE ch.check_id = (r->>'check_id')::bigint))
        WHEN 'baseline' THEN pg_catalog.jsonb_build_object('baseline_id', r->'baseline_id', 'column_name', r->'column_name')
        WHEN 'privacy_policy' THEN pg_catalog.jsonb_build_object('model', r->'model', 'field', r->'field')
        WHEN 'retention_policy' THEN pg_catalog.jsonb_build_object('table_name', r->'table_name')
        WHEN 'security_role' THEN pg_catalog.jsonb_build_object('role_kind', r->'role_kind')
        WHEN 'key' THEN pg_catalog.jsonb_build_object('key_id', r->'key_id', 'purpose', r->'purpose')
        ELSE '{}'::jsonb END;

    IF TG_OP = 'INSERT' THEN
        event := object || '_created';
        details := ident || pg_catalog.jsonb_build_object('row', r);
    ELSIF TG_OP = 'DELETE' THEN
        event := object || '_deleted';
        details := ident || pg_catalog.jsonb_build_object('row', r);
    ELSE
        changes := ethaudit_internal.row_changes(
            CASE WHEN object = 'key' THEN pg_catalog.to_jsonb(OLD) - 'secret'
                 WHEN object = 'baseline' THEN (pg_catalog.to_jsonb(OLD) - 'baseline') || pg_catalog.jsonb_build_object('baseline_sha256',
                     pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.to_jsonb(OLD)->>'baseline', 'UTF8')), 'hex'))
                 ELSE pg_catalog.to_jsonb(OLD) END,
            r, ignored);
        IF changes = '{}'::jsonb THEN
            RETURN NULL;            -- nothing but time stamps changed
        END IF;
        event := CASE WHEN object = 'model_version' AND changes ? 'stage' THEN 'stage_changed'
                      WHEN object = 'key' AND changes ? 'retired_at' THEN 'key_retired'
                      ELSE object || '_changed' END;
        details := ident || pg_catalog.jsonb_build_object('changes', changes);
    END IF;
    PERFORM ethaudit_internal.audit_append(event, m, v, details);
    RETURN NULL;
END
$function$;

CREATE OR REPLACE FUNCTION ethaudit.audit_head(OUT seq bigint, OUT row_hash text, OUT logged_at timestamp with time zone)
 RETURNS record
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    head record;
BEGIN
    head := ethaudit_internal.audit_head_row();
    seq := head.seq;
    row_hash := pg_catalog.encode(head.row_hash, 'hex');
    SELECT a.logged_at INTO logged_at FROM ethaudit.audit_log a WHERE a.seq = head.seq;
END
$function$;

CREATE OR REPLACE FUNCTION ethaudit_internal.audit_history_change()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    r record;
    event text := CASE TG_OP WHEN 'DELETE' THEN 'history_deleted' WHEN 'UPDATE' THEN 'history_changed'
                             ELSE 'history_truncated' END;
    key_column text := CASE TG_TABLE_NAME WHEN 'results' THEN 'result_id' WHEN 'alerts' THEN 'alert_id'
                                          WHEN 'alert_events' THEN 'event_id' ELSE 'run_id' END;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM ethaudit_internal.audit_append(event, NULL, NULL, pg_catalog.jsonb_build_object('table', TG_TABLE_NAME));
        RETURN NULL;
    END IF;
    -- one event per model (alert_events and all-model runs have none)
    FOR r IN EXECUTE pg_catalog.format(
        'SELECT %s AS model, count(*) AS n, min(x.%I) AS first_id, max(x.%I) AS last_id, '
        '(array_agg(x.%I ORDER BY x.%I))[1:100] AS ids FROM %I AS x GROUP BY 1 ORDER BY 1',
        CASE WHEN TG_TABLE_NAME = 'alert_events' THEN 'NULL::text' ELSE 'x.model' END,
        key_column, key_column, key_column, key_column,
        CASE TG_OP WHEN 'DELETE' THEN 'ethaudit_old' ELSE 'ethaudit_new' END)
    LOOP
        PERFORM ethaudit_internal.audit_append(event, r.model, NULL, pg_catalog.jsonb_build_object(
            'table', TG_TABLE_NAME, 'rows', r.n, 'first_' || key_column, r.first_id,
            'last_' || key_column, r.last_id, key_column || 's', r.ids));
    END LOOP;
    RETURN NULL;
END
$function$;

CREATE OR REPLACE FUNCTION ethaudit_internal.audit_seal()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    head record;
    e ethaudit.audit_log;
BEGIN
    -- the chain lock: one sealing transaction at a time, until it commits.
    -- In READ COMMITTED the next statement sees every committed event.
    PERFORM pg_catalog.pg_advisory_xact_lock(1702127715, 0);
    IF NOT EXISTS (SELECT 1 FROM ethaudit.audit_pending p WHERE p.pending_id = NEW.pending_id) THEN
        RETURN NULL;
    END IF;
    head := ethaudit_internal.audit_head_row();
    e.seq := head.seq + 1;
    e.event_id := NEW.event_id;
    e.logged_at := NEW.logged_at;
    e.actor := NEW.actor;
    e.login_role := NEW.login_role;
    e.application_name := NEW.application_name;
    e.model := NEW.model;
    e.version := NEW.version;
    e.event_type := NEW.event_type;
    e.origin := NEW.origin;
    e.details := NEW.details;
    e.prev_hash := head.row_hash;
    e.row_hash := pg_catalog.sha256(ethaudit.audit_encoding(e));
    BEGIN
        PERFORM pg_catalog.set_config('ethaudit_audit.internal_write', 'seal', true);
        INSERT INTO ethaudit.audit_log SELECT e.*;
        PERFORM pg_catalog.set_config('ethaudit_audit.internal_write', '', true);
    EXCEPTION WHEN unique_violation THEN
        -- only with a snapshot older than the head: REPEATABLE READ or SERIALIZABLE
        RAISE EXCEPTION 'could not serialize access to the audit log: a concurrent transaction appended to it'
            USING ERRCODE = 'serialization_failure',
                  DETAIL = pg_catalog.format('Event %s would have taken position %s, which is no longer the end of the chain.', e.event_id, e.seq),
                  HINT = 'Retry the transaction; transactions that change audited objects are best run in READ COMMITTED.';
    END;
    DELETE FROM ethaudit.audit_pending p WHERE p.pending_id = NEW.pending_id;
    RETURN NULL;
END
$function$;

CREATE OR REPLACE FUNCTION ethaudit_internal.batch_query(cs ethaudit.checks[], rel regclass, batch_relation text)
 RETURNS text
 LANGUAGE plpgsql
 STABLE PARALLEL SAFE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    parts record;
    projs text[] := '{}';
    aggs text[] := '{}';
    vals text[] := '{}';
    ns text[] := '{}';
    refs text[] := '{}';
    firsts text[] := '{}';
    lasts text[] := '{}';
    times name[] := '{}';
    k integer;
    t integer;
BEGIN
    FOR k IN 1 .. cardinality(cs) LOOP
        -- each time column is projected, and its bounds computed, once
        t := array_position(times, cs[k].time_column);
        IF t IS NULL THEN
            times := times || cs[k].time_column;
            t := cardinality(times);
            projs := projs || format('src.%I AS %I', cs[k].time_column, 'time_' || t);
            aggs := aggs || format('min(%I)::timestamptz AS %I, max(%I)::timestamptz AS %I',
                                   'time_' || t, 'first_' || t, 'time_' || t, 'last_' || t);
        END IF;
        parts := ethaudit_internal.check_parts(cs[k], rel, '_' || k, false);
        IF parts.reference_rows OR cs[k].version IS NOT NULL THEN
            RAISE EXCEPTION 'check % cannot share a scan', cs[k].check_name USING ERRCODE = 'internal_error';
        END IF;
        projs := projs || parts.proj;
        aggs := aggs || format('(%s)::float8 AS %I, count(*) FILTER (WHERE %s) AS %I',
                               parts.value_expr, 'value_' || k, parts.usable, 'n_' || k);
        vals := vals || format('%I', 'value_' || k);
        ns := ns || format('%I', 'n_' || k);
        refs := refs || parts.n_reference_expr;
        firsts := firsts || format('%I', 'first_' || t);
        lasts := lasts || format('%I', 'last_' || t);
    END LOOP;
    RETURN format('SELECT ARRAY[%s]::float8[], ARRAY[%s]::bigint[], ARRAY[%s]::bigint[], '
                  'ARRAY[%s]::timestamptz[], ARRAY[%s]::timestamptz[], agg.batch_rows '
                  'FROM (SELECT %s, count(*) AS batch_rows FROM (SELECT %s, false AS r FROM %I AS src) AS s) AS agg',
                  array_to_string(vals, ', '), array_to_string(ns, ', '), array_to_string(refs, ', '),
                  array_to_string(firsts, ', '), array_to_string(lasts, ', '),
                  array_to_string(aggs, ', '), array_to_string(projs, ', '), batch_relation);
END
$function$;

CREATE OR REPLACE FUNCTION ethaudit_internal.check_columns(c ethaudit.checks, rel regclass, OUT v_expr text, OUT y_expr text, OUT p_expr text, OUT g_expr text, OUT value_kind text)
 RETURNS record
 LANGUAGE plpgsql
 STABLE PARALLEL SAFE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    m record;
    cls text;
    col name;
    cutoff float8;
BEGIN
    SELECT * INTO m FROM ethaudit.metric_catalog mc WHERE mc.metric = c.metric;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown metric "%"', c.metric
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'ethaudit.metric_catalog lists the metrics.';
    END IF;

    -- time column: date, timestamp or timestamptz
    cls := ethaudit_internal.type_class(ethaudit_internal.column_type(rel, c.time_column));
    IF cls IS DISTINCT FROM 'time' THEN
        RAISE EXCEPTION 'column "%" of relation % has type %, but time_column must be date, timestamp or timestamptz',
            c.time_column, rel, ethaudit_internal.column_type(rel, c.time_column)
            USING ERRCODE = 'datatype_mismatch';
    END IF;

    IF c.version_column IS NOT NULL THEN
        cls := ethaudit_internal.type_class(ethaudit_internal.column_type(rel, c.version_column));
        IF cls IS NULL OR cls NOT IN ('text', 'integer', 'enum') THEN
            RAISE EXCEPTION 'column "%" of relation % has type %, but version_column must be text, integer or enum',
                c.version_column, rel, ethaudit_internal.column_type(rel, c.version_column)
                USING ERRCODE = 'datatype_mismatch';
        END IF;
    END IF;

    -- value
    IF ethaudit_internal.column_use(c.metric, 'value_column', m.value_kinds IS NOT NULL, c.value_column) THEN
        cls := ethaudit_internal.type_class(ethaudit_internal.column_type(rel, c.value_column));
        value_kind := coalesce(c.value_kind,
                               CASE WHEN cls IN ('integer', 'float') THEN 'numeric'
                                    WHEN cls IN ('text', 'boolean', 'enum') THEN 'categorical' END);
        IF value_kind IS NULL
           OR (value_kind = 'numeric' AND cls NOT IN ('integer', 'float'))
           OR (value_kind = 'categorical' AND cls NOT IN ('text', 'boolean', 'enum', 'integer')) THEN
            RAISE EXCEPTION 'column "%" of relation % has type %, which cannot be read as a % value',
                c.value_column, rel, ethaudit_internal.column_type(rel, c.value_column), coalesce(value_kind, 'numeric or categorical')
                USING ERRCODE = 'datatype_mismatch',
                      HINT = 'Numeric values need an integer, real, double precision or numeric column; categories a text, boolean, enum or integer column.';
        END IF;
        IF value_kind <> ALL (m.value_kinds) THEN
            RAISE EXCEPTION 'metric % needs a % value, but column "%" of relation % is read as %',
                c.metric, array_to_string(m.value_kinds, ' or '), c.value_column, rel, value_kind
                USING ERRCODE = 'datatype_mismatch';
        END IF;
        v_expr := CASE value_kind WHEN 'numeric' THEN format('src.%I::pg_catalog.float8', c.value_column)
                                  ELSE ethaudit_internal.text_of(rel, c.value_column) END;
    END IF;
    IF c.value_kind IS NOT NULL AND m.value_kinds IS NULL THEN
        RAISE EXCEPTION 'metric % does not read value_column, so value_kind must be NULL', c.metric
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    -- label
    IF ethaudit_internal.column_use(c.metric, 'label_column', m.label_type IS NOT NULL, c.label_column) THEN
        cls := ethaudit_internal.type_class(ethaudit_internal.column_type(rel, c.label_column));
        IF m.label_type = 'boolean' AND cls = 'boolean' THEN
            y_expr := format('src.%I', c.label_column);
        ELSIF m.label_type = 'boolean' AND cls = 'integer' THEN
            y_expr := format('(src.%I OPERATOR(pg_catalog.<>) 0)', c.label_column);
        ELSIF m.label_type = 'numeric' AND cls IN ('integer', 'float') THEN
            y_expr := format('src.%I::pg_catalog.float8', c.label_column);
        ELSE
            RAISE EXCEPTION 'column "%" of relation % has type %, but metric % needs a % label',
                c.label_column, rel, ethaudit_internal.column_type(rel, c.label_column), c.metric,
                CASE m.label_type WHEN 'boolean' THEN 'boolean or 0/1 integer' ELSE 'numeric' END
                USING ERRCODE = 'datatype_mismatch';
        END IF;
    END IF;

    -- probability, score or prediction
    IF ethaudit_internal.column_use(c.metric, 'probability_column', m.probability_type IS NOT NULL, c.probability_column) THEN
        cls := ethaudit_internal.type_class(ethaudit_internal.column_type(rel, c.probability_column));
        IF m.probability_type = 'prediction' AND cls = 'boolean' THEN
            p_expr := format('src.%I', c.probability_column);
        ELSIF m.probability_type = 'prediction' AND cls IN ('integer', 'float') THEN
            cutoff := coalesce((c.params->>'cutoff')::float8, 0.5);
            p_expr := format('(src.%I::pg_catalog.float8 OPERATOR(pg_catalog.>=) %L::pg_catalog.float8)',
                             c.probability_column, cutoff);
        ELSIF m.probability_type = 'score' AND cls IN ('integer', 'float') THEN
            p_expr := format('src.%I::pg_catalog.float8', c.probability_column);
        ELSIF m.probability_type = 'probability' AND cls = 'float' THEN
            p_expr := format('src.%I::pg_catalog.float8', c.probability_column);
        ELSE
            RAISE EXCEPTION 'column "%" of relation % has type %, but metric % needs %',
                c.probability_column, rel, ethaudit_internal.column_type(rel, c.probability_column), c.metric,
                CASE m.probability_type
                    WHEN 'prediction' THEN 'a boolean prediction or a numeric score'
                    WHEN 'score' THEN 'a numeric score'
                    ELSE 'a real, double precision or numeric probability' END
                USING ERRCODE = 'datatype_mismatch';
        END IF;
    END IF;

    -- group
    IF ethaudit_internal.column_use(c.metric, 'group_column', m.needs_group, c.group_column) THEN
        cls := ethaudit_internal.type_class(ethaudit_internal.column_type(rel, c.group_column));
        IF cls IS NULL OR cls NOT IN ('text', 'boolean', 'enum', 'integer') THEN
            RAISE EXCEPTION 'column "%" of relation % has type %, but group_column must be text, boolean, enum or integer',
                c.group_column, rel, ethaudit_internal.column_type(rel, c.group_column)
                USING ERRCODE = 'datatype_mismatch';
        END IF;
        g_expr := ethaudit_internal.text_of(rel, c.group_column);
    END IF;

    -- null_share: the columns that must be present
    IF c.metric = 'null_share' THEN
        IF c.required_columns IS NOT NULL AND cardinality(c.required_columns) = 0 THEN
            RAISE EXCEPTION 'required_columns of check % is empty', c.check_name
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        SELECT string_agg(format('src.%I IS NULL', x.col), ' OR ' ORDER BY x.ord)
        INTO v_expr
        FROM unnest(coalesce(c.required_columns, ARRAY[c.time_column])) WITH ORDINALITY AS x(col, ord);
        FOREACH col IN ARRAY coalesce(c.required_columns, ARRAY[c.time_column]) LOOP
            IF col IS NULL THEN
                RAISE EXCEPTION 'required_columns of check % contains NULL', c.check_name
                    USING ERRCODE = 'null_value_not_allowed';
            END IF;
            PERFORM ethaudit_internal.column_type(rel, col);
        END LOOP;
        v_expr := '(' || v_expr || ')';
    ELSIF c.required_columns IS NOT NULL THEN
        RAISE EXCEPTION 'metric % does not read required_columns (only null_share does)', c.metric
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
END
$function$;

CREATE OR REPLACE FUNCTION ethaudit_internal.check_config(c ethaudit.checks, rel regclass, op text)
 RETURNS ethaudit.checks
 LANGUAGE plpgsql
 STABLE PARALLEL SAFE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    m record;
    cols record;
    k text;
    allowed text[];
BEGIN
    SELECT * INTO m FROM ethaudit.metric_catalog mc WHERE mc.metric = c.metric;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown metric "%" in check %', c.metric, c.check_name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'ethaudit.metric_catalog lists the metrics.';
    END IF;
    IF c.mode IS NULL OR c.mode NOT IN ('scheduled', 'insert_batch', 'insert_window') THEN
        RAISE EXCEPTION 'invalid mode "%" for check %', c.mode, c.check_name
            USING ERRCODE = 'check_violation',
                  HINT = 'The modes are scheduled, insert_batch and insert_window.';
    END IF;

    IF c.check_name IS NULL OR c.check_name = '' OR c.check_name <> btrim(c.check_name) OR length(c.check_name) > 200 THEN
        RAISE EXCEPTION 'invalid check name "%"', c.check_name
            USING ERRCODE = 'check_violation',
                  HINT = 'A check name has 1 to 200 characters and no leading or trailing spaces.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM ethaudit.models mo WHERE mo.model = c.model) THEN
        RAISE EXCEPTION 'model "%" of check % is not registered', c.model, c.check_name
            USING ERRCODE = 'foreign_key_violation',
                  HINT = 'Register it first: INSERT INTO ethaudit.models (model) VALUES (...).';
    END IF;
    IF c.version IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ethaudit.model_versions mv
                                             WHERE mv.model = c.model AND mv.version = c.version) THEN
        RAISE EXCEPTION 'version % of model % (check %) is not registered', c.version, c.model, c.check_name
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    -- A disabled check is not validated against its source, so that a check
    -- whose table or column is gone can still be disabled; it is validated
    -- again when it is enabled.
    IF c.enabled OR rel IS NOT NULL THEN
        rel := ethaudit_internal.check_source(rel, c.source, c.mode <> 'scheduled');
        c.source := ethaudit_internal.qualified_name(rel);
        -- the checks run as the source's owner: only a role that may read the
        -- source itself may point a check at it
        IF NOT pg_catalog.has_table_privilege(ethaudit.session_role(), rel, 'SELECT') THEN
            RAISE EXCEPTION 'role % may not read relation %, so it cannot check it', ethaudit.session_role(), rel
                USING ERRCODE = 'insufficient_privilege',
                      HINT = 'The role that writes a check needs SELECT on its source.';
        END IF;
    END IF;

    -- params: known keys with values of the right type
    IF c.params IS NULL OR pg_catalog.jsonb_typeof(c.params) <> 'object' THEN
        RAISE EXCEPTION 'params of check % must be a JSON object', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    allowed := m.params;
    FOR k IN SELECT pg_catalog.jsonb_object_keys(c.params) LOOP
        IF k <> ALL (allowed) THEN
            RAISE EXCEPTION 'metric % does not take parameter "%"', c.metric, k
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = CASE WHEN pg_catalog.cardinality(allowed) = 0 THEN 'It takes no parameters.'
                                  ELSE 'It takes: ' || pg_catalog.array_to_string(allowed, ', ') || '.' END;
        END IF;
    END LOOP;
    IF c.params ? 'bins' AND (pg_catalog.jsonb_typeof(c.params->'bins') <> 'number'
            OR (c.params->>'bins')::numeric <> pg_catalog.trunc((c.params->>'bins')::numeric)
            OR (c.params->>'bins')::numeric NOT BETWEEN 2 AND 10000) THEN
        RAISE EXCEPTION 'params.bins of check % must be an integer from 2 to 10000', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF c.params ? 'binning' AND coalesce(c.params->>'binning', '') NOT IN ('default', 'evidently') THEN
        RAISE EXCEPTION 'params.binning of check % must be "default" or "evidently"', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF c.params ? 'bins' AND c.params ? 'binning' THEN
        RAISE EXCEPTION 'check % sets both params.bins and params.binning', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF c.params ? 'cutoff' AND (pg_catalog.jsonb_typeof(c.params->'cutoff') <> 'number') THEN
        RAISE EXCEPTION 'params.cutoff of check % must be a number', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- minimum group sizes of the group gaps
    FOREACH k IN ARRAY ARRAY['min_positives', 'min_negatives', 'min_size'] LOOP
        IF c.params ? k AND (pg_catalog.jsonb_typeof(c.params->k) <> 'number'
                OR (c.params->>k)::numeric <> pg_catalog.trunc((c.params->>k)::numeric)
                OR (c.params->>k)::numeric NOT BETWEEN 1 AND 2147483647) THEN
            RAISE EXCEPTION 'params.% of check % must be a positive integer', k, c.check_name
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END LOOP;

    IF c.enabled THEN
        cols := ethaudit_internal.check_columns(c, rel);
        c.value_kind := cols.value_kind;
    END IF;
    -- an option of the metric's aggregate must exist for this kind of
    -- value (the catalog's aggregates decide: bins are for numbers only)
    IF c.value_kind IS NOT NULL THEN
        FOR k IN SELECT o FROM ethaudit_internal.metrics mt, unnest(mt.options) AS o
                 WHERE mt.metric = c.metric AND c.params ? o
                   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_proc p
                                   WHERE p.pronamespace = 'ethaudit'::regnamespace AND p.prokind = 'a'
                                     AND p.proname = mt.aggregate
                                     AND p.pronargs = pg_catalog.cardinality(mt.reads) + 1
                                     AND p.proargtypes[0] = CASE c.value_kind WHEN 'numeric' THEN 'float8'::regtype
                                                                              ELSE 'text'::regtype END
                                     AND p.proargtypes[p.pronargs - 1] = CASE o WHEN 'binning' THEN 'text'::regtype
                                                                                ELSE 'int4'::regtype END) LOOP
            RAISE EXCEPTION 'metric % over a % value_column does not take parameter "%"', c.metric, c.value_kind, k
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = CASE WHEN k = 'bins' THEN 'Categories are their own bins; params.binning chooses the zero rule.'
                                  ELSE 'ethaudit.metric_catalog lists the parameters of each metric.' END;
        END LOOP;
    END IF;

    IF c.version IS NOT NULL AND c.version_column IS NULL THEN
        RAISE EXCEPTION 'check % is pinned to version %, so it needs version_column', c.check_name, c.version
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    -- the window
    IF c.window_size IS NOT NULL AND c.window_rows IS NOT NULL THEN
        RAISE EXCEPTION 'check % sets both window_size and window_rows', c.check_name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'A window is either a time span or a number of rows.';
    END IF;
    IF c.mode <> 'insert_batch' AND c.window_size IS NULL AND c.window_rows IS NULL THEN
        RAISE EXCEPTION 'check % needs window_size or window_rows', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF c.window_size IS NOT NULL AND c.window_size <= interval '0' THEN
        RAISE EXCEPTION 'window_size of check % must be positive, not %', c.check_name, c.window_size
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF c.window_rows IS NOT NULL AND c.window_rows < 1 THEN
        RAISE EXCEPTION 'window_rows of check % must be positive, not %', c.check_name, c.window_rows
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- bounded, so that as_of minus a window is always a timestamp (validated
    -- here rather than failing at every run)
    IF c.window_size > interval '100 years' OR c.reference_size > interval '100 years'
       OR c.window_lag > interval '100 years' OR c.min_interval > interval '100 years' THEN
        RAISE EXCEPTION 'the window sizes, window_lag and min_interval of check % must not exceed 100 years', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF c.window_lag IS NULL OR c.window_lag < interval '0' THEN
        RAISE EXCEPTION 'window_lag of check % must be zero or positive', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF c.min_interval IS NOT NULL AND (c.mode <> 'insert_window' OR c.min_interval < interval '0') THEN
        RAISE EXCEPTION 'min_interval of check % applies only to mode insert_window, and must not be negative', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    -- the reference
    IF NOT m.needs_reference THEN
        IF c.reference_kind IS NOT NULL OR c.reference_size IS NOT NULL OR c.reference_rows IS NOT NULL
           OR c.reference_start IS NOT NULL OR c.reference_end IS NOT NULL OR c.baseline_id IS NOT NULL THEN
            RAISE EXCEPTION 'metric % compares no reference, so check % must not set reference_kind or its fields',
                c.metric, c.check_name
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    ELSIF c.reference_kind IS NULL THEN
        RAISE EXCEPTION 'metric % needs a reference: set reference_kind of check % to preceding, fixed or baseline',
            c.metric, c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    ELSIF c.reference_kind = 'preceding' THEN
        IF c.reference_start IS NOT NULL OR c.reference_end IS NOT NULL OR c.baseline_id IS NOT NULL THEN
            RAISE EXCEPTION 'check % has reference_kind preceding, so reference_start, reference_end and baseline_id must be NULL', c.check_name
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF c.window_rows IS NOT NULL THEN
            IF c.reference_size IS NOT NULL THEN
                RAISE EXCEPTION 'check % has a row window, so its preceding reference is sized by reference_rows, not reference_size', c.check_name
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            IF c.reference_rows IS NOT NULL AND c.reference_rows < 1 THEN
                RAISE EXCEPTION 'reference_rows of check % must be positive', c.check_name
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
        ELSE
            IF c.reference_rows IS NOT NULL THEN
                RAISE EXCEPTION 'check % has a time window, so its preceding reference is sized by reference_size, not reference_rows', c.check_name
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            IF c.reference_size IS NULL AND c.window_size IS NULL THEN
                RAISE EXCEPTION 'check % evaluates inserted batches against the preceding window, so it needs reference_size', c.check_name
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            IF c.reference_size IS NOT NULL AND c.reference_size <= interval '0' THEN
                RAISE EXCEPTION 'reference_size of check % must be positive', c.check_name
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
        END IF;
    ELSIF c.reference_kind = 'fixed' THEN
        IF c.reference_start IS NULL OR c.reference_end IS NULL OR c.reference_start >= c.reference_end THEN
            RAISE EXCEPTION 'check % has reference_kind fixed, so it needs reference_start < reference_end', c.check_name
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF c.reference_size IS NOT NULL OR c.reference_rows IS NOT NULL OR c.baseline_id IS NOT NULL THEN
            RAISE EXCEPTION 'check % has reference_kind fixed, so reference_size, reference_rows and baseline_id must be NULL', c.check_name
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    ELSIF c.reference_kind = 'baseline' THEN
        IF c.reference_size IS NOT NULL OR c.reference_rows IS NOT NULL
           OR c.reference_start IS NOT NULL OR c.reference_end IS NOT NULL THEN
            RAISE EXCEPTION 'check % has reference_kind baseline, so reference_size, reference_rows, reference_start and reference_end must be NULL', c.check_name
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF NOT m.baseline_capable THEN
            RAISE EXCEPTION 'metric % cannot compare with a stored baseline', c.metric
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Use reference_kind preceding or fixed, or a metric listed with baseline_capable in ethaudit.metric_catalog.';
        END IF;
        IF c.params ? 'bins' OR c.params ? 'binning' THEN
            RAISE EXCEPTION 'check % compares with a stored baseline, which brings its own bins: params.bins and params.binning are not allowed', c.check_name
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF c.baseline_id IS NULL THEN
            RAISE EXCEPTION 'check % has reference_kind baseline, so it needs baseline_id', c.check_name
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        -- defined with the baselines table (stored_baselines.sql)
        IF c.enabled THEN
            PERFORM ethaudit_internal.check_baseline_matches(c);
        END IF;
    END IF;

    IF op = 'UPDATE' THEN
        c.updated_at := pg_catalog.now();
    END IF;
    RETURN c;
END
$function$;

CREATE OR REPLACE FUNCTION ethaudit_internal.check_parts(c ethaudit.checks, rel regclass, suffix text DEFAULT ''::text, with_time boolean DEFAULT true, OUT proj text, OUT value_expr text, OUT usable text, OUT n_reference_expr text, OUT reference_rows boolean)
 RETURNS record
 LANGUAGE plpgsql
 STABLE PARALLEL SAFE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    m ethaudit_internal.metrics;
    cols record;
    opt text := '';
    ref_arg text := 's.r';
    baseline text;
    categories text[];
    lookup text;
    args text[];                -- the call's arguments, in the order of m.reads
    columns text[];             -- those that are columns of the sample
    key text;
    v text := 's.v' || suffix;
    y text := 's.y' || suffix;
    p text := 's.p' || suffix;
    g text := 's.g' || suffix;
BEGIN
    SELECT * INTO m FROM ethaudit_internal.metrics WHERE metric = c.metric;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'metric % has no query', c.metric USING ERRCODE = 'internal_error';
    END IF;
    cols := ethaudit_internal.check_columns(c, rel);
    proj := format('%s AS %I, %s AS %I, %s AS %I, %s AS %I',
                   coalesce(cols.v_expr, 'NULL::float8'), 'v' || suffix,
                   coalesce(cols.y_expr, 'NULL::boolean'), 'y' || suffix,
                   coalesce(cols.p_expr, 'NULL::float8'), 'p' || suffix,
                   coalesce(cols.g_expr, 'NULL::text'), 'g' || suffix);
    IF with_time THEN
        proj := proj || format(', src.%I AS %I', c.time_column, 't' || suffix);
    END IF;
    reference_rows := c.reference_kind IN ('preceding', 'fixed');
    n_reference_expr := 'NULL::bigint';
    IF c.reference_kind = 'baseline' THEN
        baseline := format('(SELECT b.baseline FROM ethaudit.baselines b WHERE b.baseline_id = %s)', c.baseline_id);
        ref_arg := baseline;
        n_reference_expr := format('ethaudit.baseline_n(%s)', baseline);
    END IF;
    -- the option argument: the first of the metric's options present in params
    FOREACH key IN ARRAY m.options LOOP
        IF c.params ? key THEN
            opt := CASE WHEN key = 'binning' THEN format(', %L', c.params->>key)
                        ELSE format(', %s', (c.params->>key)::integer) END;
            EXIT;
        END IF;
    END LOOP;

    SELECT array_agg(CASE r.a WHEN 'v' THEN v WHEN 'y' THEN y WHEN 'p' THEN p WHEN 'g' THEN g
                              ELSE ref_arg END ORDER BY r.o),
           array_agg(CASE r.a WHEN 'v' THEN v WHEN 'y' THEN y WHEN 'p' THEN p ELSE g END ORDER BY r.o)
               FILTER (WHERE r.a <> 'reference')
    INTO args, columns
    FROM unnest(m.reads) WITH ORDINALITY AS r(a, o);

    -- which rows are usable (counted in n_current and n_reference): those
    -- without a NULL in a column the metric reads, and against a reference
    -- without a NaN value (the drift aggregates skip NaN)
    IF m.counts_every_row THEN
        usable := 'true';
    ELSE
        SELECT string_agg(format('%s IS NOT NULL', a), ' AND ') INTO usable FROM unnest(columns) a;
        IF m.needs_reference AND cols.value_kind = 'numeric' THEN
            usable := usable || format(' AND %s <> ''NaN''::float8', v);
        END IF;
    END IF;

    IF m.baseline_shape = 'category_lookup' AND c.reference_kind = 'baseline' THEN
        -- Up to 10000 stored categories become a constant array, which the
        -- executor looks up with a hash table; more are read from the table.
        SELECT ethaudit.baseline_categories(b.baseline) INTO categories
        FROM ethaudit.baselines b WHERE b.baseline_id = c.baseline_id;
        IF cardinality(categories) <= 10000 THEN
            lookup := format('%s = ANY (%L::text[])', v, categories);
        ELSE
            lookup := format('%s IN (SELECT unnest(ethaudit.baseline_categories(b.baseline)) '
                             'FROM ethaudit.baselines b WHERE b.baseline_id = %s)', v, c.baseline_id);
        END IF;
        value_expr := format('count(*) FILTER (WHERE NOT s.r AND %s IS NOT NULL AND NOT (%s))::float8 '
                             '/ nullif(count(*) FILTER (WHERE NOT s.r AND %s IS NOT NULL), 0)',
                             v, lookup, v);
    ELSIF m.shape = 'row_share' THEN
        value_expr := format('count(*) FILTER (WHERE %s)::float8 / nullif(%s, 0)',
                             format(m.row_condition, v, y, p, g),
                             CASE WHEN m.counts_every_row THEN 'count(*)'
                                  ELSE format('count(*) FILTER (WHERE %s)', usable) END);
    ELSE
        value_expr := format('ethaudit.%I(%s%s)', m.aggregate, array_to_string(args, ', '), opt);
        IF m.result_field IS NOT NULL THEN
            value_expr := format('(%s).%I', value_expr, m.result_field);
        END IF;
    END IF;
    IF reference_rows THEN
        n_reference_expr := format('count(*) FILTER (WHERE s.r AND (%s))', usable);
    END IF;
END
$function$;

CREATE OR REPLACE FUNCTION ethaudit_internal.check_query(c ethaudit.checks, rel regclass, batch_relation text DEFAULT NULL::text)
 RETURNS text
 LANGUAGE plpgsql
 STABLE PARALLEL SAFE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    parts record;
    ver text := '';
    t text := format('src.%I', c.time_column);
    cur text;
    ref text;
BEGIN
    parts := ethaudit_internal.check_parts(c, rel);
    IF c.version IS NOT NULL THEN
        ver := format(' AND %s = %L', ethaudit_internal.text_of(rel, c.version_column), c.version);
    END IF;

    -- the current sample
    IF batch_relation IS NOT NULL THEN
        cur := format('SELECT %s, false AS r FROM %I AS src WHERE true%s', parts.proj, batch_relation, ver);
    ELSIF c.window_rows IS NOT NULL THEN
        cur := format('SELECT %s, false AS r FROM %s AS src WHERE %s < $2%s ORDER BY 5 DESC LIMIT %s',
                      parts.proj, rel, t, ver, c.window_rows);
    ELSIF c.window_size IS NOT NULL THEN
        cur := format('SELECT %s, false AS r FROM %s AS src WHERE %s >= $1 AND %s < $2%s', parts.proj, rel, t, t, ver);
    ELSE
        RAISE EXCEPTION 'check % is evaluated per inserted batch and has no window', c.check_name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Set window_size or window_rows to evaluate it over a window too.';
    END IF;

    -- the reference sample
    IF c.reference_kind = 'fixed' OR (c.reference_kind = 'preceding' AND c.window_rows IS NULL) THEN
        ref := format('SELECT %s, true AS r FROM %s AS src WHERE %s >= $3 AND %s < $4%s', parts.proj, rel, t, t, ver);
    ELSIF c.reference_kind = 'preceding' AND batch_relation IS NOT NULL THEN
        ref := format('SELECT %s, true AS r FROM %s AS src WHERE %s < $4%s ORDER BY 5 DESC LIMIT %s',
                      parts.proj, rel, t, ver, coalesce(c.reference_rows, c.window_rows));
    ELSIF c.reference_kind = 'preceding' THEN
        ref := format('SELECT %s, true AS r FROM %s AS src WHERE %s < $2%s ORDER BY 5 DESC OFFSET %s LIMIT %s',
                      parts.proj, rel, t, ver, c.window_rows, coalesce(c.reference_rows, c.window_rows));
    END IF;

    RETURN format(
        'SELECT (%s)::float8 AS value, count(*) FILTER (WHERE NOT s.r AND (%s)) AS n_current, %s AS n_reference, '
        'min(s.t) FILTER (WHERE NOT s.r)::timestamptz AS first_time, max(s.t) FILTER (WHERE NOT s.r)::timestamptz AS last_time, '
        'min(s.t) FILTER (WHERE s.r)::timestamptz AS ref_first, max(s.t) FILTER (WHERE s.r)::timestamptz AS ref_last '
        'FROM ((%s)%s) AS s',
        parts.value_expr, parts.usable, parts.n_reference_expr, cur,
        CASE WHEN ref IS NULL THEN '' ELSE format(' UNION ALL (%s)', ref) END);
END
$function$;

CREATE OR REPLACE FUNCTION ethaudit_internal.commit_run_results(run_id bigint)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    digests jsonb;
    run ethaudit.runs;
BEGIN
    SELECT * INTO run FROM ethaudit.runs r WHERE r.run_id = commit_run_results.run_id;
    SELECT pg_catalog.jsonb_object_agg(r.result_id::text,
               pg_catalog.encode(pg_catalog.sha256(ethaudit.result_encoding(r)), 'hex'))
    INTO digests FROM ethaudit.results r WHERE r.run_id = commit_run_results.run_id;
    IF digests IS NULL THEN
        RETURN;
    END IF;
    PERFORM ethaudit_internal.audit_append('results_recorded', run.model, NULL,
        pg_catalog.jsonb_build_object('run_id', run.run_id, 'kind', run.kind, 'run_by', run.run_by,
                                      'source', run.source, 'results', digests));
END
$function$;

CREATE OR REPLACE FUNCTION ethaudit_internal.evaluate_check(c ethaudit.checks, run_id bigint, as_of timestamp with time zone)
 RETURNS ethaudit.results
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET "TimeZone" TO 'UTC'
AS $function$
DECLARE
    started timestamptz := clock_timestamp();
    rel regclass;
    q text;
    t_end timestamptz := as_of - c.window_lag;
    cur_start timestamptz;
    ref_start timestamptz;
    ref_end timestamptz;
    r record;
    state text;
    msg text;
BEGIN
    BEGIN
        rel := ethaudit_internal.check_source(pg_catalog.to_regclass(c.source), c.source, c.mode <> 'scheduled');
        q := ethaudit_internal.check_query(c, rel);
        IF c.window_size IS NOT NULL THEN
            cur_start := t_end - c.window_size;
        END IF;
        IF c.reference_kind = 'fixed' THEN
            ref_start := c.reference_start;
            ref_end := c.reference_end;
        ELSIF c.reference_kind = 'preceding' AND c.window_size IS NOT NULL THEN
            ref_start := cur_start - coalesce(c.reference_size, c.window_size);
            ref_end := cur_start;
        END IF;
        -- as the source's owner: its view, functions and policies never run
        -- with the rights of whoever runs the checks
        SELECT * INTO r FROM ethaudit_internal.run_as_owner(rel, q, ARRAY[cur_start, t_end, ref_start, ref_end])
            AS x(value float8, n_current bigint, n_reference bigint, first_time timestamptz,
                 last_time timestamptz, ref_first timestamptz, ref_last timestamptz);
        RETURN ethaudit_internal.record_result(c, run_id, r.value, r.n_current, r.n_reference,
                                      coalesce(cur_start, r.first_time),
                                      CASE WHEN c.window_size IS NOT NULL THEN t_end ELSE r.last_time END,
                                      coalesce(ref_start, r.ref_first), coalesce(ref_end, r.ref_last),
                                      started);
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
    END;
    -- recorded outside the failed block, so that the failure is kept
    RETURN ethaudit_internal.record_result(c, run_id, NULL, NULL, NULL, cur_start, t_end, ref_start, ref_end,
                                  started, state, msg);
END
$function$;

CREATE OR REPLACE FUNCTION ethaudit_internal.finish_run(run_id bigint, statuses text[])
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
    UPDATE ethaudit.runs r SET
        finished_at = pg_catalog.clock_timestamp(),
        checks = coalesce(pg_catalog.cardinality(statuses), 0),
        ok = (SELECT count(*) FROM unnest(statuses) x WHERE x = 'ok'),
        warning = (SELECT count(*) FROM unnest(statuses) x WHERE x = 'warning'),
        critical = (SELECT count(*) FROM unnest(statuses) x WHERE x = 'critical'),
        insufficient_data = (SELECT count(*) FROM unnest(statuses) x WHERE x = 'insufficient_data'),
        error = (SELECT count(*) FROM unnest(statuses) x WHERE x = 'error'),
        skipped = (SELECT count(*) FROM unnest(statuses) x WHERE x = 'skipped')
    WHERE r.run_id = finish_run.run_id;
    -- the run's results, committed to the audit log
    PERFORM ethaudit_internal.commit_run_results(finish_run.run_id);
END
$function$;

CREATE OR REPLACE FUNCTION ethaudit_internal.log_alert_event(a ethaudit.alerts, event text, actor name, note text, result_id bigint DEFAULT NULL::bigint)
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
    INSERT INTO ethaudit.alert_events (alert_id, event, actor, severity, value, result_id, note)
    VALUES (a.alert_id, event, actor, a.severity, a.last_value, result_id, note);
    IF event = 'opened' THEN
        -- the audit log (audit_log.sql); the later steps are recorded by a
        -- trigger on alerts, but a restore inserts alerts too
        PERFORM ethaudit_internal.audit_alert_opened(a, result_id);
    END IF;
END
$function$;

CREATE OR REPLACE FUNCTION ethaudit_internal.monitor_batch()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET "TimeZone" TO 'UTC'
AS $function$
DECLARE
    src text := format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME);
    rel regclass := TG_RELID;
    c ethaudit.checks;
    shared ethaudit.checks[];
    run bigint;
    n_rows bigint;
    res ethaudit.results;
    q text;
    r record;
    vals float8[];
    ns bigint[];
    nrefs bigint[];
    firsts timestamptz[];
    lasts timestamptz[];
    k integer;
    started timestamptz;
    ref_start timestamptz;
    ref_end timestamptz;
    state text;
    msg text;
    statuses text[] := '{}';
BEGIN
    IF TG_WHEN <> 'AFTER' OR TG_LEVEL <> 'STATEMENT' OR TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION 'ethaudit_internal.monitor_batch() must be an AFTER INSERT ... FOR EACH STATEMENT trigger'
            USING ERRCODE = 'trigger_protocol_violated',
                  HINT = 'Attach it with ethaudit.monitor_table().';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM ethaudit.checks ch
                   WHERE ch.source = src AND ch.mode <> 'scheduled' AND ch.enabled)
       OR NOT EXISTS (SELECT 1 FROM ethaudit_batch) THEN
        RETURN NULL;
    END IF;
    INSERT INTO ethaudit.runs AS x (kind, source, as_of, run_by)
    VALUES ('insert', src, now(), ethaudit.session_role()) RETURNING x.run_id INTO run;

    -- 1. batch checks without reference rows: one scan of the batch for all
    --    of them; if that fails, each is evaluated on its own (step 2)
    SELECT array_agg(ch ORDER BY ch.model, ch.check_id) INTO shared
    FROM ethaudit.checks ch
    WHERE ch.source = src AND ch.mode = 'insert_batch' AND ch.enabled AND ch.version IS NULL
      AND (ch.reference_kind IS NULL OR ch.reference_kind = 'baseline');
    IF shared IS NOT NULL THEN
        started := clock_timestamp();
        BEGIN
            PERFORM ethaudit_internal.check_source(rel, src, true);
            EXECUTE ethaudit_internal.batch_query(shared, rel, 'ethaudit_batch')
                INTO vals, ns, nrefs, firsts, lasts, n_rows;
            FOR k IN 1 .. cardinality(shared) LOOP
                res := ethaudit_internal.record_result(shared[k], run, vals[k], ns[k], nrefs[k], firsts[k], lasts[k],
                                              NULL, NULL, started);
                statuses := statuses || res.status;
            END LOOP;
        EXCEPTION WHEN OTHERS THEN
            -- the block's results are rolled back: forget them too
            shared := NULL;
            n_rows := NULL;
            statuses := '{}';
        END;
    END IF;

    -- 2. the other batch checks (and all of them if step 1 failed), and
    --    the sliding windows
    FOR c IN
        SELECT ch.* FROM ethaudit.checks ch
        LEFT JOIN ethaudit.model_versions v ON v.model = ch.model AND v.version = ch.version
        WHERE ch.source = src AND ch.mode <> 'scheduled' AND ch.enabled
          AND v.stage IS DISTINCT FROM 'retired'
          AND (shared IS NULL OR ch.check_id <> ALL (SELECT x.check_id FROM unnest(shared) x))
        ORDER BY ch.model, ch.check_id
    LOOP
        IF c.mode = 'insert_window' THEN
            -- the sliding window: the check's window, ending now
            IF (c.min_interval IS NOT NULL AND EXISTS (
                    SELECT 1 FROM ethaudit.results x
                    WHERE x.check_id = c.check_id AND x.evaluated_at > clock_timestamp() - c.min_interval))
               OR NOT ethaudit_internal.lock_check(c.check_id) THEN
                statuses := statuses || 'skipped'::text;
                CONTINUE;
            END IF;
            res := ethaudit_internal.evaluate_check(c, run, now());
            statuses := statuses || res.status;
            CONTINUE;
        END IF;

        -- insert_batch: the query must run here, where the transition table
        -- ethaudit_batch is visible
        started := clock_timestamp();
        ref_start := NULL;
        ref_end := NULL;
        state := NULL;
        BEGIN
            PERFORM ethaudit_internal.check_source(rel, src, true);
            q := ethaudit_internal.check_query(c, rel, 'ethaudit_batch');
            IF c.reference_kind = 'fixed' THEN
                ref_start := c.reference_start;
                ref_end := c.reference_end;
            ELSIF c.reference_kind = 'preceding' THEN
                EXECUTE format('SELECT min(%I)::timestamptz FROM ethaudit_batch', c.time_column) INTO ref_end;
                ref_start := ref_end - coalesce(c.reference_size, c.window_size);
            END IF;
            EXECUTE q INTO r USING NULL::timestamptz, NULL::timestamptz, ref_start, ref_end;
            res := ethaudit_internal.record_result(c, run, r.value, r.n_current, r.n_reference,
                                          r.first_time, r.last_time,
                                          coalesce(ref_start, r.ref_first),
                                          CASE WHEN c.window_rows IS NULL THEN ref_end ELSE r.ref_last END,
                                          started);
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
        END;
        IF state IS NOT NULL THEN
            res := ethaudit_internal.record_result(c, run, NULL, NULL, NULL, NULL, NULL, ref_start, ref_end,
                                          started, state, msg);
        END IF;
        statuses := statuses || res.status;
    END LOOP;

    IF n_rows IS NULL THEN
        SELECT count(*) INTO n_rows FROM ethaudit_batch;
    END IF;
    UPDATE ethaudit.runs x SET batch_rows = n_rows WHERE x.run_id = run;
    PERFORM ethaudit_internal.finish_run(run, statuses);
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    -- monitoring must never lose the user's rows
    GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
    RAISE WARNING 'ethaudit: the batch inserted into % could not be checked: %', src, msg;
    RETURN NULL;
END
$function$;

CREATE OR REPLACE FUNCTION ethaudit.monitor_table(source regclass, model text, time_column name, required_columns name[] DEFAULT NULL::name[], probability_column name DEFAULT NULL::name, category_columns name[] DEFAULT NULL::name[], reference_size interval DEFAULT '7 days'::interval)
 RETURNS SETOF ethaudit.checks
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    src text;
    col name;
    c ethaudit.checks;
    thr record;
BEGIN
    IF source IS NULL OR model IS NULL OR time_column IS NULL THEN
        RAISE EXCEPTION 'source, model and time_column must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM ethaudit_internal.check_source(source, source::text, true);
    src := ethaudit_internal.qualified_name(source);
    -- every column named must exist, also when no check reads it (a trigger
    -- with no check would otherwise be attached to a table it cannot audit)
    FOR col IN SELECT x FROM unnest(ARRAY[time_column, probability_column]
                                    || coalesce(required_columns, '{}') || coalesce(category_columns, '{}')) AS x
               WHERE x IS NOT NULL LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                       WHERE a.attrelid = source AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped) THEN
            RAISE EXCEPTION 'column "%" of relation % does not exist', col, src
                USING ERRCODE = 'undefined_column';
        END IF;
    END LOOP;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_trigger tg
               WHERE tg.tgrelid = source AND tg.tgfoid = 'ethaudit_internal.monitor_batch()'::regprocedure) THEN
        RAISE EXCEPTION 'table % is already monitored', source
            USING ERRCODE = 'duplicate_object',
                  HINT = 'Add checks with mode insert_batch or insert_window to ethaudit.checks, or call ethaudit.unmonitor_table() first.';
    END IF;

    FOR thr IN
        SELECT x.metric, x.col, x.warn, x.critical
        FROM (VALUES ('null_share', NULL::name, 0::float8, 0.05::float8, required_columns IS NOT NULL, 1),
                     ('invalid_probability_share', NULL, NULL, 0, probability_column IS NOT NULL, 2)) AS x(metric, col, warn, critical, wanted, ord)
        WHERE x.wanted
        UNION ALL
        SELECT 'unseen_share', u.col, 0, 0.05
        FROM unnest(category_columns) WITH ORDINALITY AS u(col, ord)
    LOOP
        INSERT INTO ethaudit.checks AS ch
            (check_name, model, metric, mode, source, time_column, value_column, probability_column,
             required_columns, reference_kind, reference_size, min_samples, description)
        VALUES (format('%s: %s', src, CASE WHEN thr.col IS NULL THEN thr.metric
                                           ELSE format('%s of %s', thr.metric, thr.col) END),
                monitor_table.model, thr.metric, 'insert_batch', src, monitor_table.time_column,
                thr.col,
                CASE WHEN thr.metric = 'invalid_probability_share' THEN monitor_table.probability_column END,
                CASE WHEN thr.metric = 'null_share' THEN monitor_table.required_columns END,
                CASE WHEN thr.metric = 'unseen_share' THEN 'preceding' END,
                CASE WHEN thr.metric = 'unseen_share' THEN monitor_table.reference_size END,
                1,
                'created by ethaudit.monitor_table()')
        RETURNING ch.* INTO c;
        INSERT INTO ethaudit.thresholds (check_id, warn, critical) VALUES (c.check_id, thr.warn, thr.critical);
        RETURN NEXT c;
    END LOOP;

    EXECUTE format('CREATE TRIGGER ethaudit_monitor AFTER INSERT ON %s REFERENCING NEW TABLE AS ethaudit_batch '
                   'FOR EACH STATEMENT EXECUTE FUNCTION ethaudit_internal.monitor_batch()', source);
    EXECUTE format('COMMENT ON TRIGGER ethaudit_monitor ON %s IS %L', source,
                   'ethaudit: checks each inserted batch (see ethaudit.checks, mode insert_batch / insert_window)');
END
$function$;

CREATE OR REPLACE FUNCTION ethaudit.pseudonymise(value text)
 RETURNS text
 LANGUAGE plpgsql
 STRICT SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
    RETURN ethaudit_internal.pseudonym_with(ethaudit_internal.active_key('pseudonym'), value);
END
$function$;

CREATE OR REPLACE FUNCTION ethaudit.pseudonymise(value text, key_id integer)
 RETURNS text
 LANGUAGE plpgsql
 STABLE PARALLEL SAFE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    k ethaudit.keys;
BEGIN
    IF key_id IS NULL THEN
        RAISE EXCEPTION 'key_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT * INTO k FROM ethaudit.keys x WHERE x.key_id = pseudonymise.key_id AND x.purpose = 'pseudonym';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'pseudonym key % does not exist', key_id USING ERRCODE = 'undefined_object';
    END IF;
    RETURN ethaudit_internal.pseudonym_with(k, value);
END
$function$;

CREATE OR REPLACE FUNCTION ethaudit_internal.raise_cooccurring_priority(model text)
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    a ethaudit.alerts;
BEGIN
    FOR a IN
        UPDATE ethaudit.alerts f SET
            priority = 'high',
            priority_reason = (
                SELECT format('open together with %s alert %s on check %s', o.family, o.alert_id, ch.check_name)
                FROM ethaudit.alerts o JOIN ethaudit.checks ch ON ch.check_id = o.check_id
                WHERE o.model = f.model AND o.status <> 'resolved' AND o.family IN ('drift', 'performance')
                ORDER BY o.opened_at, o.alert_id LIMIT 1)
        WHERE f.model = raise_cooccurring_priority.model AND f.family = 'fairness'
          AND f.status <> 'resolved' AND f.priority = 'normal'
          AND EXISTS (SELECT 1 FROM ethaudit.alerts o
                      WHERE o.model = f.model AND o.status <> 'resolved'
                        AND o.family IN ('drift', 'performance'))
        RETURNING f.*
    LOOP
        PERFORM ethaudit_internal.log_alert_event(a, 'priority_raised', NULL, a.priority_reason);
        PERFORM ethaudit_internal.notify_alert(a, 'priority_raised');
    END LOOP;
END
$function$;

CREATE OR REPLACE FUNCTION ethaudit.record_decision(model text, decision text, inputs jsonb DEFAULT NULL::jsonb, explanation jsonb DEFAULT NULL::jsonb, controls text[] DEFAULT NULL::text[], version text DEFAULT NULL::text, subject text DEFAULT NULL::text, note text DEFAULT NULL::text)
 RETURNS uuid
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    stage text;
    p record;
    details jsonb;
    subject_key ethaudit.keys;
BEGIN
    IF model IS NULL OR decision IS NULL THEN
        RAISE EXCEPTION 'model and decision must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF pg_catalog.btrim(decision) = '' OR pg_catalog.length(decision) > 200 THEN
        RAISE EXCEPTION 'a decision has 1 to 200 characters' USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Record the outcome, e.g. approved or declined; put the reasons in explanation and note.';
    END IF;
    IF inputs IS NOT NULL AND pg_catalog.jsonb_typeof(inputs) <> 'object' THEN
        RAISE EXCEPTION 'inputs must be a JSON object of field names and values, not %', pg_catalog.jsonb_typeof(inputs)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.unnest(controls) c WHERE c IS NULL OR pg_catalog.btrim(c) = '') THEN
        RAISE EXCEPTION 'controls must not contain NULL or empty names' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    stage := ethaudit_internal.check_model_version(model, version);
    PERFORM ethaudit_internal.check_recorder(model);

    p := ethaudit_internal.apply_privacy(model, inputs);
    IF subject IS NOT NULL THEN
        subject_key := ethaudit_internal.active_key('pseudonym');    -- identifiers of subjects are always pseudonymised
    END IF;
    details := pg_catalog.jsonb_build_object(
        'decision', decision,
        'subject', CASE WHEN subject IS NOT NULL THEN ethaudit_internal.pseudonym_with(subject_key, subject) END,
        'inputs', p.kept,
        'pseudonymised_fields', pg_catalog.to_jsonb(p.pseudonymised),
        'dropped_fields', pg_catalog.to_jsonb(p.dropped),
        'pseudonym_key', coalesce(p.key_id, subject_key.key_id),
        'explanation', explanation,
        'controls', pg_catalog.to_jsonb(controls),
        'note', ethaudit.mask_text(note),
        'stage', stage);
    PERFORM ethaudit_internal.check_event_size(details);
    RETURN ethaudit_internal.audit_append('decision', model, version, details, 'user');
END
$function$;

CREATE OR REPLACE FUNCTION ethaudit.record_event(event_type text, model text, details jsonb DEFAULT '{}'::jsonb, version text DEFAULT NULL::text)
 RETURNS uuid
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
    IF event_type IS NULL THEN
        RAISE EXCEPTION 'event_type must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF event_type !~ '^[a-z][a-z0-9_]{0,62}$' THEN
        RAISE EXCEPTION 'invalid event type "%"', event_type
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'An event type has up to 63 lowercase letters, digits and underscores and starts with a letter, e.g. model_review.';
    END IF;
    IF ethaudit_internal.is_system_event(event_type) THEN
        RAISE EXCEPTION 'event type "%" is reserved for events the extension writes itself', event_type
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Record decisions with ethaudit.record_decision(); choose another name for other events.';
    END IF;
    details := coalesce(details, '{}'::jsonb);
    IF pg_catalog.jsonb_typeof(details) <> 'object' THEN
        RAISE EXCEPTION 'details must be a JSON object, not %', pg_catalog.jsonb_typeof(details)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM ethaudit_internal.check_model_version(model, version);
    PERFORM ethaudit_internal.check_recorder(model);
    PERFORM ethaudit_internal.check_event_size(details);
    RETURN ethaudit_internal.audit_append(event_type, model, version, details, 'user');
END
$function$;

CREATE OR REPLACE FUNCTION ethaudit.resolve_alert(alert_id bigint, note text)
 RETURNS ethaudit.alerts
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    a ethaudit.alerts;
BEGIN
    IF note IS NULL OR btrim(note) = '' THEN
        RAISE EXCEPTION 'resolving an alert needs a note'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Say what was done, e.g. ''retrained on the May data''.';
    END IF;
    a := ethaudit_internal.alert_for_update(alert_id, 'resolve');
    UPDATE ethaudit.alerts x SET status = 'resolved', resolved_at = clock_timestamp(),
                                 resolved_by = ethaudit.session_role(), resolution = 'manual', resolution_note = note
    WHERE x.alert_id = a.alert_id
    RETURNING x.* INTO a;
    PERFORM ethaudit_internal.log_alert_event(a, 'resolved', ethaudit.session_role(), note);
    PERFORM ethaudit_internal.notify_alert(a, 'resolved');
    RETURN a;
END
$function$;

CREATE OR REPLACE FUNCTION ethaudit_internal.retention_purge(dry_run boolean, reported jsonb)
 RETURNS TABLE(table_name text, time_column name, keep interval, cutoff timestamp with time zone, deleted bigint)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    p ethaudit.retention_policies;
    summary jsonb := '[]'::jsonb;
    cp jsonb;
    problem text;
    v record;
    lo bigint;
    hi bigint;
    k bigint;
    last_hash bytea;
    prev ethaudit.audit_checkpoints;
    c ethaudit.audit_checkpoints;
    key ethaudit.keys;
BEGIN
    IF dry_run IS NULL THEN
        RAISE EXCEPTION 'dry_run must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    FOR p IN
        SELECT x.* FROM ethaudit.retention_policies x
        WHERE x.enabled AND x.table_name IN ('ethaudit.alert_events', 'ethaudit.alerts', 'ethaudit.results',
                                             'ethaudit.runs', 'ethaudit.audit_log')
        -- events before their alerts, results before their runs, the log last
        ORDER BY pg_catalog.array_position(ARRAY['ethaudit.alert_events', 'ethaudit.alerts', 'ethaudit.results',
                                                 'ethaudit.runs', 'ethaudit.audit_log'], x.table_name)
    LOOP
        table_name := p.table_name;
        time_column := p.time_column;
        keep := p.keep;
        cutoff := pg_catalog.now() - p.keep;
        deleted := NULL;
        problem := NULL;
        PERFORM ethaudit_internal.retention_target(p.table_name, p.time_column);
        IF p.table_name = 'ethaudit.alert_events' THEN
            -- only the events of resolved alerts: open alerts keep their story
            EXECUTE pg_catalog.format(
                '%s FROM ethaudit.alert_events e USING ethaudit.alerts a WHERE e.alert_id = a.alert_id '
                'AND a.status = ''resolved'' AND e.%I < $1%s',
                CASE WHEN dry_run THEN 'SELECT count(*)' ELSE 'WITH gone AS (DELETE' END, p.time_column,
                CASE WHEN dry_run THEN '' ELSE ' RETURNING 1) SELECT count(*) FROM gone' END)
            INTO deleted USING cutoff;
        ELSIF p.table_name = 'ethaudit.alerts' THEN
            -- resolved alerts only, with their events
            IF NOT dry_run THEN
                EXECUTE pg_catalog.format('DELETE FROM ethaudit.alert_events e USING ethaudit.alerts a '
                                          'WHERE e.alert_id = a.alert_id AND a.status = ''resolved'' AND a.%I < $1',
                                          p.time_column) USING cutoff;
            END IF;
            EXECUTE pg_catalog.format(
                '%s ethaudit.alerts a WHERE a.status = ''resolved'' AND a.%I < $1%s',
                CASE WHEN dry_run THEN 'SELECT count(*) FROM' ELSE 'WITH gone AS (DELETE FROM' END, p.time_column,
                CASE WHEN dry_run THEN '' ELSE ' RETURNING 1) SELECT count(*) FROM gone' END)
            INTO deleted USING cutoff;
        ELSIF p.table_name = 'ethaudit.results' THEN
            -- but the first and latest result of every alert kept
            EXECUTE pg_catalog.format(
                '%s ethaudit.results r WHERE r.%I < $1 AND NOT EXISTS (SELECT 1 FROM ethaudit.alerts a '
                'WHERE r.result_id IN (a.first_result_id, a.last_result_id))%s',
                CASE WHEN dry_run THEN 'SELECT count(*) FROM' ELSE 'WITH gone AS (DELETE FROM' END, p.time_column,
                CASE WHEN dry_run THEN '' ELSE ' RETURNING 1) SELECT count(*) FROM gone' END)
            INTO deleted USING cutoff;
        ELSIF p.table_name = 'ethaudit.runs' THEN
            -- runs left without results
            EXECUTE pg_catalog.format(
                '%s ethaudit.runs x WHERE x.%I < $1 AND NOT EXISTS (SELECT 1 FROM ethaudit.results r '
                'WHERE r.run_id = x.run_id)%s',
                CASE WHEN dry_run THEN 'SELECT count(*) FROM' ELSE 'WITH gone AS (DELETE FROM' END, p.time_column,
                CASE WHEN dry_run THEN '' ELSE ' RETURNING 1) SELECT count(*) FROM gone' END)
            INTO deleted USING cutoff;
        ELSE
            -- the audit log: the oldest events, a prefix of the chain up to the
            -- first one still to keep, under the chain lock
            PERFORM pg_catalog.pg_advisory_xact_lock(1702127715, 0);
            SELECT min(a.seq), max(a.seq) INTO lo, hi FROM ethaudit.audit_log a;
            SELECT min(a.seq) - 1 INTO k FROM ethaudit.audit_log a WHERE a.logged_at >= cutoff;
            k := coalesce(k, hi);
            IF lo IS NULL OR k < lo THEN
                deleted := 0;
            ELSIF dry_run THEN
                deleted := k - lo + 1;
            ELSE
                -- never hide a broken chain behind a checkpoint
                v := ethaudit.verify_audit_log();
                IF NOT v.valid THEN
                    problem := v.problem;
                    RAISE WARNING 'ethaudit: the audit log was not shortened, because it does not verify: %', v.problem;
                ELSE
                    SELECT a.row_hash INTO last_hash FROM ethaudit.audit_log a WHERE a.seq = k;
                    PERFORM pg_catalog.set_config('ethaudit_audit.internal_write', 'retention', true);
                    DELETE FROM ethaudit.audit_log a WHERE a.seq <= k;
                    GET DIAGNOSTICS deleted = ROW_COUNT;
                    PERFORM pg_catalog.set_config('ethaudit_audit.internal_write', '', true);
                    key := ethaudit_internal.active_key('checkpoint');
                    SELECT * INTO prev FROM ethaudit.audit_checkpoints x ORDER BY x.checkpoint_id DESC LIMIT 1;
                    c.checkpoint_id := coalesce(prev.checkpoint_id, 0) + 1;
                    c.created_at := pg_catalog.clock_timestamp();
                    c.created_by := ethaudit.session_role();
                    c.first_seq := lo;
                    c.last_seq := k;
                    c.last_hash := last_hash;
                    c.cutoff := cutoff;
                    c.key_id := key.key_id;
                    c.prev_signature := prev.signature;
                    c.signature := ethaudit.hmac_sha256(key.secret, ethaudit.checkpoint_encoding(c));
                    INSERT INTO ethaudit.audit_checkpoints SELECT c.*;
                    cp := pg_catalog.jsonb_build_object('checkpoint_id', c.checkpoint_id, 'first_seq', c.first_seq,
                              'last_seq', c.last_seq, 'last_hash', pg_catalog.encode(c.last_hash, 'hex'),
                              'key_id', c.key_id, 'signature', pg_catalog.encode(c.signature, 'hex'));
                END IF;
            END IF;
        END IF;
        summary := summary || pg_catalog.jsonb_build_array(pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
            'table', table_name, 'time_column', time_column, 'keep', keep, 'cutoff', cutoff,
            'deleted', deleted, 'problem', problem)));
        RETURN NEXT;
    END LOOP;
    IF NOT dry_run THEN
        summary := pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('tables', summary, 'checkpoint', cp,
                       'reported_by_caller', CASE WHEN reported <> '[]'::jsonb THEN reported END));
        PERFORM ethaudit_internal.check_event_size(summary);
        PERFORM ethaudit_internal.audit_append('retention_applied', NULL, NULL, summary);
    END IF;
END
$function$;

CREATE OR REPLACE FUNCTION ethaudit_internal.retention_target(table_name text, time_column name, OUT rel regclass, OUT cmp text)
 RETURNS record
 LANGUAGE plpgsql
 STABLE PARALLEL SAFE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    parts text[];
    nsp name;
    kind "char";
    persistence "char";
    typ regtype;
BEGIN
    IF table_name IS NULL OR time_column IS NULL THEN
        RAISE EXCEPTION 'table_name and time_column of a retention policy must not be NULL' USING ERRCODE = 'not_null_violation';
    END IF;
    parts := pg_catalog.parse_ident(table_name);
    IF pg_catalog.cardinality(parts) <> 2 THEN
        RAISE EXCEPTION 'table_name "%" must name a table with its schema', table_name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'For example public.predictions or ethaudit.audit_log.';
    END IF;
    rel := pg_catalog.to_regclass(pg_catalog.format('%I.%I', parts[1], parts[2]));
    IF rel IS NULL THEN
        RAISE EXCEPTION 'relation "%" does not exist', table_name USING ERRCODE = 'undefined_table';
    END IF;
    SELECT c.relkind, c.relpersistence, n.nspname INTO kind, persistence, nsp
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = rel;
    IF kind NOT IN ('r', 'p') OR persistence = 't' THEN
        RAISE EXCEPTION 'relation % is not a permanent table', rel USING ERRCODE = 'wrong_object_type';
    END IF;
    IF nsp IN ('pg_catalog', 'information_schema', 'pg_toast') OR nsp LIKE 'pg\_%' THEN
        RAISE EXCEPTION 'retention does not apply to system catalogs' USING ERRCODE = 'wrong_object_type';
    END IF;
    IF nsp = 'ethaudit' AND parts[2] NOT IN ('audit_log', 'results', 'runs', 'alerts', 'alert_events') THEN
        RAISE EXCEPTION 'retention applies to ethaudit.audit_log, results, runs, alerts and alert_events, not to %', rel
            USING ERRCODE = 'wrong_object_type',
                  DETAIL = 'The other tables of ethaudit hold configuration, not history.';
    END IF;
    IF rel = 'ethaudit.audit_log'::regclass AND time_column <> 'logged_at' THEN
        RAISE EXCEPTION 'the retention of ethaudit.audit_log is by logged_at, not by %', time_column
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    typ := ethaudit_internal.time_base_type(ethaudit_internal.column_type(rel, time_column));
    IF typ IS NULL THEN
        RAISE EXCEPTION 'column "%" of relation % has type %, but a retention time_column must be date, timestamp or timestamptz',
            time_column, rel, ethaudit_internal.column_type(rel, time_column)
            USING ERRCODE = 'datatype_mismatch';
    END IF;
    -- the cutoff ($1, timestamptz) in the column's own type, so an index on it serves
    cmp := pg_catalog.format('%I < %s', time_column,
        CASE typ WHEN 'timestamptz'::regtype THEN '$1'
                 WHEN 'timestamp'::regtype THEN '($1 AT TIME ZONE ''UTC'')'
                 ELSE '($1 AT TIME ZONE ''UTC'')::date' END);
END
$function$;

CREATE OR REPLACE FUNCTION ethaudit.role_privileges(kind text)
 RETURNS text[]
 LANGUAGE sql
 STABLE PARALLEL SAFE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
    SELECT CASE kind
    WHEN 'auditor' THEN ARRAY[
        'USAGE ON SCHEMA ethaudit',
        'SELECT ON ethaudit.models, ethaudit.model_versions, ethaudit.checks, ethaudit.thresholds, ethaudit.baselines, '
        'ethaudit.runs, ethaudit.results, ethaudit.alerts, ethaudit.alert_events, ethaudit.audit_log, '
        'ethaudit.audit_checkpoints, ethaudit.privacy_policies, ethaudit.retention_policies, ethaudit.security_roles, '
        'ethaudit.open_alerts, ethaudit.latest_results, ethaudit.result_history, ethaudit.model_cards, ethaudit.monitored_tables',
        'EXECUTE ON FUNCTION ethaudit.verify_audit_log(bigint, text), ethaudit.audit_head(), ethaudit.verify_results(), '
        'ethaudit.pseudonymise(text), ethaudit.pseudonymise(text, integer)']
    WHEN 'owner' THEN ARRAY[
        'USAGE ON SCHEMA ethaudit',
        'SELECT ON ethaudit.models, ethaudit.model_versions, ethaudit.checks, ethaudit.thresholds, ethaudit.baselines, '
        'ethaudit.privacy_policies, ethaudit.runs, ethaudit.results, ethaudit.alerts, ethaudit.alert_events, ethaudit.audit_log'
        -- before PostgreSQL 15 the views run with their owner's rights, which
        -- would show every model: owners get them only where they are security_invoker
        || CASE WHEN pg_catalog.current_setting('server_version_num')::integer >= 150000
                THEN ', ethaudit.open_alerts, ethaudit.latest_results, ethaudit.result_history, ethaudit.model_cards'
                ELSE '' END,
        'EXECUTE ON FUNCTION ethaudit.acknowledge_alert(bigint, text), ethaudit.resolve_alert(bigint, text), '
        'ethaudit.record_event(text, text, jsonb, text), '
        'ethaudit.record_decision(text, text, jsonb, jsonb, text[], text, text, text), ethaudit.pseudonymise(text)']
    WHEN 'writer' THEN ARRAY[
        'USAGE ON SCHEMA ethaudit',
        'SELECT ON ethaudit.models, ethaudit.model_versions, ethaudit.checks, ethaudit.thresholds, ethaudit.baselines, '
        'ethaudit.runs',
        'EXECUTE ON FUNCTION ethaudit.run_checks(text, timestamptz), ethaudit.run_check(bigint, timestamptz), '
        'ethaudit.record_event(text, text, jsonb, text), '
        'ethaudit.record_decision(text, text, jsonb, jsonb, text[], text, text, text)']
    WHEN 'admin' THEN ARRAY[
        'USAGE ON SCHEMA ethaudit',
        'SELECT, INSERT, UPDATE, DELETE ON ethaudit.models, ethaudit.model_versions, ethaudit.checks, '
        'ethaudit.thresholds, ethaudit.baselines, ethaudit.privacy_policies, ethaudit.retention_policies',
        'SELECT ON ethaudit.security_roles',
        'USAGE ON SEQUENCE ethaudit.checks_check_id_seq, ethaudit.baselines_baseline_id_seq',
        'EXECUTE ON FUNCTION ethaudit.set_stage(text, text, text), '
        'ethaudit.store_baseline(text, name, regclass, name, timestamptz, timestamptz, text, integer, text, name, text), '
        'ethaudit.monitor_table(regclass, text, name, name[], name, name[], interval), '
        'ethaudit.unmonitor_table(regclass), ethaudit_internal.monitor_batch(), '
        'ethaudit.apply_retention(boolean), ethaudit_internal.retention_purge(boolean, jsonb), ethaudit.rotate_key(text), '
        'ethaudit.record_event(text, text, jsonb, text), '
        'ethaudit.record_decision(text, text, jsonb, jsonb, text[], text, text, text), '
        'ethaudit.verify_audit_log(bigint, text), ethaudit.audit_head(), ethaudit.verify_results(), '
        'ethaudit_internal.run_as_owner(regclass, text, timestamptz[])']
    END
$function$;

CREATE OR REPLACE FUNCTION ethaudit.rotate_key(purpose text)
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    k ethaudit.keys;
BEGIN
    IF purpose IS NULL THEN
        RAISE EXCEPTION 'purpose must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF purpose NOT IN ('checkpoint', 'pseudonym') THEN
        RAISE EXCEPTION 'unknown key purpose "%"', purpose
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The purposes are checkpoint and pseudonym.';
    END IF;
    PERFORM pg_catalog.pg_advisory_xact_lock(1702127715, 1);
    UPDATE ethaudit.keys x SET retired_at = pg_catalog.clock_timestamp()
    WHERE x.purpose = rotate_key.purpose AND x.retired_at IS NULL;
    k := ethaudit_internal.active_key(purpose);
    RETURN k.key_id;
END
$function$;

CREATE OR REPLACE FUNCTION ethaudit.run_check(check_id bigint, as_of timestamp with time zone DEFAULT NULL::timestamp with time zone)
 RETURNS ethaudit.results
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET "TimeZone" TO 'UTC'
AS $function$
DECLARE
    c ethaudit.checks;
    run bigint;
    res ethaudit.results;
    statuses text[] := '{}';
BEGIN
    IF check_id IS NULL THEN
        RAISE EXCEPTION 'check_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT * INTO c FROM ethaudit.checks ch WHERE ch.check_id = run_check.check_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'check % does not exist', check_id
            USING ERRCODE = 'undefined_object';
    END IF;
    INSERT INTO ethaudit.runs AS r (kind, model, as_of, run_by)
    VALUES ('run_check', c.model, coalesce(run_check.as_of, now()), ethaudit.session_role())
    RETURNING r.run_id INTO run;
    -- an explicit request waits for a concurrent evaluation of the same check
    PERFORM pg_catalog.pg_advisory_xact_lock(1702127713, (c.check_id % 2147483648)::integer);
    res := ethaudit_internal.evaluate_check(c, run, coalesce(run_check.as_of, now()));
    statuses := statuses || res.status;
    PERFORM ethaudit_internal.finish_run(run, statuses);
    RETURN res;
END
$function$;

CREATE OR REPLACE FUNCTION ethaudit.run_checks(model text DEFAULT NULL::text, as_of timestamp with time zone DEFAULT NULL::timestamp with time zone)
 RETURNS ethaudit.run_summary
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET "TimeZone" TO 'UTC'
AS $function$
DECLARE
    run bigint;
    c ethaudit.checks;
    res ethaudit.results;
    summary ethaudit.run_summary;
    statuses text[] := '{}';
BEGIN
    IF model IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ethaudit.models m WHERE m.model = run_checks.model) THEN
        RAISE EXCEPTION 'model "%" is not registered', model
            USING ERRCODE = 'undefined_object';
    END IF;
    INSERT INTO ethaudit.runs AS r (kind, model, as_of, run_by)
    VALUES ('run_checks', run_checks.model, coalesce(run_checks.as_of, now()), ethaudit.session_role())
    RETURNING r.run_id INTO run;

    FOR c IN
        SELECT ch.* FROM ethaudit.checks ch
        LEFT JOIN ethaudit.model_versions v ON v.model = ch.model AND v.version = ch.version
        WHERE ch.enabled AND ch.mode = 'scheduled'
          AND (run_checks.model IS NULL OR ch.model = run_checks.model)
          AND v.stage IS DISTINCT FROM 'retired'
        ORDER BY ch.model, ch.check_id
    LOOP
        IF NOT ethaudit_internal.lock_check(c.check_id) THEN
            statuses := statuses || 'skipped'::text;
            CONTINUE;
        END IF;
        BEGIN
            res := ethaudit_internal.evaluate_check(c, run, coalesce(run_checks.as_of, now()));
            statuses := statuses || res.status;
        EXCEPTION WHEN OTHERS THEN
            -- not even the failure could be recorded (e.g. the check was
            -- deleted meanwhile): count it and go on with the others
            RAISE WARNING 'ethaudit: check % (%) could not be evaluated: %', c.check_id, c.check_name, SQLERRM;
            statuses := statuses || 'error'::text;
        END;
    END LOOP;

    PERFORM ethaudit_internal.finish_run(run, statuses);
    SELECT r.run_id, r.checks, r.ok, r.warning, r.critical, r.insufficient_data, r.error, r.skipped,
           r.started_at, r.finished_at
    INTO summary FROM ethaudit.runs r WHERE r.run_id = run;
    RETURN summary;
END
$function$;

CREATE OR REPLACE FUNCTION ethaudit.store_baseline(model text, column_name name, source regclass, time_column name, window_start timestamp with time zone, window_end timestamp with time zone, version text DEFAULT NULL::text, bins integer DEFAULT NULL::integer, value_kind text DEFAULT NULL::text, version_column name DEFAULT NULL::name, description text DEFAULT NULL::text)
 RETURNS ethaudit.baselines
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET "TimeZone" TO 'UTC'
AS $function$
#variable_conflict use_column
DECLARE
    cls text;
    kind text := value_kind;
    q text;
    b ethaudit.baseline;
    result ethaudit.baselines;
BEGIN
    IF model IS NULL OR column_name IS NULL OR source IS NULL OR time_column IS NULL
       OR window_start IS NULL OR window_end IS NULL THEN
        RAISE EXCEPTION 'model, column_name, source, time_column, window_start and window_end must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF window_start >= window_end THEN
        RAISE EXCEPTION 'window_start must be before window_end' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF version IS NOT NULL AND version_column IS NULL THEN
        RAISE EXCEPTION 'a baseline of version % needs version_column to select its rows', version
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM ethaudit_internal.check_source(source, source::text, false);
    IF ethaudit_internal.type_class(ethaudit_internal.column_type(source, time_column)) IS DISTINCT FROM 'time' THEN
        RAISE EXCEPTION 'column "%" of relation % is not a date, timestamp or timestamptz', time_column, source
            USING ERRCODE = 'datatype_mismatch';
    END IF;
    cls := ethaudit_internal.type_class(ethaudit_internal.column_type(source, column_name));
    kind := coalesce(kind, CASE WHEN cls IN ('integer', 'float') THEN 'numeric'
                                WHEN cls IN ('text', 'boolean', 'enum') THEN 'categorical' END);
    IF kind IS NULL OR kind NOT IN ('numeric', 'categorical')
       OR (kind = 'numeric' AND cls NOT IN ('integer', 'float'))
       OR (kind = 'categorical' AND cls NOT IN ('text', 'boolean', 'enum', 'integer')) THEN
        RAISE EXCEPTION 'column "%" of relation % has type %, which cannot be read as a % value',
            column_name, source, ethaudit_internal.column_type(source, column_name), coalesce(kind, 'numeric or categorical')
            USING ERRCODE = 'datatype_mismatch';
    END IF;
    IF bins IS NOT NULL AND kind <> 'numeric' THEN
        RAISE EXCEPTION 'bins applies only to numeric baselines' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF version_column IS NOT NULL THEN
        PERFORM ethaudit_internal.column_type(source, version_column);
    END IF;

    q := format('SELECT ethaudit.baseline(%s%s) FROM %s AS src WHERE src.%I >= $1 AND src.%I < $2%s',
                CASE kind WHEN 'numeric' THEN format('src.%I::pg_catalog.float8', column_name)
                          ELSE ethaudit_internal.text_of(source, column_name) END,
                CASE WHEN bins IS NULL THEN '' ELSE format(', %s', bins) END,
                source, time_column, time_column,
                CASE WHEN version IS NULL THEN ''
                     ELSE format(' AND %s = %L', ethaudit_internal.text_of(source, version_column), version) END);
    -- as the source's owner (ethaudit_internal.run_as_owner)
    SELECT x.b INTO b FROM ethaudit_internal.run_as_owner(source, q, ARRAY[window_start, window_end]) AS x(b ethaudit.baseline);
    IF b IS NULL OR ethaudit.baseline_n(b) = 0 THEN
        RAISE EXCEPTION 'no values of column "%" in % between % and %', column_name, source, window_start, window_end
            USING ERRCODE = 'no_data_found';
    END IF;

    INSERT INTO ethaudit.baselines AS x
        (model, version, column_name, value_kind, baseline, n, source, window_start, window_end, description)
    VALUES (store_baseline.model, store_baseline.version, store_baseline.column_name, kind, b, 0,
            ethaudit_internal.qualified_name(store_baseline.source), store_baseline.window_start, store_baseline.window_end,
            store_baseline.description)
    ON CONFLICT (model, (coalesce(version, '')), column_name) DO UPDATE SET
        baseline = excluded.baseline, source = excluded.source, window_start = excluded.window_start,
        window_end = excluded.window_end, description = coalesce(excluded.description, x.description)
    RETURNING x.* INTO result;
    RETURN result;
END
$function$;

CREATE OR REPLACE FUNCTION ethaudit_internal.text_of(rel regclass, col name)
 RETURNS text
 LANGUAGE sql
 STABLE PARALLEL SAFE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
    SELECT CASE WHEN ethaudit_internal.type_class(ethaudit_internal.column_type(rel, col)) = 'enum'
                THEN pg_catalog.format('pg_catalog.textin(pg_catalog.enum_out(src.%I))', col)
                ELSE pg_catalog.format('src.%I::pg_catalog.text', col) END
$function$;

CREATE OR REPLACE FUNCTION ethaudit.unmonitor_table(source regclass)
 RETURNS integer
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    trigger_name name;
    disabled integer;
BEGIN
    SELECT tg.tgname INTO trigger_name FROM pg_catalog.pg_trigger tg
    WHERE tg.tgrelid = source AND tg.tgfoid = 'ethaudit_internal.monitor_batch()'::regprocedure;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'table % is not monitored', coalesce(source::text, 'NULL')
            USING ERRCODE = 'undefined_object';
    END IF;
    EXECUTE format('DROP TRIGGER %I ON %s', trigger_name, source);
    UPDATE ethaudit.checks ch SET enabled = false
    WHERE ch.source = ethaudit_internal.qualified_name(unmonitor_table.source) AND ch.mode <> 'scheduled' AND ch.enabled;
    GET DIAGNOSTICS disabled = ROW_COUNT;
    RETURN disabled;
END
$function$;

CREATE OR REPLACE FUNCTION ethaudit_internal.validate_check()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    -- Deliberately no SET search_path: a source written without a schema is
    -- resolved with the writer's search_path, by the one schema-qualified call
    -- below; all the validation runs in check_config, which pins its own.
    RETURN ethaudit_internal.check_config(NEW, pg_catalog.to_regclass(NEW.source), TG_OP);
END
$function$;

CREATE OR REPLACE FUNCTION ethaudit_internal.validate_model()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
    IF NEW.model IS NULL OR NEW.model = '' OR NEW.model <> pg_catalog.btrim(NEW.model)
       OR pg_catalog.length(NEW.model) > 200 THEN
        RAISE EXCEPTION 'invalid model name "%"', NEW.model
            USING ERRCODE = 'check_violation',
                  HINT = 'A model name has 1 to 200 characters and no leading or trailing spaces.';
    END IF;
    IF NOT ethaudit_internal.role_is_valid(NEW.owner_role) THEN
        RAISE EXCEPTION 'role "%" does not exist', NEW.owner_role
            USING ERRCODE = 'undefined_object',
                  DETAIL = pg_catalog.format('owner_role of model %s.', NEW.model);
    END IF;
    IF TG_OP = 'UPDATE' THEN
        NEW.updated_at := pg_catalog.now();
    END IF;
    RETURN NEW;
END
$function$;

CREATE OR REPLACE FUNCTION ethaudit_internal.validate_retention_policy()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    t record;
BEGIN
    t := ethaudit_internal.retention_target(NEW.table_name, NEW.time_column);
    NEW.table_name := ethaudit_internal.qualified_name(t.rel);
    -- retention deletes as the table's owner: only a role that may delete
    -- from it itself may set a policy on another table
    IF t.rel::oid NOT IN (SELECT c.oid FROM pg_catalog.pg_class c WHERE c.relnamespace = 'ethaudit'::pg_catalog.regnamespace)
       AND NOT pg_catalog.has_table_privilege(ethaudit.session_role(), t.rel, 'DELETE') THEN
        RAISE EXCEPTION 'role % may not delete from %, so it cannot set its retention', ethaudit.session_role(), t.rel
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.keep IS NULL OR NEW.keep <= interval '0' THEN
        RAISE EXCEPTION 'keep of the retention policy of % must be a positive interval, not %', NEW.table_name,
            coalesce(NEW.keep::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        NEW.updated_at := pg_catalog.now();
    END IF;
    RETURN NEW;
END
$function$;

CREATE OR REPLACE FUNCTION ethaudit_internal.validate_threshold()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    c record;
BEGIN
    SELECT ch.check_name, ch.metric, mc.default_direction, mo.owner_role INTO c
    FROM ethaudit.checks ch
    JOIN ethaudit.models mo ON mo.model = ch.model
    LEFT JOIN ethaudit.metric_catalog mc ON mc.metric = ch.metric
    WHERE ch.check_id = NEW.check_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'check % does not exist', NEW.check_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    NEW.direction := coalesce(NEW.direction, c.default_direction);
    NEW.owner_role := coalesce(NEW.owner_role, c.owner_role);
    IF NEW.direction NOT IN ('above', 'below') THEN
        RAISE EXCEPTION 'invalid direction "%" for check %', NEW.direction, c.check_name
            USING ERRCODE = 'check_violation',
                  HINT = 'above: high values are bad; below: low values are bad.';
    END IF;
    IF NEW.warn IS NULL AND NEW.critical IS NULL THEN
        RAISE EXCEPTION 'thresholds of check % need warn, critical or both', c.check_name
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.warn = 'NaN'::float8 OR NEW.critical = 'NaN'::float8 THEN
        RAISE EXCEPTION 'thresholds of check % must not be NaN', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NEW.direction = 'above' AND NEW.warn >= NEW.critical THEN
        RAISE EXCEPTION 'warn (%) must be below critical (%) for check %, whose direction is above',
            NEW.warn, NEW.critical, c.check_name
            USING ERRCODE = 'check_violation',
                  HINT = 'warn is the less severe level.';
    END IF;
    IF NEW.direction = 'below' AND NEW.warn <= NEW.critical THEN
        RAISE EXCEPTION 'warn (%) must be above critical (%) for check %, whose direction is below',
            NEW.warn, NEW.critical, c.check_name
            USING ERRCODE = 'check_violation',
                  HINT = 'warn is the less severe level.';
    END IF;
    IF NOT ethaudit_internal.role_is_valid(NEW.owner_role) THEN
        RAISE EXCEPTION 'role "%" does not exist', NEW.owner_role
            USING ERRCODE = 'undefined_object',
                  DETAIL = pg_catalog.format('owner_role of the thresholds of check %s.', c.check_name);
    END IF;
    IF NEW.response_time IS NULL OR NEW.response_time <= interval '0'
       OR NEW.critical_response_time <= interval '0' THEN
        RAISE EXCEPTION 'response times of check % must be positive', c.check_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        NEW.updated_at := pg_catalog.now();
    END IF;
    RETURN NEW;
END
$function$;

-- the event trigger's comment names its function in the new schema
COMMENT ON EVENT TRIGGER ethaudit_keep_evidence IS
'Refuses to drop ethaudit while its audit log, results or alerts hold rows (see ethaudit_internal.guard_evidence_drop).';

-- the options of checks.params: the new minimum group sizes
COMMENT ON COLUMN ethaudit.checks.params IS 'Metric options, e.g. {"bins": 20}, {"binning": "evidently"}, {"cutoff": 0.7}, {"min_positives": 30}, {"min_negatives": 30}, {"min_size": 30}; ethaudit.metric_catalog lists the keys each metric accepts.';

-- comments that changed
COMMENT ON FUNCTION ethaudit_internal.check_parts(c ethaudit.checks, rel regclass, suffix text, with_time boolean, OUT proj text, OUT value_expr text, OUT usable text, OUT n_reference_expr text, OUT reference_rows boolean) IS
'Internal: the pieces of the query of a check, from the metric''s row of ethaudit_internal.metrics: the projection of its columns (validated against the catalogs, quoted with format(%I)), the metric expression, which rows are usable, and how the reference is counted.';
