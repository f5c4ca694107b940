#!/usr/bin/env python3
"""Reference values by exact rational arithmetic, with nothing but Python's
standard library: W1 and the variance are computed as fractions, then
rounded once, so they check ethaudit's wasserstein_normed without numpy or
scipy.  Run from the repository root:  python3 test/reference/exact_values.py
"""
import bisect
import csv
import math
from fractions import Fraction


def wasserstein(a, b):
    """Integral of |F_a - F_b| between consecutive distinct values, exactly."""
    a, b = sorted(a), sorted(b)
    points = sorted(set(a) | set(b))
    total = Fraction(0)
    for x, nxt in zip(points, points[1:]):
        fa = Fraction(bisect.bisect_right(a, x), len(a))
        fb = Fraction(bisect.bisect_right(b, x), len(b))
        total += abs(fa - fb) * (Fraction(nxt) - Fraction(x))
    return total


def wasserstein_normed(ref, cur):
    """Evidently: W1 / max(np.std(ref), 0.001), the deviation with ddof 0."""
    mean = sum(Fraction(x) for x in ref) / len(ref)
    sd = math.sqrt(sum((Fraction(x) - mean) ** 2 for x in ref) / len(ref))
    return float(wasserstein(ref, cur)) / max(sd, 0.001)


def split(path, value, is_reference):
    ref, cur = [], []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row[value] != "":
                (ref if is_reference(row) else cur).append(float(row[value]))
    return ref, cur


ref, cur = split("test/data/compas/compas-minimal.csv", "priors_count",
                 lambda r: r["compas_screening_date"] < "2014-01-01")
print("wasserstein_normed(priors_count, before 2014)", repr(wasserstein_normed(ref, cur)))
print("wasserstein_normed([0, 1, 3], [5, 6, 8])", repr(wasserstein_normed([0, 1, 3], [5, 6, 8])))
