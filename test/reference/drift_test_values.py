#!/usr/bin/env python3
"""Reference values for the unit tests of src/core/drift_test.c and the exact
KS p-value (test/unit/test_drift_test.c), from scipy (Debian 12: python3-scipy
1.10.1), never from ethaudit.

Run from the repository root:  /usr/bin/python3 test/reference/drift_test_values.py
"""
import numpy as np
from scipy import stats
from scipy.spatial import distance


def ks_cases():
    """(n1, n2, D, exact p) for samples of a fixed generator."""
    rng = np.random.default_rng(20261204)
    out = []
    for n1, n2, shift in [(5, 7, 0.0), (10, 10, 0.8), (30, 45, 0.3), (100, 250, 0.2),
                          (64, 64, 1.5), (1000, 3000, 0.05), (1000, 10000, 0.1),
                          (37, 1, 0.0), (1, 1, 0.0), (200, 300, 2.0)]:
        a = rng.normal(size=n1)
        b = rng.normal(loc=shift, size=n2)
        r = stats.ks_2samp(a, b, method="exact")
        out.append((n1, n2, r.statistic, r.pvalue))
    return out


def gof(ref, cur):
    ref = np.array(ref, dtype=float)
    cur = np.array(cur, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return stats.chisquare(cur, ref * cur.sum() / ref.sum())


def z_first(ref, cur):
    nr, nc = sum(ref), sum(cur)
    p1 = (nr - ref[0]) / nr
    p2 = (nc - cur[0]) / nc
    pooled = (p1 * nr + p2 * nc) / (nr + nc)
    z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1 / nr + 1 / nc))
    return z, 2 * stats.norm.sf(abs(z))


if __name__ == "__main__":
    for n1, n2, d, p in ks_cases():
        print(f"\t{{{n1}, {n2}, {d!r}, {p!r}}},")
    for ref, cur in [([10, 20, 30], [12, 18, 35]), ([500, 300, 200], [400, 350, 250]),
                     ([7, 0, 3], [5, 1, 4]), ([1, 2, 3, 4, 5], [5, 4, 3, 2, 1])]:
        r = gof(ref, cur)
        print("gof", ref, cur, repr(r.statistic), repr(r.pvalue))
    for ref, cur in [([30, 70], [45, 55]), ([900, 100], [880, 120]), ([5, 0], [0, 5])]:
        z, p = z_first(ref, cur)
        print("z", ref, cur, repr(z), repr(p))
    for ref, cur in [([10, 20, 30], [12, 18, 35]), ([5, 0, 5], [0, 10, 0])]:
        print("js", ref, cur, repr(distance.jensenshannon(np.array(ref) / sum(ref),
                                                          np.array(cur) / sum(cur))))
