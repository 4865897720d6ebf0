"""The focal family of issue 14 on this backend: FL* (sigmoid_focal_star_loss), the asymmetric loss
(asymmetric_loss), the quality focal loss (quality_focal_loss), the varifocal loss
(varifocal_loss), and Poly-1 (poly1_epsilon of sigmoid_focal_loss, sigmoid_focal_loss_from_labels
and softmax_focal_loss).

1. The peers' own values, Tests/golden/focal_family.json (timm, fvcore, mmdet; a float64
   transcription for Poly-1), at every element the golden file does not list as the peer's fault;
   at the faults (and everywhere) the mpmath reference.
2. The independent mpmath reference (Tests/golden/focal_family_reference.py, the definitions at
   60 digits, analytic derivatives) on a grid of logits, targets and parameters: float64 within
   1e-10 relative, float32 within 2 ulps (of the terms' magnitude where terms of opposite signs
   cancel: soft-target gradients, Poly-1 with epsilon < 0); infinite logits as limits; NaN
   logits NaN alone.
3. Finite differences of the loss against the returned gradient.
4. The limits that are known losses: QFL at beta 0 and VFL's positives are BCE, ASL with equal
   gammas and no margin and FL* at gamma 1, beta 0 are the focal loss / BCE, Poly-1 at epsilon 0
   is the focal loss bit for bit.
5. Reductions, normalizer, weights, statistics, float16/bfloat16, non-contiguous inputs, thread
   counts, precision tiers, and the two backends bit for bit.
6. Bad parameters and inputs: ValueError/TypeError naming what is wrong, and nothing written.
"""

import contextlib
import importlib.util
import inspect
import json
import math
import os
import re
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import focalloss
from checks import framework, ulps32
from focalloss import _ctypes_backend, _frontend

try:
    from focalloss import _ext
except ImportError:  # pragma: no cover - the Makefile always builds it
    _ext = None

try:
    import ml_dtypes
except ImportError:  # the core package needs numpy only
    ml_dtypes = None

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
GOLDEN = os.path.join(ROOT, "Tests", "golden", "focal_family.json")
REFERENCE = os.path.join(ROOT, "Tests", "golden", "focal_family_reference.py")

mpmath = framework("mpmath", "the focal family against its multi-precision reference")


def _load_reference():
    """Tests/golden/focal_family_reference.py, imported by path (without writing bytecode next to
    the goldens)."""
    spec = importlib.util.spec_from_file_location("focal_family_reference", REFERENCE)
    module = importlib.util.module_from_spec(spec)
    saved, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = saved
    return module


R = _load_reference()

F16 = np.dtype(np.float16)
BF16 = None if ml_dtypes is None else np.dtype(ml_dtypes.bfloat16)


# ---- The losses: the library's call and the reference's, by kind ------------------------------
#
# params use the library's keyword names: fl_star (alpha, gamma, beta), asl (gamma_pos,
# gamma_neg, margin), qfl (beta), vfl (alpha, gamma, iou_weighted), poly1 (alpha, gamma,
# poly1_epsilon; sigmoid_focal_loss).

def library(kind, x, t, params, **options):
    """The library's loss (and whatever options ask for) of `kind` on dense targets."""
    if kind == "poly1":
        return focalloss.sigmoid_focal_loss(x, t, params["alpha"], params["gamma"],
                                            poly1_epsilon=params["poly1_epsilon"], **options)
    return FUNCTIONS[kind](x, t, **params, **options)


FUNCTIONS = {"fl_star": focalloss.sigmoid_focal_star_loss, "asl": focalloss.asymmetric_loss,
             "qfl": focalloss.quality_focal_loss, "vfl": focalloss.varifocal_loss}


def reference_element(kind, x, t, p):
    """(loss, dloss/dx) of the mpmath reference, as mpf."""
    if kind == "fl_star":
        return R.fl_star(x, t, p["gamma"], p["beta"], p["alpha"])
    if kind == "asl":
        return R.asl(x, t, p["gamma_pos"], p["gamma_neg"], p["margin"])
    if kind == "qfl":
        return R.qfl(x, t, p["beta"])
    if kind == "vfl":
        return R.vfl(x, t, p["alpha"], p["gamma"], p["iou_weighted"])
    return R.poly1_sigmoid(x, t, p["gamma"], p["poly1_epsilon"], p["alpha"])


def reference(kind, x, t, p):
    """The reference's float64 (loss, grad) arrays at the elements of x and t (any float dtype,
    read exactly); NaN where the reference has no value (QFL's cusp)."""
    xs = np.asarray(x, dtype=np.float64).ravel()
    ts = np.asarray(t, dtype=np.float64).ravel()
    loss, grad = np.empty(xs.size), np.empty(xs.size)
    for i, (a, b) in enumerate(zip(xs.tolist(), ts.tolist())):
        value, derivative = reference_element(kind, a, b, p)
        loss[i], grad[i] = float(value), float(derivative)
    return loss.reshape(np.shape(x)), grad.reshape(np.shape(x))


#: Parameter sets per kind for the reference grid: gamma < 1 and 0, margins 0 and > 0, every
#: beta of the brief, epsilons down to -1 / (gamma + 1).
PARAMS = {
    "fl_star": [dict(alpha=None, gamma=1.0, beta=0.0), dict(alpha=None, gamma=2.0, beta=0.0),
                dict(alpha=0.25, gamma=2.0, beta=1.0), dict(alpha=None, gamma=0.5, beta=-2.0),
                dict(alpha=0.75, gamma=0.25, beta=3.0), dict(alpha=0.5, gamma=4.0, beta=0.5)],
    "asl": [dict(gamma_pos=1.0, gamma_neg=4.0, margin=0.05), dict(gamma_pos=0.0, gamma_neg=0.0, margin=0.0),
            dict(gamma_pos=2.0, gamma_neg=2.0, margin=0.0), dict(gamma_pos=0.5, gamma_neg=0.7, margin=0.2),
            dict(gamma_pos=4.0, gamma_neg=1.0, margin=0.0), dict(gamma_pos=1.5, gamma_neg=0.0, margin=0.3),
            dict(gamma_pos=1.0, gamma_neg=4.0, margin=1.0)],
    "qfl": [dict(beta=b) for b in (0.0, 0.5, 1.0, 2.0, 3.0)],
    "vfl": [dict(alpha=0.75, gamma=2.0, iou_weighted=True), dict(alpha=0.75, gamma=2.0, iou_weighted=False),
            dict(alpha=0.25, gamma=1.0, iou_weighted=True), dict(alpha=0.5, gamma=0.5, iou_weighted=True),
            dict(alpha=1.0, gamma=3.0, iou_weighted=True), dict(alpha=2.0, gamma=0.0, iou_weighted=True)],
    "poly1": [dict(alpha=0.25, gamma=2.0, poly1_epsilon=1.0), dict(alpha=None, gamma=2.0, poly1_epsilon=-1 / 3),
              dict(alpha=None, gamma=0.0, poly1_epsilon=1.0), dict(alpha=None, gamma=0.0, poly1_epsilon=-1.0),
              dict(alpha=None, gamma=0.5, poly1_epsilon=2.0), dict(alpha=0.25, gamma=0.5, poly1_epsilon=-1 / 1.5),
              dict(alpha=0.5, gamma=3.5, poly1_epsilon=0.3)],
}
KINDS = list(PARAMS)
CASES = [(kind, i) for kind in KINDS for i in range(len(PARAMS[kind]))]
CASE_IDS = ["%s-%d" % case for case in CASES]

#: Logits from -60 to 60, tiny ones, and saturated ones (exp underflows beyond ~745).
X_GRID = [-60.0, -40.0, -30.0, -20.0, -17.5, -12.0, -6.0, -3.0, -1.5, -0.5, -1e-3, -1e-10, 0.0, 1e-10, 1e-3, 0.5,
          1.5, 3.0, 6.0, 12.0, 17.5, 20.0, 30.0, 40.0, 60.0, -1e4, -800.0, -745.0, 745.0, 800.0, 1e4]
#: Hard and soft targets.
T_GRID = [0.0, 1.0, 0.25, 0.5, 0.9, 1e-6]


def grid(dtype):
    x, t = np.meshgrid(np.array(X_GRID), np.array(T_GRID), indexing="ij")
    return x.astype(dtype), t.astype(dtype)


_REFERENCES = {}


def grid_reference(kind, index, dtype):
    """The reference on grid(dtype) (cached: both float tests and several checks use it)."""
    key = (kind, index, np.dtype(dtype).name)
    if key not in _REFERENCES:
        x, t = grid(dtype)
        _REFERENCES[key] = reference(kind, x, t, PARAMS[kind][index])
    return _REFERENCES[key]


# ---- Comparisons -------------------------------------------------------------------------------

#: float64 results within 1e-10 relative of the exact value (below 1e-300, absolutely: what
#: underflows); float32 within 2 ulps of the float32 rounding of the exact value. Where a value is
#: a difference of terms of opposite signs (a soft target's sigmoid(x) - t in a gradient; Poly-1's
#: negative epsilon against the focal term), the same bounds hold relative to the sum of the
#: terms' magnitudes, the scale of its rounding error (docs/accuracy.md, "Where the gradient's
#: terms cancel"): float64 1e-10 of it, float32 1e-7 of it (the rule of tests/checks.py).
F64_RTOL, F64_ATOL, F32_ULPS, F32_SCALE = 1e-10, 1e-300, 2.0, 1e-7


def close(actual, expected, dtype, scale=0.0):
    """actual (the library's, of dtype float32 or float64) against the exact `expected` (float64;
    NaN where it has no value, which the caller handles), `scale` the magnitude of the terms that
    cancel in it (0: none do): a boolean mask of the elements within the bounds."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    same = (actual == expected) | (np.isnan(actual) & np.isnan(expected))
    with np.errstate(invalid="ignore", over="ignore"):
        error = np.abs(actual - expected)
        if np.dtype(dtype) == np.float64:
            near = error <= F64_RTOL * np.maximum(np.abs(expected), scale) + F64_ATOL
        else:
            near = (ulps32(actual, expected) <= F32_ULPS) | (error <= F32_SCALE * scale)
    return same | near


def _sigmoids(x):
    """sigmoid(x), sigmoid(-x), log sigmoid(x), log sigmoid(-x), in float64 without cancellation."""
    x = np.asarray(x, dtype=np.float64)
    log_s, log_sn = -np.logaddexp(0.0, -x), -np.logaddexp(0.0, x)
    return np.exp(log_s), np.exp(log_sn), log_s, log_sn


def _power(u, g):
    """u ** g with 0 ** 0 = 1 and 0 ** g = 0 for g > 0 (no warnings)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.where(g == 0, 1.0, np.where(u > 0, np.exp(g * np.log(np.where(u > 0, u, 1.0))), 0.0))


def cancellation_scale(kind, x, t, p, what):
    """The sum of the magnitudes of the terms of the loss (`what` "loss") or of its gradient
    ("grad") of `kind`, where they have opposite signs; 0 where they cannot cancel (one term, or
    terms of one sign). A yardstick for rounding errors: a few digits suffice. From the
    derivatives in focal_family_reference.py."""
    x = np.asarray(x, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    s, sn, log_s, log_sn = _sigmoids(x)
    bce_terms = s * (1 - t) + sn * t  # the magnitudes of sigmoid(x) - t = s (1 - t) - s(-x) t
    with np.errstate(all="ignore"):
        if kind == "poly1":
            gamma, eps = p["gamma"], p["poly1_epsilon"]
            alpha = p["alpha"]
            alpha_t = np.ones_like(x) if alpha is None else alpha * t + (1 - alpha) * (1 - t)
            u = s * (1 - t) + sn * t
            if what == "loss":
                bce = -(t * log_s + (1 - t) * log_sn)
                scale = alpha_t * bce * _power(u, gamma) + abs(eps) * _power(u, gamma + 1)
                return np.where(eps < 0, scale, 0.0)
            import reference as focal_reference

            focal = focal_reference.sigmoid(x, t, alpha, gamma)[2]
            return focal + abs(eps) * (gamma + 1) * _power(u, gamma) * s * sn * np.abs(1 - 2 * t)
        if what == "loss":
            return np.zeros_like(x)
        if kind == "asl":
            m = p["margin"]
            above = s > m
            p_m = np.where(above, np.maximum(s - m, 0.0), 0.0)
            one_minus = np.where(above, sn + m, 1.0)
            u = t * sn + (1 - t) * p_m
            g = p["gamma_pos"] * t + p["gamma_neg"] * (1 - t)
            a = np.abs(t * log_s + (1 - t) * np.log1p(-np.minimum(p_m, 1.0)))
            first = _power(u, g) * (t * sn + (1 - t) * above * s * sn / one_minus)
            second = np.where(u > 0, g * _power(u, g - 1), 0.0) * a * (t + (1 - t) * above) * s * sn
            return np.nan_to_num(first + second, nan=0.0, posinf=0.0)
        if kind == "qfl":
            beta = p["beta"]
            d = np.abs(s - t)
            bce = -(t * log_s + (1 - t) * log_sn)
            return np.nan_to_num(_power(d, beta) * bce_terms + np.where(d > 0, beta * _power(d, beta - 1), 0.0)
                                 * s * sn * bce, nan=0.0, posinf=0.0)
        if kind == "vfl":
            w = t if p["iou_weighted"] else np.ones_like(t)
            return np.where(t > 0, w * bce_terms, 0.0)
        return np.zeros_like(x)  # FL*: one term


def softmax_scales(x, y, gamma, eps):
    """Poly-1 softmax: the magnitudes of the terms of each position's loss and of each logit's
    gradient (rows (N, C), no class weights), where eps < 0 opposes them; zeros otherwise."""
    x = np.asarray(x, dtype=np.float64)
    loss_scale, grad_scale = np.zeros(x.shape[0]), np.zeros(x.shape)
    if eps >= 0:
        return loss_scale, grad_scale
    with np.errstate(all="ignore"):
        for i, (row, label) in enumerate(zip(x, y)):
            finite = np.where(np.isfinite(row), row, -np.inf)
            log_p = finite - np.logaddexp.reduce(finite)
            p = np.exp(log_p)
            u = np.exp(np.logaddexp.reduce(np.delete(log_p, label)))  # 1 - p_y
            focus = _power(u, gamma)
            loss_scale[i] = focus * abs(log_p[label]) + abs(eps) * focus * u
            k = focus + abs(eps) * (gamma + 1) * p[label] * focus
            if gamma != 0 and u > 0:
                k += gamma * p[label] * _power(u, gamma - 1) * abs(log_p[label])
            factor = p.copy()
            factor[label] = u
            grad_scale[i] = np.nan_to_num(factor * k)
    return loss_scale, grad_scale


def assert_close(actual, expected, dtype, what, inputs=(), scale=0.0):
    ok = close(actual, expected, dtype, scale)
    if not np.all(ok):
        where = np.argwhere(~np.asarray(ok).reshape(np.shape(actual)))[:5]
        detail = ["%s: got %r, exact %r%s" % (tuple(i), np.asarray(actual)[tuple(i)], np.asarray(expected)[tuple(i)],
                                              "".join(" %r" % (np.asarray(v)[tuple(i)],) for v in inputs))
                  for i in where]
        raise AssertionError("%s: %d elements out of bounds: %s" % (what, np.count_nonzero(~ok), "; ".join(detail)))


def same_bits(a, b):
    """Results equal bit for bit (arrays, numpy scalars, FocalStats, tuples of them)."""
    if isinstance(a, focalloss.FocalStats):
        return isinstance(b, focalloss.FocalStats) and all(
            x == y or (math.isnan(x) and math.isnan(y)) for x, y in zip(a, b))
    if isinstance(a, tuple):
        return isinstance(b, tuple) and len(a) == len(b) and all(same_bits(x, y) for x, y in zip(a, b))
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


# ---- 1. The peers' golden values ---------------------------------------------------------------

GOLDEN_CASES = json.load(open(GOLDEN))["cases"] if os.path.exists(GOLDEN) else []
_BY_NAME = {case["name"]: case for case in GOLDEN_CASES}
_DTYPES = {"float64": np.float64, "float32": np.float32, "float16": np.float16}
#: A peer is no further from the definition than this, relative, at the elements the golden file
#: does not list as faults (make_focal_family_golden.py's FAULT_RTOL), or than the smallest
#: normal number of the dtypes it computes and returns in (its TINY).
PEER_RTOL = {"float64": 1e-9, "float32": 1e-5, "float16": 1e-2}
TINY = {"float64": 2.2250738585072014e-308, "float32": 1.1754943508222875e-38, "float16": 6.103515625e-05}


def numbers(values):
    return np.array([float(v) for v in values], dtype=np.float64)


def golden_call(case):
    """The library on the case's inputs, in its dtype: (loss, grad), flat, as float64, and the
    mpmath reference's (loss, grad) for the same inputs."""
    dtype = _DTYPES[case["dtype"]]
    p = case["params"]
    x = numbers(case["logits"]).reshape(case["shape"]).astype(dtype)
    kind = case["loss_kind"]
    if kind == "poly1_softmax":
        y = np.array(case["labels"], dtype=np.int64)
        loss, grad = focalloss.softmax_focal_loss(x, y, alpha=None, gamma=p["gamma"], reduction="none",
                                                  poly1_epsilon=p["poly1_epsilon"], return_grad=True)
        n, c = case["shape"]
        ref_loss, ref_grad = [], []
        for i in range(n):
            value, derivative = R.poly1_softmax(x[i].astype(np.float64).tolist(), int(y[i]), p["gamma"],
                                                p["poly1_epsilon"])
            ref_loss.append(float(value))
            ref_grad += [float(d) for d in derivative]
        loss_scale, grad_scale = softmax_scales(x, y, p["gamma"], p["poly1_epsilon"])
        return (np.asarray(loss, np.float64).ravel(), np.asarray(grad, np.float64).ravel(), np.array(ref_loss),
                np.array(ref_grad), loss_scale, grad_scale.ravel())
    t = numbers(case["targets"]).reshape(case["shape"]).astype(dtype)
    if kind == "asl":
        kind, params = "asl", dict(gamma_pos=p["gamma_pos"], gamma_neg=p["gamma_neg"], margin=p["clip"] or 0.0)
    elif kind == "fl_star":
        params = dict(alpha=None if p["alpha"] < 0 else p["alpha"], gamma=p["gamma"], beta=p["beta"])
    elif kind == "qfl":
        params = dict(beta=p["beta"])
    elif kind == "vfl":
        params = dict(alpha=p["alpha"], gamma=p["gamma"], iou_weighted=p["iou_weighted"])
    else:
        kind, params = "poly1", dict(alpha=p["alpha"], gamma=p["gamma"], poly1_epsilon=p["poly1_epsilon"])
    loss, grad = library(kind, x, t, params, return_grad=True)
    assert loss.dtype == dtype and grad.dtype == dtype and loss.shape == x.shape
    ref_loss, ref_grad = reference(kind, x, t, params)
    return (np.asarray(loss, np.float64).ravel(), np.asarray(grad, np.float64).ravel(), ref_loss.ravel(),
            ref_grad.ravel(), cancellation_scale(kind, x, t, params, "loss").ravel(),
            cancellation_scale(kind, x, t, params, "grad").ravel())


def against_reference(ours, exact, dtype, scale):
    """ours within the library's bound of the exact values: float64 1e-10 relative, float32 2 ulps,
    float16 1 ulp of its type (computed wider, rounded once); where terms cancel, of their
    magnitude `scale`."""
    if np.dtype(dtype) == F16:
        return np.abs(ours - exact) <= np.maximum(small_ulp(exact, F16), F32_SCALE * scale) + 0 * ours
    return close(ours, exact, dtype, scale)


def against_peer(ours, peer, case, what):
    """ours within the peer's own error of the peer's values: twice the relative bound the golden
    file holds the peer to (its error plus ours, far smaller), or the smallest normal number of
    the dtypes it computes in (what underflows there), plus an ulp of our result's dtype (the
    case's: a float16 input gives a float16 result where the peer may return float32)."""
    compute = case["compute_dtype"].split(" ")[0]
    dtypes = (compute, case["loss_dtype"]) if what == "loss" else (compute, case["dtype"])
    rtol = 2 * max(PEER_RTOL[d] for d in dtypes)
    worst = case["ref_max_rel_diff"].get(what)
    if compute == "float64" and not case.get("fault_elements_" + what) and isinstance(worst, float):
        # A float64 peer without faults (fvcore's FL* with its float32 cast bypassed, mmdet on soft
        # targets...): as close as the peer is to the definition, plus 1e-12. Tighter than the
        # library's 1e-10 bound, which it keeps far below (a regression shows here first).
        rtol = min(rtol, 2 * worst + 1e-12)
    tiny = max(TINY[d] for d in dtypes)
    dtype = _DTYPES[case["dtype"]]
    ulp = small_ulp(ours, F16) if dtype == np.float16 else np.spacing(np.abs(ours).astype(dtype)).astype(np.float64)
    return np.abs(ours - peer) <= rtol * np.maximum(np.abs(ours), np.abs(peer)) + tiny + ulp


@pytest.mark.skipif(not GOLDEN_CASES, reason="Tests/golden/focal_family.json is not in this tree")
@pytest.mark.parametrize("case", GOLDEN_CASES, ids=[c["name"] for c in GOLDEN_CASES])
def test_matches_peer_golden(case):
    """Every element: within the library's bound of the mpmath reference. Elements the golden file
    does not list as the peer's faults: within the peer's error of the peer's value. At the
    faults: finite. Where the reference has no derivative (QFL's cusp), the gradient is 0."""
    dtype = _DTYPES[case["dtype"]]
    loss, grad, ref_loss, ref_grad, loss_scale, grad_scale = golden_call(case)
    undefined = set(case.get("reference_has_no_derivative_at", []))
    assert np.all(np.isfinite(loss)) and np.all(np.isfinite(grad))
    # The reference: every element (the loss always has one; the gradient but at the cusp).
    ok = against_reference(loss, ref_loss, dtype, loss_scale)
    assert np.all(ok), (case["name"], "loss vs reference", loss[~ok], ref_loss[~ok])
    defined = np.array([i not in undefined for i in range(grad.size)])
    ok = against_reference(grad, ref_grad, dtype, grad_scale)
    assert np.all(ok[defined]), (case["name"], "grad vs reference", grad[defined & ~ok], ref_grad[defined & ~ok])
    assert np.all(grad[~defined] == 0.0)
    # The peer, where it is right.
    if "loss" in case:
        peer = numbers(case["loss"])
        keep = np.ones(peer.size, bool)
        keep[case["fault_elements_loss"]] = False
        ok = against_peer(loss, peer, case, "loss")
        assert np.all(ok[keep]), (case["name"], "loss vs peer", np.flatnonzero(keep & ~ok), loss[keep & ~ok],
                                  peer[keep & ~ok])
    else:
        # quality_focal_loss_tensor_target returns row sums only; the rows whose elements the
        # per-element case (same inputs) finds right.
        sibling = _BY_NAME[case["name"].replace("qfl_tensor_target_", "qfl_")]
        rows = numbers(case["loss_row_sums"])
        n, c = case["shape"]
        faulty = [i // c for i in sibling["fault_elements_loss"]]
        keep = np.ones(n, bool)
        keep[faulty] = False
        ok = against_peer(loss.reshape(n, c).sum(axis=1), rows, case, "loss")
        assert np.all(ok[keep]), (case["name"], "row sums vs peer", np.flatnonzero(keep & ~ok))
    if not case.get("grad_is_not_derivative"):
        peer = numbers(case["grad"])
        keep = np.ones(peer.size, bool)
        keep[case["fault_elements_grad"]] = False
        keep[list(undefined)] = False
        ok = against_peer(grad, peer, case, "grad")
        assert np.all(ok[keep]), (case["name"], "grad vs peer", np.flatnonzero(keep & ~ok), grad[keep & ~ok],
                                  peer[keep & ~ok])


@pytest.mark.skipif(not GOLDEN_CASES, reason="Tests/golden/focal_family.json is not in this tree")
def test_golden_file_covers_every_loss():
    kinds = {case["loss_kind"] for case in GOLDEN_CASES}
    assert kinds == {"asl", "fl_star", "qfl", "vfl", "poly1_sigmoid", "poly1_softmax"}
    assert any(case["fault_elements_loss"] or case["fault_elements_grad"] for case in GOLDEN_CASES)


# ---- 2. The mpmath reference on a grid ---------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_matches_reference_on_grid(case, dtype):
    kind, index = case
    params = PARAMS[kind][index]
    x, t = grid(dtype)
    loss, grad = library(kind, x, t, params, return_grad=True)
    assert loss.dtype == dtype and grad.dtype == dtype and loss.shape == x.shape and grad.shape == x.shape
    ref_loss, ref_grad = grid_reference(kind, index, dtype)
    assert np.all(np.isfinite(loss)) and np.all(np.isfinite(grad)), "finite for every finite logit"
    if not (kind == "poly1" and params["poly1_epsilon"] < 0 and params["alpha"] is not None):
        # (A negative epsilon's bound, -1 / (gamma + 1), keeps the loss >= 0 only without alpha:
        # alpha_t < 1 weighs the focal term alone.)
        assert np.all(loss >= 0)
    assert_close(loss, ref_loss, dtype, "loss", (x, t), cancellation_scale(kind, x, t, params, "loss"))
    cusp = np.isnan(ref_grad)  # QFL where sigmoid(x) == y exactly and 0 < beta <= 1
    assert np.all(grad[cusp] == 0)
    assert_close(np.where(cusp, 0, grad), np.where(cusp, 0, ref_grad), dtype, "grad", (x, t),
                 cancellation_scale(kind, x, t, params, "grad"))


def limit(kind, sign, t, params):
    """The loss's and the gradient's limits as the logit goes to sign * inf, from the reference at
    |x| = 1e30 and 1e60: +inf where the loss keeps growing (linearly in |x|: a soft target's
    BCE), else the value (which no longer moves at that distance)."""
    near = reference_element(kind, sign * 1e30, t, params)
    far = reference_element(kind, sign * 1e60, t, params)
    if kind == "qfl" and mpmath.isnan(far[1]):
        # y = 1 (or 0) at the saturated end: the reference's y - sigmoid(x), taken at 60 digits,
        # is 0 there and it reports the cusp; the true |y - s| is e^-|x| > 0 and the gradient
        # (1 + beta) |y - s|^(beta + 1) -> 0.
        near, far = (near[0], mpmath.mpf(0)), (far[0], mpmath.mpf(0))
    loss = math.inf if far[0] > 1e20 * near[0] > 0 else float(far[0])
    if loss != math.inf:
        assert abs(far[0] - near[0]) <= 1e-20 * abs(far[0]) + mpmath.mpf("1e-300")
    assert abs(far[1] - near[1]) <= 1e-20 * abs(far[1]) + mpmath.mpf("1e-300")
    return loss, float(far[1])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_infinite_logits_are_limits(case, dtype):
    """x = +-inf: the loss is its limit (0, +inf, or a constant), the gradient finite and its
    limit."""
    kind, index = case
    params = PARAMS[kind][index]
    for sign in (1.0, -1.0):
        x = np.full(len(T_GRID), sign * np.inf, dtype=dtype)
        t = np.array(T_GRID, dtype=dtype)
        loss, grad = library(kind, x, t, params, return_grad=True)
        assert np.all(np.isfinite(grad)), (sign, grad)
        for j, target in enumerate(t.astype(np.float64).tolist()):
            expected_loss, expected_grad = limit(kind, sign, target, params)
            if expected_loss == math.inf:
                assert loss[j] == np.inf, (sign, target, loss[j])
            else:
                assert close(loss[j], expected_loss, dtype), (sign, target, loss[j], expected_loss)
            assert close(grad[j], expected_grad, dtype), (sign, target, grad[j], expected_grad)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_nan_logit_is_nan_for_its_element_only(case):
    kind, index = case
    x = np.array([[0.5, np.nan, -2.0], [np.nan, 3.0, 0.0]])
    t = np.array([[1.0, 0.0, 0.3], [1.0, 0.0, 0.5]])
    loss, grad = library(kind, x, t, PARAMS[kind][index], return_grad=True)
    nan = np.isnan(x)
    assert np.all(np.isnan(loss[nan])) and np.all(np.isnan(grad[nan]))
    assert np.all(np.isfinite(loss[~nan])) and np.all(np.isfinite(grad[~nan]))
    total, grad_sum = library(kind, x, t, PARAMS[kind][index], reduction="sum", return_grad=True)
    assert np.isnan(total) and np.all(np.isfinite(grad_sum[~nan]))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("params", [dict(gamma=2.0, poly1_epsilon=1.0), dict(gamma=0.0, poly1_epsilon=-1.0),
                                    dict(gamma=0.5, poly1_epsilon=2.0), dict(gamma=2.0, poly1_epsilon=-1 / 3),
                                    dict(gamma=3.0, poly1_epsilon=-0.25)])
def test_poly1_softmax_matches_reference(params, dtype):
    """softmax_focal_loss(poly1_epsilon=...) per position and its gradient, against the reference
    (no class weights: the reference has none), on rows from confident to uniform, with -inf
    logits (a class of probability 0)."""
    rng = np.random.default_rng(14)
    x = rng.normal(0, 4, size=(12, 5))
    x[0] = [30.0, -30.0, 0.0, 1.0, -2.0]
    x[1] = [60.0, -60.0, 0.0, 1.0, -2.0]
    x[2] = [0.0, 0.0, 0.0, 0.0, 0.0]
    x[3] = [700.0, -700.0, 1e-3, 0.0, 5.0]
    x[4] = [-np.inf, 1.0, 2.0, -np.inf, 0.5]
    x = x.astype(dtype)
    y = np.array([0, 1, 2, 1, 2, 0, 1, 2, 3, 4, 0, 1])
    y[5:] = rng.integers(0, 5, size=7)
    loss, grad = focalloss.softmax_focal_loss(x, y, None, params["gamma"], "none", return_grad=True,
                                              poly1_epsilon=params["poly1_epsilon"])
    ref_loss, ref_grad = np.empty(len(y)), np.empty(x.shape)
    for i in range(len(y)):
        row = [v if np.isfinite(v) else -1e30 for v in x[i].astype(np.float64).tolist()]  # -inf: its limit
        value, derivative = R.poly1_softmax(row, int(y[i]), params["gamma"], params["poly1_epsilon"])
        ref_loss[i] = float(value)
        ref_grad[i] = [float(d) for d in derivative]
    loss_scale, grad_scale = softmax_scales(x, y, params["gamma"], params["poly1_epsilon"])
    assert_close(loss, ref_loss, dtype, "loss", scale=loss_scale)
    assert_close(grad, ref_grad, dtype, "grad", scale=grad_scale)


# ---- 3. Finite differences ---------------------------------------------------------------------

def away_from_kinks(kind, params, x, t):
    """Where the loss is smooth within the differencing step: not at QFL's cusp (sigmoid(x) = y)
    nor at ASL's margin threshold (sigmoid(x) = margin, for targets below 1)."""
    s = 1 / (1 + np.exp(-x))
    if kind == "qfl":
        return np.abs(s - t) > 1e-3
    if kind == "asl" and params["margin"] > 0:
        return (np.abs(s - params["margin"]) > 1e-3) | (t == 1)
    return np.ones(x.shape, bool)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_gradient_matches_finite_differences(case):
    kind, index = case
    params = PARAMS[kind][index]
    x, t = np.meshgrid(np.linspace(-8, 8, 33), np.array([0.0, 1.0, 0.2, 0.5, 0.85]), indexing="ij")
    smooth = away_from_kinks(kind, params, x, t)
    x, t = x[smooth], t[smooth]
    h = 1e-5
    loss, grad = library(kind, x, t, params, return_grad=True)
    up = library(kind, x + h, t, params)
    down = library(kind, x - h, t, params)
    numeric = (up - down) / (2 * h)
    bad = np.abs(numeric - grad) > 1e-7 * np.maximum(1.0, np.abs(grad))
    assert not np.any(bad), (x[bad], t[bad], grad[bad], numeric[bad])


@pytest.mark.parametrize("params", [dict(gamma=2.0, poly1_epsilon=1.0), dict(gamma=0.5, poly1_epsilon=-0.6),
                                    dict(gamma=0.0, poly1_epsilon=3.0)])
def test_poly1_softmax_gradient_matches_finite_differences(params):
    rng = np.random.default_rng(1)
    x = rng.normal(0, 2, size=(6, 4, 3))
    y = rng.integers(0, 4, size=(6, 3))
    weights = np.array([1.0, 2.0, 0.5, 1.0])
    _, grad = focalloss.softmax_focal_loss(x, y, weights, params["gamma"], "sum", return_grad=True,
                                           poly1_epsilon=params["poly1_epsilon"])
    h = 1e-6
    numeric = np.empty_like(x)
    for index in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[index] += h
        down[index] -= h
        numeric[index] = (focalloss.softmax_focal_loss(up, y, weights, params["gamma"], "sum",
                                                       poly1_epsilon=params["poly1_epsilon"])
                          - focalloss.softmax_focal_loss(down, y, weights, params["gamma"], "sum",
                                                         poly1_epsilon=params["poly1_epsilon"])) / (2 * h)
    assert np.allclose(grad, numeric, rtol=1e-6, atol=1e-8)


# ---- 4. Limits that are known losses -----------------------------------------------------------

def limit_inputs(dtype, soft=True):
    rng = np.random.default_rng(4)
    x = np.concatenate([np.array(X_GRID), rng.normal(0, 5, 200)])
    t = rng.uniform(0, 1, x.size) if soft else (rng.random(x.size) < 0.5).astype(np.float64)
    t[: len(X_GRID)] = np.resize([0.0, 1.0], len(X_GRID))
    return x.astype(dtype), t.astype(dtype)


def assert_nearly_equal(a, b, rtol=1e-15, scale=0.0):
    """Equal, or within rtol (a different but exact-tier-accurate evaluation of the same value)
    relative to the larger magnitude, or 1e-15 of `scale`, the sum of the magnitudes of the
    terms of a gradient that cancel (soft targets near sigmoid(x) = t), in double either way."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    ok = (a == b) | (np.abs(a - b) <= rtol * np.maximum(np.abs(a), np.abs(b)) + 1e-15 * scale + 1e-300)
    assert np.all(ok), (a[~ok], b[~ok])


def focal_scale(x, t, gamma):
    """The sum of the magnitudes of the focal loss's gradient terms (tests/reference.py)."""
    import reference as focal_reference

    return focal_reference.sigmoid(x, t, None, gamma)[2]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_quality_at_beta_zero_is_bce(dtype):
    x, t = limit_inputs(dtype)
    ours = focalloss.quality_focal_loss(x, t, beta=0.0, return_grad=True)
    bce = focalloss.sigmoid_focal_loss(x, t, alpha=None, gamma=0.0, return_grad=True)
    rtol = 1e-15 if dtype == np.float64 else 2 ** -23
    assert_nearly_equal(ours[0], bce[0], rtol)
    assert_nearly_equal(ours[1], bce[1], rtol, focal_scale(x, t, 0.0))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("iou_weighted", [True, False])
def test_varifocal_positives_are_weighted_bce(dtype, iou_weighted):
    x, t = limit_inputs(dtype)
    t = np.where(t == 0, dtype(0.5), t)  # every target > 0
    loss, grad = focalloss.varifocal_loss(x, t, alpha=0.75, gamma=2.0, iou_weighted=iou_weighted, return_grad=True)
    w = t.astype(np.float64) if iou_weighted else np.ones(x.shape)
    bce, bce_grad = focalloss.sigmoid_focal_loss(x.astype(np.float64), t.astype(np.float64), alpha=None, gamma=0.0,
                                                 return_grad=True)
    rtol = 1e-15 if dtype == np.float64 else 2 ** -23
    assert_nearly_equal(loss, w * bce, rtol)
    assert_nearly_equal(grad, w * bce_grad, rtol, w * focal_scale(x, t, 0.0))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("gamma", [0.0, 0.5, 1.0, 2.0, 3.7])
def test_asymmetric_with_equal_gammas_and_no_margin_is_focal(dtype, gamma):
    """ASL with gamma_pos = gamma_neg = gamma and margin 0 is the focal loss without alpha, soft
    targets included (timm's mixture is then 1 - p_t)."""
    x, t = limit_inputs(dtype)
    ours = focalloss.asymmetric_loss(x, t, gamma, gamma, 0.0, return_grad=True)
    focal = focalloss.sigmoid_focal_loss(x, t, alpha=None, gamma=gamma, return_grad=True)
    # float64: 4e-15, not 1e-15: the asymmetric loss's own evaluation (its soft-target form) is up
    # to 2.6e-15 from the exact value at |x| = 30, gamma = 2 (the focal loss's 4e-16).
    rtol = 4e-15 if dtype == np.float64 else 2 ** -23
    assert_nearly_equal(ours[0], focal[0], rtol)
    assert_nearly_equal(ours[1], focal[1], rtol, focal_scale(x, t, gamma))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("alpha", [None, 0.25])
def test_star_at_gamma_one_beta_zero_is_bce(dtype, alpha):
    """FL* at gamma 1, beta 0 is alpha_t * BCE for hard targets (for soft ones fvcore's linear
    x_t is not BCE's mixture)."""
    x, t = limit_inputs(dtype, soft=False)
    ours = focalloss.sigmoid_focal_star_loss(x, t, alpha=alpha, gamma=1.0, beta=0.0, return_grad=True)
    bce = focalloss.sigmoid_focal_loss(x, t, alpha=alpha, gamma=0.0, return_grad=True)
    rtol = 1e-15 if dtype == np.float64 else 2 ** -23
    assert_nearly_equal(ours[0], bce[0], rtol)
    assert_nearly_equal(ours[1], bce[1], rtol)


@pytest.mark.parametrize("precision", ["exact", "fast"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_poly1_zero_is_the_focal_loss_bit_for_bit(precision, dtype, reduction):
    """poly1_epsilon = 0 (given, as 0.0 or 0) is the plain call bit for bit: sigmoid (plain and
    weighted paths), from labels, softmax (with alpha, and with label smoothing)."""
    rng = np.random.default_rng(0)
    x = rng.normal(0, 6, size=(5, 4, 3)).astype(dtype)
    t = (rng.random(x.shape) < 0.3).astype(dtype)
    labels = rng.integers(0, 5, size=(5, 3))
    classes = rng.integers(0, 4, size=(5, 3))
    w = rng.uniform(0, 2, size=(5, 3)).astype(dtype)
    common = dict(reduction=reduction, return_grad=True, precision=precision)
    for zero in (0.0, 0, -0.0):
        for extra in ({}, {"weights": w}, {"return_stats": True}):
            assert same_bits(focalloss.sigmoid_focal_loss(x, t, 0.25, 2.0, **common, **extra, poly1_epsilon=zero),
                             focalloss.sigmoid_focal_loss(x, t, 0.25, 2.0, **common, **extra))
            assert same_bits(
                focalloss.sigmoid_focal_loss_from_labels(x, labels, 0.25, 2.0, **common, **extra, poly1_epsilon=zero),
                focalloss.sigmoid_focal_loss_from_labels(x, labels, 0.25, 2.0, **common, **extra))
            for alpha, smoothing in ((None, 0.0), ([1.0, 2.0, 0.5, 1.0], 0.0), (None, 0.1)):
                assert same_bits(
                    focalloss.softmax_focal_loss(x, classes, alpha, 2.0, label_smoothing=smoothing, **common, **extra,
                                                 poly1_epsilon=zero),
                    focalloss.softmax_focal_loss(x, classes, alpha, 2.0, label_smoothing=smoothing, **common,
                                                 **extra))


def test_poly1_from_labels_is_poly1_on_one_hot():
    """sigmoid_focal_loss_from_labels(poly1_epsilon=e) is sigmoid_focal_loss(poly1_epsilon=e) on
    the one-hot targets (C = background), bit for bit."""
    rng = np.random.default_rng(3)
    x = rng.normal(0, 5, size=(7, 4, 2))
    labels = rng.integers(0, 5, size=(7, 2))
    onehot = (labels[:, None, :] == np.arange(4)[None, :, None]).astype(np.float64)
    for eps in (1.0, -1 / 3, 2.5):
        for reduction in ("none", "sum", "mean"):
            a = focalloss.sigmoid_focal_loss_from_labels(x, labels, 0.25, 2.0, reduction, return_grad=True,
                                                         poly1_epsilon=eps)
            b = focalloss.sigmoid_focal_loss(x, onehot, 0.25, 2.0, reduction, return_grad=True, poly1_epsilon=eps)
            assert same_bits(a, b), (eps, reduction)


def test_poly1_softmax_alpha_weighs_the_focal_term_only():
    """Class weights multiply the focal term, not the polynomial one; the mean's divisor is the
    sum of the weights of the targets, as without Poly-1."""
    rng = np.random.default_rng(5)
    x = rng.normal(0, 3, size=(9, 3))
    y = rng.integers(0, 3, size=9)
    a = np.array([0.5, 2.0, 1.0])
    eps, gamma = 1.5, 2.0
    focal = focalloss.softmax_focal_loss(x, y, a, gamma, "none")
    poly = focalloss.softmax_focal_loss(x, y, None, gamma, "none", poly1_epsilon=eps)
    plain = focalloss.softmax_focal_loss(x, y, None, gamma, "none")
    term = poly - plain  # eps (1 - p_y)^(gamma + 1)
    ours = focalloss.softmax_focal_loss(x, y, a, gamma, "none", poly1_epsilon=eps)
    assert_nearly_equal(ours, focal + term, 1e-13)
    mean = focalloss.softmax_focal_loss(x, y, a, gamma, "mean", poly1_epsilon=eps)
    assert mean == pytest.approx(ours.sum() / a[y].sum(), rel=1e-14)


# ---- 5. Reductions, weights, statistics, storage types, threads, tiers, backends --------------

def family_call(kind, x, t, **options):
    """The library's loss of `kind` with the first parameter set of PARAMS."""
    return library(kind, x, t, PARAMS[kind][0], **options)


def sample(dtype, shape=(6, 4, 5), seed=0):
    """Logits with saturated values and soft and hard targets."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 5, size=shape)
    x.flat[:4] = [30.0, -30.0, 700.0, -700.0]
    t = rng.uniform(0, 1, size=shape)
    t.flat[::2] = np.round(t.flat[::2])
    return x.astype(dtype), t.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", KINDS)
def test_reductions_and_normalizer(kind, dtype):
    """sum is the sum of the elements' losses, mean divides by the element count or the
    normalizer; the reduced gradient is the elementwise one times the upstream gradient (1 for
    sum, 1 / divisor for mean)."""
    x, t = sample(dtype)
    loss, grad = family_call(kind, x, t, return_grad=True)
    exact_sum = math.fsum(loss.astype(np.float64).ravel())
    total, total_grad = family_call(kind, x, t, reduction="sum", return_grad=True)
    mean, mean_grad = family_call(kind, x, t, reduction="mean", return_grad=True)
    normalized, normalized_grad = family_call(kind, x, t, reduction="mean", normalizer=7.0, return_grad=True)
    for value in (total, mean, normalized):
        assert isinstance(value, np.floating) and value.dtype == dtype
    rtol = 1e-13 if dtype == np.float64 else 3e-7
    assert float(total) == pytest.approx(exact_sum, rel=rtol)
    assert float(mean) == pytest.approx(exact_sum / x.size, rel=rtol)
    assert float(normalized) == pytest.approx(exact_sum / 7.0, rel=rtol)
    assert same_bits(total_grad, grad)
    for reduced, divisor in ((mean_grad, x.size), (normalized_grad, 7.0)):
        expected = grad.astype(np.float64) / divisor
        ulp = np.spacing(np.abs(expected).astype(dtype)).astype(np.float64)  # subnormals included
        assert np.all(np.abs(reduced - expected) <= 2 * ulp), (kind, divisor)


def test_poly1_reductions_use_the_plain_divisors():
    """Poly-1's mean divides by the element count (sigmoid), the kept elements (labels) and the
    weighted target count (softmax), as the plain losses do."""
    rng = np.random.default_rng(2)
    x = rng.normal(0, 3, size=(8, 3))
    t = (rng.random(x.shape) < 0.4).astype(np.float64)
    labels = np.array([0, 1, 2, 3, -100, 0, 1, 3])
    for eps in (1.0, -0.25):
        per = focalloss.sigmoid_focal_loss(x, t, poly1_epsilon=eps)
        assert focalloss.sigmoid_focal_loss(x, t, reduction="mean", poly1_epsilon=eps) == pytest.approx(
            per.sum() / per.size, rel=1e-14)
        per = focalloss.sigmoid_focal_loss_from_labels(x, labels, poly1_epsilon=eps)
        loss, stats = focalloss.sigmoid_focal_loss_from_labels(x, labels, reduction="mean", poly1_epsilon=eps,
                                                               return_stats=True)
        assert stats.divisor == 7 * 3 and loss == pytest.approx(per.sum() / 21, rel=1e-14)
        y = np.array([0, 1, 2, 2, -100, 0, 1, 1])
        per = focalloss.softmax_focal_loss(x, y, reduction="none", poly1_epsilon=eps)
        assert per[4] == 0
        assert focalloss.softmax_focal_loss(x, y, poly1_epsilon=eps) == pytest.approx(per.sum() / 7, rel=1e-14)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", KINDS)
def test_weights_per_element_and_per_position(kind, dtype):
    """Element j's loss and gradient are w_j times the unweighted ones; per-position weights are
    those weights broadcast over the classes, bit for bit; weights of ones are no weights, bit for
    bit; a weight of 0 gives 0 whatever the logit (NaN and infinities included)."""
    x, t = sample(dtype)
    rng = np.random.default_rng(9)
    loss, grad = family_call(kind, x, t, return_grad=True)
    w = rng.uniform(0, 3, size=x.shape).astype(dtype)
    w.flat[::5] = 0
    weighted, weighted_grad = family_call(kind, x, t, weights=w, return_grad=True)
    rtol = 2 * np.finfo(dtype).eps
    expected = w.astype(np.float64) * loss
    assert np.all(np.abs(weighted - expected) <= rtol * np.abs(expected) + 1e-300)
    expected = w.astype(np.float64) * grad
    assert np.all(np.abs(weighted_grad - expected) <= rtol * np.abs(expected) + 1e-300)
    assert same_bits(family_call(kind, x, t, weights=np.ones_like(x), return_grad=True), (loss, grad))
    # per position (N, d): broadcast over the classes on axis 1
    wp = rng.uniform(0, 3, size=(x.shape[0], x.shape[2])).astype(dtype)
    wp[0, 0] = 0
    for reduction in ("none", "sum", "mean"):
        a = family_call(kind, x, t, weights=wp, reduction=reduction, return_grad=True, return_stats=True)
        b = family_call(kind, x, t, weights=np.ascontiguousarray(np.broadcast_to(wp[:, None, :], x.shape)),
                        reduction=reduction, return_grad=True, return_stats=True)
        assert same_bits(a[:2], b[:2]), reduction
        # the weight sum, counted once per class against element by element: another order
        assert a[2].positives == b[2].positives and a[2].divisor == b[2].divisor
        assert a[2].weight_sum == pytest.approx(b[2].weight_sum, rel=1e-14, abs=0)
    # weight 0 masks NaN and infinite logits
    xm = x.copy()
    xm[0, 0, :3] = [np.nan, np.inf, -np.inf]
    wm = np.ones_like(x)
    wm[0, 0, :3] = 0
    masked, masked_grad = family_call(kind, xm, t, weights=wm, return_grad=True)
    assert np.all(masked[0, 0, :3] == 0) and np.all(masked_grad[0, 0, :3] == 0)
    total, total_grad = family_call(kind, xm, t, weights=wm, reduction="mean", return_grad=True)
    assert np.isfinite(total) and np.all(np.isfinite(total_grad))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_poly1_weights(dtype):
    """Poly-1 with weights: each element's (sigmoid, labels) or position's (softmax) loss and
    gradient times its weight; ones are no weights, bit for bit."""
    rng = np.random.default_rng(8)
    x = rng.normal(0, 4, size=(6, 3, 2)).astype(dtype)
    t = (rng.random(x.shape) < 0.4).astype(dtype)
    labels = rng.integers(0, 4, size=(6, 2))
    classes = rng.integers(0, 3, size=(6, 2))
    w = rng.uniform(0, 2, size=(6, 2)).astype(dtype)
    we = np.ascontiguousarray(np.broadcast_to(w[:, None, :], x.shape))
    rtol = 2 * np.finfo(dtype).eps
    calls = [(lambda **o: focalloss.sigmoid_focal_loss(x, t, 0.25, 2.0, poly1_epsilon=0.7, **o), we),
             (lambda **o: focalloss.sigmoid_focal_loss_from_labels(x, labels, None, 0.5, poly1_epsilon=-0.5, **o), we),
             (lambda **o: focalloss.softmax_focal_loss(x, classes, None, 2.0, "none", poly1_epsilon=-0.3, **o), w)]
    for call, expanded in calls:
        loss, grad = call(return_grad=True)
        weighted, weighted_grad = call(weights=w, return_grad=True)
        expected = expanded.astype(np.float64) * loss
        assert np.all(np.abs(weighted - expected) <= rtol * np.abs(expected) + 1e-300)
        expected = np.broadcast_to(w[:, None, :], x.shape).astype(np.float64) * grad
        assert np.all(np.abs(weighted_grad - expected) <= rtol * np.abs(expected) + 1e-300)
        assert same_bits(call(weights=np.ones_like(w), return_grad=True), (loss, grad))


def test_star_alpha_minus_one_is_none():
    """FL*'s alpha: None and -1 (fvcore's default) both disable the weighting."""
    x, t = sample(np.float64)
    assert same_bits(focalloss.sigmoid_focal_star_loss(x, t, alpha=-1, gamma=2.0, return_grad=True),
                     focalloss.sigmoid_focal_star_loss(x, t, alpha=None, gamma=2.0, return_grad=True))
    assert same_bits(focalloss.sigmoid_focal_star_loss(x, t), focalloss.sigmoid_focal_star_loss(x, t, -1.0, 1.0, 0.0))


@pytest.mark.parametrize("kind", KINDS)
def test_statistics(kind):
    x, t = sample(np.float64)
    w = np.random.default_rng(1).uniform(0, 2, size=x.shape)
    for reduction, normalizer, divisor in (("none", None, 1.0), ("sum", None, 1.0), ("mean", None, x.size),
                                           ("mean", 12.5, 12.5)):
        loss, stats = family_call(kind, x, t, reduction=reduction, normalizer=normalizer, return_stats=True)
        assert isinstance(stats, focalloss.FocalStats) and all(type(v) is float for v in stats)
        assert stats.positives == pytest.approx(t.sum(), rel=1e-13)
        assert stats.weight_sum == x.size and stats.divisor == divisor
        assert same_bits(loss, family_call(kind, x, t, reduction=reduction, normalizer=normalizer))
        loss, grad, stats = family_call(kind, x, t, reduction=reduction, normalizer=normalizer, weights=w,
                                        return_grad=True, return_stats=True)
        assert stats.positives == pytest.approx(t.sum(), rel=1e-13)
        assert stats.weight_sum == pytest.approx(w.sum(), rel=1e-13) and stats.divisor == divisor


@pytest.mark.parametrize("kind", KINDS)
def test_mean_over_nothing(kind):
    """An empty array: sum 0, mean NaN (0 / 0, as torch's), gradient empty."""
    x = np.zeros((0, 3))
    assert family_call(kind, x, x, reduction="sum") == 0
    mean, grad = family_call(kind, x, x, reduction="mean", return_grad=True)
    assert np.isnan(mean) and grad.shape == (0, 3)
    assert family_call(kind, x, x).shape == (0, 3)


def small_ulp(value, dtype):
    """The unit in the last place of float16 or bfloat16 at |value| (subnormals included)."""
    precision, emin = {"float16": (11, -14), "bfloat16": (8, -126)}[np.dtype(dtype).name]
    v = np.abs(np.asarray(value, dtype=np.float64))
    _, e = np.frexp(v)
    e = np.where(v == 0, emin, np.maximum(e - 1, emin))
    return np.ldexp(1.0, e - precision + 1)


@pytest.fixture(params=["float16", "bfloat16"])
def small(request):
    if request.param == "float16":
        return F16
    if BF16 is None:
        if os.environ.get("CI"):
            pytest.fail("ml_dtypes is not installed, so bfloat16 goes untested: `make test` runs the Python suite "
                        "on build/test-venv, which has it")
        pytest.skip("ml_dtypes is not installed: no bfloat16 arrays")
    return BF16


@pytest.mark.parametrize("kind", KINDS)
def test_float16_and_bfloat16(kind, small):
    """Results of the small types are the float32-computed values rounded once: within 1 ulp of
    the small type of the float32 call on the same (exactly widened) inputs; weights and
    reductions as for float32; NaN and infinities as limits."""
    x, t = sample(np.float32, shape=(5, 3, 4), seed=7)
    x = np.clip(x, -60, 60)
    x.flat[5:8] = [np.inf, -np.inf, 0.0]
    xs, ts = x.astype(small), t.astype(small)
    wide_x, wide_t = xs.astype(np.float32), ts.astype(np.float32)
    w = np.random.default_rng(3).uniform(0, 2, size=(5, 4)).astype(small)
    for options in ({}, {"weights": w}):
        wide_options = {k: v.astype(np.float32) for k, v in options.items()}
        loss, grad = family_call(kind, xs, ts, return_grad=True, **options)
        assert loss.dtype == small and grad.dtype == small
        ref_loss, ref_grad = family_call(kind, wide_x, wide_t, return_grad=True, **wide_options)
        for ours, wide in ((loss, ref_loss), (grad, ref_grad)):
            ours, wide = ours.astype(np.float64), wide.astype(np.float64)
            same = (ours == wide) | (np.isnan(ours) & np.isnan(wide))
            with np.errstate(invalid="ignore"):
                near = np.abs(ours - wide) <= small_ulp(wide, small)
            assert np.all(same | near), (ours[~(same | near)], wide[~(same | near)])
        total = family_call(kind, xs, ts, reduction="sum", **options)
        wide_total = family_call(kind, wide_x, wide_t, reduction="sum", **wide_options)
        assert total.dtype == small
        assert float(total) == float(wide_total) or abs(float(total) - float(wide_total)) <= small_ulp(
            float(wide_total), small) + 4 * np.spacing(np.float32(wide_total))


@pytest.mark.parametrize("kind", KINDS)
def test_non_contiguous_inputs(kind):
    x, t = sample(np.float64, shape=(6, 8, 5))
    w = np.random.default_rng(2).uniform(0, 2, size=x.shape)
    view = (slice(None), slice(None, None, 2), slice(None, None, -1))
    a = family_call(kind, x[view], t[view], weights=w[view], reduction="none", return_grad=True)
    b = family_call(kind, x[view].copy(), t[view].copy(), weights=w[view].copy(), reduction="none", return_grad=True)
    assert same_bits(a, b)
    f = family_call(kind, np.asfortranarray(x), np.asfortranarray(t), reduction="sum", return_grad=True)
    assert same_bits(f, family_call(kind, x, t, reduction="sum", return_grad=True))


@pytest.mark.parametrize("kind", KINDS + ["poly1_softmax"])
def test_thread_counts_are_bitwise_identical(kind):
    """120,000 elements: num_threads 1, 2 and 3 (and the default) give the same bits, for every
    reduction and the gradient."""
    rng = np.random.default_rng(11)
    x = rng.normal(0, 6, size=(1000, 120)).astype(np.float32)
    t = rng.uniform(0, 1, size=x.shape).astype(np.float32)
    t[::3] = np.round(t[::3])
    y = rng.integers(0, 120, size=1000)
    w = rng.uniform(0, 2, size=1000).astype(np.float32)
    for reduction in ("none", "sum", "mean"):
        results = []
        for threads in (1, 2, 3, None):
            if kind == "poly1_softmax":
                results.append(focalloss.softmax_focal_loss(x, y, None, 2.0, reduction, num_threads=threads,
                                                            return_grad=True, poly1_epsilon=1.0, weights=w))
            else:
                results.append(family_call(kind, x, t, reduction=reduction, num_threads=threads, return_grad=True,
                                           weights=w[:, None].repeat(120, 1) if reduction == "mean" else None))
        assert all(same_bits(r, results[0]) for r in results[1:]), reduction


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", KINDS)
def test_fast_tier_gives_the_exact_results(kind, dtype):
    """The family computes in double in both tiers: "fast" is accepted and gives the exact bits."""
    x, t = sample(dtype)
    for reduction in ("none", "sum"):
        assert same_bits(family_call(kind, x, t, reduction=reduction, precision="fast", return_grad=True),
                         family_call(kind, x, t, reduction=reduction, return_grad=True))


@pytest.mark.parametrize("params", PARAMS["poly1"], ids=range(len(PARAMS["poly1"])))
def test_poly1_fast_tier_is_valid(params):
    """Poly-1 on the fast tier (float32 arithmetic for float32 logits with hard targets): finite,
    and within the fast tier's 16 ulps of the reference."""
    x = np.array(X_GRID[:25] * 2, dtype=np.float32)
    t = np.array([0.0] * 25 + [1.0] * 25, dtype=np.float32)
    loss, grad = library("poly1", x, t, params, return_grad=True, precision="fast")
    assert np.all(np.isfinite(loss)) and np.all(np.isfinite(grad))
    ref_loss, ref_grad = reference("poly1", x, t, params)
    assert np.all(ulps32(loss, ref_loss) <= 16), (loss, ref_loss)
    assert np.all((ulps32(grad, ref_grad) <= 16) | (np.abs(grad - ref_grad) <= 1e-7 * np.abs(ref_grad).max()))


def test_public_signatures():
    """The four losses have the calling conventions of sigmoid_focal_loss, their own parameters
    with the brief's defaults, and are exported."""
    reference_options = list(inspect.signature(focalloss.sigmoid_focal_loss).parameters)[5:-1]
    expected = {
        "sigmoid_focal_star_loss": [("alpha", None), ("gamma", 1.0), ("beta", 0.0)],
        "asymmetric_loss": [("gamma_pos", 1.0), ("gamma_neg", 4.0), ("margin", 0.05)],
        "quality_focal_loss": [("beta", 2.0)],
        "varifocal_loss": [("alpha", 0.75), ("gamma", 2.0)],
    }
    for name, own in expected.items():
        function = getattr(focalloss, name)
        assert name in focalloss.__all__
        parameters = inspect.signature(function).parameters
        names = list(parameters)
        assert names[:2] == ["logits", "targets"]
        assert [(n, parameters[n].default) for n in names[2:2 + len(own)]] == own
        assert names[2 + len(own)] == "reduction" and parameters["reduction"].default == "none"
        rest = [n for n in names[3 + len(own):] if n != "iou_weighted"]
        assert rest == reference_options
        assert all(parameters[n].kind is inspect.Parameter.KEYWORD_ONLY for n in rest)
        for word in ("Args:", "Returns:", "Raises:", "TypeError", "ValueError", "weights", "return_stats") + tuple(
                n for n, _ in own):
            assert word in function.__doc__, (name, word)
    assert inspect.signature(focalloss.varifocal_loss).parameters["iou_weighted"].default is True
    for function in (focalloss.sigmoid_focal_loss, focalloss.sigmoid_focal_loss_from_labels,
                     focalloss.softmax_focal_loss):
        parameter = inspect.signature(function).parameters["poly1_epsilon"]
        assert parameter.default == 0.0 and parameter.kind is inspect.Parameter.KEYWORD_ONLY
        assert "poly1_epsilon" in function.__doc__


def test_family_defaults_are_the_headers():
    """The Python defaults are the C options' defaults (focal_<loss>_options_init), and the ctypes
    Structures have the header's fields."""
    import ctypes

    lib = _ctypes_backend._lib
    defaults = {
        "sigmoid_star": (_ctypes_backend.SigmoidStarOptions, focalloss.sigmoid_focal_star_loss,
                         {"alpha": -1.0, "gamma": 1.0, "beta": 0.0}),
        "asymmetric": (_ctypes_backend.AsymmetricOptions, focalloss.asymmetric_loss,
                       {"gamma_pos": 1.0, "gamma_neg": 4.0, "margin": 0.05}),
        "quality": (_ctypes_backend.QualityOptions, focalloss.quality_focal_loss, {"beta": 2.0}),
        "varifocal": (_ctypes_backend.VarifocalOptions, focalloss.varifocal_loss,
                      {"alpha": 0.75, "gamma": 2.0, "iou_weighted": 1}),
    }
    for stem, (structure, function, fields) in defaults.items():
        options = structure()
        assert getattr(lib, "focal_%s_options_init" % stem)(ctypes.byref(options), 1) == 0
        parameters = inspect.signature(function).parameters
        for field, value in fields.items():
            assert getattr(options, field) == value, (stem, field)
            python = parameters[field].default
            assert (-1.0 if python is None else python) == value, (stem, field)
        assert options.reduction == 0 and options.use_normalizer == 0 and options.precision == 0
    assert [(kind, stem) for kind, _, stem, _ in _ctypes_backend._FAMILY] == [
        (_frontend.SIGMOID_STAR, "sigmoid_star"), (_frontend.ASYMMETRIC, "asymmetric"),
        (_frontend.QUALITY, "quality"), (_frontend.VARIFOCAL, "varifocal")]
    options = _ctypes_backend.SigmoidOptions()
    assert lib.focal_sigmoid_options_init(ctypes.byref(options), 4) == 0 and options.poly1_epsilon == 0.0
    options = _ctypes_backend.SoftmaxOptions()
    assert lib.focal_softmax_options_init(ctypes.byref(options), 3) == 0 and options.poly1_epsilon == 0.0


C_TYPES = {"uint32_t": "c_uint", "focal_reduction": "c_uint", "focal_precision": "c_uint", "double": "c_double",
           "int32_t": "c_int", "int64_t": "c_long", "const double *": "LP_c_double"}


def header_struct(name):
    """[(field, C type)] of `typedef struct name {...} name;` in include/focalloss.h."""
    header = open(os.path.join(ROOT, "include", "focalloss.h")).read()
    body = re.search(r"typedef struct %s \{(.*?)\} %s;" % (name, name), header, re.S).group(1)
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    fields = []
    for declaration in body.split(";"):
        declaration = " ".join(declaration.split())
        if declaration:
            match = re.match(r"(.*?)\s*(\*?)\s*(\w+)$", declaration)
            fields.append((match.group(3), (match.group(1) + (" *" if match.group(2) else "")).strip()))
    return fields


@pytest.mark.parametrize("structure, name", [
    (_ctypes_backend.SigmoidOptions, "focal_sigmoid_options"),
    (_ctypes_backend.SoftmaxOptions, "focal_softmax_options"),
    (_ctypes_backend.SigmoidStarOptions, "focal_sigmoid_star_options"),
    (_ctypes_backend.AsymmetricOptions, "focal_asymmetric_options"),
    (_ctypes_backend.QualityOptions, "focal_quality_options"),
    (_ctypes_backend.VarifocalOptions, "focal_varifocal_options"),
])
def test_ctypes_structures_match_the_header(structure, name):
    fields = header_struct(name)
    assert [f for f, _ in structure._fields_] == [f for f, _ in fields]
    for (field, ctype), (_, c) in zip(structure._fields_, fields):
        assert ctype.__name__ == C_TYPES[c] or (c == "int64_t" and ctype.__name__ == "c_longlong"), (field, c)


# ---- Both backends, bit for bit -----------------------------------------------------------------

FAMILY_FRONT_ENDS = {"fl_star": "sigmoid_focal_star_loss", "asl": "asymmetric_loss", "qfl": "quality_focal_loss",
                     "vfl": "varifocal_loss"}


def both(function, *args, **kwargs):
    outcomes = []
    for backend in (_ctypes_backend, _ext):
        try:
            outcomes.append(getattr(_frontend, function)(backend, *args, **kwargs))
        except (TypeError, ValueError) as error:
            outcomes.append((type(error), str(error)))
    return outcomes


@pytest.mark.skipif(_ext is None, reason="the extension backend is not built")
@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "bfloat16"])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_backends_agree_bit_for_bit(case, dtype):
    if dtype == "bfloat16" and BF16 is None:
        pytest.skip("ml_dtypes is not installed")
    kind, index = case
    params = PARAMS[kind][index]
    storage = BF16 if dtype == "bfloat16" else np.dtype(dtype)
    x, t = sample(np.float64, shape=(3, 4, 5), seed=index)
    x, t = x.astype(storage), t.astype(storage)
    w = np.random.default_rng(index).uniform(0, 2, size=(3, 5)).astype(storage)
    for options in ({"reduction": "none"}, {"reduction": "sum", "weights": w, "return_stats": True},
                    {"reduction": "mean", "normalizer": 3.0}):
        if kind == "poly1":
            a, b = both("sigmoid_focal_loss", x, t, params["alpha"], params["gamma"], return_grad=True,
                        poly1_epsilon=params["poly1_epsilon"], **options)
            assert same_bits(a, b)
            y = np.random.default_rng(index).integers(0, 4, size=(3, 5))
            a, b = both("softmax_focal_loss", x, y, None, params["gamma"], return_grad=True,
                        poly1_epsilon=params["poly1_epsilon"], **options)
            assert same_bits(a, b)
            a, b = both("sigmoid_focal_loss_from_labels", x, y, params["alpha"], params["gamma"], return_grad=True,
                        poly1_epsilon=params["poly1_epsilon"], **options)
        else:
            a, b = both(FAMILY_FRONT_ENDS[kind], x, t, return_grad=True, **params, **options)
        assert same_bits(a, b)


@pytest.mark.skipif(_ext is None, reason="the extension backend is not built")
def test_plain_paths_take_poly1():
    """The extension's plain paths pass poly1_epsilon (their 12th / 14th argument) to the library:
    the front end's result bit for bit; an epsilon the library refuses, or one the front end would
    convert, leaves the call to the front end."""
    x = np.array([[0.5, -1.0, 3.0], [2.0, 0.0, -20.0]])
    t = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    y = np.array([0, 2])
    for eps in (0.0, 1.0, -1 / 3, 2):
        for reduction in ("none", "mean"):
            got = _ext.sigmoid_plain(x, t, 0.25, 2.0, reduction, None, True, None, "exact", None, False, eps)
            expected = _frontend.sigmoid_focal_loss(_ext, x, t, 0.25, 2.0, reduction, return_grad=True,
                                                    poly1_epsilon=eps)
            assert same_bits(got, expected)
            got = _ext.softmax_plain(x, y, None, 2.0, reduction, -100, 0.0, None, True, None, "exact", None, False,
                                     eps)
            expected = _frontend.softmax_focal_loss(_ext, x, y, None, 2.0, reduction, return_grad=True,
                                                    poly1_epsilon=eps)
            assert same_bits(got, expected)
    assert same_bits(_ext.sigmoid_plain(x, t, 0.25, 2.0, "sum", None, False, None, "exact", None, False, 0.0),
                     _ext.sigmoid_plain(x, t, 0.25, 2.0, "sum", None, False, None, "exact"))
    for eps in (-0.5, np.nan, np.float64(1.0), "1"):  # refused by the library, or not a float/int
        assert _ext.sigmoid_plain(x, t, 0.25, 2.0, "sum", None, False, None, "exact", None, False,
                                  eps) is NotImplemented
        assert _ext.softmax_plain(x, y, None, 2.0, "sum", -100, 0.0, None, False, None, "exact", None, False,
                                  eps) is NotImplemented
    assert _ext.softmax_plain(x, y, None, 2.0, "sum", -100, 0.1, None, False, None, "exact", None, False,
                              1.0) is NotImplemented  # poly1 with label smoothing
    with pytest.raises(TypeError, match="12 with poly1_epsilon"):
        _ext.sigmoid_plain(x, t, 0.25, 2.0, "none", None, False, None, "exact", None, False, 0.0, 1)
    with pytest.raises(TypeError, match="14 with poly1_epsilon"):
        _ext.softmax_plain(x, y, None, 2.0, "none", -100, 0.0, None, False, None, "exact", None, False, 0.0, 1)


@pytest.mark.skipif(_ext is None, reason="the extension backend is not built")
def test_public_poly1_calls_take_the_plain_path():
    """With the extension live, a plain Poly-1 call never reaches the front end."""
    if focalloss.backend != "extension":
        pytest.skip("the ctypes backend has no plain path")
    x = np.array([[0.5, -1.0], [2.0, 0.0]])
    t = np.array([[1.0, 0.0], [0.0, 1.0]])
    y = np.array([0, 1])
    with refuse_front_end():
        focalloss.sigmoid_focal_loss(x, t, poly1_epsilon=1.0, return_grad=True)
        focalloss.softmax_focal_loss(x, y, poly1_epsilon=-0.25, return_grad=True)


@contextlib.contextmanager
def refuse_front_end():
    saved = _frontend.sigmoid_focal_loss, _frontend.softmax_focal_loss

    def refuse(*args, **kwargs):
        raise AssertionError("the call reached the front end")
    _frontend.sigmoid_focal_loss = _frontend.softmax_focal_loss = refuse
    try:
        yield
    finally:
        _frontend.sigmoid_focal_loss, _frontend.softmax_focal_loss = saved


# ---- 6. Bad inputs -----------------------------------------------------------------------------

X = np.array([[0.5, -1.0], [2.0, 0.0]])
T = np.array([[1.0, 0.0], [0.3, 1.0]])
Y = np.array([0, 1])
NAN, INF = float("nan"), float("inf")
BELOW_THIRD = np.nextafter(-1 / 3, -1.0)  # just below -1 / (gamma + 1) at gamma = 2

#: (function, kwargs, exception, regex of the message): each parameter out of its range.
BAD = [
    ("sigmoid_focal_star_loss", {"gamma": 0.0}, ValueError, r"gamma = 0\.0"),
    ("sigmoid_focal_star_loss", {"gamma": -1.0}, ValueError, r"gamma = -1\.0"),
    ("sigmoid_focal_star_loss", {"gamma": NAN}, ValueError, r"gamma = nan"),
    ("sigmoid_focal_star_loss", {"gamma": INF}, ValueError, r"gamma = inf"),
    ("sigmoid_focal_star_loss", {"beta": NAN}, ValueError, r"beta = nan"),
    ("sigmoid_focal_star_loss", {"beta": -INF}, ValueError, r"beta = -inf"),
    ("sigmoid_focal_star_loss", {"alpha": 1.5}, ValueError, r"alpha = 1\.5"),
    ("sigmoid_focal_star_loss", {"alpha": -0.5}, ValueError, r"alpha = -0\.5"),
    ("asymmetric_loss", {"gamma_pos": -1.0}, ValueError, r"gamma_pos = -1\.0"),
    ("asymmetric_loss", {"gamma_neg": -0.5}, ValueError, r"gamma_neg = -0\.5"),
    ("asymmetric_loss", {"gamma_neg": INF}, ValueError, r"gamma_neg = inf"),
    ("asymmetric_loss", {"gamma_pos": NAN}, ValueError, r"gamma_pos = nan"),
    ("asymmetric_loss", {"margin": -0.1}, ValueError, r"margin = -0\.1"),
    ("asymmetric_loss", {"margin": 1.5}, ValueError, r"margin = 1\.5"),
    ("asymmetric_loss", {"margin": NAN}, ValueError, r"margin = nan"),
    ("quality_focal_loss", {"beta": -1.0}, ValueError, r"beta = -1\.0"),
    ("quality_focal_loss", {"beta": NAN}, ValueError, r"beta = nan"),
    ("quality_focal_loss", {"beta": INF}, ValueError, r"beta = inf"),
    ("varifocal_loss", {"alpha": -0.1}, ValueError, r"alpha = -0\.1"),
    ("varifocal_loss", {"alpha": INF}, ValueError, r"alpha = inf"),
    ("varifocal_loss", {"gamma": -2.0}, ValueError, r"gamma = -2\.0"),
    ("varifocal_loss", {"gamma": NAN}, ValueError, r"gamma = nan"),
    ("sigmoid_focal_loss", {"gamma": 2.0, "poly1_epsilon": BELOW_THIRD}, ValueError, r"poly1_epsilon = -0\.333"),
    ("sigmoid_focal_loss", {"gamma": 0.0, "poly1_epsilon": -1.5}, ValueError, r"poly1_epsilon = -1\.5"),
    ("sigmoid_focal_loss", {"poly1_epsilon": NAN}, ValueError, r"poly1_epsilon = nan"),
    ("sigmoid_focal_loss", {"poly1_epsilon": INF}, ValueError, r"poly1_epsilon = inf"),
    ("sigmoid_focal_loss_from_labels", {"poly1_epsilon": -1.0}, ValueError, r"poly1_epsilon = -1\.0"),
    ("softmax_focal_loss", {"gamma": 2.0, "poly1_epsilon": BELOW_THIRD}, ValueError, r"poly1_epsilon = -0\.333"),
    ("softmax_focal_loss", {"poly1_epsilon": NAN}, ValueError, r"poly1_epsilon = nan"),
    ("softmax_focal_loss", {"poly1_epsilon": 1.0, "label_smoothing": 0.1}, ValueError,
     r"poly1_epsilon.*label_smoothing|label_smoothing.*poly1_epsilon"),
    # Python types
    ("sigmoid_focal_star_loss", {"beta": "0"}, TypeError, "beta must be a real number"),
    ("asymmetric_loss", {"margin": None}, TypeError, "margin must be a real number"),
    ("asymmetric_loss", {"gamma_pos": [1.0]}, TypeError, "gamma_pos must be a real number"),
    ("quality_focal_loss", {"beta": True}, TypeError, "beta must be a real number"),
    ("varifocal_loss", {"iou_weighted": 1}, TypeError, "iou_weighted must be a bool"),
    ("varifocal_loss", {"iou_weighted": None}, TypeError, "iou_weighted must be a bool"),
    ("sigmoid_focal_loss", {"poly1_epsilon": None}, TypeError, "poly1_epsilon must be a real number"),
    ("softmax_focal_loss", {"poly1_epsilon": "0.5"}, TypeError, "poly1_epsilon must be a real number"),
    ("sigmoid_focal_loss_from_labels", {"poly1_epsilon": [0.5]}, TypeError, "poly1_epsilon must be a real number"),
]
FAMILY_NAMES = ["sigmoid_focal_star_loss", "asymmetric_loss", "quality_focal_loss", "varifocal_loss"]


def bad_call(function, kwargs):
    second = Y if function in ("softmax_focal_loss", "sigmoid_focal_loss_from_labels") else T
    return getattr(focalloss, function)(X, second, **kwargs)


@pytest.mark.parametrize("function, kwargs, exception, pattern", BAD,
                         ids=["%s-%s" % (b[0], "-".join("%s=%r" % kv for kv in b[1].items())) for b in BAD])
def test_bad_parameter(function, kwargs, exception, pattern):
    copies = X.copy(), T.copy()
    with pytest.raises(exception) as info:
        bad_call(function, kwargs)
    assert re.search(pattern, str(info.value)), str(info.value)
    assert np.array_equal(X, copies[0]) and np.array_equal(T, copies[1])


@pytest.mark.parametrize("function", FAMILY_NAMES)
def test_bad_arrays(function):
    f = getattr(focalloss, function)
    for targets, pattern in ((np.array([[1.0, 0.0], [1.5, 1.0]]), r"targets\[2\] = 1\.5 is outside \[0, 1\]"),
                             (np.array([[1.0, -0.25], [0.0, 1.0]]), r"targets\[1\] = -0\.25"),
                             (np.array([[1.0, 0.0], [0.0, np.nan]]), r"targets\[3\] = nan")):
        with pytest.raises(ValueError, match=pattern):
            f(X, targets)
    with pytest.raises(TypeError, match="targets must have the logits' dtype"):
        f(X, T.astype(np.float32))
    with pytest.raises(TypeError, match="float16, bfloat16, float32 or float64, got int64"):
        f(np.array([1, 2]), np.array([1, 0]))
    with pytest.raises(TypeError, match="logits must be a numpy.ndarray"):
        f([[0.5]], [[1.0]])
    with pytest.raises(ValueError, match="targets must have the logits' shape"):
        f(X, T[:1])
    with pytest.raises(ValueError, match=r"weights must have the logits' shape \(2, 2\) or the positions' shape"):
        f(X, T, weights=np.ones(3))
    with pytest.raises(ValueError, match=r"weights\[1\] = -1"):
        f(X, T, weights=np.array([1.0, -1.0]))
    with pytest.raises(ValueError, match="'none', 'sum', 'mean'"):
        f(X, T, reduction="avg")
    with pytest.raises(ValueError, match="normalizer = 0"):
        f(X, T, reduction="mean", normalizer=0.0)
    with pytest.raises(ValueError, match="reduction mean"):
        f(X, T, normalizer=2.0)
    with pytest.raises(ValueError, match="num_threads = -1"):
        f(X, T, num_threads=-1)
    with pytest.raises(ValueError, match="'exact', 'fast'"):
        f(X, T, precision="quick")
    with pytest.raises(TypeError, match="return_grad must be a bool"):
        f(X, T, return_grad=1)


#: (kind, p0, p1, p2, flag) the library refuses, for the backend-level no-write check.
BAD_FAMILY = [(_frontend.SIGMOID_STAR, -1.0, 0.0, 0.0, 0), (_frontend.SIGMOID_STAR, -1.0, 1.0, NAN, 0),
              (_frontend.ASYMMETRIC, 1.0, -4.0, 0.05, 0), (_frontend.ASYMMETRIC, 1.0, 4.0, 2.0, 0),
              (_frontend.QUALITY, -2.0, 0.0, 0.0, 0), (_frontend.VARIFOCAL, -0.75, 2.0, 0.0, 1),
              (_frontend.VARIFOCAL, 0.75, NAN, 0.0, 1), (_frontend.QUALITY, 2.0, 0.0, 0.0, 0)]


@pytest.mark.parametrize("backend", [b for b in (_ctypes_backend, _ext) if b is not None],
                         ids=lambda b: b.name)
@pytest.mark.parametrize("bad", BAD_FAMILY, ids=range(len(BAD_FAMILY)))
def test_nothing_written_on_error(backend, bad):
    """On a refused parameter (or a target outside [0, 1], the last row), the backend entry
    returns the library's status and message and leaves every output as it was."""
    kind, p0, p1, p2, flag = bad
    targets = T if bad != BAD_FAMILY[-1] else np.array([[1.0, 0.0], [2.0, 1.0]])
    loss = np.full(X.shape, 7.0)
    grad = np.full(X.shape, 9.0)
    stats = np.full(3, 5.0)
    status, message = backend.sigmoid_family(kind, X, targets, 2, 2, 1, None, 0, None, loss, grad, stats, 0, p0, p1,
                                             p2, flag, 0, 0.0, 0, 0)
    assert status != 0 and message
    assert np.all(loss == 7.0) and np.all(grad == 9.0) and np.all(stats == 5.0)
    if bad[0] != _frontend.QUALITY or bad == BAD_FAMILY[-1]:
        return
    # Poly-1 on the plain losses, refused the same way.
    for eps in (-0.5, NAN):
        status, _ = backend.sigmoid(X, T, None, loss, grad, 0, 0.25, 2.0, 0, 0.0, 0, 0, eps)
        assert status != 0 and np.all(loss == 7.0) and np.all(grad == 9.0)
        status, _ = backend.sigmoid_weighted(X, T, 2, 2, 1, None, 0, None, loss, grad, stats, 0, 0.25, 2.0, 0, 0.0, 0,
                                             0, eps)
        assert status != 0 and np.all(loss == 7.0) and np.all(stats == 5.0)
        status, _ = backend.sigmoid_labels(X, Y, 2, 2, 1, None, loss, grad, 0, 0.25, 2.0, -100, 0, 0.0, 0, 0, eps)
        assert status != 0 and np.all(loss == 7.0) and np.all(grad == 9.0)
        row_loss = np.full(2, 7.0)
        status, _ = backend.softmax(X, Y, 2, 2, 1, None, row_loss, grad, 0, 2.0, None, -100, 0.0, 0, 0.0, 0, 0, eps)
        assert status != 0 and np.all(row_loss == 7.0) and np.all(grad == 9.0)
    status, _ = backend.softmax_weighted(X, Y, 2, 2, 1, None, None, row_loss, grad, stats, 0, 2.0, None, -100, 0.5, 0,
                                         0.0, 0, 0, 1.0)  # poly1 with label smoothing
    assert status != 0 and np.all(row_loss == 7.0) and np.all(grad == 9.0) and np.all(stats == 5.0)


def test_poly1_bounds_are_inclusive():
    """poly1_epsilon = -1 / (gamma + 1) is allowed (the loss stays >= 0; 0 where p_t -> 0 and
    the focal term vanishes); just below it is refused."""
    for gamma in (0.0, 0.5, 2.0, 3.7):
        lowest = -1 / (gamma + 1)
        loss = focalloss.sigmoid_focal_loss(X, T, None, gamma, poly1_epsilon=lowest)
        assert np.all(loss >= 0)
        loss = focalloss.softmax_focal_loss(X, Y, None, gamma, "none", poly1_epsilon=lowest)
        assert np.all(loss >= 0)
        with pytest.raises(ValueError, match="poly1_epsilon"):
            focalloss.sigmoid_focal_loss(X, T, None, gamma, poly1_epsilon=np.nextafter(lowest, -2.0))


@pytest.mark.parametrize("backend", [b for b in (_ctypes_backend, _ext) if b is not None], ids=lambda b: b.name)
def test_unknown_family_kind(backend):
    loss = np.full(X.shape, 7.0)
    with pytest.raises(ValueError, match="unknown kind"):
        backend.sigmoid_family(4, X, T, 2, 2, 1, None, 0, None, loss, None, None, 0, 1.0, 1.0, 0.0, 0, 0, 0.0, 0, 0)
    assert np.all(loss == 7.0)



junk = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=3), st.lists(st.floats(-3, 3), max_size=3),
    st.sampled_from([np.float16(1), np.int8(3), np.array([]), np.array([[1.0]]), np.array(["a"]), object()]),
    st.builds(lambda n, d: np.zeros(n, dtype=d), st.integers(0, 3),
              st.sampled_from([np.float32, np.float64, np.int64, np.bool_])),
)


@settings(max_examples=200, deadline=None)
@given(which=st.sampled_from(FAMILY_NAMES + ["sigmoid_focal_loss", "softmax_focal_loss"]), logits=junk,
       targets=junk, first=junk, second=junk,
       extra=st.dictionaries(st.sampled_from(["normalizer", "num_threads", "return_grad", "weights", "return_stats",
                                              "precision", "poly1_epsilon", "iou_weighted"]), junk, max_size=2))
def test_junk_arguments_raise_type_or_value_error(which, logits, targets, first, second, extra):
    """Every family function and the Poly-1 keyword: arguments of any wrong type or value raise
    TypeError or ValueError, never anything else."""
    if which != "varifocal_loss":
        extra.pop("iou_weighted", None)
    if which in FAMILY_NAMES:
        extra.pop("poly1_epsilon", None)
    try:
        getattr(focalloss, which)(logits, targets, first, second, **extra)
    except (TypeError, ValueError):
        pass
