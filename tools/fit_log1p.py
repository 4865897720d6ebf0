#!/usr/bin/env python3
"""Fits the polynomial of FastMath.log1pUnit: h(e) = (log1p(e) - e) / e^2 on [0, 1],
near-minimax (Chebyshev fit, mpmath at 60 digits), and prints its coefficients rounded to
double and the maximum relative error of log1p(e) = e + e * (e * h(e)) evaluated in double
(Horner, then one fused multiply-add), on a dense grid.
Needs mpmath (a one-off; the library and its tests do not).  usage: fit_log1p.py [DEGREE]"""
import sys
import numpy as np
import mpmath as mp

mp.mp.dps = 60
degree = int(sys.argv[1]) if len(sys.argv) > 1 else 19
g = lambda e: (mp.log1p(e) - e) / e**2 if e != 0 else mp.mpf(-0.5)
coefficients, error = mp.chebyfit(g, [0, 1], degree + 1, error=True)
doubles = [float(c) for c in coefficients]  # highest degree first
print(f"# degree {degree}, fit error {mp.nstr(error, 3)}")
for c in doubles:
    print(f"{c!r},")
worst = 0.0
for e in np.concatenate([np.linspace(0, 1, 200001), np.geomspace(1e-300, 1, 2001)]):
    p = 0.0
    for c in doubles:
        p = p * e + c
    result = float(mp.mpf(float(e)) * mp.mpf(float(e) * p) + mp.mpf(float(e)))  # one rounding: fma
    exact = mp.log1p(mp.mpf(float(e)))
    if exact != 0:
        worst = max(worst, float(abs((result - exact) / exact)))
print(f"# max relative error of e + e*(e*h(e)) in double: {worst:.3g} ({worst / 2**-53:.2f} ulp-ish)")
