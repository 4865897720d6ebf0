#!/usr/bin/env python3
"""Accuracy of the focal family (issue 14) against the mpmath reference.

Calls the shipped library (build/libfocalloss.so) through ctypes, f64 and f32, on a grid of logits
(|x| up to 800, saturated and tiny ones) x targets {0, 1, 0.3, 0.5, 0.9} x parameter sets per loss,
and compares each loss and gradient with Tests/golden/focal_family_reference.py (60 digits):
float64 as a relative error (values below 1e-300 in both counted as equal), float32 in ulps of the
float32 rounding of the reference. Prints the worst case per loss and exits non-zero if a float64
error exceeds 1e-10 or a float32 error 2 ulps (the exact tier's contract, docs/accuracy.md).

    python3 tools/family_accuracy.py          (needs numpy and mpmath; about 20 s)

QFL's derivative at s = y exactly (a cusp for 0 < beta <= 1) is 0 by definition there and is
compared with 0.
"""
import ctypes as C
import os
import sys

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "Tests", "golden"))
import focal_family_reference as R  # noqa: E402

lib = C.CDLL(os.path.join(REPO, "build", "libfocalloss.so"))
lib.focal_last_error_message.restype = C.c_char_p
d, i32, u32, i64 = C.c_double, C.c_int32, C.c_uint32, C.c_int64
COMMON = [("use_normalizer", i32), ("normalizer", d), ("num_threads", i32), ("accumulate_grad", i32),
          ("precision", u32)]


class Star(C.Structure):
    _fields_ = [("version", u32), ("reduction", u32), ("alpha", d), ("gamma", d), ("beta", d)] + COMMON


class Asym(C.Structure):
    _fields_ = [("version", u32), ("reduction", u32), ("gamma_pos", d), ("gamma_neg", d), ("margin", d)] + COMMON


class Qual(C.Structure):
    _fields_ = [("version", u32), ("reduction", u32), ("beta", d)] + COMMON


class Vari(C.Structure):
    _fields_ = [("version", u32), ("reduction", u32), ("alpha", d), ("gamma", d), ("iou_weighted", i32)] + COMMON


class Sig(C.Structure):
    _fields_ = [("version", u32), ("reduction", u32), ("alpha", d), ("gamma", d), ("use_normalizer", i32),
                ("normalizer", d), ("num_threads", i32), ("accumulate_grad", i32), ("precision", u32),
                ("ignore_index", i64), ("poly1_epsilon", d)]


class Soft(C.Structure):
    _fields_ = [("version", u32), ("reduction", u32), ("gamma", d), ("alpha", C.c_void_p), ("ignore_index", i64),
                ("label_smoothing", d), ("use_normalizer", i32), ("normalizer", d), ("num_threads", i32),
                ("accumulate_grad", i32), ("precision", u32), ("poly1_epsilon", d)]


def ptr(a):
    return a.ctypes.data_as(C.c_void_p)


def family(name, struct, dtype, x, t, **fields):
    o = struct()
    getattr(lib, "focal_%s_options_init" % name)(C.byref(o), 1)
    for k, v in fields.items():
        setattr(o, k, v)
    x, t = np.ascontiguousarray(x, dtype), np.ascontiguousarray(t, dtype)
    loss, grad = np.empty_like(x), np.empty_like(x)
    suffix = "f64" if dtype == np.float64 else "f32"
    status = getattr(lib, "focal_%s_%s" % (name, suffix))(C.byref(o), i64(1), i64(x.size), i64(1), ptr(x), ptr(t),
                                                          None, 0, None, ptr(loss), ptr(grad), None)
    assert status == 0, lib.focal_last_error_message()
    return loss, grad


def poly_sigmoid(dtype, x, t, gamma, eps, alpha):
    o = Sig()
    lib.focal_sigmoid_options_init(C.byref(o), 4)
    o.gamma, o.alpha, o.poly1_epsilon = gamma, -1.0 if alpha is None else alpha, eps
    x, t = np.ascontiguousarray(x, dtype), np.ascontiguousarray(t, dtype)
    loss, grad = np.empty_like(x), np.empty_like(x)
    fn = lib.focal_sigmoid_f64 if dtype == np.float64 else lib.focal_sigmoid_f32
    assert fn(C.byref(o), i64(x.size), ptr(x), ptr(t), None, ptr(loss), ptr(grad)) == 0
    return loss, grad


def rel(a, b):
    a, b = float(a), float(b)
    if a == b or (abs(a) < 1e-300 and abs(b) < 1e-300):
        return 0.0
    if a != a or b != b or abs(a) == np.inf or abs(b) == np.inf:
        return np.inf
    return abs(a - b) / max(abs(a), abs(b))


def ulps(a, b):
    """|a - b| in ulps of b rounded to float32 (b exact)."""
    b32 = np.float32(b)
    if float(a) == float(b32):
        return 0.0
    if not np.isfinite(a) or not np.isfinite(b32):
        return np.inf
    spacing = float(np.spacing(np.abs(b32))) if b32 != 0 else float(np.finfo(np.float32).smallest_subnormal)
    return abs(float(a) - float(b)) / spacing


XS = np.array([-800, -100, -60, -30, -18.5, -6, -2, -0.5, -1e-3, -1e-9, 0, 1e-9, 1e-3, 0.5, 2, 6, 18.5, 30, 60,
               100, 800.0])
TARGETS = [0.0, 1.0, 0.3, 0.5, 0.9]
CASES = {
    "FL* (sigmoid_star)": [("sigmoid_star", Star, dict(gamma=g, beta=b, alpha=-1.0 if a is None else a),
                            lambda x, t, g=g, b=b, a=a: R.fl_star(x, t, g, b, a))
                           for g, b, a in [(1, 0, None), (2, 1, 0.25), (0.5, -2, None), (5, 3, 0.75)]],
    "asymmetric": [("asymmetric", Asym, dict(gamma_pos=gp, gamma_neg=gn, margin=m),
                    lambda x, t, gp=gp, gn=gn, m=m: R.asl(x, t, gp, gn, m))
                   for gp, gn, m in [(1, 4, 0.05), (0, 0, 0), (2, 2, 0), (0.5, 0.7, 0.2), (1, 4, 0), (0, 1, 1)]],
    "quality": [("quality", Qual, dict(beta=b), lambda x, t, b=b: R.qfl(x, t, b)) for b in [0, 0.5, 1, 2, 3]],
    "varifocal": [("varifocal", Vari, dict(alpha=a, gamma=g, iou_weighted=int(w)),
                   lambda x, t, a=a, g=g, w=w: R.vfl(x, t, a, g, w))
                  for a, g, w in [(0.75, 2, True), (0.5, 0.5, False), (1, 3, True), (0.25, 0, True)]],
}


def main():
    failed = False
    print("focal family vs mpmath (Tests/golden/focal_family_reference.py), %d logits x %d targets"
          % (len(XS), len(TARGETS)))
    for title, cases in list(CASES.items()) + [("Poly-1 sigmoid", None)]:
        w64 = w32 = 0.0
        where64 = where32 = None
        params = cases if cases is not None else [
            (None, None, dict(gamma=g, eps=e, alpha=a), lambda x, t, g=g, e=e, a=a: R.poly1_sigmoid(x, t, g, e, a))
            for g, e, a in [(2, 1, 0.25), (0.5, -0.5, None), (0, -1, None), (3.5, 0.3, 0.5), (0, 1, None),
                            (2, -1 / 3, None), (1, -0.5, 0.5)]]
        for name, struct, fields, ref in params:
            for t in TARGETS:
                tt = np.full_like(XS, t)
                for dtype in (np.float64, np.float32):
                    # The reference at the inputs as the library sees them (rounded to float32).
                    refs = []
                    for x in XS:
                        loss, grad = ref(float(dtype(x)), float(dtype(t)))
                        refs.append((loss, 0.0 if grad != grad else grad))
                    if name is None:
                        loss, grad = poly_sigmoid(dtype, XS, tt, fields["gamma"], fields["eps"], fields["alpha"])
                    else:
                        loss, grad = family(name, struct, dtype, XS, tt, **fields)
                    for x, lv, gv, (rl, rg) in zip(XS, loss, grad, refs):
                        if dtype == np.float64:
                            e = max(rel(lv, rl), rel(gv, rg))
                            if e > w64:
                                w64, where64 = e, (x, t, fields)
                        else:
                            if abs(float(x)) > 3e38:
                                continue
                            e = max(ulps(lv, rl), ulps(gv, rg))
                            if e > w32:
                                w32, where32 = e, (x, t, fields)
        print("  %-20s float64 worst %.2e relative   float32 worst %.2f ulp" % (title, w64, w32))
        if w64 > 0:
            print("      float64 worst at x=%g t=%g %s" % where64)
        if w32 > 0:
            print("      float32 worst at x=%g t=%g %s" % where32)
        failed |= w64 > 1e-10 or w32 > 2
    # Poly-1 softmax: rows of a few classes, target class y.
    rows = [([0.3, -1.2, 2.5, 0.0], 2), ([-20.0, 10.0, 30.0], 0), ([5.0, 5.0, -5.0, 1.0, 0.5], 4), ([40.0, 0, 0], 0),
            ([0.0, -30.0, -30.0], 0), ([60.0, 0.0], 0)]
    worst = 0.0
    for z, y in rows:
        for gamma, eps in [(0, 1), (2, 1), (0.5, -0.4), (3, 0), (0, -1), (2, -1 / 3)]:
            o = Soft()
            lib.focal_softmax_options_init(C.byref(o), 3)
            o.gamma, o.poly1_epsilon, o.reduction = gamma, eps, 0
            x = np.array([z], np.float64)
            tt = np.array([y], np.int64)
            loss, grad = np.empty(1), np.empty_like(x)
            assert lib.focal_softmax_f64_i64(C.byref(o), i64(1), i64(len(z)), i64(1), ptr(x), ptr(tt), None,
                                             ptr(loss), ptr(grad)) == 0
            rl, rg = R.poly1_softmax(z, y, gamma, eps)
            worst = max([worst, rel(loss[0], rl)] + [rel(a, b) for a, b in zip(grad[0], rg)])
    print("  %-20s float64 worst %.2e relative" % ("Poly-1 softmax", worst))
    failed |= worst > 1e-10
    print("FAILED" if failed else "all within the exact tier's bounds (float64 1e-10 relative, float32 2 ulps)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
