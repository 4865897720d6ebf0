#!/usr/bin/env python3
"""Fits the polynomial of FastMath.log1pUnit: h(e) = (log1p(e) - e) / e^2 on [0, 1],
near-minimax (Chebyshev fit, mpmath at 60 digits), and prints its coefficients rounded to
double and the maximum relative error of log1p(e) = e + e * (e * h(e)) evaluated in double
(Horner, then one fused multiply-add), on a dense grid.
With --float: coefficients rounded to float32 (FastMathFloat.log1pUnit, the fast tier), and
the error in float32 ulps of the same evaluation in float32 (each fused multiply-add rounded
once), on every float32 e in [2^-24, 1] one in 64 and a geometric grid below.
Needs mpmath (a one-off; the library and its tests do not).
usage: fit_log1p.py [--float] [DEGREE]"""
import sys
import numpy as np
import mpmath as mp

mp.mp.dps = 60
single = "--float" in sys.argv
args = [a for a in sys.argv[1:] if a != "--float"]
degree = int(args[0]) if args else (8 if single else 19)
g = lambda e: (mp.log1p(e) - e) / e**2 if e != 0 else mp.mpf(-0.5)
coefficients, error = mp.chebyfit(g, [0, 1], degree + 1, error=True)
print(f"# degree {degree}, fit error {mp.nstr(error, 3)}")
if single:
    floats = [np.float32(float(c)) for c in coefficients]  # highest degree first
    for c in floats:
        print(f"{float(c)!r},")
    bits = np.arange(np.float32(2**-24).view(np.uint32), np.float32(1).view(np.uint32) + 1, 64, dtype=np.uint32)
    e = np.concatenate([bits.view(np.float32), np.geomspace(1e-45, 2**-24, 2001).astype(np.float32), [np.float32(1)]])
    fma = lambda a, b, c: (a.astype(np.float64) * b + c).astype(np.float32)  # exact product, one rounding
    p = np.full(e.shape, floats[0], dtype=np.float32)
    for c in floats[1:]:
        p = fma(p, e, c)
    result = fma((e * p).astype(np.float32), e, e)
    exact = np.log1p(e.astype(np.float64))
    ok = exact != 0
    ulp = np.spacing(exact[ok].astype(np.float32)).astype(np.float64)
    worst = float(np.max(np.abs(result[ok] - exact[ok]) / ulp))
    print(f"# max error of e + e*(e*h(e)) in float32: {worst:.3f} ulp (float64 log1p as the reference)")
    sys.exit(0)
doubles = [float(c) for c in coefficients]  # highest degree first
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
