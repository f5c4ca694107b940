#!/usr/bin/env python3
"""Reference rows for test/sql/drift_report.sql: Evidently 0.7's column drift
(its default test choice and thresholds, DataDriftPreset's dataset verdict)
written out with pandas and scipy (Debian 12: python3-pandas 1.5.3,
python3-scipy 1.10.1) as Evidently's source does it, never from ethaudit:

  - NaN and +-Infinity are dropped per column before the test;
  - n_values = distinct values of reference and current together;
  - reference <= 1000 rows: ks (numeric, n_values > 5), chisquare (n_values > 2)
    or z; above: wasserstein (normed) for numeric with n_values > 5, else
    jensenshannon; p-value tests drift at p < 0.05, distances at >= 0.1;
  - dataset drift when the share of drifted columns is >= 0.5.

Run from the repository root:  /usr/bin/python3 test/reference/drift_report_values.py
It prints, per scenario, the rows the SQL test compares with (VALUES lists).
"""
import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial import distance


def unique_keys(ref, cur):
    return sorted(set(ref.unique()) | set(cur.unique()))


def value_percents(ref, cur):
    keys = unique_keys(ref, cur)
    rc, cc = ref.value_counts(), cur.value_counts()
    r = np.array([rc.get(k, 0) for k in keys]) / len(ref)
    c = np.array([cc.get(k, 0) for k in keys]) / len(cur)
    return r, c


def binned(ref, cur, numeric):
    """Evidently's get_binned_data, feel_zeroes=False."""
    if numeric and ref.nunique() > 20:
        edges = np.histogram_bin_edges(pd.concat([ref, cur]).values, bins="sturges")
        return np.histogram(ref, edges)[0] / len(ref), np.histogram(cur, edges)[0] / len(cur)
    return value_percents(ref, cur)


def test_column(ref, cur, numeric):
    ref = ref.replace([np.inf, -np.inf], np.nan).dropna()
    cur = cur.replace([np.inf, -np.inf], np.nan).dropna()
    n_values = pd.concat([ref, cur]).nunique()
    if len(ref) <= 1000:
        test = "ks" if numeric and n_values > 5 else ("chisquare" if n_values > 2 else "z")
    else:
        test = "wasserstein" if numeric and n_values > 5 else "jensenshannon"
    if test == "ks":
        stat, p = stats.ks_2samp(ref, cur)
    elif test == "chisquare":
        keys = unique_keys(ref, cur)
        rc, cc = ref.value_counts(), cur.value_counts()
        f_exp = [rc.get(k, 0) * len(cur) / len(ref) for k in keys]
        f_obs = [cc.get(k, 0) for k in keys]
        with np.errstate(divide="ignore", invalid="ignore"):
            stat, p = stats.chisquare(f_obs, f_exp)
    elif test == "z":
        key = unique_keys(ref, cur)[0]
        a = (ref != key).astype(float)
        b = (cur != key).astype(float)
        if ref.nunique() == 1 and cur.nunique() == 1 and ref.iloc[0] == cur.iloc[0]:
            stat, p = 0.0, 1.0
        else:
            p1, p2 = a.mean(), b.mean()
            pooled = (p1 * len(a) + p2 * len(b)) / (len(a) + len(b))
            stat = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1 / len(a) + 1 / len(b)))
            p = 2 * (1 - stats.norm.cdf(abs(stat)))
    elif test == "wasserstein":
        stat = stats.wasserstein_distance(ref, cur) / max(np.std(ref), 0.001)
        p = None
    else:
        r, c = binned(ref, cur, numeric)
        stat = distance.jensenshannon(r, c)
        p = None
    if p is None:
        drifted = stat >= 0.1
    else:
        drifted = (p <= 0.05) if test == "ks" else (p < 0.05)
    return test, float(stat), (None if p is None else float(p)), bool(drifted), len(ref), len(cur), n_values


def sql(x):
    if x is None:
        return "NULL"
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, str):
        return "'" + x + "'"
    if isinstance(x, float):
        if np.isinf(x):
            return "'Infinity'"
        return repr(x)
    return str(x)


def report(name, df, side, categorical=()):
    print(f"-- {name}")
    rows = []
    drifted = tested = 0
    for col in df.columns:
        numeric = pd.api.types.is_numeric_dtype(df[col]) and col not in categorical
        ref = df.loc[side == True, col]  # noqa: E712
        cur = df.loc[side == False, col]  # noqa: E712
        if not numeric:
            ref, cur = ref.dropna().astype(str), cur.dropna().astype(str)
        r = test_column(ref, cur, numeric)
        tested += 1
        drifted += r[3]
        rows.append("(" + ", ".join(sql(v) for v in (col,) + r) + ")")
    print(",\n".join(rows))
    print(f"-- dataset: {drifted} of {tested} drifted, share {drifted / tested!r}, drift {drifted / tested >= 0.5}")


if __name__ == "__main__":
    compas = pd.read_csv("test/data/compas/compas-minimal.csv")
    year = pd.to_datetime(compas.compas_screening_date).dt.year
    cols = compas.drop(columns=["id", "compas_screening_date"])
    report("compas: 2013 vs 2014", cols, (year == 2013).where(year.isin([2013, 2014])))
    small = compas.id % 10 == 0
    report("compas, every tenth id: 2013 vs 2014", cols[small],
           (year[small] == 2013).where(year[small].isin([2013, 2014])))

    bike = pd.read_csv("test/data/bike_sharing/hour.csv")
    bcols = bike.drop(columns=["instant", "dteday", "yr"])
    report("bike: 2011 vs 2012, season and weathersit categorical", bcols, bike.yr == 0,
           categorical=("season", "weathersit"))
    jan = bike.mnth == 1
    report("bike: January 2011 vs January 2012", bcols[jan].drop(columns=["mnth"]), bike.yr[jan] == 0)
