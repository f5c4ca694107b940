#!/usr/bin/env python3
"""Reference values for test/unit/test_kolmogorov.c, from scipy 1.10.1.

One case per region of the Kolmogorov-Smirnov distribution's method selection
(see src/core/kolmogorov.c), for the one-sided tail scipy.special.smirnov, the
two-sided tail scipy.stats.kstwo.sf and the two-sample asymptotic p-value of
scipy.stats.ks_2samp(method='asymp'). Prints C initializers.

Run from the repository root:  /usr/bin/python3 test/reference/kolmogorov_values.py
"""
import numpy as np
from scipy import special, stats

SMIRNOV = [(1, 0.3), (5, 0.1), (5, 0.9), (10, 0.35), (50, 0.2), (100, 0.05),
           (1000, 0.03), (20000, 0.01), (1000000, 0.002), (1000001, 0.002),
           (4000000, 0.0005)]

# (n, d) and the region each one exercises
KOLMOGOROV = [
    (1, 0.7, "n = 1"),
    (10, 0.04, "n d <= 1/2"),
    (10, 0.08, "Ruben-Gambino, n d <= 1"),
    (200, 0.004, "Ruben-Gambino, large n"),
    (10, 0.95, "Ruben-Gambino, n d >= n - 1"),
    (10, 0.6, "d >= 1/2"),
    (20, 0.15, "n <= 140, Durbin (n d^2 <= 0.754693)"),
    (20, 0.3, "n <= 140, Durbin where scipy uses Pomeranz"),
    (140, 0.16, "n <= 140, Durbin where scipy uses Pomeranz"),
    (30, 0.45, "n <= 140, n d^2 > 4: twice the one-sided tail"),
    (141, 0.05, "n > 140, Pelz-Good (n d^1.5 > 1.4)"),
    (200, 0.035, "n > 140, Durbin (n d^1.5 <= 1.4)"),
    (1000, 0.04, "n > 140, Pelz-Good"),
    (20000, 0.0016, "n > 140, Durbin up to n = 100000"),
    (100001, 0.003, "n > 100000, Pelz-Good"),
    (5000, 0.03, "n d^2 >= 2.2: twice the one-sided tail"),
    (1000, 0.5, "d = 1/2"),
    (3000000, 0.001, "n > 10^6: twice scipy's one-sided approximation"),
    (1000, 0.62, "n d^2 >= 370"),
]

# (n1, n2, d) for the two-sample p-value
TWO_SAMPLE = [(4, 5, 0.6), (20, 20, 0.45), (1, 2, 1.0), (3, 7, 0.5), (10000, 8000, 0.02),
              (8734, 8645, 0.1), (2000000, 3000000, 0.001), (600, 600, 0.0)]


def main():
    print("static const SmirnovCase smirnov_cases[] = {")
    for n, d in SMIRNOV:
        print(f"\t{{{n}, {d!r}, {special.smirnov(n, d)!r}}},")
    print("};")
    print("static const KolmogorovCase kolmogorov_cases[] = {")
    for n, d, what in KOLMOGOROV:
        print(f"\t{{{n}, {d!r}, {float(stats.kstwo.sf(d, n))!r}, \"{what}\"}},")
    print("};")
    print("static const TwoSampleCase two_sample_cases[] = {")
    for n1, n2, d in TWO_SAMPLE:
        big, small = max(n1, n2), min(n1, n2)
        en = np.round(big * small / (big + small))
        p = float(np.clip(stats.kstwo.sf(d, en), 0, 1))
        print(f"\t{{{n1}, {n2}, {d!r}, {p!r}}},")
    print("};")


if __name__ == "__main__":
    main()
