"""Compares the results of two builds of libfocalloss bit for bit (signs of zeros and NaNs included).

    python3 tools/compare_builds.py [--precision exact|fast] OLD/libfocalloss.so.0 NEW/libfocalloss.so.0

Runs the same calls, through the ctypes backend of the Python package of the checkout each library
was built in (found above the library's path; this checkout's package otherwise), against each library:
both families and dtypes, hard and soft targets, extreme finite logits (|x| up to 1e30), several
gammas, every reduction, class weights, ignored targets and label smoothing, one and several chunks;
softmax rows of 1 to 16 classes in float32, float64 and float16, with position weights, and the
softmax gradient and Hessian.
Prints how many calls differ and exits non-zero if any does: a change meant to keep finite results
as they were is checked with it against the previous build.
"""
import os
import pickle
import subprocess
import sys

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
code = r'''
import numpy as np, focalloss, os, sys, pickle
P = os.environ["COMPARE_PRECISION"]
rng = np.random.default_rng(5)
out = []
for dt in (np.float32, np.float64):
    for n in (7, 300, 70000):
        x = np.concatenate([rng.normal(0, 8, n), rng.choice([0, 1e-8, -1e-8, 30, -30, 88, -88, 745, -745, 1e4, -1e4, 1e30, -1e30], n)]).astype(dt)
        for tk in ("hard", "soft"):
            t = (rng.random(2*n) < 0.3).astype(dt) if tk == "hard" else rng.random(2*n).astype(dt)
            for g in (0.0, 0.5, 2.0, 3.7):
                for red in ("none", "sum", "mean"):
                    out.append(focalloss.sigmoid_focal_loss(x, t, alpha=0.25, gamma=g, reduction=red, return_grad=True, precision=P))
        for C, inner in ((3, 1), (10, 1), (80, 1), (5, 7)):
            N = max(1, n // (C * inner))
            x = (rng.normal(0, 6, (N, C, inner)) * rng.choice([1, 100], (N, C, inner))).astype(dt)
            if inner == 1: x = x[:, :, 0]
            y = rng.integers(0, C, (N,) if inner == 1 else (N, inner)); y[::7] = -100
            for g in (0.0, 0.5, 2.0):
                for eps in (0.0, 0.1):
                    out.append(focalloss.softmax_focal_loss(x, y, alpha=list(range(1, C + 1)), gamma=g, label_smoothing=eps, reduction="none", return_grad=True, precision=P))
                    out.append(focalloss.softmax_focal_loss(x, y, gamma=g, label_smoothing=eps, return_grad=True, precision=P))
# Rows of every class count that the softmax transposes into tiles (C < 16), and 16, in each
# storage type, with position weights, and the softmax gradient and Hessian (exact tier only).
for dt in (np.float32, np.float64, np.float16):
    for C in range(1, 17):
        for N in (5, 64, 200):
            x = (rng.normal(0, 4, (N, C)) * rng.choice([1, 30], (N, C))).astype(dt)
            y = rng.integers(0, C, N); y[::5] = -100
            w = rng.random(N).astype(dt)
            for g in (0.0, 2.0, 2.5):
                out.append(focalloss.softmax_focal_loss(x, y, gamma=g, reduction="none", return_grad=True, precision=P))
                out.append(focalloss.softmax_focal_loss(x, y, alpha=list(range(1, C + 1)), gamma=g, label_smoothing=0.1, weights=w, reduction="none", return_grad=True, precision=P))
            if dt != np.float16:
                out.append(focalloss.softmax_focal_grad_hess(x, y, gamma=2.0))
sys.stdout.buffer.write(pickle.dumps(out))
'''
def package_of(lib):
    """bindings/python of the checkout holding `lib` (an older package speaks that library's options
    versions), or this checkout's."""
    d = os.path.dirname(os.path.abspath(lib))
    while d != os.path.dirname(d):
        if os.path.isdir(os.path.join(d, "bindings", "python", "focalloss")):
            return os.path.join(d, "bindings", "python")
        d = os.path.dirname(d)
    return os.path.join(REPO, "bindings", "python")


args = sys.argv[1:]
precision = "exact"
if args[:1] == ["--precision"]:
    precision, args = args[1], args[2:]
res = []
for lib in args:
    env = dict(os.environ, FOCALLOSS_BACKEND="ctypes", FOCALLOSS_LIBRARY=lib, PYTHONPATH=package_of(lib),
               COMPARE_PRECISION=precision)
    res.append(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, check=True).stdout)
a, b = (pickle.loads(r) for r in res)
diff = sum(1 for (l1, g1), (l2, g2) in zip(a, b) if not (np.array_equal(l1, l2, equal_nan=True) and np.array_equal(g1, g2, equal_nan=True) and np.array_equal(np.signbit(l1), np.signbit(l2)) and np.array_equal(np.signbit(g1), np.signbit(g2))))
print(len(a), "calls compared (%s tier)," % precision, diff, "differ")
sys.exit(1 if diff else 0)
