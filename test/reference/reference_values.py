#!/usr/bin/env python3
"""Independent reference values for the ethaudit regression tests.

Every number here comes from numpy, scipy or scikit-learn (Debian 12:
python3-numpy 1.24, python3-scipy 1.10.1, python3-sklearn 1.2.1), never from
ethaudit.  The regression suites in sql/ embed the printed values and compare
ethaudit's results with them to 1e-9 (p-values: 1e-6 absolute, as METRICS
requires, and also 1e-9 relative where the value is not tiny).

Run from the repository root:  /usr/bin/python3 test/reference/reference_values.py
"""
import csv

import numpy as np
from scipy import stats
from scipy.spatial import distance
from sklearn.calibration import calibration_curve
from sklearn.metrics import (accuracy_score, brier_score_loss, confusion_matrix, f1_score,
                             log_loss, mean_absolute_error, mean_squared_error,
                             precision_score, recall_score, roc_auc_score)

EPS = 1e-4


def quantile_bins(ref, cur, bins=10):
    """Reference-quantile edges, right-closed bins, duplicates removed."""
    edges = np.unique(np.quantile(ref, [k / bins for k in range(1, bins)], method="linear"))
    r = np.bincount(np.searchsorted(edges, ref, side="left"), minlength=len(edges) + 1)
    c = np.bincount(np.searchsorted(edges, cur, side="left"), minlength=len(edges) + 1)
    return r / len(ref), c / len(cur)


def evidently_bins(ref, cur):
    """Evidently 0.7 get_binned_data for a numerical column, without the zero fill."""
    if len(np.unique(ref)) <= 20:
        keys = np.union1d(ref, cur)
        r = np.array([(ref == k).sum() for k in keys]) / len(ref)
        c = np.array([(cur == k).sum() for k in keys]) / len(cur)
        return r, c
    edges = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")
    return np.histogram(ref, edges)[0] / len(ref), np.histogram(cur, edges)[0] / len(cur)


def fill_eps(p):
    return np.where(p == 0, EPS, p)


def fill_evidently(p):
    m = p[p != 0].min()
    return np.where(p == 0, m / 1e6 if m <= EPS else EPS, p)


def psi(r, c):
    return float(np.sum((c - r) * np.log(c / r)))


def jsd2(r, c):
    return float(distance.jensenshannon(r, c, base=2) ** 2)


def drift(name, ref, cur):
    r, c = quantile_bins(ref, cur)
    r20, c20 = quantile_bins(ref, cur, 20)
    er, ec = evidently_bins(ref, cur)
    ks = stats.ks_2samp(ref, cur, method="asymp")
    print(f"{name}: n_ref={len(ref)} n_cur={len(cur)}")
    print(f"  ks D            {ks.statistic!r}")
    print(f"  ks p (asymp)    {ks.pvalue!r}")
    print(f"  psi default     {psi(fill_eps(r), fill_eps(c))!r}")
    print(f"  psi bins=20     {psi(fill_eps(r20), fill_eps(c20))!r}")
    print(f"  js default      {jsd2(r, c)!r}")
    print(f"  psi evidently   {psi(fill_evidently(er), fill_evidently(ec))!r}")
    print(f"  js evidently    {jsd2(er, ec)!r}")


def ece(y, p, bins):
    """ECE from sklearn's calibration_curve and the same bin assignment."""
    prob_true, prob_pred = calibration_curve(y, p, n_bins=bins, strategy="uniform")
    edges = np.linspace(0.0, 1.0, bins + 1)
    counts = np.bincount(np.searchsorted(edges[1:-1], p), minlength=bins)
    counts = counts[counts > 0]
    return float(np.sum(counts / len(y) * np.abs(prob_true - prob_pred)))


def load(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def main():
    np.set_printoptions(precision=17)

    print("== METRICS.md cross-checks ==")
    print("ECE B=3", ece(np.array([0, 0, 0, 0, 1, 1, 1, 1, 1]),
                         np.array([0.1, 0.2, 0.3, 0.4, 0.65, 0.7, 0.8, 0.9, 1.0]), 3))
    print("ECE B=2", ece(np.array([0, 0, 0, 1, 1, 1]), np.array([0, 0.1, 0.2, 0.8, 0.9, 1.0]), 2))
    s1 = [0.22, -0.87, -2.39, -1.79, 0.37, -1.54, 1.28, -0.31, -0.74, 1.72, 0.38, -0.17,
          -0.62, -1.10, 0.30, 0.15, 2.30, 0.19, -0.50, -0.09]
    s2 = [-5.13, -2.19, -2.43, -3.83, 0.50, -3.25, 4.32, 1.63, 5.18, -0.43, 7.11, 4.87,
          -3.10, -5.81, 3.76, 6.31, 2.58, 0.07, 5.76, 3.50]
    t = stats.ks_2samp(s1, s2, method="asymp")
    print("MADlib sample 1: D", repr(t.statistic), "p", repr(t.pvalue))
    s1 = [1.26, 0.34, 0.70, 1.75, 50.57, 1.55, 0.08, 0.42, 0.50, 3.20, 0.15, 0.49, 0.95,
          0.24, 1.37, 0.17, 6.98, 0.10, 0.94, 0.38]
    s2 = [2.37, 2.16, 14.82, 1.73, 41.04, 0.23, 1.32, 2.91, 39.41, 0.11, 27.44, 4.51, 0.51,
          4.50, 0.18, 14.68, 4.66, 1.30, 2.06, 1.19]
    t = stats.ks_2samp(s1, s2, method="asymp")
    print("MADlib sample 2: D", repr(t.statistic), "p", repr(t.pvalue))
    ref = np.arange(0, 1000) / 7.0
    cur = np.arange(0, 1500) / 9.0 + 10.0
    drift("synthetic i/7 vs j/9+10", ref, cur)

    print("== bike sharing, hour.csv, 2011 vs 2012 ==")
    rows = load("test/data/bike_sharing/hour.csv")
    for col in ("temp", "hum", "cnt", "windspeed"):
        ref = np.array([float(r[col]) for r in rows if r["yr"] == "0"])
        cur = np.array([float(r[col]) for r in rows if r["yr"] == "1"])
        drift(col, ref, cur)

    print("== COMPAS ==")
    rows = load("test/data/compas/compas-minimal.csv")
    y = np.array([int(r["two_year_recid"]) for r in rows])
    dec = np.array([int(r["decile_score"]) for r in rows])
    pred = (dec >= 5).astype(int)
    race = np.array([r["race"] for r in rows])
    for g in ("African-American", "Caucasian", "Hispanic", "Other", "Asian", "Native American"):
        m = race == g
        tn, fp, fn, tp = confusion_matrix(y[m], pred[m], labels=[0, 1]).ravel()
        print(f"  {g}: n={m.sum()} TPR={recall_score(y[m], pred[m])!r} "
              f"FPR={fp / (fp + tn)!r} FNR={fn / (fn + tp)!r}")
    bw = (race == "African-American") | (race == "Caucasian")
    tprs = [recall_score(y[race == g], pred[race == g]) for g in ("African-American", "Caucasian")]
    print("  TPR gap Black vs White", repr(max(tprs) - min(tprs)))
    alltpr = [recall_score(y[race == g], pred[race == g]) for g in np.unique(race)]
    print("  TPR gap all races", repr(max(alltpr) - min(alltpr)))
    p = dec / 10.0
    for b in (10, 5, 20):
        print(f"  ECE decile/10 bins={b}", repr(ece(y, p, b)))
    print("  ECE Black vs White only, bins=10", repr(ece(y[bw], p[bw], 10)))
    year = np.array([r["compas_screening_date"][:4] for r in rows])
    ref, cur = race[year == "2013"], race[year == "2014"]
    keys = np.union1d(ref, cur)
    r = np.array([(ref == k).sum() for k in keys]) / len(ref)
    c = np.array([(cur == k).sum() for k in keys]) / len(cur)
    print("  race 2013 vs 2014: psi", repr(psi(fill_eps(r), fill_eps(c))), "js", repr(jsd2(r, c)))
    pri = np.array([float(r["priors_count"]) for r in rows])
    drift("  priors_count 2013 vs 2014", pri[year == "2013"], pri[year == "2014"])

    print("== the metric family on COMPAS ==")
    family(rows, y, dec, pred, race, year)


def hellinger(r, c):
    """Evidently's hellinger_distance on proportions."""
    return float(np.sqrt(np.sum((np.sqrt(r) - np.sqrt(c)) ** 2)) / np.sqrt(2))


def family(rows, y, dec, pred, race, year):
    from statsmodels.stats.proportion import proportion_confint

    bw = (race == "African-American") | (race == "Caucasian")
    yb, pb, rb = y[bw], pred[bw], race[bw]

    def rates(g):
        m = rb == g
        tn, fp, fn, tp = confusion_matrix(yb[m], pb[m], labels=[0, 1]).ravel()
        return tp / (tp + fn), fp / (fp + tn), pb[m].mean()

    (tpr_b, fpr_b, sel_b), (tpr_w, fpr_w, sel_w) = rates("African-American"), rates("Caucasian")
    print("  Black vs White: FPR gap", repr(abs(fpr_b - fpr_w)),
          "equalized odds", repr(max(abs(tpr_b - tpr_w), abs(fpr_b - fpr_w))))
    print("  selection rate gap", repr(abs(sel_b - sel_w)), "ratio", repr(min(sel_b, sel_w) / max(sel_b, sel_w)))
    for g in ("African-American", "Native American"):
        m = race == g
        tp = int(((y == 1) & (pred == 1) & m).sum())
        npos = int(((y == 1) & m).sum())
        lo, hi = proportion_confint(tp, npos, alpha=0.05, method="wilson")
        print(f"  Wilson TPR {g}: {tp}/{npos} -> [{lo!r}, {hi!r}]")
    p = dec / 10.0
    print("  roc_auc(decile)", repr(roc_auc_score(y, dec)))
    print("  brier(decile/10)", repr(brier_score_loss(y, p)))
    print("  log_loss(decile/10)", repr(log_loss(y, p)))
    print("  precision", repr(precision_score(y, pred)), "recall", repr(recall_score(y, pred)),
          "f1", repr(f1_score(y, pred)), "accuracy", repr(accuracy_score(y, pred)))
    pri = np.array([float(r["priors_count"]) for r in rows])
    print("  mae(priors, decile)", repr(mean_absolute_error(pri, dec)),
          "rmse", repr(float(np.sqrt(mean_squared_error(pri, dec)))))
    # maximum calibration error and per-group ECE gap, 10 bins
    prob_true, prob_pred = calibration_curve(y, p, n_bins=10)
    print("  mce(decile/10)", repr(float(np.max(np.abs(prob_true - prob_pred)))))
    eces = {g: ece(y[race == g], p[race == g], 10) for g in np.unique(race)}
    print("  ece by race", {k: repr(v) for k, v in eces.items()})
    print("  ece gap", repr(max(eces.values()) - min(eces.values())))
    ref, cur = pri[year == "2013"], pri[year == "2014"]
    print("  wasserstein(priors 2013 vs 2014)", repr(stats.wasserstein_distance(ref, cur)))
    # Evidently's "wasserstein" test: W1 over the reference's np.std (ddof 0), floored at 0.001
    print("  wasserstein_normed(priors 2013 vs 2014)",
          repr(stats.wasserstein_distance(ref, cur) / max(np.std(ref), 0.001)))
    r, c = quantile_bins(ref, cur)
    print("  hellinger default", repr(hellinger(r, c)),
          "kl default", repr(float(stats.entropy(fill_eps(r), fill_eps(c)))))
    er, ec = evidently_bins(ref, cur)
    print("  hellinger evidently", repr(hellinger(er, ec)),
          "kl evidently", repr(float(stats.entropy(fill_evidently(er), fill_evidently(ec)))))
    rr, rc = race[year == "2013"], race[year == "2014"]
    keys = np.union1d(rr, rc)
    table = np.array([[(rr == k).sum() for k in keys], [(rc == k).sum() for k in keys]])
    chi2, pval, dof, _ = stats.chi2_contingency(table)
    print("  chi2 race 2013 vs 2014", repr(chi2), repr(pval), dof)
    sub = np.isin(keys, ["African-American", "Caucasian"])
    chi2, pval, dof, _ = stats.chi2_contingency(table[:, sub])
    print("  chi2 Black/White only (Yates)", repr(chi2), repr(pval), dof)
    rp = table[0] / table[0].sum()
    cp = table[1] / table[1].sum()
    print("  hellinger race", repr(hellinger(rp, cp)), "kl race", repr(float(stats.entropy(fill_eps(rp), fill_eps(cp)))))
    dba = np.array([r["days_b_screening_arrest"] == "" for r in rows])
    print("  null rate change days_b_screening_arrest", repr(dba[year == "2014"].mean() - dba[year == "2013"].mean()))


if __name__ == "__main__":
    main()
