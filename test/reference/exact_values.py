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


def ece_exact(rows, bins=10):
    """ECE of (label, probability) pairs, bins [k/B, (k+1)/B), 1.0 in the last."""
    per_bin = {}
    for y, p in rows:
        k = min(math.floor(p * bins), bins - 1)
        n, pos, sp = per_bin.get(k, (0, 0, Fraction(0)))
        per_bin[k] = (n + 1, pos + y, sp + p)
    return sum(Fraction(n, len(rows)) * abs(Fraction(pos, n) - sp / n) for n, pos, sp in per_bin.values())


def ece_gap_exact(path, min_size):
    groups = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            # decile/10 as an exact fraction: the bin it falls in is exact too
            p = Fraction(int(row["decile_score"]), 10)
            groups.setdefault(row["race"], []).append((int(row["two_year_recid"]), p))
    eces = [ece_exact(g) for g in groups.values() if len(g) >= min_size]
    return float(max(eces) - min(eces)) if len(eces) >= 2 else None


compas = "test/data/compas/compas-minimal.csv"
print("ece_gap(two_year_recid, decile_score / 10, race)", repr(ece_gap_exact(compas, 1)))
print("ece_gap(..., 10, 50)", repr(ece_gap_exact(compas, 50)))
print("ece_gap(..., 10, 1000)", repr(ece_gap_exact(compas, 1000)))
